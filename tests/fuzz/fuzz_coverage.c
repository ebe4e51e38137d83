/* The per-test coverage map our plugin writes (fix's baseline): runner/coverage.c */
#include "fuzz.h"

#include "runner/coverage.h"

/* small: a record of a few bytes may name a run of many lines */
#define FUZZ_MAX_LEN 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct coverage_map *m = NULL;
	struct strvec failing = STRVEC_INIT, covering = STRVEC_INIT;
	struct suspect *s = NULL;
	size_t nr = 0;

	if (size > FUZZ_MAX_LEN)
		return -1;
	fuzz_reset();
	if (coverage_map_parse(&m, (const char *)data, size, "fuzz.jsonl") < 0)
		return 0;
	/* what fix does with it: rank for a failure, the tests covering a change */
	strvec_push(&failing, "t::a");
	strvec_push(&failing, "t::b[1]");
	coverage_rank(&s, &nr, m, &failing, 0);
	if (nr)
		coverage_tests_covering(&covering, m, s[0].file, s[0].line, s[nr - 1].line);
	coverage_tests_covering(&covering, m, "a.py", 1, 1000000);
	suspects_free(s, nr);
	strvec_clear(&covering);
	strvec_clear(&failing);
	coverage_map_free(m);
	return 0;
}
