/*
 * The service's analyzer: a failed check's log fetched from GitHub, the
 * evidence read out of it, and an analysis by rules or by a model.
 */
#define _GNU_SOURCE /* memmem */

#include "serve/analyze.h"

#include "edit/guard.h"
#include "engine/prompt.h"
#include "github/github.h"
#include "llm/llm.h"
#include "runner/cilog.h"
#include "runner/traceback.h"
#include "util/error.h"
#include "util/secret.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const category_names[] = ANALYZE_CATEGORY_NAMES;
static const char *const complexity_names[] = ANALYZE_COMPLEXITY_NAMES;

const char *analyze_category_name(enum analyze_category c)
{
	if ((size_t)c >= ARRAY_SIZE(category_names))
		c = ANALYZE_UNKNOWN;
	return category_names[c];
}

void analyze_evidence_release(struct analyze_evidence *ev)
{
	test_result_release(&ev->tests);
	FREE_ALL(ev->signal, ev->excerpt);
	ev->signal = ev->excerpt = NULL;
	ev->category = ANALYZE_UNKNOWN;
	ev->log_size = 0;
}

void analysis_release(struct analysis *a)
{
	FREE_ALL(a->root_cause, a->category, a->estimated_complexity, a->source);
	strvec_clear(&a->files_to_modify);
	*a = (struct analysis)ANALYSIS_INIT;
}

int analysis_auto_fix(const struct analysis *a, double threshold)
{
	return a->auto_fixable && a->confidence >= threshold;
}

/* the longest prefix of <s, len> of at most `max` bytes that does not cut a UTF-8 character */
static size_t utf8_floor(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return max;
}

/* ---- fetching ---- */

int analyze_fetch_log(struct buf *out, struct github *gh, const char *repository,
		      enum analyze_source kind, unsigned long long id)
{
	const char *slash = repository ? strchr(repository, '/') : NULL;
	char *owner = NULL;
	long long run_id = 0;
	size_t len0 = out->len;
	int err;

	if (!slash || slash == repository || !slash[1] || strchr(slash + 1, '/'))
		return error_setc(ERR_USAGE, "invalid repository '%s': it must be 'owner/name'",
				  repository ? repository : "");
	if (!id || id > LLONG_MAX)
		return error_setc(ERR_USAGE, "invalid check id %llu", id);
	owner = xstrndup(repository, (size_t)(slash - repository));
	switch (kind) {
	case ANALYZE_CHECK_RUN:
		err = github_job_log(out, gh, owner, slash + 1, (long long)id);
		break;
	case ANALYZE_CHECK_SUITE:
		if ((err = github_suite_run(&run_id, gh, owner, slash + 1, (long long)id)) < 0)
			break;
		err = github_run_logs(out, NULL, gh, owner, slash + 1, run_id, 0);
		break;
	case ANALYZE_WORKFLOW_RUN:
		err = github_run_logs(out, NULL, gh, owner, slash + 1, (long long)id, 0);
		break;
	default:
		err = error_setc(ERR_USAGE, "invalid kind of check %d", (int)kind);
		break;
	}
	if (err < 0)
		buf_setlen(out, len0);
	free(owner);
	return err;
}

/* ---- reading a log: what kind of failure its lines show ---- */

struct signal_pattern {
	enum analyze_category category;
	const char *text;       /* found anywhere in a cleaned line */
};

/* in the order of analyze_log()'s priorities; matched case-sensitively */
static const struct signal_pattern signal_patterns[] = {
	{ ANALYZE_TIMEOUT, "has exceeded the maximum execution time" },
	{ ANALYZE_TIMEOUT, "The operation was canceled." },
	{ ANALYZE_TIMEOUT, "The job was canceled" },
	{ ANALYZE_TIMEOUT, "The action has timed out." },
	{ ANALYZE_TIMEOUT, "The job has exceeded the maximum execution time" },
	{ ANALYZE_NETWORK, "Connection refused" },
	{ ANALYZE_NETWORK, "Could not resolve host" },
	{ ANALYZE_NETWORK, "Temporary failure in name resolution" },
	{ ANALYZE_NETWORK, "Name or service not known" },
	{ ANALYZE_NETWORK, "nodename nor servname provided" },
	{ ANALYZE_NETWORK, "getaddrinfo failed" },
	{ ANALYZE_NETWORK, "Failed to establish a new connection" },
	{ ANALYZE_NETWORK, "ConnectTimeoutError" },
	{ ANALYZE_NETWORK, "Read timed out" },
	{ ANALYZE_NETWORK, "Connection timed out" },
	{ ANALYZE_NETWORK, "Connection reset by peer" },
	{ ANALYZE_NETWORK, "Network is unreachable" },
	{ ANALYZE_NETWORK, "No route to host" },
	{ ANALYZE_NETWORK, "Max retries exceeded with url" },
	{ ANALYZE_NETWORK, "TLS handshake timeout" },
	{ ANALYZE_NETWORK, "ECONNREFUSED" },
	{ ANALYZE_NETWORK, "ECONNRESET" },
	{ ANALYZE_NETWORK, "ETIMEDOUT" },
	{ ANALYZE_BUILD, "Could not find a version that satisfies the requirement" },
	{ ANALYZE_BUILD, "No matching distribution found for" },
	{ ANALYZE_BUILD, "Failed building wheel for" },
	{ ANALYZE_BUILD, "Failed to build installable wheels" },
	{ ANALYZE_BUILD, "subprocess-exited-with-error" },
	{ ANALYZE_BUILD, "metadata-generation-failed" },
	{ ANALYZE_BUILD, "ResolutionImpossible" },
	{ ANALYZE_BUILD, "Could not open requirements file" },
	{ ANALYZE_BUILD, "ERROR: Cannot install" },
	{ ANALYZE_BUILD, "ERROR: Could not install packages" },
	{ ANALYZE_BUILD, "No solution found when resolving dependencies" },
	{ ANALYZE_BUILD, "SolverProblemError" },
	{ ANALYZE_BUILD, "ImportError while loading conftest" },
	{ ANALYZE_BUILD, "fatal error: " },
	{ ANALYZE_BUILD, "compilation terminated." },
	{ ANALYZE_BUILD, "error: command '" },
	{ ANALYZE_BUILD, "make: *** " },
	{ ANALYZE_LINT, "would reformat " },
	{ ANALYZE_LINT, " would be reformatted" },
	{ ANALYZE_LINT, "Imports are incorrectly sorted" },
	{ ANALYZE_LINT, "fixable with the `--fix` option" },
	{ ANALYZE_LINT, "Your code has been rated at" },
};

static const char *const pyflakes_phrases[] = {
	"imported but unused", "undefined name", "redefinition of unused",
	"assigned to but never used", "f-string is missing placeholders",
	"unable to detect undefined names", "may be undefined, or defined from star imports",
};

static int in_line(const char *s, size_t n, const char *needle)
{
	return memmem(s, n, needle, strlen(needle)) != NULL;
}

static size_t skip_digits(const char *s, size_t n, size_t i)
{
	while (i < n && isdigit((unsigned char)s[i]))
		i++;
	return i;
}

/* after "path.py:N[:N]: ": a linter's code ("F401 ", "E501 ", "C0114:"), mypy's "error:" or pyflakes' words */
static int lint_message(const char *s, size_t n)
{
	size_t i = 0, letters, digits;

	while (i < n && i < 3 && isupper((unsigned char)s[i]))
		i++;
	letters = i;
	i = skip_digits(s, n, i);
	digits = i - letters;
	if (letters && digits >= 2 && digits <= 4 && (i == n || s[i] == ' ' || s[i] == ':'))
		return 1;
	if (n >= 6 && !memcmp(s, "error:", 6))
		return 1;
	for (i = 0; i < ARRAY_SIZE(pyflakes_phrases); i++)
		if (in_line(s, n, pyflakes_phrases[i]))
			return 1;
	return 0;
}

/*
 * A linter's report line: "src/a.py:1:1: F401 ...", "src/a.py:3: error: ...",
 * pyflakes' "src/a.py:1:1: 'os' imported but unused", ruff's "  --> src/a.py:1:8"
 */
static int lint_line(const char *s, size_t n)
{
	const char *p = s, *end = s + n;

	while ((p = memmem(p, (size_t)(end - p), ".py:", 4))) {
		size_t i = (size_t)(p - s) + 4, d = skip_digits(s, n, i);

		p += 4;
		if (d == i)
			continue;
		i = d;
		if (i + 1 < n && s[i] == ':' && isdigit((unsigned char)s[i + 1]))
			i = skip_digits(s, n, i + 1);
		if (i == n && in_line(s, n, "--> "))
			return 1;
		if (i + 1 < n && s[i] == ':' && s[i + 1] == ' ' && lint_message(s + i + 2, n - i - 2))
			return 1;
	}
	/* ruff and mypy: "Found 3 errors." / "Found 1 error in 1 file (checked 4 source files)" */
	if (n > 6 && !memcmp(s, "Found ", 6)) {
		size_t i = skip_digits(s, n, 6);
		if (i > 6 && i + 6 <= n && !memcmp(s + i, " error", 6))
			return 1;
	}
	return 0;
}

/* the category line <s, n> shows, or ANALYZE_UNKNOWN */
static enum analyze_category line_category(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(signal_patterns); i++)
		if (in_line(s, n, signal_patterns[i].text))
			return signal_patterns[i].category;
	return lint_line(s, n) ? ANALYZE_LINT : ANALYZE_UNKNOWN;
}

/* where pytest's report of the failures starts in a cleaned log */
static int failures_line(const char *s, size_t n)
{
	return in_line(s, n, "= FAILURES =") || in_line(s, n, "= ERRORS =") ||
	       in_line(s, n, "short test summary info");
}

/* ---- reading a log: the excerpt ---- */

/* the end of the line holding offset `pos`, past its '\n' */
static size_t line_stop(const char *s, size_t len, size_t pos)
{
	const char *nl = pos < len ? memchr(s + pos, '\n', len - pos) : NULL;
	return nl ? (size_t)(nl - s) + 1 : len;
}

/* where a piece of s[from..] ending by `pos` ends: after its last '\n', else at `pos` (UTF-8 safe) */
static size_t end_by(const char *s, size_t from, size_t pos)
{
	size_t p = pos;

	while (p > from && s[p - 1] != '\n')
		p--;
	return p > from ? p : from + utf8_floor(s + from, pos - from + 1, pos - from);
}

/* where a piece starting at `pos` and ending by `to` starts: at a line start, else at `pos` (UTF-8 safe) */
static size_t start_at(const char *s, size_t pos, size_t to)
{
	size_t p = pos;

	while (p < to && p && s[p - 1] != '\n')
		p++;
	if (p < to)
		return p;
	while (pos < to && ((unsigned char)s[pos] & 0xC0) == 0x80)
		pos++;
	return pos;
}

static void add_piece(struct buf *out, const char *s, size_t from, size_t to)
{
	if (to <= from)
		return;
	buf_add(out, s + from, to - from);
	if (s[to - 1] != '\n')
		buf_addch(out, '\n');
}

static void add_gap(struct buf *out, size_t from, size_t to)
{
	if (to > from)
		buf_addf(out, "[... %zu bytes of log left out ...]\n", to - from);
}

/*
 * The excerpt of the cleaned log <s, len>: all of it, or its head, the
 * lines around `anchor` (an offset; len: none) and its tail
 */
static char *make_excerpt(const char *s, size_t len, size_t anchor)
{
	struct buf out = BUF_INIT;
	size_t h, t, m0 = 0, m1 = 0;

	if (len <= ANALYZE_EXCERPT_MAX) {
		buf_add(&out, s, len);
		return buf_detach(&out, NULL);
	}
	h = end_by(s, 0, ANALYZE_EXCERPT_HEAD);
	t = start_at(s, len - ANALYZE_EXCERPT_TAIL, len);
	if (anchor < len) {
		m0 = anchor > ANALYZE_EXCERPT_BEFORE ? anchor - ANALYZE_EXCERPT_BEFORE : 0;
		m1 = anchor + ANALYZE_EXCERPT_AFTER;
		m0 = m0 < h ? h : m0;
		m1 = m1 > t ? t : m1;
		if (m1 > m0) {
			m0 = start_at(s, m0, m1);
			m1 = m1 > m0 ? end_by(s, m0, m1) : m0;
		}
	}
	add_piece(&out, s, 0, h);
	if (m1 > m0) {
		add_gap(&out, h, m0);
		add_piece(&out, s, m0, m1);
		h = m1;
	}
	add_gap(&out, h, t);
	add_piece(&out, s, t, len);
	if (out.len > ANALYZE_EXCERPT_MAX)
		buf_setlen(&out, utf8_floor(out.ptr, out.len, ANALYZE_EXCERPT_MAX));
	return buf_detach(&out, NULL);
}

/* ---- reading a log ---- */

static void redact_field(char **field)
{
	char *r;

	if (!*field)
		return;
	r = secret_redacted(*field);
	free(*field);
	*field = r;
}

static void redact_failures(struct test_result *res)
{
	size_t i;

	for (i = 0; i < res->nr_failures; i++) {
		struct failure *f = &res->failures[i];
		redact_field(&f->message);
		redact_field(&f->traceback);
		redact_field(&f->output);
	}
}

/*
 * The frames of each failure read again with pytest's "rootdir: /abs/path"
 * of the cleaned log <s, len>, so that the absolute paths of a native
 * traceback (--tb=native, an error in a conftest) count as project files
 */
static void reframe_under_rootdir(struct test_result *res, const char *s, size_t len)
{
	static const char key[] = "rootdir: /";
	const char *p = memmem(s, len, key, sizeof(key) - 1), *end;
	char *root;
	size_t i;

	if (!p || (p != s && p[-1] != '\n' && p[-1] != '\t'))
		return;
	p += sizeof(key) - 2;
	end = memchr(p, '\n', len - (size_t)(p - s));
	root = xstrndup(p, end ? (size_t)(end - p) : len - (size_t)(p - s));
	/* pytest before 6: "rootdir: /path, inifile: setup.cfg" */
	if ((end = strstr(root, ", ")))
		root[end - root] = '\0';
	for (i = strlen(root); i > 1 && isspace((unsigned char)root[i - 1]); i--)
		root[i - 1] = '\0';
	for (i = 0; i < res->nr_failures; i++) {
		struct failure *f = &res->failures[i], tmp;
		struct frame *frames;
		size_t nr, alloc;

		if (!f->traceback)
			continue;
		memset(&tmp, 0, sizeof(tmp));
		traceback_parse_frames(&tmp, f->traceback, strlen(f->traceback), root);
		if (tmp.nr_frames > f->nr_frames) {
			frames = f->frames, nr = f->nr_frames, alloc = f->alloc_frames;
			f->frames = tmp.frames, f->nr_frames = tmp.nr_frames;
			f->alloc_frames = tmp.alloc_frames;
			tmp.frames = frames, tmp.nr_frames = nr, tmp.alloc_frames = alloc;
			failure_locate_from_frames(f);
		}
		failure_release(&tmp);
	}
	free(root);
}

int analyze_log(struct analyze_evidence *out, const char *log, size_t len)
{
	struct buf clean = BUF_INIT;
	size_t first[ANALYZE_UNKNOWN + 1], first_len[ANALYZE_UNKNOWN + 1];
	size_t pos, anchor, i, w;
	enum analyze_category c;
	int err;

	*out = (struct analyze_evidence)ANALYZE_EVIDENCE_INIT;
	out->log_size = len;
	if ((err = cilog_failures(&out->tests, log, len)) < 0 ||
	    (err = cilog_clean(&clean, log, len)) < 0)
		goto done;
	redact_failures(&out->tests);
	/* cilog_clean() drops them; a safety net, the excerpt is a C string */
	for (i = w = 0; i < clean.len; i++)
		if (clean.ptr[i])
			clean.ptr[w++] = clean.ptr[i];
	buf_setlen(&clean, w);
	secret_redact(&clean);
	reframe_under_rootdir(&out->tests, clean.ptr, clean.len);

	for (i = 0; i <= ANALYZE_UNKNOWN; i++)
		first[i] = clean.len;
	anchor = clean.len;
	for (pos = 0; pos < clean.len;) {
		size_t stop = line_stop(clean.ptr, clean.len, pos), n = stop - pos;

		if (n && clean.ptr[stop - 1] == '\n')
			n--;
		if (out->tests.nr_failures) {
			if (failures_line(clean.ptr + pos, n)) {
				anchor = pos;
				break;
			}
		} else if ((c = line_category(clean.ptr + pos, n)) != ANALYZE_UNKNOWN &&
			   first[c] == clean.len) {
			first[c] = pos;
			first_len[c] = n;
		}
		pos = stop;
	}
	if (out->tests.nr_failures) {
		out->category = ANALYZE_TESTS;
	} else {
		static const enum analyze_category order[] = {
			ANALYZE_TIMEOUT, ANALYZE_NETWORK, ANALYZE_BUILD, ANALYZE_LINT,
		};
		for (i = 0; i < ARRAY_SIZE(order); i++) {
			struct buf line = BUF_INIT;

			c = order[i];
			if (first[c] == clean.len)
				continue;
			out->category = c;
			anchor = first[c];
			buf_add(&line, clean.ptr + anchor, first_len[c]);
			buf_trim(&line);
			buf_setlen(&line, utf8_floor(line.ptr, line.len, ANALYZE_SIGNAL_MAX));
			out->signal = buf_detach(&line, NULL);
			break;
		}
	}
	out->excerpt = make_excerpt(clean.ptr, clean.len, anchor);
done:
	if (err < 0) {
		analyze_evidence_release(out);
		out->excerpt = xstrdup("");
	}
	buf_release(&clean);
	return err;
}

/* ---- the built-in analysis ---- */

/* the project files of the failures' frames, deepest first, without test files */
static void frames_files(struct strvec *out, const struct test_result *res)
{
	size_t i, j;

	for (i = 0; i < res->nr_failures; i++) {
		const struct failure *f = &res->failures[i];

		for (j = f->nr_frames; j-- > 0;) {
			const char *file = f->frames[j].file;

			if (out->nr >= ANALYZE_MAX_FILES)
				return;
			if (!file || !*file || file[0] == '/' || strlen(file) > ANALYZE_MAX_PATH ||
			    guard_is_test_file(file) || strvec_find(out, file) >= 0)
				continue;
			strvec_push(out, file);
		}
	}
}

/* the first line of `s`, cut to `max` bytes, appended */
static void add_first_line(struct buf *out, const char *s, size_t max)
{
	size_t n = strcspn(s, "\n");
	size_t keep = utf8_floor(s, n, max);

	buf_add(out, s, keep);
	if (keep < n)
		buf_adds(out, "...");
}

/* a C string from the log, with control characters escaped (it may reach a chat or a terminal) */
static void add_shown(struct buf *out, const char *s)
{
	buf_add_printable(out, s, strlen(s));
}

static void describe_failure(struct buf *out, const struct failure *f)
{
	struct buf first = BUF_INIT;

	buf_adds(out, "'");
	add_shown(out, f->id);
	buf_adds(out, "' fails");
	if (f->error_type || f->message) {
		buf_adds(out, " with ");
		if (f->error_type)
			add_shown(out, f->error_type);
		if (f->error_type && f->message)
			buf_adds(out, ": ");
		if (f->message) {
			add_first_line(&first, f->message, ANALYZE_PROMPT_MESSAGE);
			add_shown(out, first.ptr);
		}
	}
	if (f->loc_file && f->loc_line > 0) {
		buf_adds(out, " (at ");
		add_shown(out, f->loc_file);
		buf_addf(out, ":%d)", f->loc_line);
	}
	buf_release(&first);
}

static const char *complexity_of(size_t files, size_t tests)
{
	if (files <= ANALYZE_LOW_FILES && tests <= ANALYZE_LOW_TESTS)
		return "low";
	if (files <= ANALYZE_MEDIUM_FILES && tests <= ANALYZE_MEDIUM_TESTS)
		return "medium";
	return "high";
}

static void builtin_no_test(struct analysis *out, struct buf *why, const struct analyze_evidence *ev)
{
	static const char *const what[] = {
		[ANALYZE_LINT] = "a lint check failed",
		[ANALYZE_BUILD] = "installing or building the project failed",
		[ANALYZE_NETWORK] = "something could not be fetched over the network",
		[ANALYZE_TIMEOUT] = "the job timed out or was cancelled",
	};
	static const char *const complexity[] = {
		[ANALYZE_LINT] = "low", [ANALYZE_BUILD] = "medium",
		[ANALYZE_NETWORK] = "medium", [ANALYZE_TIMEOUT] = "high",
	};
	enum analyze_category c = ev->category;

	if (c < ARRAY_SIZE(what) && what[c]) {
		buf_addf(why, "%s, and no test failed: ", what[c]);
		add_shown(why, ev->signal ? ev->signal : "(no line)");
		out->estimated_complexity = xstrdup(complexity[c]);
	} else {
		c = ANALYZE_UNKNOWN;
		buf_addf(why, "the log (%zu bytes) shows no failing test and no known kind of "
			 "failure", ev->log_size);
		out->estimated_complexity = xstrdup("high");
	}
	out->category = xstrdup(analyze_category_name(c));
	out->confidence = ANALYZE_CONF_NO_TEST;
	out->auto_fixable = 0;
}

void analyze_builtin(struct analysis *out, const struct analyze_evidence *ev,
		     const struct analyze_repro *repro)
{
	struct buf why = BUF_INIT;
	const struct test_result *res = &ev->tests;
	enum analyze_category c = ANALYZE_TESTS;
	size_t r = repro ? repro->reproduced : 0, fl = repro ? repro->flaky : 0;
	size_t nr = repro ? repro->not_reproduced : 0;

	*out = (struct analysis)ANALYSIS_INIT;
	out->source = xstrdup("builtin");
	if (!res->nr_failures) {
		builtin_no_test(out, &why, ev);
		goto done;
	}
	frames_files(&out->files_to_modify, res);
	if (res->nr_failures > 1)
		buf_addf(&why, "%zu tests fail; the first, ", res->nr_failures);
	describe_failure(&why, &res->failures[0]);
	out->auto_fixable = 1;
	if (!r && !fl && !nr) {
		buf_adds(&why, "; not reproduced yet");
		out->confidence = ANALYZE_CONF_UNVERIFIED;
	} else if (r && !fl && !nr) {
		buf_adds(&why, r > 1 ? "; every one fails here on every run" : "; it fails here on every run");
		out->confidence = out->files_to_modify.nr ? ANALYZE_CONF_REPRODUCED_FRAMES
							  : ANALYZE_CONF_REPRODUCED;
	} else if (r) {
		buf_addf(&why, "; %zu reproduced here on every run, %zu only on some runs, %zu not "
			 "at all", r, fl, nr);
		out->confidence = ANALYZE_CONF_PARTIAL;
	} else if (fl) {
		if (fl == 1 && !nr)
			buf_adds(&why, "; it fails here only on some runs: flaky");
		else
			buf_addf(&why, "; %zu fail here only on some runs (flaky), %zu not at all", fl, nr);
		c = ANALYZE_FLAKY;
		out->confidence = ANALYZE_CONF_FLAKY;
	} else {
		buf_addf(&why, "; %s here: CI's environment may be the cause, not the code",
			 nr > 1 ? "they pass" : "it passes");
		out->confidence = ANALYZE_CONF_NOT_REPRODUCED;
		out->auto_fixable = 0;
	}
	out->category = xstrdup(analyze_category_name(c));
	out->estimated_complexity = xstrdup(complexity_of(out->files_to_modify.nr, res->nr_failures));
done:
	secret_redact(&why);
	buf_setlen(&why, utf8_floor(why.ptr, why.len, ANALYZE_MAX_ROOT_CAUSE));
	out->root_cause = buf_detach(&why, NULL);
}

/* ---- a model's reply ---- */

/* <s, len> without the blanks around it */
static void trim(const char **s, size_t *len)
{
	while (*len && isspace((unsigned char)**s))
		(*s)++, (*len)--;
	while (*len && isspace((unsigned char)(*s)[*len - 1]))
		(*len)--;
}

/* the JSON text of the reply: all of it, or the inside of one ```json fence */
static int unfence(const char **body, size_t *blen, const char *s, size_t len)
{
	const char *nl, *last;
	size_t n;

	trim(&s, &len);
	if (len < 3 || memcmp(s, "```", 3)) {
		*body = s;
		*blen = len;
		return 0;
	}
	nl = memchr(s, '\n', len);
	if (!nl)
		return error_setc(ERR_PARSE, "the reply's ``` fence is not closed");
	n = (size_t)(nl - s) - 3;
	{
		const char *lang = s + 3;
		trim(&lang, &n);
		if (n && !(n == 4 && !strncasecmp(lang, "json", 4)))
			return error_setc(ERR_PARSE, "the reply's fence is not ```json");
	}
	last = s + len - 3;
	if (last <= nl || memcmp(last, "```", 3))
		return error_setc(ERR_PARSE, "the reply's ``` fence is not closed at its end");
	*body = nl + 1;
	*blen = (size_t)(last - *body);
	if (memmem(*body, *blen, "```", 3))
		return error_setc(ERR_PARSE, "the reply holds more than one fenced block");
	return 0;
}

static const char *const reply_fields[] = {
	"root_cause", "category", "confidence", "auto_fixable", "files_to_modify",
	"estimated_complexity",
};

/* a string field: present, a string, no NUL, at most `max` bytes, not empty */
static int get_string(const char **out, const json_t *o, const char *name, size_t max)
{
	const json_t *v = json_object_get(o, name);

	if (!json_is_string(v))
		return error_setc(ERR_PARSE, "'%s' must be a string", name);
	*out = json_string_value(v);
	if (strlen(*out) != json_string_length(v))
		return error_setc(ERR_PARSE, "'%s' holds a NUL byte", name);
	if (!**out)
		return error_setc(ERR_PARSE, "'%s' is empty", name);
	if (json_string_length(v) > max)
		return error_setc(ERR_PARSE, "'%s' is longer than %zu bytes", name, max);
	return 0;
}

/* `s` is one of the `nr` words of `names`; else ERR_PARSE listing them */
static int one_of(const char *s, const char *name, const char *const *names, size_t nr)
{
	struct buf list = BUF_INIT;
	size_t i;
	int err;

	for (i = 0; i < nr; i++)
		if (!strcmp(s, names[i]))
			return 0;
	for (i = 0; i < nr; i++)
		buf_addf(&list, "%s%s", i ? ", " : "", names[i]);
	err = error_setc(ERR_PARSE, "'%s' must be one of %s", name, list.ptr);
	buf_release(&list);
	return err;
}

/* a path of files_to_modify (item `i`, from 1), cleaned into `out` */
static int check_file(struct strvec *out, const json_t *v, size_t i)
{
	const char *p, *c, *comp;
	size_t n;

	if (!json_is_string(v))
		return error_setc(ERR_PARSE, "'files_to_modify' item %zu is not a string", i);
	p = json_string_value(v);
	n = json_string_length(v);
	if (strlen(p) != n)
		return error_setc(ERR_PARSE, "'files_to_modify' item %zu holds a NUL byte", i);
	if (n > ANALYZE_MAX_PATH)
		return error_setc(ERR_PARSE, "'files_to_modify' item %zu is longer than %d bytes", i,
				  ANALYZE_MAX_PATH);
	for (c = p; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return error_setc(ERR_PARSE, "'files_to_modify' item %zu holds a control "
					  "character", i);
	if (strchr(p, '\\'))
		return error_setc(ERR_PARSE, "'files_to_modify' item %zu '%s' holds a '\\': use '/'",
				  i, p);
	while (p[0] == '.' && p[1] == '/')
		p += 2;
	if (p[0] == '/' || p[0] == '~')
		return error_setc(ERR_PARSE, "'files_to_modify' item %zu '%s' is not relative to "
				  "the repository", i, json_string_value(v));
	for (comp = p;; comp = c + 1) {
		c = strchr(comp, '/');
		n = c ? (size_t)(c - comp) : strlen(comp);
		if (!n)
			return error_setc(ERR_PARSE, "'files_to_modify' item %zu '%s' has an empty "
					  "path component", i, json_string_value(v));
		if ((n == 2 && !memcmp(comp, "..", 2)) || (n == 1 && comp[0] == '.'))
			return error_setc(ERR_PARSE, "'files_to_modify' item %zu '%s' holds '%.*s'", i,
					  json_string_value(v), (int)n, comp);
		if (!c)
			break;
	}
	if (strvec_find(out, p) < 0)
		strvec_push(out, p);
	return 0;
}

static int read_reply(struct analysis *out, const json_t *o)
{
	const char *key, *s;
	const json_t *v, *files;
	size_t i, j;
	double conf;
	int err;

	json_object_foreach((json_t *)o, key, v) {
		for (j = 0; j < ARRAY_SIZE(reply_fields) && strcmp(key, reply_fields[j]); j++)
			;
		if (j == ARRAY_SIZE(reply_fields))
			return error_setc(ERR_PARSE, "the reply has an unknown field '%.64s'", key);
	}
	for (j = 0; j < ARRAY_SIZE(reply_fields); j++)
		if (!json_object_get(o, reply_fields[j]))
			return error_setc(ERR_PARSE, "the reply has no '%s'", reply_fields[j]);

	if ((err = get_string(&s, o, "root_cause", ANALYZE_MAX_ROOT_CAUSE)) < 0)
		return err;
	for (i = 0; s[i]; i++)
		if (((unsigned char)s[i] < 0x20 && s[i] != '\n' && s[i] != '\t') || s[i] == 0x7f)
			return error_setc(ERR_PARSE, "'root_cause' holds a control character");
	out->root_cause = xstrdup(s);

	if ((err = get_string(&s, o, "category", ANALYZE_MAX_PATH)) < 0 ||
	    (err = one_of(s, "category", category_names, ARRAY_SIZE(category_names))) < 0)
		return err;
	out->category = xstrdup(s);

	v = json_object_get(o, "confidence");
	if (!json_is_number(v))
		return error_setc(ERR_PARSE, "'confidence' must be a number from 0 to 1");
	conf = json_number_value(v);
	if (!(conf >= 0.0 && conf <= 1.0))
		return error_setc(ERR_PARSE, "'confidence' must be a number from 0 to 1, not %g", conf);
	out->confidence = conf;

	v = json_object_get(o, "auto_fixable");
	if (!json_is_boolean(v))
		return error_setc(ERR_PARSE, "'auto_fixable' must be true or false");
	out->auto_fixable = json_is_true(v);

	files = json_object_get(o, "files_to_modify");
	if (!json_is_array(files))
		return error_setc(ERR_PARSE, "'files_to_modify' must be a list of paths");
	if (json_array_size(files) > ANALYZE_MAX_FILES)
		return error_setc(ERR_PARSE, "'files_to_modify' lists more than %d files",
				  ANALYZE_MAX_FILES);
	json_array_foreach(files, i, v)
		if ((err = check_file(&out->files_to_modify, v, i + 1)) < 0)
			return err;

	if ((err = get_string(&s, o, "estimated_complexity", ANALYZE_MAX_PATH)) < 0 ||
	    (err = one_of(s, "estimated_complexity", complexity_names,
			  ARRAY_SIZE(complexity_names))) < 0)
		return err;
	out->estimated_complexity = xstrdup(s);
	return 0;
}

int analyze_reply_parse(struct analysis *out, const char *reply, size_t len)
{
	const char *body = reply;
	size_t blen = len;
	json_error_t jerr;
	json_t *o = NULL;
	int err;

	*out = (struct analysis)ANALYSIS_INIT;
	if (len > ANALYZE_REPLY_MAX)
		return error_setc(ERR_LIMIT, "the reply is longer than %u bytes", ANALYZE_REPLY_MAX);
	if (memchr(reply, '\0', len))
		return error_setc(ERR_PARSE, "the reply holds a NUL byte");
	if (!utf8_is_valid(reply, len))
		return error_setc(ERR_PARSE, "the reply is not valid UTF-8");
	if ((err = unfence(&body, &blen, reply, len)) < 0)
		return err;
	if (!blen)
		return error_setc(ERR_PARSE, "the reply is empty");
	if (body[0] != '{')
		return error_setc(ERR_PARSE, "the reply is not a JSON object: it starts with '%c'",
				  isprint((unsigned char)body[0]) ? body[0] : '?');
	if (!(o = json_loadb(body, blen, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr)))
		return error_setc(ERR_PARSE, "the reply is not one JSON object: %s (line %d, column %d)",
				  jerr.text, jerr.line, jerr.column);
	if ((err = read_reply(out, o)) < 0)
		analysis_release(out);
	json_decref(o);
	return err;
}

/* ---- asking a model ---- */

static void build_system(struct buf *out)
{
	size_t i;

	buf_adds(out,
		 "You are pytest-fixer's analyst of failed CI checks. A GitHub Actions check of a "
		 "Python project failed. From the log and the code below, say why it failed, how "
		 "sure you are, and whether changing the project's code (not its tests, its CI "
		 "configuration or the network) would fix it.\n"
		 "\n"
		 "Reply with exactly one JSON object and nothing else, for example:\n"
		 "{\"root_cause\": \"divide() does not handle a zero divisor\", \"category\": "
		 "\"test_failure\", \"confidence\": 0.85, \"auto_fixable\": true, "
		 "\"files_to_modify\": [\"src/calc.py\"], \"estimated_complexity\": \"low\"}\n"
		 "\n"
		 "- root_cause: a sentence or two.\n"
		 "- category: one of ");
	for (i = 0; i < ARRAY_SIZE(category_names); i++)
		buf_addf(out, "%s%s", i ? ", " : "", category_names[i]);
	buf_adds(out,
		 ".\n"
		 "- confidence: a number from 0 to 1: how sure you are of the cause and that "
		 "changing files_to_modify fixes it.\n"
		 "- auto_fixable: true or false.\n"
		 "- files_to_modify: paths relative to the repository root, as the log and the "
		 "code sections name them; [] when none.\n"
		 "- estimated_complexity: low, medium or high.\n");
}

static int build_user(struct buf *out, const struct analyze_evidence *ev, const char *root)
{
	const struct test_result *res = &ev->tests;
	struct buf system = BUF_INIT;
	size_t i;
	int err = 0;

	buf_adds(out, "## The job's log (cleaned; parts may be left out)\n```\n");
	buf_adds(out, ev->excerpt ? ev->excerpt : "");
	buf_adds(out, "```\n\n");
	if (!res->nr_failures) {
		buf_addf(out, "No failing test was found in the log; it looks like: %s.\n",
			 analyze_category_name(ev->category));
		buf_adds(out, "\nReply with the JSON object only.\n");
		return 0;
	}
	buf_addf(out, "## Failing tests read from the log (%zu)\n", res->nr_failures);
	for (i = 0; i < res->nr_failures && i < ANALYZE_PROMPT_MAX_TESTS; i++) {
		buf_adds(out, "- ");
		describe_failure(out, &res->failures[i]);
		buf_addch(out, '\n');
	}
	if (i < res->nr_failures)
		buf_addf(out, "- and %zu more\n", res->nr_failures - i);
	buf_addch(out, '\n');
	/* the first test with its traceback and code, as the fix engine shows them */
	{
		struct prompt_input in = { .failure = &res->failures[0], .root = root };
		err = prompt_build(&system, out, &in);
	}
	buf_release(&system);
	return err;
}

int analyze_llm(struct analysis *out, struct llm_provider *provider,
		const struct analyze_evidence *ev, const char *root)
{
	struct buf system = BUF_INIT, user = BUF_INIT, source = BUF_INIT;
	struct llm_reply reply = LLM_REPLY_INIT;
	struct llm_request rq = { NULL, NULL, 0.0, ANALYZE_LLM_MAX_TOKENS };
	long prompt_tokens, completion_tokens;
	const char *model;
	char *redacted;
	int err;

	*out = (struct analysis)ANALYSIS_INIT;
	if (!provider)
		return error_setc(ERR_USAGE, "cannot ask a model for the analysis: none is configured");
	build_system(&system);
	if ((err = build_user(&user, ev, root)) < 0)
		goto done;
	rq.system = system.ptr;
	rq.user = user.ptr;
	err = llm_complete(&reply, provider, &rq);
	prompt_tokens = reply.prompt_tokens;
	completion_tokens = reply.completion_tokens;
	if (!err)
		err = analyze_reply_parse(out, reply.text ? reply.text : "",
					  reply.text ? strlen(reply.text) : 0);
	out->prompt_tokens = prompt_tokens;
	out->completion_tokens = completion_tokens;
	if (err < 0) {
		error_prefix(err, "the model's analysis");
		goto done;
	}
	redacted = secret_redacted(out->root_cause);
	free(out->root_cause);
	out->root_cause = redacted;
	model = reply.model && *reply.model ? reply.model : llm_provider_name(provider);
	buf_adds(&source, "llm:");
	buf_add_printable(&source, model, utf8_floor(model, strlen(model), ANALYZE_SIGNAL_MAX));
	out->source = buf_detach(&source, NULL);
done:
	llm_reply_release(&reply);
	buf_release(&source);
	buf_release(&user);
	buf_release(&system);
	return err;
}

/* ---- JSON ---- */

static json_t *string_or_null(const char *s)
{
	char *clean;
	json_t *j;

	if (!s)
		return json_null();
	clean = utf8_dup_clean(s);
	j = json_string(clean);
	free(clean);
	return j ? j : json_null();
}

int analysis_to_json(json_t **out, const struct analysis *a)
{
	json_t *o = json_object(), *files = json_array();
	size_t i;

	for (i = 0; i < a->files_to_modify.nr; i++)
		json_array_append_new(files, string_or_null(a->files_to_modify.v[i]));
	json_object_set_new(o, "root_cause", string_or_null(a->root_cause));
	json_object_set_new(o, "category", string_or_null(a->category));
	json_object_set_new(o, "confidence", json_real(a->confidence));
	json_object_set_new(o, "auto_fixable", json_boolean(a->auto_fixable));
	json_object_set_new(o, "files_to_modify", files);
	json_object_set_new(o, "estimated_complexity", string_or_null(a->estimated_complexity));
	json_object_set_new(o, "source", string_or_null(a->source));
	if (a->source && !strncmp(a->source, "llm:", 4)) {
		json_object_set_new(o, "prompt_tokens", json_integer(a->prompt_tokens));
		json_object_set_new(o, "completion_tokens", json_integer(a->completion_tokens));
	}
	*out = o;
	return 0;
}
