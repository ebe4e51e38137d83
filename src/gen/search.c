#include "gen/search.h"

#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/xalloc.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* texts in one parameter's pool at most */
#define POOL_MAX 48
/* tries to find a call not yet made, per call asked for */
#define SAMPLE_TRIES 12
/* method calls made on an object before the one under test, at most */
#define SETUP_CALLS_MAX 3
/* strings made of short literals: pieces of at most this many characters, this many pieces, strings */
#define COMBO_PART_MAX 3
#define COMBO_PARTS_MAX 8
#define COMBOS_MAX 16
/* numbers other calls returned, taken as arguments up to this many characters */
#define LEARN_MAX_DIGITS 5
/* items a generator's test takes */
#define GEN_ITER_TAKE 20
/* a results file larger than this is not read whole */
#define PROBE_RESULTS_MAX (256u << 20)

/* ---- calls ---------------------------------------------------------------- */

static void call_init(struct gen_call *c)
{
	memset(c, 0, sizeof(*c));
	strvec_init(&c->args);
	strvec_init(&c->setup);
	strvec_init(&c->attr_names);
	strvec_init(&c->attr_values);
	strvec_init(&c->obs_names);
	strvec_init(&c->obs_values);
}

static void call_clear_outcome(struct gen_call *c)
{
	free(c->repr);
	free(c->type);
	free(c->type_module);
	free(c->message);
	c->repr = c->type = c->type_module = c->message = NULL;
	strvec_clear(&c->attr_names);
	strvec_clear(&c->attr_values);
	strvec_clear(&c->obs_names);
	strvec_clear(&c->obs_values);
	free(c->cover);
	c->cover = NULL;
	c->ncover = 0;
	c->outcome = GEN_OUT_NONE;
	c->literal = 0;
}

static void call_release(struct gen_call *c)
{
	call_clear_outcome(c);
	strvec_clear(&c->args);
	strvec_clear(&c->setup);
	free(c->expr);
	free(c->observe);
	free(c->kills);
}

void gen_calls_release(struct gen_calls *c)
{
	size_t i;

	for (i = 0; i < c->nr; i++)
		call_release(&c->items[i]);
	free(c->items);
	c->items = NULL;
	c->nr = c->alloc = 0;
}

struct gen_call *gen_calls_add(struct gen_calls *c)
{
	ALLOC_GROW(c->items, c->nr + 1, c->alloc);
	call_init(&c->items[c->nr]);
	return &c->items[c->nr++];
}

/* ---- the generator ------------------------------------------------------- */

void gen_rng_seed(struct gen_rng *r, uint64_t seed)
{
	r->state = seed ^ 0x9e3779b97f4a7c15ull;
}

uint64_t gen_rng_next(struct gen_rng *r)
{
	uint64_t z = (r->state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

size_t gen_rng_below(struct gen_rng *r, size_t n)
{
	return (size_t)(gen_rng_next(r) % n);
}

/* ---- pools --------------------------------------------------------------- */

struct pool {
	struct strvec v;
};

struct gen_pools {
	struct pool **by_fn;   /* [function][param] */
	size_t nfunctions;
	size_t *nparams;
};

static const char *const ints[] = { "0", "1", "2", "-1", "3", "10", "7", "100", NULL };
static const char *const floats[] = { "0.0", "1.5", "-2.5", "3.0", "0.1", NULL };
static const char *const strs[] = { "''", "'a'", "'hello world'", "'Hello, World!'", "'  padded  '",
				    "'abc'", "'123'", "'a,b,c'", "'0306406152'", "'4111111111111111'",
				    "'a-b c'", NULL };
static const char *const lists[] = { "[]", "[1, 2, 3]", "[3, 1, 2]", "[0]", "[-1, 5, 2, 5]",
				     "['a', 'b']", "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]", NULL };
static const char *const dicts[] = { "{}", "{'a': 1}", "{'a': 1, 'b': 2}", "{'x': 'y'}", NULL };
static const char *const sets[] = { "set()", "{1, 2}", "{'a'}", NULL };
static const char *const tuples[] = { "()", "(1, 2)", "(0, 0)", "(1, 2, 3)", NULL };
static const char *const bools[] = { "True", "False", NULL };
static const char *const pairs_lists[] = { "[]", "[(1, 2), (3, 4)]", "[(1, 5), (2, 3)]", "[(0, 1)]",
					  "[(5, 6), (1, 2), (2, 4)]", "[(1, 3), (3, 5)]", "[('a', 1), ('b', 2)]",
					  "[(10, 'USD'), (5, 'EUR')]", NULL };
static const char *const matrices[] = { "[[1, 2], [3, 4]]", "[[1, 0], [0, 1]]", "[[1, 2, 3], [4, 5, 6]]",
				       "[[2], [3]]", "[[5, 6], [7, 8]]", "[]", "[[0]]", NULL };
static const char *const pairs[] = { "(1, 2)", "(0, 0)", "(3, 1)", "(2, 5)", "('a', 1)", NULL };
static const char *const callables[] = { "len", "abs", "str", "(lambda x: x)", NULL };

static void pool_add(struct pool *p, const char *s)
{
	if (p->v.nr < POOL_MAX && strvec_find(&p->v, s) < 0)
		strvec_push(&p->v, s);
}

static void pool_addv(struct pool *p, const char *const *v)
{
	size_t i;

	for (i = 0; v[i]; i++)
		pool_add(p, v[i]);
}

static int word_in(const char *text, const char *word)
{
	size_t n = strlen(word);
	const char *s;

	for (s = text; (s = strstr(s, word)); s += n) {
		int before = s == text || !((s[-1] | 32) >= 'a' && (s[-1] | 32) <= 'z') || s[-1] == '.';
		int after = !(((s[n] | 32) >= 'a' && (s[n] | 32) <= 'z') || s[n] == '_' ||
			      (s[n] >= '0' && s[n] <= '9'));
		if (before && after)
			return 1;
	}
	return 0;
}

static int name_has(const char *name, const char *const *parts)
{
	size_t i;

	for (i = 0; parts[i]; i++) {
		const char *s = strstr(name, parts[i]);
		size_t n = strlen(parts[i]);
		if (s && (s == name || s[-1] == '_') && (s[n] == '\0' || s[n] == '_' || s[n] == 's'))
			return 1;
	}
	return 0;
}

/* a parameter named as a day: today, date, deadline, borrowed_on, start_date */
static int date_name(const char *name)
{
	static const char *const whole[] = { "today", "date", "deadline", "since", "until", NULL };
	static const char *const tails[] = { "_on", "_date", NULL };
	size_t i, n = strlen(name);

	for (i = 0; whole[i]; i++)
		if (!strcmp(name, whole[i]))
			return 1;
	for (i = 0; tails[i]; i++)
		if (n > strlen(tails[i]) && !strcmp(name + n - strlen(tails[i]), tails[i]))
			return 1;
	return 0;
}

/* the text inside a plain short string literal ('x', "x": no prefix, no escape), else NULL */
static char *literal_inside(const char *lit)
{
	size_t n = strlen(lit);

	if (n < 3 || n > COMBO_PART_MAX + 2 || (lit[0] != '\'' && lit[0] != '"') || lit[n - 1] != lit[0] ||
	    strchr(lit + 1, '\\') || memchr(lit + 1, lit[0], n - 2))
		return NULL;
	return xstrndup(lit + 1, n - 2);
}

static void add_quoted(struct pool *p, const char *text)
{
	struct buf q = BUF_INIT;
	const char *c;

	buf_addch(&q, '\'');
	for (c = text; *c; c++) {
		if (*c == '\'' || *c == '\\')
			buf_addch(&q, '\\');
		buf_addch(&q, *c);
	}
	buf_addch(&q, '\'');
	pool_add(p, q.ptr);
	buf_release(&q);
}

/*
 * Strings made of a function's short literals: a checker of brackets or of
 * a format sees its own pieces put together ("(" + "]" + ")"), two at a
 * time, then four (pairs of pairs), at most COMBOS_MAX.
 */
static void add_combinations(struct pool *p, const struct strvec *lits)
{
	struct strvec parts = STRVEC_INIT;
	size_t i, j, k, made = 0;

	for (i = 0; i < lits->nr && parts.nr < COMBO_PARTS_MAX; i++) {
		char *in = literal_inside(lits->v[i]);
		if (in && *in && strvec_find(&parts, in) < 0)
			strvec_push(&parts, in);
		free(in);
	}
	for (i = 0; i < parts.nr && made < COMBOS_MAX; i++)
		for (j = 0; j < parts.nr && made < COMBOS_MAX; j++) {
			struct buf t = BUF_INIT;
			if (i == j)
				continue;
			buf_addf(&t, "%s%s", parts.v[i], parts.v[j]);
			add_quoted(p, t.ptr);
			made++;
			for (k = 0; k + 1 < parts.nr && made < COMBOS_MAX && k < 2; k++) {
				struct buf u = BUF_INIT;
				buf_addf(&u, "%s%s%s%s", parts.v[i], parts.v[k], parts.v[k + 1], parts.v[j]);
				add_quoted(p, u.ptr);
				made++;
				buf_release(&u);
			}
			buf_release(&t);
		}
	strvec_clear(&parts);
}

static void add_literals(struct pool *p, const struct gen_function *fn, unsigned kinds)
{
	size_t i;

	if (kinds & GEN_HINT_NUMBER)
		for (i = 0; i < fn->int_literals.nr; i++) {
			const char *s = fn->int_literals.v[i];
			char *end;
			long long v = strtoll(s, &end, 0);
			pool_add(p, s);
			if (*end == '\0' && v > -1000000 && v < 1000000) {
				char t[32];
				snprintf(t, sizeof(t), "%lld", v + 1);
				pool_add(p, t);
				snprintf(t, sizeof(t), "%lld", v - 1);
				pool_add(p, t);
			}
		}
	if (kinds & GEN_HINT_FLOAT)
		for (i = 0; i < fn->float_literals.nr; i++)
			pool_add(p, fn->float_literals.v[i]);
	if (kinds & GEN_HINT_STR) {
		for (i = 0; i < fn->str_literals.nr; i++)
			pool_add(p, fn->str_literals.v[i]);
		add_combinations(p, &fn->str_literals);
	}
}

/* the kind of a literal's text, as a hint bit */
static unsigned kind_of_text(const char *s)
{
	if (!strcmp(s, "None"))
		return GEN_HINT_NONE;
	if (!strcmp(s, "True") || !strcmp(s, "False"))
		return GEN_HINT_BOOL;
	if (*s == '\'' || *s == '"')
		return GEN_HINT_STR;
	if (*s == '[' || *s == '(')
		return GEN_HINT_LIST;
	if (*s == '{')
		return GEN_HINT_DICT;
	if (*s == '-' || (*s >= '0' && *s <= '9'))
		return strchr(s, '.') || strchr(s, 'e') ? GEN_HINT_FLOAT | GEN_HINT_NUMBER : GEN_HINT_NUMBER;
	return 0;
}

/* dates, written with the name the module imported them by (`date`, `datetime.date`) */
static void add_dates(struct pool *p, const struct gen_facts *f)
{
	static const char *const days[] = { "2024, 1, 31", "2024, 2, 29", "2023, 12, 31", "2024, 3, 4",
					    "2024, 1, 1", "2024, 12, 25", NULL };
	const char *ctor = NULL;
	int k;
	size_t i;

	if ((k = strvec_find(&f->import_names, "date")) >= 0 &&
	    !strcmp(f->import_lines.v[k], "from datetime import date"))
		ctor = "date";
	else if ((k = strvec_find(&f->import_names, "datetime")) >= 0 &&
		 !strcmp(f->import_lines.v[k], "import datetime"))
		ctor = "datetime.date";
	else if (k < 0)
		/*
		 * "from datetime import timedelta": the module works with dates
		 * without naming the class; the probe and the written file
		 * (emit.c) import datetime themselves
		 */
		for (i = 0; !ctor && i < f->import_lines.nr; i++)
			if (!strncmp(f->import_lines.v[i], "from datetime import ", 21))
				ctor = "datetime.date";
	if (!ctor)
		return;
	for (i = 0; days[i]; i++) {
		struct buf t = BUF_INIT;
		buf_addf(&t, "%s(%s)", ctor, days[i]);
		pool_add(p, t.ptr);
		buf_release(&t);
	}
}

/* constructor calls of class `name` with the simplest arguments we know */
static void add_instances(struct pool *p, const struct gen_facts *f, const char *name, struct gen_pools *pools);

static void build_pool(struct pool *p, const struct gen_facts *f, const struct gen_function *fn,
		       const struct gen_param *prm, struct gen_pools *pools)
{
	static const char *const int_names[] = { "n", "count", "size", "num", "number", "index", "idx",
						 "i", "j", "k", "total", "limit", "width", "height", "depth",
						 "level", "start", "end", "stop", "step", "offset", "length",
						 "amount", "page", "per_page", "times", "max", "min", "year",
						 "month", "day", "port", "age", "x", "y", "a", "b", "value",
						 "precision", "digits", "base", "percent", "rate", NULL };
	static const char *const str_names[] = { "name", "text", "s", "word", "key", "prefix", "suffix",
						 "sep", "separator", "delimiter", "title", "label", "string",
						 "line", "message", "msg", "pattern", "char", "code", "token",
						 "email", "url", "slug", "query", "fmt", "format", "sentence",
						 "phrase", "template", "currency", "sku", "id", "user", "owner",
						 "tag", "kind", "status", "unit", "host", "path", "filename", NULL };
	static const char *const list_names[] = { "items", "values", "xs", "list", "seq", "elements",
						  "data", "nums", "numbers", "words", "lines", "rows",
						  "matrix", "entries", "records", "intervals", "pairs",
						  "points", "scores", "prices", "iterable", "lst", "arr",
						  "array", "tokens", "parts", "ranges", "tasks", NULL };
	static const char *const dict_names[] = { "mapping", "dict", "table", "config", "options",
						  "headers", "params", "counts", "kwargs", "settings",
						  "inventory", "env", NULL };
	const char *a = prm->annotation ? prm->annotation : "";
	unsigned h = prm->hints;
	int known = 0;

	/* the default first: the value the author had in mind */
	if (prm->default_text && strlen(prm->default_text) <= 80 && !strchr(prm->default_text, '\n') &&
	    kind_of_text(prm->default_text))
		pool_add(p, prm->default_text);
	if (prm->attr_class) {
		add_instances(p, f, prm->attr_class, pools);
		known = 1;
	}
	if (*a) {
		if (word_in(a, "bool")) {
			pool_addv(p, bools);
			known = 1;
		}
		if (word_in(a, "int")) {
			add_literals(p, fn, GEN_HINT_NUMBER);
			pool_addv(p, ints);
			known = 1;
		}
		if (word_in(a, "float") || word_in(a, "Decimal") || word_in(a, "Number")) {
			add_literals(p, fn, GEN_HINT_NUMBER | GEN_HINT_FLOAT);
			pool_addv(p, floats);
			pool_addv(p, ints);
			known = 1;
		}
		if (word_in(a, "str")) {
			add_literals(p, fn, GEN_HINT_STR);
			pool_addv(p, strs);
			known = 1;
		}
		if (word_in(a, "list") || word_in(a, "List") || word_in(a, "Sequence") ||
		    word_in(a, "Iterable") || word_in(a, "Collection") || word_in(a, "Iterator")) {
			if (strstr(a, "[str]") || strstr(a, "[str,"))
				pool_addv(p, (const char *const[]){ "[]", "['a', 'b']", "['x']", "['b', 'a', 'c']", NULL });
			else if (strstr(a, "[float]"))
				pool_addv(p, (const char *const[]){ "[]", "[1.5, 2.5]", "[0.0]", "[3.0, -1.0, 2.0]", NULL });
			else
				pool_addv(p, lists);
			known = 1;
		}
		if (word_in(a, "dict") || word_in(a, "Dict") || word_in(a, "Mapping")) {
			pool_addv(p, dicts);
			known = 1;
		}
		if (word_in(a, "set") || word_in(a, "Set") || word_in(a, "frozenset")) {
			pool_addv(p, sets);
			known = 1;
		}
		if (word_in(a, "tuple") || word_in(a, "Tuple")) {
			pool_addv(p, tuples);
			known = 1;
		}
		if (word_in(a, "None") || word_in(a, "Optional"))
			pool_add(p, "None");
		if (word_in(a, "Callable")) {
			pool_addv(p, callables);
			known = 1;
		}
	}
	/* values of the types the module imports: dates, decimals */
	if (h & GEN_HINT_DATE || (*a && (word_in(a, "date") || word_in(a, "datetime")))) {
		add_dates(p, f);
		known = 1;
	}
	if (*a && word_in(a, "Decimal") && strvec_find(&f->import_names, "Decimal") >= 0)
		pool_addv(p, (const char *const[]){ "Decimal('0')", "Decimal('1.50')", "Decimal('10.25')",
						    "Decimal('-3')", NULL });
	if (!known || h) {
		if (h & GEN_HINT_NUMBER || h & GEN_HINT_INT) {
			add_literals(p, fn, GEN_HINT_NUMBER | (h & GEN_HINT_FLOAT));
			pool_addv(p, ints);
			if (h & GEN_HINT_FLOAT)
				pool_addv(p, floats);
		}
		if (h & GEN_HINT_STR) {
			add_literals(p, fn, GEN_HINT_STR);
			pool_addv(p, strs);
		}
		if (h & GEN_HINT_MATRIX)
			pool_addv(p, matrices);
		if (h & GEN_HINT_PAIRS)
			pool_addv(p, pairs_lists);
		if (h & GEN_HINT_PAIR)
			pool_addv(p, pairs);
		if (h & GEN_HINT_LIST)
			pool_addv(p, lists);
		if (h & GEN_HINT_DICT)
			pool_addv(p, dicts);
		if (h & GEN_HINT_SET)
			pool_addv(p, sets);
		if (h & GEN_HINT_SEQ && !(h & (GEN_HINT_STR | GEN_HINT_LIST | GEN_HINT_DICT | GEN_HINT_PAIRS |
					       GEN_HINT_MATRIX))) {
			/* a string is a sequence too: its own literals, put together */
			add_literals(p, fn, GEN_HINT_STR);
			pool_addv(p, lists);
			pool_add(p, "'abc'");
			pool_add(p, "''");
		}
		if (h & GEN_HINT_CALLABLE)
			pool_addv(p, callables);
		if (h & GEN_HINT_NONE)
			pool_add(p, "None");
		if (h & GEN_HINT_BOOL && !(h & ~(unsigned)(GEN_HINT_BOOL | GEN_HINT_NONE)))
			pool_addv(p, bools);
	}
	if (!p->v.nr || (!known && !(h & ~(unsigned)(GEN_HINT_NONE | GEN_HINT_BOOL | GEN_HINT_OBJECT)))) {
		/* nothing says: the name, then a bit of everything */
		if (name_has(prm->name, int_names)) {
			add_literals(p, fn, GEN_HINT_NUMBER);
			pool_addv(p, ints);
		}
		if (name_has(prm->name, str_names)) {
			add_literals(p, fn, GEN_HINT_STR);
			pool_addv(p, strs);
		}
		if (name_has(prm->name, list_names))
			pool_addv(p, lists);
		if (name_has(prm->name, dict_names))
			pool_addv(p, dicts);
		if (date_name(prm->name))
			add_dates(p, f);
		if (!p->v.nr) {
			add_literals(p, fn, GEN_HINT_NUMBER | GEN_HINT_STR | GEN_HINT_FLOAT);
			pool_addv(p, (const char *const[]){ "0", "1", "-1", "'a'", "''", "[1, 2]", "[]",
							    "None", "2.5", "True", NULL });
		}
	}
}

static void add_instances(struct pool *p, const struct gen_facts *f, const char *name, struct gen_pools *pools)
{
	const struct gen_class *c = gen_facts_class(f, name);
	struct buf call = BUF_INIT;
	size_t i;

	(void)pools;
	if (!c || c->abstract || c->is_exception)
		return;
	if (c->init < 0) {
		buf_addf(&call, "%s()", name);
		pool_add(p, call.ptr);
		buf_release(&call);
		return;
	}
	/* two instances: defaults where there are, else the first value that fits */
	for (i = 0; i < 2; i++) {
		const struct gen_function *init = &f->functions[c->init];
		size_t k;
		int first = 1;
		buf_reset(&call);
		buf_addf(&call, "%s(", name);
		for (k = 0; k < init->nparams; k++) {
			const struct gen_param *prm = &init->params[k];
			struct pool tmp = { STRVEC_INIT };
			if (prm->kind == GEN_PARAM_VARARGS || prm->kind == GEN_PARAM_VARKW ||
			    (prm->default_text && i == 0))
				continue;
			if (prm->attr_class && !strcmp(prm->attr_class, name))
				goto skip;   /* a class of itself: no literal instance */
			if (prm->attr_class) {
				strvec_clear(&tmp.v);
				goto skip;
			}
			build_pool(&tmp, f, init, prm, NULL);
			if (!tmp.v.nr)
				goto skip;
			buf_addf(&call, "%s%s%s%s", first ? "" : ", ",
				 prm->kind == GEN_PARAM_KW_ONLY ? prm->name : "",
				 prm->kind == GEN_PARAM_KW_ONLY ? "=" : "",
				 tmp.v.v[i < tmp.v.nr ? i : 0]);
			first = 0;
			strvec_clear(&tmp.v);
			continue;
		skip:
			strvec_clear(&tmp.v);
			buf_release(&call);
			return;
		}
		buf_addch(&call, ')');
		pool_add(p, call.ptr);
	}
	buf_release(&call);
}

struct gen_pools *gen_pools_new(const struct gen_facts *f)
{
	struct gen_pools *p = xcalloc(1, sizeof(*p));
	size_t i, k;

	p->nfunctions = f->nfunctions;
	p->by_fn = xcalloc(f->nfunctions ? f->nfunctions : 1, sizeof(*p->by_fn));
	p->nparams = xcalloc(f->nfunctions ? f->nfunctions : 1, sizeof(*p->nparams));
	for (i = 0; i < f->nfunctions; i++) {
		const struct gen_function *fn = &f->functions[i];
		p->nparams[i] = fn->nparams;
		p->by_fn[i] = xcalloc(fn->nparams ? fn->nparams : 1, sizeof(struct pool));
		for (k = 0; k < fn->nparams; k++) {
			strvec_init(&p->by_fn[i][k].v);
			if (fn->params[k].kind == GEN_PARAM_VARARGS || fn->params[k].kind == GEN_PARAM_VARKW)
				continue;
			build_pool(&p->by_fn[i][k], f, fn, &fn->params[k], p);
		}
	}
	return p;
}

const struct strvec *gen_pools_values(const struct gen_pools *p, size_t function, size_t param)
{
	if (function >= p->nfunctions || param >= p->nparams[function])
		return NULL;
	return &p->by_fn[function][param].v;
}

void gen_pools_free(struct gen_pools *p)
{
	size_t i, k;

	if (!p)
		return;
	for (i = 0; i < p->nfunctions; i++) {
		for (k = 0; k < p->nparams[i]; k++)
			strvec_clear(&p->by_fn[i][k].v);
		free(p->by_fn[i]);
	}
	free(p->by_fn);
	free(p->nparams);
	free(p);
}


void gen_pools_learn(struct gen_pools *p, const struct gen_facts *f, const struct gen_calls *calls)
{
	size_t i, fi, k;

	for (i = 0; i < calls->nr; i++) {
		const struct gen_call *c = &calls->items[i];
		unsigned kind;
		if (c->outcome != GEN_OUT_VALUE || !c->literal || !c->repr || strlen(c->repr) > 80)
			continue;
		if (!(kind = kind_of_text(c->repr)) || kind == GEN_HINT_NONE || kind == GEN_HINT_BOOL)
			continue;
		/* a big number makes a slow call (range(n), "%.*f"), not a new path */
		if (kind & GEN_HINT_NUMBER && strlen(c->repr) > LEARN_MAX_DIGITS)
			continue;
		for (fi = 0; fi < f->nfunctions; fi++) {
			if ((int)fi == c->function)
				continue;
			for (k = 0; k < f->functions[fi].nparams; k++) {
				const struct pool *pl = &p->by_fn[fi][k];
				size_t j;
				int fits = 0;
				/* a pool already holding values of this kind takes it */
				for (j = 0; j < pl->v.nr && !fits; j++)
					fits = (kind_of_text(pl->v.v[j]) & kind & ~(unsigned)GEN_HINT_FLOAT) != 0;
				if (fits)
					pool_add(&p->by_fn[fi][k], c->repr);
			}
		}
	}
}

/* ---- building calls ------------------------------------------------------ */

int gen_callable(const struct gen_facts *f, size_t fi, int allow_side_effects, struct buf *why)
{
	const struct gen_function *fn = &f->functions[fi];
	size_t k;

	if (fn->is_private) {
		buf_adds(why, "private");
		return 0;
	}
	if (fn->is_async) {
		buf_adds(why, "async: not called");
		return 0;
	}
	if (fn->side_effect && !allow_side_effects) {
		buf_addf(why, "reaches %s: not called without --allow-side-effects", fn->side_effect);
		return 0;
	}
	if (fn->class_name) {
		const struct gen_class *c = gen_facts_class(f, fn->class_name);
		if (c && c->is_exception) {
			buf_adds(why, "an exception class");
			return 0;
		}
		if (c && c->abstract && fn->kind != GEN_STATICMETHOD && fn->kind != GEN_CLASSMETHOD) {
			buf_adds(why, "an abstract class");
			return 0;
		}
	}
	for (k = 0; k < fn->nparams; k++) {
		const struct gen_param *p = &fn->params[k];
		if (p->attr_class && fn->class_name && !strcmp(p->attr_class, fn->class_name) &&
		    !strcmp(fn->name, "__init__")) {
			buf_addf(why, "its parameter '%s' is an instance of its own class", p->name);
			return 0;
		}
	}
	return 1;
}

static int call_exists(const struct gen_calls *calls, const char *text)
{
	size_t i;

	for (i = 0; i < calls->nr; i++) {
		struct buf t = BUF_INIT;
		size_t k;
		int same;
		for (k = 0; k < calls->items[i].setup.nr; k++)
			buf_addf(&t, "%s\n", calls->items[i].setup.v[k]);
		buf_adds(&t, calls->items[i].expr);
		same = !strcmp(t.ptr, text);
		buf_release(&t);
		if (same)
			return 1;
	}
	return 0;
}

/* the argument list of `fn` from `args` (texts, "" left out) into `out`: "1, 'a', key=2" */
static void format_args(struct buf *out, const struct gen_function *fn, const struct strvec *args)
{
	size_t k;
	int first = 1, skipped = 0;

	for (k = 0; k < fn->nparams && k < args->nr; k++) {
		const struct gen_param *p = &fn->params[k];
		const char *v = args->v[k];
		if (!*v) {
			skipped = 1;
			continue;
		}
		if (!first)
			buf_adds(out, ", ");
		first = 0;
		if (p->kind == GEN_PARAM_KW_ONLY || (skipped && p->kind == GEN_PARAM_POSITIONAL))
			buf_addf(out, "%s=%s", p->name, v);
		else
			buf_adds(out, v);
	}
}

static const char *pick(const struct pool *p, struct gen_rng *rng)
{
	return p->v.nr ? p->v.v[gen_rng_below(rng, p->v.nr)] : NULL;
}

/*
 * The values one call gave its parameters so far, by name: a parameter of
 * the same name in the same call (the `sku` of add, reserve and ship) takes
 * the same value three times in four, so calls on one object meet.
 */
struct sticky {
	struct strvec names, values;
};

static const char *pick_named(struct sticky *st, const char *name, const struct pool *p, struct gen_rng *rng)
{
	int k = strvec_find(&st->names, name);
	const char *v;

	if (k >= 0 && gen_rng_below(rng, 4))
		return st->values.v[k];
	if (!(v = pick(p, rng)))
		return NULL;
	if (k < 0) {
		strvec_push(&st->names, name);
		strvec_push(&st->values, v);
	}
	return v;
}

/* an instance of `fn`'s class into setup, as `obj` */
static int instance_setup(struct gen_call *c, const struct gen_facts *f, struct gen_pools *pools,
			  const struct gen_function *fn, struct gen_rng *rng, int plain, struct sticky *st)
{
	const struct gen_class *cls = gen_facts_class(f, fn->class_name);
	struct strvec args = STRVEC_INIT;
	struct buf t = BUF_INIT;
	size_t k, i;

	if (!cls)
		return -1;
	buf_addf(&t, "obj = %s(", cls->name);
	if (cls->init >= 0) {
		const struct gen_function *init = &f->functions[cls->init];
		for (k = 0; k < init->nparams; k++) {
			const struct gen_param *p = &init->params[k];
			const struct pool *pl = &pools->by_fn[cls->init][k];
			const char *v;
			if (p->kind == GEN_PARAM_VARARGS || p->kind == GEN_PARAM_VARKW ||
			    (p->default_text && (plain || gen_rng_below(rng, 2)))) {
				strvec_push(&args, "");
				continue;
			}
			if (!(v = plain ? (pl->v.nr ? pl->v.v[0] : NULL) : pick_named(st, p->name, pl, rng))) {
				strvec_clear(&args);
				buf_release(&t);
				return -1;
			}
			strvec_push(&args, v);
		}
		format_args(&t, init, &args);
	}
	buf_addch(&t, ')');
	strvec_push(&c->setup, t.ptr);
	strvec_clear(&args);
	/* a few calls that change the object first */
	if (!plain) {
		size_t n = gen_rng_below(rng, SETUP_CALLS_MAX + 1);
		for (i = 0; i < n; i++) {
			size_t tries, m = 0;
			const struct gen_function *g = NULL;
			for (tries = 0; tries < 8; tries++) {
				m = gen_rng_below(rng, f->nfunctions);
				g = &f->functions[m];
				if (g->class_name && !strcmp(g->class_name, cls->name) && g->mutates_self &&
				    g->kind == GEN_METHOD && strcmp(g->name, "__init__") && !g->is_generator &&
				    !g->side_effect && !g->is_async)
					break;
				g = NULL;
			}
			if (!g)
				break;
			buf_reset(&t);
			buf_adds(&t, "obj.");
			buf_adds(&t, g->name);
			buf_addch(&t, '(');
			for (k = 0; k < g->nparams; k++) {
				const struct gen_param *p = &g->params[k];
				const char *v = NULL;
				if (p->kind == GEN_PARAM_VARARGS || p->kind == GEN_PARAM_VARKW ||
				    (p->default_text && gen_rng_below(rng, 2))) {
					strvec_push(&args, "");
					continue;
				}
				if (!(v = pick_named(st, p->name, &pools->by_fn[m][k], rng)))
					break;
				strvec_push(&args, v);
			}
			if (k == g->nparams) {
				format_args(&t, g, &args);
				buf_addch(&t, ')');
				strvec_push(&c->setup, t.ptr);
			}
			strvec_clear(&args);
		}
	}
	buf_release(&t);
	return 0;
}

/*
 * `obj.<fn>(args)` into the setup of `c` and a query of the class (a method
 * or property that changes nothing, not a generator) as its expression,
 * its arguments taken as the setup's were. -1 when the class has none.
 */
static int query_after(struct gen_call *c, const struct gen_facts *f, struct gen_pools *pools,
		       const struct gen_function *fn, const char *args, struct gen_rng *rng, struct sticky *st)
{
	size_t candidates[64], n = 0, i, k, qi;
	const struct gen_function *q;
	struct strvec qargs = STRVEC_INIT;
	struct buf t = BUF_INIT;

	for (i = 0; i < f->nfunctions && n < 64; i++) {
		const struct gen_function *g = &f->functions[i];
		if (g->class_name && !strcmp(g->class_name, fn->class_name) && !g->mutates_self &&
		    (g->kind == GEN_METHOD || g->kind == GEN_PROPERTY) && strcmp(g->name, "__init__") &&
		    !g->is_generator && !g->is_async && !g->side_effect)
			candidates[n++] = i;
	}
	if (!n)
		return -1;
	qi = candidates[gen_rng_below(rng, n)];
	q = &f->functions[qi];
	for (k = 0; k < q->nparams; k++) {
		const struct gen_param *p = &q->params[k];
		const char *v;
		if (p->kind == GEN_PARAM_VARARGS || p->kind == GEN_PARAM_VARKW || p->default_text) {
			strvec_push(&qargs, "");
			continue;
		}
		if (!(v = pick_named(st, p->name, &pools->by_fn[qi][k], rng))) {
			strvec_clear(&qargs);
			return -1;
		}
		strvec_push(&qargs, v);
	}
	buf_addf(&t, "obj.%s(%s)", fn->name, args);
	strvec_push(&c->setup, t.ptr);
	buf_reset(&t);
	if (q->kind == GEN_PROPERTY) {
		buf_addf(&t, "obj.%s", q->name);
	} else {
		buf_addf(&t, "obj.%s(", q->name);
		format_args(&t, q, &qargs);
		buf_addch(&t, ')');
	}
	c->expr = buf_detach(&t, NULL);
	strvec_clear(&qargs);
	return 0;
}

/* fill call `c` of `fn`: mode 0 defaults, 1 random */
static int build_call(struct gen_call *c, const struct gen_facts *f, struct gen_pools *pools, size_t fi,
		      int mode, struct gen_rng *rng)
{
	const struct gen_function *fn = &f->functions[fi];
	struct buf e = BUF_INIT, a = BUF_INIT;
	size_t k;
	int is_init = !strcmp(fn->name, "__init__"), err = 0;
	struct sticky st = { STRVEC_INIT, STRVEC_INIT };

	for (k = 0; k < fn->nparams; k++) {
		const struct gen_param *p = &fn->params[k];
		const struct pool *pl = &pools->by_fn[fi][k];
		const char *v;
		if (p->kind == GEN_PARAM_VARARGS || p->kind == GEN_PARAM_VARKW) {
			strvec_push(&c->args, "");
			continue;
		}
		if (mode == 0 && p->default_text) {
			strvec_push(&c->args, "");
			continue;
		}
		/* a default is left to itself now and then */
		if (mode == 1 && p->default_text && gen_rng_below(rng, 4) == 0) {
			strvec_push(&c->args, "");
			continue;
		}
		v = mode == 0 ? (pl->v.nr ? pl->v.v[0] : NULL) : pick(pl, rng);
		if (!v) {
			err = -1;
			goto done;
		}
		strvec_push(&c->args, v);
	}
	/* the setup first: its choices carry over to the call's arguments */
	if (fn->kind == GEN_METHOD && !is_init && fn->class_name) {
		if (instance_setup(c, f, pools, fn, rng, mode == 0, &st) < 0) {
			err = -1;
			goto done;
		}
		for (k = 0; mode == 1 && k < fn->nparams && k < c->args.nr; k++) {
			int j = strvec_find(&st.names, fn->params[k].name);
			if (j >= 0 && *c->args.v[k] && gen_rng_below(rng, 4)) {
				free((char *)c->args.v[k]);
				c->args.v[k] = xstrdup(st.values.v[j]);
			}
		}
	}
	format_args(&a, fn, &c->args);
	/*
	 * a method that changes its object, half the time: called in the
	 * setup, then a query of the same class says what it changed
	 */
	if (mode == 1 && fn->kind == GEN_METHOD && !is_init && fn->mutates_self && !fn->is_generator &&
	    gen_rng_below(rng, 2) && query_after(c, f, pools, fn, a.ptr, rng, &st) == 0) {
		c->observe = xstrdup("obj");
		goto expr_done;
	}
	if (fn->kind == GEN_FUNCTION) {
		buf_addf(&e, "%s(%s)", fn->name, a.ptr);
	} else if (is_init) {
		buf_addf(&e, "%s(%s)", fn->class_name, a.ptr);
	} else if (fn->kind == GEN_STATICMETHOD || fn->kind == GEN_CLASSMETHOD) {
		buf_addf(&e, "%s.%s(%s)", fn->class_name, fn->name, a.ptr);
	} else {
		if (fn->kind == GEN_PROPERTY && instance_setup(c, f, pools, fn, rng, mode == 0, &st) < 0) {
			err = -1;
			goto done;
		}
		if (fn->kind == GEN_PROPERTY)
			buf_addf(&e, "obj.%s", fn->name);
		else
			buf_addf(&e, "obj.%s(%s)", fn->name, a.ptr);
		c->observe = xstrdup("obj");
	}
	if (fn->is_generator) {
		struct buf g = BUF_INIT;
		buf_addf(&g, "list(itertools.islice(%s, %d))", e.ptr, GEN_ITER_TAKE);
		buf_release(&e);
		e = g;
	} else if (fn->inner >= 0 && mode == 1 && gen_rng_below(rng, 4)) {
		/* a factory: what it returns is called too, most of the time */
		const struct gen_function *in = &f->functions[fn->inner];
		struct strvec inner_args = STRVEC_INIT;
		for (k = 0; k < in->nparams; k++) {
			const struct gen_param *p = &in->params[k];
			const char *v = NULL;
			if (p->kind == GEN_PARAM_VARARGS || p->kind == GEN_PARAM_VARKW ||
			    (p->default_text && gen_rng_below(rng, 3) == 0) ||
			    !(v = pick(&pools->by_fn[fn->inner][k], rng))) {
				strvec_push(&inner_args, "");
				continue;
			}
			strvec_push(&inner_args, v);
		}
		buf_addch(&e, '(');
		format_args(&e, in, &inner_args);
		buf_addch(&e, ')');
		strvec_clear(&inner_args);
		c->chained = 1;
	}
	c->expr = buf_detach(&e, NULL);
expr_done:
done:
	strvec_clear(&st.names);
	strvec_clear(&st.values);
	buf_release(&a);
	buf_release(&e);
	return err;
}

static int keep_if_new(struct gen_calls *calls, struct gen_call *c)
{
	struct buf t = BUF_INIT;
	size_t k;
	int dup;

	for (k = 0; k < c->setup.nr; k++)
		buf_addf(&t, "%s\n", c->setup.v[k]);
	buf_adds(&t, c->expr);
	/* the candidate is the last item: compare with those before it */
	calls->nr--;
	dup = call_exists(calls, t.ptr);
	calls->nr++;
	buf_release(&t);
	if (dup) {
		call_release(c);
		calls->nr--;
		return 0;
	}
	return 1;
}

size_t gen_sample(struct gen_calls *calls, const struct gen_facts *f, struct gen_pools *p,
		  size_t fi, size_t n, struct gen_rng *rng)
{
	const struct gen_function *fn = &f->functions[fi];
	size_t added = 0, k, tries;

	/* the doctest examples, as written */
	for (k = 0; k < fn->doctests.nr && added < n; k++) {
		struct gen_call *c = gen_calls_add(calls);
		c->function = (int)fi;
		c->expr = xstrdup(fn->doctests.v[k]);
		added += keep_if_new(calls, c);
	}
	for (tries = 0; added < n && tries < n * SAMPLE_TRIES; tries++) {
		struct gen_call *c = gen_calls_add(calls);
		c->function = (int)fi;
		if (build_call(c, f, p, fi, tries == 0 ? 0 : 1, rng) < 0) {
			call_release(c);
			calls->nr--;
			continue;
		}
		added += keep_if_new(calls, c);
	}
	return added;
}

/* ---- the probe's spec and results ---------------------------------------- */

int gen_call_reaches(const struct gen_call *c, int first, int last)
{
	size_t i;

	/* lines sort before arcs (their high half is 0) */
	for (i = 0; i < c->ncover && c->cover[i] >> 32 == 0; i++)
		if ((int)c->cover[i] >= first && (int)c->cover[i] <= last)
			return 1;
	return 0;
}

int gen_probe_spec(const char *path, const struct gen_probe_options *o, const struct gen_calls *calls,
		   size_t from, size_t to, const struct strvec *mutants, const int *lines)
{
	json_t *spec = json_object(), *list = json_array(), *rl;
	char *text;
	size_t i, k;
	int err;

	json_object_set_new(spec, "module", json_string(o->module));
	json_object_set_new(spec, "scratch", json_string(o->scratch));
	json_object_set_new(spec, "call_limit", json_real(o->call_limit));
	json_object_set_new(spec, "repeat", json_integer(o->repeat));
	rl = json_object();
	json_object_set_new(rl, "cpu", json_integer(GEN_PROBE_CPU_SECONDS));
	json_object_set_new(rl, "as", json_integer((json_int_t)GEN_PROBE_MEMORY));
	json_object_set_new(rl, "fsize", json_integer((json_int_t)GEN_PROBE_FILE_SIZE));
	json_object_set_new(rl, "nproc", json_integer(GEN_PROBE_PROCESSES));
	json_object_set_new(spec, "rlimits", rl);
	for (i = from; i < to && i < calls->nr; i++) {
		const struct gen_call *c = &calls->items[i];
		json_t *jc = json_object(), *setup = json_array();
		for (k = 0; k < c->setup.nr; k++)
			json_array_append_new(setup, json_string(c->setup.v[k]));
		json_object_set_new(jc, "id", json_integer((json_int_t)i));
		json_object_set_new(jc, "setup", setup);
		json_object_set_new(jc, "expr", json_string(c->expr));
		if (c->observe)
			json_object_set_new(jc, "observe", json_pack("[s]", c->observe));
		json_array_append_new(list, jc);
	}
	json_object_set_new(spec, "calls", list);
	if (mutants) {
		json_t *ml = json_array();
		for (i = 0; i < mutants->nr; i++) {
			json_t *m = json_pack("{s:I,s:s}", "id", (json_int_t)i, "source", mutants->v[i]);
			if (lines && lines[2 * i] > 0) {
				json_t *only = json_array();
				for (k = from; k < to && k < calls->nr; k++)
					if (gen_call_reaches(&calls->items[k], lines[2 * i], lines[2 * i + 1]))
						json_array_append_new(only, json_integer((json_int_t)k));
				json_object_set_new(m, "calls", only);
			}
			json_array_append_new(ml, m);
		}
		json_object_set_new(spec, "mutants", ml);
	}
	text = json_dumps(spec, JSON_COMPACT);
	json_decref(spec);
	if (!text)
		return error_set("cannot write the probe's spec (a text that is not UTF-8?)");
	err = fs_write_atomic(path, text, strlen(text), 0600);
	free(text);
	return err;
}

void gen_probe_info_release(struct gen_probe_info *info)
{
	free(info->name);
	strvec_clear(&info->lines);
	free(info->mutant_timeouts);
	free(info->mutant_errors);
	free(info->mutant_done);
	memset(info, 0, sizeof(*info));
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

#define COVER_BIAS 0x40000000ll

static uint64_t cover_arc(json_int_t a, json_int_t b)
{
	return ((uint64_t)(uint32_t)(a + COVER_BIAS) << 32) | (uint32_t)(b + COVER_BIAS);
}

static void read_cover(struct gen_call *c, json_t *lines, json_t *arcs)
{
	size_t i, n = json_array_size(lines) + json_array_size(arcs), k = 0;

	free(c->cover);
	c->cover = xcalloc(n ? n : 1, sizeof(*c->cover));
	for (i = 0; i < json_array_size(lines); i++) {
		json_int_t l = json_integer_value(json_array_get(lines, i));
		if (l > 0 && l < COVER_BIAS)
			c->cover[k++] = (uint64_t)l;
	}
	for (i = 0; i < json_array_size(arcs); i++) {
		json_t *arc = json_array_get(arcs, i);
		json_int_t a = json_integer_value(json_array_get(arc, 0));
		json_int_t b = json_integer_value(json_array_get(arc, 1));
		if (json_array_size(arc) == 2 && a > -COVER_BIAS && a < COVER_BIAS && b > -COVER_BIAS &&
		    b < COVER_BIAS)
			c->cover[k++] = cover_arc(a, b);
	}
	qsort(c->cover, k, sizeof(*c->cover), cmp_u64);
	c->ncover = k;
}

static void read_state(struct strvec *names, struct strvec *values, json_t *obj)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		if (!json_is_string(v))
			continue;
		strvec_push(names, key);
		strvec_push(values, json_string_value(v));
	}
}

static char *str_or_null(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s ? xstrdup(s) : NULL;
}

static void add_kill(struct gen_call *c, int mutant)
{
	ALLOC_GROW(c->kills, c->nkills + 1, c->kills_alloc);
	c->kills[c->nkills++] = mutant;
}

int gen_probe_read(struct gen_probe_info *info, struct gen_calls *calls, size_t from, size_t to,
		   const char *path, long *crashed)
{
	struct buf text = BUF_INIT;
	int err;

	*crashed = -1;
	if ((err = fs_read_file(&text, path, PROBE_RESULTS_MAX)) < 0)
		return err;
	err = gen_probe_parse(info, calls, from, to, text.ptr, text.len, crashed);
	buf_release(&text);
	return err;
}

int gen_probe_parse(struct gen_probe_info *info, struct gen_calls *calls, size_t from, size_t to,
		    const char *text, size_t len, long *crashed)
{
	const char *line, *end;
	int err = 0, *seen = NULL;
	size_t i;

	*crashed = -1;
	if (to > calls->nr)
		to = calls->nr;
	if (from > to)
		from = to;
	seen = xcalloc(to > from ? to - from : 1, sizeof(*seen));
	for (line = text, end = text + len; line < end;) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		json_t *obj, *id, *mid;
		const char *ev;
		if (!eol)
			eol = end;
		obj = json_loadb(line, (size_t)(eol - line), JSON_ALLOW_NUL, NULL);
		line = eol + 1;
		if (!json_is_object(obj)) {
			json_decref(obj);
			continue;
		}
		ev = json_string_value(json_object_get(obj, "ev"));
		id = json_object_get(obj, "id");
		mid = json_object_get(obj, "mutant");
		if (ev && !strcmp(ev, "module")) {
			json_t *ls = json_object_get(obj, "lines");
			free(info->name);
			info->name = str_or_null(obj, "name");
			strvec_clear(&info->lines);
			for (i = 0; i < json_array_size(ls); i++)
				strvec_pushf(&info->lines, "%lld",
					     (long long)json_integer_value(json_array_get(ls, i)));
		} else if (ev && !strcmp(ev, "error")) {
			err = error_set("%s", json_string_value(json_object_get(obj, "reason")) ?: "the probe failed");
		} else if (ev && !strcmp(ev, "end")) {
			info->ended = 1;
		} else if (json_is_integer(id)) {
			json_int_t k = json_integer_value(id);
			const char *out = json_string_value(json_object_get(obj, "outcome"));
			struct gen_call *c;
			if (k < (json_int_t)from || k >= (json_int_t)to || (size_t)k >= calls->nr || !out) {
				json_decref(obj);
				continue;
			}
			c = &calls->items[k];
			seen[k - (json_int_t)from] = 1;
			call_clear_outcome(c);
			c->seconds = json_number_value(json_object_get(obj, "seconds"));
			if (!strcmp(out, "value")) {
				c->outcome = GEN_OUT_VALUE;
				c->repr = str_or_null(obj, "repr");
				c->literal = json_is_true(json_object_get(obj, "literal"));
				c->type = str_or_null(obj, "type");
				read_state(&c->attr_names, &c->attr_values, json_object_get(obj, "attrs"));
			} else if (!strcmp(out, "raised")) {
				c->outcome = GEN_OUT_RAISED;
				c->type = str_or_null(obj, "type");
				c->type_module = str_or_null(obj, "type_module");
				c->message = str_or_null(obj, "message");
			} else if (!strcmp(out, "timeout")) {
				c->outcome = GEN_OUT_TIMEOUT;
			} else if (!strcmp(out, "unstable")) {
				c->outcome = GEN_OUT_UNSTABLE;
			} else {
				c->outcome = GEN_OUT_ERROR;
				c->message = str_or_null(obj, "reason");
			}
			if (c->outcome == GEN_OUT_VALUE || c->outcome == GEN_OUT_RAISED) {
				json_t *obs = json_object_get(obj, "observed");
				const char *key;
				json_t *v;
				read_cover(c, json_object_get(obj, "lines"), json_object_get(obj, "arcs"));
				json_object_foreach(obs, key, v)
					read_state(&c->obs_names, &c->obs_values, v);
			}
		} else if (json_is_integer(mid)) {
			json_int_t m = json_integer_value(mid);
			json_t *by = json_object_get(obj, "killed_by"), *tb = json_object_get(obj, "timeout_by");
			if (m >= 0 && (size_t)m < info->nmutants && !info->mutant_done[m]) {
				info->mutant_done[m] = 1;
				info->mutants_run++;
				for (i = 0; i < json_array_size(by); i++) {
					json_int_t k = json_integer_value(json_array_get(by, i));
					if (k >= (json_int_t)from && k < (json_int_t)to && (size_t)k < calls->nr)
						add_kill(&calls->items[k], (int)m);
				}
				info->mutant_timeouts[m] = json_array_size(tb);
				for (i = 0; i < json_array_size(tb); i++) {
					json_int_t k = json_integer_value(json_array_get(tb, i));
					if (k >= (json_int_t)from && k < (json_int_t)to && (size_t)k < calls->nr)
						add_kill(&calls->items[k], (int)m);
				}
				if (json_string_value(json_object_get(obj, "error")))
					info->mutant_errors[m] = 1;
			}
		}
		json_decref(obj);
	}
	if (!err && !info->ended)
		for (i = from; i < to && i < calls->nr; i++)
			if (!seen[i - from]) {
				*crashed = (long)i;
				break;
			}
	free(seen);
	return err;
}

/* ---- coverage sets ------------------------------------------------------- */

struct gen_cover_set {
	uint64_t *slots;    /* 0: empty (no element is 0: lines start at 1) */
	size_t cap, nr, lines;
};

struct gen_cover_set *gen_cover_set_new(void)
{
	struct gen_cover_set *s = xcalloc(1, sizeof(*s));
	s->cap = 256;
	s->slots = xcalloc(s->cap, sizeof(*s->slots));
	return s;
}

void gen_cover_set_free(struct gen_cover_set *s)
{
	if (!s)
		return;
	free(s->slots);
	free(s);
}

static size_t slot_of(const struct gen_cover_set *s, uint64_t x)
{
	size_t i = (size_t)((x * 0x9e3779b97f4a7c15ull) >> 17) & (s->cap - 1);
	while (s->slots[i] && s->slots[i] != x)
		i = (i + 1) & (s->cap - 1);
	return i;
}

static void cover_insert(struct gen_cover_set *s, uint64_t x)
{
	size_t i;

	if ((s->nr + 1) * 2 > s->cap) {
		struct gen_cover_set bigger = { xcalloc(s->cap * 2, sizeof(uint64_t)), s->cap * 2, 0, 0 };
		size_t k;
		for (k = 0; k < s->cap; k++)
			if (s->slots[k])
				bigger.slots[slot_of(&bigger, s->slots[k])] = s->slots[k];
		free(s->slots);
		s->slots = bigger.slots;
		s->cap = bigger.cap;
	}
	i = slot_of(s, x);
	if (!s->slots[i]) {
		s->slots[i] = x;
		s->nr++;
		if (x < (uint64_t)COVER_BIAS)
			s->lines++;
	}
}

int gen_cover_adds(struct gen_cover_set *s, const struct gen_call *c, int add)
{
	size_t i;
	int adds = 0;

	for (i = 0; i < c->ncover; i++)
		if (!s->slots[slot_of(s, c->cover[i])]) {
			adds = 1;
			if (!add)
				break;
			cover_insert(s, c->cover[i]);
		}
	return adds;
}

size_t gen_cover_lines(const struct gen_cover_set *s)
{
	return s->lines;
}
