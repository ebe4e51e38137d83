/*
 * The built-in test generator reading a module it was given (gen/facts.c):
 * any text as Python source, then the value pools, a few seeded calls of
 * each function, and the pytest file written as if each call had returned
 * its own argument text, which the static assertion gate then reads.
 */
#include "fuzz.h"

#include "gen/emit.h"
#include "gen/facts.h"
#include "gen/search.h"
#include "gen/trust.h"
#include "util/buf.h"
#include "util/strvec.h"
#include "util/xalloc.h"

#include <string.h>

#define FUZZ_MAX_LEN 8192
/* calls sampled per function */
#define FUZZ_CALLS 3

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gen_facts f;
	struct gen_calls calls = GEN_CALLS_INIT;
	struct gen_emitted e = GEN_EMITTED_INIT;
	struct gen_emit_options eo = { "pkg.mod", "pkg/mod.py", 1, NULL };
	struct strvec names = STRVEC_INIT, why = STRVEC_INIT;
	struct buf out = BUF_INIT;
	struct gen_pools *pools;
	struct gen_rng rng;
	size_t i;

	if (size > FUZZ_MAX_LEN)
		return -1;
	fuzz_reset();
	if (gen_facts_read(&f, "pkg/mod.py", (const char *)data, size) < 0)
		return 0;
	pools = gen_pools_new(&f);
	gen_rng_seed(&rng, size);
	for (i = 0; i < f.nfunctions; i++) {
		struct buf skip = BUF_INIT;
		if (gen_callable(&f, i, 1, &skip))
			gen_sample(&calls, &f, pools, i, FUZZ_CALLS, &rng);
		buf_release(&skip);
	}
	/* each call "returned" a literal, or raised: both shapes of test */
	for (i = 0; i < calls.nr; i++) {
		struct gen_call *c = &calls.items[i];
		c->kept = 1;
		if (i % 3 == 2) {
			c->outcome = GEN_OUT_RAISED;
			c->type = xstrdup("ValueError");
			c->type_module = xstrdup("builtins");
		} else {
			c->outcome = GEN_OUT_VALUE;
			c->literal = 1;
			c->repr = xstrdup(c->args.nr && *c->args.v[0] ? c->args.v[0] : "None");
		}
	}
	gen_pools_learn(pools, &f, &calls);
	gen_emit(&out, &e, &f, &calls, &eo);
	gen_trust_assertions(&names, &why, out.ptr, out.len);
	strvec_clear(&names);
	strvec_clear(&why);
	buf_release(&out);
	gen_emitted_release(&e);
	gen_calls_release(&calls);
	gen_pools_free(pools);
	gen_facts_release(&f);
	return 0;
}
