/*
 * faultfs: an LD_PRELOAD shim that makes file writes fail, for the tests of
 * what pytest-fixer leaves behind on a full disk or a failing device.
 *
 *   LD_PRELOAD=build/tests/libfaultfs.so PF_FAULT_PATH=/some/dir pytest-fixer ...
 *
 * Only calls on files whose absolute path starts with PF_FAULT_PATH are
 * counted and failed; everything else passes through untouched.
 *
 * Environment:
 *   PF_FAULT_PATH   required: the path prefix of the files to fail (a
 *                   directory: "/p/proj" matches "/p/proj" and "/p/proj/...",
 *                   not "/p/project"). Unset or empty: the shim does nothing.
 *   PF_FAULT_SKIP   optional: comma-separated substrings; paths containing any
 *                   of them are left alone (e.g. "/.git/,/.pytest-fixer/" to
 *                   spare git's and our own state files).
 *   PF_FAULT_OP     which calls fail: "write" (default: write, pwrite,
 *                   writev, pwritev), "fsync" (fsync, fdatasync), "rename"
 *                   (rename, renameat, renameat2; matched on either path),
 *                   "open" (open/openat/creat for writing or creating), or
 *                   a comma-separated list of these.
 *   PF_FAULT_AFTER  for "write": how many bytes (summed over all matching
 *                   files and write calls) succeed before the fault; the
 *                   call that crosses the line is cut short to what fits and
 *                   the next one fails, as a disk that fills does. For the
 *                   other ops: how many matching calls succeed before every
 *                   later one fails (0, the default: the first one fails).
 *   PF_FAULT_COUNT  how many faults to inject before passing calls through
 *                   again (default: no limit, the disk stays full).
 *   PF_FAULT_ERRNO  ENOSPC (default), EIO, EDQUOT, EROFS, or a number.
 *   PF_FAULT_LOG    optional: a file to which one line per injected fault is
 *                   appended ("<pid> <op> <errno> <path>"), so a test can
 *                   tell that a fault really happened.
 *   PF_FAULT_INHERIT  "1": children of the process keep the shim (and their
 *                   own counters). Default: the shim removes itself from
 *                   LD_PRELOAD at start, so only the first process (the one
 *                   under test) sees faults, not its pytest or git children.
 *
 * Counters are per process. Not thread-safe beyond what a test needs (one
 * writer at a time).
 */
#define _GNU_SOURCE

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

enum fault_op { OP_WRITE = 1 << 0, OP_FSYNC = 1 << 1, OP_RENAME = 1 << 2, OP_OPEN = 1 << 3 };

static const char *fault_path;
static size_t fault_path_len;
static const char *fault_skip;
static unsigned fault_ops = OP_WRITE;
static unsigned long long fault_after;
static long long fault_count = -1; /* -1: no limit */
static int fault_errno = ENOSPC;
static const char *fault_log;

static unsigned long long written;  /* bytes written to matching files */
static unsigned long long calls[4]; /* matching calls per op (not write) */
static __thread int busy;           /* inside the shim: no recursion */

static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_pwrite64)(int, const void *, size_t, off_t);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static ssize_t (*real_pwritev)(int, const struct iovec *, int, off_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_rename)(const char *, const char *);
static int (*real_renameat)(int, const char *, int, const char *);
static int (*real_renameat2)(int, const char *, int, const char *, unsigned);
static int (*real_open)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_creat)(const char *, mode_t);

static int parse_errno(const char *s)
{
	static const struct { const char *name; int value; } names[] = {
		{ "ENOSPC", ENOSPC }, { "EIO", EIO }, { "EDQUOT", EDQUOT },
		{ "EROFS", EROFS }, { "EFBIG", EFBIG }, { "EACCES", EACCES },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i].name))
			return names[i].value;
	return atoi(s) > 0 ? atoi(s) : ENOSPC;
}

static unsigned parse_ops(const char *s)
{
	unsigned ops = 0;

	if (strstr(s, "write"))
		ops |= OP_WRITE;
	if (strstr(s, "fsync"))
		ops |= OP_FSYNC;
	if (strstr(s, "rename"))
		ops |= OP_RENAME;
	if (strstr(s, "open"))
		ops |= OP_OPEN;
	return ops ? ops : OP_WRITE;
}

/* LD_PRELOAD minus every entry naming this library */
static void drop_self_from_preload(void)
{
	const char *pre = getenv("LD_PRELOAD");
	char *copy, *tok, *save = NULL;
	char out[4096];
	size_t len = 0;

	if (!pre)
		return;
	copy = strdup(pre);
	if (!copy)
		return;
	out[0] = '\0';
	for (tok = strtok_r(copy, " :", &save); tok; tok = strtok_r(NULL, " :", &save)) {
		size_t n = strlen(tok);
		if (strstr(tok, "faultfs"))
			continue;
		if (len + n + 2 > sizeof(out))
			break;
		if (len)
			out[len++] = ':';
		memcpy(out + len, tok, n);
		len += n;
		out[len] = '\0';
	}
	if (len)
		setenv("LD_PRELOAD", out, 1);
	else
		unsetenv("LD_PRELOAD");
	free(copy);
}

static void resolve(void)
{
	if (real_write)
		return;
	real_write = dlsym(RTLD_NEXT, "write");
	real_pwrite = dlsym(RTLD_NEXT, "pwrite");
	real_pwrite64 = dlsym(RTLD_NEXT, "pwrite64");
	real_writev = dlsym(RTLD_NEXT, "writev");
	real_pwritev = dlsym(RTLD_NEXT, "pwritev");
	real_fsync = dlsym(RTLD_NEXT, "fsync");
	real_fdatasync = dlsym(RTLD_NEXT, "fdatasync");
	real_rename = dlsym(RTLD_NEXT, "rename");
	real_renameat = dlsym(RTLD_NEXT, "renameat");
	real_renameat2 = dlsym(RTLD_NEXT, "renameat2");
	real_open = dlsym(RTLD_NEXT, "open");
	real_openat = dlsym(RTLD_NEXT, "openat");
	real_creat = dlsym(RTLD_NEXT, "creat");
}

__attribute__((constructor)) static void faultfs_init(void)
{
	const char *s;

	resolve();

	s = getenv("PF_FAULT_PATH");
	if (s && *s) {
		fault_path = strdup(s);
		fault_path_len = strlen(fault_path);
		while (fault_path_len > 1 && fault_path[fault_path_len - 1] == '/')
			fault_path_len--;
	}
	if ((s = getenv("PF_FAULT_SKIP")) && *s)
		fault_skip = strdup(s);
	if ((s = getenv("PF_FAULT_OP")) && *s)
		fault_ops = parse_ops(s);
	if ((s = getenv("PF_FAULT_AFTER")) && *s)
		fault_after = strtoull(s, NULL, 10);
	if ((s = getenv("PF_FAULT_COUNT")) && *s)
		fault_count = strtoll(s, NULL, 10);
	if ((s = getenv("PF_FAULT_ERRNO")) && *s)
		fault_errno = parse_errno(s);
	if ((s = getenv("PF_FAULT_LOG")) && *s)
		fault_log = strdup(s);
	s = getenv("PF_FAULT_INHERIT");
	if (!s || strcmp(s, "1"))
		drop_self_from_preload();
}

static int path_matches(const char *abs)
{
	if (!fault_path || !abs)
		return 0;
	if (strncmp(abs, fault_path, fault_path_len))
		return 0;
	if (abs[fault_path_len] != '\0' && abs[fault_path_len] != '/' &&
	    !(fault_path_len == 1 && fault_path[0] == '/'))
		return 0;
	if (fault_skip) {
		const char *p = fault_skip;
		while (*p) {
			size_t n = strcspn(p, ",");
			if (n && memmem(abs, strlen(abs), p, n))
				return 0;
			p += n + (p[n] == ',');
		}
	}
	return 1;
}

/* the absolute path of an open descriptor, or 0 */
static int fd_path(char *out, size_t size, int fd)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, out, size - 1);
	if (n <= 0)
		return 0;
	out[n] = '\0';
	return out[0] == '/';
}

/* `path` (relative to `dirfd`) made absolute, without resolving links */
static int abs_path(char *out, size_t size, int dirfd, const char *path)
{
	char base[PATH_MAX];

	if (!path)
		return 0;
	if (path[0] == '/') {
		snprintf(out, size, "%s", path);
		return 1;
	}
	if (dirfd == AT_FDCWD) {
		if (!getcwd(base, sizeof(base)))
			return 0;
	} else if (!fd_path(base, sizeof(base), dirfd)) {
		return 0;
	}
	return snprintf(out, size, "%s/%s", base, path) < (int)size;
}

static int fd_matches(int fd, char *path, size_t size)
{
	return fault_path && fd_path(path, size, fd) && path_matches(path);
}

static int budget_left(void)
{
	return fault_count != 0;
}

static void log_fault(const char *op, const char *path)
{
	int fd;
	char line[PATH_MAX + 128];
	int n;

	if (fault_count > 0)
		fault_count--;
	if (!fault_log)
		return;
	n = snprintf(line, sizeof(line), "%d %s %d %s\n", (int)getpid(), op, fault_errno, path);
	if (n <= 0)
		return;
	if (n >= (int)sizeof(line))
		n = (int)sizeof(line) - 1;
	fd = real_open(fault_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	(void)!real_write(fd, line, (size_t)n);
	close(fd);
}

/*
 * How much of a `len`-byte write to `fd` may go through: len when the file
 * is not ours, fewer when the budget runs out, -1 (errno set) when full.
 */
static ssize_t write_allowance(int fd, size_t len, const char *op)
{
	char path[PATH_MAX];

	if (busy || !(fault_ops & OP_WRITE) || !len || !fd_matches(fd, path, sizeof(path)))
		return (ssize_t)len;
	if (!budget_left())
		return (ssize_t)len;
	if (written >= fault_after) {
		busy = 1;
		log_fault(op, path);
		busy = 0;
		errno = fault_errno;
		return -1;
	}
	if (fault_after - written < len)
		len = (size_t)(fault_after - written);
	written += len;
	return (ssize_t)len;
}

/* 1 when this matching call of `op` must fail (errno set) */
static int call_fails(unsigned op, int idx, const char *name, const char *path)
{
	if (busy || !(fault_ops & op) || !path_matches(path) || !budget_left())
		return 0;
	if (calls[idx]++ < fault_after)
		return 0;
	busy = 1;
	log_fault(name, path);
	busy = 0;
	errno = fault_errno;
	return 1;
}

ssize_t write(int fd, const void *buf, size_t len)
{
	resolve();
	ssize_t allow = write_allowance(fd, len, "write");
	if (allow < 0)
		return -1;
	return real_write(fd, buf, (size_t)allow);
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
	resolve();
	ssize_t allow = write_allowance(fd, len, "pwrite");
	if (allow < 0)
		return -1;
	return real_pwrite(fd, buf, (size_t)allow, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t len, off_t off)
{
	resolve();
	ssize_t allow = write_allowance(fd, len, "pwrite");
	if (allow < 0)
		return -1;
	return (real_pwrite64 ? real_pwrite64 : real_pwrite)(fd, buf, (size_t)allow, off);
}

static size_t iov_len(const struct iovec *iov, int n)
{
	size_t total = 0;
	int i;
	for (i = 0; i < n; i++)
		total += iov[i].iov_len;
	return total;
}

/* a vector write cut short is done as a plain write of its first bytes */
static ssize_t short_writev(int fd, const struct iovec *iov, int n, size_t allow)
{
	size_t done = 0;
	int i;

	busy = 1;
	for (i = 0; i < n && done < allow; i++) {
		size_t take = iov[i].iov_len < allow - done ? iov[i].iov_len : allow - done;
		ssize_t w = real_write(fd, iov[i].iov_base, take);
		if (w < 0) {
			busy = 0;
			return done ? (ssize_t)done : -1;
		}
		done += (size_t)w;
		if ((size_t)w < take)
			break;
	}
	busy = 0;
	return (ssize_t)done;
}

ssize_t writev(int fd, const struct iovec *iov, int n)
{
	resolve();
	size_t len = iov_len(iov, n);
	ssize_t allow = write_allowance(fd, len, "writev");
	if (allow < 0)
		return -1;
	if ((size_t)allow < len)
		return short_writev(fd, iov, n, (size_t)allow);
	return real_writev(fd, iov, n);
}

ssize_t pwritev(int fd, const struct iovec *iov, int n, off_t off)
{
	resolve();
	size_t len = iov_len(iov, n);
	ssize_t allow = write_allowance(fd, len, "pwritev");
	if (allow < 0)
		return -1;
	if ((size_t)allow < len) {
		/* rare enough in what we test: fail it outright */
		errno = fault_errno;
		return -1;
	}
	return real_pwritev(fd, iov, n, off);
}

static int sync_fails(int fd, const char *name)
{
	char path[PATH_MAX];

	resolve();
	return !busy && (fault_ops & OP_FSYNC) && fd_matches(fd, path, sizeof(path)) &&
	       call_fails(OP_FSYNC, 1, name, path);
}

int fsync(int fd)
{
	return sync_fails(fd, "fsync") ? -1 : real_fsync(fd);
}

int fdatasync(int fd)
{
	return sync_fails(fd, "fdatasync") ? -1 : real_fdatasync(fd);
}

static int rename_fails(int olddir, const char *from, int newdir, const char *to)
{
	char a[PATH_MAX], b[PATH_MAX];

	if (busy || !(fault_ops & OP_RENAME) || !fault_path)
		return 0;
	if (!abs_path(a, sizeof(a), olddir, from) || !abs_path(b, sizeof(b), newdir, to))
		return 0;
	if (!path_matches(a) && !path_matches(b))
		return 0;
	return call_fails(OP_RENAME, 2, "rename", path_matches(b) ? b : a);
}

int rename(const char *from, const char *to)
{
	resolve();
	if (rename_fails(AT_FDCWD, from, AT_FDCWD, to))
		return -1;
	return real_rename(from, to);
}

int renameat(int olddir, const char *from, int newdir, const char *to)
{
	resolve();
	if (rename_fails(olddir, from, newdir, to))
		return -1;
	return real_renameat(olddir, from, newdir, to);
}

int renameat2(int olddir, const char *from, int newdir, const char *to, unsigned flags)
{
	resolve();
	if (rename_fails(olddir, from, newdir, to))
		return -1;
	return real_renameat2(olddir, from, newdir, to, flags);
}

static int open_fails(int dirfd, const char *path, int flags)
{
	char abs[PATH_MAX];

	if (busy || !(fault_ops & OP_OPEN) || !fault_path)
		return 0;
	if (!(flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)))
		return 0;
	if (!abs_path(abs, sizeof(abs), dirfd, path))
		return 0;
	return call_fails(OP_OPEN, 3, "open", abs);
}

/* the mode argument of an open that creates; 0 for the others */
#define OPEN_MODE(flags, last) __extension__({ \
	va_list ap_; \
	mode_t mode_ = 0; \
	va_start(ap_, last); \
	if ((flags) & (O_CREAT | __O_TMPFILE)) \
		mode_ = (mode_t)va_arg(ap_, int); \
	va_end(ap_); \
	mode_; })

/* every open is an openat (open64 is open on 64-bit glibc) */
static int open_at(int dirfd, const char *path, int flags, mode_t mode)
{
	resolve();
	if (open_fails(dirfd, path, flags))
		return -1;
	return real_openat(dirfd, path, flags, mode);
}

int open(const char *path, int flags, ...)
{
	return open_at(AT_FDCWD, path, flags, OPEN_MODE(flags, flags));
}

int open64(const char *path, int flags, ...)
{
	return open_at(AT_FDCWD, path, flags, OPEN_MODE(flags, flags));
}

int openat(int dirfd, const char *path, int flags, ...)
{
	return open_at(dirfd, path, flags, OPEN_MODE(flags, flags));
}

int openat64(int dirfd, const char *path, int flags, ...)
{
	return open_at(dirfd, path, flags, OPEN_MODE(flags, flags));
}

int creat(const char *path, mode_t mode)
{
	resolve();
	if (open_fails(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC))
		return -1;
	return real_creat(path, mode);
}
