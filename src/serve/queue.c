#include "serve/queue.h"

#include "util/clock.h"
#include "util/error.h"
#include "util/xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The backend-neutral half of the queue: states, backoff, dispatch. */

static const char *const state_names[JOB_STATE_NR] = {
	[JOB_QUEUED] = "queued",
	[JOB_ANALYZING] = "analyzing",
	[JOB_FIXING] = "fixing",
	[JOB_FIXED] = "fixed",
	[JOB_ESCALATED] = "escalated",
	[JOB_FAILED] = "failed",
	[JOB_STALE] = "stale",
	[JOB_IGNORED] = "ignored",
	[JOB_DISCARDED] = "discarded",
};

const char *job_state_name(enum job_state state)
{
	return (unsigned)state < JOB_STATE_NR ? state_names[state] : NULL;
}

int job_state_parse(enum job_state *out, const char *name)
{
	size_t i;

	for (i = 0; i < JOB_STATE_NR; i++) {
		if (name && !strcmp(name, state_names[i])) {
			*out = (enum job_state)i;
			return 0;
		}
	}
	return error_setc(ERR_PARSE, "unknown job state '%s'", name ? name : "(null)");
}

int job_state_final(enum job_state state)
{
	return state >= JOB_FIXED && state < JOB_STATE_NR;
}

int job_state_allowed(enum job_state from, enum job_state to)
{
	switch (from) {
	case JOB_QUEUED:
		return to == JOB_ANALYZING || to == JOB_STALE || to == JOB_IGNORED ||
		       to == JOB_DISCARDED;
	case JOB_ANALYZING:
		return to == JOB_FIXING || to == JOB_ESCALATED || to == JOB_FAILED ||
		       to == JOB_STALE || to == JOB_IGNORED || to == JOB_QUEUED ||
		       to == JOB_DISCARDED;
	case JOB_FIXING:
		return to == JOB_FIXED || to == JOB_ESCALATED || to == JOB_FAILED ||
		       to == JOB_STALE || to == JOB_QUEUED || to == JOB_DISCARDED;
	default:
		return 0;
	}
}

void job_release(struct job *job)
{
	FREE_ALL(job->repository, job->head_sha, job->check, job->commit, job->reason,
		 job->category, job->payload, job->lease_owner);
	memset(job, 0, sizeof(*job));
}

void queue_jobs_free(struct job *jobs, size_t nr)
{
	FREE_ARRAY(jobs, nr, job_release);
}

static void transition_release(struct job_transition *t)
{
	free(t->reason);
}

void queue_history_free(struct job_transition *t, size_t nr)
{
	FREE_ARRAY(t, nr, transition_release);
}

static void process_release(struct queue_process *p)
{
	FREE_ALL(p->name, p->role);
}

void queue_processes_free(struct queue_process *p, size_t nr)
{
	FREE_ARRAY(p, nr, process_release);
}

static void counter_release(struct queue_counter *c)
{
	free(c->name);
}

void queue_counters_free(struct queue_counter *c, size_t nr)
{
	FREE_ARRAY(c, nr, counter_release);
}

static void message_release(struct queue_message *m)
{
	FREE_ALL(m->type, m->body);
}

void queue_messages_free(struct queue_message *m, size_t nr)
{
	FREE_ARRAY(m, nr, message_release);
}

double queue_backoff(int attempts, double u)
{
	double delay = QUEUE_BACKOFF_BASE_S;

	if (attempts < 0)
		attempts = 0;
	/* doubling past the cap needs no more steps (and cannot overflow) */
	while (attempts-- > 0 && delay < QUEUE_BACKOFF_CAP_S)
		delay *= 2;
	if (delay > QUEUE_BACKOFF_CAP_S)
		delay = QUEUE_BACKOFF_CAP_S;
	if (u < 0)
		u = 0;
	if (u >= 1)
		u = nextafter(1.0, 0.0);
	return delay * (1 + QUEUE_BACKOFF_JITTER * (2 * u - 1));
}

/* a uniform draw in [0, 1), per thread, seeded from the clock and the process */
static double jitter_draw(void)
{
	static _Thread_local uint64_t x;

	if (!x)
		x = (uint64_t)clock_monotonic_ns() ^ ((uint64_t)getpid() << 32) ^
		    (uint64_t)(uintptr_t)&x;
	if (!x)
		x = 0x9e3779b97f4a7c15ULL;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return (double)(x >> 11) / (double)(1ULL << 53);
}

/* dispatch */

int queue_is_pg(const char *database)
{
	return database && (!strncmp(database, "postgres://", 11) ||
			    !strncmp(database, "postgresql://", 13));
}

int queue_open(struct queue **out, const char *database)
{
	*out = NULL;
	if (!database || !*database)
		return error_setc(ERR_USAGE, "no database given for the queue");
	if (queue_is_pg(database))
		return queue_open_pg(out, database);
	return queue_open_sqlite(out, database);
}

void queue_close(struct queue *q)
{
	if (q)
		q->ops->close(q);
}

static int check_new(const struct job_new *n)
{
	if (!n->repository || !*n->repository)
		return error_setc(ERR_USAGE, "cannot enqueue a job: no repository");
	if (!n->head_sha || !*n->head_sha)
		return error_setc(ERR_USAGE, "cannot enqueue a job for '%s': no head commit",
				  n->repository);
	if (!n->check || !*n->check)
		return error_setc(ERR_USAGE, "cannot enqueue a job for '%s' at %s: no check name",
				  n->repository, n->head_sha);
	return 0;
}

static int check_owner(const char *owner, const char *what, int64_t id)
{
	if (!owner || !*owner)
		return error_setc(ERR_USAGE, "cannot %s job %lld: no lease owner given", what,
				  (long long)id);
	return 0;
}

static int check_lease(double lease_s)
{
	if (!(lease_s > 0))
		return error_setc(ERR_USAGE, "lease of %g seconds: it must be positive", lease_s);
	return 0;
}

int queue_enqueue(struct queue *q, struct job *out, int *created, const struct job_new *n)
{
	int ret, made = 0;

	memset(out, 0, sizeof(*out));
	if ((ret = check_new(n)) < 0)
		return ret;
	ret = q->ops->enqueue(q, out, &made, n);
	if (created)
		*created = made;
	return ret;
}

int queue_claim(struct queue *q, struct job *out, const char *owner, double lease_s)
{
	int ret;

	memset(out, 0, sizeof(*out));
	if (!owner || !*owner)
		return error_setc(ERR_USAGE, "cannot claim a job: no lease owner given");
	if ((ret = check_lease(lease_s)) < 0)
		return ret;
	return q->ops->claim(q, out, owner, lease_s);
}

int queue_renew(struct queue *q, int64_t id, const char *owner, int64_t fence, double lease_s)
{
	int ret;

	if ((ret = check_owner(owner, "renew", id)) < 0 || (ret = check_lease(lease_s)) < 0)
		return ret;
	return q->ops->renew(q, id, owner, fence, lease_s);
}

int queue_transition(struct queue *q, int64_t id, const char *owner, int64_t fence,
		     enum job_state to, const struct job_outcome *o)
{
	static const struct job_outcome none = JOB_OUTCOME_INIT;

	if (!job_state_name(to))
		return error_setc(ERR_USAGE, "cannot move job %lld: state %d is out of range",
				  (long long)id, (int)to);
	return q->ops->transition(q, id, owner, fence, to, o ? o : &none);
}

int queue_retry(struct queue *q, int64_t id, const char *owner, int64_t fence,
		const char *reason, int max_attempts)
{
	struct job job;
	int ret;

	if ((ret = check_owner(owner, "retry", id)) < 0 || (ret = queue_get(q, &job, id)) < 0)
		return ret;
	ret = q->ops->requeue(q, id, owner, fence, reason,
			      queue_backoff(job.attempts, jitter_draw()), 1, max_attempts);
	job_release(&job);
	return ret;
}

int queue_release(struct queue *q, int64_t id, const char *owner, int64_t fence,
		  const char *reason)
{
	int ret;

	if ((ret = check_owner(owner, "release", id)) < 0)
		return ret;
	ret = q->ops->requeue(q, id, owner, fence, reason, 0, 0, 0);
	return ret < 0 ? ret : 0;
}

int queue_manual(struct queue *q, int64_t id, enum job_state to, const char *reason)
{
	if (to != JOB_QUEUED && to != JOB_DISCARDED)
		return error_setc(ERR_USAGE, "job %lld can be retried or discarded by hand, not moved to '%s'",
				  (long long)id, job_state_name(to) ? job_state_name(to) : "?");
	return q->ops->manual(q, id, to, reason ? reason : "by hand");
}

int queue_wait(struct queue *q, long timeout_ms)
{
	if (timeout_ms < 0)
		timeout_ms = 0;
	return q->ops->wait(q, timeout_ms);
}

int queue_beat(struct queue *q, const char *name, const char *role, double started_at,
	       long jobs_done)
{
	if (!name || !*name || !role || !*role)
		return error_setc(ERR_USAGE, "a process beat without a name or a role");
	return q->ops->beat(q, name, role, started_at, jobs_done);
}

int queue_processes(struct queue *q, struct queue_process **out, size_t *nr)
{
	*out = NULL;
	*nr = 0;
	return q->ops->processes(q, out, nr);
}

int queue_list(struct queue *q, struct job **out, size_t *nr, size_t limit)
{
	*out = NULL;
	*nr = 0;
	return q->ops->list(q, out, nr, limit);
}

int queue_get(struct queue *q, struct job *out, int64_t id)
{
	memset(out, 0, sizeof(*out));
	return q->ops->get(q, out, id);
}

int queue_history(struct queue *q, struct job_transition **out, size_t *nr, int64_t id)
{
	*out = NULL;
	*nr = 0;
	return q->ops->history(q, out, nr, id);
}

int queue_delivery(struct queue *q, const char *id, int record, int *seen)
{
	*seen = 0;
	if (!id || !*id)
		return error_setc(ERR_USAGE, "a delivery without an id");
	return q->ops->delivery(q, id, record, seen);
}

int queue_counter_add(struct queue *q, const char *name, double delta)
{
	if (!name || !*name)
		return error_setc(ERR_USAGE, "a counter without a name");
	return q->ops->counter_add(q, name, delta);
}

int queue_counters(struct queue *q, struct queue_counter **out, size_t *nr)
{
	*out = NULL;
	*nr = 0;
	return q->ops->counters(q, out, nr);
}

int queue_message_add(struct queue *q, int64_t job, const char *type, const char *body)
{
	if (!type || !*type || !body)
		return error_setc(ERR_USAGE, "a message for job %lld without a type or a body",
				  (long long)job);
	return q->ops->message_add(q, job, type, body);
}

int queue_messages(struct queue *q, struct queue_message **out, size_t *nr, int64_t job)
{
	*out = NULL;
	*nr = 0;
	return q->ops->messages(q, out, nr, job);
}

int queue_depth(struct queue *q, size_t *out)
{
	*out = 0;
	return q->ops->depth(q, out);
}
