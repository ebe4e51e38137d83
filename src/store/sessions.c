#include "store/db.h"

#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* the sessions and transitions tables: sessions and their state history */

/* a new session id collides with an existing one: try this many times */
#define SESSION_ID_TRIES 8
/* how many candidates an ambiguous id prefix names */
#define AMBIGUOUS_SHOWN 3

/* what store_session_create() refuses to find in options, in any case */
static const char *const secret_markers[] = { "api_key", "api-key", "apikey", NULL };

#define SESSION_COLUMNS \
	"id, state, root, base_commit, options_json, branch, created, updated, error, " \
	"total, fixed, current"

/* a row of SESSION_COLUMNS; db_rows()'s reader */
static int read_session(void *row, struct query *q, void *payload)
{
	struct session_row *r = row;

	col_unpack(q, "c-ssssffszzz", r->id, sizeof(r->id), &r->root, &r->base_commit,
		   &r->options_json, &r->branch, &r->created, &r->updated, &r->error, &r->total,
		   &r->fixed, &r->current);
	if (session_state_parse(&r->state, col_text(q, 1)) < 0)
		return error_prefix(ERR_PARSE, "database '%s': session '%s'", q->s->path, r->id);
	return 0;
}

void session_row_release(struct session_row *r)
{
	FREE_ALL(r->root, r->base_commit, r->options_json, r->branch, r->error);
	memset(r, 0, sizeof(*r));
}

static void release_session(void *row)
{
	session_row_release(row);
}

void session_rows_free(struct session_row *rows, size_t nr)
{
	db_rows_free(rows, nr, sizeof(*rows), release_session);
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
		if (db_looks_secret(json_string_value(v)))
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
		q_pack(&q, "sssssf", id, session_state_name(SESSION_INITIALIZING), root, base_commit,
		       options_json, now);
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
	struct session_row *rows = NULL;
	struct buf names = BUF_INIT;
	struct query q;
	size_t nr = 0, i;
	int ret;

	memset(out, 0, sizeof(*out));
	if (!*id)
		return error_setc(ERR_USAGE, "empty session id");
	/* the exact id first, then the ids it is a prefix of */
	q_prepare(&q, s, "SELECT " SESSION_COLUMNS " FROM sessions"
		  " WHERE substr(id, 1, length(?1)) = ?1 ORDER BY id = ?1 DESC, id LIMIT ?2");
	q_pack(&q, "si", id, AMBIGUOUS_SHOWN + 1);
	if ((ret = db_rows(&rows, &nr, &q, sizeof(*rows), read_session, release_session, NULL,
			   "cannot read session '%s'", id)) < 0)
		return ret;
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
	session_rows_free(rows, nr);
	buf_release(&names);
	return ret;
}

int store_session_list(struct session_row **out, size_t *nr, struct store *s)
{
	struct query q;
	q_prepare(&q, s, "SELECT " SESSION_COLUMNS " FROM sessions"
		  " ORDER BY created DESC, rowid DESC");
	return db_rows(out, nr, &q, sizeof(**out), read_session, release_session, NULL,
		       "cannot list sessions");
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
	q_pack(&q, "sssf", id, session_state_name(to), error, now);
	q_step(&q);
	if ((ret = q_end(&q, "cannot change the state of session '%s'", id)) < 0)
		goto done;
	q_prepare(&q, s, "INSERT INTO transitions (session, from_state, to_state, at, error)"
		  " VALUES (?1, ?2, ?3, ?4, ?5)");
	q_pack(&q, "sssfs", id, session_state_name(from), session_state_name(to), now, error);
	q_step(&q);
	ret = q_end(&q, "cannot record the state change of session '%s'", id);
done:
	return txn_end(s, ret);
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
	q_pack(&q, "szzzf", id, total, fixed, current, clock_wall());
	return update_session(&q, id, "progress");
}

int store_session_set_branch(struct store *s, const char *id, const char *branch)
{
	struct query q;
	q_prepare(&q, s, "UPDATE sessions SET branch = ?2, updated = ?3 WHERE id = ?1");
	q_pack(&q, "ssf", id, branch, clock_wall());
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
	if (!sqlite3_changes(s->db))
		ret = error_setc(ERR_NOTFOUND, "no session '%s'", id);
done:
	return txn_end(s, ret);
}

/* transitions */

static int read_transition(void *row, struct query *q, void *session)
{
	struct transition_row *t = row;

	col_unpack(q, "--fs", &t->at, &t->error);
	if (session_state_parse(&t->from, col_text(q, 0)) < 0 ||
	    session_state_parse(&t->to, col_text(q, 1)) < 0)
		return error_prefix(ERR_PARSE, "database '%s': session '%s'", q->s->path,
				    (const char *)session);
	return 0;
}

static void release_transition(void *row)
{
	struct transition_row *t = row;
	free(t->error);
}

int store_transition_list(struct transition_row **out, size_t *nr, struct store *s,
			  const char *session)
{
	return db_session_rows(out, nr, s, "SELECT from_state, to_state, at, error FROM transitions"
			       " WHERE session = ?1 ORDER BY id", session, sizeof(**out),
			       read_transition, release_transition, "history");
}

void transition_rows_free(struct transition_row *rows, size_t nr)
{
	db_rows_free(rows, nr, sizeof(*rows), release_transition);
}
