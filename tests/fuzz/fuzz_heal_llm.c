/*
 * heal's reading of a model's edit of a test (gen/heal_llm.c): the test
 * file's new text is the model's, and the recent change of the code is a
 * diff of whatever the project holds. The input is the old text and the
 * new one separated by a NUL byte; the whole input is read as a diff too.
 */
#include "fuzz.h"

#include "gen/heal_llm.h"
#include "util/buf.h"

#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_LEN 16384

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const uint8_t *nul;
	size_t old_len;
	char *o = NULL, *n = NULL;
	struct buf out = BUF_INIT;

	if (size > FUZZ_MAX_LEN)
		return -1;
	fuzz_reset();
	nul = memchr(data, 0, size);
	old_len = nul ? (size_t)(nul - data) : size;
	if (gen_heal_llm_behaviour(&o, &n, text, old_len, nul ? text + old_len + 1 : "",
				   nul ? size - old_len - 1 : 0)) {
		if (!o || !n || strlen(n) > GEN_HEAL_LLM_VALUE_CAP || strlen(o) > GEN_HEAL_LLM_VALUE_CAP)
			abort();
	} else if (o || n) {
		abort();
	}
	free(o);
	free(n);
	gen_heal_llm_imports(text, size, "pkg.util");
	gen_heal_llm_imports(text, size, "mod");
	gen_heal_llm_code_diff(&out, text, size);
	if (out.len > size)
		abort();
	buf_release(&out);
	return 0;
}
