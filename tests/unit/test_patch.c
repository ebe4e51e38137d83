/*
 * Unit tests of src/edit/patch: parsing sloppy unified diffs, applying them
 * and normalising them into diffs real git accepts.
 *
 * The main test is data-driven from tests/fixtures/patch/ (see its
 * README.md): NAME.diff applied to NAME.old (base.py when absent) must give
 * NAME.new, or fail with the message in NAME.err.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "edit/patch.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/proc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PATCH_FIXTURES FIXTURES_DIR "/patch"
#define CASE_FILE_MAX (1024 * 1024)

static const char *const cases[] = {
	"clean-git", "shifted-by-7", "wrong-counts", "wrong-counts-blank", "no-headers",
	"no-numbers", "bare-at", "fenced", "crlf-diff", "crlf-file", "blank-context",
	"blank-trailing", "two-hunks", "matches-twice", "equally-near", "nearest",
	"deletion-only", "add-at-eof", "add-at-eof-no-context", "no-newline-eof",
	"no-newline-add", "marker-adds-newline", "marker-drops-newline", "loose-indent",
	"no-match", "second-hunk-no-match", "implicit-hunk", "new-file", "no-hunk",
};

/* the file NAME.ext of the fixtures into `out`; 0 when it does not exist */
static int read_case(struct buf *out, const char *name, const char *ext)
{
	struct buf path = BUF_INIT;
	int found;

	buf_addf(&path, "%s/%s.%s", PATCH_FIXTURES, name, ext);
	buf_reset(out);
	found = fs_is_file(path.ptr);
	if (found)
		assert_int_equal(fs_read_file(out, path.ptr, CASE_FILE_MAX), 0);
	buf_release(&path);
	return found;
}

static int run_git(const char *dir, const char *const *argv, struct buf *err_out)
{
	struct proc_options o = PROC_OPTIONS_INIT;
	struct proc_result res = PROC_RESULT_INIT;
	int code;

	o.argv = argv;
	o.cwd = dir;
	o.timeout_ms = 30000;
	o.merge_stderr = 1;
	assert_int_equal(proc_run(&res, &o), 0);
	code = res.exit_code;
	if (err_out)
		buf_add(err_out, res.out.ptr, res.out.len);
	proc_result_release(&res);
	return code;
}

/* `git apply --check` then `git apply` of `diff` to a file holding `old`: the result */
static void git_apply(struct buf *result, const char *old, size_t old_len, int create,
		      const struct buf *diff, const char *name)
{
	const char *const init[] = { "git", "init", "-q", ".", NULL };
	const char *const check[] = { "git", "-c", "core.autocrlf=false", "apply", "--check",
				      "--whitespace=nowarn", "p.diff", NULL };
	const char *const apply[] = { "git", "-c", "core.autocrlf=false", "apply",
				      "--whitespace=nowarn", "p.diff", NULL };
	struct buf dir = BUF_INIT, path = BUF_INIT, out = BUF_INIT;

	assert_int_equal(fs_mkdtemp(&dir, "pf-test-patch"), 0);
	assert_int_equal(run_git(dir.ptr, init, NULL), 0);
	buf_addf(&path, "%s/t.py", dir.ptr);
	if (!create)
		assert_int_equal(fs_write_atomic(path.ptr, old, old_len, 0644), 0);
	buf_reset(&path);
	buf_addf(&path, "%s/p.diff", dir.ptr);
	assert_int_equal(fs_write_atomic(path.ptr, diff->ptr, diff->len, 0644), 0);
	if (run_git(dir.ptr, check, &out) != 0)
		fail_msg("%s: git apply --check refused the normalised diff:\n%s\n%s", name, out.ptr,
			 diff->ptr);
	assert_int_equal(run_git(dir.ptr, apply, &out), 0);
	buf_reset(&path);
	buf_addf(&path, "%s/t.py", dir.ptr);
	buf_reset(result);
	assert_int_equal(fs_read_file(result, path.ptr, CASE_FILE_MAX), 0);
	fs_remove_tree(dir.ptr);
	buf_release(&out);
	buf_release(&path);
	buf_release(&dir);
}

static void assert_same(const char *name, const char *what, const struct buf *got,
			const struct buf *want)
{
	if (got->len != want->len || memcmp(got->ptr, want->ptr, got->len))
		fail_msg("%s: %s differs\n--- got ---\n%s\n--- want ---\n%s", name, what, got->ptr,
			 want->ptr);
}

static void run_case(const char *name)
{
	struct buf diff = BUF_INIT, old = BUF_INIT, want = BUF_INIT, want_err = BUF_INIT;
	struct buf got = BUF_INIT, norm = BUF_INIT, again = BUF_INIT;
	struct patch_set set, set2;
	int err, expect_error;

	assert_true(read_case(&diff, name, "diff"));
	if (!read_case(&old, name, "old"))
		assert_true(read_case(&old, "base", "py"));
	expect_error = read_case(&want_err, name, "err");
	if (expect_error) {
		buf_rtrim(&want_err);
	} else if (!read_case(&want, name, "new")) {
		fail_msg("%s: neither %s.new nor %s.err", name, name, name);
	}

	err = patch_parse(&set, diff.ptr, diff.len);
	if (!err) {
		assert_int_equal(set.nr, 1);
		patch_file_set_path(&set.files[0], "t.py");
		err = patch_apply(&got, &set.files[0], old.ptr, old.len);
	}
	if (expect_error) {
		if (!err)
			fail_msg("%s: applied, but should fail with: %s", name, want_err.ptr);
		assert_string_equal(error_last(), want_err.ptr);
		goto done;
	}
	if (err)
		fail_msg("%s: %s", name, error_last());
	assert_same(name, "patch_apply() result", &got, &want);

	/* the normalised diff: real git takes it and gets the same file */
	assert_int_equal(patch_normalize(&norm, &set.files[0], old.ptr, old.len), 0);
	git_apply(&again, old.ptr, old.len, set.files[0].is_new, &norm, name);
	assert_same(name, "git apply of the normalised diff", &again, &want);

	/* and it reads back as itself */
	assert_int_equal(patch_parse(&set2, norm.ptr, norm.len), 0);
	buf_reset(&again);
	assert_int_equal(patch_apply(&again, &set2.files[0], old.ptr, old.len), 0);
	assert_same(name, "patch_apply() of the normalised diff", &again, &want);
	patch_set_release(&set2);
done:
	patch_set_release(&set);
	buf_release(&again);
	buf_release(&norm);
	buf_release(&got);
	buf_release(&want_err);
	buf_release(&want);
	buf_release(&old);
	buf_release(&diff);
}

static void patch__fixtures(void **state)
{
	size_t i;
	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(cases[i]);
}

static void patch__parses_headers_and_prefixes(void **state)
{
	static const char text[] =
		"diff --git a/src/one.py b/src/one.py\n"
		"index 1111111..2222222 100644\n"
		"--- a/src/one.py\n"
		"+++ b/src/one.py\n"
		"@@ -1,2 +1,2 @@ def f():\n"
		" a\n"
		"-b\n"
		"+c\n"
		"diff --git a/two words.py b/two words.py\n"
		"--- a/two words.py\t2024-01-01 00:00:00\n"
		"+++ b/two words.py\t2024-01-01 00:00:00\n"
		"@@ -3 +3 @@\n"
		"-x\n"
		"+y\n"
		"--- plain.txt\n"
		"+++ plain.txt\n"
		"@@ -1 +1,2 @@\n"
		" p\n"
		"+q\n";
	struct patch_set set;
	(void)state;

	assert_int_equal(patch_parse(&set, text, strlen(text)), 0);
	assert_int_equal(set.nr, 3);
	assert_string_equal(set.files[0].old_path, "src/one.py");
	assert_string_equal(set.files[0].new_path, "src/one.py");
	assert_int_equal(set.files[0].nr, 1);
	assert_string_equal(set.files[0].hunks[0].header, "@@ -1,2 +1,2 @@");
	assert_int_equal(set.files[0].hunks[0].old_start, 1);
	assert_int_equal(set.files[0].hunks[0].new_count, 2);
	assert_int_equal(set.files[0].hunks[0].nr, 3);
	assert_string_equal(set.files[1].new_path, "two words.py");
	assert_int_equal(set.files[1].hunks[0].old_count, 1);
	assert_string_equal(set.files[2].old_path, "plain.txt");
	assert_non_null(patch_set_find(&set, "plain.txt"));
	assert_null(patch_set_find(&set, "other.txt"));
	/* each file's own text, for change_from_patch */
	assert_memory_equal(set.text + set.files[2].text_start, "--- plain.txt\n", 14);
	assert_int_equal(set.files[2].text_end, strlen(text));
	patch_set_release(&set);
}

static void patch__new_and_deleted_files(void **state)
{
	static const char text[] =
		"--- /dev/null\n+++ b/new.py\n@@ -0,0 +1 @@\n+x\n"
		"--- a/old.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-y\n";
	struct patch_set set;
	(void)state;

	assert_int_equal(patch_parse(&set, text, strlen(text)), 0);
	assert_int_equal(set.nr, 2);
	assert_true(set.files[0].is_new);
	assert_null(set.files[0].old_path);
	assert_string_equal(set.files[0].new_path, "new.py");
	assert_true(set.files[1].is_delete);
	assert_null(set.files[1].new_path);
	patch_set_release(&set);
}

static void patch__parse_errors_name_the_line(void **state)
{
	static const struct {
		const char *text;
		int code;
		const char *message;
	} bad[] = {
		{ "--- a/x\n+++ b/x\n@@ -1,1 +1,1 @@\nI could not finish\n", ERR_PARSE,
		  "cannot parse patch: line 3: empty hunk @@ -1,1 +1,1 @@" },
		{ "@@ -99999999999 +1 @@\n-a\n", ERR_PARSE,
		  "cannot parse patch: line 1: line number too large" },
		{ "diff --git a/x b/x\nBinary files a/x and b/x differ\n", ERR_PARSE,
		  "cannot parse patch: line 2: binary patches are not supported" },
		{ "diff --git a/x b/x\nold mode 100644\nnew mode 100755\n", ERR_PARSE,
		  "cannot parse patch: line 1: no hunk for 'x'" },
		{ "@@@ -1 -1 +1 @@@\n", ERR_PARSE,
		  "cannot parse patch: line 1: combined diffs (@@@) are not supported" },
		{ "just words\n", ERR_PARSE, "cannot parse patch: no hunk found" },
		{ "", ERR_PARSE, "cannot parse patch: no hunk found" },
	};
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct patch_set set;
		int err = patch_parse(&set, bad[i].text, strlen(bad[i].text));
		if (err != bad[i].code)
			fail_msg("case %zu: got %d (%s)", i, err, error_last());
		assert_string_equal(error_last(), bad[i].message);
		assert_int_equal(set.nr, 0);
	}
}

static void patch__input_cap(void **state)
{
	struct patch_set set;
	char *big = calloc(1, PATCH_MAX_INPUT + 2);
	(void)state;

	assert_non_null(big);
	memset(big, ' ', PATCH_MAX_INPUT + 1);
	assert_int_equal(patch_parse(&set, big, PATCH_MAX_INPUT + 1), ERR_LIMIT);
	free(big);
}

/* hunks are applied in order; the second is looked for after the first */
static void patch__hunks_in_order_after_the_previous(void **state)
{
	static const char old[] = "a\nx\nb\nx\nc\n";
	static const char text[] = "@@ ... @@\n a\n-x\n+y\n@@ ... @@\n-x\n+z\n";
	struct patch_set set;
	struct buf out = BUF_INIT;
	(void)state;

	/* "-x" alone matches twice in the file, but once after the first hunk */
	assert_int_equal(patch_parse(&set, text, strlen(text)), 0);
	assert_int_equal(patch_apply(&out, &set.files[0], old, strlen(old)), 0);
	assert_string_equal(out.ptr, "a\ny\nb\nz\nc\n");
	patch_set_release(&set);
	buf_release(&out);
}

/* an offset found for one hunk carries to the next one */
static void patch__offset_carries_to_later_hunks(void **state)
{
	static const char old[] = "0\n0\n0\nk\n1\n2\n3\n4\n5\n6\nk\n";
	/* both hunks stated 2 lines early; "k" alone is in two places */
	static const char text[] = "@@ -2,2 +2,2 @@\n-k\n+K\n 1\n@@ -9 +9 @@\n-k\n+L\n";
	struct patch_set set;
	struct buf out = BUF_INIT;
	(void)state;

	assert_int_equal(patch_parse(&set, text, strlen(text)), 0);
	assert_int_equal(patch_apply(&out, &set.files[0], old, strlen(old)), 0);
	assert_string_equal(out.ptr, "0\n0\n0\nK\n1\n2\n3\n4\n5\n6\nL\n");
	patch_set_release(&set);
	buf_release(&out);
}

/* prose after an unfenced diff, separated by an empty line, is not part of it */
static void patch__prose_after_the_diff(void **state)
{
	static const char old[] = "a\nb\n";
	static const char text[] = "@@ -1,2 +1,2 @@\n a\n-b\n+c\n\nThis replaces b with c.\n";
	struct patch_set set;
	struct buf out = BUF_INIT;
	(void)state;

	assert_int_equal(patch_parse(&set, text, strlen(text)), 0);
	assert_int_equal(set.files[0].hunks[0].nr, 3);
	assert_int_equal(patch_apply(&out, &set.files[0], old, strlen(old)), 0);
	assert_string_equal(out.ptr, "a\nc\n");
	patch_set_release(&set);
	buf_release(&out);
}

/* "--- x" then "+++ y" inside a hunk whose counts want them is removed/added text */
static void patch__dashes_inside_a_counted_hunk(void **state)
{
	static const char old[] = "a\n-- x\nb\n";
	static const char text[] = "@@ -1,3 +1,3 @@\n a\n--- x\n+++ y\n b\n";
	struct patch_set set;
	struct buf out = BUF_INIT;
	(void)state;

	assert_int_equal(patch_parse(&set, text, strlen(text)), 0);
	assert_int_equal(set.nr, 1);
	assert_int_equal(patch_apply(&out, &set.files[0], old, strlen(old)), 0);
	assert_string_equal(out.ptr, "a\n++ y\nb\n");
	patch_set_release(&set);
	buf_release(&out);
}

static void patch__creating_over_an_existing_file_conflicts(void **state)
{
	static const char text[] = "--- /dev/null\n+++ b/x.py\n@@ -0,0 +1 @@\n+x\n";
	struct patch_set set;
	struct buf out = BUF_INIT;
	(void)state;

	assert_int_equal(patch_parse(&set, text, strlen(text)), 0);
	assert_int_equal(patch_apply(&out, &set.files[0], "y\n", 2), ERR_CONFLICT);
	assert_string_equal(error_last(), "the patch creates 'x.py', which already exists");
	patch_set_release(&set);
	buf_release(&out);
}

static void patch__normalize_needs_a_name_and_skips_no_ops(void **state)
{
	static const char text[] = "@@ -1 +1 @@\n a\n";
	struct patch_set set;
	struct buf out = BUF_INIT;
	(void)state;

	assert_int_equal(patch_parse(&set, text, strlen(text)), 0);
	assert_int_equal(patch_normalize(&out, &set.files[0], "a\n", 2), ERR_USAGE);
	patch_file_set_path(&set.files[0], "a.txt");
	assert_int_equal(patch_normalize(&out, &set.files[0], "a\n", 2), 0);
	assert_string_equal(out.ptr, "");
	patch_set_release(&set);
	buf_release(&out);
}

/*
 * Mutated fixtures: whatever the parser makes of them, nothing crashes, and
 * when a mutant applies, its normalised diff gives the same file again.
 */
static void patch__mutants_apply_like_their_normal_form(void **state)
{
	static const char alphabet[] = "\n\n\r +-@\\,0123456789ab\t";
	uint32_t seed = 12345;
	size_t i, applied = 0;
	int round;
	(void)state;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf diff = BUF_INIT, old = BUF_INIT;
		assert_true(read_case(&diff, cases[i], "diff"));
		if (!read_case(&old, cases[i], "old"))
			assert_true(read_case(&old, "base", "py"));
		for (round = 0; round < 60; round++) {
			struct buf m = BUF_INIT, got = BUF_INIT, norm = BUF_INIT, again = BUF_INIT;
			struct patch_set set, set2;
			size_t pos, k, edits;

			buf_add(&m, diff.ptr, diff.len);
			seed = seed * 1103515245u + 12345u;
			edits = 1 + (seed >> 16) % 3;
			for (k = 0; k < edits && m.len; k++) {
				seed = seed * 1103515245u + 12345u;
				pos = (seed >> 8) % m.len;
				seed = seed * 1103515245u + 12345u;
				if ((seed >> 16) % 2) {
					memmove(m.ptr + pos, m.ptr + pos + 1, m.len - pos - 1);
					buf_setlen(&m, m.len - 1);
				} else {
					char c = alphabet[(seed >> 8) % (sizeof(alphabet) - 1)];
					buf_addch(&m, 0);
					memmove(m.ptr + pos + 1, m.ptr + pos, m.len - pos - 1);
					m.ptr[pos] = c;
				}
			}
			if (patch_parse(&set, m.ptr, m.len) == 0) {
				patch_file_set_path(&set.files[0], "t.py");
				if (patch_apply(&got, &set.files[0], old.ptr, old.len) == 0) {
					applied++;
					assert_int_equal(patch_normalize(&norm, &set.files[0], old.ptr, old.len), 0);
					if (norm.len) {
						assert_int_equal(patch_parse(&set2, norm.ptr, norm.len), 0);
						assert_int_equal(patch_apply(&again, &set2.files[0], old.ptr, old.len), 0);
						patch_set_release(&set2);
					} else {
						buf_add(&again, old.ptr, old.len);
					}
					assert_same(cases[i], "a mutant's normalised form", &again, &got);
				}
			}
			patch_set_release(&set);
			buf_release(&again);
			buf_release(&norm);
			buf_release(&got);
			buf_release(&m);
		}
		buf_release(&old);
		buf_release(&diff);
	}
	/* the property was tested on something */
	assert_true(applied > 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(patch__fixtures),
		cmocka_unit_test(patch__parses_headers_and_prefixes),
		cmocka_unit_test(patch__new_and_deleted_files),
		cmocka_unit_test(patch__parse_errors_name_the_line),
		cmocka_unit_test(patch__input_cap),
		cmocka_unit_test(patch__hunks_in_order_after_the_previous),
		cmocka_unit_test(patch__offset_carries_to_later_hunks),
		cmocka_unit_test(patch__prose_after_the_diff),
		cmocka_unit_test(patch__dashes_inside_a_counted_hunk),
		cmocka_unit_test(patch__creating_over_an_existing_file_conflicts),
		cmocka_unit_test(patch__normalize_needs_a_name_and_skips_no_ops),
		cmocka_unit_test(patch__mutants_apply_like_their_normal_form),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
