/*
 * The GitHub REST client (src/github/github.c) against tests/fakes/
 * fake_github.py, which records every request it gets.
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
#include "net/http.h"
#include "runner/cilog.h"
#include "runner/junit.h"
#include "runner/result.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/sig.h"
#include "util/strvec.h"
#include "util/xalloc.h"

#include "fake_server.h"

#define FAKE_GITHUB FIXTURES_DIR "/../fakes/fake_github.py"
#define SINGLE_JOB_LOG FIXTURES_DIR "/cilog/single-job.log"
#define TEST_TOKEN "ghp_TESTTOKEN0123456789"
#define TEST_BACKOFF_MS 50
#define TEST_TIMEOUT_MS 5000

/* ---- the fake server ---- */

/* start the fake with `script` (a JSON object; its "log" is set here; stolen) */
static void fake_start(struct fake *f, json_t *script)
{
	char *argv[] = { "python3", FAKE_GITHUB, f->script, "60", NULL };
	char *text;

	fake_init(f, "test-github");
	json_object_set_new(script, "log", json_string(f->log));
	text = json_dumps(script, JSON_COMPACT);
	assert_non_null(text);
	json_decref(script);
	fake_spawn(f, text, argv);
	free(text);
}

static const char *req_field(json_t *reqs, size_t i, const char *key)
{
	return json_string_value(json_object_get(json_array_get(reqs, i), key));
}

static const char *req_header(json_t *reqs, size_t i, const char *name)
{
	return json_string_value(json_object_get(json_object_get(json_array_get(reqs, i),
								 "headers"), name));
}

static size_t count_server(json_t *reqs, const char *server)
{
	size_t i, n = 0;

	for (i = 0; i < json_array_size(reqs); i++)
		n += !strcmp(req_field(reqs, i, "server"), server);
	return n;
}

static void open_client(struct github **gh, const struct fake *f, const char *token)
{
	struct github_options o = GITHUB_OPTIONS_INIT;

	o.api_url = f->base;
	o.token = token;
	o.timeout_ms = TEST_TIMEOUT_MS;
	o.max_retries = 3;
	o.max_wait_ms = 5000;
	o.backoff_initial_ms = TEST_BACKOFF_MS;
	assert_int_equal(github_open(gh, NULL, &o), 0);
}

static void assert_no_token(const char *s)
{
	if (strstr(s, TEST_TOKEN))
		fail_msg("the token shows in '%s'", s);
}

static json_t *job(long long id, const char *name, const char *conclusion)
{
	return json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id, "name", name,
			 "conclusion", conclusion);
}

/* a script with job 11's log `text` */
static json_t *script_with_log(const char *text)
{
	return json_pack("{s:s, s:{s:s}}", "token", TEST_TOKEN, "logs", "11", text);
}

/* add a fault to the script */
static void add_fault(json_t *script, json_t *fault)
{
	json_t *faults = json_object_get(script, "faults");

	if (!faults) {
		faults = json_array();
		json_object_set_new(script, "faults", faults);
	}
	json_array_append_new(faults, fault);
}

#define JOB11_LOGS "/repos/o/r/actions/jobs/11/logs"

/* ---- job logs ---- */

static void github__job_log_follows_the_redirect_without_the_token(void **state)
{
	struct github *gh = NULL;
	struct buf out = BUF_INIT;
	struct fake f;
	json_t *script = script_with_log("2024-05-01T12:00:00.0000000Z hello\nworld\n"), *reqs;

	json_object_set_new(script, "blob_server", json_string("separate"));
	fake_start(&f, script);
	open_client(&gh, &f, TEST_TOKEN);
	assert_int_equal(github_job_log(&out, gh, "o", "r", 11), 0);
	assert_string_equal(out.ptr, "2024-05-01T12:00:00.0000000Z hello\nworld\n");

	reqs = fake_requests(&f);
	assert_int_equal(json_array_size(reqs), 2);
	assert_string_equal(req_field(reqs, 0, "server"), "api");
	assert_string_equal(req_field(reqs, 0, "method"), "GET");
	assert_string_equal(req_field(reqs, 0, "path"), JOB11_LOGS);
	assert_string_equal(req_field(reqs, 0, "auth"), "expected");
	assert_string_equal(req_header(reqs, 0, "Accept"), "application/vnd.github+json");
	assert_string_equal(req_header(reqs, 0, "X-GitHub-Api-Version"), GITHUB_API_VERSION);
	assert_string_equal(req_header(reqs, 0, "User-Agent"), "pytest-fixer/" PF_VERSION);
	/* another port is another host: the token stays behind */
	assert_string_equal(req_field(reqs, 1, "server"), "blob");
	assert_string_equal(req_field(reqs, 1, "path"), "/_blobs/jobs/11.txt");
	assert_string_equal(req_field(reqs, 1, "auth"), "none");
	json_decref(reqs);
	github_free(gh);
	buf_release(&out);
	fake_stop(&f);
}

static void github__no_token_sends_no_authorization(void **state)
{
	struct github *gh = NULL;
	struct buf out = BUF_INIT;
	struct fake f;
	json_t *reqs;

	fake_start(&f, script_with_log("public\n"));
	unsetenv(GITHUB_ENV_TOKEN);
	open_client(&gh, &f, NULL);
	assert_int_equal(github_job_log(&out, gh, "o", "r", 11), 0);
	assert_string_equal(out.ptr, "public\n");
	reqs = fake_requests(&f);
	assert_int_equal(json_array_size(reqs), 2);
	assert_string_equal(req_field(reqs, 0, "auth"), "none");
	assert_string_equal(req_field(reqs, 1, "auth"), "none");
	json_decref(reqs);
	github_free(gh);
	buf_release(&out);
	fake_stop(&f);
}

static void github__job_log_over_the_cap_is_err_limit(void **state)
{
	struct github *gh = NULL;
	struct buf out = BUF_INIT;
	struct fake f;
	json_t *script = json_pack("{s:{s:{s:I}}}", "logs", "11", "pad",
				   (json_int_t)CILOG_MAX_SIZE + 1);

	fake_start(&f, script);
	open_client(&gh, &f, TEST_TOKEN);
	assert_int_equal(github_job_log(&out, gh, "o", "r", 11), ERR_LIMIT);
	assert_non_null(strstr(error_last(), "limit"));
	assert_int_equal(out.len, 0);
	github_free(gh);
	buf_release(&out);
	fake_stop(&f);
}

/* ---- run logs ---- */

static const char second_log[] =
	"\xEF\xBB\xBF" "2024-05-01T12:40:00.0000000Z ##[group]Run pytest\r\n"
	"2024-05-01T12:40:01.0000000Z =========================== short test summary info ===\r\n"
	"2024-05-01T12:40:01.1000000Z FAILED tests/test_io.py::test_read - OSError: boom\r\n"
	"2024-05-01T12:40:01.2000000Z ========== 1 failed, 4 passed in 0.50s ==========\r\n"
	"2024-05-01T12:40:01.3000000Z ##[error]Process completed with exit code 1.";

static void github__run_logs_paginate_and_feed_cilog(void **state)
{
	struct github *gh = NULL;
	struct buf out = BUF_INIT, first = BUF_INIT;
	struct strvec jobs = STRVEC_INIT;
	struct test_result res = TEST_RESULT_INIT;
	struct fake f;
	json_t *script, *reqs;
	const char *p;
	size_t i, nr_api = 0;

	assert_int_equal(fs_read_file(&first, SINGLE_JOB_LOG, 0), 0);
	script = json_pack("{s:s, s:i, s:{s:{s:[o,o,o]}}, s:{s:s, s:s}}", "token", TEST_TOKEN,
			   "max_per_page", 2, "runs", "42", "jobs",
			   job(11, "test (3.11)", "failure"), job(12, "lint", "success"),
			   job(13, "test (3.12)", "failure"),
			   "logs", "11", first.ptr, "13", second_log);
	assert_non_null(script);
	fake_start(&f, script);
	open_client(&gh, &f, TEST_TOKEN);
	assert_int_equal(github_run_logs(&out, &jobs, gh, "o", "r", 42, 0), 0);
	assert_int_equal(jobs.nr, 2);
	assert_string_equal(jobs.v[0], "test (3.11)");
	assert_string_equal(jobs.v[1], "test (3.12)");

	/* every line carries its job and the step column */
	for (p = out.ptr; *p; p = strchr(p, '\n') + 1)
		assert_true(!strncmp(p, "test (3.11)\t" GITHUB_RUN_LOG_STEP "\t", 15) ||
			    !strncmp(p, "test (3.12)\t" GITHUB_RUN_LOG_STEP "\t", 15));
	assert_int_equal(out.ptr[out.len - 1], '\n');
	assert_null(strstr(out.ptr, "\r"));
	assert_non_null(strstr(out.ptr, "test (3.12)\tlog\t2024-05-01T12:40:01.3000000Z ##[error]"));

	reqs = fake_requests(&f);
	for (i = 0; i < json_array_size(reqs); i++)
		if (strstr(req_field(reqs, i, "path"), "/runs/42/jobs"))
			assert_string_equal(req_field(reqs, i, "path"), nr_api++ ?
					    "/repos/o/r/actions/runs/42/jobs?per_page=100&page=2" :
					    "/repos/o/r/actions/runs/42/jobs?per_page=100&page=1");
	assert_int_equal(nr_api, 2);
	assert_int_equal(count_server(reqs, "api"), 4);   /* two pages, two logs */
	json_decref(reqs);

	/* cilog reads the failures of both jobs */
	assert_int_equal(cilog_failures(&res, out.ptr, out.len), 0);
	assert_int_equal(res.nr_failures, 6);
	assert_non_null(test_result_find(&res, "tests/test_calc.py::TestDiv::test_div"));
	assert_non_null(test_result_find(&res, "tests/test_broken.py"));
	assert_non_null(test_result_find(&res, "tests/test_io.py::test_read"));
	assert_string_equal(test_result_find(&res, "tests/test_io.py::test_read")->error_type,
			    "OSError");
	assert_int_equal(res.summary.failed, 4);
	assert_int_equal(res.summary.errors, 2);
	assert_int_equal(res.summary.passed, 9);

	test_result_release(&res);
	strvec_clear(&jobs);
	github_free(gh);
	buf_release(&first);
	buf_release(&out);
	fake_stop(&f);
}

static void github__run_logs_of_an_attempt(void **state)
{
	struct github *gh = NULL;
	struct buf out = BUF_INIT;
	struct strvec jobs = STRVEC_INIT;
	struct fake f;
	json_t *script, *reqs;

	script = json_pack("{s:{s:{s:[o], s:{s:{s:[o]}}}}, s:{s:s}}",
			   "runs", "42", "jobs", job(11, "test", "success"),
			   "attempts", "2", "jobs", job(21, "test", "failure"),
			   "logs", "21", "attempt two\n");
	assert_non_null(script);
	fake_start(&f, script);
	open_client(&gh, &f, NULL);
	assert_int_equal(github_run_logs(&out, &jobs, gh, "o", "r", 42, 2), 0);
	assert_string_equal(out.ptr, "test\tlog\tattempt two\n");
	reqs = fake_requests(&f);
	assert_string_equal(req_field(reqs, 0, "path"),
			    "/repos/o/r/actions/runs/42/attempts/2/jobs?per_page=100&page=1");
	assert_string_equal(req_field(reqs, 1, "path"), "/repos/o/r/actions/jobs/21/logs");
	json_decref(reqs);

	/* the latest attempt passed: nothing to fetch, and out is left alone */
	assert_int_equal(github_run_logs(&out, &jobs, gh, "o", "r", 42, 0), ERR_NOTFOUND);
	assert_non_null(strstr(error_last(), "run 42 has no failed job"));
	assert_string_equal(out.ptr, "test\tlog\tattempt two\n");
	assert_int_equal(jobs.nr, 1);

	/* an unknown attempt is github's 404 */
	assert_int_equal(github_run_logs(&out, &jobs, gh, "o", "r", 42, 3), ERR_NOTFOUND);
	assert_non_null(strstr(error_last(), "not found (404"));
	strvec_clear(&jobs);
	github_free(gh);
	buf_release(&out);
	fake_stop(&f);
}

static void github__job_names_become_valid_columns(void **state)
{
	struct github *gh = NULL;
	struct buf out = BUF_INIT, longname = BUF_INIT;
	struct fake f;
	json_t *script;
	size_t i;

	for (i = 0; i < CILOG_MAX_PREFIX + 50; i++)
		buf_addch(&longname, 'n');
	script = json_pack("{s:{s:{s:[o,o]}}, s:{s:s, s:s}}",
			   "runs", "7", "jobs", job(1, "a\tb", "failure"),
			   job(2, longname.ptr, "failure"), "logs", "1", "x\n", "2", "y");
	fake_start(&f, script);
	open_client(&gh, &f, NULL);
	assert_int_equal(github_run_logs(&out, NULL, gh, "o", "r", 7, 0), 0);
	assert_int_equal(strncmp(out.ptr, "a b\tlog\tx\n", 10), 0);
	buf_setlen(&longname, CILOG_MAX_PREFIX);
	buf_adds(&longname, "\tlog\ty\n");
	assert_string_equal(out.ptr + 10, longname.ptr);
	github_free(gh);
	buf_release(&longname);
	buf_release(&out);
	fake_stop(&f);
}

/* ---- errors and retries ---- */

static void github__unauthorized_is_usage_and_not_retried(void **state)
{
	struct github *gh = NULL;
	struct buf out = BUF_INIT;
	struct fake f;
	json_t *script = script_with_log("x\n"), *reqs;

	add_fault(script, json_pack("{s:s, s:i}", "path", JOB11_LOGS, "status", 401));
	fake_start(&f, script);
	open_client(&gh, &f, TEST_TOKEN);
	assert_int_equal(github_job_log(&out, gh, "o", "r", 11), ERR_USAGE);
	assert_string_equal(error_last(), "github refused the credentials (401 Bad credentials) "
			    "for GET " JOB11_LOGS ": set GITHUB_TOKEN to a valid token");
	reqs = fake_requests(&f);
	assert_int_equal(json_array_size(reqs), 1);
	json_decref(reqs);
	github_free(gh);
	buf_release(&out);
	fake_stop(&f);
}

static void github__not_found_is_notfound(void **state)
{
	struct github *gh = NULL;
	struct buf out = BUF_INIT;
	struct fake f;

	fake_start(&f, script_with_log("x\n"));
	open_client(&gh, &f, TEST_TOKEN);
	assert_int_equal(github_job_log(&out, gh, "o", "r", 99), ERR_NOTFOUND);
	assert_string_equal(error_last(), "github: GET /repos/o/r/actions/jobs/99/logs not found "
			    "(404 Not Found): check the URL; a private repository needs GITHUB_TOKEN");
	github_free(gh);
	buf_release(&out);
	fake_stop(&f);
}

static void github__retry_after_429_is_honoured(void **state)
{
	struct github *gh = NULL;
	struct buf out = BUF_INIT;
	struct fake f;
	json_t *script = script_with_log("after the wait\n"), *reqs;
	double start;

	add_fault(script, json_pack("{s:s, s:i, s:i}", "path", JOB11_LOGS, "status", 429,
				    "retry_after", 1));
	fake_start(&f, script);
	open_client(&gh, &f, TEST_TOKEN);
	start = clock_monotonic();
	assert_int_equal(github_job_log(&out, gh, "o", "r", 11), 0);
	assert_true(clock_monotonic() - start >= 0.9);
	assert_string_equal(out.ptr, "after the wait\n");
	reqs = fake_requests(&f);
	assert_int_equal(count_server(reqs, "api"), 2);   /* 429, then the log */
	assert_int_equal(count_server(reqs, "blob"), 1);
	json_decref(reqs);
	github_free(gh);
	buf_release(&out);
	fake_stop(&f);
}

static void github__rate_limit_exhausted_is_err_limit(void **state)
{
	struct github *gh = NULL;
	struct github_options o = GITHUB_OPTIONS_INIT;
	struct buf out = BUF_INIT;
	struct fake f;
	json_t *script = script_with_log("x\n"), *reqs;

	/* a 403 with X-RateLimit-Remaining: 0 that lifts now, every time */
	add_fault(script, json_pack("{s:s, s:i, s:i, s:i}", "path", JOB11_LOGS, "status", 403,
				    "times", -1, "ratelimit_reset_in", 0));
	fake_start(&f, script);
	o.api_url = f.base;
	o.token = TEST_TOKEN;
	o.max_retries = 2;
	o.max_wait_ms = 5000;
	assert_int_equal(github_open(&gh, NULL, &o), 0);
	assert_int_equal(github_job_log(&out, gh, "o", "r", 11), ERR_LIMIT);
	assert_non_null(strstr(error_last(), "github rate limit for GET " JOB11_LOGS
			       " (403 API rate limit exceeded"));
	assert_non_null(strstr(error_last(), "gave up after 3 attempts"));
	reqs = fake_requests(&f);
	assert_int_equal(json_array_size(reqs), 3);
	json_decref(reqs);
	github_free(gh);
	buf_release(&out);
	fake_stop(&f);
}

/*
 * A 429 asking for `retry_after` s, every time, from a client opened with
 * `o`: ERR_LIMIT at once after one request, the message saying `lifts`.
 */
static void assert_rate_limit_final_at_once(struct github_options *o, int retry_after,
					    const char *lifts)
{
	struct github *gh = NULL;
	struct buf out = BUF_INIT;
	struct fake f;
	json_t *script = script_with_log("x\n"), *reqs;
	double start;

	add_fault(script, json_pack("{s:s, s:i, s:i, s:i}", "path", JOB11_LOGS, "status", 429,
				    "times", -1, "retry_after", retry_after));
	fake_start(&f, script);
	o->api_url = f.base;
	assert_int_equal(github_open(&gh, NULL, o), 0);
	start = clock_monotonic();
	assert_int_equal(github_job_log(&out, gh, "o", "r", 11), ERR_LIMIT);
	assert_true(clock_monotonic() - start < 2.0);
	assert_non_null(strstr(error_last(), "github rate limit for GET " JOB11_LOGS));
	assert_non_null(strstr(error_last(), lifts));
	reqs = fake_requests(&f);
	assert_int_equal(json_array_size(reqs), 1);
	json_decref(reqs);
	github_free(gh);
	buf_release(&out);
	fake_stop(&f);
	o->api_url = NULL;
}

/* a Retry-After past max_retry_wait_ms is final at once, and says what was asked */
static void github__huge_retry_after_fails_fast(void **state)
{
	struct github_options o = GITHUB_OPTIONS_INIT;

	o.max_wait_ms = 24L * 3600 * 1000 * 365;
	o.max_retry_wait_ms = 2000;
	assert_rate_limit_final_at_once(&o, 999999999, "it lifts in 999999999 s");
}

static void github__wait_budget_from_the_environment(void **state)
{
	struct github *gh = NULL;
	struct github_options o = GITHUB_OPTIONS_INIT;

	/* asks for 5 s: more than the 100 ms allowed, so no wait at all */
	setenv(GITHUB_ENV_MAX_WAIT_MS, "100", 1);
	assert_rate_limit_final_at_once(&o, 5, "it lifts in 5 s");
	unsetenv(GITHUB_ENV_MAX_WAIT_MS);

	setenv(GITHUB_ENV_MAX_WAIT_MS, "soon", 1);
	assert_int_equal(github_open(&gh, NULL, &o), ERR_USAGE);
	assert_null(gh);
	assert_non_null(strstr(error_last(), GITHUB_ENV_MAX_WAIT_MS));
	unsetenv(GITHUB_ENV_MAX_WAIT_MS);
}

static void github__server_error_is_retried(void **state)
{
	struct github *gh = NULL;
	struct buf out = BUF_INIT;
	struct fake f;
	json_t *script = script_with_log("third time\n"), *reqs;

	add_fault(script, json_pack("{s:s, s:i, s:i}", "path", JOB11_LOGS, "status", 500,
				    "times", 2));
	fake_start(&f, script);
	open_client(&gh, &f, TEST_TOKEN);
	assert_int_equal(github_job_log(&out, gh, "o", "r", 11), 0);
	assert_string_equal(out.ptr, "third time\n");
	reqs = fake_requests(&f);
	assert_int_equal(count_server(reqs, "api"), 3);
	json_decref(reqs);
	github_free(gh);
	buf_release(&out);
	fake_stop(&f);
}

static void github__server_error_exhausted_is_an_error(void **state)
{
	struct github *gh = NULL;
	struct buf out = BUF_INIT;
	struct fake f;
	json_t *script = script_with_log("x\n"), *reqs;

	add_fault(script, json_pack("{s:s, s:i, s:i}", "path", JOB11_LOGS, "status", 502,
				    "times", -1));
	fake_start(&f, script);
	open_client(&gh, &f, TEST_TOKEN);
	assert_int_equal(github_job_log(&out, gh, "o", "r", 11), ERR_GENERIC);
	assert_string_equal(error_last(), "github failed GET " JOB11_LOGS " (HTTP 502 Bad Gateway); "
			    "gave up after 4 attempts");
	reqs = fake_requests(&f);
	assert_int_equal(json_array_size(reqs), 4);
	json_decref(reqs);
	github_free(gh);
	buf_release(&out);
	fake_stop(&f);
}

static void github__connection_refused_is_an_error(void **state)
{
	struct github *gh = NULL;
	struct github_options o = GITHUB_OPTIONS_INIT;
	struct buf out = BUF_INIT;
	struct fake f;
	char url[128];

	/* a port that was free a moment ago */
	fake_start(&f, json_object());
	snprintf(url, sizeof(url), "%s", f.base);
	fake_stop(&f);
	o.api_url = url;
	o.max_retries = 1;
	o.backoff_initial_ms = TEST_BACKOFF_MS;
	assert_int_equal(github_open(&gh, NULL, &o), 0);
	assert_int_equal(github_job_log(&out, gh, "o", "r", 11), ERR_GENERIC);
	assert_non_null(strstr(error_last(), "gave up after 2 attempts"));
	github_free(gh);
	buf_release(&out);
}

static void github__garbage_json_is_err_parse(void **state)
{
	struct github *gh = NULL;
	struct buf out = BUF_INIT;
	struct fake f;
	json_t *script = json_pack("{s:{s:{s:[]}}}", "runs", "5", "jobs");

	add_fault(script, json_pack("{s:s, s:i, s:s}", "path", "/repos/o/r/actions/runs/5/jobs",
				    "status", 200, "body", "<html>not json"));
	add_fault(script, json_pack("{s:s, s:i, s:s}", "path", "/repos/o/r/actions/runs/5/jobs",
				    "status", 200, "body", "{\"total_count\": 1}"));
	fake_start(&f, script);
	open_client(&gh, &f, TEST_TOKEN);
	assert_int_equal(github_run_logs(&out, NULL, gh, "o", "r", 5, 0), ERR_PARSE);
	assert_non_null(strstr(error_last(), "cannot parse github's answer to GET "
			       "/repos/o/r/actions/runs/5/jobs: "));
	assert_int_equal(github_run_logs(&out, NULL, gh, "o", "r", 5, 0), ERR_PARSE);
	assert_non_null(strstr(error_last(), "no \"jobs\" list"));
	/* the run itself has no job at all */
	assert_int_equal(github_run_logs(&out, NULL, gh, "o", "r", 5, 0), ERR_NOTFOUND);
	assert_string_equal(error_last(), "run 5 has no failed job (0 jobs)");
	github_free(gh);
	buf_release(&out);
	fake_stop(&f);
}

static void github__bad_names_are_refused(void **state)
{
	struct github *gh = NULL;
	struct github_options o = GITHUB_OPTIONS_INIT;
	struct buf out = BUF_INIT;

	o.api_url = "http://127.0.0.1:9";
	assert_int_equal(github_open(&gh, NULL, &o), 0);
	assert_int_equal(github_job_log(&out, gh, "o/../x", "r", 1), ERR_USAGE);
	assert_int_equal(github_job_log(&out, gh, "o", "..", 1), ERR_USAGE);
	assert_int_equal(github_job_log(&out, gh, "o", "r?x=1", 1), ERR_USAGE);
	assert_int_equal(github_job_log(&out, gh, "o", "r", 0), ERR_USAGE);
	github_free(gh);
	buf_release(&out);
}

/* ---- JUnit reports in artifacts ---- */

static const char junit_report[] =
	"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	"<testsuites><testsuite name=\"pytest\" errors=\"0\" failures=\"1\" skipped=\"0\" "
	"tests=\"2\" time=\"0.1\">"
	"<testcase classname=\"tests.test_calc\" name=\"test_add\" file=\"tests/test_calc.py\" "
	"line=\"3\" time=\"0.01\"/>"
	"<testcase classname=\"tests.test_calc\" name=\"test_div\" file=\"tests/test_calc.py\" "
	"line=\"7\" time=\"0.01\"><failure message=\"ZeroDivisionError: division by zero\">"
	"def test_div():\n&gt;       assert 1 / 0\nE       ZeroDivisionError: division by zero\n\n"
	"tests/test_calc.py:8: ZeroDivisionError</failure></testcase>"
	"</testsuite></testsuites>\n";

static const char other_report[] =
	"<testsuite name=\"more\" tests=\"1\" failures=\"0\">"
	"<testcase classname=\"tests.test_io\" name=\"test_read\" file=\"tests/test_io.py\"/>"
	"</testsuite>";

#define ARTIFACTS_42 "/repos/o/r/actions/runs/42/artifacts"

static json_t *artifact(long long id, const char *name, json_t *files)
{
	return json_pack("{s:I, s:s, s:o, s:b}", "id", (json_int_t)id, "name", name,
			 "files", files, "expired", 0);
}

/* the requests to `server` whose path starts with `prefix` */
static size_t count_path(json_t *reqs, const char *server, const char *prefix)
{
	size_t i, n = 0;

	for (i = 0; i < json_array_size(reqs); i++)
		n += !strcmp(req_field(reqs, i, "server"), server) &&
			!strncmp(req_field(reqs, i, "path"), prefix, strlen(prefix));
	return n;
}

static void github__run_junit_reads_test_result_artifacts(void **state)
{
	struct github *gh = NULL;
	struct test_result res = TEST_RESULT_INIT;
	struct strvec names = STRVEC_INIT;
	struct fake f;
	struct failure *fl;
	json_t *script, *reqs;
	size_t i;

	script = json_pack("{s:s, s:b, s:s, s:i, s:{s:[o,o,o,o]}}", "token", TEST_TOKEN,
			   "auth_required", 1, "blob_server", "separate", "max_per_page", 2,
			   "artifacts", "42",
			   artifact(5, "JUnit-3.11", json_pack("{s:s, s:s}", "report.xml",
							   junit_report, "other.txt", "x")),
			   artifact(6, "coverage", json_pack("{s:s}", "coverage.xml", other_report)),
			   json_pack("{s:i, s:s, s:b, s:{s:s}}", "id", 7, "name", "test-results-old",
				     "expired", 1, "files", "old.xml", other_report),
			   artifact(8, "Test Results (3.12)", json_pack("{s:s}", "sub/more.XML",
									other_report)));
	assert_non_null(script);
	fake_start(&f, script);
	open_client(&gh, &f, TEST_TOKEN);
	assert_int_equal(github_run_junit(&res, &names, gh, "o", "r", 42, "/proj"), 0);

	assert_int_equal(names.nr, 2);
	assert_string_equal(names.v[0], "JUnit-3.11/report.xml");
	assert_string_equal(names.v[1], "Test Results (3.12)/sub/more.XML");
	assert_int_equal(res.summary.total, 3);
	assert_int_equal(res.summary.passed, 2);
	assert_int_equal(res.summary.failed, 1);
	assert_int_equal(res.nr_failures, 1);
	fl = test_result_find(&res, "tests/test_calc.py::test_div");
	assert_non_null(fl);
	assert_string_equal(fl->error_type, "ZeroDivisionError");
	assert_string_equal(res.rootdir, "/proj");

	/* two pages of the list, then the two zips; coverage and the expired one never fetched */
	reqs = fake_requests(&f);
	assert_int_equal(count_path(reqs, "api", ARTIFACTS_42 "?per_page=100&page=1"), 1);
	assert_int_equal(count_path(reqs, "api", ARTIFACTS_42 "?per_page=100&page=2"), 1);
	assert_int_equal(count_path(reqs, "api", "/repos/o/r/actions/artifacts/5/zip"), 1);
	assert_int_equal(count_path(reqs, "api", "/repos/o/r/actions/artifacts/8/zip"), 1);
	assert_int_equal(count_path(reqs, "api", "/repos/o/r/actions/artifacts/"), 2);
	assert_int_equal(count_path(reqs, "blob", "/_blobs/artifacts/5.zip"), 1);
	assert_int_equal(count_path(reqs, "blob", "/_blobs/artifacts/"), 2);
	/* the token goes to the API and never to the blob host */
	for (i = 0; i < json_array_size(reqs); i++)
		assert_string_equal(req_field(reqs, i, "auth"),
				    strcmp(req_field(reqs, i, "server"), "api") ? "none" : "expected");
	json_decref(reqs);

	test_result_release(&res);
	strvec_clear(&names);
	github_free(gh);
	fake_stop(&f);
}

static void github__run_junit_skips_members_that_are_not_junit(void **state)
{
	struct github *gh = NULL;
	struct test_result res = TEST_RESULT_INIT;
	struct strvec names = STRVEC_INIT;
	struct fake f;
	json_t *script;

	script = json_pack("{s:{s:[o]}}", "artifacts", "42",
			   artifact(5, "pytest-results", json_pack(
				   "{s:s, s:s, s:s, s:s, s:s}",
				   "pom.xml", "<?xml version=\"1.0\"?>\n<!-- a build file -->\n"
				   "<project><testsuite/></project>",
				   "broken.xml", "<testsuites><testsuite name=\"x\"><testcase",
				   "empty.xml", "",
				   "dir/report.xml", junit_report,
				   "notes.txt", "<testsuite/>")));
	fake_start(&f, script);
	open_client(&gh, &f, NULL);
	assert_int_equal(github_run_junit(&res, &names, gh, "o", "r", 42, NULL), 0);
	assert_int_equal(names.nr, 1);
	assert_string_equal(names.v[0], "pytest-results/dir/report.xml");
	assert_int_equal(res.summary.total, 2);
	assert_int_equal(res.nr_failures, 1);
	assert_null(res.rootdir);
	test_result_release(&res);
	strvec_clear(&names);
	github_free(gh);
	fake_stop(&f);
}

static void github__run_junit_survives_corrupt_zips_and_bombs(void **state)
{
	struct github *gh = NULL;
	struct test_result res = TEST_RESULT_INIT;
	struct strvec names = STRVEC_INIT;
	struct fake f;
	json_t *script, *reqs;

	script = json_pack("{s:{s:[o,o,o,o,o,o]}}", "artifacts", "42",
			   json_pack("{s:i, s:s, s:b}", "id", 5, "name", "junit-a", "corrupt", 1),
			   json_pack("{s:i, s:s, s:{s:s}, s:s}", "id", 4, "name", "junit-crc",
				     "files", "report.xml", junit_report, "corrupt", "data"),
			   json_pack("{s:i, s:s, s:{s:{s:I}}}", "id", 6, "name", "junit-bomb",
				     "files", "bomb.xml", "zeros", (json_int_t)JUNIT_MAX_SIZE + 1),
			   json_pack("{s:i, s:s, s:{s:s}, s:i}", "id", 7, "name", "junit-many",
				     "files", "report.xml", junit_report,
				     "members", GITHUB_ZIP_MAX_MEMBERS),
			   json_pack("{s:i, s:s, s:{s:s}, s:I}", "id", 8, "name", "junit-huge",
				     "files", "report.xml", junit_report,
				     "size_in_bytes", (json_int_t)GITHUB_ARTIFACT_MAX_BYTES + 1),
			   artifact(9, "junit-good", json_pack("{s:s}", "report.xml", other_report)));
	fake_start(&f, script);
	open_client(&gh, &f, NULL);
	assert_int_equal(github_run_junit(&res, &names, gh, "o", "r", 42, NULL), 0);
	/* only the good one is read; the others are warnings */
	assert_int_equal(names.nr, 1);
	assert_string_equal(names.v[0], "junit-good/report.xml");
	assert_int_equal(res.summary.total, 1);
	assert_int_equal(res.nr_failures, 0);
	/* the one listed as too large is not downloaded */
	reqs = fake_requests(&f);
	assert_int_equal(count_path(reqs, "api", "/repos/o/r/actions/artifacts/8/zip"), 0);
	assert_int_equal(count_path(reqs, "api", "/repos/o/r/actions/artifacts/"), 5);
	json_decref(reqs);
	test_result_release(&res);
	strvec_clear(&names);
	github_free(gh);
	fake_stop(&f);
}

static void github__run_junit_without_artifacts_adds_nothing(void **state)
{
	struct github *gh = NULL;
	struct test_result res = TEST_RESULT_INIT;
	struct strvec names = STRVEC_INIT;
	struct fake f;
	json_t *script, *reqs;

	script = json_pack("{s:{s:[], s:[o]}}", "artifacts", "42", "43",
			   artifact(5, "coverage-report", json_pack("{s:s}", "report.xml",
								    junit_report)));
	fake_start(&f, script);
	open_client(&gh, &f, NULL);
	assert_int_equal(github_run_junit(&res, &names, gh, "o", "r", 42, NULL), 0);
	assert_int_equal(github_run_junit(&res, &names, gh, "o", "r", 43, NULL), 0);
	assert_int_equal(names.nr, 0);
	assert_int_equal(res.summary.total, 0);
	assert_int_equal(res.nr_failures, 0);
	reqs = fake_requests(&f);
	assert_int_equal(json_array_size(reqs), 2);
	json_decref(reqs);
	github_free(gh);
	fake_stop(&f);
}

static void github__run_junit_errors_leave_the_result_alone(void **state)
{
	struct github *gh = NULL;
	struct test_result res = TEST_RESULT_INIT;
	struct strvec names = STRVEC_INIT;
	struct fake f;
	json_t *script;

	script = json_pack("{s:{s:[o,o]}}", "artifacts", "42",
			   artifact(5, "junit-1", json_pack("{s:s}", "report.xml", junit_report)),
			   artifact(6, "junit-2", json_pack("{s:s}", "report.xml", other_report)));
	/* the second zip cannot be had: nothing of the first stays */
	add_fault(script, json_pack("{s:s, s:i, s:i}", "path", "/repos/o/r/actions/artifacts/6/zip",
				    "status", 401, "times", -1));
	fake_start(&f, script);
	open_client(&gh, &f, TEST_TOKEN);

	/* an unknown run is github's 404 */
	assert_int_equal(github_run_junit(&res, &names, gh, "o", "r", 99, NULL), ERR_NOTFOUND);
	assert_string_equal(error_last(), "github: GET /repos/o/r/actions/runs/99/artifacts not "
			    "found (404 Not Found): check the URL; a private repository needs "
			    "GITHUB_TOKEN");

	assert_int_equal(github_run_junit(&res, &names, gh, "o", "r", 42, "/proj"), ERR_USAGE);
	assert_non_null(strstr(error_last(), "cannot download artifact 'junit-2' of run 42: "));
	assert_no_token(error_last());
	assert_int_equal(names.nr, 0);
	assert_int_equal(res.summary.total, 0);
	assert_int_equal(res.nr_failures, 0);
	assert_null(res.rootdir);

	assert_int_equal(github_run_junit(&res, &names, gh, "o", "..", 42, NULL), ERR_USAGE);
	assert_int_equal(github_run_junit(&res, &names, gh, "o", "r", 0, NULL), ERR_USAGE);
	test_result_release(&res);
	strvec_clear(&names);
	github_free(gh);
	fake_stop(&f);
}

/* ---- pull requests ---- */

static void github__pull_create_opens_a_draft(void **state)
{
	struct github *gh = NULL;
	struct github_pull pull = GITHUB_PULL_INIT;
	struct fake f;
	json_t *script, *reqs, *body;
	char want[256];

	script = json_pack("{s:s, s:b, s:{s:i}}", "token", TEST_TOKEN, "auth_required", 1,
			   "pulls", "next_number", 7);
	fake_start(&f, script);
	open_client(&gh, &f, TEST_TOKEN);
	assert_int_equal(github_pull_create(&pull, gh, "o", "r", "fix-test_x", "main",
					    "Fix test_x", "Found by pytest-fixer.", 1), 0);
	assert_int_equal(pull.number, 7);
	snprintf(want, sizeof(want), "%s/o/r/pull/7", f.base);
	assert_string_equal(pull.html_url, want);

	reqs = fake_requests(&f);
	assert_int_equal(json_array_size(reqs), 1);
	assert_string_equal(req_field(reqs, 0, "method"), "POST");
	assert_string_equal(req_field(reqs, 0, "path"), "/repos/o/r/pulls");
	assert_string_equal(req_field(reqs, 0, "auth"), "expected");
	assert_string_equal(req_header(reqs, 0, "Content-Type"), "application/json");
	body = json_object_get(json_array_get(reqs, 0), "body");
	assert_true(json_is_true(json_object_get(body, "draft")));
	assert_string_equal(json_string_value(json_object_get(body, "head")), "fix-test_x");
	assert_string_equal(json_string_value(json_object_get(body, "base")), "main");
	assert_string_equal(json_string_value(json_object_get(body, "title")), "Fix test_x");
	assert_string_equal(json_string_value(json_object_get(body, "body")),
			    "Found by pytest-fixer.");
	json_decref(reqs);

	/* the same head again: github says a pull request exists */
	assert_int_equal(github_pull_create(&pull, gh, "o", "r", "fix-test_x", "main",
					    "Fix test_x", NULL, 1), ERR_CONFLICT);
	assert_string_equal(error_last(), "github refused POST /repos/o/r/pulls (422 Validation "
			    "Failed: A pull request already exists for o:fix-test_x.)");
	assert_int_equal(pull.number, 7);
	github_pull_release(&pull);
	github_free(gh);
	fake_stop(&f);
}

static void github__pull_create_not_draft_and_without_body(void **state)
{
	struct github *gh = NULL;
	struct github_pull pull = GITHUB_PULL_INIT;
	struct fake f;
	json_t *reqs, *body;

	fake_start(&f, json_object());
	open_client(&gh, &f, NULL);
	assert_int_equal(github_pull_create(&pull, gh, "o", "r", "b", "main", "t", NULL, 0), 0);
	assert_int_equal(pull.number, 1);
	reqs = fake_requests(&f);
	body = json_object_get(json_array_get(reqs, 0), "body");
	assert_true(json_is_false(json_object_get(body, "draft")));
	assert_null(json_object_get(body, "body"));
	json_decref(reqs);
	assert_int_equal(github_pull_create(&pull, gh, "o", "r", "", "main", "t", NULL, 0),
			 ERR_USAGE);
	github_pull_release(&pull);
	github_free(gh);
	fake_stop(&f);
}

/* ---- the token ---- */

static void github__token_is_never_shown(void **state)
{
	struct github *gh = NULL;
	struct github_pull pull = GITHUB_PULL_INIT;
	struct buf out = BUF_INIT;
	struct fake f;
	json_t *script = script_with_log("x\n");

	/* a server that quotes the token back */
	add_fault(script, json_pack("{s:s, s:i, s:s}", "path", JOB11_LOGS, "status", 403,
				    "message", "token " TEST_TOKEN " lacks the actions scope"));
	add_fault(script, json_pack("{s:s, s:i, s:s}", "path", "/repos/o/r/pulls", "status", 401,
				    "message", "Bad credentials: " TEST_TOKEN));
	fake_start(&f, script);
	open_client(&gh, &f, TEST_TOKEN);
	assert_int_equal(github_job_log(&out, gh, "o", "r", 11), ERR_USAGE);
	assert_non_null(strstr(error_last(), "lacks the actions scope"));
	assert_no_token(error_last());
	assert_int_equal(github_pull_create(&pull, gh, "o", "r", "h", "main", "t", NULL, 1),
			 ERR_USAGE);
	assert_no_token(error_last());
	assert_int_equal(github_job_log(&out, gh, "o", "r", 12345), ERR_NOTFOUND);
	assert_no_token(error_last());
	assert_no_token(github_api_url(gh));
	github_free(gh);

	/* a token that would inject a header is refused, unquoted */
	{
		struct github_options o = GITHUB_OPTIONS_INIT;
		o.api_url = f.base;
		o.token = TEST_TOKEN "\r\nX-Evil: 1";
		assert_int_equal(github_open(&gh, NULL, &o), ERR_USAGE);
		assert_no_token(error_last());
	}
	buf_release(&out);
	fake_stop(&f);
}

static void github__open_finds_the_api_url(void **state)
{
	struct github *gh = NULL;
	struct github_options o = GITHUB_OPTIONS_INIT;

	unsetenv(GITHUB_ENV_API_URL);
	assert_int_equal(github_open(&gh, NULL, NULL), 0);
	assert_string_equal(github_api_url(gh), "https://api.github.com");
	github_free(gh);
	assert_int_equal(github_open(&gh, "GitHub.com", NULL), 0);
	assert_string_equal(github_api_url(gh), "https://api.github.com");
	github_free(gh);
	assert_int_equal(github_open(&gh, "ghe.example.com", NULL), 0);
	assert_string_equal(github_api_url(gh), "https://ghe.example.com/api/v3");
	github_free(gh);

	setenv(GITHUB_ENV_API_URL, "http://127.0.0.1:8080/api/", 1);
	assert_int_equal(github_open(&gh, "ghe.example.com", NULL), 0);
	assert_string_equal(github_api_url(gh), "http://127.0.0.1:8080/api");
	github_free(gh);
	o.api_url = "https://other.example/";
	assert_int_equal(github_open(&gh, NULL, &o), 0);
	assert_string_equal(github_api_url(gh), "https://other.example");
	github_free(gh);
	unsetenv(GITHUB_ENV_API_URL);

	o.api_url = "ftp://example.com";
	assert_int_equal(github_open(&gh, NULL, &o), ERR_USAGE);
	assert_null(gh);
	o.api_url = NULL;
	assert_int_equal(github_open(&gh, "bad host/x", &o), ERR_USAGE);
	assert_null(gh);
}

static void github__interrupt_stops_the_wait(void **state)
{
	struct github *gh = NULL;
	struct buf out = BUF_INIT;
	struct fake f;
	json_t *script = script_with_log("x\n");
	double start;

	add_fault(script, json_pack("{s:s, s:i, s:i}", "path", JOB11_LOGS, "status", 429,
				    "retry_after", 3));
	fake_start(&f, script);
	open_client(&gh, &f, TEST_TOKEN);
	sig_install();
	raise(SIGINT);
	start = clock_monotonic();
	assert_int_equal(github_job_log(&out, gh, "o", "r", 11), ERR_INTERRUPTED);
	assert_true(clock_monotonic() - start < 2.5);
	sig_reset();
	github_free(gh);
	buf_release(&out);
	fake_stop(&f);
}

/* ---- for `serve`: pull requests read, the comment kept, failed runs ---- */

static void github__pull_get_reads_the_head(void **state)
{
	struct github *gh = NULL;
	struct github_pull_info p = GITHUB_PULL_INFO_INIT;
	struct fake f;
	json_t *script = json_pack("{s:s, s:{s:{s:s, s:s, s:s}, s:{s:s}, s:{s:n}}}", "token",
				   TEST_TOKEN, "pull_info",
				   "7", "head_sha", "0123456789abcdef0123456789abcdef01234567",
				   "head_ref", "feature/x", "base_ref", "develop",
				   "8", "head_repo", "mallory/r",
				   "9", "head_repo");

	fake_start(&f, script);
	open_client(&gh, &f, TEST_TOKEN);
	assert_int_equal(github_pull_get(&p, gh, "o", "r", 7), 0);
	assert_int_equal(p.number, 7);
	assert_string_equal(p.state, "open");
	assert_string_equal(p.head_sha, "0123456789abcdef0123456789abcdef01234567");
	assert_string_equal(p.head_ref, "feature/x");
	assert_string_equal(p.head_repo, "o/r");
	assert_string_equal(p.base_ref, "develop");
	assert_non_null(strstr(p.html_url, "/o/r/pull/7"));
	assert_false(p.head_is_fork);

	assert_int_equal(github_pull_get(&p, gh, "o", "r", 8), 0);
	assert_string_equal(p.head_repo, "mallory/r");
	assert_true(p.head_is_fork);
	assert_int_equal(github_pull_get(&p, gh, "o", "r", 9), 0);     /* the fork was deleted */
	assert_null(p.head_repo);
	assert_true(p.head_is_fork);

	assert_int_equal(github_pull_get(&p, gh, "o", "r", 10), ERR_NOTFOUND);
	assert_non_null(strstr(error_last(), "/repos/o/r/pulls/10"));
	assert_int_equal(p.number, 9);  /* unchanged on error */
	assert_int_equal(github_pull_get(&p, gh, "o", "r", 0), ERR_USAGE);
	github_pull_info_release(&p);
	github_free(gh);
	fake_stop(&f);
}

static void github__pull_get_garbage_is_err_parse(void **state)
{
	struct github *gh = NULL;
	struct github_pull_info p = GITHUB_PULL_INFO_INIT;
	struct fake f;
	json_t *script = json_pack("{s:s}", "token", TEST_TOKEN);

	add_fault(script, json_pack("{s:s, s:i, s:s}", "path", "/repos/o/r/pulls/7", "status", 200,
				    "body", "{\"number\": 7, \"head\": null}"));
	fake_start(&f, script);
	open_client(&gh, &f, TEST_TOKEN);
	assert_int_equal(github_pull_get(&p, gh, "o", "r", 7), ERR_PARSE);
	assert_non_null(strstr(error_last(), "GET /repos/o/r/pulls/7"));
	assert_null(p.head_sha);
	github_free(gh);
	fake_stop(&f);
}

#define MARKER "<!-- pytest-fixer -->"

/* the requests of `method` to paths starting with `prefix` */
static size_t count_requests(json_t *reqs, const char *method, const char *prefix)
{
	size_t i, n = 0;

	for (i = 0; i < json_array_size(reqs); i++)
		n += !strcmp(req_field(reqs, i, "method"), method) &&
		     !strncmp(req_field(reqs, i, "path"), prefix, strlen(prefix));
	return n;
}

/* the last body of `method` the fake got, as text */
static const char *last_body(json_t *reqs, const char *method)
{
	size_t i = json_array_size(reqs);

	while (i--)
		if (!strcmp(req_field(reqs, i, "method"), method))
			return json_string_value(json_object_get(json_object_get(
				json_array_get(reqs, i), "body"), "body"));
	return NULL;
}

static void github__comment_upsert_posts_then_edits_in_place(void **state)
{
	struct github *gh = NULL;
	struct github_comment c = GITHUB_COMMENT_INIT;
	struct fake f;
	long long first;
	/* three comments of others first, two a page: ours lands on page 2 */
	json_t *script = json_pack("{s:s, s:i, s:{s:[{s:i, s:s}, {s:i, s:s}, {s:i, s:s}]}}",
				   "token", TEST_TOKEN, "max_per_page", 2, "comments", "7",
				   "id", 1, "body", "looks good", "id", 2, "body", "pytest-fixer?",
				   "id", 3, "body", "<!-- another bot -->"), *reqs;

	fake_start(&f, script);
	open_client(&gh, &f, TEST_TOKEN);
	assert_int_equal(github_comment_upsert(&c, gh, "o", "r", 7, MARKER, MARKER "\nfirst"), 0);
	first = c.id;
	assert_true(first >= 1000);
	assert_non_null(strstr(c.html_url, "#issuecomment-"));
	assert_int_equal(github_comment_upsert(&c, gh, "o", "r", 7, MARKER, MARKER "\nsecond"), 0);
	assert_int_equal(c.id, first);

	reqs = fake_requests(&f);
	assert_int_equal(count_requests(reqs, "POST", "/repos/o/r/issues/7/comments"), 1);
	assert_int_equal(count_requests(reqs, "PATCH", "/repos/o/r/issues/comments/"), 1);
	/* every page read each time: 2 pages, then 2 pages (its own comment is the 4th) */
	assert_int_equal(count_requests(reqs, "GET", "/repos/o/r/issues/7/comments?"), 4);
	assert_string_equal(last_body(reqs, "PATCH"), MARKER "\nsecond");
	assert_string_equal(req_field(reqs, json_array_size(reqs) - 1, "auth"), "expected");
	json_decref(reqs);

	/* the body must keep the marker, or it would never be found again */
	assert_int_equal(github_comment_upsert(&c, gh, "o", "r", 7, MARKER, "no marker"), ERR_USAGE);
	assert_int_equal(github_comment_upsert(&c, gh, "o", "r", 0, MARKER, MARKER), ERR_USAGE);
	github_comment_release(&c);
	github_free(gh);
	fake_stop(&f);
}

/* a composer that appends " +1" to what was there, and says what it saw */
static int compose_counter(struct buf *out, const char *previous, void *payload)
{
	struct strvec *seen = payload;

	strvec_push(seen, previous ? previous : "(none)");
	buf_adds(out, previous ? previous : MARKER);
	return buf_adds(out, " +1");
}

static int compose_fails(struct buf *out, const char *previous, void *payload)
{
	return error_setc(ERR_PARSE, "cannot compose");
}

static void github__comment_upsert_with_sees_the_previous_body(void **state)
{
	struct github *gh = NULL;
	struct github_comment c = GITHUB_COMMENT_INIT;
	struct strvec seen = STRVEC_INIT;
	struct fake f;
	json_t *reqs;

	fake_start(&f, json_pack("{s:s}", "token", TEST_TOKEN));
	open_client(&gh, &f, TEST_TOKEN);
	assert_int_equal(github_comment_upsert_with(&c, gh, "o", "r", 3, MARKER, compose_counter,
						    &seen), 0);
	assert_int_equal(github_comment_upsert_with(&c, gh, "o", "r", 3, MARKER, compose_counter,
						    &seen), 0);
	assert_int_equal(seen.nr, 2);
	assert_string_equal(seen.v[0], "(none)");
	assert_string_equal(seen.v[1], MARKER " +1");
	/* a composer that fails writes nothing */
	assert_int_equal(github_comment_upsert_with(&c, gh, "o", "r", 3, MARKER, compose_fails,
						    NULL), ERR_PARSE);
	reqs = fake_requests(&f);
	assert_string_equal(last_body(reqs, "PATCH"), MARKER " +1 +1");
	assert_int_equal(count_requests(reqs, "PATCH", "/"), 1);
	json_decref(reqs);
	strvec_clear(&seen);
	github_comment_release(&c);
	github_free(gh);
	fake_stop(&f);
}

static void github__comment_upsert_waits_out_rate_limits(void **state)
{
	struct github *gh = NULL;
	struct github_comment c = GITHUB_COMMENT_INIT;
	struct fake f;
	json_t *script = json_pack("{s:s}", "token", TEST_TOKEN), *reqs;
	long waits = -1, waited = -1;

	/* 403 with x-ratelimit-reset on the list, 429 with Retry-After on the post */
	add_fault(script, json_pack("{s:s, s:s, s:i, s:i}", "path", "/repos/o/r/issues/5/comments",
				    "method", "GET", "status", 403, "ratelimit_reset_in", 1));
	add_fault(script, json_pack("{s:s, s:s, s:i, s:i}", "path", "/repos/o/r/issues/5/comments",
				    "method", "POST", "status", 429, "retry_after", 1));
	fake_start(&f, script);
	open_client(&gh, &f, TEST_TOKEN);
	github_stats(gh, &waits, &waited);
	assert_int_equal(waits, 0);
	assert_int_equal(waited, 0);
	assert_int_equal(github_comment_upsert(&c, gh, "o", "r", 5, MARKER, MARKER " hi"), 0);
	github_stats(gh, &waits, &waited);
	assert_int_equal(waits, 2);
	assert_true(waited >= 1000 && waited <= 3000);
	reqs = fake_requests(&f);
	assert_int_equal(count_requests(reqs, "POST", "/repos/o/r/issues/5/comments"), 2);
	json_decref(reqs);
	github_comment_release(&c);
	github_free(gh);
	fake_stop(&f);
}

static void github__comment_edit_of_a_vanished_comment_is_notfound(void **state)
{
	struct github *gh = NULL;
	struct github_comment c = GITHUB_COMMENT_INIT;
	struct fake f;
	json_t *script = json_pack("{s:s, s:{s:[{s:i, s:s}]}}", "token", TEST_TOKEN, "comments",
				   "7", "id", 42, "body", MARKER " old");

	add_fault(script, json_pack("{s:s, s:s, s:i}", "path", "/repos/o/r/issues/comments/42",
				    "method", "PATCH", "status", 404));
	fake_start(&f, script);
	open_client(&gh, &f, TEST_TOKEN);
	assert_int_equal(github_comment_upsert(&c, gh, "o", "r", 7, MARKER, MARKER " new"),
			 ERR_NOTFOUND);
	assert_non_null(strstr(error_last(), "PATCH /repos/o/r/issues/comments/42"));
	assert_no_token(error_last());
	assert_int_equal(c.id, 0);
	/* the next time it is there again */
	assert_int_equal(github_comment_upsert(&c, gh, "o", "r", 7, MARKER, MARKER " new"), 0);
	assert_int_equal(c.id, 42);
	github_comment_release(&c);
	github_free(gh);
	fake_stop(&f);
}

static json_t *run_json(long long id, const char *conclusion, long long pr)
{
	json_t *r = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s}}", "id", (json_int_t)id,
			      "name", "CI", "head_sha", "cafe0000000000000000000000000000000000ff",
			      "head_branch", "feature", "event", "pull_request",
			      "html_url", "https://github.example/o/r/actions/runs/1",
			      "conclusion", conclusion, "head_repository", "full_name", "o/r");

	json_object_set_new(r, "pull_requests", pr ? json_pack("[{s:I}]", "number", (json_int_t)pr)
						   : json_array());
	return r;
}

static void github__failed_runs_lists_the_newest_failures(void **state)
{
	struct github *gh = NULL;
	struct github_run *runs = NULL;
	size_t nr = 0;
	struct fake f;
	json_t *list = json_array(), *reqs;
	json_t *script = json_pack("{s:s, s:i}", "token", TEST_TOKEN, "max_per_page", 2);

	json_array_append_new(list, run_json(50, "failure", 7));
	json_array_append_new(list, run_json(49, "success", 0));
	json_array_append_new(list, run_json(48, "failure", 0));
	json_array_append_new(list, run_json(47, "failure", 6));
	json_array_append_new(list, run_json(46, "failure", 5));
	json_object_set_new(script, "workflow_runs", json_pack("{s:o}", "o/r", list));
	add_fault(script, json_pack("{s:s, s:i, s:i}", "path", "/repos/o/r/actions/runs",
				    "status", 429, "retry_after", 1));
	fake_start(&f, script);
	open_client(&gh, &f, TEST_TOKEN);
	assert_int_equal(github_failed_runs(&runs, &nr, gh, "o", "r", 3), 0);
	assert_int_equal(nr, 3);
	assert_int_equal(runs[0].id, 50);
	assert_int_equal(runs[1].id, 48);
	assert_int_equal(runs[2].id, 47);
	assert_string_equal(runs[0].name, "CI");
	assert_string_equal(runs[0].head_sha, "cafe0000000000000000000000000000000000ff");
	assert_string_equal(runs[0].head_branch, "feature");
	assert_string_equal(runs[0].event, "pull_request");
	assert_string_equal(runs[0].conclusion, "failure");
	assert_string_equal(runs[0].head_repo, "o/r");
	assert_non_null(runs[0].html_url);
	assert_int_equal(runs[0].nr_pull_requests, 1);
	assert_int_equal(runs[0].pull_requests[0], 7);
	assert_int_equal(runs[1].nr_pull_requests, 0);
	github_runs_free(runs, nr);

	reqs = fake_requests(&f);
	/* the 429, then two pages of two: the third run ends it, the last page is not read */
	assert_int_equal(json_array_size(reqs), 3);
	assert_non_null(strstr(req_field(reqs, 2, "path"), "status=failure"));
	assert_non_null(strstr(req_field(reqs, 2, "path"), "page=2"));
	json_decref(reqs);

	/* another repository has none */
	assert_int_equal(github_failed_runs(&runs, &nr, gh, "o", "empty", 10), 0);
	assert_int_equal(nr, 0);
	github_runs_free(runs, nr);
	assert_int_equal(github_failed_runs(&runs, &nr, gh, "o", "r", 0), ERR_USAGE);
	github_free(gh);
	fake_stop(&f);
}

static void github__failed_runs_without_an_id_is_err_parse(void **state)
{
	struct github *gh = NULL;
	struct github_run *runs = NULL;
	size_t nr = 7;
	struct fake f;
	json_t *script = json_pack("{s:s, s:{s:[{s:s}]}}", "token", TEST_TOKEN, "workflow_runs",
				   "o/r", "conclusion", "failure");

	fake_start(&f, script);
	open_client(&gh, &f, TEST_TOKEN);
	assert_int_equal(github_failed_runs(&runs, &nr, gh, "o", "r", 5), ERR_PARSE);
	assert_non_null(strstr(error_last(), "run 1 has no \"id\""));
	assert_null(runs);
	assert_int_equal(nr, 7);
	github_free(gh);
	fake_stop(&f);
}

int main(void)
{
	static const char *const unset[] = {
		"GITHUB_TOKEN", "GITHUB_API_URL", GITHUB_ENV_MAX_WAIT_MS,
		"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
		"ALL_PROXY",
	};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(github__job_log_follows_the_redirect_without_the_token),
		cmocka_unit_test(github__no_token_sends_no_authorization),
		cmocka_unit_test(github__job_log_over_the_cap_is_err_limit),
		cmocka_unit_test(github__run_logs_paginate_and_feed_cilog),
		cmocka_unit_test(github__run_logs_of_an_attempt),
		cmocka_unit_test(github__job_names_become_valid_columns),
		cmocka_unit_test(github__unauthorized_is_usage_and_not_retried),
		cmocka_unit_test(github__not_found_is_notfound),
		cmocka_unit_test(github__retry_after_429_is_honoured),
		cmocka_unit_test(github__rate_limit_exhausted_is_err_limit),
		cmocka_unit_test(github__huge_retry_after_fails_fast),
		cmocka_unit_test(github__wait_budget_from_the_environment),
		cmocka_unit_test(github__server_error_is_retried),
		cmocka_unit_test(github__server_error_exhausted_is_an_error),
		cmocka_unit_test(github__connection_refused_is_an_error),
		cmocka_unit_test(github__garbage_json_is_err_parse),
		cmocka_unit_test(github__bad_names_are_refused),
		cmocka_unit_test(github__run_junit_reads_test_result_artifacts),
		cmocka_unit_test(github__run_junit_skips_members_that_are_not_junit),
		cmocka_unit_test(github__run_junit_survives_corrupt_zips_and_bombs),
		cmocka_unit_test(github__run_junit_without_artifacts_adds_nothing),
		cmocka_unit_test(github__run_junit_errors_leave_the_result_alone),
		cmocka_unit_test(github__pull_create_opens_a_draft),
		cmocka_unit_test(github__pull_create_not_draft_and_without_body),
		cmocka_unit_test(github__token_is_never_shown),
		cmocka_unit_test(github__open_finds_the_api_url),
		cmocka_unit_test(github__interrupt_stops_the_wait),
		cmocka_unit_test(github__pull_get_reads_the_head),
		cmocka_unit_test(github__pull_get_garbage_is_err_parse),
		cmocka_unit_test(github__comment_upsert_posts_then_edits_in_place),
		cmocka_unit_test(github__comment_upsert_with_sees_the_previous_body),
		cmocka_unit_test(github__comment_upsert_waits_out_rate_limits),
		cmocka_unit_test(github__comment_edit_of_a_vanished_comment_is_notfound),
		cmocka_unit_test(github__failed_runs_lists_the_newest_failures),
		cmocka_unit_test(github__failed_runs_without_an_id_is_err_parse),
	};
	size_t i;
	int failed;

	for (i = 0; i < ARRAY_SIZE(unset); i++)
		unsetenv(unset[i]);
	signal(SIGPIPE, SIG_IGN);
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	http_global_cleanup();
	return failed;
}
