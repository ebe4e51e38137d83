/*
 * Notifications (serve/notify.h): Telegram's sendMessage, a JSON webhook
 * and the pull request's one comment, each tried whatever became of the
 * others.
 */
#include "serve/notify.h"

#include "github/github.h"
#include "net/http.h"
#include "serve/message.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/log.h"
#include "util/strvec.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#include <jansson.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const channel_names[NOTIFY_CHANNELS] = { "telegram", "webhook", "github" };

const char *notify_channel_name(enum notify_channel c)
{
	return c < NOTIFY_CHANNELS ? channel_names[c] : "?";
}

void notify_report_release(struct notify_report *r)
{
	size_t i;

	for (i = 0; i < NOTIFY_CHANNELS; i++) {
		free(r->channel[i].error);
		free(r->channel[i].link);
	}
	*r = (struct notify_report)NOTIFY_REPORT_INIT;
}

/* ---- what a message says ---- */

enum outcome { FIXED, ESCALATED, FAILED };

static const struct {
	const char *name, *priority, *fix_type, *summary_label, *emoji;
} outcomes[] = {
	[FIXED] = { "fixed", "medium", "automated", "What was done", "\u2705" },
	[ESCALATED] = { "escalated", "high", "escalated", "Why it was escalated", "\U0001F6A8" },
	[FAILED] = { "failed", "high", "failed", "Why it failed", "\u274C" },
};

/* the outcome named `s`; -1 when it is none of them */
static int outcome_of(const char *s)
{
	size_t i;

	for (i = 0; s && i < sizeof(outcomes) / sizeof(outcomes[0]); i++)
		if (!strcmp(s, outcomes[i].name))
			return (int)i;
	return -1;
}

/* the failing test ids of `m`, one per non-blank line, without blanks around them */
static void split_tests(struct strvec *out, const char *tests)
{
	const char *p = tests;

	while (p && *p) {
		const char *nl = strchr(p, '\n'), *end = nl ? nl : p + strlen(p);
		const char *s = p;

		while (s < end && isspace((unsigned char)*s))
			s++;
		while (end > s && isspace((unsigned char)end[-1]))
			end--;
		if (end > s)
			strvec_pushf(out, "%.*s", (int)(end - s), s);
		p = nl ? nl + 1 : NULL;
	}
}

/* cut `b` to at most `max` bytes, not inside a UTF-8 sequence, with "..." when cut */
static void cut(struct buf *b, size_t start, size_t max)
{
	size_t len;

	if (b->len - start <= max)
		return;
	len = start + max - 3;
	while (len > start && ((unsigned char)b->ptr[len] & 0xC0) == 0x80)
		len--;
	buf_setlen(b, len);
	buf_adds(b, "...");
}

/* <s> on one line: control characters (line ends too) as spaces, at most `max` bytes */
static void add_line(struct buf *out, const char *s, size_t max)
{
	size_t start = out->len;

	for (; s && *s; s++)
		buf_addch(out, (unsigned char)*s < ' ' || *s == 0x7f ? ' ' : *s);
	cut(out, start, max);
}

/* "acme/calc#7", or "acme/calc" without a pull request */
static void add_where(struct buf *out, const struct notify_message *m)
{
	add_line(out, m->repository, NOTIFY_SUMMARY_MAX);
	if (m->pull_request > 0)
		buf_addf(out, "#%ld", m->pull_request);
}

/* one line for people: "pytest-fixer fixed 'tests' in acme/calc#7" */
static void add_headline(struct buf *out, const struct notify_message *m)
{
	int o = outcome_of(m->outcome);

	buf_adds(out, o == FIXED ? "pytest-fixer fixed '" : o == ESCALATED
		 ? "pytest-fixer escalated '" : "pytest-fixer could not fix '");
	add_line(out, m->check, NOTIFY_HISTORY_SUMMARY_MAX);
	buf_adds(out, "' in ");
	add_where(out, m);
	if (o == ESCALATED)
		buf_adds(out, " to a human");
}

/* ---- the pull request's comment ---- */

/*
 * <s> as Markdown text on one line that cannot open HTML, an entity or a
 * mention: '<', '>', '&' and '@' as entities, control characters as spaces
 */
static void add_md(struct buf *out, const char *s, size_t max)
{
	struct buf line = BUF_INIT;
	const char *p;

	add_line(&line, s, max);
	for (p = line.ptr; *p; p++) {
		if (*p == '<')
			buf_adds(out, "&lt;");
		else if (*p == '>')
			buf_adds(out, "&gt;");
		else if (*p == '&')
			buf_adds(out, "&amp;");
		else if (*p == '@')
			buf_adds(out, "&#64;");
		else
			buf_addch(out, *p);
	}
	buf_release(&line);
}

/* <s> as inline code: backticks become quotes (a code span cannot escape them) */
static void add_md_code(struct buf *out, const char *s, size_t max)
{
	size_t start;

	buf_addch(out, '`');
	start = out->len;
	add_line(out, s, max);
	for (; start < out->len; start++)
		if (out->ptr[start] == '`')
			out->ptr[start] = '\'';
	buf_addch(out, '`');
}

/* a link to `url` named `name` when it is an http(s) URL that cannot break out, else the URL as code */
static void add_md_link(struct buf *out, const char *name, const char *url)
{
	const char *p;
	int plain = !strncmp(url, "https://", 8) || !strncmp(url, "http://", 7);

	for (p = url; plain && *p; p++)
		if ((unsigned char)*p <= ' ' || strchr("()<>[]\"'`\\", *p) || *p == 0x7f)
			plain = 0;
	if (plain && strlen(url) <= NOTIFY_SUMMARY_MAX)
		buf_addf(out, "[%s](%s)", name, url);
	else
		add_md_code(out, url, NOTIFY_SUMMARY_MAX);
}

/* how the details of a message are written: as plain text (Telegram) or as Markdown (the comment) */
struct style {
	const char *label, *label_end;  /* around a label: "" ": " or "**" ":** " */
	const char *line_end;           /* after a line of the block of facts */
	const char *gap;                /* after the list of tests and after the summary */
	void (*text)(struct buf *out, const char *s, size_t max);
	void (*code)(struct buf *out, const char *s, size_t max);
	void (*link)(struct buf *out, const char *url);
};

static void add_plain_link(struct buf *out, const char *url)
{
	add_line(out, url, NOTIFY_SUMMARY_MAX);
}

static void add_md_named_link(struct buf *out, const char *url)
{
	add_md_link(out, "link", url);
}

static const struct style plain_style = {
	"", ": ", "\n", "", add_line, add_line, add_plain_link,
};
static const struct style markdown_style = {
	"**", ":** ", "  \n", "\n", add_md, add_md_code, add_md_named_link,
};

/* the failing tests, what was done or why not, the commit, confidence, time and link */
static void add_details(struct buf *out, const struct notify_message *m, int o,
			const struct style *st)
{
	struct strvec tests = STRVEC_INIT;
	size_t i;

	split_tests(&tests, m->tests);
	if (tests.nr) {
		buf_addf(out, "%sFailing test%s%s", st->label, tests.nr > 1 ? "s" : "",
			 st->label_end);
		buf_rtrim(out);         /* the blank after the label */
		buf_addch(out, '\n');
	}
	for (i = 0; i < tests.nr && i < NOTIFY_MAX_TESTS; i++) {
		buf_adds(out, "- ");
		st->code(out, tests.v[i], NOTIFY_HISTORY_SUMMARY_MAX);
		buf_addch(out, '\n');
	}
	if (tests.nr > NOTIFY_MAX_TESTS)
		buf_addf(out, "- and %zu more\n", tests.nr - NOTIFY_MAX_TESTS);
	if (tests.nr)
		buf_adds(out, st->gap);
	if (m->summary && *m->summary) {
		buf_addf(out, "%s%s%s", st->label, outcomes[o].summary_label, st->label_end);
		st->text(out, m->summary, NOTIFY_SUMMARY_MAX);
		buf_addf(out, "\n%s", st->gap);
	}
	if (m->commit && *m->commit) {
		buf_addf(out, "%sCommit%s", st->label, st->label_end);
		st->code(out, m->commit, NOTIFY_HISTORY_SUMMARY_MAX);
		buf_adds(out, st->line_end);
	}
	if (m->confidence >= 0)
		buf_addf(out, "%sConfidence%s%.2f%s", st->label, st->label_end, m->confidence,
			 st->line_end);
	if (o == FIXED && m->seconds > 0) {
		char took[MESSAGE_DURATION_MAX];
		message_duration(took, m->seconds);
		buf_addf(out, "%sTime to fix%s%s%s", st->label, st->label_end, took, st->line_end);
	}
	if (m->link && *m->link) {
		buf_addf(out, "%sLink%s", st->label, st->label_end);
		st->link(out, m->link);
		buf_adds(out, st->line_end);
	}
	strvec_clear(&tests);
}

void notify_text(struct buf *out, const struct notify_message *m)
{
	int o = outcome_of(m->outcome);
	size_t start = out->len;

	add_headline(out, m);
	buf_addch(out, '\n');
	add_details(out, m, o < 0 ? FAILED : o, &plain_style);
	buf_rtrim(out);
	cut(out, start, NOTIFY_TELEGRAM_MAX_TEXT);
}

static void add_utc(struct buf *out, double at)
{
	char text[MESSAGE_TIMESTAMP_MAX];
	time_t t = (time_t)at;
	struct tm tm;

	if (gmtime_r(&t, &tm) && strftime(text, sizeof(text), "%Y-%m-%d %H:%M UTC", &tm))
		buf_adds(out, text);
}

/* the earlier events our previous comment kept: a new array of checked entries */
static json_t *history_read(const char *previous)
{
	json_t *out = json_array(), *list, *e;
	const char *p, *end;
	size_t i;

	/* the last one: code spans above it may quote the words, the history itself cannot */
	for (p = previous ? strstr(previous, NOTIFY_HISTORY_OPEN) : NULL; p;) {
		const char *next = strstr(p + 1, NOTIFY_HISTORY_OPEN);
		if (!next)
			break;
		p = next;
	}
	if (!p)
		return out;
	p += strlen(NOTIFY_HISTORY_OPEN);
	if (!(end = strstr(p, NOTIFY_HISTORY_CLOSE)))
		return out;
	list = json_loadb(p, (size_t)(end - p), 0, NULL);
	if (!json_is_array(list))
		log_debug("notify: the history of our earlier comment cannot be read; starting anew");
	json_array_foreach(list, i, e) {
		const char *outcome = json_string_value(json_object_get(e, "outcome"));
		json_t *at = json_object_get(e, "at"), *copy;
		static const char *const keys[] = { "check", "summary", "link", "commit" };
		size_t k;

		if (json_array_size(out) >= NOTIFY_COMMENT_HISTORY)
			break;
		if (outcome_of(outcome) < 0 || !json_is_integer(at) || json_integer_value(at) < 0)
			continue;
		copy = json_pack("{s:s, s:I}", "outcome", outcome, "at", json_integer_value(at));
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			json_t *v = json_object_get(e, keys[k]);
			if (json_is_string(v))
				json_object_set(copy, keys[k], v);
		}
		json_array_append_new(out, copy);
	}
	json_decref(list);
	return out;
}

/* the history entry of `m` */
static json_t *history_entry(const struct notify_message *m, double now)
{
	json_t *e = json_pack("{s:s, s:I}", "outcome", m->outcome, "at",
			      (json_int_t)(now > 0 ? now : 0));
	const char *values[] = { m->check, m->summary, m->link, m->commit };
	static const char *const keys[] = { "check", "summary", "link", "commit" };
	size_t k;

	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		struct buf v = BUF_INIT, clean = BUF_INIT;

		if (!values[k] || !*values[k])
			continue;
		add_line(&v, values[k], k == 1 ? NOTIFY_HISTORY_SUMMARY_MAX : NOTIFY_SUMMARY_MAX);
		utf8_sanitize(&clean, v.ptr, v.len);
		json_object_set_new(e, keys[k], json_string(clean.ptr));
		buf_release(&clean);
		buf_release(&v);
	}
	return e;
}

/*
 * `list` as JSON that can sit in an HTML comment: ASCII, with '-', '<', '>'
 * and '@' (no mention even there) in strings as \u escapes (nothing else
 * holds them: no negative numbers)
 */
static void add_history_json(struct buf *out, const json_t *list)
{
	char *text = json_dumps(list, JSON_COMPACT | JSON_ENSURE_ASCII), *p;
	int in_string = 0;

	for (p = text; p && *p; p++) {
		if (in_string && *p == '\\' && p[1]) {
			buf_add(out, p, 2);
			p++;
			continue;
		}
		if (*p == '"')
			in_string = !in_string;
		if (in_string && (*p == '-' || *p == '<' || *p == '>' || *p == '@'))
			buf_addf(out, "\\u%04x", (unsigned)*p);
		else
			buf_addch(out, *p);
	}
	free(text);
}

/* one earlier event as a list item */
static void add_history_item(struct buf *out, const json_t *e)
{
	const char *check = json_string_value(json_object_get(e, "check"));
	const char *summary = json_string_value(json_object_get(e, "summary"));
	const char *link = json_string_value(json_object_get(e, "link"));
	const char *commit = json_string_value(json_object_get(e, "commit"));

	buf_adds(out, "- ");
	add_utc(out, (double)json_integer_value(json_object_get(e, "at")));
	buf_addf(out, ": %s", json_string_value(json_object_get(e, "outcome")));
	if (check) {
		buf_adds(out, " ");
		add_md_code(out, check, NOTIFY_HISTORY_SUMMARY_MAX);
	}
	if (commit) {
		buf_adds(out, " at ");
		add_md_code(out, commit, NOTIFY_HISTORY_SUMMARY_MAX);
	}
	if (summary) {
		buf_adds(out, ": ");
		add_md(out, summary, NOTIFY_HISTORY_SUMMARY_MAX);
	}
	if (link) {
		buf_adds(out, " (");
		add_md_link(out, "link", link);
		buf_adds(out, ")");
	}
	buf_addch(out, '\n');
}

void notify_comment_body(struct buf *out, const char *previous, const struct notify_message *m,
			 double now)
{
	json_t *earlier = history_read(previous), *history = json_array(), *e;
	int o = outcome_of(m->outcome);
	size_t i;

	if (o < 0)
		o = FAILED;
	buf_addf(out, "%s\n### %s pytest-fixer %s ", NOTIFY_COMMENT_MARKER, outcomes[o].emoji,
		 o == FIXED ? "fixed" : o == ESCALATED ? "escalated" : "could not fix");
	add_md_code(out, m->check, NOTIFY_HISTORY_SUMMARY_MAX);
	buf_adds(out, o == ESCALATED ? " to a human\n\n" : "\n\n");

	add_details(out, m, o, &markdown_style);
	buf_adds(out, "**When:** ");
	add_utc(out, now);
	buf_addch(out, '\n');

	if (json_array_size(earlier)) {
		buf_addf(out, "\n<details><summary>Earlier events (%zu)</summary>\n\n",
			 json_array_size(earlier));
		json_array_foreach(earlier, i, e)
			add_history_item(out, e);
		buf_adds(out, "\n</details>\n");
	}

	json_array_append_new(history, history_entry(m, now));
	json_array_foreach(earlier, i, e)
		if (json_array_size(history) <= NOTIFY_COMMENT_HISTORY)
			json_array_append(history, e);
	buf_addf(out, "\n%s", NOTIFY_HISTORY_OPEN);
	add_history_json(out, history);
	buf_adds(out, NOTIFY_HISTORY_CLOSE "\n");
	json_decref(history);
	json_decref(earlier);
}

/* ---- sending ---- */

/* "scheme://host[:port]" of `url`, without any "user:password@" (safe to show) */
static void add_origin(struct buf *out, const char *url)
{
	const char *host = strstr(url, "://"), *end, *at;

	if (!host) {
		buf_adds(out, "?");
		return;
	}
	host += 3;
	end = host + strcspn(host, "/?#");
	at = memchr(host, '@', (size_t)(end - host));
	buf_add(out, url, (size_t)(host - url));
	if (at)
		host = at + 1;
	buf_add(out, host, (size_t)(end - host));
}

/* the start of an error answer's body, printable */
static void add_quote(struct buf *out, const char *body, size_t len)
{
	size_t start = out->len;

	buf_add_printable(out, body, len < NOTIFY_ERROR_QUOTE_BYTES ? len : NOTIFY_ERROR_QUOTE_BYTES);
	buf_trim(out);
	if (out->len == start)
		buf_adds(out, "no body");
}

/* a JSON POST of `body` to `url`; the transport's error names no URL (`shown` stands for it) */
static int post_json(struct http_response *resp, const char *url, const char *body,
		     long timeout_ms, const char *shown, const char *secret)
{
	struct strvec headers = STRVEC_INIT;
	struct http_request rq = HTTP_REQUEST_INIT;
	int err;

	strvec_push(&headers, "Content-Type: application/json");
	strvec_push(&headers, "Accept: application/json");
	rq.method = "POST";
	rq.url = url;
	rq.headers = &headers;
	rq.body = body;
	rq.body_len = strlen(body);
	rq.timeout_ms = (int)timeout_ms;
	http_response_release(resp);
	http_response_init(resp, NOTIFY_MAX_ANSWER_BYTES);
	err = http_request(resp, &rq);
	if (err < 0) {
		error_scrub(err, url);
		error_scrub(err, secret);
		error_prefix(err, "%s", shown);
	}
	strvec_clear(&headers);
	return err;
}

/* a Telegram bot token: "123456:ABC-def_..." (nothing that would change the URL) */
static int check_token(const char *token)
{
	const char *p;

	for (p = token; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != ':' && *p != '_' && *p != '-')
			return error_setc(ERR_USAGE, "bad telegram bot token: only letters, digits, "
					  "':', '_' and '-' are allowed");
	return *token ? 0 : error_setc(ERR_USAGE, "bad telegram bot token: it is empty");
}

static int send_telegram(const struct notify_targets *t, const struct notify_message *m,
			 long timeout_ms)
{
	struct http_response resp;
	struct buf url = BUF_INIT, shown = BUF_INIT, text = BUF_INIT, clean = BUF_INIT;
	struct buf why = BUF_INIT;
	json_t *req = NULL, *reply = NULL;
	char *base = NULL, *body = NULL;
	const char *token = t->telegram_token;
	int attempt, err;

	http_response_init(&resp, 0);
	if ((err = http_base_url(&base, t->telegram_api_url ? t->telegram_api_url
				 : NOTIFY_TELEGRAM_API_URL_DEFAULT, "telegram API URL")) < 0 ||
	    (err = check_token(token)) < 0)
		goto done;
	buf_adds(&shown, "telegram at '");
	add_origin(&shown, base);
	buf_adds(&shown, "'");
	buf_addf(&url, "%s/bot%s/sendMessage", base, token);
	notify_text(&text, m);
	utf8_sanitize(&clean, text.ptr, text.len);
	req = json_pack("{s:s, s:s, s:b}", "chat_id", t->telegram_chat_id, "text", clean.ptr,
			"disable_web_page_preview", 1);
	if (!req) {
		err = error_setc(ERR_USAGE, "%s: the chat id is not valid UTF-8", shown.ptr);
		goto done;
	}
	body = json_dumps(req, JSON_COMPACT);

	for (attempt = 1;; attempt++) {
		const char *desc;
		json_t *retry_after;
		long wait;

		json_decref(reply);
		if ((err = post_json(&resp, url.ptr, body, timeout_ms, shown.ptr, token)) < 0)
			goto done;
		reply = json_loadb(resp.body.ptr, resp.body.len, 0, NULL);
		if (resp.status >= 200 && resp.status < 300 && json_is_true(json_object_get(reply, "ok")))
			break;
		buf_reset(&why);
		desc = json_string_value(json_object_get(reply, "description"));
		if (desc)
			add_quote(&why, desc, strlen(desc));
		else
			add_quote(&why, resp.body.ptr, resp.body.len);
		if (resp.status != 429 &&
		    json_integer_value(json_object_get(reply, "error_code")) != 429) {
			if (resp.status >= 200 && resp.status < 300)
				err = error_set("%s refused sendMessage (\"ok\" is not true: %s)",
						shown.ptr, why.ptr);
			else
				err = error_setc(resp.status >= 400 && resp.status < 500 ? ERR_USAGE : -1,
						 "%s refused sendMessage (HTTP %ld: %s)", shown.ptr,
						 resp.status, why.ptr);
			goto done;
		}
		retry_after = json_object_get(json_object_get(reply, "parameters"), "retry_after");
		if (json_is_integer(retry_after) && json_integer_value(retry_after) >= 0)
			wait = json_integer_value(retry_after) > NOTIFY_TELEGRAM_MAX_RETRY_WAIT_MS
				? NOTIFY_TELEGRAM_MAX_RETRY_WAIT_MS + 1
				: (long)json_integer_value(retry_after) * 1000;
		else
			wait = resp.retry_after_ms >= 0 ? resp.retry_after_ms : 1000;
		if (wait > NOTIFY_TELEGRAM_MAX_RETRY_WAIT_MS) {
			err = error_setc(ERR_LIMIT, "%s: rate limited (429: %s), asked to wait more "
					 "than %ld s", shown.ptr, why.ptr,
					 NOTIFY_TELEGRAM_MAX_RETRY_WAIT_MS / 1000);
			goto done;
		}
		if (attempt > NOTIFY_TELEGRAM_MAX_RETRIES) {
			err = error_setc(ERR_LIMIT, "%s: still rate limited after %d attempts (429: %s)",
					 shown.ptr, attempt, why.ptr);
			goto done;
		}
		log_info("notify: %s: rate limited; retrying in %ld ms", shown.ptr, wait);
		if (clock_sleep_interruptible(wait)) {
			err = error_setc(ERR_INTERRUPTED, "%s: interrupted while waiting to retry",
					 shown.ptr);
			goto done;
		}
	}
done:
	if (err < 0)
		error_scrub(err, token);
	json_decref(reply);
	json_decref(req);
	free(body);
	free(base);
	http_response_release(&resp);
	buf_release(&why);
	buf_release(&clean);
	buf_release(&text);
	buf_release(&shown);
	if (url.len)
		memset(url.ptr, 0, url.len);
	buf_release(&url);
	return err;
}

static int seed_message(char **out, const struct notify_message *m, int o, const char *channel)
{
	struct strvec tests = STRVEC_INIT;
	struct buf line = BUF_INIT, clean = BUF_INIT;
	json_t *extra = json_object(), *list = json_array(), *msg = NULL;
	const char *values[] = { m->outcome, m->repository, m->check, m->summary, m->commit,
				 m->link };
	static const char *const keys[] = { "outcome", "repository", "check", "summary", "commit",
					    "link" };
	struct message_notification n = {
		.priority = outcomes[o].priority, .channel = channel,
		.pr_url = m->pull_request > 0 ? m->link : NULL, .fix_type = outcomes[o].fix_type,
		.time_to_fix = m->seconds > 0 ? m->seconds : -1, .extra = extra,
	};
	size_t i;
	int err;

	split_tests(&tests, m->tests);
	n.issues_fixed = o == FIXED ? (long)(tests.nr ? tests.nr : 1) : 0;
	add_headline(&line, m);
	utf8_sanitize(&clean, line.ptr, line.len);
	n.message = clean.ptr;
	if (n.pr_url && !utf8_is_valid(n.pr_url, strlen(n.pr_url)))
		n.pr_url = NULL;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char *v = utf8_dup_clean(values[i]);
		json_object_set_new(extra, keys[i], v ? json_string(v) : json_null());
		free(v);
	}
	json_object_set_new(extra, "pull_request", m->pull_request > 0
			    ? json_integer(m->pull_request) : json_null());
	for (i = 0; i < tests.nr; i++) {
		char *t = utf8_dup_clean(tests.v[i]);
		json_array_append_new(list, json_string(t));
		free(t);
	}
	json_object_set_new(extra, "tests", list);
	json_object_set_new(extra, "confidence", m->confidence >= 0 ? json_real(m->confidence)
								     : json_null());
	if ((err = message_notification(&msg, &n)) < 0)
		goto done;
	*out = message_text(msg);
done:
	json_decref(msg);
	json_decref(extra);
	strvec_clear(&tests);
	buf_release(&clean);
	buf_release(&line);
	return err;
}

int notify_seed_message(char **out, const struct notify_message *m, const char *channel)
{
	int o = outcome_of(m->outcome);

	*out = NULL;
	if (o < 0)
		return error_setc(ERR_USAGE, "no notification for outcome '%s'",
				  m->outcome ? m->outcome : "(none)");
	return seed_message(out, m, o, channel);
}

static int send_webhook(const struct notify_targets *t, const struct notify_message *m, int o,
			long timeout_ms)
{
	struct http_response resp;
	struct buf shown = BUF_INIT, why = BUF_INIT;
	char *body = NULL;
	int err;

	http_response_init(&resp, 0);
	buf_adds(&shown, "webhook at '");
	add_origin(&shown, t->webhook_url);
	buf_adds(&shown, "'");
	if ((err = seed_message(&body, m, o, "webhook")) < 0 ||
	    (err = post_json(&resp, t->webhook_url, body, timeout_ms, shown.ptr, NULL)) < 0)
		goto done;
	if (resp.status < 200 || resp.status >= 300) {
		add_quote(&why, resp.body.ptr, resp.body.len);
		err = error_setc(resp.status >= 400 && resp.status < 500 ? ERR_USAGE : -1,
				 "%s answered HTTP %ld (%s)", shown.ptr, resp.status, why.ptr);
	}
done:
	if (err < 0)
		error_scrub(err, t->webhook_url);
	free(body);
	http_response_release(&resp);
	buf_release(&why);
	buf_release(&shown);
	return err;
}

struct comment_payload {
	const struct notify_message *m;
	double now;
};

static int compose_comment(struct buf *out, const char *previous, void *payload)
{
	const struct comment_payload *c = payload;

	notify_comment_body(out, previous, c->m, c->now);
	return 0;
}

static int send_comment(char **link, const struct notify_targets *t,
			const struct notify_message *m)
{
	struct github_comment c = GITHUB_COMMENT_INIT;
	struct comment_payload p = { m, clock_wall() };
	const char *slash = strchr(m->repository, '/');
	char *owner = xstrndup(m->repository, (size_t)(slash - m->repository));
	int err;

	if (!t->github) {
		err = error_setc(ERR_USAGE, "no github client to comment with");
		goto done;
	}
	/* github's messages start with "github" */
	if ((err = github_comment_upsert_with(&c, t->github, owner, slash + 1, m->pull_request,
					      NOTIFY_COMMENT_MARKER, compose_comment, &p)) < 0)
		goto done;
	*link = c.html_url;
	c.html_url = NULL;
done:
	github_comment_release(&c);
	free(owner);
	return err;
}

/* note how channel `c` went: err is its result */
static void record(struct notify_report *out, enum notify_channel c, int err, const char *token)
{
	struct notify_result *r = &out->channel[c];

	r->tried = 1;
	r->ok = err >= 0;
	if (err < 0) {
		error_scrub(err, token);
		r->code = err;
		r->error = xstrdup(error_last());
		log_warn("notify: %s: %s", channel_names[c], r->error);
	} else {
		log_info("notify: %s: sent", channel_names[c]);
	}
}

int notify_send(struct notify_report *out, const struct notify_targets *t,
		const struct notify_message *m)
{
	long timeout = t->timeout_ms > 0 ? t->timeout_ms : NOTIFY_DEFAULT_TIMEOUT_MS;
	const char *slash = m->repository ? strchr(m->repository, '/') : NULL;
	struct buf all = BUF_INIT;
	int o = outcome_of(m->outcome), first = 0;
	size_t c;

	notify_report_release(out);
	if (o < 0)
		return error_setc(ERR_USAGE, "cannot notify: bad outcome '%s' (fixed, escalated or "
				  "failed)", m->outcome ? m->outcome : "");
	if (!slash || slash == m->repository || !slash[1] || strchr(slash + 1, '/'))
		return error_setc(ERR_USAGE, "cannot notify: bad repository '%s' (owner/name)",
				  m->repository ? m->repository : "");
	if (!m->check || !*m->check)
		return error_setc(ERR_USAGE, "cannot notify: no check named");

	if (t->telegram_token && t->telegram_chat_id)
		record(out, NOTIFY_TELEGRAM, send_telegram(t, m, timeout), t->telegram_token);
	if (t->webhook_url)
		record(out, NOTIFY_WEBHOOK, send_webhook(t, m, o, timeout), t->telegram_token);
	if (t->github_comment && m->pull_request > 0) {
		char *link = NULL;
		record(out, NOTIFY_GITHUB, send_comment(&link, t, m), t->telegram_token);
		out->channel[NOTIFY_GITHUB].link = link;
	}

	for (c = 0; c < NOTIFY_CHANNELS; c++) {
		const struct notify_result *r = &out->channel[c];
		if (!r->tried || r->ok)
			continue;
		if (!first)
			first = r->code;
		buf_addf(&all, "%s%s: %s", all.len ? "; " : "", channel_names[c], r->error);
	}
	if (first)
		error_setc(first, "notification failed: %s", all.ptr);
	buf_release(&all);
	return first;
}
