#include "store/db.h"

#include "util/clock.h"
#include "util/error.h"
#include "util/xalloc.h"

#include <assert.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* the attempts table, and the knowledge base counted as attempts are recorded */

static const char *const attempt_statuses[ATTEMPT_STATUS_COUNT] = {
	[ATTEMPT_PASSED] = "passed",
	[ATTEMPT_FAILED] = "failed",
	[ATTEMPT_ERROR] = "error",
};
static const char *const attempt_methods[] = { "update", "patch", "rewrite", NULL };
static const char *const attempt_gates[] = {
	"apply", "syntax", "target", "flaky", "regression", "weakening", "timeout", NULL
};

/* what store_attempt_add() writes and store_attempt_list() reads, in this order */
#define ATTEMPT_COLUMNS \
	"session, failure_idx, number, engine, method, template, temperature, status, gate," \
	" reason, diff, error_category, started, finished, flaky"

static int in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (!strcmp(*list, s))
			return 1;
	return 0;
}

const char *attempt_status_name(enum attempt_status status)
{
	assert((unsigned)status < ATTEMPT_STATUS_COUNT);
	return attempt_statuses[status];
}

static int check_attempt(const struct attempt_row *a)
{
	if (!a->engine || !*a->engine)
		return error_setc(ERR_USAGE, "an attempt needs an engine");
	if (a->method && !in_list(attempt_methods, a->method))
		return error_setc(ERR_USAGE, "unknown edit method '%s'", a->method);
	if ((unsigned)a->status >= ATTEMPT_STATUS_COUNT)
		return error_setc(ERR_USAGE, "unknown attempt status %d", (int)a->status);
	if (a->gate && !in_list(attempt_gates, a->gate))
		return error_setc(ERR_USAGE, "unknown gate '%s'", a->gate);
	if (a->flaky) {
		json_t *j = json_loads(a->flaky, 0, NULL);
		int ok = json_is_array(j);
		json_decref(j);
		if (!ok)
			return error_setc(ERR_USAGE, "an attempt's flaky tests must be a JSON array");
	}
	return 0;
}

/*
 * Count an attempt in the knowledge base. Only attempts that reached a
 * verdict count: "error" (the engine or provider broke down) says nothing
 * about whether the repair works.
 */
static int knowledge_count(struct store *s, const struct attempt_row *a)
{
	struct query q;

	if (a->status == ATTEMPT_ERROR)
		return 0;
	q_prepare(&q, s, "INSERT INTO knowledge (engine, error_category, method, template,"
		  " attempts, successes, last_used)"
		  " VALUES (?1, coalesce(?2, ''), coalesce(?3, ''), coalesce(?4, ''), 1, ?5, ?6)"
		  " ON CONFLICT (engine, error_category, method, template) DO UPDATE SET"
		  " attempts = attempts + 1, successes = successes + excluded.successes,"
		  " last_used = excluded.last_used");
	q_pack(&q, "ssssif", a->engine, a->error_category, a->method, a->template_name,
	       a->status == ATTEMPT_PASSED, a->finished ? a->finished : clock_wall());
	q_step(&q);
	return q_end(&q, "cannot update the knowledge base");
}

int store_attempt_add(struct store *s, const struct attempt_row *a)
{
	struct query q;
	int ret;

	if ((ret = check_attempt(a)) < 0 || (ret = txn_begin(s)) < 0)
		return ret;
	q_prepare(&q, s, "INSERT INTO attempts (" ATTEMPT_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5,"
		  " ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)");
	q_pack(&q, "szisssfsssssffs", a->session, a->failure_index, a->number, a->engine,
	       a->method, a->template_name, a->temperature, attempt_status_name(a->status),
	       a->gate, a->reason, a->diff, a->error_category, a->started, a->finished, a->flaky);
	q_step(&q);
	ret = q_end(&q, "cannot record attempt %d of failure %zu in session '%s'", a->number,
		    a->failure_index, a->session);
	if (ret == ERR_NOTFOUND)
		ret = error_setc(ERR_NOTFOUND, "no failure %zu in session '%s'", a->failure_index,
				 a->session);
	else if (ret == ERR_CONFLICT)
		ret = error_setc(ERR_CONFLICT, "attempt %d of failure %zu in session '%s' "
				 "exists already", a->number, a->failure_index, a->session);
	if (!ret)
		ret = knowledge_count(s, a);
	return txn_end(s, ret);
}

int attempt_status_parse(enum attempt_status *out, const char *name)
{
	int i = db_name_index(attempt_statuses, ATTEMPT_STATUS_COUNT, "attempt status", name);
	if (i >= 0)
		*out = (enum attempt_status)i;
	return i < 0 ? i : 0;
}

static int read_attempt(void *row, struct query *q, void *session)
{
	struct attempt_row *a = row;

	col_unpack(q, "czisssf-ssssffs", a->session, sizeof(a->session), &a->failure_index,
		   &a->number, &a->engine, &a->method, &a->template_name, &a->temperature,
		   &a->gate, &a->reason, &a->diff, &a->error_category, &a->started, &a->finished,
		   &a->flaky);
	if (attempt_status_parse(&a->status, col_text(q, 7)) < 0)
		return error_prefix(ERR_PARSE, "database '%s': attempt %d of failure %zu of "
				    "session '%s'", q->s->path, a->number, a->failure_index,
				    (const char *)session);
	return 0;
}

static void release_attempt(void *row)
{
	struct attempt_row *a = row;
	FREE_ALL(a->engine, a->method, a->template_name, a->gate, a->reason, a->diff,
		a->error_category, a->flaky);
}

int store_attempt_list(struct attempt_row **out, size_t *nr, struct store *s,
		       const char *session)
{
	return db_session_rows(out, nr, s, "SELECT " ATTEMPT_COLUMNS " FROM attempts"
			       " WHERE session = ?1 ORDER BY failure_idx, number", session,
			       sizeof(**out), read_attempt, release_attempt, "attempts");
}

void attempt_rows_free(struct attempt_row *rows, size_t nr)
{
	db_rows_free(rows, nr, sizeof(*rows), release_attempt);
}
