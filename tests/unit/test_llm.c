#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "net/http.h"
#include "llm/llm.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/sig.h"
#include "util/xalloc.h"

#include "fake_server.h"

#define FAKE_LLM FIXTURES_DIR "/../fakes/fake_llm.py"
#define TEST_KEY "sk-TESTKEY-1234"
#define TEST_BACKOFF_MS 50
#define TEST_TIMEOUT_MS 3000

/* ---- the fake server ---- */

static void fake_start(struct fake *f, const char *script)
{
	char *argv[] = { "python3", FAKE_LLM, f->script, f->log, "60", NULL };
	fake_init(f, "test-llm");
	fake_spawn(f, script, argv);
}

static const char *req_str(json_t *requests, size_t i, const char *path)
{
	json_t *o = json_array_get(requests, i);
	char *dup = xstrdup(path), *save = NULL, *part;

	for (part = strtok_r(dup, ".", &save); part && o; part = strtok_r(NULL, ".", &save)) {
		if (json_is_array(o))
			o = json_array_get(o, strtoul(part, NULL, 10));
		else
			o = json_object_get(o, part);
	}
	free(dup);
	return json_string_value(o);
}

static void config(struct llm_config *cfg, const char *provider, const struct fake *f,
		   char *url, size_t url_size)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->provider = provider;
	cfg->model = "m-test";
	if (f) {
		snprintf(url, url_size, "%s%s", f->base, strcmp(provider, "openai") ? "" : "/v1/");
		cfg->base_url = url;
	}
	cfg->api_key = TEST_KEY;
	cfg->timeout_ms = TEST_TIMEOUT_MS;
	cfg->backoff_initial_ms = TEST_BACKOFF_MS;
}

static const struct llm_request request = { "you fix tests", "fix test_x", 0.25, 0 };

/* one completion against a fresh fake running `script` */
static int run_once(struct llm_reply *reply, struct fake *f, const char *provider,
		    const char *script, void (*tweak)(struct llm_config *))
{
	struct llm_config cfg;
	struct llm_provider *p = NULL;
	char url[256];
	int err;

	fake_start(f, script);
	config(&cfg, provider, f, url, sizeof(url));
	if (tweak)
		tweak(&cfg);
	assert_int_equal(llm_provider_new(&p, &cfg), 0);
	err = llm_complete(reply, p, &request);
	llm_provider_free(p);
	return err;
}

static void assert_no_key(const char *s)
{
	if (strstr(s, TEST_KEY))
		fail_msg("the key shows in '%s'", s);
}

static void streaming(struct llm_config *cfg)
{
	cfg->stream = 1;
}

/* ---- the OpenAI protocol ---- */

static void llm__openai_plain(void **state)
{
	struct llm_reply r = LLM_REPLY_INIT;
	struct fake f;
	json_t *reqs;

	assert_int_equal(run_once(&r, &f, "openai", "[{\"content\":\"hello there\"}]", NULL), 0);
	assert_string_equal(r.text, "hello there");
	assert_string_equal(r.provider, "openai");
	assert_string_equal(r.model, "m-test");
	assert_int_equal(r.prompt_tokens, 12);
	assert_int_equal(r.completion_tokens, 34);
	assert_int_equal(r.attempts, 1);
	assert_int_equal(r.http_status, 200);
	reqs = fake_requests(&f);
	assert_int_equal(json_array_size(reqs), 1);
	assert_string_equal(req_str(reqs, 0, "path"), "/v1/chat/completions");
	assert_string_equal(req_str(reqs, 0, "headers.Authorization"), "Bearer " TEST_KEY);
	assert_string_equal(req_str(reqs, 0, "body.model"), "m-test");
	assert_string_equal(req_str(reqs, 0, "body.messages.0.role"), "system");
	assert_string_equal(req_str(reqs, 0, "body.messages.0.content"), "you fix tests");
	assert_string_equal(req_str(reqs, 0, "body.messages.1.role"), "user");
	assert_string_equal(req_str(reqs, 0, "body.messages.1.content"), "fix test_x");
	assert_true(json_real_value(json_object_get(json_object_get(json_array_get(reqs, 0),
								    "body"), "temperature")) == 0.25);
	assert_null(json_object_get(json_object_get(json_array_get(reqs, 0), "body"), "stream"));
	json_decref(reqs);
	llm_reply_release(&r);
	fake_stop(&f);
}

static void llm__openai_stream(void **state)
{
	struct llm_reply r = LLM_REPLY_INIT;
	struct fake f;
	json_t *reqs;

	assert_int_equal(run_once(&r, &f, "openai",
				  "[{\"content\":\"a streamed answer, in pieces\"}]", streaming), 0);
	assert_string_equal(r.text, "a streamed answer, in pieces");
	assert_int_equal(r.prompt_tokens, 12);
	assert_int_equal(r.completion_tokens, 34);
	reqs = fake_requests(&f);
	assert_true(json_is_true(json_object_get(json_object_get(json_array_get(reqs, 0), "body"),
						 "stream")));
	json_decref(reqs);
	llm_reply_release(&r);
	fake_stop(&f);
}

static void llm__stream_with_crlf_lines(void **state)
{
	struct llm_reply r = LLM_REPLY_INIT;
	struct fake f;

	assert_int_equal(run_once(&r, &f, "openai",
				  "[{\"content\":\"line one\\nline two\",\"crlf\":true}]", streaming), 0);
	assert_string_equal(r.text, "line one\nline two");
	llm_reply_release(&r);
	fake_stop(&f);
	assert_int_equal(run_once(&r, &f, "anthropic",
				  "[{\"content\":\"crlf too\",\"crlf\":true}]", streaming), 0);
	assert_string_equal(r.text, "crlf too");
	llm_reply_release(&r);
	fake_stop(&f);
}

static void llm__stream_without_usage_estimates_tokens(void **state)
{
	struct llm_reply r = LLM_REPLY_INIT;
	struct fake f;

	assert_int_equal(run_once(&r, &f, "openai",
				  "[{\"content\":\"0123456789abcdef\",\"usage\":false}]", streaming), 0);
	assert_string_equal(r.text, "0123456789abcdef");
	assert_int_equal(r.completion_tokens, 4);
	assert_int_equal(r.prompt_tokens, (long)(strlen(request.system) + strlen(request.user) + 3) / 4);
	llm_reply_release(&r);
	fake_stop(&f);
}

/* ---- the Anthropic protocol ---- */

static void llm__anthropic_plain(void **state)
{
	struct llm_reply r = LLM_REPLY_INIT;
	struct fake f;
	json_t *reqs, *body;

	assert_int_equal(run_once(&r, &f, "anthropic", "[{\"content\":\"bonjour\"}]", NULL), 0);
	assert_string_equal(r.text, "bonjour");
	assert_string_equal(r.provider, "anthropic");
	assert_int_equal(r.prompt_tokens, 12);
	assert_int_equal(r.completion_tokens, 34);
	reqs = fake_requests(&f);
	assert_string_equal(req_str(reqs, 0, "path"), "/v1/messages");
	assert_string_equal(req_str(reqs, 0, "headers.x-api-key"), TEST_KEY);
	assert_string_equal(req_str(reqs, 0, "headers.anthropic-version"), "2023-06-01");
	assert_null(req_str(reqs, 0, "headers.Authorization"));
	assert_string_equal(req_str(reqs, 0, "body.system"), "you fix tests");
	assert_string_equal(req_str(reqs, 0, "body.messages.0.role"), "user");
	assert_string_equal(req_str(reqs, 0, "body.messages.0.content"), "fix test_x");
	body = json_object_get(json_array_get(reqs, 0), "body");
	assert_int_equal(json_integer_value(json_object_get(body, "max_tokens")), 4096);
	assert_true(json_real_value(json_object_get(body, "temperature")) == 0.25);
	json_decref(reqs);
	llm_reply_release(&r);
	fake_stop(&f);
}

static void llm__anthropic_stream(void **state)
{
	struct llm_reply r = LLM_REPLY_INIT;
	struct fake f;

	assert_int_equal(run_once(&r, &f, "anthropic",
				  "[{\"content\":\"streamed from claude\",\"usage\":{\"prompt\":7,"
				  "\"completion\":9}}]", streaming), 0);
	assert_string_equal(r.text, "streamed from claude");
	assert_int_equal(r.prompt_tokens, 7);
	assert_int_equal(r.completion_tokens, 9);
	llm_reply_release(&r);
	fake_stop(&f);
}

/* ---- retries ---- */

static void llm__retry_after_429_is_honoured(void **state)
{
	struct llm_reply r = LLM_REPLY_INIT;
	struct fake f;
	double start = clock_monotonic(), took;

	assert_int_equal(run_once(&r, &f, "openai",
				  "[{\"status\":429,\"retry_after\":1},{\"content\":\"second\"}]", NULL),
			 0);
	took = clock_monotonic() - start;
	assert_string_equal(r.text, "second");
	assert_int_equal(r.attempts, 2);
	/* the backoff alone is 50 ms: the server's second was waited for */
	assert_true(took >= 0.9);
	assert_true(took < 5.0);
	llm_reply_release(&r);
	fake_stop(&f);
}

static void llm__retry_after_as_a_date(void **state)
{
	struct llm_reply r = LLM_REPLY_INIT;
	struct fake f;
	double start = clock_monotonic(), took;

	assert_int_equal(run_once(&r, &f, "anthropic",
				  "[{\"status\":529,\"retry_after_date\":2},{\"content\":\"later\"}]",
				  NULL), 0);
	took = clock_monotonic() - start;
	assert_string_equal(r.text, "later");
	assert_int_equal(r.attempts, 2);
	/* two seconds ahead, to the second: more than the 50 ms backoff */
	assert_true(took >= 0.5);
	assert_true(took < 5.0);
	llm_reply_release(&r);
	fake_stop(&f);
}

static void llm__body_past_the_cap_is_err_limit(void **state)
{
	struct llm_reply r = LLM_REPLY_INIT;
	struct fake f;
	char script[64];

	snprintf(script, sizeof(script), "[{\"pad\":%u}]", LLM_MAX_RESPONSE_BYTES + 1);
	assert_int_equal(run_once(&r, &f, "openai", script, NULL), ERR_LIMIT);
	assert_int_equal(r.attempts, 1);
	assert_non_null(strstr(error_last(), "limit"));
	llm_reply_release(&r);
	fake_stop(&f);
}

static void llm__server_error_is_retried(void **state)
{
	struct llm_reply r = LLM_REPLY_INIT;
	struct fake f;

	assert_int_equal(run_once(&r, &f, "anthropic",
				  "[{\"status\":500},{\"status\":503},{\"content\":\"third\"}]", NULL), 0);
	assert_string_equal(r.text, "third");
	assert_int_equal(r.attempts, 3);
	llm_reply_release(&r);
	fake_stop(&f);
}

static void short_timeout(struct llm_config *cfg)
{
	cfg->timeout_ms = 500;
}

static void llm__timeout_is_retried(void **state)
{
	struct llm_reply r = LLM_REPLY_INIT;
	struct fake f;

	assert_int_equal(run_once(&r, &f, "openai",
				  "[{\"sleep\":3,\"content\":\"late\"},{\"content\":\"on time\"}]",
				  short_timeout), 0);
	assert_string_equal(r.text, "on time");
	assert_int_equal(r.attempts, 2);
	llm_reply_release(&r);
	fake_stop(&f);
}

static void one_attempt(struct llm_config *cfg)
{
	cfg->timeout_ms = 500;
	cfg->max_attempts = 1;
}

static void stream_once(struct llm_config *cfg)
{
	cfg->stream = 1;
	cfg->max_attempts = 1;
}

static void llm__timeout_alone_is_err_timeout(void **state)
{
	struct llm_reply r = LLM_REPLY_INIT;
	struct fake f;

	assert_int_equal(run_once(&r, &f, "openai", "[{\"sleep\":3}]", one_attempt), ERR_TIMEOUT);
	assert_non_null(strstr(error_last(), "500 ms"));
	llm_reply_release(&r);
	fake_stop(&f);
}

static void llm__unauthorized_is_not_retried(void **state)
{
	struct llm_reply r = LLM_REPLY_INIT;
	struct fake f;
	json_t *reqs;

	assert_int_equal(run_once(&r, &f, "openai",
				  "[{\"error\":\"invalid api key\",\"status\":401},{\"content\":\"x\"}]",
				  NULL), ERR_USAGE);
	assert_non_null(strstr(error_last(), "invalid api key"));
	assert_non_null(strstr(error_last(), "401"));
	assert_int_equal(r.attempts, 1);
	assert_null(r.text);
	reqs = fake_requests(&f);
	assert_int_equal(json_array_size(reqs), 1);
	json_decref(reqs);
	llm_reply_release(&r);
	fake_stop(&f);

	assert_int_equal(run_once(&r, &f, "anthropic",
				  "[{\"error\":\"model not found\",\"status\":404}]", NULL), ERR_USAGE);
	assert_non_null(strstr(error_last(), "model not found"));
	llm_reply_release(&r);
	fake_stop(&f);
}

static void llm__malformed_body_is_err_parse(void **state)
{
	struct llm_reply r = LLM_REPLY_INIT;
	struct fake f;

	assert_int_equal(run_once(&r, &f, "openai", "[{\"body\":\"not json\"}]", NULL), ERR_PARSE);
	assert_non_null(strstr(error_last(), "'openai'"));
	llm_reply_release(&r);
	fake_stop(&f);
	assert_int_equal(run_once(&r, &f, "anthropic", "[{\"body\":\"{\\\"content\\\":7}\"}]",
				  NULL), ERR_PARSE);
	assert_non_null(strstr(error_last(), "'anthropic'"));
	llm_reply_release(&r);
	fake_stop(&f);
}

static void single(struct llm_config *cfg)
{
	cfg->max_attempts = 1;
}

static void single_stream(struct llm_config *cfg)
{
	cfg->max_attempts = 1;
	cfg->stream = 1;
}

static void llm__truncated_body_is_an_error(void **state)
{
	struct llm_reply r = LLM_REPLY_INIT;
	struct fake f;
	int err;

	err = run_once(&r, &f, "openai", "[{\"truncate\":true}]", single);
	assert_true(err < 0);
	assert_null(r.text);
	llm_reply_release(&r);
	fake_stop(&f);

	err = run_once(&r, &f, "anthropic", "[{\"truncate\":true,\"content\":\"long enough "
		       "to be cut in the middle\"}]", single_stream);
	assert_true(err < 0);
	assert_null(r.text);
	llm_reply_release(&r);
	fake_stop(&f);

	/* cut short is a transport failure: tried again */
	assert_int_equal(run_once(&r, &f, "openai",
				  "[{\"truncate\":true},{\"content\":\"whole\"}]", NULL), 0);
	assert_string_equal(r.text, "whole");
	assert_int_equal(r.attempts, 2);
	llm_reply_release(&r);
	fake_stop(&f);
}

static void three_attempts(struct llm_config *cfg)
{
	cfg->max_attempts = 3;
}

static void llm__rate_limit_exhausted_is_err_limit(void **state)
{
	struct llm_reply r = LLM_REPLY_INIT;
	struct fake f;
	json_t *reqs;

	assert_int_equal(run_once(&r, &f, "openai",
				  "[{\"status\":429},{\"status\":429},{\"status\":429},"
				  "{\"content\":\"too late\"}]", three_attempts), ERR_LIMIT);
	assert_int_equal(r.attempts, 3);
	assert_int_equal(r.http_status, 429);
	assert_non_null(strstr(error_last(), "3 attempts"));
	reqs = fake_requests(&f);
	assert_int_equal(json_array_size(reqs), 3);
	json_decref(reqs);
	llm_reply_release(&r);
	fake_stop(&f);
}

/* ---- configuration ---- */

static void llm__missing_key_is_named(void **state)
{
	struct llm_config cfg;
	struct llm_provider *p = NULL;
	char url[256];

	config(&cfg, "openai", NULL, url, sizeof(url));
	cfg.api_key = NULL;
	assert_int_equal(llm_provider_new(&p, &cfg), ERR_USAGE);
	assert_null(p);
	assert_string_equal(error_last(), "no API key for 'openai': give --api-key or set "
			    "OPENAI_API_KEY");
	cfg.provider = "anthropic";
	assert_int_equal(llm_provider_new(&p, &cfg), ERR_USAGE);
	assert_non_null(strstr(error_last(), "ANTHROPIC_API_KEY"));

	/* a local server needs none */
	cfg.provider = "openai";
	cfg.base_url = "http://127.0.0.1:11434/v1";
	assert_int_equal(llm_provider_new(&p, &cfg), 0);
	assert_string_equal(llm_provider_name(p), "openai");
	llm_provider_free(p);

	/* the environment's key */
	setenv("OPENAI_API_KEY", TEST_KEY, 1);
	cfg.base_url = NULL;
	assert_int_equal(llm_provider_new(&p, &cfg), 0);
	llm_provider_free(p);
	unsetenv("OPENAI_API_KEY");
}

static void llm__bad_base_url_is_refused(void **state)
{
	struct llm_config cfg;
	struct llm_provider *p = NULL;
	char url[256];

	config(&cfg, "openai", NULL, url, sizeof(url));
	cfg.base_url = "ftp://example.com/v1";
	assert_int_equal(llm_provider_new(&p, &cfg), ERR_USAGE);
	assert_non_null(strstr(error_last(), "ftp://example.com/v1"));
	/* a password too short to be registered is still never quoted */
	cfg.base_url = "ftp://user:short@example.com/v1";
	assert_int_equal(llm_provider_new(&p, &cfg), ERR_USAGE);
	assert_non_null(strstr(error_last(), "ftp://example.com/v1"));
	assert_null(strstr(error_last(), "short"));
	cfg.base_url = "127.0.0.1:8080";
	assert_int_equal(llm_provider_new(&p, &cfg), ERR_USAGE);
	cfg.base_url = "http://";
	assert_int_equal(llm_provider_new(&p, &cfg), ERR_USAGE);
	setenv("ANTHROPIC_BASE_URL", "localhost:1", 1);
	cfg.provider = "anthropic";
	cfg.base_url = NULL;
	assert_int_equal(llm_provider_new(&p, &cfg), ERR_USAGE);
	unsetenv("ANTHROPIC_BASE_URL");
	cfg.provider = "gemini";
	assert_int_equal(llm_provider_new(&p, &cfg), ERR_USAGE);
	assert_non_null(strstr(error_last(), "'gemini'"));
	assert_null(p);
}

static void llm__connection_refused_is_retried(void **state)
{
	struct llm_config cfg;
	struct llm_provider *p = NULL;
	struct llm_reply r = LLM_REPLY_INIT;
	char url[256];
	struct fake f;
	int err;

	/* a port that was just free */
	fake_start(&f, "[]");
	config(&cfg, "openai", &f, url, sizeof(url));
	fake_stop(&f);
	cfg.max_attempts = 2;
	assert_int_equal(llm_provider_new(&p, &cfg), 0);
	err = llm_complete(&r, p, &request);
	assert_int_equal(err, ERR_GENERIC);
	assert_int_equal(r.attempts, 2);
	assert_non_null(strstr(error_last(), "/v1/chat/completions"));
	assert_no_key(error_last());
	llm_reply_release(&r);
	llm_provider_free(p);
}

/* ---- secrets and records ---- */

static void llm__key_is_never_shown(void **state)
{
	struct llm_config cfg;
	struct llm_provider *p = NULL;
	struct llm_reply r = LLM_REPLY_INIT;
	struct buf rec = BUF_INIT, path = BUF_INIT;
	char url[256];
	struct fake f;

	/* a server that quotes the key back in its message */
	fake_start(&f, "[{\"error\":\"incorrect API key provided: " TEST_KEY "\",\"status\":401},"
		       "{\"content\":\"echo " TEST_KEY "\"}]");
	config(&cfg, "openai", &f, url, sizeof(url));
	assert_int_equal(llm_provider_new(&p, &cfg), 0);
	buf_addf(&path, "%s/record.jsonl", f.dir.ptr);
	assert_int_equal(llm_provider_record_to(p, path.ptr), 0);
	assert_int_equal(llm_complete(&r, p, &request), ERR_USAGE);
	assert_non_null(strstr(error_last(), "incorrect API key provided"));
	assert_no_key(error_last());
	assert_int_equal(llm_complete(&r, p, &request), 0);
	assert_int_equal(fs_read_file(&rec, path.ptr, 0), 0);
	assert_no_key(rec.ptr);
	assert_non_null(strstr(rec.ptr, "incorrect API key provided"));
	llm_reply_release(&r);
	llm_provider_free(p);
	buf_release(&rec);
	buf_release(&path);
	fake_stop(&f);
}

static void llm__record_has_one_line_per_exchange(void **state)
{
	struct llm_config cfg;
	struct llm_provider *p = NULL;
	struct llm_reply r = LLM_REPLY_INIT;
	struct buf path = BUF_INIT;
	char url[256];
	struct fake f;
	FILE *fp;
	char *line = NULL;
	size_t cap = 0;
	json_t *o[3];
	int n = 0;

	fake_start(&f, "[{\"content\":\"first\"},{\"body\":\"not json\"}]");
	config(&cfg, "openai", &f, url, sizeof(url));
	assert_int_equal(llm_provider_new(&p, &cfg), 0);
	buf_addf(&path, "%s/record.jsonl", f.dir.ptr);
	assert_int_equal(llm_provider_record_to(p, path.ptr), 0);
	assert_int_equal(llm_complete(&r, p, &request), 0);
	assert_int_equal(llm_complete(&r, p, &request), ERR_PARSE);

	fp = fopen(path.ptr, "r");
	assert_non_null(fp);
	while (getline(&line, &cap, fp) > 0) {
		assert_true(n < 2);
		o[n] = json_loads(line, 0, NULL);
		assert_non_null(o[n]);
		n++;
	}
	free(line);
	fclose(fp);
	assert_int_equal(n, 2);

	assert_string_equal(json_string_value(json_object_get(o[0], "provider")), "openai");
	assert_string_equal(json_string_value(json_object_get(o[0], "model")), "m-test");
	assert_string_equal(json_string_value(json_object_get(o[0], "system")), "you fix tests");
	assert_string_equal(json_string_value(json_object_get(o[0], "user")), "fix test_x");
	assert_true(json_real_value(json_object_get(o[0], "temperature")) == 0.25);
	assert_string_equal(json_string_value(json_object_get(o[0], "reply")), "first");
	assert_int_equal(json_integer_value(json_object_get(o[0], "prompt_tokens")), 12);
	assert_int_equal(json_integer_value(json_object_get(o[0], "completion_tokens")), 34);
	assert_true(json_is_real(json_object_get(o[0], "latency")));
	assert_int_equal(json_integer_value(json_object_get(o[0], "status")), 200);
	assert_true(json_is_null(json_object_get(o[0], "error")));

	assert_true(json_is_null(json_object_get(o[1], "reply")));
	assert_non_null(strstr(json_string_value(json_object_get(o[1], "error")), "openai"));
	json_decref(o[0]);
	json_decref(o[1]);
	llm_reply_release(&r);
	llm_provider_free(p);
	buf_release(&path);
	fake_stop(&f);
}

/* ---- a base URL with credentials and a query (Azure OpenAI's form) ---- */

#define URL_PASSWORD "pw-Az-0123456789"

static void llm__base_url_query_and_credentials(void **state)
{
	struct llm_config cfg;
	struct llm_provider *p = NULL;
	struct llm_reply r = LLM_REPLY_INIT;
	struct buf rec = BUF_INIT, path = BUF_INIT, base = BUF_INIT;
	char url[256];
	struct fake f;
	json_t *reqs;

	fake_start(&f, "[{\"content\":\"one\"},{\"content\":\"two\"},{\"status\":400}]");
	config(&cfg, "openai", &f, url, sizeof(url));
	buf_addf(&base, "http://user:" URL_PASSWORD "@%s/v1/?api-version=2024-06-01#x",
		 f.base + strlen("http://"));
	cfg.base_url = base.ptr;
	assert_int_equal(llm_provider_new(&p, &cfg), 0);
	buf_addf(&path, "%s/record.jsonl", f.dir.ptr);
	assert_int_equal(llm_provider_record_to(p, path.ptr), 0);
	assert_int_equal(llm_complete(&r, p, &request), 0);
	llm_provider_free(p);
	/* without a key, the URL's credentials are the basic auth */
	cfg.api_key = "";
	assert_int_equal(llm_provider_new(&p, &cfg), 0);
	assert_int_equal(llm_complete(&r, p, &request), 0);
	assert_int_equal(llm_complete(&r, p, &request), ERR_USAGE);
	assert_null(strstr(error_last(), URL_PASSWORD));
	reqs = fake_requests(&f);
	assert_int_equal(json_array_size(reqs), 3);
	/* the endpoint goes on the path, the query stays a query */
	assert_string_equal(req_str(reqs, 0, "path"), "/v1/chat/completions?api-version=2024-06-01");
	assert_string_equal(req_str(reqs, 0, "headers.Authorization"), "Bearer " TEST_KEY);
	assert_string_equal(req_str(reqs, 1, "path"), "/v1/chat/completions?api-version=2024-06-01");
	/* base64 of "user:pw-Az-0123456789" */
	assert_string_equal(req_str(reqs, 1, "headers.Authorization"),
			    "Basic dXNlcjpwdy1Bei0wMTIzNDU2Nzg5");
	assert_int_equal(fs_read_file(&rec, path.ptr, 0), 0);
	assert_null(strstr(rec.ptr, URL_PASSWORD));
	json_decref(reqs);
	llm_reply_release(&r);
	llm_provider_free(p);
	buf_release(&rec);
	buf_release(&path);
	buf_release(&base);
	fake_stop(&f);
}

/* ---- usage figures from the server are clamped ---- */

static void llm__absurd_usage_is_clamped(void **state)
{
	const char *script = "[{\"content\":\"x\",\"usage\":{\"prompt\":9223372036854775807,"
			     "\"completion\":-5}}]";
	struct llm_reply r = LLM_REPLY_INIT;
	struct fake f;

	assert_int_equal(run_once(&r, &f, "openai", script, NULL), 0);
	assert_int_equal(r.prompt_tokens, LLM_MAX_REPORTED_TOKENS);
	assert_int_equal(r.completion_tokens, 0);
	fake_stop(&f);
	assert_int_equal(run_once(&r, &f, "anthropic", script, NULL), 0);
	assert_int_equal(r.prompt_tokens, LLM_MAX_REPORTED_TOKENS);
	assert_int_equal(r.completion_tokens, 0);
	fake_stop(&f);
	assert_int_equal(run_once(&r, &f, "anthropic", script, streaming), 0);
	assert_int_equal(r.prompt_tokens, LLM_MAX_REPORTED_TOKENS);
	llm_reply_release(&r);
	fake_stop(&f);
}

static void llm__token_sums_saturate(void **state)
{
	assert_true(sat_add(LONG_MAX, LLM_MAX_REPORTED_TOKENS) == LONG_MAX);
	assert_true(sat_add(LONG_MAX - 1, 1) == LONG_MAX);
	assert_true(sat_add(LONG_MIN, -1) == LONG_MIN);
	assert_true(sat_add(40, 2) == 42);
	assert_true(sat_add(-40, 2) == -38);
}

static void llm__interrupt_stops_the_wait(void **state)
{
	struct llm_reply r = LLM_REPLY_INIT;
	struct fake f;
	double start = clock_monotonic();

	sig_install();
	raise(SIGINT);
	assert_int_equal(run_once(&r, &f, "openai",
				  "[{\"status\":429,\"retry_after\":5},{\"content\":\"x\"}]", NULL),
			 ERR_INTERRUPTED);
	assert_true(clock_monotonic() - start < 4.0);
	sig_reset();
	llm_reply_release(&r);
	fake_stop(&f);
}

/* a server asking to wait past max_retry_wait_ms is given up on at once, saying so */
static void llm__huge_retry_after_fails_fast(void **state)
{
	struct llm_reply r = LLM_REPLY_INIT;
	struct fake f;
	double start = clock_monotonic();

	assert_int_equal(run_once(&r, &f, "openai",
				  "[{\"status\":429,\"retry_after\":999999999},{\"content\":\"x\"}]",
				  NULL), ERR_LIMIT);
	assert_true(clock_monotonic() - start < 3.0);
	assert_int_equal(r.attempts, 1);
	assert_non_null(strstr(error_last(), "'openai' rate limit (HTTP 429) asks to wait 999999999 s"
			       " before another try, more than the 120 s allowed (--max-retry-wait)"));
	llm_reply_release(&r);
	fake_stop(&f);
}

static void short_retry_wait(struct llm_config *cfg)
{
	cfg->max_retry_wait_ms = 1000;
}

/* up to the cap, Retry-After is waited for exactly */
static void llm__retry_after_up_to_the_cap_is_waited(void **state)
{
	struct llm_reply r = LLM_REPLY_INIT;
	struct fake f;

	assert_int_equal(run_once(&r, &f, "anthropic",
				  "[{\"status\":429,\"retry_after\":1},{\"status\":429,\"retry_after\":2}]",
				  short_retry_wait), ERR_LIMIT);
	assert_int_equal(r.attempts, 2);
	assert_non_null(strstr(error_last(), "asks to wait 2 s before another try, more than the "
			       "1 s allowed"));
	llm_reply_release(&r);
	fake_stop(&f);
}

/* a reply that trickles in is cut at the request's deadline */
static void llm__trickling_reply_is_cut_at_the_deadline(void **state)
{
	struct llm_reply r = LLM_REPLY_INIT;
	struct fake f;
	double start = clock_monotonic();

	assert_int_equal(run_once(&r, &f, "openai", "[{\"trickle\":0.3,\"content\":\"slow\"}]",
				  one_attempt), ERR_TIMEOUT);
	assert_true(clock_monotonic() - start < 3.0);
	assert_non_null(strstr(error_last(), "within 500 ms"));
	llm_reply_release(&r);
	fake_stop(&f);
}

static void assert_no_escape(const char *s)
{
	if (strchr(s, '\x1b') || strstr(s, "\xc2\x9b"))
		fail_msg("a raw escape code in '%s'", s);
}

/* what a server says goes to the terminal with its escape codes made visible */
static void llm__error_bodies_show_no_escape_codes(void **state)
{
	static const char *const scripts[] = {
		"[{\"status\":400,\"error\":\"\\u001b[31mred\\u001b[0m \\u009b2J\"}]",
		"[{\"stream_error\":\"\\u001b[31mred\\u001b[0m \\u009b2J\",\"content\":\"abcdefghijkl\"}]",
	};
	static const char *const providers[] = { "openai", "anthropic" };
	size_t i, k;

	for (i = 0; i < ARRAY_SIZE(scripts); i++)
		for (k = 0; k < ARRAY_SIZE(providers); k++) {
			struct llm_reply r = LLM_REPLY_INIT;
			struct fake f;
			void (*tweak)(struct llm_config *) = i ? stream_once : one_attempt;

			assert_true(run_once(&r, &f, providers[k], scripts[i], tweak) < 0);
			assert_no_escape(error_last());
			assert_non_null(strstr(error_last(), "\\x1b[31mred\\x1b[0m \\u009b2J"));
			llm_reply_release(&r);
			fake_stop(&f);
		}
}

int main(void)
{
	static const char *const unset[] = {
		"OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL",
		"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
		"ALL_PROXY",
	};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(llm__openai_plain),
		cmocka_unit_test(llm__openai_stream),
		cmocka_unit_test(llm__stream_with_crlf_lines),
		cmocka_unit_test(llm__stream_without_usage_estimates_tokens),
		cmocka_unit_test(llm__anthropic_plain),
		cmocka_unit_test(llm__anthropic_stream),
		cmocka_unit_test(llm__retry_after_429_is_honoured),
		cmocka_unit_test(llm__retry_after_as_a_date),
		cmocka_unit_test(llm__huge_retry_after_fails_fast),
		cmocka_unit_test(llm__retry_after_up_to_the_cap_is_waited),
		cmocka_unit_test(llm__trickling_reply_is_cut_at_the_deadline),
		cmocka_unit_test(llm__error_bodies_show_no_escape_codes),
		cmocka_unit_test(llm__body_past_the_cap_is_err_limit),
		cmocka_unit_test(llm__server_error_is_retried),
		cmocka_unit_test(llm__timeout_is_retried),
		cmocka_unit_test(llm__timeout_alone_is_err_timeout),
		cmocka_unit_test(llm__unauthorized_is_not_retried),
		cmocka_unit_test(llm__malformed_body_is_err_parse),
		cmocka_unit_test(llm__truncated_body_is_an_error),
		cmocka_unit_test(llm__rate_limit_exhausted_is_err_limit),
		cmocka_unit_test(llm__missing_key_is_named),
		cmocka_unit_test(llm__bad_base_url_is_refused),
		cmocka_unit_test(llm__connection_refused_is_retried),
		cmocka_unit_test(llm__key_is_never_shown),
		cmocka_unit_test(llm__record_has_one_line_per_exchange),
		cmocka_unit_test(llm__interrupt_stops_the_wait),
		cmocka_unit_test(llm__base_url_query_and_credentials),
		cmocka_unit_test(llm__absurd_usage_is_clamped),
		cmocka_unit_test(llm__token_sums_saturate),
	};
	size_t i;
	int failed;

	for (i = 0; i < ARRAY_SIZE(unset); i++)
		unsetenv(unset[i]);
	signal(SIGPIPE, SIG_IGN);
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	/* libcurl's global state, so that LeakSanitizer sees only ours */
	http_global_cleanup();
	return failed;
}
