/* Unit tests of the small util modules: buf, strvec, utf8, fs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/buf.h"
#include "util/clock.h"
#include "util/distance.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/sig.h"
#include "util/strvec.h"
#include "util/utf8.h"

#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
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

static void write_file(const char *dir, const char *name, const char *text)
{
	struct buf path = BUF_INIT;
	buf_addf(&path, "%s/%s", dir, name);
	assert_int_equal(fs_write_atomic(path.ptr, text, strlen(text), 0644), 0);
	buf_release(&path);
}

static void expect_file(const char *dir, const char *name, const char *text)
{
	struct buf path = BUF_INIT, got = BUF_INIT;
	buf_addf(&path, "%s/%s", dir, name);
	assert_int_equal(fs_read_file(&got, path.ptr, 0), 0);
	assert_string_equal(got.ptr, text);
	buf_release(&path);
	buf_release(&got);
}

/*
 * An apply killed while it made its temporaries: no file of the user's was
 * changed; only ours (named as we name them) are removed, never a user's
 * file that merely looks alike, nor the files themselves.
 */
static void fs__recover_removes_the_temporaries_of_a_preparing_batch(void **state)
{
	struct buf dir = BUF_INIT, journal = BUF_INIT, got = BUF_INIT, old = BUF_INIT;
	struct timeval hour_ago[2] = { { time(NULL) - 3600, 0 }, { time(NULL) - 3600, 0 } };
	struct timeval minute_ago[2] = { { time(NULL) - 60, 0 }, { time(NULL) - 60, 0 } };
	struct strvec report = STRVEC_INIT;
	(void)state;
	assert_int_equal(fs_mkdtemp(&dir, "pf-test"), 0);
	buf_addf(&journal, "%s/j", dir.ptr);
	write_file(dir.ptr, "a.py", "old a");
	write_file(dir.ptr, "a.py.tmp.Qx12ab", "new a");       /* ours: mkstemp's */
	write_file(dir.ptr, "a.py.orig.tmp.7.0", "old a");     /* ours: a kept original */
	write_file(dir.ptr, "a.py.orig.tmp.Zz0011", "old a");  /* ours: a copied original */
	write_file(dir.ptr, "a.py.tmp.backup", "user's");      /* the user's, older than the journal */
	buf_addf(&old, "%s/a.py.tmp.backup", dir.ptr);
	assert_int_equal(utimes(old.ptr, hour_ago), 0);
	write_file(dir.ptr, "a.py.tmp.Qx12abc", "user's");     /* the user's: 7 characters */
	write_file(dir.ptr, "b.py.tmp.Qx12ab", "user's");      /* not a file of the journal */
	write_file(dir.ptr, "j", FS_JOURNAL_HEADER "\n" FS_JOURNAL_PREPARING "\n"
		   "a.py\t\t\n"
		   "new.py\t\t\n");
	/*
	 * an apply writes its journal before its temporaries: so must its age be
	 * here, or a second ticking over between the writes above and the journal's
	 * would make ours look older than it (as it did under load)
	 */
	assert_int_equal(utimes(journal.ptr, minute_ago), 0);
	assert_int_equal(fs_batch_recover(&report, dir.ptr, journal.ptr), 0);
	list_dir(&got, dir.ptr);
	assert_string_equal(got.ptr, "a.py a.py.tmp.Qx12abc a.py.tmp.backup b.py.tmp.Qx12ab");
	expect_file(dir.ptr, "a.py", "old a");
	assert_int_equal(report.nr, 1);
	assert_string_equal(report.v[0], "removed 3 temporary files an interrupted apply had made "
			    "(no file of yours had been changed)");
	strvec_clear(&report);
	fs_remove_tree(dir.ptr);
	buf_release(&dir);
	buf_release(&journal);
	buf_release(&got);
	buf_release(&old);
}

/* the files an apply killed after its first two renames left, and its journal */
static void fs__recover_rolls_back_an_interrupted_batch(void **state)
{
	struct buf dir = BUF_INIT, journal = BUF_INIT, got = BUF_INIT, orig = BUF_INIT;
	struct buf path = BUF_INIT;
	struct strvec report = STRVEC_INIT;
	(void)state;
	assert_int_equal(fs_mkdtemp(&dir, "pf-test"), 0);
	buf_addf(&journal, "%s/j", dir.ptr);
	write_file(dir.ptr, "a.py", "new a");                 /* renamed into place */
	write_file(dir.ptr, "a.py.orig.tmp.7.0", "old a");
	write_file(dir.ptr, "b.py", "old b");                 /* not yet: its original linked */
	buf_addf(&path, "%s/b.py", dir.ptr);
	buf_addf(&orig, "%s/b.py.orig.tmp.7.1", dir.ptr);
	assert_int_equal(link(path.ptr, orig.ptr), 0);
	write_file(dir.ptr, "b.py.tmp.Qx12ab", "new b");
	write_file(dir.ptr, "c.py", "made");                  /* did not exist */
	write_file(dir.ptr, "j", FS_JOURNAL_HEADER "\n" FS_JOURNAL_APPLYING "\n"
		   "a.py\ta.py.orig.tmp.7.0\t\n"
		   "b.py\tb.py.orig.tmp.7.1\tb.py.tmp.Qx12ab\n"
		   "c.py\t\tc.py.tmp.Zz0011\n");
	assert_int_equal(fs_batch_recover(&report, dir.ptr, journal.ptr), 0);
	list_dir(&got, dir.ptr);
	assert_string_equal(got.ptr, "a.py b.py");
	expect_file(dir.ptr, "a.py", "old a");
	expect_file(dir.ptr, "b.py", "old b");
	assert_int_equal(report.nr, 3);
	assert_string_equal(report.v[2], "removed 'c.py': an interrupted apply had made it");
	/* no journal: nothing to do */
	assert_int_equal(fs_batch_recover(&report, dir.ptr, journal.ptr), 0);
	assert_int_equal(report.nr, 3);
	strvec_clear(&report);
	fs_remove_tree(dir.ptr);
	buf_release(&dir);
	buf_release(&journal);
	buf_release(&got);
	buf_release(&orig);
	buf_release(&path);
}

/* a journal is outside input: one that is not ours is refused before anything is touched */
static void fs__recover_refuses_a_malformed_journal(void **state)
{
	static const char *const bad[] = {
		"a.py\ta.py.orig.tmp.1.0\t\n../x.py\t\t\n",
		"/etc/passwd\t\t\n",
		"a.py\tb.py\t\n",                      /* not a.py's original: the user's b.py */
		"a.py\ta.py.orig.tmp.1.0\n",            /* two fields */
		"a/./b.py\t\t\n",
		"a.py\t\t",                             /* cut short */
	};
	struct buf dir = BUF_INIT, journal = BUF_INIT, text = BUF_INIT, got = BUF_INIT;
	struct strvec report = STRVEC_INIT;
	size_t i;
	(void)state;
	assert_int_equal(fs_mkdtemp(&dir, "pf-test"), 0);
	buf_addf(&journal, "%s/j", dir.ptr);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(dir.ptr, "a.py", "mine");
		write_file(dir.ptr, "a.py.orig.tmp.1.0", "old");
		write_file(dir.ptr, "b.py", "b");
		buf_reset(&text);
		buf_addf(&text, "%s\n%s\n%s", FS_JOURNAL_HEADER, FS_JOURNAL_APPLYING, bad[i]);
		write_file(dir.ptr, "j", text.ptr);
		assert_int_equal(fs_batch_recover(&report, dir.ptr, journal.ptr), ERR_USAGE);
		assert_non_null(strstr(error_last(), journal.ptr));
		assert_non_null(strstr(error_last(), "is not a journal of an interrupted apply"));
		expect_file(dir.ptr, "a.py", "mine");
		buf_reset(&got);
		list_dir(&got, dir.ptr);
		assert_string_equal(got.ptr, "a.py a.py.orig.tmp.1.0 b.py j");
		assert_int_equal(report.nr, 0);
	}
	write_file(dir.ptr, "j", "not a journal\n");
	assert_int_equal(fs_batch_recover(&report, dir.ptr, journal.ptr), ERR_USAGE);
	strvec_clear(&report);
	fs_remove_tree(dir.ptr);
	buf_release(&dir);
	buf_release(&journal);
	buf_release(&text);
	buf_release(&got);
}

/* a batch with a journal leaves none once done */
static void fs__batch_with_a_journal_removes_it(void **state)
{
	struct buf dir = BUF_INIT, journal = BUF_INIT, path = BUF_INIT, got = BUF_INIT;
	struct fs_batch b = FS_BATCH_INIT;
	(void)state;
	assert_int_equal(fs_mkdtemp(&dir, "pf-test"), 0);
	buf_addf(&journal, "%s/j", dir.ptr);
	write_file(dir.ptr, "a.py", "old");
	buf_addf(&path, "%s/a.py", dir.ptr);
	buf_adds(&fs_batch_get(&b, path.ptr)->data, "new");
	b.root = dir.ptr;
	b.journal = journal.ptr;
	assert_int_equal(fs_batch_commit(&b), 0);
	list_dir(&got, dir.ptr);
	assert_string_equal(got.ptr, "a.py");
	expect_file(dir.ptr, "a.py", "new");
	fs_batch_release(&b);
	fs_remove_tree(dir.ptr);
	buf_release(&dir);
	buf_release(&journal);
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

static void clock__monotonic_measures_a_sleep(void **state)
{
	double a, b;
	int64_t ns;
	(void)state;
	a = clock_monotonic();
	ns = clock_monotonic_ns();
	clock_sleep_ms(30);
	b = clock_monotonic();
	assert_true(b - a >= 0.029);
	assert_true(b - a < 10.0);
	assert_true(clock_monotonic_ns() - ns >= 29000000);
}

static void clock__wall_is_seconds_since_the_epoch(void **state)
{
	double w;
	(void)state;
	w = clock_wall();
	assert_true(w >= (double)time(NULL) - 1.0);
	assert_true(w <= (double)time(NULL) + 1.0);
}

static void clock__interruptible_sleep_stops_at_a_signal(void **state)
{
	double a;
	(void)state;
	assert_int_equal(clock_sleep_interruptible(20), 0);
	sig_install();
	raise(SIGTERM);
	a = clock_monotonic();
	assert_int_equal(clock_sleep_interruptible(30 * 1000), 1);
	assert_true(clock_monotonic() - a < 5.0);
	sig_reset();
}

/* the published 64-bit FNV-1a vectors (www.isthe.com/chongo/src/fnv/test_fnv.c) */
static void hash__fnv1a_published_vectors(void **state)
{
	(void)state;
	assert_true(hash_fnv1a("", 0) == 0xcbf29ce484222325ull);
	assert_true(hash_fnv1a("a", 1) == 0xaf63dc4c8601ec8cull);
	assert_true(hash_fnv1a("foobar", 6) == 0x85944171f73967e8ull);
	assert_true(hash_fnv1a("chongo was here!\n", 17) == 0x46810940eff5f915ull);
}

static void hash__pieces_hash_as_their_concatenation(void **state)
{
	(void)state;
	assert_true(hash_fnv1a_add(HASH_FNV1A_BASIS, "", 0) == HASH_FNV1A_BASIS);
	assert_true(hash_fnv1a_add(hash_fnv1a("foo", 3), "bar", 3) == hash_fnv1a("foobar", 6));
	assert_true(hash_fnv1a("foobar", 6) != hash_fnv1a("foobaz", 6));
}

static size_t lev(const char *a, const char *b, unsigned flags)
{
	return distance_levenshtein(a, strlen(a), b, strlen(b), flags);
}

static void distance__levenshtein_counts_single_steps(void **state)
{
	(void)state;
	assert_int_equal(lev("", "", 0), 0);
	assert_int_equal(lev("abc", "", 0), 3);
	assert_int_equal(lev("", "abc", 0), 3);
	assert_int_equal(lev("kitten", "sitting", 0), 3);
	assert_int_equal(lev("add", "add_numbers", 0), 8);
	assert_int_equal(lev("flaw", "lawn", 0), 2);
	assert_int_equal(lev("Max-Retries", "max_retries", 0), 3);
	assert_int_equal(lev("Max-Retries", "max_retries", DISTANCE_FOLD_CASE), 1);
	assert_int_equal(lev("Max-Retries", "max_retries", DISTANCE_FOLD_CASE | DISTANCE_DASH_UNDERSCORE), 0);
	/* the lengths given count, not the NULs */
	assert_int_equal(distance_levenshtein("abcdef", 3, "abx", 3, 0), 1);
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
		cmocka_unit_test(fs__recover_removes_the_temporaries_of_a_preparing_batch),
		cmocka_unit_test(fs__recover_rolls_back_an_interrupted_batch),
		cmocka_unit_test(fs__recover_refuses_a_malformed_journal),
		cmocka_unit_test(fs__batch_with_a_journal_removes_it),
		cmocka_unit_test(clock__monotonic_measures_a_sleep),
		cmocka_unit_test(clock__wall_is_seconds_since_the_epoch),
		cmocka_unit_test(clock__interruptible_sleep_stops_at_a_signal),
		cmocka_unit_test(hash__fnv1a_published_vectors),
		cmocka_unit_test(hash__pieces_hash_as_their_concatenation),
		cmocka_unit_test(distance__levenshtein_counts_single_steps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
