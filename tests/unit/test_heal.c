#define _GNU_SOURCE

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gen/heal.h"
#include "gen/heal_template.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/strvec.h"

/* ---- the classifier, data-driven: error type, message, report -> category, kind, fields ---- */

struct classify_case {
	const char *type, *message, *traceback;
	enum gen_heal_category category;
	enum gen_heal_kind kind;
	const char *name, *owner, *first_of_names, *left, *right;
	size_t nnames;
};

static const struct classify_case classify_cases[] = {
	{ "ImportError", "cannot import name 'add' from 'mod' (/tmp/p/mod.py)", NULL,
	  GEN_HEAL_IMPORT, GEN_HEAL_CANNOT_IMPORT, "add", "mod", NULL, NULL, NULL, 0 },
	{ "ImportError", "cannot import name 'add' from 'pkg.mod' (unknown location)", NULL,
	  GEN_HEAL_IMPORT, GEN_HEAL_CANNOT_IMPORT, "add", "pkg.mod", NULL, NULL, NULL, 0 },
	{ "ModuleNotFoundError", "No module named 'pkg.old'", NULL,
	  GEN_HEAL_IMPORT, GEN_HEAL_NO_MODULE, "pkg.old", NULL, NULL, NULL, NULL, 0 },
	{ "NameError", "name 'CardValidationError' is not defined", NULL,
	  GEN_HEAL_NAME, GEN_HEAL_UNDEFINED_NAME, "CardValidationError", NULL, NULL, NULL, NULL, 0 },
	{ "AttributeError", "module 'mod' has no attribute 'addd'", NULL,
	  GEN_HEAL_ATTRIBUTE, GEN_HEAL_MODULE_ATTRIBUTE, "addd", "mod", NULL, NULL, NULL, 0 },
	{ "AttributeError", "'Acc' object has no attribute 'sum'", NULL,
	  GEN_HEAL_ATTRIBUTE, GEN_HEAL_OBJECT_ATTRIBUTE, "sum", "Acc", NULL, NULL, NULL, 0 },
	{ "AttributeError", "type object 'Acc' has no attribute 'make'", NULL,
	  GEN_HEAL_ATTRIBUTE, GEN_HEAL_OBJECT_ATTRIBUTE, "make", "Acc", NULL, NULL, NULL, 0 },
	{ "TypeError", "scale() got an unexpected keyword argument 'fact'", NULL,
	  GEN_HEAL_SIGNATURE, GEN_HEAL_UNEXPECTED_KEYWORD, "fact", "scale", NULL, NULL, NULL, 0 },
	{ "TypeError", "Acc.total() got an unexpected keyword argument 'x'", NULL,
	  GEN_HEAL_SIGNATURE, GEN_HEAL_UNEXPECTED_KEYWORD, "x", "Acc.total", NULL, NULL, NULL, 0 },
	{ "TypeError", "add_numbers() missing 1 required positional argument: 'c'", NULL,
	  GEN_HEAL_SIGNATURE, GEN_HEAL_MISSING_ARGUMENT, NULL, "add_numbers", "c", NULL, NULL, 1 },
	{ "TypeError", "f() missing 3 required positional arguments: 'a', 'b', and 'c'", NULL,
	  GEN_HEAL_SIGNATURE, GEN_HEAL_MISSING_ARGUMENT, NULL, "f", "a", NULL, NULL, 3 },
	{ "TypeError", "f() missing 2 required keyword-only arguments: 'a' and 'b'", NULL,
	  GEN_HEAL_SIGNATURE, GEN_HEAL_MISSING_ARGUMENT, NULL, "f", "a", NULL, NULL, 2 },
	{ "FixtureLookupError", "('sample', <FixtureRequest>)",
	  "file /p/tests/test_c.py, line 7\n  def test_fixture(sample):\nE       fixture 'sample' not found\n"
	  ">       available fixtures: cache, capfd, sample_data, tmp_path\n>       use 'pytest --fixtures'",
	  GEN_HEAL_FIXTURE, GEN_HEAL_MISSING_FIXTURE, "sample", NULL, "cache", NULL, NULL, 4 },
	{ "AssertionError", "assert 6 == 9\n +  where 6 = <function scale at 0x7f>(3)", NULL,
	  GEN_HEAL_BEHAVIOUR, GEN_HEAL_CHANGED_VALUE, NULL, NULL, NULL, "6", "9", 0 },
	{ "AssertionError", "custom words\nassert 'a == b' == 'c'", NULL,
	  GEN_HEAL_BEHAVIOUR, GEN_HEAL_CHANGED_VALUE, NULL, NULL, NULL, "'a == b'", "'c'", 0 },
	/* shapes no template reads */
	{ "AssertionError", "assert 6 < 9", NULL, GEN_HEAL_OTHER, GEN_HEAL_UNKNOWN, NULL, NULL, NULL, NULL, NULL, 0 },
	{ "AssertionError", "assert False", NULL, GEN_HEAL_OTHER, GEN_HEAL_UNKNOWN, NULL, NULL, NULL, NULL, NULL, 0 },
	{ "ZeroDivisionError", "division by zero", NULL, GEN_HEAL_OTHER, GEN_HEAL_UNKNOWN, NULL, NULL, NULL, NULL, NULL, 0 },
	{ "TypeError", "unsupported operand type(s) for +: 'int' and 'str'", NULL,
	  GEN_HEAL_OTHER, GEN_HEAL_UNKNOWN, NULL, NULL, NULL, NULL, NULL, 0 },
	{ "ImportError", "cannot import name 'x", NULL, GEN_HEAL_OTHER, GEN_HEAL_UNKNOWN, NULL, NULL, NULL, NULL, NULL, 0 },
	{ NULL, NULL, NULL, GEN_HEAL_OTHER, GEN_HEAL_UNKNOWN, NULL, NULL, NULL, NULL, NULL, 0 },
};

static void assert_maybe_string(const char *got, const char *want)
{
	if (!want)
		assert_null(got);
	else {
		assert_non_null(got);
		assert_string_equal(got, want);
	}
}

static void heal__classify_reads_each_message_shape(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(classify_cases) / sizeof(classify_cases[0]); i++) {
		const struct classify_case *k = &classify_cases[i];
		struct gen_heal_diagnosis d = GEN_HEAL_DIAGNOSIS_INIT;
		enum gen_heal_category c = gen_heal_classify(&d, k->type, k->message, k->traceback);
		if (c != k->category || d.kind != k->kind)
			fail_msg("case %zu (%s: %s): category %d kind %d", i, k->type, k->message, c, d.kind);
		assert_maybe_string(d.name, k->name);
		assert_maybe_string(d.owner, k->owner);
		assert_maybe_string(d.left, k->left);
		assert_maybe_string(d.right, k->right);
		assert_int_equal(d.names.nr, k->nnames);
		if (k->first_of_names)
			assert_string_equal(d.names.v[0], k->first_of_names);
		gen_heal_diagnosis_release(&d);
	}
}

static void heal__category_names_are_the_checklists(void **state)
{
	(void)state;
	assert_string_equal(gen_heal_category_name(GEN_HEAL_IMPORT), "IMPORT_ERROR");
	assert_string_equal(gen_heal_category_name(GEN_HEAL_BEHAVIOUR), "BEHAVIOUR_CHANGE");
	assert_string_equal(gen_heal_category_name(GEN_HEAL_OTHER), "OTHER_ERROR");
}

static void heal__similarity_ranks_the_renamed_name_first(void **state)
{
	(void)state;
	assert_true(gen_heal_similarity("add", "add_numbers") > gen_heal_similarity("add", "greet"));
	assert_true(gen_heal_similarity("fetch", "fetch_page") > gen_heal_similarity("fetch", "parse"));
	assert_true(gen_heal_similarity("fact", "factor") > gen_heal_similarity("fact", "x"));
	assert_true(gen_heal_similarity("getUser", "get_user") > 0.5);
	assert_true(gen_heal_similarity("a", "b") < 0.2);
	assert_true(gen_heal_similarity("same", "same") == 1.0);
	assert_true(gen_heal_similarity("", "x") == 0.0);
}

static void heal__module_names(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	gen_heal_module_name(&b, "pkg/util.py");
	assert_string_equal(b.ptr, "pkg.util");
	buf_reset(&b);
	gen_heal_module_name(&b, "pkg/__init__.py");
	assert_string_equal(b.ptr, "pkg");
	buf_reset(&b);
	gen_heal_module_name(&b, "src/pkg/m.py");
	assert_string_equal(b.ptr, "pkg.m");
	buf_reset(&b);
	gen_heal_module_name(&b, "mod.py");
	assert_string_equal(b.ptr, "mod");
	buf_release(&b);
}

/* ---- the templates: a failure on a test file in a small project -> the healed file ---- */

struct heal_case {
	const char *what;
	const char *modules[3][2];   /* path, text */
	const char *type, *message, *traceback;
	const char *test_text, *test, *want;
	int line;
	const char *template_name;
	int behaviour;
};

static const struct heal_case heal_cases[] = {
	{ "a function renamed: its import and its uses",
	  { { "mod.py", "def add_numbers(a, b):\n    return a + b\n\ndef greet(n):\n    return n\n" } },
	  "ImportError", "cannot import name 'add' from 'mod' (/work/x/mod.py)", NULL,
	  "from mod import add, greet\n\n\ndef test_add():\n    assert add(1, 2) == 3\n    padd = 1\n",
	  NULL,
	  "from mod import add_numbers, greet\n\n\ndef test_add():\n    assert add_numbers(1, 2) == 3\n    padd = 1\n",
	  1, GEN_HEAL_T_RENAME_NAME, 0 },
	{ "a name imported under another: only the import changes",
	  { { "pkg/core.py", "def fetch_page(url):\n    return url\n" } },
	  "ImportError", "cannot import name 'fetch' from 'pkg.core' (/w/pkg/core.py)", NULL,
	  "from pkg.core import fetch as get\n\ndef test_get():\n    assert get('u') == 'u'\n",
	  NULL, "from pkg.core import fetch_page as get\n\ndef test_get():\n    assert get('u') == 'u'\n",
	  1, GEN_HEAL_T_RENAME_NAME, 0 },
	{ "a module of a package renamed: imported from the package",
	  { { "shop/__init__.py", "" }, { "shop/pricing.py", "def net(x):\n    return x\n" } },
	  "ImportError", "cannot import name 'prices' from 'shop' (/w/shop/__init__.py)", NULL,
	  "from shop import prices\n\ndef test_t():\n    assert prices.net(1) == 1\n",
	  NULL, "from shop import pricing\n\ndef test_t():\n    assert pricing.net(1) == 1\n",
	  1, GEN_HEAL_T_RENAME_NAME, 0 },
	{ "a module moved: the import follows it",
	  { { "pkg/__init__.py", "" }, { "pkg/fresh.py", "def thing():\n    return 1\n\nOTHER = 2\n" } },
	  "ModuleNotFoundError", "No module named 'pkg.old'", NULL,
	  "from pkg.old import thing, OTHER\n\ndef test_t():\n    assert thing() == 1\n",
	  NULL, "from pkg.fresh import thing, OTHER\n\ndef test_t():\n    assert thing() == 1\n",
	  1, GEN_HEAL_T_MOVE_MODULE, 0 },
	{ "a plain import of a moved module: the import and the dotted uses",
	  { { "pkg/__init__.py", "" }, { "pkg/util.py", "def thing():\n    return 1\n" } },
	  "ModuleNotFoundError", "No module named 'lib'", NULL,
	  "import lib.util\n\ndef test_t():\n    assert lib.util.thing() == 1\n",
	  NULL, "import pkg.util\n\ndef test_t():\n    assert pkg.util.thing() == 1\n",
	  1, GEN_HEAL_T_MOVE_MODULE, 0 },
	{ "a module attribute renamed, where the file spells the module",
	  { { "mod.py", "def add_numbers(a, b):\n    return a + b\n\ndef scale(x):\n    return x\n" } },
	  "AttributeError", "module 'mod' has no attribute 'addd'", NULL,
	  "import mod as m\n\ndef test_a():\n    assert m.addd(1, 2) == 3\n    assert other.addd == 1\n",
	  "test_a", "import mod as m\n\ndef test_a():\n    assert m.add_numbers(1, 2) == 3\n    assert other.addd == 1\n",
	  4, GEN_HEAL_T_RENAME_ATTRIBUTE, 0 },
	{ "a method renamed",
	  { { "mod.py", "class Acc:\n    def total(self):\n        return 1\n\n    def summary(self):\n        return 2\n" } },
	  "AttributeError", "'Acc' object has no attribute 'sum'", NULL,
	  "from mod import Acc\n\ndef test_a():\n    assert Acc().sum() == 2\n",
	  "test_a", "from mod import Acc\n\ndef test_a():\n    assert Acc().summary() == 2\n",
	  4, GEN_HEAL_T_RENAME_ATTRIBUTE, 0 },
	{ "NameError: the name is imported from the module that has it (seed 003's example)",
	  { { "payment/core.py", "class CardValidationError(Exception):\n    pass\n\ndef process_payment(c):\n    return c\n" } },
	  "NameError", "name 'CardValidationError' is not defined", NULL,
	  "from payment.core import process_payment\n\ndef test_p():\n    assert CardValidationError\n",
	  "test_p", "from payment.core import process_payment, CardValidationError\n\ndef test_p():\n    assert CardValidationError\n",
	  4, GEN_HEAL_T_ADD_IMPORT, 0 },
	{ "a keyword renamed: every call of the function in the file",
	  { { "mod.py", "def scale(x, factor=2):\n    return x * factor\n" } },
	  "TypeError", "scale() got an unexpected keyword argument 'fact'", NULL,
	  "import mod\n\ndef test_k():\n    assert mod.scale(3, fact=3) == 9\n    assert mod.scale(x=1, fact=1) == 1\n",
	  "test_k", "import mod\n\ndef test_k():\n    assert mod.scale(3, factor=3) == 9\n    assert mod.scale(x=1, factor=1) == 1\n",
	  4, GEN_HEAL_T_RENAME_KEYWORD, 0 },
	{ "a new required parameter: passed to the calls in the failing test only",
	  { { "mod.py", "def add_numbers(a, b, c: int):\n    return a + b + c\n" } },
	  "TypeError", "add_numbers() missing 1 required positional argument: 'c'", NULL,
	  "from mod import add_numbers\n\ndef test_m():\n    assert add_numbers(1, 2) == 3\n\ndef test_o():\n    add_numbers()\n",
	  "test_m", "from mod import add_numbers\n\ndef test_m():\n    assert add_numbers(1, 2, c=0) == 3\n\ndef test_o():\n    add_numbers()\n",
	  4, GEN_HEAL_T_NEW_ARGUMENT, 0 },
	{ "a fixture renamed: the test's parameter and its uses",
	  { { "mod.py", "X = 1\n" } },
	  "FixtureLookupError", "('sample', <FixtureRequest>)",
	  "E       fixture 'sample' not found\n>       available fixtures: cache, capfd, sample_data, tmp_path\n",
	  "def test_f(sample, tmp_path):\n    assert sample == [1, 2]\n\ndef test_g():\n    sample = 3\n",
	  "test_f", "def test_f(sample_data, tmp_path):\n    assert sample_data == [1, 2]\n\ndef test_g():\n    sample = 3\n",
	  1, GEN_HEAL_T_RENAME_FIXTURE, 0 },
	{ "a changed value: the expected literal, held",
	  { { "mod.py", "def scale(x):\n    return x * 2\n" } },
	  "AssertionError", "assert 6 == 9\n +  where 6 = <function scale>(3)", NULL,
	  "import mod\n\ndef test_v():\n    assert mod.scale(3) == 9\n",
	  "test_v", "import mod\n\ndef test_v():\n    assert mod.scale(3) == 6\n",
	  4, GEN_HEAL_T_EXPECTED_VALUE, 1 },
	{ "a changed value in a parametrize row named by ids=",
	  { { "mod.py", "def add(a, b):\n    return a + b + 1\n" } },
	  "AssertionError", "assert 10 == 9\n +  where 10 = add(2, 7)", NULL,
	  "import pytest\nfrom mod import add\n\n\n@pytest.mark.parametrize(\n    \"a, b, expected\",\n"
	  "    [\n        (1, 1, 2),\n        (2, 7, 9),\n    ],\n    ids=[\"1-1\", \"2-7\"],\n)\n"
	  "def test_add(a, b, expected):\n    assert add(a, b) == expected\n",
	  "test_add[2-7]",
	  "import pytest\nfrom mod import add\n\n\n@pytest.mark.parametrize(\n    \"a, b, expected\",\n"
	  "    [\n        (1, 1, 2),\n        (2, 7, 10),\n    ],\n    ids=[\"1-1\", \"2-7\"],\n)\n"
	  "def test_add(a, b, expected):\n    assert add(a, b) == expected\n",
	  14, GEN_HEAL_T_EXPECTED_VALUE, 1 },
	{ "a changed value in a parametrize row named by pytest's own ids",
	  { { "mod.py", "def scale(x):\n    return x * 2\n" } },
	  "AssertionError", "assert 2 == 3", NULL,
	  "import pytest\nimport mod\n@pytest.mark.parametrize(\"x, expected\", [(1, 3), (2, 4)])\n"
	  "def test_param(x, expected):\n    assert mod.scale(x) == expected\n",
	  "test_param[1-3]",
	  "import pytest\nimport mod\n@pytest.mark.parametrize(\"x, expected\", [(1, 2), (2, 4)])\n"
	  "def test_param(x, expected):\n    assert mod.scale(x) == expected\n",
	  5, GEN_HEAL_T_EXPECTED_VALUE, 1 },
	{ "a changed value through a local",
	  { { "mod.py", "def f():\n    return 'new'\n" } },
	  "AssertionError", "assert 'new' == 'old'", NULL,
	  "from mod import f\n\ndef test_l():\n    want = 'old'\n    got = f()\n    assert got == want\n",
	  "test_l", "from mod import f\n\ndef test_l():\n    want = 'new'\n    got = f()\n    assert got == want\n",
	  6, GEN_HEAL_T_EXPECTED_VALUE, 1 },
};

static void build_modules(struct gen_heal_modules *m, const struct heal_case *k)
{
	size_t i;

	for (i = 0; i < 3 && k->modules[i][0]; i++)
		gen_heal_modules_add(m, k->modules[i][0], k->modules[i][1], strlen(k->modules[i][1]));
}

static void propose_for(struct gen_heal_candidates *out, struct gen_heal_diagnosis *d,
			struct gen_heal_modules *m, const struct heal_case *k)
{
	struct gen_heal_request r;

	memset(&r, 0, sizeof(r));
	gen_heal_classify(d, k->type, k->message, k->traceback);
	build_modules(m, k);
	r.d = d;
	r.path = "tests/test_x.py";
	r.text = k->test_text;
	r.len = strlen(k->test_text);
	r.test = k->test;
	r.line = k->line;
	r.modules = m;
	gen_heal_propose(out, &r);
}

static void heal__each_template_heals_its_case(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(heal_cases) / sizeof(heal_cases[0]); i++) {
		const struct heal_case *k = &heal_cases[i];
		struct gen_heal_diagnosis d = GEN_HEAL_DIAGNOSIS_INIT;
		struct gen_heal_modules m = GEN_HEAL_MODULES_INIT;
		struct gen_heal_candidates c = GEN_HEAL_CANDIDATES_INIT;

		propose_for(&c, &d, &m, k);
		if (!c.nr)
			fail_msg("%s: no candidate", k->what);
		if (strcmp(c.v[0].text, k->want))
			fail_msg("%s: got\n%s\nwanted\n%s", k->what, c.v[0].text, k->want);
		assert_string_equal(c.v[0].template_name, k->template_name);
		assert_int_equal(c.v[0].behaviour, k->behaviour);
		assert_non_null(c.v[0].reason);
		if (k->behaviour) {
			assert_non_null(c.v[0].old_value);
			assert_non_null(c.v[0].new_value);
		}
		gen_heal_candidates_release(&c);
		gen_heal_modules_release(&m);
		gen_heal_diagnosis_release(&d);
	}
}

/* candidates never repeat the text, each other, nor break the syntax; the cap holds */
static void heal__candidates_are_distinct_and_capped(void **state)
{
	static const struct heal_case k = {
		"many values for a new parameter",
		{ { "mod.py", "def f(a, n: int):\n    return a\n" } },
		"TypeError", "f() missing 1 required positional argument: 'n'", NULL,
		"from mod import f\n\ndef test_f():\n    assert f(1) == 1\n", "test_f", NULL, 4, NULL, 0,
	};
	struct gen_heal_diagnosis d = GEN_HEAL_DIAGNOSIS_INIT;
	struct gen_heal_modules m = GEN_HEAL_MODULES_INIT;
	struct gen_heal_candidates c = GEN_HEAL_CANDIDATES_INIT;
	size_t i, j;

	(void)state;
	propose_for(&c, &d, &m, &k);
	assert_true(c.nr > 1);
	assert_true(c.nr <= GEN_HEAL_MAX_VALUES);
	for (i = 0; i < c.nr; i++) {
		assert_string_not_equal(c.v[i].text, k.test_text);
		assert_non_null(strstr(c.v[i].text, "f(1, n="));
		for (j = 0; j < i; j++)
			assert_string_not_equal(c.v[i].text, c.v[j].text);
	}
	gen_heal_candidates_release(&c);
	gen_heal_modules_release(&m);
	gen_heal_diagnosis_release(&d);
}

/* nothing to propose: a failure no template reads, a value that has no literal, both sides literal */
static void heal__no_candidate_where_no_template_fits(void **state)
{
	static const struct heal_case cases[] = {
		{ "an error of another kind", { { "mod.py", "X = 1\n" } }, "ZeroDivisionError", "division by zero",
		  NULL, "def test_z():\n    assert 1 / 0\n", "test_z", NULL, 2, NULL, 0 },
		{ "an observed value with no literal", { { "mod.py", "X = 1\n" } }, "AssertionError",
		  "assert <mod.Obj object at 0x7f> == 3", NULL,
		  "from mod import X\n\ndef test_o():\n    assert X == 3\n", "test_o", NULL, 4, NULL, 0 },
		{ "both sides literal", { { "mod.py", "X = 1\n" } }, "AssertionError", "assert 1 == 2", NULL,
		  "def test_c():\n    assert 1 == 2\n", "test_c", NULL, 2, NULL, 0 },
		{ "a name gone with nothing like it", { { "mod.py", "def zzz():\n    pass\n" } }, "ImportError",
		  "cannot import name 'abc' from 'mod' (/w/mod.py)", NULL,
		  "from mod import abc\n\ndef test_a():\n    abc()\n", NULL, NULL, 1, NULL, 0 },
		{ "a module that is not the project's", { { "mod.py", "X = 1\n" } }, "ImportError",
		  "cannot import name 'dumps' from 'json' (/usr/lib/python3.11/json/__init__.py)", NULL,
		  "from json import dumps\n\ndef test_a():\n    dumps()\n", NULL, NULL, 1, NULL, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gen_heal_diagnosis d = GEN_HEAL_DIAGNOSIS_INIT;
		struct gen_heal_modules m = GEN_HEAL_MODULES_INIT;
		struct gen_heal_candidates c = GEN_HEAL_CANDIDATES_INIT;
		propose_for(&c, &d, &m, &cases[i]);
		if (c.nr)
			fail_msg("%s: %zu candidates, the first:\n%s", cases[i].what, c.nr, c.v[0].text);
		gen_heal_candidates_release(&c);
		gen_heal_modules_release(&m);
		gen_heal_diagnosis_release(&d);
	}
}

/* the knowledge base's order decides which NameError template comes first */
static void heal__knowledge_base_orders_the_templates(void **state)
{
	static const struct heal_case k = {
		"NameError with a star import and the name in an imported module",
		{ { "mod.py", "def total_sum(a):\n    return a\n\ndef total(a):\n    return a\n" } },
		"NameError", "name 'total' is not defined", NULL,
		"from mod import *\nfrom mod import total_sum\n\ndef test_t():\n    assert total(1) == 1\n",
		"test_t", NULL, 5, NULL, 0,
	};
	struct strvec order = STRVEC_INIT;
	size_t pass;

	(void)state;
	for (pass = 0; pass < 2; pass++) {
		struct gen_heal_diagnosis d = GEN_HEAL_DIAGNOSIS_INIT;
		struct gen_heal_modules m = GEN_HEAL_MODULES_INIT;
		struct gen_heal_candidates c = GEN_HEAL_CANDIDATES_INIT;
		struct gen_heal_request r;

		memset(&r, 0, sizeof(r));
		gen_heal_classify(&d, k.type, k.message, k.traceback);
		build_modules(&m, &k);
		r.d = &d;
		r.path = "tests/test_x.py";
		r.text = k.test_text;
		r.len = strlen(k.test_text);
		r.test = k.test;
		r.line = k.line;
		r.modules = &m;
		strvec_clear(&order);
		strvec_push(&order, pass ? GEN_HEAL_T_RENAME_NAME : GEN_HEAL_T_ADD_IMPORT);
		r.template_order = &order;
		gen_heal_propose(&c, &r);
		assert_true(c.nr >= 2);
		assert_string_equal(c.v[0].template_name, pass ? GEN_HEAL_T_RENAME_NAME : GEN_HEAL_T_ADD_IMPORT);
		gen_heal_candidates_release(&c);
		gen_heal_modules_release(&m);
		gen_heal_diagnosis_release(&d);
	}
	strvec_clear(&order);
}

/* seed 003's decision tree: update for one unique place, patch under ten lines, rewrite beyond */
static void heal__mode_follows_the_decision_tree(void **state)
{
	static const struct {
		const char *old_text, *new_text, *scope;
		double uniqueness;
		enum edit_mode mode;
	} cases[] = {
		{ "a\nb\nc\n", "a\nB\nc\n", "local", 1.0, EDIT_UPDATE },
		{ "a\nb\nc\n", "a\nB\nB2\nc\n", "local", 1.0, EDIT_UPDATE },
		/* the changed line is also elsewhere: not unique */
		{ "x = 1\nb\nx = 1\n", "x = 2\nb\nx = 1\n", "local", 0.5, EDIT_PATCH },
		/* two places */
		{ "from m import a\n\ndef t():\n    a()\n", "from m import b\n\ndef t():\n    b()\n",
		  "multi_line", 1.0, EDIT_PATCH },
		/* a line added only */
		{ "a\nc\n", "a\nb\nc\n", "local", 0.0, EDIT_PATCH },
		{ "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n", "1\nx\n3\nx\n5\nx\n7\nx\n9\nx\n11\nx\n",
		  "file_wide", 1.0, EDIT_REWRITE },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *scope = NULL;
		double u = -1;
		enum edit_mode m = gen_heal_mode(&scope, &u, cases[i].old_text, strlen(cases[i].old_text),
						 cases[i].new_text, strlen(cases[i].new_text));
		if (m != cases[i].mode || strcmp(scope, cases[i].scope) || u != cases[i].uniqueness)
			fail_msg("case %zu: mode %d scope %s uniqueness %.2f", i, m, scope, u);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(heal__classify_reads_each_message_shape),
		cmocka_unit_test(heal__category_names_are_the_checklists),
		cmocka_unit_test(heal__similarity_ranks_the_renamed_name_first),
		cmocka_unit_test(heal__module_names),
		cmocka_unit_test(heal__each_template_heals_its_case),
		cmocka_unit_test(heal__candidates_are_distinct_and_capped),
		cmocka_unit_test(heal__no_candidate_where_no_template_fits),
		cmocka_unit_test(heal__knowledge_base_orders_the_templates),
		cmocka_unit_test(heal__mode_follows_the_decision_tree),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
