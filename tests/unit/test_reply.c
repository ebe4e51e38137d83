/*
 * Unit tests of src/engine/reply: reading a model's reply into a change.
 *
 * Data-driven from tests/fixtures/reply/: each NAME.txt is a reply; NAME.json
 * is the change_to_json() it must give, or NAME.err the start of the
 * message it must fail with (ERR_PARSE). Then a little fuzzing: random
 * bytes, truncations, deep nesting and huge strings must not crash.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine/reply.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPLY_FIXTURES FIXTURES_DIR "/reply"
#define CASE_FILE_MAX (1024 * 1024)

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* the names of the *.txt cases, sorted; returns the count */
static size_t list_cases(char ***out)
{
	DIR *d = opendir(REPLY_FIXTURES);
	struct dirent *de;
	char **names = NULL;
	size_t nr = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n > 4 && !strcmp(de->d_name + n - 4, ".txt")) {
			names = realloc(names, (nr + 1) * sizeof(*names));
			names[nr++] = strndup(de->d_name, n - 4);
		}
	}
	closedir(d);
	qsort(names, nr, sizeof(*names), cmp_str);
	*out = names;
	return nr;
}

static int read_case(struct buf *out, const char *name, const char *ext)
{
	struct buf path = BUF_INIT;
	int found;

	buf_addf(&path, "%s/%s.%s", REPLY_FIXTURES, name, ext);
	buf_reset(out);
	found = fs_is_file(path.ptr);
	if (found)
		assert_int_equal(fs_read_file(out, path.ptr, CASE_FILE_MAX), 0);
	buf_release(&path);
	return found;
}

static void reply__fixtures(void **state)
{
	char **names;
	size_t nr = list_cases(&names), i, failed = 0, ok_cases = 0, err_cases = 0;

	(void)state;
	assert_true(nr >= 30);
	for (i = 0; i < nr; i++) {
		struct buf input = BUF_INIT, expect = BUF_INIT;
		struct change c;
		int has_json, has_err, rc;

		assert_true(read_case(&input, names[i], "txt"));
		has_json = read_case(&expect, names[i], "json");
		has_err = !has_json && read_case(&expect, names[i], "err");
		if (!has_json && !has_err) {
			fprintf(stderr, "%s: no .json or .err\n", names[i]);
			failed++;
			goto next;
		}
		rc = reply_parse(&c, input.ptr, input.len);
		if (has_json) {
			json_error_t jerr;
			json_t *want = json_loadb(expect.ptr, expect.len, 0, &jerr), *got;

			ok_cases++;
			if (!want) {
				fprintf(stderr, "%s.json: %s\n", names[i], jerr.text);
				failed++;
				goto next;
			}
			if (rc) {
				fprintf(stderr, "%s: unexpected error %d: %s\n", names[i], rc, error_last());
				failed++;
			} else {
				got = change_to_json(&c);
				if (!json_equal(want, got)) {
					char *s = json_dumps(got, JSON_INDENT(1));
					fprintf(stderr, "%s: got\n%s\n", names[i], s);
					free(s);
					failed++;
				}
				json_decref(got);
				change_release(&c);
			}
			json_decref(want);
		} else {
			err_cases++;
			buf_rtrim(&expect);
			if (rc != ERR_PARSE || strncmp(error_last(), expect.ptr, expect.len)) {
				fprintf(stderr, "%s: got %d '%s', want '%s'\n", names[i], rc, error_last(),
					expect.ptr);
				failed++;
			}
			assert_int_equal(c.nr, 0);
			assert_null(c.description);
			if (!rc)
				change_release(&c);
		}
next:
		buf_release(&input);
		buf_release(&expect);
		free(names[i]);
	}
	free(names);
	assert_true(ok_cases >= 10);
	assert_true(err_cases >= 10);
	assert_int_equal(failed, 0);
}

static void reply__too_large(void **state)
{
	struct change c;
	char *big = malloc(REPLY_MAX_INPUT + 1);

	(void)state;
	memset(big, ' ', REPLY_MAX_INPUT + 1);
	assert_int_equal(reply_parse(&c, big, REPLY_MAX_INPUT + 1), ERR_LIMIT);
	free(big);
}

static void reply__huge_strings(void **state)
{
	struct buf in = BUF_INIT, yaml = BUF_INIT;
	struct change c;
	size_t i;

	(void)state;
	buf_adds(&in, "{\"reasoning\": \"big\", \"file\": \"a.py\", \"old_str\": \"x\", \"new_str\": \"");
	for (i = 0; i < 1000000; i++)
		buf_addch(&in, 'a' + (char)(i % 26));
	buf_adds(&in, "\"}");
	assert_int_equal(reply_parse(&c, in.ptr, in.len), 0);
	assert_int_equal(strlen(c.edits[0].new_str), 1000000);
	change_release(&c);

	buf_adds(&yaml, "file: a.py\nnew_content: |\n");
	for (i = 0; i < 50000; i++)
		buf_adds(&yaml, "  line of code\n");
	assert_int_equal(reply_parse(&c, yaml.ptr, yaml.len), 0);
	assert_int_equal(c.edits[0].mode, EDIT_REWRITE);
	assert_int_equal(strlen(c.edits[0].content), 50000 * 13);
	change_release(&c);
	buf_release(&in);
	buf_release(&yaml);
}

static void reply__deep_nesting(void **state)
{
	struct buf in = BUF_INIT;
	struct change c;
	int i;

	(void)state;
	/* YAML flow collections */
	buf_adds(&in, "file: a.py\nold_str: ");
	for (i = 0; i < 100000; i++)
		buf_addch(&in, '[');
	assert_true(reply_parse(&c, in.ptr, in.len) < 0);
	/* block mappings */
	buf_reset(&in);
	for (i = 0; i < 200; i++)
		buf_addf(&in, "%*sk%d:\n", i, "", i);
	assert_true(reply_parse(&c, in.ptr, in.len) < 0);
	/* JSON */
	buf_reset(&in);
	for (i = 0; i < 100000; i++)
		buf_adds(&in, "{\"a\":");
	assert_true(reply_parse(&c, in.ptr, in.len) < 0);
	buf_reset(&in);
	for (i = 0; i < 5000; i++)
		buf_adds(&in, "{\"file\":");
	assert_true(reply_parse(&c, in.ptr, in.len) < 0);
	buf_release(&in);
}

static void reply__truncations_do_not_crash(void **state)
{
	struct buf in = BUF_INIT;
	struct change c;
	size_t n;

	(void)state;
	assert_int_equal(read_case(&in, "yaml-rewrite", "txt"), 1);
	for (n = 0; n < in.len; n++)
		if (reply_parse(&c, in.ptr, n) == 0)
			change_release(&c);
	assert_int_equal(read_case(&in, "multi-edits", "txt"), 1);
	for (n = 0; n < in.len; n++)
		if (reply_parse(&c, in.ptr, n) == 0)
			change_release(&c);
	buf_release(&in);
}

static void reply__random_bytes_do_not_crash(void **state)
{
	static const char alphabet[] = "{}[]\":,|-\n \t`~&*!#yamljson_old_strfile\\\x80\xff";
	unsigned seed = 12345;
	char text[512];
	struct change c;
	int round;

	(void)state;
	for (round = 0; round < 3000; round++) {
		size_t n, i;

		seed = seed * 1103515245u + 12345u;
		n = (seed >> 8) % sizeof(text);
		for (i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			text[i] = round % 2 ? (char)(seed >> 16) : alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		if (reply_parse(&c, text, n) == 0) {
			assert_true(c.nr > 0);
			change_release(&c);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reply__fixtures),
		cmocka_unit_test(reply__too_large),
		cmocka_unit_test(reply__huge_strings),
		cmocka_unit_test(reply__deep_nesting),
		cmocka_unit_test(reply__truncations_do_not_crash),
		cmocka_unit_test(reply__random_bytes_do_not_crash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
