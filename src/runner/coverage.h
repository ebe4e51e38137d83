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
 *
 * The file is JSON lines, one per test item (its setup, call and teardown),
 * ASCII, appended by the plugin (xdist workers share the file):
 *
 *   {"ev":"cov","id":NODEID,"outcome":"passed|failed|skipped",
 *    "files":{"pkg/mod.py":[3,[5,9],12],...}}
 *
 * lines ascending, [a,b] the lines a to b. The plugin appends: a caller
 * removes the file before the run. A test recorded twice (repeated runs, a
 * run resumed after a hung test) is the union of its records, failed if
 * any failed. Paths are relative to pytest's rootdir (the project root
 * unless its pytest configuration sits elsewhere). When a trace
 * function was already installed (coverage.py, pytest-cov, a debugger)
 * the plugin left it alone and wrote {"ev":"cov-off","reason":...}
 * instead: a map with such a line and no test is ERR_CONFLICT whose
 * message gives the reason.
 */

#define COVERAGE_MAX_RECORD_BYTES (64u * 1024 * 1024)  /* one line of the file */
#define COVERAGE_MAX_LINENO 1000000                     /* a line number */
#define COVERAGE_MAX_TEST_LINES (1u << 18)              /* lines one record names */
#define COVERAGE_MAX_ENTRIES (1ul << 27)                /* (test, line) pairs of a map */
#define COVERAGE_MAX_TESTS (1u << 20)

struct suspect {
	char *file;
	int line;
	double score;      /* Ochiai, in (0, 1] */
};

struct coverage_map;

/*
 * Read the file the plugin wrote. A malformed file is ERR_PARSE naming the
 * line; a missing one ERR_NOTFOUND; past a cap above ERR_LIMIT. The map is
 * the caller's, freed with coverage_map_free() (NULL: a no-op).
 */
int coverage_map_read(struct coverage_map **out, const char *path);
/* the same from <data, len>, `name` in messages */
int coverage_map_parse(struct coverage_map **out, const char *data, size_t len, const char *name);
void coverage_map_free(struct coverage_map *m);
/* how many tests it has a record for (one that executed no project line included) */
size_t coverage_map_tests(const struct coverage_map *m);

/*
 * The lines executed by a failing test (`failing`: node ids; a parametrised
 * test's ids count each), best first, at most `max` (0: all); ties keep
 * file and line order. *out is an array of *nr suspects, freed with
 * suspects_free(). The passing tests are the other tests of the map except
 * those recorded failed (another failure's tests neither accuse nor clear
 * a line); failing ids the map lacks are left out. Returns 0.
 */
int coverage_rank(struct suspect **out, size_t *nr, const struct coverage_map *m,
		  const struct strvec *failing, size_t max);
void suspects_free(struct suspect *s, size_t nr);

/* push the ids of the tests that executed any line in [first, last] of `file`, in the map's order */
void coverage_tests_covering(struct strvec *out, const struct coverage_map *m,
			     const char *file, int first, int last);

#endif
