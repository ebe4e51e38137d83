/*
 * The service's metrics (src/serve/metrics.h) on a real SQLite queue filled
 * through the queue's API: exact lines, the histogram, the counters the
 * workers add (passed through, added up, escaped, or left out), and the
 * whole text read back by an independent reader of the exposition format.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "serve/metrics.h"
#include "serve/queue.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/xalloc.h"

#include "serve_jobs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FAMILIES 64
#define MAX_SERIES 256

static void render(struct buf *out, struct queue *q, const struct metrics_extra *extra)
{
	buf_init(out, 0);
	jobs_ok(metrics_render(out, q, extra));
}

/* `line` is a whole line of `text` */
static void has_line(const char *text, const char *line)
{
	size_t len = strlen(line);
	const char *p;

	for (p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && p[len] == '\n')
			return;
	fail_msg("no line '%s' in:\n%s", line, text);
}

static void lacks(const char *text, const char *needle)
{
	if (strstr(text, needle))
		fail_msg("'%s' is printed:\n%s", needle, text);
}

static int metric_name_char(int c, int first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
	       (!first && c >= '0' && c <= '9');
}

/* past a metric name at p, or p when there is none */
static const char *skip_name(const char *p)
{
	if (!metric_name_char((unsigned char)*p, 1))
		return p;
	while (metric_name_char((unsigned char)*p, 0))
		p++;
	return p;
}

static int ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);
	return len >= n && !memcmp(s + len - n, suffix, n);
}

/*
 * Read `text` as Prometheus 0.0.4 would, on our own (not with metrics.c's
 * reader): every family's HELP then TYPE once, before its samples, which
 * follow together; counters end in _total; sample names belong to the
 * family (histograms: _bucket, _sum, _count); label names and escapes are
 * valid; values are numbers; no series twice.
 */
static void check_exposition(const char *text)
{
	char *families[MAX_FAMILIES], *series[MAX_SERIES], type[16] = "", family[256] = "";
	size_t nfam = 0, nser = 0, i;
	const char *line = text, *end, *p, *q;

	while (*line) {
		end = strchr(line, '\n');
		if (!end)
			fail_msg("the last line has no newline: '%s'", line);
		if (!strncmp(line, "# HELP ", 7)) {
			p = line + 7;
			q = skip_name(p);
			if (q == p || *q != ' ' || (size_t)(q - p) >= sizeof(family))
				fail_msg("bad HELP line '%.*s'", (int)(end - line), line);
			for (i = 0; i < nfam; i++)
				if (strlen(families[i]) == (size_t)(q - p) && !memcmp(families[i], p, q - p))
					fail_msg("family '%s' described twice", families[i]);
			assert_true(nfam < MAX_FAMILIES);
			families[nfam++] = xstrndup(p, q - p);
			snprintf(family, sizeof(family), "%.*s", (int)(q - p), p);
			type[0] = 0;
			if (strncmp(end + 1, "# TYPE ", 7) || strncmp(end + 8, family, strlen(family)) ||
			    end[8 + strlen(family)] != ' ')
				fail_msg("no TYPE line right after the HELP of '%s'", family);
		} else if (!strncmp(line, "# TYPE ", 7)) {
			p = line + 8 + strlen(family);
			snprintf(type, sizeof(type), "%.*s", (int)(end - p), p);
			if (strcmp(type, "counter") && strcmp(type, "gauge") && strcmp(type, "histogram"))
				fail_msg("family '%s' has type '%s'", family, type);
			if (!strcmp(type, "counter") && !ends_with(family, strlen(family), "_total"))
				fail_msg("counter '%s' does not end in _total", family);
		} else {
			size_t flen = strlen(family), len;
			char *end_num;
			p = skip_name(line);
			len = (size_t)(p - line);
			if (!len || !type[0])
				fail_msg("sample outside a family: '%.*s'", (int)(end - line), line);
			if (!(len == flen && !memcmp(line, family, flen)) &&
			    !(!strcmp(type, "histogram") && len > flen && !memcmp(line, family, flen) &&
			      (!strncmp(line + flen, "_bucket", len - flen) ||
			       !strncmp(line + flen, "_sum", len - flen) ||
			       !strncmp(line + flen, "_count", len - flen))))
				fail_msg("sample '%.*s' is not of family '%s'", (int)(end - line), line,
					 family);
			if (*p == '{') {
				for (p++; *p != '}';) {
					q = p;
					while (metric_name_char((unsigned char)*p, p == q) && *p != ':')
						p++;
					if (p == q || p[0] != '=' || p[1] != '"')
						fail_msg("bad label in '%.*s'", (int)(end - line), line);
					for (p += 2; *p != '"'; p++) {
						if (*p == '\n' || !*p)
							fail_msg("unterminated value in '%.*s'", (int)(end - line),
								 line);
						if (*p == '\\' && !strchr("\\\"n", *++p))
							fail_msg("bad escape in '%.*s'", (int)(end - line), line);
					}
					p++;
					if (*p == ',')
						p++;
					else if (*p != '}')
						fail_msg("bad label list in '%.*s'", (int)(end - line), line);
				}
				p++;
			}
			for (i = 0; i < nser; i++)
				if (strlen(series[i]) == (size_t)(p - line) && !memcmp(series[i], line, p - line))
					fail_msg("series '%s' printed twice", series[i]);
			assert_true(nser < MAX_SERIES);
			series[nser++] = xstrndup(line, p - line);
			if (*p++ != ' ')
				fail_msg("no space before the value in '%.*s'", (int)(end - line), line);
			if (strncmp(p, "NaN\n", 4) && strncmp(p, "+Inf\n", 5) && strncmp(p, "-Inf\n", 5) &&
			    (strtod(p, &end_num), end_num != end || end == p))
				fail_msg("bad value in '%.*s'", (int)(end - line), line);
		}
		line = end + 1;
	}
	for (i = 0; i < nfam; i++)
		free(families[i]);
	for (i = 0; i < nser; i++)
		free(series[i]);
}

/* the value of the sample `series` (whole line start), failing when it is missing */
static double sample(const char *text, const char *series)
{
	size_t len = strlen(series);
	const char *p;

	for (p = text; (p = strstr(p, series)); p++)
		if ((p == text || p[-1] == '\n') && p[len] == ' ')
			return strtod(p + len + 1, NULL);
	fail_msg("no sample '%s' in:\n%s", series, text);
	return 0;
}

static void add_counters(struct queue *q)
{
	struct buf name = BUF_INIT;

	metrics_series(&name, METRIC_LLM_TOKENS, METRIC_LABEL_STEP, METRIC_STEP_ANALYSIS);
	jobs_ok(queue_counter_add(q, name.ptr, 1200));
	jobs_ok(queue_counter_add(q, name.ptr, 800));
	buf_reset(&name);
	metrics_series(&name, METRIC_LLM_TOKENS, METRIC_LABEL_STEP, METRIC_STEP_FIX);
	jobs_ok(queue_counter_add(q, name.ptr, 3000));
	buf_reset(&name);
	metrics_series(&name, METRIC_LLM_COST, METRIC_LABEL_STEP, METRIC_STEP_FIX);
	jobs_ok(queue_counter_add(q, name.ptr, 0.0125));
	buf_reset(&name);
	metrics_series(&name, METRIC_STEP_FAILURES, METRIC_LABEL_STEP, METRIC_STEP_CLONE);
	jobs_ok(queue_counter_add(q, name.ptr, 1));
	jobs_ok(queue_counter_add(q, METRIC_RATE_LIMIT_WAITS, 2));
	/* a value from outside in a label: escaped on the way in and out */
	buf_reset(&name);
	metrics_series(&name, "pytest_fixer_odd_total", "path", "C:\\dir \"x\"\nnext");
	jobs_ok(queue_counter_add(q, name.ptr, 1));
	/* the same series with its labels in two orders is one */
	jobs_ok(queue_counter_add(q, "pytest_fixer_pair_total{b=\"2\",a=\"1\"}", 1));
	jobs_ok(queue_counter_add(q, "pytest_fixer_pair_total{a=\"1\",b=\"2\",}", 2));
	buf_release(&name);
}

/* names that are no valid series, each left out */
static const char *const invalid_counters[] = {
	"9starts_with_a_digit_total",
	"has space_total",
	"pytest_fixer_bad_total{step=\"unterminated}",
	"pytest_fixer_bad_total{__reserved=\"1\"}",
	"pytest_fixer_bad_total{a=\"1\",a=\"2\"}",
	"pytest_fixer_bad_total{a=\"tab\\t\"}",
	"pytest_fixer_bad_total{a=1}",
	"pytest_fixer_bad_total{a=\"1\"}trailing",
	"pytest_fixer_bad_total{a:b=\"1\"}",
	"pytest_fixer_bad_total{a=\"\xff\"}",
	"pytest_fixer_jobs",              /* one of our own families */
	"pytest_fixer_not_a_counter",     /* no _total */
};

static void metrics__exact_lines(void **state)
{
	struct jobs_fixture *fx = *state;
	const struct metrics_delivery deliveries[] = { { 202, 3 }, { 401, 1 }, { 202, 2 } };
	struct metrics_extra extra = { .deliveries = deliveries, .deliveries_nr = 3,
				       .instance = "host-a:4242", .role = "all",
				       .started_at = 1700000000.25, .uptime_s = 12.5,
				       .jobs_done = 4 };
	struct buf out;

	jobs_fill(fx->q);
	add_counters(fx->q);
	render(&out, fx->q, &extra);
	check_exposition(out.ptr);

	has_line(out.ptr, "# HELP pytest_fixer_jobs Jobs in the queue, by state");
	has_line(out.ptr, "# TYPE pytest_fixer_jobs gauge");
	has_line(out.ptr, "pytest_fixer_jobs{state=\"queued\"} 1");
	has_line(out.ptr, "pytest_fixer_jobs{state=\"analyzing\"} 0");
	has_line(out.ptr, "pytest_fixer_jobs{state=\"fixing\"} 0");
	has_line(out.ptr, "pytest_fixer_jobs{state=\"fixed\"} 2");
	has_line(out.ptr, "pytest_fixer_jobs{state=\"escalated\"} 1");
	has_line(out.ptr, "pytest_fixer_jobs{state=\"failed\"} 1");
	has_line(out.ptr, "pytest_fixer_jobs{state=\"stale\"} 1");
	has_line(out.ptr, "pytest_fixer_jobs{state=\"ignored\"} 0");
	has_line(out.ptr, "pytest_fixer_jobs{state=\"discarded\"} 0");
	has_line(out.ptr, "# TYPE pytest_fixer_success_ratio gauge");
	has_line(out.ptr, "pytest_fixer_success_ratio 0.5");
	has_line(out.ptr, "pytest_fixer_first_try_success_ratio 0.25");
	has_line(out.ptr, "# TYPE pytest_fixer_first_try_fixes_total counter");
	has_line(out.ptr, "pytest_fixer_first_try_fixes_total 1");
	has_line(out.ptr, "pytest_fixer_retries_total 1");
	has_line(out.ptr, "pytest_fixer_escalations_total 1");
	has_line(out.ptr, "pytest_fixer_queue_depth 1");
	has_line(out.ptr, "# TYPE pytest_fixer_llm_tokens_total counter");
	has_line(out.ptr, "pytest_fixer_llm_tokens_total{step=\"analysis\"} 2000");
	has_line(out.ptr, "pytest_fixer_llm_tokens_total{step=\"fix\"} 3000");
	has_line(out.ptr, "pytest_fixer_llm_cost_usd_total{step=\"fix\"} 0.0125");
	has_line(out.ptr, "pytest_fixer_step_failures_total{step=\"clone\"} 1");
	has_line(out.ptr, "pytest_fixer_github_rate_limit_waits_total 2");
	has_line(out.ptr, "pytest_fixer_github_rate_limit_wait_seconds_total 0");
	has_line(out.ptr, "# TYPE pytest_fixer_odd_total counter");
	has_line(out.ptr, "pytest_fixer_odd_total{path=\"C:\\\\dir \\\"x\\\"\\nnext\"} 1");
	has_line(out.ptr, "pytest_fixer_pair_total{a=\"1\",b=\"2\"} 3");
	has_line(out.ptr, "pytest_fixer_invalid_counters 0");
	has_line(out.ptr, "# TYPE pytest_fixer_webhook_deliveries_total counter");
	has_line(out.ptr, "pytest_fixer_job_rescues_total 0");
	has_line(out.ptr, "# TYPE pytest_fixer_processes gauge");
	has_line(out.ptr, "pytest_fixer_processes{role=\"web\"} 0");
	has_line(out.ptr, "pytest_fixer_webhook_deliveries_total{instance=\"host-a:4242\",status=\"202\"} 5");
	has_line(out.ptr, "pytest_fixer_webhook_deliveries_total{instance=\"host-a:4242\",status=\"401\"} 1");
	has_line(out.ptr, "# TYPE pytest_fixer_process_uptime_seconds gauge");
	has_line(out.ptr, "pytest_fixer_process_uptime_seconds{instance=\"host-a:4242\",role=\"all\"} 12.5");
	has_line(out.ptr, "pytest_fixer_process_start_time_seconds{instance=\"host-a:4242\",role=\"all\"} 1700000000.25");
	has_line(out.ptr, "# TYPE pytest_fixer_process_jobs_done_total counter");
	has_line(out.ptr, "pytest_fixer_process_jobs_done_total{instance=\"host-a:4242\"} 4");
	buf_release(&out);
}

static void metrics__histogram_buckets_are_cumulative(void **state)
{
	static const double bounds[] = METRICS_DURATION_BUCKETS;
	static const char *const outcomes[] = { "fixed", "escalated", "failed" };
	struct jobs_fixture *fx = *state;
	struct buf out, series = BUF_INIT;
	struct job retried;
	double last, count, sum, took;
	size_t o, b;

	jobs_ok(queue_get(fx->q, &retried, jobs_fill(fx->q)));
	took = retried.finished_at - retried.created_at;
	job_release(&retried);
	render(&out, fx->q, NULL);
	check_exposition(out.ptr);
	has_line(out.ptr, "# TYPE pytest_fixer_job_duration_seconds histogram");

	for (o = 0; o < 3; o++) {
		last = 0;
		for (b = 0; b <= METRICS_DURATION_BUCKETS_NR; b++) {
			double v;
			buf_reset(&series);
			if (b < METRICS_DURATION_BUCKETS_NR)
				buf_addf(&series, "%s_bucket{outcome=\"%s\",le=\"%g\"}", METRIC_DURATION,
					 outcomes[o], bounds[b]);
			else
				buf_addf(&series, "%s_bucket{outcome=\"%s\",le=\"+Inf\"}", METRIC_DURATION,
					 outcomes[o]);
			v = sample(out.ptr, series.ptr);
			if (v < last)
				fail_msg("'%s' is %g, under the bucket before it (%g)", series.ptr, v, last);
			last = v;
		}
		buf_reset(&series);
		buf_addf(&series, "%s_count{outcome=\"%s\"}", METRIC_DURATION, outcomes[o]);
		count = sample(out.ptr, series.ptr);
		assert_true(count == last);
		assert_true(count == 1 || (o == 0 && count == 2));
	}
	/* the retried fix waited out its backoff (over a second), the first did not */
	assert_true(took > 1 && took < 5);
	has_line(out.ptr, "pytest_fixer_job_duration_seconds_bucket{outcome=\"fixed\",le=\"1\"} 1");
	has_line(out.ptr, "pytest_fixer_job_duration_seconds_bucket{outcome=\"fixed\",le=\"5\"} 2");
	sum = sample(out.ptr, "pytest_fixer_job_duration_seconds_sum{outcome=\"fixed\"}");
	assert_true(sum >= took && sum < took + 1);
	/* the stale job, which was never worked on, is in no outcome */
	lacks(out.ptr, "outcome=\"stale\"");
	buf_release(&series);
	buf_release(&out);
}

static void metrics__invalid_counter_names_are_left_out(void **state)
{
	struct jobs_fixture *fx = *state;
	struct buf out, expect = BUF_INIT;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(invalid_counters); i++)
		jobs_ok(queue_counter_add(fx->q, invalid_counters[i], 7));
	jobs_ok(queue_counter_add(fx->q, "pytest_fixer_good_total", 7));
	render(&out, fx->q, NULL);
	check_exposition(out.ptr);
	buf_addf(&expect, "pytest_fixer_invalid_counters %zu", ARRAY_SIZE(invalid_counters));
	has_line(out.ptr, expect.ptr);
	has_line(out.ptr, "pytest_fixer_good_total 7");
	lacks(out.ptr, "starts_with_a_digit");
	lacks(out.ptr, "has space");
	lacks(out.ptr, "pytest_fixer_bad_total");
	lacks(out.ptr, "pytest_fixer_not_a_counter");
	/* our own family keeps its own samples only */
	lacks(out.ptr, "\npytest_fixer_jobs 7\n");
	assert_string_equal(error_last(), "");
	buf_release(&expect);
	buf_release(&out);
}

static void metrics__empty_queue(void **state)
{
	struct jobs_fixture *fx = *state;
	struct buf out;

	render(&out, fx->q, NULL);
	check_exposition(out.ptr);
	has_line(out.ptr, "pytest_fixer_jobs{state=\"queued\"} 0");
	/* nothing ended: no rate to speak of */
	has_line(out.ptr, "pytest_fixer_success_ratio NaN");
	has_line(out.ptr, "pytest_fixer_first_try_success_ratio NaN");
	has_line(out.ptr, "pytest_fixer_job_duration_seconds_bucket{outcome=\"fixed\",le=\"+Inf\"} 0");
	has_line(out.ptr, "pytest_fixer_job_duration_seconds_count{outcome=\"failed\"} 0");
	has_line(out.ptr, "pytest_fixer_queue_depth 0");
	has_line(out.ptr, "# TYPE pytest_fixer_llm_tokens_total counter");
	lacks(out.ptr, "pytest_fixer_llm_tokens_total{");
	has_line(out.ptr, "# TYPE pytest_fixer_webhook_deliveries_total counter");
	lacks(out.ptr, "pytest_fixer_webhook_deliveries_total{");
	has_line(out.ptr, "pytest_fixer_job_rescues_total 0");
	has_line(out.ptr, "pytest_fixer_processes{role=\"all\"} 0");
	/* no process said who it is: none of its own figures */
	lacks(out.ptr, METRIC_PROCESS_UPTIME);
	lacks(out.ptr, METRIC_PROCESS_JOBS_DONE);
	lacks(out.ptr, "instance=");
	buf_release(&out);
}

/* a lease this short runs out after the wait below: the next claim is a rescue */
#define METRICS_TEST_LEASE_S 0.05
#define METRICS_TEST_EXPIRE_MS 300

/* claim job `id` for `owner` and leave it held until its lease runs out */
static void claim_and_die(struct queue *q, int64_t id, const char *owner)
{
	struct job job;

	jobs_ok(queue_claim(q, &job, owner, METRICS_TEST_LEASE_S));
	assert_int_equal(job.id, id);
	job_release(&job);
	clock_sleep_ms(METRICS_TEST_EXPIRE_MS);
}

static void metrics__cluster_and_own_figures(void **state)
{
	struct jobs_fixture *fx = *state;
	const struct metrics_delivery deliveries[] = { { 202, 2 } };
	/* an instance name from outside: escaped like any label value */
	struct metrics_extra extra = { .deliveries = deliveries, .deliveries_nr = 1,
				       .instance = "we\"ird\\host\n:7", .role = "web",
				       .started_at = 1700000000, .uptime_s = 3, .jobs_done = 0 };
	struct buf out;
	struct job job;
	int64_t rescued, discarded;

	/* one job rescued twice (two workers died holding it) and then fixed */
	rescued = jobs_add(fx->q, "acme/calc", 1, "r1", "tests");
	claim_and_die(fx->q, rescued, "w-dead-1");
	claim_and_die(fx->q, rescued, "w-dead-2");
	jobs_ok(queue_claim(fx->q, &job, JOBS_OWNER, JOBS_LEASE_S));
	assert_int_equal(job.rescue_count, 2);
	jobs_end(fx->q, rescued, job.fence, JOB_FIXED, 0.9, "assertion", "fixed", "c0ffee");
	job_release(&job);
	/* one discarded by hand */
	discarded = jobs_add(fx->q, "acme/calc", 2, "d1", "tests");
	jobs_ok(queue_manual(fx->q, discarded, JOB_DISCARDED, NULL));
	/* the cluster's processes: one web, two workers, one of each kind in one */
	jobs_ok(queue_beat(fx->q, "web-1:10", "web", clock_wall(), 0));
	jobs_ok(queue_beat(fx->q, "worker-1:11", "worker", clock_wall(), 3));
	jobs_ok(queue_beat(fx->q, "worker-2:12", "worker", clock_wall(), 1));
	jobs_ok(queue_beat(fx->q, "both-1:13", "all", clock_wall(), 0));
	/* a beat again is the same process, not another */
	jobs_ok(queue_beat(fx->q, "worker-2:12", "worker", clock_wall(), 2));

	render(&out, fx->q, &extra);
	check_exposition(out.ptr);
	has_line(out.ptr, "# TYPE pytest_fixer_job_rescues_total counter");
	has_line(out.ptr, "pytest_fixer_job_rescues_total 2");
	has_line(out.ptr, "pytest_fixer_jobs{state=\"discarded\"} 1");
	has_line(out.ptr, "pytest_fixer_jobs{state=\"fixed\"} 1");
	has_line(out.ptr, "pytest_fixer_processes{role=\"web\"} 1");
	has_line(out.ptr, "pytest_fixer_processes{role=\"worker\"} 2");
	has_line(out.ptr, "pytest_fixer_processes{role=\"all\"} 1");
	has_line(out.ptr, "pytest_fixer_webhook_deliveries_total{instance=\"we\\\"ird\\\\host\\n:7\",status=\"202\"} 2");
	has_line(out.ptr, "pytest_fixer_process_uptime_seconds{instance=\"we\\\"ird\\\\host\\n:7\",role=\"web\"} 3");
	has_line(out.ptr, "pytest_fixer_process_jobs_done_total{instance=\"we\\\"ird\\\\host\\n:7\"} 0");
	/* a worker's counter cannot pose as one of these families */
	buf_release(&out);
	jobs_ok(queue_counter_add(fx->q, "pytest_fixer_job_rescues_total", 100));
	jobs_ok(queue_counter_add(fx->q, "pytest_fixer_process_jobs_done_total{instance=\"x\"}", 1));
	render(&out, fx->q, NULL);
	check_exposition(out.ptr);
	has_line(out.ptr, "pytest_fixer_job_rescues_total 2");
	has_line(out.ptr, "pytest_fixer_invalid_counters 2");
	lacks(out.ptr, "instance=\"x\"");
	buf_release(&out);
}

static void metrics__series_parse(void **state)
{
	static const struct {
		const char *in, *out, *error;
	} cases[] = {
		{ "up_total", "up_total", NULL },
		{ "ns:up_total{}", "ns:up_total", NULL },
		{ "x_total{z=\"1\",a=\"\"}", "x_total{a=\"\",z=\"1\"}", NULL },
		{ "x_total{a=\"q\\\"\\\\\\n\"}", "x_total{a=\"q\\\"\\\\\\n\"}", NULL },
		{ "x_total{a=\"caf\xc3\xa9\",}", "x_total{a=\"caf\xc3\xa9\"}", NULL },
		{ "", NULL, "bad name" },
		{ "x_total{a=\"1\"", NULL, "no ',' or '}' at byte 13" },
		{ "x_total{a=\"1\"} ", NULL, "unexpected byte at 14" },
		{ "x_total{a=\"\\x\"}", NULL, "bad escape at byte 11" },
		{ "x_total{a=\"1\",a=\"1\"}", NULL, "a label named twice" },
		{ "x_total{__a=\"1\"}", NULL, "reserved" },
		{ "x_total{a\"1\"}", NULL, "no '=' at byte 9" },
		{ "x_total{a=\"line\nbreak\"}", NULL, "unterminated" },
	};
	struct buf out = BUF_INIT, family = BUF_INIT;
	size_t i;
	int ret;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		buf_reset(&out);
		buf_reset(&family);
		ret = metrics_series_parse(&out, &family, cases[i].in);
		if (!cases[i].error) {
			jobs_ok(ret);
			assert_string_equal(out.ptr, cases[i].out);
			assert_int_equal(family.len, strcspn(cases[i].in, "{"));
			continue;
		}
		if (ret != ERR_PARSE || !strstr(error_last(), cases[i].error))
			fail_msg("'%s': got %d '%s', not '%s'", cases[i].in, ret, error_last(),
				 cases[i].error);
	}
	buf_release(&out);
	buf_release(&family);
}

static void metrics__summary_and_median(void **state)
{
	double odd[] = { 5, 1, 3 }, even[] = { 4, 1, 3, 2 };
	struct job jobs[3] = {
		{ .state = JOB_FIXED, .created_at = 100, .finished_at = 130 },
		{ .state = JOB_FIXED, .attempts = 2, .created_at = 100, .finished_at = 110 },
		{ .state = JOB_ESCALATED, .attempts = 1, .created_at = 100, .finished_at = 200 },
	};
	struct metrics_summary sum;

	(void)state;
	assert_true(metrics_median(odd, 3) == 3);
	assert_true(metrics_median(even, 4) == 2.5);
	assert_true(isnan(metrics_median(odd, 0)));
	metrics_summarize(&sum, jobs, 3);
	assert_int_equal(sum.jobs, 3);
	assert_int_equal(sum.ended, 3);
	assert_int_equal(sum.first_try, 1);
	assert_int_equal(sum.retries, 3);
	assert_true(fabs(sum.success_ratio - 2.0 / 3) < 1e-12);
	assert_true(sum.median_fix_s == 20);
	/* the wall clock set back: no negative duration */
	jobs[0].finished_at = 50;
	assert_true(metrics_job_duration(&jobs[0]) == 0);
	jobs[0].state = JOB_FIXING;
	assert_true(metrics_job_duration(&jobs[0]) < 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, jobs_setup, jobs_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(metrics__exact_lines),
		T(metrics__histogram_buckets_are_cumulative),
		T(metrics__invalid_counter_names_are_left_out),
		T(metrics__empty_queue),
		T(metrics__cluster_and_own_figures),
		cmocka_unit_test(metrics__series_parse),
		cmocka_unit_test(metrics__summary_and_median),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
