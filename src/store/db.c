#include "store/db.h"

#include "util/buf.h"
#include "util/error.h"
#include "util/secret.h"
#include "util/xalloc.h"

#include <assert.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* errors */

/* SQLite's message for `rc`: the handle's when it is about `rc`, else the generic one */
static const char *sqlite_message(struct store *s, int rc)
{
	if (s->db && sqlite3_extended_errcode(s->db) == rc)
		return sqlite3_errmsg(s->db);
	return sqlite3_errstr(rc);
}

static int db_verror(struct store *s, int rc, const char *fmt, va_list ap)
{
	struct buf msg = BUF_INIT;
	int code = ERR_GENERIC;

	buf_vaddf(&msg, fmt, ap);
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		code = ERR_TIMEOUT;
		buf_addf(&msg, ": database '%s' stayed locked by another writer for %d ms",
			 s->path, s->busy_ms);
		break;
	case SQLITE_CONSTRAINT:
		code = rc == SQLITE_CONSTRAINT_FOREIGNKEY ? ERR_NOTFOUND : ERR_CONFLICT;
		buf_addf(&msg, ": %s", sqlite_message(s, rc));
		break;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
	case SQLITE_IOERR:
	case SQLITE_FULL:
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY:
	case SQLITE_PERM:
		/* name the file, unless the context did */
		if (strstr(msg.ptr, s->path))
			buf_addf(&msg, ": %s", sqlite_message(s, rc));
		else
			buf_addf(&msg, ": database '%s': %s", s->path, sqlite_message(s, rc));
		break;
	default:
		buf_addf(&msg, ": %s", sqlite_message(s, rc));
		break;
	}
	error_setc(code, "%s", msg.ptr);
	buf_release(&msg);
	return code;
}

int db_error(struct store *s, int rc, const char *fmt, ...)
{
	va_list ap;
	int code;
	va_start(ap, fmt);
	code = db_verror(s, rc, fmt, ap);
	va_end(ap);
	return code;
}

/* statements */

void q_prepare(struct query *q, struct store *s, const char *sql)
{
	q->s = s;
	q->st = NULL;
	q->rc = sqlite3_prepare_v2(s->db, sql, -1, &q->st, NULL);
}

void q_text(struct query *q, int i, const char *v)
{
	char *clean;

	if (q->rc != SQLITE_OK)
		return;
	if (!v || !secret_find(v, strlen(v))) {
		q->rc = sqlite3_bind_text(q->st, i, v, -1, SQLITE_STATIC);
		return;
	}
	clean = secret_redacted(v);
	q->rc = sqlite3_bind_text(q->st, i, clean, -1, free);
}

void q_int(struct query *q, int i, sqlite3_int64 v)
{
	if (q->rc == SQLITE_OK)
		q->rc = sqlite3_bind_int64(q->st, i, v);
}

void q_size(struct query *q, int i, size_t v)
{
	if (q->rc == SQLITE_OK && v > (size_t)INT64_MAX)
		q->rc = SQLITE_TOOBIG;
	q_int(q, i, (sqlite3_int64)v);
}

void q_double(struct query *q, int i, double v)
{
	if (q->rc == SQLITE_OK)
		q->rc = sqlite3_bind_double(q->st, i, v);
}

void q_pack(struct query *q, const char *fmt, ...)
{
	va_list ap;
	long tokens;
	int i;

	va_start(ap, fmt);
	for (i = 1; *fmt; fmt++, i++) {
		switch (*fmt) {
		case 's':
			q_text(q, i, va_arg(ap, const char *));
			break;
		case 'z':
			q_size(q, i, va_arg(ap, size_t));
			break;
		case 'i':
			q_int(q, i, va_arg(ap, int));
			break;
		case 'f':
			q_double(q, i, va_arg(ap, double));
			break;
		case 't':
			tokens = va_arg(ap, long);
			if (tokens >= 0)
				q_int(q, i, tokens);
			else if (q->rc == SQLITE_OK)
				q->rc = sqlite3_bind_null(q->st, i);
			break;
		default:
			assert(!"q_pack: unknown format letter");
		}
	}
	va_end(ap);
	/* a format that does not fit the statement fails it, asserts or not */
	if (q->rc == SQLITE_OK && i - 1 != sqlite3_bind_parameter_count(q->st))
		q->rc = SQLITE_RANGE;
}

int q_step(struct query *q)
{
	int rc;
	if (q->rc != SQLITE_OK)
		return q->rc;
	rc = sqlite3_step(q->st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		q->rc = rc;
	return rc;
}

int q_end(struct query *q, const char *fmt, ...)
{
	int ret = 0;
	if (q->rc != SQLITE_OK) {
		va_list ap;
		va_start(ap, fmt);
		ret = db_verror(q->s, q->rc, fmt, ap);
		va_end(ap);
	}
	q_discard(q);
	return ret;
}

void q_discard(struct query *q)
{
	sqlite3_finalize(q->st);
	q->st = NULL;
}

/* columns */

char *col_str(struct query *q, int i)
{
	return xstrdup_or_null((const char *)sqlite3_column_text(q->st, i));
}

const char *col_text(struct query *q, int i)
{
	const char *v = (const char *)sqlite3_column_text(q->st, i);
	return v ? v : "";
}

size_t col_size(struct query *q, int i)
{
	sqlite3_int64 v = sqlite3_column_int64(q->st, i);
	return v < 0 ? 0 : (size_t)v;
}

void col_copy(char *dst, size_t size, struct query *q, int i)
{
	snprintf(dst, size, "%s", col_text(q, i));
}

void col_unpack(struct query *q, const char *fmt, ...)
{
	va_list ap;
	char *dst;
	int i;

	va_start(ap, fmt);
	for (i = 0; *fmt; fmt++, i++) {
		switch (*fmt) {
		case 's':
			*va_arg(ap, char **) = col_str(q, i);
			break;
		case 'z':
			*va_arg(ap, size_t *) = col_size(q, i);
			break;
		case 'i':
			*va_arg(ap, int *) = sqlite3_column_int(q->st, i);
			break;
		case 'f':
			*va_arg(ap, double *) = sqlite3_column_double(q->st, i);
			break;
		case 't':
			*va_arg(ap, long *) = sqlite3_column_type(q->st, i) == SQLITE_NULL ? -1 :
				(long)sqlite3_column_int64(q->st, i);
			break;
		case 'c':
			dst = va_arg(ap, char *);
			col_copy(dst, va_arg(ap, size_t), q, i);
			break;
		case '-':
			break;
		default:
			assert(!"col_unpack: unknown format letter");
		}
	}
	va_end(ap);
	if (q->rc == SQLITE_OK && i != sqlite3_column_count(q->st))
		q->rc = SQLITE_RANGE;
}

/* rows */

int db_rows(void *out, size_t *nr, struct query *q, size_t size,
	    int (*read)(void *row, struct query *q, void *payload), void (*release)(void *row),
	    void *payload, const char *fmt, ...)
{
	char *rows = NULL;
	void *array;
	size_t n = 0, alloc = 0;
	va_list ap;
	int ret = 0;

	*nr = 0;
	while (!ret && q_step(q) == SQLITE_ROW) {
		ALLOC_GROW(rows, st_mult(n + 1, size), alloc);
		memset(rows + n * size, 0, size);
		ret = read(rows + n * size, q, payload);
		n++;   /* released with the others, however far `read` got */
	}
	if (!ret && q->rc != SQLITE_OK) {
		va_start(ap, fmt);
		ret = db_verror(q->s, q->rc, fmt, ap);
		va_end(ap);
	}
	q_discard(q);
	if (ret < 0) {
		db_rows_free(rows, n, size, release);
		rows = NULL;
		n = 0;
	}
	/* the caller's pointer is a `struct x_row *`: copied, not written as a void * */
	array = rows;
	memcpy(out, &array, sizeof(array));
	*nr = n;
	return ret;
}

int db_session_rows(void *out, size_t *nr, struct store *s, const char *sql,
		    const char *session, size_t size,
		    int (*read)(void *row, struct query *q, void *payload),
		    void (*release)(void *row), const char *what)
{
	struct query q;
	q_prepare(&q, s, sql);
	q_text(&q, 1, session);
	return db_rows(out, nr, &q, size, read, release, (void *)session,
		       "cannot read the %s of session '%s'", what, session);
}

void db_rows_free(void *rows, size_t nr, size_t size, void (*release)(void *row))
{
	size_t i;
	for (i = 0; i < nr; i++)
		release((char *)rows + i * size);
	free(rows);
}

int db_name_index(const char *const *names, size_t nr, const char *what, const char *name)
{
	size_t i;
	for (i = 0; i < nr; i++)
		if (names[i] == name || (names[i] && name && !strcmp(names[i], name)))
			return (int)i;
	return error_setc(ERR_PARSE, "unknown %s '%s'", what, name ? name : "(null)");
}
