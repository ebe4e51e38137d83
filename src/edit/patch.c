#include "edit/patch.h"

#include "edit/lines.h"
#include "util/error.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NO_EOL_MARKER "\\ No newline at end of file\n"

void patch_set_init(struct patch_set *set)
{
	memset(set, 0, sizeof(*set));
}

static void hunk_release(struct patch_hunk *h)
{
	free(h->header);
	free(h->lines);
}

static void file_release(struct patch_file *f)
{
	FREE_ARRAY(f->hunks, f->nr, hunk_release);
	FREE_ALL(f->old_path, f->new_path);
}

void patch_set_release(struct patch_set *set)
{
	FREE_ARRAY(set->files, set->nr, file_release);
	free(set->text);
	patch_set_init(set);
}

struct patch_file *patch_set_find(const struct patch_set *set, const char *path)
{
	size_t i;
	for (i = 0; i < set->nr; i++) {
		struct patch_file *f = &set->files[i];
		if ((f->new_path && !strcmp(f->new_path, path)) ||
		    (f->old_path && !strcmp(f->old_path, path)))
			return f;
	}
	return NULL;
}

void patch_file_set_path(struct patch_file *pf, const char *path)
{
	free(pf->old_path);
	free(pf->new_path);
	pf->old_path = pf->is_new ? NULL : xstrdup(path);
	pf->new_path = pf->is_delete ? NULL : xstrdup(path);
}

/* ---- parsing ---- */

struct parser {
	struct patch_set *set;
	size_t pos;              /* offset of the next line */
	size_t line_start;       /* offset of the current line */
	size_t line_no;          /* of the current line, 1-based */
	const char *line;        /* the current line, without its end and CR */
	size_t len;
	struct patch_file *file; /* the current file, or NULL */
	int file_has_header;     /* it had a "---" or "+++" line */
	struct patch_hunk *hunk; /* the current hunk, or NULL */
	size_t old_seen, new_seen;
	size_t blanks;           /* empty lines held back inside a hunk */
	int after_header;        /* the previous line was "+++ ..." */
	size_t hunks_total;
};

static int starts_with(const char *p, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);
	return len >= n && !memcmp(p, prefix, n);
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static void split_line(const char *text, size_t len, size_t pos, const char **line, size_t *n,
		       size_t *next)
{
	const char *p = text + pos;
	const char *nl = memchr(p, '\n', len - pos);
	size_t l = nl ? (size_t)(nl - p) : len - pos;

	*next = pos + l + (nl ? 1 : 0);
	/* CRLF diffs; a CR left at the end of a line is never meant */
	while (l && p[l - 1] == '\r')
		l--;
	*line = p;
	*n = l;
}

static int next_line(struct parser *ps)
{
	if (ps->pos >= ps->set->len)
		return 0;
	ps->line_start = ps->pos;
	split_line(ps->set->text, ps->set->len, ps->pos, &ps->line, &ps->len, &ps->pos);
	ps->line_no++;
	return 1;
}

static int peek_starts_with(const struct parser *ps, const char *prefix)
{
	const char *l;
	size_t n, next;
	if (ps->pos >= ps->set->len)
		return 0;
	split_line(ps->set->text, ps->set->len, ps->pos, &l, &n, &next);
	return starts_with(l, n, prefix);
}

/* 1 when the next line that is not empty starts with one of `chars` */
static int peek_past_blanks(const struct parser *ps, const char *chars)
{
	size_t pos = ps->pos, next;
	const char *l;
	size_t n;

	while (pos < ps->set->len) {
		split_line(ps->set->text, ps->set->len, pos, &l, &n, &next);
		if (n)
			return strchr(chars, l[0]) != NULL;
		pos = next;
	}
	return 0;
}

static int parse_error(const struct parser *ps, const char *what)
{
	return error_setc(ERR_PARSE, "cannot parse patch: line %zu: %s", ps->line_no, what);
}

/* a decimal number at *cur; 1 parsed, 0 no digits, ERR_PARSE too large */
static int parse_number(const struct parser *ps, const char **cur, const char *end, size_t *out)
{
	const char *c = *cur;
	size_t v = 0;

	if (c >= end || !is_digit(*c))
		return 0;
	while (c < end && is_digit(*c)) {
		v = v * 10 + (size_t)(*c - '0');
		if (v > PATCH_MAX_LINE_NUMBER)
			return parse_error(ps, "line number too large");
		c++;
	}
	*cur = c;
	*out = v;
	return 1;
}

/* "-l[,n]" or "+l[,n]"; 1 parsed, 0 absent, <0 error */
static int parse_range(const struct parser *ps, const char **cur, const char *end, char sign,
		       size_t *start, size_t *count)
{
	const char *c = *cur;
	int r;

	if (c + 1 >= end || *c != sign || !is_digit(c[1]))
		return 0;
	c++;
	if ((r = parse_number(ps, &c, end, start)) < 0)
		return r;
	*count = 1;
	if (c < end && *c == ',') {
		c++;
		if ((r = parse_number(ps, &c, end, count)) <= 0)
			return r < 0 ? r : 0;
	}
	*cur = c;
	return 1;
}

static const char *find_bytes(const char *p, size_t len, const char *needle, size_t n)
{
	size_t i;
	for (i = 0; n <= len && i <= len - n; i++) {
		if (!memcmp(p + i, needle, n))
			return p + i;
	}
	return NULL;
}

static const char *skip_spaces(const char *c, const char *end)
{
	while (c < end && (*c == ' ' || *c == '\t'))
		c++;
	return c;
}

static struct patch_file *new_file(struct parser *ps)
{
	struct patch_set *set = ps->set;
	struct patch_file *f;

	if (set->nr >= PATCH_MAX_FILES)
		return NULL;
	ALLOC_APPEND(f, set->files, set->nr, set->alloc);
	f->text_start = ps->line_start;
	f->text_end = ps->pos;
	f->line_no = ps->line_no;
	ps->file = f;
	ps->file_has_header = 0;
	return f;
}

static void add_line(struct parser *ps, char kind, const char *text, size_t len)
{
	struct patch_hunk *h = ps->hunk;
	struct patch_line *l;

	ALLOC_GROW(h->lines, h->nr + 1, h->alloc);
	l = &h->lines[h->nr++];
	l->kind = kind;
	l->text = text;
	l->len = len;
	if (kind != PATCH_ADD) {
		ps->old_seen++;
		h->old_no_eol = 0;
	}
	if (kind != PATCH_REMOVE) {
		ps->new_seen++;
		h->new_no_eol = 0;
	}
	ps->file->text_end = ps->pos;
}

static void flush_blanks(struct parser *ps)
{
	for (; ps->blanks; ps->blanks--)
		add_line(ps, PATCH_CONTEXT, "", 0);
}

static int end_hunk(struct parser *ps)
{
	struct patch_hunk *h = ps->hunk;

	if (!h)
		return 0;
	/*
	 * Empty lines held back at the end belong to the hunk only when the
	 * stated counts want them: otherwise they separate the diff from
	 * whatever follows.
	 */
	if (ps->blanks && h->has_counts) {
		size_t k;
		for (k = ps->blanks; k > 0; k--) {
			if (ps->old_seen + k == h->old_count && ps->new_seen + k == h->new_count) {
				ps->blanks = k;
				flush_blanks(ps);
				break;
			}
		}
	}
	ps->blanks = 0;
	ps->hunk = NULL;
	if (!h->nr)
		return error_setc(ERR_PARSE, "cannot parse patch: line %zu: empty hunk %s",
				  h->line_no, h->header);
	return 0;
}

static int start_hunk(struct parser *ps, const char *header, size_t header_len)
{
	struct patch_file *f = ps->file;
	struct patch_hunk *h;
	struct buf b = BUF_INIT;

	if (!f && !(f = new_file(ps)))
		return parse_error(ps, "too many files");
	if (++ps->hunks_total > PATCH_MAX_HUNKS)
		return parse_error(ps, "too many hunks");
	ALLOC_APPEND(h, f->hunks, f->nr, f->alloc);
	h->line_no = ps->line_no;
	if (header_len > PATCH_MAX_HEADER)
		header_len = PATCH_MAX_HEADER;
	utf8_sanitize(&b, header, header_len);
	h->header = buf_detach(&b, NULL);
	ps->hunk = h;
	ps->old_seen = ps->new_seen = 0;
	ps->blanks = 0;
	f->text_end = ps->pos;
	return 0;
}

static int parse_hunk_header(struct parser *ps)
{
	const char *c = ps->line + 2, *end = ps->line + ps->len;
	const char *close;
	size_t os = 0, oc = 0, ns = 0, nc = 0;
	int has_old, has_new, err;

	if (c < end && *c == '@')
		return parse_error(ps, "combined diffs (@@@) are not supported");
	c = skip_spaces(c, end);
	if ((has_old = parse_range(ps, &c, end, '-', &os, &oc)) < 0)
		return has_old;
	c = skip_spaces(c, end);
	if ((has_new = parse_range(ps, &c, end, '+', &ns, &nc)) < 0)
		return has_new;
	/* the header as written, up to its closing "@@" */
	close = ps->len > 2 ? find_bytes(ps->line + 2, ps->len - 2, "@@", 2) : NULL;
	if ((err = start_hunk(ps, ps->line, close ? (size_t)(close + 2 - ps->line) : ps->len)) < 0)
		return err;
	ps->hunk->has_start = has_old;
	ps->hunk->has_counts = has_old && has_new;
	ps->hunk->old_start = os;
	ps->hunk->old_count = oc;
	ps->hunk->new_start = ns;
	ps->hunk->new_count = nc;
	return 0;
}

/* C-style quoted name as git writes it; NULL when malformed */
static char *unquote(const char *p, size_t len, size_t *used)
{
	struct buf b = BUF_INIT;
	size_t i = 1;

	while (i < len && p[i] != '"') {
		char c = p[i++];
		if (c != '\\') {
			buf_addch(&b, c);
			continue;
		}
		if (i >= len)
			break;
		c = p[i++];
		switch (c) {
		case 'n': buf_addch(&b, '\n'); break;
		case 't': buf_addch(&b, '\t'); break;
		case 'r': buf_addch(&b, '\r'); break;
		case 'a': buf_addch(&b, '\a'); break;
		case 'b': buf_addch(&b, '\b'); break;
		case 'f': buf_addch(&b, '\f'); break;
		case 'v': buf_addch(&b, '\v'); break;
		case '\\': case '"': buf_addch(&b, c); break;
		default:
			if (c >= '0' && c <= '3' && i + 1 < len &&
			    p[i] >= '0' && p[i] <= '7' && p[i + 1] >= '0' && p[i + 1] <= '7') {
				int v = (c - '0') * 64 + (p[i] - '0') * 8 + (p[i + 1] - '0');
				i += 2;
				if (v) {
					buf_addch(&b, v);
					break;
				}
			}
			buf_release(&b);
			return NULL;
		}
	}
	if (i >= len) {
		buf_release(&b);
		return NULL;
	}
	*used = i + 1;
	return buf_detach(&b, NULL);
}

/* the name in a "---" / "+++" line; NULL for /dev/null (sets *devnull) or nothing */
static char *parse_path(const char *p, size_t len, char prefix, int *devnull)
{
	const char *end = p + len;
	char *name;
	size_t n, used;

	p = skip_spaces(p, end);
	n = (size_t)(end - p);
	if (n && *p == '"') {
		name = unquote(p, n, &used);
		if (!name)
			return NULL;
	} else {
		const char *tab = memchr(p, '\t', n);
		if (tab)
			n = (size_t)(tab - p);
		while (n && p[n - 1] == ' ')
			n--;
		name = xstrndup(p, n);
	}
	if (!strcmp(name, "/dev/null")) {
		*devnull = 1;
		free(name);
		return NULL;
	}
	if (name[0] == prefix && name[1] == '/' && name[2]) {
		char *s = xstrdup(name + 2);
		free(name);
		name = s;
	}
	if (!*name) {
		free(name);
		return NULL;
	}
	return name;
}

/* "diff --git a/X b/Y": the names, as far as they can be told apart */
static void parse_git_line(struct patch_file *f, const char *p, size_t n)
{
	const char *b;

	if (!starts_with(p, n, "a/"))
		return;
	if (n >= 7 && (n - 5) % 2 == 0) {
		size_t half = (n - 5) / 2;
		if (!memcmp(p + 2 + half, " b/", 3) && !memcmp(p + 2, p + 5 + half, half)) {
			f->old_path = xstrndup(p + 2, half);
			f->new_path = xstrndup(p + 2, half);
			return;
		}
	}
	b = find_bytes(p, n, " b/", 3);
	if (b && b > p + 2 && (size_t)(b + 3 - p) < n) {
		f->old_path = xstrndup(p + 2, (size_t)(b - p - 2));
		f->new_path = xstrndup(b + 3, n - (size_t)(b + 3 - p));
	}
}

static void set_path(char **slot, char *value)
{
	free(*slot);
	*slot = value;
}

/* one line inside a hunk: 1 consumed, 0 the hunk ended here, <0 error */
static int hunk_line(struct parser *ps)
{
	struct patch_hunk *h = ps->hunk;
	char c;

	if (!ps->len) {
		/*
		 * An empty line: a blank context line that lost its space, or
		 * the end of the diff. When the counts are already met and no
		 * hunk line follows, it ends the hunk; else it is held back
		 * until we know (counts are often wrong: a hunk line after it
		 * wins over them).
		 */
		if (h->has_counts && ps->old_seen + ps->blanks == h->old_count &&
		    ps->new_seen + ps->blanks == h->new_count && !peek_past_blanks(ps, " +-\\"))
			return 0;
		ps->blanks++;
		return 1;
	}
	c = ps->line[0];
	if (c == '-' && starts_with(ps->line, ps->len, "--- ") && peek_starts_with(ps, "+++ ") &&
	    !(h->has_counts && ps->old_seen + ps->blanks < h->old_count &&
	      ps->new_seen + ps->blanks < h->new_count))
		return 0;
	if (c == ' ' || c == '+' || c == '-') {
		flush_blanks(ps);
		add_line(ps, c, ps->line + 1, ps->len - 1);
		return 1;
	}
	if (c == '\\') {
		flush_blanks(ps);
		if (h->nr) {
			char kind = h->lines[h->nr - 1].kind;
			if (kind != PATCH_ADD)
				h->old_no_eol = 1;
			if (kind != PATCH_REMOVE)
				h->new_no_eol = 1;
		}
		ps->file->text_end = ps->pos;
		return 1;
	}
	return 0;
}

static int outside_line(struct parser *ps)
{
	const char *l = ps->line;
	size_t n = ps->len;
	int after_header = ps->after_header;
	int devnull = 0;

	ps->after_header = 0;
	if (starts_with(l, n, "diff --git ")) {
		if (!new_file(ps))
			return parse_error(ps, "too many files");
		parse_git_line(ps->file, l + 11, n - 11);
		return 0;
	}
	if (starts_with(l, n, "--- ") && peek_starts_with(ps, "+++ ")) {
		if ((!ps->file || ps->file->nr || ps->file_has_header) && !new_file(ps))
			return parse_error(ps, "too many files");
		set_path(&ps->file->old_path, parse_path(l + 4, n - 4, 'a', &devnull));
		if (devnull)
			ps->file->is_new = 1;
		next_line(ps);
		l = ps->line;
		n = ps->len;
	} else if (starts_with(l, n, "+++ ")) {
		/* a "+++" line alone */
		if ((!ps->file || ps->file->nr || ps->file_has_header) && !new_file(ps))
			return parse_error(ps, "too many files");
	}
	if (starts_with(l, n, "+++ ")) {
		devnull = 0;
		set_path(&ps->file->new_path, parse_path(l + 4, n - 4, 'b', &devnull));
		if (devnull)
			ps->file->is_delete = 1;
		ps->file_has_header = 1;
		ps->file->text_end = ps->pos;
		ps->after_header = 1;
		return 0;
	}
	if (starts_with(l, n, "@@"))
		return parse_hunk_header(ps);
	if (after_header && n && (l[0] == ' ' || l[0] == '+' || l[0] == '-')) {
		int err = start_hunk(ps, "@@ ... @@", 9);
		if (err < 0)
			return err;
		hunk_line(ps);
		return 0;
	}
	if (ps->file && !ps->file->nr) {
		if (starts_with(l, n, "new file mode")) {
			ps->file->is_new = 1;
		} else if (starts_with(l, n, "deleted file mode")) {
			ps->file->is_delete = 1;
		} else if (starts_with(l, n, "rename from ")) {
			set_path(&ps->file->old_path, xstrndup(l + 12, n - 12));
		} else if (starts_with(l, n, "rename to ")) {
			set_path(&ps->file->new_path, xstrndup(l + 10, n - 10));
		} else if (starts_with(l, n, "Binary files ") || starts_with(l, n, "GIT binary patch")) {
			return parse_error(ps, "binary patches are not supported");
		} else {
			return 0;
		}
		ps->file->text_end = ps->pos;
	}
	return 0;
}

int patch_parse(struct patch_set *out, const char *text, size_t len)
{
	struct parser ps;
	size_t i;
	int err = 0;

	patch_set_init(out);
	if (len > PATCH_MAX_INPUT)
		return error_setc(ERR_LIMIT, "cannot parse patch: %zu bytes, more than the limit of %u",
				  len, PATCH_MAX_INPUT);
	if (memchr(text, '\0', len))
		return error_setc(ERR_PARSE, "cannot parse patch: it contains a NUL byte");
	out->text = xmalloc(len + 1);
	memcpy(out->text, text, len);
	out->text[len] = '\0';
	out->len = len;

	memset(&ps, 0, sizeof(ps));
	ps.set = out;
	while (!err && next_line(&ps)) {
		if (ps.hunk) {
			int r = hunk_line(&ps);
			if (r > 0)
				continue;
			if ((err = end_hunk(&ps)) < 0)
				break;
			/* an empty line that ended the hunk is nothing more */
			if (!ps.len)
				continue;
		}
		err = outside_line(&ps);
	}
	if (!err)
		err = end_hunk(&ps);
	if (!err && !out->nr)
		err = error_setc(ERR_PARSE, "cannot parse patch: no hunk found");
	for (i = 0; !err && i < out->nr; i++) {
		const struct patch_file *f = &out->files[i];
		if (!f->nr) {
			const char *name = f->new_path ? f->new_path : f->old_path;
			err = error_setc(ERR_PARSE, "cannot parse patch: line %zu: no hunk for '%s'",
					 f->line_no, name ? name : "(unnamed)");
		}
	}
	if (err)
		patch_set_release(out);
	return err;
}

/* ---- placing hunks ---- */

struct placed {
	const struct patch_hunk *h;
	size_t at;                 /* first old line it covers (0-based) */
	size_t count;              /* old lines it covers */
	int loose;
	struct indent_shift shift;
};

struct scan {
	size_t matches;            /* places that match */
	size_t best;               /* the nearest */
	size_t best_dist;
	size_t ties;               /* places as near as the best */
	struct indent_shift shift; /* of the best, for loose matches */
};

static size_t distance(size_t a, size_t b)
{
	return a > b ? a - b : b - a;
}

static void scan_hunk(struct scan *s, const struct text_lines *old, const struct text_line *pre,
		      size_t m, size_t pos, size_t expected, int loose)
{
	size_t i, indent = loose ? line_block_indent(pre, m) : 0;

	memset(s, 0, sizeof(*s));
	s->best_dist = SIZE_MAX;
	if (m > old->nr || pos > old->nr - m)
		return;
	for (i = pos; i <= old->nr - m; i++) {
		struct indent_shift shift;
		size_t d;
		int ok;
		if (loose)
			ok = line_block_match_loose(old->v + i, pre, m, indent, &shift);
		else
			ok = old->v[i].len == pre[0].len && line_block_equal(old->v + i, pre, m);
		if (!ok)
			continue;
		s->matches++;
		d = distance(i, expected);
		if (d < s->best_dist) {
			s->best_dist = d;
			s->best = i;
			s->ties = 1;
			if (loose)
				s->shift = shift;
		} else if (d == s->best_dist) {
			s->ties++;
		}
	}
}

struct place_ctx {
	const struct patch_file *pf;
	const struct text_lines *old;
	const char *name;          /* "'src/x.py'" or "the file" */
};

static int place_one(struct placed *out, const struct place_ctx *cx, size_t k, size_t pos,
		     ptrdiff_t *offset)
{
	const struct patch_hunk *h = &cx->pf->hunks[k];
	const struct text_lines *old = cx->old;
	struct text_line *pre = xcalloc(h->nr ? h->nr : 1, sizeof(*pre));
	size_t m = 0, i, stated = 0, expected = 0;
	int pass, err = 0;

	for (i = 0; i < h->nr; i++) {
		if (h->lines[i].kind == PATCH_ADD)
			continue;
		pre[m].ptr = h->lines[i].text;
		pre[m].len = h->lines[i].len;
		m++;
	}
	out->h = h;
	out->count = m;
	out->loose = 0;
	if (h->has_start) {
		long long e;
		/* "@@ -5,0" adds after line 5; "@@ -5,3" starts at line 5 */
		stated = m ? (h->old_start ? h->old_start - 1 : 0) : h->old_start;
		e = (long long)stated + *offset;
		expected = e < 0 ? 0 : (size_t)e;
	}
	if (!m) {
		if (h->has_start) {
			if (expected < pos || expected > old->nr) {
				err = error_setc(ERR_CONFLICT,
						 "hunk %zu (%s) has no context lines and its line %zu is outside %s",
						 k + 1, h->header, expected, cx->name);
				goto done;
			}
			out->at = expected;
		} else if (pos == old->nr) {
			out->at = pos;
		} else {
			err = error_setc(ERR_CONFLICT, "hunk %zu (%s) has no context lines to place it in %s",
					 k + 1, h->header, cx->name);
			goto done;
		}
		goto placed;
	}
	if (h->has_start && expected >= pos && m <= old->nr && expected <= old->nr - m &&
	    line_block_equal(old->v + expected, pre, m)) {
		out->at = expected;
		goto placed;
	}
	for (pass = 0; pass < 2; pass++) {
		struct scan s;
		scan_hunk(&s, old, pre, m, pos, expected, pass);
		if (!s.matches)
			continue;
		if (!h->has_start && s.matches > 1) {
			err = error_setc(ERR_CONFLICT, "hunk %zu (%s) matches %zu places in %s",
					 k + 1, h->header, s.matches, cx->name);
			goto done;
		}
		if (s.ties > 1) {
			err = error_setc(ERR_CONFLICT,
					 "hunk %zu (%s) matches %zu places equally near line %zu in %s",
					 k + 1, h->header, s.ties, expected + 1, cx->name);
			goto done;
		}
		out->at = s.best;
		out->loose = pass;
		out->shift = s.shift;
		goto placed;
	}
	err = error_setc(ERR_CONFLICT, "hunk %zu (%s) does not match %s", k + 1, h->header, cx->name);
	goto done;
placed:
	if (h->has_start)
		*offset = (ptrdiff_t)out->at - (ptrdiff_t)stated;
done:
	free(pre);
	return err;
}

/* ---- building the new content ---- */

struct nline {
	const char *ptr;           /* NULL while the text is in the arena */
	size_t len;
	size_t arena_off;
	const char *eol;
	size_t eol_len;
};

struct op {
	char kind;                 /* ' ', '-', '+' */
	size_t oi, ni;
};

struct result {
	struct text_lines old;
	const char *eol;           /* for added lines */
	struct nline *lines;
	size_t nr, alloc;
	struct op *ops;
	size_t ops_nr, ops_alloc;
	struct buf arena;          /* re-indented added lines */
};

static void result_release(struct result *r)
{
	text_lines_release(&r->old);
	free(r->lines);
	free(r->ops);
	buf_release(&r->arena);
}

static void push_op(struct result *r, char kind, size_t oi, size_t ni)
{
	ALLOC_GROW(r->ops, r->ops_nr + 1, r->ops_alloc);
	r->ops[r->ops_nr].kind = kind;
	r->ops[r->ops_nr].oi = oi;
	r->ops[r->ops_nr].ni = ni;
	r->ops_nr++;
}

static struct nline *push_nline(struct result *r)
{
	struct nline *n;
	ALLOC_APPEND(n, r->lines, r->nr, r->alloc);
	return n;
}

static void keep_old(struct result *r, size_t oi)
{
	const struct text_line *o = &r->old.v[oi];
	struct nline *n = push_nline(r);
	n->ptr = o->ptr;
	n->len = o->len;
	n->eol = o->ptr + o->len;
	n->eol_len = o->eol_len;
	push_op(r, ' ', oi, r->nr - 1);
}

static int add_new(struct result *r, const struct patch_line *l, const struct placed *p)
{
	struct nline *n = push_nline(r);
	n->eol = r->eol;
	n->eol_len = strlen(r->eol);
	if (p->loose) {
		size_t off = r->arena.len;
		int err = line_add_reindented(&r->arena, l->text, l->len, &p->shift);
		if (err < 0)
			return err;
		n->arena_off = off;
		n->len = r->arena.len - off;
	} else {
		n->ptr = l->text;
		n->len = l->len;
	}
	push_op(r, '+', 0, r->nr - 1);
	return 0;
}

static void set_eol(struct result *r, struct nline *n, int want)
{
	if (!want) {
		n->eol_len = 0;
	} else if (!n->eol_len) {
		n->eol = r->eol;
		n->eol_len = strlen(r->eol);
	}
}

static int build(struct result *r, const struct patch_file *pf, const char *old, size_t old_len)
{
	struct place_ctx cx;
	struct buf name = BUF_INIT;
	struct placed *placed = xcalloc(pf->nr ? pf->nr : 1, sizeof(*placed));
	const char *path = pf->new_path ? pf->new_path : pf->old_path;
	ptrdiff_t offset = 0;
	size_t k, i, oi = 0, pos = 0;
	int err = 0;

	memset(r, 0, sizeof(*r));
	buf_init(&r->arena, 0);
	text_lines_split(&r->old, old, old_len);
	r->eol = text_lines_eol(&r->old);
	if (path)
		buf_addf(&name, "'%s'", path);
	else
		buf_adds(&name, "the file");
	if (pf->is_new && old_len) {
		err = error_setc(ERR_CONFLICT, "the patch creates %s, which already exists", name.ptr);
		goto done;
	}
	cx.pf = pf;
	cx.old = &r->old;
	cx.name = name.ptr;
	for (k = 0; k < pf->nr; k++) {
		if ((err = place_one(&placed[k], &cx, k, pos, &offset)) < 0)
			goto done;
		pos = placed[k].at + placed[k].count;
	}

	for (k = 0; k < pf->nr; k++) {
		const struct placed *p = &placed[k];
		while (oi < p->at)
			keep_old(r, oi++);
		for (i = 0; i < p->h->nr; i++) {
			const struct patch_line *l = &p->h->lines[i];
			if (l->kind == PATCH_CONTEXT) {
				keep_old(r, oi++);
			} else if (l->kind == PATCH_REMOVE) {
				push_op(r, '-', oi++, 0);
			} else if ((err = add_new(r, l, p)) < 0) {
				goto done;
			}
		}
	}
	while (oi < r->old.nr)
		keep_old(r, oi++);

	for (i = 0; i < r->nr; i++) {
		if (!r->lines[i].ptr)
			r->lines[i].ptr = r->arena.ptr + r->lines[i].arena_off;
		if (i + 1 < r->nr)
			set_eol(r, &r->lines[i], 1);
	}
	/*
	 * The end of the file: the markers of a hunk that reaches it say
	 * whether the last line ends with a newline; without markers the file
	 * keeps its own state.
	 */
	if (r->nr && pf->nr) {
		const struct placed *p = &placed[pf->nr - 1];
		if (p->at + p->count == r->old.nr) {
			int want;
			if (p->h->new_no_eol)
				want = 0;
			else if (p->h->old_no_eol)
				want = 1;
			else
				want = !r->old.nr || r->old.v[r->old.nr - 1].eol_len > 0;
			set_eol(r, &r->lines[r->nr - 1], want);
		}
	}
done:
	buf_release(&name);
	free(placed);
	return err;
}

int patch_apply(struct buf *out, const struct patch_file *pf, const char *old, size_t old_len)
{
	struct result r;
	size_t i;
	int err = build(&r, pf, old, old_len);

	for (i = 0; !err && i < r.nr; i++) {
		if ((err = buf_add(out, r.lines[i].ptr, r.lines[i].len)) < 0 ||
		    (err = buf_add(out, r.lines[i].eol, r.lines[i].eol_len)) < 0)
			break;
	}
	result_release(&r);
	return err;
}

/* ---- writing a normalised diff ---- */

static int op_changed(const struct result *r, const struct op *op)
{
	if (op->kind != ' ')
		return 1;
	return (r->old.v[op->oi].eol_len == 0) != (r->lines[op->ni].eol_len == 0);
}

static void add_diff_line(struct buf *out, char kind, const char *p, size_t len, const char *eol,
			  size_t eol_len)
{
	buf_addch(out, kind);
	buf_add(out, p, len);
	if (eol_len) {
		buf_add(out, eol, eol_len);
	} else {
		buf_addch(out, '\n');
		buf_adds(out, NO_EOL_MARKER);
	}
}

static void add_op_lines(struct buf *out, const struct result *r, const struct op *op)
{
	const struct text_line *o = op->kind != '+' ? &r->old.v[op->oi] : NULL;
	const struct nline *n = op->kind != '-' ? &r->lines[op->ni] : NULL;

	if (op->kind == ' ' && !op_changed(r, op)) {
		add_diff_line(out, ' ', o->ptr, o->len, o->ptr + o->len, o->eol_len);
		return;
	}
	if (o)
		add_diff_line(out, '-', o->ptr, o->len, o->ptr + o->len, o->eol_len);
	if (n)
		add_diff_line(out, '+', n->ptr, n->len, n->eol, n->eol_len);
}

/* a name as git writes it, quoted when it has to be */
static void add_quoted_name(struct buf *out, const char *prefix, const char *path)
{
	const unsigned char *p;
	int quote = 0;

	for (p = (const unsigned char *)path; *p; p++) {
		if (*p < 0x20 || *p == '"' || *p == '\\' || *p == 0x7f)
			quote = 1;
	}
	if (!quote) {
		buf_adds(out, prefix);
		buf_adds(out, path);
		return;
	}
	buf_addch(out, '"');
	buf_adds(out, prefix);
	for (p = (const unsigned char *)path; *p; p++) {
		switch (*p) {
		case '"': buf_adds(out, "\\\""); break;
		case '\\': buf_adds(out, "\\\\"); break;
		case '\n': buf_adds(out, "\\n"); break;
		case '\t': buf_adds(out, "\\t"); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				buf_addf(out, "\\%03o", *p);
			else
				buf_addch(out, *p);
		}
	}
	buf_addch(out, '"');
}

int patch_normalize(struct buf *out, const struct patch_file *pf, const char *old, size_t old_len)
{
	const char *path = pf->new_path ? pf->new_path : pf->old_path;
	struct buf diff = BUF_INIT;
	struct result r;
	size_t *opos = NULL, *npos = NULL;
	size_t i, k, n;
	int err;

	if (!path)
		return error_setc(ERR_USAGE, "cannot write a patch for a file without a name");
	err = build(&r, pf, old, old_len);
	if (err < 0)
		goto done;
	n = r.ops_nr;
	opos = xcalloc(n + 1, sizeof(*opos));
	npos = xcalloc(n + 1, sizeof(*npos));
	for (i = 0; i < n; i++) {
		opos[i + 1] = opos[i] + (r.ops[i].kind != '+');
		npos[i + 1] = npos[i] + (r.ops[i].kind != '-');
	}
	for (i = 0; i < n;) {
		size_t first, last, lo, hi, oc, nc;
		if (!op_changed(&r, &r.ops[i])) {
			i++;
			continue;
		}
		first = last = i;
		for (k = i + 1; k < n && k - last <= 2 * PATCH_CONTEXT_LINES + 1; k++) {
			if (op_changed(&r, &r.ops[k]))
				last = k;
		}
		lo = first >= PATCH_CONTEXT_LINES ? first - PATCH_CONTEXT_LINES : 0;
		hi = last + PATCH_CONTEXT_LINES + 1 < n ? last + PATCH_CONTEXT_LINES + 1 : n;
		oc = opos[hi] - opos[lo];
		nc = npos[hi] - npos[lo];
		/* a changed context line counts on both sides and is two lines */
		buf_addf(&diff, "@@ -%zu,%zu +%zu,%zu @@\n", oc ? opos[lo] + 1 : opos[lo], oc,
			 nc ? npos[lo] + 1 : npos[lo], nc);
		for (k = lo; k < hi; k++)
			add_op_lines(&diff, &r, &r.ops[k]);
		i = hi;
	}
	if (!diff.len)
		goto done;
	buf_adds(out, "diff --git ");
	add_quoted_name(out, "a/", path);
	buf_addch(out, ' ');
	add_quoted_name(out, "b/", path);
	buf_addch(out, '\n');
	if (pf->is_new && !old_len) {
		buf_adds(out, "new file mode 100644\n--- /dev/null\n");
	} else {
		buf_adds(out, "--- ");
		add_quoted_name(out, "a/", path);
		buf_addch(out, '\n');
	}
	buf_adds(out, "+++ ");
	add_quoted_name(out, "b/", path);
	buf_addch(out, '\n');
	err = buf_add(out, diff.ptr, diff.len);
done:
	free(opos);
	free(npos);
	result_release(&r);
	buf_release(&diff);
	return err;
}
