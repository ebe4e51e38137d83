#include "util/fs.h"

#include "util/error.h"
#include "util/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FS_READ_CHUNK 65536

static const char *file_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	return "not a file";
}

int fs_open_regular(int *out, const char *path)
{
	/* O_NONBLOCK: opening a FIFO with no writer must not wait for one */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC), flags;
	struct stat st;

	if (fd < 0) {
		if (errno == ENOENT)
			return error_setc(ERR_NOTFOUND, "cannot open '%s': no such file", path);
		if (errno == ENXIO || errno == EISDIR)
			return error_setc(ERR_USAGE, "cannot read '%s': it is not a regular file", path);
		return error_errno("cannot open '%s'", path);
	}
	if (fstat(fd, &st) < 0) {
		close(fd);
		return error_errno("cannot read '%s'", path);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return error_setc(ERR_USAGE, "cannot read '%s': it is %s, not a regular file", path,
				  file_kind(st.st_mode));
	}
	if ((flags = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
		close(fd);
		return error_errno("cannot read '%s'", path);
	}
	*out = fd;
	return 0;
}

int fs_read_file(struct buf *out, const char *path, size_t max)
{
	size_t total = 0;
	int fd, err;

	if ((err = fs_open_regular(&fd, path)) < 0)
		return err;
	for (;;) {
		ssize_t n;
		if ((err = buf_grow(out, FS_READ_CHUNK)) < 0) {
			/* room may still fit a smaller read up to the cap */
			if (out->max && out->len < out->max) {
				err = 0;
				if ((err = buf_grow(out, out->max - out->len)) < 0)
					break;
			} else {
				break;
			}
		}
		n = read(fd, out->ptr + out->len, out->alloc - out->len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = error_errno("cannot read '%s'", path);
			break;
		}
		if (n == 0)
			break;
		total += (size_t)n;
		if (max && total > max) {
			err = error_setc(ERR_LIMIT, "'%s' is larger than the limit of %zu bytes", path, max);
			break;
		}
		out->len += (size_t)n;
		out->ptr[out->len] = '\0';
	}
	if (err == ERR_LIMIT && !strstr(error_last(), path))
		error_prefix(err, "cannot read '%s'", path);
	close(fd);
	return err;
}

int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	size_t plen = strlen(path);
	char *tmp = xmalloc(plen + 16);
	const char *p = data;
	int fd;
	int err = 0;

	memcpy(tmp, path, plen);
	memcpy(tmp + plen, ".tmp.XXXXXX", 12);
	fd = mkstemp(tmp);
	if (fd < 0) {
		err = error_errno("cannot create a temporary file beside '%s'", path);
		goto done;
	}
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = error_errno("cannot write '%s'", tmp);
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (!err && fchmod(fd, mode) < 0)
		err = error_errno("cannot set the mode of '%s'", tmp);
	if (!err && fsync(fd) < 0)
		err = error_errno("cannot sync '%s'", tmp);
	if (close(fd) < 0 && !err)
		err = error_errno("cannot close '%s'", tmp);
	if (!err && rename(tmp, path) < 0)
		err = error_errno("cannot rename '%s' to '%s'", tmp, path);
	if (err)
		unlink(tmp);
done:
	free(tmp);
	return err;
}

int fs_mkdtemp(struct buf *out, const char *prefix)
{
	const char *tmpdir = getenv("TMPDIR");
	if (!tmpdir || !*tmpdir)
		tmpdir = "/tmp";
	buf_reset(out);
	buf_addf(out, "%s/%s.XXXXXX", tmpdir, prefix);
	if (!mkdtemp(out->ptr))
		return error_errno("cannot create a temporary directory in '%s'", tmpdir);
	return 0;
}

int fs_remove_tree(const char *path)
{
	struct stat st;
	DIR *dir;
	struct dirent *de;
	int err = 0;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : error_errno("cannot stat '%s'", path);
	if (!S_ISDIR(st.st_mode)) {
		if (unlink(path) < 0)
			return error_errno("cannot remove '%s'", path);
		return 0;
	}
	dir = opendir(path);
	if (!dir)
		return error_errno("cannot open directory '%s'", path);
	while ((de = readdir(dir))) {
		struct buf child = BUF_INIT;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		buf_addf(&child, "%s/%s", path, de->d_name);
		if (fs_remove_tree(child.ptr) < 0)
			err = -1;
		buf_release(&child);
	}
	closedir(dir);
	if (rmdir(path) < 0 && !err)
		err = error_errno("cannot remove directory '%s'", path);
	return err;
}

int fs_is_dir(const char *path)
{
	struct stat st;
	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

int fs_is_file(const char *path)
{
	struct stat st;
	return !stat(path, &st) && S_ISREG(st.st_mode);
}

int fs_mkdir_p(const char *path, mode_t mode)
{
	char *copy = xstrdup(path);
	char *p;
	int err = 0;

	for (p = copy + 1; ; p++) {
		if (*p == '/' || !*p) {
			char saved = *p;
			*p = '\0';
			if (mkdir(copy, mode) < 0 && errno != EEXIST) {
				err = error_errno("cannot create directory '%s'", copy);
				break;
			}
			*p = saved;
			if (!saved)
				break;
		}
	}
	free(copy);
	return err;
}

int fs_realpath(struct buf *out, const char *path)
{
	char *r = realpath(path, NULL);
	if (!r) {
		if (errno == ENOENT)
			return error_setc(ERR_NOTFOUND, "'%s' does not exist", path);
		return error_errno("cannot resolve '%s'", path);
	}
	buf_reset(out);
	buf_adds(out, r);
	free(r);
	return 0;
}

char *fs_relative_to(const char *path, const char *root)
{
	size_t n = strlen(root);
	if (!n)
		return NULL;
	while (n > 1 && root[n - 1] == '/')
		n--;
	if (strncmp(path, root, n))
		return NULL;
	if (path[n] == '\0')
		return xstrdup(".");
	if (path[n] != '/' && !(n == 1 && root[0] == '/'))
		return NULL;
	return xstrdup(path + (root[n - 1] == '/' ? n : n + 1));
}

static int copy_file(const char *src, const char *dst, mode_t mode)
{
	char chunk[FS_READ_CHUNK];
	int in, out;
	int err = 0;

	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return error_errno("cannot open '%s'", src);
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 07777);
	if (out < 0) {
		close(in);
		return error_errno("cannot create '%s'", dst);
	}
	for (;;) {
		ssize_t n = read(in, chunk, sizeof(chunk));
		const char *p = chunk;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = error_errno("cannot read '%s'", src);
			break;
		}
		if (!n)
			break;
		while (n > 0) {
			ssize_t w = write(out, p, (size_t)n);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				err = error_errno("cannot write '%s'", dst);
				break;
			}
			p += w;
			n -= w;
		}
		if (err)
			break;
	}
	close(in);
	if (close(out) < 0 && !err)
		err = error_errno("cannot close '%s'", dst);
	return err;
}

static int copy_tree(const char *src, const char *dst, const char *const *skip)
{
	struct stat st;
	DIR *dir;
	struct dirent *de;
	int err = 0;

	if (lstat(src, &st) < 0)
		return error_errno("cannot stat '%s'", src);
	if (mkdir(dst, st.st_mode & 07777) < 0)
		return error_errno("cannot create directory '%s'", dst);
	dir = opendir(src);
	if (!dir)
		return error_errno("cannot open directory '%s'", src);
	while (!err && (de = readdir(dir))) {
		struct buf from = BUF_INIT, to = BUF_INIT;
		const char *const *s;
		int skipped = 0;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		for (s = skip; s && *s; s++)
			if (!strcmp(*s, de->d_name))
				skipped = 1;
		if (skipped)
			continue;
		buf_addf(&from, "%s/%s", src, de->d_name);
		buf_addf(&to, "%s/%s", dst, de->d_name);
		if (lstat(from.ptr, &st) < 0) {
			err = error_errno("cannot stat '%s'", from.ptr);
		} else if (S_ISDIR(st.st_mode)) {
			err = copy_tree(from.ptr, to.ptr, NULL);
		} else if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t n = readlink(from.ptr, target, sizeof(target) - 1);
			if (n < 0) {
				err = error_errno("cannot read link '%s'", from.ptr);
			} else {
				target[n] = '\0';
				if (symlink(target, to.ptr) < 0)
					err = error_errno("cannot create link '%s'", to.ptr);
			}
		} else if (S_ISREG(st.st_mode)) {
			err = copy_file(from.ptr, to.ptr, st.st_mode);
		}
		/* sockets, fifos and devices are not part of a project */
		buf_release(&from);
		buf_release(&to);
	}
	closedir(dir);
	return err;
}

int fs_copy_tree(const char *src, const char *dst, const char *const *skip)
{
	return copy_tree(src, dst, skip);
}

int fs_copy_file_under(const char *from_root, const char *to_root, const char *rel, size_t max)
{
	struct buf from = BUF_INIT, to = BUF_INIT, data = BUF_INIT;
	char *slash;
	int err;

	buf_addf(&from, "%s/%s", from_root, rel);
	buf_addf(&to, "%s/%s", to_root, rel);
	if ((err = fs_read_file(&data, from.ptr, max)) < 0)
		goto done;
	if ((slash = strrchr(to.ptr, '/')) && slash > to.ptr) {
		*slash = '\0';
		err = fs_mkdir_p(to.ptr, 0755);
		*slash = '/';
	}
	if (!err)
		err = fs_write_atomic(to.ptr, data.ptr, data.len, 0644);
done:
	buf_release(&from);
	buf_release(&to);
	buf_release(&data);
	return err;
}
