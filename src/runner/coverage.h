#ifndef RUNNER_COVERAGE_H
#define RUNNER_COVERAGE_H

#include "util/strvec.h"

#include <stddef.h>

/*
 * The per-test coverage map (issue 16): which lines of the project's
 * source each test executed, recorded by our plugin during the baseline
 * (pytest_options.coverage_file), and what follows from it:
 *
 *   - spectrum-based fault localisation: statements ranked by Ochiai
 *     suspiciousness, ef / sqrt((ef + nf) * (ef + ep)), from the failing
 *     and passing tests (as GZoltar does for Java repair);
 *   - the tests that execute a changed line: the first regression gate.
 *
 * Paths are relative to the project root, lines 1-based.
 */

struct suspect {
	char *file;
	int line;
	double score;      /* Ochiai, in (0, 1] */
};

struct coverage_map;

/*
 * Read the file the plugin wrote. A malformed file is ERR_PARSE naming the
 * line; a missing one ERR_NOTFOUND.
 */
int coverage_map_read(struct coverage_map **out, const char *path);
void coverage_map_free(struct coverage_map *m);
/* how many tests it has lines for */
size_t coverage_map_tests(const struct coverage_map *m);

/*
 * The lines executed by a failing test (`failing`: node ids; a parametrised
 * test's ids count each), best first, at most `max` (0: all); ties keep
 * file and line order. *out is an array of *nr suspects, freed with
 * suspects_free().
 */
int coverage_rank(struct suspect **out, size_t *nr, const struct coverage_map *m,
		  const struct strvec *failing, size_t max);
void suspects_free(struct suspect *s, size_t nr);

/* push the ids of the tests that executed any line in [first, last] of `file` */
void coverage_tests_covering(struct strvec *out, const struct coverage_map *m,
			     const char *file, int first, int last);

#endif
