/*
 * The service's job queue (src/serve/queue.h): one contract, run on both
 * backends: real SQLite files in a private temporary directory per test,
 * and a real PostgreSQL cluster (tests/pg/cluster.py) with a database per
 * test. SQLite is used directly only to damage a file the queue must then
 * refuse to read, or to write a version 1 file to migrate.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "pg_cluster.h"
#include "serve/queue.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/xalloc.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fixture {
	struct buf dir;
	struct buf path;        /* the database: a SQLite file or a PostgreSQL URL */
	struct queue *q;
};

static struct pg_cluster cluster;

static struct fixture *fixture_new(void)
{
	struct fixture *fx = xcalloc(1, sizeof(*fx));

	buf_init(&fx->dir, 0);
	buf_init(&fx->path, 0);
	if (fs_mkdtemp(&fx->dir, "pf-queue") < 0)
		fail_msg("%s", error_last());
	return fx;
}

static int fixture_open(void **state, struct fixture *fx)
{
	if (queue_open(&fx->q, fx->path.ptr) < 0)
		fail_msg("%s", error_last());
	*state = fx;
	return 0;
}

static int setup_sqlite(void **state)
{
	struct fixture *fx = fixture_new();

	buf_addf(&fx->path, "%s/serve.db", fx->dir.ptr);
	return fixture_open(state, fx);
}

static int setup_pg(void **state)
{
	struct fixture *fx = fixture_new();
	char *url = pg_cluster_createdb(&cluster);

	if (!url)
		fail_msg("cannot create a database in the test cluster");
	buf_adds(&fx->path, url);
	free(url);
	return fixture_open(state, fx);
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	queue_close(fx->q);
	fs_remove_tree(fx->dir.ptr);
	buf_release(&fx->dir);
	buf_release(&fx->path);
	free(fx);
	return 0;
}

static int cluster_start(void **state)
{
	(void)state;
	return pg_cluster_start(&cluster);
}

static int cluster_stop(void **state)
{
	(void)state;
	pg_cluster_destroy(&cluster);
	return 0;
}

static void ok(int ret)
{
	if (ret < 0)
		fail_msg("unexpected error %d: %s", ret, error_last());
}

static void fails_with(int ret, int code, const char *needle)
{
	if (ret != code)
		fail_msg("expected error %d, got %d: %s", code, ret, error_last());
	if (!strstr(error_last(), needle))
		fail_msg("'%s' does not name '%s'", error_last(), needle);
}

static int64_t add(struct queue *q, const char *sha, const char *check, int *created)
{
	struct job_new n = { .repository = "acme/calc", .pull_request = 7, .head_sha = sha,
			     .check = check, .payload = "{\"action\": \"completed\"}" };
	struct job job;
	int64_t id;

	ok(queue_enqueue(q, &job, created, &n));
	id = job.id;
	job_release(&job);
	return id;
}

static void queue__enqueue_dedups(void **state)
{
	struct fixture *fx = *state;
	struct job_new bad = { .repository = "acme/calc", .check = "tests" };
	struct job job, *jobs;
	size_t nr;
	int created = -1;
	int64_t a, b, c;

	a = add(fx->q, "aaa", "tests", &created);
	assert_int_equal(created, 1);
	b = add(fx->q, "aaa", "tests", &created);
	assert_int_equal(created, 0);
	assert_int_equal(a, b);
	c = add(fx->q, "aaa", "lint", &created);
	assert_int_equal(created, 1);
	assert_true(c != a);

	ok(queue_get(fx->q, &job, a));
	assert_string_equal(job.repository, "acme/calc");
	assert_int_equal(job.pull_request, 7);
	assert_string_equal(job.head_sha, "aaa");
	assert_string_equal(job.check, "tests");
	assert_int_equal(job.state, JOB_QUEUED);
	assert_string_equal(job.payload, "{\"action\": \"completed\"}");
	assert_true(job.confidence < 0);
	assert_int_equal(job.attempts, 0);
	assert_true(job.created_at > 0 && job.finished_at == 0);
	assert_null(job.lease_owner);
	job_release(&job);

	ok(queue_list(fx->q, &jobs, &nr, 0));
	assert_int_equal(nr, 2);
	assert_int_equal(jobs[0].id, c);   /* newest first */
	queue_jobs_free(jobs, nr);

	fails_with(queue_enqueue(fx->q, &job, NULL, &bad), ERR_USAGE, "no head commit");
	fails_with(queue_get(fx->q, &job, 999), ERR_NOTFOUND, "no job 999");
}

/* a fork's job is born ignored: no claim can come between its creation and its end */
static void queue__a_job_born_ignored_is_never_claimed(void **state)
{
	struct fixture *fx = *state;
	struct job_new n = { .repository = "acme/calc", .pull_request = 9, .head_sha = "f0rk",
			     .check = "tests", .ignored_reason = "from a fork" };
	struct job_transition *t;
	struct job job;
	size_t nr;
	int created = -1;
	int64_t id;

	ok(queue_enqueue(fx->q, &job, &created, &n));
	assert_int_equal(created, 1);
	assert_int_equal(job.state, JOB_IGNORED);
	assert_string_equal(job.reason, "from a fork");
	assert_true(job.finished_at > 0);
	id = job.id;
	job_release(&job);
	fails_with(queue_claim(fx->q, &job, "w", 60), ERR_NOTFOUND, "no job is runnable");
	ok(queue_history(fx->q, &t, &nr, id));
	assert_int_equal(nr, 2);
	assert_int_equal(t[0].from, JOB_STATE_NR);
	assert_int_equal(t[0].to, JOB_QUEUED);
	assert_int_equal(t[1].from, JOB_QUEUED);
	assert_int_equal(t[1].to, JOB_IGNORED);
	assert_string_equal(t[1].reason, "from a fork");
	queue_history_free(t, nr);
	/* the same key again, not from a fork: the job is as it was */
	n.ignored_reason = NULL;
	ok(queue_enqueue(fx->q, &job, &created, &n));
	assert_int_equal(created, 0);
	assert_int_equal(job.id, id);
	assert_int_equal(job.state, JOB_IGNORED);
	job_release(&job);
}

static void queue__claim_takes_the_oldest_first(void **state)
{
	struct fixture *fx = *state;
	int64_t ids[3];
	struct job job;
	size_t i;

	ids[0] = add(fx->q, "s1", "tests", NULL);
	ids[1] = add(fx->q, "s2", "tests", NULL);
	ids[2] = add(fx->q, "s3", "tests", NULL);
	for (i = 0; i < 3; i++) {
		ok(queue_claim(fx->q, &job, "w1", 60));
		assert_int_equal(job.id, ids[i]);
		assert_int_equal(job.state, JOB_ANALYZING);
		assert_string_equal(job.lease_owner, "w1");
		assert_true(job.lease_until > clock_wall() + 50);
		job_release(&job);
	}
	fails_with(queue_claim(fx->q, &job, "w1", 60), ERR_NOTFOUND, "no job is runnable");
	fails_with(queue_claim(fx->q, &job, "", 60), ERR_USAGE, "no lease owner");
	fails_with(queue_claim(fx->q, &job, "w1", 0), ERR_USAGE, "must be positive");
}

#define RACE_JOBS 120

struct claimer {
	const char *path;
	const char *owner;
	int64_t ids[RACE_JOBS];
	size_t nr;
	int err;
};

static void *claim_all(void *arg)
{
	struct claimer *c = arg;
	struct queue *q;
	struct job job;
	int ret;

	if (queue_open(&q, c->path) < 0) {
		c->err = -1;
		return NULL;
	}
	while ((ret = queue_claim(q, &job, c->owner, 60)) == 0) {
		if (c->nr < RACE_JOBS)
			c->ids[c->nr] = job.id;
		c->nr++;
		if (queue_transition(q, job.id, c->owner, job.fence, JOB_ESCALATED, NULL) < 0)
			c->err = -2;
		job_release(&job);
	}
	if (ret != ERR_NOTFOUND)
		c->err = ret;
	queue_close(q);
	return NULL;
}

static void queue__two_claimers_never_share_a_job(void **state)
{
	struct fixture *fx = *state;
	struct claimer a = { .path = fx->path.ptr, .owner = "a" };
	struct claimer b = { .path = fx->path.ptr, .owner = "b" };
	char seen[RACE_JOBS + 1] = { 0 };
	pthread_t ta, tb;
	char sha[32];
	size_t i;

	for (i = 0; i < RACE_JOBS; i++) {
		snprintf(sha, sizeof(sha), "sha%zu", i);
		assert_int_equal(add(fx->q, sha, "tests", NULL), (int64_t)i + 1);
	}
	assert_int_equal(pthread_create(&ta, NULL, claim_all, &a), 0);
	assert_int_equal(pthread_create(&tb, NULL, claim_all, &b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	assert_int_equal(a.err, 0);
	assert_int_equal(b.err, 0);
	assert_int_equal(a.nr + b.nr, RACE_JOBS);
	for (i = 0; i < a.nr; i++)
		seen[a.ids[i]]++;
	for (i = 0; i < b.nr; i++)
		seen[b.ids[i]]++;
	for (i = 1; i <= RACE_JOBS; i++)
		if (seen[i] != 1)
			fail_msg("job %zu was claimed %d times", i, seen[i]);
}

static void queue__expired_lease_is_claimed_again(void **state)
{
	struct fixture *fx = *state;
	struct job_transition *t;
	struct job job;
	size_t nr;
	int64_t id = add(fx->q, "dead", "tests", NULL);

	int64_t first, second;

	ok(queue_claim(fx->q, &job, "w1", 0.3));
	first = job.fence;
	assert_int_equal(first, 1);
	assert_int_equal(job.rescue_count, 0);
	job_release(&job);
	ok(queue_transition(fx->q, id, "w1", first, JOB_FIXING, NULL));
	fails_with(queue_claim(fx->q, &job, "w2", 60), ERR_NOTFOUND, "no job is runnable");

	/* w1 dies: nothing renews its lease */
	clock_sleep_ms(400);
	ok(queue_claim(fx->q, &job, "w2", 60));
	assert_int_equal(job.id, id);
	assert_int_equal(job.state, JOB_FIXING);   /* taken up where it was */
	assert_string_equal(job.lease_owner, "w2");
	assert_int_equal(job.rescue_count, 1);
	second = job.fence;
	assert_int_equal(second, first + 1);
	job_release(&job);

	/* w1 comes back: it holds nothing any more */
	fails_with(queue_renew(fx->q, id, "w1", first, 60), ERR_CONFLICT, "held by 'w2'");
	fails_with(queue_transition(fx->q, id, "w1", first, JOB_FIXED, NULL), ERR_CONFLICT,
		   "held by 'w2'");
	fails_with(queue_retry(fx->q, id, "w1", first, "late", 0), ERR_CONFLICT, "held by 'w2'");
	ok(queue_transition(fx->q, id, "w2", second, JOB_FIXED, NULL));
	ok(queue_get(fx->q, &job, id));
	assert_int_equal(job.rescue_count, 1);
	assert_int_equal(job.fence, second);
	job_release(&job);

	ok(queue_history(fx->q, &t, &nr, id));
	assert_int_equal(nr, 5);
	assert_int_equal(t[3].from, JOB_FIXING);
	assert_int_equal(t[3].to, JOB_FIXING);
	assert_non_null(strstr(t[3].reason, "lease of 'w1' ran out; claimed by 'w2'"));
	queue_history_free(t, nr);
}

/*
 * Fencing: a worker paused past its lease (SIGSTOP) whose job was rescued
 * by a worker of the same name (its own restart, another thread) is still
 * refused: the fence is what names the claim.
 */
static void queue__a_stale_holder_of_the_same_name_is_fenced_off(void **state)
{
	struct fixture *fx = *state;
	struct job job;
	int64_t id = add(fx->q, "paused", "tests", NULL), old;

	ok(queue_claim(fx->q, &job, "host:1:0", 0.3));
	old = job.fence;
	job_release(&job);
	clock_sleep_ms(400);
	ok(queue_claim(fx->q, &job, "host:1:0", 60));
	assert_int_equal(job.fence, old + 1);
	assert_int_equal(job.rescue_count, 1);
	/* the paused one wakes up: it must not push, nor move the job */
	fails_with(queue_renew(fx->q, id, "host:1:0", old, 60), ERR_CONFLICT, "fence");
	fails_with(queue_transition(fx->q, id, "host:1:0", old, JOB_FIXING, NULL), ERR_CONFLICT,
		   "fence");
	fails_with(queue_release(fx->q, id, "host:1:0", old, "stopping"), ERR_CONFLICT, "fence");
	ok(queue_renew(fx->q, id, "host:1:0", job.fence, 60));
	ok(queue_transition(fx->q, id, "host:1:0", job.fence, JOB_FIXING, NULL));
	job_release(&job);
}

static void queue__renew_only_by_the_owner(void **state)
{
	struct fixture *fx = *state;
	struct job job, after;
	int64_t id = add(fx->q, "r", "tests", NULL);

	fails_with(queue_renew(fx->q, id, "w1", 0, 60), ERR_CONFLICT, "held by 'nobody'");
	ok(queue_claim(fx->q, &job, "w1", 10));
	fails_with(queue_renew(fx->q, id, "intruder", job.fence, 60), ERR_CONFLICT, "held by 'w1'");
	ok(queue_get(fx->q, &after, id));
	assert_true(after.lease_until == job.lease_until);
	job_release(&after);

	ok(queue_renew(fx->q, id, "w1", job.fence, 60));
	ok(queue_get(fx->q, &after, id));
	assert_true(after.lease_until > job.lease_until + 40);
	assert_string_equal(after.lease_owner, "w1");
	job_release(&after);
	job_release(&job);
	fails_with(queue_renew(fx->q, 42, "w1", 1, 60), ERR_NOTFOUND, "no job 42");
}

static void queue__transitions_are_recorded_and_illegal_ones_refused(void **state)
{
	struct fixture *fx = *state;
	struct job_outcome done = { .confidence = 0.9, .commit = "c0ffee", .reason = "fixed test_add" };
	static const enum job_state want[][2] = {
		{ JOB_STATE_NR, JOB_QUEUED }, { JOB_QUEUED, JOB_ANALYZING },
		{ JOB_ANALYZING, JOB_FIXING }, { JOB_FIXING, JOB_FIXED },
	};
	struct job_transition *t;
	struct job job;
	size_t nr, i;
	double before = clock_wall();
	int64_t id = add(fx->q, "t", "tests", NULL);
	int64_t other = add(fx->q, "u", "tests", NULL);
	int64_t fence;

	/* a queued job is not worked on until claimed */
	fails_with(queue_transition(fx->q, id, NULL, 0, JOB_FIXED, NULL), ERR_CONFLICT,
		   "from 'queued' to 'fixed'");
	fails_with(queue_transition(fx->q, id, NULL, 0, JOB_ANALYZING, NULL), ERR_CONFLICT,
		   "not claimed");
	/* nor moved by a worker that does not hold it */
	fails_with(queue_transition(fx->q, id, "w", 1, JOB_STALE, NULL), ERR_CONFLICT,
		   "held by nobody");
	ok(queue_claim(fx->q, &job, "w", 60));
	fence = job.fence;
	job_release(&job);
	ok(queue_transition(fx->q, id, "w", fence, JOB_FIXING, NULL));
	/* its holder may not take it back where it was */
	fails_with(queue_transition(fx->q, id, "w", fence, JOB_ANALYZING, NULL), ERR_CONFLICT,
		   "from 'fixing' to 'analyzing'");
	ok(queue_transition(fx->q, id, "w", fence, JOB_FIXED, &done));
	/* a finished job is held by nobody: whoever held it last is told so */
	fails_with(queue_transition(fx->q, id, "w", fence, JOB_FIXING, NULL), ERR_CONFLICT,
		   "it is fixed and held by nobody");

	ok(queue_get(fx->q, &job, id));
	assert_int_equal(job.state, JOB_FIXED);
	assert_true(job.confidence == 0.9);
	assert_string_equal(job.commit, "c0ffee");
	assert_string_equal(job.reason, "fixed test_add");
	assert_true(job.finished_at >= before);
	assert_null(job.lease_owner);
	job_release(&job);

	ok(queue_history(fx->q, &t, &nr, id));
	assert_int_equal(nr, ARRAY_SIZE(want));
	for (i = 0; i < nr; i++) {
		assert_int_equal(t[i].from, want[i][0]);
		assert_int_equal(t[i].to, want[i][1]);
		assert_true(t[i].at >= before && (i == 0 || t[i].at >= t[i - 1].at));
	}
	assert_string_equal(t[3].reason, "fixed test_add");
	queue_history_free(t, nr);

	/* the monitor marks a queued job stale without holding it */
	ok(queue_transition(fx->q, other, NULL, 0, JOB_STALE, NULL));
	fails_with(queue_claim(fx->q, &job, "w", 60), ERR_NOTFOUND, "no job is runnable");
	fails_with(queue_transition(fx->q, other, NULL, 0, JOB_STATE_NR, NULL), ERR_USAGE,
		   "out of range");
}

static void queue__released_job_is_claimed_again_at_once(void **state)
{
	struct fixture *fx = *state;
	struct job job;
	int64_t id = add(fx->q, "rel", "tests", NULL);

	/* SIGTERM: the worker gives back the job in hand, without a retry's wait */
	int64_t fence;

	ok(queue_claim(fx->q, &job, "w1", 60));
	fence = job.fence;
	job_release(&job);
	fails_with(queue_transition(fx->q, id, "w2", fence, JOB_QUEUED, NULL), ERR_CONFLICT,
		   "held by 'w1'");
	ok(queue_transition(fx->q, id, "w1", fence, JOB_QUEUED, NULL));
	ok(queue_claim(fx->q, &job, "w2", 60));
	assert_int_equal(job.id, id);
	assert_int_equal(job.attempts, 0);
	assert_int_equal(job.rescue_count, 0);  /* given back, not rescued */
	assert_string_equal(job.lease_owner, "w2");
	job_release(&job);
	fails_with(queue_retry(fx->q, id, "w1", fence, "late", 0), ERR_CONFLICT, "held by 'w2'");
}

static void queue__retry_backs_off(void **state)
{
	struct fixture *fx = *state;
	struct job job;
	double now;
	int64_t id = add(fx->q, "b", "tests", NULL), fence;
	int a;

	ok(queue_claim(fx->q, &job, "w", 60));
	fence = job.fence;
	job_release(&job);
	fails_with(queue_retry(fx->q, id, "x", fence, "clone failed", 0), ERR_CONFLICT,
		   "held by 'w'");
	now = clock_wall();
	assert_int_equal(queue_retry(fx->q, id, "w", fence, "clone failed", 3), JOB_QUEUED);
	ok(queue_get(fx->q, &job, id));
	assert_int_equal(job.state, JOB_QUEUED);
	assert_int_equal(job.attempts, 1);
	assert_string_equal(job.reason, "clone failed");
	assert_null(job.lease_owner);
	assert_true(job.not_before >= now + QUEUE_BACKOFF_BASE_S * (1 - QUEUE_BACKOFF_JITTER));
	assert_true(job.not_before <= clock_wall() + QUEUE_BACKOFF_BASE_S * (1 + QUEUE_BACKOFF_JITTER));
	job_release(&job);
	/* not before its time */
	fails_with(queue_claim(fx->q, &job, "w", 60), ERR_NOTFOUND, "no job is runnable");

	/* the delay doubles, within the jitter, up to the cap */
	assert_true(queue_backoff(0, 0.5) == QUEUE_BACKOFF_BASE_S);
	assert_true(queue_backoff(3, 0.5) == QUEUE_BACKOFF_BASE_S * 8);
	assert_true(queue_backoff(0, 0) == QUEUE_BACKOFF_BASE_S * (1 - QUEUE_BACKOFF_JITTER));
	assert_true(queue_backoff(0, 1) <= QUEUE_BACKOFF_BASE_S * (1 + QUEUE_BACKOFF_JITTER));
	for (a = 0; a < 2000; a += 7) {
		double lo = queue_backoff(a, 0), hi = queue_backoff(a, 0.9999);
		assert_true(lo >= QUEUE_BACKOFF_BASE_S * (1 - QUEUE_BACKOFF_JITTER));
		assert_true(hi <= QUEUE_BACKOFF_CAP_S * (1 + QUEUE_BACKOFF_JITTER));
		assert_true(lo < hi);
	}
	assert_true(queue_backoff(1000, 0.5) == QUEUE_BACKOFF_CAP_S);
	assert_true(queue_backoff(-3, 0.5) == QUEUE_BACKOFF_BASE_S);
}

static void queue__reopen_loses_nothing(void **state)
{
	struct fixture *fx = *state;
	struct job job, *jobs;
	size_t nr;
	int created;
	int64_t held;

	add(fx->q, "k1", "tests", NULL);
	add(fx->q, "k2", "tests", NULL);
	ok(queue_claim(fx->q, &job, "w", 60));
	held = job.id;
	job_release(&job);
	queue_close(fx->q);

	ok(queue_open(&fx->q, fx->path.ptr));
	ok(queue_list(fx->q, &jobs, &nr, 0));
	assert_int_equal(nr, 2);
	assert_int_equal(jobs[1].id, held);
	assert_int_equal(jobs[1].state, JOB_ANALYZING);
	assert_string_equal(jobs[1].lease_owner, "w");
	assert_int_equal(jobs[0].state, JOB_QUEUED);
	assert_string_equal(jobs[0].payload, "{\"action\": \"completed\"}");
	queue_jobs_free(jobs, nr);
	/* the key still holds after a restart */
	assert_int_equal(add(fx->q, "k1", "tests", &created), held);
	assert_int_equal(created, 0);
	ok(queue_list(fx->q, &jobs, &nr, 1));
	assert_int_equal(nr, 1);
	queue_jobs_free(jobs, nr);
}

static void queue__unknown_state_is_named(void **state)
{
	struct fixture *fx = *state;
	struct job job, *jobs;
	sqlite3 *db;
	size_t nr;
	int64_t id = add(fx->q, "z", "tests", NULL);

	assert_int_equal(sqlite3_open(fx->path.ptr, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "PRAGMA ignore_check_constraints = ON;"
				      "UPDATE jobs SET state = 'half-done'",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	fails_with(queue_get(fx->q, &job, id), ERR_PARSE, "unknown job state 'half-done'");
	fails_with(queue_list(fx->q, &jobs, &nr, 0), ERR_PARSE, "cannot read job 1");
	assert_null(jobs);
	fails_with(queue_claim(fx->q, &job, "w", 60), ERR_NOTFOUND, "no job is runnable");
}

static void queue__foreign_database_is_refused(void **state)
{
	struct fixture *fx = *state;
	struct buf other = BUF_INIT;
	struct queue *q = NULL;
	sqlite3 *db;

	buf_addf(&other, "%s/other.db", fx->dir.ptr);
	assert_int_equal(sqlite3_open(other.ptr, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE t (x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	fails_with(queue_open_sqlite(&q, other.ptr), ERR_USAGE, "another program's database");
	assert_null(q);
	buf_release(&other);
}

static void queue__deliveries_counters_and_messages_are_kept(void **state)
{
	struct fixture *fx = *state;
	struct queue_counter *c;
	struct queue_message *m;
	struct queue *again;
	struct job job;
	size_t nr, depth;
	int seen;
	int64_t id = add(fx->q, "dlv", "tests", NULL);

	/* a delivery is looked up first, recorded once the event is queued */
	ok(queue_delivery(fx->q, "d-1", 0, &seen));
	assert_int_equal(seen, 0);
	ok(queue_delivery(fx->q, "d-1", 0, &seen));
	assert_int_equal(seen, 0);
	ok(queue_delivery(fx->q, "d-1", 1, &seen));
	assert_int_equal(seen, 0);
	ok(queue_delivery(fx->q, "d-1", 1, &seen));
	assert_int_equal(seen, 1);
	fails_with(queue_delivery(fx->q, "", 1, &seen), ERR_USAGE, "without an id");

	ok(queue_counter_add(fx->q, "tokens{step=\"analysis\"}", 120));
	ok(queue_counter_add(fx->q, "tokens{step=\"analysis\"}", 30.5));
	ok(queue_counter_add(fx->q, "waits", 1));
	ok(queue_message_add(fx->q, id, "check.failed", "{\"event_type\": \"check.failed\"}"));
	ok(queue_message_add(fx->q, id, "fix.requested", "{}"));
	ok(queue_message_add(fx->q, 0, "notification.send", "{}"));
	fails_with(queue_message_add(fx->q, id, "", "{}"), ERR_USAGE, "without a type");

	ok(queue_depth(fx->q, &depth));
	assert_int_equal(depth, 1);
	ok(queue_claim(fx->q, &job, "w1", 60));
	ok(queue_depth(fx->q, &depth));
	assert_int_equal(depth, 1);
	/* stopping gives the job back: queued, claimable at once, no attempt counted */
	ok(queue_release(fx->q, id, "w1", job.fence, "stopping"));
	job_release(&job);
	ok(queue_claim(fx->q, &job, "w2", 60));
	assert_int_equal(job.attempts, 0);
	ok(queue_transition(fx->q, id, "w2", job.fence, JOB_ESCALATED,
			    &(struct job_outcome){ .confidence = 0.3, .category = "lint" }));
	job_release(&job);
	ok(queue_depth(fx->q, &depth));
	assert_int_equal(depth, 0);

	/* all of it is in the file */
	ok(queue_open(&again, fx->path.ptr));
	ok(queue_delivery(again, "d-1", 0, &seen));
	assert_int_equal(seen, 1);
	ok(queue_counters(again, &c, &nr));
	assert_int_equal(nr, 2);
	assert_string_equal(c[0].name, "tokens{step=\"analysis\"}");
	assert_true(c[0].value == 150.5);
	assert_string_equal(c[1].name, "waits");
	queue_counters_free(c, nr);
	ok(queue_messages(again, &m, &nr, id));
	assert_int_equal(nr, 2);
	assert_string_equal(m[0].type, "check.failed");
	assert_string_equal(m[0].body, "{\"event_type\": \"check.failed\"}");
	assert_int_equal(m[1].job, id);
	queue_messages_free(m, nr);
	ok(queue_messages(again, &m, &nr, 0));
	assert_int_equal(nr, 3);
	queue_messages_free(m, nr);
	ok(queue_get(again, &job, id));
	assert_string_equal(job.category, "lint");
	assert_true(job.confidence == 0.3);
	job_release(&job);
	queue_close(again);
}

static void queue__the_last_retry_discards(void **state)
{
	struct fixture *fx = *state;
	struct job_transition *t;
	struct job job;
	size_t nr, depth;
	int64_t id = add(fx->q, "d", "tests", NULL);

	ok(queue_claim(fx->q, &job, "w", 60));
	/* attempt 1 of 2 fails: back to the queue */
	assert_int_equal(queue_retry(fx->q, id, "w", job.fence, "clone failed", 2), JOB_QUEUED);
	job_release(&job);
	/* the test does not wait out the backoff: the job is taken out of it by hand */
	ok(queue_manual(fx->q, id, JOB_DISCARDED, NULL));
	ok(queue_manual(fx->q, id, JOB_QUEUED, "try once more"));
	ok(queue_get(fx->q, &job, id));
	assert_int_equal(job.attempts, 0);    /* a retry by hand starts afresh */
	job_release(&job);
	ok(queue_claim(fx->q, &job, "w", 60));
	assert_int_equal(queue_retry(fx->q, id, "w", job.fence, "clone failed", 2), JOB_QUEUED);
	job_release(&job);
	ok(queue_get(fx->q, &job, id));
	assert_int_equal(job.attempts, 1);
	job_release(&job);
	ok(queue_manual(fx->q, id, JOB_DISCARDED, NULL));
	ok(queue_manual(fx->q, id, JOB_QUEUED, NULL));
	/* that reset attempts: twice more, the second is the last */
	ok(queue_claim(fx->q, &job, "w", 60));
	assert_int_equal(queue_retry(fx->q, id, "w", job.fence, "push refused", 1), JOB_DISCARDED);
	job_release(&job);
	ok(queue_get(fx->q, &job, id));
	assert_int_equal(job.state, JOB_DISCARDED);
	assert_true(job_state_final(job.state));
	assert_true(job.finished_at > 0);
	assert_null(job.lease_owner);
	assert_string_equal(job.reason, "push refused");
	job_release(&job);
	ok(queue_depth(fx->q, &depth));
	assert_int_equal(depth, 0);
	fails_with(queue_claim(fx->q, &job, "w", 60), ERR_NOTFOUND, "no job is runnable");
	ok(queue_history(fx->q, &t, &nr, id));
	assert_int_equal(t[nr - 1].from, JOB_ANALYZING);
	assert_int_equal(t[nr - 1].to, JOB_DISCARDED);
	queue_history_free(t, nr);
}

static void queue__by_hand(void **state)
{
	struct fixture *fx = *state;
	struct job_transition *t;
	struct job job;
	size_t nr;
	int64_t id = add(fx->q, "h", "tests", NULL), fence;

	fails_with(queue_manual(fx->q, id, JOB_QUEUED, NULL), ERR_CONFLICT, "queued already");
	fails_with(queue_manual(fx->q, id, JOB_FIXED, NULL), ERR_USAGE, "retried or discarded");
	fails_with(queue_manual(fx->q, 4242, JOB_QUEUED, NULL), ERR_NOTFOUND, "no job 4242");

	/* a held job discarded by hand: its holder is fenced off */
	ok(queue_claim(fx->q, &job, "w", 60));
	fence = job.fence;
	job_release(&job);
	ok(queue_manual(fx->q, id, JOB_DISCARDED, "a person said so"));
	fails_with(queue_renew(fx->q, id, "w", fence, 60), ERR_CONFLICT, "discarded");
	fails_with(queue_transition(fx->q, id, "w", fence, JOB_FIXING, NULL), ERR_CONFLICT,
		   "it is discarded and held by nobody");
	fails_with(queue_manual(fx->q, id, JOB_DISCARDED, NULL), ERR_CONFLICT, "discarded already");
	ok(queue_get(fx->q, &job, id));
	assert_int_equal(job.state, JOB_DISCARDED);
	assert_null(job.lease_owner);
	assert_true(job.fence > fence);
	assert_string_equal(job.reason, "a person said so");
	job_release(&job);

	/* retried by hand: claimable at once */
	ok(queue_manual(fx->q, id, JOB_QUEUED, NULL));
	ok(queue_claim(fx->q, &job, "w2", 60));
	assert_int_equal(job.id, id);
	ok(queue_transition(fx->q, id, "w2", job.fence, JOB_ESCALATED, NULL));
	job_release(&job);
	/* a final job may be retried by hand too */
	ok(queue_manual(fx->q, id, JOB_QUEUED, NULL));
	ok(queue_history(fx->q, &t, &nr, id));
	assert_int_equal(t[nr - 1].from, JOB_ESCALATED);
	assert_int_equal(t[nr - 1].to, JOB_QUEUED);
	assert_string_equal(t[nr - 1].reason, "by hand");
	queue_history_free(t, nr);
}

static void queue__processes_beat(void **state)
{
	struct fixture *fx = *state;
	struct queue_process *p;
	double now = clock_wall();
	size_t nr;

	ok(queue_beat(fx->q, "b:2", "worker", now - 10, 0));
	ok(queue_beat(fx->q, "a:1", "web", now - 20, 0));
	ok(queue_beat(fx->q, "b:2", "worker", now - 10, 7));
	fails_with(queue_beat(fx->q, "", "web", now, 0), ERR_USAGE, "without a name");
	ok(queue_processes(fx->q, &p, &nr));
	assert_int_equal(nr, 2);
	assert_string_equal(p[0].name, "a:1");
	assert_string_equal(p[0].role, "web");
	assert_string_equal(p[1].name, "b:2");
	assert_string_equal(p[1].role, "worker");
	assert_int_equal(p[1].jobs_done, 7);
	assert_true(p[1].started_at > now - 11 && p[1].started_at < now - 9);
	assert_true(p[1].seen_at >= now - 1);
	queue_processes_free(p, nr);
}

static void queue__wait_returns(void **state)
{
	struct fixture *fx = *state;

	/* nothing is enqueued: a timeout, not a notification */
	assert_int_equal(queue_wait(fx->q, 50), 0);
	assert_int_equal(queue_wait(fx->q, -5), 0);
}

/* a version 1 file (before fences, rescues, discarded and processes) is migrated, nothing lost */
static void queue__sqlite_version_1_is_migrated(void **state)
{
	struct fixture *fx = *state;
	struct buf old = BUF_INIT;
	struct job_transition *t;
	struct queue *q = NULL;
	struct job job;
	sqlite3 *db;
	size_t nr;

	(void)fx;
	buf_addf(&old, "%s/v1.db", fx->dir.ptr);
	assert_int_equal(sqlite3_open(old.ptr, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
		"CREATE TABLE jobs (id INTEGER PRIMARY KEY, repository TEXT NOT NULL,"
		" pull_request INTEGER NOT NULL DEFAULT 0, head_sha TEXT NOT NULL,"
		" check_name TEXT NOT NULL, state TEXT NOT NULL CHECK (state IN ('queued',"
		" 'analyzing', 'fixing', 'fixed', 'escalated', 'failed', 'stale', 'ignored')),"
		" confidence REAL NOT NULL DEFAULT -1, attempts INTEGER NOT NULL DEFAULT 0,"
		" created_at REAL NOT NULL, finished_at REAL NOT NULL DEFAULT 0,"
		" not_before REAL NOT NULL DEFAULT 0, commit_id TEXT, reason TEXT,"
		" payload TEXT NOT NULL DEFAULT '', lease_owner TEXT,"
		" lease_until REAL NOT NULL DEFAULT 0, category TEXT,"
		" UNIQUE (repository, head_sha, check_name));"
		"CREATE INDEX jobs_runnable ON jobs (state, id);"
		"CREATE INDEX jobs_held ON jobs (id) WHERE state IN ('analyzing', 'fixing');"
		"CREATE TABLE transitions (id INTEGER PRIMARY KEY, job INTEGER NOT NULL"
		" REFERENCES jobs (id) ON DELETE CASCADE, from_state TEXT, to_state TEXT NOT NULL,"
		" at REAL NOT NULL, reason TEXT);"
		"CREATE TABLE deliveries (id TEXT PRIMARY KEY, at REAL NOT NULL) WITHOUT ROWID;"
		"CREATE TABLE counters (name TEXT PRIMARY KEY, value REAL NOT NULL) WITHOUT ROWID;"
		"CREATE TABLE messages (id INTEGER PRIMARY KEY, job INTEGER NOT NULL DEFAULT 0,"
		" type TEXT NOT NULL, body TEXT NOT NULL, at REAL NOT NULL);"
		"INSERT INTO jobs (repository, pull_request, head_sha, check_name, state, created_at,"
		" attempts, reason) VALUES ('acme/calc', 3, 'abc', 'tests', 'fixed', 1, 1, 'fixed it');"
		"INSERT INTO transitions (job, from_state, to_state, at) VALUES (1, NULL, 'queued', 1);"
		"INSERT INTO transitions (job, from_state, to_state, at) VALUES (1, 'queued', 'analyzing', 2);"
		"PRAGMA application_id = 1346787409; PRAGMA user_version = 1;",
		NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	ok(queue_open(&q, old.ptr));
	ok(queue_get(q, &job, 1));
	assert_int_equal(job.state, JOB_FIXED);
	assert_int_equal(job.attempts, 1);
	assert_string_equal(job.reason, "fixed it");
	assert_int_equal(job.fence, 0);
	assert_int_equal(job.rescue_count, 0);
	job_release(&job);
	ok(queue_history(q, &t, &nr, 1));
	assert_int_equal(nr, 2);    /* the transitions stayed with their job */
	queue_history_free(t, nr);
	/* the new state and table work */
	assert_int_equal(add(q, "def", "tests", NULL), 2);
	ok(queue_manual(q, 2, JOB_DISCARDED, NULL));
	ok(queue_beat(q, "h:1", "all", 1, 0));
	queue_close(q);
	/* and it opens again as version 2 */
	ok(queue_open(&q, old.ptr));
	queue_close(q);
	buf_release(&old);
}

#define CONTRACT(setup)                                                                   \
	cmocka_unit_test_setup_teardown(queue__enqueue_dedups, setup, teardown),           \
	cmocka_unit_test_setup_teardown(queue__a_job_born_ignored_is_never_claimed, setup, teardown), \
	cmocka_unit_test_setup_teardown(queue__claim_takes_the_oldest_first, setup, teardown), \
	cmocka_unit_test_setup_teardown(queue__two_claimers_never_share_a_job, setup, teardown), \
	cmocka_unit_test_setup_teardown(queue__expired_lease_is_claimed_again, setup, teardown), \
	cmocka_unit_test_setup_teardown(queue__a_stale_holder_of_the_same_name_is_fenced_off, \
					setup, teardown),                                  \
	cmocka_unit_test_setup_teardown(queue__renew_only_by_the_owner, setup, teardown),  \
	cmocka_unit_test_setup_teardown(queue__transitions_are_recorded_and_illegal_ones_refused, \
					setup, teardown),                                  \
	cmocka_unit_test_setup_teardown(queue__released_job_is_claimed_again_at_once, setup, \
					teardown),                                         \
	cmocka_unit_test_setup_teardown(queue__retry_backs_off, setup, teardown),          \
	cmocka_unit_test_setup_teardown(queue__the_last_retry_discards, setup, teardown),  \
	cmocka_unit_test_setup_teardown(queue__by_hand, setup, teardown),                  \
	cmocka_unit_test_setup_teardown(queue__processes_beat, setup, teardown),           \
	cmocka_unit_test_setup_teardown(queue__wait_returns, setup, teardown),             \
	cmocka_unit_test_setup_teardown(queue__reopen_loses_nothing, setup, teardown),     \
	cmocka_unit_test_setup_teardown(queue__deliveries_counters_and_messages_are_kept, setup, \
					teardown)

int main(void)
{
	const struct CMUnitTest sqlite_tests[] = {
		CONTRACT(setup_sqlite),
		cmocka_unit_test_setup_teardown(queue__unknown_state_is_named, setup_sqlite,
						teardown),
		cmocka_unit_test_setup_teardown(queue__foreign_database_is_refused, setup_sqlite,
						teardown),
		cmocka_unit_test_setup_teardown(queue__sqlite_version_1_is_migrated, setup_sqlite,
						teardown),
	};
	const struct CMUnitTest pg_tests[] = {
		CONTRACT(setup_pg),
	};
	int failed;

	failed = cmocka_run_group_tests_name("sqlite", sqlite_tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("postgresql", pg_tests, cluster_start, cluster_stop);
	return failed;
}
