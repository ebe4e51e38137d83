#ifndef VCS_REMOTE_H
#define VCS_REMOTE_H

#include "vcs/vcs.h"

/*
 * Remotes by URL (https://, http://, ssh://, scp-like, or a path): clone a
 * commit, read a branch's head (ls-remote), push a commit to a branch only
 * where it is expected. For the service, which works from a pull request's
 * clone URL and a token, never from a user's configured remotes: the URL
 * is used as it is (no url.<base>.insteadOf rewriting).
 *
 * `token` (may be NULL) is offered over http(s) as the password of user
 * VCS_TOKEN_USER ("x-access-token") when the server asks, through a
 * credentials callback only: it is never put into a URL, .git/config or
 * any file, and never into an error. Over ssh the keys of ssh-agent are
 * offered. Errors name the URL without its credentials: ERR_NOTFOUND for a
 * missing commit or branch, ERR_CONFLICT for a branch that is not where it
 * was expected (nothing is pushed then), ERR_USAGE for a bad branch name,
 * -1 for the rest (a refused token: "authentication failed").
 */

/* the remote a clone records (with the URL without credentials) */
#define VCS_CLONE_REMOTE "origin"
/* the local ref a pushed commit is given for the push (then removed) */
#define VCS_PUSH_REF "refs/pytest-fixer/push"

/*
 * Clone `url` into `dir` (created; it must not exist or be empty), with
 * HEAD detached at `commit` (a hex id; ERR_NOTFOUND when no branch of the
 * remote has it) and the work tree checked out. The handle is the caller's
 * (vcs_free); on error nothing is left in `dir`.
 */
int vcs_clone(struct vcs_repo **out, const char *url, const char *dir, const char *commit,
	      const char *token);

/* the commit branch `branch` of `url` points at; ERR_NOTFOUND if it has none */
int vcs_remote_branch_head(char out[VCS_OID_HEXSZ + 1], const char *url, const char *branch,
			   const char *token);

/*
 * Push `commit` of `repo` to branch `branch` of `url`, never by force:
 * with `expected` (a hex id), only when the branch is still at `expected`
 * (read first; a branch that moved on, or is gone, is ERR_CONFLICT "the
 * branch 'B' moved on ..." and nothing is pushed); with `expected` NULL,
 * as a new branch (ERR_CONFLICT when it exists). A remote that refuses the
 * update (a hook, a protected branch, a race lost) is ERR_CONFLICT with
 * its reason.
 */
int vcs_push_commit(struct vcs_repo *repo, const char *url, const char *commit,
		    const char *branch, const char *expected, const char *token);

#endif
