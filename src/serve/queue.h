#ifndef SERVE_QUEUE_H
#define SERVE_QUEUE_H

#include <stddef.h>
#include <stdint.h>

/*
 * The service's durable job queue: one interface (struct queue_ops), one
 * backend per database. SQLite (WAL) is the default, for one machine
 * (queue_open_sqlite()); PostgreSQL (queue_open_pg(), libpq) is shared by
 * any number of `serve` processes on any machines. queue_open() picks the
 * backend by the database's name: a postgres:// or postgresql:// URL, or a
 * SQLite file's path.
 *
 * A job is unique per (repository, head_sha, check): a unique constraint,
 * so two processes receiving one delivery make one job. Jobs move through
 *   queued -> analyzing -> fixing -> fixed | escalated | failed
 * and stale / ignored / discarded; every transition is stored with its
 * time, an illegal one is refused (ERR_CONFLICT naming both states).
 *
 * A worker holds a job by a lease (owner + expiry, wall-clock seconds so it
 * survives a restart): queue_claim() takes the oldest runnable job (queued
 * and past its not-before time, or analyzing/fixing with a lease that ran
 * out because its worker died: a rescue, counted in rescue_count),
 * queue_renew() extends the lease for its holder only, and a leased job
 * moves on only by its holder.
 *
 * Fencing: every claim gives the job a new fence token (job.fence, one
 * more than the last). A holder names its lease by owner *and* fence, so a
 * worker that was paused past its lease (SIGSTOP, a long GC, a stalled VM)
 * and whose job was rescued meanwhile is refused (ERR_CONFLICT) on its next
 * renew, transition or requeue, even when its owner name is the same. A
 * worker calls queue_renew() just before it pushes: a refusal means "do not
 * push". queue_manual() also moves the fence on, so a job retried or
 * discarded by hand is out of its old holder's reach.
 *
 * Ownership: struct job's strings are its own (job_release()); arrays
 * returned are the caller's (queue_jobs_free(), queue_history_free()).
 */

#define QUEUE_BUSY_TIMEOUT_MS 5000      /* wait this long for another writer */
#define QUEUE_BACKOFF_BASE_S 2.0        /* first retry after about this long */
#define QUEUE_BACKOFF_CAP_S 900.0       /* no retry waits longer (before jitter) */
#define QUEUE_BACKOFF_JITTER 0.2        /* +/- this fraction of the delay */
#define QUEUE_CHANNEL "pytest_fixer_jobs" /* PostgreSQL: NOTIFY'd when a job may be runnable */
#define QUEUE_PROCESS_TTL_S 30.0        /* a process not seen for this long is gone */

enum job_state {
	JOB_QUEUED,
	JOB_ANALYZING,
	JOB_FIXING,
	JOB_FIXED,
	JOB_ESCALATED,
	JOB_FAILED,
	JOB_STALE,
	JOB_IGNORED,
	JOB_DISCARDED,         /* its last retry failed, or discarded by hand */
	JOB_STATE_NR
};

/* "queued", ...; NULL for a value out of range */
const char *job_state_name(enum job_state state);
/* ERR_PARSE naming `name` when it is no state */
int job_state_parse(enum job_state *out, const char *name);
/* 1 when the job's life is over (fixed, escalated, failed, stale, ignored, discarded) */
int job_state_final(enum job_state state);
/* 1 when `from -> to` is a transition of the life above */
int job_state_allowed(enum job_state from, enum job_state to);

struct job {
	int64_t id;
	char *repository;      /* owner/name */
	long pull_request;     /* 0: none */
	char *head_sha;
	char *check;           /* the check run's or workflow job's name */
	enum job_state state;
	double confidence;     /* -1: not analysed yet */
	int attempts;          /* retries so far */
	double created_at;     /* wall-clock seconds */
	double finished_at;    /* 0: not finished */
	double not_before;     /* not claimed before this time (a retry's backoff) */
	char *commit;          /* the fix's commit, or NULL */
	char *reason;          /* why it is where it is, or NULL */
	char *category;        /* the analysis's failure category, or NULL */
	char *payload;         /* the event's text, as received */
	char *lease_owner;     /* NULL: not held */
	double lease_until;
	int64_t fence;         /* the fencing token of the last claim (0: never claimed) */
	int rescue_count;      /* claims of this job after a lease ran out */
};

void job_release(struct job *job);

/* what queue_enqueue() takes (borrowed) */
struct job_new {
	const char *repository;
	long pull_request;
	const char *head_sha;
	const char *check;
	const char *payload;   /* NULL: "" */
	/*
	 * Non-NULL: the job is born ignored (a fork's), with this reason, in the
	 * transaction that creates it (queued, then ignored, in its history), so
	 * no worker ever claims it in between. An existing job is left as it is.
	 */
	const char *ignored_reason;
};

/* what a transition may record besides the state (borrowed; NULL/negative: unchanged) */
struct job_outcome {
	double confidence;     /* < 0: unchanged */
	const char *commit;
	const char *reason;
	const char *category;
};

#define JOB_OUTCOME_INIT { .confidence = -1 }

struct job_transition {
	enum job_state from;   /* JOB_STATE_NR: none (the job was created) */
	enum job_state to;
	double at;
	char *reason;
};

/* a named figure the workers add to (LLM tokens, rate-limit waits, ...) */
struct queue_counter {
	char *name;            /* a Prometheus series: name{label="value",...} */
	double value;
};

/* one of the seed's messages (check.failed, fix.requested, notification.send) */
struct queue_message {
	int64_t id;
	int64_t job;
	char *type;            /* its event_type */
	char *body;            /* its JSON text */
	double at;
};

/* a `serve` process, as it last said it was alive (queue_beat()) */
struct queue_process {
	char *name;            /* "host:pid" */
	char *role;            /* "web", "worker" or "all" */
	double started_at;
	double seen_at;
	long jobs_done;        /* jobs it took to a final state or gave back */
};

struct queue;

struct queue_ops {
	const char *name;
	void (*close)(struct queue *q);
	int (*enqueue)(struct queue *q, struct job *out, int *created, const struct job_new *n);
	int (*claim)(struct queue *q, struct job *out, const char *owner, double lease_s);
	int (*renew)(struct queue *q, int64_t id, const char *owner, int64_t fence,
		     double lease_s);
	int (*transition)(struct queue *q, int64_t id, const char *owner, int64_t fence,
			  enum job_state to, const struct job_outcome *o);
	/*
	 * Back to queued after delay_s; with count_attempt, attempts + 1, and
	 * when that reaches max_attempts (> 0), discarded instead. Returns the
	 * state the job is in now (JOB_QUEUED or JOB_DISCARDED).
	 */
	int (*requeue)(struct queue *q, int64_t id, const char *owner, int64_t fence,
		       const char *reason, double delay_s, int count_attempt, int max_attempts);
	int (*manual)(struct queue *q, int64_t id, enum job_state to, const char *reason);
	int (*wait)(struct queue *q, long timeout_ms);
	int (*beat)(struct queue *q, const char *name, const char *role, double started_at,
		    long jobs_done);
	int (*processes)(struct queue *q, struct queue_process **out, size_t *nr);
	int (*list)(struct queue *q, struct job **out, size_t *nr, size_t limit);
	int (*get)(struct queue *q, struct job *out, int64_t id);
	int (*history)(struct queue *q, struct job_transition **out, size_t *nr, int64_t id);
	int (*delivery)(struct queue *q, const char *id, int record, int *seen);
	int (*counter_add)(struct queue *q, const char *name, double delta);
	int (*counters)(struct queue *q, struct queue_counter **out, size_t *nr);
	int (*message_add)(struct queue *q, int64_t job, const char *type, const char *body);
	int (*messages)(struct queue *q, struct queue_message **out, size_t *nr, int64_t job);
	int (*depth)(struct queue *q, size_t *out);
};

/* a backend's handle starts with this */
struct queue {
	const struct queue_ops *ops;
};

/*
 * Open (creating or migrating its schema) the queue named `database`: a
 * postgres:// or postgresql:// URL (queue_open_pg()), else a SQLite file's
 * path (queue_open_sqlite()). The caller closes it with queue_close().
 */
int queue_open(struct queue **out, const char *database);
/* 1 when `database` names a PostgreSQL database (a postgres:// or postgresql:// URL) */
int queue_is_pg(const char *database);
/* open (creating) the SQLite queue at `path` */
int queue_open_sqlite(struct queue **out, const char *path);
/*
 * Connect to the PostgreSQL database of `url` (libpq: the password from the
 * URL, PGPASSWORD or ~/.pgpass), create or migrate the schema under an
 * advisory lock (a version table says which), and LISTEN on QUEUE_CHANNEL.
 * A bad URL, a refused password or a server that cannot be reached is
 * ERR_USAGE naming the URL without its password. A connection lost later
 * is reconnected once per operation before the operation fails.
 */
int queue_open_pg(struct queue **out, const char *url);
/*
 * `database` as it may be shown: a URL's password replaced by "***"
 * (postgres://user:***@host/db); a path as it is. The caller frees it.
 */
char *queue_display_name(const char *database);
/* close and free; NULL is fine */
void queue_close(struct queue *q);

/*
 * Add a job for (repository, head_sha, check), queued, with its first
 * transition. When one exists already, `out` is that job and *created is 0
 * (it is not queued again); otherwise *created is 1. `created` may be NULL.
 */
int queue_enqueue(struct queue *q, struct job *out, int *created, const struct job_new *n);
/*
 * Atomically take the oldest runnable job for `owner` for `lease_s` seconds:
 * a queued one becomes analyzing; one whose lease ran out keeps its state
 * and changes owner (recorded as a transition to itself). ERR_NOTFOUND
 * when nothing is runnable.
 */
int queue_claim(struct queue *q, struct job *out, const char *owner, double lease_s);
/*
 * Extend the lease to now + lease_s: ERR_CONFLICT unless `owner` holds it
 * under `fence` (the claim's job.fence) and the job is not final. Called
 * before a push: a refusal means the job is someone else's now.
 */
int queue_renew(struct queue *q, int64_t id, const char *owner, int64_t fence, double lease_s);
/*
 * Move job `id` to `to` (a final state ends the lease and sets finished_at).
 * A leased job moves only by its holder, owner and fence (ERR_CONFLICT
 * otherwise); a queued one (to stale, ignored or discarded) takes owner
 * NULL and fence 0. `o` may be NULL.
 */
int queue_transition(struct queue *q, int64_t id, const char *owner, int64_t fence,
		     enum job_state to, const struct job_outcome *o);
/*
 * A failed step: the job goes back to queued, not to be claimed before
 * now + queue_backoff(attempts), and its attempts count one more; when
 * that makes max_attempts (> 0; 0: no limit), it is discarded instead.
 * Returns JOB_QUEUED or JOB_DISCARDED, or the error.
 */
int queue_retry(struct queue *q, int64_t id, const char *owner, int64_t fence,
		const char *reason, int max_attempts);
/*
 * Give a held job back (the worker is stopping): queued again at once, its
 * attempts not counted, the lease ended.
 */
int queue_release(struct queue *q, int64_t id, const char *owner, int64_t fence,
		  const char *reason);
/*
 * By hand (`pytest-fixer jobs`), whoever holds the job:
 *  - to JOB_QUEUED (retry): a job that is not queued already, final or
 *    held, is queued again at once with attempts 0;
 *  - to JOB_DISCARDED: a job that is not final is discarded.
 * Either ends the lease and moves the fence on (its old holder is refused
 * from then on), and is recorded with `reason` (NULL: "by hand").
 * ERR_CONFLICT naming the state when there is nothing to do (retrying a
 * queued job, discarding a final one); other targets are ERR_USAGE.
 */
int queue_manual(struct queue *q, int64_t id, enum job_state to, const char *reason);
/*
 * Wait until a job may have become runnable, at most timeout_ms: on
 * PostgreSQL a NOTIFY on QUEUE_CHANNEL (sent by every enqueue, requeue and
 * manual retry) ends it at once (1); on SQLite it is a sleep. Returns 0
 * on a timeout or a signal. A caller claims after it either way (the poll
 * is the fallback for a lost notification).
 */
int queue_wait(struct queue *q, long timeout_ms);
/*
 * Process `name` ("host:pid") of `role` is alive now: stored with its start
 * and how many jobs it has done (an upsert; the cluster's /metrics count
 * these). Processes not seen for QUEUE_PROCESS_TTL_S are dropped by the
 * next beat of anyone.
 */
int queue_beat(struct queue *q, const char *name, const char *role, double started_at,
	       long jobs_done);
/* the processes seen within QUEUE_PROCESS_TTL_S, by name */
int queue_processes(struct queue *q, struct queue_process **out, size_t *nr);
/* the newest `limit` jobs (0: all), newest first */
int queue_list(struct queue *q, struct job **out, size_t *nr, size_t limit);
/* ERR_NOTFOUND naming the id */
int queue_get(struct queue *q, struct job *out, int64_t id);
/* the job's transitions, oldest first */
int queue_history(struct queue *q, struct job_transition **out, size_t *nr, int64_t id);

/*
 * GitHub deliveries already taken: *seen is 1 when delivery `id` was
 * recorded before; with `record`, it is recorded now (once). The intake
 * looks first and records only after the event is queued, so a crash in
 * between makes GitHub's redelivery count, not vanish.
 */
int queue_delivery(struct queue *q, const char *id, int record, int *seen);
/* add `delta` to the counter `name` (created at 0) */
int queue_counter_add(struct queue *q, const char *name, double delta);
/* every counter, by name */
int queue_counters(struct queue *q, struct queue_counter **out, size_t *nr);
/* store one of the seed's messages for job `job` (0: none) */
int queue_message_add(struct queue *q, int64_t job, const char *type, const char *body);
/* job `job`'s messages (0: all), oldest first */
int queue_messages(struct queue *q, struct queue_message **out, size_t *nr, int64_t job);
/* jobs queued or held (not final) */
int queue_depth(struct queue *q, size_t *out);

void queue_jobs_free(struct job *jobs, size_t nr);
void queue_counters_free(struct queue_counter *c, size_t nr);
void queue_messages_free(struct queue_message *m, size_t nr);
void queue_history_free(struct job_transition *t, size_t nr);
void queue_processes_free(struct queue_process *p, size_t nr);

/*
 * The delay before retry number attempts + 1: QUEUE_BACKOFF_BASE_S *
 * 2^attempts, capped at QUEUE_BACKOFF_CAP_S, times 1 + jitter * (2u - 1)
 * for `u` in [0, 1) (queue_retry() draws it at random).
 */
double queue_backoff(int attempts, double u);

#endif
