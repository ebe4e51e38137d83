/*
 * The project lock: one fix, resume or reproduce at a time in a project.
 * An flock on PROJECT_LOCK (.pytest-fixer/fix.lock), which holds the pid of the
 * process that has it (for the message of the one that does not). The file
 * stays: unlinking a locked file would let two processes lock two files.
 */
#include "fix/fix.h"

#include "project/project.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/sig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

/* the pid written in the lock file, or 0 */
static long holder_pid(int fd)
{
	char text[32];
	ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
	long pid;

	if (n <= 0)
		return 0;
	text[n] = '\0';
	pid = strtol(text, NULL, 10);
	return pid > 0 ? pid : 0;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

int fix_project_lock(int *out, const char *root, int wait)
{
	struct buf path = BUF_INIT;
	char pid[32];
	int fd = -1, said = 0, len;
	int err = 0;

	*out = -1;
	project_state_path(&path, root, PROJECT_STATE_DIR, NULL);
	if ((err = fs_mkdir_p(path.ptr, 0755)) < 0)
		goto done;
	project_state_path(&path, root, PROJECT_LOCK, NULL);
	if ((fd = open(path.ptr, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
		err = error_errno("cannot open '%s'", path.ptr);
		goto done;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		long other;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			err = error_errno("cannot lock '%s'", path.ptr);
			goto done;
		}
		/* it may have the lock and not have written its pid yet */
		other = holder_pid(fd);
		if (!wait) {
			if (!other) {
				sleep_ms(FIX_LOCK_POLL_MS);
				other = holder_pid(fd);
			}
			if (other)
				err = error_setc(ERR_CONFLICT, "another fix is running in this project "
						 "(pid %ld): wait for it, or give --wait", other);
			else
				err = error_setc(ERR_CONFLICT, "another fix is running in this project: "
						 "wait for it, or give --wait");
			goto done;
		}
		if (!said++)
			log_warn("waiting for the fix running in this project (pid %ld)", other);
		if (sig_pending()) {
			err = error_setc(ERR_INTERRUPTED, "interrupted while waiting for the project's lock");
			goto done;
		}
		sleep_ms(FIX_LOCK_POLL_MS);
	}
	len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)len, 0) != len)
		log_warn("cannot write our pid into '%s': %s", path.ptr, strerror(errno));
	*out = fd;
	fd = -1;
done:
	if (fd >= 0)
		close(fd);
	buf_release(&path);
	return err;
}

int fix_apply_recover(struct strvec *report, const char *root)
{
	struct buf journal = BUF_INIT;
	int err;

	project_state_path(&journal, root, PROJECT_APPLY_JOURNAL, NULL);
	err = fs_batch_recover(report, root, journal.ptr);
	buf_release(&journal);
	return err;
}

int fix_apply_recover_logged(const char *root)
{
	struct strvec report = STRVEC_INIT;
	size_t i;
	int err = fix_apply_recover(&report, root);

	for (i = 0; i < report.nr; i++)
		log_warn("%s", report.v[i]);
	strvec_clear(&report);
	return err;
}
