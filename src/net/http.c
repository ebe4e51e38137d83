#include "net/http.h"

#include "util/error.h"
#include "util/sig.h"
#include "util/xalloc.h"

#include <assert.h>
#include <curl/curl.h>
#include <limits.h>
#include <pthread.h>
#include <strings.h>
#include <string.h>

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_status = CURLE_OK;

static void global_init(void)
{
	global_status = curl_global_init(CURL_GLOBAL_DEFAULT);
}

void http_global_cleanup(void)
{
	if (global_status == CURLE_OK)
		curl_global_cleanup();
}

void http_response_init(struct http_response *r, size_t max_body)
{
	r->status = 0;
	r->retry_after_ms = -1;
	strvec_init(&r->headers);
	buf_init(&r->body, max_body);
	r->events = 0;
	r->redirects = 0;
	r->transport = 0;
}

void http_response_release(struct http_response *r)
{
	strvec_clear(&r->headers);
	buf_release(&r->body);
}

const char *http_response_header(const struct http_response *r, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < r->headers.nr; i++) {
		const char *h = r->headers.v[i];
		if (strncasecmp(h, name, n) || h[n] != ':')
			continue;
		h += n + 1;
		while (*h == ' ' || *h == '\t')
			h++;
		return h;
	}
	return NULL;
}

/* a request that sends a body: POST, PATCH, or no method and a body */
static int has_body(const struct http_request *req)
{
	if (req->method)
		return !strcmp(req->method, "POST") || !strcmp(req->method, "PATCH");
	return req->body != NULL;
}

/* ---- one transfer ---- */

struct xfer {
	CURL *curl;
	struct http_response *out;
	const struct http_request *req;
	struct buf line;        /* the SSE line not yet ended */
	struct buf data;        /* the data lines of the current event */
	int has_data;
	int done;               /* "[DONE]" seen: the rest is ignored */
	int err;                /* our code when we stopped the transfer */
};

static int sse_dispatch(struct xfer *x)
{
	int err = 0;

	if (!x->has_data)
		return 0;
	if (!strcmp(x->data.ptr, "[DONE]"))
		x->done = 1;
	else {
		x->out->events++;
		err = x->req->on_event(x->data.ptr, x->data.len, x->req->payload);
	}
	buf_reset(&x->data);
	x->has_data = 0;
	return err;
}

/* one line of an event stream, without its end of line */
static int sse_line(struct xfer *x, const char *line, size_t len)
{
	const char *colon;
	size_t name_len;

	if (len && line[len - 1] == '\r')
		len--;
	if (!len)
		return sse_dispatch(x);
	if (line[0] == ':')
		return 0;       /* a comment: keep-alives */
	colon = memchr(line, ':', len);
	name_len = colon ? (size_t)(colon - line) : len;
	if (name_len != 4 || memcmp(line, "data", 4))
		return 0;       /* event:, id:, retry: are not needed */
	line += name_len;
	len -= name_len;
	if (len) {              /* the colon, then one optional space */
		line++, len--;
		if (len && *line == ' ')
			line++, len--;
	}
	if (x->has_data && buf_addch(&x->data, '\n') < 0)
		return ERR_LIMIT;
	x->has_data = 1;
	return buf_add(&x->data, line, len);
}

static int sse_feed(struct xfer *x, const char *p, size_t n)
{
	while (n && !x->done) {
		const char *nl = memchr(p, '\n', n);
		size_t take = nl ? (size_t)(nl - p) : n;
		int err;

		if (!nl)
			return buf_add(&x->line, p, take);
		if (x->line.len) {
			if ((err = buf_add(&x->line, p, take)) < 0)
				return err;
			err = sse_line(x, x->line.ptr, x->line.len);
			buf_reset(&x->line);
		} else
			err = sse_line(x, p, take);
		if (err < 0)
			return err;
		p += take + 1;
		n -= take + 1;
	}
	return 0;
}

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct xfer *x = userdata;
	size_t n = size * nmemb;
	int err;

	if ((err = buf_add(&x->out->body, ptr, n)) < 0) {
		x->err = error_setc(err, "the answer of '%s' exceeds the limit of %zu bytes",
				    x->req->url, x->out->body.max);
		return 0;
	}
	if (x->req->on_event) {
		long status = 0;
		curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &status);
		if (status >= 200 && status < 300 && (err = sse_feed(x, ptr, n)) < 0) {
			x->err = err;
			return 0;
		}
	}
	return n;
}

/*
 * One header line of an answer, with its end of line. A status line starts
 * a new answer (after a redirect, or a "100 Continue"): the headers kept
 * are those of the last one.
 */
static size_t on_header(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct xfer *x = userdata;
	size_t n = size * nmemb, len = n;

	while (len && (ptr[len - 1] == '\n' || ptr[len - 1] == '\r'))
		len--;
	if (len >= 5 && !memcmp(ptr, "HTTP/", 5)) {
		strvec_clear(&x->out->headers);
		return n;
	}
	if (!len || !memchr(ptr, ':', len) || x->out->headers.nr >= HTTP_MAX_HEADERS)
		return n;
	strvec_pushf(&x->out->headers, "%.*s", (int)len, ptr);
	return n;
}

static int on_progress(void *clientp, curl_off_t dltotal, curl_off_t dlnow,
		       curl_off_t ultotal, curl_off_t ulnow)
{
	return sig_pending() ? 1 : 0;
}

int http_request(struct http_response *out, const struct http_request *req)
{
	struct xfer x;
	struct curl_slist *headers = NULL;
	char errbuf[CURL_ERROR_SIZE];
	curl_off_t retry_after = -1;
	long redirects = 0;
	CURLcode rc;
	size_t i;
	int err = 0;

	assert(req->url);
	assert(!req->method || !strcmp(req->method, "GET") || !strcmp(req->method, "POST") ||
	       !strcmp(req->method, "PATCH"));
	memset(&x, 0, sizeof(x));
	x.out = out;
	x.req = req;
	buf_init(&x.line, out->body.max);
	buf_init(&x.data, out->body.max);
	errbuf[0] = '\0';

	pthread_once(&global_once, global_init);
	if (global_status != CURLE_OK) {
		err = error_set("cannot set up libcurl: %s", curl_easy_strerror(global_status));
		goto done;
	}
	if (!(x.curl = curl_easy_init())) {
		err = error_set("cannot set up a libcurl handle");
		goto done;
	}
	/* no "Expect: 100-continue" round trip for large prompts */
	if (!(headers = curl_slist_append(NULL, "Expect:"))) {
		err = error_set("out of memory for the request headers");
		goto done;
	}
	for (i = 0; req->headers && i < req->headers->nr; i++) {
		struct curl_slist *h = curl_slist_append(headers, req->headers->v[i]);
		if (!h) {
			err = error_set("out of memory for the request headers");
			goto done;
		}
		headers = h;
	}
	curl_easy_setopt(x.curl, CURLOPT_URL, req->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(x.curl, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
	curl_easy_setopt(x.curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x.curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(x.curl, CURLOPT_HTTPHEADER, headers);
	if (has_body(req)) {
		curl_easy_setopt(x.curl, CURLOPT_POST, 1L);
		if (req->method && !strcmp(req->method, "PATCH"))
			curl_easy_setopt(x.curl, CURLOPT_CUSTOMREQUEST, "PATCH");
		curl_easy_setopt(x.curl, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		curl_easy_setopt(x.curl, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)(req->body ? req->body_len : 0));
	} else {
		curl_easy_setopt(x.curl, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(x.curl, CURLOPT_TIMEOUT_MS, (long)req->timeout_ms);
	curl_easy_setopt(x.curl, CURLOPT_LOW_SPEED_LIMIT, HTTP_LOW_SPEED_BYTES);
	curl_easy_setopt(x.curl, CURLOPT_LOW_SPEED_TIME, HTTP_LOW_SPEED_SECONDS);
	if (out->body.max)      /* a body announced past the cap is refused before it comes */
		curl_easy_setopt(x.curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)out->body.max);
	curl_easy_setopt(x.curl, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(x.curl, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(x.curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(x.curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(x.curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(x.curl, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(x.curl, CURLOPT_USERAGENT, "pytest-fixer/" PF_VERSION);
	if (req->max_redirects > 0) {
		/*
		 * libcurl (7.83 and later) sends the Authorization and Cookie
		 * headers of CURLOPT_HTTPHEADER only while host, port and
		 * scheme stay those of the first URL; UNRESTRICTED_AUTH stays off.
		 */
		curl_easy_setopt(x.curl, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(x.curl, CURLOPT_MAXREDIRS, (long)(req->max_redirects < HTTP_MAX_REDIRECTS
			? req->max_redirects : HTTP_MAX_REDIRECTS));
		curl_easy_setopt(x.curl, CURLOPT_UNRESTRICTED_AUTH, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
		curl_easy_setopt(x.curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#endif
	} else {
		/* a credential would go along to wherever it points */
		curl_easy_setopt(x.curl, CURLOPT_FOLLOWLOCATION, 0L);
	}

	rc = curl_easy_perform(x.curl);
	curl_easy_getinfo(x.curl, CURLINFO_RESPONSE_CODE, &out->status);
	if (curl_easy_getinfo(x.curl, CURLINFO_REDIRECT_COUNT, &redirects) == CURLE_OK)
		out->redirects = (int)redirects;
	if (curl_easy_getinfo(x.curl, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK &&
	    retry_after > 0)
		out->retry_after_ms = retry_after > LONG_MAX / 1000 ? LONG_MAX : (long)retry_after * 1000;

	if (rc == CURLE_OK)
		goto done;
	if (x.err) {            /* stopped by us: the message is set */
		err = x.err;
		goto done;
	}
	if (rc == CURLE_FILESIZE_EXCEEDED) {
		err = error_setc(ERR_LIMIT, "the answer of '%s' exceeds the limit of %zu bytes",
				 req->url, out->body.max);
		goto done;
	}
	if (rc == CURLE_ABORTED_BY_CALLBACK) {
		err = error_setc(ERR_INTERRUPTED, "interrupted while waiting for '%s'", req->url);
		goto done;
	}
	out->transport = 1;
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		double took = 0;
		curl_easy_getinfo(x.curl, CURLINFO_TOTAL_TIME, &took);
		/*
		 * curl says the same for both limits: a stall needs the low-speed
		 * time to have passed, and the deadline not yet (the total time
		 * curl reports may fall a hair short of the deadline that fired)
		 */
		if (req->timeout_ms <= 0 ||
		    (took >= HTTP_LOW_SPEED_SECONDS && took * 1000 < req->timeout_ms))
			err = error_setc(ERR_TIMEOUT, "the answer of '%s' stalled: less than %ld byte/s "
					 "for %ld s", req->url, HTTP_LOW_SPEED_BYTES, HTTP_LOW_SPEED_SECONDS);
		else
			err = error_setc(ERR_TIMEOUT, "no answer from '%s' within %d ms", req->url,
					 req->timeout_ms);
		goto done;
	}
	if (rc == CURLE_TOO_MANY_REDIRECTS) {
		err = error_set("request to '%s' failed: more than %d redirects", req->url,
				req->max_redirects);
		goto done;
	}
	err = error_set("request to '%s' failed: %s", req->url,
			errbuf[0] ? errbuf : curl_easy_strerror(rc));

done:
	curl_slist_free_all(headers);
	if (x.curl)
		curl_easy_cleanup(x.curl);
	buf_release(&x.line);
	buf_release(&x.data);
	return err;
}

int http_base_url(char **out, const char *url, const char *what)
{
	const char *rest;
	size_t len;

	*out = NULL;
	if (!strncasecmp(url, "http://", 7))
		rest = url + 7;
	else if (!strncasecmp(url, "https://", 8))
		rest = url + 8;
	else
		return error_setc(ERR_USAGE, "bad %s '%s': it must start with http:// or https://",
				  what, url);
	if (!*rest || *rest == '/')
		return error_setc(ERR_USAGE, "bad %s '%s': no host", what, url);
	for (; *rest; rest++)
		if ((unsigned char)*rest <= ' ' || *rest == 0x7f)
			return error_setc(ERR_USAGE, "bad %s '%s': it holds a blank or a control "
					  "character", what, url);
	len = strlen(url);
	while (len && url[len - 1] == '/')
		len--;
	*out = xstrndup(url, len);
	return 0;
}
