#ifndef REPRO_REPRO_H
#define REPRO_REPRO_H

#include "fix/fix.h"
#include "runner/result.h"
#include "util/buf.h"
#include "util/strvec.h"

/*
 * `pytest-fixer reproduce INFO.json` (SPEC C9, seed 002): from a failed CI
 * run to a verified fix and a draft pull request.
 *
 *   1. info.json (repro/info.h) names the failure: a GitHub Actions URL
 *      (logs fetched through the REST API), the log text, or an existing
 *      test;
 *   2. the failing tests are read from the log (runner/cilog.h) and found
 *      in the project;
 *   3. they are run in a private checkout of the base branch (main):
 *      deterministic ones alone, to confirm them and give the smallest
 *      command; intermittent ones in a stress run (repro/stress.h) that
 *      measures the failure rate, and, when they never fail alone, an order
 *      analysis that finds the polluting test;
 *   4. the fix loop (fix/fix.h) repairs them on one branch made from the
 *      base, verified with the reproduction: five passing runs for a
 *      deterministic failure, enough runs for an intermittent one that its
 *      old rate would have shown; a reproduction test the base does not
 *      have is used but never committed;
 *   5. with `pr`, the branch is pushed and a draft pull request opened;
 *   6. a Markdown report goes to outputs/YYYY-MM-DD_HH-MM-SS_<slug>.md
 *      (and the cleaned CI log beside it, .log).
 *
 * The user's work tree, index and HEAD are never touched (but for the new
 * files in outputs/).
 */

#define REPRO_DEFAULT_BASE "main"
#define REPRO_DEFAULT_REMOTE "origin"
#define REPRO_DEFAULT_ITERATIONS 100
#define REPRO_DEFAULT_TIME_LIMIT 300.0
#define REPRO_OUTPUTS_DIR "outputs"
/* passing runs a fix of a deterministic failure needs (seed 002: verify 5 times) */
#define REPRO_VERIFY_RUNS 5
/* a fix of an intermittent failure must pass this many runs at most */
#define REPRO_MAX_VERIFY_RUNS 200
/* ... chosen so the old rate would have failed one with this confidence */
#define REPRO_VERIFY_CONFIDENCE 0.95
/* failing tests confirmed one by one (more run only together) */
#define REPRO_MAX_ALONE 10
/* the longest slug of the description in file and branch names */
#define REPRO_SLUG_MAX 48

struct repro_options {
	const char *info_path;
	const char *base;            /* the branch to fix from; NULL: main, else master, else HEAD */
	const char *outputs_dir;     /* NULL: <project>/outputs */
	int iterations;              /* stress iterations (intermittent failures) */
	double time_limit;           /* seconds, for the stress run */
	int jobs;                    /* parallel pytest processes; 0: cores */
	unsigned long seed;          /* stress order seed; 0: from the clock */
	int no_fix;                  /* reproduce only */
	int pr;                      /* push the fix branch and open a draft pull request */
	const char *remote;          /* NULL: origin */
	const char *repo_slug;       /* "owner/name" for the pull request when info.json has no URL */
	int json;                    /* the outcome as JSON on stdout (the CLI prints it) */
	struct fix_options fix;      /* engine, provider, pytest command, timeouts ... */
	const struct fix_hooks *hooks;  /* the fix session's progress; NULL: none (never asks) */
};

/* What happened, for the CLI. Owned strings; repro_outcome_release() frees them. */
struct repro_outcome {
	const char *status;          /* "success", "partial" or "failed" (static) */
	char *report_path;           /* the Markdown report in outputs/ */
	char *log_path;              /* the cleaned CI log beside it, or NULL */
	char *session;               /* the fix session, or NULL */
	char *branch;                /* the fix branch, or NULL */
	char *pr_url;                /* the draft pull request, or NULL */
	size_t in_log, reproduced, fixed;
	int interrupted;
	/*
	 * one object per failing test: {"id", "ci_id", "found", "reproduced",
	 * "fix_status", "branch", "commit", "stress": {...}, "order": {...}}
	 * (a jansson reference, NULL before the failures were read)
	 */
	struct json_t *targets;
};

void repro_options_init(struct repro_options *o);
void repro_outcome_release(struct repro_outcome *o);

/*
 * Run a reproduction in the project (a git repository). Returns 0
 * when it ran to the end (whatever the status; the report is written),
 * ERR_USAGE for bad input (info.json, a log without a recognisable
 * failure, a URL that is not GitHub Actions, a missing branch: a report
 * with status "failed" is still written when the input got that far),
 * ERR_INTERRUPTED on Ctrl-C (the report says so), other codes when the
 * tests could not be run.
 */
struct project;
int repro_run(struct repro_outcome *out, struct project *p, const struct repro_options *o);

/* "Flaky login test on 3.12!" -> "flaky-login-test-on-3-12", at most REPRO_SLUG_MAX bytes */
void repro_slug(struct buf *out, const char *text);

/*
 * How many passing runs show a fix of a failure that failed at `rate`:
 * the smallest n with (1 - rate)^n <= 1 - confidence, between
 * REPRO_VERIFY_RUNS and REPRO_MAX_VERIFY_RUNS.
 */
int repro_verify_runs(double rate, double confidence);

#endif
