#ifndef RUNNER_GENERIC_H
#define RUNNER_GENERIC_H

#include "runner/result.h"

/*
 * Any test runner that writes JUnit XML: `--test-cmd "CMD" --junit-xml PATH`.
 * CMD is split into words (shell quoting, no expansion) and run without a
 * shell in `root`, bounded by `timeout_ms`. A report already at the path is
 * removed first (only a regular file; anything else is ERR_USAGE). The
 * report must then be written by this run, and must explain how CMD ended:
 * a CMD killed by a signal, or exiting non-zero with no failure in its
 * report, is an error.
 */
#define GENERIC_DEFAULT_TIMEOUT_MS (60 * 60 * 1000)

struct generic_options {
	const char *root;        /* NULL: current directory */
	const char *command;
	const char *junit_path;  /* relative to root */
	int timeout_ms;
};
#define GENERIC_OPTIONS_INIT { NULL, NULL, NULL, GENERIC_DEFAULT_TIMEOUT_MS }

/* 0 with `out` filled; ERR_USAGE for a bad command; other codes as pytest_run() */
int generic_run(struct test_result *out, const struct generic_options *opts);

#endif
