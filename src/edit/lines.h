#ifndef EDIT_LINES_H
#define EDIT_LINES_H

#include "util/buf.h"

#include <stddef.h>

/*
 * Line helpers shared by the edit modes; internal to src/edit/. A line
 * borrows the text it was split from: `ptr, len` is its content without
 * the line end, `eol_len` the length of that end ("\n" 1, "\r\n" 2, 0 for
 * a last line that has none).
 *
 * "Loose" matching is the whitespace-tolerant fallback used by update and
 * patch: two blocks of lines match when, line by line, they are equal after
 * removing trailing whitespace and the block's common indentation (the
 * smallest indentation of its non-blank lines), and blank lines pair with
 * blank lines. The difference of indentation is an `indent_shift`, which
 * re-indents replacement lines to fit the file.
 */

struct text_line {
	const char *ptr;
	size_t len;
	size_t eol_len;
};

struct text_lines {
	struct text_line *v;
	size_t nr;
	size_t alloc;
};
#define TEXT_LINES_INIT { NULL, 0, 0 }

void text_lines_release(struct text_lines *l);
void text_lines_push(struct text_lines *l, const char *ptr, size_t len, size_t eol_len);
/* split <text, len> into lines; a final line end does not start an empty line */
void text_lines_split(struct text_lines *out, const char *text, size_t len);
/* the line end for new lines in a text: its first line end, "\n" when it has none */
const char *text_lines_eol(const struct text_lines *l);

/* 1 when the line is empty or only whitespace */
int line_is_blank(const char *p, size_t len);
/* length of the leading whitespace (spaces, tabs) */
size_t line_indent(const char *p, size_t len);
/* the length without trailing whitespace (spaces, tabs, CR, FF, VT) */
size_t line_rtrim_len(const char *p, size_t len);

/* the smallest indentation of the non-blank lines of a block; 0 when all are blank */
size_t line_block_indent(const struct text_line *v, size_t n);

struct indent_shift {
	const char *file_indent;  /* the file block's common indentation (borrowed) */
	size_t file_len;
	size_t needle_len;        /* the needle block's common indentation */
};

/* 1 when hay[0..n) equals needle[0..n) line by line (contents, not line ends) */
int line_block_equal(const struct text_line *hay, const struct text_line *needle, size_t n);
/* 1 when they match loosely; `needle_indent` is line_block_indent(needle, n) */
int line_block_match_loose(const struct text_line *hay, const struct text_line *needle, size_t n,
			   size_t needle_indent, struct indent_shift *shift);
/*
 * Append a replacement line re-indented by `shift` (NULL: unchanged),
 * without a line end. A blank line becomes empty.
 */
int line_add_reindented(struct buf *out, const char *p, size_t len, const struct indent_shift *shift);

/* Number of lines removed plus lines added to turn `a` into `b` (Myers). */
size_t text_count_changed_lines(const char *a, size_t a_len, const char *b, size_t b_len);
/*
 * Above this many differences, or when (lines) x (differences) would pass
 * the budget, the count is estimated: the lines left once the common
 * beginning and end are taken off.
 */
#define TEXT_DIFF_MAX_EDITS 4096
#define TEXT_DIFF_BUDGET 50000000u

#endif
