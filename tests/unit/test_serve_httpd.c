/*
 * The service's HTTP side (src/serve/httpd.c, intake.c, api.c): a real
 * libmicrohttpd server on 127.0.0.1 (a free port) over a real SQLite queue
 * in a private directory, spoken to with libcurl (and a raw socket where
 * curl would be too polite): deliveries signed, unsigned, forged, replayed,
 * too big, of each event, for an unknown repository, from a fork; the JSON
 * API; 404 and 405; fifty deliveries at once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "serve/api.h"
#include "serve/config.h"
#include "serve/httpd.h"
#include "serve/intake.h"
#include "serve/queue.h"
#include "serve/webhook.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/xalloc.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define SECRET "It's a Secret to Everybody"
#define SHA "0123456789abcdef0123456789abcdef01234567"
#define CAP (64 * 1024)
#define CONCURRENT 50
#define LOG_WAIT_MS 10000
#define FIXED_NOW 1705314600.0 /* 2024-01-15T10:30:00Z */

static const char config_text[] =
	"repositories:\n"
	"  - name: acme/calc\n"
	"  - name: acme/open\n"
	"    allow_forks: true\n";

struct server {
	struct buf dir;
	char db[4096];
	struct queue *q;
	pthread_mutex_t lock;
	struct serve_config cfg;
	struct intake intake;
	struct api api;
	struct httpd *h;
	char base[64];
	pthread_mutex_t log_lock;
	struct buf log;          /* "METHOD PATH STATUS\n" a request */
};

static struct server S;

static double fixed_now(void)
{
	return FIXED_NOW;
}

static void record_line(const char *method, const char *path, int status, double ms, void *p)
{
	struct server *s = p;

	assert_true(ms >= 0);
	pthread_mutex_lock(&s->log_lock);
	buf_addf(&s->log, "%s %s %d\n", method, path, status);
	pthread_mutex_unlock(&s->log_lock);
}

static int setup(void **state)
{
	struct httpd_options opts = HTTPD_OPTIONS_INIT;
	static struct httpd_route routes[] = {
		{ .method = "POST", .path = "/webhook", .max_body = CAP, .fn = intake_route,
		  .ctx = &S.intake },
		{ .method = "GET", .path = API_HEALTHZ_PATH, .fn = api_healthz, .ctx = &S.api },
		{ .method = "GET", .path = API_JOBS_PATH, .fn = api_jobs, .ctx = &S.api },
		{ .method = "GET", .path = API_JOB_PREFIX, .prefix = 1, .fn = api_job,
		  .ctx = &S.api },
		{ .method = NULL },
	};
	(void)state;
	memset(&S, 0, sizeof(S));
	buf_init(&S.dir, 0);
	buf_init(&S.log, 0);
	assert_int_equal(fs_mkdtemp(&S.dir, "pf-httpd"), 0);
	snprintf(S.db, sizeof(S.db), "%s/serve.db", S.dir.ptr);
	if (queue_open_sqlite(&S.q, S.db) < 0)
		fail_msg("%s", error_last());
	pthread_mutex_init(&S.lock, NULL);
	pthread_mutex_init(&S.log_lock, NULL);
	assert_int_equal(serve_config_parse(&S.cfg, config_text, strlen(config_text), "serve.yml"),
			 0);
	S.cfg.webhook_secret = xstrdup(SECRET);
	S.cfg.github_api_url = xstrdup("http://127.0.0.1:9/api/");
	intake_init(&S.intake, S.q, &S.lock, &S.cfg);
	S.intake.now = fixed_now;
	S.api.queue = S.q;
	S.api.lock = &S.lock;
	opts.log = record_line;
	opts.log_payload = &S;
	if (httpd_start(&S.h, "127.0.0.1", 0, routes, NULL, &opts) < 0)
		fail_msg("%s", error_last());
	assert_true(httpd_port(S.h) > 0);
	snprintf(S.base, sizeof(S.base), "http://127.0.0.1:%d", httpd_port(S.h));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	httpd_stop(S.h);
	intake_release(&S.intake);
	serve_config_release(&S.cfg);
	queue_close(S.q);
	pthread_mutex_destroy(&S.lock);
	pthread_mutex_destroy(&S.log_lock);
	fs_remove_tree(S.dir.ptr);
	buf_release(&S.dir);
	buf_release(&S.log);
	error_clear();
	return 0;
}

/* ---- the client ---- */

struct reply {
	long status;
	struct buf body;
	struct buf headers;
	json_t *json;            /* the body, when it is JSON */
	size_t sent;             /* of a chunked body */
	CURLcode rc;             /* not CURLE_OK only for a chunked body */
};

static size_t collect(char *data, size_t size, size_t n, void *p)
{
	buf_add(p, data, size * n);
	return size * n;
}

/* a chunked body of `left` bytes of 'x' */
struct chunked {
	size_t left;
	size_t sent;
};

static size_t feed(char *out, size_t size, size_t n, void *p)
{
	struct chunked *c = p;
	size_t k = size * n < c->left ? size * n : c->left;

	memset(out, 'x', k);
	c->left -= k;
	c->sent += k;
	return k;
}

/*
 * `method` `path` with `headers` (NULL-terminated "Name: value"s, may be
 * NULL) and <body, len> (NULL: none; with `chunked` instead a chunked body
 * of that many bytes)
 */
static void request(struct reply *r, const char *method, const char *path,
		    const char *const *headers, const char *body, size_t len, size_t chunked)
{
	struct curl_slist *list = NULL;
	struct chunked ch = { chunked, 0 };
	char url[256];
	CURL *c = curl_easy_init();
	CURLcode rc;

	memset(r, 0, sizeof(*r));
	buf_init(&r->body, 0);
	buf_init(&r->headers, 0);
	assert_non_null(c);
	snprintf(url, sizeof(url), "%s%s", S.base, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &r->headers);
	for (; headers && *headers; headers++)
		list = curl_slist_append(list, *headers);
	if (chunked) {
		list = curl_slist_append(list, "Transfer-Encoding: chunked");
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, feed);
		curl_easy_setopt(c, CURLOPT_READDATA, &ch);
	} else if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
	rc = r->rc = curl_easy_perform(c);
	if (rc != CURLE_OK && !chunked)
		fail_msg("%s %s: %s", method, path, curl_easy_strerror(rc));
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	r->sent = ch.sent;
	r->json = json_loadb(r->body.ptr, r->body.len, 0, NULL);
	curl_slist_free_all(list);
	curl_easy_cleanup(c);
}

static void reply_release(struct reply *r)
{
	buf_release(&r->body);
	buf_release(&r->headers);
	json_decref(r->json);
}

static void get(struct reply *r, const char *path)
{
	request(r, "GET", path, NULL, NULL, 0, 0);
}

/* the string member `key` of the reply's JSON ("" when absent) */
static const char *member(const struct reply *r, const char *key)
{
	const char *s = json_string_value(json_object_get(r->json, key));

	return s ? s : "";
}

static void expect_error(const struct reply *r, long status, const char *message)
{
	if (r->status != status)
		fail_msg("expected %ld, got %ld: %s", status, r->status, r->body.ptr);
	if (!strstr(member(r, "error"), message))
		fail_msg("'%s' does not say '%s'", r->body.ptr, message);
}

/* ---- deliveries ---- */

/* "sha256=<hex>" of <body, len> under `secret` (the caller's) */
static char *sign(const char *secret, const char *body, size_t len)
{
	unsigned char mac[WEBHOOK_HMAC_SIZE];
	struct buf out = BUF_INIT;
	size_t i;

	assert_int_equal(webhook_hmac_sha256(mac, secret, strlen(secret), body, len), 0);
	buf_adds(&out, WEBHOOK_SIGNATURE_PREFIX);
	for (i = 0; i < WEBHOOK_HMAC_SIZE; i++)
		buf_addf(&out, "%02x", mac[i]);
	return buf_detach(&out, NULL);
}

static json_t *pull_request(long number, json_int_t head_repo)
{
	return json_pack("{s:i, s:{s:s, s:{s:I}}, s:{s:s, s:{s:I}}}", "number", (int)number,
			 "head", "ref", "fix", "repo", "id", head_repo,
			 "base", "ref", "main", "repo", "id", (json_int_t)1001);
}

/*
 * The text of a delivery of `event` for `repo` at commit `sha`, from a
 * fork when `fork` (the caller's)
 */
static char *payload_for(const char *event, const char *action, const char *conclusion,
			 const char *repo, const char *sha, int fork)
{
	json_int_t head = fork ? 5555 : 1001;
	json_t *run, *doc;
	char *text;

	if (!strcmp(event, "check_run"))
		run = json_pack("{s:I, s:s, s:s, s:s, s:{s:I, s:s}, s:[o]}", "id", (json_int_t)4242,
				"name", "tests", "head_sha", sha, "conclusion", conclusion,
				"check_suite", "id", (json_int_t)77, "head_branch", "fix",
				"pull_requests", pull_request(12, head));
	else if (!strcmp(event, "check_suite"))
		run = json_pack("{s:I, s:s, s:s, s:s, s:{s:s}, s:[o]}", "id", (json_int_t)77,
				"head_branch", "fix", "head_sha", sha, "conclusion", conclusion,
				"app", "name", "GitHub Actions", "pull_requests",
				pull_request(13, head));
	else
		run = json_pack("{s:I, s:s, s:s, s:s, s:s, s:{s:I}, s:[]}", "id", (json_int_t)9001,
				"name", "CI", "head_branch", "main", "head_sha", sha,
				"conclusion", conclusion, "head_repository", "id", head,
				"pull_requests");
	assert_non_null(run);
	doc = json_pack("{s:s, s:o, s:{s:I, s:s, s:s}}", "action", action, event, run,
			"repository", "id", (json_int_t)1001, "full_name", repo, "clone_url",
			"https://github.com/acme/calc.git");
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	return text;
}

static char *payload(const char *event)
{
	return payload_for(event, "completed", "failure", "acme/calc", SHA, 0);
}

/* POST /webhook: `body` signed with `secret` (NULL: unsigned) */
static void deliver(struct reply *r, const char *event, const char *delivery, const char *body,
		    const char *secret)
{
	char *sig = secret ? sign(secret, body, strlen(body)) : NULL;
	struct buf h_event = BUF_INIT, h_delivery = BUF_INIT, h_sig = BUF_INIT;
	const char *headers[4] = { NULL };
	size_t n = 0;

	buf_addf(&h_event, "X-GitHub-Event: %s", event);
	buf_addf(&h_delivery, "X-GitHub-Delivery: %s", delivery);
	headers[n++] = h_event.ptr;
	headers[n++] = h_delivery.ptr;
	if (sig) {
		buf_addf(&h_sig, "X-Hub-Signature-256: %s", sig);
		headers[n++] = h_sig.ptr;
	}
	request(r, "POST", "/webhook", headers, body, strlen(body), 0);
	buf_release(&h_event);
	buf_release(&h_delivery);
	buf_release(&h_sig);
	free(sig);
}

/* the number of jobs in the queue */
static size_t jobs_nr(void)
{
	struct job *jobs;
	size_t nr;

	assert_int_equal(queue_list(S.q, &jobs, &nr, 0), 0);
	queue_jobs_free(jobs, nr);
	return nr;
}

static void expect_queued(const struct reply *r, int created)
{
	if (r->status != 202)
		fail_msg("expected 202, got %ld: %s", r->status, r->body.ptr);
	assert_true(json_integer_value(json_object_get(r->json, "job")) > 0);
	assert_int_equal(json_is_true(json_object_get(r->json, "created")), created);
}

static void httpd__signed_delivery_is_queued_with_its_message(void **state)
{
	struct queue_message *msgs;
	struct reply r;
	struct job job;
	json_t *msg;
	char *body = payload("check_run");
	size_t nr;

	(void)state;
	deliver(&r, "check_run", "d-1", body, SECRET);
	expect_queued(&r, 1);
	assert_int_equal(queue_get(S.q, &job, json_integer_value(json_object_get(r.json, "job"))),
			 0);
	assert_string_equal(job.repository, "acme/calc");
	assert_string_equal(job.head_sha, SHA);
	assert_string_equal(job.check, "tests");
	assert_int_equal(job.pull_request, 12);
	assert_int_equal(job.state, JOB_QUEUED);
	assert_string_equal(job.payload, body); /* the raw body, as received */
	/* the seed's check.failed message */
	assert_int_equal(queue_messages(S.q, &msgs, &nr, job.id), 0);
	assert_int_equal(nr, 1);
	assert_string_equal(msgs[0].type, "check.failed");
	msg = json_loads(msgs[0].body, 0, NULL);
	assert_non_null(msg);
	assert_string_equal(json_string_value(json_object_get(msg, "event_type")), "check.failed");
	assert_string_equal(json_string_value(json_object_get(msg, "pr_id")), "acme/calc#12");
	assert_string_equal(json_string_value(json_object_get(msg, "repository")), "acme/calc");
	assert_string_equal(json_string_value(json_object_get(msg, "check_name")), "tests");
	assert_string_equal(json_string_value(json_object_get(msg, "check_run_id")), "4242");
	assert_string_equal(json_string_value(json_object_get(msg, "failure_timestamp")),
			    "2024-01-15T10:30:00Z");
	assert_string_equal(json_string_value(json_object_get(msg, "log_url")),
			    "http://127.0.0.1:9/api/repos/acme/calc/actions/jobs/4242/logs");
	json_decref(msg);
	queue_messages_free(msgs, nr);
	job_release(&job);
	reply_release(&r);
	free(body);
}

static void httpd__unsigned_and_forged_are_refused(void **state)
{
	char *body = payload("check_run"), *forged;
	unsigned long counts[INTAKE_OUTCOME_NR];
	struct reply r;

	(void)state;
	deliver(&r, "check_run", "d-1", body, NULL);
	expect_error(&r, 401, "no X-Hub-Signature-256");
	reply_release(&r);
	deliver(&r, "check_run", "d-2", body, "another secret");
	expect_error(&r, 401, "does not match");
	assert_null(strstr(r.body.ptr, SECRET));
	reply_release(&r);
	/* signed, then one byte changed */
	forged = sign(SECRET, body, strlen(body));
	{
		struct buf h = BUF_INIT;
		const char *headers[] = { "X-GitHub-Event: check_run", "X-GitHub-Delivery: d-3",
					  NULL, NULL };
		buf_addf(&h, "X-Hub-Signature-256: %s", forged);
		headers[2] = h.ptr;
		body[strlen(body) - 2] = 'X';
		request(&r, "POST", "/webhook", headers, body, strlen(body), 0);
		buf_release(&h);
	}
	expect_error(&r, 401, "does not match");
	reply_release(&r);
	assert_int_equal(jobs_nr(), 0);
	intake_counts(counts, &S.intake);
	assert_int_equal(counts[INTAKE_UNAUTHORIZED], 3);
	assert_int_equal(counts[INTAKE_QUEUED], 0);
	assert_string_equal(intake_outcome_name(INTAKE_UNAUTHORIZED), "unauthorized");
	assert_int_equal(intake_outcome_status(INTAKE_UNAUTHORIZED), 401);
	free(forged);
	free(body);
}

static void httpd__replayed_delivery_is_acknowledged_once(void **state)
{
	char *body = payload("check_run");
	unsigned long counts[INTAKE_OUTCOME_NR];
	struct reply r;

	(void)state;
	deliver(&r, "check_run", "d-1", body, SECRET);
	expect_queued(&r, 1);
	reply_release(&r);
	deliver(&r, "check_run", "d-1", body, SECRET);
	assert_int_equal(r.status, 200);
	assert_string_equal(member(&r, "status"), "duplicate delivery");
	reply_release(&r);
	assert_int_equal(jobs_nr(), 1);
	/* another delivery of the same event: the same job, not queued again */
	deliver(&r, "check_run", "d-2", body, SECRET);
	expect_queued(&r, 0);
	reply_release(&r);
	assert_int_equal(jobs_nr(), 1);
	intake_counts(counts, &S.intake);
	assert_int_equal(counts[INTAKE_QUEUED], 1);
	assert_int_equal(counts[INTAKE_DUPLICATE], 1);
	assert_int_equal(counts[INTAKE_EXISTING], 1);
	free(body);
}

/* a raw request with Content-Length `length` and no body: the answer comes before any body */
static void expect_refused_unread(long length)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(httpd_port(S.h)) };
	char req[256], got[4096];
	size_t n = 0;
	ssize_t k;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	struct timeval limit = { .tv_sec = 30 }; /* a server that never answers fails, not hangs */

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit)), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	snprintf(req, sizeof(req), "POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: %ld\r\n"
		 "X-GitHub-Event: check_run\r\n\r\n", length);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	while (n < sizeof(got) - 1 && (k = read(fd, got + n, sizeof(got) - 1 - n)) > 0)
		n += (size_t)k;
	got[n] = '\0';
	close(fd);
	if (strncmp(got, "HTTP/1.1 413", 12))
		fail_msg("expected 413 at once, got '%s'", got);
	assert_non_null(strstr(got, "more than the 65536 allowed"));
}

static void httpd__bodies_over_the_cap(void **state)
{
	size_t len = CAP + 1;
	char *big = xmalloc(len + 1);
	const char *headers[] = { "X-GitHub-Event: check_run", "X-GitHub-Delivery: d-big", NULL };
	struct reply r;

	(void)state;
	memset(big, ' ', len);
	big[len] = '\0';
	request(&r, "POST", "/webhook", headers, big, len, 0);
	expect_error(&r, 413, "more than the 65536 allowed");
	reply_release(&r);
	/* said by Content-Length: refused before a byte of the body is sent */
	expect_refused_unread(100L * 1024 * 1024);
	/* a chunked body that grows past the cap */
	request(&r, "POST", "/webhook", headers, NULL, 0, 8 * CAP);
	expect_error(&r, 413, "more than the 65536 bytes allowed");
	reply_release(&r);
	/* one that does not end: read (not kept) up to a point, then cut off */
	request(&r, "POST", "/webhook", headers, NULL, 0, (size_t)1 << 30);
	assert_int_not_equal(r.rc, CURLE_OK);
	assert_true(r.sent < 64 * HTTPD_DRAIN_MAX);
	reply_release(&r);
	/* the cap itself is fine (and then the signature is checked) */
	request(&r, "POST", "/webhook", headers, NULL, 0, CAP);
	expect_error(&r, 401, "no X-Hub-Signature-256");
	reply_release(&r);
	assert_int_equal(jobs_nr(), 0);
	free(big);
}

static void httpd__each_event_type(void **state)
{
	static const struct {
		const char *event, *check;
		long pr;
		const char *log_url;
	} cases[] = {
		{ "check_run", "tests", 12, "/actions/jobs/4242/logs" },
		{ "check_suite", "GitHub Actions", 13, "/check-suites/77/check-runs" },
		{ "workflow_run", "CI", 0, "/actions/runs/9001/logs" }, /* no pull request */
	};
	struct queue_message *msgs;
	struct reply r;
	struct job job;
	char delivery[32];
	size_t i, nr;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		char *body = payload(cases[i].event);
		json_t *msg;

		snprintf(delivery, sizeof(delivery), "d-%zu", i);
		deliver(&r, cases[i].event, delivery, body, SECRET);
		expect_queued(&r, 1);
		assert_int_equal(queue_get(S.q, &job,
					   json_integer_value(json_object_get(r.json, "job"))), 0);
		assert_string_equal(job.check, cases[i].check);
		assert_int_equal(job.pull_request, cases[i].pr);
		assert_int_equal(job.state, JOB_QUEUED);
		assert_int_equal(queue_messages(S.q, &msgs, &nr, job.id), 0);
		assert_int_equal(nr, 1);
		msg = json_loads(msgs[0].body, 0, NULL);
		assert_non_null(strstr(json_string_value(json_object_get(msg, "log_url")),
				       cases[i].log_url));
		/* without a pull request, the commit names what failed */
		if (!cases[i].pr)
			assert_int_equal(strncmp(json_string_value(json_object_get(msg, "pr_id")),
						 "acme/calc@", 10), 0);
		if (!cases[i].pr)
			assert_int_equal(strlen(json_string_value(json_object_get(msg, "pr_id"))), 17);
		json_decref(msg);
		queue_messages_free(msgs, nr);
		job_release(&job);
		reply_release(&r);
		free(body);
	}
	assert_int_equal(jobs_nr(), 3);
}

static void httpd__ignored_refused_fork_and_invalid(void **state)
{
	char *body;
	struct reply r;
	struct job job;
	unsigned long counts[INTAKE_OUTCOME_NR];

	(void)state;
	/* an action not watched: 200 with the reason, no job */
	body = payload_for("check_run", "created", "failure", "acme/calc", SHA, 0);
	deliver(&r, "check_run", "d-1", body, SECRET);
	assert_int_equal(r.status, 200);
	assert_string_equal(member(&r, "reason"), "action 'created' is not 'completed'");
	reply_release(&r);
	free(body);
	/* a ping */
	deliver(&r, "ping", "d-2", "{\"zen\":\"Design for failure.\"}", SECRET);
	assert_int_equal(r.status, 200);
	assert_string_equal(member(&r, "reason"), "event 'ping' is not watched");
	reply_release(&r);
	/* an unknown repository */
	body = payload_for("check_run", "completed", "failure", "evil/corp", SHA, 0);
	deliver(&r, "check_run", "d-3", body, SECRET);
	expect_error(&r, 403, "repository 'evil/corp' is not in the configuration");
	reply_release(&r);
	free(body);
	assert_int_equal(jobs_nr(), 0);
	/* bad JSON, a missing field: 400 naming it */
	deliver(&r, "check_run", "d-4", "{\"action\":", SECRET);
	expect_error(&r, 400, "invalid webhook payload");
	reply_release(&r);
	body = payload("check_run");
	*strstr(body, "head_sha") = 'X';
	deliver(&r, "check_run", "d-5", body, SECRET);
	expect_error(&r, 400, "'check_run.head_sha' is missing");
	reply_release(&r);
	free(body);
	deliver(&r, "check_run", "", "{}", SECRET);
	expect_error(&r, 400, "no X-GitHub-Delivery header");
	reply_release(&r);
	assert_int_equal(jobs_nr(), 0);
	/* a fork: a job, ignored at once */
	body = payload_for("check_run", "completed", "failure", "acme/calc", SHA, 1);
	deliver(&r, "check_run", "d-6", body, SECRET);
	expect_queued(&r, 1);
	assert_string_equal(member(&r, "state"), "ignored");
	assert_int_equal(queue_get(S.q, &job, json_integer_value(json_object_get(r.json, "job"))),
			 0);
	assert_int_equal(job.state, JOB_IGNORED);
	assert_string_equal(job.reason, "pull request from a fork");
	job_release(&job);
	reply_release(&r);
	free(body);
	/* ... unless the repository allows forks */
	body = payload_for("check_run", "completed", "failure", "acme/open", SHA, 1);
	deliver(&r, "check_run", "d-7", body, SECRET);
	expect_queued(&r, 1);
	assert_int_equal(queue_get(S.q, &job, json_integer_value(json_object_get(r.json, "job"))),
			 0);
	assert_int_equal(job.state, JOB_QUEUED);
	job_release(&job);
	reply_release(&r);
	free(body);
	intake_counts(counts, &S.intake);
	assert_int_equal(counts[INTAKE_IGNORED], 2);
	assert_int_equal(counts[INTAKE_REFUSED], 1);
	assert_int_equal(counts[INTAKE_INVALID], 3);
	assert_int_equal(counts[INTAKE_FORK], 1);
	assert_int_equal(counts[INTAKE_QUEUED], 1);
}

/* intake_delivery() without a server: what is looked at first */
static void intake__order_of_the_checks(void **state)
{
	struct intake_result r = INTAKE_RESULT_INIT;
	char *body = payload("check_run"), *sig = sign(SECRET, body, strlen(body));
	char *bad_sig = sign(SECRET, "{\"action\":", 11);
	struct queue_message *msgs;
	size_t nr;
	sqlite3 *db;

	(void)state;
	/* the size before the signature */
	S.intake.max_body = 10;
	assert_int_equal(intake_delivery(&r, &S.intake, "check_run", "d-1", NULL, body,
					 strlen(body)), 0);
	assert_int_equal(r.status, 413);
	assert_int_equal(r.outcome, INTAKE_TOO_LARGE);
	S.intake.max_body = 0;
	/* the signature before the body is read */
	assert_int_equal(intake_delivery(&r, &S.intake, "check_run", "d-1", NULL, "{\"action\":",
					 11), 0);
	assert_int_equal(r.status, 401);
	/* a delivery seen before is not read again, whatever it holds */
	assert_int_equal(intake_delivery(&r, &S.intake, "check_run", "d-1", sig, body,
					 strlen(body)), 0);
	assert_int_equal(r.status, 202);
	assert_true(r.created && r.job > 0);
	assert_int_equal(intake_delivery(&r, &S.intake, "check_run", "d-1", bad_sig,
					 "{\"action\":", 11), 0);
	assert_int_equal(r.outcome, INTAKE_DUPLICATE);
	assert_non_null(strstr(r.body.ptr, "duplicate delivery"));
	/* a queue that fails: 500 with its message, and the delivery not recorded */
	assert_int_equal(sqlite3_open(S.db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "ALTER TABLE messages RENAME TO gone", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	free(body);
	free(sig);
	body = payload_for("check_run", "completed", "failure", "acme/calc",
			   "1111111111111111111111111111111111111111", 0);
	sig = sign(SECRET, body, strlen(body));
	assert_true(intake_delivery(&r, &S.intake, "check_run", "d-2", sig, body,
				    strlen(body)) < 0);
	assert_int_equal(r.status, 500);
	assert_int_equal(r.outcome, INTAKE_ERROR);
	assert_non_null(strstr(r.body.ptr, "messages"));
	/* GitHub delivers it again once the database is whole: the job gets its message */
	assert_int_equal(sqlite3_open(S.db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "ALTER TABLE gone RENAME TO messages", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(intake_delivery(&r, &S.intake, "check_run", "d-2", sig, body,
					 strlen(body)), 0);
	assert_int_equal(r.outcome, INTAKE_EXISTING);
	assert_int_equal(queue_messages(S.q, &msgs, &nr, r.job), 0);
	assert_int_equal(nr, 1);
	assert_string_equal(msgs[0].type, "check.failed");
	queue_messages_free(msgs, nr);
	/* and only once */
	assert_int_equal(intake_delivery(&r, &S.intake, "check_run", "d-3", sig, body,
					 strlen(body)), 0);
	assert_int_equal(queue_messages(S.q, &msgs, &nr, r.job), 0);
	assert_int_equal(nr, 1);
	queue_messages_free(msgs, nr);
	intake_result_release(&r);
	free(body);
	free(sig);
	free(bad_sig);
}

/* ---- fifty at once ---- */

struct sender {
	pthread_t thread;
	int i;
	long status;
	long long job;
};

static void *send_one(void *p)
{
	struct sender *s = p;
	char sha[WEBHOOK_SHA_HEX + 1], delivery[32];
	char *body;
	struct reply r;

	snprintf(sha, sizeof(sha), "%040d", s->i);
	snprintf(delivery, sizeof(delivery), "c-%d", s->i);
	body = payload_for("check_run", "completed", "failure", "acme/calc", sha, 0);
	deliver(&r, "check_run", delivery, body, SECRET);
	s->status = r.status;
	s->job = json_integer_value(json_object_get(r.json, "job"));
	reply_release(&r);
	free(body);
	return NULL;
}

static void httpd__concurrent_deliveries_queued_once(void **state)
{
	struct sender senders[CONCURRENT];
	struct job *jobs;
	size_t nr;
	int i, round;

	(void)state;
	/* each delivery twice, all at once: one job each, the other answer a duplicate or the same job */
	for (round = 0; round < 2; round++) {
		for (i = 0; i < CONCURRENT; i++) {
			senders[i].i = i;
			assert_int_equal(pthread_create(&senders[i].thread, NULL, send_one,
							&senders[i]), 0);
		}
		for (i = 0; i < CONCURRENT; i++) {
			pthread_join(senders[i].thread, NULL);
			if (round == 0 && senders[i].status != 202)
				fail_msg("delivery %d: %ld", i, senders[i].status);
			if (round == 1 && senders[i].status != 200)
				fail_msg("replay %d: %ld", i, senders[i].status);
		}
	}
	assert_int_equal(queue_list(S.q, &jobs, &nr, 0), 0);
	assert_int_equal(nr, CONCURRENT);
	queue_jobs_free(jobs, nr);
}

/* ---- the API ---- */

static void httpd__healthz(void **state)
{
	char *body = payload("check_run");
	struct reply r;
	sqlite3 *db;

	(void)state;
	get(&r, "/healthz");
	assert_int_equal(r.status, 200);
	assert_string_equal(member(&r, "status"), "ok");
	assert_int_equal(json_integer_value(json_object_get(r.json, "queue_depth")), 0);
	assert_string_equal(member(&r, "database"), "sqlite");
	reply_release(&r);
	deliver(&r, "check_run", "d-1", body, SECRET);
	reply_release(&r);
	get(&r, "/healthz");
	assert_int_equal(json_integer_value(json_object_get(r.json, "queue_depth")), 1);
	assert_non_null(strstr(r.headers.ptr, "Content-Type: application/json"));
	reply_release(&r);
	free(body);
	/* a database that cannot be read: 503 */
	assert_int_equal(sqlite3_open(S.db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "ALTER TABLE jobs RENAME TO gone", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	get(&r, "/healthz");
	assert_int_equal(r.status, 503);
	assert_string_equal(member(&r, "status"), "unavailable");
	assert_non_null(strstr(member(&r, "error"), "jobs"));
	reply_release(&r);
}

/* queue three jobs (check_run, check_suite, workflow_run) and move the first to escalated */
static int64_t three_jobs(void)
{
	static const char *const events[] = { "check_run", "check_suite", "workflow_run" };
	struct job_outcome o = JOB_OUTCOME_INIT;
	struct job job;
	int64_t first = 0;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(events); i++) {
		char *body = payload(events[i]), delivery[16];
		struct reply r;

		snprintf(delivery, sizeof(delivery), "d-%zu", i);
		deliver(&r, events[i], delivery, body, SECRET);
		expect_queued(&r, 1);
		if (!first)
			first = json_integer_value(json_object_get(r.json, "job"));
		reply_release(&r);
		free(body);
	}
	assert_int_equal(queue_claim(S.q, &job, "w1", 60), 0);
	assert_int_equal(job.id, first);
	o.confidence = 0.25;
	o.reason = "no test failure in the log";
	o.category = "lint";
	assert_int_equal(queue_transition(S.q, job.id, "w1", job.fence, JOB_ESCALATED, &o), 0);
	job_release(&job);
	return first;
}

static void httpd__api_jobs(void **state)
{
	struct reply r;
	json_t *jobs, *j;
	int64_t first;

	(void)state;
	first = three_jobs();
	get(&r, "/api/jobs");
	assert_int_equal(r.status, 200);
	jobs = json_object_get(r.json, "jobs");
	assert_int_equal(json_array_size(jobs), 3);
	/* newest first */
	j = json_array_get(jobs, 2);
	assert_int_equal(json_integer_value(json_object_get(j, "id")), first);
	assert_string_equal(json_string_value(json_object_get(j, "repository")), "acme/calc");
	assert_int_equal(json_integer_value(json_object_get(j, "pull_request")), 12);
	assert_string_equal(json_string_value(json_object_get(j, "head_sha")), SHA);
	assert_string_equal(json_string_value(json_object_get(j, "check")), "tests");
	assert_string_equal(json_string_value(json_object_get(j, "state")), "escalated");
	assert_true(json_real_value(json_object_get(j, "confidence")) == 0.25);
	assert_int_equal(json_integer_value(json_object_get(j, "attempts")), 0);
	assert_int_equal(strlen(json_string_value(json_object_get(j, "created_at"))),
			 strlen("2024-01-15T10:30:00Z"));
	assert_true(json_string_value(json_object_get(j, "created_at"))[19] == 'Z');
	assert_true(json_is_string(json_object_get(j, "finished_at")));
	assert_true(json_is_null(json_object_get(j, "commit")));
	assert_string_equal(json_string_value(json_object_get(j, "reason")),
			    "no test failure in the log");
	assert_string_equal(json_string_value(json_object_get(j, "category")), "lint");
	/* claimed once, never rescued; its lease ended with it */
	assert_int_equal(json_integer_value(json_object_get(j, "fence")), 1);
	assert_int_equal(json_integer_value(json_object_get(j, "rescue_count")), 0);
	assert_true(json_is_null(json_object_get(j, "lease_owner")));
	assert_true(json_is_null(json_object_get(j, "lease_until")));
	/* one not analysed yet, without a pull request */
	j = json_array_get(jobs, 0);
	assert_string_equal(json_string_value(json_object_get(j, "check")), "CI");
	assert_true(json_is_null(json_object_get(j, "confidence")));
	assert_true(json_is_null(json_object_get(j, "finished_at")));
	assert_true(json_is_null(json_object_get(j, "pull_request")));
	assert_int_equal(json_integer_value(json_object_get(j, "fence")), 0);
	assert_true(json_is_null(json_object_get(j, "lease_owner")));
	reply_release(&r);

	get(&r, "/api/jobs?limit=2");
	assert_int_equal(json_array_size(json_object_get(r.json, "jobs")), 2);
	reply_release(&r);
	get(&r, "/api/jobs?state=queued");
	assert_int_equal(json_array_size(json_object_get(r.json, "jobs")), 2);
	reply_release(&r);
	get(&r, "/api/jobs?state=escalated&limit=1000");
	jobs = json_object_get(r.json, "jobs");
	assert_int_equal(json_array_size(jobs), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(jobs, 0), "id")), first);
	reply_release(&r);
	get(&r, "/api/jobs?state=queued&limit=1");
	assert_int_equal(json_array_size(json_object_get(r.json, "jobs")), 1);
	reply_release(&r);

	/* bad parameters name themselves */
	get(&r, "/api/jobs?limit=0");
	expect_error(&r, 400, "invalid parameter 'limit'");
	reply_release(&r);
	get(&r, "/api/jobs?limit=1001");
	expect_error(&r, 400, "invalid parameter 'limit'");
	reply_release(&r);
	get(&r, "/api/jobs?limit=99999999999999999999999");
	expect_error(&r, 400, "invalid parameter 'limit'");
	reply_release(&r);
	get(&r, "/api/jobs?limit=-3");
	expect_error(&r, 400, "invalid parameter 'limit'");
	reply_release(&r);
	get(&r, "/api/jobs?state=done");
	expect_error(&r, 400, "invalid parameter 'state'");
	assert_non_null(strstr(member(&r, "error"), "done"));
	reply_release(&r);
}

static void httpd__api_job(void **state)
{
	struct reply r;
	struct job held;
	json_t *job, *hist, *msgs;
	int64_t first;
	char path[64];

	(void)state;
	first = three_jobs();
	snprintf(path, sizeof(path), "/api/jobs/%lld", (long long)first);
	get(&r, path);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_array_size(json_object_get(r.json, "jobs")), 1);
	job = json_array_get(json_object_get(r.json, "jobs"), 0);
	assert_int_equal(json_integer_value(json_object_get(job, "id")), first);
	hist = json_object_get(job, "history");
	assert_int_equal(json_array_size(hist), 3); /* created, claimed, escalated */
	assert_true(json_is_null(json_object_get(json_array_get(hist, 0), "from")));
	assert_string_equal(json_string_value(json_object_get(json_array_get(hist, 0), "to")),
			    "queued");
	assert_string_equal(json_string_value(json_object_get(json_array_get(hist, 2), "from")),
			    "analyzing");
	assert_string_equal(json_string_value(json_object_get(json_array_get(hist, 2), "to")),
			    "escalated");
	msgs = json_object_get(job, "messages");
	assert_int_equal(json_array_size(msgs), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(msgs, 0), "type")),
			    "check.failed");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(json_array_get(msgs, 0), "body"), "check_name")),
			    "tests");
	reply_release(&r);

	/* a held job shows its holder and how long it holds it */
	assert_int_equal(queue_claim(S.q, &held, "w2", 60), 0);
	snprintf(path, sizeof(path), "/api/jobs/%lld", (long long)held.id);
	get(&r, path);
	job = json_array_get(json_object_get(r.json, "jobs"), 0);
	assert_string_equal(json_string_value(json_object_get(job, "state")), "analyzing");
	assert_string_equal(json_string_value(json_object_get(job, "lease_owner")), "w2");
	assert_true(json_is_string(json_object_get(job, "lease_until")));
	assert_int_equal(json_integer_value(json_object_get(job, "fence")), held.fence);
	assert_true(held.fence >= 1);
	job_release(&held);
	reply_release(&r);

	get(&r, "/api/jobs/999");
	expect_error(&r, 404, "no job 999");
	reply_release(&r);
	get(&r, "/api/jobs/abc");
	expect_error(&r, 404, "no job 'abc'");
	reply_release(&r);
	get(&r, "/api/jobs/99999999999999999999");
	expect_error(&r, 404, "not a job id");
	reply_release(&r);
}

/* the lines logged, once there are `want` (or after LOG_WAIT_MS) */
static size_t log_lines(size_t want)
{
	size_t nr = 0, waited;
	const char *p;

	for (waited = 0; waited <= LOG_WAIT_MS; waited += 10) {
		pthread_mutex_lock(&S.log_lock);
		for (nr = 0, p = S.log.ptr; (p = strchr(p, '\n')); p++)
			nr++;
		pthread_mutex_unlock(&S.log_lock);
		if (nr >= want)
			break;
		usleep(10 * 1000);
	}
	return nr;
}

static void httpd__unknown_paths_and_methods(void **state)
{
	struct reply r;

	(void)state;
	/*
	 * One log line a request, with its status. It is written once the
	 * answer is sent, so the client may read the answer first: wait for
	 * each line before the next request, or two lines may swap.
	 */
	get(&r, "/nothing");
	expect_error(&r, 404, "no such path '/nothing'");
	reply_release(&r);
	assert_int_equal(log_lines(1), 1);
	get(&r, "/api/jobs/"); /* the prefix alone is not a job */
	expect_error(&r, 404, "no such path");
	reply_release(&r);
	assert_int_equal(log_lines(2), 2);
	get(&r, "/webhook");
	expect_error(&r, 405, "method 'GET' is not allowed on '/webhook'");
	assert_non_null(strstr(r.headers.ptr, "Allow: POST"));
	reply_release(&r);
	assert_int_equal(log_lines(3), 3);
	request(&r, "DELETE", "/api/jobs", NULL, NULL, 0, 0);
	expect_error(&r, 405, "allowed: GET");
	reply_release(&r);
	assert_int_equal(log_lines(4), 4);
	pthread_mutex_lock(&S.log_lock);
	assert_string_equal(S.log.ptr, "GET /nothing 404\nGET /api/jobs/ 404\nGET /webhook 405\n"
				       "DELETE /api/jobs 405\n");
	pthread_mutex_unlock(&S.log_lock);
}

/* ---- starting and stopping ---- */

static void httpd__addresses_and_port_in_use(void **state)
{
	struct httpd_route routes[] = {
		{ .method = "GET", .path = API_HEALTHZ_PATH, .fn = api_healthz, .ctx = &S.api },
		{ .method = NULL },
	};
	struct httpd *h = NULL;
	char where[64];

	(void)state;
	assert_int_equal(httpd_start(&h, "127.0.0.1", httpd_port(S.h), routes, NULL, NULL), -1);
	snprintf(where, sizeof(where), "'127.0.0.1:%d'", httpd_port(S.h));
	assert_non_null(strstr(error_last(), where));
	assert_non_null(strstr(error_last(), "in use"));
	assert_null(h);
	assert_int_equal(httpd_start(&h, "example.com", 0, routes, NULL, NULL), ERR_USAGE);
	assert_non_null(strstr(error_last(), "'example.com'"));
	assert_int_equal(httpd_start(&h, "127.0.0.1", 70000, routes, NULL, NULL), ERR_USAGE);
	/* localhost and an IPv6 literal (where the machine has one) */
	assert_int_equal(httpd_start(&h, "localhost", 0, routes, NULL, NULL), 0);
	assert_true(httpd_port(h) > 0);
	httpd_stop(h);
	if (httpd_start(&h, "[::1]", 0, routes, NULL, NULL) == 0) {
		assert_true(httpd_port(h) > 0);
		httpd_stop(h);
	} else {
		assert_non_null(strstr(error_last(), "[::1]:0"));
	}
}

/* a slow handler: it says it has begun, and is answered although the server stops meanwhile */
struct slow_state {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int begun;
};

static int slow(const struct httpd_request *req, struct httpd_response *res, void *ctx)
{
	struct slow_state *st = ctx;

	pthread_mutex_lock(&st->lock);
	st->begun = 1;
	pthread_cond_signal(&st->cond);
	pthread_mutex_unlock(&st->lock);
	usleep(300 * 1000);
	buf_adds(&res->body, "{\"slow\":true}");
	return 0;
}

struct slow_client {
	char base[64];
	long status;
	struct buf body;
};

static void *call_slow(void *p)
{
	struct slow_client *c = p;
	char url[128];
	CURL *curl = curl_easy_init();

	snprintf(url, sizeof(url), "%s/slow", c->base);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &c->body);
	if (curl_easy_perform(curl) == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &c->status);
	curl_easy_cleanup(curl);
	return NULL;
}

static void httpd__stop_finishes_requests_in_flight(void **state)
{
	struct slow_state st = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };
	struct httpd_route routes[] = {
		{ .method = "GET", .path = "/slow", .fn = slow },
		{ .method = NULL },
	};
	struct slow_client c = { .body = BUF_INIT };
	struct httpd *h;
	pthread_t t;
	struct reply r;

	(void)state;
	assert_int_equal(httpd_start(&h, "127.0.0.1", 0, routes, &st, NULL), 0);
	snprintf(c.base, sizeof(c.base), "http://127.0.0.1:%d", httpd_port(h));
	assert_int_equal(pthread_create(&t, NULL, call_slow, &c), 0);
	pthread_mutex_lock(&st.lock);
	while (!st.begun)
		pthread_cond_wait(&st.cond, &st.lock);
	pthread_mutex_unlock(&st.lock);
	httpd_stop(h);
	pthread_join(t, NULL);
	assert_int_equal(c.status, 200);
	assert_string_equal(c.body.ptr, "{\"slow\":true}");
	buf_release(&c.body);
	/* the test server still answers: stopping one did not touch the other */
	get(&r, "/healthz");
	assert_int_equal(r.status, 200);
	reply_release(&r);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(httpd__signed_delivery_is_queued_with_its_message),
		T(httpd__unsigned_and_forged_are_refused),
		T(httpd__replayed_delivery_is_acknowledged_once),
		T(httpd__bodies_over_the_cap),
		T(httpd__each_event_type),
		T(httpd__ignored_refused_fork_and_invalid),
		T(intake__order_of_the_checks),
		T(httpd__concurrent_deliveries_queued_once),
		T(httpd__healthz),
		T(httpd__api_jobs),
		T(httpd__api_job),
		T(httpd__unknown_paths_and_methods),
		T(httpd__addresses_and_port_in_use),
		T(httpd__stop_finishes_requests_in_flight),
	};
	int ret;

	curl_global_init(CURL_GLOBAL_ALL);
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return ret;
}
