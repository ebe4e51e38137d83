#ifndef SERVE_ANALYZE_H
#define SERVE_ANALYZE_H

#include "runner/result.h"
#include "util/buf.h"
#include "util/strvec.h"

#include <jansson.h>
#include <stddef.h>

/*
 * The service's analyzer (issue 14, "Analyzer"): fetch a failed check's
 * log from GitHub, read the evidence out of it (the failing tests with the
 * CI-log reader, else the kind of failure: lint, build, network, timeout),
 * and decide what to do about it, either by rules (analyze_builtin) or by
 * asking a model (analyze_llm), into one `struct analysis`:
 * {root_cause, category, confidence, auto_fixable, files_to_modify,
 * estimated_complexity}. The caller compares the confidence with the
 * repository's threshold (analysis_auto_fix()).
 *
 * Secrets: the excerpt, the signal line and the failures' texts in the
 * evidence are passed through util/secret.h's redaction, and so is what
 * the analysis says; llm_complete() redacts the prompt once more.
 *
 * Ownership: evidence and analyses are the caller's structs, initialised by
 * the function that fills them and freed by analyze_evidence_release() and
 * analysis_release(); every string in them is owned by the struct.
 */

/* a cleaned excerpt is at most this many bytes: head, the part around the evidence, tail */
#define ANALYZE_EXCERPT_HEAD 2048
#define ANALYZE_EXCERPT_BEFORE 1024     /* kept before the evidence's first line */
#define ANALYZE_EXCERPT_AFTER 5120      /* kept from the evidence's first line on */
#define ANALYZE_EXCERPT_TAIL 8192
#define ANALYZE_EXCERPT_MARK 64         /* room for one "[... N bytes left out ...]" line */
#define ANALYZE_EXCERPT_MAX (ANALYZE_EXCERPT_HEAD + ANALYZE_EXCERPT_BEFORE + \
			     ANALYZE_EXCERPT_AFTER + ANALYZE_EXCERPT_TAIL + 2 * ANALYZE_EXCERPT_MARK)
/* the line that gave a category away is kept up to this many bytes */
#define ANALYZE_SIGNAL_MAX 300
/* files_to_modify holds at most this many paths, each at most ANALYZE_MAX_PATH bytes */
#define ANALYZE_MAX_FILES 20
#define ANALYZE_MAX_PATH 1024
/* root_cause is at most this many bytes */
#define ANALYZE_MAX_ROOT_CAUSE 4000

/*
 * The built-in analyzer's confidences, from the evidence (see
 * analyze_builtin()). The default auto-fix threshold of a repository,
 * SERVE_DEFAULT_THRESHOLD of serve/config.h, is 0.8: only the first two reach it.
 */
#define ANALYZE_CONF_REPRODUCED 0.9       /* every failing test failed here on every run */
#define ANALYZE_CONF_REPRODUCED_FRAMES 0.95 /* ... and the tracebacks name project code */
#define ANALYZE_CONF_UNVERIFIED 0.6       /* tests fail in the log, not reproduced yet (repro NULL) */
#define ANALYZE_CONF_PARTIAL 0.6          /* some reproduced, others flaky or not reproduced */
#define ANALYZE_CONF_FLAKY 0.4            /* failed here only on some runs */
#define ANALYZE_CONF_NOT_REPRODUCED 0.2   /* passed here: the environment, not the code? */
#define ANALYZE_CONF_NO_TEST 0.1          /* no failing test in the log: lint, build, ... */
/* estimated_complexity of a test failure: "low" up to these, "medium" up to the next, else "high" */
#define ANALYZE_LOW_FILES 1
#define ANALYZE_LOW_TESTS 2
#define ANALYZE_MEDIUM_FILES 3
#define ANALYZE_MEDIUM_TESTS 10

/* a model's reply longer than this is refused (ERR_LIMIT) */
#define ANALYZE_REPLY_MAX (64u * 1024)
/* the reply the model may write, in tokens */
#define ANALYZE_LLM_MAX_TOKENS 1024
/* the failing tests listed in a prompt (the first one also with its code) */
#define ANALYZE_PROMPT_MAX_TESTS 20
/* bytes of a listed test's message in a prompt */
#define ANALYZE_PROMPT_MESSAGE 300

/* which webhook event names the check: a check run is the Actions job of the same id */
enum analyze_source {
	ANALYZE_CHECK_RUN,
	ANALYZE_CHECK_SUITE,
	ANALYZE_WORKFLOW_RUN,
};

/* what kind of failure a log shows; ANALYZE_TESTS when pytest reported failing tests */
enum analyze_category {
	ANALYZE_TESTS = 0,
	ANALYZE_FLAKY,          /* only analyze_builtin() concludes this, from reproduction */
	ANALYZE_LINT,           /* flake8, pyflakes, pylint, ruff, mypy, black, isort */
	ANALYZE_BUILD,          /* pip / uv / poetry install, a wheel or a compiler failing */
	ANALYZE_NETWORK,        /* connection refused, DNS, timeouts fetching something */
	ANALYZE_TIMEOUT,        /* the job ran out of time or was cancelled */
	ANALYZE_UNKNOWN,
};
/*
 * The names of the categories, in the enum's order: the words of
 * analysis.category, the words a model must use, and what the dashboard
 * counts.
 */
#define ANALYZE_CATEGORY_NAMES { "test_failure", "flaky_test", "lint", "build", "network", \
				 "timeout", "unknown" }
#define ANALYZE_COMPLEXITY_NAMES { "low", "medium", "high" }

struct analyze_evidence {
	struct test_result tests;       /* the failing tests pytest reported in the log */
	enum analyze_category category; /* ANALYZE_TESTS when tests.nr_failures, else what the log shows */
	char *signal;                   /* the first line that showed `category` (cleaned), or NULL */
	char *excerpt;                  /* the cleaned log, cut to ANALYZE_EXCERPT_MAX; never NULL */
	size_t log_size;                /* bytes of the log as fetched */
};
#define ANALYZE_EVIDENCE_INIT { TEST_RESULT_INIT, ANALYZE_UNKNOWN, NULL, NULL, 0 }
void analyze_evidence_release(struct analyze_evidence *ev);

/* the caller's reproduction of the failing tests (in a clone), as counts of tests */
struct analyze_repro {
	size_t reproduced;      /* failed here on every run */
	size_t flaky;           /* failed here on some runs only */
	size_t not_reproduced;  /* passed here, or could not be run */
};

struct analysis {
	char *root_cause;
	char *category;                 /* one of ANALYZE_CATEGORY_NAMES */
	double confidence;              /* 0..1 */
	int auto_fixable;
	struct strvec files_to_modify;  /* relative to the repository, no "..", no duplicates */
	char *estimated_complexity;     /* "low", "medium" or "high" */
	char *source;                   /* "builtin" or "llm:<model>" */
	long prompt_tokens, completion_tokens;  /* what the model counted; 0 for builtin */
};
#define ANALYSIS_INIT { NULL, NULL, 0.0, 0, STRVEC_INIT, NULL, NULL, 0, 0 }
void analysis_release(struct analysis *a);

struct github;
struct llm_provider;

/*
 * Append the log of a failed check to `out`: for ANALYZE_CHECK_RUN the
 * job of id `id` (github_job_log()); for ANALYZE_WORKFLOW_RUN the logs of
 * run `id`'s failed jobs (github_run_logs(), its latest attempt); for
 * ANALYZE_CHECK_SUITE those of the workflow run of suite `id`
 * (github_suite_run()). `repository` is "owner/name". ERR_USAGE for a bad
 * repository, kind or id; otherwise the errors of github/github.h (so
 * ERR_NOTFOUND for a run without a failed job or a suite without a run).
 * On error `out` is as it was.
 */
int analyze_fetch_log(struct buf *out, struct github *gh, const char *repository,
		      enum analyze_source kind, unsigned long long id);

/*
 * Read the evidence out of a log (one job's, or a run's as
 * analyze_fetch_log() gives it) into `out`, which is initialised here: the
 * failing tests (runner/cilog.h's cilog_failures()), their texts redacted,
 * their frames read again under pytest's "rootdir:" when the log prints
 * one (so that a native traceback's absolute paths count as the project's);
 * when there is none, the category the log's lines show (ANALYZE_TIMEOUT
 * before ANALYZE_NETWORK before ANALYZE_BUILD before ANALYZE_LINT, since an
 * install that cannot reach the index fails as a build does) and the first
 * line that showed it; and an excerpt of the cleaned log (cilog_clean():
 * no timestamps or ANSI codes, valid UTF-8, no NUL bytes), redacted: all
 * of it when it fits in ANALYZE_EXCERPT_MAX bytes, else its head, the part
 * around the evidence (pytest's FAILURES or short summary, or the signal
 * line) and its tail, in whole lines where it can, with a note of what was
 * left out. ERR_LIMIT for a log over CILOG_MAX_SIZE, ERR_INTERRUPTED;
 * `out` is then empty (but released safely).
 */
int analyze_log(struct analyze_evidence *out, const char *log, size_t len);

/*
 * The analysis by rules, into `out` (initialised here), source "builtin":
 *   - no failing test in the log: the log's category, not auto-fixable,
 *     ANALYZE_CONF_NO_TEST, the signal line as the root cause;
 *   - failing tests, `repro` NULL (not reproduced yet) or all zero:
 *     ANALYZE_CONF_UNVERIFIED, auto-fixable;
 *   - every one reproduced deterministically: ANALYZE_CONF_REPRODUCED, or
 *     ANALYZE_CONF_REPRODUCED_FRAMES when the tracebacks name project
 *     code, auto-fixable;
 *   - some reproduced, some flaky or not: ANALYZE_CONF_PARTIAL, auto-fixable;
 *   - none reproduced, some flaky: "flaky_test", ANALYZE_CONF_FLAKY,
 *     auto-fixable (the threshold stops it unless set that low);
 *   - none reproduced, none flaky: ANALYZE_CONF_NOT_REPRODUCED, not
 *     auto-fixable (no fix could be verified here).
 * files_to_modify: the project files of the failing tests' traceback
 * frames, deepest first, test files (edit/guard.h) left out, at most
 * ANALYZE_MAX_FILES. estimated_complexity from the counts of files and
 * tests (ANALYZE_LOW_*, ANALYZE_MEDIUM_*); lint "low", build and network
 * "medium", timeout and unknown "high".
 */
void analyze_builtin(struct analysis *out, const struct analyze_evidence *ev,
		     const struct analyze_repro *repro);

/*
 * The analysis by a model, into `out` (initialised here): one request to
 * `provider` (llm/llm.h, temperature 0, at most ANALYZE_LLM_MAX_TOKENS),
 * whose prompt carries the excerpt, the failing tests (up to
 * ANALYZE_PROMPT_MAX_TESTS) and, for the first one, its traceback and the
 * code of its project frames read from `root` (the clone; NULL: no code),
 * as engine/prompt.h bounds them; the reply is read by
 * analyze_reply_parse(), source "llm:<model as the server named it>". The
 * token counts are set in `out` also when the reply is refused. Errors:
 * ERR_USAGE without a provider; llm_complete()'s, and
 * analyze_reply_parse()'s (ERR_PARSE, ERR_LIMIT), prefixed "the model's
 * analysis: "; `out` then holds only the counts.
 */
int analyze_llm(struct analysis *out, struct llm_provider *provider,
		const struct analyze_evidence *ev, const char *root);

/*
 * Read a model's reply strictly into `out` (initialised here; source left
 * NULL): exactly one JSON object, alone or in one ```json (or ```) fenced
 * block, nothing but blanks around it, no duplicate keys, with exactly the
 * fields root_cause (a non-empty string up to ANALYZE_MAX_ROOT_CAUSE bytes,
 * no control characters but newlines and tabs), category (one of
 * ANALYZE_CATEGORY_NAMES), confidence (a number from 0 to 1), auto_fixable
 * (true or false), files_to_modify (a list of up to ANALYZE_MAX_FILES
 * relative paths: no leading '/' or '~', no '\\', no ".." or empty
 * component, no control character, a leading "./" dropped, duplicates
 * dropped) and estimated_complexity (low, medium or high). ERR_PARSE
 * naming the field and what is wrong with it; a reply with a NUL byte or
 * invalid UTF-8 is refused as a whole; ERR_LIMIT over ANALYZE_REPLY_MAX.
 * On error `out` is empty.
 */
int analyze_reply_parse(struct analysis *out, const char *reply, size_t len);

/*
 * The analysis as a JSON object {"root_cause", "category", "confidence",
 * "auto_fixable", "files_to_modify", "estimated_complexity", "source",
 * and "prompt_tokens", "completion_tokens" when a model was asked} into
 * *out (a new reference, the caller's). Missing strings are null.
 */
int analysis_to_json(json_t **out, const struct analysis *a);

/* 1 when the analysis says fix it: auto-fixable, with a confidence at or above `threshold` */
int analysis_auto_fix(const struct analysis *a, double threshold);

/* the name of a category (ANALYZE_CATEGORY_NAMES; static) */
const char *analyze_category_name(enum analyze_category c);

#endif
