#ifndef EDIT_CHANGE_H
#define EDIT_CHANGE_H

#include "util/buf.h"
#include "util/strvec.h"

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * A change: one or more file edits, applied together or not at all. Each
 * edit is one of the three modes of seed 003: `update` (an exact
 * search/replace whose old text occurs once), `patch` (a unified diff, see
 * patch.h) and `rewrite` (the whole file); or `delete` (the file is
 * removed: it must exist; only the command engine makes one).
 *
 * Ownership: a change owns its edits and every string in them (xmalloc'd;
 * set them with xstrdup or free the old value first); change_release()
 * frees them all. Functions that fill a change (`out`, `dst`) initialise it
 * themselves and leave it empty on failure.
 */

#define EDIT_MAX_FILE_SIZE (16u * 1024 * 1024) /* a file we read, or a string we take from JSON */
#define EDIT_MAX_PATH 4096                     /* bytes of a relative path */
#define EDIT_MAX_EDITS 256                     /* edits in one change */
#define EDIT_NEW_FILE_MODE 0644                /* a file created by a rewrite */
#define EDIT_STATE_DIR ".pytest-fixer"         /* pytest-fixer's own directory: never edited */

enum edit_mode { EDIT_UPDATE, EDIT_PATCH, EDIT_REWRITE, EDIT_DELETE };

struct file_edit {
	enum edit_mode mode;
	char *path;      /* relative to the project root, '/'-separated */
	char *old_str;   /* update: text that must occur exactly once */
	char *new_str;   /* update (NULL: delete old_str) */
	char *patch;     /* patch: a unified diff for this file (headers optional) */
	char *content;   /* rewrite: the whole new file */
};

struct change {
	struct file_edit *edits;
	size_t nr, alloc;
	char *description;
};
#define CHANGE_INIT { NULL, 0, 0, NULL }

void change_init(struct change *c);
void change_release(struct change *c);
/* a new edit with NULL strings except `path` (borrowed pointer, valid until the next change_add) */
struct file_edit *change_add(struct change *c, enum edit_mode mode, const char *path);
/* a deep copy; `dst` is initialised here */
void change_copy(struct change *dst, const struct change *src);

/* "update", "patch", "rewrite", "delete" */
const char *edit_mode_name(enum edit_mode m);
/* ERR_USAGE "unknown edit mode 'x' (update, patch, rewrite or delete)" */
int edit_mode_parse(enum edit_mode *out, const char *name);

/*
 * Check that `rel` names a place an edit may write, and put its absolute
 * path into `out`. Refused (ERR_USAGE, "cannot edit 'rel': <reason>"): an
 * empty or absolute path, a path ending in '/', a backslash or control
 * character, any ".." component, any component named .git (in any case),
 * an existing component that is not a directory, a symlink among the
 * directories that leads outside `root`, a symlink as the target itself
 * (even one that stays inside: edits write regular files only), a target
 * that exists and is not a regular file (directory, fifo, device). The
 * path is resolved through symlinked directories inside root, and the
 * resolved path is checked again for .git. Missing components are fine
 * here (change_apply() wants the parent directory to exist).
 */
int edit_path_check(struct buf *out, const char *root, const char *rel);

/*
 * The new content of one file from its old content; pure, no I/O.
 * update: `old_str` must occur exactly once (occurrences may overlap) —
 * ERR_CONFLICT "'old_str' occurs N times in 'path'", or when it does not
 * occur at all, a whitespace-tolerant fallback: whole lines matched
 * ignoring trailing whitespace (CR too) and a common difference of
 * indentation; `new_str` is then re-indented by that difference and takes
 * the file's line ends, and the fallback too must match exactly once
 * ("'old_str' not found in 'path'", "... occurs N times in 'path' (ignoring
 * whitespace)"). An empty `old_str` is ERR_USAGE.
 * patch: patch_parse() then patch_apply(); a diff naming several files
 * uses the one named `path` (change_preview() and change_apply() refuse a
 * change that leaves the other files out), a diff of one file applies
 * whatever it names.
 * rewrite: `content`. delete: empty.
 */
int file_edit_compute(struct buf *out, const struct file_edit *e, const char *old, size_t old_len);

/*
 * One file as a change would leave it: what change_preview() returns.
 * The strings and buffers are owned by the preview.
 */
struct change_file {
	char *path;      /* relative to root, as resolved (symlinked directories followed) */
	char *abs;
	int existed;
	mode_t mode;     /* the file's permission bits, or EDIT_NEW_FILE_MODE */
	struct buf old;  /* empty for a new file */
	struct buf new;  /* empty for a file removed */
	int removed;     /* the change deletes the file (its last edit is a delete) */
};

struct change_preview {
	struct change_file *files;
	size_t nr, alloc;
};
#define CHANGE_PREVIEW_INIT { NULL, 0, 0 }

/*
 * Check every path and compute every file's new content without writing
 * anything: several edits to one file apply in order on the running
 * content. Files whose content would not change are kept too (new == old).
 * A patch edit whose diff also names files no edit of the change names is
 * ERR_USAGE "cannot patch 'a.py': the patch also changes 'pytest.ini', ...".
 * The errors of change_apply() before its writability check. `out` is
 * initialised here and released on failure.
 */
int change_preview(struct change_preview *out, const struct change *c, const char *root);
void change_preview_release(struct change_preview *p);

/*
 * Apply the whole change under `root`: all edits or none. Every path is
 * checked with edit_path_check() and every new content computed before
 * anything is written; a file is created only by a rewrite (ERR_NOTFOUND
 * otherwise) and only in an existing directory; a delete unlinks it. Before writing, each
 * target must be writable: a file with no write bit for anyone, or that
 * access(W_OK) refuses, or whose directory access(W_OK|X_OK) refuses, is
 * ERR_USAGE "cannot write 'x': permission denied" (the mode bits are
 * checked because root passes access() for any file). Files are written
 * atomically (fs_write_atomic) keeping their mode; if a write fails, the
 * files already written are put back from the old contents kept in memory
 * and created files removed. Files whose content does not change are not
 * written. `touched` (optional) gets the distinct relative paths written
 * or removed.
 */
int change_apply(const struct change *c, const char *root, struct strvec *touched);

/*
 * Serialise for storage, as a new reference owned by the caller:
 * {"description": "..." or null, "edits": [{"mode": "update", "path": ...,
 * "old_str": ..., "new_str": ...}, {"mode": "patch", "path": ..., "patch":
 * ...}, {"mode": "rewrite", "path": ..., "content": ...}]}. Strings are
 * made valid UTF-8 (invalid bytes become U+FFFD).
 */
json_t *change_to_json(const struct change *c);
/* the reverse (a rewrite may say "new_content", as seed 003 does); ERR_PARSE naming the field */
int change_from_json(struct change *out, const json_t *j);

/*
 * A change from a diff of one or more files (with headers naming them):
 * one patch edit per file; a diff that creates a file becomes a rewrite
 * with the added lines. ERR_USAGE for a diff that deletes or renames a
 * file or names none; patch_parse() errors.
 */
int change_from_patch(struct change *out, const char *text, size_t len);

/* lines removed plus lines added between two texts (a line diff) */
size_t edit_count_changed_lines(const char *old, size_t old_len, const char *new_text, size_t new_len);
/*
 * The size of a change, for ranking candidates: the changed lines summed
 * over its files (change_preview() then edit_count_changed_lines()).
 */
int change_size(size_t *out, const struct change *c, const char *root);

#endif
