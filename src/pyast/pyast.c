#include "pyast/pyast.h"

#include "util/buf.h"
#include "util/error.h"
#include "util/strvec.h"
#include "util/xalloc.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <tree_sitter/api.h>

const TSLanguage *tree_sitter_python(void);

/* how much of an unexpected token a syntax message quotes */
#define PYAST_QUOTE_MAX 40

struct pyast {
	char *src;
	size_t len;
	TSTree *tree;      /* kept for incremental re-parses (pyast_edit_parses) */
	struct pyast_node *nodes;
	size_t nr, alloc;
	size_t *lines;     /* byte offset where each line starts; lines[0] is line 1 */
	int nr_lines;
};

/* -- building ------------------------------------------------------------- */

/* the node's links as indices while the array may still move; -1 for none */
struct links {
	long parent, child, next;
};

static int line_of(const struct pyast *ast, size_t offset)
{
	size_t lo = 0, hi = (size_t)ast->nr_lines;

	/* the last line whose start is <= offset */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (ast->lines[mid] <= offset)
			lo = mid;
		else
			hi = mid;
	}
	return (int)lo + 1;
}

static void index_lines(struct pyast *ast)
{
	size_t i, n = 1, k = 0;

	for (i = 0; i < ast->len; i++)
		if (ast->src[i] == '\n')
			n++;
	ast->lines = xcalloc(n, sizeof(*ast->lines));
	ast->lines[k++] = 0;
	for (i = 0; i < ast->len; i++)
		if (ast->src[i] == '\n')
			ast->lines[k++] = i + 1;
	ast->nr_lines = (int)n;
}

static long add_node(struct pyast *ast, struct links **links, size_t *links_alloc,
		     TSNode tn, const char *field, long parent)
{
	struct pyast_node *n;
	size_t idx = ast->nr;

	ALLOC_GROW(ast->nodes, ast->nr + 1, ast->alloc);
	ALLOC_GROW(*links, ast->nr + 1, *links_alloc);
	n = &ast->nodes[ast->nr++];
	memset(n, 0, sizeof(*n));
	n->type = ts_node_type(tn);
	n->field = field;
	n->start = ts_node_start_byte(tn);
	n->end = ts_node_end_byte(tn);
	if (n->end > ast->len)
		n->end = ast->len;
	if (n->start > n->end)
		n->start = n->end;
	n->start_line = line_of(ast, n->start);
	n->end_line = n->end > n->start ? line_of(ast, n->end - 1) : n->start_line;
	n->named = ts_node_is_named(tn);
	n->missing = ts_node_is_missing(tn);
	n->error = !strcmp(n->type, "ERROR");
	(*links)[idx].parent = parent;
	(*links)[idx].child = -1;
	(*links)[idx].next = -1;
	return (long)idx;
}

static void flatten(struct pyast *ast, TSNode root)
{
	TSTreeCursor cur = ts_tree_cursor_new(root);
	struct links *links = NULL;
	size_t links_alloc = 0, depth = 0, stack_alloc = 0, i;
	long *stack = NULL, *last = NULL; /* the open ancestors; the last child added under each */
	long idx, parent;

	for (;;) {
		parent = depth ? stack[depth - 1] : -1;
		idx = add_node(ast, &links, &links_alloc, ts_tree_cursor_current_node(&cur),
			       ts_tree_cursor_current_field_name(&cur), parent);
		if (parent >= 0) {
			if (last[depth - 1] >= 0)
				links[last[depth - 1]].next = idx;
			else
				links[parent].child = idx;
			last[depth - 1] = idx;
		}
		if (ts_tree_cursor_goto_first_child(&cur)) {
			ALLOC_GROW(stack, depth + 1, stack_alloc);
			last = xrealloc(last, stack_alloc * sizeof(*last));
			stack[depth] = idx;
			last[depth] = -1;
			depth++;
			continue;
		}
		while (!ts_tree_cursor_goto_next_sibling(&cur)) {
			if (!depth || !ts_tree_cursor_goto_parent(&cur))
				goto done;
			depth--;
		}
	}
done:
	for (i = 0; i < ast->nr; i++) {
		struct pyast_node *n = &ast->nodes[i];
		n->parent = links[i].parent >= 0 ? &ast->nodes[links[i].parent] : NULL;
		n->child = links[i].child >= 0 ? &ast->nodes[links[i].child] : NULL;
		n->next = links[i].next >= 0 ? &ast->nodes[links[i].next] : NULL;
	}
	free(links);
	free(stack);
	free(last);
	ts_tree_cursor_delete(&cur);
}

/* a parser of Python, or NULL when the grammar does not load */
static TSParser *python_parser(void)
{
	TSParser *parser = ts_parser_new();

	if (parser && !ts_parser_set_language(parser, tree_sitter_python())) {
		ts_parser_delete(parser);
		parser = NULL;
	}
	return parser;
}

/* what a parse made: any may be NULL */
static void parse_release(TSParser *parser, TSTree *tree, TSTree *old)
{
	if (tree)
		ts_tree_delete(tree);
	if (old)
		ts_tree_delete(old);
	if (parser)
		ts_parser_delete(parser);
}

int pyast_parse(struct pyast **out, const char *src, size_t len)
{
	struct pyast *ast = xcalloc(1, sizeof(*ast));
	TSParser *parser = NULL;
	TSTree *tree = NULL;
	int err = 0;

	*out = NULL;
	if (len > UINT32_MAX) {
		err = error_setc(ERR_LIMIT, "cannot parse python source: %zu bytes is too large", len);
		goto done;
	}
	ast->src = xmalloc(st_add(len, 1));
	memcpy(ast->src, src, len);
	ast->src[len] = '\0';
	ast->len = len;
	index_lines(ast);

	if (!(parser = python_parser())) {
		err = error_set("cannot parse python source: the grammar does not load");
		goto done;
	}
	tree = ts_parser_parse_string(parser, NULL, ast->src, (uint32_t)len);
	if (!tree) {
		err = error_set("cannot parse python source: the parser gave up");
		goto done;
	}
	flatten(ast, ts_tree_root_node(tree));
	ast->tree = tree;
	tree = NULL;
	*out = ast;
	ast = NULL;
done:
	parse_release(parser, tree, NULL);
	pyast_free(ast);
	return err;
}

void pyast_free(struct pyast *ast)
{
	if (!ast)
		return;
	if (ast->tree)
		ts_tree_delete(ast->tree);
	FREE_ALL(ast->src, ast->nodes, ast->lines, ast);
}

const char *pyast_source(const struct pyast *ast, size_t *len)
{
	if (len)
		*len = ast->len;
	return ast->src;
}

const struct pyast_node *pyast_root(const struct pyast *ast)
{
	return ast->nr ? &ast->nodes[0] : NULL;
}

const struct pyast_node *pyast_nodes(const struct pyast *ast, size_t *nr)
{
	*nr = ast->nr;
	return ast->nodes;
}

/* append <s, len> quoted, first line only, shortened */
static void add_quoted(struct buf *out, const char *s, size_t len)
{
	size_t n = 0;

	while (n < len && s[n] != '\n' && s[n] != '\r')
		n++;
	buf_addch(out, '\'');
	if (n > PYAST_QUOTE_MAX) {
		buf_add_printable(out, s, PYAST_QUOTE_MAX);
		buf_adds(out, "...");
	} else {
		buf_add_printable(out, s, n);
	}
	buf_addch(out, '\'');
}

/*
 * tree-sitter accepts a block with no statement (`for x in xs:` followed by
 * a dedent); Python does not.
 */
static int node_is_empty_block(const struct pyast_node *n)
{
	const struct pyast_node *c;

	if (strcmp(n->type, "block"))
		return 0;
	for (c = n->child; c; c = c->next)
		if (c->named && strcmp(c->type, "comment"))
			return 0;
	return 1;
}

int pyast_syntax_ok(const struct pyast *ast, struct buf *why)
{
	size_t i;

	for (i = 0; i < ast->nr; i++) {
		const struct pyast_node *n = &ast->nodes[i];
		if (node_is_empty_block(n)) {
			if (why)
				buf_addf(why, "line %d: expected an indented block", n->start_line);
			return 0;
		}
		if (!n->error && !n->missing)
			continue;
		if (!why)
			return 0;
		buf_addf(why, "line %d: ", n->start_line);
		if (n->missing) {
			buf_adds(why, "missing ");
			add_quoted(why, n->type, strlen(n->type));
		} else if (n->end > n->start) {
			buf_adds(why, "unexpected ");
			add_quoted(why, ast->src + n->start, n->end - n->start);
		} else {
			buf_adds(why, "unexpected end of input");
		}
		return 0;
	}
	return 1;
}

static TSPoint point_at(const struct pyast *ast, size_t offset)
{
	int line = line_of(ast, offset);
	TSPoint p = { (uint32_t)(line - 1), (uint32_t)(offset - ast->lines[line - 1]) };
	return p;
}

static int ts_is_empty_block(TSNode n)
{
	uint32_t i, nr;

	if (strcmp(ts_node_type(n), "block"))
		return 0;
	nr = ts_node_named_child_count(n);
	for (i = 0; i < nr; i++)
		if (strcmp(ts_node_type(ts_node_named_child(n, i)), "comment"))
			return 0;
	return 1;
}

/* an empty block among the nodes that touch bytes [lo, hi] */
static int ts_has_empty_block(TSNode root, uint32_t lo, uint32_t hi)
{
	TSTreeCursor cur = ts_tree_cursor_new(root);
	int found = 0;

	for (;;) {
		TSNode n = ts_tree_cursor_current_node(&cur);
		int touches = ts_node_start_byte(n) <= hi && ts_node_end_byte(n) >= lo;
		if (touches && ts_is_empty_block(n)) {
			found = 1;
			break;
		}
		if (touches && ts_tree_cursor_goto_first_child(&cur))
			continue;
		while (!ts_tree_cursor_goto_next_sibling(&cur))
			if (!ts_tree_cursor_goto_parent(&cur))
				goto done;
	}
done:
	ts_tree_cursor_delete(&cur);
	return found;
}

int pyast_edit_parses(const struct pyast *ast, size_t start, size_t end, const char *text, size_t len)
{
	TSParser *parser = NULL;
	TSTree *old = NULL, *tree = NULL;
	TSInputEdit edit;
	char *src = NULL;
	size_t newlen, i;
	int ok = 0;

	assert(start <= end && end <= ast->len);
	newlen = st_add(ast->len - (end - start), len);
	if (newlen > UINT32_MAX)
		return 0;
	src = xmalloc(st_add(newlen, 1));
	memcpy(src, ast->src, start);
	memcpy(src + start, text, len);
	memcpy(src + start + len, ast->src + end, ast->len - end);
	src[newlen] = '\0';

	edit.start_byte = (uint32_t)start;
	edit.old_end_byte = (uint32_t)end;
	edit.new_end_byte = (uint32_t)(start + len);
	edit.start_point = point_at(ast, start);
	edit.old_end_point = point_at(ast, end);
	edit.new_end_point = edit.start_point;
	for (i = 0; i < len; i++) {
		if (text[i] == '\n') {
			edit.new_end_point.row++;
			edit.new_end_point.column = 0;
		} else {
			edit.new_end_point.column++;
		}
	}
	if (!(parser = python_parser()))
		goto done;
	old = ts_tree_copy(ast->tree);
	ts_tree_edit(old, &edit);
	tree = ts_parser_parse_string(parser, old, src, (uint32_t)newlen);
	ok = tree && !ts_node_has_error(ts_tree_root_node(tree));
	if (ok) {
		/* the blocks that may have lost their statements: from the line before to the line after */
		size_t lo = ast->lines[line_of(ast, start) > 1 ? line_of(ast, start) - 2 : 0];
		size_t hi = start + len, lines = 0;
		while (hi < newlen && lines < 2)
			lines += src[hi++] == '\n';
		ok = !ts_has_empty_block(ts_tree_root_node(tree), (uint32_t)lo, (uint32_t)hi);
	}
done:
	parse_release(parser, tree, old);
	free(src);
	return ok;
}

/* -- nodes ---------------------------------------------------------------- */

const char *pyast_text(const struct pyast *ast, const struct pyast_node *n, size_t *len)
{
	*len = n->end - n->start;
	return ast->src + n->start;
}

int pyast_text_is(const struct pyast *ast, const struct pyast_node *n, const char *s)
{
	size_t len = strlen(s);
	return n->end - n->start == len && !memcmp(ast->src + n->start, s, len);
}

int pyast_is(const struct pyast_node *n, const char *type)
{
	return n && !strcmp(n->type, type);
}

const struct pyast_node *pyast_field(const struct pyast_node *n, const char *field)
{
	const struct pyast_node *c;

	for (c = n->child; c; c = c->next)
		if (c->field && !strcmp(c->field, field))
			return c;
	return NULL;
}

const struct pyast_node *pyast_named_child(const struct pyast_node *n, size_t i)
{
	const struct pyast_node *c;

	for (c = n->child; c; c = c->next)
		if (c->named && !i--)
			return c;
	return NULL;
}

size_t pyast_named_count(const struct pyast_node *n)
{
	const struct pyast_node *c;
	size_t nr = 0;

	for (c = n->child; c; c = c->next)
		nr += c->named;
	return nr;
}

int pyast_within(const struct pyast_node *n, const struct pyast_node *ancestor)
{
	for (; n; n = n->parent)
		if (n == ancestor)
			return 1;
	return 0;
}

const struct pyast_node *pyast_ancestor(const struct pyast_node *n, const char *type)
{
	for (n = n->parent; n; n = n->parent)
		if (!strcmp(n->type, type))
			return n;
	return NULL;
}

const struct pyast_node *pyast_enclosing_def(const struct pyast_node *n)
{
	for (n = n->parent; n; n = n->parent)
		if (pyast_is(n, "function_definition") || pyast_is(n, "lambda"))
			return n;
	return NULL;
}

const struct pyast_node *pyast_next(const struct pyast *ast, const struct pyast_node *prev,
				    const char *type, int first_line, int last_line)
{
	size_t i = prev ? (size_t)(prev - ast->nodes) + 1 : 0;

	for (; i < ast->nr; i++) {
		const struct pyast_node *n = &ast->nodes[i];
		if (type && strcmp(n->type, type))
			continue;
		if (first_line && n->start_line < first_line)
			continue;
		if (last_line && n->end_line > last_line)
			continue;
		return n;
	}
	return NULL;
}

static const char *const simple_statements[] = {
	"expression_statement", "return_statement", "assert_statement", "import_statement",
	"import_from_statement", "future_import_statement", "print_statement",
	"delete_statement", "raise_statement", "pass_statement", "break_statement",
	"continue_statement", "global_statement", "nonlocal_statement", "exec_statement",
	"type_alias_statement",
};

/* compound statements and their clauses: a header, then a block */
static const char *const compound_statements[] = {
	"if_statement", "elif_clause", "else_clause", "for_statement", "while_statement",
	"try_statement", "except_clause", "except_group_clause", "finally_clause",
	"with_statement", "function_definition", "class_definition", "match_statement",
	"case_clause",
};

static int in_list(const char *type, const char *const *list, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (!strcmp(type, list[i]))
			return 1;
	return 0;
}

static int is_compound(const struct pyast_node *n)
{
	return in_list(n->type, compound_statements, ARRAY_SIZE(compound_statements));
}

int pyast_is_statement(const struct pyast_node *n)
{
	return in_list(n->type, simple_statements, ARRAY_SIZE(simple_statements)) ||
	       (is_compound(n) && !strstr(n->type, "_clause")) ||
	       !strcmp(n->type, "decorated_definition");
}

/* the last line of a compound statement's header */
static int header_end(const struct pyast_node *n)
{
	const struct pyast_node *c;

	for (c = n->child; c; c = c->next) {
		if (!strcmp(c->type, "block")) {
			if (c->start_line > n->start_line)
				return c->start_line - 1;
			return n->start_line;
		}
	}
	return n->end_line;
}

const struct pyast_node *pyast_statement_at(const struct pyast *ast, int line, int *first, int *last)
{
	const struct pyast_node *best = NULL;
	int bf = 0, bl = 0;
	size_t i;

	for (i = 0; i < ast->nr; i++) {
		const struct pyast_node *n = &ast->nodes[i];
		int f = n->start_line, l;
		if (n->start_line > line || n->end_line < line)
			continue;
		if (in_list(n->type, simple_statements, ARRAY_SIZE(simple_statements)))
			l = n->end_line;
		else if (is_compound(n))
			l = header_end(n);
		else
			continue;
		if (line < f || line > l)
			continue;
		/* later in pre-order and containing the line: deeper */
		best = n;
		bf = f;
		bl = l;
	}
	if (first)
		*first = bf;
	if (last)
		*last = bl;
	return best;
}

/* -- lines ---------------------------------------------------------------- */

int pyast_line_count(const struct pyast *ast)
{
	return ast->nr_lines;
}

int pyast_line_range(const struct pyast *ast, int line, size_t *start, size_t *end)
{
	size_t s, e;

	if (line < 1 || line > ast->nr_lines)
		return -1;
	s = ast->lines[line - 1];
	e = line < ast->nr_lines ? ast->lines[line] - 1 : ast->len;
	if (e > s && ast->src[e - 1] == '\r' && line < ast->nr_lines)
		e--;
	*start = s;
	*end = e;
	return 0;
}

int pyast_line_of(const struct pyast *ast, size_t offset)
{
	return line_of(ast, offset);
}

/* -- functions ------------------------------------------------------------ */

static char *dup_text(const struct pyast *ast, const struct pyast_node *n)
{
	return n ? xstrndup(ast->src + n->start, n->end - n->start) : NULL;
}

void pyast_function_from_node(struct pyast_function *out, const struct pyast *ast,
			      const struct pyast_node *def)
{
	const struct pyast_node *outer = def, *cls;
	size_t ls, le, dummy;

	if (def->parent && pyast_is(def->parent, "decorated_definition"))
		outer = def->parent;
	out->name = dup_text(ast, pyast_field(def, "name"));
	if (!out->name)
		out->name = xstrdup("");
	out->class_name = NULL;
	cls = def->parent;
	if (cls && pyast_is(cls, "decorated_definition"))
		cls = cls->parent;
	if (cls && pyast_is(cls, "block") && cls->parent && pyast_is(cls->parent, "class_definition"))
		out->class_name = dup_text(ast, pyast_field(cls->parent, "name"));
	out->start = outer->start;
	out->end = outer->end;
	out->start_line = outer->start_line;
	out->end_line = outer->end_line;
	pyast_line_range(ast, out->start_line, &ls, &dummy);
	pyast_line_range(ast, out->end_line, &dummy, &le);
	out->text = xstrndup(ast->src + ls, le - ls);
	out->node = def;
	out->body = pyast_field(def, "body");
}

int pyast_enclosing_function(struct pyast_function *out, const struct pyast *ast, int line)
{
	const struct pyast_node *n, *best = NULL;

	for (n = NULL; (n = pyast_next(ast, n, "function_definition", 0, 0)); ) {
		const struct pyast_node *outer = n;
		if (n->parent && pyast_is(n->parent, "decorated_definition"))
			outer = n->parent;
		if (outer->start_line <= line && line <= outer->end_line)
			best = n;
	}
	if (!best)
		return ERR_NOTFOUND;
	pyast_function_from_node(out, ast, best);
	return 0;
}

int pyast_find_function(struct pyast_function *out, const struct pyast *ast,
			const char *name, const char *class_name)
{
	const struct pyast_node *n;

	for (n = NULL; (n = pyast_next(ast, n, "function_definition", 0, 0)); ) {
		const struct pyast_node *nm = pyast_field(n, "name"), *cls;
		if (!nm || !pyast_text_is(ast, nm, name))
			continue;
		if (class_name) {
			cls = n->parent;
			if (cls && pyast_is(cls, "decorated_definition"))
				cls = cls->parent;
			if (!cls || !pyast_is(cls, "block") || !pyast_is(cls->parent, "class_definition") ||
			    !pyast_text_is(ast, pyast_field(cls->parent, "name"), class_name))
				continue;
		}
		pyast_function_from_node(out, ast, n);
		return 0;
	}
	return ERR_NOTFOUND;
}

void pyast_function_release(struct pyast_function *fn)
{
	free(fn->name);
	free(fn->class_name);
	free(fn->text);
	memset(fn, 0, sizeof(*fn));
}

/* -- names ---------------------------------------------------------------- */

static void push_unique(struct strvec *sv, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < sv->nr; i++)
		if (strlen(sv->v[i]) == len && !memcmp(sv->v[i], s, len))
			return;
	{
		char *copy = xstrndup(s, len);
		strvec_push(sv, copy);
		free(copy);
	}
}

static int sv_has(const struct strvec *sv, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < sv->nr; i++)
		if (strlen(sv->v[i]) == len && !memcmp(sv->v[i], s, len))
			return 1;
	return 0;
}

static void push_node(struct strvec *sv, const struct pyast *ast, const struct pyast_node *n)
{
	if (n && pyast_is(n, "identifier"))
		push_unique(sv, ast->src + n->start, n->end - n->start);
}

/* the names a binding target binds: x, (a, b), [a, *b], a as b */
static void add_targets(struct strvec *sv, const struct pyast *ast, const struct pyast_node *t)
{
	const struct pyast_node *c;

	if (!t)
		return;
	if (pyast_is(t, "identifier")) {
		push_node(sv, ast, t);
		return;
	}
	if (pyast_is(t, "pattern_list") || pyast_is(t, "tuple_pattern") ||
	    pyast_is(t, "list_pattern") || pyast_is(t, "list_splat_pattern") ||
	    pyast_is(t, "expression_list") || pyast_is(t, "tuple") || pyast_is(t, "list") ||
	    pyast_is(t, "parenthesized_expression") || pyast_is(t, "as_pattern_target") ||
	    pyast_is(t, "list_splat"))
		for (c = t->child; c; c = c->next)
			if (c->named)
				add_targets(sv, ast, c);
}

/* scopes of their own: what they bind stays inside */
static int opens_scope(const struct pyast_node *n)
{
	return pyast_is(n, "function_definition") || pyast_is(n, "class_definition") ||
	       pyast_is(n, "lambda") || pyast_is(n, "list_comprehension") ||
	       pyast_is(n, "set_comprehension") || pyast_is(n, "dictionary_comprehension") ||
	       pyast_is(n, "generator_expression");
}

/*
 * Collect the bindings made directly in the scope whose statements are under
 * `n`: assignments into `vars`, defs, classes and imports into `defs`,
 * `global` names into `globals_decl`.
 */
static void collect_bindings(const struct pyast *ast, const struct pyast_node *n,
			     struct strvec *vars, struct strvec *defs, struct strvec *globals_decl)
{
	const struct pyast_node *c;

	if (pyast_is(n, "function_definition") || pyast_is(n, "class_definition")) {
		push_node(defs, ast, pyast_field(n, "name"));
		return;
	}
	if (opens_scope(n))
		return;
	if (pyast_is(n, "assignment") || pyast_is(n, "augmented_assignment") ||
	    pyast_is(n, "for_statement") || pyast_is(n, "for_in_clause"))
		add_targets(vars, ast, pyast_field(n, "left"));
	else if (pyast_is(n, "named_expression"))
		push_node(vars, ast, pyast_field(n, "name"));
	else if (pyast_is(n, "as_pattern"))
		add_targets(vars, ast, pyast_field(n, "alias"));
	else if (pyast_is(n, "global_statement") || pyast_is(n, "nonlocal_statement")) {
		for (c = n->child; c; c = c->next)
			push_node(globals_decl, ast, c);
		return;
	} else if (pyast_is(n, "import_statement") || pyast_is(n, "import_from_statement")) {
		for (c = n->child; c; c = c->next) {
			if (c->field && !strcmp(c->field, "module_name"))
				continue;
			if (pyast_is(c, "aliased_import")) {
				push_node(defs, ast, pyast_field(c, "alias"));
			} else if (pyast_is(c, "dotted_name")) {
				const struct pyast_node *first = pyast_named_child(c, 0);
				push_node(defs, ast, first);
			}
		}
		return;
	}
	for (c = n->child; c; c = c->next)
		collect_bindings(ast, c, vars, defs, globals_decl);
}

static void add_parameters(struct strvec *sv, const struct pyast *ast, const struct pyast_node *params)
{
	const struct pyast_node *p, *c;

	if (!params)
		return;
	for (p = params->child; p; p = p->next) {
		if (pyast_is(p, "identifier")) {
			push_node(sv, ast, p);
		} else if (pyast_is(p, "default_parameter") || pyast_is(p, "typed_default_parameter")) {
			push_node(sv, ast, pyast_field(p, "name"));
		} else if (pyast_is(p, "typed_parameter") || pyast_is(p, "list_splat_pattern") ||
			   pyast_is(p, "dictionary_splat_pattern")) {
			for (c = p->child; c; c = c->next) {
				if (pyast_is(c, "identifier")) {
					push_node(sv, ast, c);
					break;
				}
				if (pyast_is(c, "list_splat_pattern") || pyast_is(c, "dictionary_splat_pattern")) {
					push_node(sv, ast, pyast_named_child(c, 0));
					break;
				}
			}
		}
	}
}

void pyast_names_in_scope(struct pyast_names *out, const struct pyast *ast, int line)
{
	struct strvec vars = STRVEC_INIT, gdecl = STRVEC_INIT, mdefs = STRVEC_INIT;
	const struct pyast_node *root = pyast_root(ast), *c, *fn = NULL, *n;
	size_t i;

	/* module level */
	if (root)
		for (c = root->child; c; c = c->next)
			collect_bindings(ast, c, &vars, &mdefs, &gdecl);
	for (i = 0; i < vars.nr; i++)
		if (!sv_has(&mdefs, vars.v[i], strlen(vars.v[i])))
			strvec_push(&out->globals, vars.v[i]);
	for (i = 0; i < mdefs.nr; i++)
		strvec_push(&out->defs, mdefs.v[i]);
	strvec_clear(&vars);
	strvec_clear(&mdefs);
	strvec_clear(&gdecl);

	/* the innermost function */
	for (n = NULL; (n = pyast_next(ast, n, "function_definition", 0, 0)); )
		if (n->start_line <= line && line <= n->end_line)
			fn = n;
	if (!fn)
		return;
	add_parameters(&out->params, ast, pyast_field(fn, "parameters"));
	c = pyast_field(fn, "body");
	if (c)
		for (c = c->child; c; c = c->next)
			collect_bindings(ast, c, &vars, &mdefs, &gdecl);
	for (i = 0; i < vars.nr; i++) {
		size_t len = strlen(vars.v[i]);
		if (!sv_has(&out->params, vars.v[i], len) && !sv_has(&gdecl, vars.v[i], len))
			push_unique(&out->locals, vars.v[i], len);
	}
	for (i = 0; i < mdefs.nr; i++) {
		size_t len = strlen(mdefs.v[i]);
		if (!sv_has(&out->params, mdefs.v[i], len))
			push_unique(&out->locals, mdefs.v[i], len);
	}
	strvec_clear(&vars);
	strvec_clear(&mdefs);
	strvec_clear(&gdecl);
}

enum pyast_name_kind pyast_names_kind(const struct pyast_names *names, const char *name, size_t len)
{
	if (sv_has(&names->params, name, len))
		return PYAST_NAME_PARAM;
	if (sv_has(&names->locals, name, len))
		return PYAST_NAME_LOCAL;
	if (sv_has(&names->globals, name, len))
		return PYAST_NAME_GLOBAL;
	if (sv_has(&names->defs, name, len))
		return PYAST_NAME_DEF;
	return PYAST_NAME_NONE;
}

void pyast_names_release(struct pyast_names *names)
{
	strvec_clear(&names->params);
	strvec_clear(&names->locals);
	strvec_clear(&names->globals);
	strvec_clear(&names->defs);
}
