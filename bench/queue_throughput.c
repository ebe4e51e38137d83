/*
 * The service queue's throughput: bench_queue_throughput [JOBS [MAX_WORKERS [URL]]]
 *
 * For 1, 2, ... MAX_WORKERS (8) workers, each a thread with its own
 * connection, JOBS jobs (2000) go through the queue: each worker enqueues
 * one, claims one (any: SKIP LOCKED on PostgreSQL, a write lock on
 * SQLite) and completes it (three transactions a job, as goqite's send /
 * receive / delete), until all are done; jobs per second is the curve. The
 * baseline, measured in the same run on the same database and settings with
 * as many threads, is 3 x JOBS plain one-row INSERTs, each its own
 * transaction: the durable commits a job needs and nothing else. The ratio
 * says how much of that floor the queue's own work costs.
 *
 * SQLite files go to a private directory under $TMPDIR (on a disk both are
 * bound by fsync; TMPDIR=/dev/shm measures the CPU cost). With URL (a
 * PostgreSQL database the bench may empty: bench/queue_curve.py starts a
 * throwaway cluster for it) the same curve is measured on PostgreSQL.
 * Prints one line per backend and worker count. Exit 0, or 1 on error.
 */
#include "serve/queue.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/fs.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BENCH_DEFAULT_JOBS 2000
#define BENCH_DEFAULT_WORKERS 8
#define BENCH_MAX_WORKERS 64

struct run {
	const char *database;
	long jobs;
	atomic_long enqueued;
	atomic_long done;
	atomic_int failed;
};

struct worker {
	struct run *run;
	int index;
	char error[512];
};

static void worker_fail(struct worker *w, const char *what)
{
	snprintf(w->error, sizeof(w->error), "worker %d: %s: %s", w->index, what, error_last());
	atomic_store(&w->run->failed, 1);
}

/* claim one runnable job and complete it: 1 done, 0 nothing runnable, -1 error */
static int take_one(struct worker *w, struct queue *q, const char *owner)
{
	struct job job;
	int ret = queue_claim(q, &job, owner, 60);

	if (ret == ERR_NOTFOUND)
		return 0;
	if (ret < 0) {
		worker_fail(w, "claim");
		return -1;
	}
	ret = queue_transition(q, job.id, owner, job.fence, JOB_ESCALATED, NULL);
	job_release(&job);
	if (ret < 0) {
		worker_fail(w, "complete");
		return -1;
	}
	atomic_fetch_add(&w->run->done, 1);
	return 1;
}

static void *queue_worker(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->run;
	struct queue *q = NULL;
	char owner[32], sha[48];
	long i;

	snprintf(owner, sizeof(owner), "bench:%d", w->index);
	if (queue_open(&q, r->database) < 0) {
		worker_fail(w, "open");
		return NULL;
	}
	while (!atomic_load(&r->failed) && (i = atomic_fetch_add(&r->enqueued, 1)) < r->jobs) {
		struct job_new n = { .repository = "acme/calc", .pull_request = 1, .head_sha = sha,
				     .check = "tests", .payload = "{\"action\":\"completed\"}" };
		struct job job;

		snprintf(sha, sizeof(sha), "%040ld", i);
		if (queue_enqueue(q, &job, NULL, &n) < 0) {
			worker_fail(w, "enqueue");
			break;
		}
		job_release(&job);
		if (take_one(w, q, owner) < 0)
			break;
	}
	/* what others enqueued and nobody took yet */
	while (!atomic_load(&r->failed) && atomic_load(&r->done) < r->jobs)
		if (take_one(w, q, owner) <= 0)
			break;
	queue_close(q);
	return NULL;
}

/* the floor: `rows` one-row INSERT transactions over the threads */
struct floor_worker {
	const char *database;
	long rows;
	int pg;
	char error[512];
};

static void *floor_sqlite(struct floor_worker *f)
{
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	long i;
	int rc = sqlite3_open(f->database, &db);

	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(db, QUEUE_BUSY_TIMEOUT_MS);
		rc = sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL",
				  NULL, NULL, NULL);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "INSERT INTO t (v) VALUES ('x')", -1, &st, NULL);
	for (i = 0; i < f->rows && rc == SQLITE_OK; i++) {
		/* one statement outside BEGIN is one transaction */
		rc = sqlite3_step(st);
		rc = rc == SQLITE_DONE ? sqlite3_reset(st) : rc;
	}
	if (rc != SQLITE_OK)
		snprintf(f->error, sizeof(f->error), "baseline: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return NULL;
}

static void *floor_pg(struct floor_worker *f)
{
	PGconn *c = PQconnectdb(f->database);
	PGresult *res;
	long i;

	if (PQstatus(c) != CONNECTION_OK) {
		snprintf(f->error, sizeof(f->error), "baseline: %s", PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	res = PQprepare(c, "ins", "INSERT INTO bench_floor (v) VALUES ('x')", 0, NULL);
	PQclear(res);
	for (i = 0; i < f->rows; i++) {
		res = PQexecPrepared(c, "ins", 0, NULL, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			snprintf(f->error, sizeof(f->error), "baseline: %s", PQerrorMessage(c));
			PQclear(res);
			break;
		}
		PQclear(res);
	}
	PQfinish(c);
	return NULL;
}

static void *floor_worker_main(void *arg)
{
	struct floor_worker *f = arg;

	return f->pg ? floor_pg(f) : floor_sqlite(f);
}

/* run `fn` on `nr` threads of `items` (each `size` bytes); seconds taken */
static double run_threads(void *(*fn)(void *), void *items, size_t size, int nr)
{
	pthread_t t[BENCH_MAX_WORKERS];
	double start = clock_monotonic();
	int i;

	for (i = 0; i < nr; i++)
		if (pthread_create(&t[i], NULL, fn, (char *)items + (size_t)i * size) != 0)
			return -1;
	for (i = 0; i < nr; i++)
		pthread_join(t[i], NULL);
	return clock_monotonic() - start;
}

/* the baseline's table, empty; the queue's tables emptied (PostgreSQL) */
static int reset_pg(const char *url)
{
	static const char sql[] =
		"CREATE TABLE IF NOT EXISTS bench_floor (id bigserial PRIMARY KEY, v text);"
		"TRUNCATE bench_floor;"
		"DO $$ BEGIN IF to_regclass('jobs') IS NOT NULL THEN"
		"  TRUNCATE jobs, transitions, messages RESTART IDENTITY CASCADE; END IF; END $$;";
	PGconn *c = PQconnectdb(url);
	PGresult *res = NULL;
	int ok = PQstatus(c) == CONNECTION_OK;

	if (ok) {
		res = PQexec(c, sql);
		ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	}
	if (!ok)
		error_set("cannot prepare the PostgreSQL database: %s", PQerrorMessage(c));
	PQclear(res);
	PQfinish(c);
	return ok ? 0 : -1;
}

static int reset_sqlite(const char *path)
{
	sqlite3 *db;
	int rc;

	remove(path);
	rc = sqlite3_open(path, &db);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "PRAGMA journal_mode = WAL;"
				      " CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)",
				  NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		error_set("baseline on '%s': %s", path, sqlite3_errmsg(db));
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

/* one point of the curve: `workers` threads on `database` (pg: a URL) */
static int measure(const char *backend, const char *queue_db, const char *floor_db, int pg,
		   long jobs, int workers)
{
	struct worker w[BENCH_MAX_WORKERS];
	struct floor_worker f[BENCH_MAX_WORKERS];
	struct run r = { .database = queue_db, .jobs = jobs };
	double qsecs, fsecs;
	int i;

	if (pg ? reset_pg(floor_db) : reset_sqlite(floor_db))
		return -1;
	memset(f, 0, sizeof(f));
	for (i = 0; i < workers; i++) {
		f[i].database = floor_db;
		f[i].pg = pg;
		f[i].rows = 3 * jobs / workers + (i < (3 * jobs) % workers);
	}
	fsecs = run_threads(floor_worker_main, f, sizeof(f[0]), workers);
	for (i = 0; i < workers; i++)
		if (f[i].error[0])
			return error_set("%s", f[i].error);

	atomic_init(&r.enqueued, 0);
	atomic_init(&r.done, 0);
	atomic_init(&r.failed, 0);
	memset(w, 0, sizeof(w));
	for (i = 0; i < workers; i++) {
		w[i].run = &r;
		w[i].index = i;
	}
	qsecs = run_threads(queue_worker, w, sizeof(w[0]), workers);
	for (i = 0; i < workers; i++)
		if (w[i].error[0])
			return error_set("%s", w[i].error);
	if (atomic_load(&r.done) != jobs)
		return error_set("%ld of %ld jobs completed", atomic_load(&r.done), jobs);
	printf("%-10s workers %d: queue %7.0f jobs/s (%.2f s); baseline %7.0f jobs/s; ratio %.2f\n",
	       backend, workers, jobs / qsecs, qsecs, jobs / fsecs, fsecs / qsecs);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	struct buf dir = BUF_INIT, qpath = BUF_INIT, bpath = BUF_INIT;
	long jobs = argc > 1 ? atol(argv[1]) : BENCH_DEFAULT_JOBS;
	int max = argc > 2 ? atoi(argv[2]) : BENCH_DEFAULT_WORKERS;
	const char *url = argc > 3 ? argv[3] : NULL;
	int err, w;

	if (argc > 4 || jobs <= 0 || max < 1 || max > BENCH_MAX_WORKERS ||
	    (url && !queue_is_pg(url))) {
		fprintf(stderr, "usage: bench_queue_throughput [JOBS [MAX_WORKERS [POSTGRES_URL]]]\n");
		return 2;
	}
	printf("jobs: %ld a point (enqueue + claim + complete); baseline: 3 one-row INSERT "
	       "transactions a job on as many connections\n", jobs);
	if ((err = fs_mkdtemp(&dir, "pf-bench-queue")) == 0) {
		buf_addf(&qpath, "%s/queue.db", dir.ptr);
		buf_addf(&bpath, "%s/baseline.db", dir.ptr);
		for (w = 1; w <= max && !err; w *= 2) {
			remove(qpath.ptr);
			err = measure("sqlite", qpath.ptr, bpath.ptr, 0, jobs, w);
		}
		fs_remove_tree(dir.ptr);
	}
	for (w = 1; url && w <= max && !err; w *= 2)
		err = measure("postgresql", url, url, 1, jobs, w);
	if (err)
		fprintf(stderr, "bench_queue_throughput: %s\n", error_last());
	buf_release(&bpath);
	buf_release(&qpath);
	buf_release(&dir);
	return err ? 1 : 0;
}
