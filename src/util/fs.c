#include "util/fs.h"

#include "util/error.h"
#include "util/strvec.h"
#include "util/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
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

/*
 * Write `data` to a new temporary file beside `path` (its name, path +
 * `suffix` + random, into `tmp`), with `mode`, and fsync it. Nothing is
 * left behind on failure; the message names `path`.
 */
static int write_temp(struct buf *tmp, const char *path, const char *suffix, const void *data,
		      size_t len, mode_t mode)
{
	const char *p = data;
	int fd;
	int err = 0;

	buf_reset(tmp);
	buf_addf(tmp, "%s%sXXXXXX", path, suffix);
	fd = mkstemp(tmp->ptr);
	if (fd < 0) {
		err = error_errno("cannot create a temporary file beside '%s'", path);
		buf_reset(tmp);
		return err;
	}
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = error_errno("cannot write '%s'", path);
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (!err && fchmod(fd, mode) < 0)
		err = error_errno("cannot set the mode of '%s'", tmp->ptr);
	if (!err && fsync(fd) < 0)
		err = error_errno("cannot write '%s': fsync", path);
	if (close(fd) < 0 && !err)
		err = error_errno("cannot write '%s': close", path);
	if (err) {
		unlink(tmp->ptr);
		buf_reset(tmp);
	}
	return err;
}

/* the directory part of `path` into `out` ("." for a bare name) */
static void dir_of(struct buf *out, const char *path)
{
	const char *slash = strrchr(path, '/');

	buf_reset(out);
	if (!slash)
		buf_addch(out, '.');
	else if (slash == path)
		buf_addch(out, '/');
	else
		buf_add(out, path, (size_t)(slash - path));
}

/* make a rename or an unlink in `dir` durable: 0, or -1 with errno */
static int dir_sync(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int err = 0, saved;

	if (fd < 0)
		return -1;
	/* some file systems cannot sync a directory: nothing more to do there */
	if (fsync(fd) < 0 && errno != EINVAL && errno != ENOTSUP)
		err = -1;
	saved = errno;
	close(fd);
	errno = saved;
	return err;
}

/* best effort: sync the directory holding `path`, whose change is already in place */
static void sync_dir_of(const char *path)
{
	struct buf dir = BUF_INIT;

	dir_of(&dir, path);
	dir_sync(dir.ptr);
	buf_release(&dir);
}

static int fsync_dir(const char *dir)
{
	return dir_sync(dir) < 0 ? error_errno("cannot sync directory '%s'", dir) : 0;
}

int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	struct buf tmp = BUF_INIT;
	int err;

	if ((err = write_temp(&tmp, path, FS_TEMP_SUFFIX, data, len, mode)) < 0)
		goto done;
	if (rename(tmp.ptr, path) < 0) {
		err = error_errno("cannot rename '%s' to '%s'", tmp.ptr, path);
		unlink(tmp.ptr);
		goto done;
	}
	/* the new content is in place: a directory that cannot be synced does not undo it */
	sync_dir_of(path);
done:
	buf_release(&tmp);
	return err;
}

struct fs_batch_file *fs_batch_find(const struct fs_batch *b, const char *path)
{
	size_t i;
	for (i = 0; i < b->nr; i++)
		if (!strcmp(b->files[i].path, path))
			return &b->files[i];
	return NULL;
}

struct fs_batch_file *fs_batch_get(struct fs_batch *b, const char *path)
{
	struct fs_batch_file *f = fs_batch_find(b, path);

	if (f)
		return f;
	ALLOC_APPEND(f, b->files, b->nr, b->alloc);
	f->path = xstrdup(path);
	buf_init(&f->data, 0);
	f->mode = FS_BATCH_DEFAULT_MODE;
	return f;
}

void fs_batch_release(struct fs_batch *b)
{
	size_t i;
	for (i = 0; i < b->nr; i++) {
		free(b->files[i].path);
		buf_release(&b->files[i].data);
	}
	free(b->files);
	b->files = NULL;
	b->nr = b->alloc = 0;
}

/* what fs_batch_commit() did to one file, to undo it */
struct batch_step {
	struct buf tmp;      /* the new content, until renamed */
	struct buf backup;   /* the original, while it may be needed */
	int existed;
	int done;            /* renamed into place (or removed) */
};

/* a name beside `path` that nothing has, for a hard link to it */
static int link_backup(struct buf *out, const char *path)
{
	static unsigned counter;
	int tries;

	for (tries = 0; tries < FS_BACKUP_TRIES; tries++) {
		buf_reset(out);
		buf_addf(out, "%s%s%d.%u", path, FS_BACKUP_SUFFIX, (int)getpid(), counter++);
		if (!link(path, out->ptr))
			return 0;
		if (errno != EEXIST)
			break;
	}
	buf_reset(out);
	return -1;
}

/* keep the original of `path`: a hard link, else a copy (both fsynced) */
static int keep_original(struct buf *out, const char *path, mode_t mode)
{
	struct buf data = BUF_INIT;
	int err;

	if (!link_backup(out, path))
		return 0;
	if ((err = fs_read_file(&data, path, 0)) == 0)
		err = write_temp(out, path, FS_BACKUP_SUFFIX, data.ptr, data.len, mode);
	buf_release(&data);
	return err;
}

/* the missing directories above `path`, made top down and listed in `made` */
static int make_parents(struct strvec *made, const char *path)
{
	struct buf dir = BUF_INIT;
	struct strvec missing = STRVEC_INIT;
	size_t i;
	int err = 0;

	dir_of(&dir, path);
	while (strcmp(dir.ptr, "/") && strcmp(dir.ptr, ".") && !fs_is_dir(dir.ptr)) {
		char *d = xstrdup(dir.ptr);
		strvec_push(&missing, d);
		dir_of(&dir, d);
		free(d);
	}
	for (i = missing.nr; i-- > 0 && !err;) {
		if (mkdir(missing.v[i], FS_BATCH_DIR_MODE) < 0)
			err = error_errno("cannot create directory '%s'", missing.v[i]);
		else
			strvec_push(made, missing.v[i]);
	}
	strvec_clear(&missing);
	buf_release(&dir);
	return err;
}

/* put back what steps [0, n) changed; 0, or -1 with the originals that could not be */
static int batch_undo(struct fs_batch *b, struct batch_step *steps, size_t n, struct buf *lost)
{
	size_t i;
	int err = 0;

	for (i = n; i-- > 0;) {
		struct batch_step *st = &steps[i];
		if (!st->done)
			continue;
		if (!st->existed) {
			if (unlink(b->files[i].path) < 0 && errno != ENOENT) {
				buf_addf(lost, "%s'%s' (new) could not be removed: %s", lost->len ? "; " : "",
					 b->files[i].path, strerror(errno));
				err = -1;
			}
		} else if (rename(st->backup.ptr, b->files[i].path) < 0) {
			buf_addf(lost, "%s'%s' could not be restored (its original is in '%s'): %s",
				 lost->len ? "; " : "", b->files[i].path, st->backup.ptr, strerror(errno));
			err = -1;
			continue;
		}
		buf_reset(&st->backup);   /* used up */
		st->done = 0;
	}
	return err;
}

/* append `name` relative to `root`, or fail: the journal holds only such paths */
static int journal_add(struct buf *text, const char *root, const char *name, char end)
{
	size_t rl = strlen(root);

	if (name) {
		if (strncmp(name, root, rl) || name[rl] != '/' || strpbrk(name, "\t\n"))
			return error_setc(ERR_CONFLICT, "cannot apply '%s': its path is not one the "
					  "journal of '%s' can hold", name, root);
		buf_adds(text, name + rl + 1);
	}
	buf_addch(text, end);
	return 0;
}

/* the batch's journal (fs_batch_recover() reads it) in `state`, fsynced */
static int journal_write(const struct fs_batch *b, const struct batch_step *steps,
			 const char *state)
{
	struct buf text = BUF_INIT;
	size_t i;
	int err = 0;

	buf_addf(&text, "%s\n%s\n", FS_JOURNAL_HEADER, state);
	for (i = 0; i < b->nr && !err; i++) {
		const struct batch_step *st = &steps[i];

		if (!st->existed && b->files[i].remove && strcmp(state, FS_JOURNAL_PREPARING))
			continue;   /* nothing to do, nothing to undo */
		if ((err = journal_add(&text, b->root, b->files[i].path, '\t')) < 0 ||
		    (err = journal_add(&text, b->root, st->backup.len ? st->backup.ptr : NULL,
				       '\t')) < 0 ||
		    (err = journal_add(&text, b->root, st->tmp.len ? st->tmp.ptr : NULL, '\n')) < 0)
			break;
	}
	if (!err)
		err = fs_write_atomic(b->journal, text.ptr, text.len, 0644);
	buf_release(&text);
	return err;
}

int fs_batch_commit(struct fs_batch *b)
{
	struct batch_step *steps = xcalloc(b->nr ? b->nr : 1, sizeof(*steps));
	struct strvec made = STRVEC_INIT, dirs = STRVEC_INIT;
	struct buf dir = BUF_INIT, lost = BUF_INIT;
	size_t i;
	int err = 0, journal = 0;

	for (i = 0; i < b->nr; i++) {
		buf_init(&steps[i].tmp, 0);
		buf_init(&steps[i].backup, 0);
	}
	/* a writer that dies while it makes the temporaries leaves what names their files */
	if (b->journal && (err = journal_write(b, steps, FS_JOURNAL_PREPARING)) == 0)
		journal = 1;
	/* 1: every new content and every original safe on disk; nothing of the user's touched */
	for (i = 0; i < b->nr && !err; i++) {
		struct fs_batch_file *f = &b->files[i];
		struct batch_step *st = &steps[i];
		struct stat sb;
		mode_t mode = f->mode;

		if (lstat(f->path, &sb) == 0) {
			if (!S_ISREG(sb.st_mode)) {
				err = error_setc(ERR_CONFLICT, "cannot replace '%s': it is not a regular file",
						 f->path);
				break;
			}
			st->existed = 1;
			mode = sb.st_mode & 07777;
		} else if (errno != ENOENT && errno != ENOTDIR) {
			err = error_errno("cannot read '%s'", f->path);
			break;
		} else if (f->remove) {
			continue;   /* already gone */
		} else if ((err = make_parents(&made, f->path)) < 0) {
			break;
		}
		if (!f->remove)
			err = write_temp(&st->tmp, f->path, FS_TEMP_SUFFIX, f->data.ptr, f->data.len, mode);
		if (!err && st->existed)
			err = keep_original(&st->backup, f->path, mode);
		dir_of(&dir, f->path);
		if (strvec_find(&dirs, dir.ptr) < 0)
			strvec_push(&dirs, dir.ptr);
	}
	/* the journal: from here on, a writer that dies leaves what undoes its renames */
	if (!err && b->journal)
		err = journal_write(b, steps, FS_JOURNAL_APPLYING);
	/* 2: into place, one by one */
	for (i = 0; i < b->nr && !err; i++) {
		struct fs_batch_file *f = &b->files[i];
		struct batch_step *st = &steps[i];

		if (f->remove) {
			if (st->existed && unlink(f->path) < 0)
				err = error_errno("cannot remove '%s'", f->path);
		} else if (rename(st->tmp.ptr, f->path) < 0) {
			err = error_errno("cannot write '%s': rename", f->path);
		} else {
			buf_reset(&st->tmp);
		}
		st->done = !err && (st->existed || !f->remove);
	}
	/* 3: the renames made durable */
	for (i = 0; i < dirs.nr && !err; i++)
		err = fsync_dir(dirs.v[i]);
	for (i = made.nr; i-- > 0 && !err;) {
		dir_of(&dir, made.v[i]);
		err = fsync_dir(dir.ptr);
	}
	/* every file in place: a run that finds the journal now only removes what is left */
	if (!err && journal)
		err = journal_write(b, steps, FS_JOURNAL_APPLIED);

	if (err < 0) {
		char *why = xstrdup(error_last());
		if (batch_undo(b, steps, b->nr, &lost) < 0) {
			error_setc(err, "%s; not everything could be put back: %s%s", why, lost.ptr,
				   journal ? " (the journal is kept: `pytest-fixer cleanup` puts them "
				   "back)" : "");
			journal = 0;   /* kept */
		} else {
			error_setc(err, "%s; nothing was changed", why);
		}
		free(why);
	}
	/* 4: no temporary file or backup left (a backup stays only when it could not be put back) */
	for (i = 0; i < b->nr; i++) {
		if (steps[i].tmp.len)
			unlink(steps[i].tmp.ptr);
		if (steps[i].backup.len && !(err < 0 && steps[i].done))
			unlink(steps[i].backup.ptr);
		buf_release(&steps[i].tmp);
		buf_release(&steps[i].backup);
	}
	if (err < 0)
		for (i = made.nr; i-- > 0;)
			rmdir(made.v[i]);
	/* last: the batch is whole (applied, or undone) */
	if (journal && unlink(b->journal) == 0) {
		sync_dir_of(b->journal);
	}
	free(steps);
	strvec_clear(&made);
	strvec_clear(&dirs);
	buf_release(&dir);
	buf_release(&lost);
	return err;
}

/* a path the journal may name: relative, no empty, "." or ".." component */
static int journal_path_ok(const char *rel)
{
	const char *p = rel;

	if (!*rel)
		return 0;
	while (*p) {
		size_t n = strcspn(p, "/");
		if (!n || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		p += n;
		if (*p == '/' && !*++p)
			return 0;
	}
	return 1;
}

/* a kept original or temporary of `path`: `name` is path + suffix + something */
static int journal_name_ok(const char *name, const char *path, const char *suffix)
{
	size_t pl = strlen(path), sl = strlen(suffix);

	if (!*name)
		return 1;   /* none */
	return journal_path_ok(name) && !strncmp(name, path, pl) &&
	       !strncmp(name + pl, suffix, sl) && name[pl + sl] && !strchr(name + pl + sl, '/');
}

enum journal_state { JOURNAL_APPLYING, JOURNAL_APPLIED, JOURNAL_PREPARING };

/* `rest` is what mkstemp() puts after a template's prefix: six letters or digits */
static int mkstemp_tail(const char *rest)
{
	size_t n = strspn(rest, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");

	return n == 6 && !rest[n];
}

/* `rest` is what link_backup() puts after the prefix: <pid>.<counter> */
static int backup_tail(const char *rest)
{
	size_t n = strspn(rest, "0123456789");

	if (!n || rest[n] != '.')
		return 0;
	rest += n + 1;
	n = strspn(rest, "0123456789");
	return n && !rest[n];
}

/*
 * Remove the temporaries and kept originals fs_batch_commit() makes beside
 * `path` (named as write_temp() and link_backup() name them, nothing else;
 * a mkstemp() name only when it is no older than the journal, `since`, as
 * "calc.py.tmp.backup" of the user's could look the same); `path` itself
 * is never touched. Their count into `removed`.
 */
static void remove_temporaries(size_t *removed, struct buf *lost, const char *path, time_t since)
{
	struct buf dir = BUF_INIT, name = BUF_INIT;
	const char *base = strrchr(path, '/');
	size_t bl, tl = strlen(FS_TEMP_SUFFIX), ol = strlen(FS_BACKUP_SUFFIX);
	struct dirent *d;
	DIR *dh;

	base = base ? base + 1 : path;
	bl = strlen(base);
	dir_of(&dir, path);
	if (!(dh = opendir(dir.ptr)))
		goto done;
	while ((d = readdir(dh))) {
		const char *n = d->d_name;
		struct stat sb;
		int made, linked;

		if (strncmp(n, base, bl))
			continue;
		n += bl;
		made = (!strncmp(n, FS_TEMP_SUFFIX, tl) && mkstemp_tail(n + tl)) ||
		       (!strncmp(n, FS_BACKUP_SUFFIX, ol) && mkstemp_tail(n + ol));
		linked = !strncmp(n, FS_BACKUP_SUFFIX, ol) && backup_tail(n + ol);
		if (!made && !linked)
			continue;
		buf_reset(&name);
		buf_addf(&name, "%s/%s", dir.ptr, d->d_name);
		if (made && (lstat(name.ptr, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_mtime < since))
			continue;
		if (unlink(name.ptr) == 0)
			(*removed)++;
		else if (errno != ENOENT)
			buf_addf(lost, "%s'%s' could not be removed: %s", lost->len ? "; " : "",
				 name.ptr, strerror(errno));
	}
	closedir(dh);
done:
	buf_release(&dir);
	buf_release(&name);
}

/*
 * Split the journal's text into `entries` (path, original, temporary, each
 * "" for none), checking every line: ERR_USAGE naming `journal` if it is
 * not one of ours.
 */
static int journal_parse(struct strvec *entries, int *state, char *text, size_t len,
			 const char *journal)
{
	char *line = text, *next;
	int nr = 0;

	*state = JOURNAL_APPLYING;
	if (strlen(text) != len || (len && text[len - 1] != '\n'))
		goto bad;
	for (; *line; line = next) {
		char *f[3];
		int k;

		next = strchr(line, '\n');
		*next++ = '\0';
		nr++;
		if (nr == 1) {
			if (strcmp(line, FS_JOURNAL_HEADER))
				goto bad;
			continue;
		}
		if (nr == 2) {
			if (!strcmp(line, FS_JOURNAL_APPLIED))
				*state = JOURNAL_APPLIED;
			else if (!strcmp(line, FS_JOURNAL_PREPARING))
				*state = JOURNAL_PREPARING;
			else if (strcmp(line, FS_JOURNAL_APPLYING))
				goto bad;
			continue;
		}
		f[0] = line;
		for (k = 1; k < 3; k++) {
			if (!(f[k] = strchr(f[k - 1], '\t')))
				goto bad;
			*f[k]++ = '\0';
		}
		if (strchr(f[2], '\t') || !journal_path_ok(f[0]) ||
		    !journal_name_ok(f[1], f[0], FS_BACKUP_SUFFIX) ||
		    !journal_name_ok(f[2], f[0], FS_TEMP_SUFFIX))
			goto bad;
		for (k = 0; k < 3; k++)
			strvec_push(entries, f[k]);
	}
	if (nr >= 2)
		return 0;
bad:
	return error_setc(ERR_USAGE, "'%s' is not a journal of an interrupted apply (line %d is "
			  "malformed): nothing was done; check your files and remove it", journal,
			  nr ? nr : 1);
}

int fs_batch_recover(struct strvec *report, const char *root, const char *journal)
{
	struct strvec e = STRVEC_INIT;
	struct buf text = BUF_INIT, path = BUF_INIT, orig = BUF_INIT, tmp = BUF_INIT;
	struct buf lost = BUF_INIT;
	struct stat sb;
	size_t i;
	size_t swept = 0;
	time_t since;
	int state = JOURNAL_APPLYING, err;

	if (lstat(journal, &sb) < 0 && errno == ENOENT)
		return 0;
	since = sb.st_mtime;
	if ((err = fs_read_file(&text, journal, FS_JOURNAL_MAX)) < 0 ||
	    (err = journal_parse(&e, &state, text.ptr, text.len, journal)) < 0)
		goto done;
	for (i = 0; i + 2 < e.nr; i += 3) {
		buf_reset(&path);
		buf_reset(&orig);
		buf_reset(&tmp);
		buf_addf(&path, "%s/%s", root, e.v[i]);
		if (*e.v[i + 1])
			buf_addf(&orig, "%s/%s", root, e.v[i + 1]);
		if (*e.v[i + 2])
			buf_addf(&tmp, "%s/%s", root, e.v[i + 2]);
		if (state == JOURNAL_PREPARING) {
			/* nothing of the user's was renamed yet: only our temporaries to remove */
			remove_temporaries(&swept, &lost, path.ptr, since);
			continue;
		}
		if (tmp.len && unlink(tmp.ptr) < 0 && errno != ENOENT)
			buf_addf(&lost, "%s'%s' could not be removed: %s", lost.len ? "; " : "",
				 tmp.ptr, strerror(errno));
		if (state == JOURNAL_APPLIED) {
			if (orig.len)
				unlink(orig.ptr);
			continue;
		}
		if (!orig.len) {
			if (unlink(path.ptr) == 0)
				strvec_pushf(report, "removed '%s': an interrupted apply had made it",
					     e.v[i]);
			else if (errno != ENOENT)
				buf_addf(&lost, "%s'%s' (new) could not be removed: %s",
					 lost.len ? "; " : "", path.ptr, strerror(errno));
		} else if (lstat(orig.ptr, &sb) == 0) {
			/* a hard link to the file itself when it was not replaced yet: rename keeps both */
			if (rename(orig.ptr, path.ptr) < 0) {
				buf_addf(&lost, "%s'%s' could not be restored (its original is in '%s'): %s",
					 lost.len ? "; " : "", path.ptr, orig.ptr, strerror(errno));
				continue;
			}
			if (lstat(orig.ptr, &sb) == 0)
				unlink(orig.ptr);
			strvec_pushf(report, "restored '%s' as it was before an interrupted apply",
				     e.v[i]);
		}   /* else: put back by an earlier undo */
		sync_dir_of(path.ptr);
	}
	if (lost.len) {
		err = error_setc(ERR_GENERIC, "cannot finish undoing an interrupted apply: %s (the "
				 "journal '%s' is kept: run `pytest-fixer cleanup` again)", lost.ptr,
				 journal);
		goto done;
	}
	if (swept)
		strvec_pushf(report, "removed %zu temporary file%s an interrupted apply had made "
			     "(no file of yours had been changed)", swept, swept == 1 ? "" : "s");
	if (state == JOURNAL_APPLIED)
		strvec_pushf(report, "an interrupted apply had written every file: removed the "
			     "originals it kept");
	if (unlink(journal) < 0 && errno != ENOENT) {
		err = error_errno("cannot remove the journal '%s'", journal);
		goto done;
	}
	sync_dir_of(journal);
done:
	strvec_clear(&e);
	buf_release(&text);
	buf_release(&path);
	buf_release(&orig);
	buf_release(&tmp);
	buf_release(&lost);
	return err;
}

/*
 * Our temporary directories live in one directory per process,
 * $TMPDIR/pytest-fixer-run.<pid>.XXXXXX, whose FS_TMP_OWNER file we hold an
 * flock on while we live: `cleanup` tells the directories of a process that
 * is gone (killed with SIGKILL) by taking that lock.
 */
static pthread_once_t tmp_once = PTHREAD_ONCE_INIT;
static char tmp_holder[PATH_MAX];
static int tmp_holder_err;
static pid_t tmp_holder_pid;

static const char *tmp_root(void)
{
	const char *tmpdir = getenv("TMPDIR");
	return tmpdir && *tmpdir ? tmpdir : "/tmp";
}

static void tmp_holder_remove(void)
{
	/* only the process that made it (not a forked child that exits) */
	if (*tmp_holder && getpid() == tmp_holder_pid)
		fs_remove_tree(tmp_holder);
}

static void tmp_holder_make(void)
{
	struct buf path = BUF_INIT;
	int fd;

	buf_addf(&path, "%s/%s%d.XXXXXX", tmp_root(), FS_TMP_HOLDER_PREFIX, (int)getpid());
	if (!mkdtemp(path.ptr)) {
		tmp_holder_err = errno;
		goto done;
	}
	snprintf(tmp_holder, sizeof(tmp_holder), "%s", path.ptr);
	tmp_holder_pid = getpid();
	buf_addf(&path, "/%s", FS_TMP_OWNER);
	/* held until we exit: never closed, and closed on exec for children */
	fd = open(path.ptr, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
		tmp_holder_err = errno;
		rmdir(tmp_holder);
		*tmp_holder = '\0';
		if (fd >= 0)
			close(fd);
		goto done;
	}
	atexit(tmp_holder_remove);
done:
	buf_release(&path);
}

int fs_mkdtemp(struct buf *out, const char *prefix)
{
	pthread_once(&tmp_once, tmp_holder_make);
	if (!*tmp_holder) {
		errno = tmp_holder_err;
		return error_errno("cannot create a temporary directory in '%s'", tmp_root());
	}
	buf_reset(out);
	buf_addf(out, "%s/%s.XXXXXX", tmp_holder, prefix);
	if (!mkdtemp(out->ptr))
		return error_errno("cannot create a temporary directory in '%s'", tmp_holder);
	return 0;
}

/* 1 when the process that made holder directory `name` is gone */
static int tmp_holder_dead(const char *path, const char *name)
{
	struct buf owner = BUF_INIT;
	long pid = strtol(name + strlen(FS_TMP_HOLDER_PREFIX), NULL, 10);
	int fd, dead;

	/* its pid gone (a holder made a moment ago has no lock yet) ... */
	dead = pid > 0 && kill((pid_t)pid, 0) < 0 && errno == ESRCH;
	/* ... and its lock free (the pid may be another process's by now) */
	buf_addf(&owner, "%s/%s", path, FS_TMP_OWNER);
	fd = open(owner.ptr, O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dead = dead && flock(fd, LOCK_EX | LOCK_NB) == 0;
		close(fd);
	}
	buf_release(&owner);
	return dead;
}

int fs_remove_stale_tmp(struct strvec *removed)
{
	const char *root = tmp_root();
	DIR *dir = opendir(root);
	struct dirent *de;
	int err = 0;

	if (!dir)
		return errno == ENOENT ? 0 : error_errno("cannot open directory '%s'", root);
	while ((de = readdir(dir))) {
		struct buf path = BUF_INIT;
		if (strncmp(de->d_name, FS_TMP_HOLDER_PREFIX, strlen(FS_TMP_HOLDER_PREFIX)))
			continue;
		buf_addf(&path, "%s/%s", root, de->d_name);
		if (strcmp(path.ptr, tmp_holder) && fs_is_dir(path.ptr) &&
		    tmp_holder_dead(path.ptr, de->d_name)) {
			if (fs_remove_tree(path.ptr) == 0)
				strvec_push(removed, path.ptr);
			else
				err = -1;
		}
		buf_release(&path);
	}
	closedir(dir);
	return err;
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
