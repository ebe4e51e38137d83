#ifndef GEN_LLMGEN_H
#define GEN_LLMGEN_H

#include "gen/facts.h"
#include "gen/spec.h"
#include "gen/state.h"
#include "util/buf.h"
#include "util/strvec.h"

#include <stddef.h>

/*
 * The model's part of `generate --engine llm|auto` (issue 17, CoverUp and
 * TestGen-LLM): after the built-in pass, a model is shown the module (its
 * source, capped), its functions' signatures, the spec items (gen/spec.h),
 * the built-in tests and the lines they leave uncovered, and asked for
 * tests in a strict format:
 *
 *   one fenced ```python block per test: its imports, then one test
 *   function `def test_<name>():`, preceded by `# spec: <ID>` when it
 *   checks spec item ID; no parametrisation, no fixtures of its own, no
 *   other top-level code.
 *
 * A test citing an id the spec does not have, or reaching a process,
 * file-deletion or network call (gen/facts.h) without allow_side_effects,
 * is not run. Every other test then passes the built-in tests' gates (gen/trust.h: the
 * assertion gate, the first run, shuffled runs, runs alone, the time
 * limit) and must reach a line of the module no other kept test reaches or
 * check a spec item no kept test checks. A test that does not collect
 * (syntax error, NameError, an import that fails) is sent back once with
 * its error (GEN_LLM_RETRIES). A spec-citing test whose assertion fails in
 * every one of GEN_TRUST_RUNS runs while the code runs fine is a FINDING:
 * the code contradicts that spec item; it is reported, never kept and
 * never changed to pass.
 *
 * Kept tests are appended to the generated file in a section of their own
 * (GEN_LLM_SECTION_MARKER), each with its `# spec: ID` comment, their
 * imports at the section's top; gen/generate.c carries them over to the
 * next run while the module's text is the same.
 * Every exchange (prompts, reply, tokens, latency, outcome) is kept for the
 * report's audit trail, with every registered secret (util/secret.h)
 * redacted; a reply is redacted before it is read, so no key reaches the
 * file either.
 *
 * Ownership: gen_llm_tests and gen_llm_result own their strings;
 * gen_llm_tests_release(), gen_llm_result_release().
 */

#define GEN_LLM_MAX_REPLY (256u << 10)    /* bytes of a reply read, at most */
#define GEN_LLM_MAX_TESTS 20              /* tests taken from one reply */
#define GEN_LLM_MAX_SOURCE (48u << 10)    /* bytes of the module's source in a prompt */
#define GEN_LLM_MAX_LISTED 60             /* built-in tests and uncovered lines named in a prompt */
#define GEN_LLM_RETRIES 1                 /* exchanges that feed errors back, after the first */
#define GEN_LLM_REPLY_TOKENS 4096         /* the reply's token cap asked for */
#define GEN_LLM_TEMPERATURE 0.2
/* seconds the round may take before it sends nothing back, at least (else the module's time budget) */
#define GEN_LLM_MIN_ROUND 60.0

/* the comment that opens the model's section of a generated file */
#define GEN_LLM_SECTION_MARKER "# ---- Tests written by a model (pytest-fixer generate --engine llm)"

/* ---- the reply ------------------------------------------------------------ */

struct gen_llm_test {
	char *name;       /* the test function's name; "block N" for a block without one */
	char *spec_id;    /* "" when it cites none */
	char *code;       /* `# spec: ID` line (when cited) and the function's text */
	char *imports;    /* its block's import statements, one a line; may be "" */
	char *rejected;   /* NULL, or why it cannot be used as it is */
	int collect;      /* rejected because it would not collect (a syntax error): sent back */
	int kept;         /* the round kept it (not set by the reader) */
};

struct gen_llm_tests {
	struct gen_llm_test *v;
	size_t nr, alloc;
};
#define GEN_LLM_TESTS_INIT { NULL, 0, 0 }
void gen_llm_tests_release(struct gen_llm_tests *t);

/*
 * Read a reply. 0 with its tests (each usable or `rejected` with the
 * reason: a block in another language, a block with no test function, a
 * syntax error, a parametrised test, a test named twice, past
 * GEN_LLM_MAX_TESTS); ERR_PARSE with the reason when the reply as a whole
 * is unusable: empty, larger than GEN_LLM_MAX_REPLY, holding a NUL byte,
 * with no fenced code block. Never reads past <text, len>.
 */
int gen_llm_reply_parse(struct gen_llm_tests *out, const char *text, size_t len);

/* ---- the round ------------------------------------------------------------ */

struct llm_provider;
struct pytest_choice;

struct gen_llm_options {
	struct llm_provider *provider;     /* required */
	struct llm_provider *fallback;     /* may be NULL */
	const struct gen_spec *spec;       /* may be NULL or empty */
	const char *root;                  /* the private copy the tests run in */
	const char *venv_root;
	const char *pytest_cmd;            /* NULL: search */
	struct pytest_choice *choice;
	const char *module_path;           /* relative to root */
	const char *module_name;           /* importable */
	const char *source;                /* the module's text */
	size_t source_len;
	const struct gen_facts *facts;
	const char *file;                  /* the generated file, relative to root */
	const char *text;                  /* its text after the built-in pass ("" when none) */
	const struct strvec *builtin;      /* the built-in tests' ids in it */
	const struct strvec *uncovered;    /* the module's lines they do not reach ("12") */
	unsigned long seed;
	int allow_side_effects;            /* 0: a test reaching process, deletion or network calls is not run */
	long max_tokens;                   /* prompt + reply tokens of the round; 0: no cap */
	double deadline;                   /* clock_monotonic(): no retry starts after it; 0: none */
};

struct gen_llm_exchange {
	char *system, *prompt, *reply;     /* redacted */
	char *provider, *model;            /* may be NULL */
	char *outcome;                     /* "3 tests", "unusable reply: ...", "http error: ..." */
	long prompt_tokens, completion_tokens;
	double latency;
};

struct gen_llm_verdict {
	char *name;                        /* the test function */
	char *spec_id;                     /* "" when it cites none */
	enum gen_status status;            /* GEN_PASSED (kept), GEN_REJECTED or GEN_FINDING */
	int retries;                       /* times it was sent back */
	char *reason;                      /* REJECTED, FINDING: why; "" when kept */
	char *last_error;                  /* the error it last ran into; may be "" */
	char *category;                    /* NAME_ERROR, FLAKY, SPEC_CONTRADICTED, ...; "" when kept */
	char *expected, *observed;         /* FINDING: the assertion's sides when it compares; may be "" */
};

struct gen_llm_result {
	char *text;                        /* the file: the built-in part, then the model's kept tests */
	struct gen_llm_verdict *tests;
	size_t nr, alloc;
	struct gen_llm_exchange *exchanges;
	size_t nexchanges;
	long prompt_tokens, completion_tokens;
	double seconds;
	struct strvec decisions;           /* the audit trail's lines */
};
void gen_llm_result_release(struct gen_llm_result *r);

/*
 * Ask, judge, keep. 0 when the round ran, whatever the model said (an
 * HTTP error or an unusable reply is an exchange's outcome and a
 * decision, not an error; out->text is then the built-in text);
 * ERR_INTERRUPTED; the runner's error when the tests cannot be run. The
 * file in o->root holds out->text when it returns 0.
 */
int gen_llm_round(struct gen_llm_result *out, const struct gen_llm_options *o);

/* the prompts of the first exchange (for tests): the system prompt and the user's */
void gen_llm_prompt(struct buf *system, struct buf *user, const struct gen_llm_options *o,
		    const char *feedback);

#endif
