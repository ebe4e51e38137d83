/*
 * info.json (src/repro/info.c): every validation rule refuses with its own
 * message, and each valid shape loads into the struct. Cases are small JSON
 * texts written into a temporary directory holding a log file and a test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "repro/info.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_TEXT "FAILED tests/test_x.py::test_a - assert 1 == 2\n"

static struct buf dir = BUF_INIT;

static void write_file(const char *rel, const char *text, size_t len)
{
	struct buf path = BUF_INIT;
	buf_addf(&path, "%s/%s", dir.ptr, rel);
	assert_int_equal(fs_write_atomic(path.ptr, text, len, 0644), 0);
	buf_release(&path);
}

/* write `json` as info.json in the temporary directory and load it */
static int load(struct repro_info *out, const char *json)
{
	struct buf path = BUF_INIT;
	int err;

	write_file("info.json", json, strlen(json));
	buf_addf(&path, "%s/info.json", dir.ptr);
	err = repro_info_load(out, path.ptr);
	buf_release(&path);
	return err;
}

static int setup(void **state)
{
	struct buf sub = BUF_INIT;
	if (fs_mkdtemp(&dir, "pf-info") < 0)
		return -1;
	buf_addf(&sub, "%s/logs", dir.ptr);
	fs_mkdir_p(sub.ptr, 0755);
	buf_reset(&sub);
	buf_addf(&sub, "%s/tests", dir.ptr);
	fs_mkdir_p(sub.ptr, 0755);
	buf_release(&sub);
	write_file("logs/ci.log", LOG_TEXT, strlen(LOG_TEXT));
	write_file("tests/test_x.py", "def test_a():\n    assert 1 == 2\n", 32);
	return 0;
}

static int teardown(void **state)
{
	fs_remove_tree(dir.ptr);
	buf_release(&dir);
	return 0;
}

struct bad_case {
	const char *json;
	const char *message; /* a part of the message that must appear */
};

#define P "\"prompt\": \"it fails\", \"deterministic\": true"
#define RUN "https://github.com/octo/hello/actions/runs/123"

static const struct bad_case bad_cases[] = {
	{ "{\"prompt\": \"x\",\n  \"deterministic\": tru }", "line 2, column" },
	{ "", "cannot parse" },
	{ "[1, 2]", "expected a JSON object, found an array" },
	{ "\"hello\"", "expected a JSON object, found a string" },
	{ "{\"deterministic\": true, \"url\": \"" RUN "\"}", "missing required key 'prompt'" },
	{ "{\"prompt\": 3, \"deterministic\": true, \"url\": \"" RUN "\"}",
	  "'prompt' must be a string, not a number" },
	{ "{\"prompt\": \"  \", \"deterministic\": true, \"url\": \"" RUN "\"}", "'prompt' is empty" },
	{ "{\"prompt\": \"x\", \"url\": \"" RUN "\"}", "missing required key 'deterministic'" },
	{ "{\"prompt\": \"x\", \"deterministic\": \"yes\", \"url\": \"" RUN "\"}",
	  "'deterministic' must be true or false, not a string" },
	{ "{\"prompt\": \"x\", \"deterministic\": 1, \"url\": \"" RUN "\"}",
	  "'deterministic' must be true or false, not a number" },
	{ "{" P ", \"raw_logs\": \"text\"}", "unknown key 'raw_logs' (did you mean 'raw-logs'?)" },
	{ "{" P ", \"URL\": \"" RUN "\"}", "unknown key 'URL' (did you mean 'url'?)" },
	{ "{" P ", \"existing_test\": \"t.py\"}",
	  "unknown key 'existing_test' (did you mean 'existing-test-path'?)" },
	{ "{" P ", \"colour\": \"red\"}", "unknown key 'colour' (known keys: deterministic" },
	{ "{" P ", \"prompt\": \"again\"}", "duplicate" },
	{ "{" P "}", "give 'existing-test-path', or one of 'url' and 'raw-logs'" },
	{ "{" P ", \"url\": null}", "give 'existing-test-path', or one of" },
	{ "{" P ", \"url\": \"" RUN "\", \"raw-logs\": \"boom\"}",
	  "both 'url' and 'raw-logs' are given" },
	{ "{" P ", \"url\": 5}", "'url' must be a string, not a number" },
	{ "{" P ", \"raw-logs\": [\"a\"]}", "'raw-logs' must be a string, not an array" },
	{ "{" P ", \"existing-test-path\": true}",
	  "'existing-test-path' must be a string, not a boolean" },
	{ "{" P ", \"url\": \"\"}", "'url' is empty" },
	{ "{" P ", \"url\": \"http://github.com/o/r/actions/runs/1\"}",
	  "does not start with https://" },
	{ "{" P ", \"url\": \"https://github.com/o/r/pull/7\"}",
	  "no '/actions/runs/' after OWNER/REPO" },
	{ "{" P ", \"url\": \"https://github.com/o/r/actions/runs/abc\"}",
	  "the run id is not a positive number" },
	{ "{" P ", \"url\": \"https://github.com/o/r/actions/runs/0\"}",
	  "the run id is not a positive number" },
	{ "{" P ", \"url\": \"https://github.com/o/r/actions/runs/1/job/\"}",
	  "the job id is not a positive number" },
	{ "{" P ", \"url\": \"https://github.com/o/r/actions/runs/1/jobs/2\"}",
	  "unexpected path after the run id" },
	{ "{" P ", \"url\": \"https://github.com/o/r/actions/runs/1/attempts/x\"}",
	  "the attempt is not a positive number" },
	{ "{" P ", \"url\": \"https://github.com/o/actions/runs/1\"}",
	  "no '/actions/runs/' after OWNER/REPO" },
	{ "{" P ", \"url\": \"https:///o/r/actions/runs/1\"}", "no host" },
	{ "{" P ", \"url\": \"https://github.com/o/r/actions/runs/99999999999999999999\"}",
	  "the run id is not a positive number" },
	{ "{" P ", \"raw-logs\": \"logs/missing.log\"}",
	  "'raw-logs' names a file that does not exist" },
	{ "{" P ", \"raw-logs\": \"ci-output.txt\"}", "'raw-logs' names a file that does not exist" },
	{ "{" P ", \"raw-logs\": \"logs\"}", "'raw-logs' names a directory" },
	{ "{" P ", \"existing-test-path\": \"tests/test_gone.py\"}",
	  "'existing-test-path' does not exist" },
	{ "{" P ", \"existing-test-path\": \"tests/test_gone.py::test_a\", \"url\": \"" RUN "\"}",
	  "'existing-test-path' does not exist" },
};

static void info__refuses_each_bad_input(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct repro_info info;
		int err = load(&info, bad_cases[i].json);
		if (err != ERR_USAGE || !strstr(error_last(), bad_cases[i].message)) {
			print_error("case %zu: %s\n  got %d '%s'\n  want '%s'\n", i,
				    bad_cases[i].json, err, error_last(), bad_cases[i].message);
			fail();
		}
		/* every refusal names the file */
		assert_non_null(strstr(error_last(), "info.json"));
		/* released on failure: nothing left to free, all NULL */
		assert_null(info.prompt);
		assert_null(info.url);
		assert_null(info.owner);
		assert_null(info.raw_logs);
	}
}

static void info__url_refusal_names_the_expected_shape(void **state)
{
	struct repro_info info;
	assert_int_equal(load(&info, "{" P ", \"url\": \"https://github.com/o/r/issues/1\"}"),
			 ERR_USAGE);
	assert_non_null(strstr(error_last(), "expected https://HOST/OWNER/REPO/actions/runs/"
					     "RUN_ID[/job/JOB_ID][/attempts/N]"));
	assert_non_null(strstr(error_last(), "got 'https://github.com/o/r/issues/1'"));
	assert_non_null(strstr(error_last(), "info.json"));
}

static void info__url_run(void **state)
{
	struct repro_info info;
	assert_int_equal(load(&info, "{" P ", \"url\": \"" RUN "\"}"), 0);
	assert_int_equal(info.deterministic, 1);
	assert_string_equal(info.prompt, "it fails");
	assert_string_equal(info.url, RUN);
	assert_string_equal(info.api_host, "github.com");
	assert_string_equal(info.owner, "octo");
	assert_string_equal(info.repo, "hello");
	assert_true(info.run_id == 123);
	assert_true(info.job_id == 0);
	assert_true(info.attempt == 0);
	assert_null(info.raw_logs);
	assert_null(info.raw_logs_path);
	assert_null(info.existing_test_path);
	repro_info_release(&info);
	assert_null(info.url);
}

static void info__url_job(void **state)
{
	struct repro_info info;
	assert_int_equal(load(&info, "{\"prompt\": \"flaky\", \"deterministic\": false, \"url\": "
				     "\"https://github.com/my-org/my.repo/actions/runs/"
				     "12345678901/job/98765432101/\"}"), 0);
	assert_int_equal(info.deterministic, 0);
	assert_string_equal(info.owner, "my-org");
	assert_string_equal(info.repo, "my.repo");
	assert_true(info.run_id == 12345678901LL);
	assert_true(info.job_id == 98765432101LL);
	repro_info_release(&info);
}

static void info__url_with_attempts_and_query(void **state)
{
	struct repro_info info;
	assert_int_equal(load(&info, "{" P ", \"url\": \"https://WWW.GitHub.com/o/r/actions/runs/7/"
				     "attempts/2?pr=5&check_suite_focus=true#step:4:10\"}"), 0);
	assert_string_equal(info.api_host, "github.com");
	assert_true(info.run_id == 7);
	assert_true(info.job_id == 0);
	assert_true(info.attempt == 2);
	repro_info_release(&info);

	assert_int_equal(load(&info, "{" P ", \"url\": \"https://github.com/o/r/actions/runs/7/"
				     "job/8/attempts/3#logs\"}"), 0);
	assert_true(info.job_id == 8);
	assert_true(info.attempt == 3);
	repro_info_release(&info);
}

static void info__enterprise_host(void **state)
{
	struct repro_info info;
	assert_int_equal(load(&info, "{" P ", \"url\": \"https://GHE.Example.com:8443/team/svc/"
				     "actions/runs/42/job/43\"}"), 0);
	assert_string_equal(info.api_host, "ghe.example.com:8443");
	assert_string_equal(info.owner, "team");
	assert_string_equal(info.repo, "svc");
	assert_true(info.run_id == 42);
	assert_true(info.job_id == 43);
	repro_info_release(&info);
}

static void info__raw_logs_inline(void **state)
{
	struct repro_info info;
	/* one line with blanks and a '/': log text, not a path */
	assert_int_equal(load(&info, "{" P ", \"raw-logs\": "
				     "\"FAILED tests/test_x.py::test_a - assert 1 == 2\"}"), 0);
	assert_string_equal(info.raw_logs, "FAILED tests/test_x.py::test_a - assert 1 == 2");
	assert_null(info.raw_logs_path);
	assert_null(info.url);
	assert_null(info.owner);
	repro_info_release(&info);

	assert_int_equal(load(&info, "{" P ", \"raw-logs\": \"line one\\nsee a/b.log\\n\"}"), 0);
	assert_string_equal(info.raw_logs, "line one\nsee a/b.log\n");
	assert_null(info.raw_logs_path);
	repro_info_release(&info);
}

static void info__raw_logs_file(void **state)
{
	struct repro_info info;
	struct buf want = BUF_INIT;

	assert_int_equal(load(&info, "{" P ", \"raw-logs\": \"logs/ci.log\"}"), 0);
	assert_string_equal(info.raw_logs, LOG_TEXT);
	buf_addf(&want, "%s/logs/ci.log", dir.ptr);
	assert_string_equal(info.raw_logs_path, want.ptr);
	repro_info_release(&info);

	/* an absolute path is taken as it is */
	buf_reset(&want);
	buf_addf(&want, "{" P ", \"raw-logs\": \"%s/logs/ci.log\"}", dir.ptr);
	assert_int_equal(load(&info, want.ptr), 0);
	assert_string_equal(info.raw_logs, LOG_TEXT);
	repro_info_release(&info);
	buf_release(&want);
}

static void info__existing_test_path_alone(void **state)
{
	struct repro_info info;
	struct buf want = BUF_INIT;

	assert_int_equal(load(&info, "{" P ", \"existing-test-path\": \"tests/test_x.py\"}"), 0);
	buf_addf(&want, "%s/tests/test_x.py", dir.ptr);
	assert_string_equal(info.existing_test_path, want.ptr);
	assert_null(info.url);
	assert_null(info.raw_logs);
	repro_info_release(&info);

	/* a node id: the file part must exist, the suffix is kept */
	assert_int_equal(load(&info, "{" P ", \"existing-test-path\": \"tests/test_x.py::test_a\"}"), 0);
	buf_adds(&want, "::test_a");
	assert_string_equal(info.existing_test_path, want.ptr);
	repro_info_release(&info);
	buf_release(&want);
}

static void info__existing_test_path_with_logs(void **state)
{
	struct repro_info info;

	assert_int_equal(load(&info, "{" P ", \"existing-test-path\": \"tests\", \"url\": \"" RUN "\"}"), 0);
	assert_non_null(info.existing_test_path);
	assert_true(info.run_id == 123);
	repro_info_release(&info);

	assert_int_equal(load(&info, "{" P ", \"existing-test-path\": \"tests/test_x.py\", "
				     "\"raw-logs\": \"logs/ci.log\"}"), 0);
	assert_non_null(info.existing_test_path);
	assert_string_equal(info.raw_logs, LOG_TEXT);
	repro_info_release(&info);
}

static void info__size_is_capped(void **state)
{
	struct repro_info info;
	struct buf big = BUF_INIT;
	size_t i;

	buf_adds(&big, "{" P ", \"raw-logs\": \"");
	for (i = 0; big.len < REPRO_INFO_MAX_SIZE + 10; i++)
		buf_adds(&big, "0123456789abcdef");
	buf_adds(&big, "\"}");
	assert_int_equal(load(&info, big.ptr), ERR_USAGE);
	assert_non_null(strstr(error_last(), "larger than"));
	buf_release(&big);
}

static void info__missing_file(void **state)
{
	struct repro_info info;
	assert_int_equal(repro_info_load(&info, "/nonexistent/pf/info.json"), ERR_USAGE);
	assert_non_null(strstr(error_last(), "/nonexistent/pf/info.json"));
	assert_null(info.prompt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(info__refuses_each_bad_input),
		cmocka_unit_test(info__url_refusal_names_the_expected_shape),
		cmocka_unit_test(info__url_run),
		cmocka_unit_test(info__url_job),
		cmocka_unit_test(info__url_with_attempts_and_query),
		cmocka_unit_test(info__enterprise_host),
		cmocka_unit_test(info__raw_logs_inline),
		cmocka_unit_test(info__raw_logs_file),
		cmocka_unit_test(info__existing_test_path_alone),
		cmocka_unit_test(info__existing_test_path_with_logs),
		cmocka_unit_test(info__size_is_capped),
		cmocka_unit_test(info__missing_file),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
