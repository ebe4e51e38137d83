#include "serve/serve.h"

#include "fix/fix.h"
#include "serve/config.h"
#include "serve/job.h"
#include "serve/notify.h"
#include "serve/poll.h"
#include "serve/queue.h"
#include "serve/web.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/proc.h"
#include "util/secret.h"
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
	char owner[160];             /* the lease owner: host, pid, slot */
	pthread_t thread;
	int started;
};

/* what a child's tick needs: the job, its lease, the log read so far */
struct child {
	struct slot *slot;
	struct queue *q;
	int64_t id;
	int64_t fence;               /* the claim's */
	double renewed;              /* monotonic time of the last renewal */
	struct proc_result *res;
	size_t logged;               /* bytes of res->err already logged */
	int lost_lease;
	int renew_failing;           /* the database could not be asked: said once */
};

static atomic_int stopping;
/* jobs this process's children took to a final state or gave back (its beats, /metrics) */
static atomic_long jobs_done;

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

	int err;

	child_log(c, 0);
	if (now - c->renewed < c->slot->o->lease_s / 3)
		return 0;
	err = queue_renew(c->q, c->id, c->slot->owner, c->fence, c->slot->o->lease_s);
	if (err == ERR_CONFLICT) {
		/* the job moved on or was taken: the child stops, nobody's work is lost */
		log_warn("job %lld: %s; stopping its worker", (long long)c->id, error_last());
		c->lost_lease = 1;
		return 1;
	}
	if (err < 0) {
		/*
		 * The database cannot be asked (a restart): tried again at the next
		 * tick. Should the lease run out meanwhile, the child's own renewal
		 * before its push is refused, and it does not push.
		 */
		if (!c->renew_failing)
			log_warn("job %lld: cannot renew its lease: %s; trying again", (long long)c->id,
				 error_last());
		c->renew_failing = 1;
		return 0;
	}
	if (c->renew_failing)
		log_info("job %lld: its lease is renewed again", (long long)c->id);
	c->renew_failing = 0;
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
	/* the same database (--db is in its command line already) */
	const char *db_env[] = { SERVE_DATABASE_ENV, "PGPASSWORD" };
	const char *v;
	size_t i;

	for (i = 0; i < sizeof(pass) / sizeof(pass[0]); i++)
		if (pass[i].value)
			strvec_pushf(env, "%s=%s", pass[i].name, pass[i].value);
	for (i = 0; i < sizeof(db_env) / sizeof(db_env[0]); i++)
		if ((v = getenv(db_env[i])) && *v)
			strvec_pushf(env, "%s=%s", db_env[i], v);
}

/* people hear of a job discarded after its worker crashed once too often */
static void tell_discarded(const struct serve_config *cfg, const struct job *job, const char *why)
{
	struct notify_targets t = {
		.telegram_api_url = cfg->telegram_api_url,
		.telegram_token = cfg->telegram_token,
		.telegram_chat_id = cfg->telegram_chat_id,
		.webhook_url = cfg->webhook_url,
	};
	struct notify_message m = {
		.outcome = "failed", .repository = job->repository,
		.pull_request = job->pull_request, .check = job->check, .summary = why,
		.confidence = job->confidence, .seconds = clock_wall() - job->created_at,
	};
	struct notify_report report = NOTIFY_REPORT_INIT;

	notify_send(&report, &t, &m);   /* a failed channel is logged by it */
	notify_report_release(&report);
}

/*
 * After the child: a job it left held goes back (stopping) or is retried (a
 * crash; discarded after the last attempt). 1 when the job left our hands
 * by our doing (a final state, given back, retried), 0 when someone else
 * has it or it could not be settled.
 */
static int child_settle(struct slot *sl, struct queue *q, const struct child *c)
{
	const struct serve_repo *repo;
	struct buf why = BUF_INIT, said = BUF_INIT;
	struct job job;
	int done = 0, st, max;

	if (c->lost_lease || queue_get(q, &job, c->id) < 0)
		return 0;
	if (job.fence != c->fence) {
		done = 0;           /* taken by another worker meanwhile */
	} else if (!job.lease_owner || strcmp(job.lease_owner, sl->owner) ||
		   job_state_final(job.state)) {
		done = 1;           /* the child moved it, or gave it back */
	} else if (c->res->interrupted || atomic_load(&stopping)) {
		done = queue_release(q, c->id, sl->owner, c->fence, "the service stopped") == 0;
		if (done)
			log_info("job %lld: given back (the service is stopping)", (long long)c->id);
	} else {
		repo = serve_config_repo(sl->o->cfg, job.repository);
		max = repo ? repo->max_attempts : SERVE_DEFAULT_MAX_ATTEMPTS;
		buf_adds(&why, "its worker ");
		proc_describe_exit(&why, c->res);
		st = queue_retry(q, c->id, sl->owner, c->fence, why.ptr, max);
		done = st >= 0;
		if (st == JOB_DISCARDED) {
			buf_addf(&said, "discarded after %d attempts: %s", max, why.ptr);
			log_info("job %lld: %s", (long long)c->id, said.ptr);
			tell_discarded(sl->o->cfg, &job, said.ptr);
		} else if (st >= 0) {
			log_info("job %lld: queued again: %s", (long long)c->id, why.ptr);
		}
	}
	if (!done && job.fence == c->fence && !c->lost_lease)
		log_warn("job %lld: cannot settle it after its worker: %s", (long long)c->id,
			 error_last());
	job_release(&job);
	buf_release(&why);
	buf_release(&said);
	return done;
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
	strvec_push(&argv, "--fence");
	strvec_pushf(&argv, "%lld", (long long)job->fence);
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
	if (child_settle(sl, q, &c))
		atomic_fetch_add(&jobs_done, 1);
	if (res.signal)
		sweep();    /* what a killed child could not remove */
	proc_result_release(&res);
	strvec_clear(&argv);
	strvec_clear(&env);
}

/* the database cannot be used: said once per outage, tried again after a growing pause */
static void outage(const struct slot *sl, long *pause_ms)
{
	if (!*pause_ms) {
		log_warn("worker %zu: the database cannot be used: %s; trying again", sl->index,
			 error_last());
		*pause_ms = SERVE_RETRY_MIN_MS;
	} else if ((*pause_ms *= 2) > SERVE_RETRY_MAX_MS) {
		*pause_ms = SERVE_RETRY_MAX_MS;
	}
	clock_sleep_interruptible(*pause_ms);
}

static void reachable(const struct slot *sl, long *pause_ms)
{
	if (*pause_ms)
		log_info("worker %zu: the database is back", sl->index);
	*pause_ms = 0;
}

static void *slot_main(void *arg)
{
	struct slot *sl = arg;
	const char *database = sl->o->cfg->database;
	long idle_ms = queue_is_pg(database) ? SERVE_IDLE_WAIT_MS : SERVE_IDLE_MS, pause_ms = 0;
	struct queue *q = NULL;
	struct job job;
	int ret;

	/* a database error never ends the slot: it waits for the database to be back */
	while (!atomic_load(&stopping) && !sig_pending()) {
		if (!q && queue_open(&q, database) < 0) {
			outage(sl, &pause_ms);
			continue;
		}
		ret = queue_claim(q, &job, sl->owner, sl->o->lease_s);
		if (ret == ERR_NOTFOUND) {
			reachable(sl, &pause_ms);
			/* a NOTIFY (PostgreSQL) ends it at once; else the poll */
			if (queue_wait(q, idle_ms) < 0)
				clock_sleep_interruptible(idle_ms);
			continue;
		}
		if (ret < 0) {
			outage(sl, &pause_ms);
			continue;
		}
		reachable(sl, &pause_ms);
		log_info("job %lld: %s@%.7s %s: %s by %s (fence %lld%s)", (long long)job.id,
			 job.repository, job.head_sha, job.check, job_state_name(job.state), sl->owner,
			 (long long)job.fence, job.rescue_count ? ", rescued" : "");
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
	for (i = 0; slots && i < nr; i++)
		if (slots[i].started)
			pthread_join(slots[i].thread, NULL);
	free(slots);
}

static int slots_start(struct slot **out, const struct serve_options *o, const char *instance)
{
	struct slot *slots;
	size_t i, nr = (size_t)o->cfg->workers;

	*out = slots = xcalloc(nr, sizeof(*slots));
	for (i = 0; i < nr; i++) {
		slots[i].o = o;
		slots[i].index = i;
		snprintf(slots[i].owner, sizeof(slots[i].owner), "%s:%zu", instance, i);
		if (pthread_create(&slots[i].thread, NULL, slot_main, &slots[i]) != 0)
			return error_set("cannot start worker %zu", i);
		slots[i].started = 1;
	}
	return 0;
}

/* this process is alive (the database's registry of processes); a failure is said once */
static void beat(struct queue *q, struct web *web, const struct web_self *self, int *failing)
{
	pthread_mutex_t *lock = web ? web_lock(web) : NULL;
	int err;

	if (lock)
		pthread_mutex_lock(lock);
	err = queue_beat(q, self->instance, self->role, self->started_at, atomic_load(&jobs_done));
	if (lock)
		pthread_mutex_unlock(lock);
	if (err < 0 && !*failing)
		log_warn("cannot tell the database this process is alive: %s", error_last());
	*failing = err < 0;
}

/* what the start's log line says: who, what, on which database */
static void describe(struct buf *out, const struct serve_config *cfg, const char *instance)
{
	char *shown = queue_display_name(cfg->database);

	buf_addf(out, "%s, role %s, database %s, ", instance, serve_role_name(cfg->role), shown);
	if (cfg->role == SERVE_ROLE_WEB)
		buf_adds(out, "no workers");
	else
		buf_addf(out, "%d worker%s", cfg->workers, cfg->workers == 1 ? "" : "s");
	if (cfg->poll_seconds && cfg->role != SERVE_ROLE_WORKER)
		buf_adds(out, ", polling GitHub");
	secret_redact(out);
	free(shown);
}

int serve_run(const struct serve_options *o)
{
	const struct serve_config *cfg = o->cfg;
	int web_role = cfg->role != SERVE_ROLE_WORKER, work_role = cfg->role != SERVE_ROLE_WEB;
	struct queue *q = NULL;
	struct web *web = NULL;
	struct slot *slots = NULL;
	struct buf about = BUF_INIT;
	char host[64] = "localhost", instance[128];
	struct web_self self;
	double next_poll = 0, next_beat = 0;
	int ret, beat_failing = 0;

	sig_install();
	atomic_store(&stopping, 0);
	atomic_store(&jobs_done, 0);
	gethostname(host, sizeof(host) - 1);
	snprintf(instance, sizeof(instance), "%s:%ld", host, (long)getpid());
	self = (struct web_self){ .instance = instance, .role = serve_role_name(cfg->role),
				  .started_at = clock_wall(),
				  .jobs_done = work_role ? &jobs_done : NULL };
	if (!cfg->repos_nr)
		log_warn("the configuration names no repository: every delivery will be refused");
	if (web_role && !cfg->webhook_secret && !cfg->poll_seconds)
		log_warn("GITHUB_WEBHOOK_SECRET is not set: every delivery will be refused (401)");
	if ((ret = queue_open(&q, cfg->database)) < 0)
		goto done;
	if (work_role)
		sweep();
	describe(&about, cfg, instance);
	if (web_role) {
		if ((ret = web_start(&web, q, cfg, &self)) < 0)
			goto done;
		log_info("listening on http://%s:%d/ (%s)", cfg->host, web_port(web), about.ptr);
	} else {
		log_info("working the queue (%s)", about.ptr);
	}
	if (work_role && (ret = slots_start(&slots, o, instance)) < 0)
		goto done;
	while (!sig_pending()) {
		if (clock_monotonic() >= next_beat) {
			beat(q, web, &self, &beat_failing);
			next_beat = clock_monotonic() + SERVE_BEAT_S;
		}
		if (web && cfg->poll_seconds && clock_monotonic() >= next_poll) {
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
	slots_stop(slots, (size_t)cfg->workers);
	queue_close(q);
	buf_release(&about);
	if (ret == 0)
		log_info("stopped");
	return ret;
}

int serve_run_job(const struct serve_options *o, int64_t id, const char *owner, int64_t fence)
{
	struct job_lease lease = { .id = id, .owner = owner, .fence = fence, .lease_s = o->lease_s };
	struct queue *q = NULL;
	int ret;

	sig_install();
	/* a worker killed with SIGKILL takes its job's agent and pytest runs with it */
	proc_die_with_parent(getppid());
	if ((ret = queue_open(&q, o->cfg->database)) < 0)
		return ret;
	ret = job_run(q, o->cfg, o->fix, &lease);
	queue_close(q);
	return ret;
}
