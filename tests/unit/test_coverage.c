/*
 * The per-test coverage map (src/runner/coverage.c): the plugin's lines
 * read back, Ochiai figures computed by hand, ties, the tests covering a
 * range, and what malformed input gets.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "runner/coverage.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strvec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* five tests over a.py; "t::other" failed but is another failure's */
static const char suite[] =
	"{\"ev\":\"cov\",\"id\":\"t::f1\",\"outcome\":\"failed\",\"files\":{\"a.py\":[1,2,3]}}\n"
	"{\"ev\":\"cov\",\"id\":\"t::f2\",\"outcome\":\"failed\",\"files\":{\"a.py\":[1,3,4],\"t.py\":[9]}}\n"
	"{\"ev\":\"cov\",\"id\":\"t::p1\",\"outcome\":\"passed\",\"files\":{\"a.py\":[1,2]}}\n"
	"{\"ev\":\"cov\",\"id\":\"t::p2\",\"outcome\":\"skipped\",\"files\":{\"a.py\":[1]}}\n"
	"{\"ev\":\"cov\",\"id\":\"t::other\",\"outcome\":\"failed\",\"files\":{\"a.py\":[3,4]}}\n"
	"{\"ev\":\"cov\",\"id\":\"t::empty\",\"outcome\":\"passed\",\"files\":{}}\n";

static struct coverage_map *parse_ok(const char *text)
{
	struct coverage_map *m = NULL;
	int err = coverage_map_parse(&m, text, strlen(text), "cov.jsonl");

	if (err)
		fail_msg("cannot parse: %s", error_last());
	assert_non_null(m);
	return m;
}

static void rank(struct suspect **s, size_t *nr, const struct coverage_map *m, size_t max, ...)
{
	struct strvec failing = STRVEC_INIT;
	const char *id;
	va_list ap;

	va_start(ap, max);
	while ((id = va_arg(ap, const char *)))
		strvec_push(&failing, id);
	va_end(ap);
	assert_int_equal(coverage_rank(s, nr, m, &failing, max), 0);
	strvec_clear(&failing);
}

static void assert_suspect(const struct suspect *s, const char *file, int line, double score)
{
	assert_string_equal(s->file, file);
	assert_int_equal(s->line, line);
	if (fabs(s->score - score) > 1e-12)
		fail_msg("%s:%d: score %.15f, expected %.15f", file, line, s->score, score);
}

static void coverage__ochiai_by_hand(void **state)
{
	struct coverage_map *m = parse_ok(suite);
	struct suspect *s;
	size_t nr;

	(void)state;
	assert_int_equal(coverage_map_tests(m), 6);
	/*
	 * failing f1, f2 (nf + ef = 2); passing p1, p2 (skipped counts), empty;
	 * "other" neither. a.py:3 ef 2 ep 0 -> 2 / sqrt(2 * 2) = 1;
	 * a.py:1 ef 2 ep 2 -> 2 / sqrt(2 * 4) = sqrt(1/2); a.py:4 ef 1 ep 0 ->
	 * 1 / sqrt(2) (the same: a tie, line order); t.py:9 ef 1 ep 0 -> 1 /
	 * sqrt(2) (file order after a.py); a.py:2 ef 1 ep 1 -> 1 / 2
	 */
	rank(&s, &nr, m, 0, "t::f1", "t::f2", NULL);
	assert_int_equal(nr, 5);
	assert_suspect(&s[0], "a.py", 3, 1.0);
	assert_suspect(&s[1], "a.py", 1, sqrt(0.5));
	assert_suspect(&s[2], "a.py", 4, sqrt(0.5));
	assert_suspect(&s[3], "t.py", 9, sqrt(0.5));
	assert_suspect(&s[4], "a.py", 2, 0.5);
	suspects_free(s, nr);

	/* at most 2; an id the map lacks changes nothing */
	rank(&s, &nr, m, 2, "t::f2", "t::f1", "t::missing", NULL);
	assert_int_equal(nr, 2);
	assert_suspect(&s[0], "a.py", 3, 1.0);
	assert_suspect(&s[1], "a.py", 1, sqrt(0.5));
	suspects_free(s, nr);

	/* one failing test: f1 alone; "f2" is then another failure's (recorded failed) */
	rank(&s, &nr, m, 0, "t::f1", NULL);
	assert_int_equal(nr, 3);
	assert_suspect(&s[0], "a.py", 3, 1.0);           /* ef 1 ep 0 */
	assert_suspect(&s[1], "a.py", 2, 1 / sqrt(2.0)); /* ef 1 ep 1 */
	assert_suspect(&s[2], "a.py", 1, 1 / sqrt(3.0)); /* ef 1 ep 2 */
	suspects_free(s, nr);

	/* no failing test in the map: nothing */
	rank(&s, &nr, m, 0, "t::nowhere", NULL);
	assert_int_equal(nr, 0);
	assert_null(s);
	coverage_map_free(m);
}

static void coverage__parametrised_siblings_count_each(void **state)
{
	struct coverage_map *m = parse_ok(
		"{\"ev\":\"cov\",\"id\":\"t.py::test_area[case1]\",\"outcome\":\"failed\","
		"\"files\":{\"shapes.py\":[[10,12]]}}\n"
		"{\"ev\":\"cov\",\"id\":\"t.py::test_area[case2]\",\"outcome\":\"failed\","
		"\"files\":{\"shapes.py\":[10,11,20]}}\n"
		"{\"ev\":\"cov\",\"id\":\"t.py::test_area[case3]\",\"outcome\":\"passed\","
		"\"files\":{\"shapes.py\":[10,12]}}\n");
	struct suspect *s;
	size_t nr;

	(void)state;
	/*
	 * 11: ef 2 ep 0 -> 1; 10: ef 2 ep 1 -> 2 / sqrt(2 * 3); 20: ef 1 ep 0
	 * -> 1 / sqrt(2); 12: ef 1 ep 1 -> 1 / 2
	 */
	rank(&s, &nr, m, 0, "t.py::test_area[case1]", "t.py::test_area[case2]", NULL);
	assert_int_equal(nr, 4);
	assert_suspect(&s[0], "shapes.py", 11, 1.0);
	assert_suspect(&s[1], "shapes.py", 10, 2 / sqrt(6.0));
	assert_suspect(&s[2], "shapes.py", 20, 1 / sqrt(2.0));
	assert_suspect(&s[3], "shapes.py", 12, 0.5);
	suspects_free(s, nr);
	coverage_map_free(m);
}

static void coverage__a_test_that_covers_nothing(void **state)
{
	struct coverage_map *m = parse_ok(suite);
	struct suspect *s;
	size_t nr;

	(void)state;
	/* the empty test fails: it accuses nothing, but is one more failing test (nf) */
	rank(&s, &nr, m, 0, "t::empty", NULL);
	assert_int_equal(nr, 0);
	suspects_free(s, nr);
	rank(&s, &nr, m, 1, "t::f1", "t::empty", NULL);
	assert_int_equal(nr, 1);
	assert_suspect(&s[0], "a.py", 3, 1 / sqrt(2.0));  /* ef 1 ep 0, nf 1 */
	suspects_free(s, nr);
	coverage_map_free(m);
}

static void coverage__repeated_records_are_merged(void **state)
{
	struct coverage_map *m = parse_ok(
		"{\"ev\":\"cov\",\"id\":\"t::a\",\"outcome\":\"passed\",\"files\":{\"a.py\":[5,[7,9]]}}\r\n"
		"\n"
		"{\"ev\":\"cov\",\"id\":\"t::a\",\"outcome\":\"failed\",\"files\":{\"a.py\":[1,5],\"b.py\":[2]}}\n"
		"{\"ev\":\"cov\",\"id\":\"t::b\",\"outcome\":\"passed\",\"files\":{\"b.py\":[2]}}");
	struct strvec ids = STRVEC_INIT;
	struct suspect *s;
	size_t nr;

	(void)state;
	assert_int_equal(coverage_map_tests(m), 2);
	rank(&s, &nr, m, 0, "t::a", NULL);
	/* a.py 1, 5, 7, 8, 9 at 1; b.py:2 at 1 / sqrt(2) */
	assert_int_equal(nr, 6);
	assert_suspect(&s[0], "a.py", 1, 1.0);
	assert_suspect(&s[4], "a.py", 9, 1.0);
	assert_suspect(&s[5], "b.py", 2, 1 / sqrt(2.0));
	suspects_free(s, nr);
	/* both executed b.py:2 */
	coverage_tests_covering(&ids, m, "b.py", 1, 3);
	assert_int_equal(ids.nr, 2);
	strvec_clear(&ids);
	coverage_map_free(m);
}

static void coverage__tests_covering(void **state)
{
	struct coverage_map *m = parse_ok(suite);
	struct strvec ids = STRVEC_INIT;

	(void)state;
	coverage_tests_covering(&ids, m, "a.py", 4, 4);
	assert_int_equal(ids.nr, 2);
	assert_string_equal(ids.v[0], "t::f2");
	assert_string_equal(ids.v[1], "t::other");
	strvec_clear(&ids);
	coverage_tests_covering(&ids, m, "a.py", 2, 3);
	assert_int_equal(ids.nr, 4);
	assert_string_equal(ids.v[0], "t::f1");
	assert_string_equal(ids.v[1], "t::f2");
	assert_string_equal(ids.v[2], "t::p1");
	assert_string_equal(ids.v[3], "t::other");
	strvec_clear(&ids);
	/* no test there, no such file, an empty range */
	coverage_tests_covering(&ids, m, "a.py", 5, 100);
	coverage_tests_covering(&ids, m, "b.py", 1, 100);
	coverage_tests_covering(&ids, m, "a.py", 3, 2);
	assert_int_equal(ids.nr, 0);
	/* t.py:9 only */
	coverage_tests_covering(&ids, m, "t.py", 0, 2147483647);
	assert_int_equal(ids.nr, 1);
	assert_string_equal(ids.v[0], "t::f2");
	strvec_clear(&ids);
	coverage_map_free(m);
}

/* `len` SIZE_MAX: strlen(text) */
static void assert_parse_error(const char *text, size_t len, int code, const char *needle)
{
	struct coverage_map *m = (struct coverage_map *)&m;
	int err = coverage_map_parse(&m, text, len == SIZE_MAX ? strlen(text) : len, "cov.jsonl");

	assert_int_equal(err, code);
	assert_null(m);
	if (!strstr(error_last(), needle))
		fail_msg("'%s' lacks '%s'", error_last(), needle);
}

static void coverage__malformed_lines(void **state)
{
	static const char nul[] = "{\"ev\":\"cov\",\"id\":\"t::a\",\"outcome\":\"passed\","
				  "\"files\":{}}\n{\"ev\":\0\"cov\"}\n";
	static const char utf8[] = "{\"ev\":\"cov\",\"id\":\"t::\xff\",\"outcome\":\"passed\","
				   "\"files\":{}}\n";

	(void)state;
	assert_parse_error("{\"ev\":\"cov\",\"id\":\"t::a\",\"outcome\":\"passed\",\"files\":{}}\n"
			   "{\"ev\":\"cov\",\"id\":\"t::b\"\n", SIZE_MAX, ERR_PARSE,
			   "cannot read the coverage map 'cov.jsonl': line 2: ");
	assert_parse_error(nul, sizeof(nul) - 1, ERR_PARSE, "line 2: ");
	assert_parse_error(utf8, sizeof(utf8) - 1, ERR_PARSE, "line 1: ");
	assert_parse_error("[1]\n", SIZE_MAX, ERR_PARSE, "line 1: not a record");
	assert_parse_error("{\"ev\":\"start\"}\n", SIZE_MAX, ERR_PARSE, "an unknown record");
	assert_parse_error("{\"ev\":\"cov\",\"outcome\":\"passed\",\"files\":{}}", SIZE_MAX,
			   ERR_PARSE, "no test id");
	assert_parse_error("{\"ev\":\"cov\",\"id\":\"t::a\",\"outcome\":\"xfailed\",\"files\":{}}",
			   SIZE_MAX, ERR_PARSE, "an outcome other than");
	assert_parse_error("{\"ev\":\"cov\",\"id\":\"t::a\",\"outcome\":\"passed\",\"files\":[]}",
			   SIZE_MAX, ERR_PARSE, "no files object");
	assert_parse_error("{\"ev\":\"cov\",\"id\":\"t::a\",\"outcome\":\"passed\","
			   "\"files\":{\"/etc/a.py\":[1]}}", SIZE_MAX, ERR_PARSE, "absolute");
	assert_parse_error("{\"ev\":\"cov\",\"id\":\"t::a\",\"outcome\":\"passed\","
			   "\"files\":{\"a.py\":[0]}}", SIZE_MAX, ERR_PARSE, "a line is not");
	assert_parse_error("{\"ev\":\"cov\",\"id\":\"t::a\",\"outcome\":\"passed\","
			   "\"files\":{\"a.py\":[1.5]}}", SIZE_MAX, ERR_PARSE, "a line is not");
	assert_parse_error("{\"ev\":\"cov\",\"id\":\"t::a\",\"outcome\":\"passed\","
			   "\"files\":{\"a.py\":[[9,3]]}}", SIZE_MAX, ERR_PARSE, "[first, last]");
	assert_parse_error("{\"ev\":\"cov\",\"id\":\"t::a\",\"outcome\":\"passed\","
			   "\"files\":{\"a.py\":{}}}", SIZE_MAX, ERR_PARSE, "not an array");
	/* a run that would blow up memory */
	assert_parse_error("{\"ev\":\"cov\",\"id\":\"t::a\",\"outcome\":\"passed\","
			   "\"files\":{\"a.py\":[[1,1000000]]}}", SIZE_MAX, ERR_LIMIT,
			   "a test with more than");
}

static void coverage__the_plugin_left_another_tracer_alone(void **state)
{
	struct coverage_map *m = NULL;
	const char *off = "{\"ev\":\"cov-off\",\"reason\":\"a trace function is already installed "
			  "(CTracer)\"}\n";
	char text[512];

	(void)state;
	assert_int_equal(coverage_map_parse(&m, off, strlen(off), "cov.jsonl"), ERR_CONFLICT);
	assert_null(m);
	assert_non_null(strstr(error_last(), "no coverage recorded in 'cov.jsonl': a trace "
				"function is already installed (CTracer)"));
	/* one xdist worker had one, another not: the tests recorded are used */
	snprintf(text, sizeof(text), "%s%s", off,
		 "{\"ev\":\"cov\",\"id\":\"t::a\",\"outcome\":\"passed\",\"files\":{}}\n");
	assert_int_equal(coverage_map_parse(&m, text, strlen(text), "cov.jsonl"), 0);
	assert_int_equal(coverage_map_tests(m), 1);
	coverage_map_free(m);
	/* an empty file: an empty map */
	assert_int_equal(coverage_map_parse(&m, "", 0, "cov.jsonl"), 0);
	assert_int_equal(coverage_map_tests(m), 0);
	coverage_map_free(m);
}

static void coverage__read_from_a_file(void **state)
{
	struct buf dir = BUF_INIT, path = BUF_INIT, text = BUF_INIT;
	struct coverage_map *m = NULL;
	struct strvec ids = STRVEC_INIT;
	struct suspect *s;
	size_t nr;
	int i;

	(void)state;
	assert_int_equal(fs_mkdtemp(&dir, "test-coverage"), 0);
	buf_addf(&path, "%s/cov.jsonl", dir.ptr);
	assert_int_equal(coverage_map_read(&m, path.ptr), ERR_NOTFOUND);
	assert_null(m);
	/* records across the reader's chunks; the last without a newline */
	for (i = 0; i < 3000; i++)
		buf_addf(&text, "{\"ev\":\"cov\",\"id\":\"t.py::test_x[%d]\",\"outcome\":\"%s\","
			 "\"files\":{\"pkg/m.py\":[1,[3,5],%d]}}\n", i, i == 1234 ? "failed" : "passed",
			 10 + i % 7);
	buf_setlen(&text, text.len - 1);
	assert_int_equal(fs_write_atomic(path.ptr, text.ptr, text.len, 0600), 0);
	assert_int_equal(coverage_map_read(&m, path.ptr), 0);
	assert_int_equal(coverage_map_tests(m), 3000);
	rank(&s, &nr, m, 1, "t.py::test_x[1234]", NULL);
	/* 1234 % 7 = 2: line 12, executed by 1 failing and 428 passing tests */
	assert_int_equal(nr, 1);
	assert_suspect(&s[0], "pkg/m.py", 12, 1 / sqrt(429.0));
	suspects_free(s, nr);
	coverage_tests_covering(&ids, m, "pkg/m.py", 16, 16);
	assert_int_equal(ids.nr, 428);
	strvec_clear(&ids);
	coverage_map_free(m);

	/* a malformed line in a file names its line */
	buf_reset(&text);
	buf_adds(&text, "{\"ev\":\"cov\",\"id\":\"a\",\"outcome\":\"passed\",\"files\":{}}\n\nnot json\n");
	assert_int_equal(fs_write_atomic(path.ptr, text.ptr, text.len, 0600), 0);
	assert_int_equal(coverage_map_read(&m, path.ptr), ERR_PARSE);
	assert_non_null(strstr(error_last(), "/cov.jsonl': line 3: "));
	fs_remove_tree(dir.ptr);
	buf_release(&text);
	buf_release(&path);
	buf_release(&dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(coverage__ochiai_by_hand),
		cmocka_unit_test(coverage__parametrised_siblings_count_each),
		cmocka_unit_test(coverage__a_test_that_covers_nothing),
		cmocka_unit_test(coverage__repeated_records_are_merged),
		cmocka_unit_test(coverage__tests_covering),
		cmocka_unit_test(coverage__malformed_lines),
		cmocka_unit_test(coverage__the_plugin_left_another_tracer_alone),
		cmocka_unit_test(coverage__read_from_a_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
