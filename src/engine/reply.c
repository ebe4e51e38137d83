#include "engine/reply.h"

#include "edit/patch.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* ---- the keys of a reply ---- */

static const char *const file_keys[] = { "file", "file_to_patch", "path", "filename", NULL };
static const char *const reason_keys[] = { "reasoning", "description", "explanation", NULL };
static const char *const content_keys[] = { "new_content", "content", NULL };
static const char *const other_keys[] = { "old_str", "new_str", "update", "patch", "edits", "mode", NULL };

static int in_list(const char *const *list, const char *key, size_t len)
{
	for (; *list; list++)
		if (strlen(*list) == len && !memcmp(*list, key, len))
			return 1;
	return 0;
}

static int is_known_key(const char *key, size_t len)
{
	return in_list(file_keys, key, len) || in_list(reason_keys, key, len) ||
	       in_list(content_keys, key, len) || in_list(other_keys, key, len);
}

/* 1 if `j` is an object with at least one key a reply uses */
static int looks_like_reply(const json_t *j)
{
	const char *key;
	json_t *v;

	if (!json_is_object(j))
		return 0;
	json_object_foreach((json_t *)j, key, v)
		if (is_known_key(key, strlen(key)))
			return 1;
	return 0;
}

/* ---- what went wrong, for the message: the most telling syntax error ---- */

struct why {
	int prio;        /* 0: nothing recorded */
	struct buf msg;
};

static void why_set(struct why *w, int prio, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void why_set(struct why *w, int prio, const char *fmt, ...)
{
	va_list ap;

	if (prio <= w->prio)
		return;
	w->prio = prio;
	buf_reset(&w->msg);
	va_start(ap, fmt);
	buf_vaddf(&w->msg, fmt, ap);
	va_end(ap);
}

/* ---- JSON ---- */

/* <s, len> with raw control characters inside strings escaped, as models sometimes write them */
static void json_escape_controls(struct buf *out, const char *s, size_t len)
{
	int in_string = 0, escaped = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (in_string && !escaped && c < 0x20) {
			if (c == '\n')
				buf_adds(out, "\\n");
			else if (c == '\r')
				buf_adds(out, "\\r");
			else if (c == '\t')
				buf_adds(out, "\\t");
			else
				buf_addf(out, "\\u%04x", c);
			continue;
		}
		buf_addch(out, c);
		if (escaped)
			escaped = 0;
		else if (in_string && c == '\\')
			escaped = 1;
		else if (c == '"')
			in_string = !in_string;
	}
}

/*
 * A JSON value from <s, len>; with `prefix`, only the first value and what
 * follows is ignored. Retried with raw control characters escaped.
 */
static json_t *json_parse(const char *s, size_t len, int prefix, json_error_t *jerr)
{
	size_t flags = prefix ? JSON_DISABLE_EOF_CHECK : 0;
	struct buf fixed = BUF_INIT;
	json_t *j;
	json_error_t again;

	if ((j = json_loadb(s, len, flags, jerr)))
		return j;
	json_escape_controls(&fixed, s, len);
	if (fixed.len != len)
		j = json_loadb(fixed.ptr, fixed.len, flags, &again);
	buf_release(&fixed);
	return j;
}

/* ---- YAML, converted to the same JSON tree ---- */

static void yaml_why(const yaml_parser_t *p, struct why *w, int prio)
{
	why_set(w, prio, "line %zu, column %zu: %s%s%s", p->problem_mark.line + 1,
		p->problem_mark.column + 1, p->problem ? p->problem : "invalid YAML",
		p->context ? " " : "", p->context ? p->context : "");
}

static int yaml_next(yaml_parser_t *p, yaml_event_t *ev, struct why *w, int prio)
{
	if (yaml_parser_parse(p, ev))
		return 0;
	yaml_why(p, w, prio);
	return -1;
}

static json_t *yaml_scalar(const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;
	size_t n = ev->data.scalar.length;

	if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    (n == 0 || (n == 1 && v[0] == '~') || (n == 4 && (!memcmp(v, "null", 4) ||
	     !memcmp(v, "Null", 4) || !memcmp(v, "NULL", 4)))))
		return json_null();
	return json_stringn_nocheck(v, n);
}

/* the value that starts with event `ev` (not deleted here) */
static json_t *yaml_value(yaml_parser_t *p, const yaml_event_t *ev, int depth, struct why *w, int prio)
{
	yaml_event_t k, e;
	json_t *coll, *v;

	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return yaml_scalar(ev);
	case YAML_ALIAS_EVENT:
		why_set(w, prio, "line %zu: YAML aliases are not supported", ev->start_mark.line + 1);
		return NULL;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		break;
	default:
		why_set(w, prio, "line %zu: unexpected YAML", ev->start_mark.line + 1);
		return NULL;
	}
	if (depth >= REPLY_MAX_DEPTH) {
		why_set(w, prio, "line %zu: nested more than %d levels deep", ev->start_mark.line + 1,
			REPLY_MAX_DEPTH);
		return NULL;
	}
	if (ev->type == YAML_SEQUENCE_START_EVENT) {
		coll = json_array();
		for (;;) {
			if (yaml_next(p, &e, w, prio) < 0)
				goto fail;
			if (e.type == YAML_SEQUENCE_END_EVENT) {
				yaml_event_delete(&e);
				return coll;
			}
			v = yaml_value(p, &e, depth + 1, w, prio);
			yaml_event_delete(&e);
			if (!v)
				goto fail;
			json_array_append_new(coll, v);
		}
	}
	coll = json_object();
	for (;;) {
		char *key;

		if (yaml_next(p, &k, w, prio) < 0)
			goto fail;
		if (k.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&k);
			return coll;
		}
		if (k.type != YAML_SCALAR_EVENT) {
			why_set(w, prio, "line %zu: a key is not a string", k.start_mark.line + 1);
			yaml_event_delete(&k);
			goto fail;
		}
		key = xstrndup((const char *)k.data.scalar.value, k.data.scalar.length);
		yaml_event_delete(&k);
		if (yaml_next(p, &e, w, prio) < 0) {
			free(key);
			goto fail;
		}
		v = yaml_value(p, &e, depth + 1, w, prio);
		yaml_event_delete(&e);
		if (!v) {
			free(key);
			goto fail;
		}
		json_object_set_new_nocheck(coll, key, v);
		free(key);
	}
fail:
	json_decref(coll);
	return NULL;
}

/* the first YAML document of <s, len> as a JSON tree, or NULL with a reason in `w` */
static json_t *yaml_parse(const char *s, size_t len, struct why *w, int prio)
{
	yaml_parser_t p;
	yaml_event_t ev;
	json_t *root = NULL;
	int ok;

	if (!yaml_parser_initialize(&p)) {
		why_set(w, prio, "cannot start the YAML parser");
		return NULL;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)s, len);
	yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
	/* stream start, then document start (or the end of an empty stream) */
	for (;;) {
		if (yaml_next(&p, &ev, w, prio) < 0)
			goto done;
		ok = ev.type == YAML_STREAM_START_EVENT || ev.type == YAML_DOCUMENT_START_EVENT;
		if (ev.type == YAML_STREAM_END_EVENT) {
			why_set(w, prio, "it is empty");
			yaml_event_delete(&ev);
			goto done;
		}
		if (!ok)
			break;
		yaml_event_delete(&ev);
	}
	root = yaml_value(&p, &ev, 0, w, prio);
	yaml_event_delete(&ev);
	/* the end of the document: errors after the value show here */
	if (root && yaml_next(&p, &ev, w, prio) < 0) {
		json_decref(root);
		root = NULL;
	} else if (root) {
		yaml_event_delete(&ev);
	}
done:
	yaml_parser_delete(&p);
	return root;
}

/* ---- finding the reply in the text ---- */

struct fence {
	const char *body;
	size_t len;
	char lang[16];
};

/* the end of the line at `pos` (the position of its '\n', or len) */
static size_t line_end(const char *s, size_t len, size_t pos)
{
	const char *nl = memchr(s + pos, '\n', len - pos);
	return nl ? (size_t)(nl - s) : len;
}

/* the next ``` or ~~~ fenced block at or after *pos; 0 when there is none */
static int next_fence(struct fence *f, const char *s, size_t len, size_t *pos)
{
	size_t p = *pos;

	while (p < len) {
		size_t eol = line_end(s, len, p), q = p, indent, ticks = 0, l = 0;
		char mark;

		while (q < eol && q - p < 4 && s[q] == ' ')
			q++;
		indent = q - p;
		mark = q < eol ? s[q] : 0;
		if (indent > 3 || (mark != '`' && mark != '~')) {
			p = eol + 1;
			continue;
		}
		while (q < eol && s[q] == mark)
			q++, ticks++;
		if (ticks < 3) {
			p = eol + 1;
			continue;
		}
		while (q < eol && (s[q] == ' ' || s[q] == '\t'))
			q++;
		while (q < eol && l + 1 < sizeof(f->lang) && (isalnum((unsigned char)s[q]) || s[q] == '-' ||
							     s[q] == '_' || s[q] == '+'))
			f->lang[l++] = (char)tolower((unsigned char)s[q++]);
		f->lang[l] = '\0';
		f->body = eol < len ? s + eol + 1 : s + len;
		/* the closing fence: no deeper indent, at least as many marks, nothing else */
		for (p = eol + 1; p < len; p = eol + 1) {
			size_t n = 0;

			eol = line_end(s, len, p);
			q = p;
			while (q < eol && s[q] == ' ' && (size_t)(q - p) < indent)
				q++;
			while (q < eol && s[q] == mark)
				q++, n++;
			while (q < eol && (s[q] == ' ' || s[q] == '\t' || s[q] == '\r'))
				q++;
			if (n >= ticks && q == eol) {
				f->len = (size_t)(s + p - f->body);
				*pos = eol + 1;
				return 1;
			}
		}
		f->len = (size_t)(s + len - f->body); /* a reply cut short: the rest */
		*pos = len;
		return 1;
	}
	return 0;
}

/* a reply object from one candidate text, or NULL */
static json_t *try_text(const char *s, size_t len, const char *lang, struct why *w, int prio,
			json_t **mapping)
{
	json_t *j = NULL;
	json_error_t jerr;
	size_t i = 0;

	while (i < len && isspace((unsigned char)s[i]))
		i++;
	if (!strncmp(lang, "json", 4) || (!*lang && i < len && s[i] == '{')) {
		if (!(j = json_parse(s, len, 0, &jerr)))
			why_set(w, prio, "line %d: %s", jerr.line, jerr.text);
	} else if (!*lang || !strcmp(lang, "yaml") || !strcmp(lang, "yml")) {
		j = yaml_parse(s, len, w, prio);
	}
	if (j && !looks_like_reply(j)) {
		if (json_is_object(j) && !*mapping)
			*mapping = json_incref(j);
		json_decref(j);
		j = NULL;
	}
	return j;
}

/* the first '{' that starts a JSON object with reply keys */
static json_t *try_braces(const char *s, size_t len, struct why *w, json_t **mapping)
{
	const char *p = s, *end = s + len;
	int tries;

	for (tries = 0; tries < REPLY_MAX_JSON_TRIES && (p = memchr(p, '{', (size_t)(end - p))); tries++, p++) {
		json_error_t jerr;
		json_t *j = json_parse(p, (size_t)(end - p), 1, &jerr);

		if (!j) {
			if (p == s)
				why_set(w, 2, "line %d: %s", jerr.line, jerr.text);
			continue;
		}
		if (looks_like_reply(j))
			return j;
		if (!*mapping)
			*mapping = json_incref(j);
		json_decref(j);
	}
	return NULL;
}

/* the offset of the first line that starts with a reply key and ':', or len */
static size_t first_key_line(const char *s, size_t len)
{
	size_t p = 0;

	while (p < len) {
		size_t eol = line_end(s, len, p), k = p;

		while (k < eol && (isalnum((unsigned char)s[k]) || s[k] == '_'))
			k++;
		if (k > p && k < eol && s[k] == ':' && is_known_key(s + p, k - p))
			return p;
		p = eol + 1;
	}
	return len;
}

/* 1 if the text holds a line starting with "+++ " and a hunk header */
static int looks_like_diff(const char *s, size_t len)
{
	size_t p = 0;
	int plus = 0, hunk = 0;

	while (p < len && !(plus && hunk)) {
		size_t eol = line_end(s, len, p);

		if (eol - p >= 4 && !memcmp(s + p, "+++ ", 4))
			plus = 1;
		else if (eol - p >= 2 && !memcmp(s + p, "@@", 2))
			hunk = 1;
		p = eol + 1;
	}
	return plus && hunk;
}

/* the reply object in the text, or NULL with the reason set */
static json_t *find_reply(const char *s, size_t len)
{
	struct why w = { 0, BUF_INIT };
	struct fence f;
	json_t *j = NULL, *mapping = NULL;
	size_t pos = 0, start;

	while (next_fence(&f, s, len, &pos))
		if ((j = try_text(f.body, f.len, f.lang, &w, 3, &mapping)))
			goto done;
	if ((j = try_braces(s, len, &w, &mapping)))
		goto done;
	if ((j = try_text(s, len, "yaml", &w, 1, &mapping)))
		goto done;
	start = first_key_line(s, len);
	if (start > 0 && start < len && (j = try_text(s + start, len - start, "yaml", &w, 1, &mapping)))
		goto done;
	if (!mapping && looks_like_diff(s, len)) {
		/* a bare diff, maybe fenced, with prose: the patch parser copes with both */
		j = json_object();
		json_object_set_new(j, "patch", json_stringn_nocheck(s, len));
		goto done;
	}
	if (mapping)
		error_setc(ERR_PARSE, "the reply has no 'file' and no edit ('old_str' and 'new_str', "
				      "'patch' or 'new_content')");
	else if (w.prio)
		error_setc(ERR_PARSE, "the reply is not JSON or YAML: %s", w.msg.ptr);
	else
		error_setc(ERR_PARSE, "the reply is not JSON or YAML: it holds no object with 'file' and an edit");
done:
	json_decref(mapping);
	buf_release(&w.msg);
	return j;
}

/* ---- from the object to a change ---- */

/* the first of `keys` present and not null in `o` (its name into *name), or NULL */
static const json_t *get_any(const json_t *o, const char *const *keys, const char **name)
{
	for (; *keys; keys++) {
		const json_t *v = json_object_get(o, *keys);
		if (v && !json_is_null(v)) {
			if (name)
				*name = *keys;
			return v;
		}
	}
	return NULL;
}

/* a string field into *out (borrowed); NULL when absent */
static int get_str(const char **out, const json_t *v, const char *name, const char *where)
{
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return error_setc(ERR_PARSE, "'%s' is not a string%s", name, where);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return error_setc(ERR_PARSE, "'%s' contains a NUL byte%s", name, where);
	*out = json_string_value(v);
	return 0;
}

/* a relative path a model wrote, cleaned, or an error */
static int check_path(char **out, const char *path, const char *where)
{
	const char *p = path, *c;

	*out = NULL;
	while (*p == ' ')
		p++;
	while (p[0] == '.' && p[1] == '/')
		p += 2;
	if (!*p)
		return error_setc(ERR_PARSE, "'file' is empty%s", where);
	if (strlen(p) > EDIT_MAX_PATH)
		return error_setc(ERR_PARSE, "'file' is longer than %d bytes%s", EDIT_MAX_PATH, where);
	if (p[0] == '/' || p[0] == '~')
		return error_setc(ERR_PARSE, "'file' must be relative to the project root, not '%s'%s", p, where);
	for (c = p; *c; c++)
		if ((unsigned char)*c < 0x20)
			return error_setc(ERR_PARSE, "'file' contains a control character%s", where);
	*out = xstrdup(p);
	/* trailing blanks models add */
	{
		size_t n = strlen(*out);
		while (n && ((*out)[n - 1] == ' ' || (*out)[n - 1] == '\t'))
			(*out)[--n] = '\0';
	}
	return 0;
}

/* the edits of a diff that names its own files, appended to `c` */
static int add_patch_files(struct change *c, const char *patch, const char *where)
{
	struct change tmp;
	size_t i;

	if (change_from_patch(&tmp, patch, strlen(patch)) < 0)
		return error_prefix(ERR_PARSE, "the reply has no 'file' and its patch names none%s", where);
	if (c->nr + tmp.nr > EDIT_MAX_EDITS) {
		change_release(&tmp);
		return error_setc(ERR_PARSE, "the reply has more than %d edits", EDIT_MAX_EDITS);
	}
	for (i = 0; i < tmp.nr; i++) {
		struct file_edit *e = change_add(c, tmp.edits[i].mode, tmp.edits[i].path);
		e->patch = xstrdup_or_null(tmp.edits[i].patch);
		e->content = xstrdup_or_null(tmp.edits[i].content);
	}
	change_release(&tmp);
	return 0;
}

/* 1 if the diff names several files, `path` among them */
static int patch_names_others(const char *patch, const char *path)
{
	struct patch_set set;
	int others;

	if (patch_parse(&set, patch, strlen(patch)) < 0)
		return 0;   /* reported when the edit is applied */
	others = set.nr > 1 && patch_set_find(&set, path);
	patch_set_release(&set);
	return others;
}

/* one edit (the top level or an item of "edits") into `c` */
static int read_edit(struct change *c, const json_t *o, const char *default_file, const char *where)
{
	const json_t *upd = json_object_get(o, "update");
	const json_t *old_v = json_object_get(o, "old_str"), *new_v = json_object_get(o, "new_str");
	const json_t *patch_v = json_object_get(o, "patch"), *content_v, *file_v;
	const char *content_name = "new_content", *file_name = "file";
	const char *old_str, *new_str, *patch, *content, *file, *payloads[3], *mode_s;
	enum edit_mode mode, given;
	size_t n = 0;
	char *path = NULL;
	struct file_edit *e;
	int err;

	if (json_is_object(upd) && !old_v && !new_v) {
		old_v = json_object_get(upd, "old_str");
		new_v = json_object_get(upd, "new_str");
	}
	content_v = get_any(o, content_keys, &content_name);
	file_v = get_any(o, file_keys, &file_name);
	if ((err = get_str(&old_str, old_v, "old_str", where)) < 0 ||
	    (err = get_str(&new_str, new_v, "new_str", where)) < 0 ||
	    (err = get_str(&patch, patch_v, "patch", where)) < 0 ||
	    (err = get_str(&content, content_v, content_name, where)) < 0 ||
	    (err = get_str(&file, file_v, file_name, where)) < 0 ||
	    (err = get_str(&mode_s, json_object_get(o, "mode"), "mode", where)) < 0)
		return err;

	if (old_str || new_str)
		payloads[n++] = old_str ? "old_str" : "new_str";
	if (patch)
		payloads[n++] = "patch";
	if (content)
		payloads[n++] = content_name;
	if (n > 1)
		return error_setc(ERR_PARSE, "the reply has both '%s' and '%s'%s: give one edit mode",
				  payloads[0], payloads[1], where);
	if (!n)
		return error_setc(ERR_PARSE, "the reply has no edit%s: give 'old_str' and 'new_str', "
					     "'patch' or 'new_content'", where);
	mode = content ? EDIT_REWRITE : patch ? EDIT_PATCH : EDIT_UPDATE;
	if (mode_s) {
		/* a reply cannot delete a file: "delete" is not one of its modes */
		if (edit_mode_parse(&given, mode_s) < 0 || given == EDIT_DELETE)
			return error_setc(ERR_PARSE, "unknown 'mode' '%.40s'%s (update, patch or rewrite)",
					  mode_s, where);
		if (given != mode)
			return error_setc(ERR_PARSE, "the reply says mode '%s' but gives '%s'%s",
					  edit_mode_name(given), payloads[0], where);
	}
	if (mode == EDIT_UPDATE) {
		if (!old_str)
			return error_setc(ERR_PARSE, "the reply has 'new_str' but no 'old_str'%s", where);
		if (!*old_str)
			return error_setc(ERR_PARSE, "'old_str' is empty%s: copy the text to replace from the file",
					  where);
		if (!new_str && !(new_v && json_is_null(new_v)))
			return error_setc(ERR_PARSE, "the reply has 'old_str' but no 'new_str'%s", where);
	}
	if (mode == EDIT_PATCH && !*patch)
		return error_setc(ERR_PARSE, "'patch' is empty%s", where);
	if (!file)
		file = default_file;
	if (!file) {
		if (mode == EDIT_PATCH)
			return add_patch_files(c, patch, where);
		return error_setc(ERR_PARSE, "the reply has no 'file'%s", where);
	}
	if ((err = check_path(&path, file, where)) < 0)
		return err;
	if (mode == EDIT_PATCH && patch_names_others(patch, path)) {
		/* "file" names one of its files: the others are part of the change too */
		free(path);
		return add_patch_files(c, patch, where);
	}
	if (c->nr >= EDIT_MAX_EDITS) {
		free(path);
		return error_setc(ERR_PARSE, "the reply has more than %d edits", EDIT_MAX_EDITS);
	}
	e = change_add(c, mode, NULL);
	e->path = path;
	switch (mode) {
	case EDIT_UPDATE:
		e->old_str = xstrdup(old_str);
		e->new_str = xstrdup(new_str ? new_str : "");
		break;
	case EDIT_PATCH:
		e->patch = xstrdup(patch);
		break;
	case EDIT_REWRITE:
		e->content = xstrdup(content);
		break;
	case EDIT_DELETE:
		break;
	}
	return 0;
}

static int read_change(struct change *out, const json_t *o)
{
	const json_t *edits = json_object_get(o, "edits"), *item, *reason_v;
	const char *reason, *file = NULL, *reason_name = "reasoning";
	size_t i;
	int err;

	reason_v = get_any(o, reason_keys, &reason_name);
	if ((err = get_str(&reason, reason_v, reason_name, "")) < 0)
		return err;
	if (!edits || json_is_null(edits)) {
		if ((err = read_edit(out, o, NULL, "")) < 0)
			return err;
		goto done;
	}
	if (!json_is_array(edits))
		return error_setc(ERR_PARSE, "'edits' is not a list");
	if (!json_array_size(edits))
		return error_setc(ERR_PARSE, "'edits' is empty");
	if (json_array_size(edits) > EDIT_MAX_EDITS)
		return error_setc(ERR_PARSE, "the reply has more than %d edits", EDIT_MAX_EDITS);
	if (get_any(o, content_keys, NULL) || json_object_get(o, "old_str") || json_object_get(o, "patch"))
		return error_setc(ERR_PARSE, "the reply has both 'edits' and an edit outside them: put every edit in 'edits'");
	if ((err = get_str(&file, get_any(o, file_keys, NULL), "file", "")) < 0)
		return err;
	json_array_foreach(edits, i, item) {
		char where[48];

		snprintf(where, sizeof(where), " (edit %zu)", i + 1);
		if (!json_is_object(item))
			return error_setc(ERR_PARSE, "edit %zu in 'edits' is not an object", i + 1);
		if ((err = read_edit(out, item, file, where)) < 0)
			return err;
	}
done:
	if (reason)
		out->description = xstrdup(reason);
	return 0;
}

int reply_parse(struct change *out, const char *text, size_t len)
{
	struct buf clean = BUF_INIT;
	json_t *j = NULL;
	size_t i;
	int err;

	change_init(out);
	if (len > REPLY_MAX_INPUT)
		return error_setc(ERR_LIMIT, "the reply is longer than %u bytes", REPLY_MAX_INPUT);
	utf8_sanitize(&clean, text, len);
	for (i = 0; i < clean.len && isspace((unsigned char)clean.ptr[i]); i++)
		;
	if (i == clean.len) {
		err = error_setc(ERR_PARSE, "the reply is empty");
		goto done;
	}
	if (!(j = find_reply(clean.ptr, clean.len))) {
		err = ERR_PARSE;
		goto done;
	}
	err = read_change(out, j);
done:
	if (err)
		change_release(out);
	json_decref(j);
	buf_release(&clean);
	return err;
}
