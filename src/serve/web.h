#ifndef SERVE_WEB_H
#define SERVE_WEB_H

#include <pthread.h>
#include <stdatomic.h>

/*
 * The service's HTTP face: serve/httpd.h serving the webhook intake
 * (serve/intake.h), the JSON API (serve/api.h), the metrics
 * (serve/metrics.h) and the dashboard (serve/dashboard.h) on one queue
 * connection that every handler uses under one lock.
 *
 *   POST /webhook   GET /healthz   GET /metrics   GET /api/jobs[/ID]   GET /
 *
 * struct web borrows the queue and the config (they outlive web_stop()).
 */

#define WEB_HTTP_THREADS 4

struct web;
struct queue;
struct serve_config;

/*
 * The process serving, for the "own" half of /metrics (the other half, the
 * cluster's, comes from the database that every process shares). Borrowed;
 * jobs_done is the process's counter of jobs its workers finished or gave
 * back, updated by them while the server runs.
 */
struct web_self {
	const char *instance;          /* "host:pid" */
	const char *role;              /* "web" or "all" */
	double started_at;             /* wall-clock seconds */
	const atomic_long *jobs_done;  /* NULL: none (a web-only process) */
};

/* listen on the config's host and port; -1 / ERR_USAGE naming host:port when it cannot */
int web_start(struct web **out, struct queue *q, const struct serve_config *cfg,
	      const struct web_self *self);
/* the port it listens on (the one chosen when the config says 0) */
int web_port(const struct web *w);
/* the lock every use of the queue is made under (the poller shares it) */
pthread_mutex_t *web_lock(struct web *w);
/* stop listening, let requests in flight finish, free; NULL is fine */
void web_stop(struct web *w);

#endif
