#ifndef GEN_HEAL_H
#define GEN_HEAL_H

#include "edit/change.h"
#include "gen/heal_template.h"
#include "util/strvec.h"

#include <stddef.h>

/*
 * `pytest-fixer heal [PATH...]` (issue 17, SPEC C12): failing tests,
 * generated or not, made to pass again after the code changed on purpose,
 * by edits of the failing tests' own files, never of the code.
 *
 * The tests run in a private copy of the project. Each failure is read
 * (gen/heal_template.h: what kind, which template), and each candidate
 * edit of its file is checked there: it is refused when it touches another
 * file or weakens the test (edit/guard.h: an assert lost, a skip added);
 * otherwise applied in the mode seed 003's decision tree picks (update: one
 * place whose old text is unique; patch: fewer than GEN_HEAL_PATCH_MAX_LINES
 * changed lines; rewrite: the rest), unless the knowledge base has seen that
 * mode fail on this error where a more invasive one worked; then the file
 * runs again: the failing test must pass and no test of the file that
 * passed may fail. The best candidate (the fewest failures left in the
 * file) stays in the copy, and the tests run again, in rounds, while
 * something heals (an import healed may show a signature to heal).
 *
 * A changed expected value is a change of behaviour, not a broken test:
 * its candidate is checked as the others, then held (shown, not applied)
 * unless accept_behaviour. Every candidate checked is an attempt in the
 * knowledge base (the project's and the machine's: engine "heal", the
 * template's name, the mode, the error type).
 *
 * At the end the test files that changed are written into the project
 * together (util/fs fs_batch: all or none, each atomically), unless
 * dry_run, and only if nobody changed them meanwhile (ERR_CONFLICT);
 * beside each, its test_execution_state.yaml (gen/state.h) is updated: a
 * test healed is HEALED with a history entry, a test left failing FAILED
 * with its error, its category and one more retry, a held change a HELD
 * history entry. A generated file (its header says so) gets one made.
 * Ctrl-C (SIGINT, SIGTERM) stops at the next test run and writes nothing.
 *
 * Ownership: gen_heal_result owns every string it holds;
 * gen_heal_result_release() frees them.
 */

#define GEN_HEAL_ENGINE "heal"         /* the knowledge base's name for this engine */
#define GEN_HEAL_LLM_ENGINE "llm"      /* ... and for the model's attempts (as fix's) */
#define GEN_HEAL_DEFAULT_MAX_RETRIES 3 /* questions to the model per failure */
#define GEN_HEAL_LLM_REASON_CAP 300    /* bytes kept of the model's reasoning in a change's reason */
#define GEN_HEAL_MAX_ROUNDS 5          /* runs of the tests that heal something, at most */
#define GEN_HEAL_PATCH_MAX_LINES 10    /* seed 003: a patch for fewer changed lines */
/* the knowledge base overrules the tree with this many attempts of a mode, and this lead */
#define GEN_HEAL_KB_MIN_ATTEMPTS 3
#define GEN_HEAL_KB_MARGIN 0.25

struct project;
struct llm_provider;

/*
 * Who heals (--engine): the templates, then the model for what they left
 * (auto; the model only when a provider is given); the templates only
 * (builtin); the model only, every failure (llm).
 */
enum gen_heal_engine { GEN_HEAL_ENGINE_AUTO, GEN_HEAL_ENGINE_BUILTIN, GEN_HEAL_ENGINE_LLM };

struct gen_heal_options {
	struct project *project;        /* its root, pytest command, store */
	const struct strvec *paths;     /* pytest paths or node ids, relative to the root; NULL: all */
	const char *keyword;            /* -k; NULL */
	const char *pytest_cmd;         /* NULL: the project's or a search (runner/pytest.h) */
	double test_timeout;            /* seconds per test; 0: PYTEST_DEFAULT_TEST_TIMEOUT */
	int accept_behaviour;           /* apply changed expected values too */
	int dry_run;                    /* write nothing into the project */
	/*
	 * The model, for the failures the templates leave (engine auto with a
	 * provider, or llm): asked up to max_retries times per failure, at a
	 * temperature rising from initial_temp by temp_increment, told each
	 * time what the last reply changed and why it failed (the failing
	 * run's output), with engine/prompt.h's prompt in its heal form: the
	 * failure, the test's file, the code it calls, the recent change of
	 * the code (the working tree's diff of the project's Python code
	 * against HEAD, else HEAD's own) and the edit mode seed 003's tree and
	 * the knowledge base prefer. Its reply (engine/reply.h) goes through
	 * the templates' gates: only the failing test's own file (another file
	 * is refused with the reason), never weakened, no pytest hook, the
	 * test must pass; a new expected value (gen/heal_llm.h) is held unless
	 * accept_behaviour. Every question is an attempt in the knowledge base
	 * under engine GEN_HEAL_LLM_ENGINE. The session stops asking once
	 * max_tokens (0: no limit) are spent.
	 */
	enum gen_heal_engine engine;
	struct llm_provider *provider;  /* NULL: no model (auto heals with the templates only) */
	struct llm_provider *fallback;  /* may be NULL */
	int max_retries;
	double initial_temp, temp_increment;
	long max_tokens;
};
#define GEN_HEAL_OPTIONS_INIT { .max_retries = GEN_HEAL_DEFAULT_MAX_RETRIES, .initial_temp = 0.4, \
				.temp_increment = 0.1 }

/* a change made (or held) to one test file */
struct gen_heal_change {
	char *file;                  /* the test file, project-relative */
	char *target;                /* the failure it was made for: a node id, the file for a collection error */
	char *error_type, *message;  /* that failure's */
	enum gen_heal_category category;
	const char *template_name;   /* a GEN_HEAL_T_* (static), or GEN_HEAL_LLM_ENGINE */
	const char *engine;          /* GEN_HEAL_ENGINE or GEN_HEAL_LLM_ENGINE (static) */
	enum edit_mode mode;         /* how it was applied */
	char *scope;                 /* seed 003's analysis: local | multi_line | file_wide */
	double uniqueness;           /* ... uniqueness_score of the text changed */
	char *reason;                /* what it does: "renamed add -> add_numbers (from mod)" */
	char *diff;                  /* the change, as a unified diff of the file */
	int behaviour;               /* a changed expected value */
	int held;                    /* not applied: a behaviour change without accept_behaviour */
	char *old_value, *new_value; /* behaviour: the expected value before and after */
	struct strvec healed;        /* node ids that pass with it and failed (or did not run) before */
};

/* a failure still there at the end */
struct gen_heal_left {
	char *id, *file, *error_type, *message;
	enum gen_heal_category category;
	char *reason;                /* why it is not healed */
	int held;                    /* its change is held for approval */
};

/* one question to the model and its answer (secrets redacted) */
struct gen_heal_exchange {
	char *target;                /* the failure asked about */
	int attempt;                 /* 1-based, per failure */
	double temperature;
	char *provider, *model;
	char *system, *prompt, *reply;
	char *outcome;               /* "healed", "held: ...", "parse error: ...", "refused: ...", ... */
	long prompt_tokens, completion_tokens;
	double latency;
};

struct gen_heal_result {
	size_t total;                /* tests of the first run */
	size_t failing_before;       /* its failures */
	struct gen_heal_change *changes;
	size_t nchanges, changes_alloc;
	struct gen_heal_left *left;
	size_t nleft, left_alloc;
	size_t attempts;             /* candidates checked */
	struct gen_heal_exchange *exchanges;   /* the model's, in order */
	size_t nexchanges, exchanges_alloc;
	long prompt_tokens, completion_tokens; /* the model's, all told */
	struct strvec written;       /* test files written into the project */
	struct strvec states;        /* checklists written */
	double seconds;
};
void gen_heal_result_release(struct gen_heal_result *r);

/*
 * Heal. 0 when the tests could be run, whatever was healed (out->nleft:
 * what still fails); ERR_NOTFOUND when no pytest can be found; ERR_USAGE
 * for paths pytest refuses, or when the model refuses the key (401/403:
 * nothing written); ERR_INTERRUPTED on SIGINT/SIGTERM (nothing
 * written); ERR_CONFLICT when a test file changed while heal ran (nothing
 * written); another negative code when the tests or the files cannot be
 * read or written.
 */
int gen_heal(struct gen_heal_result *out, const struct gen_heal_options *o);

/*
 * Seed 003's decision tree on a change of a file from <old> to <new>:
 * `scope` local (one block of lines) | multi_line | file_wide, `uniqueness`
 * (1 / the times the block's old text occurs in the file; 0 for a block
 * that is only added), and the mode it suggests.
 */
enum edit_mode gen_heal_mode(const char **scope, double *uniqueness, const char *old_text, size_t old_len,
			     const char *new_text, size_t new_len);

#endif
