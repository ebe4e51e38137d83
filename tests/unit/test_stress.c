/* Stress runs and order analysis (src/repro/stress.c), with real pytest on tests/fixtures/flaky. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "repro/stress.h"
#include "runner/pytest.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/sig.h"
#include "util/strvec.h"

#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#define RATE_DIR FIXTURES_DIR "/flaky/rate"
#define ORDER_DIR FIXTURES_DIR "/flaky/order"
#define CRASH_DIR FIXTURES_DIR "/flaky/crash"
#define PYTEST_CMD "/usr/bin/python3 -m pytest"
#define FLAKY_ID "test_rate.py::test_thirty_percent"
#define STEADY_ID "test_rate.py::test_always_passes"
#define KNOWN_RATE 0.3
/*
 * Two-sided 1e-5 normal quantile: the known rate lies outside this Wilson
 * interval of a correct measurement in about one run in 100,000.
 */
#define Z_1E5 4.4172

/* pure functions --------------------------------------------------------- */

static void stress__wilson_known_values(void **state)
{
	double lo, hi;

	stress_wilson(&lo, &hi, 0, 0, STRESS_Z95);
	assert_true(lo == 0.0 && hi == 1.0);
	/* 5 of 10: 0.2366 .. 0.7634 */
	stress_wilson(&lo, &hi, 5, 10, STRESS_Z95);
	assert_true(lo > 0.2365 && lo < 0.2367);
	assert_true(hi > 0.7633 && hi < 0.7635);
	/* 0 of 200: upper bound z^2 / (n + z^2) = 0.0188 */
	stress_wilson(&lo, &hi, 0, 200, STRESS_Z95);
	assert_true(lo == 0.0);
	assert_true(hi > 0.0187 && hi < 0.0189);
	/* all of them */
	stress_wilson(&lo, &hi, 30, 30, STRESS_Z95);
	assert_true(hi == 1.0 && lo > 0.88 && lo < 0.89);
	/* wider for a higher confidence */
	{
		double lo2, hi2;
		stress_wilson(&lo, &hi, 30, 100, STRESS_Z95);
		stress_wilson(&lo2, &hi2, 30, 100, STRESS_Z999);
		assert_true(lo2 < lo && hi2 > hi && lo < 0.3 && hi > 0.3);
	}
}

static void stress__split_spreads_iterations(void **state)
{
	int c[4];

	assert_int_equal(stress_split(c, 10, 3), 3);
	assert_int_equal(c[0], 4);
	assert_int_equal(c[1], 3);
	assert_int_equal(c[2], 3);
	assert_int_equal(stress_split(c, 2, 4), 2);
	assert_int_equal(c[0], 1);
	assert_int_equal(c[1], 1);
	assert_int_equal(c[2], 0);
	assert_int_equal(c[3], 0);
	assert_int_equal(stress_split(c, 0, 2), 0);
	assert_int_equal(c[0], 0);
	assert_int_equal(stress_split(c, 7, 0), 1);
	assert_int_equal(c[0], 7);
}

/* A fake probe: fails when every index in `need` is in the subset. */
struct fake {
	size_t need[4];
	size_t nr_need;
	int calls;
	int fail_after;   /* > 0: return ERR_TIMEOUT on that call */
};

static int fake_probe(const size_t *idx, size_t nr, void *payload)
{
	struct fake *f = payload;
	size_t i, j;

	f->calls++;
	if (f->fail_after && f->calls >= f->fail_after)
		return ERR_TIMEOUT;
	for (i = 1; i < nr; i++)
		assert_true(idx[i - 1] < idx[i]);   /* the order is kept */
	for (j = 0; j < f->nr_need; j++) {
		int found = 0;
		for (i = 0; i < nr; i++)
			found |= idx[i] == f->need[j];
		if (!found)
			return 0;
	}
	return 1;
}

static void stress__ddmin_finds_one_culprit(void **state)
{
	struct fake f = { { 13 }, 1, 0, 0 };
	size_t keep[40], nr = 0;

	assert_int_equal(stress_ddmin(keep, &nr, 40, fake_probe, &f), 0);
	assert_int_equal(nr, 1);
	assert_int_equal(keep[0], 13);
	/* halving: about two probes per halving of 40 */
	assert_true(f.calls <= 12);
}

static void stress__ddmin_finds_a_pair(void **state)
{
	struct fake f = { { 2, 9 }, 2, 0, 0 };
	size_t keep[12], nr = 0;

	assert_int_equal(stress_ddmin(keep, &nr, 12, fake_probe, &f), 0);
	assert_int_equal(nr, 2);
	assert_int_equal(keep[0], 2);
	assert_int_equal(keep[1], 9);
}

static void stress__ddmin_single_item_needs_no_probe(void **state)
{
	struct fake f = { { 0 }, 1, 0, 0 };
	size_t keep[1], nr = 0;

	assert_int_equal(stress_ddmin(keep, &nr, 1, fake_probe, &f), 0);
	assert_int_equal(nr, 1);
	assert_int_equal(keep[0], 0);
	assert_int_equal(f.calls, 0);
}

static void stress__ddmin_passes_errors_up_with_progress(void **state)
{
	struct fake f = { { 5 }, 1, 0, 3 };
	size_t keep[16], nr = 0, i;
	int has5 = 0;

	assert_int_equal(stress_ddmin(keep, &nr, 16, fake_probe, &f), ERR_TIMEOUT);
	/* what it had reduced to still fails */
	assert_true(nr >= 1 && nr <= 8);
	for (i = 0; i < nr; i++)
		has5 |= keep[i] == 5;
	assert_true(has5);
}

/* real pytest ------------------------------------------------------------ */

static void options(struct stress_options *o, const char *root, const struct strvec *targets)
{
	struct stress_options init = STRESS_OPTIONS_INIT;
	*o = init;
	o->root = root;
	o->pytest_cmd = PYTEST_CMD;
	o->targets = targets;
	o->jobs = 2;
	o->time_limit = 120;
}

static void stress__measured_rate_matches_known_rate(void **state)
{
	struct strvec targets = STRVEC_INIT, extra = STRVEC_INIT;
	struct stress_options o;
	struct stress_result r = STRESS_RESULT_INIT;
	double lo, hi;

	strvec_push(&targets, FLAKY_ID);
	strvec_push(&extra, STEADY_ID);
	options(&o, RATE_DIR, &targets);
	o.extra = &extra;
	o.iterations = 1000;
	o.random_order = 1;
	o.seed = 42;
	assert_int_equal(stress_run(&r, &o), 0);
	assert_int_equal(r.iterations, 1000);
	assert_int_equal(r.jobs, 2);
	assert_int_equal(r.seed, 42);
	assert_int_equal(r.executions, 2000);
	assert_false(r.stopped_by_time_limit);
	stress_wilson(&lo, &hi, r.failures, r.iterations, Z_1E5);
	assert_true(lo <= KNOWN_RATE && KNOWN_RATE <= hi);
	assert_true(r.ci_low <= r.rate && r.rate <= r.ci_high);
	assert_true(r.ci_low < r.ci_high);
	assert_true(r.executions_per_second > 0);
	/* the first failure, with its iteration's seed and order */
	assert_non_null(r.first.id);
	assert_string_equal(r.first.id, FLAKY_ID);
	assert_string_equal(r.first.error_type, "AssertionError");
	assert_true(r.failing_seed >= 42 && r.failing_seed < 42 + 1000);
	assert_int_equal(r.failing_order.nr, 2);
	assert_true(strvec_find(&r.failing_order, FLAKY_ID) >= 0);
	stress_result_release(&r);
	strvec_clear(&targets);
	strvec_clear(&extra);
}

static void stress__never_failing_test_has_a_tight_bound(void **state)
{
	struct strvec targets = STRVEC_INIT;
	struct stress_options o;
	struct stress_result r = STRESS_RESULT_INIT;

	strvec_push(&targets, STEADY_ID);
	options(&o, RATE_DIR, &targets);
	o.iterations = 200;
	assert_int_equal(stress_run(&r, &o), 0);
	assert_int_equal(r.iterations, 200);
	assert_int_equal(r.failures, 0);
	assert_true(r.rate == 0.0 && r.ci_low == 0.0);
	assert_true(r.ci_high < 0.02);
	assert_null(r.first.id);
	assert_int_equal(r.failing_order.nr, 0);
	stress_result_release(&r);
	strvec_clear(&targets);
}

static void stress__time_limit_stops_early(void **state)
{
	struct strvec targets = STRVEC_INIT;
	struct stress_options o;
	struct stress_result r = STRESS_RESULT_INIT;

	strvec_push(&targets, STEADY_ID);
	options(&o, RATE_DIR, &targets);
	o.iterations = 50 * 1000 * 1000;
	o.time_limit = 1.5;
	assert_int_equal(stress_run(&r, &o), 0);
	assert_true(r.iterations < o.iterations);
	assert_true(r.stopped_by_time_limit);
	/* the plugin stops at the deadline: no need of the kill backstop */
	assert_true(r.seconds < o.time_limit + STRESS_DEADLINE_GRACE);
	stress_result_release(&r);
	strvec_clear(&targets);
}

static void stress__missing_node_id_is_an_error(void **state)
{
	struct strvec targets = STRVEC_INIT;
	struct stress_options o;
	struct stress_result r = STRESS_RESULT_INIT;

	strvec_push(&targets, "test_rate.py::test_not_there");
	options(&o, RATE_DIR, &targets);
	o.iterations = 4;
	assert_int_equal(stress_run(&r, &o), ERR_USAGE);
	assert_non_null(strstr(error_last(), "not collected"));
	assert_non_null(strstr(error_last(), "'test_rate.py::test_not_there'"));
	assert_int_equal(r.iterations, 0);
	stress_result_release(&r);

	/* a file that is not there: pytest itself refuses */
	strvec_clear(&targets);
	strvec_push(&targets, "test_gone.py::test_x");
	assert_int_equal(stress_run(&r, &o), ERR_USAGE);
	assert_non_null(strstr(error_last(), "test_gone.py"));
	stress_result_release(&r);
	strvec_clear(&targets);
}

static void stress__crash_fails_the_iteration_and_resumes(void **state)
{
	struct strvec targets = STRVEC_INIT;
	struct stress_options o;
	struct stress_result r = STRESS_RESULT_INIT;

	/* each process dies in its third iteration: 3 + 3 + 3 + 1 */
	strvec_push(&targets, "test_crash.py::test_aborts_on_third_run");
	options(&o, CRASH_DIR, &targets);
	o.jobs = 1;
	o.iterations = 10;
	assert_int_equal(stress_run(&r, &o), 0);
	assert_int_equal(r.iterations, 10);
	assert_int_equal(r.failures, 3);
	assert_int_equal(r.restarts, 3);
	assert_non_null(r.first.id);
	assert_string_equal(r.first.error_type, "Crash");
	assert_non_null(strstr(r.first.message, "exited with 70"));
	stress_result_release(&r);
	strvec_clear(&targets);
}

static void *send_sigterm(void *arg)
{
	clock_sleep_ms(1000);
	kill(getpid(), SIGTERM);
	return arg;
}

static void stress__interrupt_stops_the_workers(void **state)
{
	struct strvec targets = STRVEC_INIT;
	struct stress_options o;
	struct stress_result r = STRESS_RESULT_INIT;
	pthread_t t;

	strvec_push(&targets, STEADY_ID);
	options(&o, RATE_DIR, &targets);
	o.iterations = 50 * 1000 * 1000;
	sig_install();
	assert_int_equal(pthread_create(&t, NULL, send_sigterm, NULL), 0);
	assert_int_equal(stress_run(&r, &o), ERR_INTERRUPTED);
	pthread_join(t, NULL);
	sig_reset();
	assert_true(r.seconds < 10);
	stress_result_release(&r);
	strvec_clear(&targets);
}

static void stress__finds_the_polluter_by_bisection(void **state)
{
	static const char *const others[] = {
		"test_other.py::test_o_square[1]", "test_writer.py::test_w_innocent_1",
		"test_other.py::test_o_square[2]", "test_reader.py::test_r_innocent",
		"test_writer.py::test_a", "test_other.py::test_o_join",
		"test_writer.py::test_w_innocent_2", "test_other.py::test_o_square[3]",
		NULL,
	};
	struct strvec cands = STRVEC_INIT;
	struct stress_options o;
	struct order_result r = ORDER_RESULT_INIT;

	strvec_pushv(&cands, others);
	options(&o, ORDER_DIR, NULL);
	o.iterations = 20;
	o.seed = 7;
	assert_int_equal(stress_find_polluter(&r, &o, "test_reader.py::test_b", &cands), 0);
	assert_true(r.order_dependent);
	assert_int_equal(r.alone_failures, 0);
	assert_true(r.alone_runs >= STRESS_ALONE_RUNS);
	assert_true(r.together_failures >= 1);
	assert_non_null(r.polluter);
	assert_string_equal(r.polluter, "test_writer.py::test_a");
	assert_int_equal(r.order.nr, 2);
	assert_string_equal(r.order.v[0], "test_writer.py::test_a");
	assert_string_equal(r.order.v[1], "test_reader.py::test_b");
	assert_true(r.probes > 0);
	/* the failure of that order, for the report and the fix */
	assert_non_null(r.failure.id);
	assert_string_equal(r.failure.id, "test_reader.py::test_b");
	assert_string_equal(r.failure.error_type, "AssertionError");
	assert_non_null(strstr(r.failure.message, "the cache was left set"));
	order_result_release(&r);
	strvec_clear(&cands);
}

static void stress__no_polluter_for_an_intrinsically_flaky_test(void **state)
{
	struct strvec cands = STRVEC_INIT;
	struct stress_options o;
	struct order_result r = ORDER_RESULT_INIT;

	strvec_push(&cands, STEADY_ID);
	options(&o, RATE_DIR, NULL);
	o.iterations = 10;
	assert_int_equal(stress_find_polluter(&r, &o, FLAKY_ID, &cands), 0);
	assert_false(r.order_dependent);
	assert_null(r.polluter);
	/* all STRESS_ALONE_RUNS alone runs pass one time in 0.7^-50 = 5e7 */
	assert_true(r.alone_failures > 0);
	assert_int_equal(r.order.nr, 0);
	order_result_release(&r);
	strvec_clear(&cands);
}

static void stress__no_order_dependence_among_innocent_tests(void **state)
{
	struct strvec cands = STRVEC_INIT;
	struct stress_options o;
	struct order_result r = ORDER_RESULT_INIT;

	strvec_push(&cands, "test_other.py::test_o_join");
	strvec_push(&cands, "test_writer.py::test_w_innocent_1");
	options(&o, ORDER_DIR, NULL);
	o.iterations = 4;
	assert_int_equal(stress_find_polluter(&r, &o, "test_reader.py::test_b", &cands), 0);
	assert_false(r.order_dependent);
	assert_null(r.polluter);
	assert_int_equal(r.alone_failures, 0);
	assert_true(r.together_runs >= 1);
	assert_int_equal(r.together_failures, 0);
	order_result_release(&r);
	strvec_clear(&cands);
}

/* the driver under stress runs ----------------------------------------------- */

struct record_log {
	struct strvec evs;     /* "ev" of each record, in the order read */
	int starts_of_steady;
};

static int log_record(void *payload, json_t *rec, const char *ev)
{
	struct record_log *l = payload;
	json_t *id = json_object_get(rec, "id");

	strvec_push(&l->evs, ev);
	if (!strcmp(ev, "start") && json_is_string(id) && !strcmp(json_string_value(id), STEADY_ID))
		l->starts_of_steady++;
	return 0;
}

static void driver__hands_each_record_to_the_callback(void **state)
{
	struct pytest_options po = PYTEST_OPTIONS_INIT;
	struct test_result res = TEST_RESULT_INIT;
	struct strvec paths = STRVEC_INIT;
	struct record_log l = { STRVEC_INIT, 0 };
	(void)state;

	strvec_push(&paths, STEADY_ID);
	po.root = RATE_DIR;
	po.command = PYTEST_CMD;
	po.paths = &paths;
	po.on_record = log_record;
	po.payload = &l;
	assert_int_equal(pytest_run(&res, &po), 0);
	assert_int_equal(l.starts_of_steady, 1);
	assert_true(l.evs.nr >= 4);
	assert_string_equal(l.evs.v[0], "session");
	assert_string_equal(l.evs.v[l.evs.nr - 1], "finish");
	/* and the records were still folded into the result */
	assert_int_equal(res.summary.total, 1);
	assert_int_equal(res.summary.passed, 1);
	test_result_release(&res);
	strvec_clear(&paths);
	strvec_clear(&l.evs);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stress__wilson_known_values),
		cmocka_unit_test(stress__split_spreads_iterations),
		cmocka_unit_test(stress__ddmin_finds_one_culprit),
		cmocka_unit_test(stress__ddmin_finds_a_pair),
		cmocka_unit_test(stress__ddmin_single_item_needs_no_probe),
		cmocka_unit_test(stress__ddmin_passes_errors_up_with_progress),
		cmocka_unit_test(stress__measured_rate_matches_known_rate),
		cmocka_unit_test(stress__never_failing_test_has_a_tight_bound),
		cmocka_unit_test(stress__time_limit_stops_early),
		cmocka_unit_test(stress__missing_node_id_is_an_error),
		cmocka_unit_test(stress__crash_fails_the_iteration_and_resumes),
		cmocka_unit_test(stress__interrupt_stops_the_workers),
		cmocka_unit_test(stress__finds_the_polluter_by_bisection),
		cmocka_unit_test(stress__no_polluter_for_an_intrinsically_flaky_test),
		cmocka_unit_test(stress__no_order_dependence_among_innocent_tests),
		cmocka_unit_test(driver__hands_each_record_to_the_callback),
	};
	/* the fixtures stay free of __pycache__ */
	setenv("PYTHONDONTWRITEBYTECODE", "1", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
