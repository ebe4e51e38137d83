#define _GNU_SOURCE

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gen/heal_llm.h"
#include "util/buf.h"

/* ---- a model's edit of a test: a new expected value, or the same values checked otherwise ---- */

struct behaviour_case {
	const char *old_text, *new_text;
	int behaviour;
	const char *old_value, *new_value;
};

static void heal_llm__behaviour_is_a_new_checked_value(void **state)
{
	static const struct behaviour_case cases[] = {
		/* the same values, checked otherwise: a heal */
		{ "from mod import divide\n\n\ndef test_d():\n    assert divide(7, 2) == (3, 1)\n",
		  "from mod import Division, divide\n\n\ndef test_d():\n    assert divide(7, 2) == Division(3, 1)\n",
		  0, NULL, NULL },
		{ "def test_p():\n    assert power(2, 3) == 8\n", "def test_p():\n    assert power(3, 2) == 8\n", 0, NULL, NULL },
		{ "def test_p():\n    assert power(2, 3) == 8\n",
		  "def test_p():\n    assert power(exp=3, base=2) == 8\n", 0, NULL, NULL },
		/* a check split, with the values moved to a call line */
		{ "def test_d():\n    assert divide(7, 2) == (3, 1)\n",
		  "def test_d():\n    r = divide(7, 2)\n    assert r.quotient == 3\n    assert r.remainder == 1\n", 0, NULL, NULL },
		/* a rename, nothing checked changes */
		{ "from m import add\n\ndef test_a():\n    assert add(1, 2) == 3\n",
		  "from m import add_numbers\n\ndef test_a():\n    assert add_numbers(1, 2) == 3\n", 0, NULL, NULL },
		/* an import added */
		{ "def test_a():\n    assert f('x') is None\n", "import os\n\ndef test_a():\n    assert f('x') is None\n",
		  0, NULL, NULL },
		/* a new expected value */
		{ "def test_p():\n    assert power(2, 3) == 8\n", "def test_p():\n    assert power(2, 3) == 9\n", 1,
		  "assert power(2, 3) == 8", "assert power(2, 3) == 9" },
		/* the sign is part of the value */
		{ "def test_s():\n    assert sub(5, 3) == 2\n", "def test_s():\n    assert sub(5, 3) == -2\n", 1,
		  "assert sub(5, 3) == 2", "assert sub(5, 3) == -2" },
		/* a minus between operands is not a sign */
		{ "def test_s():\n    assert f(5) - 3 == 2\n", "def test_s():\n    assert g(5) - 3 == 2\n", 0, NULL, NULL },
		/* strings, booleans, None */
		{ "def test_g():\n    assert greet('bo') == 'hi bo'\n",
		  "def test_g():\n    assert greet('bo') == 'hello bo'\n", 1, "assert greet('bo') == 'hi bo'",
		  "assert greet('bo') == 'hello bo'" },
		{ "def test_t():\n    assert ok() is True\n", "def test_t():\n    assert ok() is False\n", 1,
		  "assert ok() is True", "assert ok() is False" },
		/* an expected value kept in a variable */
		{ "def test_e():\n    expected = 8\n    assert power(2, 3) == expected\n",
		  "def test_e():\n    expected = 9\n    assert power(2, 3) == expected\n", 1, "expected = 8", "expected = 9" },
		/* pytest.raises(match=...) with a new message */
		{ "def test_r():\n    with pytest.raises(ValueError, match='bad'):\n        f()\n",
		  "def test_r():\n    with pytest.raises(ValueError, match='wrong'):\n        f()\n", 1,
		  "with pytest.raises(ValueError, match='bad'):", "with pytest.raises(ValueError, match='wrong'):" },
		/* a comment's numbers are no value */
		{ "def test_c():\n    assert f() == 1  # was 1\n", "def test_c():\n    assert f() == 1  # since v2\n", 0,
		  NULL, NULL },
		/* a value added where none was removed */
		{ "def test_a():\n    assert f()\n", "def test_a():\n    assert f() == 4\n", 1, "assert f()",
		  "assert f() == 4" },
		/* empty texts, nothing changed */
		{ "", "", 0, NULL, NULL },
		{ "x = 1\n", "x = 1\n", 0, NULL, NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *o = (char *)"unset", *n = (char *)"unset";
		int got = gen_heal_llm_behaviour(&o, &n, cases[i].old_text, strlen(cases[i].old_text),
						 cases[i].new_text, strlen(cases[i].new_text));
		if (got != cases[i].behaviour)
			fail_msg("case %zu: behaviour %d, not %d (new value %s)", i, got, cases[i].behaviour,
				 n ? n : "(null)");
		if (!cases[i].behaviour) {
			assert_null(o);
			assert_null(n);
			continue;
		}
		if (strcmp(o, cases[i].old_value) || strcmp(n, cases[i].new_value))
			fail_msg("case %zu: old '%s' new '%s'", i, o, n);
		free(o);
		free(n);
	}
}

static void heal_llm__long_lines_and_odd_bytes(void **state)
{
	struct buf a = BUF_INIT, b = BUF_INIT;
	char *o, *n;
	size_t i;

	(void)state;
	/* an unterminated string, a lone quote, a backslash at the end: no crash, no overread */
	assert_int_equal(gen_heal_llm_behaviour(&o, &n, "assert 'abc\n", 12, "assert 'abd\\", 12), 1);
	free(o);
	free(n);
	assert_int_equal(gen_heal_llm_behaviour(&o, &n, "assert x", 8, "assert \"", 8), 1);
	free(o);
	free(n);
	/* a long checking line: the values quoted are capped */
	buf_adds(&a, "assert f() == [");
	buf_adds(&b, "assert f() == [");
	for (i = 0; i < 5000; i++) {
		buf_addf(&a, "%zu, ", i);
		buf_addf(&b, "%zu, ", i + 1);
	}
	buf_adds(&a, "]\n");
	buf_adds(&b, "]\n");
	assert_int_equal(gen_heal_llm_behaviour(&o, &n, a.ptr, a.len, b.ptr, b.len), 1);
	assert_int_equal(strlen(o), GEN_HEAL_LLM_VALUE_CAP);
	assert_int_equal(strlen(n), GEN_HEAL_LLM_VALUE_CAP);
	free(o);
	free(n);
	buf_release(&a);
	buf_release(&b);
}

/* ---- the recent change of the code: its code files, not its tests ---- */

static void heal_llm__code_diff_keeps_the_code(void **state)
{
	static const char diff[] =
		"diff --git a/mod.py b/mod.py\n"
		"index 1..2 100644\n"
		"--- a/mod.py\n+++ b/mod.py\n@@ -1 +1 @@\n-def add(a, b):\n+def add_numbers(a, b):\n"
		"diff --git a/tests/test_mod.py b/tests/test_mod.py\n"
		"--- a/tests/test_mod.py\n+++ b/tests/test_mod.py\n@@ -1 +1 @@\n-x\n+y\n"
		"diff --git a/README.md b/README.md\n--- a/README.md\n+++ b/README.md\n@@ -1 +1 @@\n-a\n+b\n"
		"diff --git a/pkg/util.py b/pkg/util.py\nnew file mode 100644\n--- /dev/null\n+++ b/pkg/util.py\n"
		"@@ -0,0 +1 @@\n+X = 1\n";
	struct buf out = BUF_INIT;

	(void)state;
	assert_int_equal(gen_heal_llm_code_diff(&out, diff, strlen(diff)), 2);
	assert_non_null(strstr(out.ptr, "+def add_numbers(a, b):\n"));
	assert_non_null(strstr(out.ptr, "+X = 1\n"));
	assert_null(strstr(out.ptr, "tests/test_mod.py"));
	assert_null(strstr(out.ptr, "README"));
	buf_reset(&out);
	assert_int_equal(gen_heal_llm_code_diff(&out, "", 0), 0);
	assert_int_equal(gen_heal_llm_code_diff(&out, "not a diff\n", 11), 0);
	assert_int_equal(gen_heal_llm_code_diff(&out, "diff --git a/x.py", 17), 1);
	assert_int_equal(out.len, 17);
	buf_release(&out);
}

/* ---- the modules a test imports: shown to the model beside it ---- */

static void heal_llm__imports(void **state)
{
	static const struct {
		const char *text, *name;
		int yes;
	} cases[] = {
		{ "from mod import divide\n", "mod", 1 },
		{ "from mod import divide\n", "mo", 0 },
		{ "from model import x\n", "mod", 0 },
		{ "import mod\n", "mod", 1 },
		{ "import os, mod as m\n", "mod", 1 },
		{ "import os, sys\n", "mod", 0 },
		{ "import pkg.util\n", "pkg.util", 1 },
		{ "import pkg.util\n", "pkg", 0 },
		{ "from pkg.util import (a,\n    b)\n", "pkg.util", 1 },
		{ "from pkg import util\n", "pkg.util", 1 },
		{ "from pkg import other, util as u\n", "pkg.util", 1 },
		{ "from pkg import utility\n", "pkg.util", 0 },
		{ "def f():\n    from mod import x\n", "mod", 1 },
		{ "# from mod import x\n", "mod", 0 },
		{ "x = 'import mod'\n", "mod", 0 },
		{ "from  mod  import x", "mod", 1 },
		{ "import", "mod", 0 },
		{ "from", "mod", 0 },
		{ "from pkg import", "pkg.util", 0 },
		{ "", "mod", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (gen_heal_llm_imports(cases[i].text, strlen(cases[i].text), cases[i].name) != cases[i].yes)
			fail_msg("case %zu: '%s' imports '%s': not %d", i, cases[i].text, cases[i].name, cases[i].yes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(heal_llm__behaviour_is_a_new_checked_value),
		cmocka_unit_test(heal_llm__long_lines_and_odd_bytes),
		cmocka_unit_test(heal_llm__code_diff_keeps_the_code),
		cmocka_unit_test(heal_llm__imports),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
