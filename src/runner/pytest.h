#ifndef RUNNER_PYTEST_H
#define RUNNER_PYTEST_H

#include "runner/result.h"
#include "util/strvec.h"

/*
 * Running pytest with our plugin and reading its records (SPEC C1).
 *
 * Finding pytest: the command named by the caller (--pytest, else
 * PYTEST_FIXER_PYTEST) is used as it is; otherwise the first of the
 * project's .venv/venv, $VIRTUAL_ENV, python3 on PATH, /usr/bin/python3
 * (each as "-m pytest") and pytest on PATH that can import pytest. The
 * choice is remembered in the caller's struct pytest_choice (one per
 * project), when it gives one.
 *
 * Each test is bounded by `test_timeout`: first by a SIGALRM in the plugin
 * (the test fails with a Timeout and the run goes on), and if that cannot
 * break the hang, by our watchdog, which kills the run, records the test as
 * a Timeout failure and resumes the run without the tests already done.
 */

#define PYTEST_DEFAULT_TEST_TIMEOUT 120.0   /* seconds per test */
#define PYTEST_WATCHDOG_GRACE 5.0           /* seconds past the timeout */
#define PYTEST_MAX_RESUMES 50               /* hung tests skipped in one run */
#define PYTEST_ENV_COMMAND "PYTEST_FIXER_PYTEST"
/* the error_type of a test whose call raised but that a hook reported passed (our plugin) */
#define PYTEST_HIDDEN_FAILURE "ReportedPassedButRaised"

struct pytest_options {
	const char *root;                 /* directory to run in; NULL: current */
	const char *venv_root;            /* where to look for .venv/venv; NULL: root */
	const char *command;              /* e.g. "/usr/bin/python3 -m pytest"; NULL: search */
	const struct strvec *paths;       /* test paths or node ids; may be NULL */
	const char *keyword;              /* -k; may be NULL */
	const struct strvec *extra_args;  /* passed to pytest as they are; may be NULL */
	double test_timeout;              /* seconds; 0: no per-test bound */
	int run_timeout_ms;               /* the whole run; 0: none */
	/*
	 * 1: every test runs, whatever -x or --maxfail say in the project's
	 * addopts or PYTEST_ADDOPTS (both honoured otherwise): the fix gates
	 */
	int every_test;
	struct pytest_choice *choice;     /* the project's remembered command; NULL: search each time */
};
#define PYTEST_OPTIONS_INIT { NULL, NULL, NULL, NULL, NULL, NULL, PYTEST_DEFAULT_TEST_TIMEOUT, 0, 0, NULL }

/*
 * Run the tests and fill `out` (TEST_RESULT_INIT; the caller releases it).
 * Returns 0 when the run was read, whatever the tests did;
 * ERR_NOTFOUND when no pytest can be found (the message says how to get one);
 * ERR_USAGE when pytest rejected its arguments (pytest's message);
 * ERR_INTERRUPTED on SIGINT/SIGTERM (the run was stopped);
 * another negative code when pytest crashed or its records cannot be read.
 */
int pytest_run(struct test_result *out, const struct pytest_options *opts);

/*
 * The pytest command pytest_run() would use, as words pushed onto `out`
 * (owned by the caller), for callers that build their own pytest argv:
 * the command in opts->choice, else the one named (opts->command,
 * then PYTEST_FIXER_PYTEST), else the first candidate of the search above
 * whose "--version" succeeds, which is then remembered in opts->choice.
 * ERR_NOTFOUND when none can import pytest, ERR_INTERRUPTED on
 * SIGINT/SIGTERM. Only root, venv_root, command and choice of `opts` are read.
 */
int pytest_resolve_command(struct strvec *out, const struct pytest_options *opts);

/* append "--- pytest said ---" and the tail of what the run printed (stderr, else stdout) */
struct proc_result;
void pytest_add_output_tail(struct buf *msg, const struct proc_result *pr);

/*
 * The pytest command one project settled on: the first run that finds a
 * working one records it, later runs given the same choice use it. Owned
 * by the project (project/project.h), shared by the threads of a session;
 * created empty, freed with pytest_choice_free() (NULL is a no-op).
 */
struct pytest_choice;
struct pytest_choice *pytest_choice_new(void);
void pytest_choice_free(struct pytest_choice *c);
/* the command chosen (borrowed, lives as long as `c`; NULL before a choice or without `c`) */
const char *pytest_choice_text(struct pytest_choice *c);

#endif
