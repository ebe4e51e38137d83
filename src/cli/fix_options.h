#ifndef CLI_FIX_OPTIONS_H
#define CLI_FIX_OPTIONS_H

#include "cli/llm_options.h"
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
		{ OPT_FLAG, "check-behaviour", 0, &(fo).check_behaviour, NULL, "check each fix beyond the tests, whatever it costs: calls generated on the original code of the functions it touches must end as before, unless they go through the change as a failing test did; a fix that alters fewer wins (by default with the built-in engine, within 25% of the session's time, at least 4 s)" }, \
		{ OPT_FLAG, "no-check-behaviour", 0, &(fo).no_check_behaviour, NULL, "never check fixes beyond the tests" }, \
		LLM_OPTION_ROWS((fo).llm, max_tokens)

/*
 * The checks both commands make once parsed: the key and a base URL's
 * password registered as secrets (util/secret.h), numbers in range, the
 * agent's options (fix_options_check_agent()), the token budget into `fo`.
 * ERR_USAGE with a message.
 */
int fix_options_check(struct fix_options *fo, double max_tokens, int max_candidates);

#endif
