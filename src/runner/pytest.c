#include "runner/pytest.h"

#include "plugin_source.h"
#include "probe_source.h"
#include "runner/records.h"
#include "runner/worker_state.h"
#include "worker_source.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/proc.h"
#include "util/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PLUGIN_MODULE "pytest_fixer_plugin"
#define RECORDS_READ_CHUNK 65536
#define STDERR_TAIL_SHOWN 4000
#define PYTEST_OUTPUT_BATCH_MS 20   /* pytest's dots need not wake us one by one */

struct pytest_choice {
	pthread_mutex_t lock;
	struct strvec words;   /* empty until a run chose */
	char *text;            /* set once, with words */
};

struct pytest_choice *pytest_choice_new(void)
{
	struct pytest_choice *c = xcalloc(1, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	strvec_init(&c->words);
	return c;
}

void pytest_choice_free(struct pytest_choice *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->lock);
	strvec_clear(&c->words);
	free(c->text);
	free(c);
}

const char *pytest_choice_text(struct pytest_choice *c)
{
	const char *text;
	if (!c)
		return NULL;
	pthread_mutex_lock(&c->lock);
	text = c->text;
	pthread_mutex_unlock(&c->lock);
	return text;
}

/* the words chosen earlier pushed onto `out` (nothing without a choice); 1 if there were */
static int choice_words(struct strvec *out, struct pytest_choice *c)
{
	size_t before = out->nr;
	if (!c)
		return 0;
	pthread_mutex_lock(&c->lock);
	if (c->words.nr)
		strvec_pushv(out, c->words.v);
	pthread_mutex_unlock(&c->lock);
	return out->nr > before;
}

/* remember `cmd` (the words of `text`) unless a choice was made meanwhile */
static void choice_set(struct pytest_choice *c, const struct strvec *cmd, const char *text)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	if (!c->words.nr) {
		strvec_pushv(&c->words, cmd->v);
		c->text = xstrdup(text);
		log_debug("using '%s'", c->text);
	}
	pthread_mutex_unlock(&c->lock);
}

int pytest_plugin_dir_create(struct buf *dir, const char *prefix)
{
	static const struct {
		const char *module;
		const unsigned char *source;
		const unsigned long *len;
	} files[] = {
		{ PLUGIN_MODULE, pytest_plugin_source, &pytest_plugin_source_len },
		{ PYTEST_WORKER_MODULE, pytest_worker_source, &pytest_worker_source_len },
		{ PYTEST_PROBE_MODULE, pytest_probe_source, &pytest_probe_source_len },
	};
	struct buf path = BUF_INIT;
	size_t i;
	int err;

	if ((err = fs_mkdtemp(dir, prefix)) < 0)
		return err;
	for (i = 0; i < ARRAY_SIZE(files) && !err; i++) {
		buf_reset(&path);
		buf_addf(&path, "%s/%s.py", dir->ptr, files[i].module);
		err = fs_write_atomic(path.ptr, files[i].source, *files[i].len, 0644);
	}
	buf_release(&path);
	return err;
}

void pytest_plugin_dir_remove(struct buf *dir)
{
	if (dir->len)
		fs_remove_tree(dir->ptr);
	buf_release(dir);
}

/* The private directory of one pytest_run(): the plugin, records, skip file. */
struct workdir {
	struct buf dir;
	struct buf records;
	struct buf skip;
};

static int workdir_create(struct workdir *w)
{
	int err;

	buf_init(&w->dir, 0);
	buf_init(&w->records, 0);
	buf_init(&w->skip, 0);
	if ((err = pytest_plugin_dir_create(&w->dir, "pytest-fixer")) < 0)
		return err;
	buf_addf(&w->records, "%s/records.jsonl", w->dir.ptr);
	buf_addf(&w->skip, "%s/skip.txt", w->dir.ptr);
	return 0;
}

static void workdir_remove(struct workdir *w)
{
	pytest_plugin_dir_remove(&w->dir);
	buf_release(&w->records);
	buf_release(&w->skip);
}

void pytest_follow_init(struct pytest_follow *f, struct records_reader *reader)
{
	memset(f, 0, sizeof(*f));
	f->reader = reader;
	f->fd = -1;
	buf_init(&f->parse_msg, 0);
}

void pytest_follow_release(struct pytest_follow *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	free(f->hung_id);
	f->hung_id = NULL;
	buf_release(&f->parse_msg);
}

/* read what the plugin has written since the last time */
static int follow_read(struct pytest_follow *f, const char *path)
{
	char chunk[RECORDS_READ_CHUNK];

	if (f->parse_err)
		return f->parse_err;
	if (f->fd < 0) {
		f->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (f->fd < 0)
			return 0;   /* not written yet */
	}
	for (;;) {
		ssize_t n = read(f->fd, chunk, sizeof(chunk));
		int err;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		if ((err = records_reader_feed(f->reader, chunk, (size_t)n)) < 0) {
			f->parse_err = err;
			buf_reset(&f->parse_msg);
			buf_adds(&f->parse_msg, error_last());
			return err;
		}
	}
}

/* The watchdog's view of one process: the follow and where its records are. */
struct watch {
	struct pytest_follow *f;
	const char *path;
};

/*
 * The per-test timeout, in two steps: at the limit the process running the
 * test gets SIGALRM (the plugin turns it into a Timeout failure where the
 * test is, and the run goes on); if the test is still running after the
 * grace period, the whole run is killed and resumed without it.
 */
static int watchdog_tick(void *payload)
{
	struct watch *wt = payload;
	struct pytest_follow *f = wt->f;
	struct running_test *t;
	double elapsed;

	if (follow_read(f, wt->path) < 0)
		return 1;
	if (f->test_timeout <= 0)
		return 0;
	t = records_reader_oldest(f->reader);
	if (!t)
		return 0;
	elapsed = clock_monotonic() - t->started;
	if (elapsed > f->test_timeout && !t->alarmed && t->pid > 0) {
		t->alarmed = 1;
		log_info("'%s' has run for %.0f s: interrupting it", t->id, elapsed);
		kill((pid_t)t->pid, SIGALRM);
	}
	if (elapsed > f->test_timeout + PYTEST_WATCHDOG_GRACE) {
		free(f->hung_id);
		f->hung_id = xstrdup(t->id);
		log_warn("'%s' is still running after %.0f s: stopping it", t->id,
			 clock_monotonic() - t->started);
		return 1;
	}
	return 0;
}

/* ERR_NOTFOUND: no candidate could import pytest */
static int not_found(const struct buf *tried)
{
	return error_setc(ERR_NOTFOUND,
			  "cannot find pytest; tried:%s\n"
			  "install it (Debian: apt-get install python3-pytest; or pip install pytest "
			  "in the project's virtualenv) or name the command with --pytest 'CMD' "
			  "or %s", tried->ptr, PYTEST_ENV_COMMAND);
}

void pytest_add_output_tail(struct buf *msg, const struct proc_result *pr)
{
	const struct buf *text = pr->err.len ? &pr->err : &pr->out;
	const char *start = text->ptr;
	struct buf tmp = BUF_INIT;

	if (!text->len)
		return;
	if (text->len > STDERR_TAIL_SHOWN)
		start = text->ptr + text->len - STDERR_TAIL_SHOWN;
	buf_add(&tmp, start, (size_t)(text->ptr + text->len - start));
	buf_trim(&tmp);
	buf_addf(msg, "\n--- pytest said ---\n%s", tmp.ptr);
	buf_release(&tmp);
}

static int lacks_pytest(const struct proc_result *pr)
{
	return !pr->signal && pr->exit_code != 0 &&
	       (strstr(pr->err.ptr, "No module named pytest") ||
		strstr(pr->err.ptr, "No module named 'pytest'"));
}

static void build_argv(struct strvec *argv, const struct pytest_process_options *o)
{
	strvec_pushv(argv, o->cmd->v);
	strvec_push(argv, "-p");
	strvec_push(argv, PLUGIN_MODULE);
	strvec_pushf(argv, "--pytest-fixer-records=%s", o->records);
	if (o->test_timeout > 0)
		strvec_pushf(argv, "--pytest-fixer-timeout=%g", o->test_timeout);
	if (o->plugin_args)
		strvec_pushv(argv, o->plugin_args->v);
	if (o->skip_file)
		strvec_pushf(argv, "--pytest-fixer-skip-file=%s", o->skip_file);
	/* the user's checkout gets no .pytest_cache from us */
	strvec_push(argv, "-p");
	strvec_push(argv, "no:cacheprovider");
	/* a module that cannot be imported must not hide the other tests */
	strvec_push(argv, "--continue-on-collection-errors");
	if (o->every_test)
		strvec_push(argv, "--maxfail=0");
	strvec_push(argv, "-q");
	strvec_push(argv, "--color=no");
	if (o->keyword) {
		strvec_push(argv, "-k");
		strvec_push(argv, o->keyword);
	}
	if (o->extra_args)
		strvec_pushv(argv, o->extra_args->v);
	if (o->paths)
		strvec_pushv(argv, o->paths->v);
}

static void build_env(struct strvec *env, const struct pytest_process_options *o)
{
	const char *old = getenv("PYTHONPATH");
	if (old && *old)
		strvec_pushf(env, "PYTHONPATH=%s:%s", o->plugin_dir, old);
	else
		strvec_pushf(env, "PYTHONPATH=%s", o->plugin_dir);
	/* tracebacks and messages as UTF-8 whatever the locale */
	strvec_push(env, "PYTHONIOENCODING=utf-8:backslashreplace");
	/*
	 * Otherwise PYTEST_ADDOPTS goes through, as for pytest itself: pytest
	 * puts it before the command line, so the arguments of build_argv()
	 * still win
	 */
	if (o->without_addopts)
		strvec_push(env, "PYTEST_ADDOPTS");
}

void pytest_process_command(struct strvec *argv, struct strvec *env,
			    const struct pytest_process_options *o)
{
	build_argv(argv, o);
	build_env(env, o);
}

int pytest_process_run(struct proc_result *pr, struct pytest_follow *f,
		       const struct pytest_process_options *o)
{
	struct proc_options po = PROC_OPTIONS_INIT;
	struct strvec argv = STRVEC_INIT;
	struct strvec env = STRVEC_INIT;
	struct watch wt = { f, o->records };
	int err;

	pytest_process_command(&argv, &env, o);
	f->test_timeout = o->test_timeout;
	po.argv = argv.v;
	po.env = &env;
	po.cwd = o->cwd;
	po.timeout_ms = o->timeout_ms;
	po.out_cap = o->output_cap;
	po.err_cap = o->output_cap;
	po.tick = watchdog_tick;
	po.batch_ms = PYTEST_OUTPUT_BATCH_MS;
	po.payload = &wt;
	err = proc_run(pr, &po);
	if (!err)
		follow_read(f, o->records);
	strvec_clear(&argv);
	strvec_clear(&env);
	return err;
}

static int write_skip_file(const struct workdir *w, const struct strvec *ids)
{
	struct buf b = BUF_INIT;
	size_t i;
	int err;
	for (i = 0; i < ids->nr; i++)
		buf_addf(&b, "%s\n", ids->v[i]);
	err = fs_write_atomic(w->skip.ptr, b.ptr, b.len, 0600);
	buf_release(&b);
	return err;
}

void pytest_add_exit_status(struct buf *msg, int exitstatus)
{
	buf_addf(msg, "pytest stopped with exit status %d (%s)", exitstatus,
		 exitstatus == 3 ? "internal error" : exitstatus == 2 ? "interrupted" : "unexpected");
}

static void say_rejected(struct buf *msg)
{
	const char *addopts = getenv("PYTEST_ADDOPTS");
	buf_adds(msg, "pytest rejected its arguments");
	if (addopts && *addopts)
		buf_addf(msg, " (with PYTEST_ADDOPTS='%s')", addopts);
}

/* How a finished run that did not end as it should is explained. */
static int explain_failure(const struct proc_result *pr, const struct pytest_follow *fl,
			   const struct records_reader *rd)
{
	struct buf msg = BUF_INIT;
	struct buf how = BUF_INIT;
	const struct running_test *t = records_reader_oldest((struct records_reader *)rd);
	int code = ERR_GENERIC;

	proc_describe_exit(&how, pr);
	if (pr->interrupted) {
		buf_release(&how);
		return error_setc(ERR_INTERRUPTED, "the test run was interrupted");
	}
	if (fl->parse_err) {
		buf_addf(&msg, "cannot read the records of the test run: %s", fl->parse_msg.ptr);
		code = ERR_PARSE;
	} else if (pr->timed_out) {
		buf_addf(&msg, "the test run did not finish in time: %s", how.ptr);
		code = ERR_TIMEOUT;
	} else if (!rd->sessions && !pr->signal && pr->exit_code == 4) {
		say_rejected(&msg);
		code = ERR_USAGE;
	} else if (!rd->sessions) {
		buf_addf(&msg, "pytest did not start a test session (%s)", how.ptr);
	} else if (rd->finished && rd->exitstatus == 4) {
		say_rejected(&msg);
		code = ERR_USAGE;
	} else if (rd->finished) {
		pytest_add_exit_status(&msg, rd->exitstatus);
	} else if (t) {
		buf_addf(&msg, "the test run crashed: pytest %s while running '%s'", how.ptr, t->id);
	} else {
		buf_addf(&msg, "the test run crashed: pytest %s before it finished", how.ptr);
	}
	pytest_add_output_tail(&msg, pr);
	error_setc(code, "%s", msg.ptr);
	buf_release(&msg);
	buf_release(&how);
	return code;
}


/*
 * Runs through a warm worker (runner/worker.h, worker_state.h). A run it
 * cannot serve, or one during which it died or misbehaved, is WARM_FALLBACK:
 * pytest_run() then starts a fresh process, which gives the same verdicts.
 */
#define WARM_FALLBACK 1

/* a run the worker can give the verdicts of a fresh process for */
static int warm_eligible(const struct pytest_options *o)
{
	struct pytest_worker *wk = o->worker;
	struct buf root = BUF_INIT;
	size_t i, nr_extra = o->extra_args ? o->extra_args->nr : 0;
	int ok;

	if (!wk || o->keyword || !o->every_test || o->coverage_file)
		return 0;
	/* without paths a fresh pytest collects its default, which the worker may not have */
	if ((!o->paths || !o->paths->nr) && wk->has_paths)
		return 0;
	if (nr_extra != wk->extra_args.nr)
		return 0;
	for (i = 0; i < nr_extra; i++)
		if (strcmp(o->extra_args->v[i], wk->extra_args.v[i]))
			return 0;
	if (fs_realpath(&root, o->root ? o->root : ".") < 0) {
		buf_release(&root);
		error_clear();
		return 0;
	}
	ok = !strcmp(root.ptr, wk->root.ptr);
	buf_release(&root);
	return ok;
}

static json_t *json_strings(const struct strvec *sv)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; sv && i < sv->nr; i++) {
		json_t *str = json_string(sv->v[i]);
		if (!str) {   /* not UTF-8: a fresh process takes it */
			json_decref(a);
			return NULL;
		}
		json_array_append_new(a, str);
	}
	return a;
}

/* the request line of a run, or NULL when it cannot be said in JSON */
static char *warm_request(const struct pytest_options *o, const struct workdir *w,
			  const struct strvec *skip)
{
	json_t *ids = json_strings(o->paths), *sk = json_strings(skip), *req;
	struct buf out = BUF_INIT;
	char *text = NULL;

	buf_addf(&out, "%s/%s", w->dir.ptr, PYTEST_WORKER_OUT);
	if (ids && sk) {
		req = json_pack("{s:O, s:O, s:s, s:s, s:f}", "ids", ids, "skip", sk,
				"records", w->records.ptr, "out", out.ptr,
				"timeout", o->test_timeout);
		text = warm_line(req);
		json_decref(req);
	}
	json_decref(ids);
	json_decref(sk);
	buf_release(&out);
	return text;
}

/*
 * One request, as pytest_process_run() runs one process: records followed
 * into `fl`, `pr` says how it ended (exit_code: pytest's exit status;
 * tick_killed with fl->hung_id: stopped at its time limit, `*limit` s).
 */
static int warm_process_run(struct proc_result *pr, struct pytest_follow *fl,
			    struct pytest_worker *wk, const struct pytest_options *o,
			    const struct workdir *w, const struct strvec *skip, double *limit)
{
	int64_t start = clock_monotonic_ns();
	char *req = warm_request(o, w, skip);
	json_t *rep = NULL;
	const char *ev = NULL, *how;
	struct buf line = BUF_INIT, why = BUF_INIT;
	pid_t pid = 0;
	int err = WARM_FALLBACK, wait_ms, by_run = 0, got;

	if (!req)
		goto done;
	if ((got = warm_start(&pid, limit, wk, req, &why)) <= 0) {
		if (got == 0)
			log_debug("the warm worker passes the run on: %s", why.ptr);
		goto done;
	}
	wait_ms = *limit > 0 ? (int)(*limit * 1000) + 1 : -1;
	if (o->run_timeout_ms > 0 && (wait_ms < 0 || o->run_timeout_ms < wait_ms)) {
		wait_ms = o->run_timeout_ms;
		by_run = 1;
	}

	got = proc_child_read_line(&wk->child, &line, wait_ms);
	if (got == ERR_TIMEOUT || got == ERR_INTERRUPTED) {
		killpg(pid, SIGKILL);
		if (got == ERR_INTERRUPTED) {
			/* its answer cannot be waited for now */
			pr->interrupted = 1;
			warm_lost(wk, "interrupted");
			err = 0;
			goto done;
		}
		if (by_run) {
			pr->timed_out = 1;
		} else {
			pr->tick_killed = 1;
			wk->stats.killed++;
		}
		log_debug("warm run stopped at its time limit of %.3g s", by_run ?
			  o->run_timeout_ms / 1000.0 : *limit);
	} else if (got < 0) {
		killpg(pid, SIGKILL);
		warm_lost(wk, error_last());
		goto done;
	} else if (!(rep = warm_parse(&line, &ev))) {
		killpg(pid, SIGKILL);
		warm_lost(wk, "a reply that is not one");
		goto done;
	}
	if (!rep && !(rep = warm_reply(wk, &ev, PYTEST_WORKER_REPLY_TIMEOUT_MS)))
		goto done;
	how = json_string_value(json_object_get(rep, "how"));
	if (strcmp(ev, "done") || !how) {
		warm_lost(wk, "it did not say how the run ended");
		goto done;
	}
	if (!strcmp(how, "ok")) {
		pr->exit_code = (int)json_integer_value(json_object_get(rep, "exitstatus"));
	} else if (strcmp(how, "signal") || !(pr->tick_killed || pr->timed_out)) {
		/* it fell back, or crashed: a fresh process tells what a crash is */
		log_debug("the warm run ended '%s': %s", how,
			  json_string_value(json_object_get(rep, "reason")) ?: "");
		goto done;
	}
	follow_read(fl, w->records.ptr);
	if (pr->tick_killed) {
		struct running_test *t = records_reader_oldest(fl->reader);
		if (!t)
			goto done;   /* killed outside a test: let a fresh process see */
		fl->hung_id = xstrdup(t->id);
	}
	err = 0;

done:
	/* what the run left behind in its group (a test's daemon) goes with it */
	warm_finish(wk, pid);
	pr->elapsed = (double)(clock_monotonic_ns() - start) / 1e9;
	buf_release(&line);
	buf_release(&why);
	json_decref(rep);
	free(req);
	return err;
}

/* `warm`: through that worker (WARM_FALLBACK when it cannot), `cmd` unused */
static int run_command(struct test_result *out, const struct strvec *cmd,
		       const struct pytest_options *opts, const struct workdir *w,
		       struct buf *why_not, struct pytest_worker *warm)
{
	struct pytest_process_options po = {
		.cmd = cmd,
		.cwd = opts->root,
		.plugin_dir = w->dir.ptr,
		.records = w->records.ptr,
		.test_timeout = opts->test_timeout,
		.every_test = opts->every_test,
		.timeout_ms = opts->run_timeout_ms,
		.keyword = opts->keyword,
		.extra_args = opts->extra_args,
		.paths = opts->paths,
	};
	struct records_reader rd;
	struct pytest_follow fl;
	struct strvec done = STRVEC_INIT, coverage_args = STRVEC_INIT;
	int resumes = 0;
	int err = 0;

	if (opts->coverage_file) {
		strvec_pushf(&coverage_args, "--pytest-fixer-coverage=%s", opts->coverage_file);
		po.plugin_args = &coverage_args;
	}
	records_reader_init(&rd, out);
	rd.done_ids = &done;
	rd.on_record = opts->on_record;
	rd.payload = opts->payload;
	pytest_follow_init(&fl, &rd);

	for (;;) {
		struct proc_result pr = PROC_RESULT_INIT;
		double limit = opts->test_timeout;

		po.skip_file = resumes > 0 ? w->skip.ptr : NULL;
		if (warm)
			err = warm_process_run(&pr, &fl, warm, opts, w, &done, &limit);
		else
			err = pytest_process_run(&pr, &fl, &po);
		if (err == WARM_FALLBACK) {
			proc_result_release(&pr);
			break;
		}
		if (err) {
			/* the program itself is missing: another candidate may do */
			buf_addf(why_not, "%s", error_last());
			proc_result_release(&pr);
			break;
		}
		out->duration += pr.elapsed;
		if (!rd.sessions && !resumes && lacks_pytest(&pr)) {
			buf_adds(why_not, "no module named pytest");
			err = ERR_NOTFOUND;
			proc_result_release(&pr);
			break;
		}
		if (fl.hung_id && pr.tick_killed && !fl.parse_err) {
			struct buf m = BUF_INIT;
			if (warm)
				buf_addf(&m, "the test did not finish within %.3g s (its time limit "
					 "from the durations measured before) and was killed", limit);
			else
				buf_addf(&m, "the test did not finish within %g s and was killed "
					 "(it could not be interrupted, e.g. it is blocked in C code)",
					 opts->test_timeout);
			records_reader_abandon(&rd, fl.hung_id, "Timeout", m.ptr);
			buf_release(&m);
			free(fl.hung_id);
			fl.hung_id = NULL;
			/* the tests still in flight (xdist) are run again */
			records_reader_drop_running(&rd);
			if (++resumes > PYTEST_MAX_RESUMES) {
				err = error_set("more than %d tests hung: giving up", PYTEST_MAX_RESUMES);
				proc_result_release(&pr);
				break;
			}
			if (!warm && (err = write_skip_file(w, &done)) < 0) {
				proc_result_release(&pr);
				break;
			}
			rd.sessions = 0;
			rd.finished = 0;
			proc_result_release(&pr);
			continue;
		}
		if (fl.parse_err || pr.interrupted || pr.timed_out || !rd.finished ||
		    (rd.exitstatus != 0 && rd.exitstatus != 1 && rd.exitstatus != 5)) {
			err = explain_failure(&pr, &fl, &rd);
		} else if ((err = records_reader_finish(&rd)) < 0) {
			err = error_prefix(ERR_PARSE, "cannot read the records of the test run");
		}
		proc_result_release(&pr);
		break;
	}
	pytest_follow_release(&fl);
	records_reader_release(&rd);
	strvec_clear(&done);
	strvec_clear(&coverage_args);
	return err;
}

/*
 * Through opts->worker when it can serve the run; WARM_FALLBACK when not.
 * The run's files are in the worker's directory (one run at a time), so a
 * warm run writes no plugin.
 */
static int run_warm(struct test_result *out, const struct pytest_options *opts)
{
	struct pytest_worker *wk = opts->worker;
	struct workdir w = { BUF_INIT, BUF_INIT, BUF_INIT };
	struct buf output = BUF_INIT;
	int err = WARM_FALLBACK;

	pthread_mutex_lock(&wk->lock);
	if (wk->alive && warm_eligible(opts)) {
		buf_adds(&w.dir, wk->dir.ptr);
		buf_addf(&w.records, "%s/run.jsonl", wk->dir.ptr);
		buf_addf(&output, "%s/%s", wk->dir.ptr, PYTEST_WORKER_OUT);
		/* the children append to both: what the last run left goes first */
		if ((unlink(w.records.ptr) < 0 && errno != ENOENT) ||
		    (unlink(output.ptr) < 0 && errno != ENOENT))
			log_warn("cannot clear the warm worker's directory: %s", strerror(errno));
		err = run_command(out, NULL, opts, &w, NULL, wk);
		if (err != WARM_FALLBACK)
			wk->stats.warm++;
		buf_release(&w.dir);
		buf_release(&w.records);
		buf_release(&output);
	}
	if (err == WARM_FALLBACK) {
		wk->stats.fallback++;
		test_result_release(out);
	}
	pthread_mutex_unlock(&wk->lock);
	return err;
}

/* the whole of the records file `path` into `res`: 0 when it holds a finished run */
static int read_records_file(struct test_result *res, const char *path)
{
	struct records_reader rd;
	struct buf text = BUF_INIT;
	int err;

	records_reader_init(&rd, res);
	if ((err = fs_read_file(&text, path, 0)) == 0 &&
	    (err = records_reader_feed(&rd, text.ptr, text.len)) == 0 &&
	    (err = records_reader_finish(&rd)) == 0 && !rd.finished)
		err = error_setc(ERR_PARSE, "the run's records end before its finish");
	if (!err && rd.exitstatus != 0 && rd.exitstatus != 1 && rd.exitstatus != 5)
		err = error_setc(ERR_GENERIC, "the run ended with status %d", rd.exitstatus);
	records_reader_release(&rd);
	buf_release(&text);
	return err;
}

static char *screen_request(const struct pytest_options *o, const char *dir,
			    const struct pytest_screen_run *runs, size_t n)
{
	json_t *req = json_object(), *list = json_array();
	struct buf path = BUF_INIT;
	char *text;
	size_t i;

	json_object_set_new(req, "ids", json_strings(o->paths));
	json_object_set_new(req, "skip", json_array());
	buf_addf(&path, "%s/%s", dir, PYTEST_WORKER_OUT);
	json_object_set_new(req, "out", json_string(path.ptr));
	json_object_set_new(req, "timeout", json_real(o->test_timeout));
	for (i = 0; i < n; i++) {
		json_t *run = json_object();
		buf_reset(&path);
		buf_addf(&path, "%s/screen-%zu.jsonl", dir, i);
		json_object_set_new(run, "records", json_string(path.ptr));
		if (runs[i].path)
			json_object_set_new(run, "files", json_pack("{s:s}", runs[i].path,
								     runs[i].source));
		json_array_append_new(list, run);
	}
	json_object_set_new(req, "screen", list);
	text = warm_line(req);
	json_decref(req);
	buf_release(&path);
	return text;
}

int pytest_worker_screen(struct pytest_screen_run *runs, size_t n,
			 const struct pytest_options *opts)
{
	struct pytest_worker *wk = opts->worker;
	json_t *rep = NULL, *list;
	const char *ev = NULL;
	struct buf line = BUF_INIT, path = BUF_INIT, why = BUF_INIT;
	char *req = NULL;
	pid_t pid = 0;
	double limit;
	size_t i;
	int got, err = 0;

	for (i = 0; i < n; i++) {
		runs[i].done = 0;
		test_result_init(&runs[i].res);
	}
	if (!wk || !n)
		return 0;
	pthread_mutex_lock(&wk->lock);
	if (!wk->alive || !warm_eligible(opts) || !(req = screen_request(opts, wk->dir.ptr, runs, n)))
		goto done;
	for (i = 0; i < n; i++) {
		buf_reset(&path);
		buf_addf(&path, "%s/screen-%zu.jsonl", wk->dir.ptr, i);
		unlink(path.ptr);
	}
	if ((got = warm_start(&pid, &limit, wk, req, &why)) <= 0) {
		if (got == 0)
			log_debug("the warm worker cannot screen: %s", why.ptr);
		err = got == ERR_INTERRUPTED ? got : 0;
		goto done;
	}
	/* the child keeps each run to its limit; past them all, it is stopped here */
	got = proc_child_read_line(&wk->child, &line, limit > 0 ? (int)(limit * 1000) + 1000 : -1);
	if (got < 0) {
		killpg(pid, SIGKILL);
		if (got == ERR_INTERRUPTED)
			err = got;
		warm_lost(wk, got == ERR_TIMEOUT ? "a screen ran past its limit" : error_last());
		goto done;
	}
	if (!(rep = warm_parse(&line, &ev)) || strcmp(ev, "done")) {
		killpg(pid, SIGKILL);
		warm_lost(wk, "a reply that is not one");
		goto done;
	}
	wk->stats.screens++;
	list = json_object_get(rep, "runs");
	for (i = 0; i < json_array_size(list); i++) {
		json_t *r = json_array_get(list, i);
		json_int_t k = json_integer_value(json_object_get(r, "run"));
		if (k >= 0 && json_object_get(r, "limit"))
			log_debug("screen run %lld: stopped at its time limit", (long long)k);
		if (k >= 0 && json_object_get(r, "skipped"))
			log_debug("screen run %lld: %s", (long long)k,
				  json_string_value(json_object_get(r, "skipped")) ?: "");
		if (k < 0 || (size_t)k >= n || !json_is_integer(json_object_get(r, "exitstatus")))
			continue;
		buf_reset(&path);
		buf_addf(&path, "%s/screen-%zu.jsonl", wk->dir.ptr, (size_t)k);
		test_result_release(&runs[k].res);
		test_result_init(&runs[k].res);
		if (read_records_file(&runs[k].res, path.ptr) == 0) {
			runs[k].done = 1;
			wk->stats.screened++;
		} else
			log_debug("screen run %lld: %s", (long long)k, error_last());
		error_clear();
	}

done:
	warm_finish(wk, pid);
	pthread_mutex_unlock(&wk->lock);
	json_decref(rep);
	free(req);
	buf_release(&line);
	buf_release(&path);
	buf_release(&why);
	return err;
}

/* The candidate commands, most specific first. */
static void candidates(struct strvec *out, const char *root)
{
	const char *venv = getenv("VIRTUAL_ENV");
	const char *base = root ? root : ".";
	struct buf path = BUF_INIT;
	static const char *const local[] = { ".venv/bin/python", "venv/bin/python" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(local); i++) {
		buf_reset(&path);
		buf_addf(&path, "%s/%s", base, local[i]);
		if (!access(path.ptr, X_OK)) {
			struct buf abs = BUF_INIT;
			if (!fs_realpath(&abs, base))
				strvec_pushf(out, "%s/%s -m pytest", abs.ptr, local[i]);
			buf_release(&abs);
		}
	}
	if (venv && *venv)
		strvec_pushf(out, "%s/bin/python -m pytest", venv);
	/*
	 * "python -m pytest" before a bare "pytest": it also puts the project
	 * directory on sys.path, which many projects rely on
	 */
	strvec_push(out, "python3 -m pytest");
	strvec_push(out, "/usr/bin/python3 -m pytest");
	strvec_push(out, "pytest");
	buf_release(&path);
}

int pytest_run(struct test_result *out, const struct pytest_options *opts)
{
	struct workdir w;
	struct strvec cands = STRVEC_INIT;
	struct buf tried = BUF_INIT;
	const char *named = getenv(PYTEST_ENV_COMMAND);
	size_t i;
	int err;

	if (opts->worker && (err = run_warm(out, opts)) != WARM_FALLBACK)
		return err;
	if ((err = workdir_create(&w)) < 0) {
		workdir_remove(&w);
		return err;
	}
	if (pytest_choice_text(opts->choice)) {
		/* chosen by an earlier run of the project */
		strvec_push(&cands, pytest_choice_text(opts->choice));
	} else if (opts->command || (named && *named)) {
		strvec_push(&cands, opts->command ? opts->command : named);
	} else {
		candidates(&cands, opts->venv_root ? opts->venv_root : opts->root);
	}

	err = ERR_NOTFOUND;
	for (i = 0; i < cands.nr; i++) {
		struct strvec cmd = STRVEC_INIT;
		struct buf why = BUF_INIT;

		if ((err = strvec_split_command(&cmd, cands.v[i])) < 0 || !cmd.nr) {
			if (!err)
				err = error_setc(ERR_USAGE, "the pytest command is empty");
			strvec_clear(&cmd);
			buf_release(&why);
			break;
		}
		test_result_release(out);
		log_debug("trying '%s'", cands.v[i]);
		err = run_command(out, &cmd, opts, &w, &why, NULL);
		if (err == ERR_NOTFOUND && why.len) {
			buf_addf(&tried, "\n  %s: %s", cands.v[i], why.ptr);
			strvec_clear(&cmd);
			buf_release(&why);
			continue;
		}
		if (err != ERR_NOTFOUND)
			choice_set(opts->choice, &cmd, cands.v[i]);
		strvec_clear(&cmd);
		buf_release(&why);
		break;
	}
	if (err == ERR_NOTFOUND && tried.len)
		not_found(&tried);
	buf_release(&tried);
	strvec_clear(&cands);
	workdir_remove(&w);
	return err;
}

int pytest_resolve_command(struct strvec *out, const struct pytest_options *opts)
{
	struct strvec cands = STRVEC_INIT;
	struct buf tried = BUF_INIT;
	const char *named = getenv(PYTEST_ENV_COMMAND);
	size_t i;
	int err = ERR_NOTFOUND;

	if (choice_words(out, opts->choice))
		return 0;
	if (opts->command || (named && *named)) {
		if ((err = strvec_split_command(out, opts->command ? opts->command : named)) < 0)
			return err;
		return out->nr ? 0 : error_setc(ERR_USAGE, "the pytest command is empty");
	}
	candidates(&cands, opts->venv_root ? opts->venv_root : opts->root);
	for (i = 0; i < cands.nr; i++) {
		struct proc_options po = PROC_OPTIONS_INIT;
		struct proc_result pr = PROC_RESULT_INIT;
		struct strvec cmd = STRVEC_INIT;
		int ok;

		if (strvec_split_command(&cmd, cands.v[i]) < 0 || !cmd.nr) {
			strvec_clear(&cmd);
			continue;
		}
		strvec_push(&cmd, "--version");
		po.argv = cmd.v;
		po.cwd = opts->root;
		err = proc_run(&pr, &po);
		strvec_pop(&cmd);
		ok = !err && !pr.signal && pr.exit_code == 0;
		if (pr.interrupted)
			err = error_setc(ERR_INTERRUPTED, "interrupted");
		else if (!ok)
			buf_addf(&tried, "\n  %s: %s", cands.v[i],
				 err ? error_last() : lacks_pytest(&pr) ? "no module named pytest" :
				 "'--version' failed");
		proc_result_release(&pr);
		if (err == ERR_INTERRUPTED) {
			strvec_clear(&cmd);
			break;
		}
		if (ok) {
			choice_set(opts->choice, &cmd, cands.v[i]);
			if (!choice_words(out, opts->choice))
				strvec_pushv(out, cmd.v);
			strvec_clear(&cmd);
			err = 0;
			break;
		}
		strvec_clear(&cmd);
		err = ERR_NOTFOUND;
	}
	if (err == ERR_NOTFOUND)
		not_found(&tried);
	buf_release(&tried);
	strvec_clear(&cands);
	return err;
}

void pytest_drop_bytecode(const char *work, const char *path)
{
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	size_t stem = strlen(base) > 3 ? strlen(base) - 3 : strlen(base);
	struct buf dir = BUF_INIT, p = BUF_INIT;
	struct dirent *e;
	DIR *d;

	buf_addf(&dir, "%s/%.*s%s__pycache__", work, slash ? (int)(slash - path) : 0, path, slash ? "/" : "");
	if ((d = opendir(dir.ptr))) {
		while ((e = readdir(d)))
			if (!strncmp(e->d_name, base, stem) && e->d_name[stem] == '.') {
				buf_reset(&p);
				buf_addf(&p, "%s/%s", dir.ptr, e->d_name);
				unlink(p.ptr);
			}
		closedir(d);
	}
	buf_release(&dir);
	buf_release(&p);
}
