#ifndef SERVE_INTAKE_H
#define SERVE_INTAKE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "serve/config.h"
#include "serve/httpd.h"
#include "serve/queue.h"
#include "util/buf.h"

/*
 * POST /webhook: a GitHub delivery from its headers and raw body to a job
 * in the queue, and the answer for GitHub. intake_delivery() needs no
 * server (the tests call it directly); intake_route() is its httpd handler.
 *
 * In order: a body over the cap is 413; the X-Hub-Signature-256 HMAC is
 * checked on the raw body before anything is parsed (401); a delivery id
 * seen before is acknowledged and nothing else done (200 "duplicate
 * delivery"); a body that is no event is 400 naming the field; an event,
 * action or conclusion not watched is 200 with the reason; a repository not
 * in the config is 403 naming it. Otherwise the job for (repository, head
 * commit, check) is queued (once: a second event for it answers
 * "created": false) with the raw body as its payload and the seed's
 * check.failed message; a pull request from a fork, where the repository
 * does not allow forks, is queued and moved at once to `ignored`. Only then
 * is the delivery id recorded and 202 {"job": ID, "created": ...} sent:
 * the answer comes after the job is committed. A failure in between is 500
 * and GitHub delivers again: a queued job that lacks its message gets it.
 *
 * Threads: the queue is used under `lock` only (shared with whoever else
 * uses the queue: the API, the workers); the counters have their own lock.
 * struct intake borrows the queue, the lock and the config; the result owns
 * its body (intake_result_release()). No answer quotes the secret or the
 * signature.
 */

#define INTAKE_FORK_REASON "pull request from a fork"
#define INTAKE_HEADER_EVENT "X-GitHub-Event"
#define INTAKE_HEADER_DELIVERY "X-GitHub-Delivery"
#define INTAKE_HEADER_SIGNATURE "X-Hub-Signature-256"

/* what became of a delivery (each has one HTTP status) */
enum intake_outcome {
	INTAKE_QUEUED,        /* 202, a new job */
	INTAKE_EXISTING,      /* 202, the job was there already */
	INTAKE_FORK,          /* 202, a new job, ignored at once */
	INTAKE_DUPLICATE,     /* 200, the delivery id was seen before */
	INTAKE_IGNORED,       /* 200, not a watched event */
	INTAKE_INVALID,       /* 400 */
	INTAKE_UNAUTHORIZED,  /* 401 */
	INTAKE_REFUSED,       /* 403, a repository not in the config */
	INTAKE_TOO_LARGE,     /* 413 */
	INTAKE_ERROR,         /* 500, the queue failed */
	INTAKE_OUTCOME_NR
};

/* "queued", "existing", ...; NULL out of range */
const char *intake_outcome_name(enum intake_outcome o);
/* 202, 200, 400, ... */
int intake_outcome_status(enum intake_outcome o);

struct intake {
	struct queue *queue;               /* borrowed */
	pthread_mutex_t *lock;             /* borrowed: held around every queue call */
	const struct serve_config *config; /* borrowed: webhook_secret, repos, github_api_url */
	double (*now)(void);               /* wall-clock seconds; NULL: clock_wall() */
	size_t max_body;                   /* 0: WEBHOOK_MAX_BODY */
	pthread_mutex_t counts_lock;
	unsigned long counts[INTAKE_OUTCOME_NR];
};

struct intake_result {
	enum intake_outcome outcome;
	int status;
	struct buf body;                   /* the JSON answer */
	int64_t job;                       /* 0: none */
	int created;
};

#define INTAKE_RESULT_INIT { .body = BUF_INIT }

void intake_init(struct intake *in, struct queue *q, pthread_mutex_t *lock,
		 const struct serve_config *config);
void intake_release(struct intake *in);

/*
 * Take one delivery (the headers may be NULL when absent) into `out`
 * (released first). 0 whatever the answer; a negative code only when the
 * queue failed (then `out` is the 500 answer, with the message).
 */
int intake_delivery(struct intake_result *out, struct intake *in, const char *event_hdr,
		    const char *delivery_hdr, const char *signature_hdr, const void *body,
		    size_t len);
void intake_result_release(struct intake_result *r);

/* how many deliveries had each outcome, into `out` */
void intake_counts(unsigned long out[INTAKE_OUTCOME_NR], struct intake *in);

/* the httpd handler of POST /webhook; `ctx` is the struct intake */
int intake_route(const struct httpd_request *req, struct httpd_response *res, void *ctx);

#endif
