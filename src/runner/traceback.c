#include "runner/traceback.h"

#include "util/buf.h"
#include "util/fs.h"
#include "util/xalloc.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * Everything here walks the text one line at a time with a cursor; a line is
 * a <ptr, len> slice that never includes its "\n" (nor a "\r" before it).
 */
struct slice {
	const char *p;
	size_t len;
};

static int next_line(struct slice *out, const char **cur, const char *end)
{
	const char *p = *cur, *nl;
	if (p >= end)
		return 0;
	nl = memchr(p, '\n', (size_t)(end - p));
	out->p = p;
	out->len = (size_t)((nl ? nl : end) - p);
	*cur = nl ? nl + 1 : end;
	if (out->len && out->p[out->len - 1] == '\r')
		out->len--;
	return 1;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t';
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_ident(char c)
{
	return is_ident_start(c) || is_digit(c);
}

static struct slice trim(struct slice s)
{
	while (s.len && is_space(s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len && is_space(s.p[s.len - 1]))
		s.len--;
	return s;
}

static int slice_eq(struct slice s, const char *lit)
{
	size_t n = strlen(lit);
	return s.len == n && !memcmp(s.p, lit, n);
}

static int slice_starts(struct slice s, const char *lit)
{
	size_t n = strlen(lit);
	return s.len >= n && !memcmp(s.p, lit, n);
}

static int slice_ends(struct slice s, const char *lit)
{
	size_t n = strlen(lit);
	return s.len >= n && !memcmp(s.p + s.len - n, lit, n);
}

/* a 1-based line number of at most 9 digits at *p; advances *p */
static int parse_lineno(int *out, const char **p, const char *end)
{
	const char *q = *p;
	long v = 0;
	while (q < end && is_digit(*q) && q - *p < 9)
		v = v * 10 + (*q++ - '0');
	if (q == *p || (q < end && is_digit(*q)) || v < 1 || v > INT_MAX)
		return -1;
	*out = (int)v;
	*p = q;
	return 0;
}

/* a new traceback block starts: Python's header or a chained-exception banner */
static int is_block_start(struct slice line)
{
	struct slice t = trim(line);
	return slice_eq(t, "Traceback (most recent call last):") ||
	       slice_eq(t, "The above exception was the direct cause of the following exception:") ||
	       slice_eq(t, "During handling of the above exception, another exception occurred:");
}

/* pytest's "------ Captured stdout call ------": the traceback is over */
static int is_section_header(struct slice line)
{
	size_t i = 0;
	while (i < line.len && line.p[i] == '-')
		i++;
	if (i < 3 || i >= line.len || line.p[i] != ' ')
		return 0;
	line.p += i + 1;
	line.len -= i + 1;
	return slice_starts(line, "Captured ");
}

/* the next line of the traceback itself: none at the end or at a section header */
static int next_traceback_line(struct slice *out, const char **cur, const char *end)
{
	return next_line(out, cur, end) && !is_section_header(*out);
}

/* pytest's "_ _ _ _" line between entries */
static int is_entry_separator(struct slice line)
{
	return slice_starts(line, "_ _ _ ");
}

/* pytest's "E   ..." exception lines */
static int is_e_line(struct slice line)
{
	return line.len && line.p[0] == 'E' && (line.len == 1 || line.p[1] == ' ');
}

struct location {
	struct slice path;
	int line;
	struct slice function;  /* len 0: not given */
	struct slice rest;      /* pytest: the text after "path:N:" */
	int has_function;
	int e_prefixed;         /* Python's File line inside pytest's "E" lines */
};

/*
 * Python's '  File "/abs/x.py", line 6, in divide' (the function is missing
 * for a SyntaxError's own location), also inside pytest's "E" lines.
 */
static int parse_native_location(struct location *loc, struct slice line)
{
	const char *p = line.p, *end = line.p + line.len, *q;
	static const char sep[] = "\", line ";

	memset(loc, 0, sizeof(*loc));
	if (is_e_line(line)) {
		loc->e_prefixed = 1;
		p++;
	}
	while (p < end && is_space(*p))
		p++;
	if ((size_t)(end - p) < 6 || memcmp(p, "File \"", 6))
		return 0;
	p += 6;
	for (q = p; q + sizeof(sep) - 1 <= end; q++)
		if (!memcmp(q, sep, sizeof(sep) - 1))
			break;
	if (q + sizeof(sep) - 1 > end || q == p)
		return 0;
	loc->path.p = p;
	loc->path.len = (size_t)(q - p);
	p = q + sizeof(sep) - 1;
	if (parse_lineno(&loc->line, &p, end) < 0)
		return 0;
	if (p == end)
		return 1;
	if ((size_t)(end - p) < 5 || memcmp(p, ", in ", 5))
		return 0;
	loc->function.p = p + 5;
	loc->function.len = (size_t)(end - p - 5);
	loc->function = trim(loc->function);
	loc->has_function = loc->function.len > 0;
	return 1;
}

/*
 * pytest's "path.py:20: in test_div", "path.py:6: ZeroDivisionError",
 * "path.py:20: " and "/abs/path.py:6: Error: message" (--tb=line): a path at
 * the start of the line, then ":N:" or ":N" at the end. The path must name a
 * Python file ("<frozen os>" too, so that it ends an entry before being
 * dropped), which keeps source lines and prose from looking like frames.
 */
static int parse_pytest_location(struct location *loc, struct slice line)
{
	const char *end = line.p + line.len, *c;

	memset(loc, 0, sizeof(*loc));
	if (!line.len || is_space(line.p[0]) || line.p[0] == '>' || is_e_line(line))
		return 0;
	for (c = line.p + 1; c < end; c++) {
		struct slice path;
		const char *p;
		if (*c != ':' || c + 1 >= end || !is_digit(c[1]))
			continue;
		path.p = line.p;
		path.len = (size_t)(c - line.p);
		if (!slice_ends(path, ".py") && !slice_ends(path, ".pyx") &&
		    !(path.p[0] == '<' && path.p[path.len - 1] == '>'))
			continue;
		p = c + 1;
		if (parse_lineno(&loc->line, &p, end) < 0)
			continue;
		if (p < end && *p != ':')
			continue;
		loc->path = path;
		if (p < end)
			p++;
		loc->rest.p = p;
		loc->rest.len = (size_t)(end - p);
		if (slice_starts(loc->rest, " in ")) {
			loc->function.p = p + 4;
			loc->function.len = (size_t)(end - p - 4);
			loc->function = trim(loc->function);
			loc->has_function = loc->function.len > 0;
		}
		return 1;
	}
	return 0;
}

/* the name in "def name(" or "async def name(", after pytest's "    " or ">   " */
static int find_def(struct slice *name, struct slice line)
{
	const char *p = line.p, *end = line.p + line.len, *q;
	if (p < end && *p == '>')
		p++;
	while (p < end && is_space(*p))
		p++;
	if ((size_t)(end - p) >= 6 && !memcmp(p, "async ", 6))
		p += 6;
	if ((size_t)(end - p) < 4 || memcmp(p, "def ", 4))
		return 0;
	p += 4;
	while (p < end && is_space(*p))
		p++;
	if (p == end || !is_ident_start(*p))
		return 0;
	for (q = p; q < end && is_ident(*q); q++)
		;
	name->p = p;
	name->len = (size_t)(q - p);
	return 1;
}

char *traceback_project_path(const char *path, size_t len, const char *root)
{
	struct buf norm = BUF_INIT;
	char *raw, *rel = NULL;
	const char *p, *end;

	if (!path || !len || path[0] == '<')
		return NULL;
	raw = xstrndup(path, len);
	if (raw[0] == '/') {
		if (!root || !*root || !(rel = fs_relative_to(raw, root)))
			goto done;
	} else {
		rel = xstrdup(raw);
	}
	p = rel;
	end = rel + strlen(rel);
	while (p < end) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		struct slice comp;
		comp.p = p;
		comp.len = (size_t)((slash ? slash : end) - p);
		p = slash ? slash + 1 : end;
		if (!comp.len || slice_eq(comp, "."))
			continue;
		if (slice_eq(comp, "..") || slice_eq(comp, "site-packages") ||
		    slice_eq(comp, "dist-packages")) {
			buf_reset(&norm);
			goto done;
		}
		if (norm.len)
			buf_addch(&norm, '/');
		buf_add(&norm, comp.p, comp.len);
	}
done:
	free(rel);
	free(raw);
	if (!norm.len) {
		buf_release(&norm);
		return NULL;
	}
	return buf_detach(&norm, NULL);
}

static int add_frame(struct failure *f, const struct location *loc,
		     const struct slice *function, const char *root)
{
	char *file = traceback_project_path(loc->path.p, loc->path.len, root);
	char *fn = NULL;
	if (!file)
		return 0;
	if (function && function->len)
		fn = xstrndup(function->p, function->len);
	failure_add_frame(f, file, loc->line, fn);
	free(fn);
	free(file);
	return 1;
}

static void drop_frames_from(struct failure *f, size_t from)
{
	while (f->nr_frames > from) {
		struct frame *fr = &f->frames[--f->nr_frames];
		free(fr->file);
		free(fr->function);
	}
}

int traceback_parse_frames(struct failure *f, const char *text, size_t len, const char *root)
{
	const char *cur = text, *end = text + len;
	size_t base = f->nr_frames;
	struct slice line, def = { NULL, 0 };

	if (!text)
		return 0;
	while (next_traceback_line(&line, &cur, end)) {
		struct location loc;
		if (is_block_start(line)) {
			/*
			 * Chained exceptions print the first one first: the last
			 * block is the exception that was actually raised, so the
			 * frames of earlier blocks are dropped.
			 */
			drop_frames_from(f, base);
			def.len = 0;
			continue;
		}
		if (is_entry_separator(line)) {
			def.len = 0;
			continue;
		}
		if (parse_native_location(&loc, line)) {
			/* a traceback quoted inside an exception message is not ours */
			if (!(loc.e_prefixed && loc.has_function))
				add_frame(f, &loc, loc.has_function ? &loc.function : NULL, root);
			def.len = 0;
			continue;
		}
		if (parse_pytest_location(&loc, line)) {
			/*
			 * The long format names no function: it shows the
			 * function's source above the location, from its "def".
			 */
			add_frame(f, &loc, loc.has_function ? &loc.function : &def, root);
			def.len = 0;
			continue;
		}
		if (!def.len && !is_e_line(line))
			find_def(&def, line);
	}
	return (int)(f->nr_frames - base);
}

/*
 * A bare word is taken for an exception only when it is named like one:
 * "Failed" or "Timeout" alone are more often prose (Go's JUnit writes
 * message="Failed") than pytest.fail("") or a custom class.
 */
static int looks_like_exception(const char *name, const char *end)
{
	static const char *const suffixes[] = {
		"Error", "Exception", "Warning", "Interrupt", "Exit", "Iteration",
	};
	struct slice s;
	size_t i;
	s.p = name;
	s.len = (size_t)(end - name);
	for (i = 0; i < ARRAY_SIZE(suffixes); i++)
		if (slice_ends(s, suffixes[i]))
			return 1;
	return 0;
}

int traceback_split_exception(char **type_out, char **message_out, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *last = text, *name_end;
	struct slice msg;

	*type_out = NULL;
	*message_out = NULL;
	if (!text)
		return 0;
	for (;;) {
		if (p == end || !is_ident_start(*p))
			return 0;
		last = p;
		while (p < end && is_ident(*p))
			p++;
		if (p + 1 < end && *p == '.' && is_ident_start(p[1])) {
			p++;
			continue;
		}
		break;
	}
	if (!(*last >= 'A' && *last <= 'Z'))
		return 0;
	name_end = p;
	/* "Name: message", "Name:", or a bare "Name" alone on its line */
	if (p < end && *p == ':' && (p + 1 == end || p[1] == ' ' || p[1] == '\n'))
		p += (p + 1 < end && p[1] == ' ') ? 2 : 1;
	else if ((p == end || *p == '\n') && looks_like_exception(last, name_end))
		p += p < end;
	else
		return 0;
	*type_out = xstrndup(text, (size_t)(name_end - text));
	msg.p = p;
	msg.len = (size_t)(end - p);
	while (msg.len && (is_space(msg.p[msg.len - 1]) || msg.p[msg.len - 1] == '\n' ||
			   msg.p[msg.len - 1] == '\r'))
		msg.len--;
	while (msg.len && msg.p[0] == '\n') {
		msg.p++;
		msg.len--;
	}
	if (msg.len)
		*message_out = xstrndup(msg.p, msg.len);
	return 1;
}

/* the text of pytest's E lines in [start, end), without "E" and their common indentation */
static void e_run_text(struct buf *out, const char *start, const char *end)
{
	struct slice line;
	const char *cur = start;
	size_t indent = SIZE_MAX;

	while (next_line(&line, &cur, end)) {
		size_t i = 1;
		while (i < line.len && is_space(line.p[i]))
			i++;
		if (i < line.len && i - 1 < indent)
			indent = i - 1;
	}
	if (indent == SIZE_MAX)
		indent = 0;
	cur = start;
	while (next_line(&line, &cur, end)) {
		size_t skip = 1 + indent;
		if (out->len)
			buf_addch(out, '\n');
		if (line.len > skip)
			buf_add(out, line.p + skip, line.len - skip);
	}
}

static void set_exception_from(char **type_out, char **message_out, const char *text, size_t len)
{
	/* the exception line may follow a SyntaxError's File/source/caret lines */
	const char *cur = text, *end = text + len;
	struct slice line;
	int first = 1;
	while (next_line(&line, &cur, end)) {
		size_t rest = (size_t)(end - line.p);
		if (traceback_split_exception(type_out, message_out, line.p, rest))
			return;
		if (first && !slice_starts(trim(line), "File \""))
			break;
		first = 0;
	}
	*type_out = NULL;
	*message_out = len ? xstrndup(text, len) : NULL;
}

int traceback_parse_exception(char **type_out, char **message_out, const char *text, size_t len)
{
	const char *cur = text, *end = text + len;
	const char *e_start = NULL, *e_end = NULL;      /* the last run of E lines */
	const char *native_start = NULL, *native_end = NULL;
	struct slice crash = { NULL, 0 };               /* "Type: msg" after "path:N: " */
	int in_e_run = 0, after_native_frame = 0;
	struct slice line;

	*type_out = NULL;
	*message_out = NULL;
	if (!text)
		return 0;
	while (next_traceback_line(&line, &cur, end)) {
		struct location loc;
		if (is_block_start(line)) {
			e_start = e_end = native_start = native_end = NULL;
			crash.p = NULL;
			crash.len = 0;
			in_e_run = after_native_frame = 0;
			continue;
		}
		if (is_e_line(line)) {
			if (!in_e_run)
				e_start = line.p;
			e_end = line.p + line.len;
			in_e_run = 1;
			continue;
		}
		in_e_run = 0;
		if (parse_native_location(&loc, line)) {
			after_native_frame = 1;
			native_start = native_end = NULL;
			continue;
		}
		if (parse_pytest_location(&loc, line)) {
			/* the long format ends with "path:N: Type" below its E lines */
			if (!loc.has_function)
				crash = trim(loc.rest);
			continue;
		}
		if (after_native_frame && line.len && !is_space(line.p[0])) {
			native_start = line.p;
			after_native_frame = 0;
		}
		if (native_start && line.len)
			native_end = line.p + line.len;
	}

	if (e_start) {
		struct buf b = BUF_INIT;
		e_run_text(&b, e_start, e_end);
		set_exception_from(type_out, message_out, b.ptr, b.len);
		buf_release(&b);
		if (!*type_out && crash.len) {
			char *msg = NULL;
			traceback_split_exception(type_out, &msg, crash.p, crash.len);
			free(msg);
		}
		return 1;
	}
	if (native_start) {
		set_exception_from(type_out, message_out, native_start,
				   (size_t)(native_end - native_start));
		return 1;
	}
	if (crash.len) {
		traceback_split_exception(type_out, message_out, crash.p, crash.len);
		return *type_out != NULL;
	}
	return 0;
}
