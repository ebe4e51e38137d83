#ifndef STORE_STORE_H
#define STORE_STORE_H

#include "store/session_state.h"
#include "runner/result.h"
#include "util/strvec.h"

#include <stddef.h>

/*
 * The database of a project (SPEC C7, C11): sessions with their state
 * history, failures, attempts, the worktrees they made, and the knowledge
 * base of which repairs worked for which errors. The only user of SQLite.
 *
 * Ownership: rows and arrays filled through out-parameters are the
 * caller's, released with the matching _release / _free function; strvecs
 * are appended to and stay the caller's. Nothing returned borrows from the
 * store.
 *
 * Errors: ERR_NOTFOUND for a missing session, failure or row; ERR_CONFLICT
 * for a refused state change, a duplicate, or a database from a newer
 * pytest-fixer; ERR_TIMEOUT when another process held the database past
 * the busy timeout; ERR_USAGE for bad arguments (an ambiguous id prefix,
 * an unknown status, options holding a secret); -1 for the rest (a corrupt
 * or unreadable file), with SQLite's message after ours.
 *
 * Only store_session_get() resolves an id prefix; every other function
 * wants the full id.
 *
 * Secrets: the store never receives API keys. Callers strip them from
 * options before store_session_create(), which refuses options_json that
 * mentions "api_key", "api-key" or "apikey" (any case) as a last guard,
 * and from LLM exchanges before store_exchange_add(), which refuses text
 * that looks like a key (see there). Every text bound to a statement has
 * the registered secrets (util/secret.h) replaced by "[redacted]" first.
 *
 * A store handle belongs to one thread at a time. Any number of handles, in
 * any number of processes, may use the same file: writes wait for each
 * other up to STORE_BUSY_TIMEOUT_MS.
 */

/* the schema this build reads and writes (PRAGMA user_version) */
#define STORE_SCHEMA_VERSION 5
/* PRAGMA application_id: "PFXR", marks the file as ours */
#define STORE_APPLICATION_ID 0x50465852
#define STORE_BUSY_TIMEOUT_MS 5000
#define STORE_SESSION_ID_MAX 40

struct store;

/*
 * Open or create the database at `path`, creating its parent directories:
 * WAL journal, busy timeout, foreign keys on, schema created or migrated to
 * STORE_SCHEMA_VERSION. A file written by a newer pytest-fixer is refused
 * with ERR_CONFLICT "database 'x' is from a newer pytest-fixer: ...", a
 * SQLite file that is not ours with ERR_CONFLICT, a file that is not a
 * database with -1 "cannot open database 'x': file is not a database".
 */
int store_open(struct store **out, const char *path);
/* close; an open transaction is rolled back. NULL is a no-op */
void store_free(struct store *s);
/* the path it was opened with (borrowed) */
const char *store_path(const struct store *s);
/* how long a write waits for another writer; STORE_BUSY_TIMEOUT_MS by default */
void store_set_busy_timeout(struct store *s, int ms);

/*
 * Group several changes into one transaction. They nest: an inner
 * begin/rollback undoes only what was done since that begin. Writes take
 * the write lock at the outermost begin (BEGIN IMMEDIATE), so a
 * transaction never fails half-way because another writer came first.
 */
int store_begin(struct store *s);
int store_commit(struct store *s);
int store_rollback(struct store *s);

/* sessions */

struct session_row {
	char id[STORE_SESSION_ID_MAX];
	enum session_state state;
	char *root;          /* the project's absolute path */
	char *base_commit;   /* the commit the session started from; NULL outside git */
	char *options_json;  /* the options as a JSON object, without secrets */
	char *branch;        /* NULL until set */
	double created, updated;  /* seconds since the epoch */
	char *error;         /* why it ended in FAILED or ERROR; NULL otherwise */
	size_t total, fixed, current;
};

/*
 * Create a session in state INITIALIZING with a new id
 * "YYYYMMDD-HHMMSS-xxxx" (local time, 4 random hex digits from
 * /dev/urandom). options_json NULL means "{}"; it must be a JSON object.
 */
int store_session_create(struct session_row *out, struct store *s, const char *root,
			 const char *base_commit, const char *options_json);
/*
 * The session with this id, or with the one id `id` is a prefix of:
 * ERR_NOTFOUND "no session 'x'", ERR_USAGE when the prefix is ambiguous
 * (the message lists some of the candidates) or empty.
 */
int store_session_get(struct session_row *out, struct store *s, const char *id);
/* all sessions, newest first; free with session_rows_free() */
int store_session_list(struct session_row **out, size_t *nr, struct store *s);
/*
 * Move a session to `to`, checked by session_state_check() inside one
 * transaction, and record the move with its time and `error` in the
 * session's history. `error` (NULL to clear) becomes the session's error.
 * A refused move changes nothing.
 */
int store_session_set_state(struct store *s, const char *id, enum session_state to,
			    const char *error);
int store_session_set_progress(struct store *s, const char *id, size_t total, size_t fixed,
			       size_t current);
int store_session_set_branch(struct store *s, const char *id, const char *branch);
/*
 * Delete a session with its failures, attempts and history. The knowledge
 * base keeps what its attempts taught. Refused with ERR_CONFLICT while
 * worktrees are recorded for it: remove them (and their records) first, so
 * nothing on disk is forgotten.
 */
int store_session_delete(struct store *s, const char *id);
void session_row_release(struct session_row *r);
void session_rows_free(struct session_row *rows, size_t nr);

struct transition_row {
	enum session_state from, to;
	double at;
	char *error;  /* may be NULL */
};
/* the session's state history, oldest first; free with transition_rows_free() */
int store_transition_list(struct transition_row **out, size_t *nr, struct store *s,
			  const char *session);
void transition_rows_free(struct transition_row *rows, size_t nr);

/* failures of a session, in order */

/* what became of a failure; stored as its name */
enum failure_status {
	FAILURE_PENDING,  /* to be tried (a paused session's); reported as "unfixed" */
	FAILURE_UNFIXED,
	FAILURE_FIXED,
	FAILURE_SKIPPED,  /* not asked for: left out of reports */
};
#define FAILURE_STATUS_COUNT (FAILURE_SKIPPED + 1)

/* "pending", "unfixed", "fixed", "skipped": a static string */
const char *failure_status_name(enum failure_status status);
/* 0 and the status for an exact (lower-case) name; ERR_PARSE naming it otherwise */
int failure_status_parse(enum failure_status *out, const char *name);

/*
 * Record failure number `index` of a session (status "unfixed"). The
 * failure is kept whole, as failure_to_json() writes it, and read back
 * into a struct failure. ERR_CONFLICT when that index exists already.
 */
int store_failure_add(struct store *s, const char *session, size_t index,
		      const struct failure *f);
/* branch and commit may be NULL; ERR_USAGE for a status out of the enum */
int store_failure_set_status(struct store *s, const char *session, size_t index,
			     enum failure_status status, const char *branch, const char *commit);

struct failure_row {
	size_t index;
	struct failure failure;
	enum failure_status status;
	char *branch;  /* may be NULL */
	char *commit;  /* may be NULL */
};
/*
 * The session's failures by index (none for an unknown session); free with
 * failure_rows_free(). A row whose status is not one of the enum's names
 * is ERR_PARSE, naming the database, the failure and the text.
 */
int store_failure_list(struct failure_row **out, size_t *nr, struct store *s,
		       const char *session);
void failure_rows_free(struct failure_row *rows, size_t nr);

/* attempts, and the knowledge base (C11) built from them */

/* an attempt's verdict; stored as its name */
enum attempt_status {
	ATTEMPT_PASSED,  /* every gate passed */
	ATTEMPT_FAILED,  /* a gate failed */
	ATTEMPT_ERROR,   /* the engine or provider broke down: no verdict */
};
#define ATTEMPT_STATUS_COUNT (ATTEMPT_ERROR + 1)

/* "passed", "failed", "error": a static string */
const char *attempt_status_name(enum attempt_status status);
/* 0 and the status for an exact (lower-case) name; ERR_PARSE naming it otherwise */
int attempt_status_parse(enum attempt_status *out, const char *name);

/* the gate that failed an attempt (fix/validate.h); stored as its name, none as NULL */
enum attempt_gate {
	ATTEMPT_GATE_NONE,  /* every gate passed, or the attempt broke down first */
	ATTEMPT_GATE_APPLY, ATTEMPT_GATE_SYNTAX, ATTEMPT_GATE_TARGET, ATTEMPT_GATE_FLAKY,
	ATTEMPT_GATE_REGRESSION, ATTEMPT_GATE_WEAKENING, ATTEMPT_GATE_TIMEOUT,
};
#define ATTEMPT_GATE_COUNT (ATTEMPT_GATE_TIMEOUT + 1)

/* how an attempt's change edits (edit/change.h's modes); stored as its name, none as NULL */
enum attempt_method {
	ATTEMPT_METHOD_NONE,  /* nothing was proposed */
	ATTEMPT_METHOD_UPDATE, ATTEMPT_METHOD_PATCH, ATTEMPT_METHOD_REWRITE,
};
#define ATTEMPT_METHOD_COUNT (ATTEMPT_METHOD_REWRITE + 1)

/* "apply", "syntax", ...: a static string; NULL for ATTEMPT_GATE_NONE */
const char *attempt_gate_name(enum attempt_gate gate);
/* 0 and the gate for an exact name (ATTEMPT_GATE_NONE for NULL); ERR_PARSE naming it otherwise */
int attempt_gate_parse(enum attempt_gate *out, const char *name);
/* "update", "patch", "rewrite": a static string; NULL for ATTEMPT_METHOD_NONE */
const char *attempt_method_name(enum attempt_method method);
/* 0 and the method for an exact name (NONE for NULL); ERR_PARSE naming it otherwise */
int attempt_method_parse(enum attempt_method *out, const char *name);

struct attempt_row {
	char session[STORE_SESSION_ID_MAX];
	size_t failure_index;
	int number;              /* 1, 2, ... per failure */
	char *engine;            /* "builtin", "openai", ... */
	enum attempt_method method;
	char *template_name;     /* the built-in engine's template, or NULL */
	double temperature;
	enum attempt_status status;
	enum attempt_gate gate;  /* the gate that failed */
	char *reason;
	char *diff;
	char *error_category;    /* e.g. "AssertionError"; NULL when unknown */
	double started, finished;
	struct strvec flaky;     /* node ids the gates judged flaky (empty or zeroed: none) ... */
	struct strvec flaky_why; /* ... and why, at the same index ("passed on a rerun") */
	/* the tests its gates ran: the targets (every run), those covering its lines, the suite */
	size_t ran_target, ran_covering, ran_full;
	char *behaviour;         /* the behaviour check's verdict (fix/behaviour.h), JSON text; NULL: none */
};

/*
 * Record an attempt (its failure must have been added; ERR_NOTFOUND
 * otherwise, ERR_CONFLICT for a number used already; ERR_USAGE for a
 * status, gate or method out of its enum, or flaky and flaky_why of
 * different lengths) and count it in the knowledge base, in one
 * transaction. The flaky tests are stored as the JSON array
 * [{"id":...,"why":...}] (NULL when none). Only attempts with a verdict
 * (ATTEMPT_PASSED, ATTEMPT_FAILED) are counted: ATTEMPT_ERROR (the engine
 * or provider broke down) says nothing about the repair. The row is only
 * read.
 */
int store_attempt_add(struct store *s, const struct attempt_row *a);
/*
 * The session's attempts by failure, then number; free with
 * attempt_rows_free(). A status, gate or method text out of its enum, or
 * flaky tests that are not such an array, is ERR_PARSE, as for failures.
 */
int store_attempt_list(struct attempt_row **out, size_t *nr, struct store *s,
		       const char *session);
void attempt_rows_free(struct attempt_row *rows, size_t nr);

/*
 * Append to `out` the templates `engine` has tried on `error_category`
 * (NULL: on any error), best first. A template's score is
 * (successes + 1) / (attempts + 2), so one lucky success does not outrank a
 * long record; ties go to more successes, then by name. Templates never
 * tried are not listed: the engine puts them after these, in its own order.
 */
int store_template_order(struct strvec *out, struct store *s, const char *engine,
			 const char *error_category);
/*
 * Count an attempt in the knowledge base only (the machine's, shared by
 * every project: project_knowledge_path()); as store_attempt_add() counts.
 */
int store_knowledge_add(struct store *s, const struct attempt_row *a);

struct kb_stat {
	char *error_category;  /* NULL: unknown */
	char *method;          /* edit mode; NULL: nothing was proposed */
	char *engine;          /* store_kb_stats_by_template() only; NULL otherwise */
	char *template_name;   /* store_kb_stats_by_template() only; NULL: no template */
	size_t attempts, successes;
};
/*
 * Attempts and successes per (error category, method) across all sessions,
 * kept after sessions are deleted; best success rate first, then most
 * attempts. Free with kb_stats_free().
 */
int store_kb_stats(struct kb_stat **out, size_t *nr, struct store *s);
/*
 * The same, per (error category, method, engine, template): finer rows,
 * in the same order (ties then by engine and template).
 */
int store_kb_stats_by_template(struct kb_stat **out, size_t *nr, struct store *s);
void kb_stats_free(struct kb_stat *st, size_t nr);

/* LLM exchanges: every request to a model and its reply, for the audit trail and the budget */

struct exchange_row {
	char session[STORE_SESSION_ID_MAX];
	size_t failure_index;
	int attempt_number;
	char *provider;       /* "openai", "anthropic", "replay", ...; required */
	char *model;          /* may be NULL */
	char *system;         /* the system prompt; may be NULL */
	char *prompt;         /* may be NULL */
	char *reply;          /* NULL when no reply came (an HTTP error) */
	char *outcome;        /* "applied", "parse error: ...", "http error: ..."; may be NULL */
	long prompt_tokens, completion_tokens;  /* negative: not reported (read back as -1) */
	double latency;       /* seconds */
	double temperature;
	double at;            /* seconds since the epoch; 0 when adding: now */
};

/*
 * Record an exchange of a session (ERR_NOTFOUND for an unknown session).
 * The row is only read. Refused with ERR_USAGE, recording nothing, when
 * any of its text looks like a credential: "sk-" (not inside a word)
 * followed by 16 or more of [A-Za-z0-9_-], "sk-ant-" anywhere, or
 * "Bearer " followed by 16 or more token characters. The message names the
 * field, never the text.
 */
int store_exchange_add(struct store *s, const struct exchange_row *e);
/*
 * The session's exchanges by failure, then attempt, then the order they
 * were recorded in; none for an unknown session. Free with
 * exchange_rows_free(). Deleting the session deletes them.
 */
int store_exchange_list(struct exchange_row **out, size_t *nr, struct store *s,
			const char *session);
void exchange_rows_free(struct exchange_row *rows, size_t nr);
/*
 * Tokens the session's exchanges used so far (for the budget); tokens not
 * reported count as 0, and a session without exchanges used none.
 */
int store_session_tokens(long *prompt, long *completion, struct store *s, const char *session);

/* worktrees a session created, so `cleanup` and `resume` after kill -9 can remove them */

/* record one; recording it again is not an error */
int store_worktree_add(struct store *s, const char *session, const char *path);
/* forget one; forgetting one that is not recorded is not an error */
int store_worktree_remove(struct store *s, const char *session, const char *path);
/* the paths recorded for a session (NULL: for all sessions), oldest first */
int store_worktree_list(struct strvec *out, struct store *s, const char *session);

#endif
