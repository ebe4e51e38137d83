/* Fixes checked beyond the tests (src/fix/behaviour.c, src/gen/behaviour.c), with real pytest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "edit/change.h"
#include "fix/behaviour.h"
#include "gen/behaviour.h"
#include "gen/search.h"
#include "runner/coverage.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strvec.h"
#include "util/xalloc.h"

#include <jansson.h>

#define PYTEST_CMD "/usr/bin/python3 -m pytest"

static const char grades_py[] =
	"LIMIT = 80\n"
	"\n"
	"\n"
	"def grade(score):\n"
	"    \"\"\"'fail' below 50, 'pass' from 50, 'distinction' from 80.\"\"\"\n"
	"    if score >= LIMIT:\n"
	"        return \"distinction\"\n"
	"    if score >= 51:\n"
	"        return \"pass\"\n"
	"    return \"fail\"\n"
	"\n"
	"\n"
	"def _half(x):\n"
	"    return x // 2\n"
	"\n"
	"\n"
	"def halves(xs):\n"
	"    return [_half(x) for x in xs]\n";

static const char test_py[] =
	"from grades import grade\n"
	"\n"
	"\n"
	"def test_pass_mark():\n"
	"    assert grade( \"50\" and 50 ) == 'pass'\n"
	"    assert grade(50) == \"pass\"\n";

struct fixture {
	struct buf dir;
	struct behaviour_cache *cache;
	struct strvec targets;
};

static int setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof(*fx));
	struct buf p = BUF_INIT;

	buf_init(&fx->dir, 0);
	strvec_init(&fx->targets);
	if (fs_mkdtemp(&fx->dir, "test-behaviour") < 0)
		return -1;
	buf_addf(&p, "%s/grades.py", fx->dir.ptr);
	fs_write_atomic(p.ptr, grades_py, strlen(grades_py), 0644);
	buf_reset(&p);
	buf_addf(&p, "%s/tests", fx->dir.ptr);
	fs_mkdir_p(p.ptr, 0755);
	buf_adds(&p, "/test_grades.py");
	fs_write_atomic(p.ptr, test_py, strlen(test_py), 0644);
	buf_release(&p);
	fx->cache = behaviour_cache_new();
	strvec_push(&fx->targets, "tests/test_grades.py::test_pass_mark");
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	behaviour_cache_free(fx->cache);
	fs_remove_tree(fx->dir.ptr);
	buf_release(&fx->dir);
	strvec_clear(&fx->targets);
	free(fx);
	return 0;
}

static void options(struct behaviour_options *o, const struct fixture *fx)
{
	memset(o, 0, sizeof(*o));
	o->workdir = fx->dir.ptr;
	o->pytest_cmd = PYTEST_CMD;
	o->targets = &fx->targets;
	o->sample_budget = 10;
}

static void one_edit(struct change *c, const char *path, const char *old, const char *new)
{
	struct file_edit *e;

	change_init(c);
	e = change_add(c, EDIT_UPDATE, path);
	e->old_str = xstrdup(old);
	e->new_str = xstrdup(new);
}

static void behaviour__the_failing_tests_own_calls_compare_without_spaces_or_quotes(void **state)
{
	(void)state;
	assert_true(behaviour_in_test("grade('a')", "def test_x():\n    assert grade( \"a\" ) == 1\n"));
	assert_true(behaviour_in_test("f(1, 2)", "x = f(1,\n      2)"));
	assert_false(behaviour_in_test("grade('b')", "assert grade('a') == 1"));
	assert_false(behaviour_in_test("", "anything"));
}

static void behaviour__a_verdict_as_json(void **state)
{
	struct behaviour_verdict v;
	char *text;
	json_t *j;

	(void)state;
	behaviour_verdict_init(&v);
	assert_null(behaviour_verdict_json(&v));   /* nothing to say */
	v.skipped = xstrdup("skipped for cost: ...");
	text = behaviour_verdict_json(&v);
	j = json_loads(text, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "skipped")), "skipped for cost: ...");
	assert_null(json_object_get(j, "checked"));
	json_decref(j);
	free(text);
	behaviour_verdict_release(&v);

	v.ran = 1;
	v.checked = 5;
	v.changed = 1;
	strvec_push(&v.functions, "grades.py:grade");
	v.cases = xcalloc(1, sizeof(*v.cases));
	v.nr_cases = 1;
	v.cases[0].call = xstrdup("grade(60)");
	v.cases[0].before = xstrdup("'pass'");
	v.cases[0].after = xstrdup("'fail'");
	text = behaviour_verdict_json(&v);
	j = json_loads(text, 0, NULL);
	assert_int_equal(json_integer_value(json_object_get(j, "checked")), 5);
	assert_int_equal(json_integer_value(json_object_get(j, "changed")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "functions"), 0)),
			    "grades.py:grade");
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(j, "cases"), 0),
							      "after")), "'fail'");
	json_decref(j);
	free(text);
	behaviour_verdict_release(&v);
}

static void behaviour__changes_outside_functions_and_to_tests_are_not_checked(void **state)
{
	struct fixture *fx = *state;
	struct behaviour_options o;
	struct behaviour_verdict v;
	struct change c;

	options(&o, fx);
	one_edit(&c, "grades.py", "LIMIT = 80", "LIMIT = 81");
	assert_int_equal(behaviour_check(&v, fx->cache, &c, &o), 0);
	assert_false(v.ran);
	assert_non_null(strstr(v.skipped, "'grades.py' (line 1) is in no public function"));
	behaviour_verdict_release(&v);
	change_release(&c);

	one_edit(&c, "tests/test_grades.py", "grade(50)", "grade(51)");
	assert_int_equal(behaviour_check(&v, fx->cache, &c, &o), 0);
	assert_false(v.ran);
	assert_null(v.skipped);
	assert_null(behaviour_verdict_json(&v));
	behaviour_verdict_release(&v);
	change_release(&c);
}

static void behaviour__an_overfitting_change_is_told_from_the_right_one(void **state)
{
	struct fixture *fx = *state;
	struct behaviour_options o;
	struct behaviour_verdict v;
	struct change c;
	size_t i;
	int found = 0;

	options(&o, fx);
	/* the overfitting one: every mark from 52 to 79 fails now */
	one_edit(&c, "grades.py", "score >= 51", "score <= 51");
	assert_int_equal(behaviour_check(&v, fx->cache, &c, &o), 0);
	assert_true(v.ran);
	assert_null(v.skipped);
	assert_int_equal(v.functions.nr, 1);
	assert_string_equal(v.functions.v[0], "grades.py:grade");
	assert_true(v.changed >= 1);
	assert_true(v.checked > v.changed);
	for (i = 0; i < v.nr_cases; i++)
		if (!strcmp(v.cases[i].before, "'pass'") && !strcmp(v.cases[i].after, "'fail'"))
			found = 1;
	assert_true(found);
	behaviour_verdict_release(&v);
	change_release(&c);

	/* the right one: only the failing test's own call, grade(50), ends otherwise */
	one_edit(&c, "grades.py", "score >= 51", "score >= 50");
	assert_true(behaviour_cached(fx->cache, &c, fx->dir.ptr));
	assert_int_equal(behaviour_check(&v, fx->cache, &c, &o), 0);
	assert_true(v.ran);
	assert_int_equal(v.changed, 0);
	assert_int_equal(v.nr_cases, 0);
	behaviour_verdict_release(&v);
	change_release(&c);
}

static void behaviour__a_private_helper_is_checked_through_its_callers(void **state)
{
	struct fixture *fx = *state;
	struct behaviour_options o;
	struct behaviour_verdict v;
	struct change c;

	options(&o, fx);
	one_edit(&c, "grades.py", "return x // 2", "return x // 3");
	assert_int_equal(behaviour_check(&v, fx->cache, &c, &o), 0);
	assert_true(v.ran);
	assert_int_equal(v.functions.nr, 1);
	assert_string_equal(v.functions.v[0], "grades.py:halves");
	assert_true(v.changed >= 1);
	behaviour_verdict_release(&v);
	change_release(&c);
}

/* by default a check spends a share of the session's time, a few seconds at least */
static void behaviour__the_allowance_by_default(void **state)
{
	double allowed, left;

	(void)state;
	/* a short session: the floor, all of it for the first function set */
	assert_true(behaviour_allowance(1.0, 0.0, 120.0, &allowed) == FIX_BEHAVIOUR_FLOOR);
	assert_true(allowed == FIX_BEHAVIOUR_FLOOR);
	/* a long one: its share, at most a sample's budget at a time */
	assert_true(behaviour_allowance(100.0, 0.0, 0.0, &allowed) == FIX_BEHAVIOUR_SAMPLE_BUDGET);
	assert_true(allowed == FIX_BEHAVIOUR_SHARE * 100.0);
	left = behaviour_allowance(100.0, 20.0, 0.0, &allowed);
	assert_true(left == allowed - 20.0);
	/* spent: less left than a sample needs is none */
	assert_true(behaviour_allowance(100.0, allowed - FIX_BEHAVIOUR_MIN_BUDGET / 2, 0.0, &allowed) == 0);
	assert_true(behaviour_allowance(2.0, FIX_BEHAVIOUR_FLOOR, 0.0, &allowed) == 0);
	/* time past a group's budget does not count */
	behaviour_allowance(1000.0, 0.0, 120.0, &allowed);
	assert_true(allowed == FIX_BEHAVIOUR_SHARE * 120.0);
}

/*
 * A changed `else:` (a line that never runs itself): its region is the
 * clause, so a call that went through the clause as the failing test did
 * (the baseline's coverage map) is the failing test's own.
 */
static void behaviour__a_changed_else_is_judged_by_its_clause(void **state)
{
	static const char signs_py[] =
		"def sign(x):\n"
		"    if x < 0:\n"
		"        return -1\n"
		"    else:\n"
		"        return 0\n";
	static const char cov[] =
		"{\"ev\":\"cov\",\"id\":\"tests/test_signs.py::test_zero\",\"outcome\":\"failed\","
		"\"files\":{\"signs.py\":[2,5]}}\n"
		"{\"ev\":\"cov\",\"id\":\"tests/test_signs.py::test_negative\",\"outcome\":\"passed\","
		"\"files\":{\"signs.py\":[2,3]}}\n";
	struct fixture *fx = *state;
	struct coverage_map *map = NULL;
	struct behaviour_options o;
	struct behaviour_verdict v;
	struct strvec targets = STRVEC_INIT;
	struct buf p = BUF_INIT;
	struct change c;

	buf_addf(&p, "%s/signs.py", fx->dir.ptr);
	assert_int_equal(fs_write_atomic(p.ptr, signs_py, strlen(signs_py), 0644), 0);
	assert_int_equal(coverage_map_parse(&map, cov, strlen(cov), "cov.jsonl"), 0);
	strvec_push(&targets, "tests/test_signs.py::test_zero");
	options(&o, fx);
	o.targets = &targets;
	o.coverage = map;
	/* sign(0) ... returns None now: it went through the else as the failing test did */
	one_edit(&c, "signs.py", "    else:\n", "    elif x > 0:\n");
	assert_int_equal(behaviour_check(&v, fx->cache, &c, &o), 0);
	assert_true(v.ran);
	assert_int_equal(v.changed, 0);
	assert_true(v.excluded >= 1);
	behaviour_verdict_release(&v);
	change_release(&c);
	coverage_map_free(map);
	strvec_clear(&targets);
	buf_release(&p);
}

/* the probe's JSON escapes a NUL as \u0000: the changed module's error is read, not skipped */
static void behaviour__a_nul_in_the_probes_reply_is_read(void **state)
{
	static const char text[] =
		"{\"ev\": \"mutant\", \"mutant\": 0, \"error\": \"raised ValueError('a\\u0000b')\"}\n";
	struct gen_calls calls = GEN_CALLS_INIT;
	struct gen_behaviour_diffs d = { 0 };

	(void)state;
	assert_true(gen_behaviour_parse(&d, &calls, text, sizeof(text) - 1) < 0);
	assert_non_null(strstr(error_last(), "the changed module raised ValueError"));
	error_clear();
	gen_behaviour_diffs_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(behaviour__the_failing_tests_own_calls_compare_without_spaces_or_quotes),
		cmocka_unit_test(behaviour__a_verdict_as_json),
		cmocka_unit_test(behaviour__the_allowance_by_default),
		cmocka_unit_test(behaviour__a_nul_in_the_probes_reply_is_read),
		cmocka_unit_test_setup_teardown(behaviour__changes_outside_functions_and_to_tests_are_not_checked,
						setup, teardown),
		cmocka_unit_test_setup_teardown(behaviour__an_overfitting_change_is_told_from_the_right_one,
						setup, teardown),
		cmocka_unit_test_setup_teardown(behaviour__a_changed_else_is_judged_by_its_clause, setup, teardown),
		cmocka_unit_test_setup_teardown(behaviour__a_private_helper_is_checked_through_its_callers,
						setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
