#ifndef RUNNER_WORKER_STATE_H
#define RUNNER_WORKER_STATE_H

#include "runner/worker.h"
#include "util/buf.h"
#include "util/proc.h"
#include "util/strvec.h"

#include <pthread.h>

/*
 * The inside of a warm worker (runner/worker.h), shared by worker.c, which
 * starts and stops it, and pytest.c, whose driver sends runs through it
 * (one driver per external process kind). Types only.
 *
 * The protocol, one JSON object a line over proc_child's socket (see
 * pytest_fixer_worker.py): the worker says "ready" once it has collected;
 * then for each request {ids, skip, records, out, timeout} it answers
 * "fallback" (nothing ran), or "started" with the child's pid (its process
 * group) and its time limit, then "done" with how the child ended.
 */

#define PYTEST_WORKER_MODULE "pytest_fixer_worker"
#define PYTEST_WORKER_START_TIMEOUT_MS (300 * 1000)  /* import and collect */
#define PYTEST_WORKER_REPLY_TIMEOUT_MS (30 * 1000)   /* a reply that is not a test run */
#define PYTEST_WORKER_STOP_GRACE_MS 1000             /* to exit once its channel closed */
#define PYTEST_WORKER_LOG "worker.log"               /* its own output, in its directory */
#define PYTEST_WORKER_OUT "warm-out.txt"             /* a run's output, in the run's directory */

struct pytest_worker {
	pthread_mutex_t lock;          /* one run at a time; held around every field below */
	struct proc_child child;
	int alive;                     /* 0 once it died or misbehaved: never used again */
	int state;                     /* 0 collecting, 1 ready, -1 it could not start */
	char *why;                     /* state -1: why */
	struct buf root;               /* the real path of the work directory */
	struct strvec extra_args;      /* the user's arguments it was started with */
	int has_paths;                 /* started with suite paths (else pytest's default) */
	struct buf dir;                /* its private directory (plugin, worker, log) */
	struct pytest_worker_stats stats;
};

#endif
