/*
 * Unit tests of src/engine/prompt: the prompt for one failure in the small
 * project of tests/fixtures/prompt/ (tests/test_core.py -> src/calc/core.py
 * -> src/calc/util.py).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine/prompt.h"
#include "runner/result.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROJECT FIXTURES_DIR "/prompt"

/* test_average_empty: ZeroDivisionError in average(), called from the test */
static void make_failure(struct test_result *res, struct failure **out)
{
	struct failure *f;

	test_result_init(res);
	f = test_result_add_failure(res, "tests/test_core.py::test_average_empty");
	failure_split_id(f);
	f->kind = FAILURE_KIND_FAILURE;
	f->error_type = xstrdup("ZeroDivisionError");
	f->message = xstrdup("division by zero");
	failure_add_frame(f, "tests/test_core.py", 5, "test_average_empty");
	failure_add_frame(f, "src/calc/core.py", 210, "average");
	failure_add_frame(f, "/usr/lib/python3/dist-packages/whatever.py", 3, "lib");
	failure_locate_from_frames(f);
	free(f->loc_file);
	f->loc_file = xstrdup("src/calc/core.py");
	f->loc_line = 210;
	f->traceback = xstrdup("tests/test_core.py:5: in test_average_empty\n    assert average([]) == 0\n"
			       "src/calc/core.py:210: in average\n"
			       "    return clamp(total / len(values), 0, 100)\n"
			       "E   ZeroDivisionError: division by zero\n");
	*out = f;
}

static void build(struct buf *sys, struct buf *user, const struct prompt_input *in)
{
	assert_int_equal(prompt_build(sys, user, in), 0);
	assert_true(utf8_is_valid(sys->ptr, sys->len));
	assert_true(utf8_is_valid(user->ptr, user->len));
	assert_true(sys->len + user->len <= PROMPT_TOTAL_CAP);
}

static void prompt__shows_function_numbered_and_test(void **state)
{
	struct test_result res;
	struct failure *f;
	struct prompt_input in = { 0 };
	struct buf sys = BUF_INIT, user = BUF_INIT;
	const char *fn, *test;

	(void)state;
	make_failure(&res, &f);
	in.failure = f;
	in.root = PROJECT;
	build(&sys, &user, &in);

	/* the reply format and the rules */
	assert_non_null(strstr(sys.ptr, "old_str"));
	assert_non_null(strstr(sys.ptr, "new_content"));
	assert_non_null(strstr(sys.ptr, "\"patch\""));
	assert_non_null(strstr(sys.ptr, "Never weaken a test"));
	assert_non_null(strstr(sys.ptr, "Do not edit test files"));
	/* the failure */
	assert_non_null(strstr(user.ptr, "Test: tests/test_core.py::test_average_empty"));
	assert_non_null(strstr(user.ptr, "Error type: ZeroDivisionError"));
	assert_non_null(strstr(user.ptr, "division by zero"));
	assert_non_null(strstr(user.ptr, "Raised at: src/calc/core.py:210"));
	/* the crash function, line-numbered, the crash line marked, first */
	fn = strstr(user.ptr, "### src/calc/core.py: function `average`, lines 205-210; line 210 is where the error was raised");
	assert_non_null(fn);
	assert_non_null(strstr(user.ptr, "    205 | def average(values):\n"));
	assert_non_null(strstr(user.ptr, ">   210 |     return clamp(total / len(values), 0, 100)\n"));
	/* not the rest of the big file */
	assert_null(strstr(user.ptr, "padding_00"));
	/* the test file, small: whole, after the crash function, marked read-only */
	test = strstr(user.ptr, "### tests/test_core.py (the whole file, 9 lines); line 5 is in the call chain [test file: read-only]");
	assert_non_null(test);
	assert_true(test > fn);
	assert_non_null(strstr(user.ptr, ">     5 |     assert average([]) == 0\n"));
	/* the small helper module is not a frame: not shown; the library frame neither */
	assert_null(strstr(user.ptr, "dist-packages/whatever.py\n"));
	assert_null(strstr(user.ptr, "### src/calc/util.py"));
	/* no previous attempt, no mode, no user text */
	assert_null(strstr(user.ptr, "previous attempt"));
	assert_null(strstr(user.ptr, "Preferred edit mode"));

	buf_release(&sys);
	buf_release(&user);
	test_result_release(&res);
}

static void prompt__test_function_of_a_big_test_file(void **state)
{
	struct test_result res;
	struct failure *f;
	struct prompt_input in = { 0 };
	struct buf sys = BUF_INIT, user = BUF_INIT;

	(void)state;
	test_result_init(&res);
	f = test_result_add_failure(&res, "tests/test_big.py::TestAverage::test_scaled[1]");
	failure_split_id(f);
	f->error_type = xstrdup("AssertionError");
	f->message = xstrdup("assert 1.0 == 10");
	/* no frames at all: the test's code still comes */
	in.failure = f;
	in.root = PROJECT;
	in.allow_test_edits = 1;
	build(&sys, &user, &in);
	assert_non_null(strstr(user.ptr, "### tests/test_big.py: test `TestAverage.test_scaled`, lines 246-248\n"));
	assert_non_null(strstr(user.ptr, "    246 |     @pytest.mark.parametrize(\"n\", [1, 2])\n"));
	assert_non_null(strstr(user.ptr, "    248 |         assert average([n, n]) == n * 10\n"));
	assert_null(strstr(user.ptr, "helper_00"));
	assert_null(strstr(user.ptr, "read-only"));
	assert_non_null(strstr(sys.ptr, "You may edit a test file only when"));
	buf_release(&sys);
	buf_release(&user);
	test_result_release(&res);
}

static void prompt__trims_a_long_traceback(void **state)
{
	struct test_result res;
	struct failure *f;
	struct prompt_input in = { 0 };
	struct buf sys = BUF_INIT, user = BUF_INIT, tb = BUF_INIT;
	int i;

	(void)state;
	make_failure(&res, &f);
	buf_adds(&tb, "HEAD-OF-TRACEBACK\n");
	for (i = 0; i < 2000; i++)
		buf_addf(&tb, "  frame line %d: something happened here \xc3\xa9\n", i);
	buf_adds(&tb, "E   ZeroDivisionError: TAIL-OF-TRACEBACK\n");
	free(f->traceback);
	f->traceback = xstrdup(tb.ptr);
	in.failure = f;
	in.root = PROJECT;
	build(&sys, &user, &in);
	assert_non_null(strstr(user.ptr, "HEAD-OF-TRACEBACK"));
	assert_non_null(strstr(user.ptr, "TAIL-OF-TRACEBACK"));
	assert_non_null(strstr(user.ptr, "of the traceback cut here ...]"));
	assert_null(strstr(user.ptr, "frame line 1000:"));
	/* what is kept is about the cap */
	assert_true(user.len < PROMPT_TRACEBACK_CAP + 4000 + 2000);

	buf_release(&sys);
	buf_release(&user);
	buf_release(&tb);
	test_result_release(&res);
}

static void prompt__previous_attempt_mode_and_user_text(void **state)
{
	struct test_result res;
	struct failure *f;
	struct prompt_input in = { 0 };
	struct buf sys = BUF_INIT, user = BUF_INIT;

	(void)state;
	make_failure(&res, &f);
	in.failure = f;
	in.root = PROJECT;
	in.previous_change = "--- a/src/calc/core.py\n+++ b/src/calc/core.py\n@@ -210 +210 @@\n-x\n+y\n";
	in.previous_failure = "gate 'target': the test still fails: ZeroDivisionError";
	in.preferred_mode = "patch";
	in.user_prompt = "Prefer returning 0 for an empty list.";
	build(&sys, &user, &in);
	assert_non_null(strstr(user.ptr, "## The previous attempt, which failed\n```diff\n--- a/src/calc/core.py\n"));
	assert_non_null(strstr(user.ptr, "Why it failed:\n```\ngate 'target': the test still fails"));
	assert_non_null(strstr(user.ptr, "For this error category (ZeroDivisionError) the edit mode that has worked best in this project is `patch`"));
	assert_non_null(strstr(user.ptr, "## Instructions from the user\nPrefer returning 0 for an empty list.\n"));
	buf_release(&sys);
	buf_release(&user);
	test_result_release(&res);
}

static void prompt__heal_asks_for_the_test_and_shows_the_code_change(void **state)
{
	struct test_result res;
	struct failure *f;
	struct prompt_input in = { 0 };
	struct buf sys = BUF_INIT, user = BUF_INIT;
	struct strvec context = STRVEC_INIT;

	(void)state;
	make_failure(&res, &f);
	strvec_push(&context, "src/calc/util.py");
	strvec_push(&context, "../outside.py");
	strvec_push(&context, "/etc/passwd");
	in.failure = f;
	in.root = PROJECT;
	in.allow_test_edits = 1;
	in.heal = 1;
	in.context_files = &context;
	in.code_change = "diff --git a/src/calc/core.py b/src/calc/core.py\n-def mean(values):\n+def average(values):\n";
	build(&sys, &user, &in);
	assert_non_null(strstr(sys.ptr, "changed on purpose"));
	assert_non_null(strstr(sys.ptr, "Edit only the failing test's file"));
	assert_non_null(strstr(sys.ptr, "Never weaken the test"));
	assert_null(strstr(sys.ptr, "Fix the cause in the code under test"));
	assert_non_null(strstr(user.ptr, "[code under test: read-only]"));
	assert_null(strstr(user.ptr, "[test file: read-only]"));
	/* the module the test imports, though no frame reached it; nothing outside the project */
	assert_non_null(strstr(user.ptr, "### src/calc/util.py (the whole file"));
	assert_null(strstr(user.ptr, "outside.py"));
	assert_null(strstr(user.ptr, "passwd"));
	assert_non_null(strstr(user.ptr, "## The recent change of the code (on purpose; the test must follow it)\n"
				 "```diff\ndiff --git a/src/calc/core.py b/src/calc/core.py\n"));
	/* without heal, no change of the code is shown */
	buf_reset(&sys);
	buf_reset(&user);
	in.heal = 0;
	build(&sys, &user, &in);
	assert_null(strstr(user.ptr, "The recent change of the code"));
	assert_null(strstr(user.ptr, "[code under test: read-only]"));
	strvec_clear(&context);
	buf_release(&sys);
	buf_release(&user);
	test_result_release(&res);
}

static void prompt__stays_under_the_cap_and_valid_utf8(void **state)
{
	struct test_result res;
	struct failure *f;
	struct prompt_input in = { 0 };
	struct buf sys = BUF_INIT, user = BUF_INIT, big = BUF_INIT;
	int i;

	(void)state;
	make_failure(&res, &f);
	for (i = 0; i < 30000; i++)
		buf_adds(&big, "bad \xff\xfe utf8 \xe2\x82 and more\n");
	free(f->message);
	f->message = xstrdup(big.ptr);
	free(f->traceback);
	f->traceback = xstrdup(big.ptr);
	/* many frames, all in the same functions: deduplicated */
	for (i = 0; i < 50; i++)
		failure_add_frame(f, "src/calc/core.py", 206 + i % 5, "average");
	in.failure = f;
	in.root = PROJECT;
	in.previous_change = big.ptr;
	in.previous_failure = big.ptr;
	in.user_prompt = big.ptr;
	in.preferred_mode = "rewrite\xff";
	build(&sys, &user, &in);
	{
		const char *p = user.ptr;
		int n = 0;
		while ((p = strstr(p, "### src/calc/core.py"))) {
			n++;
			p++;
		}
		assert_int_equal(n, 1);
	}
	buf_release(&sys);
	buf_release(&user);
	buf_release(&big);
	test_result_release(&res);
}

static void prompt__whole_files_cost_more(void **state)
{
	struct test_result res;
	struct failure *f;
	struct prompt_input in = { 0 };
	struct buf sys = BUF_INIT, user = BUF_INIT;
	size_t whole;

	(void)state;
	make_failure(&res, &f);
	in.failure = f;
	in.root = PROJECT;
	build(&sys, &user, &in);
	whole = prompt_whole_files_size(&in);
	/* core.py is ~4.7 kB; its function a few hundred bytes */
	assert_true(whole > sys.len + user.len + 4000);
	buf_release(&sys);
	buf_release(&user);
	test_result_release(&res);
}

static void prompt__missing_sources_and_no_root(void **state)
{
	struct test_result res;
	struct failure *f;
	struct prompt_input in = { 0 };
	struct buf sys = BUF_INIT, user = BUF_INIT;

	(void)state;
	test_result_init(&res);
	f = test_result_add_failure(&res, "tests/test_gone.py::test_x");
	failure_split_id(f);
	failure_add_frame(f, "tests/test_gone.py", 3, "test_x");
	failure_add_frame(f, "../outside.py", 3, "f");
	failure_add_frame(f, "src/calc/core.py", 99999, "nowhere");
	in.failure = f;
	in.root = PROJECT;
	build(&sys, &user, &in);
	/* the line past the end is clamped to the last line */
	assert_non_null(strstr(user.ptr, "### src/calc/core.py"));
	assert_null(strstr(user.ptr, "outside.py\n"));
	buf_reset(&user);
	in.root = NULL;
	build(&sys, &user, &in);
	assert_null(strstr(user.ptr, "```python"));
	buf_release(&sys);
	buf_release(&user);
	test_result_release(&res);
}

/* a temporary project: src/m0.py .. src/m<n-1>.py, each one function of `lines` lines */
static void make_big_project(struct buf *root, int files, int lines)
{
	int i, l;

	assert_int_equal(fs_mkdtemp(root, "prompt-test"), 0);
	for (i = 0; i < files; i++) {
		struct buf path = BUF_INIT, text = BUF_INIT;

		buf_addf(&path, "%s/src", root->ptr);
		assert_int_equal(fs_mkdir_p(path.ptr, 0755), 0);
		buf_addf(&path, "/m%d.py", i);
		buf_addf(&text, "def big_%d(x):\n", i);
		for (l = 2; l <= lines; l++)
			buf_addf(&text, "    x = x + %d  # line %d of a long function in module %d\n", l, l, i);
		assert_int_equal(fs_write_atomic(path.ptr, text.ptr, text.len, 0644), 0);
		buf_release(&path);
		buf_release(&text);
	}
}

static void prompt__big_function_is_cut_around_the_line(void **state)
{
	struct test_result res;
	struct failure *f;
	struct prompt_input in = { 0 };
	struct buf root = BUF_INIT, sys = BUF_INIT, user = BUF_INIT;
	const char *sec, *end;

	(void)state;
	make_big_project(&root, 1, 1000);
	test_result_init(&res);
	f = test_result_add_failure(&res, "tests/test_m.py::test_m");
	failure_split_id(f);
	failure_add_frame(f, "src/m0.py", 800, "big_0");
	in.failure = f;
	in.root = root.ptr;
	build(&sys, &user, &in);
	sec = strstr(user.ptr, "### src/m0.py: function `big_0`, lines ");
	assert_non_null(sec);
	assert_non_null(strstr(sec, "of 1-1000 (cut to fit); line 800 is where the error was raised"));
	assert_non_null(strstr(user.ptr, ">   800 |     x = x + 800  # line 800 "));
	assert_non_null(strstr(user.ptr, "    750 |     x = x + 750 "));
	assert_null(strstr(user.ptr, "      1 | def big_0(x):"));
	end = strstr(strstr(sec, "```python"), "```\n");
	assert_non_null(end);
	assert_true((size_t)(end - sec) <= PROMPT_FUNCTION_CAP + 200);
	assert_int_equal(fs_remove_tree(root.ptr), 0);
	buf_release(&root);
	buf_release(&sys);
	buf_release(&user);
	test_result_release(&res);
}

static void prompt__code_past_the_total_cap_is_left_out(void **state)
{
	struct test_result res;
	struct failure *f;
	struct prompt_input in = { 0 };
	struct buf root = BUF_INIT, sys = BUF_INIT, user = BUF_INIT;
	int i;

	(void)state;
	make_big_project(&root, 10, 400);
	test_result_init(&res);
	f = test_result_add_failure(&res, "tests/test_m.py::test_m");
	failure_split_id(f);
	for (i = 0; i < 10; i++) {
		char file[32];
		snprintf(file, sizeof(file), "src/m%d.py", i);
		failure_add_frame(f, file, 200, NULL);
	}
	in.failure = f;
	in.root = root.ptr;
	build(&sys, &user, &in);
	/* the crash frame (the last) comes first and is shown; some outer ones are not */
	assert_non_null(strstr(user.ptr, "### src/m9.py: function `big_9`"));
	assert_null(strstr(user.ptr, "### src/m0.py"));
	assert_non_null(strstr(user.ptr, "Left out:\n- the code of src/m"));
	assert_true(sys.len + user.len > PROMPT_TOTAL_CAP - 20000);
	assert_int_equal(fs_remove_tree(root.ptr), 0);
	buf_release(&root);
	buf_release(&sys);
	buf_release(&user);
	test_result_release(&res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(prompt__shows_function_numbered_and_test),
		cmocka_unit_test(prompt__test_function_of_a_big_test_file),
		cmocka_unit_test(prompt__trims_a_long_traceback),
		cmocka_unit_test(prompt__previous_attempt_mode_and_user_text),
		cmocka_unit_test(prompt__stays_under_the_cap_and_valid_utf8),
		cmocka_unit_test(prompt__whole_files_cost_more),
		cmocka_unit_test(prompt__missing_sources_and_no_root),
		cmocka_unit_test(prompt__big_function_is_cut_around_the_line),
		cmocka_unit_test(prompt__code_past_the_total_cap_is_left_out),
		cmocka_unit_test(prompt__heal_asks_for_the_test_and_shows_the_code_change),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
