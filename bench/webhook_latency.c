/*
 * Webhook acknowledgement latency: bench_webhook_latency [DELIVERIES [THREADS]]
 * starts the service's HTTP side in this process (src/serve/httpd.c with
 * the intake and the API, THREADS server threads) on a SQLite queue in a
 * private directory under $TMPDIR, and sends DELIVERIES (200) signed
 * check_run deliveries at once, one client thread each (libcurl, released
 * together by a barrier), each for another commit: every one is a new job
 * durably queued before its 202. It prints p50, p99 and the largest time
 * from sending to the answer. The baseline, measured in the same run under
 * the same concurrency, is as many GET /healthz (a read of the queue's
 * depth): the ratio says what verifying, parsing and committing a delivery
 * adds to a round trip through the same server. GitHub's limit is 10 s.
 * Exit 0, or 1 on error (any answer not 202 or 200 is one).
 */
#include "serve/api.h"
#include "serve/config.h"
#include "serve/httpd.h"
#include "serve/intake.h"
#include "serve/queue.h"
#include "serve/webhook.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/xalloc.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BENCH_DEFAULT_DELIVERIES 200
#define BENCH_MAX_DELIVERIES 5000
#define BENCH_SECRET "bench-webhook-secret-0123456789"
#define BENCH_TIMEOUT_S 60L

struct client {
	pthread_t thread;
	pthread_barrier_t *start;
	char url[128];
	struct curl_slist *headers;
	char *body;                /* NULL: a GET */
	long status;
	double ms;
	int failed;
};

static size_t discard(char *data, size_t size, size_t n, void *p)
{
	return size * n;
}

static void *run_client(void *p)
{
	struct client *c = p;
	CURL *curl = curl_easy_init();
	double start;

	if (!curl) {
		c->failed = 1;
		pthread_barrier_wait(c->start);
		return NULL;
	}
	curl_easy_setopt(curl, CURLOPT_URL, c->url);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, BENCH_TIMEOUT_S);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, c->headers);
	if (c->body)
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, c->body);
	pthread_barrier_wait(c->start);
	start = clock_monotonic();
	c->failed = curl_easy_perform(curl) != CURLE_OK;
	c->ms = (clock_monotonic() - start) * 1000.0;
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &c->status);
	curl_easy_cleanup(curl);
	return NULL;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* the nearest-rank percentile `p` of the sorted `v` */
static double percentile(const double *v, size_t n, double p)
{
	size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);

	return v[rank ? rank - 1 : 0];
}

/* a signed check_run delivery number `i`, as headers and body of `c` */
static void make_delivery(struct client *c, long i)
{
	unsigned char mac[WEBHOOK_HMAC_SIZE];
	struct buf body = BUF_INIT, h = BUF_INIT;
	size_t k;

	buf_addf(&body,
		 "{\"action\":\"completed\",\"check_run\":{\"id\":%ld,\"name\":\"tests\","
		 "\"head_sha\":\"%040ld\",\"conclusion\":\"failure\",\"check_suite\":{\"id\":7,"
		 "\"head_branch\":\"fix\"},\"pull_requests\":[{\"number\":12,\"head\":{\"ref\":"
		 "\"fix\",\"repo\":{\"id\":1}},\"base\":{\"ref\":\"main\",\"repo\":{\"id\":1}}}]},"
		 "\"repository\":{\"id\":1,\"full_name\":\"acme/calc\",\"clone_url\":"
		 "\"https://github.com/acme/calc.git\"}}", 1000 + i, i);
	webhook_hmac_sha256(mac, BENCH_SECRET, strlen(BENCH_SECRET), body.ptr, body.len);
	buf_adds(&h, INTAKE_HEADER_SIGNATURE ": " WEBHOOK_SIGNATURE_PREFIX);
	for (k = 0; k < WEBHOOK_HMAC_SIZE; k++)
		buf_addf(&h, "%02x", mac[k]);
	c->headers = curl_slist_append(NULL, h.ptr);
	buf_reset(&h);
	buf_addf(&h, INTAKE_HEADER_DELIVERY ": bench-%ld", i);
	c->headers = curl_slist_append(c->headers, h.ptr);
	c->headers = curl_slist_append(c->headers, INTAKE_HEADER_EVENT ": check_run");
	c->body = buf_detach(&body, NULL);
	buf_release(&h);
}

/*
 * `n` requests at once (deliveries when `post`, else GET /healthz); their
 * latencies in ms, sorted, into `ms`; -1 when one failed or had another answer
 */
static int round_of(double *ms, long n, int port, int post)
{
	struct client *cs = xcalloc((size_t)n, sizeof(*cs));
	pthread_barrier_t start;
	long i, started = 0;
	int err = 0;

	pthread_barrier_init(&start, NULL, (unsigned)n);
	for (i = 0; i < n; i++) {
		cs[i].start = &start;
		snprintf(cs[i].url, sizeof(cs[i].url), "http://127.0.0.1:%d%s", port,
			 post ? "/webhook" : API_HEALTHZ_PATH);
		if (post)
			make_delivery(&cs[i], i);
	}
	for (i = 0; i < n; i++) {
		if (pthread_create(&cs[i].thread, NULL, run_client, &cs[i])) {
			/* the barrier waits for all: nothing can run without this one */
			fprintf(stderr, "bench_webhook_latency: cannot start thread %ld\n", i);
			abort();
		}
		started++;
	}
	for (i = 0; i < started; i++) {
		pthread_join(cs[i].thread, NULL);
		ms[i] = cs[i].ms;
		if (!err && (cs[i].failed || cs[i].status != (post ? 202 : 200)))
			err = error_set("request %ld of %s: %s %ld", i,
					post ? "the deliveries" : "the baseline",
					cs[i].failed ? "failed" : "answered", cs[i].status);
		curl_slist_free_all(cs[i].headers);
		free(cs[i].body);
	}
	pthread_barrier_destroy(&start);
	free(cs);
	qsort(ms, (size_t)n, sizeof(*ms), by_value);
	return err;
}

static void report(const char *what, const double *ms, long n)
{
	printf("%s: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", what, percentile(ms, n, 50),
	       percentile(ms, n, 99), ms[n - 1]);
}

static const char config_text[] = "repositories:\n  - name: acme/calc\n";

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : BENCH_DEFAULT_DELIVERIES;
	long threads = argc > 2 ? atol(argv[2]) : HTTPD_DEFAULT_THREADS;
	struct httpd_options opts = HTTPD_OPTIONS_INIT;
	struct serve_config cfg = { 0 };
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct buf dir = BUF_INIT, path = BUF_INIT;
	struct queue *q = NULL;
	struct httpd *h = NULL;
	struct intake in;
	struct api api;
	double *base = NULL, *hook = NULL;
	size_t depth = 0;
	int err;

	if (argc > 3 || n < 1 || n > BENCH_MAX_DELIVERIES || threads < 1 ||
	    threads > HTTPD_MAX_THREADS) {
		fprintf(stderr, "usage: bench_webhook_latency [DELIVERIES (1..%d) [THREADS (1..%d)]]\n",
			BENCH_MAX_DELIVERIES, HTTPD_MAX_THREADS);
		return 2;
	}
	curl_global_init(CURL_GLOBAL_ALL);
	base = xcalloc((size_t)n, sizeof(*base));
	hook = xcalloc((size_t)n, sizeof(*hook));
	if ((err = fs_mkdtemp(&dir, "pf-bench-webhook")) < 0)
		goto done;
	buf_addf(&path, "%s/serve.db", dir.ptr);
	if ((err = serve_config_parse(&cfg, config_text, strlen(config_text), "bench.yml")) < 0 ||
	    (err = queue_open_sqlite(&q, path.ptr)) < 0)
		goto done;
	cfg.webhook_secret = xstrdup(BENCH_SECRET);
	intake_init(&in, q, &lock, &cfg);
	api.queue = q;
	api.lock = &lock;
	{
		struct httpd_route routes[] = {
			{ .method = "POST", .path = "/webhook", .fn = intake_route, .ctx = &in },
			{ .method = "GET", .path = API_HEALTHZ_PATH, .fn = api_healthz, .ctx = &api },
			{ .method = NULL },
		};
		opts.threads = (unsigned)threads;
		/* every client at once, with room */
		opts.connection_limit = (unsigned)(2 * n) > opts.connection_limit
			? (unsigned)(2 * n) : opts.connection_limit;
		if ((err = httpd_start(&h, "127.0.0.1", 0, routes, NULL, &opts)) == 0) {
			err = round_of(base, n, httpd_port(h), 0);
			if (!err)
				err = round_of(hook, n, httpd_port(h), 1);
			httpd_stop(h);
		}
	}
	if (!err && (err = queue_depth(q, &depth)) == 0 && depth != (size_t)n)
		err = error_set("%zu jobs queued, not %ld", depth, n);
	intake_release(&in);
	if (!err) {
		printf("%ld concurrent requests, %ld server threads, SQLite queue in %s\n", n,
		       threads, dir.ptr);
		report("baseline GET /healthz", base, n);
		report("signed deliveries (202, job committed)", hook, n);
		printf("ratio deliveries/baseline: p50 %.2f, p99 %.2f\n",
		       percentile(hook, n, 50) / percentile(base, n, 50),
		       percentile(hook, n, 99) / percentile(base, n, 99));
	}
done:
	if (err)
		fprintf(stderr, "bench_webhook_latency: %s\n", error_last());
	queue_close(q);
	serve_config_release(&cfg);
	if (dir.len)
		fs_remove_tree(dir.ptr);
	buf_release(&path);
	buf_release(&dir);
	free(base);
	free(hook);
	curl_global_cleanup();
	return err ? 1 : 0;
}
