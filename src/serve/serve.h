#ifndef SERVE_SERVE_H
#define SERVE_SERVE_H

#include <stdint.h>

/*
 * The service (SPEC C10): `pytest-fixer serve`.
 *
 * serve_run() is the parent. By its role (config.h: --role, `role:`) it
 * runs the HTTP server (webhooks, the API, metrics, the dashboard) and the
 * --poll monitor (web), `workers` worker slots (worker), or both (all), on
 * one database (serve/queue.h: a SQLite file for one machine, PostgreSQL
 * for any number of processes on any machines). Every SERVE_BEAT_S it tells
 * the database it is alive (queue_beat(): "host:pid", its role, its start,
 * the jobs its slots finished or gave back).
 *
 * A slot claims a job under a lease (owner "host:pid:slot", and the claim's
 * fencing token) and runs it in a child process, this program again with
 * `serve ... --run-job ID --lease-owner OWNER --fence N`, renewing the
 * lease every third of it while the child lives; the child renews it
 * itself just before it pushes, and does not push when that is refused
 * (someone else took the job). The child's log lines are the service's,
 * prefixed with the job. A child that crashes costs a retry (after the
 * last, the job is discarded); a parent killed with SIGKILL takes its
 * children with it (util/proc.h) and every lease runs out, so another
 * worker on the same database (or a restarted one) takes the jobs again
 * (a rescue): nothing is lost. With nothing to do, a slot waits on the
 * queue (queue_wait(): a notification on PostgreSQL); a database that
 * cannot be reached (a PostgreSQL restart) is waited for, with a warning
 * once per outage. SIGTERM or Ctrl-C: no new job is taken, HTTP stops,
 * and each job in hand is given back (the child stops its fix and releases
 * it), then serve_run() returns 0.
 *
 * serve_run_job() is the child: the job's pipeline (src/serve/job.h).
 */

#define SERVE_LEASE_S 30.0            /* a job's lease; renewed every third of it */
#define SERVE_IDLE_MS 500L            /* SQLite: a slot with nothing to do looks again after this */
#define SERVE_IDLE_WAIT_MS 2000L      /* PostgreSQL: at most this long waiting for a NOTIFY */
#define SERVE_RETRY_MIN_MS 250L       /* a database that cannot be reached: first retry after this */
#define SERVE_RETRY_MAX_MS 5000L      /* ... doubling up to this */
#define SERVE_BEAT_S 5.0              /* each process says it is alive this often */
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
/* the child: run job `id` held by `owner` under `fence` to its next resting state */
int serve_run_job(const struct serve_options *o, int64_t id, const char *owner, int64_t fence);

#endif
