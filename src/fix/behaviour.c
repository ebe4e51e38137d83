#include "fix/behaviour.h"

#include "gen/behaviour.h"
#include "gen/facts.h"
#include "pyast/pyast.h"
#include "runner/coverage.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* the largest test file read for the exclusion */
#define BEHAVIOUR_MAX_TEST_FILE (4u << 20)

struct cache_entry {
	char *key;                   /* "module\ntext hash\nqualname\nqualname..." */
	struct gen_behaviour *b;     /* NULL: it could not be sampled (`why`) */
	char *why;
};

struct behaviour_cache {
	struct cache_entry *items;
	size_t nr;
};

void behaviour_verdict_init(struct behaviour_verdict *v)
{
	memset(v, 0, sizeof(*v));
	strvec_init(&v->functions);
}

void behaviour_verdict_release(struct behaviour_verdict *v)
{
	size_t i;

	for (i = 0; i < v->nr_cases; i++) {
		free(v->cases[i].call);
		free(v->cases[i].before);
		free(v->cases[i].after);
	}
	free(v->cases);
	free(v->skipped);
	strvec_clear(&v->functions);
	behaviour_verdict_init(v);
}

char *behaviour_verdict_json(const struct behaviour_verdict *v)
{
	json_t *o, *cases, *fns;
	char *text;
	size_t i;

	if (!v->ran && !v->skipped)
		return NULL;
	o = json_object();
	if (!v->ran) {
		json_object_set_new(o, "skipped", json_string(v->skipped));
	} else {
		cases = json_array();
		fns = json_array();
		for (i = 0; i < v->functions.nr; i++)
			json_array_append_new(fns, json_string(v->functions.v[i]));
		for (i = 0; i < v->nr_cases; i++)
			json_array_append_new(cases, json_pack("{s:s, s:s, s:s}", "call", v->cases[i].call,
							       "before", v->cases[i].before,
							       "after", v->cases[i].after));
		json_object_set_new(o, "checked", json_integer((json_int_t)v->checked));
		json_object_set_new(o, "changed", json_integer((json_int_t)v->changed));
		json_object_set_new(o, "excluded", json_integer((json_int_t)v->excluded));
		json_object_set_new(o, "functions", fns);
		json_object_set_new(o, "cases", cases);
		if (v->skipped)
			json_object_set_new(o, "note", json_string(v->skipped));
	}
	json_object_set_new(o, "seconds", json_real((double)(long)(v->seconds * 100) / 100));
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text;
}

struct behaviour_cache *behaviour_cache_new(void)
{
	return xcalloc(1, sizeof(struct behaviour_cache));
}

void behaviour_cache_free(struct behaviour_cache *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->nr; i++) {
		free(c->items[i].key);
		free(c->items[i].why);
		gen_behaviour_free(c->items[i].b);
	}
	free(c->items);
	free(c);
}

double behaviour_allowance(double elapsed, double spent, double group_budget, double *allowed)
{
	double left;

	if (group_budget > 0 && elapsed > group_budget)
		elapsed = group_budget;
	*allowed = FIX_BEHAVIOUR_SHARE * elapsed;
	if (*allowed < FIX_BEHAVIOUR_FLOOR)
		*allowed = FIX_BEHAVIOUR_FLOOR;
	left = *allowed - spent;
	if (left > FIX_BEHAVIOUR_SAMPLE_BUDGET)
		left = FIX_BEHAVIOUR_SAMPLE_BUDGET;
	return left >= FIX_BEHAVIOUR_MIN_BUDGET ? left : 0;
}

/* ---- what a change touches ------------------------------------------------ */

static int is_test_file(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	return !strncmp(base, "test_", 5) || !strcmp(base, "conftest.py") ||
		(n > 8 && !strcmp(base + n - 8, "_test.py"));
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}

/* the lines of `old` that `new` changes: [first, last], 1-based (an insertion: the lines around it) */
static void changed_lines(int *first, int *last, const struct buf *old, const struct buf *new)
{
	size_t head = 0, tail = 0, i;
	int line = 1, lines = 1;

	while (head < old->len && head < new->len && old->ptr[head] == new->ptr[head])
		head++;
	while (tail < old->len - head && tail < new->len - head &&
	       old->ptr[old->len - 1 - tail] == new->ptr[new->len - 1 - tail])
		tail++;
	for (i = 0; i < head; i++)
		line += old->ptr[i] == '\n';
	for (i = 0; i < old->len; i++)
		lines += old->ptr[i] == '\n';
	*first = line;
	*last = line;
	for (i = head; i < old->len - tail; i++)
		*last += old->ptr[i] == '\n';
	if (*last > lines)
		*last = lines;
}

/* one module a change touches: its path, old and new text, and the functions */
struct unit {
	const char *path;
	const struct buf *old, *new;
	struct strvec functions;
	int *ranges;                 /* first and last line of each function touched (helpers too) */
	size_t nranges;
	int *region;                 /* first and last line of each span of the change's region */
	size_t nregion;
	char *key;
};

static void span_add(int **v, size_t *n, int first, int last)
{
	*v = xrealloc(*v, 2 * (*n + 1) * sizeof(**v));
	(*v)[2 * *n] = first;
	(*v)[2 * *n + 1] = last;
	(*n)++;
}

static void range_add(struct unit *u, const struct gen_function *fn)
{
	span_add(&u->ranges, &u->nranges, fn->start_line, fn->end_line);
}

/*
 * The change's region in the original text: the lines whose running tells
 * how a call went through the changed code. A changed simple statement is
 * its own lines; a changed compound header (if, while, for, else, try,
 * with, ...) brings the lines it decides between: the whole statement or
 * clause (from an elif, the rest of its if). None when a changed line is
 * not in a statement or is a def or class header: the whole functions are
 * the region then.
 */
static void change_region(struct unit *u, const struct buf *old, int first, int last)
{
	struct pyast *ast = NULL;
	int line;

	if (pyast_parse(&ast, old->ptr, old->len) < 0) {
		error_clear();
		return;
	}
	for (line = first; line <= last; line++) {
		int f, l;
		const struct pyast_node *st = pyast_statement_at(ast, line, &f, &l);

		if (!st || pyast_is(st, "function_definition") || pyast_is(st, "class_definition") ||
		    pyast_is(st, "decorated_definition")) {
			free(u->region);
			u->region = NULL;
			u->nregion = 0;
			break;
		}
		if (pyast_is(st, "elif_clause") && st->parent)
			span_add(&u->region, &u->nregion, st->start_line, st->parent->end_line);
		else if (l < st->end_line)
			/* a header (else: and try: never run as lines themselves) */
			span_add(&u->region, &u->nregion, st->start_line, st->end_line);
		else
			span_add(&u->region, &u->nregion, f, l);
		line = l > line ? l : line;
	}
	pyast_free(ast);
}

/* the public functions a change of lines [first, last] of a module touches, into `u` */
static void touched_functions(struct unit *u, const struct gen_facts *f, int first, int last)
{
	struct strvec private = STRVEC_INIT;
	size_t i, k;

	for (i = 0; i < f->nfunctions; i++) {
		const struct gen_function *fn = &f->functions[i];
		if (fn->start_line > last || fn->end_line < first || fn->is_inner)
			continue;
		range_add(u, fn);
		if (fn->is_private)
			strvec_push(&private, fn->name);
		else if (strvec_find(&u->functions, fn->qualname) < 0)
			strvec_push(&u->functions, fn->qualname);
	}
	/* a private helper: the public functions that call it */
	for (i = 0; private.nr && i < f->nfunctions; i++) {
		const struct gen_function *fn = &f->functions[i];
		if (fn->is_private || fn->is_inner)
			continue;
		for (k = 0; k < private.nr; k++)
			if (strvec_find(&fn->calls, private.v[k]) >= 0 &&
			    strvec_find(&u->functions, fn->qualname) < 0) {
				strvec_push(&u->functions, fn->qualname);
				range_add(u, fn);
			}
	}
	strvec_clear(&private);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* the module, its text (an earlier fix carried into the work directories changes it) and the functions */
static char *cache_key(const char *module, const struct buf *text, struct strvec *fns)
{
	struct buf k = BUF_INIT;
	size_t i;

	qsort(fns->v, fns->nr, sizeof(*fns->v), cmp_str);
	buf_addf(&k, "%s\n%016" PRIx64, module, hash_fnv1a(text->ptr, text->len));
	for (i = 0; i < fns->nr; i++)
		buf_addf(&k, "\n%s", fns->v[i]);
	return buf_detach(&k, NULL);
}

static struct cache_entry *cache_find(struct behaviour_cache *c, const char *key)
{
	size_t i;

	for (i = 0; i < c->nr; i++)
		if (!strcmp(c->items[i].key, key))
			return &c->items[i];
	return NULL;
}

/* the Python modules of the change, each with the functions it touches; `why` when none */
static size_t units_of(struct unit **out, const struct change_preview *p, struct buf *why)
{
	struct unit *u = xcalloc(p->nr + 1, sizeof(*u));
	size_t n = 0, i;

	for (i = 0; i < p->nr; i++) {
		const struct change_file *cf = &p->files[i];
		struct gen_facts facts = GEN_FACTS_INIT;
		int first, last;

		if (!cf->existed || cf->removed || !ends_with(cf->path, ".py") || is_test_file(cf->path) ||
		    (cf->old.len == cf->new.len && !memcmp(cf->old.ptr, cf->new.ptr, cf->old.len)))
			continue;
		if (gen_facts_read(&facts, cf->path, cf->old.ptr, cf->old.len) < 0) {
			buf_addf(why, "%s'%s' does not parse", why->len ? "; " : "", cf->path);
			continue;
		}
		changed_lines(&first, &last, &cf->old, &cf->new);
		strvec_init(&u[n].functions);
		touched_functions(&u[n], &facts, first, last);
		gen_facts_release(&facts);
		if (u[n].functions.nr)
			change_region(&u[n], &cf->old, first, last);
		if (!u[n].functions.nr) {
			buf_addf(why, "%sthe change of '%s' (line %d) is in no public function", why->len ? "; " : "",
				 cf->path, first);
			strvec_clear(&u[n].functions);
			free(u[n].ranges);
			u[n].ranges = NULL;
			u[n].nranges = 0;
			continue;
		}
		u[n].path = cf->path;
		u[n].old = &cf->old;
		u[n].new = &cf->new;
		u[n].key = cache_key(cf->path, &cf->old, &u[n].functions);
		n++;
	}
	*out = u;
	return n;
}

static void units_free(struct unit *u, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		strvec_clear(&u[i].functions);
		free(u[i].ranges);
		free(u[i].region);
		free(u[i].key);
	}
	free(u);
}

int behaviour_cached(struct behaviour_cache *cache, const struct change *c, const char *workdir)
{
	struct change_preview p = CHANGE_PREVIEW_INIT;
	struct buf why = BUF_INIT;
	struct unit *u = NULL;
	size_t n, i;
	int all = 1;

	if (change_preview(&p, c, workdir) < 0) {
		error_clear();
		return 1;   /* nothing will be sampled */
	}
	n = units_of(&u, &p, &why);
	for (i = 0; i < n; i++)
		all &= cache_find(cache, u[i].key) != NULL;
	units_free(u, n);
	buf_release(&why);
	change_preview_release(&p);
	return all;
}

/* ---- the failing tests' own calls ----------------------------------------- */

static void normalise(struct buf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\\')
			continue;
		buf_addch(out, *s == '"' ? '\'' : *s);
	}
}

int behaviour_in_test(const char *expr, const char *test)
{
	struct buf e = BUF_INIT, t = BUF_INIT;
	int in;

	normalise(&e, expr);
	normalise(&t, test);
	in = e.len && strstr(t.ptr, e.ptr) != NULL;
	buf_release(&e);
	buf_release(&t);
	return in;
}

/* the text of each failing test's function ("file::[Class::]name[params]") in `workdir` */
static void target_texts(struct strvec *out, const char *workdir, const struct strvec *ids)
{
	size_t i;

	for (i = 0; ids && i < ids->nr; i++) {
		const char *id = ids->v[i], *sep = strstr(id, "::"), *name, *cls = NULL;
		struct buf path = BUF_INIT, src = BUF_INIT, fname = BUF_INIT, cname = BUF_INIT;
		struct pyast *ast = NULL;
		struct pyast_function fn = PYAST_FUNCTION_INIT;

		if (!sep)
			continue;
		buf_addf(&path, "%s/%.*s", workdir, (int)(sep - id), id);
		name = sep + 2;
		{
			const char *more = strstr(name, "::");
			if (more) {
				cls = name;
				buf_add(&cname, cls, (size_t)(more - cls));
				name = more + 2;
			}
		}
		buf_add(&fname, name, strcspn(name, "["));
		if (fs_read_file(&src, path.ptr, BEHAVIOUR_MAX_TEST_FILE) == 0 &&
		    pyast_parse(&ast, src.ptr, src.len) == 0 &&
		    pyast_find_function(&fn, ast, fname.ptr, cls ? cname.ptr : NULL) == 0 && fn.text)
			strvec_push(out, fn.text);
		error_clear();
		pyast_function_release(&fn);
		pyast_free(ast);
		buf_release(&path);
		buf_release(&src);
		buf_release(&fname);
		buf_release(&cname);
	}
}

/* the expression of a call as `d->call` holds it: after its setup statements */
static const char *expr_of(const char *call)
{
	const char *last = call, *p;

	for (p = call; (p = strstr(p, "; ")); p += 2)
		last = p + 2;
	return last;
}

static int in_spans(const int *v, size_t n, int line)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (line >= v[2 * i] && line <= v[2 * i + 1])
			return 1;
	return 0;
}

/* 1 when `line` is in the change's region (else in its functions, when it has none) */
static int in_region(const struct unit *u, int line)
{
	if (u->nregion)
		return in_spans(u->region, u->nregion, line);
	return in_spans(u->ranges, u->nranges, line);
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/*
 * The path of each failing test through the unit's functions: the lines of
 * them it ran at baseline, ascending, as "3,5,9" (empty: it ran none of
 * them, or no coverage map says).
 */
static void target_paths(struct strvec *out, const struct unit *u, const struct coverage_map *map,
			 const struct strvec *ids)
{
	size_t i, k;

	for (i = 0; map && ids && i < ids->nr; i++) {
		struct strvec one = STRVEC_INIT;
		struct suspect *sus = NULL;
		size_t nsus = 0, nl = 0;
		int *lines = NULL;
		struct buf path = BUF_INIT;

		strvec_push(&one, ids->v[i]);
		coverage_rank(&sus, &nsus, map, &one, 0);
		lines = xcalloc(nsus + 1, sizeof(*lines));
		for (k = 0; k < nsus; k++)
			if (!strcmp(sus[k].file, u->path) && in_region(u, sus[k].line))
				lines[nl++] = sus[k].line;
		qsort(lines, nl, sizeof(*lines), cmp_int);
		for (k = 0; k < nl; k++)
			buf_addf(&path, "%s%d", k ? "," : "", lines[k]);
		if (path.len)
			strvec_push(out, path.ptr);
		buf_release(&path);
		free(lines);
		suspects_free(sus, nsus);
		strvec_clear(&one);
	}
}

/* the path of a generated call through the unit's functions, as target_paths() writes one */
static int same_path(const struct gen_behaviour_diff *x, const struct unit *u, const struct strvec *paths)
{
	struct buf path = BUF_INIT;
	size_t k, n = 0;
	int same;

	for (k = 0; k < x->nlines; k++)
		if (in_region(u, x->lines[k]))
			buf_addf(&path, "%s%d", n++ ? "," : "", x->lines[k]);
	same = path.len && strvec_find(paths, path.ptr) >= 0;
	buf_release(&path);
	return same;
}

/* ---- the check ------------------------------------------------------------- */

static struct cache_entry *sample(struct behaviour_cache *cache, const struct unit *u,
				  const struct behaviour_options *o, int *err)
{
	struct gen_behaviour_options go = { 0 };
	struct cache_entry *e;
	size_t i;

	*err = 0;
	if ((e = cache_find(cache, u->key)))
		return e;
	/* one worker running at a time: the others start again when needed */
	for (i = 0; i < cache->nr; i++)
		if (cache->items[i].b)
			gen_behaviour_idle(cache->items[i].b);
	cache->items = xrealloc(cache->items, (cache->nr + 1) * sizeof(*cache->items));
	e = &cache->items[cache->nr++];
	memset(e, 0, sizeof(*e));
	e->key = xstrdup(u->key);
	go.root = o->workdir;
	go.venv_root = o->venv_root;
	go.module = u->path;
	go.functions = &u->functions;
	go.time_budget = o->sample_budget;
	go.seed = FIX_BEHAVIOUR_SEED;
	go.pytest_cmd = o->pytest_cmd;
	go.choice = o->choice;
	if ((*err = gen_behaviour_sample(&e->b, &go)) < 0) {
		if (*err == ERR_INTERRUPTED)
			return NULL;
		e->why = xstrdup(error_last());
		log_debug("behaviour: cannot generate calls for '%s': %s", u->path, e->why);
		*err = 0;
	}
	return e;
}

int behaviour_check(struct behaviour_verdict *out, struct behaviour_cache *cache, const struct change *c,
		    const struct behaviour_options *o)
{
	struct change_preview p = CHANGE_PREVIEW_INIT;
	struct strvec tests = STRVEC_INIT;
	struct buf why = BUF_INIT;
	struct unit *u = NULL;
	double started = clock_monotonic();
	size_t n = 0, i, k, t;
	int err = 0;

	behaviour_verdict_init(out);
	if ((err = change_preview(&p, c, o->workdir)) < 0) {
		buf_addf(&why, "the change cannot be read back: %s", error_last());
		err = 0;
		goto done;
	}
	n = units_of(&u, &p, &why);
	if (!n)
		goto done;
	target_texts(&tests, o->workdir, o->targets);
	for (i = 0; i < n; i++) {
		struct gen_behaviour_diffs d = { 0 };
		struct cache_entry *e = sample(cache, &u[i], o, &err);
		struct strvec paths = STRVEC_INIT;
		const struct strvec *fns;

		if (err < 0)
			goto done;
		if (!e->b) {
			buf_addf(&why, "%scalls of '%s' could not be made: %s", why.len ? "; " : "", u[i].path, e->why);
			continue;
		}
		if (!gen_behaviour_count(e->b)) {
			buf_addf(&why, "%sno call of %s in '%s' could be made", why.len ? "; " : "",
				 u[i].functions.v[0], u[i].path);
			continue;
		}
		if ((err = gen_behaviour_compare(&d, e->b, u[i].new->ptr, u[i].new->len,
						 FIX_BEHAVIOUR_COMPARE_LIMIT)) < 0) {
			if (err == ERR_INTERRUPTED)
				goto done;
			/* a changed module that cannot even be run as the calls run it */
			buf_addf(&why, "%sthe calls of '%s' could not run on the change: %s", why.len ? "; " : "",
				 u[i].path, error_last());
			err = 0;
			continue;
		}
		out->ran = 1;
		out->checked += d.checked;
		fns = gen_behaviour_functions(e->b);
		for (k = 0; k < fns->nr; k++)
			strvec_pushf(&out->functions, "%s:%s", u[i].path, fns->v[k]);
		target_paths(&paths, &u[i], o->coverage, o->targets);
		for (k = 0; k < d.nr; k++) {
			const struct gen_behaviour_diff *x = &d.items[k];
			struct behaviour_case *bc;
			int mine = same_path(x, &u[i], &paths);
			for (t = 0; t < tests.nr && !mine; t++)
				mine = behaviour_in_test(expr_of(x->call), tests.v[t]);
			if (mine) {
				out->excluded++;
				continue;
			}
			out->changed++;
			if (out->nr_cases >= FIX_BEHAVIOUR_MAX_CASES)
				continue;
			out->cases = xrealloc(out->cases, (out->nr_cases + 1) * sizeof(*out->cases));
			bc = &out->cases[out->nr_cases++];
			bc->call = xstrdup(x->call);
			bc->before = xstrdup(x->before);
			bc->after = xstrdup(x->after);
		}
		gen_behaviour_diffs_release(&d);
		strvec_clear(&paths);
	}
done:
	if (why.len)
		out->skipped = buf_detach(&why, NULL);
	out->seconds = clock_monotonic() - started;
	buf_release(&why);
	strvec_clear(&tests);
	units_free(u, n);
	change_preview_release(&p);
	return err;
}
