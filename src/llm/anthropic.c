/*
 * Anthropic messages: POST {base}/v1/messages. A streamed answer is a
 * series of typed events: message_start (input tokens), content_block_delta
 * (text), message_delta (output tokens), message_stop, ping, error.
 */
#include "llm/provider.h"

#include "util/error.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

static int anthropic_init(struct llm_provider *p, const struct llm_config *cfg)
{
	const char *key = cfg->api_key;
	int err;

	if (!p->model || !*p->model)
		return error_setc(ERR_USAGE, "no model for 'anthropic': give --model");
	if ((err = llm_base_url(p, cfg->base_url, "ANTHROPIC_BASE_URL",
				LLM_ANTHROPIC_DEFAULT_BASE)) < 0)
		return err;
	if (!key || !*key)
		key = getenv("ANTHROPIC_API_KEY");
	/* a local proxy may want no key; api.anthropic.com always does */
	if ((!key || !*key) && !strcmp(p->base_url, LLM_ANTHROPIC_DEFAULT_BASE))
		return error_setc(ERR_USAGE, "no API key for 'anthropic': give --api-key or set "
				  "ANTHROPIC_API_KEY");
	p->api_key = xstrdup(key ? key : "");
	return 0;
}

static json_t *build_body(const struct llm_provider *p, const struct llm_request *req)
{
	json_t *body = json_object();

	json_object_set_new(body, "model", json_string(p->model));
	if (req->system)
		json_object_set_new(body, "system", json_string(req->system));
	json_object_set_new(body, "messages",
			    json_pack("[{s:s, s:s}]", "role", "user",
				      "content", req->user ? req->user : ""));
	json_object_set_new(body, "max_tokens",
			    json_integer(req->max_tokens > 0 ? req->max_tokens
							     : LLM_ANTHROPIC_DEFAULT_MAX_TOKENS));
	json_object_set_new(body, "temperature", json_real(req->temperature));
	if (p->stream)
		json_object_set_new(body, "stream", json_true());
	return body;
}

static int bad_answer(const char *what)
{
	return error_setc(ERR_PARSE, "cannot parse the answer of 'anthropic': %s", what);
}

static void take_model(struct llm_reply *out, const json_t *message)
{
	const char *model = json_string_value(json_object_get(message, "model"));

	if (model && !out->model)
		out->model = xstrdup(model);
}

/* 1 when the server counted tokens */
static int take_usage(struct llm_reply *out, const json_t *usage)
{
	json_t *v;
	int got = 0;

	if (json_is_integer(v = json_object_get(usage, "input_tokens"))) {
		out->prompt_tokens = llm_tokens_clamp(json_integer_value(v));
		got = 1;
	}
	if (json_is_integer(v = json_object_get(usage, "output_tokens"))) {
		out->completion_tokens = llm_tokens_clamp(json_integer_value(v));
		got = 1;
	}
	return got;
}

static int parse_plain(struct llm_reply *out, int *has_usage, const char *body, size_t len)
{
	json_t *root = json_loadb(body, len, 0, NULL);
	json_t *content, *block;
	struct buf text = BUF_INIT;
	size_t i;
	int err = 0, any = 0;

	if (!json_is_object(root)) {
		err = bad_answer("not a JSON object");
		goto done;
	}
	if (!json_is_array(content = json_object_get(root, "content"))) {
		err = bad_answer("no content");
		goto done;
	}
	json_array_foreach(content, i, block) {
		const char *t = json_string_value(json_object_get(block, "text"));
		const char *type = json_string_value(json_object_get(block, "type"));
		if (t && (!type || !strcmp(type, "text"))) {
			buf_adds(&text, t);
			any = 1;
		}
	}
	if (!any) {
		err = bad_answer("no text block in content");
		goto done;
	}
	free(out->text);
	out->text = buf_detach(&text, NULL);
	take_model(out, root);
	*has_usage = take_usage(out, json_object_get(root, "usage"));
done:
	buf_release(&text);
	json_decref(root);
	return err;
}

struct stream {
	struct llm_reply *out;
	struct buf text;
	int has_usage;
	int retry;              /* an error event said trying again may help */
};

static int on_event(const char *data, size_t len, void *payload)
{
	struct stream *s = payload;
	json_t *root = json_loadb(data, len, 0, NULL);
	const char *type;
	int err = 0;

	if (!json_is_object(root) || !(type = json_string_value(json_object_get(root, "type")))) {
		err = bad_answer("an event of the stream is not a typed JSON object");
		goto done;
	}
	if (!strcmp(type, "message_start")) {
		json_t *message = json_object_get(root, "message");
		take_model(s->out, message);
		s->has_usage |= take_usage(s->out, json_object_get(message, "usage"));
	} else if (!strcmp(type, "content_block_delta")) {
		const char *t = json_string_value(
			json_object_get(json_object_get(root, "delta"), "text"));
		if (t)
			err = buf_adds(&s->text, t);
	} else if (!strcmp(type, "message_delta")) {
		json_t *v = json_object_get(json_object_get(root, "usage"), "output_tokens");
		if (json_is_integer(v)) {
			s->out->completion_tokens = llm_tokens_clamp(json_integer_value(v));
			s->has_usage = 1;
		}
	} else if (!strcmp(type, "error")) {
		json_t *e = json_object_get(root, "error");
		const char *etype = json_string_value(json_object_get(e, "type"));
		const char *msg = json_string_value(json_object_get(e, "message"));
		/* an overloaded or failing server: worth another attempt */
		if (etype && (!strcmp(etype, "overloaded_error") || !strcmp(etype, "api_error")))
			s->retry = 1;
		char *shown_type = llm_printable(etype ? etype : "error"), *shown = llm_printable(msg);
		err = error_set("'anthropic' failed in the middle of the answer: %s%s%s",
				shown_type, shown ? ": " : "", shown ? shown : "");
		free(shown);
		free(shown_type);
	}
done:
	json_decref(root);
	return err;
}

static int anthropic_complete(struct llm_reply *out, struct llm_provider *p,
			      const struct llm_request *req, struct llm_http_status *st)
{
	struct http_response resp;
	struct strvec headers = STRVEC_INIT;
	struct stream s = { out, BUF_INIT, 0, 0 };
	struct buf url = BUF_INIT;
	json_t *body = build_body(p, req);
	int err;

	http_response_init(&resp, LLM_MAX_RESPONSE_BYTES);
	buf_init(&s.text, LLM_MAX_RESPONSE_BYTES);
	llm_endpoint_url(&url, p, "/v1/messages");
	strvec_push(&headers, "Content-Type: application/json");
	strvec_push(&headers, p->stream ? "Accept: text/event-stream" : "Accept: application/json");
	strvec_push(&headers, "anthropic-version: " LLM_ANTHROPIC_VERSION);
	if (p->api_key && *p->api_key)
		strvec_pushf(&headers, "x-api-key: %s", p->api_key);

	if ((err = llm_post_json(&resp, st, p, url.ptr, &headers, body,
				 p->stream ? on_event : NULL, &s)) < 0) {
		if (s.retry)
			st->transport = 1;
		goto done;
	}
	if (!p->stream || !resp.events) {
		if ((err = parse_plain(out, &s.has_usage, resp.body.ptr, resp.body.len)) < 0)
			goto done;
	} else {
		free(out->text);
		out->text = buf_detach(&s.text, NULL);
	}
	if (!s.has_usage)
		llm_estimate_usage(out, req);
done:
	buf_release(&s.text);
	buf_release(&url);
	strvec_clear(&headers);
	json_decref(body);
	http_response_release(&resp);
	return err;
}

static void anthropic_release(struct llm_provider *p)
{
}

const struct llm_provider_ops llm_anthropic_ops = {
	"anthropic", anthropic_init, anthropic_complete, anthropic_release,
};
