#ifndef GEN_MUTSCORE_H
#define GEN_MUTSCORE_H

#include <stddef.h>
#include <stdint.h>

/*
 * The reported mutation score (issue 17): the generated file as written is
 * run against each mutant of the module in the generator's private copy,
 * as mutmut or cosmic-ray would judge a suite. A mutant is killed when the
 * file fails (a test failing or erroring), timed out when a test or the run
 * is stopped at the limit derived from the file's clean run, survived when
 * it passes, and did not load when the file cannot even be collected (the
 * module does not import). The search's probe (gen/search.h kills[]) still
 * chooses the calls kept; it no longer gives the figure.
 */

struct test_result;

enum gen_mutant_outcome {
	GEN_MUTANT_NOT_RUN = 0,
	GEN_MUTANT_KILLED,
	GEN_MUTANT_SURVIVED,
	GEN_MUTANT_TIMED_OUT,
	GEN_MUTANT_NO_LOAD,
};

/*
 * The outcome of one run of the file against a mutant: `run_err` is what
 * the runner returned (0, ERR_TIMEOUT for a run past its whole limit; any
 * other error: not run), `res` its results.
 */
enum gen_mutant_outcome gen_mutant_judge(const struct test_result *res, int run_err);

/*
 * The per-test limit of a run against a mutant from the file's clean run
 * (seconds), as the trust gate derives its limits: GEN_TRUST_LIMIT_FACTOR
 * times it, at least GEN_TRUST_LIMIT_FLOOR.
 */
double gen_mutant_limit(double clean_seconds);

/* `order` := a permutation of 0..n-1 from `seed` (the mutants run first to last, a sample when cut) */
void gen_mutant_order(size_t *order, size_t n, uint64_t seed);

#endif
