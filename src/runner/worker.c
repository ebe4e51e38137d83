#include "runner/worker.h"

#include "runner/pytest.h"
#include "runner/worker_state.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SHEBANG_MAX 256
#define LOG_TAIL_MAX 4000

/* a pytest script's interpreter: its first line names Python */
static int script_is_python(const char *word)
{
	struct buf path = BUF_INIT;
	char line[SHEBANG_MAX];
	size_t n = 0;
	FILE *f = NULL;
	int ok = 0;

	if (strchr(word, '/')) {
		buf_adds(&path, word);
	} else {
		const char *dirs = getenv("PATH");
		while (dirs && *dirs) {
			size_t len = strcspn(dirs, ":");
			buf_reset(&path);
			buf_addf(&path, "%.*s/%s", (int)len, dirs, word);
			if (!access(path.ptr, X_OK))
				break;
			buf_reset(&path);
			dirs += len + (dirs[len] == ':');
		}
	}
	if (path.len && (f = fopen(path.ptr, "re"))) {
		n = fread(line, 1, sizeof(line) - 1, f);
		fclose(f);
	}
	line[n] = '\0';
	line[strcspn(line, "\n")] = '\0';
	ok = n > 2 && !strncmp(line, "#!", 2) && strstr(line, "python");
	buf_release(&path);
	return ok;
}

static int check_command(const struct strvec *cmd)
{
	if (cmd->nr >= 3 && !strcmp(cmd->v[1], "-m") && !strcmp(cmd->v[2], "pytest"))
		return 0;
	if (cmd->nr >= 1 && script_is_python(cmd->v[0]))
		return 0;
	return error_setc(ERR_USAGE, "cannot start a warm worker with '%s': it is neither "
			  "'PYTHON -m pytest' nor a pytest script run by Python",
			  cmd->nr ? cmd->v[0] : "");
}

/* "\n--- the worker said ---\n" and the end of its output */
static void add_log_tail(struct buf *msg, const struct pytest_worker *w)
{
	struct buf path = BUF_INIT, text = BUF_INIT;

	buf_addf(&path, "%s/%s", w->dir.ptr, PYTEST_WORKER_LOG);
	if (!fs_read_file(&text, path.ptr, 0)) {
		buf_trim(&text);
		if (text.len)
			buf_addf(msg, "\n--- the worker said ---\n%s", text.ptr +
				 (text.len > LOG_TAIL_MAX ? text.len - LOG_TAIL_MAX : 0));
	}
	buf_release(&path);
	buf_release(&text);
}

/* wait for its "ready" line */
static int await_ready(struct pytest_worker *w)
{
	struct buf line = BUF_INIT, msg = BUF_INIT;
	json_t *rec = NULL;
	int err;

	err = proc_child_read_line(&w->child, &line, PYTEST_WORKER_START_TIMEOUT_MS);
	if (!err) {
		rec = json_loads(line.ptr, 0, NULL);
		if (!rec || strcmp(json_string_value(json_object_get(rec, "ev")) ?: "", "ready"))
			err = error_setc(ERR_PARSE, "cannot start a warm worker: it said '%.200s'",
					 line.ptr);
		else
			log_debug("warm worker %d ready: %lld tests collected", (int)w->child.pid,
				  (long long)json_integer_value(json_object_get(rec, "items")));
	} else if (err != ERR_INTERRUPTED) {
		buf_addf(&msg, "cannot start a warm worker: %s", err == ERR_TIMEOUT ?
			 "it did not collect in time" : "pytest stopped before it collected");
		add_log_tail(&msg, w);
		err = error_setc(err == ERR_TIMEOUT ? ERR_TIMEOUT : ERR_GENERIC, "%s", msg.ptr);
	}
	json_decref(rec);
	buf_release(&line);
	buf_release(&msg);
	return err;
}

int pytest_worker_spawn(struct pytest_worker **out, const struct pytest_worker_options *o)
{
	struct pytest_options po = PYTEST_OPTIONS_INIT;
	struct pytest_process_options ppo = { 0 };
	struct proc_spawn_options so = { 0 };
	struct strvec cmd = STRVEC_INIT, argv = STRVEC_INIT, env = STRVEC_INIT;
	struct strvec plugin_args = STRVEC_INIT;
	struct buf records = BUF_INIT, log = BUF_INIT;
	struct pytest_worker *w = xcalloc(1, sizeof(*w));
	int spawned = 0, err;

	*out = NULL;
	pthread_mutex_init(&w->lock, NULL);
	buf_init(&w->root, 0);
	buf_init(&w->dir, 0);
	strvec_init(&w->extra_args);
	if (o->extra_args)
		strvec_pushv(&w->extra_args, o->extra_args->v);
	w->has_paths = o->paths && o->paths->nr;
	if ((err = fs_realpath(&w->root, o->root ? o->root : ".")) < 0)
		goto done;
	po.root = o->root;
	po.venv_root = o->venv_root;
	po.command = o->command;
	po.choice = o->choice;
	if ((err = pytest_resolve_command(&cmd, &po)) < 0 || (err = check_command(&cmd)) < 0)
		goto done;
	if ((err = pytest_plugin_dir_create(&w->dir, "pytest-fixer-worker")) < 0)
		goto done;
	buf_addf(&records, "%s/startup.jsonl", w->dir.ptr);
	buf_addf(&log, "%s/%s", w->dir.ptr, PYTEST_WORKER_LOG);
	strvec_push(&plugin_args, "-p");
	strvec_push(&plugin_args, PYTEST_WORKER_MODULE);
	strvec_pushf(&plugin_args, "--pytest-fixer-serve=%d", PROC_CHANNEL_FD);
	ppo.cmd = &cmd;
	ppo.plugin_dir = w->dir.ptr;
	ppo.records = records.ptr;
	ppo.plugin_args = &plugin_args;
	ppo.extra_args = o->extra_args;
	ppo.paths = o->paths;
	ppo.every_test = 1;
	pytest_process_command(&argv, &env, &ppo);
	so.argv = argv.v;
	so.env = &env;
	so.cwd = o->root;
	so.output = log.ptr;
	if ((err = proc_spawn(&w->child, &so)) < 0)
		goto done;
	spawned = 1;
	*out = w;
	w = NULL;

done:
	if (w) {
		if (spawned)
			proc_child_stop(&w->child, 0);
		pytest_plugin_dir_remove(&w->dir);
		buf_release(&w->root);
		strvec_clear(&w->extra_args);
		pthread_mutex_destroy(&w->lock);
		free(w);
	}
	strvec_clear(&cmd);
	strvec_clear(&argv);
	strvec_clear(&env);
	strvec_clear(&plugin_args);
	buf_release(&records);
	buf_release(&log);
	return err;
}

int pytest_worker_ready(struct pytest_worker *w, int wait)
{
	int err;

	if (w->state)
		return w->state > 0 ? 1 : error_setc(ERR_GENERIC, "%s", w->why);
	if (!wait) {
		struct pollfd pfd = { .fd = w->child.fd, .events = POLLIN };
		if (!w->child.pending.len && poll(&pfd, 1, 0) == 0)
			return 0;
	}
	if ((err = await_ready(w)) < 0) {
		if (err == ERR_INTERRUPTED)
			return err;
		pthread_mutex_lock(&w->lock);
		w->state = -1;
		w->why = xstrdup(error_last());
		proc_child_stop(&w->child, 0);
		pthread_mutex_unlock(&w->lock);
		return err;
	}
	pthread_mutex_lock(&w->lock);
	w->state = 1;
	w->alive = 1;
	pthread_mutex_unlock(&w->lock);
	return 1;
}

int pytest_worker_start(struct pytest_worker **out, const struct pytest_worker_options *o)
{
	int err;

	if ((err = pytest_worker_spawn(out, o)) < 0)
		return err;
	if ((err = pytest_worker_ready(*out, 1)) < 0) {
		pytest_worker_stop(*out);
		*out = NULL;
	}
	return err < 0 ? err : 0;
}

void pytest_worker_stop(struct pytest_worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	proc_child_stop(&w->child, w->alive ? PYTEST_WORKER_STOP_GRACE_MS : 0);
	w->alive = 0;
	pthread_mutex_unlock(&w->lock);
	pytest_plugin_dir_remove(&w->dir);
	free(w->why);
	buf_release(&w->root);
	strvec_clear(&w->extra_args);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

void pytest_worker_stats(struct pytest_worker_stats *out, const struct pytest_worker *w)
{
	struct pytest_worker *mw = (struct pytest_worker *)w;

	memset(out, 0, sizeof(*out));
	if (!w)
		return;
	pthread_mutex_lock(&mw->lock);
	*out = mw->stats;
	pthread_mutex_unlock(&mw->lock);
}
