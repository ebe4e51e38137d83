/* Probing a module through the warm worker (src/runner/probe.c, pytest_fixer_probe.py), with real pytest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "runner/probe.h"
#include "runner/worker.h"
#include "runner/worker_state.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strvec.h"

#include <jansson.h>
#include <sys/stat.h>
#include <unistd.h>

#define PYTEST_CMD "/usr/bin/python3 -m pytest"
#define CALL_LIMIT 0.5
#define PROBE_LIMIT 60.0
#define MAX_IDS 32
#define FSIZE_LIMIT (16 * 1024 * 1024)

static const char shapes_py[] =
	"import os\n"
	"import random\n"
	"import signal\n"
	"import time\n"
	"\n"
	"\n"
	"class Stack:\n"
	"    def __init__(self):\n"
	"        self.items = []\n"
	"\n"
	"    def push(self, x):\n"
	"        self.items.append(x)\n"
	"\n"
	"    def pop(self):\n"
	"        return self.items.pop()\n"
	"\n"
	"    @property\n"
	"    def size(self):\n"
	"        return len(self.items)\n"
	"\n"
	"\n"
	"def add(a, b):\n"
	"    return a + b\n"
	"\n"
	"\n"
	"def classify(n):\n"
	"    if n < 0:\n"
	"        return 'negative'\n"
	"    elif n == 0:\n"
	"        return 'zero'\n"
	"    return 'positive'\n"
	"\n"
	"\n"
	"def half(n):\n"
	"    if n % 2:\n"
	"        raise ValueError('odd: %d' % n)\n"
	"    return n // 2\n"
	"\n"
	"\n"
	"def spin():\n"
	"    while True:\n"
	"        try:\n"
	"            pass\n"
	"        except Exception:\n"
	"            pass\n"
	"\n"
	"\n"
	"def hang():\n"
	"    # SIGALRM blocked: only the watchdog can end this\n"
	"    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGALRM])\n"
	"    time.sleep(100)\n"
	"\n"
	"\n"
	"def roll():\n"
	"    return random.random()\n"
	"\n"
	"\n"
	"def fill(path, size):\n"
	"    with open(path, 'wb') as f:\n"
	"        f.write(b'x' * size)\n"
	"    return size\n"
	"\n"
	"\n"
	"def home():\n"
	"    return os.path.expanduser('~')\n";

static const char *const files[] = {
	"shapes.py", shapes_py,
	"broken.py", "import nonexistent_dependency_of_broken\n",
	"src/pkg/__init__.py", "VERSION = '1.0'\n",
	"src/pkg/units.py", "SCALE = 10\n",
	"src/pkg/geo.py", "from . import units\n\n\ndef area(w, h):\n    return w * h * units.SCALE\n",
	"tests/test_nothing.py", "def test_nothing():\n    pass\n",
	"pytest.ini", "[pytest]\n",
	NULL,
};

struct project {
	struct buf dir, scratch, spec, results;
	struct pytest_worker *w;
	double call_limit;   /* the next spec's; 0: CALL_LIMIT */
};

struct call {
	const char *expr;
	const char *setup[4];
	const char *observe;
};

struct results {
	json_t *lines;   /* every line, in order */
	json_t *module, *error, *end;
	json_t *calls[MAX_IDS], *mutants[MAX_IDS];
};

static void put(const struct project *p, const char *name, const char *text)
{
	struct buf path = BUF_INIT;
	char *slash;

	buf_addf(&path, "%s/%s", p->dir.ptr, name);
	slash = strrchr(path.ptr, '/');
	*slash = '\0';
	assert_int_equal(fs_mkdir_p(path.ptr, 0755), 0);
	*slash = '/';
	assert_int_equal(fs_write_atomic(path.ptr, text, strlen(text), 0644), 0);
	buf_release(&path);
}

static int setup_group(void **state)
{
	struct project *p = calloc(1, sizeof(*p));
	struct pytest_worker_options o = { 0 };
	struct strvec paths = STRVEC_INIT;
	size_t i;

	buf_init(&p->dir, 0);
	buf_init(&p->scratch, 0);
	buf_init(&p->spec, 0);
	buf_init(&p->results, 0);
	assert_int_equal(fs_mkdtemp(&p->dir, "test-probe"), 0);
	assert_int_equal(fs_mkdtemp(&p->scratch, "test-probe-home"), 0);
	for (i = 0; files[i]; i += 2)
		put(p, files[i], files[i + 1]);
	buf_addf(&p->spec, "%s/spec.json", p->scratch.ptr);
	buf_addf(&p->results, "%s/results.jsonl", p->scratch.ptr);
	/* as `generate` starts it: its only path the module, no test collected */
	strvec_push(&paths, "shapes.py");
	o.root = p->dir.ptr;
	o.command = PYTEST_CMD;
	o.paths = &paths;
	o.test_timeout = 20;
	if (pytest_worker_start(&p->w, &o) < 0)
		fail_msg("cannot start: %s", error_last());
	strvec_clear(&paths);
	*state = p;
	return 0;
}

static int teardown_group(void **state)
{
	struct project *p = *state;
	pytest_worker_stop(p->w);
	fs_remove_tree(p->dir.ptr);
	fs_remove_tree(p->scratch.ptr);
	buf_release(&p->dir);
	buf_release(&p->scratch);
	buf_release(&p->spec);
	buf_release(&p->results);
	free(p);
	return 0;
}

static json_t *strings(const char *const *v, size_t n)
{
	json_t *a = json_array();
	size_t i;
	for (i = 0; i < n && v[i]; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* the spec of `calls` (and `mutants`, NULL-terminated; may be NULL) on `module` */
static void write_spec(const struct project *p, const char *module, const struct call *calls,
		       size_t n, const char *const *mutants, int repeat)
{
	json_t *spec, *list = json_array(), *ms = json_array();
	char *text;
	size_t i;

	for (i = 0; i < n; i++) {
		json_t *c = json_pack("{s:i, s:s, s:o}", "id", (int)i, "expr", calls[i].expr,
				      "setup", strings(calls[i].setup, 4));
		if (calls[i].observe)
			json_object_set_new(c, "observe", strings(&calls[i].observe, 1));
		json_array_append_new(list, c);
	}
	for (i = 0; mutants && mutants[i]; i++)
		json_array_append_new(ms, json_pack("{s:i, s:s}", "id", (int)i, "source", mutants[i]));
	spec = json_pack("{s:s, s:s, s:f, s:{s:i, s:I, s:i, s:i}, s:i, s:o, s:o}",
			 "module", module, "scratch", p->scratch.ptr,
			 "call_limit", p->call_limit > 0 ? p->call_limit : CALL_LIMIT,
			 "rlimits", "cpu", 120, "as", (json_int_t)4 << 30, "fsize", FSIZE_LIMIT,
			 "nproc", 4096, "repeat", repeat, "calls", list, "mutants", ms);
	assert_non_null(spec);
	text = json_dumps(spec, JSON_COMPACT);
	assert_int_equal(fs_write_atomic(p->spec.ptr, text, strlen(text), 0600), 0);
	free(text);
	json_decref(spec);
}

static void read_results(struct results *r, const struct project *p)
{
	struct buf text = BUF_INIT;
	char *line, *end;

	memset(r, 0, sizeof(*r));
	r->lines = json_array();
	assert_int_equal(fs_read_file(&text, p->results.ptr, 0), 0);
	/* each line whole, its newline written with it */
	for (line = text.ptr; (end = strchr(line, '\n')); line = end + 1) {
		json_error_t e;
		json_t *obj;
		const char *ev;
		json_int_t id;

		*end = '\0';
		if (!(obj = json_loads(line, 0, &e)))
			fail_msg("not JSON: '%s': %s", line, e.text);
		json_array_append_new(r->lines, obj);
		ev = json_string_value(json_object_get(obj, "ev"));
		if (ev && !strcmp(ev, "module"))
			r->module = obj;
		else if (ev && !strcmp(ev, "error"))
			r->error = obj;
		else if (ev && !strcmp(ev, "end"))
			r->end = obj;
		else if (json_is_integer(json_object_get(obj, "id")) &&
			 (id = json_integer_value(json_object_get(obj, "id"))) >= 0 && id < MAX_IDS)
			r->calls[id] = obj;
		else if (json_is_integer(json_object_get(obj, "mutant")) &&
			 (id = json_integer_value(json_object_get(obj, "mutant"))) >= 0 && id < MAX_IDS)
			r->mutants[id] = obj;
		else
			fail_msg("an unknown line: '%s'", line);
	}
	assert_string_equal(line, "");
	buf_release(&text);
}

static void release_results(struct results *r)
{
	json_decref(r->lines);
}

/* probe `module` with `calls`: pytest_worker_probe()'s code; the results in `r` */
static int probe(struct results *r, const struct project *p, const char *module,
		 const struct call *calls, size_t n, const char *const *mutants, int repeat)
{
	int err;

	write_spec(p, module, calls, n, mutants, repeat);
	err = pytest_worker_probe(p->w, p->spec.ptr, p->results.ptr, PROBE_LIMIT);
	read_results(r, p);
	return err;
}

static const char *str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	if (!s)
		fail_msg("no string '%s' in %s", key, json_dumps(obj, JSON_COMPACT));
	return s;
}

static void assert_outcome(const json_t *call, const char *outcome)
{
	assert_non_null(call);
	if (strcmp(str(call, "outcome"), outcome))
		fail_msg("not %s: %s", outcome, json_dumps(call, JSON_COMPACT));
}

static void assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		fail_msg("'%s' is not in '%s'", needle, haystack);
}

/* 1-based line of shapes.py that holds `needle` */
static int line_of(const char *needle)
{
	const char *at = strstr(shapes_py, needle), *c;
	int line = 1;
	assert_non_null(at);
	for (c = shapes_py; c < at; c++)
		line += *c == '\n';
	return line;
}

static int has_int(const json_t *list, json_int_t v)
{
	size_t i;
	for (i = 0; i < json_array_size(list); i++)
		if (json_integer_value(json_array_get(list, i)) == v)
			return 1;
	return 0;
}

static int has_arc(const json_t *arcs, int a, int b)
{
	size_t i;
	for (i = 0; i < json_array_size(arcs); i++) {
		json_t *arc = json_array_get(arcs, i);
		if (json_integer_value(json_array_get(arc, 0)) == a &&
		    json_integer_value(json_array_get(arc, 1)) == b)
			return 1;
	}
	return 0;
}

/* shapes.py with `from` replaced by `to` (a mutant) */
static char *mutate(const char *from, const char *to)
{
	struct buf b = BUF_INIT;
	const char *at = strstr(shapes_py, from);
	assert_non_null(at);
	buf_add(&b, shapes_py, (size_t)(at - shapes_py));
	buf_adds(&b, to);
	buf_adds(&b, at + strlen(from));
	return buf_detach(&b, NULL);
}

static void probe__values_and_literal_flags(void **state)
{
	static const struct call calls[] = {
		{ "add(1, 2)", { NULL }, NULL },
		{ "add('a', 'b')", { NULL }, NULL },
		{ "add([1], [2.5, None])", { NULL }, NULL },
		{ "add(True, False)", { NULL }, NULL },
		{ "list(itertools.islice(iter([4, 5, 6]), 2))", { NULL }, NULL },
		{ "print('said by call 5')", { NULL }, NULL },
	};
	struct project *p = *state;
	struct results r;
	struct buf out = BUF_INIT, said = BUF_INIT;

	assert_int_equal(probe(&r, p, "shapes.py", calls, 6, NULL, 2), 0);
	assert_null(r.error);
	assert_non_null(r.end);
	assert_string_equal(str(r.module, "name"), "shapes");
	assert_true(has_int(json_object_get(r.module, "lines"), line_of("return a + b")));
	assert_outcome(r.calls[0], "value");
	assert_string_equal(str(r.calls[0], "repr"), "3");
	assert_string_equal(str(r.calls[0], "type"), "int");
	assert_true(json_is_true(json_object_get(r.calls[0], "literal")));
	assert_null(json_object_get(r.calls[0], "attrs"));
	assert_string_equal(str(r.calls[1], "repr"), "'ab'");
	assert_string_equal(str(r.calls[2], "repr"), "[1, 2.5, None]");
	assert_true(json_is_true(json_object_get(r.calls[2], "literal")));
	/* True + False is 1, an int: its repr gives back an int */
	assert_string_equal(str(r.calls[3], "repr"), "1");
	assert_string_equal(str(r.calls[4], "repr"), "[4, 5]");
	assert_true(json_number_value(json_object_get(r.calls[0], "seconds")) >= 0);
	/* what a call prints goes to the worker's output file, once a run */
	assert_string_equal(str(r.calls[5], "repr"), "None");
	buf_addf(&out, "%s/%s", p->w->dir.ptr, PYTEST_PROBE_OUT);
	assert_int_equal(fs_read_file(&said, out.ptr, 0), 0);
	assert_contains(said.ptr, "said by call 5\nsaid by call 5\nsaid by call 5\n");
	buf_release(&out);
	buf_release(&said);
	release_results(&r);
}

static void probe__an_object_gives_its_public_state(void **state)
{
	static const struct call calls[] = {
		{ "s", { "s = Stack()", "s.push(3)", NULL }, NULL },
		{ "s.pop()", { "s = Stack()", "s.push(1)", "s.push(2)", NULL }, "s" },
		{ "s.pop()", { "s = Stack()", NULL }, "s" },
	};
	struct project *p = *state;
	struct results r;
	json_t *attrs, *seen;

	assert_int_equal(probe(&r, p, "shapes.py", calls, 3, NULL, 2), 0);
	assert_outcome(r.calls[0], "value");
	assert_false(json_is_true(json_object_get(r.calls[0], "literal")));
	assert_string_equal(str(r.calls[0], "type"), "Stack");
	/* the address of its default repr blanked: both runs agree */
	assert_contains(str(r.calls[0], "repr"), "<shapes.Stack object at 0x...>");
	attrs = json_object_get(r.calls[0], "attrs");
	assert_string_equal(str(attrs, "items"), "[3]");
	assert_string_equal(str(attrs, "size"), "1");
	/* pop() returned 2 and left one item */
	assert_outcome(r.calls[1], "value");
	assert_string_equal(str(r.calls[1], "repr"), "2");
	seen = json_object_get(json_object_get(r.calls[1], "observed"), "s");
	assert_string_equal(str(seen, "items"), "[1]");
	assert_string_equal(str(seen, "size"), "1");
	/* observed after a raise too */
	assert_outcome(r.calls[2], "raised");
	assert_string_equal(str(r.calls[2], "type"), "IndexError");
	seen = json_object_get(json_object_get(r.calls[2], "observed"), "s");
	assert_string_equal(str(seen, "size"), "0");
	release_results(&r);
}

static void probe__raised_and_broken_calls(void **state)
{
	static const struct call calls[] = {
		{ "half(3)", { NULL }, NULL },
		{ "half(4)", { NULL }, NULL },
		{ "no_such_function(1)", { NULL }, NULL },
		{ "add(x, 1)", { "x = 1 / 0", NULL }, NULL },
		{ "add(1,", { NULL }, NULL },
		{ "Stack().no_such_method()", { NULL }, NULL },
	};
	struct project *p = *state;
	struct results r;

	assert_int_equal(probe(&r, p, "shapes.py", calls, 6, NULL, 2), 0);
	assert_outcome(r.calls[0], "raised");
	assert_string_equal(str(r.calls[0], "type"), "ValueError");
	assert_string_equal(str(r.calls[0], "type_module"), "builtins");
	assert_string_equal(str(r.calls[0], "message"), "odd: 3");
	assert_true(has_int(json_object_get(r.calls[0], "lines"), line_of("raise ValueError")));
	assert_string_equal(str(r.calls[1], "repr"), "2");
	assert_outcome(r.calls[2], "error");
	assert_contains(str(r.calls[2], "reason"), "expr: NameError");
	assert_outcome(r.calls[3], "error");
	assert_contains(str(r.calls[3], "reason"), "setup: ZeroDivisionError");
	assert_outcome(r.calls[4], "error");
	assert_contains(str(r.calls[4], "reason"), "expr: SyntaxError");
	assert_outcome(r.calls[5], "error");
	assert_contains(str(r.calls[5], "reason"), "expr: AttributeError");
	release_results(&r);
}

static void probe__a_loop_times_out_and_the_next_calls_run(void **state)
{
	static const struct call calls[] = {
		{ "spin()", { NULL }, NULL },
		{ "add(2, 2)", { NULL }, NULL },
	};
	struct project *p = *state;
	struct results r;

	assert_int_equal(probe(&r, p, "shapes.py", calls, 2, NULL, 2), 0);
	assert_outcome(r.calls[0], "timeout");
	assert_true(json_number_value(json_object_get(r.calls[0], "seconds")) >= CALL_LIMIT);
	assert_string_equal(str(r.calls[1], "repr"), "4");
	assert_non_null(r.end);
	release_results(&r);
}

static void probe__a_hang_in_c_ends_the_child_results_kept(void **state)
{
	static const struct call calls[] = {
		{ "add(1, 1)", { NULL }, NULL },
		{ "hang()", { NULL }, NULL },
		{ "add(2, 2)", { NULL }, NULL },
	};
	struct project *p = *state;
	struct results r;

	assert_int_equal(probe(&r, p, "shapes.py", calls, 3, NULL, 1), ERR_TIMEOUT);
	assert_contains(error_last(), "call 1 did not return");
	assert_string_equal(str(r.calls[0], "repr"), "2");
	/* the call running then is the first without a line */
	assert_null(r.calls[1]);
	assert_null(r.calls[2]);
	assert_null(r.end);
	/* the worker serves the next probe */
	release_results(&r);
	assert_int_equal(probe(&r, p, "shapes.py", calls, 1, NULL, 1), 0);
	assert_string_equal(str(r.calls[0], "repr"), "2");
	release_results(&r);
}

static void probe__stops_at_its_limit(void **state)
{
	static const struct call calls[] = {
		{ "spin()", { NULL }, NULL },
		{ "add(2, 2)", { NULL }, NULL },
	};
	struct project *p = *state;
	struct results r;

	write_spec(p, "shapes.py", calls, 2, NULL, 1);
	assert_int_equal(pytest_worker_probe(p->w, p->spec.ptr, p->results.ptr, 0.2), ERR_TIMEOUT);
	assert_contains(error_last(), "limit passed before call 1");
	read_results(&r, p);
	assert_outcome(r.calls[0], "timeout");
	assert_null(r.calls[1]);
	release_results(&r);
}

static void probe__a_random_value_is_unstable(void **state)
{
	static const struct call calls[] = {
		{ "roll()", { NULL }, NULL },
	};
	struct project *p = *state;
	struct results r;

	assert_int_equal(probe(&r, p, "shapes.py", calls, 1, NULL, 3), 0);
	assert_outcome(r.calls[0], "unstable");
	assert_int_equal(json_array_size(json_object_get(r.calls[0], "reprs")), 3);
	assert_null(json_object_get(r.calls[0], "lines"));
	release_results(&r);
}

static void probe__lines_and_arcs_of_a_branchy_function(void **state)
{
	static const struct call calls[] = {
		{ "classify(-1)", { NULL }, NULL },
		{ "classify(7)", { NULL }, NULL },
	};
	struct project *p = *state;
	struct results r;
	int def = line_of("def classify"), test = line_of("if n < 0"), neg = line_of("return 'negative'");
	int elif = line_of("elif n == 0"), pos = line_of("return 'positive'");
	json_t *lines, *arcs;

	assert_int_equal(probe(&r, p, "shapes.py", calls, 2, NULL, 1), 0);
	lines = json_object_get(r.calls[0], "lines");
	arcs = json_object_get(r.calls[0], "arcs");
	assert_true(has_int(lines, test));
	assert_true(has_int(lines, neg));
	assert_false(has_int(lines, elif));
	assert_false(has_int(lines, pos));
	assert_true(has_arc(arcs, -def, test));
	assert_true(has_arc(arcs, test, neg));
	assert_true(has_arc(arcs, neg, -def));
	assert_int_equal(json_array_size(arcs), 3);
	arcs = json_object_get(r.calls[1], "arcs");
	assert_true(has_arc(arcs, test, elif));
	assert_true(has_arc(arcs, elif, pos));
	assert_true(has_arc(arcs, pos, -def));
	assert_false(has_arc(arcs, test, neg));
	release_results(&r);
}

static void probe__mutants_killed_surviving_looping_and_broken(void **state)
{
	static const struct call calls[] = {
		{ "add(1, 2)", { NULL }, NULL },
		{ "add(-1, 1)", { NULL }, NULL },
		{ "classify(5)", { NULL }, NULL },
		{ "classify(0)", { NULL }, NULL },
		{ "roll()", { NULL }, NULL },
	};
	struct project *p = *state;
	struct results r;
	char *mutants[5];
	json_t *m;

	mutants[0] = mutate("return a + b", "return a - b");
	mutants[1] = mutate("return a + b", "return b + a");
	mutants[2] = mutate("        return 'zero'", "        while True:\n            pass");
	mutants[3] = mutate("def add(a, b):", "def add(a, b)");
	mutants[4] = NULL;
	assert_int_equal(probe(&r, p, "shapes.py", calls, 5, (const char *const *)mutants, 2), 0);
	assert_outcome(r.calls[4], "unstable");
	/* a - b: 1 - 2 != 3, but -1 - 1 == -2 != 0 too */
	m = r.mutants[0];
	assert_non_null(m);
	assert_int_equal(json_array_size(json_object_get(m, "killed_by")), 2);
	assert_true(has_int(json_object_get(m, "killed_by"), 0));
	assert_true(has_int(json_object_get(m, "killed_by"), 1));
	assert_int_equal(json_array_size(json_object_get(m, "timeout_by")), 0);
	assert_null(json_object_get(m, "error"));
	/* equivalent: nothing tells it apart (the unstable call is not used) */
	m = r.mutants[1];
	assert_int_equal(json_array_size(json_object_get(m, "killed_by")), 0);
	assert_int_equal(json_array_size(json_object_get(m, "timeout_by")), 0);
	/* classify(0) loops: a timeout, the other calls as they were */
	m = r.mutants[2];
	assert_int_equal(json_array_size(json_object_get(m, "killed_by")), 0);
	assert_int_equal(json_array_size(json_object_get(m, "timeout_by")), 1);
	assert_true(has_int(json_object_get(m, "timeout_by"), 3));
	m = r.mutants[3];
	assert_contains(str(m, "error"), "does not compile: SyntaxError");
	assert_non_null(r.end);
	release_results(&r);
	free(mutants[0]);
	free(mutants[1]);
	free(mutants[2]);
	free(mutants[3]);
}

static void probe__a_big_write_fails_at_the_size_limit(void **state)
{
	static const struct call calls[] = {
		{ "fill(os.path.join(os.environ['HOME'], 'big'), 100 * 1024 * 1024)", { NULL }, NULL },
	};
	struct project *p = *state;
	struct results r;
	struct buf big = BUF_INIT;
	struct stat st;

	/* writing the 16 MB it may takes a while on a busy disk */
	p->call_limit = 20;
	assert_int_equal(probe(&r, p, "shapes.py", calls, 1, NULL, 1), 0);
	p->call_limit = 0;
	assert_outcome(r.calls[0], "raised");
	assert_string_equal(str(r.calls[0], "type"), "OSError");
	assert_contains(str(r.calls[0], "message"), "too large");
	buf_addf(&big, "%s/big", p->scratch.ptr);
	assert_int_equal(stat(big.ptr, &st), 0);
	assert_true(st.st_size <= FSIZE_LIMIT);
	unlink(big.ptr);
	buf_release(&big);
	release_results(&r);
}

static void probe__home_is_the_scratch_directory(void **state)
{
	static const struct call calls[] = {
		{ "home()", { NULL }, NULL },
		{ "tempfile.gettempdir()", { "import tempfile", NULL }, NULL },
	};
	struct project *p = *state;
	struct results r;
	struct buf want = BUF_INIT;

	assert_int_equal(probe(&r, p, "shapes.py", calls, 2, NULL, 1), 0);
	buf_addf(&want, "'%s'", p->scratch.ptr);
	assert_string_equal(str(r.calls[0], "repr"), want.ptr);
	assert_string_equal(str(r.calls[1], "repr"), want.ptr);
	buf_release(&want);
	release_results(&r);
}

static void probe__a_module_of_a_src_layout_and_a_package(void **state)
{
	static const struct call geo[] = {
		{ "area(2, 3)", { NULL }, NULL },
	};
	static const struct call pkg[] = {
		{ "VERSION", { NULL }, NULL },
	};
	struct project *p = *state;
	struct results r;

	assert_int_equal(probe(&r, p, "src/pkg/geo.py", geo, 1, NULL, 1), 0);
	assert_null(r.error);
	assert_string_equal(str(r.module, "name"), "pkg.geo");
	assert_string_equal(str(r.calls[0], "repr"), "60");
	release_results(&r);
	assert_int_equal(probe(&r, p, "src/pkg/__init__.py", pkg, 1, NULL, 1), 0);
	assert_string_equal(str(r.module, "name"), "pkg");
	assert_string_equal(str(r.calls[0], "repr"), "'1.0'");
	release_results(&r);
}

static void probe__an_import_error_is_reported(void **state)
{
	static const struct call calls[] = {
		{ "1", { NULL }, NULL },
	};
	struct project *p = *state;
	struct results r;

	assert_int_equal(probe(&r, p, "broken.py", calls, 1, NULL, 1), 0);
	assert_non_null(r.error);
	assert_contains(str(r.error, "reason"), "cannot import 'broken.py': ModuleNotFoundError");
	assert_contains(str(r.error, "reason"), "nonexistent_dependency_of_broken");
	assert_int_equal(json_array_size(r.lines), 1);
	release_results(&r);
	assert_int_equal(probe(&r, p, "no/such/module.py", calls, 1, NULL, 1), 0);
	assert_contains(str(r.error, "reason"), "no such file");
	release_results(&r);
}

static void probe__a_worker_not_ready_says_so(void **state)
{
	struct pytest_worker_options o = { 0 };
	struct pytest_worker *w = NULL;
	struct project *p = *state;

	o.root = p->dir.ptr;
	o.command = PYTEST_CMD;
	assert_int_equal(pytest_worker_spawn(&w, &o), 0);
	assert_int_equal(pytest_worker_probe(w, p->spec.ptr, p->results.ptr, 1), ERR_GENERIC);
	assert_contains(error_last(), "not collected yet");
	pytest_worker_stop(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(probe__values_and_literal_flags),
		cmocka_unit_test(probe__an_object_gives_its_public_state),
		cmocka_unit_test(probe__raised_and_broken_calls),
		cmocka_unit_test(probe__a_loop_times_out_and_the_next_calls_run),
		cmocka_unit_test(probe__a_hang_in_c_ends_the_child_results_kept),
		cmocka_unit_test(probe__stops_at_its_limit),
		cmocka_unit_test(probe__a_random_value_is_unstable),
		cmocka_unit_test(probe__lines_and_arcs_of_a_branchy_function),
		cmocka_unit_test(probe__mutants_killed_surviving_looping_and_broken),
		cmocka_unit_test(probe__a_big_write_fails_at_the_size_limit),
		cmocka_unit_test(probe__home_is_the_scratch_directory),
		cmocka_unit_test(probe__a_module_of_a_src_layout_and_a_package),
		cmocka_unit_test(probe__an_import_error_is_reported),
		cmocka_unit_test(probe__a_worker_not_ready_says_so),
	};
	return cmocka_run_group_tests(tests, setup_group, teardown_group);
}
