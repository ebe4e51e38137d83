#include "gen/heal_llm.h"

#include "edit/guard.h"
#include "util/hash.h"
#include "util/xalloc.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* a line, stripped of the blanks around it */
struct line {
	const char *p;
	size_t n;
	uint64_t h;
	int matched;
};

struct lit {
	const char *p;
	size_t n;
	const struct line *in;
};

static void lines_of(struct line **out, size_t *nr, const char *s, size_t len)
{
	size_t alloc = 0, i = 0;

	*out = NULL;
	*nr = 0;
	while (i < len) {
		size_t end = i, a, b;
		struct line *l;
		while (end < len && s[end] != '\n')
			end++;
		for (a = i; a < end && isspace((unsigned char)s[a]); a++)
			;
		for (b = end; b > a && isspace((unsigned char)s[b - 1]); b--)
			;
		if (b > a) {
			ALLOC_APPEND(l, *out, *nr, alloc);
			l->p = s + a;
			l->n = b - a;
			l->h = hash_fnv1a(s + a, b - a);
			l->matched = 0;
		}
		i = end + 1;
	}
}

static int cmp_line(const void *x, const void *y)
{
	const struct line *a = *(const struct line *const *)x, *b = *(const struct line *const *)y;
	size_t n = a->n < b->n ? a->n : b->n;
	int c;

	if (a->h != b->h)
		return a->h < b->h ? -1 : 1;
	if ((c = memcmp(a->p, b->p, n)))
		return c;
	return a->n < b->n ? -1 : a->n > b->n;
}

static struct line **sorted(struct line *v, size_t nr)
{
	struct line **s = xcalloc(nr ? nr : 1, sizeof(*s));
	size_t i;

	for (i = 0; i < nr; i++)
		s[i] = &v[i];
	qsort(s, nr, sizeof(*s), cmp_line);
	return s;
}

/* lines of old and new matched as multisets: the unmatched are removed, or added */
static void match_lines(struct line *o, size_t on, struct line *n, size_t nn)
{
	struct line **so = sorted(o, on), **sn = sorted(n, nn);
	size_t i = 0, k = 0;

	while (i < on && k < nn) {
		int c = cmp_line(&so[i], &sn[k]);
		if (!c) {
			so[i++]->matched = 1;
			sn[k++]->matched = 1;
		} else if (c < 0) {
			i++;
		} else {
			k++;
		}
	}
	free(so);
	free(sn);
}

static int has_word(const char *p, size_t n, const char *w)
{
	size_t wl = strlen(w), i, k;

	for (i = 0; i + wl <= n; i++) {
		for (k = 0; k < wl && tolower((unsigned char)p[i + k]) == w[k]; k++)
			;
		if (k == wl)
			return 1;
	}
	return 0;
}

static int checks(const struct line *l)
{
	return has_word(l->p, l->n, "assert") || has_word(l->p, l->n, "raises") ||
	       has_word(l->p, l->n, "expect") || has_word(l->p, l->n, "want");
}

static int ident(int c)
{
	return isalnum(c) || c == '_' || c >= 0x80;
}

static void lit_add(struct lit **v, size_t *nr, size_t *alloc, const char *p, size_t n, const struct line *in)
{
	struct lit *x;

	if (*nr >= GEN_HEAL_LLM_MAX_LITERALS + 1)
		return;
	ALLOC_APPEND(x, *v, *nr, *alloc);
	x->p = p;
	x->n = n;
	x->in = in;
}

/* the literals of a line: strings, numbers (a minus sign in front included), True, False, None */
static void literals(struct lit **v, size_t *nr, size_t *alloc, const struct line *l)
{
	const char *p = l->p;
	size_t n = l->n, i = 0;

	while (i < n) {
		unsigned char c = (unsigned char)p[i];
		size_t start = i, pre = 0;

		while (pre < 2 && i + pre < n && strchr("rRbBuUfF", p[i + pre]) && p[i + pre])
			pre++;
		if (c == '#')
			return;
		if ((i + pre < n && (p[i + pre] == '\'' || p[i + pre] == '"')) && (!i || !ident((unsigned char)p[i - 1]))) {
			char q = p[i + pre];
			int triple = i + pre + 2 < n && p[i + pre + 1] == q && p[i + pre + 2] == q;
			i += pre + (triple ? 3 : 1);
			while (i < n) {
				if (p[i] == '\\') {
					i += 2;
					continue;
				}
				if (p[i] == q && (!triple || (i + 2 < n && p[i + 1] == q && p[i + 2] == q))) {
					i += triple ? 3 : 1;
					break;
				}
				i++;
			}
			if (i > n)
				i = n;
			lit_add(v, nr, alloc, p + start, i - start, l);
			continue;
		}
		if ((isdigit(c) || (c == '.' && i + 1 < n && isdigit((unsigned char)p[i + 1]))) &&
		    (!i || !ident((unsigned char)p[i - 1]))) {
			if (i && p[i - 1] == '-') {
				size_t k = i - 1;
				while (k > 0 && p[k - 1] == ' ')
					k--;
				if (!k || !(ident((unsigned char)p[k - 1]) || strchr(")]}'\"", p[k - 1])))
					start = i - 1;
			}
			i++;
			while (i < n && (ident((unsigned char)p[i]) || p[i] == '.' ||
					 ((p[i] == '+' || p[i] == '-') && (p[i - 1] == 'e' || p[i - 1] == 'E'))))
				i++;
			lit_add(v, nr, alloc, p + start, i - start, l);
			continue;
		}
		if (ident(c)) {
			while (i < n && ident((unsigned char)p[i]))
				i++;
			if ((i - start == 4 && (!memcmp(p + start, "True", 4) || !memcmp(p + start, "None", 4))) ||
			    (i - start == 5 && !memcmp(p + start, "False", 5)))
				lit_add(v, nr, alloc, p + start, i - start, l);
			continue;
		}
		i++;
	}
}

static int cmp_lit(const void *x, const void *y)
{
	const struct lit *a = x, *b = y;
	size_t n = a->n < b->n ? a->n : b->n;
	int c = memcmp(a->p, b->p, n);

	return c ? c : a->n < b->n ? -1 : a->n > b->n;
}

static char *value_of(const struct line *l)
{
	size_t n = l ? l->n : 0;

	if (n > GEN_HEAL_LLM_VALUE_CAP)
		n = GEN_HEAL_LLM_VALUE_CAP;
	return l ? xstrndup(l->p, n) : xstrdup("");
}

int gen_heal_llm_behaviour(char **old_value, char **new_value, const char *old_text, size_t old_len,
			   const char *new_text, size_t new_len)
{
	struct line *o, *n;
	struct lit *removed = NULL, *added = NULL;
	size_t on, nn, nr_removed = 0, nr_added = 0, ar = 0, aa = 0, i, k;
	const struct line *first_removed = NULL, *culprit = NULL;

	*old_value = *new_value = NULL;
	lines_of(&o, &on, old_text, old_len);
	lines_of(&n, &nn, new_text, new_len);
	match_lines(o, on, n, nn);
	for (i = 0; i < on; i++)
		if (!o[i].matched) {
			literals(&removed, &nr_removed, &ar, &o[i]);
			if (!first_removed && checks(&o[i]))
				first_removed = &o[i];
		}
	for (i = 0; i < nn; i++)
		if (!n[i].matched && checks(&n[i]))
			literals(&added, &nr_added, &aa, &n[i]);
	if (nr_removed > GEN_HEAL_LLM_MAX_LITERALS || nr_added > GEN_HEAL_LLM_MAX_LITERALS) {
		culprit = nr_added ? added[0].in : NULL;
	} else if (nr_added) {
		/* the added literals in line order; the removed ones sorted, each used once */
		int *used = xcalloc(nr_removed ? nr_removed : 1, sizeof(*used));
		if (nr_removed)
			qsort(removed, nr_removed, sizeof(*removed), cmp_lit);
		for (k = 0; k < nr_added && !culprit; k++) {
			size_t lo = 0, hi = nr_removed;
			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;
				if (cmp_lit(&removed[mid], &added[k]) < 0)
					lo = mid + 1;
				else
					hi = mid;
			}
			while (lo < nr_removed && used[lo] && !cmp_lit(&removed[lo], &added[k]))
				lo++;
			if (lo < nr_removed && !cmp_lit(&removed[lo], &added[k]))
				used[lo] = 1;
			else
				culprit = added[k].in;
		}
		free(used);
	}
	if (culprit || (nr_removed > GEN_HEAL_LLM_MAX_LITERALS && nr_added)) {
		*old_value = value_of(first_removed);
		*new_value = value_of(culprit);
	}
	free(removed);
	free(added);
	free(o);
	free(n);
	return *new_value != NULL;
}

/* the dotted name at *p (blanks before it skipped), advancing *p; its length */
static size_t dotted(const char **p, const char *end)
{
	const char *s;

	while (*p < end && (**p == ' ' || **p == '\t' || **p == '('))
		(*p)++;
	s = *p;
	while (*p < end && (ident((unsigned char)**p) || **p == '.'))
		(*p)++;
	return (size_t)(*p - s);
}

/* past the ", " or " as x, " after a name: 1 when another name follows */
static int next_name(const char **p, const char *end)
{
	while (*p < end && **p != ',' && **p != '\n' && **p != '#' && **p != ';')
		(*p)++;
	if (*p < end && **p == ',') {
		(*p)++;
		return 1;
	}
	return 0;
}

static int is_word(const char *p, const char *end, const char *w)
{
	size_t n = strlen(w);
	return (size_t)(end - p) > n && !memcmp(p, w, n) && (p[n] == ' ' || p[n] == '\t');
}

int gen_heal_llm_imports(const char *text, size_t len, const char *name)
{
	const char *p = text, *end = text + len;
	size_t nl = strlen(name);

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *q = p;
		size_t n;
		if (!eol)
			eol = end;
		while (q < eol && (*q == ' ' || *q == '\t'))
			q++;
		if (is_word(q, eol, "import")) {
			q += 6;
			do {
				n = dotted(&q, eol);
				if (n == nl && !memcmp(q - n, name, nl))
					return 1;
			} while (next_name(&q, eol));
		} else if (is_word(q, eol, "from")) {
			const char *pkg;
			size_t pl;
			q += 4;
			pl = dotted(&q, eol);
			pkg = q - pl;
			if (pl == nl && !memcmp(pkg, name, nl))
				return 1;
			while (q < eol && (*q == ' ' || *q == '\t'))
				q++;
			if (pl && pl < nl && name[pl] == '.' && !memcmp(pkg, name, pl) && is_word(q, eol, "import")) {
				q += 6;
				do {
					n = dotted(&q, eol);
					if (n == nl - pl - 1 && !memcmp(q - n, name + pl + 1, n))
						return 1;
				} while (next_name(&q, eol));
			}
		}
		p = eol + 1;
	}
	return 0;
}

size_t gen_heal_llm_code_diff(struct buf *out, const char *diff, size_t len)
{
	static const char head[] = "diff --git a/";
	size_t i = 0, kept = 0;

	while (i < len) {
		size_t end = i, hl = sizeof(head) - 1, pe, le;
		char *path;
		/* the block: up to the next line that starts another */
		do {
			while (end < len && diff[end] != '\n')
				end++;
			if (end < len)
				end++;
		} while (end < len && !(len - end >= hl && !memcmp(diff + end, head, hl)));
		if (end - i < hl || memcmp(diff + i, head, hl)) {
			i = end;
			continue;
		}
		for (le = i; le < end && diff[le] != '\n'; le++)
			;
		for (pe = i + hl; pe + 3 <= le && memcmp(diff + pe, " b/", 3); pe++)
			;
		if (pe + 3 > le)
			pe = le;
		path = xstrndup(diff + i + hl, pe - (i + hl));
		if (strlen(path) > 3 && !strcmp(path + strlen(path) - 3, ".py") && !guard_is_test_file(path)) {
			buf_add(out, diff + i, end - i);
			kept++;
		}
		free(path);
		i = end;
	}
	return kept;
}
