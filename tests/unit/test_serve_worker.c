/*
 * The service's fix worker (src/serve/worker.c) on a real project with a
 * bug the built-in engine fixes, in a bare repository reached as a path or
 * over HTTP with Basic auth (tests/fakes/git_http.py), with real pytest and
 * git: reproduction, commit mode, conflicts, tokens, no bot loops.
 * test_serve_worker_pr.c has pull-request mode and the retry path.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine/engine.h"
#include "github/github.h"
#include "serve/worker.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/proc.h"
#include "util/secret.h"
#include "util/strvec.h"
#include "util/xalloc.h"

#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fake_server.h"
#include "git_server.h"
#include "worker_fixture.h"

/* ---- reproduction ---- */

static void worker__reproduce_tells_deterministic_from_flaky_and_finds_every_failure(void **state)
{
	struct fixture *f = *state;
	struct worker_repro r = WORKER_REPRO_INIT;

	char head[41];

	/* a test that fails every other run (runs 1 and 3 of 3) */
	git_server_commit(head, &f->srv, "feature", "tests/test_flaky.py",
			  "import pathlib\n"
			  "\n"
			  "\n"
			  "def test_flaky():\n"
			  "    p = pathlib.Path(__file__).with_name('runs')\n"
			  "    n = int(p.read_text()) if p.exists() else 0\n"
			  "    p.write_text(str(n + 1))\n"
			  "    assert n % 2 == 1\n", "a flaky test");
	f->req.head_sha = head;
	/* none named: the whole suite is run, its failures found, then run again */
	strvec_clear(&f->tests);
	assert_int_equal(worker_reproduce(&r, &f->req), 0);
	assert_int_equal(r.deterministic, 1);
	assert_int_equal(r.flaky, 1);
	assert_true(r.flaky_rate > 0.6 && r.flaky_rate < 0.7);
	assert_int_equal(r.not_reproduced, 0);
	assert_int_equal(r.failures.nr_failures, 2);
	assert_non_null(test_result_find(&r.failures, "tests/test_flaky.py::test_flaky"));
	assert_string_equal(test_result_find(&r.failures, TARGET)->error_type, "AssertionError");
	worker_repro_release(&r);
	assert_no_work_left(f);
}

static void worker__a_test_that_passes_here_is_not_reproduced_and_nothing_is_pushed(void **state)
{
	struct fixture *f = *state;
	char now[41];

	strvec_clear(&f->tests);
	strvec_push(&f->tests, "tests/test_money.py::test_fee");
	/* CI ran a test this commit does not have */
	strvec_push(&f->tests, "tests/test_gone.py::test_x");
	assert_int_equal(worker_fix(&f->res, &f->req), 0);
	assert_int_equal(f->res.status, WORKER_NOT_REPRODUCED);
	assert_string_equal(worker_status_name(f->res.status), "not_reproduced");
	assert_int_equal(f->res.attempts, 0);
	assert_int_equal(f->res.repro.not_reproduced, 2);
	assert_int_equal(f->res.repro.deterministic + f->res.repro.flaky, 0);
	git_server_head(now, &f->srv, "feature");
	assert_string_equal(now, f->head);
}

/* ---- commit mode ---- */

static void worker__commit_mode_over_https_pushes_one_commit_on_the_head(void **state)
{
	struct fixture *f = *state;
	struct buf check = BUF_INIT;
	json_t *reqs;
	char now[41], first[41];
	size_t i;

	git_server_start_http(&f->srv, GIT_SERVER_TOKEN);
	f->req.clone_url = f->srv.url;
	f->req.token = GIT_SERVER_TOKEN;
	/*
	 * A lint gate that passes only when the token is in no file of the
	 * job's private directory: the clone, its .git, the fix loop's state.
	 */
	buf_addf(&check, "sh -c '! grep -r -l -F %s ..'", GIT_SERVER_TOKEN);
	strvec_push(&f->lint, check.ptr);
	strvec_push(&f->lint, "/usr/bin/python3 -m pyflakes .");

	assert_int_equal(worker_fix(&f->res, &f->req), 0);
	assert_string_equal(worker_status_name(f->res.status), "fixed");
	assert_int_equal(f->res.attempts, 1);
	assert_int_equal(f->res.repro.deterministic, 1);
	assert_null(f->res.reason);
	assert_non_null(strstr(f->res.summary, TARGET));
	assert_string_equal(f->res.branch, "feature");
	git_server_head(now, &f->srv, "feature");
	assert_string_equal(now, f->res.commit);
	assert_fixed_commit(f, f->res.commit);
	assert_no_work_left(f);
	/* nor did it reach the server's repository (a commit, a ref) */
	assert_false(git_server_tree_holds(f->srv.dir.ptr, GIT_SERVER_TOKEN));
	/* every request carried the token the server expects, once it had asked */
	reqs = fake_requests(&f->srv.http);
	assert_true(json_array_size(reqs) > 2);
	for (i = 0; i < json_array_size(reqs); i++) {
		const char *auth = json_string_value(json_object_get(json_array_get(reqs, i), "auth"));
		assert_string_not_equal(auth, "other");
	}
	json_decref(reqs);

	/* the job again (its first run was killed before it could say so): not pushed twice */
	memcpy(first, f->res.commit, sizeof(first));
	worker_result_release(&f->res);
	assert_int_equal(worker_fix(&f->res, &f->req), 0);
	if (f->res.status != WORKER_FIXED)
		fail_msg("%s: %s", worker_status_name(f->res.status), f->res.reason);
	assert_string_equal(f->res.commit, first);
	assert_int_equal(f->res.attempts, 0);
	git_server_head(now, &f->srv, "feature");
	assert_string_equal(now, first);
	assert_no_work_left(f);
	buf_release(&check);
}

/* the job's lease, as the service would find it just before the push: someone else's now */
static int lease_taken(void *payload)
{
	int *asked = payload;

	(*asked)++;
	return -1;
}

static void worker__a_lease_lost_before_the_push_pushes_nothing(void **state)
{
	struct fixture *f = *state;
	struct buf got = BUF_INIT;
	char now[41];
	int asked = 0;

	f->req.before_push = lease_taken;
	f->req.payload = &asked;
	assert_int_equal(worker_fix(&f->res, &f->req), 0);
	assert_string_equal(worker_status_name(f->res.status), "lease_lost");
	assert_int_equal(asked, 1);
	assert_non_null(strstr(f->res.reason, "job 42: the job is no longer ours: not pushed"));
	assert_null(f->res.branch);
	assert_null(f->res.summary);
	/* the branch is as it was: the fix commit was made, and never reached the server */
	git_server_head(now, &f->srv, "feature");
	assert_string_equal(now, f->head);
	assert_true(f->res.commit[0]);
	assert_int_not_equal(git_server_git(&got, f->srv.bare.ptr, "cat-file", "-e", f->res.commit,
					    NULL), 0);
	assert_no_work_left(f);
	buf_release(&got);
}

static void worker__a_branch_that_moved_on_is_a_conflict_and_nothing_is_pushed(void **state)
{
	struct fixture *f = *state;
	struct buf move = BUF_INIT, got = BUF_INIT;
	char newer[41], now[41];

	/* someone's newer commit, made ready on another branch ... */
	git_server_commit(newer, &f->srv, "other", "README", "theirs\n", "theirs");
	/* ... lands on the PR's branch while the worker runs its lint gate */
	buf_addf(&move, "git --git-dir %s update-ref refs/heads/feature %s", f->srv.bare.ptr, newer);
	strvec_push(&f->lint, move.ptr);

	assert_int_equal(worker_fix(&f->res, &f->req), 0);
	assert_int_equal(f->res.status, WORKER_CONFLICT);
	assert_non_null(strstr(f->res.reason, "the branch 'feature' moved on"));
	assert_null(f->res.branch);
	git_server_head(now, &f->srv, "feature");
	assert_string_equal(now, newer);
	/* the fix commit was made, never pushed anywhere */
	assert_true(f->res.commit[0]);
	assert_int_equal(git_server_git(&got, f->srv.bare.ptr, "cat-file", "-e", f->res.commit,
					NULL) != 0, 1);
	assert_int_equal(git_server_git(&got, f->srv.bare.ptr, "for-each-ref", "refs/heads/pytest-fixer",
					NULL), 0);
	assert_string_equal(got.ptr, "");
	assert_no_work_left(f);
	buf_release(&move);
	buf_release(&got);
}

static void worker__a_wrong_token_is_a_clear_error_without_it(void **state)
{
	struct fixture *f = *state;
	const char *wrong = "ghs_not0the0token0the0server0wants";

	git_server_start_http(&f->srv, GIT_SERVER_TOKEN);
	f->req.clone_url = f->srv.url;
	f->req.token = wrong;
	assert_true(worker_fix(&f->res, &f->req) < 0);
	assert_int_equal(f->res.status, WORKER_ERROR);
	assert_non_null(strstr(f->res.reason, "authentication failed"));
	assert_non_null(strstr(f->res.reason, f->srv.url));
	assert_null(strstr(f->res.reason, wrong));
	assert_null(strstr(error_last(), wrong));
	assert_no_work_left(f);
}

static void worker__the_head_being_our_own_fix_is_not_fixed_again(void **state)
{
	struct fixture *f = *state;
	char ours[41], now[41];

	git_server_commit(ours, &f->srv, "feature", "README", "a fix\n",
			  "Fix failing test: x\n\n" WORKER_TRAILER ": 7");
	f->req.head_sha = ours;
	assert_int_equal(worker_fix(&f->res, &f->req), 0);
	assert_int_equal(f->res.status, WORKER_OWN_COMMIT);
	assert_non_null(strstr(f->res.reason, "no bot loops"));
	assert_int_equal(f->res.attempts, 0);
	assert_string_equal(f->res.commit, "");
	git_server_head(now, &f->srv, "feature");
	assert_string_equal(now, ours);
	assert_no_work_left(f);
}

static void worker__a_bad_request_is_refused_naming_the_field(void **state)
{
	struct fixture *f = *state;

	f->req.head_sha = "HEAD";
	assert_int_equal(worker_fix(&f->res, &f->req), ERR_USAGE);
	assert_non_null(strstr(f->res.reason, "head_sha 'HEAD'"));
	worker_result_release(&f->res);
	f->req.head_sha = f->head;
	f->req.max_attempts = 0;
	assert_int_equal(worker_fix(&f->res, &f->req), ERR_USAGE);
	assert_non_null(strstr(f->res.reason, "max_attempts 0"));
	worker_result_release(&f->res);
	f->req.max_attempts = 1;
	f->req.push = SERVE_PUSH_PULL_REQUEST;
	assert_int_equal(worker_fix(&f->res, &f->req), ERR_USAGE);
	assert_non_null(strstr(f->res.reason, "pull-request mode needs a GitHub client"));
}

static void worker__sweep_removes_only_the_directories_of_dead_jobs(void **state)
{
	struct fixture *f = *state;
	struct strvec removed = STRVEC_INIT;
	struct buf dead = BUF_INIT, alive = BUF_INIT, other = BUF_INIT;
	pid_t child = fork();

	assert_true(child >= 0);
	if (!child)
		_exit(0);
	assert_int_equal(waitpid(child, NULL, 0), child);
	buf_addf(&dead, "%s/" WORKER_DIR_PREFIX "3-%ld.abcdef", f->work.ptr, (long)child);
	buf_addf(&alive, "%s/" WORKER_DIR_PREFIX "4-%ld.abcdef", f->work.ptr, (long)getpid());
	buf_addf(&other, "%s/" WORKER_DIR_PREFIX "x-%ld.abcdef", f->work.ptr, (long)child);
	git_server_write(dead.ptr, "repo/money.py", "x\n");
	git_server_write(alive.ptr, "repo/money.py", "x\n");
	git_server_write(other.ptr, "keep", "x\n");

	assert_int_equal(worker_sweep(&removed, f->work.ptr), 0);
	assert_int_equal(removed.nr, 1);
	assert_string_equal(removed.v[0], dead.ptr);
	assert_false(fs_is_dir(dead.ptr));
	assert_true(fs_is_dir(alive.ptr));
	assert_true(fs_is_dir(other.ptr));
	strvec_clear(&removed);
	/* no directory at all: nothing to do */
	assert_int_equal(worker_sweep(&removed, "/nonexistent/pf-worker"), 0);
	assert_int_equal(removed.nr, 0);
	buf_release(&dead);
	buf_release(&alive);
	buf_release(&other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(worker__reproduce_tells_deterministic_from_flaky_and_finds_every_failure),
		T(worker__a_test_that_passes_here_is_not_reproduced_and_nothing_is_pushed),
		T(worker__commit_mode_over_https_pushes_one_commit_on_the_head),
		T(worker__a_branch_that_moved_on_is_a_conflict_and_nothing_is_pushed),
		T(worker__a_lease_lost_before_the_push_pushes_nothing),
		T(worker__a_wrong_token_is_a_clear_error_without_it),
		T(worker__the_head_being_our_own_fix_is_not_fixed_again),
		T(worker__a_bad_request_is_refused_naming_the_field),
		T(worker__sweep_removes_only_the_directories_of_dead_jobs),
#undef T
	};

	return worker_tests_run("worker", tests, sizeof(tests) / sizeof(tests[0]));
}
