#include "llm/llm.h"

#include "llm/provider.h"

#include "util/clock.h"
#include "util/error.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct llm_provider_ops *const providers[] = {
	&llm_openai_ops,
	&llm_anthropic_ops,
	&llm_replay_ops,
};

void llm_reply_release(struct llm_reply *r)
{
	struct llm_reply init = LLM_REPLY_INIT;

	free(r->text);
	free(r->model);
	free(r->provider);
	*r = init;
}

/* ---- keeping the key out of messages ---- */

/* `s` with every occurrence of `key` replaced; owned by the caller */
static char *scrub(const char *s, const char *key)
{
	struct buf b = BUF_INIT;
	size_t klen = key ? strlen(key) : 0;
	const char *hit;

	if (!klen || !strstr(s, key))
		return xstrdup(s);
	while ((hit = strstr(s, key))) {
		buf_add(&b, s, (size_t)(hit - s));
		buf_adds(&b, "[redacted]");
		s = hit + klen;
	}
	buf_adds(&b, s);
	return buf_detach(&b, NULL);
}

/* scrub the last error of the key; returns `code` */
static int scrub_error(int code, const char *key)
{
	char *clean;

	if (!key || !*key || !strstr(error_last(), key))
		return code;
	clean = scrub(error_last(), key);
	error_setc(code, "%s", clean);
	free(clean);
	return code;
}

/* ---- providers ---- */

/* `s` overwritten with NULs, then freed: a key does not linger in freed memory */
static void free_secret(char *s)
{
	volatile char *k = s;

	if (!s)
		return;
	while (*k)
		*k++ = '\0';
	free(s);
}

int llm_provider_new(struct llm_provider **out, const struct llm_config *cfg)
{
	const struct llm_provider_ops *ops = NULL;
	struct llm_provider *p;
	const char *name = cfg->provider ? cfg->provider : "";
	size_t i;
	int err;

	*out = NULL;
	for (i = 0; i < ARRAY_SIZE(providers); i++)
		if (!strcmp(providers[i]->name, name))
			ops = providers[i];
	if (!ops)
		return error_setc(ERR_USAGE, "unknown provider '%s' (openai, anthropic or replay)",
				  name);
	p = xcalloc(1, sizeof(*p));
	p->ops = ops;
	p->model = xstrdup_or_null(cfg->model);
	p->cassette = xstrdup_or_null(cfg->cassette);
	p->stream = cfg->stream;
	p->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : LLM_DEFAULT_TIMEOUT_MS;
	p->max_attempts = cfg->max_attempts > 0 ? cfg->max_attempts : LLM_DEFAULT_MAX_ATTEMPTS;
	p->backoff_initial_ms = cfg->backoff_initial_ms > 0 ? cfg->backoff_initial_ms
							    : LLM_BACKOFF_INITIAL_MS;
	secret_add(cfg->api_key);
	p->max_retry_wait_ms = cfg->max_retry_wait_ms > 0 ? cfg->max_retry_wait_ms
							  : LLM_DEFAULT_MAX_RETRY_WAIT_MS;
	if ((err = ops->init(p, cfg)) < 0) {
		/* the key may have come from the environment: scrub both */
		scrub_error(err, p->api_key);
		scrub_error(err, cfg->api_key);
		llm_provider_free(p);
		return err;
	}
	secret_add(p->api_key);    /* from the environment, maybe */
	*out = p;
	return 0;
}

void llm_provider_free(struct llm_provider *p)
{
	if (!p)
		return;
	if (p->ops->release)
		p->ops->release(p);
	free_secret(p->api_key);
	free_secret(p->base_auth);
	FREE_ALL(p->model, p->base_url, p->base_query, p->cassette, p->record_path, p);
}

const char *llm_provider_name(const struct llm_provider *p)
{
	return p->ops->name;
}

int llm_provider_record_to(struct llm_provider *p, const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return error_errno("cannot open '%s' to record the exchanges", path);
	close(fd);
	free(p->record_path);
	p->record_path = xstrdup(path);
	return 0;
}

/* ---- one completion, with retries ---- */

/* sleep `ms`, waking for an interruption */
static int sleep_interruptible(long ms)
{
	if (clock_sleep_interruptible(ms))
		return error_setc(ERR_INTERRUPTED, "interrupted while waiting to retry");
	return 0;
}

static int retryable(int err, const struct llm_http_status *st)
{
	if (err == ERR_INTERRUPTED)
		return 0;
	return st->transport || st->status == 408 || st->status == 429 || st->status >= 500;
}

static void json_set_str(json_t *o, const char *key, const char *value)
{
	json_object_set_new(o, key, value ? json_string(value) : json_null());
}

/*
 * One JSON line per exchange, in one write(2) to a file opened O_APPEND, so
 * lines of processes sharing the file do not interleave. A failure to
 * record is a warning: the answer is not thrown away for it.
 */
static void record(const struct llm_provider *p, const struct llm_request *req,
		   const struct llm_reply *r, int err, const char *message)
{
	json_t *o = json_object();
	char *line = NULL, *clean = NULL;
	size_t len;
	ssize_t n;
	int fd = -1;

	json_set_str(o, "provider", p->ops->name);
	json_set_str(o, "model", r->model ? r->model : p->model);
	json_set_str(o, "system", req->system);
	json_set_str(o, "user", req->user);
	json_object_set_new(o, "temperature", json_real(req->temperature));
	json_set_str(o, "reply", err ? NULL : r->text);
	json_object_set_new(o, "prompt_tokens", json_integer(r->prompt_tokens));
	json_object_set_new(o, "completion_tokens", json_integer(r->completion_tokens));
	json_object_set_new(o, "latency", json_real(r->latency));
	json_object_set_new(o, "status", json_integer(r->http_status));
	json_object_set_new(o, "attempts", json_integer(r->attempts));
	json_set_str(o, "error", err ? message : NULL);
	if (!(line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII))) {
		log_warn("cannot record an exchange to '%s': cannot serialise it", p->record_path);
		goto done;
	}
	clean = scrub(line, p->api_key);
	free(line);
	/* the reply may quote a secret (a model that read one somewhere): the cassette never does */
	line = clean;
	clean = secret_redacted(line);
	len = strlen(clean);
	clean = xrealloc(clean, len + 2);
	clean[len++] = '\n';
	clean[len] = '\0';
	fd = open(p->record_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_warn("cannot record an exchange to '%s': %s", p->record_path, strerror(errno));
		goto done;
	}
	do
		n = write(fd, clean, len);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)len)
		log_warn("cannot record an exchange to '%s': %s", p->record_path,
			 n < 0 ? strerror(errno) : "short write");
done:
	if (fd >= 0)
		close(fd);
	free(clean);
	free(line);
	json_decref(o);
}

/* a server that asks to wait longer than we may: the error, at once */
static int give_up_on_wait(const struct llm_provider *p, const struct llm_http_status *st)
{
	char *said = xstrdup(error_last());
	int err = error_setc(ERR_LIMIT, "'%s' %s (HTTP %ld) asks to wait %ld s before another try, "
			     "more than the %ld s allowed (--max-retry-wait): %s", p->ops->name,
			     st->status == 429 ? "rate limit" : "server", st->status,
			     st->retry_after_ms / 1000 + (st->retry_after_ms % 1000 != 0),
			     p->max_retry_wait_ms / 1000, said);
	free(said);
	return err;
}

int llm_complete(struct llm_reply *out, struct llm_provider *p, const struct llm_request *req)
{
	double start = clock_monotonic();
	long backoff = p->backoff_initial_ms;
	int attempt, err;
	char *message = NULL;
	/* a prompt never sends a secret, whichever file or output it quotes */
	struct llm_request clean = *req;
	char *system = secret_redacted(req->system), *user = secret_redacted(req->user);

	clean.system = system;
	clean.user = user;
	req = &clean;
	llm_reply_release(out);
	for (attempt = 1;; attempt++) {
		struct llm_http_status st = LLM_HTTP_STATUS_INIT;
		long wait;

		llm_reply_release(out);
		err = p->ops->complete(out, p, req, &st);
		out->attempts = attempt;
		out->http_status = (int)st.status;
		if (!err)
			break;
		scrub_error(err, p->api_key);
		if (!retryable(err, &st) || attempt >= p->max_attempts)
			break;
		if (st.retry_after_ms > p->max_retry_wait_ms) {
			err = give_up_on_wait(p, &st);
			break;
		}
		wait = st.retry_after_ms >= 0 ? st.retry_after_ms
					      : backoff > LLM_BACKOFF_MAX_MS ? LLM_BACKOFF_MAX_MS : backoff;
		log_info("%s: %s; retrying in %ld ms (attempt %d of %d)", p->ops->name,
			 error_last(), wait, attempt + 1, p->max_attempts);
		if ((err = sleep_interruptible(wait)) < 0)
			break;
		backoff = backoff * 2 > LLM_BACKOFF_MAX_MS ? LLM_BACKOFF_MAX_MS : backoff * 2;
	}
	out->latency = clock_monotonic() - start;
	if (err && out->attempts > 1)
		error_prefix(err, "gave up after %d attempts", out->attempts);
	if (err)
		message = xstrdup(error_last());
	else
		out->provider = xstrdup(p->ops->name);
	if (p->record_path)
		record(p, req, out, err, message);
	if (err) {
		error_setc(err, "%s", message);   /* recording may have touched it */
		free(out->text);
		out->text = NULL;
	}
	free(message);
	free(system);
	free(user);
	return err;
}
