#include "runner/probe.h"

#include "runner/worker_state.h"
#include "util/error.h"
#include "util/log.h"
#include "util/proc.h"

#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* why `w` cannot take a request now (the caller holds its lock) */
static int not_ready(const struct pytest_worker *w)
{
	return error_set("the warm worker cannot probe: %s", w->state == 0 ?
			 "it has not collected yet" : w->why ? w->why : "it was stopped");
}

/* ERR_TIMEOUT: how a child that did not finish ended, from its "done" reply `rep` (may be NULL) */
static int ended_early(const json_t *rep, double limit, int killed)
{
	const char *reason = json_string_value(json_object_get(rep, "reason"));
	json_int_t sig = json_integer_value(json_object_get(rep, "signal"));

	if (killed)
		return error_setc(ERR_TIMEOUT, "the probe did not finish within %g s", limit);
	if (reason)
		return error_setc(ERR_TIMEOUT, "the probe ended early: %s", reason);
	if (sig)
		return error_setc(ERR_TIMEOUT, "the probe ended early: signal %lld", (long long)sig);
	return error_setc(ERR_TIMEOUT, "the probe ended early");
}

int pytest_worker_probe(struct pytest_worker *w, const char *spec_path,
			const char *results_path, double limit)
{
	struct buf out = BUF_INIT, why = BUF_INIT, line = BUF_INIT;
	json_t *req = NULL, *rep = NULL;
	const char *ev = NULL, *how;
	char *text = NULL;
	pid_t pid = 0;
	double started_limit;
	int got, err, killed = 0;

	pthread_mutex_lock(&w->lock);
	if (!w->alive) {
		err = not_ready(w);
		goto done;
	}
	buf_addf(&out, "%s/%s", w->dir.ptr, PYTEST_PROBE_OUT);
	if (unlink(out.ptr) < 0 && errno != ENOENT)
		log_warn("cannot remove '%s': %s", out.ptr, strerror(errno));
	req = json_pack("{s:s, s:s, s:s, s:f}", "probe", spec_path, "results", results_path,
			"out", out.ptr, "timeout", limit > 0 ? limit : 0.0);
	if (!(text = warm_line(req))) {
		err = error_set("cannot probe with '%s': a path that is not UTF-8", spec_path);
		goto done;
	}
	if ((got = warm_start(&pid, &started_limit, w, text, &why)) <= 0) {
		if (got == ERR_INTERRUPTED)
			err = error_setc(ERR_INTERRUPTED, "the probe was interrupted");
		else if (got == 0)
			err = error_set("the warm worker cannot probe: %s", why.ptr);
		else
			err = not_ready(w);
		goto done;
	}
	w->stats.probes++;
	got = proc_child_read_line(&w->child, &line, limit > 0 ?
				   (int)((limit + PROBE_GRACE) * 1000) : -1);
	if (got == ERR_TIMEOUT) {
		/* the worker answers once its child is gone */
		killpg(pid, SIGKILL);
		w->stats.killed++;
		killed = 1;
		if (!(rep = warm_reply(w, &ev, PYTEST_WORKER_REPLY_TIMEOUT_MS))) {
			err = ended_early(NULL, limit, killed);
			goto done;
		}
	} else if (got < 0) {
		killpg(pid, SIGKILL);
		warm_lost(w, got == ERR_INTERRUPTED ? "interrupted" : error_last());
		err = got == ERR_INTERRUPTED ? error_setc(ERR_INTERRUPTED, "the probe was interrupted") :
		      not_ready(w);
		goto done;
	} else if (!(rep = warm_parse(&line, &ev))) {
		killpg(pid, SIGKILL);
		warm_lost(w, "a reply that is not one");
		err = not_ready(w);
		goto done;
	}
	how = json_string_value(json_object_get(rep, "how"));
	if (strcmp(ev, "done") || !how) {
		killpg(pid, SIGKILL);
		warm_lost(w, "it did not say how the probe ended");
		err = killed ? ended_early(NULL, limit, killed) : not_ready(w);
		goto done;
	}
	/* "ok" just as it was killed: it wrote its end */
	err = !strcmp(how, "ok") ? 0 : ended_early(rep, limit, killed);

done:
	/* what the calls left behind in its group goes with it */
	warm_finish(w, pid);
	pthread_mutex_unlock(&w->lock);
	json_decref(req);
	json_decref(rep);
	free(text);
	buf_release(&out);
	buf_release(&why);
	buf_release(&line);
	return err;
}
