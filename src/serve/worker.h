#ifndef SERVE_WORKER_H
#define SERVE_WORKER_H

#include "fix/fix.h"
#include "runner/result.h"
#include "serve/config.h"
#include "util/strvec.h"
#include "vcs/vcs.h"

#include <stddef.h>

/*
 * The service's fix worker: from a pull request's failing tests to a fix
 * pushed back. worker_fix() clones the repository at the PR's head into a
 * private directory (removed afterwards), refuses to work on a commit of
 * its own (the WORKER_TRAILER line every fix commit carries: no bot
 * loops), reproduces the failing tests, runs the fix loop (fix/fix.h) on
 * them (a flaky one's fix verified by as many passing runs as its failure
 * rate calls for, repro_verify_runs()), puts a verified fix through the repository's lint commands, and
 * pushes it: as one commit on the PR's branch (made on head_sha, pushed
 * only while the branch is still there: never by force, never over a newer
 * commit), or as branch WORKER_BRANCH_PREFIX<sha8> with a draft pull
 * request into the PR's branch. A failed attempt (no verified fix, a lint
 * that fails) is tried again with its reason as the next one's feedback,
 * up to max_attempts. A run of the same job that pushed and was killed
 * before it could say so is recognised (its commit, on head_sha with this
 * job's trailer, is on the branch): that fix stands, nothing is pushed
 * twice, and in pull-request mode its pull request is opened if missing.
 *
 * The token goes to git only through vcs/remote.h's credentials callback:
 * it is registered as a secret (util/secret.h), so no lint command sees
 * it, no message or commit holds it, and no file of the clone.
 *
 * Ownership: the request is borrowed for the call; the result's strings
 * are its own (worker_result_release(), also after an error).
 */

/* the trailer line of every fix commit: "Pytest-Fixer-Job: <job id>" */
#define WORKER_TRAILER "Pytest-Fixer-Job"
/* the branch of pull-request mode: this prefix and the first 8 digits of the head */
#define WORKER_BRANCH_PREFIX "pytest-fixer/fix-"
/* the local branch each attempt's fixes go on in the clone: this prefix and the attempt */
#define WORKER_ATTEMPT_BRANCH "pytest-fixer-attempt-"
/* the private directories: WORKER_DIR_PREFIX<job>-<pid>.XXXXXX in work_parent */
#define WORKER_DIR_PREFIX "job-"
/* how many times the failing tests are run to tell deterministic from flaky */
#define WORKER_REPRO_RUNS 3
/* a lint command's whole run, and the output kept of it */
#define WORKER_LINT_TIMEOUT_MS (10 * 60 * 1000)
#define WORKER_LINT_OUTPUT_MAX (64u * 1024)
/* the longest reason kept (cut to its end) */
#define WORKER_REASON_MAX 4000
/* the end of a failing lint's output that its reason quotes */
#define WORKER_LINT_REASON_TAIL 3000

enum worker_status {
	WORKER_FIXED,           /* pushed: a commit, or a branch and a draft pull request */
	WORKER_UNFIXED,         /* no fix passed every gate in max_attempts attempts */
	WORKER_OWN_COMMIT,      /* the head is a fix of ours: not fixed again (no bot loops) */
	WORKER_NOT_REPRODUCED,  /* none of the failing tests fails here */
	WORKER_CONFLICT,        /* the branch moved on (or the fix branch exists): nothing pushed */
	WORKER_ERROR,           /* a step could not be done (clone, pytest, push, GitHub) */
	WORKER_LEASE_LOST,      /* before_push said no: the job is not ours any more, nothing pushed */
};
/* "fixed", "unfixed", "own_commit", "not_reproduced", "conflict", "error", "lease_lost" */
const char *worker_status_name(enum worker_status status);

struct github;

struct worker_request {
	const char *clone_url;        /* the payload's clone_url, or a path (tests) */
	const char *token;            /* for clone and push over http(s); may be NULL */
	const char *repository;       /* "owner/name", for the pull request */
	const char *head_sha;         /* the pull request's head: 40 hex digits */
	const char *head_branch;      /* the pull request's branch */
	long long pull_request;       /* its number; 0: none */
	const struct strvec *tests;   /* the failing test ids; NULL or empty: every failure */
	enum serve_push push;
	const struct strvec *lint;    /* extra gates, command lines (no shell); may be NULL */
	int max_attempts;             /* 1..SERVE_MAX_MAX_ATTEMPTS */
	struct fix_options fix;       /* engine, pytest command, timeouts ... (targets and
				       * branch are the worker's) */
	struct github *github;        /* opens the draft pull request; NULL in commit mode */
	const char *work_parent;      /* private directories are made here; NULL: $TMPDIR */
	const char *feedback;         /* the previous attempt's reason; may be NULL */
	long long job_id;             /* in the trailer */
	/*
	 * Asked just before each push and before a draft pull request is
	 * opened (the job's lease renewed, under its fence): non-zero means
	 * the job is someone else's now, and nothing more is pushed or opened
	 * (status WORKER_LEASE_LOST). NULL: always push.
	 */
	int (*before_push)(void *payload);
	void *payload;
};

/* how the failing tests behaved in WORKER_REPRO_RUNS runs */
struct worker_repro {
	size_t deterministic;         /* failed every run */
	size_t flaky;                 /* failed some runs */
	size_t not_reproduced;        /* named, and never failed (or not in the repository) */
	double flaky_rate;            /* the lowest failure rate of a flaky one; 0: none */
	struct test_result failures;  /* those that failed, as they first did */
	int own_commit;               /* head_sha is a fix of ours (WORKER_TRAILER): nothing was run */
};
#define WORKER_REPRO_INIT { 0, 0, 0, 0.0, TEST_RESULT_INIT, 0 }
void worker_repro_release(struct worker_repro *r);

struct worker_result {
	enum worker_status status;
	char commit[VCS_OID_HEXSZ + 1]; /* the fix commit, "" when none was made */
	char *branch;                 /* where it was pushed, or NULL */
	char *pull_url;               /* the draft pull request, or NULL */
	char *reason;                 /* why not fixed (or what went wrong); NULL when fixed */
	char *summary;                /* what was fixed, "- ID (change)" a line; NULL: nothing */
	int attempts;                 /* fix attempts made */
	long prompt_tokens, completion_tokens;  /* what the fix loop's models counted */
	struct worker_repro repro;
};
#define WORKER_RESULT_INIT { WORKER_ERROR, "", NULL, NULL, NULL, NULL, 0, 0, 0, WORKER_REPRO_INIT }
/* free what it holds; it is WORKER_RESULT_INIT again */
void worker_result_release(struct worker_result *r);

/*
 * Clone at head_sha and run the failing tests WORKER_REPRO_RUNS times (all
 * of them when req->tests is empty), for the analyzer, before any fix;
 * when head_sha is a fix of ours, run nothing and set own_commit (no bot
 * loops: the caller leaves the job alone).
 * Only clone_url, token, head_sha, tests, fix (pytest command, timeout) and
 * work_parent are read. Errors: ERR_USAGE for a bad request, the clone's
 * or pytest's.
 */
int worker_reproduce(struct worker_repro *out, const struct worker_request *req);

/*
 * The whole job, as above. Returns 0 when it came to an outcome (`status`
 * says which: fixed, unfixed, own_commit, not_reproduced, conflict,
 * lease_lost), or a
 * negative code with status WORKER_ERROR and the message in `reason` too
 * (worth retrying later): ERR_USAGE for a bad request, ERR_INTERRUPTED on
 * SIGINT/SIGTERM, the clone's, pytest's, the push's or GitHub's errors.
 * `out` must be WORKER_RESULT_INIT.
 */
int worker_fix(struct worker_result *out, const struct worker_request *req);

/*
 * Remove the private directories in `parent` of jobs whose process is gone
 * (killed with SIGKILL, say, before it could remove them); their paths are
 * appended to `removed`. Those of a live process are never touched.
 */
int worker_sweep(struct strvec *removed, const char *parent);

#endif
