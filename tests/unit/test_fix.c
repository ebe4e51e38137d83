/*
 * The fix loop (src/fix/fix.c) on a real project with real pytest:
 * engines come from the registry (a test engine row drives it), the hooks
 * see the loop's events in order and decide on each verified fix, and the
 * typed result says what the store says.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine/engine.h"
#include "fix/fix.h"
#include "project/project.h"
#include "report/report.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/xalloc.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PYTEST_CMD "/usr/bin/python3 -m pytest"
#define TARGET "tests/test_lib.py::test_double_three"

static const char lib_py[] =
	"def double(x):\n"
	"    return x + 2\n";

static const char test_py[] =
	"import lib\n"
	"\n"
	"\n"
	"def test_double_three():\n"
	"    assert lib.double(3) == 6\n"
	"\n"
	"\n"
	"def test_double_two():\n"
	"    assert lib.double(2) == 4\n";

/* ---- the test engines: what they proposed and were asked --------------------------- */

struct seen {
	int calls;
	double temperature[4];
	char *feedback[4];
	char *previous[4];
	int ordered;            /* a template order was given */
};
static struct seen seen;

static void seen_reset(void)
{
	int i;
	for (i = 0; i < 4; i++) {
		free(seen.feedback[i]);
		free(seen.previous[i]);
	}
	memset(&seen, 0, sizeof(seen));
}

static void add_update(struct candidate_list *out, const char *name, const char *new_line)
{
	struct candidate *c = candidate_list_add(out);
	struct file_edit *e = change_add(&c->change, EDIT_UPDATE, "lib.py");
	e->old_str = xstrdup("    return x + 2\n");
	e->new_str = xstrdup(new_line);
	c->template_name = xstrdup(name);
	c->size = strlen(new_line);
	c->score = 1.0;
}

static void note(const struct engine_request *req)
{
	if (seen.calls < 4) {
		seen.temperature[seen.calls] = req->temperature;
		seen.feedback[seen.calls] = xstrdup_or_null(req->feedback);
		seen.previous[seen.calls] = xstrdup_or_null(req->previous_change);
	}
	seen.ordered |= req->template_order != NULL;
	seen.calls++;
}

/* all at once: a wrong change first, then the right one */
static int script_propose(struct candidate_list *out, const struct engine_request *req)
{
	note(req);
	add_update(out, "wrong", "    return x + 1\n");
	add_update(out, "right", "    return x * 2\n");
	return 0;
}

/* one per call, as a model: wrong, then right */
static int asker_propose(struct candidate_list *out, const struct engine_request *req)
{
	note(req);
	if (seen.calls == 1)
		add_update(out, "asker", "    return x + 1\n");
	else
		add_update(out, "asker", "    return x * 2\n");
	return 0;
}

static const struct engine_ops script_engine = {
	.name = "script",
	.propose = script_propose,
};
static const struct engine_ops asker_engine = {
	.name = "asker",
	.propose = asker_propose,
	.asks_model = 1,
};

/* ---- the hooks: what they saw, and the answer they give ----------------------------- */

struct watch {
	struct strvec events;   /* "failure 1/1 ID", "candidate 2/2", "done" */
	struct strvec reviews;  /* "ID template" */
	enum fix_answer answer;
};

static void on_event(const struct fix_event *ev, void *payload)
{
	struct watch *w = payload;
	struct buf line = BUF_INIT;

	if (ev->kind == FIX_EVENT_FAILURE)
		buf_addf(&line, "failure %zu/%zu %s", ev->position + 1, ev->count, ev->id);
	else if (ev->kind == FIX_EVENT_CANDIDATE)
		buf_addf(&line, "candidate %zu/%zu", ev->candidate, ev->nr_candidates);
	else
		buf_adds(&line, "done");
	assert_true(ev->elapsed >= 0);
	strvec_push(&w->events, line.ptr);
	buf_release(&line);
}

static enum fix_answer confirm(const struct fix_review *r, void *payload)
{
	struct watch *w = payload;
	struct buf line = BUF_INIT;

	buf_addf(&line, "%s %s", r->id, r->template_name ? r->template_name : "-");
	strvec_push(&w->reviews, line.ptr);
	buf_release(&line);
	return w->answer;
}

static void watch_init(struct watch *w, struct fix_hooks *h, enum fix_answer answer)
{
	*w = (struct watch){ .answer = answer };
	strvec_init(&w->events);
	strvec_init(&w->reviews);
	*h = (struct fix_hooks){ .on_event = on_event, .confirm = confirm, .payload = w };
}

static void watch_release(struct watch *w)
{
	strvec_clear(&w->events);
	strvec_clear(&w->reviews);
}

/* ---- the project -------------------------------------------------------------------- */

struct sandbox {
	struct buf dir;
	char *cwd;
};
static struct project *proj;   /* the sandbox's, opened by setup() */

/* the user's lib.py (the tests run in the project) holds `text` */
static void assert_lib(const char *text)
{
	struct buf got = BUF_INIT;
	assert_int_equal(fs_read_file(&got, "lib.py", 0), 0);
	assert_string_equal(got.ptr, text);
	buf_release(&got);
}

static int setup(void **state)
{
	const struct { const char *path, *text; } files[] = {
		{ "pytest.ini", "[pytest]\n" },
		{ "lib.py", lib_py },
		{ "tests/test_lib.py", test_py },
		{ "cassette.jsonl", "{}\n" },
	};
	struct sandbox *p = calloc(1, sizeof(*p));
	struct buf path = BUF_INIT;
	size_t i;

	buf_init(&p->dir, 0);
	assert_int_equal(fs_mkdtemp(&p->dir, "pf-fix"), 0);
	for (i = 0; i < ARRAY_SIZE(files); i++) {
		buf_reset(&path);
		buf_addf(&path, "%s/tests", p->dir.ptr);
		assert_int_equal(fs_mkdir_p(path.ptr, 0755), 0);
		buf_reset(&path);
		buf_addf(&path, "%s/%s", p->dir.ptr, files[i].path);
		assert_int_equal(fs_write_atomic(path.ptr, files[i].text, strlen(files[i].text), 0644), 0);
	}
	buf_release(&path);
	p->cwd = getcwd(NULL, 0);
	/* not a git repository: the session works on a copy and writes fixes back */
	assert_int_equal(chdir(p->dir.ptr), 0);
	assert_int_equal(project_open(&proj, p->dir.ptr), 0);
	seen_reset();
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	struct sandbox *p = *state;
	assert_int_equal(chdir(p->cwd), 0);
	project_free(proj);
	proj = NULL;
	fs_remove_tree(p->dir.ptr);
	buf_release(&p->dir);
	free(p->cwd);
	free(p);
	seen_reset();
	return 0;
}

static void options_for(struct fix_options *o, const char *engine)
{
	struct fix_options init = FIX_OPTIONS_INIT;
	*o = init;
	o->engine = engine;
	o->pytest_cmd = PYTEST_CMD;
	o->jobs = 1;
	o->verify_runs = 0;
	o->test_timeout = 60;
}

/* a session with `engine`, watched by hooks that answer `answer` */
static int run_watched(struct fix_result *res, struct watch *w, struct fix_options *o,
		       const char *engine, enum fix_answer answer)
{
	struct fix_hooks h;
	options_for(o, engine);
	watch_init(w, &h, answer);
	return fix_run(res, proj, o, &h);
}

static int engines_registered(void **state)
{
	(void)state;
	assert_int_equal(engine_register(&script_engine), 0);
	assert_int_equal(engine_register(&asker_engine), 0);
	assert_int_equal(engine_register(&script_engine), ERR_CONFLICT);
	return 0;
}

/* ---- the tests ---------------------------------------------------------------------- */

static void fix__a_registry_row_drives_the_loop_and_hooks_see_events_in_order(void **state)
{
	struct fix_options o;
	struct fix_result res;
	struct watch w;

	(void)state;
	assert_int_equal(run_watched(&res, &w, &o, "script", FIX_ANSWER_APPLY), 0);

	assert_int_equal(seen.calls, 1);
	assert_false(seen.ordered);    /* the row does not rank templates */
	assert_int_equal(w.events.nr, 4);
	assert_string_equal(w.events.v[0], "failure 1/1 " TARGET);
	assert_string_equal(w.events.v[1], "candidate 1/2");
	assert_string_equal(w.events.v[2], "candidate 2/2");
	assert_string_equal(w.events.v[3], "done");
	assert_int_equal(w.reviews.nr, 1);
	assert_string_equal(w.reviews.v[0], TARGET " right");

	assert_true(*res.session);
	assert_int_equal(res.total, 1);
	assert_int_equal(res.fixed, 1);
	assert_int_equal(res.unfixed, 0);
	assert_false(res.interrupted);
	assert_int_equal(res.nr_failures, 1);
	assert_string_equal(res.failures[0].id, TARGET);
	assert_int_equal(res.failures[0].status, FAILURE_FIXED);
	assert_int_equal(res.failures[0].nr_attempts, 2);
	assert_int_equal(res.failures[0].win.number, 2);
	assert_string_equal(res.failures[0].win.engine, "script");
	assert_string_equal(res.failures[0].win.template_name, "right");
	assert_non_null(res.failures[0].reason);   /* the wrong one's */
	assert_non_null(strstr(res.failures[0].reason, "AssertionError"));
	assert_null(res.failures[0].branch);       /* no git: written back */

	assert_lib("def double(x):\n    return x * 2\n");
	fix_result_release(&res);
	watch_release(&w);
}

static void fix__confirm_skip_leaves_the_failure_unfixed_and_the_project_alone(void **state)
{
	struct fix_options o;
	struct fix_result res;
	struct watch w;

	(void)state;
	assert_int_equal(run_watched(&res, &w, &o, "script", FIX_ANSWER_SKIP), 0);
	assert_int_equal(w.reviews.nr, 1);
	assert_int_equal(res.fixed, 0);
	assert_int_equal(res.unfixed, 1);
	assert_int_equal(res.nr_failures, 1);
	assert_int_equal(res.failures[0].status, FAILURE_UNFIXED);
	assert_null(res.failures[0].branch);
	assert_null(res.failures[0].commit);
	assert_lib(lib_py);
	fix_result_release(&res);
	watch_release(&w);
}

static void fix__confirm_quit_interrupts_and_resume_finishes(void **state)
{
	struct fix_options o;
	struct fix_result res;
	struct watch w;
	char id[40];

	(void)state;
	assert_int_equal(run_watched(&res, &w, &o, "script", FIX_ANSWER_QUIT), ERR_INTERRUPTED);
	assert_true(res.interrupted);
	assert_int_equal(res.nr_failures, 1);
	assert_int_equal(res.failures[0].status, FAILURE_PENDING);
	snprintf(id, sizeof(id), "%s", res.session);
	fix_result_release(&res);

	/* same shape; no hooks: no events, every fix taken */
	assert_int_equal(fix_resume(&res, proj, id, &o, NULL), 0);
	assert_string_equal(res.session, id);
	assert_int_equal(res.fixed, 1);
	assert_int_equal(res.failures[0].status, FAILURE_FIXED);
	assert_int_equal(w.reviews.nr, 1);
	assert_lib("def double(x):\n    return x * 2\n");
	fix_result_release(&res);
	watch_release(&w);
}

static void fix__an_engine_that_asks_a_model_is_asked_again_with_feedback(void **state)
{
	struct fix_options o;
	struct fix_result res;
	struct fix_hooks h;
	struct watch w;

	(void)state;
	options_for(&o, "asker");
	o.llm.provider = "replay";
	o.llm.cassette = "cassette.jsonl";
	watch_init(&w, &h, FIX_ANSWER_APPLY);
	assert_int_equal(fix_run(&res, proj, &o, &h), 0);

	assert_int_equal(seen.calls, 2);
	assert_true(seen.temperature[0] > 0.39 && seen.temperature[0] < 0.41);
	assert_true(seen.temperature[1] > 0.49 && seen.temperature[1] < 0.51);
	assert_null(seen.feedback[0]);
	assert_non_null(seen.feedback[1]);
	assert_non_null(strstr(seen.feedback[1], "The change failed the 'target' gate"));
	/* ask n of --max-retries, no per-candidate events */
	assert_int_equal(w.events.nr, 3);
	assert_string_equal(w.events.v[0], "candidate 1/3");
	assert_string_equal(w.events.v[1], "candidate 2/3");
	assert_string_equal(w.events.v[2], "done");
	assert_int_equal(res.fixed, 1);
	assert_int_equal(res.failures[0].nr_attempts, 2);
	assert_int_equal(res.failures[0].win.number, 2);
	assert_string_equal(res.failures[0].win.engine, "asker");
	fix_result_release(&res);
	watch_release(&w);
}

static void fix__the_engine_is_checked_before_a_session_starts(void **state)
{
	struct fix_options o;
	struct fix_result res;

	(void)state;
	unsetenv("OPENAI_API_KEY");
	unsetenv("OPENAI_BASE_URL");
	unsetenv("ANTHROPIC_API_KEY");
	options_for(&o, "asker");
	assert_int_equal(fix_run(&res, proj, &o, NULL), ERR_USAGE);
	assert_string_equal(error_last(), "--engine asker needs a provider: give --provider, "
			    "--base-url or set OPENAI_API_KEY / ANTHROPIC_API_KEY");
	assert_false(*res.session);
	fix_result_release(&res);

	/* the names it takes come from the registry */
	o.engine = "nope";
	assert_int_equal(fix_run(&res, proj, &o, NULL), ERR_USAGE);
	assert_string_equal(error_last(), "unknown engine 'nope' (auto, builtin, llm, command, script or asker)");
	assert_false(*res.session);
	fix_result_release(&res);
}

static void fix__the_result_says_what_the_store_says(void **state)
{
	struct fix_options o;
	struct fix_result res;
	struct store *st = NULL;
	json_t *obj = NULL, *e;
	size_t i;

	(void)state;
	options_for(&o, "script");
	assert_int_equal(fix_run(&res, proj, &o, NULL), 0);
	assert_int_equal(project_store(&st, proj, 0), 0);
	assert_int_equal(report_session_json(&obj, st, res.session), 0);
	assert_int_equal(json_array_size(json_object_get(obj, "errors")), res.nr_failures);
	json_array_foreach(json_object_get(obj, "errors"), i, e) {
		const struct fix_failure_result *f = &res.failures[i];
		json_t *attempts = json_object_get(e, "attempts");
		json_t *last = json_array_get(attempts, json_array_size(attempts) - 1);
		assert_string_equal(json_string_value(json_object_get(e, "id")), f->id);
		assert_string_equal(json_string_value(json_object_get(e, "status")), "fixed");
		assert_int_equal(f->status, FAILURE_FIXED);
		assert_int_equal(json_array_size(attempts), f->nr_attempts);
		assert_string_equal(json_string_value(json_object_get(last, "status")), "passed");
		assert_int_equal(json_integer_value(json_object_get(last, "number")), f->win.number);
		assert_string_equal(json_string_value(json_object_get(last, "template")),
				    f->win.template_name);
	}
	json_decref(obj);
	fix_result_release(&res);
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(fix__a_registry_row_drives_the_loop_and_hooks_see_events_in_order),
		TEST(fix__confirm_skip_leaves_the_failure_unfixed_and_the_project_alone),
		TEST(fix__confirm_quit_interrupts_and_resume_finishes),
		TEST(fix__an_engine_that_asks_a_model_is_asked_again_with_feedback),
		TEST(fix__the_engine_is_checked_before_a_session_starts),
		TEST(fix__the_result_says_what_the_store_says),
	};
	return cmocka_run_group_tests(tests, engines_registered, NULL);
}
