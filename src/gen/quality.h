#ifndef GEN_QUALITY_H
#define GEN_QUALITY_H

#include "util/buf.h"
#include "util/strvec.h"

/*
 * How good a generated suite is (issue 17's quality report): line and
 * branch coverage of the module by the project's tests before and after
 * the generated file, measured by coverage.py (Debian's python3-coverage)
 * run with the project's own Python, and the Markdown report of a run.
 *
 * Ownership: gen_coverage owns `why`; gen_coverage_release() frees it.
 */

#define GEN_COVERAGE_TIMEOUT 300.0   /* seconds for each coverage run of the suite */

struct gen_coverage_figures {
	int measured;
	size_t statements, covered, branches, covered_branches;
};

struct gen_coverage {
	struct gen_coverage_figures before, after;
	char *why;                    /* not measured: why ("python3-coverage is not installed ...") */
};

struct pytest_choice;

struct gen_coverage_options {
	const char *root;             /* the directory the tests run in (a private copy) */
	const char *venv_root;
	const char *pytest_cmd;       /* NULL: search */
	struct pytest_choice *choice;
	const char *module;           /* relative to root */
	const char *generated;        /* the generated file, relative to root */
	double timeout;               /* each run; 0: GEN_COVERAGE_TIMEOUT */
};

/*
 * Measure: the project's tests without the generated file ("before"),
 * the generated file alone, and both combined ("after"). 0 when measured
 * or when it cannot be (then `why` says so, nothing is an error: the report
 * says it), ERR_INTERRUPTED on SIGINT/SIGTERM.
 */
int gen_coverage_measure(struct gen_coverage *out, const struct gen_coverage_options *o);
void gen_coverage_release(struct gen_coverage *c);

/* "83% (25 of 30)" */
void gen_coverage_percent(struct buf *out, size_t part, size_t whole);

#endif
