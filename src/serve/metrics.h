#ifndef SERVE_METRICS_H
#define SERVE_METRICS_H

#include "serve/queue.h"
#include "util/buf.h"

#include <stddef.h>
#include <stdint.h>

/*
 * The service's figures (seed 004 "Monitoring Points") in the Prometheus
 * text exposition format 0.0.4, served at GET /metrics by every process of
 * the service: the whole cluster's figures, the same from any process, and
 * the serving process's own, labelled instance="host:pid".
 *
 * The cluster's come from the queue, which every process shares: the jobs
 * (by state, discarded included; durations, retries, rescues, outcomes),
 * the queue's depth, the live processes by role (queue_processes()) and the
 * counters the workers add with queue_counter_add() (LLM tokens and cost,
 * rate-limit waits, failures per step), which are passed through. A worker
 * names its series with metrics_series() and the names below, so the
 * strings agree. A counter whose name is no valid series (see
 * metrics_series_parse()), does not end in _total or is of one of our own
 * families is left out, and how many were is the gauge
 * METRIC_INVALID_COUNTERS. The process's own (its uptime, the jobs its
 * workers did, the deliveries it answered by HTTP status) come in struct
 * metrics_extra.
 *
 * Each family has its # HELP and # TYPE line and all its samples together;
 * one sample per name and label set (counters named twice with their
 * labels in another order are added up); label values are escaped as the
 * format says (\\, \" and \n). Counters end in _total. A ratio of
 * nothing (no job ended yet) is NaN, which the format allows.
 *
 * The figures are read from every job in the queue at each scrape.
 */

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* the families we derive from the jobs */
#define METRIC_JOBS "pytest_fixer_jobs"                            /* gauge {state} */
#define METRIC_DURATION "pytest_fixer_job_duration_seconds"        /* histogram {outcome} */
#define METRIC_SUCCESS_RATIO "pytest_fixer_success_ratio"          /* gauge */
#define METRIC_FIRST_TRY_RATIO "pytest_fixer_first_try_success_ratio" /* gauge */
#define METRIC_FIRST_TRY_FIXES "pytest_fixer_first_try_fixes_total"   /* counter */
#define METRIC_RETRIES "pytest_fixer_retries_total"                /* counter */
#define METRIC_ESCALATIONS "pytest_fixer_escalations_total"        /* counter */
#define METRIC_QUEUE_DEPTH "pytest_fixer_queue_depth"              /* gauge */
#define METRIC_RESCUES "pytest_fixer_job_rescues_total"            /* counter: sum of rescue_count */
#define METRIC_PROCESSES "pytest_fixer_processes"                  /* gauge {role}: live processes */
#define METRIC_INVALID_COUNTERS "pytest_fixer_invalid_counters"    /* gauge */
/* the serving process's own (struct metrics_extra), labelled instance="host:pid" */
#define METRIC_DELIVERIES "pytest_fixer_webhook_deliveries_total"  /* counter {instance,status} */
#define METRIC_PROCESS_UPTIME "pytest_fixer_process_uptime_seconds" /* gauge {instance,role} */
#define METRIC_PROCESS_START "pytest_fixer_process_start_time_seconds" /* gauge {instance,role} */
#define METRIC_PROCESS_JOBS_DONE "pytest_fixer_process_jobs_done_total" /* counter {instance} */

/* the labels of the families above */
#define METRIC_LABEL_STATE "state"
#define METRIC_LABEL_ROLE "role"
#define METRIC_LABEL_INSTANCE "instance"
#define METRIC_LABEL_STATUS "status"
/* the roles a process has (serve --role), each a sample of METRIC_PROCESSES */
#define METRICS_ROLES { "web", "worker", "all" }
#define METRICS_ROLES_NR 3

/* the counters workers add to (queue_counter_add() with metrics_series()) */
#define METRIC_LLM_TOKENS "pytest_fixer_llm_tokens_total"          /* {step} */
#define METRIC_LLM_COST "pytest_fixer_llm_cost_usd_total"          /* {step} */
#define METRIC_RATE_LIMIT_WAITS "pytest_fixer_github_rate_limit_waits_total"
#define METRIC_RATE_LIMIT_WAIT_SECONDS "pytest_fixer_github_rate_limit_wait_seconds_total"
#define METRIC_STEP_FAILURES "pytest_fixer_step_failures_total"    /* {step} */

/* their label, and the steps */
#define METRIC_LABEL_STEP "step"
#define METRIC_STEP_ANALYSIS "analysis"
#define METRIC_STEP_FIX "fix"
#define METRIC_STEP_FETCH_LOG "fetch_log"
#define METRIC_STEP_CLONE "clone"
#define METRIC_STEP_REPRODUCE "reproduce"
#define METRIC_STEP_LINT "lint"
#define METRIC_STEP_PUSH "push"
#define METRIC_STEP_NOTIFY "notify"

/*
 * The end-to-end duration histogram's upper bounds in seconds (+Inf comes
 * after them), from created_at to finished_at of the jobs that ended fixed,
 * escalated or failed (label `outcome`).
 */
#define METRICS_DURATION_BUCKETS { 1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600 }
#define METRICS_DURATION_BUCKETS_NR 10

/* series names longer than this are no valid series */
#define METRICS_SERIES_MAX 1024
/* labels of one series, at the most */
#define METRICS_LABELS_MAX 16

/* the HTTP status of answered deliveries, and how many got it */
struct metrics_delivery {
	int status;
	uint64_t count;
};

/* what the serving process adds (borrowed); NULL: nothing */
struct metrics_extra {
	const struct metrics_delivery *deliveries;  /* any order; a status twice is added up */
	size_t deliveries_nr;
	const char *instance;   /* "host:pid"; NULL: no instance label, no process figures */
	const char *role;       /* "web", "worker" or "all" */
	double started_at;      /* wall-clock seconds; <= 0: not shown */
	double uptime_s;        /* < 0: not shown */
	long jobs_done;         /* jobs its workers took to a final state or gave back */
};

#define METRICS_EXTRA_INIT { .uptime_s = -1 }

/*
 * What the jobs add up to (metrics and dashboard share it). `ended` counts
 * the jobs that were worked on to an end: fixed + escalated + failed.
 */
struct metrics_summary {
	size_t jobs;
	size_t by_state[JOB_STATE_NR];
	size_t ended;
	size_t first_try;        /* fixed with no retry */
	uint64_t retries;        /* attempts of every job */
	uint64_t rescues;        /* rescue_count of every job */
	double success_ratio;    /* fixed / ended; NaN when nothing ended */
	double first_try_ratio;  /* first_try / ended; NaN when nothing ended */
	double median_fix_s;     /* of the fixed jobs' durations; NaN when none */
};

/* add up `nr` jobs */
void metrics_summarize(struct metrics_summary *out, const struct job *jobs, size_t nr);
/* the median of `nr` values (sorted in place); NaN when nr is 0 */
double metrics_median(double *values, size_t nr);
/* how many of `nr` processes have each role of METRICS_ROLES, in its order (others: none) */
void metrics_count_roles(size_t out[METRICS_ROLES_NR], const struct queue_process *procs,
			 size_t nr);
/* a job's end-to-end duration in seconds; < 0 when it has not ended */
double metrics_job_duration(const struct job *job);

/*
 * Append the series `family{label="value"}` to `out`, the value escaped
 * (the name a worker gives queue_counter_add()); `label` NULL: `family`.
 */
int metrics_series(struct buf *out, const char *family, const char *label, const char *value);

/*
 * Read a series name as the workers store it,
 *   name                     [a-zA-Z_:][a-zA-Z0-9_:]*
 *   name{l="v",...}          labels [a-zA-Z_][a-zA-Z0-9_]*, not starting "__",
 *                            each once; values UTF-8 with \\ \" \n escapes;
 *                            a comma may end the list; no spaces
 * and append it to `out` in the one form printed: labels sorted by name,
 * values escaped. `family` (may be NULL) gets the name. ERR_PARSE saying
 * what is wrong (the series is not quoted: it may be anything).
 */
int metrics_series_parse(struct buf *out, struct buf *family, const char *series);

/*
 * Append the exposition of every figure to `out`. Errors are the queue's;
 * `out` then holds a part of it.
 */
int metrics_render(struct buf *out, struct queue *q, const struct metrics_extra *extra);

#endif
