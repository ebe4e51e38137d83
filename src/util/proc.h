#ifndef UTIL_PROC_H
#define UTIL_PROC_H

#include "util/buf.h"
#include "util/strvec.h"

#include <stddef.h>
#include <signal.h>
#include <sys/types.h>

/*
 * Running a child process: argv, never a shell string. The child gets its
 * own process group, so a timeout or an interruption kills the whole tree
 * (SIGTERM to the group, a grace period, then SIGKILL); whatever is left in
 * the group when the child has exited is killed too. On Linux the child
 * also dies with us (PR_SET_PDEATHSIG, SIGKILL), even when we are killed
 * with SIGKILL and can clean up nothing. stdout and stderr
 * are pumped in one poll() loop into capped buffers; stdin is /dev/null
 * unless data is given.
 *
 * Output past a cap is not an error: the child keeps running, its output
 * keeps being read, and the captured text keeps the first half of the cap
 * and the last half, joined by a line "[... N bytes omitted ...]". The
 * number of omitted bytes is reported.
 */

#define PROC_DEFAULT_OUTPUT_CAP (4u * 1024 * 1024)
#define PROC_DEFAULT_KILL_GRACE_MS 2000
#define PROC_DEFAULT_TICK_MS 100
#define PROC_TRICKLE_BYTES 4096
#define PROC_BATCH_PIPE_SIZE (1024 * 1024)
/* how much is read from a pipe at a time */
#define PROC_READ_CHUNK (64u * 1024)

/* Called every `tick_ms` while the child runs. Return nonzero to kill it. */
typedef int (*proc_tick_fn)(void *payload);

struct proc_options {
	/*
	 * argv[0] is looked up in PATH when it has no '/', with the child's
	 * environment (after `env`) and from the child's directory (after
	 * `cwd`), as `cd cwd && env ... argv` would.
	 */
	const char *const *argv;
	/*
	 * Environment changes on top of ours: "NAME=value" sets, "NAME" unsets;
	 * a later change to the same name wins. NULL or empty: inherit ours.
	 * Either way the variables that hold our secrets are left out
	 * (secret_env_hidden() of util/secret.h; a change may set one again).
	 */
	const struct strvec *env;
	const char *cwd;           /* NULL: ours */
	int timeout_ms;            /* whole-run deadline; 0: none */
	int kill_grace_ms;         /* 0: PROC_DEFAULT_KILL_GRACE_MS */
	size_t out_cap;            /* 0: PROC_DEFAULT_OUTPUT_CAP */
	size_t err_cap;            /* 0: PROC_DEFAULT_OUTPUT_CAP */
	int merge_stderr;          /* stderr into the stdout buffer */
	const char *stdin_data;    /* NULL: /dev/null */
	size_t stdin_len;
	proc_tick_fn tick;         /* optional */
	int tick_ms;               /* 0: PROC_DEFAULT_TICK_MS */
	void *payload;
	int no_interrupt;          /* 1: ignore sig_pending() (cleanup work that must finish) */
	/*
	 * 0: read output the moment it comes. N: when it only trickles in
	 * (reads under PROC_TRICKLE_BYTES), let it gather for N ms before
	 * reading again, so a child that writes a byte at a time (pytest's
	 * progress dots) costs us a few wake-ups instead of one per write.
	 */
	int batch_ms;
};
#define PROC_OPTIONS_INIT { 0 }

struct proc_result {
	/*
	 * The exit status; 128 + `signal` when a signal ended the child, as
	 * the shell reports it, so it is never 0 then. Look at `signal`,
	 * `timed_out`, `tick_killed` and `interrupted` first.
	 */
	int exit_code;
	int signal;           /* the signal that ended the child, or 0 */
	int timed_out;        /* killed by us at the deadline */
	int tick_killed;      /* killed by us because the tick callback asked */
	int interrupted;      /* killed by us because sig_pending() was set */
	struct buf out;
	struct buf err;
	size_t out_omitted;
	size_t err_omitted;
	double elapsed;       /* seconds */
	pid_t pid;
};
#define PROC_RESULT_INIT { 0, 0, 0, 0, 0, BUF_INIT, BUF_INIT, 0, 0, 0.0, 0 }

/*
 * Run to completion. Returns 0 when the child was started and waited for,
 * whatever its exit status (look at `out`); ERR_NOTFOUND when argv[0]
 * cannot be found (message names it), -1 on other failures to start (not
 * executable, a bad `cwd`). `out` must be PROC_RESULT_INIT; it holds
 * the captured output and is released with proc_result_release() in
 * every case. No child is left unreaped.
 *
 * While it runs, SIGPIPE is blocked in the calling thread, so writing to a
 * child that stops reading its stdin is an EPIPE, not a death.
 */
int proc_run(struct proc_result *out, const struct proc_options *opts);
void proc_result_release(struct proc_result *res);

/*
 * Append a one-line description of how it ended: "exited with 1", "killed
 * by signal 11 (SIGSEGV)", "timed out after 30.0 s" (the time it ran),
 * "stopped: interrupted", "killed: the watchdog stopped it".
 */
void proc_describe_exit(struct buf *out, const struct proc_result *res);

/*
 * For a process that another one started with proc_run() (a `serve`
 * worker's job runner): when that parent dies, even of SIGKILL, kill the
 * process group of every child proc_run() has running here (an agent under
 * /bin/sh, a pytest run), then die of SIGKILL as proc_run()'s children do.
 * Without it, the death signal reaches this process only, and what it
 * started lives on, parented to init (an agent spending tokens until its
 * own timeout). `parent` is the pid this process was started by; 0 when
 * the parent is gone already (then it dies at once). Linux only; elsewhere
 * a no-op. Call once, early.
 */
#define PROC_PARENT_DEATH_SIGNAL SIGUSR2
void proc_die_with_parent(pid_t parent);

/*
 * A long-lived child (runner/worker.h's warm worker) that we talk to over a
 * socket. It is started as proc_run()'s are: argv, our environment without
 * our secrets plus `env`, `cwd`, a process group of its own, killed with us
 * (PR_SET_PDEATHSIG, and listed for proc_die_with_parent()). Its stdin is
 * /dev/null, its stdout and stderr are appended to `output`, and its end of
 * the socket is its descriptor PROC_CHANNEL_FD; nothing else of ours is
 * inherited. The death signal follows the thread that spawned it: spawn
 * from a thread that lives as long as the child (the main thread).
 *
 * The caller owns the proc_child and ends it with proc_child_stop() in
 * every case after a proc_spawn() that returned 0. Reads and writes have a
 * deadline (timeout_ms; negative: none) and stop on sig_pending().
 */
#define PROC_CHANNEL_FD 3
#define PROC_CHANNEL_LINE_CAP (4u * 1024 * 1024)
#define PROC_CHANNEL_SLICE_MS 100   /* how often a wait looks at sig_pending() */
#define PROC_CHILD_POLL_MS 5

struct proc_spawn_options {
	const char *const *argv;      /* as proc_options */
	const struct strvec *env;     /* as proc_options */
	const char *cwd;              /* NULL: ours */
	const char *output;           /* stdout and stderr appended here; NULL: /dev/null */
};

struct proc_child {
	pid_t pid;            /* also its process group */
	int fd;               /* our end of the socket */
	int listed;
	int reaped;
	int status;           /* waitpid()'s, once reaped */
	struct buf pending;   /* read, not yet a whole line */
};

/* start it; -1 / ERR_NOTFOUND as proc_run() (nothing to stop then) */
int proc_spawn(struct proc_child *out, const struct proc_spawn_options *o);
/* send all of it: 0, ERR_TIMEOUT, ERR_INTERRUPTED, or -1 (it closed its end) */
int proc_child_send(struct proc_child *c, const char *data, size_t len, int timeout_ms);
/*
 * The next line it sent, without its newline, into `line`: 0, ERR_TIMEOUT,
 * ERR_INTERRUPTED, ERR_LIMIT past PROC_CHANNEL_LINE_CAP, or -1 when it
 * closed its end (it died).
 */
int proc_child_read_line(struct proc_child *c, struct buf *line, int timeout_ms);
/* 1 once it has exited (reaped; `status` set), 0 while it runs */
int proc_child_exited(struct proc_child *c);
/*
 * Close the channel, give it `grace_ms` to exit, then SIGKILL its process
 * group, reap it and forget it (pid 0: stopping it again is a no-op).
 */
void proc_child_stop(struct proc_child *c, int grace_ms);

/* list another process group (one a child of ours made) for proc_die_with_parent() */
int proc_group_track(pid_t group);
void proc_group_untrack(pid_t group);

#endif
