#ifndef REPRO_REPRO_REPORT_H
#define REPRO_REPRO_REPORT_H

#include "repro/info.h"
#include "repro/repro.h"
#include "repro/stress.h"
#include "runner/result.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/strvec.h"
#include "vcs/vcs.h"

#include <time.h>

/*
 * A reproduction run's state, shared by its steps (repro.c) and its report
 * (repro_report.c). Everything in it is owned by the run.
 */

struct repro_target {
	char *id;                   /* node id in this project */
	char *ci_id;                /* as the CI log named it; NULL for an existing test */
	const struct failure *ci;   /* the CI log's record (borrowed from run.ci), or NULL */
	int found;                  /* its file is in the base checkout */
	int reproduced;             /* it failed here */
	int ran;                    /* deterministic: it was run here */
	enum { REPRO_ALONE_UNKNOWN, REPRO_ALONE_FAILS, REPRO_ALONE_PASSES } alone;
	struct failure local;       /* the failure seen here (when reproduced) */
	struct stress_result stress;  /* intermittent: the stress run */
	int have_stress;
	struct order_result order;  /* ... and the order analysis */
	int have_order;
	/* the fix session's outcome */
	int fix_tried;              /* a fix session took it on: */
	enum failure_status fix_status;  /* FAILURE_FIXED or FAILURE_UNFIXED */
	char *branch, *commit, *diff, *engine, *fix_reason;
	char *behaviour;            /* the fix's behaviour check (fix/behaviour.h) as JSON text, or NULL */
	size_t attempts;
	struct strvec cmd_ids;      /* intermittent: the tests of its smallest failing command */
};

struct repro_run {
	const struct repro_options *o;
	struct repro_info info;
	struct buf info_text;       /* info.json as the user wrote it */
	struct project *project;
	struct vcs_repo *repo;      /* the project's (borrowed) */
	char root[4096];
	int lock_fd;                /* the project lock (fix_project_lock), or -1 */
	char base_name[256];
	char base_commit[VCS_OID_HEXSZ + 1];
	char stamp[32];             /* YYYY-MM-DD_HH-MM-SS */
	struct buf slug;
	struct buf checkout;        /* the private checkout of the base */
	const char *source;         /* "url", "raw-logs" or "existing-test-path" */
	struct strvec jobs;         /* the CI jobs whose logs were read */
	struct buf log;             /* the cleaned CI log */
	struct test_result ci;      /* what the log says failed (and the JUnit reports) */
	struct test_result junit;   /* what the run's JUnit artifacts say */
	struct strvec junit_names;  /* ... read from these "ARTIFACT/MEMBER" */
	struct repro_target *targets;
	size_t nr_targets;
	struct strvec carry;        /* files carried from the work tree (not on the base) */
	struct strvec minimal;      /* deterministic: the tests of the smallest failing command */
	struct strvec pytest_argv;  /* the pytest command in use, for the commands shown */
	struct strvec run_before;   /* deterministic: failing tests others fail only after */
	size_t reproduced, fixed;
	int expanded;               /* the targets are the tests of an existing test file */
	int verify_runs;            /* passing runs a fix needed */
	char *session, *branch;
	char *pr_url;
	long long pr_number;
	struct buf pr_error;
	struct strvec contacts;
	struct buf problem;         /* why it stopped short, for the report */
	const char *status;
	int interrupted;
	double started, seconds;
	time_t wall_start;
};

/* the Markdown report (outputs/...md) into `out` */
void repro_report_markdown(struct buf *out, const struct repro_run *r);
/*
 * A command line running `ids` in order, each word quoted for a POSIX
 * shell: the pytest command `pytest` (NULL or empty: "python3 -m pytest",
 * which works anywhere; the pull request uses that) with -p no:cacheprovider.
 */
void repro_command(struct buf *out, const struct strvec *pytest, const struct strvec *ids);
/* the pull request's title and description */
void repro_pr_title(struct buf *out, const struct repro_run *r);
void repro_pr_body(struct buf *out, const struct repro_run *r);

#endif
