#ifndef TESTS_SERVE_JOBS_H
#define TESTS_SERVE_JOBS_H

/*
 * A real SQLite queue (serve/queue.h) in a private temporary directory,
 * filled through the queue's own API the way the workers fill it, for the
 * tests of what reads it (metrics, dashboard). Included by the test
 * programs after cmocka, serve/queue.h, util/buf.h, util/clock.h,
 * util/error.h, util/fs.h and util/xalloc.h.
 */

#define JOBS_OWNER "w1"
#define JOBS_LEASE_S 60
/* a retried job is claimable again after its backoff; wait no longer than this */
#define JOBS_CLAIM_WAIT_MS 5000
#define JOBS_POLL_MS 50

struct jobs_fixture {
	struct buf dir;
	struct queue *q;
};

static void jobs_ok(int ret)
{
	if (ret < 0)
		fail_msg("unexpected error %d: %s", ret, error_last());
}

static int jobs_setup(void **state)
{
	struct jobs_fixture *fx = xcalloc(1, sizeof(*fx));
	struct buf path = BUF_INIT;

	buf_init(&fx->dir, 0);
	jobs_ok(fs_mkdtemp(&fx->dir, "pf-serve-jobs"));
	buf_addf(&path, "%s/serve.db", fx->dir.ptr);
	jobs_ok(queue_open_sqlite(&fx->q, path.ptr));
	buf_release(&path);
	*state = fx;
	return 0;
}

static int jobs_teardown(void **state)
{
	struct jobs_fixture *fx = *state;

	queue_close(fx->q);
	fs_remove_tree(fx->dir.ptr);
	buf_release(&fx->dir);
	free(fx);
	return 0;
}

static int64_t jobs_add(struct queue *q, const char *repository, long pr, const char *sha,
			const char *check)
{
	struct job_new n = { .repository = repository, .pull_request = pr, .head_sha = sha,
			     .check = check, .payload = "{}" };
	struct job job;
	int64_t id;

	jobs_ok(queue_enqueue(q, &job, NULL, &n));
	id = job.id;
	job_release(&job);
	return id;
}

/* claim job `id` (the only runnable one), waiting out a retry's backoff; its fence */
static int64_t jobs_claim(struct queue *q, int64_t id)
{
	int64_t fence;
	double until = clock_monotonic() + JOBS_CLAIM_WAIT_MS / 1000.0;
	struct job job;
	int ret;

	while ((ret = queue_claim(q, &job, JOBS_OWNER, JOBS_LEASE_S)) == ERR_NOTFOUND &&
	       clock_monotonic() < until)
		clock_sleep_ms(JOBS_POLL_MS);
	jobs_ok(ret);
	assert_int_equal(job.id, id);
	fence = job.fence;
	job_release(&job);
	return fence;
}

/* a claimed job to its end (fixed goes through fixing), or a queued one to stale or ignored */
static void jobs_end(struct queue *q, int64_t id, int64_t fence, enum job_state to,
		     double confidence, const char *category, const char *reason,
		     const char *commit)
{
	struct job_outcome o = { .confidence = confidence, .category = category,
				 .reason = reason, .commit = commit };

	if (to == JOB_FIXED)
		jobs_ok(queue_transition(q, id, JOBS_OWNER, fence, JOB_FIXING, NULL));
	jobs_ok(queue_transition(q, id, to == JOB_STALE || to == JOB_IGNORED ? NULL : JOBS_OWNER,
				 to == JOB_STALE || to == JOB_IGNORED ? 0 : fence, to, &o));
}

/*
 * Six jobs: two fixed ("assertion"; the second after a retry, so it takes
 * its backoff, over a second), one escalated ("lint"), one failed
 * ("network"), one queued, one stale. Returns the retried job's id.
 */
static int64_t jobs_fill(struct queue *q)
{
	int64_t id, retried, fence;

	id = jobs_add(q, "acme/calc", 7, "a1", "tests");
	fence = jobs_claim(q, id);
	jobs_end(q, id, fence, JOB_FIXED, 0.92, "assertion", "fixed test_add",
		 "0123456789abcdef0123456789abcdef01234567");

	retried = jobs_add(q, "acme/calc", 8, "b1", "tests");
	fence = jobs_claim(q, retried);
	jobs_ok(queue_retry(q, retried, JOBS_OWNER, fence, "clone failed: timed out", 0));
	fence = jobs_claim(q, retried);
	jobs_end(q, retried, fence, JOB_FIXED, 0.85, "assertion", "fixed test_sub",
		 "89abcdef0123456789abcdef0123456789abcdef");

	id = jobs_add(q, "acme/web", 3, "c1", "lint");
	fence = jobs_claim(q, id);
	jobs_end(q, id, fence, JOB_ESCALATED, 0.3, "lint", "no test failure in the log", NULL);

	id = jobs_add(q, "acme/web", 4, "d1", "tests");
	fence = jobs_claim(q, id);
	jobs_end(q, id, fence, JOB_FAILED, -1, "network", "cannot fetch the log: 502", NULL);

	jobs_add(q, "acme/calc", 9, "e1", "tests");
	id = jobs_add(q, "acme/calc", 7, "f0", "tests");
	jobs_end(q, id, 0, JOB_STALE, -1, NULL, "not the head of the pull request any more", NULL);
	return retried;
}

#endif
