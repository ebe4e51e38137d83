#ifndef CLI_LLM_OPTIONS_H
#define CLI_LLM_OPTIONS_H

#include "cli/options.h"
#include "llm/llm.h"

/*
 * The model's options, shared by every command that may ask one (fix,
 * reproduce, generate, heal): rows of an option table filling the struct
 * llm_options `lo` (and a double `max_tokens`, checked and copied by
 * llm_options_check()).
 */
#define LLM_OPTION_ROWS(lo, max_tokens) \
		{ OPT_STRING, "api-key", 0, &(lo).api_key, "KEY", "LLM API key (else OPENAI_API_KEY / ANTHROPIC_API_KEY)" }, \
		{ OPT_STRING, "provider", 0, &(lo).provider, "NAME", "openai (and compatible servers), anthropic or replay" }, \
		{ OPT_STRING, "model", 0, &(lo).model, "NAME", "the model" }, \
		{ OPT_STRING, "base-url", 0, &(lo).base_url, "URL", "the API's base URL (also OPENAI_BASE_URL)" }, \
		{ OPT_STRING, "fallback-provider", 0, &(lo).fallback_provider, "NAME", "asked when the provider keeps failing" }, \
		{ OPT_STRING, "fallback-model", 0, &(lo).fallback_model, "NAME", "the fallback's model" }, \
		{ OPT_STRING, "fallback-base-url", 0, &(lo).fallback_base_url, "URL", "the fallback's base URL" }, \
		{ OPT_DOUBLE, "max-tokens", 0, &(max_tokens), "N", "token budget of the session (default: none)" }, \
		{ OPT_DOUBLE, "price-in", 0, &(lo).price_in, "USD", "price per million prompt tokens, for the cost estimate" }, \
		{ OPT_DOUBLE, "price-out", 0, &(lo).price_out, "USD", "price per million reply tokens" }, \
		{ OPT_FLAG, "stream", 0, &(lo).stream, NULL, "ask the model for a streamed reply" }, \
		{ OPT_STRING, "record", 0, &(lo).record, "FILE", "save every exchange with the model to FILE" }, \
		{ OPT_STRING, "cassette", 0, &(lo).cassette, "FILE", "with --provider replay: the exchanges to play back" }, \
		{ OPT_DOUBLE, "request-timeout", 0, &(lo).request_timeout, "SECONDS", "time limit of each request to the LLM or GitHub (default 300)" }, \
		{ OPT_DOUBLE, "max-retry-wait", 0, &(lo).max_retry_wait, "SECONDS", "the longest Retry-After waited for (default 120); longer gives up at once" }

/*
 * The checks once parsed: the key and the base URLs' passwords registered
 * as secrets (util/secret.h) before anything can quote them, the budget and
 * prices not negative, the request limits in range; the budget into `lo`.
 * ERR_USAGE with a message.
 */
int llm_options_check(struct llm_options *lo, double max_tokens);

#endif
