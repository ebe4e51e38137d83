#include "report/report.h"

#include "store/session_state.h"
#include "runner/result_json.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/secret.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* what a report is made from: the session, its failures, and its attempts or its exchanges */
struct loaded {
	struct session_row row;
	struct failure_row *failures;
	size_t nr_failures;
	struct attempt_row *attempts;
	size_t nr_attempts;
	struct exchange_row *exchanges;
	size_t nr_exchanges;
};

enum load_what { LOAD_ATTEMPTS, LOAD_EXCHANGES };

static void unload(struct loaded *l)
{
	session_row_release(&l->row);
	failure_rows_free(l->failures, l->nr_failures);
	attempt_rows_free(l->attempts, l->nr_attempts);
	exchange_rows_free(l->exchanges, l->nr_exchanges);
}

/* on failure, nothing stays loaded */
static int load(struct loaded *l, struct store *st, const char *id, enum load_what what)
{
	int err;

	memset(l, 0, sizeof(*l));
	if ((err = store_session_get(&l->row, st, id)) < 0 ||
	    (err = store_failure_list(&l->failures, &l->nr_failures, st, l->row.id)) < 0)
		goto done;
	if (what == LOAD_EXCHANGES)
		err = store_exchange_list(&l->exchanges, &l->nr_exchanges, st, l->row.id);
	else
		err = store_attempt_list(&l->attempts, &l->nr_attempts, st, l->row.id);
done:
	if (err < 0)
		unload(l);
	return err;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* the failure of fr's test function that the attempts were made on, or NULL */
static const char *group_tried(const struct loaded *l, const struct failure_row *fr)
{
	size_t n = failure_id_function_len(fr->failure.id), i, j;

	for (i = 0; i < l->nr_failures; i++) {
		const struct failure_row *o = &l->failures[i];
		if (o == fr || failure_id_function_len(o->failure.id) != n ||
		    strncmp(o->failure.id, fr->failure.id, n))
			continue;
		for (j = 0; j < l->nr_attempts; j++)
			if (l->attempts[j].failure_index == o->index)
				return o->failure.id;
	}
	return NULL;
}

/* the tests an attempt's gates judged flaky: [{"id", "why"}], [] when none */
static json_t *flaky_list(const struct attempt_row *a)
{
	json_t *list = json_array();
	size_t i;

	for (i = 0; i < a->flaky.nr; i++)
		json_array_append_new(list, json_pack("{s:s, s:s}", "id", a->flaky.v[i],
						      "why", a->flaky_why.v[i]));
	return list;
}

/* "pending" is how a paused session's untried failures are stored; users see "unfixed" */
static const char *public_status(enum failure_status status)
{
	return failure_status_name(status == FAILURE_PENDING ? FAILURE_UNFIXED : status);
}

int report_session_json(json_t **out, struct store *st, const char *id)
{
	struct loaded l;
	json_t *errors;
	size_t i, j;
	int err;

	*out = NULL;
	if ((err = load(&l, st, id, LOAD_ATTEMPTS)) < 0)
		return err;
	errors = json_array();
	for (i = 0; i < l.nr_failures; i++) {
		const struct failure_row *fr = &l.failures[i];
		json_t *e, *attempts;
		if (fr->status == FAILURE_SKIPPED)
			continue;
		attempts = json_array();
		for (j = 0; j < l.nr_attempts; j++) {
			const struct attempt_row *a = &l.attempts[j];
			if (a->failure_index != fr->index)
				continue;
			json_array_append_new(attempts, json_pack(
				"{s:i, s:s, s:o, s:o, s:f, s:s, s:o, s:o, s:o, s:o, s:{s:I, s:I, s:I}}",
				"number", a->number, "engine", a->engine, "method",
				str_or_null(attempt_method_name(a->method)),
				"template", str_or_null(a->template_name), "temperature", a->temperature,
				"status", attempt_status_name(a->status), "gate",
				str_or_null(attempt_gate_name(a->gate)),
				"reason", str_or_null(a->reason), "diff", str_or_null(a->diff),
				"flaky", flaky_list(a), "tests_run", "target", (json_int_t)a->ran_target,
				"covering", (json_int_t)a->ran_covering, "full",
				(json_int_t)a->ran_full));
			if (a->behaviour) {
				json_t *b = json_loads(a->behaviour, JSON_ALLOW_NUL, NULL);
				if (json_is_object(b))
					json_object_set_new(json_array_get(attempts, json_array_size(attempts) - 1),
							    "behaviour", b);
				else
					json_decref(b);
			}
		}
		e = json_pack("{s:s, s:s, s:o}", "id", fr->failure.id, "status",
			      public_status(fr->status), "failure", failure_to_json(&fr->failure));
		if (fr->branch)
			json_object_set_new(e, "branch", json_string(fr->branch));
		if (fr->commit)
			json_object_set_new(e, "commit", json_string(fr->commit));
		json_object_set_new(e, "attempts", attempts);
		json_array_append_new(errors, e);
	}
	*out = json_pack("{s:s, s:s, s:s?, s:s?, s:o}", "session", l.row.id, "state",
			 session_state_name(l.row.state), "base_commit", l.row.base_commit,
			 "root", l.row.root, "errors", errors);
	unload(&l);
	return 0;
}

static void add_time(struct buf *b, double t)
{
	char text[64];
	time_t secs = (time_t)t;
	struct tm tm;
	gmtime_r(&secs, &tm);
	strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S UTC", &tm);
	buf_adds(b, text);
}

/* a fenced block whose fence is longer than any run of backticks inside */
static void add_fenced(struct buf *b, const char *lang, const char *text)
{
	size_t run = 0, longest = 0;
	const char *p;
	int i;
	for (p = text; *p; p++) {
		run = *p == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	for (i = 0; i < (int)(longest < 3 ? 3 : longest + 1); i++)
		buf_addch(b, '`');
	buf_addf(b, "%s\n%s%s", lang, text, *text && text[strlen(text) - 1] == '\n' ? "" : "\n");
	for (i = 0; i < (int)(longest < 3 ? 3 : longest + 1); i++)
		buf_addch(b, '`');
	buf_addch(b, '\n');
}

/* table cells: one line, no pipes */
/* "Attempt 2: 'tests/test_a.py::test_b' is flaky (passed on a rerun) ..." */
static void add_flaky(struct buf *out, const struct attempt_row *a)
{
	size_t i;

	for (i = 0; i < a->flaky.nr; i++) {
		if (!i)
			buf_addf(out, "\nAttempt %d: ", a->number);
		buf_addf(out, "%s'%s' is flaky (%s)", i ? "; " : "", a->flaky.v[i],
			 a->flaky_why.v[i]);
	}
	if (a->flaky.nr)
		buf_adds(out, ": not counted as a regression.\n");
}

static void add_cell(struct buf *b, const char *text, size_t max);

/*
 * What the behaviour check (fix/behaviour.h) found for an attempt that
 * passed: "Attempt 3 changes behaviour beyond the failing tests: 2 of 40
 * generated calls ...", each call with what it gave before and after.
 */
static void add_behaviour(struct buf *out, const struct attempt_row *a, int winner)
{
	json_t *b = a->behaviour ? json_loads(a->behaviour, JSON_ALLOW_NUL, NULL) : NULL;
	json_t *cases, *c, *fns, *fn;
	const char *skipped;
	size_t i, checked, changed, excluded;

	if (!json_is_object(b))
		goto done;
	skipped = json_string_value(json_object_get(b, "skipped"));
	if (skipped) {
		buf_addf(out, "\nAttempt %d was not checked beyond the tests: ", a->number);
		add_cell(out, skipped, 300);
		buf_adds(out, ".\n");
		goto done;
	}
	checked = (size_t)json_integer_value(json_object_get(b, "checked"));
	changed = (size_t)json_integer_value(json_object_get(b, "changed"));
	excluded = (size_t)json_integer_value(json_object_get(b, "excluded"));
	fns = json_object_get(b, "functions");
	buf_addf(out, "\nAttempt %d, checked beyond the tests (calls generated on the original code of ",
		 a->number);
	json_array_foreach(fns, i, fn) {
		if (i == 3) {
			buf_addf(out, " and %zu more", json_array_size(fns) - 3);
			break;
		}
		buf_addf(out, "%s`%s`", i ? ", " : "", json_string_value(fn) ? json_string_value(fn) : "?");
	}
	if (!changed)
		buf_addf(out, "): none of the %zu calls ends otherwise off the failing tests' path", checked);
	else
		buf_addf(out, "): **%zu of the %zu calls end otherwise** off the failing tests' path", changed,
			 checked);
	if (excluded)
		buf_addf(out, " (%zu on that path do, as meant)", excluded);
	if (changed)
		buf_adds(out, winner ? "; no other change that passed did better, so it was kept: review it" :
			 "; another change that passed was preferred");
	buf_adds(out, changed ? ":\n\n" : ".\n");
	cases = json_object_get(b, "cases");
	json_array_foreach(cases, i, c) {
		buf_adds(out, "- `");
		add_cell(out, json_string_value(json_object_get(c, "call")), 200);
		buf_addf(out, "`: %s before, %s after\n", json_string_value(json_object_get(c, "before")) ?: "?",
			 json_string_value(json_object_get(c, "after")) ?: "?");
	}
	if (changed > json_array_size(cases))
		buf_addf(out, "- ... and %zu more\n", changed - json_array_size(cases));
	if (json_string_value(json_object_get(b, "note"))) {
		buf_adds(out, "\nNot checked in part: ");
		add_cell(out, json_string_value(json_object_get(b, "note")), 300);
		buf_adds(out, ".\n");
	}
done:
	json_decref(b);
}

int report_behaviour_line(struct buf *out, const char *behaviour)
{
	json_t *b = behaviour ? json_loads(behaviour, JSON_ALLOW_NUL, NULL) : NULL;
	json_int_t changed = json_integer_value(json_object_get(b, "changed"));
	json_int_t checked = json_integer_value(json_object_get(b, "checked"));
	json_t *first = json_array_get(json_object_get(b, "cases"), 0);
	int said = 1;

	if (changed > 0 && first) {
		buf_addf(out, "it changes what %lld call%s generated on the original code do%s, e.g. ",
			 (long long)changed, changed == 1 ? "" : "s", changed == 1 ? "es" : "");
		add_cell(out, json_string_value(json_object_get(first, "call")), 200);
		buf_adds(out, ": ");
		add_cell(out, json_string_value(json_object_get(first, "before")), 100);
		buf_adds(out, " before, ");
		add_cell(out, json_string_value(json_object_get(first, "after")), 100);
		buf_adds(out, " after");
	} else if (checked > 0 && !changed) {
		buf_addf(out, "none of the %lld calls generated on the original code ends otherwise off "
			 "the failing tests' path", (long long)checked);
	} else {
		said = 0;
	}
	json_decref(b);
	return said;
}

static void add_cell(struct buf *b, const char *text, size_t max)
{
	size_t n = 0;
	if (!text || !*text) {
		buf_adds(b, "-");
		return;
	}
	for (; *text && n < max; text++, n++) {
		if (*text == '\n' || *text == '\r')
			buf_addch(b, ' ');
		else if (*text == '|')
			buf_adds(b, "\\|");
		else
			buf_addch(b, *text);
	}
	if (*text)
		buf_adds(b, "...");
}

/* tokens the session's exchanges used, and their cost when prices were given */
static void add_llm_usage(struct buf *out, struct store *st, const struct session_row *row)
{
	long in = 0, outt = 0;
	json_t *opts;
	double price_in = 0, price_out = 0, budget = 0;

	if (store_session_tokens(&in, &outt, st, row->id) < 0 || (!in && !outt))
		return;
	buf_addf(out, "- **LLM tokens:** %ld prompt, %ld reply\n", in, outt);
	opts = row->options_json ? json_loads(row->options_json, 0, NULL) : NULL;
	if (opts) {
		price_in = json_number_value(json_object_get(opts, "price_in"));
		price_out = json_number_value(json_object_get(opts, "price_out"));
		budget = json_number_value(json_object_get(opts, "max_tokens"));
		json_decref(opts);
	}
	if (price_in > 0 || price_out > 0)
		buf_addf(out, "- **Estimated cost:** $%.4f (at $%g / $%g per million tokens)\n",
			 (in * price_in + outt * price_out) / 1e6, price_in, price_out);
	if (budget > 0)
		buf_addf(out, "- **Token budget:** %.0f%s\n", budget,
			 in + outt >= budget ? " (spent: the session stopped asking the model)" : "");
}

int report_session_markdown(struct buf *out, struct store *st, const char *id)
{
	struct loaded l;
	size_t i, j, fixed = 0, unfixed = 0;
	int err;

	if ((err = load(&l, st, id, LOAD_ATTEMPTS)) < 0)
		return err;
	for (i = 0; i < l.nr_failures; i++) {
		if (l.failures[i].status == FAILURE_FIXED)
			fixed++;
		else if (l.failures[i].status != FAILURE_SKIPPED)
			unfixed++;
	}
	buf_addf(out, "# pytest-fixer session %s\n\n", l.row.id);
	buf_addf(out, "- **State:** %s\n", session_state_name(l.row.state));
	buf_addf(out, "- **Project:** `%s`\n", l.row.root ? l.row.root : "?");
	if (l.row.base_commit && *l.row.base_commit)
		buf_addf(out, "- **Base commit:** `%s`\n", l.row.base_commit);
	buf_adds(out, "- **Started:** ");
	add_time(out, l.row.created);
	buf_addf(out, "\n- **Duration:** %.1f s\n", l.row.updated - l.row.created);
	buf_addf(out, "- **Failures:** %zu fixed, %zu not fixed\n", fixed, unfixed);
	if (l.row.error)
		buf_addf(out, "- **Error:** %s\n", l.row.error);
	buf_addf(out, "- **Attempts:** %zu\n", l.nr_attempts);
	add_llm_usage(out, st, &l.row);
	buf_addch(out, '\n');

	for (i = 0; i < l.nr_failures; i++) {
		const struct failure_row *fr = &l.failures[i];
		const struct failure *f = &fr->failure;
		const struct attempt_row *winner = NULL;
		size_t n = 0;

		if (fr->status == FAILURE_SKIPPED)
			continue;
		buf_addf(out, "## `%s`: %s\n\n", f->id, public_status(fr->status));
		buf_addf(out, "- **Kind:** %s\n", failure_kind_name(f->kind));
		if (f->error_type || f->message) {
			buf_adds(out, "- **Error:** ");
			add_cell(out, f->error_type, 200);
			buf_adds(out, ": ");
			add_cell(out, f->message, 300);
			buf_addch(out, '\n');
		}
		if (f->loc_file)
			buf_addf(out, "- **Location:** `%s:%d`\n", f->loc_file, f->loc_line);
		if (fr->branch)
			buf_addf(out, "- **Branch:** `%s`\n", fr->branch);
		if (fr->commit)
			buf_addf(out, "- **Commit:** `%s`\n", fr->commit);
		for (j = 0; j < l.nr_attempts; j++)
			if (l.attempts[j].failure_index == fr->index)
				n++;
		if (!n) {
			const char *with = group_tried(&l, fr);
			if (with)
				buf_addf(out, "\nTried in one group with `%s` (the parameter sets of one "
					 "test function): the attempts are listed there.\n\n", with);
			else
				buf_addf(out, "\nNo attempt was made on it directly%s",
					 fr->commit ? " (the fix of another failure fixed it too).\n\n" :
					 ".\n\n");
			continue;
		}
		buf_addf(out, "\n| # | engine | method | template | result | gate | tests run "
			      "(target / covering / full) | reason |\n"
			      "|---|---|---|---|---|---|---|---|\n");
		for (j = 0; j < l.nr_attempts; j++) {
			const struct attempt_row *a = &l.attempts[j];
			const char *method = attempt_method_name(a->method);
			const char *gate = attempt_gate_name(a->gate);
			if (a->failure_index != fr->index)
				continue;
			/* several may pass in one batch; the one committed is recorded last */
			if (a->status == ATTEMPT_PASSED)
				winner = a;
			buf_addf(out, "| %d | %s | %s | ", a->number, a->engine,
				 method ? method : "-");
			add_cell(out, a->template_name, 40);
			buf_addf(out, " | %s | %s | %zu / %zu / %zu | ", attempt_status_name(a->status),
				 gate ? gate : "-", a->ran_target, a->ran_covering, a->ran_full);
			add_cell(out, a->reason, 160);
			buf_adds(out, " |\n");
		}
		for (j = 0; j < l.nr_attempts; j++)
			if (l.attempts[j].failure_index == fr->index)
				add_flaky(out, &l.attempts[j]);
		for (j = 0; j < l.nr_attempts; j++)
			if (l.attempts[j].failure_index == fr->index)
				add_behaviour(out, &l.attempts[j], &l.attempts[j] == winner);
		if (winner && winner->diff && *winner->diff) {
			buf_adds(out, "\nThe verified change:\n\n");
			add_fenced(out, "diff", winner->diff);
		}
		buf_addch(out, '\n');
	}
	unload(&l);
	secret_redact(out);
	return 0;
}

/* transcripts of the LLM exchanges */

/* the node id of failure `index`, or NULL when the session has no such failure */
static const char *failure_name(const struct loaded *t, size_t index)
{
	size_t i;
	for (i = 0; i < t->nr_failures; i++)
		if (t->failures[i].index == index)
			return t->failures[i].failure.id;
	return NULL;
}

static json_t *tokens_json(long n)
{
	return n < 0 ? json_null() : json_integer(n);
}

/* one exchange of the transcript, with the node id of its failure */
static json_t *exchange_json(const struct loaded *t, const struct exchange_row *e)
{
	return json_pack("{s:o, s:I, s:i, s:s, s:o, s:f, s:o, s:o, s:f, s:o, s:f, s:o, s:o, s:o}",
			 "failure", str_or_null(failure_name(t, e->failure_index)),
			 "failure_index", (json_int_t)e->failure_index,
			 "attempt", e->attempt_number, "provider", e->provider,
			 "model", str_or_null(e->model), "temperature", e->temperature,
			 "prompt_tokens", tokens_json(e->prompt_tokens),
			 "completion_tokens", tokens_json(e->completion_tokens),
			 "latency", e->latency, "outcome", str_or_null(e->outcome), "at", e->at,
			 "system", str_or_null(e->system), "prompt", str_or_null(e->prompt),
			 "reply", str_or_null(e->reply));
}

int report_transcript_json(json_t **out, struct store *st, const char *id)
{
	struct loaded t;
	size_t i;
	int err;

	*out = NULL;
	if ((err = load(&t, st, id, LOAD_EXCHANGES)) < 0)
		return err;
	*out = json_array();
	for (i = 0; i < t.nr_exchanges; i++)
		json_array_append_new(*out, exchange_json(&t, &t.exchanges[i]));
	unload(&t);
	return 0;
}

static void add_tokens(struct buf *b, long n)
{
	if (n < 0)
		buf_adds(b, "?");
	else
		buf_addf(b, "%ld", n);
}

static void add_part(struct buf *b, const char *title, const char *text)
{
	buf_addf(b, "--- %s ---\n", title);
	if (!text) {
		buf_adds(b, "(none)\n");
		return;
	}
	buf_add_printable(b, text, strlen(text));
	if (!*text || text[strlen(text) - 1] != '\n')
		buf_addch(b, '\n');
}

int report_transcript_text(struct buf *out, struct store *st, const char *id)
{
	struct loaded t;
	long in = 0, sent = 0;
	size_t i;
	int err;

	if ((err = load(&t, st, id, LOAD_EXCHANGES)) < 0)
		return err;
	if (!t.nr_exchanges) {
		buf_addf(out, "session %s has no exchanges: no language model was asked\n", t.row.id);
		unload(&t);
		return 0;
	}
	for (i = 0; i < t.nr_exchanges; i++) {
		if (t.exchanges[i].prompt_tokens > 0)
			in = sat_add(in, t.exchanges[i].prompt_tokens);
		if (t.exchanges[i].completion_tokens > 0)
			sent = sat_add(sent, t.exchanges[i].completion_tokens);
	}
	buf_addf(out, "session %s: %zu exchange%s, %ld tokens in, %ld out\n", t.row.id,
		 t.nr_exchanges, t.nr_exchanges == 1 ? "" : "s", in, sent);
	for (i = 0; i < t.nr_exchanges; i++) {
		const struct exchange_row *e = &t.exchanges[i];
		const char *name = failure_name(&t, e->failure_index);

		buf_addf(out, "\n=== exchange %zu of %zu: ", i + 1, t.nr_exchanges);
		if (name)
			buf_add_printable(out, name, strlen(name));
		else
			buf_addf(out, "failure #%zu", e->failure_index);
		buf_addf(out, ", attempt %d ===\n", e->attempt_number);
		buf_addf(out, "provider:    %s%s%s\n", e->provider, e->model ? " / " : "",
			 e->model ? e->model : "");
		buf_addf(out, "temperature: %.2f\n", e->temperature);
		buf_adds(out, "tokens:      ");
		add_tokens(out, e->prompt_tokens);
		buf_adds(out, " in, ");
		add_tokens(out, e->completion_tokens);
		buf_addf(out, " out\nlatency:     %.2f s\noutcome:     ", e->latency);
		if (e->outcome)
			buf_add_printable(out, e->outcome, strlen(e->outcome));
		else
			buf_adds(out, "-");
		buf_adds(out, "\nat:          ");
		add_time(out, e->at);
		buf_addch(out, '\n');
		if (e->system)
			add_part(out, "system", e->system);
		add_part(out, "prompt", e->prompt);
		add_part(out, "reply", e->reply);
	}
	unload(&t);
	secret_redact(out);
	return 0;
}

int report_write_session(struct store *st, const char *id, const char *path)
{
	struct buf md = BUF_INIT, dir = BUF_INIT;
	const char *slash = strrchr(path, '/');
	int err;

	if (slash && slash > path) {
		buf_add(&dir, path, (size_t)(slash - path));
		if ((err = fs_mkdir_p(dir.ptr, 0755)) < 0)
			goto done;
	}
	if ((err = report_session_markdown(&md, st, id)) < 0)
		goto done;
	err = fs_write_atomic(path, md.ptr, md.len, 0644);
done:
	buf_release(&dir);
	buf_release(&md);
	return err;
}
