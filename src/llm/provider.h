#ifndef LLM_PROVIDER_H
#define LLM_PROVIDER_H

#include "net/http.h"
#include "llm/llm.h"

#include <jansson.h>

#define LLM_OPENAI_DEFAULT_BASE "https://api.openai.com/v1"
#define LLM_ANTHROPIC_DEFAULT_BASE "https://api.anthropic.com"
#define LLM_ANTHROPIC_VERSION "2023-06-01"
#define LLM_ANTHROPIC_DEFAULT_MAX_TOKENS 4096
/* the part of a server's error body quoted when it has no message field */
#define LLM_ERROR_QUOTE_BYTES 200

/*
 * The inside of src/llm: what a provider implements and what the client
 * (client.c) gives it. A provider is one file and one row in the table of
 * client.c: openai.c, anthropic.c, replay.c.
 *
 * A provider's complete() makes one attempt, never retries: the client owns
 * the retry policy and decides from `struct llm_http_status` alone, so a
 * provider that speaks no HTTP (replay) leaves it zeroed and is never
 * retried. Everything a provider allocates in init() hangs off `state` and
 * is freed by its release().
 */

struct llm_provider {
	const struct llm_provider_ops *ops;
	char *model;            /* NULL for replay when none was given */
	char *base_url;         /* NULL or "http[s]://host/path": no slash at the end, no
				 * credentials, no query (llm_base_url()) */
	char *base_query;       /* NULL or the base URL's "?name=value...", kept on every request */
	char *base_auth;        /* NULL or the base URL's "user:password", decoded: basic auth */
	char *api_key;          /* NULL or "" for a keyless local server; never shown */
	char *cassette;
	int stream;
	int timeout_ms;         /* resolved: never 0 */
	int max_attempts;       /* resolved: never 0 */
	int backoff_initial_ms; /* resolved: never 0 */
	long max_retry_wait_ms; /* resolved: never 0 */
	char *record_path;      /* llm_provider_record_to() */
	void *state;            /* the provider's own */
};

/* What one attempt said about itself, for the retry policy of the client. */
struct llm_http_status {
	long status;            /* HTTP status; 0: none (no answer, or no HTTP at all) */
	long retry_after_ms;    /* the server's Retry-After; -1: none */
	int transport;          /* the exchange itself failed: connection, timeout, truncation */
};
#define LLM_HTTP_STATUS_INIT { 0, -1, 0 }

struct llm_provider_ops {
	const char *name;
	/* fill what the provider needs from `cfg`; common fields are already set */
	int (*init)(struct llm_provider *p, const struct llm_config *cfg);
	/*
	 * One attempt: 0 with `out->text`, `out->model` and the token counts
	 * set (the client sets attempts, latency, http_status, provider), or
	 * an error code with the message set and `st` telling why.
	 */
	int (*complete)(struct llm_reply *out, struct llm_provider *p,
			const struct llm_request *req, struct llm_http_status *st);
	void (*release)(struct llm_provider *p);
};

extern const struct llm_provider_ops llm_openai_ops;
extern const struct llm_provider_ops llm_anthropic_ops;
extern const struct llm_provider_ops llm_replay_ops;

/*
 * Helpers shared by the HTTP providers (client.c).
 *
 * llm_base_url(): `configured`, else getenv(env), else `fallback`, into
 * p->base_url, p->base_query and p->base_auth: checked to start with
 * http:// or https://, split at "?" (the query, Azure OpenAI's
 * "?api-version=...", goes on every request), stripped of trailing slashes
 * and of a fragment, and a "user:password@" taken out (registered as a
 * secret: it never shows in a message, and becomes basic auth unless the
 * provider sends its own Authorization header).
 */
int llm_base_url(struct llm_provider *p, const char *configured, const char *env,
		 const char *fallback);
/* the URL of `endpoint` ("/chat/completions"): the base's path, then it, then the base's query */
void llm_endpoint_url(struct buf *out, const struct llm_provider *p, const char *endpoint);

/*
 * Turn a failed HTTP answer into an error: the server's own message (the
 * "error.message" of OpenAI and Anthropic, a plain "error" string of
 * Ollama and others) or the start of the body. ERR_USAGE for 400, 401,
 * 403, 404; ERR_LIMIT for 429; -1 otherwise. Returns the code.
 */
int llm_http_error(const char *provider, long status, const char *body, size_t len);

/*
 * POST `body` (serialised here) with `headers` to `url` with p's timeout,
 * the events of a streamed answer going to `on_event`. Fills `st` and
 * `resp` (initialised by the caller). 0 for a 2xx answer; a non-2xx one
 * becomes llm_http_error()'s code and message.
 */
int llm_post_json(struct http_response *resp, struct llm_http_status *st,
		  const struct llm_provider *p, const char *url, const struct strvec *headers,
		  const json_t *body, http_sse_cb on_event, void *payload);

/* a token count a server sent: negative is 0, past LLM_MAX_REPORTED_TOKENS is that */
long llm_tokens_clamp(json_int_t v);
/* the server's token counts were missing: about four bytes a token */
/*
 * `s` as it may be shown to the user: control characters escaped ("\x1b"),
 * newlines and tabs kept. NULL for NULL; the caller frees it.
 */
char *llm_printable(const char *s);
long llm_estimate_tokens(size_t bytes);
/* the server sent no usage: estimate both counts of `out` from the request and the reply */
void llm_estimate_usage(struct llm_reply *out, const struct llm_request *req);

#endif
