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

/* ---- the options a command gives (fix, reproduce, generate, heal) ---------------- */

#define LLM_DEFAULT_OPENAI_MODEL "gpt-4o-mini"
#define LLM_DEFAULT_ANTHROPIC_MODEL "claude-3-5-sonnet-latest"
/* each request, in seconds (--request-timeout) */
#define LLM_DEFAULT_REQUEST_SECONDS 300.0
/* the longest Retry-After waited for, in seconds (--max-retry-wait) */
#define LLM_DEFAULT_MAX_RETRY_SECONDS 120.0
/* the largest value either takes */
#define LLM_MAX_REQUEST_SECONDS 86400.0

/*
 * The model's settings as the user gave them: which provider, how it is
 * reached, the budget and prices. Never stored but for the provider, model,
 * budget and prices (never the key).
 */
struct llm_options {
	const char *provider;        /* openai | anthropic | replay */
	const char *model;
	const char *base_url;
	const char *api_key;
	const char *cassette;        /* replay */
	const char *record;          /* save every exchange to this file */
	const char *fallback_provider;
	const char *fallback_model;
	const char *fallback_base_url;
	long max_tokens;             /* the session's token budget; 0: none */
	int stream;                  /* ask for streamed replies */
	double price_in, price_out;  /* per million tokens, for the cost estimate; 0: unknown */
	double request_timeout;      /* seconds per LLM or GitHub request */
	double max_retry_wait;       /* seconds: a longer Retry-After gives up at once */
};
#define LLM_OPTIONS_INIT { .request_timeout = LLM_DEFAULT_REQUEST_SECONDS, \
			   .max_retry_wait = LLM_DEFAULT_MAX_RETRY_SECONDS }

/*
 * The provider the options name: --provider, else replay for a cassette,
 * else openai for a base URL or an OpenAI key, else anthropic for an
 * Anthropic key; NULL when they name none (no model configured).
 */
const char *llm_options_provider(const struct llm_options *o);

/*
 * Open the provider `cfg` names with the options' model default, timeouts
 * and recording; `what` (may be NULL) prefixes an error ("the fallback
 * provider").
 */
int llm_options_open_config(struct llm_provider **out, struct llm_config *cfg,
			    const struct llm_options *o, const char *what);

/*
 * The model the options name, opened; *out NULL (and 0) when they name
 * none. The caller frees it (llm_provider_free()).
 */
int llm_options_open(struct llm_provider **out, const struct llm_options *o);

/*
 * The options' fallback provider (--fallback-provider), opened; *out NULL
 * (and 0) when there is none. It takes the first provider's key only when
 * it is the same provider.
 */
int llm_options_open_fallback(struct llm_provider **out, const struct llm_options *o);

#endif
