#ifndef SERVE_DASHBOARD_H
#define SERVE_DASHBOARD_H

#include "serve/queue.h"
#include "util/buf.h"

/*
 * The service's dashboard, GET /: one HTML page rendered on the server,
 * UTF-8, its CSS inline, charts as inline SVG, no script and nothing
 * fetched from elsewhere. It shows
 * - the figures: jobs, success rate, median time to fix, first-try fixes,
 *   escalations, queue depth, discarded jobs, rescues (metrics_summarize()
 *   of serve/metrics.h), and the processes alive by role (queue_processes());
 * - success rate and median time to fix over time, by the time jobs
 *   ended: per hour over the last DASHBOARD_HOURS hours when every job
 *   that ended in the last DASHBOARD_DAYS days did so in the last
 *   DASHBOARD_HOURS hours, else per day (UTC) over the last DASHBOARD_DAYS
 *   days; with nothing to draw, a sentence says so instead;
 * - the most common failure categories (the analyses');
 * - the newest DASHBOARD_RECENT_JOBS jobs (their state in colour, discarded
 *   too, and their attempts and rescues).
 * Every string that came from outside (repositories, checks, reasons,
 * categories, commits) is escaped for HTML and made valid UTF-8; the page
 * is also well-formed XML. Times are shown in UTC.
 */

#define DASHBOARD_CONTENT_TYPE "text/html; charset=utf-8"
#define DASHBOARD_RECENT_JOBS 50
#define DASHBOARD_CATEGORIES 8
#define DASHBOARD_DAYS 14
#define DASHBOARD_HOURS 24
/* longer texts in a table cell are cut (the whole text is its tooltip) */
#define DASHBOARD_CELL_MAX 120
/* a commit is shown by this many characters */
#define DASHBOARD_COMMIT_CHARS 12

/* the charts' size in pixels, and their plot area's margins */
#define DASHBOARD_CHART_WIDTH 560
#define DASHBOARD_CHART_HEIGHT 220
#define DASHBOARD_CHART_LEFT 56
#define DASHBOARD_CHART_RIGHT 12
#define DASHBOARD_CHART_TOP 14
#define DASHBOARD_CHART_BOTTOM 34

/*
 * Append the page to `out`, as of wall-clock time `now` (seconds since the
 * epoch). Errors are the queue's; `out` then holds a part of it.
 */
int dashboard_render(struct buf *out, struct queue *q, double now);

#endif
