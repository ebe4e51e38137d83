#include "runner/generic.h"

#include "runner/junit.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/proc.h"
#include "util/xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int mtime_of(struct timespec *out, const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -1;
	*out = st.st_mtim;
	return 0;
}

static int older(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/*
 * Remove an earlier report at `path`, so that only this run's can be read;
 * 1 when there was one. Anything but a regular file is left alone: ERR_USAGE.
 */
static int remove_old_report(const char *path, const char *shown)
{
	struct stat st;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return error_setc(ERR_USAGE, "cannot inspect the report path '%s': %s", shown,
				  strerror(errno));
	}
	if (!S_ISREG(st.st_mode))
		return error_setc(ERR_USAGE, "the report path '%s' is not a regular file: "
				  "refusing to remove it before the run", shown);
	if (unlink(path) < 0)
		return error_set("cannot remove the earlier report '%s': %s", shown, strerror(errno));
	return 1;
}

int generic_run(struct test_result *out, const struct generic_options *opts)
{
	struct strvec argv = STRVEC_INIT;
	struct proc_options po = PROC_OPTIONS_INIT;
	struct proc_result pr = PROC_RESULT_INIT;
	struct buf report = BUF_INIT;
	struct buf root = BUF_INIT;
	struct buf how = BUF_INIT;
	struct timespec before, written;
	int fd, had_report;
	int err;

	if (!opts->command || !opts->junit_path)
		return error_setc(ERR_USAGE, "--test-cmd and --junit-xml go together");
	if ((err = strvec_split_command(&argv, opts->command)) < 0)
		goto done;
	if (!argv.nr) {
		err = error_setc(ERR_USAGE, "the test command is empty");
		goto done;
	}
	if ((err = fs_realpath(&root, opts->root ? opts->root : ".")) < 0)
		goto done;
	if (opts->junit_path[0] == '/')
		buf_adds(&report, opts->junit_path);
	else
		buf_addf(&report, "%s/%s", root.ptr, opts->junit_path);
	/* a FIFO or a device as the report would block the command, then us */
	if ((err = fs_open_regular(&fd, report.ptr)) == 0) {
		close(fd);
	} else if (err == ERR_USAGE) {
		error_prefix(err, "--junit-xml");
		goto done;
	}

	/* a report left by an earlier run must not pass for this one's */
	if ((err = remove_old_report(report.ptr, opts->junit_path)) < 0)
		goto done;
	had_report = err;
	before.tv_sec = (time_t)clock_wall();
	before.tv_nsec = 0;

	po.argv = argv.v;
	po.cwd = root.ptr;
	po.timeout_ms = opts->timeout_ms;
	if ((err = proc_run(&pr, &po)) < 0) {
		if (err == ERR_NOTFOUND)
			err = ERR_USAGE;
		goto done;
	}
	out->duration = pr.elapsed;
	proc_describe_exit(&how, &pr);
	if (pr.interrupted) {
		err = error_setc(ERR_INTERRUPTED, "the test run was interrupted");
		goto done;
	}
	if (pr.timed_out) {
		err = error_setc(ERR_TIMEOUT, "the test command did not finish in time: %s", how.ptr);
		goto done;
	}
	if (pr.signal) {
		err = error_set("the test command was %s", how.ptr);
		goto done;
	}
	if (mtime_of(&written, report.ptr) < 0) {
		err = error_set("the test command wrote no report '%s' (it %s)%s", opts->junit_path,
				how.ptr, had_report ? "; the one there before was removed: it was "
				"not written by this run" : "");
		goto done;
	}
	if (older(&written, &before)) {
		err = error_set("'%s' was not written by this run (it %s)", opts->junit_path, how.ptr);
		goto done;
	}
	if ((err = junit_parse_file(out, report.ptr, root.ptr)) < 0)
		goto done;
	if (pr.exit_code != 0 && out->summary.total && !out->summary.failed &&
	    !out->summary.errors) {
		err = error_set("the test command %s, yet its report '%s' lists no failure",
				how.ptr, opts->junit_path);
		goto done;
	}
	if (!out->rootdir)
		out->rootdir = xstrdup(root.ptr);
done:
	strvec_clear(&argv);
	proc_result_release(&pr);
	buf_release(&report);
	buf_release(&root);
	buf_release(&how);
	return err;
}
