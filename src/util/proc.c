#define _GNU_SOURCE /* environ, pipe2, sigabbrev_np */

#include "util/proc.h"

#include "util/clock.h"
#include "util/error.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/sig.h"
#include "util/xalloc.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <stdatomic.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif

/*
 * The shape of the whole thing, after git's run-command.c:
 *
 *   spawn()   pipes, fork, exec; an exec that fails is reported by the
 *             child through a close-on-exec pipe, so the parent knows
 *             before it starts pumping.
 *   pump()    one poll() loop: stdin fed, stdout and stderr read into
 *             capped captures, the deadline, the tick callback and
 *             sig_pending() checked, the child reaped.
 *
 * Killing is two-step: SIGTERM to the group and `kill_grace_ms` of
 * draining, then SIGKILL to the group, a drain of what is left in the pipes,
 * and the pipes closed. The same SIGKILL ends a run whose leader has exited
 * while something it left behind keeps the pipes open past the grace.
 */

#define OMITTED_FMT "\n[... %zu bytes omitted ...]\n"

/* what the child reports through the status pipe when it cannot exec */
enum child_stage { CHILD_SETUP = 1, CHILD_CHDIR, CHILD_EXEC };
struct child_err {
	int stage;
	int err;
};
/* how the child exits when it cannot exec; the parent reports it instead */
enum { CHILD_EXIT_CANNOT_RUN = 127 };

/* set to SIG_DFL in the child: ignored ones would survive the exec */
static const int child_default_signals[] = {
	SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD,
};

/*
 * One output stream. The first `head_cap` bytes go into the result buffer;
 * after that the last `ring_cap` bytes are kept in a ring, so memory stays
 * within the cap however much the child writes.
 */
struct capture {
	struct buf *buf;
	size_t head_cap;
	char *ring;
	size_t ring_cap;
	size_t ring_pos;  /* where the next byte goes */
	size_t ring_len;
	size_t total;     /* everything read */
	int fd;
};

/*
 * The process groups of the children running now, for proc_die_with_parent():
 * its signal handler reads them, so they are lock-free atomics (0: a free
 * slot). A child past the last slot is not killed by it: a bounded table
 * is what a handler can walk.
 */
#define PROC_GROUPS_MAX 256
static atomic_int live_groups[PROC_GROUPS_MAX];

static int groups_add(pid_t group)
{
	size_t i;

	for (i = 0; i < PROC_GROUPS_MAX; i++) {
		int free_slot = 0;
		if (atomic_compare_exchange_strong(&live_groups[i], &free_slot, (int)group))
			return 1;
	}
	return 0;
}

static void groups_remove(pid_t group)
{
	size_t i;

	for (i = 0; i < PROC_GROUPS_MAX; i++) {
		int g = (int)group;
		if (atomic_compare_exchange_strong(&live_groups[i], &g, 0))
			return;
	}
}

struct run {
	const struct proc_options *opts;
	struct proc_result *res;
	const char *name;
	pid_t pid;
	int pidfd;            /* readable when the child exits; -1 if unsupported */
	int status;
	int reaped;
	int lost;             /* waitpid() failed: status unknown */
	struct capture out;
	struct capture err;
	int in_fd;
	size_t in_off;
	int in_epipe;
	char *chunk;          /* PROC_READ_CHUNK bytes */
	int grace_ms;
	int tick_ms;
	int64_t deadline;     /* 0: none */
	int64_t next_tick;
	int killing;          /* SIGTERM sent */
	int hard_killed;      /* SIGKILL sent */
	int64_t hard_kill_at; /* 0: not scheduled */
	int wait_ms;          /* backoff while nothing can wake poll() */
	int64_t quiet_until;  /* batch_ms: output is left to gather until then */
	int listed;           /* its group is in live_groups */
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* keep our descriptors off 0, 1 and 2, which the child's dup2() overwrite */
static int fd_move_high(int fd)
{
	int high, saved;

	if (fd > STDERR_FILENO)
		return fd;
	high = fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
	saved = errno;
	close(fd);
	errno = saved;
	return high;
}

static int make_pipe(int fds[2])
{
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	fds[0] = fd_move_high(fds[0]);
	fds[1] = fd_move_high(fds[1]);
	if (fds[0] < 0 || fds[1] < 0) {
		int saved = errno;
		close_fd(&fds[0]);
		close_fd(&fds[1]);
		errno = saved;
		return -1;
	}
	return 0;
}

static int set_nonblock(int fd)
{
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0)
		return -1;
	return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

static int open_pidfd(pid_t pid)
{
#if defined(__linux__) && defined(SYS_pidfd_open)
	/* close-on-exec by itself; -1 (ENOSYS, seccomp) makes us fall back */
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	return -1;
#endif
}

/* the length of the longest "[... N bytes omitted ...]" line */
static size_t omitted_max(void)
{
	return (size_t)snprintf(NULL, 0, OMITTED_FMT, (size_t)SIZE_MAX);
}

static void capture_init(struct capture *c, struct buf *b, size_t cap)
{
	size_t slack = omitted_max();

	memset(c, 0, sizeof(*c));
	/* head + omitted line + tail always fits, so the assembly cannot fail */
	buf_init(b, cap > SIZE_MAX - slack ? 0 : cap + slack);
	c->buf = b;
	c->head_cap = cap / 2;
	c->ring_cap = cap - c->head_cap;
	c->fd = -1;
}

static void capture_release(struct capture *c)
{
	free(c->ring);
	c->ring = NULL;
	close_fd(&c->fd);
}

static void capture_add(struct capture *c, const char *data, size_t len)
{
	size_t first;

	c->total += len;
	if (c->buf->len < c->head_cap) {
		size_t take = c->head_cap - c->buf->len;
		if (take > len)
			take = len;
		buf_add(c->buf, data, take);
		data += take;
		len -= take;
	}
	if (!len)
		return;
	if (!c->ring)
		c->ring = xmalloc(c->ring_cap);
	if (len > c->ring_cap) {
		/* only the last ring_cap bytes can survive */
		data += len - c->ring_cap;
		len = c->ring_cap;
	}
	first = c->ring_cap - c->ring_pos;
	if (first > len)
		first = len;
	memcpy(c->ring + c->ring_pos, data, first);
	memcpy(c->ring, data + first, len - first);
	c->ring_pos = (c->ring_pos + len) % c->ring_cap;
	c->ring_len = c->ring_len + len > c->ring_cap ? c->ring_cap : c->ring_len + len;
}

/* head + "[... N bytes omitted ...]" + tail into the result buffer */
static void capture_finish(struct capture *c, size_t *omitted)
{
	size_t start, first;

	*omitted = 0;
	if (!c->ring_len)
		return;
	*omitted = c->total - c->buf->len - c->ring_len;
	if (*omitted)
		buf_addf(c->buf, OMITTED_FMT, *omitted);
	start = (c->ring_pos + c->ring_cap - c->ring_len) % c->ring_cap;
	first = c->ring_cap - start;
	if (first > c->ring_len)
		first = c->ring_len;
	buf_add(c->buf, c->ring + start, first);
	buf_add(c->buf, c->ring, c->ring_len - first);
	free(c->ring);
	c->ring = NULL;
}

/* one read; the stream is closed at EOF or on an error */
static void capture_read(struct run *r, struct capture *c)
{
	ssize_t n;

	do
		n = read(c->fd, r->chunk, PROC_READ_CHUNK);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		capture_add(c, r->chunk, (size_t)n);
		if (r->opts->batch_ms > 0 && n < PROC_TRICKLE_BYTES)
			r->quiet_until = clock_monotonic_ns() / 1000000 + r->opts->batch_ms;
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n < 0)
		log_debug("cannot read the output of '%s': %s", r->name, strerror(errno));
	close_fd(&c->fd);
}

/* read what is in the pipe now, without waiting for more, and close it */
static void capture_drain(struct run *r, struct capture *c)
{
	int avail = 0;

	if (c->fd < 0)
		return;
	if (ioctl(c->fd, FIONREAD, &avail) == 0) {
		size_t left = avail > 0 ? (size_t)avail : 0;
		while (left && c->fd >= 0) {
			size_t before = c->total, got;
			capture_read(r, c);
			got = c->total - before;
			if (!got)
				break;
			left = got < left ? left - got : 0;
		}
	}
	close_fd(&c->fd);
}

static void stdin_write(struct run *r)
{
	const struct proc_options *o = r->opts;

	while (r->in_fd >= 0) {
		ssize_t n;

		if (r->in_off == o->stdin_len) {
			close_fd(&r->in_fd);
			break;
		}
		n = write(r->in_fd, o->stdin_data + r->in_off, o->stdin_len - r->in_off);
		if (n >= 0) {
			r->in_off += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
		if (errno == EPIPE)
			r->in_epipe = 1; /* it stopped reading: its business */
		else
			log_debug("cannot write to the input of '%s': %s", r->name, strerror(errno));
		close_fd(&r->in_fd);
	}
}

/* 1 once the child has been waited for */
static int reap(struct run *r, int flags)
{
	pid_t got;

	if (r->reaped)
		return 1;
	do
		got = waitpid(r->pid, &r->status, flags);
	while (got < 0 && errno == EINTR);
	if (!got)
		return 0;
	if (got < 0) {
		/* only when SIGCHLD is ignored, which auto-reaps */
		log_warn("cannot wait for '%s' (pid %d): %s", r->name, (int)r->pid,
			 strerror(errno));
		r->lost = 1;
	}
	r->reaped = 1;
	close_fd(&r->pidfd);
	return 1;
}

static void start_kill(struct run *r, int64_t now, const char *why)
{
	log_debug("stopping '%s' (pid %d): %s", r->name, (int)r->pid, why);
	if (killpg(r->pid, SIGTERM) < 0)
		kill(r->pid, SIGTERM);
	r->killing = 1;
	r->hard_kill_at = now + r->grace_ms;
}

static void hard_kill(struct run *r)
{
	log_debug("killing the process group of '%s' (pid %d)", r->name, (int)r->pid);
	/*
	 * The group's id cannot be reused while a member is alive; once all
	 * are gone, this is an ESRCH.
	 */
	killpg(r->pid, SIGKILL);
	r->hard_killed = 1;
	r->hard_kill_at = 0;
	if (!r->reaped) {
		/* in case it left the group; SIGKILL makes the wait short */
		kill(r->pid, SIGKILL);
		reap(r, 0);
	}
	close_fd(&r->in_fd);
	capture_drain(r, &r->out);
	capture_drain(r, &r->err);
}

static void check_triggers(struct run *r, int64_t now)
{
	const struct proc_options *o = r->opts;

	if (r->deadline && now >= r->deadline) {
		r->res->timed_out = 1;
		start_kill(r, now, "its time is up");
	} else if (!o->no_interrupt && sig_pending()) {
		r->res->interrupted = 1;
		start_kill(r, now, "interrupted");
	} else if (now >= r->next_tick) {
		r->next_tick = now + r->tick_ms;
		if (o->tick && o->tick(o->payload)) {
			r->res->tick_killed = 1;
			start_kill(r, now, "the tick callback asked");
		}
	}
}

static int finished(struct run *r)
{
	if (!r->reaped || r->out.fd >= 0 || r->err.fd >= 0)
		return 0;
	/* killing: what is left of the group gets its grace, then SIGKILL */
	if (r->killing && !r->hard_killed && !killpg(r->pid, 0))
		return 0;
	return 1;
}

static int poll_timeout(struct run *r, int64_t now)
{
	int64_t wake = INT64_MAX;

	if (!r->reaped && !r->killing) {
		if (r->deadline)
			wake = r->deadline;
		if (r->next_tick < wake)
			wake = r->next_tick;
	}
	if (r->hard_kill_at && r->hard_kill_at < wake)
		wake = r->hard_kill_at;
	if (r->quiet_until > now && r->quiet_until < wake)
		wake = r->quiet_until;
	if (r->out.fd < 0 && r->err.fd < 0 && (r->reaped || r->pidfd < 0)) {
		/* nothing will wake us when it changes: look again soon */
		if (now + r->wait_ms < wake)
			wake = now + r->wait_ms;
		r->wait_ms = r->wait_ms * 2 < r->tick_ms ? r->wait_ms * 2 : r->tick_ms;
	}
	if (wake == INT64_MAX)
		return -1;
	if (wake <= now)
		return 0;
	return wake - now > INT_MAX ? INT_MAX : (int)(wake - now);
}

static void pump(struct run *r)
{
	for (;;) {
		struct pollfd pfd[4];
		int i_out = -1, i_err = -1, i_in = -1, i_pid = -1;
		nfds_t nfds = 0;
		int64_t now;
		int timeout;

		reap(r, WNOHANG);
		if (finished(r))
			break;
		now = clock_monotonic_ns() / 1000000;
		if (!r->reaped && !r->killing)
			check_triggers(r, now);
		if (r->reaped && !r->killing && !r->hard_killed && !r->hard_kill_at) {
			log_debug("'%s' exited but its output is still open: "
				  "killing what it left behind in %d ms", r->name, r->grace_ms);
			r->hard_kill_at = now + r->grace_ms;
		}
		if (r->hard_kill_at && now >= r->hard_kill_at) {
			hard_kill(r);
			continue;
		}

		if (r->quiet_until > now && !r->reaped && !r->killing) {
			/* let a trickle of output gather (batch_ms) */
		} else if (r->out.fd >= 0) {
			pfd[nfds].fd = r->out.fd;
			pfd[nfds].events = POLLIN;
			i_out = (int)nfds++;
		}
		if (r->quiet_until > now && !r->reaped && !r->killing) {
			/* as above */
		} else if (r->err.fd >= 0) {
			pfd[nfds].fd = r->err.fd;
			pfd[nfds].events = POLLIN;
			i_err = (int)nfds++;
		}
		if (r->in_fd >= 0) {
			pfd[nfds].fd = r->in_fd;
			pfd[nfds].events = POLLOUT;
			i_in = (int)nfds++;
		}
		if (r->pidfd >= 0) {
			pfd[nfds].fd = r->pidfd;
			pfd[nfds].events = POLLIN;
			i_pid = (int)nfds++;
		}
		timeout = poll_timeout(r, now);
		if (poll(pfd, nfds, timeout) < 0) {
			if (errno != EINTR) {
				/* cannot happen with valid descriptors; do not spin */
				log_warn("poll failed while running '%s': %s", r->name,
					 strerror(errno));
				if (!r->killing)
					start_kill(r, now, "poll failed");
			}
			continue;
		}
		if (i_out >= 0 && pfd[i_out].revents)
			capture_read(r, &r->out);
		if (i_err >= 0 && pfd[i_err].revents)
			capture_read(r, &r->err);
		if (i_in >= 0 && pfd[i_in].revents)
			stdin_write(r);
		if (i_pid >= 0 && pfd[i_pid].revents && !reap(r, WNOHANG)) {
			/* readable but not waitable: stop trusting it */
			close_fd(&r->pidfd);
		}
	}
}

static void child_fail(int status_fd, int stage) __attribute__((noreturn));
static void child_fail(int status_fd, int stage)
{
	struct child_err ce;
	ssize_t n;

	ce.stage = stage;
	ce.err = errno;
	do
		n = write(status_fd, &ce, sizeof(ce));
	while (n < 0 && errno == EINTR);
	_exit(CHILD_EXIT_CANNOT_RUN);
}

/*
 * after fork(): async-signal-safe calls only. `parent` is our pid, taken
 * before the fork: if we died in between, the death signal was missed.
 */
static void child_exec(const struct proc_options *o, char **envp, pid_t parent, int in_fd,
		       int out_fd, int err_fd, int status_fd, int chan_fd) __attribute__((noreturn));
static void child_exec(const struct proc_options *o, char **envp, pid_t parent, int in_fd,
		       int out_fd, int err_fd, int status_fd, int chan_fd)
{
	struct sigaction sa;
	sigset_t none;
	size_t i;

#ifdef __linux__
	/* it dies with us, even when we are killed with SIGKILL */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		child_fail(status_fd, CHILD_SETUP);
	if (getppid() != parent)
		_exit(CHILD_EXIT_CANNOT_RUN);
#else
	(void)parent;
#endif

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < ARRAY_SIZE(child_default_signals); i++)
		sigaction(child_default_signals[i], &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setpgid(0, 0);

	/* all ours are above 2 (fd_move_high), so no dup2() clobbers another */
	if (dup2(in_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
	    dup2(err_fd, STDERR_FILENO) < 0)
		child_fail(status_fd, CHILD_SETUP);
	/* above PROC_CHANNEL_FD (proc_spawn), so it clobbers none of ours; dup2 clears CLOEXEC */
	if (chan_fd >= 0 && dup2(chan_fd, PROC_CHANNEL_FD) < 0)
		child_fail(status_fd, CHILD_SETUP);
	if (o->cwd && chdir(o->cwd) < 0)
		child_fail(status_fd, CHILD_CHDIR);
	if (envp)
		environ = envp;
	execvp(o->argv[0], (char *const *)o->argv);
	child_fail(status_fd, CHILD_EXEC);
}

static int child_error(struct run *r, const struct child_err *ce)
{
	errno = ce->err;
	switch (ce->stage) {
	case CHILD_CHDIR:
		return error_errno("cannot run '%s': cannot change to directory '%s'",
				   r->name, r->opts->cwd);
	case CHILD_EXEC:
		if (ce->err == ENOENT)
			return error_setc(ERR_NOTFOUND, "cannot run '%s': %s", r->name,
					  strerror(ENOENT));
		return error_errno("cannot run '%s'", r->name);
	default:
		return error_errno("cannot run '%s': cannot set up its input and output",
				   r->name);
	}
}

static int spawn(struct run *r, char **envp)
{
	const struct proc_options *o = r->opts;
	int out_pipe[2] = { -1, -1 };
	int err_pipe[2] = { -1, -1 };
	int in_pipe[2] = { -1, -1 };
	int status_pipe[2] = { -1, -1 };
	struct child_err ce;
	sigset_t all, old;
	ssize_t n;
	pid_t pid, self = getpid();
	int saved;
	int err = 0;

	if (make_pipe(out_pipe) < 0 || (!o->merge_stderr && make_pipe(err_pipe) < 0) ||
	    make_pipe(status_pipe) < 0) {
		err = error_errno("cannot run '%s': cannot create a pipe", r->name);
		goto done;
	}
	if (o->batch_ms > 0) {
		/* room for a burst while we let output gather; best effort */
		fcntl(out_pipe[1], F_SETPIPE_SZ, PROC_BATCH_PIPE_SIZE);
		if (err_pipe[1] >= 0)
			fcntl(err_pipe[1], F_SETPIPE_SZ, PROC_BATCH_PIPE_SIZE);
	}
	if (o->stdin_data) {
		if (make_pipe(in_pipe) < 0) {
			err = error_errno("cannot run '%s': cannot create a pipe", r->name);
			goto done;
		}
	} else {
		in_pipe[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (in_pipe[0] >= 0)
			in_pipe[0] = fd_move_high(in_pipe[0]);
		if (in_pipe[0] < 0) {
			err = error_errno("cannot run '%s': cannot open '/dev/null'", r->name);
			goto done;
		}
	}

	/* no handler of ours may run in the child before it resets them */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (!pid)
		child_exec(o, envp, self, in_pipe[0], out_pipe[1],
			   o->merge_stderr ? out_pipe[1] : err_pipe[1], status_pipe[1], -1);
	saved = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		errno = saved;
		err = error_errno("cannot run '%s': cannot fork", r->name);
		goto done;
	}
	r->pid = pid;
	r->res->pid = pid;
	/* the child does the same: whichever runs first wins the race */
	setpgid(pid, pid);
	r->listed = groups_add(pid);

	close_fd(&out_pipe[1]);
	close_fd(&err_pipe[1]);
	close_fd(&in_pipe[0]);
	close_fd(&status_pipe[1]);
	do
		n = read(status_pipe[0], &ce, sizeof(ce));
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(ce)) {
		reap(r, 0);
		err = child_error(r, &ce);
		goto done;
	}

	r->out.fd = out_pipe[0];
	out_pipe[0] = -1;
	r->err.fd = err_pipe[0];
	err_pipe[0] = -1;
	r->in_fd = in_pipe[1];
	in_pipe[1] = -1;
	if (set_nonblock(r->out.fd) < 0 || (r->err.fd >= 0 && set_nonblock(r->err.fd) < 0) ||
	    (r->in_fd >= 0 && set_nonblock(r->in_fd) < 0))
		log_warn("cannot make the pipes of '%s' non-blocking: %s", r->name, strerror(errno));
	r->pidfd = open_pidfd(pid);

done:
	close_fd(&out_pipe[0]);
	close_fd(&out_pipe[1]);
	close_fd(&err_pipe[0]);
	close_fd(&err_pipe[1]);
	close_fd(&in_pipe[0]);
	close_fd(&in_pipe[1]);
	close_fd(&status_pipe[0]);
	close_fd(&status_pipe[1]);
	return err;
}

/* "NAME=value" and "NAME" name the same variable as "NAME=other" */
static int env_same_name(const char *a, const char *b)
{
	while (*a && *a != '=' && *a == *b) {
		a++;
		b++;
	}
	return (!*a || *a == '=') && (!*b || *b == '=');
}

/*
 * Ours with `changes` (may be NULL) on top, without the variables that hold
 * our secrets (secret_env_hidden(): the caller configures which): no child
 * (pytest, a --test-cmd, a git hook) can read a key, whoever spawns it.
 */
static void build_env(struct strvec *out, const struct strvec *changes)
{
	static const struct strvec none = STRVEC_INIT;
	char **e;
	size_t i, j;

	if (!changes)
		changes = &none;
	for (e = environ; e && *e; e++) {
		if (secret_env_hidden(*e))
			continue;
		for (i = 0; i < changes->nr; i++)
			if (env_same_name(*e, changes->v[i]))
				break;
		if (i == changes->nr)
			strvec_push(out, *e);
	}
	for (i = 0; i < changes->nr; i++) {
		if (!strchr(changes->v[i], '='))
			continue;
		for (j = i + 1; j < changes->nr; j++)
			if (env_same_name(changes->v[i], changes->v[j]))
				break;
		if (j == changes->nr)
			strvec_push(out, changes->v[i]);
	}
}

static void set_exit(struct proc_result *res, const struct run *r)
{
	if (r->lost) {
		res->exit_code = -1;
	} else if (WIFSIGNALED(r->status)) {
		res->signal = WTERMSIG(r->status);
		res->exit_code = 128 + res->signal;
	} else if (WIFEXITED(r->status)) {
		res->exit_code = WEXITSTATUS(r->status);
	}
}

int proc_run(struct proc_result *out, const struct proc_options *opts)
{
	struct run r;
	struct strvec env = STRVEC_INIT;
	struct timespec zero = { 0, 0 };
	sigset_t pipe_set, saved_mask, pending;
	int pipe_was_pending;
	int64_t start;
	int err;

	assert(opts->argv && opts->argv[0]);
	memset(&r, 0, sizeof(r));
	r.opts = opts;
	r.res = out;
	r.name = opts->argv[0];
	r.pidfd = -1;
	r.in_fd = -1;
	r.grace_ms = opts->kill_grace_ms > 0 ? opts->kill_grace_ms : PROC_DEFAULT_KILL_GRACE_MS;
	r.tick_ms = opts->tick_ms > 0 ? opts->tick_ms : PROC_DEFAULT_TICK_MS;
	r.wait_ms = 1;
	memset(out, 0, sizeof(*out));
	capture_init(&r.out, &out->out, opts->out_cap ? opts->out_cap : PROC_DEFAULT_OUTPUT_CAP);
	capture_init(&r.err, &out->err, opts->err_cap ? opts->err_cap : PROC_DEFAULT_OUTPUT_CAP);
	r.chunk = xmalloc(PROC_READ_CHUNK);

	/* a child that stops reading its stdin must give us EPIPE, not kill us */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &saved_mask);
	sigpending(&pending);
	pipe_was_pending = sigismember(&pending, SIGPIPE);

	build_env(&env, opts->env);
	start = clock_monotonic_ns();
	err = spawn(&r, (char **)env.v);
	if (err)
		goto done;

	if (opts->timeout_ms > 0)
		r.deadline = start / 1000000 + opts->timeout_ms;
	r.next_tick = start / 1000000 + r.tick_ms;
	pump(&r);
	/* whatever it left in its group (a daemon that closed its output) goes with it */
	killpg(r.pid, SIGKILL);
	out->elapsed = (double)(clock_monotonic_ns() - start) / 1e9;
	set_exit(out, &r);
	capture_finish(&r.out, &out->out_omitted);
	capture_finish(&r.err, &out->err_omitted);

done:
	close_fd(&r.in_fd);
	close_fd(&r.pidfd);
	capture_release(&r.out);
	capture_release(&r.err);
	free(r.chunk);
	strvec_clear(&env);
	if (r.in_epipe && !pipe_was_pending)
		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
			;
	if (r.listed)
		groups_remove(r.pid);
	pthread_sigmask(SIG_SETMASK, &saved_mask, NULL);
	return err;
}

void proc_result_release(struct proc_result *res)
{
	buf_release(&res->out);
	buf_release(&res->err);
}

static const char *signal_name(int sig)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
	return sigabbrev_np(sig);
#else
	static const struct { int sig; const char *name; } names[] = {
		{ SIGHUP, "HUP" }, { SIGINT, "INT" }, { SIGQUIT, "QUIT" },
		{ SIGILL, "ILL" }, { SIGTRAP, "TRAP" }, { SIGABRT, "ABRT" },
		{ SIGBUS, "BUS" }, { SIGFPE, "FPE" }, { SIGKILL, "KILL" },
		{ SIGSEGV, "SEGV" }, { SIGPIPE, "PIPE" }, { SIGALRM, "ALRM" },
		{ SIGTERM, "TERM" }, { SIGXCPU, "XCPU" }, { SIGXFSZ, "XFSZ" },
	};
	size_t i;
	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].sig == sig)
			return names[i].name;
	return NULL;
#endif
}

void proc_describe_exit(struct buf *out, const struct proc_result *res)
{
	if (res->timed_out) {
		buf_addf(out, "timed out after %.1f s", res->elapsed);
	} else if (res->interrupted) {
		buf_adds(out, "stopped: interrupted");
	} else if (res->tick_killed) {
		buf_adds(out, "killed: the watchdog stopped it");
	} else if (res->signal) {
		const char *name = signal_name(res->signal);
		if (name)
			buf_addf(out, "killed by signal %d (SIG%s)", res->signal, name);
		else
			buf_addf(out, "killed by signal %d", res->signal);
	} else {
		buf_addf(out, "exited with %d", res->exit_code);
	}
}

#ifdef __linux__
/* the parent died: what we started goes first, then we go as if SIGKILLed with it */
static void on_parent_death(int sig)
{
	size_t i;

	(void)sig;
	for (i = 0; i < PROC_GROUPS_MAX; i++) {
		int g = atomic_load(&live_groups[i]);
		if (g > 0)
			killpg(g, SIGKILL);
	}
	kill(getpid(), SIGKILL);
	_exit(128 + SIGKILL);
}
#endif

void proc_die_with_parent(pid_t parent)
{
#ifdef __linux__
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_parent_death;
	sigfillset(&sa.sa_mask);
	sigaction(PROC_PARENT_DEATH_SIGNAL, &sa, NULL);
	if (prctl(PR_SET_PDEATHSIG, PROC_PARENT_DEATH_SIGNAL) < 0 || !parent ||
	    getppid() != parent)
		on_parent_death(PROC_PARENT_DEATH_SIGNAL);
#else
	(void)parent;
#endif
}

/* ---- long-lived children (proc_spawn) ----------------------------------- */

int proc_group_track(pid_t group)
{
	return groups_add(group);
}

void proc_group_untrack(pid_t group)
{
	groups_remove(group);
}

/* `*fd` moved above PROC_CHANNEL_FD (close-on-exec), so the child's dup2()s clobber none */
static int fd_above_channel(int *fd)
{
	int high;

	if (*fd > PROC_CHANNEL_FD)
		return 0;
	high = fcntl(*fd, F_DUPFD_CLOEXEC, PROC_CHANNEL_FD + 1);
	if (high < 0)
		return -1;
	close(*fd);
	*fd = high;
	return 0;
}

int proc_spawn(struct proc_child *out, const struct proc_spawn_options *o)
{
	struct proc_options po = PROC_OPTIONS_INIT;
	struct strvec env = STRVEC_INIT;
	int chan[2] = { -1, -1 };
	int status_pipe[2] = { -1, -1 };
	int null_fd = -1, out_fd = -1;
	struct child_err ce;
	sigset_t all, old;
	pid_t pid, self = getpid();
	ssize_t n;
	int saved, err = 0;

	assert(o->argv && o->argv[0]);
	out->pid = 0;
	out->fd = -1;
	out->listed = 0;
	out->reaped = 0;
	out->status = 0;
	buf_init(&out->pending, PROC_CHANNEL_LINE_CAP);
	po.argv = o->argv;
	po.cwd = o->cwd;
	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	out_fd = open(o->output ? o->output : "/dev/null",
		      O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (null_fd < 0 || out_fd < 0) {
		err = error_errno("cannot run '%s': cannot open '%s'", o->argv[0],
				  out_fd < 0 && o->output ? o->output : "/dev/null");
		goto done;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, chan) < 0 ||
	    pipe2(status_pipe, O_CLOEXEC) < 0) {
		err = error_errno("cannot run '%s': cannot create its channel", o->argv[0]);
		goto done;
	}
	if (fd_above_channel(&null_fd) < 0 || fd_above_channel(&out_fd) < 0 ||
	    fd_above_channel(&chan[0]) < 0 || fd_above_channel(&chan[1]) < 0 ||
	    fd_above_channel(&status_pipe[0]) < 0 || fd_above_channel(&status_pipe[1]) < 0) {
		err = error_errno("cannot run '%s': cannot place its descriptors", o->argv[0]);
		goto done;
	}
	build_env(&env, o->env);

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (!pid)
		child_exec(&po, (char **)env.v, self, null_fd, out_fd, out_fd, status_pipe[1],
			   chan[1]);
	saved = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		errno = saved;
		err = error_errno("cannot run '%s': cannot fork", o->argv[0]);
		goto done;
	}
	out->pid = pid;
	setpgid(pid, pid);
	out->listed = groups_add(pid);
	close_fd(&status_pipe[1]);
	do
		n = read(status_pipe[0], &ce, sizeof(ce));
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(ce)) {
		struct run r;
		memset(&r, 0, sizeof(r));
		r.opts = &po;
		r.name = o->argv[0];
		err = child_error(&r, &ce);
		proc_child_stop(out, 0);
		goto done;
	}
	out->fd = chan[0];
	chan[0] = -1;

done:
	close_fd(&null_fd);
	close_fd(&out_fd);
	close_fd(&chan[0]);
	close_fd(&chan[1]);
	close_fd(&status_pipe[0]);
	close_fd(&status_pipe[1]);
	strvec_clear(&env);
	if (err)
		buf_release(&out->pending);
	return err;
}

/* wait until `fd` is ready for `events`: 0; ERR_TIMEOUT past `deadline` (ms, 0: none); ERR_INTERRUPTED */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = events };
		int64_t now = clock_monotonic_ns() / 1000000;
		int64_t wait = PROC_CHANNEL_SLICE_MS;
		int n;

		if (sig_pending())
			return error_setc(ERR_INTERRUPTED, "interrupted");
		if (deadline && now >= deadline)
			return error_setc(ERR_TIMEOUT, "the child did not answer in time");
		if (deadline && deadline - now < wait)
			wait = deadline - now;
		n = poll(&pfd, 1, (int)wait);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return error_errno("cannot wait for the child");
	}
}

static int64_t deadline_of(int timeout_ms)
{
	return timeout_ms < 0 ? 0 : clock_monotonic_ns() / 1000000 + timeout_ms;
}

int proc_child_send(struct proc_child *c, const char *data, size_t len, int timeout_ms)
{
	int64_t deadline = deadline_of(timeout_ms);

	if (c->fd < 0)
		return error_set("the child's channel is closed");
	while (len) {
		ssize_t n;
		int err;

		if ((err = wait_fd(c->fd, POLLOUT, deadline)) < 0)
			return err;
		n = send(c->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (n < 0)
			return error_errno("cannot write to the child");
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int proc_child_read_line(struct proc_child *c, struct buf *line, int timeout_ms)
{
	int64_t deadline = deadline_of(timeout_ms);
	char chunk[4096];

	if (c->fd < 0)
		return error_set("the child's channel is closed");
	for (;;) {
		char *nl = memchr(c->pending.ptr, '\n', c->pending.len);
		ssize_t n;
		int err;

		if (nl) {
			size_t take = (size_t)(nl - c->pending.ptr);
			buf_reset(line);
			buf_add(line, c->pending.ptr, take);
			memmove(c->pending.ptr, nl + 1, c->pending.len - take - 1);
			buf_setlen(&c->pending, c->pending.len - take - 1);
			return 0;
		}
		if ((err = wait_fd(c->fd, POLLIN, deadline)) < 0)
			return err;
		n = recv(c->fd, chunk, sizeof(chunk), MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (n < 0)
			return error_errno("cannot read from the child");
		if (!n)
			return error_set("the child closed its channel");
		if (buf_add(&c->pending, chunk, (size_t)n) < 0)
			return error_setc(ERR_LIMIT, "the child sent a line longer than %u bytes",
					  PROC_CHANNEL_LINE_CAP);
	}
}

int proc_child_exited(struct proc_child *c)
{
	pid_t got;

	if (c->reaped || c->pid <= 0)
		return 1;
	do
		got = waitpid(c->pid, &c->status, WNOHANG);
	while (got < 0 && errno == EINTR);
	if (got == 0)
		return 0;
	c->reaped = 1;
	return 1;
}

void proc_child_stop(struct proc_child *c, int grace_ms)
{
	int64_t deadline = clock_monotonic_ns() / 1000000 + grace_ms;

	close_fd(&c->fd);
	if (c->pid > 0) {
		while (!proc_child_exited(c) && clock_monotonic_ns() / 1000000 < deadline)
			clock_sleep_ms(PROC_CHILD_POLL_MS);
		killpg(c->pid, SIGKILL);
		if (!c->reaped) {
			kill(c->pid, SIGKILL);
			while (waitpid(c->pid, &c->status, 0) < 0 && errno == EINTR)
				;
			c->reaped = 1;
		}
		if (c->listed)
			groups_remove(c->pid);
		c->listed = 0;
		c->pid = 0;   /* stopped: a later stop kills nothing */
	}
	buf_release(&c->pending);
}
