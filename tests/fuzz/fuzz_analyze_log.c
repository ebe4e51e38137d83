/*
 * A failed check's log as the service's analyzer reads it
 * (serve/analyze.c's analyze_log(), then the built-in rules): the excerpt
 * stays within its cap, valid UTF-8 without NUL bytes, however the log is
 * cut.
 */
#include "fuzz.h"

#include "serve/analyze.h"
#include "util/utf8.h"

#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_LEN 262144

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct analyze_evidence ev;
	struct analysis a;
	const struct analyze_repro repro = { 1, (size_t)(size & 1), 0 };

	if (size > FUZZ_MAX_LEN)
		return -1;
	fuzz_reset();
	if (analyze_log(&ev, (const char *)data, size) == 0) {
		size_t n = strlen(ev.excerpt);
		if (n > ANALYZE_EXCERPT_MAX || !utf8_is_valid(ev.excerpt, n))
			abort();
		if (ev.signal && (strlen(ev.signal) > ANALYZE_SIGNAL_MAX ||
				  !utf8_is_valid(ev.signal, strlen(ev.signal))))
			abort();
		analyze_builtin(&a, &ev, size & 2 ? &repro : NULL);
		if (!a.root_cause || !a.category || !a.estimated_complexity ||
		    !(a.confidence >= 0.0 && a.confidence <= 1.0))
			abort();
		analysis_release(&a);
	}
	analyze_evidence_release(&ev);
	return 0;
}
