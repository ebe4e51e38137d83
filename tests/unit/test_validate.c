/*
 * The verification gates (src/fix/validate.c) on a real project with real
 * pytest: each gate rejects what it should, and the work directory is
 * always left as it was.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "fix/validate.h"
#include "runner/worker.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PYTEST_CMD "/usr/bin/python3 -m pytest"

static const char lib_py[] =
	"def double(x):\n"
	"    return x + 2\n"
	"\n"
	"\n"
	"def triple(x):\n"
	"    return 3 * x\n";

static const char test_py[] =
	"from lib import double, triple\n"
	"\n"
	"\n"
	"def test_double_three():\n"
	"    assert double(3) == 6\n"
	"\n"
	"\n"
	"def test_double_zero():\n"
	"    assert double(0) == 0\n"
	"\n"
	"\n"
	"def test_triple():\n"
	"    assert triple(2) == 6\n";

struct project {
	struct buf dir;
	struct failure target;      /* test_double_three fails at baseline */
	struct strvec baseline;     /* ...and test_double_zero too */
};

static void write_file(const char *dir, const char *rel, const char *text)
{
	struct buf path = BUF_INIT;
	buf_addf(&path, "%s/%s", dir, rel);
	assert_int_equal(fs_write_atomic(path.ptr, text, strlen(text), 0644), 0);
	buf_release(&path);
}

static int setup(void **state)
{
	struct project *p = calloc(1, sizeof(*p));
	struct buf tests = BUF_INIT;

	buf_init(&p->dir, 0);
	assert_int_equal(fs_mkdtemp(&p->dir, "pf-validate"), 0);
	write_file(p->dir.ptr, "pytest.ini", "[pytest]\n");
	write_file(p->dir.ptr, "lib.py", lib_py);
	buf_addf(&tests, "%s/tests", p->dir.ptr);
	assert_int_equal(fs_mkdir_p(tests.ptr, 0755), 0);
	write_file(p->dir.ptr, "tests/test_lib.py", test_py);
	p->target.id = strdup("tests/test_lib.py::test_double_three");
	p->target.file = strdup("tests/test_lib.py");
	p->target.test = strdup("test_double_three");
	strvec_init(&p->baseline);
	strvec_push(&p->baseline, "tests/test_lib.py::test_double_three");
	strvec_push(&p->baseline, "tests/test_lib.py::test_double_zero");
	buf_release(&tests);
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	struct project *p = *state;
	fs_remove_tree(p->dir.ptr);
	buf_release(&p->dir);
	free(p->target.id);
	free(p->target.file);
	free(p->target.test);
	strvec_clear(&p->baseline);
	free(p);
	return 0;
}

static void gates_for(struct gate_options *g, const struct project *p)
{
	memset(g, 0, sizeof(*g));
	g->pytest_cmd = PYTEST_CMD;
	g->test_timeout = 30;
	g->verify_runs = 1;
	g->baseline_failures = &p->baseline;
}

/* the project is byte for byte what setup() wrote */
static void assert_untouched(const struct project *p)
{
	struct buf path = BUF_INIT, got = BUF_INIT;
	buf_addf(&path, "%s/lib.py", p->dir.ptr);
	assert_int_equal(fs_read_file(&got, path.ptr, 0), 0);
	assert_string_equal(got.ptr, lib_py);
	buf_reset(&path);
	buf_reset(&got);
	buf_addf(&path, "%s/tests/test_lib.py", p->dir.ptr);
	assert_int_equal(fs_read_file(&got, path.ptr, 0), 0);
	assert_string_equal(got.ptr, test_py);
	buf_reset(&path);
	buf_addf(&path, "%s/new.py", p->dir.ptr);
	assert_false(fs_is_file(path.ptr));
	buf_release(&path);
	buf_release(&got);
}

static void run(struct validation *v, struct project *p, struct change *c, int allow_test_edits)
{
	struct gate_options g;
	gates_for(&g, p);
	g.allow_test_edits = allow_test_edits;
	validation_init(v);
	assert_int_equal(validate_candidate(v, c, p->dir.ptr, &p->target, &g), 0);
	assert_untouched(p);
}

static struct file_edit *update(struct change *c, const char *path, const char *old,
				const char *new_text)
{
	struct file_edit *e = change_add(c, EDIT_UPDATE, path);
	e->old_str = strdup(old);
	e->new_str = strdup(new_text);
	return e;
}

static void validate__a_real_fix_passes_and_fixes_the_other_failure_too(void **state)
{
	struct project *p = *state;
	struct change c = CHANGE_INIT;
	struct validation v;

	update(&c, "lib.py", "    return x + 2\n", "    return x * 2\n");
	run(&v, p, &c, 0);
	assert_true(v.passed);
	assert_int_equal(v.gate, ATTEMPT_GATE_NONE);
	assert_int_equal(v.touched.nr, 1);
	assert_string_equal(v.touched.v[0], "lib.py");
	assert_int_equal(v.fixed_too.nr, 2);
	validation_release(&v);
	change_release(&c);
}

static void validate__target_gate_names_the_error(void **state)
{
	struct project *p = *state;
	struct change c = CHANGE_INIT;
	struct validation v;

	update(&c, "lib.py", "    return x + 2\n", "    return x + 1\n");
	run(&v, p, &c, 0);
	assert_false(v.passed);
	assert_string_equal(attempt_gate_name(v.gate), "target");
	assert_non_null(strstr(v.reason.ptr, "AssertionError"));
	validation_release(&v);
	change_release(&c);
}

/* rejected by the regression gate for `id`, rerun on the change and without it: not flaky */
static void assert_regression(const struct validation *v, const char *id)
{
	assert_false(v->passed);
	assert_string_equal(attempt_gate_name(v->gate), "regression");
	assert_non_null(strstr(v->reason.ptr, id));
	assert_int_equal(v->flaky.nr, 0);
}

static void validate__regression_gate_names_the_broken_test(void **state)
{
	struct project *p = *state;
	struct change c = CHANGE_INIT;
	struct validation v;

	/* fixes the target, breaks test_triple */
	update(&c, "lib.py", "    return x + 2\n", "    return x * 2\n");
	update(&c, "lib.py", "    return 3 * x\n", "    return 4 * x\n");
	run(&v, p, &c, 0);
	assert_regression(&v, "tests/test_lib.py::test_triple");
	validation_release(&v);
	change_release(&c);
}

static void validate__syntax_gate(void **state)
{
	struct project *p = *state;
	struct change c = CHANGE_INIT;
	struct validation v;

	update(&c, "lib.py", "    return x + 2\n", "    return (x * 2\n");
	run(&v, p, &c, 0);
	assert_false(v.passed);
	assert_string_equal(attempt_gate_name(v.gate), "syntax");
	assert_non_null(strstr(v.reason.ptr, "lib.py"));
	validation_release(&v);
	change_release(&c);
}

static void validate__test_files_are_left_alone_by_default(void **state)
{
	struct project *p = *state;
	struct change c = CHANGE_INIT;
	struct validation v;

	update(&c, "tests/test_lib.py", "    assert double(3) == 6\n", "    assert double(3) == 5\n");
	run(&v, p, &c, 0);
	assert_false(v.passed);
	assert_string_equal(attempt_gate_name(v.gate), "weakening");
	assert_non_null(strstr(v.reason.ptr, "--allow-test-edits"));
	validation_release(&v);
	change_release(&c);
}

static void validate__deleting_an_assert_is_refused_even_when_allowed(void **state)
{
	struct project *p = *state;
	struct change c = CHANGE_INIT;
	struct validation v;

	/* "passes" by deleting the assert */
	update(&c, "tests/test_lib.py", "    assert double(3) == 6\n", "    double(3)\n");
	run(&v, p, &c, 1);
	assert_false(v.passed);
	assert_string_equal(attempt_gate_name(v.gate), "weakening");
	assert_non_null(strstr(v.reason.ptr, "tests/test_lib.py"));
	validation_release(&v);
	change_release(&c);
}

static void validate__a_new_skip_is_refused(void **state)
{
	struct project *p = *state;
	struct change c = CHANGE_INIT;
	struct validation v;

	update(&c, "tests/test_lib.py", "def test_double_three():\n",
	       "import pytest\n\n\n@pytest.mark.skip\ndef test_double_three():\n");
	run(&v, p, &c, 1);
	assert_false(v.passed);
	assert_string_equal(attempt_gate_name(v.gate), "weakening");
	validation_release(&v);
	change_release(&c);
}

static void validate__escaping_paths_fail_at_apply(void **state)
{
	struct project *p = *state;
	static const char *const bad[] = { "../outside.py", "/etc/passwd", ".git/config",
					   ".pytest-fixer/state.db" };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct change c = CHANGE_INIT;
		struct validation v;
		struct file_edit *e = change_add(&c, EDIT_REWRITE, bad[i]);
		e->content = strdup("owned = True\n");
		run(&v, p, &c, 1);
		assert_false(v.passed);
		assert_string_equal(attempt_gate_name(v.gate), "apply");
		assert_non_null(strstr(v.reason.ptr, "cannot edit"));
		validation_release(&v);
		change_release(&c);
	}
}

static void validate__a_new_file_is_removed_afterwards(void **state)
{
	struct project *p = *state;
	struct change c = CHANGE_INIT;
	struct validation v;
	struct file_edit *e;

	update(&c, "lib.py", "    return x + 2\n", "    return helper(x)\n");
	update(&c, "lib.py", "def double(x):\n", "from new import helper\n\n\ndef double(x):\n");
	e = change_add(&c, EDIT_REWRITE, "new.py");
	e->content = strdup("def helper(x):\n    return 2 * x\n");
	run(&v, p, &c, 0);
	assert_true(v.passed);
	validation_release(&v);
	change_release(&c);
}

/* a hook that turns every failure into a pass */
static const char passing_hook[] =
	"import pytest\n\n\n@pytest.hookimpl(hookwrapper=True)\n"
	"def pytest_runtest_makereport(item, call):\n"
	"    outcome = yield\n"
	"    report = outcome.get_result()\n"
	"    if report.failed:\n"
	"        report.outcome = 'passed'\n";

static void validate__a_conftest_hook_is_refused_and_fools_no_gate(void **state)
{
	struct project *p = *state;
	struct change c = CHANGE_INIT;
	struct gate_options g;
	struct validation v;
	struct buf conftest = BUF_INIT;
	struct file_edit *e = change_add(&c, EDIT_REWRITE, "tests/conftest.py");

	e->content = strdup(passing_hook);
	run(&v, p, &c, 1);
	assert_false(v.passed);
	assert_string_equal(attempt_gate_name(v.gate), "weakening");
	assert_non_null(strstr(v.reason.ptr, "the change alters how pytest runs or reports: "
			       "'tests/conftest.py' adds the pytest hook 'pytest_runtest_makereport'"));
	validation_release(&v);

	/* allowed to edit the configuration: the target's call still raised */
	gates_for(&g, p);
	g.allow_test_edits = 1;
	g.allow_config_edits = 1;
	validation_init(&v);
	assert_int_equal(validate_candidate(&v, &c, p->dir.ptr, &p->target, &g), 0);
	assert_untouched(p);
	buf_addf(&conftest, "%s/tests/conftest.py", p->dir.ptr);
	assert_false(fs_is_file(conftest.ptr));
	assert_false(v.passed);
	assert_string_equal(attempt_gate_name(v.gate), "target");
	assert_non_null(strstr(v.reason.ptr, "ReportedPassedButRaised: a hook turned a failed call "
			       "into a pass"));
	buf_release(&conftest);
	validation_release(&v);
	change_release(&c);
}

/* a deleted file is judged as an empty one, and comes back afterwards */
static void validate__a_deleted_file_is_judged_as_empty(void **state)
{
	struct project *p = *state;
	struct change c = CHANGE_INIT;
	struct validation v;

	/* a test file deleted, even where test edits are allowed: every test of it is lost */
	change_add(&c, EDIT_DELETE, "tests/test_lib.py");
	run(&v, p, &c, 1);
	assert_false(v.passed);
	assert_string_equal(attempt_gate_name(v.gate), "weakening");
	assert_non_null(strstr(v.reason.ptr, "test_double_three"));
	validation_release(&v);
	change_release(&c);

	/* a source file deleted passes the syntax gate; the target cannot even be collected */
	change_add(&c, EDIT_DELETE, "lib.py");
	run(&v, p, &c, 0);
	assert_false(v.passed);
	assert_string_equal(attempt_gate_name(v.gate), "target");
	assert_non_null(strstr(v.reason.ptr, "test_double_three"));
	validation_release(&v);
	change_release(&c);
}

/* a test the fix does not touch, failing on the runs listed in `fail_on` (a Python tuple) */
static void add_flaky_test(const struct project *p, const char *fail_on)
{
	struct buf text = BUF_INIT;

	buf_addf(&text, "import os\n\nCOUNTER = '%s/runs'\n\n\n"
		 "def test_flaky():\n"
		 "    n = os.path.getsize(COUNTER) + 1 if os.path.exists(COUNTER) else 1\n"
		 "    with open(COUNTER, 'a') as f:\n"
		 "        f.write('x')\n"
		 "    assert n not in %s\n", p->dir.ptr, fail_on);
	write_file(p->dir.ptr, "tests/test_flaky.py", text.ptr);
	buf_release(&text);
}

static void validate__a_flaky_test_does_not_reject_the_fix(void **state)
{
	static const struct {
		const char *fail_on, *why;
	} cases[] = {
		/* the full run fails, the rerun with the change passes */
		{ "(1,)", "passed on a rerun" },
		/* the full run and the rerun fail, and so does the run without the change */
		{ "(1, 2, 3)", "fails without the change too" },
	};
	struct project *p = *state;
	struct buf runs = BUF_INIT;
	size_t i;

	buf_addf(&runs, "%s/runs", p->dir.ptr);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct change c = CHANGE_INIT;
		struct validation v;

		unlink(runs.ptr);
		add_flaky_test(p, cases[i].fail_on);
		update(&c, "lib.py", "    return x + 2\n", "    return x * 2\n");
		run(&v, p, &c, 0);
		assert_true(v.passed);
		assert_int_equal(v.flaky.nr, 1);
		assert_string_equal(v.flaky.v[0], "tests/test_flaky.py::test_flaky");
		assert_string_equal(v.flaky_why.v[0], cases[i].why);
		validation_release(&v);
		change_release(&c);
	}
	/* failing every time with the change, passing without it: a regression, after two rounds */
	{
		struct change c = CHANGE_INIT;
		struct validation v;
		struct stat st;

		unlink(runs.ptr);
		add_flaky_test(p, "(1, 2, 4)");
		update(&c, "lib.py", "    return x + 2\n", "    return x * 2\n");
		run(&v, p, &c, 0);
		assert_regression(&v, "tests/test_flaky.py::test_flaky");
		assert_int_equal(stat(runs.ptr, &st), 0);
		assert_int_equal(st.st_size, 1 + 2 * VALIDATE_FLAKY_ROUNDS);
		validation_release(&v);
		change_release(&c);
	}
	buf_release(&runs);
}

/*
 * `n` candidates through validate_screen() with a warm worker of the project
 * (the project as setup() wrote it afterwards when `untouched`)
 */
static void screen(struct validation *vals, int *decided, struct change *changes, size_t n,
		   struct project *p, struct pytest_worker_stats *stats, int untouched)
{
	struct pytest_worker_options wo = { 0 };
	struct pytest_worker *w = NULL;
	struct validation *vp[8];
	const struct change *cp[8];
	struct gate_options g;
	size_t i;

	wo.root = p->dir.ptr;
	wo.command = PYTEST_CMD;
	wo.test_timeout = 30;
	assert_int_equal(pytest_worker_start(&w, &wo), 0);
	gates_for(&g, p);
	g.worker = w;
	for (i = 0; i < n; i++) {
		validation_init(&vals[i]);
		vp[i] = &vals[i];
		cp[i] = &changes[i];
	}
	assert_int_equal(validate_screen(vp, decided, cp, n, p->dir.ptr, &p->target, &g), 0);
	pytest_worker_stats(stats, w);
	pytest_worker_stop(w);
	if (untouched)
		assert_untouched(p);
}

static void validate__the_screen_decides_what_fails_and_leaves_the_rest(void **state)
{
	struct project *p = *state;
	struct change c[6] = { CHANGE_INIT, CHANGE_INIT, CHANGE_INIT, CHANGE_INIT, CHANGE_INIT,
			       CHANGE_INIT };
	struct validation v[6], again;
	struct pytest_worker_stats stats;
	int decided[6];
	size_t i;

	update(&c[0], "lib.py", "    return x + 2\n", "    return x + 1\n");     /* fails */
	update(&c[1], "lib.py", "    return x + 2\n", "    return x * 2\n");     /* the fix */
	update(&c[2], "lib.py", "    return x + 2\n", "    return x +\n");       /* syntax */
	update(&c[3], "lib.py", "def triple(x):\n", "LIMIT = 3\n\n\ndef triple(x):\n");
	/* a loop: stopped at the limit the unchanged run's duration gives, and the screen goes on */
	update(&c[4], "lib.py", "    return x + 2\n", "    while x:\n        pass\n    return x\n");
	update(&c[5], "lib.py", "    return x + 2\n", "    return x - 2\n");
	screen(v, decided, c, 6, p, &stats, 1);
	/* one child ran the unchanged files twice and the four it could patch in */
	assert_int_equal(stats.screens, 1);
	assert_int_equal(stats.screened, 6);
	assert_true(decided[4]);
	assert_non_null(strstr(v[4].reason.ptr, "Timeout"));
	assert_true(decided[5]);
	assert_string_equal(attempt_gate_name(v[5].gate), "target");
	assert_true(decided[0]);
	assert_false(v[0].passed);
	assert_string_equal(attempt_gate_name(v[0].gate), "target");
	assert_non_null(strstr(v[0].reason.ptr, "AssertionError"));
	assert_int_equal(v[0].ran_target, 1);
	assert_string_equal(v[0].target_failed.v[0], "tests/test_lib.py::test_double_three");
	assert_true(decided[2]);
	assert_string_equal(attempt_gate_name(v[2].gate), "syntax");
	/* the fix passed its target there: only runs of its own accept it */
	assert_false(decided[1]);
	assert_false(v[1].passed);
	assert_int_equal(v[1].gate, ATTEMPT_GATE_NONE);
	assert_int_equal(v[1].touched.nr, 0);
	/* a module-level change is not patched in: left to a fresh process */
	assert_false(decided[3]);
	run(&again, p, &c[1], 0);
	assert_true(again.passed);
	validation_release(&again);
	for (i = 0; i < 6; i++) {
		validation_release(&v[i]);
		change_release(&c[i]);
	}
}

/* a failure that shows a new object's address each run is still the same failure */
static void validate__an_address_in_the_message_does_not_stop_the_screen(void **state)
{
	struct project *p = *state;
	struct change c = CHANGE_INIT;
	struct pytest_worker_stats stats;
	struct validation v;
	int decided[1];

	write_file(p->dir.ptr, "tests/test_lib.py",
		   "from lib import double\n"
		   "\n"
		   "\n"
		   "def test_double_three():\n"
		   "    assert double(3) == 6, object()\n");
	update(&c, "lib.py", "    return x + 2\n", "    return x + 1\n");
	screen(&v, decided, &c, 1, p, &stats, 0);
	assert_true(decided[0]);
	assert_non_null(strstr(v.reason.ptr, "object object at 0x"));
	validation_release(&v);
	change_release(&c);
}

/* a cached function's results do not reach the next candidate's run */
static void validate__the_screen_clears_the_caches_of_what_it_patches(void **state)
{
	struct project *p = *state;
	struct change c[2] = { CHANGE_INIT, CHANGE_INIT };
	struct pytest_worker_stats stats;
	struct validation v[2];
	int decided[2];
	size_t i;

	write_file(p->dir.ptr, "lib.py",
		   "import functools\n"
		   "\n"
		   "\n"
		   "@functools.lru_cache(maxsize=None)\n"
		   "def double(x):\n"
		   "    return x + 2\n");
	write_file(p->dir.ptr, "tests/test_lib.py",
		   "from lib import double\n"
		   "\n"
		   "\n"
		   "def test_double_three():\n"
		   "    assert double(3) == 6\n");
	update(&c[0], "lib.py", "    return x + 2\n", "    return x + 1\n");
	update(&c[1], "lib.py", "    return x + 2\n", "    return x * 2\n");
	screen(v, decided, c, 2, p, &stats, 0);
	assert_int_equal(stats.screens, 1);
	assert_true(decided[0]);
	/* the fix passes there: double(3) computed again, not 4 from the run before */
	assert_false(decided[1]);
	for (i = 0; i < 2; i++) {
		validation_release(&v[i]);
		change_release(&c[i]);
	}
}

/* a target whose failure changes when it runs again in one process: no test run decides */
static void validate__a_target_that_keeps_state_lets_the_screen_decide_nothing(void **state)
{
	struct project *p = *state;
	struct change c[2] = { CHANGE_INIT, CHANGE_INIT };
	struct pytest_worker_stats stats;
	struct validation v[2];
	int decided[2];
	size_t i;

	write_file(p->dir.ptr, "tests/test_lib.py",
		   "from lib import double\n"
		   "\n"
		   "SEEN = []\n"
		   "\n"
		   "\n"
		   "def test_double_three():\n"
		   "    SEEN.append(1)\n"
		   "    assert double(3) == 6, len(SEEN)\n");
	update(&c[0], "lib.py", "    return x + 2\n", "    return x + 1\n");
	update(&c[1], "lib.py", "    return x + 2\n", "    return x +\n");
	screen(v, decided, c, 2, p, &stats, 0);
	assert_int_equal(stats.screens, 1);
	/* the syntax gate still decides; the failing candidate is left to runs of its own */
	assert_true(decided[1]);
	assert_string_equal(attempt_gate_name(v[1].gate), "syntax");
	assert_false(decided[0]);
	assert_int_equal(v[0].gate, ATTEMPT_GATE_NONE);
	for (i = 0; i < 2; i++) {
		validation_release(&v[i]);
		change_release(&c[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(validate__a_real_fix_passes_and_fixes_the_other_failure_too, setup, teardown),
		cmocka_unit_test_setup_teardown(validate__target_gate_names_the_error, setup, teardown),
		cmocka_unit_test_setup_teardown(validate__regression_gate_names_the_broken_test, setup, teardown),
		cmocka_unit_test_setup_teardown(validate__syntax_gate, setup, teardown),
		cmocka_unit_test_setup_teardown(validate__test_files_are_left_alone_by_default, setup, teardown),
		cmocka_unit_test_setup_teardown(validate__deleting_an_assert_is_refused_even_when_allowed, setup, teardown),
		cmocka_unit_test_setup_teardown(validate__a_new_skip_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(validate__escaping_paths_fail_at_apply, setup, teardown),
		cmocka_unit_test_setup_teardown(validate__a_new_file_is_removed_afterwards, setup, teardown),
		cmocka_unit_test_setup_teardown(validate__a_conftest_hook_is_refused_and_fools_no_gate, setup, teardown),
		cmocka_unit_test_setup_teardown(validate__a_flaky_test_does_not_reject_the_fix, setup, teardown),
		cmocka_unit_test_setup_teardown(validate__a_deleted_file_is_judged_as_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(validate__the_screen_decides_what_fails_and_leaves_the_rest, setup, teardown),
		cmocka_unit_test_setup_teardown(validate__a_target_that_keeps_state_lets_the_screen_decide_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(validate__an_address_in_the_message_does_not_stop_the_screen, setup, teardown),
		cmocka_unit_test_setup_teardown(validate__the_screen_clears_the_caches_of_what_it_patches, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
