#ifndef RUNNER_WORKER_H
#define RUNNER_WORKER_H

#include "util/strvec.h"

#include <stddef.h>

/*
 * A warm test worker (issue 16): per work directory, one Python process
 * that has imported pytest, its plugins, the project's conftest files and
 * test modules, and collected the suite once, then serves runs: for each,
 * it forks a child that runs just the tests asked for, with our plugin's
 * records, as a fresh pytest would. No interpreter start, no re-import.
 *
 * What changed on disk since the worker started is put into the child
 * before it runs: a change inside function bodies is patched into the live
 * function objects (their code swapped, so every reference sees it); any
 * other change (module level, a decorator, a conftest's hooks, a C
 * extension, a test id the worker did not collect) is a fallback: the run
 * goes to a fresh pytest process instead, with the same verdicts.
 *
 * Each run gets a time limit from the durations the worker measured for its
 * tests (a mutant that loops is stopped in a fraction of a second, not at
 * the user's --timeout); a child past it is killed, its running test
 * recorded as a Timeout failure.
 *
 * pytest_run() uses a worker given in pytest_options.worker; nothing else
 * needs to call pytest_worker_run().
 */

struct pytest_choice;

struct pytest_worker_options {
	const char *root;               /* the work directory it serves */
	const char *venv_root;          /* where to look for .venv/venv; NULL: root */
	const char *command;            /* the pytest command; NULL: search (as pytest_run) */
	struct pytest_choice *choice;   /* the project's remembered command; may be NULL */
	const struct strvec *paths;     /* what it collects (the suite's paths); may be NULL */
	const struct strvec *extra_args;  /* the user's pytest arguments; may be NULL */
	double test_timeout;            /* seconds per test: the bound of a test never measured */
};

struct pytest_worker;

/*
 * Start a worker and wait until it has collected. A project the worker
 * cannot serve (pytest not importable from a Python interpreter we can
 * name, the collection failing) is an error naming why; the caller then
 * runs fresh processes.
 */
int pytest_worker_start(struct pytest_worker **out, const struct pytest_worker_options *o);
/*
 * The same in two steps: spawn it (it imports and collects meanwhile), then
 * ask whether it is ready: 1 once it has collected, 0 while it still
 * collects (only with wait 0), an error naming why it cannot serve (it is
 * stopped then; pytest_worker_stop() still frees it). Until ready, runs
 * given it go to fresh processes. A worker dies with the thread that
 * spawned it (PR_SET_PDEATHSIG): spawn it from one that outlives it.
 */
int pytest_worker_spawn(struct pytest_worker **out, const struct pytest_worker_options *o);
int pytest_worker_ready(struct pytest_worker *w, int wait);
/* stop it (its children too) and free it; NULL is a no-op */
void pytest_worker_stop(struct pytest_worker *w);

struct pytest_worker_stats {
	size_t warm;       /* runs served by a forked child */
	size_t fallback;   /* runs sent to a fresh process instead */
	size_t killed;     /* children stopped at their time limit */
	size_t screens;    /* screening children (pytest_worker_screen()) */
	size_t screened;   /* the runs they finished */
	size_t probes;     /* probing children (pytest_worker_probe() of runner/probe.h) */
};
void pytest_worker_stats(struct pytest_worker_stats *out, const struct pytest_worker *w);

#endif
