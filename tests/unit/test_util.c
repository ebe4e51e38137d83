/* Unit tests of the small util modules: buf, strvec, utf8, fs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strvec.h"
#include "util/utf8.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void buf__empty_is_a_valid_string(void **state)
{
	struct buf b = BUF_INIT;
	(void)state;
	assert_non_null(b.ptr);
	assert_string_equal(b.ptr, "");
	buf_release(&b);
	assert_string_equal(b.ptr, "");
}

static void buf__appends_and_formats(void **state)
{
	struct buf b = BUF_INIT;
	(void)state;
	assert_int_equal(buf_adds(&b, "abc"), 0);
	assert_int_equal(buf_addf(&b, "-%d-%s", 42, "x"), 0);
	assert_int_equal(buf_addch(&b, '!'), 0);
	assert_string_equal(b.ptr, "abc-42-x!");
	assert_int_equal(b.len, 9);
	buf_setlen(&b, 3);
	assert_string_equal(b.ptr, "abc");
	buf_release(&b);
}

static void buf__cap_refuses_and_keeps_contents(void **state)
{
	struct buf b;
	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_adds(&b, "12345"), 0);
	assert_int_equal(buf_adds(&b, "6789"), ERR_LIMIT);
	assert_string_equal(b.ptr, "12345");
	assert_non_null(strstr(error_last(), "limit of 8 bytes"));
	assert_int_equal(buf_adds(&b, "678"), 0);
	assert_string_equal(b.ptr, "12345678");
	buf_release(&b);
}

static void buf__trim(void **state)
{
	struct buf b = BUF_INIT;
	(void)state;
	buf_adds(&b, " \t x y \n");
	buf_trim(&b);
	assert_string_equal(b.ptr, "x y");
	buf_release(&b);
}

static void strvec__push_and_clear(void **state)
{
	struct strvec sv = STRVEC_INIT;
	(void)state;
	assert_null(sv.v[0]);
	strvec_push(&sv, "a");
	strvec_pushf(&sv, "%s%d", "b", 2);
	assert_int_equal(sv.nr, 2);
	assert_string_equal(sv.v[1], "b2");
	assert_null(sv.v[2]);
	assert_int_equal(strvec_find(&sv, "b2"), 1);
	assert_int_equal(strvec_find(&sv, "c"), -1);
	strvec_clear(&sv);
	assert_int_equal(sv.nr, 0);
}

static void strvec__split_command_follows_shell_quoting(void **state)
{
	static const struct {
		const char *in;
		const char *out[6];
	} cases[] = {
		{ "pytest -q", { "pytest", "-q" } },
		{ "  python3   -m pytest  ", { "python3", "-m", "pytest" } },
		{ "sh -c 'echo $HOME; ls'", { "sh", "-c", "echo $HOME; ls" } },
		{ "a \"b c\" d\\ e", { "a", "b c", "d e" } },
		{ "x \"q\\\"uote\" ''", { "x", "q\"uote", "" } },
		{ "pre'fix'\"ed\"", { "prefixed" } },
		{ "", { NULL } },
	};
	size_t i, j;
	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct strvec sv = STRVEC_INIT;
		assert_int_equal(strvec_split_command(&sv, cases[i].in), 0);
		for (j = 0; cases[i].out[j]; j++) {
			assert_true(j < sv.nr);
			assert_string_equal(sv.v[j], cases[i].out[j]);
		}
		assert_int_equal(sv.nr, j);
		strvec_clear(&sv);
	}
}

static void strvec__split_command_rejects_open_quotes(void **state)
{
	struct strvec sv = STRVEC_INIT;
	(void)state;
	assert_int_equal(strvec_split_command(&sv, "echo 'oops"), ERR_USAGE);
	assert_non_null(strstr(error_last(), "unterminated single quote"));
	strvec_clear(&sv);
	assert_int_equal(strvec_split_command(&sv, "echo \"oops"), ERR_USAGE);
	strvec_clear(&sv);
}

static void utf8__validates(void **state)
{
	(void)state;
	assert_true(utf8_is_valid("plain", 5));
	assert_true(utf8_is_valid("Z\xc3\xab \xe2\x98\x83 \xf0\x9f\x98\x80", 12));
	assert_false(utf8_is_valid("\xff", 1));
	assert_false(utf8_is_valid("\xc3\x28", 2));        /* bad continuation */
	assert_false(utf8_is_valid("\xc0\xaf", 2));        /* overlong */
	assert_false(utf8_is_valid("\xed\xa0\x80", 3));    /* surrogate */
	assert_false(utf8_is_valid("\xe2\x98", 2));        /* truncated */
	assert_false(utf8_is_valid("a\0b", 3));            /* NUL */
}

static void utf8__sanitize_replaces_bad_bytes(void **state)
{
	struct buf b = BUF_INIT;
	(void)state;
	assert_int_equal(utf8_sanitize(&b, "ok \xff\xfe bad \xc3\x28 Z\xc3\xab\0!", 18), 0);
	assert_string_equal(b.ptr, "ok \xef\xbf\xbd\xef\xbf\xbd bad \xef\xbf\xbd( Z\xc3\xab!");
	assert_true(utf8_is_valid(b.ptr, b.len));
	buf_release(&b);
}

static void fs__atomic_write_replaces_and_reads_back(void **state)
{
	struct buf dir = BUF_INIT, path = BUF_INIT, got = BUF_INIT;
	struct stat st;
	(void)state;
	assert_int_equal(fs_mkdtemp(&dir, "pf-test"), 0);
	buf_addf(&path, "%s/f.txt", dir.ptr);
	assert_int_equal(fs_write_atomic(path.ptr, "one", 3, 0640), 0);
	assert_int_equal(fs_write_atomic(path.ptr, "two!", 4, 0600), 0);
	assert_int_equal(fs_read_file(&got, path.ptr, 0), 0);
	assert_string_equal(got.ptr, "two!");
	assert_int_equal(stat(path.ptr, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	buf_reset(&got);
	assert_int_equal(fs_read_file(&got, path.ptr, 3), ERR_LIMIT);
	assert_int_equal(fs_remove_tree(dir.ptr), 0);
	assert_false(fs_is_dir(dir.ptr));
	buf_reset(&got);
	assert_int_equal(fs_read_file(&got, path.ptr, 0), ERR_NOTFOUND);
	buf_release(&dir);
	buf_release(&path);
	buf_release(&got);
}

/* the names in `dir`, sorted, joined by spaces */
static void list_dir(struct buf *out, const char *dir)
{
	struct dirent **names = NULL;
	int n = scandir(dir, &names, NULL, alphasort), i;

	buf_reset(out);
	for (i = 0; i < n; i++) {
		if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, ".."))
			buf_addf(out, "%s%s", out->len ? " " : "", names[i]->d_name);
		free(names[i]);
	}
	free(names);
}

static void fs__batch_writes_removes_and_keeps_modes(void **state)
{
	struct buf dir = BUF_INIT, path = BUF_INIT, got = BUF_INIT;
	struct fs_batch b = FS_BATCH_INIT;
	struct fs_batch_file *f;
	struct stat st;
	(void)state;
	assert_int_equal(fs_mkdtemp(&dir, "pf-test"), 0);
	buf_addf(&path, "%s/run.sh", dir.ptr);
	assert_int_equal(fs_write_atomic(path.ptr, "old", 3, 0755), 0);
	f = fs_batch_get(&b, path.ptr);
	buf_adds(&f->data, "new");
	assert_ptr_equal(fs_batch_get(&b, path.ptr), f);
	buf_reset(&path);
	buf_addf(&path, "%s/gone.txt", dir.ptr);
	assert_int_equal(fs_write_atomic(path.ptr, "x", 1, 0644), 0);
	fs_batch_get(&b, path.ptr)->remove = 1;
	buf_reset(&path);
	buf_addf(&path, "%s/a/b/made.py", dir.ptr);
	buf_adds(&fs_batch_get(&b, path.ptr)->data, "made");
	assert_int_equal(fs_batch_commit(&b), 0);

	list_dir(&got, dir.ptr);
	assert_string_equal(got.ptr, "a run.sh");
	buf_reset(&got);
	assert_int_equal(fs_read_file(&got, path.ptr, 0), 0);
	assert_string_equal(got.ptr, "made");
	buf_reset(&path);
	buf_addf(&path, "%s/run.sh", dir.ptr);
	buf_reset(&got);
	assert_int_equal(fs_read_file(&got, path.ptr, 0), 0);
	assert_string_equal(got.ptr, "new");
	assert_int_equal(stat(path.ptr, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0755);   /* an existing file keeps its mode */
	fs_batch_release(&b);
	fs_remove_tree(dir.ptr);
	buf_release(&dir);
	buf_release(&path);
	buf_release(&got);
}

static void fs__batch_failure_leaves_everything_as_it_was(void **state)
{
	struct buf dir = BUF_INIT, path = BUF_INIT, got = BUF_INIT;
	struct fs_batch b = FS_BATCH_INIT;
	(void)state;
	assert_int_equal(fs_mkdtemp(&dir, "pf-test"), 0);
	buf_addf(&path, "%s/keep.py", dir.ptr);
	assert_int_equal(fs_write_atomic(path.ptr, "mine", 4, 0644), 0);
	buf_adds(&fs_batch_get(&b, path.ptr)->data, "theirs");
	buf_reset(&path);
	buf_addf(&path, "%s/new/dir/file.py", dir.ptr);
	buf_adds(&fs_batch_get(&b, path.ptr)->data, "new");
	/* the last one cannot be written: a directory is in its place */
	buf_reset(&path);
	buf_addf(&path, "%s/sub", dir.ptr);
	assert_int_equal(fs_mkdir_p(path.ptr, 0755), 0);
	buf_adds(&fs_batch_get(&b, path.ptr)->data, "x");
	assert_int_equal(fs_batch_commit(&b), ERR_CONFLICT);
	assert_non_null(strstr(error_last(), "it is not a regular file; nothing was changed"));

	list_dir(&got, dir.ptr);
	assert_string_equal(got.ptr, "keep.py sub");   /* no temporary file, no new directory */
	buf_reset(&path);
	buf_addf(&path, "%s/keep.py", dir.ptr);
	buf_reset(&got);
	assert_int_equal(fs_read_file(&got, path.ptr, 0), 0);
	assert_string_equal(got.ptr, "mine");
	fs_batch_release(&b);
	fs_remove_tree(dir.ptr);
	buf_release(&dir);
	buf_release(&path);
	buf_release(&got);
}

static void fs__relative_to(void **state)
{
	char *r;
	(void)state;
	r = fs_relative_to("/a/b/c.py", "/a");
	assert_string_equal(r, "b/c.py");
	free(r);
	r = fs_relative_to("/a/b/c.py", "/a/");
	assert_string_equal(r, "b/c.py");
	free(r);
	assert_null(fs_relative_to("/ab/c.py", "/a"));
	assert_null(fs_relative_to("/x/c.py", "/a"));
	r = fs_relative_to("/a", "/a");
	assert_string_equal(r, ".");
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buf__empty_is_a_valid_string),
		cmocka_unit_test(buf__appends_and_formats),
		cmocka_unit_test(buf__cap_refuses_and_keeps_contents),
		cmocka_unit_test(buf__trim),
		cmocka_unit_test(strvec__push_and_clear),
		cmocka_unit_test(strvec__split_command_follows_shell_quoting),
		cmocka_unit_test(strvec__split_command_rejects_open_quotes),
		cmocka_unit_test(utf8__validates),
		cmocka_unit_test(utf8__sanitize_replaces_bad_bytes),
		cmocka_unit_test(fs__atomic_write_replaces_and_reads_back),
		cmocka_unit_test(fs__batch_writes_removes_and_keeps_modes),
		cmocka_unit_test(fs__batch_failure_leaves_everything_as_it_was),
		cmocka_unit_test(fs__relative_to),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
