#include "edit/guard.h"

#include "pyast/pyast.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/strvec.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

/* what is counted per function; the order is the order reasons are given in */
enum measure {
	M_ASSERT,       /* fewer is weaker */
	M_RAISES,
	M_APPROX,
	M_MATCH,        /* match= on pytest.raises */
	M_TRIVIAL,      /* more is weaker */
	M_SKIP,
	M_EARLY_RETURN,
	M_BROAD_RAISES,
	M_TOLERANCE,    /* rel= / abs= on pytest.approx */
	M_SWALLOW,      /* try: assert ... except AssertionError */
	M_COUNT
};

/* how each measure reads in a reason: "<verb> <n> <noun>" */
static const struct {
	int more_is_weaker;
	const char *verb, *one, *many;
} measures[M_COUNT] = {
	[M_ASSERT] = { 0, "loses", "assert", "asserts" },
	[M_RAISES] = { 0, "loses", "pytest.raises", "pytest.raises" },
	[M_APPROX] = { 0, "loses", "pytest.approx", "pytest.approx" },
	[M_MATCH] = { 0, "drops", "match= from pytest.raises", "match= from pytest.raises" },
	[M_TRIVIAL] = { 1, "makes", "assert trivially true", "asserts trivially true" },
	[M_SKIP] = { 1, "adds", "skip or xfail", "skips or xfails" },
	[M_EARLY_RETURN] = { 1, "adds", "return before an assert", "returns before an assert" },
	[M_BROAD_RAISES] = { 1, "widens", "pytest.raises to Exception", "pytest.raises to Exception" },
	[M_TOLERANCE] = { 1, "widens", "pytest.approx tolerance", "pytest.approx tolerances" },
	[M_SWALLOW] = { 1, "swallows", "assert failure in try/except", "assert failures in try/except" },
};

/* one function (or the module, key ""), with what it holds */
struct owner {
	char *key;          /* "test_div", "TestDiv.test_div", "" for module level */
	int is_test;
	int count[M_COUNT];
	size_t last_assert; /* byte offset just past the last assert; 0 if none */
};

struct profile {
	struct owner *items;
	size_t nr, alloc;
};

static void owner_release(struct owner *o)
{
	free(o->key);
}

static void profile_release(struct profile *p)
{
	FREE_ARRAY(p->items, p->nr, owner_release);
	memset(p, 0, sizeof(*p));
}

static struct owner *profile_find(const struct profile *p, const char *key)
{
	size_t i;

	for (i = 0; i < p->nr; i++)
		if (!strcmp(p->items[i].key, key))
			return &p->items[i];
	return NULL;
}

static struct owner *profile_get(struct profile *p, const char *key)
{
	struct owner *o = profile_find(p, key);

	if (o)
		return o;
	ALLOC_APPEND(o, p->items, p->nr, p->alloc);
	o->key = xstrdup(key);
	return o;
}

/* -- reading the tree ----------------------------------------------------- */

static int text_is(const struct pyast *ast, const struct pyast_node *n, const char *s)
{
	return n && pyast_text_is(ast, n, s);
}

static int text_starts(const struct pyast *ast, const struct pyast_node *n, const char *prefix)
{
	size_t len, plen = strlen(prefix);
	const char *t;

	if (!n)
		return 0;
	t = pyast_text(ast, n, &len);
	return len >= plen && !memcmp(t, prefix, plen);
}

static int same_text(const struct pyast *ast, const struct pyast_node *a, const struct pyast_node *b)
{
	size_t alen, blen;
	const char *at, *bt;

	if (!a || !b)
		return 0;
	at = pyast_text(ast, a, &alen);
	bt = pyast_text(ast, b, &blen);
	return alen == blen && !memcmp(at, bt, alen);
}

/* the name a callee or decorator ends in: "assertEqual" for self.assertEqual */
static const struct pyast_node *last_name(const struct pyast_node *fn)
{
	if (!fn)
		return NULL;
	if (pyast_is(fn, "identifier"))
		return fn;
	if (pyast_is(fn, "attribute"))
		return pyast_field(fn, "attribute");
	return NULL;
}

/* the object of an attribute callee ("pytest" in pytest.raises), or NULL */
static const struct pyast_node *callee_object(const struct pyast_node *fn)
{
	return fn && pyast_is(fn, "attribute") ? pyast_field(fn, "object") : NULL;
}

/* pytest's names may be used bare (from pytest import raises) or as pytest.x */
static int is_pytest_call(const struct pyast *ast, const struct pyast_node *fn, const char *name)
{
	const struct pyast_node *obj = callee_object(fn);

	if (!text_is(ast, last_name(fn), name))
		return 0;
	return !obj || text_is(ast, obj, "pytest");
}

static int is_false_literal(const struct pyast *ast, const struct pyast_node *n);

static int is_zero_number(const struct pyast *ast, const struct pyast_node *n)
{
	size_t len, i;
	const char *t = pyast_text(ast, n, &len);
	int digits = 0;

	for (i = 0; i < len; i++) {
		char c = t[i];
		if (c == 'x' || c == 'X' || c == 'o' || c == 'O' || c == 'b' || c == 'B')
			continue;
		if (c == 'e' || c == 'E' || c == 'j' || c == 'J')
			break;
		if ((c >= '1' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))
			return 0;
		digits += c == '0';
	}
	return digits > 0;
}

/* a string literal with no characters between its quotes */
static int is_empty_string(const struct pyast *ast, const struct pyast_node *n)
{
	const struct pyast_node *c;

	for (c = n->child; c; c = c->next)
		if (pyast_is(c, "string_content") || pyast_is(c, "interpolation") ||
		    pyast_is(c, "escape_sequence"))
			return 0;
	return !pyast_is(n, "concatenated_string");
}

static int is_trivially_true(const struct pyast *ast, const struct pyast_node *n)
{
	const struct pyast_node *a, *b, *op;

	if (!n)
		return 0;
	if (pyast_is(n, "true"))
		return 1;
	if (pyast_is(n, "integer") || pyast_is(n, "float"))
		return !is_zero_number(ast, n);
	if (pyast_is(n, "string"))
		return !is_empty_string(ast, n);
	if (pyast_is(n, "tuple") || pyast_is(n, "list") || pyast_is(n, "set") ||
	    pyast_is(n, "dictionary"))
		return pyast_named_count(n) > 0;
	if (pyast_is(n, "parenthesized_expression"))
		return is_trivially_true(ast, pyast_named_child(n, 0));
	if (pyast_is(n, "not_operator"))
		return is_false_literal(ast, pyast_field(n, "argument"));
	if (pyast_is(n, "boolean_operator")) {
		a = pyast_field(n, "left");
		b = pyast_field(n, "right");
		op = pyast_field(n, "operator");
		if (text_is(ast, op, "or"))
			return is_trivially_true(ast, a) || is_trivially_true(ast, b);
		return is_trivially_true(ast, a) && is_trivially_true(ast, b);
	}
	if (pyast_is(n, "comparison_operator") && pyast_named_count(n) == 2) {
		op = pyast_field(n, "operators");
		if (!op || !(text_is(ast, op, "==") || text_is(ast, op, "is") ||
			     text_is(ast, op, "<=") || text_is(ast, op, ">=")))
			return 0;
		return same_text(ast, pyast_named_child(n, 0), pyast_named_child(n, 1));
	}
	return 0;
}

static int is_false_literal(const struct pyast *ast, const struct pyast_node *n)
{
	if (!n)
		return 0;
	if (pyast_is(n, "false") || pyast_is(n, "none"))
		return 1;
	if (pyast_is(n, "integer") || pyast_is(n, "float"))
		return is_zero_number(ast, n);
	if (pyast_is(n, "string"))
		return is_empty_string(ast, n);
	if (pyast_is(n, "tuple") || pyast_is(n, "list") || pyast_is(n, "dictionary"))
		return pyast_named_count(n) == 0;
	if (pyast_is(n, "parenthesized_expression"))
		return is_false_literal(ast, pyast_named_child(n, 0));
	return 0;
}

/* the positional arguments of a call, and the keyword argument `kw` */
static const struct pyast_node *call_arg(const struct pyast_node *call, size_t i)
{
	const struct pyast_node *args = pyast_field(call, "arguments"), *c;

	if (!args)
		return NULL;
	for (c = args->child; c; c = c->next) {
		if (!c->named || pyast_is(c, "keyword_argument") || pyast_is(c, "comment"))
			continue;
		if (!i--)
			return c;
	}
	return NULL;
}

static int has_keyword(const struct pyast *ast, const struct pyast_node *call, const char *kw)
{
	const struct pyast_node *args = pyast_field(call, "arguments"), *c;

	if (!args)
		return 0;
	for (c = args->child; c; c = c->next)
		if (pyast_is(c, "keyword_argument") && text_is(ast, pyast_field(c, "name"), kw))
			return 1;
	return 0;
}

/* Exception, BaseException (AssertionError too when `assertion`), or a tuple holding one */
static int catches_broadly(const struct pyast *ast, const struct pyast_node *n, int assertion)
{
	const struct pyast_node *c;

	if (!n)
		return 0;
	if (text_is(ast, n, "Exception") || text_is(ast, n, "BaseException") ||
	    text_is(ast, n, "builtins.Exception") ||
	    (assertion && text_is(ast, n, "AssertionError")))
		return 1;
	if (pyast_is(n, "tuple") || pyast_is(n, "parenthesized_expression"))
		for (c = n->child; c; c = c->next)
			if (c->named && catches_broadly(ast, c, assertion))
				return 1;
	return 0;
}

static int is_broad_exception(const struct pyast *ast, const struct pyast_node *n)
{
	return catches_broadly(ast, n, 0);
}

/* an except clause that would catch a failing assert of its try body */
static int swallows_asserts(const struct pyast *ast, const struct pyast_node *clause)
{
	const struct pyast_node *try = clause->parent, *body, *caught = NULL, *c, *n;
	const struct pyast_node *name;
	int asserts = 0;

	if (!pyast_is(try, "try_statement") || !(body = pyast_field(try, "body")))
		return 0;
	for (c = clause->child; c; c = c->next)
		if (c->named && !pyast_is(c, "block") && !pyast_is(c, "comment")) {
			caught = pyast_is(c, "as_pattern") ? pyast_named_child(c, 0) : c;
			break;
		}
	if (caught && !catches_broadly(ast, caught, 1))
		return 0;
	for (n = body; (n = pyast_next(ast, n, NULL, 0, 0)) && n->start < body->end && !asserts; ) {
		if (pyast_is(n, "assert_statement"))
			asserts = 1;
		else if (pyast_is(n, "call") && (name = last_name(pyast_field(n, "function"))))
			asserts = text_starts(ast, name, "assert");
	}
	return asserts;
}

static const char *const skip_names[] = {
	"skip", "skipif", "xfail", "importorskip", "skipIf", "skipUnless", "expectedFailure",
	"SkipTest", "skipTest",
};

static const char *const skip_owners[] = {
	"pytest", "pytest.mark", "mark", "unittest", "self", "unittest.case",
};

static int in_names(const struct pyast *ast, const struct pyast_node *n,
		    const char *const *list, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (text_is(ast, n, list[i]))
			return 1;
	return 0;
}

/*
 * A skip: an attribute like pytest.mark.skip or self.skipTest anywhere, or a
 * bare skip name used as a decorator, a callee or what is raised.
 */
static int is_skip(const struct pyast *ast, const struct pyast_node *n)
{
	const struct pyast_node *p = n->parent;

	if (pyast_is(n, "attribute")) {
		if (!in_names(ast, pyast_field(n, "attribute"), skip_names, ARRAY_SIZE(skip_names)))
			return 0;
		return in_names(ast, pyast_field(n, "object"), skip_owners, ARRAY_SIZE(skip_owners));
	}
	if (!pyast_is(n, "identifier") || !p)
		return 0;
	if (!in_names(ast, n, skip_names, ARRAY_SIZE(skip_names)))
		return 0;
	if (pyast_is(p, "decorator") || pyast_is(p, "raise_statement"))
		return 1;
	if (pyast_is(p, "call") && p->child == n)
		return pyast_is(p->parent, "decorator") || pyast_is(p->parent, "expression_statement") ||
		       pyast_is(p->parent, "raise_statement");
	return 0;
}

/*
 * The function that owns `n`: the outermost def around it, a decorator
 * belonging to the def it decorates; else the outermost class; else NULL.
 */
static const struct pyast_node *owner_def(const struct pyast_node *n, const struct pyast_node **cls)
{
	const struct pyast_node *fn = NULL, *a, *d;

	*cls = NULL;
	for (a = n; a; a = a->parent) {
		if (pyast_is(a, "function_definition"))
			fn = a;
		else if (pyast_is(a, "class_definition"))
			*cls = a;
		else if (pyast_is(a, "decorated_definition") && (d = pyast_field(a, "definition"))) {
			if (pyast_is(d, "function_definition"))
				fn = d;
			else if (pyast_is(d, "class_definition"))
				*cls = d;
		}
	}
	return fn;
}

/* "Outer.Inner.name": the classes around a def or class, then its name */
static void qualname(struct buf *out, const struct pyast *ast, const struct pyast_node *def)
{
	const struct pyast_node *a, *chain[64], *name;
	size_t nr = 0, len;
	const char *t;

	for (a = def; a && nr < ARRAY_SIZE(chain); a = a->parent)
		if (pyast_is(a, "class_definition") || a == def)
			chain[nr++] = a;
	while (nr--) {
		name = pyast_field(chain[nr], "name");
		if (!name)
			continue;
		t = pyast_text(ast, name, &len);
		if (out->len)
			buf_addch(out, '.');
		buf_add(out, t, len);
	}
}

static struct owner *owner_of(struct profile *p, const struct pyast *ast, const struct pyast_node *n)
{
	const struct pyast_node *cls, *fn = owner_def(n, &cls);
	struct buf key = BUF_INIT;
	struct owner *o;

	if (fn)
		qualname(&key, ast, fn);
	else if (cls)
		qualname(&key, ast, cls);
	o = profile_get(p, key.ptr);
	if (fn && !o->is_test)
		o->is_test = text_starts(ast, pyast_field(fn, "name"), "test");
	buf_release(&key);
	return o;
}

static void note_assert(struct owner *o, const struct pyast_node *n)
{
	o->count[M_ASSERT]++;
	if (n->end > o->last_assert)
		o->last_assert = n->end;
}

static void measure_call(struct owner *o, const struct pyast *ast, const struct pyast_node *call)
{
	const struct pyast_node *fn = pyast_field(call, "function"), *name = last_name(fn);
	const struct pyast_node *a0, *a1;

	if (!name)
		return;
	if (text_starts(ast, name, "assert") || (text_is(ast, name, "fail") && callee_object(fn) &&
						 (text_is(ast, callee_object(fn), "self") ||
						  text_is(ast, callee_object(fn), "pytest"))))
		note_assert(o, call);
	if (is_pytest_call(ast, fn, "raises") || is_pytest_call(ast, fn, "warns") ||
	    text_starts(ast, name, "assertRaises") || text_starts(ast, name, "assertWarns")) {
		o->count[M_RAISES]++;
		if (call->end > o->last_assert)
			o->last_assert = call->end;
		o->count[M_BROAD_RAISES] += is_broad_exception(ast, call_arg(call, 0));
		o->count[M_MATCH] += has_keyword(ast, call, "match") ||
				     text_starts(ast, name, "assertRaisesRegex");
	}
	if (is_pytest_call(ast, fn, "approx")) {
		o->count[M_APPROX]++;
		o->count[M_TOLERANCE] += has_keyword(ast, call, "rel") + has_keyword(ast, call, "abs");
	}
	a0 = call_arg(call, 0);
	a1 = call_arg(call, 1);
	if ((text_is(ast, name, "assertTrue") || text_is(ast, name, "assert_")) && is_trivially_true(ast, a0))
		o->count[M_TRIVIAL]++;
	else if (text_is(ast, name, "assertFalse") && is_false_literal(ast, a0))
		o->count[M_TRIVIAL]++;
	else if ((text_is(ast, name, "assertEqual") || text_is(ast, name, "assertIs") ||
		  text_is(ast, name, "assertEquals") || text_is(ast, name, "assertAlmostEqual")) &&
		 same_text(ast, a0, a1))
		o->count[M_TRIVIAL]++;
}

static int build_profile(struct profile *p, const struct pyast *ast)
{
	const struct pyast_node *nodes, *n;
	size_t nr, i;
	struct owner *o;

	nodes = pyast_nodes(ast, &nr);
	profile_get(p, "");
	/* every def gets an entry, so a test without asserts is still known */
	for (n = NULL; (n = pyast_next(ast, n, "function_definition", 0, 0)); )
		owner_of(p, ast, n);
	for (i = 0; i < nr; i++) {
		n = &nodes[i];
		if (pyast_is(n, "assert_statement")) {
			o = owner_of(p, ast, n);
			note_assert(o, n);
			o->count[M_TRIVIAL] += is_trivially_true(ast, pyast_named_child(n, 0));
		} else if (pyast_is(n, "call")) {
			measure_call(owner_of(p, ast, n), ast, n);
		}
		if (is_skip(ast, n))
			owner_of(p, ast, n)->count[M_SKIP]++;
		if (pyast_is(n, "except_clause") && swallows_asserts(ast, n))
			owner_of(p, ast, n)->count[M_SWALLOW]++;
	}
	/* returns of the test itself (not of a helper inside it) before its last assert */
	for (n = NULL; (n = pyast_next(ast, n, "return_statement", 0, 0)); ) {
		const struct pyast_node *cls, *def = pyast_enclosing_def(n);
		if (def != owner_def(n, &cls))
			continue;
		o = owner_of(p, ast, n);
		if (o->is_test && n->start < o->last_assert)
			o->count[M_EARLY_RETURN]++;
	}
	return 0;
}

/* -- comparing ------------------------------------------------------------ */

static void add_reason(struct buf *reason, int *found, const char *path)
{
	if (!*found)
		buf_addf(reason, "test file '%s' ", path);
	else
		buf_adds(reason, "; ");
	(*found)++;
}

static void add_measure(struct buf *reason, enum measure m, int n)
{
	buf_addf(reason, "%s %d %s", measures[m].verb, n, n == 1 ? measures[m].one : measures[m].many);
}

static void compare(struct buf *reason, int *found, const char *path,
		    const struct profile *before, const struct profile *after)
{
	size_t i, m;

	for (i = 0; i < before->nr; i++) {
		const struct owner *b = &before->items[i];
		if (b->is_test && !profile_find(after, b->key)) {
			add_reason(reason, found, path);
			buf_addf(reason, "removes or renames test '%s'", b->key);
		}
	}
	for (m = 0; m < M_COUNT; m++) {
		for (i = 0; i < after->nr; i++) {
			const struct owner *a = &after->items[i];
			const struct owner *b = profile_find(before, a->key);
			int was = b ? b->count[m] : 0, diff;
			if (!b && !measures[m].more_is_weaker)
				continue;
			diff = measures[m].more_is_weaker ? a->count[m] - was : was - a->count[m];
			if (diff <= 0)
				continue;
			add_reason(reason, found, path);
			add_measure(reason, m, diff);
			if (*a->key)
				buf_addf(reason, " (in %s)", a->key);
			else
				buf_adds(reason, " (at module level)");
		}
	}
	/* a function lost with its asserts: counted above only for tests */
	for (m = 0; m < M_COUNT; m++) {
		if (measures[m].more_is_weaker)
			continue;
		for (i = 0; i < before->nr; i++) {
			const struct owner *b = &before->items[i];
			if (b->is_test || profile_find(after, b->key) || !b->count[m])
				continue;
			add_reason(reason, found, path);
			add_measure(reason, m, b->count[m]);
			buf_addf(reason, " (with %s, removed)", b->key);
		}
	}
}

int guard_test_weakening(struct buf *reason, const char *path, const char *before, size_t blen,
			 const char *after, size_t alen)
{
	struct pyast *bt = NULL, *at = NULL;
	struct profile bp = { 0 }, ap = { 0 };
	struct buf why = BUF_INIT;
	int found = 0, err;

	if ((err = pyast_parse(&bt, before, blen)) < 0 ||
	    (err = pyast_parse(&at, after, alen)) < 0) {
		err = error_prefix(err, "cannot check test file '%s'", path);
		goto done;
	}
	if (pyast_syntax_ok(bt, NULL) && !pyast_syntax_ok(at, &why)) {
		add_reason(reason, &found, path);
		buf_addf(reason, "no longer parses (%s)", why.ptr);
	}
	build_profile(&bp, bt);
	build_profile(&ap, at);
	compare(reason, &found, path, &bp, &ap);
	err = found ? 1 : 0;
done:
	profile_release(&ap);
	profile_release(&bp);
	buf_release(&why);
	pyast_free(at);
	pyast_free(bt);
	return err;
}

/* -- paths ---------------------------------------------------------------- */

static int has_suffix(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);
	return len >= n && !memcmp(s + len - n, suffix, n);
}

int guard_is_test_file(const char *relpath)
{
	const char *p = relpath, *slash;
	size_t len;

	for (;;) {
		slash = strchr(p, '/');
		len = slash ? (size_t)(slash - p) : strlen(p);
		if (slash) {
			if ((len == 5 && !memcmp(p, "tests", 5)) || (len == 4 && !memcmp(p, "test", 4)))
				return 1;
			p = slash + 1;
			continue;
		}
		break;
	}
	/* the base name */
	if (!has_suffix(p, len, ".py"))
		return 0;
	if (len >= 8 && !memcmp(p, "test_", 5))
		return 1;
	if (has_suffix(p, len, "_test.py"))
		return 1;
	return len == 11 && !memcmp(p, "conftest.py", 11);
}

/* -- pytest's configuration, hooks and plugins ----------------------------- */

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

static void add_config_reason(struct buf *reason, int *found, const char *path)
{
	if (*found)
		buf_adds(reason, "; ");
	buf_addf(reason, "'%s' ", path);
	(*found)++;
}

/* 1 if the ini/toml header `name` (between the brackets, trimmed) is one of `wanted` */
static int header_matches(const char *name, size_t len, const char *const *wanted)
{
	size_t n;

	for (; *wanted; wanted++) {
		n = strlen(*wanted);
		/* "tool.pytest" also takes its subtables: [tool.pytest.ini_options] */
		if (len >= n && !memcmp(name, *wanted, n) &&
		    (len == n || (!strcmp(*wanted, "tool.pytest") && name[n] == '.')))
			return 1;
	}
	return 0;
}

/* the lines of the sections named in `wanted` (headers included), in order */
static void config_sections(struct buf *out, const char *text, size_t len, const char *const *wanted)
{
	const char *p = text, *end = text + len, *eol, *s, *e;
	int in = 0;

	for (; p < end; p = eol + (eol < end)) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		for (s = p; s < eol && (*s == ' ' || *s == '\t'); s++)
			;
		if (s < eol && *s == '[') {
			while (s < eol && *s == '[')
				s++;
			for (e = s; e < eol && *e != ']'; e++)
				;
			while (s < e && (*s == ' ' || *s == '\t' || *s == '"'))
				s++;
			while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '"'))
				e--;
			in = header_matches(s, (size_t)(e - s), wanted);
		}
		if (in)
			buf_add(out, p, (size_t)(eol - p + (eol < end)));
	}
}

/* occurrences of `needle` in <text, len> */
static size_t count_text(const char *text, size_t len, const char *needle)
{
	size_t n = strlen(needle), count = 0, i;

	for (i = 0; i + n <= len; i++)
		if (text[i] == *needle && !memcmp(text + i, needle, n)) {
			count++;
			i += n - 1;
		}
	return count;
}

/* `-p NAME` / `-pNAME` options: a "-p" that starts a word */
static size_t count_plugin_options(const char *text, size_t len)
{
	size_t i, count = 0;

	for (i = 0; i + 1 < len; i++) {
		if (text[i] != '-' || text[i + 1] != 'p')
			continue;
		if (i && !strchr(" \t\n=\"'[,", text[i - 1]))
			continue;
		if (i + 2 < len && (text[i + 2] == '-' || text[i + 2] == '_'))
			continue;
		count++;
	}
	return count;
}

/* environment variables that load plugins or add options to every run */
static const char *const pytest_env_names[] = { "PYTEST_ADDOPTS", "PYTEST_PLUGINS" };

static const char *const pytest_ini_names[] = { "pytest.ini", ".pytest.ini", "pytest.toml", ".pytest.toml" };

static const struct {
	const char *file;
	const char *const sections[3];
	const char *shown;
} config_files[] = {
	{ "tox.ini", { "pytest", NULL }, "[pytest] section" },
	{ "setup.cfg", { "tool:pytest", NULL }, "[tool:pytest] section" },
	{ "pyproject.toml", { "tool.pytest", NULL }, "[tool.pytest.ini_options] table" },
};

static void check_config_text(struct buf *reason, int *found, const char *path, const char *before,
			      size_t blen, const char *after, size_t alen)
{
	const char *name = base_name(path);
	struct buf bs = BUF_INIT, as = BUF_INIT;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(pytest_ini_names); i++)
		if (!strcmp(name, pytest_ini_names[i]) && (blen != alen || memcmp(before, after, alen))) {
			add_config_reason(reason, found, path);
			buf_addf(reason, "is pytest's configuration file, which the change %s",
				 blen ? "edits" : "creates");
			buf_add(&bs, before, blen);
			buf_add(&as, after, alen);
		}
	for (i = 0; i < ARRAY_SIZE(config_files); i++) {
		if (strcmp(name, config_files[i].file))
			continue;
		config_sections(&bs, before, blen, config_files[i].sections);
		config_sections(&as, after, alen, config_files[i].sections);
		if (bs.len != as.len || memcmp(bs.ptr, as.ptr, as.len)) {
			add_config_reason(reason, found, path);
			buf_addf(reason, "changes pytest's configuration (its %s)", config_files[i].shown);
		}
	}
	if (count_plugin_options(as.ptr, as.len) > count_plugin_options(bs.ptr, bs.len))
		buf_adds(reason, ", adding a plugin with '-p' in addopts");
	if (count_text(after, alen, "pytest11") > count_text(before, blen, "pytest11")) {
		add_config_reason(reason, found, path);
		buf_adds(reason, "adds a pytest plugin entry point ('pytest11')");
	}
	for (i = 0; i < ARRAY_SIZE(pytest_env_names); i++)
		if (count_text(after, alen, pytest_env_names[i]) >
		    count_text(before, blen, pytest_env_names[i])) {
			add_config_reason(reason, found, path);
			buf_addf(reason, "sets pytest's environment variable '%s'", pytest_env_names[i]);
		}
	buf_release(&bs);
	buf_release(&as);
}

/* the text of a node as a new string in `sv` */
static void push_text(struct strvec *sv, const struct pyast *ast, const struct pyast_node *n)
{
	struct buf b = BUF_INIT;
	size_t len;
	const char *t = pyast_text(ast, n, &len);

	buf_add(&b, t, len);
	strvec_push(sv, b.ptr);
	buf_release(&b);
}

/* hooks (`def pytest_*`, at any depth) and `pytest_plugins` assignments: names and texts */
static void collect_hooks(struct strvec *names, struct strvec *texts, const struct pyast *ast)
{
	const struct pyast_node *n, *name, *whole;

	for (n = NULL; (n = pyast_next(ast, n, NULL, 0, 0)); ) {
		if (pyast_is(n, "function_definition")) {
			name = pyast_field(n, "name");
			if (!text_starts(ast, name, "pytest_"))
				continue;
			whole = n->parent && pyast_is(n->parent, "decorated_definition") ? n->parent : n;
		} else if (pyast_is(n, "assignment") || pyast_is(n, "augmented_assignment")) {
			name = pyast_field(n, "left");
			if (!text_is(ast, name, "pytest_plugins"))
				continue;
			whole = n;
		} else {
			continue;
		}
		push_text(names, ast, name);
		push_text(texts, ast, whole);
	}
}

static void compare_hooks(struct buf *reason, int *found, const char *path, const struct pyast *bt,
			  const struct pyast *at)
{
	struct strvec bn = STRVEC_INIT, btx = STRVEC_INIT, an = STRVEC_INIT, atx = STRVEC_INIT;
	size_t i;

	collect_hooks(&bn, &btx, bt);
	collect_hooks(&an, &atx, at);
	for (i = 0; i < an.nr; i++) {
		int hook = strcmp(an.v[i], "pytest_plugins") != 0;
		if (strvec_find(&btx, atx.v[i]) >= 0)
			continue;
		add_config_reason(reason, found, path);
		if (strvec_find(&bn, an.v[i]) < 0)
			buf_addf(reason, hook ? "adds the pytest hook '%s'" : "adds '%s' (plugins)", an.v[i]);
		else
			buf_addf(reason, hook ? "changes the pytest hook '%s'" : "changes '%s' (plugins)", an.v[i]);
	}
	for (i = 0; i < bn.nr; i++)
		if (strvec_find(&an, bn.v[i]) < 0) {
			add_config_reason(reason, found, path);
			buf_addf(reason, "removes the pytest hook '%s'", bn.v[i]);
		}
	strvec_clear(&bn);
	strvec_clear(&btx);
	strvec_clear(&an);
	strvec_clear(&atx);
}

/* a def decorated with pytest.fixture / fixture / pytest.fixture(...) */
static int is_fixture(const struct pyast *ast, const struct pyast_node *decorated)
{
	const struct pyast_node *c, *e;

	for (c = decorated->child; c; c = c->next) {
		if (!pyast_is(c, "decorator") || !(e = pyast_named_child(c, 0)))
			continue;
		if (pyast_is(e, "call"))
			e = pyast_field(e, "function");
		e = last_name(e);
		if (text_is(ast, e, "fixture") || text_is(ast, e, "yield_fixture"))
			return 1;
	}
	return 0;
}

/* a top-level statement of a conftest.py that is test code, not configuration */
static int is_test_code(const struct pyast *ast, const struct pyast_node *s, int first)
{
	const struct pyast_node *def = s, *c;

	if (pyast_is(s, "comment"))
		return 1;
	if (first && pyast_is(s, "expression_statement") && pyast_named_count(s) == 1 &&
	    pyast_is(pyast_named_child(s, 0), "string"))
		return 1;   /* the docstring */
	if (pyast_is(s, "import_statement") || pyast_is(s, "import_from_statement") ||
	    pyast_is(s, "future_import_statement")) {
		/* importing a hook registers it; `*` may import one */
		for (c = NULL; (c = pyast_next(ast, c, NULL, s->start_line, s->end_line)); )
			if (pyast_within(c, s) && (pyast_is(c, "wildcard_import") ||
						   (pyast_is(c, "identifier") && text_starts(ast, c, "pytest_"))))
				return 0;
		return 1;
	}
	if (pyast_is(s, "decorated_definition"))
		def = pyast_field(s, "definition");
	if (pyast_is(def, "function_definition"))
		return text_starts(ast, pyast_field(def, "name"), "pytest_") ||   /* judged as a hook */
		       text_starts(ast, pyast_field(def, "name"), "test") ||
		       (def != s && is_fixture(ast, s));
	if (pyast_is(def, "class_definition"))
		return text_starts(ast, pyast_field(def, "name"), "Test");
	return 0;
}

static void collect_conftest_code(struct strvec *out, const struct pyast *ast)
{
	const struct pyast_node *s;
	int first = 1;

	for (s = pyast_root(ast)->child; s; s = s->next) {
		if (!is_test_code(ast, s, first))
			push_text(out, ast, s);
		if (!pyast_is(s, "comment"))
			first = 0;
	}
}

/* the first line of `text`, shortened for a message */
static void add_first_line(struct buf *out, const char *text)
{
	size_t len = strcspn(text, "\n");

	if (len > GUARD_SHOWN_CODE)
		buf_addf(out, "%.*s...", GUARD_SHOWN_CODE, text);
	else
		buf_add(out, text, len);
}

static void compare_conftest(struct buf *reason, int *found, const char *path, const struct pyast *bt,
			     const struct pyast *at)
{
	struct strvec before = STRVEC_INIT, after = STRVEC_INIT;
	const char *first = NULL;
	size_t i, changed = 0;

	collect_conftest_code(&before, bt);
	collect_conftest_code(&after, at);
	for (i = 0; i < after.nr; i++)
		if (strvec_find(&before, after.v[i]) < 0 && changed++ == 0)
			first = after.v[i];
	for (i = 0; i < before.nr; i++)
		if (strvec_find(&after, before.v[i]) < 0 && changed++ == 0)
			first = before.v[i];
	if (changed) {
		add_config_reason(reason, found, path);
		buf_addf(reason, "changes %zu statement%s outside test functions and fixtures ('",
			 changed, changed == 1 ? "" : "s");
		add_first_line(reason, first);
		buf_adds(reason, "')");
	}
	strvec_clear(&before);
	strvec_clear(&after);
}

int guard_config_change(struct buf *reason, const char *path, const char *before, size_t blen,
			const char *after, size_t alen)
{
	struct pyast *bt = NULL, *at = NULL;
	size_t len = strlen(path);
	int found = 0, err = 0;

	check_config_text(reason, &found, path, before, blen, after, alen);
	if (has_suffix(path, len, ".py")) {
		if ((err = pyast_parse(&bt, before, blen)) < 0 ||
		    (err = pyast_parse(&at, after, alen)) < 0) {
			err = error_prefix(err, "cannot check '%s'", path);
			goto done;
		}
		compare_hooks(reason, &found, path, bt, at);
		if (!strcmp(base_name(path), "conftest.py"))
			compare_conftest(reason, &found, path, bt, at);
	}
	err = found ? 1 : 0;
done:
	pyast_free(at);
	pyast_free(bt);
	return err;
}
