/*
 * Unit tests of src/edit/change: the three edit modes, the path guard,
 * applying a change all-or-nothing, JSON storage, changes from diffs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "edit/change.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strvec.h"
#include "util/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers ---- */

struct tree {
	struct buf top;   /* a private temporary directory */
	struct buf root;  /* top/root: the project */
};

static void tree_make(struct tree *t)
{
	buf_init(&t->top, 0);
	buf_init(&t->root, 0);
	assert_int_equal(fs_mkdtemp(&t->top, "pf-test-edit"), 0);
	buf_addf(&t->root, "%s/root", t->top.ptr);
	assert_int_equal(mkdir(t->root.ptr, 0755), 0);
}

static void tree_remove(struct tree *t)
{
	/* make everything writable again so it can go */
	struct buf cmd_dir = BUF_INIT;
	buf_addf(&cmd_dir, "%s/sub", t->root.ptr);
	chmod(cmd_dir.ptr, 0755);
	buf_release(&cmd_dir);
	fs_remove_tree(t->top.ptr);
	buf_release(&t->root);
	buf_release(&t->top);
}

static char *tree_path(const struct tree *t, const char *rel)
{
	struct buf b = BUF_INIT;
	buf_addf(&b, "%s/%s", t->root.ptr, rel);
	return buf_detach(&b, NULL);
}

static void tree_write(const struct tree *t, const char *rel, const char *content, mode_t mode)
{
	char *p = tree_path(t, rel);
	assert_int_equal(fs_write_atomic(p, content, strlen(content), mode), 0);
	free(p);
}

static void tree_mkdir(const struct tree *t, const char *rel)
{
	char *p = tree_path(t, rel);
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
}

static void tree_symlink(const struct tree *t, const char *target, const char *rel)
{
	char *p = tree_path(t, rel);
	assert_int_equal(symlink(target, p), 0);
	free(p);
}

static void assert_file(const struct tree *t, const char *rel, const char *want)
{
	char *p = tree_path(t, rel);
	struct buf b = BUF_INIT;
	if (fs_read_file(&b, p, 0) < 0)
		fail_msg("cannot read '%s': %s", rel, error_last());
	if (strcmp(b.ptr, want))
		fail_msg("'%s' holds\n%s\ninstead of\n%s", rel, b.ptr, want);
	buf_release(&b);
	free(p);
}

static void assert_no_file(const struct tree *t, const char *rel)
{
	char *p = tree_path(t, rel);
	struct stat st;
	assert_int_equal(lstat(p, &st), -1);
	free(p);
}

/* no temporary files left beside the project's files */
static void assert_no_leftovers(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	assert_non_null(d);
	while ((de = readdir(d)))
		assert_null(strstr(de->d_name, ".tmp."));
	closedir(d);
}

static void add_update(struct change *c, const char *path, const char *old_str, const char *new_str)
{
	struct file_edit *e = change_add(c, EDIT_UPDATE, path);
	e->old_str = old_str ? strdup(old_str) : NULL;
	e->new_str = new_str ? strdup(new_str) : NULL;
}

static void add_rewrite(struct change *c, const char *path, const char *content)
{
	change_add(c, EDIT_REWRITE, path)->content = strdup(content);
}

static void add_patch(struct change *c, const char *path, const char *patch)
{
	change_add(c, EDIT_PATCH, path)->patch = strdup(patch);
}

/* ---- update, patch, rewrite on contents ---- */

static const char calc[] =
	"def div(a, b):\n"
	"    if b == 0:\n"
	"        raise ValueError(\"b is zero\")   \n"
	"    return a / b\n"
	"\n"
	"\n"
	"def mul(a, b):\n"
	"    return a * b\n";

static const struct update_case {
	const char *name;
	const char *old;
	const char *old_str, *new_str;
	int code;
	const char *want;     /* the new content, or the error message */
} update_cases[] = {
	{ "exact", calc, "a * b", "b * a", 0,
	  "def div(a, b):\n    if b == 0:\n        raise ValueError(\"b is zero\")   \n"
	  "    return a / b\n\n\ndef mul(a, b):\n    return b * a\n" },
	{ "exact across lines", "x = 1\ny = 2\nz = 3\n", "1\ny", "10\nyy", 0, "x = 10\nyy = 2\nz = 3\n" },
	{ "exact delete (no new_str)", "a\nb\nc\n", "b\n", NULL, 0, "a\nc\n" },
	{ "not found", calc, "a % b", "b", ERR_CONFLICT, "'old_str' not found in 'f.py'" },
	{ "twice", calc, "return a", "return", ERR_CONFLICT, "'old_str' occurs 2 times in 'f.py'" },
	{ "overlapping occurrences count", "aaa\n", "aa", "b", ERR_CONFLICT,
	  "'old_str' occurs 2 times in 'f.py'" },
	{ "empty old_str", calc, "", "x", ERR_USAGE, "cannot update 'f.py': 'old_str' is empty" },
	{ "no old_str", calc, NULL, "x", ERR_USAGE, "cannot update 'f.py': 'old_str' is empty" },
	/* the fallback: the LLM dedented the block and dropped trailing spaces */
	{ "fallback re-indents", calc,
	  "if b == 0:\n    raise ValueError(\"b is zero\")\nreturn a / b\n",
	  "if b == 0:\n    raise ZeroDivisionError(\"b is zero\")\n\nreturn a / b\n", 0,
	  "def div(a, b):\n    if b == 0:\n        raise ZeroDivisionError(\"b is zero\")\n\n"
	  "    return a / b\n\n\ndef mul(a, b):\n    return a * b\n" },
	/* indented deeper than the file, with blank lines around */
	{ "fallback from deeper indentation", calc,
	  "\n            return a * b\n\n", "\n            return a * b * 1\n\n", 0,
	  "def div(a, b):\n    if b == 0:\n        raise ValueError(\"b is zero\")   \n"
	  "    return a / b\n\n\ndef mul(a, b):\n    return a * b * 1\n" },
	/* new_str going out of the block's indentation keeps its relative dedent */
	{ "fallback dedent below the block", "class A:\n    def f(self):\n        pass\n",
	  "  def f(self):\n      pass\n", "  def f(self):\n      pass\n\ndef g():\n  return 1\n", 0,
	  "class A:\n    def f(self):\n        pass\n\n  def g():\n    return 1\n" },
	{ "fallback twice", "def a():\n    y()\ndef b():\n    y()\n", "y()  \n", "z()", ERR_CONFLICT,
	  "'old_str' occurs 2 times in 'f.py' (ignoring whitespace)" },
	{ "fallback keeps CRLF", "a\r\n  b\r\n  c\r\nd\r\n", "b\nc\n", "B\nC\nC2\n", 0,
	  "a\r\n  B\r\n  C\r\n  C2\r\nd\r\n" },
	{ "fallback at the end without newline", "a\n  b", "b  \n", "c\nd\n", 0, "a\n  c\n  d" },
	{ "whitespace-only old_str", "a\n\nb\n", "  \n", "x", ERR_CONFLICT, "'old_str' not found in 'f.py'" },
};

static void edit__update_cases(void **state)
{
	size_t i;
	(void)state;
	for (i = 0; i < sizeof(update_cases) / sizeof(update_cases[0]); i++) {
		const struct update_case *uc = &update_cases[i];
		struct file_edit e = { EDIT_UPDATE, "f.py", (char *)uc->old_str, (char *)uc->new_str,
				       NULL, NULL };
		struct buf out = BUF_INIT;
		int err = file_edit_compute(&out, &e, uc->old, strlen(uc->old));
		if (err != uc->code)
			fail_msg("%s: returned %d (%s)", uc->name, err, err ? error_last() : out.ptr);
		if (!err && strcmp(out.ptr, uc->want))
			fail_msg("%s: got\n%s\nwant\n%s", uc->name, out.ptr, uc->want);
		if (err && strcmp(error_last(), uc->want))
			fail_msg("%s: message '%s', want '%s'", uc->name, error_last(), uc->want);
		buf_release(&out);
	}
}

static void edit__rewrite_and_patch_compute(void **state)
{
	struct file_edit rw = { EDIT_REWRITE, "f.py", NULL, NULL, NULL, (char *)"new\n" };
	struct file_edit none = { EDIT_REWRITE, "f.py", NULL, NULL, NULL, NULL };
	static const char two_files[] =
		"--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-a\n+A\n"
		"--- a/f.py\n+++ b/f.py\n@@ -1 +1 @@\n-f\n+F\n";
	struct file_edit pa = { EDIT_PATCH, "f.py", NULL, NULL, (char *)two_files, NULL };
	struct file_edit pb = { EDIT_PATCH, "g.py", NULL, NULL, (char *)two_files, NULL };
	/* one file: applies whatever its headers say */
	struct file_edit pc = { EDIT_PATCH, "g.py", NULL, NULL,
				(char *)"--- a/wrong.py\n+++ b/wrong.py\n@@ -1 +1 @@\n-f\n+G\n", NULL };
	struct file_edit pd = { EDIT_PATCH, "g.py", NULL, NULL, (char *)"@@ -1 +1 @@\n-x\n+y\n", NULL };
	struct buf out = BUF_INIT;
	(void)state;

	assert_int_equal(file_edit_compute(&out, &rw, "old\n", 4), 0);
	assert_string_equal(out.ptr, "new\n");
	buf_reset(&out);
	assert_int_equal(file_edit_compute(&out, &none, "old\n", 4), ERR_USAGE);
	assert_string_equal(error_last(), "cannot rewrite 'f.py': no content given");

	assert_int_equal(file_edit_compute(&out, &pa, "f\n", 2), 0);
	assert_string_equal(out.ptr, "F\n");
	buf_reset(&out);
	assert_int_equal(file_edit_compute(&out, &pb, "f\n", 2), ERR_USAGE);
	assert_string_equal(error_last(), "cannot patch 'g.py': the patch has 2 files and none is 'g.py'");
	assert_int_equal(file_edit_compute(&out, &pc, "f\n", 2), 0);
	assert_string_equal(out.ptr, "G\n");
	buf_reset(&out);
	/* a conflict names the edit's file, not the diff's */
	assert_int_equal(file_edit_compute(&out, &pd, "f\n", 2), ERR_CONFLICT);
	assert_string_equal(error_last(), "hunk 1 (@@ -1 +1 @@) does not match 'g.py'");
	buf_release(&out);
}

static void edit__mode_names(void **state)
{
	enum edit_mode m;
	(void)state;
	assert_int_equal(edit_mode_parse(&m, "update"), 0);
	assert_int_equal(m, EDIT_UPDATE);
	assert_int_equal(edit_mode_parse(&m, "patch"), 0);
	assert_int_equal(m, EDIT_PATCH);
	assert_int_equal(edit_mode_parse(&m, "rewrite"), 0);
	assert_int_equal(m, EDIT_REWRITE);
	assert_int_equal(edit_mode_parse(&m, "delete"), 0);
	assert_int_equal(m, EDIT_DELETE);
	assert_string_equal(edit_mode_name(EDIT_PATCH), "patch");
	assert_int_equal(edit_mode_parse(&m, "replace"), ERR_USAGE);
	assert_string_equal(error_last(), "unknown edit mode 'replace' (update, patch, rewrite or delete)");
}

/* ---- the path guard ---- */

static const struct path_case {
	const char *rel;
	const char *want;      /* "=x": accepted, resolving to root/x; else the message's end */
} path_cases[] = {
	{ "../x", "the path contains '..'" },
	{ "/etc/passwd", "the path is absolute" },
	{ "a/../../x", "the path contains '..'" },
	{ "sub/../ok.py", "the path contains '..'" },
	{ ".git/config", "the path is inside .git" },
	{ "sub/.git/x", "the path is inside .git" },
	{ ".GIT/config", "the path is inside .git" },
	{ ".pytest-fixer/state.db", "the path is inside .pytest-fixer" },
	{ "./.pytest-fixer/reports/x.md", "the path is inside .pytest-fixer" },
	{ "", "the path is empty" },
	{ ".", "the path names the project root" },
	{ "sub/", "the path names a directory" },
	{ "sub\\ok.py", "the path contains a backslash (use '/')" },
	{ "x\ny", "the path contains a control character" },
	{ "to_etc/passwd", "'to_etc' is a symlink that leads outside the project" },
	{ "sub/escape/x.py", "'sub/escape' is a symlink that leads outside the project" },
	{ "link_file.py", "'link_file.py' is a symlink (edits write regular files only)" },
	{ "to_git/config", "the path leads inside .git" },
	{ "broken/x.py", "'broken' is a broken symlink" },
	{ "fifo", "'fifo' is not a regular file" },
	{ "sub", "'sub' is a directory" },
	{ "sub/.", "'sub' is a directory" },
	{ "sub/ok.py/x", "'sub/ok.py' is not a directory" },
	{ "sub/ok.py", "=sub/ok.py" },
	{ "./sub//ok.py", "=sub/ok.py" },
	{ "sub/new/deeper.py", "=sub/new/deeper.py" },
	{ "to_sub/ok.py", "=sub/ok.py" },
	{ "new.py", "=new.py" },
};

static void edit__path_guard(void **state)
{
	struct tree t;
	struct buf out = BUF_INIT, real_root = BUF_INIT, outside = BUF_INIT;
	char *p;
	size_t i;
	(void)state;

	tree_make(&t);
	tree_mkdir(&t, "sub");
	tree_mkdir(&t, ".git");
	tree_write(&t, "sub/ok.py", "ok\n", 0644);
	tree_write(&t, ".git/config", "[core]\n", 0644);
	buf_addf(&outside, "%s/outside", t.top.ptr);
	assert_int_equal(mkdir(outside.ptr, 0755), 0);
	tree_symlink(&t, "/etc", "to_etc");
	tree_symlink(&t, "../../outside", "sub/escape");
	tree_symlink(&t, "sub/ok.py", "link_file.py");
	tree_symlink(&t, "sub", "to_sub");
	tree_symlink(&t, ".git", "to_git");
	tree_symlink(&t, "nowhere", "broken");
	p = tree_path(&t, "fifo");
	assert_int_equal(mkfifo(p, 0644), 0);
	free(p);
	assert_int_equal(fs_realpath(&real_root, t.root.ptr), 0);

	for (i = 0; i < sizeof(path_cases) / sizeof(path_cases[0]); i++) {
		const struct path_case *pc = &path_cases[i];
		int err = edit_path_check(&out, t.root.ptr, pc->rel);
		if (pc->want[0] == '=') {
			struct buf want = BUF_INIT;
			buf_addf(&want, "%s/%s", real_root.ptr, pc->want + 1);
			if (err)
				fail_msg("'%s' refused: %s", pc->rel, error_last());
			assert_string_equal(out.ptr, want.ptr);
			buf_release(&want);
		} else {
			struct buf want = BUF_INIT;
			buf_addf(&want, "cannot edit '%s': %s", pc->rel, pc->want);
			if (err != ERR_USAGE)
				fail_msg("'%s' returned %d (%s)", pc->rel, err, out.ptr);
			assert_string_equal(error_last(), want.ptr);
			buf_release(&want);
		}
	}
	buf_release(&outside);
	buf_release(&real_root);
	buf_release(&out);
	tree_remove(&t);
}

/* ---- applying changes ---- */

static void edit__apply_writes_every_file(void **state)
{
	struct tree t;
	struct change c = CHANGE_INIT;
	struct strvec touched = STRVEC_INIT;
	(void)state;

	tree_make(&t);
	tree_mkdir(&t, "src");
	tree_symlink(&t, "src", "src_link");
	tree_write(&t, "src/a.py", "x = 1\ny = 2\n", 0755);
	tree_write(&t, "src/b.py", "def f():\n    return 1\n", 0644);
	tree_write(&t, "same.py", "same\n", 0644);
	add_update(&c, "src/a.py", "x = 1", "x = 10");
	add_patch(&c, "src/b.py", "@@ -1,2 +1,2 @@\n def f():\n-    return 1\n+    return 2\n");
	add_rewrite(&c, "src/new.py", "print('new')\n");
	/* the same file again, through a symlinked directory: applies on the running content */
	add_update(&c, "src_link/a.py", "y = 2", "y = 20");
	add_update(&c, "same.py", "same", "same");

	assert_int_equal(change_apply(&c, t.root.ptr, &touched), 0);
	assert_file(&t, "src/a.py", "x = 10\ny = 20\n");
	assert_file(&t, "src/b.py", "def f():\n    return 2\n");
	assert_file(&t, "src/new.py", "print('new')\n");
	assert_int_equal(touched.nr, 3);
	assert_string_equal(touched.v[0], "src/a.py");
	assert_string_equal(touched.v[1], "src/b.py");
	assert_string_equal(touched.v[2], "src/new.py");
	{
		struct stat st;
		char *p = tree_path(&t, "src/a.py");
		assert_int_equal(stat(p, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0755);
		free(p);
		p = tree_path(&t, "src/new.py");
		assert_int_equal(stat(p, &st), 0);
		assert_int_equal(st.st_mode & 07777, EDIT_NEW_FILE_MODE);
		free(p);
	}
	assert_no_leftovers(t.root.ptr);
	strvec_clear(&touched);
	change_release(&c);
	tree_remove(&t);
}

static void edit__apply_is_all_or_nothing(void **state)
{
	struct tree t;
	struct change c = CHANGE_INIT;
	(void)state;

	tree_make(&t);
	tree_write(&t, "a.py", "a = 1\n", 0644);
	tree_write(&t, "b.py", "b = 1\n", 0644);

	/* the second edit does not apply: the first file stays as it was */
	add_update(&c, "a.py", "a = 1", "a = 2");
	add_update(&c, "b.py", "nothing like this", "x");
	assert_int_equal(change_apply(&c, t.root.ptr, NULL), ERR_CONFLICT);
	assert_string_equal(error_last(), "'old_str' not found in 'b.py'");
	assert_file(&t, "a.py", "a = 1\n");
	change_release(&c);

	/* a bad path anywhere refuses the change */
	add_rewrite(&c, "a.py", "changed\n");
	add_rewrite(&c, ".git/hooks/pre-commit", "evil\n");
	assert_int_equal(change_apply(&c, t.root.ptr, NULL), ERR_USAGE);
	assert_file(&t, "a.py", "a = 1\n");
	change_release(&c);

	/* only a rewrite creates a file, and only in an existing directory */
	add_rewrite(&c, "a.py", "changed\n");
	add_update(&c, "missing.py", "x", "y");
	assert_int_equal(change_apply(&c, t.root.ptr, NULL), ERR_NOTFOUND);
	assert_string_equal(error_last(),
			    "cannot update 'missing.py': no such file (only a rewrite creates files)");
	change_release(&c);
	add_rewrite(&c, "a.py", "changed\n");
	add_rewrite(&c, "nodir/new.py", "x\n");
	assert_int_equal(change_apply(&c, t.root.ptr, NULL), ERR_NOTFOUND);
	assert_string_equal(error_last(), "cannot create 'nodir/new.py': its directory does not exist");
	assert_file(&t, "a.py", "a = 1\n");
	assert_no_file(&t, "nodir");
	change_release(&c);

	/* a patch that also changes a file the change leaves out: refused whole, never in part */
	{
		static const char two[] = "--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-a = 1\n+a = 2\n"
					  "--- a/b.py\n+++ b/b.py\n@@ -1 +1 @@\n-b = 1\n+b = 2\n";
		struct file_edit *e = change_add(&c, EDIT_PATCH, "a.py");
		e->patch = xstrdup(two);
		assert_int_equal(change_apply(&c, t.root.ptr, NULL), ERR_USAGE);
		assert_string_equal(error_last(), "cannot patch 'a.py': the patch also changes 'b.py', "
				    "which the change does not edit (the change is refused whole)");
		assert_file(&t, "a.py", "a = 1\n");
		assert_file(&t, "b.py", "b = 1\n");
		/* with an edit of b.py too, both parts apply */
		e = change_add(&c, EDIT_PATCH, "b.py");
		e->patch = xstrdup(two);
		assert_int_equal(change_apply(&c, t.root.ptr, NULL), 0);
		assert_file(&t, "a.py", "a = 2\n");
		assert_file(&t, "b.py", "b = 2\n");
		change_release(&c);
	}

	/* an empty change is a mistake */
	assert_int_equal(change_apply(&c, t.root.ptr, NULL), ERR_USAGE);
	tree_remove(&t);
}

/*
 * A write that fails half-way: the files already written are put back. The
 * failure is RLIMIT_FSIZE (root is bound by it too, unlike permissions): the
 * first file's new content fits under the limit, the second's does not.
 */
/* a line of size - 1 bytes, newline included */
static void big_line(char *buf, size_t size)
{
	memset(buf, 'x', size - 2);
	buf[size - 2] = '\n';
	buf[size - 1] = '\0';
}

/* change_apply() where a file may not grow past 64 bytes */
static int apply_with_small_files(struct change *c, const struct tree *t, struct strvec *touched)
{
	struct rlimit saved, small;
	void (*old_handler)(int);
	int err;

	assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
	small = saved;
	small.rlim_cur = 64;
	old_handler = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	err = change_apply(c, t->root.ptr, touched);
	setrlimit(RLIMIT_FSIZE, &saved);
	signal(SIGXFSZ, old_handler);
	return err;
}

static void edit__apply_restores_when_a_write_fails(void **state)
{
	struct tree t;
	struct change c = CHANGE_INIT;
	struct strvec touched = STRVEC_INIT;
	char big[200];
	(void)state;

	tree_make(&t);
	tree_write(&t, "a.py", "a = 1\n", 0644);
	tree_write(&t, "new_dir_file.py", "b\n", 0644);
	big_line(big, sizeof(big));
	add_update(&c, "a.py", "a = 1", "a = 2");
	add_rewrite(&c, "created.py", "new\n");
	add_rewrite(&c, "new_dir_file.py", big);

	assert_int_equal(apply_with_small_files(&c, &t, &touched), ERR_GENERIC);
	assert_non_null(strstr(error_last(), "File too large (nothing was changed)"));
	assert_file(&t, "a.py", "a = 1\n");
	assert_file(&t, "new_dir_file.py", "b\n");
	assert_no_file(&t, "created.py");
	assert_int_equal(touched.nr, 0);
	assert_no_leftovers(t.root.ptr);
	change_release(&c);
	tree_remove(&t);
}

/* a delete removes the file, is put back when a later write fails, and needs the file */
static void edit__a_delete_removes_the_file(void **state)
{
	struct tree t;
	struct change c = CHANGE_INIT, back;
	struct strvec touched = STRVEC_INIT;
	json_t *j;
	size_t size = 0;
	char big[200];
	(void)state;

	tree_make(&t);
	tree_write(&t, "old.py", "a = 1\nb = 2\n", 0644);
	change_add(&c, EDIT_DELETE, "old.py");
	assert_int_equal(change_size(&size, &c, t.root.ptr), 0);
	assert_int_equal(size, 2);

	/* all or nothing: a write that fails after it brings the file back */
	big_line(big, sizeof(big));
	add_rewrite(&c, "zz_big.py", big);
	assert_int_equal(apply_with_small_files(&c, &t, &touched), ERR_GENERIC);
	assert_file(&t, "old.py", "a = 1\nb = 2\n");
	assert_no_file(&t, "zz_big.py");
	change_release(&c);

	change_add(&c, EDIT_DELETE, "old.py");
	j = change_to_json(&c);
	assert_int_equal(change_from_json(&back, j), 0);
	assert_int_equal(back.nr, 1);
	assert_int_equal(back.edits[0].mode, EDIT_DELETE);
	json_decref(j);
	change_release(&back);
	assert_int_equal(change_apply(&c, t.root.ptr, &touched), 0);
	assert_no_file(&t, "old.py");
	assert_int_equal(touched.nr, 1);
	assert_string_equal(touched.v[0], "old.py");
	/* it must exist */
	assert_int_equal(change_apply(&c, t.root.ptr, NULL), ERR_NOTFOUND);
	assert_non_null(strstr(error_last(), "cannot delete 'old.py': no such file"));
	assert_no_leftovers(t.root.ptr);
	strvec_clear(&touched);
	change_release(&c);
	tree_remove(&t);
}

/*
 * A file nobody may write is refused before anything is written. The mode
 * bits decide, since root passes access(W_OK) on a 0444 file.
 */
static void edit__apply_refuses_read_only_files(void **state)
{
	struct tree t;
	struct change c = CHANGE_INIT;
	(void)state;

	tree_make(&t);
	tree_write(&t, "a.py", "a = 1\n", 0644);
	tree_write(&t, "ro.py", "ro = 1\n", 0444);
	add_update(&c, "a.py", "a = 1", "a = 2");
	add_update(&c, "ro.py", "ro = 1", "ro = 2");
	assert_int_equal(change_apply(&c, t.root.ptr, NULL), ERR_USAGE);
	assert_string_equal(error_last(), "cannot write 'ro.py': permission denied");
	assert_file(&t, "a.py", "a = 1\n");
	assert_file(&t, "ro.py", "ro = 1\n");
	change_release(&c);
	tree_remove(&t);
}

/* a directory we may not write into: only testable when permissions apply to us */
static void edit__apply_refuses_read_only_directories(void **state)
{
	struct tree t;
	struct change c = CHANGE_INIT;
	char *sub;
	(void)state;

	if (geteuid() == 0) {
		fprintf(stderr, "note: running as root, where directory permissions are not enforced\n");
		skip();
	}
	tree_make(&t);
	tree_mkdir(&t, "sub");
	tree_write(&t, "a.py", "a = 1\n", 0644);
	tree_write(&t, "sub/b.py", "b = 1\n", 0644);
	sub = tree_path(&t, "sub");
	assert_int_equal(chmod(sub, 0555), 0);
	add_update(&c, "a.py", "a = 1", "a = 2");
	add_update(&c, "sub/b.py", "b = 1", "b = 2");
	assert_int_equal(change_apply(&c, t.root.ptr, NULL), ERR_USAGE);
	assert_string_equal(error_last(),
			    "cannot write 'sub/b.py': permission denied (its directory is not writable)");
	assert_file(&t, "a.py", "a = 1\n");
	chmod(sub, 0755);
	free(sub);
	change_release(&c);
	tree_remove(&t);
}

static void edit__preview_and_size(void **state)
{
	struct tree t;
	struct change c = CHANGE_INIT;
	struct change_preview p;
	size_t size;
	(void)state;

	assert_int_equal(edit_count_changed_lines("a\nb\nc\n", 6, "a\nb\nc\n", 6), 0);
	assert_int_equal(edit_count_changed_lines("a\nb\nc\n", 6, "a\nB\nc\n", 6), 2);
	assert_int_equal(edit_count_changed_lines("a\nb\nc\n", 6, "a\nb\nx\nc\n", 8), 1);
	assert_int_equal(edit_count_changed_lines("", 0, "a\nb\n", 4), 2);
	assert_int_equal(edit_count_changed_lines("a\nb", 3, "a\nb\n", 4), 2);
	assert_int_equal(edit_count_changed_lines("1\n2\n3\n4\n5\n", 10, "0\n1\n2\n4\n5\n6\n", 12), 3);

	tree_make(&t);
	tree_write(&t, "a.py", "1\n2\n3\n", 0644);
	add_update(&c, "a.py", "2", "two");
	add_rewrite(&c, "b.py", "x\ny\n");
	assert_int_equal(change_preview(&p, &c, t.root.ptr), 0);
	assert_int_equal(p.nr, 2);
	assert_string_equal(p.files[0].path, "a.py");
	assert_string_equal(p.files[0].old.ptr, "1\n2\n3\n");
	assert_string_equal(p.files[0].new.ptr, "1\ntwo\n3\n");
	assert_false(p.files[1].existed);
	change_preview_release(&p);
	assert_int_equal(change_size(&size, &c, t.root.ptr), 0);
	assert_int_equal(size, 4);
	assert_no_file(&t, "b.py");
	change_release(&c);
	tree_remove(&t);
}

/* ---- storage and other sources ---- */

static void assert_same_change(const struct change *a, const struct change *b)
{
	size_t i;
	assert_int_equal(a->nr, b->nr);
	if (a->description || b->description)
		assert_string_equal(a->description, b->description);
	for (i = 0; i < a->nr; i++) {
		const struct file_edit *x = &a->edits[i], *y = &b->edits[i];
		assert_int_equal(x->mode, y->mode);
		assert_string_equal(x->path, y->path);
#define SAME(f) do { if (x->f || y->f) assert_string_equal(x->f, y->f); } while (0)
		SAME(old_str);
		SAME(new_str);
		SAME(patch);
		SAME(content);
#undef SAME
	}
}

static void edit__json_round_trip(void **state)
{
	struct change c = CHANGE_INIT, back, copy;
	json_t *j, *parsed;
	json_error_t jerr;
	char *text;
	(void)state;

	c.description = strdup("fix the tax rate \xe2\x82\xac");
	add_update(&c, "src/a.py", "x = 1\n", "x = \"2\"\n");
	add_patch(&c, "src/b.py", "@@ -1 +1 @@\n-a\n+b\n");
	add_rewrite(&c, "src/c.py", "tab\there\r\nend");

	j = change_to_json(&c);
	text = json_dumps(j, JSON_COMPACT);
	assert_non_null(text);
	parsed = json_loads(text, 0, &jerr);
	assert_non_null(parsed);
	assert_int_equal(change_from_json(&back, parsed), 0);
	assert_same_change(&c, &back);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(json_object_get(j, "edits"), 0), "mode")), "update");

	change_copy(&copy, &c);
	assert_same_change(&c, &copy);
	change_release(&copy);
	change_release(&back);
	json_decref(parsed);
	json_decref(j);
	free(text);
	change_release(&c);

	/* invalid UTF-8 becomes U+FFFD, so the JSON stays valid */
	add_rewrite(&c, "bad\xff.py", "caf\xe9\n");
	j = change_to_json(&c);
	text = json_dumps(j, JSON_COMPACT);
	assert_non_null(text);
	assert_non_null(strstr(text, "bad\xef\xbf\xbd.py"));
	assert_non_null(strstr(text, "caf\xef\xbf\xbd\\n"));
	free(text);
	json_decref(j);
	change_release(&c);
}

static void edit__json_errors(void **state)
{
	static const struct {
		const char *json;
		const char *message;
	} bad[] = {
		{ "[]", "cannot read change: not a JSON object" },
		{ "{}", "cannot read change: 'edits' is missing or not an array" },
		{ "{\"edits\":[{\"mode\":\"replace\",\"path\":\"a\"}]}", "cannot read change: edit 1: bad 'mode'" },
		{ "{\"edits\":[{\"mode\":\"update\",\"path\":\"a\",\"new_str\":\"x\"}]}",
		  "cannot read change: edit 1: 'old_str' is missing" },
		{ "{\"edits\":[{\"mode\":\"patch\",\"path\":\"a\",\"patch\":3}]}",
		  "cannot read change: edit 1: 'patch' is not a string" },
		{ "{\"edits\":[{\"mode\":\"rewrite\",\"content\":\"x\"}]}",
		  "cannot read change: edit 1: 'path' is missing" },
		{ "{\"edits\":[{\"mode\":\"rewrite\",\"path\":\"a\",\"content\":\"a\\u0000b\"}]}",
		  "cannot read change: edit 1: 'content' contains a NUL byte" },
		{ "{\"description\":1,\"edits\":[]}", "cannot read change: 'description' is not a string" },
	};
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_error_t jerr;
		json_t *j = json_loads(bad[i].json, JSON_ALLOW_NUL, &jerr);
		struct change c;
		assert_non_null(j);
		assert_int_equal(change_from_json(&c, j), ERR_PARSE);
		assert_string_equal(error_last(), bad[i].message);
		assert_int_equal(c.nr, 0);
		json_decref(j);
	}
	/* seed 003 calls a rewrite's content "new_content" */
	{
		json_t *j = json_loads("{\"edits\":[{\"mode\":\"rewrite\",\"path\":\"a\",\"new_content\":\"x\"}]}",
				       0, NULL);
		struct change c;
		assert_int_equal(change_from_json(&c, j), 0);
		assert_string_equal(c.edits[0].content, "x");
		assert_null(c.description);
		change_release(&c);
		json_decref(j);
	}
}

static void edit__change_from_patch(void **state)
{
	static const char diff[] =
		"Here you go:\n"
		"```diff\n"
		"diff --git a/src/a.py b/src/a.py\n"
		"--- a/src/a.py\n"
		"+++ b/src/a.py\n"
		"@@ -1,2 +1,2 @@\n"
		" def f():\n"
		"-    return 1\n"
		"+    return 2\n"
		"diff --git a/src/new.py b/src/new.py\n"
		"new file mode 100644\n"
		"--- /dev/null\n"
		"+++ b/src/new.py\n"
		"@@ -0,0 +1,2 @@\n"
		"+def g():\n"
		"+    return 3\n"
		"--- a/README\n"
		"+++ b/README\n"
		"@@ -1 +1 @@\n"
		"-old\n"
		"+new\n"
		"```\n";
	static const char deleting[] = "--- a/x.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n";
	static const char renaming[] =
		"diff --git a/x.py b/y.py\nrename from x.py\nrename to y.py\n--- a/x.py\n+++ b/y.py\n"
		"@@ -1 +1 @@\n-x\n+y\n";
	static const char nameless[] = "@@ -1 +1 @@\n-x\n+y\n";
	struct change c;
	struct tree t;
	(void)state;

	assert_int_equal(change_from_patch(&c, diff, strlen(diff)), 0);
	assert_int_equal(c.nr, 3);
	assert_int_equal(c.edits[0].mode, EDIT_PATCH);
	assert_string_equal(c.edits[0].path, "src/a.py");
	assert_int_equal(c.edits[1].mode, EDIT_REWRITE);
	assert_string_equal(c.edits[1].path, "src/new.py");
	assert_string_equal(c.edits[1].content, "def g():\n    return 3\n");
	assert_int_equal(c.edits[2].mode, EDIT_PATCH);
	assert_string_equal(c.edits[2].path, "README");
	/* each patch edit carries its own file's part only */
	assert_null(strstr(c.edits[0].patch, "README"));
	assert_null(strstr(c.edits[2].patch, "```"));

	tree_make(&t);
	tree_mkdir(&t, "src");
	tree_write(&t, "src/a.py", "def f():\n    return 1\n", 0644);
	tree_write(&t, "README", "old\n", 0644);
	assert_int_equal(change_apply(&c, t.root.ptr, NULL), 0);
	assert_file(&t, "src/a.py", "def f():\n    return 2\n");
	assert_file(&t, "src/new.py", "def g():\n    return 3\n");
	assert_file(&t, "README", "new\n");
	change_release(&c);
	tree_remove(&t);

	assert_int_equal(change_from_patch(&c, deleting, strlen(deleting)), ERR_USAGE);
	assert_string_equal(error_last(),
			    "cannot use the patch: it deletes 'x.py', and edits do not delete files");
	assert_int_equal(change_from_patch(&c, renaming, strlen(renaming)), ERR_USAGE);
	assert_string_equal(error_last(), "cannot use the patch: it renames 'x.py' to 'y.py', and edits do not rename files");
	assert_int_equal(change_from_patch(&c, nameless, strlen(nameless)), ERR_USAGE);
	assert_string_equal(error_last(), "cannot use the patch: file 1 has no name");
	assert_int_equal(change_from_patch(&c, "nothing", 7), ERR_PARSE);
	assert_int_equal(c.nr, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(edit__update_cases),
		cmocka_unit_test(edit__rewrite_and_patch_compute),
		cmocka_unit_test(edit__mode_names),
		cmocka_unit_test(edit__path_guard),
		cmocka_unit_test(edit__apply_writes_every_file),
		cmocka_unit_test(edit__apply_is_all_or_nothing),
		cmocka_unit_test(edit__apply_restores_when_a_write_fails),
		cmocka_unit_test(edit__a_delete_removes_the_file),
		cmocka_unit_test(edit__apply_refuses_read_only_files),
		cmocka_unit_test(edit__apply_refuses_read_only_directories),
		cmocka_unit_test(edit__preview_and_size),
		cmocka_unit_test(edit__json_round_trip),
		cmocka_unit_test(edit__json_errors),
		cmocka_unit_test(edit__change_from_patch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
