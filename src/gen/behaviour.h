#ifndef GEN_BEHAVIOUR_H
#define GEN_BEHAVIOUR_H

#include "util/strvec.h"

#include <stddef.h>

/*
 * Behaviour samples (issue 17, "fixes checked beyond the tests", after
 * Xiong et al., ICSE 2018): calls of some functions of one module, built
 * as the generator builds them (gen/search.h), run on the original code in
 * a warm worker's sandboxed child (runner/probe.h) in a private copy of the
 * project, and kept with what they did. A changed text of the module is
 * then run as a mutant of it, in a child of the same worker: the calls
 * that end otherwise on it are the change's behaviour changes.
 *
 * Functions that reach process, file-deletion or network calls are never
 * called (gen_callable() without --allow-side-effects).
 *
 * Ownership: a gen_behaviour holds its copy of the project and its worker
 * until gen_behaviour_free(); gen_behaviour_diffs own their strings.
 */

#define GEN_BEHAVIOUR_PER_FUNCTION 30   /* calls kept per function, at most */
#define GEN_BEHAVIOUR_ROUNDS 4          /* rounds of sampling, at most */
#define GEN_BEHAVIOUR_CALL_LIMIT 0.5    /* seconds per call */

struct pytest_choice;

struct gen_behaviour_options {
	const char *root;              /* a directory holding the original code: copied, never written */
	const char *venv_root;         /* the user's project, for its .venv; NULL: root */
	const char *module;            /* the module's path, relative to root */
	const struct strvec *functions;  /* qualnames ("f", "Class.m") to call; NULL: every public one */
	double time_budget;            /* seconds for the sampling */
	unsigned long seed;
	const char *pytest_cmd;        /* NULL: search (runner/pytest.h) */
	struct pytest_choice *choice;  /* may be NULL */
};

struct gen_behaviour;

/*
 * Sample: 0 with `out` set (maybe with no call: nothing callable), an
 * error when the module cannot be read, parsed, copied or imported,
 * ERR_INTERRUPTED on SIGINT/SIGTERM.
 */
int gen_behaviour_sample(struct gen_behaviour **out, const struct gen_behaviour_options *o);
void gen_behaviour_free(struct gen_behaviour *b);
/* the calls kept, and the functions they call (qualnames, borrowed) */
size_t gen_behaviour_count(const struct gen_behaviour *b);
const struct strvec *gen_behaviour_functions(const struct gen_behaviour *b);
/* the worker let go (started again when needed): a cache keeps one running */
void gen_behaviour_idle(struct gen_behaviour *b);

struct gen_behaviour_diff {
	char *call;      /* the call as a test writes it: setup statements, then the expression */
	char *before;    /* what it did on the original: a repr, "raised TYPE" */
	char *after;     /* ... and on the changed text: a repr, "raised TYPE", "timeout", "error" */
	int *lines;      /* the lines of the module it ran on the original, ascending */
	size_t nlines;
};
struct gen_behaviour_diffs {
	struct gen_behaviour_diff *items;
	size_t nr;
	size_t checked;  /* calls compared */
};
void gen_behaviour_diffs_release(struct gen_behaviour_diffs *d);

/*
 * Run the calls on `source` (the module's whole changed text) in place of
 * the module: `out` gets the calls that end otherwise, in call order. A
 * text that does not compile or whose module code raises is an error
 * naming why; so is a probe that cannot run within `limit` seconds.
 */
int gen_behaviour_compare(struct gen_behaviour_diffs *out, struct gen_behaviour *b, const char *source,
			  size_t len, double limit);

/*
 * The compare's results (what the probe's child wrote, any text) for
 * `calls`: the calls the mutant line names, their outcomes before (from
 * `calls`) and after; `checked` counts the calls' own lines that ended
 * comparably. An "error" line, a mutant that could not run, or no mutant
 * line at all is an error naming why (`out` left empty).
 */
struct gen_calls;
int gen_behaviour_parse(struct gen_behaviour_diffs *out, const struct gen_calls *calls, const char *text,
			size_t len);

#endif
