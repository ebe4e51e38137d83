#ifndef GITHUB_GITHUB_H
#define GITHUB_GITHUB_H

#include "runner/result.h"
#include "util/buf.h"
#include "util/strvec.h"

/*
 * A client of GitHub's REST API (github.com or an Enterprise server): the
 * logs of a failed Actions run or job, the JUnit reports a run uploaded,
 * and draft pull requests. HTTP goes through net/http.h; artifacts' zips
 * are read with libzip, here and nowhere else.
 *
 * Every request sends "Accept: application/vnd.github+json",
 * "X-GitHub-Api-Version: GITHUB_API_VERSION", "User-Agent:
 * pytest-fixer/VERSION" and, when there is a token, "Authorization: Bearer
 * TOKEN" (never to another host a redirect points to). The token never
 * appears in an error message, a log line or a result.
 *
 * Errors (util/error.h), each message naming the method and the URL path
 * and quoting GitHub's own "message" when the answer has one:
 *   ERR_USAGE     401 (set GITHUB_TOKEN to a valid token), 403 that is not
 *                 a rate limit, other 4xx; a bad owner, repository or URL
 *   ERR_NOTFOUND  404 (a private repository needs GITHUB_TOKEN); a run
 *                 without a failed job
 *   ERR_LIMIT     still rate limited (403 with X-RateLimit-Remaining: 0,
 *                 or 429) after max_retries waits or max_wait_ms in all,
 *                 or at once when it asks to wait more than max_retry_wait_ms
 *                 (the message says how long it asked for);
 *                 a log or an answer past its size cap
 *   ERR_CONFLICT  422 on a pull request (one exists already, ...)
 *   ERR_PARSE     an answer that is not the JSON expected
 *   ERR_TIMEOUT, ERR_INTERRUPTED (sig_pending() while waiting), and -1
 *                 for the rest (5xx after the retries, no connection)
 * Rate limits wait for Retry-After, else X-RateLimit-Reset, else back off
 * exponentially from backoff_initial_ms; 5xx and transport failures back
 * off the same way.
 *
 * Ownership: the handle is the caller's (github_open / github_free); what
 * a call returns goes into the caller's out-parameters.
 */

#define GITHUB_HOST "github.com"
#define GITHUB_API_URL_DEFAULT "https://api.github.com"
/* the API of an Enterprise server HOST: https://HOST + this */
#define GITHUB_ENTERPRISE_API_PATH "/api/v3"
#define GITHUB_API_VERSION "2022-11-28"
#define GITHUB_ENV_API_URL "GITHUB_API_URL"
#define GITHUB_ENV_TOKEN "GITHUB_TOKEN"
/* the longest total wait for rate limits and retries, in ms, when the options leave it */
#define GITHUB_ENV_MAX_WAIT_MS "PYTEST_FIXER_GITHUB_MAX_WAIT_MS"
#define GITHUB_DEFAULT_TIMEOUT_MS (60 * 1000)
#define GITHUB_DEFAULT_MAX_RETRIES 3
#define GITHUB_DEFAULT_MAX_WAIT_MS (60L * 1000)
#define GITHUB_BACKOFF_INITIAL_MS 1000L
#define GITHUB_DEFAULT_MAX_RETRY_WAIT_MS (120L * 1000)
/* JSON answers larger than this are refused (logs are capped at CILOG_MAX_SIZE) */
#define GITHUB_MAX_JSON_BYTES (4u * 1024 * 1024)
/* jobs asked for per page, and the most pages read */
#define GITHUB_PER_PAGE 100
#define GITHUB_MAX_PAGES 50
/* the part of an answer's body quoted when it has no "message" */
#define GITHUB_ERROR_QUOTE_BYTES 200
/* the step column github_run_logs() gives every line (runner/cilog.h's run-log format) */
#define GITHUB_RUN_LOG_STEP "log"
/* artifacts larger than this (a zip) are skipped */
#define GITHUB_ARTIFACT_MAX_BYTES (256u * 1024 * 1024)
/* zips with more members than this are skipped */
#define GITHUB_ZIP_MAX_MEMBERS 10000
/* the most XML inflated from one zip, all members together */
#define GITHUB_ZIP_MAX_XML_BYTES (1024u * 1024 * 1024)
/* bytes inflated at a time */
#define GITHUB_ZIP_READ_CHUNK (64u * 1024)

struct github_options {
	const char *api_url;    /* NULL: $GITHUB_API_URL, else from the host */
	const char *token;      /* NULL: $GITHUB_TOKEN; absent or "": no Authorization */
	int timeout_ms;         /* per request; 0: GITHUB_DEFAULT_TIMEOUT_MS */
	int max_retries;        /* after the first attempt; -1: GITHUB_DEFAULT_MAX_RETRIES */
	long max_wait_ms;       /* all waits together; -1: $PYTEST_FIXER_GITHUB_MAX_WAIT_MS,
				   else GITHUB_DEFAULT_MAX_WAIT_MS */
	long backoff_initial_ms; /* 0: GITHUB_BACKOFF_INITIAL_MS (tests make it small) */
	long max_retry_wait_ms; /* one wait; a rate limit asking more is final at once;
				   0: GITHUB_DEFAULT_MAX_RETRY_WAIT_MS */
};
#define GITHUB_OPTIONS_INIT { NULL, NULL, 0, -1, -1, 0, 0 }

struct github;

/*
 * A client for `host` ("github.com" when NULL, else an Enterprise host such
 * as "ghe.example.com"). The API URL is opts->api_url, else
 * $GITHUB_API_URL, else GITHUB_API_URL_DEFAULT for github.com and
 * https://HOST/api/v3 for another host; it must be http:// or https://.
 * ERR_USAGE for a bad URL or a token with control characters. opts may be
 * NULL.
 */
int github_open(struct github **out, const char *host, const struct github_options *opts);
void github_free(struct github *gh);
/* the API URL in use, without a trailing slash (borrowed) */
const char *github_api_url(const struct github *gh);

/*
 * Append the log of one job, as GitHub serves it (GET
 * /repos/OWNER/REPO/actions/jobs/JOB_ID/logs, then its redirect), to
 * `out`. ERR_LIMIT for a log over CILOG_MAX_SIZE.
 */
int github_job_log(struct buf *out, struct github *gh, const char *owner, const char *repo,
		   long long job_id);

/*
 * Append the logs of the jobs of run RUN_ID (its attempt ATTEMPT when
 * attempt > 0, else the latest) whose conclusion is "failure", in the
 * downloaded-run-log format of runner/cilog.h: every line of job NAME is
 * "NAME\tGITHUB_RUN_LOG_STEP\t" and the line (NAME with tabs and line ends
 * made spaces, cut to CILOG_MAX_PREFIX bytes). The jobs' names are
 * appended to `jobs` (may be NULL) in the order of their logs.
 * ERR_NOTFOUND "run N has no failed job" when none failed; ERR_LIMIT when
 * the logs together pass CILOG_MAX_SIZE.
 */
int github_run_logs(struct buf *out, struct strvec *jobs, struct github *gh, const char *owner,
		    const char *repo, long long run_id, long long attempt);

/*
 * Read the JUnit XML reports a run uploaded as artifacts into `out`
 * (runner/junit.h's junit_parse_memory, so counts add up and failures are appended):
 * GET /repos/O/R/actions/runs/RUN_ID/artifacts (paginated), every artifact not expired whose name
 * looks like test results (case-insensitive: junit, test-results, test-report, pytest, xunit, tests)
 * is downloaded (its archive_download_url answers 302 to a zip), and every *.xml member of the zip
 * that is a JUnit report is parsed (members that are not JUnit are skipped with a debug log; a
 * malformed one is a warning, not an error). `root` is passed to the JUnit reader (may be NULL).
 * The names of the reports read go to `names` (may be NULL). 0 also when there is none.
 *
 * In a name, '_', ' ' and '.' count as '-' ("Test Results" matches). The
 * zip is fetched from /repos/O/R/actions/artifacts/ID/zip of the API URL in
 * use, whatever host archive_download_url names; the token never follows
 * the redirect. A report is named "ARTIFACT/MEMBER" (in `names` and in
 * messages). An artifact that cannot be read for what it holds is a warning
 * and is skipped: over GITHUB_ARTIFACT_MAX_BYTES (as listed or as
 * downloaded), not a zip or corrupt, more than GITHUB_ZIP_MAX_MEMBERS
 * members; so is a member over JUNIT_MAX_SIZE once inflated, or one past
 * GITHUB_ZIP_MAX_XML_BYTES of XML inflated from one zip (a zip bomb).
 * Errors are the API's (see above) for the list and the downloads; on
 * error `out` and `names` are as they were.
 */
int github_run_junit(struct test_result *out, struct strvec *names, struct github *gh,
		     const char *owner, const char *repo, long long run_id, const char *root);

struct github_pull {
	long long number;
	char *html_url;
};
#define GITHUB_PULL_INIT { 0, NULL }
void github_pull_release(struct github_pull *p);

/*
 * Open a pull request from branch `head` (or "owner:branch") into `base`
 * (POST /repos/OWNER/REPO/pulls), as a draft when `draft`. `body` may be
 * NULL. ERR_CONFLICT quoting GitHub when it refuses (422: "A pull request
 * already exists for ...", no commits between the branches, ...).
 */
int github_pull_create(struct github_pull *out, struct github *gh, const char *owner,
		       const char *repo, const char *head, const char *base, const char *title,
		       const char *body, int draft);

/* ==== for `serve`: a pull request's state, its comment, failed runs, rate-limit figures ==== */

/* what github_pull_get() reads of a pull request; the strings are owned (github_pull_info_release) */
struct github_pull_info {
	long long number;
	char *state;            /* "open", "closed" */
	char *head_sha;
	char *head_ref;
	char *head_repo;        /* the head repository's full_name "owner/name"; NULL: deleted */
	char *base_ref;
	char *html_url;
	int head_is_fork;       /* the head repository is not the base repository */
};
#define GITHUB_PULL_INFO_INIT { 0, NULL, NULL, NULL, NULL, NULL, NULL, 0 }
void github_pull_info_release(struct github_pull_info *p);

/*
 * Read pull request NUMBER (GET /repos/OWNER/REPO/pulls/NUMBER): for the
 * stale-head check (head_sha) and to push to its branch. A head repository
 * that was deleted is a fork with head_repo NULL. ERR_NOTFOUND for an
 * unknown pull request; ERR_PARSE without "head" { "sha", "ref" } or "base".
 */
int github_pull_get(struct github_pull_info *out, struct github *gh, const char *owner,
		    const char *repo, long long number);

/* one issue or pull request comment; html_url owned (github_comment_release) */
struct github_comment {
	long long id;
	char *html_url;
};
#define GITHUB_COMMENT_INIT { 0, NULL }
void github_comment_release(struct github_comment *c);

/*
 * Write the body of our comment from the body of the one we wrote before
 * (`previous`, NULL when there is none yet) into `out`; 0, or an error
 * that stops the upsert.
 */
typedef int github_comment_fn(struct buf *out, const char *previous, void *payload);

/*
 * Keep ONE comment of ours on issue or pull request NUMBER, edited in
 * place: the comments (GET /repos/O/R/issues/NUMBER/comments, all pages)
 * are searched for the first whose body holds `marker`; that one is
 * edited (PATCH /repos/O/R/issues/comments/ID), else a new one is posted
 * (POST /repos/O/R/issues/NUMBER/comments). `body` must hold the marker
 * (ERR_USAGE otherwise, or it would never be found again). `out` gets the
 * comment's id and URL.
 */
int github_comment_upsert(struct github_comment *out, struct github *gh, const char *owner,
			  const char *repo, long long number, const char *marker,
			  const char *body);
/* the same, with the body made by `compose` from the earlier comment's body */
int github_comment_upsert_with(struct github_comment *out, struct github *gh, const char *owner,
			       const char *repo, long long number, const char *marker,
			       github_comment_fn *compose, void *payload);

/* a workflow run, as github_failed_runs() lists it; strings owned (github_runs_free) */
struct github_run {
	long long id;
	char *name;             /* the workflow's name */
	char *head_sha;
	char *head_branch;      /* NULL: none (a tag, a deleted branch) */
	char *event;            /* "push", "pull_request", ... */
	char *html_url;
	char *conclusion;       /* "failure" */
	char *head_repo;        /* the head repository's full_name; NULL: not given */
	long long *pull_requests; /* the numbers of its pull requests, nr_pull_requests of them */
	size_t nr_pull_requests;
};
void github_runs_free(struct github_run *runs, size_t nr);

/*
 * The newest `limit` (at most; > 0) failed workflow runs of OWNER/REPO,
 * newest first (GET /repos/O/R/actions/runs?status=failure, paginated),
 * into a new array *out of *nr runs (both set on success; free with
 * github_runs_free). ERR_PARSE for a run without "id" or "head_sha".
 */
int github_failed_runs(struct github_run **out, size_t *nr, struct github *gh, const char *owner,
		       const char *repo, size_t limit);

/* how many times the handle waited for a rate limit, and how long in all (ms); either may be NULL */
void github_stats(const struct github *gh, long *waits, long *waited_ms);
/* ==== check suites (issue 14: the service's analyzer) ==== */

/*
 * The id of the workflow run of check suite SUITE_ID into *run_id (GET
 * /repos/OWNER/REPO/actions/runs?check_suite_id=SUITE_ID; the first run
 * listed). ERR_NOTFOUND "check suite N has no workflow run" when the suite
 * is not one of Actions; ERR_PARSE for an answer without "workflow_runs"
 * or a run without a positive "id".
 */
int github_suite_run(long long *run_id, struct github *gh, const char *owner, const char *repo,
		     long long suite_id);

#endif
