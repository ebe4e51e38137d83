#include "cli/llm_options.h"

#include "util/error.h"
#include "util/secret.h"

int llm_options_check(struct llm_options *lo, double max_tokens)
{
	/* first, so that no message quotes them */
	secret_add(lo->api_key);
	secret_add_url(lo->base_url);
	secret_add_url(lo->fallback_base_url);
	if (max_tokens < 0 || max_tokens > 1e15 || lo->price_in < 0 || lo->price_out < 0)
		return error_setc(ERR_USAGE, "--max-tokens and prices must not be negative");
	if (!(lo->request_timeout >= 1 && lo->request_timeout <= LLM_MAX_REQUEST_SECONDS) ||
	    !(lo->max_retry_wait >= 1 && lo->max_retry_wait <= LLM_MAX_REQUEST_SECONDS))
		return error_setc(ERR_USAGE, "--request-timeout and --max-retry-wait must be between 1 "
				  "and %.0f seconds", LLM_MAX_REQUEST_SECONDS);
	lo->max_tokens = (long)max_tokens;
	return 0;
}
