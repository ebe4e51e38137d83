/*
 * OpenAI-compatible chat completions: api.openai.com and the servers that
 * speak the same protocol (Ollama, vLLM, llama.cpp, LM Studio, gateways).
 * POST {base}/chat/completions; a streamed answer is a series of
 * chat.completion.chunk events whose choices[0].delta.content are joined.
 */
#include "llm/provider.h"

#include "util/error.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

static void openai_headers(struct strvec *out, const struct llm_provider *p)
{
	if (p->api_key && *p->api_key)
		strvec_pushf(out, "Authorization: Bearer %s", p->api_key);
}

static json_t *openai_body(const struct llm_provider *p, const struct llm_request *req)
{
	json_t *messages = json_array();
	json_t *body = json_object();

	if (req->system)
		json_array_append_new(messages, json_pack("{s:s, s:s}", "role", "system",
							  "content", req->system));
	json_array_append_new(messages, json_pack("{s:s, s:s}", "role", "user",
						  "content", req->user ? req->user : ""));
	json_object_set_new(body, "model", json_string(p->model));
	json_object_set_new(body, "messages", messages);
	json_object_set_new(body, "temperature", json_real(req->temperature));
	if (req->max_tokens > 0)
		json_object_set_new(body, "max_tokens", json_integer(req->max_tokens));
	if (p->stream) {
		json_object_set_new(body, "stream", json_true());
		json_object_set_new(body, "stream_options",
				    json_pack("{s:b}", "include_usage", 1));
	}
	return body;
}

/* 1 when the server counted the tokens */
static int take_usage(struct llm_reply *out, const json_t *usage)
{
	if (!json_is_object(usage))
		return 0;
	llm_take_tokens(&out->prompt_tokens, usage, "prompt_tokens");
	llm_take_tokens(&out->completion_tokens, usage, "completion_tokens");
	return 1;
}

/* a whole (not streamed) answer */
static int openai_parse(struct llm_http_reply *r, const char *body, size_t len)
{
	json_t *root = json_loadb(body, len, 0, NULL);
	json_t *message;
	const char *content;
	int err = 0;

	if (!json_is_object(root)) {
		err = llm_bad_answer(r, "not a JSON object");
		goto done;
	}
	message = json_object_get(json_array_get(json_object_get(root, "choices"), 0), "message");
	if (!(content = json_string_value(json_object_get(message, "content")))) {
		err = llm_bad_answer(r, "no choices[0].message.content");
		goto done;
	}
	free(r->out->text);
	r->out->text = xstrdup(content);
	llm_take_model(r->out, root);
	r->has_usage = take_usage(r->out, json_object_get(root, "usage"));
done:
	json_decref(root);
	return err;
}

static int openai_event(struct llm_http_reply *r, const char *data, size_t len)
{
	json_t *root = json_loadb(data, len, 0, NULL);
	json_t *error, *delta;
	const char *content;
	int err = 0;

	if (!json_is_object(root)) {
		err = llm_bad_answer(r, "an event of the stream is not a JSON object");
		goto done;
	}
	if ((error = json_object_get(root, "error"))) {
		const char *msg = json_string_value(json_object_get(error, "message"));
		if (!msg)
			msg = json_string_value(error);
		char *shown = llm_printable(msg ? msg : "an error event");
		err = error_set("'openai' failed in the middle of the answer: %s", shown);
		free(shown);
		goto done;
	}
	llm_take_model(r->out, root);
	delta = json_object_get(json_array_get(json_object_get(root, "choices"), 0), "delta");
	if ((content = json_string_value(json_object_get(delta, "content"))) &&
	    (err = buf_adds(&r->text, content)) < 0)
		goto done;
	if (take_usage(r->out, json_object_get(root, "usage")))
		r->has_usage = 1;
done:
	json_decref(root);
	return err;
}

static const struct llm_http_ops openai_http = {
	.endpoint = "/chat/completions",
	.base_env = "OPENAI_BASE_URL",
	.default_base = LLM_OPENAI_DEFAULT_BASE,
	.key_env = "OPENAI_API_KEY",
	.headers = openai_headers,
	.body = openai_body,
	.parse = openai_parse,
	.event = openai_event,
};

const struct llm_provider_ops llm_openai_ops = {
	.name = "openai",
	.init = llm_http_init,
	.complete = llm_http_complete,
	.http = &openai_http,
};
