#define PCRE2_CODE_UNIT_WIDTH 8

#include "runner/cilog.h"

#include "runner/traceback.h"
#include "util/error.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#include <pcre2.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ---- the patterns, compiled once for the life of the process ---- */

enum {
	RE_TIMESTAMP,
	RE_SHORT,     /* FAILED / ERROR summary line */
	RE_SECTION,   /* "____ test_y ____" */
	RE_RULE,      /* "==== ... ====" */
	RE_CAPTURED,  /* "---- Captured stdout call ----" */
	RE_TOTALS,    /* "= 1 failed, 2 passed in 0.1s =" */
	RE_COUNT,     /* "2 passed" inside the totals */
	RE_COUNT_NR
};

static const char *const patterns[RE_COUNT_NR] = {
	[RE_TIMESTAMP] = "^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)?Z ?",
	[RE_SHORT] = "^(FAILED|ERROR) ([^\\s\\[]+?\\.py(?:::[^\\s\\[]+)?(?:\\[.*?\\])?)(?: - (.*))?$",
	[RE_SECTION] = "^_{3,} (.+?) _{3,}$",
	[RE_RULE] = "^={3,}.*={3,}$",
	[RE_CAPTURED] = "^-{3,} .* -{3,}$",
	[RE_TOTALS] = "^(?:=+ )?((?:\\d+ [a-z]+(?:, )?)+) in [0-9.]+s(?: \\([^)]*\\))?(?: =+)?$",
	[RE_COUNT] = "(\\d+) (failed|passed|skipped|errors?|xfailed|xpassed)\\b",
};

static pcre2_code *compiled[RE_COUNT_NR];
static pthread_once_t compiled_once = PTHREAD_ONCE_INIT;
static int compiled_ok;

static void compile_patterns(void)
{
	size_t i;
	int errcode;
	PCRE2_SIZE erroff;

	for (i = 0; i < RE_COUNT_NR; i++) {
		compiled[i] = pcre2_compile((PCRE2_SPTR)patterns[i], PCRE2_ZERO_TERMINATED,
					    PCRE2_UTF | PCRE2_NO_UTF_CHECK, &errcode, &erroff, NULL);
		if (!compiled[i])
			return;  /* a bug in the patterns above */
	}
	compiled_ok = 1;
}

static int patterns_init(void)
{
	pthread_once(&compiled_once, compile_patterns);
	if (!compiled_ok)
		return error_set("cannot compile the CI log patterns");
	return 0;
}

/* what one match found: group n is <s + ov[2n], ov[2n+1] - ov[2n]>, unset as PCRE2_UNSET */
struct match {
	pcre2_match_data *md;
	PCRE2_SIZE *ov;
	const char *s;
};

static int match_at(struct match *m, int re, const char *s, size_t len, size_t start)
{
	int rc = pcre2_match(compiled[re], (PCRE2_SPTR)s, len, start, PCRE2_NO_UTF_CHECK, m->md, NULL);
	if (rc < 0)
		return 0;
	m->ov = pcre2_get_ovector_pointer(m->md);
	m->s = s;
	return rc;
}

static int match(struct match *m, int re, const char *s, size_t len)
{
	return match_at(m, re, s, len, 0);
}

static int group_set(const struct match *m, int n)
{
	return m->ov[2 * n] != PCRE2_UNSET;
}

static char *group_dup(const struct match *m, int n)
{
	if (!group_set(m, n))
		return NULL;
	return xstrndup(m->s + m->ov[2 * n], m->ov[2 * n + 1] - m->ov[2 * n]);
}

/* ---- lines ---- */

struct cursor {
	const char *p, *end;
};

/* the next line without its "\n" or "\r\n"; 0 at the end */
static int next_line(struct cursor *c, const char **line, size_t *len)
{
	const char *nl;
	size_t n;

	if (c->p >= c->end)
		return 0;
	nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
	n = nl ? (size_t)(nl - c->p) : (size_t)(c->end - c->p);
	*line = c->p;
	c->p = nl ? nl + 1 : c->end;
	if (n && (*line)[n - 1] == '\r')
		n--;
	*len = n;
	return 1;
}

/* length of a "job\tstep\t" prefix at the start of the line, or 0 */
static size_t prefix_len(const char *line, size_t len)
{
	const char *t1, *t2;
	size_t max = len < 2 * CILOG_MAX_PREFIX + 2 ? len : 2 * CILOG_MAX_PREFIX + 2;

	t1 = memchr(line, '\t', max);
	if (!t1 || t1 == line || (size_t)(t1 - line) > CILOG_MAX_PREFIX)
		return 0;
	t2 = memchr(t1 + 1, '\t', max - (size_t)(t1 + 1 - line));
	if (!t2 || t2 == t1 + 1 || (size_t)(t2 - t1 - 1) > CILOG_MAX_PREFIX)
		return 0;
	return (size_t)(t2 + 1 - line);
}

/* whether the log's first non-empty line carries a job prefix */
static int log_is_prefixed(const char *log, size_t len)
{
	struct cursor c = { log, log + len };
	const char *line;
	size_t n;

	while (next_line(&c, &line, &n)) {
		if (n >= 3 && !memcmp(line, "\xEF\xBB\xBF", 3)) {
			line += 3;
			n -= 3;
		}
		if (n)
			return prefix_len(line, n) > 0;
	}
	return 0;
}

/* append <s, len> without ANSI escape sequences */
static void add_without_ansi(struct buf *out, const char *s, size_t len)
{
	size_t i = 0, start = 0;

	while (i < len) {
		if (s[i] != '\x1b') {
			i++;
			continue;
		}
		buf_add(out, s + start, i - start);
		i++;
		if (i < len && s[i] == '[') {            /* CSI: params, intermediates, final */
			i++;
			while (i < len && (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] <= 0x3f)
				i++;
			while (i < len && (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] <= 0x2f)
				i++;
			if (i < len && (unsigned char)s[i] >= 0x40 && (unsigned char)s[i] <= 0x7e)
				i++;
		} else if (i < len && s[i] == ']') {     /* OSC: up to BEL or ESC \ */
			while (i < len && s[i] != '\x07' && !(s[i] == '\x1b' && i + 1 < len && s[i + 1] == '\\'))
				i++;
			i += (i < len && s[i] == '\x07') ? 1 : (i < len ? 2 : 0);
		} else if (i < len) {                    /* two-byte escape */
			i++;
		}
		start = i;
	}
	buf_add(out, s + start, len - start);
}

static const char *const markers[] = {
	"##[group]", "##[error]", "##[warning]", "##[notice]", "##[debug]", "##[command]",
};

/*
 * The text of one line, cleaned, into `body` (reset first); the job prefix,
 * if `prefixed` and there is one, as <line, *plen>. Returns 0 when the line
 * is to be dropped ("##[endgroup]").
 */
static int clean_line(struct buf *body, struct match *m, const char *line, size_t len,
		      int prefixed, size_t *plen)
{
	struct buf raw = BUF_INIT;
	size_t i, skip;

	buf_reset(body);
	if (len > CILOG_MAX_LINE)
		len = CILOG_MAX_LINE;
	*plen = prefixed ? prefix_len(line, len) : 0;
	line += *plen;
	len -= *plen;
	if (len >= 3 && !memcmp(line, "\xEF\xBB\xBF", 3)) {
		line += 3;
		len -= 3;
	}
	if (match(m, RE_TIMESTAMP, line, len)) {
		line += m->ov[1];
		len -= m->ov[1];
	}
	add_without_ansi(&raw, line, len);
	if (buf_starts_with(&raw, "##[endgroup]")) {
		buf_release(&raw);
		return 0;
	}
	skip = 0;
	for (i = 0; i < ARRAY_SIZE(markers); i++)
		if (buf_starts_with(&raw, markers[i])) {
			skip = strlen(markers[i]);
			break;
		}
	utf8_sanitize(body, raw.ptr + skip, raw.len - skip);
	buf_release(&raw);
	return 1;
}

static int check_size(size_t len)
{
	if (len > CILOG_MAX_SIZE)
		return error_setc(ERR_LIMIT, "cannot read the CI log: %zu bytes, more than the %u allowed",
				  len, CILOG_MAX_SIZE);
	return 0;
}

int cilog_clean(struct buf *out, const char *log, size_t len)
{
	struct buf body = BUF_INIT, clean_prefix = BUF_INIT;
	struct cursor c = { log, log + len };
	struct match m = { NULL, NULL, NULL };
	const char *line;
	size_t n, plen;
	int prefixed, err;

	if ((err = check_size(len)) < 0 || (err = patterns_init()) < 0)
		return err;
	if (len >= 3 && !memcmp(log, "\xEF\xBB\xBF", 3))
		c.p += 3;
	prefixed = log_is_prefixed(c.p, (size_t)(c.end - c.p));
	m.md = pcre2_match_data_create_from_pattern(compiled[RE_TIMESTAMP], NULL);
	while (next_line(&c, &line, &n)) {
		if (!clean_line(&body, &m, line, n, prefixed, &plen))
			continue;
		buf_reset(&clean_prefix);
		utf8_sanitize(&clean_prefix, line, plen);
		if ((err = buf_add(out, clean_prefix.ptr, clean_prefix.len)) < 0 ||
		    (err = buf_add(out, body.ptr, body.len)) < 0 ||
		    (err = buf_addch(out, '\n')) < 0) {
			err = error_setc(ERR_LIMIT, "cannot clean the CI log: the result is too large");
			goto done;
		}
	}
	err = 0;
done:
	pcre2_match_data_free(m.md);
	buf_release(&clean_prefix);
	buf_release(&body);
	return err;
}

/* ---- failures ---- */

/* one "____ title ____" report, in the job it was printed by */
struct section {
	char *job;
	char *title;
	struct buf text;
};

/* what is being read in each job */
struct job {
	char *name;
	size_t open_index;     /* the section being read, when has_open */
	int has_open;
	int capturing;         /* 0 after "---- Captured ... ----" */
};

struct reader {
	struct test_result *res;
	struct match m;
	struct section *sections;
	size_t nr_sections, alloc_sections;
	struct job *jobs;
	size_t nr_jobs, alloc_jobs;
	char **origin;         /* the job each failure was first reported by, by index */
	size_t alloc_origin;
	size_t first_failure;  /* failures before this were in `res` already */
};

static struct job *job_get(struct reader *r, const char *name, size_t len)
{
	size_t i;
	struct job *j;

	for (i = 0; i < r->nr_jobs; i++)
		if (strlen(r->jobs[i].name) == len && !memcmp(r->jobs[i].name, name, len))
			return &r->jobs[i];
	ALLOC_GROW(r->jobs, r->nr_jobs + 1, r->alloc_jobs);
	j = &r->jobs[r->nr_jobs++];
	memset(j, 0, sizeof(*j));
	j->name = xstrndup(name, len);
	return j;
}

static void section_open(struct reader *r, struct job *j, char *title)
{
	struct section *s;

	ALLOC_GROW(r->sections, r->nr_sections + 1, r->alloc_sections);
	s = &r->sections[r->nr_sections];
	s->job = xstrdup(j->name);
	s->title = title;
	buf_init(&s->text, FAILURE_TEXT_CAP);
	j->open_index = r->nr_sections++;
	j->has_open = 1;
	j->capturing = 1;
}

/* the title pytest gives the long report of node `id` of this kind */
static void section_title(struct buf *out, const struct failure *f)
{
	const char *p;

	if (f->kind == FAILURE_KIND_COLLECTION) {
		buf_addf(out, "ERROR collecting %s", f->id);
		return;
	}
	for (p = f->test ? f->test : f->id; *p; p++) {
		if (p[0] == ':' && p[1] == ':') {
			buf_addch(out, '.');
			p++;
		} else if (*p == '[') {
			buf_adds(out, p);
			break;
		} else {
			buf_addch(out, *p);
		}
	}
}

static int title_matches(const struct section *s, const struct failure *f, const char *title)
{
	const char *t = s->title;

	if (f->kind == FAILURE_KIND_ERROR) {
		if (!strncmp(t, "ERROR at setup of ", 18))
			t += 18;
		else if (!strncmp(t, "ERROR at teardown of ", 21))
			t += 21;
		else
			return 0;
	}
	return !strcmp(t, title);
}

/* the report of `f`, preferring the job that reported it; NULL when none */
static const struct section *find_section(struct reader *r, const struct failure *f, const char *job)
{
	struct buf title = BUF_INIT;
	const struct section *found = NULL;
	size_t i;

	section_title(&title, f);
	for (i = 0; i < r->nr_sections; i++) {
		const struct section *s = &r->sections[i];
		if (!title_matches(s, f, title.ptr))
			continue;
		if (!found || (job && !strcmp(s->job, job) && strcmp(found->job, job)))
			found = s;
	}
	buf_release(&title);
	return found;
}

static void add_short(struct reader *r, const char *job, const char *body, size_t len)
{
	struct match *m = &r->m;
	char *id = group_dup(m, 2), *kind = group_dup(m, 1);
	struct failure *f;

	if (test_result_find(r->res, id))
		goto done;
	f = test_result_add_failure(r->res, id);
	failure_split_id(f);
	if (!strcmp(kind, "FAILED"))
		f->kind = FAILURE_KIND_FAILURE;
	else
		f->kind = strstr(id, "::") ? FAILURE_KIND_ERROR : FAILURE_KIND_COLLECTION;
	if (group_set(m, 3)) {
		const char *msg = body + m->ov[6];
		size_t n = m->ov[7] - m->ov[6];
		if (!traceback_split_exception(&f->error_type, &f->message, msg, n))
			f->message = xstrndup(msg, n);
	}
	ALLOC_GROW(r->origin, r->res->nr_failures, r->alloc_origin);
	r->origin[r->res->nr_failures - 1] = xstrdup(job);
done:
	free(kind);
	free(id);
}

static void add_totals(struct reader *r, const char *body, size_t len)
{
	struct test_summary *s = &r->res->summary;
	size_t start = r->m.ov[2], end = r->m.ov[3];

	while (start < end && match_at(&r->m, RE_COUNT, body, end, start)) {
		const char *word = body + r->m.ov[4];
		size_t nr = strtoul(body + r->m.ov[2], NULL, 10);

		if (!strncmp(word, "passed", 6))
			s->passed += nr;
		else if (!strncmp(word, "skipped", 7))
			s->skipped += nr;
		else if (!strncmp(word, "xfailed", 7))
			s->xfailed += nr;
		else if (!strncmp(word, "xpassed", 7))
			s->xpassed += nr;
		start = r->m.ov[1];
	}
}

static void read_line(struct reader *r, const char *job, size_t job_len, const char *body, size_t len)
{
	struct job *j = job_get(r, job, job_len);

	if (match(&r->m, RE_SECTION, body, len)) {
		section_open(r, j, group_dup(&r->m, 1));
		return;
	}
	if (match(&r->m, RE_TOTALS, body, len)) {
		add_totals(r, body, len);
		j->has_open = 0;
		return;
	}
	if (match(&r->m, RE_RULE, body, len)) {
		j->has_open = 0;
		return;
	}
	if (match(&r->m, RE_SHORT, body, len)) {
		add_short(r, j->name, body, len);
		return;
	}
	if (!j->has_open)
		return;
	if (match(&r->m, RE_CAPTURED, body, len))
		j->capturing = 0;
	if (j->capturing) {
		struct buf *t = &r->sections[j->open_index].text;
		/* past the cap the text is cut; the frames at the end may be lost */
		if (buf_add(t, body, len) < 0 || buf_addch(t, '\n') < 0)
			j->capturing = 0;
	}
}

static void attach_sections(struct reader *r)
{
	size_t i;

	for (i = r->first_failure; i < r->res->nr_failures; i++) {
		struct failure *f = &r->res->failures[i];
		const struct section *s = find_section(r, f, r->origin[i]);
		char *type = NULL, *message = NULL;

		if (!s)
			continue;
		traceback_parse_frames(f, s->text.ptr, s->text.len, NULL);
		failure_locate_from_frames(f);
		failure_set_text(&f->traceback, s->text.ptr, s->text.len, FAILURE_TEXT_CAP);
		if (!f->error_type && traceback_parse_exception(&type, &message, s->text.ptr, s->text.len)) {
			f->error_type = type;
			type = NULL;
			if (!f->message) {
				f->message = message;
				message = NULL;
			}
		}
		free(type);
		free(message);
	}
	/* pytest's rewritten asserts: "FAILED id - assert 2 == 3" */
	for (i = r->first_failure; i < r->res->nr_failures; i++) {
		struct failure *f = &r->res->failures[i];
		if (!f->error_type && f->message && !strncmp(f->message, "assert ", 7))
			f->error_type = xstrdup("AssertionError");
	}
}

int cilog_failures(struct test_result *out, const char *log, size_t len)
{
	struct reader r;
	struct buf body = BUF_INIT;
	struct cursor c = { log, log + len };
	const char *line;
	size_t n, plen, i;
	int prefixed, err;

	if ((err = check_size(len)) < 0 || (err = patterns_init()) < 0)
		return err;
	memset(&r, 0, sizeof(r));
	r.res = out;
	r.first_failure = out->nr_failures;
	ALLOC_GROW(r.origin, out->nr_failures + 1, r.alloc_origin);
	for (i = 0; i < out->nr_failures; i++)
		r.origin[i] = NULL;
	/* the largest group count of any pattern */
	r.m.md = pcre2_match_data_create(8, NULL);
	if (len >= 3 && !memcmp(log, "\xEF\xBB\xBF", 3))
		c.p += 3;
	prefixed = log_is_prefixed(c.p, (size_t)(c.end - c.p));

	while (next_line(&c, &line, &n)) {
		if (!clean_line(&body, &r.m, line, n, prefixed, &plen))
			continue;
		read_line(&r, line, plen ? plen - 1 : 0, body.ptr, body.len);
	}
	attach_sections(&r);
	for (i = r.first_failure; i < out->nr_failures; i++) {
		if (out->failures[i].kind == FAILURE_KIND_FAILURE)
			out->summary.failed++;
		else
			out->summary.errors++;
	}
	out->summary.total = out->summary.passed + out->summary.failed + out->summary.errors +
			     out->summary.skipped + out->summary.xfailed + out->summary.xpassed;

	for (i = 0; i < out->nr_failures; i++)
		free(r.origin[i]);
	free(r.origin);
	for (i = 0; i < r.nr_sections; i++) {
		free(r.sections[i].job);
		free(r.sections[i].title);
		buf_release(&r.sections[i].text);
	}
	free(r.sections);
	for (i = 0; i < r.nr_jobs; i++)
		free(r.jobs[i].name);
	free(r.jobs);
	pcre2_match_data_free(r.m.md);
	buf_release(&body);
	return 0;
}
