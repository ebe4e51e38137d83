#ifndef FIX_FIX_H
#define FIX_FIX_H

#include "util/buf.h"
#include "util/strvec.h"

#include <stddef.h>

/*
 * The fix loop (SPEC C2-C8): baseline, then for each failure: localise,
 * propose candidates, validate them in private work directories (several at
 * once), keep the smallest change that passes every gate, and commit it on
 * a fix branch made from the commit the session started on. The user's
 * working tree, index, HEAD and branches are not touched, unless --apply
 * asks for the verified changes to be applied at the end.
 *
 * Sessions live in the project's store (project/project.h) with their
 * failures, attempts and state; reports in .pytest-fixer/reports/<id>.md.
 */

#define FIX_DEFAULT_MAX_RETRIES 3
#define FIX_DEFAULT_VERIFY_RUNS 2
#define FIX_DEFAULT_MAX_CANDIDATES 60
#define FIX_BRANCH_PREFIX "fix-"
#define FIX_DEFAULT_OPENAI_MODEL "gpt-4o-mini"
#define FIX_DEFAULT_ANTHROPIC_MODEL "claude-3-5-sonnet-latest"
/* each request to an LLM or GitHub, in seconds (--request-timeout) */
#define FIX_DEFAULT_REQUEST_TIMEOUT 300.0
/* the longest Retry-After waited for, in seconds (--max-retry-wait) */
#define FIX_DEFAULT_MAX_RETRY_WAIT 120.0
/* the largest value either takes */
#define FIX_MAX_REQUEST_SECONDS 86400.0

struct fix_options {
	const char *test_path;       /* only failures in this file/dir (pytest path) */
	const char *test_function;   /* only this test function */
	const char *engine;          /* "builtin" ("auto", "llm" later) */
	const char *pytest_cmd;      /* NULL: search */
	const char *branch;          /* all fixes on this one branch; NULL: one per failure */
	int max_retries;
	double initial_temp, temp_increment;
	int jobs;                    /* candidates validated at once; 0: number of cores */
	int verify_runs;             /* extra passing runs of the target */
	size_t max_candidates;
	double test_timeout;
	int allow_test_edits;
	int dry_run;                 /* validate, but no branches or commits */
	int apply;                   /* apply the verified changes to the working tree at the end */
	int non_interactive;
	int json;
	int progress;                /* progress lines on stderr (a TTY) */
	/* LLM (engine llm, or auto with a provider): never stored with the session */
	const char *provider;        /* openai | anthropic | replay */
	const char *model;
	const char *base_url;
	const char *api_key;
	const char *cassette;        /* replay */
	const char *record;          /* save every exchange to this file */
	const char *fallback_provider;
	const char *fallback_model;
	const char *fallback_base_url;
	long max_tokens;             /* the session's token budget; 0: none */
	int stream;                  /* ask for streamed replies */
	double price_in, price_out;  /* per million tokens, for the cost estimate; 0: unknown */
	/* set by `reproduce` (C9); fix leaves them NULL */
	const char *base;            /* the branch fixes are made from; NULL: HEAD */
	const struct failure *targets;  /* fix exactly these (a reproduction's records), not the
					 * baseline's failures; those failing at baseline too take
					 * the baseline's record */
	size_t nr_targets;
	const struct strvec *run_before;  /* node ids run just before each target in the target
					   * gate: an order-dependent failure's polluter */
	const struct strvec *carry_files; /* files copied from the user's work tree into every work
					   * directory (a reproduction test), never committed */
	const char *user_prompt;     /* the user's description, for the LLM */
	int wait;                    /* wait for another fix in the project instead of refusing */
	int project_locked;          /* the caller holds the project lock (reproduce) */
	int allow_config_edits;      /* let changes alter pytest's configuration, hooks, plugins */
	double request_timeout;      /* seconds per LLM or GitHub request */
	double max_retry_wait;       /* seconds: a longer Retry-After gives up at once */
};

#define FIX_OPTIONS_INIT { NULL, NULL, "auto", NULL, NULL, FIX_DEFAULT_MAX_RETRIES, 0.4, 0.1, \
			   0, FIX_DEFAULT_VERIFY_RUNS, FIX_DEFAULT_MAX_CANDIDATES, 120.0, 0, 0, 0, 0, 0, 0, \
			   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, 0, \
			   NULL, NULL, 0, NULL, NULL, NULL, 0, 0, 0, \
			   FIX_DEFAULT_REQUEST_TIMEOUT, FIX_DEFAULT_MAX_RETRY_WAIT }

/* The session's outcome, for the exit code. */
struct failure;

struct fix_outcome {
	char session[40];
	size_t total, fixed, unfixed;
	int interrupted;
	/* --apply could not put the fixes in the working tree (they stay on their branches) */
	char apply_error[512];
};

struct project;
/* Start a session in the project. */
int fix_run(struct fix_outcome *out, struct project *p, const struct fix_options *opts);
/* Continue a PAUSED (or crashed) session of the project. */
int fix_resume(struct fix_outcome *out, struct project *p, const char *id,
	       const struct fix_options *opts);

/*
 * The project lock: one fix, resume or reproduce at a time in a project
 * (an flock on PROJECT_LOCK, .pytest-fixer/fix.lock, with the holder's pid in it).
 * Taken before a session is written; `out` is the descriptor holding it,
 * closed by the caller to let it go. Held by another process: ERR_CONFLICT
 * "another fix is running in this project (pid N)", or with `wait`, polled
 * every FIX_LOCK_POLL_MS until it is free (ERR_INTERRUPTED on a signal).
 */
#define FIX_LOCK_POLL_MS 100
int fix_project_lock(int *out, const char *root, int wait);
/*
 * Finish what an `--apply` killed between its renames left (its journal,
 * PROJECT_APPLY_JOURNAL: see fs_batch_recover), with the project lock
 * held; what was restored goes into `report`.
 */
int fix_apply_recover(struct strvec *report, const char *root);
/* the same, saying on stderr what was restored */
int fix_apply_recover_logged(const char *root);

/*
 * Remove what sessions left behind: work directories, stale locks; sessions
 * a crash left RUNNING become PAUSED (resumable). With `branches`, the fix
 * branches sessions created are deleted too. A summary line per action goes
 * into `report`.
 */
int fix_cleanup(struct strvec *report, struct project *p, int branches);

#endif
