#ifndef CLI_RENDER_H
#define CLI_RENDER_H

#include "fix/fix.h"
#include "runner/result.h"

#include <stdio.h>

/* Terminal output: a table of failures and pytest-style summary line. */
struct render_style {
	int color;     /* ANSI colour */
	int width;     /* columns to fit lines into; 0: no limit */
};

/* colour and width for this stream: a TTY without NO_COLOR gets colour */
void render_style_for(struct render_style *out, FILE *stream);
void render_failures_table(FILE *to, const struct test_result *res, const struct render_style *st);
void render_summary_line(FILE *to, const struct test_result *res, const struct render_style *st);

/*
 * The fix loop's hooks for a terminal (fix, resume, reproduce): with
 * `progress`, one line on stderr, rewritten, saying which failure and
 * candidate; with `interactive`, each verified fix shown on stderr and the
 * user asked on stdin (apply, skip or quit). `st` keeps what the hooks need
 * and must outlive them.
 */
struct render_fix_state {
	int progress;
};
void render_fix_hooks(struct fix_hooks *out, struct render_fix_state *st, int progress,
		      int interactive);

#endif
