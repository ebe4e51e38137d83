/*
 * Remotes by URL (src/vcs/remote.c): clone at a commit, read a branch's
 * head, push a commit only where the branch is expected; from a local bare
 * repository and over HTTP with Basic auth (git http-backend behind
 * tests/fakes/git_http.py), the token never written anywhere.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/proc.h"
#include "util/secret.h"
#include "util/strvec.h"
#include "vcs/remote.h"

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

static struct buf home = BUF_INIT;

static const char *const project[] = {
	"calc.py", "def add(a, b):\n    return a + b\n",
	"README", "calc\n",
	NULL,
};

struct fixture {
	struct git_server srv;
	char head[41];
	struct buf clone;       /* srv.dir/clone: where the tests clone to */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	git_server_init(&f->srv, "calc", "main", project, f->head);
	buf_init(&f->clone, 0);
	buf_addf(&f->clone, "%s/clone", f->srv.dir.ptr);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	git_server_release(&f->srv);
	buf_release(&f->clone);
	free(f);
	return 0;
}

/* a commit on `head` in the clone: calc.py changed */
static void commit_in_clone(char out[41], struct vcs_repo *repo, const char *dir,
			    const char *head)
{
	struct strvec paths = STRVEC_INIT;
	git_server_write(dir, "calc.py", "def add(a, b):\n    return b + a\n");
	strvec_push(&paths, "calc.py");
	assert_int_equal(vcs_commit_files(out, repo, head, dir, &paths, "swap\n\nPytest-Fixer-Job: 1"),
			 0);
	strvec_clear(&paths);
}

static void remote__clone_checks_out_the_commit_detached(void **state)
{
	struct fixture *f = *state;
	struct vcs_repo *repo = NULL;
	struct buf branch = BUF_INIT, url = BUF_INIT;
	char at[41], newer[41];

	/* a newer commit on main: the clone is still at the older one */
	git_server_commit(newer, &f->srv, "main", "README", "calc, newer\n", "newer");
	assert_int_equal(vcs_clone(&repo, f->srv.bare.ptr, f->clone.ptr, f->head, NULL), 0);
	assert_int_equal(vcs_head_commit(at, repo), 0);
	assert_string_equal(at, f->head);
	assert_int_equal(vcs_head_branch(&branch, repo), 0);
	assert_string_equal(branch.ptr, "");
	assert_int_equal(vcs_remote_url(&url, repo, VCS_CLONE_REMOTE), 0);
	assert_string_equal(url.ptr, f->srv.bare.ptr);
	assert_int_equal(git_server_git(&url, f->clone.ptr, "status", "--porcelain", NULL), 0);
	assert_string_equal(url.ptr, "");
	vcs_free(repo);
	buf_release(&branch);
	buf_release(&url);
}

static void remote__clone_of_a_commit_no_branch_has_is_notfound_and_leaves_nothing(void **state)
{
	struct fixture *f = *state;
	struct vcs_repo *repo = NULL;

	assert_int_equal(vcs_clone(&repo, f->srv.bare.ptr, f->clone.ptr,
				   "0123456789abcdef0123456789abcdef01234567", NULL), ERR_NOTFOUND);
	assert_non_null(strstr(error_last(), "is on no branch of"));
	assert_null(repo);
	assert_false(fs_is_dir(f->clone.ptr));
	assert_int_equal(vcs_clone(&repo, f->srv.bare.ptr, f->clone.ptr, "HEAD", NULL), ERR_USAGE);
}

static void remote__branch_head_reads_the_remote(void **state)
{
	struct fixture *f = *state;
	char got[41];

	assert_int_equal(vcs_remote_branch_head(got, f->srv.bare.ptr, "main", NULL), 0);
	assert_string_equal(got, f->head);
	assert_int_equal(vcs_remote_branch_head(got, f->srv.bare.ptr, "nope", NULL), ERR_NOTFOUND);
	assert_non_null(strstr(error_last(), "no branch 'nope'"));
	assert_int_equal(vcs_remote_branch_head(got, f->srv.bare.ptr, "bad..name", NULL), ERR_USAGE);
}

static void remote__push_goes_only_where_the_branch_is_expected(void **state)
{
	struct fixture *f = *state;
	struct vcs_repo *repo = NULL;
	char fix[41], now[41], newer[41];

	assert_int_equal(vcs_clone(&repo, f->srv.bare.ptr, f->clone.ptr, f->head, NULL), 0);
	commit_in_clone(fix, repo, f->clone.ptr, f->head);

	/* someone pushed in between: nothing goes over their commit */
	git_server_commit(newer, &f->srv, "main", "README", "theirs\n", "theirs");
	assert_int_equal(vcs_push_commit(repo, f->srv.bare.ptr, fix, "main", f->head, NULL),
			 ERR_CONFLICT);
	assert_non_null(strstr(error_last(), "the branch 'main' moved on"));
	git_server_head(now, &f->srv, "main");
	assert_string_equal(now, newer);

	/* a new branch: pushed once, refused the second time */
	assert_int_equal(vcs_push_commit(repo, f->srv.bare.ptr, fix, "pytest-fixer/fix-1", NULL,
					 NULL), 0);
	git_server_head(now, &f->srv, "pytest-fixer/fix-1");
	assert_string_equal(now, fix);
	assert_int_equal(vcs_push_commit(repo, f->srv.bare.ptr, fix, "pytest-fixer/fix-1", NULL,
					 NULL), ERR_CONFLICT);
	assert_non_null(strstr(error_last(), "exists already"));

	/* where it is expected: a plain fast-forward */
	assert_int_equal(vcs_push_commit(repo, f->srv.bare.ptr, fix, "side", NULL, NULL), 0);
	vcs_free(repo);
	repo = NULL;
	fs_remove_tree(f->clone.ptr);
	assert_int_equal(vcs_clone(&repo, f->srv.bare.ptr, f->clone.ptr, newer, NULL), 0);
	commit_in_clone(fix, repo, f->clone.ptr, newer);
	assert_int_equal(vcs_push_commit(repo, f->srv.bare.ptr, fix, "main", newer, NULL), 0);
	git_server_head(now, &f->srv, "main");
	assert_string_equal(now, fix);
	/* the temporary ref is gone */
	assert_int_equal(git_server_git(NULL, f->clone.ptr, "rev-parse", "-q", "--verify",
					VCS_PUSH_REF, NULL), 1);
	vcs_free(repo);
}

static void remote__over_http_the_token_is_asked_for_and_never_kept(void **state)
{
	struct fixture *f = *state;
	struct vcs_repo *repo = NULL;
	struct buf cfg = BUF_INIT, gitdir = BUF_INIT;
	char fix[41], now[41];

	git_server_start_http(&f->srv, GIT_SERVER_TOKEN);
	assert_int_equal(vcs_remote_branch_head(now, f->srv.url, "main", GIT_SERVER_TOKEN), 0);
	assert_string_equal(now, f->head);
	assert_int_equal(vcs_clone(&repo, f->srv.url, f->clone.ptr, f->head, GIT_SERVER_TOKEN), 0);
	commit_in_clone(fix, repo, f->clone.ptr, f->head);
	assert_int_equal(vcs_push_commit(repo, f->srv.url, fix, "main", f->head, GIT_SERVER_TOKEN),
			 0);
	git_server_head(now, &f->srv, "main");
	assert_string_equal(now, fix);
	/* the server did ask: a 401 first, then the token it expects */
	{
		json_t *reqs = fake_requests(&f->srv.http);
		assert_string_equal(json_string_value(json_object_get(json_array_get(reqs, 0), "auth")),
				    "none");
		assert_int_equal(json_integer_value(json_object_get(json_array_get(reqs, 0), "status")),
				 401);
		assert_string_equal(json_string_value(json_object_get(json_array_get(reqs, 1), "auth")),
				    "expected");
		json_decref(reqs);
	}
	/* the remote is the plain URL, and the token is in no file of the clone */
	assert_int_equal(git_server_git(&cfg, f->clone.ptr, "config", "remote.origin.url", NULL), 0);
	assert_string_equal(cfg.ptr, f->srv.url);
	buf_addf(&gitdir, "%s/.git", f->clone.ptr);
	assert_false(git_server_tree_holds(gitdir.ptr, GIT_SERVER_TOKEN));
	assert_false(git_server_tree_holds(gitdir.ptr, "x-access-token"));
	vcs_free(repo);
	buf_release(&cfg);
	buf_release(&gitdir);
}

static void remote__a_wrong_or_missing_token_is_a_clear_error_without_it(void **state)
{
	struct fixture *f = *state;
	struct vcs_repo *repo = NULL;
	const char *wrong = "ghs_wrong0token0that0is0long0enough";
	char now[41];

	git_server_start_http(&f->srv, GIT_SERVER_TOKEN);
	assert_true(vcs_clone(&repo, f->srv.url, f->clone.ptr, f->head, wrong) < 0);
	assert_null(repo);
	assert_non_null(strstr(error_last(), "cannot clone '"));
	assert_non_null(strstr(error_last(), f->srv.url));
	assert_non_null(strstr(error_last(), "authentication failed"));
	assert_null(strstr(error_last(), wrong));
	assert_false(fs_is_dir(f->clone.ptr));

	assert_true(vcs_remote_branch_head(now, f->srv.url, "main", NULL) < 0);
	assert_non_null(strstr(error_last(), "no token was given"));

	/* a URL with credentials in it is never shown with them */
	{
		struct buf url = BUF_INIT;
		const char *p = strstr(f->srv.url, "://") + 3;
		buf_addf(&url, "http://x-access-token:%s@%s", wrong, p);
		assert_true(vcs_remote_branch_head(now, url.ptr, "main", NULL) < 0);
		assert_null(strstr(error_last(), wrong));
		buf_release(&url);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(remote__clone_checks_out_the_commit_detached),
		T(remote__clone_of_a_commit_no_branch_has_is_notfound_and_leaves_nothing),
		T(remote__branch_head_reads_the_remote),
		T(remote__push_goes_only_where_the_branch_is_expected),
		T(remote__over_http_the_token_is_asked_for_and_never_kept),
		T(remote__a_wrong_or_missing_token_is_a_clear_error_without_it),
#undef T
	};
	int rc;

	git_server_isolate(&home);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	fs_remove_tree(home.ptr);
	buf_release(&home);
	secret_clear();
	return rc;
}
