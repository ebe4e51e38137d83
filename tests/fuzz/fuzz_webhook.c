/*
 * A GitHub delivery (serve/webhook.c): the first byte picks the
 * X-GitHub-Event ('0' check_run, '1' check_suite, '2' workflow_run, '3'
 * ping, by its value modulo 4), the rest is the body, which is also tried as
 * its own X-Hub-Signature-256 before being read as the event. An event that
 * is read must hold what the header promises.
 */
#include "fuzz.h"

#include "serve/webhook.h"

#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_LEN 65536
#define FUZZ_SECRET "fuzz-secret"
#define FUZZ_HEADER_MAX 128

static const char *const events[] = { "check_run", "check_suite", "workflow_run", "ping" };

static void check_event(const struct webhook_event *ev)
{
	size_t i;

	if (ev->kind == WEBHOOK_IGNORED) {
		if (!ev->ignored)
			abort();
		return;
	}
	if (!ev->repository || !strchr(ev->repository, '/') || !ev->clone_url || !ev->check ||
	    !ev->conclusion || !ev->head_sha || strlen(ev->head_sha) != WEBHOOK_SHA_HEX ||
	    !ev->run_id || ev->pull_requests_nr > WEBHOOK_MAX_PULL_REQUESTS)
		abort();
	for (i = 0; i < ev->pull_requests_nr; i++)
		if (ev->pull_requests[i] <= 0)
			abort();
	if (ev->pull_request != (ev->pull_requests_nr ? ev->pull_requests[0] : 0))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct webhook_event ev = WEBHOOK_EVENT_INIT;
	char header[FUZZ_HEADER_MAX + 1];
	const char *event;
	size_t n;

	if (size > FUZZ_MAX_LEN || size < 1)
		return -1;
	fuzz_reset();
	event = events[data[0] % 4];
	data++, size--;
	n = size < FUZZ_HEADER_MAX ? size : FUZZ_HEADER_MAX;
	memcpy(header, data, n);
	header[n] = '\0';
	if (webhook_verify(FUZZ_SECRET, data, size, header) == 0)
		abort(); /* a forged signature */
	if (webhook_parse(&ev, event, "72d3162e-cc78-11e3-81ab-4c9367dc0958", data, size) == 0)
		check_event(&ev);
	webhook_event_release(&ev);
	return 0;
}
