#include "serve/queue.h"

#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/xalloc.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <string.h>

/*
 * The SQLite backend of the queue: one connection per handle, in WAL mode
 * with synchronous = FULL (a committed job survives a power loss), every
 * change in one BEGIN IMMEDIATE transaction so that two connections on one
 * file never take the same job. Statements are prepared once per handle.
 */

#define QUEUE_SQLITE_APP_ID 1346787409   /* "PFSQ" minus one, next to the store's */
#define QUEUE_SQLITE_VERSION 2

/* the jobs table as of version 2 (named `name`: a migration builds it beside the old one) */
#define JOBS_TABLE(name)                                                                  \
	"CREATE TABLE " name " ("                                                         \
	"  id INTEGER PRIMARY KEY,"                                                       \
	"  repository TEXT NOT NULL,"                                                     \
	"  pull_request INTEGER NOT NULL DEFAULT 0,"                                      \
	"  head_sha TEXT NOT NULL,"                                                       \
	"  check_name TEXT NOT NULL,"                                                     \
	"  state TEXT NOT NULL CHECK (state IN ('queued', 'analyzing', 'fixing', 'fixed',"  \
	"                                       'escalated', 'failed', 'stale', 'ignored',"  \
	"                                       'discarded')),"                           \
	"  confidence REAL NOT NULL DEFAULT -1,"                                          \
	"  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),"                    \
	"  created_at REAL NOT NULL,"                                                     \
	"  finished_at REAL NOT NULL DEFAULT 0,"                                          \
	"  not_before REAL NOT NULL DEFAULT 0,"                                           \
	"  commit_id TEXT,"                                                               \
	"  reason TEXT,"                                                                  \
	"  payload TEXT NOT NULL DEFAULT '',"                                             \
	"  lease_owner TEXT,"                                                             \
	"  lease_until REAL NOT NULL DEFAULT 0,"                                          \
	"  category TEXT,"                                                                \
	"  fence INTEGER NOT NULL DEFAULT 0,"                                             \
	"  rescue_count INTEGER NOT NULL DEFAULT 0,"                                      \
	"  UNIQUE (repository, head_sha, check_name)"                                     \
	");"

#define JOBS_INDEXES                                                             \
	"CREATE INDEX jobs_runnable ON jobs (state, id);"                            \
	"CREATE INDEX jobs_held ON jobs (id) WHERE state IN ('analyzing', 'fixing');"

#define PROCESSES_TABLE                                                          \
	"CREATE TABLE processes ("                                                   \
	"  name TEXT PRIMARY KEY,"                                                   \
	"  role TEXT NOT NULL,"                                                      \
	"  started_at REAL NOT NULL,"                                                \
	"  seen_at REAL NOT NULL,"                                                   \
	"  jobs_done INTEGER NOT NULL DEFAULT 0"                                     \
	") WITHOUT ROWID;"

static const char schema[] =
	JOBS_TABLE("jobs")
	JOBS_INDEXES
	"CREATE TABLE transitions ("
	"  id INTEGER PRIMARY KEY,"
	"  job INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,"
	"  from_state TEXT,"
	"  to_state TEXT NOT NULL,"
	"  at REAL NOT NULL,"
	"  reason TEXT"
	");"
	"CREATE INDEX transitions_job ON transitions (job, id);"
	"CREATE TABLE deliveries (id TEXT PRIMARY KEY, at REAL NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE counters (name TEXT PRIMARY KEY, value REAL NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE messages ("
	"  id INTEGER PRIMARY KEY,"
	"  job INTEGER NOT NULL DEFAULT 0,"
	"  type TEXT NOT NULL,"
	"  body TEXT NOT NULL,"
	"  at REAL NOT NULL"
	");"
	"CREATE INDEX messages_job ON messages (job, id);"
	PROCESSES_TABLE
	"PRAGMA application_id = 1346787409;"
	"PRAGMA user_version = 2;";

/*
 * Version 1 to 2: the jobs gain a fence and a rescue count, and may be
 * discarded (a CHECK that SQLite cannot alter: the table is rebuilt, with
 * foreign keys off so that the transitions stay), and processes beat.
 */
#define V1_JOB_COLUMNS                                                                 \
	"id, repository, pull_request, head_sha, check_name, state, confidence, attempts," \
	" created_at, finished_at, not_before, commit_id, reason, payload, lease_owner,"  \
	" lease_until, category"

static const char migrate_v1[] =
	JOBS_TABLE("jobs_v2")
	"INSERT INTO jobs_v2 (" V1_JOB_COLUMNS ") SELECT " V1_JOB_COLUMNS " FROM jobs;"
	"DROP TABLE jobs;"
	"ALTER TABLE jobs_v2 RENAME TO jobs;"
	JOBS_INDEXES
	PROCESSES_TABLE
	"PRAGMA user_version = 2;";

#define JOB_COLUMNS V1_JOB_COLUMNS ", fence, rescue_count"

enum stmt_id {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_INSERT,
	ST_BY_KEY,
	ST_BY_ID,
	ST_DUE,
	ST_EXPIRED,
	ST_LEASE,
	ST_RENEW,
	ST_MOVE,
	ST_REQUEUE,
	ST_RECORD,
	ST_LIST,
	ST_HISTORY,
	ST_DELIVERY_GET,
	ST_DELIVERY_PUT,
	ST_COUNTER_ADD,
	ST_COUNTERS,
	ST_MESSAGE_ADD,
	ST_MESSAGES,
	ST_DEPTH,
	ST_MANUAL,
	ST_BEAT,
	ST_FORGET,
	ST_PROCESSES,
	ST_NR
};

static const char *const stmt_sql[ST_NR] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_INSERT] = "INSERT INTO jobs (repository, pull_request, head_sha, check_name, state,"
		      " created_at, payload, reason, finished_at) VALUES (?1, ?2, ?3, ?4, ?7, ?5,"
		      " ?6, ?8, CASE WHEN ?7 = 'queued' THEN 0 ELSE ?5 END)"
		      " ON CONFLICT (repository, head_sha, check_name) DO NOTHING",
	[ST_BY_KEY] = "SELECT " JOB_COLUMNS " FROM jobs"
		      " WHERE repository = ?1 AND head_sha = ?2 AND check_name = ?3",
	[ST_BY_ID] = "SELECT " JOB_COLUMNS " FROM jobs WHERE id = ?1",
	/*
	 * A claim takes the older of the two: each walks an index in id order
	 * (an OR, or a sort, would cost a table scan or a sorter a claim).
	 */
	[ST_DUE] = "SELECT " JOB_COLUMNS " FROM jobs INDEXED BY jobs_runnable"
		   " WHERE state = 'queued' AND not_before <= ?1 ORDER BY id LIMIT 1",
	[ST_EXPIRED] = "SELECT " JOB_COLUMNS " FROM jobs INDEXED BY jobs_held"
		       " WHERE state IN ('analyzing', 'fixing') AND lease_until <= ?1"
		       " ORDER BY id LIMIT 1",
	[ST_LEASE] = "UPDATE jobs SET state = ?2, lease_owner = ?3, lease_until = ?4,"
		     " fence = ?5, rescue_count = rescue_count + ?6 WHERE id = ?1",
	[ST_RENEW] = "UPDATE jobs SET lease_until = ?3 WHERE id = ?1 AND lease_owner = ?2"
		     " AND fence = ?4 AND state IN ('analyzing', 'fixing')",
	[ST_MOVE] = "UPDATE jobs SET state = ?2,"
		    " confidence = CASE WHEN ?3 >= 0 THEN ?3 ELSE confidence END,"
		    " commit_id = coalesce(?4, commit_id), reason = coalesce(?5, reason),"
		    " finished_at = ?6, lease_owner = ?7, lease_until = ?8,"
		    " category = coalesce(?9, category) WHERE id = ?1",
	[ST_REQUEUE] = "UPDATE jobs SET state = ?5, attempts = attempts + ?4, not_before = ?2,"
		       " reason = coalesce(?3, reason), lease_owner = NULL, lease_until = 0,"
		       " finished_at = ?6 WHERE id = ?1",
	[ST_RECORD] = "INSERT INTO transitions (job, from_state, to_state, at, reason)"
		      " VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_LIST] = "SELECT " JOB_COLUMNS " FROM jobs ORDER BY id DESC LIMIT ?1",
	[ST_HISTORY] = "SELECT from_state, to_state, at, reason FROM transitions"
		       " WHERE job = ?1 ORDER BY id",
	[ST_DELIVERY_GET] = "SELECT 1 FROM deliveries WHERE id = ?1",
	[ST_DELIVERY_PUT] = "INSERT INTO deliveries (id, at) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
	[ST_COUNTER_ADD] = "INSERT INTO counters (name, value) VALUES (?1, ?2)"
			   " ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
	[ST_COUNTERS] = "SELECT name, value FROM counters ORDER BY name",
	[ST_MESSAGE_ADD] = "INSERT INTO messages (job, type, body, at) VALUES (?1, ?2, ?3, ?4)",
	[ST_MESSAGES] = "SELECT id, job, type, body, at FROM messages"
			" WHERE ?1 = 0 OR job = ?1 ORDER BY id",
	[ST_DEPTH] = "SELECT count(*) FROM jobs WHERE state IN ('queued', 'analyzing', 'fixing')",
	/* by hand: to ?2 ('queued' or 'discarded'), out of any holder's reach */
	[ST_MANUAL] = "UPDATE jobs SET state = ?2, reason = ?3, finished_at = ?4,"
		      " attempts = CASE WHEN ?2 = 'queued' THEN 0 ELSE attempts END,"
		      " not_before = CASE WHEN ?2 = 'queued' THEN ?5 ELSE not_before END,"
		      " lease_owner = NULL, lease_until = 0, fence = fence + 1 WHERE id = ?1",
	[ST_BEAT] = "INSERT INTO processes (name, role, started_at, seen_at, jobs_done)"
		    " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (name) DO UPDATE SET"
		    " role = excluded.role, started_at = excluded.started_at,"
		    " seen_at = excluded.seen_at, jobs_done = excluded.jobs_done",
	[ST_FORGET] = "DELETE FROM processes WHERE seen_at < ?1",
	[ST_PROCESSES] = "SELECT name, role, started_at, seen_at, jobs_done FROM processes"
			 " WHERE seen_at >= ?1 ORDER BY name",
};

struct sqlite_queue {
	struct queue base;
	sqlite3 *db;
	char *path;
	sqlite3_stmt *st[ST_NR];
};

static struct sqlite_queue *sq_of(struct queue *q)
{
	return (struct sqlite_queue *)q;
}

/* helpers */

/* "<context>: <what SQLite said>", as one of our codes */
static int sq_error(struct sqlite_queue *s, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int sq_error(struct sqlite_queue *s, int rc, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;
	int code = ERR_GENERIC;

	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		code = ERR_TIMEOUT;
		buf_addf(&msg, ": queue '%s' stayed locked by another writer for %d ms", s->path,
			 QUEUE_BUSY_TIMEOUT_MS);
		break;
	case SQLITE_CONSTRAINT:
		code = ERR_CONFLICT;
		/* fall through */
	default:
		if (!strstr(msg.ptr, s->path))
			buf_addf(&msg, ": queue '%s'", s->path);
		buf_addf(&msg, ": %s",
			 s->db && sqlite3_extended_errcode(s->db) == rc ? sqlite3_errmsg(s->db)
									 : sqlite3_errstr(rc));
		break;
	}
	error_setc(code, "%s", msg.ptr);
	buf_release(&msg);
	return code;
}

/*
 * The handle's statement `id`, reset, with ?1, ?2, ... bound in order, one
 * letter each: 's' const char * (NULL binds NULL), 'I' int64_t, 'l' long,
 * 'f' double. NULL (and the error set) on failure.
 */
static sqlite3_stmt *sq_stmt(struct sqlite_queue *s, enum stmt_id id, const char *fmt, ...)
{
	sqlite3_stmt *st = s->st[id];
	va_list ap;
	int rc = SQLITE_OK, i;

	if (!st) {
		rc = sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &st,
					NULL);
		if (rc != SQLITE_OK) {
			sq_error(s, rc, "cannot prepare a statement");
			return NULL;
		}
		s->st[id] = st;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	va_start(ap, fmt);
	for (i = 1; *fmt && rc == SQLITE_OK; fmt++, i++) {
		switch (*fmt) {
		case 's':
			rc = sqlite3_bind_text(st, i, va_arg(ap, const char *), -1, SQLITE_TRANSIENT);
			break;
		case 'I':
			rc = sqlite3_bind_int64(st, i, va_arg(ap, int64_t));
			break;
		case 'l':
			rc = sqlite3_bind_int64(st, i, va_arg(ap, long));
			break;
		case 'f':
			rc = sqlite3_bind_double(st, i, va_arg(ap, double));
			break;
		default:
			rc = SQLITE_MISUSE;
			break;
		}
	}
	va_end(ap);
	if (rc != SQLITE_OK) {
		sq_error(s, rc, "cannot bind a statement's parameters");
		return NULL;
	}
	return st;
}

/* step a statement that returns no rows; 0 or the error about `what` */
static int sq_done(struct sqlite_queue *s, sqlite3_stmt *st, const char *what, int64_t id)
{
	int rc;

	if (!st)
		return error_prefix(ERR_GENERIC, "cannot %s job %lld", what, (long long)id);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return sq_error(s, rc, "cannot %s job %lld", what, (long long)id);
	return 0;
}

static int sq_exec(struct sqlite_queue *s, enum stmt_id id, const char *what)
{
	return sq_done(s, sq_stmt(s, id, ""), what, 0);
}

static int sq_begin(struct sqlite_queue *s)
{
	return sq_exec(s, ST_BEGIN, "begin a transaction for a");
}

/* commit when ret is 0, else roll back; returns ret, or the commit's failure */
static int sq_end(struct sqlite_queue *s, int ret)
{
	if (ret == 0)
		ret = sq_exec(s, ST_COMMIT, "commit a transaction for a");
	if (ret < 0 && !sqlite3_get_autocommit(s->db)) {
		sqlite3_stmt *st = sq_stmt(s, ST_ROLLBACK, "");
		if (st) {
			sqlite3_step(st);
			sqlite3_reset(st);
		}
	}
	return ret;
}

static char *col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *v = sqlite3_column_text(st, i);
	return v ? xstrdup((const char *)v) : NULL;
}

/* the row's job (JOB_COLUMNS); ERR_PARSE naming a state we do not know */
static int read_job(struct job *out, sqlite3_stmt *st)
{
	const char *state = (const char *)sqlite3_column_text(st, 5);

	memset(out, 0, sizeof(*out));
	out->id = sqlite3_column_int64(st, 0);
	if (job_state_parse(&out->state, state) < 0)
		return error_prefix(ERR_PARSE, "cannot read job %lld", (long long)out->id);
	out->repository = col_dup(st, 1);
	out->pull_request = (long)sqlite3_column_int64(st, 2);
	out->head_sha = col_dup(st, 3);
	out->check = col_dup(st, 4);
	out->confidence = sqlite3_column_double(st, 6);
	out->attempts = sqlite3_column_int(st, 7);
	out->created_at = sqlite3_column_double(st, 8);
	out->finished_at = sqlite3_column_double(st, 9);
	out->not_before = sqlite3_column_double(st, 10);
	out->commit = col_dup(st, 11);
	out->reason = col_dup(st, 12);
	out->payload = col_dup(st, 13);
	out->lease_owner = col_dup(st, 14);
	out->lease_until = sqlite3_column_double(st, 15);
	out->category = col_dup(st, 16);
	out->fence = sqlite3_column_int64(st, 17);
	out->rescue_count = sqlite3_column_int(st, 18);
	return 0;
}

/* step `st` for at most one job: 0 and *found, or the error */
static int fetch_one(struct sqlite_queue *s, struct job *out, int *found, sqlite3_stmt *st,
		     const char *what)
{
	int rc, ret = 0;

	*found = 0;
	if (!st)
		return error_prefix(ERR_GENERIC, "cannot %s", what);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		ret = read_job(out, st);
		*found = ret == 0;
	} else if (rc != SQLITE_DONE) {
		ret = sq_error(s, rc, "cannot %s", what);
	}
	sqlite3_reset(st);
	return ret;
}

static int record(struct sqlite_queue *s, int64_t id, const char *from, enum job_state to,
		  double at, const char *reason)
{
	return sq_done(s, sq_stmt(s, ST_RECORD, "Issfs", id, from, job_state_name(to), at, reason),
		       "record a transition of", id);
}

static int get_locked(struct sqlite_queue *s, struct job *out, int64_t id)
{
	int found, ret;

	ret = fetch_one(s, out, &found, sq_stmt(s, ST_BY_ID, "I", id), "read a job");
	if (ret == 0 && !found)
		ret = error_setc(ERR_NOTFOUND, "no job %lld in queue '%s'", (long long)id, s->path);
	return ret;
}

/*
 * In a transaction: job `id` may go to `to` by `owner` under `fence`: a
 * leased job only by the holder of its lease (owner and fence), a job that
 * is not held only by nobody (owner NULL).
 */
static int may_move(struct sqlite_queue *s, struct job *job, int64_t id, const char *owner,
		    int64_t fence, enum job_state to)
{
	int ret;

	memset(job, 0, sizeof(*job));
	if ((ret = get_locked(s, job, id)) < 0)
		return ret;
	/* whose it is first: a worker that lost the job hears that, not the state it moved to */
	if (job->lease_owner && (!owner || strcmp(owner, job->lease_owner) || fence != job->fence))
		return error_setc(ERR_CONFLICT,
				  "cannot move job %lld to '%s': its lease is held by '%s' under fence %lld, not '%s' under fence %lld",
				  (long long)id, job_state_name(to), job->lease_owner,
				  (long long)job->fence, owner ? owner : "(none)", (long long)fence);
	if (!job->lease_owner && owner)
		return error_setc(ERR_CONFLICT,
				  "cannot move job %lld to '%s' for '%s': it is %s and held by nobody",
				  (long long)id, job_state_name(to), owner, job_state_name(job->state));
	if (!job_state_allowed(job->state, to))
		return error_setc(ERR_CONFLICT, "cannot move job %lld from '%s' to '%s'",
				  (long long)id, job_state_name(job->state), job_state_name(to));
	return 0;
}

/* operations */

static int sq_enqueue(struct queue *q, struct job *out, int *created, const struct job_new *n)
{
	struct sqlite_queue *s = sq_of(q);
	double now = clock_wall();
	int ret, found;

	if ((ret = sq_begin(s)) < 0)
		return ret;
	ret = sq_done(s, sq_stmt(s, ST_INSERT, "slssfsss", n->repository, n->pull_request,
				 n->head_sha, n->check, now, n->payload ? n->payload : "",
				 job_state_name(n->ignored_reason ? JOB_IGNORED : JOB_QUEUED),
				 n->ignored_reason),
		      "enqueue a", 0);
	if (ret == 0 && sqlite3_changes(s->db) == 1) {
		int64_t id = sqlite3_last_insert_rowid(s->db);

		*created = 1;
		ret = record(s, id, NULL, JOB_QUEUED, now, NULL);
		/* a fork's job is born ignored, in the same transaction */
		if (ret == 0 && n->ignored_reason)
			ret = record(s, id, job_state_name(JOB_QUEUED), JOB_IGNORED, now,
				     n->ignored_reason);
	}
	if (ret == 0)
		ret = fetch_one(s, out, &found,
				sq_stmt(s, ST_BY_KEY, "sss", n->repository, n->head_sha, n->check),
				"read the job enqueued");
	if (ret == 0 && !found)
		ret = error_set("cannot find the job just enqueued for '%s' at %s",
				n->repository, n->head_sha);
	return sq_end(s, ret);
}

static int sq_claim(struct queue *q, struct job *out, const char *owner, double lease_s)
{
	struct sqlite_queue *s = sq_of(q);
	double now = clock_wall();
	struct buf why = BUF_INIT;
	enum job_state from;
	int ret, found;

	if ((ret = sq_begin(s)) < 0)
		return ret;
	ret = fetch_one(s, out, &found, sq_stmt(s, ST_DUE, "f", now), "claim a job");
	if (ret == 0) {
		struct job expired;
		int older = 0;
		ret = fetch_one(s, &expired, &older, sq_stmt(s, ST_EXPIRED, "f", now),
				"claim a job");
		if (older && (!found || expired.id < out->id)) {
			job_release(out);
			*out = expired;
			found = 1;
		} else if (older) {
			job_release(&expired);
		}
	}
	if (ret == 0 && !found)
		ret = error_setc(ERR_NOTFOUND, "no job is runnable in queue '%s'", s->path);
	if (ret < 0)
		goto done;
	from = out->state;
	out->fence++;
	if (from == JOB_QUEUED) {
		out->state = JOB_ANALYZING;
		buf_addf(&why, "claimed by '%s'", owner);
	} else {
		buf_addf(&why, "lease of '%s' ran out; claimed by '%s'",
			 out->lease_owner ? out->lease_owner : "", owner);
		out->rescue_count++;
	}
	free(out->lease_owner);
	out->lease_owner = xstrdup(owner);
	out->lease_until = now + lease_s;
	ret = sq_done(s, sq_stmt(s, ST_LEASE, "IssfIl", out->id, job_state_name(out->state), owner,
				 out->lease_until, out->fence, (long)(from != JOB_QUEUED)),
		      "claim", out->id);
	if (ret == 0)
		ret = record(s, out->id, job_state_name(from), out->state, now, why.ptr);
done:
	buf_release(&why);
	ret = sq_end(s, ret);
	if (ret < 0)
		job_release(out);
	return ret;
}

static int sq_renew(struct queue *q, int64_t id, const char *owner, int64_t fence,
		    double lease_s)
{
	struct sqlite_queue *s = sq_of(q);
	struct job job;
	int ret;

	if ((ret = sq_begin(s)) < 0)
		return ret;
	ret = sq_done(s, sq_stmt(s, ST_RENEW, "IsfI", id, owner, clock_wall() + lease_s, fence),
		      "renew the lease of", id);
	if (ret == 0 && sqlite3_changes(s->db) == 0 && (ret = get_locked(s, &job, id)) == 0) {
		ret = error_setc(ERR_CONFLICT,
				 "cannot renew the lease of job %lld for '%s' under fence %lld: it is %s, held by '%s' under fence %lld",
				 (long long)id, owner, (long long)fence, job_state_name(job.state),
				 job.lease_owner ? job.lease_owner : "nobody", (long long)job.fence);
		job_release(&job);
	}
	return sq_end(s, ret);
}

static int sq_transition(struct queue *q, int64_t id, const char *owner, int64_t fence,
			 enum job_state to, const struct job_outcome *o)
{
	struct sqlite_queue *s = sq_of(q);
	double now = clock_wall();
	int held = to == JOB_ANALYZING || to == JOB_FIXING;
	struct job job;
	int ret;

	if ((ret = sq_begin(s)) < 0)
		return ret;
	if ((ret = may_move(s, &job, id, owner, fence, to)) == 0) {
		if (held && !job.lease_owner)
			ret = error_setc(ERR_CONFLICT, "cannot move job %lld to '%s': it is not claimed",
					 (long long)id, job_state_name(to));
		else
			ret = sq_done(s, sq_stmt(s, ST_MOVE, "Isfssfsfs", id, job_state_name(to),
						 o->confidence, o->commit, o->reason,
						 job_state_final(to) ? now : 0.0,
						 held ? job.lease_owner : NULL,
						 held ? job.lease_until : 0.0, o->category),
				      "move", id);
		if (ret == 0)
			ret = record(s, id, job_state_name(job.state), to, now, o->reason);
	}
	job_release(&job);
	return sq_end(s, ret);
}

static int sq_requeue(struct queue *q, int64_t id, const char *owner, int64_t fence,
		      const char *reason, double delay_s, int count_attempt, int max_attempts)
{
	struct sqlite_queue *s = sq_of(q);
	double now = clock_wall();
	enum job_state to = JOB_QUEUED;
	struct job job;
	int ret;

	if ((ret = sq_begin(s)) < 0)
		return ret;
	if ((ret = may_move(s, &job, id, owner, fence, JOB_QUEUED)) == 0) {
		if (count_attempt && max_attempts > 0 && job.attempts + 1 >= max_attempts)
			to = JOB_DISCARDED;
		ret = sq_done(s, sq_stmt(s, ST_REQUEUE, "Ifslsf", id, now + delay_s, reason,
					 (long)(count_attempt != 0), job_state_name(to),
					 to == JOB_DISCARDED ? now : 0.0),
			      count_attempt ? "retry" : "release", id);
	}
	if (ret == 0)
		ret = record(s, id, job_state_name(job.state), to, now, reason);
	job_release(&job);
	ret = sq_end(s, ret);
	return ret < 0 ? ret : (int)to;
}

static int sq_manual(struct queue *q, int64_t id, enum job_state to, const char *reason)
{
	struct sqlite_queue *s = sq_of(q);
	double now = clock_wall();
	struct job job;
	int ret;

	if ((ret = sq_begin(s)) < 0)
		return ret;
	memset(&job, 0, sizeof(job));
	if ((ret = get_locked(s, &job, id)) < 0)
		goto done;
	if (to == JOB_QUEUED && job.state == JOB_QUEUED)
		ret = error_setc(ERR_CONFLICT, "cannot retry job %lld: it is queued already",
				 (long long)id);
	else if (to == JOB_DISCARDED && job_state_final(job.state))
		ret = error_setc(ERR_CONFLICT, "cannot discard job %lld: it is %s already",
				 (long long)id, job_state_name(job.state));
	if (ret == 0)
		ret = sq_done(s, sq_stmt(s, ST_MANUAL, "Issff", id, job_state_name(to), reason,
					 to == JOB_DISCARDED ? now : 0.0, now),
			      to == JOB_QUEUED ? "retry" : "discard", id);
	if (ret == 0)
		ret = record(s, id, job_state_name(job.state), to, now, reason);
done:
	job_release(&job);
	return sq_end(s, ret);
}

/* SQLite cannot tell another process's commit: the caller polls */
static int sq_wait(struct queue *q, long timeout_ms)
{
	(void)q;
	clock_sleep_interruptible(timeout_ms);
	return 0;
}

static int sq_beat(struct queue *q, const char *name, const char *role, double started_at,
		   long jobs_done)
{
	struct sqlite_queue *s = sq_of(q);
	double now = clock_wall();
	int ret;

	if ((ret = sq_begin(s)) < 0)
		return ret;
	ret = sq_done(s, sq_stmt(s, ST_BEAT, "ssffl", name, role, started_at, now, jobs_done),
		      "record the beat of a process for a", 0);
	if (ret == 0)
		ret = sq_done(s, sq_stmt(s, ST_FORGET, "f", now - QUEUE_PROCESS_TTL_S),
			      "forget the processes gone for a", 0);
	return sq_end(s, ret);
}

static int sq_get(struct queue *q, struct job *out, int64_t id)
{
	return get_locked(sq_of(q), out, id);
}

static int sq_list(struct queue *q, struct job **out, size_t *nr, size_t limit)
{
	struct sqlite_queue *s = sq_of(q);
	sqlite3_stmt *st = sq_stmt(s, ST_LIST, "I", limit ? (int64_t)limit : (int64_t)-1);
	size_t alloc = 0;
	struct job *job;
	int rc, ret = 0;

	if (!st)
		return error_prefix(ERR_GENERIC, "cannot list the jobs");
	while (ret == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		ALLOC_APPEND(job, *out, *nr, alloc);
		ret = read_job(job, st);
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = sq_error(s, rc, "cannot list the jobs");
	sqlite3_reset(st);
	if (ret < 0) {
		queue_jobs_free(*out, *nr);
		*out = NULL;
		*nr = 0;
	}
	return ret;
}

static int sq_history(struct queue *q, struct job_transition **out, size_t *nr, int64_t id)
{
	struct sqlite_queue *s = sq_of(q);
	sqlite3_stmt *st = sq_stmt(s, ST_HISTORY, "I", id);
	struct job_transition *t;
	size_t alloc = 0;
	int rc, ret = 0;

	if (!st)
		return error_prefix(ERR_GENERIC, "cannot read the history of job %lld", (long long)id);
	while (ret == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *from = (const char *)sqlite3_column_text(st, 0);
		ALLOC_APPEND(t, *out, *nr, alloc);
		t->from = JOB_STATE_NR;
		if ((from && (ret = job_state_parse(&t->from, from)) < 0) ||
		    (ret = job_state_parse(&t->to, (const char *)sqlite3_column_text(st, 1))) < 0)
			break;
		t->at = sqlite3_column_double(st, 2);
		t->reason = col_dup(st, 3);
	}
	if (ret < 0)
		error_prefix(ret, "cannot read the history of job %lld", (long long)id);
	else if (rc != SQLITE_DONE)
		ret = sq_error(s, rc, "cannot read the history of job %lld", (long long)id);
	sqlite3_reset(st);
	if (ret < 0) {
		queue_history_free(*out, *nr);
		*out = NULL;
		*nr = 0;
	}
	return ret;
}

static int sq_delivery(struct queue *q, const char *id, int put, int *seen)
{
	struct sqlite_queue *s = sq_of(q);
	sqlite3_stmt *st = sq_stmt(s, ST_DELIVERY_GET, "s", id);
	int rc;

	if (!st)
		return error_prefix(ERR_GENERIC, "cannot look up delivery '%s'", id);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_error(s, rc, "cannot look up delivery '%s'", id);
	*seen = rc == SQLITE_ROW;
	if (!put || *seen)
		return 0;
	return sq_done(s, sq_stmt(s, ST_DELIVERY_PUT, "sf", id, clock_wall()),
		       "record the delivery of a", 0);
}

static int sq_counter_add(struct queue *q, const char *name, double delta)
{
	struct sqlite_queue *s = sq_of(q);

	return sq_done(s, sq_stmt(s, ST_COUNTER_ADD, "sf", name, delta), "count for a", 0);
}

/*
 * Step `st` to its end, appending one item of `size` bytes a row to *out
 * (read by `read`); on error *out is freed by `release` and emptied.
 */
static int read_rows(struct sqlite_queue *s, sqlite3_stmt *st, void **out, size_t *nr,
		     size_t size, void (*read)(void *item, sqlite3_stmt *st),
		     void (*release)(void *items, size_t nr), const char *what)
{
	size_t alloc = 0;
	int rc;

	if (!st)
		return error_prefix(ERR_GENERIC, "cannot read the %s", what);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*nr == alloc) {
			alloc = alloc ? 2 * alloc : 16;
			*out = xrealloc(*out, alloc * size);
		}
		memset((char *)*out + *nr * size, 0, size);
		read((char *)*out + (*nr)++ * size, st);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return 0;
	release(*out, *nr);
	*out = NULL;
	*nr = 0;
	return sq_error(s, rc, "cannot read the %s", what);
}

static void read_counter(void *item, sqlite3_stmt *st)
{
	struct queue_counter *c = item;

	c->name = col_dup(st, 0);
	c->value = sqlite3_column_double(st, 1);
}

static void free_counters(void *items, size_t nr)
{
	queue_counters_free(items, nr);
}

static int sq_counters(struct queue *q, struct queue_counter **out, size_t *nr)
{
	struct sqlite_queue *s = sq_of(q);

	return read_rows(s, sq_stmt(s, ST_COUNTERS, ""), (void **)out, nr, sizeof(**out),
			 read_counter, free_counters, "counters");
}

static int sq_message_add(struct queue *q, int64_t job, const char *type, const char *body)
{
	struct sqlite_queue *s = sq_of(q);

	return sq_done(s, sq_stmt(s, ST_MESSAGE_ADD, "Issf", job, type, body, clock_wall()),
		       "store a message of", job);
}

static void read_message(void *item, sqlite3_stmt *st)
{
	struct queue_message *m = item;

	m->id = sqlite3_column_int64(st, 0);
	m->job = sqlite3_column_int64(st, 1);
	m->type = col_dup(st, 2);
	m->body = col_dup(st, 3);
	m->at = sqlite3_column_double(st, 4);
}

static void free_messages(void *items, size_t nr)
{
	queue_messages_free(items, nr);
}

static int sq_messages(struct queue *q, struct queue_message **out, size_t *nr, int64_t job)
{
	struct sqlite_queue *s = sq_of(q);

	return read_rows(s, sq_stmt(s, ST_MESSAGES, "I", job), (void **)out, nr, sizeof(**out),
			 read_message, free_messages, "messages");
}

static void read_process(void *item, sqlite3_stmt *st)
{
	struct queue_process *p = item;

	p->name = col_dup(st, 0);
	p->role = col_dup(st, 1);
	p->started_at = sqlite3_column_double(st, 2);
	p->seen_at = sqlite3_column_double(st, 3);
	p->jobs_done = (long)sqlite3_column_int64(st, 4);
}

static void free_processes(void *items, size_t nr)
{
	queue_processes_free(items, nr);
}

static int sq_processes(struct queue *q, struct queue_process **out, size_t *nr)
{
	struct sqlite_queue *s = sq_of(q);

	return read_rows(s, sq_stmt(s, ST_PROCESSES, "f", clock_wall() - QUEUE_PROCESS_TTL_S),
			 (void **)out, nr, sizeof(**out), read_process, free_processes,
			 "processes");
}

static int sq_depth(struct queue *q, size_t *out)
{
	struct sqlite_queue *s = sq_of(q);
	sqlite3_stmt *st = sq_stmt(s, ST_DEPTH, "");
	int rc;

	if (!st)
		return error_prefix(ERR_GENERIC, "cannot count the jobs waiting");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = (size_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : sq_error(s, rc, "cannot count the jobs waiting");
}

static void sq_close(struct queue *q)
{
	struct sqlite_queue *s = sq_of(q);
	size_t i;

	for (i = 0; i < ST_NR; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->db);
	free(s->path);
	free(s);
}

static const struct queue_ops sqlite_ops = {
	.name = "sqlite",
	.close = sq_close,
	.enqueue = sq_enqueue,
	.claim = sq_claim,
	.renew = sq_renew,
	.transition = sq_transition,
	.requeue = sq_requeue,
	.manual = sq_manual,
	.wait = sq_wait,
	.beat = sq_beat,
	.processes = sq_processes,
	.list = sq_list,
	.get = sq_get,
	.history = sq_history,
	.delivery = sq_delivery,
	.counter_add = sq_counter_add,
	.counters = sq_counters,
	.message_add = sq_message_add,
	.messages = sq_messages,
	.depth = sq_depth,
};

/* opening */

static int pragma_int(struct sqlite_queue *s, int *out, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = sqlite3_column_int(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : sq_error(s, rc, "cannot open queue '%s'", s->path);
}

/* create the schema in a new file, or check that the file is a queue we know */
static int prepare_schema(struct sqlite_queue *s)
{
	int ret, version = 0, app = 0, tables = 0, rc;

	if ((ret = sq_begin(s)) < 0)
		return ret;
	if ((ret = pragma_int(s, &version, "PRAGMA user_version")) < 0 ||
	    (ret = pragma_int(s, &app, "PRAGMA application_id")) < 0 ||
	    (ret = pragma_int(s, &tables, "SELECT count(*) FROM sqlite_master")) < 0)
		return sq_end(s, ret);
	if (version == 0 && app == 0 && tables == 0) {
		rc = sqlite3_exec(s->db, schema, NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			ret = sq_error(s, rc, "cannot create queue '%s'", s->path);
	} else if (app == QUEUE_SQLITE_APP_ID && version == 1) {
		rc = sqlite3_exec(s->db, migrate_v1, NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			ret = sq_error(s, rc, "cannot migrate queue '%s' from version 1", s->path);
	} else if (app != QUEUE_SQLITE_APP_ID) {
		ret = error_setc(ERR_USAGE, "cannot open queue '%s': it is another program's database",
				 s->path);
	} else if (version != QUEUE_SQLITE_VERSION) {
		ret = error_setc(ERR_USAGE,
				 "cannot open queue '%s': its schema version %d is not %d (a newer pytest-fixer's?)",
				 s->path, version, QUEUE_SQLITE_VERSION);
	}
	return sq_end(s, ret);
}

int queue_open_sqlite(struct queue **out, const char *path)
{
	struct sqlite_queue *s = xcalloc(1, sizeof(*s));
	int rc, ret;

	*out = NULL;
	s->base.ops = &sqlite_ops;
	s->path = xstrdup(path);
	rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(s->db, QUEUE_BUSY_TIMEOUT_MS);
		rc = sqlite3_exec(s->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL",
				  NULL, NULL, NULL);
	}
	if (rc != SQLITE_OK) {
		ret = sq_error(s, rc, "cannot open queue '%s'", path);
		goto fail;
	}
	/* foreign keys only after a migration, which rebuilds a table that others refer to */
	if ((ret = prepare_schema(s)) < 0)
		goto fail;
	rc = sqlite3_exec(s->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		ret = sq_error(s, rc, "cannot open queue '%s'", path);
		goto fail;
	}
	*out = &s->base;
	return 0;
fail:
	sq_close(&s->base);
	return ret;
}
