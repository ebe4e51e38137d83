#include "edit/lines.h"

#include "util/hash.h"
#include "util/xalloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void text_lines_release(struct text_lines *l)
{
	free(l->v);
	l->v = NULL;
	l->nr = l->alloc = 0;
}

void text_lines_push(struct text_lines *l, const char *ptr, size_t len, size_t eol_len)
{
	ALLOC_GROW(l->v, l->nr + 1, l->alloc);
	l->v[l->nr].ptr = ptr;
	l->v[l->nr].len = len;
	l->v[l->nr].eol_len = eol_len;
	l->nr++;
}

void text_lines_split(struct text_lines *out, const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n, eol;
		if (!nl) {
			text_lines_push(out, p, (size_t)(end - p), 0);
			break;
		}
		n = (size_t)(nl - p);
		eol = 1;
		if (n && p[n - 1] == '\r') {
			n--;
			eol = 2;
		}
		text_lines_push(out, p, n, eol);
		p = nl + 1;
	}
}

const char *text_lines_eol(const struct text_lines *l)
{
	size_t i;
	for (i = 0; i < l->nr; i++) {
		if (l->v[i].eol_len == 2)
			return "\r\n";
		if (l->v[i].eol_len == 1)
			return "\n";
	}
	return "\n";
}

static int is_indent_char(char c)
{
	return c == ' ' || c == '\t';
}

static int is_trailing_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

size_t line_rtrim_len(const char *p, size_t len)
{
	while (len && is_trailing_space(p[len - 1]))
		len--;
	return len;
}

int line_is_blank(const char *p, size_t len)
{
	return line_rtrim_len(p, len) == 0;
}

size_t line_indent(const char *p, size_t len)
{
	size_t i = 0;
	while (i < len && is_indent_char(p[i]))
		i++;
	return i;
}

size_t line_block_indent(const struct text_line *v, size_t n)
{
	size_t i, best = SIZE_MAX;
	for (i = 0; i < n; i++) {
		size_t ind;
		if (line_is_blank(v[i].ptr, v[i].len))
			continue;
		ind = line_indent(v[i].ptr, v[i].len);
		if (ind < best)
			best = ind;
	}
	return best == SIZE_MAX ? 0 : best;
}

int line_block_equal(const struct text_line *hay, const struct text_line *needle, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		if (hay[i].len != needle[i].len || memcmp(hay[i].ptr, needle[i].ptr, hay[i].len))
			return 0;
	}
	return 1;
}

/* the line without any leading or trailing whitespace */
static void strip_both(const char **p, size_t *len)
{
	size_t ind = line_indent(*p, *len);
	*p += ind;
	*len = line_rtrim_len(*p, *len - ind);
}

int line_block_match_loose(const struct text_line *hay, const struct text_line *needle, size_t n,
			   size_t needle_indent, struct indent_shift *shift)
{
	size_t i, hay_indent = SIZE_MAX;
	const char *indent_ptr = NULL;

	/*
	 * First pass, which fails fast: blank lines pair up and the contents
	 * without any indentation are equal; and the hay's indentation.
	 */
	for (i = 0; i < n; i++) {
		const char *hp = hay[i].ptr, *np = needle[i].ptr;
		size_t hl = hay[i].len, nl = needle[i].len, ind;
		strip_both(&hp, &hl);
		strip_both(&np, &nl);
		if (hl != nl || memcmp(hp, np, hl))
			return 0;
		if (!hl)
			continue;
		ind = (size_t)(hp - hay[i].ptr);
		if (ind < hay_indent) {
			hay_indent = ind;
			indent_ptr = hay[i].ptr;
		}
	}
	if (hay_indent == SIZE_MAX)
		hay_indent = 0;
	/* second pass: the indentation relative to the block's is the same */
	for (i = 0; i < n; i++) {
		const char *hp, *np;
		size_t hl, nl;
		if (line_is_blank(hay[i].ptr, hay[i].len))
			continue;
		hp = hay[i].ptr + hay_indent;
		hl = line_rtrim_len(hp, hay[i].len - hay_indent);
		np = needle[i].ptr + needle_indent;
		nl = line_rtrim_len(np, needle[i].len - needle_indent);
		if (hl != nl || memcmp(hp, np, hl))
			return 0;
	}
	if (shift) {
		shift->file_indent = indent_ptr ? indent_ptr : "";
		shift->file_len = hay_indent;
		shift->needle_len = needle_indent;
	}
	return 1;
}

int line_add_reindented(struct buf *out, const char *p, size_t len, const struct indent_shift *shift)
{
	size_t ind;
	int err;

	if (!shift)
		return buf_add(out, p, len);
	if (line_is_blank(p, len))
		return 0;
	ind = line_indent(p, len);
	if (ind >= shift->needle_len) {
		/* deeper than the block's base: keep the extra indentation */
		if ((err = buf_add(out, shift->file_indent, shift->file_len)) < 0)
			return err;
		return buf_add(out, p + shift->needle_len, len - shift->needle_len);
	}
	/* shallower than the base: take the difference off the file's base */
	if (shift->needle_len - ind <= shift->file_len) {
		size_t keep = shift->file_len - (shift->needle_len - ind);
		if ((err = buf_add(out, shift->file_indent, keep)) < 0)
			return err;
	}
	return buf_add(out, p + ind, len - ind);
}

/* The line diff: Myers' greedy O((N+M)D) algorithm on hashed lines. */

struct hline {
	const char *ptr;
	size_t len;       /* content and line end: a changed line end is a change */
	uint64_t hash;
};

static struct hline *hash_lines(const char *text, size_t len, size_t *nr)
{
	struct text_lines tl = TEXT_LINES_INIT;
	struct hline *v;
	size_t i;

	text_lines_split(&tl, text, len);
	v = xcalloc(tl.nr ? tl.nr : 1, sizeof(*v));
	for (i = 0; i < tl.nr; i++) {
		v[i].ptr = tl.v[i].ptr;
		v[i].len = tl.v[i].len + tl.v[i].eol_len;
		v[i].hash = hash_fnv1a(v[i].ptr, v[i].len);
	}
	*nr = tl.nr;
	text_lines_release(&tl);
	return v;
}

static int hline_eq(const struct hline *a, const struct hline *b)
{
	return a->hash == b->hash && a->len == b->len && !memcmp(a->ptr, b->ptr, a->len);
}

size_t text_count_changed_lines(const char *a, size_t a_len, const char *b, size_t b_len)
{
	size_t na, nb, lo = 0, result;
	struct hline *la = hash_lines(a, a_len, &na);
	struct hline *lb = hash_lines(b, b_len, &nb);
	const struct hline *x, *y;
	size_t n, m, max, d;
	ptrdiff_t *v = NULL;

	/* common ends cost nothing and shrink the search */
	while (lo < na && lo < nb && hline_eq(&la[lo], &lb[lo]))
		lo++;
	while (na > lo && nb > lo && hline_eq(&la[na - 1], &lb[nb - 1])) {
		na--;
		nb--;
	}
	x = la + lo;
	y = lb + lo;
	n = na - lo;
	m = nb - lo;
	result = n + m;
	if (!n || !m)
		goto done;
	/* the search costs up to (n + m) * max steps: keep it in the budget */
	max = n + m < TEXT_DIFF_MAX_EDITS ? n + m : TEXT_DIFF_MAX_EDITS;
	if (max > TEXT_DIFF_BUDGET / (n + m))
		max = TEXT_DIFF_BUDGET / (n + m);
	if (!max)
		goto done;
	v = xcalloc(st_add(st_mult(2, max), 3), sizeof(*v));
	/* v[k + max + 1]: the furthest x reached on diagonal k */
	for (d = 0; d <= max; d++) {
		ptrdiff_t k, dd = (ptrdiff_t)d, off = (ptrdiff_t)max + 1;
		for (k = -dd; k <= dd; k += 2) {
			ptrdiff_t xi, yi;
			if (k == -dd || (k != dd && v[off + k - 1] < v[off + k + 1]))
				xi = v[off + k + 1];
			else
				xi = v[off + k - 1] + 1;
			yi = xi - k;
			while (xi < (ptrdiff_t)n && yi < (ptrdiff_t)m && hline_eq(&x[xi], &y[yi])) {
				xi++;
				yi++;
			}
			v[off + k] = xi;
			if (xi >= (ptrdiff_t)n && yi >= (ptrdiff_t)m) {
				result = d;
				goto done;
			}
		}
	}
done:
	free(v);
	free(la);
	free(lb);
	return result;
}
