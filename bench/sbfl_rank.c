/*
 * bench/sbfl_rank.py's driver: read the coverage map at argv[1] and print
 * the Ochiai ranking (runner/coverage.h) for the failing node ids that
 * follow, one "score file:line" a line, best first. Exit 0, or 1 on error.
 */
#include "runner/coverage.h"
#include "util/error.h"
#include "util/strvec.h"

#include <stdio.h>

int main(int argc, char **argv)
{
	struct coverage_map *m = NULL;
	struct strvec failing = STRVEC_INIT;
	struct suspect *s = NULL;
	size_t nr = 0, i;
	int k;

	if (argc < 3) {
		fprintf(stderr, "usage: bench_sbfl MAP FAILING_ID...\n");
		return 2;
	}
	if (coverage_map_read(&m, argv[1]) < 0) {
		fprintf(stderr, "bench_sbfl: %s\n", error_last());
		return 1;
	}
	for (k = 2; k < argc; k++)
		strvec_push(&failing, argv[k]);
	coverage_rank(&s, &nr, m, &failing, 0);
	for (i = 0; i < nr; i++)
		printf("%.6f %s:%d\n", s[i].score, s[i].file, s[i].line);
	suspects_free(s, nr);
	strvec_clear(&failing);
	coverage_map_free(m);
	return 0;
}
