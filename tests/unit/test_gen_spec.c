#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gen/spec.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"

static int parse(struct gen_spec *s, const char *name, const char *text)
{
	return gen_spec_parse(s, name, text, strlen(text));
}

static void expect_item(const struct gen_spec *s, size_t i, const char *id, const char *text, int line)
{
	assert_true(i < s->nr);
	assert_string_equal(s->items[i].id, id);
	assert_string_equal(s->items[i].text, text);
	assert_int_equal(s->items[i].line, line);
}

static void gen_spec__markdown_ids_explicit_and_derived(void **state)
{
	struct gen_spec s = GEN_SPEC_INIT;
	(void)state;

	assert_int_equal(parse(&s, "stories.md",
		"# Paging\n"
		"\n"
		"Some words that are not an item.\n"
		"\n"
		"## US-1: Page count\n"
		"As a reader I want to know how many pages there are.\n"
		"\n"
		"Acceptance criteria:\n"
		"\n"
		"- **AC-1**: 10 items at 5 a page make 2 pages\n"
		"- AC-2. An empty list has one page,\n"
		"  never zero\n"
		"* [x] [AC-3] a page size below 1 raises ValueError\n"
		"\n"
		"## Notes\n"
		"1. pages are numbered from 1\n"
		"2) sizes are whole numbers\n"
		"\n"
		"```\n"
		"- not an item: code\n"
		"```\n"
		"AC-9 - a paragraph that starts with an id\n"), 0);
	assert_int_equal(s.nr, 7);
	expect_item(&s, 0, "US-1", "Page count As a reader I want to know how many pages there are. "
		    "Acceptance criteria:", 5);
	assert_string_equal(s.items[0].title, "Paging > US-1: Page count");
	expect_item(&s, 1, "AC-1", "10 items at 5 a page make 2 pages", 10);
	expect_item(&s, 2, "AC-2", "An empty list has one page, never zero", 11);
	expect_item(&s, 3, "AC-3", "a page size below 1 raises ValueError", 13);
	expect_item(&s, 4, "paging.notes-1", "pages are numbered from 1", 16);
	expect_item(&s, 5, "paging.notes-2", "sizes are whole numbers", 17);
	expect_item(&s, 6, "AC-9", "a paragraph that starts with an id", 22);
	assert_string_equal(s.items[4].file, "stories.md");
	assert_non_null(gen_spec_find(&s, "AC-2"));
	assert_null(gen_spec_find(&s, "AC-7"));
	gen_spec_release(&s);
}

static void gen_spec__not_ids(void **state)
{
	struct gen_spec s = GEN_SPEC_INIT;
	(void)state;

	/* no heading: "item-N"; a capitalised word with a dash and no digit is text */
	assert_int_equal(parse(&s, "s.md", "- Step-by-step it works\n- X-1x is not an id\n- HTTP-2: an id\n"), 0);
	assert_int_equal(s.nr, 3);
	expect_item(&s, 0, "item-1", "Step-by-step it works", 1);
	expect_item(&s, 1, "item-2", "X-1x is not an id", 2);
	expect_item(&s, 2, "HTTP-2", "an id", 3);
	gen_spec_release(&s);
}

static void gen_spec__table_rows_with_an_id(void **state)
{
	struct gen_spec s = GEN_SPEC_INIT;
	(void)state;

	assert_int_equal(parse(&s, "t.md",
		"| id | criterion |\n"
		"|----|-----------|\n"
		"| AC-1 | two pages | for ten items |\n"
		"| **AC-2** | one page when empty |\n"
		"| note | not an item |\n"), 0);
	assert_int_equal(s.nr, 2);
	expect_item(&s, 0, "AC-1", "two pages for ten items", 3);
	expect_item(&s, 1, "AC-2", "one page when empty", 4);
	gen_spec_release(&s);
}

static void gen_spec__same_headings_twice_get_a_suffix(void **state)
{
	struct gen_spec s = GEN_SPEC_INIT;
	(void)state;

	assert_int_equal(parse(&s, "s.md", "## Notes\n- a\n## Notes\n- b\n"), 0);
	assert_int_equal(s.nr, 2);
	assert_string_equal(s.items[0].id, "notes-1");
	assert_string_equal(s.items[1].id, "notes-1_2");
	gen_spec_release(&s);
}

static void gen_spec__openapi_yaml_and_json(void **state)
{
	struct gen_spec s = GEN_SPEC_INIT;
	(void)state;

	assert_int_equal(parse(&s, "api.yaml",
		"openapi: 3.0.0\n"
		"info: {title: Pets, version: '1'}\n"
		"paths:\n"
		"  /pets:\n"
		"    get:\n"
		"      operationId: listPets\n"
		"      summary: List all pets\n"
		"      parameters:\n"
		"        - name: limit\n"
		"          in: query\n"
		"          required: true\n"
		"          schema: {type: integer}\n"
		"      responses:\n"
		"        '200': {description: A page of pets}\n"
		"        default: {description: unexpected error}\n"
		"    post:\n"
		"      description: Create a pet\n"
		"      responses: {'201': {description: Created}}\n"), 0);
	assert_int_equal(s.nr, 2);
	expect_item(&s, 0, "listPets", "GET /pets. List all pets. Parameters: limit (query, integer, required). "
		    "Responses: 200 A page of pets; default unexpected error.", 0);
	expect_item(&s, 1, "POST /pets", "POST /pets. Create a pet Responses: 201 Created.", 0);
	assert_int_equal(parse(&s, "api.json",
		"{\"openapi\": \"3.1.0\", \"paths\": {\"/a\": {\"delete\": {\"operationId\": \"dropA\"}}}}"), 0);
	assert_int_equal(s.nr, 3);
	expect_item(&s, 2, "dropA", "DELETE /a.", 0);
	/* the same operationId in a second file */
	assert_int_equal(parse(&s, "again.json",
		"{\"openapi\": \"3.1.0\", \"paths\": {\"/b\": {\"get\": {\"operationId\": \"dropA\"}}}}"), ERR_PARSE);
	assert_string_equal(error_last(), "cannot parse spec 'again.json': the id 'dropA' is given twice");
	assert_int_equal(s.nr, 3);
	gen_spec_release(&s);
}

static void gen_spec__bad_files_say_what_is_wrong(void **state)
{
	struct gen_spec s = GEN_SPEC_INIT;
	static const char nul[] = "- a\0b\n";
	(void)state;

	assert_int_equal(gen_spec_parse(&s, "bin.md", nul, sizeof(nul) - 1), ERR_PARSE);
	assert_string_equal(error_last(), "cannot parse spec 'bin.md': it holds a NUL byte (a binary file, not "
			    "Markdown or OpenAPI)");
	assert_int_equal(parse(&s, "latin1.md", "- caf\xe9\n"), ERR_PARSE);
	assert_string_equal(error_last(), "cannot parse spec 'latin1.md': not UTF-8 text (a binary file?)");
	assert_int_equal(parse(&s, "empty.md", "# Title\n\nJust words.\n"), ERR_PARSE);
	assert_non_null(strstr(error_last(), "'empty.md': no spec items"));
	assert_int_equal(parse(&s, "dup.md", "- AC-1: a\n- AC-1: b\n"), ERR_PARSE);
	assert_string_equal(error_last(), "cannot parse spec 'dup.md': line 2: the id 'AC-1' is given twice");
	assert_int_equal(s.nr, 0);
	assert_int_equal(parse(&s, "broken.yaml", "openapi: 3\npaths: [\n"), ERR_PARSE);
	assert_non_null(strstr(error_last(), "cannot parse spec 'broken.yaml': line "));
	assert_int_equal(parse(&s, "alias.yaml", "openapi: &a 3\npaths: *a\n"), ERR_PARSE);
	assert_non_null(strstr(error_last(), "an alias"));
	assert_int_equal(parse(&s, "other.yaml", "name: x\n"), ERR_PARSE);
	assert_non_null(strstr(error_last(), "not an OpenAPI document"));
	assert_int_equal(parse(&s, "noops.json", "{\"openapi\": \"3\", \"paths\": {}}"), ERR_PARSE);
	assert_non_null(strstr(error_last(), "without operations"));
	assert_int_equal(parse(&s, "bad.json", "{\"openapi\": "), ERR_PARSE);
	assert_non_null(strstr(error_last(), "cannot parse spec 'bad.json': line 1: "));
	{
		struct buf big = BUF_INIT;
		while (big.len <= GEN_SPEC_MAX_BYTES)
			buf_adds(&big, "- an item of a long list\n");
		assert_int_equal(gen_spec_parse(&s, "big.md", big.ptr, big.len), ERR_LIMIT);
		buf_release(&big);
	}
	{
		struct buf many = BUF_INIT;
		int i;
		for (i = 0; i <= GEN_SPEC_MAX_ITEMS; i++)
			buf_addf(&many, "- item %d\n", i);
		assert_int_equal(gen_spec_parse(&s, "many.md", many.ptr, many.len), ERR_LIMIT);
		assert_int_equal(s.nr, 0);
		buf_release(&many);
	}
	{
		/* deep nesting is refused, not a stack overflow */
		struct buf deep = BUF_INIT;
		int i;
		buf_adds(&deep, "openapi: 3\npaths: ");
		for (i = 0; i < 200; i++)
			buf_addch(&deep, '[');
		assert_int_equal(gen_spec_parse(&s, "deep.yaml", deep.ptr, deep.len), ERR_PARSE);
		buf_release(&deep);
	}
	gen_spec_release(&s);
}

static void gen_spec__long_text_is_capped_on_a_character(void **state)
{
	struct gen_spec s = GEN_SPEC_INIT;
	struct buf t = BUF_INIT;
	int i;
	(void)state;

	buf_adds(&t, "- ");
	for (i = 0; i < GEN_SPEC_MAX_TEXT; i++)
		buf_adds(&t, "\xc3\xa9");
	assert_int_equal(gen_spec_parse(&s, "s.md", t.ptr, t.len), 0);
	assert_true(strlen(s.items[0].text) <= GEN_SPEC_MAX_TEXT);
	assert_int_equal(strlen(s.items[0].text) % 2, 0);
	buf_release(&t);
	gen_spec_release(&s);
}

static void gen_spec__load_names_the_file(void **state)
{
	struct gen_spec s = GEN_SPEC_INIT;
	(void)state;

	assert_int_equal(gen_spec_load(&s, "/nonexistent/spec.md"), ERR_NOTFOUND);
	assert_string_equal(error_last(), "cannot read spec '/nonexistent/spec.md': no such file");
	assert_int_equal(gen_spec_load(&s, "/"), ERR_USAGE);
	assert_non_null(strstr(error_last(), "cannot read spec '/'"));
	gen_spec_release(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(gen_spec__markdown_ids_explicit_and_derived),
		cmocka_unit_test(gen_spec__not_ids),
		cmocka_unit_test(gen_spec__table_rows_with_an_id),
		cmocka_unit_test(gen_spec__same_headings_twice_get_a_suffix),
		cmocka_unit_test(gen_spec__openapi_yaml_and_json),
		cmocka_unit_test(gen_spec__bad_files_say_what_is_wrong),
		cmocka_unit_test(gen_spec__long_text_is_capped_on_a_character),
		cmocka_unit_test(gen_spec__load_names_the_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
