#ifndef FIX_TEST_PATH_H
#define FIX_TEST_PATH_H

#include "util/buf.h"
#include "util/strvec.h"

#include <stddef.h>

/*
 * `fix --test-path PATH` only picks failures among those of a run of the
 * whole suite, so a path pytest leaves out of that run (a file that does
 * not match python_files, a directory outside testpaths or excluded by
 * norecursedirs) would quietly give "0 fixed". test_path_check() asks
 * pytest: it collects the path alone and the whole suite (--collect-only,
 * with the user's pytest arguments), and when none of the path's tests is
 * in the suite, reads the configuration file pytest uses (pytest.ini,
 * .pytest.ini, pyproject.toml [tool.pytest.ini_options], tox.ini [pytest],
 * setup.cfg [tool:pytest], the first found from the project root upward)
 * to say which setting leaves it out and what would collect it.
 */

/* pytest's own defaults of the settings named (pytest 7) */
#define TEST_PATH_DEFAULT_PYTHON_FILES "test_*.py", "*_test.py"
#define TEST_PATH_DEFAULT_NORECURSEDIRS \
	"*.egg", ".*", "_darcs", "build", "CVS", "dist", "node_modules", "venv", "{arch}"
/* the largest configuration file read */
#define TEST_PATH_MAX_CONFIG (1024 * 1024)
/* each collection run, in seconds */
#define TEST_PATH_COLLECT_TIMEOUT 300

struct pytest_choice;

struct test_path_options {
	const char *root;                 /* the project root: where pytest runs */
	const char *test_path;            /* as the user gave it: relative to cwd or to root */
	const char *pytest_cmd;           /* NULL: the search of runner/pytest.h */
	struct pytest_choice *choice;     /* the project's remembered command; may be NULL */
	const struct strvec *pytest_args; /* the user's pytest arguments; may be NULL */
};

/*
 * 0 when pytest collects some test of the path in a run of the whole suite
 * (or the path holds no test at all, or a collection was cut short by
 * TEST_PATH_COLLECT_TIMEOUT or its output's cap: nothing to say); ERR_USAGE with a
 * message naming the setting when it does not, when the path does not
 * exist, or when pytest rejects the arguments; ERR_NOTFOUND without
 * pytest; ERR_INTERRUPTED on SIGINT/SIGTERM.
 */
int test_path_check(const struct test_path_options *o);

/* the kinds of configuration file pytest reads */
enum test_path_config {
	TEST_PATH_INI,        /* pytest.ini, .pytest.ini: [pytest] */
	TEST_PATH_TOX,        /* tox.ini: [pytest] */
	TEST_PATH_SETUP_CFG,  /* setup.cfg: [tool:pytest] */
	TEST_PATH_PYPROJECT,  /* pyproject.toml: [tool.pytest.ini_options] */
};

/*
 * The words of the setting `key` in pytest's section of the file's text
 * <text, len>, pushed onto `out` (owned by the caller): an ini value split
 * on whitespace (continuation lines included), or a TOML string or array
 * of strings. Returns 1 when the section sets it, 0 when not, and -1 when
 * the file has no pytest section at all. Linear in `len`; any input is
 * taken (a fuzz target: tests/fuzz/fuzz_pytest_config.c).
 */
int test_path_config_value(struct strvec *out, const char *text, size_t len,
			   enum test_path_config kind, const char *key);

#endif
