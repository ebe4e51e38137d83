#ifndef RUNNER_PYTEST_H
#define RUNNER_PYTEST_H

#include "runner/records.h"
#include "runner/result.h"
#include "util/buf.h"
#include "util/strvec.h"

#include <stddef.h>

struct pytest_worker;

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
	/*
	 * optional: a warm worker of runner/worker.h serving this root; the run
	 * goes through it when it can (else a fresh process, same verdicts)
	 */
	struct pytest_worker *worker;
	/* optional: our plugin records the per-test coverage map here (runner/coverage.h) */
	const char *coverage_file;
	/*
	 * optional: sees each record as it is read (records_fn of
	 * runner/records.h; return 0 and pytest_run() reads it as ever)
	 */
	records_fn on_record;
	void *payload;
};
#define PYTEST_OPTIONS_INIT { .test_timeout = PYTEST_DEFAULT_TEST_TIMEOUT }

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
 * Remove the bytecode Python cached for `path` (relative to `root`) in its
 * __pycache__: a .pyc is checked by whole-second mtime and size, so a file
 * rewritten within the same second at the same size loads the old code.
 */
void pytest_drop_bytecode(const char *root, const char *path);

/*
 * Screening through a warm worker (issue 16): the tests of `opts->paths`
 * run once for each of `runs`, in turn, in one child of `opts->worker` (no
 * fork per run), each with one project file taken from another file (a
 * candidate's whole text; path NULL: the files as they are). A run is
 * `done` when it ran to its end and its records were read into `res`; a
 * run the worker cannot patch in (a change outside function bodies), one
 * past its time limit and those after it are not. Nothing is done when the
 * worker cannot serve the run at all. The caller judges what a done run
 * says (runs share one process: see validate_screen()).
 */
struct pytest_screen_run {
	const char *path;          /* the project file it replaces (absolute); NULL: none */
	const char *source;        /* the file holding its text */
	int done;
	struct test_result res;    /* done: the run's results (the caller releases them) */
};
int pytest_worker_screen(struct pytest_screen_run *runs, size_t n,
			 const struct pytest_options *opts);

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
/* append "pytest stopped with exit status N (internal error|interrupted|unexpected)" */
void pytest_add_exit_status(struct buf *msg, int exitstatus);

/*
 * The driver under pytest_run() and the stress runs of repro/stress.c: one
 * pytest process with our plugin, started in a process group of its own
 * (util/proc), its records read as the plugin writes them and fed to a
 * records_reader (whose on_record callback sees each record as it is read),
 * each test bounded by the watchdog above. The processes of one run share a
 * private directory with the plugin; a run that goes on after a hung test
 * starts another process that appends to the same records file, followed
 * by the same pytest_follow.
 */

/* make a private directory holding the plugin into `dir` (released by pytest_plugin_dir_remove) */
int pytest_plugin_dir_create(struct buf *dir, const char *prefix);
void pytest_plugin_dir_remove(struct buf *dir);

struct pytest_process_options {
	const struct strvec *cmd;          /* the pytest command's words */
	const char *cwd;                   /* NULL: current */
	const char *plugin_dir;            /* from pytest_plugin_dir_create(), put on PYTHONPATH */
	const char *records;               /* the records file the plugin appends to */
	const struct strvec *plugin_args;  /* more --pytest-fixer-* options; may be NULL */
	const char *skip_file;             /* --pytest-fixer-skip-file (a resumed run); may be NULL */
	const char *keyword;               /* -k; may be NULL */
	const struct strvec *extra_args;   /* passed as they are; may be NULL */
	const struct strvec *paths;        /* last: node ids or files; may be NULL */
	double test_timeout;               /* seconds per test; 0: none */
	int every_test;                    /* --maxfail=0 (see pytest_options) */
	int without_addopts;               /* PYTEST_ADDOPTS is not passed on */
	int timeout_ms;                    /* the whole process; 0: none */
	size_t output_cap;                 /* pytest's stdout and stderr, each; 0: util/proc's */
};

/* the argv and environment changes pytest_process_run() runs with (pushed; owned by the caller) */
void pytest_process_command(struct strvec *argv, struct strvec *env,
			    const struct pytest_process_options *o);

/* Following the records file of a run, across its processes. */
struct pytest_follow {
	struct records_reader *reader;     /* borrowed */
	int fd;                            /* -1 until the plugin has made the file */
	double test_timeout;               /* the watchdog's, from the options */
	int parse_err;                     /* a malformed record was met: its code, */
	struct buf parse_msg;              /* and its message */
	char *hung_id;                     /* the test the watchdog stopped the process for */
};

void pytest_follow_init(struct pytest_follow *f, struct records_reader *reader);
void pytest_follow_release(struct pytest_follow *f);

/*
 * Run one pytest process to its end, reading its records into f->reader as
 * they come, and fill `pr` (PROC_RESULT_INIT; the caller releases it).
 * Returns 0 when it ran, whatever pytest did (f->parse_err: its records
 * could not be read; f->hung_id with pr->tick_killed: the watchdog stopped
 * it), or proc_run()'s error when it could not be started.
 */
int pytest_process_run(struct proc_result *pr, struct pytest_follow *f,
		       const struct pytest_process_options *o);

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
