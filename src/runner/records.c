#include "runner/records.h"

#include "util/clock.h"
#include "util/error.h"
#include "util/xalloc.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

void records_reader_init(struct records_reader *r, struct test_result *res)
{
	memset(r, 0, sizeof(*r));
	r->res = res;
	buf_init(&r->partial, RECORDS_LINE_CAP);
	r->exitstatus = -1;
}

static void running_release(struct running_test *t)
{
	free(t->id);
	failure_free(t->pending);
	failure_free(t->teardown);
	memset(t, 0, sizeof(*t));
}

void records_reader_drop_running(struct records_reader *r)
{
	size_t i;
	for (i = 0; i < r->nr_running; i++)
		running_release(&r->running[i]);
	r->nr_running = 0;
}

void records_reader_release(struct records_reader *r)
{
	records_reader_drop_running(r);
	buf_release(&r->partial);
	free(r->pytest_version);
}

static const char *get_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* a text field of a record, NUL bytes (test output may hold them) kept */
static void set_text(char **field, json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (json_is_string(v))
		failure_set_text(field, json_string_value(v), json_string_length(v),
				 FAILURE_TEXT_CAP);
}

static struct running_test *find_running(struct records_reader *r, const char *id)
{
	size_t i;
	for (i = 0; i < r->nr_running; i++)
		if (!strcmp(r->running[i].id, id))
			return &r->running[i];
	return NULL;
}

static struct running_test *start_running(struct records_reader *r, const char *id)
{
	struct running_test *t = find_running(r, id);
	if (t)
		return t;
	if (r->nr_running == RECORDS_MAX_RUNNING)
		return NULL;
	t = &r->running[r->nr_running++];
	memset(t, 0, sizeof(*t));
	t->id = xstrdup(id);
	t->started = clock_monotonic();
	return t;
}

/* Fill a failure's details from a report record. */
static void fill_failure(struct failure *f, json_t *rec)
{
	json_t *frames = json_object_get(rec, "frames");
	size_t i;
	json_t *fr;

	failure_split_id(f);
	set_text(&f->error_type, rec, "error_type");
	set_text(&f->message, rec, "message");
	set_text(&f->traceback, rec, "traceback");
	set_text(&f->output, rec, "output");
	json_array_foreach(frames, i, fr) {
		const char *file = get_str(fr, "file");
		json_t *line = json_object_get(fr, "line");
		if (!file || !json_is_integer(line))
			continue;
		failure_add_frame(f, file, (int)json_integer_value(line), get_str(fr, "function"));
	}
	failure_locate_from_frames(f);
}

static struct failure *new_pending(const char *id, enum failure_kind kind, json_t *rec)
{
	struct failure *f = xcalloc(1, sizeof(*f));
	f->id = xstrdup(id);
	f->kind = kind;
	fill_failure(f, rec);
	return f;
}

/* Move a failed phase into the result; *pending is taken over (and NULL after). */
static void add_failed_phase(struct records_reader *r, struct failure **pending)
{
	struct failure *f = test_result_add_failure(r->res, (*pending)->id);
	free(f->id);
	*f = **pending;   /* take over every field */
	free(*pending);
	*pending = NULL;
	if (f->kind == FAILURE_KIND_FAILURE)
		r->res->summary.failed++;
	else
		r->res->summary.errors++;
}

/* Move a finished test's outcome into the result. */
static void finalize(struct records_reader *r, struct running_test *t)
{
	struct test_summary *s = &r->res->summary;
	size_t idx = (size_t)(t - r->running);

	s->total++;
	r->finalized++;
	if (r->done_ids)
		strvec_push(r->done_ids, t->id);
	if (t->pending) {
		add_failed_phase(r, &t->pending);
		if (t->teardown)
			add_failed_phase(r, &t->teardown);
	} else if (t->skipped) {
		if (t->xfail)
			s->xfailed++;
		else
			s->skipped++;
	} else if (t->xpassed) {
		s->xpassed++;
	} else {
		s->passed++;
	}
	running_release(t);
	r->running[idx] = r->running[--r->nr_running];
	memset(&r->running[r->nr_running], 0, sizeof(r->running[0]));
}

static int on_report(struct records_reader *r, json_t *rec)
{
	const char *id = get_str(rec, "id");
	const char *when = get_str(rec, "when");
	const char *outcome = get_str(rec, "outcome");
	int xfail = json_is_true(json_object_get(rec, "xfail"));
	struct running_test *t;

	if (!id || !when || !outcome)
		return error_setc(ERR_PARSE, "report without id, when or outcome");

	if (!strcmp(when, "collect")) {
		struct failure *f;
		/* a resumed run collects again: keep the first report */
		if (test_result_find(r->res, id))
			return 0;
		f = test_result_add_failure(r->res, id);
		f->kind = FAILURE_KIND_COLLECTION;
		fill_failure(f, rec);
		free(f->test);
		f->test = NULL;
		r->res->summary.total++;
		r->res->summary.errors++;
		return 0;
	}

	t = start_running(r, id);
	if (!t)
		return error_setc(ERR_PARSE, "more than %d tests running at once", RECORDS_MAX_RUNNING);
	if (!strcmp(outcome, "skipped")) {
		t->skipped = 1;
		t->xfail |= xfail;
	} else if (!strcmp(outcome, "passed")) {
		if (xfail && !strcmp(when, "call"))
			t->xpassed = 1;
	} else if (!strcmp(outcome, "failed")) {
		enum failure_kind kind = strcmp(when, "call") ? FAILURE_KIND_ERROR : FAILURE_KIND_FAILURE;
		/* as in pytest's JUnit, a teardown error after a failed phase is an entry of its own */
		if (!t->pending)
			t->pending = new_pending(id, kind, rec);
		else if (!strcmp(when, "teardown") && !t->teardown)
			t->teardown = new_pending(id, kind, rec);
	} else {
		return error_setc(ERR_PARSE, "unknown outcome '%s'", outcome);
	}
	return 0;
}

static int on_record(struct records_reader *r, json_t *rec)
{
	const char *ev = get_str(rec, "ev");
	int worker = json_is_true(json_object_get(rec, "worker"));
	const char *id;
	struct running_test *t;
	int err;

	if (!ev)
		return error_setc(ERR_PARSE, "record without \"ev\"");
	if (r->on_record && (err = r->on_record(r->payload, rec, ev)) != 0)
		return err < 0 ? err : 0;
	if (!strcmp(ev, "report"))
		return on_report(r, rec);
	if (!strcmp(ev, "start")) {
		if (!(id = get_str(rec, "id")))
			return error_setc(ERR_PARSE, "start record without id");
		if (!(t = start_running(r, id)))
			return error_setc(ERR_PARSE, "more than %d tests running at once",
					  RECORDS_MAX_RUNNING);
		if (json_is_integer(json_object_get(rec, "pid")))
			t->pid = (long)json_integer_value(json_object_get(rec, "pid"));
		return 0;
	}
	if (!strcmp(ev, "end")) {
		if (!(id = get_str(rec, "id")))
			return error_setc(ERR_PARSE, "end record without id");
		if ((t = find_running(r, id)))
			finalize(r, t);
		return 0;
	}
	if (!strcmp(ev, "session")) {
		if (!worker) {
			const char *root = get_str(rec, "rootdir");
			const char *version = get_str(rec, "pytest");
			r->sessions++;
			if (root && !r->res->rootdir)
				r->res->rootdir = xstrdup(root);
			if (version && !r->pytest_version)
				r->pytest_version = xstrdup(version);
		}
		return 0;
	}
	if (!strcmp(ev, "finish")) {
		if (!worker) {
			json_t *st = json_object_get(rec, "exitstatus");
			r->finished = 1;
			r->exitstatus = json_is_integer(st) ? (int)json_integer_value(st) : -1;
		}
		return 0;
	}
	return error_setc(ERR_PARSE, "unknown record '%s'", ev);
}

static int feed_line(struct records_reader *r, const char *line, size_t len)
{
	json_error_t jerr;
	json_t *rec;
	int err;

	r->line_no++;
	if (!len)
		return 0;
	rec = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (!rec || !json_is_object(rec)) {
		json_decref(rec);
		return error_setc(ERR_PARSE, "line %zu: %s", r->line_no,
				  rec ? "not a JSON object" : jerr.text);
	}
	err = on_record(r, rec);
	json_decref(rec);
	if (err)
		return error_prefix(err, "line %zu", r->line_no);
	return 0;
}

int records_reader_feed(struct records_reader *r, const char *data, size_t len)
{
	while (len) {
		const char *nl = memchr(data, '\n', len);
		size_t take = nl ? (size_t)(nl - data) : len;
		int err;

		if (!nl) {
			if (buf_add(&r->partial, data, take) < 0)
				return error_setc(ERR_PARSE, "line %zu: a record longer than %u bytes",
						  r->line_no + 1, RECORDS_LINE_CAP);
			return 0;
		}
		if (r->partial.len) {
			if (buf_add(&r->partial, data, take) < 0)
				return error_setc(ERR_PARSE, "line %zu: a record longer than %u bytes",
						  r->line_no + 1, RECORDS_LINE_CAP);
			err = feed_line(r, r->partial.ptr, r->partial.len);
			buf_reset(&r->partial);
		} else {
			err = feed_line(r, data, take);
		}
		if (err)
			return err;
		data += take + 1;
		len -= take + 1;
	}
	return 0;
}

int records_reader_finish(struct records_reader *r)
{
	if (r->partial.len)
		return error_setc(ERR_PARSE, "line %zu: truncated record", r->line_no + 1);
	return 0;
}

struct running_test *records_reader_oldest(struct records_reader *r)
{
	struct running_test *best = NULL;
	size_t i;
	for (i = 0; i < r->nr_running; i++)
		if (!best || r->running[i].started < best->started)
			best = &r->running[i];
	return best;
}

void records_reader_abandon(struct records_reader *r, const char *id, const char *error_type,
			    const char *message)
{
	struct running_test *t = find_running(r, id);
	struct failure *f;

	if (!t)
		t = start_running(r, id);
	if (!t)
		return;
	failure_free(t->pending);
	failure_free(t->teardown);
	t->teardown = NULL;
	f = xcalloc(1, sizeof(*f));
	f->id = xstrdup(id);
	f->kind = FAILURE_KIND_FAILURE;
	failure_split_id(f);
	f->error_type = xstrdup(error_type);
	f->message = xstrdup(message);
	t->pending = f;
	finalize(r, t);
}
