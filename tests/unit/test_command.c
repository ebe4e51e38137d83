/*
 * The command engine (src/engine/command.c) and what it takes from an
 * agent's copy of the project (src/engine/collect.c): real trees, real
 * /bin/sh agents.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine/collect.h"
#include "engine/engine.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/secret.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct trees {
	struct buf root, before, after;
};

static void write_at(const char *dir, const char *rel, const char *text)
{
	struct buf path = BUF_INIT;
	char *slash;

	buf_addf(&path, "%s/%s", dir, rel);
	slash = strrchr(path.ptr, '/');
	*slash = '\0';
	assert_int_equal(fs_mkdir_p(path.ptr, 0755), 0);
	*slash = '/';
	assert_int_equal(fs_write_atomic(path.ptr, text, strlen(text), 0644), 0);
	buf_release(&path);
}

static void path_at(struct buf *out, const char *dir, const char *rel)
{
	buf_reset(out);
	buf_addf(out, "%s/%s", dir, rel);
}

static int setup(void **state)
{
	struct trees *t = xcalloc(1, sizeof(*t));

	buf_init(&t->root, 0);
	buf_init(&t->before, 0);
	buf_init(&t->after, 0);
	assert_int_equal(fs_mkdtemp(&t->root, "pf-collect"), 0);
	buf_addf(&t->before, "%s/before", t->root.ptr);
	write_at(t->before.ptr, "calc.py", "def add(a, b):\n    return a - b\n");
	write_at(t->before.ptr, "tests/test_calc.py", "from calc import add\n");
	write_at(t->before.ptr, "pkg/util.py", "X = 1\n");
	buf_addf(&t->after, "%s/after", t->root.ptr);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct trees *t = *state;
	fs_remove_tree(t->root.ptr);
	buf_release(&t->root);
	buf_release(&t->before);
	buf_release(&t->after);
	free(t);
	return 0;
}

/* `after` as a copy of `before` */
static void copy(struct trees *t)
{
	assert_int_equal(fs_copy_tree(t->before.ptr, t->after.ptr, NULL), 0);
}

static void collect__an_untouched_copy_with_caches_is_no_change(void **state)
{
	struct trees *t = *state;
	struct change c;
	struct buf p = BUF_INIT;

	copy(t);
	write_at(t->after.ptr, "__pycache__/calc.cpython-311.pyc", "bytecode");
	write_at(t->after.ptr, ".pytest_cache/v/cache/lastfailed", "{}");
	write_at(t->after.ptr, ".git/HEAD", "ref: refs/heads/main\n");
	write_at(t->after.ptr, "pkg/.mypy_cache/x", "1");
	write_at(t->after.ptr, "pkg/old.pyc", "1");
	path_at(&p, t->after.ptr, "calc.py");
	assert_int_equal(chmod(p.ptr, 0755), 0);   /* a mode alone is no change */
	assert_int_equal(collect_change(&c, t->before.ptr, t->after.ptr), 0);
	assert_int_equal(c.nr, 0);
	change_release(&c);
	buf_release(&p);
}

static void collect__changed_and_new_files_are_rewrites_in_path_order(void **state)
{
	struct trees *t = *state;
	struct change c;

	copy(t);
	write_at(t->after.ptr, "calc.py", "def add(a, b):\n    return a + b\n");
	write_at(t->after.ptr, "pkg/new/helper.py", "Y = 2\n");
	write_at(t->after.ptr, "a_first.py", "");
	assert_int_equal(collect_change(&c, t->before.ptr, t->after.ptr), 0);
	assert_int_equal(c.nr, 3);
	assert_string_equal(c.edits[0].path, "a_first.py");
	assert_string_equal(c.edits[0].content, "");
	assert_string_equal(c.edits[1].path, "calc.py");
	assert_int_equal(c.edits[1].mode, EDIT_REWRITE);
	assert_string_equal(c.edits[1].content, "def add(a, b):\n    return a + b\n");
	assert_string_equal(c.edits[2].path, "pkg/new/helper.py");
	assert_string_equal(c.edits[2].content, "Y = 2\n");
	change_release(&c);
}

/* collect_change() refuses, naming `what` in its message, and leaves the change empty */
static void assert_refused(struct trees *t, int code, const char *what)
{
	struct change c;

	assert_int_equal(collect_change(&c, t->before.ptr, t->after.ptr), code);
	assert_int_equal(c.nr, 0);
	if (!strstr(error_last(), what))
		fail_msg("'%s' does not say '%s'", error_last(), what);
}

static void collect__a_new_symlink_is_refused_an_old_one_is_kept(void **state)
{
	struct trees *t = *state;
	struct buf p = BUF_INIT;
	struct change c;

	path_at(&p, t->before.ptr, "link.py");
	assert_int_equal(symlink("calc.py", p.ptr), 0);
	copy(t);
	assert_int_equal(collect_change(&c, t->before.ptr, t->after.ptr), 0);
	assert_int_equal(c.nr, 0);
	change_release(&c);

	/* the same name pointing elsewhere: outside the project */
	path_at(&p, t->after.ptr, "link.py");
	assert_int_equal(unlink(p.ptr), 0);
	assert_int_equal(symlink("/etc/passwd", p.ptr), 0);
	assert_refused(t, ERR_USAGE, "'link.py' is a new symlink");

	/* a file replaced by a symlink to a fixed copy outside */
	assert_int_equal(unlink(p.ptr), 0);
	assert_int_equal(symlink("calc.py", p.ptr), 0);
	path_at(&p, t->after.ptr, "calc.py");
	assert_int_equal(unlink(p.ptr), 0);
	assert_int_equal(symlink("../outside.py", p.ptr), 0);
	assert_refused(t, ERR_USAGE, "'calc.py' is a new symlink");
	buf_release(&p);
}

static void collect__deleted_files_are_delete_edits_after_the_rest(void **state)
{
	struct trees *t = *state;
	struct buf p = BUF_INIT;
	struct change c;

	write_at(t->before.ptr, "old/a.py", "A = 1\n");
	write_at(t->before.ptr, "old/sub/b.py", "B = 1\n");
	write_at(t->before.ptr, "old/__pycache__/a.cpython-311.pyc", "bytecode");
	copy(t);
	write_at(t->after.ptr, "zeta.py", "Z = 1\n");
	path_at(&p, t->after.ptr, "pkg/util.py");
	assert_int_equal(unlink(p.ptr), 0);
	path_at(&p, t->after.ptr, "old");
	assert_int_equal(fs_remove_tree(p.ptr), 0);
	assert_int_equal(collect_change(&c, t->before.ptr, t->after.ptr), 0);
	assert_int_equal(c.nr, 4);
	assert_int_equal(c.edits[0].mode, EDIT_REWRITE);
	assert_string_equal(c.edits[0].path, "zeta.py");
	assert_int_equal(c.edits[1].mode, EDIT_DELETE);
	assert_string_equal(c.edits[1].path, "old/a.py");
	assert_string_equal(c.edits[2].path, "old/sub/b.py");
	assert_string_equal(c.edits[3].path, "pkg/util.py");
	assert_null(c.edits[3].content);

	/* applied to `before`, it makes `after`; a second look finds nothing */
	assert_int_equal(change_apply(&c, t->before.ptr, NULL), 0);
	change_release(&c);
	assert_int_equal(collect_change(&c, t->before.ptr, t->after.ptr), 0);
	assert_int_equal(c.nr, 0);
	change_release(&c);

	/* a symlink deleted cannot be said by a change */
	path_at(&p, t->before.ptr, "link.py");
	assert_int_equal(symlink("calc.py", p.ptr), 0);
	assert_refused(t, ERR_USAGE, "the symlink 'link.py' was deleted");
	buf_release(&p);
}

static void collect__binary_special_and_replaced_entries_are_refused(void **state)
{
	struct trees *t = *state;
	struct buf p = BUF_INIT;

	copy(t);
	path_at(&p, t->after.ptr, "blob.bin");
	assert_int_equal(fs_write_atomic(p.ptr, "a\0b", 3, 0644), 0);
	assert_refused(t, ERR_USAGE, "'blob.bin' holds a NUL byte");
	assert_int_equal(unlink(p.ptr), 0);

	path_at(&p, t->after.ptr, "pipe");
	assert_int_equal(mkfifo(p.ptr, 0644), 0);
	assert_refused(t, ERR_USAGE, "'pipe' is a new special file");
	assert_int_equal(unlink(p.ptr), 0);

	/* a directory that became a file */
	assert_int_equal(fs_remove_tree((path_at(&p, t->after.ptr, "pkg"), p.ptr)), 0);
	write_at(t->after.ptr, "pkg", "not a package\n");
	assert_refused(t, ERR_USAGE, "'pkg' was a directory and is now a file");
	buf_release(&p);
}

static void collect__too_many_files_is_a_limit(void **state)
{
	struct trees *t = *state;
	struct buf rel = BUF_INIT;
	int i;

	copy(t);
	for (i = 0; i <= EDIT_MAX_EDITS; i++) {
		buf_reset(&rel);
		buf_addf(&rel, "gen/m%03d.py", i);
		write_at(t->after.ptr, rel.ptr, "x = 1\n");
	}
	assert_refused(t, ERR_LIMIT, "more than 256 files changed");
	buf_release(&rel);
}

/* ---- the engine, with /bin/sh agents ------------------------------------------------ */

static struct failure failure = {
	.id = "tests/test_calc.py::test_add", .file = "tests/test_calc.py", .test = "test_add",
	.kind = FAILURE_KIND_FAILURE, .error_type = "AssertionError",
	.message = "assert -1 == 5", .loc_file = "calc.py", .loc_line = 2,
};

static int propose(struct candidate_list *out, struct engine_exchange *x, struct trees *t,
		   const char *cmd, double timeout)
{
	struct engine_request req = ENGINE_REQUEST_INIT;

	req.failure = &failure;
	req.root = t->before.ptr;
	req.user_prompt = "add adds";
	req.feedback = "The change failed the 'target' gate: still wrong";
	req.agent_cmd = cmd;
	req.agent_timeout = timeout;
	req.exchange = x;
	memset(x, 0, sizeof(*x));
	return engine_command.propose(out, &req);
}

static void command__the_agent_fixes_a_copy_and_the_change_is_the_candidate(void **state)
{
	struct trees *t = *state;
	struct candidate_list l = CANDIDATE_LIST_INIT;
	struct engine_exchange x;
	struct buf p = BUF_INIT, got = BUF_INIT;
	/* the failure on stdin, in the JSON file and in variables; the copy is the cwd */
	const char *cmd =
		"cat > stdin.json.txt && cmp -s stdin.json.txt \"$PYTEST_FIXER_FAILURE_JSON\" && "
		"rm stdin.json.txt && "
		"grep -q '\"description\": \"add adds\"' \"$PYTEST_FIXER_FAILURE_JSON\" && "
		"grep -q \"failed the 'target' gate\" \"$PYTEST_FIXER_FAILURE_JSON\" && "
		"test \"$PYTEST_FIXER_FAILURE_ID\" = tests/test_calc.py::test_add && "
		"test \"$PYTEST_FIXER_FAILURE_LOCATION\" = calc.py:2 && "
		"test \"$PYTEST_FIXER_FAILURE_MESSAGE\" = 'assert -1 == 5' && "
		"sed -i 's/a - b/a + b/' calc.py && echo fixed it";

	assert_int_equal(propose(&l, &x, t, cmd, 30), 0);
	assert_int_equal(l.nr, 1);
	assert_string_equal(l.items[0].template_name, "command");
	assert_int_equal(l.items[0].change.nr, 1);
	assert_string_equal(l.items[0].change.edits[0].path, "calc.py");
	assert_string_equal(l.items[0].change.edits[0].content, "def add(a, b):\n    return a + b\n");
	assert_string_equal(l.items[0].change.description, "the agent's change to calc.py");
	assert_string_equal(x.provider, "command");
	assert_string_equal(x.outcome, "proposed");
	assert_string_equal(x.reply, "fixed it\n");
	assert_non_null(strstr(x.prompt, "\"id\": \"tests/test_calc.py::test_add\""));
	/* the original is untouched */
	path_at(&p, t->before.ptr, "calc.py");
	assert_int_equal(fs_read_file(&got, p.ptr, 0), 0);
	assert_string_equal(got.ptr, "def add(a, b):\n    return a - b\n");
	engine_exchange_release(&x);
	candidate_list_release(&l);
	buf_release(&p);
	buf_release(&got);
}

static void command__an_exit_a_hang_or_no_change_is_no_candidate_with_a_reason(void **state)
{
	struct trees *t = *state;
	struct candidate_list l = CANDIDATE_LIST_INIT;
	struct engine_exchange x;
	double started;

	assert_int_equal(propose(&l, &x, t, "echo cannot do it >&2; exit 3", 30), 0);
	assert_int_equal(l.nr, 0);
	assert_string_equal(x.outcome, "the agent exited with 3: cannot do it");
	engine_exchange_release(&x);

	assert_int_equal(propose(&l, &x, t, "true", 30), 0);
	assert_int_equal(l.nr, 0);
	assert_string_equal(x.outcome, "the agent changed nothing");
	engine_exchange_release(&x);

	assert_int_equal(propose(&l, &x, t, "ln -s /etc/passwd evil.py", 30), 0);
	assert_int_equal(l.nr, 0);
	assert_non_null(strstr(x.outcome, "the agent's change is refused: 'evil.py' is a new symlink"));
	engine_exchange_release(&x);

	/* a hang, and a child of it that holds the pipe: the whole group goes at the deadline */
	started = clock_monotonic();
	assert_int_equal(propose(&l, &x, t, "sleep 60 & sed -i s/a/b/ calc.py; sleep 60", 1), 0);
	assert_true(clock_monotonic() - started < 10);
	assert_int_equal(l.nr, 0);
	assert_non_null(strstr(x.outcome, "the agent timed out after"));
	engine_exchange_release(&x);

	assert_int_equal(propose(&l, &x, t, NULL, 30), ERR_USAGE);
	assert_non_null(strstr(error_last(), "--agent-cmd"));
	engine_exchange_release(&x);
}

static void command__the_agent_sees_none_of_our_secrets(void **state)
{
	struct trees *t = *state;
	struct candidate_list l = CANDIDATE_LIST_INIT;
	struct engine_exchange x;
	const char *key = "sk-unit-secret-0123456789abcdef";

	setenv("OPENAI_API_KEY", key, 1);
	setenv("GITHUB_TOKEN", "ghp_unittoken0123456789abcdef", 1);
	setenv("GIT_DIR", "/the/users/checkout/.git", 1);
	setenv("OLDPWD", "/the/users/checkout", 1);
	secret_add_env();
	/* the agent prints its whole environment; exit 1 keeps the copy unjudged */
	assert_int_equal(propose(&l, &x, t, "env; exit 1", 30), 0);
	assert_null(strstr(x.reply, "OPENAI_API_KEY"));
	assert_null(strstr(x.reply, "GITHUB_TOKEN"));
	assert_null(strstr(x.reply, key));
	/* nor a way back to the user's checkout */
	assert_null(strstr(x.reply, "/the/users/checkout"));
	assert_non_null(strstr(x.reply, "PYTEST_FIXER_FAILURE_ID="));
	engine_exchange_release(&x);
	secret_clear();
	unsetenv("OPENAI_API_KEY");
	unsetenv("GITHUB_TOKEN");
	unsetenv("GIT_DIR");
	unsetenv("OLDPWD");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(collect__an_untouched_copy_with_caches_is_no_change, setup, teardown),
		cmocka_unit_test_setup_teardown(collect__changed_and_new_files_are_rewrites_in_path_order, setup, teardown),
		cmocka_unit_test_setup_teardown(collect__a_new_symlink_is_refused_an_old_one_is_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(collect__deleted_files_are_delete_edits_after_the_rest, setup, teardown),
		cmocka_unit_test_setup_teardown(collect__binary_special_and_replaced_entries_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(collect__too_many_files_is_a_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(command__the_agent_fixes_a_copy_and_the_change_is_the_candidate, setup, teardown),
		cmocka_unit_test_setup_teardown(command__an_exit_a_hang_or_no_change_is_no_candidate_with_a_reason, setup, teardown),
		cmocka_unit_test_setup_teardown(command__the_agent_sees_none_of_our_secrets, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
