/*
 * The service queue's throughput on SQLite: bench_queue_throughput [JOBS]
 * enqueues JOBS jobs, then claims and completes each (three transactions a
 * job, as goqite's send / receive / delete), and prints jobs per second.
 * The baseline, measured in the same run on a file with the same settings
 * (WAL, synchronous = FULL), is 3 x JOBS plain one-row INSERTs, each in its
 * own transaction: the durable commits a job needs and nothing else. The
 * ratio says how much of that floor the queue's own work costs.
 * Files go to a private directory under $TMPDIR: on a disk both are bound
 * by fsync (and by whatever else writes to it); TMPDIR=/dev/shm measures
 * the CPU cost alone. Exit 0, or 1 on error.
 */
#include "serve/queue.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/fs.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#define BENCH_DEFAULT_JOBS 2000

static int run_queue(double *secs, const char *path, long jobs)
{
	struct queue *q;
	struct job job;
	char sha[48];
	double start;
	long i;
	int err;

	if ((err = queue_open_sqlite(&q, path)) < 0)
		return err;
	start = clock_monotonic();
	for (i = 0; i < jobs && !err; i++) {
		struct job_new n = { .repository = "acme/calc", .pull_request = 1, .head_sha = sha,
				     .check = "tests", .payload = "{\"action\":\"completed\"}" };
		snprintf(sha, sizeof(sha), "%040ld", i);
		if ((err = queue_enqueue(q, &job, NULL, &n)) == 0)
			job_release(&job);
	}
	for (i = 0; i < jobs && !err; i++) {
		if ((err = queue_claim(q, &job, "bench", 60)) == 0)
			err = queue_transition(q, job.id, "bench", job.fence, JOB_ESCALATED, NULL);
		job_release(&job);
	}
	*secs = clock_monotonic() - start;
	queue_close(q);
	return err;
}

static int run_baseline(double *secs, const char *path, long rows)
{
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	double start;
	int rc;
	long i;

	rc = sqlite3_open(path, &db);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
				      " CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)",
				  NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "INSERT INTO t (v) VALUES ('x')", -1, &st, NULL);
	start = clock_monotonic();
	for (i = 0; i < rows && rc == SQLITE_OK; i++) {
		/* one statement outside BEGIN is one transaction */
		rc = sqlite3_step(st);
		rc = rc == SQLITE_DONE ? sqlite3_reset(st) : rc;
	}
	*secs = clock_monotonic() - start;
	if (rc != SQLITE_OK)
		error_set("baseline on '%s': %s", path, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct buf dir = BUF_INIT, qpath = BUF_INIT, bpath = BUF_INIT;
	long jobs = argc > 1 ? atol(argv[1]) : BENCH_DEFAULT_JOBS;
	double qsecs = 0, bsecs = 0;
	int err;

	if (argc > 2 || jobs <= 0) {
		fprintf(stderr, "usage: bench_queue_throughput [JOBS]\n");
		return 2;
	}
	if ((err = fs_mkdtemp(&dir, "pf-bench-queue")) == 0) {
		buf_addf(&qpath, "%s/queue.db", dir.ptr);
		buf_addf(&bpath, "%s/baseline.db", dir.ptr);
		if ((err = run_baseline(&bsecs, bpath.ptr, 3 * jobs)) == 0)
			err = run_queue(&qsecs, qpath.ptr, jobs);
		fs_remove_tree(dir.ptr);
	}
	if (err == 0) {
		printf("jobs: %ld (enqueue + claim + complete)\n", jobs);
		printf("queue: %.0f jobs/s (%.3f s)\n", jobs / qsecs, qsecs);
		printf("baseline: %.0f jobs/s (3 one-row INSERT transactions a job, %.3f s)\n",
		       jobs / bsecs, bsecs);
		printf("ratio queue/baseline: %.2f\n", bsecs / qsecs);
	} else {
		fprintf(stderr, "bench_queue_throughput: %s\n", error_last());
	}
	buf_release(&bpath);
	buf_release(&qpath);
	buf_release(&dir);
	return err ? 1 : 0;
}
