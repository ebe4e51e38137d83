/*
 * Session reports (src/report/report.c): the Markdown and JSON of a session
 * recorded in a real store in a private temporary directory, and its
 * transcript. What each shows is checked line by line: statuses (a pending
 * failure reads "unfixed", a skipped one is left out), attempts, the flaky
 * tests a gate named, token totals and their cost, and a registered secret
 * that was recorded before it was registered coming out redacted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "report/report.h"
#include "runner/result.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/secret.h"
#include "util/xalloc.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* not key-shaped (the store refuses those outright), long enough to register */
#define SECRET "hunter2-correct-horse"
#define DIFF "--- a/src/calc.py\n+++ b/src/calc.py\n@@ -1 +1 @@\n-x\n+y\n"

struct fixture {
	struct buf dir;
	struct store *s;
	struct session_row row;
};

static void ok(int ret)
{
	if (ret < 0)
		fail_msg("unexpected error %d: %s", ret, error_last());
}

static void add_failure(struct store *s, const char *session, size_t index, const char *id,
			const char *message)
{
	struct failure f;

	memset(&f, 0, sizeof(f));
	f.id = xstrdup(id);
	failure_split_id(&f);
	f.kind = FAILURE_KIND_ERROR;
	f.error_type = xstrdup("ZeroDivisionError");
	f.message = xstrdup(message);
	f.loc_file = xstrdup("src/calc.py");
	f.loc_line = 6;
	ok(store_failure_add(s, session, index, &f));
	failure_release(&f);
}

static void add_attempt(struct store *s, const char *session, size_t failure, int number,
			enum attempt_status status, enum attempt_gate gate, const char *reason)
{
	struct attempt_row a = {
		.failure_index = failure, .number = number, .engine = "builtin",
		.method = ATTEMPT_METHOD_UPDATE, .template_name = "guard-zero", .temperature = 0.5,
		.status = status, .gate = gate, .reason = (char *)reason, .diff = DIFF,
		.error_category = "ZeroDivisionError", .started = 1000.0, .finished = 1001.0,
		.ran_target = 3, .ran_covering = gate == ATTEMPT_GATE_TARGET ? 0 : 12,
		.ran_full = status == ATTEMPT_PASSED ? 480 : 0,
	};

	snprintf(a.session, sizeof(a.session), "%s", session);
	if (status == ATTEMPT_PASSED) {
		strvec_push(&a.flaky, "tests/t.py::test_clock");
		strvec_push(&a.flaky_why, "passed on a rerun");
	}
	if (status == ATTEMPT_ERROR) {
		a.engine = "openai";
		a.method = ATTEMPT_METHOD_NONE;
		a.template_name = a.diff = NULL;
	}
	ok(store_attempt_add(s, &a));
	strvec_clear(&a.flaky);
	strvec_clear(&a.flaky_why);
}

static void add_exchange(struct store *s, const char *session, size_t failure, int attempt,
			 long prompt_tokens, const char *reply)
{
	struct exchange_row e = {
		.failure_index = failure, .attempt_number = attempt, .provider = "openai",
		.model = "gpt-4o-mini", .prompt = "repair test_mul", .reply = (char *)reply,
		.outcome = "applied", .prompt_tokens = prompt_tokens,
		.completion_tokens = prompt_tokens / 10, .latency = 1.5, .temperature = 0.4,
		.at = 2000.0,
	};

	snprintf(e.session, sizeof(e.session), "%s", session);
	ok(store_exchange_add(s, &e));
}

/*
 * A session that ended FAILED: failure 0 fixed on the second attempt (the
 * first failed its target gate), 1 pending with an attempt that broke down,
 * 2 skipped, 3 unfixed and never tried. The secret is in a failure's
 * message, an attempt's reason and a reply, registered only afterwards.
 */
static int setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof(*fx));
	struct buf db = BUF_INIT;
	const char *id;

	buf_init(&fx->dir, 0);
	if (fs_mkdtemp(&fx->dir, "pf-report") < 0)
		fail_msg("%s", error_last());
	buf_addf(&db, "%s/state.db", fx->dir.ptr);
	ok(store_open(&fx->s, db.ptr));
	buf_release(&db);
	ok(store_session_create(&fx->row, fx->s, "/home/u/proj", "0123abcd",
				"{\"price_in\": 2.0, \"price_out\": 8.0, \"max_tokens\": 1000}"));
	id = fx->row.id;
	add_failure(fx->s, id, 0, "tests/test_calc.py::test_div", "division by zero");
	add_failure(fx->s, id, 1, "tests/test_calc.py::test_mul", "token " SECRET " leaked");
	add_failure(fx->s, id, 2, "tests/test_skip.py::test_x", "not asked for");
	add_failure(fx->s, id, 3, "tests/test_calc.py::test_add", "off by one");
	ok(store_failure_set_status(fx->s, id, 0, FAILURE_FIXED, "fix-test_div", "c0ffee"));
	ok(store_failure_set_status(fx->s, id, 1, FAILURE_PENDING, NULL, NULL));
	ok(store_failure_set_status(fx->s, id, 2, FAILURE_SKIPPED, NULL, NULL));
	add_attempt(fx->s, id, 0, 1, ATTEMPT_FAILED, ATTEMPT_GATE_TARGET,
		    "still | fails\nafter " SECRET);
	add_attempt(fx->s, id, 0, 2, ATTEMPT_PASSED, ATTEMPT_GATE_NONE, NULL);
	add_attempt(fx->s, id, 1, 3, ATTEMPT_ERROR, ATTEMPT_GATE_NONE, "provider broke down");
	add_exchange(fx->s, id, 1, 3, 100, "no change: " SECRET);
	add_exchange(fx->s, id, 1, 3, 200, NULL);
	ok(store_session_set_state(fx->s, id, SESSION_RUNNING, NULL));
	ok(store_session_set_state(fx->s, id, SESSION_FAILED, NULL));
	assert_int_equal(secret_add(SECRET), 1);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	secret_clear();
	session_row_release(&fx->row);
	store_free(fx->s);
	fs_remove_tree(fx->dir.ptr);
	buf_release(&fx->dir);
	free(fx);
	return 0;
}

static const char *str(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_string(v))
		fail_msg("'%s' is not a string", key);
	return json_string_value(v);
}

static void assert_contains(const char *text, const char *want)
{
	if (!strstr(text, want))
		fail_msg("missing:\n%s\n--- in:\n%s", want, text);
}

static void report__json_has_statuses_and_attempts(void **state)
{
	struct fixture *fx = *state;
	json_t *obj = NULL, *errors, *e, *attempts, *a;

	ok(report_session_json(&obj, fx->s, fx->row.id));
	assert_string_equal(str(obj, "session"), fx->row.id);
	assert_string_equal(str(obj, "state"), "FAILED");
	assert_string_equal(str(obj, "base_commit"), "0123abcd");
	assert_string_equal(str(obj, "root"), "/home/u/proj");
	errors = json_object_get(obj, "errors");
	/* the skipped failure is left out; the others in their order */
	assert_int_equal(json_array_size(errors), 3);

	e = json_array_get(errors, 0);
	assert_string_equal(str(e, "id"), "tests/test_calc.py::test_div");
	assert_string_equal(str(e, "status"), "fixed");
	assert_string_equal(str(e, "branch"), "fix-test_div");
	assert_string_equal(str(e, "commit"), "c0ffee");
	assert_string_equal(str(json_object_get(e, "failure"), "error_type"), "ZeroDivisionError");
	attempts = json_object_get(e, "attempts");
	assert_int_equal(json_array_size(attempts), 2);
	a = json_array_get(attempts, 0);
	assert_int_equal(json_integer_value(json_object_get(a, "number")), 1);
	assert_string_equal(str(a, "status"), "failed");
	assert_string_equal(str(a, "gate"), "target");
	assert_string_equal(str(a, "template"), "guard-zero");
	assert_int_equal(json_array_size(json_object_get(a, "flaky")), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(a, "tests_run"),
							    "target")), 3);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(a, "tests_run"),
							    "full")), 0);
	a = json_array_get(attempts, 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(a, "tests_run"),
							    "covering")), 12);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(a, "tests_run"),
							    "full")), 480);
	assert_string_equal(str(a, "status"), "passed");
	assert_true(json_is_null(json_object_get(a, "gate")));
	assert_string_equal(str(a, "diff"), DIFF);
	assert_int_equal(json_array_size(json_object_get(a, "flaky")), 1);
	assert_string_equal(str(json_array_get(json_object_get(a, "flaky"), 0), "id"),
			    "tests/t.py::test_clock");
	assert_string_equal(str(json_array_get(json_object_get(a, "flaky"), 0), "why"),
			    "passed on a rerun");

	/* pending is stored, unfixed is shown */
	e = json_array_get(errors, 1);
	assert_string_equal(str(e, "id"), "tests/test_calc.py::test_mul");
	assert_string_equal(str(e, "status"), "unfixed");
	assert_null(json_object_get(e, "branch"));
	attempts = json_object_get(e, "attempts");
	assert_int_equal(json_array_size(attempts), 1);
	a = json_array_get(attempts, 0);
	assert_string_equal(str(a, "status"), "error");
	assert_string_equal(str(a, "engine"), "openai");
	assert_true(json_is_null(json_object_get(a, "method")));

	e = json_array_get(errors, 2);
	assert_string_equal(str(e, "id"), "tests/test_calc.py::test_add");
	assert_string_equal(str(e, "status"), "unfixed");
	assert_int_equal(json_array_size(json_object_get(e, "attempts")), 0);
	json_decref(obj);
}

static void report__markdown_summarises_and_redacts(void **state)
{
	struct fixture *fx = *state;
	struct buf md = BUF_INIT, want = BUF_INIT;

	ok(report_session_markdown(&md, fx->s, fx->row.id));
	buf_addf(&want, "# pytest-fixer session %s\n\n- **State:** FAILED\n"
		 "- **Project:** `/home/u/proj`\n- **Base commit:** `0123abcd`\n", fx->row.id);
	assert_true(!strncmp(md.ptr, want.ptr, want.len));
	assert_contains(md.ptr, "- **Failures:** 1 fixed, 2 not fixed\n");
	assert_contains(md.ptr, "- **Attempts:** 3\n");
	assert_contains(md.ptr, "- **LLM tokens:** 300 prompt, 30 reply\n");
	/* (300 * 2 + 30 * 8) / 1e6 */
	assert_contains(md.ptr, "- **Estimated cost:** $0.0008 (at $2 / $8 per million tokens)\n");
	assert_contains(md.ptr, "- **Token budget:** 1000\n");

	assert_contains(md.ptr, "## `tests/test_calc.py::test_div`: fixed\n\n- **Kind:** ");
	assert_contains(md.ptr, "- **Location:** `src/calc.py:6`\n- **Branch:** `fix-test_div`\n"
			"- **Commit:** `c0ffee`\n");
	/* a table cell is one line without pipes */
	assert_contains(md.ptr, "| 1 | builtin | update | guard-zero | failed | target | 3 / 0 / 0 | "
			"still \\| fails after [redacted] |\n");
	assert_contains(md.ptr, "| 2 | builtin | update | guard-zero | passed | - | 3 / 12 / 480 | - |\n");
	assert_contains(md.ptr, "\nAttempt 2: 'tests/t.py::test_clock' is flaky (passed on a rerun)"
			": not counted as a regression.\n");
	assert_contains(md.ptr, "\nThe verified change:\n\n```diff\n" DIFF "```\n");
	assert_contains(md.ptr, "## `tests/test_calc.py::test_mul`: unfixed\n");
	assert_contains(md.ptr, "- **Error:** ZeroDivisionError: token [redacted] leaked\n");
	assert_contains(md.ptr, "| 3 | openai | - | - | error | - | 3 / 12 / 0 | provider broke down |\n");
	assert_contains(md.ptr, "## `tests/test_calc.py::test_add`: unfixed\n");
	assert_contains(md.ptr, "\nNo attempt was made on it directly.\n");
	assert_null(strstr(md.ptr, "test_skip"));
	assert_null(strstr(md.ptr, SECRET));
	buf_release(&want);
	buf_release(&md);
}

static void report__write_session_makes_the_directory(void **state)
{
	struct fixture *fx = *state;
	struct buf dir = BUF_INIT, path = BUF_INIT, want = BUF_INIT, got = BUF_INIT;
	struct buf md = BUF_INIT;

	buf_addf(&dir, "%s/project/.pytest-fixer/reports", fx->dir.ptr);
	buf_addf(&path, "%s/%s.md", dir.ptr, fx->row.id);
	ok(report_write_session(fx->s, fx->row.id, path.ptr));
	buf_addf(&want, "%s/%s.md", dir.ptr, fx->row.id);
	assert_string_equal(path.ptr, want.ptr);
	assert_true(fs_is_dir(dir.ptr));
	ok(fs_read_file(&got, path.ptr, 0));
	ok(report_session_markdown(&md, fx->s, fx->row.id));
	assert_string_equal(got.ptr, md.ptr);
	buf_release(&md);
	buf_release(&got);
	buf_release(&want);
	buf_release(&path);
	buf_release(&dir);
}

static void report__transcript_lists_exchanges(void **state)
{
	struct fixture *fx = *state;
	json_t *arr = NULL, *e;
	struct buf text = BUF_INIT;

	ok(report_transcript_json(&arr, fx->s, fx->row.id));
	assert_int_equal(json_array_size(arr), 2);
	e = json_array_get(arr, 0);
	assert_string_equal(str(e, "failure"), "tests/test_calc.py::test_mul");
	assert_int_equal(json_integer_value(json_object_get(e, "failure_index")), 1);
	assert_int_equal(json_integer_value(json_object_get(e, "attempt")), 3);
	assert_int_equal(json_integer_value(json_object_get(e, "prompt_tokens")), 100);
	assert_int_equal(json_integer_value(json_object_get(e, "completion_tokens")), 10);
	assert_true(json_is_null(json_object_get(e, "system")));
	assert_true(json_is_null(json_object_get(json_array_get(arr, 1), "reply")));
	json_decref(arr);

	ok(report_transcript_text(&text, fx->s, fx->row.id));
	assert_contains(text.ptr, "2 exchanges, 300 tokens in, 30 out\n");
	assert_contains(text.ptr, "\n=== exchange 1 of 2: tests/test_calc.py::test_mul, attempt 3 ===\n"
			"provider:    openai / gpt-4o-mini\n");
	assert_contains(text.ptr, "--- reply ---\nno change: [redacted]\n");
	assert_contains(text.ptr, "--- reply ---\n(none)\n");
	assert_null(strstr(text.ptr, SECRET));
	buf_release(&text);
}

static void report__unknown_or_quiet_sessions(void **state)
{
	struct fixture *fx = *state;
	struct session_row other;
	struct buf text = BUF_INIT, want = BUF_INIT;
	json_t *obj = NULL;

	assert_int_equal(report_session_json(&obj, fx->s, "19990101-000000-beef"), ERR_NOTFOUND);
	assert_null(obj);
	assert_int_equal(report_session_markdown(&text, fx->s, "19990101-000000-beef"),
			 ERR_NOTFOUND);
	ok(store_session_create(&other, fx->s, "/p", NULL, NULL));
	ok(report_transcript_text(&text, fx->s, other.id));
	buf_addf(&want, "session %s has no exchanges: no language model was asked\n", other.id);
	assert_string_equal(text.ptr, want.ptr);
	ok(report_session_json(&obj, fx->s, other.id));
	assert_string_equal(str(obj, "state"), "INITIALIZING");
	assert_int_equal(json_array_size(json_object_get(obj, "errors")), 0);
	json_decref(obj);
	session_row_release(&other);
	buf_release(&want);
	buf_release(&text);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(report__json_has_statuses_and_attempts),
		T(report__markdown_summarises_and_redacts),
		T(report__write_session_makes_the_directory),
		T(report__transcript_lists_exchanges),
		T(report__unknown_or_quiet_sessions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
