#ifndef SERVE_NOTIFY_H
#define SERVE_NOTIFY_H

#include "util/buf.h"

struct github;

/*
 * Telling people what the service did with a failed check: a Telegram
 * message (Bot API sendMessage), a JSON POST of the seed's
 * notification.send message to a webhook, and ONE comment per pull request
 * that is edited in place (the latest outcome on top, a short history of
 * the earlier ones below). Each message carries the repository, the pull
 * request, the check and its failing tests, what was done or why it was
 * escalated, and a link.
 *
 * notify_send() tries every configured channel; one failing does not stop
 * the others, and the report says, per channel, whether it was tried,
 * whether it worked and why not. HTTP goes through net/http.h and every
 * answer's status is checked (Telegram's "ok" too).
 *
 * Secrets: the bot token is part of Telegram's URL, so that URL is never
 * put in a message or a log line (Telegram is named by its API URL's
 * origin, "telegram at 'https://api.telegram.org'") and what libcurl says
 * is scrubbed of the token; the caller registers the token with
 * util/secret.h as well (serve/config.c does), which every message and log
 * line passes through. A webhook URL may hold a secret too (Slack's do):
 * only its origin is ever shown.
 *
 * Ownership: the message and targets are the caller's; the report's
 * strings are the report's (notify_report_release()).
 */

#define NOTIFY_TELEGRAM_API_URL_DEFAULT "https://api.telegram.org"
/* the mark by which our comment on a pull request is found again */
#define NOTIFY_COMMENT_MARKER "<!-- pytest-fixer -->"
/* where the comment keeps its history for the next edit (an HTML comment: not shown) */
#define NOTIFY_HISTORY_OPEN "<!-- pytest-fixer:history "
#define NOTIFY_HISTORY_CLOSE " -->"
/* earlier events the comment lists under the latest */
#define NOTIFY_COMMENT_HISTORY 10
/* per request, when the targets leave it at 0 */
#define NOTIFY_DEFAULT_TIMEOUT_MS (15 * 1000)
/* Telegram answering 429: retries, and the longest retry_after waited for (else it fails at once) */
#define NOTIFY_TELEGRAM_MAX_RETRIES 3
#define NOTIFY_TELEGRAM_MAX_RETRY_WAIT_MS (30L * 1000)
/* the longest message text sent to Telegram, in bytes (its limit is 4096 characters) */
#define NOTIFY_TELEGRAM_MAX_TEXT 4000
/* answers larger than this are refused */
#define NOTIFY_MAX_ANSWER_BYTES (256u * 1024)
/* the part of an error answer quoted in a message */
#define NOTIFY_ERROR_QUOTE_BYTES 200
/* failing tests listed in a message before "and N more" */
#define NOTIFY_MAX_TESTS 10
/* a summary is cut to this many bytes in the comment's history */
#define NOTIFY_HISTORY_SUMMARY_MAX 200
/* ... and to this many elsewhere */
#define NOTIFY_SUMMARY_MAX 2000

struct notify_message {
	const char *outcome;     /* "fixed" | "escalated" | "failed" */
	const char *repository;  /* "owner/name" */
	long pull_request;       /* 0: none (a push without one) */
	const char *check;       /* the check run's or workflow job's name, "tests" */
	const char *tests;       /* failing test ids, newline separated; may be NULL */
	const char *summary;     /* what was done, or why it was escalated or failed; may be NULL */
	const char *link;        /* the pull request's or commit's URL; may be NULL */
	const char *commit;      /* the fix commit; may be NULL */
	double confidence;       /* the analysis's, 0..1; < 0: unknown */
	double seconds;          /* from the failure to this outcome; <= 0: unknown */
};

struct notify_targets {
	const char *telegram_api_url;   /* NULL: NOTIFY_TELEGRAM_API_URL_DEFAULT */
	const char *telegram_token;     /* Telegram is used when both the token */
	const char *telegram_chat_id;   /* and the chat are set */
	const char *webhook_url;        /* NULL: no webhook */
	struct github *github;          /* for the comment; borrowed */
	int github_comment;             /* comment on the pull request (when pull_request > 0) */
	long timeout_ms;                /* per request; 0: NOTIFY_DEFAULT_TIMEOUT_MS */
};

enum notify_channel { NOTIFY_TELEGRAM, NOTIFY_WEBHOOK, NOTIFY_GITHUB, NOTIFY_CHANNELS };

struct notify_result {
	int tried;              /* configured for this message */
	int ok;
	int code;               /* the error code when tried and not ok */
	char *error;            /* why not, when tried and not ok */
	char *link;             /* the comment's URL (GitHub) */
};

struct notify_report {
	struct notify_result channel[NOTIFY_CHANNELS];
};
#define NOTIFY_REPORT_INIT { { { 0, 0, 0, NULL, NULL } } }
void notify_report_release(struct notify_report *r);
/* "telegram", "webhook", "github" */
const char *notify_channel_name(enum notify_channel c);

/*
 * Send `m` on every channel `t` configures, each whatever became of the
 * others, into the report `out` (initialised by the caller; released and
 * filled here). 0 when every channel tried worked, or none was configured;
 * else the code of the first that failed, with the message naming each
 * failed channel and why. ERR_USAGE before anything is sent for a message
 * without a repository "owner/name", a check, or a known outcome.
 *
 * Telegram: POST {telegram_api_url}/bot<token>/sendMessage {chat_id, text}
 * (plain text, cut to NOTIFY_TELEGRAM_MAX_TEXT); HTTP 2xx and "ok": true,
 * else the error quotes Telegram's "description". 429 waits
 * parameters.retry_after (else Retry-After) and tries again, at most
 * NOTIFY_TELEGRAM_MAX_RETRIES times and never longer than
 * NOTIFY_TELEGRAM_MAX_RETRY_WAIT_MS at once; ERR_INTERRUPTED on a signal.
 * Webhook: POST of the seed's notification.send (serve/message.h) with
 * channel "webhook" and the details: outcome, repository, pull_request,
 * check, tests (a list), summary, commit, link, confidence; HTTP 2xx.
 * GitHub: github_comment_upsert_with() on the pull request with
 * NOTIFY_COMMENT_MARKER and notify_comment_body().
 */
int notify_send(struct notify_report *out, const struct notify_targets *t,
		const struct notify_message *m);

/* the plain text of the Telegram message for `m` (appended to `out`) */
/*
 * The seed's notification.send message for `m` on `channel` ("telegram",
 * "webhook", "github"), as the webhook is sent it, into *out (compact JSON
 * text, the caller frees it): the service stores one per channel tried.
 * ERR_USAGE for an unknown outcome.
 */
int notify_seed_message(char **out, const struct notify_message *m, const char *channel);
void notify_text(struct buf *out, const struct notify_message *m);

/*
 * The Markdown of our pull-request comment for `m`, at wall-clock time
 * `now`, appended to `out`: the marker, the latest outcome, then up to
 * NOTIFY_COMMENT_HISTORY earlier events read back from `previous` (our
 * earlier comment's body; NULL or a body whose history cannot be read: none),
 * newest first, and the history for the next edit. Text from outside
 * (test ids, summaries) cannot open HTML, mention anyone or close the
 * history.
 */
void notify_comment_body(struct buf *out, const char *previous, const struct notify_message *m,
			 double now);

#endif
