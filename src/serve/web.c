#include "serve/web.h"

#include "serve/api.h"
#include "serve/config.h"
#include "serve/dashboard.h"
#include "serve/httpd.h"
#include "serve/intake.h"
#include "serve/metrics.h"
#include "serve/queue.h"
#include "serve/webhook.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

struct web {
	struct httpd *http;
	struct queue *q;
	pthread_mutex_t lock;
	struct intake intake;
	struct api api;
	struct web_self self;    /* borrowed strings; instance NULL: not given */
	double started;          /* monotonic */
};

static int on_webhook(const struct httpd_request *req, struct httpd_response *res, void *ctx)
{
	return intake_route(req, res, &((struct web *)ctx)->intake);
}

static int on_healthz(const struct httpd_request *req, struct httpd_response *res, void *ctx)
{
	return api_healthz(req, res, &((struct web *)ctx)->api);
}

static int on_jobs(const struct httpd_request *req, struct httpd_response *res, void *ctx)
{
	return api_jobs(req, res, &((struct web *)ctx)->api);
}

static int on_job(const struct httpd_request *req, struct httpd_response *res, void *ctx)
{
	return api_job(req, res, &((struct web *)ctx)->api);
}

static int on_metrics(const struct httpd_request *req, struct httpd_response *res, void *ctx)
{
	struct web *w = ctx;
	struct metrics_delivery deliveries[INTAKE_OUTCOME_NR];
	struct metrics_extra extra = METRICS_EXTRA_INIT;
	unsigned long counts[INTAKE_OUTCOME_NR];
	size_t i;
	int err;

	intake_counts(counts, &w->intake);
	for (i = 0; i < INTAKE_OUTCOME_NR; i++)
		if (counts[i])
			deliveries[extra.deliveries_nr++] = (struct metrics_delivery){
				.status = intake_outcome_status((enum intake_outcome)i),
				.count = counts[i] };
	extra.deliveries = deliveries;
	extra.uptime_s = clock_monotonic() - w->started;
	extra.instance = w->self.instance;
	extra.role = w->self.role;
	extra.started_at = w->self.started_at;
	if (w->self.started_at > 0 && clock_wall() > w->self.started_at)
		extra.uptime_s = clock_wall() - w->self.started_at;
	extra.jobs_done = w->self.jobs_done ? atomic_load(w->self.jobs_done) : 0;
	pthread_mutex_lock(&w->lock);
	err = metrics_render(&res->body, w->q, &extra);
	pthread_mutex_unlock(&w->lock);
	if (err < 0)
		return err;
	res->content_type = METRICS_CONTENT_TYPE;
	return 0;
}

static int on_dashboard(const struct httpd_request *req, struct httpd_response *res, void *ctx)
{
	struct web *w = ctx;
	int err;

	pthread_mutex_lock(&w->lock);
	err = dashboard_render(&res->body, w->q, clock_wall());
	pthread_mutex_unlock(&w->lock);
	if (err < 0)
		return err;
	res->content_type = DASHBOARD_CONTENT_TYPE;
	return 0;
}

static const struct httpd_route routes[] = {
	{ .method = "POST", .path = "/webhook", .max_body = WEBHOOK_MAX_BODY, .fn = on_webhook },
	{ .method = "GET", .path = API_HEALTHZ_PATH, .fn = on_healthz },
	{ .method = "GET", .path = "/metrics", .fn = on_metrics },
	{ .method = "GET", .path = API_JOBS_PATH, .fn = on_jobs },
	{ .method = "GET", .path = API_JOB_PREFIX, .prefix = 1, .fn = on_job },
	{ .method = "GET", .path = "/", .fn = on_dashboard },
	{ .method = NULL },
};

static void log_request(const char *method, const char *path, int status, double ms,
			void *payload)
{
	size_t i, n = strlen(path);
	char shown[128];

	/* the path as received may hold anything: only printable ASCII is shown */
	for (i = 0; i < n && i < sizeof(shown) - 1; i++)
		shown[i] = path[i] > 0x20 && path[i] < 0x7f ? path[i] : '?';
	shown[i] = '\0';
	log_debug("http: %s %s%s %d %.1f ms", method, shown, n > i ? "..." : "", status, ms);
}

int web_start(struct web **out, struct queue *q, const struct serve_config *cfg,
	      const struct web_self *self)
{
	struct httpd_options opts = HTTPD_OPTIONS_INIT;
	struct web *w = xcalloc(1, sizeof(*w));
	int err;

	*out = NULL;
	w->q = q;
	w->started = clock_monotonic();
	if (self)
		w->self = *self;
	pthread_mutex_init(&w->lock, NULL);
	intake_init(&w->intake, q, &w->lock, cfg);
	w->api = (struct api){ .queue = q, .lock = &w->lock };
	opts.threads = WEB_HTTP_THREADS;
	opts.log = log_request;
	if ((err = httpd_start(&w->http, cfg->host, cfg->port, routes, w, &opts)) < 0) {
		intake_release(&w->intake);
		pthread_mutex_destroy(&w->lock);
		free(w);
		return err;
	}
	*out = w;
	return 0;
}

int web_port(const struct web *w)
{
	return httpd_port(w->http);
}

pthread_mutex_t *web_lock(struct web *w)
{
	return &w->lock;
}

void web_stop(struct web *w)
{
	if (!w)
		return;
	httpd_stop(w->http);
	intake_release(&w->intake);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
