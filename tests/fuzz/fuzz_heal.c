/*
 * heal's reading of a failure and its templates (gen/heal_template.c):
 * pytest's error type, message and report text, the failing test file and
 * a module of the project are outside input. The input is those five
 * parts separated by NUL bytes (missing parts are empty).
 */
#include "fuzz.h"

#include "gen/heal_template.h"
#include "util/xalloc.h"

#include <string.h>

#define FUZZ_MAX_LEN 12288
#define FUZZ_PARTS 5

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gen_heal_diagnosis d = GEN_HEAL_DIAGNOSIS_INIT;
	struct gen_heal_modules mods = GEN_HEAL_MODULES_INIT;
	struct gen_heal_candidates cands = GEN_HEAL_CANDIDATES_INIT;
	struct gen_heal_request r;
	char *part[FUZZ_PARTS] = { 0 };
	size_t len[FUZZ_PARTS] = { 0 }, i, at = 0;

	if (size > FUZZ_MAX_LEN)
		return -1;
	fuzz_reset();
	for (i = 0; i < FUZZ_PARTS; i++) {
		const uint8_t *end = at < size ? memchr(data + at, 0, size - at) : NULL;
		size_t n = at < size ? (end ? (size_t)(end - (data + at)) : size - at) : 0;
		part[i] = xstrndup((const char *)data + (at < size ? at : size), n);
		len[i] = strlen(part[i]);
		at += n + 1;
	}
	gen_heal_classify(&d, part[0], part[1], part[2]);
	gen_heal_modules_add(&mods, "pkg/mod.py", part[4], len[4]);
	memset(&r, 0, sizeof(r));
	r.d = &d;
	r.path = "tests/test_mod.py";
	r.text = part[3];
	r.len = len[3];
	r.test = "test_f";
	r.line = 2;
	r.modules = &mods;
	gen_heal_propose(&cands, &r);
	gen_heal_candidates_release(&cands);
	gen_heal_modules_release(&mods);
	gen_heal_diagnosis_release(&d);
	for (i = 0; i < FUZZ_PARTS; i++)
		free(part[i]);
	return 0;
}
