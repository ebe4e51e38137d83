#include "serve/queue.h"

#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/secret.h"
#include "util/sig.h"
#include "util/xalloc.h"

#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The PostgreSQL backend of the queue (libpq): one connection per handle,
 * used by one thread at a time. Every operation is one statement (its
 * reads, writes, transition row and NOTIFY in data-modifying CTEs), so it
 * is atomic without a BEGIN and costs one round trip; times come from the
 * server's clock, so machines whose clocks disagree agree on leases. A
 * claim takes its row FOR UPDATE SKIP LOCKED: two workers never wait for
 * each other nor take one job. A statement that fails because the
 * connection was lost (the server restarted, the network) is run once more
 * after a reconnection; one that hit a deadlock up to QUEUE_PG_TX_RETRIES
 * times more.
 */

#define QUEUE_PG_VERSION 1               /* the schema_version this file writes */
#define QUEUE_PG_LOCK_KEY 7370320473843106161LL  /* pg_advisory_xact_lock() of the schema */
#define QUEUE_PG_RECONNECT_S 30          /* try to reconnect for this long */
#define QUEUE_PG_BACKOFF_FIRST_MS 100L   /* then wait this long between tries, */
#define QUEUE_PG_BACKOFF_MAX_MS 2000L    /* doubling up to this */
#define QUEUE_PG_TX_RETRIES 3            /* runs more of a statement that hit a deadlock */
#define QUEUE_PG_CONNECT_TIMEOUT "10"    /* seconds, unless the URL says otherwise */
#define QUEUE_PG_APP_NAME "pytest-fixer" /* unless the URL or PGAPPNAME says otherwise */
#define QUEUE_PG_MAX_PARAMS 12
#define QUEUE_PG_MAX_STATEMENTS 40       /* prepared per connection; more run unprepared */

/* the server's wall clock, in seconds since the epoch */
#define NOW_SQL "extract(epoch FROM clock_timestamp())::float8"
#define NOW_CTE "n AS MATERIALIZED (SELECT " NOW_SQL " AS t)"
#define NOTIFY_SQL "pg_notify('" QUEUE_CHANNEL "', '')"

static const char schema[] =
	"CREATE TABLE jobs ("
	"  id bigserial PRIMARY KEY,"
	"  repository text NOT NULL,"
	"  pull_request bigint NOT NULL DEFAULT 0,"
	"  head_sha text NOT NULL,"
	"  check_name text NOT NULL,"
	"  state text NOT NULL CHECK (state IN ('queued', 'analyzing', 'fixing', 'fixed',"
	"    'escalated', 'failed', 'stale', 'ignored', 'discarded')),"
	"  confidence double precision NOT NULL DEFAULT -1,"
	"  attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),"
	"  created_at double precision NOT NULL,"
	"  finished_at double precision NOT NULL DEFAULT 0,"
	"  not_before double precision NOT NULL DEFAULT 0,"
	"  commit_id text,"
	"  reason text,"
	"  payload text NOT NULL DEFAULT '',"
	"  lease_owner text,"
	"  lease_until double precision NOT NULL DEFAULT 0,"
	"  category text,"
	"  fence bigint NOT NULL DEFAULT 0,"
	"  rescue_count integer NOT NULL DEFAULT 0,"
	"  UNIQUE (repository, head_sha, check_name)"
	");"
	/*
	 * The open jobs in id order: a claim walks it from the oldest and stops
	 * at the first due one (few are held, few wait for a backoff), however
	 * many finished jobs the table holds. Indexes on not_before and
	 * lease_until instead made the planner OR two bitmaps and sort every
	 * runnable job, or walk the primary key through every finished job; and
	 * with lease_until in no index a renewal is a HOT update.
	 */
	"CREATE INDEX jobs_open ON jobs (id) WHERE state IN ('queued', 'analyzing', 'fixing');"
	"CREATE TABLE transitions ("
	"  id bigserial PRIMARY KEY,"
	"  job bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,"
	"  from_state text,"
	"  to_state text NOT NULL,"
	"  at double precision NOT NULL,"
	"  reason text"
	");"
	"CREATE INDEX transitions_job ON transitions (job, id);"
	"CREATE TABLE deliveries (id text PRIMARY KEY, at double precision NOT NULL);"
	"CREATE TABLE counters (name text PRIMARY KEY, value double precision NOT NULL);"
	"CREATE TABLE messages ("
	"  id bigserial PRIMARY KEY,"
	"  job bigint NOT NULL DEFAULT 0,"
	"  type text NOT NULL,"
	"  body text NOT NULL,"
	"  at double precision NOT NULL"
	");"
	"CREATE INDEX messages_job ON messages (job, id);"
	"CREATE TABLE processes ("
	"  name text PRIMARY KEY,"
	"  role text NOT NULL,"
	"  started_at double precision NOT NULL,"
	"  seen_at double precision NOT NULL,"
	"  jobs_done bigint NOT NULL DEFAULT 0"
	");"
	"CREATE TABLE schema_version ("
	"  one boolean PRIMARY KEY DEFAULT true CHECK (one),"
	"  version integer NOT NULL"
	");";

/* a job's columns, in read_job()'s order, each prefixed by `t` ("j.", "") */
#define JOB_COLS(t)                                                                    \
	t "id, " t "repository, " t "pull_request, " t "head_sha, " t "check_name, "       \
	t "state, " t "confidence, " t "attempts, " t "created_at, " t "finished_at, "     \
	t "not_before, " t "commit_id, " t "reason, " t "payload, " t "lease_owner, "      \
	t "lease_until, " t "category, " t "fence, " t "rescue_count"
#define JOB_NCOLS 19

/*
 * The oldest runnable job (queued and due, or held past its lease), taken
 * and recorded in one statement: queued becomes analyzing; an expired
 * lease keeps its state and counts a rescue. $1 owner, $2 lease.
 */
static const char claim_sql[] =
	"WITH " NOW_CTE ","
	" c AS (SELECT j.id, j.state, j.lease_owner FROM jobs j, n"
	"       WHERE j.state IN ('queued', 'analyzing', 'fixing')"
	"         AND CASE WHEN j.state = 'queued' THEN j.not_before ELSE j.lease_until END <= n.t"
	"       ORDER BY j.id LIMIT 1 FOR UPDATE OF j SKIP LOCKED),"
	" u AS (UPDATE jobs j SET"
	"         state = CASE WHEN c.state = 'queued' THEN 'analyzing' ELSE c.state END,"
	"         rescue_count = j.rescue_count + CASE WHEN c.state = 'queued' THEN 0 ELSE 1 END,"
	"         fence = j.fence + 1, lease_owner = $1, lease_until = n.t + $2"
	"       FROM c, n WHERE j.id = c.id"
	"       RETURNING " JOB_COLS("j.") ", c.state AS from_state,"
	"         c.lease_owner AS old_owner, n.t AS at),"
	" r AS (INSERT INTO transitions (job, from_state, to_state, at, reason)"
	"       SELECT id, from_state, state, at,"
	"         CASE WHEN from_state = 'queued' THEN format('claimed by %L', $1)"
	"         ELSE format('lease of %L ran out; claimed by %L', coalesce(old_owner, ''), $1)"
	"         END FROM u)"
	" SELECT " JOB_COLS("") " FROM u";

/*
 * A held job moved on by its holder, or an unheld one by nobody, in one
 * statement that says what the job was (state, owner, fence) and whether
 * it moved (a job given back is notified). $1 id, $2 owner (NULL: not
 * held), $3 fence, $4 the states it may come from ({a,b}), $5 to,
 * $6 confidence, $7 commit, $8 reason, $9 category, $10 keep the lease
 * (1 when `to` is a held state).
 */
static const char move_sql[] =
	"WITH " NOW_CTE ","
	" o AS (SELECT id, state, lease_owner, fence FROM jobs WHERE id = $1 FOR UPDATE),"
	" u AS (UPDATE jobs j SET state = $5,"
	"         confidence = CASE WHEN $6::float8 >= 0 THEN $6 ELSE j.confidence END,"
	"         commit_id = coalesce($7, j.commit_id), reason = coalesce($8, j.reason),"
	"         category = coalesce($9, j.category),"
	"         finished_at = CASE WHEN $5 IN ('queued', 'analyzing', 'fixing') THEN 0"
	"           ELSE n.t END,"
	"         lease_owner = CASE WHEN $10::int = 1 THEN j.lease_owner END,"
	"         lease_until = CASE WHEN $10::int = 1 THEN j.lease_until ELSE 0 END"
	"       FROM o, n WHERE j.id = o.id AND o.state = ANY ($4::text[])"
	"         AND ((o.lease_owner IS NULL AND $2::text IS NULL)"
	"           OR (o.lease_owner = $2 AND o.fence = $3::bigint))"
	"         AND ($10::int = 0 OR o.lease_owner IS NOT NULL)"
	"       RETURNING j.id, o.state AS from_state, j.state AS to_state, n.t AS at),"
	" r AS (INSERT INTO transitions (job, from_state, to_state, at, reason)"
	"       SELECT id, from_state, to_state, at, $8 FROM u)"
	" SELECT o.state, o.lease_owner, o.fence, (SELECT count(*) FROM u),"
	"   CASE WHEN (SELECT to_state FROM u) = 'queued' THEN " NOTIFY_SQL " END FROM o";

/*
 * A held job given back by its holder: queued after $5 seconds with
 * attempts + $6, or discarded when that reaches $7 (> 0). $1 id, $2 owner,
 * $3 fence, $4 reason, $8 the states it may come from. Notifies when queued.
 */
static const char requeue_sql[] =
	"WITH " NOW_CTE ","
	" o AS (SELECT id, state, lease_owner, fence, attempts FROM jobs WHERE id = $1 FOR UPDATE),"
	" d AS (SELECT o.id, ($7::int > 0 AND o.attempts + $6::int >= $7::int) AS out FROM o),"
	" u AS (UPDATE jobs j SET"
	"         state = CASE WHEN d.out THEN 'discarded' ELSE 'queued' END,"
	"         attempts = o.attempts + $6::int, not_before = n.t + $5::float8,"
	"         finished_at = CASE WHEN d.out THEN n.t ELSE 0 END,"
	"         reason = coalesce($4, j.reason), lease_owner = NULL, lease_until = 0"
	"       FROM o, d, n WHERE j.id = o.id AND o.state = ANY ($8::text[])"
	"         AND o.lease_owner = $2 AND o.fence = $3"
	"       RETURNING j.id, o.state AS from_state, j.state AS to_state, n.t AS at),"
	" r AS (INSERT INTO transitions (job, from_state, to_state, at, reason)"
	"       SELECT id, from_state, to_state, at, $4 FROM u)"
	" SELECT o.state, o.lease_owner, o.fence, u.to_state,"
	"   CASE WHEN u.to_state = 'queued' THEN " NOTIFY_SQL " END"
	" FROM o LEFT JOIN u ON true";

/*
 * By hand: $2 ('queued' or 'discarded') from one of the states $3, whoever
 * holds it; the lease ends and the fence moves on. $4 reason.
 */
static const char manual_sql[] =
	"WITH " NOW_CTE ","
	" o AS (SELECT id, state FROM jobs WHERE id = $1 FOR UPDATE),"
	" u AS (UPDATE jobs j SET state = $2,"
	"         attempts = CASE WHEN $2 = 'queued' THEN 0 ELSE j.attempts END,"
	"         not_before = CASE WHEN $2 = 'queued' THEN n.t ELSE j.not_before END,"
	"         finished_at = CASE WHEN $2 = 'queued' THEN 0 ELSE n.t END,"
	"         reason = $4, lease_owner = NULL, lease_until = 0, fence = j.fence + 1"
	"       FROM o, n WHERE j.id = o.id AND o.state = ANY ($3::text[])"
	"       RETURNING j.id, o.state AS from_state, j.state AS to_state, n.t AS at),"
	" r AS (INSERT INTO transitions (job, from_state, to_state, at, reason)"
	"       SELECT id, from_state, to_state, at, $4 FROM u)"
	" SELECT o.state, u.to_state,"
	"   CASE WHEN u.to_state = 'queued' THEN " NOTIFY_SQL " END"
	" FROM o LEFT JOIN u ON true";

struct pg_queue {
	struct queue base;
	PGconn *conn;
	char *name;            /* the URL without its password, for messages */
	/* the URL's password as written and as libpq decodes it (or NULL), scrubbed from messages */
	char *passwords[2];
	/* the statements prepared on this connection (pg_run()): "pf_<index>" */
	const char *prepared[QUEUE_PG_MAX_STATEMENTS];
	size_t nr_prepared;
};

static struct pg_queue *pg_of(struct queue *q)
{
	return (struct pg_queue *)q;
}

/* the URL */

/* append <s, len> with every value of a "password=" parameter of the query replaced */
static void add_query_masked(struct buf *out, const char *s, size_t len)
{
	const char *end = s + len, *p = s;

	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(stop - p));

		if (eq && eq - p == 8 && !strncmp(p, "password", 8)) {
			buf_add(out, p, (size_t)(eq + 1 - p));
			buf_adds(out, "***");
		} else {
			buf_add(out, p, (size_t)(stop - p));
		}
		if (amp)
			buf_addch(out, '&');
		p = stop + 1;
	}
}

/*
 * The password of the user info of `url`, <start, *len>, as it is hidden
 * when shown; NULL when there is none. libpq takes the user info up to the
 * first '@' before a '/', even across a '?': hiding up to the last one
 * hides at least as much. A '/' in a password (not percent-encoded) ends
 * libpq's user info early, but the user meant a password: with no '@'
 * before the first '/', the last '@' before the query ends it.
 */
static const char *url_password(size_t *len, const char *url)
{
	const char *rest = strstr(url, "://"), *end, *at, *colon;

	if (!rest)
		return NULL;
	rest += 3;
	end = rest + strcspn(rest, "/");
	if (!memchr(rest, '@', (size_t)(end - rest)))
		end = rest + strcspn(rest, "?#");
	for (at = end; at > rest && at[-1] != '@'; at--)
		;
	if (at == rest || !(colon = memchr(rest, ':', (size_t)(at - 1 - rest))))
		return NULL;
	*len = (size_t)(at - 1 - (colon + 1));
	return colon + 1;
}

char *queue_display_name(const char *database)
{
	struct buf out = BUF_INIT;
	const char *rest, *pw, *query;
	size_t pw_len = 0;

	if (!database)
		return xstrdup("");
	if (!(rest = strstr(database, "://")))
		return xstrdup(database);
	rest += 3;
	if ((pw = url_password(&pw_len, database))) {
		buf_add(&out, database, (size_t)(pw - database));
		buf_adds(&out, "***");
		rest = pw + pw_len;
	} else {
		buf_add(&out, database, (size_t)(rest - database));
	}
	/* the query of what follows the user info, where a password= may be */
	query = strchr(rest, '?');
	if (!query)
		query = rest + strlen(rest);
	buf_add(&out, rest, (size_t)(query - rest));
	if (*query) {
		buf_addch(&out, '?');
		query++;
		add_query_masked(&out, query, strcspn(query, "#"));
		buf_adds(&out, query + strcspn(query, "#"));
	}
	return buf_detach(&out, NULL);
}

/* errors */

/*
 * libpq's message `msg` on one line, trimmed, every occurrence of a
 * password of `p` replaced by "***" (one shorter than SECRET_MIN_LEN is not
 * in the registry); the caller frees it.
 */
static char *scrubbed(const struct pg_queue *p, const char *msg)
{
	struct buf out = BUF_INIT;
	const char *c = msg ? msg : "";
	size_t i, len;

	while (*c) {
		for (i = 0; i < ARRAY_SIZE(p->passwords); i++) {
			len = p->passwords[i] ? strlen(p->passwords[i]) : 0;
			if (len && !strncmp(c, p->passwords[i], len))
				break;
		}
		if (i < ARRAY_SIZE(p->passwords)) {
			buf_adds(&out, "***");
			c += len;
		} else if (*c == '\n' || *c == '\t' || *c == '\r') {
			if (out.len && out.ptr[out.len - 1] != ' ')
				buf_addch(&out, ' ');
			c++;
		} else {
			buf_addch(&out, *c++);
		}
	}
	buf_trim(&out);
	return buf_detach(&out, NULL);
}

/* "cannot <what>: queue '<name>': <libpq's message>" as `code` */
static int pg_fail(struct pg_queue *p, int code, const char *what, const char *libpq_msg)
{
	char *msg = scrubbed(p, libpq_msg);

	error_setc(code, "cannot %s: queue '%s': %s", what, p->name, msg);
	free(msg);
	return code;
}

/* the failure of `res` (NULL: out of memory or the connection), as one of our codes */
static int result_fail(struct pg_queue *p, const PGresult *res, const char *what)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	return pg_fail(p, state && !strcmp(state, "23505") ? ERR_CONFLICT : ERR_GENERIC, what,
		       msg ? msg : PQerrorMessage(p->conn));
}

/* a deadlock or a serialization failure: the statement may simply be run again */
static int transient(const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	return state && (!strcmp(state, "40001") || !strcmp(state, "40P01"));
}

/* connecting */

static int pg_listen(struct pg_queue *p)
{
	PGresult *res = PQexec(p->conn, "LISTEN " QUEUE_CHANNEL);
	int ret = 0;

	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		ret = result_fail(p, res, "listen for new jobs");
	PQclear(res);
	return ret;
}

/*
 * The connection was lost: reset it, with a backoff, for up to
 * QUEUE_PG_RECONNECT_S, and LISTEN again.
 */
static int pg_reconnect(struct pg_queue *p, const char *what)
{
	double deadline = clock_monotonic() + QUEUE_PG_RECONNECT_S;
	long delay = QUEUE_PG_BACKOFF_FIRST_MS;
	char *msg;

	for (;;) {
		PQreset(p->conn);
		p->nr_prepared = 0;   /* a new session has none */
		if (PQstatus(p->conn) == CONNECTION_OK && pg_listen(p) == 0)
			return 0;
		if (clock_monotonic() + (double)delay / 1000 > deadline)
			break;
		if (clock_sleep_interruptible(delay))
			return error_setc(ERR_INTERRUPTED, "cannot %s: interrupted while reconnecting to queue '%s'",
					  what, p->name);
		delay = delay * 2 > QUEUE_PG_BACKOFF_MAX_MS ? QUEUE_PG_BACKOFF_MAX_MS : delay * 2;
	}
	msg = scrubbed(p, PQerrorMessage(p->conn));
	error_setc(ERR_GENERIC, "cannot %s: lost the connection to queue '%s' and could not reconnect within %d s: %s",
		   what, p->name, QUEUE_PG_RECONNECT_S, msg);
	free(msg);
	return ERR_GENERIC;
}

/* statements */

/*
 * Run `sql` with its `nr` parameters, prepared on first use (`sql` is a
 * static string: its address names it) so that it is planned once per
 * connection; unprepared when the handle holds QUEUE_PG_MAX_STATEMENTS
 * already. The result, or NULL.
 */
static PGresult *pg_run(struct pg_queue *p, const char *sql, int nr, const char *const *values)
{
	char name[16];
	size_t i;

	for (i = 0; i < p->nr_prepared && p->prepared[i] != sql; i++)
		;
	if (i == QUEUE_PG_MAX_STATEMENTS)
		return PQexecParams(p->conn, sql, nr, NULL, values, NULL, NULL, 0);
	snprintf(name, sizeof(name), "pf_%zu", i);
	if (i == p->nr_prepared) {
		PGresult *res = PQprepare(p->conn, name, sql, nr, NULL);

		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			return res;
		PQclear(res);
		p->prepared[p->nr_prepared++] = sql;
	}
	return PQexecPrepared(p->conn, name, nr, values, NULL, NULL, 0);
}

/*
 * Run `sql` with the parameters of `fmt`, one letter each, sent as text:
 * 's' const char * (NULL: NULL), 'I' int64_t, 'l' long, 'i' int, 'f'
 * double. A lost connection is reset and the statement run once more, a
 * deadlock up to QUEUE_PG_TX_RETRIES times more. The result (the caller
 * PQclear()s it), or NULL with the error set about `what`.
 */
static PGresult *pg_vquery(struct pg_queue *p, const char *what, const char *sql,
			   const char *fmt, va_list ap)
{
	char nums[QUEUE_PG_MAX_PARAMS][40];
	const char *values[QUEUE_PG_MAX_PARAMS];
	int nr = 0, tries = 0, reconnected = 0;
	/* inside a transaction (the schema's), a new session cannot take it up */
	PGTransactionStatusType tx = PQtransactionStatus(p->conn);
	int may_reconnect = tx != PQTRANS_INTRANS && tx != PQTRANS_INERROR && tx != PQTRANS_ACTIVE;
	PGresult *res;

	for (; *fmt; fmt++, nr++) {
		if (nr == QUEUE_PG_MAX_PARAMS)
			abort();
		values[nr] = nums[nr];
		switch (*fmt) {
		case 's':
			values[nr] = va_arg(ap, const char *);
			break;
		case 'I':
			snprintf(nums[nr], sizeof(nums[nr]), "%" PRId64, va_arg(ap, int64_t));
			break;
		case 'l':
			snprintf(nums[nr], sizeof(nums[nr]), "%ld", va_arg(ap, long));
			break;
		case 'i':
			snprintf(nums[nr], sizeof(nums[nr]), "%d", va_arg(ap, int));
			break;
		case 'f':
			snprintf(nums[nr], sizeof(nums[nr]), "%.17g", va_arg(ap, double));
			break;
		default:
			abort();
		}
	}
	for (;;) {
		ExecStatusType st;

		res = pg_run(p, sql, nr, values);
		st = PQresultStatus(res);
		if (res && (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK))
			return res;
		if (PQstatus(p->conn) == CONNECTION_BAD && may_reconnect && !reconnected) {
			PQclear(res);
			if (pg_reconnect(p, what) < 0)
				return NULL;
			reconnected = 1;
			continue;
		}
		if (transient(res) && tries++ < QUEUE_PG_TX_RETRIES) {
			PQclear(res);
			continue;
		}
		result_fail(p, res, what);
		PQclear(res);
		return NULL;
	}
}

static PGresult *pg_query(struct pg_queue *p, const char *what, const char *sql,
			  const char *fmt, ...)
{
	PGresult *res;
	va_list ap;

	va_start(ap, fmt);
	res = pg_vquery(p, what, sql, fmt, ap);
	va_end(ap);
	return res;
}

/* run `sql` (pg_query()) for its effect only: 0 or the error */
static int pg_exec(struct pg_queue *p, const char *what, const char *sql, const char *fmt, ...)
{
	PGresult *res;
	va_list ap;

	va_start(ap, fmt);
	res = pg_vquery(p, what, sql, fmt, ap);
	va_end(ap);
	PQclear(res);
	return res ? 0 : ERR_GENERIC;
}

/*
 * Run `sql` (pg_query()) and read each row into an item of `size` bytes
 * appended to *out (by `read`); on error *out is freed by `release` and
 * emptied.
 */
static int read_rows(struct pg_queue *p, void **out, size_t *nr, size_t size,
		     int (*read)(void *item, const PGresult *res, int row),
		     void (*release)(void *items, size_t nr), const char *what, const char *sql,
		     const char *fmt, ...)
{
	struct buf why = BUF_INIT;
	PGresult *res;
	va_list ap;
	int i, rows, ret = 0;

	buf_addf(&why, "read the %s", what);
	va_start(ap, fmt);
	res = pg_vquery(p, why.ptr, sql, fmt, ap);
	va_end(ap);
	buf_release(&why);
	if (!res)
		return ERR_GENERIC;
	rows = PQntuples(res);
	if (rows > 0) {
		*out = xcalloc((size_t)rows, size);
		for (i = 0; i < rows && ret == 0; i++) {
			ret = read((char *)*out + (size_t)i * size, res, i);
			*nr = (size_t)i + 1;
		}
	}
	PQclear(res);
	if (ret < 0) {
		error_prefix(ret, "cannot read the %s of queue '%s'", what, p->name);
		release(*out, *nr);
		*out = NULL;
		*nr = 0;
	}
	return ret;
}

static char *col_dup(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : xstrdup(PQgetvalue(res, row, col));
}

static double col_double(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? 0 : strtod(PQgetvalue(res, row, col), NULL);
}

static int64_t col_int(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? 0 : strtoll(PQgetvalue(res, row, col), NULL, 10);
}

/* the state in column `col`: ERR_PARSE naming it when we do not know it */
static int col_state(enum job_state *out, const PGresult *res, int row, int col)
{
	return job_state_parse(out, PQgetvalue(res, row, col));
}

/* row `row` of `res` (JOB_COLS) into `out` */
static int read_job(struct job *out, const PGresult *res, int row)
{
	int ret;

	memset(out, 0, sizeof(*out));
	if ((ret = col_state(&out->state, res, row, 5)) < 0)
		return error_prefix(ret, "cannot read job %s", PQgetvalue(res, row, 0));
	out->id = col_int(res, row, 0);
	out->repository = col_dup(res, row, 1);
	out->pull_request = (long)col_int(res, row, 2);
	out->head_sha = col_dup(res, row, 3);
	out->check = col_dup(res, row, 4);
	out->confidence = col_double(res, row, 6);
	out->attempts = (int)col_int(res, row, 7);
	out->created_at = col_double(res, row, 8);
	out->finished_at = col_double(res, row, 9);
	out->not_before = col_double(res, row, 10);
	out->commit = col_dup(res, row, 11);
	out->reason = col_dup(res, row, 12);
	out->payload = col_dup(res, row, 13);
	out->lease_owner = col_dup(res, row, 14);
	out->lease_until = col_double(res, row, 15);
	out->category = col_dup(res, row, 16);
	out->fence = col_int(res, row, 17);
	out->rescue_count = (int)col_int(res, row, 18);
	return 0;
}

/* the single job `res` holds, if any: 0 and *found */
static int one_job(struct job *out, int *found, PGresult *res)
{
	int ret = 0;

	*found = 0;
	if (!res)
		return ERR_GENERIC;
	if (PQntuples(res) > 0 && (ret = read_job(out, res, 0)) == 0)
		*found = 1;
	PQclear(res);
	return ret;
}

/* the states `to` may come from, as a PostgreSQL array: "{queued,analyzing}" */
static void states_from(struct buf *out, int (*may)(enum job_state from, enum job_state to),
			enum job_state to)
{
	int s;

	buf_addch(out, '{');
	for (s = 0; s < JOB_STATE_NR; s++)
		if (may((enum job_state)s, to))
			buf_addf(out, "%s%s", out->len > 1 ? "," : "", job_state_name((enum job_state)s));
	buf_addch(out, '}');
}

static int not_found(struct pg_queue *p, int64_t id)
{
	return error_setc(ERR_NOTFOUND, "no job %" PRId64 " in queue '%s'", id, p->name);
}

/*
 * Why the move of job `id` to `to` by (owner, fence) was refused, from what
 * the job was: its state, lease owner and fence in columns 0, 1, 2 of `res`.
 */
static int refused(const PGresult *res, int64_t id, const char *owner, int64_t fence,
		   enum job_state to)
{
	enum job_state was;
	int ret;

	if ((ret = col_state(&was, res, 0, 0)) < 0)
		return ret;
	/* whose it is first: a worker that lost the job hears that, not the state it moved to */
	if (!PQgetisnull(res, 0, 1) &&
	    (!owner || strcmp(owner, PQgetvalue(res, 0, 1)) ||
	     strtoll(PQgetvalue(res, 0, 2), NULL, 10) != fence))
		return error_setc(ERR_CONFLICT,
				  "cannot move job %" PRId64 " to '%s': its lease is held by '%s' under fence %s, not '%s' under fence %" PRId64,
				  id, job_state_name(to), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2),
				  owner ? owner : "(none)", fence);
	if (PQgetisnull(res, 0, 1) && owner)
		return error_setc(ERR_CONFLICT,
				  "cannot move job %" PRId64 " to '%s' for '%s': it is %s and held by nobody",
				  id, job_state_name(to), owner, job_state_name(was));
	if (!job_state_allowed(was, to))
		return error_setc(ERR_CONFLICT, "cannot move job %" PRId64 " from '%s' to '%s'", id,
				  job_state_name(was), job_state_name(to));
	return error_setc(ERR_CONFLICT, "cannot move job %" PRId64 " to '%s': it is not claimed",
			  id, job_state_name(to));
}

/* operations */

static int pg_enqueue(struct queue *q, struct job *out, int *created, const struct job_new *n)
{
	static const char insert_sql[] =
		"WITH " NOW_CTE ","
		" i AS (INSERT INTO jobs (repository, pull_request, head_sha, check_name, state,"
		"         created_at, payload, reason, finished_at)"
		"       SELECT $1, $2, $3, $4,"
		"         CASE WHEN $6::text IS NULL THEN 'queued' ELSE 'ignored' END, n.t, $5, $6,"
		"         CASE WHEN $6::text IS NULL THEN 0 ELSE n.t END FROM n"
		"       ON CONFLICT (repository, head_sha, check_name) DO NOTHING"
		"       RETURNING " JOB_COLS("") "),"
		/* a fork's job is born ignored: queued, then ignored, in one statement */
		" r AS (INSERT INTO transitions (job, from_state, to_state, at, reason)"
		"       SELECT id, NULL, 'queued', created_at, NULL FROM i"
		"       UNION ALL"
		"       SELECT id, 'queued', 'ignored', created_at, reason FROM i"
		"       WHERE state = 'ignored')"
		/*
		 * NOTIFY wakes every idle worker at once, and a woken worker claims
		 * until nothing is runnable; so a job needs one only when no other
		 * was runnable already (an idle worker can exist only then). NOTIFY
		 * serialises the commits that send it: this keeps it off the busy
		 * path. Two made at once may both send one: harmless.
		 */
		" SELECT " JOB_COLS("i.") ","
		"   CASE WHEN i.state = 'queued' AND NOT EXISTS (SELECT 1 FROM jobs o"
		"     WHERE o.state IN ('queued', 'analyzing', 'fixing') AND o.state = 'queued'"
		"       AND o.not_before <= i.created_at AND o.id <> i.id)"
		"   THEN " NOTIFY_SQL " END FROM i";
	static const char by_key_sql[] =
		"SELECT " JOB_COLS("") " FROM jobs"
		" WHERE repository = $1 AND head_sha = $2 AND check_name = $3";
	struct pg_queue *p = pg_of(q);
	int ret, found;

	ret = one_job(out, &found, pg_query(p, "enqueue a job", insert_sql, "slssss",
					    n->repository, n->pull_request, n->head_sha, n->check,
					    n->payload ? n->payload : "", n->ignored_reason));
	if (ret == 0 && found) {
		*created = 1;
		return 0;
	}
	if (ret == 0)
		ret = one_job(out, &found, pg_query(p, "read the job enqueued", by_key_sql, "sss",
						    n->repository, n->head_sha, n->check));
	if (ret == 0 && !found)
		ret = error_set("cannot find the job just enqueued for '%s' at %s in queue '%s'",
				n->repository, n->head_sha, p->name);
	return ret;
}

static int pg_claim(struct queue *q, struct job *out, const char *owner, double lease_s)
{
	struct pg_queue *p = pg_of(q);
	int ret, found;

	ret = one_job(out, &found, pg_query(p, "claim a job", claim_sql, "sf", owner, lease_s));
	if (ret == 0 && !found)
		ret = error_setc(ERR_NOTFOUND, "no job is runnable in queue '%s'", p->name);
	return ret;
}

static int pg_renew(struct queue *q, int64_t id, const char *owner, int64_t fence,
		    double lease_s)
{
	static const char renew_sql[] =
		"WITH u AS (UPDATE jobs SET lease_until = " NOW_SQL " + $4"
		"   WHERE id = $1 AND lease_owner = $2 AND fence = $3"
		"   AND state IN ('analyzing', 'fixing') RETURNING id)"
		" SELECT state, lease_owner, fence, (SELECT count(*) FROM u) FROM jobs WHERE id = $1";
	struct pg_queue *p = pg_of(q);
	PGresult *res = pg_query(p, "renew a lease", renew_sql, "IsIf", id, owner, fence, lease_s);
	int ret = 0;

	if (!res)
		return ERR_GENERIC;
	if (PQntuples(res) == 0)
		ret = not_found(p, id);
	else if (col_int(res, 0, 3) == 0)
		ret = error_setc(ERR_CONFLICT,
				 "cannot renew the lease of job %" PRId64 " for '%s' under fence %" PRId64 ": it is %s, held by '%s' under fence %s",
				 id, owner, fence, PQgetvalue(res, 0, 0),
				 PQgetisnull(res, 0, 1) ? "nobody" : PQgetvalue(res, 0, 1),
				 PQgetvalue(res, 0, 2));
	PQclear(res);
	return ret;
}

static int pg_transition(struct queue *q, int64_t id, const char *owner, int64_t fence,
			 enum job_state to, const struct job_outcome *o)
{
	struct pg_queue *p = pg_of(q);
	int held = to == JOB_ANALYZING || to == JOB_FIXING;
	struct buf from = BUF_INIT;
	PGresult *res;
	int ret = 0;

	states_from(&from, job_state_allowed, to);
	res = pg_query(p, "move a job", move_sql, "IsIssfsssi", id, owner, fence, from.ptr,
		       job_state_name(to), o->confidence, o->commit, o->reason, o->category,
		       held);
	buf_release(&from);
	if (!res)
		return ERR_GENERIC;
	if (PQntuples(res) == 0)
		ret = not_found(p, id);
	else if (col_int(res, 0, 3) == 0)
		ret = refused(res, id, owner, fence, to);
	PQclear(res);
	return ret;
}

static int pg_requeue(struct queue *q, int64_t id, const char *owner, int64_t fence,
		      const char *reason, double delay_s, int count_attempt, int max_attempts)
{
	struct pg_queue *p = pg_of(q);
	struct buf from = BUF_INIT;
	enum job_state now;
	PGresult *res;
	int ret;

	states_from(&from, job_state_allowed, JOB_QUEUED);
	res = pg_query(p, count_attempt ? "retry a job" : "release a job", requeue_sql, "IsIsfiis",
		       id, owner, fence, reason, delay_s, count_attempt ? 1 : 0, max_attempts,
		       from.ptr);
	buf_release(&from);
	if (!res)
		return ERR_GENERIC;
	if (PQntuples(res) == 0)
		ret = not_found(p, id);
	else if (PQgetisnull(res, 0, 3))
		ret = refused(res, id, owner, fence, JOB_QUEUED);
	else if ((ret = col_state(&now, res, 0, 3)) == 0)
		ret = (int)now;
	PQclear(res);
	return ret;
}

static int may_retry_by_hand(enum job_state from, enum job_state to)
{
	(void)to;
	return from != JOB_QUEUED;
}

static int may_discard_by_hand(enum job_state from, enum job_state to)
{
	(void)to;
	return !job_state_final(from);
}

static int pg_manual(struct queue *q, int64_t id, enum job_state to, const char *reason)
{
	struct pg_queue *p = pg_of(q);
	struct buf from = BUF_INIT;
	PGresult *res;
	int ret = 0;

	states_from(&from, to == JOB_QUEUED ? may_retry_by_hand : may_discard_by_hand, to);
	res = pg_query(p, to == JOB_QUEUED ? "retry a job" : "discard a job", manual_sql, "Isss",
		       id, job_state_name(to), from.ptr, reason ? reason : "by hand");
	buf_release(&from);
	if (!res)
		return ERR_GENERIC;
	if (PQntuples(res) == 0)
		ret = not_found(p, id);
	else if (PQgetisnull(res, 0, 1))
		ret = error_setc(ERR_CONFLICT, "cannot %s job %" PRId64 ": it is %s already",
				 to == JOB_QUEUED ? "retry" : "discard", id, PQgetvalue(res, 0, 0));
	PQclear(res);
	return ret;
}

/* take every notification that came: 1 when there was one */
static int drain(struct pg_queue *p)
{
	PGnotify *n;
	int got = 0;

	while ((n = PQnotifies(p->conn))) {
		got = 1;
		PQfreemem(n);
	}
	return got;
}

static int pg_wait(struct queue *q, long timeout_ms)
{
	struct pg_queue *p = pg_of(q);
	double deadline = clock_monotonic() + (double)timeout_ms / 1000;

	for (;;) {
		struct pollfd fd = { .fd = PQsocket(p->conn), .events = POLLIN };
		double left = deadline - clock_monotonic();
		long slice;
		int rc;

		if (PQstatus(p->conn) == CONNECTION_BAD || !PQconsumeInput(p->conn))
			return pg_reconnect(p, "wait for new jobs");
		if (drain(p))
			return 1;
		if (left <= 0 || sig_pending())
			return 0;
		/* a signal to another thread ends no poll() here: look at sig_pending() */
		slice = (long)(left * 1000) + 1;
		if (slice > CLOCK_SLEEP_SLICE_MS)
			slice = CLOCK_SLEEP_SLICE_MS;
		rc = poll(&fd, 1, (int)slice);
		if (rc < 0 && errno == EINTR)
			return 0;
		if (rc < 0)
			return error_errno("cannot wait for new jobs in queue '%s'", p->name);
	}
}

static int pg_beat(struct queue *q, const char *name, const char *role, double started_at,
		   long jobs_done)
{
	static const char beat_sql[] =
		"WITH " NOW_CTE ","
		" d AS (DELETE FROM processes USING n WHERE seen_at < n.t - $5 AND name <> $1)"
		" INSERT INTO processes (name, role, started_at, seen_at, jobs_done)"
		" SELECT $1, $2, $3, n.t, $4 FROM n"
		" ON CONFLICT (name) DO UPDATE SET role = excluded.role,"
		"   started_at = excluded.started_at, seen_at = excluded.seen_at,"
		"   jobs_done = excluded.jobs_done";

	return pg_exec(pg_of(q), "record a process beat", beat_sql, "ssflf", name, role, started_at,
		       jobs_done, QUEUE_PROCESS_TTL_S);
}

static int read_process(void *item, const PGresult *res, int row)
{
	struct queue_process *pr = item;

	pr->name = col_dup(res, row, 0);
	pr->role = col_dup(res, row, 1);
	pr->started_at = col_double(res, row, 2);
	pr->seen_at = col_double(res, row, 3);
	pr->jobs_done = (long)col_int(res, row, 4);
	return 0;
}

static void free_processes(void *items, size_t nr)
{
	queue_processes_free(items, nr);
}

static int pg_processes(struct queue *q, struct queue_process **out, size_t *nr)
{
	return read_rows(pg_of(q), (void **)out, nr, sizeof(**out), read_process, free_processes,
			 "processes",
			 "SELECT name, role, started_at, seen_at, jobs_done FROM processes"
			 " WHERE seen_at >= " NOW_SQL " - $1 ORDER BY name",
			 "f", QUEUE_PROCESS_TTL_S);
}

static int read_job_item(void *item, const PGresult *res, int row)
{
	return read_job(item, res, row);
}

static void free_jobs(void *items, size_t nr)
{
	queue_jobs_free(items, nr);
}

static int pg_list(struct queue *q, struct job **out, size_t *nr, size_t limit)
{
	return read_rows(pg_of(q), (void **)out, nr, sizeof(**out), read_job_item, free_jobs, "jobs",
			 "SELECT " JOB_COLS("") " FROM jobs ORDER BY id DESC LIMIT nullif($1::bigint, 0)",
			 "I", (int64_t)limit);
}

static int pg_get(struct queue *q, struct job *out, int64_t id)
{
	struct pg_queue *p = pg_of(q);
	int ret, found;

	ret = one_job(out, &found, pg_query(p, "read a job",
					    "SELECT " JOB_COLS("") " FROM jobs WHERE id = $1", "I",
					    id));
	if (ret == 0 && !found)
		ret = not_found(p, id);
	return ret;
}

static int read_transition(void *item, const PGresult *res, int row)
{
	struct job_transition *t = item;
	int ret;

	t->from = JOB_STATE_NR;
	if ((!PQgetisnull(res, row, 0) && (ret = col_state(&t->from, res, row, 0)) < 0) ||
	    (ret = col_state(&t->to, res, row, 1)) < 0)
		return ret;
	t->at = col_double(res, row, 2);
	t->reason = col_dup(res, row, 3);
	return 0;
}

static void free_transitions(void *items, size_t nr)
{
	queue_history_free(items, nr);
}

static int pg_history(struct queue *q, struct job_transition **out, size_t *nr, int64_t id)
{
	return read_rows(pg_of(q), (void **)out, nr, sizeof(**out), read_transition,
			 free_transitions, "history of a job",
			 "SELECT from_state, to_state, at, reason FROM transitions"
			 " WHERE job = $1 ORDER BY id", "I", id);
}

static int pg_delivery(struct queue *q, const char *id, int record, int *seen)
{
	struct pg_queue *p = pg_of(q);
	PGresult *res;

	if (record)
		res = pg_query(p, "record a delivery",
			       "INSERT INTO deliveries (id, at) VALUES ($1, " NOW_SQL ")"
			       " ON CONFLICT DO NOTHING RETURNING id", "s", id);
	else
		res = pg_query(p, "look up a delivery", "SELECT 1 FROM deliveries WHERE id = $1",
			       "s", id);
	if (!res)
		return ERR_GENERIC;
	*seen = record ? PQntuples(res) == 0 : PQntuples(res) > 0;
	PQclear(res);
	return 0;
}

static int pg_counter_add(struct queue *q, const char *name, double delta)
{
	return pg_exec(pg_of(q), "count", "INSERT INTO counters (name, value) VALUES ($1, $2)"
		       " ON CONFLICT (name) DO UPDATE SET value = counters.value + excluded.value",
		       "sf", name, delta);
}

static int read_counter(void *item, const PGresult *res, int row)
{
	struct queue_counter *c = item;

	c->name = col_dup(res, row, 0);
	c->value = col_double(res, row, 1);
	return 0;
}

static void free_counters(void *items, size_t nr)
{
	queue_counters_free(items, nr);
}

static int pg_counters(struct queue *q, struct queue_counter **out, size_t *nr)
{
	return read_rows(pg_of(q), (void **)out, nr, sizeof(**out), read_counter, free_counters,
			 "counters", "SELECT name, value FROM counters ORDER BY name", "");
}

static int pg_message_add(struct queue *q, int64_t job, const char *type, const char *body)
{
	return pg_exec(pg_of(q), "store a message",
		       "INSERT INTO messages (job, type, body, at) VALUES ($1, $2, $3, " NOW_SQL ")",
		       "Iss", job, type, body);
}

static int read_message(void *item, const PGresult *res, int row)
{
	struct queue_message *m = item;

	m->id = col_int(res, row, 0);
	m->job = col_int(res, row, 1);
	m->type = col_dup(res, row, 2);
	m->body = col_dup(res, row, 3);
	m->at = col_double(res, row, 4);
	return 0;
}

static void free_messages(void *items, size_t nr)
{
	queue_messages_free(items, nr);
}

static int pg_messages(struct queue *q, struct queue_message **out, size_t *nr, int64_t job)
{
	return read_rows(pg_of(q), (void **)out, nr, sizeof(**out), read_message, free_messages,
			 "messages",
			 "SELECT id, job, type, body, at FROM messages"
			 " WHERE $1 = 0 OR job = $1 ORDER BY id", "I", job);
}

static int pg_depth(struct queue *q, size_t *out)
{
	struct pg_queue *p = pg_of(q);
	PGresult *res = pg_query(p, "count the jobs waiting",
				 "SELECT count(*) FROM jobs"
				 " WHERE state IN ('queued', 'analyzing', 'fixing')", "");

	if (!res)
		return ERR_GENERIC;
	*out = (size_t)col_int(res, 0, 0);
	PQclear(res);
	return 0;
}

static void pg_close(struct queue *q)
{
	struct pg_queue *p = pg_of(q);
	size_t i;

	if (p->conn)
		PQfinish(p->conn);
	for (i = 0; i < ARRAY_SIZE(p->passwords); i++) {
		volatile char *c = p->passwords[i];
		while (c && *c)
			*c++ = '\0';
		free(p->passwords[i]);
	}
	free(p->name);
	free(p);
}

static const struct queue_ops pg_ops = {
	.name = "postgresql",
	.close = pg_close,
	.enqueue = pg_enqueue,
	.claim = pg_claim,
	.renew = pg_renew,
	.transition = pg_transition,
	.requeue = pg_requeue,
	.manual = pg_manual,
	.wait = pg_wait,
	.beat = pg_beat,
	.processes = pg_processes,
	.list = pg_list,
	.get = pg_get,
	.history = pg_history,
	.delivery = pg_delivery,
	.counter_add = pg_counter_add,
	.counters = pg_counters,
	.message_add = pg_message_add,
	.messages = pg_messages,
	.depth = pg_depth,
};

/* opening */

/*
 * Create the schema in a new database, or check that it is a queue of a
 * version we know, under an advisory lock: processes starting at once take
 * turns, and the first one creates it.
 */
static int prepare_schema(struct pg_queue *p)
{
	static const char look_sql[] =
		"SELECT pg_advisory_xact_lock($1::bigint), to_regclass('schema_version') IS NOT NULL,"
		" to_regclass('jobs') IS NOT NULL";
	PGresult *res = NULL;
	int ret;

	if ((ret = pg_exec(p, "begin the schema's transaction", "BEGIN", "")) < 0)
		return ret;
	if (!(res = pg_query(p, "lock the schema", look_sql, "I", (int64_t)QUEUE_PG_LOCK_KEY))) {
		ret = ERR_GENERIC;
		goto done;
	}
	if (!strcmp(PQgetvalue(res, 0, 1), "t")) {
		int version;

		PQclear(res);
		if (!(res = pg_query(p, "read the schema's version",
				     "SELECT version FROM schema_version", ""))) {
			ret = ERR_GENERIC;
			goto done;
		}
		version = PQntuples(res) ? (int)col_int(res, 0, 0) : 0;
		if (version > QUEUE_PG_VERSION)
			ret = error_setc(ERR_USAGE,
					 "cannot open queue '%s': its schema version %d is newer than this pytest-fixer's %d (upgrade pytest-fixer)",
					 p->name, version, QUEUE_PG_VERSION);
		else if (version < 1)
			ret = error_setc(ERR_USAGE,
					 "cannot open queue '%s': its schema_version table holds no version",
					 p->name);
		/* migrations from older versions go here, one step at a time */
	} else if (!strcmp(PQgetvalue(res, 0, 2), "t")) {
		ret = error_setc(ERR_USAGE,
				 "cannot open queue '%s': it has a 'jobs' table but no schema_version: another program's database?",
				 p->name);
	} else {
		PGresult *made = PQexec(p->conn, schema);

		if (PQresultStatus(made) != PGRES_COMMAND_OK)
			ret = result_fail(p, made, "create the queue's tables");
		PQclear(made);
		if (ret == 0)
			ret = pg_exec(p, "record the schema's version",
				      "INSERT INTO schema_version (version) VALUES ($1)", "i",
				      QUEUE_PG_VERSION);
	}
done:
	PQclear(res);
	if (ret == 0)
		return pg_exec(p, "commit the schema", "COMMIT", "");
	if (PQtransactionStatus(p->conn) != PQTRANS_IDLE)
		PQclear(PQexec(p->conn, "ROLLBACK"));
	return ret;
}

static void no_notices(void *payload, const char *message)
{
	(void)payload;
	(void)message;
}

/*
 * Register the URL's password as a secret and keep it, as written and as
 * libpq decodes it, to scrub libpq's messages
 */
static int parse_url(struct pg_queue *p, const char *url)
{
	PQconninfoOption *opts, *o;
	char *err = NULL, *msg;
	const char *raw;
	size_t len = 0;

	secret_add_url(url);
	if ((raw = url_password(&len, url)) && len) {
		p->passwords[0] = xstrndup(raw, len);
		secret_add(p->passwords[0]);
	}
	if (!(opts = PQconninfoParse(url, &err))) {
		msg = scrubbed(p, err ? err : "out of memory");
		error_setc(ERR_USAGE, "invalid database URL '%s': %s", p->name, msg);
		free(msg);
		PQfreemem(err);
		return ERR_USAGE;
	}
	for (o = opts; o->keyword; o++)
		if (!strcmp(o->keyword, "password") && o->val && *o->val) {
			secret_add(o->val);
			p->passwords[1] = xstrdup(o->val);
		}
	PQconninfoFree(opts);
	return 0;
}

int queue_open_pg(struct queue **out, const char *url)
{
	/* first the defaults, then the URL (expanded), whose settings win */
	static const char *const keywords[] = { "fallback_application_name", "connect_timeout",
						"dbname", NULL };
	const char *values[] = { QUEUE_PG_APP_NAME, QUEUE_PG_CONNECT_TIMEOUT, url, NULL };
	struct pg_queue *p = xcalloc(1, sizeof(*p));
	int ret;

	*out = NULL;
	p->base.ops = &pg_ops;
	p->name = queue_display_name(url);
	if (!queue_is_pg(url)) {
		/* not shown: a "key=value" string may hold a password= */
		ret = error_setc(ERR_USAGE,
				 "invalid database URL: it does not start with postgres:// or postgresql://");
		goto fail;
	}
	if ((ret = parse_url(p, url)) < 0)
		goto fail;
	p->conn = PQconnectdbParams(keywords, values, 1);
	if (!p->conn) {
		ret = error_setc(ERR_GENERIC, "cannot connect to '%s': out of memory", p->name);
		goto fail;
	}
	if (PQstatus(p->conn) != CONNECTION_OK) {
		char *msg = scrubbed(p, PQerrorMessage(p->conn));
		ret = error_setc(ERR_USAGE, "cannot connect to '%s': %s", p->name, msg);
		free(msg);
		goto fail;
	}
	PQsetNoticeProcessor(p->conn, no_notices, NULL);
	if ((ret = prepare_schema(p)) < 0 || (ret = pg_listen(p)) < 0)
		goto fail;
	*out = &p->base;
	return 0;
fail:
	pg_close(&p->base);
	return ret;
}
