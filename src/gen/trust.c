#define _GNU_SOURCE /* memmem */
#include "gen/trust.h"

#include "pyast/pyast.h"
#include "runner/pytest.h"
#include "runner/worker.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* a test's failure message in a reason, at most */
#define REASON_MESSAGE_MAX 200

struct timing {
	const struct strvec *ids;
	const char *prefix;      /* "file::" */
	double *started;         /* per id */
	double *took;            /* per id: the longest run seen */
	struct strvec *others;   /* failures of the file's other tests, or NULL */
};

static long id_index(const struct timing *t, const char *node)
{
	size_t n = strlen(t->prefix), i;

	if (strncmp(node, t->prefix, n))
		return -1;
	for (i = 0; i < t->ids->nr; i++)
		if (!strcmp(t->ids->v[i], node + n))
			return (long)i;
	return -1;
}

static int on_record(void *payload, json_t *rec, const char *ev)
{
	struct timing *t = payload;
	const char *id = json_string_value(json_object_get(rec, "id"));
	long k;

	if (ev && !strcmp(ev, "iteration"))
		return 1;   /* the alone runs' iterations: each test's records are what count */
	if (!id || !ev || (k = id_index(t, id)) < 0)
		return 0;
	if (!strcmp(ev, "start"))
		t->started[k] = clock_monotonic();
	else if (!strcmp(ev, "end") && t->started[k] > 0) {
		double d = clock_monotonic() - t->started[k];
		if (d > t->took[k])
			t->took[k] = d;
	}
	return 0;
}

static void set_reason(struct strvec *reasons, size_t k, const char *why)
{
	if (*reasons->v[k])
		return;   /* the first reason stands */
	free((char *)reasons->v[k]);
	reasons->v[k] = xstrdup(why);
}

static void failure_text(struct buf *out, const struct failure *f)
{
	const char *m = f->message ? f->message : "";
	size_t n = strcspn(m, "\n");

	buf_addf(out, "%s", f->error_type ? f->error_type : "failed");
	if (n) {
		buf_adds(out, ": ");
		buf_add_printable(out, m, n > REASON_MESSAGE_MAX ? REASON_MESSAGE_MAX : n);
	}
}

/* the reasons of the failures of `res` (`what`: "in its first run", ...) */
static void judge(struct strvec *reasons, const struct timing *t, const struct test_result *res,
		  const char *what)
{
	size_t i;

	for (i = 0; i < res->nr_failures; i++) {
		const struct failure *f = &res->failures[i];
		struct buf why = BUF_INIT;
		long k = id_index(t, f->id);
		if (k < 0 && f->kind != FAILURE_KIND_COLLECTION && !strncmp(f->id, t->prefix, strlen(t->prefix))) {
			/* a test of the file not judged here (kept from an earlier run) */
			if (t->others) {
				buf_addf(&why, "%s failed %s: ", f->id, what);
				failure_text(&why, f);
				strvec_push(t->others, why.ptr);
				buf_release(&why);
			}
			continue;
		}
		if (f->kind == FAILURE_KIND_COLLECTION || k < 0) {
			/* the file as a whole: every test */
			size_t j;
			buf_addf(&why, "the file fails %s: ", what);
			failure_text(&why, f);
			for (j = 0; j < t->ids->nr; j++)
				set_reason(reasons, j, why.ptr);
		} else {
			buf_addf(&why, "failed %s: ", what);
			failure_text(&why, f);
			set_reason(reasons, (size_t)k, why.ptr);
		}
		buf_release(&why);
	}
}

/* the runner's options for a gate run of `paths` */
static void gate_options(struct pytest_options *po, const struct gen_trust_options *o,
			 const struct strvec *paths, double timeout)
{
	po->root = o->root;
	po->venv_root = o->venv_root;
	po->command = o->pytest_cmd;
	po->choice = o->choice;
	po->paths = paths;
	po->test_timeout = timeout;
	po->every_test = 1;
}

static int run_file(struct test_result *res, const struct gen_trust_options *o, struct timing *t,
		    const struct strvec *extra, double timeout, const char *coverage_file)
{
	struct pytest_options po = PYTEST_OPTIONS_INIT;
	struct strvec paths = STRVEC_INIT;
	int err;

	strvec_push(&paths, o->file);
	gate_options(&po, o, &paths, timeout);
	po.extra_args = extra;
	po.on_record = on_record;
	po.payload = t;
	po.coverage_file = coverage_file;
	test_result_init(res);
	err = pytest_run(res, &po);
	strvec_clear(&paths);
	return err;
}

/* each test alone, o->runs times in a row, in one child of a warm worker each */
static int run_alone(struct strvec *reasons, const struct gen_trust_options *o, struct timing *t,
		     double timeout)
{
	struct pytest_worker_options wo = { 0 };
	struct pytest_worker *w = NULL;
	struct strvec paths = STRVEC_INIT;
	struct pytest_screen_run *runs = xcalloc((size_t)o->runs, sizeof(*runs));
	size_t i;
	int err = 0, r;

	strvec_push(&paths, o->file);
	wo.root = o->root;
	wo.venv_root = o->venv_root;
	wo.command = o->pytest_cmd;
	wo.choice = o->choice;
	wo.paths = &paths;
	wo.test_timeout = timeout;
	if ((err = pytest_worker_start(&w, &wo)) < 0) {
		if (err == ERR_INTERRUPTED)
			goto done;
		log_debug("trust: no warm worker for the alone runs (%s): fresh processes", error_last());
		error_clear();
		err = 0;
	}
	for (i = 0; i < o->ids->nr && !err; i++) {
		struct pytest_options po = PYTEST_OPTIONS_INIT;
		struct strvec one = STRVEC_INIT, extra = STRVEC_INIT;
		int done_all = 1;

		if (*reasons->v[i])
			continue;   /* already out */
		strvec_pushf(&one, "%s::%s", o->file, o->ids->v[i]);
		gate_options(&po, o, &one, timeout);
		po.worker = w;
		if (w) {
			err = pytest_worker_screen(runs, (size_t)o->runs, &po);
			for (r = 0; r < o->runs; r++) {
				struct buf what = BUF_INIT;
				if (!runs[r].done) {
					done_all = 0;
				} else {
					buf_addf(&what, "alone in run %d of %d", r + 1, o->runs);
					judge(reasons, t, &runs[r].res, what.ptr);
				}
				test_result_release(&runs[r].res);
				buf_release(&what);
			}
		} else
			done_all = 0;
		if (!err && !done_all && !*reasons->v[i]) {
			/* what the worker could not do: a fresh process, the runs in one session */
			struct test_result res = TEST_RESULT_INIT;
			struct buf what = BUF_INIT;
			strvec_pushf(&extra, "--pytest-fixer-iterations=%d", o->runs);
			po.worker = NULL;
			po.extra_args = &extra;
			po.on_record = on_record;
			po.payload = t;
			if (!(err = pytest_run(&res, &po))) {
				buf_addf(&what, "alone in one of %d runs", o->runs);
				judge(reasons, t, &res, what.ptr);
			}
			test_result_release(&res);
			buf_release(&what);
		}
		strvec_clear(&one);
		strvec_clear(&extra);
	}
done:
	pytest_worker_stop(w);
	free(runs);
	strvec_clear(&paths);
	return err;
}

int gen_trust_run(struct strvec *reasons, const struct gen_trust_options *o)
{
	struct timing t;
	struct test_result res = TEST_RESULT_INIT;
	struct buf prefix = BUF_INIT;
	double *limit = NULL, longest = 0;
	size_t i, n = o->ids->nr;
	int err = 0, r;

	for (i = 0; i < n; i++)
		strvec_push(reasons, "");
	if (!n)
		return 0;
	buf_addf(&prefix, "%s::", o->file);
	t.ids = o->ids;
	t.prefix = prefix.ptr;
	t.started = xcalloc(n, sizeof(double));
	t.took = xcalloc(n, sizeof(double));
	t.others = o->others;
	limit = xcalloc(n, sizeof(double));

	/* the first run: the file as written, in order; it sets each test's limit */
	if ((err = run_file(&res, o, &t, NULL, PYTEST_DEFAULT_TEST_TIMEOUT, o->coverage_file)) < 0)
		goto done;
	judge(reasons, &t, &res, "in its first run");
	test_result_release(&res);
	for (i = 0; i < n; i++) {
		limit[i] = t.took[i] * GEN_TRUST_LIMIT_FACTOR;
		if (limit[i] < GEN_TRUST_LIMIT_FLOOR)
			limit[i] = GEN_TRUST_LIMIT_FLOOR;
		if (limit[i] > longest)
			longest = limit[i];
		t.took[i] = 0;
	}
	/* the tests judged came last in the file: once first */
	if (o->others) {
		struct strvec extra = STRVEC_INIT;
		strvec_push(&extra, "--pytest-fixer-reverse");
		if (!(err = run_file(&res, o, &t, &extra, longest, NULL)))
			judge(reasons, &t, &res, "in a run in reverse order");
		test_result_release(&res);
		strvec_clear(&extra);
	}
	/* shuffled within the file */
	for (r = 1; r < o->runs && !err; r++) {
		struct strvec extra = STRVEC_INIT;
		struct buf what = BUF_INIT;
		strvec_pushf(&extra, "--pytest-fixer-seed=%lu", o->seed + (unsigned long)r);
		if (!(err = run_file(&res, o, &t, &extra, longest, NULL))) {
			buf_addf(&what, "in shuffled run %d of %d (order seed %lu)", r + 1, o->runs,
				 o->seed + (unsigned long)r);
			judge(reasons, &t, &res, what.ptr);
		}
		test_result_release(&res);
		strvec_clear(&extra);
		buf_release(&what);
	}
	if (!err)
		err = run_alone(reasons, o, &t, longest);
	for (i = 0; i < n && !err; i++)
		if (t.took[i] > limit[i]) {
			struct buf why = BUF_INIT;
			buf_addf(&why, "took %.2f s in a later run, over its limit of %.2f s (%.0f times its first run)",
				 t.took[i], limit[i], GEN_TRUST_LIMIT_FACTOR);
			set_reason(reasons, i, why.ptr);
			buf_release(&why);
		}
done:
	free(t.started);
	free(t.took);
	free(limit);
	buf_release(&prefix);
	return err;
}

/* ---- the static gate ------------------------------------------------------ */

/* 1 if the node is a constant whose truth never changes */
static int is_constant(const struct pyast_node *n)
{
	return pyast_is(n, "true") || pyast_is(n, "false") || pyast_is(n, "none") ||
	       pyast_is(n, "integer") || pyast_is(n, "float") || pyast_is(n, "string");
}

static int same_text(const struct pyast *ast, const struct pyast_node *a, const struct pyast_node *b)
{
	size_t la, lb;
	const char *sa = pyast_text(ast, a, &la), *sb = pyast_text(ast, b, &lb);
	return la == lb && !memcmp(sa, sb, la);
}

/* why an assert statement cannot fail, or NULL when it can */
static const char *trivial_assert(const struct pyast *ast, const struct pyast_node *st)
{
	const struct pyast_node *e = pyast_named_child(st, 0);

	if (!e)
		return "an empty assertion";
	if (pyast_is(e, "parenthesized_expression") && pyast_named_child(e, 0))
		e = pyast_named_child(e, 0);
	if (pyast_is(e, "true") || (is_constant(e) && !pyast_is(e, "false") && !pyast_is(e, "none") &&
				     !pyast_text_is(ast, e, "0") && !pyast_text_is(ast, e, "''") &&
				     !pyast_text_is(ast, e, "\"\"")))
		return "asserts a constant";
	if (pyast_is(e, "comparison_operator") && pyast_named_count(e) == 2) {
		const struct pyast_node *l = pyast_named_child(e, 0), *r = pyast_named_child(e, 1);
		if (l && r && is_constant(l) && is_constant(r))
			return "compares two constants";
		if (l && r && same_text(ast, l, r))
			return "compares a value with itself";
	}
	if (pyast_is(e, "call")) {
		const struct pyast_node *f = pyast_field(e, "function");
		if (f && pyast_text_is(ast, f, "isinstance")) {
			const struct pyast_node *args = pyast_field(e, "arguments");
			const struct pyast_node *cls = args ? pyast_named_child(args, 1) : NULL;
			if (cls && pyast_text_is(ast, cls, "object"))
				return "asserts that something is an object";
		}
	}
	return NULL;
}

void gen_trust_assertions(struct strvec *names, struct strvec *reasons, const char *text, size_t len)
{
	struct pyast *ast = NULL;
	const struct pyast_node *def;

	if (pyast_parse(&ast, text, len) < 0)
		return;
	for (def = NULL; (def = pyast_next(ast, def, "function_definition", 0, 0));) {
		const struct pyast_node *name = pyast_field(def, "name"), *n;
		const char *why = "no assertion";
		int can_fail = 0;
		char *nm;
		size_t l;
		const char *s;

		if (!name)
			continue;
		s = pyast_text(ast, name, &l);
		if (l < 5 || memcmp(s, "test_", 5) || pyast_enclosing_def(def))
			continue;
		for (n = def; (n = pyast_next(ast, n, NULL, def->start_line, def->end_line)) &&
			      pyast_within(n, def) && !can_fail;) {
			if (pyast_is(n, "assert_statement")) {
				const char *t = trivial_assert(ast, n);
				if (!t)
					can_fail = 1;
				else
					why = t;
			} else if (pyast_is(n, "with_statement")) {
				size_t wl;
				const char *ws = pyast_text(ast, n, &wl);
				/* pytest.raises / pytest.warns with a body that does something */
				if ((memmem(ws, wl, "pytest.raises(", 14) || memmem(ws, wl, "raises(", 7) ||
				     memmem(ws, wl, "pytest.warns(", 13)) && !memmem(ws, wl, "pass\n", 5))
					can_fail = 1;
			} else if (pyast_is(n, "call")) {
				const struct pyast_node *f = pyast_field(n, "function");
				if (f && (pyast_text_is(ast, f, "pytest.fail") ||
					  pyast_text_is(ast, f, "self.assertEqual")))
					can_fail = 1;
			}
		}
		if (can_fail)
			continue;
		nm = xstrndup(s, l);
		strvec_push(names, nm);
		strvec_push(reasons, why);
		free(nm);
	}
	pyast_free(ast);
}
