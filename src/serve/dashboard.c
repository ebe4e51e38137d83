#include "serve/dashboard.h"

#include "serve/metrics.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The dashboard page (dashboard.h). */

#define SECONDS_PER_HOUR 3600.0
#define SECONDS_PER_DAY 86400.0
/* an x label every this many buckets */
#define LABEL_EVERY_HOURS 3
#define LABEL_EVERY_DAYS 2
/* the y axis has this many steps */
#define SUCCESS_TICKS 4
#define TIME_TICKS 2
/* the time chart's top is this much over its highest point */
#define TIME_HEADROOM 1.15
/* a bar takes this fraction of its bucket's width */
#define BAR_FRACTION 0.7

#define DASH "\xe2\x80\x94"          /* U+2014: no value */
#define ELLIPSIS "\xe2\x80\xa6"      /* U+2026: a cut text */
#define REPLACEMENT "\xef\xbf\xbd"   /* U+FFFD: a character that cannot be shown */

#define PLOT_W (DASHBOARD_CHART_WIDTH - DASHBOARD_CHART_LEFT - DASHBOARD_CHART_RIGHT)
#define PLOT_H (DASHBOARD_CHART_HEIGHT - DASHBOARD_CHART_TOP - DASHBOARD_CHART_BOTTOM)

static const char style[] =
	"body{font-family:system-ui,\"DejaVu Sans\",\"Segoe UI\",Roboto,sans-serif;margin:24px;"
	"color:#1f2328;background:#f6f8fa}\n"
	"h1{font-size:22px;margin:0}\n"
	"h2{font-size:17px;margin:28px 0 8px}\n"
	".when{color:#59636e;margin:4px 0 16px}\n"
	".figures{display:flex;flex-wrap:wrap;gap:12px}\n"
	".figure{background:#fff;border:1px solid #d1d9e0;border-radius:8px;padding:12px 16px;"
	"min-width:140px}\n"
	".figure .value{display:block;font-size:28px;font-weight:600}\n"
	".figure .label{color:#59636e;font-size:13px}\n"
	".charts{display:flex;flex-wrap:wrap;gap:16px;margin-top:20px}\n"
	"figure{background:#fff;border:1px solid #d1d9e0;border-radius:8px;margin:0;padding:12px}\n"
	"figcaption{font-weight:600;margin-bottom:8px}\n"
	".empty{color:#59636e;font-style:italic;margin:0;padding:16px 8px;min-width:300px}\n"
	"table{border-collapse:collapse;background:#fff;border:1px solid #d1d9e0;font-size:13px}\n"
	"th,td{padding:6px 10px;border-bottom:1px solid #d1d9e0;text-align:left;"
	"vertical-align:top}\n"
	"th{background:#f0f3f6}\n"
	"td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
	"td.time{white-space:nowrap}\n"
	".state{border-radius:10px;padding:1px 8px;font-size:12px;white-space:nowrap}\n"
	".state-fixed{background:#dafbe1;color:#116329}\n"
	".state-escalated{background:#fff1c2;color:#7d4e00}\n"
	".state-failed{background:#ffebe9;color:#a40e26}\n"
	".state-queued,.state-analyzing,.state-fixing{background:#ddf4ff;color:#0550ae}\n"
	".state-stale,.state-ignored{background:#eaeef2;color:#59636e}\n"
	".state-discarded{background:#ffe2cc;color:#953800}\n"
	".bar{display:inline-block;height:10px;background:#8250df;border-radius:2px}\n"
	"svg text{font-size:11px;fill:#59636e}\n"
	".grid{stroke:#d1d9e0;stroke-width:1}\n"
	".track{fill:#eaeef2}\n"
	".ok{fill:#1a7f37}\n"
	".line{fill:none;stroke:#0969da;stroke-width:2}\n"
	".point{fill:#0969da}\n"
	"code{font-family:ui-monospace,\"DejaVu Sans Mono\",monospace;font-size:12px}\n";

/* <s, len> as HTML text or attribute value: valid UTF-8, no control character, no markup */
static void add_html_n(struct buf *out, const char *s, size_t len)
{
	struct buf clean = BUF_INIT;
	size_t i;

	utf8_sanitize(&clean, s, len);
	for (i = 0; i < clean.len; i++) {
		unsigned char c = (unsigned char)clean.ptr[i];
		if (c == '&')
			buf_adds(out, "&amp;");
		else if (c == '<')
			buf_adds(out, "&lt;");
		else if (c == '>')
			buf_adds(out, "&gt;");
		else if (c == '"')
			buf_adds(out, "&quot;");
		else if (c == '\'')
			buf_adds(out, "&#39;");
		else if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
			buf_adds(out, REPLACEMENT);
		else if (c == 0xc2 && i + 1 < clean.len && (unsigned char)clean.ptr[i + 1] <= 0x9f) {
			buf_adds(out, REPLACEMENT);   /* a C1 control */
			i++;
		} else
			buf_addch(out, (char)c);
	}
	buf_release(&clean);
}

static void add_html(struct buf *out, const char *s)
{
	add_html_n(out, s, strlen(s));
}

/* a text for a table cell: cut at DASHBOARD_CELL_MAX bytes, whole in its tooltip */
static void add_cell_text(struct buf *out, const char *s)
{
	size_t len = s ? strlen(s) : 0, cut = DASHBOARD_CELL_MAX;

	if (!s || !*s) {
		buf_adds(out, DASH);
		return;
	}
	if (len <= DASHBOARD_CELL_MAX) {
		add_html(out, s);
		return;
	}
	while (cut && ((unsigned char)s[cut] & 0xc0) == 0x80)
		cut--;
	buf_adds(out, "<span title=\"");
	add_html(out, s);
	buf_adds(out, "\">");
	add_html_n(out, s, cut);
	buf_adds(out, ELLIPSIS "</span>");
}

enum time_style { TIME_MINUTE, TIME_HOUR, TIME_DAY };

static void add_time(struct buf *out, double t, enum time_style how)
{
	time_t secs = (time_t)t;
	char text[64];
	struct tm tm;
	size_t n = 0;

	if (t > 0 && gmtime_r(&secs, &tm)) {
		if (how == TIME_MINUTE)
			n = strftime(text, sizeof(text), "%Y-%m-%d %H:%M", &tm);
		else if (how == TIME_HOUR)
			n = strftime(text, sizeof(text), "%H:00", &tm);
		else
			n = strftime(text, sizeof(text), "%b %d", &tm);
	}
	buf_adds(out, n ? text : DASH);
}

/* `v` in `unit`, with a decimal only when it has one */
static void add_amount(struct buf *out, double v, const char *unit)
{
	if (fabs(v - rint(v)) < 0.05 || v >= 100)
		buf_addf(out, "%.0f %s", v, unit);
	else
		buf_addf(out, "%.1f %s", v, unit);
}

static void add_duration(struct buf *out, double s)
{
	if (isnan(s) || s < 0)
		buf_adds(out, DASH);
	else if (s < 60)
		add_amount(out, s, "s");
	else if (s < SECONDS_PER_HOUR)
		add_amount(out, s / 60, "min");
	else if (s < 2 * SECONDS_PER_DAY)
		add_amount(out, s / SECONDS_PER_HOUR, "h");
	else
		add_amount(out, s / SECONDS_PER_DAY, "d");
}

/* the time axis's top: the first round duration at or over `s` */
static double round_up_duration(double s)
{
	static const double tops[] = { 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600,
				       7200, 14400, 28800, 43200, 86400, 172800, 604800 };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tops); i++)
		if (s <= tops[i])
			return tops[i];
	return s;
}

static void add_percent(struct buf *out, double ratio)
{
	if (isnan(ratio))
		buf_adds(out, DASH);
	else
		buf_addf(out, "%.0f%%", ratio * 100);
}

/* the jobs that ended, put in buckets of time by when they ended */
struct bucket {
	double start;
	size_t ended, fixed;
	double median_s;   /* of the fixes' durations; NaN: none */
};

struct timeline {
	struct bucket *b;
	size_t nr;
	double width;      /* seconds */
	int hourly;
	size_t ended, fixed;
};

static int worked_to_end(const struct job *job)
{
	return (job->state == JOB_FIXED || job->state == JOB_ESCALATED ||
		job->state == JOB_FAILED) && metrics_job_duration(job) >= 0;
}

/* the bucket job `job` ended in, or -1 */
static long bucket_of(const struct timeline *tl, const struct job *job)
{
	double k;

	if (!worked_to_end(job))
		return -1;
	k = floor((job->finished_at - tl->b[0].start) / tl->width);
	return k >= 0 && k < (double)tl->nr ? (long)k : -1;
}

static void timeline_build(struct timeline *out, const struct job *jobs, size_t nr, double now)
{
	double day0 = floor(now / SECONDS_PER_DAY) * SECONDS_PER_DAY -
		      (DASHBOARD_DAYS - 1) * SECONDS_PER_DAY;
	double hour0 = floor(now / SECONDS_PER_HOUR) * SECONDS_PER_HOUR -
		       (DASHBOARD_HOURS - 1) * SECONDS_PER_HOUR;
	double *fix_s = xcalloc(nr ? nr : 1, sizeof(*fix_s));
	size_t i, k, n;

	memset(out, 0, sizeof(*out));
	out->hourly = 1;
	for (i = 0; i < nr; i++)
		if (worked_to_end(&jobs[i]) && jobs[i].finished_at >= day0 &&
		    jobs[i].finished_at < hour0)
			out->hourly = 0;
	out->nr = out->hourly ? DASHBOARD_HOURS : DASHBOARD_DAYS;
	out->width = out->hourly ? SECONDS_PER_HOUR : SECONDS_PER_DAY;
	out->b = xcalloc(out->nr, sizeof(*out->b));
	for (k = 0; k < out->nr; k++)
		out->b[k].start = (out->hourly ? hour0 : day0) + (double)k * out->width;
	for (k = 0; k < out->nr; k++) {
		for (i = 0, n = 0; i < nr; i++) {
			if (bucket_of(out, &jobs[i]) != (long)k)
				continue;
			out->b[k].ended++;
			if (jobs[i].state == JOB_FIXED)
				fix_s[n++] = metrics_job_duration(&jobs[i]);
		}
		out->b[k].fixed = n;
		out->b[k].median_s = metrics_median(fix_s, n);
		out->ended += out->b[k].ended;
		out->fixed += n;
	}
	free(fix_s);
}

static double bucket_x(const struct timeline *tl, size_t k, double offset)
{
	return DASHBOARD_CHART_LEFT + ((double)k + offset) * PLOT_W / (double)tl->nr;
}

static double value_y(double v, double ymax)
{
	return DASHBOARD_CHART_TOP + PLOT_H * (1 - v / ymax);
}

static void add_bucket_time(struct buf *out, const struct timeline *tl, size_t k)
{
	add_time(out, tl->b[k].start, tl->hourly ? TIME_HOUR : TIME_DAY);
}

/* the frame of a chart: its <svg>, the y axis's grid and labels, the x axis's labels */
static void chart_open(struct buf *out, const struct timeline *tl, const char *label,
		       double ymax, int ticks, int percent)
{
	size_t k, every = tl->hourly ? LABEL_EVERY_HOURS : LABEL_EVERY_DAYS;
	int i;

	buf_addf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"%s\" "
		 "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n", label,
		 DASHBOARD_CHART_WIDTH, DASHBOARD_CHART_HEIGHT, DASHBOARD_CHART_WIDTH,
		 DASHBOARD_CHART_HEIGHT);
	for (i = 0; i <= ticks; i++) {
		double v = ymax * i / ticks, y = value_y(v, ymax);
		buf_addf(out, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>"
			 "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">",
			 DASHBOARD_CHART_LEFT, y, DASHBOARD_CHART_WIDTH - DASHBOARD_CHART_RIGHT, y,
			 DASHBOARD_CHART_LEFT - 6, y + 4);
		if (percent)
			add_percent(out, v);
		else
			add_duration(out, v);
		buf_adds(out, "</text>\n");
	}
	for (k = (tl->nr - 1) % every; k < tl->nr; k += every) {
		buf_addf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">",
			 bucket_x(tl, k, 0.5), DASHBOARD_CHART_HEIGHT - DASHBOARD_CHART_BOTTOM + 18);
		add_bucket_time(out, tl, k);
		buf_adds(out, "</text>\n");
	}
}

static void add_empty(struct buf *out, size_t jobs, const char *since)
{
	if (!jobs)
		buf_adds(out, "<p class=\"empty\">No jobs yet.</p>\n");
	else
		buf_addf(out, "<p class=\"empty\">No job %s in the last %d days.</p>\n", since,
			 DASHBOARD_DAYS);
}

/*
 * A chart's <figure> and caption; with nothing to draw (`points` 0), a
 * sentence saying why instead ("No job `since` ..."), the figure closed, and 0
 */
static int figure_open(struct buf *out, const char *id, const char *what,
		       const struct timeline *tl, size_t points, size_t jobs, const char *since)
{
	buf_addf(out, "<figure id=\"%s\"><figcaption>%s, ", id, what);
	if (tl->hourly)
		buf_addf(out, "per hour over the last %d hours (UTC)", DASHBOARD_HOURS);
	else
		buf_addf(out, "per day over the last %d days (UTC)", DASHBOARD_DAYS);
	buf_adds(out, "</figcaption>\n");
	if (points)
		return 1;
	add_empty(out, jobs, since);
	buf_adds(out, "</figure>\n");
	return 0;
}

static void chart_success(struct buf *out, const struct timeline *tl, size_t jobs)
{
	double w = PLOT_W / (double)tl->nr * BAR_FRACTION, bottom = value_y(0, 1);
	size_t k;

	if (!figure_open(out, "chart-success", "Success rate", tl, tl->ended, jobs, "has ended"))
		return;
	chart_open(out, tl, "Success rate over time", 1, SUCCESS_TICKS, 1);
	for (k = 0; k < tl->nr; k++) {
		const struct bucket *b = &tl->b[k];
		double r, x = bucket_x(tl, k, (1 - BAR_FRACTION) / 2);
		if (!b->ended)
			continue;
		r = (double)b->fixed / (double)b->ended;
		buf_adds(out, "<g><title>");
		add_bucket_time(out, tl, k);
		buf_addf(out, ": %zu of %zu fixed (", b->fixed, b->ended);
		add_percent(out, r);
		buf_addf(out, ")</title><rect class=\"track\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" "
			 "height=\"%d\"/><rect class=\"ok\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			 "height=\"%.1f\"/></g>\n", x, DASHBOARD_CHART_TOP, w, PLOT_H, x,
			 value_y(r, 1), w, bottom - value_y(r, 1));
	}
	buf_adds(out, "</svg></figure>\n");
}

static void chart_time(struct buf *out, const struct timeline *tl, size_t jobs)
{
	double ymax = 0;
	size_t k;

	if (!figure_open(out, "chart-time", "Median time to fix", tl, tl->fixed, jobs, "was fixed"))
		return;
	for (k = 0; k < tl->nr; k++)
		if (tl->b[k].fixed && tl->b[k].median_s > ymax)
			ymax = tl->b[k].median_s;
	ymax = round_up_duration(ymax * TIME_HEADROOM);
	chart_open(out, tl, "Median time to fix over time", ymax, TIME_TICKS, 0);
	buf_adds(out, "<polyline class=\"line\" points=\"");
	for (k = 0; k < tl->nr; k++)
		if (tl->b[k].fixed)
			buf_addf(out, "%.1f,%.1f ", bucket_x(tl, k, 0.5),
				 value_y(tl->b[k].median_s, ymax));
	buf_adds(out, "\"/>\n");
	for (k = 0; k < tl->nr; k++) {
		if (!tl->b[k].fixed)
			continue;
		buf_addf(out, "<circle class=\"point\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\"><title>",
			 bucket_x(tl, k, 0.5), value_y(tl->b[k].median_s, ymax));
		add_bucket_time(out, tl, k);
		buf_adds(out, ": median ");
		add_duration(out, tl->b[k].median_s);
		buf_addf(out, " over %zu fix%s</title></circle>\n", tl->b[k].fixed,
			 tl->b[k].fixed == 1 ? "" : "es");
	}
	buf_adds(out, "</svg></figure>\n");
}

static void add_figure(struct buf *out, const char *id, const char *label, const struct buf *value)
{
	buf_addf(out, "<div class=\"figure\" id=\"figure-%s\"><span class=\"value\">%s</span>"
		 "<span class=\"label\">%s</span></div>\n", id, value->ptr, label);
}

/* the live processes, by role: their number, and a label saying how many of each */
static void add_processes(struct buf *out, const struct queue_process *p, size_t nr)
{
	static const char *const roles[METRICS_ROLES_NR] = METRICS_ROLES;
	struct buf v = BUF_INIT, label = BUF_INIT;
	size_t counts[METRICS_ROLES_NR], r;

	metrics_count_roles(counts, p, nr);
	buf_addf(&v, "%zu", nr);
	buf_adds(&label, "processes alive (");
	for (r = 0; r < METRICS_ROLES_NR; r++)
		buf_addf(&label, "%s%s %zu", r ? ", " : "", roles[r], counts[r]);
	buf_addch(&label, ')');
	add_figure(out, "processes", label.ptr, &v);
	buf_release(&v);
	buf_release(&label);
}

static void add_figures(struct buf *out, const struct metrics_summary *sum, size_t depth,
			const struct queue_process *procs, size_t procs_nr)
{
	struct buf v = BUF_INIT, label = BUF_INIT;

	buf_adds(out, "<section class=\"figures\">\n");
	buf_addf(&v, "%zu", sum->jobs);
	add_figure(out, "jobs", "jobs", &v);
	buf_reset(&v);
	add_percent(&v, sum->success_ratio);
	buf_addf(&label, "success rate (%zu of %zu ended)", sum->by_state[JOB_FIXED], sum->ended);
	add_figure(out, "success", label.ptr, &v);
	buf_reset(&v);
	add_duration(&v, sum->median_fix_s);
	add_figure(out, "time-to-fix", "median time to fix", &v);
	buf_reset(&v);
	add_percent(&v, sum->first_try_ratio);
	add_figure(out, "first-try", "fixed on the first try", &v);
	buf_reset(&v);
	buf_addf(&v, "%zu", sum->by_state[JOB_ESCALATED]);
	add_figure(out, "escalations", "escalations", &v);
	buf_reset(&v);
	buf_addf(&v, "%zu", depth);
	add_figure(out, "queue-depth", "in the queue", &v);
	buf_reset(&v);
	buf_addf(&v, "%zu", sum->by_state[JOB_DISCARDED]);
	add_figure(out, "discarded", "discarded", &v);
	buf_reset(&v);
	buf_addf(&v, "%llu", (unsigned long long)sum->rescues);
	add_figure(out, "rescues", "rescues (a worker died or stalled)", &v);
	add_processes(out, procs, procs_nr);
	buf_adds(out, "</section>\n");
	buf_release(&v);
	buf_release(&label);
}

struct category {
	const char *name;   /* borrowed from the jobs */
	size_t count;
};

static int compare_category(const void *a, const void *b)
{
	const struct category *x = a, *y = b;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->name, y->name);
}

static void add_categories(struct buf *out, const struct job *jobs, size_t nr)
{
	struct category *c = xcalloc(nr ? nr : 1, sizeof(*c));
	size_t n = 0, i, k;

	for (i = 0; i < nr; i++) {
		if (!jobs[i].category || !*jobs[i].category)
			continue;
		for (k = 0; k < n && strcmp(c[k].name, jobs[i].category); k++)
			;
		if (k == n)
			c[n++].name = jobs[i].category;
		c[k].count++;
	}
	qsort(c, n, sizeof(*c), compare_category);
	buf_adds(out, "<section id=\"categories\"><h2>Most common failure categories</h2>\n");
	if (!n)
		buf_addf(out, "<p class=\"empty\">%s</p>\n",
			 nr ? "No job has been analysed yet." : "No jobs yet.");
	else
		buf_adds(out, "<table><thead><tr><th>Category</th><th>Jobs</th><th></th></tr>"
			 "</thead><tbody>\n");
	for (k = 0; k < n && k < DASHBOARD_CATEGORIES; k++) {
		buf_adds(out, "<tr><td>");
		add_cell_text(out, c[k].name);
		buf_addf(out, "</td><td class=\"num\">%zu</td><td><span class=\"bar\" "
			 "style=\"width:%.0fpx\"></span></td></tr>\n", c[k].count,
			 200.0 * (double)c[k].count / (double)c[0].count);
	}
	if (n)
		buf_adds(out, "</tbody></table>\n");
	buf_adds(out, "</section>\n");
	free(c);
}

static void add_job_row(struct buf *out, const struct job *job)
{
	const char *state = job_state_name(job->state);

	buf_addf(out, "<tr><td class=\"num\">%lld</td><td>", (long long)job->id);
	add_cell_text(out, job->repository);
	buf_adds(out, "</td><td class=\"num\">");
	if (job->pull_request > 0)
		buf_addf(out, "#%ld", job->pull_request);
	else
		buf_adds(out, DASH);
	buf_adds(out, "</td><td>");
	add_cell_text(out, job->check);
	buf_addf(out, "</td><td><span class=\"state state-%s\">%s</span></td><td class=\"num\">",
		 state ? state : "unknown", state ? state : "unknown");
	if (job->confidence >= 0)
		buf_addf(out, "%.2f", job->confidence);
	else
		buf_adds(out, DASH);
	buf_addf(out, "</td><td class=\"num\">%d</td><td class=\"num\">%d</td><td class=\"time\">",
		 job->attempts, job->rescue_count);
	add_time(out, job->created_at, TIME_MINUTE);
	buf_adds(out, "</td><td>");
	add_cell_text(out, job->reason);
	buf_adds(out, "</td><td>");
	if (job->commit && *job->commit) {
		buf_adds(out, "<code>");
		add_html_n(out, job->commit, strnlen(job->commit, DASHBOARD_COMMIT_CHARS));
		buf_adds(out, "</code>");
	} else {
		buf_adds(out, DASH);
	}
	buf_adds(out, "</td></tr>\n");
}

static void add_jobs(struct buf *out, const struct job *jobs, size_t nr)
{
	size_t i;

	buf_addf(out, "<section id=\"jobs\"><h2>Recent jobs</h2>\n");
	if (!nr) {
		buf_adds(out, "<p class=\"empty\">No jobs yet.</p>\n</section>\n");
		return;
	}
	buf_adds(out, "<table><thead><tr><th>ID</th><th>Repository</th><th>PR</th><th>Check</th>"
		 "<th>State</th><th>Confidence</th><th>Attempts</th><th>Rescues</th>"
		 "<th>Created (UTC)</th>"
		 "<th>Reason</th><th>Commit</th></tr></thead><tbody>\n");
	for (i = 0; i < nr && i < DASHBOARD_RECENT_JOBS; i++)
		add_job_row(out, &jobs[i]);
	buf_adds(out, "</tbody></table>\n</section>\n");
}

int dashboard_render(struct buf *out, struct queue *q, double now)
{
	struct metrics_summary sum;
	struct timeline tl = { 0 };
	struct queue_process *procs = NULL;
	struct job *jobs = NULL;
	size_t nr = 0, depth = 0, procs_nr = 0;
	int ret;

	if ((ret = queue_list(q, &jobs, &nr, 0)) < 0 || (ret = queue_depth(q, &depth)) < 0 ||
	    (ret = queue_processes(q, &procs, &procs_nr)) < 0)
		goto done;
	metrics_summarize(&sum, jobs, nr);
	timeline_build(&tl, jobs, nr, now);
	buf_addf(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
		 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
		 "<title>pytest-fixer serve</title>\n<style>\n%s</style>\n</head>\n<body>\n"
		 "<header><h1>pytest-fixer serve</h1><p class=\"when\">As of ", style);
	add_time(out, now, TIME_MINUTE);
	buf_adds(out, " UTC</p></header>\n");
	add_figures(out, &sum, depth, procs, procs_nr);
	buf_adds(out, "<section class=\"charts\">\n");
	chart_success(out, &tl, sum.jobs);
	chart_time(out, &tl, sum.jobs);
	buf_adds(out, "</section>\n");
	add_categories(out, jobs, nr);
	add_jobs(out, jobs, nr);
	buf_adds(out, "</body>\n</html>\n");
done:
	free(tl.b);
	queue_processes_free(procs, procs_nr);
	queue_jobs_free(jobs, nr);
	return ret;
}
