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
 * The fix loop's hooks (fix, resume, reproduce). Progress, on stderr:
 * RENDER_PROGRESS_TERMINAL keeps one line, rewritten, saying which failure
 * and candidate; RENDER_PROGRESS_LINES (a pipe, a log, --json) writes plain
 * lines, without carriage returns or colour: one when a failure begins and
 * one about its candidates at most every RENDER_PROGRESS_LINE_SECONDS. With
 * `interactive`, each verified fix is shown on stderr and the user asked on
 * stdin (apply, skip or quit). `st` keeps what the hooks need and must
 * outlive them.
 */
enum render_progress {
	RENDER_PROGRESS_NONE,
	RENDER_PROGRESS_TERMINAL,
	RENDER_PROGRESS_LINES,
};
#define RENDER_PROGRESS_LINE_SECONDS 1.0

struct render_fix_state {
	enum render_progress progress;
	int started;                 /* a line was written */
	size_t position;             /* the failure of the last line */
	double last_line;            /* its time (the event's elapsed seconds) */
};
void render_fix_hooks(struct fix_hooks *out, struct render_fix_state *st,
		      enum render_progress progress, int interactive);
/* with RENDER_PROGRESS_LINES, a line saying what the session does before its first event */
void render_fix_begin(const struct render_fix_state *st, const char *what);

/*
 * The verified changes of a dry run, on `to`: each distinct diff once, with
 * the failures it fixes, then a line saying nothing was committed.
 */
void render_dry_run(FILE *to, const struct fix_result *r);

#endif
