/*
 * bench/cilog_scale.py's driver: read the CI log at argv[1] as reproduce
 * does (cleaned for the report, then read for pytest's failures) and print
 * "<failures> failures, <passed> passed" or the error. Exit 0, or 1 on error.
 */
#include "runner/cilog.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/sig.h"

#include <stdio.h>

int main(int argc, char **argv)
{
	struct buf log = BUF_INIT, clean = BUF_INIT;
	struct test_result res = TEST_RESULT_INIT;
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: bench_cilog LOG\n");
		return 2;
	}
	sig_install();
	if ((err = fs_read_file(&log, argv[1], CILOG_MAX_SIZE)) == 0 &&
	    (err = cilog_clean(&clean, log.ptr, log.len)) == 0 &&
	    (err = cilog_failures(&res, log.ptr, log.len)) == 0)
		printf("%zu failures, %zu passed\n", res.nr_failures, res.summary.passed);
	else
		fprintf(stderr, "bench_cilog: %s\n", error_last());
	test_result_release(&res);
	buf_release(&clean);
	buf_release(&log);
	return err ? 1 : 0;
}
