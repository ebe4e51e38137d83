#ifndef SERVE_JOB_H
#define SERVE_JOB_H

#include <stdint.h>

/*
 * One job's pipeline (seed 004's sequence), run by a worker child of
 * `serve` that holds the job's lease as `owner`:
 *
 *   stale head?  the pull request's head is no longer the job's commit, or
 *                it is closed: stale; its head is a fork's and the
 *                repository does not allow them: ignored
 *   analyze      the check's log from GitHub, the failing tests in it
 *                (serve/analyze.h), reproduced in a clone; the analysis
 *                by the model when one is configured, else by rules
 *   decide       auto-fixable at or above the repository's threshold:
 *                fix.requested and `fixing`; otherwise escalated
 *   fix          serve/worker.h: clone, fix loop, lint gates, push
 *   tell         serve/notify.h on every outcome people act on
 *
 * Each step that fails for a reason worth retrying (GitHub or the network
 * down, a rate limit, a clone) sends the job back to the queue with a
 * backoff (serve/queue.h: queue_retry()); after the repository's
 * max_attempts the queue discards it, and people are told. The seed's
 * three messages are stored with the job. SIGTERM: the job is given back.
 *
 * Every move names the lease by owner and fence; just before the push the
 * lease is renewed, and when that is refused (the job was rescued by
 * another worker while this one was paused) nothing is pushed and the job
 * is left to its new holder.
 */

struct queue;
struct serve_config;
struct fix_options;

/* the lease a worker child holds its job by (borrowed) */
struct job_lease {
	int64_t id;
	const char *owner;
	int64_t fence;         /* the claim's job.fence */
	double lease_s;        /* how long each renewal makes it */
};

/*
 * 0 when the job came to rest (any state); an error when it could not be
 * read or moved, ERR_CONFLICT when the lease is not (or no longer) held
 */
int job_run(struct queue *q, const struct serve_config *cfg, const struct fix_options *fix,
	    const struct job_lease *lease);

#endif
