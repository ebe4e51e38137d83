#include "serve/serve.h"

#include "fix/fix.h"
#include "serve/config.h"
#include "serve/job.h"
#include "serve/poll.h"
#include "serve/queue.h"
#include "serve/web.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/proc.h"
#include "util/sig.h"
#include "util/strvec.h"
#include "util/xalloc.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* one worker thread: its own connection to the queue, one job at a time */
struct slot {
	const struct serve_options *o;
	size_t index;
	char owner[128];             /* the lease owner: host, pid, slot */
	pthread_t thread;
	int started;
};

/* what a child's tick needs: the job, its lease, the log read so far */
struct child {
	struct slot *slot;
	struct queue *q;
	int64_t id;
	int64_t fence;
	double renewed;              /* monotonic time of the last renewal */
	struct proc_result *res;
	size_t logged;               /* bytes of res->err already logged */
	int lost_lease;
};

static atomic_int stopping;

/* one line of a child's log as ours, at its level, prefixed with the job */
static void relay(int64_t id, const char *line, size_t n)
{
	static const struct {
		const char *prefix;
		enum log_level level;
	} levels[] = {
		{ "pytest-fixer: error: ", LOG_ERROR }, { "pytest-fixer: warning: ", LOG_WARN },
		{ "pytest-fixer: info: ", LOG_INFO }, { "pytest-fixer: debug: ", LOG_DEBUG },
	};
	enum log_level level = LOG_INFO;
	char own[32];
	size_t i, len;

	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		len = strlen(levels[i].prefix);
		if (n >= len && !memcmp(line, levels[i].prefix, len)) {
			level = levels[i].level;
			line += len;
			n -= len;
			break;
		}
	}
	/* the worker names its job too: once is enough */
	snprintf(own, sizeof(own), "job %lld: ", (long long)id);
	len = strlen(own);
	if (n >= len && !memcmp(line, own, len)) {
		line += len;
		n -= len;
	}
	log_at(level, "%s%.*s", own, (int)n, line);
}

/* log the child's complete new lines, prefixed with the job */
static void child_log(struct child *c, int all)
{
	struct buf *err = &c->res->err;

	while (c->logged < err->len) {
		const char *line = err->ptr + c->logged;
		const char *nl = memchr(line, '\n', err->len - c->logged);
		size_t n = nl ? (size_t)(nl - line) : err->len - c->logged;

		if (!nl && !all)
			break;
		if (n)
			relay(c->id, line, n);
		c->logged += n + (nl != NULL);
	}
	/* a long job's log is not kept whole in memory: what is logged may go */
	if (c->logged == err->len && err->len > SERVE_CHILD_LOG_MAX) {
		buf_reset(err);
		c->logged = 0;
	}
}

/* every PROC tick: pass the log on, renew the lease; nonzero kills the child */
static int child_tick(void *payload)
{
	struct child *c = payload;
	double now = clock_monotonic();

	child_log(c, 0);
	if (now - c->renewed < c->slot->o->lease_s / 3)
		return 0;
	if (queue_renew(c->q, c->id, c->slot->owner, c->fence, c->slot->o->lease_s) < 0) {
		/* the job moved on or was taken: the child stops, nobody's work is lost */
		log_warn("job %lld: %s; stopping its worker", (long long)c->id, error_last());
		c->lost_lease = 1;
		return 1;
	}
	c->renewed = now;
	return 0;
}

/* remove the private directories of processes that are gone */
static void sweep(void)
{
	struct strvec removed = STRVEC_INIT;
	size_t i;

	if (fs_remove_stale_tmp(&removed) < 0)
		log_warn("cannot remove what dead workers left: %s", error_last());
	for (i = 0; i < removed.nr; i++)
		log_info("removed %s, left by a worker that died", removed.v[i]);
	strvec_clear(&removed);
}

/* the child's environment: the secrets it needs, which children never get by default */
static void child_env(struct strvec *env, const struct serve_config *cfg)
{
	const struct {
		const char *name, *value;
	} pass[] = {
		{ "GITHUB_TOKEN", cfg->github_token },
		{ "TELEGRAM_BOT_TOKEN", cfg->telegram_token },
		{ "OPENAI_API_KEY", cfg->openai_key },
		{ "ANTHROPIC_API_KEY", cfg->anthropic_key },
	};
	size_t i;

	for (i = 0; i < sizeof(pass) / sizeof(pass[0]); i++)
		if (pass[i].value)
			strvec_pushf(env, "%s=%s", pass[i].name, pass[i].value);
}

/* after the child: a job it left held goes back (stopping) or is retried (a crash) */
static void child_settle(struct slot *sl, struct queue *q, int64_t id,
			 const struct proc_result *res, int lost_lease)
{
	const struct serve_repo *repo;
	struct buf why = BUF_INIT;
	struct job job;

	if (lost_lease || queue_get(q, &job, id) < 0)
		return;
	if (job.lease_owner && !strcmp(job.lease_owner, sl->owner) && !job_state_final(job.state)) {
		repo = serve_config_repo(sl->o->cfg, job.repository);
		buf_adds(&why, "its worker ");
		proc_describe_exit(&why, res);
		if (res->interrupted || atomic_load(&stopping)) {
			if (queue_release(q, id, sl->owner, job.fence, "the service stopped") == 0)
				log_info("job %lld: given back (the service is stopping)", (long long)id);
		} else if (repo && job.attempts + 1 >= repo->max_attempts) {
			struct job_outcome o = JOB_OUTCOME_INIT;
			o.reason = why.ptr;
			if (queue_transition(q, id, sl->owner, job.fence, JOB_FAILED, &o) == 0)
				log_info("job %lld: failed: %s", (long long)id, why.ptr);
		} else if (queue_retry(q, id, sl->owner, job.fence, why.ptr, 0) >= 0) {
			log_info("job %lld: queued again: %s", (long long)id, why.ptr);
		}
	}
	job_release(&job);
	buf_release(&why);
}

static void run_child(struct slot *sl, struct queue *q, const struct job *job)
{
	struct proc_options po = PROC_OPTIONS_INIT;
	struct proc_result res = PROC_RESULT_INIT;
	struct strvec argv = STRVEC_INIT, env = STRVEC_INIT;
	struct child c = { .slot = sl, .q = q, .id = job->id, .fence = job->fence, .res = &res };
	int i;

	strvec_push(&argv, "/proc/self/exe");
	if (log_current_level >= LOG_DEBUG)
		strvec_push(&argv, "-v");
	for (i = 0; i < sl->o->argc; i++)
		strvec_push(&argv, sl->o->argv[i]);
	strvec_push(&argv, "--run-job");
	strvec_pushf(&argv, "%lld", (long long)job->id);
	strvec_push(&argv, "--lease-owner");
	strvec_push(&argv, sl->owner);
	child_env(&env, sl->o->cfg);

	po.argv = (const char *const *)argv.v;
	po.env = &env;
	po.timeout_ms = SERVE_JOB_TIMEOUT_S * 1000;
	po.kill_grace_ms = SERVE_STOP_GRACE_MS;
	po.tick = child_tick;
	po.tick_ms = 200;
	po.payload = &c;
	c.renewed = clock_monotonic();
	if (proc_run(&res, &po) < 0)
		log_error("job %lld: cannot start its worker: %s", (long long)job->id, error_last());
	child_log(&c, 1);
	child_settle(sl, q, job->id, &res, c.lost_lease);
	if (res.signal)
		sweep();    /* what a killed child could not remove */
	proc_result_release(&res);
	strvec_clear(&argv);
	strvec_clear(&env);
}

static void *slot_main(void *arg)
{
	struct slot *sl = arg;
	struct queue *q = NULL;
	struct job job;
	int ret;

	if (queue_open_sqlite(&q, sl->o->cfg->database) < 0) {
		log_error("worker %zu: %s", sl->index, error_last());
		return NULL;
	}
	while (!atomic_load(&stopping) && !sig_pending()) {
		ret = queue_claim(q, &job, sl->owner, sl->o->lease_s);
		if (ret == ERR_NOTFOUND) {
			clock_sleep_interruptible(SERVE_IDLE_MS);
			continue;
		}
		if (ret < 0) {
			log_warn("worker %zu: %s", sl->index, error_last());
			clock_sleep_interruptible(SERVE_IDLE_MS * 4);
			continue;
		}
		log_info("job %lld: %s@%.7s %s: %s by %s", (long long)job.id, job.repository,
			 job.head_sha, job.check, job_state_name(job.state), sl->owner);
		run_child(sl, q, &job);
		job_release(&job);
	}
	queue_close(q);
	return NULL;
}

static void slots_stop(struct slot *slots, size_t nr)
{
	size_t i;

	atomic_store(&stopping, 1);
	for (i = 0; i < nr; i++)
		if (slots[i].started)
			pthread_join(slots[i].thread, NULL);
	free(slots);
}

int serve_run(const struct serve_options *o)
{
	const struct serve_config *cfg = o->cfg;
	struct queue *q = NULL;
	struct web *web = NULL;
	struct slot *slots = NULL;
	char host[64] = "localhost";
	double next_poll = 0;
	size_t i;
	int ret;

	sig_install();
	atomic_store(&stopping, 0);
	if (!cfg->repos_nr)
		log_warn("the configuration names no repository: every delivery will be refused");
	if (!cfg->webhook_secret && !cfg->poll_seconds)
		log_warn("GITHUB_WEBHOOK_SECRET is not set: every delivery will be refused (401)");
	if ((ret = queue_open_sqlite(&q, cfg->database)) < 0)
		return ret;
	sweep();
	if ((ret = web_start(&web, q, cfg, NULL)) < 0)
		goto done;
	log_info("listening on http://%s:%d/ (database %s, %d workers%s)", cfg->host,
		 web_port(web), cfg->database, cfg->workers,
		 cfg->poll_seconds ? ", polling GitHub" : "");

	gethostname(host, sizeof(host) - 1);
	slots = xcalloc((size_t)cfg->workers, sizeof(*slots));
	for (i = 0; i < (size_t)cfg->workers; i++) {
		slots[i].o = o;
		slots[i].index = i;
		snprintf(slots[i].owner, sizeof(slots[i].owner), "%s:%ld:%zu", host, (long)getpid(), i);
		if (pthread_create(&slots[i].thread, NULL, slot_main, &slots[i]) != 0) {
			ret = error_set("cannot start worker %zu", i);
			goto done;
		}
		slots[i].started = 1;
	}
	while (!sig_pending()) {
		if (cfg->poll_seconds && clock_monotonic() >= next_poll) {
			if (poll_once(q, web_lock(web), cfg) < 0)
				log_warn("poll: %s", error_last());
			next_poll = clock_monotonic() + cfg->poll_seconds;
		}
		clock_sleep_interruptible(200);
	}
	log_info("stopping: %s; giving back the jobs in hand",
		 sig_pending() == 15 ? "SIGTERM" : "interrupted");
done:
	web_stop(web);
	if (slots)
		slots_stop(slots, (size_t)cfg->workers);
	queue_close(q);
	if (ret == 0)
		log_info("stopped");
	return ret;
}

int serve_run_job(const struct serve_options *o, int64_t id, const char *owner)
{
	struct queue *q = NULL;
	int ret;

	sig_install();
	if ((ret = queue_open_sqlite(&q, o->cfg->database)) < 0)
		return ret;
	ret = job_run(q, o->cfg, o->fix, id, owner);
	queue_close(q);
	return ret;
}
