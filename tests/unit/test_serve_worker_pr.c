/*
 * The service's fix worker (src/serve/worker.c), continued: pull-request
 * mode against fake_github.py, and the retry path (a lint gate that fails,
 * its output fed back to the next attempt).
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
#include "util/utf8.h"
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

/* ---- the retry path: a lint that fails, its reason fed back ---- */

static struct strvec prompts = STRVEC_INIT;

/* the built-in engine's fix, remembering what it was told */
static int feedback_propose(struct candidate_list *out, const struct engine_request *req)
{
	struct candidate *c = candidate_list_add(out);
	struct file_edit *e = change_add(&c->change, EDIT_UPDATE, "money.py");

	strvec_push(&prompts, req->user_prompt ? req->user_prompt : "");
	e->old_str = xstrdup("    return amount - amount * rate\n");
	e->new_str = xstrdup("    return amount + amount * rate\n");
	c->template_name = xstrdup("feedback");
	c->size = 1;
	c->score = 1.0;
	return 0;
}

static const struct engine_ops feedback_engine = {
	.name = "worker-feedback",
	.propose = feedback_propose,
};

static void worker__a_failing_lint_is_retried_with_its_output_then_unfixed(void **state)
{
	struct fixture *f = *state;
	char now[41];

	strvec_clear(&prompts);
	f->req.fix.engine = "worker-feedback";
	f->req.feedback = "CI said: test_add_interest failed";
	f->req.max_attempts = 2;
	/* a lot of output, a byte that is not UTF-8, and the reason at the end */
	strvec_push(&f->lint, "sh -c 'head -c 20000 /dev/zero | tr \"\\0\" x; "
		    "printf \"\\377\\nmoney.py:1: the linter says no\\n\"; exit 1'");

	assert_int_equal(worker_fix(&f->res, &f->req), 0);
	assert_int_equal(f->res.status, WORKER_UNFIXED);
	assert_int_equal(f->res.attempts, 2);
	assert_non_null(strstr(f->res.reason, "the linter says no"));
	assert_non_null(strstr(f->res.reason, "exited with 1"));
	assert_true(strlen(f->res.reason) < WORKER_REASON_MAX + 16);
	assert_true(utf8_is_valid(f->res.reason, strlen(f->res.reason)));
	assert_non_null(strstr(f->res.reason, "\xef\xbf\xbd"));
	/* each attempt was told why the one before failed */
	assert_int_equal(prompts.nr, 2);
	assert_non_null(strstr(prompts.v[0], "CI said"));
	assert_null(strstr(prompts.v[0], "the linter says no"));
	assert_non_null(strstr(prompts.v[1], "the linter says no"));
	git_server_head(now, &f->srv, "feature");
	assert_string_equal(now, f->head);
	assert_no_work_left(f);
	strvec_clear(&prompts);
}

/* ---- pull-request mode ---- */

/* the request in pull-request mode, on a fake GitHub that opens pull request 9 */
static struct github *pull_request_mode(struct fixture *f, struct fake *gh_fake)
{
	char *argv[] = { "python3", FAKE_GITHUB, NULL, "60", NULL };
	struct github_options go = GITHUB_OPTIONS_INIT;
	struct github *gh = NULL;
	struct buf script = BUF_INIT;

	fake_init(gh_fake, "pf-worker-github");
	argv[2] = gh_fake->script;
	buf_addf(&script, "{\"log\": \"%s\", \"token\": \"ghp_worker0test0token0abcdef\", "
		 "\"pulls\": {\"next_number\": 9}}", gh_fake->log);
	fake_spawn(gh_fake, script.ptr, argv);
	go.api_url = gh_fake->base;
	go.token = "ghp_worker0test0token0abcdef";
	assert_int_equal(github_open(&gh, NULL, &go), 0);
	f->req.push = SERVE_PUSH_PULL_REQUEST;
	f->req.github = gh;
	buf_release(&script);
	return gh;
}

static void worker__pull_request_mode_pushes_a_branch_and_opens_a_draft(void **state)
{
	struct fixture *f = *state;
	struct github *gh;
	struct fake gh_fake;
	struct buf branch = BUF_INIT;
	json_t *reqs, *post = NULL, *body;
	char now[41];
	size_t i;

	gh = pull_request_mode(f, &gh_fake);
	git_server_start_http(&f->srv, GIT_SERVER_TOKEN);
	f->req.clone_url = f->srv.url;
	f->req.token = GIT_SERVER_TOKEN;

	assert_int_equal(worker_fix(&f->res, &f->req), 0);
	assert_int_equal(f->res.status, WORKER_FIXED);
	buf_addf(&branch, WORKER_BRANCH_PREFIX "%.8s", f->head);
	assert_string_equal(f->res.branch, branch.ptr);
	assert_non_null(strstr(f->res.pull_url, "/acme/calc/pull/9"));
	git_server_head(now, &f->srv, branch.ptr);
	assert_string_equal(now, f->res.commit);
	assert_fixed_commit(f, f->res.commit);
	/* the PR's own branch is untouched */
	git_server_head(now, &f->srv, "feature");
	assert_string_equal(now, f->head);

	reqs = fake_requests(&gh_fake);
	for (i = 0; i < json_array_size(reqs); i++) {
		json_t *r = json_array_get(reqs, i);
		if (!strcmp(json_string_value(json_object_get(r, "method")), "POST"))
			post = r;
	}
	assert_non_null(post);
	assert_string_equal(json_string_value(json_object_get(post, "path")), "/repos/acme/calc/pulls");
	body = json_object_get(post, "body");
	assert_true(json_is_true(json_object_get(body, "draft")));
	assert_string_equal(json_string_value(json_object_get(body, "head")), branch.ptr);
	assert_string_equal(json_string_value(json_object_get(body, "base")), "feature");
	assert_non_null(strstr(json_string_value(json_object_get(body, "body")), "#5"));
	json_decref(reqs);
	/* the GitHub token never landed in the repository */
	assert_false(git_server_tree_holds(f->srv.dir.ptr, "ghp_worker0test0token0abcdef"));

	/* the job again: the branch has its fix, the pull request exists: nothing new */
	memcpy(now, f->res.commit, sizeof(now));
	worker_result_release(&f->res);
	assert_int_equal(worker_fix(&f->res, &f->req), 0);
	assert_int_equal(f->res.status, WORKER_FIXED);
	assert_string_equal(f->res.commit, now);
	assert_int_equal(f->res.attempts, 0);
	assert_string_equal(f->res.branch, branch.ptr);

	github_free(gh);
	fake_stop(&gh_fake);
	buf_release(&branch);
	assert_no_work_left(f);
}

/* the lease renewed for the push (the first ask), then lost before the pull request */
static int lease_lost_after_the_push(void *payload)
{
	int *asked = payload;

	return ++*asked == 1 ? 0 : -1;
}

static size_t posts_to_pulls(struct fake *gh_fake)
{
	json_t *reqs = fake_requests(gh_fake);
	size_t i, n = 0;

	for (i = 0; i < json_array_size(reqs); i++) {
		json_t *r = json_array_get(reqs, i);
		n += !strcmp(json_string_value(json_object_get(r, "method")), "POST") &&
		     !strcmp(json_string_value(json_object_get(r, "path")), "/repos/acme/calc/pulls");
	}
	json_decref(reqs);
	return n;
}

static void worker__a_lease_lost_before_the_pull_request_opens_none_and_its_rescuer_does(void **state)
{
	struct fixture *f = *state;
	struct github *gh;
	struct fake gh_fake;
	struct buf branch = BUF_INIT;
	char pushed[41];
	int asked = 0;

	gh = pull_request_mode(f, &gh_fake);
	f->req.before_push = lease_lost_after_the_push;
	f->req.payload = &asked;

	assert_int_equal(worker_fix(&f->res, &f->req), 0);
	assert_string_equal(worker_status_name(f->res.status), "lease_lost");
	assert_int_equal(asked, 2);
	assert_non_null(strstr(f->res.reason, "no draft pull request opened"));
	assert_null(f->res.pull_url);
	assert_int_equal(posts_to_pulls(&gh_fake), 0);
	buf_addf(&branch, WORKER_BRANCH_PREFIX "%.8s", f->head);
	git_server_head(pushed, &f->srv, branch.ptr);
	assert_string_equal(pushed, f->res.commit);

	/* the worker that took the job over finds that push and opens its pull request, once */
	worker_result_release(&f->res);
	f->req.before_push = NULL;
	assert_int_equal(worker_fix(&f->res, &f->req), 0);
	assert_int_equal(f->res.status, WORKER_FIXED);
	assert_string_equal(f->res.commit, pushed);
	assert_int_equal(f->res.attempts, 0);
	assert_non_null(strstr(f->res.pull_url, "/acme/calc/pull/9"));
	assert_int_equal(posts_to_pulls(&gh_fake), 1);

	github_free(gh);
	fake_stop(&gh_fake);
	buf_release(&branch);
	assert_no_work_left(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(worker__a_failing_lint_is_retried_with_its_output_then_unfixed),
		T(worker__pull_request_mode_pushes_a_branch_and_opens_a_draft),
		T(worker__a_lease_lost_before_the_pull_request_opens_none_and_its_rescuer_does),
#undef T
	};

	if (engine_register(&feedback_engine) < 0) {
		fprintf(stderr, "%s\n", error_last());
		return 1;
	}
	return worker_tests_run("worker-pr", tests, sizeof(tests) / sizeof(tests[0]));
}
