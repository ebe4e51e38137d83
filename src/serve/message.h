#ifndef SERVE_MESSAGE_H
#define SERVE_MESSAGE_H

#include "util/strvec.h"

#include <jansson.h>

/*
 * The seed's three messages (seed 004, "Message Formats"), built from plain
 * C values, with exactly the seed's keys in the seed's order:
 *
 *   check.failed       {"event_type", "pr_id", "repository", "check_name",
 *                       "check_run_id", "failure_timestamp", "log_url"}
 *   fix.requested      {"event_type", "pr_id", "analysis_id", "priority",
 *                       "estimated_complexity", "files_to_modify"}
 *   notification.send  {"event_type", "priority", "channel", "message",
 *                       "pr_url", "details": {"fix_type", "issues_fixed",
 *                       "time_to_fix"}}
 *
 * As in the seed, ids are strings ("check_run_id": "12345"), times are UTC
 * "YYYY-MM-DDTHH:MM:SSZ" and durations "2m 34s". A value we do not have is
 * null (a pull request's URL for a push without one, an unknown time); a
 * notification's "details" may carry more than the seed's three keys (its
 * `extra`), never fewer.
 *
 * Errors: ERR_USAGE naming the field for a required one missing or empty,
 * a value outside its set (priority, complexity, channel, fix type) or a
 * string that is not UTF-8. The module depends on no other serve module.
 *
 * Ownership: the json_t a builder returns through `out` is the caller's
 * (json_decref); message_text() returns a string the caller frees.
 */

#define MESSAGE_CHECK_FAILED "check.failed"
#define MESSAGE_FIX_REQUESTED "fix.requested"
#define MESSAGE_NOTIFICATION "notification.send"
/* the seed's priorities, estimated complexities, channels and fix types */
#define MESSAGE_PRIORITIES { "low", "medium", "high", "critical", NULL }
#define MESSAGE_COMPLEXITIES { "low", "medium", "high", NULL }
#define MESSAGE_CHANNELS { "telegram", "webhook", "github", NULL }
#define MESSAGE_FIX_TYPES { "automated", "escalated", "failed", NULL }
/* room for the longest time_to_fix text, "99999999d 23h 59m 59s" (as the compiler counts it) */
#define MESSAGE_DURATION_MAX 96

struct message_check_failed {
	const char *pr_id;              /* required: our id of the pull request, "acme/calc#7" */
	const char *repository;         /* required: "owner/name" */
	const char *check_name;         /* required: "tests" */
	long long check_run_id;         /* > 0 */
	double failure_time;            /* wall-clock seconds; <= 0: null */
	const char *log_url;            /* NULL: null */
};

struct message_fix_requested {
	const char *pr_id;                      /* required */
	const char *analysis_id;                /* required */
	const char *priority;                   /* MESSAGE_PRIORITIES */
	const char *estimated_complexity;       /* MESSAGE_COMPLEXITIES */
	const struct strvec *files_to_modify;   /* NULL: [] */
};

struct message_notification {
	const char *priority;           /* MESSAGE_PRIORITIES */
	const char *channel;            /* MESSAGE_CHANNELS */
	const char *message;            /* required: one line for people */
	const char *pr_url;             /* NULL: null */
	const char *fix_type;           /* MESSAGE_FIX_TYPES */
	long issues_fixed;              /* >= 0 */
	double time_to_fix;             /* seconds; < 0: null */
	json_t *extra;                  /* NULL, or an object whose members are added to
					   "details" after the seed's (borrowed) */
};

/*
 * Our id of a pull request for pr_id: "owner/name#7", or "owner/name@abc1234"
 * for a commit without one (a push's run), appended to `out`.
 */
struct buf;
void message_pr_id(struct buf *out, const char *repository, long pull_request,
		   const char *head_sha);

int message_check_failed(json_t **out, const struct message_check_failed *m);
int message_fix_requested(json_t **out, const struct message_fix_requested *m);
int message_notification(json_t **out, const struct message_notification *m);

/* a message as compact JSON text, keys in order (the caller frees it) */
char *message_text(const json_t *m);

/* "2m 34s" ("0s", "45s", "1h 02m 03s", "2d 03h 04m 05s") for `seconds` (rounded down, >= 0) */
void message_duration(char out[MESSAGE_DURATION_MAX], double seconds);
/* "2024-01-15T10:30:00Z" for wall-clock `seconds` */
#define MESSAGE_TIMESTAMP_MAX 32
void message_timestamp(char out[MESSAGE_TIMESTAMP_MAX], double seconds);

#endif
