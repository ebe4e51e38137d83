#ifndef ENGINE_ENGINE_H
#define ENGINE_ENGINE_H

#include "edit/change.h"
#include "runner/coverage.h"
#include "runner/result.h"
#include "util/strvec.h"

#include <stddef.h>

struct llm_provider;

/*
 * Repair engines (SPEC C5): each proposes candidate changes for one
 * failure, best first. An engine is a `struct engine_ops` in the registry
 * table of engine.c; adding one is one file and one row.
 *
 * Ownership: a candidate_list owns its candidates and everything they hold
 * (the change, the template name); candidate_list_release() frees them.
 * The request and what it points to stay the caller's.
 */

/* how many candidates an engine proposes per failure unless told */
#define ENGINE_DEFAULT_MAX_CANDIDATES 60
/* the built-in engine reads no source file larger than this */
#define ENGINE_MAX_SOURCE_BYTES (2u * 1024 * 1024)
/* ... follows at most this many functions called from a failing line */
#define ENGINE_MAX_CALLEES 8
/* ... and looks through at most this many files to find their definitions */
#define ENGINE_MAX_SCAN_FILES 400
/* ... and considers at most this many raw mutations before ranking */
#define ENGINE_MAX_MUTATIONS 20000

struct candidate {
	struct change change;
	char *template_name;  /* "cmp-boundary", "add-return"; the engine's name for LLM engines */
	int frame_distance;   /* 0: at the crash location; 1: one frame out (or a callee); ... */
	size_t size;          /* bytes changed */
	double score;         /* in (0, 1]: higher is better; the list is sorted by it */
};

struct candidate_list {
	struct candidate *items;
	size_t nr, alloc;
};
#define CANDIDATE_LIST_INIT { NULL, 0, 0 }

/* a new candidate at the end of the list, zeroed, its change initialised */
struct candidate *candidate_list_add(struct candidate_list *l);
void candidate_list_release(struct candidate_list *l);

struct engine_request {
	const struct failure *failure;        /* from src/runner/result.h */
	const char *root;                     /* project root; paths in `failure` are relative to it */
	size_t max_candidates;                /* 0: ENGINE_DEFAULT_MAX_CANDIDATES */
	/*
	 * optional: the statements the coverage map ranks most suspicious
	 * (runner/coverage.h), best first; builtin spends its budget on them
	 * first, in any function the failing tests reach, then on the frames
	 */
	const struct suspect *suspects;
	size_t nr_suspects;
	const struct strvec *template_order;  /* optional: template names by past success (knowledge
					       * base); builtin ranks them up within a frame distance */
	double temperature;                   /* for LLM engines; ignored by builtin */
	const char *feedback;                 /* previous attempt and why it failed; ignored by builtin */
	/* the rest is for LLM engines; builtin ignores it */
	const char *previous_change;          /* the last attempt's diff */
	const char *preferred_mode;           /* the edit mode that worked best for this error category */
	const char *user_prompt;              /* extra instructions from the user */
	int allow_test_edits;
	int heal;                             /* heal the test, not the code (engine/prompt.h) */
	const char *code_change;              /* heal: the recent change of the code, or NULL */
	const struct strvec *context_files;   /* heal: project files the test imports; NULL */
	struct llm_provider *provider;        /* asked first */
	struct llm_provider *fallback;        /* asked when the first keeps failing; may be NULL */
	struct engine_exchange *exchange;     /* out, may be NULL: what was asked and answered */
	/* for the command engine */
	const char *agent_cmd;                /* run with /bin/sh -c in a copy of `root` */
	double agent_timeout;                 /* seconds; 0: ENGINE_DEFAULT_AGENT_TIMEOUT */
};
#define ENGINE_REQUEST_INIT { .max_candidates = ENGINE_DEFAULT_MAX_CANDIDATES }

/*
 * One conversation with a model, for the transcript and the budget. Owned
 * strings, freed by engine_exchange_release(). `outcome` says what became
 * of it: "proposed", "parse error: ...", "http error: ...".
 */
struct engine_exchange {
	char *provider, *model, *system, *prompt, *reply, *outcome;
	long prompt_tokens, completion_tokens;
	double latency;
	int asked;        /* a request was made at all */
};
void engine_exchange_release(struct engine_exchange *x);

struct engine_ops {
	const char *name;
	/*
	 * Append up to max_candidates candidates to `out`, best first. Finding
	 * none is not an error (0, nothing appended); a negative code means the
	 * engine could not work (message in error_last()).
	 */
	int (*propose)(struct candidate_list *out, const struct engine_request *req);
	/*
	 * How the fix loop drives it. An engine that asks a model needs a
	 * provider and proposes one candidate per call: the loop asks again, up
	 * to --max-retries times, at a temperature rising from --initial-temp by
	 * --temp-increment, telling it why the last candidate failed, within the
	 * token budget, and records each exchange; a call that proposes nothing
	 * is a failed attempt. Otherwise one call proposes every candidate,
	 * validated several at once, the smallest that passes winning.
	 */
	int asks_model;
	/*
	 * Driven like an engine that asks a model (one candidate per call,
	 * asked again up to --max-retries times with the feedback), without a
	 * provider, a temperature or a token budget: the command engine.
	 */
	int asks_again;
	int ranks_templates;   /* gets the knowledge base's template order (req->template_order) */
	int in_auto;           /* tried by --engine auto, in registry order, each on what the
				* ones before left unfixed (one that asks a model: with a provider) */
};

/* the engine called `name`, or NULL */
const struct engine_ops *engine_find(const char *name);
/* the registry's rows in order: the i-th, or NULL past the last */
const struct engine_ops *engine_at(size_t i);
/*
 * Add a row after the built-in ones (a test's engine, a plugin); `ops` stays
 * the caller's and must outlive its use. ERR_CONFLICT for a name taken,
 * ERR_LIMIT when ENGINE_MAX_EXTRA rows were added already.
 */
#define ENGINE_MAX_EXTRA 8
int engine_register(const struct engine_ops *ops);

/*
 * The built-in engine: program-repair templates (operator and literal
 * mutations, off-by-one shifts, swapped arguments and names, missing
 * returns, ...) applied to the functions of the failing frames in project
 * source and of the functions the failing test line calls, never to test
 * files. Every candidate is one EDIT_UPDATE whose old text is whole lines,
 * unique in the file, and the result still parses.
 */
extern const struct engine_ops engine_builtin;
/*
 * The LLM engine: one candidate per call, from the model behind
 * req->provider (then req->fallback), built from the prompt of
 * engine/prompt.h and parsed by engine/reply.h. A reply that cannot be
 * parsed is no candidate and a reason in the exchange's outcome.
 */
extern const struct engine_ops engine_llm;
/*
 * The command engine (--engine command --agent-cmd CMD): any coding agent's
 * command line, run with /bin/sh -c (the user's own command, as git runs
 * core.editor) in a private copy of req->root, never in the user's
 * checkout. It gets the failure as JSON on stdin and in the file named by
 * $ENGINE_AGENT_ENV_PREFIX"JSON", and its fields in ENGINE_AGENT_ENV_PREFIX
 * variables (ID, FILE, TEST, KIND, ERROR_TYPE, MESSAGE, LOCATION,
 * DESCRIPTION, FEEDBACK; each capped at ENGINE_AGENT_ENV_MAX bytes), in the
 * environment util/proc.h gives children (without our secrets). It runs in
 * its own process group, killed at the deadline (req->agent_timeout), its
 * output (stdout and stderr, capped at ENGINE_AGENT_OUTPUT_CAP) kept as the
 * exchange's reply. Whatever it changed (engine/collect.h) is one candidate;
 * a non-zero exit, a timeout, no change or a refused change is none, with
 * the reason in the exchange's outcome. ERR_USAGE without an agent_cmd,
 * ERR_INTERRUPTED on Ctrl-C.
 */
#define ENGINE_DEFAULT_AGENT_TIMEOUT 600.0
#define ENGINE_AGENT_OUTPUT_CAP (256u * 1024)
#define ENGINE_AGENT_ENV_PREFIX "PYTEST_FIXER_FAILURE_"
#define ENGINE_AGENT_ENV_MAX (16u * 1024)
/* the provider name its exchanges are recorded under */
#define ENGINE_AGENT_PROVIDER "command"
extern const struct engine_ops engine_command;

/*
 * The built-in engine's mutation operators on every function of one
 * project file (`path`, relative to `root`), with no failure to guide them:
 * up to `max` mutants (0: all), each a candidate whose template name is its
 * operator, in the engine's order, none equal to another or failing to
 * parse. For measuring a test suite (mutation score, issue 17). Test files
 * and code that is not the project's give none. ERR_NOTFOUND: the file
 * cannot be read; ERR_PARSE: it does not parse.
 */
int engine_mutants(struct candidate_list *out, const char *root, const char *path, size_t max);

#endif
