#include "runner/worker_state.h"

#include "util/error.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

void warm_lost(struct pytest_worker *wk, const char *why)
{
	log_warn("the warm test worker is lost (%s): fresh pytest processes from now on", why);
	if (!wk->why)
		wk->why = xstrdup(why);
	wk->alive = 0;
	proc_child_stop(&wk->child, 0);
}

char *warm_line(const json_t *req)
{
	char *dumped = req ? json_dumps(req, JSON_COMPACT) : NULL;
	struct buf b = BUF_INIT;

	if (!dumped)
		return NULL;
	buf_addf(&b, "%s\n", dumped);
	free(dumped);
	return buf_detach(&b, NULL);
}

json_t *warm_parse(const struct buf *line, const char **ev)
{
	json_t *rep = json_loads(line->ptr, 0, NULL);

	*ev = json_is_object(rep) ? json_string_value(json_object_get(rep, "ev")) : NULL;
	if (!*ev) {
		json_decref(rep);
		return NULL;
	}
	return rep;
}

json_t *warm_reply(struct pytest_worker *wk, const char **ev, int timeout_ms)
{
	struct buf line = BUF_INIT;
	json_t *rep = NULL;
	int err = proc_child_read_line(&wk->child, &line, timeout_ms);

	if (err)
		warm_lost(wk, error_last());
	else if (!(rep = warm_parse(&line, ev)))
		warm_lost(wk, "a reply that is not one");
	buf_release(&line);
	return rep;
}

int warm_start(pid_t *pid, double *limit, struct pytest_worker *wk, const char *req,
	       struct buf *why)
{
	const char *ev = NULL;
	json_t *rep;
	int err, started;

	*pid = 0;
	*limit = 0;
	if ((err = proc_child_send(&wk->child, req, strlen(req), PYTEST_WORKER_REPLY_TIMEOUT_MS)) < 0) {
		if (err == ERR_INTERRUPTED)
			return err;
		warm_lost(wk, error_last());
		return -1;
	}
	if (!(rep = warm_reply(wk, &ev, PYTEST_WORKER_REPLY_TIMEOUT_MS)))
		return -1;
	if (!strcmp(ev, "fallback")) {
		if (why)
			buf_adds(why, json_string_value(json_object_get(rep, "reason")) ?: "");
		json_decref(rep);
		return 0;
	}
	started = !strcmp(ev, "started");
	*pid = (pid_t)json_integer_value(json_object_get(rep, "pid"));
	*limit = json_number_value(json_object_get(rep, "limit"));
	json_decref(rep);
	if (!started || *pid <= 0) {
		*pid = 0;
		warm_lost(wk, "it did not start the run");
		return -1;
	}
	proc_group_track(*pid);
	return 1;
}

void warm_finish(struct pytest_worker *wk, pid_t pid)
{
	if (pid <= 0)
		return;
	/* a lost worker's children died with it (their death signal): the pid may be reused */
	if (wk->alive)
		killpg(pid, SIGKILL);
	proc_group_untrack(pid);
}
