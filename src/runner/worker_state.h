#ifndef RUNNER_WORKER_STATE_H
#define RUNNER_WORKER_STATE_H

#include "runner/worker.h"
#include "util/buf.h"
#include "util/proc.h"
#include "util/strvec.h"

#include <jansson.h>
#include <pthread.h>
#include <sys/types.h>

/*
 * The inside of a warm worker (runner/worker.h), shared by worker.c, which
 * starts and stops it, and the drivers that send it requests: pytest.c
 * (runs, screens) and probe.c (probes). The drivers' common steps are in
 * worker_state.c.
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
#define PYTEST_PROBE_MODULE "pytest_fixer_probe"     /* the probing child's code */
#define PYTEST_PROBE_OUT "probe-out.txt"             /* a probe's output, in its directory */

struct pytest_worker {
	pthread_mutex_t lock;          /* one run at a time; held around every field below */
	struct proc_child child;
	int alive;                     /* 0 once it died or misbehaved: never used again */
	int state;                     /* 0 collecting, 1 ready, -1 it could not start */
	char *why;                     /* state -1: why; or why it was lost (!alive) */
	struct buf root;               /* the real path of the work directory */
	struct strvec extra_args;      /* the user's arguments it was started with */
	int has_paths;                 /* started with suite paths (else pytest's default) */
	struct buf dir;                /* its private directory (plugin, worker, log) */
	struct pytest_worker_stats stats;
};

/*
 * The drivers' steps (the caller holds the lock). NULL or negative results
 * leave the worker in a state the caller need not repair: a worker that
 * died or misbehaved is lost (warm_lost()), never used again.
 */

/* lose it: logged, stopped, `why` kept in ->why */
void warm_lost(struct pytest_worker *wk, const char *why);
/* `req` as one request line ("...\n"; the caller frees it); NULL: it cannot be said in JSON */
char *warm_line(const json_t *req);
/* `line` as a reply, its "ev" in *ev (borrowed from it); NULL when it is not one */
json_t *warm_parse(const struct buf *line, const char **ev);
/* the next reply, parsed; NULL: the worker is lost */
json_t *warm_reply(struct pytest_worker *wk, const char **ev, int timeout_ms);
/*
 * Send `req` and read the answer: 1 once the worker forked a child for it
 * (its pid, also its process group, in *pid, listed with proc_group_track();
 * its time limit in *limit), 0 when it passed the request on ("fallback"; its
 * reason in `why`), ERR_INTERRUPTED, or -1 when the worker is lost.
 */
int warm_start(pid_t *pid, double *limit, struct pytest_worker *wk, const char *req,
	       struct buf *why);
/* after a request that started child `pid` (0: none): what it left in its group killed, unlisted */
void warm_finish(struct pytest_worker *wk, pid_t pid);

#endif
