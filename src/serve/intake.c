#include "serve/intake.h"
#include "serve/message.h"

#include "github/github.h"
#include "serve/webhook.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/xalloc.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	int status;
} outcomes[INTAKE_OUTCOME_NR] = {
	[INTAKE_QUEUED] = { "queued", 202 },
	[INTAKE_EXISTING] = { "existing", 202 },
	[INTAKE_FORK] = { "fork", 202 },
	[INTAKE_DUPLICATE] = { "duplicate", 200 },
	[INTAKE_IGNORED] = { "ignored", 200 },
	[INTAKE_INVALID] = { "invalid", 400 },
	[INTAKE_UNAUTHORIZED] = { "unauthorized", 401 },
	[INTAKE_REFUSED] = { "refused", 403 },
	[INTAKE_TOO_LARGE] = { "too_large", 413 },
	[INTAKE_ERROR] = { "error", 500 },
};

const char *intake_outcome_name(enum intake_outcome o)
{
	return (unsigned)o < INTAKE_OUTCOME_NR ? outcomes[o].name : NULL;
}

int intake_outcome_status(enum intake_outcome o)
{
	return (unsigned)o < INTAKE_OUTCOME_NR ? outcomes[o].status : 500;
}

void intake_init(struct intake *in, struct queue *q, pthread_mutex_t *lock,
		 const struct serve_config *config)
{
	memset(in, 0, sizeof(*in));
	in->queue = q;
	in->lock = lock;
	in->config = config;
	pthread_mutex_init(&in->counts_lock, NULL);
}

void intake_release(struct intake *in)
{
	pthread_mutex_destroy(&in->counts_lock);
}

void intake_result_release(struct intake_result *r)
{
	buf_release(&r->body);
	r->job = 0;
	r->created = 0;
}

void intake_counts(unsigned long out[INTAKE_OUTCOME_NR], struct intake *in)
{
	pthread_mutex_lock(&in->counts_lock);
	memcpy(out, in->counts, sizeof(in->counts));
	pthread_mutex_unlock(&in->counts_lock);
}

/* the answer: `outcome` with `doc` (stolen) as its body; returns `ret` */
static int answer(struct intake_result *out, struct intake *in, enum intake_outcome outcome,
		  json_t *doc, int ret)
{
	char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;

	out->outcome = outcome;
	out->status = outcomes[outcome].status;
	buf_reset(&out->body);
	buf_adds(&out->body, text ? text : "{}");
	buf_addch(&out->body, '\n');
	free(text);
	json_decref(doc);
	pthread_mutex_lock(&in->counts_lock);
	in->counts[outcome]++;
	pthread_mutex_unlock(&in->counts_lock);
	return ret;
}

static int answer_error(struct intake_result *out, struct intake *in, enum intake_outcome outcome,
			int ret)
{
	return answer(out, in, outcome, json_pack("{s:s}", "error", error_last()), ret);
}

/* where the job's log is read from (GitHub's REST API) */
static void log_url(struct buf *out, const struct intake *in, const struct webhook_event *ev)
{
	const char *base = in->config->github_api_url ? in->config->github_api_url
						      : GITHUB_API_URL_DEFAULT;
	size_t n = strlen(base);

	while (n && base[n - 1] == '/')
		n--;
	buf_add(out, base, n);
	buf_addf(out, "/repos/%s", ev->repository);
	if (ev->kind == WEBHOOK_CHECK_RUN)     /* a check run of Actions is the job of its id */
		buf_addf(out, "/actions/jobs/%" PRIu64 "/logs", ev->run_id);
	else if (ev->kind == WEBHOOK_WORKFLOW_RUN)
		buf_addf(out, "/actions/runs/%" PRIu64 "/logs", ev->run_id);
	else                                   /* a suite: its failed runs are listed here */
		buf_addf(out, "/check-suites/%" PRIu64 "/check-runs", ev->run_id);
}

/* the seed's check.failed message for `ev` (the caller's) */
static char *check_failed(const struct intake *in, const struct webhook_event *ev, double now)
{
	struct buf url = BUF_INIT, pr = BUF_INIT;
	struct message_check_failed m = { .repository = ev->repository, .check_name = ev->check,
					  .check_run_id = (long long)ev->run_id,
					  .failure_time = now };
	json_t *doc = NULL;
	char *text = NULL;

	log_url(&url, in, ev);
	message_pr_id(&pr, ev->repository, ev->pull_request, ev->head_sha);
	m.pr_id = pr.ptr;
	m.log_url = url.ptr;
	if (message_check_failed(&doc, &m) == 0)
		text = message_text(doc);
	json_decref(doc);
	buf_release(&url);
	buf_release(&pr);
	return text ? text : xstrdup("{}");
}

/*
 * 1 when the queued job has its check.failed message: one that was queued
 * while its message was not (a failure in between) gets it on redelivery
 */
static int has_check_failed(int *err, struct queue *q, const struct job *job)
{
	struct queue_message *msgs = NULL;
	size_t nr = 0, i;
	int found = job->state != JOB_QUEUED; /* taken already: its message was read */

	if (!found && (*err = queue_messages(q, &msgs, &nr, job->id)) < 0)
		return 1;
	for (i = 0; i < nr && !found; i++)
		found = !strcmp(msgs[i].type, MESSAGE_CHECK_FAILED);
	queue_messages_free(msgs, nr);
	return found;
}

/* queue the job for `ev` (under the lock) and record the delivery */
static int enqueue(struct intake_result *out, struct intake *in, const struct webhook_event *ev,
		   const char *payload, int fork)
{
	struct job_new n = { .repository = ev->repository, .pull_request = ev->pull_request,
			     .head_sha = ev->head_sha, .check = ev->check, .payload = payload,
			     .ignored_reason = fork ? INTAKE_FORK_REASON : NULL };
	double now = in->now ? in->now() : clock_wall();
	char *message = check_failed(in, ev, now);
	struct job job = { 0 };
	int seen = 0, needs_message = 0, err;

	pthread_mutex_lock(in->lock);
	err = queue_enqueue(in->queue, &job, &out->created, &n);
	if (!err && !(out->created && fork))
		needs_message = out->created || !has_check_failed(&err, in->queue, &job);
	if (!err && needs_message)
		err = queue_message_add(in->queue, job.id, MESSAGE_CHECK_FAILED, message);
	if (!err)
		err = queue_delivery(in->queue, ev->delivery_id, 1, &seen);
	pthread_mutex_unlock(in->lock);
	out->job = err ? 0 : job.id;
	job_release(&job);
	free(message);
	return err;
}

int intake_delivery(struct intake_result *out, struct intake *in, const char *event_hdr,
		    const char *delivery_hdr, const char *signature_hdr, const void *body,
		    size_t len)
{
	struct webhook_event ev = WEBHOOK_EVENT_INIT;
	const struct serve_repo *repo;
	size_t cap = in->max_body ? in->max_body : WEBHOOK_MAX_BODY;
	char *payload = NULL;
	int seen = 0, err, fork;

	intake_result_release(out);
	if (len > cap) {
		error_setc(ERR_LIMIT, "the delivery is %zu bytes, more than the %zu allowed", len,
			   cap);
		return answer_error(out, in, INTAKE_TOO_LARGE, 0);
	}
	if (webhook_verify(in->config->webhook_secret, body, len, signature_hdr) < 0)
		return answer_error(out, in, INTAKE_UNAUTHORIZED, 0);
	if (delivery_hdr && *delivery_hdr && strlen(delivery_hdr) <= WEBHOOK_MAX_HEADER) {
		pthread_mutex_lock(in->lock);
		err = queue_delivery(in->queue, delivery_hdr, 0, &seen);
		pthread_mutex_unlock(in->lock);
		if (err < 0)
			return answer_error(out, in, INTAKE_ERROR, err);
		if (seen)
			return answer(out, in, INTAKE_DUPLICATE,
				      json_pack("{s:s, s:s}", "status", "duplicate delivery",
						"delivery", delivery_hdr), 0);
	}
	if (webhook_parse(&ev, event_hdr, delivery_hdr, body, len) < 0) {
		err = answer_error(out, in, INTAKE_INVALID, 0);
		goto done;
	}
	if (ev.kind == WEBHOOK_IGNORED) {
		err = answer(out, in, INTAKE_IGNORED,
			     json_pack("{s:s, s:s}", "status", "ignored", "reason", ev.ignored), 0);
		goto done;
	}
	if (!(repo = serve_config_repo(in->config, ev.repository))) {
		error_setc(ERR_USAGE, "repository '%s' is not in the configuration", ev.repository);
		err = answer_error(out, in, INTAKE_REFUSED, 0);
		goto done;
	}
	fork = ev.fork == WEBHOOK_FORK_YES && !repo->allow_forks;
	payload = xstrndup(body, len);
	if ((err = enqueue(out, in, &ev, payload, fork)) < 0) {
		err = answer_error(out, in, INTAKE_ERROR, err);
		goto done;
	}
	if (fork && out->created)
		err = answer(out, in, INTAKE_FORK,
			     json_pack("{s:I, s:b, s:s, s:s}", "job", (json_int_t)out->job,
				       "created", 1, "state", job_state_name(JOB_IGNORED),
				       "reason", INTAKE_FORK_REASON), 0);
	else
		err = answer(out, in, out->created ? INTAKE_QUEUED : INTAKE_EXISTING,
			     json_pack("{s:I, s:b}", "job", (json_int_t)out->job,
				       "created", out->created), 0);
done:
	free(payload);
	webhook_event_release(&ev);
	return err;
}

int intake_route(const struct httpd_request *req, struct httpd_response *res, void *ctx)
{
	struct intake_result r = INTAKE_RESULT_INIT;

	/* a failed queue is answered 500 with its message: already in `r` */
	intake_delivery(&r, ctx, httpd_header(req, INTAKE_HEADER_EVENT),
			httpd_header(req, INTAKE_HEADER_DELIVERY),
			httpd_header(req, INTAKE_HEADER_SIGNATURE), req->body, req->body_len);
	res->status = r.status;
	res->content_type = HTTPD_JSON;
	buf_reset(&res->body);
	buf_add(&res->body, r.body.ptr, r.body.len);
	intake_result_release(&r);
	return 0;
}
