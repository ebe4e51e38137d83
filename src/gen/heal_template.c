#include "gen/heal_template.h"

#include "gen/search.h"
#include "pyast/pyast.h"
#include "util/distance.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/xalloc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* names longer than this are compared by their words only (the edit distance is quadratic) */
#define HEAL_MAX_NAME 64

/* ---- categories and the classifier ---------------------------------------------- */

const char *gen_heal_category_name(enum gen_heal_category c)
{
	static const char *const names[] = {
		"IMPORT_ERROR", "NAME_ERROR", "ATTRIBUTE_ERROR", "SIGNATURE_ERROR",
		"FIXTURE_ERROR", "BEHAVIOUR_CHANGE", "OTHER_ERROR",
	};
	return (size_t)c < ARRAY_SIZE(names) ? names[c] : "OTHER_ERROR";
}

void gen_heal_diagnosis_release(struct gen_heal_diagnosis *d)
{
	FREE_ALL(d->name, d->owner, d->module_file, d->left, d->right);
	strvec_clear(&d->names);
	d->name = d->owner = d->module_file = d->left = d->right = NULL;
	d->category = GEN_HEAL_OTHER;
	d->kind = GEN_HEAL_UNKNOWN;
}

/* `s` starts with `prefix`: the cursor after it, else NULL */
static const char *skip_prefix(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);
	return s && !strncmp(s, prefix, n) ? s + n : NULL;
}

/* a quoted name at the cursor ('x' or "x", no quote inside): a copy, the cursor after it */
static char *quoted(const char **cursor)
{
	const char *p = *cursor, *end;
	char q;

	if (!p || (*p != '\'' && *p != '"'))
		return NULL;
	q = *p++;
	end = strchr(p, q);
	if (!end || memchr(p, '\n', (size_t)(end - p)))
		return NULL;
	*cursor = end + 1;
	return xstrndup(p, (size_t)(end - p));
}

/* a callable's name before "() ": "f", "C.f" (the cursor after "()") */
static char *callable_name(const char **cursor)
{
	const char *p = *cursor, *start = p;

	while (isalnum((unsigned char)*p) || *p == '_' || *p == '.')
		p++;
	if (p == start || strncmp(p, "() ", 3))
		return NULL;
	*cursor = p + 3;
	return xstrndup(start, (size_t)(p - start));
}

/* the quoted names of "'a'", "'a' and 'b'", "'a', 'b', and 'c'" onto `out` */
static void quoted_list(struct strvec *out, const char *p)
{
	char *name;

	while ((name = quoted(&p))) {
		strvec_push(out, name);
		free(name);
		while (*p == ',' || *p == ' ')
			p++;
		if (!strncmp(p, "and ", 4))
			p += 4;
	}
}

/* the comma-separated names after "available fixtures: " up to the line end */
static void fixture_list(struct strvec *out, const char *p)
{
	while (*p && *p != '\n') {
		const char *start;
		while (*p == ' ' || *p == ',')
			p++;
		start = p;
		while (*p && *p != ',' && *p != '\n' && *p != ' ')
			p++;
		if (p > start) {
			char *name = xstrndup(start, (size_t)(p - start));
			strvec_push(out, name);
			free(name);
		}
	}
}

/* the two sides of the first line "assert L == R" of an assertion message */
static int assert_sides(struct gen_heal_diagnosis *d, const char *message)
{
	const char *line = message, *eol;
	struct buf src = BUF_INIT;
	struct pyast *ast = NULL;
	const struct pyast_node *stmt, *cmp, *l, *r, *op;
	int ok = 0;

	while (line && strncmp(line, "assert ", 7)) {
		line = strchr(line, '\n');
		line = line ? line + 1 : NULL;
	}
	if (!line)
		return 0;
	eol = strchr(line, '\n');
	buf_add(&src, line, eol ? (size_t)(eol - line) : strlen(line));
	buf_addch(&src, '\n');
	if (pyast_parse(&ast, src.ptr, src.len) < 0 || !pyast_syntax_ok(ast, NULL))
		goto done;
	stmt = pyast_root(ast)->child;
	cmp = stmt && pyast_is(stmt, "assert_statement") ? pyast_named_child(stmt, 0) : NULL;
	if (!cmp || !pyast_is(cmp, "comparison_operator") || pyast_named_count(cmp) != 2)
		goto done;
	op = pyast_field(cmp, "operators");
	if (!op || !pyast_is(op, "=="))
		goto done;
	l = pyast_named_child(cmp, 0);
	r = pyast_named_child(cmp, 1);
	{
		size_t n;
		const char *t = pyast_text(ast, l, &n);
		d->left = xstrndup(t, n);
		t = pyast_text(ast, r, &n);
		d->right = xstrndup(t, n);
	}
	ok = 1;
done:
	pyast_free(ast);
	buf_release(&src);
	return ok;
}

static enum gen_heal_category set(struct gen_heal_diagnosis *d, enum gen_heal_category c,
				  enum gen_heal_kind k)
{
	d->category = c;
	d->kind = k;
	return c;
}

enum gen_heal_category gen_heal_classify(struct gen_heal_diagnosis *d, const char *error_type,
					 const char *message, const char *traceback)
{
	const char *type = error_type ? error_type : "", *p, *dot = strrchr(type, '.');
	const char *msg = message ? message : "";

	if (dot)
		type = dot + 1;   /* builtins.ImportError */
	/* fixtures: pytest's own words are in the report, not in the exception */
	p = traceback ? strstr(traceback, "fixture '") : NULL;
	if (p && (!strcmp(type, "FixtureLookupError") || strstr(p, "' not found"))) {
		p += strlen("fixture ");
		if ((d->name = quoted(&p)) && skip_prefix(p, " not found")) {
			const char *avail = strstr(p, "available fixtures: ");
			if (avail)
				fixture_list(&d->names, avail + strlen("available fixtures: "));
			return set(d, GEN_HEAL_FIXTURE, GEN_HEAL_MISSING_FIXTURE);
		}
		free(d->name);
		d->name = NULL;
	}
	if (!strcmp(type, "ImportError") && (p = skip_prefix(msg, "cannot import name "))) {
		if ((d->name = quoted(&p)) && (p = skip_prefix(p, " from ")) && (d->owner = quoted(&p))) {
			const char *open = skip_prefix(p, " (");
			const char *close = open ? strchr(open, ')') : NULL;
			if (close && close > open && *open == '/')
				d->module_file = xstrndup(open, (size_t)(close - open));
			return set(d, GEN_HEAL_IMPORT, GEN_HEAL_CANNOT_IMPORT);
		}
	} else if (!strcmp(type, "ModuleNotFoundError") && (p = skip_prefix(msg, "No module named "))) {
		if ((d->name = quoted(&p)))
			return set(d, GEN_HEAL_IMPORT, GEN_HEAL_NO_MODULE);
	} else if (!strcmp(type, "NameError") && (p = skip_prefix(msg, "name "))) {
		if ((d->name = quoted(&p)) && skip_prefix(p, " is not defined"))
			return set(d, GEN_HEAL_NAME, GEN_HEAL_UNDEFINED_NAME);
	} else if (!strcmp(type, "AttributeError")) {
		/* module 'm' has ..., type object 'C' has ..., 'C' object has ... */
		int module = (p = skip_prefix(msg, "module ")) != NULL, type_object = 0;
		if (!module && (p = skip_prefix(msg, "type object ")))
			type_object = 1;
		else if (!module)
			p = msg;
		if ((d->owner = quoted(&p)) &&
		    (p = skip_prefix(p, module || type_object ? " has no attribute " : " object has no attribute ")) &&
		    (d->name = quoted(&p)))
			return set(d, GEN_HEAL_ATTRIBUTE,
				   module ? GEN_HEAL_MODULE_ATTRIBUTE : GEN_HEAL_OBJECT_ATTRIBUTE);
	} else if (!strcmp(type, "TypeError")) {
		p = msg;
		if ((d->owner = callable_name(&p))) {
			const char *q;
			if ((q = skip_prefix(p, "got an unexpected keyword argument ")) && (d->name = quoted(&q)))
				return set(d, GEN_HEAL_SIGNATURE, GEN_HEAL_UNEXPECTED_KEYWORD);
			if ((q = skip_prefix(p, "missing "))) {
				while (isdigit((unsigned char)*q))
					q++;
				if ((q = skip_prefix(q, " required ")) &&
				    ((q = strstr(q, "argument: ")) || (q = strstr(p, "arguments: ")))) {
					quoted_list(&d->names, strchr(q, ' ') + 1);
					if (d->names.nr)
						return set(d, GEN_HEAL_SIGNATURE, GEN_HEAL_MISSING_ARGUMENT);
				}
			}
		}
	} else if (!strcmp(type, "AssertionError") && assert_sides(d, msg)) {
		return set(d, GEN_HEAL_BEHAVIOUR, GEN_HEAL_CHANGED_VALUE);
	}
	gen_heal_diagnosis_release(d);
	return d->category;
}

/* ---- names alike ------------------------------------------------------------- */

/* words of a name, lower-cased: snake_case and camelCase split */
static void words(struct strvec *out, const char *s)
{
	struct buf w = BUF_INIT;
	size_t i;

	for (i = 0;; i++) {
		char c = s[i];
		int boundary = !c || c == '_' || c == '.' ||
			       (i && isupper((unsigned char)c) && islower((unsigned char)s[i - 1]));
		if (boundary && w.len) {
			if (strvec_find(out, w.ptr) < 0)
				strvec_push(out, w.ptr);
			buf_reset(&w);
		}
		if (!c)
			break;
		if (c != '_' && c != '.')
			buf_addch(&w, tolower((unsigned char)c));
	}
	buf_release(&w);
}

double gen_heal_similarity(const char *a, const char *b)
{
	struct strvec wa = STRVEC_INIT, wb = STRVEC_INIT;
	size_t la = strlen(a), lb = strlen(b), common = 0, i;
	double best = 0, s;

	if (!la || !lb)
		return 0;
	if (!strcmp(a, b))
		return 1;
	if (la <= HEAL_MAX_NAME && lb <= HEAL_MAX_NAME) {
		size_t longer = la > lb ? la : lb;
		best = 1.0 - (double)distance_levenshtein(a, la, b, lb, 0) / (double)longer;
	}
	words(&wa, a);
	words(&wb, b);
	for (i = 0; i < wa.nr; i++)
		common += strvec_find(&wb, wa.v[i]) >= 0;
	if (wa.nr + wb.nr > common) {
		s = (double)common / (double)(wa.nr + wb.nr - common);
		if (s > best)
			best = s;
	}
	/* one inside the other: add -> add_numbers */
	if ((la >= 3 && lb > la && strstr(b, a)) || (lb >= 3 && la > lb && strstr(a, b))) {
		double shorter = (double)(la < lb ? la : lb), longer = (double)(la < lb ? lb : la);
		s = 0.5 + 0.5 * shorter / longer;
		if (s > best)
			best = s;
	}
	strvec_clear(&wa);
	strvec_clear(&wb);
	return best;
}

/* ---- modules ----------------------------------------------------------------- */

void gen_heal_module_name(struct buf *out, const char *path)
{
	size_t n = strlen(path), i;

	if (!strncmp(path, "src/", 4) || !strncmp(path, "lib/", 4)) {
		path += 4;
		n -= 4;
	}
	if (n > 3 && !strcmp(path + n - 3, ".py"))
		n -= 3;
	if (n >= 9 && !strncmp(path + n - 9, "/__init__", 9))
		n -= 9;
	for (i = 0; i < n; i++)
		buf_addch(out, path[i] == '/' ? '.' : path[i]);
}

void gen_heal_modules_add(struct gen_heal_modules *m, const char *path, const char *text, size_t len)
{
	struct gen_heal_module *mod;
	struct buf name = BUF_INIT;

	ALLOC_APPEND(mod, m->v, m->nr, m->alloc);
	mod->path = xstrdup(path);
	gen_heal_module_name(&name, path);
	mod->name = buf_detach(&name, NULL);
	if (text) {
		mod->text = xstrndup(text, len);
		mod->len = len;
	}
}

static void module_release(struct gen_heal_module *mod)
{
	FREE_ALL(mod->path, mod->name, mod->text);
	if (mod->state > 0)
		gen_facts_release(&mod->facts);
}

void gen_heal_modules_release(struct gen_heal_modules *m)
{
	FREE_ARRAY(m->v, m->nr, module_release);
	m->v = NULL;
	m->nr = m->alloc = 0;
}

/* the module's facts, read on first use; NULL when it cannot be read or parsed */
static const struct gen_facts *module_facts(struct gen_heal_modules *m, struct gen_heal_module *mod)
{
	if (!mod->state) {
		mod->state = -1;
		if (!mod->text && m->root) {
			struct buf p = BUF_INIT, t = BUF_INIT;
			buf_addf(&p, "%s/%s", m->root, mod->path);
			if (fs_read_file(&t, p.ptr, GEN_HEAL_MAX_MODULE_BYTES) == 0)
				mod->text = buf_detach(&t, &mod->len);
			buf_release(&p);
			buf_release(&t);
			error_clear();
		}
		if (mod->text && gen_facts_read(&mod->facts, mod->path, mod->text, mod->len) == 0)
			mod->state = 1;
		else
			error_clear();
	}
	return mod->state > 0 ? &mod->facts : NULL;
}

/* the module importable as `name` ("src.pkg.m" finds pkg.m too) */
static struct gen_heal_module *module_named(struct gen_heal_modules *m, const char *name)
{
	size_t i;
	const char *bare = name;

	if (!strncmp(name, "src.", 4) || !strncmp(name, "lib.", 4))
		bare = name + 4;
	for (i = 0; i < m->nr; i++)
		if (!strcmp(m->v[i].name, name) || !strcmp(m->v[i].name, bare))
			return &m->v[i];
	return NULL;
}

/* the module whose file the message names (an absolute path ending in its path) */
static struct gen_heal_module *module_at(struct gen_heal_modules *m, const char *file)
{
	size_t i, n = file ? strlen(file) : 0;

	for (i = 0; i < m->nr; i++) {
		size_t k = strlen(m->v[i].path);
		if (n > k && file[n - k - 1] == '/' && !strcmp(file + n - k, m->v[i].path))
			return &m->v[i];
	}
	return NULL;
}

static int defines(struct gen_heal_modules *m, struct gen_heal_module *mod, const char *name)
{
	const struct gen_facts *f = module_facts(m, mod);
	return f && strvec_find(&f->module_names, name) >= 0;
}

/* ---- the test file ------------------------------------------------------------- */

struct span {
	size_t start, end;
	char *text;
};

struct edit_set {
	struct span *v;
	size_t nr, alloc;
};

static void edit_add(struct edit_set *e, size_t start, size_t end, const char *text)
{
	struct span *s;
	size_t i;

	for (i = 0; i < e->nr; i++)
		if (e->v[i].start == start && e->v[i].end == end)
			return;
	ALLOC_APPEND(s, e->v, e->nr, e->alloc);
	s->start = start;
	s->end = end;
	s->text = xstrdup(text);
}

static void edit_release(struct edit_set *e)
{
	size_t i;
	for (i = 0; i < e->nr; i++)
		free(e->v[i].text);
	free(e->v);
	e->v = NULL;
	e->nr = e->alloc = 0;
}

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* the text with the spans replaced; 0 when spans overlap or there are none */
static int edit_apply(struct buf *out, const char *text, size_t len, struct edit_set *e)
{
	size_t at = 0, i;

	if (!e->nr)
		return 0;
	qsort(e->v, e->nr, sizeof(*e->v), span_cmp);
	for (i = 0; i < e->nr; i++) {
		if (e->v[i].start < at || e->v[i].end > len)
			return 0;
		buf_add(out, text + at, e->v[i].start - at);
		buf_adds(out, e->v[i].text);
		at = e->v[i].end;
	}
	buf_add(out, text + at, len - at);
	return 1;
}

struct file_ctx {
	const struct gen_heal_request *r;
	struct pyast *ast;
	const struct pyast_node *nodes;
	size_t nnodes;
	struct gen_heal_candidates *out;
	size_t first;       /* out->nr when the request began */
};

static char *text_of(const struct file_ctx *c, const struct pyast_node *n)
{
	size_t len;
	const char *t = pyast_text(c->ast, n, &len);
	return xstrndup(t, len);
}

static int text_is(const struct file_ctx *c, const struct pyast_node *n, const char *s)
{
	return n && pyast_text_is(c->ast, n, s);
}

/* a new candidate from the edits, unless it changes nothing, repeats one or does not parse */
static struct gen_heal_candidate *candidate_from(struct file_ctx *c, struct edit_set *e,
						 const char *template_name, const char *reason)
{
	struct buf text = BUF_INIT;
	struct pyast *ast = NULL;
	struct gen_heal_candidate *cand = NULL;
	size_t i;
	int ok;

	if (c->out->nr - c->first >= GEN_HEAL_MAX_CANDIDATES || !edit_apply(&text, c->r->text, c->r->len, e))
		goto done;
	if (text.len == c->r->len && !memcmp(text.ptr, c->r->text, text.len))
		goto done;
	for (i = c->first; i < c->out->nr; i++)
		if (c->out->v[i].len == text.len && !memcmp(c->out->v[i].text, text.ptr, text.len))
			goto done;
	ok = pyast_parse(&ast, text.ptr, text.len) == 0 && pyast_syntax_ok(ast, NULL);
	pyast_free(ast);
	if (!ok)
		goto done;
	ALLOC_APPEND(cand, c->out->v, c->out->nr, c->out->alloc);
	cand->text = buf_detach(&text, &cand->len);
	cand->template_name = template_name;
	cand->reason = xstrdup(reason);
done:
	buf_release(&text);
	return cand;
}

void gen_heal_candidates_release(struct gen_heal_candidates *c)
{
	size_t i;

	for (i = 0; i < c->nr; i++)
		FREE_ALL(c->v[i].text, c->v[i].reason, c->v[i].old_value, c->v[i].new_value);
	free(c->v);
	c->v = NULL;
	c->nr = c->alloc = 0;
}

/* The imports of the test file, one per imported name. */
struct import {
	const struct pyast_node *stmt;
	const struct pyast_node *module_node;  /* the dotted module name */
	char *module;          /* "pkg.mod"; "" for a relative import */
	int from;              /* from M import ... */
	int wildcard;
	const struct pyast_node *name_node;  /* the name imported (from) or module (import) */
	char *name;            /* from: the name imported; import: NULL */
	char *spelled;         /* how the file spells it: the alias, the name, the dotted module */
	int aliased;           /* `as` */
};

struct imports {
	struct import *v;
	size_t nr, alloc;
};

static void imports_release(struct imports *im)
{
	size_t i;
	for (i = 0; i < im->nr; i++)
		FREE_ALL(im->v[i].module, im->v[i].name, im->v[i].spelled);
	free(im->v);
}

static void imports_read(struct imports *im, const struct file_ctx *c)
{
	size_t i;

	for (i = 0; i < c->nnodes; i++) {
		const struct pyast_node *s = &c->nodes[i], *k, *mod = NULL;
		int from = pyast_is(s, "import_from_statement");
		if (!from && !pyast_is(s, "import_statement"))
			continue;
		if (from) {
			mod = pyast_field(s, "module_name");
			if (!mod)
				continue;
		}
		for (k = s->child; k; k = k->next) {
			const struct pyast_node *name = k, *alias = NULL;
			struct import *imp;
			if (k == mod)
				continue;
			if (pyast_is(k, "wildcard_import") && from) {
				ALLOC_APPEND(imp, im->v, im->nr, im->alloc);
				imp->stmt = s;
				imp->module_node = mod;
				imp->module = pyast_is(mod, "dotted_name") ? text_of(c, mod) : xstrdup("");
				imp->from = 1;
				imp->wildcard = 1;
				continue;
			}
			if (pyast_is(k, "aliased_import")) {
				name = pyast_field(k, "name");
				alias = pyast_field(k, "alias");
			}
			if (!name || !pyast_is(name, "dotted_name"))
				continue;
			ALLOC_APPEND(imp, im->v, im->nr, im->alloc);
			imp->stmt = s;
			imp->from = from;
			imp->name_node = name;
			imp->aliased = alias != NULL;
			if (from) {
				imp->module_node = mod;
				imp->module = pyast_is(mod, "dotted_name") ? text_of(c, mod) : xstrdup("");
				imp->name = text_of(c, name);
				imp->spelled = alias ? text_of(c, alias) : xstrdup(imp->name);
			} else {
				imp->module_node = name;
				imp->module = text_of(c, name);
				imp->spelled = alias ? text_of(c, alias) : xstrdup(imp->module);
			}
		}
	}
}

/* 1 when an identifier node is a use of a name (not an attribute, a keyword, a parameter, a def) */
static int is_bare_use(const struct pyast_node *n)
{
	const struct pyast_node *p = n->parent;

	if (!p)
		return 0;
	if (pyast_is(p, "attribute"))
		return n->field && !strcmp(n->field, "object");
	if (pyast_is(p, "keyword_argument") || pyast_is(p, "default_parameter") ||
	    pyast_is(p, "typed_default_parameter"))
		return n->field && !strcmp(n->field, "value");
	if (pyast_is(p, "function_definition") || pyast_is(p, "class_definition"))
		return 0;
	if (pyast_is(p, "parameters") || pyast_is(p, "typed_parameter") || pyast_is(p, "lambda_parameters"))
		return 0;
	if (pyast_is(p, "dotted_name")) {
		/* an imported name only: `from m import X`, `from m import X as Y` */
		const struct pyast_node *g = p->parent;
		if (pyast_named_count(p) != 1 || !g)
			return 0;
		if (pyast_is(g, "aliased_import"))
			g = g->parent;
		return g && pyast_is(g, "import_from_statement") && p->field && !strcmp(p->field, "name");
	}
	return 1;
}

/* spans renaming every use of `from` to `to` within [lo, hi) (whole identifiers; imports too) */
static void rename_bare(struct edit_set *e, const struct file_ctx *c, const char *from, const char *to,
			size_t lo, size_t hi, int with_params)
{
	size_t i;

	for (i = 0; i < c->nnodes; i++) {
		const struct pyast_node *n = &c->nodes[i];
		if (!pyast_is(n, "identifier") || n->start < lo || n->end > hi || !text_is(c, n, from))
			continue;
		if (is_bare_use(n) ||
		    (with_params && n->parent &&
		     (pyast_is(n->parent, "parameters") || pyast_is(n->parent, "typed_parameter") ||
		      ((pyast_is(n->parent, "default_parameter") ||
			pyast_is(n->parent, "typed_default_parameter")) &&
		       n->field && !strcmp(n->field, "name")))))
			edit_add(e, n->start, n->end, to);
	}
}

/* spans renaming attribute `from` of objects spelled as one of `objects` (NULL: any object) */
static void rename_attribute(struct edit_set *e, const struct file_ctx *c, const char *from,
			     const char *to, const struct strvec *objects)
{
	size_t i;

	for (i = 0; i < c->nnodes; i++) {
		const struct pyast_node *n = &c->nodes[i], *obj, *attr;
		if (!pyast_is(n, "attribute"))
			continue;
		attr = pyast_field(n, "attribute");
		obj = pyast_field(n, "object");
		if (!attr || !obj || !text_is(c, attr, from))
			continue;
		if (objects) {
			char *o = text_of(c, obj);
			int hit = strvec_find(objects, o) >= 0;
			free(o);
			if (!hit)
				continue;
		}
		edit_add(e, attr->start, attr->end, to);
	}
}

/* The first call of `name` (a bare name or an attribute) in the file: its argument counts. */
struct call_shape {
	int found;
	size_t positional;
	struct strvec keywords;
};

static void call_shape_of(struct call_shape *out, const struct file_ctx *c, const char *name)
{
	size_t i;

	strvec_init(&out->keywords);
	out->found = 0;
	out->positional = 0;
	for (i = 0; i < c->nnodes && !out->found; i++) {
		const struct pyast_node *n = &c->nodes[i], *fn, *args, *a;
		if (!pyast_is(n, "call") || !(fn = pyast_field(n, "function")) ||
		    !(args = pyast_field(n, "arguments")) || !pyast_is(args, "argument_list"))
			continue;
		if (pyast_is(fn, "attribute"))
			fn = pyast_field(fn, "attribute");
		if (!text_is(c, fn, name))
			continue;
		out->found = 1;
		for (a = args->child; a; a = a->next) {
			if (!a->named || pyast_is(a, "comment"))
				continue;
			if (pyast_is(a, "keyword_argument")) {
				char *k = text_of(c, pyast_field(a, "name"));
				strvec_push(&out->keywords, k);
				free(k);
			} else if (!pyast_is(a, "list_splat") && !pyast_is(a, "dictionary_splat")) {
				out->positional++;
			}
		}
	}
}

/* the function `name` of a module (a method of `cls` when given); NULL */
static const struct gen_function *function_in(const struct gen_facts *f, const char *name, const char *cls)
{
	size_t i;

	for (i = 0; i < f->nfunctions; i++) {
		const struct gen_function *fn = &f->functions[i];
		if (strcmp(fn->name, name))
			continue;
		if (cls ? fn->class_name && !strcmp(fn->class_name, cls) : !fn->class_name)
			return fn;
	}
	return NULL;
}

/* a method `name` of any class of the module, or NULL */
static const struct gen_function *method_named(const struct gen_facts *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->nfunctions; i++)
		if (f->functions[i].class_name && !strcmp(f->functions[i].name, name))
			return &f->functions[i];
	return NULL;
}

/* 1 when a call of this shape fits the function's parameters, -1 when it cannot, 0 unknown */
static int fits(const struct gen_function *fn, const struct call_shape *shape)
{
	size_t required = 0, positional = 0, i;
	int varargs = 0, varkw = 0;

	if (!fn || !shape->found)
		return 0;
	for (i = 0; i < fn->nparams; i++) {
		const struct gen_param *p = &fn->params[i];
		if (p->kind == GEN_PARAM_VARARGS)
			varargs = 1;
		else if (p->kind == GEN_PARAM_VARKW)
			varkw = 1;
		else if (p->kind != GEN_PARAM_KW_ONLY) {
			positional++;
			required += !p->default_text;
		}
	}
	if (shape->positional > positional && !varargs)
		return -1;
	for (i = 0; i < shape->keywords.nr && !varkw; i++) {
		size_t k;
		int known = 0;
		for (k = 0; k < fn->nparams && !known; k++)
			known = !strcmp(fn->params[k].name, shape->keywords.v[i]);
		if (!known)
			return -1;
	}
	return shape->positional + shape->keywords.nr >= required ? 1 : -1;
}

/* what a name of a module is, to call: the function, or the __init__ of the class */
static const struct gen_function *callable_of(const struct gen_facts *f, const char *name)
{
	const struct gen_function *fn = function_in(f, name, NULL);
	return fn ? fn : function_in(f, "__init__", name);
}

struct ranked {
	char *name;
	double score;
};

static int ranked_cmp(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return strcmp(x->name, y->name);
}

/*
 * The names of `names` most like `missing` (none of `exclude`), best first:
 * similarity, and for a name the file calls, whether the call fits it.
 */
static size_t rank_names(struct ranked *out, size_t max, const struct strvec *names, const char *missing,
			 const struct strvec *exclude, const struct gen_facts *f, const struct call_shape *shape)
{
	struct ranked *all = xcalloc(names->nr ? names->nr : 1, sizeof(*all));
	size_t n = 0, i;

	for (i = 0; i < names->nr; i++) {
		const char *y = names->v[i];
		double s;
		if (!strcmp(y, missing) || y[0] == '_' || (exclude && strvec_find(exclude, y) >= 0))
			continue;
		s = gen_heal_similarity(missing, y);
		if (s < GEN_HEAL_MIN_SIMILARITY)
			continue;
		if (f && shape)
			s += 0.3 * fits(callable_of(f, y), shape);
		all[n].name = (char *)y;
		all[n++].score = s;
	}
	qsort(all, n, sizeof(*all), ranked_cmp);
	if (n > max)
		n = max;
	memcpy(out, all, n * sizeof(*all));
	free(all);
	return n;
}

/* how a missing name is renamed in the file, and how the reason says it */
struct rename_plan {
	const char *template_name;
	const char *noun;              /* in the reason: "", "fixture " */
	const char *owner;             /* its module or class, for the reason; NULL */
	int attribute;                 /* rename obj.X: of `objects` (NULL: any object) */
	const struct strvec *objects;
	size_t lo, hi;                 /* bare names: within these bytes */
	int with_params;               /* bare names: the parameters that bind it too */
};

/* one candidate per name of `best`: the missing name renamed to it, as the plan says */
static void propose_renames(struct file_ctx *c, const char *from, const struct ranked *best, size_t n,
			    const struct rename_plan *p)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct edit_set e = { 0 };
		struct buf why = BUF_INIT;
		if (p->attribute) {
			rename_attribute(&e, c, from, best[i].name, p->objects);
			buf_addf(&why, "renamed %s.%s -> %s.%s", p->owner, from, p->owner, best[i].name);
		} else {
			rename_bare(&e, c, from, best[i].name, p->lo, p->hi, p->with_params);
			buf_addf(&why, "renamed %s%s -> %s", p->noun, from, best[i].name);
			if (p->owner)
				buf_addf(&why, " (from %s)", p->owner);
		}
		candidate_from(c, &e, p->template_name, why.ptr);
		buf_release(&why);
		edit_release(&e);
	}
}

/* ---- the templates ---------------------------------------------------------------- */

/* X renamed in its module: rename it in the file (its import and every use) */
static void heal_cannot_import(struct file_ctx *c, struct imports *im)
{
	const struct gen_heal_diagnosis *d = c->r->d;
	struct gen_heal_module *mod = module_at(c->r->modules, d->module_file);
	const struct gen_facts *f;
	struct strvec taken = STRVEC_INIT, names = STRVEC_INIT;
	struct ranked best[GEN_HEAL_MAX_RENAMES];
	struct rename_plan plan = { GEN_HEAL_T_RENAME_NAME, "", NULL, 0, NULL, 0, 0, 0 };
	struct call_shape shape;
	size_t i, n;

	if (!mod)
		mod = module_named(c->r->modules, d->owner);
	if (!mod || !(f = module_facts(c->r->modules, mod)))
		return;
	for (i = 0; i < im->nr; i++)
		if (im->v[i].from && im->v[i].name && !strcmp(im->v[i].module, d->owner))
			strvec_push(&taken, im->v[i].name);
	/* a package's names: what its __init__ defines, and its modules (one renamed: from pkg import new) */
	for (i = 0; i < f->module_names.nr; i++)
		strvec_push(&names, f->module_names.v[i]);
	for (i = 0; i < c->r->modules->nr; i++) {
		const char *sub = c->r->modules->v[i].name;
		size_t k = strlen(mod->name);
		if (!strncmp(sub, mod->name, k) && sub[k] == '.' && !strchr(sub + k + 1, '.') &&
		    strvec_find(&names, sub + k + 1) < 0)
			strvec_push(&names, sub + k + 1);
	}
	call_shape_of(&shape, c, d->name);
	n = rank_names(best, GEN_HEAL_MAX_RENAMES, &names, d->name, &taken, f, &shape);
	plan.owner = d->owner;
	plan.hi = c->r->len;
	propose_renames(c, d->name, best, n, &plan);
	strvec_clear(&shape.keywords);
	strvec_clear(&names);
	strvec_clear(&taken);
}

/* the modules the file imports from first, then the rest: where to look for a class or function */
static size_t module_order(struct gen_heal_module **out, struct gen_heal_modules *m, const struct imports *im)
{
	size_t n = 0, i, k;
	char *picked = xcalloc(m->nr ? m->nr : 1, 1);

	for (i = 0; i < im->nr; i++) {
		struct gen_heal_module *mod = module_named(m, im->v[i].module);
		if (mod && !picked[mod - m->v]) {
			picked[mod - m->v] = 1;
			out[n++] = mod;
		}
	}
	for (k = 0; k < m->nr; k++)
		if (!picked[k])
			out[n++] = &m->v[k];
	free(picked);
	return n;
}

/* where a new import line goes: after the last import at the top level, else after the docstring */
static size_t import_line_at(const struct file_ctx *c)
{
	const struct pyast_node *k, *root = pyast_root(c->ast);
	size_t at = 0;

	for (k = root->child; k; k = k->next) {
		if (pyast_is(k, "import_statement") || pyast_is(k, "import_from_statement") ||
		    (!at && pyast_is(k, "expression_statement") && pyast_named_child(k, 0) &&
		     pyast_is(pyast_named_child(k, 0), "string") && k == root->child))
			at = k->end;
		else if (pyast_is(k, "future_import_statement"))
			at = k->end;
	}
	/* the end of that line */
	while (at < c->r->len && c->r->text[at] != '\n')
		at++;
	return at < c->r->len ? at + 1 : at;
}

/* X is in no import of the file: a line importing it from the modules that define it */
static void heal_new_import(struct file_ctx *c, struct imports *im)
{
	const struct gen_heal_diagnosis *d = c->r->d;
	struct gen_heal_module **order = xcalloc(c->r->modules->nr + 1, sizeof(*order));
	size_t n = module_order(order, c->r->modules, im), i, made = 0, at = import_line_at(c);

	for (i = 0; i < n && made < GEN_HEAL_MAX_RENAMES; i++) {
		struct edit_set e = { 0 };
		struct buf line = BUF_INIT, why = BUF_INIT;
		if (!defines(c->r->modules, order[i], d->name))
			continue;
		buf_addf(&line, "%sfrom %s import %s\n", at && c->r->text[at - 1] != '\n' ? "\n" : "",
			 order[i]->name, d->name);
		edit_add(&e, at, at, line.ptr);
		buf_addf(&why, "imported %s from %s", d->name, order[i]->name);
		made += candidate_from(c, &e, GEN_HEAL_T_ADD_IMPORT, why.ptr) != NULL;
		buf_release(&line);
		buf_release(&why);
		edit_release(&e);
	}
	free(order);
}

/* name X undefined: import it from a module the file imports from, or rename it to a name now there */
static void heal_undefined(struct file_ctx *c, struct imports *im, int add_import)
{
	const struct gen_heal_diagnosis *d = c->r->d;
	struct call_shape shape;
	size_t i, k;

	call_shape_of(&shape, c, d->name);
	for (i = 0; i < im->nr; i++) {
		struct gen_heal_module *mod;
		const struct gen_facts *f;
		/* add_import: the modules the file imports names from; else those it imports * from */
		if (!im->v[i].from || !*im->v[i].module || im->v[i].wildcard == add_import)
			continue;
		/* once per module */
		for (k = 0; k < i; k++)
			if (im->v[k].from && im->v[k].wildcard == im->v[i].wildcard &&
			    !strcmp(im->v[k].module, im->v[i].module))
				break;
		if (k < i || !(mod = module_named(c->r->modules, im->v[i].module)) ||
		    !(f = module_facts(c->r->modules, mod)))
			continue;
		if (add_import && defines(c->r->modules, mod, d->name)) {
			/* after the statement's last name */
			const struct pyast_node *last = NULL, *n;
			struct edit_set e = { 0 };
			struct buf why = BUF_INIT, text = BUF_INIT;
			for (n = im->v[i].stmt->child; n; n = n->next)
				if (n->field && !strcmp(n->field, "name"))
					last = n;
			if (last) {
				buf_addf(&text, ", %s", d->name);
				edit_add(&e, last->end, last->end, text.ptr);
				buf_addf(&why, "imported %s from %s", d->name, im->v[i].module);
				candidate_from(c, &e, GEN_HEAL_T_ADD_IMPORT, why.ptr);
			}
			buf_release(&why);
			buf_release(&text);
			edit_release(&e);
		} else if (!add_import) {
			struct ranked best[GEN_HEAL_MAX_RENAMES];
			struct rename_plan plan = { GEN_HEAL_T_RENAME_NAME, "", NULL, 0, NULL, 0, 0, 0 };
			size_t n = rank_names(best, GEN_HEAL_MAX_RENAMES, &f->module_names, d->name, NULL, f, &shape);
			plan.owner = im->v[i].module;
			plan.hi = c->r->len;
			propose_renames(c, d->name, best, n, &plan);
		}
	}
	strvec_clear(&shape.keywords);
}

/* module m has no attribute X: rename m.X where the file spells m */
static void heal_module_attribute(struct file_ctx *c, struct imports *im)
{
	const struct gen_heal_diagnosis *d = c->r->d;
	struct gen_heal_module *mod = module_named(c->r->modules, d->owner);
	const struct gen_facts *f;
	struct strvec spelled = STRVEC_INIT;
	struct ranked best[GEN_HEAL_MAX_RENAMES];
	struct rename_plan plan = { GEN_HEAL_T_RENAME_ATTRIBUTE, "", NULL, 1, NULL, 0, 0, 0 };
	struct call_shape shape;
	size_t i, n;

	if (!mod || !(f = module_facts(c->r->modules, mod)))
		return;
	for (i = 0; i < im->nr; i++) {
		const struct import *imp = &im->v[i];
		struct buf full = BUF_INIT;
		if (imp->wildcard)
			continue;
		if (imp->from)
			buf_addf(&full, "%s.%s", imp->module, imp->name);
		else
			buf_adds(&full, imp->module);
		if (!strcmp(full.ptr, d->owner))
			strvec_push(&spelled, imp->spelled);
		buf_release(&full);
	}
	if (!spelled.nr) {
		strvec_clear(&spelled);
		return;
	}
	call_shape_of(&shape, c, d->name);
	n = rank_names(best, GEN_HEAL_MAX_RENAMES, &f->module_names, d->name, NULL, f, &shape);
	plan.owner = d->owner;
	plan.objects = &spelled;
	propose_renames(c, d->name, best, n, &plan);
	strvec_clear(&shape.keywords);
	strvec_clear(&spelled);
}

/* 'C' object has no attribute X: a method or attribute of C renamed */
static void heal_object_attribute(struct file_ctx *c, struct imports *im)
{
	const struct gen_heal_diagnosis *d = c->r->d;
	struct gen_heal_module **order = xcalloc(c->r->modules->nr + 1, sizeof(*order));
	size_t n = module_order(order, c->r->modules, im), i, k;

	for (i = 0; i < n; i++) {
		const struct gen_facts *f = module_facts(c->r->modules, order[i]);
		const struct gen_class *cls = f ? gen_facts_class(f, d->owner) : NULL;
		struct strvec names = STRVEC_INIT;
		struct ranked best[GEN_HEAL_MAX_RENAMES];
		struct rename_plan plan = { GEN_HEAL_T_RENAME_ATTRIBUTE, "", NULL, 1, NULL, 0, 0, 0 };
		size_t nb;
		if (!cls)
			continue;
		for (k = 0; k < f->nfunctions; k++)
			if (f->functions[k].class_name && !strcmp(f->functions[k].class_name, d->owner))
				strvec_push(&names, f->functions[k].name);
		for (k = 0; k < cls->attrs.nr; k++)
			strvec_push(&names, cls->attrs.v[k]);
		nb = rank_names(best, GEN_HEAL_MAX_RENAMES, &names, d->name, NULL, NULL, NULL);
		plan.owner = d->owner;
		propose_renames(c, d->name, best, nb, &plan);
		strvec_clear(&names);
		break;
	}
	free(order);
}

static const char *last_part(const char *dotted)
{
	const char *dot = strrchr(dotted, '.');
	return dot ? dot + 1 : dotted;
}

/* the attribute names the file reads from `object` (object.attr) */
static void attributes_of(struct strvec *out, const struct file_ctx *c, const char *object)
{
	size_t i;

	for (i = 0; i < c->nnodes; i++) {
		const struct pyast_node *n = &c->nodes[i], *obj = pyast_field(n, "object");
		if (pyast_is(n, "attribute") && obj && text_is(c, obj, object)) {
			char *a = text_of(c, pyast_field(n, "attribute"));
			if (strvec_find(out, a) < 0)
				strvec_push(out, a);
			free(a);
		}
	}
}

/* No module named M: the module that now defines what the file imports from M.x */
static void heal_no_module(struct file_ctx *c, struct imports *im)
{
	const struct gen_heal_diagnosis *d = c->r->d;
	struct gen_heal_modules *m = c->r->modules;
	size_t i, k, nm = strlen(d->name);

	for (i = 0; i < im->nr; i++) {
		const struct import *imp = &im->v[i];
		struct strvec wanted = STRVEC_INIT, done = STRVEC_INIT;
		struct ranked *best;
		size_t nb = 0;
		if (strncmp(imp->module, d->name, nm) || (imp->module[nm] && imp->module[nm] != '.'))
			continue;
		/* one pass per statement */
		for (k = 0; k < i; k++)
			if (im->v[k].stmt == imp->stmt)
				break;
		if (k < i)
			continue;
		for (k = i; k < im->nr; k++)
			if (im->v[k].stmt == imp->stmt && im->v[k].name)
				strvec_push(&wanted, im->v[k].name);
		if (!imp->from)
			attributes_of(&wanted, c, imp->spelled);
		best = xcalloc(m->nr ? m->nr : 1, sizeof(*best));
		for (k = 0; k < m->nr; k++) {
			size_t w;
			int all = 1;
			double s;
			if (!strcmp(m->v[k].name, imp->module))
				continue;
			for (w = 0; w < wanted.nr && all; w++)
				all = defines(m, &m->v[k], wanted.v[w]);
			if (!all || (!wanted.nr && strcmp(last_part(m->v[k].name), last_part(imp->module))))
				continue;
			s = gen_heal_similarity(imp->module, m->v[k].name) +
			    (!strcmp(last_part(m->v[k].name), last_part(imp->module)) ? 1.0 : 0.0);
			best[nb].name = m->v[k].name;
			best[nb++].score = s;
		}
		qsort(best, nb, sizeof(*best), ranked_cmp);
		for (k = 0; k < nb && k < GEN_HEAL_MAX_RENAMES; k++) {
			struct edit_set e = { 0 };
			struct buf why = BUF_INIT, name = BUF_INIT;
			size_t j;
			if (!strncmp(imp->module, "src.", 4) && strncmp(best[k].name, "src.", 4))
				buf_adds(&name, "src.");
			buf_adds(&name, best[k].name);
			if (strvec_find(&done, name.ptr) >= 0) {
				buf_release(&name);
				continue;
			}
			strvec_push(&done, name.ptr);
			edit_add(&e, imp->module_node->start, imp->module_node->end, name.ptr);
			/* a plain `import a.b`: the file spells a.b.f() */
			if (!imp->from && !imp->aliased) {
				for (j = 0; j < c->nnodes; j++) {
					const struct pyast_node *n = &c->nodes[j];
					if (n->field && !strcmp(n->field, "object") && text_is(c, n, imp->module) &&
					    !pyast_ancestor(n, "import_statement"))
						edit_add(&e, n->start, n->end, name.ptr);
				}
			}
			buf_addf(&why, "moved import %s -> %s", imp->module, name.ptr);
			candidate_from(c, &e, GEN_HEAL_T_MOVE_MODULE, why.ptr);
			buf_release(&why);
			buf_release(&name);
			edit_release(&e);
		}
		free(best);
		strvec_clear(&wanted);
		strvec_clear(&done);
	}
}

/* the function a TypeError names ("f", "C.f", "C.__init__"), found in the project's modules */
static const struct gen_function *find_callee(struct file_ctx *c, struct imports *im, const char *owner,
					      struct gen_heal_module **mod_out, const char **call_name)
{
	struct gen_heal_module **order = xcalloc(c->r->modules->nr + 1, sizeof(*order));
	size_t n = module_order(order, c->r->modules, im), i;
	const char *dot = strrchr(owner, '.');
	char *cls = dot ? xstrndup(owner, (size_t)(dot - owner)) : NULL;
	const char *name = dot ? dot + 1 : owner;
	const struct gen_function *found = NULL;

	if (cls && strrchr(cls, '.')) {
		/* Outer.Inner.f: the class is the last part */
		char *inner = xstrdup(strrchr(cls, '.') + 1);
		free(cls);
		cls = inner;
	}
	for (i = 0; i < n && !found; i++) {
		const struct gen_facts *f = module_facts(c->r->modules, order[i]);
		if (!f)
			continue;
		found = function_in(f, name, cls);
		if (!found && !cls)
			found = method_named(f, name);
		if (found)
			*mod_out = order[i];
	}
	*call_name = found ? (!strcmp(name, "__init__") && found->class_name ? found->class_name : found->name)
			   : NULL;
	free(order);
	free(cls);
	return found;
}

/* the calls of `name` (a bare name or an attribute) within [lo, hi) */
static void calls_of(const struct pyast_node ***out, size_t *nr, const struct file_ctx *c,
		     const char *name, size_t lo, size_t hi)
{
	size_t i, alloc = 0;

	*out = NULL;
	*nr = 0;
	for (i = 0; i < c->nnodes; i++) {
		const struct pyast_node *n = &c->nodes[i], *fn, *args;
		if (!pyast_is(n, "call") || n->start < lo || n->end > hi || !(fn = pyast_field(n, "function")) ||
		    !(args = pyast_field(n, "arguments")) || !pyast_is(args, "argument_list"))
			continue;
		if (pyast_is(fn, "attribute"))
			fn = pyast_field(fn, "attribute");
		if (!text_is(c, fn, name))
			continue;
		ALLOC_GROW(*out, *nr + 1, alloc);
		(*out)[(*nr)++] = args;
	}
}

/* the keyword argument `kw` of an argument list, or NULL */
static const struct pyast_node *keyword_in(const struct file_ctx *c, const struct pyast_node *args, const char *kw)
{
	const struct pyast_node *a;

	for (a = args->child; a; a = a->next)
		if (pyast_is(a, "keyword_argument") && text_is(c, pyast_field(a, "name"), kw))
			return a;
	return NULL;
}

static void arg_counts(const struct file_ctx *c, const struct pyast_node *args, size_t *positional,
		       struct strvec *keywords)
{
	const struct pyast_node *a;

	*positional = 0;
	for (a = args->child; a; a = a->next) {
		if (!a->named || pyast_is(a, "comment"))
			continue;
		if (pyast_is(a, "keyword_argument")) {
			char *k = text_of(c, pyast_field(a, "name"));
			strvec_push(keywords, k);
			free(k);
		} else if (!pyast_is(a, "list_splat") && !pyast_is(a, "dictionary_splat")) {
			(*positional)++;
		}
	}
}

/* f() got an unexpected keyword argument 'k': the parameter renamed */
static void heal_keyword(struct file_ctx *c, struct imports *im)
{
	const struct gen_heal_diagnosis *d = c->r->d;
	struct gen_heal_module *mod = NULL;
	const char *call_name = NULL;
	const struct gen_function *fn = find_callee(c, im, d->owner, &mod, &call_name);
	const struct pyast_node **calls = NULL, *first = NULL;
	struct strvec keywords = STRVEC_INIT, params = STRVEC_INIT;
	struct ranked best[GEN_HEAL_MAX_RENAMES];
	size_t ncalls = 0, positional = 0, i, k, nb;

	if (!fn)
		return;
	calls_of(&calls, &ncalls, c, call_name, 0, c->r->len);
	for (i = 0; i < ncalls && !first; i++)
		if (keyword_in(c, calls[i], d->name))
			first = calls[i];
	if (!first)
		goto done;
	arg_counts(c, first, &positional, &keywords);
	/* the parameters a keyword could fill: not filled by position, not given already */
	for (k = 0; k < fn->nparams; k++) {
		const struct gen_param *p = &fn->params[k];
		if (p->kind == GEN_PARAM_VARARGS || p->kind == GEN_PARAM_VARKW || p->kind == GEN_PARAM_POS_ONLY)
			continue;
		if ((p->kind != GEN_PARAM_KW_ONLY && k < positional) || strvec_find(&keywords, p->name) >= 0)
			continue;
		strvec_push(&params, p->name);
	}
	nb = rank_names(best, GEN_HEAL_MAX_RENAMES, &params, d->name, NULL, NULL, NULL);
	/* nothing alike: the first free parameter (the one in the old one's place) */
	if (!nb && params.nr) {
		best[0].name = (char *)params.v[0];
		nb = 1;
	}
	for (i = 0; i < nb; i++) {
		struct edit_set e = { 0 };
		struct buf why = BUF_INIT;
		for (k = 0; k < ncalls; k++) {
			const struct pyast_node *kw = keyword_in(c, calls[k], d->name);
			const struct pyast_node *name = kw ? pyast_field(kw, "name") : NULL;
			if (name)
				edit_add(&e, name->start, name->end, best[i].name);
		}
		buf_addf(&why, "renamed keyword %s= -> %s= of %s()", d->name, best[i].name, call_name);
		candidate_from(c, &e, GEN_HEAL_T_RENAME_KEYWORD, why.ptr);
		buf_release(&why);
		edit_release(&e);
	}
done:
	free(calls);
	strvec_clear(&keywords);
	strvec_clear(&params);
}

/* the byte range of the failing test's function (its decorators too); the file when unknown */
static void test_range(const struct file_ctx *c, size_t *lo, size_t *hi)
{
	struct pyast_function fn = PYAST_FUNCTION_INIT;
	int found = -1;

	*lo = 0;
	*hi = c->r->len;
	if (c->r->line > 0)
		found = pyast_enclosing_function(&fn, c->ast, c->r->line);
	if (found < 0 && c->r->test) {
		/* "TestC::test_f[x]": the method test_f of TestC */
		const char *t = c->r->test, *sep = strstr(t, "::"), *name = t, *cls_end = NULL;
		char *fname, *cls = NULL;
		size_t n;
		while (sep) {
			cls_end = sep;
			name = sep + 2;
			sep = strstr(name, "::");
		}
		if (cls_end) {
			const char *cls_start = t, *s2;
			while ((s2 = strstr(cls_start, "::")) && s2 < cls_end)
				cls_start = s2 + 2;
			cls = xstrndup(cls_start, (size_t)(cls_end - cls_start));
		}
		n = strcspn(name, "[");
		fname = xstrndup(name, n);
		found = pyast_find_function(&fn, c->ast, fname, cls);
		free(fname);
		free(cls);
	}
	error_clear();
	if (found == 0) {
		*lo = fn.start;
		*hi = fn.end;
		pyast_function_release(&fn);
	}
}

/* f() missing a required argument: pass it, with the values its evidence suggests */
static void heal_missing_argument(struct file_ctx *c, struct imports *im)
{
	const struct gen_heal_diagnosis *d = c->r->d;
	struct gen_heal_module *mod = NULL;
	const char *call_name = NULL;
	const struct gen_function *fn = find_callee(c, im, d->owner, &mod, &call_name);
	const struct pyast_node **calls = NULL;
	struct gen_pools *pools = NULL;
	const struct strvec **values = NULL;
	const struct gen_facts *f;
	size_t ncalls = 0, lo, hi, fi, i, k, v;

	if (!fn || !(f = module_facts(c->r->modules, mod)))
		return;
	fi = (size_t)(fn - f->functions);
	test_range(c, &lo, &hi);
	calls_of(&calls, &ncalls, c, call_name, lo, hi);
	if (!ncalls)
		goto done;
	pools = gen_pools_new(f);
	values = xcalloc(d->names.nr, sizeof(*values));
	for (i = 0; i < d->names.nr; i++) {
		for (k = 0; k < fn->nparams; k++)
			if (!strcmp(fn->params[k].name, d->names.v[i]))
				break;
		if (k == fn->nparams || fn->params[k].kind == GEN_PARAM_POS_ONLY ||
		    !(values[i] = gen_pools_values(pools, fi, k)) || !values[i]->nr)
			goto done;
	}
	for (v = 0; v < GEN_HEAL_MAX_VALUES; v++) {
		struct edit_set e = { 0 };
		struct buf added = BUF_INIT, why = BUF_INIT;
		int fresh = 0;
		for (i = 0; i < d->names.nr; i++) {
			size_t at = v < values[i]->nr ? v : values[i]->nr - 1;
			fresh |= v < values[i]->nr;
			buf_addf(&added, "%s%s=%s", i ? ", " : "", d->names.v[i], values[i]->v[at]);
		}
		if (!fresh) {
			buf_release(&added);
			break;
		}
		for (k = 0; k < ncalls; k++) {
			const struct pyast_node *args = calls[k], *a, *last = NULL;
			struct buf ins = BUF_INIT;
			size_t close = args->end - 1, j;
			int trailing_comma = 0;
			for (i = 0; i < d->names.nr; i++)
				if (keyword_in(c, args, d->names.v[i]))
					break;
			if (i < d->names.nr)
				continue;
			for (a = args->child; a; a = a->next)
				if (a->named && !pyast_is(a, "comment"))
					last = a;
			/* a comma after the last argument */
			for (j = last ? last->end : args->start + 1; j < close; j++)
				if (c->r->text[j] == ',')
					trailing_comma = 1;
			if (!last)
				buf_adds(&ins, added.ptr);
			else if (trailing_comma)
				buf_addf(&ins, " %s", added.ptr);
			else
				buf_addf(&ins, ", %s", added.ptr);
			j = last && !trailing_comma ? last->end : close;
			edit_add(&e, j, j, ins.ptr);
			buf_release(&ins);
		}
		buf_addf(&why, "passed the new parameter%s %s to %s()", d->names.nr > 1 ? "s" : "", added.ptr,
			 call_name);
		candidate_from(c, &e, GEN_HEAL_T_NEW_ARGUMENT, why.ptr);
		buf_release(&added);
		buf_release(&why);
		edit_release(&e);
	}
done:
	free(values);
	gen_pools_free(pools);
	free(calls);
}

/* fixture 'x' not found: a fixture renamed; the function asking for it asks for the new name */
static void heal_fixture(struct file_ctx *c)
{
	const struct gen_heal_diagnosis *d = c->r->d;
	struct strvec taken = STRVEC_INIT;
	struct ranked best[GEN_HEAL_MAX_RENAMES];
	struct pyast_function fn = PYAST_FUNCTION_INIT;
	struct rename_plan plan = { GEN_HEAL_T_RENAME_FIXTURE, "fixture ", NULL, 0, NULL, 0, 0, 1 };
	const struct pyast_node *params;
	size_t lo, hi, nb;

	test_range(c, &lo, &hi);
	if (c->r->line <= 0 || pyast_enclosing_function(&fn, c->ast, c->r->line) < 0) {
		error_clear();
	} else {
		lo = fn.start;
		hi = fn.end;
	}
	params = fn.node ? pyast_field(fn.node, "parameters") : NULL;
	if (params) {
		const struct pyast_node *p;
		for (p = params->child; p; p = p->next)
			if (pyast_is(p, "identifier")) {
				char *t = text_of(c, p);
				strvec_push(&taken, t);
				free(t);
			}
	}
	nb = rank_names(best, GEN_HEAL_MAX_RENAMES, &d->names, d->name, &taken, NULL, NULL);
	plan.lo = lo;
	plan.hi = hi;
	propose_renames(c, d->name, best, nb, &plan);
	pyast_function_release(&fn);
	strvec_clear(&taken);
}

/* ---- a changed expected value ---------------------------------------------------- */

/* 1 when a node is a literal: numbers, strings, True/False/None, containers of literals */
static int is_literal(const struct pyast_node *n)
{
	const struct pyast_node *k;

	if (!n)
		return 0;
	if (pyast_is(n, "integer") || pyast_is(n, "float") || pyast_is(n, "true") || pyast_is(n, "false") ||
	    pyast_is(n, "none"))
		return 1;
	if (pyast_is(n, "string") || pyast_is(n, "concatenated_string")) {
		for (k = n->child; k; k = k->next)
			if (pyast_is(k, "interpolation") || (pyast_is(k, "string") && !is_literal(k)))
				return 0;
		return 1;
	}
	if (pyast_is(n, "unary_operator"))
		return is_literal(pyast_field(n, "argument"));
	if (pyast_is(n, "list") || pyast_is(n, "tuple") || pyast_is(n, "set") || pyast_is(n, "dictionary") ||
	    pyast_is(n, "parenthesized_expression") || pyast_is(n, "pair")) {
		for (k = n->child; k; k = k->next)
			if (k->named && !pyast_is(k, "comment") && !is_literal(k))
				return 0;
		return 1;
	}
	return 0;
}

/* 1 when `text` is one Python literal (what a repr gives back for a value that has one) */
static int literal_text(const char *text)
{
	struct buf src = BUF_INIT;
	struct pyast *ast = NULL;
	const struct pyast_node *stmt, *value;
	int ok = 0;

	if (strchr(text, '\n'))
		return 0;
	buf_addf(&src, "_ = %s\n", text);
	if (pyast_parse(&ast, src.ptr, src.len) == 0 && pyast_syntax_ok(ast, NULL) &&
	    (stmt = pyast_root(ast)->child) && (value = pyast_named_child(stmt, 0)) &&
	    pyast_is(value, "assignment") && (value = pyast_field(value, "right")))
		ok = is_literal(value);
	pyast_free(ast);
	buf_release(&src);
	return ok;
}

/* pytest's id of one parameter value: the literal's value for simple ones, else argname + index */
static void param_id(struct buf *out, const struct file_ctx *c, const struct pyast_node *v,
		     const char *argname, size_t row)
{
	size_t len;
	const char *t = pyast_text(c->ast, v, &len);
	const struct pyast_node *arg = pyast_field(v, "argument");

	if (pyast_is(v, "integer") || pyast_is(v, "float") || pyast_is(v, "true") || pyast_is(v, "false") ||
	    pyast_is(v, "none") ||
	    (pyast_is(v, "unary_operator") && arg && (pyast_is(arg, "integer") || pyast_is(arg, "float")))) {
		buf_add(out, t, len);
	} else if (pyast_is(v, "string") && len >= 2 && (t[0] == '\'' || t[0] == '"') && t[len - 1] == t[0] &&
		   !memchr(t, '\\', len) && (len < 6 || t[1] != t[0] || t[2] != t[0])) {
		buf_add(out, t + 1, len - 2);
	} else {
		buf_addf(out, "%s%zu", argname, row);
	}
}

static const struct pyast_node *nth_value(const struct pyast_node *n, size_t i)
{
	const struct pyast_node *k;

	for (k = n->child; k; k = k->next)
		if (k->named && !pyast_is(k, "comment") && !pyast_is(k, "keyword_argument") && !i--)
			return k;
	return NULL;
}

static size_t count_values(const struct pyast_node *n)
{
	const struct pyast_node *k;
	size_t nr = 0;

	for (k = n->child; k; k = k->next)
		nr += k->named && !pyast_is(k, "comment") && !pyast_is(k, "keyword_argument");
	return nr;
}

/* the argnames of a parametrize decorator's first argument ("a, b" or ["a", "b"]) */
static void argnames_of(struct strvec *out, const struct file_ctx *c, const struct pyast_node *arg)
{
	char *t;
	const char *p;

	if (pyast_is(arg, "string")) {
		size_t len;
		const char *s = pyast_text(c->ast, arg, &len);
		if (len < 2)
			return;
		t = xstrndup(s + 1, len - 2);
		for (p = t; *p;) {
			size_t n;
			while (*p == ' ' || *p == ',')
				p++;
			n = strcspn(p, ", ");
			if (n) {
				char *name = xstrndup(p, n);
				strvec_push(out, name);
				free(name);
			}
			p += n;
		}
		free(t);
	} else if (pyast_is(arg, "list") || pyast_is(arg, "tuple")) {
		size_t i, n = count_values(arg);
		for (i = 0; i < n; i++) {
			const struct pyast_node *s = nth_value(arg, i);
			size_t len;
			const char *st = pyast_text(c->ast, s, &len);
			if (pyast_is(s, "string") && len >= 2) {
				char *name = xstrndup(st + 1, len - 2);
				strvec_push(out, name);
				free(name);
			}
		}
	}
}

/* the node of parameter `name`'s value in the row the test id names, in a parametrize decorator */
static const struct pyast_node *parametrized_value(const struct file_ctx *c, const struct pyast_node *def,
						   const char *name, const char *expected_repr)
{
	const struct pyast_node *deco_def = def->parent, *k;
	const char *bracket = c->r->test ? strchr(c->r->test, '[') : NULL;
	struct buf wanted_id = BUF_INIT;
	const struct pyast_node *found = NULL;

	if (!deco_def || !pyast_is(deco_def, "decorated_definition"))
		return NULL;
	if (bracket) {
		buf_adds(&wanted_id, bracket + 1);
		if (wanted_id.len && wanted_id.ptr[wanted_id.len - 1] == ']')
			buf_setlen(&wanted_id, wanted_id.len - 1);
	}
	for (k = deco_def->child; k && !found; k = k->next) {
		const struct pyast_node *call = pyast_is(k, "decorator") ? pyast_named_child(k, 0) : NULL;
		const struct pyast_node *fn, *args, *names_arg, *rows, *a, *ids = NULL;
		struct strvec argnames = STRVEC_INIT;
		size_t pos, nrows, r, matches = 0;
		const struct pyast_node *by_value = NULL;
		size_t by_value_count = 0;
		int idx;

		if (!call || !pyast_is(call, "call") || !(fn = pyast_field(call, "function")) ||
		    !(args = pyast_field(call, "arguments")))
			continue;
		{
			size_t len;
			const char *t = pyast_text(c->ast, fn, &len);
			if (len < 11 || memcmp(t + len - 11, "parametrize", 11))
				continue;
		}
		names_arg = nth_value(args, 0);
		rows = nth_value(args, 1);
		if (!names_arg || !rows || !(pyast_is(rows, "list") || pyast_is(rows, "tuple")))
			continue;
		argnames_of(&argnames, c, names_arg);
		idx = strvec_find(&argnames, name);
		if (idx < 0) {
			strvec_clear(&argnames);
			continue;
		}
		pos = (size_t)idx;
		for (a = args->child; a; a = a->next)
			if (pyast_is(a, "keyword_argument") && text_is(c, pyast_field(a, "name"), "ids"))
				ids = pyast_field(a, "value");
		nrows = count_values(rows);
		for (r = 0; r < nrows; r++) {
			const struct pyast_node *row = nth_value(rows, r), *values = row, *value, *row_id = NULL;
			struct buf id = BUF_INIT;
			if (pyast_is(row, "call")) {
				/* pytest.param(..., id="x") */
				const struct pyast_node *pa = pyast_field(row, "arguments");
				for (a = pa ? pa->child : NULL; a; a = a->next)
					if (pyast_is(a, "keyword_argument") && text_is(c, pyast_field(a, "name"), "id"))
						row_id = pyast_field(a, "value");
				values = pa;
			}
			if (!values)
				continue;
			if (argnames.nr == 1 && values == row)
				value = row;
			else if (pyast_is(values, "tuple") || pyast_is(values, "list") ||
				 pyast_is(values, "argument_list") || pyast_is(values, "parenthesized_expression"))
				value = nth_value(values, pos);
			else
				continue;
			if (!value)
				continue;
			/* the row's id: ids=[...], pytest.param(id=...), else pytest's own */
			if (ids && (pyast_is(ids, "list") || pyast_is(ids, "tuple")) && nth_value(ids, r)) {
				const struct pyast_node *s = nth_value(ids, r);
				size_t len;
				const char *t = pyast_text(c->ast, s, &len);
				if (pyast_is(s, "string") && len >= 2)
					buf_add(&id, t + 1, len - 2);
			} else if (row_id) {
				size_t len;
				const char *t = pyast_text(c->ast, row_id, &len);
				if (len >= 2)
					buf_add(&id, t + 1, len - 2);
			} else {
				size_t j, nv = argnames.nr;
				for (j = 0; j < nv; j++) {
					const struct pyast_node *vj = argnames.nr == 1 && values == row ? row
								       : nth_value(values, j);
					if (!vj)
						break;
					if (j)
						buf_addch(&id, '-');
					param_id(&id, c, vj, argnames.v[j], r);
				}
			}
			if (bracket && !strcmp(id.ptr, wanted_id.ptr)) {
				found = value;
				matches++;
			}
			if (expected_repr && text_is(c, value, expected_repr)) {
				by_value = value;
				by_value_count++;
			}
			if (!bracket && nrows == 1)
				found = value;
			buf_release(&id);
		}
		if (matches > 1)
			found = NULL;
		if (!found && by_value_count == 1)
			found = by_value;
		strvec_clear(&argnames);
	}
	buf_release(&wanted_id);
	return found;
}

/* the literal a local name was last given before `line` in the function, or NULL */
static const struct pyast_node *assigned_literal(const struct file_ctx *c, const struct pyast_node *def,
						 const char *name, int line)
{
	const struct pyast_node *found = NULL;
	size_t i;

	for (i = 0; i < c->nnodes; i++) {
		const struct pyast_node *n = &c->nodes[i], *left, *right;
		if (!pyast_is(n, "assignment") || n->start < def->start || n->end > def->end ||
		    n->start_line >= line)
			continue;
		left = pyast_field(n, "left");
		right = pyast_field(n, "right");
		if (pyast_is(left, "identifier") && text_is(c, left, name) && pyast_enclosing_def(n) == def)
			found = is_literal(right) ? right : NULL;
	}
	return found;
}

/* where the expected value of an operand is written: the literal itself, a parameter's row, a local's value */
static const struct pyast_node *expected_node(const struct file_ctx *c, const struct pyast_node *operand,
					      const struct pyast_node *def, const char *expected_repr)
{
	char *name;
	const struct pyast_node *found = NULL;

	if (is_literal(operand))
		return operand;
	if (!pyast_is(operand, "identifier") || !def)
		return NULL;
	name = text_of(c, operand);
	found = parametrized_value(c, def, name, expected_repr);
	if (!found)
		found = assigned_literal(c, def, name, operand->start_line);
	free(name);
	return found;
}

/* assert <observed> == <expected literal>: the literal becomes what the code returns now (held) */
static void heal_changed_value(struct file_ctx *c)
{
	const struct gen_heal_diagnosis *d = c->r->d;
	const struct pyast_node *stmt, *cmp, *op, *l, *r, *def, *lit_l, *lit_r, *target;
	const char *observed, *expected;
	struct edit_set e = { 0 };
	struct buf why = BUF_INIT;
	struct gen_heal_candidate *cand;
	int first, last;

	if (c->r->line <= 0 || !(stmt = pyast_statement_at(c->ast, c->r->line, &first, &last)) ||
	    !pyast_is(stmt, "assert_statement"))
		return;
	cmp = pyast_named_child(stmt, 0);
	if (!cmp || !pyast_is(cmp, "comparison_operator") || pyast_named_count(cmp) != 2 ||
	    !(op = pyast_field(cmp, "operators")) || !pyast_is(op, "=="))
		return;
	l = pyast_named_child(cmp, 0);
	r = pyast_named_child(cmp, 1);
	def = pyast_enclosing_def(stmt);
	lit_l = expected_node(c, l, def, d->left);
	lit_r = expected_node(c, r, def, d->right);
	/* one side is what the test expects, the other what the code gives */
	if (lit_r && !lit_l) {
		target = lit_r;
		observed = d->left;
		expected = d->right;
	} else if (lit_l && !lit_r) {
		target = lit_l;
		observed = d->right;
		expected = d->left;
	} else {
		return;
	}
	if (!literal_text(observed) || strstr(observed, "...") || !strcmp(observed, expected))
		return;
	edit_add(&e, target->start, target->end, observed);
	buf_addf(&why, "expected value %s -> %s (the code's behaviour changed)", expected, observed);
	cand = candidate_from(c, &e, GEN_HEAL_T_EXPECTED_VALUE, why.ptr);
	if (cand) {
		cand->behaviour = 1;
		cand->old_value = text_of(c, target);
		cand->new_value = xstrdup(observed);
	}
	buf_release(&why);
	edit_release(&e);
}

/* ---- proposing ----------------------------------------------------------------- */

/* the rank of a template in the knowledge base's order (unknown ones after, in ours) */
static size_t template_rank(const struct gen_heal_request *r, const char *name)
{
	int k = r->template_order ? strvec_find(r->template_order, name) : -1;
	return k < 0 ? (size_t)-1 : (size_t)k;
}

static void propose_in_order(struct file_ctx *c, struct imports *im)
{
	const struct gen_heal_diagnosis *d = c->r->d;

	switch (d->kind) {
	case GEN_HEAL_CANNOT_IMPORT:
		heal_cannot_import(c, im);
		break;
	case GEN_HEAL_NO_MODULE:
		heal_no_module(c, im);
		break;
	case GEN_HEAL_UNDEFINED_NAME:
		/* the knowledge base says which of the two works best for NameError */
		if (template_rank(c->r, GEN_HEAL_T_RENAME_NAME) < template_rank(c->r, GEN_HEAL_T_ADD_IMPORT)) {
			heal_undefined(c, im, 0);
			heal_undefined(c, im, 1);
		} else {
			heal_undefined(c, im, 1);
			heal_undefined(c, im, 0);
		}
		/* in no module the file imports names from: a line of its own */
		if (c->out->nr == c->first)
			heal_new_import(c, im);
		break;
	case GEN_HEAL_MODULE_ATTRIBUTE:
		heal_module_attribute(c, im);
		break;
	case GEN_HEAL_OBJECT_ATTRIBUTE:
		heal_object_attribute(c, im);
		break;
	case GEN_HEAL_UNEXPECTED_KEYWORD:
		heal_keyword(c, im);
		break;
	case GEN_HEAL_MISSING_ARGUMENT:
		heal_missing_argument(c, im);
		break;
	case GEN_HEAL_MISSING_FIXTURE:
		heal_fixture(c);
		break;
	case GEN_HEAL_CHANGED_VALUE:
		heal_changed_value(c);
		break;
	case GEN_HEAL_UNKNOWN:
		break;
	}
}

void gen_heal_propose(struct gen_heal_candidates *out, const struct gen_heal_request *r)
{
	struct file_ctx c;
	struct imports im = { 0 };

	memset(&c, 0, sizeof(c));
	c.r = r;
	c.out = out;
	c.first = out->nr;
	if (!r->d || r->d->kind == GEN_HEAL_UNKNOWN || pyast_parse(&c.ast, r->text, r->len) < 0)
		return;
	c.nodes = pyast_nodes(c.ast, &c.nnodes);
	imports_read(&im, &c);
	propose_in_order(&c, &im);
	imports_release(&im);
	pyast_free(c.ast);
}
