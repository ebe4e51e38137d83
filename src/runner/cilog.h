#ifndef RUNNER_CILOG_H
#define RUNNER_CILOG_H

#include "runner/result.h"
#include "util/buf.h"

#include <stddef.h>

/*
 * GitHub Actions logs (SPEC C9): cleaning one for display or for a prompt,
 * and reading pytest's failures out of it. Both accept a log as GitHub
 * serves it for one job ("2024-05-01T12:34:56.1234567Z text") or as a
 * downloaded run log, where every line starts with two tab-separated
 * columns, the job and the step ("build (3.11)\tRun tests\t2024-...Z text"),
 * and the lines of several jobs may be interleaved. A log is taken to be of
 * the second kind when its first non-empty line has such a prefix.
 *
 * Everything written goes into the caller's `out`; nothing else is kept.
 */

/* logs larger than this are refused with ERR_LIMIT */
#define CILOG_MAX_SIZE (256u * 1024 * 1024)
/* longer lines are cut to this many bytes */
#define CILOG_MAX_LINE (64u * 1024)
/* the longest job/step column taken as a job prefix */
#define CILOG_MAX_PREFIX 256u
/*
 * A safety net: reading a log is linear in its size (no pattern
 * backtracks, every line is looked at a fixed number of times), and a line
 * whose match takes more than this many PCRE2 steps (or nests deeper) is
 * an ERR_LIMIT naming the line rather than a hang.
 */
#define CILOG_MATCH_LIMIT 1000000u
#define CILOG_DEPTH_LIMIT 10000u

/*
 * Append a cleaned copy of <log, len> to `out`: without the UTF-8 BOM,
 * the leading timestamps, ANSI escape sequences, "##[endgroup]" lines and
 * the "##[group]", "##[error]", "##[warning]", "##[notice]", "##[debug]"
 * and "##[command]" markers (their text stays); invalid UTF-8 becomes
 * U+FFFD. Job prefixes stay. Lines end with "\n". ERR_LIMIT for a log
 * over CILOG_MAX_SIZE or when `out` reaches its cap; ERR_INTERRUPTED as
 * soon as a signal is pending (util/sig.h).
 */
int cilog_clean(struct buf *out, const char *log, size_t len);

/*
 * Add to `out` the failing tests that pytest reported in <log, len> (raw or
 * cleaned): its short summary's "FAILED id - Type: message" (kind failure)
 * and "ERROR id - ..." lines (kind error; collection_error when the id has
 * no "::"), one failure per node id (the first report wins). When pytest
 * printed the test's long report ("____ test_y ____"), its frames, location
 * and traceback text come from there (from the same job when several jobs
 * report the test), and so does the error type when the summary line does
 * not name it; a bare "assert ..." message is an AssertionError.
 * summary.failed and summary.errors count the failures added; passed,
 * skipped, xfailed and xpassed are summed over pytest's final "N failed,
 * M passed in 1.2s" lines of all jobs; total is their sum. Returns 0, also
 * when nothing was recognised (out then has no failures); ERR_LIMIT for a
 * log over CILOG_MAX_SIZE; ERR_INTERRUPTED as soon as a signal is pending
 * (what was read so far stays in `out`).
 */
int cilog_failures(struct test_result *out, const char *log, size_t len);

#endif
