#include "gen/spec.h"

#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* headings deep, at most (Markdown has six levels) */
#define MD_LEVELS 6
/* a heading's part of a derived id, at most */
#define SLUG_MAX 24

void gen_spec_release(struct gen_spec *s)
{
	size_t i;

	for (i = 0; i < s->nr; i++) {
		free(s->items[i].id);
		free(s->items[i].title);
		free(s->items[i].text);
		free(s->items[i].file);
	}
	free(s->items);
	memset(s, 0, sizeof(*s));
}

const struct gen_spec_item *gen_spec_find(const struct gen_spec *s, const char *id)
{
	size_t i;

	for (i = 0; i < s->nr; i++)
		if (!strcmp(s->items[i].id, id))
			return &s->items[i];
	return NULL;
}

/* drop the items past `nr` */
static void truncate_to(struct gen_spec *s, size_t nr)
{
	while (s->nr > nr) {
		struct gen_spec_item *it = &s->items[--s->nr];
		free(it->id);
		free(it->title);
		free(it->text);
		free(it->file);
	}
}

/* <s, n> with runs of whitespace made one space, trimmed, capped at GEN_SPEC_MAX_TEXT (owned) */
static char *collapse(const char *s, size_t n)
{
	struct buf b = BUF_INIT;
	size_t i;
	int space = 0;

	for (i = 0; i < n && b.len < GEN_SPEC_MAX_TEXT; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f') {
			space = b.len > 0;
			continue;
		}
		if (ch < 0x20 || ch == 0x7f)
			continue;
		if (space)
			buf_addch(&b, ' ');
		space = 0;
		buf_addch(&b, (char)ch);
	}
	/* a cut never ends inside a UTF-8 sequence */
	if (i < n)
		while (b.len && ((unsigned char)b.ptr[b.len - 1] & 0xc0) == 0x80)
			buf_setlen(&b, b.len - 1);
	if (b.len && ((unsigned char)b.ptr[b.len - 1] & 0xc0) == 0xc0)
		buf_setlen(&b, b.len - 1);
	return buf_detach(&b, NULL);
}

static int add_item(struct gen_spec *s, const char *name, const char *id, const char *title,
		    const char *text, int line)
{
	struct gen_spec_item *it;

	if (gen_spec_find(s, id) && line)
		return error_setc(ERR_PARSE, "cannot parse spec '%s': line %d: the id '%s' is given twice", name,
				  line, id);
	if (gen_spec_find(s, id))
		return error_setc(ERR_PARSE, "cannot parse spec '%s': the id '%s' is given twice", name, id);
	if (s->nr >= GEN_SPEC_MAX_ITEMS)
		return error_setc(ERR_LIMIT, "cannot parse spec '%s': more than %d items", name, GEN_SPEC_MAX_ITEMS);
	ALLOC_GROW(s->items, s->nr + 1, s->alloc);
	it = &s->items[s->nr++];
	it->id = xstrdup(id);
	it->title = xstrdup(title);
	it->text = xstrdup(text);
	it->file = xstrdup(name);
	it->line = line;
	return 0;
}

/* ---- Markdown ------------------------------------------------------------ */

static int is_upper(char c) { return c >= 'A' && c <= 'Z'; }
static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_space(char c) { return c == ' ' || c == '\t'; }

/*
 * An explicit id at the start of <s, n>: its length into *idlen and the
 * offset of the text after it (past closers and a separator); 0 when there
 * is none. "**AC-3**: text", "[US-2] text", "AC-3. text", "AC-3 - text".
 */
static size_t explicit_id(const char *s, size_t n, size_t *idstart, size_t *idlen)
{
	size_t i = 0, start, k;

	while (i < n && (s[i] == '*' || s[i] == '_' || s[i] == '[' || s[i] == '`' || s[i] == '('))
		i++;
	start = i;
	if (i >= n || !is_upper(s[i]))
		return 0;
	while (i < n && (is_upper(s[i]) || is_digit(s[i]) || s[i] == '_'))
		i++;
	if (i >= n || s[i] != '-' || i + 1 >= n || !is_digit(s[i + 1]))
		return 0;
	i++;
	while (i < n && (is_digit(s[i]) || (s[i] == '.' && i + 1 < n && is_digit(s[i + 1]))))
		i++;
	if (i - start > GEN_SPEC_MAX_ID)
		return 0;
	*idstart = start;
	*idlen = i - start;
	while (i < n && (s[i] == '*' || s[i] == '_' || s[i] == ']' || s[i] == '`' || s[i] == ')'))
		i++;
	k = i;
	while (k < n && is_space(s[k]))
		k++;
	if (k < n && (s[k] == ':' || s[k] == '.' || s[k] == ')' || s[k] == '-'))
		k++;
	else if (k + 3 <= n && (!memcmp(s + k, "\xe2\x80\x94", 3) || !memcmp(s + k, "\xe2\x80\x93", 3)))
		k += 3;   /* an em or en dash */
	else if (k == i && k < n)
		return 0;   /* "AC-3x": not an id */
	while (k < n && (is_space(s[k]) || s[k] == '*' || s[k] == '_'))
		k++;
	return k ? k : 1;
}

/* a list item's marker at the start of <s, n> ("- ", "1. "): the offset of its text, else 0 */
static size_t list_marker(const char *s, size_t n)
{
	size_t i = 0, d;

	while (i < n && is_space(s[i]))
		i++;
	if (i < n && (s[i] == '-' || s[i] == '*' || s[i] == '+') && i + 1 < n && is_space(s[i + 1])) {
		i += 2;
	} else {
		for (d = 0; i + d < n && is_digit(s[i + d]) && d < 9; d++)
			;
		if (!d || i + d + 1 >= n || (s[i + d] != '.' && s[i + d] != ')') || !is_space(s[i + d + 1]))
			return 0;
		i += d + 2;
	}
	while (i < n && is_space(s[i]))
		i++;
	/* a task list's box */
	if (i + 3 <= n && s[i] == '[' && (s[i + 1] == ' ' || s[i + 1] == 'x' || s[i + 1] == 'X') && s[i + 2] == ']') {
		i += 3;
		while (i < n && is_space(s[i]))
			i++;
	}
	return i;
}

/* a horizontal rule: "---", "***", "___" (with spaces) */
static int is_rule(const char *s, size_t n)
{
	size_t i, count = 0;
	char c = 0;

	for (i = 0; i < n; i++) {
		if (is_space(s[i]))
			continue;
		if (s[i] != '-' && s[i] != '*' && s[i] != '_')
			return 0;
		if (c && s[i] != c)
			return 0;
		c = s[i];
		count++;
	}
	return count >= 3;
}

static void slug_add(struct buf *out, const char *s)
{
	size_t start = out->len;
	int dash = 0;

	for (; *s && out->len - start < SLUG_MAX; s++) {
		char c = *s;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if ((c >= 'a' && c <= 'z') || is_digit(c)) {
			if (dash && out->len > start)
				buf_addch(out, '-');
			dash = 0;
			buf_addch(out, c);
		} else
			dash = 1;
	}
	if (out->len == start)
		buf_adds(out, "section");
}

struct md {
	struct gen_spec *s;
	const char *name;
	char *heading[MD_LEVELS];      /* the current heading of each level, or NULL */
	int count[MD_LEVELS + 1];      /* items under the innermost heading ([0]: none) */
	struct buf text;               /* the open item's text */
	struct buf id;                 /* its explicit id, or empty */
	int open, line, level;         /* an item open, its line, the innermost heading's level */
	int heading_item;              /* the open item is a heading's: paragraphs join it */
};

static void md_path(struct md *m, struct buf *out, const char *sep, int slug)
{
	int l;

	for (l = 0; l < MD_LEVELS; l++) {
		if (!m->heading[l])
			continue;
		if (out->len)
			buf_adds(out, sep);
		if (slug)
			slug_add(out, m->heading[l]);
		else
			buf_adds(out, m->heading[l]);
	}
}

static int md_flush(struct md *m)
{
	struct buf id = BUF_INIT, title = BUF_INIT;
	char *text;
	int err = 0;

	if (!m->open)
		return 0;
	m->open = 0;
	m->heading_item = 0;
	m->count[m->level]++;
	text = collapse(m->text.ptr, m->text.len);
	md_path(m, &title, " > ", 0);
	if (m->id.len)
		buf_add(&id, m->id.ptr, m->id.len);
	else {
		int k;
		md_path(m, &id, ".", 1);
		buf_addf(&id, "%s%d", id.len ? "-" : "item-", m->count[m->level]);
		/* the same headings twice: the later items get a suffix */
		for (k = 2; gen_spec_find(m->s, id.ptr) && k < GEN_SPEC_MAX_ITEMS + 2; k++) {
			size_t at = id.len;
			buf_addf(&id, "_%d", k);
			if (!gen_spec_find(m->s, id.ptr))
				break;
			buf_setlen(&id, at);
		}
	}
	if (*text)
		err = add_item(m->s, m->name, id.ptr, title.ptr, text, m->line);
	else
		m->count[m->level]--;
	free(text);
	buf_reset(&m->text);
	buf_reset(&m->id);
	buf_release(&id);
	buf_release(&title);
	return err;
}

/* open an item at `line` with <s, n> (an explicit id at its start is taken) */
static int md_open(struct md *m, const char *s, size_t n, int line)
{
	size_t idstart = 0, idlen = 0, at;
	int err = md_flush(m);

	if (err < 0)
		return err;
	at = explicit_id(s, n, &idstart, &idlen);
	if (at) {
		buf_add(&m->id, s + idstart, idlen);
		s += at > n ? n : at;
		n -= at > n ? n : at;
	}
	buf_add(&m->text, s, n);
	m->open = 1;
	m->line = line;
	return 0;
}

static int parse_markdown(struct gen_spec *s, const char *name, const char *text, size_t len)
{
	struct md m;
	const char *p = text, *end = text + len;
	int line = 0, err = 0, l;
	char fence = 0;
	int blank_before = 1;

	memset(&m, 0, sizeof(m));
	m.s = s;
	m.name = name;
	buf_init(&m.text, 0);
	buf_init(&m.id, 0);
	while (p < end && !err) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p), i = 0, at;
		const char *q = p;

		line++;
		p = nl ? nl + 1 : end;
		if (n && q[n - 1] == '\r')
			n--;
		while (i < n && i < 4 && q[i] == ' ')
			i++;
		/* fenced code: skipped */
		if (i + 3 <= n && (q[i] == '`' || q[i] == '~') && q[i + 1] == q[i] && q[i + 2] == q[i]) {
			if (!fence)
				fence = q[i];
			else if (q[i] == fence)
				fence = 0;
			err = md_flush(&m);
			continue;
		}
		if (fence)
			continue;
		if (i == n || (i + 1 == n && q[i] == '\t') || is_rule(q, n)) {
			/* a blank line ends a list item; a heading's item takes the paragraphs below it */
			if (!m.heading_item)
				err = md_flush(&m);
			blank_before = 1;
			continue;
		}
		if (i < 4 && q[i] == '#') {
			size_t h = i, level;
			while (h < n && q[h] == '#')
				h++;
			level = h - i;
			if (level <= MD_LEVELS && (h == n || is_space(q[h]))) {
				size_t e = n;
				if ((err = md_flush(&m)) < 0)
					break;
				while (h < n && is_space(q[h]))
					h++;
				while (e > h && (is_space(q[e - 1]) || q[e - 1] == '#'))
					e--;
				for (l = (int)level - 1; l < MD_LEVELS; l++) {
					free(m.heading[l]);
					m.heading[l] = NULL;
				}
				m.heading[level - 1] = collapse(q + h, e - h);
				m.level = (int)level;
				for (l = (int)level; l <= MD_LEVELS; l++)
					m.count[l] = 0;
				/* a heading with an id is an item, its paragraph its text */
				{
					size_t a, b;
					if (explicit_id(q + h, e - h, &a, &b)) {
						err = md_open(&m, q + h, e - h, line);
						m.heading_item = 1;
					}
				}
				blank_before = 0;
				continue;
			}
		}
		if ((at = list_marker(q, n))) {
			err = md_open(&m, q + at, n - at, line);
			blank_before = 0;
			continue;
		}
		if (q[i] == '|') {
			/* a table row whose first cell is an id: the other cells are its text */
			const char *c = q + i + 1, *e = q + n, *bar = memchr(c, '|', (size_t)(e - c));
			size_t a, b;
			if ((err = md_flush(&m)) < 0)
				break;
			if (bar) {
				const char *cs = c, *ce = bar;
				while (cs < ce && is_space(*cs))
					cs++;
				while (ce > cs && is_space(ce[-1]))
					ce--;
				/* the cell holds the id alone */
				if (ce > cs && explicit_id(cs, (size_t)(ce - cs), &a, &b) >= (size_t)(ce - cs)) {
					struct buf row = BUF_INIT;
					const char *r;
					buf_add(&row, cs + a, b);
					buf_adds(&row, ": ");
					for (r = bar + 1; r < e; r++)
						buf_addch(&row, *r == '|' ? ' ' : *r);
					err = md_open(&m, row.ptr, row.len, line);
					buf_release(&row);
					if (!err)
						err = md_flush(&m);
				}
			}
			blank_before = 0;
			continue;
		}
		{
			size_t a, b;
			if (blank_before && explicit_id(q + i, n - i, &a, &b)) {
				err = md_open(&m, q + i, n - i, line);
				blank_before = 0;
				continue;
			}
		}
		if (m.open) {
			buf_addch(&m.text, ' ');
			buf_add(&m.text, q, n);
		}
		blank_before = 0;
	}
	if (!err)
		err = md_flush(&m);
	for (l = 0; l < MD_LEVELS; l++)
		free(m.heading[l]);
	buf_release(&m.text);
	buf_release(&m.id);
	return err;
}

/* ---- OpenAPI ------------------------------------------------------------- */

/* a YAML document as a JSON value: every scalar a string; aliases refused */
static int yaml_to_json(json_t **out, const char *name, const char *text, size_t len)
{
	yaml_parser_t yp;
	yaml_event_t ev;
	json_t *stack[GEN_SPEC_MAX_DEPTH], *root = NULL;
	char *key[GEN_SPEC_MAX_DEPTH];
	int depth = 0, done = 0, err = 0, docs = 0;

	*out = NULL;
	if (!yaml_parser_initialize(&yp))
		return error_set("cannot parse spec '%s': out of memory", name);
	yaml_parser_set_input_string(&yp, (const unsigned char *)text, len);
	yaml_parser_set_encoding(&yp, YAML_UTF8_ENCODING);
	while (!done && !err) {
		json_t *v = NULL;
		if (!yaml_parser_parse(&yp, &ev)) {
			err = error_setc(ERR_PARSE, "cannot parse spec '%s': line %lu: %s", name,
					 (unsigned long)yp.problem_mark.line + 1,
					 yp.problem ? yp.problem : "broken YAML");
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1)
				err = error_setc(ERR_PARSE, "cannot parse spec '%s': line %lu: more than one YAML document",
						 name, (unsigned long)ev.start_mark.line + 1);
			break;
		case YAML_ALIAS_EVENT:
			err = error_setc(ERR_PARSE, "cannot parse spec '%s': line %lu: an alias (YAML aliases are not "
					 "supported)", name, (unsigned long)ev.start_mark.line + 1);
			break;
		case YAML_SCALAR_EVENT:
			v = json_stringn((const char *)ev.data.scalar.value, ev.data.scalar.length);
			if (!v)
				v = json_string("");
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (depth >= GEN_SPEC_MAX_DEPTH) {
				err = error_setc(ERR_PARSE, "cannot parse spec '%s': line %lu: nested deeper than %d",
						 name, (unsigned long)ev.start_mark.line + 1, GEN_SPEC_MAX_DEPTH);
				break;
			}
			v = ev.type == YAML_SEQUENCE_START_EVENT ? json_array() : json_object();
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (depth > 0) {
				free(key[depth - 1]);
				depth--;
			}
			break;
		default:
			break;
		}
		if (v && !err) {
			json_t *top = depth ? stack[depth - 1] : NULL;
			if (!top) {
				json_decref(root);
				root = json_incref(v);
			} else if (json_is_array(top)) {
				json_array_append(top, v);
			} else if (!key[depth - 1]) {
				if (!json_is_string(v))
					err = error_setc(ERR_PARSE, "cannot parse spec '%s': line %lu: a key that is not "
							 "a string", name, (unsigned long)ev.start_mark.line + 1);
				else
					key[depth - 1] = xstrdup(json_string_value(v));
			} else {
				json_object_set(top, key[depth - 1], v);
				free(key[depth - 1]);
				key[depth - 1] = NULL;
			}
			if (!err && (json_is_array(v) || json_is_object(v))) {
				stack[depth] = v;
				key[depth] = NULL;
				depth++;
			}
			json_decref(v);
		}
		yaml_event_delete(&ev);
	}
	while (depth > 0)
		free(key[--depth]);
	yaml_parser_delete(&yp);
	if (err < 0) {
		json_decref(root);
		return err;
	}
	*out = root;
	return 0;
}

static const char *str_of(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* an operationId fit to be an id: printable ASCII, no spaces, not too long */
static int usable_id(const char *s)
{
	size_t i;

	if (!s || !*s)
		return 0;
	for (i = 0; s[i]; i++)
		if (s[i] <= ' ' || s[i] > '~' || i >= GEN_SPEC_MAX_ID)
			return 0;
	return 1;
}

static int parse_openapi(struct gen_spec *s, const char *name, json_t *doc)
{
	static const char *const methods[] = { "get", "put", "post", "delete", "patch", "head", "options",
					       "trace", NULL };
	json_t *paths = json_object_get(doc, "paths"), *ops;
	const char *path;
	size_t before = s->nr;
	int err = 0;

	if (!json_is_object(doc) || (!json_object_get(doc, "openapi") && !json_object_get(doc, "swagger")) ||
	    !json_is_object(paths))
		return error_setc(ERR_PARSE, "cannot parse spec '%s': not an OpenAPI document (no 'openapi' "
				  "with 'paths') nor Markdown", name);
	json_object_foreach(paths, path, ops) {
		size_t m;
		if (!json_is_object(ops))
			continue;
		for (m = 0; methods[m] && !err; m++) {
			json_t *op = json_object_get(ops, methods[m]), *params, *responses, *v;
			struct buf id = BUF_INIT, text = BUF_INIT, title = BUF_INIT;
			const char *k, *opid;
			char *one;
			size_t i;
			if (!json_is_object(op))
				continue;
			for (i = 0; methods[m][i]; i++)
				buf_addch(&title, (char)(methods[m][i] - 'a' + 'A'));
			buf_addf(&title, " %s", path);
			opid = str_of(op, "operationId");
			if (usable_id(opid))
				buf_adds(&id, opid);
			else
				buf_add(&id, title.ptr, title.len > GEN_SPEC_MAX_ID * 2 ? GEN_SPEC_MAX_ID * 2 : title.len);
			buf_addf(&text, "%s.", title.ptr);
			if (str_of(op, "summary"))
				buf_addf(&text, " %s.", str_of(op, "summary"));
			if (str_of(op, "description"))
				buf_addf(&text, " %s", str_of(op, "description"));
			params = json_object_get(op, "parameters");
			if (json_is_array(params) && json_array_size(params)) {
				buf_adds(&text, " Parameters:");
				json_array_foreach(params, i, v) {
					json_t *schema = json_object_get(v, "schema");
					const char *type = str_of(schema, "type");
					if (!str_of(v, "name"))
						continue;
					buf_addf(&text, "%s %s (%s%s%s%s)", i ? "," : "", str_of(v, "name"),
						 str_of(v, "in") ? str_of(v, "in") : "?", type ? ", " : "", type ? type : "",
						 json_is_true(json_object_get(v, "required")) ||
						 (str_of(v, "required") && !strcmp(str_of(v, "required"), "true"))
						 ? ", required" : "");
				}
				buf_addch(&text, '.');
			}
			responses = json_object_get(op, "responses");
			if (json_is_object(responses) && json_object_size(responses)) {
				int first = 1;
				buf_adds(&text, " Responses:");
				json_object_foreach(responses, k, v) {
					const char *d = str_of(v, "description");
					buf_addf(&text, "%s %s%s%s", first ? "" : ";", k, d ? " " : "", d ? d : "");
					first = 0;
				}
				buf_addch(&text, '.');
			}
			one = collapse(text.ptr, text.len);
			err = add_item(s, name, id.ptr, title.ptr, one, 0);
			free(one);
			buf_release(&id);
			buf_release(&text);
			buf_release(&title);
		}
		if (err)
			break;
	}
	if (!err && s->nr == before)
		err = error_setc(ERR_PARSE, "cannot parse spec '%s': an OpenAPI document without operations", name);
	return err;
}

/* ---- the file ------------------------------------------------------------ */

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && !strcmp(s + n - k, suffix);
}

/* 1 when a line of the text starts with `key` (a YAML document's top-level key) */
static int has_top_key(const char *text, size_t len, const char *key)
{
	size_t k = strlen(key), i = 0;

	while (i < len) {
		if (i + k <= len && !memcmp(text + i, key, k))
			return 1;
		while (i < len && text[i] != '\n')
			i++;
		i++;
	}
	return 0;
}

int gen_spec_parse(struct gen_spec *out, const char *name, const char *text, size_t len)
{
	size_t before = out->nr, i = 0;
	int err = 0;

	if (len > GEN_SPEC_MAX_BYTES)
		return error_setc(ERR_LIMIT, "cannot parse spec '%s': larger than %u bytes", name, GEN_SPEC_MAX_BYTES);
	if (memchr(text, '\0', len))
		return error_setc(ERR_PARSE, "cannot parse spec '%s': it holds a NUL byte (a binary file, not "
				  "Markdown or OpenAPI)", name);
	if (!utf8_is_valid(text, len))
		return error_setc(ERR_PARSE, "cannot parse spec '%s': not UTF-8 text (a binary file?)", name);
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		i = 3;   /* a byte order mark */
	while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
		i++;
	if (ends_with(name, ".json") || (i < len && text[i] == '{')) {
		json_error_t je;
		json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
		if (!doc)
			return error_setc(ERR_PARSE, "cannot parse spec '%s': line %d: %s", name, je.line, je.text);
		err = parse_openapi(out, name, doc);
		json_decref(doc);
	} else if (ends_with(name, ".yaml") || ends_with(name, ".yml") || has_top_key(text, len, "openapi:") ||
		   has_top_key(text, len, "swagger:")) {
		json_t *doc = NULL;
		if ((err = yaml_to_json(&doc, name, text + (i >= 3 && !memcmp(text, "\xef\xbb\xbf", 3) ? 3 : 0),
					len - (i >= 3 && !memcmp(text, "\xef\xbb\xbf", 3) ? 3 : 0))) == 0) {
			err = parse_openapi(out, name, doc);
			json_decref(doc);
		}
	} else {
		err = parse_markdown(out, name, text, len);
		if (!err && out->nr == before)
			err = error_setc(ERR_PARSE, "cannot parse spec '%s': no spec items (list items or paragraphs "
					 "starting with an id such as AC-1) in it", name);
	}
	if (err < 0)
		truncate_to(out, before);
	return err;
}

int gen_spec_load(struct gen_spec *out, const char *path)
{
	struct buf text = BUF_INIT;
	int err = fs_read_file(&text, path, GEN_SPEC_MAX_BYTES);

	if (err == ERR_LIMIT)
		err = error_setc(ERR_LIMIT, "cannot read spec '%s': larger than %u bytes", path, GEN_SPEC_MAX_BYTES);
	else if (err == ERR_NOTFOUND)
		err = error_setc(ERR_NOTFOUND, "cannot read spec '%s': no such file", path);
	else if (err < 0)
		err = error_prefix(err, "cannot read spec '%s'", path);
	else
		err = gen_spec_parse(out, path, text.ptr, text.len);
	buf_release(&text);
	return err;
}
