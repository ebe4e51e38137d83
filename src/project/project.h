#ifndef PROJECT_PROJECT_H
#define PROJECT_PROJECT_H

#include "edit/change.h"
#include "util/buf.h"

#include <stddef.h>

/*
 * The project a command works on, resolved once (by cli, after -C) and
 * passed down: its root, its repository, its store, every path under its
 * EDIT_STATE_DIR (.pytest-fixer/), the pytest command it settled on, and the
 * one rule for what is its own source.
 *
 * Ownership: project_open() makes the handle, project_free() frees it and
 * everything it holds; `root`, `repo`, `pytest` and the store it hands out
 * are borrowed from it and live as long as it does. Not for use by two
 * threads at once, but for `pytest` (the threads of a session share it).
 */

struct vcs_repo;
struct store;
struct pytest_choice;

struct project {
	char *root;                   /* absolute: the git work tree, or the directory itself */
	struct vcs_repo *repo;        /* NULL: not a git repository */
	struct pytest_choice *pytest; /* the pytest command remembered for this project */
	struct store *store;          /* opened by project_store(), NULL before */
};

/*
 * The project of `dir`: the git work tree containing it, else `dir` itself
 * (made absolute). Nothing is created. Errors of vcs_open() other than
 * ERR_NOTFOUND (a bare repository: ERR_USAGE) are returned.
 */
int project_open(struct project **out, const char *dir);
/* NULL is a no-op */
void project_free(struct project *p);

/*
 * The project's store (borrowed), opened on first use. With `create`, the
 * state directory, its line in the repository's info/exclude and the
 * database are made when missing; without, ERR_NOTFOUND "no pytest-fixer
 * session was run in 'ROOT'" when there is no database yet.
 */
int project_store(struct store **out, struct project *p, int create);
/* the line "/.pytest-fixer/" in the repository's info/exclude (nothing without git) */
int project_exclude(struct project *p);

/* The paths under EDIT_STATE_DIR: project_state_path() spells every one. */
enum project_file {
	PROJECT_STATE_DIR,      /* .pytest-fixer */
	PROJECT_DATABASE,       /* .pytest-fixer/state.db */
	PROJECT_LOCK,           /* .pytest-fixer/fix.lock: one fix, resume or reproduce at a time */
	PROJECT_APPLY_JOURNAL,  /* .pytest-fixer/apply-journal: an --apply under way */
	PROJECT_SESSION_LOCKS,  /* .pytest-fixer/locks */
	PROJECT_SESSION_LOCK,   /* .pytest-fixer/locks/<id>.lock */
	PROJECT_WORKTREES,      /* .pytest-fixer/worktrees/<id>: a session's work directories */
	PROJECT_REPORT,         /* .pytest-fixer/reports/<id>.md (`id` NULL: the directory) */
	PROJECT_REPRO,          /* .pytest-fixer/repro: reproduce's private checkouts */
	PROJECT_WRITE_LOCK,     /* .pytest-fixer/write.lock: held while files go into the tree */
	PROJECT_WRITE_JOURNAL,  /* .pytest-fixer/write-journal: files going into the tree */
};
/* `what` of the project at `root` into `out` (reset first); `id` names a session where needed */
void project_state_path(struct buf *out, const char *root, enum project_file what, const char *id);

struct fs_batch;
/*
 * A command's files written into the user's tree together, all or nothing
 * (generate's test file and its checklist): under an flock of
 * PROJECT_WRITE_LOCK (waited for: a writer holds it for a moment), a
 * journal that a writer which died left is recovered first, then `b` is
 * committed with PROJECT_WRITE_JOURNAL (fs_batch_commit(): a kill at any
 * point leaves what `cleanup` or the next writer puts back). Its paths are
 * absolute, under `root`. ERR_INTERRUPTED when a signal came while
 * waiting; the state directory is made.
 */
int project_write_files(struct fs_batch *b, const char *root);
/*
 * What a writer that died left (`cleanup`): its journal recovered
 * (fs_batch_recover()), what was done onto `report`; 0 and nothing done
 * while a writer holds the lock.
 */
int project_write_recover(struct strvec *report, const char *root);

/*
 * The machine's knowledge base, shared by every project of this user (which
 * templates worked for which errors, counted by every session): into `out`
 * (reset first) $PYTEST_FIXER_DATA_DIR/knowledge.db, else
 * $XDG_DATA_HOME/pytest-fixer/knowledge.db, else
 * $HOME/.local/share/pytest-fixer/knowledge.db; -1 when none can be named.
 */
#define PROJECT_DATA_DIR_ENV "PYTEST_FIXER_DATA_DIR"
int project_knowledge_path(struct buf *out);

/*
 * The one rule for what is the project's own source: a directory named by
 * one path component is not when it is installed, generated or a tool's
 * state: a name starting with '.' (.git, .venv, .tox, EDIT_STATE_DIR ...),
 * venv, site-packages, dist-packages, node_modules, __pycache__.
 */
int project_dir_is_vendor(const char *name, size_t len);
/* 1 when no directory of the relative path `rel` ('/'-separated) is one of those */
int project_path_is_source(const char *rel);
/* the names of the top-level directories of `root` that are one of those, pushed onto `out` */
struct strvec;
void project_vendor_dirs(struct strvec *out, const char *root);
/*
 * The project's own Python files (no directory of theirs one of those, no
 * symlink followed), relative to `root`, in name order, at most `max` of
 * them, pushed onto `out`; PROJECT_MAX_DEPTH directories deep at most.
 */
#define PROJECT_MAX_DEPTH 32
void project_python_files(struct strvec *out, const char *root, size_t max);

/*
 * Open the machine's knowledge base (project_knowledge_path(), its
 * directory made); `out` is the caller's (store_free()). A negative code,
 * with the reason, when there is none.
 */
int project_knowledge_open(struct store **out);

#endif
