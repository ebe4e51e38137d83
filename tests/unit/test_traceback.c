/*
 * The traceback-text parser (src/runner/traceback.c). The inputs are real
 * pytest 7.2 / Python 3.11 output, trimmed; tests/fixtures/junit/ drives it
 * further through the JUnit reader.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "runner/result.h"
#include "runner/traceback.h"
#include "util/buf.h"
#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROOT "/home/dev/proj"

struct want {
	const char *file;
	int line;
	const char *function;  /* NULL: none */
};

/* parse `text` into a fresh failure and compare its frames with `want` */
static void check_frames(const char *text, const char *root, const struct want *want, size_t nr)
{
	struct test_result res = TEST_RESULT_INIT;
	struct failure *f = test_result_add_failure(&res, "t");
	size_t i;

	assert_int_equal(traceback_parse_frames(f, text, strlen(text), root), (int)nr);
	if (f->nr_frames != nr) {
		for (i = 0; i < f->nr_frames; i++)
			fprintf(stderr, "  got %s:%d %s\n", f->frames[i].file, f->frames[i].line,
				f->frames[i].function ? f->frames[i].function : "(none)");
	}
	assert_int_equal(f->nr_frames, nr);
	for (i = 0; i < nr; i++) {
		assert_string_equal(f->frames[i].file, want[i].file);
		assert_int_equal(f->frames[i].line, want[i].line);
		if (want[i].function)
			assert_string_equal(f->frames[i].function, want[i].function);
		else
			assert_null(f->frames[i].function);
	}
	test_result_release(&res);
}

static void check_exception(const char *text, const char *type, const char *message)
{
	char *t = NULL, *m = NULL;
	int found = traceback_parse_exception(&t, &m, text, strlen(text));
	assert_int_equal(found, type || message);
	if (type)
		assert_string_equal(t, type);
	else
		assert_null(t);
	if (message)
		assert_string_equal(m, message);
	else
		assert_null(m);
	free(t);
	free(m);
}

/* --tb=auto: long entries first and last, short ones between */
static const char long_text[] =
	"self = <test_calc.TestDiv object at 0x7f244496da10>, a = 1, b = 0, expected = 0\n"
	"\n"
	"    @pytest.mark.parametrize(\"a,b,expected\", [(4, 2, 2), (1, 0, 0)])\n"
	"    def test_div(self, a, b, expected):\n"
	">       assert divide(a, b) == expected\n"
	"\n"
	"tests/test_calc.py:43: \n"
	"_ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ \n"
	"src/calc.py:10: in mean\n"
	"    return divide(sum(values), len(values))\n"
	"_ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ \n"
	"\n"
	"a = 1, b = 0\n"
	"\n"
	"    def divide(a, b):\n"
	"        def helper():\n"
	"            pass\n"
	">       return a / b\n"
	"E       ZeroDivisionError: division by zero\n"
	"\n"
	"src/calc.py:6: ZeroDivisionError\n";

static void traceback__long_format_takes_functions_from_the_source(void **state)
{
	static const struct want want[] = {
		{ "tests/test_calc.py", 43, "test_div" },
		{ "src/calc.py", 10, "mean" },
		{ "src/calc.py", 6, "divide" },
	};
	(void)state;
	check_frames(long_text, ROOT, want, ARRAY_SIZE(want));
	check_exception(long_text, "ZeroDivisionError", "division by zero");
}

static void traceback__short_format(void **state)
{
	static const char text[] =
		"tests/test_calc.py:15: in test_mean_empty\n"
		"    assert mean([]) == 0\n"
		"src/calc.py:10: in mean\n"
		"    return divide(sum(values), len(values))\n"
		"src/calc.py:6: in divide\n"
		"    return a / b\n"
		"E   ZeroDivisionError: division by zero\n";
	static const struct want want[] = {
		{ "tests/test_calc.py", 15, "test_mean_empty" },
		{ "src/calc.py", 10, "mean" },
		{ "src/calc.py", 6, "divide" },
	};
	(void)state;
	check_frames(text, ROOT, want, ARRAY_SIZE(want));
	check_exception(text, "ZeroDivisionError", "division by zero");
}

static void traceback__native_format_with_carets(void **state)
{
	static const char text[] =
		"Traceback (most recent call last):\n"
		"  File \"/home/dev/proj/tests/test_calc.py\", line 15, in test_mean_empty\n"
		"    assert mean([]) == 0\n"
		"  File \"/home/dev/proj/src/calc.py\", line 10, in mean\n"
		"    return divide(sum(values), len(values))\n"
		"           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
		"  File \"/usr/lib/python3/dist-packages/_pytest/outcomes.py\", line 194, in fail\n"
		"    raise Failed(msg=reason, pytrace=pytrace)\n"
		"  File \"/home/dev/proj/src/calc.py\", line 6, in divide\n"
		"    return a / b\n"
		"           ~~^~~\n"
		"ZeroDivisionError: division by zero\n";
	static const struct want want[] = {
		{ "tests/test_calc.py", 15, "test_mean_empty" },
		{ "src/calc.py", 10, "mean" },
		{ "src/calc.py", 6, "divide" },
	};
	(void)state;
	check_frames(text, ROOT, want, ARRAY_SIZE(want));
	check_exception(text, "ZeroDivisionError", "division by zero");
}

static void traceback__chained_native_keeps_the_last_block(void **state)
{
	static const char text[] =
		"Traceback (most recent call last):\n"
		"  File \"/home/dev/proj/src/rates.py\", line 5, in helper\n"
		"    {}[\"k\"]\n"
		"    ~~^^^^^\n"
		"KeyError: 'k'\n"
		"\n"
		"The above exception was the direct cause of the following exception:\n"
		"\n"
		"Traceback (most recent call last):\n"
		"  File \"/home/dev/proj/tests/test_out.py\", line 12, in test_print\n"
		"    helper()\n"
		"  File \"/home/dev/proj/src/rates.py\", line 7, in helper\n"
		"    raise ValueError(\"bad lookup\") from e\n"
		"ValueError: bad lookup\n";
	static const struct want want[] = {
		{ "tests/test_out.py", 12, "test_print" },
		{ "src/rates.py", 7, "helper" },
	};
	(void)state;
	check_frames(text, ROOT, want, ARRAY_SIZE(want));
	check_exception(text, "ValueError", "bad lookup");
}

static void traceback__chained_long_keeps_the_last_block(void **state)
{
	static const char text[] =
		"def test_raise_in_except():\n"
		"        try:\n"
		">           1/0\n"
		"E           ZeroDivisionError: division by zero\n"
		"\n"
		"tests/test_out.py:16: ZeroDivisionError\n"
		"\n"
		"During handling of the above exception, another exception occurred:\n"
		"\n"
		"    def test_raise_in_except():\n"
		"        try:\n"
		"            1/0\n"
		"        except ZeroDivisionError:\n"
		">           raise RuntimeError(\"while handling\")\n"
		"E           RuntimeError: while handling\n"
		"\n"
		"tests/test_out.py:18: RuntimeError\n";
	static const struct want want[] = {
		{ "tests/test_out.py", 18, "test_raise_in_except" },
	};
	(void)state;
	check_frames(text, ROOT, want, ARRAY_SIZE(want));
	check_exception(text, "RuntimeError", "while handling");
}

static void traceback__line_format(void **state)
{
	static const char text[] =
		"/home/dev/proj/src/calc.py:6: ZeroDivisionError: division by zero\n";
	static const struct want want[] = {
		{ "src/calc.py", 6, NULL },
	};
	(void)state;
	check_frames(text, ROOT, want, ARRAY_SIZE(want));
	check_exception(text, "ZeroDivisionError", "division by zero");
}

static void traceback__keeps_only_project_files(void **state)
{
	static const char text[] =
		"/usr/lib/python3.11/importlib/__init__.py:126: in import_module\n"
		"    return _bootstrap._gcd_import(name[level:], package, level)\n"
		"<frozen importlib._bootstrap>:1206: in _gcd_import\n"
		"    ???\n"
		"../other/lib.py:3: in outside\n"
		"    x()\n"
		".venv/lib/python3.11/site-packages/requests/api.py:59: in get\n"
		"    return request(\"get\", url, params=params, **kwargs)\n"
		"/home/dev/project-b/x.py:1: in neighbour\n"
		"    y()\n"
		"/home/dev/proj/./tests//test_x.py:2: in <module>\n"
		"    import app\n"
		"src/app/../app/config.py:5: in load\n"
		"    z()\n"
		"./src/app/config.py:8: in <module>\n"
		"    SETTINGS = load()\n"
		"E   KeyError: 'APP_CONFIG_PATH'\n";
	static const struct want want[] = {
		{ "tests/test_x.py", 2, "<module>" },
		{ "src/app/config.py", 8, "<module>" },
	};
	(void)state;
	check_frames(text, ROOT, want, ARRAY_SIZE(want));
	check_exception(text, "KeyError", "'APP_CONFIG_PATH'");
}

static void traceback__without_root_keeps_relative_paths(void **state)
{
	static const char text[] =
		"/home/dev/proj/tests/test_x.py:2: in test_x\n"
		"    f()\n"
		"src/calc.py:6: in f\n"
		"    return 1 / 0\n";
	static const struct want want[] = {
		{ "src/calc.py", 6, "f" },
	};
	(void)state;
	check_frames(text, NULL, want, ARRAY_SIZE(want));
}

static void traceback__syntax_error_location_is_the_deepest_frame(void **state)
{
	static const char text[] =
		"/usr/lib/python3/dist-packages/_pytest/python.py:618: in _importtestmodule\n"
		"    mod = import_path(self.path, mode=importmode, root=self.config.rootpath)\n"
		"/usr/lib/python3.11/ast.py:50: in parse\n"
		"    return compile(source, filename, mode, flags,\n"
		"E     File \"/home/dev/proj/tests/test_syntax.py\", line 4\n"
		"E       def broken(:\n"
		"E                  ^\n"
		"E   SyntaxError: invalid syntax\n";
	static const struct want want[] = {
		{ "tests/test_syntax.py", 4, NULL },
	};
	(void)state;
	check_frames(text, ROOT, want, ARRAY_SIZE(want));
	check_exception(text, "SyntaxError", "invalid syntax");
}

static void traceback__ignores_tracebacks_quoted_in_messages(void **state)
{
	static const char text[] =
		"tests/test_worker.py:9: in test_pool\n"
		"    pool.run()\n"
		"E   RemoteError: worker died\n"
		"E   Traceback (most recent call last):\n"
		"E     File \"/home/dev/proj/src/worker.py\", line 3, in work\n"
		"E       raise OSError\n";
	static const struct want want[] = {
		{ "tests/test_worker.py", 9, "test_pool" },
	};
	(void)state;
	check_frames(text, ROOT, want, ARRAY_SIZE(want));
	check_exception(text, "RemoteError",
			"worker died\nTraceback (most recent call last):\n"
			"  File \"/home/dev/proj/src/worker.py\", line 3, in work\n    raise OSError");
}

static void traceback__stops_at_captured_output(void **state)
{
	static const char text[] =
		"tests/test_out.py:3: in test_print\n"
		"    boom()\n"
		"E   ValueError: x\n"
		"----------------------------- Captured stdout call -----------------------------\n"
		"tests/fake.py:99: in not_a_frame\n"
		"E   KeyError: not the exception\n";
	static const struct want want[] = {
		{ "tests/test_out.py", 3, "test_print" },
	};
	(void)state;
	check_frames(text, ROOT, want, ARRAY_SIZE(want));
	check_exception(text, "ValueError", "x");
}

static void traceback__rejects_bad_line_numbers_and_prose(void **state)
{
	static const char text[] =
		"tests/a.py:0: in zero\n"
		"tests/a.py:1234567890: in too_long\n"
		"tests/a.py:12x: in junk\n"
		"tests/a.txt:3: in not_python\n"
		"Hint: make sure your test modules/packages have valid Python names.\n"
		"    @pytest.mark.parametrize(\"x:1:y.py\", [1])\n"
		">   tests/a.py:4: in marked\n"
		"  File \"/home/dev/proj/a.py\", line , in nothing\n"
		"  File \"/home/dev/proj/a.py\", line 7x, in junk\n"
		"tests/a.py:5\r\n"
		"tests/b.py:6: in crlf\r\n";
	static const struct want want[] = {
		{ "tests/a.py", 5, NULL },
		{ "tests/b.py", 6, "crlf" },
	};
	(void)state;
	check_frames(text, ROOT, want, ARRAY_SIZE(want));
	check_frames("", ROOT, NULL, 0);
}

static void traceback__missing_fixture_points_at_the_test(void **state)
{
	static const char text[] =
		"file /home/dev/proj/tests/test_fixtures.py, line 13\n"
		"  def test_missing_fixture(nope):\n"
		"E       fixture 'nope' not found\n"
		">       available fixtures: capfd, capsys, tmp_path\n"
		">       use 'pytest --fixtures [testpath]' for help on them.\n"
		"\n"
		"/home/dev/proj/tests/test_fixtures.py:13\n";
	static const struct want want[] = {
		{ "tests/test_fixtures.py", 13, "test_missing_fixture" },
	};
	(void)state;
	check_frames(text, ROOT, want, ARRAY_SIZE(want));
	check_exception(text, NULL, "fixture 'nope' not found");
}

static void traceback__assert_type_comes_from_the_crash_line(void **state)
{
	static const char text[] =
		"def test_add_wrong():\n"
		">       assert add(1, 2) == 4\n"
		"E       assert 3 == 4\n"
		"E        +  where 3 = add(1, 2)\n"
		"\n"
		"tests/test_calc.py:11: AssertionError\n";
	static const char native[] =
		"Traceback (most recent call last):\n"
		"  File \"/home/dev/proj/tests/test_calc.py\", line 11, in test_add_wrong\n"
		"    assert add(1, 2) == 4\n"
		"AssertionError: assert 3 == 4\n"
		" +  where 3 = add(1, 2)\n";
	(void)state;
	check_exception(text, "AssertionError", "assert 3 == 4\n +  where 3 = add(1, 2)");
	check_exception(native, "AssertionError", "assert 3 == 4\n +  where 3 = add(1, 2)");
	check_exception("E   assert 3 == 4\n", NULL, "assert 3 == 4");
	check_exception("no traceback here\n", NULL, NULL);
}

static void check_path(const char *path, const char *root, const char *want)
{
	char *got = traceback_project_path(path, strlen(path), root);
	if (want)
		assert_string_equal(got, want);
	else
		assert_null(got);
	free(got);
}

static void traceback__project_paths(void **state)
{
	(void)state;
	check_path("/home/dev/proj/src/calc.py", ROOT, "src/calc.py");
	check_path("/home/dev/proj/src/calc.py", ROOT "/", "src/calc.py");
	check_path("/home/dev/proj//src/./calc.py", ROOT, "src/calc.py");
	check_path("./src/calc.py", ROOT, "src/calc.py");
	check_path("src/calc.py", NULL, "src/calc.py");
	check_path("/home/dev/proj", ROOT, NULL);
	check_path("/home/dev/projx/a.py", ROOT, NULL);
	check_path("/home/dev/proj/src/calc.py", NULL, NULL);
	check_path("/home/dev/proj/src/calc.py", "", NULL);
	check_path("src/../../etc/passwd", ROOT, NULL);
	check_path("venv/lib/python3.11/site-packages/x.py", ROOT, NULL);
	check_path("/usr/lib/python3/dist-packages/_pytest/python.py", "/", NULL);
	check_path("<frozen os>", ROOT, NULL);
	check_path("", ROOT, NULL);
}

static void check_split(const char *text, int found, const char *type, const char *message)
{
	char *t = NULL, *m = NULL;
	assert_int_equal(traceback_split_exception(&t, &m, text, strlen(text)), found);
	if (type)
		assert_string_equal(t, type);
	else
		assert_null(t);
	if (message)
		assert_string_equal(m, message);
	else
		assert_null(m);
	free(t);
	free(m);
}

static void traceback__split_exception(void **state)
{
	(void)state;
	check_split("ZeroDivisionError: division by zero", 1, "ZeroDivisionError", "division by zero");
	check_split("pkg.errors.ParseError: line 3: bad", 1, "pkg.errors.ParseError", "line 3: bad");
	check_split("Failed: not implemented yet", 1, "Failed", "not implemented yet");
	check_split("AssertionError: total\nassert 4 == 5", 1, "AssertionError", "total\nassert 4 == 5");
	check_split("KeyboardInterrupt", 1, "KeyboardInterrupt", NULL);
	check_split("ValueError:", 1, "ValueError", NULL);
	check_split("assert 1 == 2", 0, NULL, NULL);
	check_split("assert x: y", 0, NULL, NULL);
	check_split("Failed", 0, NULL, NULL);          /* Go's message="Failed" */
	check_split("[XPASS(strict)] bug 14", 0, NULL, NULL);
	check_split("ValueError:x", 0, NULL, NULL);
	check_split("Value Error: x", 0, NULL, NULL);
	check_split("pkg.: x", 0, NULL, NULL);
	check_split("", 0, NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(traceback__long_format_takes_functions_from_the_source),
		cmocka_unit_test(traceback__short_format),
		cmocka_unit_test(traceback__native_format_with_carets),
		cmocka_unit_test(traceback__chained_native_keeps_the_last_block),
		cmocka_unit_test(traceback__chained_long_keeps_the_last_block),
		cmocka_unit_test(traceback__line_format),
		cmocka_unit_test(traceback__keeps_only_project_files),
		cmocka_unit_test(traceback__without_root_keeps_relative_paths),
		cmocka_unit_test(traceback__syntax_error_location_is_the_deepest_frame),
		cmocka_unit_test(traceback__ignores_tracebacks_quoted_in_messages),
		cmocka_unit_test(traceback__stops_at_captured_output),
		cmocka_unit_test(traceback__rejects_bad_line_numbers_and_prose),
		cmocka_unit_test(traceback__missing_fixture_points_at_the_test),
		cmocka_unit_test(traceback__assert_type_comes_from_the_crash_line),
		cmocka_unit_test(traceback__project_paths),
		cmocka_unit_test(traceback__split_exception),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
