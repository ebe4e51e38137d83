/*
 * A counter's name as a worker stores it (serve/metrics.c): label values
 * may carry what came from outside (a check's name, a step). A name that
 * is read must come out in the one form printed, which reads back as
 * itself, with its family as its prefix and no line break in it.
 */
#include "fuzz.h"

#include "serve/metrics.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

/* METRICS_SERIES_MAX and some: longer names are refused at once */
#define FUZZ_MAX_LEN 1088

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out = BUF_INIT, again = BUF_INIT, family = BUF_INIT;
	char *name;

	if (size > FUZZ_MAX_LEN)
		return -1;
	fuzz_reset();
	name = xstrndup((const char *)data, size);
	if (metrics_series_parse(&out, &family, name) == 0) {
		if (strchr(out.ptr, '\n') || strncmp(out.ptr, family.ptr, family.len) ||
		    (out.ptr[family.len] && out.ptr[family.len] != '{'))
			abort();
		if (out.len <= METRICS_SERIES_MAX &&
		    (metrics_series_parse(&again, NULL, out.ptr) < 0 || strcmp(again.ptr, out.ptr)))
			abort();
	}
	buf_release(&out);
	buf_release(&again);
	buf_release(&family);
	free(name);
	return 0;
}
