#ifndef REPRO_INFO_H
#define REPRO_INFO_H

/*
 * info.json, the input of `pytest-fixer reproduce` (C9, seed 002):
 *
 *   {"deterministic": true, "prompt": "...", "url": "https://github.com/o/r/actions/runs/1",
 *    "raw-logs": "log text or a file", "existing-test-path": "tests/test_x.py"}
 *
 * "prompt" and "deterministic" are required; then either "existing-test-path",
 * or exactly one of "url" and "raw-logs" (with "existing-test-path" at most one
 * of them). A null value counts as absent. Relative paths are relative to the
 * directory holding info.json.
 *
 * The struct owns every string in it; repro_info_release() frees them.
 */

/* info.json larger than this is refused */
#define REPRO_INFO_MAX_SIZE (1024 * 1024)
/* a "raw-logs" file larger than this is refused */
#define REPRO_INFO_MAX_LOGS (256 * 1024 * 1024)

struct repro_info {
	int deterministic;        /* required boolean */
	char *prompt;             /* required, non-empty: the user's description */
	char *url;                /* a GitHub Actions run or job URL, or NULL */
	char *raw_logs;           /* the log text (read from the file when "raw-logs" names an existing file), or NULL */
	char *raw_logs_path;      /* the file it came from (resolved against info.json's directory), or NULL when given inline */
	char *existing_test_path; /* skips reproduction, or NULL; resolved against info.json's directory,
				     a "::test" suffix kept */
	/* parsed from url (NULL / 0 without one): */
	char *owner, *repo;
	long long run_id, job_id; /* job_id 0 when the URL names a run */
	long long attempt;        /* the "/attempts/N" number, 0 when absent */
	char *api_host;           /* "github.com" or a GitHub Enterprise host (lowercase, port kept) */
};

#define REPRO_INFO_INIT { 0 }

/*
 * Read and validate info.json at `path` into `out` (which need not be
 * initialised). On failure returns ERR_USAGE with a message naming the
 * field at fault and leaves `out` released (all NULL).
 */
int repro_info_load(struct repro_info *out, const char *path);
void repro_info_release(struct repro_info *info);

/*
 * Parse a GitHub Actions URL into info's owner, repo, run_id, job_id,
 * attempt and api_host. Accepted:
 * https://HOST/OWNER/REPO/actions/runs/RUN_ID[/job/JOB_ID][/attempts/N][/][?query][#fragment]
 * ERR_USAGE with a message saying what was expected otherwise.
 */
int repro_info_parse_url(struct repro_info *info, const char *url);

#endif
