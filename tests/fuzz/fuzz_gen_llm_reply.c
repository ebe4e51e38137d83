/*
 * A model's reply to `generate --engine llm` (gen/llmgen.c): fenced
 * blocks of tests. A refusal is ERR_PARSE with a reason and no tests; a
 * parse gives at most GEN_LLM_MAX_TESTS tests, each with a name, and a
 * usable one (not rejected) has a name starting with test_ and code that
 * holds its def.
 */
#include "fuzz.h"

#include "gen/llmgen.h"
#include "util/error.h"

#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_LEN 16384

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gen_llm_tests t;
	size_t i;
	int err;

	if (size > FUZZ_MAX_LEN)
		return -1;
	fuzz_reset();
	err = gen_llm_reply_parse(&t, (const char *)data, size);
	if (err < 0) {
		if (err != ERR_PARSE || !*error_last() || t.nr || t.v)
			abort();
		return 0;
	}
	if (!t.nr || t.nr > GEN_LLM_MAX_TESTS)
		abort();
	for (i = 0; i < t.nr; i++) {
		const struct gen_llm_test *x = &t.v[i];
		if (!x->name || !*x->name || !x->spec_id || !x->code || !x->imports)
			abort();
		if (!x->rejected && (strncmp(x->name, "test_", 5) || !strstr(x->code, x->name)))
			abort();
		if (*x->spec_id && strncmp(x->code, "# spec: ", 8))
			abort();
	}
	gen_llm_tests_release(&t);
	return 0;
}
