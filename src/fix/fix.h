#ifndef FIX_FIX_H
#define FIX_FIX_H

#include "engine/engine.h"
#include "llm/llm.h"
#include "store/store.h"
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
 * The candidates come from the engines of engine/engine.h's registry. The
 * loop tells its caller what it does, and asks it about each verified fix,
 * through struct fix_hooks: nothing here writes to the terminal or reads
 * stdin (log lines aside).
 */

#define FIX_DEFAULT_MAX_RETRIES 3
#define FIX_DEFAULT_VERIFY_RUNS 2
#define FIX_DEFAULT_MAX_CANDIDATES 60
#define FIX_DEFAULT_TIME_BUDGET 120.0
#define FIX_BRANCH_PREFIX "fix-"
/* the largest value either takes */
#define FIX_MAX_REQUEST_SECONDS 86400.0

/* What `reproduce` (C9) sets; `fix` leaves it zeroed. */
struct fix_targets {
	const char *base;            /* the branch fixes are made from; NULL: HEAD */
	const struct failure *targets;  /* fix exactly these (a reproduction's records), not the
					 * baseline's failures; those failing at baseline too take
					 * the baseline's record */
	size_t nr_targets;
	const struct strvec *run_before;  /* node ids run just before each target in the target
					   * gate: an order-dependent failure's polluter */
	const struct strvec *carry_files; /* files copied from the user's work tree into every work
					   * directory (a reproduction test), never committed */
	int project_locked;          /* the caller holds the project lock */
};

/* The loop's options, with the model's and a reproduction's apart. */
struct fix_options {
	const char *test_path;       /* only failures in this file/dir (pytest path) */
	const char *test_function;   /* only this test function */
	const struct strvec *pytest_args;  /* the user's pytest arguments (after `--`); may be NULL */
	double time_budget;          /* seconds per failure group; 0: FIX_DEFAULT_TIME_BUDGET for
				      * the built-in engine, none for the others */
	const char *engine;          /* "auto" or a registry name (engine/engine.h) */
	const char *pytest_cmd;      /* NULL: search */
	const char *branch;          /* all fixes on this one branch; NULL: one per failure */
	int max_retries;             /* asks per failure of an engine that asks a model */
	double initial_temp, temp_increment;
	int jobs;                    /* candidates validated at once; 0: number of cores */
	int verify_runs;             /* extra passing runs of the target */
	size_t max_candidates;
	double test_timeout;
	int allow_test_edits;
	int allow_config_edits;      /* let changes alter pytest's configuration, hooks, plugins */
	int dry_run;                 /* validate, but no branches or commits */
	int apply;                   /* apply the verified changes to the working tree at the end */
	int wait;                    /* wait for another fix in the project instead of refusing */
	/*
	 * Fixes checked beyond the tests (fix/behaviour.h): 1 forces the check
	 * (--check-behaviour), no_check_behaviour 1 turns it off; neither: off
	 * (FIX_BEHAVIOUR_BY_DEFAULT)
	 */
	int check_behaviour, no_check_behaviour;
	const char *user_prompt;     /* the user's description, for the LLM or the agent */
	const char *agent_cmd;       /* --engine command: the agent's command line */
	double agent_timeout;        /* seconds per run of the agent */
	struct llm_options llm;
	struct fix_targets repro;
};

#define FIX_OPTIONS_INIT { .engine = "auto", .max_retries = FIX_DEFAULT_MAX_RETRIES, \
			   .initial_temp = 0.4, .temp_increment = 0.1, \
			   .verify_runs = FIX_DEFAULT_VERIFY_RUNS, \
			   .max_candidates = FIX_DEFAULT_MAX_CANDIDATES, .test_timeout = 120.0, \
			   .agent_timeout = ENGINE_DEFAULT_AGENT_TIMEOUT, \
			   .llm = LLM_OPTIONS_INIT }

struct failure;

/*
 * The agent's options agree with the engine: --engine command needs
 * --agent-cmd, and --agent-cmd needs --engine command; --agent-timeout is
 * between 1 and FIX_MAX_REQUEST_SECONDS. ERR_USAGE with a message saying
 * which. fix_run() and fix_resume() check too.
 */
int fix_options_check_agent(const struct fix_options *o);

/* ---- what the loop tells its caller (a terminal, a service) ----------------------- */

enum fix_event_kind {
	FIX_EVENT_FAILURE,    /* an engine that proposes at once begins on a failure */
	FIX_EVENT_CANDIDATE,  /* candidate `candidate` of `nr_candidates` (a model: ask n of max) */
	FIX_EVENT_DONE,       /* the loop is over */
};

struct fix_event {
	enum fix_event_kind kind;
	size_t position, count;       /* the failure's place among those tried (0-based), of */
	const char *id;               /* the failure's node id; NULL for FIX_EVENT_DONE */
	size_t candidate, nr_candidates;
	double elapsed;               /* seconds since the session began */
};

/* a verified fix, before it is committed */
struct fix_review {
	const char *id;               /* the failure */
	const char *template_name;    /* the change's template or engine; may be NULL */
	const char *diff;             /* may be NULL (no git) */
};

enum fix_answer {
	FIX_ANSWER_APPLY,             /* commit it (or write it back) */
	FIX_ANSWER_SKIP,              /* leave it: the failure is not fixed */
	FIX_ANSWER_QUIT,              /* stop the session (resumable) */
};

/*
 * Called from the thread that runs the session. A NULL hooks pointer, or a
 * NULL member: no events, every verified fix applied.
 */
struct fix_hooks {
	void (*on_event)(const struct fix_event *ev, void *payload);
	enum fix_answer (*confirm)(const struct fix_review *review, void *payload);
	void *payload;
};

/* ---- the session's result ---------------------------------------------------------- */

/* an attempt on a failure */
struct fix_attempt_result {
	int number;                   /* 0: none */
	char *engine;                 /* "builtin", the provider's name, ... */
	char *template_name;          /* may be NULL */
	char *diff;                   /* may be NULL */
	char *behaviour;              /* fix/behaviour.h's verdict as JSON text, or NULL: not checked */
};

struct fix_failure_result {
	char *id;                     /* the test's node id */
	enum failure_status status;   /* FAILURE_PENDING: not reached (an interrupted session) */
	char *branch, *commit;        /* the fix's, or NULL */
	size_t nr_attempts;
	struct fix_attempt_result win;  /* the last attempt that passed (number 0: none) */
	char *reason;                 /* the last failed attempt's reason, or NULL */
};

/*
 * The session's outcome. `failures` are the session's failures in the
 * store's order, but those skipped by --test-path / --test-function; an id
 * may come twice (a failed body and its teardown error). Owned:
 * fix_result_release() frees it.
 */
struct fix_result {
	char session[40];
	size_t total, fixed, unfixed;
	int interrupted;
	/* --apply could not put the fixes in the working tree (they stay on their branches) */
	char apply_error[512];
	struct fix_failure_result *failures;
	size_t nr_failures;
	long prompt_tokens, completion_tokens;  /* what the session's models counted */
};
void fix_result_release(struct fix_result *r);

struct project;
/* Start a session in the project; `hooks` may be NULL. */
int fix_run(struct fix_result *out, struct project *p, const struct fix_options *opts,
	    const struct fix_hooks *hooks);
/* Continue a PAUSED (or crashed) session of the project. */
int fix_resume(struct fix_result *out, struct project *p, const char *id,
	       const struct fix_options *opts, const struct fix_hooks *hooks);

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
