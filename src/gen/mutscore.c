#include "gen/mutscore.h"

#include "gen/search.h"
#include "gen/trust.h"
#include "runner/result.h"
#include "util/error.h"

#include <string.h>

/*
 * A test stopped at its limit: our plugin's Timeout, the runner's for a
 * test it killed ("Timeout"), or the warm worker's, raised inside a
 * screened run ("pytest_fixer_worker.Timeout", "the test did not finish
 * within ..."); not any exception that happens to be called Timeout.
 */
static int is_timeout(const struct failure *f)
{
	const char *t = f->error_type, *m = f->message ? f->message : "";
	size_t n;

	if (!t)
		return 0;
	if (!strcmp(t, "Timeout"))
		return 1;
	n = strlen(t);
	return n > 8 && !strcmp(t + n - 8, ".Timeout") && !strncmp(m, "the test did not finish within ", 31);
}

enum gen_mutant_outcome gen_mutant_judge(const struct test_result *res, int run_err)
{
	size_t i;
	int timed_out = 0, failed = 0;

	if (run_err == ERR_TIMEOUT)
		return GEN_MUTANT_TIMED_OUT;
	if (run_err < 0)
		return GEN_MUTANT_NOT_RUN;
	for (i = 0; i < res->nr_failures; i++) {
		const struct failure *f = &res->failures[i];
		if (f->kind == FAILURE_KIND_COLLECTION)
			return GEN_MUTANT_NO_LOAD;
		if (is_timeout(f))
			timed_out = 1;
		failed = 1;
	}
	if (timed_out)
		return GEN_MUTANT_TIMED_OUT;
	if (failed || res->summary.failed || res->summary.errors)
		return GEN_MUTANT_KILLED;
	/* a file that ran no test at all says nothing */
	return res->summary.total ? GEN_MUTANT_SURVIVED : GEN_MUTANT_NOT_RUN;
}

double gen_mutant_limit(double clean_seconds)
{
	double limit = clean_seconds * GEN_TRUST_LIMIT_FACTOR;

	return limit < GEN_TRUST_LIMIT_FLOOR ? GEN_TRUST_LIMIT_FLOOR : limit;
}

void gen_mutant_order(size_t *order, size_t n, uint64_t seed)
{
	struct gen_rng rng;
	size_t i;

	for (i = 0; i < n; i++)
		order[i] = i;
	gen_rng_seed(&rng, seed);
	for (i = n; i > 1; i--) {
		size_t j = gen_rng_below(&rng, i), t = order[i - 1];
		order[i - 1] = order[j];
		order[j] = t;
	}
}
