/*
 * The PostgreSQL backend of the queue (src/serve/queue_pg.c) on a real
 * PostgreSQL 15 cluster (tests/pg/cluster.py), one per program, with a
 * fresh database per test: what only this backend does (opening at once
 * under an advisory lock, SKIP LOCKED claims from many connections,
 * LISTEN/NOTIFY, fencing across connections, reconnecting after a server
 * restart, connection errors without the password). The contract both
 * backends keep is tested in test_serve_queue.c.
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

#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LONG_WAIT_MS 20000L     /* a notification ends it long before */
#define SHORT_WAIT_MS 200L
#define CLAIM_JOBS 200
#define OPENERS 8

static struct pg_cluster cluster;

static int group_setup(void **state)
{
	(void)state;
	return pg_cluster_start(&cluster);
}

static int group_teardown(void **state)
{
	(void)state;
	pg_cluster_destroy(&cluster);
	return 0;
}

struct fixture {
	char *url;             /* a fresh database's */
	struct queue *q;
};

static int setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof(*fx));

	if (!(fx->url = pg_cluster_createdb(&cluster)))
		fail_msg("cannot create a database in the test cluster");
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	queue_close(fx->q);
	free(fx->url);
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

static struct queue *open_queue(const char *url)
{
	struct queue *q = NULL;

	ok(queue_open_pg(&q, url));
	return q;
}

static int64_t add(struct queue *q, const char *sha)
{
	struct job_new n = { .repository = "acme/calc", .pull_request = 7, .head_sha = sha,
			     .check = "tests", .payload = "{}" };
	struct job job;
	int64_t id;

	ok(queue_enqueue(q, &job, NULL, &n));
	id = job.id;
	job_release(&job);
	return id;
}

/* `sql` straight to the database of `url`: the first value of its result, the caller's */
static char *sql_value(const char *url, const char *sql)
{
	PGconn *conn = PQconnectdb(url);
	PGresult *res;
	char *out;

	if (PQstatus(conn) != CONNECTION_OK)
		fail_msg("cannot connect: %s", PQerrorMessage(conn));
	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK && PQresultStatus(res) != PGRES_COMMAND_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(conn));
	out = xstrdup(PQntuples(res) ? PQgetvalue(res, 0, 0) : "");
	PQclear(res);
	PQfinish(conn);
	return out;
}

static void sql_is(const char *url, const char *sql, const char *want)
{
	char *got = sql_value(url, sql);

	assert_string_equal(got, want);
	free(got);
}

/* ---- opening ---- */

struct opener {
	const char *url;
	pthread_barrier_t *start;
	struct queue *q;
	int ret;
	char err[512];
};

static void *open_at_once(void *arg)
{
	struct opener *o = arg;

	pthread_barrier_wait(o->start);
	o->ret = queue_open_pg(&o->q, o->url);
	snprintf(o->err, sizeof(o->err), "%s", error_last());
	return NULL;
}

static void queue_pg__many_processes_open_a_new_database_at_once(void **state)
{
	struct fixture *fx = *state;
	struct opener o[OPENERS];
	pthread_t t[OPENERS];
	pthread_barrier_t start;
	struct queue *q;
	size_t i;

	pthread_barrier_init(&start, NULL, OPENERS);
	for (i = 0; i < OPENERS; i++) {
		o[i] = (struct opener){ .url = fx->url, .start = &start };
		assert_int_equal(pthread_create(&t[i], NULL, open_at_once, &o[i]), 0);
	}
	for (i = 0; i < OPENERS; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&start);
	for (i = 0; i < OPENERS; i++) {
		if (o[i].ret < 0)
			fail_msg("opener %zu: %s", i, o[i].err);
		queue_close(o[i].q);
	}
	sql_is(fx->url, "SELECT count(*) || ':' || max(version) FROM schema_version", "1:1");

	/* a newer pytest-fixer's database is refused, naming both versions */
	free(sql_value(fx->url, "UPDATE schema_version SET version = 99"));
	fails_with(queue_open_pg(&q, fx->url), ERR_USAGE,
		   "schema version 99 is newer than this pytest-fixer's 1");
	assert_null(q);
}

/* ---- claiming from two connections ---- */

struct claimer {
	const char *url;
	const char *owner;
	pthread_barrier_t *start;
	int64_t ids[CLAIM_JOBS];
	size_t nr;
	int ret;
	char err[512];
};

static void *claim_all(void *arg)
{
	struct claimer *c = arg;
	struct queue *q = NULL;
	struct job job;

	c->ret = queue_open_pg(&q, c->url);
	pthread_barrier_wait(c->start);
	while (c->ret == 0 && (c->ret = queue_claim(q, &job, c->owner, 600)) == 0) {
		if (c->nr < CLAIM_JOBS)
			c->ids[c->nr] = job.id;
		c->nr++;
		job_release(&job);
	}
	snprintf(c->err, sizeof(c->err), "%s", error_last());
	queue_close(q);
	return NULL;
}

static void queue_pg__two_connections_never_claim_one_job(void **state)
{
	struct fixture *fx = *state;
	struct claimer a = { .owner = "a" }, b = { .owner = "b" };
	char seen[CLAIM_JOBS + 1] = { 0 };
	pthread_barrier_t start;
	pthread_t ta, tb;
	char sha[32];
	size_t i;

	fx->q = open_queue(fx->url);
	/* named, unless the URL says otherwise */
	sql_is(fx->url, "SELECT count(*) FROM pg_stat_activity"
			" WHERE datname = current_database() AND application_name = 'pytest-fixer'", "1");
	for (i = 0; i < CLAIM_JOBS; i++) {
		snprintf(sha, sizeof(sha), "sha%zu", i);
		assert_int_equal(add(fx->q, sha), (int64_t)i + 1);
	}
	pthread_barrier_init(&start, NULL, 2);
	a.url = b.url = fx->url;
	a.start = b.start = &start;
	assert_int_equal(pthread_create(&ta, NULL, claim_all, &a), 0);
	assert_int_equal(pthread_create(&tb, NULL, claim_all, &b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	pthread_barrier_destroy(&start);
	if (a.ret != ERR_NOTFOUND || b.ret != ERR_NOTFOUND)
		fail_msg("claimers ended with %d (%s) and %d (%s)", a.ret, a.err, b.ret, b.err);
	assert_int_equal(a.nr + b.nr, CLAIM_JOBS);
	for (i = 0; i < a.nr; i++)
		seen[a.ids[i]]++;
	for (i = 0; i < b.nr; i++)
		seen[b.ids[i]]++;
	for (i = 1; i <= CLAIM_JOBS; i++)
		if (seen[i] != 1)
			fail_msg("job %zu was claimed %d times", i, seen[i]);
	/* one claim each: the fence counts claims */
	sql_is(fx->url, "SELECT count(*) FROM jobs WHERE fence = 1 AND state = 'analyzing'", "200");
	sql_is(fx->url, "SELECT count(*) FROM transitions WHERE reason LIKE 'claimed by %'", "200");
}

/* ---- LISTEN / NOTIFY ---- */

struct waiter {
	struct queue *q;
	int ret;
};

static void *wait_long(void *arg)
{
	struct waiter *w = arg;

	w->ret = queue_wait(w->q, LONG_WAIT_MS);
	return NULL;
}

static void queue_pg__a_waiter_is_notified_of_a_runnable_job(void **state)
{
	struct fixture *fx = *state;
	struct waiter w = { .ret = -100 };
	struct queue *other;
	struct job job;
	pthread_t t;

	fx->q = open_queue(fx->url);
	other = open_queue(fx->url);
	w.q = fx->q;
	/* nothing happened: the wait ends at its timeout */
	assert_int_equal(queue_wait(fx->q, SHORT_WAIT_MS), 0);

	/* an enqueue on another connection ends a long wait */
	assert_int_equal(pthread_create(&t, NULL, wait_long, &w), 0);
	add(other, "aaa");
	pthread_join(t, NULL);
	assert_int_equal(w.ret, 1);
	assert_int_equal(queue_wait(fx->q, SHORT_WAIT_MS), 0);

	/* a claim and a final state make nothing runnable: no notification */
	ok(queue_claim(other, &job, "w", 60));
	ok(queue_transition(other, job.id, "w", job.fence, JOB_ESCALATED, NULL));
	job_release(&job);
	assert_int_equal(queue_wait(fx->q, SHORT_WAIT_MS), 0);

	/* a job given back is runnable again */
	add(other, "bbb");
	assert_int_equal(queue_wait(fx->q, LONG_WAIT_MS), 1);
	ok(queue_claim(other, &job, "w", 60));
	ok(queue_release(other, job.id, "w", job.fence, "stopping"));
	job_release(&job);
	assert_int_equal(queue_wait(fx->q, LONG_WAIT_MS), 1);
	ok(queue_claim(other, &job, "w", 60));
	ok(queue_transition(other, job.id, "w", job.fence, JOB_QUEUED, NULL));
	job_release(&job);
	assert_int_equal(queue_wait(fx->q, LONG_WAIT_MS), 1);
	assert_int_equal(queue_wait(fx->q, SHORT_WAIT_MS), 0);

	/*
	 * A job made while another is runnable already is not notified: no
	 * worker can be idle then (a woken one claims until nothing is left).
	 */
	add(other, "ccc");
	assert_int_equal(queue_wait(fx->q, SHORT_WAIT_MS), 0);
	queue_close(other);
}

/* ---- fencing ---- */

/* claim for `owner` until a job is runnable (a lease runs out on the server's clock) */
static void claim_when_runnable(struct queue *q, struct job *out, const char *owner)
{
	int ret, tries;

	for (tries = 0; tries < 300; tries++) {
		if ((ret = queue_claim(q, out, owner, 600)) == 0)
			return;
		if (ret != ERR_NOTFOUND)
			fail_msg("%s", error_last());
		clock_sleep_ms(100);
	}
	fail_msg("no job became runnable: %s", error_last());
}

static void queue_pg__a_holder_whose_job_was_rescued_is_fenced_off(void **state)
{
	struct fixture *fx = *state;
	struct queue *other;
	struct job first, second, job;
	struct job_transition *t;
	struct job_outcome fixed = JOB_OUTCOME_INIT;
	size_t nr;
	int64_t id;

	fx->q = open_queue(fx->url);
	other = open_queue(fx->url);
	id = add(fx->q, "aaa");
	ok(queue_claim(fx->q, &first, "w", 0.3));
	assert_int_equal(first.id, id);
	assert_int_equal(first.fence, 1);
	assert_int_equal(first.rescue_count, 0);

	/* its lease runs out; the same owner name on another machine takes it */
	claim_when_runnable(other, &second, "w");
	assert_int_equal(second.id, id);
	assert_int_equal(second.state, JOB_ANALYZING);
	assert_int_equal(second.fence, 2);
	assert_int_equal(second.rescue_count, 1);
	assert_string_equal(second.lease_owner, "w");

	/* the first holder, paused past its lease, may do nothing more */
	fails_with(queue_renew(fx->q, id, "w", first.fence, 60), ERR_CONFLICT, "under fence 2");
	fails_with(queue_transition(fx->q, id, "w", first.fence, JOB_FIXING, NULL), ERR_CONFLICT,
		   "held by 'w' under fence 2, not 'w' under fence 1");
	fails_with(queue_release(fx->q, id, "w", first.fence, "stopping"), ERR_CONFLICT,
		   "under fence 2");
	fails_with(fx->q->ops->requeue(fx->q, id, "w", first.fence, "failed", 0, 1, 3),
		   ERR_CONFLICT, "under fence 2");
	fails_with(queue_transition(fx->q, id, NULL, 0, JOB_DISCARDED, NULL), ERR_CONFLICT,
		   "held by 'w'");

	/* the second holder goes on */
	ok(queue_renew(other, id, "w", second.fence, 60));
	ok(queue_transition(other, id, "w", second.fence, JOB_FIXING, NULL));
	fixed.commit = "c0ffee";
	ok(queue_transition(other, id, "w", second.fence, JOB_FIXED, &fixed));
	fails_with(queue_renew(other, id, "w", second.fence, 60), ERR_CONFLICT, "it is fixed");
	ok(queue_get(fx->q, &job, id));
	assert_int_equal(job.state, JOB_FIXED);
	assert_string_equal(job.commit, "c0ffee");
	assert_null(job.lease_owner);
	assert_true(job.finished_at > 0);
	job_release(&job);

	ok(queue_history(fx->q, &t, &nr, id));
	assert_int_equal(nr, 5);
	assert_int_equal(t[1].from, JOB_QUEUED);
	assert_string_equal(t[1].reason, "claimed by 'w'");
	assert_int_equal(t[2].from, JOB_ANALYZING);
	assert_int_equal(t[2].to, JOB_ANALYZING);
	assert_string_equal(t[2].reason, "lease of 'w' ran out; claimed by 'w'");
	assert_int_equal(t[4].to, JOB_FIXED);
	queue_history_free(t, nr);
	job_release(&first);
	job_release(&second);
	queue_close(other);
}

/* ---- discarded, and by hand ---- */

/* claim job `id` and fail it at once (no backoff): the state it is in now */
static int claim_and_fail(struct queue *q, int64_t id, const char *reason, int max_attempts)
{
	struct job held;
	int ret;

	ok(queue_claim(q, &held, "w", 60));
	assert_int_equal(held.id, id);
	ret = q->ops->requeue(q, id, "w", held.fence, reason, 0, 1, max_attempts);
	job_release(&held);
	return ret;
}

static void queue_pg__the_last_retry_discards_and_a_hand_brings_it_back(void **state)
{
	struct fixture *fx = *state;
	struct job job, held;
	int64_t id, other;

	fx->q = open_queue(fx->url);
	id = add(fx->q, "aaa");
	assert_int_equal(claim_and_fail(fx->q, id, "flaky", 2), JOB_QUEUED);
	ok(queue_get(fx->q, &job, id));
	assert_int_equal(job.state, JOB_QUEUED);
	assert_int_equal(job.attempts, 1);
	assert_int_equal(job.fence, 1);
	assert_null(job.lease_owner);
	job_release(&job);

	assert_int_equal(claim_and_fail(fx->q, id, "flaky again", 2), JOB_DISCARDED);
	ok(queue_get(fx->q, &job, id));
	assert_int_equal(job.fence, 2);
	assert_int_equal(job.state, JOB_DISCARDED);
	assert_int_equal(job.attempts, 2);
	assert_true(job.finished_at > 0);
	assert_null(job.lease_owner);
	assert_string_equal(job.reason, "flaky again");
	job_release(&job);
	fails_with(queue_manual(fx->q, id, JOB_DISCARDED, NULL), ERR_CONFLICT, "discarded");

	/* retried by hand: queued at once, attempts forgotten, the fence moved on */
	ok(queue_manual(fx->q, id, JOB_QUEUED, NULL));
	ok(queue_get(fx->q, &job, id));
	assert_int_equal(job.state, JOB_QUEUED);
	assert_int_equal(job.attempts, 0);
	assert_int_equal(job.fence, 3);
	assert_true(job.finished_at == 0);
	assert_string_equal(job.reason, "by hand");
	job_release(&job);
	fails_with(queue_manual(fx->q, id, JOB_QUEUED, NULL), ERR_CONFLICT, "queued");

	/* discarded by hand while held: its holder is refused from then on */
	ok(queue_claim(fx->q, &held, "w", 60));
	assert_int_equal(held.fence, 4);
	ok(queue_manual(fx->q, id, JOB_DISCARDED, "not worth it"));
	fails_with(queue_renew(fx->q, id, "w", held.fence, 60), ERR_CONFLICT, "it is discarded");
	fails_with(queue_transition(fx->q, id, "w", held.fence, JOB_FIXING, NULL), ERR_CONFLICT,
		   "it is discarded and held by nobody");
	job_release(&held);
	ok(queue_get(fx->q, &job, id));
	assert_int_equal(job.fence, 5);
	assert_string_equal(job.reason, "not worth it");
	job_release(&job);
	fails_with(queue_manual(fx->q, id, JOB_FIXED, NULL), ERR_USAGE, "by hand");
	fails_with(queue_manual(fx->q, 999, JOB_QUEUED, NULL), ERR_NOTFOUND, "no job 999");

	/* a queued job is moved by nobody, not by a would-be holder */
	other = add(fx->q, "bbb");
	fails_with(queue_transition(fx->q, other, "w", 1, JOB_DISCARDED, NULL), ERR_CONFLICT,
		   "held by nobody");
	ok(queue_transition(fx->q, other, NULL, 0, JOB_DISCARDED, NULL));
}

/* ---- a server restart ---- */

static void queue_pg__a_restarted_server_is_reconnected(void **state)
{
	struct fixture *fx = *state;
	struct queue *other;
	struct job job;
	int64_t id;

	fx->q = open_queue(fx->url);
	id = add(fx->q, "aaa");
	assert_int_equal(pg_cluster_restart(&cluster), 0);

	ok(queue_get(fx->q, &job, id));
	assert_int_equal(job.state, JOB_QUEUED);
	job_release(&job);
	ok(queue_claim(fx->q, &job, "w", 60));
	assert_int_equal(job.id, id);
	job_release(&job);
	/* and it listens again: nothing is runnable, so a new job is notified */
	other = open_queue(fx->url);
	id = add(other, "bbb");
	assert_int_equal(queue_wait(fx->q, LONG_WAIT_MS), 1);
	ok(queue_claim(fx->q, &job, "w", 60));
	assert_int_equal(job.id, id);
	job_release(&job);
	queue_close(other);
}

/* ---- bad URLs ---- */

/* the cluster's URL for database `db` with `password` instead of its own */
static char *with_password(const char *url, const char *password)
{
	const char *colon = strchr(url + strlen("postgres://"), ':');
	const char *at = strchr(url, '@');
	struct buf b = BUF_INIT;

	assert_non_null(colon);
	assert_non_null(at);
	buf_add(&b, url, (size_t)(colon + 1 - url));
	buf_adds(&b, password);
	buf_adds(&b, at);
	return buf_detach(&b, NULL);
}

static void refused(const char *url, const char *needle, const char *password)
{
	struct queue *q = (struct queue *)&q;

	fails_with(queue_open_pg(&q, url), ERR_USAGE, needle);
	assert_null(q);
	if (password && strstr(error_last(), password))
		fail_msg("'%s' holds the password", error_last());
}

static void queue_pg__bad_urls_are_refused_without_their_password(void **state)
{
	struct fixture *fx = *state;
	char *wrong = with_password(fx->url, "wrong-pw-7");

	refused("postgres://pf:sekritpw123@127.0.0.1:1/x",
		"cannot connect to 'postgres://pf:***@127.0.0.1:1/x'", "sekritpw123");
	refused(wrong, "cannot connect to 'postgres://pf:***@127.0.0.1:", "wrong-pw-7");
	refused(wrong, "password authentication failed", "wrong-pw-7");
	refused("postgres://%zz", "invalid database URL 'postgres://%zz'", NULL);
	refused("postgres://pf:abc@h/db?nosuchoption=1",
		"invalid database URL 'postgres://pf:***@h/db?nosuchoption=1': invalid URI query parameter",
		"abc@");
	refused("host=127.0.0.1 password=sekritpw123", "does not start with postgres://",
		"sekritpw123");
	free(wrong);
}

static void display_is(const char *database, const char *want)
{
	char *got = queue_display_name(database);

	assert_string_equal(got, want);
	free(got);
}

static void queue_pg__display_names_hide_the_password(void **state)
{
	(void)state;
	display_is("postgres://u:pw@h:5432/db", "postgres://u:***@h:5432/db");
	display_is("postgresql://u:p@ss:w@h/db", "postgresql://u:***@h/db");
	display_is("postgres://u:pa?ss@h/db", "postgres://u:***@h/db");
	display_is("postgres://u:pa/ss@h/db", "postgres://u:***@h/db");
	display_is("postgres://u@h/db", "postgres://u@h/db");
	display_is("postgres://h/my@db", "postgres://h/my@db");
	display_is("postgres://h/db?sslmode=require&password=x&a=b",
		   "postgres://h/db?sslmode=require&password=***&a=b");
	display_is("postgres://:pw@/db", "postgres://:***@/db");
	display_is("/var/lib/serve.db", "/var/lib/serve.db");
	display_is("a:b@c", "a:b@c");
	display_is("", "");
	display_is(NULL, "");
	assert_true(queue_is_pg("postgres://h/db"));
	assert_true(queue_is_pg("postgresql://h/db"));
	assert_false(queue_is_pg("postgres:/h/db"));
	assert_false(queue_is_pg("/srv/postgres://x.db"));
	assert_false(queue_is_pg(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(queue_pg__display_names_hide_the_password),
		cmocka_unit_test_setup_teardown(queue_pg__many_processes_open_a_new_database_at_once,
						setup, teardown),
		cmocka_unit_test_setup_teardown(queue_pg__two_connections_never_claim_one_job, setup,
						teardown),
		cmocka_unit_test_setup_teardown(queue_pg__a_waiter_is_notified_of_a_runnable_job, setup,
						teardown),
		cmocka_unit_test_setup_teardown(queue_pg__a_holder_whose_job_was_rescued_is_fenced_off,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			queue_pg__the_last_retry_discards_and_a_hand_brings_it_back, setup, teardown),
		cmocka_unit_test_setup_teardown(queue_pg__a_restarted_server_is_reconnected, setup,
						teardown),
		cmocka_unit_test_setup_teardown(queue_pg__bad_urls_are_refused_without_their_password,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
