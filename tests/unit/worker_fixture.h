#ifndef TESTS_WORKER_FIXTURE_H
#define TESTS_WORKER_FIXTURE_H

/*
 * The fix worker's tests' fixture: a project with a bug the built-in
 * engine fixes (interest taken off instead of added), on branch "feature"
 * of a bare repository (git_server.h), and a request for job JOB_ID on
 * it in commit mode. Included after git_server.h and serve/worker.h.
 */

#define PYTEST_CMD "/usr/bin/python3 -m pytest"
#define FAKE_GITHUB FIXTURES_DIR "/../fakes/fake_github.py"
#define TARGET "tests/test_money.py::test_add_interest"
#define JOB_ID 42

/* interest is taken off instead of added: the built-in engine swaps the operator */
static const char *const project[] = {
	"money.py",
	"def add_interest(amount, rate):\n"
	"    return amount - amount * rate\n"
	"\n"
	"\n"
	"def fee(amount):\n"
	"    return amount * 0.01\n",
	"tests/test_money.py",
	"import pytest\n"
	"\n"
	"from money import add_interest, fee\n"
	"\n"
	"\n"
	"def test_add_interest():\n"
	"    assert add_interest(100, 0.1) == pytest.approx(110)\n"
	"\n"
	"\n"
	"def test_fee():\n"
	"    assert fee(100) == pytest.approx(1)\n",
	"pytest.ini", "[pytest]\n",
	NULL,
};

struct fixture {
	struct git_server srv;
	char head[41];
	struct buf work;              /* the worker's parent directory */
	struct strvec tests, lint;
	struct worker_request req;
	struct worker_result res;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct worker_request req = { 0 };
	struct fix_options fo = FIX_OPTIONS_INIT;
	struct worker_result res = WORKER_RESULT_INIT;

	git_server_init(&f->srv, "calc", "feature", project, f->head);
	buf_init(&f->work, 0);
	buf_addf(&f->work, "%s/jobs", f->srv.dir.ptr);
	strvec_init(&f->tests);
	strvec_init(&f->lint);
	strvec_push(&f->tests, TARGET);
	fo.engine = "builtin";
	fo.pytest_cmd = PYTEST_CMD;
	fo.jobs = 1;
	fo.verify_runs = 0;
	fo.test_timeout = 60;
	req.clone_url = f->srv.bare.ptr;
	req.repository = "acme/calc";
	req.head_sha = f->head;
	req.head_branch = "feature";
	req.pull_request = 5;
	req.tests = &f->tests;
	req.push = SERVE_PUSH_COMMIT;
	req.lint = &f->lint;
	req.max_attempts = 2;
	req.fix = fo;
	req.work_parent = f->work.ptr;
	req.job_id = JOB_ID;
	f->req = req;
	f->res = res;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	worker_result_release(&f->res);
	git_server_release(&f->srv);
	buf_release(&f->work);
	strvec_clear(&f->tests);
	strvec_clear(&f->lint);
	free(f);
	return 0;
}

/* the worker's parent directory holds nothing any more */
static void assert_no_work_left(const struct fixture *f)
{
	DIR *d = opendir(f->work.ptr);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			fail_msg("left behind: %s/%s", f->work.ptr, de->d_name);
	closedir(d);
}

/* `what` of the bare repository (a "git show" / "rev-parse" argument) into `out` */
static void git_in_bare(struct buf *out, struct fixture *f, const char *cmd, const char *what)
{
	assert_int_equal(git_server_git(out, f->srv.bare.ptr, cmd, what, NULL), 0);
}

static void assert_fixed_commit(struct fixture *f, const char *commit)
{
	struct buf got = BUF_INIT, spec = BUF_INIT;

	buf_addf(&spec, "%s^", commit);
	git_in_bare(&got, f, "rev-parse", spec.ptr);
	assert_string_equal(got.ptr, f->head);
	buf_reset(&spec);
	buf_addf(&spec, "%s:money.py", commit);
	git_in_bare(&got, f, "show", spec.ptr);
	assert_non_null(strstr(got.ptr, "return amount + amount * rate"));
	buf_reset(&spec);
	buf_addf(&spec, "--format=%%B");
	assert_int_equal(git_server_git(&got, f->srv.bare.ptr, "log", "-1", spec.ptr, commit, NULL), 0);
	assert_non_null(strstr(got.ptr, "Fix failing test: " TARGET));
	assert_non_null(strstr(got.ptr, "\n" WORKER_TRAILER ": 42"));
	/* one commit: nothing of the fix loop's own branches went along */
	buf_reset(&spec);
	buf_addf(&spec, "%s..%s", f->head, commit);
	assert_int_equal(git_server_git(&got, f->srv.bare.ptr, "rev-list", "--count", spec.ptr,
					NULL), 0);
	assert_string_equal(got.ptr, "1");
	buf_release(&got);
	buf_release(&spec);
}


/* run `tests` with git isolated from the user's configuration */
static int worker_tests_run(const char *name, const struct CMUnitTest *tests, size_t n)
{
	struct buf home = BUF_INIT;
	int rc;

	git_server_isolate(&home);
	rc = _cmocka_run_group_tests(name, tests, n, NULL, NULL);
	fs_remove_tree(home.ptr);
	buf_release(&home);
	secret_clear();
	return rc;
}

#endif
