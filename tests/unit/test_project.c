/* The project handle (src/project/project.c): root, repository, store, state paths, source rule, pytest memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "project/project.h"
#include "runner/pytest.h"
#include "store/store.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strvec.h"
#include "vcs/vcs.h"

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#define SYSTEM_PYTHON "/usr/bin/python3"

static void write_file(const char *dir, const char *rel, const char *text, mode_t mode)
{
	struct buf path = BUF_INIT;
	char *slash;

	buf_addf(&path, "%s/%s", dir, rel);
	slash = strrchr(path.ptr, '/');
	*slash = '\0';
	assert_int_equal(fs_mkdir_p(path.ptr, 0755), 0);
	*slash = '/';
	assert_int_equal(fs_write_atomic(path.ptr, text, strlen(text), mode), 0);
	buf_release(&path);
}

/* a new directory, symlink-free (project roots are) */
static void temp_dir(struct buf *out, const char *prefix)
{
	struct buf made = BUF_INIT;
	assert_int_equal(fs_mkdtemp(&made, prefix), 0);
	assert_int_equal(fs_realpath(out, made.ptr), 0);
	buf_release(&made);
}

static void git_init(const char *dir)
{
	struct buf cmd = BUF_INIT;
	buf_addf(&cmd, "git init -q '%s'", dir);
	assert_int_equal(system(cmd.ptr), 0);
	buf_release(&cmd);
}

/* ---- the paths under .pytest-fixer/ ------------------------------------------------------ */

static void project__state_paths_are_spelled_in_one_place(void **state)
{
	static const struct {
		enum project_file what;
		const char *id, *want;
	} cases[] = {
		{ PROJECT_STATE_DIR, NULL, "/r/.pytest-fixer" },
		{ PROJECT_DATABASE, NULL, "/r/.pytest-fixer/state.db" },
		{ PROJECT_LOCK, NULL, "/r/.pytest-fixer/fix.lock" },
		{ PROJECT_APPLY_JOURNAL, NULL, "/r/.pytest-fixer/apply-journal" },
		{ PROJECT_SESSION_LOCKS, NULL, "/r/.pytest-fixer/locks" },
		{ PROJECT_SESSION_LOCK, "s1", "/r/.pytest-fixer/locks/s1.lock" },
		{ PROJECT_WORKTREES, "s1", "/r/.pytest-fixer/worktrees/s1" },
		{ PROJECT_REPORT, NULL, "/r/.pytest-fixer/reports" },
		{ PROJECT_REPORT, "s1", "/r/.pytest-fixer/reports/s1.md" },
		{ PROJECT_REPRO, NULL, "/r/.pytest-fixer/repro" },
	};
	struct buf out = BUF_INIT;
	size_t i;

	buf_adds(&out, "left over");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		project_state_path(&out, "/r", cases[i].what, cases[i].id);
		assert_string_equal(out.ptr, cases[i].want);
	}
	/* the name edit/ refuses to touch is the same directory */
	project_state_path(&out, "/r", PROJECT_STATE_DIR, NULL);
	assert_string_equal(out.ptr, "/r/" EDIT_STATE_DIR);
	buf_release(&out);
}

/* ---- the one rule for what is project source ---------------------------------------------- */

static void project__source_rule(void **state)
{
	static const char *const vendor[] = { ".venv", ".git", ".tox", ".pytest-fixer", ".pytest_cache",
					      "venv", "site-packages", "dist-packages", "node_modules",
					      "__pycache__" };
	static const char *const own[] = { "src", "pkg", "tests", "build", "venvs", "x.py", ".", "..",
					   "site", "_pycache" };
	size_t i;

	for (i = 0; i < sizeof(vendor) / sizeof(vendor[0]); i++)
		assert_true(project_dir_is_vendor(vendor[i], strlen(vendor[i])));
	for (i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		assert_false(project_dir_is_vendor(own[i], strlen(own[i])));
	/* only the given length counts: "venv" of "venvs" is not a component */
	assert_true(project_dir_is_vendor("venvs", 4));

	assert_true(project_path_is_source("calc.py"));
	assert_true(project_path_is_source("src/pkg/calc.py"));
	assert_true(project_path_is_source("tests/test_calc.py"));
	assert_true(project_path_is_source(".hidden.py"));   /* a file, not a directory */
	assert_false(project_path_is_source(".venv/lib/python3.12/site-packages/x/y.py"));
	assert_false(project_path_is_source("lib/site-packages/x.py"));
	assert_false(project_path_is_source("venv/bin/x.py"));
	assert_false(project_path_is_source("a/.tox/py/x.py"));
	assert_false(project_path_is_source("pkg/__pycache__/calc.cpython-312.pyc"));
	assert_false(project_path_is_source("web/node_modules/m/index.js"));
}

static void project__vendor_dirs_are_the_top_level_directories_the_rule_names(void **state)
{
	struct buf root = BUF_INIT;
	struct strvec dirs = STRVEC_INIT;

	temp_dir(&root, "project-vendor");
	write_file(root.ptr, ".venv/bin/python", "", 0755);
	write_file(root.ptr, "venv/x", "", 0644);
	write_file(root.ptr, "__pycache__/a.pyc", "", 0644);
	write_file(root.ptr, "src/venv/x", "", 0644);        /* not top level */
	write_file(root.ptr, ".coveragerc", "", 0644);       /* a file: copied */
	write_file(root.ptr, "calc.py", "", 0644);
	project_vendor_dirs(&dirs, root.ptr);
	assert_int_equal(dirs.nr, 3);
	assert_true(strvec_find(&dirs, ".venv") >= 0);
	assert_true(strvec_find(&dirs, "venv") >= 0);
	assert_true(strvec_find(&dirs, "__pycache__") >= 0);
	strvec_clear(&dirs);
	fs_remove_tree(root.ptr);
	buf_release(&root);
}

/* ---- root, repository, store ---------------------------------------------------------------- */

static void project__outside_git_the_directory_is_the_root(void **state)
{
	struct buf root = BUF_INIT, db = BUF_INIT;
	struct project *p = NULL;
	struct store *st = NULL, *again = NULL;

	temp_dir(&root, "project-plain");
	assert_int_equal(project_open(&p, root.ptr), 0);
	assert_string_equal(p->root, root.ptr);
	assert_null(p->repo);
	assert_null(pytest_choice_text(p->pytest));

	/* no session ever ran: nothing is created by asking */
	assert_int_equal(project_store(&st, p, 0), ERR_NOTFOUND);
	assert_null(st);
	assert_non_null(strstr(error_last(), "no pytest-fixer session was run in '"));
	project_state_path(&db, p->root, PROJECT_STATE_DIR, NULL);
	assert_false(fs_is_dir(db.ptr));

	/* created when asked, then the same store on every call */
	assert_int_equal(project_store(&st, p, 1), 0);
	assert_non_null(st);
	project_state_path(&db, p->root, PROJECT_DATABASE, NULL);
	assert_true(fs_is_file(db.ptr));
	assert_int_equal(project_store(&again, p, 0), 0);
	assert_ptr_equal(again, st);
	project_free(p);

	/* a later process finds it */
	assert_int_equal(project_open(&p, root.ptr), 0);
	assert_int_equal(project_store(&st, p, 0), 0);
	project_free(p);
	project_free(NULL);
	fs_remove_tree(root.ptr);
	buf_release(&root);
	buf_release(&db);
}

static void project__in_git_the_work_tree_is_the_root(void **state)
{
	struct buf root = BUF_INIT, sub = BUF_INIT, exclude = BUF_INIT, text = BUF_INIT;
	struct project *p = NULL;
	struct store *st = NULL;

	temp_dir(&root, "project-git");
	git_init(root.ptr);
	buf_addf(&sub, "%s/pkg/inner", root.ptr);
	assert_int_equal(fs_mkdir_p(sub.ptr, 0755), 0);
	assert_int_equal(project_open(&p, sub.ptr), 0);
	assert_string_equal(p->root, root.ptr);
	assert_non_null(p->repo);
	assert_string_equal(vcs_workdir(p->repo), root.ptr);

	/* creating the store puts the state directory in info/exclude */
	buf_addf(&exclude, "%s/.git/info/exclude", root.ptr);
	assert_int_equal(project_store(&st, p, 1), 0);
	assert_int_equal(fs_read_file(&text, exclude.ptr, 0), 0);
	assert_non_null(strstr(text.ptr, "/" EDIT_STATE_DIR "/\n"));
	project_free(p);
	fs_remove_tree(root.ptr);
	buf_release(&root);
	buf_release(&sub);
	buf_release(&exclude);
	buf_release(&text);
}

/* ---- the pytest command is remembered per project ---------------------------------------- */

/* a project whose .venv python is a wrapper writing "run\n" to <dir>/used.log at each use */
#define USE_MARK "run\n"

static void venv_project(struct buf *root, const char *prefix)
{
	temp_dir(root, prefix);
	write_file(root->ptr, ".venv/bin/python",
		   "#!/bin/sh\n"
		   "printf '" USE_MARK "' >> \"$(dirname \"$0\")/../../used.log\"\n"
		   "exec " SYSTEM_PYTHON " \"$@\"\n", 0755);
	write_file(root->ptr, "test_ok.py", "def test_ok():\n    pass\n", 0644);
}

/* two of them, with nothing in the environment naming another pytest */
static void venv_projects(struct buf *a, struct buf *b)
{
	unsetenv(PYTEST_ENV_COMMAND);
	unsetenv("VIRTUAL_ENV");
	venv_project(a, "project-a");
	venv_project(b, "project-b");
}

static size_t uses(const char *root)
{
	struct buf path = BUF_INIT;
	struct stat st;
	size_t n;

	buf_addf(&path, "%s/used.log", root);
	n = stat(path.ptr, &st) == 0 ? (size_t)st.st_size / strlen(USE_MARK) : 0;
	buf_release(&path);
	return n;
}

/* one passing run of pytest in `dir`, with the memory `choice` (NULL: none) */
static void run_in(struct pytest_choice *choice, const char *dir)
{
	struct pytest_options po = PYTEST_OPTIONS_INIT;
	struct test_result res = TEST_RESULT_INIT;

	po.root = dir;
	po.choice = choice;
	assert_int_equal(pytest_run(&res, &po), 0);
	assert_int_equal(res.summary.passed, 1);
	test_result_release(&res);
}

static void project__two_projects_keep_their_own_pytest(void **state)
{
	struct buf a = BUF_INIT, b = BUF_INIT, want = BUF_INIT;
	struct project *pa = NULL, *pb = NULL;
	struct strvec words = STRVEC_INIT;
	struct pytest_options po = PYTEST_OPTIONS_INIT;

	venv_projects(&a, &b);
	assert_int_equal(project_open(&pa, a.ptr), 0);
	assert_int_equal(project_open(&pb, b.ptr), 0);

	run_in(pa->pytest, a.ptr);
	buf_addf(&want, "%s/.venv/bin/python -m pytest", a.ptr);
	assert_string_equal(pytest_choice_text(pa->pytest), want.ptr);
	/* B, in the same process, finds its own virtualenv, not A's */
	assert_null(pytest_choice_text(pb->pytest));
	run_in(pb->pytest, b.ptr);
	buf_reset(&want);
	buf_addf(&want, "%s/.venv/bin/python -m pytest", b.ptr);
	assert_string_equal(pytest_choice_text(pb->pytest), want.ptr);
	assert_int_equal(uses(b.ptr), 1);

	/* each remembers its own: A's command even where B's virtualenv would be found */
	run_in(pa->pytest, b.ptr);
	assert_int_equal(uses(b.ptr), 1);
	assert_int_equal(uses(a.ptr), 2);
	po.root = a.ptr;
	po.choice = pb->pytest;
	assert_int_equal(pytest_resolve_command(&words, &po), 0);
	buf_reset(&want);
	buf_addf(&want, "%s/.venv/bin/python", b.ptr);
	assert_string_equal(words.v[0], want.ptr);

	project_free(pa);
	project_free(pb);
	strvec_clear(&words);
	fs_remove_tree(a.ptr);
	fs_remove_tree(b.ptr);
	buf_release(&a);
	buf_release(&b);
	buf_release(&want);
}

static void project__without_a_choice_every_run_searches(void **state)
{
	struct buf a = BUF_INIT, b = BUF_INIT;

	venv_projects(&a, &b);
	run_in(NULL, a.ptr);
	run_in(NULL, b.ptr);
	assert_int_equal(uses(a.ptr), 1);
	assert_int_equal(uses(b.ptr), 1);
	fs_remove_tree(a.ptr);
	fs_remove_tree(b.ptr);
	buf_release(&a);
	buf_release(&b);
}

/* the project's own .py files, in name order, no vendor directory, no symlink followed, capped */
static void project__python_files_are_the_projects_own(void **state)
{
	struct buf root = BUF_INIT, link = BUF_INIT;
	struct strvec got = STRVEC_INIT;

	(void)state;
	temp_dir(&root, "pyfiles");
	write_file(root.ptr, "b.py", "", 0644);
	write_file(root.ptr, "a/z.py", "", 0644);
	write_file(root.ptr, "a/m.py", "", 0644);
	write_file(root.ptr, "a/notes.txt", "", 0644);
	write_file(root.ptr, "tests/test_b.py", "", 0644);
	write_file(root.ptr, ".venv/lib/x.py", "", 0644);
	write_file(root.ptr, "a/__pycache__/m.py", "", 0644);
	write_file(root.ptr, "node_modules/n.py", "", 0644);
	buf_addf(&link, "%s/linked", root.ptr);
	assert_int_equal(symlink("a", link.ptr), 0);
	project_python_files(&got, root.ptr, 100);
	assert_int_equal(got.nr, 4);
	assert_string_equal(got.v[0], "a/m.py");
	assert_string_equal(got.v[1], "a/z.py");
	assert_string_equal(got.v[2], "b.py");
	assert_string_equal(got.v[3], "tests/test_b.py");
	strvec_clear(&got);
	project_python_files(&got, root.ptr, 2);
	assert_int_equal(got.nr, 2);
	strvec_clear(&got);
	fs_remove_tree(root.ptr);
	buf_release(&root);
	buf_release(&link);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(project__state_paths_are_spelled_in_one_place),
		cmocka_unit_test(project__source_rule),
		cmocka_unit_test(project__python_files_are_the_projects_own),
		cmocka_unit_test(project__vendor_dirs_are_the_top_level_directories_the_rule_names),
		cmocka_unit_test(project__outside_git_the_directory_is_the_root),
		cmocka_unit_test(project__in_git_the_work_tree_is_the_root),
		cmocka_unit_test(project__two_projects_keep_their_own_pytest),
		cmocka_unit_test(project__without_a_choice_every_run_searches),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
