/*
 * The JUnit XML reader (src/runner/junit.c), driven by the golden reports in
 * tests/fixtures/junit/ (see the README there): every <name>.xml is parsed and
 * compared with <name>.expected.json. JUNIT_GOLDEN_UPDATE=1 rewrites the
 * expected files from what the reader says; check every change by hand.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "runner/junit.h"
#include "runner/result_json.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/sig.h"
#include "util/xalloc.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define JUNIT_DIR FIXTURES_DIR "/junit"
#define ROOT_PLACEHOLDER "@ROOT@"

/* the project a report came from: "calc.xunit2" -> ".../calc/root" */
static void project_root(struct buf *out, const char *name)
{
	buf_addf(out, "%s/%.*s/root", JUNIT_DIR, (int)strcspn(name, "."), name);
}

/* the report `file` (in JUNIT_DIR) with @ROOT@ replaced by `root` */
static void load_report(struct buf *out, const char *file, const char *root)
{
	struct buf path = BUF_INIT, raw = BUF_INIT;
	const char *p, *hit;

	buf_addf(&path, "%s/%s", JUNIT_DIR, file);
	if (fs_read_file(&raw, path.ptr, 0) < 0)
		fail_msg("%s", error_last());
	for (p = raw.ptr; (hit = strstr(p, ROOT_PLACEHOLDER)); p = hit + strlen(ROOT_PLACEHOLDER)) {
		buf_add(out, p, (size_t)(hit - p));
		buf_adds(out, root ? root : "");
	}
	buf_add(out, p, raw.len - (size_t)(p - raw.ptr));
	buf_release(&raw);
	buf_release(&path);
}

static const char *code_name(int err)
{
	switch (err) {
	case ERR_PARSE: return "parse";
	case ERR_NOTFOUND: return "notfound";
	case ERR_LIMIT: return "limit";
	default: return "generic";
	}
}

static void print_json(const char *label, const json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
	fprintf(stderr, "%s\n%s\n", label, s ? s : "(null)");
	free(s);
}

/* only what differs: the summary, and each failure that is not as expected */
static void print_difference(const char *name, const json_t *expected, const json_t *actual)
{
	const json_t *ef = json_object_get(expected, "failures");
	const json_t *af = json_object_get(actual, "failures");
	size_t i, n;

	fprintf(stderr, "\n=== %s: the reader's result differs from %s.expected.json\n", name, name);
	if (!json_is_array(ef) || !json_is_array(af)) {
		print_json("--- expected", expected);
		print_json("+++ actual", actual);
		return;
	}
	if (!json_equal(json_object_get(expected, "summary"), json_object_get(actual, "summary"))) {
		print_json("--- expected summary", json_object_get(expected, "summary"));
		print_json("+++ actual summary", json_object_get(actual, "summary"));
	}
	n = json_array_size(ef) > json_array_size(af) ? json_array_size(ef) : json_array_size(af);
	for (i = 0; i < n; i++) {
		const json_t *e = json_array_get(ef, i), *a = json_array_get(af, i);
		if (e && a && json_equal(e, a))
			continue;
		fprintf(stderr, "--- failures[%zu]\n", i);
		print_json("--- expected", e);
		print_json("+++ actual", a);
	}
}

static void junit__golden_file(void **state)
{
	const char *name = *state;  /* "calc.xunit2" */
	struct buf xml = BUF_INIT, report = BUF_INIT, root = BUF_INIT, expected_path = BUF_INIT;
	struct test_result res = TEST_RESULT_INIT;
	json_t *expected = NULL, *actual;
	json_error_t jerr;
	int err;

	buf_addf(&xml, "%s.xml", name);
	buf_addf(&expected_path, "%s/%s.expected.json", JUNIT_DIR, name);
	project_root(&root, name);
	load_report(&report, xml.ptr, root.ptr);

	err = junit_parse_memory(&res, report.ptr, report.len, xml.ptr, root.ptr);
	if (err)
		actual = json_pack("{s:s, s:s}", "error", code_name(err), "message", error_last());
	else
		actual = test_result_to_json_flags(&res, 0);
	assert_non_null(actual);

	if (getenv("JUNIT_GOLDEN_UPDATE")) {
		assert_int_equal(json_dump_file(actual, expected_path.ptr,
						JSON_INDENT(2) | JSON_PRESERVE_ORDER), 0);
	} else {
		expected = json_load_file(expected_path.ptr, 0, &jerr);
		if (!expected)
			fail_msg("cannot load '%s': %s", expected_path.ptr, jerr.text);
		if (!json_equal(expected, actual)) {
			print_difference(name, expected, actual);
			fail_msg("%s: see the difference above", name);
		}
	}
	json_decref(expected);
	json_decref(actual);
	test_result_release(&res);
	buf_release(&expected_path);
	buf_release(&root);
	buf_release(&report);
	buf_release(&xml);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* the golden reports' names without ".xml", sorted */
static size_t list_goldens(char ***out)
{
	DIR *dir = opendir(JUNIT_DIR);
	struct dirent *de;
	char **names = NULL;
	size_t nr = 0, alloc = 0;

	if (!dir) {
		fprintf(stderr, "cannot open '%s'\n", JUNIT_DIR);
		*out = NULL;
		return 0;
	}
	while ((de = readdir(dir))) {
		size_t n = strlen(de->d_name);
		if (n <= 4 || strcmp(de->d_name + n - 4, ".xml"))
			continue;
		ALLOC_GROW(names, nr + 1, alloc);
		names[nr++] = xstrndup(de->d_name, n - 4);
	}
	closedir(dir);
	if (nr)
		qsort(names, nr, sizeof(*names), cmp_str);
	*out = names;
	return nr;
}

static void junit__golden_files_are_there(void **state)
{
	char **names;
	size_t i, n = list_goldens(&names);
	(void)state;
	/* a typo in FIXTURES_DIR must not pass as "no golden file failed" */
	assert_true(n >= 20);
	for (i = 0; i < n; i++) {
		struct buf p = BUF_INIT;
		buf_addf(&p, "%s/%s.expected.json", JUNIT_DIR, names[i]);
		if (!fs_is_file(p.ptr))
			fail_msg("'%s.xml' has no '%s.expected.json'", names[i], names[i]);
		buf_release(&p);
		free(names[i]);
	}
	free(names);
}

static const struct failure *find(struct test_result *res, const char *id)
{
	const struct failure *f = test_result_find(res, id);
	if (!f)
		fail_msg("no failure '%s'", id);
	return f;
}

static void junit__keeps_traceback_and_captured_output(void **state)
{
	struct test_result res = TEST_RESULT_INIT;
	const char *root = JUNIT_DIR "/calc/root";
	const struct failure *f;
	(void)state;

	assert_int_equal(junit_parse_file(&res, JUNIT_DIR "/calc.xunit1.xml", root), 0);
	f = find(&res, "tests/test_calc.py::test_mean_empty");
	assert_non_null(f->output);
	assert_non_null(strstr(f->output, "computing the mean of nothing"));
	assert_non_null(f->traceback);
	assert_non_null(strstr(f->traceback, "src/calc.py:6: ZeroDivisionError"));
	/* CDATA and entities come back as text */
	f = find(&res, "tests/test_calc.py::test_custom_message");
	assert_non_null(strstr(f->traceback, ">       assert total == 5, \"total should be five\""));
	assert_string_equal(res.rootdir, root);
	test_result_release(&res);

	assert_int_equal(junit_parse_file(&res, JUNIT_DIR "/java.xml", NULL), 0);
	f = find(&res, "com.acme.CalculatorTest::dividesByZero");
	assert_string_equal(f->output, "dividing 1 by 0\n");
	assert_non_null(strstr(f->traceback, "\tat com.acme.CalculatorTest.dividesByZero"));
	test_result_release(&res);
}

static void junit__missing_file_is_not_found(void **state)
{
	struct test_result res = TEST_RESULT_INIT;
	(void)state;
	assert_int_equal(junit_parse_file(&res, JUNIT_DIR "/no-such-report.xml", NULL), ERR_NOTFOUND);
	assert_non_null(strstr(error_last(), "no-such-report.xml"));
	assert_int_equal(res.nr_failures, 0);
	assert_int_equal(res.summary.total, 0);
}

static void junit__reports_add_up_and_errors_change_nothing(void **state)
{
	struct test_result res = TEST_RESULT_INIT;
	struct buf bad = BUF_INIT;
	(void)state;

	assert_int_equal(junit_parse_file(&res, JUNIT_DIR "/go.xml", NULL), 0);
	assert_int_equal(junit_parse_file(&res, JUNIT_DIR "/java.xml", NULL), 0);
	assert_int_equal(res.summary.total, 10);
	assert_int_equal(res.summary.passed, 3);
	assert_int_equal(res.summary.failed, 3);
	assert_int_equal(res.summary.errors, 2);
	assert_int_equal(res.summary.skipped, 2);
	assert_int_equal(res.nr_failures, 5);
	assert_string_equal(res.failures[0].id, "github.com/acme/calc::TestDivide/by_zero");
	assert_string_equal(res.failures[4].id, "com.acme.CalculatorTest::typeInMessage");
	assert_true(res.duration > 0.066 && res.duration < 0.068);

	load_report(&bad, "bad-truncated.xml", NULL);
	assert_int_equal(junit_parse_memory(&res, bad.ptr, bad.len, "r.xml", NULL), ERR_PARSE);
	assert_int_equal(res.summary.total, 10);
	assert_int_equal(res.nr_failures, 5);
	buf_release(&bad);
	test_result_release(&res);
}

static void junit__without_root_ids_stay_dotted(void **state)
{
	struct test_result res = TEST_RESULT_INIT;
	struct buf report = BUF_INIT;
	const struct failure *f;
	(void)state;

	load_report(&report, "calc.xunit2.xml", NULL);
	assert_int_equal(junit_parse_memory(&res, report.ptr, report.len, "r.xml", NULL), 0);
	f = find(&res, "tests.test_calc.TestDiv::test_div[1-0-0]");
	assert_null(f->file);
	assert_string_equal(f->test, "test_div[1-0-0]");
	/* relative frames are still project paths */
	assert_int_equal(f->nr_frames, 2);
	assert_string_equal(f->loc_file, "src/calc.py");
	assert_int_equal(f->loc_line, 6);
	buf_release(&report);
	test_result_release(&res);
}

static void junit__huge_message_is_capped(void **state)
{
	const size_t huge = 12u * 1024 * 1024;  /* past libxml2's 10 MB text limit */
	struct test_result res = TEST_RESULT_INIT;
	struct buf xml = BUF_INIT;
	const struct failure *f;
	char *filler = xmalloc(huge + 1);
	(void)state;

	memset(filler, 'x', huge);
	filler[huge] = '\0';
	buf_addf(&xml, "<testsuite name=\"pytest\"><testcase classname=\"a.b\" name=\"t\">"
		 "<failure message=\"ValueError: %s\">%s</failure>"
		 "<system-out>%s</system-out></testcase></testsuite>", filler, filler, filler);
	assert_int_equal(junit_parse_memory(&res, xml.ptr, xml.len, "huge.xml", NULL), 0);
	assert_int_equal(res.nr_failures, 1);
	f = &res.failures[0];
	assert_string_equal(f->error_type, "ValueError");
	assert_true(strlen(f->message) < FAILURE_TEXT_CAP + 100);
	assert_true(strlen(f->traceback) < FAILURE_TEXT_CAP + 100);
	assert_true(strlen(f->output) < FAILURE_TEXT_CAP + 100);
	assert_non_null(strstr(f->message, "bytes omitted"));
	free(filler);
	buf_release(&xml);
	test_result_release(&res);
}

static void junit__refuses_reports_over_the_cap(void **state)
{
	struct test_result res = TEST_RESULT_INIT;
	static const char data[] = "<testsuite/>";
	(void)state;
	/* the size is checked before a byte is read */
	assert_int_equal(junit_parse_memory(&res, data, (size_t)JUNIT_MAX_SIZE + 1, "big.xml", NULL),
			 ERR_LIMIT);
	assert_non_null(strstr(error_last(), "'big.xml'"));
	assert_int_equal(junit_parse_memory(&res, data, sizeof(data) - 1, "small.xml", NULL), 0);
	assert_int_equal(res.summary.total, 0);
	test_result_release(&res);
}

static void junit__refuses_suites_nested_too_deep(void **state)
{
	struct test_result res = TEST_RESULT_INIT;
	struct buf xml = BUF_INIT;
	int i;
	(void)state;

	for (i = 0; i < JUNIT_MAX_DEPTH + 2; i++)
		buf_adds(&xml, "<testsuite>");
	buf_adds(&xml, "<testcase classname=\"a\" name=\"b\"/>");
	for (i = 0; i < JUNIT_MAX_DEPTH + 2; i++)
		buf_adds(&xml, "</testsuite>");
	assert_int_equal(junit_parse_memory(&res, xml.ptr, xml.len, "deep.xml", NULL), ERR_PARSE);
	assert_non_null(strstr(error_last(), "nested"));
	assert_int_equal(res.summary.total, 0);
	buf_release(&xml);
}

static void junit__never_expands_or_fetches_entities(void **state)
{
	static const char *const files[] = { "bad-xxe.xml", "bad-billion-laughs.xml" };
	size_t i;
	(void)state;

	for (i = 0; i < ARRAY_SIZE(files); i++) {
		struct test_result res = TEST_RESULT_INIT;
		struct buf path = BUF_INIT;
		buf_addf(&path, "%s/%s", JUNIT_DIR, files[i]);
		assert_int_equal(junit_parse_file(&res, path.ptr, NULL), ERR_PARSE);
		assert_non_null(strstr(error_last(), "entity declarations are not allowed"));
		assert_null(strstr(error_last(), "root:"));
		assert_int_equal(res.nr_failures, 0);
		buf_release(&path);
	}
}

/* libxml2 prints nothing of its own: errors come back through error_last() */
static void junit__libxml2_stays_quiet_on_stderr(void **state)
{
	static const char undefined[] = "<?xml version='1.0'?><testsuite><x>&undefined;</x></testsuite>";
	struct test_result res = TEST_RESULT_INIT;
	char tmpl[] = "/tmp/pf-junit-stderr.XXXXXX";
	struct stat st;
	int fd = mkstemp(tmpl), saved;
	(void)state;

	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	assert_int_equal(junit_parse_file(&res, JUNIT_DIR "/bad-truncated.xml", NULL), ERR_PARSE);
	assert_int_equal(junit_parse_memory(&res, "<a><b></a>", 10, "m.xml", NULL), ERR_PARSE);
	assert_int_equal(junit_parse_memory(&res, undefined, strlen(undefined), "u.xml", NULL), ERR_PARSE);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	assert_int_equal(fstat(fd, &st), 0);
	close(fd);
	unlink(tmpl);
	assert_int_equal(st.st_size, 0);
}

static void junit__parse_errors_name_the_line(void **state)
{
	struct test_result res = TEST_RESULT_INIT;
	static const char xml[] = "<testsuite>\n<testcase name=\"a\">\n</testsuite>\n";
	(void)state;
	assert_int_equal(junit_parse_memory(&res, xml, sizeof(xml) - 1, "report.xml", NULL), ERR_PARSE);
	assert_string_equal(error_last(),
			    "cannot parse 'report.xml': line 3: opening and ending tag mismatch: "
			    "testcase line 2 and testsuite");
}

/*
 * A report that is not a plausible test report is refused before libxml2
 * works on it: 200,000 attributes on one element took libxml2 88 s.
 */
static void junit__implausible_reports_are_refused_at_once(void **state)
{
	struct test_result res = TEST_RESULT_INIT;
	struct buf xml = BUF_INIT;
	size_t i;
	(void)state;

	buf_adds(&xml, "<testsuite name=\"a\"><testcase classname=\"a\" name=\"b\"");
	for (i = 0; i < 200000 - 2; i++)
		buf_addf(&xml, " a%zu=\"'>'\"", i);
	buf_adds(&xml, "/></testsuite>");
	assert_int_equal(junit_parse_memory(&res, xml.ptr, xml.len, "x.xml", NULL), ERR_PARSE);
	assert_string_equal(error_last(),
			    "'x.xml' is not a plausible test report: 200000 attributes on <testcase>");

	/* elements nested deeper than any report's */
	buf_reset(&xml);
	buf_adds(&xml, "<testsuite><!-- <a> --><![CDATA[<b>]]><?pi <c>?>");
	for (i = 0; i < 100000; i++)
		buf_adds(&xml, "<x>");
	assert_int_equal(junit_parse_memory(&res, xml.ptr, xml.len, "deep.xml", NULL), ERR_PARSE);
	assert_non_null(strstr(error_last(), "'deep.xml' is not a plausible test report: elements "
			       "nested more than"));

	/* more test cases than a suite has */
	buf_reset(&xml);
	buf_adds(&xml, "<testsuite>");
	for (i = 0; i <= JUNIT_MAX_TESTCASES; i++)
		buf_adds(&xml, "<testcase/>");
	buf_adds(&xml, "</testsuite>");
	assert_int_equal(junit_parse_memory(&res, xml.ptr, xml.len, "many.xml", NULL), ERR_PARSE);
	assert_non_null(strstr(error_last(), "more than 1000000 test cases"));
	assert_int_equal(res.summary.total, 0);

	/* at the caps, all is read; comments, CDATA and quoted '>' do not count */
	buf_reset(&xml);
	buf_adds(&xml, "<testsuite><!-- <x a=\"1\"> --><testcase classname=\"a\" name=\"b\"");
	for (i = 0; i < JUNIT_MAX_ATTRIBUTES - 2; i++)
		buf_addf(&xml, " a%zu='>=&lt;'", i);
	buf_adds(&xml, "><system-out><![CDATA[<y>]]></system-out></testcase>");
	for (i = 0; i < JUNIT_MAX_ELEMENT_DEPTH - 2; i++)
		buf_adds(&xml, "<x>");
	for (i = 0; i < JUNIT_MAX_ELEMENT_DEPTH - 2; i++)
		buf_adds(&xml, "</x>");
	buf_adds(&xml, "</testsuite>");
	if (junit_parse_memory(&res, xml.ptr, xml.len, "ok.xml", NULL) < 0)
		fail_msg("%s", error_last());
	assert_int_equal(res.summary.passed, 1);
	test_result_release(&res);
	buf_release(&xml);
}

/* a pending SIGINT or SIGTERM stops the reading */
static void junit__a_signal_stops_the_parse(void **state)
{
	static const char xml[] = "<testsuite><testcase classname=\"a\" name=\"b\"/></testsuite>";
	struct test_result res = TEST_RESULT_INIT;
	(void)state;

	sig_install();
	raise(SIGINT);
	assert_int_equal(junit_parse_memory(&res, xml, strlen(xml), "r.xml", NULL), ERR_INTERRUPTED);
	assert_string_equal(error_last(), "interrupted while reading 'r.xml'");
	assert_int_equal(res.summary.total, 0);
	sig_reset();
	assert_int_equal(junit_parse_memory(&res, xml, strlen(xml), "r.xml", NULL), 0);
	assert_int_equal(res.summary.total, 1);
	test_result_release(&res);
}

/* only a regular file is read: a FIFO would block */
static void junit__a_fifo_is_refused(void **state)
{
	struct test_result res = TEST_RESULT_INIT;
	char dir[] = "/tmp/pf-junit-fifo.XXXXXX";
	struct buf path = BUF_INIT;
	(void)state;

	assert_non_null(mkdtemp(dir));
	buf_addf(&path, "%s/r.xml", dir);
	assert_int_equal(mkfifo(path.ptr, 0600), 0);
	assert_int_equal(junit_parse_file(&res, path.ptr, NULL), ERR_USAGE);
	assert_non_null(strstr(error_last(), "it is a FIFO, not a regular file"));
	assert_non_null(strstr(error_last(), path.ptr));
	assert_int_equal(junit_parse_file(&res, dir, NULL), ERR_USAGE);
	assert_non_null(strstr(error_last(), "it is a directory"));
	assert_int_equal(junit_parse_file(&res, "/dev/zero", NULL), ERR_USAGE);
	assert_non_null(strstr(error_last(), "it is a character device"));
	unlink(path.ptr);
	rmdir(dir);
	buf_release(&path);
}

int main(void)
{
	const struct CMUnitTest fixed[] = {
		cmocka_unit_test(junit__golden_files_are_there),
		cmocka_unit_test(junit__keeps_traceback_and_captured_output),
		cmocka_unit_test(junit__missing_file_is_not_found),
		cmocka_unit_test(junit__reports_add_up_and_errors_change_nothing),
		cmocka_unit_test(junit__without_root_ids_stay_dotted),
		cmocka_unit_test(junit__huge_message_is_capped),
		cmocka_unit_test(junit__refuses_reports_over_the_cap),
		cmocka_unit_test(junit__refuses_suites_nested_too_deep),
		cmocka_unit_test(junit__never_expands_or_fetches_entities),
		cmocka_unit_test(junit__libxml2_stays_quiet_on_stderr),
		cmocka_unit_test(junit__parse_errors_name_the_line),
		cmocka_unit_test(junit__implausible_reports_are_refused_at_once),
		cmocka_unit_test(junit__a_signal_stops_the_parse),
		cmocka_unit_test(junit__a_fifo_is_refused),
	};
	struct CMUnitTest *tests;
	struct buf *test_names;
	char **names;
	size_t i, n = list_goldens(&names), nr = ARRAY_SIZE(fixed) + n;
	int failed;

	/* one test per golden report, named after it */
	tests = xcalloc(nr, sizeof(*tests));
	test_names = xcalloc(n ? n : 1, sizeof(*test_names));
	memcpy(tests, fixed, sizeof(fixed));
	for (i = 0; i < n; i++) {
		struct CMUnitTest *t = &tests[ARRAY_SIZE(fixed) + i];
		buf_init(&test_names[i], 0);
		buf_addf(&test_names[i], "junit__golden_file(%s)", names[i]);
		t->name = test_names[i].ptr;
		t->test_func = junit__golden_file;
		t->initial_state = names[i];
	}
	failed = _cmocka_run_group_tests("junit", tests, nr, NULL, NULL);
	for (i = 0; i < n; i++) {
		buf_release(&test_names[i]);
		free(names[i]);
	}
	free(names);
	free(test_names);
	free(tests);
	return failed;
}
