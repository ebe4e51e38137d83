/* The reader of our pytest plugin's records (src/runner/records.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "runner/records.h"
#include "util/error.h"
#include "util/fs.h"

#include <jansson.h>
#include <string.h>

static int feed_all(struct test_result *res, const char *text, size_t chunk)
{
	struct records_reader r;
	size_t len = strlen(text), off = 0;
	int err = 0;

	records_reader_init(&r, res);
	while (!err && off < len) {
		size_t n = len - off < chunk ? len - off : chunk;
		err = records_reader_feed(&r, text + off, n);
		off += n;
	}
	if (!err)
		err = records_reader_finish(&r);
	records_reader_release(&r);
	return err;
}

static const char run_text[] =
	"{\"ev\":\"session\",\"rootdir\":\"/p\",\"pid\":1,\"pytest\":\"7.2.1\",\"worker\":false}\n"
	"{\"ev\":\"report\",\"id\":\"tests/test_bad.py\",\"when\":\"collect\",\"outcome\":\"failed\","
	"\"error_type\":\"ModuleNotFoundError\",\"message\":\"No module named 'x'\","
	"\"frames\":[{\"file\":\"tests/test_bad.py\",\"line\":3,\"function\":\"<module>\"}]}\n"
	"{\"ev\":\"start\",\"id\":\"tests/t.py::test_ok\",\"pid\":1}\n"
	"{\"ev\":\"report\",\"id\":\"tests/t.py::test_ok\",\"when\":\"call\",\"outcome\":\"passed\",\"xfail\":false}\n"
	"{\"ev\":\"end\",\"id\":\"tests/t.py::test_ok\",\"pid\":1}\n"
	"{\"ev\":\"start\",\"id\":\"tests/t.py::C::test_div[1-0]\",\"pid\":1}\n"
	"{\"ev\":\"report\",\"id\":\"tests/t.py::C::test_div[1-0]\",\"when\":\"call\",\"outcome\":\"failed\","
	"\"xfail\":false,\"error_type\":\"ZeroDivisionError\",\"message\":\"division by zero\","
	"\"frames\":[{\"file\":\"tests/t.py\",\"line\":20,\"function\":\"test_div\"},"
	"{\"file\":\"src/calc.py\",\"line\":6,\"function\":\"divide\"}]}\n"
	"{\"ev\":\"report\",\"id\":\"tests/t.py::C::test_div[1-0]\",\"when\":\"teardown\",\"outcome\":\"failed\","
	"\"xfail\":false,\"error_type\":\"RuntimeError\",\"message\":\"teardown\"}\n"
	"{\"ev\":\"end\",\"id\":\"tests/t.py::C::test_div[1-0]\",\"pid\":1}\n"
	"{\"ev\":\"start\",\"id\":\"tests/t.py::test_td\",\"pid\":1}\n"
	"{\"ev\":\"report\",\"id\":\"tests/t.py::test_td\",\"when\":\"call\",\"outcome\":\"passed\",\"xfail\":false}\n"
	"{\"ev\":\"report\",\"id\":\"tests/t.py::test_td\",\"when\":\"teardown\",\"outcome\":\"failed\","
	"\"xfail\":false,\"error_type\":\"RuntimeError\",\"message\":\"lost \\u00e9 writes\"}\n"
	"{\"ev\":\"end\",\"id\":\"tests/t.py::test_td\",\"pid\":1}\n"
	"{\"ev\":\"start\",\"id\":\"tests/t.py::test_skip\",\"pid\":1}\n"
	"{\"ev\":\"report\",\"id\":\"tests/t.py::test_skip\",\"when\":\"setup\",\"outcome\":\"skipped\",\"xfail\":false}\n"
	"{\"ev\":\"end\",\"id\":\"tests/t.py::test_skip\",\"pid\":1}\n"
	"{\"ev\":\"start\",\"id\":\"tests/t.py::test_xf\",\"pid\":1}\n"
	"{\"ev\":\"report\",\"id\":\"tests/t.py::test_xf\",\"when\":\"call\",\"outcome\":\"skipped\",\"xfail\":true}\n"
	"{\"ev\":\"end\",\"id\":\"tests/t.py::test_xf\",\"pid\":1}\n"
	"{\"ev\":\"start\",\"id\":\"tests/t.py::test_xp\",\"pid\":1}\n"
	"{\"ev\":\"report\",\"id\":\"tests/t.py::test_xp\",\"when\":\"call\",\"outcome\":\"passed\",\"xfail\":true}\n"
	"{\"ev\":\"end\",\"id\":\"tests/t.py::test_xp\",\"pid\":1}\n"
	"{\"ev\":\"finish\",\"exitstatus\":1,\"worker\":false}\n";

static void check_run(const struct test_result *res)
{
	const struct failure *f;

	assert_int_equal(res->summary.total, 7);
	assert_int_equal(res->summary.passed, 1);
	assert_int_equal(res->summary.failed, 1);
	assert_int_equal(res->summary.errors, 3);
	assert_int_equal(res->summary.skipped, 1);
	assert_int_equal(res->summary.xfailed, 1);
	assert_int_equal(res->summary.xpassed, 1);
	assert_string_equal(res->rootdir, "/p");
	assert_int_equal(res->nr_failures, 4);

	f = &res->failures[0];
	assert_string_equal(f->id, "tests/test_bad.py");
	assert_int_equal(f->kind, FAILURE_KIND_COLLECTION);
	assert_string_equal(f->file, "tests/test_bad.py");
	assert_null(f->test);
	assert_string_equal(f->loc_file, "tests/test_bad.py");
	assert_int_equal(f->loc_line, 3);

	f = &res->failures[1];
	assert_string_equal(f->id, "tests/t.py::C::test_div[1-0]");
	assert_int_equal(f->kind, FAILURE_KIND_FAILURE);  /* the call failure explains it */
	assert_string_equal(f->file, "tests/t.py");
	assert_string_equal(f->test, "C::test_div[1-0]");
	assert_string_equal(f->error_type, "ZeroDivisionError");
	assert_int_equal(f->nr_frames, 2);
	assert_string_equal(f->frames[0].function, "test_div");
	assert_string_equal(f->loc_file, "src/calc.py");
	assert_int_equal(f->loc_line, 6);

	/* ... and the teardown error after it is an entry of its own, as in pytest's JUnit */
	f = &res->failures[2];
	assert_string_equal(f->id, "tests/t.py::C::test_div[1-0]");
	assert_int_equal(f->kind, FAILURE_KIND_ERROR);
	assert_string_equal(f->error_type, "RuntimeError");
	assert_string_equal(f->message, "teardown");

	f = &res->failures[3];
	assert_string_equal(f->id, "tests/t.py::test_td");
	assert_int_equal(f->kind, FAILURE_KIND_ERROR);
	assert_string_equal(f->message, "lost \xc3\xa9 writes");
	assert_null(f->loc_file);
}

static void records__fold_a_whole_run(void **state)
{
	struct test_result res = TEST_RESULT_INIT;
	(void)state;
	assert_int_equal(feed_all(&res, run_text, sizeof(run_text)), 0);
	check_run(&res);
	test_result_release(&res);
}

static void records__fold_the_same_run_fed_a_byte_at_a_time(void **state)
{
	struct test_result res = TEST_RESULT_INIT;
	(void)state;
	assert_int_equal(feed_all(&res, run_text, 1), 0);
	check_run(&res);
	test_result_release(&res);
}

static void records__reject_malformed_lines_with_their_number(void **state)
{
	static const char *const bad[] = {
		"{\"ev\":\"session\"}\nnot json\n",
		"{\"ev\":\"session\"}\n[1,2]\n",
		"{\"ev\":\"session\"}\n{\"no_ev\":1}\n",
		"{\"ev\":\"session\"}\n{\"ev\":\"bogus\"}\n",
		"{\"ev\":\"session\"}\n{\"ev\":\"report\",\"id\":\"x\",\"when\":\"call\",\"outcome\":\"weird\"}\n",
		"{\"ev\":\"session\"}\n{\"ev\":\"report\",\"when\":\"call\"}\n",
	};
	size_t i;
	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct test_result res = TEST_RESULT_INIT;
		assert_int_equal(feed_all(&res, bad[i], 1000), ERR_PARSE);
		assert_non_null(strstr(error_last(), "line 2"));
		test_result_release(&res);
	}
}

static void records__truncated_last_line_is_an_error(void **state)
{
	struct test_result res = TEST_RESULT_INIT;
	(void)state;
	assert_int_equal(feed_all(&res, "{\"ev\":\"session\"}\n{\"ev\":\"sta", 1000), ERR_PARSE);
	assert_non_null(strstr(error_last(), "truncated"));
	test_result_release(&res);
}

static void records__abandon_records_a_hung_test(void **state)
{
	struct test_result res = TEST_RESULT_INIT;
	struct records_reader r;
	const char text[] = "{\"ev\":\"start\",\"id\":\"t.py::test_hang\",\"pid\":3}\n"
			    "{\"ev\":\"start\",\"id\":\"t.py::test_other\",\"pid\":4}\n";
	(void)state;
	records_reader_init(&r, &res);
	assert_int_equal(records_reader_feed(&r, text, sizeof(text) - 1), 0);
	assert_string_equal(records_reader_oldest(&r)->id, "t.py::test_hang");
	records_reader_abandon(&r, "t.py::test_hang", "Timeout", "killed");
	assert_int_equal(r.nr_running, 1);
	records_reader_drop_running(&r);
	assert_int_equal(r.nr_running, 0);
	records_reader_release(&r);
	assert_int_equal(res.summary.failed, 1);
	assert_int_equal(res.nr_failures, 1);
	assert_string_equal(res.failures[0].error_type, "Timeout");
	assert_string_equal(res.failures[0].test, "test_hang");
	test_result_release(&res);
}

static void records__interleaved_workers(void **state)
{
	struct test_result res = TEST_RESULT_INIT;
	const char text[] =
		"{\"ev\":\"session\",\"rootdir\":\"/p\",\"worker\":true}\n"
		"{\"ev\":\"start\",\"id\":\"a.py::t1\",\"pid\":1}\n"
		"{\"ev\":\"start\",\"id\":\"a.py::t2\",\"pid\":2}\n"
		"{\"ev\":\"report\",\"id\":\"a.py::t2\",\"when\":\"call\",\"outcome\":\"failed\",\"xfail\":false}\n"
		"{\"ev\":\"report\",\"id\":\"a.py::t1\",\"when\":\"call\",\"outcome\":\"passed\",\"xfail\":false}\n"
		"{\"ev\":\"end\",\"id\":\"a.py::t2\",\"pid\":2}\n"
		"{\"ev\":\"end\",\"id\":\"a.py::t1\",\"pid\":1}\n"
		"{\"ev\":\"finish\",\"exitstatus\":1,\"worker\":true}\n";
	struct records_reader r;
	(void)state;
	records_reader_init(&r, &res);
	assert_int_equal(records_reader_feed(&r, text, sizeof(text) - 1), 0);
	/* worker sessions do not count as the run's session or its end */
	assert_int_equal(r.sessions, 0);
	assert_int_equal(r.finished, 0);
	records_reader_release(&r);
	assert_int_equal(res.summary.passed, 1);
	assert_int_equal(res.summary.failed, 1);
	assert_string_equal(res.failures[0].id, "a.py::t2");
	test_result_release(&res);
}

static void records__keep_a_nul_byte_as_a_visible_escape(void **state)
{
	static const char text[] =
		"{\"ev\":\"session\",\"rootdir\":\"/p\"}\n"
		"{\"ev\":\"start\",\"id\":\"t.py::t\",\"pid\":1}\n"
		"{\"ev\":\"report\",\"id\":\"t.py::t\",\"when\":\"call\",\"outcome\":\"failed\","
		"\"message\":\"x\\u0000y\",\"output\":\"a\\u0000b\\u0000\"}\n"
		"{\"ev\":\"end\",\"id\":\"t.py::t\",\"pid\":1}\n"
		"{\"ev\":\"finish\",\"exitstatus\":1}\n";
	struct test_result res = TEST_RESULT_INIT;
	(void)state;
	assert_int_equal(feed_all(&res, text, sizeof(text)), 0);
	assert_int_equal(res.nr_failures, 1);
	assert_string_equal(res.failures[0].message, "x\\x00y");
	assert_string_equal(res.failures[0].output, "a\\x00b\\x00");
	test_result_release(&res);
}

/* what the record callback saw */
struct seen {
	int records;
	int iterations;          /* "iteration" records, taken */
	int fail_at;             /* return an error at this record (1-based), 0: never */
};

static int on_record(void *payload, json_t *rec, const char *ev)
{
	struct seen *s = payload;

	s->records++;
	if (s->fail_at && s->records == s->fail_at)
		return error_setc(ERR_PARSE, "stop here");
	if (strcmp(ev, "iteration"))
		return 0;
	assert_true(json_is_integer(json_object_get(rec, "iter")));
	s->iterations++;
	return 1;
}

static void records__callback_sees_each_record_and_takes_some(void **state)
{
	struct test_result res = TEST_RESULT_INIT;
	struct records_reader r;
	struct seen seen = { 0, 0, 0 };
	const char text[] =
		"{\"ev\":\"session\",\"rootdir\":\"/p\"}\n"
		"{\"ev\":\"start\",\"id\":\"a.py::t1\",\"pid\":1,\"iter\":0}\n"
		"{\"ev\":\"report\",\"id\":\"a.py::t1\",\"when\":\"call\",\"outcome\":\"failed\",\"iter\":0}\n"
		"{\"ev\":\"end\",\"id\":\"a.py::t1\",\"pid\":1,\"iter\":0}\n"
		"{\"ev\":\"iteration\",\"iter\":0,\"complete\":true}\n"
		"{\"ev\":\"finish\",\"exitstatus\":1}\n";
	(void)state;
	records_reader_init(&r, &res);
	r.on_record = on_record;
	r.payload = &seen;
	/* a byte at a time: the callback still sees whole records */
	for (size_t i = 0; i < sizeof(text) - 1; i++)
		assert_int_equal(records_reader_feed(&r, text + i, 1), 0);
	assert_int_equal(records_reader_finish(&r), 0);
	assert_int_equal(seen.records, 6);
	assert_int_equal(seen.iterations, 1);
	/* the records it did not take were folded in; "iteration" is unknown to the reader */
	assert_int_equal(r.sessions, 1);
	assert_int_equal(r.finished, 1);
	assert_int_equal(res.summary.failed, 1);
	records_reader_release(&r);
	test_result_release(&res);

	/* an error from the callback stops the reading, with the record's line */
	test_result_init(&res);
	memset(&seen, 0, sizeof(seen));
	seen.fail_at = 2;
	records_reader_init(&r, &res);
	r.on_record = on_record;
	r.payload = &seen;
	assert_int_equal(records_reader_feed(&r, text, sizeof(text) - 1), ERR_PARSE);
	assert_non_null(strstr(error_last(), "line 2"));
	assert_non_null(strstr(error_last(), "stop here"));
	assert_int_equal(seen.records, 2);
	assert_int_equal(res.summary.total, 0);
	records_reader_release(&r);
	test_result_release(&res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(records__fold_a_whole_run),
		cmocka_unit_test(records__fold_the_same_run_fed_a_byte_at_a_time),
		cmocka_unit_test(records__reject_malformed_lines_with_their_number),
		cmocka_unit_test(records__truncated_last_line_is_an_error),
		cmocka_unit_test(records__abandon_records_a_hung_test),
		cmocka_unit_test(records__interleaved_workers),
		cmocka_unit_test(records__callback_sees_each_record_and_takes_some),
		cmocka_unit_test(records__keep_a_nul_byte_as_a_visible_escape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
