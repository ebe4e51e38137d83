#include "repro/stress.h"

#include "runner/pytest.h"
#include "runner/records.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/proc.h"
#include "util/sig.h"
#include "util/xalloc.h"

#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OUTPUT_CAP (256u * 1024)      /* pytest's own output: only its tail is shown */
/*
 * What our plugin says when its test loop meets pytest-xdist's distribution
 * (pytest_fixer_plugin.py): the project's configuration adds -n or --dist
 */
#define XDIST_REFUSAL "cannot be combined with pytest-xdist"

/*
 * The shape of it: a list of plans (one pytest process each: an order of
 * node ids, a number of iterations, a seed), run by `jobs` threads, each
 * thread driving one pytest process at a time through runner/pytest.c's
 * driver, whose records reader hands us each record as it is read
 * (on_record(): an "iteration" record ends an iteration). Each plan keeps its
 * own tally; the tallies are merged in plan order when all are done, so
 * the result does not depend on which thread was quicker.
 */

/* What the iterations of one plan came to. */
struct tally {
	int iterations;          /* completed */
	int failures;            /* completed iterations in which a target failed */
	long executions;         /* tests finished */
	int stopped_by_time;
	int restarts;
	struct failure first;    /* id NULL: none yet */
	int first_shuffled;
	unsigned long first_seed;
	struct strvec first_order;
	struct strvec last_order;   /* the order of the last completed iteration */
};

struct plan {
	struct strvec order;     /* node ids, the order of an unshuffled iteration */
	int iterations;
	int shuffle;
	unsigned long seed;      /* iteration i of this plan: seed + i */
	struct tally tally;
	int crashed;             /* the last process died before its session finished */
	int single_process;      /* the last process ran with xdist idle */
	int err;                 /* 0, or the code of err_msg */
	struct buf err_msg;
	int done;
};

/* Shared by the threads of one batch of plans. */
struct batch {
	const struct strvec *cmd;
	const struct stress_options *o;
	const struct strvec *targets;
	const char *dir;           /* private: the plugin, order and records files */
	double deadline;           /* monotonic seconds; 0: none */
	struct plan *plans;
	size_t nr_plans;
	int stop_on_failure;       /* start no plan after a failing one */
	pthread_mutex_t lock;
	size_t next;               /* the next plan to start */
	unsigned serial;           /* names of the files of a process */
	int failed;                /* a plan saw a failing iteration */
	int err;                   /* a plan failed: start no more */
	int *single_process;       /* the setup's: pass "-n 0 --dist no" (pytest-xdist) */
};

/* pure functions ----------------------------------------------------------- */

void stress_wilson(double *lo, double *hi, int k, int n, double z)
{
	double p, z2, denom, center, half;

	if (n <= 0) {
		*lo = 0.0;
		*hi = 1.0;
		return;
	}
	p = (double)k / n;
	z2 = z * z;
	denom = 1.0 + z2 / n;
	center = (p + z2 / (2.0 * n)) / denom;
	half = z * sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * (double)n)) / denom;
	*lo = center - half;
	*hi = center + half;
	/* exact at the ends (rounding would leave 1e-17 off) */
	if (k == 0 || *lo < 0.0)
		*lo = 0.0;
	if (k == n || *hi > 1.0)
		*hi = 1.0;
}

int stress_split(int *counts, int iterations, int jobs)
{
	int used, i;

	if (jobs < 1)
		jobs = 1;
	for (i = 0; i < jobs; i++)
		counts[i] = 0;
	if (iterations <= 0)
		return 0;
	used = iterations < jobs ? iterations : jobs;
	for (i = 0; i < used; i++)
		counts[i] = iterations / used + (i < iterations % used);
	return used;
}

int stress_ddmin(size_t *keep, size_t *nr_keep, size_t n, stress_probe_fn probe, void *payload)
{
	size_t *sub = xmalloc(st_mult(n, sizeof(*sub)));
	size_t cur = n, gran = 2, i;
	int err = 0;

	for (i = 0; i < n; i++)
		keep[i] = i;
	*nr_keep = n;
	while (cur >= 2) {
		size_t c, reduced = 0;

		if (gran > cur)
			gran = cur;
		/* each chunk on its own */
		for (c = 0; c < gran && !reduced; c++) {
			size_t from = cur * c / gran, to = cur * (c + 1) / gran;
			int r = probe(keep + from, to - from, payload);
			if (r < 0) {
				err = r;
				goto done;
			}
			if (r) {
				memmove(keep, keep + from, (to - from) * sizeof(*keep));
				cur = to - from;
				gran = 2;
				reduced = 1;
			}
		}
		/* each complement (with two chunks they are the chunks) */
		for (c = 0; gran > 2 && c < gran && !reduced; c++) {
			size_t from = cur * c / gran, to = cur * (c + 1) / gran, m = 0;
			int r;
			for (i = 0; i < cur; i++)
				if (i < from || i >= to)
					sub[m++] = keep[i];
			r = probe(sub, m, payload);
			if (r < 0) {
				err = r;
				goto done;
			}
			if (r) {
				memcpy(keep, sub, m * sizeof(*keep));
				cur = m;
				gran = gran - 1 > 2 ? gran - 1 : 2;
				reduced = 1;
			}
		}
		*nr_keep = cur;
		if (reduced)
			continue;
		if (gran >= cur)
			break;
		gran = gran * 2 < cur ? gran * 2 : cur;
	}
done:
	*nr_keep = cur;
	free(sub);
	return err;
}

/* results ---------------------------------------------------------------- */

static void tally_release(struct tally *t)
{
	failure_release(&t->first);
	strvec_clear(&t->first_order);
	strvec_clear(&t->last_order);
	memset(t, 0, sizeof(*t));
	strvec_init(&t->first_order);
	strvec_init(&t->last_order);
}

void stress_result_release(struct stress_result *r)
{
	failure_release(&r->first);
	memset(&r->first, 0, sizeof(r->first));
	strvec_clear(&r->failing_order);
}

void order_result_release(struct order_result *r)
{
	free(r->polluter);
	r->polluter = NULL;
	strvec_clear(&r->order);
	failure_release(&r->failure);
	memset(&r->failure, 0, sizeof(r->failure));
}

/* the target's failure in a run that failed becomes the result's (the latest wins) */
static void keep_failure(struct order_result *out, struct tally *t)
{
	if (!t->first.id)
		return;
	failure_release(&out->failure);
	out->failure = t->first;
	memset(&t->first, 0, sizeof(t->first));
}

static void plan_init(struct plan *p)
{
	memset(p, 0, sizeof(*p));
	strvec_init(&p->order);
	strvec_init(&p->tally.first_order);
	strvec_init(&p->tally.last_order);
	buf_init(&p->err_msg, 0);
}

static void plan_release(struct plan *p)
{
	strvec_clear(&p->order);
	tally_release(&p->tally);
	buf_release(&p->err_msg);
}

static struct plan *plans_new(int n)
{
	struct plan *plans = xcalloc(n > 0 ? (size_t)n : 1, sizeof(*plans));
	int i;

	for (i = 0; i < n; i++)
		plan_init(&plans[i]);
	return plans;
}

static void plans_free(struct plan *plans, int n)
{
	int i;

	for (i = 0; plans && i < n; i++)
		plan_release(&plans[i]);
	free(plans);
}

/* following one pytest process --------------------------------------------- */

struct follower {
	struct batch *b;
	struct plan *p;
	struct test_result res;       /* the current iteration */
	struct records_reader rd;     /* reads into `res`; on_record() sees each record first */
	struct pytest_follow fl;
	struct strvec order;          /* ids started in the current iteration */
	int cur_iter;                 /* the last iteration index seen, -1: none */
	int cur_shuffled;
	unsigned long cur_seed;
	int last_done;                /* index of the last iteration ended, -1: none */
	int stopped;                  /* the plugin stopped at the deadline */
};

static int on_record(void *payload, json_t *rec, const char *ev);

static void follower_init(struct follower *f, struct batch *b, struct plan *p)
{
	memset(f, 0, sizeof(*f));
	f->b = b;
	f->p = p;
	test_result_init(&f->res);
	records_reader_init(&f->rd, &f->res);
	f->rd.on_record = on_record;
	f->rd.payload = f;
	pytest_follow_init(&f->fl, &f->rd);
	strvec_init(&f->order);
	f->cur_iter = -1;
	f->last_done = -1;
}

static void follower_reset_iteration(struct follower *f)
{
	records_reader_drop_running(&f->rd);
	test_result_release(&f->res);
	test_result_init(&f->res);
	strvec_clear(&f->order);
}

static void follower_release(struct follower *f)
{
	pytest_follow_release(&f->fl);
	records_reader_release(&f->rd);
	test_result_release(&f->res);
	strvec_clear(&f->order);
}

static int is_target(const struct batch *b, const char *id)
{
	return strvec_find(b->targets, id) >= 0;
}

/* The index of a target's failure in the current iteration, or -1. */
static int failed_target(const struct follower *f)
{
	size_t i;

	for (i = 0; i < f->res.nr_failures; i++)
		if (f->res.failures[i].kind != FAILURE_KIND_COLLECTION &&
		    is_target(f->b, f->res.failures[i].id))
			return (int)i;
	return -1;
}

/* The current iteration is over (complete, or cut short by a crash with a target failed). */
static void end_iteration(struct follower *f)
{
	struct tally *t = &f->p->tally;
	int failed_at = failed_target(f);
	t->iterations++;
	strvec_clear(&t->last_order);
	strvec_pushv(&t->last_order, f->order.v);
	if (failed_at >= 0) {
		t->failures++;
		if (!t->first.id) {
			t->first = f->res.failures[failed_at];   /* moved out */
			memset(&f->res.failures[failed_at], 0, sizeof(f->res.failures[0]));
			t->first_shuffled = f->cur_shuffled;
			t->first_seed = f->cur_seed;
			strvec_pushv(&t->first_order, f->order.v);
		}
		pthread_mutex_lock(&f->b->lock);
		f->b->failed = 1;
		pthread_mutex_unlock(&f->b->lock);
	}
}

/*
 * The records of the plugin's test loop (see pytest_fixer_plugin.py): each
 * "iteration" record ends one, whose results the reader has gathered.
 */
static int on_record(void *payload, json_t *rec, const char *ev)
{
	struct follower *f = payload;
	json_t *v = json_object_get(rec, "iter");

	if (json_is_integer(v) && (int)json_integer_value(v) != f->cur_iter) {
		json_t *s = json_object_get(rec, "seed");
		f->cur_iter = (int)json_integer_value(v);
		f->cur_shuffled = json_is_integer(s);
		f->cur_seed = json_is_integer(s) ? (unsigned long)json_integer_value(s) : 0;
	}
	if (!strcmp(ev, "iteration")) {
		json_t *stopped = json_object_get(rec, "stopped");
		if (json_is_integer(v))
			f->last_done = (int)json_integer_value(v);
		f->p->tally.executions += (long)f->res.summary.total;
		if (json_is_true(json_object_get(rec, "complete")))
			end_iteration(f);
		else if (json_is_string(stopped) && !strcmp(json_string_value(stopped), "deadline"))
			f->stopped = 1;
		follower_reset_iteration(f);
		return 1;
	}
	if (!strcmp(ev, "start") && json_is_string(json_object_get(rec, "id")))
		strvec_push(&f->order, json_string_value(json_object_get(rec, "id")));
	return 0;
}

/* running one pytest process ------------------------------------------------ */

static void push_files(struct strvec *argv, const struct strvec *ids)
{
	struct strvec files = STRVEC_INIT;
	size_t i;

	for (i = 0; i < ids->nr; i++) {
		const char *sep = strstr(ids->v[i], "::");
		char *file = sep ? xstrndup(ids->v[i], (size_t)(sep - ids->v[i])) :
			     xstrdup(ids->v[i]);
		if (strvec_find(&files, file) < 0)
			strvec_push(&files, file);
		free(file);
	}
	strvec_pushv(argv, files.v);
	strvec_clear(&files);
}

/* The ids of the plan that pytest did not collect, as a message; 0 when none. */
static int explain_not_collected(struct buf *msg, const struct follower *f)
{
	const struct test_result *res = &f->res;
	size_t i, j;
	int n = 0;

	for (i = 0; i < res->nr_failures; i++) {
		const struct failure *fl = &res->failures[i];
		if (fl->kind != FAILURE_KIND_COLLECTION ||
		    !fl->error_type || strcmp(fl->error_type, "NotCollected"))
			continue;
		buf_addf(msg, "%s'%s'", n++ ? ", " : "", fl->id);
	}
	if (!n)
		return 0;
	/* a module that could not be imported says why */
	for (j = 0; j < res->nr_failures; j++) {
		const struct failure *fl = &res->failures[j];
		if (fl->kind == FAILURE_KIND_COLLECTION && fl->error_type &&
		    strcmp(fl->error_type, "NotCollected"))
			buf_addf(msg, " ('%s' cannot be collected: %s: %s)", fl->id, fl->error_type,
				 fl->message ? fl->message : "");
	}
	return n;
}

/* Set the plan's error from how the process ended; 0 when it ended well. */
static int judge_process(struct plan *p, const struct follower *f, const struct proc_result *pr)
{
	struct buf how = BUF_INIT, names = BUF_INIT;
	int code = 0;

	proc_describe_exit(&how, pr);
	buf_reset(&p->err_msg);
	if (pr->interrupted) {
		code = ERR_INTERRUPTED;
		buf_adds(&p->err_msg, "the stress run was interrupted");
	} else if (f->fl.parse_err) {
		code = ERR_PARSE;
		buf_addf(&p->err_msg, "cannot read the records of the stress run: %s",
			 f->fl.parse_msg.ptr);
	} else if (explain_not_collected(&names, f)) {
		code = ERR_USAGE;
		buf_addf(&p->err_msg, "not collected by pytest in '%s': %s",
			 f->b->o->root ? f->b->o->root : ".", names.ptr);
	} else if ((!f->rd.sessions && !pr->signal && pr->exit_code == 4) ||
		   (f->rd.finished && f->rd.exitstatus == 4)) {
		code = ERR_USAGE;
		buf_adds(&p->err_msg, "pytest rejected its arguments");
		pytest_add_output_tail(&p->err_msg, pr);
	} else if (!f->rd.sessions && !pr->timed_out) {
		code = ERR_GENERIC;
		buf_addf(&p->err_msg, "pytest did not start a test session (%s)", how.ptr);
		pytest_add_output_tail(&p->err_msg, pr);
	} else if (f->rd.finished && f->rd.exitstatus != 0 && f->rd.exitstatus != 1 &&
		   f->rd.exitstatus != 5) {
		code = ERR_GENERIC;
		pytest_add_exit_status(&p->err_msg, f->rd.exitstatus);
		pytest_add_output_tail(&p->err_msg, pr);
	}
	buf_release(&how);
	buf_release(&names);
	return code;
}

static int write_order_file(struct buf *path, const struct batch *b, unsigned serial,
			    const struct strvec *ids)
{
	struct buf text = BUF_INIT;
	size_t i;
	int err;

	buf_addf(path, "%s/order-%u.txt", b->dir, serial);
	for (i = 0; i < ids->nr; i++)
		buf_addf(&text, "%s\n", ids->v[i]);
	err = fs_write_atomic(path->ptr, text.ptr, text.len, 0600);
	buf_release(&text);
	return err;
}

/*
 * One pytest process for `iterations` iterations of plan `p` starting at
 * iteration `first` (a restart after a crash goes on from there). Returns
 * the iterations it consumed (ended, or lost in a crash), or a negative
 * error code with p->err set.
 */
static int run_process(struct batch *b, struct plan *p, int first)
{
	const struct stress_options *o = b->o;
	struct pytest_process_options po = {
		.cmd = b->cmd,
		.cwd = o->root,
		.plugin_dir = b->dir,
		.test_timeout = o->test_timeout,
		/* an -x or --maxfail in the project's addopts would end the stress run at a failure */
		.every_test = 1,
		.without_addopts = 1,
		.output_cap = OUTPUT_CAP,
	};
	struct proc_result pr = PROC_RESULT_INIT;
	struct strvec plugin_args = STRVEC_INIT, args = STRVEC_INIT;
	struct buf order_path = BUF_INIT, records_path = BUF_INIT;
	struct follower f;
	int iterations = p->iterations - first;
	unsigned serial;
	int err, consumed;

	pthread_mutex_lock(&b->lock);
	serial = b->serial++;
	p->single_process = *b->single_process;
	pthread_mutex_unlock(&b->lock);
	buf_addf(&records_path, "%s/records-%u.jsonl", b->dir, serial);
	follower_init(&f, b, p);
	if ((err = write_order_file(&order_path, b, serial, &p->order)) < 0)
		goto fail;

	strvec_pushf(&plugin_args, "--pytest-fixer-order-file=%s", order_path.ptr);
	strvec_pushf(&plugin_args, "--pytest-fixer-iterations=%d", iterations);
	if (p->shuffle)
		strvec_pushf(&plugin_args, "--pytest-fixer-seed=%lu", p->seed + (unsigned long)first);
	/* the plugin's deadline is on the wall clock (another process), ours is monotonic */
	if (b->deadline > 0)
		strvec_pushf(&plugin_args, "--pytest-fixer-deadline=%.3f",
			     clock_wall() + (b->deadline - clock_monotonic()));
	/* pytest-randomly would reorder and reseed `random` before each test */
	strvec_push(&args, "-p");
	strvec_push(&args, "no:randomly");
	if (p->single_process)
		strvec_pushv(&args, (const char *const[]){ "-n", "0", "--dist", "no", NULL });
	push_files(&args, &p->order);
	po.records = records_path.ptr;
	po.plugin_args = &plugin_args;
	po.extra_args = &args;
	if (b->deadline > 0) {
		double left = b->deadline - clock_monotonic() + STRESS_DEADLINE_GRACE +
			      (o->test_timeout > 0 ? o->test_timeout : 0);
		po.timeout_ms = left < 1 ? 1000 : (int)(left * 1000);
	}
	if ((err = pytest_process_run(&pr, &f.fl, &po)) < 0)
		goto fail;

	if (pr.timed_out)
		p->tally.stopped_by_time = 1;
	if (f.stopped)
		p->tally.stopped_by_time = 1;
	if ((err = judge_process(p, &f, &pr)) < 0) {
		p->err = err;
		goto done;
	}
	if (!f.rd.finished && !pr.interrupted && !pr.timed_out && f.cur_iter > f.last_done) {
		/*
		 * It died in the middle of an iteration: the test it was running
		 * failed, and the iteration counts when a target failed in it.
		 */
		struct running_test *t = records_reader_oldest(&f.rd);
		if (t) {
			char *id = xstrdup(t->id);
			struct buf m = BUF_INIT, how = BUF_INIT;
			int hung = f.fl.hung_id && !strcmp(f.fl.hung_id, id);

			if (hung) {
				buf_addf(&m, "the test did not finish within %g s and was killed",
					 o->test_timeout);
			} else {
				proc_describe_exit(&how, &pr);
				buf_addf(&m, "pytest %s while running the test", how.ptr);
			}
			records_reader_abandon(&f.rd, id, hung ? "Timeout" : "Crash", m.ptr);
			p->tally.executions += (long)f.res.summary.total;
			if (failed_target(&f) >= 0)
				end_iteration(&f);
			buf_release(&m);
			buf_release(&how);
			free(id);
		}
		f.last_done = f.cur_iter;
	}
	if (!f.rd.finished && !pr.interrupted && !pr.timed_out && f.last_done < 0) {
		struct buf how = BUF_INIT;
		proc_describe_exit(&how, &pr);
		buf_reset(&p->err_msg);
		buf_addf(&p->err_msg, "pytest %s before it ran a test", how.ptr);
		pytest_add_output_tail(&p->err_msg, &pr);
		buf_release(&how);
		err = p->err = ERR_GENERIC;
		goto done;
	}
	p->crashed = !f.rd.finished && !pr.interrupted && !pr.timed_out;
	consumed = f.last_done + 1;
	err = consumed;
	goto done;
fail:
	p->err = err;
	buf_reset(&p->err_msg);
	buf_adds(&p->err_msg, error_last());
done:
	proc_result_release(&pr);
	follower_release(&f);
	unlink(records_path.ptr);
	unlink(order_path.ptr);
	strvec_clear(&plugin_args);
	strvec_clear(&args);
	buf_release(&order_path);
	buf_release(&records_path);
	return err;
}

static int past_deadline(const struct batch *b)
{
	return b->deadline > 0 && clock_monotonic() >= b->deadline;
}

/* All the iterations of one plan, restarting the process after a crash. */
static void run_plan(struct batch *b, struct plan *p)
{
	int first = 0;

	while (first < p->iterations) {
		int n = run_process(b, p, first);
		if (n == ERR_USAGE && !p->single_process && strstr(p->err_msg.ptr, XDIST_REFUSAL)) {
			/* nothing ran: again, in one process */
			pthread_mutex_lock(&b->lock);
			if (!*b->single_process)
				log_info("pytest-xdist distributes this project's tests (-n or --dist in "
					 "its configuration): the stress runs pass '-n 0 --dist no' to "
					 "run each in one process");
			*b->single_process = 1;
			pthread_mutex_unlock(&b->lock);
			p->err = 0;
			buf_reset(&p->err_msg);
			continue;
		}
		if (n < 0)
			return;
		if (!p->crashed || n == 0 || p->tally.stopped_by_time || past_deadline(b))
			return;   /* done, stopped by the session itself or at the deadline */
		first += n;
		if (first < p->iterations) {
			if (p->tally.restarts >= STRESS_MAX_RESTARTS) {
				log_warn("pytest crashed %d times: giving up on %d iterations",
					 p->tally.restarts + 1, p->iterations - first);
				return;
			}
			p->tally.restarts++;
			log_info("pytest crashed: starting it again for the %d iterations left",
				 p->iterations - first);
		}
	}
}

static void *batch_thread(void *arg)
{
	struct batch *b = arg;

	for (;;) {
		struct plan *p;

		pthread_mutex_lock(&b->lock);
		if (b->next >= b->nr_plans || b->err || sig_pending() || past_deadline(b) ||
		    (b->stop_on_failure && b->failed)) {
			pthread_mutex_unlock(&b->lock);
			break;
		}
		p = &b->plans[b->next++];
		pthread_mutex_unlock(&b->lock);
		run_plan(b, p);
		pthread_mutex_lock(&b->lock);
		p->done = 1;
		if (p->err && !b->err)
			b->err = p->err;
		pthread_mutex_unlock(&b->lock);
	}
	return NULL;
}

static int cores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > STRESS_MAX_JOBS ? STRESS_MAX_JOBS : (int)n;
}

/* Run the plans, `jobs` at a time. The first plan error (in plan order) is returned and set. */
static int batch_run(struct batch *b, int jobs)
{
	pthread_t threads[STRESS_MAX_JOBS];
	int started = 0, i;
	size_t k;

	b->next = 0;
	b->failed = 0;
	b->err = 0;
	if (jobs > STRESS_MAX_JOBS)
		jobs = STRESS_MAX_JOBS;
	if ((size_t)jobs > b->nr_plans)
		jobs = (int)b->nr_plans;
	if (jobs <= 1) {
		batch_thread(b);
	} else {
		for (i = 0; i < jobs; i++) {
			if (pthread_create(&threads[i], NULL, batch_thread, b))
				break;
			started++;
		}
		if (!started)
			batch_thread(b);
		for (i = 0; i < started; i++)
			pthread_join(threads[i], NULL);
	}
	if (sig_pending())
		return error_setc(ERR_INTERRUPTED, "the stress run was interrupted");
	for (k = 0; k < b->nr_plans; k++)
		if (b->plans[k].err) {
			if (b->plans[k].err == ERR_INTERRUPTED)
				return error_setc(ERR_INTERRUPTED, "the stress run was interrupted");
			return error_setc(b->plans[k].err, "%s", b->plans[k].err_msg.ptr);
		}
	return 0;
}

/* The shared set-up: the pytest command and a private directory with the plugin. */
struct setup {
	struct strvec cmd;
	struct buf dir;
	/*
	 * 1 once the project's configuration turned out to distribute tests
	 * with pytest-xdist: the stress runs need one process, and pass the
	 * options that keep xdist installed but idle ("-p no:xdist" would make
	 * a configured -n an unknown option)
	 */
	int single_process;
};

static int setup_open(struct setup *s, const struct stress_options *o)
{
	struct pytest_options popts = PYTEST_OPTIONS_INIT;
	int err;

	strvec_init(&s->cmd);
	buf_init(&s->dir, 0);
	popts.root = o->root;
	popts.venv_root = o->venv_root;
	popts.command = o->pytest_cmd;
	popts.choice = o->pytest_choice;
	if ((err = pytest_resolve_command(&s->cmd, &popts)) < 0)
		return err;
	return pytest_plugin_dir_create(&s->dir, "pytest-fixer-stress");
}

static void setup_close(struct setup *s)
{
	pytest_plugin_dir_remove(&s->dir);
	strvec_clear(&s->cmd);
}

static int jobs_of(const struct stress_options *o)
{
	int jobs = o->jobs > 0 ? o->jobs : cores();
	return jobs > STRESS_MAX_JOBS ? STRESS_MAX_JOBS : jobs;
}

static unsigned long seed_of(const struct stress_options *o)
{
	unsigned long s;

	if (o->seed)
		return o->seed;
	/* small enough to type back in, never 0 */
	s = ((unsigned long)clock_wall() * 1000003ul ^ (unsigned long)clock_monotonic_ns() ^
	     (unsigned long)getpid()) % 1000000000ul;
	return s ? s : 1;
}

static void batch_init(struct batch *b, struct setup *s, const struct stress_options *o,
		       const struct strvec *targets, double start)
{
	memset(b, 0, sizeof(*b));
	b->cmd = &s->cmd;
	b->o = o;
	b->targets = targets;
	b->dir = s->dir.ptr;
	b->single_process = &s->single_process;
	b->deadline = o->time_limit > 0 ? start + o->time_limit : 0;
	pthread_mutex_init(&b->lock, NULL);
}

/* stress_run ------------------------------------------------------------------ */

int stress_run(struct stress_result *out, const struct stress_options *o)
{
	struct setup s;
	struct batch b;
	struct plan *plans = NULL;
	int counts[STRESS_MAX_JOBS];
	int jobs, used, i, offset = 0, err;
	double start = clock_monotonic();

	if (!o->targets || !o->targets->nr)
		return error_setc(ERR_USAGE, "no test to stress");
	memset(&s, 0, sizeof(s));
	out->seed = seed_of(o);
	if ((err = setup_open(&s, o)) < 0)
		goto done;
	jobs = jobs_of(o);
	used = stress_split(counts, o->iterations, jobs);
	out->jobs = used;
	plans = plans_new(used);
	for (i = 0; i < used; i++) {
		size_t k;
		strvec_pushv(&plans[i].order, o->targets->v);
		for (k = 0; o->extra && k < o->extra->nr; k++)
			if (strvec_find(&plans[i].order, o->extra->v[k]) < 0)
				strvec_push(&plans[i].order, o->extra->v[k]);
		plans[i].iterations = counts[i];
		plans[i].shuffle = o->random_order;
		plans[i].seed = out->seed + (unsigned long)offset;
		offset += counts[i];
	}
	batch_init(&b, &s, o, o->targets, start);
	b.plans = plans;
	b.nr_plans = (size_t)used;
	log_info("stressing %zu test%s: %d iterations in %d process%s, seed %lu",
		 o->targets->nr, o->targets->nr == 1 ? "" : "s", o->iterations, used,
		 used == 1 ? "" : "es", out->seed);
	err = batch_run(&b, used);
	pthread_mutex_destroy(&b.lock);

	for (i = 0; i < used; i++) {
		struct tally *t = &plans[i].tally;
		out->iterations += t->iterations;
		out->failures += t->failures;
		out->executions += t->executions;
		out->restarts += t->restarts;
		out->stopped_by_time_limit |= t->stopped_by_time;
		if (t->first.id && !out->first.id) {
			out->first = t->first;
			memset(&t->first, 0, sizeof(t->first));
			out->failing_seed = t->first_shuffled ? t->first_seed : 0;
			strvec_pushv(&out->failing_order, t->first_order.v);
		}
	}
	if (out->iterations < o->iterations && b.deadline > 0 && clock_monotonic() >= b.deadline)
		out->stopped_by_time_limit = 1;
done:
	out->seconds = clock_monotonic() - start;
	out->executions_per_second = out->seconds > 0 ? out->executions / out->seconds : 0;
	out->rate = out->iterations ? (double)out->failures / out->iterations : 0;
	stress_wilson(&out->ci_low, &out->ci_high, out->failures, out->iterations, STRESS_Z95);
	plans_free(plans, out->jobs);
	setup_close(&s);
	return err;
}

/* stress_find_polluter ------------------------------------------------------- */

struct order_ctx {
	struct setup *s;
	const struct stress_options *o;
	const struct strvec *targets;    /* just the target */
	const char *target;
	const struct strvec *prefix;     /* the tests before the target in the failing order */
	double start;                    /* monotonic */
	struct order_result *out;
	int jobs;
};

/* Run the plans, `jobs` at a time (stop_on_failure: none starts after a failing one). */
static int order_run(struct order_ctx *c, struct plan *plans, int nr, int jobs,
		     int stop_on_failure)
{
	struct batch b;
	int err;

	batch_init(&b, c->s, c->o, c->targets, c->start);
	b.plans = plans;
	b.nr_plans = (size_t)nr;
	b.stop_on_failure = stop_on_failure;
	err = batch_run(&b, jobs);
	pthread_mutex_destroy(&b.lock);
	return err;
}

/*
 * Run `order` (ending with the target) in up to `runs` fresh processes,
 * `jobs` at a time, until one fails. 1: the target failed, 0: it passed
 * every time, negative: an error (ERR_TIMEOUT past the time limit).
 */
static int probe_order(struct order_ctx *c, const struct strvec *order, int runs)
{
	struct plan *plans;
	int i, r, failed = 0, err = 0;
	size_t done = 0;

	if (c->o->time_limit > 0 && clock_monotonic() >= c->start + c->o->time_limit) {
		c->out->stopped_by_time_limit = 1;
		return error_setc(ERR_TIMEOUT, "the time limit was reached");
	}
	plans = plans_new(runs);
	for (i = 0; i < runs; i++) {
		strvec_pushv(&plans[i].order, order->v);
		plans[i].iterations = 1;
	}
	err = order_run(c, plans, runs, c->jobs, 1);
	for (i = 0; i < runs; i++) {
		if (plans[i].tally.iterations)
			done++;
		if (plans[i].tally.failures) {
			failed = 1;
			keep_failure(c->out, &plans[i].tally);
		}
	}
	plans_free(plans, runs);
	c->out->probes += (int)done;
	if (err < 0)
		return err;
	r = failed;
	if (!failed && !done) {
		c->out->stopped_by_time_limit = 1;
		return error_setc(ERR_TIMEOUT, "the time limit was reached");
	}
	return r;
}

static int probe_subset(const size_t *idx, size_t nr, void *payload)
{
	struct order_ctx *c = payload;
	struct strvec order = STRVEC_INIT;
	size_t i;
	int r;

	for (i = 0; i < nr; i++)
		strvec_push(&order, c->prefix->v[idx[i]]);
	strvec_push(&order, c->target);
	r = probe_order(c, &order, STRESS_PROBE_RUNS);
	log_debug("probe of %zu test%s before the target: %s", nr, nr == 1 ? "" : "s",
		  r < 0 ? "stopped" : r ? "fails" : "passes");
	strvec_clear(&order);
	return r;
}

/* The target alone, STRESS_ALONE_RUNS times (in-process iterations over `jobs` processes). */
static int run_alone(struct order_ctx *c)
{
	struct plan *plans;
	int counts[STRESS_MAX_JOBS];
	int used = stress_split(counts, STRESS_ALONE_RUNS, c->jobs), i, err;

	plans = plans_new(used);
	for (i = 0; i < used; i++) {
		strvec_push(&plans[i].order, c->target);
		plans[i].iterations = counts[i];
	}
	err = order_run(c, plans, used, used, 0);
	for (i = 0; i < used; i++) {
		c->out->alone_runs += plans[i].tally.iterations;
		c->out->alone_failures += plans[i].tally.failures;
		c->out->stopped_by_time_limit |= plans[i].tally.stopped_by_time;
	}
	plans_free(plans, used);
	return err;
}

/*
 * The candidates and the target in random orders, one fresh process each;
 * the first failing order (with something before the target) goes into
 * `failing`, its seed into out->seed.
 */
static int run_together(struct order_ctx *c, const struct strvec *candidates,
			struct strvec *failing)
{
	struct plan *plans;
	int rounds = c->o->iterations > 0 ? c->o->iterations : STRESS_DEFAULT_ITERATIONS;
	unsigned long seed = seed_of(c->o);
	int i, err, found = 0;

	plans = plans_new(rounds);
	for (i = 0; i < rounds; i++) {
		strvec_pushv(&plans[i].order, candidates->v);
		if (strvec_find(&plans[i].order, c->target) < 0)
			strvec_push(&plans[i].order, c->target);
		plans[i].iterations = 1;
		/* round 0: everything before the target, as given */
		plans[i].shuffle = i > 0;
		plans[i].seed = seed + (unsigned long)i;
	}
	err = order_run(c, plans, rounds, c->jobs, 1);
	for (i = 0; i < rounds; i++) {
		struct tally *t = &plans[i].tally;
		c->out->stopped_by_time_limit |= t->stopped_by_time;
		if (!t->iterations)
			continue;
		if (t->first.id && t->first_order.nr && !strcmp(t->first_order.v[0], c->target)) {
			/* nothing ran before it: it failed as good as alone */
			c->out->alone_runs++;
			c->out->alone_failures++;
			continue;
		}
		c->out->together_runs++;
		if (!t->failures)
			continue;
		c->out->together_failures++;
		if (!found) {
			found = 1;
			strvec_pushv(failing, t->first_order.v);
			c->out->seed = t->first_shuffled ? t->first_seed : 0;
			keep_failure(c->out, t);
		}
	}
	plans_free(plans, rounds);
	return err;
}

int stress_find_polluter(struct order_result *out, const struct stress_options *o,
			 const char *target, const struct strvec *candidates)
{
	struct setup s;
	struct strvec targets = STRVEC_INIT, failing = STRVEC_INIT, prefix = STRVEC_INIT;
	struct strvec pair = STRVEC_INIT, alone = STRVEC_INIT;
	struct order_ctx c;
	size_t *keep = NULL, nr_keep = 0, i;
	int err;

	memset(&s, 0, sizeof(s));
	memset(&c, 0, sizeof(c));
	strvec_push(&targets, target);
	c.s = &s;
	c.o = o;
	c.targets = &targets;
	c.target = target;
	c.prefix = &prefix;
	c.start = clock_monotonic();
	c.out = out;
	c.jobs = jobs_of(o);
	if ((err = setup_open(&s, o)) < 0)
		goto done;

	log_info("running '%s' alone %d times", target, STRESS_ALONE_RUNS);
	if ((err = run_alone(&c)) < 0)
		goto done;
	if (out->alone_failures) {
		log_info("'%s' fails alone (%d of %d runs): not an order dependence", target,
			 out->alone_failures, out->alone_runs);
		goto done;
	}
	log_info("running '%s' with %zu other tests in random orders", target,
		 candidates ? candidates->nr : 0);
	if (candidates && (err = run_together(&c, candidates, &failing)) < 0)
		goto done;
	if (out->alone_failures || !failing.nr)
		goto done;
	out->order_dependent = 1;

	for (i = 0; i < failing.nr && strcmp(failing.v[i], target); i++)
		strvec_push(&prefix, failing.v[i]);
	log_info("'%s' failed after %zu tests (seed %lu): bisecting", target, prefix.nr, out->seed);
	keep = xmalloc(st_mult(prefix.nr, sizeof(*keep)));
	err = stress_ddmin(keep, &nr_keep, prefix.nr, probe_subset, &c);
	if (err == ERR_TIMEOUT)
		err = 0;   /* report the smallest failing prefix found so far */
	if (err < 0)
		goto done;
	for (i = 0; i < nr_keep; i++)
		strvec_push(&pair, prefix.v[keep[i]]);
	strvec_push(&pair, target);
	if (nr_keep == 1 && !out->stopped_by_time_limit) {
		int fails_together, fails_alone;
		strvec_push(&alone, target);
		fails_together = probe_order(&c, &pair, STRESS_PROBE_RUNS);
		fails_alone = fails_together == 1 ? probe_order(&c, &alone, STRESS_PROBE_RUNS) : 0;
		if (fails_together < 0 || fails_alone < 0) {
			err = fails_together < 0 ? fails_together : fails_alone;
			if (err == ERR_TIMEOUT)
				err = 0;
		} else if (fails_together == 1 && fails_alone == 0) {
			out->polluter = xstrdup(prefix.v[keep[0]]);
		}
		if (err < 0)
			goto done;
	}
	strvec_pushv(&out->order, pair.v);
	if (out->polluter)
		log_info("'%s' fails after '%s'", target, out->polluter);
done:
	free(keep);
	strvec_clear(&pair);
	strvec_clear(&alone);
	strvec_clear(&prefix);
	strvec_clear(&failing);
	strvec_clear(&targets);
	setup_close(&s);
	return err;
}
