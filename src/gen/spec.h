#ifndef GEN_SPEC_H
#define GEN_SPEC_H

#include "util/buf.h"

#include <stddef.h>

/*
 * The specifications `generate --spec FILE` tests against (issue 17): a
 * Markdown file of user stories and acceptance criteria, or an OpenAPI
 * contract (YAML or JSON), read into numbered spec items, each with a
 * stable id and its text.
 *
 * Markdown: every list item ("- ", "* ", "+ ", "1. ", "1) ") is an item,
 * and so are a paragraph or heading that starts with an explicit id and a
 * table row whose first cell is one (its other cells are the text);
 * continuation lines join their item, a heading's paragraphs its item. An explicit id is a token of capitals, a dash and
 * digits (AC-3, US-12, REQ-4) at the start of the item's text, optionally
 * in bold or brackets and followed by ':', '.', ')' or a dash; the id of an
 * item without one is derived from its heading path and its index under
 * that heading: "user-stories.pagination-2" (stable while the headings and
 * the items before it stay).
 *
 * OpenAPI (a document with "openapi" or "swagger" and "paths"): one item
 * per operation, its id the operationId when it has one (else "GET /pets"),
 * its text the method and path, summary, description, parameters and
 * responses.
 *
 * Refused, naming the file and what is wrong: a file larger than
 * GEN_SPEC_MAX_BYTES (ERR_LIMIT), a NUL byte or invalid UTF-8 (a binary
 * file: ERR_PARSE), broken YAML or JSON, an OpenAPI document without
 * operations, a Markdown file without items, an id given twice (ERR_PARSE).
 * Item texts are capped at GEN_SPEC_MAX_TEXT bytes, the items of one file at
 * GEN_SPEC_MAX_ITEMS (ERR_LIMIT past it).
 *
 * Ownership: a gen_spec owns its items' strings; gen_spec_release().
 */

#define GEN_SPEC_MAX_BYTES (1u << 20)
#define GEN_SPEC_MAX_ITEMS 500
#define GEN_SPEC_MAX_TEXT 2000
#define GEN_SPEC_MAX_ID 64
/* nesting of a YAML or JSON document, at most */
#define GEN_SPEC_MAX_DEPTH 64

struct gen_spec_item {
	char *id;        /* "AC-3", "user-stories.pagination-2", "listPets" */
	char *title;     /* the heading path ("User stories > Pagination") or the operation; may be "" */
	char *text;      /* one line, whitespace collapsed */
	char *file;      /* the file it came from, as named */
	int line;        /* 1-based; 0 when unknown (OpenAPI from JSON) */
};

struct gen_spec {
	struct gen_spec_item *items;
	size_t nr, alloc;
};
#define GEN_SPEC_INIT { NULL, 0, 0 }

/*
 * Parse <text, len> (`name` for messages and the items' `file`) and append
 * its items to `out`; ids already in `out` count as duplicates. On error
 * `out` keeps what it had before the call.
 */
int gen_spec_parse(struct gen_spec *out, const char *name, const char *text, size_t len);
/* read `path` (through fs_read_file: a directory or FIFO is ERR_USAGE) and parse it */
int gen_spec_load(struct gen_spec *out, const char *path);
/* the item with `id`, or NULL */
const struct gen_spec_item *gen_spec_find(const struct gen_spec *s, const char *id);
void gen_spec_release(struct gen_spec *s);

#endif
