#ifndef SERVE_HTTPD_H
#define SERVE_HTTPD_H

#include <stddef.h>

#include "util/buf.h"
#include "util/strvec.h"

/*
 * The service's HTTP server: a small wrapper around libmicrohttpd, the only
 * module that includes it. A table of routes (method + exact path, or a
 * path prefix) maps each request to a handler that fills a response; the
 * wrapper reads the body up to a cap: 413 before a byte is read when
 * Content-Length says more; a chunked body that grows past it is no longer
 * kept, and answered 413 once it ends (libmicrohttpd answers no sooner), or
 * its connection closed without an answer when HTTPD_DRAIN_MAX more bytes
 * come (never buffered). It answers 404 for an unknown path and 405 (with
 * Allow) for a wrong method, runs the handlers on a pool of threads (a handler must be thread-safe),
 * and logs one line per request through opts->log.
 *
 * Ownership: the request and everything it points to are borrowed for the
 * handler's call; the response's body and headers are the wrapper's (it
 * frees them after sending). httpd_start() keeps pointers to `routes`,
 * `ctx` and the log callback's payload: they must outlive httpd_stop().
 */

#define HTTPD_DEFAULT_THREADS 4
#define HTTPD_MAX_THREADS 64
#define HTTPD_DEFAULT_MAX_BODY (1024u * 1024)  /* a route's body cap, unless it has its own */
#define HTTPD_DRAIN_MAX (1024u * 1024)         /* bytes read and dropped past a body's cap */
#define HTTPD_DEFAULT_TIMEOUT_S 30             /* an idle connection is closed after this */
#define HTTPD_DEFAULT_CONNECTION_LIMIT 512
#define HTTPD_DEFAULT_STOP_GRACE_MS 10000      /* httpd_stop() waits this long for requests */
#define HTTPD_STOP_POLL_MS 10
#define HTTPD_LISTEN_BACKLOG 1024
#define HTTPD_JSON "application/json"
#define HTTPD_TEXT "text/plain; charset=utf-8"

struct httpd_request {
	const char *method;
	const char *path;          /* without the query string, as received */
	const char *body;          /* NUL-terminated (the NUL is not counted); "" when none */
	size_t body_len;
	void *conn;                /* the wrapper's: for httpd_query() and httpd_header() */
};

/* the query argument `name` (decoded), or NULL */
const char *httpd_query(const struct httpd_request *req, const char *name);
/* the header `name` (case-insensitive), or NULL */
const char *httpd_header(const struct httpd_request *req, const char *name);

struct httpd_response {
	int status;                /* 200 unless the handler says otherwise */
	const char *content_type;  /* static; HTTPD_JSON unless the handler says otherwise */
	struct buf body;
	struct strvec headers;     /* extra headers: name, value, name, value, ... */
};

/* add the header `name: value` */
void httpd_response_header(struct httpd_response *res, const char *name, const char *value);
/*
 * Set the response to `status` and {"error": "<message>"} (JSON); returns
 * 0, so that a handler can `return httpd_error(res, 404, "no job %s", id)`.
 */
int httpd_error(struct httpd_response *res, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * A handler: 0 with `res` filled, or a negative code with the message in
 * error_last(), which the wrapper answers as 500 {"error": message}.
 */
typedef int httpd_handler_fn(const struct httpd_request *req, struct httpd_response *res,
			     void *ctx);

struct httpd_route {
	const char *method;        /* "GET", "POST", ... */
	const char *path;          /* "/webhook", or a prefix such as "/api/jobs/" */
	int prefix;                /* match every path that starts with `path` (and is longer) */
	size_t max_body;           /* 0: opts->max_body */
	httpd_handler_fn *fn;
	void *ctx;                 /* passed to fn; NULL: httpd_start()'s `ctx` */
};

#define HTTPD_TIME_SIZE sizeof("1970-01-01T00:00:00Z")
/* wall-clock seconds `t` as ISO-8601 UTC, "2024-01-15T10:30:00Z" */
void httpd_time_iso(char out[HTTPD_TIME_SIZE], double t);

/*
 * One line a request, once it is over: the path as received (any bytes:
 * escape it before printing); status 0 when no answer was sent (the client
 * went away first, or the body was cut off)
 */
typedef void httpd_log_fn(const char *method, const char *path, int status, double ms,
			  void *payload);

struct httpd_options {
	unsigned threads;          /* 1..HTTPD_MAX_THREADS */
	size_t max_body;
	unsigned timeout_s;
	unsigned connection_limit;
	unsigned stop_grace_ms;
	httpd_log_fn *log;         /* NULL: no log */
	void *log_payload;
};

#define HTTPD_OPTIONS_INIT { .threads = HTTPD_DEFAULT_THREADS,                  \
			     .max_body = HTTPD_DEFAULT_MAX_BODY,                \
			     .timeout_s = HTTPD_DEFAULT_TIMEOUT_S,              \
			     .connection_limit = HTTPD_DEFAULT_CONNECTION_LIMIT, \
			     .stop_grace_ms = HTTPD_DEFAULT_STOP_GRACE_MS }

struct httpd;

/*
 * Listen on `host` (an IPv4 or IPv6 literal, "[::1]", or "localhost") and
 * `port` (0: any free one; httpd_port() tells which) and serve `routes`
 * (ended by an entry whose method is NULL), passing `ctx` to the handlers.
 * `opts` may be NULL (HTTPD_OPTIONS_INIT). ERR_USAGE for a host that is no
 * address or a port out of range; -1 naming host:port when it cannot be
 * bound (in use, not ours). The caller stops it with httpd_stop().
 */
int httpd_start(struct httpd **out, const char *host, int port, const struct httpd_route *routes,
		void *ctx, const struct httpd_options *opts);
/* the port it listens on */
int httpd_port(const struct httpd *h);
/*
 * Stop accepting connections, let the requests in flight finish (up to
 * opts->stop_grace_ms), then stop and free. NULL is fine.
 */
void httpd_stop(struct httpd *h);

#endif
