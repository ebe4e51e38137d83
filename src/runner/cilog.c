#define _GNU_SOURCE /* memmem */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "runner/cilog.h"

#include "runner/traceback.h"
#include "util/error.h"
#include "util/sig.h"
#include "util/strmap.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#include <pcre2.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ---- the patterns, compiled once for the life of the process ---- */

/*
 * Only two kinds of line are read with patterns, written so that PCRE2 never
 * backtracks (possessive quantifiers); the others ("FAILED id - msg",
 * "____ title ____", "==== ... ====", "---- Captured ... ----") are read with
 * cursor checks below. Every line is matched at most a fixed number of times.
 */
enum {
	RE_TIMESTAMP,
	RE_TOTALS,    /* "= 1 failed, 2 passed in 0.1s =" */
	RE_COUNT_NR
};

static const char *const patterns[RE_COUNT_NR] = {
	[RE_TIMESTAMP] = "^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(?:\\.\\d++)?Z ?",
	[RE_TOTALS] = "^(?:=++ )?((?:\\d++ [a-z]++(?:, )?)++) in [0-9.]++s(?: \\([^)]*+\\))?(?: =++)?$",
};

static pcre2_code *compiled[RE_COUNT_NR];
/* the limits every match runs under, a safety net for the patterns above */
static pcre2_match_context *limits;
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
	if (!(limits = pcre2_match_context_create(NULL)))
		return;
	pcre2_set_match_limit(limits, CILOG_MATCH_LIMIT);
	pcre2_set_depth_limit(limits, CILOG_DEPTH_LIMIT);
	compiled_ok = 1;
}

static int patterns_init(void)
{
	pthread_once(&compiled_once, compile_patterns);
	if (!compiled_ok)
		return error_set("cannot compile the CI log patterns");
	return 0;
}

/*
 * what one match found: group n is <s + ov[2n], ov[2n+1] - ov[2n]>, unset
 * as PCRE2_UNSET; `over_limit` once a match ran out of its limits
 */
struct match {
	pcre2_match_data *md;
	PCRE2_SIZE *ov;
	const char *s;
	int over_limit;
};

static int match(struct match *m, int re, const char *s, size_t len)
{
	int rc = pcre2_match(compiled[re], (PCRE2_SPTR)s, len, 0, PCRE2_NO_UTF_CHECK, m->md, limits);
	if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT)
		m->over_limit = 1;
	if (rc < 0)
		return 0;
	m->ov = pcre2_get_ovector_pointer(m->md);
	m->s = s;
	return rc;
}

/* the error for what stopped the reading of line `nr`, or 0 to go on */
static int check_line(const struct match *m, size_t nr)
{
	if (sig_pending())
		return error_setc(ERR_INTERRUPTED, "interrupted while reading the CI log");
	if (m->over_limit)
		return error_setc(ERR_LIMIT, "cannot read the CI log: line %zu is too costly to match "
				  "(more than %u steps)", nr, CILOG_MATCH_LIMIT);
	return 0;
}

/* ---- lines read with a cursor ---- */

/* the length of the run of `c` at the start of <s, len> */
static size_t run_at_start(const char *s, size_t len, char c)
{
	size_t n = 0;
	while (n < len && s[n] == c)
		n++;
	return n;
}

/* the length of the run of `c` at the end of <s, len> */
static size_t run_at_end(const char *s, size_t len, char c)
{
	size_t n = 0;
	while (n < len && s[len - 1 - n] == c)
		n++;
	return n;
}

/*
 * "^c{3,} (.*) c{3,}$" with a title of at least `min_title` bytes, its
 * bounds into <*start, *end>: at least three `c`, a space, the title, a
 * space and at least three `c` up to the end of the line.
 */
static int framed(size_t *start, size_t *end, const char *s, size_t len, char c, size_t min_title)
{
	size_t lead = run_at_start(s, len, c), trail;

	if (lead < 3 || lead == len || s[lead] != ' ')
		return 0;
	trail = run_at_end(s, len, c);
	if (trail < 3 || lead + 1 + min_title + 1 + trail > len || s[len - trail - 1] != ' ')
		return 0;
	*start = lead + 1;
	*end = len - trail - 1;
	return 1;
}

/* "====...====": "^={3,}.*={3,}$" */
static int is_rule(const char *s, size_t len)
{
	return len >= 6 && !memcmp(s, "===", 3) && !memcmp(s + len - 3, "===", 3);
}

/* a "FAILED id - message" / "ERROR id" line of pytest's short summary */
struct short_line {
	int failed;                  /* FAILED, else ERROR */
	size_t id_start, id_end;
	size_t msg_start;            /* 0: no " - message" */
};

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* whether the line goes on after `i` as pytest's " - message" does, or ends */
static int ends_or_message(const char *s, size_t len, size_t i)
{
	return i == len || (len - i >= 3 && !memcmp(s + i, " - ", 3));
}

/*
 * The cursor form of
 * "^(FAILED|ERROR) ([^\s\[]+?\.py(?:::[^\s\[]+)?(?:\[.*?\])?)(?: - (.*))?$":
 * the id is a word "X.py" or "X.py::Y" (no space or '['), then maybe a
 * "[params]" that ends at the first ']' followed by the end of the line or
 * " - "; then the end of the line or " - message".
 */
static int parse_short(struct short_line *out, const char *s, size_t len)
{
	size_t i, word_end;
	const char *py;

	if (len >= 7 && !memcmp(s, "FAILED ", 7))
		out->failed = 1, i = 7;
	else if (len >= 6 && !memcmp(s, "ERROR ", 6))
		out->failed = 0, i = 6;
	else
		return 0;
	out->id_start = i;
	while (i < len && !is_space(s[i]) && s[i] != '[')
		i++;
	word_end = i;
	/* "X.py" ends the word, or "X.py::" comes before its last byte */
	if (word_end - out->id_start < 4)
		return 0;
	if (memcmp(s + word_end - 3, ".py", 3)) {
		py = memmem(s + out->id_start + 1, word_end - out->id_start - 1, ".py::", 5);
		if (!py || py + 5 >= s + word_end)
			return 0;
	}
	if (i < len && s[i] == '[') {
		for (i++; i < len && !(s[i] == ']' && ends_or_message(s, len, i + 1)); i++)
			;
		if (i == len)
			return 0;
		i++;
	}
	if (!ends_or_message(s, len, i))
		return 0;
	out->id_end = i;
	out->msg_start = i < len ? i + 3 : 0;
	return 1;
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
	struct match m = { NULL, NULL, NULL, 0 };
	const char *line;
	size_t n, plen, nr = 0;
	int prefixed, err;

	if ((err = check_size(len)) < 0 || (err = patterns_init()) < 0)
		return err;
	if (len >= 3 && !memcmp(log, "\xEF\xBB\xBF", 3))
		c.p += 3;
	prefixed = log_is_prefixed(c.p, (size_t)(c.end - c.p));
	m.md = pcre2_match_data_create_from_pattern(compiled[RE_TIMESTAMP], NULL);
	while (next_line(&c, &line, &n)) {
		int keep = clean_line(&body, &m, line, n, prefixed, &plen);
		if ((err = check_line(&m, ++nr)) < 0)
			goto done;
		if (!keep)
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
	/* what was seen so far, by key; each value an index */
	struct strmap failure_ids;      /* id -> failure */
	struct strmap job_names;        /* name -> job */
	struct strmap titles;           /* title -> its first section */
	struct strmap job_titles;       /* "job\ttitle" -> its first section in that job */
};

static struct job *job_get(struct reader *r, const char *name, size_t len)
{
	size_t i;
	struct job *j;

	if (strmap_get(&i, &r->job_names, name, len))
		return &r->jobs[i];
	ALLOC_GROW(r->jobs, r->nr_jobs + 1, r->alloc_jobs);
	strmap_put(&r->job_names, name, len, r->nr_jobs);
	j = &r->jobs[r->nr_jobs++];
	memset(j, 0, sizeof(*j));
	j->name = xstrndup(name, len);
	return j;
}

/* "job\ttitle": a job's name has no tab */
static void job_title_key(struct buf *out, const char *job, const char *title)
{
	buf_reset(out);
	buf_addf(out, "%s\t%s", job, title);
}

static void section_open(struct reader *r, struct job *j, char *title)
{
	struct buf key = BUF_INIT;
	struct section *s;

	ALLOC_GROW(r->sections, r->nr_sections + 1, r->alloc_sections);
	s = &r->sections[r->nr_sections];
	s->job = xstrdup(j->name);
	s->title = title;
	buf_init(&s->text, FAILURE_TEXT_CAP);
	j->open_index = r->nr_sections++;
	j->has_open = 1;
	j->capturing = 1;
	strmap_put(&r->titles, title, strlen(title), j->open_index);
	job_title_key(&key, j->name, title);
	strmap_put(&r->job_titles, key.ptr, key.len, j->open_index);
	buf_release(&key);
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

/* the first section titled `title`, from `job` when it has one; SIZE_MAX when none */
static size_t first_section(struct reader *r, const char *title, const char *job)
{
	struct buf key = BUF_INIT;
	size_t i = SIZE_MAX;

	if (job) {
		job_title_key(&key, job, title);
		if (!strmap_get(&i, &r->job_titles, key.ptr, key.len))
			i = SIZE_MAX;
		buf_release(&key);
	}
	if (i == SIZE_MAX && !strmap_get(&i, &r->titles, title, strlen(title)))
		i = SIZE_MAX;
	return i;
}

/*
 * The report of `f`, preferring the job that reported it; NULL when none.
 * An error's report is "ERROR at setup of T" or "ERROR at teardown of T".
 */
static const struct section *find_section(struct reader *r, const struct failure *f, const char *job)
{
	static const char *const error_prefixes[] = { "ERROR at setup of ", "ERROR at teardown of " };
	struct buf title = BUF_INIT, full = BUF_INIT;
	size_t i, found = SIZE_MAX;

	section_title(&title, f);
	if (f->kind != FAILURE_KIND_ERROR) {
		found = first_section(r, title.ptr, job);
	} else {
		/* the earliest, from `job` if either is from it */
		size_t in_job = SIZE_MAX;
		for (i = 0; i < ARRAY_SIZE(error_prefixes); i++) {
			size_t k;
			buf_reset(&full);
			buf_addf(&full, "%s%s", error_prefixes[i], title.ptr);
			k = first_section(r, full.ptr, job);
			if (k == SIZE_MAX)
				continue;
			if (job && !strcmp(r->sections[k].job, job))
				in_job = k < in_job ? k : in_job;
			found = k < found ? k : found;
		}
		if (in_job != SIZE_MAX)
			found = in_job;
	}
	buf_release(&full);
	buf_release(&title);
	return found == SIZE_MAX ? NULL : &r->sections[found];
}

static void add_short(struct reader *r, const char *job, const char *body, size_t len,
		      const struct short_line *sl)
{
	size_t id_len = sl->id_end - sl->id_start;
	char *id = xstrndup(body + sl->id_start, id_len);
	struct failure *f;

	if (!strmap_put(&r->failure_ids, id, id_len, r->res->nr_failures))
		goto done;
	f = test_result_add_failure(r->res, id);
	failure_split_id(f);
	if (sl->failed)
		f->kind = FAILURE_KIND_FAILURE;
	else
		f->kind = strstr(id, "::") ? FAILURE_KIND_ERROR : FAILURE_KIND_COLLECTION;
	if (sl->msg_start) {
		const char *msg = body + sl->msg_start;
		size_t n = len - sl->msg_start;
		if (!traceback_split_exception(&f->error_type, &f->message, msg, n))
			f->message = xstrndup(msg, n);
	}
	ALLOC_GROW(r->origin, r->res->nr_failures, r->alloc_origin);
	r->origin[r->res->nr_failures - 1] = xstrdup(job);
done:
	free(id);
}

/* "1 failed, 2 passed, 3 skipped" (RE_TOTALS's group 1) into the summary */
static void add_totals(struct reader *r, const char *body)
{
	struct test_summary *s = &r->res->summary;
	size_t i = r->m.ov[2], end = r->m.ov[3];

	while (i < end) {
		size_t nr = strtoul(body + i, NULL, 10), word;

		while (i < end && body[i] != ' ')
			i++;
		word = ++i;
		while (i < end && body[i] >= 'a' && body[i] <= 'z')
			i++;
		if (i - word == 6 && !memcmp(body + word, "passed", 6))
			s->passed += nr;
		else if (i - word == 7 && !memcmp(body + word, "skipped", 7))
			s->skipped += nr;
		else if (i - word == 7 && !memcmp(body + word, "xfailed", 7))
			s->xfailed += nr;
		else if (i - word == 7 && !memcmp(body + word, "xpassed", 7))
			s->xpassed += nr;
		if (i < end && body[i] == ',')
			i += 2;
	}
}

static void read_line(struct reader *r, const char *job, size_t job_len, const char *body, size_t len)
{
	struct job *j = job_get(r, job, job_len);
	struct short_line sl;
	size_t start, end;

	if (framed(&start, &end, body, len, '_', 1)) {
		section_open(r, j, xstrndup(body + start, end - start));
		return;
	}
	if (match(&r->m, RE_TOTALS, body, len)) {
		add_totals(r, body);
		j->has_open = 0;
		return;
	}
	if (is_rule(body, len)) {
		j->has_open = 0;
		return;
	}
	if (parse_short(&sl, body, len)) {
		add_short(r, j->name, body, len, &sl);
		return;
	}
	if (!j->has_open)
		return;
	if (framed(&start, &end, body, len, '-', 0))
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
	size_t n, plen, i, nr = 0;
	int prefixed, err;

	if ((err = check_size(len)) < 0 || (err = patterns_init()) < 0)
		return err;
	memset(&r, 0, sizeof(r));
	r.res = out;
	r.first_failure = out->nr_failures;
	ALLOC_GROW(r.origin, out->nr_failures + 1, r.alloc_origin);
	for (i = 0; i < out->nr_failures; i++) {
		r.origin[i] = NULL;
		strmap_put(&r.failure_ids, out->failures[i].id, strlen(out->failures[i].id), i);
	}
	/* the largest group count of any pattern */
	r.m.md = pcre2_match_data_create(8, NULL);
	if (len >= 3 && !memcmp(log, "\xEF\xBB\xBF", 3))
		c.p += 3;
	prefixed = log_is_prefixed(c.p, (size_t)(c.end - c.p));

	while (next_line(&c, &line, &n)) {
		if (clean_line(&body, &r.m, line, n, prefixed, &plen))
			read_line(&r, line, plen ? plen - 1 : 0, body.ptr, body.len);
		if ((err = check_line(&r.m, ++nr)) < 0)
			goto done;
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

done:
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
	strmap_release(&r.failure_ids);
	strmap_release(&r.job_names);
	strmap_release(&r.titles);
	strmap_release(&r.job_titles);
	pcre2_match_data_free(r.m.md);
	buf_release(&body);
	return err;
}
