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
 * (llm.c) gives it. A provider is one file and one row in the table of
 * llm.c: openai.c, anthropic.c, replay.c.
 *
 * A provider's complete() makes one attempt, never retries: the client owns
 * the retry policy and decides from `struct llm_http_status` alone, so a
 * provider that speaks no HTTP (replay) leaves it zeroed and is never
 * retried. Everything a provider allocates in init() hangs off `state` and
 * is freed by its release().
 *
 * An HTTP provider (openai.c, anthropic.c) supplies only its
 * `struct llm_http_ops` (the URL, its headers, the request body, the reply
 * parsers) and uses llm_http_init() and llm_http_complete() (provider.c)
 * as its init() and complete(): they do the key, the request, the status
 * checks, the stream and the usage figures.
 */

struct llm_provider {
	const struct llm_provider_ops *ops;
	char *model;            /* NULL for replay when none was given */
	char *base_url;         /* NULL or "http[s]://host/path": no slash at the end, no
				 * credentials, no query */
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

struct llm_http_ops;

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
	void (*release)(struct llm_provider *p);   /* NULL: nothing to free */
	const struct llm_http_ops *http;           /* NULL: not an HTTP provider */
};

/* One HTTP answer as it is read: a streamed one event by event. */
struct llm_http_reply {
	struct llm_reply *out;
	const struct llm_provider *p;
	struct buf text;        /* a streamed answer's text so far */
	int has_usage;          /* the server counted the tokens */
	int retry;              /* an error event of the stream said another attempt may help */
};

struct llm_http_ops {
	const char *endpoint;   /* after the base URL: "/chat/completions" */
	const char *base_env;   /* the environment variable that may name the base URL */
	const char *default_base;   /* the provider's own server: it always wants a key */
	const char *key_env;    /* the environment variable that may hold the key */
	/* the provider's own headers, after Content-Type and Accept */
	void (*headers)(struct strvec *out, const struct llm_provider *p);
	json_t *(*body)(const struct llm_provider *p, const struct llm_request *req);
	/* a whole answer: 0 with r->out's text set (model and usage when given) */
	int (*parse)(struct llm_http_reply *r, const char *body, size_t len);
	/* one event of a streamed answer: the text goes to r->text */
	int (*event)(struct llm_http_reply *r, const char *data, size_t len);
};

extern const struct llm_provider_ops llm_openai_ops;
extern const struct llm_provider_ops llm_anthropic_ops;
extern const struct llm_provider_ops llm_replay_ops;

/* init() of an HTTP provider: the model, the base URL and the key (p->ops->http) */
int llm_http_init(struct llm_provider *p, const struct llm_config *cfg);
/* complete() of an HTTP provider: one POST of http->body() to http->endpoint, parsed */
int llm_http_complete(struct llm_reply *out, struct llm_provider *p,
		      const struct llm_request *req, struct llm_http_status *st);

/* Helpers for the HTTP providers (provider.c). */
/* the integer `key` of `o` into *out, clamped; 1 when there was one */
int llm_take_tokens(long *out, const json_t *o, const char *key);
/* the "model" of `o` into out->model unless already set */
void llm_take_model(struct llm_reply *out, const json_t *o);
/* ERR_PARSE "cannot parse the answer of '<provider>': <what>" */
int llm_bad_answer(const struct llm_http_reply *r, const char *what);
/*
 * `s` as it may be shown to the user: control characters escaped ("\x1b"),
 * newlines and tabs kept. NULL for NULL; the caller frees it.
 */
char *llm_printable(const char *s);

#endif
