#include "fix/fix.h"

#include "project/project.h"
#include "store/session_state.h"
#include "store/store.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"
#include "vcs/vcs.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/*
 * Take the session's lock while cleaning it, so no `resume` starts in the
 * middle: the descriptor holding it, -2 when there is no lock file (nothing
 * can hold it), -1 when a running pytest-fixer holds it. The file stays:
 * unlinking a locked file would let two processes lock different files.
 */
static int lock_idle_session(const char *root, const char *id)
{
	struct buf path = BUF_INIT;
	int fd;

	project_state_path(&path, root, PROJECT_SESSION_LOCK, id);
	fd = open(path.ptr, O_RDWR | O_CLOEXEC);
	buf_release(&path);
	if (fd < 0)
		return -2;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void delete_branches(struct strvec *report, struct store *st, struct vcs_repo *repo,
			    const char *session)
{
	struct failure_row *rows = NULL;
	struct buf current = BUF_INIT;
	size_t nr = 0, i;

	if (!repo)
		return;
	vcs_head_branch(&current, repo);
	if (store_failure_list(&rows, &nr, st, session) == 0) {
		for (i = 0; i < nr; i++) {
			const char *b = rows[i].branch;
			const char *left = NULL;   /* the commit the session left the branch at */
			char tip[VCS_OID_HEXSZ + 1];
			int exists = 0;
			size_t j;

			if (!b || !strcmp(b, current.ptr))
				continue;
			for (j = 0; j < i && strcmp(rows[j].branch ? rows[j].branch : "", b); j++)
				;
			if (j < i)
				continue;   /* seen: one branch holds several fixes with --branch */
			for (j = i; j < nr; j++)
				if (rows[j].branch && !strcmp(rows[j].branch, b) && rows[j].commit)
					left = rows[j].commit;   /* the last fix is its tip */
			if (vcs_branch_exists(&exists, repo, b) < 0 || !exists)
				continue;
			/* only a branch as the session left it, not one the user has built on */
			if (!left || vcs_branch_target(tip, repo, b) < 0 || strcmp(tip, left)) {
				strvec_pushf(report, "kept branch '%s': it moved since the session made it", b);
				continue;
			}
			if (vcs_branch_delete(repo, b) == 0)
				strvec_pushf(report, "deleted branch '%s'", b);
			else
				strvec_pushf(report, "kept branch '%s': %s", b, error_last());
		}
	}
	failure_rows_free(rows, nr);
	buf_release(&current);
}

/* a line per `removed` name ("removed EACH 'name'"), and one for `err` ("could not remove every EVERY") */
static void report_removed(struct strvec *report, struct strvec *removed, int err, const char *every,
			   const char *each)
{
	size_t i;

	if (err < 0)
		strvec_pushf(report, "could not remove every %s: %s", every, error_last());
	for (i = 0; i < removed->nr; i++)
		strvec_pushf(report, "removed %s '%s'", each, removed->v[i]);
	strvec_clear(removed);
}

/* the temporary directories under $TMPDIR of pytest-fixer processes that are gone */
static void remove_stale_tmp(struct strvec *report)
{
	struct strvec removed = STRVEC_INIT;
	int err = fs_remove_stale_tmp(&removed);

	report_removed(report, &removed, err, "temporary directory", "temporary directory");
}

/*
 * The lock files git leaves on our fix branches when a run is killed while
 * it writes one (only called with the project lock held: no run of ours
 * writes them now). The index's lock and other refs' are never ours.
 */
static void remove_branch_locks(struct strvec *report, struct vcs_repo *repo)
{
	struct strvec removed = STRVEC_INIT;
	int err;

	if (!repo)
		return;
	err = vcs_branch_locks_remove(&removed, repo, FIX_BRANCH_PREFIX);
	report_removed(report, &removed, err, "stale branch lock", "stale lock");
}

/* the private checkouts of `reproduce` runs (only called with the project lock held) */
static void remove_repro_checkouts(struct strvec *report, const char *root)
{
	struct buf dir = BUF_INIT;

	project_state_path(&dir, root, PROJECT_REPRO, NULL);
	if (fs_is_dir(dir.ptr) && fs_remove_tree(dir.ptr) == 0)
		strvec_pushf(report, "removed '%s'", dir.ptr);
	buf_release(&dir);
}

int fix_cleanup(struct strvec *report, struct project *p, int branches)
{
	struct store *st = NULL;
	struct buf dir = BUF_INIT;
	struct session_row *rows = NULL;
	size_t nr = 0, i, j;
	int project_fd = -1;
	int err;

	remove_stale_tmp(report);
	/* generate's files cut short: before the store, which generate never makes */
	if ((err = project_write_recover(report, p->root)) < 0)
		goto done;
	if ((err = project_store(&st, p, 0)) < 0) {
		if (err == ERR_NOTFOUND) {
			if (!report->nr)
				strvec_push(report, "nothing to clean up");
			err = 0;
		}
		goto done;
	}
	/*
	 * With the project lock, no fix, resume or reproduce runs here: all
	 * that is left is ours to remove. Without it, one does, and a session
	 * of it may not have its own lock yet.
	 */
	if (fix_project_lock(&project_fd, p->root, 0) < 0) {
		error_clear();
	} else {
		remove_repro_checkouts(report, p->root);
		remove_branch_locks(report, p->repo);
		if ((err = fix_apply_recover(report, p->root)) < 0)
			goto done;
	}
	if ((err = store_session_list(&rows, &nr, st)) < 0)
		goto done;
	for (i = 0; i < nr; i++) {
		struct strvec trees = STRVEC_INIT;
		const struct session_row *r = &rows[i];

		int lock = lock_idle_session(p->root, r->id);

		if (lock == -1 || (lock == -2 && project_fd < 0)) {
			strvec_pushf(report, "session %s is running: left alone", r->id);
			continue;
		}
		if (store_worktree_list(&trees, st, r->id) == 0) {
			for (j = 0; j < trees.nr; j++) {
				if (fs_remove_tree(trees.v[j]) == 0)
					strvec_pushf(report, "removed work directory '%s'", trees.v[j]);
				store_worktree_remove(st, r->id, trees.v[j]);
			}
		}
		strvec_clear(&trees);
		project_state_path(&dir, p->root, PROJECT_WORKTREES, r->id);
		if (fs_is_dir(dir.ptr) && fs_remove_tree(dir.ptr) == 0)
			strvec_pushf(report, "removed '%s'", dir.ptr);
		if (r->state == SESSION_RUNNING || r->state == SESSION_INITIALIZING) {
			if (store_session_set_state(st, r->id, SESSION_PAUSED,
						    "stopped without finishing (resumable)") == 0)
				strvec_pushf(report, "session %s was interrupted: now PAUSED "
					     "('pytest-fixer resume %s' continues it)", r->id, r->id);
		}
		if (branches)
			delete_branches(report, st, p->repo, r->id);
		if (lock >= 0)
			close(lock);
	}
	if (!report->nr)
		strvec_push(report, "nothing to clean up");
done:
	for (i = 0; i < nr; i++)
		session_row_release(&rows[i]);
	free(rows);
	if (project_fd >= 0)
		close(project_fd);
	buf_release(&dir);
	return err;
}
