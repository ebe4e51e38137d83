#include "fix/fix.h"

#include "engine/engine.h"
#include "fix/behaviour.h"
#include "fix/validate.h"
#include "llm/llm.h"
#include "project/project.h"
#include "report/report.h"
#include "runner/pytest.h"
#include "runner/result_json.h"
#include "runner/worker.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/sig.h"
#include "util/xalloc.h"
#include "vcs/vcs.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FIX_MAX_JOBS 16
#define FIX_SCREEN_CHUNK 12   /* candidates a work directory screens in one child */
#define FIX_MAX_ENGINES 8
#define FIX_MAX_BRANCH_SUFFIX 100
/* the statements the coverage map ranks for the engines */
#define FIX_MAX_SUSPECTS 200
/* the largest file carried into work directories */
#define FIX_CARRY_MAX (16u * 1024 * 1024)

/* Everything one session run holds. */
struct session {
	const struct fix_options *opts;
	const struct engine_ops *engines[FIX_MAX_ENGINES];  /* tried in turn on a failure */
	size_t nr_engines;
	const struct fix_hooks *hooks;    /* may be NULL */
	struct project *project;
	struct vcs_repo *repo;            /* the project's (borrowed); NULL: not a git repository */
	char root[4096];                  /* the user's project */
	char base[VCS_OID_HEXSZ + 1];     /* the commit fixes are made from ("" without git) */
	char tip[VCS_OID_HEXSZ + 1];      /* --branch: the branch's current commit */
	struct store *store;              /* the project's (borrowed) */
	struct session_row row;
	int lock_fd;
	int project_fd;                   /* the project lock (fix_project_lock), or -1 */
	struct buf work;                  /* .pytest-fixer/worktrees/<id> */
	struct strvec job_dirs;
	struct vcs_repo *job_repos[FIX_MAX_JOBS];
	struct strvec baseline_failures;  /* ids failing at baseline */
	struct failure_row *failures;
	size_t nr_failures;
	double started;
	double baseline_seconds;          /* how long the baseline run took */
	struct llm_provider *provider;    /* NULL: no LLM */
	struct llm_provider *fallback;
	long tokens_used;
	int budget_spent;
	struct coverage_map *coverage;    /* the baseline's per-test lines; NULL: none */
	struct pytest_worker *workers[FIX_MAX_JOBS];  /* a warm worker per work directory */
	int no_worker[FIX_MAX_JOBS];      /* it could not start: fresh processes there */
	double spawned_at[FIX_MAX_JOBS];  /* when each worker was spawned (clock_monotonic) */
	struct store *machine_kb;         /* the machine's knowledge base; NULL: none */
	struct judged *judged;            /* every candidate validated in the session */
	size_t nr_judged, alloc_judged;
	struct behaviour_cache *behaviour;  /* calls generated for the functions fixes touch; NULL: none yet */
	double behaviour_seconds;         /* spent checking behaviour */
};

/*
 * A candidate validated once is not validated again in the session: what
 * it did to the target tests it ran, and whether it broke a test that
 * passed (then it can fix nothing).
 */
struct judged {
	uint64_t change;                  /* change_hash() */
	struct strvec failed;             /* target ids it did not make pass */
	int regressed;
};

/*
 * A failure group: the failing parameter sets of one test function (and a
 * body and its teardown error), or groups whose failures crash in one
 * place, tried together. The first member speaks for it to the engines;
 * the target gate needs every id passing.
 */
struct group {
	size_t *members;                  /* indices in session.failures */
	size_t nr, alloc;
	struct strvec ids;                /* their node ids, once each */
	int together;                     /* several groups tried at once (not final) */
};

/*
 * A mutant often loops forever: candidates get a time limit scaled to the
 * baseline (the whole suite ran in that long, so one test taking many times
 * as long is broken), never above the user's --timeout.
 */
#define FIX_GATE_TIMEOUT_FACTOR 10.0
#define FIX_GATE_TIMEOUT_MIN 10.0

static double gate_timeout(const struct session *s)
{
	double t = s->baseline_seconds * FIX_GATE_TIMEOUT_FACTOR;
	if (t < FIX_GATE_TIMEOUT_MIN)
		t = FIX_GATE_TIMEOUT_MIN;
	if (s->opts->test_timeout > 0 && t > s->opts->test_timeout)
		t = s->opts->test_timeout;
	return s->opts->test_timeout > 0 ? t : 0;
}

static int default_jobs(const struct fix_options *o)
{
	long n = o->jobs > 0 ? o->jobs : sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	return n > FIX_MAX_JOBS ? FIX_MAX_JOBS : (int)n;
}

static json_t *strvec_json(const struct strvec *sv)
{
	json_t *a = json_array();
	size_t i;
	for (i = 0; i < sv->nr; i++)
		json_array_append_new(a, json_string(sv->v[i]));
	return a;
}

static void strvec_from_json(struct strvec *out, const json_t *a)
{
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v)
		if (json_is_string(v))
			strvec_push(out, json_string_value(v));
}

static json_t *options_json(const struct fix_options *o)
{
	/* never an API key: the store refuses one anyway */
	json_t *j = json_pack("{s:s?, s:s?, s:s, s:s?, s:s?, s:i, s:f, s:f, s:i, s:i, s:i, s:f, s:b, s:b, s:b}",
			 "test_path", o->test_path, "test_function", o->test_function,
			 "engine", o->engine, "pytest", o->pytest_cmd, "branch", o->branch,
			 "max_retries", o->max_retries, "initial_temp", o->initial_temp,
			 "temp_increment", o->temp_increment, "jobs", o->jobs,
			 "verify_runs", o->verify_runs, "max_candidates", (int)o->max_candidates,
			 "test_timeout", o->test_timeout, "allow_test_edits", o->allow_test_edits,
			 "dry_run", o->dry_run, "apply", o->apply);
	/* which model, and its prices for the report's cost estimate: never the key */
	if (o->llm.provider)
		json_object_set_new(j, "provider", json_string(o->llm.provider));
	if (o->llm.model)
		json_object_set_new(j, "model", json_string(o->llm.model));
	if (o->llm.max_tokens > 0)
		json_object_set_new(j, "max_tokens", json_integer(o->llm.max_tokens));
	if (o->llm.price_in > 0 || o->llm.price_out > 0) {
		json_object_set_new(j, "price_in", json_real(o->llm.price_in));
		json_object_set_new(j, "price_out", json_real(o->llm.price_out));
	}
	if (o->allow_config_edits)
		json_object_set_new(j, "allow_config_edits", json_true());
	if (o->check_behaviour || o->no_check_behaviour)
		json_object_set_new(j, "check_behaviour", json_boolean(o->check_behaviour));
	if (o->pytest_args && o->pytest_args->nr)
		json_object_set_new(j, "pytest_args", strvec_json(o->pytest_args));
	if (o->time_budget > 0)
		json_object_set_new(j, "time_budget", json_real(o->time_budget));
	if (o->agent_cmd) {
		json_object_set_new(j, "agent_cmd", json_string(o->agent_cmd));
		json_object_set_new(j, "agent_timeout", json_real(o->agent_timeout));
	}
	/* what a reproduction set: a resumed session verifies the same way */
	if (o->user_prompt)
		json_object_set_new(j, "user_prompt", json_string(o->user_prompt));
	if (o->repro.run_before)
		json_object_set_new(j, "run_before", strvec_json(o->repro.run_before));
	if (o->repro.carry_files)
		json_object_set_new(j, "carry_files", strvec_json(o->repro.carry_files));
	if (o->repro.targets) {
		json_t *targets = json_array();
		size_t i;
		/* without their texts: a traceback may quote anything, and the store refuses keys */
		for (i = 0; i < o->repro.nr_targets; i++) {
			json_t *t = failure_to_json(&o->repro.targets[i]);
			json_object_del(t, "traceback");
			json_object_del(t, "output");
			json_array_append_new(targets, t);
		}
		json_object_set_new(j, "targets", targets);
	}
	return j;
}

/* ---- the project, its lock and its work directories ---------------------------------- */

static int open_project(struct session *s)
{
	int err;

	s->repo = s->project->repo;
	snprintf(s->root, sizeof(s->root), "%s", s->project->root);
	if (!s->repo) {
		log_info("'%s' is not a git repository: working on a temporary copy", s->root);
	} else {
		if ((err = vcs_head_commit(s->base, s->repo)) == ERR_NOTFOUND)
			return error_setc(ERR_USAGE, "the repository '%s' has no commit yet: "
					  "commit the project first", s->root);
		else if (err < 0)
			return err;
		if (s->opts->repro.base &&
		    (err = vcs_branch_target(s->base, s->repo, s->opts->repro.base)) < 0) {
			if (err == ERR_NOTFOUND)
				err = error_setc(ERR_USAGE, "no branch '%s' to make the fixes from",
						 s->opts->repro.base);
			return err;
		}
	}
	return project_store(&s->store, s->project, 1);
}

/* A session is held by the process that runs it: a lock on a file of its own. */
static int lock_session(struct session *s)
{
	struct buf path = BUF_INIT;
	int err = 0;

	project_state_path(&path, s->root, PROJECT_SESSION_LOCKS, NULL);
	if ((err = fs_mkdir_p(path.ptr, 0755)) < 0)
		goto done;
	project_state_path(&path, s->root, PROJECT_SESSION_LOCK, s->row.id);
	s->lock_fd = open(path.ptr, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (s->lock_fd < 0) {
		err = error_errno("cannot open '%s'", path.ptr);
		goto done;
	}
	if (flock(s->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		err = error_setc(ERR_CONFLICT, "session '%s' is being run by another pytest-fixer",
				 s->row.id);
		close(s->lock_fd);
		s->lock_fd = -1;
	}
done:
	buf_release(&path);
	return err;
}

/*
 * A reproduction test that the base commit does not have: copied from the
 * user's work tree into a work directory. It is never named in a commit:
 * commits take only the paths a change touched.
 */
static int carry_files(struct session *s, const char *dir)
{
	const struct strvec *carry = s->opts->repro.carry_files;
	size_t i;
	int err = 0;
	for (i = 0; carry && i < carry->nr && !err; i++)
		err = fs_copy_file_under(s->root, dir, carry->v[i], FIX_CARRY_MAX);
	return err;
}

static int make_work_dirs(struct session *s, int jobs, const char *commit)
{
	struct strvec skip = STRVEC_INIT;
	int j, err = 0;

	project_state_path(&s->work, s->root, PROJECT_WORKTREES, s->row.id);
	fs_remove_tree(s->work.ptr);   /* left by a killed run */
	if ((err = fs_mkdir_p(s->work.ptr, 0755)) < 0)
		return err;
	if (!s->repo)
		project_vendor_dirs(&skip, s->root);
	for (j = 0; j < jobs && !err; j++) {
		struct buf dir = BUF_INIT;
		buf_addf(&dir, "%s/job-%d", s->work.ptr, j);
		store_worktree_add(s->store, s->row.id, dir.ptr);
		if (s->repo) {
			err = vcs_checkout_to(s->repo, commit, dir.ptr);
			if (!err)
				err = vcs_open(&s->job_repos[j], s->root);
		} else {
			err = fs_copy_tree(s->root, dir.ptr, skip.v);
		}
		if (!err)
			err = carry_files(s, dir.ptr);
		strvec_push(&s->job_dirs, dir.ptr);
		buf_release(&dir);
		if (err < 0)
			err = error_prefix(err, "cannot prepare a work directory");
	}
	strvec_clear(&skip);
	return err;
}

/* what the warm workers did, said once at the end */
static void worker_summary(const struct session *s)
{
	struct pytest_worker_stats all = { 0 }, one;
	size_t j;

	for (j = 0; j < FIX_MAX_JOBS; j++) {
		if (!s->workers[j])
			continue;
		pytest_worker_stats(&one, s->workers[j]);
		all.warm += one.warm;
		all.fallback += one.fallback;
		all.killed += one.killed;
		all.screens += one.screens;
		all.screened += one.screened;
	}
	if (all.warm || all.fallback || all.screens)
		log_info("warm test workers: %zu runs forked, %zu sent to a fresh pytest, %zu stopped "
			 "at their time limit; %zu runs in %zu screening children", all.warm,
			 all.fallback, all.killed, all.screened, all.screens);
}

static void remove_work_dirs(struct session *s)
{
	size_t j;
	worker_summary(s);
	for (j = 0; j < FIX_MAX_JOBS; j++) {
		vcs_free(s->job_repos[j]);
		s->job_repos[j] = NULL;
		pytest_worker_stop(s->workers[j]);
		s->workers[j] = NULL;
	}
	for (j = 0; j < s->job_dirs.nr; j++)
		store_worktree_remove(s->store, s->row.id, s->job_dirs.v[j]);
	if (s->work.len && fs_remove_tree(s->work.ptr) < 0)
		log_warn("%s", error_last());
	strvec_clear(&s->job_dirs);
}

/* ---- telling the caller ------------------------------------------------------------- */

static void progress(const struct session *s, enum fix_event_kind kind, size_t i, size_t n,
		     const char *id, size_t cand, size_t ncand)
{
	struct fix_event ev = { .kind = kind, .position = i, .count = n, .id = id,
				.candidate = cand, .nr_candidates = ncand };

	if (!s->hooks || !s->hooks->on_event)
		return;
	ev.elapsed = clock_monotonic() - s->started;
	s->hooks->on_event(&ev, s->hooks->payload);
}

/* ---- validating candidates in parallel ------------------------------------------------ */

struct job {
	struct session *s;
	int index;
	int screened;                /* decided by validate_screen(): val is final */
	const struct candidate *cand;
	const struct failure *target;
	struct gate_options gates;
	struct validation val;
	struct behaviour_verdict beh;   /* the behaviour check of a change that passed (fix/behaviour.h) */
	int examined;                   /* pick_winner() has judged it */
	int err;
};

static int diff_in_job(struct buf *out, const char *workdir, const struct strvec *touched,
		       void *payload)
{
	struct job *job = payload;
	struct session *s = job->s;
	const char *from = s->opts->branch && *s->tip ? s->tip : s->base;
	return vcs_diff_files(out, s->job_repos[job->index], from, workdir, touched);
}

/*
 * The warm worker of work directory k, spawned unless it has one, from the
 * session's own thread: a worker dies with the thread that spawned it
 * (PR_SET_PDEATHSIG), and job threads end with their batch.
 */
static void spawn_worker(struct session *s, int k)
{
	struct pytest_worker_options wo = {
		.root = s->job_dirs.v[k], .venv_root = s->root, .command = s->opts->pytest_cmd,
		.choice = s->project->pytest, .extra_args = s->opts->pytest_args,
		.test_timeout = gate_timeout(s),
	};

	if (s->workers[k] || s->no_worker[k])
		return;
	if (pytest_worker_spawn(&s->workers[k], &wo) < 0) {
		s->no_worker[k] = 1;
		log_info("work directory %d: no warm test worker (%s): each run starts pytest", k,
			 error_last());
	}
	s->spawned_at[k] = clock_monotonic();
}

/*
 * 1 when work directory k can take a candidate now: its worker has
 * collected, or it has none (each run a fresh pytest); 0 while its worker
 * still collects (wait: until it has). A worker that cannot serve leaves
 * fresh processes there.
 */
static int slot_ready(struct session *s, int k, int wait)
{
	int r;

	spawn_worker(s, k);
	if (s->no_worker[k])
		return 1;
	if ((r = pytest_worker_ready(s->workers[k], wait)) >= 0)
		return r;
	if (r != ERR_INTERRUPTED) {
		log_info("work directory %d: no warm test worker (%s): each run starts pytest", k,
			 error_last());
		pytest_worker_stop(s->workers[k]);
		s->workers[k] = NULL;
		s->no_worker[k] = 1;
	}
	return 1;   /* interrupted: the run sees it at once */
}

/*
 * The work directories that take this batch's candidates: those ready now,
 * else the one whose worker was spawned first, once it is. The others join
 * a later batch when their worker has collected (it starts meanwhile).
 */
static int ready_slots(struct session *s, int *slots)
{
	int njobs = (int)s->job_dirs.nr, k, n = 0, first = 0;

	for (k = 0; k < njobs; k++)
		if (slot_ready(s, k, 0))
			slots[n++] = k;
	if (n)
		return n;
	for (k = 1; k < njobs; k++)
		if (s->spawned_at[k] < s->spawned_at[first])
			first = k;
	slot_ready(s, first, 1);
	slots[0] = first;
	return 1;
}

/*
 * Before the baseline, when the pytest command is known already: the
 * workers of the work directories the baseline does not run in start
 * collecting beside it (on a machine with a core to spare), so the first
 * candidates need not wait for them.
 */
static void spawn_workers_early(struct session *s)
{
	const char *named = getenv(PYTEST_ENV_COMMAND);
	size_t k;

	if (!s->opts->pytest_cmd && !(named && *named) && !pytest_choice_text(s->project->pytest))
		return;
	for (k = 1; k < s->job_dirs.nr; k++)
		spawn_worker(s, (int)k);
}

static void *job_main(void *arg)
{
	struct job *job = arg;
	job->err = validate_candidate(&job->val, &job->cand->change,
				      job->s->job_dirs.v[job->index], job->target, &job->gates);
	return NULL;
}

/* the candidates of a batch one work directory validates, in turn: jobs first, first + step, ... */
struct lane {
	struct job *jobs;
	int first, nr, step;
};

static void *lane_main(void *arg)
{
	struct lane *lane = arg;
	int i;

	for (i = lane->first; i < lane->nr && !sig_pending(); i += lane->step)
		job_main(&lane->jobs[i]);
	return NULL;
}

/* `n` jobs on `nslots` work directories, a thread each running `fn` on its lane */
static void run_lanes(struct job *jobs, int n, int nslots, void *(*fn)(void *))
{
	pthread_t threads[FIX_MAX_JOBS];
	struct lane lanes[FIX_MAX_JOBS];
	int k;

	for (k = 0; k < nslots && k < n; k++) {
		lanes[k] = (struct lane){ .jobs = jobs, .first = k, .nr = n, .step = nslots };
		if (pthread_create(&threads[k], NULL, fn, &lanes[k]) != 0) {
			fn(&lanes[k]);
			threads[k] = 0;
		}
	}
	for (k = 0; k < nslots && k < n; k++)
		if (threads[k])
			pthread_join(threads[k], NULL);
}

/* the method of a change's first edit, as the store names it ("update" for an empty change) */
static enum attempt_method method_of(const struct change *c)
{
	switch (c->nr ? c->edits[0].mode : EDIT_UPDATE) {
	case EDIT_PATCH:
		return ATTEMPT_METHOD_PATCH;
	case EDIT_REWRITE:
	case EDIT_DELETE:
		return ATTEMPT_METHOD_REWRITE;
	default:
		return ATTEMPT_METHOD_UPDATE;
	}
}

/*
 * An attempt on failure `index`: a validated candidate (`job`), or with
 * `job` NULL, a call that proposed nothing (`why`).
 */
static void record_attempt(struct session *s, size_t index, int number, const struct job *job,
			   const char *engine, double temperature, const struct failure *f,
			   const char *why)
{
	struct attempt_row a;
	char *behaviour = NULL;
	memset(&a, 0, sizeof(a));
	snprintf(a.session, sizeof(a.session), "%s", s->row.id);
	a.failure_index = index;
	a.number = number;
	a.engine = (char *)engine;
	a.temperature = temperature;
	a.error_category = f->error_type;
	a.finished = clock_wall();
	if (job) {
		a.method = method_of(&job->cand->change);
		a.template_name = job->cand->template_name;
		a.status = job->val.passed ? ATTEMPT_PASSED : ATTEMPT_FAILED;
		a.gate = job->val.gate;
		a.reason = job->val.reason.len ? job->val.reason.ptr : NULL;
		a.diff = job->val.diff.ptr;
		a.started = a.finished - job->val.seconds;
		/* borrowed: the row is only read */
		a.flaky = job->val.flaky;
		a.flaky_why = job->val.flaky_why;
		a.ran_target = job->val.ran_target;
		a.ran_covering = job->val.ran_covering;
		a.ran_full = job->val.ran_full;
		a.behaviour = behaviour = behaviour_verdict_json(&job->beh);
	} else {
		a.status = ATTEMPT_FAILED;
		a.gate = ATTEMPT_GATE_APPLY;
		a.reason = (char *)why;
		a.started = a.finished;
	}
	if (store_attempt_add(s->store, &a) < 0)
		log_warn("cannot record an attempt: %s", error_last());
	else if (s->machine_kb && store_knowledge_add(s->machine_kb, &a) < 0)
		log_debug("cannot count an attempt in the machine's knowledge base: %s",
			  error_last());
	free(behaviour);
}

/*
 * The machine's knowledge base (project_knowledge_path()): what sessions of
 * every project learnt. Without one, the project's own is all there is.
 */
static void open_machine_kb(struct session *s)
{
	if (project_knowledge_open(&s->machine_kb) < 0) {
		log_info("%s: the project learns alone", error_last());
		s->machine_kb = NULL;
	}
}

/*
 * The templates by past success on this error: the project's record first,
 * then what the machine's other projects taught (templates it has not tried)
 */
static void template_order(struct strvec *out, struct session *s, const struct engine_ops *eng,
			   const char *category)
{
	struct strvec machine = STRVEC_INIT;
	size_t i;

	if (store_template_order(out, s->store, eng->name, category) < 0)
		strvec_clear(out);
	if (s->machine_kb && store_template_order(&machine, s->machine_kb, eng->name, category) == 0)
		for (i = 0; i < machine.nr; i++)
			if (strvec_find(out, machine.v[i]) < 0)
				strvec_push(out, machine.v[i]);
	strvec_clear(&machine);
}

/* ---- committing a verified fix -------------------------------------------------------- */

static void branch_name_for(struct buf *out, const struct failure *f)
{
	const char *file = f->file ? f->file : f->id;
	const char *slash = strrchr(file, '/');
	const char *stem = slash ? slash + 1 : file;
	const char *test = f->test ? f->test : "collection";
	const char *last = strstr(test, "::");
	struct buf raw = BUF_INIT;
	size_t stem_len = strlen(stem), test_len;

	while (last) {
		test = last + 2;
		last = strstr(test, "::");
	}
	/* the group's branch: the test function, without its parameters */
	test_len = strcspn(test, "[");
	if (stem_len > 3 && !strcmp(stem + stem_len - 3, ".py"))
		stem_len -= 3;
	buf_addf(&raw, "%s%.*s-%.*s", FIX_BRANCH_PREFIX, (int)stem_len, stem, (int)test_len, test);
	vcs_branch_name_sanitize(out, raw.ptr);
	buf_release(&raw);
}

static int unused_branch(struct buf *out, struct session *s, const char *wanted)
{
	int n, exists = 0, err;
	buf_reset(out);
	buf_adds(out, wanted);
	for (n = 2; n < FIX_MAX_BRANCH_SUFFIX; n++) {
		if ((err = vcs_branch_exists(&exists, s->repo, out->ptr)) < 0)
			return err;
		if (!exists)
			return 0;
		buf_reset(out);
		buf_addf(out, "%s-%d", wanted, n);
	}
	return error_setc(ERR_CONFLICT, "branches '%s' to '%s' all exist", wanted, out->ptr);
}

static int commit_fix(struct session *s, const struct failure *f, const struct job *win,
		      struct buf *branch, char commit[VCS_OID_HEXSZ + 1])
{
	const char *dir = s->job_dirs.v[0];
	const char *parent = s->opts->branch && *s->tip ? s->tip : s->base;
	struct strvec touched = STRVEC_INIT;
	struct buf msg = BUF_INIT, wanted = BUF_INIT;
	struct snapshot *before = NULL;
	int err;

	if ((err = snapshot_take(&before, &win->cand->change, dir)) < 0 ||
	    (err = change_apply(&win->cand->change, dir, &touched)) < 0)
		goto done;
	buf_addf(&msg, "Fix %s\n\n", f->id);
	if (f->error_type)
		buf_addf(&msg, "%s%s%.200s\n", f->error_type, f->message ? ": " : "",
			 f->message ? f->message : "");
	if (f->loc_file)
		buf_addf(&msg, "at %s:%d\n", f->loc_file, f->loc_line);
	buf_addf(&msg, "\nChange (%s): %s\n",
		 win->cand->template_name ? win->cand->template_name : "-",
		 win->cand->change.description ? win->cand->change.description : "");
	buf_addf(&msg, "Verified by pytest-fixer session %s: the test passed %d times%s.\n",
		 s->row.id, s->opts->verify_runs + 1,
		 s->opts->test_path ? "" : " and no test that passed before fails");
	err = vcs_commit_files(commit, s->repo, parent, dir, &touched, msg.ptr);
	/* without --branch the work directory goes back: the next failure starts clean */
	if (!s->opts->branch) {
		int back = snapshot_restore(before);
		if (back < 0 && !err)
			err = back;
	}
	if (err < 0)
		goto done;
	if (s->opts->branch) {
		buf_reset(branch);
		buf_adds(branch, s->opts->branch);
		if ((err = vcs_branch_set(s->repo, branch->ptr, commit, 1)) == 0)
			memcpy(s->tip, commit, sizeof(s->tip));
	} else {
		branch_name_for(&wanted, f);
		if ((err = unused_branch(branch, s, wanted.ptr)) == 0)
			err = vcs_branch_set(s->repo, branch->ptr, commit, 0);
	}
done:
	snapshot_free(before);
	strvec_clear(&touched);
	buf_release(&msg);
	buf_release(&wanted);
	return err;
}

/* Without git: the verified change goes straight into the user's directory. */
static int write_back(struct session *s, const struct job *win)
{
	return change_apply(&win->cand->change, s->root, NULL);
}

/*
 * --branch (and without git, where fixes are written back as they come):
 * every work directory carries the fixes made so far. Job 0 already has it
 * when the commit was made there.
 */
static int carry_forward(struct session *s, const struct job *win, size_t from)
{
	size_t j;
	for (j = from; j < s->job_dirs.nr; j++) {
		int err = change_apply(&win->cand->change, s->job_dirs.v[j], NULL);
		if (err < 0)
			return err;
	}
	return 0;
}

/* ---- one failure ---------------------------------------------------------------------- */

static void mark_fixed(struct session *s, size_t i, const char *branch, const char *commit)
{
	struct failure_row *r = &s->failures[i];
	free(r->branch);
	free(r->commit);
	r->status = FAILURE_FIXED;
	r->branch = xstrdup_or_null(branch);
	r->commit = xstrdup_or_null(commit);
	store_failure_set_status(s->store, s->row.id, s->failures[i].index, FAILURE_FIXED, branch, commit);
}

static void mark_unfixed(struct session *s, size_t i)
{
	struct failure_row *row = &s->failures[i];
	row->status = FAILURE_UNFIXED;
	store_failure_set_status(s->store, s->row.id, row->index, FAILURE_UNFIXED, NULL, NULL);
}

/* the caller's word on a verified change: the confirm hook's, or apply */
static enum fix_answer ask_user(const struct session *s, const struct failure *f,
				const struct job *win)
{
	struct fix_review review = { .id = f->id, .template_name = win->cand->template_name,
				     .diff = win->val.diff.len ? win->val.diff.ptr : NULL };

	if (!s->hooks || !s->hooks->confirm)
		return FIX_ANSWER_APPLY;
	return s->hooks->confirm(&review, s->hooks->payload);
}

/* A candidate passed every gate: ask (when interactive), then commit it, or write it back. */
static int accept_fix(struct session *s, const struct group *g, const struct job *win)
{
	size_t i = g->members[0], m;
	const struct failure *f = &s->failures[i].failure;
	struct buf branch = BUF_INIT;
	char commit[VCS_OID_HEXSZ + 1] = "";
	size_t other;
	int err = 0;

	switch (ask_user(s, f, win)) {
	case FIX_ANSWER_APPLY:
		break;
	case FIX_ANSWER_SKIP:
		/* still failing: declined by the user, so it counts as not fixed */
		log_info("'%s': the fix was declined", f->id);
		for (m = 0; m < g->nr; m++)
			mark_unfixed(s, g->members[m]);
		return 0;
	case FIX_ANSWER_QUIT:
		return error_setc(ERR_INTERRUPTED, "stopped at the user's request");
	}
	if (s->opts->dry_run) {
		log_info("'%s' can be fixed (dry run: no branch made)", f->id);
	} else if (s->repo) {
		err = commit_fix(s, f, win, &branch, commit);
		if (!err && s->opts->branch)
			err = carry_forward(s, win, 1);
	} else {
		err = write_back(s, win);
		if (!err)
			err = carry_forward(s, win, 0);
	}
	if (!err) {
		for (m = 0; m < g->nr; m++)
			if (s->failures[g->members[m]].status != FAILURE_FIXED)
				mark_fixed(s, g->members[m], branch.len ? branch.ptr : NULL,
					   *commit ? commit : NULL);
		/*
		 * every failure the full run saw passing is fixed by it, one tried
		 * before and left unfixed too; every entry of those ids: a failed
		 * body and its teardown error are two
		 */
		for (other = 0; other < s->nr_failures; other++) {
			enum failure_status st = s->failures[other].status;
			if ((st != FAILURE_PENDING && st != FAILURE_UNFIXED) ||
			    strvec_find(&win->val.fixed_too, s->failures[other].failure.id) < 0)
				continue;
			mark_fixed(s, other, branch.len ? branch.ptr : NULL, *commit ? commit : NULL);
		}
	}
	buf_release(&branch);
	return err;
}

static void job_setup(struct job *job, struct session *s, int k, const struct candidate *cand,
		      const struct failure *f, const struct strvec *targets)
{
	validation_release(&job->val);
	validation_init(&job->val);
	behaviour_verdict_release(&job->beh);
	job->examined = 0;
	job->s = s;
	job->index = k;
	job->cand = cand;
	job->target = f;
	job->err = 0;
	memset(&job->gates, 0, sizeof(job->gates));
	job->gates.pytest_cmd = s->opts->pytest_cmd ? s->opts->pytest_cmd :
		pytest_choice_text(s->project->pytest);
	job->gates.venv_root = s->root;
	job->gates.test_timeout = gate_timeout(s);
	job->gates.verify_runs = s->opts->verify_runs;
	job->gates.allow_test_edits = s->opts->allow_test_edits;
	job->gates.allow_config_edits = s->opts->allow_config_edits;
	job->gates.baseline_failures = &s->baseline_failures;
	job->gates.run_before = s->opts->repro.run_before;
	job->gates.targets = targets;
	job->gates.extra_args = s->opts->pytest_args;
	job->gates.coverage = s->coverage;
	if (s->repo) {
		job->gates.diff = diff_in_job;
		job->gates.diff_payload = job;
	}
}

/* the edit mode that has worked best for this error category, or NULL */
static char *preferred_mode(struct session *s, const char *category)
{
	struct kb_stat *st = NULL;
	size_t nr = 0, i;
	double best = -1;
	char *mode = NULL;

	if (!category || store_kb_stats(&st, &nr, s->store) < 0)
		return NULL;
	for (i = 0; i < nr; i++) {
		double rate;
		if (!st[i].method || strcmp(st[i].error_category ? st[i].error_category : "", category))
			continue;
		rate = (st[i].successes + 1.0) / (st[i].attempts + 2.0);
		if (rate > best) {
			best = rate;
			free(mode);
			mode = xstrdup(st[i].method);
		}
	}
	kb_stats_free(st, nr);
	return mode;
}

static void record_exchange(struct session *s, size_t index, int number, double temperature,
			    const struct engine_exchange *x)
{
	struct exchange_row e;
	if (!x->asked)
		return;
	memset(&e, 0, sizeof(e));
	snprintf(e.session, sizeof(e.session), "%s", s->row.id);
	e.failure_index = index;
	e.attempt_number = number;
	e.provider = x->provider ? x->provider : (char *)llm_provider_name(s->provider);
	e.model = x->model;
	e.system = x->system;
	e.prompt = x->prompt;
	e.reply = x->reply;
	e.outcome = x->outcome;
	e.prompt_tokens = x->prompt_tokens;
	e.completion_tokens = x->completion_tokens;
	e.latency = x->latency;
	e.temperature = temperature;
	e.at = clock_wall();
	if (store_exchange_add(s->store, &e) < 0)
		log_warn("cannot record an exchange: %s", error_last());
}

/* an engine that asks a model asks no more once the session's token budget is spent */
static int budget_spent(struct session *s)
{
	long max = s->opts->llm.max_tokens;

	if (max <= 0 || s->tokens_used < max)
		return 0;
	if (!s->budget_spent)
		log_warn("the token budget (%ld) is spent: no more questions to the model", max);
	s->budget_spent = 1;
	return 1;
}

/* asked one candidate at a time, again with feedback: an engine that asks a model, or asks_again */
static int one_at_a_time(const struct engine_ops *e)
{
	return e->asks_model || e->asks_again;
}

/* ---- candidates judged once -------------------------------------------------------------- */

static uint64_t change_hash(const struct change *c)
{
	uint64_t h = HASH_FNV1A_BASIS;
	size_t i, p;

	for (i = 0; i < c->nr; i++) {
		const struct file_edit *e = &c->edits[i];
		const char *parts[] = { e->path, e->old_str, e->new_str, e->patch, e->content };
		h = hash_fnv1a_add(h, &e->mode, sizeof(e->mode));
		for (p = 0; p < sizeof(parts) / sizeof(*parts); p++)
			h = parts[p] ? hash_fnv1a_add(h, parts[p], strlen(parts[p]) + 1) :
				hash_fnv1a_add(h, "\1", 1);
	}
	return h;
}

static struct judged *judged_find(struct session *s, uint64_t h)
{
	size_t i;
	for (i = 0; i < s->nr_judged; i++)
		if (s->judged[i].change == h)
			return &s->judged[i];
	return NULL;
}

/* 1 when the candidate is known to fail these targets (or any) */
static int judged_rejects(struct session *s, const struct candidate *cand,
			  const struct strvec *targets)
{
	const struct judged *j = judged_find(s, change_hash(&cand->change));
	size_t i;

	if (!j)
		return 0;
	if (j->regressed)
		return 1;
	for (i = 0; i < targets->nr; i++)
		if (strvec_find(&j->failed, targets->v[i]) >= 0)
			return 1;
	return 0;
}

static void judged_add(struct session *s, const struct job *job)
{
	uint64_t h = change_hash(&job->cand->change);
	struct judged *j = judged_find(s, h);
	enum attempt_gate gate = job->val.gate;
	size_t i;

	if (!j) {
		ALLOC_GROW(s->judged, s->nr_judged + 1, s->alloc_judged);
		j = &s->judged[s->nr_judged++];
		memset(j, 0, sizeof(*j));
		j->change = h;
		strvec_init(&j->failed);
	}
	/* these gates fail whatever the target: the change itself is wrong */
	j->regressed |= gate == ATTEMPT_GATE_APPLY || gate == ATTEMPT_GATE_SYNTAX ||
		gate == ATTEMPT_GATE_WEAKENING || gate == ATTEMPT_GATE_REGRESSION;
	for (i = 0; i < job->val.target_failed.nr; i++)
		if (strvec_find(&j->failed, job->val.target_failed.v[i]) < 0)
			strvec_push(&j->failed, job->val.target_failed.v[i]);
}

static void judged_release(struct session *s)
{
	while (s->nr_judged--)
		strvec_clear(&s->judged[s->nr_judged].failed);
	free(s->judged);
	s->judged = NULL;
	s->nr_judged = s->alloc_judged = 0;
}

/* ---- one failure group ---------------------------------------------------------------- */

/* the seconds one engine may spend on a group: --time-budget, else the built-in engine's */
static double time_budget(const struct session *s, const struct engine_ops *eng)
{
	if (s->opts->time_budget > 0)
		return s->opts->time_budget;
	return one_at_a_time(eng) ? 0 : FIX_DEFAULT_TIME_BUDGET;
}

/*
 * Whether the changes of this batch are checked beyond the tests
 * (fix/behaviour.h), and with how long to generate calls for a new
 * function set: --check-behaviour, --no-check-behaviour, else (with
 * FIX_BEHAVIOUR_BY_DEFAULT) for the built-in engine within the checks'
 * allowance of time (behaviour_allowance()); a check whose calls are made
 * already costs only its compare. 0 and `why` (may stay empty) when not.
 */
static int behaviour_budget(double *budget, struct buf *why, const struct session *s,
			    const struct engine_ops *eng, const struct job *first)
{
	double allowed, elapsed = clock_monotonic() - s->started;

	*budget = FIX_BEHAVIOUR_SAMPLE_BUDGET;
	if (s->opts->no_check_behaviour)
		return 0;
	if (s->opts->check_behaviour)
		return 1;
	if (!FIX_BEHAVIOUR_BY_DEFAULT || strcmp(eng->name, "builtin"))
		return 0;
	*budget = behaviour_allowance(elapsed, s->behaviour_seconds, time_budget(s, eng), &allowed);
	if (s->behaviour && behaviour_cached(s->behaviour, &first->cand->change,
					     s->job_dirs.v[first->index]) && allowed > s->behaviour_seconds)
		return 1;
	if (*budget > 0)
		return 1;
	buf_addf(why, "skipped for cost: checks may take %.0f%% of the session's time, at least %.0f s "
		 "(%.1f s now), %.1f s of that was left, and a check needs %.0f s (--check-behaviour forces it)",
		 FIX_BEHAVIOUR_SHARE * 100, FIX_BEHAVIOUR_FLOOR, allowed,
		 allowed > s->behaviour_seconds ? allowed - s->behaviour_seconds : 0, FIX_BEHAVIOUR_MIN_BUDGET);
	return 0;
}

/* check the behaviour of a job that passed every gate; ERR_INTERRUPTED only */
static int check_behaviour(struct session *s, struct job *job, double budget)
{
	struct behaviour_options bo = { 0 };
	struct strvec failing = STRVEC_INIT;
	size_t i;
	int err;

	/*
	 * every test failing at baseline, not only the group's: another
	 * group's failing test is as much an input whose behaviour should change
	 */
	for (i = 0; i < s->nr_failures; i++)
		if (strvec_find(&failing, s->failures[i].failure.id) < 0)
			strvec_push(&failing, s->failures[i].failure.id);
	if (!s->behaviour)
		s->behaviour = behaviour_cache_new();
	bo.workdir = s->job_dirs.v[job->index];
	bo.venv_root = s->root;
	bo.pytest_cmd = job->gates.pytest_cmd;
	bo.targets = &failing;
	bo.coverage = s->coverage;
	bo.sample_budget = budget;
	behaviour_verdict_release(&job->beh);
	err = behaviour_check(&job->beh, s->behaviour, &job->cand->change, &bo);
	strvec_clear(&failing);
	s->behaviour_seconds += job->beh.seconds;
	if (job->beh.ran)
		log_info("behaviour of candidate '%s': %zu generated call%s of %zu changed%s (%.1f s)",
			 job->cand->template_name ? job->cand->template_name : "?", job->beh.changed,
			 job->beh.changed == 1 ? "" : "s", job->beh.checked,
			 job->beh.excluded ? " (more in the failing tests' own calls)" : "", job->beh.seconds);
	else if (job->beh.skipped)
		log_debug("behaviour not checked: %s", job->beh.skipped);
	return err;
}

/*
 * The winner of a batch: the smallest change that passed. One that passed
 * the tests covering its lines runs the full suite now (only the winner
 * does); failing there, the next smallest is tried. With the behaviour
 * check, a winner whose generated calls end otherwise (fix/behaviour.h)
 * is kept only when no other change of the batch that passes does better:
 * the next smallest is validated and checked too, and the one with the
 * fewest behaviour changes wins (ties: the smaller).
 */
static int pick_winner(const struct job **win, struct session *s, const struct engine_ops *eng,
		       const struct group *g, struct job *jobs, int started, int must_check)
{
	struct job *held = NULL;
	struct buf why = BUF_INIT;
	double budget = 0;
	int decided = 0, check = 0, err = 0;

	for (;;) {
		struct job *best = NULL;
		int k;

		for (k = 0; k < started; k++)
			if (jobs[k].val.passed && !jobs[k].examined &&
			    (!best || jobs[k].cand->size < best->cand->size))
				best = &jobs[k];
		if (!best)
			break;
		if (best->val.needs_full) {
			if ((err = validate_full(&best->val, &best->cand->change,
						 s->job_dirs.v[best->index], &best->gates)) < 0)
				goto done;
			if (!best->val.passed) {
				judged_add(s, best);
				continue;
			}
		}
		best->examined = 1;
		if (!decided) {
			decided = 1;
			check = behaviour_budget(&budget, &why, s, eng, best);
			/* a change held for its behaviour is only beaten by one checked too */
			if (!check && must_check) {
				check = 1;
				buf_reset(&why);
				if (budget < FIX_BEHAVIOUR_MIN_BUDGET)
					budget = FIX_BEHAVIOUR_MIN_BUDGET;
			}
		}
		if (!check) {
			if (why.len)
				best->beh.skipped = xstrdup(why.ptr);
			*win = best;
			goto done;
		}
		if ((err = check_behaviour(s, best, budget)) < 0)
			goto done;
		if (!best->beh.changed) {
			*win = best;
			goto done;
		}
		if (!held || best->beh.changed < held->beh.changed)
			held = best;
	}
	*win = held;
	if (held)
		log_debug("'%s': the best change of the batch alters what %zu generated call%s do",
			  g->ids.v[0], held->beh.changed, held->beh.changed == 1 ? "" : "s");
done:
	buf_release(&why);
	return err;
}

/* what stopped validate_all() before a winner */
struct stop {
	size_t judged_before;        /* candidates not validated: judged before */
	size_t validated;
	int out_of_time;
};

/*
 * Validate the candidates of `cands` several at once (one work directory
 * each), batch after batch, until one passes: the smallest change of its
 * batch that passes every gate wins (an engine that asks a model: its first
 * candidate alone). Every attempt is recorded, the winner last (reports
 * take the last attempt that passed). An engine that asks a model numbered
 * the attempt when it asked; the others' attempts are numbered here. A
 * candidate known to fail these targets is not validated again; past the
 * deadline (0: none) no new batch starts.
 */
/* the candidates of a screen one work directory takes: jobs first, first + step, ... */
static void *screen_lane_main(void *arg)
{
	struct lane *lane = arg;
	struct validation *vals[FIX_SCREEN_CHUNK];
	const struct change *changes[FIX_SCREEN_CHUNK];
	int decided[FIX_SCREEN_CHUNK], i, n = 0, err;
	struct job *first = &lane->jobs[lane->first];

	for (i = lane->first; i < lane->nr && n < FIX_SCREEN_CHUNK; i += lane->step) {
		vals[n] = &lane->jobs[i].val;
		changes[n++] = &lane->jobs[i].cand->change;
	}
	err = validate_screen(vals, decided, changes, (size_t)n, first->s->job_dirs.v[first->index],
			      first->target, &first->gates);
	for (i = lane->first, n = 0; i < lane->nr; i += lane->step, n++) {
		lane->jobs[i].err = err;
		lane->jobs[i].screened = !err && n < FIX_SCREEN_CHUNK && decided[n];
	}
	return NULL;
}

/*
 * The built-in engine's candidates from `from` on, screened (issue 16):
 * `per_lane` (at most FIX_SCREEN_CHUNK) a work directory, their target runs
 * in one child of its warm worker (validate_screen()). Those the screen decides are
 * recorded now, in order (state 1); the others (state 2) go through the
 * gates in batches as ever: a change is accepted only by runs of its own.
 */
static int screen_from(struct session *s, const struct group *g, const struct engine_ops *eng,
		       const struct candidate_list *cands, size_t from, size_t nr,
		       unsigned char *state, const int *slots, int nslots, int per_lane, size_t pos,
		       size_t count, int *attempts, double temperature, struct stop *stop)
{
	struct failure_row *row = &s->failures[g->members[0]];
	const struct failure *f = &row->failure;
	size_t *index = xcalloc((size_t)nslots * FIX_SCREEN_CHUNK, sizeof(*index));
	struct job *jobs = xcalloc((size_t)nslots * FIX_SCREEN_CHUNK, sizeof(*jobs));
	int n = 0, k, err = 0;
	size_t i;

	for (i = from; i < nr && n < nslots * per_lane; i++) {
		const struct candidate *cand = &cands->items[i];
		if (state[i] || judged_rejects(s, cand, &g->ids))
			continue;
		state[i] = 2;
		index[n] = i;
		validation_init(&jobs[n].val);
		job_setup(&jobs[n], s, slots[n % nslots], cand, f, &g->ids);
		jobs[n].gates.worker = s->workers[slots[n % nslots]];
		n++;
	}
	run_lanes(jobs, n, nslots, screen_lane_main);
	for (k = 0; k < n; k++) {
		struct job *job = &jobs[k];
		if (job->err == ERR_INTERRUPTED || sig_pending()) {
			err = error_setc(ERR_INTERRUPTED, "interrupted");
			break;
		}
		if (job->err < 0) {
			err = job->err;
			break;
		}
		if (!job->screened)
			continue;
		state[index[k]] = 1;
		progress(s, FIX_EVENT_CANDIDATE, pos, count, f->id, index[k] + 1, nr);
		stop->validated++;
		judged_add(s, job);
		record_attempt(s, row->index, ++*attempts, job, eng->name, temperature, f, NULL);
	}
	for (k = 0; k < n; k++) {
		validation_release(&jobs[k].val);
		behaviour_verdict_release(&jobs[k].beh);
	}
	free(jobs);
	free(index);
	return err;
}

/*
 * A batch's winner changes behaviour (fix/behaviour.h): it is held (moved
 * into `held`, unless the one held already changes no more) and *win
 * cleared while up to FIX_BEHAVIOUR_MORE_BATCHES more batches, within the
 * deadline, look for a change that alters less; when none may, the held
 * one wins now. Returns the job whose contents moved into `held`, or NULL.
 */
static struct job *hold(const struct job **win, struct job *held, int *more, int left, double deadline)
{
	struct job *w = (struct job *)*win, *moved = NULL;

	if (!held->cand || w->beh.changed < held->beh.changed) {
		/* the one held before (if any) was recorded by the caller: it lost */
		validation_release(&held->val);
		behaviour_verdict_release(&held->beh);
		*held = *w;
		validation_init(&w->val);
		behaviour_verdict_init(&w->beh);
		moved = w;
	}
	*win = NULL;
	if (left && (*more)++ < FIX_BEHAVIOUR_MORE_BATCHES &&
	    !(deadline > 0 && clock_monotonic() > deadline)) {
		log_info("a change that passes alters the behaviour of %zu generated call%s: "
			 "looking further for one that alters less", held->beh.changed,
			 held->beh.changed == 1 ? "" : "s");
		return moved;
	}
	*win = held;
	return moved;
}

static int validate_all(const struct job **win, struct session *s, const struct group *g,
			const struct engine_ops *eng, const struct candidate_list *cands,
			double temperature, struct job *jobs, struct job *held, size_t pos,
			size_t count, int *attempts, double deadline, struct stop *stop)
{
	struct job *moved = NULL;
	int more = 0;
	struct failure_row *row = &s->failures[g->members[0]];
	const struct failure *f = &row->failure;
	int again = one_at_a_time(eng);
	size_t nr = again && cands->nr ? 1 : cands->nr;
	size_t next = 0;
	int njobs = (int)s->job_dirs.nr, k, err = 0;
	unsigned char *state = xcalloc(nr ? nr : 1, 1);   /* the screen's: see screen_from() */
	int per_lane = 2;

	while (!*win && next < nr) {
		int slots[FIX_MAX_JOBS], nslots;
		int started = 0;

		if (deadline > 0 && clock_monotonic() > deadline) {
			stop->out_of_time = 1;
			break;
		}
		/*
		 * a batch is as many candidates as there are work directories, the
		 * same whichever have a worker ready: those that do share them
		 */
		nslots = ready_slots(s, slots);
		for (k = 0; k < njobs && next < nr && !err; next++) {
			const struct candidate *cand = &cands->items[next];
			struct job *job = &jobs[k];

			/* a model's or an agent's proposal is judged as it comes, with its feedback */
			if (!again && judged_rejects(s, cand, &g->ids)) {
				if (state[next] != 1)
					stop->judged_before++;
				continue;
			}
			/*
			 * a batch holds what the screen left of one screen: the
			 * next is screened when the batch is empty, a few at first
			 * (the first candidates often win), then more
			 */
			if (!again && !state[next] && k > 0)
				break;
			if (!again && !state[next]) {
				if (deadline > 0 && clock_monotonic() > deadline) {
					stop->out_of_time = 1;
					break;
				}
				err = screen_from(s, g, eng, cands, next, nr, state, slots, nslots,
						  per_lane, pos, count, attempts, temperature, stop);
				per_lane = per_lane * 2 > FIX_SCREEN_CHUNK ? FIX_SCREEN_CHUNK :
					per_lane * 2;
			}
			if (err || state[next] == 1)
				continue;   /* decided by the screen: recorded */
			if (state[next] == 2)
				log_debug("candidate %zu (%s): the screen left it to the gates", next + 1,
					  cand->template_name ? cand->template_name : "?");
			/* releases the previous batch's */
			job_setup(job, s, slots[k % nslots], cand, f, &g->ids);
			job->gates.worker = s->workers[slots[k % nslots]];
			if (!again)
				progress(s, FIX_EVENT_CANDIDATE, pos, count, f->id, next + 1, nr);
			started++;
			k++;
		}
		if (err < 0 || (stop->out_of_time && !started))
			break;
		run_lanes(jobs, started, nslots, lane_main);
		for (k = 0; k < started; k++) {
			struct job *job = &jobs[k];
			if (job->err == ERR_INTERRUPTED || sig_pending()) {
				err = error_setc(ERR_INTERRUPTED, "interrupted");
				continue;
			}
			if (job->err < 0) {
				err = job->err;
				continue;
			}
			stop->validated++;
			judged_add(s, job);
		}
		if (!err)
			err = pick_winner(win, s, eng, g, jobs, started, held->cand != NULL);
		if (err == ERR_INTERRUPTED || sig_pending())
			err = error_setc(ERR_INTERRUPTED, "interrupted");
		if (!err && *win && !again && (*win)->beh.ran && (*win)->beh.changed) {
			/* the one held before, when this one alters less: it lost */
			if (held->cand && (*win)->beh.changed < held->beh.changed)
				record_attempt(s, row->index, ++*attempts, held, eng->name, temperature,
					       f, NULL);
			moved = hold(win, held, &more, next < nr, deadline);
		}
		for (k = 0; k < started && !err; k++)
			if (&jobs[k] != *win && &jobs[k] != moved)
				record_attempt(s, row->index, again ? *attempts : ++*attempts,
					       &jobs[k], eng->name, temperature, f, NULL);
		moved = NULL;
		if (*win && !err && held->cand && *win != held)
			record_attempt(s, row->index, ++*attempts, held, eng->name, temperature, f, NULL);
		if (*win && !err)
			record_attempt(s, row->index, again ? *attempts : ++*attempts, *win,
				       eng->name, temperature, f, NULL);
		if (err < 0)
			break;
	}
	/* the candidates ran out, or the time: the held one wins */
	if (!err && !*win && held->cand) {
		*win = held;
		record_attempt(s, row->index, ++*attempts, held, eng->name, temperature, f, NULL);
	}
	free(state);
	return err < 0 ? err : 0;
}

/* why an engine that proposed nothing did: said plainly, never "no attempt" */
static void nothing_proposed(struct buf *why, const struct session *s,
			     const struct engine_ops *eng, const struct engine_exchange *x)
{
	if (x->outcome) {
		buf_adds(why, x->outcome);
		return;
	}
	buf_addf(why, "the %s engine found nothing to change: no project source on the failing "
		 "test's path (its frames, the functions it calls%s)", eng->name,
		 s->coverage ? ", the lines it executed" : "");
}

/*
 * One engine on a group (C2): it proposes, the candidates are validated,
 * the winner accepted; as its registry row says, it is asked again (up to
 * --max-retries times, each at a higher temperature, told what the previous
 * change was and why it failed, within the token budget). An engine that
 * leaves the group without an attempt records why.
 */
static int try_engine(struct session *s, const struct engine_ops *eng, const struct group *g,
		      size_t pos, size_t count, int *attempts, const struct suspect *suspects,
		      size_t nr_suspects)
{
	struct failure_row *row = &s->failures[g->members[0]];
	const struct failure *f = &row->failure;
	struct buf feedback = BUF_INIT, previous = BUF_INIT, why = BUF_INIT;
	struct strvec order = STRVEC_INIT;
	char *mode = eng->asks_model ? preferred_mode(s, f->error_type) : NULL;
	struct job jobs[FIX_MAX_JOBS], held;
	const struct job *win = NULL;
	int again = one_at_a_time(eng);
	int rounds = again ? s->opts->max_retries : 1;
	int before = *attempts, r, k, err = 0;
	double budget = time_budget(s, eng);
	double deadline = budget > 0 ? clock_monotonic() + budget : 0;
	struct stop stop = { 0, 0, 0 };

	memset(jobs, 0, sizeof(jobs));
	memset(&held, 0, sizeof(held));
	if (!again)
		progress(s, FIX_EVENT_FAILURE, pos, count, f->id, 0, 0);
	if (eng->ranks_templates && f->error_type)
		template_order(&order, s, eng, f->error_type);
	for (r = 0; r < rounds && !win && !err && !stop.out_of_time; r++) {
		double temperature = eng->asks_model ?
			s->opts->initial_temp + r * s->opts->temp_increment : 0;
		struct candidate_list cands = CANDIDATE_LIST_INIT;
		struct engine_exchange x;
		struct engine_request req = {
			.failure = f, .root = s->job_dirs.v[0], .temperature = temperature,
			.max_candidates = s->opts->max_candidates,
			.suspects = suspects, .nr_suspects = nr_suspects,
			.template_order = order.nr ? &order : NULL,
			.feedback = feedback.len ? feedback.ptr : NULL,
			.previous_change = previous.len ? previous.ptr : NULL,
			.preferred_mode = mode, .user_prompt = s->opts->user_prompt,
			.allow_test_edits = s->opts->allow_test_edits,
			.provider = s->provider, .fallback = s->fallback, .exchange = &x,
			.agent_cmd = s->opts->agent_cmd, .agent_timeout = s->opts->agent_timeout,
		};

		if (eng->asks_model && budget_spent(s))
			break;
		if (again)
			progress(s, FIX_EVENT_CANDIDATE, pos, count, f->id, (size_t)r + 1, (size_t)rounds);
		memset(&x, 0, sizeof(x));
		err = eng->propose(&cands, &req);
		if (again) {
			s->tokens_used = sat_add(s->tokens_used,
						 sat_add(x.prompt_tokens, x.completion_tokens));
			record_exchange(s, row->index, ++*attempts, temperature, &x);
		}
		if (err < 0 && !again && err != ERR_INTERRUPTED) {
			log_warn("the %s engine cannot propose a change for '%s': %s", eng->name, f->id,
				 error_last());
			buf_reset(&why);
			buf_addf(&why, "the %s engine could not propose a change: %s", eng->name,
				 error_last());
			err = 0;
		} else if (err == ERR_INTERRUPTED || err == ERR_USAGE) {
			/* err stays: the session stops */
		} else if (err < 0 || !cands.nr) {
			/* a call that proposed nothing is a failed attempt, fed back */
			buf_reset(&why);
			if (err < 0)
				buf_adds(&why, x.outcome ? x.outcome : error_last());
			else
				nothing_proposed(&why, s, eng, &x);
			if (again)
				record_attempt(s, row->index, *attempts, NULL, eng->name, temperature, f,
					       why.ptr);
			buf_reset(&feedback);
			buf_addf(&feedback, eng->asks_model ? "Your previous reply could not be used: %s" :
				 "Your previous attempt gave no change to try: %s", why.ptr);
			err = 0;
		} else if ((err = validate_all(&win, s, g, eng, &cands, temperature, jobs, &held, pos, count,
					       attempts, deadline, &stop)) == 0 && !win &&
			   stop.validated) {
			buf_reset(&feedback);
			buf_addf(&feedback, "The change failed the '%s' gate: %s",
				 attempt_gate_name(jobs[0].val.gate), jobs[0].val.reason.ptr);
			buf_reset(&previous);
			buf_add(&previous, jobs[0].val.diff.ptr, jobs[0].val.diff.len);
		}
		if (!err && win)
			err = accept_fix(s, g, win);
		engine_exchange_release(&x);
		candidate_list_release(&cands);
	}
	/* every group left without a verdict says why (a group tried with others: not yet) */
	if (!err && !win && !g->together) {
		if (stop.out_of_time) {
			buf_reset(&why);
			buf_addf(&why, "the time budget (%.0f s, --time-budget) ran out after %zu "
				 "candidate%s", budget, stop.validated, stop.validated == 1 ? "" : "s");
		} else if (*attempts == before && stop.judged_before && !why.len) {
			buf_addf(&why, "every candidate (%zu) was judged before in this session, with "
				 "other tests: none makes this test pass", stop.judged_before);
		}
		if (why.len && (!again || stop.out_of_time))
			record_attempt(s, row->index, ++*attempts, NULL, eng->name, 0, f, why.ptr);
	}
	for (k = 0; k < FIX_MAX_JOBS; k++) {
		validation_release(&jobs[k].val);
		behaviour_verdict_release(&jobs[k].beh);
	}
	validation_release(&held.val);
	behaviour_verdict_release(&held.beh);
	free(mode);
	strvec_clear(&order);
	buf_release(&feedback);
	buf_release(&previous);
	buf_release(&why);
	return err;
}

/* every member fixed (by this group's fix or an earlier one's) */
static int group_fixed(const struct session *s, const struct group *g)
{
	size_t m;
	for (m = 0; m < g->nr; m++)
		if (s->failures[g->members[m]].status != FAILURE_FIXED)
			return 0;
	return 1;
}

/* the session's engines in turn on a group, each on what the ones before left unfixed */
static int fix_group(struct session *s, const struct group *g, size_t pos, size_t count,
		     int *attempts)
{
	struct suspect *suspects = NULL;
	size_t nr_suspects = 0, e, m;
	int err = 0;

	if (s->coverage && coverage_rank(&suspects, &nr_suspects, s->coverage, &g->ids,
					 FIX_MAX_SUSPECTS) < 0) {
		log_debug("cannot rank the suspects: %s", error_last());
		nr_suspects = 0;
	}
	for (e = 0; e < s->nr_engines && !err && !group_fixed(s, g); e++)
		err = try_engine(s, s->engines[e], g, pos, count, attempts, suspects, nr_suspects);
	if (!err && !g->together && !group_fixed(s, g))
		for (m = 0; m < g->nr; m++)
			if (s->failures[g->members[m]].status == FAILURE_PENDING)
				mark_unfixed(s, g->members[m]);
	suspects_free(suspects, nr_suspects);
	return err;
}

/* ---- the session ---------------------------------------------------------------------- */

static int wanted(const struct fix_options *o, const struct failure *f)
{
	size_t k;
	if (o->repro.targets) {
		for (k = 0; k < o->repro.nr_targets; k++)
			if (!strcmp(o->repro.targets[k].id, f->id))
				return 1;
		return 0;
	}
	if (o->test_path && *o->test_path) {
		size_t n = strlen(o->test_path);
		const char *p = o->test_path;
		if (!strncmp(p, "./", 2)) {
			p += 2;
			n -= 2;
		}
		if (strncmp(f->id, p, n) || (f->id[n] && f->id[n] != ':' && f->id[n] != '/' &&
					     p[n - 1] != '/'))
			return 0;
	}
	if (o->test_function) {
		const char *t = f->test ? f->test : "";
		const char *last = strstr(t, "::");
		size_t n = strlen(o->test_function);
		while (last) {
			t = last + 2;
			last = strstr(t, "::");
		}
		if (strncmp(t, o->test_function, n) || (t[n] && t[n] != '['))
			return 0;
	}
	return 1;
}

static int load_failures(struct session *s)
{
	size_t i;
	failure_rows_free(s->failures, s->nr_failures);
	s->failures = NULL;
	s->nr_failures = 0;
	strvec_clear(&s->baseline_failures);
	if (store_failure_list(&s->failures, &s->nr_failures, s->store, s->row.id) < 0)
		return -1;
	for (i = 0; i < s->nr_failures; i++)
		strvec_push(&s->baseline_failures, s->failures[i].failure.id);
	return 0;
}

/* the per-test coverage map the baseline recorded: the suspects and the covering tests */
static void read_coverage(struct session *s, const char *path)
{
	coverage_map_free(s->coverage);
	s->coverage = NULL;
	if (coverage_map_read(&s->coverage, path) < 0) {
		log_info("no coverage map (%s): the frames guide the engines, and every candidate "
			 "runs the full suite", error_last());
		return;
	}
	if (!coverage_map_tests(s->coverage)) {
		coverage_map_free(s->coverage);
		s->coverage = NULL;
	}
}

static int run_baseline(struct session *s)
{
	struct test_result res = TEST_RESULT_INIT;
	struct pytest_options po = PYTEST_OPTIONS_INIT;
	struct buf coverage = BUF_INIT;
	size_t i, t;
	int err;

	po.root = s->job_dirs.v[0];
	po.venv_root = s->root;
	po.command = s->opts->pytest_cmd;
	po.choice = s->project->pytest;
	po.test_timeout = s->opts->test_timeout;
	po.every_test = 1;
	po.extra_args = s->opts->pytest_args;
	buf_addf(&coverage, "%s/coverage.jsonl", s->work.ptr);
	po.coverage_file = coverage.ptr;
	if ((err = pytest_run(&res, &po)) < 0)
		goto done;
	s->baseline_seconds = res.duration;
	read_coverage(s, coverage.ptr);
	if ((err = store_begin(s->store)) < 0)
		goto done;
	for (i = 0; i < res.nr_failures; i++) {
		const struct failure *f = &res.failures[i];
		if ((err = store_failure_add(s->store, s->row.id, i, f)) < 0)
			break;
		if (!wanted(s->opts, f))
			err = store_failure_set_status(s->store, s->row.id, i, FAILURE_SKIPPED, NULL, NULL);
		else
			err = store_failure_set_status(s->store, s->row.id, i, FAILURE_PENDING, NULL, NULL);
		if (err < 0)
			break;
	}
	/* a reproduction's failures that passed at baseline (flaky, order-dependent) */
	for (t = 0; !err && t < s->opts->repro.nr_targets; t++) {
		const struct failure *f = &s->opts->repro.targets[t];
		if (test_result_find(&res, f->id))
			continue;
		if ((err = store_failure_add(s->store, s->row.id, i, f)) == 0)
			err = store_failure_set_status(s->store, s->row.id, i, FAILURE_PENDING, NULL, NULL);
		i++;
	}
	if (err < 0) {
		store_rollback(s->store);
		goto done;
	}
	if ((err = store_commit(s->store)) < 0)
		goto done;
	err = load_failures(s);
	log_info("baseline: %zu failing of %zu tests", res.nr_failures, res.summary.total);
done:
	buf_release(&coverage);
	test_result_release(&res);
	return err;
}

/* the highest attempt number recorded so far: a resumed session goes on from it */
static int attempts_so_far(struct session *s)
{
	struct attempt_row *rows = NULL;
	size_t nr = 0, i;
	int max = 0;
	if (store_attempt_list(&rows, &nr, s->store, s->row.id) == 0)
		for (i = 0; i < nr; i++)
			if (rows[i].number > max)
				max = rows[i].number;
	attempt_rows_free(rows, nr);
	return max;
}

/* ---- failure groups ------------------------------------------------------------------- */

static void group_add(struct group *g, const struct session *s, size_t i)
{
	const char *id = s->failures[i].failure.id;
	ALLOC_GROW(g->members, g->nr + 1, g->alloc);
	g->members[g->nr++] = i;
	if (strvec_find(&g->ids, id) < 0)
		strvec_push(&g->ids, id);
}

static void group_release(struct group *g)
{
	free(g->members);
	strvec_clear(&g->ids);
	memset(g, 0, sizeof(*g));
}

/* the pending failures, grouped by test function, in the order they failed */
static size_t groups_build(struct group **out, const struct session *s)
{
	struct group *g = NULL;
	size_t nr = 0, alloc = 0, i, k;

	for (i = 0; i < s->nr_failures; i++) {
		const char *id = s->failures[i].failure.id;
		size_t n = failure_id_function_len(id);

		if (s->failures[i].status != FAILURE_PENDING)
			continue;
		for (k = 0; k < nr; k++) {
			const char *other = s->failures[g[k].members[0]].failure.id;
			if (failure_id_function_len(other) == n && !strncmp(other, id, n))
				break;
		}
		if (k == nr) {
			ALLOC_GROW(g, nr + 1, alloc);
			memset(&g[nr], 0, sizeof(*g));
			strvec_init(&g[nr].ids);
			nr++;
		}
		group_add(&g[k], s, i);
	}
	*out = g;
	return nr;
}

/* where a group's failures crash (its first's deepest frame in project source), or NULL */
static const struct failure *crash_of(const struct session *s, const struct group *g)
{
	const struct failure *f = &s->failures[g->members[0]].failure;
	return f->loc_file && f->loc_line > 0 ? f : NULL;
}

static int pending(const struct session *s, const struct group *g)
{
	size_t m;
	for (m = 0; m < g->nr; m++)
		if (s->failures[g->members[m]].status == FAILURE_PENDING)
			return 1;
	return 0;
}

/*
 * The groups that crash where group `c` crashes, tried at once first (one
 * change that fixes several tests beats several changes); 1 when there
 * were several.
 */
static int together(struct group *out, const struct session *s, struct group *groups, size_t nr,
		    size_t c, unsigned char *tried)
{
	const struct failure *at = crash_of(s, &groups[c]);
	size_t d, m, count = 0;

	memset(out, 0, sizeof(*out));
	strvec_init(&out->ids);
	out->together = 1;
	for (d = c; at && d < nr; d++) {
		const struct failure *other = crash_of(s, &groups[d]);
		if (tried[d] || !other || other->loc_line != at->loc_line ||
		    strcmp(other->loc_file, at->loc_file))
			continue;
		tried[d] = 1;
		count++;
		for (m = 0; m < groups[d].nr; m++)
			group_add(out, s, groups[d].members[m]);
	}
	return count > 1;
}

static int loop(struct session *s, struct fix_result *out)
{
	struct group *groups = NULL;
	unsigned char *tried;
	size_t nr, c, pos = 0, fixed = 0, i;
	int attempts = attempts_so_far(s), err = 0;
	long tin = 0, tout = 0;

	if (store_session_tokens(&tin, &tout, s->store, s->row.id) == 0)
		s->tokens_used = sat_add(tin, tout);   /* the budget holds across a resume */
	nr = groups_build(&groups, s);
	tried = xcalloc(nr + 1, 1);
	store_session_set_progress(s->store, s->row.id, nr, 0, 0);
	for (c = 0; c < nr && !err; c++) {
		struct group all = { NULL, 0, 0, STRVEC_INIT, 1 };
		if (!tried[c] && together(&all, s, groups, nr, c, tried) && pending(s, &all)) {
			log_info("%zu test functions crash at %s:%d: tried together first", all.ids.nr,
				 crash_of(s, &all)->loc_file, crash_of(s, &all)->loc_line);
			err = fix_group(s, &all, pos, nr, &attempts);
		}
		group_release(&all);
	}
	for (c = 0; c < nr && !err; c++, pos++) {
		if (!pending(s, &groups[c]))
			continue;
		store_session_set_progress(s->store, s->row.id, nr, fixed, pos + 1);
		err = fix_group(s, &groups[c], pos, nr, &attempts);
		if (group_fixed(s, &groups[c]))
			fixed++;
	}
	for (c = 0; c < nr; c++)
		group_release(&groups[c]);
	free(groups);
	free(tried);
	judged_release(s);
	progress(s, FIX_EVENT_DONE, 0, 0, NULL, 0, 0);
	for (i = 0; i < s->nr_failures; i++) {
		if (s->failures[i].status == FAILURE_SKIPPED)
			continue;
		out->total++;
		if (s->failures[i].status == FAILURE_FIXED)
			out->fixed++;
		else
			out->unfixed++;
	}
	store_session_set_progress(s->store, s->row.id, out->total, out->fixed, 0);
	return err;
}

/* "<what>: <the last error>; nothing was changed (<where>)" */
static int apply_refused(int err, const char *what, const char *where)
{
	char *why = xstrdup(error_last());
	error_setc(err, "%s: %s; nothing was changed (%s)", what, why, where);
	free(why);
	return err;
}

/*
 * --apply: every verified fix into the user's working tree, all or nothing.
 * The final content of each file is worked out first (merged with the
 * user's own edits), then the files are written together (fs_batch).
 */
static int apply_to_worktree(struct session *s)
{
	struct buf where = BUF_INIT;
	struct fs_batch batch = FS_BATCH_INIT;
	struct strvec done = STRVEC_INIT;
	size_t i;
	int err = 0;

	if (!s->repo || s->opts->dry_run)
		return 0;
	if (s->opts->branch) {
		/* one branch: everything from the base to its tip, at once */
		if (!*s->tip)
			goto done;
		if ((err = vcs_apply_to_batch(&batch, s->repo, s->base, s->tip)) < 0) {
			buf_addf(&where, "the fixes are on branch '%s'", s->opts->branch);
			err = apply_refused(err, "cannot apply the fixes to your working tree", where.ptr);
		}
	}
	for (i = 0; !s->opts->branch && i < s->nr_failures && !err; i++) {
		struct failure_row *r = &s->failures[i];
		if (!r->commit || strvec_find(&done, r->commit) >= 0)
			continue;
		strvec_push(&done, r->commit);
		if ((err = vcs_apply_to_batch(&batch, s->repo, NULL, r->commit)) < 0) {
			struct buf what = BUF_INIT;
			buf_addf(&what, "cannot apply the fix of '%s' to your working tree",
				 r->failure.id);
			buf_addf(&where, "the fix is on branch '%s'", r->branch ? r->branch : "?");
			err = apply_refused(err, what.ptr, where.ptr);
			buf_release(&what);
		}
	}
	project_state_path(&where, s->root, PROJECT_APPLY_JOURNAL, NULL);
	batch.root = s->root;
	batch.journal = where.ptr;
	if (!err && (err = fs_batch_commit(&batch)) < 0)
		err = error_prefix(err, "cannot apply the fixes to your working tree (they are on "
				   "their branches)");
done:
	buf_release(&where);
	fs_batch_release(&batch);
	strvec_clear(&done);
	return err;
}

/* the provider named by the options or, for --engine auto, by the environment; NULL: none */
/* "auto, builtin or llm": the names --engine takes */
static void engine_names(struct buf *out)
{
	const struct engine_ops *e;
	size_t i;

	buf_adds(out, "auto");
	for (i = 0; (e = engine_at(i)); i++)
		buf_addf(out, "%s%s", engine_at(i + 1) ? ", " : " or ", e->name);
}

int fix_options_check_agent(const struct fix_options *o)
{
	int command = o->engine && !strcmp(o->engine, engine_command.name);

	if (command && (!o->agent_cmd || !*o->agent_cmd))
		return error_setc(ERR_USAGE, "--engine command needs --agent-cmd (the agent's command "
				  "line)");
	if (!command && o->agent_cmd)
		return error_setc(ERR_USAGE, "--agent-cmd needs --engine command (not '%s')",
				  o->engine ? o->engine : "auto");
	if (!(o->agent_timeout >= 1 && o->agent_timeout <= FIX_MAX_REQUEST_SECONDS))
		return error_setc(ERR_USAGE, "--agent-timeout must be between 1 and %.0f seconds",
				  FIX_MAX_REQUEST_SECONDS);
	return 0;
}

/*
 * The engines tried on each failure: the one --engine names or, for auto,
 * the registry's rows that take part, an engine asking a model only when a
 * provider is configured; then the providers they need.
 */
static int choose_engines(struct session *s)
{
	const struct llm_options *o = &s->opts->llm;
	const char *engine = s->opts->engine;
	const char *name = llm_options_provider(o);
	const struct engine_ops *e;
	size_t i, model = 0;
	int err;

	s->nr_engines = 0;
	if ((err = fix_options_check_agent(s->opts)) < 0)
		return err;
	if (!strcmp(engine, "auto")) {
		for (i = 0; (e = engine_at(i)) && s->nr_engines < FIX_MAX_ENGINES; i++)
			if (e->in_auto && (!e->asks_model || name))
				s->engines[s->nr_engines++] = e;
	} else if ((e = engine_find(engine))) {
		s->engines[s->nr_engines++] = e;
	} else {
		struct buf names = BUF_INIT;
		engine_names(&names);
		err = error_setc(ERR_USAGE, "unknown engine '%s' (%s)", engine, names.ptr);
		buf_release(&names);
		return err;
	}
	for (i = 0; i < s->nr_engines; i++)
		model += s->engines[i]->asks_model;
	if (!model)
		return 0;
	if (!name)
		return error_setc(ERR_USAGE, "--engine %s needs a provider: give --provider, "
				  "--base-url or set OPENAI_API_KEY / ANTHROPIC_API_KEY", engine);
	if ((err = llm_options_open(&s->provider, o)) < 0)
		return err;
	return llm_options_open_fallback(&s->fallback, o);
}

static void session_release(struct session *s)
{
	llm_provider_free(s->provider);
	llm_provider_free(s->fallback);
	remove_work_dirs(s);
	coverage_map_free(s->coverage);
	store_free(s->machine_kb);
	judged_release(s);
	behaviour_cache_free(s->behaviour);
	s->behaviour = NULL;
	failure_rows_free(s->failures, s->nr_failures);
	strvec_clear(&s->baseline_failures);
	buf_release(&s->work);
	session_row_release(&s->row);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	if (s->project_fd >= 0)
		close(s->project_fd);
}

static int finish(struct session *s, struct fix_result *out, int err)
{
	enum session_state end;
	struct buf report = BUF_INIT;

	snprintf(out->session, sizeof(out->session), "%s", s->row.id);
	if (err == ERR_INTERRUPTED) {
		out->interrupted = 1;
		end = SESSION_PAUSED;
	} else if (err < 0) {
		end = SESSION_ERROR;
	} else {
		end = out->unfixed ? SESSION_FAILED : SESSION_COMPLETED;
		/* the session itself succeeded: its outcome is reported, then the refusal */
		if (s->opts->apply && apply_to_worktree(s) < 0)
			snprintf(out->apply_error, sizeof(out->apply_error), "%s", error_last());
	}
	remove_work_dirs(s);
	if (store_session_set_state(s->store, s->row.id, end,
				    err < 0 && err != ERR_INTERRUPTED ? error_last() : NULL) < 0)
		log_warn("%s", error_last());
	project_state_path(&report, s->root, PROJECT_REPORT, s->row.id);
	if (report_write_session(s->store, s->row.id, report.ptr) < 0)
		log_warn("cannot write the report: %s", error_last());
	else
		log_info("report: %s", report.ptr);
	buf_release(&report);
	return err;
}

static void session_init(struct session *s, struct project *p, const struct fix_options *opts,
			 const struct fix_hooks *hooks)
{
	memset(s, 0, sizeof(*s));
	s->project = p;
	s->opts = opts;
	s->hooks = hooks;
	s->lock_fd = -1;
	s->project_fd = -1;
	buf_init(&s->work, 0);
	strvec_init(&s->job_dirs);
	strvec_init(&s->baseline_failures);
	s->started = clock_monotonic();
}

/*
 * The rest of a session, from its work directories (checked out at `from`):
 * the baseline when it has none recorded yet (`baseline`), the loop, the
 * end. A new session is marked RUNNING once its baseline is recorded.
 */
static int session_go(struct session *s, struct fix_result *out, const char *from, int baseline,
		      int mark_running)
{
	int err;

	if ((err = make_work_dirs(s, default_jobs(s->opts), from)) < 0)
		return finish(s, out, err);
	if (baseline)
		spawn_workers_early(s);
	if (baseline && (err = run_baseline(s)) < 0)
		return finish(s, out, err);
	if (mark_running &&
	    (err = store_session_set_state(s->store, s->row.id, SESSION_RUNNING, NULL)) < 0)
		return err;
	open_machine_kb(s);
	err = loop(s, out);
	return finish(s, out, err);
}

static void fix_attempt_result_release(struct fix_attempt_result *a)
{
	free(a->engine);
	free(a->template_name);
	free(a->diff);
	free(a->behaviour);
	memset(a, 0, sizeof(*a));
}

/* each failure as the store has it now, with its attempts (C10's report reads the same) */
static void result_fill(struct fix_result *out, struct session *s)
{
	struct failure_row *rows = NULL;
	struct attempt_row *att = NULL;
	size_t nr = 0, nr_att = 0, i, j;

	if (store_session_tokens(&out->prompt_tokens, &out->completion_tokens, s->store,
				 s->row.id) < 0)
		out->prompt_tokens = out->completion_tokens = 0;
	if (store_failure_list(&rows, &nr, s->store, s->row.id) < 0 ||
	    store_attempt_list(&att, &nr_att, s->store, s->row.id) < 0) {
		log_warn("cannot read the session back: %s", error_last());
		goto done;
	}
	out->failures = xcalloc(nr + 1, sizeof(*out->failures));
	for (i = 0; i < nr; i++) {
		struct fix_failure_result *f = &out->failures[out->nr_failures];
		if (rows[i].status == FAILURE_SKIPPED)
			continue;
		out->nr_failures++;
		f->id = xstrdup(rows[i].failure.id);
		f->status = rows[i].status;
		f->branch = xstrdup_or_null(rows[i].branch);
		f->commit = xstrdup_or_null(rows[i].commit);
		for (j = 0; j < nr_att; j++) {
			const struct attempt_row *a = &att[j];
			if (a->failure_index != rows[i].index)
				continue;
			f->nr_attempts++;
			if (a->status == ATTEMPT_PASSED) {
				fix_attempt_result_release(&f->win);
				f->win.number = a->number;
				f->win.engine = xstrdup_or_null(a->engine);
				f->win.template_name = xstrdup_or_null(a->template_name);
				f->win.diff = xstrdup_or_null(a->diff);
				f->win.behaviour = xstrdup_or_null(a->behaviour);
			} else if (a->reason) {
				free(f->reason);
				f->reason = xstrdup(a->reason);
			}
		}
	}
	/* a group's other members: their attempts are its first's */
	for (i = 0; i < out->nr_failures; i++) {
		struct fix_failure_result *f = &out->failures[i];
		size_t n = failure_id_function_len(f->id);
		if (f->nr_attempts || f->status == FAILURE_FIXED)
			continue;
		for (j = 0; j < out->nr_failures; j++) {
			const struct fix_failure_result *g = &out->failures[j];
			if (g->nr_attempts && g->reason && failure_id_function_len(g->id) == n &&
			    !strncmp(g->id, f->id, n)) {
				struct buf why = BUF_INIT;
				buf_addf(&why, "tried in one group with '%s': %s", g->id, g->reason);
				free(f->reason);
				f->reason = buf_detach(&why, NULL);
				break;
			}
		}
	}
done:
	failure_rows_free(rows, nr);
	attempt_rows_free(att, nr_att);
}

/* what every entry point does last: the result, then everything let go */
static void session_end(struct session *s, struct fix_result *out)
{
	if (!*out->session && *s->row.id)
		snprintf(out->session, sizeof(out->session), "%s", s->row.id);
	if (*out->session && s->store)
		result_fill(out, s);
	session_release(s);
}

void fix_result_release(struct fix_result *r)
{
	size_t i;

	for (i = 0; i < r->nr_failures; i++) {
		struct fix_failure_result *f = &r->failures[i];
		free(f->id);
		free(f->branch);
		free(f->commit);
		free(f->reason);
		fix_attempt_result_release(&f->win);
	}
	free(r->failures);
	memset(r, 0, sizeof(*r));
}

int fix_run(struct fix_result *out, struct project *project, const struct fix_options *opts,
	    const struct fix_hooks *hooks)
{
	struct session s;
	json_t *oj = options_json(opts);
	char *oj_text = json_dumps(oj, JSON_COMPACT | JSON_SORT_KEYS);
	int err;

	memset(out, 0, sizeof(*out));
	session_init(&s, project, opts, hooks);
	if ((err = choose_engines(&s)) < 0)
		goto done;
	if ((err = open_project(&s)) < 0)
		goto done;
	/* before the session is written: a second fix must not start on the same failures */
	if (!opts->repro.project_locked &&
	    (err = fix_project_lock(&s.project_fd, s.root, opts->wait)) < 0)
		goto done;
	if ((err = fix_apply_recover_logged(s.root)) < 0)
		goto done;
	if (opts->test_path) {
		struct buf p = BUF_INIT;
		struct stat st;
		buf_addf(&p, "%s/%s", s.root, opts->test_path);
		if (stat(opts->test_path, &st) < 0 && stat(p.ptr, &st) < 0)
			err = error_setc(ERR_USAGE, "no such test path '%s'", opts->test_path);
		buf_release(&p);
		if (err < 0)
			goto done;
	}
	if (opts->branch && s.repo) {
		int exists = 0;
		if ((err = vcs_branch_exists(&exists, s.repo, opts->branch)) < 0)
			goto done;
		if (exists) {
			err = error_setc(ERR_USAGE, "branch '%s' already exists: name a new one "
					 "(a session does not add to a branch it did not make)", opts->branch);
			goto done;
		}
	}
	if ((err = store_session_create(&s.row, s.store, s.root, s.base, oj_text)) < 0)
		goto done;
	if (opts->branch)
		store_session_set_branch(s.store, s.row.id, opts->branch);
	if ((err = lock_session(&s)) < 0)
		goto done;
	err = session_go(&s, out, s.base, 1, 1);
done:
	session_end(&s, out);
	json_decref(oj);
	free(oj_text);
	return err;
}

/* what the options point to when they come from a stored session */
struct stored_options {
	struct strvec owned, before, carry, pytest_args;
	struct failure *targets;
	size_t nr_targets;
};
#define STORED_OPTIONS_INIT { STRVEC_INIT, STRVEC_INIT, STRVEC_INIT, STRVEC_INIT, NULL, 0 }

static void stored_options_release(struct stored_options *so)
{
	size_t i;
	strvec_clear(&so->owned);
	strvec_clear(&so->before);
	strvec_clear(&so->carry);
	strvec_clear(&so->pytest_args);
	for (i = 0; i < so->nr_targets; i++)
		failure_release(&so->targets[i]);
	free(so->targets);
}

static void options_from_json(struct fix_options *o, struct stored_options *so, const char *text)
{
	json_t *j = json_loads(text, 0, NULL);
	json_t *v;
	if (!j)
		return;
#define GET_STR(key, field) \
	if ((v = json_object_get(j, key)) && json_is_string(v)) { \
		strvec_push(&so->owned, json_string_value(v)); \
		o->field = so->owned.v[so->owned.nr - 1]; \
	}
#define GET_INT(key, field) \
	if ((v = json_object_get(j, key)) && json_is_integer(v)) o->field = (int)json_integer_value(v)
#define GET_REAL(key, field) \
	if ((v = json_object_get(j, key)) && json_is_number(v)) o->field = json_number_value(v)
	GET_STR("test_path", test_path);
	GET_STR("test_function", test_function);
	GET_STR("user_prompt", user_prompt);
	if ((v = json_object_get(j, "run_before")) && json_is_array(v)) {
		strvec_from_json(&so->before, v);
		o->repro.run_before = &so->before;
	}
	if (!o->pytest_args && (v = json_object_get(j, "pytest_args")) && json_is_array(v)) {
		strvec_from_json(&so->pytest_args, v);
		o->pytest_args = &so->pytest_args;
	}
	if (!(o->time_budget > 0))
		GET_REAL("time_budget", time_budget);
	if ((v = json_object_get(j, "carry_files")) && json_is_array(v)) {
		strvec_from_json(&so->carry, v);
		o->repro.carry_files = &so->carry;
	}
	if ((v = json_object_get(j, "targets")) && json_is_array(v)) {
		size_t i;
		json_t *t;
		so->targets = xcalloc(json_array_size(v) + 1, sizeof(*so->targets));
		json_array_foreach(v, i, t)
			if (failure_from_json(&so->targets[so->nr_targets], t) == 0)
				so->nr_targets++;
		o->repro.targets = so->targets;
		o->repro.nr_targets = so->nr_targets;
	}
	GET_STR("engine", engine);
	GET_STR("branch", branch);
	if (!o->pytest_cmd) {
		GET_STR("pytest", pytest_cmd);
	}
	GET_INT("verify_runs", verify_runs);
	GET_INT("max_retries", max_retries);
	GET_INT("jobs", jobs);
	GET_REAL("initial_temp", initial_temp);
	GET_REAL("temp_increment", temp_increment);
	if (!o->llm.provider) {
		GET_STR("provider", llm.provider);
	}
	if (!o->llm.model) {
		GET_STR("model", llm.model);
	}
	if (!o->agent_cmd) {
		GET_STR("agent_cmd", agent_cmd);
		GET_REAL("agent_timeout", agent_timeout);
	}
	if (!o->llm.max_tokens && (v = json_object_get(j, "max_tokens")) && json_is_integer(v))
		o->llm.max_tokens = (long)json_integer_value(v);
	GET_INT("allow_test_edits", allow_test_edits);
	GET_INT("dry_run", dry_run);
	GET_INT("apply", apply);
	GET_REAL("test_timeout", test_timeout);
	if ((v = json_object_get(j, "max_candidates")) && json_is_integer(v))
		o->max_candidates = (size_t)json_integer_value(v);
	if ((v = json_object_get(j, "allow_test_edits")))
		o->allow_test_edits = json_is_true(v);
	if ((v = json_object_get(j, "allow_config_edits")))
		o->allow_config_edits = json_is_true(v);
	if (!o->check_behaviour && !o->no_check_behaviour && (v = json_object_get(j, "check_behaviour"))) {
		o->check_behaviour = json_is_true(v);
		o->no_check_behaviour = !json_is_true(v);
	}
	if ((v = json_object_get(j, "dry_run")))
		o->dry_run = json_is_true(v);
	if ((v = json_object_get(j, "apply")))
		o->apply = json_is_true(v);
#undef GET_STR
#undef GET_INT
#undef GET_REAL
	json_decref(j);
}

int fix_resume(struct fix_result *out, struct project *project, const char *id,
	       const struct fix_options *given, const struct fix_hooks *hooks)
{
	struct session s;
	struct fix_options opts = *given;
	struct stored_options stored = STORED_OPTIONS_INIT;
	int err;

	memset(out, 0, sizeof(*out));
	session_init(&s, project, &opts, hooks);
	if ((err = open_project(&s)) < 0)
		goto done;
	if (!opts.repro.project_locked &&
	    (err = fix_project_lock(&s.project_fd, s.root, opts.wait)) < 0)
		goto done;
	if ((err = fix_apply_recover_logged(s.root)) < 0)
		goto done;
	if ((err = store_session_get(&s.row, s.store, id)) < 0)
		goto done;
	if ((err = lock_session(&s)) < 0)
		goto done;
	if (s.row.state == SESSION_COMPLETED) {
		err = error_setc(ERR_USAGE, "session '%s' is already complete", s.row.id);
		goto done;
	}
	options_from_json(&opts, &stored, s.row.options_json);
	if ((err = choose_engines(&s)) < 0)
		goto done;
	if (s.repo && s.row.base_commit && *s.row.base_commit)
		snprintf(s.base, sizeof(s.base), "%s", s.row.base_commit);
	if (opts.branch && s.repo) {
		int exists = 0;
		if (vcs_branch_exists(&exists, s.repo, opts.branch) == 0 && exists)
			vcs_branch_target(s.tip, s.repo, opts.branch);
	}
	if (s.row.state != SESSION_RUNNING &&
	    (err = store_session_set_state(s.store, s.row.id, SESSION_RUNNING, NULL)) < 0)
		goto done;
	if ((err = load_failures(&s)) < 0)
		goto done;
	/* one that stopped before its baseline was recorded starts again */
	err = session_go(&s, out, !s.nr_failures || !*s.tip ? s.base : s.tip, !s.nr_failures, 0);
done:
	session_end(&s, out);
	stored_options_release(&stored);
	return err;
}
