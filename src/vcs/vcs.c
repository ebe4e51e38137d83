/*
 * The libgit2 wrapper. Every libgit2 error is turned into ours here, with
 * the subject first and libgit2's words after it.
 */
#include "vcs/vcs.h"

#include "vcs/libgit.h"

#include "util/error.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/secret.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#include <git2.h>
#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* scratch object stores (vcs_diff_files) take writes before the repository's own backends */
#define VCS_MEMPACK_PRIORITY 1000
#define VCS_EXCLUDE_MODE 0644

struct vcs_repo {
	git_repository *git;
	char *workdir;   /* no trailing slash */
	char *gitdir;    /* no trailing slash */
	char *commondir; /* with a trailing slash, as libgit2 gives it */
};

/* ---- errors ---- */

/* the end of a libgit2 iteration: 0 at GIT_ITEROVER, else vcs_fail() with "cannot <what> of <workdir>" */
static int iteration_end(int gerr, const struct vcs_repo *repo, const char *what)
{
	if (gerr != GIT_ITEROVER)
		return vcs_fail(gerr, "cannot %s of '%s'", what, repo->workdir);
	git_error_clear();
	return 0;
}

/* ---- small helpers ---- */

static char *dup_without_slash(const char *path)
{
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	return xstrndup(path, n);
}

/* a relative, '/'-separated path that stays inside the tree and out of .git */
static int check_path(const char *path)
{
	const char *seg = path;

	if (!*path)
		return error_setc(ERR_USAGE, "invalid path '': it is empty");
	if (*path == '/')
		return error_setc(ERR_USAGE, "invalid path '%s': it is absolute", path);
	for (;;) {
		const char *end = strchr(seg, '/');
		size_t n = end ? (size_t)(end - seg) : strlen(seg);
		if (!n || (n == 1 && seg[0] == '.') || (n == 2 && !strncmp(seg, "..", 2)))
			return error_setc(ERR_USAGE, "invalid path '%s': it must be relative, "
					  "without empty, '.' or '..' parts", path);
		if (n == 4 && !strncasecmp(seg, ".git", 4))
			return error_setc(ERR_USAGE, "invalid path '%s': it is inside '.git'", path);
		if (!end)
			return 0;
		seg = end + 1;
	}
}

static int check_paths(const struct strvec *paths)
{
	size_t i;
	int err;
	for (i = 0; i < paths->nr; i++)
		if ((err = check_path(paths->v[i])) < 0)
			return err;
	return 0;
}

static void oid_to_hex(char out[VCS_OID_HEXSZ + 1], const git_oid *oid)
{
	git_oid_tostr(out, VCS_OID_HEXSZ + 1, oid);
}

static int lookup_commit(git_commit **out, git_repository *git, const char *spec)
{
	git_object *obj = NULL;
	int err;

	*out = NULL;
	err = git_revparse_single(&obj, git, spec);
	if (err == GIT_ENOTFOUND || err == GIT_EUNBORNBRANCH || err == GIT_EINVALIDSPEC) {
		git_error_clear();
		return error_setc(ERR_NOTFOUND, "unknown commit '%s'", spec);
	}
	if (err < 0)
		return vcs_fail(err, "cannot resolve '%s'", spec);
	err = git_object_peel((git_object **)out, obj, GIT_OBJECT_COMMIT);
	git_object_free(obj);
	if (err < 0) {
		git_error_clear();
		return error_setc(ERR_NOTFOUND, "'%s' is not a commit", spec);
	}
	return 0;
}

static int diff_to_buf(struct buf *out, git_diff *diff)
{
	git_buf text = GIT_BUF_INIT;
	int err;

	if ((err = git_diff_to_buf(&text, diff, GIT_DIFF_FORMAT_PATCH)) < 0)
		return vcs_fail(err, "cannot format a diff");
	err = buf_add(out, text.ptr ? text.ptr : "", text.size);
	git_buf_dispose(&text);
	return err;
}

static void diff_options_init(git_diff_options *opts)
{
	git_diff_options_init(opts, GIT_DIFF_OPTIONS_VERSION);
	/* binary files as git binary patches (with the full ids git apply needs) */
	opts->flags |= GIT_DIFF_SHOW_BINARY;
}

/* ---- opening ---- */

int vcs_open(struct vcs_repo **out, const char *path)
{
	git_repository *git = NULL;
	struct vcs_repo *repo = NULL;
	struct buf real = BUF_INIT;
	int err;

	*out = NULL;
	if ((err = fs_realpath(&real, path)) < 0)
		return err;
	if ((err = git_libgit2_init()) < 0)
		return vcs_fail(err, "cannot initialise libgit2");

	err = git_repository_open_ext(&git, real.ptr, 0, NULL);
	if (err == GIT_ENOTFOUND) {
		git_error_clear();
		err = error_setc(ERR_NOTFOUND, "'%s' is not in a git repository", path);
		goto done;
	}
	if (err < 0) {
		err = vcs_fail(err, "cannot open the git repository of '%s'", path);
		goto done;
	}
	if (git_repository_is_bare(git)) {
		err = error_setc(ERR_USAGE, "'%s' is in a bare git repository: a work tree is needed",
				 path);
		goto done;
	}

	repo = xcalloc(1, sizeof(*repo));
	repo->git = git;
	git = NULL;
	/* libgit2 gives them as found; resolve symlinks so callers can compare paths */
	if ((err = fs_realpath(&real, git_repository_workdir(repo->git))) < 0)
		goto done;
	repo->workdir = dup_without_slash(real.ptr);
	if ((err = fs_realpath(&real, git_repository_path(repo->git))) < 0)
		goto done;
	repo->gitdir = dup_without_slash(real.ptr);
	repo->commondir = xstrdup(git_repository_commondir(repo->git));
	*out = repo;
	repo = NULL;
	err = 0;
done:
	if (repo) {
		vcs_free(repo);
	} else if (err < 0) {
		git_repository_free(git);
		git_libgit2_shutdown();
	}
	buf_release(&real);
	return err;
}

void vcs_free(struct vcs_repo *repo)
{
	if (!repo)
		return;
	git_repository_free(repo->git);
	FREE_ALL(repo->workdir, repo->gitdir, repo->commondir, repo);
	git_libgit2_shutdown();
}

struct git_repository *vcs_git(struct vcs_repo *repo)
{
	return repo->git;
}

const char *vcs_workdir(const struct vcs_repo *repo)
{
	return repo->workdir;
}

const char *vcs_gitdir(const struct vcs_repo *repo)
{
	return repo->gitdir;
}

/* ---- HEAD ---- */

int vcs_head_commit(char out[VCS_OID_HEXSZ + 1], struct vcs_repo *repo)
{
	git_oid oid;
	int err = git_repository_head_unborn(repo->git);

	out[0] = '\0';
	if (err < 0)
		return vcs_fail(err, "cannot read HEAD of '%s'", repo->workdir);
	if (err == 1)
		return error_setc(ERR_NOTFOUND, "'%s' has no commit yet", repo->workdir);
	if ((err = git_reference_name_to_id(&oid, repo->git, "HEAD")) < 0)
		return vcs_fail(err, "cannot read HEAD of '%s'", repo->workdir);
	oid_to_hex(out, &oid);
	return 0;
}

int vcs_head_branch(struct buf *out, struct vcs_repo *repo)
{
	git_reference *head = NULL;
	int err;

	buf_reset(out);
	if ((err = git_reference_lookup(&head, repo->git, "HEAD")) < 0)
		return vcs_fail(err, "cannot read HEAD of '%s'", repo->workdir);
	if (git_reference_type(head) == GIT_REFERENCE_SYMBOLIC) {
		const char *target = git_reference_symbolic_target(head);
		if (!strncmp(target, VCS_REFS_HEADS, strlen(VCS_REFS_HEADS)))
			err = buf_adds(out, target + strlen(VCS_REFS_HEADS));
	}
	git_reference_free(head);
	return err;
}

int vcs_is_dirty(int *out, struct vcs_repo *repo, const struct strvec *paths)
{
	git_status_options opts;
	git_status_list *list = NULL;
	size_t i, n;
	int err;

	git_status_options_init(&opts, GIT_STATUS_OPTIONS_VERSION);
	*out = 0;
	if (paths && (err = check_paths(paths)) < 0)
		return err;
	if (paths && !paths->nr)
		return 0;
	opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
	/* no untracked, no ignored; paths are names, not patterns */
	opts.flags = GIT_STATUS_OPT_DISABLE_PATHSPEC_MATCH;
	if (paths) {
		opts.pathspec.strings = (char **)paths->v;
		opts.pathspec.count = paths->nr;
	}
	if ((err = git_status_list_new(&list, repo->git, &opts)) < 0)
		return vcs_fail(err, "cannot read the status of '%s'", repo->workdir);
	n = git_status_list_entrycount(list);
	for (i = 0; i < n && !*out; i++) {
		const git_status_entry *e = git_status_byindex(list, i);
		if (e->status & ~(unsigned)(GIT_STATUS_WT_NEW | GIT_STATUS_IGNORED))
			*out = 1;
	}
	git_status_list_free(list);
	return 0;
}

/* ---- trees and commits ---- */

static int dir_is_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int empty = 1;

	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			empty = 0;
			break;
		}
	closedir(d);
	return empty;
}

int vcs_checkout_to(struct vcs_repo *repo, const char *commit, const char *dir)
{
	git_checkout_options opts;
	git_commit *c = NULL;
	git_tree *tree = NULL;
	struct buf abs = BUF_INIT;
	struct stat st;
	int created = 0;
	int err;

	git_checkout_options_init(&opts, GIT_CHECKOUT_OPTIONS_VERSION);
	if (!lstat(dir, &st)) {
		if (!S_ISDIR(st.st_mode))
			return error_setc(ERR_CONFLICT,
					  "cannot check out into '%s': it is not a directory", dir);
		if (!dir_is_empty(dir))
			return error_setc(ERR_CONFLICT, "cannot check out into '%s': it is not empty",
					  dir);
	} else if (errno == ENOENT) {
		if ((err = fs_mkdir_p(dir, 0777)) < 0)
			return err;
		created = 1;
	} else {
		return error_errno("cannot check out into '%s'", dir);
	}
	/* libgit2 mishandles a relative target (it nests a second copy of the path) */
	if ((err = fs_realpath(&abs, dir)) < 0)
		goto done;

	if ((err = lookup_commit(&c, repo->git, commit)) < 0)
		goto done;
	if ((err = git_commit_tree(&tree, c)) < 0) {
		err = vcs_fail(err, "cannot read the tree of '%s'", commit);
		goto done;
	}
	/*
	 * Everything is written (FORCE recreates what is missing from the
	 * empty target); the repository's index is read but neither changed
	 * nor written.
	 */
	opts.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_DONT_UPDATE_INDEX |
				 GIT_CHECKOUT_DONT_WRITE_INDEX;
	opts.target_directory = abs.ptr;
	if ((err = git_checkout_tree(repo->git, (const git_object *)tree, &opts)) < 0)
		err = vcs_fail(err, "cannot check out '%s' into '%s'", commit, dir);
done:
	if (err < 0 && created)
		fs_remove_tree(dir);
	buf_release(&abs);
	git_tree_free(tree);
	git_commit_free(c);
	return err;
}

/* the blob for dir/path as git would store it for `path` (clean filters applied) */
static int write_file_blob(git_oid *out, struct vcs_repo *repo, git_repository *dest,
			   const char *full, const char *path)
{
	struct buf content = BUF_INIT;
	git_filter_list *filters = NULL;
	git_buf clean = GIT_BUF_INIT;
	int err;

	if ((err = fs_read_file(&content, full, 0)) < 0)
		goto done;
	if (secret_find(content.ptr, content.len)) {
		err = error_set("refusing to commit '%s': it contains a secret", path);
		goto done;
	}
	err = git_filter_list_load(&filters, repo->git, NULL, path, GIT_FILTER_TO_ODB,
				   GIT_FILTER_DEFAULT);
	if (err < 0) {
		err = vcs_fail(err, "cannot load the filters for '%s'", path);
		goto done;
	}
	if (filters) {
		err = git_filter_list_apply_to_buffer(&clean, filters, content.ptr, content.len);
		if (err < 0) {
			err = vcs_fail(err, "cannot filter '%s'", path);
			goto done;
		}
		err = git_blob_create_from_buffer(out, dest, clean.ptr, clean.size);
	} else {
		err = git_blob_create_from_buffer(out, dest, content.ptr, content.len);
	}
	if (err < 0)
		err = vcs_fail(err, "cannot store '%s'", path);
done:
	git_buf_dispose(&clean);
	git_filter_list_free(filters);
	buf_release(&content);
	return err;
}

static int write_link_blob(git_oid *out, git_repository *dest, const char *full, const char *path,
			   size_t size_hint)
{
	size_t cap = size_hint + 2;
	char *target = NULL;
	ssize_t n;
	int err;

	for (;;) {
		target = xrealloc(target, cap);
		n = readlink(full, target, cap);
		if (n < 0) {
			err = error_errno("cannot read the link '%s'", full);
			goto done;
		}
		if ((size_t)n < cap)
			break;
		cap = st_mult(cap, 2);
	}
	if ((err = git_blob_create_from_buffer(out, dest, target, (size_t)n)) < 0)
		err = vcs_fail(err, "cannot store '%s'", path);
done:
	free(target);
	return err;
}

/*
 * The tree `base` (read from `dest`) with each of `paths` replaced by
 * dir/path, or removed where dir/path is gone. New objects go to `dest`'s
 * object database; filters and config come from `repo`.
 */
static int build_tree(git_oid *out, struct vcs_repo *repo, git_repository *dest,
		      const git_oid *base, const char *dir, const struct strvec *paths)
{
	git_tree_update *updates = xcalloc(paths->nr ? paths->nr : 1, sizeof(*updates));
	git_tree *tree = NULL;
	git_config *cfg = NULL;
	struct buf full = BUF_INIT;
	int filemode = 1, symlinks = 1;
	size_t i, n = 0;
	int err;

	if ((err = check_paths(paths)) < 0)
		goto done;
	/* else every path would look deleted */
	if (!fs_is_dir(dir)) {
		err = error_setc(ERR_NOTFOUND, "cannot read '%s': no such directory", dir);
		goto done;
	}
	if ((err = git_tree_lookup(&tree, dest, base)) < 0) {
		err = vcs_fail(err, "cannot read a tree");
		goto done;
	}
	/*
	 * With core.fileMode false, executable bits on disk mean nothing; with
	 * core.symlinks false, a link was checked out as a file of its target.
	 */
	if (!git_repository_config_snapshot(&cfg, repo->git)) {
		if (git_config_get_bool(&filemode, cfg, "core.filemode") < 0)
			filemode = 1;
		if (git_config_get_bool(&symlinks, cfg, "core.symlinks") < 0)
			symlinks = 1;
	}
	git_error_clear();

	for (i = 0; i < paths->nr; i++) {
		const char *path = paths->v[i];
		git_tree_update *u = &updates[n];
		git_tree_entry *old = NULL;
		struct stat st;

		if (strvec_find(paths, path) != (int)i)
			continue; /* a duplicate */
		buf_reset(&full);
		buf_addf(&full, "%s/%s", dir, path);
		if (git_tree_entry_bypath(&old, tree, path) < 0) {
			old = NULL;
			git_error_clear();
		}
		if (lstat(full.ptr, &st) < 0) {
			if (errno != ENOENT && errno != ENOTDIR) {
				err = error_errno("cannot read '%s'", full.ptr);
			} else if (old) {
				u->action = GIT_TREE_UPDATE_REMOVE;
				u->path = path;
				n++;
			}
		} else if (S_ISLNK(st.st_mode)) {
			err = write_link_blob(&u->id, dest, full.ptr, path, (size_t)st.st_size);
			u->filemode = GIT_FILEMODE_LINK;
		} else if (S_ISREG(st.st_mode)) {
			err = write_file_blob(&u->id, repo, dest, full.ptr, path);
			if (!symlinks && old && git_tree_entry_filemode(old) == GIT_FILEMODE_LINK)
				u->filemode = GIT_FILEMODE_LINK;
			else if (filemode)
				u->filemode = (st.st_mode & S_IXUSR) ? GIT_FILEMODE_BLOB_EXECUTABLE
								     : GIT_FILEMODE_BLOB;
			else if (old && git_tree_entry_filemode(old) == GIT_FILEMODE_BLOB_EXECUTABLE)
				u->filemode = GIT_FILEMODE_BLOB_EXECUTABLE;
			else
				u->filemode = GIT_FILEMODE_BLOB;
		} else if (S_ISDIR(st.st_mode)) {
			err = error_setc(ERR_USAGE, "cannot take '%s': it is a directory", full.ptr);
		} else {
			err = error_setc(ERR_USAGE, "cannot take '%s': not a regular file or symlink",
					 full.ptr);
		}
		if (!err && u->filemode) {
			u->action = GIT_TREE_UPDATE_UPSERT;
			u->path = path;
			n++;
		}
		git_tree_entry_free(old);
		if (err < 0)
			goto done;
	}
	if ((err = git_tree_create_updated(out, dest, tree, n, updates)) < 0)
		err = vcs_fail(err, "cannot build the new tree");
done:
	buf_release(&full);
	git_config_free(cfg);
	git_tree_free(tree);
	free(updates);
	return err;
}

/* the configured user, each half falling back on our own name */
static int make_signature(git_signature **out, struct vcs_repo *repo)
{
	git_config *cfg = NULL;
	git_buf name = GIT_BUF_INIT, email = GIT_BUF_INIT;
	int err;

	if (!git_repository_config_snapshot(&cfg, repo->git)) {
		if (git_config_get_string_buf(&name, cfg, "user.name") < 0)
			git_error_clear();
		if (git_config_get_string_buf(&email, cfg, "user.email") < 0)
			git_error_clear();
	} else {
		git_error_clear();
	}
	err = git_signature_now(out, name.size ? name.ptr : VCS_FALLBACK_NAME,
				email.size ? email.ptr : VCS_FALLBACK_EMAIL);
	if (err < 0) {
		/* a name git cannot use (angle brackets, only spaces) */
		git_error_clear();
		err = git_signature_now(out, VCS_FALLBACK_NAME, VCS_FALLBACK_EMAIL);
	}
	if (err < 0)
		err = vcs_fail(err, "cannot make a signature");
	git_buf_dispose(&name);
	git_buf_dispose(&email);
	git_config_free(cfg);
	return err;
}

/* a commit of `tree` on `pc` with `message` cleaned up; no ref moves */
static int create_commit(char out[VCS_OID_HEXSZ + 1], struct vcs_repo *repo, git_commit *pc,
			 git_tree *tree, const char *message)
{
	git_signature *sig = NULL;
	git_buf msg = GIT_BUF_INIT;
	git_oid oid;
	const git_commit *parents[1];
	int err;

	if (message && secret_find(message, strlen(message)))
		return error_set("refusing to commit: the message contains a secret");
	if ((err = make_signature(&sig, repo)) < 0)
		goto done;
	if ((err = git_message_prettify(&msg, message ? message : "", 0, 0)) < 0) {
		err = vcs_fail(err, "cannot clean up the commit message");
		goto done;
	}
	if (!msg.size) {
		err = error_setc(ERR_USAGE, "cannot commit with an empty message");
		goto done;
	}
	parents[0] = pc;
	err = git_commit_create(&oid, repo->git, NULL, sig, sig, NULL, msg.ptr, tree, 1, parents);
	if (err < 0) {
		err = vcs_fail(err, "cannot create a commit on '%s'",
			       git_oid_tostr_s(git_commit_id(pc)));
		goto done;
	}
	oid_to_hex(out, &oid);
done:
	git_buf_dispose(&msg);
	git_signature_free(sig);
	return err;
}

int vcs_commit_files(char out[VCS_OID_HEXSZ + 1], struct vcs_repo *repo, const char *parent,
		     const char *dir, const struct strvec *paths, const char *message)
{
	git_commit *pc = NULL;
	git_tree *tree = NULL;
	git_oid tree_id;
	int err;

	out[0] = '\0';
	if ((err = lookup_commit(&pc, repo->git, parent)) < 0)
		goto done;
	if ((err = build_tree(&tree_id, repo, repo->git, git_commit_tree_id(pc), dir, paths)) < 0)
		goto done;
	if ((err = git_tree_lookup(&tree, repo->git, &tree_id)) < 0) {
		err = vcs_fail(err, "cannot read the new tree");
		goto done;
	}
	err = create_commit(out, repo, pc, tree, message);
done:
	git_tree_free(tree);
	git_commit_free(pc);
	return err;
}

int vcs_commit_squash(char out[VCS_OID_HEXSZ + 1], struct vcs_repo *repo, const char *parent,
		      const char *tip, const char *message)
{
	git_commit *pc = NULL, *tc = NULL;
	git_tree *tree = NULL;
	int err;

	out[0] = '\0';
	if ((err = lookup_commit(&pc, repo->git, parent)) < 0 ||
	    (err = lookup_commit(&tc, repo->git, tip)) < 0)
		goto done;
	if ((err = git_commit_tree(&tree, tc)) < 0) {
		err = vcs_fail(err, "cannot read the tree of '%s'", tip);
		goto done;
	}
	err = create_commit(out, repo, pc, tree, message);
done:
	git_tree_free(tree);
	git_commit_free(tc);
	git_commit_free(pc);
	return err;
}

int vcs_resolve(char out[VCS_OID_HEXSZ + 1], struct vcs_repo *repo, const char *spec)
{
	git_commit *c = NULL;
	int err;

	out[0] = '\0';
	if ((err = lookup_commit(&c, repo->git, spec)) < 0)
		return err;
	oid_to_hex(out, git_commit_id(c));
	git_commit_free(c);
	return 0;
}

int vcs_commit_message(struct buf *out, struct vcs_repo *repo, const char *commit)
{
	git_commit *c = NULL;
	const char *msg;
	int err;

	buf_reset(out);
	if ((err = lookup_commit(&c, repo->git, commit)) < 0)
		return err;
	msg = git_commit_message(c);
	err = buf_adds(out, msg ? msg : "");
	git_commit_free(c);
	return err;
}

/* ---- branches ---- */

static int check_branch_name(const char *name)
{
	int valid = 0;
	if (git_branch_name_is_valid(&valid, name) < 0 || !valid) {
		git_error_clear();
		return error_setc(ERR_USAGE, "'%s' is not a valid branch name", name);
	}
	return 0;
}

static int lookup_branch(git_reference **out, struct vcs_repo *repo, const char *name)
{
	int err;

	*out = NULL;
	if ((err = check_branch_name(name)) < 0)
		return err;
	err = git_branch_lookup(out, repo->git, name, GIT_BRANCH_LOCAL);
	if (err == GIT_ENOTFOUND) {
		git_error_clear();
		return error_setc(ERR_NOTFOUND, "branch '%s' does not exist", name);
	}
	if (err < 0)
		return vcs_fail(err, "cannot look up branch '%s'", name);
	return 0;
}

/* ERR_CONFLICT when `name` is checked out here (even unborn) or in another worktree */
static int check_not_checked_out(struct vcs_repo *repo, git_reference *ref, const char *name,
				 const char *verb)
{
	struct buf head = BUF_INIT;
	int err, here;

	if ((err = vcs_head_branch(&head, repo)) < 0)
		goto done;
	here = !strcmp(head.ptr, name);
	if (here) {
		err = error_setc(ERR_CONFLICT, "cannot %s branch '%s': it is the current branch",
				 verb, name);
	} else if (ref && git_branch_is_checked_out(ref) == 1) {
		err = error_setc(ERR_CONFLICT,
				 "cannot %s branch '%s': it is checked out in another worktree",
				 verb, name);
	}
	git_error_clear();
done:
	buf_release(&head);
	return err;
}

int vcs_branch_exists(int *out, struct vcs_repo *repo, const char *name)
{
	git_reference *ref = NULL;
	int err = lookup_branch(&ref, repo, name);

	*out = !err;
	git_reference_free(ref);
	return err == ERR_NOTFOUND ? 0 : err;
}

int vcs_branch_set(struct vcs_repo *repo, const char *name, const char *commit, int force)
{
	git_reference *ref = NULL, *created = NULL;
	git_commit *c = NULL;
	int err;

	err = lookup_branch(&ref, repo, name);
	if (err < 0 && err != ERR_NOTFOUND)
		goto done;
	if (!err && !force) {
		err = error_setc(ERR_CONFLICT, "branch '%s' already exists", name);
		goto done;
	}
	if ((err = check_not_checked_out(repo, ref, name, "move")) < 0)
		goto done;
	if ((err = lookup_commit(&c, repo->git, commit)) < 0)
		goto done;
	err = git_branch_create(&created, repo->git, name, c, force);
	if (err == GIT_EEXISTS) {
		git_error_clear();
		err = error_setc(ERR_CONFLICT, "branch '%s' already exists", name);
	} else if (err < 0) {
		err = vcs_fail(err, "cannot set branch '%s'", name);
	}
done:
	git_reference_free(created);
	git_commit_free(c);
	git_reference_free(ref);
	return err;
}

/*
 * Remove the branch's branch.<name>.* entries from the repository's own
 * config. git_branch_delete() would, but libgit2 1.5 leaks PCRE2 match
 * data there for every config entry it looks at; deleting entries by name
 * uses no regex. An emptied section header stays, as `git config --unset`
 * leaves it.
 */
static int remove_branch_config(struct vcs_repo *repo, const char *name)
{
	git_config *cfg = NULL, *local = NULL;
	git_config_iterator *it = NULL;
	git_config_entry *entry;
	struct strvec keys = STRVEC_INIT;
	struct buf prefix = BUF_INIT;
	size_t i;
	int err;

	buf_addf(&prefix, "branch.%s.", name);
	if ((err = git_repository_config(&cfg, repo->git)) < 0 ||
	    (err = git_config_open_level(&local, cfg, GIT_CONFIG_LEVEL_LOCAL)) < 0 ||
	    (err = git_config_iterator_new(&it, local)) < 0) {
		err = vcs_fail(err, "cannot read the config of '%s'", repo->workdir);
		goto done;
	}
	while (!(err = git_config_next(&entry, it)))
		if (!strncmp(entry->name, prefix.ptr, prefix.len) &&
		    strvec_find(&keys, entry->name) < 0)
			strvec_push(&keys, entry->name);
	git_config_iterator_free(it);
	it = NULL;
	if ((err = iteration_end(err, repo, "read the config")) < 0)
		goto done;
	for (i = 0; i < keys.nr && !err; i++) {
		err = git_config_delete_entry(local, keys.v[i]);
		if (err < 0) /* a multivar */
			err = git_config_delete_multivar(local, keys.v[i], ".*");
		if (err < 0)
			err = vcs_fail(err, "cannot remove '%s' from the config", keys.v[i]);
	}
done:
	git_config_iterator_free(it);
	git_config_free(local);
	git_config_free(cfg);
	strvec_clear(&keys);
	buf_release(&prefix);
	return err;
}

int vcs_branch_delete(struct vcs_repo *repo, const char *name)
{
	git_reference *ref = NULL;
	int err;

	if ((err = lookup_branch(&ref, repo, name)) < 0)
		goto done;
	if ((err = check_not_checked_out(repo, ref, name, "delete")) < 0)
		goto done;
	/* what git_branch_delete() does, without its leak (see remove_branch_config) */
	if ((err = git_reference_delete(ref)) < 0) {
		err = vcs_fail(err, "cannot delete branch '%s'", name);
		goto done;
	}
	err = remove_branch_config(repo, name);
done:
	git_reference_free(ref);
	return err;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int vcs_branch_list(struct strvec *out, struct vcs_repo *repo, const char *prefix)
{
	git_branch_iterator *it = NULL;
	git_reference *ref = NULL;
	git_branch_t type;
	struct strvec found = STRVEC_INIT;
	size_t plen = prefix ? strlen(prefix) : 0;
	size_t i;
	int err;

	if ((err = git_branch_iterator_new(&it, repo->git, GIT_BRANCH_LOCAL)) < 0)
		return vcs_fail(err, "cannot list the branches of '%s'", repo->workdir);
	while (!(err = git_branch_next(&ref, &type, it))) {
		const char *name = NULL;
		if (!git_branch_name(&name, ref) && !strncmp(name, prefix ? prefix : "", plen))
			strvec_push(&found, name);
		git_reference_free(ref);
		ref = NULL;
	}
	if ((err = iteration_end(err, repo, "list the branches")) < 0)
		goto done;
	if (found.nr > 1)
		qsort(found.v, found.nr, sizeof(*found.v), cmp_str);
	for (i = 0; i < found.nr; i++)
		strvec_push(out, found.v[i]);
done:
	strvec_clear(&found);
	git_branch_iterator_free(it);
	return err;
}

int vcs_branch_locks_remove(struct strvec *removed, struct vcs_repo *repo, const char *prefix)
{
	static const char *const dirs[] = { "refs/heads", "logs/refs/heads" };
	struct buf path = BUF_INIT;
	size_t i, lock_len = strlen(".lock");
	int err = 0;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		struct dirent *de;
		DIR *d;

		buf_reset(&path);
		buf_addf(&path, "%s%s%s", repo->commondir,
			 repo->commondir[strlen(repo->commondir) - 1] == '/' ? "" : "/", dirs[i]);
		if (!(d = opendir(path.ptr)))
			continue;   /* no such directory: no lock in it */
		while ((de = readdir(d))) {
			size_t len = strlen(de->d_name);
			struct buf file = BUF_INIT;
			struct stat st;

			if (strncmp(de->d_name, prefix, strlen(prefix)) || len <= lock_len ||
			    strcmp(de->d_name + len - lock_len, ".lock"))
				continue;
			buf_addf(&file, "%s/%s", path.ptr, de->d_name);
			if (lstat(file.ptr, &st) == 0 && S_ISREG(st.st_mode)) {
				if (unlink(file.ptr) == 0)
					strvec_push(removed, file.ptr);
				else if (errno != ENOENT && !err)
					err = error_errno("cannot remove '%s'", file.ptr);
			}
			buf_release(&file);
		}
		closedir(d);
	}
	buf_release(&path);
	return err;
}

int vcs_branch_target(char out[VCS_OID_HEXSZ + 1], struct vcs_repo *repo, const char *name)
{
	git_reference *ref = NULL, *resolved = NULL;
	int err;

	out[0] = '\0';
	if ((err = lookup_branch(&ref, repo, name)) < 0)
		goto done;
	if ((err = git_reference_resolve(&resolved, ref)) < 0) {
		err = vcs_fail(err, "cannot resolve branch '%s'", name);
		goto done;
	}
	oid_to_hex(out, git_reference_target(resolved));
done:
	git_reference_free(resolved);
	git_reference_free(ref);
	return err;
}

/* length of the UTF-8 sequence starting at `p` if it is a valid one, else 0 */
static size_t utf8_seq(const unsigned char *p)
{
	size_t n = *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc0 ? 2 : 0;
	size_t i;

	for (i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n && utf8_is_valid((const char *)p, n) ? n : 0;
}

static void add_dash(struct buf *out)
{
	if (out->len && out->ptr[out->len - 1] != '-')
		buf_addch(out, '-');
}

static int ends_with(const struct buf *b, const char *suffix)
{
	size_t n = strlen(suffix);
	return b->len >= n && !memcmp(b->ptr + b->len - n, suffix, n);
}

static int branch_name_ok(const char *name)
{
	struct buf full = BUF_INIT;
	int ref_ok = 0, branch_ok = 0;

	buf_addf(&full, VCS_REFS_HEADS "%s", name);
	if (git_libgit2_init() >= 0) {
		if (git_reference_name_is_valid(&ref_ok, full.ptr) < 0)
			ref_ok = 0;
		if (git_branch_name_is_valid(&branch_ok, name) < 0)
			branch_ok = 0;
		git_error_clear();
		git_libgit2_shutdown();
	}
	buf_release(&full);
	/* "@" alone means HEAD to git's command line */
	return ref_ok && branch_ok && strcmp(name, "@");
}

void vcs_branch_name_sanitize(struct buf *out, const char *text)
{
	const unsigned char *p = (const unsigned char *)(text ? text : "");
	int changed;

	buf_reset(out);
	while (*p && out->len < VCS_BRANCH_NAME_MAX) {
		unsigned char c = *p;
		if (c >= 0x80) {
			size_t n = utf8_seq(p);
			if (!n) {
				add_dash(out);
				p++;
			} else {
				if (out->len + n > VCS_BRANCH_NAME_MAX)
					break;
				buf_add(out, p, n);
				p += n;
			}
			continue;
		}
		p++;
		if (c < 0x20 || c == 0x7f || strchr(" ~^:?*[]{}()<>\\/-", c))
			add_dash(out);
		else if (c == '.' && out->len && out->ptr[out->len - 1] == '.')
			; /* ".." becomes "." */
		else if (c == '{' && out->len && out->ptr[out->len - 1] == '@')
			add_dash(out);
		else
			buf_addch(out, c);
	}

	do {
		size_t lead = 0;
		changed = 0;
		while (lead < out->len && (out->ptr[lead] == '-' || out->ptr[lead] == '.'))
			lead++;
		if (lead) {
			memmove(out->ptr, out->ptr + lead, out->len - lead);
			buf_setlen(out, out->len - lead);
			changed = 1;
		}
		if (ends_with(out, ".") || ends_with(out, "-")) {
			buf_setlen(out, out->len - 1);
			changed = 1;
		} else if (ends_with(out, ".lock")) {
			buf_setlen(out, out->len - strlen(".lock"));
			changed = 1;
		}
	} while (changed);

	if (out->len > VCS_BRANCH_NAME_READABLE) {
		size_t keep = VCS_BRANCH_NAME_READABLE - 9;
		/* cut on a character's first byte, then no '-' or '.' before the hash */
		while (keep && ((unsigned char)out->ptr[keep] & 0xc0) == 0x80)
			keep--;
		while (keep && (out->ptr[keep - 1] == '-' || out->ptr[keep - 1] == '.'))
			keep--;
		buf_setlen(out, keep);
		buf_addf(out, "-%08x", (unsigned)(hash_fnv1a(text, strlen(text)) & 0xffffffffu));
	}
	if (!out->len || !branch_name_ok(out->ptr)) {
		buf_reset(out);
		buf_adds(out, VCS_BRANCH_NAME_FALLBACK);
	}
}

/* ---- diffs and patches ---- */

/* the diff from commit `from` (NULL: the first parent of `to`, or nothing) to commit `to` */
static int diff_commits(git_diff **out, struct vcs_repo *repo, const char *from, const char *to)
{
	git_diff_options opts;
	git_commit *from_c = NULL, *to_c = NULL;
	git_tree *from_t = NULL, *to_t = NULL;
	int err;

	*out = NULL;
	diff_options_init(&opts);
	if ((err = lookup_commit(&to_c, repo->git, to)) < 0)
		goto done;
	if (from) {
		if ((err = lookup_commit(&from_c, repo->git, from)) < 0)
			goto done;
	} else if (git_commit_parentcount(to_c) > 0) {
		if ((err = git_commit_parent(&from_c, to_c, 0)) < 0) {
			err = vcs_fail(err, "cannot read the parent of '%s'", to);
			goto done;
		}
	}
	if ((from_c && (err = git_commit_tree(&from_t, from_c)) < 0) ||
	    (err = git_commit_tree(&to_t, to_c)) < 0) {
		err = vcs_fail(err, "cannot read the trees to compare");
		goto done;
	}
	if ((err = git_diff_tree_to_tree(out, repo->git, from_t, to_t, &opts)) < 0)
		err = vcs_fail(err, "cannot compare '%s' with '%s'", from ? from : "its parent", to);
done:
	git_tree_free(to_t);
	git_tree_free(from_t);
	git_commit_free(to_c);
	git_commit_free(from_c);
	return err;
}

int vcs_diff(struct buf *out, struct vcs_repo *repo, const char *from, const char *to)
{
	git_diff *diff = NULL;
	int err;

	if ((err = diff_commits(&diff, repo, from, to)) == 0)
		err = diff_to_buf(out, diff);
	git_diff_free(diff);
	return err;
}

/*
 * A second handle on the same object database, whose writes stay in
 * memory: blobs and trees made only to be compared never reach the disk.
 */
static int open_scratch(git_repository **out, struct vcs_repo *repo)
{
	git_odb *odb = NULL;
	git_odb_backend *mem = NULL;
	int err;

	*out = NULL;
	if ((err = git_repository_open_bare(out, repo->commondir)) < 0)
		return vcs_fail(err, "cannot open '%s'", repo->commondir);
	if ((err = git_repository_odb(&odb, *out)) < 0 || (err = git_mempack_new(&mem)) < 0) {
		err = vcs_fail(err, "cannot set up an in-memory object store");
		goto done;
	}
	if ((err = git_odb_add_backend(odb, mem, VCS_MEMPACK_PRIORITY)) < 0) {
		mem->free(mem);
		err = vcs_fail(err, "cannot set up an in-memory object store");
	}
done:
	git_odb_free(odb);
	if (err < 0) {
		git_repository_free(*out);
		*out = NULL;
	}
	return err;
}

int vcs_diff_files(struct buf *out, struct vcs_repo *repo, const char *commit, const char *dir,
		   const struct strvec *paths)
{
	git_repository *scratch = NULL;
	git_commit *c = NULL;
	git_tree *old_t = NULL, *new_t = NULL;
	git_diff *diff = NULL;
	git_diff_options opts;
	git_oid base, new_id;
	int err;

	diff_options_init(&opts);
	if ((err = check_paths(paths)) < 0)
		return err;
	if ((err = lookup_commit(&c, repo->git, commit)) < 0)
		goto done;
	git_oid_cpy(&base, git_commit_tree_id(c));
	if ((err = open_scratch(&scratch, repo)) < 0)
		goto done;
	if ((err = build_tree(&new_id, repo, scratch, &base, dir, paths)) < 0)
		goto done;
	if ((err = git_tree_lookup(&old_t, scratch, &base)) < 0 ||
	    (err = git_tree_lookup(&new_t, scratch, &new_id)) < 0) {
		err = vcs_fail(err, "cannot read the trees to compare");
		goto done;
	}
	if ((err = git_diff_tree_to_tree(&diff, scratch, old_t, new_t, &opts)) < 0) {
		err = vcs_fail(err, "cannot compare '%s' with '%s'", commit, dir);
		goto done;
	}
	err = diff_to_buf(out, diff);
done:
	git_diff_free(diff);
	git_tree_free(new_t);
	git_tree_free(old_t);
	git_repository_free(scratch);
	git_commit_free(c);
	return err;
}

int vcs_diff_texts(struct buf *out, const char *path, const char *old_text, size_t old_len,
		   const char *new_text, size_t new_len)
{
	git_diff_options opts;
	git_patch *patch = NULL;
	git_buf text = GIT_BUF_INIT;
	int err;

	if ((err = git_libgit2_init()) < 0)
		return vcs_fail(err, "cannot initialise libgit2");
	git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
	if ((err = git_patch_from_buffers(&patch, old_text, old_len, path, new_text, new_len, path,
					  &opts)) < 0 ||
	    (err = git_patch_to_buf(&text, patch)) < 0)
		err = vcs_fail(err, "cannot compare two versions of '%s'", path);
	else
		err = buf_add(out, text.ptr ? text.ptr : "", text.size);
	git_buf_dispose(&text);
	git_patch_free(patch);
	git_libgit2_shutdown();
	return err;
}

/* the file git_apply() was last working on, to name it when it fails */
static int note_delta(const git_diff_delta *delta, void *payload)
{
	const char **path = payload;
	*path = delta->new_file.path ? delta->new_file.path : delta->old_file.path;
	return 0;
}

int vcs_apply_to_workdir(struct vcs_repo *repo, const char *patch, size_t len, int check_only)
{
	git_apply_options opts;
	git_diff *diff = NULL;
	const char *current = NULL;
	int err;

	git_apply_options_init(&opts, GIT_APPLY_OPTIONS_VERSION);
	if ((err = git_diff_from_buffer(&diff, patch, len)) < 0) {
		vcs_fail(err, "cannot read the patch");
		err = ERR_PARSE;
		goto done;
	}
	if (!git_diff_num_deltas(diff)) {
		err = error_setc(ERR_PARSE, "cannot read the patch: no file changes in it");
		goto done;
	}
	opts.delta_cb = note_delta;
	opts.payload = &current;
	if (check_only)
		opts.flags |= GIT_APPLY_CHECK;
	err = git_apply(repo->git, diff, GIT_APPLY_LOCATION_WORKDIR, &opts);
	if (err < 0 && current &&
	    (err == GIT_EAPPLYFAIL || err == GIT_ENOTFOUND || err == GIT_ECONFLICT)) {
		vcs_fail(err, "patch does not apply to '%s'", current);
		err = ERR_CONFLICT;
	} else if (err < 0) {
		err = vcs_fail(err, "patch does not apply to the work tree of '%s'", repo->workdir);
	}
done:
	git_diff_free(diff);
	return err;
}

/* one side of a three-way merge: a file's content, or its absence */
struct side {
	int present;
	struct buf data;
};
#define SIDE_INIT { 0, BUF_INIT }

/* the blob `id` as it would be checked out at `path` (smudge filters, eol) */
static int blob_for_workdir(struct side *out, git_repository *git, const git_oid *id,
			    const char *path)
{
	git_blob_filter_options fo;
	git_blob *blob = NULL;
	git_buf text = GIT_BUF_INIT;
	int err;

	git_blob_filter_options_init(&fo, GIT_BLOB_FILTER_OPTIONS_VERSION);
	if ((err = git_blob_lookup(&blob, git, id)) < 0)
		return vcs_fail(err, "cannot read the blob of '%s'", path);
	if ((err = git_blob_filter(&text, blob, path, &fo)) < 0) {
		err = vcs_fail(err, "cannot filter '%s'", path);
	} else {
		out->present = 1;
		buf_add(&out->data, text.ptr ? text.ptr : "", text.size);
	}
	git_buf_dispose(&text);
	git_blob_free(blob);
	return err;
}

/* what the work tree has at `path` now: the batch's planned content first, else the file */
static int workdir_side(struct side *out, const struct fs_batch *batch, const char *full)
{
	const struct fs_batch_file *f = fs_batch_find(batch, full);
	struct stat st;
	int err;

	if (f) {
		out->present = !f->remove;
		if (out->present)
			buf_add(&out->data, f->data.ptr, f->data.len);
		return 0;
	}
	if (lstat(full, &st) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return error_errno("cannot read '%s'", full);
	}
	if (!S_ISREG(st.st_mode))
		return error_setc(ERR_CONFLICT, "'%s' is not a regular file in your working tree",
				  full);
	if ((err = fs_read_file(&out->data, full, 0)) == 0)
		out->present = 1;
	return err;
}

static int same_side(const struct side *a, const struct side *b)
{
	if (a->present != b->present)
		return 0;
	return !a->present || (a->data.len == b->data.len &&
			       !memcmp(a->data.ptr, b->data.ptr, a->data.len));
}

/* base -> fix merged into `user` (the work tree's version); ERR_CONFLICT naming the file */
static int merge_sides(struct side *out, struct side *base, struct side *user, struct side *fix,
		       const char *path)
{
	git_merge_file_input in_base, in_user, in_fix;
	git_merge_file_result res;
	int err;

	if (same_side(user, base) || same_side(user, fix)) {
		out->present = fix->present;
		buf_add(&out->data, fix->data.ptr, fix->data.len);
		return 0;
	}
	if (!base->present)
		return error_setc(ERR_CONFLICT, "'%s' already exists in your working tree with "
				  "other content", path);
	if (!user->present)
		return error_setc(ERR_CONFLICT, "'%s' was removed from your working tree", path);
	if (!fix->present)
		return error_setc(ERR_CONFLICT, "'%s' has changes of yours and the fix removes it",
				  path);
	git_merge_file_input_init(&in_base, GIT_MERGE_FILE_INPUT_VERSION);
	git_merge_file_input_init(&in_user, GIT_MERGE_FILE_INPUT_VERSION);
	git_merge_file_input_init(&in_fix, GIT_MERGE_FILE_INPUT_VERSION);
	in_base.ptr = base->data.ptr;
	in_base.size = base->data.len;
	in_base.path = path;
	in_user.ptr = user->data.ptr;
	in_user.size = user->data.len;
	in_user.path = path;
	in_fix.ptr = fix->data.ptr;
	in_fix.size = fix->data.len;
	in_fix.path = path;
	memset(&res, 0, sizeof(res));
	if ((err = git_merge_file(&res, &in_base, &in_user, &in_fix, NULL)) < 0)
		return vcs_fail(err, "cannot merge the fix into '%s'", path);
	if (!res.automergeable) {
		err = error_setc(ERR_CONFLICT, "'%s' has changes of yours that overlap the fix", path);
	} else {
		out->present = 1;
		buf_add(&out->data, res.ptr, res.len);
	}
	git_merge_file_result_free(&res);
	return err;
}

int vcs_apply_to_batch(struct fs_batch *out, struct vcs_repo *repo, const char *from,
		       const char *to)
{
	git_diff *diff = NULL;
	struct buf full = BUF_INIT;
	size_t i, n;
	int err;

	if ((err = diff_commits(&diff, repo, from, to)) < 0)
		goto done;
	n = git_diff_num_deltas(diff);
	for (i = 0; i < n && !err; i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		const char *path = d->status == GIT_DELTA_DELETED ? d->old_file.path : d->new_file.path;
		struct side base = SIDE_INIT, user = SIDE_INIT, fix = SIDE_INIT, merged = SIDE_INIT;

		if ((err = check_path(path)) < 0)
			break;
		if (d->old_file.mode == GIT_FILEMODE_LINK || d->new_file.mode == GIT_FILEMODE_LINK ||
		    d->old_file.mode == GIT_FILEMODE_COMMIT || d->new_file.mode == GIT_FILEMODE_COMMIT) {
			err = error_setc(ERR_CONFLICT, "cannot apply a change to '%s': only regular "
					 "files are applied", path);
			break;
		}
		buf_reset(&full);
		buf_addf(&full, "%s/%s", repo->workdir, path);
		if (d->status != GIT_DELTA_ADDED)
			err = blob_for_workdir(&base, repo->git, &d->old_file.id, path);
		if (!err && d->status != GIT_DELTA_DELETED)
			err = blob_for_workdir(&fix, repo->git, &d->new_file.id, path);
		if (!err)
			err = workdir_side(&user, out, full.ptr);
		if (!err)
			err = merge_sides(&merged, &base, &user, &fix, path);
		if (!err && !same_side(&merged, &user)) {
			struct fs_batch_file *f = fs_batch_get(out, full.ptr);
			f->remove = !merged.present;
			buf_reset(&f->data);
			buf_add(&f->data, merged.data.ptr, merged.data.len);
			f->mode = d->new_file.mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0755 : 0644;
		}
		buf_release(&base.data);
		buf_release(&user.data);
		buf_release(&fix.data);
		buf_release(&merged.data);
	}
done:
	buf_release(&full);
	git_diff_free(diff);
	return err;
}

/* ---- odds and ends ---- */

static int has_line(const struct buf *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text->ptr, *end = text->ptr + text->len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		const char *t = e;
		while (t > p && (t[-1] == '\r' || t[-1] == ' ' || t[-1] == '\t'))
			t--;
		if ((size_t)(t - p) == n && !memcmp(p, line, n))
			return 1;
		p = nl ? nl + 1 : end;
	}
	return 0;
}

int vcs_exclude(struct vcs_repo *repo, const char *pattern)
{
	struct buf path = BUF_INIT, text = BUF_INIT;
	struct stat st;
	mode_t mode = VCS_EXCLUDE_MODE;
	int err;

	if (!*pattern || strpbrk(pattern, "\r\n"))
		return error_setc(ERR_USAGE, "invalid exclude pattern '%s'", pattern);
	buf_addf(&path, "%sinfo", repo->commondir);
	if ((err = fs_mkdir_p(path.ptr, 0777)) < 0)
		goto done;
	buf_adds(&path, "/exclude");
	err = fs_read_file(&text, path.ptr, 0);
	if (err == ERR_NOTFOUND)
		err = 0;
	if (err < 0 || has_line(&text, pattern))
		goto done;
	if (!stat(path.ptr, &st))
		mode = st.st_mode & 07777;
	if (text.len && text.ptr[text.len - 1] != '\n')
		buf_addch(&text, '\n');
	buf_addf(&text, "%s\n", pattern);
	err = fs_write_atomic(path.ptr, text.ptr, text.len, mode);
done:
	buf_release(&text);
	buf_release(&path);
	return err;
}

struct author_lines {
	char *who;
	size_t lines;
};

static int cmp_authors(const void *a, const void *b)
{
	const struct author_lines *x = a, *y = b;
	if (x->lines != y->lines)
		return x->lines > y->lines ? -1 : 1;
	return strcmp(x->who, y->who);
}

/* the number of lines of `path` in `c` */
static int count_lines(size_t *out, git_repository *git, git_commit *c, const char *commit,
		       const char *path)
{
	git_tree *tree = NULL;
	git_tree_entry *entry = NULL;
	git_blob *blob = NULL;
	const char *data;
	git_object_size_t i, size;
	int err;

	*out = 0;
	if ((err = git_commit_tree(&tree, c)) < 0) {
		err = vcs_fail(err, "cannot read a tree");
		goto done;
	}
	if ((err = git_tree_entry_bypath(&entry, tree, path)) < 0) {
		if (err == GIT_ENOTFOUND) {
			git_error_clear();
			err = error_setc(ERR_NOTFOUND, "'%s' does not exist in '%s'", path, commit);
		} else {
			err = vcs_fail(err, "cannot find '%s' in '%s'", path, commit);
		}
		goto done;
	}
	if ((err = git_blob_lookup(&blob, git, git_tree_entry_id(entry))) < 0) {
		err = vcs_fail(err, "cannot read '%s'", path);
		goto done;
	}
	data = git_blob_rawcontent(blob);
	size = git_blob_rawsize(blob);
	for (i = 0; i < size; i++)
		if (data[i] == '\n')
			(*out)++;
	if (size && data[size - 1] != '\n')
		(*out)++;
done:
	git_blob_free(blob);
	git_tree_entry_free(entry);
	git_tree_free(tree);
	return err;
}

int vcs_blame_authors(struct strvec *out, struct vcs_repo *repo, const char *commit,
		      const char *path, int start, int end)
{
	git_blame_options opts;
	git_blame *blame = NULL;
	git_commit *c = NULL;
	struct author_lines *authors = NULL;
	size_t nr = 0, alloc = 0, nlines, i, j;
	struct buf who = BUF_INIT;
	uint32_t hunks;
	int err;

	git_blame_options_init(&opts, GIT_BLAME_OPTIONS_VERSION);
	if ((err = check_path(path)) < 0)
		return err;
	if ((err = lookup_commit(&c, repo->git, commit)) < 0)
		goto done;
	if ((err = count_lines(&nlines, repo->git, c, commit, path)) < 0)
		goto done;
	if (start < 1)
		start = 1;
	if (end <= 0 || (size_t)end > nlines)
		end = (int)nlines;
	if ((size_t)start > nlines || start > end) {
		err = error_setc(ERR_USAGE, "no lines %d-%d in '%s' (it has %zu)", start, end,
				 path, nlines);
		goto done;
	}

	opts.flags = GIT_BLAME_USE_MAILMAP;
	git_oid_cpy(&opts.newest_commit, git_commit_id(c));
	opts.min_line = (size_t)start;
	opts.max_line = (size_t)end;
	if ((err = git_blame_file(&blame, repo->git, path, &opts)) < 0) {
		err = vcs_fail(err, "cannot blame '%s'", path);
		goto done;
	}
	hunks = git_blame_get_hunk_count(blame);
	for (i = 0; i < hunks; i++) {
		const git_blame_hunk *h = git_blame_get_hunk_byindex(blame, (uint32_t)i);
		const git_signature *sig;
		size_t first, last, lines;

		if (!h)
			continue;
		sig = h->final_signature ? h->final_signature : h->orig_signature;
		first = h->final_start_line_number;
		last = first + h->lines_in_hunk - 1;
		if (!sig || !h->lines_in_hunk || last < (size_t)start || first > (size_t)end)
			continue;
		lines = (last > (size_t)end ? (size_t)end : last) -
			(first < (size_t)start ? (size_t)start : first) + 1;
		buf_reset(&who);
		buf_addf(&who, "%s <%s>", sig->name, sig->email);
		for (j = 0; j < nr && strcmp(authors[j].who, who.ptr); j++)
			;
		if (j == nr) {
			ALLOC_GROW(authors, nr + 1, alloc);
			authors[nr].who = xstrdup(who.ptr);
			authors[nr].lines = 0;
			nr++;
		}
		authors[j].lines += lines;
	}
	if (nr > 1)
		qsort(authors, nr, sizeof(*authors), cmp_authors);
	for (i = 0; i < nr; i++)
		strvec_push(out, authors[i].who);
done:
	for (i = 0; i < nr; i++)
		free(authors[i].who);
	free(authors);
	buf_release(&who);
	git_blame_free(blame);
	git_commit_free(c);
	return err;
}

/* ---- remotes ---- */

#define VCS_TOKEN_ENV "GITHUB_TOKEN"


/*
 * git's url.<base>.insteadOf (and pushInsteadOf) rewriting, done here:
 * libgit2 1.5 leaks a regex match block per config entry in its own.
 */
struct rewrite {
	const char *url;
	const char *suffix;     /* ".insteadof" or ".pushinsteadof" */
	size_t best_len;        /* of the longest prefix matched */
	struct buf out;
};

static int on_rewrite_entry(const git_config_entry *e, void *payload)
{
	struct rewrite *rw = payload;
	size_t name_len = strlen(e->name), suffix_len = strlen(rw->suffix);
	size_t value_len = e->value ? strlen(e->value) : 0;

	if (name_len <= 4 + suffix_len || strncasecmp(e->name, "url.", 4) ||
	    strcasecmp(e->name + name_len - suffix_len, rw->suffix))
		return 0;
	if (!value_len || value_len <= rw->best_len || strncmp(rw->url, e->value, value_len))
		return 0;
	rw->best_len = value_len;
	buf_reset(&rw->out);
	buf_add(&rw->out, e->name + 4, name_len - 4 - suffix_len);
	buf_adds(&rw->out, rw->url + value_len);
	return 0;
}

/* `url` rewritten by the rules of `suffix`; 1 when one applied, with the result in `out` */
static int rewrite_url(struct buf *out, git_config *cfg, const char *url, const char *suffix)
{
	struct rewrite rw = { url, suffix, 0, BUF_INIT };

	git_config_foreach(cfg, on_rewrite_entry, &rw);
	git_error_clear();
	if (!rw.best_len) {
		buf_release(&rw.out);
		return 0;
	}
	buf_reset(out);
	buf_add(out, rw.out.ptr, rw.out.len);
	buf_release(&rw.out);
	return 1;
}

/*
 * The URL of remote `name` (a configured name, or else, unless
 * named_only, a URL or a path) for pushing or fetching, with git's
 * insteadOf rules applied.
 */
static int remote_url_for(struct buf *out, struct vcs_repo *repo, const char *name,
			  int named_only, int push)
{
	git_config *cfg = NULL;
	git_config_entry *url = NULL, *pushurl = NULL;
	struct buf key = BUF_INIT;
	const char *base;
	int err = 0, valid = 0;

	if (!name || !*name)
		return error_setc(ERR_USAGE, "no remote given");
	if ((err = git_repository_config_snapshot(&cfg, repo->git)) < 0)
		return vcs_fail(err, "cannot read the repository's configuration");
	if (git_remote_name_is_valid(&valid, name) < 0)
		valid = 0;
	git_error_clear();
	if (valid) {
		buf_addf(&key, "remote.%s.url", name);
		git_config_get_entry(&url, cfg, key.ptr);
		buf_reset(&key);
		buf_addf(&key, "remote.%s.pushurl", name);
		git_config_get_entry(&pushurl, cfg, key.ptr);
		git_error_clear();
	}
	if (url || pushurl) {
		base = url ? url->value : pushurl->value;
		if (push && pushurl)
			base = pushurl->value;
	} else if (named_only || (!strchr(name, '/') && !strchr(name, ':'))) {
		err = error_setc(ERR_NOTFOUND, "no remote '%s' in the repository", name);
		goto done;
	} else {
		base = name;
	}
	/* pushInsteadOf applies to a URL that is not an explicit pushurl */
	if (!(push && !pushurl && rewrite_url(out, cfg, base, ".pushinsteadof")) &&
	    !rewrite_url(out, cfg, base, ".insteadof")) {
		buf_reset(out);
		buf_adds(out, base);
	}
done:
	git_config_entry_free(url);
	git_config_entry_free(pushurl);
	git_config_free(cfg);
	buf_release(&key);
	return err;
}

int vcs_remote_url(struct buf *out, struct vcs_repo *repo, const char *remote)
{
	struct buf url = BUF_INIT;
	int err;

	if ((err = remote_url_for(&url, repo, remote, 1, 0)) < 0)
		goto done;
	vcs_url_scrub(out, url.ptr);
done:
	buf_release(&url);
	return err;
}

/* the error when the server asks for credentials and there is none */
#define VCS_NO_CREDENTIALS "no credentials: set " VCS_TOKEN_ENV " for https, or load a key into " \
	"ssh-agent for ssh"

int vcs_push(struct vcs_repo *repo, const char *remote, const char *branch, int force)
{
	git_remote *r = NULL;
	git_reference *ref = NULL;
	git_push_options opts;
	struct vcs_auth st = VCS_AUTH_INIT(getenv(VCS_TOKEN_ENV), VCS_NO_CREDENTIALS);
	git_remote_create_options copts;
	struct buf spec = BUF_INIT, shown = BUF_INIT, url = BUF_INIT;
	char *spec_ptr;
	git_strarray refspecs = { &spec_ptr, 1 };
	int err;

	git_push_options_init(&opts, GIT_PUSH_OPTIONS_VERSION);
	git_remote_create_options_init(&copts, GIT_REMOTE_CREATE_OPTIONS_VERSION);
	if ((err = lookup_branch(&ref, repo, branch)) < 0)
		goto done;
	if ((err = remote_url_for(&url, repo, remote, 0, 1)) < 0)
		goto done;
	vcs_url_scrub(&shown, remote);
	copts.repository = repo->git;
	copts.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	if ((err = git_remote_create_with_opts(&r, url.ptr, &copts)) < 0) {
		err = vcs_fail(err, "invalid remote '%s'", shown.ptr);
		goto done;
	}
	buf_addf(&spec, "%s" VCS_REFS_HEADS "%s:" VCS_REFS_HEADS "%s", force ? "+" : "",
		 branch, branch);
	spec_ptr = spec.ptr;
	vcs_auth_callbacks(&opts.callbacks, &st);

	err = git_remote_push(r, &refspecs, &opts);
	if (err == GIT_ENONFASTFORWARD) {
		git_error_clear();
		err = error_setc(ERR_CONFLICT, "cannot push branch '%s' to '%s': rejected "
				 "'" VCS_REFS_HEADS "%s': not a fast-forward (the remote has "
				 "commits the branch lacks)", branch, shown.ptr, branch);
		goto done;
	}
	if (err < 0) {
		err = vcs_fail(err, "cannot push branch '%s' to '%s'", branch, shown.ptr);
		error_scrub(err, st.token);
		goto done;
	}
	if (st.rejected_ref) {
		err = error_setc(ERR_CONFLICT, "the remote '%s' rejected '%s': %s", shown.ptr,
				 st.rejected_ref, st.rejected_why);
		goto done;
	}
done:
	vcs_auth_release(&st);
	buf_release(&spec);
	buf_release(&shown);
	buf_release(&url);
	git_reference_free(ref);
	git_remote_free(r);
	return err;
}
