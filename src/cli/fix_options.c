#include "cli/fix_options.h"

#include "util/error.h"
#include "util/secret.h"

int fix_options_check(struct fix_options *fo, double max_tokens, int max_candidates)
{
	/* first, so that no message quotes them */
	secret_add(fo->llm.api_key);
	secret_add_url(fo->llm.base_url);
	secret_add_url(fo->llm.fallback_base_url);
	if (max_tokens < 0 || max_tokens > 1e15 || fo->llm.price_in < 0 || fo->llm.price_out < 0)
		return error_setc(ERR_USAGE, "--max-tokens and prices must not be negative");
	if (fo->verify_runs < 0 || max_candidates < 1 || fo->jobs < 0 || fo->test_timeout < 0 ||
	    fo->max_retries < 0)
		return error_setc(ERR_USAGE, "numbers must not be negative");
	if (!(fo->llm.request_timeout >= 1 && fo->llm.request_timeout <= FIX_MAX_REQUEST_SECONDS) ||
	    !(fo->llm.max_retry_wait >= 1 && fo->llm.max_retry_wait <= FIX_MAX_REQUEST_SECONDS))
		return error_setc(ERR_USAGE, "--request-timeout and --max-retry-wait must be between 1 "
				  "and %.0f seconds", FIX_MAX_REQUEST_SECONDS);
	if (fix_options_check_agent(fo) < 0)
		return ERR_USAGE;
	fo->llm.max_tokens = (long)max_tokens;
	fo->max_candidates = (size_t)max_candidates;
	return 0;
}
