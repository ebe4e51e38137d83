#ifndef SERVE_WEBHOOK_H
#define SERVE_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

/*
 * GitHub webhook deliveries, read without a server: webhook_verify() checks
 * the X-Hub-Signature-256 HMAC on the raw body, then webhook_parse() turns
 * the body into a typed event, or an ignored one with the reason. Pure
 * functions: no I/O, no global state. The event owns its strings
 * (webhook_event_release() frees them).
 *
 * Errors: a missing, malformed or wrong signature, or an empty secret, is
 * WEBHOOK_ERR_AUTH (the server answers 401); a body over WEBHOOK_MAX_BODY is
 * ERR_LIMIT (413); a body that is not a valid event is ERR_PARSE (400). No
 * message quotes the secret or the signature.
 */

#define WEBHOOK_MAX_BODY (25u * 1024 * 1024) /* GitHub's cap on a delivery */
#define WEBHOOK_SIGNATURE_PREFIX "sha256="
#define WEBHOOK_HMAC_SIZE 32                  /* bytes of an HMAC-SHA256 */
#define WEBHOOK_MAX_HEADER 64                 /* event name and delivery id */
#define WEBHOOK_MAX_OWNER 39                  /* GitHub's limits on names */
#define WEBHOOK_MAX_REPO_NAME 100
#define WEBHOOK_MAX_NAME 255                  /* a branch or a check's name */
#define WEBHOOK_MAX_URL 2048
#define WEBHOOK_MAX_PULL_REQUESTS 100
#define WEBHOOK_SHA_HEX 40

/* util/error.h has no authentication code: a signature that does not match is a conflict */
#define WEBHOOK_ERR_AUTH ERR_CONFLICT

enum webhook_kind {
	WEBHOOK_IGNORED = 0,     /* see `ignored`; only `delivery_id` and `event` are set */
	WEBHOOK_CHECK_RUN,
	WEBHOOK_CHECK_SUITE,
	WEBHOOK_WORKFLOW_RUN,
};

/* whether the pull request's head is in another repository */
enum webhook_fork {
	WEBHOOK_FORK_UNKNOWN = -1, /* the payload does not say */
	WEBHOOK_FORK_NO = 0,
	WEBHOOK_FORK_YES = 1,
};

struct webhook_event {
	enum webhook_kind kind;
	char *ignored;          /* why the delivery needs no work (kind WEBHOOK_IGNORED) */
	char *delivery_id;      /* X-GitHub-Delivery */
	char *event;            /* X-GitHub-Event */
	char *repository;       /* "owner/name" */
	char *clone_url;
	char *head_sha;         /* 40 lowercase hex */
	char *head_branch;      /* NULL when the payload has none (a detached run) */
	char *check;            /* the check run's, workflow's or app's name */
	char *conclusion;       /* "failure" or "timed_out" */
	uint64_t run_id;        /* check run, check suite or workflow run id */
	long *pull_requests;    /* their numbers, in the payload's order */
	size_t pull_requests_nr;
	long pull_request;      /* the first of them; 0 for none */
	enum webhook_fork fork;
};

#define WEBHOOK_EVENT_INIT { .kind = WEBHOOK_IGNORED, .fork = WEBHOOK_FORK_UNKNOWN }

/*
 * HMAC-SHA256 of <data, len> under <key, key_len> into `out`; 0, or -1 when
 * libcrypto fails.
 */
int webhook_hmac_sha256(unsigned char out[WEBHOOK_HMAC_SIZE], const void *key, size_t key_len,
			const void *data, size_t len);

/*
 * 0 when `signature_header` is "sha256=" and the 64 lowercase hex digits of
 * the HMAC-SHA256 of <body, len> under `secret`, compared in constant time;
 * WEBHOOK_ERR_AUTH when the header is NULL or malformed, the secret NULL or
 * empty, or the HMAC differs; ERR_LIMIT over WEBHOOK_MAX_BODY.
 */
int webhook_verify(const char *secret, const void *body, size_t len,
		   const char *signature_header);

/*
 * Read a verified delivery into `out` (which webhook_event_release() frees,
 * also after an error): check_run and check_suite completed with conclusion
 * failure or timed_out, workflow_run completed with failure; any other
 * event, action or conclusion is WEBHOOK_IGNORED with the reason. ERR_PARSE
 * names the header or field that is wrong (a NUL byte, invalid UTF-8, a
 * missing key, a string too long or of the wrong shape); ERR_LIMIT over
 * WEBHOOK_MAX_BODY or WEBHOOK_MAX_PULL_REQUESTS.
 */
int webhook_parse(struct webhook_event *out, const char *event_header, const char *delivery_id,
		  const void *body, size_t len);

void webhook_event_release(struct webhook_event *ev);

/* "check_run", "check_suite", "workflow_run" or "ignored" (static) */
const char *webhook_kind_name(enum webhook_kind kind);

#endif
