#include "engine/prompt.h"

#include "edit/change.h"
#include "edit/guard.h"
#include "engine/engine.h"
#include "project/project.h"
#include "pyast/pyast.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#include <assert.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* room kept free below the total cap for the notes about code left out */
#define PROMPT_NOTE_RESERVE 1024

/* ---- text helpers ---- */

/* 1 if byte `c` continues a UTF-8 sequence */
static int utf8_cont(unsigned char c)
{
	return (c & 0xC0) == 0x80;
}

/* move `pos` back to the start of a UTF-8 character */
static size_t char_floor(const char *s, size_t len, size_t pos)
{
	while (pos > 0 && pos < len && utf8_cont((unsigned char)s[pos]))
		pos--;
	return pos;
}

static size_t count_lines(const char *s, size_t len)
{
	size_t n = 0, i;

	for (i = 0; i < len; i++)
		if (s[i] == '\n')
			n++;
	return n;
}

/*
 * Append <s, len> (valid UTF-8) keeping at most `cap` bytes: a third from
 * the head and the rest from the tail, cut at line ends where one is near,
 * with a note of what was cut in between.
 */
static void add_head_tail(struct buf *out, const char *s, size_t len, size_t cap, const char *what)
{
	size_t head, tail, nl;

	if (len <= cap) {
		buf_add(out, s, len);
		return;
	}
	head = char_floor(s, len, cap / 3);
	for (nl = head; nl > head / 2; nl--)
		if (s[nl - 1] == '\n') {
			head = nl;
			break;
		}
	tail = char_floor(s, len, len - (cap - head));
	for (nl = tail; nl < len && nl < tail + (cap - head) / 2; nl++)
		if (s[nl] == '\n') {
			tail = nl + 1;
			break;
		}
	buf_add(out, s, head);
	if (head && s[head - 1] != '\n')
		buf_addch(out, '\n');
	buf_addf(out, "[... %zu bytes (%zu lines) of the %s cut here ...]\n", tail - head,
		 count_lines(s + head, tail - head), what);
	buf_add(out, s + tail, len - tail);
}

/* add_head_tail() of a C string made valid UTF-8 first */
static void add_text(struct buf *out, const char *s, size_t cap, const char *what)
{
	struct buf clean = BUF_INIT;

	utf8_sanitize(&clean, s, strlen(s));
	add_head_tail(out, clean.ptr, clean.len, cap, what);
	if (out->len && out->ptr[out->len - 1] != '\n')
		buf_addch(out, '\n');
	buf_release(&clean);
}

/* a one-line field: valid UTF-8, at most `cap` bytes, line breaks as spaces */
static void add_inline(struct buf *out, const char *s, size_t cap)
{
	struct buf clean = BUF_INIT;
	size_t i, n;

	utf8_sanitize(&clean, s, strlen(s));
	n = clean.len > cap ? char_floor(clean.ptr, clean.len, cap) : clean.len;
	for (i = 0; i < n; i++)
		if (clean.ptr[i] == '\n' || clean.ptr[i] == '\r')
			clean.ptr[i] = ' ';
	buf_add(out, clean.ptr, n);
	if (n < clean.len)
		buf_adds(out, "...");
	buf_release(&clean);
}

/* ---- sources ---- */

struct source {
	char *path;          /* relative to the root */
	struct buf text;     /* valid UTF-8 (lines as in the file) */
	size_t *lines;       /* byte offset where each line starts; lines[nr_lines] == text.len */
	int nr_lines;
	struct pyast *ast;   /* NULL if tree-sitter failed */
};

struct shown {
	const struct source *src;
	int first, last;
};

struct prompt_state {
	const struct prompt_input *in;
	int whole_files;     /* render every file whole, uncapped */
	struct source *sources;
	size_t nr_sources, alloc_sources;
	struct shown *shown;
	size_t nr_shown, alloc_shown;
};

static void source_index_lines(struct source *s)
{
	size_t i, n = 0;

	s->lines = xmalloc(st_mult(count_lines(s->text.ptr, s->text.len) + 2, sizeof(*s->lines)));
	s->lines[n++] = 0;
	for (i = 0; i < s->text.len; i++)
		if (s->text.ptr[i] == '\n' && i + 1 < s->text.len)
			s->lines[n++] = i + 1;
	s->nr_lines = s->text.len ? (int)n : 0;
	s->lines[s->nr_lines] = s->text.len;
}

/* the project-relative path of a frame's file, or NULL if it is not project source */
static char *project_path(const char *root, const char *file)
{
	struct buf abs = BUF_INIT, real = BUF_INIT;
	char *rel = NULL;

	if (!file || !*file || file[0] == '<')
		return NULL;
	if (file[0] == '/') {
		rel = fs_relative_to(file, root);
		if (!rel && fs_realpath(&real, root) == 0)
			rel = fs_relative_to(file, real.ptr);
	} else {
		rel = xstrdup(file[0] == '.' && file[1] == '/' ? file + 2 : file);
	}
	if (!rel)
		goto done;
	if (!project_path_is_source(rel) || edit_path_check(&abs, root, rel) < 0 ||
	    !fs_is_file(abs.ptr)) {
		free(rel);
		rel = NULL;
	}
done:
	error_clear();
	buf_release(&abs);
	buf_release(&real);
	return rel;
}

/* the source of `rel` (project-relative, checked), read and parsed once; NULL if unreadable */
static const struct source *source_get(struct prompt_state *st, const char *rel)
{
	struct buf abs = BUF_INIT, raw = BUF_INIT;
	struct source *s = NULL;
	size_t i;

	for (i = 0; i < st->nr_sources; i++)
		if (!strcmp(st->sources[i].path, rel))
			return &st->sources[i];
	if (edit_path_check(&abs, st->in->root, rel) < 0 ||
	    fs_read_file(&raw, abs.ptr, ENGINE_MAX_SOURCE_BYTES) < 0) {
		log_debug("prompt: leaving out '%s': %s", rel, error_last());
		error_clear();
		goto done;
	}
	ALLOC_APPEND(s, st->sources, st->nr_sources, st->alloc_sources);
	s->path = xstrdup(rel);
	buf_init(&s->text, 0);
	utf8_sanitize(&s->text, raw.ptr, raw.len);
	source_index_lines(s);
	if (pyast_parse(&s->ast, s->text.ptr, s->text.len) < 0) {
		s->ast = NULL;
		error_clear();
	}
done:
	buf_release(&abs);
	buf_release(&raw);
	return s;
}

static void sources_release(struct prompt_state *st)
{
	size_t i;

	for (i = 0; i < st->nr_sources; i++) {
		free(st->sources[i].path);
		buf_release(&st->sources[i].text);
		free(st->sources[i].lines);
		pyast_free(st->sources[i].ast);
	}
	free(st->sources);
	free(st->shown);
}

/* 1 if lines [first, last] of `src` are already in the prompt */
static int already_shown(const struct prompt_state *st, const struct source *src, int first, int last)
{
	size_t i;

	for (i = 0; i < st->nr_shown; i++)
		if (st->shown[i].src == src && st->shown[i].first <= first && last <= st->shown[i].last)
			return 1;
	return 0;
}

static void mark_shown(struct prompt_state *st, const struct source *src, int first, int last)
{
	ALLOC_GROW(st->shown, st->nr_shown + 1, st->alloc_shown);
	st->shown[st->nr_shown].src = src;
	st->shown[st->nr_shown].first = first;
	st->shown[st->nr_shown].last = last;
	st->nr_shown++;
}

static size_t line_len(const struct source *s, int line)
{
	size_t start = s->lines[line - 1], end = s->lines[line];

	if (end > start && s->text.ptr[end - 1] == '\n')
		end--;
	return end - start;
}

/* the bytes lines [first, last] take once numbered */
#define GUTTER_WIDTH 9  /* ">  1234 | " less one */
static size_t numbered_size(const struct source *s, int first, int last)
{
	size_t n = 0;
	int l;

	for (l = first; l <= last; l++)
		n += line_len(s, l) + GUTTER_WIDTH + 2;
	return n;
}

/*
 * The widest window of lines within [*first, *last] around `mark` whose
 * numbered text fits in `cap` bytes: narrows *first and *last.
 */
static void fit_window(const struct source *s, int *first, int *last, int mark, size_t cap)
{
	int lo, hi;
	size_t used;

	if (numbered_size(s, *first, *last) <= cap)
		return;
	if (mark < *first || mark > *last)
		mark = *first;
	lo = hi = mark;
	used = numbered_size(s, mark, mark);
	for (;;) {
		int grew = 0;
		if (hi < *last && used + numbered_size(s, hi + 1, hi + 1) <= cap) {
			hi++;
			used += numbered_size(s, hi, hi);
			grew = 1;
		}
		if (lo > *first && used + numbered_size(s, lo - 1, lo - 1) <= cap) {
			lo--;
			used += numbered_size(s, lo, lo);
			grew = 1;
		}
		if (!grew)
			break;
	}
	*first = lo;
	*last = hi;
}

/* lines [first, last] numbered, line `mark` (0: none) marked with '>' */
static void add_numbered(struct buf *out, const struct source *s, int first, int last, int mark)
{
	int l;

	buf_adds(out, "```python\n");
	for (l = first; l <= last; l++) {
		size_t n = line_len(s, l);

		buf_addf(out, "%c%6d |%s", l == mark ? '>' : ' ', l, n ? " " : "");
		buf_add(out, s->text.ptr + s->lines[l - 1], n);
		buf_addch(out, '\n');
	}
	buf_adds(out, "```\n");
}

/*
 * One code section: the lines of `src` a frame at `line` needs (its
 * function, the whole file when small, or the lines around it), unless
 * they are already in the prompt. `test_name`/`test_class` pick the test
 * function instead of the one enclosing `line`. Appended to `out` if it
 * fits in `budget` (updated); otherwise a note goes into `notes`.
 */
static void add_code(struct prompt_state *st, struct buf *out, struct buf *notes, size_t *budget,
		     const struct source *src, int line, const char *role,
		     const char *test_name, const char *test_class)
{
	struct pyast_function fn = PYAST_FUNCTION_INIT;
	struct buf section = BUF_INIT, title = BUF_INIT;
	int first, last, found = 0, whole;
	int read_only = !st->in->allow_test_edits && guard_is_test_file(src->path);

	if (!src->nr_lines)
		return;
	if (line > src->nr_lines)
		line = src->nr_lines;
	whole = st->whole_files || src->text.len <= PROMPT_SMALL_FILE;
	if (src->ast && !whole) {
		if (test_name)
			found = pyast_find_function(&fn, src->ast, test_name, test_class) == 0;
		else if (line > 0)
			found = pyast_enclosing_function(&fn, src->ast, line) == 0;
		error_clear();
	}
	if (test_name && !found && !whole)
		goto done;
	if (whole) {
		first = 1;
		last = src->nr_lines;
	} else if (found) {
		first = fn.start_line;
		last = fn.end_line < src->nr_lines ? fn.end_line : src->nr_lines;
		if (test_name)
			line = 0;
	} else if (line < 0) {
		/* a file with no line to centre on (heal's context files): from its top, as much as fits */
		first = 1;
		last = src->nr_lines;
	} else {
		first = line - PROMPT_CONTEXT_LINES > 1 ? line - PROMPT_CONTEXT_LINES : 1;
		last = line + PROMPT_CONTEXT_LINES < src->nr_lines ? line + PROMPT_CONTEXT_LINES
								     : src->nr_lines;
	}
	if (first < 1 || first > last)
		goto done;
	if (already_shown(st, src, first, last))
		goto done;
	if (!whole) {
		int full_first = first, full_last = last;
		fit_window(src, &first, &last, line, PROMPT_FUNCTION_CAP);
		if (first != full_first || last != full_last)
			buf_addf(&title, ", lines %d-%d of %d-%d (cut to fit)", first, last, full_first,
				 full_last);
		else
			buf_addf(&title, ", lines %d-%d", first, last);
	}
	buf_addf(&section, "\n### %s", src->path);
	if (whole)
		buf_addf(&section, " (the whole file, %d lines)", src->nr_lines);
	else if (found)
		buf_addf(&section, ": %s `%s%s%s`", test_name ? "test" : "function",
			 fn.class_name ? fn.class_name : "", fn.class_name ? "." : "", fn.name);
	buf_add(&section, title.ptr, title.len);
	if (line > 0)
		buf_addf(&section, "; line %d %s", line, role);
	else if (test_name && whole)
		buf_addf(&section, "; holds the test `%s`", test_name);
	if (read_only)
		buf_adds(&section, " [test file: read-only]");
	else if (st->in->heal && !guard_is_test_file(src->path))
		buf_adds(&section, " [code under test: read-only]");
	buf_addch(&section, '\n');
	add_numbered(&section, src, first, last, line);
	if (!st->whole_files && section.len > *budget) {
		if (notes->len + strlen(src->path) + 100 <= PROMPT_NOTE_RESERVE)
			buf_addf(notes, "- the code of %s around line %d: the prompt is at its size limit\n",
				 src->path, line > 0 ? line : first);
		goto done;
	}
	buf_add(out, section.ptr, section.len);
	*budget -= st->whole_files ? 0 : section.len;
	mark_shown(st, src, whole ? 1 : first, whole ? INT_MAX : last);
done:
	pyast_function_release(&fn);
	buf_release(&section);
	buf_release(&title);
}

/* "C::test_x[1]" -> "test_x" and "C"; "test_x" -> "test_x" and NULL */
static void split_test(char **name, char **cls, const char *test)
{
	const char *end = test + strcspn(test, "["), *p, *last = NULL, *prev = NULL, *start;

	for (p = test; p + 1 < end; p++)
		if (p[0] == ':' && p[1] == ':') {
			prev = last;
			last = p++;
		}
	if (!last) {
		*name = xstrndup(test, (size_t)(end - test));
		*cls = NULL;
		return;
	}
	*name = xstrndup(last + 2, (size_t)(end - last - 2));
	start = prev ? prev + 2 : test;
	*cls = xstrndup(start, (size_t)(last - start));
}

/* the frames' code and the test's, crash frame first; within `budget` bytes */
static void add_code_sections(struct prompt_state *st, struct buf *out, size_t budget)
{
	const struct failure *f = st->in->failure;
	struct buf notes = BUF_INIT;
	char *rel, *test_name = NULL, *test_class = NULL;
	size_t i, shown_frames = 0;

	if (budget > PROMPT_NOTE_RESERVE)
		budget -= PROMPT_NOTE_RESERVE;
	else
		budget = 0;
	buf_adds(out, "\n## Code\n");
	buf_adds(out, "Line numbers and the gutter before '|' are not part of the files; '>' marks the line of a frame.\n");

	/* the crash location, when it is not the last frame */
	if (f->loc_file && f->loc_line > 0 &&
	    !(f->nr_frames && f->frames[f->nr_frames - 1].line == f->loc_line &&
	      f->frames[f->nr_frames - 1].file && !strcmp(f->frames[f->nr_frames - 1].file, f->loc_file)) &&
	    (rel = project_path(st->in->root, f->loc_file))) {
		const struct source *src = source_get(st, rel);
		if (src)
			add_code(st, out, &notes, &budget, src, f->loc_line, "is where the error was raised",
				 NULL, NULL);
		free(rel);
		shown_frames++;
	}
	for (i = f->nr_frames; i-- > 0 && shown_frames < PROMPT_MAX_FRAMES;) {
		const struct frame *fr = &f->frames[i];
		const struct source *src;

		if (!(rel = project_path(st->in->root, fr->file)))
			continue;
		if ((src = source_get(st, rel)))
			add_code(st, out, &notes, &budget, src, fr->line,
				 shown_frames ? "is in the call chain" : "is where the error was raised",
				 NULL, NULL);
		free(rel);
		shown_frames++;
	}

	/* the test function itself */
	if (f->file && f->test && (rel = project_path(st->in->root, f->file))) {
		const struct source *src = source_get(st, rel);

		split_test(&test_name, &test_class, f->test);
		if (src && *test_name)
			add_code(st, out, &notes, &budget, src, 0, "", test_name, test_class);
		free(rel);
	}
	/* heal: the code the test imports (the code it calls, when no frame reached it) */
	for (i = 0; st->in->context_files && i < st->in->context_files->nr; i++) {
		const char *path = st->in->context_files->v[i];
		const struct source *src;
		if (project_path_is_source(path) && (src = source_get(st, path)))
			add_code(st, out, &notes, &budget, src, -1, "", NULL, NULL);
	}
	if (!st->nr_shown)
		buf_adds(out, "(no project source could be found for this failure)\n");
	if (notes.len) {
		buf_adds(out, "\nLeft out:\n");
		buf_add(out, notes.ptr, notes.len);
	}
	free(test_class);
	free(test_name);
	buf_release(&notes);
}

/* ---- the prompts ---- */

static const char system_head[] =
	"You are pytest-fixer, an automated program-repair assistant. A pytest test fails; "
	"propose the smallest change to the project that makes it pass for the right reason.\n"
	"\n"
	"Rules:\n"
	"- Fix the cause in the code under test. Never weaken a test: do not delete or loosen "
	"asserts, add skip or xfail marks, catch AssertionError, widen pytest.raises, add "
	"tolerances or return early from a test.\n";

static const char system_heal_head[] =
	"You are pytest-fixer, an automated test-maintenance assistant. The code under test was "
	"changed on purpose and is right; a pytest test written for the old code now fails. "
	"Propose the smallest change to the failing test's own file that brings the test up to "
	"date with the new code (a renamed or moved name, a changed signature or argument order, "
	"a changed return type) while it keeps checking the same behaviour.\n"
	"\n"
	"Rules:\n"
	"- Edit only the failing test's file. The code under test is read-only: never edit it.\n"
	"- Never weaken the test: do not delete or loosen asserts, add skip or xfail marks, catch "
	"AssertionError, widen pytest.raises, add tolerances or return early from a test.\n"
	"- Do not change an expected value unless the new code clearly means a new behaviour; "
	"such a change is held for the user's approval.\n"
	"- Do not touch pytest's configuration: no hooks, no pytest_plugins.\n";

static const char system_no_tests[] =
	"- Do not edit test files (anything under tests/ or test/, test_*.py, *_test.py, "
	"conftest.py): they are read-only here.\n";

static const char system_tests[] =
	"- You may edit a test file only when the test itself is wrong (a wrong import, an "
	"outdated call); keep every check it makes.\n";

static const char system_tail[] =
	"- Paths are relative to the project root, '/'-separated, exactly as the code sections "
	"name them.\n"
	"- Line numbers and the gutter before '|' in the code sections are not part of the "
	"files: never copy them into your edit.\n"
	"- Change nothing else: no reformatting, no unrelated edits.\n"
	"\n"
	"Edit modes, least invasive first:\n"
	"- update: \"old_str\" is replaced by \"new_str\". old_str must occur exactly once in the "
	"file: copy it exactly from the file, with its indentation, and include enough "
	"surrounding lines to make it unique.\n"
	"- patch: \"patch\" is a unified diff of the file (\"--- a/path\", \"+++ b/path\", "
	"\"@@ -l,n +l,n @@\" hunks with 3 lines of context), for changes at several places.\n"
	"- rewrite: \"new_content\" is the whole new file; only when most of the file changes, "
	"or to create a file.\n"
	"\n"
	"Reply with exactly one JSON object and nothing else, for example:\n"
	"{\n"
	"  \"reasoning\": \"why the test fails and what the change does, in a sentence or two\",\n"
	"  \"file\": \"src/pkg/module.py\",\n"
	"  \"old_str\": \"        return total / count\\n\",\n"
	"  \"new_str\": \"        return total / count if count else 0\\n\"\n"
	"}\n"
	"Give exactly one payload: \"old_str\" with \"new_str\" (update), or \"patch\" (the diff as "
	"a string), or \"new_content\" (rewrite). To change several files, give \"edits\": "
	"[{\"file\": ..., \"old_str\": ..., \"new_str\": ...}, {\"file\": ..., \"patch\": ...}] "
	"beside \"reasoning\" instead.\n"
	"YAML with the same fields is accepted too, with code in block scalars:\n"
	"reasoning: \"...\"\n"
	"file: src/payment.py\n"
	"patch: |\n"
	"  --- a/src/payment.py\n"
	"  +++ b/src/payment.py\n"
	"  @@ -25,3 +25,3 @@\n"
	"   def calculate_tax(amount):\n"
	"  -    return amount * 0.075\n"
	"  +    return round(amount * 0.088, 2)\n";

static void build_system(struct buf *out, const struct prompt_input *in)
{
	if (in->heal) {
		buf_adds(out, system_heal_head);
		buf_adds(out, system_tail);
		buf_adds(out, "Here \"file\" is always the failing test's file, as the test's code section "
			 "names it.\n");
		return;
	}
	buf_adds(out, system_head);
	buf_adds(out, in->allow_test_edits ? system_tests : system_no_tests);
	buf_adds(out, system_tail);
}

/* the user prompt without its code: the failure and traceback (`head`), the rest (`tail`) */
static void build_user_parts(struct buf *head, struct buf *tail, const struct prompt_input *in)
{
	const struct failure *f = in->failure;

	buf_adds(head, "## The failing test\n");
	buf_adds(head, "Test: ");
	add_inline(head, f->id ? f->id : "(unknown)", PROMPT_MESSAGE_CAP);
	buf_addf(head, "\nKind: %s\n", failure_kind_name(f->kind));
	if (f->error_type) {
		buf_adds(head, "Error type: ");
		add_inline(head, f->error_type, PROMPT_MESSAGE_CAP);
		buf_addch(head, '\n');
	}
	if (f->loc_file && f->loc_line > 0) {
		buf_adds(head, "Raised at: ");
		add_inline(head, f->loc_file, EDIT_MAX_PATH);
		buf_addf(head, ":%d\n", f->loc_line);
	}
	if (f->message && *f->message) {
		buf_adds(head, "Message:\n```\n");
		add_text(head, f->message, PROMPT_MESSAGE_CAP, "message");
		buf_adds(head, "```\n");
	}
	if (f->traceback && *f->traceback) {
		buf_adds(head, "\n## Traceback\n```\n");
		add_text(head, f->traceback, PROMPT_TRACEBACK_CAP, "traceback");
		buf_adds(head, "```\n");
	}

	if (in->heal && in->code_change && *in->code_change) {
		buf_adds(tail, "\n## The recent change of the code (on purpose; the test must follow it)\n```diff\n");
		add_text(tail, in->code_change, PROMPT_CODE_CHANGE_CAP, "change of the code");
		buf_adds(tail, "```\n");
	}
	if (in->previous_change && *in->previous_change) {
		buf_adds(tail, "\n## The previous attempt, which failed\n```diff\n");
		add_text(tail, in->previous_change, PROMPT_PREVIOUS_CAP, "change");
		buf_adds(tail, "```\n");
	}
	if (in->previous_failure && *in->previous_failure) {
		if (!(in->previous_change && *in->previous_change))
			buf_adds(tail, "\n## The previous attempt, which failed\n");
		buf_adds(tail, "Why it failed:\n```\n");
		add_text(tail, in->previous_failure, PROMPT_PREVIOUS_CAP, "output");
		buf_adds(tail, "```\nTry a different fix; do not repeat it.\n");
	}
	if (in->preferred_mode && *in->preferred_mode) {
		buf_adds(tail, "\n## Preferred edit mode\n");
		buf_adds(tail, "For this error category");
		if (f->error_type) {
			buf_adds(tail, " (");
			add_inline(tail, f->error_type, 200);
			buf_adds(tail, ")");
		}
		buf_adds(tail, " the edit mode that has worked best in this project is `");
		add_inline(tail, in->preferred_mode, 32);
		buf_adds(tail, "`: use it when it fits.\n");
	}
	if (in->user_prompt && *in->user_prompt) {
		buf_adds(tail, "\n## Instructions from the user\n");
		add_text(tail, in->user_prompt, PROMPT_USER_CAP, "instructions");
	}
	buf_adds(tail, "\nReply with the JSON object only.\n");
}

static void build(struct buf *system, struct buf *user, const struct prompt_input *in, int whole_files)
{
	struct prompt_state st;
	struct buf head = BUF_INIT, tail = BUF_INIT, code = BUF_INIT;
	size_t fixed, budget;

	memset(&st, 0, sizeof(st));
	st.in = in;
	st.whole_files = whole_files;
	build_system(system, in);
	build_user_parts(&head, &tail, in);
	fixed = system->len + head.len + tail.len;
	budget = fixed < PROMPT_TOTAL_CAP ? PROMPT_TOTAL_CAP - fixed : 0;
	if (in->root)
		add_code_sections(&st, &code, budget);
	buf_add(user, head.ptr, head.len);
	buf_add(user, code.ptr, code.len);
	buf_add(user, tail.ptr, tail.len);
	sources_release(&st);
	buf_release(&head);
	buf_release(&tail);
	buf_release(&code);
}

int prompt_build(struct buf *system, struct buf *user, const struct prompt_input *in)
{
	size_t sys0 = system->len, user0 = user->len, total;

	assert(in && in->failure);
	build(system, user, in, 0);
	/* a safety net: the parts are capped so that this does not happen */
	total = (system->len - sys0) + (user->len - user0);
	if (total > PROMPT_TOTAL_CAP) {
		size_t keep = user->len - (total - PROMPT_TOTAL_CAP);
		buf_setlen(user, char_floor(user->ptr, user->len, keep));
	}
	return 0;
}

size_t prompt_whole_files_size(const struct prompt_input *in)
{
	struct buf system = BUF_INIT, user = BUF_INIT;
	size_t n;

	assert(in && in->failure);
	build(&system, &user, in, 1);
	n = system.len + user.len;
	buf_release(&system);
	buf_release(&user);
	return n;
}
