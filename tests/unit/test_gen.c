/*
 * The built-in test generator's parts that need no Python (issue 17):
 * the facts read from a module (src/gen/facts.c), the seeded sampling of
 * calls (src/gen/search.c), the pytest file written from observed
 * outcomes (src/gen/emit.c) and the static assertion gate (src/gen/trust.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "gen/emit.h"
#include "gen/facts.h"
#include "gen/search.h"
#include "gen/trust.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/strvec.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

static const char module[] =
	"import os\n"
	"import random\n"
	"from shutil import rmtree as wipe\n"
	"\n"
	"LIMIT = 10\n"
	"\n"
	"\n"
	"class BankError(Exception):\n"
	"    pass\n"
	"\n"
	"\n"
	"class Account:\n"
	"    def __init__(self, owner: str, balance: int = 0):\n"
	"        self.owner = owner\n"
	"        self.balance = balance\n"
	"\n"
	"    def deposit(self, amount):\n"
	"        if amount <= 0:\n"
	"            raise BankError('amount must be positive')\n"
	"        self.balance += amount\n"
	"        return self.balance\n"
	"\n"
	"    @property\n"
	"    def rich(self):\n"
	"        return self.balance > 1000\n"
	"\n"
	"    def _secret(self):\n"
	"        return 1\n"
	"\n"
	"\n"
	"def total(items, *, start=0):\n"
	"    \"\"\"Sum of items.\n"
	"\n"
	"    >>> total([1, 2, 3])\n"
	"    6\n"
	"    \"\"\"\n"
	"    acc = start\n"
	"    for x in items:\n"
	"        acc = acc + x\n"
	"    return acc\n"
	"\n"
	"\n"
	"def shout(text, times=2):\n"
	"    return (text.upper() + '!') * times\n"
	"\n"
	"\n"
	"def countdown(n):\n"
	"    while n > 0:\n"
	"        yield n\n"
	"        n -= 1\n"
	"\n"
	"\n"
	"def fact(n):\n"
	"    return 1 if n <= 1 else n * fact(n - 1)\n"
	"\n"
	"\n"
	"def clean(path):\n"
	"    wipe(path)\n"
	"\n"
	"\n"
	"def tidy(path):\n"
	"    clean(path)\n"
	"\n"
	"\n"
	"def describe(acct: Account):\n"
	"    return acct.owner\n"
	"\n"
	"\n"
	"def roll():\n"
	"    return random.random()\n"
	"\n"
	"\n"
	"async def fetch(url):\n"
	"    return url\n"
	"\n"
	"\n"
	"def _private():\n"
	"    return 0\n"
	"\n"
	"\n"
	"def _check(pair):\n"
	"    low, high = pair\n"
	"    return low <= high\n"
	"\n"
	"\n"
	"def spans(ranges):\n"
	"    return [_check(r) for r in ranges]\n"
	"\n"
	"\n"
	"def widths(ranges):\n"
	"    return spans(ranges)\n"
	"\n"
	"\n"
	"def _wipe(p):\n"
	"    os.remove(p)\n"
	"\n"
	"\n"
	"def purge(p):\n"
	"    _wipe(p)\n";

static struct gen_facts facts;

static int setup_facts(void **state)
{
	(void)state;
	assert_int_equal(gen_facts_read(&facts, "bank.py", module, sizeof(module) - 1), 0);
	return 0;
}

static int teardown_facts(void **state)
{
	(void)state;
	gen_facts_release(&facts);
	return 0;
}

static const struct gen_param *param(const struct gen_function *fn, const char *name)
{
	size_t i;

	for (i = 0; i < fn->nparams; i++)
		if (!strcmp(fn->params[i].name, name))
			return &fn->params[i];
	fail_msg("no parameter '%s' in %s", name, fn->qualname);
	return NULL;
}

static void facts__public_functions_and_methods_in_file_order(void **state)
{
	static const char *const expected[] = {
		"Account.__init__", "Account.deposit", "Account.rich", "Account._secret", "total", "shout",
		"countdown", "fact", "clean", "tidy", "describe", "roll", "fetch", "_private", "_check",
		"spans", "widths", "_wipe", "purge",
	};
	struct buf why = BUF_INIT;
	size_t i;

	(void)state;
	assert_int_equal(facts.nfunctions, sizeof(expected) / sizeof(*expected));
	for (i = 0; i < facts.nfunctions; i++) {
		assert_string_equal(facts.functions[i].qualname, expected[i]);
		/* private ones are read for their evidence, never called */
		assert_int_equal(facts.functions[i].is_private,
				 (strstr(expected[i], "._") && !strstr(expected[i], "__init__")) || expected[i][0] == '_');
		if (facts.functions[i].is_private)
			assert_false(gen_callable(&facts, i, 1, &why));
	}
	buf_release(&why);
	assert_int_equal(facts.nclasses, 2);
	assert_true(gen_facts_class(&facts, "BankError")->is_exception);
	assert_false(gen_facts_class(&facts, "Account")->is_exception);
	assert_int_equal(gen_facts_class(&facts, "Account")->init, 0);
	assert_true(strvec_find(&gen_facts_class(&facts, "Account")->attrs, "balance") >= 0);
	assert_true(strvec_find(&facts.module_names, "LIMIT") >= 0);
	assert_true(strvec_find(&facts.module_names, "_private") < 0);
}

static void facts__parameters_kinds_defaults_and_annotations(void **state)
{
	const struct gen_function *init = gen_facts_function(&facts, "Account.__init__");
	const struct gen_function *tot = gen_facts_function(&facts, "total");

	(void)state;
	assert_int_equal(init->nparams, 2);   /* self left out */
	assert_string_equal(param(init, "owner")->annotation, "str");
	assert_string_equal(param(init, "balance")->default_text, "0");
	assert_int_equal(param(tot, "start")->kind, GEN_PARAM_KW_ONLY);
	assert_int_equal(param(tot, "items")->kind, GEN_PARAM_POSITIONAL);
	assert_int_equal(gen_facts_function(&facts, "Account.rich")->kind, GEN_PROPERTY);
	assert_true(gen_facts_function(&facts, "Account.deposit")->mutates_self);
}

static void facts__uses_say_what_a_parameter_is(void **state)
{
	(void)state;
	assert_true(param(gen_facts_function(&facts, "shout"), "text")->hints & GEN_HINT_STR);
	assert_true(param(gen_facts_function(&facts, "total"), "items")->hints & GEN_HINT_SEQ);
	assert_true(param(gen_facts_function(&facts, "fact"), "n")->hints & GEN_HINT_NUMBER);
	assert_true(param(gen_facts_function(&facts, "Account.deposit"), "amount")->hints & GEN_HINT_NUMBER);
	/* what a callee's parameter is, through calls and loops: pairs, then a list of pairs */
	assert_true(param(gen_facts_function(&facts, "_check"), "pair")->hints & GEN_HINT_PAIR);
	assert_true(param(gen_facts_function(&facts, "spans"), "ranges")->hints & GEN_HINT_PAIRS);
	assert_true(param(gen_facts_function(&facts, "widths"), "ranges")->hints & GEN_HINT_PAIRS);
	/* an annotation naming a class of the module */
	assert_string_equal(param(gen_facts_function(&facts, "describe"), "acct")->attr_class, "Account");
}

static void facts__doctests_generators_recursion_async(void **state)
{
	const struct gen_function *tot = gen_facts_function(&facts, "total");

	(void)state;
	assert_int_equal(tot->doctests.nr, 1);
	assert_string_equal(tot->doctests.v[0], "total([1, 2, 3])");
	assert_true(gen_facts_function(&facts, "countdown")->is_generator);
	assert_false(tot->is_generator);
	assert_true(gen_facts_function(&facts, "fact")->recursive);
	assert_true(gen_facts_function(&facts, "fetch")->is_async);
}

static void facts__side_effects_directly_through_aliases_and_callees(void **state)
{
	const struct gen_function *clean = gen_facts_function(&facts, "clean");
	const struct gen_function *tidy = gen_facts_function(&facts, "tidy");
	struct buf why = BUF_INIT;

	(void)state;
	assert_non_null(clean->side_effect);
	assert_non_null(strstr(clean->side_effect, "shutil.rmtree"));
	assert_non_null(tidy->side_effect);
	assert_non_null(strstr(tidy->side_effect, "through clean()"));
	assert_null(gen_facts_function(&facts, "shout")->side_effect);
	/* through a private helper */
	assert_non_null(gen_facts_function(&facts, "purge")->side_effect);
	assert_non_null(strstr(gen_facts_function(&facts, "purge")->side_effect, "through _wipe(): os.remove"));
	assert_false(gen_callable(&facts, (size_t)(tidy - facts.functions), 0, &why));
	assert_non_null(strstr(why.ptr, "--allow-side-effects"));
	assert_true(gen_callable(&facts, (size_t)(tidy - facts.functions), 1, &why));
	buf_reset(&why);
	assert_false(gen_callable(&facts, (size_t)(gen_facts_function(&facts, "fetch") - facts.functions), 0, &why));
	buf_release(&why);
}

static void facts__a_module_that_does_not_parse_is_an_error_naming_the_line(void **state)
{
	struct gen_facts f;
	static const char bad[] = "def f(:\n    return 1\n";

	(void)state;
	assert_int_equal(gen_facts_read(&f, "bad.py", bad, sizeof(bad) - 1), ERR_PARSE);
	assert_non_null(strstr(error_last(), "bad.py"));
	assert_non_null(strstr(error_last(), "line 1"));
	error_clear();
}

static void calls_text(struct buf *out, const struct gen_calls *c)
{
	size_t i, k;

	for (i = 0; i < c->nr; i++) {
		for (k = 0; k < c->items[i].setup.nr; k++)
			buf_addf(out, "%s; ", c->items[i].setup.v[k]);
		buf_addf(out, "%s\n", c->items[i].expr);
	}
}

static void sample__same_seed_same_calls_other_seed_others(void **state)
{
	struct buf a = BUF_INIT, b = BUF_INIT, d = BUF_INIT;
	unsigned long seeds[] = { 7, 7, 8 };
	struct buf *outs[] = { &a, &b, &d };
	size_t s, fi;

	(void)state;
	for (s = 0; s < 3; s++) {
		struct gen_calls calls = GEN_CALLS_INIT;
		struct gen_pools *pools = gen_pools_new(&facts);
		struct gen_rng rng;
		gen_rng_seed(&rng, seeds[s]);
		for (fi = 0; fi < facts.nfunctions; fi++)
			gen_sample(&calls, &facts, pools, fi, 6, &rng);
		calls_text(outs[s], &calls);
		gen_calls_release(&calls);
		gen_pools_free(pools);
	}
	assert_string_equal(a.ptr, b.ptr);
	assert_string_not_equal(a.ptr, d.ptr);
	/* the doctest example as written, the defaults-only call, a method on an instance */
	assert_non_null(strstr(a.ptr, "total([1, 2, 3])\n"));
	assert_non_null(strstr(a.ptr, "shout('"));
	assert_non_null(strstr(a.ptr, "obj = Account("));
	assert_non_null(strstr(a.ptr, "obj.deposit("));
	assert_non_null(strstr(a.ptr, "list(itertools.islice(countdown("));
	assert_non_null(strstr(a.ptr, "describe(Account("));
	/* a keyword-only argument by keyword */
	assert_non_null(strstr(a.ptr, "start="));
	buf_release(&a);
	buf_release(&b);
	buf_release(&d);
}

static void sample__no_call_is_made_twice(void **state)
{
	struct gen_calls calls = GEN_CALLS_INIT;
	struct gen_pools *pools = gen_pools_new(&facts);
	struct gen_rng rng;
	size_t fi = (size_t)(gen_facts_function(&facts, "roll") - facts.functions), i, j;

	(void)state;
	gen_rng_seed(&rng, 1);
	/* roll() takes nothing: one call, however many are asked for */
	assert_int_equal(gen_sample(&calls, &facts, pools, fi, 5, &rng), 1);
	fi = (size_t)(gen_facts_function(&facts, "shout") - facts.functions);
	gen_sample(&calls, &facts, pools, fi, 30, &rng);
	for (i = 0; i < calls.nr; i++)
		for (j = i + 1; j < calls.nr; j++)
			assert_true(strcmp(calls.items[i].expr, calls.items[j].expr) ||
				    calls.items[i].setup.nr != calls.items[j].setup.nr);
	gen_calls_release(&calls);
	gen_pools_free(pools);
}

/* a parameter named as a day gets dates, even where the module imports only timedelta */
static void sample__days_by_their_names(void **state)
{
	static const char src[] =
		"from datetime import timedelta\n"
		"\n"
		"\n"
		"def due(borrowed_on, days):\n"
		"    return borrowed_on + timedelta(days=days)\n"
		"\n"
		"\n"
		"def late(today, due_date):\n"
		"    return today > due_date\n";
	struct gen_facts f = GEN_FACTS_INIT;
	struct gen_calls calls = GEN_CALLS_INIT;
	struct gen_pools *pools;
	struct gen_rng rng;
	struct buf text = BUF_INIT;
	size_t fi;

	(void)state;
	assert_int_equal(gen_facts_read(&f, "loans.py", src, sizeof(src) - 1), 0);
	pools = gen_pools_new(&f);
	gen_rng_seed(&rng, 1);
	for (fi = 0; fi < f.nfunctions; fi++)
		gen_sample(&calls, &f, pools, fi, 12, &rng);
	calls_text(&text, &calls);
	assert_non_null(strstr(text.ptr, "due(datetime.date("));
	assert_non_null(strstr(text.ptr, "late(datetime.date("));
	assert_non_null(strstr(text.ptr, ", datetime.date(2"));
	buf_release(&text);
	gen_calls_release(&calls);
	gen_pools_free(pools);
	gen_facts_release(&f);
}

static struct gen_call *add_call(struct gen_calls *calls, const char *fn, const char *expr)
{
	struct gen_call *c = gen_calls_add(calls);

	c->function = (int)(gen_facts_function(&facts, fn) - facts.functions);
	c->expr = xstrdup(expr);
	c->kept = 1;
	return c;
}

static void emit__parametrised_values_raises_objects_and_state(void **state)
{
	struct gen_calls calls = GEN_CALLS_INIT;
	struct gen_emitted e = GEN_EMITTED_INIT;
	struct gen_emit_options o = { "bank", "bank.py", 3, NULL };
	struct buf out = BUF_INIT;
	struct gen_call *c;

	(void)state;
	c = add_call(&calls, "shout", "shout('a', 3)");
	strvec_push(&c->args, "'a'");
	strvec_push(&c->args, "3");
	c->outcome = GEN_OUT_VALUE, c->literal = 1, c->repr = xstrdup("'A!A!A!'");
	c = add_call(&calls, "shout", "shout('hi', 1)");
	strvec_push(&c->args, "'hi'");
	strvec_push(&c->args, "1");
	c->outcome = GEN_OUT_VALUE, c->literal = 1, c->repr = xstrdup("'HI!'");
	c = add_call(&calls, "shout", "shout(3, 1)");
	strvec_push(&c->args, "3");
	strvec_push(&c->args, "1");
	c->outcome = GEN_OUT_RAISED, c->type = xstrdup("AttributeError"), c->type_module = xstrdup("builtins");
	c = add_call(&calls, "Account.deposit", "obj.deposit(5)");
	strvec_push(&c->setup, "obj = Account('a')");
	strvec_push(&c->args, "5");
	c->observe = xstrdup("obj");
	c->outcome = GEN_OUT_VALUE, c->literal = 1, c->repr = xstrdup("5");
	strvec_push(&c->obs_names, "balance");
	strvec_push(&c->obs_values, "5");
	c = add_call(&calls, "Account.deposit", "obj.deposit(-1)");
	strvec_push(&c->setup, "obj = Account('a')");
	strvec_push(&c->args, "-1");
	c->observe = xstrdup("obj");
	c->outcome = GEN_OUT_RAISED, c->type = xstrdup("BankError"), c->type_module = xstrdup("bank");
	c = add_call(&calls, "Account.__init__", "Account('z')");
	strvec_push(&c->args, "'z'");
	strvec_push(&c->args, "");
	c->outcome = GEN_OUT_VALUE, c->literal = 0, c->repr = xstrdup("<bank.Account object at 0x1>");
	c->type = xstrdup("Account");
	strvec_push(&c->attr_names, "owner");
	strvec_push(&c->attr_values, "'z'");
	strvec_push(&c->attr_names, "rich");
	strvec_push(&c->attr_values, "False");
	c = add_call(&calls, "roll", "roll()");
	c->kept = 0;   /* not kept: not written */

	gen_emit(&out, &e, &facts, &calls, &o);
	assert_non_null(strstr(out.ptr, "import pytest\n"));
	assert_non_null(strstr(out.ptr, "from bank import Account, BankError, shout\n"));
	assert_non_null(strstr(out.ptr, "@pytest.mark.parametrize(\n    \"text, times, expected\",\n"));
	assert_non_null(strstr(out.ptr, "        ('a', 3, 'A!A!A!'),\n"));
	assert_non_null(strstr(out.ptr, "    ids=[\"a-3\", \"hi-1\"],\n"));
	assert_non_null(strstr(out.ptr, "def test_shout(text, times, expected):\n"
					"    assert shout(text, times) == expected\n"));
	assert_non_null(strstr(out.ptr, "def test_shout_raises_attribute_error(text, times):\n"
					"    with pytest.raises(AttributeError):\n"
					"        shout(text, times)\n"));
	assert_non_null(strstr(out.ptr, "def test_account_deposit():\n"
					"    obj = Account('a')\n"
					"    assert obj.deposit(5) == 5\n"
					"    assert obj.balance == 5\n"));
	assert_non_null(strstr(out.ptr, "    with pytest.raises(BankError):\n        obj.deposit(-1)\n"));
	assert_non_null(strstr(out.ptr, "    result = Account('z')\n"
					"    assert result.owner == 'z'\n"
					"    assert result.rich is False\n"));
	assert_null(strstr(out.ptr, "roll"));
	assert_int_equal(e.ids.nr, 6);
	assert_string_equal(e.ids.v[0], "test_account");
	assert_true(strvec_find(&e.ids, "test_shout[a-3]") >= 0);
	assert_true(strvec_find(&e.ids, "test_shout[hi-1]") >= 0);
	assert_true(strvec_find(&e.ids, "test_shout_raises_attribute_error[3-1]") >= 0);
	/* the static gate finds nothing to say about them */
	{
		struct strvec names = STRVEC_INIT, why = STRVEC_INIT;
		gen_trust_assertions(&names, &why, out.ptr, out.len);
		assert_int_equal(names.nr, 0);
		strvec_clear(&names);
		strvec_clear(&why);
	}
	gen_emitted_release(&e);
	gen_calls_release(&calls);
	buf_release(&out);
}

static void trust__assertions_that_cannot_fail_are_named(void **state)
{
	static const char tests[] =
		"import pytest\n"
		"def test_ok():\n    assert f(1) == 2\n"
		"def test_tautology():\n    x = f(1)\n    assert x == x\n"
		"def test_true():\n    f(1)\n    assert True\n"
		"def test_bare():\n    f(1)\n"
		"def test_constants():\n    assert 1 == 1\n"
		"def test_raises():\n    with pytest.raises(ValueError):\n        f(-1)\n"
		"def helper():\n    pass\n";
	struct strvec names = STRVEC_INIT, why = STRVEC_INIT;

	(void)state;
	gen_trust_assertions(&names, &why, tests, sizeof(tests) - 1);
	assert_int_equal(names.nr, 4);
	assert_string_equal(names.v[0], "test_tautology");
	assert_string_equal(why.v[0], "compares a value with itself");
	assert_string_equal(names.v[1], "test_true");
	assert_string_equal(why.v[1], "asserts a constant");
	assert_string_equal(names.v[2], "test_bare");
	assert_string_equal(why.v[2], "no assertion");
	assert_string_equal(names.v[3], "test_constants");
	assert_string_equal(why.v[3], "compares two constants");
	strvec_clear(&names);
	strvec_clear(&why);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(facts__public_functions_and_methods_in_file_order),
		cmocka_unit_test(facts__parameters_kinds_defaults_and_annotations),
		cmocka_unit_test(facts__uses_say_what_a_parameter_is),
		cmocka_unit_test(facts__doctests_generators_recursion_async),
		cmocka_unit_test(facts__side_effects_directly_through_aliases_and_callees),
		cmocka_unit_test(facts__a_module_that_does_not_parse_is_an_error_naming_the_line),
		cmocka_unit_test(sample__same_seed_same_calls_other_seed_others),
		cmocka_unit_test(sample__no_call_is_made_twice),
		cmocka_unit_test(sample__days_by_their_names),
		cmocka_unit_test(emit__parametrised_values_raises_objects_and_state),
		cmocka_unit_test(trust__assertions_that_cannot_fail_are_named),
	};
	return cmocka_run_group_tests(tests, setup_facts, teardown_facts);
}
