#ifndef GEN_GENERATE_H
#define GEN_GENERATE_H

#include "gen/llmgen.h"
#include "gen/quality.h"
#include "gen/spec.h"
#include "util/strvec.h"

#include <stddef.h>

/*
 * `pytest-fixer generate` for one module (issue 17, SPEC C12): the
 * built-in generator. The module's facts (gen/facts.h) give calls; the
 * probe (runner/probe.h) runs them in a warm worker's sandboxed child in a
 * private copy of the project; calls that reach new lines or branches, or
 * tell a mutant of the module apart, are kept, minimised and written as a
 * pytest file (gen/emit.h); the file's tests then have to earn their place
 * (gen/trust.h) before it is written into the project.
 *
 * Ownership: gen_result owns every string it holds; gen_result_release().
 */

#define GEN_DEFAULT_TIME_BUDGET 120.0   /* seconds per module */
#define GEN_DEFAULT_SEED 1
#define GEN_DEFAULT_CALL_LIMIT 1.0      /* seconds per call in the probe */
#define GEN_MAX_MUTANTS 200             /* mutants of the module tried */
#define GEN_MAX_CALLS 4000              /* calls made in one module's search */
#define GEN_TRUST_RUNS 5                /* runs each kept test must pass (alone and shuffled) */

struct pytest_choice;

struct gen_options {
	const char *root;              /* the project's directory */
	const char *module;            /* a path ("pkg/util.py", relative to root) or a dotted name */
	const char *out;               /* the file to write, relative to root; NULL: tests/test_<mod>_generated.py */
	double time_budget;            /* seconds; 0: GEN_DEFAULT_TIME_BUDGET */
	unsigned long seed;
	int allow_side_effects;
	const char *pytest_cmd;        /* NULL: search (runner/pytest.h) */
	struct pytest_choice *choice;  /* may be NULL */
	double call_limit;             /* 0: GEN_DEFAULT_CALL_LIMIT */
	int dry_run;                   /* 1: write nothing into the project */
	/*
	 * the model's round after the built-in pass (gen/llmgen.h); NULL: none.
	 * Borrowed: the caller opens and frees the providers.
	 */
	struct llm_provider *provider;
	struct llm_provider *fallback;
	const struct gen_spec *spec;   /* the spec items to test against; may be NULL */
	long max_tokens;               /* the model's token budget per module; 0: none */
};
#define GEN_OPTIONS_INIT { NULL, NULL, NULL, 0.0, GEN_DEFAULT_SEED, 0, NULL, NULL, 0.0, 0, NULL, NULL, NULL, 0 }

struct gen_note {
	char *what;          /* a test id, a function's name */
	char *reason;
};

struct gen_operator_score {
	char *name;          /* the mutation operator (the built-in engine's template) */
	size_t killed, survived, timed_out;
};

struct gen_result {
	char *module_path;             /* relative to root */
	char *module_name;             /* importable name */
	char *out_path;                /* relative to root */
	char *text;                    /* the file written (or that would be, on a dry run) */
	size_t functions;              /* public functions and methods found */
	size_t functions_tested;       /* ... with at least one kept test */
	struct gen_note *skipped;      /* functions not called, and why */
	size_t nskipped;
	struct strvec kept;            /* node ids of the tests kept */
	struct strvec unchanged;       /* node ids of tests carried over as they were (the checklist) */
	struct gen_note *rejected;     /* tests not kept, and why */
	size_t nrejected;
	struct gen_note *findings;     /* nondeterministic or hanging functions */
	size_t nfindings;
	size_t calls_tried, calls_kept;
	size_t lines, lines_reached;   /* executable lines of the module, reached by kept calls */
	/*
	 * the written file run against each mutant (gen/mutscore.h): mutants
	 * with an outcome, then per outcome; mutants_generated: of the module;
	 * mutants_sampled: 1 when the budget cut the runs short (a seeded sample)
	 */
	size_t mutants, killed, survived, timed_out, mutant_errors;
	size_t mutants_generated;
	int mutants_sampled;
	struct gen_operator_score *operators;
	size_t noperators;
	double seconds;
	unsigned long seed;
	struct gen_coverage coverage;  /* coverage.py's figures, before and after the file */
	struct strvec decisions;       /* the audit trail: what was decided, in order */
	char *report_path;             /* the Markdown report written, relative to root; NULL: none */
	int asked_model;               /* the model's round ran: `llm` holds it */
	struct gen_llm_result llm;     /* its tests' verdicts, exchanges, tokens */
	const struct gen_spec *spec;   /* borrowed from the options; may be NULL */
};
void gen_result_release(struct gen_result *r);

/* the Markdown report of a run, appended to `out` */
void gen_report_markdown(struct buf *out, const struct gen_result *r);

/*
 * Generate. 0 when a file was written (or would be: dry run), even with no
 * test kept; ERR_USAGE for a module that is not there or not Python;
 * ERR_PARSE when it does not parse; ERR_NOTFOUND when no pytest can be
 * found; ERR_INTERRUPTED on SIGINT/SIGTERM (nothing written); another
 * negative code when the module cannot be imported or probed.
 */
int gen_module(struct gen_result *out, const struct gen_options *o);

/*
 * The project-relative path of MODULE (a path or a dotted name) under
 * `root`, into `out`; ERR_USAGE naming what was tried when there is none.
 */
struct buf;
int gen_resolve_module(struct buf *out, const char *root, const char *module);

#endif
