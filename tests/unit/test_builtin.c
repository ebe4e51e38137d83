/*
 * The built-in repair engine (src/engine/builtin.c) on the small projects in
 * tests/fixtures/engine/: each holds one bug and a test that shows it. The
 * failure is filled by hand as the runner would (location and frames), and
 * the right fix must be among the candidates: a candidate's update is
 * applied in memory by unique string replacement and compared with the
 * file as the fix would leave it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "edit/guard.h"
#include "engine/engine.h"
#include "pyast/pyast.h"
#include "runner/result.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strvec.h"
#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENGINE_DIR FIXTURES_DIR "/engine"

struct bug {
	const char *project;     /* under tests/fixtures/engine */
	const char *test_file;
	const char *error_type;
	const char *message;
	const char *loc_file;
	int loc_line;
	/* frames, outermost first: file, line, function; NULL-terminated */
	const char *frames[4][3];
};

static void fill_failure(struct failure *f, const struct bug *b)
{
	size_t i;

	memset(f, 0, sizeof(*f));
	f->id = xstrdup(b->test_file);
	f->file = xstrdup(b->test_file);
	f->kind = FAILURE_KIND_FAILURE;
	f->error_type = xstrdup_or_null(b->error_type);
	f->message = xstrdup_or_null(b->message);
	f->loc_file = xstrdup_or_null(b->loc_file);
	f->loc_line = b->loc_line;
	for (i = 0; i < ARRAY_SIZE(b->frames) && b->frames[i][0]; i++)
		failure_add_frame(f, b->frames[i][0], atoi(b->frames[i][1]), b->frames[i][2]);
}

static void propose(struct candidate_list *out, const struct bug *b, const struct strvec *order)
{
	struct engine_request req = ENGINE_REQUEST_INIT;
	struct failure f;
	struct buf root = BUF_INIT;

	fill_failure(&f, b);
	buf_addf(&root, "%s/%s", ENGINE_DIR, b->project);
	req.failure = &f;
	req.root = root.ptr;
	req.template_order = order;
	if (engine_builtin.propose(out, &req) < 0)
		fail_msg("propose: %s", error_last());
	failure_release(&f);
	buf_release(&root);
}

static void read_project_file(struct buf *out, const char *project, const char *path)
{
	struct buf full = BUF_INIT;

	buf_addf(&full, "%s/%s/%s", ENGINE_DIR, project, path);
	if (fs_read_file(out, full.ptr, 0) < 0)
		fail_msg("%s", error_last());
	buf_release(&full);
}

/* `s` with its only occurrence of `from` replaced by `to`; -1 unless there is exactly one */
static int replace_once(struct buf *out, const char *s, const char *from, const char *to)
{
	const char *hit = strstr(s, from);

	if (!hit || !*from || strstr(hit + 1, from))
		return -1;
	buf_add(out, s, (size_t)(hit - s));
	buf_adds(out, to);
	buf_adds(out, hit + strlen(from));
	return 0;
}

/* the file a candidate leaves behind; checks the edit is one unique update */
static void apply_candidate(struct buf *out, const char *project, const struct candidate *c)
{
	const struct file_edit *e;
	struct buf old = BUF_INIT;

	assert_int_equal(c->change.nr, 1);
	e = &c->change.edits[0];
	assert_int_equal(e->mode, EDIT_UPDATE);
	assert_non_null(e->old_str);
	assert_non_null(e->new_str);
	read_project_file(&old, project, e->path);
	if (replace_once(out, old.ptr, e->old_str, e->new_str) < 0)
		fail_msg("candidate '%s': old text is not unique in '%s'", c->change.description, e->path);
	buf_release(&old);
}

/*
 * The index of the candidate that turns `from` into `to` in `path`, or -1.
 * Every candidate is checked on the way: one unique update, never in a
 * test file, and a result that parses.
 */
static int find_fix(const struct candidate_list *l, const char *project, const char *path,
		    const char *from, const char *to)
{
	struct buf orig = BUF_INIT, want = BUF_INIT, got = BUF_INIT;
	size_t i;
	int found = -1;

	read_project_file(&orig, project, path);
	assert_int_equal(replace_once(&want, orig.ptr, from, to), 0);
	for (i = 0; i < l->nr; i++) {
		const struct candidate *c = &l->items[i];
		struct pyast *ast = NULL;
		buf_reset(&got);
		apply_candidate(&got, project, c);
		if (guard_is_test_file(c->change.edits[0].path))
			fail_msg("candidate '%s' edits a test file", c->change.description);
		assert_int_equal(pyast_parse(&ast, got.ptr, got.len), 0);
		assert_true(pyast_syntax_ok(ast, NULL));
		pyast_free(ast);
		assert_non_null(c->template_name);
		assert_non_null(c->change.description);
		if (i)
			assert_true(c->score <= l->items[i - 1].score);
		if (found < 0 && !strcmp(c->change.edits[0].path, path) && !strcmp(got.ptr, want.ptr))
			found = (int)i;
	}
	buf_release(&got);
	buf_release(&want);
	buf_release(&orig);
	return found;
}

static void print_candidates(const struct candidate_list *l)
{
	size_t i;

	for (i = 0; i < l->nr; i++)
		fprintf(stderr, "  %2zu d=%d s=%.4f %s\n", i, l->items[i].frame_distance,
			l->items[i].score, l->items[i].change.description);
}

static int expect_fix(const struct bug *b, const char *path, const char *from, const char *to,
		      const char *template_name)
{
	struct candidate_list l = CANDIDATE_LIST_INIT;
	int i;

	propose(&l, b, NULL);
	assert_true(l.nr > 0);
	assert_true(l.nr <= ENGINE_DEFAULT_MAX_CANDIDATES);
	i = find_fix(&l, b->project, path, from, to);
	if (i < 0) {
		print_candidates(&l);
		fail_msg("%s: no candidate turns '%s' into '%s'", b->project, from, to);
	}
	if (template_name)
		assert_string_equal(l.items[i].template_name, template_name);
	candidate_list_release(&l);
	return i;
}

/* -- the bugs ------------------------------------------------------------- */

static void builtin__off_by_one_in_range(void **state)
{
	static const struct bug b = {
		"range_off_by_one", "tests/test_mathx.py", "AssertionError", "assert 3 == 6",
		"tests/test_mathx.py", 5, { { "tests/test_mathx.py", "5", "test_total" } },
	};
	expect_fix(&b, "mathx.py", "range(len(xs) - 1)", "range(len(xs))", NULL);
}

static void builtin__off_by_one_in_slice(void **state)
{
	/* the value is computed a line before the assert, through `from pkg import seq` */
	static const struct bug b = {
		"slice_off_by_one", "tests/test_seq.py", "AssertionError", "assert [1] == [1, 2]",
		"tests/test_seq.py", 7, { { "tests/test_seq.py", "7", "test_first_n" } },
	};
	expect_fix(&b, "pkg/seq.py", "xs[:n - 1]", "xs[:n]", NULL);
}

static void builtin__less_than_vs_less_or_equal(void **state)
{
	static const struct bug b = {
		"cmp_boundary", "tests/test_ranges.py", "AssertionError",
		"assert False\n +  where False = in_range(5, 1, 5)",
		"tests/test_ranges.py", 5, { { "tests/test_ranges.py", "5", "test_upper_bound_is_inclusive" } },
	};
	int i = expect_fix(&b, "ranges.py", "x < hi", "x <= hi", "cmp-boundary");
	assert_true(i < 5);
}

static void builtin__minus_vs_plus(void **state)
{
	static const struct bug b = {
		"arith", "tests/test_money.py", "AssertionError", "assert 90.0 == 110 ± 1.1e-04",
		"tests/test_money.py", 7, { { "tests/test_money.py", "7", "test_add_interest" } },
	};
	int i = expect_fix(&b, "money.py", "amount - amount", "amount + amount", "arith-swap");
	assert_true(i < 5);
}

static const struct bug wrong_var = {
	"wrong_var", "tests/test_shapes.py", "AssertionError", "assert 4 == 6",
	"tests/test_shapes.py", 5, { { "tests/test_shapes.py", "5", "test_area" } },
};

static void builtin__wrong_variable(void **state)
{
	expect_fix(&wrong_var, "shapes.py", "width * width", "width * height", "var-replace");
}

static void builtin__swapped_arguments(void **state)
{
	static const struct bug b = {
		"swapped_args", "tests/test_powers.py", "AssertionError", "assert 8 == 9",
		"tests/test_powers.py", 5, { { "tests/test_powers.py", "5", "test_square" } },
	};
	expect_fix(&b, "powers.py", "power(2, x)", "power(x, 2)", "args-swap");
}

static void builtin__min_vs_max(void **state)
{
	static const struct bug b = {
		"min_max", "tests/test_stats.py", "AssertionError", "assert 3 == 9",
		"tests/test_stats.py", 5, { { "tests/test_stats.py", "5", "test_largest" } },
	};
	expect_fix(&b, "stats.py", "min(xs)", "max(xs)", "builtin-swap");
}

static void builtin__and_vs_or(void **state)
{
	static const struct bug b = {
		"and_or", "tests/test_voting.py", "AssertionError", "assert not True",
		"tests/test_voting.py", 5, { { "tests/test_voting.py", "5", "test_minor_cannot_vote" } },
	};
	int i = expect_fix(&b, "voting.py", "age >= 18 or registered", "age >= 18 and registered",
			   "bool-swap");
	assert_true(i < 10);
}

static void builtin__missing_return(void **state)
{
	static const struct bug b = {
		"missing_return", "tests/test_geometry.py", "AssertionError", "assert None == 6",
		"tests/test_geometry.py", 6, { { "tests/test_geometry.py", "6", "test_area" } },
	};
	/* a hint from "None": the first candidate */
	int i = expect_fix(&b, "geometry.py", "        result = self.w * self.h\n",
			   "        result = self.w * self.h\n        return result\n", "add-return");
	assert_int_equal(i, 0);
}

static void builtin__index_error_in_source_frame(void **state)
{
	static const struct bug b = {
		"index_crash", "tests/test_listutil.py", "IndexError", "list index out of range",
		"src/listutil.py", 2,
		{ { "tests/test_listutil.py", "5", "test_last" }, { "src/listutil.py", "2", "last" } },
	};
	struct candidate_list l = CANDIDATE_LIST_INIT;
	int i;

	i = expect_fix(&b, "src/listutil.py", "xs[len(xs)]", "xs[len(xs) - 1]", NULL);
	assert_true(i < 3);
	/* the crash's own line first: nothing from first() before it */
	propose(&l, &b, NULL);
	assert_int_equal(l.items[0].frame_distance, 0);
	assert_non_null(strstr(l.items[0].change.edits[0].old_str, "xs[len(xs)]"));
	candidate_list_release(&l);
}

static void builtin__key_error_becomes_get(void **state)
{
	static const struct bug b = {
		"key_error", "tests/test_config.py", "KeyError", "'colour'",
		"config.py", 5,
		{ { "tests/test_config.py", "5", "test_missing_key_is_none" }, { "config.py", "5", "lookup" } },
	};
	int i = expect_fix(&b, "config.py", "settings[key]", "settings.get(key)", "dict-get");
	assert_int_equal(i, 0);
}

/* -- what it must not do -------------------------------------------------- */

static void builtin__never_edits_test_files(void **state)
{
	/* the only code is in the test file: nothing to propose */
	static const struct bug b = {
		"test_only", "tests/test_helpers.py", "AssertionError", "assert 4 == 5",
		"tests/test_helpers.py", 6,
		{ { "tests/test_helpers.py", "6", "test_double" }, { "tests/test_helpers.py", "2", "double" } },
	};
	struct candidate_list l = CANDIDATE_LIST_INIT;

	propose(&l, &b, NULL);
	assert_int_equal(l.nr, 0);
	candidate_list_release(&l);
}

static void builtin__respects_max_candidates_and_dedupes(void **state)
{
	struct engine_request req = ENGINE_REQUEST_INIT;
	struct candidate_list l = CANDIDATE_LIST_INIT;
	struct failure f;
	size_t i, j;

	fill_failure(&f, &wrong_var);
	req.failure = &f;
	req.root = ENGINE_DIR "/wrong_var";
	req.max_candidates = 3;
	assert_int_equal(engine_builtin.propose(&l, &req), 0);
	assert_int_equal(l.nr, 3);
	candidate_list_release(&l);

	req.max_candidates = 0; /* the default */
	assert_int_equal(engine_builtin.propose(&l, &req), 0);
	for (i = 0; i < l.nr; i++)
		for (j = 0; j < i; j++)
			assert_false(!strcmp(l.items[i].change.edits[0].old_str, l.items[j].change.edits[0].old_str) &&
				     !strcmp(l.items[i].change.edits[0].new_str, l.items[j].change.edits[0].new_str));
	candidate_list_release(&l);
	failure_release(&f);
}

static int position_of(const struct candidate_list *l, const char *template_name)
{
	size_t i;

	for (i = 0; i < l->nr; i++)
		if (!strcmp(l->items[i].template_name, template_name))
			return (int)i;
	return -1;
}

static void builtin__knowledge_base_order_moves_templates_up(void **state)
{
	struct candidate_list plain = CANDIDATE_LIST_INIT, kb = CANDIDATE_LIST_INIT;
	struct strvec order = STRVEC_INIT;

	strvec_push(&order, "var-replace");
	propose(&plain, &wrong_var, NULL);
	propose(&kb, &wrong_var, &order);
	assert_true(position_of(&plain, "var-replace") > position_of(&plain, "arith-swap"));
	assert_true(position_of(&kb, "var-replace") < position_of(&kb, "arith-swap"));
	candidate_list_release(&plain);
	candidate_list_release(&kb);
	strvec_clear(&order);
}

/* candidates for a failure at `file`:`line` (in `function`) of a one-file project in a temporary `dir` */
static void propose_in_temp(struct candidate_list *l, struct buf *dir, const char *file, const char *src,
			    const char *error_type, const char *message, int line, const char *function,
			    size_t max)
{
	struct engine_request req = ENGINE_REQUEST_INIT;
	struct buf path = BUF_INIT;
	struct failure f;

	assert_int_equal(fs_mkdtemp(dir, "pf-engine"), 0);
	buf_addf(&path, "%s/%s", dir->ptr, file);
	assert_int_equal(fs_write_atomic(path.ptr, src, strlen(src), 0644), 0);
	memset(&f, 0, sizeof(f));
	f.error_type = xstrdup(error_type);
	f.message = xstrdup_or_null(message);
	f.loc_file = xstrdup(file);
	f.loc_line = line;
	failure_add_frame(&f, file, line, function);
	req.failure = &f;
	req.root = dir->ptr;
	if (max)
		req.max_candidates = max;
	assert_int_equal(engine_builtin.propose(l, &req), 0);
	failure_release(&f);
	buf_release(&path);
}

static void builtin__old_text_is_widened_until_unique(void **state)
{
	/* `return xs[0]` style lines repeat: the edit must still name one place */
	static const char src[] =
		"def a(xs):\n    return xs[0]\n\n\ndef b(xs):\n    return xs[0]\n";
	struct candidate_list l = CANDIDATE_LIST_INIT;
	struct buf dir = BUF_INIT;
	size_t i;

	propose_in_temp(&l, &dir, "dup.py", src, "IndexError", NULL, 6, "b", 0);
	assert_true(l.nr > 0);
	for (i = 0; i < l.nr; i++) {
		const char *old = l.items[i].change.edits[0].old_str, *hit = strstr(src, old);
		assert_non_null(hit);
		assert_null(strstr(hit + 1, old));
		/* mutations in b(), not in a() */
		assert_true((size_t)(hit - src) >= strlen("def a(xs):\n    return xs[0]\n"));
	}
	candidate_list_release(&l);
	fs_remove_tree(dir.ptr);
	buf_release(&dir);
}

/* -- one template at a time, on a file written for it ----------------------- */

struct template_case {
	const char *src;         /* written to mod.py */
	int line;                /* the crash location in mod.py */
	const char *error_type;
	const char *message;
	const char *from, *to;   /* the fix */
	const char *template_name;
	int within;              /* when not 0: the fix is among the first `within` candidates */
};

static const struct template_case template_cases[] = {
	{ "def has_neg(xs):\n    for x in xs:\n        if x < 0:\n            return True\n        return False\n",
	  5, "AssertionError", "assert False", "        return False\n", "    return False\n", "return-dedent", 0 },
	{ "def twice(x):\n    print(x * 2)\n", 2, "AssertionError", "assert None == 4",
	  "print(x * 2)", "return x * 2", "print-return", 0 },
	{ "def total(xs):\n    t = 0\n    for x in xs:\n        t += x\n", 4, "AssertionError", "assert None == 6",
	  "        t += x\n", "        t += x\n    return t\n", "add-return", 0 },
	{ "def mean(xs):\n    return sum(xs) / len(xs)\n", 2, "ZeroDivisionError", "division by zero",
	  "sum(xs) / len(xs)", "(sum(xs) / len(xs) if len(xs) else 0)", "div-guard", 0 },
	{ "def desc(xs):\n    return sorted(xs)\n", 2, "AssertionError", "assert [1, 2] == [2, 1]",
	  "sorted(xs)", "sorted(xs, reverse=True)", "sorted-reverse", 0 },
	{ "def check(x):\n    if x.ok:\n        return 1\n    return 0\n", 2, "AssertionError", "assert 0 == 1",
	  "if x.ok:", "if not x.ok:", "cond-negate", 0 },
	{ "def is_missing(x):\n    return x is not None\n", 2, "AssertionError", "assert False",
	  "x is not None", "x is None", "cmp-negate", 0 },
	{ "def body(xs):\n    return xs[1:-1]\n", 2, "AssertionError", "assert [2] == [2, 3]",
	  "xs[1:-1]", "xs[1:]", "slice-shift", 0 },
	{ "def grow(n):\n    i = 0\n    while i < n:\n        i += 2\n    return i\n", 4, "AssertionError",
	  "assert 4 == 3", "i += 2", "i += 1", "int-tweak", 0 },
	{ "def diff(a, b):\n    return a - b\n", 2, "AssertionError", "assert -1 == 1",
	  "a - b", "b - a", "operand-swap", 0 },
	{ "def is_on(flag=False):\n    return flag\n", 2, "AssertionError", "assert False",
	  "flag=False", "flag=True", "bool-literal", 0 },
	{ "def pick(a, b):\n    if a:\n        return b\n    return a\n    print(a)\n", 4, "AssertionError",
	  "assert 1 == 2", "    return a\n    print(a)\n", "    print(a)\n", "return-drop", 0 },
	/* the field's fix patterns */
	{ "def total(prices):\n    result = 0\n    for p in prices:\n        result += p\n    return reslt\n", 5,
	  "NameError", "name 'reslt' is not defined", "return reslt", "return result", "undefined-name", 1 },
	{ "def scaler(factor):\n    def apply(x):\n        return x * x\n    return apply\n", 3, "AssertionError",
	  "assert 4 == 6", "x * x", "x * factor", "var-replace", 0 },
	{ "def scaler(factor):\n    def apply(x):\n        return x * x\n    return apply\n", 4, "AssertionError",
	  "assert 4 == 6", "x * x", "factor * x", "var-replace", 0 },
	{ "def same(a, b):\n    return a is b\n", 2, "AssertionError", "assert False", "a is b", "a == b", "is-eq", 0 },
	{ "def flags(xs):\n    m = 0\n    for x in xs:\n        m &= x\n    return m\n", 4, "AssertionError",
	  "assert 0 == 3", "m &= x", "m |= x", "aug-assign", 0 },
	{ "def total(xs):\n    t = 0\n    for x in xs:\n        t = x\n    return t\n", 4, "AssertionError",
	  "assert 3 == 6", "t = x", "t += x", "aug-assign", 0 },
	{ "class Edge:\n    def __init__(self, source, target):\n        self.source = source\n"
	  "        self.target = target\n\n\ndef reverse(edge):\n    return Edge(edge.target, edge.target)\n", 8,
	  "AssertionError", "assert 1 == 2", "Edge(edge.target, edge.target)", "Edge(edge.target, edge.source)",
	  "attr-replace", 0 },
	{ "def low(xs):\n    return min(xs)\n\n\ndef high(xs):\n    return max(xs)\n\n\n"
	  "def spread(xs):\n    return high(xs) - high(xs)\n", 10, "AssertionError", "assert 0 == 2",
	  "high(xs) - high(xs)", "high(xs) - low(xs)", "call-replace", 0 },
	{ "def run(tasks, verbose):\n    return report(tasks, False)\n\n\ndef report(tasks, loud):\n"
	  "    return len(tasks) * (2 if loud else 1)\n", 2, "AssertionError", "assert 1 == 2",
	  "report(tasks, False)", "report(tasks, verbose)", "literal-name", 0 },
	{ "def drain(queue, pending):\n    while True:\n        queue.pop()\n    return queue\n", 2,
	  "IndexError", "pop from empty list", "while True:", "while pending:", "literal-name", 0 },
	{ "def fmt(value, width=8):\n    return str(value).rjust(width)\n\n\ndef table(rows, width):\n"
	  "    return [fmt(r) for r in rows]\n", 6, "AssertionError", "assert ['1'] == ['  1']",
	  "fmt(r)", "fmt(r, width)", "arg-add", 0 },
	{ "def area(w, h):\n    return w * h\n\n\ndef square(s):\n    return area(s, s, s)\n", 6, "TypeError",
	  "area() takes 2 positional arguments but 3 were given", "area(s, s, s)", "area(s, s)", "arg-drop", 3 },
	{ "def pair(a, b):\n    return [a]\n", 2, "AssertionError", "assert [1] == [1, 2]", "[a]", "[a, b]",
	  "element-add", 0 },
	{ "def find(xs, x):\n    for i, y in enumerate(xs):\n        if y == x:\n            return None\n"
	  "    return -1\n", 4, "AssertionError", "assert None == 1", "return None", "return i", "return-value", 0 },
	{ "def name_of(user):\n    return user.name.upper()\n", 2, "AttributeError",
	  "'NoneType' object has no attribute 'name'", "    return user.name.upper()\n",
	  "    if user is None:\n        return None\n    return user.name.upper()\n", "guard", 3 },
	{ "def active(user):\n    if user.enabled:\n        return True\n    return False\n", 2, "AttributeError",
	  "'NoneType' object has no attribute 'enabled'", "if user.enabled:",
	  "if user is not None and user.enabled:", "guard-cond", 3 },
	{ "def evens(xs):\n    out = []\n    for x in xs:\n        if x % 2 == 0:\n            print(x)\n"
	  "    return out\n", 6, "AssertionError", "assert [] == [2]", "            print(x)\n",
	  "            print(x)\n            out.append(x)\n", "stmt-insert", 0 },
	{ "def count_down(n):\n    steps = []\n    i = n\n    while i > 0:\n        steps.append(i)\n"
	  "    return steps\n", 5, "MemoryError", "", "        steps.append(i)\n",
	  "        steps.append(i)\n        i -= 1\n", "stmt-insert", 0 },
	{ "def remaining(limit, used):\n    return limit - used\n", 2, "AssertionError", "assert -2 == 0",
	  "limit - used", "max(0, limit - used)", "wrap", 0 },
	{ "def rest(xs):\n    out = []\n    for x in xs:\n        out.append(x)\n    return out\n", 4,
	  "AssertionError", "assert [1, 2] == [2]", "for x in xs:", "for x in xs[1:]:", "wrap", 0 },
	{ "def score(a, b):\n    return a + b\n", 2, "AssertionError", "assert 3 == 1", "a + b", "a",
	  "operand-drop", 0 },
	{ "def norm(xs):\n    xs.sort()\n    xs.reverse()\n    return xs\n", 4, "AssertionError",
	  "assert [2, 1] == [1, 2]", "    xs.reverse()\n", "", "stmt-drop", 0 },
	{ "def log(xs, x):\n    xs.clear()\n    xs.append(x)\n    return xs\n", 4, "AssertionError",
	  "assert [] == [1]", "    xs.clear()\n    xs.append(x)\n", "    xs.append(x)\n    xs.clear()\n",
	  "stmt-move", 0 },
	{ "def fib(n):\n    return fib(n - 1) + fib(n - 2)\n", 2, "RecursionError",
	  "maximum recursion depth exceeded", "def fib(n):\n", "def fib(n):\n    if n <= 1:\n        return n\n",
	  "base-case", 5 },
};

static void builtin__templates(void **state)
{
	struct buf dir = BUF_INIT, path = BUF_INIT, want = BUF_INIT, got = BUF_INIT;
	size_t i, j;

	assert_int_equal(fs_mkdtemp(&dir, "pf-engine"), 0);
	buf_addf(&path, "%s/mod.py", dir.ptr);
	for (i = 0; i < ARRAY_SIZE(template_cases); i++) {
		const struct template_case *t = &template_cases[i];
		struct engine_request req = ENGINE_REQUEST_INIT;
		struct candidate_list l = CANDIDATE_LIST_INIT;
		struct failure f;
		int found = -1;

		assert_int_equal(fs_write_atomic(path.ptr, t->src, strlen(t->src), 0644), 0);
		buf_reset(&want);
		if (replace_once(&want, t->src, t->from, t->to) < 0)
			fail_msg("case %zu: '%s' is not once in the source", i, t->from);
		memset(&f, 0, sizeof(f));
		f.error_type = xstrdup(t->error_type);
		f.message = xstrdup(t->message);
		f.loc_file = xstrdup("mod.py");
		f.loc_line = t->line;
		failure_add_frame(&f, "mod.py", t->line, NULL);
		req.failure = &f;
		req.root = dir.ptr;
		assert_int_equal(engine_builtin.propose(&l, &req), 0);
		for (j = 0; j < l.nr && found < 0; j++) {
			const struct file_edit *e = &l.items[j].change.edits[0];
			buf_reset(&got);
			assert_int_equal(replace_once(&got, t->src, e->old_str, e->new_str), 0);
			if (!strcmp(got.ptr, want.ptr))
				found = (int)j;
		}
		if (found < 0) {
			print_candidates(&l);
			fail_msg("case %zu: no candidate turns '%s' into '%s'", i, t->from, t->to);
		}
		if (t->template_name)
			assert_string_equal(l.items[found].template_name, t->template_name);
		if (t->within && found >= t->within) {
			print_candidates(&l);
			fail_msg("case %zu: the fix is candidate %d, not among the first %d", i, found, t->within);
		}
		candidate_list_release(&l);
		failure_release(&f);
	}
	fs_remove_tree(dir.ptr);
	buf_release(&got);
	buf_release(&want);
	buf_release(&path);
	buf_release(&dir);
}

/*
 * The field's patterns on a program they do not fit: every name is defined
 * (imports, a lambda, a comprehension, a closure; `point` is one edit from
 * the parameter `points`), nothing recurses, there is no loop to complete
 * and the failure is an assertion, not a crash.
 */
static void builtin__patterns_stay_out_of_unrelated_code(void **state)
{
	static const char src[] =
		"import os\nfrom math import sqrt\n\nLIMIT = 3\n\n\n"
		"def norm(points, unit):\n"
		"    scale = lambda point: sqrt(point[0] ** 2 + point[1] ** 2) / unit\n"
		"    def label(value):\n"
		"        return os.sep.join([str(value), str(unit)])\n"
		"    return [label(scale(point)) for point in points if point][:LIMIT]\n";
	static const char *const never[] = {
		"undefined-name", "base-case", "guard", "guard-cond", "stmt-insert", "return-value",
	};
	struct candidate_list l = CANDIDATE_LIST_INIT;
	struct buf dir = BUF_INIT;
	size_t i, j;

	propose_in_temp(&l, &dir, "mod.py", src, "AssertionError", "assert [] == [5.0]", 11, "norm",
			ENGINE_MAX_MUTATIONS);
	assert_true(l.nr > 0);
	for (i = 0; i < l.nr; i++)
		for (j = 0; j < ARRAY_SIZE(never); j++)
			if (!strcmp(l.items[i].template_name, never[j]))
				fail_msg("unexpected candidate: %s", l.items[i].change.description);
	candidate_list_release(&l);
	fs_remove_tree(dir.ptr);
	buf_release(&dir);
}

/* frames into installed code inside the project (.venv) are not the project's */
static void builtin__skips_vendored_code(void **state)
{
	static const char app[] = "import dep\n\n\ndef run(x):\n    return dep.go(x + 1)\n";
	static const char dep[] = "def go(x):\n    return 10 / (x - 1)\n";
	struct engine_request req = ENGINE_REQUEST_INIT;
	struct candidate_list l = CANDIDATE_LIST_INIT;
	struct buf dir = BUF_INIT, path = BUF_INIT;
	struct failure f;
	size_t i;

	assert_int_equal(fs_mkdtemp(&dir, "pf-engine"), 0);
	buf_addf(&path, "%s/.venv/lib/site-packages", dir.ptr);
	assert_int_equal(fs_mkdir_p(path.ptr, 0755), 0);
	buf_adds(&path, "/dep.py");
	assert_int_equal(fs_write_atomic(path.ptr, dep, strlen(dep), 0644), 0);
	buf_reset(&path);
	buf_addf(&path, "%s/app.py", dir.ptr);
	assert_int_equal(fs_write_atomic(path.ptr, app, strlen(app), 0644), 0);
	memset(&f, 0, sizeof(f));
	f.error_type = xstrdup("ZeroDivisionError");
	f.loc_file = xstrdup(".venv/lib/site-packages/dep.py");
	f.loc_line = 2;
	failure_add_frame(&f, "app.py", 5, "run");
	failure_add_frame(&f, ".venv/lib/site-packages/dep.py", 2, "go");
	req.failure = &f;
	req.root = dir.ptr;
	assert_int_equal(engine_builtin.propose(&l, &req), 0);
	assert_true(l.nr > 0);
	for (i = 0; i < l.nr; i++)
		assert_string_equal(l.items[i].change.edits[0].path, "app.py");
	candidate_list_release(&l);
	failure_release(&f);
	fs_remove_tree(dir.ptr);
	buf_release(&path);
	buf_release(&dir);
}

static void engine__registry(void **state)
{
	assert_ptr_equal(engine_find("builtin"), &engine_builtin);
	assert_null(engine_find("nope"));
}

static const char mutants_py[] =
	"def clamp(x, lo, hi):\n"
	"    if x < lo:\n"
	"        return lo\n"
	"    if x > hi:\n"
	"        return hi\n"
	"    return x\n"
	"\n"
	"\n"
	"class Counter:\n"
	"    def __init__(self):\n"
	"        self.n = 0\n"
	"\n"
	"    def add(self, k):\n"
	"        self.n += k\n"
	"        return self.n\n";

/* a mutant applied as a fix would be: its update's old text replaced once */
static char *mutated(const struct candidate *cand)
{
	const struct file_edit *e = &cand->change.edits[0];
	const char *at = strstr(mutants_py, e->old_str);
	struct buf b = BUF_INIT;

	assert_non_null(at);
	assert_null(strstr(at + 1, e->old_str));   /* unique, as the update mode needs */
	buf_add(&b, mutants_py, (size_t)(at - mutants_py));
	buf_adds(&b, e->new_str);
	buf_adds(&b, at + strlen(e->old_str));
	return buf_detach(&b, NULL);
}

static void builtin__mutants_of_every_function_of_a_file(void **state)
{
	struct candidate_list l = CANDIDATE_LIST_INIT;
	struct buf dir = BUF_INIT, path = BUF_INIT;
	struct strvec seen = STRVEC_INIT;
	int in_clamp = 0, in_add = 0, cmp = 0;
	size_t i;

	(void)state;
	assert_int_equal(fs_mkdtemp(&dir, "pf-mutants"), 0);
	buf_addf(&path, "%s/lib.py", dir.ptr);
	assert_int_equal(fs_write_atomic(path.ptr, mutants_py, strlen(mutants_py), 0644), 0);
	buf_reset(&path);
	buf_addf(&path, "%s/test_lib.py", dir.ptr);
	assert_int_equal(fs_write_atomic(path.ptr, "def test_x():\n    assert 1 < 2\n", 31, 0644), 0);

	assert_int_equal(engine_mutants(&l, dir.ptr, "lib.py", 0), 0);
	assert_true(l.nr >= 10);
	for (i = 0; i < l.nr; i++) {
		const struct candidate *c = &l.items[i];
		char *text;
		assert_int_equal(c->change.nr, 1);
		assert_string_equal(c->change.edits[0].path, "lib.py");
		assert_non_null(c->template_name);
		text = mutated(c);
		assert_string_not_equal(text, mutants_py);
		assert_int_equal(strvec_find(&seen, text), -1);   /* no two alike */
		strvec_push(&seen, text);
		in_clamp |= strstr(c->change.edits[0].old_str, "lo") != NULL;
		in_add |= strstr(c->change.edits[0].old_str, "self.n") != NULL;
		cmp |= !strncmp(c->template_name, "cmp-", 4);
		free(text);
	}
	/* the function and the method, comparisons among the operators */
	assert_true(in_clamp && in_add && cmp);
	candidate_list_release(&l);

	assert_int_equal(engine_mutants(&l, dir.ptr, "lib.py", 3), 0);
	assert_int_equal(l.nr, 3);
	candidate_list_release(&l);
	/* tests are never mutated */
	assert_int_equal(engine_mutants(&l, dir.ptr, "test_lib.py", 0), 0);
	assert_int_equal(l.nr, 0);
	candidate_list_release(&l);
	assert_int_equal(engine_mutants(&l, dir.ptr, "missing.py", 0), ERR_NOTFOUND);
	buf_reset(&path);
	buf_addf(&path, "%s/broken.py", dir.ptr);
	assert_int_equal(fs_write_atomic(path.ptr, "def f(:\n", 8, 0644), 0);
	assert_int_equal(engine_mutants(&l, dir.ptr, "broken.py", 0), ERR_PARSE);
	assert_int_equal(l.nr, 0);
	candidate_list_release(&l);
	strvec_clear(&seen);
	fs_remove_tree(dir.ptr);
	buf_release(&dir);
	buf_release(&path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(builtin__off_by_one_in_range),
		cmocka_unit_test(builtin__off_by_one_in_slice),
		cmocka_unit_test(builtin__less_than_vs_less_or_equal),
		cmocka_unit_test(builtin__minus_vs_plus),
		cmocka_unit_test(builtin__wrong_variable),
		cmocka_unit_test(builtin__swapped_arguments),
		cmocka_unit_test(builtin__min_vs_max),
		cmocka_unit_test(builtin__and_vs_or),
		cmocka_unit_test(builtin__missing_return),
		cmocka_unit_test(builtin__index_error_in_source_frame),
		cmocka_unit_test(builtin__key_error_becomes_get),
		cmocka_unit_test(builtin__never_edits_test_files),
		cmocka_unit_test(builtin__respects_max_candidates_and_dedupes),
		cmocka_unit_test(builtin__knowledge_base_order_moves_templates_up),
		cmocka_unit_test(builtin__old_text_is_widened_until_unique),
		cmocka_unit_test(builtin__templates),
		cmocka_unit_test(builtin__skips_vendored_code),
		cmocka_unit_test(builtin__patterns_stay_out_of_unrelated_code),
		cmocka_unit_test(engine__registry),
		cmocka_unit_test(builtin__mutants_of_every_function_of_a_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
