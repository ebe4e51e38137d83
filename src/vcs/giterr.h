#ifndef VCS_GITERR_H
#define VCS_GITERR_H

#include "util/buf.h"

/*
 * What the files of src/vcs/ share behind vcs.h: libgit2's errors turned
 * into ours, URLs made fit to show, the handle's libgit2 repository. Not
 * for use outside src/vcs/ (libgit2 lives here and nowhere else).
 */

#define VCS_REFS_HEADS "refs/heads/"
/* the user name that goes with a token over https (GitHub's convention) */
#define VCS_TOKEN_USER "x-access-token"

/*
 * Set the last error to "<what>: <libgit2's message>" (lowercased, no
 * full stop) and return the code of ours that fits libgit2's `gerr`.
 */
int vcs_fail(int gerr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* `out` = `url` without the password of a "scheme://user:password@host" URL */
void vcs_url_scrub(struct buf *out, const char *url);

struct vcs_repo;
struct git_repository;
/* the handle's libgit2 repository (borrowed; defined in vcs.c) */
struct git_repository *vcs_git(struct vcs_repo *repo);

#endif
