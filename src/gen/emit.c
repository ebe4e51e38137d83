#include "gen/emit.h"

#include "util/buf.h"
#include "util/xalloc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* characters of an argument's text kept in a case id */
#define CASE_ID_PART_MAX 16

void gen_emitted_release(struct gen_emitted *e)
{
	strvec_clear(&e->ids);
	strvec_clear(&e->names);
	free(e->call);
	e->call = NULL;
}

static void emitted_add(struct gen_emitted *e, const char *id, int call)
{
	e->call = xrealloc(e->call, (e->ids.nr + 1) * sizeof(*e->call));
	e->call[e->ids.nr] = call;
	strvec_push(&e->ids, id);
}

/* "BankAccount" -> "bank_account" */
static void snake(struct buf *out, const char *name)
{
	const char *s;

	for (s = name; *s; s++) {
		if (isupper((unsigned char)*s)) {
			if (s != name && out->len && out->ptr[out->len - 1] != '_' &&
			    (islower((unsigned char)s[-1]) || (s[1] && islower((unsigned char)s[1]))))
				buf_addch(out, '_');
			buf_addch(out, (char)tolower((unsigned char)*s));
		} else
			buf_addch(out, *s);
	}
}

/* a test name from `base` not used yet, added to the names */
static char *unique_name(struct gen_emitted *e, const char *base)
{
	struct buf t = BUF_INIT;
	int n = 1;

	buf_adds(&t, base);
	while (strvec_find(&e->names, t.ptr) >= 0) {
		buf_reset(&t);
		buf_addf(&t, "%s_%d", base, ++n);
	}
	strvec_push(&e->names, t.ptr);
	return buf_detach(&t, NULL);
}

static void base_name(struct buf *out, const struct gen_function *fn, const char *suffix)
{
	buf_adds(out, "test_");
	if (fn->class_name) {
		snake(out, fn->class_name);
		if (strcmp(fn->name, "__init__")) {
			buf_addch(out, '_');
			buf_adds(out, fn->name);
		}
	} else
		buf_adds(out, fn->name);
	if (suffix) {
		buf_addch(out, '_');
		buf_adds(out, suffix);
	}
}

/* a case id from the arguments: "10-3", "hello_world" */
static void case_id(struct buf *out, const struct gen_call *c)
{
	size_t k;
	int first = 1;

	for (k = 0; k < c->args.nr; k++) {
		const char *s = c->args.v[k];
		size_t n = 0;
		if (!*s)
			continue;
		if (!first)
			buf_addch(out, '-');
		first = 0;
		for (; *s && n < CASE_ID_PART_MAX; s++) {
			unsigned char ch = (unsigned char)*s;
			if (isalnum(ch) || ch == '.' || ch == '_' || (ch == '-' && n == 0)) {
				buf_addch(out, (char)ch);
				n++;
			} else if ((ch == ' ' || ch == ',') && n && out->ptr[out->len - 1] != '_') {
				buf_addch(out, '_');
				n++;
			}
		}
		if (!n)
			buf_adds(out, "empty");
	}
	if (first)
		buf_adds(out, "defaults");
}

/* the parameter name used in a parametrised test (avoiding our own names) */
static void param_name(struct buf *out, const char *name)
{
	if (!strcmp(name, "expected") || !strcmp(name, "result") || !strcmp(name, "obj") ||
	    !strcmp(name, "pytest") || !strcmp(name, "itertools"))
		buf_addf(out, "arg_%s", name);
	else
		buf_adds(out, name);
}

/* the call's expression with its given arguments as the test's parameters */
static void shaped_expr(struct buf *out, const struct gen_function *fn, const struct gen_call *c)
{
	struct buf args = BUF_INIT;
	size_t k;
	int first = 1, skipped = 0;

	for (k = 0; k < fn->nparams && k < c->args.nr; k++) {
		const struct gen_param *p = &fn->params[k];
		if (!*c->args.v[k]) {
			skipped = 1;
			continue;
		}
		if (!first)
			buf_adds(&args, ", ");
		first = 0;
		if (p->kind == GEN_PARAM_KW_ONLY || (skipped && p->kind == GEN_PARAM_POSITIONAL)) {
			buf_addf(&args, "%s=", p->name);
		}
		param_name(&args, p->name);
	}
	if (fn->kind == GEN_FUNCTION)
		buf_addf(out, "%s(%s)", fn->name, args.ptr);
	else if (!strcmp(fn->name, "__init__"))
		buf_addf(out, "%s(%s)", fn->class_name, args.ptr);
	else
		buf_addf(out, "%s.%s(%s)", fn->class_name, fn->name, args.ptr);
	if (fn->is_generator) {
		struct buf g = BUF_INIT;
		buf_addf(&g, "list(itertools.islice(%s, 20))", out->ptr);
		buf_reset(out);
		buf_adds(out, g.ptr);
		buf_release(&g);
	}
	buf_release(&args);
}

static uint64_t shape_of(const struct gen_call *c)
{
	uint64_t m = 0;
	size_t k;

	for (k = 0; k < c->args.nr && k < 63; k++)
		if (*c->args.v[k])
			m |= 1ull << k;
	return m;
}

/* a call that fits a parametrised test: its own arguments and nothing else */
static int parametrisable(const struct gen_function *fn, const struct gen_call *c)
{
	if (c->setup.nr || c->observe || c->chained || c->args.nr != fn->nparams || c->args.nr > 63)
		return 0;
	/* a doctest example, as written, or a call with no argument: a test of its own */
	if (!shape_of(c))
		return 0;
	if (c->outcome == GEN_OUT_VALUE)
		return c->literal;
	return c->outcome == GEN_OUT_RAISED;
}

static const char *singleton(const char *repr)
{
	if (!strcmp(repr, "None") || !strcmp(repr, "True") || !strcmp(repr, "False"))
		return repr;
	return NULL;
}

static void exc_suffix(struct buf *out, const char *type)
{
	buf_adds(out, "raises_");
	snake(out, type);
}

/* the name a raised type is written with in the file */
static const char *exc_name(const struct gen_call *c)
{
	return c->type ? c->type : "Exception";
}

static void emit_group(struct buf *out, struct gen_emitted *e, const struct gen_facts *f,
		       const struct gen_calls *calls, const int *members, size_t n)
{
	const struct gen_call *c0 = &calls->items[members[0]];
	const struct gen_function *fn = &f->functions[c0->function];
	struct buf base = BUF_INIT, names = BUF_INIT, expr = BUF_INIT, suffix = BUF_INIT, id = BUF_INIT;
	struct strvec ids = STRVEC_INIT;
	int raised = c0->outcome == GEN_OUT_RAISED;
	char *name;
	size_t i, k;

	if (raised)
		exc_suffix(&suffix, exc_name(c0));
	base_name(&base, fn, raised ? suffix.ptr : NULL);
	name = unique_name(e, base.ptr);
	for (k = 0; k < fn->nparams; k++) {
		if (!*c0->args.v[k])
			continue;
		if (names.len)
			buf_adds(&names, ", ");
		param_name(&names, fn->params[k].name);
	}
	if (!raised) {
		if (names.len)
			buf_adds(&names, ", ");
		buf_adds(&names, "expected");
	}
	shaped_expr(&expr, fn, c0);
	buf_addf(out, "\n\n@pytest.mark.parametrize(\n    \"%s\",\n    [\n", names.ptr);
	for (i = 0; i < n; i++) {
		const struct gen_call *c = &calls->items[members[i]];
		struct buf row = BUF_INIT;
		int items = 0, nid = 1;
		for (k = 0; k < c->args.nr; k++) {
			if (!*c->args.v[k])
				continue;
			buf_addf(&row, "%s%s", items ? ", " : "", c->args.v[k]);
			items++;
		}
		if (!raised) {
			buf_addf(&row, "%s%s", items ? ", " : "", c->repr);
			items++;
		}
		/* one name: pytest takes each value as it is, a tuple would not be unpacked */
		if (items == 1)
			buf_addf(out, "        %s,\n", row.ptr);
		else
			buf_addf(out, "        (%s),\n", row.ptr);
		buf_release(&row);
		buf_reset(&id);
		case_id(&id, c);
		while (strvec_find(&ids, id.ptr) >= 0) {
			buf_reset(&id);
			case_id(&id, c);
			buf_addf(&id, "_%d", ++nid);
		}
		strvec_push(&ids, id.ptr);
	}
	buf_adds(out, "    ],\n    ids=[");
	for (i = 0; i < n; i++) {
		struct buf full = BUF_INIT;
		buf_addf(out, "%s\"%s\"", i ? ", " : "", ids.v[i]);
		buf_addf(&full, "%s[%s]", name, ids.v[i]);
		emitted_add(e, full.ptr, members[i]);
		buf_release(&full);
	}
	buf_adds(out, "],\n)\n");
	{
		/* the signature: the names without quotes */
		buf_addf(out, "def %s(%s):\n", name, names.ptr);
	}
	if (raised)
		buf_addf(out, "    with pytest.raises(%s):\n        %s\n", exc_name(c0), expr.ptr);
	else
		buf_addf(out, "    assert %s == expected\n", expr.ptr);
	free(name);
	strvec_clear(&ids);
	buf_release(&base);
	buf_release(&names);
	buf_release(&expr);
	buf_release(&suffix);
	buf_release(&id);
}

static void assert_state(struct buf *out, const char *var, const struct strvec *names,
			 const struct strvec *values)
{
	size_t k;

	for (k = 0; k < names->nr; k++) {
		const char *s = singleton(values->v[k]);
		if (s)
			buf_addf(out, "    assert %s.%s is %s\n", var, names->v[k], s);
		else
			buf_addf(out, "    assert %s.%s == %s\n", var, names->v[k], values->v[k]);
	}
}

static void emit_single(struct buf *out, struct gen_emitted *e, const struct gen_facts *f,
			const struct gen_calls *calls, int ci)
{
	const struct gen_call *c = &calls->items[ci];
	const struct gen_function *fn = &f->functions[c->function];
	struct buf base = BUF_INIT, suffix = BUF_INIT;
	char *name;
	size_t k;

	if (c->outcome == GEN_OUT_RAISED)
		exc_suffix(&suffix, exc_name(c));
	base_name(&base, fn, suffix.len ? suffix.ptr : NULL);
	name = unique_name(e, base.ptr);
	buf_addf(out, "\n\ndef %s():\n", name);
	for (k = 0; k < c->setup.nr; k++)
		buf_addf(out, "    %s\n", c->setup.v[k]);
	if (c->outcome == GEN_OUT_RAISED) {
		buf_addf(out, "    with pytest.raises(%s):\n        %s\n", exc_name(c), c->expr);
	} else if (c->literal) {
		const char *s = singleton(c->repr);
		if (s && !strcmp(s, "None") && c->obs_names.nr)
			buf_addf(out, "    assert %s is None\n", c->expr);
		else if (s)
			buf_addf(out, "    assert %s is %s\n", c->expr, s);
		else
			buf_addf(out, "    assert %s == %s\n", c->expr, c->repr);
	} else if (c->attr_names.nr) {
		buf_addf(out, "    result = %s\n", c->expr);
		assert_state(out, "result", &c->attr_names, &c->attr_values);
	} else {
		buf_addf(out, "    result = %s\n", c->expr);
		buf_addf(out, "    assert type(result).__name__ == '%s'\n", c->type ? c->type : "object");
	}
	if (c->observe && c->outcome != GEN_OUT_RAISED)
		assert_state(out, c->observe, &c->obs_names, &c->obs_values);
	emitted_add(e, name, ci);
	free(name);
	buf_release(&base);
	buf_release(&suffix);
}

static int is_ident_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '_';
}

/* the module names a text uses (identifiers not after a dot) */
static void names_used(struct strvec *out, const struct gen_facts *f, const char *text,
		       const struct strvec *extra)
{
	const char *s = text;

	while (*s) {
		const char *start;
		if (*s == '\'' || *s == '"') {
			/* skip a string literal */
			char q = *s++;
			while (*s && *s != q) {
				if (*s == '\\' && s[1])
					s++;
				s++;
			}
			if (*s)
				s++;
			continue;
		}
		if (!is_ident_char(*s) || isdigit((unsigned char)*s)) {
			s++;
			continue;
		}
		start = s;
		while (is_ident_char(*s))
			s++;
		if (start == text || start[-1] != '.') {
			char *w = xstrndup(start, (size_t)(s - start));
			if ((strvec_find(&f->module_names, w) >= 0 || (extra && strvec_find(extra, w) >= 0)) &&
			    strvec_find(out, w) < 0)
				strvec_push(out, w);
			free(w);
		}
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void gen_emit(struct buf *out, struct gen_emitted *emitted, const struct gen_facts *f,
	      const struct gen_calls *calls, const struct gen_emit_options *o)
{
	struct buf body = BUF_INIT;
	struct strvec used = STRVEC_INIT, exc_imports = STRVEC_INIT, local_exc = STRVEC_INIT;
	struct strvec import_lines = STRVEC_INIT;
	int *done = xcalloc(calls->nr ? calls->nr : 1, sizeof(*done));
	int *members = xcalloc(calls->nr ? calls->nr : 1, sizeof(*members));
	size_t fi, i, j;

	for (i = 0; i < f->nclasses; i++)
		if (f->classes[i].is_exception)
			strvec_push(&local_exc, f->classes[i].name);
	/* function by function, in file order: groups first, then single tests */
	for (fi = 0; fi < f->nfunctions; fi++) {
		const struct gen_function *fn = &f->functions[fi];
		for (i = 0; i < calls->nr; i++) {
			const struct gen_call *c = &calls->items[i];
			size_t n = 0;
			if (done[i] || !c->kept || c->function != (int)fi || !parametrisable(fn, c))
				continue;
			for (j = i; j < calls->nr; j++) {
				const struct gen_call *d = &calls->items[j];
				if (done[j] || !d->kept || d->function != (int)fi || !parametrisable(fn, d) ||
				    d->outcome != c->outcome || shape_of(d) != shape_of(c) ||
				    (c->outcome == GEN_OUT_RAISED && strcmp(exc_name(c), exc_name(d))))
					continue;
				members[n++] = (int)j;
				done[j] = 1;
			}
			emit_group(&body, emitted, f, calls, members, n);
		}
		for (i = 0; i < calls->nr; i++) {
			const struct gen_call *c = &calls->items[i];
			if (done[i] || !c->kept || c->function != (int)fi)
				continue;
			done[i] = 1;
			emit_single(&body, emitted, f, calls, (int)i);
		}
	}
	/* imports: the module's names the tests use, exceptions from elsewhere */
	for (i = 0; i < calls->nr; i++) {
		const struct gen_call *c = &calls->items[i];
		if (!c->kept)
			continue;
		for (j = 0; j < c->setup.nr; j++)
			names_used(&used, f, c->setup.v[j], &local_exc);
		names_used(&used, f, c->expr, &local_exc);
		for (j = 0; j < c->args.nr; j++)
			names_used(&used, f, c->args.v[j], &local_exc);
		if (c->function >= 0) {
			const struct gen_function *fn = &f->functions[c->function];
			const char *nm = fn->class_name ? fn->class_name : fn->name;
			if (strvec_find(&used, nm) < 0)
				strvec_push(&used, nm);
		}
		if (c->outcome == GEN_OUT_RAISED && c->type) {
			if (strvec_find(&local_exc, c->type) >= 0 ||
			    (c->type_module && o->module_name && !strcmp(c->type_module, o->module_name))) {
				if (strvec_find(&used, c->type) < 0)
					strvec_push(&used, c->type);
			} else if (c->type_module && strcmp(c->type_module, "builtins")) {
				struct buf imp = BUF_INIT;
				buf_addf(&imp, "from %s import %s", c->type_module, c->type);
				if (strvec_find(&exc_imports, imp.ptr) < 0)
					strvec_push(&exc_imports, imp.ptr);
				buf_release(&imp);
			}
		}
	}
	if (o->carried) {
		/* the module names an earlier file's tests use: imported too */
		names_used(&used, f, o->carried, &local_exc);
		buf_adds(&body, o->carried);
	}
	/* names the module imported (`date`) that the tests' values use: imported the same way */
	for (i = 0; i < calls->nr; i++) {
		const struct gen_call *c = &calls->items[i];
		struct strvec names = STRVEC_INIT;
		if (!c->kept)
			continue;
		for (j = 0; j < c->setup.nr; j++)
			names_used(&names, f, c->setup.v[j], &f->import_names);
		names_used(&names, f, c->expr, &f->import_names);
		for (j = 0; j < c->args.nr; j++)
			names_used(&names, f, c->args.v[j], &f->import_names);
		for (j = 0; j < names.nr; j++) {
			int k = strvec_find(&f->import_names, names.v[j]);
			if (k >= 0 && strvec_find(&f->module_names, names.v[j]) < 0 &&
			    strvec_find(&import_lines, f->import_lines.v[k]) < 0)
				strvec_push(&import_lines, f->import_lines.v[k]);
		}
		strvec_clear(&names);
	}
	qsort(import_lines.v, import_lines.nr, sizeof(*import_lines.v), cmp_str);
	qsort(used.v, used.nr, sizeof(*used.v), cmp_str);
	qsort(exc_imports.v, exc_imports.nr, sizeof(*exc_imports.v), cmp_str);
	buf_addf(out, "\"\"\"Tests of %s, written by `pytest-fixer generate` (seed %lu).\n\n"
		 "Each expected value was observed on the code as it was then: a failure\n"
		 "here means its behaviour changed. If the change was meant, run\n"
		 "`pytest-fixer heal`; to write them again, `pytest-fixer generate %s`.\n\"\"\"\n",
		 o->module_path, o->seed, o->module_path);
	/* what observed values are written with (runner/probe.h's literals) */
	{
		int stdlib = 0;
		if (strstr(body.ptr, "datetime.")) {
			buf_adds(out, "import datetime\n");
			stdlib = 1;
		}
		if (strstr(body.ptr, "itertools.")) {
			buf_adds(out, "import itertools\n");
			stdlib = 1;
		}
		if (strstr(body.ptr, "Decimal(")) {
			buf_adds(out, "from decimal import Decimal\n");
			stdlib = 1;
		}
		if (strstr(body.ptr, "Fraction(")) {
			buf_adds(out, "from fractions import Fraction\n");
			stdlib = 1;
		}
		if (stdlib)
			buf_addch(out, '\n');
	}
	buf_adds(out, "import pytest\n\n");
	for (i = 0; i < import_lines.nr; i++)
		if (strcmp(import_lines.v[i], "import datetime") || !strstr(body.ptr, "datetime."))
			buf_addf(out, "%s\n", import_lines.v[i]);
	for (i = 0; i < exc_imports.nr; i++)
		buf_addf(out, "%s\n", exc_imports.v[i]);
	if (used.nr) {
		struct buf line = BUF_INIT;
		buf_addf(&line, "from %s import ", o->module_name);
		if (used.nr <= 3) {
			for (i = 0; i < used.nr; i++)
				buf_addf(&line, "%s%s", i ? ", " : "", used.v[i]);
			buf_addch(&line, '\n');
		} else {
			buf_adds(&line, "(\n");
			for (i = 0; i < used.nr; i++)
				buf_addf(&line, "    %s,\n", used.v[i]);
			buf_adds(&line, ")\n");
		}
		buf_adds(out, line.ptr);
		buf_release(&line);
	}
	buf_add(out, body.ptr, body.len);
	strvec_clear(&used);
	strvec_clear(&exc_imports);
	strvec_clear(&import_lines);
	strvec_clear(&local_exc);
	buf_release(&body);
	free(done);
	free(members);
}
