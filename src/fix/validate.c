#include "fix/validate.h"

#include "edit/guard.h"
#include "pyast/pyast.h"
#include "runner/pytest.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define VALIDATE_FILE_CAP (16u * 1024 * 1024)
#define REGRESSIONS_NAMED 5

void validation_init(struct validation *v)
{
	memset(v, 0, sizeof(*v));
	buf_init(&v->reason, 0);
	buf_init(&v->diff, 0);
	strvec_init(&v->touched);
	strvec_init(&v->fixed_too);
	strvec_init(&v->flaky);
	strvec_init(&v->flaky_why);
	strvec_init(&v->target_failed);
}

void validation_release(struct validation *v)
{
	buf_release(&v->reason);
	buf_release(&v->diff);
	strvec_clear(&v->touched);
	strvec_clear(&v->fixed_too);
	strvec_clear(&v->flaky);
	strvec_clear(&v->flaky_why);
	strvec_clear(&v->target_failed);
}

const char *validate_target_id(const struct failure *f)
{
	return f->id;
}

/* What the files an edit names held before it, to put them back. */
struct saved_file {
	char *path;      /* absolute */
	char *content;   /* NULL: did not exist */
	size_t len;
	mode_t mode;
};

struct snapshot {
	struct saved_file *files;
	size_t nr, alloc;
};

static int save_files(struct snapshot *s, const struct change *c, const char *workdir)
{
	size_t i, j;
	for (i = 0; i < c->nr; i++) {
		struct buf path = BUF_INIT, content = BUF_INIT;
		struct saved_file *sf;
		struct stat st;
		int dup = 0;

		buf_addf(&path, "%s/%s", workdir, c->edits[i].path);
		for (j = 0; j < s->nr; j++)
			if (!strcmp(s->files[j].path, path.ptr))
				dup = 1;
		if (dup) {
			buf_release(&path);
			continue;
		}
		ALLOC_GROW(s->files, s->nr + 1, s->alloc);
		sf = &s->files[s->nr++];
		memset(sf, 0, sizeof(*sf));
		if (lstat(path.ptr, &st) == 0 && S_ISREG(st.st_mode)) {
			if (fs_read_file(&content, path.ptr, VALIDATE_FILE_CAP) < 0) {
				sf->path = buf_detach(&path, NULL);
				buf_release(&content);
				return -1;
			}
			sf->mode = st.st_mode & 07777;
			sf->content = buf_detach(&content, &sf->len);
		}
		sf->path = buf_detach(&path, NULL);
	}
	return 0;
}

static int restore_files(struct snapshot *s)
{
	size_t i;
	int err = 0;
	for (i = 0; i < s->nr; i++) {
		struct saved_file *sf = &s->files[i];
		if (sf->content) {
			if (fs_write_atomic(sf->path, sf->content, sf->len, sf->mode) < 0)
				err = -1;
		} else if (unlink(sf->path) < 0 && fs_is_file(sf->path)) {
			err = error_errno("cannot remove '%s'", sf->path);
		}
	}
	return err;
}

static void saved_release(struct snapshot *s)
{
	while (s->nr--) {
		free(s->files[s->nr].path);
		free(s->files[s->nr].content);
	}
	free(s->files);
	memset(s, 0, sizeof(*s));
}

static const struct saved_file *saved_find(const struct snapshot *s, const char *workdir,
					   const char *rel)
{
	size_t n = strlen(workdir), i;
	for (i = 0; i < s->nr; i++)
		if (!strncmp(s->files[i].path, workdir, n) && s->files[i].path[n] == '/' &&
		    !strcmp(s->files[i].path + n + 1, rel))
			return &s->files[i];
	return NULL;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !strcmp(s + a - b, suffix);
}

static int fail(struct validation *v, enum attempt_gate gate, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct validation *v, enum attempt_gate gate, const char *fmt, ...)
{
	va_list ap;
	v->passed = 0;
	v->gate = gate;
	buf_reset(&v->reason);
	va_start(ap, fmt);
	buf_vaddf(&v->reason, fmt, ap);
	va_end(ap);
	return 0;
}

/* what a touched file holds after the change: empty when the change deleted it */
static int read_after(struct buf *out, const char *workdir, const char *rel)
{
	struct buf path = BUF_INIT;
	int err;

	buf_addf(&path, "%s/%s", workdir, rel);
	err = fs_read_file(out, path.ptr, VALIDATE_FILE_CAP);
	buf_release(&path);
	return err == ERR_NOTFOUND ? 0 : err;
}

static int has_secret(const char *s)
{
	return s && secret_find(s, strlen(s));
}

/*
 * A change that holds one of our secrets (util/secret.h), in an edit's text
 * or in a file it leaves behind, is refused before anything else sees it:
 * no diff is made of it, and it never reaches a branch. 1 when refused.
 */
static int gate_secret(struct validation *v, const struct change *c, const char *workdir)
{
	const char *where = NULL;
	size_t i;

	for (i = 0; i < c->nr && !where; i++) {
		const struct file_edit *e = &c->edits[i];
		if (has_secret(e->new_str) || has_secret(e->patch) || has_secret(e->content))
			where = e->path;
	}
	for (i = 0; i < v->touched.nr && !where; i++) {
		struct buf path = BUF_INIT, after = BUF_INIT;
		buf_addf(&path, "%s/%s", workdir, v->touched.v[i]);
		if (fs_read_file(&after, path.ptr, VALIDATE_FILE_CAP) == 0 &&
		    secret_find(after.ptr, after.len))
			where = v->touched.v[i];
		buf_release(&path);
		buf_release(&after);
	}
	if (!where)
		return 0;
	fail(v, ATTEMPT_GATE_APPLY, "the change contains a secret (in '%s')", where);
	return 1;
}

static int gate_syntax(struct validation *v, const char *workdir)
{
	size_t i;
	for (i = 0; i < v->touched.nr; i++) {
		struct buf path = BUF_INIT, src = BUF_INIT, why = BUF_INIT;
		struct pyast *ast = NULL;
		struct stat st;
		int ok = 1;

		if (!ends_with(v->touched.v[i], ".py"))
			continue;
		buf_addf(&path, "%s/%s", workdir, v->touched.v[i]);
		if (lstat(path.ptr, &st) < 0 && errno == ENOENT) {
			buf_release(&path);
			continue;   /* deleted */
		}
		if (fs_read_file(&src, path.ptr, VALIDATE_FILE_CAP) < 0 ||
		    pyast_parse(&ast, src.ptr, src.len) < 0) {
			ok = 0;
			buf_adds(&why, error_last());
		} else if (!pyast_syntax_ok(ast, &why)) {
			ok = 0;
		}
		if (!ok)
			fail(v, ATTEMPT_GATE_SYNTAX, "'%s' no longer parses: %s", v->touched.v[i],
			     why.ptr);
		pyast_free(ast);
		buf_release(&path);
		buf_release(&src);
		buf_release(&why);
		if (!ok)
			return 1;
	}
	return 0;
}

/* the content a touched file had before the change ("" when it is new) */
static void saved_content(const struct snapshot *saved, const char *workdir, const char *rel,
			  const char **content, size_t *len)
{
	const struct saved_file *before = saved_find(saved, workdir, rel);

	*content = before && before->content ? before->content : "";
	*len = before && before->content ? before->len : 0;
}

/* pytest's configuration, hooks and plugins: left alone unless allowed */
static int gate_config(struct validation *v, const struct snapshot *saved, const char *workdir)
{
	struct buf why = BUF_INIT, after = BUF_INIT;
	const char *before;
	size_t i, blen;
	int found = 0;

	for (i = 0; i < v->touched.nr && !found; i++) {
		const char *rel = v->touched.v[i];

		saved_content(saved, workdir, rel, &before, &blen);
		buf_reset(&after);
		if (read_after(&after, workdir, rel) < 0 ||
		    (found = guard_config_change(&why, rel, before, blen, after.ptr, after.len)) < 0)
			fail(v, ATTEMPT_GATE_WEAKENING, "cannot check '%s': %s", rel, error_last());
		else if (found)
			fail(v, ATTEMPT_GATE_WEAKENING, "the change alters how pytest runs or "
			     "reports: %s (pytest's configuration, hooks and plugins are left "
			     "alone unless --allow-config-edits)", why.ptr);
		else
			continue;
		found = 1;
	}
	buf_release(&why);
	buf_release(&after);
	return found;
}

static int gate_weakening(struct validation *v, const struct snapshot *saved, const char *workdir,
			  int allow)
{
	size_t i;
	for (i = 0; i < v->touched.nr; i++) {
		const char *rel = v->touched.v[i], *before;
		struct buf after = BUF_INIT, why = BUF_INIT;
		size_t blen;
		int weak = 0;

		if (!guard_is_test_file(rel))
			continue;
		if (!allow) {
			fail(v, ATTEMPT_GATE_WEAKENING, "the change edits the test file '%s' "
			     "(test files are left alone unless --allow-test-edits)", rel);
			return 1;
		}
		saved_content(saved, workdir, rel, &before, &blen);
		if (read_after(&after, workdir, rel) == 0)
			weak = guard_test_weakening(&why, rel, before, blen, after.ptr, after.len);
		if (weak)
			fail(v, ATTEMPT_GATE_WEAKENING, "%s", why.ptr);
		buf_release(&after);
		buf_release(&why);
		if (weak)
			return 1;
	}
	return 0;
}

/*
 * The warm worker sees changes to the modules it imported; a change that
 * adds a file, touches a conftest.py or anything but Python source goes to
 * fresh processes (a new conftest's hooks, a data file read at import).
 */
static int worker_can_judge(const struct snapshot *saved, const struct validation *v,
			    const char *workdir)
{
	size_t i;
	for (i = 0; i < v->touched.nr; i++) {
		const char *rel = v->touched.v[i];
		const struct saved_file *before = saved_find(saved, workdir, rel);
		const char *base = strrchr(rel, '/');
		base = base ? base + 1 : rel;
		if (!before || !before->content || !strcmp(base, "conftest.py") ||
		    !ends_with(rel, ".py"))
			return 0;
	}
	return 1;
}

static int run_pytest(struct test_result *res, const char *workdir, const struct gate_options *g,
		      const struct strvec *paths, size_t *ran)
{
	struct pytest_options po = PYTEST_OPTIONS_INIT;
	int err;

	po.root = workdir;
	po.venv_root = g->venv_root;
	po.command = g->pytest_cmd;
	po.paths = paths;
	po.extra_args = g->extra_args;
	po.test_timeout = g->test_timeout;
	po.every_test = 1;
	po.worker = g->worker;
	err = pytest_run(res, &po);
	if (ran)
		*ran += res->summary.total;
	return err;
}

/* 1 when `id` failed in `res` (a collection error of its module counts) */
static const struct failure *failed_in(const struct test_result *res, const char *id)
{
	size_t i;
	for (i = 0; i < res->nr_failures; i++) {
		const struct failure *f = &res->failures[i];
		size_t n = strlen(f->id);
		if (!strcmp(f->id, id))
			return f;
		if (f->kind == FAILURE_KIND_COLLECTION && !strncmp(id, f->id, n) &&
		    (id[n] == ':' || id[n] == '/'))
			return f;
	}
	return NULL;
}

/* what the target gate runs: the tests to run before it, then the target's ids */
static void target_paths(struct strvec *paths, const struct failure *target,
			 const struct gate_options *g)
{
	const struct strvec *ids = g->targets && g->targets->nr ? g->targets : NULL;
	size_t i;

	for (i = 0; g->run_before && i < g->run_before->nr; i++)
		strvec_push(paths, g->run_before->v[i]);
	if (!ids)
		strvec_push(paths, validate_target_id(target));
	for (i = 0; ids && i < ids->nr; i++)
		if (strvec_find(paths, ids->v[i]) < 0)
			strvec_push(paths, ids->v[i]);
}

/* run `run` of the target gate read: 1 when it rejects the candidate (`v` says why) */
static int judge_target(struct validation *v, const struct test_result *res,
			const struct failure *target, const struct gate_options *g, int run)
{
	const struct strvec *ids = g->targets && g->targets->nr ? g->targets : NULL;
	const struct failure *f = NULL;
	size_t i;

	if (!ids) {
		f = failed_in(res, target->id);
	} else {
		/* the group's first failing test speaks for it; all are remembered */
		for (i = 0; i < ids->nr; i++) {
			const struct failure *one = failed_in(res, ids->v[i]);
			if (one && !run)
				strvec_push(&v->target_failed, ids->v[i]);
			if (one && !f)
				f = one;
		}
	}
	if (!ids && f && !run)
		strvec_push(&v->target_failed, target->id);
	if (f) {
		int many = ids && ids->nr > 1;
		fail(v, run ? ATTEMPT_GATE_FLAKY : ATTEMPT_GATE_TARGET, "%s%s%s%s%s%s%s",
		     run ? "passed, then failed: " : "", many ? "'" : "",
		     many ? f->id : "", many ? "': " : "",
		     f->error_type ? f->error_type : "", f->message ? ": " : "",
		     f->message ? f->message : "");
		return 1;
	}
	if (!res->summary.total) {
		fail(v, ATTEMPT_GATE_TARGET, "'%s' was not collected any more", target->id);
		return 1;
	}
	return 0;
}

static int gate_target(struct validation *v, const char *workdir, const struct failure *target,
		       const struct gate_options *g)
{
	struct strvec paths = STRVEC_INIT;
	int run, err = 0;

	target_paths(&paths, target, g);
	for (run = 0; run <= g->verify_runs; run++) {
		struct test_result res = TEST_RESULT_INIT;

		err = run_pytest(&res, workdir, g, &paths, &v->ran_target);
		if (err == ERR_INTERRUPTED) {
			test_result_release(&res);
			break;
		}
		if (err < 0) {
			fail(v, run ? ATTEMPT_GATE_FLAKY : ATTEMPT_GATE_TARGET,
			     "the test run failed: %s", error_last());
			err = 0;
			test_result_release(&res);
			break;
		}
		if (judge_target(v, &res, target, g, run)) {
			test_result_release(&res);
			break;
		}
		test_result_release(&res);
	}
	strvec_clear(&paths);
	return err;
}

static void note_flaky(struct validation *v, const char *id, const char *why)
{
	log_info("'%s' is flaky (%s): it does not reject the change", id, why);
	strvec_push(&v->flaky, id);
	strvec_push(&v->flaky_why, why);
}

/*
 * Run the tests in `ids` once; those whose verdict is `flaky_if_failed` (1:
 * failed, 0: passed) are noted as flaky for `why`, the others stay in `ids`.
 * A run that cannot be read leaves `ids` as they are.
 */
static int rerun(struct validation *v, struct strvec *ids, const char *workdir,
		 const struct gate_options *g, int flaky_if_failed, const char *why, size_t *ran)
{
	struct test_result res = TEST_RESULT_INIT;
	struct strvec still = STRVEC_INIT;
	size_t i;
	int err = run_pytest(&res, workdir, g, ids, ran);

	if (err == ERR_INTERRUPTED)
		goto done;
	/* every id must have run: one that was not collected never passed */
	if (err < 0 || res.summary.total < ids->nr) {
		log_debug("a rerun of %zu test(s) could not judge them: %s", ids->nr,
			  err < 0 ? error_last() : "not all collected");
		err = 0;
		goto done;
	}
	for (i = 0; i < ids->nr; i++) {
		if ((failed_in(&res, ids->v[i]) != NULL) == flaky_if_failed)
			note_flaky(v, ids->v[i], why);
		else
			strvec_push(&still, ids->v[i]);
	}
	strvec_clear(ids);
	*ids = still;
	strvec_init(&still);
done:
	strvec_clear(&still);
	test_result_release(&res);
	return err;
}

/* the regressions in `ids` that are flaky leave it (see validate.h) */
static int judge_regressions(struct validation *v, struct strvec *ids, const char *workdir,
			     const struct gate_options *g, const struct change *c,
			     struct snapshot *saved, size_t *ran)
{
	int round, err = 0, back;

	for (round = 0; round < VALIDATE_FLAKY_ROUNDS && ids->nr && !err; round++) {
		if ((err = rerun(v, ids, workdir, g, 0, "passed on a rerun", ran)) < 0 || !ids->nr)
			break;
		if ((err = restore_files(saved)) < 0)
			return err;
		err = rerun(v, ids, workdir, g, 1, "fails without the change too", ran);
		if ((back = change_apply(c, workdir, NULL)) < 0)
			return error_prefix(back, "cannot apply the change again");
	}
	return err;
}

/*
 * No test that passed at baseline fails: those in `paths` (the tests that
 * executed a changed line) or, with `paths` NULL, the full suite (then the
 * baseline failures that pass now go into fixed_too).
 */
static int gate_regression(struct validation *v, const char *workdir, const struct gate_options *g,
			   const struct change *c, struct snapshot *saved, const struct strvec *paths)
{
	struct test_result res = TEST_RESULT_INIT;
	struct buf named = BUF_INIT;
	struct strvec regressed = STRVEC_INIT;
	size_t *ran = paths ? &v->ran_covering : &v->ran_full;
	size_t i, regressions = 0;
	int err, hidden = 0;

	err = run_pytest(&res, workdir, g, paths ? paths : g->suite_paths, ran);
	if (err == ERR_INTERRUPTED)
		goto done;
	if (err < 0) {
		fail(v, ATTEMPT_GATE_REGRESSION, "the %s test run failed: %s",
		     paths ? "covering" : "full", error_last());
		err = 0;
		goto done;
	}
	for (i = 0; i < res.nr_failures; i++) {
		const struct failure *f = &res.failures[i];
		if (g->baseline_failures && strvec_find(g->baseline_failures, f->id) >= 0)
			continue;
		if (strvec_find(&v->flaky, f->id) >= 0)
			continue;   /* judged flaky with this change already (the covering tests) */
		strvec_push(&regressed, f->id);
		hidden |= f->error_type && !strcmp(f->error_type, PYTEST_HIDDEN_FAILURE);
	}
	if (regressed.nr && regressed.nr <= VALIDATE_FLAKY_MAX_TESTS && !hidden &&
	    (err = judge_regressions(v, &regressed, workdir, g, c, saved, ran)) < 0)
		goto done;
	for (i = 0; i < regressed.nr; i++)
		if (regressions++ < REGRESSIONS_NAMED)
			buf_addf(&named, "%s%s", named.len ? ", " : "", regressed.v[i]);
	if (regressions) {
		fail(v, ATTEMPT_GATE_REGRESSION, "%zu test%s that passed before now fail%s: %s%s",
		     regressions, regressions == 1 ? "" : "s", regressions == 1 ? "s" : "",
		     named.ptr, regressions > REGRESSIONS_NAMED ? ", ..." : "");
		goto done;
	}
	for (i = 0; !paths && g->baseline_failures && i < g->baseline_failures->nr; i++)
		if (!test_result_find(&res, g->baseline_failures->v[i]))
			strvec_push(&v->fixed_too, g->baseline_failures->v[i]);
done:
	test_result_release(&res);
	strvec_clear(&regressed);
	buf_release(&named);
	return err;
}

/* the lines of `old` that `now` changed, as a range of old's lines (an insertion: its neighbours) */
static void changed_lines(const char *old, size_t olen, const char *now, size_t nlen,
			  int *first, int *last)
{
	size_t head = 0, tail = 0, line = 1, lines = 0, i;

	while (head < olen && head < nlen && old[head] == now[head])
		head++;
	while (tail < olen - head && tail < nlen - head &&
	       old[olen - 1 - tail] == now[nlen - 1 - tail])
		tail++;
	for (i = 0; i < head; i++)
		line += old[i] == '\n';
	for (i = head; i < olen - tail; i++)
		lines += old[i] == '\n';
	*first = (int)line;
	*last = (int)(line + lines);
	if (olen - tail == head && *first > 1)
		(*first)--;   /* only inserted: the line above counts too */
}

/*
 * The tests that executed a line the change touched, but the targets and
 * the baseline's failures (run or judged already).
 */
static void covering_tests(struct strvec *out, const struct validation *v,
			   const struct snapshot *saved, const char *workdir,
			   const struct failure *target, const struct gate_options *g)
{
	struct strvec all = STRVEC_INIT;
	size_t i;

	for (i = 0; i < v->touched.nr; i++) {
		const char *old;
		size_t olen;
		struct buf now = BUF_INIT;
		int first, last;

		saved_content(saved, workdir, v->touched.v[i], &old, &olen);
		if (read_after(&now, workdir, v->touched.v[i]) == 0) {
			changed_lines(old, olen, now.ptr, now.len, &first, &last);
			coverage_tests_covering(&all, g->coverage, v->touched.v[i], first, last);
		}
		buf_release(&now);
	}
	for (i = 0; i < all.nr; i++) {
		const char *id = all.v[i];
		if (!strcmp(id, target->id) || (g->targets && strvec_find(g->targets, id) >= 0) ||
		    (g->baseline_failures && strvec_find(g->baseline_failures, id) >= 0) ||
		    strvec_find(out, id) >= 0)
			continue;
		strvec_push(out, id);
	}
	strvec_clear(&all);
}

int validate_candidate(struct validation *out, const struct change *c, const char *workdir,
		       const struct failure *target, const struct gate_options *g)
{
	struct snapshot saved = { NULL, 0, 0 };
	struct gate_options fresh;

	double started = clock_monotonic();
	int err = 0, restore_err;

	out->passed = 0;
	out->gate = ATTEMPT_GATE_NONE;
	if (save_files(&saved, c, workdir) < 0) {
		fail(out, ATTEMPT_GATE_APPLY, "%s", error_last());
		goto done;
	}
	if (change_apply(c, workdir, &out->touched) < 0) {
		fail(out, ATTEMPT_GATE_APPLY, "%s", error_last());
		goto done;
	}
	if (gate_secret(out, c, workdir))
		goto restore;
	if (g->worker && !worker_can_judge(&saved, out, workdir)) {
		fresh = *g;
		fresh.worker = NULL;
		g = &fresh;
	}
	if (g->diff && g->diff(&out->diff, workdir, &out->touched, g->diff_payload) < 0)
		log_debug("cannot show the change as a diff: %s", error_last());
	if (gate_syntax(out, workdir) ||
	    (!g->allow_config_edits && gate_config(out, &saved, workdir)) ||
	    gate_weakening(out, &saved, workdir, g->allow_test_edits))
		goto restore;
	if ((err = gate_target(out, workdir, target, g)) < 0 || out->gate)
		goto restore;
	if (!g->skip_regression && g->coverage) {
		struct strvec covering = STRVEC_INIT;
		covering_tests(&covering, out, &saved, workdir, target, g);
		if (covering.nr)
			err = gate_regression(out, workdir, g, c, &saved, &covering);
		strvec_clear(&covering);
		if (err < 0 || out->gate)
			goto restore;
		out->needs_full = 1;
	} else if (!g->skip_regression &&
		   ((err = gate_regression(out, workdir, g, c, &saved, NULL)) < 0 || out->gate)) {
		goto restore;
	}
	out->passed = 1;
restore:
	restore_err = restore_files(&saved);
	if (restore_err < 0 && !err)
		err = error_prefix(restore_err, "cannot restore '%s'", workdir);
done:
	saved_release(&saved);
	out->seconds = clock_monotonic() - started;
	return err;
}

/* two messages alike but for the memory addresses they show ("at 0x7f...") */
static int same_message(const char *a, const char *b)
{
	while (*a && *b) {
		if (a[0] == '0' && a[1] == 'x' && isxdigit((unsigned char)a[2]) &&
		    b[0] == '0' && b[1] == 'x' && isxdigit((unsigned char)b[2])) {
			for (a += 2; isxdigit((unsigned char)*a); a++)
				;
			for (b += 2; isxdigit((unsigned char)*b); b++)
				;
			continue;
		}
		if (*a++ != *b++)
			return 0;
	}
	return *a == *b;
}

/* both runs failed the same tests the same way (error type and message) */
static int same_failures(const struct test_result *a, const struct test_result *b)
{
	size_t i;

	if (a->nr_failures != b->nr_failures || a->summary.total != b->summary.total)
		return 0;
	for (i = 0; i < a->nr_failures; i++) {
		const struct failure *x = &a->failures[i];
		const struct failure *y = failed_in(b, x->id);
		if (!y || strcmp(x->error_type ?: "", y->error_type ?: "") ||
		    !same_message(x->message ?: "", y->message ?: ""))
			return 0;
	}
	return 1;
}

/* one candidate made ready for the screen: 1 when its text is in `variant` (the file it
 * replaces in `path`), 0 when the screen cannot take it, 2 when a gate decided it;
 * negative: the work directory could not be restored */
static int screen_prepare(struct validation *v, struct buf *path, const char *variant,
			  const struct change *c, const char *workdir, const struct gate_options *g)
{
	struct snapshot saved = { NULL, 0, 0 };
	struct buf text = BUF_INIT;
	int got = 0, restore_err;

	v->passed = 0;
	v->gate = ATTEMPT_GATE_NONE;
	if (save_files(&saved, c, workdir) < 0) {
		fail(v, ATTEMPT_GATE_APPLY, "%s", error_last());
		saved_release(&saved);
		return 2;
	}
	if (change_apply(c, workdir, &v->touched) < 0) {
		fail(v, ATTEMPT_GATE_APPLY, "%s", error_last());
		got = 2;
		goto restore;
	}
	if (gate_secret(v, c, workdir)) {
		got = 2;
		goto restore;
	}
	if (g->diff && g->diff(&v->diff, workdir, &v->touched, g->diff_payload) < 0)
		log_debug("cannot show the change as a diff: %s", error_last());
	if (gate_syntax(v, workdir) ||
	    (!g->allow_config_edits && gate_config(v, &saved, workdir)) ||
	    gate_weakening(v, &saved, workdir, g->allow_test_edits)) {
		got = 2;
		goto restore;
	}
	if (v->touched.nr != 1 || !worker_can_judge(&saved, v, workdir))
		goto restore;
	buf_reset(path);
	buf_addf(path, "%s/%s", workdir, v->touched.v[0]);
	if (fs_read_file(&text, path->ptr, VALIDATE_FILE_CAP) < 0 ||
	    fs_write_atomic(variant, text.ptr, text.len, 0600) < 0) {
		log_debug("cannot screen a candidate: %s", error_last());
		error_clear();
		goto restore;
	}
	got = 1;
restore:
	restore_err = restore_files(&saved);
	saved_release(&saved);
	buf_release(&text);
	if (restore_err < 0)
		return error_prefix(ERR_GENERIC, "cannot restore '%s'", workdir);
	return got;
}

int validate_screen(struct validation *const *vals, int *decided,
		    const struct change *const *changes, size_t n, const char *workdir,
		    const struct failure *target, const struct gate_options *g)
{
	struct pytest_screen_run *runs = xcalloc(n + 2, sizeof(*runs));
	size_t *run_of = xcalloc(n, sizeof(*run_of));
	struct pytest_options po = PYTEST_OPTIONS_INIT;
	struct strvec paths = STRVEC_INIT, sources = STRVEC_INIT, files = STRVEC_INIT;
	struct buf dir = BUF_INIT, variant = BUF_INIT, path = BUF_INIT;
	size_t i, m = 1;
	int err = 0, believed;
	double started = clock_monotonic(), t0;

	buf_addf(&dir, "%s.screen", workdir);
	if (g->worker && fs_mkdir_p(dir.ptr, 0700) < 0) {
		log_debug("no screen: %s", error_last());
		error_clear();
	}
	for (i = 0; i < n; i++) {
		int got = 0;
		decided[i] = 0;
		buf_reset(&variant);
		buf_addf(&variant, "%s/candidate-%zu.py", dir.ptr, i);
		got = screen_prepare(vals[i], &path, variant.ptr, changes[i], workdir, g);
		if (got < 0) {
			err = got;   /* the work directory could not be restored */
			break;
		}
		if (got == 2) {
			decided[i] = 1;
		} else if (got > 0 && g->worker) {
			strvec_push(&files, path.ptr);
			strvec_push(&sources, variant.ptr);
			run_of[i] = m++;
		}
	}
	if (err < 0 || m == 1)
		goto done;
	/* the files as they are, first and last: the runs must agree for the screen to count */
	for (i = 0; i < m - 1; i++) {
		runs[i + 1].path = files.v[i];
		runs[i + 1].source = sources.v[i];
	}
	target_paths(&paths, target, g);
	po.root = workdir;
	po.venv_root = g->venv_root;
	po.command = g->pytest_cmd;
	po.paths = &paths;
	po.extra_args = g->extra_args;
	po.test_timeout = g->test_timeout;
	po.every_test = 1;
	po.worker = g->worker;
	t0 = clock_monotonic();
	if ((err = pytest_worker_screen(runs, m + 1, &po)) < 0)
		goto done;
	log_debug("screened %zu candidates in %.0f ms (prepared in %.0f ms)", m - 1,
		  (clock_monotonic() - t0) * 1000, (t0 - started) * 1000);
	believed = runs[0].done && runs[m].done && runs[0].res.nr_failures &&
		   same_failures(&runs[0].res, &runs[m].res);
	if (!believed && runs[0].done && runs[m].done)
		log_info("the target's tests fail differently when run again in one process: "
			 "each candidate is judged in a process of its own");
	else if (!believed)
		log_debug("a screen ended early (runs done: first %d, last %d): its candidates are "
			  "judged in processes of their own", runs[0].done, runs[m].done);
	for (i = 0; believed && i < n; i++) {
		struct pytest_screen_run *r = &runs[run_of[i]];
		if (decided[i] || !run_of[i] || !r->done)
			continue;
		vals[i]->ran_target += r->res.summary.total;
		if (judge_target(vals[i], &r->res, target, g, 0))
			decided[i] = 1;
		else
			log_debug("screen: candidate %zu passed its target there (%zu tests, %zu failed)",
				  i, r->res.summary.total, r->res.nr_failures);
	}
done:
	/* what is not decided goes through validate_candidate() from the start */
	for (i = 0; i < n; i++) {
		if (decided[i])
			continue;
		validation_release(vals[i]);
		validation_init(vals[i]);
	}
	for (i = 0; i < m + 1 && m > 1; i++)
		test_result_release(&runs[i].res);
	for (i = 0; i < sources.nr; i++)
		unlink(sources.v[i]);
	free(runs);
	free(run_of);
	strvec_clear(&paths);
	strvec_clear(&sources);
	strvec_clear(&files);
	buf_release(&dir);
	buf_release(&variant);
	buf_release(&path);
	return err;
}

int validate_full(struct validation *out, const struct change *c, const char *workdir,
		  const struct gate_options *g)
{
	struct snapshot saved = { NULL, 0, 0 };
	struct gate_options fresh;
	double started = clock_monotonic();
	int err = 0, restore_err;

	out->needs_full = 0;
	if (save_files(&saved, c, workdir) < 0 || change_apply(c, workdir, NULL) < 0) {
		out->passed = 0;
		fail(out, ATTEMPT_GATE_APPLY, "%s", error_last());
		goto done;
	}
	if (g->worker && !worker_can_judge(&saved, out, workdir)) {
		fresh = *g;
		fresh.worker = NULL;
		g = &fresh;
	}
	err = gate_regression(out, workdir, g, c, &saved, NULL);
	if (out->gate)
		out->passed = 0;
	restore_err = restore_files(&saved);
	if (restore_err < 0 && !err)
		err = error_prefix(restore_err, "cannot restore '%s'", workdir);
done:
	saved_release(&saved);
	out->seconds += clock_monotonic() - started;
	return err;
}

int snapshot_take(struct snapshot **out, const struct change *c, const char *dir)
{
	struct snapshot *snap = xcalloc(1, sizeof(*snap));
	int err = save_files(snap, c, dir);
	if (err < 0) {
		snapshot_free(snap);
		*out = NULL;
		return err;
	}
	*out = snap;
	return 0;
}

int snapshot_restore(struct snapshot *snap)
{
	return restore_files(snap);
}

void snapshot_free(struct snapshot *snap)
{
	if (!snap)
		return;
	saved_release(snap);
	free(snap);
}
