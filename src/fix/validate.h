#ifndef FIX_VALIDATE_H
#define FIX_VALIDATE_H

#include "edit/change.h"
#include "runner/coverage.h"
#include "runner/result.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/strvec.h"

/*
 * The verification gates (SPEC C4), run on one candidate change in one
 * private work directory. The directory is left exactly as it was found,
 * whatever happened: every file the change touched is restored.
 *
 * Gates, in order; the first that fails is named in `gate`:
 *   apply       the edits apply (all or none), and hold no secret of ours
 *               ("the change contains a secret": util/secret.h)
 *   syntax      every edited Python file still parses
 *   weakening   pytest's configuration, hooks and plugins untouched (unless
 *               allow_config_edits: guard_config_change()); test files
 *               untouched (unless allowed), and never weakened
 *   target      the failing test now passes (a failure group: every test of
 *               it, run together)
 *   flaky       ... and passes again, `verify_runs` more times
 *   regression  no test that passed at baseline fails now: with a coverage
 *               map, first the tests that executed a changed line (the
 *               full suite is then validate_full()'s, run on the winner
 *               only); without one, the full suite
 *
 * A test that passed at baseline and fails in the full run is judged again
 * before it rejects the candidate, in up to VALIDATE_FLAKY_ROUNDS rounds of
 * two runs of just those tests: one on the candidate (a test that passes is
 * flaky: "passed on a rerun"), then one without the change (a test that
 * fails there too is flaky: "fails without the change too"). Flaky tests do
 * not reject the candidate; they are listed in `flaky`. Two rounds: a
 * correct fix is lost only if a flaky test fails three times running with
 * it and passes twice without it (for a test failing 3 runs in 10, 0.3^3 x
 * 0.7^2 = 1.3% instead of 30%), and a real regression costs four small runs.
 * More than VALIDATE_FLAKY_MAX_TESTS regressions, or a failure a hook
 * reported as passed (PYTEST_HIDDEN_FAILURE), are never excused.
 */

struct pytest_worker;

#define VALIDATE_FLAKY_ROUNDS 2
#define VALIDATE_FLAKY_MAX_TESTS 20

struct gate_options {
	const char *pytest_cmd;          /* resolved pytest command */
	const char *venv_root;           /* the user's project, for its .venv */
	double test_timeout;
	int verify_runs;
	int allow_test_edits;
	int allow_config_edits;
	int skip_regression;             /* only for tests of this module */
	const struct strvec *suite_paths;  /* what "the full suite" is: pytest paths, may be empty */
	const struct strvec *baseline_failures;  /* node ids failing at baseline */
	const struct strvec *run_before;   /* node ids run before the target, in order (the target
					    * fails only after them); may be NULL */
	const struct strvec *targets;      /* every node id the target gate needs passing (a
					    * failure group); NULL: just the target's */
	const struct strvec *extra_args;   /* the user's pytest arguments; may be NULL */
	struct pytest_worker *worker;      /* runs go through this warm worker (runner/worker.h)
					    * when it can; may be NULL */
	const struct coverage_map *coverage;  /* may be NULL: see the regression gate */
	/* optional: the change as a diff, made while it is applied in workdir */
	int (*diff)(struct buf *out, const char *workdir, const struct strvec *touched, void *payload);
	void *diff_payload;
};

struct validation {
	int passed;
	enum attempt_gate gate;  /* the gate that failed; ATTEMPT_GATE_NONE when passed */
	struct buf reason;       /* why the gate failed */
	struct strvec touched;   /* relative paths the change wrote */
	struct strvec fixed_too; /* baseline failures that pass with the change (full-suite run) */
	struct strvec flaky;     /* node ids that failed once and were judged flaky ... */
	struct strvec flaky_why; /* ... and why, at the same index ("passed on a rerun") */
	struct buf diff;         /* the change as a unified diff, when gate_options.diff is set */
	struct strvec target_failed;  /* target ids that failed the target gate's first run */
	int needs_full;          /* passed, but the full suite is still validate_full()'s to run */
	size_t ran_target, ran_covering, ran_full;  /* tests each gate ran (every run counted) */
	double seconds;
};

void validation_init(struct validation *v);
void validation_release(struct validation *v);

/*
 * Run the gates. Returns 0 when the gates could be run (whether the
 * candidate passed is in `out`), ERR_INTERRUPTED on Ctrl-C, and another
 * negative code when the work directory could not be restored.
 */
int validate_candidate(struct validation *out, const struct change *c, const char *workdir,
		       const struct failure *target, const struct gate_options *g);

/*
 * Screening (issue 16): the first gates of `n` candidates at once, their
 * target runs in one child of the warm worker (pytest_worker_screen()), no
 * fork per candidate. A candidate is decided (decided[i] 1, vals[i] final)
 * when the apply, syntax or weakening gate rejects it, or its target fails
 * in its run. The others (their target passed; a change the worker cannot
 * patch in or ran out of time on; no worker) are left to
 * validate_candidate(), their vals[i] as validation_init() leaves them: a
 * candidate is only accepted by runs of its own. The runs share a process,
 * so test runs decide nothing unless the two runs of the unchanged files,
 * before and after the candidates', fail alike (the same tests, error types
 * and messages). Candidates' texts go to `workdir`.screen/. Returns 0, or
 * ERR_INTERRUPTED, or another error when the directory could not be restored.
 */
int validate_screen(struct validation *const *vals, int *decided,
		    const struct change *const *changes, size_t n, const char *workdir,
		    const struct failure *target, const struct gate_options *g);
/*
 * The full suite on a candidate that passed with needs_full set: the change
 * applied, the regression gate on the whole suite (fixed_too filled), the
 * directory restored. Returns as validate_candidate().
 */
int validate_full(struct validation *out, const struct change *c, const char *workdir,
		  const struct gate_options *g);

/*
 * What the files a change names hold now, to put them back later (a file
 * that does not exist yet is removed on restore).
 */
struct snapshot;
int snapshot_take(struct snapshot **out, const struct change *c, const char *dir);
int snapshot_restore(struct snapshot *snap);
void snapshot_free(struct snapshot *snap);

/* the node id to run for a failure: its id (a module path for collection errors) */
const char *validate_target_id(const struct failure *f);

#endif
