/*
 * The probe's results as the generator reads them (gen/search.c), and as
 * the behaviour check reads a compare's (gen/behaviour.c): the lines a
 * child running unknown code wrote (runner/probe.h), any text.
 */
#include "fuzz.h"

#include "gen/behaviour.h"
#include "gen/search.h"
#include "util/strvec.h"
#include "util/xalloc.h"

#include <string.h>

#define FUZZ_MAX_LEN 16384
#define FUZZ_CALLS 6
#define FUZZ_MUTANTS 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gen_calls calls = GEN_CALLS_INIT;
	struct gen_probe_info info;
	long crashed;
	size_t i;

	if (size > FUZZ_MAX_LEN)
		return -1;
	fuzz_reset();
	for (i = 0; i < FUZZ_CALLS; i++) {
		struct gen_call *c = gen_calls_add(&calls);
		c->expr = xstrdup("f(1)");
	}
	memset(&info, 0, sizeof(info));
	strvec_init(&info.lines);
	info.nmutants = FUZZ_MUTANTS;
	info.mutant_timeouts = xcalloc(FUZZ_MUTANTS, sizeof(size_t));
	info.mutant_errors = xcalloc(FUZZ_MUTANTS, sizeof(int));
	info.mutant_done = xcalloc(FUZZ_MUTANTS, sizeof(int));
	/* a window of the calls, as a later probe reads them */
	gen_probe_parse(&info, &calls, 1, FUZZ_CALLS - 1, (const char *)data, size, &crashed);
	if (crashed >= 0 && (crashed < 1 || crashed >= FUZZ_CALLS - 1))
		__builtin_trap();
	for (i = 0; i < calls.nr; i++) {
		size_t k;
		for (k = 0; k < calls.items[i].nkills; k++)
			if (calls.items[i].kills[k] < 0 || calls.items[i].kills[k] >= FUZZ_MUTANTS)
				__builtin_trap();
	}
	{
		struct gen_behaviour_diffs d;
		if (gen_behaviour_parse(&d, &calls, (const char *)data, size) == 0) {
			if (d.nr > FUZZ_CALLS)
				__builtin_trap();
			for (i = 0; i < d.nr; i++)
				if (!d.items[i].call || !d.items[i].before || !d.items[i].after)
					__builtin_trap();
		} else if (d.nr) {
			__builtin_trap();
		}
		gen_behaviour_diffs_release(&d);
	}
	gen_probe_info_release(&info);
	gen_calls_release(&calls);
	return 0;
}
