#ifndef VCS_LIBGIT_H
#define VCS_LIBGIT_H

#include "util/buf.h"

/*
 * What the files of src/vcs/ share behind vcs.h: libgit2's errors turned
 * into ours, URLs made fit to show, the credentials callback, the handle's
 * libgit2 repository. Not for use outside src/vcs/ (libgit2 lives here and
 * nowhere else).
 */

#define VCS_REFS_HEADS "refs/heads/"
/* the user name that goes with a token over https (GitHub's convention) */
#define VCS_TOKEN_USER "x-access-token"
/* the user for ssh when the URL names none */
#define VCS_SSH_USER "git"
/* how many times one operation offers the token before it gives up */
#define VCS_AUTH_TRIES 3

/*
 * Set the last error to "<what>: <libgit2's message>" (lowercased, no
 * full stop) and return the code of ours that fits libgit2's `gerr`.
 */
int vcs_fail(int gerr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* `out` = `url` without the password of a "scheme://user:password@host" URL */
void vcs_url_scrub(struct buf *out, const char *url);

/*
 * A remote operation's credentials and what the remote said of its refs:
 * `token` (may be NULL) as the password of VCS_TOKEN_USER over http(s),
 * ssh-agent's keys over ssh; `missing` is the error when the server asks
 * and there is no token. The rejected ref and reason are owned
 * (vcs_auth_release()).
 */
struct vcs_auth {
	const char *token;
	const char *missing;
	int userpass_tries;
	unsigned int tried;          /* the other credential types offered */
	char *rejected_ref;          /* the first ref the remote refused, and why */
	char *rejected_why;
};
#define VCS_AUTH_INIT(token, missing) { (token) && *(token) ? (token) : NULL, (missing), 0, 0, \
					NULL, NULL }
struct git_remote_callbacks;
/* fill `cb` (initialised here) with the credentials and push-status callbacks on `a` */
void vcs_auth_callbacks(struct git_remote_callbacks *cb, struct vcs_auth *a);
void vcs_auth_release(struct vcs_auth *a);

struct vcs_repo;
struct git_repository;
/* the handle's libgit2 repository (borrowed; defined in vcs.c) */
struct git_repository *vcs_git(struct vcs_repo *repo);

#endif
