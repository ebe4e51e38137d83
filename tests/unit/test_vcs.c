/*
 * The libgit2 wrapper (src/vcs/vcs.c), checked against the real git
 * command line: repositories are built with `git`, and what the wrapper
 * did is read back with `git`.
 */
#define _GNU_SOURCE

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/proc.h"
#include "util/strvec.h"
#include "util/xalloc.h"
#include "vcs/vcs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define GIT_TIMEOUT_MS 30000

/* where HOME points for the whole run, so no user's git config leaks in */
static struct buf home = BUF_INIT;

struct fixture {
	struct buf root; /* private temporary directory */
	struct buf repo; /* root/repo, one commit on main */
	char base[VCS_OID_HEXSZ + 1];
};

static const char calc_py[] =
	"def add(a, b):\n"
	"    return a + b\n"
	"\n"
	"\n"
	"def divide(a, b):\n"
	"    return a / b\n";
static const char test_py[] = "def test():\n    pass\n";
static const char data_bin[] = "\x00\x01\x02\xff binary \x00 data\n";
#define DATA_BIN_LEN (sizeof(data_bin) - 1)

/* ---- helpers ---- */

/* run git with the NULL-terminated arguments in `cwd`; its exit code; stdout into `out` */
static int git_v(struct buf *out, const char *cwd, const char *stdin_data, size_t stdin_len,
		 va_list ap)
{
	struct proc_options opts = PROC_OPTIONS_INIT;
	struct proc_result res = PROC_RESULT_INIT;
	struct strvec argv = STRVEC_INIT;
	const char *arg;
	int code;

	strvec_push(&argv, "git");
	while ((arg = va_arg(ap, const char *)))
		strvec_push(&argv, arg);
	opts.argv = argv.v;
	opts.cwd = cwd;
	opts.timeout_ms = GIT_TIMEOUT_MS;
	opts.stdin_data = stdin_data;
	opts.stdin_len = stdin_len;
	if (proc_run(&res, &opts) < 0)
		fail_msg("cannot run git: %s", error_last());
	code = res.signal || res.timed_out ? -1 : res.exit_code;
	if (out) {
		buf_reset(out);
		buf_add(out, res.out.ptr, res.out.len);
	}
	if (code && !out)
		print_message("git %s: %s", argv.v[1], res.err.ptr);
	proc_result_release(&res);
	strvec_clear(&argv);
	return code;
}

static int git_rc(struct buf *out, const char *cwd, ...)
{
	va_list ap;
	int code;
	va_start(ap, cwd);
	code = git_v(out, cwd, NULL, 0, ap);
	va_end(ap);
	return code;
}

static int git_stdin(const char *cwd, const char *data, size_t len, ...)
{
	va_list ap;
	int code;
	va_start(ap, len);
	code = git_v(NULL, cwd, data, len, ap);
	va_end(ap);
	return code;
}

/* git must succeed; its stdout, right-trimmed, into `out` (may be NULL) */
static void git_ok(struct buf *out, const char *cwd, ...)
{
	struct buf got = BUF_INIT;
	va_list ap;
	int code;

	va_start(ap, cwd);
	code = git_v(&got, cwd, NULL, 0, ap);
	va_end(ap);
	assert_int_equal(code, 0);
	if (out) {
		buf_rtrim(&got);
		buf_reset(out);
		buf_add(out, got.ptr, got.len);
	}
	buf_release(&got);
}

static void write_file(const char *dir, const char *rel, const char *data, size_t len, mode_t mode)
{
	struct buf path = BUF_INIT;
	char *slash;

	buf_addf(&path, "%s/%s", dir, rel);
	slash = strrchr(path.ptr, '/');
	*slash = '\0';
	assert_int_equal(fs_mkdir_p(path.ptr, 0777), 0);
	*slash = '/';
	assert_int_equal(fs_write_atomic(path.ptr, data, len, mode), 0);
	buf_release(&path);
}

static void write_text(const char *dir, const char *rel, const char *text)
{
	write_file(dir, rel, text, strlen(text), 0644);
}

static void read_text(struct buf *out, const char *dir, const char *rel)
{
	struct buf path = BUF_INIT;
	buf_addf(&path, "%s/%s", dir, rel);
	buf_reset(out);
	assert_int_equal(fs_read_file(out, path.ptr, 0), 0);
	buf_release(&path);
}

static int exists(const char *dir, const char *rel)
{
	struct buf path = BUF_INIT;
	struct stat st;
	int ok;
	buf_addf(&path, "%s/%s", dir, rel);
	ok = !lstat(path.ptr, &st);
	buf_release(&path);
	return ok;
}

static mode_t file_mode(const char *dir, const char *rel)
{
	struct buf path = BUF_INIT;
	struct stat st;
	buf_addf(&path, "%s/%s", dir, rel);
	assert_int_equal(lstat(path.ptr, &st), 0);
	buf_release(&path);
	return st.st_mode;
}

static void path_in(struct buf *out, const char *dir, const char *rel)
{
	buf_reset(out);
	buf_addf(out, "%s/%s", dir, rel);
}

/*
 * Everything of the repository a session must not touch: HEAD, every
 * ref, the status, and the index file byte for byte.
 */
static void snapshot(struct buf *out, const char *repo)
{
	struct buf part = BUF_INIT;

	buf_reset(out);
	git_ok(&part, repo, "rev-parse", "HEAD", NULL);
	buf_addf(out, "HEAD %s\n", part.ptr);
	git_ok(&part, repo, "symbolic-ref", "-q", "HEAD", NULL);
	buf_addf(out, "on %s\n", part.ptr);
	git_ok(&part, repo, "for-each-ref", "--format=%(refname) %(objectname)", NULL);
	buf_addf(out, "refs\n%s\n", part.ptr);
	/* --no-optional-locks: git status must not refresh the index itself */
	git_ok(&part, repo, "--no-optional-locks", "status", "--porcelain", "--untracked-files=all",
	       NULL);
	buf_addf(out, "status\n%s\n", part.ptr);
	buf_reset(&part);
	read_text(&part, repo, ".git/index");
	buf_addf(out, "index %zu bytes\n", part.len);
	buf_add(out, part.ptr, part.len);
	buf_release(&part);
}

static void commit_all(const char *repo, const char *message)
{
	git_ok(NULL, repo, "add", "-A", NULL);
	git_ok(NULL, repo, "commit", "-q", "-m", message, NULL);
}

static void new_dir(struct buf *out, const struct fixture *f, const char *name)
{
	path_in(out, f->root.ptr, name);
}

static struct vcs_repo *open_ok(const char *path)
{
	struct vcs_repo *repo = NULL;
	if (vcs_open(&repo, path) < 0)
		fail_msg("vcs_open('%s'): %s", path, error_last());
	return repo;
}

#define assert_ok(expr)                                                      \
	do {                                                                 \
		int assert_ok_rc_ = (expr);                                  \
		if (assert_ok_rc_ != 0)                                      \
			fail_msg("%s: %d: %s", #expr, assert_ok_rc_, error_last()); \
	} while (0)

/* ---- fixture: a repository with one commit ---- */

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct buf head = BUF_INIT;

	buf_init(&f->root, 0);
	buf_init(&f->repo, 0);
	assert_int_equal(fs_mkdtemp(&f->root, "pf-test-vcs"), 0);
	/* compare paths as vcs_workdir() gives them: symlink-free */
	assert_int_equal(fs_realpath(&f->root, f->root.ptr), 0);
	path_in(&f->repo, f->root.ptr, "repo");
	assert_int_equal(fs_mkdir_p(f->repo.ptr, 0777), 0);
	git_ok(NULL, f->repo.ptr, "init", "-q", "-b", "main", NULL);
	git_ok(NULL, f->repo.ptr, "config", "user.name", "Test User", NULL);
	git_ok(NULL, f->repo.ptr, "config", "user.email", "test@example.com", NULL);
	write_text(f->repo.ptr, "README.md", "hello\n");
	write_text(f->repo.ptr, "src/calc.py", calc_py);
	write_text(f->repo.ptr, "bin/run.sh", "#!/bin/sh\necho run\n");
	{
		struct buf p = BUF_INIT;
		path_in(&p, f->repo.ptr, "bin/run.sh");
		assert_int_equal(chmod(p.ptr, 0755), 0);
		path_in(&p, f->repo.ptr, "link");
		assert_int_equal(symlink("src/calc.py", p.ptr), 0);
		buf_release(&p);
	}
	write_file(f->repo.ptr, "data.bin", data_bin, DATA_BIN_LEN, 0644);
	commit_all(f->repo.ptr, "base");
	git_ok(&head, f->repo.ptr, "rev-parse", "HEAD", NULL);
	assert_int_equal(head.len, VCS_OID_HEXSZ);
	memcpy(f->base, head.ptr, VCS_OID_HEXSZ + 1);
	buf_release(&head);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	fs_remove_tree(f->root.ptr);
	buf_release(&f->root);
	buf_release(&f->repo);
	free(f);
	return 0;
}

/* ---- opening and HEAD ---- */

static void vcs__open_finds_the_repository_from_a_subdirectory(void **state)
{
	struct fixture *f = *state;
	struct buf sub = BUF_INIT, want = BUF_INIT, branch = BUF_INIT;
	char head[VCS_OID_HEXSZ + 1];
	struct vcs_repo *repo;

	path_in(&sub, f->repo.ptr, "src");
	repo = open_ok(sub.ptr);
	assert_string_equal(vcs_workdir(repo), f->repo.ptr);
	path_in(&want, f->repo.ptr, ".git");
	assert_string_equal(vcs_gitdir(repo), want.ptr);
	assert_ok(vcs_head_commit(head, repo));
	assert_string_equal(head, f->base);
	assert_ok(vcs_head_branch(&branch, repo));
	assert_string_equal(branch.ptr, "main");
	vcs_free(repo);
	vcs_free(NULL);
	buf_release(&sub);
	buf_release(&want);
	buf_release(&branch);
}

static void vcs__open_outside_a_repository_is_notfound(void **state)
{
	struct fixture *f = *state;
	struct buf plain = BUF_INIT;
	struct vcs_repo *repo = NULL;

	new_dir(&plain, f, "plain");
	assert_int_equal(fs_mkdir_p(plain.ptr, 0777), 0);
	assert_int_equal(vcs_open(&repo, plain.ptr), ERR_NOTFOUND);
	assert_null(repo);
	assert_non_null(strstr(error_last(), "is not in a git repository"));
	assert_non_null(strstr(error_last(), plain.ptr));

	new_dir(&plain, f, "missing");
	assert_int_equal(vcs_open(&repo, plain.ptr), ERR_NOTFOUND);
	assert_null(repo);
	buf_release(&plain);
}

static void vcs__unborn_head_is_notfound(void **state)
{
	struct fixture *f = *state;
	struct buf dir = BUF_INIT, branch = BUF_INIT;
	char head[VCS_OID_HEXSZ + 1];
	struct vcs_repo *repo;
	int dirty = -1;

	new_dir(&dir, f, "empty");
	assert_int_equal(fs_mkdir_p(dir.ptr, 0777), 0);
	git_ok(NULL, dir.ptr, "init", "-q", "-b", "trunk", NULL);
	repo = open_ok(dir.ptr);
	assert_int_equal(vcs_head_commit(head, repo), ERR_NOTFOUND);
	assert_non_null(strstr(error_last(), "no commit yet"));
	assert_ok(vcs_head_branch(&branch, repo));
	assert_string_equal(branch.ptr, "trunk");
	assert_ok(vcs_is_dirty(&dirty, repo, NULL));
	assert_int_equal(dirty, 0);
	/* creating the unborn branch would move HEAD onto a commit */
	assert_int_equal(vcs_branch_set(repo, "trunk", f->base, 0), ERR_CONFLICT);
	assert_non_null(strstr(error_last(), "current branch"));
	vcs_free(repo);
	buf_release(&dir);
	buf_release(&branch);
}

static void vcs__detached_head_has_no_branch(void **state)
{
	struct fixture *f = *state;
	struct buf branch = BUF_INIT;
	char head[VCS_OID_HEXSZ + 1];
	struct vcs_repo *repo;

	git_ok(NULL, f->repo.ptr, "checkout", "-q", "--detach", NULL);
	repo = open_ok(f->repo.ptr);
	buf_adds(&branch, "stale");
	assert_ok(vcs_head_branch(&branch, repo));
	assert_string_equal(branch.ptr, "");
	assert_ok(vcs_head_commit(head, repo));
	assert_string_equal(head, f->base);
	/* no branch is current, so main may move */
	assert_ok(vcs_branch_set(repo, "main", f->base, 1));
	vcs_free(repo);
	buf_release(&branch);
}

/* ---- checkout_to ---- */

static void vcs__checkout_to_writes_the_tree_and_leaves_the_repo_alone(void **state)
{
	struct fixture *f = *state;
	struct buf before = BUF_INIT, after = BUF_INIT, dir = BUF_INIT, text = BUF_INIT;
	struct buf second = BUF_INIT;
	char target[64];
	struct vcs_repo *repo;
	ssize_t n;
	int err;

	/* a second commit, so HEAD is not what gets checked out */
	write_text(f->repo.ptr, "README.md", "hello again\n");
	write_text(f->repo.ptr, "only-in-second.txt", "2\n");
	commit_all(f->repo.ptr, "second");
	git_ok(&second, f->repo.ptr, "rev-parse", "HEAD", NULL);
	/* and a user in the middle of work: unstaged, staged and untracked changes */
	write_text(f->repo.ptr, "README.md", "user's unstaged edit\n");
	write_text(f->repo.ptr, "src/calc.py", "# staged\n");
	git_ok(NULL, f->repo.ptr, "add", "src/calc.py", NULL);
	write_text(f->repo.ptr, "notes.txt", "untracked\n");

	repo = open_ok(f->repo.ptr);
	snapshot(&before, f->repo.ptr);
	new_dir(&dir, f, "attempts/1");
	assert_ok(vcs_checkout_to(repo, f->base, dir.ptr));
	snapshot(&after, f->repo.ptr);
	assert_string_equal(before.ptr, after.ptr);

	read_text(&text, dir.ptr, "README.md");
	assert_string_equal(text.ptr, "hello\n");
	read_text(&text, dir.ptr, "src/calc.py");
	assert_string_equal(text.ptr, calc_py);
	read_text(&text, dir.ptr, "data.bin");
	assert_int_equal(text.len, DATA_BIN_LEN);
	assert_memory_equal(text.ptr, data_bin, DATA_BIN_LEN);
	assert_true(file_mode(dir.ptr, "bin/run.sh") & S_IXUSR);
	assert_false(file_mode(dir.ptr, "README.md") & S_IXUSR);
	assert_true(S_ISLNK(file_mode(dir.ptr, "link")));
	path_in(&text, dir.ptr, "link");
	n = readlink(text.ptr, target, sizeof(target) - 1);
	assert_int_equal(n, strlen("src/calc.py"));
	target[n] = '\0';
	assert_string_equal(target, "src/calc.py");
	assert_false(exists(dir.ptr, "only-in-second.txt"));
	assert_false(exists(dir.ptr, "notes.txt"));
	assert_false(exists(dir.ptr, ".git"));

	/* HEAD's own tree too, into an existing empty directory */
	new_dir(&dir, f, "attempts/2");
	assert_int_equal(fs_mkdir_p(dir.ptr, 0700), 0);
	assert_ok(vcs_checkout_to(repo, "HEAD", dir.ptr));
	read_text(&text, dir.ptr, "README.md");
	assert_string_equal(text.ptr, "hello again\n");
	read_text(&text, dir.ptr, "src/calc.py");
	assert_string_equal(text.ptr, calc_py);
	assert_true(exists(dir.ptr, "only-in-second.txt"));
	snapshot(&after, f->repo.ptr);
	assert_string_equal(before.ptr, after.ptr);

	/* a relative directory inside the work tree, where a session keeps its attempts */
	{
		char cwd[4096];
		assert_non_null(getcwd(cwd, sizeof(cwd)));
		assert_int_equal(chdir(f->repo.ptr), 0);
		err = vcs_checkout_to(repo, f->base, ".pytest-fixer/attempts/3");
		assert_int_equal(chdir(cwd), 0);
		assert_ok(err);
	}
	path_in(&dir, f->repo.ptr, ".pytest-fixer/attempts/3");
	read_text(&text, dir.ptr, "README.md");
	assert_string_equal(text.ptr, "hello\n");
	assert_false(exists(dir.ptr, ".pytest-fixer"));

	vcs_free(repo);
	buf_release(&before);
	buf_release(&after);
	buf_release(&dir);
	buf_release(&text);
	buf_release(&second);
}

static void vcs__checkout_to_refuses_a_non_empty_directory(void **state)
{
	struct fixture *f = *state;
	struct buf dir = BUF_INIT, text = BUF_INIT;
	struct vcs_repo *repo = open_ok(f->repo.ptr);

	new_dir(&dir, f, "busy");
	write_text(dir.ptr, "README.md", "mine\n");
	assert_int_equal(vcs_checkout_to(repo, f->base, dir.ptr), ERR_CONFLICT);
	assert_non_null(strstr(error_last(), "not empty"));
	read_text(&text, dir.ptr, "README.md");
	assert_string_equal(text.ptr, "mine\n");

	/* an unknown commit leaves no directory behind */
	new_dir(&dir, f, "never");
	assert_int_equal(vcs_checkout_to(repo, "0123456789012345678901234567890123456789",
					 dir.ptr), ERR_NOTFOUND);
	assert_false(fs_is_dir(dir.ptr));
	vcs_free(repo);
	buf_release(&dir);
	buf_release(&text);
}

/* ---- commit_files ---- */

static void vcs__commit_files_makes_a_commit_without_moving_refs(void **state)
{
	struct fixture *f = *state;
	struct buf before = BUF_INIT, after = BUF_INIT, dir = BUF_INIT, text = BUF_INIT;
	struct buf p = BUF_INIT;
	struct strvec paths = STRVEC_INIT;
	char commit[VCS_OID_HEXSZ + 1];
	struct vcs_repo *repo = open_ok(f->repo.ptr);

	new_dir(&dir, f, "attempt");
	assert_ok(vcs_checkout_to(repo, f->base, dir.ptr));
	write_text(dir.ptr, "src/calc.py", "def divide(a, b):\n    return a / b if b else 0\n");
	path_in(&p, dir.ptr, "README.md");
	assert_int_equal(unlink(p.ptr), 0);
	write_file(dir.ptr, "tests/new/test_new.py", test_py, strlen(test_py), 0755);
	path_in(&p, dir.ptr, "link");
	assert_int_equal(unlink(p.ptr), 0);
	assert_int_equal(symlink("README.md", p.ptr), 0);
	path_in(&p, dir.ptr, "bin/run.sh");
	assert_int_equal(chmod(p.ptr, 0644), 0);
	/* changed, but not asked for: stays as in the parent */
	write_text(dir.ptr, "data.bin", "not listed\n");
	strvec_push(&paths, "src/calc.py");
	strvec_push(&paths, "README.md");
	strvec_push(&paths, "tests/new/test_new.py");
	strvec_push(&paths, "link");
	strvec_push(&paths, "bin/run.sh");
	strvec_push(&paths, "src/calc.py");         /* twice is once */
	strvec_push(&paths, "never/existed.txt");   /* absent on both sides: nothing */

	snapshot(&before, f->repo.ptr);
	assert_ok(vcs_commit_files(commit, repo, f->base, dir.ptr, &paths,
				   "fix divide by zero\n\nthe body\n"));
	snapshot(&after, f->repo.ptr);
	assert_string_equal(before.ptr, after.ptr);
	assert_int_equal(strlen(commit), VCS_OID_HEXSZ);

	buf_reset(&p);
	buf_addf(&p, "%s^", commit);
	git_ok(&text, f->repo.ptr, "rev-parse", p.ptr, NULL);
	assert_string_equal(text.ptr, f->base);
	buf_reset(&p);
	buf_addf(&p, "%s:src/calc.py", commit);
	git_ok(&text, f->repo.ptr, "show", p.ptr, NULL);
	assert_string_equal(text.ptr, "def divide(a, b):\n    return a / b if b else 0");
	buf_reset(&p);
	buf_addf(&p, "%s:README.md", commit);
	assert_int_not_equal(git_rc(&text, f->repo.ptr, "cat-file", "-e", p.ptr, NULL), 0);
	git_ok(&text, f->repo.ptr, "ls-tree", "-r", "--format=%(objectmode) %(path)", commit, NULL);
	assert_string_equal(text.ptr,
			    "100644 bin/run.sh\n"
			    "100644 data.bin\n"
			    "120000 link\n"
			    "100644 src/calc.py\n"
			    "100755 tests/new/test_new.py");
	buf_reset(&p);
	buf_addf(&p, "%s:link", commit);
	git_ok(&text, f->repo.ptr, "cat-file", "-p", p.ptr, NULL);
	assert_string_equal(text.ptr, "README.md");
	assert_int_equal(git_rc(NULL, f->repo.ptr, "diff", "--quiet", f->base, commit, "--",
				"data.bin", NULL), 0);
	git_ok(&text, f->repo.ptr, "log", "-1", "--format=%an <%ae>|%cn <%ce>|%B", commit, NULL);
	assert_string_equal(text.ptr, "Test User <test@example.com>|Test User <test@example.com>|"
				      "fix divide by zero\n\nthe body");
	git_ok(&text, f->repo.ptr, "fsck", "--no-dangling", NULL);

	vcs_free(repo);
	strvec_clear(&paths);
	buf_release(&before);
	buf_release(&after);
	buf_release(&dir);
	buf_release(&text);
	buf_release(&p);
}

static void vcs__commit_files_falls_back_to_our_signature(void **state)
{
	struct fixture *f = *state;
	struct buf dir = BUF_INIT, text = BUF_INIT;
	struct strvec paths = STRVEC_INIT;
	char commit[VCS_OID_HEXSZ + 1];
	struct vcs_repo *repo;

	git_ok(NULL, f->repo.ptr, "config", "--unset", "user.name", NULL);
	git_ok(NULL, f->repo.ptr, "config", "--unset", "user.email", NULL);
	repo = open_ok(f->repo.ptr);
	new_dir(&dir, f, "attempt");
	assert_ok(vcs_checkout_to(repo, f->base, dir.ptr));
	write_text(dir.ptr, "README.md", "changed\n");
	strvec_push(&paths, "README.md");
	assert_ok(vcs_commit_files(commit, repo, "HEAD", dir.ptr, &paths, "x"));
	git_ok(&text, f->repo.ptr, "log", "-1", "--format=%an <%ae>|%cn <%ce>|%B", commit, NULL);
	assert_string_equal(text.ptr, VCS_FALLBACK_NAME " <" VCS_FALLBACK_EMAIL ">|"
			    VCS_FALLBACK_NAME " <" VCS_FALLBACK_EMAIL ">|x");
	vcs_free(repo);
	strvec_clear(&paths);
	buf_release(&dir);
	buf_release(&text);
}

/* what checkout_to smudges, commit_files and diff_files clean again, as git does */
static void vcs__commit_files_applies_the_filters_git_would(void **state)
{
	struct fixture *f = *state;
	struct buf dir = BUF_INIT, text = BUF_INIT, patch = BUF_INIT;
	struct strvec paths = STRVEC_INIT;
	char commit[VCS_OID_HEXSZ + 1];
	struct vcs_repo *repo;

	write_text(f->repo.ptr, ".gitattributes", "*.txt text eol=crlf\n");
	write_text(f->repo.ptr, "notes.txt", "one\ntwo\n");
	commit_all(f->repo.ptr, "attributes");
	repo = open_ok(f->repo.ptr);
	new_dir(&dir, f, "attempt");
	assert_ok(vcs_checkout_to(repo, "HEAD", dir.ptr));
	read_text(&text, dir.ptr, "notes.txt");
	assert_string_equal(text.ptr, "one\r\ntwo\r\n");

	/* unchanged on disk (CRLF): nothing to show, and the same blob */
	strvec_push(&paths, "notes.txt");
	assert_ok(vcs_diff_files(&patch, repo, "HEAD", dir.ptr, &paths));
	assert_string_equal(patch.ptr, "");
	write_text(dir.ptr, "notes.txt", "one\r\n2\r\n");
	assert_ok(vcs_commit_files(commit, repo, "HEAD", dir.ptr, &paths, "two"));
	buf_reset(&text);
	buf_addf(&text, "%s:notes.txt", commit);
	git_ok(&text, f->repo.ptr, "cat-file", "blob", text.ptr, NULL);
	assert_string_equal(text.ptr, "one\n2");
	vcs_free(repo);
	strvec_clear(&paths);
	buf_release(&dir);
	buf_release(&text);
	buf_release(&patch);
}

static void vcs__commit_files_rejects_bad_paths(void **state)
{
	static const char *const bad[] = {
		"../escape", "/etc/passwd", ".git/config", "a//b", "", "src/./calc.py",
		"sub/.GIT/hooks/x", "src/", "src/../README.md",
	};
	struct fixture *f = *state;
	struct buf dir = BUF_INIT, before = BUF_INIT, after = BUF_INIT;
	char commit[VCS_OID_HEXSZ + 1];
	struct vcs_repo *repo = open_ok(f->repo.ptr);
	size_t i;

	new_dir(&dir, f, "attempt");
	assert_ok(vcs_checkout_to(repo, f->base, dir.ptr));
	snapshot(&before, f->repo.ptr);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		struct strvec paths = STRVEC_INIT;
		strvec_push(&paths, bad[i]);
		if (vcs_commit_files(commit, repo, f->base, dir.ptr, &paths, "x") != ERR_USAGE)
			fail_msg("path '%s' was accepted", bad[i]);
		strvec_clear(&paths);
	}
	{
		/* a directory is not a file */
		struct strvec paths = STRVEC_INIT;
		strvec_push(&paths, "src");
		assert_int_equal(vcs_commit_files(commit, repo, f->base, dir.ptr, &paths, "x"),
				 ERR_USAGE);
		assert_non_null(strstr(error_last(), "is a directory"));
		strvec_clear(&paths);
	}
	snapshot(&after, f->repo.ptr);
	assert_string_equal(before.ptr, after.ptr);
	vcs_free(repo);
	buf_release(&dir);
	buf_release(&before);
	buf_release(&after);
}

/* ---- branches ---- */

static void vcs__branches_set_exist_list_target_delete(void **state)
{
	struct fixture *f = *state;
	struct strvec list = STRVEC_INIT;
	struct buf text = BUF_INIT, before = BUF_INIT, after = BUF_INIT;
	char target[VCS_OID_HEXSZ + 1];
	struct vcs_repo *repo = open_ok(f->repo.ptr);
	int exists_ = -1;

	snapshot(&before, f->repo.ptr);
	assert_ok(vcs_branch_exists(&exists_, repo, "fix-b"));
	assert_int_equal(exists_, 0);
	assert_ok(vcs_branch_set(repo, "fix-b", f->base, 0));
	assert_ok(vcs_branch_set(repo, "fix-a", "HEAD", 0));
	assert_ok(vcs_branch_set(repo, "other", f->base, 0));
	assert_ok(vcs_branch_exists(&exists_, repo, "fix-b"));
	assert_int_equal(exists_, 1);
	git_ok(&text, f->repo.ptr, "rev-parse", "refs/heads/fix-b", NULL);
	assert_string_equal(text.ptr, f->base);
	assert_ok(vcs_branch_target(target, repo, "fix-a"));
	assert_string_equal(target, f->base);

	strvec_push(&list, "kept");
	assert_ok(vcs_branch_list(&list, repo, "fix-"));
	assert_int_equal(list.nr, 3);
	assert_string_equal(list.v[0], "kept");
	assert_string_equal(list.v[1], "fix-a");
	assert_string_equal(list.v[2], "fix-b");
	strvec_clear(&list);
	assert_ok(vcs_branch_list(&list, repo, NULL));
	assert_int_equal(list.nr, 4);
	assert_string_equal(list.v[3], "other");
	strvec_clear(&list);

	assert_ok(vcs_branch_delete(repo, "fix-b"));
	assert_ok(vcs_branch_exists(&exists_, repo, "fix-b"));
	assert_int_equal(exists_, 0);
	assert_int_not_equal(git_rc(&text, f->repo.ptr, "rev-parse", "--verify", "-q",
				    "refs/heads/fix-b", NULL), 0);
	assert_true(exists(f->repo.ptr, ".git/logs/refs/heads/fix-a"));
	assert_false(exists(f->repo.ptr, ".git/logs/refs/heads/fix-b"));
	/* a branch with config (an upstream): the section goes too */
	assert_ok(vcs_branch_set(repo, "fix-up", f->base, 0));
	git_ok(NULL, f->repo.ptr, "config", "branch.fix-up.remote", "origin", NULL);
	git_ok(NULL, f->repo.ptr, "config", "branch.fix-upper.remote", "kept", NULL);
	assert_ok(vcs_branch_delete(repo, "fix-up"));
	assert_int_not_equal(git_rc(&text, f->repo.ptr, "config", "branch.fix-up.remote", NULL), 0);
	git_ok(&text, f->repo.ptr, "config", "branch.fix-upper.remote", NULL);
	assert_string_equal(text.ptr, "kept");
	git_ok(NULL, f->repo.ptr, "config", "--remove-section", "branch.fix-upper", NULL);
	assert_int_equal(vcs_branch_delete(repo, "fix-b"), ERR_NOTFOUND);
	assert_non_null(strstr(error_last(), "'fix-b'"));
	assert_int_equal(vcs_branch_target(target, repo, "fix-b"), ERR_NOTFOUND);
	assert_int_equal(vcs_branch_exists(&exists_, repo, "bad..name"), ERR_USAGE);
	assert_int_equal(vcs_branch_set(repo, "-bad", f->base, 0), ERR_USAGE);
	assert_int_equal(vcs_branch_set(repo, "fix-c", "no-such-commit", 0), ERR_NOTFOUND);

	/* nothing but the branches themselves changed */
	assert_ok(vcs_branch_delete(repo, "fix-a"));
	assert_ok(vcs_branch_delete(repo, "other"));
	snapshot(&after, f->repo.ptr);
	assert_string_equal(before.ptr, after.ptr);
	vcs_free(repo);
	buf_release(&text);
	buf_release(&before);
	buf_release(&after);
}

static void vcs__branch_set_conflicts_unless_forced(void **state)
{
	struct fixture *f = *state;
	struct buf second = BUF_INIT;
	char target[VCS_OID_HEXSZ + 1];
	struct vcs_repo *repo;

	write_text(f->repo.ptr, "README.md", "two\n");
	commit_all(f->repo.ptr, "two");
	git_ok(&second, f->repo.ptr, "rev-parse", "HEAD", NULL);
	repo = open_ok(f->repo.ptr);
	assert_ok(vcs_branch_set(repo, "fix-x", f->base, 0));
	assert_int_equal(vcs_branch_set(repo, "fix-x", second.ptr, 0), ERR_CONFLICT);
	assert_non_null(strstr(error_last(), "already exists"));
	assert_ok(vcs_branch_target(target, repo, "fix-x"));
	assert_string_equal(target, f->base);
	assert_ok(vcs_branch_set(repo, "fix-x", second.ptr, 1));
	assert_ok(vcs_branch_target(target, repo, "fix-x"));
	assert_string_equal(target, second.ptr);
	vcs_free(repo);
	buf_release(&second);
}

static void vcs__current_branch_is_never_moved_or_deleted(void **state)
{
	struct fixture *f = *state;
	struct buf text = BUF_INIT, wt = BUF_INIT;
	char commit[VCS_OID_HEXSZ + 1];
	struct strvec paths = STRVEC_INIT;
	struct vcs_repo *repo = open_ok(f->repo.ptr);

	/* a commit to move to */
	strvec_push(&paths, "README.md");
	new_dir(&wt, f, "attempt");
	assert_ok(vcs_checkout_to(repo, f->base, wt.ptr));
	write_text(wt.ptr, "README.md", "moved\n");
	assert_ok(vcs_commit_files(commit, repo, f->base, wt.ptr, &paths, "m"));

	assert_int_equal(vcs_branch_set(repo, "main", commit, 1), ERR_CONFLICT);
	assert_non_null(strstr(error_last(), "current branch"));
	assert_int_equal(vcs_branch_set(repo, "main", commit, 0), ERR_CONFLICT);
	assert_int_equal(vcs_branch_delete(repo, "main"), ERR_CONFLICT);
	assert_non_null(strstr(error_last(), "current branch"));
	git_ok(&text, f->repo.ptr, "rev-parse", "main", NULL);
	assert_string_equal(text.ptr, f->base);

	/* nor one another worktree has checked out */
	new_dir(&wt, f, "wt");
	git_ok(NULL, f->repo.ptr, "worktree", "add", "-q", "-b", "elsewhere", wt.ptr, NULL);
	assert_int_equal(vcs_branch_set(repo, "elsewhere", commit, 1), ERR_CONFLICT);
	assert_non_null(strstr(error_last(), "another worktree"));
	assert_int_equal(vcs_branch_delete(repo, "elsewhere"), ERR_CONFLICT);
	git_ok(&text, f->repo.ptr, "rev-parse", "elsewhere", NULL);
	assert_string_equal(text.ptr, f->base);
	vcs_free(repo);
	strvec_clear(&paths);
	buf_release(&text);
	buf_release(&wt);
}

static void vcs__branch_name_sanitize_makes_valid_names(void **state)
{
	static const struct {
		const char *in;
		const char *want; /* NULL: only check that git takes it */
	} cases[] = {
		{ "fix-test_calc-test_div", "fix-test_calc-test_div" },
		{ "fix-tests/test_calc.py::TestDiv::test_div[1-0]",
		  "fix-tests-test_calc.py-TestDiv-test_div-1-0" },
		{ "a b\tc\nd", "a-b-c-d" },
		{ "a~1^2:3?*[4\\5", "a-1-2-3-4-5" },
		{ "a/b//c", "a-b-c" },
		{ "a..b...c", "a.b.c" },
		{ "x@{y}", "x@-y" },
		{ "@", "fix" },
		{ "@{-1}", "@-1" },
		{ "HEAD", "fix" },
		{ "", "fix" },
		{ "---", "fix" },
		{ "...", "fix" },
		{ "-a", "a" },
		{ ".hidden", "hidden" },
		{ "a.", "a" },
		{ "a.lock", "a" },
		{ "a.lock.lock.", "a" },
		{ "a-.lock", "a" },
		{ "a--b---c", "a-b-c" },
		{ "refs/heads/main", "refs-heads-main" },
		{ "\x01\x02\x7f", "fix" },
		{ "test_\xc3\xbcnicode", "test_\xc3\xbcnicode" },
		{ "bad\xff\xfeutf8", "bad-utf8" },
		{ "\xc3", "fix" },
		{ "a/.b", "a-.b" },
		{ "a\\b", "a-b" },
		{ "[1-0]", "1-0" },
		{ "name with trailing space ", "name-with-trailing-space" },
		{ "x.lock/y", "x.lock-y" },
		{ "test_x[\xe2\x82\xac]", "test_x-\xe2\x82\xac" },
		{ "/", "fix" },
		{ "a@b", "a@b" },
		{ "{}", "fix" },
		{ "fix-shapes-test_(a)<b>", "fix-shapes-test_-a-b" },
	};
	struct fixture *f = *state;
	struct buf out = BUF_INIT, in = BUF_INIT, again = BUF_INIT;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		vcs_branch_name_sanitize(&out, cases[i].in);
		if (cases[i].want && strcmp(out.ptr, cases[i].want))
			fail_msg("sanitize('%s') = '%s', want '%s'", cases[i].in, out.ptr,
				 cases[i].want);
		if (git_rc(NULL, f->repo.ptr, "check-ref-format", "--branch", out.ptr, NULL))
			fail_msg("git refuses '%s' (from '%s')", out.ptr, cases[i].in);
	}

	/*
	 * a long name keeps a readable head and a hash of the whole text:
	 * never inside a character, never "--" before the hash, and two texts
	 * with one head get two names
	 */
	for (i = 0; i < 300; i++)
		buf_addch(&in, 'a');
	vcs_branch_name_sanitize(&out, in.ptr);
	assert_int_equal(out.len, VCS_BRANCH_NAME_READABLE);
	assert_int_equal(out.ptr[VCS_BRANCH_NAME_READABLE - 9], '-');
	assert_int_equal(strspn(out.ptr + VCS_BRANCH_NAME_READABLE - 8, "0123456789abcdef"), 8);
	buf_adds(&in, "b");
	vcs_branch_name_sanitize(&again, in.ptr);
	assert_int_equal(again.len, VCS_BRANCH_NAME_READABLE);
	assert_string_not_equal(out.ptr, again.ptr);
	assert_memory_equal(out.ptr, again.ptr, VCS_BRANCH_NAME_READABLE - 9);
	buf_setlen(&in, VCS_BRANCH_NAME_READABLE - 10);
	buf_adds(&in, "\xc3\xa9tail-of-a-long-parametrised-test-name");
	vcs_branch_name_sanitize(&out, in.ptr);
	assert_true(out.len < VCS_BRANCH_NAME_READABLE);
	assert_int_equal(out.ptr[out.len - 9], '-');
	assert_int_equal(out.ptr[out.len - 10], 'a');
	buf_setlen(&in, VCS_BRANCH_NAME_READABLE - 14);
	buf_adds(&in, ".lock-and-more-words-after-it");
	vcs_branch_name_sanitize(&out, in.ptr);
	assert_true(out.len <= VCS_BRANCH_NAME_READABLE);
	assert_null(strstr(out.ptr, "--"));
	assert_int_equal(git_rc(NULL, f->repo.ptr, "check-ref-format", "--branch", out.ptr, NULL),
			 0);
	buf_release(&again);
	buf_release(&out);
	buf_release(&in);
}

/* ---- diffs and patches ---- */

/* a second commit on main changing text, a mode, a binary file; files added and deleted */
static void make_second_commit(struct buf *out, const struct fixture *f)
{
	struct buf p = BUF_INIT;
	static const char bin2[] = "\x00\x01\x03\xfe binary \x00 changed\n";

	write_text(f->repo.ptr, "src/calc.py", "def divide(a, b):\n    return a // b\n");
	path_in(&p, f->repo.ptr, "README.md");
	assert_int_equal(unlink(p.ptr), 0);
	write_text(f->repo.ptr, "docs/new.md", "# new\n");
	write_file(f->repo.ptr, "data.bin", bin2, sizeof(bin2) - 1, 0644);
	path_in(&p, f->repo.ptr, "bin/run.sh");
	assert_int_equal(chmod(p.ptr, 0644), 0);
	commit_all(f->repo.ptr, "second");
	git_ok(out, f->repo.ptr, "rev-parse", "HEAD", NULL);
	buf_release(&p);
}

/* `patch` applies with `git apply` in `dir` (outside any repository) */
static void assert_git_applies(const char *dir, const struct buf *patch)
{
	assert_int_equal(git_stdin(dir, patch->ptr, patch->len, "apply", "--check", NULL), 0);
	assert_int_equal(git_stdin(dir, patch->ptr, patch->len, "apply", NULL), 0);
}

static void assert_same_trees(const char *a, const char *b)
{
	assert_int_equal(git_rc(NULL, a, "diff", "--no-index", "--quiet", a, b, NULL), 0);
}

static void vcs__diff_is_taken_by_git_apply(void **state)
{
	struct fixture *f = *state;
	struct buf second = BUF_INIT, patch = BUF_INIT, patch2 = BUF_INIT;
	struct buf a = BUF_INIT, b = BUF_INIT;
	struct vcs_repo *repo;

	make_second_commit(&second, f);
	repo = open_ok(f->repo.ptr);
	assert_ok(vcs_diff(&patch, repo, f->base, second.ptr));
	assert_non_null(strstr(patch.ptr, "diff --git a/src/calc.py b/src/calc.py\n"));
	assert_non_null(strstr(patch.ptr, "deleted file mode 100644"));
	assert_non_null(strstr(patch.ptr, "new file mode 100644"));
	assert_non_null(strstr(patch.ptr, "old mode 100755\nnew mode 100644"));
	assert_non_null(strstr(patch.ptr, "GIT binary patch"));
	assert_ok(vcs_diff(&patch2, repo, NULL, "HEAD"));
	assert_string_equal(patch.ptr, patch2.ptr);

	new_dir(&a, f, "a");
	new_dir(&b, f, "b");
	assert_ok(vcs_checkout_to(repo, f->base, a.ptr));
	assert_ok(vcs_checkout_to(repo, second.ptr, b.ptr));
	assert_git_applies(a.ptr, &patch);
	assert_same_trees(a.ptr, b.ptr);

	/* the root commit against nothing */
	buf_reset(&patch);
	assert_ok(vcs_diff(&patch, repo, NULL, f->base));
	new_dir(&a, f, "root");
	new_dir(&b, f, "root-want");
	assert_int_equal(fs_mkdir_p(a.ptr, 0777), 0);
	assert_ok(vcs_checkout_to(repo, f->base, b.ptr));
	assert_git_applies(a.ptr, &patch);
	assert_same_trees(a.ptr, b.ptr);

	/* the same commit twice: nothing */
	buf_reset(&patch);
	assert_ok(vcs_diff(&patch, repo, "HEAD", second.ptr));
	assert_string_equal(patch.ptr, "");
	assert_int_equal(vcs_diff(&patch, repo, "nope", "HEAD"), ERR_NOTFOUND);
	vcs_free(repo);
	buf_release(&second);
	buf_release(&patch);
	buf_release(&patch2);
	buf_release(&a);
	buf_release(&b);
}

/* two texts, no repository: a diff git apply takes; equal texts none */
static void vcs__diff_texts_needs_no_repository(void **state)
{
	struct fixture *f = *state;
	static const char old_text[] = "a\nb\nc\nd\ne\nf\ng\nh\n";
	static const char new_text[] = "a\nB\nc\nd\ne\nf\ng\nh\ni\n";
	struct buf diff = BUF_INIT, dir = BUF_INIT, text = BUF_INIT;

	assert_ok(vcs_diff_texts(&diff, "tests/t.py", old_text, strlen(old_text), new_text, strlen(new_text)));
	assert_non_null(strstr(diff.ptr, "--- a/tests/t.py\n+++ b/tests/t.py\n"));
	assert_non_null(strstr(diff.ptr, "-b\n+B\n"));
	assert_non_null(strstr(diff.ptr, "+i\n"));
	new_dir(&dir, f, "texts");
	write_text(dir.ptr, "tests/t.py", old_text);
	assert_git_applies(dir.ptr, &diff);
	read_text(&text, dir.ptr, "tests/t.py");
	assert_string_equal(text.ptr, new_text);
	buf_reset(&diff);
	assert_ok(vcs_diff_texts(&diff, "x.py", old_text, strlen(old_text), old_text, strlen(old_text)));
	assert_int_equal(diff.len, 0);
	buf_release(&diff);
	buf_release(&dir);
	buf_release(&text);
}

static void vcs__diff_files_shows_an_attempt_and_writes_nothing(void **state)
{
	struct fixture *f = *state;
	struct buf dir = BUF_INIT, fresh = BUF_INIT, patch = BUF_INIT, committed = BUF_INIT;
	struct buf objects_before = BUF_INIT, objects_after = BUF_INIT, p = BUF_INIT;
	struct buf text = BUF_INIT;
	struct strvec paths = STRVEC_INIT;
	char commit[VCS_OID_HEXSZ + 1];
	struct vcs_repo *repo = open_ok(f->repo.ptr);

	new_dir(&dir, f, "attempt");
	assert_ok(vcs_checkout_to(repo, f->base, dir.ptr));
	write_text(dir.ptr, "src/calc.py", "def divide(a, b):\n    return a / b if b else 0\n");
	write_file(dir.ptr, "tests/test_new.py", test_py, strlen(test_py), 0755);
	path_in(&p, dir.ptr, "README.md");
	assert_int_equal(unlink(p.ptr), 0);
	path_in(&p, dir.ptr, "bin/run.sh");
	assert_int_equal(chmod(p.ptr, 0600), 0);
	write_text(dir.ptr, "data.bin", "unlisted change\n");
	strvec_push(&paths, "src/calc.py");
	strvec_push(&paths, "tests/test_new.py");
	strvec_push(&paths, "README.md");
	strvec_push(&paths, "bin/run.sh");

	git_ok(&objects_before, f->repo.ptr, "count-objects", NULL);
	assert_ok(vcs_diff_files(&patch, repo, f->base, dir.ptr, &paths));
	git_ok(&objects_after, f->repo.ptr, "count-objects", NULL);
	assert_string_equal(objects_before.ptr, objects_after.ptr);

	assert_non_null(strstr(patch.ptr, "diff --git a/src/calc.py b/src/calc.py\n"));
	assert_non_null(strstr(patch.ptr, "new file mode 100755"));
	assert_non_null(strstr(patch.ptr, "deleted file mode 100644"));
	assert_non_null(strstr(patch.ptr, "old mode 100755\nnew mode 100644"));
	assert_null(strstr(patch.ptr, "data.bin"));

	new_dir(&fresh, f, "fresh");
	assert_ok(vcs_checkout_to(repo, f->base, fresh.ptr));
	assert_git_applies(fresh.ptr, &patch);
	read_text(&text, fresh.ptr, "src/calc.py");
	assert_string_equal(text.ptr, "def divide(a, b):\n    return a / b if b else 0\n");
	assert_false(exists(fresh.ptr, "README.md"));
	assert_true(file_mode(fresh.ptr, "tests/test_new.py") & S_IXUSR);

	/* the very diff of the commit these files would make */
	assert_ok(vcs_commit_files(commit, repo, f->base, dir.ptr, &paths, "attempt"));
	assert_ok(vcs_diff(&committed, repo, NULL, commit));
	assert_string_equal(patch.ptr, committed.ptr);

	/* no such directory: an error, not a diff deleting every path */
	buf_reset(&patch);
	new_dir(&p, f, "missing");
	assert_int_equal(vcs_diff_files(&patch, repo, f->base, p.ptr, &paths), ERR_NOTFOUND);
	assert_int_equal(vcs_commit_files(commit, repo, f->base, p.ptr, &paths, "x"), ERR_NOTFOUND);
	assert_string_equal(patch.ptr, "");

	/* nothing changed: nothing to show */
	buf_reset(&patch);
	strvec_clear(&paths);
	strvec_push(&paths, "link");
	assert_ok(vcs_diff_files(&patch, repo, f->base, dir.ptr, &paths));
	assert_string_equal(patch.ptr, "");

	vcs_free(repo);
	strvec_clear(&paths);
	buf_release(&dir);
	buf_release(&fresh);
	buf_release(&patch);
	buf_release(&committed);
	buf_release(&objects_before);
	buf_release(&objects_after);
	buf_release(&p);
	buf_release(&text);
}

static void vcs__apply_to_workdir_applies_and_reports_conflicts(void **state)
{
	struct fixture *f = *state;
	struct buf dir = BUF_INIT, patch = BUF_INIT, text = BUF_INIT, status = BUF_INIT;
	struct strvec paths = STRVEC_INIT;
	char commit[VCS_OID_HEXSZ + 1];
	static const char fixed[] = "def divide(a, b):\n    return a / b if b else 0\n";
	struct vcs_repo *repo = open_ok(f->repo.ptr);

	new_dir(&dir, f, "attempt");
	assert_ok(vcs_checkout_to(repo, f->base, dir.ptr));
	write_text(dir.ptr, "src/calc.py", fixed);
	write_text(dir.ptr, "zz/added.md", "added\n");
	strvec_push(&paths, "src/calc.py");
	strvec_push(&paths, "zz/added.md");
	assert_ok(vcs_commit_files(commit, repo, f->base, dir.ptr, &paths, "fix"));
	assert_ok(vcs_diff(&patch, repo, NULL, commit));

	assert_ok(vcs_apply_to_workdir(repo, patch.ptr, patch.len, 1));
	read_text(&text, f->repo.ptr, "src/calc.py");
	assert_string_equal(text.ptr, calc_py);
	assert_false(exists(f->repo.ptr, "zz/added.md"));

	assert_ok(vcs_apply_to_workdir(repo, patch.ptr, patch.len, 0));
	read_text(&text, f->repo.ptr, "src/calc.py");
	assert_string_equal(text.ptr, fixed);
	read_text(&text, f->repo.ptr, "zz/added.md");
	assert_string_equal(text.ptr, "added\n");
	/* the work tree only: nothing staged, HEAD where it was */
	git_ok(&status, f->repo.ptr, "status", "--porcelain", NULL);
	assert_string_equal(status.ptr, " M src/calc.py\n?? zz/");
	git_ok(&text, f->repo.ptr, "rev-parse", "HEAD", NULL);
	assert_string_equal(text.ptr, f->base);

	/* again: it no longer applies, and says where */
	path_in(&text, f->repo.ptr, "zz/added.md");
	assert_int_equal(unlink(text.ptr), 0);
	assert_int_equal(vcs_apply_to_workdir(repo, patch.ptr, patch.len, 1), ERR_CONFLICT);
	assert_non_null(strstr(error_last(), "src/calc.py"));
	assert_int_equal(vcs_apply_to_workdir(repo, patch.ptr, patch.len, 0), ERR_CONFLICT);
	assert_non_null(strstr(error_last(), "src/calc.py"));
	git_ok(NULL, f->repo.ptr, "checkout", "--", "src/calc.py", NULL);
	write_text(f->repo.ptr, "zz/added.md", "mine\n");
	assert_int_equal(vcs_apply_to_workdir(repo, patch.ptr, patch.len, 0), ERR_CONFLICT);
	assert_non_null(strstr(error_last(), "zz/added.md"));
	/* all or nothing: calc.py was not patched on the way */
	read_text(&text, f->repo.ptr, "src/calc.py");
	assert_string_equal(text.ptr, calc_py);

	assert_int_equal(vcs_apply_to_workdir(repo, "hello\n", 6, 0), ERR_PARSE);
	assert_int_equal(vcs_apply_to_workdir(repo, "", 0, 0), ERR_PARSE);
	vcs_free(repo);
	strvec_clear(&paths);
	buf_release(&dir);
	buf_release(&patch);
	buf_release(&text);
	buf_release(&status);
}

/* a commit on the base with `rel` set to `text` */
static void commit_one(char out[VCS_OID_HEXSZ + 1], struct vcs_repo *repo, struct fixture *f,
		       const char *name, const char *rel, const char *text)
{
	struct buf dir = BUF_INIT;
	struct strvec paths = STRVEC_INIT;

	new_dir(&dir, f, name);
	assert_ok(vcs_checkout_to(repo, f->base, dir.ptr));
	write_text(dir.ptr, rel, text);
	strvec_push(&paths, rel);
	assert_ok(vcs_commit_files(out, repo, f->base, dir.ptr, &paths, "fix"));
	strvec_clear(&paths);
	buf_release(&dir);
}

static void vcs__apply_to_batch_merges_the_users_edits_and_refuses_overlaps(void **state)
{
	struct fixture *f = *state;
	struct fs_batch b = FS_BATCH_INIT;
	struct buf text = BUF_INIT, path = BUF_INIT;
	char fix1[VCS_OID_HEXSZ + 1], fix2[VCS_OID_HEXSZ + 1], added[VCS_OID_HEXSZ + 1];
	struct vcs_repo *repo = open_ok(f->repo.ptr);
	static const char mine[] = "def add(a, b):  # mine\n    return a + b\n\n\n"
				   "def divide(a, b):\n    return a / b\n";

	commit_one(fix1, repo, f, "one", "src/calc.py",
		   "def add(a, b):\n    return a + b\n\n\ndef divide(a, b):\n    return a / b if b else 0\n");
	commit_one(fix2, repo, f, "two", "src/calc.py",
		   "def add(a, b):\n    return a + b\n# two\n\ndef divide(a, b):\n    return a / b\n");
	commit_one(added, repo, f, "three", "zz/added.md", "added\n");
	write_text(f->repo.ptr, "src/calc.py", mine);
	path_in(&path, f->repo.ptr, "src/calc.py");

	/* the user's line 1, the first fix's line 6, then the second fix's line 3 on top */
	assert_ok(vcs_apply_to_batch(&b, repo, NULL, fix1));
	assert_ok(vcs_apply_to_batch(&b, repo, NULL, fix2));
	assert_int_equal(b.nr, 1);
	assert_string_equal(b.files[0].path, path.ptr);
	assert_string_equal(b.files[0].data.ptr, "def add(a, b):  # mine\n    return a + b\n# two\n\n"
			    "def divide(a, b):\n    return a / b if b else 0\n");
	read_text(&text, f->repo.ptr, "src/calc.py");
	assert_string_equal(text.ptr, mine);   /* planned, not written */
	fs_batch_release(&b);

	/* the line the fix changes, changed by the user: refused, naming the file */
	write_text(f->repo.ptr, "src/calc.py", "def add(a, b):\n    return a + b\n\n\n"
		   "def divide(a, b):\n    return a // b\n");
	assert_int_equal(vcs_apply_to_batch(&b, repo, NULL, fix1), ERR_CONFLICT);
	assert_non_null(strstr(error_last(), "'src/calc.py' has changes of yours that overlap the fix"));
	fs_batch_release(&b);

	/* a new file: taken when absent or the same, refused over the user's own */
	assert_ok(vcs_apply_to_batch(&b, repo, NULL, added));
	assert_int_equal(b.nr, 1);
	assert_string_equal(b.files[0].data.ptr, "added\n");
	fs_batch_release(&b);
	write_text(f->repo.ptr, "zz/added.md", "mine\n");
	assert_int_equal(vcs_apply_to_batch(&b, repo, NULL, added), ERR_CONFLICT);
	assert_non_null(strstr(error_last(), "'zz/added.md' already exists"));
	fs_batch_release(&b);
	write_text(f->repo.ptr, "zz/added.md", "added\n");
	assert_ok(vcs_apply_to_batch(&b, repo, NULL, added));
	assert_int_equal(b.nr, 0);   /* nothing to do */
	fs_batch_release(&b);

	vcs_free(repo);
	buf_release(&text);
	buf_release(&path);
}

/* ---- status, exclude, blame ---- */

static int dirty(struct vcs_repo *repo, const char *path)
{
	struct strvec paths = STRVEC_INIT;
	int out = -1;

	if (path)
		strvec_push(&paths, path);
	assert_ok(vcs_is_dirty(&out, repo, path ? &paths : NULL));
	strvec_clear(&paths);
	return out;
}

static void vcs__is_dirty_counts_tracked_changes_only(void **state)
{
	struct fixture *f = *state;
	struct buf p = BUF_INIT;
	struct vcs_repo *repo = open_ok(f->repo.ptr);
	struct strvec bad = STRVEC_INIT;
	int out;

	assert_int_equal(dirty(repo, NULL), 0);
	write_text(f->repo.ptr, "untracked.txt", "new\n");
	write_text(f->repo.ptr, "build/out.o", "ignored\n");
	write_text(f->repo.ptr, ".git/info/exclude", "build/\n");
	assert_int_equal(dirty(repo, NULL), 0);
	/* same size, new mtime: not a change */
	write_text(f->repo.ptr, "README.md", "hello\n");
	assert_int_equal(dirty(repo, NULL), 0);

	write_text(f->repo.ptr, "README.md", "edited\n");
	assert_int_equal(dirty(repo, NULL), 1);
	assert_int_equal(dirty(repo, "README.md"), 1);
	assert_int_equal(dirty(repo, "src/calc.py"), 0);
	assert_int_equal(dirty(repo, "src"), 0);
	git_ok(NULL, f->repo.ptr, "checkout", "--", "README.md", NULL);
	assert_int_equal(dirty(repo, NULL), 0);

	/* staged, then the work tree put back: still dirty in the index */
	write_text(f->repo.ptr, "src/calc.py", "# staged\n");
	git_ok(NULL, f->repo.ptr, "add", "src/calc.py", NULL);
	write_text(f->repo.ptr, "src/calc.py", calc_py);
	assert_int_equal(dirty(repo, NULL), 1);
	assert_int_equal(dirty(repo, "src"), 1);
	assert_int_equal(dirty(repo, "src/calc.py"), 1);
	assert_int_equal(dirty(repo, "README.md"), 0);
	git_ok(NULL, f->repo.ptr, "reset", "-q", NULL);
	assert_int_equal(dirty(repo, NULL), 0);

	/* deleted, and the file modes */
	path_in(&p, f->repo.ptr, "data.bin");
	assert_int_equal(unlink(p.ptr), 0);
	assert_int_equal(dirty(repo, "data.bin"), 1);
	git_ok(NULL, f->repo.ptr, "checkout", "--", "data.bin", NULL);
	path_in(&p, f->repo.ptr, "bin/run.sh");
	assert_int_equal(chmod(p.ptr, 0644), 0);
	assert_int_equal(dirty(repo, NULL), 1);

	strvec_push(&bad, "../x");
	assert_int_equal(vcs_is_dirty(&out, repo, &bad), ERR_USAGE);
	strvec_clear(&bad);
	vcs_free(repo);
	buf_release(&p);
}

static void vcs__exclude_is_idempotent(void **state)
{
	struct fixture *f = *state;
	struct buf text = BUF_INIT;
	struct vcs_repo *repo = open_ok(f->repo.ptr);

	write_text(f->repo.ptr, ".git/info/exclude", "# mine\n*.tmp");
	write_text(f->repo.ptr, ".pytest-fixer/db.sqlite", "x");
	git_ok(&text, f->repo.ptr, "status", "--porcelain", NULL);
	assert_string_equal(text.ptr, "?? .pytest-fixer/");

	assert_ok(vcs_exclude(repo, "/.pytest-fixer/"));
	assert_ok(vcs_exclude(repo, "/.pytest-fixer/"));
	read_text(&text, f->repo.ptr, ".git/info/exclude");
	assert_string_equal(text.ptr, "# mine\n*.tmp\n/.pytest-fixer/\n");
	git_ok(&text, f->repo.ptr, "status", "--porcelain", NULL);
	assert_string_equal(text.ptr, "");
	/* a line that was there already counts */
	assert_ok(vcs_exclude(repo, "*.tmp"));
	read_text(&text, f->repo.ptr, ".git/info/exclude");
	assert_string_equal(text.ptr, "# mine\n*.tmp\n/.pytest-fixer/\n");
	assert_int_equal(vcs_exclude(repo, "a\nb"), ERR_USAGE);

	/* no info/ at all */
	buf_reset(&text);
	buf_addf(&text, "%s/.git/info", f->repo.ptr);
	assert_int_equal(fs_remove_tree(text.ptr), 0);
	assert_ok(vcs_exclude(repo, "/.pytest-fixer/"));
	read_text(&text, f->repo.ptr, ".git/info/exclude");
	assert_string_equal(text.ptr, "/.pytest-fixer/\n");
	vcs_free(repo);
	buf_release(&text);
}

static void vcs__blame_authors_most_lines_first(void **state)
{
	struct fixture *f = *state;
	struct strvec who = STRVEC_INIT;
	struct buf first = BUF_INIT;
	struct vcs_repo *repo;

	write_text(f->repo.ptr, "m.py", "l1\nl2\nl3\nl4\nl5\n");
	git_ok(NULL, f->repo.ptr, "add", "m.py", NULL);
	git_ok(NULL, f->repo.ptr, "-c", "user.name=Alice", "-c", "user.email=alice@example.com",
	       "commit", "-q", "-m", "alice", NULL);
	git_ok(&first, f->repo.ptr, "rev-parse", "HEAD", NULL);
	write_text(f->repo.ptr, "m.py", "l1\nL2 bob\nl3\nl4\nl5\nl6 bob\n");
	git_ok(NULL, f->repo.ptr, "add", "m.py", NULL);
	git_ok(NULL, f->repo.ptr, "-c", "user.name=Bob", "-c", "user.email=bob@example.com",
	       "commit", "-q", "-m", "bob", NULL);
	repo = open_ok(f->repo.ptr);

	assert_ok(vcs_blame_authors(&who, repo, "HEAD", "m.py", 1, 0));
	assert_int_equal(who.nr, 2);
	assert_string_equal(who.v[0], "Alice <alice@example.com>");
	assert_string_equal(who.v[1], "Bob <bob@example.com>");
	strvec_clear(&who);

	assert_ok(vcs_blame_authors(&who, repo, "HEAD", "m.py", 2, 2));
	assert_int_equal(who.nr, 1);
	assert_string_equal(who.v[0], "Bob <bob@example.com>");
	strvec_clear(&who);

	/* Bob has 2 of lines 2-6, Alice 3 */
	assert_ok(vcs_blame_authors(&who, repo, "HEAD", "m.py", 2, 6));
	assert_int_equal(who.nr, 2);
	assert_string_equal(who.v[0], "Alice <alice@example.com>");
	strvec_clear(&who);
	/* lines 2-3: one each, so by name */
	assert_ok(vcs_blame_authors(&who, repo, "HEAD", "m.py", 2, 3));
	assert_int_equal(who.nr, 2);
	assert_string_equal(who.v[0], "Alice <alice@example.com>");
	assert_string_equal(who.v[1], "Bob <bob@example.com>");
	strvec_clear(&who);
	/* an end past the file stops at its end */
	assert_ok(vcs_blame_authors(&who, repo, "HEAD", "m.py", 6, 100));
	assert_int_equal(who.nr, 1);
	assert_string_equal(who.v[0], "Bob <bob@example.com>");
	strvec_clear(&who);

	/* as of the first commit, all Alice's */
	assert_ok(vcs_blame_authors(&who, repo, first.ptr, "m.py", 1, 0));
	assert_int_equal(who.nr, 1);
	assert_string_equal(who.v[0], "Alice <alice@example.com>");
	strvec_clear(&who);

	assert_int_equal(vcs_blame_authors(&who, repo, "HEAD", "m.py", 7, 9), ERR_USAGE);
	assert_int_equal(vcs_blame_authors(&who, repo, "HEAD", "nope.py", 1, 1), ERR_NOTFOUND);
	assert_int_equal(who.nr, 0);
	vcs_free(repo);
	buf_release(&first);
}

/* ---- remotes and push ---- */

/* a bare repository root/NAME to push to; its path into `out` */
static void bare_remote(struct buf *out, const struct fixture *f, const char *name)
{
	new_dir(out, f, name);
	assert_int_equal(fs_mkdir_p(out->ptr, 0777), 0);
	git_ok(NULL, out->ptr, "init", "-q", "--bare", "-b", "main", NULL);
}

/* the commit `ref` points at in the repository at `dir`, or "" */
static void ref_in(struct buf *out, const char *dir, const char *ref)
{
	if (git_rc(out, dir, "rev-parse", "-q", "--verify", ref, NULL))
		buf_reset(out);
	buf_rtrim(out);
}

static void vcs__push_by_path_and_by_remote_name(void **state)
{
	struct fixture *f = *state;
	struct buf bare = BUF_INIT, got = BUF_INIT, url = BUF_INIT, next = BUF_INIT;
	struct vcs_repo *repo;

	bare_remote(&bare, f, "remote.git");
	repo = open_ok(f->repo.ptr);
	assert_ok(vcs_branch_set(repo, "fix-a", f->base, 0));

	/* by path */
	assert_ok(vcs_push(repo, bare.ptr, "fix-a", 0));
	ref_in(&got, bare.ptr, "refs/heads/fix-a");
	assert_string_equal(got.ptr, f->base);
	ref_in(&got, bare.ptr, "refs/heads/main");
	assert_string_equal(got.ptr, "");   /* only the branch asked for */

	/* by a configured name, a fast-forward */
	git_ok(NULL, f->repo.ptr, "remote", "add", "origin", bare.ptr, NULL);
	assert_ok(vcs_remote_url(&url, repo, "origin"));
	assert_string_equal(url.ptr, bare.ptr);
	git_ok(NULL, f->repo.ptr, "commit", "-q", "--allow-empty", "-m", "next", NULL);
	git_ok(&next, f->repo.ptr, "rev-parse", "HEAD", NULL);
	assert_ok(vcs_branch_set(repo, "fix-a", next.ptr, 1));
	assert_ok(vcs_push(repo, "origin", "fix-a", 0));
	ref_in(&got, bare.ptr, "refs/heads/fix-a");
	assert_string_equal(got.ptr, next.ptr);
	/* pushing it again changes nothing and is fine */
	assert_ok(vcs_push(repo, "origin", "fix-a", 0));
	/* a URL is rewritten by url.<base>.insteadOf, as git does */
	{
		struct buf key = BUF_INIT;
		buf_addf(&key, "url.%s/.insteadOf", f->root.ptr);
		git_ok(NULL, f->repo.ptr, "config", key.ptr, "mine:", NULL);
		buf_release(&key);
	}
	assert_ok(vcs_branch_set(repo, "fix-d", f->base, 0));
	assert_ok(vcs_push(repo, "mine:remote.git", "fix-d", 0));
	ref_in(&got, bare.ptr, "refs/heads/fix-d");
	assert_string_equal(got.ptr, f->base);

	/* what is missing */
	assert_int_equal(vcs_remote_url(&url, repo, "upstream"), ERR_NOTFOUND);
	assert_string_equal(error_last(), "no remote 'upstream' in the repository");
	assert_int_equal(vcs_push(repo, "upstream", "fix-a", 0), ERR_NOTFOUND);
	assert_int_equal(vcs_push(repo, "origin", "no-such-branch", 0), ERR_NOTFOUND);
	assert_int_equal(vcs_push(repo, "origin", "bad..name", 0), ERR_USAGE);

	vcs_free(repo);
	buf_release(&next);
	buf_release(&url);
	buf_release(&got);
	buf_release(&bare);
}

static void vcs__push_non_fast_forward_is_a_conflict_unless_forced(void **state)
{
	struct fixture *f = *state;
	struct buf bare = BUF_INIT, got = BUF_INIT, ahead = BUF_INIT;
	struct vcs_repo *repo;

	bare_remote(&bare, f, "remote.git");
	git_ok(NULL, f->repo.ptr, "commit", "-q", "--allow-empty", "-m", "ahead", NULL);
	git_ok(&ahead, f->repo.ptr, "rev-parse", "HEAD", NULL);
	repo = open_ok(f->repo.ptr);
	assert_ok(vcs_branch_set(repo, "fix-b", ahead.ptr, 0));
	assert_ok(vcs_push(repo, bare.ptr, "fix-b", 0));

	/* the branch moves back: the remote's commit would be lost */
	assert_ok(vcs_branch_set(repo, "fix-b", f->base, 1));
	assert_int_equal(vcs_push(repo, bare.ptr, "fix-b", 0), ERR_CONFLICT);
	assert_non_null(strstr(error_last(), "not a fast-forward"));
	assert_non_null(strstr(error_last(), "refs/heads/fix-b"));
	assert_non_null(strstr(error_last(), bare.ptr));
	ref_in(&got, bare.ptr, "refs/heads/fix-b");
	assert_string_equal(got.ptr, ahead.ptr);

	assert_ok(vcs_push(repo, bare.ptr, "fix-b", 1));
	ref_in(&got, bare.ptr, "refs/heads/fix-b");
	assert_string_equal(got.ptr, f->base);

	vcs_free(repo);
	buf_release(&ahead);
	buf_release(&got);
	buf_release(&bare);
}

static void vcs__remote_url_hides_a_password(void **state)
{
	struct fixture *f = *state;
	struct buf url = BUF_INIT;
	struct vcs_repo *repo = open_ok(f->repo.ptr);

	git_ok(NULL, f->repo.ptr, "remote", "add", "gh", "https://me:s3cret@github.com/o/r.git", NULL);
	git_ok(NULL, f->repo.ptr, "remote", "add", "ssh", "git@github.com:o/r.git", NULL);
	git_ok(NULL, f->repo.ptr, "remote", "add", "plain", "https://github.com/o/r.git", NULL);
	assert_ok(vcs_remote_url(&url, repo, "gh"));
	assert_string_equal(url.ptr, "https://me@github.com/o/r.git");
	assert_ok(vcs_remote_url(&url, repo, "ssh"));
	assert_string_equal(url.ptr, "git@github.com:o/r.git");
	assert_ok(vcs_remote_url(&url, repo, "plain"));
	assert_string_equal(url.ptr, "https://github.com/o/r.git");
	git_ok(NULL, f->repo.ptr, "config", "url.https://github.com/.insteadOf", "gh:", NULL);
	git_ok(NULL, f->repo.ptr, "remote", "add", "short", "gh:o/r.git", NULL);
	assert_ok(vcs_remote_url(&url, repo, "short"));
	assert_string_equal(url.ptr, "https://github.com/o/r.git");
	vcs_free(repo);
	buf_release(&url);
}

static void vcs__push_failure_never_shows_the_token(void **state)
{
	struct fixture *f = *state;
	struct vcs_repo *repo = open_ok(f->repo.ptr);
	static const char token[] = "ghp_PUSHTOKEN987654321";

	assert_ok(vcs_branch_set(repo, "fix-c", f->base, 0));
	setenv("GITHUB_TOKEN", token, 1);
	/* nothing listens on the discard port */
	assert_true(vcs_push(repo, "http://127.0.0.1:9/o/r.git", "fix-c", 0) < 0);
	assert_null(strstr(error_last(), token));
	assert_non_null(strstr(error_last(), "fix-c"));
	unsetenv("GITHUB_TOKEN");
	vcs_free(repo);
}

/* ---- main ---- */

static void isolate_environment(void)
{
	static const char *const unset[] = {
		"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
		"GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_CEILING_DIRECTORIES",
		"GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_AUTHOR_DATE", "GIT_COMMITTER_NAME",
		"GIT_COMMITTER_EMAIL", "GIT_COMMITTER_DATE", "GIT_CONFIG", "GIT_CONFIG_GLOBAL",
		"GIT_CONFIG_SYSTEM", "GIT_CONFIG_COUNT", "GIT_CONFIG_PARAMETERS", "XDG_CONFIG_HOME",
		"EMAIL",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(unset); i++)
		unsetenv(unset[i]);
	/* before libgit2 is first initialised: it reads HOME then */
	if (fs_mkdtemp(&home, "pf-test-vcs-home") < 0) {
		fprintf(stderr, "%s\n", error_last());
		exit(1);
	}
	setenv("HOME", home.ptr, 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
}

/* a killed writer's lock on a fix branch goes; the index's and another ref's stay */
static void vcs__branch_locks_remove_only_the_prefixed_ones(void **state)
{
	struct fixture *f = *state;
	struct strvec removed = STRVEC_INIT;
	struct buf want = BUF_INIT;
	struct vcs_repo *repo = open_ok(f->repo.ptr);

	write_text(f->repo.ptr, ".git/refs/heads/fix-a.lock", "x\n");
	write_text(f->repo.ptr, ".git/logs/refs/heads/fix-a.lock", "x\n");
	write_text(f->repo.ptr, ".git/refs/heads/main.lock", "x\n");
	write_text(f->repo.ptr, ".git/refs/heads/fix-b", "x\n");
	write_text(f->repo.ptr, ".git/index.lock", "x\n");
	assert_ok(vcs_branch_locks_remove(&removed, repo, "fix-"));
	assert_int_equal(removed.nr, 2);
	path_in(&want, f->repo.ptr, ".git/refs/heads/fix-a.lock");
	assert_int_not_equal(strvec_find(&removed, want.ptr), -1);
	assert_false(exists(f->repo.ptr, ".git/refs/heads/fix-a.lock"));
	assert_false(exists(f->repo.ptr, ".git/logs/refs/heads/fix-a.lock"));
	assert_true(exists(f->repo.ptr, ".git/refs/heads/main.lock"));
	assert_true(exists(f->repo.ptr, ".git/refs/heads/fix-b"));
	assert_true(exists(f->repo.ptr, ".git/index.lock"));
	strvec_clear(&removed);
	buf_release(&want);
	vcs_free(repo);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(vcs__open_finds_the_repository_from_a_subdirectory),
		T(vcs__open_outside_a_repository_is_notfound),
		T(vcs__branch_locks_remove_only_the_prefixed_ones),
		T(vcs__unborn_head_is_notfound),
		T(vcs__detached_head_has_no_branch),
		T(vcs__checkout_to_writes_the_tree_and_leaves_the_repo_alone),
		T(vcs__checkout_to_refuses_a_non_empty_directory),
		T(vcs__commit_files_makes_a_commit_without_moving_refs),
		T(vcs__commit_files_falls_back_to_our_signature),
		T(vcs__commit_files_applies_the_filters_git_would),
		T(vcs__commit_files_rejects_bad_paths),
		T(vcs__branches_set_exist_list_target_delete),
		T(vcs__branch_set_conflicts_unless_forced),
		T(vcs__current_branch_is_never_moved_or_deleted),
		T(vcs__branch_name_sanitize_makes_valid_names),
		T(vcs__diff_is_taken_by_git_apply),
		T(vcs__diff_files_shows_an_attempt_and_writes_nothing),
		T(vcs__diff_texts_needs_no_repository),
		T(vcs__apply_to_workdir_applies_and_reports_conflicts),
		T(vcs__apply_to_batch_merges_the_users_edits_and_refuses_overlaps),
		T(vcs__is_dirty_counts_tracked_changes_only),
		T(vcs__exclude_is_idempotent),
		T(vcs__blame_authors_most_lines_first),
		T(vcs__push_by_path_and_by_remote_name),
		T(vcs__push_non_fast_forward_is_a_conflict_unless_forced),
		T(vcs__remote_url_hides_a_password),
		T(vcs__push_failure_never_shows_the_token),
#undef T
	};
	int rc;

	isolate_environment();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	fs_remove_tree(home.ptr);
	buf_release(&home);
	return rc;
}
