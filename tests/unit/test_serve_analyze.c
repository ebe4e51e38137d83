/*
 * The service's analyzer (src/serve/analyze.c): logs of failed checks
 * (tests/fixtures/analyze/), the built-in rules, a model's reply, and the
 * fetching against tests/fakes/fake_github.py and the model against
 * tests/fakes/fake_llm.py.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "github/github.h"
#include "llm/llm.h"
#include "runner/cilog.h"
#include "serve/analyze.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/secret.h"
#include "util/strvec.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#include "fake_server.h"

#define LOGS FIXTURES_DIR "/analyze/"
#define FAKE_GITHUB FIXTURES_DIR "/../fakes/fake_github.py"
#define FAKE_LLM FIXTURES_DIR "/../fakes/fake_llm.py"
#define TEST_TOKEN "ghp_TESTTOKEN0123456789"
#define TEST_KEY "sk-TESTKEY-1234"
#define TEST_SECRET "s3cr3t-DEPLOY-KEY-4711"

static char *read_fixture(const char *name, size_t *len)
{
	struct buf path = BUF_INIT, data = BUF_INIT;

	buf_addf(&path, "%s%s", LOGS, name);
	assert_int_equal(fs_read_file(&data, path.ptr, 0), 0);
	buf_release(&path);
	return buf_detach(&data, len);
}

/* the evidence of fixture `name` */
static void read_log(struct analyze_evidence *ev, const char *name)
{
	size_t len;
	char *log = read_fixture(name, &len);

	assert_int_equal(analyze_log(ev, log, len), 0);
	free(log);
}

static void assert_clean_excerpt(const char *excerpt)
{
	assert_non_null(excerpt);
	assert_null(strchr(excerpt, '\x1b'));
	assert_null(strstr(excerpt, "2026-11-30T09:"));
	assert_null(strstr(excerpt, "##[group]"));
	assert_true(strlen(excerpt) <= ANALYZE_EXCERPT_MAX);
}

/* ---- reading logs ---- */

static void analyze__pytest_failure_in_an_actions_log(void **state)
{
	struct analyze_evidence ev;
	const struct failure *f;

	(void)state;
	read_log(&ev, "pytest-failure.log");
	assert_int_equal(ev.category, ANALYZE_TESTS);
	assert_null(ev.signal);
	assert_int_equal(ev.tests.nr_failures, 1);
	f = &ev.tests.failures[0];
	assert_string_equal(f->id, "tests/test_calc.py::test_average");
	assert_string_equal(f->error_type, "ZeroDivisionError");
	assert_string_equal(f->message, "division by zero");
	assert_string_equal(f->loc_file, "src/calc/stats.py");
	assert_int_equal(f->loc_line, 4);
	assert_clean_excerpt(ev.excerpt);
	/* small enough to be kept whole */
	assert_non_null(strstr(ev.excerpt, "Run actions/checkout@v4\n"));
	assert_non_null(strstr(ev.excerpt, "FAILED tests/test_calc.py::test_average - "
				"ZeroDivisionError: division by zero\n"));
	assert_non_null(strstr(ev.excerpt, "Post job cleanup.\n"));
	assert_null(strstr(ev.excerpt, "left out"));
	analyze_evidence_release(&ev);
}

static void expect_category(const char *name, enum analyze_category want, const char *signal)
{
	struct analyze_evidence ev;

	read_log(&ev, name);
	assert_int_equal(ev.tests.nr_failures, 0);
	assert_string_equal(analyze_category_name(ev.category), analyze_category_name(want));
	assert_non_null(ev.signal);
	if (!strstr(ev.signal, signal))
		fail_msg("%s: the signal '%s' does not hold '%s'", name, ev.signal, signal);
	assert_clean_excerpt(ev.excerpt);
	analyze_evidence_release(&ev);
}

static void analyze__categories_without_a_test_failure(void **state)
{
	(void)state;
	expect_category("flake8.log", ANALYZE_LINT, "src/calc/stats.py:1:1: F401 'os' imported but unused");
	expect_category("pip-install.log", ANALYZE_BUILD, "subprocess-exited-with-error");
	/* pip failing to install because the index cannot be reached is the network's fault */
	expect_category("network.log", ANALYZE_NETWORK, "Temporary failure in name resolution");
	expect_category("timeout.log", ANALYZE_TIMEOUT, "has exceeded the maximum execution time");
}

static void analyze__linters_one_line_each(void **state)
{
	static const struct { const char *line; enum analyze_category want; } cases[] = {
		{ "src/a.py:3:1: E302 expected 2 blank lines, found 1", ANALYZE_LINT },
		{ "src/a.py:1:8: 'os' imported but unused", ANALYZE_LINT },           /* pyflakes */
		{ "src/a.py:12: error: Incompatible return value type (got \"int\", expected \"str\")  "
		  "[return-value]", ANALYZE_LINT },                                    /* mypy */
		{ "Found 1 error in 1 file (checked 4 source files)", ANALYZE_LINT },
		{ "src/a.py:1:0: C0114: Missing module docstring (missing-module-docstring)", ANALYZE_LINT },
		{ "would reformat /home/runner/work/calc/calc/src/a.py", ANALYZE_LINT }, /* black */
		{ "  --> src/a.py:1:8", ANALYZE_LINT },                                  /* ruff */
		{ "ERROR: /home/runner/work/calc/calc/src/a.py Imports are incorrectly sorted and/or "
		  "formatted.", ANALYZE_LINT },                                           /* isort */
		{ "fatal error: Python.h: No such file or directory", ANALYZE_BUILD },
		{ "curl: (6) Could not resolve host: files.pythonhosted.org", ANALYZE_NETWORK },
		/* pytest's own traceback lines are not a linter's */
		{ "src/calc.py:6: ZeroDivisionError", ANALYZE_UNKNOWN },
		{ "src/calc.py:6: in divide", ANALYZE_UNKNOWN },
		{ "Found 3 files", ANALYZE_UNKNOWN },
		{ "all good", ANALYZE_UNKNOWN },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct analyze_evidence ev;
		struct buf log = BUF_INIT;

		buf_addf(&log, "2026-11-30T09:15:02.1234567Z %s\n", cases[i].line);
		assert_int_equal(analyze_log(&ev, log.ptr, log.len), 0);
		if (ev.category != cases[i].want)
			fail_msg("'%s': %s, not %s", cases[i].line, analyze_category_name(ev.category),
				 analyze_category_name(cases[i].want));
		assert_int_equal(ev.signal != NULL, cases[i].want != ANALYZE_UNKNOWN);
		analyze_evidence_release(&ev);
		buf_release(&log);
	}
}

/* <line, n> is a whole line of the huge log below (`fixture` cleaned), or a note */
static int whole_line(const char *line, size_t n, const struct buf *fixture)
{
	static const char *const ends[] = { " PASSED", " after the run", "left out ...]" };
	const char *p;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ends); i++) {
		size_t e = strlen(ends[i]);
		const char *pct = memmem(line, n, "%]", 2);

		if (!strncmp(line, "tests/test_many.py::test_case_", 30) && pct && pct + 2 == line + n &&
		    memmem(line, n, ends[0], strlen(ends[0])))
			return 1;
		if (n >= e && !memcmp(line + n - e, ends[i], e) && i > 0)
			return 1;
	}
	if (n == 18 && !memcmp(line, "the very last line", 18))
		return 1;
	for (p = fixture->ptr; (p = memmem(p, fixture->len - (size_t)(p - fixture->ptr), line, n)); p++)
		if ((p == fixture->ptr || p[-1] == '\n') && p[n] == '\n')
			return 1;
	return 0;
}

static void analyze__huge_log_keeps_head_failures_and_tail(void **state)
{
	struct analyze_evidence ev;
	struct buf log = BUF_INIT;
	size_t fixture_len, i;
	char *fixture = read_fixture("pytest-failure.log", &fixture_len);
	const char *fail_at, *tail_at, *line, *end;
	struct buf clean = BUF_INIT;
	double start;

	(void)state;
	/* 40 MB of passing tests' chatter, the failure, then more chatter */
	for (i = 0; i < 200000; i++)
		buf_addf(&log, "2026-11-30T09:15:03.%07zuZ tests/test_many.py::test_case_%zu PASSED"
			 "                                [ %zu%%]\n", i % 10000000, i, i % 100);
	buf_add(&log, fixture + 3, fixture_len - 3);   /* without its BOM */
	for (i = 0; i < 200000; i++)
		buf_addf(&log, "2026-11-30T09:16:03.0000000Z noise line %zu after the run\n", i);
	buf_adds(&log, "2026-11-30T09:17:00.0000000Z the very last line\n");

	start = clock_monotonic();
	assert_int_equal(analyze_log(&ev, log.ptr, log.len), 0);
	if (clock_monotonic() - start > 20.0)
		fail_msg("reading %zu bytes took %.1f s", log.len, clock_monotonic() - start);
	assert_int_equal(ev.log_size, log.len);
	assert_int_equal(ev.tests.nr_failures, 1);
	assert_clean_excerpt(ev.excerpt);
	assert_true(strlen(ev.excerpt) > ANALYZE_EXCERPT_MAX / 2);
	/* the head, the failure's report and the tail, in order, with notes between */
	assert_true(!strncmp(ev.excerpt, "tests/test_many.py::test_case_0 PASSED", 38));
	fail_at = strstr(ev.excerpt, "= FAILURES =");
	assert_non_null(fail_at);
	assert_non_null(strstr(fail_at, "E       ZeroDivisionError: division by zero\n"));
	tail_at = strstr(ev.excerpt, "the very last line\n");
	assert_non_null(tail_at);
	assert_true(tail_at > fail_at);
	assert_non_null(strstr(ev.excerpt, " bytes of log left out ...]\n"));
	assert_true(strstr(ev.excerpt, " bytes of log left out ...]\n") < fail_at);
	/* whole lines only: each one of the log's, or a note */
	assert_int_equal(cilog_clean(&clean, fixture, fixture_len), 0);
	for (line = ev.excerpt; *line; line = end + 1) {
		end = strchr(line, '\n');
		assert_non_null(end);
		if (!whole_line(line, (size_t)(end - line), &clean))
			fail_msg("a cut line in the excerpt: '%.*s'", (int)(end - line), line);
	}
	buf_release(&clean);
	analyze_evidence_release(&ev);
	buf_release(&log);
	free(fixture);
}

static void analyze__one_huge_line_is_cut_at_a_character(void **state)
{
	struct analyze_evidence ev;
	struct buf log = BUF_INIT;
	size_t i;

	(void)state;
	/* one line of 60,000 two-byte characters: cut, never inside one */
	buf_adds(&log, "2026-11-30T09:15:03.0000000Z ");
	for (i = 0; i < 60000; i++)
		buf_adds(&log, "\xc3\xa9");
	buf_addch(&log, '\n');
	assert_int_equal(analyze_log(&ev, log.ptr, log.len), 0);
	assert_int_equal(ev.category, ANALYZE_UNKNOWN);
	assert_true(strlen(ev.excerpt) <= ANALYZE_EXCERPT_MAX);
	assert_true(strlen(ev.excerpt) > ANALYZE_EXCERPT_HEAD);
	assert_true(utf8_is_valid(ev.excerpt, strlen(ev.excerpt)));
	analyze_evidence_release(&ev);
	buf_release(&log);
}

static void analyze__nul_bytes_and_invalid_utf8(void **state)
{
	static const char log[] =
		"2026-11-30T09:15:02.0000000Z collected 1 item\n"
		"2026-11-30T09:15:02.1000000Z bin\0ary \xff\xfe output\0\n"
		"2026-11-30T09:15:02.2000000Z FAILED tests/test_io.py::test_read - "
		"AssertionError: b'\0x' != b'y'\n"
		"2026-11-30T09:15:02.3000000Z 1 failed in 0.01s\n";
	struct analyze_evidence ev;

	(void)state;
	assert_int_equal(analyze_log(&ev, log, sizeof(log) - 1), 0);
	assert_int_equal(ev.tests.nr_failures, 1);
	assert_string_equal(ev.tests.failures[0].id, "tests/test_io.py::test_read");
	assert_non_null(strstr(ev.excerpt, "collected 1 item\n"));
	assert_non_null(strstr(ev.excerpt, "1 failed in 0.01s\n"));
	assert_non_null(strstr(ev.excerpt, "binary \xef\xbf\xbd\xef\xbf\xbd output\n"));
	assert_true(utf8_is_valid(ev.excerpt, strlen(ev.excerpt)));
	analyze_evidence_release(&ev);
	/* a log of nothing but NUL bytes */
	assert_int_equal(analyze_log(&ev, "\0\0\0\n\0", 5), 0);
	assert_int_equal(ev.category, ANALYZE_UNKNOWN);
	assert_int_equal(ev.tests.nr_failures, 0);
	analyze_evidence_release(&ev);
	assert_int_equal(analyze_log(&ev, "", 0), 0);
	assert_string_equal(ev.excerpt, "");
	analyze_evidence_release(&ev);
}

static void analyze__secrets_are_redacted(void **state)
{
	static const char log[] =
		"2026-11-30T09:15:02.0000000Z deploying with " TEST_SECRET "\n"
		"2026-11-30T09:15:02.2000000Z FAILED tests/test_x.py::test_key - "
		"AssertionError: bad key '" TEST_SECRET "'\n"
		"2026-11-30T09:15:02.3000000Z 1 failed in 0.01s\n";
	static const char lint[] =
		"2026-11-30T09:15:02.0000000Z src/a.py:1:1: F821 undefined name '" TEST_SECRET "'\n";
	struct analyze_evidence ev;
	struct analysis a;

	(void)state;
	assert_int_equal(secret_add(TEST_SECRET), 1);
	assert_int_equal(analyze_log(&ev, log, sizeof(log) - 1), 0);
	assert_null(strstr(ev.excerpt, TEST_SECRET));
	assert_non_null(strstr(ev.excerpt, "deploying with " SECRET_REDACTED "\n"));
	assert_string_equal(ev.tests.failures[0].message, "bad key '" SECRET_REDACTED "'");
	analyze_builtin(&a, &ev, NULL);
	assert_null(strstr(a.root_cause, TEST_SECRET));
	analysis_release(&a);
	analyze_evidence_release(&ev);

	assert_int_equal(analyze_log(&ev, lint, sizeof(lint) - 1), 0);
	assert_int_equal(ev.category, ANALYZE_LINT);
	assert_string_equal(ev.signal, "src/a.py:1:1: F821 undefined name '" SECRET_REDACTED "'");
	analyze_evidence_release(&ev);
	secret_clear();
}

/* ---- the built-in analysis ---- */

static void analyze__builtin_confidence_follows_the_evidence(void **state)
{
	static const struct {
		struct analyze_repro repro;
		int null;
		double confidence;
		int auto_fixable;
		const char *category, *says;
	} cases[] = {
		{ { 0, 0, 0 }, 1, ANALYZE_CONF_UNVERIFIED, 1, "test_failure", "not reproduced yet" },
		{ { 0, 0, 0 }, 0, ANALYZE_CONF_UNVERIFIED, 1, "test_failure", "not reproduced yet" },
		{ { 1, 0, 0 }, 0, ANALYZE_CONF_REPRODUCED_FRAMES, 1, "test_failure", "on every run" },
		{ { 1, 1, 0 }, 0, ANALYZE_CONF_PARTIAL, 1, "test_failure", "1 only on some runs" },
		{ { 0, 1, 0 }, 0, ANALYZE_CONF_FLAKY, 1, "flaky_test", "it fails here only on some runs: flaky" },
		{ { 0, 2, 1 }, 0, ANALYZE_CONF_FLAKY, 1, "flaky_test", "2 fail here only on some runs (flaky), 1 not at all" },
		{ { 0, 0, 1 }, 0, ANALYZE_CONF_NOT_REPRODUCED, 0, "test_failure", "passes here" },
		{ { 1, 0, 2 }, 0, ANALYZE_CONF_PARTIAL, 1, "test_failure", "1 reproduced here on every run, 0 only on some runs, 2 not at all" },
	};
	struct analyze_evidence ev;
	size_t i;

	(void)state;
	read_log(&ev, "pytest-failure.log");
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct analysis a;

		analyze_builtin(&a, &ev, cases[i].null ? NULL : &cases[i].repro);
		assert_true(a.confidence == cases[i].confidence);
		assert_int_equal(a.auto_fixable, cases[i].auto_fixable);
		assert_string_equal(a.category, cases[i].category);
		assert_string_equal(a.source, "builtin");
		assert_string_equal(a.estimated_complexity, "low");
		assert_int_equal(a.files_to_modify.nr, 1);
		assert_string_equal(a.files_to_modify.v[0], "src/calc/stats.py");
		if (!strstr(a.root_cause, cases[i].says))
			fail_msg("case %zu: '%s' does not say '%s'", i, a.root_cause, cases[i].says);
		assert_non_null(strstr(a.root_cause, "'tests/test_calc.py::test_average' fails with "
					"ZeroDivisionError: division by zero (at src/calc/stats.py:4)"));
		/* only a deterministic reproduction passes the default threshold */
		assert_int_equal(analysis_auto_fix(&a, 0.8), cases[i].confidence >= 0.8);
		assert_int_equal(cases[i].confidence >= 0.8, i == 2);
		analysis_release(&a);
	}
	analyze_evidence_release(&ev);
}

static void analyze__builtin_without_a_test_failure_escalates(void **state)
{
	static const struct { const char *log, *category, *complexity, *says; } cases[] = {
		{ "flake8.log", "lint", "low", "a lint check failed, and no test failed: src/calc/stats.py:1:1: F401" },
		{ "pip-install.log", "build", "medium", "installing or building the project failed" },
		{ "network.log", "network", "medium", "over the network" },
		{ "timeout.log", "timeout", "high", "timed out" },
	};
	const struct analyze_repro all = { 3, 0, 0 };
	struct analyze_evidence ev;
	struct analysis a;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		read_log(&ev, cases[i].log);
		analyze_builtin(&a, &ev, i % 2 ? &all : NULL);
		assert_string_equal(a.category, cases[i].category);
		assert_string_equal(a.estimated_complexity, cases[i].complexity);
		assert_int_equal(a.auto_fixable, 0);
		assert_true(a.confidence == ANALYZE_CONF_NO_TEST);
		assert_int_equal(a.files_to_modify.nr, 0);
		assert_int_equal(analysis_auto_fix(&a, 0.0), 0);
		if (!strstr(a.root_cause, cases[i].says))
			fail_msg("%s: '%s' does not say '%s'", cases[i].log, a.root_cause, cases[i].says);
		analysis_release(&a);
		analyze_evidence_release(&ev);
	}
	assert_int_equal(analyze_log(&ev, "hello\n", 6), 0);
	analyze_builtin(&a, &ev, NULL);
	assert_string_equal(a.category, "unknown");
	assert_string_equal(a.root_cause, "the log (6 bytes) shows no failing test and no known "
			    "kind of failure");
	analysis_release(&a);
	analyze_evidence_release(&ev);
}

static void analyze__builtin_root_cause_escapes_control_characters(void **state)
{
	static const char log[] =
		"2026-11-30T09:15:02.2000000Z FAILED tests/test_x.py::test_bell - "
		"ValueError: ring\x07" "the\x1b]0;title\x07" "bell\n"
		"2026-11-30T09:15:02.3000000Z 1 failed in 0.01s\n";
	struct analyze_evidence ev;
	struct analysis a;

	(void)state;
	assert_int_equal(analyze_log(&ev, log, sizeof(log) - 1), 0);
	assert_int_equal(ev.tests.nr_failures, 1);
	analyze_builtin(&a, &ev, NULL);
	assert_null(strchr(a.root_cause, '\x07'));
	assert_null(strchr(a.root_cause, '\x1b'));
	assert_non_null(strstr(a.root_cause, "'tests/test_x.py::test_bell' fails with ValueError: ring\\x07"));
	analysis_release(&a);
	analyze_evidence_release(&ev);
}

static void analyze__native_traceback_paths_under_rootdir(void **state)
{
	static const char log[] =
		"2026-11-30T09:15:02.0000000Z rootdir: /home/runner/work/calc/calc, inifile: setup.cfg\n"
		"2026-11-30T09:15:02.0100000Z =================================== FAILURES ===================================\n"
		"2026-11-30T09:15:02.0200000Z _________________________________ test_parse _________________________________\n"
		"2026-11-30T09:15:02.0300000Z Traceback (most recent call last):\n"
		"2026-11-30T09:15:02.0400000Z   File \"/home/runner/work/calc/calc/tests/test_parse.py\", line 9, in test_parse\n"
		"2026-11-30T09:15:02.0500000Z     assert parse(\"1+\") == 1\n"
		"2026-11-30T09:15:02.0600000Z   File \"/home/runner/work/calc/calc/src/calc/parser.py\", line 21, in parse\n"
		"2026-11-30T09:15:02.0700000Z     return ast.literal_eval(text)\n"
		"2026-11-30T09:15:02.0800000Z   File \"/opt/hostedtoolcache/Python/3.12.7/x64/lib/python3.12/site-packages/ast.py\", line 64, in literal_eval\n"
		"2026-11-30T09:15:02.0900000Z     node_or_string = parse(node_or_string.lstrip(\" \\t\"), mode='eval')\n"
		"2026-11-30T09:15:02.1000000Z SyntaxError: invalid syntax\n"
		"2026-11-30T09:15:02.2000000Z =========================== short test summary info ============================\n"
		"2026-11-30T09:15:02.3000000Z FAILED tests/test_parse.py::test_parse - SyntaxError: invalid syntax\n"
		"2026-11-30T09:15:02.4000000Z 1 failed in 0.01s\n";
	const struct analyze_repro once = { 1, 0, 0 };
	struct analyze_evidence ev;
	struct analysis a;

	(void)state;
	assert_int_equal(analyze_log(&ev, log, sizeof(log) - 1), 0);
	assert_int_equal(ev.tests.nr_failures, 1);
	analyze_builtin(&a, &ev, &once);
	assert_int_equal(a.files_to_modify.nr, 1);
	assert_string_equal(a.files_to_modify.v[0], "src/calc/parser.py");
	assert_true(a.confidence == ANALYZE_CONF_REPRODUCED_FRAMES);
	analysis_release(&a);
	analyze_evidence_release(&ev);
}

static void analyze__builtin_files_and_complexity_of_many_failures(void **state)
{
	struct analyze_evidence ev;
	struct analysis a;
	struct buf log = BUF_INIT;
	const struct analyze_repro all = { 12, 0, 0 };
	int i;

	(void)state;
	buf_adds(&log, "=================================== FAILURES ===================================\n");
	for (i = 0; i < 12; i++) {
		buf_addf(&log, "________________________________ test_%d ________________________________\n"
			 "tests/test_m.py:%d: in test_%d\n    f()\n"
			 "src/pkg/mod%d.py:3: in f\n    g()\n"
			 "/usr/lib/python3/site-packages/lib/x.py:9: in g\n    raise ValueError('x')\n"
			 "E   ValueError: x\n", i, i + 1, i, i % 5);
	}
	buf_adds(&log, "=========================== short test summary info ============================\n");
	for (i = 0; i < 12; i++)
		buf_addf(&log, "FAILED tests/test_m.py::test_%d - ValueError: x\n", i);
	buf_adds(&log, "============================== 12 failed in 0.50s ==============================\n");
	assert_int_equal(analyze_log(&ev, log.ptr, log.len), 0);
	assert_int_equal(ev.tests.nr_failures, 12);
	analyze_builtin(&a, &ev, &all);
	assert_int_equal(a.files_to_modify.nr, 5);
	assert_string_equal(a.files_to_modify.v[0], "src/pkg/mod0.py");
	assert_string_equal(a.files_to_modify.v[4], "src/pkg/mod4.py");
	assert_string_equal(a.estimated_complexity, "high");
	assert_non_null(strstr(a.root_cause, "12 tests fail; the first, 'tests/test_m.py::test_0' fails"));
	analysis_release(&a);
	analyze_evidence_release(&ev);
	buf_release(&log);
}

/* ---- a model's reply ---- */

#define GOOD_REPLY \
	"{\"root_cause\": \"average() divides by len([]) == 0\", \"category\": \"test_failure\", " \
	"\"confidence\": 0.92, \"auto_fixable\": true, \"files_to_modify\": " \
	"[\"./src/calc/stats.py\", \"src/calc/stats.py\"], \"estimated_complexity\": \"low\"}"

static int parse(struct analysis *a, const char *reply)
{
	return analyze_reply_parse(a, reply, strlen(reply));
}

static void analyze__reply_good_plain_and_fenced(void **state)
{
	static const char *const replies[] = {
		GOOD_REPLY,
		"\n  " GOOD_REPLY "\n\n",
		"```json\n" GOOD_REPLY "\n```",
		"```\n" GOOD_REPLY "\n```\n",
		"  ```JSON  \n" GOOD_REPLY "\n```  ",
		"```json\n" GOOD_REPLY "```",
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(replies); i++) {
		struct analysis a;

		if (parse(&a, replies[i]) != 0)
			fail_msg("reply %zu refused: %s", i, error_last());
		assert_string_equal(a.root_cause, "average() divides by len([]) == 0");
		assert_string_equal(a.category, "test_failure");
		assert_true(a.confidence == 0.92);
		assert_int_equal(a.auto_fixable, 1);
		assert_int_equal(a.files_to_modify.nr, 1);
		assert_string_equal(a.files_to_modify.v[0], "src/calc/stats.py");
		assert_string_equal(a.estimated_complexity, "low");
		assert_null(a.source);
		analysis_release(&a);
	}
}

/* a reply that is GOOD_REPLY with `field`'s value replaced by `value` (JSON) */
static char *with_field(const char *field, const char *value)
{
	json_t *o = json_loads(GOOD_REPLY, 0, NULL), *v = value ? json_loads(value, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL) : NULL;
	char *text;

	assert_non_null(o);
	if (value)
		assert_non_null(v);
	if (v)
		json_object_set_new(o, field, v);
	else
		json_object_del(o, field);
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text;
}

static void analyze__reply_fields_are_checked(void **state)
{
	static const struct { const char *field, *value, *message; } cases[] = {
		{ "confidence", "7", "'confidence' must be a number from 0 to 1, not 7" },
		{ "confidence", "-0.1", "'confidence' must be a number from 0 to 1, not -0.1" },
		{ "confidence", "\"0.9\"", "'confidence' must be a number from 0 to 1" },
		{ "confidence", NULL, "the reply has no 'confidence'" },
		{ "auto_fixable", "\"yes\"", "'auto_fixable' must be true or false" },
		{ "auto_fixable", "1", "'auto_fixable' must be true or false" },
		{ "category", "\"assertion\"", "'category' must be one of test_failure, flaky_test, "
		  "lint, build, network, timeout, unknown" },
		{ "estimated_complexity", "\"trivial\"", "'estimated_complexity' must be one of low, "
		  "medium, high" },
		{ "root_cause", "\"\"", "'root_cause' is empty" },
		{ "root_cause", "42", "'root_cause' must be a string" },
		{ "root_cause", "\"a\\u0000b\"", "'root_cause' holds a NUL byte" },
		{ "root_cause", "\"ring \\u0007 bell\"", "'root_cause' holds a control character" },
		{ "files_to_modify", "\"src/a.py\"", "'files_to_modify' must be a list of paths" },
		{ "files_to_modify", "[\"/etc/passwd\"]", "'files_to_modify' item 1 '/etc/passwd' is "
		  "not relative to the repository" },
		{ "files_to_modify", "[\"src/a.py\", \"src/../../x.py\"]", "'files_to_modify' item 2 "
		  "'src/../../x.py' holds '..'" },
		{ "files_to_modify", "[\"~/x.py\"]", "'files_to_modify' item 1 '~/x.py' is not relative" },
		{ "files_to_modify", "[\"./~rc/x.py\"]", "'files_to_modify' item 1 './~rc/x.py' is not relative" },
		{ "files_to_modify", "[\".//etc/passwd\"]", "'files_to_modify' item 1 './/etc/passwd' is not relative" },
		{ "files_to_modify", "[\"src\\\\a.py\"]", "holds a '\\': use '/'" },
		{ "files_to_modify", "[\"src//a.py\"]", "has an empty path component" },
		{ "files_to_modify", "[\"\"]", "has an empty path component" },
		{ "files_to_modify", "[3]", "'files_to_modify' item 1 is not a string" },
		{ "files_to_modify", "[\"a\\nb\"]", "'files_to_modify' item 1 holds a control character" },
		{ "extra", "1", "the reply has an unknown field 'extra'" },
	};
	struct analysis a;
	struct buf long_cause = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		char *reply = with_field(cases[i].field, cases[i].value);

		assert_int_equal(parse(&a, reply), ERR_PARSE);
		if (!strstr(error_last(), cases[i].message))
			fail_msg("%s = %s: '%s', not '%s'", cases[i].field, cases[i].value ? cases[i].value : "(none)",
				 error_last(), cases[i].message);
		/* nothing is kept */
		assert_null(a.root_cause);
		assert_null(a.category);
		assert_int_equal(a.files_to_modify.nr, 0);
		free(reply);
	}
	/* bounds */
	buf_addch(&long_cause, '"');
	for (i = 0; i <= ANALYZE_MAX_ROOT_CAUSE; i++)
		buf_addch(&long_cause, 'x');
	buf_addch(&long_cause, '"');
	{
		char *reply = with_field("root_cause", long_cause.ptr);
		assert_int_equal(parse(&a, reply), ERR_PARSE);
		assert_string_equal(error_last(), "'root_cause' is longer than 4000 bytes");
		free(reply);
	}
	buf_reset(&long_cause);
	buf_addch(&long_cause, '[');
	for (i = 0; i <= ANALYZE_MAX_FILES; i++)
		buf_addf(&long_cause, "%s\"f%zu.py\"", i ? "," : "", i);
	buf_addch(&long_cause, ']');
	{
		char *reply = with_field("files_to_modify", long_cause.ptr);
		assert_int_equal(parse(&a, reply), ERR_PARSE);
		assert_string_equal(error_last(), "'files_to_modify' lists more than 20 files");
		free(reply);
	}
	buf_release(&long_cause);
}

static void analyze__reply_garbage_is_refused(void **state)
{
	static const struct { const char *reply; size_t len; const char *message; } cases[] = {
		{ "", 0, "the reply is empty" },
		{ "   \n", 4, "the reply is empty" },
		{ "I think the test fails because of a division by zero.", 0,
		  "the reply is not a JSON object: it starts with 'I'" },
		{ "Here it is: " GOOD_REPLY, 0, "the reply is not a JSON object" },
		{ GOOD_REPLY " I hope this helps", 0, "the reply is not one JSON object" },
		{ GOOD_REPLY GOOD_REPLY, 0, "the reply is not one JSON object" },
		{ "[" GOOD_REPLY "]", 0, "the reply is not a JSON object: it starts with '['" },
		{ "{\"root_cause\": ", 0, "the reply is not one JSON object" },
		{ "```json\n" GOOD_REPLY, 0, "fence is not closed" },
		{ "```python\n" GOOD_REPLY "\n```", 0, "the reply's fence is not ```json" },
		{ "```json\n" GOOD_REPLY "\n```\n```json\n" GOOD_REPLY "\n```", 0, "more than one fenced block" },
		{ "```", 0, "fence is not closed" },
		{ "{\"root_cause\": \"a\", \"root_cause\": \"b\"}", 0, "duplicate object key" },
		{ "{\"x\": \"\xff\"}", 0, "the reply is not valid UTF-8" },
		{ "{\"x\": \"\0\"}", 10, "the reply holds a NUL byte" },
		{ "{\"confidence\": 1e999}", 0, "the reply is not one JSON object" },
	};
	struct analysis a;
	char *big;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].reply);

		assert_int_equal(analyze_reply_parse(&a, cases[i].reply, len), ERR_PARSE);
		if (!strstr(error_last(), cases[i].message))
			fail_msg("case %zu: '%s', not '%s'", i, error_last(), cases[i].message);
		assert_null(a.root_cause);
	}
	big = xmalloc(ANALYZE_REPLY_MAX + 1);
	memset(big, ' ', ANALYZE_REPLY_MAX + 1);
	assert_int_equal(analyze_reply_parse(&a, big, ANALYZE_REPLY_MAX + 1), ERR_LIMIT);
	free(big);
}

static void analyze__to_json(void **state)
{
	struct analysis a;
	json_t *j = NULL;
	char *text;

	(void)state;
	assert_int_equal(parse(&a, GOOD_REPLY), 0);
	a.source = xstrdup("llm:m-test");
	a.prompt_tokens = 120;
	a.completion_tokens = 45;
	assert_int_equal(analysis_to_json(&j, &a), 0);
	text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(6));
	assert_string_equal(text, "{\"auto_fixable\":true,\"category\":\"test_failure\","
			    "\"completion_tokens\":45,\"confidence\":0.92,\"estimated_complexity\":\"low\","
			    "\"files_to_modify\":[\"src/calc/stats.py\"],\"prompt_tokens\":120,"
			    "\"root_cause\":\"average() divides by len([]) == 0\",\"source\":\"llm:m-test\"}");
	free(text);
	json_decref(j);
	analysis_release(&a);
	/* an empty one: nulls, no token counts */
	assert_int_equal(analysis_to_json(&j, &a), 0);
	text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(6));
	assert_string_equal(text, "{\"auto_fixable\":false,\"category\":null,\"confidence\":0.0,"
			    "\"estimated_complexity\":null,\"files_to_modify\":[],\"root_cause\":null,"
			    "\"source\":null}");
	free(text);
	json_decref(j);
}

/* ---- asking a model (tests/fakes/fake_llm.py) ---- */

static void llm_start(struct fake *f, struct llm_provider **p, const char *script)
{
	char *argv[] = { "python3", FAKE_LLM, f->script, f->log, "60", NULL };
	struct llm_config cfg;
	char url[256];

	fake_init(f, "test-analyze-llm");
	fake_spawn(f, script, argv);
	memset(&cfg, 0, sizeof(cfg));
	cfg.provider = "openai";
	cfg.model = "m-test";
	snprintf(url, sizeof(url), "%s/v1/", f->base);
	cfg.base_url = url;
	cfg.api_key = TEST_KEY;
	cfg.timeout_ms = 5000;
	cfg.backoff_initial_ms = 50;
	cfg.max_attempts = 1;
	assert_int_equal(llm_provider_new(p, &cfg), 0);
}

/* a fake_llm script of one answer `content` */
static char *one_answer(const char *content)
{
	json_t *s = json_pack("[{s:s}]", "content", content);
	char *text = json_dumps(s, JSON_COMPACT);

	json_decref(s);
	return text;
}

static const char *request_message(json_t *reqs, size_t i, size_t m)
{
	json_t *body = json_object_get(json_array_get(reqs, i), "body");
	return json_string_value(json_object_get(json_array_get(json_object_get(body, "messages"), m),
						 "content"));
}

static void analyze__llm_good_reply(void **state)
{
	static const char *const project[] = {
		"src/calc/stats.py", "import math\n\ndef average(values):\n    total = sum(values)\n"
		"    return total / len(values)\n",
		"tests/test_calc.py", "from calc.stats import average\n\n\n\n\n\n\n\n\n\n\n\n\n"
		"def test_average():\n    assert average([]) == 0\n",
		NULL,
	};
	struct analyze_evidence ev;
	struct analysis a;
	struct llm_provider *p;
	struct fake f;
	struct buf root = BUF_INIT;
	char *script = one_answer("```json\n" GOOD_REPLY "\n```");
	const char *system, *user;
	json_t *reqs;
	size_t i;

	(void)state;
	buf_init(&root, 0);
	assert_int_equal(fs_mkdtemp(&root, "test-analyze-root"), 0);
	for (i = 0; project[i]; i += 2) {
		struct buf path = BUF_INIT, dir = BUF_INIT;
		buf_addf(&path, "%s/%s", root.ptr, project[i]);
		buf_add(&dir, path.ptr, (size_t)(strrchr(path.ptr, '/') - path.ptr));
		assert_int_equal(fs_mkdir_p(dir.ptr, 0700), 0);
		assert_int_equal(fs_write_atomic(path.ptr, project[i + 1], strlen(project[i + 1]), 0600), 0);
		buf_release(&path);
		buf_release(&dir);
	}
	read_log(&ev, "pytest-failure.log");
	llm_start(&f, &p, script);
	assert_int_equal(analyze_llm(&a, p, &ev, root.ptr), 0);
	assert_string_equal(a.source, "llm:m-test");
	assert_string_equal(a.category, "test_failure");
	assert_true(a.confidence == 0.92);
	assert_int_equal(a.auto_fixable, 1);
	assert_string_equal(a.files_to_modify.v[0], "src/calc/stats.py");
	assert_int_equal(a.prompt_tokens, 12);
	assert_int_equal(a.completion_tokens, 34);
	assert_true(analysis_auto_fix(&a, 0.8));

	reqs = fake_requests(&f);
	assert_int_equal(json_array_size(reqs), 1);
	system = request_message(reqs, 0, 0);
	user = request_message(reqs, 0, 1);
	assert_non_null(strstr(system, "\"root_cause\""));
	assert_non_null(strstr(system, "test_failure, flaky_test, lint, build, network, timeout, unknown"));
	/* the excerpt, the failing test, and the code of its frames */
	assert_non_null(strstr(user, "## The job's log"));
	assert_non_null(strstr(user, "Successfully installed calc-0.1.0"));
	assert_null(strstr(user, "2026-11-30T09:"));
	assert_non_null(strstr(user, "- 'tests/test_calc.py::test_average' fails with ZeroDivisionError"));
	assert_non_null(strstr(user, "return total / len(values)"));
	assert_non_null(strstr(user, "def test_average():"));
	assert_non_null(strstr(user, "src/calc/stats.py"));
	assert_null(strstr(user, TEST_KEY));
	json_decref(reqs);
	analysis_release(&a);
	fake_stop(&f);
	llm_provider_free(p);
	analyze_evidence_release(&ev);
	fs_remove_tree(root.ptr);
	buf_release(&root);
	free(script);
}

static void analyze__llm_bad_replies_are_err_parse(void **state)
{
	static const struct { const char *content, *message; } cases[] = {
		{ "The tests fail. Sorry, I cannot answer in JSON.",
		  "the model's analysis: the reply is not a JSON object" },
		{ "{\"root_cause\": \"x\", \"category\": \"lint\", \"confidence\": 7, "
		  "\"auto_fixable\": false, \"files_to_modify\": [], \"estimated_complexity\": \"low\"}",
		  "the model's analysis: 'confidence' must be a number from 0 to 1, not 7" },
		{ "\x01\x02{{{{[[[[\"\\", "the model's analysis: " },
	};
	struct analyze_evidence ev;
	size_t i;

	(void)state;
	read_log(&ev, "flake8.log");
	{
		struct analysis a;
		assert_int_equal(analyze_llm(&a, NULL, &ev, NULL), ERR_USAGE);
		assert_string_equal(error_last(), "cannot ask a model for the analysis: none is configured");
	}
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct analysis a;
		struct llm_provider *p;
		struct fake f;
		char *script = one_answer(cases[i].content);
		json_t *reqs;

		llm_start(&f, &p, script);
		assert_int_equal(analyze_llm(&a, p, &ev, NULL), ERR_PARSE);
		if (strncmp(error_last(), cases[i].message, strlen(cases[i].message)))
			fail_msg("case %zu: '%s', not '%s'", i, error_last(), cases[i].message);
		assert_null(a.root_cause);
		assert_null(a.source);
		assert_int_equal(a.prompt_tokens, 12);  /* counted all the same */
		reqs = fake_requests(&f);
		assert_non_null(strstr(request_message(reqs, 0, 1), "No failing test was found in "
				       "the log; it looks like: lint."));
		assert_non_null(strstr(request_message(reqs, 0, 1), "F401 'os' imported but unused"));
		json_decref(reqs);
		analysis_release(&a);
		fake_stop(&f);
		llm_provider_free(p);
		free(script);
	}
	analyze_evidence_release(&ev);
}

/* ---- fetching (tests/fakes/fake_github.py) ---- */

static void github_start(struct fake *f, struct github **gh, json_t *script)
{
	char *argv[] = { "python3", FAKE_GITHUB, f->script, "60", NULL };
	struct github_options o = GITHUB_OPTIONS_INIT;
	char *text;

	fake_init(f, "test-analyze-github");
	json_object_set_new(script, "log", json_string(f->log));
	json_object_set_new(script, "token", json_string(TEST_TOKEN));
	text = json_dumps(script, JSON_COMPACT);
	json_decref(script);
	fake_spawn(f, text, argv);
	free(text);
	o.api_url = f->base;
	o.token = TEST_TOKEN;
	o.timeout_ms = 5000;
	o.max_retries = 0;
	o.backoff_initial_ms = 50;
	assert_int_equal(github_open(gh, NULL, &o), 0);
}

static json_t *fetch_script(void)
{
	return json_pack("{s:{s:s, s:s, s:s}, s:{s:{s:[{s:i, s:s, s:s}, {s:i, s:s, s:s}, {s:i, s:s, s:s}]}},"
			 " s:{s:[i]}}",
			 "logs", "11", "2026-11-30T09:15:02.0000000Z job eleven\n",
			 "12", "2026-11-30T09:15:02.0000000Z job twelve passed\n",
			 "13", "2026-11-30T09:15:02.0000000Z job thirteen\n",
			 "runs", "500", "jobs",
			 "id", 11, "name", "test (3.11)", "conclusion", "failure",
			 "id", 12, "name", "lint", "conclusion", "success",
			 "id", 13, "name", "test (3.12)", "conclusion", "failure",
			 "suite_runs", "900", 500);
}

static void analyze__fetch_the_three_kinds(void **state)
{
	struct github *gh;
	struct fake f;
	struct buf out = BUF_INIT;
	json_t *reqs;
	size_t i;

	(void)state;
	github_start(&f, &gh, fetch_script());

	/* a check run: the job of the same id */
	assert_int_equal(analyze_fetch_log(&out, gh, "acme/calc", ANALYZE_CHECK_RUN, 11), 0);
	assert_string_equal(out.ptr, "2026-11-30T09:15:02.0000000Z job eleven\n");
	buf_reset(&out);
	/* a workflow run: its failed jobs, in the run-log format */
	assert_int_equal(analyze_fetch_log(&out, gh, "acme/calc", ANALYZE_WORKFLOW_RUN, 500), 0);
	assert_string_equal(out.ptr,
			    "test (3.11)\tlog\t2026-11-30T09:15:02.0000000Z job eleven\n"
			    "test (3.12)\tlog\t2026-11-30T09:15:02.0000000Z job thirteen\n");
	buf_reset(&out);
	/* a check suite: its workflow run */
	assert_int_equal(analyze_fetch_log(&out, gh, "acme/calc", ANALYZE_CHECK_SUITE, 900), 0);
	assert_string_equal(out.ptr,
			    "test (3.11)\tlog\t2026-11-30T09:15:02.0000000Z job eleven\n"
			    "test (3.12)\tlog\t2026-11-30T09:15:02.0000000Z job thirteen\n");
	reqs = fake_requests(&f);
	for (i = 0; i < json_array_size(reqs); i++)
		if (!strcmp(json_string_value(json_object_get(json_array_get(reqs, i), "path")),
			    "/repos/acme/calc/actions/runs?check_suite_id=900"))
			break;
	assert_true(i < json_array_size(reqs));
	assert_string_equal(json_string_value(json_object_get(json_array_get(reqs, i), "auth")),
			    "expected");
	json_decref(reqs);

	/* errors leave `out` as it was */
	buf_reset(&out);
	buf_adds(&out, "kept");
	assert_int_equal(analyze_fetch_log(&out, gh, "acme/calc", ANALYZE_CHECK_SUITE, 901),
			 ERR_NOTFOUND);
	assert_string_equal(error_last(), "check suite 901 has no workflow run");
	assert_int_equal(analyze_fetch_log(&out, gh, "acme/calc", ANALYZE_WORKFLOW_RUN, 501),
			 ERR_NOTFOUND);
	assert_int_equal(analyze_fetch_log(&out, gh, "acme/calc", ANALYZE_CHECK_RUN, 14),
			 ERR_NOTFOUND);
	assert_int_equal(analyze_fetch_log(&out, gh, "acme", ANALYZE_CHECK_RUN, 11), ERR_USAGE);
	assert_string_equal(error_last(), "invalid repository 'acme': it must be 'owner/name'");
	assert_int_equal(analyze_fetch_log(&out, gh, "acme/calc/x", ANALYZE_CHECK_RUN, 11), ERR_USAGE);
	assert_int_equal(analyze_fetch_log(&out, gh, "/calc", ANALYZE_CHECK_RUN, 11), ERR_USAGE);
	assert_int_equal(analyze_fetch_log(&out, gh, NULL, ANALYZE_CHECK_RUN, 11), ERR_USAGE);
	assert_int_equal(analyze_fetch_log(&out, gh, "acme/c alc", ANALYZE_CHECK_RUN, 11), ERR_USAGE);
	assert_int_equal(analyze_fetch_log(&out, gh, "acme/calc", ANALYZE_CHECK_RUN, 0), ERR_USAGE);
	assert_int_equal(analyze_fetch_log(&out, gh, "acme/calc", ANALYZE_CHECK_RUN,
					   (unsigned long long)INT64_MAX + 1), ERR_USAGE);
	assert_int_equal(analyze_fetch_log(&out, gh, "acme/calc", (enum analyze_source)7, 11),
			 ERR_USAGE);
	assert_string_equal(out.ptr, "kept");
	assert_null(strstr(error_last(), TEST_TOKEN));

	buf_release(&out);
	github_free(gh);
	fake_stop(&f);
}

static void analyze__fetch_and_read_end_to_end(void **state)
{
	struct github *gh;
	struct fake f;
	struct buf out = BUF_INIT;
	struct analyze_evidence ev;
	struct analysis a;
	size_t len;
	char *log = read_fixture("pytest-failure.log", &len);
	json_t *script = json_pack("{s:{s:s}, s:{s:{s:[{s:i, s:s, s:s}]}}, s:{s:[i]}}",
				   "logs", "21", log,
				   "runs", "600", "jobs", "id", 21, "name", "tests", "conclusion", "failure",
				   "suite_runs", "901", 600);

	(void)state;
	github_start(&f, &gh, script);
	assert_int_equal(analyze_fetch_log(&out, gh, "acme/calc", ANALYZE_CHECK_SUITE, 901), 0);
	assert_int_equal(analyze_log(&ev, out.ptr, out.len), 0);
	assert_int_equal(ev.tests.nr_failures, 1);
	assert_string_equal(ev.tests.failures[0].id, "tests/test_calc.py::test_average");
	assert_non_null(strstr(ev.excerpt, "tests\tlog\tFAILED tests/test_calc.py::test_average"));
	analyze_builtin(&a, &ev, &(struct analyze_repro){ 1, 0, 0 });
	assert_true(a.confidence == ANALYZE_CONF_REPRODUCED_FRAMES);
	analysis_release(&a);
	analyze_evidence_release(&ev);
	buf_release(&out);
	github_free(gh);
	fake_stop(&f);
	free(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(analyze__pytest_failure_in_an_actions_log),
		cmocka_unit_test(analyze__categories_without_a_test_failure),
		cmocka_unit_test(analyze__linters_one_line_each),
		cmocka_unit_test(analyze__huge_log_keeps_head_failures_and_tail),
		cmocka_unit_test(analyze__one_huge_line_is_cut_at_a_character),
		cmocka_unit_test(analyze__nul_bytes_and_invalid_utf8),
		cmocka_unit_test(analyze__secrets_are_redacted),
		cmocka_unit_test(analyze__builtin_confidence_follows_the_evidence),
		cmocka_unit_test(analyze__builtin_without_a_test_failure_escalates),
		cmocka_unit_test(analyze__builtin_root_cause_escapes_control_characters),
		cmocka_unit_test(analyze__native_traceback_paths_under_rootdir),
		cmocka_unit_test(analyze__builtin_files_and_complexity_of_many_failures),
		cmocka_unit_test(analyze__reply_good_plain_and_fenced),
		cmocka_unit_test(analyze__reply_fields_are_checked),
		cmocka_unit_test(analyze__reply_garbage_is_refused),
		cmocka_unit_test(analyze__to_json),
		cmocka_unit_test(analyze__llm_good_reply),
		cmocka_unit_test(analyze__llm_bad_replies_are_err_parse),
		cmocka_unit_test(analyze__fetch_the_three_kinds),
		cmocka_unit_test(analyze__fetch_and_read_end_to_end),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
