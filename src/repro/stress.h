#ifndef REPRO_STRESS_H
#define REPRO_STRESS_H

#include "runner/pytest.h"
#include "runner/result.h"
#include "util/strvec.h"

#include <stddef.h>

/*
 * Reproducing intermittent failures (`pytest-fixer reproduce` with
 * "deterministic": false): a stress run measures how often some tests fail,
 * and an order analysis finds the test that makes another one fail.
 *
 * A stress run starts `jobs` pytest processes at once (util/proc, never a
 * shell), each running its share of the iterations in one session through
 * our plugin's test loop (--pytest-fixer-iterations, -seed, -deadline, see
 * pytest_fixer_plugin.py), each writing its own records file, which is read
 * live. An iteration fails when one of the targets fails in it.
 *
 * The order analysis runs each order in a fresh process, so no state left
 * by an earlier iteration can confound it.
 *
 * Results own everything they hold: stress_result_release() and
 * order_result_release() free it. Options are borrowed.
 */

#define STRESS_DEFAULT_ITERATIONS 100
#define STRESS_DEFAULT_TIME_LIMIT 300.0   /* seconds for the whole run */
#define STRESS_Z95 1.959963984540054      /* two-sided 95% normal quantile */
#define STRESS_Z999 3.290526731491926     /* two-sided 99.9% */
/* worker processes at most, whatever `jobs` says */
#define STRESS_MAX_JOBS 64
/* a worker still running this long past the deadline is killed */
#define STRESS_DEADLINE_GRACE 10.0
/* a worker that crashed is started again for its remaining iterations this often */
#define STRESS_MAX_RESTARTS 5
/* order analysis: runs of the target alone (iterations spread over `jobs` processes) */
#define STRESS_ALONE_RUNS 50
/* order analysis: fresh runs of one probe before it counts as passing */
#define STRESS_PROBE_RUNS 2

struct stress_options {
	const char *root;                /* project directory to run in; NULL: current */
	const char *venv_root;           /* where to look for .venv/venv; NULL: root */
	const char *pytest_cmd;          /* NULL: the search of pytest_run() */
	const struct strvec *targets;    /* node ids whose failures are counted; at least one */
	const struct strvec *extra;      /* other node ids run with them, may be NULL */
	int iterations;                  /* requested */
	double time_limit;               /* seconds for the whole run; 0: none */
	int jobs;                        /* worker processes at once; 0: the number of cores */
	int random_order;                /* shuffle each iteration (seed + global iteration index) */
	unsigned long seed;              /* base seed; 0: from the clock (reported) */
	double test_timeout;             /* seconds per test; 0: none */
	struct pytest_choice *pytest_choice;  /* the project's remembered command; NULL: search */
};
#define STRESS_OPTIONS_INIT { NULL, NULL, NULL, NULL, NULL, STRESS_DEFAULT_ITERATIONS, \
			      STRESS_DEFAULT_TIME_LIMIT, 0, 0, 0, PYTEST_DEFAULT_TEST_TIMEOUT, NULL }

struct stress_result {
	int iterations;                  /* completed */
	int failures;                    /* iterations in which some target failed */
	double rate, ci_low, ci_high;    /* failures / iterations, Wilson score interval (95%) */
	double seconds;                  /* wall time of the run */
	long executions;                 /* tests run (every test of every iteration) */
	double executions_per_second;
	unsigned long seed;              /* the base seed used */
	int jobs;                        /* worker processes used */
	int restarts;                    /* workers started again after a crash */
	/* the first failure seen, in a fresh struct (id NULL when none) */
	struct failure first;
	unsigned long failing_seed;      /* the seed of its iteration (0 when not shuffled) */
	struct strvec failing_order;     /* the node ids of that iteration, in the order run */
	int stopped_by_time_limit;
};
#define STRESS_RESULT_INIT { 0, 0, 0.0, 0.0, 0.0, 0.0, 0, 0.0, 0, 0, 0, { 0 }, 0, STRVEC_INIT, 0 }

/*
 * Run the stress test. Returns 0 when it ran (whatever the tests did, even
 * when the time limit cut it short: see `iterations` and
 * `stopped_by_time_limit`); ERR_USAGE when a node id was not collected
 * (the message names it) or pytest rejected its arguments; ERR_NOTFOUND
 * when there is no pytest; ERR_INTERRUPTED on SIGINT/SIGTERM (children
 * killed; `out` holds what was done). `out` must be STRESS_RESULT_INIT.
 */
int stress_run(struct stress_result *out, const struct stress_options *o);
void stress_result_release(struct stress_result *r);

/* Wilson score interval of k successes in n trials (n 0: [0, 1]); z: STRESS_Z95... */
void stress_wilson(double *lo, double *hi, int k, int n, double z);

/*
 * Split `iterations` over at most `jobs` workers, as evenly as possible, the
 * larger shares first. Fills counts[0..jobs-1] (zeros past the workers
 * used) and returns the number of workers used (0 for no iterations).
 */
int stress_split(int *counts, int iterations, int jobs);

/*
 * Order dependence: the target passes alone but fails after some of the
 * candidates. The target runs alone STRESS_ALONE_RUNS times (iterations in
 * `jobs` processes: a test that fails alone is not order-dependent), then with the candidates in random orders (seed + round; round 0 is the
 * candidates as given, then the target), one fresh process per order, up to
 * o->iterations orders or o->time_limit. The tests that ran before the
 * target in the first failing order are reduced by delta debugging (one
 * fresh process per probe, a passing probe run STRESS_PROBE_RUNS times) to
 * a minimal failing prefix; one test is the polluter, confirmed by
 * [polluter, target] failing.
 *
 * `order_dependent` is 1 when the target failed together and never alone.
 * `polluter` is NULL when no single test explains it; `order` is then the
 * smallest failing order found (it ends with the target; empty when no
 * order failed). `seed` is the seed of the failing order (0 when it was
 * round 0). A round whose failing target ran first counts as a run alone.
 * o->targets and o->extra are not read; o->random_order is implied.
 */
struct order_result {
	int order_dependent;
	char *polluter;
	struct strvec order;
	unsigned long seed;
	int alone_runs, alone_failures;
	int together_runs, together_failures;
	int probes;                      /* fresh processes spent bisecting and confirming */
	int stopped_by_time_limit;
	/* the target's failure in the last failing run: that of `order` (id NULL: none) */
	struct failure failure;
};
#define ORDER_RESULT_INIT { 0, NULL, STRVEC_INIT, 0, 0, 0, 0, 0, 0, 0, { 0 } }

int stress_find_polluter(struct order_result *out, const struct stress_options *o,
			 const char *target, const struct strvec *candidates);
void order_result_release(struct order_result *r);

/*
 * The reduction step on its own (delta debugging, ddmin): `probe` says
 * whether a subset of the items 0..n-1 (indices ascending, so the order is
 * kept) still fails: 1 fails, 0 passes, negative: an error, passed up.
 * `n` must be >= 1 and the whole set is taken to fail. On return
 * keep[0..*nr_keep-1] is a 1-minimal failing subset (no single item can be
 * removed); `keep` has room for n indices.
 */
typedef int (*stress_probe_fn)(const size_t *idx, size_t nr, void *payload);
int stress_ddmin(size_t *keep, size_t *nr_keep, size_t n, stress_probe_fn probe, void *payload);

#endif
