#ifndef RUNNER_RESULT_JSON_H
#define RUNNER_RESULT_JSON_H

#include "runner/result.h"

#include <jansson.h>

/*
 * The `scan --json` object of SPEC.md: {"summary": {...}, "failures": [...]}.
 * Returns a new reference owned by the caller. Every string in `res` is
 * valid UTF-8 already (the model cleans what it stores).
 */
json_t *test_result_to_json(const struct test_result *res);
json_t *failure_to_json(const struct failure *f);
/*
 * The reverse of failure_to_json(), into `out` (which holds nothing yet):
 * ERR_PARSE when `j` is not such an object (no string "id").
 */
int failure_from_json(struct failure *out, const json_t *j);

/* flags for test_result_to_json_flags() */
enum result_json_flags {
	RESULT_JSON_TEXT = 1 << 0,  /* include "traceback" and "output" */
};
json_t *test_result_to_json_flags(const struct test_result *res, unsigned flags);

#endif
