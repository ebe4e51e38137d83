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

static void anthropic_headers(struct strvec *out, const struct llm_provider *p)
{
	strvec_push(out, "anthropic-version: " LLM_ANTHROPIC_VERSION);
	if (p->api_key && *p->api_key)
		strvec_pushf(out, "x-api-key: %s", p->api_key);
}

static json_t *anthropic_body(const struct llm_provider *p, const struct llm_request *req)
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

/* 1 when the server counted tokens */
static int take_usage(struct llm_reply *out, const json_t *usage)
{
	/* `|`, not `||`: both counts are taken */
	return llm_take_tokens(&out->prompt_tokens, usage, "input_tokens") |
	       llm_take_tokens(&out->completion_tokens, usage, "output_tokens");
}

static int anthropic_parse(struct llm_http_reply *r, const char *body, size_t len)
{
	json_t *root = json_loadb(body, len, 0, NULL);
	json_t *content, *block;
	struct buf text = BUF_INIT;
	size_t i;
	int err = 0, any = 0;

	if (!json_is_object(root)) {
		err = llm_bad_answer(r, "not a JSON object");
		goto done;
	}
	if (!json_is_array(content = json_object_get(root, "content"))) {
		err = llm_bad_answer(r, "no content");
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
		err = llm_bad_answer(r, "no text block in content");
		goto done;
	}
	free(r->out->text);
	r->out->text = buf_detach(&text, NULL);
	llm_take_model(r->out, root);
	r->has_usage = take_usage(r->out, json_object_get(root, "usage"));
done:
	buf_release(&text);
	json_decref(root);
	return err;
}

static int anthropic_event(struct llm_http_reply *r, const char *data, size_t len)
{
	json_t *root = json_loadb(data, len, 0, NULL);
	const char *type;
	int err = 0;

	if (!json_is_object(root) || !(type = json_string_value(json_object_get(root, "type")))) {
		err = llm_bad_answer(r, "an event of the stream is not a typed JSON object");
		goto done;
	}
	if (!strcmp(type, "message_start")) {
		json_t *message = json_object_get(root, "message");
		llm_take_model(r->out, message);
		r->has_usage |= take_usage(r->out, json_object_get(message, "usage"));
	} else if (!strcmp(type, "content_block_delta")) {
		const char *t = json_string_value(
			json_object_get(json_object_get(root, "delta"), "text"));
		if (t)
			err = buf_adds(&r->text, t);
	} else if (!strcmp(type, "message_delta")) {
		r->has_usage |= llm_take_tokens(&r->out->completion_tokens,
						json_object_get(root, "usage"), "output_tokens");
	} else if (!strcmp(type, "error")) {
		json_t *e = json_object_get(root, "error");
		const char *etype = json_string_value(json_object_get(e, "type"));
		const char *msg = json_string_value(json_object_get(e, "message"));
		/* an overloaded or failing server: worth another attempt */
		if (etype && (!strcmp(etype, "overloaded_error") || !strcmp(etype, "api_error")))
			r->retry = 1;
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

static const struct llm_http_ops anthropic_http = {
	.endpoint = "/v1/messages",
	.base_env = "ANTHROPIC_BASE_URL",
	.default_base = LLM_ANTHROPIC_DEFAULT_BASE,
	.key_env = "ANTHROPIC_API_KEY",
	.headers = anthropic_headers,
	.body = anthropic_body,
	.parse = anthropic_parse,
	.event = anthropic_event,
};

const struct llm_provider_ops llm_anthropic_ops = {
	.name = "anthropic",
	.init = llm_http_init,
	.complete = llm_http_complete,
	.http = &anthropic_http,
};
