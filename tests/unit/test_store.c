/*
 * The store (src/store/) on real SQLite files in a private temporary
 * directory per test. SQLite is used directly only to make files the store
 * must refuse (a newer schema, another program's database).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "runner/result.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strvec.h"
#include "util/xalloc.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct fixture {
	struct buf dir;
	struct buf path;   /* <dir>/sub/dir/state.db */
	struct store *s;
};

static int setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof(*fx));
	buf_init(&fx->dir, 0);
	buf_init(&fx->path, 0);
	if (fs_mkdtemp(&fx->dir, "pf-store") < 0)
		fail_msg("%s", error_last());
	buf_addf(&fx->path, "%s/sub/dir/state.db", fx->dir.ptr);
	if (store_open(&fx->s, fx->path.ptr) < 0)
		fail_msg("%s", error_last());
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	store_free(fx->s);
	fs_remove_tree(fx->dir.ptr);
	buf_release(&fx->dir);
	buf_release(&fx->path);
	free(fx);
	return 0;
}

static void ok(int ret)
{
	if (ret < 0)
		fail_msg("unexpected error %d: %s", ret, error_last());
}

static void create(struct session_row *out, struct store *s)
{
	ok(store_session_create(out, s, "/home/u/proj", "0123abcd", "{\"max_retries\": 3}"));
}

static enum session_state state_of(struct store *s, const char *id)
{
	struct session_row r;
	enum session_state st;
	ok(store_session_get(&r, s, id));
	st = r.state;
	session_row_release(&r);
	return st;
}

static void session_ids_differ_in_time(void)
{
	/* created stamps must differ for the newest-first order to be observable */
	struct timespec ts = { 0, 2 * 1000 * 1000 };
	nanosleep(&ts, NULL);
}

static void store__open_creates_dirs_and_schema(void **state)
{
	struct fixture *fx = *state;
	struct buf dir = BUF_INIT;

	buf_addf(&dir, "%s/sub/dir", fx->dir.ptr);
	assert_true(fs_is_dir(dir.ptr));
	assert_true(fs_is_file(fx->path.ptr));
	assert_string_equal(store_path(fx->s), fx->path.ptr);
	buf_release(&dir);
}

static void store__create_and_get(void **state)
{
	struct fixture *fx = *state;
	struct session_row a, b;
	size_t i;

	create(&a, fx->s);
	/* YYYYMMDD-HHMMSS-xxxx */
	assert_int_equal(strlen(a.id), 20);
	for (i = 0; i < 20; i++) {
		if (i == 8 || i == 15)
			assert_int_equal(a.id[i], '-');
		else if (i < 15)
			assert_true(a.id[i] >= '0' && a.id[i] <= '9');
		else
			assert_non_null(strchr("0123456789abcdef", a.id[i]));
	}
	assert_int_equal(a.state, SESSION_INITIALIZING);
	assert_true(a.created > 1.6e9);

	ok(store_session_get(&b, fx->s, a.id));
	assert_string_equal(b.id, a.id);
	assert_int_equal(b.state, SESSION_INITIALIZING);
	assert_string_equal(b.root, "/home/u/proj");
	assert_string_equal(b.base_commit, "0123abcd");
	assert_string_equal(b.options_json, "{\"max_retries\": 3}");
	assert_null(b.branch);
	assert_null(b.error);
	assert_true(b.created == a.created);
	assert_int_equal(b.total, 0);
	session_row_release(&b);
	session_row_release(&a);

	/* no base commit (not a git repository), default options */
	ok(store_session_create(&a, fx->s, "/tmp/x", NULL, NULL));
	ok(store_session_get(&b, fx->s, a.id));
	assert_null(b.base_commit);
	assert_string_equal(b.options_json, "{}");
	session_row_release(&b);
	session_row_release(&a);
}

static void store__get_accepts_a_unique_prefix(void **state)
{
	struct fixture *fx = *state;
	struct session_row a, b;
	char prefix[32];

	create(&a, fx->s);
	snprintf(prefix, sizeof(prefix), "%.17s", a.id);
	ok(store_session_get(&b, fx->s, prefix));
	assert_string_equal(b.id, a.id);
	session_row_release(&b);
	session_row_release(&a);
}

static void store__get_refuses_an_ambiguous_prefix(void **state)
{
	struct fixture *fx = *state;
	struct session_row a, b, r;
	char prefix[STORE_SESSION_ID_MAX];
	size_t n = 0;

	create(&a, fx->s);
	do {
		session_ids_differ_in_time();
		create(&b, fx->s);
		if (strcmp(a.id, b.id))
			break;
		session_row_release(&b);
	} while (1);
	while (a.id[n] && a.id[n] == b.id[n])
		n++;
	assert_true(n > 0);
	snprintf(prefix, sizeof(prefix), "%.*s", (int)n, a.id);

	assert_int_equal(store_session_get(&r, fx->s, prefix), ERR_USAGE);
	assert_non_null(strstr(error_last(), "is ambiguous"));
	assert_non_null(strstr(error_last(), a.id));
	assert_non_null(strstr(error_last(), b.id));
	assert_null(r.root);

	/* the full id is never ambiguous */
	ok(store_session_get(&r, fx->s, b.id));
	assert_string_equal(r.id, b.id);
	session_row_release(&r);

	assert_int_equal(store_session_get(&r, fx->s, ""), ERR_USAGE);
	session_row_release(&b);
	session_row_release(&a);
}

static void store__get_unknown_is_notfound(void **state)
{
	struct fixture *fx = *state;
	struct session_row r;

	assert_int_equal(store_session_get(&r, fx->s, "19990101-000000-beef"), ERR_NOTFOUND);
	assert_string_equal(error_last(), "no session '19990101-000000-beef'");
	/* a prefix search is not a pattern: '%' and '_' are plain characters */
	create(&r, fx->s);
	session_row_release(&r);
	assert_int_equal(store_session_get(&r, fx->s, "%"), ERR_NOTFOUND);
	assert_int_equal(store_session_get(&r, fx->s, "_"), ERR_NOTFOUND);
}

static void store__list_is_newest_first(void **state)
{
	struct fixture *fx = *state;
	struct session_row made[3], *rows;
	size_t nr, i;

	ok(store_session_list(&rows, &nr, fx->s));
	assert_int_equal(nr, 0);
	session_rows_free(rows, nr);

	for (i = 0; i < 3; i++) {
		create(&made[i], fx->s);
		session_ids_differ_in_time();
	}
	ok(store_session_list(&rows, &nr, fx->s));
	assert_int_equal(nr, 3);
	for (i = 0; i < 3; i++)
		assert_string_equal(rows[i].id, made[2 - i].id);
	assert_string_equal(rows[0].root, "/home/u/proj");
	session_rows_free(rows, nr);
	for (i = 0; i < 3; i++)
		session_row_release(&made[i]);
}

static void store__create_refuses_secrets_and_bad_options(void **state)
{
	struct fixture *fx = *state;
	struct session_row r, *rows;
	size_t nr;

	assert_int_equal(store_session_create(&r, fx->s, "/p", NULL,
					      "{\"api_key\": \"sk-123\"}"), ERR_USAGE);
	assert_non_null(strstr(error_last(), "api_key"));
	assert_null(strstr(error_last(), "sk-123"));
	assert_int_equal(store_session_create(&r, fx->s, "/p", NULL,
					      "{\"x\": \"--API-KEY=sk\"}"), ERR_USAGE);
	assert_int_equal(store_session_create(&r, fx->s, "/p", NULL, "{\"apiKey\": 1}"),
			 ERR_USAGE);
	assert_int_equal(store_session_create(&r, fx->s, "/p", NULL,
					      "{\"x\": [\"Bearer abcdefghijklmnopqrstuvwxyz0123\"]}"),
			 ERR_USAGE);
	assert_int_equal(store_session_create(&r, fx->s, "/p", NULL, "{not json"), ERR_USAGE);
	assert_int_equal(store_session_create(&r, fx->s, "/p", NULL, "[1]"), ERR_USAGE);
	ok(store_session_list(&rows, &nr, fx->s));
	assert_int_equal(nr, 0);
	session_rows_free(rows, nr);
	/* text that only mentions a key is no secret: a test named so, the user's words */
	ok(store_session_create(&r, fx->s, "/p", NULL,
				"{\"user_prompt\": \"the api-key test flakes\", "
				"\"targets\": [{\"id\": \"tests/test_auth.py::test_api_key_rotation\"}]}"));
	session_row_release(&r);
}

static void store__valid_transitions_are_recorded(void **state)
{
	struct fixture *fx = *state;
	static const enum session_state path[] = {
		SESSION_RUNNING, SESSION_PAUSED, SESSION_RUNNING, SESSION_ERROR,
		SESSION_RUNNING, SESSION_COMPLETED,
	};
	struct transition_row *tr;
	struct session_row r, got;
	enum session_state prev = SESSION_INITIALIZING;
	size_t nr, i;

	create(&r, fx->s);
	for (i = 0; i < ARRAY_SIZE(path); i++) {
		const char *err = path[i] == SESSION_ERROR ? "pytest vanished" : NULL;
		ok(store_session_set_state(fx->s, r.id, path[i], err));
		ok(store_session_get(&got, fx->s, r.id));
		assert_int_equal(got.state, path[i]);
		if (err)
			assert_string_equal(got.error, err);
		else
			assert_null(got.error);
		assert_true(got.updated >= got.created);
		session_row_release(&got);
	}
	ok(store_transition_list(&tr, &nr, fx->s, r.id));
	assert_int_equal(nr, ARRAY_SIZE(path));
	for (i = 0; i < nr; i++) {
		assert_int_equal(tr[i].from, prev);
		assert_int_equal(tr[i].to, path[i]);
		assert_true(tr[i].at >= r.created);
		prev = path[i];
	}
	assert_string_equal(tr[3].error, "pytest vanished");
	assert_null(tr[4].error);
	transition_rows_free(tr, nr);
	session_row_release(&r);
}

static void store__invalid_transitions_change_nothing(void **state)
{
	struct fixture *fx = *state;
	static const struct {
		enum session_state setup[2];
		size_t nr_setup;
		enum session_state refused[4];
		size_t nr_refused;
	} cases[] = {
		{ { 0 }, 0, { SESSION_COMPLETED, SESSION_INITIALIZING }, 2 },
		{ { SESSION_RUNNING }, 1, { SESSION_RUNNING, SESSION_INITIALIZING }, 2 },
		{ { SESSION_RUNNING, SESSION_COMPLETED }, 2,
		  { SESSION_RUNNING, SESSION_PAUSED, SESSION_FAILED, SESSION_ERROR }, 4 },
		{ { SESSION_RUNNING, SESSION_FAILED }, 2,
		  { SESSION_PAUSED, SESSION_COMPLETED, SESSION_ERROR, SESSION_FAILED }, 4 },
		{ { SESSION_PAUSED }, 1, { SESSION_PAUSED, SESSION_INITIALIZING }, 2 },
	};
	struct transition_row *tr;
	size_t c, i, nr;

	for (c = 0; c < ARRAY_SIZE(cases); c++) {
		struct session_row r, got;
		enum session_state at = SESSION_INITIALIZING;

		create(&r, fx->s);
		for (i = 0; i < cases[c].nr_setup; i++)
			ok(store_session_set_state(fx->s, r.id, at = cases[c].setup[i], "why"));
		for (i = 0; i < cases[c].nr_refused; i++) {
			char want[160];
			enum session_state to = cases[c].refused[i];

			assert_int_equal(store_session_set_state(fx->s, r.id, to, "nope"),
					 ERR_CONFLICT);
			snprintf(want, sizeof(want), "session '%s': cannot go from '%s' to '%s'",
				 r.id, session_state_name(at), session_state_name(to));
			assert_string_equal(error_last(), want);
			ok(store_session_get(&got, fx->s, r.id));
			assert_int_equal(got.state, at);
			if (cases[c].nr_setup)
				assert_string_equal(got.error, "why");
			else
				assert_null(got.error);
			session_row_release(&got);
		}
		ok(store_transition_list(&tr, &nr, fx->s, r.id));
		assert_int_equal(nr, cases[c].nr_setup);
		transition_rows_free(tr, nr);
		session_row_release(&r);
	}
	assert_int_equal(store_session_set_state(fx->s, "nope", SESSION_RUNNING, NULL),
			 ERR_NOTFOUND);
}

static void store__progress_and_branch(void **state)
{
	struct fixture *fx = *state;
	struct session_row r, got;

	create(&r, fx->s);
	ok(store_session_set_progress(fx->s, r.id, 7, 2, 3));
	ok(store_session_set_branch(fx->s, r.id, "fix-test_calc-test_div"));
	ok(store_session_get(&got, fx->s, r.id));
	assert_int_equal(got.total, 7);
	assert_int_equal(got.fixed, 2);
	assert_int_equal(got.current, 3);
	assert_string_equal(got.branch, "fix-test_calc-test_div");
	session_row_release(&got);
	assert_int_equal(store_session_set_progress(fx->s, "nope", 1, 1, 1), ERR_NOTFOUND);
	assert_string_equal(error_last(), "no session 'nope'");
	assert_int_equal(store_session_set_branch(fx->s, "nope", "b"), ERR_NOTFOUND);
	session_row_release(&r);
}

/* a failure with frames, a location and text that is not ASCII */
static void make_failure(struct failure *f, const char *id)
{
	memset(f, 0, sizeof(*f));
	f->id = xstrdup(id);
	failure_split_id(f);
	f->kind = FAILURE_KIND_ERROR;
	f->error_type = xstrdup("ZeroDivisionError");
	f->message = xstrdup("division by zéro — 除以零 ✓\nsecond line");
	failure_add_frame(f, "tests/test_calc.py", 20, "test_div");
	failure_add_frame(f, "src/calc.py", 6, "divide");
	failure_add_frame(f, "src/lambda.py", 1, NULL);
	failure_locate_from_frames(f);
	f->traceback = xstrdup("Traceback (most recent call last):\n  \"quoted\" \\ back");
	f->output = NULL;
}

static void assert_failure_equal(const struct failure *a, const struct failure *b)
{
	size_t i;
	assert_string_equal(a->id, b->id);
	assert_string_equal(a->file, b->file);
	assert_string_equal(a->test, b->test);
	assert_int_equal(a->kind, b->kind);
	assert_string_equal(a->error_type, b->error_type);
	assert_string_equal(a->message, b->message);
	assert_string_equal(a->loc_file, b->loc_file);
	assert_int_equal(a->loc_line, b->loc_line);
	assert_int_equal(a->nr_frames, b->nr_frames);
	for (i = 0; i < a->nr_frames; i++) {
		assert_string_equal(a->frames[i].file, b->frames[i].file);
		assert_int_equal(a->frames[i].line, b->frames[i].line);
		if (a->frames[i].function)
			assert_string_equal(a->frames[i].function, b->frames[i].function);
		else
			assert_null(b->frames[i].function);
	}
	assert_string_equal(a->traceback, b->traceback);
	assert_null(b->output);
}

static void store__failures_round_trip(void **state)
{
	struct fixture *fx = *state;
	struct failure f0, f1;
	struct failure_row *rows;
	struct session_row r;
	enum failure_status status;
	size_t nr;

	create(&r, fx->s);
	make_failure(&f0, "tests/test_calc.py::TestDiv::test_div[1-0]");
	make_failure(&f1, "tests/test_ünï.py::test_x");
	f1.kind = FAILURE_KIND_COLLECTION;
	/* added out of order, listed by index */
	ok(store_failure_add(fx->s, r.id, 1, &f1));
	ok(store_failure_add(fx->s, r.id, 0, &f0));
	assert_int_equal(store_failure_add(fx->s, r.id, 0, &f0), ERR_CONFLICT);
	assert_int_equal(store_failure_add(fx->s, "nope", 0, &f0), ERR_NOTFOUND);

	ok(store_failure_list(&rows, &nr, fx->s, r.id));
	assert_int_equal(nr, 2);
	assert_int_equal(rows[0].index, 0);
	assert_int_equal(rows[1].index, 1);
	assert_failure_equal(&f0, &rows[0].failure);
	assert_failure_equal(&f1, &rows[1].failure);
	assert_string_equal(rows[0].failure.test, "TestDiv::test_div[1-0]");
	assert_int_equal(rows[0].status, FAILURE_UNFIXED);
	assert_null(rows[0].branch);
	assert_null(rows[0].commit);
	failure_rows_free(rows, nr);

	ok(store_failure_set_status(fx->s, r.id, 0, FAILURE_FIXED, "fix-test_calc-test_div",
				    "abc123"));
	ok(store_failure_set_status(fx->s, r.id, 1, FAILURE_PENDING, NULL, NULL));
	ok(store_failure_list(&rows, &nr, fx->s, r.id));
	assert_int_equal(rows[1].status, FAILURE_PENDING);
	failure_rows_free(rows, nr);
	ok(store_failure_set_status(fx->s, r.id, 1, FAILURE_SKIPPED, NULL, NULL));
	assert_int_equal(failure_status_parse(&status, "done"), ERR_PARSE);
	assert_string_equal(error_last(), "unknown failure status 'done'");
	assert_int_equal(store_failure_set_status(fx->s, r.id, 1,
						  (enum failure_status)FAILURE_STATUS_COUNT, NULL,
						  NULL), ERR_USAGE);
	assert_int_equal(store_failure_set_status(fx->s, r.id, 5, FAILURE_FIXED, NULL, NULL),
			 ERR_NOTFOUND);
	ok(store_failure_list(&rows, &nr, fx->s, r.id));
	assert_int_equal(rows[0].status, FAILURE_FIXED);
	assert_string_equal(rows[0].branch, "fix-test_calc-test_div");
	assert_string_equal(rows[0].commit, "abc123");
	assert_int_equal(rows[1].status, FAILURE_SKIPPED);
	assert_null(rows[1].branch);
	failure_rows_free(rows, nr);

	ok(store_failure_list(&rows, &nr, fx->s, "unknown"));
	assert_int_equal(nr, 0);
	failure_rows_free(rows, nr);

	failure_release(&f0);
	failure_release(&f1);
	session_row_release(&r);
}

static void fill_attempt(struct attempt_row *a, const char *session, size_t failure, int number,
			 const char *tmpl, const char *status)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->session, sizeof(a->session), "%s", session);
	a->failure_index = failure;
	a->number = number;
	a->engine = "builtin";
	a->method = ATTEMPT_METHOD_UPDATE;
	a->template_name = (char *)tmpl;
	a->temperature = 0.4 + 0.1 * (number - 1);
	ok(attempt_status_parse(&a->status, status));
	a->gate = strcmp(status, "passed") ? ATTEMPT_GATE_TARGET : ATTEMPT_GATE_NONE;
	a->reason = strcmp(status, "passed") ? "test_div still fails" : NULL;
	a->diff = "--- a/src/calc.py\n+++ b/src/calc.py\n@@ -1 +1 @@\n-x\n+y\n";
	a->error_category = "ZeroDivisionError";
	a->started = 1000.0 + number;
	a->finished = 1000.5 + number;
}

static void add_failures(struct store *s, const char *session, size_t n)
{
	struct failure f;
	size_t i;
	make_failure(&f, "tests/test_calc.py::test_div");
	for (i = 0; i < n; i++)
		ok(store_failure_add(s, session, i, &f));
	failure_release(&f);
}

static void raw_text(struct buf *out, const char *path, const char *sql);

static void store__attempts_round_trip(void **state)
{
	struct fixture *fx = *state;
	struct attempt_row a, *rows;
	struct session_row r;
	struct strvec ids = STRVEC_INIT, whys = STRVEC_INIT;
	struct buf got = BUF_INIT;
	size_t nr;

	create(&r, fx->s);
	add_failures(fx->s, r.id, 2);
	strvec_push(&ids, "tests/t.py::test_clock");
	strvec_push(&whys, "passed on a rerun");
	fill_attempt(&a, r.id, 1, 1, "guard-zero", "failed");
	ok(store_attempt_add(fx->s, &a));
	fill_attempt(&a, r.id, 0, 2, NULL, "passed");
	a.engine = "openai";
	a.method = ATTEMPT_METHOD_PATCH;
	a.error_category = NULL;
	a.flaky = ids;
	a.flaky_why = whys;
	a.behaviour = "{\"checked\":3,\"changed\":1}";
	ok(store_attempt_add(fx->s, &a));
	fill_attempt(&a, r.id, 0, 1, "swap-args", "error");
	a.method = ATTEMPT_METHOD_NONE;
	a.gate = ATTEMPT_GATE_TIMEOUT;
	ok(store_attempt_add(fx->s, &a));

	/* the same number again, an unknown failure, bad values */
	assert_int_equal(store_attempt_add(fx->s, &a), ERR_CONFLICT);
	fill_attempt(&a, r.id, 9, 1, NULL, "failed");
	assert_int_equal(store_attempt_add(fx->s, &a), ERR_NOTFOUND);
	assert_int_equal(attempt_status_parse(&a.status, "won"), ERR_PARSE);
	assert_string_equal(error_last(), "unknown attempt status 'won'");
	fill_attempt(&a, r.id, 0, 5, NULL, "failed");
	a.status = (enum attempt_status)ATTEMPT_STATUS_COUNT;
	assert_int_equal(store_attempt_add(fx->s, &a), ERR_USAGE);
	fill_attempt(&a, r.id, 0, 5, NULL, "failed");
	a.method = (enum attempt_method)ATTEMPT_METHOD_COUNT;
	assert_int_equal(store_attempt_add(fx->s, &a), ERR_USAGE);
	assert_int_equal(attempt_method_parse(&a.method, "sed"), ERR_PARSE);
	assert_string_equal(error_last(), "unknown edit method 'sed'");
	fill_attempt(&a, r.id, 0, 5, NULL, "failed");
	a.gate = (enum attempt_gate)ATTEMPT_GATE_COUNT;
	assert_int_equal(store_attempt_add(fx->s, &a), ERR_USAGE);
	assert_int_equal(attempt_gate_parse(&a.gate, "vibes"), ERR_PARSE);
	assert_string_equal(error_last(), "unknown gate 'vibes'");
	fill_attempt(&a, r.id, 0, 5, NULL, "failed");
	a.flaky = ids;  /* a test without its reason */
	assert_int_equal(store_attempt_add(fx->s, &a), ERR_USAGE);

	ok(store_attempt_list(&rows, &nr, fx->s, r.id));
	assert_int_equal(nr, 3);
	/* by failure, then number */
	assert_int_equal(rows[0].failure_index, 0);
	assert_int_equal(rows[0].number, 1);
	assert_int_equal(rows[0].status, ATTEMPT_ERROR);
	assert_int_equal(rows[0].method, ATTEMPT_METHOD_NONE);
	assert_null(attempt_method_name(rows[0].method));
	assert_int_equal(rows[0].gate, ATTEMPT_GATE_TIMEOUT);
	assert_string_equal(attempt_gate_name(rows[0].gate), "timeout");
	assert_string_equal(rows[0].template_name, "swap-args");
	assert_int_equal(rows[1].failure_index, 0);
	assert_int_equal(rows[1].number, 2);
	assert_string_equal(rows[1].engine, "openai");
	assert_int_equal(rows[1].method, ATTEMPT_METHOD_PATCH);
	assert_string_equal(attempt_method_name(rows[1].method), "patch");
	assert_int_equal(rows[1].status, ATTEMPT_PASSED);
	assert_int_equal(rows[1].gate, ATTEMPT_GATE_NONE);
	assert_null(attempt_gate_name(rows[1].gate));
	assert_null(rows[1].template_name);
	assert_null(rows[1].error_category);
	assert_int_equal(rows[1].flaky.nr, 1);
	assert_int_equal(rows[1].flaky_why.nr, 1);
	assert_string_equal(rows[1].flaky.v[0], "tests/t.py::test_clock");
	assert_string_equal(rows[1].flaky_why.v[0], "passed on a rerun");
	assert_int_equal(rows[0].flaky.nr, 0);
	assert_int_equal(rows[0].flaky_why.nr, 0);
	/* the behaviour check's verdict, kept as it was given; none: NULL */
	assert_string_equal(rows[1].behaviour, "{\"checked\":3,\"changed\":1}");
	assert_null(rows[0].behaviour);
	assert_true(rows[1].temperature > 0.49 && rows[1].temperature < 0.51);
	assert_int_equal(rows[2].failure_index, 1);
	assert_string_equal(rows[2].session, r.id);
	assert_string_equal(rows[2].engine, "builtin");
	assert_string_equal(rows[2].template_name, "guard-zero");
	assert_int_equal(rows[2].gate, ATTEMPT_GATE_TARGET);
	assert_string_equal(attempt_gate_name(rows[2].gate), "target");
	assert_string_equal(rows[2].reason, "test_div still fails");
	assert_string_equal(rows[2].error_category, "ZeroDivisionError");
	assert_non_null(strstr(rows[2].diff, "+++ b/src/calc.py"));
	assert_true(rows[2].started == 1001.0);
	assert_true(rows[2].finished == 1001.5);
	attempt_rows_free(rows, nr);

	/* stored as the text it always was: the JSON array, the names, NULL for none */
	raw_text(&got, fx->path.ptr, "SELECT flaky FROM attempts"
		 " WHERE failure_idx = 0 AND number = 2");
	assert_string_equal(got.ptr,
			    "[{\"id\":\"tests/t.py::test_clock\",\"why\":\"passed on a rerun\"}]");
	raw_text(&got, fx->path.ptr, "SELECT method || ',' || coalesce(gate, 'null') FROM attempts"
		 " WHERE failure_idx = 0 AND number = 2");
	assert_string_equal(got.ptr, "patch,null");
	raw_text(&got, fx->path.ptr, "SELECT coalesce(method, 'null') || ',' || gate || ','"
		 " || coalesce(flaky, 'null') FROM attempts WHERE failure_idx = 0 AND number = 1");
	assert_string_equal(got.ptr, "null,timeout,null");
	buf_release(&got);
	strvec_clear(&ids);
	strvec_clear(&whys);
	session_row_release(&r);
}

static void store__knowledge_orders_templates_by_success(void **state)
{
	struct fixture *fx = *state;
	/* guard-zero: 2 of 2; swap-args: 1 of 3; only-error: errors do not count */
	static const struct { const char *tmpl, *status; } runs[] = {
		{ "swap-args", "passed" }, { "swap-args", "failed" }, { "swap-args", "failed" },
		{ "guard-zero", "passed" }, { "guard-zero", "passed" },
		{ "only-error", "error" },
	};
	struct strvec order = STRVEC_INIT;
	struct kb_stat *st;
	struct attempt_row a;
	struct session_row r;
	size_t i, nr;

	create(&r, fx->s);
	add_failures(fx->s, r.id, 1);
	for (i = 0; i < ARRAY_SIZE(runs); i++) {
		fill_attempt(&a, r.id, 0, (int)i + 1, runs[i].tmpl, runs[i].status);
		ok(store_attempt_add(fx->s, &a));
	}
	/* another category, where swap-args is the one that works */
	fill_attempt(&a, r.id, 0, 50, "swap-args", "passed");
	a.error_category = "TypeError";
	ok(store_attempt_add(fx->s, &a));

	ok(store_template_order(&order, fx->s, "builtin", "ZeroDivisionError"));
	assert_int_equal(order.nr, 2);
	assert_string_equal(order.v[0], "guard-zero");
	assert_string_equal(order.v[1], "swap-args");
	strvec_clear(&order);
	ok(store_template_order(&order, fx->s, "builtin", "TypeError"));
	assert_int_equal(order.nr, 1);
	assert_string_equal(order.v[0], "swap-args");
	strvec_clear(&order);
	/* any category: guard-zero 2/2 -> 0.75, swap-args 2/4 -> 0.5 */
	ok(store_template_order(&order, fx->s, "builtin", NULL));
	assert_int_equal(order.nr, 2);
	assert_string_equal(order.v[0], "guard-zero");
	strvec_clear(&order);
	ok(store_template_order(&order, fx->s, "openai", "ZeroDivisionError"));
	assert_int_equal(order.nr, 0);
	strvec_clear(&order);

	ok(store_kb_stats(&st, &nr, fx->s));
	assert_int_equal(nr, 2);
	assert_string_equal(st[0].error_category, "TypeError");
	assert_string_equal(st[0].method, "update");
	assert_int_equal(st[0].attempts, 1);
	assert_int_equal(st[0].successes, 1);
	assert_string_equal(st[1].error_category, "ZeroDivisionError");
	assert_int_equal(st[1].attempts, 5);
	assert_int_equal(st[1].successes, 3);
	assert_null(st[1].engine);
	assert_null(st[1].template_name);
	kb_stats_free(st, nr);

	/* finer: per engine and template, best rate first */
	ok(store_kb_stats_by_template(&st, &nr, fx->s));
	assert_int_equal(nr, 3);
	assert_string_equal(st[0].error_category, "ZeroDivisionError");
	assert_string_equal(st[0].template_name, "guard-zero");
	assert_string_equal(st[0].engine, "builtin");
	assert_int_equal(st[0].attempts, 2);
	assert_int_equal(st[0].successes, 2);
	assert_string_equal(st[1].error_category, "TypeError");
	assert_string_equal(st[1].template_name, "swap-args");
	assert_string_equal(st[2].error_category, "ZeroDivisionError");
	assert_string_equal(st[2].template_name, "swap-args");
	assert_string_equal(st[2].method, "update");
	assert_int_equal(st[2].attempts, 3);
	assert_int_equal(st[2].successes, 1);
	kb_stats_free(st, nr);

	/* the knowledge base outlives the session */
	ok(store_session_delete(fx->s, r.id));
	ok(store_template_order(&order, fx->s, "builtin", "ZeroDivisionError"));
	assert_int_equal(order.nr, 2);
	assert_string_equal(order.v[0], "guard-zero");
	strvec_clear(&order);
	ok(store_kb_stats(&st, &nr, fx->s));
	assert_int_equal(nr, 2);
	kb_stats_free(st, nr);
	session_row_release(&r);
}

static void store__one_lucky_success_does_not_lead(void **state)
{
	struct fixture *fx = *state;
	struct strvec order = STRVEC_INIT;
	struct attempt_row a;
	struct session_row r;
	int n = 1, i;

	create(&r, fx->s);
	add_failures(fx->s, r.id, 1);
	/* lucky: 1 of 1 (score 2/3); steady: 9 of 10 (score 10/12) */
	fill_attempt(&a, r.id, 0, n++, "lucky", "passed");
	ok(store_attempt_add(fx->s, &a));
	for (i = 0; i < 10; i++) {
		fill_attempt(&a, r.id, 0, n++, "steady", i ? "passed" : "failed");
		ok(store_attempt_add(fx->s, &a));
	}
	ok(store_template_order(&order, fx->s, "builtin", "ZeroDivisionError"));
	assert_int_equal(order.nr, 2);
	assert_string_equal(order.v[0], "steady");
	assert_string_equal(order.v[1], "lucky");
	strvec_clear(&order);
	session_row_release(&r);
}

static void store__worktrees_add_list_remove(void **state)
{
	struct fixture *fx = *state;
	struct strvec wt = STRVEC_INIT;
	struct session_row a, b;

	create(&a, fx->s);
	create(&b, fx->s);
	ok(store_worktree_add(fx->s, a.id, "/tmp/pf-wt-1"));
	ok(store_worktree_add(fx->s, a.id, "/tmp/pf-wt-2"));
	ok(store_worktree_add(fx->s, a.id, "/tmp/pf-wt-1"));  /* again: fine */
	ok(store_worktree_add(fx->s, b.id, "/tmp/pf-wt-3"));
	assert_int_equal(store_worktree_add(fx->s, "nope", "/tmp/x"), ERR_NOTFOUND);

	ok(store_worktree_list(&wt, fx->s, a.id));
	assert_int_equal(wt.nr, 2);
	assert_string_equal(wt.v[0], "/tmp/pf-wt-1");
	assert_string_equal(wt.v[1], "/tmp/pf-wt-2");
	strvec_clear(&wt);
	ok(store_worktree_list(&wt, fx->s, NULL));
	assert_int_equal(wt.nr, 3);
	strvec_clear(&wt);

	/* a session is not deleted while its worktrees are recorded */
	assert_int_equal(store_session_delete(fx->s, a.id), ERR_CONFLICT);
	assert_non_null(strstr(error_last(), "2 worktrees"));
	assert_int_equal(state_of(fx->s, a.id), SESSION_INITIALIZING);

	ok(store_worktree_remove(fx->s, a.id, "/tmp/pf-wt-1"));
	ok(store_worktree_remove(fx->s, a.id, "/tmp/pf-wt-1"));  /* again: fine */
	ok(store_worktree_list(&wt, fx->s, a.id));
	assert_int_equal(wt.nr, 1);
	assert_string_equal(wt.v[0], "/tmp/pf-wt-2");
	strvec_clear(&wt);
	ok(store_worktree_remove(fx->s, a.id, "/tmp/pf-wt-2"));
	ok(store_session_delete(fx->s, a.id));
	assert_int_equal(store_session_delete(fx->s, a.id), ERR_NOTFOUND);
	ok(store_worktree_list(&wt, fx->s, NULL));
	assert_int_equal(wt.nr, 1);
	assert_string_equal(wt.v[0], "/tmp/pf-wt-3");
	strvec_clear(&wt);
	session_row_release(&a);
	session_row_release(&b);
}

static void store__delete_takes_failures_attempts_and_history(void **state)
{
	struct fixture *fx = *state;
	struct failure_row *frows;
	struct attempt_row a, *arows;
	struct transition_row *tr;
	struct session_row r, other, got;
	size_t nr;

	create(&r, fx->s);
	create(&other, fx->s);
	add_failures(fx->s, r.id, 2);
	add_failures(fx->s, other.id, 1);
	fill_attempt(&a, r.id, 1, 1, "t", "failed");
	ok(store_attempt_add(fx->s, &a));
	ok(store_session_set_state(fx->s, r.id, SESSION_RUNNING, NULL));
	ok(store_session_delete(fx->s, r.id));

	assert_int_equal(store_session_get(&got, fx->s, r.id), ERR_NOTFOUND);
	ok(store_failure_list(&frows, &nr, fx->s, r.id));
	assert_int_equal(nr, 0);
	failure_rows_free(frows, nr);
	ok(store_attempt_list(&arows, &nr, fx->s, r.id));
	assert_int_equal(nr, 0);
	attempt_rows_free(arows, nr);
	ok(store_transition_list(&tr, &nr, fx->s, r.id));
	assert_int_equal(nr, 0);
	transition_rows_free(tr, nr);
	/* the other session is untouched */
	ok(store_failure_list(&frows, &nr, fx->s, other.id));
	assert_int_equal(nr, 1);
	failure_rows_free(frows, nr);
	session_row_release(&r);
	session_row_release(&other);
}

static void store__nested_transactions(void **state)
{
	struct fixture *fx = *state;
	struct session_row r, *rows;
	size_t nr;

	create(&r, fx->s);
	ok(store_begin(fx->s));
	ok(store_session_set_progress(fx->s, r.id, 5, 0, 1));
	ok(store_begin(fx->s));
	ok(store_session_set_progress(fx->s, r.id, 5, 1, 2));
	ok(store_session_set_state(fx->s, r.id, SESSION_RUNNING, NULL));
	ok(store_rollback(fx->s));  /* the inner one only */
	ok(store_commit(fx->s));
	ok(store_session_list(&rows, &nr, fx->s));
	assert_int_equal(nr, 1);
	assert_int_equal(rows[0].fixed, 0);
	assert_int_equal(rows[0].current, 1);
	assert_int_equal(rows[0].state, SESSION_INITIALIZING);
	session_rows_free(rows, nr);

	/* a refused move inside a caller's transaction leaves the rest of it alone */
	ok(store_begin(fx->s));
	ok(store_session_set_progress(fx->s, r.id, 5, 2, 3));
	assert_int_equal(store_session_set_state(fx->s, r.id, SESSION_COMPLETED, NULL),
			 ERR_CONFLICT);
	ok(store_commit(fx->s));
	ok(store_session_list(&rows, &nr, fx->s));
	assert_int_equal(rows[0].fixed, 2);
	session_rows_free(rows, nr);

	ok(store_begin(fx->s));
	ok(store_session_set_progress(fx->s, r.id, 9, 9, 9));
	ok(store_rollback(fx->s));
	ok(store_session_list(&rows, &nr, fx->s));
	assert_int_equal(rows[0].total, 5);
	session_rows_free(rows, nr);

	assert_int_equal(store_commit(fx->s), ERR_GENERIC);
	assert_int_equal(store_rollback(fx->s), ERR_GENERIC);
	session_row_release(&r);
}

static void store__reopen_sees_the_same_data(void **state)
{
	struct fixture *fx = *state;
	struct store *second = NULL;
	struct failure_row *rows;
	struct session_row r, got;
	size_t nr;

	create(&r, fx->s);
	add_failures(fx->s, r.id, 1);
	ok(store_session_set_state(fx->s, r.id, SESSION_RUNNING, NULL));

	/* a second handle while the first is open */
	ok(store_open(&second, fx->path.ptr));
	ok(store_session_get(&got, second, r.id));
	assert_int_equal(got.state, SESSION_RUNNING);
	session_row_release(&got);
	ok(store_session_set_state(second, r.id, SESSION_PAUSED, NULL));
	assert_int_equal(state_of(fx->s, r.id), SESSION_PAUSED);
	store_free(second);

	/* and after both were closed */
	store_free(fx->s);
	fx->s = NULL;
	ok(store_open(&fx->s, fx->path.ptr));
	assert_int_equal(state_of(fx->s, r.id), SESSION_PAUSED);
	ok(store_failure_list(&rows, &nr, fx->s, r.id));
	assert_int_equal(nr, 1);
	failure_rows_free(rows, nr);
	session_row_release(&r);
}

/* run SQL on a database file with SQLite itself */
static void raw_sql(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("sqlite: %s", sqlite3_errmsg(db));
	sqlite3_close(db);
}

/* the first column of the first row `sql` gives, as text, read with SQLite itself */
static void raw_text(struct buf *out, const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;

	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		fail_msg("sqlite: %s", sqlite3_errmsg(db));
	buf_reset(out);
	if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
		buf_adds(out, (const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	sqlite3_close(db);
}

/* after UPDATE attempts SET `set` (checks off), the session's attempt is ERR_PARSE `why` */
static void attempt_unreadable(struct fixture *fx, const char *session, const char *set,
			       const char *why)
{
	struct attempt_row *rows = NULL;
	struct buf b = BUF_INIT;
	size_t nr = 7;

	buf_addf(&b, "PRAGMA ignore_check_constraints = ON; UPDATE attempts SET %s", set);
	raw_sql(fx->path.ptr, b.ptr);
	assert_int_equal(store_attempt_list(&rows, &nr, fx->s, session), ERR_PARSE);
	assert_null(rows);
	assert_int_equal(nr, 0);
	buf_reset(&b);
	buf_addf(&b, "database '%s': attempt 1 of failure 0 of session '%s': %s", fx->path.ptr,
		 session, why);
	assert_string_equal(error_last(), b.ptr);
	buf_release(&b);
}

/* statuses are stored as the text they always were; text this build does not know is named */
static void store__statuses_are_stored_as_text(void **state)
{
	struct fixture *fx = *state;
	struct failure_row *frows = NULL;
	struct attempt_row a, *arows = NULL;
	struct session_row r;
	struct buf sql = BUF_INIT, got = BUF_INIT, want = BUF_INIT;
	size_t nr = 7;

	create(&r, fx->s);
	add_failures(fx->s, r.id, 2);
	ok(store_failure_set_status(fx->s, r.id, 1, FAILURE_PENDING, NULL, NULL));
	ok(store_failure_set_status(fx->s, r.id, 0, FAILURE_FIXED, "fix-b", "c0ffee"));
	fill_attempt(&a, r.id, 0, 1, NULL, "error");
	ok(store_attempt_add(fx->s, &a));
	raw_text(&got, fx->path.ptr, "SELECT group_concat(status, ',') FROM"
		 " (SELECT status FROM failures ORDER BY idx)");
	assert_string_equal(got.ptr, "fixed,pending");
	raw_text(&got, fx->path.ptr, "SELECT status FROM attempts");
	assert_string_equal(got.ptr, "error");
	assert_string_equal(failure_status_name(FAILURE_SKIPPED), "skipped");
	assert_string_equal(attempt_status_name(ATTEMPT_PASSED), "passed");

	/* a newer pytest-fixer's status (the CHECK constraints switched off to write one) */
	buf_addf(&sql, "PRAGMA ignore_check_constraints = ON;"
		 " UPDATE failures SET status = 'done' WHERE idx = 1;"
		 " UPDATE attempts SET status = 'won'");
	raw_sql(fx->path.ptr, sql.ptr);
	assert_int_equal(store_failure_list(&frows, &nr, fx->s, r.id), ERR_PARSE);
	assert_null(frows);
	assert_int_equal(nr, 0);
	buf_addf(&want, "database '%s': failure 1 of session '%s': unknown failure status 'done'",
		 fx->path.ptr, r.id);
	assert_string_equal(error_last(), want.ptr);
	nr = 7;
	assert_int_equal(store_attempt_list(&arows, &nr, fx->s, r.id), ERR_PARSE);
	assert_null(arows);
	assert_int_equal(nr, 0);
	buf_reset(&want);
	buf_addf(&want, "database '%s': attempt 1 of failure 0 of session '%s': "
		 "unknown attempt status 'won'", fx->path.ptr, r.id);
	assert_string_equal(error_last(), want.ptr);

	/* the same for a gate, a method and flaky tests this build does not know */
	attempt_unreadable(fx, r.id, "status = 'error', gate = 'vibes'", "unknown gate 'vibes'");
	attempt_unreadable(fx, r.id, "gate = 'target', method = 'sed'",
			   "unknown edit method 'sed'");
	attempt_unreadable(fx, r.id, "method = 'update', flaky = 'tests/t.py::test_clock'",
			   "flaky tests that are not a JSON array of {\"id\", \"why\"}: "
			   "'tests/t.py::test_clock'");
	raw_sql(fx->path.ptr, "UPDATE attempts SET flaky = NULL");
	ok(store_attempt_list(&arows, &nr, fx->s, r.id));
	assert_int_equal(nr, 1);
	assert_int_equal(arows[0].gate, ATTEMPT_GATE_TARGET);
	assert_int_equal(arows[0].method, ATTEMPT_METHOD_UPDATE);
	attempt_rows_free(arows, nr);
	buf_release(&want);
	buf_release(&got);
	buf_release(&sql);
	session_row_release(&r);
}

static void store__newer_schema_is_refused(void **state)
{
	struct fixture *fx = *state;
	struct store *s = NULL;
	struct buf want = BUF_INIT;

	store_free(fx->s);
	fx->s = NULL;
	buf_addf(&want, "PRAGMA user_version = %d", STORE_SCHEMA_VERSION + 1);
	raw_sql(fx->path.ptr, want.ptr);
	assert_int_equal(store_open(&s, fx->path.ptr), ERR_CONFLICT);
	assert_null(s);
	buf_reset(&want);
	buf_addf(&want, "database '%s' is from a newer pytest-fixer", fx->path.ptr);
	assert_true(!strncmp(error_last(), want.ptr, want.len));
	buf_reset(&want);
	buf_addf(&want, "schema version %d", STORE_SCHEMA_VERSION + 1);
	assert_non_null(strstr(error_last(), want.ptr));
	buf_release(&want);
}

static void store__foreign_database_is_refused(void **state)
{
	struct fixture *fx = *state;
	struct store *s = NULL;
	struct buf path = BUF_INIT;

	buf_addf(&path, "%s/other.db", fx->dir.ptr);
	raw_sql(path.ptr, "CREATE TABLE sessions (x)");
	assert_int_equal(store_open(&s, path.ptr), ERR_CONFLICT);
	assert_null(s);
	assert_non_null(strstr(error_last(), "is not a pytest-fixer database"));
	assert_non_null(strstr(error_last(), path.ptr));
	buf_release(&path);
}

static void store__corrupt_file_is_named(void **state)
{
	struct fixture *fx = *state;
	static const char junk[] = "this is a text file, not a database\n";
	struct store *s = NULL;
	struct buf path = BUF_INIT, want = BUF_INIT;

	buf_addf(&path, "%s/junk.db", fx->dir.ptr);
	ok(fs_write_atomic(path.ptr, junk, sizeof(junk) - 1, 0644));
	assert_int_equal(store_open(&s, path.ptr), ERR_GENERIC);
	assert_null(s);
	buf_addf(&want, "cannot open database '%s': file is not a database", path.ptr);
	assert_string_equal(error_last(), want.ptr);
	buf_release(&want);
	buf_release(&path);
}

static void store__busy_writer_times_out(void **state)
{
	struct fixture *fx = *state;
	struct store *second = NULL;
	struct session_row r, got;

	create(&r, fx->s);
	ok(store_open(&second, fx->path.ptr));
	store_set_busy_timeout(second, 100);
	ok(store_begin(fx->s));
	ok(store_session_set_progress(fx->s, r.id, 1, 0, 0));

	assert_int_equal(store_session_set_progress(second, r.id, 2, 0, 0), ERR_TIMEOUT);
	assert_non_null(strstr(error_last(), "locked by another writer"));
	assert_non_null(strstr(error_last(), fx->path.ptr));
	assert_int_equal(store_session_set_state(second, r.id, SESSION_RUNNING, NULL),
			 ERR_TIMEOUT);
	/* readers are not blocked by a writer (WAL) and see the last commit */
	ok(store_session_get(&got, second, r.id));
	assert_int_equal(got.total, 0);
	session_row_release(&got);

	ok(store_commit(fx->s));
	ok(store_session_set_state(second, r.id, SESSION_RUNNING, NULL));
	ok(store_session_get(&got, second, r.id));
	assert_int_equal(got.total, 1);
	assert_int_equal(got.state, SESSION_RUNNING);
	session_row_release(&got);
	store_free(second);
	session_row_release(&r);
}

#define WRITES_PER_PROCESS 40

/*
 * In a child: a handle of its own and many small transactions, at the same
 * time as the parent's; then, when the parent says so, one transaction
 * that holds the write lock for a while.
 */
static int child_writes(const char *path, const char *session, int go_fd, int held_fd)
{
	struct attempt_row a;
	struct store *s = NULL;
	char c;
	int i;

	if (store_open(&s, path) < 0)
		return 1;
	for (i = 0; i < WRITES_PER_PROCESS; i++) {
		fill_attempt(&a, session, 0, 1000 + i, "child", i % 2 ? "passed" : "failed");
		if (store_attempt_add(s, &a) < 0)
			return 2;
	}
	if (read(go_fd, &c, 1) != 1)
		return 3;
	if (store_begin(s) < 0 || store_session_set_progress(s, session, 99, 1, 1) < 0)
		return 4;
	if (write(held_fd, "x", 1) != 1)
		return 5;
	usleep(300 * 1000);
	if (store_commit(s) < 0)
		return 6;
	store_free(s);
	return 0;
}

static void store__concurrent_writers_wait_for_each_other(void **state)
{
	struct fixture *fx = *state;
	struct attempt_row a, *rows;
	struct session_row r, got;
	struct timespec t0 = { 0, 0 }, t1 = { 0, 0 };
	struct buf failed = BUF_INIT;
	int go[2], held[2], status, i;
	char c;
	pid_t pid;
	size_t nr;

	create(&r, fx->s);
	add_failures(fx->s, r.id, 1);
	/* no SQLite connection may cross a fork: close ours, reopen after */
	store_free(fx->s);
	fx->s = NULL;
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(held), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		close(go[1]);
		close(held[0]);
		_exit(child_writes(fx->path.ptr, r.id, go[0], held[1]));
	}
	close(go[0]);
	close(held[1]);

	/* no assertions until the child is reaped: a failure must not leave it waiting */
	if (store_open(&fx->s, fx->path.ptr) < 0)
		buf_addf(&failed, "open: %s", error_last());
	for (i = 0; !failed.len && i < WRITES_PER_PROCESS; i++) {
		fill_attempt(&a, r.id, 0, 1 + i, "parent", "failed");
		if (store_attempt_add(fx->s, &a) < 0)
			buf_addf(&failed, "attempt %d: %s", i, error_last());
	}
	/* the child takes the lock and holds it; this write waits for its commit */
	if (!failed.len && (write(go[1], "g", 1) != 1 || read(held[0], &c, 1) != 1))
		buf_addf(&failed, "the child stopped early");
	if (!failed.len) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (store_session_set_state(fx->s, r.id, SESSION_RUNNING, NULL) < 0)
			buf_addf(&failed, "set_state: %s", error_last());
		clock_gettime(CLOCK_MONOTONIC, &t1);
	}
	close(go[1]);
	close(held[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (failed.len)
		fail_msg("%s", failed.ptr);
	buf_release(&failed);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_true((double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9 > 0.1);

	ok(store_attempt_list(&rows, &nr, fx->s, r.id));
	assert_int_equal(nr, 2 * WRITES_PER_PROCESS);
	attempt_rows_free(rows, nr);
	ok(store_session_get(&got, fx->s, r.id));
	assert_int_equal(got.total, 99);
	assert_int_equal(got.state, SESSION_RUNNING);
	session_row_release(&got);
	session_row_release(&r);
}

/* exchanges with the LLM */

static void fill_exchange(struct exchange_row *e, const char *session, size_t failure,
			  int attempt, const char *reply)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->session, sizeof(e->session), "%s", session);
	e->failure_index = failure;
	e->attempt_number = attempt;
	e->provider = "openai";
	e->model = "gpt-4o-mini";
	e->system = "You repair Python code.";
	e->prompt = "test_div fails: ZeroDivisionError";
	e->reply = (char *)reply;
	e->outcome = "applied";
	e->prompt_tokens = 100 * attempt;
	e->completion_tokens = 10 * attempt;
	e->latency = 1.25;
	e->temperature = 0.4 + 0.1 * (attempt - 1);
	e->at = 2000.0 + attempt;
}

static void store__exchanges_round_trip(void **state)
{
	struct fixture *fx = *state;
	/* non-ASCII, newlines, quotes and an embedded fence survive unchanged */
	static const char reply[] = "mode: update\n```python\nreturn \"naïve — 除数\" 🐍\n```\n";
	struct exchange_row e, *rows;
	struct session_row r, other;
	size_t nr;

	create(&r, fx->s);
	create(&other, fx->s);
	/* recorded out of order: listed by failure, attempt, then recording order */
	fill_exchange(&e, r.id, 1, 1, "second failure");
	ok(store_exchange_add(fx->s, &e));
	fill_exchange(&e, r.id, 0, 2, reply);
	e.outcome = "parse error: no mode named";
	ok(store_exchange_add(fx->s, &e));
	fill_exchange(&e, r.id, 0, 1, NULL);
	e.outcome = "http error: 503 Service Unavailable";
	e.prompt_tokens = e.completion_tokens = -1;
	e.model = NULL;
	e.system = NULL;
	ok(store_exchange_add(fx->s, &e));
	fill_exchange(&e, r.id, 0, 2, "a retry of attempt 2");
	ok(store_exchange_add(fx->s, &e));
	fill_exchange(&e, other.id, 0, 1, "other session");
	ok(store_exchange_add(fx->s, &e));

	ok(store_exchange_list(&rows, &nr, fx->s, r.id));
	assert_int_equal(nr, 4);
	assert_int_equal(rows[0].failure_index, 0);
	assert_int_equal(rows[0].attempt_number, 1);
	assert_null(rows[0].reply);
	assert_null(rows[0].model);
	assert_null(rows[0].system);
	assert_int_equal(rows[0].prompt_tokens, -1);
	assert_int_equal(rows[0].completion_tokens, -1);
	assert_string_equal(rows[0].outcome, "http error: 503 Service Unavailable");
	assert_int_equal(rows[1].attempt_number, 2);
	assert_string_equal(rows[1].session, r.id);
	assert_string_equal(rows[1].provider, "openai");
	assert_string_equal(rows[1].model, "gpt-4o-mini");
	assert_string_equal(rows[1].system, "You repair Python code.");
	assert_string_equal(rows[1].prompt, "test_div fails: ZeroDivisionError");
	assert_string_equal(rows[1].reply, reply);
	assert_string_equal(rows[1].outcome, "parse error: no mode named");
	assert_int_equal(rows[1].prompt_tokens, 200);
	assert_int_equal(rows[1].completion_tokens, 20);
	assert_true(rows[1].latency == 1.25);
	assert_true(rows[1].temperature > 0.49 && rows[1].temperature < 0.51);
	assert_true(rows[1].at == 2002.0);
	assert_string_equal(rows[2].reply, "a retry of attempt 2");
	assert_int_equal(rows[3].failure_index, 1);
	assert_string_equal(rows[3].reply, "second failure");
	exchange_rows_free(rows, nr);

	/* none for an unknown session; adding to one is NOTFOUND; a provider is needed */
	ok(store_exchange_list(&rows, &nr, fx->s, "no-such-session"));
	assert_int_equal(nr, 0);
	exchange_rows_free(rows, nr);
	fill_exchange(&e, "no-such-session", 0, 1, "x");
	assert_int_equal(store_exchange_add(fx->s, &e), ERR_NOTFOUND);
	fill_exchange(&e, r.id, 0, 1, "x");
	e.provider = "";
	assert_int_equal(store_exchange_add(fx->s, &e), ERR_USAGE);
	session_row_release(&r);
	session_row_release(&other);
}

static void store__session_tokens_sum_the_exchanges(void **state)
{
	struct fixture *fx = *state;
	struct exchange_row e;
	struct session_row r, other;
	long in = -5, out = -5;

	create(&r, fx->s);
	create(&other, fx->s);
	ok(store_session_tokens(&in, &out, fx->s, r.id));
	assert_int_equal(in, 0);
	assert_int_equal(out, 0);

	fill_exchange(&e, r.id, 0, 1, "a");    /* 100 in, 10 out */
	ok(store_exchange_add(fx->s, &e));
	fill_exchange(&e, r.id, 0, 3, "b");    /* 300 in, 30 out */
	ok(store_exchange_add(fx->s, &e));
	fill_exchange(&e, r.id, 1, 2, NULL);   /* not reported: counts 0 */
	e.prompt_tokens = e.completion_tokens = -1;
	ok(store_exchange_add(fx->s, &e));
	fill_exchange(&e, other.id, 0, 9, "c"); /* another session's */
	ok(store_exchange_add(fx->s, &e));

	ok(store_session_tokens(&in, &out, fx->s, r.id));
	assert_int_equal(in, 400);
	assert_int_equal(out, 40);
	ok(store_session_tokens(&in, &out, fx->s, other.id));
	assert_int_equal(in, 900);
	assert_int_equal(out, 90);
	session_row_release(&r);
	session_row_release(&other);
}

static void store__exchanges_go_with_their_session(void **state)
{
	struct fixture *fx = *state;
	struct exchange_row e, *rows;
	struct session_row r, other;
	size_t nr;
	long in, out;

	create(&r, fx->s);
	create(&other, fx->s);
	fill_exchange(&e, r.id, 0, 1, "a");
	ok(store_exchange_add(fx->s, &e));
	fill_exchange(&e, r.id, 0, 2, "b");
	ok(store_exchange_add(fx->s, &e));
	fill_exchange(&e, other.id, 0, 1, "kept");
	ok(store_exchange_add(fx->s, &e));

	ok(store_session_delete(fx->s, r.id));
	ok(store_exchange_list(&rows, &nr, fx->s, r.id));
	assert_int_equal(nr, 0);
	exchange_rows_free(rows, nr);
	ok(store_session_tokens(&in, &out, fx->s, r.id));
	assert_int_equal(in, 0);
	ok(store_exchange_list(&rows, &nr, fx->s, other.id));
	assert_int_equal(nr, 1);
	assert_string_equal(rows[0].reply, "kept");
	exchange_rows_free(rows, nr);
	session_row_release(&r);
	session_row_release(&other);
}

static void store__exchanges_refuse_what_looks_like_a_key(void **state)
{
	struct fixture *fx = *state;
	static const struct { const char *field, *text; } secrets[] = {
		{ "prompt", "OPENAI_API_KEY=sk-proj-abcdefghijklmnop1234" },
		{ "prompt", "key: sk-0123456789abcdef" },
		{ "reply", "use sk-ant-api03-xyz in the header" },
		{ "system", "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc" },
		{ "outcome", "http error: 401 for sk-live_ABCDEFGHIJKLMNOP" },
	};
	/* look alike, but are not keys */
	static const char *const innocent[] = {
		"task-scheduler-integration-tests-run",   /* "sk-" inside a word */
		"sk-short",                               /* too short to be a key */
		"headers = {'Authorization': f\"Bearer {token}\"}",
		"the Bearer token is read from the environment",
		"risk-assessment_module_name_is_long",
	};
	struct exchange_row e, *rows;
	struct session_row r;
	size_t i, nr;

	create(&r, fx->s);
	for (i = 0; i < ARRAY_SIZE(secrets); i++) {
		fill_exchange(&e, r.id, 0, (int)i + 1, "ok");
		if (!strcmp(secrets[i].field, "prompt"))
			e.prompt = (char *)secrets[i].text;
		else if (!strcmp(secrets[i].field, "reply"))
			e.reply = (char *)secrets[i].text;
		else if (!strcmp(secrets[i].field, "system"))
			e.system = (char *)secrets[i].text;
		else
			e.outcome = (char *)secrets[i].text;
		assert_int_equal(store_exchange_add(fx->s, &e), ERR_USAGE);
		/* the message names the field and never repeats the key */
		assert_non_null(strstr(error_last(), "looks like an API key"));
		assert_non_null(strstr(error_last(), secrets[i].field));
		assert_null(strstr(error_last(), "sk-"));
		assert_null(strstr(error_last(), "eyJ"));
	}
	ok(store_exchange_list(&rows, &nr, fx->s, r.id));
	assert_int_equal(nr, 0);
	exchange_rows_free(rows, nr);

	for (i = 0; i < ARRAY_SIZE(innocent); i++) {
		fill_exchange(&e, r.id, 1, (int)i + 1, innocent[i]);
		ok(store_exchange_add(fx->s, &e));
	}
	ok(store_exchange_list(&rows, &nr, fx->s, r.id));
	assert_int_equal(nr, ARRAY_SIZE(innocent));
	exchange_rows_free(rows, nr);
	session_row_release(&r);
}

/* a database the first release made (tests/fixtures/store/v1.sql) is migrated, nothing lost */
static void store__migrates_version_1(void **state)
{
	struct fixture *fx = *state;
	struct buf sql = BUF_INIT, old = BUF_INIT;
	struct store *s = NULL;
	struct session_row got;
	struct failure_row *frows;
	struct attempt_row *arows;
	struct transition_row *tr;
	struct exchange_row e, *erows;
	struct kb_stat *st;
	struct strvec order = STRVEC_INIT;
	sqlite3 *db = NULL;
	int version = 0;
	size_t nr;
	long in, out;
	const char *id = "20240101-120000-abcd";

	ok(fs_read_file(&sql, FIXTURES_DIR "/store/v1.sql", 0));
	buf_addf(&old, "%s/v1.db", fx->dir.ptr);
	raw_sql(old.ptr, sql.ptr);

	ok(store_open(&s, old.ptr));
	ok(store_session_get(&got, s, id));
	assert_int_equal(got.state, SESSION_COMPLETED);
	assert_string_equal(got.root, "/home/u/proj");
	assert_string_equal(got.options_json, "{\"max_retries\": 3}");
	assert_int_equal(got.fixed, 1);
	session_row_release(&got);
	ok(store_transition_list(&tr, &nr, s, id));
	assert_int_equal(nr, 1);
	transition_rows_free(tr, nr);
	ok(store_failure_list(&frows, &nr, s, id));
	assert_int_equal(nr, 1);
	assert_string_equal(frows[0].failure.error_type, "ZeroDivisionError");
	assert_string_equal(frows[0].commit, "cafef00d");
	failure_rows_free(frows, nr);
	ok(store_attempt_list(&arows, &nr, s, id));
	assert_int_equal(nr, 1);
	assert_string_equal(arows[0].template_name, "guard-zero");
	attempt_rows_free(arows, nr);
	ok(store_kb_stats(&st, &nr, s));
	assert_int_equal(nr, 1);
	assert_int_equal(st[0].attempts, 4);
	assert_int_equal(st[0].successes, 3);
	kb_stats_free(st, nr);
	ok(store_template_order(&order, s, "builtin", "ZeroDivisionError"));
	assert_int_equal(order.nr, 1);
	strvec_clear(&order);

	/* the new table works on the old data, cascade included */
	ok(store_session_tokens(&in, &out, s, id));
	assert_int_equal(in, 0);
	fill_exchange(&e, id, 0, 1, "réponse");
	ok(store_exchange_add(s, &e));
	ok(store_exchange_list(&erows, &nr, s, id));
	assert_int_equal(nr, 1);
	assert_string_equal(erows[0].reply, "réponse");
	exchange_rows_free(erows, nr);
	store_free(s);

	/* the file says so: the current version, still ours */
	if (sqlite3_open(old.ptr, &db) != SQLITE_OK)
		fail_msg("sqlite: %s", sqlite3_errmsg(db));
	{
		sqlite3_stmt *q = NULL;
		assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(q), SQLITE_ROW);
		version = sqlite3_column_int(q, 0);
		sqlite3_finalize(q);
	}
	sqlite3_close(db);
	assert_int_equal(version, STORE_SCHEMA_VERSION);

	/* opening it again keeps the exchange; deleting the old session takes it along */
	ok(store_open(&s, old.ptr));
	ok(store_exchange_list(&erows, &nr, s, id));
	assert_int_equal(nr, 1);
	exchange_rows_free(erows, nr);
	ok(store_session_delete(s, id));
	ok(store_exchange_list(&erows, &nr, s, id));
	assert_int_equal(nr, 0);
	exchange_rows_free(erows, nr);
	store_free(s);
	buf_release(&sql);
	buf_release(&old);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(store__open_creates_dirs_and_schema),
		T(store__create_and_get),
		T(store__get_accepts_a_unique_prefix),
		T(store__get_refuses_an_ambiguous_prefix),
		T(store__get_unknown_is_notfound),
		T(store__list_is_newest_first),
		T(store__create_refuses_secrets_and_bad_options),
		T(store__valid_transitions_are_recorded),
		T(store__invalid_transitions_change_nothing),
		T(store__progress_and_branch),
		T(store__failures_round_trip),
		T(store__attempts_round_trip),
		T(store__knowledge_orders_templates_by_success),
		T(store__one_lucky_success_does_not_lead),
		T(store__worktrees_add_list_remove),
		T(store__delete_takes_failures_attempts_and_history),
		T(store__nested_transactions),
		T(store__reopen_sees_the_same_data),
		T(store__statuses_are_stored_as_text),
		T(store__newer_schema_is_refused),
		T(store__foreign_database_is_refused),
		T(store__corrupt_file_is_named),
		T(store__busy_writer_times_out),
		T(store__concurrent_writers_wait_for_each_other),
		T(store__exchanges_round_trip),
		T(store__session_tokens_sum_the_exchanges),
		T(store__exchanges_go_with_their_session),
		T(store__exchanges_refuse_what_looks_like_a_key),
		T(store__migrates_version_1),
	};
	/* a child that died early must fail a test, not kill the runner */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
