#include "fix/validate.h"

#include "fix/guard.h"
#include "pyast/pyast.h"
#include "runner/pytest.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/xalloc.h"

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
}

void validation_release(struct validation *v)
{
	buf_release(&v->reason);
	buf_release(&v->diff);
	strvec_clear(&v->touched);
	strvec_clear(&v->fixed_too);
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
	size_t i;
	for (i = 0; i < s->nr; i++) {
		free(s->files[i].path);
		free(s->files[i].content);
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

static int fail(struct validation *v, const char *gate, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct validation *v, const char *gate, const char *fmt, ...)
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

static int gate_syntax(struct validation *v, const char *workdir)
{
	size_t i;
	for (i = 0; i < v->touched.nr; i++) {
		struct buf path = BUF_INIT, src = BUF_INIT, why = BUF_INIT;
		struct pyast *ast = NULL;
		int ok = 1;

		if (!ends_with(v->touched.v[i], ".py"))
			continue;
		buf_addf(&path, "%s/%s", workdir, v->touched.v[i]);
		if (fs_read_file(&src, path.ptr, VALIDATE_FILE_CAP) < 0 ||
		    pyast_parse(&ast, src.ptr, src.len) < 0) {
			ok = 0;
			buf_adds(&why, error_last());
		} else if (!pyast_syntax_ok(ast, &why)) {
			ok = 0;
		}
		if (!ok)
			fail(v, "syntax", "'%s' no longer parses: %s", v->touched.v[i], why.ptr);
		pyast_free(ast);
		buf_release(&path);
		buf_release(&src);
		buf_release(&why);
		if (!ok)
			return 1;
	}
	return 0;
}

static int gate_weakening(struct validation *v, const struct snapshot *saved, const char *workdir,
			  int allow)
{
	size_t i;
	for (i = 0; i < v->touched.nr; i++) {
		const char *rel = v->touched.v[i];
		const struct saved_file *before;
		struct buf path = BUF_INIT, after = BUF_INIT, why = BUF_INIT;
		int weak = 0;

		if (!guard_is_test_file(rel))
			continue;
		if (!allow) {
			fail(v, "weakening", "the change edits the test file '%s' "
			     "(test files are left alone unless --allow-test-edits)", rel);
			return 1;
		}
		before = saved_find(saved, workdir, rel);
		buf_addf(&path, "%s/%s", workdir, rel);
		if (fs_read_file(&after, path.ptr, VALIDATE_FILE_CAP) == 0)
			weak = guard_test_weakening(&why, rel, before && before->content ? before->content : "",
						    before ? before->len : 0, after.ptr, after.len);
		if (weak)
			fail(v, "weakening", "%s", why.ptr);
		buf_release(&path);
		buf_release(&after);
		buf_release(&why);
		if (weak)
			return 1;
	}
	return 0;
}

static int run_pytest(struct test_result *res, const char *workdir, const struct gate_options *g,
		      const struct strvec *paths)
{
	struct pytest_options po = PYTEST_OPTIONS_INIT;
	po.root = workdir;
	po.venv_root = g->venv_root;
	po.command = g->pytest_cmd;
	po.paths = paths;
	po.test_timeout = g->test_timeout;
	po.every_test = 1;
	return pytest_run(res, &po);
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

static int gate_target(struct validation *v, const char *workdir, const struct failure *target,
		       const struct gate_options *g)
{
	struct strvec paths = STRVEC_INIT;
	int run, err = 0;

	for (run = 0; g->run_before && run < (int)g->run_before->nr; run++)
		strvec_push(&paths, g->run_before->v[run]);
	strvec_push(&paths, validate_target_id(target));
	for (run = 0; run <= g->verify_runs; run++) {
		struct test_result res = TEST_RESULT_INIT;
		const struct failure *f;

		err = run_pytest(&res, workdir, g, &paths);
		if (err == ERR_INTERRUPTED) {
			test_result_release(&res);
			break;
		}
		if (err < 0) {
			fail(v, run ? "flaky" : "target", "the test run failed: %s", error_last());
			err = 0;
			test_result_release(&res);
			break;
		}
		if ((f = failed_in(&res, target->id))) {
			fail(v, run ? "flaky" : "target", "%s%s%s%s", run ? "passed, then failed: " : "",
			     f->error_type ? f->error_type : "", f->message ? ": " : "",
			     f->message ? f->message : "");
			test_result_release(&res);
			break;
		}
		if (!res.summary.total) {
			fail(v, "target", "'%s' was not collected any more", target->id);
			test_result_release(&res);
			break;
		}
		test_result_release(&res);
	}
	strvec_clear(&paths);
	return err;
}

static int gate_regression(struct validation *v, const char *workdir, const struct gate_options *g)
{
	struct test_result res = TEST_RESULT_INIT;
	struct buf named = BUF_INIT;
	size_t i, regressions = 0;
	int err;

	err = run_pytest(&res, workdir, g, g->suite_paths);
	if (err == ERR_INTERRUPTED)
		goto done;
	if (err < 0) {
		fail(v, "regression", "the full test run failed: %s", error_last());
		err = 0;
		goto done;
	}
	for (i = 0; i < res.nr_failures; i++) {
		const char *id = res.failures[i].id;
		if (g->baseline_failures && strvec_find(g->baseline_failures, id) >= 0)
			continue;
		if (regressions++ < REGRESSIONS_NAMED)
			buf_addf(&named, "%s%s", named.len ? ", " : "", id);
	}
	if (regressions) {
		fail(v, "regression", "%zu test%s that passed before now fail%s: %s%s", regressions,
		     regressions == 1 ? "" : "s", regressions == 1 ? "s" : "", named.ptr,
		     regressions > REGRESSIONS_NAMED ? ", ..." : "");
		goto done;
	}
	for (i = 0; g->baseline_failures && i < g->baseline_failures->nr; i++)
		if (!test_result_find(&res, g->baseline_failures->v[i]))
			strvec_push(&v->fixed_too, g->baseline_failures->v[i]);
done:
	test_result_release(&res);
	buf_release(&named);
	return err;
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int validate_candidate(struct validation *out, const struct change *c, const char *workdir,
		       const struct failure *target, const struct gate_options *g)
{
	struct snapshot saved = { NULL, 0, 0 };

	double started = now_seconds();
	int err = 0, restore_err;

	out->passed = 0;
	out->gate = NULL;
	if (save_files(&saved, c, workdir) < 0) {
		fail(out, "apply", "%s", error_last());
		goto done;
	}
	if (change_apply(c, workdir, &out->touched) < 0) {
		fail(out, "apply", "%s", error_last());
		goto done;
	}
	if (g->diff && g->diff(&out->diff, workdir, &out->touched, g->diff_payload) < 0)
		log_debug("cannot show the change as a diff: %s", error_last());
	if (gate_syntax(out, workdir) || gate_weakening(out, &saved, workdir, g->allow_test_edits))
		goto restore;
	if ((err = gate_target(out, workdir, target, g)) < 0 || out->gate)
		goto restore;
	if (!g->skip_regression && ((err = gate_regression(out, workdir, g)) < 0 || out->gate))
		goto restore;
	out->passed = 1;
restore:
	restore_err = restore_files(&saved);
	if (restore_err < 0 && !err)
		err = error_prefix(restore_err, "cannot restore '%s'", workdir);
done:
	saved_release(&saved);
	out->seconds = now_seconds() - started;
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
