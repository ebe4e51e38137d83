#include "llm/llm.h"

#include "util/error.h"

#include <stdlib.h>
#include <string.h>

const char *llm_options_provider(const struct llm_options *o)
{
	if (o->provider)
		return o->provider;
	if (o->cassette)
		return "replay";
	if (o->base_url || getenv("OPENAI_BASE_URL") || getenv("OPENAI_API_KEY") ||
	    (o->api_key && !getenv("ANTHROPIC_API_KEY")))
		return "openai";
	if (getenv("ANTHROPIC_API_KEY"))
		return "anthropic";
	return NULL;
}

static const char *default_model(const char *provider)
{
	if (!strcmp(provider, "anthropic"))
		return LLM_DEFAULT_ANTHROPIC_MODEL;
	return LLM_DEFAULT_OPENAI_MODEL;
}

int llm_options_open_config(struct llm_provider **out, struct llm_config *cfg,
			    const struct llm_options *o, const char *what)
{
	int err;

	if (!cfg->model)
		cfg->model = default_model(cfg->provider);
	cfg->stream = o->stream;
	cfg->timeout_ms = (int)(o->request_timeout * 1000);
	cfg->max_retry_wait_ms = (long)(o->max_retry_wait * 1000);
	if ((err = llm_provider_new(out, cfg)) < 0)
		return what ? error_prefix(err, "%s", what) : err;
	return o->record ? llm_provider_record_to(*out, o->record) : 0;
}

int llm_options_open(struct llm_provider **out, const struct llm_options *o)
{
	const char *name = llm_options_provider(o);
	struct llm_config cfg;

	*out = NULL;
	if (!name)
		return 0;
	cfg = (struct llm_config){ .provider = name, .model = o->model, .base_url = o->base_url,
				   .api_key = o->api_key, .cassette = o->cassette };
	return llm_options_open_config(out, &cfg, o, NULL);
}

int llm_options_open_fallback(struct llm_provider **out, const struct llm_options *o)
{
	const char *name = llm_options_provider(o);
	struct llm_config cfg;

	*out = NULL;
	if (!o->fallback_provider)
		return 0;
	cfg = (struct llm_config){ .provider = o->fallback_provider, .model = o->fallback_model,
				   .base_url = o->fallback_base_url,
				   .api_key = name && !strcmp(o->fallback_provider, name) ?
					      o->api_key : NULL };
	return llm_options_open_config(out, &cfg, o, "the fallback provider");
}
