#include "store/db.h"

#include "runner/result_json.h"
#include "util/error.h"
#include "util/xalloc.h"

#include <assert.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* the failures table: the failures of a session, in order, and what became of them */

static const char *const failure_statuses[FAILURE_STATUS_COUNT] = {
	[FAILURE_PENDING] = "pending",
	[FAILURE_UNFIXED] = "unfixed",
	[FAILURE_FIXED] = "fixed",
	[FAILURE_SKIPPED] = "skipped",
};

DB_ENUM_NAMES(failure_status, failure_statuses, "failure status")

/* the inverse of failure_to_json() from its text; ERR_PARSE for text that is not one */
static int failure_from_text(struct failure *f, const char *text)
{
	json_t *root = json_loads(text, 0, NULL);
	int ret = failure_from_json(f, root);
	json_decref(root);
	return ret;
}

int store_failure_add(struct store *s, const char *session, size_t index,
		      const struct failure *f)
{
	json_t *j = failure_to_json(f);
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	struct query q;
	int ret;

	if (!text) {
		ret = error_set("cannot add failure %zu to session '%s': cannot write '%s' as JSON",
				index, session, f->id);
		goto done;
	}
	q_prepare(&q, s, "INSERT INTO failures (session, idx, node_id, failure_json)"
		  " VALUES (?1, ?2, ?3, ?4)");
	q_pack(&q, "szss", session, index, f->id, text);
	q_step(&q);
	ret = q_end(&q, "cannot add failure %zu to session '%s'", index, session);
	if (ret == ERR_NOTFOUND)
		ret = error_setc(ERR_NOTFOUND, "no session '%s'", session);
	else if (ret == ERR_CONFLICT)
		ret = error_setc(ERR_CONFLICT, "failure %zu of session '%s' exists already",
				 index, session);
done:
	free(text);
	json_decref(j);
	return ret;
}

int store_failure_set_status(struct store *s, const char *session, size_t index,
			     enum failure_status status, const char *branch, const char *commit)
{
	struct query q;
	int ret;

	if ((unsigned)status >= FAILURE_STATUS_COUNT)
		return error_setc(ERR_USAGE, "unknown failure status %d", (int)status);
	q_prepare(&q, s, "UPDATE failures SET status = ?3, branch = ?4, commit_id = ?5"
		  " WHERE session = ?1 AND idx = ?2");
	q_pack(&q, "szsss", session, index, failure_status_name(status), branch, commit);
	q_step(&q);
	if ((ret = q_end(&q, "cannot record the status of failure %zu of session '%s'", index,
			 session)) < 0)
		return ret;
	if (!sqlite3_changes(s->db))
		return error_setc(ERR_NOTFOUND, "no failure %zu in session '%s'", index, session);
	return 0;
}

static int read_failure(void *row, struct query *q, void *session)
{
	struct failure_row *r = row;

	col_unpack(q, "z--ss", &r->index, &r->branch, &r->commit);
	if (failure_from_text(&r->failure, col_text(q, 1)) < 0)
		return error_setc(ERR_PARSE, "database '%s': failure %zu of session '%s' "
				  "is not a failure in JSON", q->s->path, r->index,
				  (const char *)session);
	if (failure_status_parse(&r->status, col_text(q, 2)) < 0)
		return error_prefix(ERR_PARSE, "database '%s': failure %zu of session '%s'",
				    q->s->path, r->index, (const char *)session);
	return 0;
}

static void release_failure(void *row)
{
	struct failure_row *r = row;
	failure_release(&r->failure);
	FREE_ALL(r->branch, r->commit);
}

int store_failure_list(struct failure_row **out, size_t *nr, struct store *s,
		       const char *session)
{
	return db_session_rows(out, nr, s, "SELECT idx, failure_json, status, branch, commit_id"
			       " FROM failures WHERE session = ?1 ORDER BY idx", session,
			       sizeof(**out), read_failure, release_failure, "failures");
}

void failure_rows_free(struct failure_row *rows, size_t nr)
{
	db_rows_free(rows, nr, sizeof(*rows), release_failure);
}
