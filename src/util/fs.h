#ifndef UTIL_FS_H
#define UTIL_FS_H

#include "util/buf.h"
#include "util/strvec.h"

#include <stddef.h>
#include <sys/types.h>

/*
 * Open `path` (symlinks followed) for reading into `out` (a blocking,
 * close-on-exec descriptor the caller closes) when it is a regular file.
 * A FIFO, a device, a socket or a directory given as an input would block
 * or mean nothing: ERR_USAGE naming the path and what it is, without ever
 * waiting. ERR_NOTFOUND when it does not exist. Every input a user names
 * is opened through here (fs_read_file does).
 */
int fs_open_regular(int *out, const char *path);
/*
 * Append the regular file's contents to `out` (fs_open_regular's errors);
 * ERR_LIMIT if it is larger than `max` (0: no cap).
 */
int fs_read_file(struct buf *out, const char *path, size_t max);
/*
 * Write a file atomically: a temporary file beside it, fsync, rename. The
 * old contents stay intact if anything fails. `mode` as for open(2).
 */
int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode);
/*
 * Files written together, all or nothing (fix --apply). Each entry is an
 * absolute path and its new content, or its removal. fs_batch_commit()
 * first writes every new content to a temporary file beside its target and
 * fsyncs it, and keeps each original (a hard link, or a copy where links
 * are not possible); only then renames them into place, one after the
 * other, and fsyncs the directories. When any step fails, the files renamed
 * so far get their originals back, and every temporary file, backup and
 * directory it made is removed: the files are byte for byte as before, and
 * the error says so. The batch owns its entries and their content.
 */
struct fs_batch_file {
	char *path;        /* absolute */
	struct buf data;   /* the new content (when !remove) */
	mode_t mode;       /* for a new file; an existing one keeps its own */
	int remove;        /* delete the file instead */
};
struct fs_batch {
	struct fs_batch_file *files;
	size_t nr, alloc;
	/*
	 * Borrowed, optional: with `journal` set, every path must be under
	 * `root`, and before the first rename fs_batch_commit() writes (fsynced)
	 * the journal fs_batch_recover() reads: for each file its path, the
	 * kept original (or none: it did not exist) and the temporary file,
	 * relative to `root`. It is removed once the batch is whole again
	 * (applied, or undone); left, it tells a later run to finish the job.
	 */
	const char *root;
	const char *journal;
};
#define FS_BATCH_INIT { NULL, 0, 0, NULL, NULL }
#define FS_JOURNAL_HEADER "pytest-fixer apply journal"
#define FS_JOURNAL_PREPARING "preparing" /* temporaries being written: remove them */
#define FS_JOURNAL_APPLYING "applying"   /* renames under way: undo them */
#define FS_JOURNAL_APPLIED "applied"     /* every file in place: remove what is left */
#define FS_JOURNAL_MAX (16u << 20)
/* the temporary names fs_write_atomic() and fs_batch_commit() use beside a file */
#define FS_TEMP_SUFFIX ".tmp."
#define FS_BACKUP_SUFFIX ".orig.tmp."
#define FS_BACKUP_TRIES 100
#define FS_BATCH_DEFAULT_MODE 0644
#define FS_BATCH_DIR_MODE 0755

/* the entry for `path`, added (content empty, mode 0644) when missing; borrowed from `b` */
struct fs_batch_file *fs_batch_get(struct fs_batch *b, const char *path);
/* the entry for `path`, or NULL; borrowed from `b` */
struct fs_batch_file *fs_batch_find(const struct fs_batch *b, const char *path);
int fs_batch_commit(struct fs_batch *b);
void fs_batch_release(struct fs_batch *b);
/*
 * After a batch whose writer died (the caller holds what kept it from
 * running concurrently): with no `journal` file, nothing to do. Otherwise
 * an interrupted apply is rolled back (every original renamed back over its
 * file, a file that did not exist removed, temporaries removed), or, when
 * it had finished, its kept originals removed; then the journal is removed.
 * What was done goes into `report`. A journal that is not one (a path that
 * is absolute, has "..", or names a file that is not the batch's) is
 * ERR_USAGE naming it, and nothing is touched; an original that cannot be
 * put back leaves the journal for the next call (the error says which).
 */
int fs_batch_recover(struct strvec *report, const char *root, const char *journal);

/*
 * Create a private temporary directory; the path goes into `out`. It is
 * made in this process's own directory under $TMPDIR
 * (FS_TMP_HOLDER_PREFIX<pid>.XXXXXX), which we hold a lock in while we
 * live and which is removed, with whatever is left in it, when we exit.
 */
int fs_mkdtemp(struct buf *out, const char *prefix);
#define FS_TMP_HOLDER_PREFIX "pytest-fixer-run."
#define FS_TMP_OWNER "owner.lock"
/*
 * Remove the temporary directories of pytest-fixer processes that are gone
 * (killed before they could); their paths are appended to `removed`. Those
 * of a live process are never touched.
 */
int fs_remove_stale_tmp(struct strvec *removed);
/* rm -rf, without following symlinks */
int fs_remove_tree(const char *path);
int fs_is_dir(const char *path);
int fs_is_file(const char *path);
/* mkdir -p */
int fs_mkdir_p(const char *path, mode_t mode);
/* the absolute, symlink-free path of an existing file into `out` */
int fs_realpath(struct buf *out, const char *path);
/*
 * Copy the tree at `src` into `dst` (created; must not exist), keeping file
 * modes and symlinks as links. Top-level entries named in `skip` (NULL-
 * terminated, may be NULL) are left out.
 */
int fs_copy_tree(const char *src, const char *dst, const char *const *skip);

/*
 * Copy the file at from_root/rel to to_root/rel (its directories made,
 * written atomically, mode 0644). ERR_LIMIT past `max` bytes (0: no cap).
 */
int fs_copy_file_under(const char *from_root, const char *to_root, const char *rel, size_t max);

/* `path` relative to directory `root` when inside it; otherwise NULL. Owned by caller. */
char *fs_relative_to(const char *path, const char *root);

#endif
