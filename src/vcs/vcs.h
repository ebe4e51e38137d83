#ifndef VCS_VCS_H
#define VCS_VCS_H

#include "util/buf.h"
#include "util/strvec.h"

#include <stddef.h>

/*
 * Our only door to git (libgit2 lives behind it and nowhere else). It is
 * built so that a session never touches the user's work tree, index, HEAD
 * or current branch: attempts run in plain checkouts of a commit in private
 * directories, and verified fixes become commits made straight from trees,
 * on new branches.
 *
 * Commits are named by anything git_revparse_single() understands (a hex
 * id, "HEAD", a branch name) and returned as 40 hex digits. Paths inside
 * the repository are relative and '/'-separated; one that is absolute,
 * empty, has a "." / ".." / empty component, or goes into ".git", is
 * refused with ERR_USAGE.
 *
 * Errors are returned as in util/error.h: ERR_NOTFOUND for a missing
 * repository, commit, branch or path; ERR_CONFLICT when the repository's
 * state forbids the operation; ERR_USAGE for a bad name or path. A vcs_repo
 * belongs to one thread at a time.
 */

#define VCS_OID_HEXSZ 40
/* the author and committer when the repository has no user configured */
#define VCS_FALLBACK_NAME "pytest-fixer"
#define VCS_FALLBACK_EMAIL "pytest-fixer@localhost"
/* the longest name vcs_branch_name_sanitize() returns, in bytes */
#define VCS_BRANCH_NAME_MAX 200
/* a longer name keeps this many bytes and a hash of the whole text: readable, still unique */
#define VCS_BRANCH_NAME_READABLE 80
/* what vcs_branch_name_sanitize() returns when nothing usable is left */
#define VCS_BRANCH_NAME_FALLBACK "fix"

struct vcs_repo;

/*
 * Opening. The handle is the caller's, freed with vcs_free(); the paths it
 * hands out are borrowed and live as long as it does.
 */
/* discover the repository containing `path`; ERR_NOTFOUND if none, ERR_USAGE if it is bare */
int vcs_open(struct vcs_repo **out, const char *path);
void vcs_free(struct vcs_repo *repo);
/* absolute, symlink-free path of the work tree, no trailing slash */
const char *vcs_workdir(const struct vcs_repo *repo);
/* absolute path of the git directory (".git", or a worktree's own), no trailing slash */
const char *vcs_gitdir(const struct vcs_repo *repo);

/* HEAD. Results go into caller-owned out-parameters. */
/* ERR_NOTFOUND while HEAD is unborn (no commit yet) */
int vcs_head_commit(char out[VCS_OID_HEXSZ + 1], struct vcs_repo *repo);
/* replace `out` with the current branch's short name (also when unborn), "" when detached */
int vcs_head_branch(struct buf *out, struct vcs_repo *repo);
/*
 * Whether tracked files differ from HEAD in the index or the work tree
 * (untracked and ignored files do not count). `paths` NULL: the whole
 * repository; else only these (a directory covers what is under it).
 */
int vcs_is_dirty(int *out, struct vcs_repo *repo, const struct strvec *paths);

/*
 * Trees and commits. Nothing here touches the repository's index, HEAD,
 * refs or work tree; only new objects are written to its object database.
 * The caller owns `dir` and what is written there.
 */
/*
 * Write the tree of `commit` into `dir` (created if missing; it must be
 * empty), with file modes and symlinks, through the repository's
 * checkout filters. ERR_CONFLICT if `dir` is not empty.
 */
int vcs_checkout_to(struct vcs_repo *repo, const char *commit, const char *dir);
/*
 * A new commit whose parent is `parent` and whose tree is the parent's with
 * each of `paths` replaced by dir/path (content, executable bit, symlink),
 * or removed when dir/path does not exist (ERR_NOTFOUND if `dir` itself
 * does not). Content goes through the clean filters git would use for the
 * path (.gitattributes eol, ident). No ref moves. Author and committer:
 * the repository's user.name / user.email, else VCS_FALLBACK_NAME
 * <VCS_FALLBACK_EMAIL>. The message is cleaned up as `git commit` does.
 */
int vcs_commit_files(char out[VCS_OID_HEXSZ + 1], struct vcs_repo *repo, const char *parent,
		     const char *dir, const struct strvec *paths, const char *message);

/*
 * A new commit whose parent is `parent` and whose tree is the tree of
 * `tip` (the commits parent..tip as one), with `message`, author and
 * committer as for vcs_commit_files(). No ref moves.
 */
int vcs_commit_squash(char out[VCS_OID_HEXSZ + 1], struct vcs_repo *repo, const char *parent,
		      const char *tip, const char *message);
/* the commit `spec` names ("HEAD~1", "refs/remotes/origin/main^"); ERR_NOTFOUND if none */
int vcs_resolve(char out[VCS_OID_HEXSZ + 1], struct vcs_repo *repo, const char *spec);
/* replace `out` with the full message of `commit` */
int vcs_commit_message(struct buf *out, struct vcs_repo *repo, const char *commit);

/*
 * Branches, by short name ("fix-test_calc-test_div"). Lists are appended
 * to the caller's strvec.
 */
int vcs_branch_exists(int *out, struct vcs_repo *repo, const char *name);
/*
 * Point branch `name` at `commit`, creating it. ERR_CONFLICT if it exists
 * and !force, and always for the branch HEAD (or another worktree) is on.
 */
int vcs_branch_set(struct vcs_repo *repo, const char *name, const char *commit, int force);
/* ERR_NOTFOUND if missing; ERR_CONFLICT for the branch HEAD (or another worktree) is on */
int vcs_branch_delete(struct vcs_repo *repo, const char *name);
/* local branches whose name starts with `prefix` ("" or NULL: all), sorted */
int vcs_branch_list(struct strvec *out, struct vcs_repo *repo, const char *prefix);
/*
 * Remove the lock files git leaves while it writes a branch whose name
 * starts with `prefix` (refs/heads/<name>.lock and its reflog's), appending
 * each path removed to `removed`. Only for a caller that knows no writer
 * of those branches is alive; other refs and the index are not touched.
 */
int vcs_branch_locks_remove(struct strvec *removed, struct vcs_repo *repo, const char *prefix);
/* the commit the branch points at; ERR_NOTFOUND if missing */
int vcs_branch_target(char out[VCS_OID_HEXSZ + 1], struct vcs_repo *repo, const char *name);
/*
 * Replace `out` with a valid branch name made from any text (the caller
 * adds the "fix-" prefix): bytes git refuses in refs (space ~ ^ : ? * [ \,
 * controls, invalid UTF-8), brackets of any kind and '/' become '-', ".."
 * and "@{" are broken up, leading '-' / '.' and trailing '.' / '-' /
 * ".lock" are dropped, runs of '-' collapse; a result longer than
 * VCS_BRANCH_NAME_READABLE bytes keeps its head and ends with '-' and eight
 * hex digits of the text's FNV-1a hash.
 * Checked with libgit2's own rules; never empty (VCS_BRANCH_NAME_FALLBACK).
 */
void vcs_branch_name_sanitize(struct buf *out, const char *text);

/*
 * Diffs and patches. Diff text is appended to the caller's buffer, in git's
 * format (a/ b/ prefixes, binary files as git binary patches), so that
 * `git apply` and vcs_apply_to_workdir() take it.
 */
/* from `from` to `to`; `from` NULL: against the first parent of `to` (or nothing, for a root) */
int vcs_diff(struct buf *out, struct vcs_repo *repo, const char *from, const char *to);
/*
 * From the blobs of `paths` in `commit` to the files dir/path (a missing
 * file is a deletion, a file new to `commit` an addition). Writes nothing
 * to the repository.
 */
int vcs_diff_files(struct buf *out, struct vcs_repo *repo, const char *commit, const char *dir,
		   const struct strvec *paths);
/*
 * Two texts of the file `path` (project-relative), compared without a
 * repository: "diff --git a/path b/path", its ---/+++ headers and hunks with
 * three lines of context. Equal texts append nothing.
 */
int vcs_diff_texts(struct buf *out, const char *path, const char *old_text, size_t old_len,
		   const char *new_text, size_t new_len);
/*
 * Apply a git-format patch to the work tree only (the index is left alone),
 * all of it or nothing. check_only: only test it. ERR_CONFLICT, naming the
 * file, when it does not apply; ERR_PARSE when it is not a patch.
 */
int vcs_apply_to_workdir(struct vcs_repo *repo, const char *patch, size_t len, int check_only);

/*
 * Plan applying the change from commit `from` (NULL: the first parent of
 * `to`) to commit `to` to the work tree, without writing anything: each
 * file it changes gets an entry in `out` (absolute path) with the content
 * the work tree would then have, in its checked-out form. The current
 * content is the one `out` already plans (an earlier change), else the
 * file's. A file the user has not touched since `from` takes the change;
 * one the user changed takes it through a three-way merge, or, when the
 * two overlap (or one side removes or adds the file the other changed),
 * ERR_CONFLICT naming the file. Only regular files are applied.
 */
struct fs_batch;
int vcs_apply_to_batch(struct fs_batch *out, struct vcs_repo *repo, const char *from,
		       const char *to);

/* Odds and ends. */
/* make sure the line `pattern` (e.g. "/.pytest-fixer/") is in info/exclude (atomic rewrite) */
int vcs_exclude(struct vcs_repo *repo, const char *pattern);
/*
 * Who last touched lines [start, end] (1-based, inclusive; end 0: to the
 * end of the file) of `path` as of `commit`, appended to `out` as unique
 * "Name <email>" (after .mailmap), most lines first, ties by name.
 */
int vcs_blame_authors(struct strvec *out, struct vcs_repo *repo, const char *commit,
		      const char *path, int start, int end);

/*
 * Remotes. `remote` is a configured remote's name ("origin") or, for
 * vcs_push(), a URL or a path.
 */
/*
 * Replace `out` with the remote's URL (its push URL when it has no other),
 * rewritten by git's url.<base>.insteadOf rules, without the password of
 * a "https://user:password@host/..." URL.
 * ERR_NOTFOUND when there is no such remote.
 */
int vcs_remote_url(struct buf *out, struct vcs_repo *repo, const char *remote);
/*
 * Push local branch `branch` to the branch of the same name on `remote`,
 * replacing it even when that is not a fast-forward if `force` (the URL is
 * rewritten by url.<base>.pushInsteadOf / insteadOf as git does). For https
 * the credentials are user "x-access-token" with $GITHUB_TOKEN as its
 * password (never shown); for ssh, the keys of ssh-agent. ERR_NOTFOUND for
 * a missing branch or remote name; ERR_CONFLICT, naming the ref and the
 * remote's reason, when the remote refuses the update (non-fast-forward,
 * a protected branch, a hook).
 */
int vcs_push(struct vcs_repo *repo, const char *remote, const char *branch, int force);

#endif
