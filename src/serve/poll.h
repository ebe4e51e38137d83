#ifndef SERVE_POLL_H
#define SERVE_POLL_H

#include <pthread.h>

/*
 * The monitor without a public endpoint (`serve --poll SECONDS`): the
 * failed workflow runs of every configured repository are listed through
 * the REST API, and each becomes a job as a workflow_run delivery would
 * (the same payload shape, so the worker reads both alike; one job per
 * repository, head commit and workflow, so a run seen again adds nothing).
 */

#define POLL_RUNS_PER_REPO 30    /* the newest failed runs looked at, per repository */

struct queue;
struct serve_config;

/*
 * One round over the repositories, holding `lock` around each use of `q`
 * (the HTTP threads share it). A repository GitHub cannot list is a warning
 * and the round goes on; the last such error is returned.
 */
int poll_once(struct queue *q, pthread_mutex_t *lock, const struct serve_config *cfg);

#endif
