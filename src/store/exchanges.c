#include "store/db.h"

#include "util/clock.h"
#include "util/error.h"
#include "util/xalloc.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* the exchanges table: every request to a model and its reply */

/* what store_exchange_add() writes and store_exchange_list() reads, in this order */
#define EXCHANGE_COLUMNS \
	"session, failure_idx, attempt_number, provider, model, system, prompt, reply," \
	" prompt_tokens, completion_tokens, latency, temperature, outcome, at"

/* the shortest run of key characters that makes "sk-..." or "Bearer ..." a credential */
#define SECRET_MIN_RUN 16

static int is_key_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

/* RFC 6750's b64token: what may follow "Bearer " */
static int is_token_char(int c)
{
	return is_key_char(c) || c == '.' || c == '~' || c == '+' || c == '/' || c == '=';
}

static size_t run_of(const char *p, int (*pred)(int))
{
	size_t n = 0;
	while (p[n] && pred((unsigned char)p[n]))
		n++;
	return n;
}

/*
 * 1 if `text` holds something that looks like an API key: "sk-ant-"
 * anywhere; "sk-" at the start of a word followed by SECRET_MIN_RUN key
 * characters ("task-..." is not one); "Bearer " followed by
 * SECRET_MIN_RUN token characters (code like f"Bearer {token}" is not).
 */
int db_looks_secret(const char *text)
{
	const char *p;

	if (!text)
		return 0;
	if (strstr(text, "sk-ant-"))
		return 1;
	for (p = text; (p = strstr(p, "sk-")); p += 3)
		if ((p == text || !is_key_char((unsigned char)p[-1]) || p[-1] == '-') &&
		    run_of(p + 3, is_key_char) >= SECRET_MIN_RUN)
			return 1;
	for (p = text; (p = strstr(p, "Bearer ")); p += 7)
		if (run_of(p + 7, is_token_char) >= SECRET_MIN_RUN)
			return 1;
	return 0;
}

static int check_exchange(const struct exchange_row *e)
{
	const struct { const char *name, *text; } fields[] = {
		{ "provider", e->provider }, { "model", e->model }, { "system prompt", e->system },
		{ "prompt", e->prompt }, { "reply", e->reply }, { "outcome", e->outcome },
	};
	size_t i;

	if (!e->provider || !*e->provider)
		return error_setc(ERR_USAGE, "an exchange needs a provider");
	for (i = 0; i < ARRAY_SIZE(fields); i++)
		if (db_looks_secret(fields[i].text))
			return error_setc(ERR_USAGE, "refusing to record an exchange of session '%s': "
					  "its %s holds what looks like an API key", e->session,
					  fields[i].name);
	return 0;
}

int store_exchange_add(struct store *s, const struct exchange_row *e)
{
	struct query q;
	int ret;

	if ((ret = check_exchange(e)) < 0)
		return ret;
	q_prepare(&q, s, "INSERT INTO exchanges (" EXCHANGE_COLUMNS ")"
		  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");
	q_pack(&q, "szisssssttffsf", e->session, e->failure_index, e->attempt_number, e->provider,
	       e->model, e->system, e->prompt, e->reply, e->prompt_tokens, e->completion_tokens,
	       e->latency, e->temperature, e->outcome, e->at ? e->at : clock_wall());
	q_step(&q);
	ret = q_end(&q, "cannot record an exchange of failure %zu in session '%s'",
		    e->failure_index, e->session);
	if (ret == ERR_NOTFOUND)
		ret = error_setc(ERR_NOTFOUND, "no session '%s'", e->session);
	return ret;
}

static int read_exchange(void *row, struct query *q, void *payload)
{
	struct exchange_row *e = row;
	col_unpack(q, "czisssssttffsf", e->session, sizeof(e->session), &e->failure_index,
		   &e->attempt_number, &e->provider, &e->model, &e->system, &e->prompt, &e->reply,
		   &e->prompt_tokens, &e->completion_tokens, &e->latency, &e->temperature,
		   &e->outcome, &e->at);
	return 0;
}

static void release_exchange(void *row)
{
	struct exchange_row *e = row;
	FREE_ALL(e->provider, e->model, e->system, e->prompt, e->reply, e->outcome);
}

int store_exchange_list(struct exchange_row **out, size_t *nr, struct store *s,
			const char *session)
{
	return db_session_rows(out, nr, s, "SELECT " EXCHANGE_COLUMNS " FROM exchanges"
			       " WHERE session = ?1 ORDER BY failure_idx, attempt_number, id",
			       session, sizeof(**out), read_exchange, release_exchange, "exchanges");
}

void exchange_rows_free(struct exchange_row *rows, size_t nr)
{
	db_rows_free(rows, nr, sizeof(*rows), release_exchange);
}

static long tokens_total(double v)
{
	if (!(v > 0))
		return 0;
	return v >= (double)LONG_MAX ? LONG_MAX : (long)v;
}

int store_session_tokens(long *prompt, long *completion, struct store *s, const char *session)
{
	struct query q;

	*prompt = *completion = 0;
	/* total(), a double, where sum() would fail on overflow: counts come from servers */
	q_prepare(&q, s, "SELECT total(prompt_tokens), total(completion_tokens)"
		  " FROM exchanges WHERE session = ?1");
	q_text(&q, 1, session);
	if (q_step(&q) == SQLITE_ROW) {
		*prompt = tokens_total(sqlite3_column_double(q.st, 0));
		*completion = tokens_total(sqlite3_column_double(q.st, 1));
	}
	return q_end(&q, "cannot count the tokens of session '%s'", session);
}
