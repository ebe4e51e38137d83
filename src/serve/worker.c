/*
 * The fix worker (serve/worker.h): clone, reproduce, fix, lint, push.
 */
#include "serve/worker.h"

#include "github/github.h"
#include "project/project.h"
#include "repro/repro.h"
#include "runner/pytest.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/proc.h"
#include "util/secret.h"
#include "util/utf8.h"
#include "util/xalloc.h"
#include "vcs/remote.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* the digits of the head in the pull-request branch's name */
#define WORKER_SHA_SHORT 8
/* the most test ids named in a commit's or pull request's title */
#define WORKER_TITLE_IDS 3

static const char *const status_names[] = {
	[WORKER_FIXED] = "fixed",
	[WORKER_UNFIXED] = "unfixed",
	[WORKER_OWN_COMMIT] = "own_commit",
	[WORKER_NOT_REPRODUCED] = "not_reproduced",
	[WORKER_CONFLICT] = "conflict",
	[WORKER_ERROR] = "error",
	[WORKER_LEASE_LOST] = "lease_lost",
};

const char *worker_status_name(enum worker_status status)
{
	if ((size_t)status >= sizeof(status_names) / sizeof(status_names[0]))
		return "error";
	return status_names[status];
}

void worker_repro_release(struct worker_repro *r)
{
	test_result_release(&r->failures);
	r->deterministic = r->flaky = r->not_reproduced = 0;
	r->flaky_rate = 0;
}

void worker_result_release(struct worker_result *r)
{
	struct worker_result init = WORKER_RESULT_INIT;

	FREE_ALL(r->branch, r->pull_url, r->reason, r->summary);
	worker_repro_release(&r->repro);
	*r = init;
}

/* ---- the job's private directory and clone ------------------------------------------ */

struct work {
	const struct worker_request *req;
	struct buf dir;               /* private, removed at the end */
	struct buf root;              /* dir/repo: the clone */
	struct vcs_repo *repo;        /* the clone's, owned by `project` once it is open */
	struct project *project;
	int lease_lost;               /* before_push said no */
};

static int check_request(const struct worker_request *req, int fixing)
{
	if (!req->clone_url || !*req->clone_url)
		return error_setc(ERR_USAGE, "invalid fix request: no clone_url");
	if (!req->head_sha || strlen(req->head_sha) != VCS_OID_HEXSZ ||
	    strspn(req->head_sha, "0123456789abcdef") != VCS_OID_HEXSZ)
		return error_setc(ERR_USAGE, "invalid fix request: head_sha '%s' is not 40 "
				  "lowercase hex digits", req->head_sha ? req->head_sha : "");
	if (!fixing)
		return 0;
	if (!req->head_branch || !*req->head_branch)
		return error_setc(ERR_USAGE, "invalid fix request: no head_branch");
	if (req->max_attempts < 1 || req->max_attempts > SERVE_MAX_MAX_ATTEMPTS)
		return error_setc(ERR_USAGE, "invalid fix request: max_attempts %d is out of range "
				  "1..%d", req->max_attempts, SERVE_MAX_MAX_ATTEMPTS);
	if (req->push == SERVE_PUSH_PULL_REQUEST &&
	    (!req->github || !req->repository || !strchr(req->repository, '/')))
		return error_setc(ERR_USAGE, "invalid fix request: pull-request mode needs a GitHub "
				  "client and the repository as owner/name");
	return 0;
}

static int work_dir_make(struct buf *out, const char *parent, long long job)
{
	char prefix[64];
	int err;

	snprintf(prefix, sizeof(prefix), WORKER_DIR_PREFIX "%lld-%ld", job, (long)getpid());
	if (!parent)
		return fs_mkdtemp(out, prefix);
	buf_reset(out);
	buf_addf(out, "%s/%s.XXXXXX", parent, prefix);
	if ((err = fs_mkdir_p(parent, 0700)) < 0)
		return err;
	if (!mkdtemp(out->ptr)) {
		err = error_errno("cannot create a private directory in '%s'", parent);
		buf_reset(out);
		return err;
	}
	return 0;
}

/* the pid in "job-<id>-<pid>.XXXXXX", or 0 when `name` is not one of ours */
static long work_dir_pid(const char *name)
{
	const char *p = name + strlen(WORKER_DIR_PREFIX), *dash;
	char *end;
	long pid;

	if (strncmp(name, WORKER_DIR_PREFIX, strlen(WORKER_DIR_PREFIX)) ||
	    !(dash = strchr(p, '-')) || dash == p || strspn(p, "0123456789") != (size_t)(dash - p))
		return 0;
	errno = 0;
	pid = strtol(dash + 1, &end, 10);
	if (errno || end == dash + 1 || *end != '.' || pid <= 0)
		return 0;
	return pid;
}

int worker_sweep(struct strvec *removed, const char *parent)
{
	struct buf path = BUF_INIT;
	struct dirent *de;
	DIR *d = opendir(parent);
	int err = 0;

	if (!d)
		return errno == ENOENT ? 0 : error_errno("cannot read '%s'", parent);
	while ((de = readdir(d))) {
		long pid = work_dir_pid(de->d_name);
		if (!pid || !(kill((pid_t)pid, 0) < 0 && errno == ESRCH))
			continue;
		buf_reset(&path);
		buf_addf(&path, "%s/%s", parent, de->d_name);
		if (fs_remove_tree(path.ptr) < 0) {
			err = error_prefix(-1, "cannot remove a dead job's directory");
			break;
		}
		strvec_push(removed, path.ptr);
	}
	closedir(d);
	buf_release(&path);
	return err;
}

static int work_open(struct work *w, const struct worker_request *req)
{
	int err;

	w->req = req;
	if (req->token)
		secret_add(req->token);
	if ((err = work_dir_make(&w->dir, req->work_parent, req->job_id)) < 0)
		return err;
	buf_addf(&w->root, "%s/repo", w->dir.ptr);
	log_info("job %lld: cloning at %.12s", req->job_id, req->head_sha);
	if ((err = vcs_clone(&w->repo, req->clone_url, w->root.ptr, req->head_sha, req->token)) < 0)
		return err;
	vcs_free(w->repo);
	w->repo = NULL;
	if ((err = project_open(&w->project, w->root.ptr)) < 0)
		return err;
	w->repo = w->project->repo;
	return 0;
}

static void work_close(struct work *w)
{
	project_free(w->project);
	if (w->dir.len)
		fs_remove_tree(w->dir.ptr);
	buf_release(&w->dir);
	buf_release(&w->root);
}

/* ---- reproduction ------------------------------------------------------------------- */

static int run_tests(struct test_result *out, struct work *w, const struct strvec *ids)
{
	struct pytest_options po = PYTEST_OPTIONS_INIT;

	po.root = w->root.ptr;
	po.command = w->req->fix.pytest_cmd;
	po.choice = w->project->pytest;
	po.paths = ids && ids->nr ? ids : NULL;
	po.test_timeout = w->req->fix.test_timeout;
	return pytest_run(out, &po);
}

/* 1 when the file of node id `id` ("tests/x.py::test_y") is in the clone */
static int test_file_exists(struct work *w, const char *id)
{
	const char *sep = strstr(id, "::");
	struct buf path = BUF_INIT;
	int found;

	buf_addf(&path, "%s/%.*s", w->root.ptr, (int)(sep ? (size_t)(sep - id) : strlen(id)), id);
	found = fs_is_file(path.ptr) || fs_is_dir(path.ptr);
	buf_release(&path);
	return found;
}

static int reproduce(struct worker_repro *out, struct work *w)
{
	const struct strvec *named = w->req->tests;
	struct strvec ids = STRVEC_INIT;
	size_t *fails = NULL, i;
	int run, err = 0;

	/* a named test whose file is not here (CI ran other code) is not reproduced */
	for (i = 0; named && i < named->nr; i++) {
		if (test_file_exists(w, named->v[i]))
			strvec_push(&ids, named->v[i]);
		else
			out->not_reproduced++;
	}
	if (named && named->nr && !ids.nr)
		goto done;
	/* run 1: the named tests, or the whole suite to find the failures */
	if ((err = run_tests(&out->failures, w, &ids)) < 0)
		goto done;
	if (named && named->nr) {
		/* only the named tests count (a teardown error of another is not ours) */
		for (i = out->failures.nr_failures; i-- > 0;)
			if (strvec_find(&ids, out->failures.failures[i].id) < 0)
				test_result_remove(&out->failures, i);
	} else {
		for (i = 0; i < out->failures.nr_failures; i++)
			if (strvec_find(&ids, out->failures.failures[i].id) < 0)
				strvec_push(&ids, out->failures.failures[i].id);
	}
	fails = xcalloc(ids.nr ? ids.nr : 1, sizeof(*fails));
	for (i = 0; i < ids.nr; i++)
		fails[i] = test_result_find(&out->failures, ids.v[i]) != NULL;
	for (run = 1; run < WORKER_REPRO_RUNS && ids.nr; run++) {
		struct test_result again = TEST_RESULT_INIT;
		if ((err = run_tests(&again, w, &ids)) < 0) {
			test_result_release(&again);
			goto done;
		}
		for (i = 0; i < ids.nr; i++) {
			const struct failure *f = test_result_find(&again, ids.v[i]);
			if (!f)
				continue;
			fails[i]++;
			if (!test_result_find(&out->failures, ids.v[i])) {
				struct failure *copy = test_result_add_failure(&out->failures, ids.v[i]);
				failure_release(copy);
				failure_copy(copy, f);
			}
		}
		test_result_release(&again);
	}
	for (i = 0; i < ids.nr; i++) {
		double rate = (double)fails[i] / WORKER_REPRO_RUNS;
		if (fails[i] == WORKER_REPRO_RUNS) {
			out->deterministic++;
		} else if (fails[i]) {
			out->flaky++;
			if (!out->flaky_rate || rate < out->flaky_rate)
				out->flaky_rate = rate;
		} else {
			out->not_reproduced++;
		}
	}
	log_info("job %lld: %zu failing test%s reproduced deterministically, %zu flaky, %zu not",
		 w->req->job_id, out->deterministic, out->deterministic == 1 ? "" : "s", out->flaky,
		 out->not_reproduced);
done:
	free(fails);
	strvec_clear(&ids);
	return err;
}

static int has_trailer(int *out, struct work *w, const char *commit, long long job);

int worker_reproduce(struct worker_repro *out, const struct worker_request *req)
{
	struct work w = { .req = req, .dir = BUF_INIT, .root = BUF_INIT };
	int err;

	if ((err = check_request(req, 0)) < 0)
		return err;
	if ((err = work_open(&w, req)) == 0 &&
	    (err = has_trailer(&out->own_commit, &w, req->head_sha, -1)) == 0 && !out->own_commit)
		err = reproduce(out, &w);
	work_close(&w);
	return err;
}

/* ---- commits of ours ---------------------------------------------------------------- */

/*
 * 1 when the message of `commit` has the line "WORKER_TRAILER: N": of job
 * `job`, or of any job when `job` < 0.
 */
static int has_trailer(int *out, struct work *w, const char *commit, long long job)
{
	struct buf msg = BUF_INIT, line = BUF_INIT;
	const char *p;
	int err;

	*out = 0;
	if ((err = vcs_commit_message(&msg, w->repo, commit)) < 0)
		goto done;
	buf_addf(&line, WORKER_TRAILER ": ");
	if (job >= 0)
		buf_addf(&line, "%lld", job);
	for (p = msg.ptr; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, line.ptr, line.len) &&
		    (job < 0 || p[line.len] == '\n' || !p[line.len]))
			*out = 1;
done:
	buf_release(&msg);
	buf_release(&line);
	return err;
}

/*
 * A run of this same job that pushed and was killed before it could say
 * so: the branch it pushes to holds a commit on head_sha with this job's
 * trailer (the clone fetched it). That is the fix; nothing is pushed twice.
 */
static int find_earlier_push(int *found, char tip[VCS_OID_HEXSZ + 1], struct work *w,
			     const char *branch)
{
	char parent[VCS_OID_HEXSZ + 1];
	struct buf spec = BUF_INIT;
	int err;

	*found = 0;
	buf_addf(&spec, "refs/remotes/" VCS_CLONE_REMOTE "/%s", branch);
	err = vcs_resolve(tip, w->repo, spec.ptr);
	if (err == ERR_NOTFOUND || (!err && !strcmp(tip, w->req->head_sha))) {
		error_clear();
		err = 0;
		goto done;
	}
	if (err < 0)
		goto done;
	buf_addch(&spec, '^');
	if (vcs_resolve(parent, w->repo, spec.ptr) < 0 || strcmp(parent, w->req->head_sha)) {
		error_clear();
		goto done;
	}
	err = has_trailer(found, w, tip, w->req->job_id);
done:
	buf_release(&spec);
	return err;
}

/* ---- attempts: the fix loop, then the lint commands --------------------------------- */

/*
 * `reason`, cut to about WORKER_REASON_MAX bytes (its end kept), as valid
 * UTF-8 (it goes into JSON), without secrets
 */
static void set_reason(char **slot, const char *reason)
{
	struct buf b = BUF_INIT;
	size_t len = strlen(reason);

	if (len > WORKER_REASON_MAX) {
		buf_adds(&b, "[...] ");
		reason += len - WORKER_REASON_MAX;
	}
	utf8_sanitize(&b, reason, strlen(reason));
	secret_redact(&b);
	free(*slot);
	*slot = buf_detach(&b, NULL);
}

/* 1 when each lint command passes in `dir`; else 0 and why in `why` */
static int run_lint(int *passed, struct buf *why, struct work *w, const char *dir)
{
	const struct strvec *lint = w->req->lint;
	struct strvec env = STRVEC_INIT;
	size_t i, keep;
	int err = 0;

	*passed = 1;
	strvec_push(&env, "GIT_TERMINAL_PROMPT=0");
	strvec_push(&env, "PYTHONDONTWRITEBYTECODE=1");
	for (i = 0; lint && i < lint->nr && *passed; i++) {
		struct proc_options po = PROC_OPTIONS_INIT;
		struct proc_result res = PROC_RESULT_INIT;
		struct strvec argv = STRVEC_INIT;

		if ((err = strvec_split_command(&argv, lint->v[i])) < 0 || !argv.nr) {
			err = error_setc(ERR_USAGE, "invalid lint command '%s'%s", lint->v[i],
					 argv.nr ? "" : ": it is empty");
			strvec_clear(&argv);
			break;
		}
		po.argv = argv.v;
		po.env = &env;
		po.cwd = dir;
		po.timeout_ms = WORKER_LINT_TIMEOUT_MS;
		po.out_cap = WORKER_LINT_OUTPUT_MAX;
		po.merge_stderr = 1;
		err = proc_run(&res, &po);
		if (err == ERR_NOTFOUND) {
			/* a lint that cannot run fails the gate: the repository's setting is wrong */
			buf_addf(why, "lint '%s' could not be run: %s", lint->v[i], error_last());
			*passed = 0;
			err = 0;
		} else if (!err && res.interrupted) {
			err = error_setc(ERR_INTERRUPTED, "interrupted");
		} else if (!err && (res.exit_code || res.signal || res.timed_out)) {
			buf_addf(why, "lint '%s' failed (", lint->v[i]);
			proc_describe_exit(why, &res);
			buf_adds(why, "):\n");
			/* its end says what is wrong; the rest would crowd out the command */
			keep = res.out.len > WORKER_LINT_REASON_TAIL ? WORKER_LINT_REASON_TAIL :
				res.out.len;
			if (keep < res.out.len)
				buf_adds(why, "[...]");
			buf_add(why, res.out.ptr + res.out.len - keep, keep);
			buf_rtrim(why);
			*passed = 0;
		}
		proc_result_release(&res);
		strvec_clear(&argv);
	}
	strvec_clear(&env);
	return err;
}

/* the failure's reason in the loop's result, or a default */
static void fix_reason(struct buf *why, const struct fix_result *res)
{
	size_t i;

	for (i = 0; i < res->nr_failures; i++) {
		const struct fix_failure_result *f = &res->failures[i];
		if (f->status == FAILURE_FIXED)
			continue;
		buf_addf(why, "%s%s: %s", why->len ? "\n" : "", f->id,
			 f->reason ? f->reason : "no change passed every gate");
	}
	if (!why->len)
		buf_adds(why, "no change passed every gate");
}

struct attempt {
	char tip[VCS_OID_HEXSZ + 1];  /* the verified fixes' last commit, "" when none */
	struct buf summary;           /* "ID (template)" per fix, for the commit */
	long prompt_tokens, completion_tokens;  /* the models' counts, added up over attempts */
};

/* one attempt: the fix loop on the reproduced failures, then the lint commands */
static int attempt_once(struct attempt *out, struct buf *why, struct work *w,
			const struct worker_repro *repro, const char *feedback, int number)
{
	struct fix_options fo = w->req->fix;
	struct fix_result res = { .session = "" };
	struct buf branch = BUF_INIT, prompt = BUF_INIT, lint_dir = BUF_INIT;
	size_t i;
	int passed = 0, err;

	out->tip[0] = '\0';
	buf_addf(&branch, WORKER_ATTEMPT_BRANCH "%d", number);
	if (fo.user_prompt)
		buf_adds(&prompt, fo.user_prompt);
	if (feedback && *feedback)
		buf_addf(&prompt, "%sThe previous attempt failed: %s", prompt.len ? "\n\n" : "",
			 feedback);
	fo.user_prompt = prompt.len ? prompt.ptr : NULL;
	fo.branch = branch.ptr;
	fo.dry_run = 0;
	fo.apply = 0;
	fo.repro.base = NULL;
	fo.repro.targets = repro->failures.failures;
	fo.repro.nr_targets = repro->failures.nr_failures;
	/* a flaky failure's fix passes as many runs as its rate would have failed one of */
	if (repro->flaky_rate > 0) {
		int runs = repro_verify_runs(repro->flaky_rate, REPRO_VERIFY_CONFIDENCE) - 1;
		if (runs > fo.verify_runs)
			fo.verify_runs = runs;
	}
	log_info("job %lld: fix attempt %d of %d", w->req->job_id, number, w->req->max_attempts);
	err = fix_run(&res, w->project, &fo, NULL);
	out->prompt_tokens += res.prompt_tokens;
	out->completion_tokens += res.completion_tokens;
	if (err < 0)
		goto done;
	if (res.interrupted) {
		err = error_setc(ERR_INTERRUPTED, "interrupted");
		goto done;
	}
	if (!res.fixed || res.unfixed) {
		fix_reason(why, &res);
		goto done;
	}
	if ((err = vcs_branch_target(out->tip, w->repo, branch.ptr)) < 0)
		goto done;
	buf_reset(&out->summary);
	for (i = 0; i < res.nr_failures; i++) {
		const struct fix_failure_result *f = &res.failures[i];
		if (f->status == FAILURE_FIXED)
			buf_addf(&out->summary, "- %s (%s)\n", f->id,
				 f->win.template_name ? f->win.template_name :
				 f->win.engine ? f->win.engine : "fix");
	}
	/* the lint commands, in the fixed tree */
	if (w->req->lint && w->req->lint->nr) {
		buf_addf(&lint_dir, "%s/lint-%d", w->dir.ptr, number);
		if ((err = vcs_checkout_to(w->repo, out->tip, lint_dir.ptr)) < 0)
			goto done;
		err = run_lint(&passed, why, w, lint_dir.ptr);
		fs_remove_tree(lint_dir.ptr);
		if (err < 0 || !passed) {
			out->tip[0] = '\0';
			goto done;
		}
	}
done:
	if (err < 0)
		out->tip[0] = '\0';
	fix_result_release(&res);
	buf_release(&branch);
	buf_release(&prompt);
	buf_release(&lint_dir);
	return err;
}

/* ---- pushing ------------------------------------------------------------------------ */

static void title_for(struct buf *out, const struct worker_repro *repro)
{
	size_t i, n = repro->failures.nr_failures;

	buf_addf(out, "Fix failing test%s: ", n == 1 ? "" : "s");
	for (i = 0; i < n && i < WORKER_TITLE_IDS; i++)
		buf_addf(out, "%s%s", i ? ", " : "", repro->failures.failures[i].id);
	if (n > WORKER_TITLE_IDS)
		buf_addf(out, " and %zu more", n - WORKER_TITLE_IDS);
}

static void message_for(struct buf *out, const struct work *w, const struct worker_repro *repro,
			const struct attempt *a)
{
	const struct worker_request *req = w->req;

	title_for(out, repro);
	buf_addf(out, "\n\n%s", a->summary.ptr);
	buf_addf(out, "\nVerified by pytest-fixer: the failing tests pass, no test that passed "
		 "fails%s.", req->lint && req->lint->nr ? ", and the lint commands pass" : "");
	if (req->pull_request)
		buf_addf(out, "\nFor pull request #%lld.", req->pull_request);
	buf_addf(out, "\n\n" WORKER_TRAILER ": %lld\n", req->job_id);
}

static int open_pull(struct worker_result *out, struct work *w, const char *title,
		     const char *message)
{
	const struct worker_request *req = w->req;
	const char *slash = strchr(req->repository, '/');
	struct github_pull pull = GITHUB_PULL_INIT;
	struct buf owner = BUF_INIT, body = BUF_INIT;
	int err;

	buf_add(&owner, req->repository, (size_t)(slash - req->repository));
	buf_addf(&body, "pytest-fixer fixed the failing tests of ");
	if (req->pull_request)
		buf_addf(&body, "#%lld ", req->pull_request);
	buf_addf(&body, "(head %.12s). Merge this draft into `%s` to take the fix.\n\n%s",
		 req->head_sha, req->head_branch, message);
	secret_redact(&body);
	err = github_pull_create(&pull, req->github, owner.ptr, slash + 1, out->branch,
				 req->head_branch, title, body.ptr, 1);
	if (!err)
		out->pull_url = xstrdup_or_null(pull.html_url);
	github_pull_release(&pull);
	buf_release(&owner);
	buf_release(&body);
	return err;
}

/* the caller's word before a push or a pull request: ERR_CONFLICT when it says no */
static int may_push(struct work *w, const char *what)
{
	const struct worker_request *req = w->req;

	if (!req->before_push || req->before_push(req->payload) == 0)
		return 0;
	w->lease_lost = 1;
	return error_setc(ERR_CONFLICT, "job %lld: the job is no longer ours: %s",
			  req->job_id, what);
}

/* where the fix goes: the PR's branch, or WORKER_BRANCH_PREFIX<sha8> */
static void target_branch(struct buf *out, const struct worker_request *req)
{
	if (req->push == SERVE_PUSH_PULL_REQUEST)
		buf_addf(out, WORKER_BRANCH_PREFIX "%.*s", WORKER_SHA_SHORT, req->head_sha);
	else
		buf_adds(out, req->head_branch);
}

static int push_fix(struct worker_result *out, struct work *w, const struct worker_repro *repro,
		    const struct attempt *a)
{
	const struct worker_request *req = w->req;
	struct buf msg = BUF_INIT, title = BUF_INIT, branch = BUF_INIT;
	int err;

	message_for(&msg, w, repro, a);
	if ((err = vcs_commit_squash(out->commit, w->repo, req->head_sha, a->tip, msg.ptr)) < 0)
		goto done;
	target_branch(&branch, req);
	if ((err = may_push(w, "not pushed")) < 0)
		goto done;
	log_info("job %lld: pushing %.12s to '%s'", req->job_id, out->commit, branch.ptr);
	if ((err = vcs_push_commit(w->repo, req->clone_url, out->commit, branch.ptr,
				   req->push == SERVE_PUSH_PULL_REQUEST ? NULL : req->head_sha,
				   req->token)) < 0)
		goto done;
	out->branch = xstrdup(branch.ptr);
	if (req->push == SERVE_PUSH_PULL_REQUEST) {
		title_for(&title, repro);
		if ((err = may_push(w, "no draft pull request opened")) == 0)
			err = open_pull(out, w, title.ptr, msg.ptr);
	}
done:
	buf_release(&msg);
	buf_release(&title);
	buf_release(&branch);
	return err;
}

/* the earlier run's push stands: its pull request is opened if it is not yet */
static int take_earlier_push(struct worker_result *out, struct work *w, const char *branch)
{
	struct buf msg = BUF_INIT;
	char *eol;
	int err;

	log_info("job %lld: '%s' already has this job's fix %.12s: not pushed again",
		 w->req->job_id, branch, out->commit);
	out->branch = xstrdup(branch);
	if (w->req->push != SERVE_PUSH_PULL_REQUEST)
		return 0;
	if ((err = vcs_commit_message(&msg, w->repo, out->commit)) < 0)
		goto done;
	eol = strchr(msg.ptr, '\n');
	if (eol)
		*eol = '\0';
	if ((err = may_push(w, "no draft pull request opened")) < 0)
		goto done;
	err = open_pull(out, w, msg.ptr, eol ? eol + 1 : "");
	if (err == ERR_CONFLICT) {
		/* opened by the earlier run too ("a pull request already exists") */
		error_clear();
		err = 0;
	}
done:
	buf_release(&msg);
	return err;
}

/* ---- the job ------------------------------------------------------------------------ */

static int fix_job(struct worker_result *out, struct work *w)
{
	const struct worker_request *req = w->req;
	struct attempt a = { .tip = "", .summary = BUF_INIT };
	struct buf why = BUF_INIT, branch = BUF_INIT;
	int own = 0, err;

	if ((err = work_open(w, req)) < 0)
		goto done;
	if ((err = has_trailer(&own, w, req->head_sha, -1)) < 0)
		goto done;
	if (own) {
		out->status = WORKER_OWN_COMMIT;
		set_reason(&out->reason, "the head is pytest-fixer's own fix commit: it is not "
			   "fixed again (no bot loops)");
		goto done;
	}
	target_branch(&branch, req);
	if ((err = find_earlier_push(&own, out->commit, w, branch.ptr)) < 0)
		goto done;
	if (own) {
		if ((err = take_earlier_push(out, w, branch.ptr)) == 0)
			out->status = WORKER_FIXED;
		goto done;
	}
	out->commit[0] = '\0';
	if ((err = reproduce(&out->repro, w)) < 0)
		goto done;
	if (!out->repro.failures.nr_failures) {
		out->status = WORKER_NOT_REPRODUCED;
		set_reason(&out->reason, "none of the failing tests fails here");
		goto done;
	}
	if (req->feedback)
		buf_adds(&why, req->feedback);
	while (out->attempts < req->max_attempts) {
		char *feedback;
		/* what the next attempt is told may go to a model: never a secret */
		secret_redact(&why);
		feedback = buf_detach(&why, NULL);
		out->attempts++;
		err = attempt_once(&a, &why, w, &out->repro, feedback, out->attempts);
		out->prompt_tokens = a.prompt_tokens;
		out->completion_tokens = a.completion_tokens;
		free(feedback);
		if (err < 0 || a.tip[0])
			break;
		log_info("job %lld: attempt %d failed: %.200s", req->job_id, out->attempts, why.ptr);
	}
	if (err < 0)
		goto done;
	if (!a.tip[0]) {
		out->status = WORKER_UNFIXED;
		set_reason(&out->reason, why.len ? why.ptr : "no fix passed every gate");
		goto done;
	}
	err = push_fix(out, w, &out->repro, &a);
	if (err == ERR_CONFLICT && !w->lease_lost) {
		out->status = WORKER_CONFLICT;
		set_reason(&out->reason, error_last());
		err = 0;
		goto done;
	}
	if (err < 0)
		goto done;
	out->status = WORKER_FIXED;
	buf_rtrim(&a.summary);
	out->summary = buf_detach(&a.summary, NULL);
done:
	buf_release(&a.summary);
	buf_release(&why);
	buf_release(&branch);
	return err;
}

int worker_fix(struct worker_result *out, const struct worker_request *req)
{
	struct work w = { .req = req, .dir = BUF_INIT, .root = BUF_INIT };
	int err;

	out->status = WORKER_ERROR;
	if ((err = check_request(req, 1)) == 0)
		err = fix_job(out, &w);
	if (err < 0 && w.lease_lost) {
		out->status = WORKER_LEASE_LOST;
		set_reason(&out->reason, error_last());
		err = 0;
	} else if (err < 0) {
		out->status = WORKER_ERROR;
		set_reason(&out->reason, error_last());
	}
	work_close(&w);
	return err;
}
