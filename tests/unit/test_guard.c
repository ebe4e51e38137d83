/*
 * The test-weakening guard (src/edit/guard.c): each way of making a test
 * easier to pass is caught, with a reason naming the file and the test,
 * and honest edits pass.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "edit/guard.h"
#include "util/buf.h"

#include <stdio.h>
#include <string.h>

#define PATH "tests/test_x.py"

static const char base[] =
	"import pytest\n"
	"import unittest\n"
	"\n"
	"from calc import div, area\n"
	"\n"
	"\n"
	"def test_div():\n"
	"    assert div(6, 3) == 2\n"
	"    assert div(1, 2) == 0.5\n"
	"\n"
	"\n"
	"def test_div_by_zero():\n"
	"    with pytest.raises(ZeroDivisionError, match=\"zero\"):\n"
	"        div(1, 0)\n"
	"\n"
	"\n"
	"def test_area():\n"
	"    assert area(0.1, 3) == pytest.approx(0.3)\n"
	"\n"
	"\n"
	"class TestCalc(unittest.TestCase):\n"
	"    def test_div(self):\n"
	"        self.assertEqual(div(4, 2), 2)\n"
	"\n"
	"    def helper(self):\n"
	"        return 1\n";

/* base with its only `from` replaced by `to`, judged */
static int judge(struct buf *reason, const char *from, const char *to)
{
	struct buf after = BUF_INIT;
	const char *hit = strstr(base, from);
	int r;

	assert_non_null(hit);
	assert_null(strstr(hit + 1, from));
	buf_add(&after, base, (size_t)(hit - base));
	buf_adds(&after, to);
	buf_adds(&after, hit + strlen(from));
	buf_reset(reason);
	r = guard_test_weakening(reason, PATH, base, strlen(base), after.ptr, after.len);
	buf_release(&after);
	return r;
}

static void expect_weakened(const char *from, const char *to, const char *reason_part)
{
	struct buf reason = BUF_INIT;

	if (judge(&reason, from, to) != 1)
		fail_msg("'%s' -> '%s' was not caught", from, to);
	if (!strstr(reason.ptr, reason_part))
		fail_msg("reason '%s' does not say '%s'", reason.ptr, reason_part);
	assert_true(buf_starts_with(&reason, "test file '" PATH "' "));
	buf_release(&reason);
}

static void expect_fine(const char *from, const char *to)
{
	struct buf reason = BUF_INIT;

	if (judge(&reason, from, to) != 0)
		fail_msg("'%s' -> '%s' was refused: %s", from, to, reason.ptr);
	assert_int_equal(reason.len, 0);
	buf_release(&reason);
}

static void guard__unchanged_file_is_fine(void **state)
{
	struct buf reason = BUF_INIT;

	assert_int_equal(guard_test_weakening(&reason, PATH, base, strlen(base), base, strlen(base)), 0);
	buf_release(&reason);
}

static void guard__honest_edits_are_fine(void **state)
{
	/* a changed expectation, a new assert, a new test, an added import */
	expect_fine("== 0.5\n", "== 0.25\n");
	expect_fine("    assert div(1, 2) == 0.5\n", "    assert div(1, 2) == 0.5\n    assert div(0, 2) == 0\n");
	expect_fine("class TestCalc", "def test_new():\n    assert div(2, 2) == 1\n\n\nclass TestCalc");
	expect_fine("import unittest\n", "import unittest\nimport math\n");
	/* the helper (not a test) may go */
	expect_fine("    def helper(self):\n        return 1\n", "");
}

static void guard__deleted_assert(void **state)
{
	expect_weakened("    assert div(1, 2) == 0.5\n", "", "loses 1 assert (in test_div)");
	expect_weakened("        self.assertEqual(div(4, 2), 2)\n", "        pass\n",
			"loses 1 assert (in TestCalc.test_div)");
	/* both asserts of a test, one reason */
	expect_weakened("    assert div(6, 3) == 2\n    assert div(1, 2) == 0.5\n", "    pass\n",
			"loses 2 asserts (in test_div)");
}

static void guard__lost_raises_and_approx(void **state)
{
	expect_weakened("    with pytest.raises(ZeroDivisionError, match=\"zero\"):\n        div(1, 0)\n",
			"    div(1, 1)\n", "loses 1 pytest.raises (in test_div_by_zero)");
	expect_weakened("pytest.approx(0.3)", "0.3", "loses 1 pytest.approx (in test_area)");
}

static void guard__removed_or_renamed_test(void **state)
{
	expect_weakened("def test_area():", "def check_area():", "removes or renames test 'test_area'");
	expect_weakened("    def test_div(self):", "    def _test_div(self):",
			"removes or renames test 'TestCalc.test_div'");
	expect_weakened("\n\ndef test_area():\n    assert area(0.1, 3) == pytest.approx(0.3)\n", "",
			"removes or renames test 'test_area'");
}

static void guard__trivially_true_asserts(void **state)
{
	expect_weakened("div(6, 3) == 2", "True", "makes 1 assert trivially true (in test_div)");
	expect_weakened("div(6, 3) == 2", "1", "trivially true");
	expect_weakened("div(6, 3) == 2", "div(6, 3) == 2 or True", "trivially true");
	expect_weakened("div(6, 3) == 2", "div(6, 3) == div(6, 3)", "trivially true");
	expect_weakened("div(6, 3) == 2", "(div(6, 3) == 2, \"msg\")", "trivially true");
	expect_weakened("div(6, 3) == 2", "not None", "trivially true");
	expect_weakened("self.assertEqual(div(4, 2), 2)", "self.assertEqual(div(4, 2), div(4, 2))",
			"makes 1 assert trivially true (in TestCalc.test_div)");
	expect_weakened("self.assertEqual(div(4, 2), 2)", "self.assertTrue(True)", "trivially true");
	/* not trivial */
	expect_fine("div(6, 3) == 2", "div(6, 3) == 2 or div(6, 3) == 2.0");
	expect_fine("div(6, 3) == 2", "div(6, 3) != 0");
}

static void guard__new_skips_and_xfails(void **state)
{
	expect_weakened("def test_div():", "@pytest.mark.skip(reason=\"later\")\ndef test_div():",
			"adds 1 skip or xfail (in test_div)");
	expect_weakened("def test_div():", "@pytest.mark.skipif(True, reason=\"x\")\ndef test_div():",
			"skip or xfail");
	expect_weakened("def test_div():", "@pytest.mark.xfail\ndef test_div():", "skip or xfail");
	expect_weakened("    assert div(6, 3) == 2\n", "    pytest.skip(\"later\")\n    assert div(6, 3) == 2\n",
			"adds 1 skip or xfail (in test_div)");
	expect_weakened("    assert div(6, 3) == 2\n", "    pytest.xfail(\"x\")\n    assert div(6, 3) == 2\n",
			"skip or xfail");
	expect_weakened("    def test_div(self):", "    @unittest.skip(\"x\")\n    def test_div(self):",
			"adds 1 skip or xfail (in TestCalc.test_div)");
	expect_weakened("class TestCalc", "@unittest.skip(\"x\")\nclass TestCalc",
			"adds 1 skip or xfail (in TestCalc)");
	expect_weakened("import unittest\n", "import unittest\npytestmark = pytest.mark.skip\n",
			"adds 1 skip or xfail (at module level)");
	expect_weakened("        self.assertEqual(div(4, 2), 2)\n",
			"        self.skipTest(\"x\")\n        self.assertEqual(div(4, 2), 2)\n",
			"skip or xfail");
}

static void guard__return_before_the_asserts(void **state)
{
	expect_weakened("def test_div():\n", "def test_div():\n    return\n",
			"adds 1 return before an assert (in test_div)");
	expect_weakened("    assert div(1, 2) == 0.5\n", "    if div(1, 2):\n        return\n    assert div(1, 2) == 0.5\n",
			"return before an assert");
	/* a return after every assert does not hide any */
	expect_fine("    assert div(1, 2) == 0.5\n", "    assert div(1, 2) == 0.5\n    return\n");
}

static void guard__raises_widened_to_exception(void **state)
{
	expect_weakened("pytest.raises(ZeroDivisionError, match=\"zero\")",
			"pytest.raises(Exception, match=\"zero\")",
			"widens 1 pytest.raises to Exception (in test_div_by_zero)");
	expect_weakened("pytest.raises(ZeroDivisionError, match=\"zero\")",
			"pytest.raises((ZeroDivisionError, BaseException), match=\"zero\")",
			"widens 1 pytest.raises to Exception");
	expect_weakened("pytest.raises(ZeroDivisionError, match=\"zero\")",
			"pytest.raises(ZeroDivisionError)", "drops 1 match= from pytest.raises");
	expect_weakened("pytest.approx(0.3)", "pytest.approx(0.3, abs=1)",
			"widens 1 pytest.approx tolerance (in test_area)");
}

static void guard__asserts_caught_in_try(void **state)
{
	expect_weakened("    assert div(6, 3) == 2\n",
			"    try:\n        assert div(6, 3) == 2\n    except AssertionError:\n        pass\n",
			"swallows 1 assert failure in try/except (in test_div)");
	expect_weakened("    assert div(6, 3) == 2\n",
			"    try:\n        assert div(6, 3) == 2\n    except:\n        pass\n", "swallows 1 assert failure");
	expect_weakened("        self.assertEqual(div(4, 2), 2)\n",
			"        try:\n            self.assertEqual(div(4, 2), 2)\n        except (ValueError, Exception):\n            pass\n",
			"swallows 1 assert failure in try/except (in TestCalc.test_div)");
	/* a narrow except around an assert is the test's business */
	expect_fine("    assert div(6, 3) == 2\n",
		    "    try:\n        assert div(6, 3) == 2\n    except KeyError:\n        pass\n");
}

static void guard__broken_file(void **state)
{
	expect_weakened("def test_area():", "def test_area(:", "no longer parses (line ");
}

static void guard__several_reasons_joined(void **state)
{
	struct buf reason = BUF_INIT;

	assert_int_equal(judge(&reason, "    assert div(6, 3) == 2\n    assert div(1, 2) == 0.5\n",
			       "    pytest.skip(\"x\")\n"), 1);
	assert_non_null(strstr(reason.ptr, "loses 2 asserts (in test_div); adds 1 skip or xfail (in test_div)"));
	buf_release(&reason);
}

static void guard__test_files(void **state)
{
	assert_true(guard_is_test_file("tests/test_calc.py"));
	assert_true(guard_is_test_file("tests/helpers.py"));
	assert_true(guard_is_test_file("tests/data/expected.json"));
	assert_true(guard_is_test_file("pkg/tests/util.py"));
	assert_true(guard_is_test_file("test/util.py"));
	assert_true(guard_is_test_file("test_calc.py"));
	assert_true(guard_is_test_file("src/pkg/test_calc.py"));
	assert_true(guard_is_test_file("src/pkg/calc_test.py"));
	assert_true(guard_is_test_file("conftest.py"));
	assert_true(guard_is_test_file("src/conftest.py"));
	assert_false(guard_is_test_file("src/calc.py"));
	assert_false(guard_is_test_file("calc.py"));
	assert_false(guard_is_test_file("src/testing.py"));
	assert_false(guard_is_test_file("src/contest.py"));
	assert_false(guard_is_test_file("src/test_data.json"));
	assert_false(guard_is_test_file("attest/x.py"));
}

/* -- the configuration guard ------------------------------------------------ */

static const char conftest[] =
	"\"\"\"Shared fixtures.\"\"\"\n"
	"import os\n"
	"\n"
	"import pytest\n"
	"\n"
	"\n"
	"@pytest.fixture\n"
	"def numbers():\n"
	"    return [1, 2, 3]\n";

/* `path` going from `before` to `after`: the verdict, and the reason must hold `part` */
static void expect_config(const char *path, const char *before, const char *after, int verdict,
			  const char *part)
{
	struct buf reason = BUF_INIT;
	int r = guard_config_change(&reason, path, before, strlen(before), after, strlen(after));

	if (r != verdict)
		fail_msg("'%s': got %d, want %d (reason '%s')", path, r, verdict, reason.ptr);
	if (part && !strstr(reason.ptr, part))
		fail_msg("reason '%s' does not say '%s'", reason.ptr, part);
	if (!part)
		assert_int_equal(reason.len, 0);
	buf_release(&reason);
}

/* conftest plus `extra` at its end */
static void expect_conftest(const char *extra, int verdict, const char *part)
{
	struct buf after = BUF_INIT;

	buf_adds(&after, conftest);
	buf_adds(&after, extra);
	expect_config("tests/conftest.py", conftest, after.ptr, verdict, part);
	buf_release(&after);
}

static void guard__a_hook_that_passes_every_failure(void **state)
{
	(void)state;
	expect_conftest("\n\n@pytest.hookimpl(hookwrapper=True)\n"
			"def pytest_runtest_makereport(item, call):\n"
			"    outcome = yield\n"
			"    rep = outcome.get_result()\n"
			"    if rep.failed:\n"
			"        rep.outcome = \"passed\"\n",
			1, "'tests/conftest.py' adds the pytest hook 'pytest_runtest_makereport'");
	/* the hook alone is named: not again as a statement outside fixtures */
	expect_conftest("\n\ndef pytest_configure(config):\n    pass\n", 1,
			"'tests/conftest.py' adds the pytest hook 'pytest_configure'");
	{
		struct buf reason = BUF_INIT, after = BUF_INIT;
		buf_adds(&after, conftest);
		buf_adds(&after, "\n\ndef pytest_configure(config):\n    pass\n");
		assert_int_equal(guard_config_change(&reason, "conftest.py", conftest, strlen(conftest),
						     after.ptr, after.len), 1);
		assert_null(strstr(reason.ptr, "statement"));
		buf_release(&reason);
		buf_release(&after);
	}
}

static void guard__conftest_fixtures_and_tests_are_test_code(void **state)
{
	(void)state;
	expect_conftest("\n\n@pytest.fixture(autouse=True)\ndef env(monkeypatch):\n"
			"    monkeypatch.setenv(\"X\", \"1\")\n", 0, NULL);
	expect_conftest("\n\n@fixture\ndef other():\n    return 2\n", 0, NULL);
	expect_conftest("\n\ndef test_here():\n    assert 1 + 1 == 2\n", 0, NULL);
	expect_conftest("# a comment\nimport math\nfrom decimal import Decimal\n", 0, NULL);
	/* a fixture's body may change */
	expect_config("conftest.py", conftest, "\"\"\"Shared fixtures.\"\"\"\nimport os\n\nimport pytest\n\n\n"
		      "@pytest.fixture\ndef numbers():\n    return [1, 2, 3, 4]\n", 0, NULL);
}

static void guard__conftest_module_code_and_plugins(void **state)
{
	(void)state;
	expect_conftest("\nos.environ[\"CALC_MODE\"] = \"lenient\"\n", 1,
			"'tests/conftest.py' changes 1 statement outside test functions and fixtures "
			"('os.environ[\"CALC_MODE\"] = \"lenient\"')");
	expect_conftest("\nimport calc\ncalc.div = lambda a, b: 0\n", 1, "calc.div = lambda a, b: 0");
	expect_conftest("\ndef helper():\n    return 1\n", 1, "outside test functions and fixtures");
	expect_conftest("\npytest_plugins = [\"myplugin\"]\n", 1, "adds 'pytest_plugins' (plugins)");
	expect_conftest("\nfrom myplugin import pytest_runtest_makereport\n", 1,
			"('from myplugin import pytest_runtest_makereport')");
	expect_conftest("\nfrom myplugin import *\n", 1, "('from myplugin import *')");
	/* removing module code counts too */
	expect_config("tests/conftest.py", "import os\nos.environ[\"A\"] = \"1\"\n", "import os\n", 1,
		      "changes 1 statement outside test functions and fixtures ('os.environ[\"A\"] = \"1\"')");
}

static void guard__hooks_in_any_python_file(void **state)
{
	static const char plugin[] = "class Plugin:\n    def helper(self):\n        return 1\n";
	(void)state;
	expect_config("src/calc.py", "def add(a, b):\n    return a - b\n",
		      "def add(a, b):\n    return a + b\n", 0, NULL);
	expect_config("src/plugin.py", plugin,
		      "class Plugin:\n    def helper(self):\n        return 1\n\n"
		      "    def pytest_collection_modifyitems(self, items):\n        items[:] = []\n", 1,
		      "'src/plugin.py' adds the pytest hook 'pytest_collection_modifyitems'");
	expect_config("src/plugin.py", "def pytest_report_header():\n    return 'a'\n",
		      "def pytest_report_header():\n    return 'b'\n", 1,
		      "changes the pytest hook 'pytest_report_header'");
	expect_config("src/plugin.py", "def pytest_report_header():\n    return 'a'\n", "", 1,
		      "removes the pytest hook 'pytest_report_header'");
	expect_config("tests/test_calc.py", "def test_a():\n    assert 1\n",
		      "pytest_plugins = ['evil']\n\n\ndef test_a():\n    assert 1\n", 1,
		      "'tests/test_calc.py' adds 'pytest_plugins' (plugins)");
	expect_config("setup.py", "from setuptools import setup\nsetup(name='calc')\n",
		      "from setuptools import setup\nsetup(name='calc', entry_points={'pytest11': ['x = x']})\n",
		      1, "'setup.py' adds a pytest plugin entry point ('pytest11')");
}

static void guard__pytest_configuration_files(void **state)
{
	static const char tox[] = "[tox]\nenvlist = py311\n\n[pytest]\ntestpaths = tests\n";
	static const char cfg[] = "[metadata]\nname = calc\n\n[tool:pytest]\ntestpaths = tests\n";
	static const char toml[] = "[project]\nname = \"calc\"\n\n[tool.pytest.ini_options]\n"
				   "testpaths = [\"tests\"]\n\n[tool.black]\nline-length = 99\n";
	(void)state;
	expect_config("pytest.ini", "", "[pytest]\naddopts = -p myplugin\n", 1,
		      "'pytest.ini' is pytest's configuration file, which the change creates, "
		      "adding a plugin with '-p' in addopts");
	expect_config("sub/pytest.ini", "[pytest]\n", "[pytest]\nxfail_strict = false\n", 1,
		      "'sub/pytest.ini' is pytest's configuration file, which the change edits");
	expect_config("pytest.ini", "[pytest]\n", "[pytest]\n", 0, NULL);
	expect_config("tox.ini", tox, "[tox]\nenvlist = py312\n\n[pytest]\ntestpaths = tests\n", 0, NULL);
	expect_config("tox.ini", tox, "[tox]\nenvlist = py311\n\n[pytest]\ntestpaths = tests\naddopts = -pno:x\n",
		      1, "'tox.ini' changes pytest's configuration (its [pytest] section), adding a plugin");
	expect_config("setup.cfg", cfg, "[metadata]\nname = calc2\n\n[tool:pytest]\ntestpaths = tests\n", 0, NULL);
	expect_config("setup.cfg", cfg, "[metadata]\nname = calc\n\n[tool:pytest]\ntestpaths = other\n", 1,
		      "'setup.cfg' changes pytest's configuration (its [tool:pytest] section)");
	expect_config("pyproject.toml", toml, "[project]\nname = \"calc\"\n\n[tool.pytest.ini_options]\n"
		      "testpaths = [\"tests\"]\n\n[tool.black]\nline-length = 100\n", 0, NULL);
	expect_config("pyproject.toml", toml, "[project]\nname = \"calc\"\n\n[tool.pytest.ini_options]\n"
		      "testpaths = [\"tests\"]\naddopts = \"--deselect tests/test_a.py\"\n\n[tool.black]\n"
		      "line-length = 99\n", 1,
		      "'pyproject.toml' changes pytest's configuration (its [tool.pytest.ini_options] table)");
	expect_config("pyproject.toml", toml, "[project.entry-points.pytest11]\nx = \"x\"\n", 1,
		      "adds a pytest plugin entry point ('pytest11')");
	expect_config("tox.ini", tox, "[tox]\nenvlist = py311\n\n[testenv]\nsetenv = PYTEST_ADDOPTS=-p evil\n\n"
		      "[pytest]\ntestpaths = tests\n", 1,
		      "'tox.ini' sets pytest's environment variable 'PYTEST_ADDOPTS'");
	/* a tox.ini somewhere else with no [pytest] gained */
	expect_config("docs/tox.ini", "", "[tox]\n", 0, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(guard__unchanged_file_is_fine),
		cmocka_unit_test(guard__honest_edits_are_fine),
		cmocka_unit_test(guard__deleted_assert),
		cmocka_unit_test(guard__lost_raises_and_approx),
		cmocka_unit_test(guard__removed_or_renamed_test),
		cmocka_unit_test(guard__trivially_true_asserts),
		cmocka_unit_test(guard__new_skips_and_xfails),
		cmocka_unit_test(guard__return_before_the_asserts),
		cmocka_unit_test(guard__raises_widened_to_exception),
		cmocka_unit_test(guard__asserts_caught_in_try),
		cmocka_unit_test(guard__broken_file),
		cmocka_unit_test(guard__several_reasons_joined),
		cmocka_unit_test(guard__test_files),
		cmocka_unit_test(guard__a_hook_that_passes_every_failure),
		cmocka_unit_test(guard__conftest_fixtures_and_tests_are_test_code),
		cmocka_unit_test(guard__conftest_module_code_and_plugins),
		cmocka_unit_test(guard__hooks_in_any_python_file),
		cmocka_unit_test(guard__pytest_configuration_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
