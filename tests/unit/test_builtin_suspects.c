/*
 * The built-in engine with spectrum-based fault localisation
 * (engine_request.suspects): small projects written to a temporary
 * directory, their failure read from a real pytest run, and suspects given
 * by hand or ranked from the coverage map that run recorded through our
 * plugin (runner/coverage.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine/engine.h"
#include "runner/coverage.h"
#include "runner/pytest.h"
#include "runner/result.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strvec.h"
#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PYTEST_CMD "/usr/bin/python3 -m pytest"

/* a project: its files as path, content pairs (NULL-terminated), and the fix */
struct project {
	const char *const *files;
	const char *bug_file;
	const char *from, *to;   /* the bug's text and the fix's */
};

/* `h = util.to_human; h(1000)`: the test calls the function through an alias */
static const char *const alias_files[] = {
	"pkg/__init__.py", "",
	"pkg/util.py",
	"def to_human(n):\n"
	"    if n <= 1000:\n"
	"        return str(n)\n"
	"    return \"%dk\" % (n // 1000)\n",
	"tests/test_util.py",
	"from pkg import util\n"
	"\n"
	"\n"
	"def test_thousand():\n"
	"    h = util.to_human\n"
	"    assert h(1000) == \"1k\"\n"
	"\n"
	"\n"
	"def test_small():\n"
	"    assert util.to_human(5) == \"5\"\n"
	"\n"
	"\n"
	"def test_big():\n"
	"    assert util.to_human(2000) == \"2k\"\n",
	NULL,
};
static const struct project alias = { alias_files, "pkg/util.py", "n <= 1000", "n < 1000" };

/* the test calls summary(), which calls mean(), where the bug is */
static const char *const deep_files[] = {
	"pkg/__init__.py", "",
	"pkg/stats.py",
	"def total(xs):\n"
	"    t = 0\n"
	"    for x in xs:\n"
	"        t += x\n"
	"    return t\n"
	"\n"
	"\n"
	"def mean(xs):\n"
	"    return total(xs) / (len(xs) + 1)\n",
	"pkg/report.py",
	"from pkg.stats import mean\n"
	"\n"
	"\n"
	"def summary(xs):\n"
	"    m = mean(xs)\n"
	"    return \"mean=%.1f\" % m\n",
	"tests/test_report.py",
	"from pkg import report, stats\n"
	"\n"
	"\n"
	"def test_summary():\n"
	"    assert report.summary([1, 2, 3]) == \"mean=2.0\"\n"
	"\n"
	"\n"
	"def test_total():\n"
	"    assert stats.total([1, 2]) == 3\n",
	NULL,
};
static const struct project deep = { deep_files, "pkg/stats.py", "(len(xs) + 1)", "(len(xs))" };

/* IndexError in cell(), the deepest frame; the bug is in its caller */
static const char *const caller_files[] = {
	"pkg/__init__.py", "",
	"pkg/grid.py",
	"def cell(row, i):\n"
	"    return row[i]\n"
	"\n"
	"\n"
	"def last_cells(rows):\n"
	"    out = []\n"
	"    for row in rows:\n"
	"        out.append(cell(row, len(row)))\n"
	"    return out\n",
	"tests/test_grid.py",
	"from pkg import grid\n"
	"\n"
	"\n"
	"def test_last_cells():\n"
	"    assert grid.last_cells([[1, 2], [3]]) == [2, 3]\n"
	"\n"
	"\n"
	"def test_cell():\n"
	"    assert grid.cell([1, 2, 3], 0) == 1\n"
	"    assert grid.cell([1, 2, 3], 2) == 3\n",
	NULL,
};
static const struct project caller = { caller_files, "pkg/grid.py", "len(row))", "len(row) - 1)" };

/* one project set up and run: its failure, and the coverage map's suspects */
struct run {
	struct buf root;
	struct test_result res;
	struct suspect *suspects;
	size_t nr_suspects;
};

static void run_project(struct run *r, const struct project *p)
{
	struct pytest_options opts = PYTEST_OPTIONS_INIT;
	struct coverage_map *m = NULL;
	struct strvec failing = STRVEC_INIT;
	struct buf path = BUF_INIT, cov = BUF_INIT;
	size_t i;

	memset(r, 0, sizeof(*r));
	buf_init(&r->root, 0);
	test_result_init(&r->res);
	assert_int_equal(fs_mkdtemp(&r->root, "test-builtin-suspects"), 0);
	for (i = 0; p->files[i]; i += 2) {
		buf_reset(&path);
		buf_addf(&path, "%s/%s", r->root.ptr, p->files[i]);
		*strrchr(path.ptr, '/') = '\0';
		assert_int_equal(fs_mkdir_p(path.ptr, 0755), 0);
		path.ptr[strlen(path.ptr)] = '/';
		assert_int_equal(fs_write_atomic(path.ptr, p->files[i + 1], strlen(p->files[i + 1]),
						 0644), 0);
	}
	/* the map lives outside the project, as fix keeps it */
	buf_addf(&cov, "%s.coverage.jsonl", r->root.ptr);
	opts.root = r->root.ptr;
	opts.command = PYTEST_CMD;
	opts.every_test = 1;
	opts.coverage_file = cov.ptr;
	if (pytest_run(&r->res, &opts) < 0)
		fail_msg("pytest: %s", error_last());
	assert_int_equal(r->res.nr_failures, 1);
	if (coverage_map_read(&m, cov.ptr) < 0)
		fail_msg("coverage: %s", error_last());
	assert_true(coverage_map_tests(m) >= 2);
	strvec_push(&failing, r->res.failures[0].id);
	assert_int_equal(coverage_rank(&r->suspects, &r->nr_suspects, m, &failing, 0), 0);
	assert_true(r->nr_suspects > 0);
	coverage_map_free(m);
	unlink(cov.ptr);
	strvec_clear(&failing);
	buf_release(&cov);
	buf_release(&path);
}

static void run_release(struct run *r)
{
	fs_remove_tree(r->root.ptr);
	buf_release(&r->root);
	test_result_release(&r->res);
	suspects_free(r->suspects, r->nr_suspects);
}

static void propose(struct candidate_list *out, const struct run *r, const struct suspect *s,
		    size_t nr)
{
	struct engine_request req = ENGINE_REQUEST_INIT;

	req.failure = &r->res.failures[0];
	req.root = r->root.ptr;
	req.suspects = s;
	req.nr_suspects = nr;
	if (engine_builtin.propose(out, &req) < 0)
		fail_msg("propose: %s", error_last());
}

/* the index of the candidate that makes the project's fix, or -1; scores never rise */
static int find_fix(const struct candidate_list *l, const struct project *p)
{
	size_t i;

	for (i = 0; i < l->nr; i++) {
		const struct file_edit *e = &l->items[i].change.edits[0];
		if (i)
			assert_true(l->items[i].score <= l->items[i - 1].score);
		assert_string_not_equal(e->path, "tests/test_util.py");
		if (!strcmp(e->path, p->bug_file) && strstr(e->old_str, p->from) &&
		    strstr(e->new_str, p->to) && !strstr(e->new_str, p->from))
			return (int)i;
	}
	return -1;
}

static void print_candidates(const struct candidate_list *l)
{
	size_t i;

	for (i = 0; i < l->nr; i++)
		fprintf(stderr, "  %2zu d=%d s=%.6f %s\n", i, l->items[i].frame_distance,
			l->items[i].score, l->items[i].change.description);
}

static int expect_fix(const struct run *r, const struct project *p, const struct suspect *s,
		      size_t nr, int within)
{
	struct candidate_list l = CANDIDATE_LIST_INIT;
	int i;

	propose(&l, r, s, nr);
	i = find_fix(&l, p);
	if (i < 0 || i >= within) {
		print_candidates(&l);
		fail_msg("the fix '%s' -> '%s' is candidate %d, not within the first %d", p->from,
			 p->to, i, within);
	}
	candidate_list_release(&l);
	return i;
}

static void builtin_suspects__a_function_called_through_an_alias(void **state)
{
	const struct suspect by_hand[] = { { "pkg/util.py", 2, 1.0 } };
	struct candidate_list l = CANDIDATE_LIST_INIT;
	struct run r;

	(void)state;
	run_project(&r, &alias);
	/* the test calls `h`: nothing to follow, no candidate */
	propose(&l, &r, NULL, 0);
	assert_int_equal(find_fix(&l, &alias), -1);
	candidate_list_release(&l);
	/* the spectrum reaches to_human() */
	expect_fix(&r, &alias, by_hand, ARRAY_SIZE(by_hand), 5);
	expect_fix(&r, &alias, r.suspects, r.nr_suspects, 5);
	/* the recorded map: to_human's line 2 ran for the failing test and both others */
	assert_string_equal(r.suspects[r.nr_suspects - 1].file, "pkg/util.py");
	run_release(&r);
}

static void builtin_suspects__a_bug_two_calls_below_the_test(void **state)
{
	const struct suspect by_hand[] = { { "pkg/stats.py", 9, 1.0 } };
	struct candidate_list l = CANDIDATE_LIST_INIT;
	struct run r;

	(void)state;
	run_project(&r, &deep);
	/* summary() is followed from the test, mean() below it never */
	propose(&l, &r, NULL, 0);
	assert_true(l.nr > 0);
	assert_int_equal(find_fix(&l, &deep), -1);
	candidate_list_release(&l);
	expect_fix(&r, &deep, by_hand, ARRAY_SIZE(by_hand), 10);
	expect_fix(&r, &deep, r.suspects, r.nr_suspects, ENGINE_DEFAULT_MAX_CANDIDATES);
	run_release(&r);
}

static void builtin_suspects__the_budget_goes_to_the_suspicious_caller(void **state)
{
	struct candidate_list l = CANDIDATE_LIST_INIT;
	struct run r;
	size_t i;
	int fix;

	(void)state;
	run_project(&r, &caller);
	/* cell()'s line also ran for the passing test: last_cells() is more suspicious */
	assert_string_equal(r.suspects[0].file, "pkg/grid.py");
	assert_true(r.suspects[0].line >= 6 && r.suspects[0].line <= 8);
	for (i = 0; i < r.nr_suspects; i++)
		if (!strcmp(r.suspects[i].file, "pkg/grid.py") && r.suspects[i].line == 2)
			assert_true(r.suspects[i].score < r.suspects[0].score);

	/* without: the deepest frame, cell(), first */
	propose(&l, &r, NULL, 0);
	assert_non_null(strstr(l.items[0].change.description, "in cell()"));
	candidate_list_release(&l);

	/* with: last_cells() first, the fix before anything in cell() */
	fix = expect_fix(&r, &caller, r.suspects, r.nr_suspects, 10);
	propose(&l, &r, r.suspects, r.nr_suspects);
	assert_non_null(strstr(l.items[0].change.description, "in last_cells()"));
	for (i = 0; i < (size_t)fix; i++)
		assert_null(strstr(l.items[i].change.description, "in cell()"));
	candidate_list_release(&l);
	run_release(&r);
}

static void builtin_suspects__test_files_and_unknown_paths_are_never_targets(void **state)
{
	const struct suspect s[] = {
		{ "tests/test_util.py", 6, 1.0 },     /* the test itself */
		{ "../outside.py", 1, 1.0 },          /* not in the project */
		{ "pkg/missing.py", 3, 1.0 },         /* not there */
		{ "pkg/util.py", 400, 1.0 },          /* past its end */
	};
	struct candidate_list l = CANDIDATE_LIST_INIT;
	struct run r;
	size_t i;

	(void)state;
	run_project(&r, &alias);
	propose(&l, &r, s, ARRAY_SIZE(s));
	for (i = 0; i < l.nr; i++)
		assert_string_not_equal(l.items[i].change.edits[0].path, "tests/test_util.py");
	assert_int_equal(find_fix(&l, &alias), -1);
	candidate_list_release(&l);
	run_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(builtin_suspects__a_function_called_through_an_alias),
		cmocka_unit_test(builtin_suspects__a_bug_two_calls_below_the_test),
		cmocka_unit_test(builtin_suspects__the_budget_goes_to_the_suspicious_caller),
		cmocka_unit_test(builtin_suspects__test_files_and_unknown_paths_are_never_targets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
