/*
 * The GitHub Actions log reader (src/runner/cilog.c), driven by the logs in
 * tests/fixtures/cilog/: every <name>.log is read with cilog_failures() and
 * compared with <name>.expected.json (test_result_to_json_flags(res, 0)).
 * CILOG_GOLDEN_UPDATE=1 rewrites the expected files from what the reader
 * says; check every change by hand.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "runner/cilog.h"
#include "runner/result_json.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/sig.h"
#include "util/xalloc.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CILOG_DIR FIXTURES_DIR "/cilog"

static void load(struct buf *out, const char *name)
{
	struct buf path = BUF_INIT;

	buf_addf(&path, "%s/%s.log", CILOG_DIR, name);
	if (fs_read_file(out, path.ptr, 0) < 0)
		fail_msg("%s", error_last());
	buf_release(&path);
}

static json_t *read_json(const char *log, size_t len)
{
	struct test_result res = TEST_RESULT_INIT;
	json_t *j;

	assert_int_equal(cilog_failures(&res, log, len), 0);
	j = test_result_to_json_flags(&res, 0);
	assert_non_null(j);
	test_result_release(&res);
	return j;
}

static void print_json(const char *label, const json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
	fprintf(stderr, "%s\n%s\n", label, s ? s : "(null)");
	free(s);
}

static void cilog__golden_file(void **state)
{
	const char *name = *state;
	struct buf log = BUF_INIT, path = BUF_INIT, clean = BUF_INIT;
	json_t *expected = NULL, *actual, *again;
	json_error_t jerr;

	load(&log, name);
	buf_addf(&path, "%s/%s.expected.json", CILOG_DIR, name);
	actual = read_json(log.ptr, log.len);

	if (getenv("CILOG_GOLDEN_UPDATE")) {
		assert_int_equal(json_dump_file(actual, path.ptr, JSON_INDENT(2) | JSON_PRESERVE_ORDER), 0);
	} else {
		expected = json_load_file(path.ptr, 0, &jerr);
		if (!expected)
			fail_msg("cannot load '%s': %s", path.ptr, jerr.text);
		if (!json_equal(expected, actual)) {
			print_json("--- expected", expected);
			print_json("+++ actual", actual);
			fail_msg("%s: the reader's result differs", name);
		}
	}

	/* a cleaned log says the same */
	assert_int_equal(cilog_clean(&clean, log.ptr, log.len), 0);
	again = read_json(clean.ptr, clean.len);
	if (!json_equal(actual, again)) {
		print_json("--- raw", actual);
		print_json("+++ cleaned", again);
		fail_msg("%s: the cleaned log reads differently", name);
	}

	json_decref(again);
	json_decref(expected);
	json_decref(actual);
	buf_release(&clean);
	buf_release(&path);
	buf_release(&log);
}

static void cilog__golden_files_are_there(void **state)
{
	DIR *dir = opendir(CILOG_DIR);
	struct dirent *de;
	size_t nr = 0;
	(void)state;

	assert_non_null(dir);
	while ((de = readdir(dir))) {
		size_t n = strlen(de->d_name);
		struct buf p = BUF_INIT;
		if (n <= 4 || strcmp(de->d_name + n - 4, ".log"))
			continue;
		buf_addf(&p, "%s/%.*s.expected.json", CILOG_DIR, (int)(n - 4), de->d_name);
		if (!fs_is_file(p.ptr))
			fail_msg("'%s' has no expected JSON", de->d_name);
		buf_release(&p);
		nr++;
	}
	closedir(dir);
	assert_true(nr >= 4);
}

static void expect_clean(const char *log, const char *want)
{
	struct buf out = BUF_INIT;

	assert_int_equal(cilog_clean(&out, log, strlen(log)), 0);
	assert_string_equal(out.ptr, want);
	buf_release(&out);
}

static void cilog__clean_strips_github_decoration(void **state)
{
	(void)state;
	expect_clean("\xEF\xBB\xBF" "2024-05-01T12:34:56.1234567Z ##[group]Run pytest\n"
		     "2024-05-01T12:34:56.1234567Z \x1b[36;1mpytest -q\x1b[0m\r\n"
		     "2024-05-01T12:34:57.0000000Z ##[endgroup]\n"
		     "2024-05-01T12:34:58.0000000Z \x1b]8;;http://x\x07link\x1b]8;;\x07 text\n"
		     "2024-05-01T12:34:59.0000000Z ##[error]Process completed with exit code 1.",
		     "Run pytest\npytest -q\nlink text\nProcess completed with exit code 1.\n");
	/* invalid UTF-8 is replaced, text without timestamps is kept */
	expect_clean("caf\xe9 ok\n\nplain 2024 line\n",
		     "caf\xEF\xBF\xBD ok\n\nplain 2024 line\n");
	/* job prefixes stay, the timestamp after them goes */
	expect_clean("job (3.11)\tRun tests\t2024-05-01T12:34:56.1234567Z \x1b[31mFAILED\x1b[0m x\n"
		     "job (3.11)\tRun tests\t2024-05-01T12:34:56.1234567Z ##[endgroup]\n",
		     "job (3.11)\tRun tests\tFAILED x\n");
	expect_clean("", "");
}

static void cilog__recognises_nothing_in_noise(void **state)
{
	static const char *const noise[] = {
		"",
		"\n\n\n",
		"FAILED\nERROR\nFAILED  \nERROR: pip failed\nFAILED: build step\n",
		"____ ____\n==== ====\n\t\t\n\x1b[\x1b]\x1b",
		"ERROR tests/x.pyc\nFAILED some/thing - Error: no\n",
	};
	size_t i;
	(void)state;

	for (i = 0; i < ARRAY_SIZE(noise); i++) {
		struct test_result res = TEST_RESULT_INIT;
		struct buf out = BUF_INIT;
		assert_int_equal(cilog_failures(&res, noise[i], strlen(noise[i])), 0);
		assert_int_equal(res.nr_failures, 0);
		assert_int_equal(cilog_clean(&out, noise[i], strlen(noise[i])), 0);
		test_result_release(&res);
		buf_release(&out);
	}
}

static void cilog__caps_the_log(void **state)
{
	struct test_result res = TEST_RESULT_INIT;
	struct buf out = BUF_INIT;
	(void)state;

	/* the length is checked before anything is read */
	assert_int_equal(cilog_failures(&res, "x", (size_t)CILOG_MAX_SIZE + 1), ERR_LIMIT);
	assert_int_equal(cilog_clean(&out, "x", (size_t)CILOG_MAX_SIZE + 1), ERR_LIMIT);
	assert_non_null(strstr(error_last(), "CI log"));

	/* an output buffer with a cap is an error, not a crash */
	buf_init(&out, 8);
	assert_int_equal(cilog_clean(&out, "a long line of text\n", 20), ERR_LIMIT);
	buf_release(&out);
}

static void cilog__long_lines_are_cut(void **state)
{
	size_t n = CILOG_MAX_LINE * 2;
	char *log = xmalloc(n + 1);
	struct buf out = BUF_INIT;
	struct test_result res = TEST_RESULT_INIT;
	(void)state;

	memset(log, '_', n);
	memcpy(log, "FAILED tests/a.py::t - ", 23);
	log[n] = '\0';
	assert_int_equal(cilog_clean(&out, log, n), 0);
	assert_int_equal(out.len, CILOG_MAX_LINE + 1);
	assert_int_equal(cilog_failures(&res, log, n), 0);
	assert_int_equal(res.nr_failures, 1);
	test_result_release(&res);
	buf_release(&out);
	free(log);
}

/*
 * Reading is linear whatever the lines: each case below took the old reader
 * (backtracking patterns, lists searched one by one) from seconds to
 * minutes; each takes a fraction of a second now.
 */
static void add_lines(struct buf *log, const char *line, size_t times)
{
	size_t i;
	for (i = 0; i < times; i++)
		buf_addf(log, "%s\n", line);
}

static char *repeat(const char *head, const char *unit, size_t times, const char *tail)
{
	struct buf b = BUF_INIT;
	size_t i;

	buf_adds(&b, head);
	for (i = 0; i < times; i++)
		buf_adds(&b, unit);
	buf_adds(&b, tail);
	return buf_detach(&b, NULL);
}

static void cilog__adversarial_lines_are_linear(void **state)
{
	struct buf log = BUF_INIT;
	struct test_result res = TEST_RESULT_INIT;
	char *rule = repeat("", "=", 60000, ""), *not_rule = repeat("", "=", 60000, "x");
	char *dashes = repeat("--- ", "-", 60000, "x"), *unders = repeat("___ ", " _", 30000, "x");
	char *py = repeat("FAILED a.py", "::b.py", 10000, " x"), *br = repeat("FAILED a.py[", "]", 60000, "x");
	char *digits = repeat("= ", "1", 60000, " warnings in 1s =");
	/* the longest totals line: within the match limits */
	char *totals = repeat("= ", "1 passed, ", 6500, "1 passed in 1s =");
	(void)state;

	buf_adds(&log, "____ test_z ____\n");
	add_lines(&log, rule, 20);
	add_lines(&log, not_rule, 20);
	add_lines(&log, dashes, 20);
	add_lines(&log, unders, 20);
	add_lines(&log, py, 20);
	add_lines(&log, br, 20);
	add_lines(&log, digits, 20);
	add_lines(&log, totals, 1);
	buf_adds(&log, "FAILED tests/a.py::test_z - ValueError: bad\n2 passed in 0.5s\n");
	assert_int_equal(cilog_failures(&res, log.ptr, log.len), 0);
	assert_int_equal(res.nr_failures, 1);
	assert_string_equal(res.failures[0].id, "tests/a.py::test_z");
	assert_string_equal(res.failures[0].error_type, "ValueError");
	assert_int_equal(res.summary.passed, 6501 + 2);
	test_result_release(&res);
	free(totals);
	free(rule);
	free(not_rule);
	free(dashes);
	free(unders);
	free(py);
	free(br);
	free(digits);
	buf_release(&log);
}

static void cilog__many_failures_jobs_and_sections_are_linear(void **state)
{
	struct buf log = BUF_INIT;
	struct test_result res = TEST_RESULT_INIT;
	size_t i, n = 100000;
	(void)state;

	/* one job per line, every test named alike, each report twice */
	for (i = 0; i < n; i++)
		buf_addf(&log, "job %zu\tRun\t____ test_x ____\njob %zu\tRun\tE   assert %zu\n", i, i, i);
	for (i = 0; i < 2 * n; i++)
		buf_addf(&log, "job %zu\tRun\tFAILED tests/t%zu.py::test_x - assert 0\n", i % n, i % n);
	assert_int_equal(cilog_failures(&res, log.ptr, log.len), 0);
	assert_int_equal(res.nr_failures, n);
	assert_int_equal(res.summary.failed, n);
	/* each from its own job's report */
	assert_string_equal(res.failures[7].id, "tests/t7.py::test_x");
	assert_non_null(strstr(res.failures[7].traceback, "E   assert 7\n"));
	assert_non_null(strstr(res.failures[n - 1].traceback, "assert 99999\n"));
	test_result_release(&res);
	buf_release(&log);
}

/* the cursor checks read lines as pytest writes them, and as the patterns they replace did */
static void cilog__short_summary_lines(void **state)
{
	static const struct { const char *line, *id, *message; } cases[] = {
		{ "FAILED tests/a.py::t[1-2] - x", "tests/a.py::t[1-2]", "x" },
		{ "FAILED tests/a.py::t[a] b] - m", "tests/a.py::t[a] b]", "m" },
		{ "FAILED tests/a.py::t[a] - b] - m", "tests/a.py::t[a]", "b] - m" },
		{ "FAILED tests/a.py::T::t", "tests/a.py::T::t", NULL },
		{ "FAILED tests/a.py::t - ", "tests/a.py::t", "" },
		{ "FAILED x.py.py::t", "x.py.py::t", NULL },
		{ "ERROR tests/b.py", "tests/b.py", NULL },
		{ "FAILED a.py:: - x", NULL, NULL },
		{ "FAILED a.pyc - x", NULL, NULL },
		{ "FAILED .py - x", NULL, NULL },
		{ "FAILED a.py::t[x", NULL, NULL },
		{ "FAILED a.py::t\t- x", NULL, NULL },
		{ "FAILED  a.py::t", NULL, NULL },
		{ "FAILEDa.py::t", NULL, NULL },
	};
	size_t i;
	(void)state;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct test_result res = TEST_RESULT_INIT;
		assert_int_equal(cilog_failures(&res, cases[i].line, strlen(cases[i].line)), 0);
		if (!cases[i].id) {
			if (res.nr_failures)
				fail_msg("'%s' read as '%s'", cases[i].line, res.failures[0].id);
			test_result_release(&res);
			continue;
		}
		assert_int_equal(res.nr_failures, 1);
		assert_string_equal(res.failures[0].id, cases[i].id);
		if (cases[i].message)
			assert_string_equal(res.failures[0].message, cases[i].message);
		else
			assert_null(res.failures[0].message);
		test_result_release(&res);
	}
}

/* "____ t ____" opens a report, "==== ====" and "---- Captured ----" end it or its text */
static void cilog__frames_and_rules(void **state)
{
	static const char log[] =
		"___ ___\n"                 /* no title: not a report */
		"____ test_a ____\n"
		"E   first\n"
		"--  Captured stdout call --\n"   /* two dashes: still the report */
		"E   second\n"
		"--- Captured stdout call ---\n"
		"E   captured\n"
		"=====\n"                   /* too short for a rule */
		"E   third\n"
		"====== short test summary info ======\n"
		"E   after\n"
		"FAILED tests/a.py::test_a\n";
	struct test_result res = TEST_RESULT_INIT;
	const char *tb;
	(void)state;

	assert_int_equal(cilog_failures(&res, log, strlen(log)), 0);
	assert_int_equal(res.nr_failures, 1);
	tb = res.failures[0].traceback;
	assert_non_null(tb);
	assert_non_null(strstr(tb, "E   first\n"));
	assert_non_null(strstr(tb, "E   second\n"));
	assert_null(strstr(tb, "captured"));
	assert_null(strstr(tb, "third"));
	assert_null(strstr(tb, "after"));
	test_result_release(&res);
}

static void cilog__a_signal_stops_the_reading(void **state)
{
	static const char log[] = "FAILED tests/a.py::t\n";
	struct test_result res = TEST_RESULT_INIT;
	struct buf out = BUF_INIT;
	(void)state;

	sig_install();
	raise(SIGTERM);
	assert_int_equal(cilog_failures(&res, log, strlen(log)), ERR_INTERRUPTED);
	assert_int_equal(cilog_clean(&out, log, strlen(log)), ERR_INTERRUPTED);
	assert_non_null(strstr(error_last(), "interrupted"));
	sig_reset();
	test_result_release(&res);
	buf_release(&out);
}

int main(void)
{
	static const char *const names[] = {
		"single-job", "matrix-interleaved", "no-failures", "quiet-no-timestamps",
	};
	struct CMUnitTest tests[ARRAY_SIZE(names) + 10];
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		struct CMUnitTest t = cmocka_unit_test_prestate(cilog__golden_file, (void *)names[i]);
		t.name = names[i];
		tests[n++] = t;
	}
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(cilog__golden_files_are_there);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(cilog__clean_strips_github_decoration);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(cilog__recognises_nothing_in_noise);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(cilog__caps_the_log);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(cilog__long_lines_are_cut);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(cilog__adversarial_lines_are_linear);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(cilog__many_failures_jobs_and_sections_are_linear);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(cilog__short_summary_lines);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(cilog__frames_and_rules);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(cilog__a_signal_stops_the_reading);
	return _cmocka_run_group_tests("cilog", tests, n, NULL, NULL);
}
