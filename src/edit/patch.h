#ifndef EDIT_PATCH_H
#define EDIT_PATCH_H

#include "util/buf.h"

#include <stddef.h>

/*
 * Unified diffs as repair engines write them. LLM diffs are sloppy, so the
 * parser accepts: "diff --git" / "---" / "+++" headers or none, a/ b/
 * prefixes, "@@ -l,n +l,n @@" with wrong or missing counts and numbers
 * ("@@ ... @@", "@@"), CRLF line ends, blank context lines that lost their
 * leading space, a missing "\ No newline at end of file", markdown fences
 * and prose around the diff, hunk lines right after "+++" without any "@@".
 * Hunk lengths come from the bodies, never from the stated counts; the
 * counts only decide whether trailing blank lines belong to a hunk and
 * whether a "--- x" / "+++ y" pair inside a hunk is removed/added text.
 *
 * Ownership: a patch_set owns a copy of the text it was parsed from, its
 * files, hunks and paths; the lines of a hunk point into that copy.
 * Everything is released by patch_set_release().
 */

#define PATCH_MAX_INPUT (8u * 1024 * 1024)   /* bytes of diff text */
#define PATCH_MAX_FILES 256
#define PATCH_MAX_HUNKS 10000                /* in one patch set */
#define PATCH_MAX_LINE_NUMBER 100000000u     /* larger numbers in "@@" are a parse error */
#define PATCH_MAX_HEADER 120                 /* bytes of a hunk header kept for messages */

enum patch_line_kind {
	PATCH_CONTEXT = ' ',
	PATCH_REMOVE = '-',
	PATCH_ADD = '+',
};

struct patch_line {
	char kind;            /* enum patch_line_kind */
	const char *text;     /* borrowed from the set's text; no line end, no CR */
	size_t len;
};

struct patch_hunk {
	/* the header's numbers, as stated (often wrong in LLM diffs) */
	size_t old_start, old_count, new_start, new_count;
	int has_start;        /* "-l" was given */
	int has_counts;       /* both "-l[,n]" and "+l[,n]" were given */
	/* "\ No newline at end of file" after the last old / new line */
	int old_no_eol, new_no_eol;
	char *header;         /* "@@ -10,4 +10,5 @@" as written (clean UTF-8), or "@@ ... @@" */
	size_t line_no;       /* 1-based line of the header (or first line) in the input */
	struct patch_line *lines;
	size_t nr, alloc;
};

struct patch_file {
	/* a/ and b/ stripped; NULL for /dev/null or when the diff names no file */
	char *old_path, *new_path;
	int is_new;           /* "--- /dev/null" or "new file mode" */
	int is_delete;        /* "+++ /dev/null" or "deleted file mode" */
	struct patch_hunk *hunks;
	size_t nr, alloc;
	/* this file's part of the input, [text_start, text_end) in the set's text */
	size_t text_start, text_end;
	size_t line_no;       /* 1-based line where the file starts in the input */
};

struct patch_set {
	char *text;
	size_t len;
	struct patch_file *files;
	size_t nr, alloc;
};
#define PATCH_SET_INIT { NULL, 0, NULL, 0, 0 }

void patch_set_init(struct patch_set *set);
void patch_set_release(struct patch_set *set);

/*
 * Parse a unified diff (one or several files) into `out`, which is
 * initialised here and left empty on failure. ERR_PARSE "cannot parse
 * patch: line N: ..." when there is no hunk, a hunk is empty, a file has no
 * hunk, or a number is absurd; ERR_LIMIT past PATCH_MAX_INPUT.
 */
int patch_parse(struct patch_set *out, const char *text, size_t len);

/* the file whose new or old path is `path`, or NULL (borrowed) */
struct patch_file *patch_set_find(const struct patch_set *set, const char *path);
/* name both sides `path` (a headerless diff, or headers that name the file wrongly) */
void patch_file_set_path(struct patch_file *pf, const char *path);

/*
 * Apply to `old`, appending the new content to `out`. Each hunk is placed,
 * in order and after the previous one, at the first of: its stated line
 * (shifted by the offset the previous hunk was found at) when its context
 * and removed lines are exactly there; the exact match nearest to that
 * line anywhere after the previous hunk; the same ignoring trailing
 * whitespace and a common indentation difference (added lines are then
 * re-indented to fit). A hunk without a stated line must match in one place
 * only. Context lines keep the file's text; added lines take the file's
 * line ends (CRLF files stay CRLF). Without "\ No newline" markers the
 * file keeps its own state at the end (newline or not).
 *
 * ERR_CONFLICT naming the hunk: "hunk 2 (@@ -10,4 +10,5 @@) does not match
 * 'src/x.py'", "... matches 2 places in ...", "... matches 2 places equally
 * near line 10 in ...".
 */
int patch_apply(struct buf *out, const struct patch_file *pf, const char *old, size_t old_len);

/*
 * Write the patch as it applies to `old` as a valid git diff ("diff --git",
 * "---", "+++", hunks with true numbers and counts and 3 lines of context,
 * "\ No newline at end of file" where due) that `git apply` accepts against
 * `old`. Same placement and errors as patch_apply(). Nothing is appended
 * when the patch changes nothing. The file's name comes from `pf`
 * (new_path, else old_path); ERR_USAGE when it has none.
 */
int patch_normalize(struct buf *out, const struct patch_file *pf, const char *old, size_t old_len);

/* lines of context around changes in patch_normalize() output */
#define PATCH_CONTEXT_LINES 3

#endif
