#include "store/store.h"

#include "runner/result_json.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/xalloc.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* a new session id collides with an existing one: try this many times */
#define SESSION_ID_TRIES 8
/* how many candidates an ambiguous id prefix names */
#define AMBIGUOUS_SHOWN 3

struct store {
	sqlite3 *db;
	char *path;
	int depth;     /* open transactions: 1 the outermost, more are savepoints */
	int busy_ms;
};

/*
 * The schema, one migration per version: migrations[n] takes a database
 * from user_version n to n + 1, in one transaction with the version bump.
 * Never edit a migration that has shipped; add the next one.
 *
 * The knowledge base is its own table, counted as attempts are recorded,
 * so it outlives the sessions (deleting a session deletes its attempts).
 * '' stands for "none" in its key columns, which cannot be NULL.
 */
static const char *const migrations[STORE_SCHEMA_VERSION] = {
	"CREATE TABLE sessions ("
	"  id TEXT PRIMARY KEY NOT NULL,"
	"  state TEXT NOT NULL CHECK (state IN ('INITIALIZING', 'RUNNING', 'PAUSED',"
	"                                       'COMPLETED', 'FAILED', 'ERROR')),"
	"  root TEXT NOT NULL,"
	"  base_commit TEXT,"
	"  options_json TEXT NOT NULL DEFAULT '{}',"
	"  branch TEXT,"
	"  created REAL NOT NULL,"
	"  updated REAL NOT NULL,"
	"  error TEXT,"
	"  total INTEGER NOT NULL DEFAULT 0 CHECK (total >= 0),"
	"  fixed INTEGER NOT NULL DEFAULT 0 CHECK (fixed >= 0),"
	"  current INTEGER NOT NULL DEFAULT 0 CHECK (current >= 0)"
	");"
	"CREATE INDEX sessions_created ON sessions (created);"
	"CREATE TABLE transitions ("
	"  id INTEGER PRIMARY KEY,"
	"  session TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,"
	"  from_state TEXT NOT NULL,"
	"  to_state TEXT NOT NULL,"
	"  at REAL NOT NULL,"
	"  error TEXT"
	");"
	"CREATE INDEX transitions_session ON transitions (session, id);"
	"CREATE TABLE failures ("
	"  session TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,"
	"  idx INTEGER NOT NULL CHECK (idx >= 0),"
	"  node_id TEXT NOT NULL,"
	"  failure_json TEXT NOT NULL,"
	"  status TEXT NOT NULL DEFAULT 'unfixed'"
	"    CHECK (status IN ('pending', 'unfixed', 'fixed', 'skipped')),"
	"  branch TEXT,"
	"  commit_id TEXT,"
	"  PRIMARY KEY (session, idx)"
	");"
	"CREATE TABLE attempts ("
	"  id INTEGER PRIMARY KEY,"
	"  session TEXT NOT NULL,"
	"  failure_idx INTEGER NOT NULL,"
	"  number INTEGER NOT NULL,"
	"  engine TEXT NOT NULL,"
	"  method TEXT CHECK (method IN ('update', 'patch', 'rewrite')),"
	"  template TEXT,"
	"  temperature REAL NOT NULL DEFAULT 0,"
	"  status TEXT NOT NULL CHECK (status IN ('passed', 'failed', 'error')),"
	"  gate TEXT CHECK (gate IN ('apply', 'syntax', 'target', 'flaky', 'regression',"
	"                            'weakening', 'timeout')),"
	"  reason TEXT,"
	"  diff TEXT,"
	"  error_category TEXT,"
	"  started REAL,"
	"  finished REAL,"
	"  UNIQUE (session, failure_idx, number),"
	"  FOREIGN KEY (session, failure_idx) REFERENCES failures (session, idx)"
	"    ON DELETE CASCADE"
	");"
	"CREATE TABLE knowledge ("
	"  engine TEXT NOT NULL,"
	"  error_category TEXT NOT NULL,"
	"  method TEXT NOT NULL,"
	"  template TEXT NOT NULL,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  successes INTEGER NOT NULL DEFAULT 0,"
	"  last_used REAL,"
	"  PRIMARY KEY (engine, error_category, method, template)"
	");"
	"CREATE TABLE worktrees ("
	"  session TEXT NOT NULL REFERENCES sessions (id),"
	"  path TEXT NOT NULL,"
	"  created REAL NOT NULL,"
	"  PRIMARY KEY (session, path)"
	");"
	/* STORE_APPLICATION_ID and STORE_SCHEMA_VERSION; checked in check_schema() */
	"PRAGMA application_id = 1346787410;"
	"PRAGMA user_version = 1;",

	/* 2: the LLM exchanges of a session (prompts, replies, tokens) */
	"CREATE TABLE exchanges ("
	"  id INTEGER PRIMARY KEY,"
	"  session TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,"
	"  failure_idx INTEGER NOT NULL CHECK (failure_idx >= 0),"
	"  attempt_number INTEGER NOT NULL,"
	"  provider TEXT NOT NULL,"
	"  model TEXT,"
	"  system TEXT,"
	"  prompt TEXT,"
	"  reply TEXT,"
	"  prompt_tokens INTEGER CHECK (prompt_tokens >= 0),"
	"  completion_tokens INTEGER CHECK (completion_tokens >= 0),"
	"  latency REAL NOT NULL DEFAULT 0,"
	"  temperature REAL NOT NULL DEFAULT 0,"
	"  outcome TEXT,"
	"  at REAL NOT NULL"
	");"
	"CREATE INDEX exchanges_session ON exchanges (session, failure_idx, attempt_number, id);"
	"PRAGMA user_version = 2;",

	/* 3: the tests an attempt's regression gate judged flaky (a JSON array) */
	"ALTER TABLE attempts ADD COLUMN flaky TEXT;"
	"PRAGMA user_version = 3;",
};

static const char *const failure_statuses[] = { "pending", "unfixed", "fixed", "skipped", NULL };
static const char *const attempt_methods[] = { "update", "patch", "rewrite", NULL };
static const char *const attempt_statuses[] = { "passed", "failed", "error", NULL };
static const char *const attempt_gates[] = {
	"apply", "syntax", "target", "flaky", "regression", "weakening", "timeout", NULL
};
/* what store_session_create() refuses to find in options, in any case */
static const char *const secret_markers[] = { "api_key", "api-key", "apikey", NULL };

static int in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (!strcmp(*list, s))
			return 1;
	return 0;
}

/* errors */

/* SQLite's message for `rc`: the handle's when it is about `rc`, else the generic one */
static const char *sqlite_message(struct store *s, int rc)
{
	if (s->db && sqlite3_extended_errcode(s->db) == rc)
		return sqlite3_errmsg(s->db);
	return sqlite3_errstr(rc);
}

/* convert a SQLite failure: "<context>: <what happened>", with one of our codes */
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

static int db_error(struct store *s, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int db_error(struct store *s, int rc, const char *fmt, ...)
{
	va_list ap;
	int code;
	va_start(ap, fmt);
	code = db_verror(s, rc, fmt, ap);
	va_end(ap);
	return code;
}

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

static void q_prepare(struct query *q, struct store *s, const char *sql)
{
	q->s = s;
	q->st = NULL;
	q->rc = sqlite3_prepare_v2(s->db, sql, -1, &q->st, NULL);
}

/* text is bound redacted: a secret never reaches the database, whatever quotes it */
static void q_text(struct query *q, int i, const char *v)
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

static void q_int(struct query *q, int i, sqlite3_int64 v)
{
	if (q->rc == SQLITE_OK)
		q->rc = sqlite3_bind_int64(q->st, i, v);
}

static void q_size(struct query *q, int i, size_t v)
{
	if (q->rc == SQLITE_OK && v > (size_t)INT64_MAX)
		q->rc = SQLITE_TOOBIG;
	q_int(q, i, (sqlite3_int64)v);
}

static void q_double(struct query *q, int i, double v)
{
	if (q->rc == SQLITE_OK)
		q->rc = sqlite3_bind_double(q->st, i, v);
}

/* SQLITE_ROW, SQLITE_DONE, or the failure (also kept in `rc`) */
static int q_step(struct query *q)
{
	int rc;
	if (q->rc != SQLITE_OK)
		return q->rc;
	rc = sqlite3_step(q->st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		q->rc = rc;
	return rc;
}

/* finalize; 0, or the failure as "<context>: ..." */
static int q_end(struct query *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int q_end(struct query *q, const char *fmt, ...)
{
	int ret = 0;
	if (q->rc != SQLITE_OK) {
		va_list ap;
		va_start(ap, fmt);
		ret = db_verror(q->s, q->rc, fmt, ap);
		va_end(ap);
	}
	sqlite3_finalize(q->st);
	q->st = NULL;
	return ret;
}

/* finalize, keeping nothing */
static void q_discard(struct query *q)
{
	sqlite3_finalize(q->st);
	q->st = NULL;
}

static char *col_str(struct query *q, int i)
{
	return xstrdup_or_null((const char *)sqlite3_column_text(q->st, i));
}

static size_t col_size(struct query *q, int i)
{
	sqlite3_int64 v = sqlite3_column_int64(q->st, i);
	return v < 0 ? 0 : (size_t)v;
}

/* copy a column into a fixed array, truncating (ids are ours, far shorter) */
static void col_copy(char *dst, size_t size, struct query *q, int i)
{
	const char *v = (const char *)sqlite3_column_text(q->st, i);
	snprintf(dst, size, "%s", v ? v : "");
}

/* transactions, nested through savepoints */

static int exec_static(struct store *s, const char *sql)
{
	return sqlite3_exec(s->db, sql, NULL, NULL, NULL);
}

static int txn_begin(struct store *s)
{
	int rc = exec_static(s, s->depth ? "SAVEPOINT store" : "BEGIN IMMEDIATE");
	if (rc != SQLITE_OK)
		return db_error(s, rc, "cannot start a transaction");
	s->depth++;
	return 0;
}

static int txn_commit(struct store *s)
{
	int rc;
	assert(s->depth > 0);
	rc = exec_static(s, s->depth > 1 ? "RELEASE store" : "COMMIT");
	if (rc != SQLITE_OK)
		return db_error(s, rc, "cannot commit a transaction");
	s->depth--;
	return 0;
}

/* roll back the innermost transaction; SQLite's result, the depth drops in any case */
static int txn_rollback(struct store *s)
{
	int rc = SQLITE_OK;
	assert(s->depth > 0);
	if (s->depth > 1) {
		rc = exec_static(s, "ROLLBACK TO store");
		if (rc == SQLITE_OK)
			rc = exec_static(s, "RELEASE store");
	} else if (!sqlite3_get_autocommit(s->db)) {
		/* (SQLite may have rolled back already after an I/O error) */
		rc = exec_static(s, "ROLLBACK");
	}
	s->depth--;
	return rc;
}

int store_begin(struct store *s)
{
	return txn_begin(s);
}

int store_commit(struct store *s)
{
	if (!s->depth)
		return error_set("cannot commit: no transaction is open");
	return txn_commit(s);
}

int store_rollback(struct store *s)
{
	int rc;
	if (!s->depth)
		return error_set("cannot roll back: no transaction is open");
	rc = txn_rollback(s);
	if (rc != SQLITE_OK)
		return db_error(s, rc, "cannot roll back a transaction");
	return 0;
}

/* opening, schema */

static int pragma_int(int *out, struct store *s, const char *sql)
{
	struct query q;
	q_prepare(&q, s, sql);
	if (q_step(&q) == SQLITE_ROW)
		*out = sqlite3_column_int(q.st, 0);
	return q_end(&q, "cannot open database '%s'", s->path);
}

static int table_count(int *out, struct store *s)
{
	struct query q;
	q_prepare(&q, s, "SELECT count(*) FROM sqlite_master");
	if (q_step(&q) == SQLITE_ROW)
		*out = sqlite3_column_int(q.st, 0);
	return q_end(&q, "cannot open database '%s'", s->path);
}

/* refuse files that are not ours: another program's SQLite database */
static int check_ours(struct store *s, int version)
{
	int app_id = 0, tables = 0, ret;

	if ((ret = pragma_int(&app_id, s, "PRAGMA application_id")) < 0)
		return ret;
	if (app_id == STORE_APPLICATION_ID)
		return 0;
	if (!app_id && !version) {
		if ((ret = table_count(&tables, s)) < 0)
			return ret;
		if (!tables)
			return 0;  /* empty: ours to create */
	}
	return error_setc(ERR_CONFLICT, "database '%s' is not a pytest-fixer database", s->path);
}

static int check_version(struct store *s, int version)
{
	if (version > STORE_SCHEMA_VERSION)
		return error_setc(ERR_CONFLICT,
				  "database '%s' is from a newer pytest-fixer: schema version %d, "
				  "this one knows up to %d", s->path, version, STORE_SCHEMA_VERSION);
	return check_ours(s, version);
}

static int migrate(struct store *s)
{
	int version = 0, ret, rc;

	if ((ret = txn_begin(s)) < 0)
		return error_prefix(ret, "cannot open database '%s'", s->path);
	/* read again under the write lock: another process may have done it */
	if ((ret = pragma_int(&version, s, "PRAGMA user_version")) < 0 ||
	    (ret = check_version(s, version)) < 0)
		goto done;
	for (; version < STORE_SCHEMA_VERSION; version++) {
		log_debug("database '%s': schema version %d -> %d", s->path, version, version + 1);
		rc = exec_static(s, migrations[version]);
		if (rc != SQLITE_OK) {
			ret = db_error(s, rc, "cannot upgrade database '%s' to schema version %d",
				       s->path, version + 1);
			goto done;
		}
	}
	ret = txn_commit(s);
done:
	if (ret < 0 && s->depth)
		txn_rollback(s);
	return ret;
}

static int make_parent_dirs(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int ret = 0;

	if (!slash || slash == path)
		return 0;
	dir = xstrndup(path, (size_t)(slash - path));
	if (!fs_is_dir(dir))
		ret = fs_mkdir_p(dir, 0777);
	free(dir);
	return ret;
}

int store_open(struct store **out, const char *path)
{
	struct store *s = xcalloc(1, sizeof(*s));
	int version = 0, ret, rc;

	*out = NULL;
	s->path = xstrdup(path);
	s->busy_ms = STORE_BUSY_TIMEOUT_MS;
	if ((ret = make_parent_dirs(path)) < 0) {
		error_prefix(ret, "cannot open database '%s'", path);
		goto done;
	}
	rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		ret = db_error(s, rc, "cannot open database '%s'", path);
		goto done;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, s->busy_ms);
	/* the first statement that reads the file: a file that is not a database fails here */
	rc = exec_static(s, "PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL");
	if (rc != SQLITE_OK) {
		ret = db_error(s, rc, "cannot open database '%s'", path);
		goto done;
	}
	if ((ret = pragma_int(&version, s, "PRAGMA user_version")) < 0 ||
	    (ret = check_version(s, version)) < 0)
		goto done;
	if (version < STORE_SCHEMA_VERSION && (ret = migrate(s)) < 0)
		goto done;
	*out = s;
	s = NULL;
done:
	store_free(s);
	return ret;
}

void store_free(struct store *s)
{
	if (!s)
		return;
	if (s->depth)
		log_debug("database '%s' closed with a transaction open: rolled back", s->path);
	if (s->db)
		sqlite3_close_v2(s->db);
	free(s->path);
	free(s);
}

const char *store_path(const struct store *s)
{
	return s->path;
}

void store_set_busy_timeout(struct store *s, int ms)
{
	s->busy_ms = ms;
	sqlite3_busy_timeout(s->db, ms);
}

/* sessions */

#define SESSION_COLUMNS \
	"id, state, root, base_commit, options_json, branch, created, updated, error, " \
	"total, fixed, current"

static int read_session(struct session_row *out, struct query *q)
{
	const char *state = (const char *)sqlite3_column_text(q->st, 1);

	memset(out, 0, sizeof(*out));
	col_copy(out->id, sizeof(out->id), q, 0);
	if (session_state_parse(&out->state, state ? state : "") < 0)
		return error_prefix(ERR_PARSE, "database '%s': session '%s'", q->s->path, out->id);
	out->root = col_str(q, 2);
	out->base_commit = col_str(q, 3);
	out->options_json = col_str(q, 4);
	out->branch = col_str(q, 5);
	out->created = sqlite3_column_double(q->st, 6);
	out->updated = sqlite3_column_double(q->st, 7);
	out->error = col_str(q, 8);
	out->total = col_size(q, 9);
	out->fixed = col_size(q, 10);
	out->current = col_size(q, 11);
	return 0;
}

void session_row_release(struct session_row *r)
{
	free(r->root);
	free(r->base_commit);
	free(r->options_json);
	free(r->branch);
	free(r->error);
	memset(r, 0, sizeof(*r));
}

void session_rows_free(struct session_row *rows, size_t nr)
{
	size_t i;
	for (i = 0; i < nr; i++)
		session_row_release(&rows[i]);
	free(rows);
}

/* "YYYYMMDD-HHMMSS-xxxx", local time */
static int new_session_id(char *out, size_t size, double now)
{
	time_t t = (time_t)now;
	unsigned char rnd[2];
	struct tm tm;
	char stamp[32];
	ssize_t n;
	int fd;

	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_errno("cannot open '/dev/urandom'");
	do
		n = read(fd, rnd, sizeof(rnd));
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n != (ssize_t)sizeof(rnd))
		return error_set("cannot read '/dev/urandom'");
	if (!localtime_r(&t, &tm) || !strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm))
		return error_set("cannot format the time for a session id");
	snprintf(out, size, "%s-%02x%02x", stamp, rnd[0], rnd[1]);
	return 0;
}

static int looks_secret(const char *text);

/* a marker of secret_markers in `text`, followed by '=' or ':' when `assigned` (an option given) */
static const char *secret_marker_in(const char *text, int assigned)
{
	size_t i;
	for (i = 0; secret_markers[i]; i++) {
		size_t n = strlen(secret_markers[i]);
		const char *p;
		for (p = text; *p; p++)
			if (!strncasecmp(p, secret_markers[i], n) &&
			    (!assigned || p[n] == '=' || p[n] == ':'))
				return secret_markers[i];
	}
	return NULL;
}

/*
 * Options never carry a secret: no member named like an API key, no value
 * that passes one ("--api-key=..."), no value that looks like a key. Text
 * that merely mentions one (a test named test_api_key) is fine.
 */
static int check_secrets(const json_t *v)
{
	const char *key, *marker;
	json_t *m;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, m) {
			if ((marker = secret_marker_in(key, 0)))
				return error_setc(ERR_USAGE, "refusing to store session options that "
						  "mention '%s': secrets never go into the database", marker);
			if (check_secrets(m) < 0)
				return ERR_USAGE;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, m)
			if (check_secrets(m) < 0)
				return ERR_USAGE;
	} else if (json_is_string(v)) {
		if ((marker = secret_marker_in(json_string_value(v), 1)))
			return error_setc(ERR_USAGE, "refusing to store session options that give '%s': "
					  "secrets never go into the database", marker);
		if (looks_secret(json_string_value(v)))
			return error_setc(ERR_USAGE, "refusing to store session options that hold "
					  "what looks like an API key: secrets never go into the database");
	}
	return 0;
}

static int check_options(const char *options_json)
{
	json_error_t jerr;
	json_t *opts;
	int err;

	opts = json_loads(options_json, 0, &jerr);
	if (!json_is_object(opts)) {
		json_decref(opts);
		return error_setc(ERR_USAGE, "session options are not a JSON object: %s",
				  opts ? "another JSON value" : jerr.text);
	}
	err = check_secrets(opts);
	json_decref(opts);
	return err;
}

int store_session_create(struct session_row *out, struct store *s, const char *root,
			 const char *base_commit, const char *options_json)
{
	char id[STORE_SESSION_ID_MAX];
	double now = clock_wall();
	struct query q;
	int tries, ret;

	memset(out, 0, sizeof(*out));
	if (!options_json)
		options_json = "{}";
	if ((ret = check_options(options_json)) < 0)
		return ret;
	for (tries = 0; ; tries++) {
		if ((ret = new_session_id(id, sizeof(id), now)) < 0)
			return ret;
		q_prepare(&q, s, "INSERT INTO sessions (id, state, root, base_commit, options_json, "
			  "created, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)");
		q_text(&q, 1, id);
		q_text(&q, 2, session_state_name(SESSION_INITIALIZING));
		q_text(&q, 3, root);
		q_text(&q, 4, base_commit);
		q_text(&q, 5, options_json);
		q_double(&q, 6, now);
		q_step(&q);
		if (q.rc == SQLITE_CONSTRAINT_PRIMARYKEY && tries + 1 < SESSION_ID_TRIES) {
			q_discard(&q);
			continue;
		}
		if ((ret = q_end(&q, "cannot create a session")) < 0)
			return ret;
		break;
	}
	snprintf(out->id, sizeof(out->id), "%s", id);
	out->state = SESSION_INITIALIZING;
	out->root = xstrdup(root);
	out->base_commit = xstrdup_or_null(base_commit);
	out->options_json = xstrdup(options_json);
	out->created = out->updated = now;
	return 0;
}

int store_session_get(struct session_row *out, struct store *s, const char *id)
{
	struct session_row rows[AMBIGUOUS_SHOWN + 1];
	struct buf names = BUF_INIT;
	struct query q;
	size_t nr = 0, i;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	if (!*id)
		return error_setc(ERR_USAGE, "empty session id");
	/* the exact id first, then the ids it is a prefix of */
	q_prepare(&q, s, "SELECT " SESSION_COLUMNS " FROM sessions"
		  " WHERE substr(id, 1, length(?1)) = ?1 ORDER BY id = ?1 DESC, id LIMIT ?2");
	q_text(&q, 1, id);
	q_int(&q, 2, AMBIGUOUS_SHOWN + 1);
	while (!ret && nr < ARRAY_SIZE(rows) && q_step(&q) == SQLITE_ROW) {
		if ((ret = read_session(&rows[nr], &q)) < 0)
			session_row_release(&rows[nr]);
		else
			nr++;
	}
	if (ret < 0)
		q_discard(&q);
	else
		ret = q_end(&q, "cannot read session '%s'", id);
	if (ret < 0)
		goto done;
	if (!nr) {
		ret = error_setc(ERR_NOTFOUND, "no session '%s'", id);
	} else if (nr == 1 || !strcmp(rows[0].id, id)) {
		*out = rows[0];
		memset(&rows[0], 0, sizeof(rows[0]));
	} else {
		for (i = 0; i < nr && i < AMBIGUOUS_SHOWN; i++)
			buf_addf(&names, "%s'%s'", i ? ", " : "", rows[i].id);
		ret = error_setc(ERR_USAGE, "session id '%s' is ambiguous: it matches %s%s", id,
				 names.ptr, nr > AMBIGUOUS_SHOWN ? " and more" : "");
	}
done:
	for (i = 0; i < nr; i++)
		session_row_release(&rows[i]);
	buf_release(&names);
	return ret;
}

int store_session_list(struct session_row **out, size_t *nr, struct store *s)
{
	struct session_row *rows = NULL;
	size_t n = 0, alloc = 0;
	struct query q;
	int ret = 0;

	*out = NULL;
	*nr = 0;
	q_prepare(&q, s, "SELECT " SESSION_COLUMNS " FROM sessions"
		  " ORDER BY created DESC, rowid DESC");
	while (!ret && q_step(&q) == SQLITE_ROW) {
		ALLOC_GROW(rows, n + 1, alloc);
		if ((ret = read_session(&rows[n], &q)) < 0)
			session_row_release(&rows[n]);
		else
			n++;
	}
	if (ret < 0)
		q_discard(&q);
	else
		ret = q_end(&q, "cannot list sessions");
	if (ret < 0) {
		session_rows_free(rows, n);
		return ret;
	}
	*out = rows;
	*nr = n;
	return 0;
}

/* the state of session `id` */
static int session_state_of(enum session_state *out, struct store *s, const char *id)
{
	struct query q;
	char *name = NULL;
	int found = 0, ret;

	q_prepare(&q, s, "SELECT state FROM sessions WHERE id = ?1");
	q_text(&q, 1, id);
	if (q_step(&q) == SQLITE_ROW) {
		found = 1;
		name = col_str(&q, 0);
	}
	ret = q_end(&q, "cannot read session '%s'", id);
	if (!ret && !found)
		ret = error_setc(ERR_NOTFOUND, "no session '%s'", id);
	if (!ret && session_state_parse(out, name ? name : "") < 0)
		ret = error_prefix(ERR_PARSE, "database '%s': session '%s'", s->path, id);
	free(name);
	return ret;
}

int store_session_set_state(struct store *s, const char *id, enum session_state to,
			    const char *error)
{
	enum session_state from;
	double now = clock_wall();
	struct query q;
	int ret;

	if ((ret = txn_begin(s)) < 0)
		return ret;
	if ((ret = session_state_of(&from, s, id)) < 0)
		goto done;
	if ((ret = session_state_check(from, to)) < 0) {
		error_prefix(ret, "session '%s'", id);
		goto done;
	}
	q_prepare(&q, s, "UPDATE sessions SET state = ?2, error = ?3, updated = ?4 WHERE id = ?1");
	q_text(&q, 1, id);
	q_text(&q, 2, session_state_name(to));
	q_text(&q, 3, error);
	q_double(&q, 4, now);
	q_step(&q);
	if ((ret = q_end(&q, "cannot change the state of session '%s'", id)) < 0)
		goto done;
	q_prepare(&q, s, "INSERT INTO transitions (session, from_state, to_state, at, error)"
		  " VALUES (?1, ?2, ?3, ?4, ?5)");
	q_text(&q, 1, id);
	q_text(&q, 2, session_state_name(from));
	q_text(&q, 3, session_state_name(to));
	q_double(&q, 4, now);
	q_text(&q, 5, error);
	q_step(&q);
	if ((ret = q_end(&q, "cannot record the state change of session '%s'", id)) < 0)
		goto done;
	ret = txn_commit(s);
done:
	if (ret < 0)
		txn_rollback(s);
	return ret;
}

/* run an UPDATE of one session: ERR_NOTFOUND when it changed nothing */
static int update_session(struct query *q, const char *id, const char *what)
{
	int ret;
	q_step(q);
	if ((ret = q_end(q, "cannot record the %s of session '%s'", what, id)) < 0)
		return ret;
	if (!sqlite3_changes(q->s->db))
		return error_setc(ERR_NOTFOUND, "no session '%s'", id);
	return 0;
}

int store_session_set_progress(struct store *s, const char *id, size_t total, size_t fixed,
			       size_t current)
{
	struct query q;
	q_prepare(&q, s, "UPDATE sessions SET total = ?2, fixed = ?3, current = ?4, updated = ?5"
		  " WHERE id = ?1");
	q_text(&q, 1, id);
	q_size(&q, 2, total);
	q_size(&q, 3, fixed);
	q_size(&q, 4, current);
	q_double(&q, 5, clock_wall());
	return update_session(&q, id, "progress");
}

int store_session_set_branch(struct store *s, const char *id, const char *branch)
{
	struct query q;
	q_prepare(&q, s, "UPDATE sessions SET branch = ?2, updated = ?3 WHERE id = ?1");
	q_text(&q, 1, id);
	q_text(&q, 2, branch);
	q_double(&q, 3, clock_wall());
	return update_session(&q, id, "branch");
}

int store_session_delete(struct store *s, const char *id)
{
	struct query q;
	size_t worktrees = 0;
	int ret;

	if ((ret = txn_begin(s)) < 0)
		return ret;
	q_prepare(&q, s, "SELECT count(*) FROM worktrees WHERE session = ?1");
	q_text(&q, 1, id);
	if (q_step(&q) == SQLITE_ROW)
		worktrees = col_size(&q, 0);
	if ((ret = q_end(&q, "cannot delete session '%s'", id)) < 0)
		goto done;
	if (worktrees) {
		ret = error_setc(ERR_CONFLICT, "cannot delete session '%s': %zu worktree%s of it "
				 "still recorded", id, worktrees, worktrees == 1 ? " is" : "s are");
		goto done;
	}
	/* failures (and so attempts) and transitions go with it: ON DELETE CASCADE */
	q_prepare(&q, s, "DELETE FROM sessions WHERE id = ?1");
	q_text(&q, 1, id);
	q_step(&q);
	if ((ret = q_end(&q, "cannot delete session '%s'", id)) < 0)
		goto done;
	if (!sqlite3_changes(s->db)) {
		ret = error_setc(ERR_NOTFOUND, "no session '%s'", id);
		goto done;
	}
	ret = txn_commit(s);
done:
	if (ret < 0)
		txn_rollback(s);
	return ret;
}

int store_transition_list(struct transition_row **out, size_t *nr, struct store *s,
			  const char *session)
{
	struct transition_row *rows = NULL;
	size_t n = 0, alloc = 0;
	struct query q;
	int ret = 0;

	*out = NULL;
	*nr = 0;
	q_prepare(&q, s, "SELECT from_state, to_state, at, error FROM transitions"
		  " WHERE session = ?1 ORDER BY id");
	q_text(&q, 1, session);
	while (!ret && q_step(&q) == SQLITE_ROW) {
		const char *from = (const char *)sqlite3_column_text(q.st, 0);
		const char *to = (const char *)sqlite3_column_text(q.st, 1);
		ALLOC_GROW(rows, n + 1, alloc);
		if (session_state_parse(&rows[n].from, from ? from : "") < 0 ||
		    session_state_parse(&rows[n].to, to ? to : "") < 0) {
			ret = error_prefix(ERR_PARSE, "database '%s': session '%s'", s->path,
					   session);
			break;
		}
		rows[n].at = sqlite3_column_double(q.st, 2);
		rows[n].error = col_str(&q, 3);
		n++;
	}
	if (ret < 0)
		q_discard(&q);
	else
		ret = q_end(&q, "cannot read the history of session '%s'", session);
	if (ret < 0) {
		transition_rows_free(rows, n);
		return ret;
	}
	*out = rows;
	*nr = n;
	return 0;
}

void transition_rows_free(struct transition_row *rows, size_t nr)
{
	size_t i;
	for (i = 0; i < nr; i++)
		free(rows[i].error);
	free(rows);
}

/* failures */

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
	q_text(&q, 1, session);
	q_size(&q, 2, index);
	q_text(&q, 3, f->id);
	q_text(&q, 4, text);
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
			     const char *status, const char *branch, const char *commit)
{
	struct query q;
	int ret;

	if (!in_list(failure_statuses, status))
		return error_setc(ERR_USAGE, "unknown failure status '%s'", status);
	q_prepare(&q, s, "UPDATE failures SET status = ?3, branch = ?4, commit_id = ?5"
		  " WHERE session = ?1 AND idx = ?2");
	q_text(&q, 1, session);
	q_size(&q, 2, index);
	q_text(&q, 3, status);
	q_text(&q, 4, branch);
	q_text(&q, 5, commit);
	q_step(&q);
	if ((ret = q_end(&q, "cannot record the status of failure %zu of session '%s'", index,
			 session)) < 0)
		return ret;
	if (!sqlite3_changes(s->db))
		return error_setc(ERR_NOTFOUND, "no failure %zu in session '%s'", index, session);
	return 0;
}

int store_failure_list(struct failure_row **out, size_t *nr, struct store *s,
		       const char *session)
{
	struct failure_row *rows = NULL;
	size_t n = 0, alloc = 0;
	struct query q;
	int ret = 0;

	*out = NULL;
	*nr = 0;
	q_prepare(&q, s, "SELECT idx, failure_json, status, branch, commit_id FROM failures"
		  " WHERE session = ?1 ORDER BY idx");
	q_text(&q, 1, session);
	while (!ret && q_step(&q) == SQLITE_ROW) {
		struct failure_row *r;
		const char *text = (const char *)sqlite3_column_text(q.st, 1);

		ALLOC_GROW(rows, n + 1, alloc);
		r = &rows[n];
		memset(r, 0, sizeof(*r));
		r->index = col_size(&q, 0);
		if (failure_from_text(&r->failure, text ? text : "") < 0) {
			failure_release(&r->failure);
			ret = error_setc(ERR_PARSE, "database '%s': failure %zu of session '%s' "
					 "is not a failure in JSON", s->path, r->index, session);
			break;
		}
		r->status = col_str(&q, 2);
		r->branch = col_str(&q, 3);
		r->commit = col_str(&q, 4);
		n++;
	}
	if (ret < 0)
		q_discard(&q);
	else
		ret = q_end(&q, "cannot read the failures of session '%s'", session);
	if (ret < 0) {
		failure_rows_free(rows, n);
		return ret;
	}
	*out = rows;
	*nr = n;
	return 0;
}

void failure_rows_free(struct failure_row *rows, size_t nr)
{
	size_t i;
	for (i = 0; i < nr; i++) {
		failure_release(&rows[i].failure);
		free(rows[i].status);
		free(rows[i].branch);
		free(rows[i].commit);
	}
	free(rows);
}

/* attempts and the knowledge base */

static int check_attempt(const struct attempt_row *a)
{
	if (!a->engine || !*a->engine)
		return error_setc(ERR_USAGE, "an attempt needs an engine");
	if (a->method && !in_list(attempt_methods, a->method))
		return error_setc(ERR_USAGE, "unknown edit method '%s'", a->method);
	if (!a->status || !in_list(attempt_statuses, a->status))
		return error_setc(ERR_USAGE, "unknown attempt status '%s'",
				  a->status ? a->status : "(null)");
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

	if (strcmp(a->status, "passed") && strcmp(a->status, "failed"))
		return 0;
	q_prepare(&q, s, "INSERT INTO knowledge (engine, error_category, method, template,"
		  " attempts, successes, last_used)"
		  " VALUES (?1, coalesce(?2, ''), coalesce(?3, ''), coalesce(?4, ''), 1, ?5, ?6)"
		  " ON CONFLICT (engine, error_category, method, template) DO UPDATE SET"
		  " attempts = attempts + 1, successes = successes + excluded.successes,"
		  " last_used = excluded.last_used");
	q_text(&q, 1, a->engine);
	q_text(&q, 2, a->error_category);
	q_text(&q, 3, a->method);
	q_text(&q, 4, a->template_name);
	q_int(&q, 5, !strcmp(a->status, "passed"));
	q_double(&q, 6, a->finished ? a->finished : clock_wall());
	q_step(&q);
	return q_end(&q, "cannot update the knowledge base");
}

int store_attempt_add(struct store *s, const struct attempt_row *a)
{
	struct query q;
	int ret;

	if ((ret = check_attempt(a)) < 0)
		return ret;
	if ((ret = txn_begin(s)) < 0)
		return ret;
	q_prepare(&q, s, "INSERT INTO attempts (session, failure_idx, number, engine, method,"
		  " template, temperature, status, gate, reason, diff, error_category, started,"
		  " finished, flaky) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
		  " ?14, ?15)");
	q_text(&q, 1, a->session);
	q_size(&q, 2, a->failure_index);
	q_int(&q, 3, a->number);
	q_text(&q, 4, a->engine);
	q_text(&q, 5, a->method);
	q_text(&q, 6, a->template_name);
	q_double(&q, 7, a->temperature);
	q_text(&q, 8, a->status);
	q_text(&q, 9, a->gate);
	q_text(&q, 10, a->reason);
	q_text(&q, 11, a->diff);
	q_text(&q, 12, a->error_category);
	q_double(&q, 13, a->started);
	q_double(&q, 14, a->finished);
	q_text(&q, 15, a->flaky);
	q_step(&q);
	ret = q_end(&q, "cannot record attempt %d of failure %zu in session '%s'", a->number,
		    a->failure_index, a->session);
	if (ret == ERR_NOTFOUND)
		ret = error_setc(ERR_NOTFOUND, "no failure %zu in session '%s'", a->failure_index,
				 a->session);
	else if (ret == ERR_CONFLICT)
		ret = error_setc(ERR_CONFLICT, "attempt %d of failure %zu in session '%s' "
				 "exists already", a->number, a->failure_index, a->session);
	if (ret < 0 || (ret = knowledge_count(s, a)) < 0)
		goto done;
	ret = txn_commit(s);
done:
	if (ret < 0)
		txn_rollback(s);
	return ret;
}

int store_attempt_list(struct attempt_row **out, size_t *nr, struct store *s,
		       const char *session)
{
	struct attempt_row *rows = NULL;
	size_t n = 0, alloc = 0;
	struct query q;
	int ret;

	*out = NULL;
	*nr = 0;
	q_prepare(&q, s, "SELECT session, failure_idx, number, engine, method, template,"
		  " temperature, status, gate, reason, diff, error_category, started, finished, flaky"
		  " FROM attempts WHERE session = ?1 ORDER BY failure_idx, number");
	q_text(&q, 1, session);
	while (q_step(&q) == SQLITE_ROW) {
		struct attempt_row *a;
		ALLOC_GROW(rows, n + 1, alloc);
		a = &rows[n++];
		col_copy(a->session, sizeof(a->session), &q, 0);
		a->failure_index = col_size(&q, 1);
		a->number = sqlite3_column_int(q.st, 2);
		a->engine = col_str(&q, 3);
		a->method = col_str(&q, 4);
		a->template_name = col_str(&q, 5);
		a->temperature = sqlite3_column_double(q.st, 6);
		a->status = col_str(&q, 7);
		a->gate = col_str(&q, 8);
		a->reason = col_str(&q, 9);
		a->diff = col_str(&q, 10);
		a->error_category = col_str(&q, 11);
		a->started = sqlite3_column_double(q.st, 12);
		a->finished = sqlite3_column_double(q.st, 13);
		a->flaky = col_str(&q, 14);
	}
	if ((ret = q_end(&q, "cannot read the attempts of session '%s'", session)) < 0) {
		attempt_rows_free(rows, n);
		return ret;
	}
	*out = rows;
	*nr = n;
	return 0;
}

void attempt_rows_free(struct attempt_row *rows, size_t nr)
{
	size_t i;
	for (i = 0; i < nr; i++) {
		free(rows[i].engine);
		free(rows[i].method);
		free(rows[i].template_name);
		free(rows[i].status);
		free(rows[i].gate);
		free(rows[i].reason);
		free(rows[i].diff);
		free(rows[i].error_category);
		free(rows[i].flaky);
	}
	free(rows);
}

int store_template_order(struct strvec *out, struct store *s, const char *engine,
			 const char *error_category)
{
	struct query q;

	q_prepare(&q, s, "SELECT template, sum(attempts) AS n, sum(successes) AS ok"
		  " FROM knowledge WHERE engine = ?1 AND template <> ''"
		  " AND (?2 IS NULL OR error_category = ?2)"
		  " GROUP BY template ORDER BY (ok + 1.0) / (n + 2.0) DESC, ok DESC, template");
	q_text(&q, 1, engine);
	q_text(&q, 2, error_category);
	while (q_step(&q) == SQLITE_ROW)
		strvec_push(out, (const char *)sqlite3_column_text(q.st, 0));
	return q_end(&q, "cannot read the knowledge base");
}

int store_kb_stats(struct kb_stat **out, size_t *nr, struct store *s)
{
	struct kb_stat *st = NULL;
	size_t n = 0, alloc = 0;
	struct query q;
	int ret;

	*out = NULL;
	*nr = 0;
	q_prepare(&q, s, "SELECT nullif(error_category, ''), nullif(method, ''),"
		  " sum(attempts) AS n, sum(successes) AS ok FROM knowledge"
		  " GROUP BY error_category, method"
		  " ORDER BY CAST(ok AS REAL) / max(n, 1) DESC, n DESC, error_category, method");
	while (q_step(&q) == SQLITE_ROW) {
		ALLOC_GROW(st, n + 1, alloc);
		st[n].error_category = col_str(&q, 0);
		st[n].method = col_str(&q, 1);
		st[n].engine = st[n].template_name = NULL;
		st[n].attempts = col_size(&q, 2);
		st[n].successes = col_size(&q, 3);
		n++;
	}
	if ((ret = q_end(&q, "cannot read the knowledge base")) < 0) {
		kb_stats_free(st, n);
		return ret;
	}
	*out = st;
	*nr = n;
	return 0;
}

int store_kb_stats_by_template(struct kb_stat **out, size_t *nr, struct store *s)
{
	struct kb_stat *st = NULL;
	size_t n = 0, alloc = 0;
	struct query q;
	int ret;

	*out = NULL;
	*nr = 0;
	q_prepare(&q, s, "SELECT nullif(error_category, ''), nullif(method, ''), engine,"
		  " nullif(template, ''), sum(attempts) AS n, sum(successes) AS ok FROM knowledge"
		  " GROUP BY error_category, method, engine, template"
		  " ORDER BY CAST(ok AS REAL) / max(n, 1) DESC, n DESC, error_category, method,"
		  " engine, template");
	while (q_step(&q) == SQLITE_ROW) {
		ALLOC_GROW(st, n + 1, alloc);
		st[n].error_category = col_str(&q, 0);
		st[n].method = col_str(&q, 1);
		st[n].engine = col_str(&q, 2);
		st[n].template_name = col_str(&q, 3);
		st[n].attempts = col_size(&q, 4);
		st[n].successes = col_size(&q, 5);
		n++;
	}
	if ((ret = q_end(&q, "cannot read the knowledge base")) < 0) {
		kb_stats_free(st, n);
		return ret;
	}
	*out = st;
	*nr = n;
	return 0;
}

void kb_stats_free(struct kb_stat *st, size_t nr)
{
	size_t i;
	for (i = 0; i < nr; i++) {
		free(st[i].error_category);
		free(st[i].method);
		free(st[i].engine);
		free(st[i].template_name);
	}
	free(st);
}

/* LLM exchanges */

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
static int looks_secret(const char *text)
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
		if (looks_secret(fields[i].text))
			return error_setc(ERR_USAGE, "refusing to record an exchange of session '%s': "
					  "its %s holds what looks like an API key", e->session,
					  fields[i].name);
	return 0;
}

/* a token count: NULL when not reported */
static void q_tokens(struct query *q, int i, long v)
{
	if (v >= 0)
		q_int(q, i, v);
	else if (q->rc == SQLITE_OK)
		q->rc = sqlite3_bind_null(q->st, i);
}

int store_exchange_add(struct store *s, const struct exchange_row *e)
{
	struct query q;
	int ret;

	if ((ret = check_exchange(e)) < 0)
		return ret;
	q_prepare(&q, s, "INSERT INTO exchanges (session, failure_idx, attempt_number, provider,"
		  " model, system, prompt, reply, prompt_tokens, completion_tokens, latency,"
		  " temperature, outcome, at)"
		  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");
	q_text(&q, 1, e->session);
	q_size(&q, 2, e->failure_index);
	q_int(&q, 3, e->attempt_number);
	q_text(&q, 4, e->provider);
	q_text(&q, 5, e->model);
	q_text(&q, 6, e->system);
	q_text(&q, 7, e->prompt);
	q_text(&q, 8, e->reply);
	q_tokens(&q, 9, e->prompt_tokens);
	q_tokens(&q, 10, e->completion_tokens);
	q_double(&q, 11, e->latency);
	q_double(&q, 12, e->temperature);
	q_text(&q, 13, e->outcome);
	q_double(&q, 14, e->at ? e->at : clock_wall());
	q_step(&q);
	ret = q_end(&q, "cannot record an exchange of failure %zu in session '%s'",
		    e->failure_index, e->session);
	if (ret == ERR_NOTFOUND)
		ret = error_setc(ERR_NOTFOUND, "no session '%s'", e->session);
	return ret;
}

static long col_tokens(struct query *q, int i)
{
	if (sqlite3_column_type(q->st, i) == SQLITE_NULL)
		return -1;
	return (long)sqlite3_column_int64(q->st, i);
}

int store_exchange_list(struct exchange_row **out, size_t *nr, struct store *s,
			const char *session)
{
	struct exchange_row *rows = NULL;
	size_t n = 0, alloc = 0;
	struct query q;
	int ret;

	*out = NULL;
	*nr = 0;
	q_prepare(&q, s, "SELECT session, failure_idx, attempt_number, provider, model, system,"
		  " prompt, reply, outcome, prompt_tokens, completion_tokens, latency, temperature,"
		  " at FROM exchanges WHERE session = ?1 ORDER BY failure_idx, attempt_number, id");
	q_text(&q, 1, session);
	while (q_step(&q) == SQLITE_ROW) {
		struct exchange_row *e;
		ALLOC_GROW(rows, n + 1, alloc);
		e = &rows[n++];
		col_copy(e->session, sizeof(e->session), &q, 0);
		e->failure_index = col_size(&q, 1);
		e->attempt_number = sqlite3_column_int(q.st, 2);
		e->provider = col_str(&q, 3);
		e->model = col_str(&q, 4);
		e->system = col_str(&q, 5);
		e->prompt = col_str(&q, 6);
		e->reply = col_str(&q, 7);
		e->outcome = col_str(&q, 8);
		e->prompt_tokens = col_tokens(&q, 9);
		e->completion_tokens = col_tokens(&q, 10);
		e->latency = sqlite3_column_double(q.st, 11);
		e->temperature = sqlite3_column_double(q.st, 12);
		e->at = sqlite3_column_double(q.st, 13);
	}
	if ((ret = q_end(&q, "cannot read the exchanges of session '%s'", session)) < 0) {
		exchange_rows_free(rows, n);
		return ret;
	}
	*out = rows;
	*nr = n;
	return 0;
}

void exchange_rows_free(struct exchange_row *rows, size_t nr)
{
	size_t i;
	for (i = 0; i < nr; i++) {
		free(rows[i].provider);
		free(rows[i].model);
		free(rows[i].system);
		free(rows[i].prompt);
		free(rows[i].reply);
		free(rows[i].outcome);
	}
	free(rows);
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

/* worktrees */

int store_worktree_add(struct store *s, const char *session, const char *path)
{
	struct query q;
	int ret;

	q_prepare(&q, s, "INSERT INTO worktrees (session, path, created) VALUES (?1, ?2, ?3)"
		  " ON CONFLICT (session, path) DO NOTHING");
	q_text(&q, 1, session);
	q_text(&q, 2, path);
	q_double(&q, 3, clock_wall());
	q_step(&q);
	ret = q_end(&q, "cannot record worktree '%s' of session '%s'", path, session);
	if (ret == ERR_NOTFOUND)
		ret = error_setc(ERR_NOTFOUND, "no session '%s'", session);
	return ret;
}

int store_worktree_remove(struct store *s, const char *session, const char *path)
{
	struct query q;
	q_prepare(&q, s, "DELETE FROM worktrees WHERE session = ?1 AND path = ?2");
	q_text(&q, 1, session);
	q_text(&q, 2, path);
	q_step(&q);
	return q_end(&q, "cannot forget worktree '%s' of session '%s'", path, session);
}

int store_worktree_list(struct strvec *out, struct store *s, const char *session)
{
	struct query q;
	q_prepare(&q, s, "SELECT path FROM worktrees WHERE ?1 IS NULL OR session = ?1"
		  " ORDER BY created, rowid");
	q_text(&q, 1, session);
	while (q_step(&q) == SQLITE_ROW)
		strvec_push(out, (const char *)sqlite3_column_text(q.st, 0));
	return q_end(&q, "cannot list worktrees");
}
