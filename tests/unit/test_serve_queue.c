/*
 * The service's job queue (src/serve/queue.h) on real SQLite files in a
 * private temporary directory per test. SQLite is used directly only to
 * damage a file the queue must then refuse to read.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

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
	struct buf path;
	struct queue *q;
};

static int setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof(*fx));
	buf_init(&fx->dir, 0);
	buf_init(&fx->path, 0);
	if (fs_mkdtemp(&fx->dir, "pf-queue") < 0)
		fail_msg("%s", error_last());
	buf_addf(&fx->path, "%s/serve.db", fx->dir.ptr);
	if (queue_open_sqlite(&fx->q, fx->path.ptr) < 0)
		fail_msg("%s", error_last());
	*state = fx;
	return 0;
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

	if (queue_open_sqlite(&q, c->path) < 0) {
		c->err = -1;
		return NULL;
	}
	while ((ret = queue_claim(q, &job, c->owner, 60)) == 0) {
		if (c->nr < RACE_JOBS)
			c->ids[c->nr] = job.id;
		c->nr++;
		if (queue_transition(q, job.id, c->owner, JOB_ESCALATED, NULL) < 0)
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

	ok(queue_claim(fx->q, &job, "w1", 0.3));
	job_release(&job);
	ok(queue_transition(fx->q, id, "w1", JOB_FIXING, NULL));
	fails_with(queue_claim(fx->q, &job, "w2", 60), ERR_NOTFOUND, "no job is runnable");

	/* w1 dies: nothing renews its lease */
	clock_sleep_ms(400);
	ok(queue_claim(fx->q, &job, "w2", 60));
	assert_int_equal(job.id, id);
	assert_int_equal(job.state, JOB_FIXING);   /* taken up where it was */
	assert_string_equal(job.lease_owner, "w2");
	job_release(&job);

	/* w1 comes back: it holds nothing any more */
	fails_with(queue_renew(fx->q, id, "w1", 60), ERR_CONFLICT, "held by 'w2'");
	fails_with(queue_transition(fx->q, id, "w1", JOB_FIXED, NULL), ERR_CONFLICT,
		   "held by 'w2', not 'w1'");
	ok(queue_transition(fx->q, id, "w2", JOB_FIXED, NULL));

	ok(queue_history(fx->q, &t, &nr, id));
	assert_int_equal(nr, 5);
	assert_int_equal(t[3].from, JOB_FIXING);
	assert_int_equal(t[3].to, JOB_FIXING);
	assert_non_null(strstr(t[3].reason, "lease of 'w1' ran out; claimed by 'w2'"));
	queue_history_free(t, nr);
}

static void queue__renew_only_by_the_owner(void **state)
{
	struct fixture *fx = *state;
	struct job job, after;
	int64_t id = add(fx->q, "r", "tests", NULL);

	fails_with(queue_renew(fx->q, id, "w1", 60), ERR_CONFLICT, "it is queued, held by 'nobody'");
	ok(queue_claim(fx->q, &job, "w1", 10));
	fails_with(queue_renew(fx->q, id, "intruder", 60), ERR_CONFLICT, "held by 'w1'");
	ok(queue_get(fx->q, &after, id));
	assert_true(after.lease_until == job.lease_until);
	job_release(&after);

	ok(queue_renew(fx->q, id, "w1", 60));
	ok(queue_get(fx->q, &after, id));
	assert_true(after.lease_until > job.lease_until + 40);
	assert_string_equal(after.lease_owner, "w1");
	job_release(&after);
	job_release(&job);
	fails_with(queue_renew(fx->q, 42, "w1", 60), ERR_NOTFOUND, "no job 42");
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

	/* a queued job is not worked on until claimed */
	fails_with(queue_transition(fx->q, id, NULL, JOB_FIXED, NULL), ERR_CONFLICT,
		   "from 'queued' to 'fixed'");
	fails_with(queue_transition(fx->q, id, NULL, JOB_ANALYZING, NULL), ERR_CONFLICT,
		   "not claimed");
	ok(queue_claim(fx->q, &job, "w", 60));
	job_release(&job);
	ok(queue_transition(fx->q, id, "w", JOB_FIXING, NULL));
	ok(queue_transition(fx->q, id, "w", JOB_FIXED, &done));
	fails_with(queue_transition(fx->q, id, "w", JOB_FIXING, NULL), ERR_CONFLICT,
		   "from 'fixed' to 'fixing'");

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
	ok(queue_transition(fx->q, other, NULL, JOB_STALE, NULL));
	fails_with(queue_claim(fx->q, &job, "w", 60), ERR_NOTFOUND, "no job is runnable");
	fails_with(queue_transition(fx->q, other, NULL, JOB_STATE_NR, NULL), ERR_USAGE,
		   "out of range");
}

static void queue__released_job_is_claimed_again_at_once(void **state)
{
	struct fixture *fx = *state;
	struct job job;
	int64_t id = add(fx->q, "rel", "tests", NULL);

	/* SIGTERM: the worker gives back the job in hand, without a retry's wait */
	ok(queue_claim(fx->q, &job, "w1", 60));
	job_release(&job);
	fails_with(queue_transition(fx->q, id, "w2", JOB_QUEUED, NULL), ERR_CONFLICT, "held by 'w1'");
	ok(queue_transition(fx->q, id, "w1", JOB_QUEUED, NULL));
	ok(queue_claim(fx->q, &job, "w2", 60));
	assert_int_equal(job.id, id);
	assert_int_equal(job.attempts, 0);
	assert_string_equal(job.lease_owner, "w2");
	job_release(&job);
	fails_with(queue_retry(fx->q, id, "w1", "late"), ERR_CONFLICT, "held by 'w2', not 'w1'");
}

static void queue__retry_backs_off(void **state)
{
	struct fixture *fx = *state;
	struct job job;
	double now;
	int64_t id = add(fx->q, "b", "tests", NULL);
	int a;

	ok(queue_claim(fx->q, &job, "w", 60));
	job_release(&job);
	fails_with(queue_retry(fx->q, id, "x", "clone failed"), ERR_CONFLICT, "held by 'w'");
	now = clock_wall();
	ok(queue_retry(fx->q, id, "w", "clone failed"));
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

	ok(queue_open_sqlite(&fx->q, fx->path.ptr));
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
	job_release(&job);
	ok(queue_depth(fx->q, &depth));
	assert_int_equal(depth, 1);
	/* stopping gives the job back: queued, claimable at once, no attempt counted */
	ok(queue_release(fx->q, id, "w1", "stopping"));
	ok(queue_claim(fx->q, &job, "w2", 60));
	assert_int_equal(job.attempts, 0);
	job_release(&job);
	ok(queue_transition(fx->q, id, "w2", JOB_ESCALATED,
			    &(struct job_outcome){ .confidence = 0.3, .category = "lint" }));
	ok(queue_depth(fx->q, &depth));
	assert_int_equal(depth, 0);

	/* all of it is in the file */
	ok(queue_open_sqlite(&again, fx->path.ptr));
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

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(queue__enqueue_dedups),
		T(queue__claim_takes_the_oldest_first),
		T(queue__two_claimers_never_share_a_job),
		T(queue__expired_lease_is_claimed_again),
		T(queue__renew_only_by_the_owner),
		T(queue__transitions_are_recorded_and_illegal_ones_refused),
		T(queue__released_job_is_claimed_again_at_once),
		T(queue__retry_backs_off),
		T(queue__reopen_loses_nothing),
		T(queue__unknown_state_is_named),
		T(queue__foreign_database_is_refused),
		T(queue__deliveries_counters_and_messages_are_kept),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
