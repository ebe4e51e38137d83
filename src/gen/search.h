#ifndef GEN_SEARCH_H
#define GEN_SEARCH_H

#include "gen/facts.h"
#include "util/buf.h"
#include "util/strvec.h"

#include <stddef.h>
#include <stdint.h>

/*
 * The built-in generator's search (issue 17, as Pynguin's, without a
 * model): calls of a module's functions built from the evidence of
 * gen/facts.h, sampled with a seeded generator (same seed, same calls),
 * run by the probe (runner/probe.h), and judged by what they add: new
 * lines or branches of the module, a new outcome (an exception type), or
 * a mutant of the module they tell apart.
 *
 * A call is Python text: setup statements and one expression, in the
 * module's namespace, exactly as the generated test will write it.
 *
 * Ownership: a gen_calls owns its calls and every string in them;
 * gen_calls_release() frees them.
 */

enum gen_outcome {
	GEN_OUT_NONE,       /* not run yet */
	GEN_OUT_VALUE,
	GEN_OUT_RAISED,
	GEN_OUT_TIMEOUT,
	GEN_OUT_UNSTABLE,   /* repeated runs disagreed: nondeterministic */
	GEN_OUT_ERROR,      /* the call text itself is broken */
	GEN_OUT_CRASHED,    /* the probe died during it (a hang in C code, a crash) */
};

struct gen_call {
	int function;            /* index in gen_facts.functions */
	struct strvec args;      /* one text per parameter of the function ("" : left to its default) */
	struct strvec setup;     /* statements before the expression */
	char *expr;              /* the expression */
	char *observe;           /* the setup variable whose state is observed, or NULL */
	int chained;             /* the expression calls what the function returned (a closure) */
	enum gen_outcome outcome;
	char *repr;              /* VALUE: repr of the result */
	int literal;             /* VALUE: repr is a literal giving back the value */
	char *type;              /* VALUE: type name; RAISED: exception type */
	char *type_module;       /* RAISED: the exception type's module */
	char *message;           /* RAISED: its message; ERROR/UNSTABLE: why */
	struct strvec attr_names, attr_values;   /* VALUE not literal: public state */
	struct strvec obs_names, obs_values;     /* the observed variable's state after */
	uint64_t *cover;         /* lines (n) and arcs (a << 32 | b, offset) of the module, sorted */
	size_t ncover;
	int *kills;              /* mutants it tells apart */
	size_t nkills, kills_alloc;
	double seconds;
	int kept;
};

struct gen_calls {
	struct gen_call *items;
	size_t nr, alloc;
};
#define GEN_CALLS_INIT { NULL, 0, 0 }

void gen_calls_release(struct gen_calls *c);

/* a seeded generator (splitmix64): the same seed gives the same calls */
struct gen_rng {
	uint64_t state;
};
void gen_rng_seed(struct gen_rng *r, uint64_t seed);
uint64_t gen_rng_next(struct gen_rng *r);
/* uniform in [0, n) (n > 0) */
size_t gen_rng_below(struct gen_rng *r, size_t n);

/*
 * Value pools: the texts to try for each parameter, from its default,
 * annotation, uses, name and the literals of the body, plus values other
 * calls returned (gen_pools_learn). One pool per function and parameter.
 */
struct gen_pools;
struct gen_pools *gen_pools_new(const struct gen_facts *f);
void gen_pools_free(struct gen_pools *p);
/* the texts to try for parameter `param` of function `function` (borrowed from `p`); NULL: no such one */
const struct strvec *gen_pools_values(const struct gen_pools *p, size_t function, size_t param);
/* add the literal results of `calls` to the pools of parameters of their type */
void gen_pools_learn(struct gen_pools *p, const struct gen_facts *f, const struct gen_calls *calls);

/*
 * Append up to `n` new calls of function `fi` (none already in `calls`,
 * compared by their text). Doctest examples first, then a call with every
 * default, then samples. Returns how many were added.
 */
size_t gen_sample(struct gen_calls *calls, const struct gen_facts *f, struct gen_pools *p,
		  size_t fi, size_t n, struct gen_rng *rng);

/* 1 if function `fi` can be called by a generated test (not private, async, abstract, ...); else 0 and why */
int gen_callable(const struct gen_facts *f, size_t fi, int allow_side_effects, struct buf *why);

/*
 * The probe's spec (runner/probe.h) for calls [from, to) of `calls` and,
 * when `mutants` is given, those mutant sources, written as JSON to `path`.
 * `lines`, when given, holds for each mutant the first and last line it
 * changes (0, 0: any call may see it): only the calls whose lines reach
 * that range run on it.
 */
/* the probe child's resource limits (runner/probe.h) */
#define GEN_PROBE_CPU_SECONDS 300
#define GEN_PROBE_MEMORY (4ull << 30)
#define GEN_PROBE_FILE_SIZE (64ull << 20)
#define GEN_PROBE_PROCESSES 4096
struct gen_probe_options {
	const char *module;      /* the module's path, relative to the work directory */
	const char *scratch;     /* HOME and TMPDIR of the calls */
	double call_limit;
	int repeat;
};
int gen_probe_spec(const char *path, const struct gen_probe_options *o, const struct gen_calls *calls,
		   size_t from, size_t to, const struct strvec *mutants, const int *lines);
/* 1 when call `c` ran a line in [first, last] */
int gen_call_reaches(const struct gen_call *c, int first, int last);

/*
 * Read the probe's results at `path` into `calls` (and the kills of each
 * mutant into the calls that made them). `name` and `lines` get the module's
 * importable name and executable lines when reported. A call the probe
 * started but never finished (the first without a result when the probe
 * ended early) is the one running when it died: `crashed` gets its index,
 * else -1. ERR_GENERIC naming why when the module could not be imported.
 */
struct gen_probe_info {
	char *name;              /* the module's importable name */
	struct strvec lines;     /* its executable lines (decimal texts) */
	size_t mutants_run;
	size_t *mutant_timeouts; /* per mutant: calls that timed out on it (nmutants entries) */
	int *mutant_errors;      /* per mutant: 1 when it could not be loaded */
	int *mutant_done;        /* per mutant: 1 when the probe reported it */
	size_t nmutants;
	int ended;               /* the probe wrote its end */
};
void gen_probe_info_release(struct gen_probe_info *info);
int gen_probe_read(struct gen_probe_info *info, struct gen_calls *calls, size_t from, size_t to,
		   const char *path, long *crashed);
/* the same from the text of a results file (what gen_probe_read reads) */
int gen_probe_parse(struct gen_probe_info *info, struct gen_calls *calls, size_t from, size_t to,
		    const char *text, size_t len, long *crashed);
/* a new call at the end of `calls` (what gen_sample adds), zeroed, its vectors initialised */
struct gen_call *gen_calls_add(struct gen_calls *calls);

/* 1 when call `c` has a cover element (line or arc) not in `seen`; adds them all to `seen` when `add` */
struct gen_cover_set;
struct gen_cover_set *gen_cover_set_new(void);
void gen_cover_set_free(struct gen_cover_set *s);
int gen_cover_adds(struct gen_cover_set *s, const struct gen_call *c, int add);
size_t gen_cover_lines(const struct gen_cover_set *s);

#endif
