#include "store/db.h"

#include "util/xalloc.h"

#include <stdlib.h>

/* the knowledge base: which repairs worked for which errors, across all sessions */

int store_template_order(struct strvec *out, struct store *s, const char *engine,
			 const char *error_category)
{
	struct query q;

	q_prepare(&q, s, "SELECT template, sum(attempts) AS n, sum(successes) AS ok"
		  " FROM knowledge WHERE engine = ?1 AND template <> ''"
		  " AND (?2 IS NULL OR error_category = ?2)"
		  " GROUP BY template ORDER BY (ok + 1.0) / (n + 2.0) DESC, ok DESC, template");
	q_pack(&q, "ss", engine, error_category);
	while (q_step(&q) == SQLITE_ROW)
		strvec_push(out, col_text(&q, 0));
	return q_end(&q, "cannot read the knowledge base");
}

/* (error category, method, attempts, successes) */
static int read_stat(void *row, struct query *q, void *payload)
{
	struct kb_stat *st = row;
	col_unpack(q, "sszz", &st->error_category, &st->method, &st->attempts, &st->successes);
	return 0;
}

/* (error category, method, engine, template, attempts, successes) */
static int read_stat_by_template(void *row, struct query *q, void *payload)
{
	struct kb_stat *st = row;
	col_unpack(q, "sssszz", &st->error_category, &st->method, &st->engine,
		   &st->template_name, &st->attempts, &st->successes);
	return 0;
}

static void release_stat(void *row)
{
	struct kb_stat *st = row;
	FREE_ALL(st->error_category, st->method, st->engine, st->template_name);
}

int store_kb_stats(struct kb_stat **out, size_t *nr, struct store *s)
{
	struct query q;
	q_prepare(&q, s, "SELECT nullif(error_category, ''), nullif(method, ''),"
		  " sum(attempts) AS n, sum(successes) AS ok FROM knowledge"
		  " GROUP BY error_category, method"
		  " ORDER BY CAST(ok AS REAL) / max(n, 1) DESC, n DESC, error_category, method");
	return db_rows(out, nr, &q, sizeof(**out), read_stat, release_stat, NULL,
		       "cannot read the knowledge base");
}

int store_kb_stats_by_template(struct kb_stat **out, size_t *nr, struct store *s)
{
	struct query q;
	q_prepare(&q, s, "SELECT nullif(error_category, ''), nullif(method, ''), engine,"
		  " nullif(template, ''), sum(attempts) AS n, sum(successes) AS ok FROM knowledge"
		  " GROUP BY error_category, method, engine, template"
		  " ORDER BY CAST(ok AS REAL) / max(n, 1) DESC, n DESC, error_category, method,"
		  " engine, template");
	return db_rows(out, nr, &q, sizeof(**out), read_stat_by_template, release_stat, NULL,
		       "cannot read the knowledge base");
}

void kb_stats_free(struct kb_stat *st, size_t nr)
{
	db_rows_free(st, nr, sizeof(*st), release_stat);
}
