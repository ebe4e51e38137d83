/*
 * The webhook intake (serve/intake.c) on a real SQLite queue: the first
 * byte picks the X-GitHub-Event ('0' check_run, '1' check_suite, '2'
 * workflow_run, '3' ping, by its value modulo 4) and, by its bit 2, whether
 * the body is left unsigned; the rest is the body, signed with the
 * harness's secret. Every answer is JSON with the status of its outcome; an
 * unsigned body is 401 and a signed one never is; a job it queues holds the
 * body as its payload; the same delivery again is a duplicate.
 */
#include "fuzz.h"

#include "serve/config.h"
#include "serve/intake.h"
#include "serve/queue.h"
#include "serve/webhook.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/xalloc.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_LEN 65536
#define FUZZ_SECRET "fuzz-intake-secret"

static const char *const events[] = { "check_run", "check_suite", "workflow_run", "ping" };
static const char config_text[] = "repositories:\n"
				  "  - name: octo/calc\n"
				  "  - name: octo/open\n"
				  "    allow_forks: true\n";

/* the queue, the config and the intake, for the whole run (reachable: not a leak) */
static struct queue *queue;
static struct serve_config config;
static struct intake intake;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long deliveries;

static void setup_once(void)
{
	struct buf path = BUF_INIT;

	if (queue)
		return;
	buf_addf(&path, "%s/intake.db", fuzz_tmpdir(NULL));
	if (queue_open_sqlite(&queue, path.ptr) < 0 ||
	    serve_config_parse(&config, config_text, strlen(config_text), "fuzz.yml") < 0) {
		fprintf(stderr, "fuzz_intake: %s\n", error_last());
		abort();
	}
	buf_release(&path);
	config.webhook_secret = xstrdup(FUZZ_SECRET);
	intake_init(&intake, queue, &lock, &config);
	intake.max_body = FUZZ_MAX_LEN;
}

static char *signature(const uint8_t *data, size_t size)
{
	unsigned char mac[WEBHOOK_HMAC_SIZE];
	struct buf out = BUF_INIT;
	size_t i;

	if (webhook_hmac_sha256(mac, FUZZ_SECRET, strlen(FUZZ_SECRET), data, size) < 0)
		abort();
	buf_adds(&out, WEBHOOK_SIGNATURE_PREFIX);
	for (i = 0; i < WEBHOOK_HMAC_SIZE; i++)
		buf_addf(&out, "%02x", mac[i]);
	return buf_detach(&out, NULL);
}

/* the answer is JSON, with the status of its outcome */
static void check_answer(const struct intake_result *r)
{
	json_t *doc = json_loadb(r->body.ptr, r->body.len, 0, NULL);

	if (!json_is_object(doc) || r->status != intake_outcome_status(r->outcome))
		abort();
	json_decref(doc);
}

/* a job it queued holds the body as its payload */
static void check_job(const struct intake_result *r, const uint8_t *data, size_t size)
{
	struct job job = { 0 };

	if (r->job <= 0 || queue_get(queue, &job, r->job) < 0)
		abort();
	if (r->outcome != INTAKE_EXISTING &&
	    (strlen(job.payload) != size || memcmp(job.payload, data, size)))
		abort();
	if (r->outcome == INTAKE_FORK && job.state != JOB_IGNORED)
		abort();
	job_release(&job);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct intake_result r = INTAKE_RESULT_INIT;
	char delivery[32], *sig = NULL;
	int unsigned_body;
	const char *event;

	if (size > FUZZ_MAX_LEN || size < 1)
		return -1;
	fuzz_reset();
	setup_once();
	event = events[data[0] % 4];
	unsigned_body = (data[0] >> 2) & 1;
	data++, size--;
	if (!unsigned_body)
		sig = signature(data, size);
	snprintf(delivery, sizeof(delivery), "fuzz-%lu", ++deliveries);
	intake_delivery(&r, &intake, event, delivery, sig, data, size);
	check_answer(&r);
	if (unsigned_body != (r.outcome == INTAKE_UNAUTHORIZED))
		abort();
	if (r.outcome == INTAKE_QUEUED || r.outcome == INTAKE_EXISTING ||
	    r.outcome == INTAKE_FORK) {
		check_job(&r, data, size);
		/* GitHub's redelivery */
		intake_delivery(&r, &intake, event, delivery, sig, data, size);
		check_answer(&r);
		if (r.outcome != INTAKE_DUPLICATE)
			abort();
	}
	intake_result_release(&r);
	free(sig);
	return 0;
}
