#ifndef ENGINE_PROMPT_H
#define ENGINE_PROMPT_H

#include "runner/result.h"
#include "util/buf.h"
#include "util/strvec.h"

#include <stddef.h>

/*
 * The prompt an LLM engine sends for one failure (SPEC "LLM protocol"): a
 * system prompt with the task, the rules and the reply format that
 * engine/reply.h parses, and a user prompt with the failure, its trimmed
 * traceback, the code of the project frames involved (whole functions,
 * line-numbered; a small file whole), the test's own code, the previous
 * attempt and why it failed, the preferred edit mode and the user's own
 * instructions. Everything is valid UTF-8, and system plus user stay within
 * PROMPT_TOTAL_CAP bytes: code that does not fit is left out with a note.
 *
 * Ownership: the input stays the caller's; the text is appended to the
 * caller's buffers.
 */

#define PROMPT_TRACEBACK_CAP 6000   /* bytes of traceback kept: head and tail */
#define PROMPT_FUNCTION_CAP 12000   /* bytes of one function's code */
#define PROMPT_SMALL_FILE 4000      /* a file this small is shown whole */
#define PROMPT_TOTAL_CAP 60000      /* bytes of system and user prompt together */
#define PROMPT_MESSAGE_CAP 4000     /* bytes of the error message kept */
#define PROMPT_PREVIOUS_CAP 8000    /* bytes kept of the previous change, and of why it failed */
#define PROMPT_USER_CAP 4000        /* bytes kept of the user's own instructions */
#define PROMPT_CODE_CHANGE_CAP 12000 /* bytes kept of the recent change of the code (heal) */
#define PROMPT_CONTEXT_LINES 15     /* lines shown either side of a frame outside any function */
#define PROMPT_MAX_FRAMES 12        /* project frames whose code is shown */

struct prompt_input {
	const struct failure *failure;
	const char *root;                 /* project root to read sources */
	const char *previous_change;      /* the last attempt's diff, or NULL */
	const char *previous_failure;     /* which gate it failed and the relevant output, or NULL */
	const char *preferred_mode;       /* "update"|"patch"|"rewrite" from the knowledge base, or NULL */
	const char *user_prompt;          /* extra instructions from the user, or NULL */
	int allow_test_edits;
	/*
	 * heal (gen/heal.h): the code changed on purpose and is right; the
	 * failing test is to be brought up to date, in its own file only
	 */
	int heal;
	const char *code_change;          /* heal: the recent change of the code, a diff, or NULL */
	const struct strvec *context_files;  /* heal: project files the test imports, shown after it; NULL */
};

/*
 * Append the system prompt to `system` and the user prompt to `user`.
 * Sources that cannot be read are left out (logged at debug level); 0, or
 * a negative code only if a buffer refuses to grow.
 */
int prompt_build(struct buf *system, struct buf *user, const struct prompt_input *in);

/* what the prompt would have cost with whole files instead of functions (for the benchmark) */
size_t prompt_whole_files_size(const struct prompt_input *in);

#endif
