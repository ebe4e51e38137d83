#ifndef NET_HTTP_H
#define NET_HTTP_H

#include "util/buf.h"
#include "util/strvec.h"

#include <stddef.h>

/*
 * The HTTP client: the only user of libcurl (the LLM providers and the
 * GitHub client go through it). One request (GET, or POST or PATCH of a body); the
 * answer's status is returned, not judged: a 4xx or 5xx is a successful
 * exchange here, and the caller reads its status, headers and body.
 * Streamed answers (Server-Sent Events) can also be handed to a callback
 * one `data:` payload at a time, as they arrive.
 *
 * Redirects are followed only when asked (max_redirects), over http and
 * https only; the Authorization and Cookie request headers then go to the
 * first host alone, never to another host, port or scheme a redirect
 * points to (libcurl's rule since 7.83, checked by the GitHub tests).
 *
 * Error messages never hold the request headers (credentials are in them);
 * they name the URL and curl's own explanation.
 *
 * Ownership: the request is the caller's; the response's body and headers
 * are owned by the response and freed by http_response_release().
 */

/* the most redirects a request may follow */
#define HTTP_MAX_REDIRECTS 5
/* response headers kept (of the final answer); later ones are dropped */
#define HTTP_MAX_HEADERS 128
/*
 * A transfer slower than HTTP_LOW_SPEED_BYTES a second for
 * HTTP_LOW_SPEED_SECONDS (a reply trickling in a byte at a time) is cut
 * short, whatever is left of its timeout.
 */
#define HTTP_LOW_SPEED_BYTES 1L
#define HTTP_LOW_SPEED_SECONDS 120L

/*
 * Gets one event's data (the `data:` lines joined by "\n", without the
 * final newline; NUL-terminated at `data[len]`). Return 0 to go on, or a
 * negative error code (with the message set) to abort the transfer: the
 * code is then what http_request() returns. "[DONE]" is not passed on.
 */
typedef int (*http_sse_cb)(const char *data, size_t len, void *payload);

struct http_request {
	const char *method;             /* "GET", "POST" or "PATCH"; NULL: POST with a body,
					   else GET */
	const char *url;
	const struct strvec *headers;   /* "Name: value" lines; may be NULL */
	const char *body;               /* NULL: none (GET) */
	size_t body_len;
	int timeout_ms;                 /* the whole exchange, redirects included; > 0 */
	int max_redirects;              /* 0: a 3xx is the answer; at most HTTP_MAX_REDIRECTS */
	http_sse_cb on_event;           /* NULL: no SSE parsing */
	void *payload;
};
#define HTTP_REQUEST_INIT { NULL, NULL, NULL, NULL, 0, 0, 0, NULL, NULL }

struct http_response {
	long status;            /* of the final answer; 0 when no answer came */
	long retry_after_ms;    /* Retry-After (seconds or an HTTP date), as asked; -1: none */
	struct strvec headers;  /* the final answer's "Name: value" lines, as sent */
	struct buf body;        /* the raw body, capped at http_response_init()'s max */
	int events;             /* SSE events passed to on_event */
	int redirects;          /* redirects followed */
	int transport;          /* the failure was the exchange's: connect, timeout, cut short */
};
/* `max_body`: the largest body accepted (0: no cap, for trusted peers only) */
void http_response_init(struct http_response *r, size_t max_body);
void http_response_release(struct http_response *r);
/*
 * The value of the final answer's header `name` (case-insensitive; the
 * first of that name), without surrounding blanks; borrowed from `r`.
 * NULL when absent.
 */
const char *http_response_header(const struct http_response *r, const char *name);

/*
 * Make the request. 0 when an answer came (any status); ERR_TIMEOUT when
 * the timeout passed or the answer stalled (the low-speed limit), ERR_LIMIT for a body past the cap, ERR_INTERRUPTED
 * when sig_pending(), the callback's code when it aborted, -1 for the
 * rest (connection refused, a body cut short, too many redirects, ...).
 * `out` must be initialised and is filled as far as the exchange went.
 */
int http_request(struct http_response *out, const struct http_request *req);

/* libcurl's global state, for leak checkers at exit; http_request() sets it up itself */
void http_global_cleanup(void);

/*
 * Check a service's base URL and copy it without trailing slashes into
 * `out` (the caller frees it): http:// or https://, a host, no blank or
 * control character. ERR_USAGE naming `what` ("base URL for 'openai'")
 * otherwise.
 */
int http_base_url(char **out, const char *url, const char *what);

#endif
