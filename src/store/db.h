#ifndef STORE_DB_H
#define STORE_DB_H

#include "store/store.h"

#include <sqlite3.h>
#include <stddef.h>

/*
 * The inside of the store, for the files of src/store/ only: the handle, one
 * prepared statement at a time (struct query), transactions, and the one
 * reader of result rows into arrays. store.c holds the connection, the
 * schema and the transactions; one file per table (or group of tables)
 * holds that table's functions of store.h.
 *
 * Ownership: what col_str() and db_rows() return is the caller's.
 */

struct store {
	sqlite3 *db;
	char *path;
	int depth;     /* open transactions: 1 the outermost, more are savepoints */
	int busy_ms;
};

/* convert a SQLite failure `rc`: "<context>: <what happened>", with one of our codes */
int db_error(struct store *s, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * One prepared statement. Preparing, binding and stepping keep the first
 * failure in `rc`, so a function binds everything, steps, and looks once
 * at the end, in q_end(), which also finalizes.
 */
struct query {
	struct store *s;
	sqlite3_stmt *st;
	int rc;
};

void q_prepare(struct query *q, struct store *s, const char *sql);
/* text is bound redacted: a secret never reaches the database, whatever quotes it */
void q_text(struct query *q, int i, const char *v);
void q_int(struct query *q, int i, sqlite3_int64 v);
void q_size(struct query *q, int i, size_t v);
void q_double(struct query *q, int i, double v);
/*
 * Bind parameters ?1, ?2, ... in order, one format letter each (the
 * shape of json_pack()): 's' const char * (q_text()), 'z' size_t, 'i' int,
 * 'f' double, 't' long, a token count: NULL when negative. A format
 * that does not bind every parameter fails the statement (SQLITE_RANGE).
 */
void q_pack(struct query *q, const char *fmt, ...);
/* SQLITE_ROW, SQLITE_DONE, or the failure (also kept in `rc`) */
int q_step(struct query *q);
/* finalize; 0, or the failure as "<context>: ..." */
int q_end(struct query *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* finalize, keeping nothing */
void q_discard(struct query *q);

/* a text column, copied; NULL for NULL */
char *col_str(struct query *q, int i);
/* a text column, borrowed until the next step; "" for NULL */
const char *col_text(struct query *q, int i);
/* an integer column; 0 for a negative one */
size_t col_size(struct query *q, int i);
/* copy a column into a fixed array, truncating (ids are ours, far shorter) */
void col_copy(char *dst, size_t size, struct query *q, int i);
/*
 * Read the row's columns 0, 1, ... in order, one format letter each:
 * 's' char ** (col_str()), 'z' size_t *, 'i' int *, 'f' double *, 't' long *
 * (a token count: -1 for NULL), 'c' char *, size_t (col_copy()), '-' a
 * column read otherwise (nothing passed). A format that does not cover
 * every column fails the statement (SQLITE_RANGE), seen at q_end().
 */
void col_unpack(struct query *q, const char *fmt, ...);

/*
 * Step `q` to its end and read each row into a new element of an array of
 * `size`-byte elements: the element is zeroed, then `read` fills it from
 * the row (0, or an error that stops the walk; `payload` is passed on).
 * `out` is the address of the caller's array pointer (a `struct x_row **`).
 * Finalizes `q`. On success the array (NULL when there were no rows) goes
 * to `*out` and its length to `*nr`; on failure they are NULL and 0, every
 * element read so far (the failing one too, however far `read` got) is
 * given to `release`, and the error is `read`'s, or the query's as
 * "<context>: ...".
 */
int db_rows(void *out, size_t *nr, struct query *q, size_t size,
	    int (*read)(void *row, struct query *q, void *payload), void (*release)(void *row),
	    void *payload, const char *fmt, ...) __attribute__((format(printf, 8, 9)));
/*
 * db_rows() of `sql` with ?1 bound to `session`, which is also the
 * payload; a failure reads "cannot read the <what> of session 'x': ...".
 */
int db_session_rows(void *out, size_t *nr, struct store *s, const char *sql,
		    const char *session, size_t size,
		    int (*read)(void *row, struct query *q, void *payload),
		    void (*release)(void *row), const char *what);
/* release each of `nr` elements of `size` bytes, then the array; NULL is a no-op */
void db_rows_free(void *rows, size_t nr, size_t size, void (*release)(void *row));

/*
 * The index of `name` in `names` (`nr` of them; a NULL name is the index
 * of a NULL entry), or ERR_PARSE "unknown <what> 'name'": the _parse() of
 * an enum stored as text.
 */
int db_name_index(const char *const *names, size_t nr, const char *what, const char *name);

/*
 * Define <type>_name() and <type>_parse() (store.h) of `enum type`, stored
 * as its name: `names` is the array of names by value (NULL: stored as
 * NULL), `what` names the enum in an ERR_PARSE.
 */
#define DB_ENUM_NAMES(type, names, what) \
	const char *type##_name(enum type value) \
	{ \
		assert((size_t)value < ARRAY_SIZE(names)); \
		return names[value]; \
	} \
	int type##_parse(enum type *out, const char *name) \
	{ \
		int i = db_name_index(names, ARRAY_SIZE(names), what, name); \
		if (i >= 0) \
			*out = (enum type)i; \
		return i < 0 ? i : 0; \
	}

/* transactions (store.c), nested through savepoints */
int txn_begin(struct store *s);
int txn_commit(struct store *s);
/* roll back the innermost transaction; SQLite's result, the depth drops in any case */
int txn_rollback(struct store *s);
/* end the innermost transaction: commit when `ret` is 0 (its failure returned), else roll back and return `ret` */
int txn_end(struct store *s, int ret);

/* 1 if `text` looks like an API key (exchanges.c: see store_exchange_add()) */
int db_looks_secret(const char *text);

#endif
