/*
 * The seed's three messages (src/serve/message.c): the exact text of each,
 * nulls for what is unknown, and what is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "serve/message.h"
#include "util/error.h"
#include "util/strvec.h"

/* 2024-01-15T10:30:00Z, the seed's example time */
#define SEED_TIME 1705314600.0

static void assert_text(const json_t *m, const char *want)
{
	char *text = message_text(m);

	assert_string_equal(text, want);
	free(text);
}

static void message__check_failed_is_the_seeds(void **state)
{
	struct message_check_failed in = {
		.pr_id = "org/repo#123", .repository = "org/repo", .check_name = "ci/tests",
		.check_run_id = 12345, .failure_time = SEED_TIME + 0.75,
		.log_url = "https://api.github.com/repos/org/repo/check-runs/12345/logs",
	};
	json_t *m = NULL;

	assert_int_equal(message_check_failed(&m, &in), 0);
	assert_text(m, "{\"event_type\":\"check.failed\",\"pr_id\":\"org/repo#123\","
		    "\"repository\":\"org/repo\",\"check_name\":\"ci/tests\","
		    "\"check_run_id\":\"12345\",\"failure_timestamp\":\"2024-01-15T10:30:00Z\","
		    "\"log_url\":\"https://api.github.com/repos/org/repo/check-runs/12345/logs\"}");
	json_decref(m);

	/* unknown time and log: null, the keys still there */
	in.failure_time = 0;
	in.log_url = NULL;
	assert_int_equal(message_check_failed(&m, &in), 0);
	assert_true(json_is_null(json_object_get(m, "failure_timestamp")));
	assert_true(json_is_null(json_object_get(m, "log_url")));
	assert_int_equal(json_object_size(m), 7);
	json_decref(m);
}

static void message__check_failed_refuses_what_is_missing(void **state)
{
	struct message_check_failed in = {
		.pr_id = "o/r#1", .repository = "o/r", .check_name = "tests", .check_run_id = 1,
	};
	json_t *m = (json_t *)&in;

	in.check_name = "";
	assert_int_equal(message_check_failed(&m, &in), ERR_USAGE);
	assert_null(m);
	assert_non_null(strstr(error_last(), "\"check_name\" is missing"));
	in.check_name = "tests";
	in.check_run_id = 0;
	assert_int_equal(message_check_failed(&m, &in), ERR_USAGE);
	assert_non_null(strstr(error_last(), "check_run_id"));
	in.check_run_id = 3;
	in.check_name = "bad \xff name";
	assert_int_equal(message_check_failed(&m, &in), ERR_USAGE);
	assert_non_null(strstr(error_last(), "\"check_name\" is not valid UTF-8"));
	assert_null(m);
}

static void message__fix_requested_is_the_seeds(void **state)
{
	struct strvec files = STRVEC_INIT;
	struct message_fix_requested in = {
		.pr_id = "uuid-123", .analysis_id = "uuid-456", .priority = "high",
		.estimated_complexity = "low", .files_to_modify = &files,
	};
	json_t *m = NULL;

	strvec_push(&files, "src/main.py");
	strvec_push(&files, "tests/test_main.py");
	assert_int_equal(message_fix_requested(&m, &in), 0);
	assert_text(m, "{\"event_type\":\"fix.requested\",\"pr_id\":\"uuid-123\","
		    "\"analysis_id\":\"uuid-456\",\"priority\":\"high\","
		    "\"estimated_complexity\":\"low\","
		    "\"files_to_modify\":[\"src/main.py\",\"tests/test_main.py\"]}");
	json_decref(m);

	in.files_to_modify = NULL;
	assert_int_equal(message_fix_requested(&m, &in), 0);
	assert_text(m, "{\"event_type\":\"fix.requested\",\"pr_id\":\"uuid-123\","
		    "\"analysis_id\":\"uuid-456\",\"priority\":\"high\","
		    "\"estimated_complexity\":\"low\",\"files_to_modify\":[]}");
	json_decref(m);

	in.priority = "urgent";
	assert_int_equal(message_fix_requested(&m, &in), ERR_USAGE);
	assert_non_null(strstr(error_last(), "\"priority\" is 'urgent'"));
	in.priority = "low";
	in.estimated_complexity = NULL;
	assert_int_equal(message_fix_requested(&m, &in), ERR_USAGE);
	assert_non_null(strstr(error_last(), "estimated_complexity"));
	in.estimated_complexity = "medium";
	in.files_to_modify = &files;
	strvec_push(&files, "bad\xc3");
	assert_int_equal(message_fix_requested(&m, &in), ERR_USAGE);
	assert_non_null(strstr(error_last(), "\"files_to_modify\" 3"));
	assert_null(m);
	strvec_clear(&files);
}

static void message__notification_is_the_seeds(void **state)
{
	struct message_notification in = {
		.priority = "medium", .channel = "telegram",
		.message = "Successfully fixed linting issues in PR #123",
		.pr_url = "https://github.com/org/repo/pull/123", .fix_type = "automated",
		.issues_fixed = 3, .time_to_fix = 154.9,
	};
	json_t *m = NULL, *extra;

	assert_int_equal(message_notification(&m, &in), 0);
	assert_text(m, "{\"event_type\":\"notification.send\",\"priority\":\"medium\","
		    "\"channel\":\"telegram\","
		    "\"message\":\"Successfully fixed linting issues in PR #123\","
		    "\"pr_url\":\"https://github.com/org/repo/pull/123\","
		    "\"details\":{\"fix_type\":\"automated\",\"issues_fixed\":3,"
		    "\"time_to_fix\":\"2m 34s\"}}");
	json_decref(m);

	/* more details after the seed's, which they cannot replace; unknowns are null */
	extra = json_pack("{s:s, s:i, s:s}", "repository", "org/repo", "pull_request", 123,
			  "fix_type", "sneaky");
	in.extra = extra;
	in.pr_url = NULL;
	in.time_to_fix = -1;
	in.channel = "webhook";
	in.fix_type = "escalated";
	in.issues_fixed = 0;
	assert_int_equal(message_notification(&m, &in), 0);
	assert_text(m, "{\"event_type\":\"notification.send\",\"priority\":\"medium\","
		    "\"channel\":\"webhook\","
		    "\"message\":\"Successfully fixed linting issues in PR #123\","
		    "\"pr_url\":null,"
		    "\"details\":{\"fix_type\":\"escalated\",\"issues_fixed\":0,"
		    "\"time_to_fix\":null,\"repository\":\"org/repo\",\"pull_request\":123}}");
	json_decref(m);

	in.channel = "email";
	assert_int_equal(message_notification(&m, &in), ERR_USAGE);
	assert_non_null(strstr(error_last(), "\"channel\" is 'email'"));
	in.channel = "webhook";
	in.issues_fixed = -2;
	assert_int_equal(message_notification(&m, &in), ERR_USAGE);
	in.issues_fixed = 1;
	in.message = NULL;
	assert_int_equal(message_notification(&m, &in), ERR_USAGE);
	assert_non_null(strstr(error_last(), "\"message\" is missing"));
	in.message = "x";
	in.extra = json_array();
	assert_int_equal(message_notification(&m, &in), ERR_USAGE);
	json_decref(in.extra);
	json_decref(extra);
	assert_null(m);
}

static void message__durations_and_times(void **state)
{
	static const struct { double s; const char *want; } cases[] = {
		{ 0, "0s" }, { 0.99, "0s" }, { 45, "45s" }, { 60, "1m 00s" }, { 154, "2m 34s" },
		{ 3723, "1h 02m 03s" }, { 183845, "2d 03h 04m 05s" }, { -5, "0s" },
		{ 1e30, "99999999d 23h 59m 59s" },
	};
	char d[MESSAGE_DURATION_MAX], t[MESSAGE_TIMESTAMP_MAX];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		message_duration(d, cases[i].s);
		assert_string_equal(d, cases[i].want);
	}
	message_timestamp(t, SEED_TIME);
	assert_string_equal(t, "2024-01-15T10:30:00Z");
	message_timestamp(t, 0);
	assert_string_equal(t, "1970-01-01T00:00:00Z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(message__check_failed_is_the_seeds),
		cmocka_unit_test(message__check_failed_refuses_what_is_missing),
		cmocka_unit_test(message__fix_requested_is_the_seeds),
		cmocka_unit_test(message__notification_is_the_seeds),
		cmocka_unit_test(message__durations_and_times),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
