#ifndef LLM_LLM_H
#define LLM_LLM_H

#include "util/buf.h"
#include "util/strvec.h"

#include <stddef.h>

/*
 * Talking to language models (SPEC "LLM protocol"): providers behind one
 * small vtable (OpenAI-compatible chat completions, Anthropic messages, and
 * replay of a recorded cassette), with retries, backoff and a fallback in
 * llm_client. The API key lives only in `struct llm_config`: it never goes
 * into an error message, a log line, a transcript or a cassette; it and
 * every other registered secret (util/secret.h) are redacted from the
 * prompts llm_complete() sends and from what the recorder writes.
 *
 * Ownership: requests and configs are the caller's; a reply's strings are
 * owned by the reply and freed by llm_reply_release().
 */

#define LLM_DEFAULT_TIMEOUT_MS (300 * 1000)
#define LLM_MAX_RESPONSE_BYTES (8u * 1024 * 1024)
#define LLM_DEFAULT_MAX_ATTEMPTS 5        /* per request, 429/5xx/timeouts included */
#define LLM_BACKOFF_INITIAL_MS 1000
#define LLM_BACKOFF_MAX_MS 60000
/* a server's token count is taken as given up to this (a trillion), never beyond */
#define LLM_MAX_REPORTED_TOKENS 1000000000000L
/* the longest Retry-After waited for; a server asking more is given up on at once */
#define LLM_DEFAULT_MAX_RETRY_WAIT_MS (120L * 1000)

struct llm_config {
	const char *provider;   /* "openai", "anthropic", "replay" */
	const char *model;
	const char *base_url;   /* NULL: the provider's default (OPENAI_BASE_URL for openai) */
	const char *api_key;    /* NULL: from the environment (OPENAI_API_KEY / ANTHROPIC_API_KEY) */
	const char *cassette;   /* replay: the file to play back */
	int stream;             /* ask for a streamed (SSE) reply */
	int timeout_ms;         /* per HTTP request; 0: LLM_DEFAULT_TIMEOUT_MS */
	int max_attempts;       /* 0: LLM_DEFAULT_MAX_ATTEMPTS */
	int backoff_initial_ms; /* 0: LLM_BACKOFF_INITIAL_MS (tests make it small) */
	long max_retry_wait_ms; /* the longest Retry-After honoured; 0: LLM_DEFAULT_MAX_RETRY_WAIT_MS */
};

struct llm_request {
	const char *system;
	const char *user;
	double temperature;
	int max_tokens;         /* of the reply; 0: provider default */
};

struct llm_reply {
	char *text;             /* the model's answer */
	char *model;            /* as the server named it */
	long prompt_tokens, completion_tokens;  /* 0..LLM_MAX_REPORTED_TOKENS */
	double latency;         /* seconds, all attempts */
	int attempts;           /* HTTP requests made */
	int http_status;        /* of the last one */
	char *provider;         /* which provider answered (the fallback, maybe) */
};
#define LLM_REPLY_INIT { NULL, NULL, 0, 0, 0.0, 0, 0, NULL }
void llm_reply_release(struct llm_reply *r);

struct llm_provider;        /* opaque */

/*
 * Make a provider from a config. ERR_USAGE for an unknown provider, a
 * missing key ("no API key for 'openai': give --api-key or set
 * OPENAI_API_KEY"), a bad base URL, a missing cassette.
 */
int llm_provider_new(struct llm_provider **out, const struct llm_config *cfg);
void llm_provider_free(struct llm_provider *p);
const char *llm_provider_name(const struct llm_provider *p);

/*
 * One completion, with retries: 429 and 5xx back off exponentially
 * (honouring Retry-After up to max_retry_wait_ms), timeouts and connection
 * errors are retried, up to max_attempts. Returns 0 with the reply;
 * ERR_TIMEOUT, ERR_LIMIT (rate limit still refused after every attempt, or
 * at once when the server asks to wait longer than max_retry_wait_ms: the
 * message names the wait asked for), ERR_PARSE (a body that is not
 * the protocol's), ERR_USAGE (401/403/400: wrong key or request; not
 * retried), ERR_INTERRUPTED, -1 otherwise. The message never holds the key.
 */
int llm_complete(struct llm_reply *out, struct llm_provider *p, const struct llm_request *req);

/*
 * A recorder: when set, every exchange (request, reply, tokens, latency,
 * outcome) made through `p` is appended to `path` as one JSON object per
 * line, the format the replay provider reads. No key, no headers.
 */
int llm_provider_record_to(struct llm_provider *p, const char *path);

#endif
