#ifndef SERVE_SERVE_H
#define SERVE_SERVE_H

#include <stdint.h>

/*
 * The service (SPEC C10): `pytest-fixer serve`.
 *
 * serve_run() is the parent: the HTTP server (webhooks, the API, metrics,
 * the dashboard), the --poll monitor, and `workers` worker threads. A
 * worker claims a job (src/serve/queue.h) under a lease and runs it in a
 * child process, this program again with `serve ... --run-job ID
 * --lease-owner OWNER`, renewing the lease while the child lives; the
 * child's log lines are the service's, prefixed with the job. A child that
 * crashes costs a retry; a parent killed with SIGKILL takes its children
 * with it (util/proc.h) and every lease runs out, so a restarted service
 * (or another one on the same database) takes the jobs again: nothing is
 * lost. SIGTERM or Ctrl-C: no new job is taken, HTTP stops, and each job in
 * hand is given back (the child stops its fix and releases it), then
 * serve_run() returns 0.
 *
 * serve_run_job() is the child: the job's pipeline (src/serve/job.h).
 */

#define SERVE_LEASE_S 60.0            /* a job's lease; renewed every third of it */
#define SERVE_IDLE_MS 500L            /* a worker with nothing to do looks again after this */
#define SERVE_STOP_GRACE_MS 30000     /* a child has this long to give its job back */
#define SERVE_JOB_TIMEOUT_S 3600      /* a child running longer is killed (and retried) */
#define SERVE_CHILD_LOG_MAX (1024u * 1024) /* of a child's log kept at once */

struct serve_config;
struct fix_options;

struct serve_options {
	struct serve_config *cfg;       /* with the environment's secrets read */
	const struct fix_options *fix;  /* the engine options, for the children */
	double lease_s;
	/* the command line of `serve` (argv[0] "serve"), passed on to the children */
	int argc;
	const char **argv;
};

/* run until SIGTERM / SIGINT; 0 after a clean stop, or the error that prevented the start */
int serve_run(const struct serve_options *o);
/* the child: run job `id` held by `owner` to its next resting state */
int serve_run_job(const struct serve_options *o, int64_t id, const char *owner);

#endif
