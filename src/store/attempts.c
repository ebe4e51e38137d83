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
/* in the enums' order; none is stored as NULL */
static const char *const attempt_methods[ATTEMPT_METHOD_COUNT] = {
	NULL, "update", "patch", "rewrite"
};
static const char *const attempt_gates[ATTEMPT_GATE_COUNT] = {
	NULL, "apply", "syntax", "target", "flaky", "regression", "weakening", "timeout"
};

DB_ENUM_NAMES(attempt_status, attempt_statuses, "attempt status")
DB_ENUM_NAMES(attempt_gate, attempt_gates, "gate")
DB_ENUM_NAMES(attempt_method, attempt_methods, "edit method")

/* what store_attempt_add() writes and store_attempt_list() reads, in this order */
#define ATTEMPT_COLUMNS \
	"session, failure_idx, number, engine, method, template, temperature, status, gate," \
	" reason, diff, error_category, started, finished, flaky, ran_target, ran_covering," \
	" ran_full, behaviour"

static int check_attempt(const struct attempt_row *a)
{
	if (!a->engine || !*a->engine)
		return error_setc(ERR_USAGE, "an attempt needs an engine");
	if ((unsigned)a->method >= ATTEMPT_METHOD_COUNT)
		return error_setc(ERR_USAGE, "unknown edit method %d", (int)a->method);
	if ((unsigned)a->status >= ATTEMPT_STATUS_COUNT)
		return error_setc(ERR_USAGE, "unknown attempt status %d", (int)a->status);
	if ((unsigned)a->gate >= ATTEMPT_GATE_COUNT)
		return error_setc(ERR_USAGE, "unknown gate %d", (int)a->gate);
	if (a->flaky.nr != a->flaky_why.nr)
		return error_setc(ERR_USAGE, "an attempt's flaky tests need one reason each "
				  "(%zu tests, %zu reasons)", a->flaky.nr, a->flaky_why.nr);
	return 0;
}

/* the flaky tests as they are stored: [{"id":...,"why":...}], NULL when none */
static char *flaky_text(const struct attempt_row *a)
{
	json_t *list;
	char *text;
	size_t i;

	if (!a->flaky.nr)
		return NULL;
	list = json_array();
	for (i = 0; i < a->flaky.nr; i++)
		json_array_append_new(list, json_pack("{s:s, s:s}", "id", a->flaky.v[i],
						      "why", a->flaky_why.v[i]));
	text = json_dumps(list, JSON_COMPACT);
	json_decref(list);
	return text;
}

/* the inverse of flaky_text(); ERR_PARSE for text that is not such an array */
static int flaky_parse(struct attempt_row *a, const char *text)
{
	json_t *list, *t;
	size_t i;
	int ret = 0;

	if (!text)
		return 0;
	list = json_loads(text, 0, NULL);
	if (!json_is_array(list))
		ret = -1;
	json_array_foreach(list, i, t) {
		const char *id = json_string_value(json_object_get(t, "id"));
		const char *why = json_string_value(json_object_get(t, "why"));
		if (!id || !why) {
			ret = -1;
			break;
		}
		strvec_push(&a->flaky, id);
		strvec_push(&a->flaky_why, why);
	}
	json_decref(list);
	if (ret < 0)
		return error_setc(ERR_PARSE, "flaky tests that are not a JSON array of "
				  "{\"id\", \"why\"}: '%s'", text);
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
	q_pack(&q, "ssssif", a->engine, a->error_category, attempt_method_name(a->method),
	       a->template_name,
	       a->status == ATTEMPT_PASSED, a->finished ? a->finished : clock_wall());
	q_step(&q);
	return q_end(&q, "cannot update the knowledge base");
}

int store_knowledge_add(struct store *s, const struct attempt_row *a)
{
	int ret;
	if ((ret = txn_begin(s)) < 0)
		return ret;
	return txn_end(s, knowledge_count(s, a));
}

int store_attempt_add(struct store *s, const struct attempt_row *a)
{
	struct query q;
	char *flaky;
	int ret;

	if ((ret = check_attempt(a)) < 0 || (ret = txn_begin(s)) < 0)
		return ret;
	q_prepare(&q, s, "INSERT INTO attempts (" ATTEMPT_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5,"
		  " ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)");
	flaky = flaky_text(a);
	q_pack(&q, "szisssfsssssffszzzs", a->session, a->failure_index, a->number, a->engine,
	       attempt_method_name(a->method), a->template_name, a->temperature,
	       attempt_status_name(a->status), attempt_gate_name(a->gate), a->reason, a->diff,
	       a->error_category, a->started, a->finished, flaky, a->ran_target,
	       a->ran_covering, a->ran_full, a->behaviour);
	q_step(&q);
	free(flaky);
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

/* a text column, borrowed until the next step; NULL for NULL (col_text() gives "") */
static const char *col_nullable(struct query *q, int i)
{
	return (const char *)sqlite3_column_text(q->st, i);
}

static int read_attempt(void *row, struct query *q, void *session)
{
	struct attempt_row *a = row;

	col_unpack(q, "czis-sf--sssff-zzzs", a->session, sizeof(a->session), &a->failure_index,
		   &a->number, &a->engine, &a->template_name, &a->temperature, &a->reason,
		   &a->diff, &a->error_category, &a->started, &a->finished, &a->ran_target,
		   &a->ran_covering, &a->ran_full, &a->behaviour);
	strvec_init(&a->flaky);
	strvec_init(&a->flaky_why);
	if (attempt_method_parse(&a->method, col_nullable(q, 4)) < 0 ||
	    attempt_status_parse(&a->status, col_text(q, 7)) < 0 ||
	    attempt_gate_parse(&a->gate, col_nullable(q, 8)) < 0 ||
	    flaky_parse(a, col_nullable(q, 14)) < 0)
		return error_prefix(ERR_PARSE, "database '%s': attempt %d of failure %zu of "
				    "session '%s'", q->s->path, a->number, a->failure_index,
				    (const char *)session);
	return 0;
}

static void release_attempt(void *row)
{
	struct attempt_row *a = row;
	FREE_ALL(a->engine, a->template_name, a->reason, a->diff, a->error_category, a->behaviour);
	strvec_clear(&a->flaky);
	strvec_clear(&a->flaky_why);
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
