/*
 * Notifications (src/serve/notify.c) against tests/fakes/fake_hook.py
 * (Telegram's sendMessage and a webhook) and tests/fakes/fake_github.py
 * (the pull request's comment), both recording what they get.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "github/github.h"
#include "net/http.h"
#include "serve/notify.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/secret.h"

#include "fake_server.h"

#define FAKE_HOOK FIXTURES_DIR "/../fakes/fake_hook.py"
#define FAKE_GITHUB FIXTURES_DIR "/../fakes/fake_github.py"
#define BOT_TOKEN "987654321:AAEsecretBotTokenForTests_xyz-42"
#define GH_TOKEN "ghp_NOTIFYTESTTOKEN0123456789"
#define CHAT "-100123"
#define TEST_TIMEOUT_MS 5000
#define NOW 1764936000.0        /* 2025-12-05 12:00 UTC */

static void fake_start_with(struct fake *f, const char *prog, json_t *script)
{
	char *argv[] = { "python3", (char *)prog, f->script, "60", NULL };
	char *text;

	fake_init(f, "test-notify");
	json_object_set_new(script, "log", json_string(f->log));
	text = json_dumps(script, JSON_COMPACT);
	json_decref(script);
	fake_spawn(f, text, argv);
	free(text);
}

/* the hook fake, with Telegram's token, scripted Telegram and webhook replies (stolen; may be NULL) */
static void hook_start(struct fake *f, json_t *tg_replies, json_t *hook_replies)
{
	json_t *script = json_pack("{s:{s:s, s:o}, s:{s:o}}", "telegram", "token", BOT_TOKEN,
				   "replies", tg_replies ? tg_replies : json_array(), "webhook",
				   "replies", hook_replies ? hook_replies : json_array());

	fake_start_with(f, FAKE_HOOK, script);
}

struct world {
	struct fake hook, gh;
	struct github *github;
	struct buf webhook;
	struct notify_targets t;
};

/* the fakes and targets for all three channels; the replies and GitHub's faults are stolen (may be NULL) */
static void world_start(struct world *w, json_t *tg_replies, json_t *hook_replies,
			json_t *gh_faults)
{
	json_t *gh_script = json_pack("{s:s}", "token", GH_TOKEN);
	struct github_options o = GITHUB_OPTIONS_INIT;
	struct notify_targets t = {
		.telegram_token = BOT_TOKEN, .telegram_chat_id = CHAT, .github_comment = 1,
		.timeout_ms = TEST_TIMEOUT_MS,
	};

	hook_start(&w->hook, tg_replies, hook_replies);
	if (gh_faults)
		json_object_set_new(gh_script, "faults", gh_faults);
	fake_start_with(&w->gh, FAKE_GITHUB, gh_script);
	o.api_url = w->gh.base;
	o.token = GH_TOKEN;
	o.timeout_ms = TEST_TIMEOUT_MS;
	o.backoff_initial_ms = 50;
	assert_int_equal(github_open(&w->github, NULL, &o), 0);
	buf_init(&w->webhook, 0);
	buf_addf(&w->webhook, "%s/hooks/s3cr3t-path-of-the-hook", w->hook.base);
	w->t = t;
	w->t.telegram_api_url = w->hook.base;
	w->t.webhook_url = w->webhook.ptr;
	w->t.github = w->github;
}

static void world_stop(struct world *w)
{
	github_free(w->github);
	buf_release(&w->webhook);
	fake_stop(&w->hook);
	fake_stop(&w->gh);
}

static const struct notify_message fixed_message = {
	.outcome = "fixed", .repository = "acme/calc", .pull_request = 7, .check = "tests",
	.tests = "tests/test_calc.py::test_div\ntests/test_calc.py::test_mod\n",
	.summary = "guarded the division by zero in calc.divide",
	.link = "https://github.com/acme/calc/pull/7", .commit = "0123456789abcdef",
	.confidence = 0.92, .seconds = 154,
};

static const struct notify_message escalated_message = {
	.outcome = "escalated", .repository = "acme/calc", .pull_request = 7, .check = "tests",
	.tests = "tests/test_calc.py::test_div",
	.summary = "no test failure in the log: a lint failure", .confidence = 0.3,
};

/* the requests of `kind` ("telegram", "webhook") the hook got */
static json_t *hook_requests(const struct fake *f, const char *kind)
{
	json_t *all = fake_requests(f), *out = json_array(), *r;
	size_t i;

	json_array_foreach(all, i, r)
		if (!strcmp(json_string_value(json_object_get(r, "kind")), kind))
			json_array_append(out, r);
	json_decref(all);
	return out;
}

/* the comment requests (method) the GitHub fake got, in order */
static json_t *github_writes(const struct fake *f)
{
	json_t *all = fake_requests(f), *out = json_array(), *r;
	size_t i;

	json_array_foreach(all, i, r)
		if (strcmp(json_string_value(json_object_get(r, "method")), "GET"))
			json_array_append(out, r);
	json_decref(all);
	return out;
}

static const char *body_string(json_t *req, const char *key)
{
	return json_string_value(json_object_get(json_object_get(req, "body"), key));
}

static void assert_report(const struct notify_report *r, int telegram, int webhook, int github)
{
	const int want[NOTIFY_CHANNELS] = { telegram, webhook, github };
	size_t c;

	for (c = 0; c < NOTIFY_CHANNELS; c++) {
		if (want[c] < 0) {
			assert_false(r->channel[c].tried);
			continue;
		}
		assert_true(r->channel[c].tried);
		if (r->channel[c].ok != want[c])
			fail_msg("%s: ok %d, wanted %d (%s)", notify_channel_name(c), r->channel[c].ok,
				 want[c], r->channel[c].error ? r->channel[c].error : "");
		assert_true(want[c] ? r->channel[c].error == NULL : r->channel[c].error != NULL);
	}
}

static void assert_no_secret(const char *s)
{
	if (s && (strstr(s, BOT_TOKEN) || strstr(s, "987654321:AAE") || strstr(s, "s3cr3t")))
		fail_msg("a secret shows in '%s'", s);
}

/* ---- every channel ---- */

static void notify__all_three_channels_say_what_happened(void **state)
{
	struct notify_report r = NOTIFY_REPORT_INIT;
	struct world w;
	json_t *reqs, *details;
	const char *text;

	world_start(&w, NULL, NULL, NULL);
	assert_int_equal(notify_send(&r, &w.t, &fixed_message), 0);
	assert_report(&r, 1, 1, 1);
	assert_non_null(strstr(r.channel[NOTIFY_GITHUB].link, "/acme/calc/pull/7#issuecomment-"));

	reqs = hook_requests(&w.hook, "telegram");
	assert_int_equal(json_array_size(reqs), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(reqs, 0), "token")),
			    "expected");
	assert_string_equal(body_string(json_array_get(reqs, 0), "chat_id"), CHAT);
	text = body_string(json_array_get(reqs, 0), "text");
	assert_non_null(strstr(text, "pytest-fixer fixed 'tests' in acme/calc#7"));
	assert_non_null(strstr(text, "- tests/test_calc.py::test_div\n"));
	assert_non_null(strstr(text, "- tests/test_calc.py::test_mod\n"));
	assert_non_null(strstr(text, "What was done: guarded the division by zero"));
	assert_non_null(strstr(text, "Commit: 0123456789abcdef"));
	assert_non_null(strstr(text, "Confidence: 0.92"));
	assert_non_null(strstr(text, "Time to fix: 2m 34s"));
	assert_non_null(strstr(text, "Link: https://github.com/acme/calc/pull/7"));
	json_decref(reqs);

	reqs = hook_requests(&w.hook, "webhook");
	assert_int_equal(json_array_size(reqs), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(reqs, 0), "path")),
			    "/hooks/s3cr3t-path-of-the-hook");
	assert_string_equal(body_string(json_array_get(reqs, 0), "event_type"), "notification.send");
	assert_string_equal(body_string(json_array_get(reqs, 0), "channel"), "webhook");
	assert_string_equal(body_string(json_array_get(reqs, 0), "priority"), "medium");
	assert_string_equal(body_string(json_array_get(reqs, 0), "pr_url"),
			    "https://github.com/acme/calc/pull/7");
	assert_string_equal(body_string(json_array_get(reqs, 0), "message"),
			    "pytest-fixer fixed 'tests' in acme/calc#7");
	details = json_object_get(json_object_get(json_array_get(reqs, 0), "body"), "details");
	assert_string_equal(json_string_value(json_object_get(details, "fix_type")), "automated");
	assert_int_equal(json_integer_value(json_object_get(details, "issues_fixed")), 2);
	assert_string_equal(json_string_value(json_object_get(details, "time_to_fix")), "2m 34s");
	assert_string_equal(json_string_value(json_object_get(details, "repository")), "acme/calc");
	assert_int_equal(json_integer_value(json_object_get(details, "pull_request")), 7);
	assert_string_equal(json_string_value(json_object_get(details, "check")), "tests");
	assert_string_equal(json_string_value(json_array_get(json_object_get(details, "tests"), 1)),
			    "tests/test_calc.py::test_mod");
	assert_string_equal(json_string_value(json_object_get(details, "commit")),
			    "0123456789abcdef");
	assert_true(json_real_value(json_object_get(details, "confidence")) > 0.91);
	json_decref(reqs);

	reqs = github_writes(&w.gh);
	assert_int_equal(json_array_size(reqs), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(reqs, 0), "path")),
			    "/repos/acme/calc/issues/7/comments");
	text = body_string(json_array_get(reqs, 0), "body");
	assert_true(!strncmp(text, NOTIFY_COMMENT_MARKER "\n", strlen(NOTIFY_COMMENT_MARKER) + 1));
	assert_non_null(strstr(text, "pytest-fixer fixed `tests`"));
	assert_non_null(strstr(text, "- `tests/test_calc.py::test_div`"));
	assert_non_null(strstr(text, "**What was done:** guarded the division by zero"));
	assert_non_null(strstr(text, "[link](https://github.com/acme/calc/pull/7)"));
	assert_null(strstr(text, "Earlier events"));
	json_decref(reqs);
	notify_report_release(&r);
	world_stop(&w);
}

static void notify__only_what_is_configured_is_tried(void **state)
{
	struct notify_report r = NOTIFY_REPORT_INIT;
	struct notify_targets none = { 0 };
	struct notify_message m = fixed_message;
	struct world w;
	json_t *reqs;

	assert_int_equal(notify_send(&r, &none, &m), 0);
	assert_report(&r, -1, -1, -1);

	/* no pull request: no comment; Telegram without a chat: not tried */
	world_start(&w, NULL, NULL, NULL);
	m.pull_request = 0;
	w.t.telegram_chat_id = NULL;
	assert_int_equal(notify_send(&r, &w.t, &m), 0);
	assert_report(&r, -1, 1, -1);
	reqs = github_writes(&w.gh);
	assert_int_equal(json_array_size(reqs), 0);
	json_decref(reqs);
	notify_report_release(&r);
	world_stop(&w);
}

/* ---- Telegram ---- */

static void notify__telegram_429_waits_retry_after(void **state)
{
	struct notify_report r = NOTIFY_REPORT_INIT;
	struct world w;
	json_t *reqs;
	double start;

	world_start(&w, json_pack("[{s:i}]", "retry_after", 1), NULL, NULL);
	w.t.webhook_url = NULL;
	w.t.github_comment = 0;
	start = clock_monotonic();
	assert_int_equal(notify_send(&r, &w.t, &escalated_message), 0);
	assert_true(clock_monotonic() - start >= 0.95);
	assert_report(&r, 1, -1, -1);
	reqs = hook_requests(&w.hook, "telegram");
	assert_int_equal(json_array_size(reqs), 2);
	assert_non_null(strstr(body_string(json_array_get(reqs, 1), "text"),
			       "escalated 'tests' in acme/calc#7 to a human"));
	assert_non_null(strstr(body_string(json_array_get(reqs, 1), "text"),
			       "Why it was escalated: no test failure in the log"));
	json_decref(reqs);
	notify_report_release(&r);
	world_stop(&w);
}

static void notify__telegram_429_asking_too_long_fails_at_once(void **state)
{
	struct notify_report r = NOTIFY_REPORT_INIT;
	struct world w;
	double start;

	world_start(&w, json_pack("[{s:i}]", "retry_after", 3600), NULL, NULL);
	start = clock_monotonic();
	assert_int_equal(notify_send(&r, &w.t, &fixed_message), ERR_LIMIT);
	assert_true(clock_monotonic() - start < 3);
	assert_report(&r, 0, 1, 1);
	assert_non_null(strstr(r.channel[NOTIFY_TELEGRAM].error, "rate limited"));
	assert_non_null(strstr(r.channel[NOTIFY_TELEGRAM].error, "Too Many Requests"));
	assert_no_secret(r.channel[NOTIFY_TELEGRAM].error);
	notify_report_release(&r);
	world_stop(&w);
}

static void notify__telegram_ok_false_is_a_failure(void **state)
{
	struct notify_report r = NOTIFY_REPORT_INIT;
	struct world w;

	/* HTTP 200 but "ok": false */
	world_start(&w, json_pack("[{s:i, s:b, s:s}]", "status", 200, "ok", 0, "description",
				  "Bad Request: chat not found"), NULL, NULL);
	assert_true(notify_send(&r, &w.t, &fixed_message) < 0);
	assert_report(&r, 0, 1, 1);
	assert_non_null(strstr(r.channel[NOTIFY_TELEGRAM].error, "\"ok\" is not true"));
	assert_non_null(strstr(r.channel[NOTIFY_TELEGRAM].error, "chat not found"));
	assert_non_null(strstr(error_last(), "notification failed: telegram: "));
	assert_no_secret(error_last());
	notify_report_release(&r);
	world_stop(&w);
}

/* ---- the webhook ---- */

static void notify__webhook_500_does_not_stop_the_others(void **state)
{
	struct notify_report r = NOTIFY_REPORT_INIT;
	struct world w;
	json_t *reqs;

	world_start(&w, NULL, json_pack("[{s:i, s:s}]", "status", 500, "body", "boom"), NULL);
	assert_int_equal(notify_send(&r, &w.t, &fixed_message), -1);
	assert_report(&r, 1, 0, 1);
	assert_int_equal(r.channel[NOTIFY_WEBHOOK].code, -1);
	assert_non_null(strstr(r.channel[NOTIFY_WEBHOOK].error, "HTTP 500 (boom)"));
	/* the webhook is named by its origin: its path may be a secret */
	assert_non_null(strstr(r.channel[NOTIFY_WEBHOOK].error, w.hook.base));
	assert_no_secret(r.channel[NOTIFY_WEBHOOK].error);
	assert_non_null(strstr(error_last(), "webhook at"));
	assert_null(strstr(error_last(), "telegram"));
	reqs = hook_requests(&w.hook, "telegram");
	assert_int_equal(json_array_size(reqs), 1);
	json_decref(reqs);
	reqs = github_writes(&w.gh);
	assert_int_equal(json_array_size(reqs), 1);
	json_decref(reqs);
	notify_report_release(&r);
	world_stop(&w);
}

/* ---- the comment ---- */

static void notify__github_failure_does_not_stop_the_others(void **state)
{
	struct notify_report r = NOTIFY_REPORT_INIT;
	struct world w;

	world_start(&w, NULL, NULL, json_pack("[{s:s, s:i, s:s}]", "path",
					      "/repos/acme/calc/issues/7/comments", "status", 403,
					      "message", "Resource not accessible by integration"));
	assert_int_equal(notify_send(&r, &w.t, &fixed_message), ERR_USAGE);
	assert_report(&r, 1, 1, 0);
	assert_int_equal(r.channel[NOTIFY_GITHUB].code, ERR_USAGE);
	assert_non_null(strstr(r.channel[NOTIFY_GITHUB].error,
			       "GET /repos/acme/calc/issues/7/comments"));
	assert_non_null(strstr(r.channel[NOTIFY_GITHUB].error, "Resource not accessible"));
	assert_null(r.channel[NOTIFY_GITHUB].link);
	assert_non_null(strstr(error_last(), "notification failed: github: github refused"));
	/* no client at all */
	w.t.github = NULL;
	assert_int_equal(notify_send(&r, &w.t, &fixed_message), ERR_USAGE);
	assert_non_null(strstr(r.channel[NOTIFY_GITHUB].error, "no github client"));
	notify_report_release(&r);
	world_stop(&w);
}

static void notify__comment_is_edited_in_place_with_history(void **state)
{
	struct notify_report r = NOTIFY_REPORT_INIT;
	struct notify_message third = escalated_message;
	struct world w;
	json_t *reqs, *all;
	const char *text;
	size_t i, lists = 0;

	world_start(&w, NULL, NULL, NULL);
	w.t.telegram_token = NULL;
	w.t.webhook_url = NULL;
	assert_int_equal(notify_send(&r, &w.t, &escalated_message), 0);
	assert_report(&r, -1, -1, 1);
	assert_int_equal(notify_send(&r, &w.t, &fixed_message), 0);
	third.summary = "the fix commit failed CI: not fixed again";
	assert_int_equal(notify_send(&r, &w.t, &third), 0);

	reqs = github_writes(&w.gh);
	assert_int_equal(json_array_size(reqs), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(reqs, 0), "method")),
			    "POST");
	for (i = 1; i < 3; i++) {
		assert_string_equal(json_string_value(json_object_get(json_array_get(reqs, i),
								      "method")), "PATCH");
		assert_non_null(strstr(json_string_value(json_object_get(json_array_get(reqs, i),
									 "path")),
				       "/repos/acme/calc/issues/comments/"));
	}
	/* the second: fixed on top, the escalation below */
	text = body_string(json_array_get(reqs, 1), "body");
	assert_non_null(strstr(text, "pytest-fixer fixed `tests`"));
	assert_non_null(strstr(text, "Earlier events (1)"));
	assert_non_null(strstr(text, ": escalated `tests`: no test failure in the log"));
	assert_true(strstr(text, "fixed `tests`") < strstr(text, "Earlier events"));
	/* the third: escalated again on top, then fixed, then the first escalation */
	text = body_string(json_array_get(reqs, 2), "body");
	assert_non_null(strstr(text, "**Why it was escalated:** the fix commit failed CI"));
	assert_non_null(strstr(text, "Earlier events (2)"));
	assert_true(strstr(text, ": fixed `tests` at `0123456789abcdef`: guarded") <
		    strstr(text, ": escalated `tests`: no test failure"));
	json_decref(reqs);

	all = fake_requests(&w.gh);
	for (i = 0; i < json_array_size(all); i++)
		lists += !strcmp(json_string_value(json_object_get(json_array_get(all, i), "method")),
				 "GET");
	assert_int_equal(lists, 3);     /* one listing per event */
	json_decref(all);
	notify_report_release(&r);
	world_stop(&w);
}

static void notify__comment_body_is_safe_and_keeps_ten(void **state)
{
	struct notify_message m = escalated_message;
	struct buf body = BUF_INIT, prev = BUF_INIT;
	const char *hist;
	int i;

	m.summary = "@octocat said <script>alert(1)</script> --> & more";
	m.tests = "tests/test_`x`.py::test_a";
	m.link = "javascript:alert(1)";
	notify_comment_body(&body, NULL, &m, NOW);
	assert_null(strstr(body.ptr, "@octocat"));
	assert_null(strstr(body.ptr, "<script>"));
	assert_non_null(strstr(body.ptr, "&#64;octocat said &lt;script&gt;"));
	assert_non_null(strstr(body.ptr, "`tests/test_'x'.py::test_a`"));
	assert_non_null(strstr(body.ptr, "`javascript:alert(1)`"));
	assert_null(strstr(body.ptr, "](javascript"));
	assert_non_null(strstr(body.ptr, "**When:** 2025-12-05 12:00 UTC"));
	/* the history holds no "-->" before its end */
	hist = strstr(body.ptr, NOTIFY_HISTORY_OPEN);
	assert_non_null(hist);
	assert_ptr_equal(strstr(hist, "-->"), body.ptr + body.len - 4);

	/* read back (the summary's "-->" and all), and capped at ten earlier events */
	for (i = 0; i < 12; i++) {
		buf_reset(&prev);
		buf_add(&prev, body.ptr, body.len);
		buf_reset(&body);
		notify_comment_body(&body, prev.ptr, &fixed_message, NOW + 60 * (i + 1));
	}
	assert_non_null(strstr(body.ptr, "Earlier events (10)"));
	assert_null(strstr(body.ptr, "script"));        /* the first event fell off */
	assert_non_null(strstr(body.ptr, "- 2025-12-05 12:11 UTC: fixed"));
	assert_null(strstr(body.ptr, "- 2025-12-05 12:12 UTC"));        /* that is the latest */

	/* a test id quoting a history is shown, never read back as ours */
	m.tests = "t" NOTIFY_HISTORY_OPEN "[{\"outcome\":\"fixed\",\"at\":1,\"summary\":\"SPOOF\"}] -->";
	buf_reset(&body);
	notify_comment_body(&body, NULL, &m, NOW);
	assert_non_null(strstr(body.ptr, "SPOOF"));
	buf_reset(&prev);
	buf_add(&prev, body.ptr, body.len);
	buf_reset(&body);
	notify_comment_body(&body, prev.ptr, &fixed_message, NOW + 60);
	assert_non_null(strstr(body.ptr, "Earlier events (1)"));
	assert_null(strstr(body.ptr, "SPOOF"));

	/* a history that cannot be read is started anew */
	buf_reset(&body);
	notify_comment_body(&body, NOTIFY_COMMENT_MARKER "\n" NOTIFY_HISTORY_OPEN "[{\"outcome\": "
			    "\"pwned\", \"at\": 1}, 7, {\"outcome\": \"fixed\", \"at\": -5}]"
			    NOTIFY_HISTORY_CLOSE, &m, NOW);
	assert_null(strstr(body.ptr, "Earlier events"));
	buf_reset(&body);
	notify_comment_body(&body, NOTIFY_HISTORY_OPEN "{not json", &m, NOW);
	assert_null(strstr(body.ptr, "Earlier events"));
	buf_release(&prev);
	buf_release(&body);
}

/* ---- secrets ---- */

static void notify__the_token_is_never_shown(void **state)
{
	struct notify_report r = NOTIFY_REPORT_INIT;
	struct world w;
	struct buf log = BUF_INIT, logfile = BUF_INIT, closed = BUF_INIT;
	int saved = dup(2), fd;
	enum log_level level = log_current_level;
	size_t c;

	world_start(&w, json_pack("[{s:i, s:s}, {s:i}, {s:s}]", "status", 502, "description",
				  "Bad Gateway", "retry_after", 5000, "body", "garbage"),
		    json_pack("[{s:i}, {s:i}]", "status", 404, "status", 500), NULL);
	buf_addf(&logfile, "%s/stderr.log", w.hook.dir.ptr);
	fd = open(logfile.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(dup2(fd, 2), 2);
	log_set_level(LOG_DEBUG);

	/* refused (502), rate limited too long, garbage, then nothing listening */
	for (c = 0; c < 3; c++) {
		assert_true(notify_send(&r, &w.t, &fixed_message) < 0);
		assert_false(r.channel[NOTIFY_TELEGRAM].ok);
		assert_no_secret(r.channel[NOTIFY_TELEGRAM].error);
		assert_no_secret(r.channel[NOTIFY_WEBHOOK].error);
		assert_no_secret(error_last());
	}
	/* a port where nothing listens: libcurl's message names the URL */
	buf_addf(&closed, "http://127.0.0.1:1");
	w.t.telegram_api_url = closed.ptr;
	buf_reset(&w.webhook);
	buf_addf(&w.webhook, "http://user:s3cr3t@127.0.0.1:1/s3cr3t");
	w.t.webhook_url = w.webhook.ptr;
	assert_true(notify_send(&r, &w.t, &fixed_message) < 0);
	assert_false(r.channel[NOTIFY_TELEGRAM].ok);
	assert_false(r.channel[NOTIFY_WEBHOOK].ok);
	assert_non_null(strstr(r.channel[NOTIFY_TELEGRAM].error, "telegram at 'http://127.0.0.1:1'"));
	assert_non_null(strstr(r.channel[NOTIFY_WEBHOOK].error, "webhook at 'http://127.0.0.1:1'"));
	for (c = 0; c < NOTIFY_CHANNELS; c++)
		assert_no_secret(r.channel[c].error);
	assert_no_secret(error_last());
	/* a token that would change the URL is refused without being shown */
	w.t.telegram_token = "abc/../../x?" BOT_TOKEN;
	assert_true(notify_send(&r, &w.t, &fixed_message) < 0);
	assert_non_null(strstr(r.channel[NOTIFY_TELEGRAM].error, "bad telegram bot token"));
	assert_no_secret(r.channel[NOTIFY_TELEGRAM].error);

	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	log_set_level(level);
	assert_int_equal(fs_read_file(&log, logfile.ptr, 0), 0);
	assert_non_null(strstr(log.ptr, "notify: telegram: "));   /* something was logged */
	assert_no_secret(log.ptr);
	/* nor did the fake's own log get it */
	buf_reset(&log);
	assert_int_equal(fs_read_file(&log, w.hook.log, 0), 0);
	assert_null(strstr(log.ptr, BOT_TOKEN));
	notify_report_release(&r);
	buf_release(&closed);
	buf_release(&log);
	buf_release(&logfile);
	world_stop(&w);
}

static void notify__bad_messages_are_refused(void **state)
{
	struct notify_report r = NOTIFY_REPORT_INIT;
	struct notify_targets none = { 0 };
	struct notify_message m = fixed_message;

	m.outcome = "done";
	assert_int_equal(notify_send(&r, &none, &m), ERR_USAGE);
	assert_non_null(strstr(error_last(), "bad outcome 'done'"));
	m.outcome = "fixed";
	m.repository = "acme";
	assert_int_equal(notify_send(&r, &none, &m), ERR_USAGE);
	assert_non_null(strstr(error_last(), "bad repository 'acme'"));
	m.repository = "acme/calc/x";
	assert_int_equal(notify_send(&r, &none, &m), ERR_USAGE);
	m.repository = "acme/calc";
	m.check = "";
	assert_int_equal(notify_send(&r, &none, &m), ERR_USAGE);
	assert_report(&r, -1, -1, -1);
}

int main(void)
{
	static const char *const unset[] = {
		"GITHUB_TOKEN", "GITHUB_API_URL", "TELEGRAM_BOT_TOKEN", "TELEGRAM_API_URL",
		"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
	};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(notify__all_three_channels_say_what_happened),
		cmocka_unit_test(notify__only_what_is_configured_is_tried),
		cmocka_unit_test(notify__telegram_429_waits_retry_after),
		cmocka_unit_test(notify__telegram_429_asking_too_long_fails_at_once),
		cmocka_unit_test(notify__telegram_ok_false_is_a_failure),
		cmocka_unit_test(notify__webhook_500_does_not_stop_the_others),
		cmocka_unit_test(notify__github_failure_does_not_stop_the_others),
		cmocka_unit_test(notify__comment_is_edited_in_place_with_history),
		cmocka_unit_test(notify__comment_body_is_safe_and_keeps_ten),
		cmocka_unit_test(notify__the_token_is_never_shown),
		cmocka_unit_test(notify__bad_messages_are_refused),
	};
	size_t i;
	int failed;

	for (i = 0; i < sizeof(unset) / sizeof(unset[0]); i++)
		unsetenv(unset[i]);
	signal(SIGPIPE, SIG_IGN);
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	http_global_cleanup();
	return failed;
}
