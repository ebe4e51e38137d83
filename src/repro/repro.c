#include "repro/repro.h"

#include "github/github.h"
#include "project/project.h"
#include "repro/info.h"
#include "repro/repro_report.h"
#include "repro/stress.h"
#include "runner/cilog.h"
#include "runner/junit.h"
#include "runner/pytest.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/proc.h"
#include "util/secret.h"
#include "util/sig.h"
#include "util/xalloc.h"
#include "vcs/vcs.h"

#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* the largest file carried into the reproduction checkout */
#define REPRO_CARRY_MAX (16u * 1024 * 1024)
/* collecting the suite for the order analysis */
#define REPRO_COLLECT_TIMEOUT_MS (10 * 60 * 1000)

void repro_options_init(struct repro_options *o)
{
	struct fix_options fo = FIX_OPTIONS_INIT;
	memset(o, 0, sizeof(*o));
	o->iterations = REPRO_DEFAULT_ITERATIONS;
	o->time_limit = REPRO_DEFAULT_TIME_LIMIT;
	o->fix = fo;
}

void repro_outcome_release(struct repro_outcome *o)
{
	free(o->report_path);
	free(o->log_path);
	free(o->session);
	free(o->branch);
	free(o->pr_url);
	json_decref(o->targets);
	memset(o, 0, sizeof(*o));
}

void repro_slug(struct buf *out, const char *text)
{
	int dash = 0;
	buf_reset(out);
	for (; text && *text && out->len < REPRO_SLUG_MAX; text++) {
		unsigned char c = (unsigned char)*text;
		if (isalnum(c) && c < 0x80) {
			if (dash && out->len)
				buf_addch(out, '-');
			buf_addch(out, tolower(c));
			dash = 0;
		} else {
			dash = 1;
		}
	}
	if (!out->len)
		buf_adds(out, "ci-failure");
}

int repro_verify_runs(double rate, double confidence)
{
	double n;
	if (rate >= 1.0 || rate <= 0.0)
		return REPRO_VERIFY_RUNS;
	n = ceil(log(1.0 - confidence) / log(1.0 - rate));
	if (n < REPRO_VERIFY_RUNS)
		return REPRO_VERIFY_RUNS;
	return n > REPRO_MAX_VERIFY_RUNS ? REPRO_MAX_VERIFY_RUNS : (int)n;
}

/* ---- the run's state ------------------------------------------------------------------ */

static void target_release(struct repro_target *t)
{
	free(t->id);
	free(t->ci_id);
	failure_release(&t->local);
	stress_result_release(&t->stress);
	order_result_release(&t->order);
	free(t->branch);
	free(t->commit);
	free(t->diff);
	free(t->engine);
	free(t->fix_reason);
	free(t->behaviour);
	strvec_clear(&t->cmd_ids);
}

static void run_release(struct repro_run *r)
{
	size_t i;
	for (i = 0; i < r->nr_targets; i++)
		target_release(&r->targets[i]);
	free(r->targets);
	repro_info_release(&r->info);
	if (r->checkout.len)
		fs_remove_tree(r->checkout.ptr);
	buf_release(&r->checkout);
	buf_release(&r->slug);
	buf_release(&r->log);
	buf_release(&r->info_text);
	buf_release(&r->problem);
	strvec_clear(&r->minimal);
	strvec_clear(&r->pytest_argv);
	buf_release(&r->pr_error);
	strvec_clear(&r->jobs);
	strvec_clear(&r->carry);
	strvec_clear(&r->contacts);
	strvec_clear(&r->run_before);
	test_result_release(&r->ci);
	test_result_release(&r->junit);
	strvec_clear(&r->junit_names);
	free(r->session);
	free(r->branch);
	free(r->pr_url);
	if (r->lock_fd >= 0)
		close(r->lock_fd);
}

static struct repro_target *add_target(struct repro_run *r, const char *id)
{
	struct repro_target *t;
	r->targets = xrealloc(r->targets, st_mult(r->nr_targets + 1, sizeof(*t)));
	t = &r->targets[r->nr_targets++];
	struct stress_result sr = STRESS_RESULT_INIT;
	struct order_result orr = ORDER_RESULT_INIT;
	memset(t, 0, sizeof(*t));
	t->stress = sr;
	t->order = orr;
	t->id = xstrdup(id);
	return t;
}

static struct repro_target *find_target(struct repro_run *r, const char *id)
{
	size_t i;
	for (i = 0; i < r->nr_targets; i++)
		if (!strcmp(r->targets[i].id, id))
			return &r->targets[i];
	return NULL;
}

/* ---- the project: repository, base branch, private checkout --------------------------- */

static int open_project(struct repro_run *r)
{
	const struct repro_options *o = r->o;
	static const char *const defaults[] = { REPRO_DEFAULT_BASE, "master", NULL };
	struct buf head = BUF_INIT;
	size_t i;
	int err;

	if (!(r->repo = r->project->repo))
		return error_setc(ERR_USAGE, "reproduce needs a git repository: the fix goes on a "
				  "branch made from main");
	snprintf(r->root, sizeof(r->root), "%s", r->project->root);
	if ((err = fix_project_lock(&r->lock_fd, r->root, o->fix.wait)) < 0)
		return err;
	if (o->base) {
		if ((err = vcs_branch_target(r->base_commit, r->repo, o->base)) == ERR_NOTFOUND)
			return error_setc(ERR_USAGE, "no branch '%s' to reproduce on and fix from "
					  "(--base names it)", o->base);
		if (err < 0)
			return err;
		snprintf(r->base_name, sizeof(r->base_name), "%s", o->base);
	} else {
		for (i = 0; defaults[i]; i++)
			if (vcs_branch_target(r->base_commit, r->repo, defaults[i]) == 0) {
				snprintf(r->base_name, sizeof(r->base_name), "%s", defaults[i]);
				break;
			}
		if (!*r->base_name) {
			/* neither main nor master: the current branch */
			if ((err = vcs_head_commit(r->base_commit, r->repo)) < 0) {
				if (err == ERR_NOTFOUND)
					err = error_setc(ERR_USAGE, "the repository '%s' has no commit yet",
							 r->root);
				goto done;
			}
			vcs_head_branch(&head, r->repo);
			snprintf(r->base_name, sizeof(r->base_name), "%s", head.len ? head.ptr : "HEAD");
		}
	}
	if ((err = project_exclude(r->project)) < 0)
		goto done;
	project_state_path(&r->checkout, r->root, PROJECT_REPRO, NULL);
	buf_addf(&r->checkout, "/%s-%d", r->stamp, (int)getpid());
	fs_remove_tree(r->checkout.ptr);
	if ((err = vcs_checkout_to(r->repo, r->base_commit, r->checkout.ptr)) < 0)
		err = error_prefix(err, "cannot check out '%s'", r->base_name);
done:
	buf_release(&head);
	return err;
}

/* copy the user's `rel` into the checkout (a reproduction test that the base does not have) */
static int carry_file(struct repro_run *r, const char *rel)
{
	int err = fs_copy_file_under(r->root, r->checkout.ptr, rel, REPRO_CARRY_MAX);
	if (!err)
		strvec_push(&r->carry, rel);
	return err;
}

/* ---- the failures: from the log, or the existing test --------------------------------- */

/* the GitHub client's limits, from the command line */
static void github_limits(struct github_options *out, const struct repro_options *o)
{
	out->timeout_ms = (int)(o->fix.llm.request_timeout * 1000);
	out->max_retry_wait_ms = (long)(o->fix.llm.max_retry_wait * 1000);
}

static int fetch_logs(struct repro_run *r, struct buf *raw)
{
	struct github_options go = GITHUB_OPTIONS_INIT;
	struct github *gh = NULL;
	int err;

	github_limits(&go, r->o);
	if ((err = github_open(&gh, r->info.api_host, &go)) < 0)
		return err;
	if (r->info.job_id) {
		err = github_job_log(raw, gh, r->info.owner, r->info.repo, r->info.job_id);
		if (!err)
			strvec_pushf(&r->jobs, "job %lld", r->info.job_id);
	} else {
		err = github_run_logs(raw, &r->jobs, gh, r->info.owner, r->info.repo, r->info.run_id,
				      r->info.attempt);
	}
	/* JUnit reports the run uploaded: a second source, never a reason to stop */
	if (!err && github_run_junit(&r->junit, &r->junit_names, gh, r->info.owner, r->info.repo,
				     r->info.run_id, r->checkout.ptr) < 0) {
		log_warn("the run's JUnit reports could not be read: %s", error_last());
		error_clear();
	}
	github_free(gh);
	return err;
}

/* failures a JUnit report names that the log did not (pytest run without -rf, say) */
static void merge_junit(struct repro_run *r)
{
	size_t i;
	for (i = 0; i < r->junit.nr_failures; i++) {
		const struct failure *f = &r->junit.failures[i];
		struct failure *copy;
		if (test_result_find(&r->ci, f->id))
			continue;
		copy = test_result_add_failure(&r->ci, f->id);
		failure_release(copy);
		failure_copy(copy, f);
		if (f->kind == FAILURE_KIND_ERROR || f->kind == FAILURE_KIND_COLLECTION)
			r->ci.summary.errors++;
		else
			r->ci.summary.failed++;
	}
}

/*
 * CI ran from its own checkout path: a node id whose file is not here is
 * tried without its leading directories ("project/tests/x.py" -> "tests/x.py").
 */
static char *local_id(const struct repro_run *r, const char *id)
{
	const char *p = id;
	for (;;) {
		const char *sep = strstr(p, "::");
		size_t flen = sep ? (size_t)(sep - p) : strlen(p);
		struct buf path = BUF_INIT;
		int found;
		const char *slash;

		buf_addf(&path, "%s/%.*s", r->checkout.ptr, (int)flen, p);
		found = fs_is_file(path.ptr) || fs_is_dir(path.ptr);
		buf_release(&path);
		if (found)
			return xstrdup(p);
		slash = memchr(p, '/', flen);
		if (!slash)
			return NULL;
		p = slash + 1;
	}
}

/* a JUnit XML report rather than a log: "<?xml ...><testsuite" or "<testsuites" first */
static int is_junit(const char *text)
{
	const char *p = text;
	if (!strncmp(p, "\xef\xbb\xbf", 3))
		p += 3;
	while (isspace((unsigned char)*p))
		p++;
	if (!strncmp(p, "<?xml", 5)) {
		const char *end = strstr(p, "?>");
		if (!end)
			return 0;
		p = end + 2;
		while (isspace((unsigned char)*p))
			p++;
	}
	return !strncmp(p, "<testsuite", 10);
}

static int targets_from_log(struct repro_run *r)
{
	struct buf raw = BUF_INIT;
	size_t i;
	int err = 0;

	if (r->info.url) {
		r->source = "url";
		log_info("fetching the logs of %s", r->info.url);
		if ((err = fetch_logs(r, &raw)) < 0) {
			buf_addf(&r->problem, "the logs could not be fetched: %s", error_last());
			goto done;
		}
	} else {
		r->source = "raw-logs";
		buf_add(&raw, r->info.raw_logs, strlen(r->info.raw_logs));
	}
	if (is_junit(raw.ptr)) {
		/* a JUnit XML report the job uploaded, given as raw-logs */
		buf_add(&r->log, raw.ptr, raw.len);
		if ((err = junit_parse_memory(&r->ci, raw.ptr, raw.len, r->info.raw_logs_path ?
					      r->info.raw_logs_path : "raw-logs", r->checkout.ptr)) < 0) {
			err = ERR_USAGE;   /* the input is at fault; the message stands */
			buf_addf(&r->problem, "the JUnit report could not be read: %s", error_last());
			goto done;
		}
	} else if ((err = cilog_clean(&r->log, raw.ptr, raw.len)) < 0 ||
		   (err = cilog_failures(&r->ci, raw.ptr, raw.len)) < 0) {
		buf_addf(&r->problem, "the log could not be read: %s", error_last());
		goto done;
	}
	merge_junit(r);
	if (!r->ci.nr_failures) {
		err = error_setc(ERR_USAGE, "no failing test found in the %s: pytest's 'FAILED id' / "
				 "'ERROR id' summary lines and tracebacks were looked for%s",
				 r->info.url ? "run's logs" : "log",
				 r->ci.summary.total ? " (pytest ran, and reported no failure)" : "");
		buf_adds(&r->problem, error_last());
		goto done;
	}
	for (i = 0; i < r->ci.nr_failures; i++) {
		const struct failure *f = &r->ci.failures[i];
		char *id = local_id(r, f->id);
		struct repro_target *t;
		if (find_target(r, id ? id : f->id)) {
			/* "proj/tests/x.py::t" and "tests/x.py::t" are one test here */
			free(id);
			continue;
		}
		t = add_target(r, id ? id : f->id);
		t->ci_id = xstrdup(f->id);
		t->ci = f;
		t->found = id != NULL;
		if (!id)
			log_warn("'%s' failed in CI, but its file is not in '%s'", f->id, r->base_name);
		free(id);
	}
done:
	buf_release(&raw);
	return err;
}

/* 1 when both files exist and hold the same bytes */
static int same_contents(const char *a, const char *b)
{
	struct buf x = BUF_INIT, y = BUF_INIT;
	int same = fs_read_file(&x, a, REPRO_CARRY_MAX) == 0 && fs_read_file(&y, b, REPRO_CARRY_MAX) == 0 &&
		   x.len == y.len && !memcmp(x.ptr, y.ptr, x.len);
	buf_release(&x);
	buf_release(&y);
	error_clear();
	return same;
}

static int target_from_existing(struct repro_run *r)
{
	struct buf file = BUF_INIT, real = BUF_INIT, inside = BUF_INIT;
	const char *path = r->info.existing_test_path;
	const char *sep = strstr(path, "::");
	char *rel = NULL;
	int err = 0;

	r->source = "existing-test-path";
	buf_add(&file, path, sep ? (size_t)(sep - path) : strlen(path));
	if (fs_realpath(&real, file.ptr) < 0 || !(rel = fs_relative_to(real.ptr, r->root))) {
		err = error_setc(ERR_USAGE, "'existing-test-path' '%s' is not a file of the project '%s'",
				 file.ptr, r->root);
		buf_adds(&r->problem, error_last());
		goto done;
	}
	buf_addf(&inside, "%s/%s", r->checkout.ptr, rel);
	if (fs_is_dir(real.ptr) && !fs_is_dir(inside.ptr)) {
		err = error_setc(ERR_USAGE, "'existing-test-path' '%s' is a directory that '%s' "
				 "does not have: name the test file", rel, r->base_name);
		buf_adds(&r->problem, error_last());
		goto done;
	}
	/* a new test file, or new tests in a file the base has: the work tree's copy is used */
	if (!fs_is_dir(real.ptr) && !same_contents(real.ptr, inside.ptr)) {
		if ((err = carry_file(r, rel)) < 0)
			goto done;
		log_info("'%s' differs from '%s': the work tree's copy is used for the reproduction "
			 "and left out of the fix", rel, r->base_name);
	}
	buf_reset(&inside);
	buf_addf(&inside, "%s%s", rel, sep ? sep : "");
	add_target(r, inside.ptr)->found = 1;
done:
	free(rel);
	buf_release(&file);
	buf_release(&real);
	buf_release(&inside);
	return err;
}

/* ---- reproducing ---------------------------------------------------------------------- */

static void pytest_options_for(struct pytest_options *po, const struct repro_run *r,
			       const struct strvec *paths)
{
	po->root = r->checkout.ptr;
	po->venv_root = r->root;
	po->command = r->o->fix.pytest_cmd;
	po->choice = r->project->pytest;
	po->paths = paths;
	po->test_timeout = r->o->fix.test_timeout;
}

/* the words of the pytest command in use, for the report's commands (once) */
static void remember_pytest(struct repro_run *r)
{
	struct pytest_options po = PYTEST_OPTIONS_INIT;
	if (r->pytest_argv.nr)
		return;
	pytest_options_for(&po, r, NULL);
	if (pytest_resolve_command(&r->pytest_argv, &po) < 0) {
		strvec_clear(&r->pytest_argv);
		error_clear();
	}
}

static void set_ids(struct strvec *out, const struct strvec *ids)
{
	size_t i;
	strvec_clear(out);
	for (i = 0; i < ids->nr; i++)
		strvec_push(out, ids->v[i]);
}

/*
 * An existing test path names a file or a test: what failed in it becomes
 * the targets (the path's own target is replaced by them).
 */
static int expand_existing(struct repro_run *r, const struct test_result *res)
{
	size_t i;
	char *path = r->targets[0].id;
	r->targets[0].id = NULL;
	target_release(&r->targets[0]);
	r->nr_targets = 0;
	for (i = 0; i < res->nr_failures; i++)
		add_target(r, res->failures[i].id)->found = 1;
	if (!r->nr_targets)
		add_target(r, path)->found = 1;
	free(path);
	return 0;
}

static int reproduce_deterministic(struct repro_run *r)
{
	struct test_result res = TEST_RESULT_INIT;
	struct pytest_options po = PYTEST_OPTIONS_INIT;
	struct strvec ids = STRVEC_INIT, minimal = STRVEC_INIT;
	size_t i, alone = 0;
	int err;

	for (i = 0; i < r->nr_targets; i++)
		if (r->targets[i].found)
			strvec_push(&ids, r->targets[i].id);
	if (!ids.nr) {
		buf_addf(&r->problem, "none of the failing tests is in '%s'", r->base_name);
		err = 0;
		goto done;
	}
	log_info("running the %zu failing test%s on '%s'", ids.nr, ids.nr == 1 ? "" : "s", r->base_name);
	pytest_options_for(&po, r, &ids);
	if ((err = pytest_run(&res, &po)) < 0)
		goto done;
	if (!strcmp(r->source, "existing-test-path")) {
		expand_existing(r, &res);
		r->expanded = 1;
	}
	for (i = 0; i < r->nr_targets; i++)
		r->targets[i].ran = 1;
	for (i = 0; i < r->nr_targets; i++) {
		struct repro_target *t = &r->targets[i];
		const struct failure *f = test_result_find(&res, t->id);
		if (!f)
			continue;
		t->reproduced = 1;
		failure_copy(&t->local, f);
	}
	/*
	 * One at a time: the smallest command is the tests that fail alone. A
	 * test that was just run on its own needs no second run.
	 */
	for (i = 0; i < r->nr_targets; i++) {
		struct repro_target *t = &r->targets[i];
		struct test_result one = TEST_RESULT_INIT;
		struct strvec just = STRVEC_INIT;
		if (!t->reproduced)
			continue;
		if (ids.nr == 1 && !strcmp(ids.v[0], t->id)) {
			t->alone = REPRO_ALONE_FAILS;
			continue;
		}
		if (alone++ >= REPRO_MAX_ALONE)
			continue;
		strvec_push(&just, t->id);
		po.paths = &just;
		err = pytest_run(&one, &po);
		if (!err)
			t->alone = test_result_find(&one, t->id) ? REPRO_ALONE_FAILS : REPRO_ALONE_PASSES;
		test_result_release(&one);
		strvec_clear(&just);
		if (err < 0)
			goto done;
	}
	for (i = 0; i < r->nr_targets; i++) {
		struct repro_target *t = &r->targets[i];
		if (!t->reproduced)
			continue;
		r->reproduced++;
		if (t->alone != REPRO_ALONE_PASSES)
			strvec_push(&minimal, t->id);
	}
	/*
	 * A test that passes alone fails because of the others: it is run after
	 * them, in the reproduction and when a fix is verified.
	 */
	for (i = 0; i < r->nr_targets; i++) {
		struct repro_target *t = &r->targets[i];
		size_t k;
		if (t->alone != REPRO_ALONE_PASSES)
			continue;
		log_warn("'%s' fails with the others but passes alone: it depends on order "
			 "(\"deterministic\": false finds the test it fails after)", t->id);
		for (k = 0; k < r->nr_targets; k++)
			if (k != i && r->targets[k].reproduced &&
			    strvec_find(&r->run_before, r->targets[k].id) < 0)
				strvec_push(&r->run_before, r->targets[k].id);
		if (strvec_find(&minimal, t->id) < 0) {
			for (k = 0; k < r->run_before.nr; k++)
				if (strvec_find(&minimal, r->run_before.v[k]) < 0)
					strvec_push(&minimal, r->run_before.v[k]);
			strvec_push(&minimal, t->id);
		}
	}
	if (minimal.nr) {
		remember_pytest(r);
		set_ids(&r->minimal, &minimal);
	} else
		buf_addf(&r->problem, "the failing test%s passed here on '%s' (%s)",
			 ids.nr == 1 ? "" : "s", r->base_name, r->base_commit);
done:
	test_result_release(&res);
	strvec_clear(&ids);
	strvec_clear(&minimal);
	return err;
}

/* the ids under `path` (NULL: the whole suite): pytest --collect-only -q */
static int collect_ids(struct repro_run *r, struct strvec *out, const char *path)
{
	struct pytest_options po = PYTEST_OPTIONS_INIT;
	struct proc_options pr = PROC_OPTIONS_INIT;
	struct proc_result res = PROC_RESULT_INIT;
	struct strvec argv = STRVEC_INIT, env = STRVEC_INIT;
	const char *p;
	int err;

	pytest_options_for(&po, r, NULL);
	if ((err = pytest_resolve_command(&argv, &po)) < 0)
		goto done;
	strvec_push(&argv, "--collect-only");
	strvec_push(&argv, "-q");
	strvec_push(&argv, "-p");
	strvec_push(&argv, "no:cacheprovider");
	if (path)
		strvec_push(&argv, path);
	strvec_push(&env, "PYTHONDONTWRITEBYTECODE=1");
	pr.argv = (const char *const *)argv.v;
	pr.env = &env;
	pr.cwd = r->checkout.ptr;
	pr.timeout_ms = REPRO_COLLECT_TIMEOUT_MS;
	if ((err = proc_run(&res, &pr)) < 0)
		goto done;
	if (res.interrupted) {
		err = error_setc(ERR_INTERRUPTED, "interrupted");
		goto done;
	}
	for (p = res.out.ptr; p && *p;) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		char *id = xstrndup(p, len);
		const char *sep = strstr(id, "::");
		/* "tests/x.py::test_y", not "3 tests collected in 0.1s" */
		if (sep && !memchr(id, ' ', (size_t)(sep - id)))
			strvec_push(out, id);
		free(id);
		p = eol ? eol + 1 : NULL;
	}
	if (!out->nr) {
		struct buf how = BUF_INIT;
		proc_describe_exit(&how, &res);
		err = error_setc(path ? ERR_USAGE : -1, "pytest collected no test in '%s' (%s)",
				 path ? path : r->checkout.ptr, how.ptr);
		buf_release(&how);
	}
done:
	proc_result_release(&res);
	strvec_clear(&argv);
	strvec_clear(&env);
	return err;
}

/* a collection error: collect the module once; it is reproduced when that fails too */
static int collection_fails(struct repro_run *r, struct repro_target *t)
{
	struct test_result res = TEST_RESULT_INIT;
	struct pytest_options po = PYTEST_OPTIONS_INIT;
	struct strvec one = STRVEC_INIT;
	const struct failure *f;
	int err;

	strvec_push(&one, t->id);
	pytest_options_for(&po, r, &one);
	if ((err = pytest_run(&res, &po)) == 0 && (f = test_result_find(&res, t->id))) {
		failure_copy(&t->local, f);
		t->reproduced = 1;
	}
	test_result_release(&res);
	strvec_clear(&one);
	return err;
}

static int any_reproduced(const struct repro_run *r)
{
	size_t i;
	for (i = 0; i < r->nr_targets; i++)
		if (r->targets[i].reproduced)
			return 1;
	return 0;
}

static void stress_options_for(struct stress_options *so, const struct repro_run *r,
			       const struct strvec *targets)
{
	struct stress_options init = STRESS_OPTIONS_INIT;
	*so = init;
	so->root = r->checkout.ptr;
	so->venv_root = r->root;
	so->pytest_cmd = r->o->fix.pytest_cmd;
	so->pytest_choice = r->project->pytest;
	so->targets = targets;
	so->iterations = r->o->iterations;
	so->time_limit = r->o->time_limit;
	so->jobs = r->o->jobs;
	so->seed = r->o->seed;
	so->random_order = 1;
	so->test_timeout = r->o->fix.test_timeout;
}

static int reproduce_intermittent(struct repro_run *r)
{
	struct strvec suite = STRVEC_INIT;
	size_t i;
	int err = 0, expanded = 0;

	/* an existing test file or directory: each of its tests is stressed */
	if (!strcmp(r->source, "existing-test-path") && r->nr_targets == 1 &&
	    !strstr(r->targets[0].id, "::")) {
		struct test_result none = TEST_RESULT_INIT;
		struct strvec ids = STRVEC_INIT;
		if ((err = collect_ids(r, &ids, r->targets[0].id)) == 0) {
			for (i = 0; i < ids.nr; i++) {
				struct failure *f = test_result_add_failure(&none, ids.v[i]);
				f->kind = FAILURE_KIND_FAILURE;
			}
			expand_existing(r, &none);
			expanded = r->expanded = 1;
		}
		test_result_release(&none);
		strvec_clear(&ids);
		if (err < 0)
			return err;
	}

	/* 1. each test alone, many times */
	for (i = 0; i < r->nr_targets && !err; i++) {
		struct repro_target *t = &r->targets[i];
		struct stress_options so;
		struct strvec one = STRVEC_INIT;

		if (!t->found)
			continue;
		if (!strstr(t->id, "::")) {
			/* a module that did not import in CI: does it import here? */
			err = collection_fails(r, t);
			continue;
		}
		strvec_push(&one, t->id);
		stress_options_for(&so, r, &one);
		log_info("stress run of '%s': up to %d iterations in %.0f s", t->id, so.iterations,
			 so.time_limit);
		err = stress_run(&t->stress, &so);
		t->have_stress = !err;
		if (!err && t->stress.failures) {
			t->reproduced = 1;
			failure_copy(&t->local, &t->stress.first);
		}
		strvec_clear(&one);
	}
	/*
	 * 2. those that never failed alone: do they fail after other tests?
	 * (The tests of an existing test file are only looked at when none of
	 * them failed: the others were never said to fail.)
	 */
	for (i = 0; i < r->nr_targets && !err; i++) {
		struct repro_target *t = &r->targets[i];
		struct stress_options so;

		if (!t->have_stress || t->reproduced || (expanded && any_reproduced(r)))
			continue;
		if (!suite.nr && (err = collect_ids(r, &suite, NULL)) < 0)
			break;
		stress_options_for(&so, r, NULL);
		log_info("'%s' passed %d times alone: looking for a test it fails after",
			 t->id, t->stress.iterations);
		err = stress_find_polluter(&t->order, &so, t->id, &suite);
		t->have_order = !err;
		if (!err && t->order.order_dependent && t->order.order.nr && t->order.failure.id) {
			failure_copy(&t->local, &t->order.failure);
			t->reproduced = 1;
		}
	}
	for (i = 0; i < r->nr_targets; i++) {
		struct repro_target *t = &r->targets[i];
		if (!t->reproduced)
			continue;
		if (t->have_order && t->order.order.nr)
			set_ids(&t->cmd_ids, &t->order.order);
		else
			strvec_push(&t->cmd_ids, t->id);
		remember_pytest(r);
		r->reproduced++;
	}
	if (!err && !r->reproduced && !r->problem.len)
		buf_addf(&r->problem, "no failure in the stress run%s on '%s'",
			 r->nr_targets == 1 ? "" : "s", r->base_name);
	strvec_clear(&suite);
	return err;
}

/* ---- fixing --------------------------------------------------------------------------- */

static int unused_branch(struct repro_run *r, struct buf *out)
{
	struct buf name = BUF_INIT;
	int i, exists = 0, err = 0;

	vcs_branch_name_sanitize(&name, r->slug.ptr);
	for (i = 1; i < 1000; i++) {
		buf_reset(out);
		buf_addf(out, "%sci-%s", FIX_BRANCH_PREFIX, name.ptr);
		if (i > 1)
			buf_addf(out, "-%d", i);
		if ((err = vcs_branch_exists(&exists, r->repo, out->ptr)) < 0 || !exists)
			break;
	}
	buf_release(&name);
	return err;
}

/* what the fix session did for each target: status, branch, commit, diff */
static void take_result(struct repro_run *r, const struct fix_result *res)
{
	size_t i, k;

	for (i = 0; i < res->nr_failures; i++) {
		const struct fix_failure_result *f = &res->failures[i];
		for (k = 0; k < r->nr_targets; k++) {
			struct repro_target *t = &r->targets[k];
			if (strcmp(t->id, f->id))
				continue;
			if (t->fix_tried)
				continue;   /* the first row of an id is its own */
			t->fix_tried = 1;
			t->fix_status = f->status == FAILURE_FIXED ? FAILURE_FIXED : FAILURE_UNFIXED;
			t->branch = xstrdup_or_null(f->branch);
			t->commit = xstrdup_or_null(f->commit);
			t->attempts = f->nr_attempts;
			if (f->win.diff) {
				free(t->diff);
				t->diff = xstrdup(f->win.diff);
				free(t->engine);
				t->engine = xstrdup_or_null(f->win.engine);
				free(t->behaviour);
				t->behaviour = xstrdup_or_null(f->win.behaviour);
			}
			if (f->reason) {
				free(t->fix_reason);
				t->fix_reason = xstrdup(f->reason);
			}
			if (f->status == FAILURE_FIXED)
				r->fixed++;
		}
	}
}

static int run_fix(struct repro_run *r)
{
	struct fix_options fo = r->o->fix;
	struct fix_hooks hooks = { NULL, NULL, NULL };
	struct fix_result out = { .session = "" };
	struct failure *targets = NULL;
	struct strvec before = STRVEC_INIT;
	struct buf branch = BUF_INIT;
	size_t i, k, n = 0;
	double rate = 0;
	int err;

	targets = xcalloc(r->nr_targets, sizeof(*targets));
	for (i = 0; i < r->nr_targets; i++) {
		const struct repro_target *t = &r->targets[i];
		if (!t->reproduced)
			continue;
		failure_copy(&targets[n++], &t->local);
		if (t->have_stress && t->stress.rate > rate)
			rate = t->stress.rate;
		/* the tests it fails after go first for every target (they run before each) */
		for (k = 0; k < r->run_before.nr; k++)
			if (strvec_find(&before, r->run_before.v[k]) < 0)
				strvec_push(&before, r->run_before.v[k]);
		if (t->have_order && t->order.order_dependent) {
			for (k = 0; k + 1 < t->order.order.nr; k++)
				if (strvec_find(&before, t->order.order.v[k]) < 0)
					strvec_push(&before, t->order.order.v[k]);
		}
	}
	if ((err = unused_branch(r, &branch)) < 0)
		goto done;
	fo.repro.base = r->base_name;
	fo.repro.targets = targets;
	fo.repro.nr_targets = n;
	fo.repro.run_before = before.nr ? &before : NULL;
	fo.repro.carry_files = r->carry.nr ? &r->carry : NULL;
	fo.repro.project_locked = 1;
	fo.user_prompt = r->info.prompt;
	fo.branch = branch.ptr;
	/* progress as the caller wants it, never a question: every verified fix is taken */
	if (r->o->hooks)
		hooks = *r->o->hooks;
	hooks.confirm = NULL;
	/* the target gate runs once, then verify_runs more times */
	r->verify_runs = r->info.deterministic || !rate ? REPRO_VERIFY_RUNS :
		repro_verify_runs(rate, REPRO_VERIFY_CONFIDENCE);
	fo.verify_runs = r->verify_runs - 1;
	log_info("fixing %zu failure%s on '%s' (from '%s'), each fix verified by %d passing runs",
		 n, n == 1 ? "" : "s", branch.ptr, r->base_name, r->verify_runs);
	err = fix_run(&out, r->project, &fo, &hooks);
	if (*out.session)
		r->session = xstrdup(out.session);
	if (out.interrupted || err == ERR_INTERRUPTED)
		r->interrupted = 1;
	take_result(r, &out);
	if (r->session && r->fixed) {
		int exists = 0;
		if (vcs_branch_exists(&exists, r->repo, branch.ptr) == 0 && exists)
			r->branch = xstrdup(branch.ptr);
	}
done:
	fix_result_release(&out);
	for (i = 0; i < n; i++)
		failure_release(&targets[i]);
	free(targets);
	strvec_clear(&before);
	buf_release(&branch);
	return err;
}

/* ---- the pull request ----------------------------------------------------------------- */

/*
 * The host and "owner/name" path of a remote URL: "git@HOST:o/r.git",
 * "ssh://git@HOST:22/o/r", "https://user@HOST/o/r(.git)". Paths are not
 * GitHub's when they are not two components.
 */
static int parse_remote(struct buf *host, struct buf *path, const char *url)
{
	const char *p = strstr(url, "://"), *at, *end;
	if (p) {
		p += 3;
		end = strchr(p, '/');
		if (!end)
			return -1;
		at = memchr(p, '@', (size_t)(end - p));
		p = at ? at + 1 : p;
		buf_add(host, p, strcspn(p, ":/"));
		buf_adds(path, end + 1);
	} else {
		/* scp-like: [user@]host:path */
		end = strchr(url, ':');
		if (!end)
			return -1;
		at = memchr(url, '@', (size_t)(end - url));
		p = at ? at + 1 : url;
		buf_add(host, p, (size_t)(end - p));
		buf_adds(path, end + 1);
	}
	return host->len && path->len ? 0 : -1;
}

/* "owner/name" from --repo, info.json's URL, or the remote's URL, and the GitHub host */
static int pr_repository(struct repro_run *r, struct buf *owner, struct buf *name, struct buf *host)
{
	struct buf url = BUF_INIT, path = BUF_INIT;
	const char *slug = r->o->repo_slug, *slash;
	int err = 0;

	if (r->info.owner && !slug) {
		buf_adds(owner, r->info.owner);
		buf_adds(name, r->info.repo);
		buf_adds(host, r->info.api_host);
		return 0;
	}
	if (!slug) {
		if ((err = vcs_remote_url(&url, r->repo, r->o->remote ? r->o->remote :
					  REPRO_DEFAULT_REMOTE)) < 0 || parse_remote(host, &path, url.ptr) < 0) {
			err = error_setc(ERR_USAGE, "cannot tell the GitHub repository for the pull "
					 "request: name it with --repo OWNER/NAME");
			goto done;
		}
		slug = path.ptr;
	} else {
		/* --repo: on the host of info.json's URL, if it names one */
		buf_adds(host, r->info.api_host ? r->info.api_host : "github.com");
	}
	if (!(slash = strchr(slug, '/')) || slash == slug || !slash[1]) {
		err = error_setc(ERR_USAGE, "'%s' is not OWNER/NAME", slug);
		goto done;
	}
	buf_add(owner, slug, (size_t)(slash - slug));
	buf_adds(name, slash + 1);
	if (name->len && name->ptr[name->len - 1] == '/')
		buf_setlen(name, name->len - 1);
	if (name->len > 4 && !strcmp(name->ptr + name->len - 4, ".git"))
		buf_setlen(name, name->len - 4);
	if (strchr(name->ptr, '/') || !name->len) {
		err = error_setc(ERR_USAGE, "'%s' is not OWNER/NAME: name the repository with --repo",
				 slug);
		goto done;
	}
done:
	buf_release(&url);
	buf_release(&path);
	return err;
}

static int open_pr(struct repro_run *r)
{
	struct buf owner = BUF_INIT, name = BUF_INIT, host = BUF_INIT, title = BUF_INIT, body = BUF_INIT;
	struct github_options go = GITHUB_OPTIONS_INIT;
	struct github *gh = NULL;
	struct github_pull pull = { 0, NULL };
	const char *remote = r->o->remote ? r->o->remote : REPRO_DEFAULT_REMOTE;
	int err;

	if ((err = pr_repository(r, &owner, &name, &host)) < 0)
		goto done;
	log_info("pushing '%s' to '%s'", r->branch, remote);
	if ((err = vcs_push(r->repo, remote, r->branch, 0)) < 0) {
		err = error_prefix(err, "cannot push '%s' to '%s'", r->branch, remote);
		goto done;
	}
	repro_pr_title(&title, r);
	repro_pr_body(&body, r);
	/* a pull request is public: it never quotes a secret */
	secret_redact(&title);
	secret_redact(&body);
	github_limits(&go, r->o);
	if ((err = github_open(&gh, host.ptr, &go)) < 0)
		goto done;
	log_info("opening a draft pull request on %s/%s", owner.ptr, name.ptr);
	if ((err = github_pull_create(&pull, gh, owner.ptr, name.ptr, r->branch, r->base_name,
				      title.ptr, body.ptr, 1)) < 0)
		goto done;
	r->pr_url = xstrdup_or_null(pull.html_url);
	r->pr_number = pull.number;
done:
	if (err < 0)
		buf_adds(&r->pr_error, error_last());
	github_pull_release(&pull);
	github_free(gh);
	buf_release(&owner);
	buf_release(&name);
	buf_release(&host);
	buf_release(&title);
	buf_release(&body);
	return err;
}

/* ---- people to ask -------------------------------------------------------------------- */

/* the authors of the base's lines that a fix's diff changes ("@@ -start,count") */
static void contacts_from_diff(struct repro_run *r, const char *diff)
{
	const char *p = diff;
	char file[1024] = "";

	while (p && *p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		if (len > 6 && !strncmp(p, "--- a/", 6)) {
			snprintf(file, sizeof(file), "%.*s", (int)(len - 6), p + 6);
		} else if (len > 4 && !strncmp(p, "@@ -", 4) && *file) {
			char *end;
			long start = strtol(p + 4, &end, 10), count = 1;
			if (*end == ',')
				count = strtol(end + 1, NULL, 10);
			if (start > 0 && count > 0)
				vcs_blame_authors(&r->contacts, r->repo, r->base_commit, file, (int)start,
						  (int)(start + count - 1));
		}
		p = eol ? eol + 1 : NULL;
	}
}

static void find_contacts(struct repro_run *r)
{
	size_t i;
	for (i = 0; i < r->nr_targets; i++)
		if (r->targets[i].diff)
			contacts_from_diff(r, r->targets[i].diff);
	/* no fix: who wrote the line where it crashed, then the test */
	for (i = 0; !r->contacts.nr && i < r->nr_targets; i++) {
		const struct failure *f = &r->targets[i].local;
		if (f->loc_file && f->loc_line > 0)
			vcs_blame_authors(&r->contacts, r->repo, r->base_commit, f->loc_file,
					  f->loc_line, f->loc_line);
	}
	for (i = 0; !r->contacts.nr && i < r->nr_targets; i++) {
		struct buf file = BUF_INIT;
		const char *id = r->targets[i].id, *sep = strstr(id, "::");
		buf_add(&file, id, sep ? (size_t)(sep - id) : strlen(id));
		vcs_blame_authors(&r->contacts, r->repo, r->base_commit, file.ptr, 1, 0);
		buf_release(&file);
	}
	error_clear();
}

/* ---- the run -------------------------------------------------------------------------- */

static void stamp_now(char *out, size_t n)
{
	time_t now = (time_t)clock_wall();
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(out, n, "%Y-%m-%d_%H-%M-%S", &tm);
}

static const char *status_of(const struct repro_run *r)
{
	/* every failure named was seen here (a test file named: one of its tests at least) */
	int all = r->reproduced && (r->reproduced == r->nr_targets || r->expanded);

	if (r->interrupted)
		return r->reproduced ? "partial" : "failed";
	if (all && r->o->no_fix)
		return "success";   /* only the reproduction was asked for */
	if (all && r->fixed == r->reproduced && (!r->o->pr || r->pr_url))
		return "success";
	if (r->reproduced || r->fixed)
		return "partial";
	return "failed";
}

static json_t *targets_json(const struct repro_run *r)
{
	json_t *all = json_array();
	size_t i;
	for (i = 0; i < r->nr_targets; i++) {
		const struct repro_target *t = &r->targets[i];
		json_t *o = json_pack("{s:s, s:s?, s:b, s:b, s:s?, s:s?, s:s?}", "id", t->id,
				      "ci_id", t->ci_id, "found", t->found, "reproduced", t->reproduced,
				      "fix_status", t->fix_tried ? failure_status_name(t->fix_status) : NULL, "branch", t->branch, "commit", t->commit);
		if (t->have_stress) {
			const struct stress_result *sr = &t->stress;
			json_object_set_new(o, "stress", json_pack(
				"{s:i, s:i, s:f, s:f, s:f, s:I, s:f, s:f, s:I, s:i, s:b}",
				"iterations", sr->iterations, "failures", sr->failures, "rate", sr->rate,
				"ci_low", sr->ci_low, "ci_high", sr->ci_high,
				"executions", (json_int_t)sr->executions, "seconds", sr->seconds,
				"executions_per_second", sr->executions_per_second,
				"seed", (json_int_t)sr->seed, "jobs", sr->jobs,
				"stopped_by_time_limit", sr->stopped_by_time_limit));
		}
		if (t->have_order) {
			const struct order_result *orr = &t->order;
			json_t *order = json_array();
			size_t k;
			for (k = 0; k < orr->order.nr; k++)
				json_array_append_new(order, json_string(orr->order.v[k]));
			json_object_set_new(o, "order", json_pack(
				"{s:b, s:s?, s:o, s:I, s:i, s:i, s:i, s:i}", "order_dependent",
				orr->order_dependent, "polluter", orr->polluter, "failing_order", order,
				"seed", (json_int_t)orr->seed, "alone_runs", orr->alone_runs,
				"alone_failures", orr->alone_failures, "together_runs", orr->together_runs,
				"together_failures", orr->together_failures));
		}
		json_array_append_new(all, o);
	}
	return all;
}

static int write_outputs(struct repro_run *r, struct repro_outcome *out)
{
	struct buf dir = BUF_INIT, path = BUF_INIT, md = BUF_INIT;
	int err;

	if (r->o->outputs_dir)
		buf_adds(&dir, r->o->outputs_dir);
	else
		buf_addf(&dir, "%s/%s", *r->root ? r->root : ".", REPRO_OUTPUTS_DIR);
	if ((err = fs_mkdir_p(dir.ptr, 0755)) < 0)
		goto done;
	if (r->log.len) {
		secret_redact(&r->log);
		buf_addf(&path, "%s/%s_%s.log", dir.ptr, r->stamp, r->slug.ptr);
		if ((err = fs_write_atomic(path.ptr, r->log.ptr, r->log.len, 0644)) < 0)
			goto done;
		out->log_path = xstrdup(path.ptr);
	}
	repro_report_markdown(&md, r);
	buf_reset(&path);
	buf_addf(&path, "%s/%s_%s.md", dir.ptr, r->stamp, r->slug.ptr);
	if ((err = fs_write_atomic(path.ptr, md.ptr, md.len, 0644)) < 0)
		goto done;
	out->report_path = xstrdup(path.ptr);
done:
	buf_release(&dir);
	buf_release(&path);
	buf_release(&md);
	return err;
}

int repro_run(struct repro_outcome *out, struct project *p, const struct repro_options *o)
{
	struct repro_run r;
	int err, werr;

	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	r.lock_fd = -1;
	r.project = p;
	r.o = o;
	r.started = clock_monotonic();
	r.wall_start = (time_t)clock_wall();
	test_result_init(&r.ci);
	test_result_init(&r.junit);
	stamp_now(r.stamp, sizeof(r.stamp));
	if ((err = repro_info_load(&r.info, o->info_path)) < 0)
		goto done_early;
	fs_read_file(&r.info_text, o->info_path, REPRO_INFO_MAX_SIZE);
	repro_slug(&r.slug, r.info.prompt);
	if ((err = open_project(&r)) < 0)
		goto done_early;

	/* 1. what failed */
	err = r.info.existing_test_path ? target_from_existing(&r) : targets_from_log(&r);
	if (err < 0) {
		if (err == ERR_NOTFOUND)
			err = ERR_USAGE;   /* the input is at fault; the message stands */
		goto report;
	}
	/* 2. reproduce it here */
	err = r.info.deterministic ? reproduce_deterministic(&r) : reproduce_intermittent(&r);
	if (err < 0) {
		if (err != ERR_INTERRUPTED && !r.problem.len)
			buf_addf(&r.problem, "the tests could not be run: %s", error_last());
		goto report;
	}
	/* 3. fix it on a branch from the base */
	if (r.reproduced && !o->no_fix) {
		err = run_fix(&r);
		if (err < 0 && err != ERR_INTERRUPTED) {
			buf_addf(&r.problem, "the fix loop stopped: %s", error_last());
			goto report;
		}
		if (err == ERR_INTERRUPTED || r.interrupted)
			goto report;
	}
	/* 4. the draft pull request */
	if (o->pr && r.branch && !o->fix.dry_run) {
		if (open_pr(&r) < 0)
			log_warn("no pull request: %s", r.pr_error.ptr);
	} else if (o->pr && !r.branch) {
		buf_adds(&r.pr_error, "no verified fix to propose");
	}
	err = 0;
report:
	if (err == ERR_INTERRUPTED || sig_pending()) {
		r.interrupted = 1;
		err = ERR_INTERRUPTED;
	}
	{
		/* the report is written whatever happened: keep the run's own error */
		struct buf msg = BUF_INIT;
		buf_adds(&msg, error_last());
		find_contacts(&r);
		r.status = status_of(&r);
		r.seconds = clock_monotonic() - r.started;
		werr = write_outputs(&r, out);
		if (werr < 0)
			log_error("cannot write the report: %s", error_last());
		if (err < 0)
			error_setc(err, "%s", msg.ptr);
		else if (werr < 0)
			err = werr;
		buf_release(&msg);
	}
	out->status = r.status;
	out->in_log = r.ci.nr_failures;
	out->reproduced = r.reproduced;
	out->fixed = r.fixed;
	out->interrupted = r.interrupted;
	out->session = xstrdup_or_null(r.session);
	out->branch = xstrdup_or_null(r.branch);
	out->pr_url = xstrdup_or_null(r.pr_url);
	out->targets = targets_json(&r);
	run_release(&r);
	return err;
done_early:
	out->status = "failed";
	run_release(&r);
	return err;
}
