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

static int openai_init(struct llm_provider *p, const struct llm_config *cfg)
{
	const char *key = cfg->api_key;
	int err;

	if (!p->model || !*p->model)
		return error_setc(ERR_USAGE, "no model for 'openai': give --model");
	if ((err = llm_base_url(p, cfg->base_url, "OPENAI_BASE_URL", LLM_OPENAI_DEFAULT_BASE)) < 0)
		return err;
	if (!key || !*key)
		key = getenv("OPENAI_API_KEY");
	/* local servers (Ollama, llama.cpp, ...) want no key */
	if ((!key || !*key) && !strcmp(p->base_url, LLM_OPENAI_DEFAULT_BASE))
		return error_setc(ERR_USAGE, "no API key for 'openai': give --api-key or set "
				  "OPENAI_API_KEY");
	p->api_key = xstrdup(key ? key : "");
	return 0;
}

static json_t *build_body(const struct llm_provider *p, const struct llm_request *req)
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
	json_t *v;

	if (!json_is_object(usage))
		return 0;
	if (json_is_integer(v = json_object_get(usage, "prompt_tokens")))
		out->prompt_tokens = llm_tokens_clamp(json_integer_value(v));
	if (json_is_integer(v = json_object_get(usage, "completion_tokens")))
		out->completion_tokens = llm_tokens_clamp(json_integer_value(v));
	return 1;
}

static void take_model(struct llm_reply *out, const json_t *root)
{
	const char *model = json_string_value(json_object_get(root, "model"));

	if (model && !out->model)
		out->model = xstrdup(model);
}

static int bad_answer(const char *what)
{
	return error_setc(ERR_PARSE, "cannot parse the answer of 'openai': %s", what);
}

/* a whole (not streamed) answer */
static int parse_plain(struct llm_reply *out, int *has_usage, const char *body, size_t len)
{
	json_t *root = json_loadb(body, len, 0, NULL);
	json_t *message;
	const char *content;
	int err = 0;

	if (!json_is_object(root)) {
		err = bad_answer("not a JSON object");
		goto done;
	}
	message = json_object_get(json_array_get(json_object_get(root, "choices"), 0), "message");
	if (!(content = json_string_value(json_object_get(message, "content")))) {
		err = bad_answer("no choices[0].message.content");
		goto done;
	}
	free(out->text);
	out->text = xstrdup(content);
	take_model(out, root);
	*has_usage = take_usage(out, json_object_get(root, "usage"));
done:
	json_decref(root);
	return err;
}

struct stream {
	struct llm_reply *out;
	struct buf text;
	int has_usage;
};

static int on_event(const char *data, size_t len, void *payload)
{
	struct stream *s = payload;
	json_t *root = json_loadb(data, len, 0, NULL);
	json_t *error, *delta;
	const char *content;
	int err = 0;

	if (!json_is_object(root)) {
		err = bad_answer("an event of the stream is not a JSON object");
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
	take_model(s->out, root);
	delta = json_object_get(json_array_get(json_object_get(root, "choices"), 0), "delta");
	if ((content = json_string_value(json_object_get(delta, "content"))) &&
	    (err = buf_adds(&s->text, content)) < 0)
		goto done;
	if (take_usage(s->out, json_object_get(root, "usage")))
		s->has_usage = 1;
done:
	json_decref(root);
	return err;
}

static int openai_complete(struct llm_reply *out, struct llm_provider *p,
			   const struct llm_request *req, struct llm_http_status *st)
{
	struct http_response resp;
	struct strvec headers = STRVEC_INIT;
	struct stream s = { out, BUF_INIT, 0 };
	json_t *body = build_body(p, req);
	struct buf url = BUF_INIT;
	int err;

	http_response_init(&resp, LLM_MAX_RESPONSE_BYTES);
	buf_init(&s.text, LLM_MAX_RESPONSE_BYTES);
	llm_endpoint_url(&url, p, "/chat/completions");
	strvec_push(&headers, "Content-Type: application/json");
	strvec_push(&headers, p->stream ? "Accept: text/event-stream" : "Accept: application/json");
	if (p->api_key && *p->api_key)
		strvec_pushf(&headers, "Authorization: Bearer %s", p->api_key);

	if ((err = llm_post_json(&resp, st, p, url.ptr, &headers, body,
				 p->stream ? on_event : NULL, &s)) < 0)
		goto done;
	if (!p->stream || !resp.events) {
		/* a server may answer a stream request with one JSON body */
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

static void openai_release(struct llm_provider *p)
{
}

const struct llm_provider_ops llm_openai_ops = {
	"openai", openai_init, openai_complete, openai_release,
};
