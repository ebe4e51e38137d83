/*
 * The service's dashboard (src/serve/dashboard.h) on a real SQLite queue
 * filled through the queue's API: the page is read back with libxml2 (its
 * HTML parser, and its XML parser, since the page is also well-formed XML),
 * its figures, charts and tables looked up by XPath, strings from outside
 * shown as text and never as markup; and, where Chromium is installed, the
 * page is rendered headless and its screenshot checked.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "serve/dashboard.h"
#include "serve/queue.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/proc.h"
#include "util/strvec.h"
#include "util/xalloc.h"

#include "serve_jobs.h"

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xpath.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHROMIUM "/usr/bin/chromium"
#define CHROMIUM_TIMEOUT_MS 45000   /* two runs fit in the test's 120 s */
#define SCREEN_W 1280
#define SCREEN_H 2000
/* the dashboard's screenshot is this many times larger than a blank page's, at least */
#define NOT_BLANK_FACTOR 3
/* set, the dashboard's screenshot is also copied there (for people to look at) */
#define SCREENSHOT_ENV "PF_DASHBOARD_SCREENSHOT"
#define DAY_S 86400.0
/* a lease this short runs out after the wait below: the next claim is a rescue */
#define DASHBOARD_TEST_LEASE_S 0.05
#define DASHBOARD_TEST_EXPIRE_MS 300

#define HOSTILE_CHECK "<script>alert(\"pwned\")</script>"
#define HOSTILE_REASON "<img src=x onerror=alert(1)> & \"quotes\" 'too'\x01\xff"
#define HOSTILE_CATEGORY "<b>flaky</b>"
#define REPLACEMENT "\xef\xbf\xbd"

/* the six jobs of serve_jobs.h and a seventh, ignored, with markup in every string */
static void fill(struct queue *q)
{
	jobs_fill(q);
	jobs_end(q, jobs_add(q, "acme/<i>calc</i>", 11, "h1", HOSTILE_CHECK), 0, JOB_IGNORED, 0.4,
		 HOSTILE_CATEGORY, HOSTILE_REASON, NULL);
}

static void render(struct buf *out, struct queue *q, double now)
{
	buf_init(out, 0);
	jobs_ok(dashboard_render(out, q, now));
}

struct parse_errors {
	struct buf text;
	size_t nr;
};

/* what the parsers complain of; HTML5 and SVG elements are unknown to libxml2's HTML 4 */
static void collect_error(void *payload, xmlErrorPtr err)
{
	struct parse_errors *e = payload;

	if (err->domain == XML_FROM_HTML && err->code == XML_HTML_UNKNOWN_TAG)
		return;
	e->nr++;
	buf_addf(&e->text, "line %d: %s", err->line, err->message ? err->message : "?\n");
}

/* the page as HTML, failing on any complaint; and as XML, which must be well-formed */
static htmlDocPtr parse(const struct buf *page)
{
	struct parse_errors e = { BUF_INIT, 0 };
	htmlDocPtr doc;
	xmlDocPtr xml;

	xmlSetStructuredErrorFunc(&e, collect_error);
	doc = htmlReadMemory(page->ptr, (int)page->len, "dashboard.html", "UTF-8",
			     HTML_PARSE_NONET);
	if (doc && !e.nr) {
		buf_adds(&e.text, "(as XML) ");
		xml = xmlReadMemory(page->ptr, (int)page->len, "dashboard.xhtml", "UTF-8",
				    XML_PARSE_NONET);
		e.nr += !xml;
		xmlFreeDoc(xml);
	}
	xmlSetStructuredErrorFunc(NULL, NULL);
	if (!doc || e.nr)
		fail_msg("the page is no good HTML:\n%s", e.text.ptr);
	buf_release(&e.text);
	return doc;
}

/* string(expr) on the page, owned by the caller */
static char *text_of(htmlDocPtr doc, const char *expr)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	struct buf full = BUF_INIT;
	xmlXPathObjectPtr r;
	char *s;

	buf_addf(&full, "string(%s)", expr);
	r = xmlXPathEvalExpression((const xmlChar *)full.ptr, ctx);
	if (!r || r->type != XPATH_STRING)
		fail_msg("cannot evaluate '%s'", full.ptr);
	s = xstrdup((const char *)r->stringval);
	xmlXPathFreeObject(r);
	xmlXPathFreeContext(ctx);
	buf_release(&full);
	return s;
}

static void text_is(htmlDocPtr doc, const char *expr, const char *want)
{
	char *got = text_of(doc, expr);

	if (strcmp(got, want))
		fail_msg("%s is '%s', not '%s'", expr, got, want);
	free(got);
}

static void text_has(htmlDocPtr doc, const char *expr, const char *want)
{
	char *got = text_of(doc, expr);

	if (!strstr(got, want))
		fail_msg("%s is '%s', without '%s'", expr, got, want);
	free(got);
}

static double count(htmlDocPtr doc, const char *expr)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	struct buf full = BUF_INIT;
	xmlXPathObjectPtr r;
	double n;

	buf_addf(&full, "count(%s)", expr);
	r = xmlXPathEvalExpression((const xmlChar *)full.ptr, ctx);
	if (!r || r->type != XPATH_NUMBER)
		fail_msg("cannot evaluate '%s'", full.ptr);
	n = r->floatval;
	xmlXPathFreeObject(r);
	xmlXPathFreeContext(ctx);
	buf_release(&full);
	return n;
}

#define FIGURE(id) "//div[@id='figure-" id "']/span[@class='value']"
#define JOB_CELL(id, col) "//section[@id='jobs']//tr[td[1]='" id "']/td[" col "]"

static void dashboard__empty_queue_says_so(void **state)
{
	struct jobs_fixture *fx = *state;
	struct buf page;
	htmlDocPtr doc;

	render(&page, fx->q, clock_wall());
	doc = parse(&page);
	text_is(doc, "/html/head/meta/@charset", "utf-8");
	text_is(doc, FIGURE("jobs"), "0");
	text_is(doc, FIGURE("success"), "\xe2\x80\x94");
	text_is(doc, FIGURE("time-to-fix"), "\xe2\x80\x94");
	text_is(doc, FIGURE("queue-depth"), "0");
	text_is(doc, FIGURE("discarded"), "0");
	text_is(doc, FIGURE("rescues"), "0");
	text_is(doc, FIGURE("processes"), "0");
	text_is(doc, "//figure[@id='chart-success']/p", "No jobs yet.");
	text_is(doc, "//figure[@id='chart-time']/p", "No jobs yet.");
	text_is(doc, "//section[@id='categories']/p", "No jobs yet.");
	text_is(doc, "//section[@id='jobs']/p", "No jobs yet.");
	assert_true(count(doc, "//svg") == 0);
	assert_true(count(doc, "//table") == 0);
	xmlFreeDoc(doc);
	buf_release(&page);
}

static void dashboard__figures_charts_and_jobs(void **state)
{
	struct jobs_fixture *fx = *state;
	struct buf page;
	htmlDocPtr doc;
	double bars;

	fill(fx->q);
	render(&page, fx->q, clock_wall());
	doc = parse(&page);

	/* 7 jobs: 2 fixed, 1 escalated, 1 failed, 1 queued, 1 stale, 1 ignored */
	text_is(doc, FIGURE("jobs"), "7");
	text_is(doc, FIGURE("success"), "50%");
	text_is(doc, FIGURE("first-try"), "25%");
	text_is(doc, FIGURE("escalations"), "1");
	text_is(doc, FIGURE("queue-depth"), "1");
	/* the median of a fix at once and one after a retry's backoff (about 2 s) */
	text_has(doc, FIGURE("time-to-fix"), " s");

	/* everything ended within the hour: per hour, one bar or two (an hour may turn) */
	text_has(doc, "//figure[@id='chart-success']/figcaption", "per hour over the last 24 hours");
	bars = count(doc, "//figure[@id='chart-success']//rect[@class='ok']");
	assert_true(bars >= 1 && bars <= 2);
	assert_true(count(doc, "//figure[@id='chart-success']//rect[@class='track']") == bars);
	text_has(doc, "//figure[@id='chart-success']//g/title", " fixed (");
	assert_true(count(doc, "//figure[@id='chart-time']//circle[@class='point']") >= 1);
	text_has(doc, "//figure[@id='chart-time']//circle/title", ": median ");
	assert_true(count(doc, "//figure[@id='chart-time']//polyline") == 1);

	/* the categories, most common first */
	text_is(doc, "//section[@id='categories']//tbody/tr[1]/td[1]", "assertion");
	text_is(doc, "//section[@id='categories']//tbody/tr[1]/td[2]", "2");
	assert_true(count(doc, "//section[@id='categories']//tbody/tr") == 4);

	/* the recent jobs, newest first */
	assert_true(count(doc, "//section[@id='jobs']//tbody/tr") == 7);
	text_is(doc, "//section[@id='jobs']//tbody/tr[1]/td[1]", "7");
	text_is(doc, JOB_CELL("1", "2"), "acme/calc");
	text_is(doc, JOB_CELL("1", "3"), "#7");
	text_is(doc, JOB_CELL("1", "4"), "tests");
	text_is(doc, JOB_CELL("1", "5"), "fixed");
	text_is(doc, JOB_CELL("1", "6"), "0.92");
	text_is(doc, JOB_CELL("2", "7"), "1");
	text_is(doc, JOB_CELL("2", "8"), "0");
	text_is(doc, JOB_CELL("1", "10"), "fixed test_add");
	text_is(doc, JOB_CELL("1", "11"), "0123456789ab");
	text_is(doc, JOB_CELL("5", "5"), "queued");
	text_is(doc, JOB_CELL("5", "6"), "\xe2\x80\x94");

	/* strings from outside are text, never markup */
	assert_true(count(doc, "//script") == 0);
	assert_true(count(doc, "//img") == 0);
	assert_true(count(doc, "//b") == 0);
	assert_true(count(doc, "//i") == 0);
	text_is(doc, JOB_CELL("7", "4"), HOSTILE_CHECK);
	text_is(doc, JOB_CELL("7", "2"), "acme/<i>calc</i>");
	text_is(doc, JOB_CELL("7", "10"),
		"<img src=x onerror=alert(1)> & \"quotes\" 'too'" REPLACEMENT REPLACEMENT);
	text_is(doc, "//section[@id='categories']//tbody/tr[td[1]='" HOSTILE_CATEGORY "']/td[2]",
		"1");
	assert_non_null(strstr(page.ptr, "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;"));
	assert_null(strstr(page.ptr, "<script"));
	xmlFreeDoc(doc);
	buf_release(&page);
}

static void dashboard__per_day_when_older_than_a_day(void **state)
{
	struct jobs_fixture *fx = *state;
	struct buf page;
	htmlDocPtr doc;
	double bars;

	fill(fx->q);
	/* seen three days later, the jobs ended "three days ago": per day */
	render(&page, fx->q, clock_wall() + 3 * DAY_S);
	doc = parse(&page);
	text_has(doc, "//figure[@id='chart-success']/figcaption", "per day over the last 14 days");
	text_has(doc, "//figure[@id='chart-time']/figcaption", "per day over the last 14 days");
	bars = count(doc, "//figure[@id='chart-success']//rect[@class='ok']");
	assert_true(bars >= 1 && bars <= 2);
	/* 14 days, a label every other day */
	assert_true(count(doc, "//figure[@id='chart-success']//text[@text-anchor='middle']") == 7);
	xmlFreeDoc(doc);
	buf_release(&page);

	/* a month later, nothing ended in the window: said so, no empty chart */
	render(&page, fx->q, clock_wall() + 30 * DAY_S);
	doc = parse(&page);
	text_is(doc, "//figure[@id='chart-success']/p", "No job has ended in the last 14 days.");
	text_is(doc, "//figure[@id='chart-time']/p", "No job was fixed in the last 14 days.");
	assert_true(count(doc, "//svg") == 0);
	text_is(doc, FIGURE("jobs"), "7");
	xmlFreeDoc(doc);
	buf_release(&page);
}

static void dashboard__discarded_rescues_and_processes(void **state)
{
	struct jobs_fixture *fx = *state;
	struct buf page;
	struct job job;
	htmlDocPtr doc;
	int64_t id;

	/* a job whose worker's lease ran out, taken by another, then discarded by hand */
	id = jobs_add(fx->q, "acme/calc", 5, "r1", "tests");
	jobs_ok(queue_claim(fx->q, &job, "dead-worker", DASHBOARD_TEST_LEASE_S));
	job_release(&job);
	clock_sleep_ms(DASHBOARD_TEST_EXPIRE_MS);
	jobs_ok(queue_claim(fx->q, &job, JOBS_OWNER, JOBS_LEASE_S));
	assert_int_equal(job.id, id);
	assert_int_equal(job.rescue_count, 1);
	job_release(&job);
	jobs_ok(queue_manual(fx->q, id, JOB_DISCARDED, "given up"));
	jobs_ok(queue_beat(fx->q, "web-1:10", "web", clock_wall(), 0));
	jobs_ok(queue_beat(fx->q, "worker-1:11", "worker", clock_wall(), 3));
	jobs_ok(queue_beat(fx->q, "worker-2:12", "worker", clock_wall(), 1));

	render(&page, fx->q, clock_wall());
	doc = parse(&page);
	text_is(doc, FIGURE("discarded"), "1");
	text_is(doc, FIGURE("rescues"), "1");
	text_is(doc, FIGURE("processes"), "3");
	text_is(doc, "//div[@id='figure-processes']/span[@class='label']",
		"processes alive (web 1, worker 2, all 0)");
	text_is(doc, JOB_CELL("1", "5"), "discarded");
	text_is(doc, JOB_CELL("1", "5") "/span/@class", "state state-discarded");
	text_is(doc, JOB_CELL("1", "8"), "1");
	text_is(doc, JOB_CELL("1", "10"), "given up");
	/* the discarded state has its own colour */
	assert_non_null(strstr(page.ptr, ".state-discarded{"));
	xmlFreeDoc(doc);
	buf_release(&page);
}

static void dashboard__long_text_is_cut_whole_in_its_tooltip(void **state)
{
	struct jobs_fixture *fx = *state;
	struct buf check = BUF_INIT, cut = BUF_INIT, page;
	htmlDocPtr doc;
	size_t i;

	for (i = 0; i < DASHBOARD_CELL_MAX; i++)
		buf_adds(&check, "\xc3\xa9");   /* two bytes each */
	for (i = 0; i < DASHBOARD_CELL_MAX / 2; i++)
		buf_adds(&cut, "\xc3\xa9");
	buf_adds(&cut, "\xe2\x80\xa6");
	jobs_add(fx->q, "acme/calc", 1, "long", check.ptr);
	render(&page, fx->q, clock_wall());
	doc = parse(&page);
	text_is(doc, JOB_CELL("1", "4") "/span", cut.ptr);
	text_is(doc, JOB_CELL("1", "4") "/span/@title", check.ptr);
	xmlFreeDoc(doc);
	buf_release(&page);
	buf_release(&check);
	buf_release(&cut);
}

/* the PNG's size from its IHDR, after checking its signature */
static void png_size(const struct buf *png, unsigned *w, unsigned *h)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	const unsigned char *p = (const unsigned char *)png->ptr;

	if (png->len < 24 || memcmp(p, sig, 8) || memcmp(p + 12, "IHDR", 4))
		fail_msg("not a PNG (%zu bytes)", png->len);
	*w = (unsigned)p[16] << 24 | (unsigned)p[17] << 16 | (unsigned)p[18] << 8 | p[19];
	*h = (unsigned)p[20] << 24 | (unsigned)p[21] << 16 | (unsigned)p[22] << 8 | p[23];
}

/* render file `html` headless into `png` and read it */
static void screenshot(struct buf *png, const char *dir, const char *html, const char *name)
{
	struct proc_result res = PROC_RESULT_INIT;
	struct proc_options opts = PROC_OPTIONS_INIT;
	struct strvec argv = STRVEC_INIT, env = STRVEC_INIT;
	struct buf path = BUF_INIT;
	unsigned w, h;

	buf_addf(&path, "%s/%s", dir, name);
	strvec_pushf(&env, "HOME=%s", dir);
	strvec_push(&argv, CHROMIUM);
	strvec_push(&argv, "--headless=new");
	strvec_push(&argv, "--no-sandbox");
	strvec_push(&argv, "--disable-gpu");
	strvec_pushf(&argv, "--user-data-dir=%s/profile", dir);
	strvec_pushf(&argv, "--screenshot=%s", path.ptr);
	strvec_pushf(&argv, "--window-size=%d,%d", SCREEN_W, SCREEN_H);
	strvec_pushf(&argv, "file://%s", html);
	opts.argv = argv.v;
	opts.env = &env;
	opts.timeout_ms = CHROMIUM_TIMEOUT_MS;
	opts.merge_stderr = 1;
	jobs_ok(proc_run(&res, &opts));
	if (res.exit_code || res.timed_out || !fs_is_file(path.ptr))
		fail_msg("chromium made no screenshot (exit %d%s):\n%s", res.exit_code,
			 res.timed_out ? ", timed out" : "", res.out.ptr);
	buf_init(png, 0);
	jobs_ok(fs_read_file(png, path.ptr, 0));
	png_size(png, &w, &h);
	assert_int_equal(w, SCREEN_W);
	assert_int_equal(h, SCREEN_H);
	proc_result_release(&res);
	strvec_clear(&argv);
	strvec_clear(&env);
	buf_release(&path);
}

static void dashboard__renders_in_chromium(void **state)
{
	static const char blank[] = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"/>"
				    "<title>blank</title></head><body></body></html>\n";
	struct jobs_fixture *fx = *state;
	struct buf page, html = BUF_INIT, empty = BUF_INIT, shot, blank_shot;
	const char *keep = getenv(SCREENSHOT_ENV);

	if (access(CHROMIUM, X_OK) != 0) {
		fprintf(stderr, "note: no %s: the page is not rendered (apt-get install chromium)\n",
			CHROMIUM);
		skip();
	}
	fill(fx->q);
	render(&page, fx->q, clock_wall());
	buf_addf(&html, "%s/dashboard.html", fx->dir.ptr);
	buf_addf(&empty, "%s/blank.html", fx->dir.ptr);
	jobs_ok(fs_write_atomic(html.ptr, page.ptr, page.len, 0600));
	jobs_ok(fs_write_atomic(empty.ptr, blank, strlen(blank), 0600));

	screenshot(&shot, fx->dir.ptr, html.ptr, "dashboard.png");
	screenshot(&blank_shot, fx->dir.ptr, empty.ptr, "blank.png");
	/* drawn text, charts and tables compress far worse than a white page */
	if (shot.len < NOT_BLANK_FACTOR * blank_shot.len)
		fail_msg("the screenshot looks blank: %zu bytes, a blank page's %zu", shot.len,
			 blank_shot.len);
	if (keep)
		jobs_ok(fs_write_atomic(keep, shot.ptr, shot.len, 0644));
	buf_release(&shot);
	buf_release(&blank_shot);
	buf_release(&html);
	buf_release(&empty);
	buf_release(&page);
}

#define T(f) cmocka_unit_test_setup_teardown(f, jobs_setup, jobs_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(dashboard__empty_queue_says_so),
		T(dashboard__figures_charts_and_jobs),
		T(dashboard__per_day_when_older_than_a_day),
		T(dashboard__discarded_rescues_and_processes),
		T(dashboard__long_text_is_cut_whole_in_its_tooltip),
		T(dashboard__renders_in_chromium),
	};
	int ret;

	xmlInitParser();
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	xmlCleanupParser();
	return ret;
}
