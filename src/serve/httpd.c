#include "serve/httpd.h"

#include "util/clock.h"
#include "util/error.h"
#include "util/xalloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct httpd {
	struct MHD_Daemon *daemon;
	int fd;                    /* the listening socket, ours */
	int port;
	const struct httpd_route *routes;
	void *ctx;
	struct httpd_options opts;
	atomic_long in_flight;     /* requests begun and not completed */
};

/* what one request holds between the calls MHD makes for it */
struct exchange {
	double start;
	const struct httpd_route *route;
	size_t cap;
	struct buf body;
	int status;                /* of the response queued; 0: none yet */
	int too_big;               /* the body passed the cap: 413 once it is read */
	size_t dropped;            /* bytes of it read since, and not kept */
	char *method, *path;       /* copies, for the log line */
};

const char *httpd_query(const struct httpd_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *httpd_header(const struct httpd_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

void httpd_response_header(struct httpd_response *res, const char *name, const char *value)
{
	strvec_push(&res->headers, name);
	strvec_push(&res->headers, value);
}

int httpd_error(struct httpd_response *res, int status, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	json_t *doc;
	char *text;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	doc = json_pack("{s:s%}", "error", msg.ptr, msg.len);
	text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	res->status = status;
	res->content_type = HTTPD_JSON;
	buf_reset(&res->body);
	buf_adds(&res->body, text ? text : "{\"error\":\"(unprintable)\"}");
	buf_addch(&res->body, '\n');
	free(text);
	json_decref(doc);
	buf_release(&msg);
	return 0;
}

void httpd_time_iso(char out[HTTPD_TIME_SIZE], double t)
{
	time_t secs = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&secs, &tm) || !strftime(out, HTTPD_TIME_SIZE, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, HTTPD_TIME_SIZE, "%s", "1970-01-01T00:00:00Z");
}

static enum MHD_Result send_response(struct MHD_Connection *conn, struct exchange *x,
				     struct httpd_response *res)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t i;

	r = MHD_create_response_from_buffer(res->body.len, res->body.ptr, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				res->content_type ? res->content_type : HTTPD_JSON);
	for (i = 0; i + 1 < res->headers.nr; i += 2)
		MHD_add_response_header(r, res->headers.v[i], res->headers.v[i + 1]);
	ret = MHD_queue_response(conn, (unsigned)res->status, r);
	MHD_destroy_response(r);
	if (ret == MHD_YES)
		x->status = res->status;
	return ret;
}

/* answer with {"error": ...} at once */
static enum MHD_Result send_error(struct MHD_Connection *conn, struct exchange *x, int status,
				  const char *allow, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static enum MHD_Result send_error(struct MHD_Connection *conn, struct exchange *x, int status,
				  const char *allow, const char *fmt, ...)
{
	struct httpd_response res = { .body = BUF_INIT, .headers = STRVEC_INIT };
	struct buf msg = BUF_INIT;
	enum MHD_Result ret;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	httpd_error(&res, status, "%s", msg.ptr);
	if (allow)
		httpd_response_header(&res, MHD_HTTP_HEADER_ALLOW, allow);
	ret = send_response(conn, x, &res);
	buf_release(&msg);
	buf_release(&res.body);
	strvec_clear(&res.headers);
	return ret;
}

static int route_matches(const struct httpd_route *r, const char *path)
{
	size_t n = strlen(r->path);

	if (r->prefix)
		return !strncmp(path, r->path, n) && path[n];
	return !strcmp(path, r->path);
}

/*
 * The route for `method` and `path`; NULL with `allow` holding the methods
 * the path has (empty: an unknown path)
 */
static const struct httpd_route *route_find(struct buf *allow, const struct httpd_route *routes,
					    const char *method, const char *path)
{
	const struct httpd_route *r;

	for (r = routes; r->method; r++) {
		if (!route_matches(r, path))
			continue;
		if (!strcmp(r->method, method))
			return r;
		buf_addf(allow, "%s%s", allow->len ? ", " : "", r->method);
	}
	return NULL;
}

/* the Content-Length header as a number: -1 when absent, LLONG_MAX when too large */
static long long content_length(struct MHD_Connection *conn)
{
	const char *s = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_CONTENT_LENGTH);
	unsigned long long v = 0;

	if (!s)
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (unsigned long long)(LLONG_MAX / 10) - 1)
			return LLONG_MAX;
		v = v * 10 + (unsigned long long)(*s - '0');
	}
	return (long long)v;
}

static enum MHD_Result begin(struct httpd *h, struct MHD_Connection *conn, struct exchange *x,
			     const char *method, const char *path)
{
	struct buf allow = BUF_INIT;
	enum MHD_Result ret = MHD_YES;
	long long length;

	x->route = route_find(&allow, h->routes, method, path);
	if (!x->route && !allow.len)
		ret = send_error(conn, x, MHD_HTTP_NOT_FOUND, NULL, "no such path '%s'", path);
	else if (!x->route)
		ret = send_error(conn, x, MHD_HTTP_METHOD_NOT_ALLOWED, allow.ptr,
				 "method '%s' is not allowed on '%s' (allowed: %s)", method, path,
				 allow.ptr);
	else {
		x->cap = x->route->max_body ? x->route->max_body : h->opts.max_body;
		buf_init(&x->body, x->cap);
		length = content_length(conn);
		if (length >= 0 && (unsigned long long)length > x->cap)
			ret = send_error(conn, x, MHD_HTTP_CONTENT_TOO_LARGE, NULL,
					 "the body is %lld bytes, more than the %zu allowed",
					 length, x->cap);
	}
	buf_release(&allow);
	return ret;
}

static enum MHD_Result handle(struct httpd *h, struct MHD_Connection *conn, struct exchange *x)
{
	struct httpd_request req = { .method = x->method, .path = x->path, .body = x->body.ptr,
				     .body_len = x->body.len, .conn = conn };
	struct httpd_response res = { .status = MHD_HTTP_OK, .content_type = HTTPD_JSON,
				      .body = BUF_INIT, .headers = STRVEC_INIT };
	enum MHD_Result ret;

	error_clear();
	if (x->route->fn(&req, &res, x->route->ctx ? x->route->ctx : h->ctx) < 0)
		httpd_error(&res, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s",
			    *error_last() ? error_last() : "internal error");
	ret = send_response(conn, x, &res);
	buf_release(&res.body);
	strvec_clear(&res.headers);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct httpd *h = cls;
	struct exchange *x = *con_cls;

	if (!x) {
		x = xcalloc(1, sizeof(*x));
		x->start = clock_monotonic();
		x->method = xstrdup(method);
		x->path = xstrdup(url);
		buf_init(&x->body, 0);
		*con_cls = x;
		atomic_fetch_add(&h->in_flight, 1);
		return begin(h, conn, x, method, url);
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;

		*upload_data_size = 0;
		if (x->status)
			return MHD_YES; /* answered before the body: the rest is dropped */
		if (x->too_big) {
			/* dropped, up to a point: then the connection is closed unanswered */
			x->dropped += n;
			return x->dropped > HTTPD_DRAIN_MAX ? MHD_NO : MHD_YES;
		}
		if (buf_add(&x->body, upload_data, n) < 0) {
			/* libmicrohttpd answers only once the whole body is read */
			x->too_big = 1;
			x->dropped = n;
			buf_release(&x->body);
		}
		return MHD_YES;
	}
	if (x->status)
		return MHD_YES;
	if (x->too_big)
		return send_error(conn, x, MHD_HTTP_CONTENT_TOO_LARGE, NULL,
				  "the body is more than the %zu bytes allowed", x->cap);
	return handle(h, conn, x);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct httpd *h = cls;
	struct exchange *x = *con_cls;

	if (!x)
		return;
	if (h->opts.log)
		h->opts.log(x->method, x->path, x->status,
			    (clock_monotonic() - x->start) * 1000.0, h->opts.log_payload);
	buf_release(&x->body);
	FREE_ALL(x->method, x->path);
	free(x);
	*con_cls = NULL;
	atomic_fetch_sub(&h->in_flight, 1);
}

/* `host` and `port` into `addr`; ERR_USAGE when it is no address */
static int parse_address(struct sockaddr_storage *addr, socklen_t *len, const char *host,
			 int port)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)addr;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)addr;
	char bare[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(host);

	memset(addr, 0, sizeof(*addr));
	if (port < 0 || port > 65535)
		return error_setc(ERR_USAGE, "cannot listen on port %d: not in 0..65535", port);
	if (!strcmp(host, "localhost"))
		host = "127.0.0.1";
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		*len = sizeof(*v4);
		return 0;
	}
	if (n >= 2 && n < sizeof(bare) && host[0] == '[' && host[n - 1] == ']') {
		memcpy(bare, host + 1, n - 2);
		bare[n - 2] = '\0';
		host = bare;
	}
	if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*v6);
		return 0;
	}
	return error_setc(ERR_USAGE,
			  "cannot listen on '%s': not an IPv4 or IPv6 address, nor 'localhost'",
			  host);
}

/* a listening socket on `addr` into *fd, its port into *port */
static int listen_on(int *fd, int *port, const struct sockaddr_storage *addr, socklen_t len,
		     const char *host, int want)
{
	struct sockaddr_storage got;
	socklen_t got_len = sizeof(got);
	int one = 1, s;
	int brackets = addr->ss_family == AF_INET6 && host[0] != '[';
	char where[INET6_ADDRSTRLEN + 16];

	snprintf(where, sizeof(where), "%s%s%s:%d", brackets ? "[" : "", host, brackets ? "]" : "",
		 want);
	s = socket(addr->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		return error_errno("cannot listen on '%s'", where);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (addr->ss_family == AF_INET6)
		setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(s, (const struct sockaddr *)addr, len) < 0 ||
	    listen(s, HTTPD_LISTEN_BACKLOG) < 0 ||
	    getsockname(s, (struct sockaddr *)&got, &got_len) < 0) {
		int err = error_errno("cannot listen on '%s'", where);
		close(s);
		return err;
	}
	*port = ntohs(got.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&got)->sin6_port
						 : ((struct sockaddr_in *)&got)->sin_port);
	*fd = s;
	return 0;
}

int httpd_start(struct httpd **out, const char *host, int port, const struct httpd_route *routes,
		void *ctx, const struct httpd_options *opts)
{
	static const struct httpd_options defaults = HTTPD_OPTIONS_INIT;
	struct sockaddr_storage addr;
	socklen_t len = 0;
	struct httpd *h;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_AUTO;
	int err;

	*out = NULL;
	if ((err = parse_address(&addr, &len, host, port)) < 0)
		return err;
	h = xcalloc(1, sizeof(*h));
	h->opts = opts ? *opts : defaults;
	if (h->opts.threads < 1 || h->opts.threads > HTTPD_MAX_THREADS) {
		err = error_setc(ERR_USAGE, "%u server threads: not in 1..%d", h->opts.threads,
				 HTTPD_MAX_THREADS);
		goto fail;
	}
	h->routes = routes;
	h->ctx = ctx;
	h->fd = -1;
	atomic_init(&h->in_flight, 0);
	if ((err = listen_on(&h->fd, &h->port, &addr, len, host, port)) < 0)
		goto fail;
	if (addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	h->daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, h,
		MHD_OPTION_LISTEN_SOCKET, (MHD_socket)h->fd,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)h->opts.timeout_s,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)h->opts.connection_limit,
		h->opts.threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END,
		(unsigned)h->opts.threads, MHD_OPTION_END);
	if (!h->daemon) {
		err = error_set("cannot start the HTTP server on '%s:%d'", host, h->port);
		goto fail;
	}
	*out = h;
	return 0;
fail:
	if (h->fd >= 0)
		close(h->fd);
	free(h);
	return err;
}

int httpd_port(const struct httpd *h)
{
	return h->port;
}

void httpd_stop(struct httpd *h)
{
	double deadline;
	MHD_socket fd;

	if (!h)
		return;
	/*
	 * The quiesced socket is ours to close, but only once the daemon's
	 * thread has let go of it: it leaves the thread's epoll set "with some
	 * delay", and closing it before then makes libmicrohttpd panic ("Failed
	 * to remove listen FD from epoll set"). So it is closed after the stop.
	 */
	fd = MHD_quiesce_daemon(h->daemon);
	deadline = clock_monotonic() + h->opts.stop_grace_ms / 1000.0;
	while (atomic_load(&h->in_flight) > 0 && clock_monotonic() < deadline)
		clock_sleep_ms(HTTPD_STOP_POLL_MS);
	MHD_stop_daemon(h->daemon);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	free(h);
}
