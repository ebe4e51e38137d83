#ifndef GEN_TRUST_H
#define GEN_TRUST_H

#include "util/buf.h"
#include "util/strvec.h"

#include <stddef.h>

/*
 * The gates a generated test passes before it is kept (issue 17, Meta's
 * TestGen-LLM rule): it passes GEN_TRUST_RUNS runs in a row alone and as
 * many in a shuffled order within its file, each within a time limit
 * derived from its first run, and it has an assertion that can fail (no
 * `assert x == x`, no `assert True`, no bare call). Adding coverage or
 * killing a mutant is judged by the search (gen/search.h) for its own
 * tests.
 *
 * Ownership: reasons are pushed onto the caller's strvec.
 */

#define GEN_TRUST_LIMIT_FLOOR 1.0     /* seconds: a test's limit is never below this */
#define GEN_TRUST_LIMIT_FACTOR 10.0   /* ... else this many times its first run */

struct pytest_choice;

struct gen_trust_options {
	const char *root;              /* the directory the tests run in (a private copy) */
	const char *venv_root;         /* where to look for .venv/venv; NULL: root */
	const char *pytest_cmd;        /* NULL: search */
	struct pytest_choice *choice;  /* may be NULL */
	const char *file;              /* the generated file, relative to root */
	const struct strvec *ids;      /* test ids within the file ("test_f[1-2]") */
	int runs;                      /* runs of each kind */
	unsigned long seed;            /* the shuffled runs' seeds: seed, seed + 1, ... */
	const char *coverage_file;     /* NULL, or the first run records the per-test coverage map there */
	/*
	 * NULL, or the failures of the file's other tests (not in `ids`) in the
	 * first and shuffled runs go here: "ID failed in shuffled run 2 of 5
	 * (order seed 3): AssertionError: ..."; the file then also runs once in
	 * reverse order, so that tests added at its end run before the others
	 * at least once (what they leave behind meets the others).
	 */
	struct strvec *others;
};

/*
 * Run the gates: `reasons` gets one entry per id, "" for a test that
 * passed them all, else why not ("failed in shuffled run 3 of 5 (order
 * seed 4): AssertionError: ..."). Returns 0 when the runs could be made
 * (whatever they said), ERR_INTERRUPTED, or the runner's error.
 */
int gen_trust_run(struct strvec *reasons, const struct gen_trust_options *o);

/*
 * The static gate: for each test function of the Python source <text, len>
 * with no assertion that can fail, its name onto `names` and why onto
 * `reasons` ("no assertion", "asserts a constant", "compares a value with
 * itself").
 */
void gen_trust_assertions(struct strvec *names, struct strvec *reasons, const char *text, size_t len);

#endif
