/*
 * The reported mutation score's pure parts (src/gen/mutscore.c, the
 * Markdown section of src/gen/quality.c): how one run of the written file
 * against a mutant is judged, the limit from the file's clean run, the
 * seeded order of the mutants (a sample when the budget cuts it), and a
 * report that says how the score was measured and claims nothing for the
 * mutants not run.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "gen/generate.h"
#include "gen/mutscore.h"
#include "gen/trust.h"
#include "runner/result.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

static void add_failure(struct test_result *res, const char *id, enum failure_kind kind, const char *type)
{
	struct failure *f = test_result_add_failure(res, id);
	f->kind = kind;
	f->error_type = type ? xstrdup(type) : NULL;
}

static void judge__passing_failing_erroring_timed_out_and_not_loading(void **state)
{
	struct test_result res = TEST_RESULT_INIT;

	(void)state;
	/* every test passed: survived */
	res.summary.total = res.summary.passed = 3;
	assert_int_equal(gen_mutant_judge(&res, 0), GEN_MUTANT_SURVIVED);
	/* one failed assertion: killed */
	add_failure(&res, "tests/t.py::test_a[1]", FAILURE_KIND_FAILURE, "AssertionError");
	assert_int_equal(gen_mutant_judge(&res, 0), GEN_MUTANT_KILLED);
	test_result_release(&res);

	/* an error in setup kills too */
	test_result_init(&res);
	res.summary.total = 2;
	add_failure(&res, "tests/t.py::test_b", FAILURE_KIND_ERROR, "TypeError");
	assert_int_equal(gen_mutant_judge(&res, 0), GEN_MUTANT_KILLED);
	/* a test stopped at its limit: timed out, whatever else failed */
	add_failure(&res, "tests/t.py::test_c", FAILURE_KIND_FAILURE, "Timeout");
	assert_int_equal(gen_mutant_judge(&res, 0), GEN_MUTANT_TIMED_OUT);
	test_result_release(&res);

	/* the warm worker's, raised in a screened run; a Timeout of the code under test is a failure */
	test_result_init(&res);
	res.summary.total = 1;
	add_failure(&res, "tests/t.py::test_d", FAILURE_KIND_FAILURE, "requests.Timeout");
	res.failures[0].message = xstrdup("read timed out");
	assert_int_equal(gen_mutant_judge(&res, 0), GEN_MUTANT_KILLED);
	add_failure(&res, "tests/t.py::test_e", FAILURE_KIND_FAILURE, "pytest_fixer_worker.Timeout");
	res.failures[1].message = xstrdup("the test did not finish within 1 s (its time limit from the durations "
					  "measured before)");
	assert_int_equal(gen_mutant_judge(&res, 0), GEN_MUTANT_TIMED_OUT);
	test_result_release(&res);

	/* the file cannot be collected (the module does not import): did not load */
	test_result_init(&res);
	add_failure(&res, "tests/t.py", FAILURE_KIND_COLLECTION, "SyntaxError");
	assert_int_equal(gen_mutant_judge(&res, 0), GEN_MUTANT_NO_LOAD);
	test_result_release(&res);

	/* the whole run past its limit; a run that could not be made; a run of no test */
	test_result_init(&res);
	assert_int_equal(gen_mutant_judge(&res, ERR_TIMEOUT), GEN_MUTANT_TIMED_OUT);
	assert_int_equal(gen_mutant_judge(&res, ERR_GENERIC), GEN_MUTANT_NOT_RUN);
	assert_int_equal(gen_mutant_judge(&res, 0), GEN_MUTANT_NOT_RUN);
	test_result_release(&res);
}

static void limit__ten_times_the_clean_run_at_least_the_floor(void **state)
{
	(void)state;
	assert_true(gen_mutant_limit(0.01) == GEN_TRUST_LIMIT_FLOOR);
	assert_true(gen_mutant_limit(0.5) == 0.5 * GEN_TRUST_LIMIT_FACTOR);
}

static void order__a_seeded_permutation(void **state)
{
	size_t a[50], b[50], c[50], i;
	int seen[50] = { 0 }, same = 1;

	(void)state;
	gen_mutant_order(a, 50, 1);
	gen_mutant_order(b, 50, 1);
	gen_mutant_order(c, 50, 2);
	assert_memory_equal(a, b, sizeof(a));
	for (i = 0; i < 50; i++) {
		assert_true(a[i] < 50);
		seen[a[i]]++;
		same &= a[i] == c[i];
	}
	for (i = 0; i < 50; i++)
		assert_int_equal(seen[i], 1);
	assert_false(same);
	gen_mutant_order(a, 0, 1);   /* nothing to order: no write */
}

static void report__names_the_method_and_the_sample(void **state)
{
	struct gen_result r;
	struct gen_operator_score op = { (char *)"arith-swap", 2, 1, 1 };
	struct buf out = BUF_INIT;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.module_path = (char *)"calc.py";
	r.out_path = (char *)"tests/test_calc_generated.py";
	r.mutants_generated = 50;
	r.mutants = 4;
	r.killed = 2;
	r.survived = 1;
	r.timed_out = 1;
	r.mutants_sampled = 1;
	r.operators = &op;
	r.noperators = 1;
	gen_report_markdown(&out, &r);
	assert_non_null(strstr(out.ptr, "## Mutation score\n\nMeasured by running `tests/test_calc_generated.py` "
				   "against each mutant of the module"));
	assert_non_null(strstr(out.ptr, "4 of 50 mutants run (a seeded sample: the time budget ran out; "
				   "no figure for the others)"));
	assert_non_null(strstr(out.ptr, "3 of 4 mutants killed (75%), 1 of them by a time limit"));
	assert_non_null(strstr(out.ptr, "| arith-swap | 2 | 1 | 1 |"));
	buf_release(&out);

	/* none run: no figure at all */
	r.mutants = r.killed = r.survived = r.timed_out = 0;
	r.noperators = 0;
	gen_report_markdown(&out, &r);
	assert_non_null(strstr(out.ptr, "0 of 50 mutants run"));
	assert_non_null(strstr(out.ptr, "No mutant was run."));
	assert_null(strstr(out.ptr, "mutants killed"));
	buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(judge__passing_failing_erroring_timed_out_and_not_loading),
		cmocka_unit_test(limit__ten_times_the_clean_run_at_least_the_floor),
		cmocka_unit_test(order__a_seeded_permutation),
		cmocka_unit_test(report__names_the_method_and_the_sample),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
