/*
 * Python syntax trees (src/pyast/pyast.c): parsing, syntax errors, node
 * iteration, enclosing functions, statements and names in scope.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "pyast/pyast.h"
#include "util/buf.h"
#include "util/strvec.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

static const char sample[] =
	"import os.path, sys as system\n"          /* 1 */
	"from pkg.mod import helper, other as alias\n" /* 2 */
	"LIMIT = 10\n"                               /* 3 */
	"\n"                                         /* 4 */
	"\n"                                         /* 5 */
	"class Stack:\n"                             /* 6 */
	"    @property\n"                            /* 7 */
	"    def size(self):\n"                      /* 8 */
	"        return len(self.items)\n"           /* 9 */
	"\n"                                         /* 10 */
	"\n"                                         /* 11 */
	"async def total(xs, start=0, *rest, scale: int = 1, **kw):\n" /* 12 */
	"    global LIMIT\n"                         /* 13 */
	"    acc, (lo, hi) = start, (0, 1)\n"        /* 14 */
	"    for i in range(len(xs)):\n"             /* 15 */
	"        if i < LIMIT and not xs[i] is None:\n" /* 16 */
	"            acc += xs[i:i + 1][0]\n"        /* 17 */
	"    squares = [k * k for k in xs]\n"        /* 18 */
	"    def inner(y):\n"                        /* 19 */
	"        hidden = y\n"                       /* 20 */
	"        return hidden\n"                    /* 21 */
	"    with open(x) as fh:\n"                  /* 22 */
	"        pass\n"                             /* 23 */
	"    return (acc +\n"                        /* 24 */
	"            scale)\n";                      /* 25 */

static struct pyast *parse(const char *src)
{
	struct pyast *ast = NULL;

	assert_int_equal(pyast_parse(&ast, src, strlen(src)), 0);
	assert_non_null(ast);
	return ast;
}

static void pyast__parses_and_keeps_the_source(void **state)
{
	struct pyast *ast = parse(sample);
	size_t len, nr;
	const struct pyast_node *nodes, *root;

	assert_string_equal(pyast_source(ast, &len), sample);
	assert_int_equal(len, strlen(sample));
	root = pyast_root(ast);
	assert_string_equal(root->type, "module");
	assert_null(root->parent);
	nodes = pyast_nodes(ast, &nr);
	assert_ptr_equal(nodes, root);
	assert_true(nr > 100);
	assert_int_equal(pyast_line_count(ast), 26);
	assert_true(pyast_syntax_ok(ast, NULL));
	pyast_free(ast);
	pyast_free(NULL);
}

static void pyast__reports_the_first_syntax_error(void **state)
{
	struct buf why = BUF_INIT;
	struct pyast *ast = parse("def f(x):\n    return x +\n\ny = 1\n");

	assert_false(pyast_syntax_ok(ast, &why));
	assert_true(buf_starts_with(&why, "line 2: "));
	pyast_free(ast);

	buf_reset(&why);
	ast = parse("def f(x:\n    return x\n");
	assert_false(pyast_syntax_ok(ast, &why));
	assert_true(buf_starts_with(&why, "line 1: "));
	pyast_free(ast);

	buf_reset(&why);
	ast = parse("x = )\n");
	assert_false(pyast_syntax_ok(ast, &why));
	assert_string_equal(why.ptr, "line 1: unexpected 'x = )'");
	pyast_free(ast);

	/* tree-sitter takes an empty block; Python does not */
	buf_reset(&why);
	ast = parse("def f(xs):\n    for x in xs:\n        # nothing\n    return x\n");
	assert_false(pyast_syntax_ok(ast, &why));
	assert_string_equal(why.ptr, "line 2: expected an indented block");
	pyast_free(ast);

	ast = parse("");
	assert_true(pyast_syntax_ok(ast, NULL));
	pyast_free(ast);
	buf_release(&why);
}

static void pyast__iterates_nodes_by_type_and_line(void **state)
{
	struct pyast *ast = parse(sample);
	const struct pyast_node *n, *left, *op;
	int count = 0;

	/* comparisons on line 16 */
	n = pyast_next(ast, NULL, "comparison_operator", 16, 16);
	assert_non_null(n);
	assert_true(pyast_text_is(ast, n, "i < LIMIT"));
	op = pyast_field(n, "operators");
	assert_true(pyast_text_is(ast, op, "<"));
	assert_false(op->named);
	n = pyast_next(ast, n, "comparison_operator", 16, 16);
	assert_true(pyast_text_is(ast, n, "xs[i] is None"));
	assert_null(pyast_next(ast, n, "comparison_operator", 16, 16));

	/* fields and children */
	n = pyast_next(ast, NULL, "boolean_operator", 0, 0);
	left = pyast_field(n, "left");
	assert_string_equal(left->type, "comparison_operator");
	assert_true(pyast_text_is(ast, pyast_field(n, "operator"), "and"));
	assert_string_equal(pyast_field(n, "right")->type, "not_operator");
	assert_int_equal(pyast_named_count(n), 2);
	assert_ptr_equal(pyast_named_child(n, 0), left);
	assert_null(pyast_named_child(n, 2));
	assert_true(pyast_within(left, n));
	assert_false(pyast_within(n, left));
	assert_string_equal(pyast_ancestor(left, "if_statement")->type, "if_statement");
	assert_null(pyast_ancestor(left, "class_definition"));

	/* everything in a line range */
	for (n = NULL; (n = pyast_next(ast, n, "integer", 14, 17)); count++)
		assert_true(n->start_line >= 14 && n->end_line <= 17);
	assert_int_equal(count, 4);  /* 0, 1, 1, 0 */
	count = 0;
	for (n = NULL; (n = pyast_next(ast, n, "subscript", 17, 17)); count++)
		;
	assert_int_equal(count, 2);  /* xs[i:i + 1][0], xs[i:i + 1] */
	assert_non_null(pyast_next(ast, NULL, "slice", 17, 17));

	/* multi-line nodes are not on one line only */
	n = pyast_next(ast, NULL, "return_statement", 24, 25);
	assert_non_null(n);
	assert_int_equal(n->start_line, 24);
	assert_int_equal(n->end_line, 25);
	assert_null(pyast_next(ast, NULL, "return_statement", 24, 24));
	pyast_free(ast);
}

static void pyast__finds_statements_and_lines(void **state)
{
	struct pyast *ast = parse(sample);
	const struct pyast_node *s;
	size_t start, end;
	int first, last;

	s = pyast_statement_at(ast, 25, &first, &last);
	assert_string_equal(s->type, "return_statement");
	assert_int_equal(first, 24);
	assert_int_equal(last, 25);
	s = pyast_statement_at(ast, 16, &first, &last);
	assert_string_equal(s->type, "if_statement");
	assert_int_equal(first, 16);
	assert_int_equal(last, 16);  /* its header only */
	s = pyast_statement_at(ast, 17, &first, &last);
	assert_string_equal(s->type, "expression_statement");
	assert_true(pyast_is_statement(s));
	assert_null(pyast_statement_at(ast, 4, &first, &last));

	assert_int_equal(pyast_line_range(ast, 3, &start, &end), 0);
	assert_int_equal(end - start, strlen("LIMIT = 10"));
	assert_int_equal(pyast_line_of(ast, start + 3), 3);
	assert_int_equal(pyast_line_range(ast, 99, &start, &end), -1);
	pyast_free(ast);
}

static void pyast__enclosing_function(void **state)
{
	struct pyast *ast = parse(sample);
	struct pyast_function fn = PYAST_FUNCTION_INIT;

	assert_int_equal(pyast_enclosing_function(&fn, ast, 9), 0);
	assert_string_equal(fn.name, "size");
	assert_string_equal(fn.class_name, "Stack");
	assert_int_equal(fn.start_line, 7);  /* its decorator */
	assert_int_equal(fn.end_line, 9);
	assert_string_equal(fn.text, "    @property\n    def size(self):\n        return len(self.items)");
	assert_true(pyast_text_is(ast, fn.body, "return len(self.items)"));
	pyast_function_release(&fn);

	assert_int_equal(pyast_enclosing_function(&fn, ast, 16), 0);
	assert_string_equal(fn.name, "total");
	assert_null(fn.class_name);
	assert_int_equal(fn.start_line, 12);
	assert_int_equal(fn.end_line, 25);
	assert_int_equal(sample[fn.start], 'a');  /* async def */
	assert_int_equal(fn.end, strlen(sample) - 1);
	pyast_function_release(&fn);

	/* the innermost */
	assert_int_equal(pyast_enclosing_function(&fn, ast, 20), 0);
	assert_string_equal(fn.name, "inner");
	pyast_function_release(&fn);

	assert_int_equal(pyast_enclosing_function(&fn, ast, 3), -2);

	assert_int_equal(pyast_find_function(&fn, ast, "size", "Stack"), 0);
	assert_int_equal(fn.start_line, 7);
	pyast_function_release(&fn);
	assert_int_equal(pyast_find_function(&fn, ast, "size", "Queue"), -2);
	assert_int_equal(pyast_find_function(&fn, ast, "total", NULL), 0);
	pyast_function_release(&fn);
	pyast_free(ast);
}

static int has(const struct strvec *sv, const char *s)
{
	return strvec_find(sv, s) >= 0;
}

static void pyast__names_in_scope(void **state)
{
	struct pyast *ast = parse(sample);
	struct pyast_names names = PYAST_NAMES_INIT;

	pyast_names_in_scope(&names, ast, 17);
	/* parameters, in order */
	assert_int_equal(names.params.nr, 5);
	assert_string_equal(names.params.v[0], "xs");
	assert_string_equal(names.params.v[1], "start");
	assert_string_equal(names.params.v[2], "rest");
	assert_string_equal(names.params.v[3], "scale");
	assert_string_equal(names.params.v[4], "kw");
	/* locals: assignments, loop and with targets, nested defs; not globals or comprehension names */
	assert_true(has(&names.locals, "acc"));
	assert_true(has(&names.locals, "lo"));
	assert_true(has(&names.locals, "hi"));
	assert_true(has(&names.locals, "i"));
	assert_true(has(&names.locals, "squares"));
	assert_true(has(&names.locals, "inner"));
	assert_true(has(&names.locals, "fh"));
	assert_false(has(&names.locals, "k"));
	assert_false(has(&names.locals, "hidden"));
	assert_false(has(&names.locals, "LIMIT"));
	assert_false(has(&names.locals, "xs"));
	/* module level */
	assert_true(has(&names.globals, "LIMIT"));
	assert_true(has(&names.defs, "os"));
	assert_true(has(&names.defs, "system"));
	assert_true(has(&names.defs, "helper"));
	assert_true(has(&names.defs, "alias"));
	assert_true(has(&names.defs, "Stack"));
	assert_true(has(&names.defs, "total"));
	assert_false(has(&names.defs, "sys"));
	assert_false(has(&names.defs, "other"));

	assert_int_equal(pyast_names_kind(&names, "xs", 2), PYAST_NAME_PARAM);
	assert_int_equal(pyast_names_kind(&names, "acc", 3), PYAST_NAME_LOCAL);
	assert_int_equal(pyast_names_kind(&names, "LIMIT", 5), PYAST_NAME_GLOBAL);
	assert_int_equal(pyast_names_kind(&names, "Stack", 5), PYAST_NAME_DEF);
	assert_int_equal(pyast_names_kind(&names, "nope", 4), PYAST_NAME_NONE);
	pyast_names_release(&names);

	/* inside the nested def: its own names */
	pyast_names_in_scope(&names, ast, 20);
	assert_int_equal(names.params.nr, 1);
	assert_string_equal(names.params.v[0], "y");
	assert_true(has(&names.locals, "hidden"));
	assert_false(has(&names.locals, "acc"));
	pyast_names_release(&names);

	/* module level: no function names */
	pyast_names_in_scope(&names, ast, 3);
	assert_int_equal(names.params.nr, 0);
	assert_int_equal(names.locals.nr, 0);
	assert_true(has(&names.globals, "LIMIT"));
	pyast_names_release(&names);
	pyast_free(ast);
}

static void pyast__is_not_and_not_in_are_one_operator(void **state)
{
	struct pyast *ast = parse("a = x is not None and y not in z\n");
	const struct pyast_node *n = pyast_next(ast, NULL, "comparison_operator", 0, 0);
	const struct pyast_node *op = pyast_field(n, "operators");

	/* two tokens of the same type: callers join them */
	assert_string_equal(op->type, "is not");
	assert_string_equal(op->next->type, "is not");
	n = pyast_next(ast, n, "comparison_operator", 0, 0);
	assert_string_equal(pyast_field(n, "operators")->type, "not in");
	pyast_free(ast);
}

/* an incremental re-parse says what a fresh parse of the edited text says */
static void pyast__edit_parses_agrees_with_a_fresh_parse(void **state)
{
	static const struct {
		const char *from, *to;
		int ok;
	} edits[] = {
		{ "i < LIMIT", "i <= LIMIT", 1 },
		{ "acc +\n", "acc -\n", 1 },
		{ "acc +\n", "acc\n", 0 },               /* a dangling line in parentheses */
		{ "    return (acc", "    return ((acc", 0 },
		{ "        pass\n", "", 0 },             /* an empty block */
		{ "range(len(xs))", "range(len(xs)", 0 },
		{ "range(len(xs))", "range(1, len(xs) + 1)", 1 },
		{ "        hidden = y\n", "        hidden = y\n        return hidden + 1\n", 1 },
		{ "        return hidden\n", "    return hidden\n", 1 },  /* dedented out of inner() */
		{ "LIMIT = 10", "LIMIT = ", 0 },
		{ "        acc += xs[i:i + 1][0]\n", "        # gone\n", 0 },
		{ "            acc += xs[i:i + 1][0]\n", "    acc += xs[i:i + 1][0]\n", 0 },
	};
	struct pyast *ast = parse(sample), *fresh;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(edits); i++) {
		const char *hit = strstr(sample, edits[i].from);
		struct buf after = BUF_INIT;
		size_t start, end;
		int ok;

		assert_non_null(hit);
		start = (size_t)(hit - sample);
		end = start + strlen(edits[i].from);
		ok = pyast_edit_parses(ast, start, end, edits[i].to, strlen(edits[i].to));
		buf_add(&after, sample, start);
		buf_adds(&after, edits[i].to);
		buf_adds(&after, sample + end);
		fresh = parse(after.ptr);
		if (ok != pyast_syntax_ok(fresh, NULL) || ok != edits[i].ok)
			fail_msg("edit %zu ('%s' -> '%s'): incremental %d, fresh %d, expected %d", i,
				 edits[i].from, edits[i].to, ok, pyast_syntax_ok(fresh, NULL), edits[i].ok);
		pyast_free(fresh);
		buf_release(&after);
	}
	/* the tree itself is not changed */
	assert_true(pyast_syntax_ok(ast, NULL));
	assert_true(pyast_text_is(ast, pyast_next(ast, NULL, "comparison_operator", 16, 16), "i < LIMIT"));
	pyast_free(ast);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pyast__parses_and_keeps_the_source),
		cmocka_unit_test(pyast__reports_the_first_syntax_error),
		cmocka_unit_test(pyast__iterates_nodes_by_type_and_line),
		cmocka_unit_test(pyast__finds_statements_and_lines),
		cmocka_unit_test(pyast__enclosing_function),
		cmocka_unit_test(pyast__names_in_scope),
		cmocka_unit_test(pyast__is_not_and_not_in_are_one_operator),
		cmocka_unit_test(pyast__edit_parses_agrees_with_a_fresh_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
