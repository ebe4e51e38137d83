#include "cli/fix_options.h"

#include "util/error.h"

int fix_options_check(struct fix_options *fo, double max_tokens, int max_candidates)
{
	int err;

	/* first, so that no message quotes a secret */
	if ((err = llm_options_check(&fo->llm, max_tokens)) < 0)
		return err;
	if (fo->verify_runs < 0 || max_candidates < 1 || fo->jobs < 0 || fo->test_timeout < 0 ||
	    fo->max_retries < 0)
		return error_setc(ERR_USAGE, "numbers must not be negative");
	if (fo->check_behaviour && fo->no_check_behaviour)
		return error_setc(ERR_USAGE, "--check-behaviour and --no-check-behaviour exclude each other");
	if (fix_options_check_agent(fo) < 0)
		return ERR_USAGE;
	fo->max_candidates = (size_t)max_candidates;
	return 0;
}
