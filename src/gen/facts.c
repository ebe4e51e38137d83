#define _GNU_SOURCE /* memmem */
#include "gen/facts.h"

#include "pyast/pyast.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/hash.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

/* strings longer than this (source text) are not literals worth trying */
#define FACTS_MAX_LITERAL 40
/* literals kept per function, each kind */
#define FACTS_MAX_LITERALS 16
/* rounds of "calls a function that reaches a side effect" */
#define FACTS_MAX_DEPTH 8

/*
 * Calls with side effects a generated call must not make on unknown code:
 * processes, file deletion, the network. Matched against the dotted text
 * of a call's function ("os.remove", "shutil.rmtree", "subprocess.run"),
 * as a prefix ending at a dot or the end.
 */
static const char *const side_effects[] = {
	"os.remove", "os.unlink", "os.rmdir", "os.removedirs", "os.system", "os.popen",
	"os.kill", "os.killpg", "os.fork", "os.forkpty", "os.execl", "os.execle", "os.execlp",
	"os.execv", "os.execve", "os.execvp", "os.execvpe", "os.spawnl", "os.spawnv",
	"os.posix_spawn", "os.truncate", "os.rename", "os.replace", "os.chmod", "os.chown",
	"shutil.rmtree", "shutil.move", "shutil.copy", "shutil.copyfile", "shutil.copytree",
	"subprocess", "socket", "urllib.request", "http.client", "requests", "httpx",
	"ftplib", "smtplib", "telnetlib", "webbrowser", "multiprocessing", "signal.signal",
	"sys.exit", "exit", "quit", "input", "breakpoint",
	NULL,
};
/* methods whose name alone says they delete or run something: path.unlink(), tree.rmtree() */
static const char *const side_effect_methods[] = {
	"unlink", "rmdir", "rmtree", "remove_tree", "kill", "terminate", "send_signal",
	"urlopen", "Popen", "check_call", "check_output", "system", "connect", "sendall",
	NULL,
};

static const char *const list_methods[] = {
	"append", "extend", "insert", "pop", "sort", "reverse", "remove", "index", "count", "clear", NULL,
};
static const char *const dict_methods[] = {
	"items", "keys", "values", "get", "setdefault", "update", "popitem", NULL,
};
static const char *const str_methods[] = {
	"lower", "upper", "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines", "startswith",
	"endswith", "replace", "find", "rfind", "format", "encode", "isdigit", "isalpha", "isalnum",
	"isspace", "title", "capitalize", "casefold", "partition", "rpartition", "zfill", "center",
	"ljust", "rjust", "expandtabs", "isupper", "islower", NULL,
};
/* methods that change their object (list, dict and set ones) */
static const char *const mutating_methods[] = {
	"append", "extend", "insert", "pop", "sort", "reverse", "remove", "clear", "setdefault",
	"update", "popitem", "add", "discard", "appendleft", "popleft", "extendleft", "rotate", NULL,
};
static const char *const date_attrs[] = {
	"weekday", "isoweekday", "year", "month", "day", "isoformat", "strftime", "toordinal",
	"timetuple", "isocalendar", "replace", NULL,
};
static const char *const set_methods[] = {
	"add", "discard", "union", "intersection", "difference", "issubset", "issuperset", NULL,
};

static int in_list(const char *const *list, const char *s, size_t len)
{
	size_t i;

	for (i = 0; list[i]; i++)
		if (strlen(list[i]) == len && !memcmp(list[i], s, len))
			return 1;
	return 0;
}

static char *node_dup(const struct pyast *ast, const struct pyast_node *n)
{
	size_t len;
	const char *s = pyast_text(ast, n, &len);
	return xstrndup(s, len);
}

static int same_name(const struct pyast *ast, const struct pyast_node *a, const struct pyast_node *b)
{
	size_t la, lb;
	const char *sa = pyast_text(ast, a, &la), *sb = pyast_text(ast, b, &lb);
	return la == lb && !memcmp(sa, sb, la);
}

static int is_public(const char *name)
{
	return name[0] != '_';
}

/* ---- parameters ---------------------------------------------------------- */

static void add_param(struct gen_function *fn, const struct pyast *ast, const struct pyast_node *p,
		      enum gen_param_kind *kind)
{
	const struct pyast_node *name = NULL, *def = NULL, *type = NULL;
	enum gen_param_kind k = *kind;
	struct gen_param *gp;

	if (pyast_is(p, "identifier")) {
		name = p;
	} else if (pyast_is(p, "typed_parameter")) {
		const struct pyast_node *c = pyast_named_child(p, 0);
		type = pyast_field(p, "type");
		if (c && pyast_is(c, "list_splat_pattern")) {
			k = GEN_PARAM_VARARGS;
			*kind = GEN_PARAM_KW_ONLY;
			c = pyast_named_child(c, 0);
		} else if (c && pyast_is(c, "dictionary_splat_pattern")) {
			k = GEN_PARAM_VARKW;
			c = pyast_named_child(c, 0);
		}
		name = c;
	} else if (pyast_is(p, "default_parameter") || pyast_is(p, "typed_default_parameter")) {
		name = pyast_field(p, "name");
		def = pyast_field(p, "value");
		type = pyast_field(p, "type");
	} else if (pyast_is(p, "list_splat_pattern")) {
		name = pyast_named_child(p, 0);
		k = GEN_PARAM_VARARGS;
		*kind = GEN_PARAM_KW_ONLY;
	} else if (pyast_is(p, "dictionary_splat_pattern")) {
		name = pyast_named_child(p, 0);
		k = GEN_PARAM_VARKW;
	} else if (pyast_is(p, "keyword_separator")) {
		*kind = GEN_PARAM_KW_ONLY;
		return;
	} else if (pyast_is(p, "positional_separator")) {
		size_t i;
		for (i = 0; i < fn->nparams; i++)
			if (fn->params[i].kind == GEN_PARAM_POSITIONAL)
				fn->params[i].kind = GEN_PARAM_POS_ONLY;
		return;
	}
	if (!name || !pyast_is(name, "identifier"))
		return;
	fn->params = xrealloc(fn->params, (fn->nparams + 1) * sizeof(*fn->params));
	gp = &fn->params[fn->nparams++];
	memset(gp, 0, sizeof(*gp));
	gp->name = node_dup(ast, name);
	gp->kind = k;
	gp->default_text = def ? node_dup(ast, def) : NULL;
	gp->annotation = type ? node_dup(ast, type) : NULL;
}

static void read_params(struct gen_function *fn, const struct pyast *ast, const struct pyast_node *def)
{
	const struct pyast_node *params = pyast_field(def, "parameters"), *p;
	enum gen_param_kind kind = GEN_PARAM_POSITIONAL;
	int first = 1;

	if (!params)
		return;
	for (p = params->child; p; p = p->next) {
		if (!p->named)
			continue;
		/* self / cls of a method (not of a staticmethod) */
		if (first && fn->class_name && fn->kind != GEN_STATICMETHOD) {
			first = 0;
			continue;
		}
		first = 0;
		add_param(fn, ast, p, &kind);
	}
}

static struct gen_param *param_named(struct gen_function *fn, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < fn->nparams; i++)
		if (strlen(fn->params[i].name) == len && !memcmp(fn->params[i].name, s, len))
			return &fn->params[i];
	return NULL;
}

static int is_number_node(const struct pyast_node *n)
{
	if (n && pyast_is(n, "unary_operator"))
		n = pyast_field(n, "argument");
	return n && (pyast_is(n, "integer") || pyast_is(n, "float"));
}

/* what the use of parameter `id` (an identifier node) in its context says */
static unsigned hint_of_use(const struct pyast *ast, const struct pyast_node *id)
{
	const struct pyast_node *up = id->parent;
	size_t len;
	const char *s;

	if (!up)
		return 0;
	if (pyast_is(up, "attribute") && pyast_field(up, "object") == id) {
		const struct pyast_node *attr = pyast_field(up, "attribute");
		int called = up->parent && pyast_is(up->parent, "call") && pyast_field(up->parent, "function") == up;
		if (!attr)
			return 0;
		s = pyast_text(ast, attr, &len);
		if (called && in_list(list_methods, s, len))
			return GEN_HINT_LIST;
		if (called && in_list(dict_methods, s, len))
			return GEN_HINT_DICT;
		if (called && in_list(str_methods, s, len))
			return GEN_HINT_STR;
		if (called && in_list(set_methods, s, len))
			return GEN_HINT_SET;
		if ((len == 4 && !memcmp(s, "real", 4)) || (len == 4 && !memcmp(s, "imag", 4)))
			return GEN_HINT_NUMBER;
		if (in_list(date_attrs, s, len))
			return GEN_HINT_DATE;
		return GEN_HINT_OBJECT;
	}
	if (pyast_is(up, "binary_operator")) {
		const struct pyast_node *l = pyast_field(up, "left"), *r = pyast_field(up, "right");
		const struct pyast_node *other = l == id ? r : l, *op = pyast_field(up, "operator");
		const struct pyast_node *outer = up->parent;
		unsigned h = 0;
		/* (end - start).days: two dates */
		if (outer && pyast_is(outer, "parenthesized_expression"))
			outer = outer->parent;
		if (op && pyast_text_is(ast, op, "-") && outer && pyast_is(outer, "attribute")) {
			const struct pyast_node *a = pyast_field(outer, "attribute");
			if (a && (pyast_text_is(ast, a, "days") || pyast_text_is(ast, a, "seconds") ||
				  pyast_text_is(ast, a, "total_seconds")))
				return GEN_HINT_DATE;
		}
		if (op && (pyast_text_is(ast, op, "//") || pyast_text_is(ast, op, "%") ||
			   pyast_text_is(ast, op, "<<") || pyast_text_is(ast, op, ">>")))
			h |= GEN_HINT_INT;
		if (op && (pyast_text_is(ast, op, "-") || pyast_text_is(ast, op, "/") ||
			   pyast_text_is(ast, op, "**")))
			h |= GEN_HINT_NUMBER;
		if (is_number_node(other))
			h |= GEN_HINT_NUMBER;
		if (other && pyast_is(other, "float"))
			h |= GEN_HINT_FLOAT;
		if (other && (pyast_is(other, "string") || pyast_is(other, "concatenated_string")))
			h |= GEN_HINT_STR;
		if (other && pyast_is(other, "list"))
			h |= GEN_HINT_LIST;
		return h;
	}
	if (pyast_is(up, "augmented_assignment")) {
		const struct pyast_node *r = pyast_field(up, "right");
		return is_number_node(r) ? GEN_HINT_NUMBER : 0;
	}
	if (pyast_is(up, "comparison_operator")) {
		const struct pyast_node *c;
		unsigned h = 0;
		for (c = up->child; c; c = c->next) {
			if (c == id || !c->named)
				continue;
			if (is_number_node(c))
				h |= GEN_HINT_NUMBER;
			else if (pyast_is(c, "none"))
				h |= GEN_HINT_NONE;
			else if (pyast_is(c, "string"))
				h |= GEN_HINT_STR;
		}
		return h;
	}
	if (pyast_is(up, "unary_operator"))
		return GEN_HINT_NUMBER;
	if (pyast_is(up, "subscript") && pyast_field(up, "value") == id) {
		const struct pyast_node *sub = pyast_field(up, "subscript");
		if (sub && pyast_is(sub, "string"))
			return GEN_HINT_DICT;
		if (up->parent && pyast_is(up->parent, "subscript") && pyast_field(up->parent, "value") == up)
			return GEN_HINT_MATRIX;
		return GEN_HINT_SEQ;
	}
	if (pyast_is(up, "subscript")) {
		/* PRICES[plan]: a key of a constant table, a string as often as an index */
		const struct pyast_node *v = pyast_field(up, "value");
		size_t vl, i;
		const char *vs = v && pyast_is(v, "identifier") ? pyast_text(ast, v, &vl) : NULL;
		int upper = vs && vl > 1;
		for (i = 0; upper && i < vl; i++)
			upper = (vs[i] >= 'A' && vs[i] <= 'Z') || vs[i] == '_' || (vs[i] >= '0' && vs[i] <= '9');
		return upper ? GEN_HINT_INT | GEN_HINT_STR : GEN_HINT_INT;
	}
	if ((pyast_is(up, "for_statement") || pyast_is(up, "for_in_clause")) &&
	    pyast_field(up, "right") == id) {
		const struct pyast_node *l = pyast_field(up, "left");
		if (l && (pyast_is(l, "pattern_list") || pyast_is(l, "tuple_pattern")) &&
		    pyast_named_count(l) == 2)
			return GEN_HINT_PAIRS;
		return GEN_HINT_SEQ;
	}
	if (pyast_is(up, "assignment") && pyast_field(up, "right") == id) {
		const struct pyast_node *l = pyast_field(up, "left");
		if (l && (pyast_is(l, "pattern_list") || pyast_is(l, "tuple_pattern")) &&
		    pyast_named_count(l) == 2)
			return GEN_HINT_PAIR;
	}
	if (pyast_is(up, "call") && pyast_field(up, "function") == id)
		return GEN_HINT_CALLABLE;
	if (pyast_is(up, "argument_list") && up->parent && pyast_is(up->parent, "call")) {
		const struct pyast_node *f = pyast_field(up->parent, "function");
		if (!f || !pyast_is(f, "identifier"))
			return 0;
		if (pyast_text_is(ast, f, "len") || pyast_text_is(ast, f, "sorted") ||
		    pyast_text_is(ast, f, "reversed") || pyast_text_is(ast, f, "enumerate") ||
		    pyast_text_is(ast, f, "sum") || pyast_text_is(ast, f, "min") ||
		    pyast_text_is(ast, f, "max") || pyast_text_is(ast, f, "list") ||
		    pyast_text_is(ast, f, "tuple") || pyast_text_is(ast, f, "zip") ||
		    pyast_text_is(ast, f, "set"))
			return GEN_HINT_SEQ;
		if (pyast_text_is(ast, f, "range") || pyast_text_is(ast, f, "chr"))
			return GEN_HINT_INT;
		if (pyast_text_is(ast, f, "abs") || pyast_text_is(ast, f, "round") ||
		    pyast_text_is(ast, f, "int") || pyast_text_is(ast, f, "float") ||
		    pyast_text_is(ast, f, "divmod"))
			return GEN_HINT_NUMBER;
		if (pyast_text_is(ast, f, "ord"))
			return GEN_HINT_STR;
		return 0;
	}
	if ((pyast_is(up, "if_statement") || pyast_is(up, "while_statement")) &&
	    pyast_field(up, "condition") == id)
		return GEN_HINT_BOOL;
	if (pyast_is(up, "not_operator") || pyast_is(up, "boolean_operator"))
		return GEN_HINT_BOOL;
	return 0;
}

/* ---- bodies -------------------------------------------------------------- */

static void add_literal(struct strvec *v, const char *s, size_t len)
{
	char *t;

	if (v->nr >= FACTS_MAX_LITERALS || len > FACTS_MAX_LITERAL || memchr(s, '\n', len))
		return;
	t = xstrndup(s, len);
	if (strvec_find(v, t) < 0)
		strvec_push(v, t);
	free(t);
}

/* 1 when a string node is a docstring (an expression statement of its own) */
static int is_docstring(const struct pyast_node *n)
{
	return n->parent && pyast_is(n->parent, "expression_statement") && !n->next &&
	       n->parent->child == n;
}

/* the dotted text of a call's function: "os.remove", "shutil.rmtree", "run" */
static int dotted(struct buf *out, const struct pyast *ast, const struct pyast_node *f)
{
	size_t len;
	const char *s;

	if (pyast_is(f, "identifier")) {
		s = pyast_text(ast, f, &len);
		buf_add(out, s, len);
		return 0;
	}
	if (pyast_is(f, "attribute")) {
		const struct pyast_node *o = pyast_field(f, "object"), *a = pyast_field(f, "attribute");
		if (!o || !a || dotted(out, ast, o) < 0)
			return -1;
		s = pyast_text(ast, a, &len);
		buf_addch(out, '.');
		buf_add(out, s, len);
		return 0;
	}
	return -1;
}

static const char *side_effect_of(const char *name)
{
	const char *dot = strrchr(name, '.');
	size_t i;

	for (i = 0; side_effects[i]; i++) {
		size_t k = strlen(side_effects[i]);
		if (!strncmp(name, side_effects[i], k) && (name[k] == '\0' || name[k] == '.'))
			return side_effects[i];
	}
	if (dot && in_list(side_effect_methods, dot + 1, strlen(dot + 1)))
		return dot + 1;
	return NULL;
}


/* a parameter handed on to another function of the module: its hints follow */
struct flow {
	size_t fn, param;      /* the parameter of facts.functions[fn] */
	char *callee;          /* "name" or "self.name" */
	size_t arg;            /* the positional argument it is */
	int element;           /* 1: an element of it (a loop variable over it) */
};

struct scan {
	const struct pyast *ast;
	struct gen_facts *facts;
	struct flow *flows;
	size_t nflows;
};

/* the parameter a loop variable `id` runs over (for v in P, or a comprehension's), or NULL */
static struct gen_param *loop_over_param(const struct pyast *ast, struct gen_function *fn,
					 const struct pyast_node *id)
{
	const struct pyast_node *up;

	for (up = id->parent; up && !pyast_is(up, "function_definition"); up = up->parent) {
		const struct pyast_node *c, *first = up->child;
		if (pyast_is(up, "for_statement"))
			first = up;
		else if (!pyast_is(up, "generator_expression") && !pyast_is(up, "list_comprehension") &&
			 !pyast_is(up, "set_comprehension") && !pyast_is(up, "dictionary_comprehension"))
			continue;
		for (c = first; c; c = (c == up ? NULL : c->next)) {
			const struct pyast_node *l, *r;
			if (!pyast_is(c, "for_statement") && !pyast_is(c, "for_in_clause"))
				continue;
			l = pyast_field(c, "left");
			r = pyast_field(c, "right");
			if (l && r && pyast_is(l, "identifier") && pyast_is(r, "identifier") && same_name(ast, l, id)) {
				size_t len;
				const char *s = pyast_text(ast, r, &len);
				return param_named(fn, s, len);
			}
		}
	}
	return NULL;
}

static void add_flows(struct scan *sc, struct gen_function *fn, const struct pyast_node *call)
{
	const struct pyast *ast = sc->ast;
	const struct pyast_node *f = pyast_field(call, "function"), *args = pyast_field(call, "arguments"), *a;
	struct buf callee = BUF_INIT;
	size_t j = 0;

	if (!f || !args || dotted(&callee, ast, f) < 0 ||
	    (strchr(callee.ptr, '.') && strncmp(callee.ptr, "self.", 5)) ||
	    (!strncmp(callee.ptr, "self.", 5) && strchr(callee.ptr + 5, '.'))) {
		buf_release(&callee);
		return;
	}
	for (a = args->child; a; a = a->next) {
		struct gen_param *p = NULL;
		int element = 0;
		size_t len;
		const char *s;
		if (!a->named)
			continue;
		if (pyast_is(a, "keyword_argument") || pyast_is(a, "list_splat") ||
		    pyast_is(a, "dictionary_splat"))
			break;
		if (pyast_is(a, "identifier")) {
			s = pyast_text(ast, a, &len);
			if (!(p = param_named(fn, s, len)) && (p = loop_over_param(ast, fn, a)))
				element = 1;
		}
		if (p) {
			struct flow *fl;
			sc->flows = xrealloc(sc->flows, (sc->nflows + 1) * sizeof(*sc->flows));
			fl = &sc->flows[sc->nflows++];
			fl->fn = (size_t)(fn - sc->facts->functions);
			fl->param = (size_t)(p - fn->params);
			fl->callee = xstrdup(callee.ptr);
			fl->arg = j;
			fl->element = element;
		}
		j++;
	}
	buf_release(&callee);
}

/* hints handed on along the flows, a few rounds (a chain of calls) */
static void follow_flows(struct scan *sc)
{
	struct gen_facts *f = sc->facts;
	int round;

	for (round = 0; round < FACTS_MAX_DEPTH; round++) {
		size_t i, k;
		int changed = 0;
		for (i = 0; i < sc->nflows; i++) {
			const struct flow *fl = &sc->flows[i];
			struct gen_function *fn = &f->functions[fl->fn];
			struct gen_param *p = &fn->params[fl->param];
			const char *name = fl->callee;
			int method = !strncmp(name, "self.", 5);
			unsigned got = 0, before = p->hints;
			if (method)
				name += 5;
			for (k = 0; k < f->nfunctions; k++) {
				const struct gen_function *g = &f->functions[k];
				if (strcmp(g->name, name) || (method ? !g->class_name || !fn->class_name ||
							      strcmp(g->class_name, fn->class_name) : !!g->class_name))
					continue;
				if (fl->arg < g->nparams && g->params[fl->arg].kind != GEN_PARAM_VARARGS) {
					got = g->params[fl->arg].hints;
					if (!fl->element && g->params[fl->arg].attr_class && !p->attr_class)
						p->attr_class = xstrdup(g->params[fl->arg].attr_class);
				}
				break;
			}
			if (fl->element) {
				if (got & GEN_HINT_PAIR)
					p->hints |= GEN_HINT_PAIRS;
				else if (got & (GEN_HINT_NUMBER | GEN_HINT_STR))
					p->hints |= GEN_HINT_SEQ;
			} else
				p->hints |= got & ~(unsigned)GEN_HINT_BOOL;
			changed |= p->hints != before;
		}
		if (!changed)
			break;
	}
}

static void scan_body(struct scan *sc, struct gen_function *fn, const struct pyast_node *def)
{
	const struct pyast *ast = sc->ast;
	size_t nnodes, i, first = 0;
	const struct pyast_node *nodes = pyast_nodes(ast, &nnodes);
	const struct pyast_node *body = pyast_field(def, "body");
	char *effect = NULL;

	if (!body)
		return;
	for (i = 0; i < nnodes; i++)
		if (&nodes[i] == body) {
			first = i;
			break;
		}
	for (i = first; i < nnodes && pyast_within(&nodes[i], body); i++) {
		const struct pyast_node *n = &nodes[i];
		const struct pyast_node *inner = pyast_enclosing_def(n);
		size_t len;
		const char *s = pyast_text(ast, n, &len);

		if (pyast_is(n, "yield") && inner == def)
			fn->is_generator = 1;
		if (pyast_is(n, "integer") || (pyast_is(n, "float"))) {
			int neg = n->parent && pyast_is(n->parent, "unary_operator");
			struct strvec *v = pyast_is(n, "integer") ? &fn->int_literals : &fn->float_literals;
			if (neg) {
				s = pyast_text(ast, n->parent, &len);
			}
			add_literal(v, s, len);
		}
		if (pyast_is(n, "string") && !is_docstring(n) &&
		    !(n->parent && pyast_is(n->parent, "concatenated_string")) &&
		    !(len >= 1 && (s[0] == 'f' || s[0] == 'F' || s[0] == 'b' || s[0] == 'B')) &&
		    !pyast_next(ast, n, "interpolation", n->start_line, n->end_line))
			add_literal(&fn->str_literals, s, len);
		if (pyast_is(n, "identifier") && inner == def) {
			struct gen_param *p = param_named(fn, s, len);
			/* the name itself, not an attribute's name or a keyword argument's */
			int is_ref = !(n->parent && pyast_is(n->parent, "attribute") &&
				       pyast_field(n->parent, "attribute") == n) &&
				     !(n->parent && pyast_is(n->parent, "keyword_argument") &&
				       pyast_field(n->parent, "name") == n);
			if (p && is_ref)
				p->hints |= hint_of_use(ast, n);
		}
		/* self.x = ..., self.x[k] = ..., self.x += ..., self.x.append(...) */
		if ((pyast_is(n, "assignment") || pyast_is(n, "augmented_assignment")) && fn->class_name) {
			const struct pyast_node *l = pyast_field(n, "left");
			size_t ll;
			const char *ls = l ? pyast_text(ast, l, &ll) : NULL;
			if (ls && ll > 5 && !memcmp(ls, "self.", 5))
				fn->mutates_self = 1;
		}
		if (pyast_is(n, "call") && fn->class_name) {
			const struct pyast_node *cf = pyast_field(n, "function"), *attr;
			size_t cl, al;
			const char *cs = cf ? pyast_text(ast, cf, &cl) : NULL, *as;
			if (cs && cl > 5 && !memcmp(cs, "self.", 5) && pyast_is(cf, "attribute") &&
			    (attr = pyast_field(cf, "attribute")) && (as = pyast_text(ast, attr, &al)) &&
			    pyast_field(cf, "object") && !pyast_text_is(ast, pyast_field(cf, "object"), "self") &&
			    in_list(mutating_methods, as, al))
				fn->mutates_self = 1;
		}
		if (pyast_is(n, "call") && inner == def)
			add_flows(sc, fn, n);
		if (pyast_is(n, "call")) {
			const struct pyast_node *f = pyast_field(n, "function");
			struct buf name = BUF_INIT;
			if (f && dotted(&name, ast, f) == 0) {
				const char *hit;
				int k = -1;
				size_t j;
				/* resolve "from os import remove as rm" */
				{
					char *head = xstrdup(name.ptr), *dot = strchr(head, '.');
					if (dot)
						*dot = '\0';
					for (j = 0; j < sc->facts->import_names.nr; j++)
						if (!strcmp(sc->facts->import_names.v[j], head)) {
							struct buf full = BUF_INIT;
							buf_addf(&full, "%s%s", sc->facts->import_targets.v[j],
								 name.ptr + strlen(head));
							buf_reset(&name);
							buf_adds(&name, full.ptr);
							buf_release(&full);
							break;
						}
					free(head);
				}
				if (!effect && (hit = side_effect_of(name.ptr))) {
					struct buf why = BUF_INIT;
					buf_addf(&why, "%s (line %d)", name.ptr, n->start_line);
					effect = buf_detach(&why, NULL);
					(void)hit;
				}
				if (!strchr(name.ptr, '.') || !strncmp(name.ptr, "self.", 5) ||
				    !strncmp(name.ptr, "cls.", 4)) {
					const char *callee = strchr(name.ptr, '.') ? strchr(name.ptr, '.') + 1 : name.ptr;
					if (!strcmp(callee, fn->name) &&
					    (!fn->class_name || strchr(name.ptr, '.')))
						fn->recursive = 1;
					k = strvec_find(&fn->calls, callee);
					if (k < 0 && strcmp(callee, fn->name))
						strvec_push(&fn->calls, callee);
				}
			}
			buf_release(&name);
		}
	}
	fn->side_effect = effect;
}

/* the doctest examples of a docstring that call `name` */
static void read_doctests(struct gen_function *fn, const struct pyast *ast, const struct pyast_node *def)
{
	const struct pyast_node *body = pyast_field(def, "body"), *first, *str;
	const char *s, *end, *line;
	size_t len;

	if (!body || !(first = pyast_named_child(body, 0)) || !pyast_is(first, "expression_statement"))
		return;
	if (!(str = pyast_named_child(first, 0)) || !pyast_is(str, "string"))
		return;
	s = pyast_text(ast, str, &len);
	end = s + len;
	for (line = s; line < end;) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		const char *p = line;
		if (!eol)
			eol = end;
		while (p < eol && (*p == ' ' || *p == '\t'))
			p++;
		if (eol - p > 4 && !memcmp(p, ">>> ", 4)) {
			char *expr = xstrndup(p + 4, (size_t)(eol - p - 4));
			size_t n = strlen(expr);
			while (n && (expr[n - 1] == ' ' || expr[n - 1] == '\r'))
				expr[--n] = '\0';
			/* one-line expressions naming the function; not statements */
			if (strstr(expr, fn->name) && !strstr(expr, "import ") && !strchr(expr, ';') &&
			    !strstr(expr, " = ") && n && expr[n - 1] != ':' && !strstr(expr, "\"\"\"") &&
			    strvec_find(&fn->doctests, expr) < 0)
				strvec_push(&fn->doctests, expr);
			free(expr);
		}
		line = eol + 1;
	}
}

static int has_decorator(const struct pyast *ast, const struct pyast_node *decorated, const char *name)
{
	const struct pyast_node *c;

	if (!decorated || !pyast_is(decorated, "decorated_definition"))
		return 0;
	for (c = decorated->child; c; c = c->next) {
		size_t len;
		const char *s;
		if (!pyast_is(c, "decorator"))
			continue;
		s = pyast_text(ast, c, &len);
		if (len > 1 && s[0] == '@' && len - 1 >= strlen(name) && !memcmp(s + 1, name, strlen(name)))
			return 1;
	}
	return 0;
}

static void add_inner(struct scan *sc, size_t outer, const struct pyast_node *def);

/* add the function of `def` to the facts: its index, or -1 when it is not one to read */
static long add_function(struct scan *sc, const struct pyast_node *def, const char *class_name)
{
	const struct pyast *ast = sc->ast;
	struct gen_facts *f = sc->facts;
	const struct pyast_node *name = pyast_field(def, "name");
	const struct pyast_node *decorated = def->parent && pyast_is(def->parent, "decorated_definition")
					     ? def->parent : NULL;
	struct pyast_function pf = PYAST_FUNCTION_INIT;
	struct gen_function *fn;
	struct buf q = BUF_INIT;
	char *nm;
	long index;

	if (!name)
		return -1;
	nm = node_dup(ast, name);
	if ((nm[0] == '_' && nm[1] == '_' && strcmp(nm, "__init__")) || (!class_name && !strcmp(nm, "__init__")) ||
	    has_decorator(ast, decorated, "overload") ||
	    (class_name && (has_decorator(ast, decorated, "setter") ||
			    has_decorator(ast, decorated, "deleter") ||
			    has_decorator(ast, decorated, "abstractmethod") ||
			    has_decorator(ast, decorated, "abc.abstractmethod")))) {
		free(nm);
		return -1;
	}
	f->functions = xrealloc(f->functions, (f->nfunctions + 1) * sizeof(*f->functions));
	fn = &f->functions[f->nfunctions++];
	memset(fn, 0, sizeof(*fn));
	strvec_init(&fn->doctests);
	strvec_init(&fn->int_literals);
	strvec_init(&fn->str_literals);
	strvec_init(&fn->float_literals);
	strvec_init(&fn->calls);
	fn->name = nm;
	fn->is_private = nm[0] == '_' && strcmp(nm, "__init__");
	fn->class_name = class_name ? xstrdup(class_name) : NULL;
	if (class_name)
		buf_addf(&q, "%s.%s", class_name, nm);
	else
		buf_adds(&q, nm);
	fn->qualname = buf_detach(&q, NULL);
	fn->kind = !class_name ? GEN_FUNCTION
		 : has_decorator(ast, decorated, "staticmethod") ? GEN_STATICMETHOD
		 : has_decorator(ast, decorated, "classmethod") ? GEN_CLASSMETHOD
		 : has_decorator(ast, decorated, "property") || has_decorator(ast, decorated, "cached_property") ||
		   has_decorator(ast, decorated, "functools.cached_property") ? GEN_PROPERTY
		 : GEN_METHOD;
	{
		size_t len;
		const char *s = pyast_text(ast, def, &len);
		fn->is_async = len >= 5 && !memcmp(s, "async", 5);
	}
	pyast_function_from_node(&pf, ast, def);
	fn->start_line = pf.start_line;
	fn->end_line = pf.end_line;
	fn->hash = hash_fnv1a(pf.text, strlen(pf.text));
	pyast_function_release(&pf);
	fn->inner = -1;
	read_params(fn, ast, def);
	read_doctests(fn, ast, def);
	scan_body(sc, fn, def);
	index = (long)(fn - f->functions);
	add_inner(sc, (size_t)index, def);
	return index;
}

static int derives_from(const struct pyast *ast, const struct pyast_node *cls, const char *const *names)
{
	const struct pyast_node *sup = pyast_field(cls, "superclasses"), *c;

	if (!sup)
		return 0;
	for (c = sup->child; c; c = c->next) {
		size_t len, i;
		const char *s;
		if (!c->named)
			continue;
		s = pyast_text(ast, c, &len);
		for (i = 0; names[i]; i++) {
			size_t k = strlen(names[i]);
			if (len >= k && !memcmp(s + len - k, names[i], k))
				return 1;
		}
	}
	return 0;
}

/*
 * The __init__ a dataclass (or NamedTuple) gets from its fields: `name:
 * type [= default]` in the class body, in order; a field(...) default or
 * default_factory is a default; ClassVar fields are not parameters.
 */
static void field_init(struct scan *sc, const struct pyast_node *cls, size_t ci)
{
	const struct pyast *ast = sc->ast;
	struct gen_facts *f = sc->facts;
	const struct pyast_node *body = pyast_field(cls, "body"), *st;
	struct gen_function *fn;
	size_t len;
	const char *text;

	f->functions = xrealloc(f->functions, (f->nfunctions + 1) * sizeof(*f->functions));
	fn = &f->functions[f->nfunctions];
	memset(fn, 0, sizeof(*fn));
	strvec_init(&fn->doctests);
	strvec_init(&fn->int_literals);
	strvec_init(&fn->str_literals);
	strvec_init(&fn->float_literals);
	strvec_init(&fn->calls);
	fn->name = xstrdup("__init__");
	fn->class_name = xstrdup(f->classes[ci].name);
	fn->qualname = xstrdup("");
	{
		struct buf q = BUF_INIT;
		buf_addf(&q, "%s.__init__", fn->class_name);
		free(fn->qualname);
		fn->qualname = buf_detach(&q, NULL);
	}
	fn->kind = GEN_METHOD;
	fn->inner = -1;
	fn->start_line = cls->start_line;
	fn->end_line = cls->end_line;
	text = pyast_text(ast, cls, &len);
	fn->hash = hash_fnv1a(text, len);
	for (st = body ? body->child : NULL; st; st = st->next) {
		const struct pyast_node *a = pyast_named_child(st, 0), *l, *type, *val;
		struct gen_param *gp;
		if (!pyast_is(st, "expression_statement") || !a || !pyast_is(a, "assignment"))
			continue;
		l = pyast_field(a, "left");
		type = pyast_field(a, "type");
		val = pyast_field(a, "right");
		if (!l || !pyast_is(l, "identifier") || !type)
			continue;
		{
			size_t tl;
			const char *ts = pyast_text(ast, type, &tl);
			if (tl >= 8 && memmem(ts, tl, "ClassVar", 8))
				continue;
		}
		fn->params = xrealloc(fn->params, (fn->nparams + 1) * sizeof(*fn->params));
		gp = &fn->params[fn->nparams++];
		memset(gp, 0, sizeof(*gp));
		gp->name = node_dup(ast, l);
		gp->kind = GEN_PARAM_POSITIONAL;
		gp->annotation = node_dup(ast, type);
		if (val) {
			size_t vl;
			const char *vs = pyast_text(ast, val, &vl);
			/* field(default_factory=list): a default, written as the call it is */
			gp->default_text = xstrndup(vs, vl);
		}
	}
	f->classes[ci].init = (int)f->nfunctions;
	f->nfunctions++;
}

/*
 * A function that defines a function in its body and returns it (a
 * factory, a closure: `def bulk(n): def apply(price): ...; return apply`):
 * the inner one is read too, as a private entry the outer one points to.
 */
static void add_inner(struct scan *sc, size_t outer, const struct pyast_node *def)
{
	const struct pyast *ast = sc->ast;
	struct gen_facts *f = sc->facts;
	const struct pyast_node *body = pyast_field(def, "body"), *st, *r;
	long k;

	if (!body)
		return;
	for (st = body->child; st; st = st->next) {
		const struct pyast_node *inner = pyast_is(st, "decorated_definition") ? NULL : st, *nm;
		int returned = 0;
		if (!inner || !pyast_is(inner, "function_definition") || !(nm = pyast_field(inner, "name")))
			continue;
		for (r = NULL; !returned && (r = pyast_next(ast, r, "return_statement", def->start_line, def->end_line));) {
			const struct pyast_node *v = pyast_named_child(r, 0);
			returned = pyast_enclosing_def(r) == def && v && pyast_is(v, "identifier") && same_name(ast, v, nm);
		}
		if (!returned)
			continue;
		if ((k = add_function(sc, inner, NULL)) < 0)
			return;
		{
			struct gen_function *g = &f->functions[k];
			struct buf q = BUF_INIT;
			buf_addf(&q, "%s.<locals>.%s", f->functions[outer].qualname, g->name);
			free(g->qualname);
			g->qualname = buf_detach(&q, NULL);
			g->is_private = 1;
			g->is_inner = 1;
			f->functions[outer].inner = (int)k;
		}
		return;
	}
}

static void add_class(struct scan *sc, const struct pyast_node *cls)
{
	static const char *const exc[] = { "Exception", "Error", "Warning", NULL };
	static const char *const abc[] = { "ABC", "Protocol", "ABCMeta", NULL };
	const struct pyast *ast = sc->ast;
	struct gen_facts *f = sc->facts;
	const struct pyast_node *name = pyast_field(cls, "name"), *body = pyast_field(cls, "body"), *c;
	struct gen_class *gc;
	size_t ci, k;
	char *nm;

	if (!name || !body)
		return;
	nm = node_dup(ast, name);
	if (!is_public(nm)) {
		free(nm);
		return;
	}
	f->classes = xrealloc(f->classes, (f->nclasses + 1) * sizeof(*f->classes));
	ci = f->nclasses++;
	gc = &f->classes[ci];
	memset(gc, 0, sizeof(*gc));
	strvec_init(&gc->attrs);
	gc->name = nm;
	gc->start_line = cls->start_line;
	gc->end_line = cls->end_line;
	gc->init = -1;
	gc->is_exception = derives_from(ast, cls, exc);
	gc->abstract = derives_from(ast, cls, abc);
	for (c = body->child; c; c = c->next) {
		const struct pyast_node *def = c;
		if (pyast_is(c, "decorated_definition"))
			def = pyast_field(c, "definition");
		long m;
		if (!def || !pyast_is(def, "function_definition"))
			continue;
		if ((m = add_function(sc, def, f->classes[ci].name)) < 0)
			continue;
		if (!strcmp(f->functions[m].name, "__init__"))
			f->classes[ci].init = (int)m;
	}
	gc = &f->classes[ci];
	if (gc->init < 0 && (has_decorator(ast, cls->parent, "dataclass") ||
			     has_decorator(ast, cls->parent, "dataclasses.dataclass") ||
			     has_decorator(ast, cls->parent, "attr.s") || has_decorator(ast, cls->parent, "define") ||
			     derives_from(ast, cls, (const char *const[]){ "NamedTuple", NULL })))
		field_init(sc, cls, ci);
	gc = &f->classes[ci];
	/* self.x = ... anywhere in the class */
	for (c = NULL; (c = pyast_next(ast, c, "assignment", gc->start_line, gc->end_line));) {
		const struct pyast_node *l = pyast_field(c, "left"), *o, *a;
		char *attr;
		if (!l || !pyast_is(l, "attribute") || !(o = pyast_field(l, "object")) ||
		    !pyast_text_is(ast, o, "self") || !(a = pyast_field(l, "attribute")))
			continue;
		attr = node_dup(ast, a);
		if (is_public(attr) && strvec_find(&gc->attrs, attr) < 0)
			strvec_push(&gc->attrs, attr);
		free(attr);
	}
	/* a method that only raises NotImplementedError: abstract */
	for (k = 0; k < f->nfunctions; k++) {
		struct gen_function *fn = &f->functions[k];
		const struct pyast_node *r;
		if (!fn->class_name || strcmp(fn->class_name, gc->name))
			continue;
		for (r = NULL; (r = pyast_next(ast, r, "raise_statement", fn->start_line, fn->end_line));) {
			size_t len;
			const char *s = pyast_text(ast, r, &len);
			if (len >= 25 && memmem(s, len, "NotImplementedError", 19))
				gc->abstract = 1;
		}
	}
}

/* a function reaching a side effect through other functions of the module */
static void spread_side_effects(struct gen_facts *f)
{
	int changed = 1, round;

	for (round = 0; changed && round < FACTS_MAX_DEPTH; round++) {
		size_t i, j;
		changed = 0;
		for (i = 0; i < f->nfunctions; i++) {
			struct gen_function *fn = &f->functions[i];
			if (fn->side_effect)
				continue;
			for (j = 0; j < fn->calls.nr && !fn->side_effect; j++) {
				size_t k;
				for (k = 0; k < f->nfunctions; k++) {
					const struct gen_function *g = &f->functions[k];
					struct buf why = BUF_INIT;
					if (k == i || !g->side_effect || strcmp(g->name, fn->calls.v[j]))
						continue;
					buf_addf(&why, "through %s(): %s", g->qualname,
						 !strncmp(g->side_effect, "through ", 8)
						 ? strstr(g->side_effect, ": ") + 2 : g->side_effect);
					fn->side_effect = buf_detach(&why, NULL);
					changed = 1;
					break;
				}
			}
		}
	}
	/* a class whose constructor has one: every method has it */
	{
		size_t i, k;
		for (i = 0; i < f->nclasses; i++) {
			const struct gen_class *c = &f->classes[i];
			const char *eff;
			if (c->init < 0 || !(eff = f->functions[c->init].side_effect))
				continue;
			for (k = 0; k < f->nfunctions; k++) {
				struct gen_function *fn = &f->functions[k];
				struct buf why = BUF_INIT;
				if (!fn->class_name || strcmp(fn->class_name, c->name) || fn->side_effect ||
				    fn->kind == GEN_STATICMETHOD)
					continue;
				buf_addf(&why, "through %s.__init__(): %s", c->name, eff);
				fn->side_effect = buf_detach(&why, NULL);
			}
		}
	}
}

/* a parameter used as an object: the class of the module with the attributes it reads */
static void fit_object_params(struct gen_facts *f, const struct pyast *ast)
{
	size_t i, j, k;

	for (i = 0; i < f->nfunctions; i++) {
		struct gen_function *fn = &f->functions[i];
		for (j = 0; j < fn->nparams; j++) {
			struct gen_param *p = &fn->params[j];
			if (p->annotation) {
				for (k = 0; k < f->nclasses; k++) {
					const char *a = p->annotation, *c = f->classes[k].name;
					size_t n = strlen(c);
					const char *hit = strstr(a, c);
					if (hit && (hit == a || !(hit[-1] == '_' || (hit[-1] | 32) >= 'a')) &&
					    !(hit[n] == '_' || (hit[n] >= '0' && hit[n] <= '9') ||
					      ((hit[n] | 32) >= 'a' && (hit[n] | 32) <= 'z'))) {
						p->attr_class = xstrdup(c);
						p->hints |= GEN_HINT_OBJECT;
						break;
					}
				}
			}
			if (p->attr_class || !(p->hints & GEN_HINT_OBJECT))
				continue;
			/* the attributes `p.x` read in the body, against each class's */
			for (k = 0; k < f->nclasses && !p->attr_class; k++) {
				const struct gen_class *c = &f->classes[k];
				const struct pyast_node *n;
				int fits = 0, misses = 0;
				if (c->is_exception)
					continue;
				for (n = NULL; (n = pyast_next(ast, n, "attribute", fn->start_line, fn->end_line));) {
					const struct pyast_node *o = pyast_field(n, "object"), *a = pyast_field(n, "attribute");
					char *attr;
					size_t m;
					if (!o || !a || !pyast_text_is(ast, o, p->name))
						continue;
					attr = node_dup(ast, a);
					if (strvec_find(&c->attrs, attr) >= 0)
						fits++;
					else {
						/* a method of the class fits too */
						int found = 0;
						for (m = 0; m < f->nfunctions; m++)
							if (f->functions[m].class_name &&
							    !strcmp(f->functions[m].class_name, c->name) &&
							    !strcmp(f->functions[m].name, attr))
								found = 1;
						fits += found;
						misses += !found;
					}
					free(attr);
				}
				if (fits && !misses)
					p->attr_class = xstrdup(c->name);
			}
		}
	}
}

/*
 * The literals of module-level constants (CUTOFFS = [(90, "A"), ...]) join
 * those of each function that names the constant: the boundaries a
 * function compares with are often kept there.
 */
static void constant_literals(struct gen_facts *f, const struct pyast *ast)
{
	const struct pyast_node *root = pyast_root(ast), *st;

	for (st = root->child; st; st = st->next) {
		const struct pyast_node *a = pyast_named_child(st, 0), *l, *r, *n;
		size_t i;
		if (!pyast_is(st, "expression_statement") || !a || !pyast_is(a, "assignment") ||
		    !(l = pyast_field(a, "left")) || !pyast_is(l, "identifier") || !(r = pyast_field(a, "right")))
			continue;
		for (i = 0; i < f->nfunctions; i++) {
			struct gen_function *fn = &f->functions[i];
			int named = 0;
			for (n = NULL; !named && (n = pyast_next(ast, n, "identifier", fn->start_line, fn->end_line));)
				named = same_name(ast, n, l);
			if (!named)
				continue;
			/* the right side itself (UNIT = 1024), then what is inside it */
			for (n = r; n && pyast_within(n, r); n = pyast_next(ast, n, NULL, r->start_line, r->end_line)) {
				size_t len;
				const char *s = pyast_text(ast, n, &len);
				if (pyast_is(n, "integer"))
					add_literal(&fn->int_literals, s, len);
				else if (pyast_is(n, "float"))
					add_literal(&fn->float_literals, s, len);
				else if (pyast_is(n, "string") && s[0] != 'f' && s[0] != 'b')
					add_literal(&fn->str_literals, s, len);
			}
		}
	}
}

/*
 * The names an import statement binds, each with a statement binding just
 * it: "from datetime import date, timedelta as td" gives date ("from
 * datetime import date") and td ("from datetime import timedelta as td");
 * "import datetime" gives datetime. Relative imports and * are left out.
 */
static void import_names(struct gen_facts *f, const struct pyast *ast, const struct pyast_node *st)
{
	const struct pyast_node *mod = pyast_field(st, "module_name"), *c;
	int from = pyast_is(st, "import_from_statement");
	char *m = mod ? node_dup(ast, mod) : NULL;

	if (from && (!m || m[0] == '.')) {
		free(m);
		return;
	}
	for (c = st->child; c; c = c->next) {
		const struct pyast_node *nm = c, *alias = NULL;
		struct buf line = BUF_INIT;
		char *name, *bound;
		if (!c->named || c == mod || !c->field || strcmp(c->field, "name"))
			continue;
		if (pyast_is(c, "aliased_import")) {
			nm = pyast_field(c, "name");
			alias = pyast_field(c, "alias");
		}
		if (!nm)
			continue;
		name = node_dup(ast, nm);
		bound = alias ? node_dup(ast, alias) : xstrdup(name);
		if (from)
			buf_addf(&line, "from %s import %s", m, name);
		else
			buf_addf(&line, "import %s", name);
		if (alias)
			buf_addf(&line, " as %s", bound);
		/* "import a.b" binds a */
		if (!from && !alias && strchr(bound, '.'))
			*strchr(bound, '.') = '\0';
		if (strvec_find(&f->import_names, bound) < 0) {
			struct buf target = BUF_INIT;
			if (from)
				buf_addf(&target, "%s.%s", m, name);
			else
				buf_adds(&target, alias ? name : bound);
			strvec_push(&f->import_names, bound);
			strvec_push(&f->import_lines, line.ptr);
			strvec_push(&f->import_targets, target.ptr);
			buf_release(&target);
		}
		free(name);
		free(bound);
		buf_release(&line);
	}
	free(m);
}

int gen_facts_read(struct gen_facts *out, const char *path, const char *src, size_t len)
{
	struct pyast *ast = NULL;
	struct scan sc;
	struct buf why = BUF_INIT;
	const struct pyast_node *root, *c;
	int err = 0;

	memset(out, 0, sizeof(*out));
	strvec_init(&out->module_names);
	strvec_init(&out->imports);
	strvec_init(&out->import_names);
	strvec_init(&out->import_lines);
	strvec_init(&out->import_targets);
	out->path = xstrdup(path);
	if (pyast_parse(&ast, src, len) < 0)
		return error_setc(ERR_PARSE, "cannot parse '%s'", path);
	if (!pyast_syntax_ok(ast, &why)) {
		err = error_setc(ERR_PARSE, "cannot parse '%s': %s", path, why.ptr);
		goto done;
	}
	memset(&sc, 0, sizeof(sc));
	sc.ast = ast;
	sc.facts = out;
	/* the names imports bind, first: a function may come before the import it uses */
	for (c = NULL; (c = pyast_next(ast, c, NULL, 0, 0));)
		if (pyast_is(c, "import_statement") || pyast_is(c, "import_from_statement"))
			import_names(out, ast, c);
	root = pyast_root(ast);
	for (c = root->child; c; c = c->next) {
		const struct pyast_node *def = c;
		if (pyast_is(c, "decorated_definition"))
			def = pyast_field(c, "definition");
		if (!def)
			continue;
		if (pyast_is(def, "function_definition")) {
			long k = add_function(&sc, def, NULL);
			if (k >= 0 && !out->functions[k].is_private)
				strvec_push(&out->module_names, out->functions[k].name);
		} else if (pyast_is(def, "class_definition")) {
			size_t before = out->nclasses;
			add_class(&sc, def);
			if (out->nclasses > before)
				strvec_push(&out->module_names, out->classes[before].name);
		} else if (pyast_is(def, "expression_statement")) {
			const struct pyast_node *a = pyast_named_child(def, 0), *l;
			if (a && pyast_is(a, "assignment") && (l = pyast_field(a, "left")) &&
			    pyast_is(l, "identifier")) {
				char *nm = node_dup(ast, l);
				if (is_public(nm) && strvec_find(&out->module_names, nm) < 0)
					strvec_push(&out->module_names, nm);
				free(nm);
			}
		} else if (pyast_is(def, "import_statement") || pyast_is(def, "import_from_statement")) {
			char *t = node_dup(ast, def);
			strvec_push(&out->imports, t);
			free(t);
		}
	}
	constant_literals(out, ast);
	spread_side_effects(out);
	fit_object_params(out, ast);
	follow_flows(&sc);
	{
		size_t i;
		for (i = 0; i < sc.nflows; i++)
			free(sc.flows[i].callee);
		free(sc.flows);
	}
done:
	buf_release(&why);
	pyast_free(ast);
	if (err)
		gen_facts_release(out);
	return err;
}

static void param_release(struct gen_param *p)
{
	free(p->name);
	free(p->default_text);
	free(p->annotation);
	free(p->attr_class);
}

void gen_facts_release(struct gen_facts *f)
{
	size_t i, j;

	for (i = 0; i < f->nfunctions; i++) {
		struct gen_function *fn = &f->functions[i];
		for (j = 0; j < fn->nparams; j++)
			param_release(&fn->params[j]);
		free(fn->params);
		free(fn->name);
		free(fn->class_name);
		free(fn->qualname);
		free(fn->side_effect);
		strvec_clear(&fn->doctests);
		strvec_clear(&fn->int_literals);
		strvec_clear(&fn->str_literals);
		strvec_clear(&fn->float_literals);
		strvec_clear(&fn->calls);
	}
	free(f->functions);
	for (i = 0; i < f->nclasses; i++) {
		free(f->classes[i].name);
		strvec_clear(&f->classes[i].attrs);
	}
	free(f->classes);
	free(f->path);
	strvec_clear(&f->module_names);
	strvec_clear(&f->imports);
	strvec_clear(&f->import_names);
	strvec_clear(&f->import_lines);
	strvec_clear(&f->import_targets);
	memset(f, 0, sizeof(*f));
}

const struct gen_class *gen_facts_class(const struct gen_facts *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->nclasses; i++)
		if (!strcmp(f->classes[i].name, name))
			return &f->classes[i];
	return NULL;
}

const struct gen_function *gen_facts_function(const struct gen_facts *f, const char *qualname)
{
	size_t i;

	for (i = 0; i < f->nfunctions; i++)
		if (!strcmp(f->functions[i].qualname, qualname))
			return &f->functions[i];
	return NULL;
}
