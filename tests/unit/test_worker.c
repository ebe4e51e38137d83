/* The warm test worker (src/runner/worker.c, the warm path of pytest.c), with real pytest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "runner/pytest.h"
#include "runner/worker.h"
#include "runner/worker_state.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strvec.h"

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PYTEST_CMD "/usr/bin/python3 -m pytest"
#define TEST_TIMEOUT 20.0

static const char calc_py[] =
	"def add(a, b):\n"
	"    return a + b\n"
	"\n"
	"\n"
	"def spin(n):\n"
	"    return n\n";

/* a function that runs while the module is imported */
static const char consts_py[] =
	"def base():\n"
	"    return 2\n"
	"\n"
	"\n"
	"BASE = base()\n";

static const char test_calc_py[] =
	"import pytest\n"
	"from calc import add, spin\n"
	"from consts import BASE\n"
	"\n"
	"\n"
	"@pytest.fixture\n"
	"def broken():\n"
	"    raise RuntimeError('no setup')\n"
	"\n"
	"\n"
	"def test_add():\n"
	"    assert add(1, 2) == 3\n"
	"\n"
	"\n"
	"def test_wrong():\n"
	"    assert add(1, 1) == 3\n"
	"\n"
	"\n"
	"def test_raises():\n"
	"    raise KeyError('boom')\n"
	"\n"
	"\n"
	"def test_setup(broken):\n"
	"    pass\n"
	"\n"
	"\n"
	"@pytest.mark.parametrize('n', [1, 2])\n"
	"def test_spin(n):\n"
	"    assert spin(n) == n\n"
	"\n"
	"\n"
	"def test_base():\n"
	"    assert BASE == 2\n";

struct project {
	struct buf dir;
	struct pytest_worker *w;
};

static void put(const struct project *p, const char *name, const char *text)
{
	struct buf path = BUF_INIT;
	buf_addf(&path, "%s/%s", p->dir.ptr, name);
	assert_int_equal(fs_write_atomic(path.ptr, text, strlen(text), 0644), 0);
	buf_release(&path);
}

static int setup(void **state)
{
	struct project *p = calloc(1, sizeof(*p));
	struct pytest_worker_options o = { 0 };

	buf_init(&p->dir, 0);
	assert_int_equal(fs_mkdtemp(&p->dir, "test-worker"), 0);
	put(p, "calc.py", calc_py);
	put(p, "consts.py", consts_py);
	put(p, "test_calc.py", test_calc_py);
	o.root = p->dir.ptr;
	o.command = PYTEST_CMD;
	o.test_timeout = TEST_TIMEOUT;
	if (pytest_worker_start(&p->w, &o) < 0)
		fail_msg("cannot start: %s", error_last());
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	struct project *p = *state;
	pytest_worker_stop(p->w);
	fs_remove_tree(p->dir.ptr);
	buf_release(&p->dir);
	free(p);
	return 0;
}

/* pytest_run() of `ids` (NULL-terminated), through the worker when `warm` */
static void run(struct test_result *res, const struct project *p, int warm, const char *const *ids)
{
	struct pytest_options o = PYTEST_OPTIONS_INIT;
	struct strvec paths = STRVEC_INIT;

	strvec_pushv(&paths, ids);
	o.root = p->dir.ptr;
	o.command = PYTEST_CMD;
	o.paths = &paths;
	o.every_test = 1;
	o.test_timeout = TEST_TIMEOUT;
	o.worker = warm ? p->w : NULL;
	test_result_init(res);
	if (pytest_run(res, &o) < 0)
		fail_msg("pytest_run: %s", error_last());
	strvec_clear(&paths);
}

static const struct failure *find(struct test_result *res, const char *id)
{
	const struct failure *f = test_result_find(res, id);
	if (!f)
		fail_msg("no failure for '%s'", id);
	return f;
}

static struct pytest_worker_stats stats(const struct project *p)
{
	struct pytest_worker_stats s;
	pytest_worker_stats(&s, p->w);
	return s;
}

static const char *const all_ids[] = { "test_calc.py", NULL };

static void worker__same_verdicts_as_a_fresh_run(void **state)
{
	struct project *p = *state;
	struct test_result warm, fresh;
	size_t i;

	run(&warm, p, 1, all_ids);
	run(&fresh, p, 0, all_ids);
	assert_int_equal(stats(p).warm, 1);
	assert_int_equal(stats(p).fallback, 0);
	assert_int_equal(warm.summary.total, 7);
	assert_int_equal(warm.summary.total, fresh.summary.total);
	assert_int_equal(warm.summary.passed, fresh.summary.passed);
	assert_int_equal(warm.summary.failed, fresh.summary.failed);
	assert_int_equal(warm.summary.errors, fresh.summary.errors);
	assert_int_equal(warm.nr_failures, 3);
	assert_int_equal(warm.nr_failures, fresh.nr_failures);
	for (i = 0; i < fresh.nr_failures; i++) {
		const struct failure *a = find(&warm, fresh.failures[i].id);
		const struct failure *b = &fresh.failures[i];
		assert_int_equal(a->kind, b->kind);
		assert_string_equal(a->error_type, b->error_type);
		assert_string_equal(a->message, b->message);
		assert_int_equal(a->loc_line, b->loc_line);
	}
	assert_string_equal(find(&warm, "test_calc.py::test_raises")->error_type, "KeyError");
	assert_int_equal(find(&warm, "test_calc.py::test_setup")->kind, FAILURE_KIND_ERROR);
	test_result_release(&warm);
	test_result_release(&fresh);
}

static void worker__a_changed_body_is_patched_in(void **state)
{
	struct project *p = *state;
	static const char *const ids[] = { "test_calc.py::test_add", "test_calc.py::test_wrong", NULL };
	struct test_result res;

	/* one line more: the functions below it move, and are patched too */
	put(p, "calc.py", "def add(a, b):\n    c = a * b\n    return c\n\n\ndef spin(n):\n"
	    "    raise ValueError(n)\n");
	run(&res, p, 1, ids);
	assert_int_equal(stats(p).warm, 1);
	assert_int_equal(stats(p).fallback, 0);
	/* 1 * 2 == 2 fails test_add; 1 * 1 == 1 still fails test_wrong */
	assert_int_equal(res.summary.failed, 2);
	assert_int_equal(find(&res, "test_calc.py::test_add")->loc_line, 12);
	test_result_release(&res);

	run(&res, p, 1, (const char *const[]){ "test_calc.py::test_spin", NULL });
	assert_int_equal(res.summary.failed, 2);
	assert_string_equal(find(&res, "test_calc.py::test_spin[1]")->error_type, "ValueError");
	/* the frame in calc.py has the line of the new source */
	{
		const struct failure *f = find(&res, "test_calc.py::test_spin[2]");
		assert_string_equal(f->loc_file, "calc.py");
		assert_int_equal(f->loc_line, 7);
	}
	test_result_release(&res);

	put(p, "calc.py", calc_py);
	run(&res, p, 1, ids);
	assert_int_equal(res.summary.passed, 1);
	assert_int_equal(stats(p).warm, 3);
	test_result_release(&res);
}

static void worker__a_module_level_change_falls_back(void **state)
{
	struct project *p = *state;
	static const char *const ids[] = { "test_calc.py::test_add", NULL };
	struct test_result res;

	put(p, "calc.py", "OFFSET = 1\n\n\ndef add(a, b):\n    return a + b + OFFSET\n\n\n"
	    "def spin(n):\n    return n\n");
	run(&res, p, 1, ids);
	assert_int_equal(stats(p).fallback, 1);
	assert_int_equal(stats(p).warm, 0);
	assert_int_equal(res.summary.failed, 1);
	test_result_release(&res);

	/* a decorator is module level too */
	put(p, "calc.py", "import functools\n\n\n@functools.lru_cache()\ndef add(a, b):\n"
	    "    return a + b\n\n\ndef spin(n):\n    return n\n");
	run(&res, p, 1, ids);
	assert_int_equal(stats(p).fallback, 2);
	assert_int_equal(res.summary.passed, 1);
	test_result_release(&res);

	/* a body, but one that ran at import: what it computed then is stale */
	put(p, "consts.py", "def base():\n    return 3\n\n\nBASE = base()\n");
	run(&res, p, 1, (const char *const[]){ "test_calc.py::test_base", NULL });
	assert_int_equal(stats(p).fallback, 3);
	assert_int_equal(res.summary.failed, 1);
	test_result_release(&res);
}

/*
 * A module rewritten at the same size within the same second: Python's
 * cached bytecode (checked by whole-second mtime and size) would run the
 * old code; pytest_drop_bytecode() removes it.
 */
static void worker__dropped_bytecode_runs_the_new_text(void **state)
{
	struct project *p = *state;
	struct test_result res;
	struct buf path = BUF_INIT, pyc = BUF_INIT;
	struct stat st;
	struct timespec times[2];
	static const char *const ids[] = { "test_base.py", NULL };

	unsetenv("PYTHONDONTWRITEBYTECODE");
	put(p, "base.py", "def base():\n    return 2\n");
	put(p, "test_base.py", "from base import base\n\n\ndef test_base():\n    assert base() == 2\n");
	buf_addf(&path, "%s/base.py", p->dir.ptr);
	assert_int_equal(stat(path.ptr, &st), 0);
	run(&res, p, 0, ids);
	assert_int_equal(res.nr_failures, 0);
	test_result_release(&res);
	buf_addf(&pyc, "%s/__pycache__", p->dir.ptr);
	assert_true(fs_is_dir(pyc.ptr));
	/* another text of the same size and mtime */
	put(p, "base.py", "def base():\n    return 3\n");
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	assert_int_equal(utimensat(AT_FDCWD, path.ptr, times, 0), 0);
	pytest_drop_bytecode(p->dir.ptr, "base.py");
	run(&res, p, 0, ids);
	assert_int_equal(res.nr_failures, 1);
	test_result_release(&res);
	buf_release(&path);
	buf_release(&pyc);
}

static void worker__a_looping_mutant_is_killed_at_its_limit(void **state)
{
	struct project *p = *state;
	static const char *const ids[] = {
		"test_calc.py::test_spin", "test_calc.py::test_add", NULL
	};
	struct test_result res;

	run(&res, p, 1, ids);   /* the durations are measured */
	assert_int_equal(res.summary.passed, 3);
	test_result_release(&res);

	put(p, "calc.py", "def add(a, b):\n    return a + b\n\n\ndef spin(n):\n"
	    "    while n:\n        pass\n");
	run(&res, p, 1, ids);
	assert_int_equal(stats(p).killed, 2);   /* each parameter set hangs */
	assert_int_equal(stats(p).warm, 2);
	assert_int_equal(stats(p).fallback, 0);
	assert_string_equal(find(&res, "test_calc.py::test_spin[1]")->error_type, "Timeout");
	assert_string_equal(find(&res, "test_calc.py::test_spin[2]")->error_type, "Timeout");
	/* the run went on after them */
	assert_int_equal(res.summary.passed, 1);
	assert_int_equal(res.summary.total, 3);
	test_result_release(&res);
}

static void worker__an_id_it_did_not_collect_falls_back(void **state)
{
	struct project *p = *state;
	struct test_result res;

	put(p, "test_new.py", "def test_new():\n    assert False\n");
	run(&res, p, 1, (const char *const[]){ "test_new.py::test_new", NULL });
	assert_int_equal(stats(p).fallback, 1);
	assert_int_equal(res.summary.failed, 1);
	test_result_release(&res);
	/* and it is still used for the others */
	run(&res, p, 1, (const char *const[]){ "test_calc.py::test_add", NULL });
	assert_int_equal(stats(p).warm, 1);
	assert_int_equal(res.summary.passed, 1);
	test_result_release(&res);
}

static void worker__a_killed_worker_is_replaced_by_fresh_runs(void **state)
{
	struct project *p = *state;
	static const char *const ids[] = { "test_calc.py::test_wrong", NULL };
	struct test_result res;

	run(&res, p, 1, ids);
	test_result_release(&res);
	assert_int_equal(kill(p->w->child.pid, SIGKILL), 0);
	run(&res, p, 1, ids);
	assert_int_equal(res.summary.failed, 1);
	assert_int_equal(stats(p).fallback, 1);
	test_result_release(&res);
	run(&res, p, 1, ids);
	assert_int_equal(res.summary.failed, 1);
	assert_int_equal(stats(p).fallback, 2);
	assert_int_equal(stats(p).warm, 1);
	test_result_release(&res);
}

static void worker__stopping_leaves_no_process(void **state)
{
	struct project *p = *state;
	struct test_result res;
	pid_t pid = p->w->child.pid;

	run(&res, p, 1, all_ids);
	test_result_release(&res);
	assert_int_equal(killpg(pid, 0), 0);
	pytest_worker_stop(p->w);
	p->w = NULL;
	assert_int_equal(killpg(pid, 0), -1);
	assert_int_equal(errno, ESRCH);
}

/* spawned, it collects while the caller goes on; runs go to fresh processes until it is ready */
static void worker__spawned_it_serves_once_ready(void **state)
{
	struct project *p = *state;
	struct pytest_worker_options o = { 0 };
	struct pytest_worker *w = NULL;
	struct pytest_worker *started = p->w;
	static const char *const ids[] = { "test_calc.py::test_wrong", NULL };
	struct test_result res;
	int r;

	o.root = p->dir.ptr;
	o.command = PYTEST_CMD;
	o.test_timeout = TEST_TIMEOUT;
	assert_int_equal(pytest_worker_spawn(&w, &o), 0);
	assert_non_null(w);
	/* pytest cannot have imported itself yet */
	assert_int_equal(pytest_worker_ready(w, 0), 0);
	p->w = w;
	run(&res, p, 1, ids);
	assert_int_equal(res.summary.failed, 1);
	assert_int_equal(stats(p).fallback, 1);
	assert_int_equal(stats(p).warm, 0);
	test_result_release(&res);
	while ((r = pytest_worker_ready(w, 0)) == 0)
		usleep(10000);
	assert_int_equal(r, 1);
	assert_int_equal(pytest_worker_ready(w, 1), 1);
	run(&res, p, 1, ids);
	assert_int_equal(res.summary.failed, 1);
	assert_int_equal(stats(p).warm, 1);
	test_result_release(&res);
	pytest_worker_stop(w);
	p->w = started;
}

/* a worker whose pytest stops before it collects says why, at once or when asked again */
static void worker__a_worker_that_cannot_collect_says_why(void **state)
{
	struct project *p = *state;
	struct pytest_worker_options o = { 0 };
	struct pytest_worker *w = NULL;
	struct strvec args = STRVEC_INIT;

	strvec_push(&args, "--no-such-option-here");
	o.root = p->dir.ptr;
	o.command = PYTEST_CMD;
	o.extra_args = &args;
	assert_int_equal(pytest_worker_spawn(&w, &o), 0);
	assert_true(pytest_worker_ready(w, 1) < 0);
	assert_non_null(strstr(error_last(), "cannot start a warm worker"));
	assert_non_null(strstr(error_last(), "--no-such-option-here"));
	error_clear();
	assert_true(pytest_worker_ready(w, 0) < 0);
	assert_non_null(strstr(error_last(), "--no-such-option-here"));
	pytest_worker_stop(w);
	strvec_clear(&args);
}

static void worker__a_command_that_is_not_python_is_refused(void **state)
{
	struct pytest_worker_options o = { 0 };
	struct pytest_worker *w = NULL;

	(void)state;
	o.root = ".";
	o.command = "/bin/sh -c true";
	assert_int_equal(pytest_worker_start(&w, &o), ERR_USAGE);
	assert_null(w);
	assert_non_null(strstr(error_last(), "'/bin/sh'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(worker__same_verdicts_as_a_fresh_run, setup, teardown),
		cmocka_unit_test_setup_teardown(worker__a_changed_body_is_patched_in, setup, teardown),
		cmocka_unit_test_setup_teardown(worker__dropped_bytecode_runs_the_new_text, setup, teardown),
		cmocka_unit_test_setup_teardown(worker__a_module_level_change_falls_back, setup,
						teardown),
		cmocka_unit_test_setup_teardown(worker__a_looping_mutant_is_killed_at_its_limit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(worker__an_id_it_did_not_collect_falls_back, setup,
						teardown),
		cmocka_unit_test_setup_teardown(worker__a_killed_worker_is_replaced_by_fresh_runs,
						setup, teardown),
		cmocka_unit_test_setup_teardown(worker__stopping_leaves_no_process, setup, teardown),
		cmocka_unit_test_setup_teardown(worker__spawned_it_serves_once_ready, setup, teardown),
		cmocka_unit_test_setup_teardown(worker__a_worker_that_cannot_collect_says_why, setup,
						teardown),
		cmocka_unit_test(worker__a_command_that_is_not_python_is_refused),
	};
	/* the project's sources are rewritten within a second: no stale bytecode */
	setenv("PYTHONDONTWRITEBYTECODE", "1", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
