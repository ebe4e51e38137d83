#ifndef GEN_STATE_H
#define GEN_STATE_H

#include "util/buf.h"

#include <stddef.h>

/*
 * `test_execution_state.yaml`, seed 003's "smart checklist" (SPEC C12,
 * issue 17): one entry per test that `generate` or `heal` wrote, ran or
 * judged, beside the generated file. A second `generate` or `heal` reads it
 * and runs only what is not PASSED or whose code changed.
 *
 *   # test_execution_state.yaml - written by pytest-fixer: edits to values are kept, comments are not
 *   version: 1
 *   module: paginate/core.py
 *   generated_file: tests/test_core_generated.py
 *   seed: 1
 *   updated: 2026-12-06T10:00:00Z
 *   test_cases:
 *     - id: "tests/test_core_generated.py::test_page_count"
 *       function: page_count              # the code under test (Class.method for methods)
 *       code_hash: "5f0c2a9e1b7d3c44"     # of that function's text when last run
 *       status: PASSED
 *       retry_count: 0
 *       last_error: ""
 *       error_category: ""                # NAME_ERROR, ASSERTION_ERROR, ... (seed 003)
 *       reason: ""                        # REJECTED / FINDING: why, in words
 *       spec_item: ""                     # the spec item it checks (LLM path), else ""
 *       analysis:
 *         scope: local                    # local | multi_line | file_wide
 *         uniqueness_score: 1.0
 *         suggested_fix_method: update    # update | patch | rewrite
 *       healing_history:
 *         - attempt: 1
 *           method: update
 *           outcome: HEALED               # HEALED | FAILED | REFUSED | HELD (a behaviour change)
 *           reason: "renamed import fetch -> fetch_page"
 *           at: 2026-12-06T10:00:00Z
 *
 * Written atomically (util/fs fs_write_atomic): a Ctrl-C or a crash leaves
 * the old file or the new one, never half of either. Read with libyaml;
 * unknown keys are ignored at every level (so a newer version's file still
 * loads), a plain null (`key:`, `~`, `null`) counts as the key's absence,
 * and a hand-edited file's values are kept, but not its comments nor its
 * key order: the next save writes our own layout. ERR_PARSE, naming the
 * file, the line and the key (test_cases[2].status), for: broken YAML, a
 * document that is not one mapping, a value of the wrong shape (a
 * test_cases that is not a list, ...), an entry without id or with the id
 * of an earlier one, a key twice in one mapping, an unknown status, a
 * number that is not one (whole numbers for the counts and the seed, a
 * finite decimal for the score), a YAML alias.
 *
 * Strings are written double-quoted with YAML escapes, on one line, so any
 * text (newlines, quotes, backslashes, control characters, line
 * separators) survives a round trip. A state holds valid UTF-8 only:
 * gen_state_set(), gen_state_get() and the reader make invalid bytes
 * U+FFFD (utf8_sanitize), and the formatter does so for a string put in a
 * field directly. A C string holds no NUL, so one written in a file (\0)
 * is dropped when read.
 *
 * Ownership: a gen_state owns every string it holds; gen_state_release()
 * frees them. Accessors return borrowed pointers valid until the next
 * change to the state. After a load or parse every string is non-NULL
 * ("" when absent); GEN_STATE_INIT's NULLs are written as "".
 */

enum gen_status {
	GEN_PENDING,
	GEN_PASSED,
	GEN_FAILED,
	GEN_HEALED,
	GEN_FINDING,    /* the code contradicts a spec item: reported, not made to pass */
	GEN_REJECTED,   /* not trustworthy: `reason` says which gate */
};
#define GEN_STATUS_COUNT (GEN_REJECTED + 1)

struct gen_heal_entry {
	int attempt;          /* 1-based */
	char *method;         /* update | patch | rewrite */
	char *engine;         /* who healed: "llm" for the model; NULL or "" (not written): the templates */
	char *outcome;        /* HEALED | FAILED | REFUSED | HELD */
	char *reason;
	char *at;             /* ISO 8601 UTC */
};

struct gen_test_state {
	char *id;             /* the node id */
	char *function;       /* the code under test; may be "" */
	char *code_hash;      /* 16 hex digits; may be "" */
	enum gen_status status;
	int retry_count;
	char *last_error;
	char *error_category;
	char *reason;
	char *spec_item;
	char *scope;                   /* "" when not analysed */
	double uniqueness_score;
	char *suggested_fix_method;    /* "" when not analysed */
	struct gen_heal_entry *history;
	size_t history_nr, history_alloc;
};

struct gen_state {
	int version;                   /* GEN_STATE_VERSION when written by us */
	char *module;
	char *generated_file;
	unsigned long seed;
	char *updated;
	struct gen_test_state *tests;
	size_t nr, alloc;
};
#define GEN_STATE_VERSION 1
#define GEN_STATE_FILE "test_execution_state.yaml"
#define GEN_STATE_INIT { GEN_STATE_VERSION, NULL, NULL, 0, NULL, NULL, 0, 0 }
/* a state file larger than this is refused (ERR_LIMIT) */
#define GEN_STATE_MAX_BYTES (16u << 20)
#define GEN_STATE_FILE_MODE 0644

/* "PENDING", "PASSED", ...; a static string */
const char *gen_status_name(enum gen_status s);
/* 0 for an exact upper-case name, else ERR_PARSE naming it */
int gen_status_parse(enum gen_status *out, const char *name);

/*
 * Read `path` into `out` (GEN_STATE_INIT). ERR_NOTFOUND when the file does
 * not exist (out stays empty), ERR_LIMIT past GEN_STATE_MAX_BYTES,
 * ERR_PARSE with "cannot parse 'PATH': line N: KEY: ..." when it is not a
 * state file; out is released (GEN_STATE_INIT again) on error.
 */
int gen_state_load(struct gen_state *out, const char *path);
/* parse YAML text (what gen_state_load reads); `name` is for messages; ERR_LIMIT past GEN_STATE_MAX_BYTES */
int gen_state_parse(struct gen_state *out, const char *text, size_t len, const char *name);
/* the YAML text of `st`, appended to `out` */
void gen_state_format(struct buf *out, const struct gen_state *st);
/* gen_state_format() after setting `updated` to now and `version` to ours */
void gen_state_render(struct buf *out, struct gen_state *st);
/* gen_state_render() then fs_write_atomic() */
int gen_state_save(struct gen_state *st, const char *path);

/* the entry for `id`, or NULL */
struct gen_test_state *gen_state_find(struct gen_state *st, const char *id);
/* the entry for `id` (not ""), added as PENDING with empty strings when missing */
struct gen_test_state *gen_state_get(struct gen_state *st, const char *id);
/* remove the entry for `id`; 1 if there was one */
int gen_state_remove(struct gen_state *st, const char *id);
/* set a string field of an entry (copies `value`, as valid UTF-8; NULL is "") */
void gen_state_set(char **field, const char *value);
/*
 * append a healing history entry, its attempt one past the last one's
 * (copies the strings; `at` NULL: now)
 */
void gen_state_add_heal(struct gen_test_state *t, const char *method, const char *outcome,
			const char *reason, const char *at);
/*
 * 1 when a test must run again: not PASSED (nor HEALED), or its code_hash
 * differs from `code_hash` (NULL: the hash is not compared)
 */
int gen_state_needs_run(const struct gen_test_state *t, const char *code_hash);

/* free what `st` holds; it is GEN_STATE_INIT again */
void gen_state_release(struct gen_state *st);

#endif
