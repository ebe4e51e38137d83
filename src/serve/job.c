#include "serve/job.h"

#include "fix/fix.h"
#include "github/github.h"
#include "llm/llm.h"
#include "serve/analyze.h"
#include "serve/config.h"
#include "serve/message.h"
#include "serve/metrics.h"
#include "serve/notify.h"
#include "serve/queue.h"
#include "serve/webhook.h"
#include "serve/worker.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/log.h"
#include "util/sig.h"
#include "util/strvec.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OWN_COMMIT_REASON \
	"the failing commit is pytest-fixer's own fix (" WORKER_TRAILER "): not fixed again"

/* what every step of one job needs */
struct run {
	struct queue *q;
	const struct serve_config *cfg;
	const struct serve_repo *repo;
	const struct fix_options *fix;
	const struct job_lease *lease;
	struct job job;
	struct webhook_event ev;
	struct github *gh;
	char gh_owner[WEBHOOK_MAX_OWNER + 1];
	const char *gh_name;
	struct buf pr_id;             /* message_pr_id() */
	char *pr_url;                 /* the pull request's page, when known */
	long waits_counted, waited_counted;  /* GitHub's rate-limit figures already counted */
	char *head_branch;
};

/* ---- the queue, and what is said about it ---------------------------------------- */

static void count(struct run *r, const char *family, const char *step, double delta)
{
	struct buf name = BUF_INIT;

	if (metrics_series(&name, family, step ? METRIC_LABEL_STEP : NULL, step) == 0 &&
	    queue_counter_add(r->q, name.ptr, delta) < 0)
		log_warn("job %lld: cannot count %s: %s", (long long)r->job.id, name.ptr,
			 error_last());
	buf_release(&name);
}

/* a step's model tokens, and their cost when the prices are known */
static void count_tokens(struct run *r, const char *step, long prompt, long completion)
{
	if (prompt + completion <= 0)
		return;
	count(r, METRIC_LLM_TOKENS, step, (double)prompt + (double)completion);
	if (r->fix->llm.price_in > 0 || r->fix->llm.price_out > 0)
		count(r, METRIC_LLM_COST, step,
		      (prompt * r->fix->llm.price_in + completion * r->fix->llm.price_out) / 1e6);
}

static void store_message(struct run *r, const char *type, json_t *m)
{
	char *text = m ? message_text(m) : NULL;

	if (!text || queue_message_add(r->q, r->job.id, type, text) < 0)
		log_warn("job %lld: cannot store its %s message: %s", (long long)r->job.id, type,
			 text ? error_last() : "it could not be built");
	free(text);
}

/* the rate-limit waits since the last call into the counters */
static void count_waits(struct run *r)
{
	long waits = 0, waited = 0;

	if (!r->gh)
		return;
	github_stats(r->gh, &waits, &waited);
	if (waits > r->waits_counted) {
		count(r, METRIC_RATE_LIMIT_WAITS, NULL, (double)(waits - r->waits_counted));
		count(r, METRIC_RATE_LIMIT_WAIT_SECONDS, NULL, (waited - r->waited_counted) / 1000.0);
	}
	r->waits_counted = waits;
	r->waited_counted = waited;
}

static int move(struct run *r, enum job_state to, double confidence, const char *category,
		const char *commit, const char *reason)
{
	struct job_outcome o = { .confidence = confidence, .category = category,
				 .commit = commit, .reason = reason };
	int err;

	count_waits(r);    /* in the figures before the state is seen */
	err = queue_transition(r->q, r->job.id, r->lease->owner, r->lease->fence, to, &o);

	if (err < 0)
		return err;
	log_info("%s%s%s", job_state_name(to), reason ? ": " : "", reason ? reason : "");
	r->job.state = to;
	return 0;
}

/* people hear of an outcome: Telegram, the webhook, the pull request's comment */
static void tell(struct run *r, const char *outcome, const char *summary, const char *tests,
		 const char *link, const char *commit, double confidence)
{
	struct notify_targets t = {
		.telegram_api_url = r->cfg->telegram_api_url,
		.telegram_token = r->cfg->telegram_token,
		.telegram_chat_id = r->cfg->telegram_chat_id,
		.webhook_url = r->cfg->webhook_url,
		.github = r->gh,
		.github_comment = r->cfg->github_comment && r->job.pull_request > 0,
	};
	struct notify_message m = {
		.outcome = outcome, .repository = r->job.repository,
		.pull_request = r->job.pull_request, .check = r->job.check, .tests = tests,
		.summary = summary, .link = link ? link : r->pr_url, .commit = commit,
		.confidence = confidence, .seconds = clock_wall() - r->job.created_at,
	};
	struct notify_report report = NOTIFY_REPORT_INIT;
	char *text = NULL;
	int c;

	notify_send(&report, &t, &m);
	for (c = 0; c < NOTIFY_CHANNELS; c++) {
		const struct notify_result *res = &report.channel[c];

		if (!res->tried)
			continue;
		if (!res->ok)       /* notify_send() said why */
			count(r, METRIC_STEP_FAILURES, METRIC_STEP_NOTIFY, 1);
		/* what was sent, as the seed's notification.send, with the job */
		if (notify_seed_message(&text, &m, notify_channel_name(c)) == 0 &&
		    queue_message_add(r->q, r->job.id, MESSAGE_NOTIFICATION, text) < 0)
			log_warn("cannot store a notification: %s", error_last());
		free(text);
		text = NULL;
	}
	notify_report_release(&report);
}

/*
 * A step failed for a reason that may pass (GitHub down, a rate limit, the
 * network): back to the queue with a backoff, or discarded by the queue
 * after max_attempts.
 */
static int retry_or_fail(struct run *r, const char *step, const char *what)
{
	const struct job_lease *l = r->lease;
	struct buf why = BUF_INIT, said = BUF_INIT;
	int err;

	count(r, METRIC_STEP_FAILURES, step, 1);
	buf_addf(&why, "%s: %s", what, error_last());
	if (sig_pending()) {
		if ((err = queue_release(r->q, l->id, l->owner, l->fence, "the service stopped")) == 0)
			log_info("given back: the service is stopping");
	} else if ((err = queue_retry(r->q, l->id, l->owner, l->fence, why.ptr,
				      r->repo->max_attempts)) == JOB_DISCARDED) {
		r->job.state = JOB_DISCARDED;
		buf_addf(&said, "discarded after %d attempts: %s", r->repo->max_attempts, why.ptr);
		log_info("%s", said.ptr);
		/* people hear of it as a failure they may act on (`pytest-fixer jobs retry`) */
		tell(r, "failed", said.ptr, NULL, NULL, NULL, -1);
		err = 0;
	} else if (err >= 0) {
		log_info("queued again (attempt %d of %d): %s", r->job.attempts + 2,
			 r->repo->max_attempts, why.ptr);
		err = 0;
	}
	buf_release(&why);
	buf_release(&said);
	return err;
}

/* ---- the steps ------------------------------------------------------------------- */

/* the event the payload was: its top-level key names it */
static const char *payload_event(const char *payload)
{
	static const char *const kinds[] = { "workflow_run", "check_suite", "check_run" };
	json_t *doc = json_loads(payload, JSON_ALLOW_NUL, NULL);
	const char *kind = NULL;
	size_t i;

	for (i = 0; doc && i < sizeof(kinds) / sizeof(kinds[0]) && !kind; i++)
		if (json_is_object(json_object_get(doc, kinds[i])))
			kind = kinds[i];
	json_decref(doc);
	return kind;
}

static int open_github(struct run *r)
{
	struct github_options go = GITHUB_OPTIONS_INIT;
	const char *slash = strchr(r->job.repository, '/');

	if (!slash || (size_t)(slash - r->job.repository) > WEBHOOK_MAX_OWNER)
		return error_setc(ERR_USAGE, "job %lld: bad repository '%s'", (long long)r->job.id,
				  r->job.repository);
	memcpy(r->gh_owner, r->job.repository, (size_t)(slash - r->job.repository));
	r->gh_owner[slash - r->job.repository] = '\0';
	r->gh_name = slash + 1;
	message_pr_id(&r->pr_id, r->job.repository, r->job.pull_request, r->job.head_sha);
	go.api_url = r->cfg->github_api_url;
	go.token = r->cfg->github_token ? r->cfg->github_token : "";
	if (r->fix->llm.request_timeout > 0)
		go.timeout_ms = (int)(r->fix->llm.request_timeout * 1000);
	return github_open(&r->gh, NULL, &go);
}

/*
 * 1 when an earlier run of the job got to `fixing`: a head that moved on
 * since may be that run's own push (it was killed before it could say so),
 * which the fix worker recognises, rather than someone's newer commit, which
 * it refuses to push over.
 */
static int was_fixing(struct run *r)
{
	struct job_transition *t;
	size_t i, nr;
	int found = 0;

	if (queue_history(r->q, &t, &nr, r->job.id) < 0)
		return 0;
	for (i = 0; i < nr && !found; i++)
		found = t[i].to == JOB_FIXING;
	queue_history_free(t, nr);
	return found;
}

/* 1 when the job is not to be worked on (moved to stale or ignored), 0 to go on */
static int check_head(struct run *r, int *err)
{
	struct github_pull_info pr = GITHUB_PULL_INFO_INIT;
	struct buf why = BUF_INIT;
	int over = 0;

	*err = 0;
	r->head_branch = r->ev.head_branch ? strdup(r->ev.head_branch) : NULL;
	if (r->job.pull_request <= 0)
		return 0;
	if ((*err = github_pull_get(&pr, r->gh, r->gh_owner, r->gh_name, r->job.pull_request)) < 0) {
		*err = retry_or_fail(r, METRIC_STEP_FETCH_LOG, "cannot read the pull request");
		return 1;
	}
	free(r->pr_url);
	r->pr_url = pr.html_url ? strdup(pr.html_url) : NULL;
	if (pr.head_ref) {
		free(r->head_branch);
		r->head_branch = strdup(pr.head_ref);
	}
	if (pr.state && strcmp(pr.state, "open")) {
		buf_addf(&why, "pull request #%ld is %s", r->job.pull_request, pr.state);
		*err = move(r, JOB_STALE, -1, NULL, NULL, why.ptr);
		over = 1;
	} else if (pr.head_sha && strcmp(pr.head_sha, r->job.head_sha) && !was_fixing(r)) {
		buf_addf(&why, "the pull request's head is now %.12s, not %.12s", pr.head_sha,
			 r->job.head_sha);
		*err = move(r, JOB_STALE, -1, NULL, NULL, why.ptr);
		over = 1;
	} else if (pr.head_is_fork && !r->repo->allow_forks) {
		*err = move(r, JOB_IGNORED, -1, NULL, NULL,
			    "pull request from a fork (the repository does not allow them)");
		over = 1;
	}
	github_pull_info_release(&pr);
	buf_release(&why);
	return over;
}

static enum analyze_source source_of(const struct webhook_event *ev)
{
	switch (ev->kind) {
	case WEBHOOK_CHECK_SUITE: return ANALYZE_CHECK_SUITE;
	case WEBHOOK_WORKFLOW_RUN: return ANALYZE_WORKFLOW_RUN;
	default: return ANALYZE_CHECK_RUN;
	}
}

/* just before a push: the lease renewed, or the job is someone else's and nothing is pushed */
static int renew_before_push(void *payload)
{
	struct run *r = payload;
	const struct job_lease *l = r->lease;

	if (queue_renew(r->q, l->id, l->owner, l->fence, l->lease_s) == 0)
		return 0;
	log_warn("job %lld: lost its lease (%s); not pushing", (long long)l->id, error_last());
	return -1;
}

/* the worker's request, as far as the job and the configuration fill it */
static void worker_request_init(struct worker_request *w, struct run *r, const struct strvec *tests)
{
	memset(w, 0, sizeof(*w));
	w->clone_url = r->ev.clone_url;
	w->token = r->cfg->github_token;
	w->repository = r->job.repository;
	w->head_sha = r->job.head_sha;
	w->head_branch = r->head_branch;
	w->pull_request = r->job.pull_request;
	w->tests = tests;
	/* a branch without a pull request is never committed to: its fix comes as a pull request */
	w->push = r->job.pull_request > 0 ? r->repo->push : SERVE_PUSH_PULL_REQUEST;
	w->lint = &r->repo->lint;
	w->max_attempts = r->repo->max_attempts;
	w->fix = *r->fix;
	w->github = r->gh;
	w->feedback = r->job.reason;
	w->job_id = r->job.id;
	w->before_push = renew_before_push;
	w->payload = r;
}

/* the LLM of the engine options, or NULL when none is configured */
static int open_model(struct llm_provider **out, const struct fix_options *fix)
{
	*out = NULL;
	if (!strcmp(fix->engine, "builtin") || !strcmp(fix->engine, "command"))
		return 0;
	return llm_options_open(out, &fix->llm);
}

static void failing_tests(struct strvec *out, const struct test_result *tests, struct buf *text)
{
	size_t i;

	for (i = 0; i < tests->nr_failures; i++) {
		strvec_push(out, tests->failures[i].id);
		buf_addf(text, "%s%s", i ? "\n" : "", tests->failures[i].id);
	}
}

/* analysis: 0 and *fix to go on to the fix, or the job came to rest (*fix 0) */
static int analyze(struct run *r, struct analysis *a, struct strvec *tests, struct buf *test_text,
		   int *fix)
{
	struct analyze_evidence ev = ANALYZE_EVIDENCE_INIT;
	struct worker_repro repro = WORKER_REPRO_INIT;
	struct analyze_repro counts = { 0, 0, 0 };
	struct worker_request w;
	struct llm_provider *model = NULL;
	struct buf log = BUF_INIT, why = BUF_INIT;
	json_t *j = NULL;
	int err;

	*fix = 0;
	if ((err = analyze_fetch_log(&log, r->gh, r->job.repository, source_of(&r->ev),
				     r->ev.run_id)) < 0) {
		err = retry_or_fail(r, METRIC_STEP_FETCH_LOG, "cannot fetch the check's log");
		goto done;
	}
	if ((err = analyze_log(&ev, log.ptr, log.len)) < 0) {
		err = retry_or_fail(r, METRIC_STEP_ANALYSIS, "cannot read the check's log");
		goto done;
	}
	failing_tests(tests, &ev.tests, test_text);
	if (tests->nr) {
		worker_request_init(&w, r, tests);
		if ((err = worker_reproduce(&repro, &w)) < 0) {
			err = retry_or_fail(r, METRIC_STEP_REPRODUCE, "cannot reproduce the failure");
			goto done;
		}
		if (repro.own_commit) {
			err = move(r, JOB_IGNORED, -1, NULL, NULL, OWN_COMMIT_REASON);
			goto done;
		}
		counts = (struct analyze_repro){ repro.deterministic, repro.flaky, repro.not_reproduced };
		log_info("reproduced %zu of %zu failing tests (%zu flaky)", repro.deterministic,
			 tests->nr, repro.flaky);
	}
	if (tests->nr && (err = open_model(&model, r->fix)) == 0 && model) {
		if ((err = analyze_llm(a, model, &ev, NULL)) < 0)
			log_warn("%s; the built-in analyzer decides", error_last());
		count_tokens(r, METRIC_STEP_ANALYSIS, a->prompt_tokens, a->completion_tokens);
		/* a model's word does not stand against a reproduction that found nothing */
		if (err == 0 && repro.deterministic + repro.flaky == 0 && a->auto_fixable) {
			a->auto_fixable = 0;
			free(a->root_cause);
			a->root_cause = strdup("the failing tests pass here: nothing to verify a fix against");
		}
	}
	if (err < 0 || !a->source) {
		analysis_release(a);
		analyze_builtin(a, &ev, tests->nr ? &counts : NULL);
	}
	if (analysis_to_json(&j, a) == 0) {
		store_message(r, "analysis", j);
		json_decref(j);
	}
	log_info("analysis (%s): %s, confidence %.2f, %s: %s", a->source, a->category,
		 a->confidence, a->auto_fixable ? "auto-fixable" : "not auto-fixable",
		 a->root_cause ? a->root_cause : "");
	if (!analysis_auto_fix(a, r->repo->auto_fix_threshold)) {
		buf_addf(&why, "%s (%s, confidence %.2f below %.2f%s)",
			 a->root_cause ? a->root_cause : "no fix attempted", a->category,
			 a->confidence, r->repo->auto_fix_threshold,
			 a->auto_fixable ? "" : ", not auto-fixable");
		err = move(r, JOB_ESCALATED, a->confidence, a->category, NULL, why.ptr);
		if (err == 0)
			tell(r, "escalated", why.ptr, test_text->ptr, NULL, NULL, a->confidence);
		goto done;
	}
	*fix = 1;
	err = 0;
done:
	llm_provider_free(model);
	worker_repro_release(&repro);
	analyze_evidence_release(&ev);
	buf_release(&log);
	buf_release(&why);
	return err;
}

static void store_fix_requested(struct run *r, const struct analysis *a)
{
	char analysis_id[64];
	json_t *m = NULL;
	struct message_fix_requested fr = {
		.pr_id = r->pr_id.ptr, .analysis_id = analysis_id,
		.priority = a->confidence >= 0.9 ? "high" : "medium",
		.estimated_complexity = a->estimated_complexity ? a->estimated_complexity : "medium",
		.files_to_modify = &a->files_to_modify,
	};

	snprintf(analysis_id, sizeof(analysis_id), "job-%lld-attempt-%d", (long long)r->job.id,
		 r->job.attempts + 1);
	if (message_fix_requested(&m, &fr) == 0)
		store_message(r, MESSAGE_FIX_REQUESTED, m);
	json_decref(m);
}

static int fix(struct run *r, const struct analysis *a, const struct strvec *tests,
	       const char *test_text)
{
	struct worker_result res = WORKER_RESULT_INIT;
	struct worker_request w;
	struct buf why = BUF_INIT;
	int err;

	store_fix_requested(r, a);
	/* a job taken again after its worker died may be there already */
	if (r->job.state != JOB_FIXING &&
	    (err = move(r, JOB_FIXING, a->confidence, a->category, NULL, NULL)) < 0)
		return err;
	worker_request_init(&w, r, tests);
	if (w.push == SERVE_PUSH_COMMIT)
		w.github = NULL;
	err = worker_fix(&res, &w);
	count_tokens(r, METRIC_STEP_FIX, res.prompt_tokens, res.completion_tokens);
	if (err < 0) {
		err = retry_or_fail(r, METRIC_STEP_FIX, "the fix worker failed");
		goto done;
	}
	switch (res.status) {
	case WORKER_FIXED:
		buf_addf(&why, "fixed in %s%s%s", res.commit, res.pull_url ? ", draft pull request " : "",
			 res.pull_url ? res.pull_url : "");
		err = move(r, JOB_FIXED, -1, NULL, res.commit, why.ptr);
		if (err == 0)
			tell(r, "fixed", res.summary ? res.summary : why.ptr, test_text,
			     res.pull_url, res.commit, a->confidence);
		break;
	case WORKER_OWN_COMMIT:
		err = move(r, JOB_IGNORED, -1, NULL, NULL, OWN_COMMIT_REASON);
		break;
	case WORKER_CONFLICT:
		err = move(r, JOB_STALE, -1, NULL, NULL, res.reason);
		break;
	case WORKER_LEASE_LOST:
		/* its new holder moves it (renew_before_push() said so) */
		err = error_setc(ERR_CONFLICT, "%s", res.reason);
		break;
	default:
		buf_addf(&why, "%s after %d attempt%s: %s", worker_status_name(res.status),
			 res.attempts, res.attempts == 1 ? "" : "s",
			 res.reason ? res.reason : "no fix passed every gate");
		err = move(r, JOB_ESCALATED, -1, NULL, NULL, why.ptr);
		if (err == 0)
			tell(r, "escalated", why.ptr, test_text, NULL, NULL, a->confidence);
		break;
	}
done:
	worker_result_release(&res);
	buf_release(&why);
	return err;
}

/* ---- the job --------------------------------------------------------------------- */

int job_run(struct queue *q, const struct serve_config *cfg, const struct fix_options *fix_opts,
	    const struct job_lease *lease)
{
	struct run r = { .q = q, .cfg = cfg, .fix = fix_opts, .lease = lease,
			 .ev = WEBHOOK_EVENT_INIT, .pr_id = BUF_INIT };
	struct analysis a = ANALYSIS_INIT;
	struct strvec tests = STRVEC_INIT;
	struct buf test_text = BUF_INIT;
	const char *event;
	int err, go = 0;

	if ((err = queue_get(q, &r.job, lease->id)) < 0)
		return err;
	if (!r.job.lease_owner || strcmp(r.job.lease_owner, lease->owner) ||
	    r.job.fence != lease->fence) {
		err = error_setc(ERR_CONFLICT, "job %lld is not held by '%s' under fence %lld",
				 (long long)lease->id, lease->owner, (long long)lease->fence);
		goto done;
	}
	if (!(r.repo = serve_config_repo(cfg, r.job.repository))) {
		err = move(&r, JOB_IGNORED, -1, NULL, NULL, "the repository is no longer configured");
		goto done;
	}
	event = payload_event(r.job.payload);
	if (!event || webhook_parse(&r.ev, event, "stored", r.job.payload,
				    strlen(r.job.payload)) < 0 || r.ev.kind == WEBHOOK_IGNORED) {
		struct buf why = BUF_INIT;
		buf_addf(&why, "its event cannot be read again: %s",
			 event ? (r.ev.ignored ? r.ev.ignored : error_last()) : "no known event in it");
		err = move(&r, JOB_FAILED, -1, NULL, NULL, why.ptr);
		buf_release(&why);
		goto done;
	}
	if ((err = open_github(&r)) < 0) {
		err = move(&r, JOB_FAILED, -1, NULL, NULL, error_last());
		goto done;
	}
	if (check_head(&r, &err) || err < 0)
		goto done;
	if ((err = analyze(&r, &a, &tests, &test_text, &go)) < 0 || !go)
		goto done;
	err = fix(&r, &a, &tests, test_text.ptr);
done:
	count_waits(&r);   /* the notifications' */
	github_free(r.gh);
	analysis_release(&a);
	strvec_clear(&tests);
	buf_release(&test_text);
	webhook_event_release(&r.ev);
	free(r.pr_url);
	free(r.head_branch);
	buf_release(&r.pr_id);
	job_release(&r.job);
	return err;
}
