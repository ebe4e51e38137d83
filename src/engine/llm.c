#include "engine/engine.h"

#include "edit/change.h"
#include "engine/prompt.h"
#include "engine/reply.h"
#include "llm/llm.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

#define LLM_REPLY_MAX_TOKENS 4096

static void set_outcome(struct engine_exchange *x, const char *prefix, const char *detail)
{
	struct buf b = BUF_INIT;
	if (!x)
		return;
	buf_addf(&b, "%s%s", prefix, detail);
	free(x->outcome);
	x->outcome = buf_detach(&b, NULL);
}

/* ask one provider; 0 with the reply, or the error code of llm_complete() */
static int ask(struct llm_reply *reply, struct llm_provider *p, const char *system,
	       const char *user, double temperature)
{
	struct llm_request rq;
	memset(&rq, 0, sizeof(rq));
	rq.system = system;
	rq.user = user;
	rq.temperature = temperature;
	rq.max_tokens = LLM_REPLY_MAX_TOKENS;
	return llm_complete(reply, p, &rq);
}

static int llm_propose(struct candidate_list *out, const struct engine_request *req)
{
	struct prompt_input in = {
		.failure = req->failure, .root = req->root,
		.previous_change = req->previous_change, .previous_failure = req->feedback,
		.preferred_mode = req->preferred_mode, .user_prompt = req->user_prompt,
		.allow_test_edits = req->allow_test_edits, .heal = req->heal,
		.code_change = req->code_change, .context_files = req->context_files,
	};
	struct buf system = BUF_INIT, user = BUF_INIT;
	struct llm_reply reply = LLM_REPLY_INIT;
	struct engine_exchange *x = req->exchange;
	struct change change = CHANGE_INIT;
	int err;

	if (!req->provider)
		return error_setc(ERR_USAGE, "the llm engine needs a provider (--provider)");
	if ((err = prompt_build(&system, &user, &in)) < 0)
		goto done;
	if (x) {
		x->system = xstrdup(system.ptr);
		x->prompt = xstrdup(user.ptr);
		x->asked = 1;
	}

	err = ask(&reply, req->provider, system.ptr, user.ptr, req->temperature);
	if (err < 0 && err != ERR_INTERRUPTED && err != ERR_USAGE && req->fallback) {
		log_warn("%s failed (%s): asking the fallback provider %s",
			 llm_provider_name(req->provider), error_last(),
			 llm_provider_name(req->fallback));
		llm_reply_release(&reply);
		err = ask(&reply, req->fallback, system.ptr, user.ptr, req->temperature);
	}
	if (x) {
		x->provider = xstrdup_or_null(reply.provider);
		x->model = xstrdup_or_null(reply.model);
		x->reply = xstrdup_or_null(reply.text);
		x->prompt_tokens = reply.prompt_tokens;
		x->completion_tokens = reply.completion_tokens;
		x->latency = reply.latency;
	}
	if (err < 0) {
		set_outcome(x, "http error: ", error_last());
		goto done;
	}
	if (reply_parse(&change, reply.text ? reply.text : "", reply.text ? strlen(reply.text) : 0) < 0) {
		/* a reply we cannot use is a failed attempt, fed back; not an error */
		set_outcome(x, "parse error: ", error_last());
		err = 0;
		goto done;
	} else {
		struct candidate *c = candidate_list_add(out);
		size_t size = 0;
		change_release(&c->change);
		c->change = change;
		memset(&change, 0, sizeof(change));
		c->template_name = xstrdup(reply.provider ? reply.provider : llm_provider_name(req->provider));
		if (change_size(&size, &c->change, req->root) == 0)
			c->size = size;
		c->score = 1.0;
		set_outcome(x, "", "proposed");
	}
done:
	change_release(&change);
	llm_reply_release(&reply);
	buf_release(&system);
	buf_release(&user);
	return err;
}

const struct engine_ops engine_llm = {
	.name = "llm",
	.propose = llm_propose,
	.asks_model = 1,
	.in_auto = 1,
};
