/*
 * A model's analysis of a failed check (serve/analyze.c's
 * analyze_reply_parse()): whatever it accepts must hold what the service
 * relies on, and must turn into JSON.
 */
#include "fuzz.h"

#include "serve/analyze.h"

#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_LEN 65536

/* 1 when a path has a component "..", "." or "" */
static int bad_component(const char *f)
{
	const char *c = f, *slash;
	size_t n;

	for (;; c = slash + 1) {
		slash = strchr(c, '/');
		n = slash ? (size_t)(slash - c) : strlen(c);
		if (!n || (n == 1 && c[0] == '.') || (n == 2 && !memcmp(c, "..", 2)))
			return 1;
		if (!slash)
			return 0;
	}
}

static void check_analysis(const struct analysis *a)
{
	static const char *const categories[] = ANALYZE_CATEGORY_NAMES;
	static const char *const complexities[] = ANALYZE_COMPLEXITY_NAMES;
	json_t *j = NULL;
	size_t i, found = 0;

	if (!a->root_cause || !*a->root_cause || strlen(a->root_cause) > ANALYZE_MAX_ROOT_CAUSE)
		abort();
	if (!(a->confidence >= 0.0 && a->confidence <= 1.0) || (a->auto_fixable & ~1))
		abort();
	for (i = 0; i < sizeof(categories) / sizeof(categories[0]); i++)
		found += a->category && !strcmp(a->category, categories[i]);
	for (i = 0; i < sizeof(complexities) / sizeof(complexities[0]); i++)
		found += a->estimated_complexity && !strcmp(a->estimated_complexity, complexities[i]);
	if (found != 2 || a->files_to_modify.nr > ANALYZE_MAX_FILES)
		abort();
	for (i = 0; i < a->files_to_modify.nr; i++) {
		const char *f = a->files_to_modify.v[i];
		if (f[0] == '/' || f[0] == '~' || bad_component(f) || strchr(f, '\\') ||
		    strlen(f) > ANALYZE_MAX_PATH)
			abort();
	}
	if (analysis_to_json(&j, a) < 0 || !json_is_object(j))
		abort();
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct analysis a;

	if (size > FUZZ_MAX_LEN)
		return -1;
	fuzz_reset();
	if (analyze_reply_parse(&a, (const char *)data, size) == 0)
		check_analysis(&a);
	analysis_release(&a);
	return 0;
}
