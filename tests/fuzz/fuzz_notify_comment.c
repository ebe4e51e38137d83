/*
 * Our pull-request comment's earlier body as GitHub hands it back
 * (serve/notify.c's notify_comment_body reads its history): anyone who can
 * edit the comment controls it. The input is the previous body, with the
 * marker and the history's opening put in front when its first byte is odd
 * (so the fuzzer starts inside the history). The new body must hold the
 * marker at its start and end with its history (the last history opening,
 * closed only at the end: text from outside may be quoted in code spans
 * above it, never inside it); fed back, it must read the same way.
 */
#include "fuzz.h"

#include "serve/notify.h"
#include "util/buf.h"

#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_LEN 65536
#define FUZZ_NOW 1764936000.0

static const struct notify_message message = {
	.outcome = "escalated", .repository = "acme/calc", .pull_request = 7, .check = "tests",
	.tests = "tests/test_a.py::test_b", .summary = "a <b>summary</b> -- @someone -->",
	.link = "https://github.com/acme/calc/pull/7", .confidence = 0.5,
};

static void check_body(const struct buf *b)
{
	const char *hist, *next, *close;
	size_t mlen = strlen(NOTIFY_COMMENT_MARKER);

	if (strncmp(b->ptr, NOTIFY_COMMENT_MARKER "\n", mlen + 1))
		abort();
	if (!(hist = strstr(b->ptr, NOTIFY_HISTORY_OPEN)))
		abort();
	while ((next = strstr(hist + 1, NOTIFY_HISTORY_OPEN)))
		hist = next;
	close = strstr(hist, "-->");
	if (!close || strcmp(close, "-->\n"))
		abort();        /* the history ends the body, nothing closes it early */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf prev = BUF_INIT, body = BUF_INIT, again = BUF_INIT;

	if (size > FUZZ_MAX_LEN || size < 1)
		return -1;
	fuzz_reset();
	if (data[0] & 1)
		buf_adds(&prev, NOTIFY_COMMENT_MARKER "\n" NOTIFY_HISTORY_OPEN);
	buf_add(&prev, data + 1, size - 1);
	notify_comment_body(&body, prev.ptr, &message, FUZZ_NOW);
	check_body(&body);
	notify_comment_body(&again, body.ptr, &message, FUZZ_NOW + 60);
	check_body(&again);
	buf_release(&again);
	buf_release(&body);
	buf_release(&prev);
	return 0;
}
