/*
 * What the HTTP providers share (provider.h): their init() and complete(),
 * the base URL, the request, the server's errors and the token counts. A
 * provider supplies only its `struct llm_http_ops`.
 */
#include "llm/provider.h"

#include "util/buf.h"
#include "util/error.h"
#include "util/secret.h"
#include "util/strvec.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* `s[0..len)` with its %XX escapes decoded, as libcurl reads a URL's user and password */
static char *percent_decode(const char *s, size_t len)
{
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < len; i++) {
		int hi, lo;
		if (s[i] == '%' && i + 2 < len &&
		    (hi = hex_value((unsigned char)s[i + 1])) >= 0 &&
		    (lo = hex_value((unsigned char)s[i + 2])) >= 0) {
			buf_addch(&b, hi * 16 + lo);
			i += 2;
		} else {
			buf_addch(&b, s[i]);
		}
	}
	return buf_detach(&b, NULL);
}

/*
 * `configured`, else getenv(env), else `fallback`, into p->base_url,
 * p->base_query and p->base_auth: checked to start with http:// or
 * https://, split at "?" (the query, Azure OpenAI's "?api-version=...",
 * goes on every request), stripped of trailing slashes and of a fragment,
 * and a "user:password@" taken out (registered as a secret: it never shows
 * in a message, and becomes basic auth unless the provider sends its own
 * Authorization header).
 */
static int base_url(struct llm_provider *p, const char *configured, const char *env,
		    const char *fallback)
{
	const char *url = configured, *rest, *authority_end, *at, *query, *end;
	struct buf what = BUF_INIT, plain = BUF_INIT;
	int err;

	if (!url || !*url)
		url = env ? getenv(env) : NULL;
	if (!url || !*url)
		url = fallback;
	/* the password is a secret before anything can quote it */
	secret_add_url(url);
	rest = strstr(url, "://");
	rest = rest ? rest + 3 : url;
	authority_end = rest + strcspn(rest, "/?#");
	for (at = authority_end; at > rest && at[-1] != '@'; at--)
		;
	end = url + strcspn(url, "#");
	if (!(query = memchr(url, '?', (size_t)(end - url))))
		query = end;
	/* the URL without "user:password@", query and fragment */
	buf_add(&plain, url, (size_t)(rest - url));
	buf_add(&plain, at, (size_t)(query - at));
	buf_addf(&what, "base URL for '%s'", p->ops->name);
	if ((err = http_base_url(&p->base_url, plain.ptr, what.ptr)) < 0)
		goto done;
	if (query < end)
		p->base_query = xstrndup(query, (size_t)(end - query));
	if (at > rest) {
		p->base_auth = percent_decode(rest, (size_t)(at - 1 - rest));
		if (strchr(p->base_auth, ':'))
			secret_add(strchr(p->base_auth, ':') + 1);
	}
done:
	buf_release(&what);
	buf_release(&plain);
	return err;
}

/* the URL of `endpoint` ("/chat/completions"): the base's path, then it, then the base's query */
static void endpoint_url(struct buf *out, const struct llm_provider *p, const char *endpoint)
{
	buf_addf(out, "%s%s%s", p->base_url, endpoint, p->base_query ? p->base_query : "");
}

static const char base64_digits[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void buf_add_base64(struct buf *out, const unsigned char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i += 3) {
		unsigned long v = (unsigned long)s[i] << 16;
		if (i + 1 < len)
			v |= (unsigned long)s[i + 1] << 8;
		if (i + 2 < len)
			v |= s[i + 2];
		buf_addch(out, base64_digits[(v >> 18) & 63]);
		buf_addch(out, base64_digits[(v >> 12) & 63]);
		buf_addch(out, i + 1 < len ? base64_digits[(v >> 6) & 63] : '=');
		buf_addch(out, i + 2 < len ? base64_digits[v & 63] : '=');
	}
}

static int has_authorization(const struct strvec *headers)
{
	size_t i;

	for (i = 0; headers && i < headers->nr; i++)
		if (!strncasecmp(headers->v[i], "Authorization:", 14))
			return 1;
	return 0;
}

/* `headers` and "Authorization: Basic ..." for the base URL's "user:password" into `out` */
static void add_basic_auth(struct strvec *out, const struct strvec *headers, const char *auth)
{
	struct buf line = BUF_INIT;
	size_t i;

	for (i = 0; headers && i < headers->nr; i++)
		strvec_push(out, headers->v[i]);
	buf_adds(&line, "Authorization: Basic ");
	buf_add_base64(&line, (const unsigned char *)auth, strlen(auth));
	strvec_push(out, line.ptr);
	buf_release(&line);
}

/*
 * Turn a failed HTTP answer into an error: the server's own message (the
 * "error.message" of OpenAI and Anthropic, a plain "error" string of
 * Ollama and others) or the start of the body. ERR_USAGE for 400, 401,
 * 403, 404; ERR_LIMIT for 429; -1 otherwise. Returns the code.
 */
static int http_error(const char *provider, long status, const char *body, size_t len)
{
	struct buf msg = BUF_INIT;
	json_t *root = json_loadb(body, len, 0, NULL);
	const char *text = NULL;
	int code = ERR_GENERIC;

	if (json_is_object(root)) {
		json_t *e = json_object_get(root, "error");
		if (json_is_object(e))
			text = json_string_value(json_object_get(e, "message"));
		else if (json_is_string(e))
			text = json_string_value(e);
		if (!text)
			text = json_string_value(json_object_get(root, "message"));
		if (!text)
			text = json_string_value(json_object_get(root, "detail"));
	}
	if (text)
		buf_add_printable(&msg, text, strlen(text));
	else
		buf_add_printable(&msg, body, len < LLM_ERROR_QUOTE_BYTES ? len : LLM_ERROR_QUOTE_BYTES);
	buf_trim(&msg);
	if (status == 429)
		code = ERR_LIMIT;
	else if (status >= 400 && status < 500 && status != 408)
		code = ERR_USAGE;
	error_setc(code, "'%s' refused the request (HTTP %ld)%s%s", provider, status,
		   msg.len ? ": " : "", msg.ptr);
	buf_release(&msg);
	json_decref(root);
	return code;
}

/*
 * POST `body` (serialised here) with `headers` to `url` with p's timeout,
 * the events of a streamed answer going to `on_event`. Fills `st` and
 * `resp` (initialised by the caller). 0 for a 2xx answer; a non-2xx one
 * becomes http_error()'s code and message.
 */
static int post_json(struct http_response *resp, struct llm_http_status *st,
		     const struct llm_provider *p, const char *url, const struct strvec *headers,
		     const json_t *body, http_sse_cb on_event, void *payload)
{
	struct http_request rq = HTTP_REQUEST_INIT;
	struct strvec with_auth = STRVEC_INIT;
	char *text = json_dumps(body, JSON_COMPACT);
	int err;

	if (!text)
		return error_set("cannot serialise the request to '%s'", p->ops->name);
	rq.method = "POST";
	rq.url = url;
	rq.headers = headers;
	if (p->base_auth && !has_authorization(headers)) {
		add_basic_auth(&with_auth, headers, p->base_auth);
		rq.headers = &with_auth;
	}
	rq.body = text;
	rq.body_len = strlen(text);
	rq.timeout_ms = p->timeout_ms;
	rq.on_event = on_event;
	rq.payload = payload;
	err = http_request(resp, &rq);
	st->status = resp->status;
	st->retry_after_ms = resp->retry_after_ms;
	st->transport = resp->transport;
	free(text);
	strvec_clear(&with_auth);
	if (err < 0)
		return err;
	if (resp->status < 200 || resp->status >= 300)
		return http_error(p->ops->name, resp->status, resp->body.ptr, resp->body.len);
	return 0;
}

/* a token count a server sent: negative is 0, past LLM_MAX_REPORTED_TOKENS is that */
static long tokens_clamp(json_int_t v)
{
	if (v < 0)
		return 0;
	return v > LLM_MAX_REPORTED_TOKENS ? LLM_MAX_REPORTED_TOKENS : (long)v;
}

char *llm_printable(const char *s)
{
	return buf_dup_with(buf_add_printable, s);
}

/* the server's token counts were missing: about four bytes a token */
static long estimate_tokens(size_t bytes)
{
	return (long)((bytes + 3) / 4);
}

/* the server sent no usage: estimate both counts of `out` from the request and the reply */
static void estimate_usage(struct llm_reply *out, const struct llm_request *req)
{
	out->prompt_tokens = estimate_tokens((req->system ? strlen(req->system) : 0) +
						 (req->user ? strlen(req->user) : 0));
	out->completion_tokens = estimate_tokens(out->text ? strlen(out->text) : 0);
}

int llm_take_tokens(long *out, const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		return 0;
	*out = tokens_clamp(json_integer_value(v));
	return 1;
}

void llm_take_model(struct llm_reply *out, const json_t *o)
{
	const char *model = json_string_value(json_object_get(o, "model"));

	if (model && !out->model)
		out->model = xstrdup(model);
}

int llm_bad_answer(const struct llm_http_reply *r, const char *what)
{
	return error_setc(ERR_PARSE, "cannot parse the answer of '%s': %s", r->p->ops->name, what);
}

int llm_http_init(struct llm_provider *p, const struct llm_config *cfg)
{
	const struct llm_http_ops *http = p->ops->http;
	const char *name = p->ops->name, *key = cfg->api_key;
	int err;

	if (!p->model || !*p->model)
		return error_setc(ERR_USAGE, "no model for '%s': give --model", name);
	if ((err = base_url(p, cfg->base_url, http->base_env, http->default_base)) < 0)
		return err;
	if (!key || !*key)
		key = getenv(http->key_env);
	/* local servers and proxies (Ollama, llama.cpp, ...) may want no key; the provider's own does */
	if ((!key || !*key) && !strcmp(p->base_url, http->default_base))
		return error_setc(ERR_USAGE, "no API key for '%s': give --api-key or set %s",
				  name, http->key_env);
	p->api_key = xstrdup(key ? key : "");
	return 0;
}

static int on_event(const char *data, size_t len, void *payload)
{
	struct llm_http_reply *r = payload;

	return r->p->ops->http->event(r, data, len);
}

int llm_http_complete(struct llm_reply *out, struct llm_provider *p,
		      const struct llm_request *req, struct llm_http_status *st)
{
	const struct llm_http_ops *http = p->ops->http;
	struct http_response resp;
	struct strvec headers = STRVEC_INIT;
	struct llm_http_reply r = { out, p, BUF_INIT, 0, 0 };
	struct buf url = BUF_INIT;
	json_t *body = http->body(p, req);
	int err;

	http_response_init(&resp, LLM_MAX_RESPONSE_BYTES);
	buf_init(&r.text, LLM_MAX_RESPONSE_BYTES);
	endpoint_url(&url, p, http->endpoint);
	strvec_push(&headers, "Content-Type: application/json");
	strvec_push(&headers, p->stream ? "Accept: text/event-stream" : "Accept: application/json");
	http->headers(&headers, p);

	if ((err = post_json(&resp, st, p, url.ptr, &headers, body,
			     p->stream ? on_event : NULL, &r)) < 0) {
		if (r.retry)
			st->transport = 1;
		goto done;
	}
	if (!p->stream || !resp.events) {
		/* a server may answer a stream request with one JSON body */
		if ((err = http->parse(&r, resp.body.ptr, resp.body.len)) < 0)
			goto done;
	} else {
		free(out->text);
		out->text = buf_detach(&r.text, NULL);
	}
	if (!r.has_usage)
		estimate_usage(out, req);
done:
	buf_release(&r.text);
	buf_release(&url);
	strvec_clear(&headers);
	json_decref(body);
	http_response_release(&resp);
	return err;
}
