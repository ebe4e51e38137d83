#ifndef LLM_HTTP_H
#define LLM_HTTP_H

#include "util/buf.h"
#include "util/strvec.h"

#include <stddef.h>

/*
 * The HTTP client of the LLM providers: the only user of libcurl. One POST
 * of a JSON body; the answer's status is returned, not judged (a 4xx or 5xx
 * is a successful exchange here: the caller reads its body). Streamed
 * answers (Server-Sent Events) are also handed to a callback one `data:`
 * payload at a time, as they arrive.
 *
 * Error messages never hold the request headers (the API key is in one);
 * they name the URL and curl's own explanation.
 *
 * Ownership: the request is the caller's; the response's body is owned by
 * the response and freed by llm_http_response_release().
 */

/*
 * Gets one event's data (the `data:` lines joined by "\n", without the
 * final newline; NUL-terminated at `data[len]`). Return 0 to go on, or a
 * negative error code (with the message set) to abort the transfer: the
 * code is then what llm_http_post() returns. "[DONE]" is not passed on.
 */
typedef int (*llm_http_sse_cb)(const char *data, size_t len, void *payload);

struct llm_http_request {
	const char *url;
	const struct strvec *headers;   /* "Name: value" lines; may be NULL */
	const char *body;
	size_t body_len;
	int timeout_ms;                 /* the whole exchange */
	llm_http_sse_cb on_event;       /* NULL: no SSE parsing */
	void *payload;
};
#define LLM_HTTP_REQUEST_INIT { NULL, NULL, NULL, 0, 0, NULL, NULL }

struct llm_http_response {
	long status;            /* 0 when no answer came */
	long retry_after_ms;    /* Retry-After (seconds or an HTTP date); -1: none */
	struct buf body;        /* the raw body, capped at LLM_MAX_RESPONSE_BYTES */
	int events;             /* SSE events passed to on_event */
	int transport;          /* the failure was the exchange's: connect, timeout, cut short */
};
void llm_http_response_init(struct llm_http_response *r);
void llm_http_response_release(struct llm_http_response *r);

/*
 * POST the body. 0 when an answer came (any status); ERR_TIMEOUT when the
 * timeout passed, ERR_LIMIT for a body past the cap, ERR_INTERRUPTED when
 * sig_pending(), the callback's code when it aborted, -1 for the rest
 * (connection refused, a body cut short, ...). `out` must be initialised
 * and is filled as far as the exchange went.
 */
int llm_http_post(struct llm_http_response *out, const struct llm_http_request *req);

/* libcurl's global state, for leak checkers at exit; llm_http_post() sets it up itself */
void llm_http_global_cleanup(void);

#endif
