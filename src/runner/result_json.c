#include "runner/result_json.h"

#include "util/error.h"
#include "util/xalloc.h"

#include <stdint.h>
#include <string.h>

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *failure_json(const struct failure *f, unsigned flags)
{
	json_t *o = json_object();
	json_t *frames = json_array();
	size_t i;

	json_object_set_new(o, "id", json_string(f->id));
	json_object_set_new(o, "file", str_or_null(f->file));
	json_object_set_new(o, "test", str_or_null(f->test));
	json_object_set_new(o, "kind", json_string(failure_kind_name(f->kind)));
	json_object_set_new(o, "error_type", str_or_null(f->error_type));
	json_object_set_new(o, "message", str_or_null(f->message));
	if (f->loc_file)
		json_object_set_new(o, "location", json_pack("{s:s, s:i}", "file", f->loc_file,
							     "line", f->loc_line));
	else
		json_object_set_new(o, "location", json_null());
	for (i = 0; i < f->nr_frames; i++) {
		const struct frame *fr = &f->frames[i];
		json_array_append_new(frames, json_pack("{s:s, s:i, s:o}", "file", fr->file,
							"line", fr->line, "function",
							str_or_null(fr->function)));
	}
	json_object_set_new(o, "frames", frames);
	if (flags & RESULT_JSON_TEXT) {
		json_object_set_new(o, "traceback", str_or_null(f->traceback));
		json_object_set_new(o, "output", str_or_null(f->output));
	}
	return o;
}

json_t *failure_to_json(const struct failure *f)
{
	return failure_json(f, RESULT_JSON_TEXT);
}

json_t *test_result_to_json_flags(const struct test_result *res, unsigned flags)
{
	const struct test_summary *s = &res->summary;
	json_t *failures = json_array();
	size_t i;

	for (i = 0; i < res->nr_failures; i++)
		json_array_append_new(failures, failure_json(&res->failures[i], flags));
	return json_pack("{s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I}, s:o}",
			 "summary",
			 "total", (json_int_t)s->total, "passed", (json_int_t)s->passed,
			 "failed", (json_int_t)s->failed, "errors", (json_int_t)s->errors,
			 "skipped", (json_int_t)s->skipped, "xfailed", (json_int_t)s->xfailed,
			 "xpassed", (json_int_t)s->xpassed,
			 "failures", failures);
}

json_t *test_result_to_json(const struct test_result *res)
{
	return test_result_to_json_flags(res, RESULT_JSON_TEXT);
}

static char *json_dup(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? xstrdup(s) : NULL;
}

/* "line" of `o`: 0 when missing or out of range */
static int json_line(const json_t *o)
{
	json_t *v = json_object_get(o, "line");
	json_int_t n = json_is_integer(v) ? json_integer_value(v) : 0;
	return n < 0 || n > INT32_MAX ? 0 : (int)n;
}

int failure_from_json(struct failure *out, const json_t *j)
{
	const char *kind = json_string_value(json_object_get(j, "kind"));
	const json_t *loc = json_object_get(j, "location"), *fr;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(j) || !json_is_string(json_object_get(j, "id")))
		return error_setc(ERR_PARSE, "not a failure record: no \"id\"");
	out->id = json_dup(j, "id");
	out->file = json_dup(j, "file");
	out->test = json_dup(j, "test");
	if (!kind || failure_kind_parse(&out->kind, kind) < 0)
		out->kind = FAILURE_KIND_FAILURE;
	out->error_type = json_dup(j, "error_type");
	out->message = json_dup(j, "message");
	if (json_is_object(loc)) {
		out->loc_file = json_dup(loc, "file");
		out->loc_line = json_line(loc);
	}
	json_array_foreach(json_object_get(j, "frames"), i, fr) {
		const char *file = json_string_value(json_object_get(fr, "file"));
		if (file)
			failure_add_frame(out, file, json_line(fr),
					  json_string_value(json_object_get(fr, "function")));
	}
	out->traceback = json_dup(j, "traceback");
	out->output = json_dup(j, "output");
	return 0;
}
