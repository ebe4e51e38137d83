#ifndef FIX_BEHAVIOUR_H
#define FIX_BEHAVIOUR_H

#include "edit/change.h"
#include "util/buf.h"
#include "util/strvec.h"

#include <stddef.h>

/*
 * Fixes checked beyond the tests (issue 17, as Xiong et al., ICSE 2018,
 * "Identifying Patch Correctness in Test-Based Program Repair"): a change
 * that passed every gate is run against calls generated on the original
 * code (gen/behaviour.h) for the functions it touches; a call that ends
 * otherwise on the changed code is a behaviour change, unless it went
 * through the change as a failing test did: its behaviour is meant to
 * change. As Xiong et al. tell the generated tests that behave like the
 * failing ones by their execution traces, a call counts as the failing
 * tests' when, on the original code, it ran the same lines of the change's
 * region as a test failing at baseline (any of the session's, from the
 * per-test coverage map), or when its expression is written in a failing
 * test's function (compared without whitespace, quotes made alike). The
 * region: the changed statements, and for a changed condition (if, elif,
 * while, for) the lines it decides between; the touched functions' lines
 * when a def header changes. A bug on the common path is thus fixed by a
 * change that alters many calls, all of them on the failing tests' way
 * through it, while a change that makes another branch decide otherwise
 * than the failing tests saw alters calls that count.
 *
 * The functions a change touches: those of the original file whose lines
 * it changes (changed lines -> enclosing public functions and methods),
 * and for a private helper, the public functions of its module that call
 * it. Test files and files that are not Python are not checked.
 *
 * Calls are generated once per module text and function set in a session (the
 * cache), in a private copy of the original code.
 *
 * Ownership: a behaviour_verdict owns its strings (behaviour_verdict_release());
 * the cache owns its samples (behaviour_cache_free()).
 */

/*
 * By default for the built-in engine, within an allowance of time: on the
 * bug corpus (bench/fix_corpus.py) it picks the intended fix exactly as
 * often as no check, 40 of 55 (bench/README.md), for about 0.6 s a fix.
 */
#define FIX_BEHAVIOUR_BY_DEFAULT 1
#define FIX_BEHAVIOUR_SHARE 0.25           /* of the session's time, when by default, at most */
#define FIX_BEHAVIOUR_FLOOR 4.0            /* ... but a short session may spend this much */
#define FIX_BEHAVIOUR_SAMPLE_BUDGET 8.0    /* seconds generating calls for a function set */
#define FIX_BEHAVIOUR_MIN_BUDGET 2.0       /* less than this left for it: skipped */
#define FIX_BEHAVIOUR_COMPARE_LIMIT 30.0   /* seconds for the calls on one changed module */
#define FIX_BEHAVIOUR_MAX_CASES 10         /* changed calls kept in a verdict */
#define FIX_BEHAVIOUR_SEED 1
/* batches of candidates validated past a winner that changes behaviour, looking for a better one */
#define FIX_BEHAVIOUR_MORE_BATCHES 3

struct pytest_choice;
struct coverage_map;

struct behaviour_case {
	char *call, *before, *after;
};

struct behaviour_verdict {
	int ran;                     /* the check ran (else `skipped` says why, or nothing to check) */
	size_t checked;              /* generated calls run on the changed code */
	size_t changed;              /* ... that ended otherwise (not counting the excluded) */
	size_t excluded;             /* calls that ended otherwise, written in a failing test */
	struct strvec functions;     /* the functions checked (module:qualname) */
	struct behaviour_case *cases;  /* the first FIX_BEHAVIOUR_MAX_CASES changed calls */
	size_t nr_cases;
	char *skipped;               /* why it was not checked, or NULL */
	double seconds;
};
void behaviour_verdict_init(struct behaviour_verdict *v);
void behaviour_verdict_release(struct behaviour_verdict *v);
/* what an attempt stores (store.h attempt_row.behaviour): a JSON object's text; NULL when nothing to say */
char *behaviour_verdict_json(const struct behaviour_verdict *v);

struct behaviour_cache;
struct behaviour_cache *behaviour_cache_new(void);
void behaviour_cache_free(struct behaviour_cache *c);

struct behaviour_options {
	const char *workdir;         /* the original code (a work directory, the change not applied) */
	const char *venv_root;       /* the user's project, for its .venv */
	const char *pytest_cmd;
	struct pytest_choice *choice;
	const struct strvec *targets;  /* the failing tests' node ids */
	const struct coverage_map *coverage;  /* the baseline's per-test lines; may be NULL */
	double sample_budget;        /* seconds to generate calls for a new function set */
};

/*
 * Check change `c`. 0 with the verdict in `out` (ran 0 and `skipped` when
 * there was nothing to check or the calls could not be made: the change
 * is not held against), ERR_INTERRUPTED on Ctrl-C.
 */
int behaviour_check(struct behaviour_verdict *out, struct behaviour_cache *cache, const struct change *c,
		    const struct behaviour_options *o);
/*
 * The seconds a check by default (not forced) may spend generating calls
 * for a new function set, `elapsed` seconds into the session (counted up to
 * a group's time budget `group_budget` when > 0) with `spent` on checks
 * already: what is left of its allowance, FIX_BEHAVIOUR_SHARE of the
 * session's time but at least FIX_BEHAVIOUR_FLOOR (into `allowed`), at
 * most FIX_BEHAVIOUR_SAMPLE_BUDGET; 0 under FIX_BEHAVIOUR_MIN_BUDGET.
 */
double behaviour_allowance(double elapsed, double spent, double group_budget, double *allowed);
/* 1 when `o`'s function sets for `c` are all in the cache: a check costs only its compare */
int behaviour_cached(struct behaviour_cache *cache, const struct change *c, const char *workdir);

/*
 * A failing test's own code, as the exclusion compares it: whitespace
 * dropped, double quotes as single ones. `expr` is a call's expression,
 * `test` a test function's text, both normalised here.
 */
int behaviour_in_test(const char *expr, const char *test);

#endif
