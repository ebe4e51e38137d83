#ifndef CLI_FIX_OPTIONS_H
#define CLI_FIX_OPTIONS_H

#include "cli/options.h"
#include "fix/fix.h"

/*
 * The repair engine's options, shared by `fix` and `reproduce`: rows of an
 * option table, filling the struct fix_options `fo` (and a double
 * `max_tokens`, checked and copied by fix_options_check()).
 */
#define FIX_ENGINE_OPTIONS(fo, max_tokens) \
		{ OPT_STRING, "engine", 0, &(fo).engine, "NAME", "auto (builtin, then the LLM if one is configured), builtin, llm or command" }, \
		{ OPT_STRING, "agent-cmd", 0, &(fo).agent_cmd, "CMD", "with --engine command: a coding agent's command line, run with sh -c in a copy of the project, the failure as JSON on stdin" }, \
		{ OPT_DOUBLE, "agent-timeout", 0, &(fo).agent_timeout, "SECONDS", "time limit of each run of the agent (default 600)" }, \
		{ OPT_INT, "max-retries", 0, &(fo).max_retries, "N", "LLM attempts per failure (default 3)" }, \
		{ OPT_DOUBLE, "initial-temp", 0, &(fo).initial_temp, "T", "LLM temperature of the first attempt (0.4)" }, \
		{ OPT_DOUBLE, "temp-increment", 0, &(fo).temp_increment, "D", "added at each retry (0.1)" }, \
		{ OPT_STRING, "api-key", 0, &(fo).llm.api_key, "KEY", "LLM API key (else OPENAI_API_KEY / ANTHROPIC_API_KEY)" }, \
		{ OPT_STRING, "provider", 0, &(fo).llm.provider, "NAME", "openai (and compatible servers), anthropic or replay" }, \
		{ OPT_STRING, "model", 0, &(fo).llm.model, "NAME", "the model" }, \
		{ OPT_STRING, "base-url", 0, &(fo).llm.base_url, "URL", "the API's base URL (also OPENAI_BASE_URL)" }, \
		{ OPT_STRING, "fallback-provider", 0, &(fo).llm.fallback_provider, "NAME", "asked when the provider keeps failing" }, \
		{ OPT_STRING, "fallback-model", 0, &(fo).llm.fallback_model, "NAME", "the fallback's model" }, \
		{ OPT_STRING, "fallback-base-url", 0, &(fo).llm.fallback_base_url, "URL", "the fallback's base URL" }, \
		{ OPT_DOUBLE, "max-tokens", 0, &(max_tokens), "N", "token budget of the session (default: none)" }, \
		{ OPT_DOUBLE, "price-in", 0, &(fo).llm.price_in, "USD", "price per million prompt tokens, for the cost estimate" }, \
		{ OPT_DOUBLE, "price-out", 0, &(fo).llm.price_out, "USD", "price per million reply tokens" }, \
		{ OPT_FLAG, "stream", 0, &(fo).llm.stream, NULL, "ask the model for a streamed reply" }, \
		{ OPT_STRING, "record", 0, &(fo).llm.record, "FILE", "save every exchange with the model to FILE" }, \
		{ OPT_STRING, "cassette", 0, &(fo).llm.cassette, "FILE", "with --provider replay: the exchanges to play back" }, \
		{ OPT_DOUBLE, "request-timeout", 0, &(fo).llm.request_timeout, "SECONDS", "time limit of each request to the LLM or GitHub (default 300)" }, \
		{ OPT_DOUBLE, "max-retry-wait", 0, &(fo).llm.max_retry_wait, "SECONDS", "the longest Retry-After waited for (default 120); longer gives up at once" }

/*
 * The checks both commands make once parsed: the key and a base URL's
 * password registered as secrets (util/secret.h), numbers in range, the
 * agent's options (fix_options_check_agent()), the token budget into `fo`.
 * ERR_USAGE with a message.
 */
int fix_options_check(struct fix_options *fo, double max_tokens, int max_candidates);

#endif
