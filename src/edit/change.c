#include "edit/change.h"

#include "edit/lines.h"
#include "edit/patch.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the model ---- */

static const char *const mode_names[] = {
	[EDIT_UPDATE] = "update",
	[EDIT_PATCH] = "patch",
	[EDIT_REWRITE] = "rewrite",
	[EDIT_DELETE] = "delete",
};

void change_init(struct change *c)
{
	memset(c, 0, sizeof(*c));
}

static void edit_release(struct file_edit *e)
{
	FREE_ALL(e->path, e->old_str, e->new_str, e->patch, e->content);
}

void change_release(struct change *c)
{
	FREE_ARRAY(c->edits, c->nr, edit_release);
	free(c->description);
	change_init(c);
}

struct file_edit *change_add(struct change *c, enum edit_mode mode, const char *path)
{
	struct file_edit *e;
	ALLOC_APPEND(e, c->edits, c->nr, c->alloc);
	e->mode = mode;
	e->path = xstrdup_or_null(path);
	return e;
}

void change_copy(struct change *dst, const struct change *src)
{
	size_t i;
	change_init(dst);
	dst->description = xstrdup_or_null(src->description);
	for (i = 0; i < src->nr; i++) {
		const struct file_edit *s = &src->edits[i];
		struct file_edit *d = change_add(dst, s->mode, s->path);
		d->old_str = xstrdup_or_null(s->old_str);
		d->new_str = xstrdup_or_null(s->new_str);
		d->patch = xstrdup_or_null(s->patch);
		d->content = xstrdup_or_null(s->content);
	}
}

const char *edit_mode_name(enum edit_mode m)
{
	if ((size_t)m < ARRAY_SIZE(mode_names))
		return mode_names[m];
	return "unknown";
}

int edit_mode_parse(enum edit_mode *out, const char *name)
{
	size_t i;
	for (i = 0; i < ARRAY_SIZE(mode_names); i++) {
		if (name && !strcmp(name, mode_names[i])) {
			*out = (enum edit_mode)i;
			return 0;
		}
	}
	return error_setc(ERR_USAGE, "unknown edit mode '%s' (update, patch, rewrite or delete)",
			  name ? name : "");
}

/* ---- computing one edit ---- */

static const char *find_bytes(const char *hay, size_t len, const char *needle, size_t n)
{
	const char *p = hay, *end = hay + len;
	while (n && (size_t)(end - p) >= n) {
		const char *c = memchr(p, needle[0], (size_t)(end - p) - n + 1);
		if (!c)
			return NULL;
		if (!memcmp(c, needle, n))
			return c;
		p = c + 1;
	}
	return NULL;
}

static void trim_blank_ends(struct text_lines *l, size_t *lead, size_t *trail)
{
	size_t a = 0, b = l->nr;
	while (a < b && line_is_blank(l->v[a].ptr, l->v[a].len))
		a++;
	while (b > a && line_is_blank(l->v[b - 1].ptr, l->v[b - 1].len))
		b--;
	*lead = a;
	*trail = l->nr - b;
	if (a && b > a)
		memmove(l->v, l->v + a, (b - a) * sizeof(*l->v));
	l->nr = b - a;
}

/*
 * update's fallback: old_str as whole lines, ignoring trailing whitespace
 * and a common difference of indentation.
 */
static int update_loose(struct buf *out, const struct file_edit *e, const char *old, size_t old_len)
{
	struct text_lines file = TEXT_LINES_INIT, needle = TEXT_LINES_INIT, repl = TEXT_LINES_INIT;
	struct indent_shift shift, found_shift;
	size_t lead, trail, rlead, rtrail, i, j, indent, matches = 0, at = 0;
	const struct text_line *last;
	const char *eol, *rest;
	int err = 0;

	memset(&found_shift, 0, sizeof(found_shift));
	text_lines_split(&file, old, old_len);
	text_lines_split(&needle, e->old_str, strlen(e->old_str));
	trim_blank_ends(&needle, &lead, &trail);
	if (needle.nr && needle.nr <= file.nr) {
		indent = line_block_indent(needle.v, needle.nr);
		for (i = 0; i + needle.nr <= file.nr; i++) {
			if (!line_block_match_loose(file.v + i, needle.v, needle.nr, indent, &shift))
				continue;
			if (!matches++) {
				at = i;
				found_shift = shift;
			}
		}
	}
	if (!matches) {
		err = error_setc(ERR_CONFLICT, "'old_str' not found in '%s'", e->path);
		goto done;
	}
	if (matches > 1) {
		err = error_setc(ERR_CONFLICT, "'old_str' occurs %zu times in '%s' (ignoring whitespace)",
				 matches, e->path);
		goto done;
	}
	/* the replacement loses the blank lines the needle lost */
	if (e->new_str)
		text_lines_split(&repl, e->new_str, strlen(e->new_str));
	for (rlead = 0; rlead < lead && rlead < repl.nr &&
	     line_is_blank(repl.v[rlead].ptr, repl.v[rlead].len); rlead++)
		;
	for (rtrail = 0; rtrail < trail && rtrail + rlead < repl.nr &&
	     line_is_blank(repl.v[repl.nr - 1 - rtrail].ptr, repl.v[repl.nr - 1 - rtrail].len); rtrail++)
		;
	/* whole lines out, the new ones in with the file's line ends */
	eol = file.v[at].eol_len == 2 ? "\r\n" : file.v[at].eol_len == 1 ? "\n" : text_lines_eol(&file);
	last = &file.v[at + needle.nr - 1];
	buf_add(out, old, (size_t)(file.v[at].ptr - old));
	for (j = rlead; j + rtrail < repl.nr; j++) {
		if ((err = line_add_reindented(out, repl.v[j].ptr, repl.v[j].len, &found_shift)) < 0)
			goto done;
		if (j + 1 + rtrail < repl.nr || last->eol_len)
			buf_adds(out, eol);
	}
	rest = last->ptr + last->len + last->eol_len;
	err = buf_add(out, rest, (size_t)(old + old_len - rest));
done:
	text_lines_release(&repl);
	text_lines_release(&needle);
	text_lines_release(&file);
	return err;
}

static int compute_update(struct buf *out, const struct file_edit *e, const char *old, size_t old_len)
{
	size_t n, count = 0;
	const char *p, *first = NULL, *end = old + old_len;

	if (!e->old_str || !*e->old_str)
		return error_setc(ERR_USAGE, "cannot update '%s': 'old_str' is empty", e->path);
	n = strlen(e->old_str);
	for (p = old; (p = find_bytes(p, (size_t)(end - p), e->old_str, n)); p++) {
		if (!count++)
			first = p;
	}
	if (count > 1)
		return error_setc(ERR_CONFLICT, "'old_str' occurs %zu times in '%s'", count, e->path);
	if (!count)
		return update_loose(out, e, old, old_len);
	buf_add(out, old, (size_t)(first - old));
	if (e->new_str)
		buf_adds(out, e->new_str);
	return buf_add(out, first + n, (size_t)(end - first - n));
}

static int compute_patch(struct buf *out, const struct file_edit *e, const char *old, size_t old_len)
{
	struct patch_set set;
	struct patch_file *pf;
	int err;

	if (!e->patch)
		return error_setc(ERR_USAGE, "cannot patch '%s': no patch given", e->path);
	if ((err = patch_parse(&set, e->patch, strlen(e->patch))) < 0)
		return error_prefix(err, "cannot patch '%s'", e->path);
	pf = set.nr == 1 ? &set.files[0] : patch_set_find(&set, e->path);
	if (!pf) {
		err = error_setc(ERR_USAGE, "cannot patch '%s': the patch has %zu files and none is '%s'",
				 e->path, set.nr, e->path);
		goto done;
	}
	if (pf->is_delete) {
		err = error_setc(ERR_USAGE, "cannot patch '%s': the patch deletes it, and edits do not delete files",
				 e->path);
		goto done;
	}
	patch_file_set_path(pf, e->path);
	err = patch_apply(out, pf, old, old_len);
done:
	patch_set_release(&set);
	return err;
}

int file_edit_compute(struct buf *out, const struct file_edit *e, const char *old, size_t old_len)
{
	struct file_edit named = *e;

	if (!named.path)
		named.path = "(unnamed)";
	if (!old)
		old = "";
	switch (e->mode) {
	case EDIT_UPDATE:
		return compute_update(out, &named, old, old_len);
	case EDIT_PATCH:
		return compute_patch(out, &named, old, old_len);
	case EDIT_REWRITE:
		if (!e->content)
			return error_setc(ERR_USAGE, "cannot rewrite '%s': no content given", named.path);
		return buf_adds(out, e->content);
	case EDIT_DELETE:
		return 0;
	}
	return error_setc(ERR_USAGE, "cannot edit '%s': unknown edit mode %d", named.path, (int)e->mode);
}

/* ---- previewing and applying a change ---- */

void change_preview_release(struct change_preview *p)
{
	size_t i;
	for (i = 0; i < p->nr; i++) {
		free(p->files[i].path);
		free(p->files[i].abs);
		buf_release(&p->files[i].old);
		buf_release(&p->files[i].new);
	}
	free(p->files);
	memset(p, 0, sizeof(*p));
}

static struct change_file *preview_find(struct change_preview *p, const char *abs)
{
	size_t i;
	for (i = 0; i < p->nr; i++) {
		if (!strcmp(p->files[i].abs, abs))
			return &p->files[i];
	}
	return NULL;
}

static char *parent_dir(const char *abs)
{
	const char *slash = strrchr(abs, '/');
	if (!slash || slash == abs)
		return xstrdup("/");
	return xstrndup(abs, (size_t)(slash - abs));
}

/* a new entry for the file at `abs`, read from disk */
static int preview_open(struct change_preview *p, const struct file_edit *e, const char *abs,
			const char *real_root, struct change_file **out)
{
	struct change_file *f;
	struct stat st;
	int err = 0;

	ALLOC_APPEND(f, p->files, p->nr, p->alloc);
	buf_init(&f->old, EDIT_MAX_FILE_SIZE);
	buf_init(&f->new, 0);
	f->abs = xstrdup(abs);
	f->path = fs_relative_to(abs, real_root);
	if (!f->path)
		f->path = xstrdup(e->path);
	*out = f;
	if (lstat(abs, &st) == 0) {
		f->existed = 1;
		f->mode = st.st_mode & 07777;
		if ((err = fs_read_file(&f->old, abs, EDIT_MAX_FILE_SIZE)) < 0)
			return error_prefix(err, "cannot edit '%s'", e->path);
	} else if (errno != ENOENT) {
		return error_errno("cannot edit '%s'", e->path);
	} else {
		char *dir;
		f->mode = EDIT_NEW_FILE_MODE;
		if (e->mode != EDIT_REWRITE)
			return error_setc(ERR_NOTFOUND,
					  "cannot %s '%s': no such file (only a rewrite creates files)",
					  edit_mode_name(e->mode), e->path);
		dir = parent_dir(abs);
		if (!fs_is_dir(dir))
			err = error_setc(ERR_NOTFOUND, "cannot create '%s': its directory does not exist",
					 e->path);
		free(dir);
		if (err)
			return err;
	}
	return buf_add(&f->new, f->old.ptr, f->old.len);
}

/*
 * A patch edit applies only its own file's part of a diff: a diff that
 * names other files too is refused unless the change edits each of them
 * (all or nothing, never a part without a word).
 */
static int check_patch_files(const struct change *c, const struct file_edit *e)
{
	struct patch_set set;
	const struct patch_file *own;
	size_t i, j;
	int err = 0;

	if (e->mode != EDIT_PATCH || !e->patch || patch_parse(&set, e->patch, strlen(e->patch)) < 0)
		return 0;   /* a diff that does not parse is file_edit_compute()'s to report */
	own = set.nr > 1 ? patch_set_find(&set, e->path) : NULL;
	for (i = 0; own && i < set.nr && !err; i++) {
		const struct patch_file *pf = &set.files[i];
		const char *name = pf->new_path ? pf->new_path : pf->old_path;
		int edited = 0;

		if (pf == own)
			continue;
		for (j = 0; j < c->nr && !edited; j++)
			edited = patch_set_find(&set, c->edits[j].path) == pf;
		if (!edited)
			err = error_setc(ERR_USAGE, "cannot patch '%s': the patch also changes '%s', "
					 "which the change does not edit (the change is refused whole)",
					 e->path, name ? name : "(unnamed)");
	}
	patch_set_release(&set);
	return err;
}

int change_preview(struct change_preview *out, const struct change *c, const char *root)
{
	struct buf real_root = BUF_INIT, abs = BUF_INIT, next = BUF_INIT;
	size_t i;
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (!c->nr)
		return error_setc(ERR_USAGE, "the change has no edits");
	if (c->nr > EDIT_MAX_EDITS)
		return error_setc(ERR_LIMIT, "the change has %zu edits, more than the limit of %d", c->nr,
				  EDIT_MAX_EDITS);
	if ((err = fs_realpath(&real_root, root)) < 0)
		goto done;
	/* every path first: a bad path anywhere refuses the change before any reading */
	for (i = 0; i < c->nr; i++) {
		if ((err = edit_path_check(&abs, root, c->edits[i].path)) < 0 ||
		    (err = check_patch_files(c, &c->edits[i])) < 0)
			goto done;
	}
	for (i = 0; i < c->nr; i++) {
		const struct file_edit *e = &c->edits[i];
		struct change_file *f;
		struct buf tmp;

		if ((err = edit_path_check(&abs, root, e->path)) < 0)
			goto done;
		f = preview_find(out, abs.ptr);
		if (!f && (err = preview_open(out, e, abs.ptr, real_root.ptr, &f)) < 0)
			goto done;
		buf_reset(&next);
		if ((err = file_edit_compute(&next, e, f->new.ptr, f->new.len)) < 0)
			goto done;
		tmp = f->new;
		f->new = next;
		next = tmp;
		f->removed = e->mode == EDIT_DELETE;
	}
done:
	buf_release(&next);
	buf_release(&abs);
	buf_release(&real_root);
	if (err)
		change_preview_release(out);
	return err;
}

static int file_changes(const struct change_file *f)
{
	return !f->existed || f->removed || f->old.len != f->new.len ||
		memcmp(f->old.ptr, f->new.ptr, f->old.len);
}

/*
 * Refuse before writing anything what cannot be written. Mode bits as
 * well as access(): root passes access(W_OK) on a 0444 file, and a file
 * nobody may write is a file the user does not want changed.
 */
static int check_writable(const struct change_file *f)
{
	char *dir = parent_dir(f->abs);
	int err = 0;

	if (f->existed && (!(f->mode & 0222) || access(f->abs, W_OK) < 0))
		err = error_setc(ERR_USAGE, "cannot write '%s': permission denied", f->path);
	else if (access(dir, W_OK | X_OK) < 0)
		err = error_setc(ERR_USAGE, "cannot write '%s': permission denied (its directory is not writable)",
				 f->path);
	free(dir);
	return err;
}

/* put back files [0, upto) that were written; returns the number that could not be */
static size_t restore(const struct change_preview *p, size_t upto, struct buf *failures)
{
	size_t i, failed = 0;
	for (i = 0; i < upto; i++) {
		const struct change_file *f = &p->files[i];
		int bad;
		if (!file_changes(f))
			continue;
		if (f->existed)
			bad = fs_write_atomic(f->abs, f->old.ptr, f->old.len, f->mode) < 0;
		else
			bad = unlink(f->abs) < 0 && errno != ENOENT;
		if (bad) {
			buf_addf(failures, "%s'%s'", failed ? ", " : "", f->path);
			failed++;
		}
	}
	return failed;
}

int change_apply(const struct change *c, const char *root, struct strvec *touched)
{
	struct change_preview p;
	size_t i;
	int err;

	if ((err = change_preview(&p, c, root)) < 0)
		return err;
	for (i = 0; i < p.nr; i++) {
		if (file_changes(&p.files[i]) && (err = check_writable(&p.files[i])) < 0)
			goto done;
	}
	for (i = 0; i < p.nr; i++) {
		const struct change_file *f = &p.files[i];
		if (!file_changes(f))
			continue;
		if (f->removed && unlink(f->abs) < 0)
			err = error_errno("cannot delete '%s'", f->path);
		else if (!f->removed)
			err = fs_write_atomic(f->abs, f->new.ptr, f->new.len, f->mode);
		if (err < 0) {
			char saved[ERROR_MAX];
			struct buf failures = BUF_INIT;
			memcpy(saved, error_last(), sizeof(saved));
			if (restore(&p, i, &failures))
				error_setc(err, "%s; and could not put back %s", saved, failures.ptr);
			else
				error_setc(err, "%s (nothing was changed)", saved);
			buf_release(&failures);
			goto done;
		}
	}
	if (touched) {
		for (i = 0; i < p.nr; i++) {
			if (file_changes(&p.files[i]) && strvec_find(touched, p.files[i].path) < 0)
				strvec_push(touched, p.files[i].path);
		}
	}
done:
	change_preview_release(&p);
	return err;
}

size_t edit_count_changed_lines(const char *old, size_t old_len, const char *new_text, size_t new_len)
{
	return text_count_changed_lines(old, old_len, new_text, new_len);
}

int change_size(size_t *out, const struct change *c, const char *root)
{
	struct change_preview p;
	size_t i, total = 0;
	int err;

	*out = 0;
	if ((err = change_preview(&p, c, root)) < 0)
		return err;
	for (i = 0; i < p.nr; i++)
		total += text_count_changed_lines(p.files[i].old.ptr, p.files[i].old.len,
						  p.files[i].new.ptr, p.files[i].new.len);
	change_preview_release(&p);
	*out = total;
	return 0;
}

/* ---- JSON ---- */

static json_t *clean_string(const char *s)
{
	char *clean = utf8_dup_clean(s ? s : "");
	json_t *j = json_string(clean);
	free(clean);
	return j;
}

json_t *change_to_json(const struct change *c)
{
	json_t *root = json_object(), *edits = json_array();
	size_t i;

	json_object_set_new(root, "description",
			    c->description ? clean_string(c->description) : json_null());
	for (i = 0; i < c->nr; i++) {
		const struct file_edit *e = &c->edits[i];
		json_t *o = json_object();
		json_object_set_new(o, "mode", json_string(edit_mode_name(e->mode)));
		json_object_set_new(o, "path", clean_string(e->path));
		switch (e->mode) {
		case EDIT_UPDATE:
			json_object_set_new(o, "old_str", clean_string(e->old_str));
			json_object_set_new(o, "new_str", clean_string(e->new_str));
			break;
		case EDIT_PATCH:
			json_object_set_new(o, "patch", clean_string(e->patch));
			break;
		case EDIT_REWRITE:
			json_object_set_new(o, "content", clean_string(e->content));
			break;
		case EDIT_DELETE:
			break;
		}
		json_array_append_new(edits, o);
	}
	json_object_set_new(root, "edits", edits);
	return root;
}

/* a string member: 0 and *out set (NULL when absent and optional), or ERR_PARSE */
static int get_string(char **out, const json_t *o, const char *key, size_t max, int required,
		      size_t index)
{
	const json_t *v = json_object_get(o, key);
	const char *s;

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (!required)
			return 0;
		return error_setc(ERR_PARSE, "cannot read change: edit %zu: '%s' is missing", index, key);
	}
	if (!json_is_string(v))
		return error_setc(ERR_PARSE, "cannot read change: edit %zu: '%s' is not a string", index, key);
	s = json_string_value(v);
	if (strlen(s) != json_string_length(v))
		return error_setc(ERR_PARSE, "cannot read change: edit %zu: '%s' contains a NUL byte", index, key);
	if (json_string_length(v) > max)
		return error_setc(ERR_PARSE, "cannot read change: edit %zu: '%s' is longer than %zu bytes",
				  index, key, max);
	*out = xstrdup(s);
	return 0;
}

int change_from_json(struct change *out, const json_t *j)
{
	const json_t *desc, *edits, *item;
	size_t i;
	int err = 0;

	change_init(out);
	if (!json_is_object(j))
		return error_setc(ERR_PARSE, "cannot read change: not a JSON object");
	desc = json_object_get(j, "description");
	if (desc && !json_is_null(desc)) {
		if (!json_is_string(desc))
			return error_setc(ERR_PARSE, "cannot read change: 'description' is not a string");
		out->description = xstrdup(json_string_value(desc));
	}
	edits = json_object_get(j, "edits");
	if (!json_is_array(edits)) {
		err = error_setc(ERR_PARSE, "cannot read change: 'edits' is missing or not an array");
		goto done;
	}
	if (json_array_size(edits) > EDIT_MAX_EDITS) {
		err = error_setc(ERR_PARSE, "cannot read change: more than %d edits", EDIT_MAX_EDITS);
		goto done;
	}
	json_array_foreach(edits, i, item) {
		const json_t *mode = json_object_get(item, "mode");
		enum edit_mode m;
		struct file_edit *e;
		char *path;

		if (!json_is_object(item)) {
			err = error_setc(ERR_PARSE, "cannot read change: edit %zu is not an object", i + 1);
			goto done;
		}
		if (!json_is_string(mode) || edit_mode_parse(&m, json_string_value(mode)) < 0) {
			err = error_setc(ERR_PARSE, "cannot read change: edit %zu: bad 'mode'", i + 1);
			goto done;
		}
		if ((err = get_string(&path, item, "path", EDIT_MAX_PATH, 1, i + 1)) < 0)
			goto done;
		e = change_add(out, m, NULL);
		e->path = path;
		switch (m) {
		case EDIT_UPDATE:
			if ((err = get_string(&e->old_str, item, "old_str", EDIT_MAX_FILE_SIZE, 1, i + 1)) < 0 ||
			    (err = get_string(&e->new_str, item, "new_str", EDIT_MAX_FILE_SIZE, 1, i + 1)) < 0)
				goto done;
			break;
		case EDIT_PATCH:
			if ((err = get_string(&e->patch, item, "patch", PATCH_MAX_INPUT, 1, i + 1)) < 0)
				goto done;
			break;
		case EDIT_REWRITE:
			if ((err = get_string(&e->content, item, "content", EDIT_MAX_FILE_SIZE, 0, i + 1)) < 0)
				goto done;
			if (!e->content &&
			    (err = get_string(&e->content, item, "new_content", EDIT_MAX_FILE_SIZE, 1, i + 1)) < 0)
				goto done;
			break;
		case EDIT_DELETE:
			break;
		}
	}
done:
	if (err)
		change_release(out);
	return err;
}

/* ---- a change from a multi-file diff ---- */

int change_from_patch(struct change *out, const char *text, size_t len)
{
	struct patch_set set;
	struct buf content = BUF_INIT;
	size_t i;
	int err;

	change_init(out);
	if ((err = patch_parse(&set, text, len)) < 0)
		return err;
	for (i = 0; i < set.nr; i++) {
		struct patch_file *pf = &set.files[i];
		const char *path = pf->new_path ? pf->new_path : pf->old_path;
		struct file_edit *e;

		if (!path) {
			err = error_setc(ERR_USAGE, "cannot use the patch: file %zu has no name", i + 1);
			goto done;
		}
		if (pf->is_delete) {
			err = error_setc(ERR_USAGE, "cannot use the patch: it deletes '%s', and edits do not delete files",
					 path);
			goto done;
		}
		if (pf->old_path && pf->new_path && strcmp(pf->old_path, pf->new_path)) {
			err = error_setc(ERR_USAGE, "cannot use the patch: it renames '%s' to '%s', and edits do not rename files",
					 pf->old_path, pf->new_path);
			goto done;
		}
		if (pf->is_new) {
			buf_reset(&content);
			if ((err = patch_apply(&content, pf, "", 0)) < 0)
				goto done;
			e = change_add(out, EDIT_REWRITE, path);
			e->content = xstrdup(content.ptr);
		} else {
			e = change_add(out, EDIT_PATCH, path);
			e->patch = xstrndup(set.text + pf->text_start, pf->text_end - pf->text_start);
		}
	}
done:
	buf_release(&content);
	patch_set_release(&set);
	if (err)
		change_release(out);
	return err;
}
