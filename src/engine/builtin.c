/*
 * The built-in repair engine: program-repair templates over syntax trees,
 * no network and no key (SPEC C5).
 *
 * 1. Targets. The functions holding the most suspicious lines of the
 *    spectrum (engine_request.suspects: Ochiai over the per-test coverage
 *    map) come first, however the test reached them. Then the failure's
 *    location and frames, deepest first, give the
 *    places to look at and their distance from the crash. Frames in project
 *    source are mutated in their whole enclosing function, the failing
 *    statement first; frames in test files are never touched, but the
 *    functions their statement (then the rest of the test) calls are looked
 *    up in project source and mutated as a whole, one step further away.
 * 2. Mutations. Each template looks at one kind of node and proposes a
 *    replacement of a byte range: swapped operators, +1/-1 on literals,
 *    indices, slice bounds and range() arguments, swapped arguments and
 *    names, missing returns, ... (see `templates` below). Then the field's
 *    fix patterns (TBar's catalogue in Python terms): an undefined name for
 *    the nearest defined one, a closure's variables, attribute and callee
 *    names used in the file, literals for names in scope, an argument or
 *    element added from the names in scope, a return value, a guard before
 *    a crash, a missed statement built from the function's own ingredients,
 *    a wrapped expression, a removed or moved statement, a recursion's base
 *    case. Nested functions are mutated with their enclosing function, each
 *    with its own names. Inserted, removed and moved statements cost at most
 *    STMT_SIZE_CAP for their size, so the priors decide between them.
 * 3. Ranking. The suspiciousness of the mutated line first, then frame
 *    distance, then a cost: off the failing statement,
 *    size of the change, what the error type hints at (KeyError: .get()),
 *    less a bonus for templates high in the knowledge base's order; then
 *    that order itself, then the templates' own order.
 * 4. Candidates. In that order, each mutation becomes one EDIT_UPDATE on
 *    whole lines (widened until unique in the file); results that do not
 *    parse or that repeat an earlier result are dropped.
 */
#define _GNU_SOURCE /* memmem */
#include "engine/engine.h"

#include "edit/guard.h"
#include "project/project.h"
#include "pyast/pyast.h"
#include "util/buf.h"
#include "util/distance.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* the templates, in their own order of likelihood (the last tie-break) */
enum tpl {
	T_CMP_BOUNDARY,   /* < <-> <=, > <-> >= */
	T_OFFSET_DROP,    /* x + 1 -> x */
	T_RANGE_SHIFT,    /* range(n) -> range(n + 1) */
	T_SLICE_SHIFT,    /* xs[a:b] -> xs[a:b + 1] */
	T_INDEX_SHIFT,    /* xs[i] -> xs[i - 1] */
	T_LEN_SHIFT,      /* len(x) -> len(x) - 1 */
	T_ARITH_SWAP,     /* + <-> -, * <-> /, / <-> // */
	T_BOOL_SWAP,      /* and <-> or */
	T_CMP_NEGATE,     /* == <-> !=, is <-> is not, in <-> not in, < -> >= */
	T_CMP_FLIP,       /* < <-> >, <= <-> >= */
	T_ADD_RETURN,     /* a missing return */
	T_PRINT_RETURN,   /* print(x) where return x was meant */
	T_RETURN_DEDENT,  /* a return inside a loop that belongs after it */
	T_BUILTIN_SWAP,   /* min <-> max, any <-> all, floor <-> ceil, ... */
	T_SORTED_REVERSE, /* sorted(x) <-> sorted(x, reverse=True) */
	T_VAR_REPLACE,    /* a variable where another was meant */
	T_ARGS_SWAP,      /* f(a, b) -> f(b, a) */
	T_COND_NEGATE,    /* if c -> if not c */
	T_NOT_DROP,       /* not x -> x */
	T_BOOL_LITERAL,   /* True <-> False */
	T_INT_TWEAK,      /* 3 -> 2, 3 -> 4 */
	T_RANGE_START,    /* range(n) -> range(1, n + 1) */
	T_OPERAND_SWAP,   /* a - b -> b - a */
	T_DICT_GET,       /* d[k] -> d.get(k), on KeyError */
	T_DIV_GUARD,      /* a / b -> (a / b if b else 0), on ZeroDivisionError */
	T_RETURN_DROP,    /* a return with dead code after it */
	T_PARAM_SWAP,     /* def f(a, b) -> def f(b, a) */
	/* the field's fix patterns (TBar's catalogue, in Python terms) */
	T_IS_EQ,          /* is <-> ==, is not <-> != */
	T_AUG_ASSIGN,     /* |= <-> &=, += -> =, = -> += in a loop */
	T_UNDEFINED_NAME, /* an undefined name -> the nearest defined one */
	T_ATTR_REPLACE,   /* edge.source -> edge.target: attributes used in the file */
	T_CALL_REPLACE,   /* f(x) -> g(x), obj.m() -> obj.n(): defs and methods of the file */
	T_LITERAL_NAME,   /* while True -> while pending: a literal where a name belongs */
	T_ARG_ADD,        /* f(a) -> f(a, b): a parameter of an in-file callee left out */
	T_ARG_DROP,       /* f(a, b) -> f(a) */
	T_ELEMENT_ADD,    /* [] -> [item], [a] -> [a, b] */
	T_RETURN_VALUE,   /* return None -> return result */
	T_GUARD,          /* if x is None: return ..., before the crash */
	T_GUARD_COND,     /* if x.ok -> if x is not None and x.ok, at the crash */
	T_STMT_INSERT,    /* items.append(item), i += 1, node = node.next, return x */
	T_WRAP,           /* e -> max(0, e), abs(e), len(e), e[1:], e[:-1], [e] */
	T_OPERAND_DROP,   /* a and b -> a, a + b -> a */
	T_STMT_DROP,      /* a statement that should not be there */
	T_STMT_MOVE,      /* two adjacent statements in the wrong order */
	T_BASE_CASE,      /* if n <= 1: return n, at the top of a recursive function */
	T_COUNT
};

/* what the size of an inserted, removed or moved statement costs at most */
#define STMT_SIZE_CAP 2.5

static const struct {
	const char *name;
	double prior;     /* added to the cost: templates that propose many mutations pay a little */
	double size_cap;  /* the most the size of its change costs (0: no cap): whole statements */
} templates[T_COUNT] = {
	[T_CMP_BOUNDARY] = { "cmp-boundary", 0 },
	[T_OFFSET_DROP] = { "offset-drop", 0 },
	[T_RANGE_SHIFT] = { "range-shift", 0 },
	[T_SLICE_SHIFT] = { "slice-shift", 0 },
	[T_INDEX_SHIFT] = { "index-shift", 0.2 },
	[T_LEN_SHIFT] = { "len-shift", 0.2 },
	[T_ARITH_SWAP] = { "arith-swap", 0 },
	[T_BOOL_SWAP] = { "bool-swap", 0 },
	[T_CMP_NEGATE] = { "cmp-negate", 0.2 },
	[T_CMP_FLIP] = { "cmp-flip", 0.3 },
	[T_ADD_RETURN] = { "add-return", 0 },
	[T_PRINT_RETURN] = { "print-return", 0 },
	[T_RETURN_DEDENT] = { "return-dedent", 0 },
	[T_BUILTIN_SWAP] = { "builtin-swap", 0 },
	[T_SORTED_REVERSE] = { "sorted-reverse", 0.5 },
	[T_VAR_REPLACE] = { "var-replace", 0.5 },
	[T_ARGS_SWAP] = { "args-swap", 0.5 },
	[T_COND_NEGATE] = { "cond-negate", 0.5 },
	[T_NOT_DROP] = { "not-drop", 0.5 },
	[T_BOOL_LITERAL] = { "bool-literal", 0.5 },
	[T_INT_TWEAK] = { "int-tweak", 0.5 },
	[T_RANGE_START] = { "range-start", 1 },
	[T_OPERAND_SWAP] = { "operand-swap", 1 },
	[T_DICT_GET] = { "dict-get", 0 },
	[T_DIV_GUARD] = { "div-guard", 0 },
	[T_RETURN_DROP] = { "return-drop", 2 },
	[T_PARAM_SWAP] = { "param-swap", 2 },
	[T_IS_EQ] = { "is-eq", 0.5 },
	[T_AUG_ASSIGN] = { "aug-assign", 0.5 },
	[T_UNDEFINED_NAME] = { "undefined-name", 0 },
	[T_ATTR_REPLACE] = { "attr-replace", 1 },
	[T_CALL_REPLACE] = { "call-replace", 1.2 },
	[T_LITERAL_NAME] = { "literal-name", 1 },
	[T_ARG_ADD] = { "arg-add", 0.5 },
	[T_ARG_DROP] = { "arg-drop", 2 },
	[T_ELEMENT_ADD] = { "element-add", 1 },
	[T_RETURN_VALUE] = { "return-value", 1 },
	[T_GUARD] = { "guard", 0, STMT_SIZE_CAP },
	[T_GUARD_COND] = { "guard-cond", 0, STMT_SIZE_CAP },
	[T_STMT_INSERT] = { "stmt-insert", 0.5, STMT_SIZE_CAP },
	[T_WRAP] = { "wrap", 1 },
	[T_OPERAND_DROP] = { "operand-drop", 1.5 },
	[T_STMT_DROP] = { "stmt-drop", 2, STMT_SIZE_CAP },
	[T_STMT_MOVE] = { "stmt-move", 1.5, STMT_SIZE_CAP },
	[T_BASE_CASE] = { "base-case", 0.5, STMT_SIZE_CAP },
};

/* undefined names: nearest defined names tried, and the farthest edit distance */
#define UNDEFINED_MAX 3
#define UNDEFINED_MAX_DISTANCE 3
/* attributes, methods and functions tried in place of one */
#define ATTR_REPLACE_MAX 4
/* in-scope names tried in place of a literal, as a new argument or element */
#define NAMES_TRIED_MAX 4
/* names a guard is built on, and the bodies it may have */
#define GUARD_NAMES_MAX 3
#define GUARD_BODIES_MAX 3
/* loops, collections and places a missing statement is tried in */
#define INSERT_MAX 3
/* base cases tried at the top of a recursive function */
#define BASE_CASE_MAX 24
/* the longest return value reused in a guard or base case */
#define RETURN_TEXT_MAX 24
/* nested functions mutated inside a target function */
#define NESTED_MAX_DEPTH 3
/* names kept per list about a file (beyond: treated as if any name may be defined) */
#define FILE_NAMES_MAX 4096
/* names longer than this are not compared for an undefined one */
#define EDIT_NAME_MAX 64
#define EDIT_DISTANCE_FAR 1000

/* cost of a mutation off the failing statement, and per line further away */
#define OFF_FOCUS_COST 3.0
#define OFF_FOCUS_PER_LINE 0.1
#define OFF_FOCUS_MAX_LINES 20
/* cost of a variable of the other kind (a local for a parameter) */
#define OTHER_KIND_COST 1.5
/* cost of an enclosing function's variable (a closure's) for one of ours */
#define OUTER_COST 0.5
/* the cost taken off the template that succeeded most in this project (knowledge base) */
#define KB_BONUS 2.0
/* replacements tried per name */
#define VAR_REPLACE_MAX 6
/* extra `return <local>` tried at the end of a function */
#define RETURN_LOCALS_MAX 4
/* how much of a node a description quotes */
#define DESCRIBE_MAX 60
/* the deepest directory the definition scan goes */
#define SCAN_MAX_DEPTH 8

struct source {
	char *path;         /* relative to the root */
	struct pyast *ast;
	int broken;         /* does not parse cleanly: never mutated */
};

struct mutation {
	size_t src;         /* index into ctx.sources */
	size_t start, end;  /* the byte range replaced */
	char *text;         /* its replacement */
	enum tpl tpl;
	int distance;
	size_t size;
	double cost;
	int kb_rank;
	long suspicion;     /* the Ochiai score of its most suspicious line, in millionths; 0: none */
};

struct target {
	char *path;
	int line;           /* a frame's or a suspect's line; 0 for a called function */
	char *function;     /* a called function's name; NULL for a frame */
	int distance;
	double score;       /* the best suspect in its function (engine_request.suspects); 0: none */
	int spectrum;       /* found by its suspects alone: the whole function, no failing statement */
};

struct ctx {
	const struct engine_request *req;
	const char *error_type;   /* its last dotted part, "" when unknown */
	const char *message;      /* "" when unknown */
	struct source *sources;
	size_t nr_sources, alloc_sources;
	struct target *targets;
	size_t nr_targets, alloc_targets;
	struct mutation *muts;
	size_t nr_muts, alloc_muts;
	size_t *regions;          /* the functions already mutated, by source index and start */
	size_t nr_regions, alloc_regions;
	/* the region being mutated */
	size_t cur;
	const struct pyast *ast;
	const char *text;
	size_t len;
	int distance;
	int focus_first, focus_last; /* the failing statement's lines; 0 for a called function */
	struct pyast_names names;
	char **suspect_paths;     /* req->suspects' files relative to the root; NULL: not the project's */
	struct strvec outer;      /* parameters and locals of the enclosing functions (closures) */
	struct strvec scope;      /* parameters (not self or cls), locals, then `outer` */
	/* the file being mutated, as a whole */
	struct strvec bound;      /* every name bound somewhere: parameters, targets, imports */
	struct strvec attrs;      /* attribute names read or written, not called */
	struct strvec attr_uses;  /* "obj.attr" for those on a plain name */
	struct strvec methods;    /* attribute names called */
	struct strvec method_uses;/* "obj.meth" for those on a plain name */
	int star_import;          /* `from x import *`: any name may be defined */
	size_t names_of;          /* the source these are about, plus one; 0: none yet */
};

/* -- small helpers -------------------------------------------------------- */

static int is(const struct pyast_node *n, const char *type)
{
	return n && pyast_is(n, type);
}

static int text_is(const struct ctx *c, const struct pyast_node *n, const char *s)
{
	return n && pyast_text_is(c->ast, n, s);
}

static const char *ntext(const struct ctx *c, const struct pyast_node *n, size_t *len)
{
	return pyast_text(c->ast, n, len);
}

static void add_node_text(struct buf *out, const struct ctx *c, const struct pyast_node *n)
{
	size_t len;
	const char *t = ntext(c, n, &len);
	buf_add(out, t, len);
}

static int field_is(const struct pyast_node *n, const char *field)
{
	return n->field && !strcmp(n->field, field);
}

/* the named children that are not comments */
static const struct pyast_node *first_stmt(const struct pyast_node *block)
{
	const struct pyast_node *s;

	for (s = block ? block->child : NULL; s; s = s->next)
		if (s->named && !is(s, "comment"))
			return s;
	return NULL;
}

static const struct pyast_node *next_stmt(const struct pyast_node *s)
{
	for (s = s->next; s; s = s->next)
		if (s->named && !is(s, "comment"))
			return s;
	return NULL;
}

static const struct pyast_node *last_stmt(const struct pyast_node *block)
{
	const struct pyast_node *s, *last = NULL;

	for (s = first_stmt(block); s; s = next_stmt(s))
		last = s;
	return last;
}

/* the whitespace before `n` on its line, when only whitespace is there */
static int indentation(const struct ctx *c, const struct pyast_node *n, size_t *start, size_t *end)
{
	size_t ls, le, i;

	if (pyast_line_range(c->ast, n->start_line, &ls, &le) < 0)
		return -1;
	for (i = ls; i < n->start; i++)
		if (c->text[i] != ' ' && c->text[i] != '\t')
			return -1;
	*start = ls;
	*end = n->start;
	return 0;
}

/* a decimal integer literal that fits: "42"; not 0x2a, 1_000 or 007 */
static int int_value(const struct ctx *c, const struct pyast_node *n, long long *out)
{
	size_t len, i;
	const char *t;
	long long v = 0;

	if (!is(n, "integer"))
		return -1;
	t = ntext(c, n, &len);
	if (!len || len > 15 || (len > 1 && t[0] == '0'))
		return -1;
	for (i = 0; i < len; i++) {
		if (t[i] < '0' || t[i] > '9')
			return -1;
		v = v * 10 + (t[i] - '0');
	}
	*out = v;
	return 0;
}

/* expressions that take "+ 1" without parentheses */
static int is_additive_safe(const struct ctx *c, const struct pyast_node *n)
{
	const struct pyast_node *op;

	if (is(n, "identifier") || is(n, "integer") || is(n, "float") || is(n, "call") ||
	    is(n, "attribute") || is(n, "subscript") || is(n, "parenthesized_expression") ||
	    is(n, "unary_operator"))
		return 1;
	if (!is(n, "binary_operator"))
		return 0;
	op = pyast_field(n, "operator");
	return text_is(c, op, "+") || text_is(c, op, "-") || text_is(c, op, "*") ||
	       text_is(c, op, "/") || text_is(c, op, "//") || text_is(c, op, "%") ||
	       text_is(c, op, "**");
}

/*
 * `n` shifted by `delta` (+1 or -1) into `out`: literal arithmetic when it
 * can ("3" -> "4", "i + 1" -> "i", "-1" -> "0"), else "n + 1".
 */
static void shifted(struct buf *out, const struct ctx *c, const struct pyast_node *n, int delta)
{
	const struct pyast_node *left, *op, *right, *arg;
	long long v;

	if (!int_value(c, n, &v)) {
		buf_addf(out, "%lld", v + delta);
		return;
	}
	if (is(n, "unary_operator") && text_is(c, pyast_field(n, "operator"), "-") &&
	    !int_value(c, (arg = pyast_field(n, "argument")), &v)) {
		buf_addf(out, "%lld", -v + delta);
		return;
	}
	if (is(n, "binary_operator")) {
		left = pyast_field(n, "left");
		op = pyast_field(n, "operator");
		right = pyast_field(n, "right");
		if (left && op && right && !int_value(c, right, &v) &&
		    (text_is(c, op, "+") || text_is(c, op, "-"))) {
			long long off = (text_is(c, op, "+") ? v : -v) + delta;
			add_node_text(out, c, left);
			if (off) {
				buf_add(out, c->text + left->end, op->start - left->end);
				buf_addch(out, off > 0 ? '+' : '-');
				buf_add(out, c->text + op->end, right->start - op->end);
				buf_addf(out, "%lld", off > 0 ? off : -off);
			}
			return;
		}
	}
	if (is_additive_safe(c, n)) {
		add_node_text(out, c, n);
	} else {
		buf_addch(out, '(');
		add_node_text(out, c, n);
		buf_addch(out, ')');
	}
	buf_adds(out, delta > 0 ? " + 1" : " - 1");
}

/* -- emitting mutations ----------------------------------------------------- */

static int kb_rank(const struct ctx *c, enum tpl t)
{
	const struct strvec *order = c->req->template_order;
	int i;

	if (!order)
		return 0;
	i = strvec_find(order, templates[t].name);
	return i < 0 ? (int)order->nr : i;
}

/* what the knowledge base says: up to KB_BONUS off for its first template, less down the list */
static double kb_bonus(const struct ctx *c, int rank)
{
	const struct strvec *order = c->req->template_order;

	if (!order || !order->nr || rank >= (int)order->nr)
		return 0;
	return -KB_BONUS * (double)(order->nr - (size_t)rank) / (double)order->nr;
}

/* hints from the error: negative costs for templates that fit it */
static double hint(const struct ctx *c, enum tpl t)
{
	const char *e = c->error_type;

	if (!strcmp(e, "KeyError") && t == T_DICT_GET)
		return -4;
	if (!strcmp(e, "ZeroDivisionError") && t == T_DIV_GUARD)
		return -4;
	if (!strcmp(e, "IndexError") &&
	    (t == T_INDEX_SHIFT || t == T_SLICE_SHIFT || t == T_RANGE_SHIFT || t == T_LEN_SHIFT ||
	     t == T_OFFSET_DROP || t == T_CMP_BOUNDARY))
		return -1.5;
	if ((!strcmp(e, "NameError") || !strcmp(e, "UnboundLocalError")) && t == T_VAR_REPLACE)
		return -2;
	if ((t == T_ADD_RETURN || t == T_PRINT_RETURN) && strstr(c->message, "None"))
		return -6;
	if ((!strcmp(e, "NameError") || !strcmp(e, "UnboundLocalError")) && t == T_UNDEFINED_NAME)
		return -3;
	if (!strcmp(e, "RecursionError") && t == T_BASE_CASE)
		return -4;
	if (!strcmp(e, "TypeError") && strstr(c->message, "argument") && (t == T_ARG_ADD || t == T_ARG_DROP))
		return -3;
	if ((t == T_GUARD || t == T_GUARD_COND) && strstr(c->message, "NoneType"))
		return -2;
	if (!strcmp(e, "AttributeError") && (t == T_ATTR_REPLACE || t == T_CALL_REPLACE))
		return -1.5;
	if ((!strcmp(e, "IndexError") || !strcmp(e, "ZeroDivisionError") || !strcmp(e, "KeyError")) &&
	    (t == T_GUARD || t == T_GUARD_COND))
		return -1;
	if (t == T_RETURN_VALUE && strstr(c->message, "None"))
		return -2;
	return 0;
}

/* bytes changed: the differing middle once the common head and tail are gone */
static size_t diff_size(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t head = 0, tail = 0;

	while (head < alen && head < blen && a[head] == b[head])
		head++;
	while (tail < alen - head && tail < blen - head && a[alen - 1 - tail] == b[blen - 1 - tail])
		tail++;
	return (alen - head - tail) > (blen - head - tail) ? alen - head - tail : blen - head - tail;
}

static void emit(struct ctx *c, enum tpl t, size_t start, size_t end, const char *text, size_t tlen,
		 double extra)
{
	struct mutation *m;
	size_t size = diff_size(c->text + start, end - start, text, tlen);
	int first = pyast_line_of(c->ast, start), last = pyast_line_of(c->ast, end > start ? end - 1 : start);
	double cost = 0, size_cost;
	int rank;

	if (!size || c->nr_muts >= ENGINE_MAX_MUTATIONS)
		return;
	if (c->focus_first && (first < c->focus_first || last > c->focus_last)) {
		int away = first < c->focus_first ? c->focus_first - first : last - c->focus_last;
		if (away > OFF_FOCUS_MAX_LINES)
			away = OFF_FOCUS_MAX_LINES;
		cost += OFF_FOCUS_COST + OFF_FOCUS_PER_LINE * away;
	}
	size_cost = sqrt((double)size);
	if (templates[t].size_cap && size_cost > templates[t].size_cap)
		size_cost = templates[t].size_cap;
	cost += size_cost + templates[t].prior + hint(c, t) + extra;
	rank = kb_rank(c, t);
	cost += kb_bonus(c, rank);
	ALLOC_GROW(c->muts, c->nr_muts + 1, c->alloc_muts);
	m = &c->muts[c->nr_muts++];
	m->src = c->cur;
	m->start = start;
	m->end = end;
	m->text = xstrndup(text, tlen);
	m->tpl = t;
	m->distance = c->distance;
	m->size = size;
	m->cost = cost;
	m->kb_rank = rank;
}

static void emit_buf(struct ctx *c, enum tpl t, const struct pyast_node *n, struct buf *b, double extra)
{
	emit(c, t, n->start, n->end, b->ptr, b->len, extra);
	buf_reset(b);
}

/* `n` shifted by `delta`; past the end of a sequence (IndexError), smaller comes first */
static void emit_shift(struct ctx *c, enum tpl t, const struct pyast_node *n, int delta, struct buf *b)
{
	shifted(b, c, n, delta);
	emit_buf(c, t, n, b, delta > 0 && !strcmp(c->error_type, "IndexError") ? 0.1 : 0);
}

static void emit_str(struct ctx *c, enum tpl t, const struct pyast_node *n, const char *s, double extra)
{
	emit(c, t, n->start, n->end, s, strlen(s), extra);
}

/* -- templates on expressions ---------------------------------------------- */

/* a swap goes both ways, a -> b and b -> a, unless it is one-way */
enum swap_ways { BOTH_WAYS, ONE_WAY };

struct swap {
	const char *a, *b;
	enum tpl tpl;
	enum swap_ways ways;
};

static const struct swap cmp_swaps[] = {
	{ "<", "<=", T_CMP_BOUNDARY, BOTH_WAYS }, { ">", ">=", T_CMP_BOUNDARY, BOTH_WAYS },
	{ "<", ">", T_CMP_FLIP, BOTH_WAYS }, { "<=", ">=", T_CMP_FLIP, BOTH_WAYS },
	{ "<", ">=", T_CMP_NEGATE, BOTH_WAYS }, { ">", "<=", T_CMP_NEGATE, BOTH_WAYS },
	{ "==", "!=", T_CMP_NEGATE, BOTH_WAYS }, { "is", "is not", T_CMP_NEGATE, BOTH_WAYS },
	{ "in", "not in", T_CMP_NEGATE, BOTH_WAYS },
	{ "is", "==", T_IS_EQ, BOTH_WAYS }, { "is not", "!=", T_IS_EQ, BOTH_WAYS },
};

static const struct swap arith_swaps[] = {
	{ "+", "-", T_ARITH_SWAP, BOTH_WAYS }, { "*", "/", T_ARITH_SWAP, BOTH_WAYS },
	{ "/", "//", T_ARITH_SWAP, BOTH_WAYS }, { "//", "%", T_ARITH_SWAP, BOTH_WAYS },
	{ "**", "*", T_ARITH_SWAP, ONE_WAY },
	{ "+=", "-=", T_ARITH_SWAP, BOTH_WAYS }, { "*=", "/=", T_ARITH_SWAP, BOTH_WAYS },
	{ "/=", "//=", T_ARITH_SWAP, BOTH_WAYS },
	{ "|", "&", T_ARITH_SWAP, BOTH_WAYS }, { "&", "^", T_ARITH_SWAP, ONE_WAY },
	{ "<<", ">>", T_ARITH_SWAP, BOTH_WAYS },
};

static const struct swap aug_swaps[] = {
	{ "|=", "&=", T_AUG_ASSIGN, BOTH_WAYS }, { "|=", "^=", T_AUG_ASSIGN, BOTH_WAYS },
	{ "&=", "^=", T_AUG_ASSIGN, BOTH_WAYS }, { "<<=", ">>=", T_AUG_ASSIGN, BOTH_WAYS },
	{ "+=", "=", T_AUG_ASSIGN, ONE_WAY }, { "-=", "=", T_AUG_ASSIGN, ONE_WAY },
	{ "*=", "=", T_AUG_ASSIGN, ONE_WAY }, { "|=", "=", T_AUG_ASSIGN, ONE_WAY },
	{ "&=", "=", T_AUG_ASSIGN, ONE_WAY },
};

static const struct swap name_swaps[] = {
	{ "min", "max", T_BUILTIN_SWAP, BOTH_WAYS }, { "any", "all", T_BUILTIN_SWAP, BOTH_WAYS },
	{ "floor", "ceil", T_BUILTIN_SWAP, BOTH_WAYS }, { "round", "int", T_BUILTIN_SWAP, BOTH_WAYS },
	{ "startswith", "endswith", T_BUILTIN_SWAP, BOTH_WAYS },
	{ "lstrip", "rstrip", T_BUILTIN_SWAP, BOTH_WAYS },
	{ "lower", "upper", T_BUILTIN_SWAP, BOTH_WAYS }, { "find", "rfind", T_BUILTIN_SWAP, BOTH_WAYS },
};

static int slice_is(const char *s, const char *p, size_t len)
{
	return strlen(s) == len && !memcmp(s, p, len);
}

/* emit each swap of `from` (`len` bytes) for the bytes [start, end), in the table's order */
static void swap_each(struct ctx *c, const struct swap *swaps, size_t nr, const char *from,
		      size_t len, size_t start, size_t end)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		const char *to = NULL;
		if (slice_is(swaps[i].a, from, len))
			to = swaps[i].b;
		else if (swaps[i].ways == BOTH_WAYS && slice_is(swaps[i].b, from, len))
			to = swaps[i].a;
		if (to)
			emit(c, swaps[i].tpl, start, end, to, strlen(to), 0);
	}
}

/* replace the bytes [start, end) holding `from` by each swap it has */
static void apply_swaps(struct ctx *c, const struct swap *swaps, size_t nr, size_t start, size_t end)
{
	swap_each(c, swaps, nr, c->text + start, end - start, start, end);
}

/* emit each swap for operator `from`, which sits at [start, end) */
static void swap_named(struct ctx *c, const struct swap *swaps, size_t nr, const char *from,
		       size_t start, size_t end)
{
	swap_each(c, swaps, nr, from, strlen(from), start, end);
}

static void tpl_comparison(struct ctx *c, const struct pyast_node *n)
{
	const struct pyast_node *k;

	for (k = n->child; k; k = k->next) {
		if (k->named || !field_is(k, "operators"))
			continue;
		/* "is not" and "not in" come as two tokens, both of that type */
		if ((!strcmp(k->type, "is not") || !strcmp(k->type, "not in")) && k->next &&
		    !strcmp(k->next->type, k->type)) {
			swap_named(c, cmp_swaps, ARRAY_SIZE(cmp_swaps), k->type, k->start, k->next->end);
			k = k->next;
			continue;
		}
		apply_swaps(c, cmp_swaps, ARRAY_SIZE(cmp_swaps), k->start, k->end);
	}
}

static int is_string(const struct pyast_node *n)
{
	return is(n, "string") || is(n, "concatenated_string");
}

static void tpl_binary(struct ctx *c, const struct pyast_node *n, struct buf *b)
{
	const struct pyast_node *l = pyast_field(n, "left"), *op = pyast_field(n, "operator");
	const struct pyast_node *r = pyast_field(n, "right");
	long long v;

	if (!l || !op || !r || is_string(l) || is_string(r))
		return;
	apply_swaps(c, arith_swaps, ARRAY_SIZE(arith_swaps), op->start, op->end);
	/* x + 1 -> x */
	if ((text_is(c, op, "+") || text_is(c, op, "-")) && !int_value(c, r, &v)) {
		add_node_text(b, c, l);
		emit_buf(c, T_OFFSET_DROP, n, b, 0);
	}
	/* a - b -> b - a */
	if (text_is(c, op, "-") || text_is(c, op, "/") || text_is(c, op, "//") ||
	    text_is(c, op, "%") || text_is(c, op, "**")) {
		add_node_text(b, c, r);
		buf_add(b, c->text + l->end, r->start - l->end);
		add_node_text(b, c, l);
		emit_buf(c, T_OPERAND_SWAP, n, b, 0);
	}
	/* a / b -> (a / b if b else 0) */
	if (!strcmp(c->error_type, "ZeroDivisionError") &&
	    (text_is(c, op, "/") || text_is(c, op, "//") || text_is(c, op, "%"))) {
		buf_addch(b, '(');
		add_node_text(b, c, n);
		buf_adds(b, " if ");
		add_node_text(b, c, r);
		buf_adds(b, " else 0)");
		emit_buf(c, T_DIV_GUARD, n, b, 0);
	}
}

static void tpl_augmented(struct ctx *c, const struct pyast_node *n)
{
	const struct pyast_node *op = pyast_field(n, "operator"), *r = pyast_field(n, "right");

	if (op && !is_string(r))
		apply_swaps(c, arith_swaps, ARRAY_SIZE(arith_swaps), op->start, op->end);
	if (op)
		apply_swaps(c, aug_swaps, ARRAY_SIZE(aug_swaps), op->start, op->end);
}

/* total = x -> total += x: an assignment in a loop to a name assigned before it */
static void tpl_assign_to_aug(struct ctx *c, const struct pyast_node *n)
{
	const struct pyast_node *l = pyast_field(n, "left"), *r = pyast_field(n, "right"), *k, *p;
	size_t len;
	const char *t;

	if (!is(l, "identifier") || !r || is_string(r))
		return;
	for (p = n->parent; p && !is(p, "for_statement") && !is(p, "while_statement"); p = p->parent)
		if (is(p, "function_definition"))
			return;
	if (!p)
		return;
	t = ntext(c, l, &len);
	if (pyast_names_kind(&c->names, t, len) != PYAST_NAME_LOCAL)
		return;
	for (k = l->next; k && k != r; k = k->next)
		if (!k->named && text_is(c, k, "=")) {
			emit(c, T_AUG_ASSIGN, k->start, k->end, "+=", 2, 0);
			emit(c, T_AUG_ASSIGN, k->start, k->end, "|=", 2, 0.5);
		}
}

static int in_decorator(const struct pyast_node *n)
{
	return pyast_ancestor(n, "decorator") != NULL;
}

static void tpl_integer(struct ctx *c, const struct pyast_node *n, struct buf *b)
{
	long long v;

	if (int_value(c, n, &v) < 0 || in_decorator(n))
		return;
	buf_addf(b, "%lld", v + 1);
	emit_buf(c, T_INT_TWEAK, n, b, 0);
	if (v > 0) {
		buf_addf(b, "%lld", v - 1);
		emit_buf(c, T_INT_TWEAK, n, b, 0);
	}
}

/* an expression being assigned to or deleted, not read */
static int is_store(const struct pyast_node *n)
{
	const struct pyast_node *p = n->parent;

	while (p && (is(p, "pattern_list") || is(p, "tuple_pattern") || is(p, "list_pattern") ||
		     is(p, "expression_list"))) {
		n = p;
		p = p->parent;
	}
	if (!p)
		return 0;
	if ((is(p, "assignment") || is(p, "augmented_assignment") || is(p, "for_statement") ||
	     is(p, "for_in_clause")) && field_is(n, "left"))
		return 1;
	return is(p, "delete_statement");
}

static void tpl_subscript(struct ctx *c, const struct pyast_node *n, struct buf *b)
{
	const struct pyast_node *value = pyast_field(n, "value"), *idx = NULL, *k;
	size_t nr_idx = 0;

	for (k = n->child; k; k = k->next)
		if (field_is(k, "subscript")) {
			idx = k;
			nr_idx++;
		}
	if (!value || nr_idx != 1)
		return;
	if (is(idx, "slice")) {
		const struct pyast_node *colon1 = NULL;
		int colons = 0, have_start = 0, have_stop = 0;
		for (k = idx->child; k; k = k->next) {
			if (!k->named && text_is(c, k, ":")) {
				if (!colons++)
					colon1 = k;
				continue;
			}
			if (!k->named || is(k, "comment") || colons > 1)
				continue;
			if (colons == 0)
				have_start = 1;
			else
				have_stop = 1;
			shifted(b, c, k, +1);
			/* xs[:-1] + 1 is xs[:], not xs[:0] */
			if (is(k, "unary_operator") && !strcmp(b->ptr, "0"))
				buf_reset(b);
			emit_buf(c, T_SLICE_SHIFT, k, b, 0);
			emit_shift(c, T_SLICE_SHIFT, k, -1, b);
		}
		if (colon1 && !have_start)
			emit(c, T_SLICE_SHIFT, colon1->start, colon1->start, "1", 1, 0);
		if (colon1 && !have_stop)
			emit(c, T_SLICE_SHIFT, colon1->end, colon1->end, "-1", 2, 0);
		return;
	}
	if (!is_string(idx) && strcmp(c->error_type, "KeyError")) {
		emit_shift(c, T_INDEX_SHIFT, idx, +1, b);
		emit_shift(c, T_INDEX_SHIFT, idx, -1, b);
	}
	if (!strcmp(c->error_type, "KeyError") && !is_store(n)) {
		add_node_text(b, c, value);
		buf_adds(b, ".get(");
		add_node_text(b, c, idx);
		buf_addch(b, ')');
		emit_buf(c, T_DICT_GET, n, b, 0);
	}
}

/* the positional arguments into out[0..max), and how many there are before a keyword or splat */
static size_t positional_args(const struct pyast_node *args, const struct pyast_node **out, size_t max)
{
	const struct pyast_node *k;
	size_t nr = 0;

	for (k = args ? args->child : NULL; k; k = k->next) {
		if (!k->named || is(k, "comment"))
			continue;
		if (is(k, "keyword_argument") || is(k, "list_splat") || is(k, "dictionary_splat") ||
		    is(k, "parenthesized_list_splat"))
			break;
		if (nr < max)
			out[nr] = k;
		nr++;
	}
	return nr;
}

static const struct pyast_node *callee_name(const struct pyast_node *call)
{
	const struct pyast_node *fn = pyast_field(call, "function");

	if (is(fn, "identifier"))
		return fn;
	if (is(fn, "attribute"))
		return pyast_field(fn, "attribute");
	return NULL;
}

static void tpl_call(struct ctx *c, const struct pyast_node *n, struct buf *b)
{
	const struct pyast_node *name = callee_name(n), *args = pyast_field(n, "arguments");
	const struct pyast_node *pos[4], *k;
	size_t nr, i;

	if (!name || !is(args, "argument_list") || in_decorator(n))
		return;
	nr = positional_args(args, pos, ARRAY_SIZE(pos));

	/* range(a, b) +/- 1, range(n) -> range(1, n + 1) */
	if (text_is(c, name, "range") && nr >= 1 && nr <= 3) {
		for (i = 0; i < nr && i < 2; i++) {
			emit_shift(c, T_RANGE_SHIFT, pos[i], +1, b);
			emit_shift(c, T_RANGE_SHIFT, pos[i], -1, b);
		}
		if (nr == 1) {
			buf_adds(b, "1, ");
			shifted(b, c, pos[0], +1);
			emit_buf(c, T_RANGE_START, pos[0], b, 0);
		}
	}
	/* len(x) -> len(x) - 1; when already len(x) - k, the offset templates do it */
	if (text_is(c, name, "len") && is(pyast_field(n, "function"), "identifier")) {
		const struct pyast_node *p = n->parent;
		long long v;
		int offset = is(p, "binary_operator") && pyast_field(p, "left") == n &&
			     !int_value(c, pyast_field(p, "right"), &v);
		const struct pyast_node *what = offset ? p : n;
		emit_shift(c, T_LEN_SHIFT, what, -1, b);
		emit_shift(c, T_LEN_SHIFT, what, +1, b);
	}
	/* min <-> max, ... */
	apply_swaps(c, name_swaps, ARRAY_SIZE(name_swaps), name->start, name->end);
	/* sorted(x) <-> sorted(x, reverse=True) */
	if (text_is(c, name, "sorted") || text_is(c, name, "sort")) {
		const struct pyast_node *rev = NULL, *close = NULL;
		for (k = args->child; k; k = k->next) {
			if (is(k, "keyword_argument") && text_is(c, pyast_field(k, "name"), "reverse"))
				rev = pyast_field(k, "value");
			if (!k->named && text_is(c, k, ")"))
				close = k;
		}
		if (rev) {
			if (text_is(c, rev, "True"))
				emit_str(c, T_SORTED_REVERSE, rev, "False", 0);
			else if (text_is(c, rev, "False"))
				emit_str(c, T_SORTED_REVERSE, rev, "True", 0);
		} else if (close) {
			const char *ins = pyast_named_count(args) ? ", reverse=True" : "reverse=True";
			emit(c, T_SORTED_REVERSE, close->start, close->start, ins, strlen(ins), 0);
		}
	}
	/* f(a, b) -> f(b, a), adjacent pairs */
	if (nr >= 2 && nr <= ARRAY_SIZE(pos)) {
		for (i = 0; i + 1 < nr; i++) {
			size_t alen, blen;
			const char *at = ntext(c, pos[i], &alen), *bt = ntext(c, pos[i + 1], &blen);
			if (alen == blen && !memcmp(at, bt, alen))
				continue;
			buf_add(b, bt, blen);
			buf_add(b, c->text + pos[i]->end, pos[i + 1]->start - pos[i]->end);
			buf_add(b, at, alen);
			emit(c, T_ARGS_SWAP, pos[i]->start, pos[i + 1]->end, b->ptr, b->len, 0);
			buf_reset(b);
		}
	}
}

/* `not (e)`, or `not e` when e needs no parentheses */
static void negated(struct buf *b, const struct ctx *c, const struct pyast_node *e)
{
	if (is(e, "not_operator")) {
		add_node_text(b, c, pyast_field(e, "argument"));
		return;
	}
	buf_adds(b, "not ");
	if (is(e, "identifier") || is(e, "call") || is(e, "attribute") || is(e, "subscript") ||
	    is(e, "parenthesized_expression") || is(e, "true") || is(e, "false")) {
		add_node_text(b, c, e);
	} else {
		buf_addch(b, '(');
		add_node_text(b, c, e);
		buf_addch(b, ')');
	}
}

static void tpl_condition(struct ctx *c, const struct pyast_node *cond, struct buf *b)
{
	if (!cond)
		return;
	negated(b, c, cond);
	emit_buf(c, T_COND_NEGATE, cond, b, 0);
}

/* the parameter names and the local variables, less self and cls */
static int is_receiver(const char *name)
{
	return !strcmp(name, "self") || !strcmp(name, "cls");
}

/* an identifier read as a variable (not a callee, attribute, keyword, target or declaration) */
static int is_variable_use(const struct pyast_node *n)
{
	const struct pyast_node *p = n->parent;

	if (!p)
		return 0;
	if (is(p, "attribute") && field_is(n, "attribute"))
		return 0;
	if (is(p, "call") && field_is(n, "function"))
		return 0;
	if (is(p, "keyword_argument") && field_is(n, "name"))
		return 0;
	if (is_store(n))
		return 0;
	if (is(p, "function_definition") || is(p, "class_definition") || is(p, "parameters") ||
	    is(p, "lambda_parameters") || is(p, "default_parameter") || is(p, "typed_parameter") ||
	    is(p, "typed_default_parameter") || is(p, "list_splat_pattern") ||
	    is(p, "dictionary_splat_pattern") || is(p, "global_statement") ||
	    is(p, "nonlocal_statement") || is(p, "dotted_name") || is(p, "aliased_import") ||
	    is(p, "as_pattern_target") || is(p, "keyword_pattern") || is(p, "named_expression"))
		return 0;
	return !pyast_ancestor(n, "type") && !in_decorator(n);
}

static int sv_contains(const struct strvec *sv, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < sv->nr; i++)
		if (strlen(sv->v[i]) == len && !memcmp(sv->v[i], s, len))
			return 1;
	return 0;
}

static void replace_from(struct ctx *c, const struct pyast_node *n, const struct strvec *names,
			 double extra, int *tried)
{
	size_t i, len;
	const char *t = ntext(c, n, &len);

	for (i = 0; i < names->nr && *tried < VAR_REPLACE_MAX; i++) {
		const char *s = names->v[i];
		if (is_receiver(s) || (strlen(s) == len && !memcmp(s, t, len)))
			continue;
		emit_str(c, T_VAR_REPLACE, n, s, extra);
		(*tried)++;
	}
}

static void tpl_identifier(struct ctx *c, const struct pyast_node *n)
{
	size_t len;
	const char *t = ntext(c, n, &len);
	int tried = 0;

	if (!is_variable_use(n))
		return;
	switch (pyast_names_kind(&c->names, t, len)) {
	case PYAST_NAME_PARAM:
		if (len == 4 && (!memcmp(t, "self", 4)))
			return;
		replace_from(c, n, &c->names.params, 0, &tried);
		replace_from(c, n, &c->names.locals, OTHER_KIND_COST, &tried);
		replace_from(c, n, &c->outer, OUTER_COST, &tried);
		break;
	case PYAST_NAME_LOCAL:
		replace_from(c, n, &c->names.locals, 0, &tried);
		replace_from(c, n, &c->names.params, OTHER_KIND_COST, &tried);
		replace_from(c, n, &c->outer, OUTER_COST, &tried);
		break;
	case PYAST_NAME_GLOBAL:
		replace_from(c, n, &c->names.globals, 0, &tried);
		break;
	default:
		/* a closure's variable: the enclosing functions' names, then ours */
		if (sv_contains(&c->outer, t, len)) {
			replace_from(c, n, &c->outer, 0, &tried);
			replace_from(c, n, &c->names.params, OTHER_KIND_COST / 2, &tried);
			replace_from(c, n, &c->names.locals, OTHER_KIND_COST / 2, &tried);
		}
		break;
	}
}

/* -- templates on statements and functions --------------------------------- */

static int returns_nothing(const struct ctx *c, const struct pyast_node *name)
{
	static const char *const names[] = {
		"__init__", "__post_init__", "__setattr__", "__setitem__", "__delitem__",
		"__delattr__", "__del__", "__set__", "__delete__", "__init_subclass__",
		"__set_name__", "setUp", "tearDown", "setUpClass", "tearDownClass", "main",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (text_is(c, name, names[i]))
			return 1;
	return 0;
}

static void append_return(struct ctx *c, const struct pyast_node *last, const char *indent,
			  size_t ilen, const char *value, size_t vlen, double extra, struct buf *b)
{
	buf_addch(b, '\n');
	buf_add(b, indent, ilen);
	buf_adds(b, "return ");
	buf_add(b, value, vlen);
	emit(c, T_ADD_RETURN, last->end, last->end, b->ptr, b->len, extra);
	buf_reset(b);
}

/* a function that never returns a value: return what it computes last */
static void tpl_missing_return(struct ctx *c, const struct pyast_node *def, struct buf *b)
{
	const struct pyast_node *body = pyast_field(def, "body"), *first, *last, *inner, *name;
	const struct pyast_node *n, *returned = NULL;
	size_t ind_s, ind_e, i, vlen;
	const char *v, *indent;
	int tried = 0;

	name = pyast_field(def, "name");
	if (!body || !name || returns_nothing(c, name))
		return;
	for (n = def; (n = pyast_next(c->ast, n, NULL, 0, 0)) && n->start < def->end; ) {
		if (pyast_enclosing_def(n) != def)
			continue;
		if ((is(n, "return_statement") && pyast_named_count(n)) || is(n, "yield"))
			return;
	}
	first = first_stmt(body);
	last = last_stmt(body);
	if (!first || !last || indentation(c, first, &ind_s, &ind_e) < 0)
		return;
	indent = c->text + ind_s;
	if (is(last, "expression_statement") && (inner = pyast_named_child(last, 0))) {
		const struct pyast_node *left = pyast_field(inner, "left");
		const struct pyast_node *args = pyast_field(inner, "arguments"), *pos[2];
		if ((is(inner, "assignment") || is(inner, "augmented_assignment")) && is(left, "identifier")) {
			v = ntext(c, left, &vlen);
			append_return(c, last, indent, ind_e - ind_s, v, vlen, 0, b);
			returned = left;
		} else if (is(inner, "call") && text_is(c, pyast_field(inner, "function"), "print")) {
			if (positional_args(args, pos, 2) == 1 && pyast_named_count(args) == 1) {
				buf_adds(b, "return ");
				add_node_text(b, c, pos[0]);
				emit_buf(c, T_PRINT_RETURN, last, b, 0);
			}
		} else if (!is(inner, "assignment") && !is(inner, "augmented_assignment") &&
			   !is(inner, "string")) {
			emit(c, T_ADD_RETURN, last->start, last->start, "return ", 7, 0);
		}
	}
	/* return an accumulator, or an argument changed in place */
	for (i = 0; i < c->names.locals.nr && tried < RETURN_LOCALS_MAX; i++) {
		const char *s = c->names.locals.v[i];
		if (returned && text_is(c, returned, s))
			continue;
		append_return(c, last, indent, ind_e - ind_s, s, strlen(s), 1 + 0.5 * tried, b);
		tried++;
	}
	for (i = 0, tried = 0; i < c->names.params.nr && tried < 2; i++) {
		const char *s = c->names.params.v[i];
		if (is_receiver(s))
			continue;
		append_return(c, last, indent, ind_e - ind_s, s, strlen(s), 2.5 + 0.5 * tried, b);
		tried++;
	}
}

static void tpl_return(struct ctx *c, const struct pyast_node *r, struct buf *b)
{
	const struct pyast_node *block = r->parent, *loop = block ? block->parent : NULL;
	size_t rs, re, ls, le, ns, ne;

	if (r->start_line != r->end_line || !is(block, "block") || indentation(c, r, &rs, &re) < 0)
		return;
	/* the last statement of a loop body: dedent it out of the loop */
	if ((is(loop, "for_statement") || is(loop, "while_statement")) && last_stmt(block) == r &&
	    first_stmt(block) != r &&
	    !pyast_field(loop, "alternative") && loop->end == r->end &&
	    !indentation(c, loop, &ls, &le))
		emit(c, T_RETURN_DEDENT, rs, re, c->text + ls, le - ls, 0);
	/* dead code after it: drop the line */
	if (next_stmt(r) && !pyast_line_range(c->ast, r->end_line, &ns, &ne)) {
		size_t k;
		for (k = r->end; k < ne; k++)
			if (c->text[k] != ' ' && c->text[k] != '\t')
				return;
		emit(c, T_RETURN_DROP, rs, ne < c->len ? ne + 1 : ne, "", 0, 0);
	}
}

/* def f(a, b) -> def f(b, a): adjacent plain parameters */
static void tpl_params(struct ctx *c, const struct pyast_node *def, struct buf *b)
{
	const struct pyast_node *params = pyast_field(def, "parameters"), *p, *q;

	for (p = params ? first_stmt(params) : NULL; p; p = q) {
		q = next_stmt(p);
		if (!q || !is(p, "identifier") || !is(q, "identifier") ||
		    text_is(c, p, "self") || text_is(c, p, "cls"))
			continue;
		add_node_text(b, c, q);
		buf_add(b, c->text + p->end, q->start - p->end);
		add_node_text(b, c, p);
		emit(c, T_PARAM_SWAP, p->start, q->end, b->ptr, b->len, 0);
		buf_reset(b);
	}
}

/* -- the field's fix patterns ------------------------------------------------ */

static void push_name(struct strvec *sv, const char *s, size_t len)
{
	char *dup;

	if (sv_contains(sv, s, len) || sv->nr >= FILE_NAMES_MAX)
		return;
	dup = xstrndup(s, len);
	strvec_push(sv, dup);
	free(dup);
}

static int node_text_is_name(const struct ctx *c, const struct pyast_node *n, const char *s)
{
	size_t len;
	const char *t = ntext(c, n, &len);
	return strlen(s) == len && !memcmp(s, t, len);
}

/* Python's builtins and exceptions: never undefined */
static int is_builtin_name(const char *t, size_t len)
{
	static const char *const names[] = {
		"abs", "aiter", "all", "anext", "any", "ascii", "bin", "bool", "breakpoint", "bytearray",
		"bytes", "callable", "chr", "classmethod", "compile", "complex", "copyright", "credits",
		"delattr", "dict", "dir", "divmod", "enumerate", "eval", "exec", "exit", "filter",
		"float", "format", "frozenset", "getattr", "globals", "hasattr", "hash", "help", "hex",
		"id", "input", "int", "isinstance", "issubclass", "iter", "len", "license", "list",
		"locals", "map", "max", "memoryview", "min", "next", "object", "oct", "open", "ord",
		"pow", "print", "property", "quit", "range", "repr", "reversed", "round", "set",
		"setattr", "slice", "sorted", "staticmethod", "str", "sum", "super", "tuple", "type",
		"vars", "zip", "__import__", "__name__", "__file__", "__doc__", "__spec__",
		"__package__", "__builtins__", "__debug__", "__class__", "__loader__", "self", "cls",
		"NotImplemented", "Ellipsis", "None", "True", "False", "BaseException",
		"KeyboardInterrupt", "StopIteration", "StopAsyncIteration", "GeneratorExit",
		"SystemExit",
	};
	static const char *const tails[] = { "Error", "Exception", "Warning" };
	size_t i, tl;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (strlen(names[i]) == len && !memcmp(names[i], t, len))
			return 1;
	for (i = 0; i < ARRAY_SIZE(tails); i++) {
		tl = strlen(tails[i]);
		if (len > tl && !memcmp(t + len - tl, tails[i], tl))
			return 1;
	}
	return 0;
}

/* Levenshtein distance, or EDIT_DISTANCE_FAR for names too long to bother */
static size_t edit_distance(const char *a, size_t al, const char *b, size_t bl)
{
	if (al > EDIT_NAME_MAX || bl > EDIT_NAME_MAX)
		return EDIT_DISTANCE_FAR;
	return distance_levenshtein(a, al, b, bl, 0);
}

/* the names bound anywhere in the file and the attributes used in it */
static void collect_file_names(struct ctx *c)
{
	const struct pyast_node *n;
	struct buf use = BUF_INIT;
	size_t len;
	const char *t;

	for (n = NULL; (n = pyast_next(c->ast, n, NULL, 0, 0)); ) {
		const struct pyast_node *p = n->parent;
		if (is(n, "wildcard_import")) {
			c->star_import = 1;
		} else if (is(n, "identifier") && p) {
			if (is_variable_use(n) || (is(p, "attribute") && field_is(n, "attribute")) ||
			    (is(p, "call") && field_is(n, "function")) ||
			    (is(p, "keyword_argument") && field_is(n, "name")))
				continue;
			t = ntext(c, n, &len);
			push_name(&c->bound, t, len);
		} else if (is(n, "attribute")) {
			const struct pyast_node *obj = pyast_field(n, "object"), *attr = pyast_field(n, "attribute");
			int called = is(p, "call") && field_is(n, "function");
			if (!attr)
				continue;
			t = ntext(c, attr, &len);
			push_name(called ? &c->methods : &c->attrs, t, len);
			if (is(obj, "identifier")) {
				buf_reset(&use);
				add_node_text(&use, c, obj);
				buf_addch(&use, '.');
				buf_add(&use, t, len);
				push_name(called ? &c->method_uses : &c->attr_uses, use.ptr, use.len);
			}
		}
	}
	if (c->bound.nr >= FILE_NAMES_MAX)
		c->star_import = 1;
	buf_release(&use);
}

static void file_names_release(struct ctx *c)
{
	strvec_clear(&c->bound);
	strvec_clear(&c->attrs);
	strvec_clear(&c->attr_uses);
	strvec_clear(&c->methods);
	strvec_clear(&c->method_uses);
	c->star_import = 0;
}

/* the names a new argument, element, value or guard may use: parameters, locals, closures */
static void build_scope(struct ctx *c)
{
	const struct strvec *lists[] = { &c->names.params, &c->names.locals, &c->outer };
	size_t i, j;

	strvec_clear(&c->scope);
	for (i = 0; i < ARRAY_SIZE(lists); i++)
		for (j = 0; j < lists[i]->nr; j++)
			if (!is_receiver(lists[i]->v[j]))
				push_name(&c->scope, lists[i]->v[j], strlen(lists[i]->v[j]));
}

/* `name 'x' is not defined` names x */
static int message_names(const struct ctx *c, const char *t, size_t len)
{
	const char *q = strstr(c->message, "name '");

	return q && !strncmp(q + 6, t, len) && q[6 + len] == '\'';
}

/* an identifier read (a variable or a called name) that nothing in the file defines */
static int is_undefined_use(const struct ctx *c, const struct pyast_node *n)
{
	const struct pyast_node *p = n->parent;
	size_t len;
	const char *t = ntext(c, n, &len);

	if (!p || !(is_variable_use(n) || (is(p, "call") && field_is(n, "function"))))
		return 0;
	if (pyast_names_kind(&c->names, t, len) != PYAST_NAME_NONE || sv_contains(&c->outer, t, len) ||
	    is_builtin_name(t, len))
		return 0;
	if (message_names(c, t, len))
		return 1;
	return !c->star_import && !sv_contains(&c->bound, t, len);
}

struct near {
	const char *name;
	size_t distance;
};

/* an undefined name -> the nearest defined names, by edit distance */
static void tpl_undefined(struct ctx *c, const struct pyast_node *n)
{
	const struct strvec *lists[] = { &c->names.params, &c->names.locals, &c->outer,
					 &c->names.globals, &c->names.defs };
	struct near best[UNDEFINED_MAX];
	size_t nr = 0, i, j, k, len;
	const char *t = ntext(c, n, &len);
	double named = message_names(c, t, len) ? -1 : 0;

	for (i = 0; i < ARRAY_SIZE(lists); i++) {
		for (j = 0; j < lists[i]->nr; j++) {
			const char *s = lists[i]->v[j];
			size_t d = edit_distance(t, len, s, strlen(s));
			if (!d || d > UNDEFINED_MAX_DISTANCE || 2 * d > len)
				continue;
			for (k = 0; k < nr; k++)
				if (!strcmp(best[k].name, s))
					break;
			if (k < nr)
				continue;
			/* keep the nearest, first found first among equals */
			for (k = nr; k > 0 && best[k - 1].distance > d; k--)
				if (k < UNDEFINED_MAX)
					best[k] = best[k - 1];
			if (k < UNDEFINED_MAX) {
				best[k].name = s;
				best[k].distance = d;
				if (nr < UNDEFINED_MAX)
					nr++;
			}
		}
	}
	for (k = 0; k < nr; k++)
		emit_str(c, T_UNDEFINED_NAME, n, best[k].name, named + 0.3 * (double)best[k].distance);
}

/* obj.attr -> obj.other: attributes used on the same object first, then the file's */
static void tpl_attribute(struct ctx *c, const struct pyast_node *n)
{
	const struct pyast_node *obj = pyast_field(n, "object"), *attr = pyast_field(n, "attribute");
	int called = is(n->parent, "call") && field_is(n, "function");
	const struct strvec *names = called ? &c->methods : &c->attrs;
	const struct strvec *uses = called ? &c->method_uses : &c->attr_uses;
	enum tpl tpl = called ? T_CALL_REPLACE : T_ATTR_REPLACE;
	size_t len, olen = 0, i;
	const char *t, *o = NULL;
	int tried = 0;

	if (!attr || in_decorator(n) || pyast_ancestor(n, "raise_statement"))
		return;
	t = ntext(c, attr, &len);
	if (len >= 2 && t[0] == '_' && t[1] == '_')
		return;
	if (is(obj, "identifier"))
		o = ntext(c, obj, &olen);
	/* the same object's other attributes */
	for (i = 0; o && i < uses->nr && tried < ATTR_REPLACE_MAX; i++) {
		const char *u = uses->v[i], *a = u + olen + 1;
		if (strncmp(u, o, olen) || u[olen] != '.' || (strlen(a) == len && !memcmp(a, t, len)))
			continue;
		emit_str(c, tpl, attr, a, 0.1 * tried);
		tried++;
	}
	/* the rest of the file's (a method only when the call fails on it) */
	if (called && strcmp(c->error_type, "AttributeError"))
		return;
	for (i = 0; i < names->nr && tried < ATTR_REPLACE_MAX; i++) {
		const char *a = names->v[i];
		struct buf u = BUF_INIT;
		int same;
		if ((strlen(a) == len && !memcmp(a, t, len)) || (a[0] == '_' && a[1] == '_'))
			continue;
		if (o) {
			buf_add(&u, o, olen);
			buf_addch(&u, '.');
			buf_adds(&u, a);
		}
		same = o && sv_contains(uses, u.ptr, u.len);
		buf_release(&u);
		if (same)
			continue;
		emit_str(c, tpl, attr, a, 0.5 + 0.1 * tried);
		tried++;
	}
}

/* f(x) -> g(x): another module-level def of the file */
static void tpl_callee(struct ctx *c, const struct pyast_node *n)
{
	size_t i, len;
	const char *t = ntext(c, n, &len);
	int tried = 0;

	if (!is(n->parent, "call") || !field_is(n, "function") || in_decorator(n) ||
	    pyast_names_kind(&c->names, t, len) != PYAST_NAME_DEF)
		return;
	for (i = 0; i < c->names.defs.nr && tried < ATTR_REPLACE_MAX; i++) {
		const char *s = c->names.defs.v[i];
		if (node_text_is_name(c, n, s) || s[0] < 'a' || s[0] > 'z')
			continue;
		emit_str(c, T_CALL_REPLACE, n, s, 0.2 * tried);
		tried++;
	}
}

/* while True -> while pending, f(x, 2) -> f(x, digits): a literal where a name belongs */
static void tpl_literal_name(struct ctx *c, const struct pyast_node *n)
{
	const struct pyast_node *p = n->parent;
	int constant = is(n, "true") || is(n, "false") || is(n, "none");
	size_t i;
	int tried = 0;

	if (!p || in_decorator(n) || pyast_ancestor(n, "default_parameter") ||
	    pyast_ancestor(n, "typed_default_parameter"))
		return;
	if (!(is(p, "argument_list") || is(p, "comparison_operator") ||
	      (!constant && is(p, "binary_operator")) ||
	      (constant && (is(p, "boolean_operator") || is(p, "not_operator") ||
			    ((is(p, "if_statement") || is(p, "while_statement") || is(p, "elif_clause")) &&
			     field_is(n, "condition"))))))
		return;
	for (i = 0; i < c->scope.nr && tried < NAMES_TRIED_MAX; i++) {
		emit_str(c, T_LITERAL_NAME, n, c->scope.v[i], (is(p, "binary_operator") ? 0.5 : 0) + 0.2 * tried);
		tried++;
	}
}

/* the parameters of the function defined in this file that `call` calls; -1 when unknown */
static int callee_params(struct strvec *out, const struct ctx *c, const struct pyast_node *call)
{
	struct pyast_function fn = PYAST_FUNCTION_INIT, here = PYAST_FUNCTION_INIT;
	const struct pyast_node *f = pyast_field(call, "function"), *name = callee_name(call), *k;
	const char *cls = NULL, *t;
	char *s;
	size_t len;
	int err, first = 1;

	if (!name)
		return -1;
	if (is(f, "attribute")) {
		const struct pyast_node *obj = pyast_field(f, "object");
		if (!is(obj, "identifier") || !(text_is(c, obj, "self") || text_is(c, obj, "cls")))
			return -1;
		if (pyast_enclosing_function(&here, c->ast, call->start_line) || !here.class_name) {
			pyast_function_release(&here);
			return -1;
		}
		cls = here.class_name;
	}
	t = ntext(c, name, &len);
	s = xstrndup(t, len);
	err = pyast_find_function(&fn, c->ast, s, cls);
	free(s);
	pyast_function_release(&here);
	if (err)
		return -1;
	for (k = first_stmt(pyast_field(fn.node, "parameters")); k && !err; k = next_stmt(k), first = 0) {
		const struct pyast_node *id = k;
		if (is(k, "default_parameter") || is(k, "typed_default_parameter"))
			id = pyast_field(k, "name");
		else if (is(k, "typed_parameter"))
			id = pyast_named_child(k, 0);
		if (!is(id, "identifier")) {
			err = -1; /* *args, **kwargs, / or *: anything goes */
			continue;
		}
		if (first && (text_is(c, id, "self") || text_is(c, id, "cls")))
			continue;
		t = ntext(c, id, &len);
		s = xstrndup(t, len);
		strvec_push(out, s);
		free(s);
	}
	pyast_function_release(&fn);
	return err;
}

/* f(a) -> f(a, b) for a parameter of an in-file f left out; f(a, b) -> f(a) */
static void tpl_call_args(struct ctx *c, const struct pyast_node *n, const struct pyast_node *args,
			  struct buf *b)
{
	struct strvec params = STRVEC_INIT;
	const struct pyast_node *pos[4], *k, *close = NULL;
	size_t nr = positional_args(args, pos, ARRAY_SIZE(pos)), given = 0, i;
	int known, keywords = 0, tried = 0;

	for (k = args->child; k; k = k->next) {
		if (!k->named && text_is(c, k, ")"))
			close = k;
		if (!k->named || is(k, "comment"))
			continue;
		if (is(k, "list_splat") || is(k, "dictionary_splat"))
			return;
		keywords |= is(k, "keyword_argument");
		given++;
	}
	known = callee_params(&params, c, n) == 0;
	if (known && close && given < params.nr) {
		/* the parameters not given, when a name in scope is called the same */
		for (i = nr; i < params.nr; i++) {
			const char *p = params.v[i];
			int by_keyword = keywords || i > nr;
			for (k = args->child; k; k = k->next)
				if (is(k, "keyword_argument") && node_text_is_name(c, pyast_field(k, "name"), p))
					break;
			if (k || !sv_contains(&c->scope, p, strlen(p)))
				continue;
			buf_addf(b, "%s%s", given ? ", " : "", p);
			if (by_keyword)
				buf_addf(b, "=%s", p);
			emit(c, T_ARG_ADD, close->start, close->start, b->ptr, b->len, 0.2 * tried++);
			buf_reset(b);
		}
		/* the first one left out, from any name in scope */
		for (i = 0; !keywords && i < c->scope.nr && tried < NAMES_TRIED_MAX; i++) {
			const char *s = c->scope.v[i];
			int dup = 0;
			size_t j;
			for (j = 0; j < nr && j < ARRAY_SIZE(pos); j++)
				dup |= node_text_is_name(c, pos[j], s);
			if (dup || !strcmp(s, params.v[nr]))
				continue;
			buf_addf(b, "%s%s", given ? ", " : "", s);
			emit(c, T_ARG_ADD, close->start, close->start, b->ptr, b->len, 1 + 0.2 * tried++);
			buf_reset(b);
		}
	}
	/* drop one positional argument: too many for an in-file callee, else any of 2 to 4 */
	if (nr >= 2 && nr <= ARRAY_SIZE(pos) && nr == given && (!known || nr > params.nr)) {
		for (i = 0; i < nr; i++) {
			size_t start = i ? pos[i - 1]->end : pos[0]->start;
			size_t end = i ? pos[i]->end : pos[1]->start;
			emit(c, T_ARG_DROP, start, end, "", 0, known ? 0 : 1);
		}
	}
	strvec_clear(&params);
}

/* [] -> [item], [a] -> [a, item] */
static void tpl_element_add(struct ctx *c, const struct pyast_node *n, struct buf *b)
{
	const struct pyast_node *k, *last = NULL, *close = NULL;
	size_t nr = 0, i;
	int tried = 0;

	if (in_decorator(n) || pyast_ancestor(n, "default_parameter") || pyast_ancestor(n, "parameters"))
		return;
	for (k = n->child; k; k = k->next) {
		if (!k->named && (text_is(c, k, "]") || text_is(c, k, "}") || text_is(c, k, ")")))
			close = k;
		if (!k->named || is(k, "comment"))
			continue;
		if (!is(k, "identifier") && !is(k, "integer") && !is(k, "string") && !is(k, "attribute"))
			return;
		last = k;
		nr++;
	}
	if (!close || nr > 2 || (is(n, "tuple") && nr < 2) || (is(n, "set") && !nr))
		return;
	for (i = 0; i < c->scope.nr && tried < NAMES_TRIED_MAX; i++) {
		const char *s = c->scope.v[i];
		int dup = 0;
		for (k = n->child; k; k = k->next)
			dup |= k->named && node_text_is_name(c, k, s);
		if (dup)
			continue;
		buf_addf(b, "%s%s", last ? ", " : "", s);
		emit(c, T_ELEMENT_ADD, last ? last->end : close->start, last ? last->end : close->start,
		     b->ptr, b->len, 0.2 * tried++);
		buf_reset(b);
	}
}

/* a value that says "nothing": None, 0, "", [], {}, (), False */
static int is_empty_value(const struct ctx *c, const struct pyast_node *v)
{
	long long x;

	if (is(v, "none") || is(v, "false"))
		return 1;
	if (!int_value(c, v, &x))
		return x == 0;
	if (is(v, "list") || is(v, "dictionary") || is(v, "tuple") || is(v, "set"))
		return !pyast_named_count(v);
	return is(v, "string") && (text_is(c, v, "\"\"") || text_is(c, v, "''"));
}

/* return None -> return result; return -> return result */
static void tpl_return_value(struct ctx *c, const struct pyast_node *r, struct buf *b)
{
	const struct pyast_node *v = pyast_named_child(r, 0), *def = pyast_enclosing_def(r);
	size_t i;
	int tried = 0;

	if (!def || returns_nothing(c, pyast_field(def, "name")) || (v && !is_empty_value(c, v)) ||
	    is(v, "comment"))
		return;
	for (i = 0; i < c->scope.nr && tried < NAMES_TRIED_MAX; i++) {
		const char *s = c->scope.v[i];
		if (v) {
			emit_str(c, T_RETURN_VALUE, v, s, 0.2 * tried++);
		} else {
			buf_addf(b, " %s", s);
			emit(c, T_RETURN_VALUE, r->end, r->end, b->ptr, b->len, 0.2 * tried++);
			buf_reset(b);
		}
	}
}

/* the distinct short one-line returns of a function: "return 0", "return None", ... */
static void function_returns(struct strvec *out, const struct ctx *c, const struct pyast_node *def,
			     int literals_only)
{
	const struct pyast_node *n, *v;
	size_t len;
	const char *t;

	for (n = def; (n = pyast_next(c->ast, n, "return_statement", 0, 0)) && n->start < def->end; ) {
		if (pyast_enclosing_def(n) != def || n->start_line != n->end_line)
			continue;
		v = pyast_named_child(n, 0);
		if (literals_only && !(is(v, "integer") || is(v, "float") || is(v, "none") || is(v, "true") ||
				       is(v, "false") || is(v, "list") || is(v, "string") ||
				       is(v, "tuple") || is(v, "dictionary") || is(v, "unary_operator")))
			continue;
		t = ntext(c, n, &len);
		if (len <= RETURN_TEXT_MAX && !memchr(t, '#', len))
			push_name(out, t, len);
	}
}

/* `text` inserted as a statement of its own before statement `s` */
static void insert_before(struct ctx *c, enum tpl t, const struct pyast_node *s, const char *text,
			  double extra, struct buf *b)
{
	size_t is_, ie;

	if (indentation(c, s, &is_, &ie) < 0)
		return;
	buf_adds(b, text);
	buf_addch(b, '\n');
	buf_add(b, c->text + is_, ie - is_);
	emit(c, t, s->start, s->start, b->ptr, b->len, extra);
	buf_reset(b);
}

/* `text` appended as the last statement of `block` */
static void insert_at_end(struct ctx *c, enum tpl t, const struct pyast_node *block, const char *text,
			  double extra, struct buf *b)
{
	const struct pyast_node *last = last_stmt(block);
	size_t is_, ie;

	if (!last || indentation(c, last, &is_, &ie) < 0)
		return;
	buf_addch(b, '\n');
	buf_add(b, c->text + is_, ie - is_);
	buf_adds(b, text);
	emit(c, t, last->end, last->end, b->ptr, b->len, extra);
	buf_reset(b);
}

/* the names of the enclosing function that `within` reads, objects of attributes and subscripts first */
static void names_read(struct strvec *out, const struct ctx *c, const struct pyast_node *within, size_t max)
{
	const struct pyast_node *n;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		for (n = within; n && n->start < within->end && out->nr < max;
		     n = pyast_next(c->ast, n, "identifier", 0, 0)) {
			const struct pyast_node *p = n->parent;
			size_t len;
			const char *t;
			if (!is(n, "identifier") || n->start < within->start || !is_variable_use(n))
				continue;
			if (!pass && !((is(p, "attribute") && field_is(n, "object")) ||
				       (is(p, "subscript") && field_is(n, "value"))))
				continue;
			t = ntext(c, n, &len);
			if (sv_contains(&c->scope, t, len))
				push_name(out, t, len);
		}
	}
}

static int in_loop(const struct pyast_node *n, const struct pyast_node *def)
{
	const struct pyast_node *p;

	for (p = n->parent; p && p != def; p = p->parent)
		if (is(p, "for_statement") || is(p, "while_statement"))
			return 1;
	return 0;
}

/* the conditions a guard may test on `x`, for this error */
static void guard_conditions(struct strvec *out, const struct ctx *c, const char *x,
			     const struct pyast_node *stmt)
{
	const char *e = c->error_type;
	const struct pyast_node *n;

	if (!strcmp(e, "AttributeError") || !strcmp(e, "TypeError") || strstr(c->message, "NoneType"))
		strvec_pushf(out, "%s is None", x);
	if (!strcmp(e, "IndexError") || !strcmp(e, "ValueError") || !strcmp(e, "ZeroDivisionError") ||
	    !strcmp(e, "StopIteration") || !strcmp(e, "TypeError") || !strcmp(e, "KeyError"))
		strvec_pushf(out, "not %s", x);
	/* xs[i] -> i >= len(xs), d[k] -> k not in d */
	for (n = stmt; n && n->start < stmt->end; n = pyast_next(c->ast, n, "subscript", 0, 0)) {
		const struct pyast_node *v = pyast_field(n, "value"), *i = pyast_field(n, "subscript");
		size_t il;
		const char *it;
		if (!is(n, "subscript") || n->start < stmt->start || !is(v, "identifier") ||
		    !is(i, "identifier") || !node_text_is_name(c, v, x))
			continue;
		it = ntext(c, i, &il);
		if (!strcmp(e, "IndexError"))
			strvec_pushf(out, "%.*s >= len(%s)", (int)il, it, x);
		if (!strcmp(e, "KeyError"))
			strvec_pushf(out, "%.*s not in %s", (int)il, it, x);
	}
	if (!out->nr) {
		strvec_pushf(out, "%s is None", x);
		strvec_pushf(out, "not %s", x);
	}
}

/* an error Python raises on bad data (not AssertionError, not the project's own exceptions) */
static int is_crash_error(const struct ctx *c)
{
	static const char *const crashes[] = {
		"AttributeError", "TypeError", "IndexError", "KeyError", "ZeroDivisionError",
		"ValueError", "StopIteration", "UnboundLocalError",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(crashes); i++)
		if (!strcmp(c->error_type, crashes[i]))
			return 1;
	return 0;
}

/* if x is None: return ..., inserted before the statement that crashed */
static void tpl_guard(struct ctx *c, const struct pyast_node *s, struct buf *b)
{
	const struct pyast_node *def = pyast_enclosing_def(s);
	struct strvec names = STRVEC_INIT, bodies = STRVEC_INIT, conds = STRVEC_INIT;
	struct buf text = BUF_INIT;
	const char *fallback = !strcmp(c->error_type, "ZeroDivisionError") ? "return 0" : "return None";
	size_t i, j, k, is_, ie;
	int tried = 0;

	if (!c->focus_first || s->start_line != c->focus_first || !def || !is_crash_error(c) ||
	    is(s, "raise_statement") || is(s, "assert_statement") || indentation(c, s, &is_, &ie) < 0)
		return;
	names_read(&names, c, s, GUARD_NAMES_MAX);
	if (in_loop(s, def))
		strvec_push(&bodies, "continue");
	function_returns(&bodies, c, def, 1);
	if (bodies.nr < GUARD_BODIES_MAX)
		push_name(&bodies, fallback, strlen(fallback));
	for (i = 0; i < names.nr; i++) {
		strvec_clear(&conds);
		guard_conditions(&conds, c, names.v[i], s);
		for (j = 0; j < conds.nr; j++)
			for (k = 0; k < bodies.nr && k < GUARD_BODIES_MAX; k++) {
				buf_reset(&text);
				buf_addf(&text, "if %s:\n", conds.v[j]);
				buf_add(&text, c->text + is_, ie - is_);
				buf_addf(&text, "    %s", bodies.v[k]);
				insert_before(c, T_GUARD, s, text.ptr, 0.2 * tried++, b);
			}
	}
	buf_release(&text);
	strvec_clear(&conds);
	strvec_clear(&bodies);
	strvec_clear(&names);
}

/* if x.ok: -> if x is not None and x.ok: / if x is None or x.ok:, where it crashed */
static void tpl_guard_cond(struct ctx *c, const struct pyast_node *cond, struct buf *b)
{
	struct strvec names = STRVEC_INIT;
	size_t i;
	int none, paren;

	if (!cond || !c->focus_first || cond->start_line != c->focus_first || !is_crash_error(c))
		return;
	none = !strcmp(c->error_type, "AttributeError") || !strcmp(c->error_type, "TypeError") ||
	       strstr(c->message, "NoneType");
	paren = !(is(cond, "comparison_operator") || is(cond, "identifier") || is(cond, "call") ||
		  is(cond, "attribute") || is(cond, "subscript") || is(cond, "not_operator") ||
		  is(cond, "parenthesized_expression") ||
		  (is(cond, "boolean_operator") && text_is(c, pyast_field(cond, "operator"), "and")));
	names_read(&names, c, cond, GUARD_NAMES_MAX);
	for (i = 0; i < names.nr; i++) {
		const char *x = names.v[i];
		buf_addf(b, none ? "%s is not None and " : "%s and ", x);
		buf_adds(b, paren ? "(" : "");
		add_node_text(b, c, cond);
		buf_adds(b, paren ? ")" : "");
		emit_buf(c, T_GUARD_COND, cond, b, 0.2 * (double)i);
		buf_addf(b, none ? "%s is None or " : "not %s or ", x);
		add_node_text(b, c, cond);
		emit_buf(c, T_GUARD_COND, cond, b, 0.1 + 0.2 * (double)i);
	}
	strvec_clear(&names);
}

/* 1 if `within` assigns `name` (=, +=, a for target) or calls a method on it */
static int touches(const struct ctx *c, const struct pyast_node *within, const char *name, int methods)
{
	const struct pyast_node *n;

	for (n = within; n && n->start < within->end; n = pyast_next(c->ast, n, "identifier", 0, 0)) {
		const struct pyast_node *p = n->parent;
		if (!is(n, "identifier") || n->start < within->start || !node_text_is_name(c, n, name))
			continue;
		if (is_store(n))
			return 1;
		if (methods && is(p, "attribute") && field_is(n, "object") && is(p->parent, "call"))
			return 1;
		if (methods && is(p, "subscript") && field_is(n, "value") && is_store(p))
			return 1;
	}
	return 0;
}

static int ends_in_jump(const struct pyast_node *block)
{
	const struct pyast_node *l = last_stmt(block);

	return is(l, "return_statement") || is(l, "break_statement") || is(l, "continue_statement") ||
	       is(l, "raise_statement");
}

/* a statement the function lacks, from its own ingredients */
static void tpl_stmt_insert(struct ctx *c, const struct pyast_node *def, struct buf *b)
{
	struct strvec lists = STRVEC_INIT, sets = STRVEC_INIT, names = STRVEC_INIT;
	struct buf text = BUF_INIT;
	const struct pyast_node *n, *k;
	size_t i, len, loops = 0;
	const char *t;

	/* the local collections: xs = [], seen = set() */
	for (n = def; (n = pyast_next(c->ast, n, "assignment", 0, 0)) && n->start < def->end; ) {
		const struct pyast_node *l = pyast_field(n, "left"), *r = pyast_field(n, "right");
		if (pyast_enclosing_def(n) != def || !is(l, "identifier"))
			continue;
		t = ntext(c, l, &len);
		if ((is(r, "list") && !pyast_named_count(r)) ||
		    (is(r, "call") && text_is(c, pyast_field(r, "function"), "list")))
			push_name(&lists, t, len);
		else if (is(r, "call") && text_is(c, pyast_field(r, "function"), "set"))
			push_name(&sets, t, len);
	}
	for (n = def; (n = pyast_next(c->ast, n, NULL, 0, 0)) && n->start < def->end && loops < INSERT_MAX; ) {
		const struct pyast_node *body = pyast_field(n, "body");
		if ((!is(n, "for_statement") && !is(n, "while_statement")) || pyast_enclosing_def(n) != def ||
		    !body)
			continue;
		loops++;
		if (is(n, "for_statement")) {
			const struct pyast_node *v = pyast_field(n, "left");
			int places = 0;
			if (!is(v, "identifier"))
				continue;
			t = ntext(c, v, &len);
			/* items.append(item) at the end of the loop or of an if in it */
			for (i = 0; i < lists.nr + sets.nr; i++) {
				const char *coll = i < lists.nr ? lists.v[i] : sets.v[i - lists.nr];
				if (touches(c, n, coll, 1))
					continue;
				buf_reset(&text);
				buf_addf(&text, "%s.%s(%.*s)", coll, i < lists.nr ? "append" : "add", (int)len, t);
				insert_at_end(c, T_STMT_INSERT, body, text.ptr, 0, b);
				places = 0;
				for (k = first_stmt(body); k && places < INSERT_MAX; k = next_stmt(k))
					if (is(k, "if_statement") && pyast_field(k, "consequence")) {
						insert_at_end(c, T_STMT_INSERT, pyast_field(k, "consequence"), text.ptr,
							      0.2, b);
						places++;
					}
			}
			/* an early return or break where the loop finds what it looks for */
			places = 0;
			for (k = first_stmt(body); k && places < INSERT_MAX; k = next_stmt(k)) {
				const struct pyast_node *then = pyast_field(k, "consequence");
				if (!is(k, "if_statement") || !then || ends_in_jump(then))
					continue;
				buf_reset(&text);
				buf_addf(&text, "return %.*s", (int)len, t);
				insert_at_end(c, T_STMT_INSERT, then, text.ptr, 0.5, b);
				insert_at_end(c, T_STMT_INSERT, then, "break", 0.7, b);
				places++;
			}
		} else {
			/* a loop variable the body never updates: i += 1, node = node.next */
			const struct pyast_node *cond = pyast_field(n, "condition");
			strvec_clear(&names);
			if (cond)
				names_read(&names, c, cond, INSERT_MAX);
			for (i = 0; i < names.nr; i++) {
				size_t j, nl = strlen(names.v[i]);
				int tried = 0;
				if (touches(c, body, names.v[i], 0))
					continue;
				buf_reset(&text);
				buf_addf(&text, "%s += 1", names.v[i]);
				insert_at_end(c, T_STMT_INSERT, body, text.ptr, 0, b);
				buf_reset(&text);
				buf_addf(&text, "%s -= 1", names.v[i]);
				insert_at_end(c, T_STMT_INSERT, body, text.ptr, 0.3, b);
				for (j = 0; j < c->attr_uses.nr && tried < INSERT_MAX; j++) {
					const char *u = c->attr_uses.v[j];
					if (strncmp(u, names.v[i], nl) || u[nl] != '.')
						continue;
					buf_reset(&text);
					buf_addf(&text, "%s = %s", names.v[i], u);
					insert_at_end(c, T_STMT_INSERT, body, text.ptr, 0.1 * tried++, b);
				}
			}
		}
	}
	buf_release(&text);
	strvec_clear(&names);
	strvec_clear(&sets);
	strvec_clear(&lists);
}

static int is_wrappable(const struct pyast_node *e)
{
	return is(e, "identifier") || is(e, "attribute") || is(e, "call") || is(e, "subscript");
}

static void wrap_with(struct ctx *c, const struct pyast_node *e, const char *pre, const char *post,
		      double extra, struct buf *b)
{
	buf_adds(b, pre);
	add_node_text(b, c, e);
	buf_adds(b, post);
	emit_buf(c, T_WRAP, e, b, extra);
}

/* 1 if `name` is a function defined right inside `def` (a value, not a variable to swap) */
static int defines_function(const struct ctx *c, const struct pyast_node *def, const char *name)
{
	const struct pyast_node *n;

	for (n = def; (n = pyast_next(c->ast, n, "function_definition", 0, 0)) && n->start < def->end; )
		if (n->parent && pyast_enclosing_def(n->parent) == def &&
		    text_is(c, pyast_field(n, "name"), name))
			return 1;
	return 0;
}

/* an identifier naming a function defined in the function around it */
static int is_local_function(const struct ctx *c, const struct pyast_node *e)
{
	const struct pyast_node *def = pyast_enclosing_def(e);
	size_t len;
	const char *t = ntext(c, e, &len);
	char *name;
	int yes;

	if (!def || !is(e, "identifier"))
		return 0;
	name = xstrndup(t, len);
	yes = defines_function(c, def, name);
	free(name);
	return yes;
}

/* a - b, (a - b).days: a difference that may go below zero */
static int holds_subtraction(const struct ctx *c, const struct pyast_node *e)
{
	while (is(e, "attribute") || is(e, "parenthesized_expression"))
		e = is(e, "attribute") ? pyast_field(e, "object") : pyast_named_child(e, 0);
	return is(e, "binary_operator") && text_is(c, pyast_field(e, "operator"), "-");
}

/* a call that gives a number: never sliced */
static int returns_number(const struct ctx *c, const struct pyast_node *e)
{
	static const char *const names[] = { "round", "int", "float", "len", "sum", "abs", "min", "max",
					     "bool", "ord", "hash", "id", "divmod", "pow" };
	const struct pyast_node *f = pyast_field(e, "function");
	size_t i;

	if (!is(e, "call") || !is(f, "identifier"))
		return 0;
	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (text_is(c, f, names[i]))
			return 1;
	return 0;
}

/* a - b -> max(0, a - b), abs(a - b); xs -> xs[1:], xs[:-1], [xs], len(xs) */
static void tpl_wrap(struct ctx *c, const struct pyast_node *e, struct buf *b)
{
	const struct pyast_node *p = e->parent;
	int returned = is(p, "return_statement"), iterated = is(p, "for_statement") && field_is(e, "right");
	int assigned = (is(p, "assignment") || is(p, "augmented_assignment")) && field_is(e, "right");

	if (!p || in_decorator(e))
		return;
	if (holds_subtraction(c, e) && (returned || assigned || is(p, "argument_list"))) {
		wrap_with(c, e, "max(0, ", ")", 0, b);
		wrap_with(c, e, "abs(", ")", 0.3, b);
		return;
	}
	if (!is_wrappable(e) || !(returned || iterated || assigned) || returns_number(c, e) ||
	    is_local_function(c, e))
		return;
	wrap_with(c, e, "", "[1:]", iterated ? 0 : 0.5, b);
	wrap_with(c, e, "", "[:-1]", iterated ? 0.2 : 0.7, b);
	if (returned) {
		wrap_with(c, e, "[", "]", 0.5, b);
		if (!is(e, "call"))
			wrap_with(c, e, "len(", ")", 0.8, b);
	}
}

/* a and b -> a, b; a + b -> a, b */
static void tpl_operand_drop(struct ctx *c, const struct pyast_node *n, struct buf *b)
{
	const struct pyast_node *l = pyast_field(n, "left"), *op = pyast_field(n, "operator");
	const struct pyast_node *r = pyast_field(n, "right");
	long long v;

	if (!l || !op || !r || in_decorator(n))
		return;
	if (is(n, "binary_operator") &&
	    (!(text_is(c, op, "+") || text_is(c, op, "-") || text_is(c, op, "*")) || is_string(l) ||
	     is_string(r) || !int_value(c, r, &v) || !int_value(c, l, &v)))
		return;
	add_node_text(b, c, l);
	emit_buf(c, T_OPERAND_DROP, n, b, 0);
	add_node_text(b, c, r);
	emit_buf(c, T_OPERAND_DROP, n, b, 0.1);
}

/* a simple one-line statement alone on its lines: its byte range with the line break */
static int own_lines(const struct ctx *c, const struct pyast_node *s, size_t *start, size_t *end)
{
	size_t ie, ls, le, k;

	if (indentation(c, s, start, &ie) < 0 || pyast_line_range(c->ast, s->end_line, &ls, &le) < 0)
		return -1;
	for (k = s->end; k < le; k++)
		if (c->text[k] != ' ' && c->text[k] != '\t')
			return -1;
	*end = le < c->len ? le + 1 : le;
	return 0;
}

static int is_simple_stmt(const struct ctx *c, const struct pyast_node *s)
{
	const struct pyast_node *e = pyast_named_child(s, 0);

	if (s->start_line != s->end_line)
		return 0;
	if (is(s, "expression_statement"))
		return !is_string(e) && !is(e, "comment");
	return is(s, "break_statement") || is(s, "continue_statement") || is(s, "delete_statement");
}

/* a statement that should not be there; two statements in the wrong order */
static void tpl_statement(struct ctx *c, const struct pyast_node *s, struct buf *b)
{
	const struct pyast_node *block = s->parent, *nx = next_stmt(s);
	size_t s_start, s_end, n_start, n_end;

	if (!is(block, "block") || !is_simple_stmt(c, s) || own_lines(c, s, &s_start, &s_end) < 0)
		return;
	if (first_stmt(block) != last_stmt(block))
		emit(c, T_STMT_DROP, s_start, s_end, "", 0, 0);
	/* swap with the next statement, whatever its size, when it sits at the same indentation */
	if (nx && !is(nx, "return_statement") && !is(nx, "raise_statement") &&
	    own_lines(c, nx, &n_start, &n_end) == 0 && n_start == s_end) {
		buf_add(b, c->text + n_start, n_end - n_start);
		if (b->len && b->ptr[b->len - 1] != '\n')
			buf_addch(b, '\n');
		buf_add(b, c->text + s_start, s_end - s_start);
		if (n_end == c->len && b->ptr[b->len - 1] == '\n')
			buf_setlen(b, b->len - 1);
		emit(c, T_STMT_MOVE, s_start, n_end, b->ptr, b->len, 0);
		buf_reset(b);
	}
}

/* 1 if `def` calls itself */
static int is_recursive(const struct ctx *c, const struct pyast_node *def)
{
	const struct pyast_node *name = pyast_field(def, "name"), *n, *callee;
	size_t len;
	const char *t;

	if (!name)
		return 0;
	t = ntext(c, name, &len);
	for (n = def; (n = pyast_next(c->ast, n, "call", 0, 0)) && n->start < def->end; )
		if (pyast_enclosing_def(n) == def && (callee = callee_name(n))) {
			size_t cl;
			const char *ct = ntext(c, callee, &cl);
			if (cl == len && !memcmp(ct, t, len))
				return 1;
		}
	return 0;
}

/* if n <= 1: return n, at the top of a recursive function */
static void tpl_base_case(struct ctx *c, const struct pyast_node *def, struct buf *b)
{
	/* each condition as the text before and after the parameter */
	static const char *const conds[][2] = {
		{ "not ", "" }, { "", " <= 1" }, { "", " is None" }, { "len(", ") <= 1" }, { "", " == 0" },
	};
	const struct pyast_node *body = pyast_field(def, "body"), *first = first_stmt(body);
	struct strvec values = STRVEC_INIT, params = STRVEC_INIT;
	struct buf text = BUF_INIT;
	size_t i, j, k, is_, ie;
	int tried = 0;

	if (!first || !is_recursive(c, def) || indentation(c, first, &is_, &ie) < 0)
		return;
	/* after the docstring */
	if (is(first, "expression_statement") && is_string(pyast_named_child(first, 0)) && next_stmt(first))
		first = next_stmt(first);
	for (i = 0; i < c->names.params.nr && params.nr < 2; i++)
		if (!is_receiver(c->names.params.v[i]))
			strvec_push(&params, c->names.params.v[i]);
	/* what a base case returns: a parameter, or a literal the function returns elsewhere */
	for (i = 0; i < params.nr; i++)
		strvec_pushf(&values, "return %s", params.v[i]);
	function_returns(&values, c, def, 1);
	for (i = 0; i < params.nr && tried < BASE_CASE_MAX; i++) {
		for (j = 0; j < ARRAY_SIZE(conds) && tried < BASE_CASE_MAX; j++)
			for (k = 0; k < values.nr && k < GUARD_BODIES_MAX + 1 && tried < BASE_CASE_MAX; k++) {
				buf_reset(&text);
				buf_addf(&text, "if %s%s%s:\n", conds[j][0], params.v[i], conds[j][1]);
				buf_add(&text, c->text + is_, ie - is_);
				buf_addf(&text, "    %s", values.v[k]);
				insert_before(c, T_BASE_CASE, first, text.ptr, 0.1 * tried++, b);
			}
	}
	buf_release(&text);
	strvec_clear(&params);
	strvec_clear(&values);
}

/* -- regions ---------------------------------------------------------------- */

static void mutate_node(struct ctx *c, const struct pyast_node *n, struct buf *b)
{
	const char *t = n->type;

	if (!strcmp(t, "comparison_operator"))
		tpl_comparison(c, n);
	else if (!strcmp(t, "binary_operator"))
		tpl_binary(c, n, b);
	else if (!strcmp(t, "augmented_assignment"))
		tpl_augmented(c, n);
	else if (!strcmp(t, "assignment"))
		tpl_assign_to_aug(c, n);
	else if (!strcmp(t, "integer"))
		tpl_integer(c, n, b);
	else if (!strcmp(t, "attribute"))
		tpl_attribute(c, n);
	else if (!strcmp(t, "list") || !strcmp(t, "set") || !strcmp(t, "tuple"))
		tpl_element_add(c, n, b);
	else if (!strcmp(t, "subscript"))
		tpl_subscript(c, n, b);
	else if (!strcmp(t, "call")) {
		tpl_call(c, n, b);
		if (callee_name(n) && is(pyast_field(n, "arguments"), "argument_list") && !in_decorator(n))
			tpl_call_args(c, n, pyast_field(n, "arguments"), b);
	}
	else if (!strcmp(t, "boolean_operator")) {
		const struct pyast_node *op = pyast_field(n, "operator");
		if (text_is(c, op, "and"))
			emit_str(c, T_BOOL_SWAP, op, "or", 0);
		else if (text_is(c, op, "or"))
			emit_str(c, T_BOOL_SWAP, op, "and", 0);
	} else if (!strcmp(t, "not_operator")) {
		if (!field_is(n, "condition")) {
			add_node_text(b, c, pyast_field(n, "argument"));
			emit_buf(c, T_NOT_DROP, n, b, 0);
		}
	} else if (!strcmp(t, "true") || !strcmp(t, "false")) {
		if (!in_decorator(n))
			emit_str(c, T_BOOL_LITERAL, n, !strcmp(t, "true") ? "False" : "True", 0);
	} else if (!strcmp(t, "if_statement") || !strcmp(t, "elif_clause") ||
		   !strcmp(t, "while_statement")) {
		tpl_condition(c, pyast_field(n, "condition"), b);
		tpl_guard_cond(c, pyast_field(n, "condition"), b);
	} else if (!strcmp(t, "conditional_expression")) {
		tpl_condition(c, pyast_named_child(n, 1), b);
	} else if (!strcmp(t, "identifier")) {
		if (is_undefined_use(c, n)) {
			tpl_undefined(c, n);
		} else {
			tpl_identifier(c, n);
			tpl_callee(c, n);
		}
	} else if (!strcmp(t, "return_statement")) {
		tpl_return(c, n, b);
		tpl_return_value(c, n, b);
	} else if (!strcmp(t, "function_definition")) {
		tpl_missing_return(c, n, b);
		tpl_params(c, n, b);
		tpl_stmt_insert(c, n, b);
		tpl_base_case(c, n, b);
	}
	/* the field's patterns that apply to many kinds of node */
	if (!strcmp(t, "true") || !strcmp(t, "false") || !strcmp(t, "none") || !strcmp(t, "integer") ||
	    !strcmp(t, "string"))
		tpl_literal_name(c, n);
	if (!strcmp(t, "binary_operator") || !strcmp(t, "boolean_operator"))
		tpl_operand_drop(c, n, b);
	if (n->parent && (is(n->parent, "return_statement") || is(n->parent, "for_statement") ||
			  is(n->parent, "assignment") || is(n->parent, "augmented_assignment") ||
			  is(n->parent, "argument_list")))
		tpl_wrap(c, n, b);
	if (pyast_is_statement(n) && is(n->parent, "block")) {
		tpl_guard(c, n, b);
		tpl_statement(c, n, b);
	}
}

/* mutate every node of a function or statement, with the names in scope at `line` */
static void mutate_scope(struct ctx *c, const struct pyast_node *region, int line, int depth, struct buf *b)
{
	struct pyast_names saved = c->names;
	const struct pyast_node *n;
	size_t skip_end = 0, nr_outer = c->outer.nr, i;

	memset(&c->names, 0, sizeof(c->names));
	pyast_names_in_scope(&c->names, c->ast, line);
	build_scope(c);
	for (n = region; n && n->start < region->end; n = pyast_next(c->ast, n, NULL, 0, 0)) {
		if (n->end > region->end || n->missing || n->error || n->start < skip_end)
			continue;
		/* a nested def or class is a scope of its own: a def's names are ours as closures */
		if (n != region && (is(n, "function_definition") || is(n, "class_definition"))) {
			skip_end = n->end;
			if (!is(n, "function_definition") || depth >= NESTED_MAX_DEPTH)
				continue;
			for (i = 0; i < c->names.params.nr; i++)
				strvec_push(&c->outer, c->names.params.v[i]);
			for (i = 0; i < c->names.locals.nr; i++)
				if (!defines_function(c, region, c->names.locals.v[i]))
					strvec_push(&c->outer, c->names.locals.v[i]);
			mutate_scope(c, n, n->start_line, depth + 1, b);
			while (c->outer.nr > nr_outer)
				strvec_pop(&c->outer);
			build_scope(c);
			continue;
		}
		mutate_node(c, n, b);
	}
	pyast_names_release(&c->names);
	c->names = saved;
}

/* the parameters and locals of the functions around `region` (closures) */
static void enclosing_names(struct ctx *c, const struct pyast_node *region)
{
	const struct pyast_node *p;
	size_t i;

	for (p = region->parent; p; p = p->parent) {
		struct pyast_names outer = PYAST_NAMES_INIT;
		if (!is(p, "function_definition"))
			continue;
		pyast_names_in_scope(&outer, c->ast, p->start_line);
		for (i = 0; i < outer.params.nr; i++)
			strvec_push(&c->outer, outer.params.v[i]);
		for (i = 0; i < outer.locals.nr; i++)
			if (!defines_function(c, p, outer.locals.v[i]))
				strvec_push(&c->outer, outer.locals.v[i]);
		pyast_names_release(&outer);
	}
}

/* mutate every node of `region` (a function, or a module-level statement) */
static void mutate_region(struct ctx *c, const struct pyast_node *region, int line)
{
	struct buf b = BUF_INIT;

	/* once per file: its names are the same for each of its regions */
	if (c->names_of != c->cur + 1) {
		file_names_release(c);
		collect_file_names(c);
		c->names_of = c->cur + 1;
	}
	enclosing_names(c, region);
	mutate_scope(c, region, line ? line : region->start_line, 0, &b);
	strvec_clear(&c->outer);
	strvec_clear(&c->scope);
	buf_release(&b);
}

static int region_seen(struct ctx *c, size_t src, size_t start)
{
	size_t i;

	for (i = 0; i + 1 < c->nr_regions; i += 2)
		if (c->regions[i] == src && c->regions[i + 1] == start)
			return 1;
	ALLOC_GROW(c->regions, c->nr_regions + 2, c->alloc_regions);
	c->regions[c->nr_regions++] = src;
	c->regions[c->nr_regions++] = start;
	return 0;
}

/* -- sources and targets ---------------------------------------------------- */

/* a path inside the project, relative to the root; NULL when it is not */
static char *project_path(const struct ctx *c, const char *path)
{
	const char *p;

	if (!path || !*path)
		return NULL;
	if (path[0] == '/')
		return fs_relative_to(path, c->req->root);
	for (p = path; *p; ) {
		size_t len = strcspn(p, "/");
		if (len == 2 && !memcmp(p, "..", 2))
			return NULL;
		p += len;
		while (*p == '/')
			p++;
	}
	if (!strncmp(path, "./", 2))
		path += 2;
	return xstrdup(path);
}

/* the index of a source already read (-2 when it could not be), or -1 */
static long find_source(const struct ctx *c, const char *path)
{
	size_t i;

	for (i = 0; i < c->nr_sources; i++)
		if (!strcmp(c->sources[i].path, path))
			return c->sources[i].ast ? (long)i : -2;
	return -1;
}

/* read a project file into `text`; -1 when it is not a readable regular file */
static int read_source(struct buf *text, const struct ctx *c, const char *path)
{
	struct buf full = BUF_INIT;
	int err = -1;

	buf_addf(&full, "%s/%s", c->req->root, path);
	if (fs_is_file(full.ptr))
		err = fs_read_file(text, full.ptr, ENGINE_MAX_SOURCE_BYTES);
	if (err < 0) {
		log_debug("builtin engine: cannot read '%s': %s", path, error_last());
		error_clear();
	}
	buf_release(&full);
	return err < 0 ? -1 : 0;
}

/* keep a source, parsed from `text` (NULL: read it); its index, or -1 when it cannot be read */
static long add_source(struct ctx *c, const char *path, const struct buf *text)
{
	struct buf own = BUF_INIT;
	struct source *s;
	struct pyast *ast = NULL;
	long idx = -1;

	if (!text && read_source(&own, c, path) == 0)
		text = &own;
	if (text && pyast_parse(&ast, text->ptr, text->len) == 0)
		idx = (long)c->nr_sources;
	ALLOC_GROW(c->sources, c->nr_sources + 1, c->alloc_sources);
	s = &c->sources[c->nr_sources++];
	s->path = xstrdup(path);
	s->ast = ast;
	s->broken = ast && !pyast_syntax_ok(ast, NULL);
	buf_release(&own);
	error_clear();
	return idx;
}

/* the source at a project-relative path, read and parsed once; -1 when unreadable */
static long get_source(struct ctx *c, const char *path)
{
	long idx = find_source(c, path);

	if (idx == -2)
		return -1;
	return idx >= 0 ? idx : add_source(c, path, NULL);
}

static void add_target(struct ctx *c, const char *path, int line, const char *function, int distance)
{
	struct target *t;
	size_t i;

	for (i = 0; i < c->nr_targets; i++) {
		t = &c->targets[i];
		if (!strcmp(t->path, path) && t->line == line &&
		    !strcmp(t->function ? t->function : "", function ? function : ""))
			return;
	}
	ALLOC_GROW(c->targets, c->nr_targets + 1, c->alloc_targets);
	t = &c->targets[c->nr_targets++];
	memset(t, 0, sizeof(*t));
	t->path = xstrdup(path);
	t->line = line;
	t->function = xstrdup_or_null(function);
	t->distance = distance;
}

/* installed or generated code inside the project: .venv/, site-packages/, __pycache__/ */
static int is_vendor_path(const char *path)
{
	return !project_path_is_source(path);
}

/* never mutated: tests, and code that is not the project's */
static int is_test_path(const struct ctx *c, const char *path)
{
	const struct failure *f = c->req->failure;
	return guard_is_test_file(path) || (f->file && !strcmp(f->file, path)) || is_vendor_path(path);
}

/* callees never worth following: builtins and test helpers */
static int ignored_callee(const char *name)
{
	static const char *const names[] = {
		"print", "len", "range", "isinstance", "issubclass", "str", "int", "float", "list",
		"dict", "set", "tuple", "frozenset", "sorted", "reversed", "min", "max", "sum", "any",
		"all", "abs", "round", "open", "enumerate", "zip", "map", "filter", "getattr",
		"hasattr", "setattr", "type", "super", "repr", "iter", "next", "bool", "id", "hash",
		"format", "vars", "dir", "callable", "object", "bytes", "approx", "raises", "warns",
		"fixture", "param", "skip", "xfail", "fail", "parametrize", "patch", "Mock",
		"MagicMock", "append", "extend", "items", "keys", "values", "get", "join", "split",
		"strip", "format", "copy",
	};
	size_t i;

	if (!strncmp(name, "assert", 6))
		return 1;
	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(name, names[i]))
			return 1;
	return 0;
}

struct wanted {
	char *name;
	int distance;
	int found;
};

struct wanted_list {
	struct wanted *items;
	size_t nr, alloc;
};

static void want(struct wanted_list *w, const char *name, size_t len, int distance)
{
	size_t i;

	for (i = 0; i < w->nr; i++)
		if (strlen(w->items[i].name) == len && !memcmp(w->items[i].name, name, len))
			return;
	if (w->nr >= ENGINE_MAX_CALLEES)
		return;
	ALLOC_GROW(w->items, w->nr + 1, w->alloc);
	w->items[w->nr].name = xstrndup(name, len);
	w->items[w->nr].distance = distance;
	w->items[w->nr].found = 0;
	w->nr++;
}

/* the functions called from lines [first, last] of `ast`, within `within` when given */
static void want_calls(struct wanted_list *w, const struct pyast *ast, const struct pyast_node *within,
		       int first, int last, int distance)
{
	const struct pyast_node *n, *name;
	size_t len;
	const char *t;

	for (n = NULL; (n = pyast_next(ast, n, "call", first, last)); ) {
		if (within && !pyast_within(n, within))
			continue;
		if (!(name = callee_name(n)))
			continue;
		t = pyast_text(ast, name, &len);
		{
			char *s = xstrndup(t, len);
			int skip = ignored_callee(s);
			free(s);
			if (skip)
				continue;
		}
		want(w, t, len, distance);
	}
}

/* look for the wanted functions in the source at `path` */
/* 1 if `text` has "def name(" for a wanted function not found yet */
static int mentions_wanted(const struct buf *text, const struct wanted_list *w)
{
	struct buf pat = BUF_INIT;
	size_t i;
	int hit = 0;

	for (i = 0; i < w->nr && !hit; i++) {
		if (w->items[i].found)
			continue;
		buf_reset(&pat);
		buf_addf(&pat, "def %s(", w->items[i].name);
		hit = strstr(text->ptr, pat.ptr) != NULL;
	}
	buf_release(&pat);
	return hit;
}

static void find_wanted_in(struct ctx *c, struct wanted_list *w, const char *path)
{
	struct pyast_function fn = PYAST_FUNCTION_INIT;
	struct buf text = BUF_INIT;
	long idx;
	size_t i;

	if (is_test_path(c, path))
		return;
	/* only files that define one of them are parsed */
	idx = find_source(c, path);
	if (idx == -1 && !read_source(&text, c, path) && mentions_wanted(&text, w))
		idx = add_source(c, path, &text);
	buf_release(&text);
	if (idx < 0)
		return;
	for (i = 0; i < w->nr; i++) {
		if (w->items[i].found ||
		    pyast_find_function(&fn, c->sources[idx].ast, w->items[i].name, NULL))
			continue;
		add_target(c, path, 0, w->items[i].name, w->items[i].distance);
		w->items[i].found = 1;
		pyast_function_release(&fn);
	}
}

/* module "a.b" (".b" relative to `from`) -> the files it may be */
static void module_files(struct strvec *out, const char *from, const char *mod, size_t len)
{
	static const char *const prefixes[] = { "", "src/", "lib/" };
	struct buf base = BUF_INIT, rel = BUF_INIT;
	size_t i, dots = 0;

	while (dots < len && mod[dots] == '.')
		dots++;
	if (dots) {
		const char *slash = strrchr(from, '/');
		buf_add(&base, from, slash ? (size_t)(slash - from) : 0);
		for (i = 1; i < dots; i++) {
			char *up = strrchr(base.ptr, '/');
			buf_setlen(&base, up ? (size_t)(up - base.ptr) : 0);
		}
		if (base.len)
			buf_addch(&base, '/');
	}
	for (i = dots; i < len; i++)
		buf_addch(&rel, mod[i] == '.' ? '/' : mod[i]);
	for (i = 0; i < (dots ? 1 : ARRAY_SIZE(prefixes)); i++) {
		if (rel.len) {
			strvec_pushf(out, "%s%s%s.py", prefixes[i], base.ptr, rel.ptr);
			strvec_pushf(out, "%s%s%s/__init__.py", prefixes[i], base.ptr, rel.ptr);
		} else {
			strvec_pushf(out, "%s%s__init__.py", prefixes[i], base.ptr);
		}
	}
	buf_release(&rel);
	buf_release(&base);
}

/* the files a source imports from, as candidate paths */
static void imported_files(struct strvec *out, const char *from, const struct pyast *ast)
{
	const struct pyast_node *n, *k, *mod;
	size_t len;
	const char *t;

	for (n = NULL; (n = pyast_next(ast, n, NULL, 0, 0)); ) {
		if (pyast_is(n, "import_from_statement")) {
			mod = pyast_field(n, "module_name");
			if (!mod)
				continue;
			t = pyast_text(ast, mod, &len);
			module_files(out, from, t, len);
			/* from pkg import mod */
			for (k = n->child; k; k = k->next) {
				const struct pyast_node *name = k;
				struct buf sub = BUF_INIT;
				size_t nlen;
				const char *nt;
				if (!k->field || strcmp(k->field, "name"))
					continue;
				if (pyast_is(k, "aliased_import"))
					name = pyast_field(k, "name");
				if (!name)
					continue;
				nt = pyast_text(ast, name, &nlen);
				buf_add(&sub, t, len);
				if (len && t[len - 1] != '.')
					buf_addch(&sub, '.');
				buf_add(&sub, nt, nlen);
				module_files(out, from, sub.ptr, sub.len);
				buf_release(&sub);
			}
		} else if (pyast_is(n, "import_statement")) {
			for (k = n->child; k; k = k->next) {
				const struct pyast_node *name = k;
				if (pyast_is(k, "aliased_import"))
					name = pyast_field(k, "name");
				if (!pyast_is(name, "dotted_name"))
					continue;
				t = pyast_text(ast, name, &len);
				module_files(out, from, t, len);
			}
		}
	}
}

static int skip_dir(const char *name)
{
	return project_dir_is_vendor(name, strlen(name)) || !strcmp(name, "build") ||
	       !strcmp(name, "dist") || !strcmp(name, "tests") || !strcmp(name, "test");
}

/* last resort: look through the project's python files for `def name(` */
static void scan_for_wanted(struct ctx *c, struct wanted_list *w, const char *dir, int depth,
			    size_t *files)
{
	struct buf full = BUF_INIT, path = BUF_INIT;
	DIR *d;
	struct dirent *e;

	if (depth > SCAN_MAX_DEPTH)
		return;
	buf_addf(&full, "%s%s%s", c->req->root, *dir ? "/" : "", dir);
	d = opendir(full.ptr);
	if (!d)
		goto done;
	while ((e = readdir(d)) && *files < ENGINE_MAX_SCAN_FILES) {
		size_t nlen = strlen(e->d_name);
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		buf_reset(&path);
		buf_addf(&path, "%s%s%s", dir, *dir ? "/" : "", e->d_name);
		buf_reset(&full);
		buf_addf(&full, "%s/%s", c->req->root, path.ptr);
		if (fs_is_dir(full.ptr)) {
			struct stat st;
			if (!skip_dir(e->d_name) && !lstat(full.ptr, &st) && !S_ISLNK(st.st_mode))
				scan_for_wanted(c, w, path.ptr, depth + 1, files);
			continue;
		}
		if (nlen < 4 || strcmp(e->d_name + nlen - 3, ".py") || is_test_path(c, path.ptr))
			continue;
		(*files)++;
		find_wanted_in(c, w, path.ptr);
	}
	closedir(d);
done:
	buf_release(&path);
	buf_release(&full);
}

/* a frame in a test file: follow what its statement calls, then what the rest of the test calls */
static void follow_calls(struct ctx *c, struct wanted_list *w, const char *path, int line, int distance)
{
	struct pyast_function fn = PYAST_FUNCTION_INIT;
	long idx = get_source(c, path);
	int first, last;
	const struct pyast *ast;

	if (idx < 0 || line <= 0)
		return;
	ast = c->sources[idx].ast;
	if (!pyast_statement_at(ast, line, &first, &last))
		return;
	want_calls(w, ast, NULL, first, last, distance + 1);
	if (!pyast_enclosing_function(&fn, ast, line)) {
		want_calls(w, ast, fn.node, fn.start_line, fn.end_line, distance + 2);
		pyast_function_release(&fn);
	}
}

/* look for the wanted functions where `from` imports from; what is not found goes on `missing` */
static void resolve_wanted(struct ctx *c, struct wanted_list *w, const char *from,
			   struct wanted_list *missing)
{
	struct strvec files = STRVEC_INIT;
	long idx = get_source(c, from);
	size_t i;

	if (!w->nr)
		return;
	find_wanted_in(c, w, from);
	if (idx >= 0)
		imported_files(&files, from, c->sources[idx].ast);
	for (i = 0; i < files.nr; i++) {
		char *p = project_path(c, files.v[i]);
		struct buf full = BUF_INIT;
		if (p) {
			buf_addf(&full, "%s/%s", c->req->root, p);
			if (fs_is_file(full.ptr))
				find_wanted_in(c, w, p);
		}
		buf_release(&full);
		free(p);
	}
	for (i = 0; i < w->nr; i++)
		if (!w->items[i].found)
			want(missing, w->items[i].name, strlen(w->items[i].name), w->items[i].distance);
	strvec_clear(&files);
}

static void wanted_release(struct wanted_list *w)
{
	size_t i;

	for (i = 0; i < w->nr; i++)
		free(w->items[i].name);
	free(w->items);
	memset(w, 0, sizeof(*w));
}

/* the frames, deepest first, as targets; the functions test frames call after them */
static void collect_targets(struct ctx *c)
{
	const struct failure *f = c->req->failure;
	struct { char *path; int line; } *places = NULL;
	struct wanted_list missing = { NULL, 0, 0 };
	size_t nr = 0, i, j, scanned = 0;
	int distance = 0;

	places = xcalloc(f->nr_frames + 1, sizeof(*places));
	if (f->loc_file && f->loc_line > 0 && (places[nr].path = project_path(c, f->loc_file)))
		places[nr++].line = f->loc_line;
	for (i = f->nr_frames; i-- > 0; ) {
		char *p = project_path(c, f->frames[i].file);
		int dup = 0;
		if (!p || f->frames[i].line <= 0) {
			free(p);
			continue;
		}
		for (j = 0; j < nr; j++)
			dup |= !strcmp(places[j].path, p) && places[j].line == f->frames[i].line;
		if (dup) {
			free(p);
			continue;
		}
		places[nr].path = p;
		places[nr++].line = f->frames[i].line;
	}
	for (i = 0; i < nr; i++, distance++) {
		struct wanted_list w = { NULL, 0, 0 };
		if (is_vendor_path(places[i].path))
			continue;
		if (is_test_path(c, places[i].path)) {
			follow_calls(c, &w, places[i].path, places[i].line, distance);
		} else {
			add_target(c, places[i].path, places[i].line, NULL, distance);
			/* what the crashing line calls may have computed the wrong value */
			if (distance == 0) {
				long idx = get_source(c, places[i].path);
				int first, last;
				if (idx >= 0 && pyast_statement_at(c->sources[idx].ast, places[i].line, &first, &last))
					want_calls(&w, c->sources[idx].ast, NULL, first, last, distance + 1);
			}
		}
		resolve_wanted(c, &w, places[i].path, &missing);
		wanted_release(&w);
	}
	/* one walk through the project for whatever the imports did not lead to */
	if (missing.nr)
		scan_for_wanted(c, &missing, "", 0, &scanned);
	wanted_release(&missing);
	for (i = 0; i < nr; i++)
		free(places[i].path);
	free(places);
}

/* -- suspects (engine_request.suspects) ------------------------------------ */

/* the functions holding the best suspects that become targets */
#define SUSPECT_FUNCTIONS_MAX 10
/* suspiciousness kept in millionths, so that equal scores compare equal */
#define SUSPICION_SCALE 1e6

/* the first line of the function a target mutates; 0 when it is none (module level) */
static int target_function_line(struct ctx *c, const struct target *t)
{
	struct pyast_function fn = PYAST_FUNCTION_INIT;
	long idx = get_source(c, t->path);
	int line = 0;

	if (idx < 0)
		return 0;
	if (t->function ? !pyast_find_function(&fn, c->sources[idx].ast, t->function, NULL)
			: !pyast_enclosing_function(&fn, c->sources[idx].ast, t->line)) {
		line = fn.start_line;
		pyast_function_release(&fn);
	}
	return line;
}

/*
 * The functions of project source that hold the best suspects (the tests
 * reached them however they were called: an alias, two calls down): one
 * that a frame or a call already targets takes the suspect's score; the
 * others become whole-function targets one step past the farthest frame.
 */
static void add_suspect_targets(struct ctx *c)
{
	const struct engine_request *req = c->req;
	int *starts = NULL, far = 0;
	size_t i, j, alloc = 0, functions = 0;

	if (!req->nr_suspects)
		return;
	c->suspect_paths = xcalloc(req->nr_suspects, sizeof(*c->suspect_paths));
	ALLOC_GROW(starts, c->nr_targets + 1, alloc);
	for (j = 0; j < c->nr_targets; j++) {
		starts[j] = target_function_line(c, &c->targets[j]);
		if (c->targets[j].distance >= far)
			far = c->targets[j].distance + 1;
	}
	for (i = 0; i < req->nr_suspects; i++) {
		const struct suspect *s = &req->suspects[i];
		struct pyast_function fn = PYAST_FUNCTION_INIT;
		char *path = project_path(c, s->file);
		size_t before = c->nr_targets;
		long idx;

		if (!path || is_test_path(c, path)) {
			free(path);
			continue;
		}
		c->suspect_paths[i] = path;
		if (functions >= SUSPECT_FUNCTIONS_MAX || s->line <= 0 || s->score <= 0 ||
		    (idx = get_source(c, path)) < 0 ||
		    pyast_enclosing_function(&fn, c->sources[idx].ast, s->line))
			continue;
		for (j = 0; j < c->nr_targets; j++) {
			struct target *t = &c->targets[j];
			if (starts[j] != fn.start_line || strcmp(t->path, path))
				continue;
			functions += t->score <= 0;
			if (s->score > t->score)
				t->score = s->score;
			break;
		}
		if (j == c->nr_targets)
			add_target(c, path, s->line, NULL, far);
		if (c->nr_targets > before) {
			c->targets[before].spectrum = 1;
			c->targets[before].score = s->score;
			ALLOC_GROW(starts, c->nr_targets, alloc);
			starts[before] = fn.start_line;
			functions++;
		}
		pyast_function_release(&fn);
	}
	free(starts);
}

/*
 * The most suspicious first, then the nearest, keeping the order found
 * among equals (a function reached twice keeps its nearest)
 */
static void sort_targets(struct ctx *c)
{
	size_t i, j;

	for (i = 1; i < c->nr_targets; i++) {
		struct target t = c->targets[i];
		for (j = i; j > 0 && (c->targets[j - 1].score < t.score ||
				      (c->targets[j - 1].score == t.score &&
				       c->targets[j - 1].distance > t.distance)); j--)
			c->targets[j] = c->targets[j - 1];
		c->targets[j] = t;
	}
}

/* the suspicion of the mutations from `from` on: their most suspicious line's score */
static void rate_mutations(struct ctx *c, size_t from)
{
	const struct engine_request *req = c->req;
	const char *path = c->sources[c->cur].path;
	const struct suspect **here = NULL;
	size_t i, k, nr = 0;

	/* the suspects in this file */
	if (c->suspect_paths && from < c->nr_muts)
		here = xcalloc(req->nr_suspects, sizeof(*here));
	for (i = 0; here && i < req->nr_suspects; i++)
		if (c->suspect_paths[i] && !strcmp(c->suspect_paths[i], path))
			here[nr++] = &req->suspects[i];
	for (k = from; k < c->nr_muts; k++) {
		struct mutation *m = &c->muts[k];
		int first = pyast_line_of(c->ast, m->start);
		int last = pyast_line_of(c->ast, m->end > m->start ? m->end - 1 : m->start);
		double best = 0;
		for (i = 0; i < nr; i++)
			if (here[i]->line >= first && here[i]->line <= last && here[i]->score > best)
				best = here[i]->score;
		m->suspicion = lround(best * SUSPICION_SCALE);
	}
	free(here);
}

static void mutate_target(struct ctx *c, const struct target *t)
{
	struct pyast_function fn = PYAST_FUNCTION_INIT;
	const struct pyast_node *region = NULL;
	long idx = get_source(c, t->path);
	size_t before = c->nr_muts;
	int first = 0, last = 0;

	if (idx < 0 || is_test_path(c, t->path))
		return;
	if (c->sources[idx].broken) {
		log_debug("builtin engine: '%s' does not parse; not mutating it", t->path);
		return;
	}
	c->cur = (size_t)idx;
	c->ast = c->sources[idx].ast;
	c->text = pyast_source(c->ast, &c->len);
	c->distance = t->distance;
	c->focus_first = c->focus_last = 0;
	if (t->function) {
		if (pyast_find_function(&fn, c->ast, t->function, NULL))
			return;
		region = fn.node;
	} else if (t->spectrum) {
		if (pyast_enclosing_function(&fn, c->ast, t->line))
			return;
		region = fn.node;
	} else {
		const struct pyast_node *stmt = pyast_statement_at(c->ast, t->line, &first, &last);
		if (!pyast_enclosing_function(&fn, c->ast, t->line))
			region = fn.node;
		else
			region = stmt;
		c->focus_first = first ? first : t->line;
		c->focus_last = last ? last : t->line;
	}
	if (region && !region_seen(c, c->cur, region->start))
		mutate_region(c, region, t->line);
	rate_mutations(c, before);
	pyast_function_release(&fn);
}

/* -- candidates ------------------------------------------------------------- */

static int mutation_cmp(const void *a, const void *b)
{
	const struct mutation *x = a, *y = b;

	if (x->suspicion != y->suspicion)
		return x->suspicion > y->suspicion ? -1 : 1;
	if (x->distance != y->distance)
		return x->distance < y->distance ? -1 : 1;
	if (x->cost != y->cost)
		return x->cost < y->cost ? -1 : 1;
	if (x->kb_rank != y->kb_rank)
		return x->kb_rank < y->kb_rank ? -1 : 1;
	if (x->tpl != y->tpl)
		return x->tpl < y->tpl ? -1 : 1;
	if (x->src != y->src)
		return x->src < y->src ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return strcmp(x->text, y->text);
}

/* occurrences of <needle, nlen> in <hay, hlen>, stopping at 2 */
static int count_upto2(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	const char *p = hay, *end = hay + hlen, *hit;
	int n = 0;

	while (n < 2 && (size_t)(end - p) >= nlen && (hit = memmem(p, (size_t)(end - p), needle, nlen))) {
		n++;
		p = hit + 1;
	}
	return n;
}

/* a one-line, shortened quote of <s, len> */
static void add_snippet(struct buf *out, const char *s, size_t len)
{
	size_t i, n = 0;

	buf_addch(out, '\'');
	for (i = 0; i < len && n < DESCRIBE_MAX; i++) {
		char ch = s[i];
		if (ch == '\n' || ch == '\r' || ch == '\t') {
			while (i + 1 < len && (s[i + 1] == ' ' || s[i + 1] == '\t' || s[i + 1] == '\n'))
				i++;
			ch = ' ';
		}
		buf_add_printable(out, &ch, 1);
		n++;
	}
	if (i < len)
		buf_adds(out, "...");
	buf_addch(out, '\'');
}

static void describe(struct buf *out, const struct ctx *c, const struct mutation *m,
		     const struct pyast *ast, const char *text)
{
	struct pyast_function fn = PYAST_FUNCTION_INIT;
	int line = pyast_line_of(ast, m->start);

	buf_addf(out, "%s: ", templates[m->tpl].name);
	if (m->end > m->start) {
		add_snippet(out, text + m->start, m->end - m->start);
		buf_adds(out, " -> ");
		add_snippet(out, m->text, strlen(m->text));
	} else {
		buf_adds(out, "insert ");
		add_snippet(out, m->text, strlen(m->text));
	}
	buf_addf(out, " at %s:%d", c->sources[m->src].path, line);
	if (!pyast_enclosing_function(&fn, ast, line)) {
		buf_addf(out, " in %s%s%s()", fn.class_name ? fn.class_name : "",
			 fn.class_name ? "." : "", fn.name);
		pyast_function_release(&fn);
	}
}

/* turn the ranked mutations into candidates until there are enough */
static void build_candidates(struct candidate_list *out, struct ctx *c, size_t max)
{
	struct buf result = BUF_INIT, old = BUF_INIT, new = BUF_INIT, desc = BUF_INIT;
	uint64_t *seen = NULL;
	size_t nr_seen = 0, alloc_seen = 0, i, made = 0;

	for (i = 0; i < c->nr_muts && made < max; i++) {
		const struct mutation *m = &c->muts[i];
		const struct source *s = &c->sources[m->src];
		const struct pyast *ast = s->ast;
		struct candidate *cand;
		struct file_edit *e;
		size_t len, ls, le, dummy, k;
		const char *text = pyast_source(ast, &len);
		int first, last, nlines = pyast_line_count(ast), dup = 0, grow_up = 1;
		double cost;
		uint64_t h;

		/* the result, parsed */
		buf_reset(&result);
		buf_add(&result, text, m->start);
		buf_adds(&result, m->text);
		buf_add(&result, text + m->end, len - m->end);
		h = hash_fnv1a_add(hash_fnv1a(s->path, strlen(s->path)), result.ptr, result.len);
		for (k = 0; k < nr_seen; k++)
			dup |= seen[k] == h;
		if (dup)
			continue;
		ALLOC_GROW(seen, nr_seen + 1, alloc_seen);
		seen[nr_seen++] = h;
		if (!pyast_edit_parses(ast, m->start, m->end, m->text, strlen(m->text)))
			continue;

		/* whole lines around it, widened until they occur once */
		first = pyast_line_of(ast, m->start);
		last = pyast_line_of(ast, m->end > m->start ? m->end - 1 : m->start);
		pyast_line_range(ast, first, &ls, &dummy);
		pyast_line_range(ast, last, &dummy, &le);
		if (m->end > le && last < nlines)
			pyast_line_range(ast, ++last, &dummy, &le);
		while (count_upto2(text, len, text + ls, le - ls) > 1 && (first > 1 || last < nlines)) {
			if ((grow_up && first > 1) || last >= nlines)
				pyast_line_range(ast, --first, &ls, &dummy);
			else
				pyast_line_range(ast, ++last, &dummy, &le);
			grow_up = !grow_up;
		}
		buf_reset(&old);
		buf_add(&old, text + ls, le - ls);
		buf_reset(&new);
		buf_add(&new, text + ls, m->start - ls);
		buf_adds(&new, m->text);
		if (le > m->end)
			buf_add(&new, text + m->end, le - m->end);

		buf_reset(&desc);
		describe(&desc, c, m, ast, text);
		cand = candidate_list_add(out);
		e = change_add(&cand->change, EDIT_UPDATE, s->path);
		e->old_str = buf_detach(&old, NULL);
		e->new_str = buf_detach(&new, NULL);
		cand->change.description = buf_detach(&desc, NULL);
		cand->template_name = xstrdup(templates[m->tpl].name);
		cand->frame_distance = m->distance;
		cand->size = m->size;
		/* the cost (hints and the knowledge base make it as low as -10) squeezed into [0, 1) */
		cost = m->cost + 10 > 0 ? m->cost + 10 : 0;
		cand->score = 1.0 / (1.0 + m->distance + cost / (1.0 + cost));
		/* with suspects, their order first: a millionth of suspicion outweighs the rest */
		if (c->suspect_paths)
			cand->score = ((double)m->suspicion + cand->score) / (SUSPICION_SCALE + 1);
		made++;
	}
	free(seen);
	buf_release(&desc);
	buf_release(&new);
	buf_release(&old);
	buf_release(&result);
}

static void ctx_release(struct ctx *c)
{
	size_t i;

	for (i = 0; i < c->nr_sources; i++) {
		free(c->sources[i].path);
		pyast_free(c->sources[i].ast);
	}
	free(c->sources);
	for (i = 0; i < c->nr_targets; i++) {
		free(c->targets[i].path);
		free(c->targets[i].function);
	}
	free(c->targets);
	for (i = 0; i < c->nr_muts; i++)
		free(c->muts[i].text);
	free(c->muts);
	free(c->regions);
	for (i = 0; c->suspect_paths && i < c->req->nr_suspects; i++)
		free(c->suspect_paths[i]);
	free(c->suspect_paths);
	file_names_release(c);
}

static int builtin_propose(struct candidate_list *out, const struct engine_request *req)
{
	struct ctx c;
	const char *dot;
	size_t i, max = req->max_candidates ? req->max_candidates : ENGINE_DEFAULT_MAX_CANDIDATES;

	if (!req->failure || !req->root)
		return error_setc(ERR_USAGE, "builtin engine: no failure or project root given");
	memset(&c, 0, sizeof(c));
	c.req = req;
	c.error_type = req->failure->error_type ? req->failure->error_type : "";
	if ((dot = strrchr(c.error_type, '.')))
		c.error_type = dot + 1;
	c.message = req->failure->message ? req->failure->message : "";

	collect_targets(&c);
	add_suspect_targets(&c);
	sort_targets(&c);
	for (i = 0; i < c.nr_targets; i++) {
		log_debug("builtin engine: target %s:%d%s%s at distance %d, suspiciousness %.3f",
			  c.targets[i].path, c.targets[i].line, c.targets[i].function ? " function " : "",
			  c.targets[i].function ? c.targets[i].function : "", c.targets[i].distance,
			  c.targets[i].score);
		mutate_target(&c, &c.targets[i]);
	}
	if (c.nr_muts)
		qsort(c.muts, c.nr_muts, sizeof(*c.muts), mutation_cmp);
	build_candidates(out, &c, max);
	log_debug("builtin engine: %zu targets, %zu mutations, %zu candidates", c.nr_targets,
		  c.nr_muts, out->nr);
	ctx_release(&c);
	return 0;
}

int engine_mutants(struct candidate_list *out, const char *root, const char *path, size_t max)
{
	struct engine_request req = ENGINE_REQUEST_INIT;
	struct failure none;
	const struct pyast_node *nodes;
	const struct pyast *ast;
	struct ctx c;
	size_t nr, i;
	long idx;
	int err = 0;

	if (!root || !path)
		return error_setc(ERR_USAGE, "builtin engine: no project root or file given");
	memset(&none, 0, sizeof(none));
	req.failure = &none;
	req.root = root;
	memset(&c, 0, sizeof(c));
	c.req = &req;
	c.error_type = "";
	c.message = "";
	if ((idx = get_source(&c, path)) < 0) {
		err = error_setc(ERR_NOTFOUND, "builtin engine: cannot read '%s'", path);
		goto done;
	}
	if (c.sources[idx].broken) {
		err = error_setc(ERR_PARSE, "builtin engine: '%s' does not parse", path);
		goto done;
	}
	/* every function of the file, whole, as a spectrum target is */
	ast = c.sources[idx].ast;
	nodes = pyast_nodes(ast, &nr);
	for (i = 0; i < nr; i++) {
		const struct pyast_node *body = pyast_field(&nodes[i], "body");
		if (!pyast_is(&nodes[i], "function_definition") || !body)
			continue;
		add_target(&c, path, body->start_line, NULL, 0);
		c.targets[c.nr_targets - 1].spectrum = 1;
	}
	for (i = 0; i < c.nr_targets; i++)
		mutate_target(&c, &c.targets[i]);
	if (c.nr_muts)
		qsort(c.muts, c.nr_muts, sizeof(*c.muts), mutation_cmp);
	build_candidates(out, &c, max ? max : c.nr_muts);
	log_debug("builtin engine: %zu functions of '%s', %zu mutants", c.nr_targets, path, out->nr);
done:
	ctx_release(&c);
	return err;
}

const struct engine_ops engine_builtin = {
	.name = "builtin",
	.propose = builtin_propose,
	.ranks_templates = 1,
	.in_auto = 1,
};
