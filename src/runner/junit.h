#ifndef RUNNER_JUNIT_H
#define RUNNER_JUNIT_H

#include "runner/result.h"

#include <stddef.h>

/*
 * The JUnit XML reader, for runners other than our pytest plugin
 * (`--test-cmd CMD --junit-xml PATH`). libxml2 is used here and nowhere else.
 *
 * Understood: <testsuites> or a bare <testsuite> (suites may nest), and in a
 * <testcase> the <failure>, <error>, <skipped>, <system-out> and <system-err>
 * children, with pytest's conventions (xunit1 and xunit2, collection errors,
 * setup/teardown errors, xfail) and other runners' (Java, Go: the id is then
 * "classname::name" with no file). See junit.c for how ids are rebuilt.
 *
 * The report is never trusted: no network, no DTD loading, and documents
 * that declare entities are refused, so nothing is ever expanded or fetched.
 */

/* reports larger than this are refused (ERR_LIMIT) */
#define JUNIT_MAX_SIZE (512u * 1024 * 1024)
/* <testsuite> nested deeper than this is refused (ERR_PARSE) */
#define JUNIT_MAX_DEPTH 64
/*
 * What a plausible test report stays within; past any of these the report
 * is refused (ERR_PARSE, "'x.xml' is not a plausible test report: ...")
 * before libxml2 spends time on it: attributes on one element, nesting of
 * elements, <testcase> elements.
 */
#define JUNIT_MAX_ATTRIBUTES 256u
#define JUNIT_MAX_ELEMENT_DEPTH 256u
#define JUNIT_MAX_TESTCASES 1000000u
/* bytes scanned between two looks at a pending signal */
#define JUNIT_SIGNAL_STRIDE (1024u * 1024)
/* file-system probes spent rebuilding one test file from a dotted classname */
#define JUNIT_RESOLVE_PROBES 256

/*
 * Add what the report at `path` says to `out` (initialised by the caller):
 * the summary counts are added to, and one failure is appended per failing
 * test case, so several reports can be read into one result. `root` is the
 * project root (absolute; may be NULL), used to find test files for dotted
 * classnames and to make paths relative. The result owns everything added.
 *
 * Returns 0; ERR_NOTFOUND for a missing file; ERR_USAGE for a path that is
 * not a regular file; ERR_LIMIT past JUNIT_MAX_SIZE; ERR_PARSE for malformed
 * XML ("cannot parse 'report.xml': line 3: ..."), an empty file, a document
 * that is not JUnit or not a plausible test report (the caps above);
 * ERR_INTERRUPTED as soon as a signal is pending (util/sig.h). On error
 * `out` is unchanged.
 */
int junit_parse_file(struct test_result *out, const char *path, const char *root);
/* the same for a report in memory; `name` stands for it in error messages */
int junit_parse_memory(struct test_result *out, const char *data, size_t len,
		       const char *name, const char *root);

#endif
