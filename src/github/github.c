/*
 * GitHub's REST API over net/http.h: one retrying request function that
 * turns statuses into our errors, and the few endpoints pytest-fixer uses.
 * Artifacts' zips are opened from memory with libzip.
 */
#include "github/github.h"

#include "net/http.h"
#include "runner/cilog.h"
#include "runner/junit.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <jansson.h>
#include <zip.h>

#include <ctype.h>
#include <limits.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct github {
	char *api_url;          /* without a trailing slash */
	char *token;            /* NULL: none; never shown */
	int timeout_ms;
	int max_retries;
	long max_wait_ms;
	long backoff_initial_ms;
	long max_retry_wait_ms;
	long rate_waits;        /* waits for a rate limit, for github_stats() */
	long rate_waited_ms;
};

/* ---- small helpers ---- */

/* a decimal integer, all of `s`, optionally signed; 0 or -1 */
static int parse_ll(long long *out, const char *s)
{
	char *end;
	long long v;

	if (!s)
		return -1;
	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s)
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	while (*end == ' ' || *end == '\t')
		end++;
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

/* an owner or repository name: letters, digits, '.', '-', '_'; not "." or ".." */
static int check_name(const char *what, const char *name)
{
	const char *p;

	if (!name || !*name)
		return error_setc(ERR_USAGE, "invalid github %s '': it is empty", what);
	for (p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-' && *p != '_')
			return error_setc(ERR_USAGE, "invalid github %s '%s': only letters, digits, "
					  "'.', '-' and '_' are allowed", what, name);
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return error_setc(ERR_USAGE, "invalid github %s '%s'", what, name);
	return 0;
}

static int check_repo(const char *owner, const char *repo)
{
	int err;

	if ((err = check_name("owner", owner)) < 0 || (err = check_name("repository", repo)) < 0)
		return err;
	return 0;
}

/* check_repo(), and a positive id of a `what` ("job", "run") */
static int check_repo_id(const char *owner, const char *repo, const char *what, long long id)
{
	int err;

	if ((err = check_repo(owner, repo)) < 0)
		return err;
	if (id <= 0)
		return error_setc(ERR_USAGE, "invalid github %s id %lld", what, id);
	return 0;
}

static int sleep_interruptible(long ms, const char *method, const char *path)
{
	if (clock_sleep_interruptible(ms))
		return error_setc(ERR_INTERRUPTED, "interrupted while waiting to retry %s %s",
				  method, path);
	return 0;
}

/* ---- opening ---- */

static int api_url_from(char **out, const char *url, const char *where)
{
	struct buf what = BUF_INIT;
	int err;
	buf_addf(&what, "github API URL (%s)", where);
	err = http_base_url(out, url, what.ptr);
	buf_release(&what);
	return err;
}

static int api_url_for_host(char **out, const char *host)
{
	const char *p;

	if (!strcasecmp(host, GITHUB_HOST) || !strcasecmp(host, "www." GITHUB_HOST)) {
		*out = xstrdup(GITHUB_API_URL_DEFAULT);
		return 0;
	}
	for (p = host; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-' && *p != ':')
			return error_setc(ERR_USAGE, "invalid github host '%s'", host);
	{
		struct buf url = BUF_INIT;
		buf_addf(&url, "https://%s%s", host, GITHUB_ENTERPRISE_API_PATH);
		*out = buf_detach(&url, NULL);
	}
	return 0;
}

static int max_wait_from(long *out, long configured)
{
	const char *env = getenv(GITHUB_ENV_MAX_WAIT_MS);
	long long v;

	if (configured >= 0) {
		*out = configured;
		return 0;
	}
	if (!env || !*env) {
		*out = GITHUB_DEFAULT_MAX_WAIT_MS;
		return 0;
	}
	if (parse_ll(&v, env) < 0 || v < 0 || v > 24LL * 3600 * 1000)
		return error_setc(ERR_USAGE, "bad %s '%s': it must be a number of milliseconds",
				  GITHUB_ENV_MAX_WAIT_MS, env);
	*out = (long)v;
	return 0;
}

int github_open(struct github **out, const char *host, const struct github_options *opts)
{
	static const struct github_options defaults = GITHUB_OPTIONS_INIT;
	struct github *gh = xcalloc(1, sizeof(*gh));
	const char *url, *token, *p;
	int err;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	if (!host || !*host)
		host = GITHUB_HOST;
	if (opts->api_url && *opts->api_url)
		err = api_url_from(&gh->api_url, opts->api_url, "the configured one");
	else if ((url = getenv(GITHUB_ENV_API_URL)) && *url)
		err = api_url_from(&gh->api_url, url, GITHUB_ENV_API_URL);
	else
		err = api_url_for_host(&gh->api_url, host);
	if (err < 0)
		goto fail;

	token = opts->token ? opts->token : getenv(GITHUB_ENV_TOKEN);
	if (token && *token) {
		for (p = token; *p; p++)
			if ((unsigned char)*p <= ' ' || *p == 0x7f) {
				err = error_setc(ERR_USAGE, "the github token (%s) holds a blank or a "
						 "control character", opts->token ? "given" : GITHUB_ENV_TOKEN);
				goto fail;
			}
		gh->token = xstrdup(token);
	}
	gh->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : GITHUB_DEFAULT_TIMEOUT_MS;
	gh->max_retries = opts->max_retries >= 0 ? opts->max_retries : GITHUB_DEFAULT_MAX_RETRIES;
	gh->backoff_initial_ms = opts->backoff_initial_ms > 0 ? opts->backoff_initial_ms
							      : GITHUB_BACKOFF_INITIAL_MS;
	gh->max_retry_wait_ms = opts->max_retry_wait_ms > 0 ? opts->max_retry_wait_ms
							  : GITHUB_DEFAULT_MAX_RETRY_WAIT_MS;
	if ((err = max_wait_from(&gh->max_wait_ms, opts->max_wait_ms)) < 0)
		goto fail;
	*out = gh;
	return 0;
fail:
	github_free(gh);
	return err;
}

void github_free(struct github *gh)
{
	if (!gh)
		return;
	free(gh->api_url);
	if (gh->token) {
		memset(gh->token, 0, strlen(gh->token));
		free(gh->token);
	}
	free(gh);
}

const char *github_api_url(const struct github *gh)
{
	return gh->api_url;
}

/* ---- one call, with retries ---- */

struct call {
	const char *method;     /* "GET" or "POST" */
	const char *path;       /* "/repos/...", with its query */
	const char *body;       /* JSON for a POST; NULL */
	size_t max_body;
	int follow;             /* follow redirects (the log endpoints) */
	struct buf shown;       /* the path without its query, for messages */
};

/* GitHub's words from an error answer: "message" and the "errors" list, else the start of the body */
static void quote_answer(struct buf *out, const struct http_response *r)
{
	json_t *root = json_loadb(r->body.ptr, r->body.len, 0, NULL);
	const char *msg = json_string_value(json_object_get(root, "message"));
	json_t *errors = json_object_get(root, "errors"), *e;
	size_t i;

	if (msg)
		buf_add_printable(out, msg, strlen(msg));
	json_array_foreach(errors, i, e) {
		const char *text = json_is_string(e) ? json_string_value(e)
						     : json_string_value(json_object_get(e, "message"));
		const char *code = json_string_value(json_object_get(e, "code"));
		const char *field = json_string_value(json_object_get(e, "field"));

		buf_adds(out, out->len ? (i ? "; " : ": ") : "");
		if (text)
			buf_add_printable(out, text, strlen(text));
		else if (code)
			buf_addf(out, "%s%s%s", code, field ? " " : "", field ? field : "");
	}
	if (!msg && !json_is_array(errors))
		buf_add_printable(out, r->body.ptr, r->body.len < GITHUB_ERROR_QUOTE_BYTES
				  ? r->body.len : GITHUB_ERROR_QUOTE_BYTES);
	buf_trim(out);
	json_decref(root);
}

static int rate_limited(const struct http_response *r)
{
	const char *remaining = http_response_header(r, "X-RateLimit-Remaining");

	if (r->status == 429)
		return 1;
	return r->status == 403 && ((remaining && !strcmp(remaining, "0")) || r->retry_after_ms >= 0);
}

/* how long a rate limit asks to wait, in ms; -1 when it does not say */
static long rate_wait(const struct http_response *r)
{
	long long reset;

	if (r->retry_after_ms >= 0)
		return r->retry_after_ms;
	if (!parse_ll(&reset, http_response_header(r, "X-RateLimit-Reset"))) {
		long long now = (long long)clock_wall();
		if (reset <= now)
			return 0;
		if (reset - now > LONG_MAX / 1000)
			return LONG_MAX;
		return (long)(reset - now) * 1000;
	}
	return -1;
}

/* the error for an answer that is final: not 2xx, not to be retried (any more) */
static int status_error(const struct github *gh, const struct call *c,
			const struct http_response *r, int attempts)
{
	struct buf quote = BUF_INIT, tries = BUF_INIT;
	const char *m = c->method, *p = c->shown.ptr;
	long s = r->status;
	int code;

	quote_answer(&quote, r);
	if (attempts > 1)
		buf_addf(&tries, "; gave up after %d attempts", attempts);
	if (s == 401) {
		code = error_setc(ERR_USAGE, "github %s the credentials (401 %s) for %s %s: set %s to a "
				  "valid token", gh->token ? "refused" : "asked for",
				  quote.len ? quote.ptr : "Unauthorized", m, p, GITHUB_ENV_TOKEN);
	} else if (s == 404) {
		code = error_setc(ERR_NOTFOUND, "github: %s %s not found (404%s%s): check the URL; a "
				  "private repository needs %s", m, p, quote.len ? " " : "", quote.ptr,
				  GITHUB_ENV_TOKEN);
	} else if (rate_limited(r)) {
		long wait = rate_wait(r);
		struct buf when = BUF_INIT;

		if (wait >= 0)
			buf_addf(&when, "; it lifts in %ld s", wait / 1000 + (wait % 1000 != 0));
		code = error_setc(ERR_LIMIT, "github rate limit for %s %s (%ld%s%s)%s%s%s", m, p, s,
				  quote.len ? " " : "", quote.ptr, tries.ptr, when.ptr,
				  gh->token ? "" : "; a token (GITHUB_TOKEN) raises the limit");
		buf_release(&when);
	} else if (s == 422) {
		code = error_setc(ERR_CONFLICT, "github refused %s %s (422%s%s)", m, p,
				  quote.len ? " " : "", quote.ptr);
	} else if (s >= 400 && s < 500) {
		code = error_setc(ERR_USAGE, "github refused %s %s (%ld%s%s)", m, p, s,
				  quote.len ? " " : "", quote.ptr);
	} else {
		code = error_set("github failed %s %s (HTTP %ld%s%s)%s", m, p, s,
				 quote.len ? " " : "", quote.ptr, tries.ptr);
	}
	buf_release(&quote);
	buf_release(&tries);
	return code;
}

/*
 * Make the call; 0 with a 2xx answer in `resp` (initialised by the caller,
 * who releases it), else the error. Rate limits, 5xx and transport
 * failures are retried while the retries and the wait budget last.
 */
static int call(struct http_response *resp, struct github *gh, struct call *c)
{
	struct buf url = BUF_INIT;
	struct strvec headers = STRVEC_INIT;
	const char *q = strchr(c->path, '?');
	long waited = 0, backoff = gh->backoff_initial_ms;
	int attempt, err = 0;

	buf_init(&c->shown, 0);
	buf_add(&c->shown, c->path, q ? (size_t)(q - c->path) : strlen(c->path));
	buf_addf(&url, "%s%s", gh->api_url, c->path);
	strvec_push(&headers, "Accept: application/vnd.github+json");
	strvec_push(&headers, "X-GitHub-Api-Version: " GITHUB_API_VERSION);
	if (c->body)
		strvec_push(&headers, "Content-Type: application/json");
	if (gh->token)
		strvec_pushf(&headers, "Authorization: Bearer %s", gh->token);

	for (attempt = 1;; attempt++) {
		struct http_request rq = HTTP_REQUEST_INIT;
		long wait;

		http_response_release(resp);
		http_response_init(resp, c->max_body);
		rq.method = c->method;
		rq.url = url.ptr;
		rq.headers = &headers;
		rq.body = c->body;
		rq.body_len = c->body ? strlen(c->body) : 0;
		rq.timeout_ms = gh->timeout_ms;
		rq.max_redirects = c->follow ? HTTP_MAX_REDIRECTS : 0;
		log_debug("github: %s %s", c->method, c->shown.ptr);

		err = http_request(resp, &rq);
		if (err < 0 && !resp->transport)
			goto done;      /* interrupted, over the cap: not worth another try */
		if (!err && resp->status >= 200 && resp->status < 300)
			goto done;
		if (err < 0)
			wait = backoff;
		else if (rate_limited(resp))
			wait = rate_wait(resp) >= 0 ? rate_wait(resp) : backoff;
		else if (resp->status >= 500)
			wait = backoff;
		else {
			err = status_error(gh, c, resp, attempt);
			goto done;
		}
		if (attempt > gh->max_retries || waited + wait > gh->max_wait_ms ||
		    wait > gh->max_retry_wait_ms) {
			if (err < 0)
				error_prefix(err, "gave up after %d attempts", attempt);
			else
				err = status_error(gh, c, resp, attempt);
			goto done;
		}
		log_info("github: %s %s: %s; retrying in %ld ms (attempt %d of %d)", c->method,
			 c->shown.ptr, err < 0 ? error_last() : "rate limited or failed", wait,
			 attempt + 1, gh->max_retries + 1);
		if (err >= 0 && rate_limited(resp)) {
			gh->rate_waits++;
			gh->rate_waited_ms += wait;
		}
		if ((err = sleep_interruptible(wait, c->method, c->shown.ptr)) < 0)
			goto done;
		waited += wait;
		backoff = backoff > gh->max_wait_ms / 2 ? gh->max_wait_ms : backoff * 2;
	}
done:
	if (err < 0)
		error_scrub(err, gh->token);
	strvec_clear(&headers);
	buf_release(&url);
	return err;
}

/* the answer as JSON of the type `want` (JSON_OBJECT or JSON_ARRAY) */
static int parse_json_as(json_t **out, const struct http_response *r, const struct call *c,
			 json_type want)
{
	json_error_t jerr;

	*out = json_loadb(r->body.ptr, r->body.len, 0, &jerr);
	if (!*out)
		return error_setc(ERR_PARSE, "cannot parse github's answer to %s %s: %s (line %d)",
				  c->method, c->shown.ptr, jerr.text, jerr.line);
	if (json_typeof(*out) != want) {
		json_decref(*out);
		*out = NULL;
		return error_setc(ERR_PARSE, "cannot parse github's answer to %s %s: not an %s",
				  c->method, c->shown.ptr, want == JSON_ARRAY ? "array" : "object");
	}
	return 0;
}

static int parse_json(json_t **out, const struct http_response *r, const struct call *c)
{
	return parse_json_as(out, r, c, JSON_OBJECT);
}

/* ---- logs ---- */

int github_job_log(struct buf *out, struct github *gh, const char *owner, const char *repo,
		   long long job_id)
{
	struct http_response resp;
	struct call c = { "GET", NULL, NULL, CILOG_MAX_SIZE, 1, BUF_INIT };
	struct buf path = BUF_INIT;
	int err;

	http_response_init(&resp, 0);
	if ((err = check_repo_id(owner, repo, "job", job_id)) < 0)
		goto done;
	buf_addf(&path, "/repos/%s/%s/actions/jobs/%lld/logs", owner, repo, job_id);
	c.path = path.ptr;
	if ((err = call(&resp, gh, &c)) < 0)
		goto done;
	if ((err = buf_add(out, resp.body.ptr, resp.body.len)) < 0)
		err = error_setc(err, "the log of job %lld does not fit: %s", job_id, error_last());
done:
	http_response_release(&resp);
	buf_release(&c.shown);
	buf_release(&path);
	return err;
}

/*
 * Whether another page follows the page `root` with its `list`, `*seen`
 * items so far counting it: the Link header's rel="next" when there is
 * one, else a full page short of "total_count"
 */
static int more_pages(size_t *seen, const struct http_response *r, const json_t *root,
		      const json_t *list)
{
	const char *link = http_response_header(r, "Link");
	const json_t *total = json_object_get(root, "total_count");
	size_t got = json_array_size(list);

	*seen += got;
	if (!got)
		return 0;
	if (link)
		return strstr(link, "rel=\"next\"") != NULL;
	return got == GITHUB_PER_PAGE &&
		(!json_is_integer(total) || *seen < (size_t)json_integer_value(total));
}

/*
 * what get_pages() calls for each element `v` (the i-th) of a page: 0, 1 to
 * stop there (no further element or page), or an error that stops
 */
typedef int page_item_fn(void *payload, const json_t *v, size_t i, const struct call *c);

/*
 * one page of a paged list `key` (NULL: the answer is the list itself):
 * `item` for each element; *more when another page follows
 */
static int read_page(int *more, size_t *seen, const struct http_response *r, const struct call *c,
		     const char *key, page_item_fn *item, void *payload)
{
	json_t *root = NULL, *list, *v;
	size_t i;
	int err;

	*more = 0;
	if ((err = parse_json_as(&root, r, c, key ? JSON_OBJECT : JSON_ARRAY)) < 0)
		return err;
	list = key ? json_object_get(root, key) : root;
	if (!json_is_array(list)) {
		err = error_setc(ERR_PARSE, "cannot parse github's answer to %s %s: no \"%s\" list",
				 c->method, c->shown.ptr, key);
		goto done;
	}
	json_array_foreach(list, i, v) {
		if ((err = item(payload, v, i, c)) < 0)
			goto done;
		if (err > 0) {  /* enough */
			*seen += i + 1;
			err = 0;
			goto done;
		}
	}
	*more = more_pages(seen, r, root, list);
done:
	json_decref(root);
	return err;
}

/*
 * GET the paged list `key` at `path` (which may hold a query), page by page
 * ("per_page=..&page=N" added) up to GITHUB_MAX_PAGES: `item` for each
 * element, *seen counting them
 */
static int get_pages(struct github *gh, const char *path, const char *key, size_t *seen,
		     page_item_fn *item, void *payload)
{
	struct buf url = BUF_INIT;
	int page, more = 1, err = 0;

	for (page = 1; more && page <= GITHUB_MAX_PAGES; page++) {
		struct http_response resp;
		struct call c = { "GET", NULL, NULL, GITHUB_MAX_JSON_BYTES, 0, BUF_INIT };

		http_response_init(&resp, 0);
		buf_reset(&url);
		buf_addf(&url, "%s%cper_page=%d&page=%d", path, strchr(path, '?') ? '&' : '?',
			 GITHUB_PER_PAGE, page);
		c.path = url.ptr;
		err = call(&resp, gh, &c);
		if (!err)
			err = read_page(&more, seen, &resp, &c, key, item, payload);
		http_response_release(&resp);
		buf_release(&c.shown);
		if (err < 0)
			break;
	}
	buf_release(&url);
	return err;
}

struct failed_jobs {
	long long *ids;
	struct strvec names;
	size_t nr, alloc;
	size_t seen;
};

/* a job of the list: added when it failed */
static int add_failed_job(void *payload, const json_t *job, size_t i, const struct call *c)
{
	struct failed_jobs *fj = payload;
	json_t *id = json_object_get(job, "id");
	const char *name = json_string_value(json_object_get(job, "name"));
	const char *conclusion = json_string_value(json_object_get(job, "conclusion"));

	if (!json_is_integer(id))
		return error_setc(ERR_PARSE, "cannot parse github's answer to %s %s: job %zu "
				  "has no \"id\"", c->method, c->shown.ptr, i + 1);
	if (!conclusion || strcmp(conclusion, "failure"))
		return 0;
	ALLOC_GROW(fj->ids, fj->nr + 1, fj->alloc);
	fj->ids[fj->nr++] = (long long)json_integer_value(id);
	strvec_push(&fj->names, name ? name : "");
	return 0;
}

/* a job's name as a run-log column: no tabs or line ends, at most CILOG_MAX_PREFIX bytes */
static void job_column(struct buf *out, const char *name, long long id)
{
	size_t len;
	char *p;

	buf_reset(out);
	if (!*name)
		buf_addf(out, "job %lld", id);
	else
		buf_adds(out, name);
	for (p = out->ptr; *p; p++)
		if (*p == '\t' || *p == '\r' || *p == '\n')
			*p = ' ';
	len = out->len;
	if (len > CILOG_MAX_PREFIX) {
		len = CILOG_MAX_PREFIX;
		/* not in the middle of a UTF-8 sequence */
		while (len && ((unsigned char)out->ptr[len] & 0xC0) == 0x80)
			len--;
		buf_setlen(out, len);
	}
}

/* append <log, len> with every line prefixed by "COLUMN\tSTEP\t" */
static int add_prefixed(struct buf *out, const char *column, const char *log, size_t len,
			long long run_id)
{
	const char *p = log, *end = log + len;
	size_t plen = strlen(column) + strlen(GITHUB_RUN_LOG_STEP) + 2;

	if (len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3))
		p += 3;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		size_t line = n;

		if (line && p[line - 1] == '\r')
			line--;
		if (out->len + plen + line + 1 > CILOG_MAX_SIZE)
			return error_setc(ERR_LIMIT, "the logs of the failed jobs of run %lld exceed "
					  "the limit of %u bytes", run_id, CILOG_MAX_SIZE);
		if (buf_addf(out, "%s\t%s\t", column, GITHUB_RUN_LOG_STEP) < 0 ||
		    buf_add(out, p, line) < 0 || buf_addch(out, '\n') < 0)
			return ERR_LIMIT;
		p += n + (nl ? 1 : 0);
	}
	return 0;
}

int github_run_logs(struct buf *out, struct strvec *jobs, struct github *gh, const char *owner,
		    const char *repo, long long run_id, long long attempt)
{
	struct failed_jobs fj = { NULL, STRVEC_INIT, 0, 0, 0 };
	struct buf base = BUF_INIT, log = BUF_INIT, column = BUF_INIT;
	size_t out_len = out->len, jobs_nr = jobs ? jobs->nr : 0, i;
	int err = 0;

	buf_init(&log, CILOG_MAX_SIZE);
	if ((err = check_repo(owner, repo)) < 0)
		goto done;
	if (run_id <= 0 || attempt < 0) {
		err = error_setc(ERR_USAGE, "invalid github run id %lld (attempt %lld)", run_id, attempt);
		goto done;
	}
	buf_addf(&base, "/repos/%s/%s/actions/runs/%lld", owner, repo, run_id);
	if (attempt > 0)
		buf_addf(&base, "/attempts/%lld", attempt);
	buf_adds(&base, "/jobs");

	if ((err = get_pages(gh, base.ptr, "jobs", &fj.seen, add_failed_job, &fj)) < 0)
		goto done;
	if (!fj.nr) {
		if (attempt > 0)
			err = error_setc(ERR_NOTFOUND, "run %lld (attempt %lld) has no failed job "
					 "(%zu jobs)", run_id, attempt, fj.seen);
		else
			err = error_setc(ERR_NOTFOUND, "run %lld has no failed job (%zu jobs)",
					 run_id, fj.seen);
		goto done;
	}
	for (i = 0; i < fj.nr; i++) {
		buf_reset(&log);
		if ((err = github_job_log(&log, gh, owner, repo, fj.ids[i])) < 0)
			goto done;
		job_column(&column, fj.names.v[i], fj.ids[i]);
		if ((err = add_prefixed(out, column.ptr, log.ptr, log.len, run_id)) < 0)
			goto done;
		if (jobs)
			strvec_push(jobs, fj.names.v[i]);
		log_debug("github: run %lld: %zu bytes of log from job '%s'", run_id, log.len,
			  fj.names.v[i]);
	}
done:
	if (err < 0) {
		buf_setlen(out, out_len);
		while (jobs && jobs->nr > jobs_nr)
			strvec_pop(jobs);
	}
	free(fj.ids);
	strvec_clear(&fj.names);
	buf_release(&column);
	buf_release(&log);
	buf_release(&base);
	return err;
}

/* ---- JUnit reports in artifacts ---- */

struct artifact {
	long long id;
	char *name;             /* printable, for messages and report names */
	long long size;         /* as listed; -1: not said */
};

struct artifact_list {
	struct artifact *v;
	size_t nr, alloc;
	size_t seen;
	long long run_id;       /* for messages */
};

static void artifact_list_release(struct artifact_list *l)
{
	size_t i;

	for (i = 0; i < l->nr; i++)
		free(l->v[i].name);
	free(l->v);
}

/* a name that looks like test results: one of the words, '_', ' ' and '.' taken as '-' */
static int test_results_name(const char *name)
{
	static const char *const words[] = {
		"junit", "test-results", "test-report", "pytest", "xunit", "tests",
	};
	char *norm = xstrdup(name), *p;
	size_t i;
	int found = 0;

	for (p = norm; *p; p++)
		*p = *p == '_' || *p == ' ' || *p == '.' ? '-' : (char)tolower((unsigned char)*p);
	for (i = 0; i < ARRAY_SIZE(words) && !found; i++)
		found = strstr(norm, words[i]) != NULL;
	free(norm);
	return found;
}

/* an artifact of the list: added when it may hold test results */
static int add_artifact(void *payload, const json_t *a, size_t i, const struct call *c)
{
	struct artifact_list *l = payload;
	json_t *id = json_object_get(a, "id"), *size = json_object_get(a, "size_in_bytes");
	const char *name = json_string_value(json_object_get(a, "name"));
	struct buf shown = BUF_INIT;

	if (!json_is_integer(id) || json_integer_value(id) <= 0)
		return error_setc(ERR_PARSE, "cannot parse github's answer to %s %s: artifact "
				  "%zu has no \"id\"", c->method, c->shown.ptr, i + 1);
	if (!name)
		name = "";
	buf_add_printable(&shown, name, strlen(name));
	if (json_is_true(json_object_get(a, "expired")))
		log_debug("github: run %lld: artifact '%s' has expired", l->run_id, shown.ptr);
	else if (!test_results_name(name))
		log_debug("github: run %lld: artifact '%s' is not named like test results",
			  l->run_id, shown.ptr);
	else {
		ALLOC_GROW(l->v, l->nr + 1, l->alloc);
		l->v[l->nr].id = (long long)json_integer_value(id);
		l->v[l->nr].size = json_is_integer(size) ? (long long)json_integer_value(size) : -1;
		l->v[l->nr++].name = buf_detach(&shown, NULL);
	}
	buf_release(&shown);
	return 0;
}

static const char *skip_past(const char *p, const char *end, const char *needle)
{
	size_t n = strlen(needle);

	for (; p + n <= end; p++)
		if (!memcmp(p, needle, n))
			return p + n;
	return end;
}

/*
 * Whether an XML document's root element is <testsuites> or <testsuite>
 * (with any namespace prefix): 1, 0 when it is another element, -1 when no
 * element start is found (not XML: for the JUnit reader to judge)
 */
static int junit_root(const char *p, size_t len)
{
	const char *end = p + len, *name;
	size_t n;

	if (len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3))
		p += 3;
	for (;;) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
			p++;
		if (p >= end || *p != '<')
			return -1;
		if (end - p >= 2 && p[1] == '?') {
			p = skip_past(p + 2, end, "?>");
		} else if (end - p >= 4 && !memcmp(p, "<!--", 4)) {
			p = skip_past(p + 4, end, "-->");
		} else if (end - p >= 2 && p[1] == '!') {
			/* <!DOCTYPE ...>, perhaps with an internal subset in [] */
			const char *gt = skip_past(p, end, ">"), *sq = skip_past(p, end, "[");
			p = sq < gt ? skip_past(skip_past(sq, end, "]"), end, ">") : gt;
		} else {
			break;
		}
	}
	name = ++p;
	while (p < end && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n' && *p != '/' &&
	       *p != '>')
		p++;
	n = (size_t)(p - name);
	if (!n)
		return -1;
	for (p = name + n; p > name; p--)
		if (p[-1] == ':')
			break;
	n -= (size_t)(p - name);
	return (n == 10 && !memcmp(p, "testsuites", 10)) || (n == 9 && !memcmp(p, "testsuite", 9));
}

static int xml_member(const char *name)
{
	size_t n = strlen(name);

	return n > 4 && name[n - 1] != '/' && !strcasecmp(name + n - 4, ".xml");
}

/*
 * Inflate member `i` into `data` (capped at JUNIT_MAX_SIZE; *total counts
 * what this zip inflated, against GITHUB_ZIP_MAX_XML_BYTES). 0; -1 when it
 * cannot be read (warned); -2 when the zip's budget is spent (warned)
 */
static int inflate_member(struct buf *data, size_t *total, zip_t *za, zip_uint64_t i,
			  const struct zip_stat *st, const char *shown, char *chunk)
{
	zip_file_t *zf;
	int ret = 0;

	buf_reset(data);
	if ((st->valid & ZIP_STAT_SIZE) && st->size > JUNIT_MAX_SIZE) {
		log_warn("github: skipping '%s': it inflates to %llu bytes, over the limit of %u",
			 shown, (unsigned long long)st->size, JUNIT_MAX_SIZE);
		return -1;
	}
	if ((st->valid & ZIP_STAT_SIZE) && st->size > GITHUB_ZIP_MAX_XML_BYTES - *total) {
		log_warn("github: skipping '%s' and the rest of its zip: they inflate to more than "
			 "%u bytes", shown, GITHUB_ZIP_MAX_XML_BYTES);
		return -2;
	}
	if (!(zf = zip_fopen_index(za, i, 0))) {
		log_warn("github: skipping '%s': cannot open it: %s", shown, zip_strerror(za));
		return -1;
	}
	for (;;) {
		zip_int64_t n = zip_fread(zf, chunk, GITHUB_ZIP_READ_CHUNK);

		if (n < 0) {
			log_warn("github: skipping '%s': cannot inflate it: %s", shown,
				 zip_file_strerror(zf));
			ret = -1;
			break;
		}
		if (!n)
			break;
		/* a size that lied in the zip's directory stops here */
		if ((size_t)n > GITHUB_ZIP_MAX_XML_BYTES - *total) {
			log_warn("github: skipping '%s' and the rest of its zip: they inflate to more "
				 "than %u bytes", shown, GITHUB_ZIP_MAX_XML_BYTES);
			ret = -2;
			break;
		}
		*total += (size_t)n;
		if (data->len + (size_t)n > JUNIT_MAX_SIZE) {
			log_warn("github: skipping '%s': it inflates to more than %u bytes", shown,
				 JUNIT_MAX_SIZE);
			ret = -1;
			break;
		}
		buf_add(data, chunk, (size_t)n);
	}
	zip_fclose(zf);
	return ret;
}

/*
 * Read the JUnit reports of one artifact's zip <zip, len> into `out`.
 * Whatever is wrong with the zip or a member is a warning (or, for a
 * member that is not JUnit, a debug line): nothing here fails
 */
static void read_artifact_zip(struct test_result *out, struct strvec *names,
			      const struct artifact *a, const char *zip, size_t len, const char *root)
{
	zip_error_t zerr;
	zip_source_t *src = NULL;
	zip_t *za = NULL;
	zip_int64_t nr;
	zip_uint64_t i;
	struct buf data = BUF_INIT, shown = BUF_INIT;
	char *chunk = NULL;
	size_t total = 0;

	zip_error_init(&zerr);
	if (!(src = zip_source_buffer_create(zip, len, 0, &zerr)) ||
	    !(za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &zerr))) {
		log_warn("github: skipping artifact '%s': its zip (%zu bytes) cannot be read: %s",
			 a->name, len, zip_error_strerror(&zerr));
		zip_source_free(src);
		goto done;
	}
	nr = zip_get_num_entries(za, 0);
	if (nr < 0 || nr > GITHUB_ZIP_MAX_MEMBERS) {
		log_warn("github: skipping artifact '%s': its zip has %lld members, more than %d",
			 a->name, (long long)nr, GITHUB_ZIP_MAX_MEMBERS);
		goto done;
	}
	chunk = xmalloc(GITHUB_ZIP_READ_CHUNK);
	for (i = 0; i < (zip_uint64_t)nr; i++) {
		struct zip_stat st;
		int r;

		zip_stat_init(&st);
		if (zip_stat_index(za, i, 0, &st) < 0 || !(st.valid & ZIP_STAT_NAME)) {
			log_warn("github: skipping member %llu of artifact '%s': %s",
				 (unsigned long long)i + 1, a->name, zip_strerror(za));
			continue;
		}
		buf_reset(&shown);
		buf_addf(&shown, "%s/", a->name);
		buf_add_printable(&shown, st.name, strlen(st.name));
		if (!xml_member(st.name))
			continue;
		if ((r = inflate_member(&data, &total, za, i, &st, shown.ptr, chunk)) == -2)
			break;
		if (r < 0)
			continue;
		if (!junit_root(data.ptr, data.len)) {
			log_debug("github: '%s' is not a JUnit report", shown.ptr);
			continue;
		}
		if (junit_parse_memory(out, data.ptr, data.len, shown.ptr, root) < 0) {
			log_warn("github: %s (skipped)", error_last());
			continue;
		}
		log_debug("github: read the JUnit report '%s'", shown.ptr);
		if (names)
			strvec_push(names, shown.ptr);
	}
done:
	if (za)
		zip_discard(za);
	zip_error_fini(&zerr);
	free(chunk);
	buf_release(&shown);
	buf_release(&data);
}

int github_run_junit(struct test_result *out, struct strvec *names, struct github *gh,
		     const char *owner, const char *repo, long long run_id, const char *root)
{
	struct artifact_list arts = { .run_id = run_id };
	struct test_summary summary = out->summary;
	size_t nr_failures = out->nr_failures, names_nr = names ? names->nr : 0, i;
	double duration = out->duration;
	int had_rootdir = out->rootdir != NULL;
	struct buf path = BUF_INIT;
	int err = 0;

	if ((err = check_repo_id(owner, repo, "run", run_id)) < 0)
		goto done;
	buf_addf(&path, "/repos/%s/%s/actions/runs/%lld/artifacts", owner, repo, run_id);
	if ((err = get_pages(gh, path.ptr, "artifacts", &arts.seen, add_artifact, &arts)) < 0)
		goto done;
	log_debug("github: run %lld: %zu of %zu artifacts may hold test results", run_id, arts.nr,
		  arts.seen);

	for (i = 0; i < arts.nr; i++) {
		const struct artifact *a = &arts.v[i];
		struct http_response resp;
		struct call c = { "GET", NULL, NULL, GITHUB_ARTIFACT_MAX_BYTES, 1, BUF_INIT };

		if (a->size > (long long)GITHUB_ARTIFACT_MAX_BYTES) {
			log_warn("github: skipping artifact '%s' of run %lld: %lld bytes, over the "
				 "limit of %u", a->name, run_id, a->size, GITHUB_ARTIFACT_MAX_BYTES);
			continue;
		}
		http_response_init(&resp, 0);
		buf_reset(&path);
		buf_addf(&path, "/repos/%s/%s/actions/artifacts/%lld/zip", owner, repo, a->id);
		c.path = path.ptr;
		err = call(&resp, gh, &c);
		if (err == ERR_LIMIT && resp.status >= 200 && resp.status < 300) {
			/* the body's cap, not a rate limit */
			log_warn("github: skipping artifact '%s' of run %lld: its zip exceeds the "
				 "limit of %u bytes", a->name, run_id, GITHUB_ARTIFACT_MAX_BYTES);
			err = 0;
		} else if (!err) {
			read_artifact_zip(out, names, a, resp.body.ptr, resp.body.len, root);
		}
		http_response_release(&resp);
		buf_release(&c.shown);
		if (err < 0) {
			error_prefix(err, "cannot download artifact '%s' of run %lld", a->name, run_id);
			goto done;
		}
	}
done:
	if (err < 0) {
		while (out->nr_failures > nr_failures)
			test_result_remove(out, out->nr_failures - 1);
		out->summary = summary;
		out->duration = duration;
		if (!had_rootdir && out->rootdir) {
			free(out->rootdir);
			out->rootdir = NULL;
		}
		while (names && names->nr > names_nr)
			strvec_pop(names);
	}
	artifact_list_release(&arts);
	buf_release(&path);
	return err;
}

/* ---- pull requests ---- */

void github_pull_release(struct github_pull *p)
{
	free(p->html_url);
	p->html_url = NULL;
	p->number = 0;
}

int github_pull_create(struct github_pull *out, struct github *gh, const char *owner,
		       const char *repo, const char *head, const char *base, const char *title,
		       const char *body, int draft)
{
	struct http_response resp;
	struct call c = { "POST", NULL, NULL, GITHUB_MAX_JSON_BYTES, 0, BUF_INIT };
	struct buf path = BUF_INIT;
	json_t *req = NULL, *root = NULL, *number;
	const char *url;
	char *text = NULL;
	int err;

	http_response_init(&resp, 0);
	if ((err = check_repo(owner, repo)) < 0)
		goto done;
	if (!head || !*head || !base || !*base || !title || !*title) {
		err = error_setc(ERR_USAGE, "cannot open a pull request without a %s",
				 !head || !*head ? "head branch" : !base || !*base ? "base branch" : "title");
		goto done;
	}
	req = json_pack("{s:s, s:s, s:s, s:b}", "title", title, "head", head, "base", base,
			"draft", draft ? 1 : 0);
	if (!req) {
		err = error_setc(ERR_USAGE, "cannot open a pull request: its title or branches are "
				 "not valid UTF-8");
		goto done;
	}
	if (body && json_object_set_new(req, "body", json_string(body)) < 0) {
		err = error_setc(ERR_USAGE, "cannot open a pull request: its body is not valid UTF-8");
		goto done;
	}
	if (!(text = json_dumps(req, JSON_COMPACT))) {
		err = error_set("cannot serialise the pull request");
		goto done;
	}
	buf_addf(&path, "/repos/%s/%s/pulls", owner, repo);
	c.path = path.ptr;
	c.body = text;
	if ((err = call(&resp, gh, &c)) < 0 || (err = parse_json(&root, &resp, &c)) < 0)
		goto done;
	number = json_object_get(root, "number");
	url = json_string_value(json_object_get(root, "html_url"));
	if (!json_is_integer(number) || !url) {
		err = error_setc(ERR_PARSE, "cannot parse github's answer to %s %s: no \"number\" "
				 "or \"html_url\"", c.method, c.shown.ptr);
		goto done;
	}
	github_pull_release(out);
	out->number = (long long)json_integer_value(number);
	out->html_url = xstrdup(url);
done:
	json_decref(root);
	json_decref(req);
	free(text);
	http_response_release(&resp);
	buf_release(&c.shown);
	buf_release(&path);
	return err;
}

/* ==== for `serve`: a pull request's state, its comment, failed runs, rate-limit figures ==== */

/* a copy of the string `key` of `o`; NULL when absent or not a string */
static char *dup_member(const json_t *o, const char *key)
{
	return xstrdup_or_null(json_string_value(json_object_get(o, key)));
}

/* GET or write `path` and parse the answer as a JSON object into *root */
static int call_json(json_t **root, struct github *gh, const char *method, const char *path,
		     const char *body, struct buf *shown)
{
	struct http_response resp;
	struct call c = { method, path, body, GITHUB_MAX_JSON_BYTES, 0, BUF_INIT };
	int err;

	*root = NULL;
	http_response_init(&resp, 0);
	if ((err = call(&resp, gh, &c)) >= 0)
		err = parse_json(root, &resp, &c);
	buf_reset(shown);
	buf_addf(shown, "%s %s", c.method, c.shown.ptr);
	http_response_release(&resp);
	buf_release(&c.shown);
	return err;
}

void github_pull_info_release(struct github_pull_info *p)
{
	free(p->state);
	free(p->head_sha);
	free(p->head_ref);
	free(p->head_repo);
	free(p->base_ref);
	free(p->html_url);
	*p = (struct github_pull_info)GITHUB_PULL_INFO_INIT;
}

int github_pull_get(struct github_pull_info *out, struct github *gh, const char *owner,
		    const char *repo, long long number)
{
	struct github_pull_info p = GITHUB_PULL_INFO_INIT;
	struct buf path = BUF_INIT, shown = BUF_INIT;
	json_t *root = NULL, *head, *base, *head_repo;
	const char *base_repo;
	int err;

	if ((err = check_repo_id(owner, repo, "pull request", number)) < 0)
		goto done;
	buf_addf(&path, "/repos/%s/%s/pulls/%lld", owner, repo, number);
	if ((err = call_json(&root, gh, "GET", path.ptr, NULL, &shown)) < 0)
		goto done;
	head = json_object_get(root, "head");
	base = json_object_get(root, "base");
	head_repo = json_object_get(head, "repo");
	p.number = number;
	p.state = dup_member(root, "state");
	p.html_url = dup_member(root, "html_url");
	p.head_sha = dup_member(head, "sha");
	p.head_ref = dup_member(head, "ref");
	p.head_repo = dup_member(head_repo, "full_name");
	p.base_ref = dup_member(base, "ref");
	if (!p.head_sha || !p.head_ref || !p.base_ref || !p.state) {
		err = error_setc(ERR_PARSE, "cannot parse github's answer to %s: no \"state\", "
				 "\"head\" {\"sha\", \"ref\"} or \"base\" {\"ref\"}", shown.ptr);
		goto done;
	}
	base_repo = json_string_value(json_object_get(json_object_get(base, "repo"), "full_name"));
	if (!p.head_repo)
		p.head_is_fork = 1;     /* a fork that was deleted */
	else if (base_repo)
		p.head_is_fork = strcasecmp(p.head_repo, base_repo) != 0;
	else
		p.head_is_fork = json_is_true(json_object_get(head_repo, "fork"));
	github_pull_info_release(out);
	*out = p;
	p = (struct github_pull_info)GITHUB_PULL_INFO_INIT;
done:
	github_pull_info_release(&p);
	json_decref(root);
	buf_release(&shown);
	buf_release(&path);
	return err;
}

void github_comment_release(struct github_comment *c)
{
	free(c->html_url);
	c->html_url = NULL;
	c->id = 0;
}

struct comment_search {
	const char *marker;
	long long id;           /* of the first comment holding the marker; 0: none */
	char *body;             /* its body */
};

static int find_marked(void *payload, const json_t *v, size_t i, const struct call *c)
{
	struct comment_search *s = payload;
	json_t *id = json_object_get(v, "id");
	const char *body = json_string_value(json_object_get(v, "body"));

	if (!json_is_integer(id))
		return error_setc(ERR_PARSE, "cannot parse github's answer to %s %s: comment %zu "
				  "has no \"id\"", c->method, c->shown.ptr, i + 1);
	if (!body || !strstr(body, s->marker))
		return 0;
	s->id = (long long)json_integer_value(id);
	s->body = xstrdup(body);
	return 1;
}

struct fixed_body {
	const char *body;
};

static int compose_fixed(struct buf *out, const char *previous, void *payload)
{
	const struct fixed_body *f = payload;

	(void)previous;
	return buf_adds(out, f->body);
}

int github_comment_upsert(struct github_comment *out, struct github *gh, const char *owner,
			  const char *repo, long long number, const char *marker,
			  const char *body)
{
	struct fixed_body f = { body };

	return github_comment_upsert_with(out, gh, owner, repo, number, marker, compose_fixed, &f);
}

int github_comment_upsert_with(struct github_comment *out, struct github *gh, const char *owner,
			       const char *repo, long long number, const char *marker,
			       github_comment_fn *compose, void *payload)
{
	struct comment_search s = { marker, 0, NULL };
	struct buf path = BUF_INIT, body = BUF_INIT, shown = BUF_INIT;
	json_t *req = NULL, *root = NULL, *id;
	const char *url;
	char *text = NULL;
	size_t seen = 0;
	int err;

	if ((err = check_repo_id(owner, repo, "issue", number)) < 0)
		goto done;
	if (!marker || !*marker) {
		err = error_setc(ERR_USAGE, "cannot keep a github comment without a marker");
		goto done;
	}
	buf_addf(&path, "/repos/%s/%s/issues/%lld/comments", owner, repo, number);
	if ((err = get_pages(gh, path.ptr, NULL, &seen, find_marked, &s)) < 0)
		goto done;
	if ((err = compose(&body, s.body, payload)) < 0)
		goto done;
	if (!strstr(body.ptr, marker)) {
		err = error_setc(ERR_USAGE, "the comment for #%lld does not hold its marker '%s'",
				 number, marker);
		goto done;
	}
	if (!(req = json_pack("{s:s}", "body", body.ptr)) ||
	    !(text = json_dumps(req, JSON_COMPACT))) {
		err = error_setc(ERR_USAGE, "the comment for #%lld is not valid UTF-8", number);
		goto done;
	}
	if (s.id) {
		buf_reset(&path);
		buf_addf(&path, "/repos/%s/%s/issues/comments/%lld", owner, repo, s.id);
		err = call_json(&root, gh, "PATCH", path.ptr, text, &shown);
	} else {
		err = call_json(&root, gh, "POST", path.ptr, text, &shown);
	}
	if (err < 0)
		goto done;
	id = json_object_get(root, "id");
	url = json_string_value(json_object_get(root, "html_url"));
	if (!json_is_integer(id) || !url) {
		err = error_setc(ERR_PARSE, "cannot parse github's answer to %s: no \"id\" or "
				 "\"html_url\"", shown.ptr);
		goto done;
	}
	github_comment_release(out);
	out->id = (long long)json_integer_value(id);
	out->html_url = xstrdup(url);
	log_debug("github: %s comment %lld on %s/%s#%lld", s.id ? "edited" : "posted", out->id,
		  owner, repo, number);
done:
	json_decref(root);
	json_decref(req);
	free(text);
	free(s.body);
	buf_release(&shown);
	buf_release(&body);
	buf_release(&path);
	return err;
}

static void run_release(struct github_run *r)
{
	free(r->name);
	free(r->head_sha);
	free(r->head_branch);
	free(r->event);
	free(r->html_url);
	free(r->conclusion);
	free(r->head_repo);
	free(r->pull_requests);
}

void github_runs_free(struct github_run *runs, size_t nr)
{
	size_t i;

	for (i = 0; runs && i < nr; i++)
		run_release(&runs[i]);
	free(runs);
}

struct run_list {
	struct github_run *v;
	size_t nr, alloc, limit;
};

static int add_run(void *payload, const json_t *v, size_t i, const struct call *c)
{
	struct run_list *l = payload;
	struct github_run *r;
	json_t *id = json_object_get(v, "id"), *prs = json_object_get(v, "pull_requests"), *pr;
	const char *sha = json_string_value(json_object_get(v, "head_sha"));
	size_t k;

	if (!json_is_integer(id) || json_integer_value(id) <= 0 || !sha)
		return error_setc(ERR_PARSE, "cannot parse github's answer to %s %s: run %zu has "
				  "no \"id\" or \"head_sha\"", c->method, c->shown.ptr, i + 1);
	ALLOC_GROW(l->v, l->nr + 1, l->alloc);
	r = &l->v[l->nr++];
	memset(r, 0, sizeof(*r));
	r->id = (long long)json_integer_value(id);
	r->head_sha = xstrdup(sha);
	r->name = dup_member(v, "name");
	r->head_branch = dup_member(v, "head_branch");
	r->event = dup_member(v, "event");
	r->html_url = dup_member(v, "html_url");
	r->conclusion = dup_member(v, "conclusion");
	r->head_repo = dup_member(json_object_get(v, "head_repository"), "full_name");
	if (json_array_size(prs))
		r->pull_requests = xcalloc(json_array_size(prs), sizeof(*r->pull_requests));
	json_array_foreach(prs, k, pr) {
		json_t *n = json_object_get(pr, "number");
		if (json_is_integer(n) && json_integer_value(n) > 0)
			r->pull_requests[r->nr_pull_requests++] = (long long)json_integer_value(n);
	}
	return l->nr >= l->limit;
}

int github_failed_runs(struct github_run **out, size_t *nr, struct github *gh, const char *owner,
		       const char *repo, size_t limit)
{
	struct run_list l = { NULL, 0, 0, limit };
	struct buf path = BUF_INIT;
	size_t seen = 0;
	int err;

	if ((err = check_repo(owner, repo)) < 0)
		goto done;
	if (!limit) {
		err = error_setc(ERR_USAGE, "cannot list 0 failed runs");
		goto done;
	}
	buf_addf(&path, "/repos/%s/%s/actions/runs?status=failure", owner, repo);
	if ((err = get_pages(gh, path.ptr, "workflow_runs", &seen, add_run, &l)) < 0)
		goto done;
	*out = l.v;
	*nr = l.nr;
	l.v = NULL;
	l.nr = 0;
done:
	github_runs_free(l.v, l.nr);
	buf_release(&path);
	return err;
}

void github_stats(const struct github *gh, long *waits, long *waited_ms)
{
	if (waits)
		*waits = gh->rate_waits;
	if (waited_ms)
		*waited_ms = gh->rate_waited_ms;
}

/* ==== check suites (issue 14: the service's analyzer) ==== */

int github_suite_run(long long *run_id, struct github *gh, const char *owner, const char *repo,
		     long long suite_id)
{
	struct http_response resp;
	struct call c = { "GET", NULL, NULL, GITHUB_MAX_JSON_BYTES, 0, BUF_INIT };
	struct buf path = BUF_INIT;
	json_t *root = NULL, *runs, *id;
	int err;

	*run_id = 0;
	http_response_init(&resp, 0);
	if ((err = check_repo_id(owner, repo, "check suite", suite_id)) < 0)
		goto done;
	buf_addf(&path, "/repos/%s/%s/actions/runs?check_suite_id=%lld", owner, repo, suite_id);
	c.path = path.ptr;
	if ((err = call(&resp, gh, &c)) < 0 || (err = parse_json(&root, &resp, &c)) < 0)
		goto done;
	runs = json_object_get(root, "workflow_runs");
	if (!json_is_array(runs)) {
		err = error_setc(ERR_PARSE, "cannot parse github's answer to %s %s: no "
				 "\"workflow_runs\" list", c.method, c.shown.ptr);
		goto done;
	}
	if (!json_array_size(runs)) {
		err = error_setc(ERR_NOTFOUND, "check suite %lld has no workflow run", suite_id);
		goto done;
	}
	id = json_object_get(json_array_get(runs, 0), "id");
	if (!json_is_integer(id) || json_integer_value(id) <= 0) {
		err = error_setc(ERR_PARSE, "cannot parse github's answer to %s %s: the run has no "
				 "\"id\"", c.method, c.shown.ptr);
		goto done;
	}
	*run_id = (long long)json_integer_value(id);
done:
	json_decref(root);
	http_response_release(&resp);
	buf_release(&c.shown);
	buf_release(&path);
	return err;
}
