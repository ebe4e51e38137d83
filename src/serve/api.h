#ifndef SERVE_API_H
#define SERVE_API_H

#include <pthread.h>
#include <stddef.h>

#include "serve/httpd.h"
#include "serve/queue.h"

/*
 * The JSON API, as httpd handlers whose `ctx` is a struct api:
 *
 *   GET /healthz      200 {"status": "ok", "database": "sqlite" | "postgresql",
 *                     "queue_depth": N}; 503 {"status":
 *                     "unavailable", "error": ...} when the queue cannot be read
 *   GET /api/jobs     {"jobs": [JOB, ...]}, newest first; ?limit=N (1..API_MAX_LIMIT,
 *                     default API_DEFAULT_LIMIT), ?state=NAME; a bad value is 400
 *                     naming the parameter
 *   GET /api/jobs/ID  {"jobs": [JOB + "history" and "messages"]}; 404 naming the id
 *
 * JOB is {"id", "repository", "pull_request" (null for none), "head_sha",
 * "check", "state", "confidence" (null before analysis), "attempts",
 * "created_at", "finished_at" (ISO-8601 UTC strings or null), "commit",
 * "reason", "category", "fence" (the last claim's fencing token, 0: never
 * claimed), "rescue_count" (claims after a lease ran out), "lease_owner",
 * "lease_until" (null when not held)}; "history" is [{"from" (null: created), "to", "at",
 * "reason"}], "messages" is [{"type", "at", "body" (the message's JSON)}].
 *
 * Every queue call is made under `lock`. struct api borrows both.
 * api_job_json() and api_job_detail_json() make JOB for other faces
 * (`pytest-fixer jobs --json`); the caller owns what they return.
 */

#define API_DEFAULT_LIMIT 50
#define API_MAX_LIMIT 1000
#define API_JOBS_PATH "/api/jobs"
#define API_JOB_PREFIX "/api/jobs/"
#define API_HEALTHZ_PATH "/healthz"

struct api {
	struct queue *queue;
	pthread_mutex_t *lock;
};

struct json_t;

/* JOB of job `job` */
struct json_t *api_job_json(const struct job *job);
/* JOB with its "history" and "messages", as GET /api/jobs/ID shows it */
struct json_t *api_job_detail_json(const struct job *job, const struct job_transition *hist,
				   size_t hist_nr, const struct queue_message *msgs,
				   size_t msgs_nr);

int api_healthz(const struct httpd_request *req, struct httpd_response *res, void *ctx);
int api_jobs(const struct httpd_request *req, struct httpd_response *res, void *ctx);
int api_job(const struct httpd_request *req, struct httpd_response *res, void *ctx);

#endif
