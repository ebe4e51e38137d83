#ifndef GEN_HEAL_LLM_H
#define GEN_HEAL_LLM_H

#include "util/buf.h"

#include <stddef.h>

/*
 * The pure parts of heal's model path (gen/heal.h, --engine llm|auto):
 * whether an edit a model proposed for a test changes an expected value
 * (a change of behaviour, held unless --accept-behaviour), and the recent
 * change of the code, as the prompt shows it.
 *
 * Texts in, texts out; the caller owns what it passes and what it gets.
 */

/* characters kept of a line quoted as the expected value before or after */
#define GEN_HEAL_LLM_VALUE_CAP 200
/* literals of the changed lines compared, at most (the rest: a change of behaviour) */
#define GEN_HEAL_LLM_MAX_LITERALS 4096

/*
 * 1 when the edit from <old> to <new> of a test file brings a value into
 * what the test checks that was not there: a literal (a number, with its
 * sign, a string, True/False/None) of an added line that checks (it holds
 * "assert", "raises", "expect" or "want") that no removed line had. Lines
 * are compared as multisets, so that a check moved, split or rewritten
 * with the same values (`== (3, 1)` -> `== Pair(3, 1)`, `f(2, 3)` ->
 * `f(3, 2)`) is no change of behaviour, while `== 2` -> `== -2` is. With
 * 1, *old_value and *new_value (the caller frees them) are the first
 * checking line removed (or "") and the added line holding the new value,
 * stripped and capped at GEN_HEAL_LLM_VALUE_CAP. 0 otherwise (both NULL).
 */
int gen_heal_llm_behaviour(char **old_value, char **new_value, const char *old_text, size_t old_len,
			   const char *new_text, size_t new_len);

/* project files the prompt shows beside the test (the modules it imports), at most */
#define GEN_HEAL_LLM_MAX_CONTEXT_FILES 4

/*
 * 1 when the Python text imports the module `name` ("pkg.util"): `import
 * pkg.util`, `import a, pkg.util as u`, `from pkg.util import x`, or `from
 * pkg import util`; 0 otherwise.
 */
int gen_heal_llm_imports(const char *text, size_t len, const char *name);

/*
 * The files of a git diff that are code, not tests: each "diff --git a/P
 * b/P" block of <diff> whose P is a Python file and not a test file
 * (edit/guard.h) appended to `out`. Returns how many blocks were kept.
 */
size_t gen_heal_llm_code_diff(struct buf *out, const char *diff, size_t len);

#endif
