#include "store/db.h"

#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

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

	/* 4: how many tests each gate ran for an attempt */
	"ALTER TABLE attempts ADD COLUMN ran_target INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE attempts ADD COLUMN ran_covering INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE attempts ADD COLUMN ran_full INTEGER NOT NULL DEFAULT 0;"
	"PRAGMA user_version = 4;",

	/* 5: what the behaviour check of a change found (a JSON object) */
	"ALTER TABLE attempts ADD COLUMN behaviour TEXT;"
	"PRAGMA user_version = 5;",
};

/* transactions, nested through savepoints */

static int exec_static(struct store *s, const char *sql)
{
	return sqlite3_exec(s->db, sql, NULL, NULL, NULL);
}

int txn_begin(struct store *s)
{
	int rc = exec_static(s, s->depth ? "SAVEPOINT store" : "BEGIN IMMEDIATE");
	if (rc != SQLITE_OK)
		return db_error(s, rc, "cannot start a transaction");
	s->depth++;
	return 0;
}

int txn_commit(struct store *s)
{
	int rc;
	assert(s->depth > 0);
	rc = exec_static(s, s->depth > 1 ? "RELEASE store" : "COMMIT");
	if (rc != SQLITE_OK)
		return db_error(s, rc, "cannot commit a transaction");
	s->depth--;
	return 0;
}

int txn_rollback(struct store *s)
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

int txn_end(struct store *s, int ret)
{
	if (ret < 0) {
		txn_rollback(s);
		return ret;
	}
	return txn_commit(s);
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

/* the integer a PRAGMA (or a count) gives */
static int pragma_int(int *out, struct store *s, const char *sql)
{
	struct query q;
	q_prepare(&q, s, sql);
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
		if ((ret = pragma_int(&tables, s, "SELECT count(*) FROM sqlite_master")) < 0)
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
done:
	return txn_end(s, ret);
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

const char *store_path(const struct store *s)
{
	return s->path;
}

void store_set_busy_timeout(struct store *s, int ms)
{
	s->busy_ms = ms;
	sqlite3_busy_timeout(s->db, ms);
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
