/*
 * The replay provider: plays back, in order, the exchanges a session
 * recorded with --record (llm_provider_record_to(): one JSON object a
 * line), so a past session can be run again exactly, with no server and no
 * key. An exchange that failed when it was recorded fails the same way.
 */
#include "llm/provider.h"

#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define REPLAY_MAX_BYTES (256u * 1024 * 1024)

struct replay {
	json_t **exchanges;
	size_t nr, alloc;
	size_t next;
};

static int replay_init(struct llm_provider *p, const struct llm_config *cfg)
{
	struct buf text = BUF_INIT;
	struct replay *r;
	const char *line, *end;
	size_t line_no = 0;
	int err;

	if (!cfg->cassette)
		return error_setc(ERR_USAGE, "the replay provider needs --cassette FILE");
	if ((err = fs_read_file(&text, cfg->cassette, REPLAY_MAX_BYTES)) < 0) {
		buf_release(&text);
		return err == ERR_NOTFOUND ? error_setc(ERR_USAGE, "no cassette '%s'", cfg->cassette) : err;
	}
	r = xcalloc(1, sizeof(*r));
	p->state = r;
	for (line = text.ptr, end = text.ptr + text.len; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t len = nl ? (size_t)(nl - line) : (size_t)(end - line);
		json_error_t jerr;
		json_t *ex;

		line_no++;
		if (len) {
			ex = json_loadb(line, len, 0, &jerr);
			if (!ex || !json_is_object(ex)) {
				json_decref(ex);
				err = error_setc(ERR_USAGE, "cannot read cassette '%s': line %zu: %s",
						 cfg->cassette, line_no, ex ? "not an object" : jerr.text);
				break;
			}
			ALLOC_GROW(r->exchanges, r->nr + 1, r->alloc);
			r->exchanges[r->nr++] = ex;
		}
		line += len + 1;
	}
	buf_release(&text);
	if (!err && !r->nr)
		err = error_setc(ERR_USAGE, "the cassette '%s' holds no exchange", cfg->cassette);
	return err;
}

static const char *str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int replay_complete(struct llm_reply *out, struct llm_provider *p,
			   const struct llm_request *req, struct llm_http_status *st)
{
	struct replay *r = p->state;
	json_t *ex;
	const char *reply, *recorded_user;

	if (r->next >= r->nr)
		return error_setc(ERR_USAGE, "the cassette '%s' has no more exchanges (%zu played)",
				  p->cassette ? p->cassette : "?", r->nr);
	ex = r->exchanges[r->next++];
	recorded_user = str(ex, "user");
	if (recorded_user && req->user && strcmp(recorded_user, req->user))
		log_info("replay: exchange %zu was asked with a different prompt; playing it anyway",
			 r->next);
	reply = str(ex, "reply");
	if (!reply) {
		const char *why = str(ex, "error");
		return error_set("recorded failure: %s", why ? why : "the exchange failed");
	}
	out->text = xstrdup(reply);
	out->model = xstrdup_or_null(str(ex, "model"));
	out->prompt_tokens = (long)json_integer_value(json_object_get(ex, "prompt_tokens"));
	out->completion_tokens = (long)json_integer_value(json_object_get(ex, "completion_tokens"));
	(void)st;   /* no HTTP: never retried */
	return 0;
}

static void replay_release(struct llm_provider *p)
{
	struct replay *r = p->state;
	size_t i;
	if (!r)
		return;
	for (i = 0; i < r->nr; i++)
		json_decref(r->exchanges[i]);
	free(r->exchanges);
	free(r);
	p->state = NULL;
}

const struct llm_provider_ops llm_replay_ops = {
	.name = "replay",
	.init = replay_init,
	.complete = replay_complete,
	.release = replay_release,
};
