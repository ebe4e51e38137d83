#include "serve/api.h"

#include "util/error.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

/* a string, valid UTF-8 whatever the database holds, or null */
static json_t *string_or_null(const char *s)
{
	char *clean;
	json_t *j;

	if (!s)
		return json_null();
	if ((j = json_string(s)))
		return j;
	clean = utf8_dup_clean(s);
	j = json_string(clean);
	free(clean);
	return j ? j : json_null();
}

/* ISO-8601 UTC, or null for 0 (not yet) */
static json_t *time_or_null(double t)
{
	char when[HTTPD_TIME_SIZE];

	if (t <= 0)
		return json_null();
	httpd_time_iso(when, t);
	return json_string(when);
}

json_t *api_job_json(const struct job *j)
{
	json_t *o = json_pack("{s:I, s:o, s:o, s:o, s:o, s:s, s:o, s:i, s:o, s:o, s:o, s:o, s:o}",
			 "id", (json_int_t)j->id, "repository", string_or_null(j->repository),
			 "pull_request",
			 j->pull_request ? json_integer(j->pull_request) : json_null(),
			 "head_sha", string_or_null(j->head_sha), "check", string_or_null(j->check),
			 "state", job_state_name(j->state) ? job_state_name(j->state) : "unknown",
			 "confidence", j->confidence < 0 ? json_null() : json_real(j->confidence),
			 "attempts", j->attempts, "created_at", time_or_null(j->created_at),
			 "finished_at", time_or_null(j->finished_at),
			 "commit", string_or_null(j->commit), "reason", string_or_null(j->reason),
			 "category", string_or_null(j->category));

	json_object_set_new(o, "fence", json_integer((json_int_t)j->fence));
	json_object_set_new(o, "rescue_count", json_integer(j->rescue_count));
	json_object_set_new(o, "lease_owner", string_or_null(j->lease_owner));
	json_object_set_new(o, "lease_until", time_or_null(j->lease_owner ? j->lease_until : 0));
	return o;
}

/* `doc` (stolen) as the response with `status` */
static int respond(struct httpd_response *res, int status, json_t *doc)
{
	char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;

	json_decref(doc);
	if (!text)
		return error_set("cannot write the answer as JSON");
	res->status = status;
	res->content_type = HTTPD_JSON;
	buf_reset(&res->body);
	buf_adds(&res->body, text);
	buf_addch(&res->body, '\n');
	free(text);
	return 0;
}

static int respond_jobs(struct httpd_response *res, json_t *jobs)
{
	return respond(res, 200, json_pack("{s:o}", "jobs", jobs));
}

int api_healthz(const struct httpd_request *req, struct httpd_response *res, void *ctx)
{
	struct api *api = ctx;
	size_t depth = 0;
	int err;

	pthread_mutex_lock(api->lock);
	err = queue_depth(api->queue, &depth);
	pthread_mutex_unlock(api->lock);
	if (err < 0)
		return respond(res, 503, json_pack("{s:s, s:s}", "status", "unavailable",
						   "error", error_last()));
	return respond(res, 200, json_pack("{s:s, s:s, s:I}", "status", "ok", "database",
					   api->queue->ops->name, "queue_depth", (json_int_t)depth));
}

/* `s` as a decimal number in 1..max into `out`; 0, or -1 when it is not one */
static int parse_count(int64_t *out, const char *s, int64_t max)
{
	int64_t v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		int d = *s - '0';

		if (d < 0 || d > 9 || v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (v < 1)
		return -1;
	*out = v;
	return 0;
}

int api_jobs(const struct httpd_request *req, struct httpd_response *res, void *ctx)
{
	struct api *api = ctx;
	const char *limit_arg = httpd_query(req, "limit"), *state_arg = httpd_query(req, "state");
	enum job_state state = JOB_STATE_NR;
	struct job *jobs = NULL;
	size_t nr = 0, i, shown = 0;
	int64_t limit = API_DEFAULT_LIMIT;
	json_t *list;
	int err;

	if (limit_arg && parse_count(&limit, limit_arg, API_MAX_LIMIT) < 0)
		return httpd_error(res, 400, "invalid parameter 'limit': '%s' is not a number in 1..%d",
				   limit_arg, API_MAX_LIMIT);
	if (state_arg && job_state_parse(&state, state_arg) < 0)
		return httpd_error(res, 400, "invalid parameter 'state': %s", error_last());
	pthread_mutex_lock(api->lock);
	/* a filter looks at every job: the newest `limit` of that state */
	err = queue_list(api->queue, &jobs, &nr, state_arg ? 0 : (size_t)limit);
	pthread_mutex_unlock(api->lock);
	if (err < 0)
		return err;
	list = json_array();
	for (i = 0; i < nr && shown < (size_t)limit; i++) {
		if (state_arg && jobs[i].state != state)
			continue;
		json_array_append_new(list, api_job_json(&jobs[i]));
		shown++;
	}
	queue_jobs_free(jobs, nr);
	return respond_jobs(res, list);
}

static json_t *history_json(const struct job_transition *t, size_t nr)
{
	json_t *list = json_array();
	size_t i;

	for (i = 0; i < nr; i++)
		json_array_append_new(list, json_pack("{s:o, s:s, s:o, s:o}", "from",
			t[i].from == JOB_STATE_NR ? json_null() : json_string(job_state_name(t[i].from)),
			"to", job_state_name(t[i].to), "at", time_or_null(t[i].at),
			"reason", string_or_null(t[i].reason)));
	return list;
}

static json_t *messages_json(const struct queue_message *m, size_t nr)
{
	json_t *list = json_array(), *body;
	size_t i;

	for (i = 0; i < nr; i++) {
		/* stored by us as JSON; shown as text should it not be */
		if (!(body = json_loads(m[i].body ? m[i].body : "", JSON_DECODE_ANY, NULL)))
			body = string_or_null(m[i].body);
		json_array_append_new(list, json_pack("{s:o, s:o, s:o}", "type",
						      string_or_null(m[i].type), "at",
						      time_or_null(m[i].at), "body", body));
	}
	return list;
}

json_t *api_job_detail_json(const struct job *job, const struct job_transition *hist,
			    size_t hist_nr, const struct queue_message *msgs, size_t msgs_nr)
{
	json_t *doc = api_job_json(job);

	json_object_set_new(doc, "history", history_json(hist, hist_nr));
	json_object_set_new(doc, "messages", messages_json(msgs, msgs_nr));
	return doc;
}

int api_job(const struct httpd_request *req, struct httpd_response *res, void *ctx)
{
	struct api *api = ctx;
	const char *arg = req->path + strlen(API_JOB_PREFIX);
	struct job job = { 0 };
	struct job_transition *hist = NULL;
	struct queue_message *msgs = NULL;
	size_t hist_nr = 0, msgs_nr = 0;
	int64_t id;
	json_t *doc;
	int err;

	if (strncmp(req->path, API_JOB_PREFIX, strlen(API_JOB_PREFIX)) ||
	    parse_count(&id, arg, INT64_MAX) < 0)
		return httpd_error(res, 404, "no job '%s': not a job id", arg);
	pthread_mutex_lock(api->lock);
	err = queue_get(api->queue, &job, id);
	if (!err)
		err = queue_history(api->queue, &hist, &hist_nr, id);
	if (!err)
		err = queue_messages(api->queue, &msgs, &msgs_nr, id);
	pthread_mutex_unlock(api->lock);
	if (err == ERR_NOTFOUND) {
		err = httpd_error(res, 404, "no job %" PRId64, id);
		goto done;
	}
	if (err < 0)
		goto done;
	doc = api_job_detail_json(&job, hist, hist_nr, msgs, msgs_nr);
	err = respond_jobs(res, json_pack("[o]", doc));
done:
	queue_messages_free(msgs, msgs_nr);
	queue_history_free(hist, hist_nr);
	job_release(&job);
	return err;
}
