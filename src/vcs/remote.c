/*
 * Remotes by URL: clone, ls-remote, a checked push (vcs/remote.h). The
 * token only ever goes to libgit2 through the credentials callback.
 */
#include "vcs/remote.h"

#include "util/error.h"
#include "util/fs.h"
#include "util/xalloc.h"
#include "vcs/libgit.h"

#include <git2.h>

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

/* the error when the server asks for credentials and there is no token */
#define VCS_NO_TOKEN "authentication failed: the server asks for credentials and no token " \
	"was given"

/*
 * A remote for `url`: in-memory (`name` NULL; `git` NULL: detached), or
 * named and configured. git's insteadOf rules are not applied: libgit2 1.5
 * leaks a regex match block per configuration entry when it does.
 */
static int remote_new(git_remote **out, git_repository *git, const char *name, const char *url)
{
	git_remote_create_options o;

	git_remote_create_options_init(&o, GIT_REMOTE_CREATE_OPTIONS_VERSION);
	o.repository = git;
	o.name = name;
	o.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF;
	if (!name)
		o.flags |= GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	return git_remote_create_with_opts(out, url, &o);
}

/* git_clone()'s origin, made by remote_new() */
static int on_clone_remote(git_remote **out, git_repository *git, const char *name,
			   const char *url, void *payload)
{
	(void)payload;
	return remote_new(out, git, name, url);
}

/* 0 and the id for a 40-hex `hex`; ERR_USAGE otherwise */
static int parse_oid(git_oid *out, const char *hex, const char *what)
{
	if (!hex || strlen(hex) != VCS_OID_HEXSZ || git_oid_fromstr(out, hex) < 0) {
		git_error_clear();
		return error_setc(ERR_USAGE, "invalid %s '%s': 40 hex digits are expected", what,
				  hex ? hex : "");
	}
	return 0;
}

static int check_branch(struct buf *ref, const char *branch)
{
	int valid = 0;

	buf_reset(ref);
	buf_addf(ref, VCS_REFS_HEADS "%s", branch ? branch : "");
	if (!branch || !*branch || git_reference_name_is_valid(&valid, ref->ptr) < 0 || !valid) {
		git_error_clear();
		return error_setc(ERR_USAGE, "invalid branch name '%s'", branch ? branch : "");
	}
	return 0;
}

/* ---- clone ---- */

int vcs_clone(struct vcs_repo **out, const char *url, const char *dir, const char *commit,
	      const char *token)
{
	git_clone_options opts;
	git_checkout_options co;
	git_repository *git = NULL;
	git_commit *c = NULL;
	struct vcs_auth a = VCS_AUTH_INIT(token, VCS_NO_TOKEN);
	struct buf shown = BUF_INIT;
	git_oid oid;
	struct stat st;
	int created = 0, err;

	*out = NULL;
	/* first: a libgit2 call before it leaks the thread's error state */
	if ((err = git_libgit2_init()) < 0)
		return vcs_fail(err, "cannot initialise libgit2");
	vcs_url_scrub(&shown, url);
	if ((err = parse_oid(&oid, commit, "commit")) < 0)
		goto done;
	if (lstat(dir, &st) < 0) {
		if (errno != ENOENT) {
			err = error_errno("cannot clone into '%s'", dir);
			goto done;
		}
		created = 1;
	}
	git_clone_options_init(&opts, GIT_CLONE_OPTIONS_VERSION);
	opts.checkout_opts.checkout_strategy = GIT_CHECKOUT_NONE;
	opts.remote_cb = on_clone_remote;
	vcs_auth_callbacks(&opts.fetch_opts.callbacks, &a);
	err = git_clone(&git, url, dir, &opts);
	if (err < 0) {
		err = vcs_fail(err, "cannot clone '%s'", shown.ptr);
		error_scrub(err, a.token);
		goto done;
	}
	/* the URL recorded is the one without credentials */
	if (strcmp(shown.ptr, url) && (err = git_remote_set_url(git, VCS_CLONE_REMOTE, shown.ptr)) < 0) {
		err = vcs_fail(err, "cannot record the remote of '%s'", dir);
		goto done;
	}
	if (git_commit_lookup(&c, git, &oid) < 0) {
		git_error_clear();
		err = error_setc(ERR_NOTFOUND, "commit '%s' is on no branch of '%s'", commit,
				 shown.ptr);
		goto done;
	}
	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	co.checkout_strategy = GIT_CHECKOUT_FORCE;
	if ((err = git_repository_set_head_detached(git, &oid)) < 0 ||
	    (err = git_checkout_head(git, &co)) < 0) {
		err = vcs_fail(err, "cannot check out '%s' in '%s'", commit, dir);
		goto done;
	}
	err = vcs_open(out, dir);
done:
	git_commit_free(c);
	git_repository_free(git);
	if (err < 0 && created)
		fs_remove_tree(dir);
	vcs_auth_release(&a);
	buf_release(&shown);
	git_libgit2_shutdown();
	return err;
}

/* ---- ls-remote ---- */

/* the head of `ref` among the connected remote's refs: 1 and `out`, or 0 when it has none */
static int find_head(git_oid *out, int *found, git_remote *r, const char *ref)
{
	const git_remote_head **heads = NULL;
	size_t i, n = 0;
	int err;

	*found = 0;
	if ((err = git_remote_ls(&heads, &n, r)) < 0)
		return err;
	for (i = 0; i < n; i++)
		if (!strcmp(heads[i]->name, ref)) {
			git_oid_cpy(out, &heads[i]->oid);
			*found = 1;
			break;
		}
	return 0;
}

int vcs_remote_branch_head(char out[VCS_OID_HEXSZ + 1], const char *url, const char *branch,
			   const char *token)
{
	git_remote *r = NULL;
	git_remote_callbacks cb;
	struct vcs_auth a = VCS_AUTH_INIT(token, VCS_NO_TOKEN);
	struct buf shown = BUF_INIT, ref = BUF_INIT;
	git_oid oid;
	int found = 0, err;

	out[0] = '\0';
	if ((err = git_libgit2_init()) < 0)
		return vcs_fail(err, "cannot initialise libgit2");
	vcs_url_scrub(&shown, url);
	if ((err = check_branch(&ref, branch)) < 0)
		goto done;
	vcs_auth_callbacks(&cb, &a);
	if ((err = remote_new(&r, NULL, NULL, url)) < 0) {
		err = vcs_fail(err, "invalid remote '%s'", shown.ptr);
		goto done;
	}
	if ((err = git_remote_connect(r, GIT_DIRECTION_FETCH, &cb, NULL, NULL)) < 0 ||
	    (err = find_head(&oid, &found, r, ref.ptr)) < 0) {
		err = vcs_fail(err, "cannot list the branches of '%s'", shown.ptr);
		error_scrub(err, a.token);
		goto done;
	}
	if (!found) {
		err = error_setc(ERR_NOTFOUND, "no branch '%s' in '%s'", branch, shown.ptr);
		goto done;
	}
	git_oid_tostr(out, VCS_OID_HEXSZ + 1, &oid);
done:
	git_remote_free(r);
	vcs_auth_release(&a);
	buf_release(&shown);
	buf_release(&ref);
	git_libgit2_shutdown();
	return err;
}

/* ---- push ---- */

/* the remote's branch is where the push may go: `expected`, or nowhere for a new one */
static int check_expected(git_remote *r, const char *ref, const char *branch,
			  const char *expected, const char *shown)
{
	char have[VCS_OID_HEXSZ + 1];
	git_oid oid;
	int found = 0, err;

	if ((err = find_head(&oid, &found, r, ref)) < 0)
		return vcs_fail(err, "cannot list the branches of '%s'", shown);
	if (found)
		git_oid_tostr(have, sizeof(have), &oid);
	if (!expected && found)
		return error_setc(ERR_CONFLICT, "the branch '%s' exists already in '%s' (at %.12s): "
				  "a new branch is not pushed over it", branch, shown, have);
	if (expected && !found)
		return error_setc(ERR_CONFLICT, "the branch '%s' moved on: it is gone from '%s' "
				  "(it was at %.12s); nothing was pushed", branch, shown, expected);
	if (expected && strcmp(have, expected))
		return error_setc(ERR_CONFLICT, "the branch '%s' moved on: '%s' has it at %.12s, "
				  "not at %.12s any more; nothing was pushed over the newer commit",
				  branch, shown, have, expected);
	return 0;
}

int vcs_push_commit(struct vcs_repo *repo, const char *url, const char *commit,
		    const char *branch, const char *expected, const char *token)
{
	git_repository *git = vcs_git(repo);
	git_remote *r = NULL;
	git_reference *tmp = NULL;
	git_commit *c = NULL;
	git_push_options opts;
	struct vcs_auth a = VCS_AUTH_INIT(token, VCS_NO_TOKEN);
	struct buf shown = BUF_INIT, ref = BUF_INIT, spec = BUF_INIT;
	char *spec_ptr;
	git_strarray refspecs = { &spec_ptr, 1 };
	git_oid oid, want;
	int err;

	vcs_url_scrub(&shown, url);
	if ((err = check_branch(&ref, branch)) < 0 ||
	    (err = parse_oid(&oid, commit, "commit")) < 0 ||
	    (expected && (err = parse_oid(&want, expected, "expected commit")) < 0))
		goto done;
	if (git_commit_lookup(&c, git, &oid) < 0) {
		git_error_clear();
		err = error_setc(ERR_NOTFOUND, "unknown commit '%s'", commit);
		goto done;
	}
	if ((err = git_reference_create(&tmp, git, VCS_PUSH_REF, &oid, 1, "pytest-fixer push")) < 0) {
		err = vcs_fail(err, "cannot prepare the push of '%s'", commit);
		goto done;
	}
	git_push_options_init(&opts, GIT_PUSH_OPTIONS_VERSION);
	vcs_auth_callbacks(&opts.callbacks, &a);
	if ((err = remote_new(&r, git, NULL, url)) < 0) {
		err = vcs_fail(err, "invalid remote '%s'", shown.ptr);
		goto done;
	}
	if ((err = git_remote_connect(r, GIT_DIRECTION_PUSH, &opts.callbacks, NULL, NULL)) < 0) {
		err = vcs_fail(err, "cannot push to '%s'", shown.ptr);
		error_scrub(err, a.token);
		goto done;
	}
	/* the advertisement read here is what the push updates from: the server checks it */
	if ((err = check_expected(r, ref.ptr, branch, expected, shown.ptr)) < 0)
		goto done;
	buf_addf(&spec, VCS_PUSH_REF ":%s", ref.ptr);
	spec_ptr = spec.ptr;
	err = git_remote_upload(r, &refspecs, &opts);
	if (err == GIT_ENONFASTFORWARD) {
		git_error_clear();
		err = error_setc(ERR_CONFLICT, "the branch '%s' moved on in '%s' while it was being "
				 "pushed to; nothing was pushed over the newer commit", branch, shown.ptr);
		goto done;
	}
	if (err < 0) {
		err = vcs_fail(err, "cannot push branch '%s' to '%s'", branch, shown.ptr);
		error_scrub(err, a.token);
		goto done;
	}
	if (a.rejected_ref) {
		err = error_setc(ERR_CONFLICT, "'%s' refused the update of '%s': %s", shown.ptr,
				 a.rejected_ref, a.rejected_why);
		goto done;
	}
done:
	if (r)
		git_remote_disconnect(r);
	git_remote_free(r);
	if (tmp) {
		git_reference_delete(tmp);
		git_reference_free(tmp);
	}
	git_error_clear();
	git_commit_free(c);
	vcs_auth_release(&a);
	buf_release(&shown);
	buf_release(&ref);
	buf_release(&spec);
	return err;
}
