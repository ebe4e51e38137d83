#ifndef UTIL_FS_H
#define UTIL_FS_H

#include "util/buf.h"

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
/* create a private temporary directory under $TMPDIR; the path goes into `out` */
int fs_mkdtemp(struct buf *out, const char *prefix);
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
