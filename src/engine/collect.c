#include "engine/collect.h"

#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strvec.h"
#include "util/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct walk {
	const char *before, *after;
	struct change *out;
	size_t entries;
};

static int ignored(const char *name)
{
	static const char *const names[] = COLLECT_IGNORED_NAMES;
	static const char *const suffixes[] = COLLECT_IGNORED_SUFFIXES;
	size_t i, n = strlen(name);

	for (i = 0; names[i]; i++)
		if (!strcmp(name, names[i]))
			return 1;
	for (i = 0; suffixes[i]; i++) {
		size_t k = strlen(suffixes[i]);
		if (n >= k && !strcmp(name + n - k, suffixes[i]))
			return 1;
	}
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* the names in directory root/rel but "." and "..", sorted */
static int list_dir(struct strvec *out, struct walk *w, const char *root, const char *rel)
{
	struct buf path = BUF_INIT;
	struct dirent *d;
	DIR *dir;
	int err = 0;

	buf_addf(&path, "%s%s%s", root, *rel ? "/" : "", rel);
	if (!(dir = opendir(path.ptr))) {
		err = error_errno("cannot read the directory '%s'", path.ptr);
		goto done;
	}
	while ((d = readdir(dir))) {
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		if (++w->entries > COLLECT_MAX_ENTRIES) {
			err = error_setc(ERR_LIMIT, "the project holds more than %u entries",
					 COLLECT_MAX_ENTRIES);
			break;
		}
		strvec_push(out, d->d_name);
	}
	closedir(dir);
	qsort(out->v, out->nr, sizeof(*out->v), cmp_names);
done:
	buf_release(&path);
	return err;
}

/* lstat root/rel; 0, or 1 when it does not exist */
static int stat_at(struct stat *st, const char *root, const char *rel)
{
	struct buf path = BUF_INIT;
	int err = 0;

	buf_addf(&path, "%s/%s", root, rel);
	if (lstat(path.ptr, st) < 0)
		err = errno == ENOENT || errno == ENOTDIR ? 1 :
			error_errno("cannot look at '%s'", path.ptr);
	buf_release(&path);
	return err;
}

static int read_at(struct buf *out, const char *root, const char *rel)
{
	struct buf path = BUF_INIT;
	int err;

	buf_addf(&path, "%s/%s", root, rel);
	err = fs_read_file(out, path.ptr, EDIT_MAX_FILE_SIZE);
	if (err == ERR_LIMIT)
		err = error_setc(ERR_LIMIT, "'%s' is larger than %u bytes", rel, EDIT_MAX_FILE_SIZE);
	buf_release(&path);
	return err;
}

/* 1 when both are symlinks with the same target */
static int same_link(const char *before, const char *after, const char *rel)
{
	struct buf a = BUF_INIT, b = BUF_INIT;
	char ta[EDIT_MAX_PATH + 1], tb[EDIT_MAX_PATH + 1];
	ssize_t na, nb;

	buf_addf(&a, "%s/%s", before, rel);
	buf_addf(&b, "%s/%s", after, rel);
	na = readlink(a.ptr, ta, sizeof(ta));
	nb = readlink(b.ptr, tb, sizeof(tb));
	buf_release(&a);
	buf_release(&b);
	return na >= 0 && na == nb && (size_t)na < sizeof(ta) && !memcmp(ta, tb, (size_t)na);
}

static const char *kind_of(mode_t m)
{
	if (S_ISDIR(m))
		return "directory";
	if (S_ISLNK(m))
		return "symlink";
	if (S_ISREG(m))
		return "file";
	return "special file";
}

/* a regular file of `after`: an edit when it is new or changed */
static int compare_file(struct walk *w, const char *rel)
{
	struct buf now = BUF_INIT, then = BUF_INIT;
	struct file_edit *e;
	struct stat st;
	int err, gone;

	if ((err = read_at(&now, w->after, rel)) < 0)
		goto done;
	if (memchr(now.ptr, '\0', now.len)) {
		err = error_setc(ERR_USAGE, "'%s' holds a NUL byte: a change may hold text files only",
				 rel);
		goto done;
	}
	if ((gone = stat_at(&st, w->before, rel)) < 0) {
		err = gone;
		goto done;
	}
	if (!gone && !S_ISREG(st.st_mode)) {
		err = error_setc(ERR_USAGE, "'%s' was a %s and is now a file", rel, kind_of(st.st_mode));
		goto done;
	}
	if (!gone) {
		if ((err = read_at(&then, w->before, rel)) < 0)
			goto done;
		if (then.len == now.len && !memcmp(then.ptr, now.ptr, now.len))
			goto done;
	}
	if (w->out->nr >= EDIT_MAX_EDITS) {
		err = error_setc(ERR_LIMIT, "more than %u files changed", EDIT_MAX_EDITS);
		goto done;
	}
	e = change_add(w->out, EDIT_REWRITE, rel);
	e->content = buf_detach(&now, NULL);
done:
	buf_release(&now);
	buf_release(&then);
	return err;
}

typedef int visit_fn(struct walk *w, const char *rel, int depth, int gone);

/* visit each entry of directory root/rel but the ignored ones, in name order */
static int walk(struct walk *w, const char *root, const char *rel, int depth, int gone,
		visit_fn *visit)
{
	struct strvec names = STRVEC_INIT;
	struct buf path = BUF_INIT;
	size_t i;
	int err;

	if (depth > COLLECT_MAX_DEPTH)
		return error_setc(ERR_LIMIT, "'%s' lies more than %d directories deep", rel,
				  COLLECT_MAX_DEPTH);
	if ((err = list_dir(&names, w, root, rel)) < 0)
		goto done;
	for (i = 0; i < names.nr && !err; i++) {
		if (ignored(names.v[i]))
			continue;
		buf_reset(&path);
		buf_addf(&path, "%s%s%s", rel, *rel ? "/" : "", names.v[i]);
		err = visit(w, path.ptr, depth, gone);
	}
done:
	strvec_clear(&names);
	buf_release(&path);
	return err;
}

/* one entry of `after` */
static int visit_after(struct walk *w, const char *rel, int depth, int unused)
{
	struct stat st, old;
	int gone, err;

	(void)unused;
	if ((err = stat_at(&st, w->after, rel)) != 0)
		return err < 0 ? err : 0;   /* gone meanwhile: nothing to take */
	if ((gone = stat_at(&old, w->before, rel)) < 0)
		return gone;
	if (S_ISREG(st.st_mode))
		return compare_file(w, rel);
	if (S_ISDIR(st.st_mode)) {
		if (!gone && !S_ISDIR(old.st_mode))
			return error_setc(ERR_USAGE, "'%s' was a %s and is now a directory", rel,
					  kind_of(old.st_mode));
		return walk(w, w->after, rel, depth + 1, 0, visit_after);
	}
	if (S_ISLNK(st.st_mode)) {
		if (!gone && S_ISLNK(old.st_mode) && same_link(w->before, w->after, rel))
			return 0;
		return error_setc(ERR_USAGE, "'%s' is a new symlink: a change may hold regular "
				  "files only", rel);
	}
	if (!gone && (st.st_mode & S_IFMT) == (old.st_mode & S_IFMT))
		return 0;
	return error_setc(ERR_USAGE, "'%s' is a new special file: a change may hold regular "
			  "files only", rel);
}

/*
 * One entry of `before`: a delete edit when `after` lost it. With `gone`,
 * its directory went whole.
 */
static int visit_before(struct walk *w, const char *rel, int depth, int gone)
{
	struct stat st, now;
	int err;

	if ((err = stat_at(&st, w->before, rel)) != 0)
		return err < 0 ? err : 0;
	if (!gone && (gone = stat_at(&now, w->after, rel)) < 0)
		return gone;
	if (S_ISDIR(st.st_mode) && (gone || S_ISDIR(now.st_mode)))
		return walk(w, w->before, rel, depth + 1, gone, visit_before);
	if (!gone)
		return 0;
	if (!S_ISREG(st.st_mode))
		return error_setc(ERR_USAGE, "the %s '%s' was deleted: a change may delete "
				  "regular files only", kind_of(st.st_mode), rel);
	if (w->out->nr >= EDIT_MAX_EDITS)
		return error_setc(ERR_LIMIT, "more than %u files changed", EDIT_MAX_EDITS);
	change_add(w->out, EDIT_DELETE, rel);
	return 0;
}

int collect_change(struct change *out, const char *before, const char *after)
{
	struct walk w = { .before = before, .after = after, .out = out };
	int err;

	change_init(out);
	if ((err = walk(&w, after, "", 0, 0, visit_after)) == 0) {
		w.entries = 0;
		err = walk(&w, before, "", 0, 0, visit_before);
	}
	if (err < 0)
		change_release(out);
	return err;
}
