#define _GNU_SOURCE

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <cmocka.h>

#include "util/buf.h"
#include "util/error.h"
#include "util/proc.h"
#include "util/sig.h"
#include "util/strvec.h"
#include "util/xalloc.h"

/* short enough to keep the suite fast, long enough for a loaded machine */
#define TEST_GRACE_MS 300
#define TEST_SLOW_S 3.0

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * proc_run() reaped `leader`, and nothing of its tree is left running:
 * orphans handed to us (we are a subreaper, see main) must be dead, and are
 * reaped here.
 */
static void assert_tree_gone(pid_t leader)
{
	int i;
	for (i = 0; i < 300; i++) {
		pid_t got = waitpid(-1, NULL, WNOHANG);
		assert_true(leader <= 0 || got != leader);
		if (got < 0) {
			assert_int_equal(errno, ECHILD);
			return;
		}
		if (!got)
			sleep_ms(10);
	}
	fail_msg("a process of the tree of %d is still running", (int)leader);
}

/*
 * Whether `pid` is gone within a few seconds. The test process is a child
 * subreaper (see main), so orphans killed by proc_run() come back to us as
 * zombies and are reaped here; otherwise they must disappear by themselves.
 */
static int wait_gone(pid_t pid)
{
	int i;
	for (i = 0; i < 300; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return 1;
		if (kill(pid, 0) < 0 && errno == ESRCH)
			return 1;
		sleep_ms(10);
	}
	return 0;
}

static pid_t first_line_pid(const struct buf *out)
{
	char *end;
	long v = strtol(out->ptr, &end, 10);
	assert_true(end != out->ptr && *end == '\n' && v > 0);
	return (pid_t)v;
}

static int run(struct proc_result *res, struct proc_options *o, const char *const *argv)
{
	o->argv = argv;
	return proc_run(res, o);
}

/* what a child that runs proc_run() tells its parent: the pid of its own child */
struct pid_report {
	struct proc_result *res;
	int fd;
	int sent;
};

static int report_pid(void *payload)
{
	struct pid_report *p = payload;
	if (!p->sent && p->res->pid > 0) {
		ssize_t n = write(p->fd, &p->res->pid, sizeof(p->res->pid));
		p->sent = n == (ssize_t)sizeof(p->res->pid);
	}
	return 0;
}

static void proc__child_dies_with_us_even_on_sigkill(void **state)
{
	int fds[2];
	pid_t runner, child = 0;
	(void)state;

	assert_int_equal(pipe(fds), 0);
	runner = fork();
	assert_true(runner >= 0);
	if (!runner) {
		const char *const argv[] = { "sleep", "60", NULL };
		struct proc_options o = PROC_OPTIONS_INIT;
		struct proc_result res = PROC_RESULT_INIT;
		struct pid_report rep = { &res, fds[1], 0 };
		o.tick = report_pid;
		o.tick_ms = 10;
		o.payload = &rep;
		o.argv = argv;
		proc_run(&res, &o);
		_exit(0);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &child, sizeof(child)), (ssize_t)sizeof(child));
	close(fds[0]);
	/* the runner is killed as `kill -9` would: it can clean up nothing */
	kill(runner, SIGKILL);
	assert_int_equal(waitpid(runner, NULL, 0), runner);
	assert_true(wait_gone(child));
}

/*
 * A `serve` worker (top) killed with SIGKILL while its job runner (middle)
 * has an agent running under /bin/sh (the sleep): the runner was told by
 * proc_die_with_parent(), so the agent goes too, and so does the runner.
 */
static void proc__what_a_runner_started_dies_with_its_parent(void **state)
{
	char path[] = "/tmp/pf-proc-agent-XXXXXX";
	int fds[2], fd;
	pid_t top, middle = 0, agent = 0;
	FILE *f;
	int i;
	(void)state;

	/* the orphans come to us, so that we can see them gone (reaped) */
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(pipe(fds), 0);
	top = fork();
	assert_true(top >= 0);
	if (!top) {
		pid_t parent = getpid();

		middle = fork();
		if (!middle) {
			char script[256];
			const char *argv[] = { "sh", "-c", script, NULL };
			struct proc_options o = PROC_OPTIONS_INIT;
			struct proc_result res = PROC_RESULT_INIT;

			proc_die_with_parent(parent);
			snprintf(script, sizeof(script), "sleep 60 & echo $! > %s; wait", path);
			o.argv = argv;
			proc_run(&res, &o);
			_exit(0);
		}
		if (write(fds[1], &middle, sizeof(middle)) != (ssize_t)sizeof(middle))
			_exit(1);
		pause();
		_exit(0);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &middle, sizeof(middle)), (ssize_t)sizeof(middle));
	close(fds[0]);
	for (i = 0; i < 500 && !agent; i++) {
		long v = 0;
		if ((f = fopen(path, "r"))) {
			if (fscanf(f, "%ld", &v) != 1)
				v = 0;
			fclose(f);
		}
		agent = (pid_t)v;
		if (!agent)
			sleep_ms(10);
	}
	assert_true(agent > 0);
	assert_int_equal(kill(agent, 0), 0);
	kill(top, SIGKILL);
	assert_int_equal(waitpid(top, NULL, 0), top);
	assert_true(wait_gone(middle));
	assert_true(wait_gone(agent));
	unlink(path);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
}

static void proc__what_the_child_leaves_in_its_group_is_killed(void **state)
{
	/* a daemon of the child's: its output closed, so nothing waits for it */
	const char *const argv[] = { "sh", "-c", "sleep 60 >/dev/null 2>&1 </dev/null & echo $!", NULL };
	struct proc_options o = PROC_OPTIONS_INIT;
	struct proc_result res = PROC_RESULT_INIT;
	(void)state;

	assert_int_equal(run(&res, &o, argv), 0);
	assert_int_equal(res.exit_code, 0);
	assert_true(res.elapsed < TEST_SLOW_S);
	assert_true(wait_gone(first_line_pid(&res.out)));
	proc_result_release(&res);
}

static void proc__exit_codes(void **state)
{
	const char *const ok[] = { "true", NULL };
	const char *const three[] = { "sh", "-c", "exit 3", NULL };
	struct proc_options o = PROC_OPTIONS_INIT;
	struct proc_result res = PROC_RESULT_INIT;
	struct buf how = BUF_INIT;
	(void)state;

	assert_int_equal(run(&res, &o, ok), 0);
	assert_int_equal(res.exit_code, 0);
	assert_int_equal(res.signal, 0);
	assert_true(res.pid > 0);
	assert_true(res.elapsed >= 0 && res.elapsed < TEST_SLOW_S);
	proc_result_release(&res);

	assert_int_equal(run(&res, &o, three), 0);
	assert_int_equal(res.exit_code, 3);
	assert_int_equal(res.signal, 0);
	assert_int_equal(res.timed_out + res.interrupted + res.tick_killed, 0);
	proc_describe_exit(&how, &res);
	assert_string_equal(how.ptr, "exited with 3");
	proc_result_release(&res);
	buf_release(&how);
	assert_tree_gone(res.pid);
}

static void proc__separates_stdout_and_stderr(void **state)
{
	const char *const argv[] = { "sh", "-c", "echo out; echo err >&2; echo out2", NULL };
	struct proc_options o = PROC_OPTIONS_INIT;
	struct proc_result res = PROC_RESULT_INIT;
	(void)state;

	assert_int_equal(run(&res, &o, argv), 0);
	assert_string_equal(res.out.ptr, "out\nout2\n");
	assert_string_equal(res.err.ptr, "err\n");
	assert_int_equal(res.out_omitted, 0);
	assert_int_equal(res.err_omitted, 0);
	proc_result_release(&res);
}

static void proc__merges_stderr_in_order(void **state)
{
	const char *const argv[] = { "sh", "-c", "echo out; echo err >&2; echo out2", NULL };
	struct proc_options o = PROC_OPTIONS_INIT;
	struct proc_result res = PROC_RESULT_INIT;
	(void)state;

	o.merge_stderr = 1;
	assert_int_equal(run(&res, &o, argv), 0);
	assert_string_equal(res.out.ptr, "out\nerr\nout2\n");
	assert_int_equal(res.err.len, 0);
	proc_result_release(&res);
}

static void proc__stdin_is_dev_null_by_default(void **state)
{
	const char *const argv[] = { "cat", NULL };
	struct proc_options o = PROC_OPTIONS_INIT;
	struct proc_result res = PROC_RESULT_INIT;
	(void)state;

	assert_int_equal(run(&res, &o, argv), 0);
	assert_int_equal(res.exit_code, 0);
	assert_int_equal(res.out.len, 0);
	proc_result_release(&res);
}

static void proc__echoes_stdin_through_cat(void **state)
{
	const char *const argv[] = { "cat", NULL };
	struct proc_options o = PROC_OPTIONS_INIT;
	struct proc_result res = PROC_RESULT_INIT;
	(void)state;

	o.stdin_data = "hello\nworld\n";
	o.stdin_len = strlen(o.stdin_data);
	assert_int_equal(run(&res, &o, argv), 0);
	assert_string_equal(res.out.ptr, "hello\nworld\n");
	proc_result_release(&res);

	/* given but empty: EOF at once */
	o.stdin_data = "";
	o.stdin_len = 0;
	assert_int_equal(run(&res, &o, argv), 0);
	assert_int_equal(res.out.len, 0);
	proc_result_release(&res);
}

/* more than any pipe buffer both ways: a write-all-then-read would deadlock */
static void proc__large_stdin_does_not_deadlock(void **state)
{
	const char *const argv[] = { "cat", NULL };
	struct proc_options o = PROC_OPTIONS_INIT;
	struct proc_result res = PROC_RESULT_INIT;
	size_t len = 1024 * 1024, i;
	char *data = xmalloc(len);
	(void)state;

	for (i = 0; i < len; i++)
		data[i] = (char)(i * 7 % 251);
	o.stdin_data = data;
	o.stdin_len = len;
	o.timeout_ms = 20000;
	assert_int_equal(run(&res, &o, argv), 0);
	assert_int_equal(res.timed_out, 0);
	assert_int_equal(res.exit_code, 0);
	assert_int_equal(res.out.len, len);
	assert_memory_equal(res.out.ptr, data, len);
	proc_result_release(&res);
	free(data);
}

/* a child that does not read its input: EPIPE for us, not a SIGPIPE death */
static void proc__stdin_tolerates_epipe(void **state)
{
	const char *const argv[] = { "sh", "-c", "echo done", NULL };
	struct proc_options o = PROC_OPTIONS_INIT;
	struct proc_result res = PROC_RESULT_INIT;
	size_t len = 4 * 1024 * 1024;
	char *data = xcalloc(len, 1);
	sigset_t pending;
	(void)state;

	signal(SIGPIPE, SIG_DFL);
	o.stdin_data = data;
	o.stdin_len = len;
	assert_int_equal(run(&res, &o, argv), 0);
	assert_int_equal(res.exit_code, 0);
	assert_string_equal(res.out.ptr, "done\n");
	sigpending(&pending);
	assert_false(sigismember(&pending, SIGPIPE));
	proc_result_release(&res);
	free(data);
}

static void proc__missing_program_is_notfound(void **state)
{
	const char *const argv[] = { "pf-no-such-program", "x", NULL };
	const char *const slash[] = { "/nonexistent/pf-no-such-program", NULL };
	struct proc_options o = PROC_OPTIONS_INIT;
	struct proc_result res = PROC_RESULT_INIT;
	(void)state;

	assert_int_equal(run(&res, &o, argv), ERR_NOTFOUND);
	assert_string_equal(error_last(),
			    "cannot run 'pf-no-such-program': No such file or directory");
	proc_result_release(&res);

	assert_int_equal(run(&res, &o, slash), ERR_NOTFOUND);
	assert_non_null(strstr(error_last(), "'/nonexistent/pf-no-such-program'"));
	proc_result_release(&res);
	assert_tree_gone(res.pid);
}

static void proc__not_executable_is_an_error(void **state)
{
	char path[] = "/tmp/pf-proc-test-XXXXXX";
	const char *const argv[] = { path, NULL };
	struct proc_options o = PROC_OPTIONS_INIT;
	struct proc_result res = PROC_RESULT_INIT;
	int fd = mkstemp(path);
	(void)state;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "#!/bin/sh\n", 10), 10);
	close(fd);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(run(&res, &o, argv), ERR_GENERIC);
	assert_non_null(strstr(error_last(), path));
	assert_non_null(strstr(error_last(), "Permission denied"));
	proc_result_release(&res);
	unlink(path);
	assert_tree_gone(res.pid);
}

static void proc__runs_in_cwd(void **state)
{
	const char *const argv[] = { "pwd", NULL };
	struct proc_options o = PROC_OPTIONS_INIT;
	struct proc_result res = PROC_RESULT_INIT;
	(void)state;

	o.cwd = "/";
	assert_int_equal(run(&res, &o, argv), 0);
	assert_string_equal(res.out.ptr, "/\n");
	proc_result_release(&res);
}

static void proc__bad_cwd_names_the_directory(void **state)
{
	const char *const argv[] = { "pwd", NULL };
	struct proc_options o = PROC_OPTIONS_INIT;
	struct proc_result res = PROC_RESULT_INIT;
	(void)state;

	o.cwd = "/nonexistent/pf-dir";
	assert_int_equal(run(&res, &o, argv), ERR_GENERIC);
	assert_string_equal(error_last(), "cannot run 'pwd': cannot change to directory "
			    "'/nonexistent/pf-dir': No such file or directory");
	proc_result_release(&res);
	assert_tree_gone(res.pid);
}

static void proc__env_set_and_unset(void **state)
{
	const char *const echo[] = { "sh", "-c", "echo \"$PF_PROC_SET\"", NULL };
	const char *const env_argv[] = { "env", NULL };
	struct proc_options o = PROC_OPTIONS_INIT;
	struct proc_result res = PROC_RESULT_INIT;
	struct strvec env = STRVEC_INIT;
	const char *p;
	(void)state;

	setenv("PF_PROC_GONE", "1", 1);
	setenv("PF_PROC_OLD", "old", 1);
	setenv("PF_PROC_KEPT", "kept", 1);
	strvec_push(&env, "PF_PROC_SET=hello world");
	strvec_push(&env, "PF_PROC_GONE");
	strvec_push(&env, "PF_PROC_OLD=mid");
	strvec_push(&env, "PF_PROC_OLD=new");
	strvec_push(&env, "PF_PROC_LATE=1");
	strvec_push(&env, "PF_PROC_LATE");
	o.env = &env;

	assert_int_equal(run(&res, &o, echo), 0);
	assert_string_equal(res.out.ptr, "hello world\n");
	proc_result_release(&res);

	assert_int_equal(run(&res, &o, env_argv), 0);
	assert_null(strstr(res.out.ptr, "PF_PROC_GONE="));
	assert_null(strstr(res.out.ptr, "PF_PROC_LATE="));
	assert_non_null(strstr(res.out.ptr, "PF_PROC_KEPT=kept\n"));
	p = strstr(res.out.ptr, "PF_PROC_OLD=");
	assert_non_null(p);
	assert_true(!strncmp(p, "PF_PROC_OLD=new\n", 16));
	assert_null(strstr(p + 1, "PF_PROC_OLD="));
	proc_result_release(&res);

	/* ours is untouched */
	assert_string_equal(getenv("PF_PROC_GONE"), "1");
	assert_string_equal(getenv("PF_PROC_OLD"), "old");
	assert_null(getenv("PF_PROC_SET"));
	unsetenv("PF_PROC_GONE");
	unsetenv("PF_PROC_OLD");
	unsetenv("PF_PROC_KEPT");
	strvec_clear(&env);
}

/* the program is looked up with the child's PATH */
static void proc__path_lookup_uses_child_env(void **state)
{
	const char *const argv[] = { "sh", "-c", "true", NULL };
	struct proc_options o = PROC_OPTIONS_INIT;
	struct proc_result res = PROC_RESULT_INIT;
	struct strvec env = STRVEC_INIT;
	(void)state;

	strvec_push(&env, "PATH=/nonexistent/pf-bin");
	o.env = &env;
	assert_int_equal(run(&res, &o, argv), ERR_NOTFOUND);
	assert_non_null(strstr(error_last(), "'sh'"));
	proc_result_release(&res);
	strvec_clear(&env);
}

static void proc__timeout_kills_fast(void **state)
{
	const char *const argv[] = { "sleep", "30", NULL };
	struct proc_options o = PROC_OPTIONS_INIT;
	struct proc_result res = PROC_RESULT_INIT;
	struct buf how = BUF_INIT;
	(void)state;

	o.timeout_ms = 200;
	o.kill_grace_ms = TEST_GRACE_MS;
	assert_int_equal(run(&res, &o, argv), 0);
	assert_int_equal(res.timed_out, 1);
	assert_int_equal(res.signal, SIGTERM);
	assert_int_not_equal(res.exit_code, 0);
	assert_true(res.elapsed >= 0.19 && res.elapsed < TEST_SLOW_S);
	proc_describe_exit(&how, &res);
	assert_true(!strncmp(how.ptr, "timed out after 0.", 18));
	assert_true(!strcmp(how.ptr + strlen(how.ptr) - 2, " s"));
	buf_release(&how);
	proc_result_release(&res);
	assert_tree_gone(res.pid);
}

static void proc__timeout_kills_grandchildren(void **state)
{
	const char *const argv[] = { "sh", "-c", "sleep 30 & echo $!; sleep 30; wait", NULL };
	struct proc_options o = PROC_OPTIONS_INIT;
	struct proc_result res = PROC_RESULT_INIT;
	pid_t grandchild;
	(void)state;

	o.timeout_ms = 300;
	o.kill_grace_ms = TEST_GRACE_MS;
	assert_int_equal(run(&res, &o, argv), 0);
	assert_int_equal(res.timed_out, 1);
	assert_true(res.elapsed < TEST_SLOW_S);
	grandchild = first_line_pid(&res.out);
	assert_true(wait_gone(grandchild));
	proc_result_release(&res);
	assert_tree_gone(res.pid);
}

/* output written after SIGTERM, during the grace period, is still read */
static void proc__drains_output_after_sigterm(void **state)
{
	const char *const argv[] = {
		"sh", "-c", "trap 'echo got term; exit 3' TERM; echo start; "
		"while :; do sleep 0.05; done", NULL
	};
	struct proc_options o = PROC_OPTIONS_INIT;
	struct proc_result res = PROC_RESULT_INIT;
	(void)state;

	o.timeout_ms = 200;
	o.kill_grace_ms = 2000;
	assert_int_equal(run(&res, &o, argv), 0);
	assert_int_equal(res.timed_out, 1);
	assert_int_equal(res.signal, 0);
	assert_int_equal(res.exit_code, 3);
	assert_string_equal(res.out.ptr, "start\ngot term\n");
	assert_true(res.elapsed < 1.5);
	proc_result_release(&res);
	assert_tree_gone(res.pid);
}

/* a group that ignores SIGTERM gets SIGKILL after the grace period */
static void proc__timeout_escalates_to_sigkill(void **state)
{
	const char *const argv[] = { "sh", "-c", "trap '' TERM; echo ready; sleep 30", NULL };
	struct proc_options o = PROC_OPTIONS_INIT;
	struct proc_result res = PROC_RESULT_INIT;
	(void)state;

	o.timeout_ms = 200;
	o.kill_grace_ms = TEST_GRACE_MS;
	assert_int_equal(run(&res, &o, argv), 0);
	assert_int_equal(res.timed_out, 1);
	assert_int_equal(res.signal, SIGKILL);
	assert_string_equal(res.out.ptr, "ready\n");
	assert_true(res.elapsed >= 0.45 && res.elapsed < TEST_SLOW_S);
	proc_result_release(&res);
	assert_tree_gone(res.pid);
}

/* the leader exits, a background child keeps the pipes open: no hang */
static void proc__background_grandchild_does_not_hang(void **state)
{
	const char *const argv[] = { "sh", "-c", "sleep 100 & echo $!; exit 0", NULL };
	struct proc_options o = PROC_OPTIONS_INIT;
	struct proc_result res = PROC_RESULT_INIT;
	pid_t grandchild;
	(void)state;

	o.kill_grace_ms = TEST_GRACE_MS;
	assert_int_equal(run(&res, &o, argv), 0);
	assert_int_equal(res.exit_code, 0);
	assert_int_equal(res.signal, 0);
	assert_int_equal(res.timed_out + res.interrupted + res.tick_killed, 0);
	assert_true(res.elapsed >= 0.25 && res.elapsed < TEST_SLOW_S);
	grandchild = first_line_pid(&res.out);
	assert_true(wait_gone(grandchild));
	proc_result_release(&res);
	assert_tree_gone(res.pid);
}

static size_t rss_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (size_t)ru.ru_maxrss;
}

static void proc__output_cap_keeps_head_and_tail(void **state)
{
	const char *const argv[] = {
		"sh", "-c", "head -c 50000000 /dev/zero | tr '\\0' a", NULL
	};
	struct proc_options o = PROC_OPTIONS_INIT;
	struct proc_result res = PROC_RESULT_INIT;
	struct buf want = BUF_INIT;
	size_t rss_before = rss_kb();
	(void)state;

	o.out_cap = 1000;
	assert_int_equal(run(&res, &o, argv), 0);
	assert_int_equal(res.exit_code, 0);
	assert_int_equal(res.out_omitted, 50000000 - 1000);
	/* 500 a's, the line, 500 a's */
	while (want.len < 500)
		buf_addch(&want, 'a');
	buf_adds(&want, "\n[... 49999000 bytes omitted ...]\n");
	while (want.len < 500 + 34 + 500)
		buf_addch(&want, 'a');
	assert_int_equal(res.out.len, want.len);
	assert_string_equal(res.out.ptr, want.ptr);
	/* our memory stayed near the cap, nowhere near the 50 MB */
	assert_true(res.out.alloc <= 4096);
	assert_true(rss_kb() - rss_before < 16 * 1024);
	buf_release(&want);
	proc_result_release(&res);
}

/* which bytes are kept, in which order, across the ring's wrap */
static void proc__output_cap_keeps_order(void **state)
{
	const char *const argv[] = { "seq", "1", "100000", NULL };
	struct proc_options o = PROC_OPTIONS_INIT;
	struct proc_result res = PROC_RESULT_INIT;
	struct buf all = BUF_INIT;
	struct buf want = BUF_INIT;
	int i;
	(void)state;

	for (i = 1; i <= 100000; i++)
		buf_addf(&all, "%d\n", i);
	o.out_cap = 65;
	assert_int_equal(run(&res, &o, argv), 0);
	assert_int_equal(res.out_omitted, all.len - 65);
	buf_add(&want, all.ptr, 32);
	buf_addf(&want, "\n[... %zu bytes omitted ...]\n", all.len - 65);
	buf_add(&want, all.ptr + all.len - 33, 33);
	assert_string_equal(res.out.ptr, want.ptr);
	proc_result_release(&res);
	buf_release(&all);
	buf_release(&want);
}

static void proc__output_at_cap_is_whole(void **state)
{
	const char *const argv[] = { "printf", "0123456789", NULL };
	struct proc_options o = PROC_OPTIONS_INIT;
	struct proc_result res = PROC_RESULT_INIT;
	(void)state;

	o.out_cap = 10;
	assert_int_equal(run(&res, &o, argv), 0);
	assert_string_equal(res.out.ptr, "0123456789");
	assert_int_equal(res.out_omitted, 0);
	proc_result_release(&res);

	o.out_cap = 9;
	assert_int_equal(run(&res, &o, argv), 0);
	assert_string_equal(res.out.ptr, "0123\n[... 1 bytes omitted ...]\n56789");
	assert_int_equal(res.out_omitted, 1);
	proc_result_release(&res);
}

static void proc__stderr_has_its_own_cap(void **state)
{
	const char *const argv[] = {
		"sh", "-c", "echo hi; head -c 1000 /dev/zero | tr '\\0' e >&2", NULL
	};
	struct proc_options o = PROC_OPTIONS_INIT;
	struct proc_result res = PROC_RESULT_INIT;
	(void)state;

	o.err_cap = 100;
	o.out_cap = 2;
	assert_int_equal(run(&res, &o, argv), 0);
	assert_string_equal(res.out.ptr, "h\n[... 1 bytes omitted ...]\n\n");
	assert_int_equal(res.out_omitted, 1);
	assert_int_equal(res.err_omitted, 900);
	assert_int_equal(res.err.len, 100 + strlen("\n[... 900 bytes omitted ...]\n"));
	assert_true(!strncmp(res.err.ptr, "eeeee", 5));
	assert_true(!strcmp(res.err.ptr + res.err.len - 5, "eeeee"));
	proc_result_release(&res);
}

static void proc__reports_signal(void **state)
{
	const char *const argv[] = { "sh", "-c", "kill -SEGV $$", NULL };
	struct proc_options o = PROC_OPTIONS_INIT;
	struct proc_result res = PROC_RESULT_INIT;
	struct buf how = BUF_INIT;
	(void)state;

	assert_int_equal(run(&res, &o, argv), 0);
	assert_int_equal(res.signal, SIGSEGV);
	assert_int_equal(res.exit_code, 128 + SIGSEGV);
	assert_int_equal(res.timed_out + res.interrupted + res.tick_killed, 0);
	proc_describe_exit(&how, &res);
	assert_string_equal(how.ptr, "killed by signal 11 (SIGSEGV)");
	buf_release(&how);
	proc_result_release(&res);
}

/* what we ignore, the child does not: it gets default dispositions */
static void proc__child_signals_are_reset(void **state)
{
	const char *const argv[] = { "sh", "-c", "kill -PIPE $$; echo survived", NULL };
	struct proc_options o = PROC_OPTIONS_INIT;
	struct proc_result res = PROC_RESULT_INIT;
	(void)state;

	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(run(&res, &o, argv), 0);
	signal(SIGPIPE, SIG_DFL);
	assert_int_equal(res.signal, SIGPIPE);
	assert_string_equal(res.out.ptr, "");
	proc_result_release(&res);
}

static int tick_count_to_3(void *payload)
{
	int *n = payload;
	return ++*n >= 3;
}

static void proc__tick_callback_kills(void **state)
{
	const char *const argv[] = { "sleep", "30", NULL };
	struct proc_options o = PROC_OPTIONS_INIT;
	struct proc_result res = PROC_RESULT_INIT;
	struct buf how = BUF_INIT;
	int ticks = 0;
	(void)state;

	o.tick = tick_count_to_3;
	o.tick_ms = 20;
	o.payload = &ticks;
	o.kill_grace_ms = TEST_GRACE_MS;
	assert_int_equal(run(&res, &o, argv), 0);
	assert_int_equal(ticks, 3);
	assert_int_equal(res.tick_killed, 1);
	assert_int_equal(res.timed_out + res.interrupted, 0);
	assert_true(res.elapsed >= 0.055 && res.elapsed < TEST_SLOW_S);
	proc_describe_exit(&how, &res);
	assert_string_equal(how.ptr, "killed: the watchdog stopped it");
	buf_release(&how);
	proc_result_release(&res);
	assert_tree_gone(res.pid);
}

static int tick_raise_sigint(void *payload)
{
	int *n = payload;
	if (!(*n)++)
		raise(SIGINT);
	return 0;
}

static void restore_default_signals(void)
{
	sig_reset();
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
}

static void proc__interrupted_by_pending_signal(void **state)
{
	const char *const argv[] = { "sleep", "30", NULL };
	struct proc_options o = PROC_OPTIONS_INIT;
	struct proc_result res = PROC_RESULT_INIT;
	struct buf how = BUF_INIT;
	int ticks = 0;
	(void)state;

	sig_install();
	o.tick = tick_raise_sigint;
	o.tick_ms = 20;
	o.payload = &ticks;
	o.kill_grace_ms = TEST_GRACE_MS;
	assert_int_equal(run(&res, &o, argv), 0);
	assert_int_equal(sig_pending(), SIGINT);
	restore_default_signals();
	assert_int_equal(res.interrupted, 1);
	assert_int_equal(res.timed_out + res.tick_killed, 0);
	assert_true(res.elapsed < TEST_SLOW_S);
	proc_describe_exit(&how, &res);
	assert_string_equal(how.ptr, "stopped: interrupted");
	buf_release(&how);
	proc_result_release(&res);
	assert_tree_gone(res.pid);
}

static void proc__no_interrupt_runs_to_the_end(void **state)
{
	const char *const argv[] = { "sh", "-c", "sleep 0.2; echo finished", NULL };
	struct proc_options o = PROC_OPTIONS_INIT;
	struct proc_result res = PROC_RESULT_INIT;
	int ticks = 0;
	(void)state;

	sig_install();
	o.tick = tick_raise_sigint;
	o.tick_ms = 20;
	o.payload = &ticks;
	o.no_interrupt = 1;
	assert_int_equal(run(&res, &o, argv), 0);
	assert_int_equal(sig_pending(), SIGINT);
	restore_default_signals();
	assert_int_equal(res.interrupted, 0);
	assert_int_equal(res.exit_code, 0);
	assert_string_equal(res.out.ptr, "finished\n");
	assert_true(ticks > 1);
	proc_result_release(&res);
}

static void proc__describe_exit(void **state)
{
	struct proc_result res = PROC_RESULT_INIT;
	struct buf how = BUF_INIT;
	(void)state;

	res.exit_code = 1;
	proc_describe_exit(&how, &res);
	assert_string_equal(how.ptr, "exited with 1");

	buf_reset(&how);
	res.signal = SIGKILL;
	proc_describe_exit(&how, &res);
	assert_string_equal(how.ptr, "killed by signal 9 (SIGKILL)");

	buf_reset(&how);
	res.timed_out = 1;
	res.elapsed = 30.04;
	proc_describe_exit(&how, &res);
	assert_string_equal(how.ptr, "timed out after 30.0 s");

	buf_reset(&how);
	res.timed_out = 0;
	res.interrupted = 1;
	proc_describe_exit(&how, &res);
	assert_string_equal(how.ptr, "stopped: interrupted");

	buf_reset(&how);
	res.interrupted = 0;
	res.tick_killed = 1;
	proc_describe_exit(&how, &res);
	assert_string_equal(how.ptr, "killed: the watchdog stopped it");
	buf_release(&how);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(proc__exit_codes),
		cmocka_unit_test(proc__separates_stdout_and_stderr),
		cmocka_unit_test(proc__merges_stderr_in_order),
		cmocka_unit_test(proc__stdin_is_dev_null_by_default),
		cmocka_unit_test(proc__echoes_stdin_through_cat),
		cmocka_unit_test(proc__large_stdin_does_not_deadlock),
		cmocka_unit_test(proc__stdin_tolerates_epipe),
		cmocka_unit_test(proc__missing_program_is_notfound),
		cmocka_unit_test(proc__not_executable_is_an_error),
		cmocka_unit_test(proc__runs_in_cwd),
		cmocka_unit_test(proc__bad_cwd_names_the_directory),
		cmocka_unit_test(proc__env_set_and_unset),
		cmocka_unit_test(proc__path_lookup_uses_child_env),
		cmocka_unit_test(proc__timeout_kills_fast),
		cmocka_unit_test(proc__timeout_kills_grandchildren),
		cmocka_unit_test(proc__drains_output_after_sigterm),
		cmocka_unit_test(proc__timeout_escalates_to_sigkill),
		cmocka_unit_test(proc__background_grandchild_does_not_hang),
		cmocka_unit_test(proc__output_cap_keeps_head_and_tail),
		cmocka_unit_test(proc__output_cap_keeps_order),
		cmocka_unit_test(proc__output_at_cap_is_whole),
		cmocka_unit_test(proc__stderr_has_its_own_cap),
		cmocka_unit_test(proc__reports_signal),
		cmocka_unit_test(proc__child_signals_are_reset),
		cmocka_unit_test(proc__tick_callback_kills),
		cmocka_unit_test(proc__interrupted_by_pending_signal),
		cmocka_unit_test(proc__no_interrupt_runs_to_the_end),
		cmocka_unit_test(proc__describe_exit),
		cmocka_unit_test(proc__child_dies_with_us_even_on_sigkill),
		cmocka_unit_test(proc__what_the_child_leaves_in_its_group_is_killed),
		cmocka_unit_test(proc__what_a_runner_started_dies_with_its_parent),
	};
	struct rlimit no_core = { 0, 0 };

	/* the SIGSEGV test must not leave a core file behind */
	setrlimit(RLIMIT_CORE, &no_core);
#ifdef __linux__
	/* orphans killed by proc_run() come back to us, not to a PID 1 that may not reap */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
#endif
	return cmocka_run_group_tests(tests, NULL, NULL);
}
