#include "gen/state.h"

#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strmap.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#include <assert.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <yaml.h>

#define TIME_SIZE sizeof("2026-12-06T10:00:00Z")
/* how much of a value from the file an error message quotes */
#define SHOWN_MAX 80

static const char *const status_names[GEN_STATUS_COUNT] = {
	[GEN_PENDING] = "PENDING",
	[GEN_PASSED] = "PASSED",
	[GEN_FAILED] = "FAILED",
	[GEN_HEALED] = "HEALED",
	[GEN_FINDING] = "FINDING",
	[GEN_REJECTED] = "REJECTED",
};

const char *gen_status_name(enum gen_status s)
{
	assert((unsigned)s < GEN_STATUS_COUNT);
	return status_names[s];
}

/* <s, len> quoted for a message: at most SHOWN_MAX bytes of it, nothing a terminal would act on */
static void add_shown(struct buf *b, const char *s, size_t len)
{
	size_t n = len;

	if (n > SHOWN_MAX) {
		n = SHOWN_MAX;
		while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	buf_addch(b, '\'');
	buf_add_printable(b, s, n);
	if (n < len)
		buf_adds(b, "...");
	buf_addch(b, '\'');
}

int gen_status_parse(enum gen_status *out, const char *name)
{
	struct buf shown = BUF_INIT;
	size_t i;
	int err;

	for (i = 0; i < GEN_STATUS_COUNT; i++) {
		if (!strcmp(status_names[i], name)) {
			*out = (enum gen_status)i;
			return 0;
		}
	}
	add_shown(&shown, name, strlen(name));
	err = error_setc(ERR_PARSE, "unknown status %s (expected PENDING, PASSED, FAILED, HEALED, "
			 "FINDING or REJECTED)", shown.ptr);
	buf_release(&shown);
	return err;
}

/* now, as 2026-12-06T10:00:00Z */
static void now_utc(char out[TIME_SIZE])
{
	time_t t = (time_t)clock_wall();
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(out, TIME_SIZE, "%Y-%m-%dT%H:%M:%SZ", &tm))
		out[0] = '\0';
}

/*
 * ---- the fields of the file ----
 *
 * One table per mapping, in the order they are written: the reader and the
 * formatter both walk them, so a field cannot be read and not written.
 */
enum field_kind {
	F_STRING,     /* char * */
	F_OPT_STRING, /* char *, written only when not empty */
	F_INT,        /* int, from `min` to INT_MAX */
	F_ULONG,      /* unsigned long */
	F_SCORE,      /* a finite double */
	F_STATUS,     /* enum gen_status */
	F_ANALYSIS,   /* a mapping of analysis_fields, into the same struct */
	F_HISTORY,    /* a list of heal_fields mappings: a test's healing_history */
	F_TESTS,      /* a list of test_fields mappings: the state's test_cases */
};

struct field {
	const char *name;
	enum field_kind kind;
	size_t offset;
	int min;
};

#define FIELD(name, kind, type, member) { name, kind, offsetof(type, member), 0 }

static const struct field heal_fields[] = {
	FIELD("attempt", F_INT, struct gen_heal_entry, attempt),
	FIELD("method", F_STRING, struct gen_heal_entry, method),
	FIELD("engine", F_OPT_STRING, struct gen_heal_entry, engine),
	FIELD("outcome", F_STRING, struct gen_heal_entry, outcome),
	FIELD("reason", F_STRING, struct gen_heal_entry, reason),
	FIELD("at", F_STRING, struct gen_heal_entry, at),
	{ NULL, 0, 0, 0 },
};

static const struct field analysis_fields[] = {
	FIELD("scope", F_STRING, struct gen_test_state, scope),
	FIELD("uniqueness_score", F_SCORE, struct gen_test_state, uniqueness_score),
	FIELD("suggested_fix_method", F_STRING, struct gen_test_state, suggested_fix_method),
	{ NULL, 0, 0, 0 },
};

static const struct field test_fields[] = {
	FIELD("id", F_STRING, struct gen_test_state, id),
	FIELD("function", F_STRING, struct gen_test_state, function),
	FIELD("code_hash", F_STRING, struct gen_test_state, code_hash),
	FIELD("status", F_STATUS, struct gen_test_state, status),
	FIELD("retry_count", F_INT, struct gen_test_state, retry_count),
	FIELD("last_error", F_STRING, struct gen_test_state, last_error),
	FIELD("error_category", F_STRING, struct gen_test_state, error_category),
	FIELD("reason", F_STRING, struct gen_test_state, reason),
	FIELD("spec_item", F_STRING, struct gen_test_state, spec_item),
	{ "analysis", F_ANALYSIS, 0, 0 },
	{ "healing_history", F_HISTORY, 0, 0 },
	{ NULL, 0, 0, 0 },
};

static const struct field top_fields[] = {
	{ "version", F_INT, offsetof(struct gen_state, version), 1 },
	FIELD("module", F_STRING, struct gen_state, module),
	FIELD("generated_file", F_STRING, struct gen_state, generated_file),
	FIELD("seed", F_ULONG, struct gen_state, seed),
	FIELD("updated", F_STRING, struct gen_state, updated),
	{ "test_cases", F_TESTS, 0, 0 },
	{ NULL, 0, 0, 0 },
};

/* the most fields one mapping has (for the reader's duplicate-key check) */
#define FIELDS_MAX 16

#define AT(p, f, type) ((type *)((char *)(p) + (f)->offset))
#define CAT(p, f, type) ((const type *)((const char *)(p) + (f)->offset))

/* every string field of `fields` in `dst` set to "" (numbers are left as they are) */
static void fields_init(void *dst, const struct field *fields)
{
	const struct field *f;

	for (f = fields; f->name; f++) {
		if (f->kind == F_STRING || f->kind == F_OPT_STRING) {
			free(*AT(dst, f, char *));
			*AT(dst, f, char *) = xstrdup("");
		} else if (f->kind == F_ANALYSIS) {
			fields_init(dst, analysis_fields);
		}
	}
}

/* ---- the state in memory ---- */

static void heal_release(struct gen_heal_entry *h)
{
	FREE_ALL(h->method, h->engine, h->outcome, h->reason, h->at);
}

static void test_release(struct gen_test_state *t)
{
	FREE_ALL(t->id, t->function, t->code_hash, t->last_error, t->error_category, t->reason,
		 t->spec_item, t->scope, t->suggested_fix_method);
	FREE_ARRAY(t->history, t->history_nr, heal_release);
}

void gen_state_release(struct gen_state *st)
{
	FREE_ALL(st->module, st->generated_file, st->updated);
	FREE_ARRAY(st->tests, st->nr, test_release);
	*st = (struct gen_state)GEN_STATE_INIT;
}

void gen_state_set(char **field, const char *value)
{
	char *v = utf8_dup_clean(value ? value : "");

	free(*field);
	*field = v;
}

struct gen_test_state *gen_state_find(struct gen_state *st, const char *id)
{
	struct gen_test_state *found = NULL;
	char *clean = NULL;
	size_t i;

	/* ids are kept as valid UTF-8 (gen_state_set), so compare with what `id` became */
	if (!utf8_is_valid(id, strlen(id)))
		id = clean = utf8_dup_clean(id);
	for (i = 0; i < st->nr && !found; i++)
		if (!strcmp(st->tests[i].id, id))
			found = &st->tests[i];
	free(clean);
	return found;
}

struct gen_test_state *gen_state_get(struct gen_state *st, const char *id)
{
	struct gen_test_state *t;

	assert(id && *id);
	if ((t = gen_state_find(st, id)))
		return t;
	ALLOC_APPEND(t, st->tests, st->nr, st->alloc);
	fields_init(t, test_fields);
	t->status = GEN_PENDING;
	gen_state_set(&t->id, id);
	return t;
}

int gen_state_remove(struct gen_state *st, const char *id)
{
	struct gen_test_state *t = gen_state_find(st, id);
	size_t i;

	if (!t)
		return 0;
	i = (size_t)(t - st->tests);
	test_release(t);
	memmove(t, t + 1, (st->nr - i - 1) * sizeof(*t));
	st->nr--;
	return 1;
}

void gen_state_add_heal(struct gen_test_state *t, const char *method, const char *outcome,
			const char *reason, const char *at)
{
	int last = t->history_nr ? t->history[t->history_nr - 1].attempt : 0;
	struct gen_heal_entry *h;
	char now[TIME_SIZE];

	if (!at) {
		now_utc(now);
		at = now;
	}
	ALLOC_APPEND(h, t->history, t->history_nr, t->history_alloc);
	h->attempt = last < INT_MAX ? last + 1 : INT_MAX;
	gen_state_set(&h->method, method);
	gen_state_set(&h->outcome, outcome);
	gen_state_set(&h->reason, reason);
	gen_state_set(&h->at, at);
}

int gen_state_needs_run(const struct gen_test_state *t, const char *code_hash)
{
	if (t->status != GEN_PASSED && t->status != GEN_HEALED)
		return 1;
	return code_hash && strcmp(t->code_hash ? t->code_hash : "", code_hash) != 0;
}

/* ---- reading: libyaml's events, walked along the field tables ---- */

struct reader {
	yaml_parser_t yp;
	const char *name;
	const char *text;
	size_t len;
	struct buf path;        /* where the value being read is: test_cases[2].status */
	struct strmap ids;      /* the ids seen so far -> the line of their entry */
};

static int rd_error(struct reader *rd, size_t line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ERR_PARSE: "cannot parse 'NAME': line N: PATH: what" */
static int rd_error(struct reader *rd, size_t line, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;
	int err;

	if (line)
		buf_addf(&msg, "line %zu: ", line);
	if (rd->path.len)
		buf_addf(&msg, "%s: ", rd->path.ptr);
	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	err = error_setc(ERR_PARSE, "cannot parse '%s': %s", rd->name, msg.ptr);
	buf_release(&msg);
	return err;
}

static int rd_next(struct reader *rd, yaml_event_t *ev)
{
	const yaml_parser_t *p = &rd->yp;
	size_t line = 1, i;

	if (yaml_parser_parse(&rd->yp, ev))
		return 0;
	if (p->error == YAML_READER_ERROR) {
		/* the reader (invalid UTF-8, a control character) only knows the byte */
		for (i = 0; i < p->problem_offset && i < rd->len; i++)
			line += rd->text[i] == '\n';
		return error_setc(ERR_PARSE, "cannot parse '%s': line %zu: %s", rd->name, line,
				  p->problem ? p->problem : "invalid text");
	}
	return error_setc(ERR_PARSE, "cannot parse '%s': line %zu, column %zu: %s%s%s", rd->name,
			  p->problem_mark.line + 1, p->problem_mark.column + 1,
			  p->problem ? p->problem : "invalid YAML",
			  p->context ? " " : "", p->context ? p->context : "");
}

static size_t line_of(const yaml_event_t *ev)
{
	return ev->start_mark.line + 1;
}

static const char *kind_name(const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_SEQUENCE_START_EVENT:
		return "a list";
	case YAML_MAPPING_START_EVENT:
		return "a mapping";
	case YAML_ALIAS_EVENT:
		return "an alias (YAML aliases are not supported)";
	default:
		return "a single value";
	}
}

/* a plain ~, null or nothing: the key counts as absent */
static int is_null(const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;
	size_t n = ev->data.scalar.length;

	if (ev->type != YAML_SCALAR_EVENT || ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	return n == 0 || (n == 1 && v[0] == '~') ||
	       (n == 4 && (!memcmp(v, "null", 4) || !memcmp(v, "Null", 4) || !memcmp(v, "NULL", 4)));
}

/* past the rest of the node that starts with `ev` (an unknown key's value) */
static int skip_node(struct reader *rd, const yaml_event_t *ev)
{
	size_t depth = ev->type == YAML_SEQUENCE_START_EVENT || ev->type == YAML_MAPPING_START_EVENT;
	yaml_event_t e;
	int err;

	while (depth) {
		if ((err = rd_next(rd, &e)) < 0)
			return err;
		if (e.type == YAML_SEQUENCE_START_EVENT || e.type == YAML_MAPPING_START_EVENT)
			depth++;
		else if (e.type == YAML_SEQUENCE_END_EVENT || e.type == YAML_MAPPING_END_EVENT)
			depth--;
		yaml_event_delete(&e);
	}
	return 0;
}

/* `ev` is a scalar that is not null: 1; null: 0; otherwise the error, naming `what` was expected */
static int want_scalar(struct reader *rd, const yaml_event_t *ev, const char *what)
{
	if (ev->type != YAML_SCALAR_EVENT)
		return rd_error(rd, line_of(ev), "expected %s, not %s", what, kind_name(ev));
	return !is_null(ev);
}


/* <s, len> is a decimal number: [-+]digits[.digits][e[-+]digits], at least one digit before the e */
static int is_decimal(const char *s, size_t len)
{
	size_t i = 0, digits = 0;

	if (i < len && (s[i] == '-' || s[i] == '+'))
		i++;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
		digits++;
	if (i < len && s[i] == '.')
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			digits++;
	if (!digits)
		return 0;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '-' || s[i] == '+'))
			i++;
		for (digits = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			digits++;
		if (!digits)
			return 0;
	}
	return i == len;
}

/* the scalar `ev` as a whole number from `min` to `max` */
static int read_whole(unsigned long *out, struct reader *rd, const yaml_event_t *ev,
		      unsigned long min, unsigned long max)
{
	const char *s = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length, i;
	struct buf shown = BUF_INIT;
	unsigned long v = 0;
	int over = 0, err;

	for (i = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		unsigned long d = (unsigned long)(s[i] - '0');
		if (v > (max - d) / 10)
			over = 1;
		else
			v = v * 10 + d;
	}
	if (len && i == len && !over && v >= min) {
		*out = v;
		return 0;
	}
	add_shown(&shown, s, len);
	if (len && i == len)
		err = rd_error(rd, line_of(ev), "%s is out of range %lu..%lu", shown.ptr, min, max);
	else
		err = rd_error(rd, line_of(ev), "expected a whole number, not %s", shown.ptr);
	buf_release(&shown);
	return err;
}

/* the scalar `ev` as a finite number */
static int read_score(double *out, struct reader *rd, const yaml_event_t *ev)
{
	const char *s = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	struct buf shown = BUF_INIT;
	char *copy;
	double v = 0;
	int ok, err;

	ok = is_decimal(s, len);
	if (ok) {
		copy = xstrndup(s, len);
		v = strtod(copy, NULL);
		free(copy);
		ok = isfinite(v);
	}
	if (ok) {
		*out = v;
		return 0;
	}
	add_shown(&shown, s, len);
	err = rd_error(rd, line_of(ev), "expected a number, not %s", shown.ptr);
	buf_release(&shown);
	return err;
}

/* the scalar `ev` as a string we keep: valid UTF-8, a NUL (\0 in the file) dropped */
static char *scalar_dup(const yaml_event_t *ev)
{
	struct buf b = BUF_INIT;

	utf8_sanitize(&b, (const char *)ev->data.scalar.value, ev->data.scalar.length);
	return buf_detach(&b, NULL);
}

static int read_map(struct reader *rd, void *dst, const struct field *fields);
static int read_test(struct reader *rd, void *dst, const yaml_event_t *ev);
static int read_heal(struct reader *rd, void *dst, const yaml_event_t *ev);

/*
 * The list that starts with `ev` (null: none), each item a mapping read
 * by `item` into `dst`
 */
static int read_list(struct reader *rd, const yaml_event_t *ev, void *dst,
		     int (*item)(struct reader *rd, void *dst, const yaml_event_t *ev))
{
	size_t at = rd->path.len, i;
	yaml_event_t e;
	int err;

	if (is_null(ev))
		return 0;
	if (ev->type != YAML_SEQUENCE_START_EVENT)
		return rd_error(rd, line_of(ev), "expected a list, not %s", kind_name(ev));
	for (i = 0;; i++) {
		if ((err = rd_next(rd, &e)) < 0)
			return err;
		if (e.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&e);
			return 0;
		}
		buf_addf(&rd->path, "[%zu]", i);
		if (e.type != YAML_MAPPING_START_EVENT)
			err = rd_error(rd, line_of(&e), "expected a mapping, not %s", kind_name(&e));
		else
			err = item(rd, dst, &e);
		yaml_event_delete(&e);
		buf_setlen(&rd->path, at);
		if (err < 0)
			return err;
	}
}

/* the value `ev` of the key `f` into `dst` */
static int read_value(struct reader *rd, void *dst, const struct field *f, const yaml_event_t *ev)
{
	unsigned long n;
	char *s;
	int err;

	switch (f->kind) {
	case F_STRING:
	case F_OPT_STRING:
		if ((err = want_scalar(rd, ev, "a string")) <= 0)
			return err;
		free(*AT(dst, f, char *));
		*AT(dst, f, char *) = scalar_dup(ev);
		return 0;
	case F_INT:
		if ((err = want_scalar(rd, ev, "a whole number")) <= 0 ||
		    (err = read_whole(&n, rd, ev, (unsigned long)f->min, INT_MAX)) < 0)
			return err;
		*AT(dst, f, int) = (int)n;
		return 0;
	case F_ULONG:
		if ((err = want_scalar(rd, ev, "a whole number")) <= 0)
			return err;
		return read_whole(AT(dst, f, unsigned long), rd, ev, 0, ULONG_MAX);
	case F_SCORE:
		if ((err = want_scalar(rd, ev, "a number")) <= 0)
			return err;
		return read_score(AT(dst, f, double), rd, ev);
	case F_STATUS:
		if ((err = want_scalar(rd, ev, "a status")) <= 0)
			return err;
		s = scalar_dup(ev);
		if ((err = gen_status_parse(AT(dst, f, enum gen_status), s)) < 0)
			err = rd_error(rd, line_of(ev), "%s", error_last());
		free(s);
		return err;
	case F_ANALYSIS:
		if (is_null(ev))
			return 0;
		if (ev->type != YAML_MAPPING_START_EVENT)
			return rd_error(rd, line_of(ev), "expected a mapping, not %s", kind_name(ev));
		return read_map(rd, dst, analysis_fields);
	case F_HISTORY:
		return read_list(rd, ev, dst, read_heal);
	case F_TESTS:
		return read_list(rd, ev, dst, read_test);
	}
	return 0;
}

/* the field of `fields` named by the key `ev`, or NULL when it is not one of ours */
static const struct field *field_named(const struct field *fields, const yaml_event_t *ev)
{
	const struct field *f;

	if (ev->type != YAML_SCALAR_EVENT)
		return NULL;
	for (f = fields; f->name; f++)
		if (strlen(f->name) == ev->data.scalar.length &&
		    !memcmp(f->name, ev->data.scalar.value, ev->data.scalar.length))
			return f;
	return NULL;
}

/* the rest of a mapping (its start already read) into `dst`; keys not in `fields` are passed over */
static int read_map(struct reader *rd, void *dst, const struct field *fields)
{
	size_t seen[FIELDS_MAX] = { 0 }, at = rd->path.len, line;
	const struct field *f;
	yaml_event_t key, val;
	int err;

	for (;;) {
		if ((err = rd_next(rd, &key)) < 0)
			return err;
		if (key.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&key);
			return 0;
		}
		line = line_of(&key);
		f = field_named(fields, &key);
		/* a key of a newer version (or not even a string) goes with its value */
		err = f ? 0 : skip_node(rd, &key);
		yaml_event_delete(&key);
		if (err < 0 || (err = rd_next(rd, &val)) < 0)
			return err;
		if (!f) {
			err = skip_node(rd, &val);
		} else {
			assert(f - fields < FIELDS_MAX);
			if (rd->path.len)
				buf_addch(&rd->path, '.');
			buf_adds(&rd->path, f->name);
			if (seen[f - fields]) {
				err = rd_error(rd, line, "duplicate key (first on line %zu)", seen[f - fields]);
			} else {
				seen[f - fields] = line;
				err = read_value(rd, dst, f, &val);
			}
			buf_setlen(&rd->path, at);
		}
		yaml_event_delete(&val);
		if (err < 0)
			return err;
	}
}

static int read_test(struct reader *rd, void *dst, const yaml_event_t *ev)
{
	struct gen_state *st = dst;
	struct gen_test_state *t;
	struct buf shown = BUF_INIT;
	size_t first;
	int err;

	ALLOC_APPEND(t, st->tests, st->nr, st->alloc);
	fields_init(t, test_fields);
	if ((err = read_map(rd, t, test_fields)) < 0)
		return err;
	if (!*t->id)
		return rd_error(rd, line_of(ev), "an entry without id");
	if (strmap_put(&rd->ids, t->id, strlen(t->id), line_of(ev)))
		return 0;
	strmap_get(&first, &rd->ids, t->id, strlen(t->id));
	add_shown(&shown, t->id, strlen(t->id));
	err = rd_error(rd, line_of(ev), "duplicate id %s (first on line %zu)", shown.ptr, first);
	buf_release(&shown);
	return err;
}

static int read_heal(struct reader *rd, void *dst, const yaml_event_t *ev)
{
	struct gen_test_state *t = dst;
	struct gen_heal_entry *h;

	ALLOC_APPEND(h, t->history, t->history_nr, t->history_alloc);
	fields_init(h, heal_fields);
	return read_map(rd, h, heal_fields);
}

/* the one document of the stream: a mapping of top_fields */
static int read_document(struct reader *rd, struct gen_state *st)
{
	yaml_event_type_t type;
	yaml_event_t ev;
	int err;

	for (;;) {
		if ((err = rd_next(rd, &ev)) < 0)
			return err;
		type = ev.type;
		if (type != YAML_STREAM_START_EVENT && type != YAML_DOCUMENT_START_EVENT &&
		    type != YAML_STREAM_END_EVENT)
			break;
		yaml_event_delete(&ev);
		if (type == YAML_STREAM_END_EVENT)
			return rd_error(rd, 0, "the file is empty, not a mapping");
	}
	if (is_null(&ev))
		err = rd_error(rd, line_of(&ev), "the document is empty, not a mapping");
	else if (ev.type != YAML_MAPPING_START_EVENT)
		err = rd_error(rd, line_of(&ev), "the document is %s, not a mapping", kind_name(&ev));
	else
		err = read_map(rd, st, top_fields);
	yaml_event_delete(&ev);
	/* the document's end, then the stream's */
	if (err < 0 || (err = rd_next(rd, &ev)) < 0)
		return err;
	yaml_event_delete(&ev);
	if ((err = rd_next(rd, &ev)) < 0)
		return err;
	if (ev.type != YAML_STREAM_END_EVENT)
		err = rd_error(rd, line_of(&ev), "more than one YAML document");
	yaml_event_delete(&ev);
	return err;
}

int gen_state_parse(struct gen_state *out, const char *text, size_t len, const char *name)
{
	struct reader rd = { .name = name, .text = text, .len = len, .path = BUF_INIT, .ids = STRMAP_INIT };
	int err;

	*out = (struct gen_state)GEN_STATE_INIT;
	if (len > GEN_STATE_MAX_BYTES)
		return error_setc(ERR_LIMIT, "cannot parse '%s': larger than the limit of %u bytes", name,
				  GEN_STATE_MAX_BYTES);
	if (!yaml_parser_initialize(&rd.yp))
		return error_set("cannot parse '%s': cannot start the YAML parser", name);
	yaml_parser_set_input_string(&rd.yp, (const unsigned char *)text, len);
	yaml_parser_set_encoding(&rd.yp, YAML_UTF8_ENCODING);
	fields_init(out, top_fields);
	err = read_document(&rd, out);
	yaml_parser_delete(&rd.yp);
	strmap_release(&rd.ids);
	buf_release(&rd.path);
	if (err < 0)
		gen_state_release(out);
	return err;
}

int gen_state_load(struct gen_state *out, const char *path)
{
	struct buf text = BUF_INIT;
	int err;

	*out = (struct gen_state)GEN_STATE_INIT;
	if ((err = fs_read_file(&text, path, GEN_STATE_MAX_BYTES)) == 0)
		err = gen_state_parse(out, text.ptr, text.len, path);
	buf_release(&text);
	return err;
}

/* ---- writing ---- */

/* the YAML escape of the code point `c` where it has a short one */
static const char *escape_of(unsigned c)
{
	switch (c) {
	case '"': return "\\\"";
	case '\\': return "\\\\";
	case '\0': return "\\0";
	case '\a': return "\\a";
	case '\b': return "\\b";
	case '\t': return "\\t";
	case '\n': return "\\n";
	case '\v': return "\\v";
	case '\f': return "\\f";
	case '\r': return "\\r";
	case 0x1b: return "\\e";
	case 0x85: return "\\N";      /* YAML 1.1 line breaks: raw, they would be folded */
	case 0x2028: return "\\L";
	case 0x2029: return "\\P";
	default: return NULL;
	}
}

/*
 * `s` (NULL: "") as a YAML double-quoted scalar, on one line: made valid
 * UTF-8 first, then escaped wherever libyaml would not read back the
 * character as it is (controls, line breaks, quotes, backslashes, what
 * it refuses as not printable)
 */
static void add_string(struct buf *out, const char *s)
{
	struct buf clean = BUF_INIT;
	const unsigned char *p, *end;

	utf8_sanitize(&clean, s ? s : "", s ? strlen(s) : 0);
	p = (const unsigned char *)clean.ptr;
	end = p + clean.len;
	buf_addch(out, '"');
	while (p < end) {
		unsigned c = *p;
		size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1, i;
		const char *esc;

		if (n > 1)
			c &= 0x7f >> n;
		for (i = 1; i < n; i++)
			c = (c << 6) | (p[i] & 0x3f);
		if ((esc = escape_of(c)))
			buf_adds(out, esc);
		else if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
			buf_addf(out, "\\x%02X", c);
		else if (c == 0xfeff || c == 0xfffe || c == 0xffff)
			buf_addf(out, "\\u%04X", c);
		else
			buf_add(out, p, n);
		p += n;
	}
	buf_addch(out, '"');
	buf_release(&clean);
}

/* the shortest decimal that reads back as `v`, with a point: 1.0, 0.2, 1e-07 */
static void add_score(struct buf *out, double v)
{
	char num[40];
	int prec;

	assert(isfinite(v));
	for (prec = 1; prec <= 17; prec++) {
		snprintf(num, sizeof(num), "%.*g", prec, v);
		if (strtod(num, NULL) == v)
			break;
	}
	buf_adds(out, num);
	if (!strpbrk(num, ".e"))
		buf_adds(out, ".0");
}

/*
 * `fields` of `src` at `indent`; `item`: the mapping is an item of a list,
 * its first key after "- "
 */
static void format_map(struct buf *out, const void *src, const struct field *fields, int indent, int item)
{
	const struct gen_state *st = src;
	const struct gen_test_state *t = src;
	const struct field *f;
	size_t i;

	for (f = fields; f->name; f++) {
		if (f->kind == F_OPT_STRING && !(*CAT(src, f, char *) && **CAT(src, f, char *)))
			continue;
		if (item && f == fields)
			buf_addf(out, "%*s- %s:", indent - 2, "", f->name);
		else
			buf_addf(out, "%*s%s:", indent, "", f->name);
		switch (f->kind) {
		case F_STRING:
		case F_OPT_STRING:
			buf_addch(out, ' ');
			add_string(out, *CAT(src, f, char *));
			break;
		case F_INT:
			buf_addf(out, " %d", *CAT(src, f, int));
			break;
		case F_ULONG:
			buf_addf(out, " %lu", *CAT(src, f, unsigned long));
			break;
		case F_SCORE:
			buf_addch(out, ' ');
			add_score(out, *CAT(src, f, double));
			break;
		case F_STATUS:
			buf_addf(out, " %s", gen_status_name(*CAT(src, f, enum gen_status)));
			break;
		case F_ANALYSIS:
			buf_addch(out, '\n');
			format_map(out, src, analysis_fields, indent + 2, 0);
			continue;
		case F_HISTORY:
			buf_adds(out, t->history_nr ? "\n" : " []\n");
			for (i = 0; i < t->history_nr; i++)
				format_map(out, &t->history[i], heal_fields, indent + 4, 1);
			continue;
		case F_TESTS:
			buf_adds(out, st->nr ? "\n" : " []\n");
			for (i = 0; i < st->nr; i++)
				format_map(out, &st->tests[i], test_fields, indent + 4, 1);
			continue;
		}
		buf_addch(out, '\n');
	}
}

void gen_state_format(struct buf *out, const struct gen_state *st)
{
	buf_addf(out, "# %s - written by pytest-fixer: edits to values are kept, comments are not\n",
		 GEN_STATE_FILE);
	format_map(out, st, top_fields, 0, 0);
}

void gen_state_render(struct buf *out, struct gen_state *st)
{
	char now[TIME_SIZE];

	now_utc(now);
	gen_state_set(&st->updated, now);
	st->version = GEN_STATE_VERSION;
	gen_state_format(out, st);
}

int gen_state_save(struct gen_state *st, const char *path)
{
	struct buf text = BUF_INIT;
	int err;

	gen_state_render(&text, st);
	err = fs_write_atomic(path, text.ptr, text.len, GEN_STATE_FILE_MODE);
	buf_release(&text);
	return err;
}
