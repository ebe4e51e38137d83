#include "gen/generate.h"

#include "edit/change.h"
#include "engine/engine.h"
#include "gen/emit.h"
#include "gen/quality.h"
#include "gen/facts.h"
#include "gen/llmgen.h"
#include "gen/mutscore.h"
#include "gen/search.h"
#include "gen/state.h"
#include "gen/trust.h"
#include "project/project.h"
#include "pyast/pyast.h"
#include "runner/probe.h"
#include "runner/pytest.h"
#include "runner/worker.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/sig.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* the source of a module we generate for, at most */
#define GEN_MAX_SOURCE (2u << 20)
/* calls sampled per function in a round: the first, then the later ones */
#define GEN_FIRST_ROUND 10
#define GEN_LATER_ROUND 8
/* rounds with nothing new before a function is left alone */
#define GEN_STALE_ROUNDS 2
#define GEN_MAX_ROUNDS 13
/* share of the budget the search may use; the rest is for mutants and the gates */
#define GEN_SEARCH_SHARE 0.45
/* the probe of one batch, at most (seconds past the calls' own limits) */
#define GEN_PROBE_SLACK 30.0
/* calls of a function that hang (time out, or end a probe) before it is left alone */
#define GEN_MAX_CRASHES 2
/* passes of the mutation-guided search, and passes without a kill before it stops */
#define GEN_MUTANT_PASSES 8
#define GEN_IDLE_PASSES 2
/* share of the budget kept for the gates */
#define GEN_TRUST_SHARE 0.2
/* rounds of trust: reject, write again, check again */
#define GEN_TRUST_ROUNDS 3

struct ctx {
	const struct gen_options *o;
	struct gen_result *r;
	struct buf root, tmp, work, scratch, rel, spec, results;
	struct gen_facts facts;
	struct gen_calls calls;
	struct pytest_worker *worker;
	double started, budget;
	int *crashes;      /* per function */
	int *callable;     /* per function: 1 when a test may call it */
	struct gen_pools *pools;
	struct gen_rng rng;
	struct gen_state state;    /* the checklist beside the generated file */
	struct buf state_path;
	int *settled;              /* per function: its tests passed and its code is the same */
	struct strvec carried;     /* names of the test functions kept from the file as it is */
	struct buf carried_text;   /* their text */
	struct strvec rejected_fn; /* per rejected note: the function its test was of */
	int *mutant_lines;         /* per mutant: the first and last line it changes (0, 0: anywhere) */
	size_t builtin_rejected;   /* r->rejected's entries of the built-in pass (the model's come after) */
	struct strvec model_carried; /* the model's tests carried over as they are (also in `carried`) */
	size_t model_kept;         /* the model's tests kept in the file */
	char *source;
	size_t source_len;
	struct strvec mut_src;     /* the mutants' whole texts of the module */
	struct strvec mut_ops;     /* ... and their operators */
	int *probe_killed;         /* per mutant: 1 when a kept call of the probe told it apart */
	int *probe_errors;         /* per mutant: 1 when the probe could not load it */
	size_t probe_n;            /* the mutants the two above are of (0: no probe of mutants) */
};

void gen_result_release(struct gen_result *r)
{
	size_t i;

	free(r->module_path);
	free(r->module_name);
	free(r->out_path);
	free(r->text);
	strvec_clear(&r->kept);
	strvec_clear(&r->unchanged);
	for (i = 0; i < r->nskipped; i++) {
		free(r->skipped[i].what);
		free(r->skipped[i].reason);
	}
	free(r->skipped);
	for (i = 0; i < r->nrejected; i++) {
		free(r->rejected[i].what);
		free(r->rejected[i].reason);
	}
	free(r->rejected);
	for (i = 0; i < r->nfindings; i++) {
		free(r->findings[i].what);
		free(r->findings[i].reason);
	}
	free(r->findings);
	for (i = 0; i < r->noperators; i++)
		free(r->operators[i].name);
	free(r->operators);
	strvec_clear(&r->decisions);
	gen_llm_result_release(&r->llm);
	gen_coverage_release(&r->coverage);
	free(r->report_path);
	memset(r, 0, sizeof(*r));
}

static void note_add(struct gen_note **list, size_t *nr, const char *what, const char *reason)
{
	*list = xrealloc(*list, (*nr + 1) * sizeof(**list));
	(*list)[*nr].what = xstrdup(what);
	(*list)[*nr].reason = xstrdup(reason);
	(*nr)++;
}

/* ---- the module ---------------------------------------------------------- */

static int is_python_file(const char *root, const char *rel)
{
	struct buf p = BUF_INIT;
	int ok;

	buf_addf(&p, "%s/%s", root, rel);
	ok = fs_is_file(p.ptr);
	buf_release(&p);
	return ok;
}

int gen_resolve_module(struct buf *out, const char *root, const char *module)
{
	struct buf dotted = BUF_INIT, tried = BUF_INIT, c = BUF_INIT;
	static const char *const prefixes[] = { "", "src/", "lib/", NULL };
	size_t i, n = strlen(module);
	int err = 0;

	if (!n || memchr(module, '\0', n) != NULL)
		return error_setc(ERR_USAGE, "an empty module name");
	/* a path as given */
	if (n > 3 && !strcmp(module + n - 3, ".py")) {
		char *rel = NULL;
		struct buf abs = BUF_INIT, real = BUF_INIT;
		if (module[0] == '/')
			buf_adds(&abs, module);
		else
			buf_addf(&abs, "%s/%s", root, module);
		if (fs_realpath(&real, abs.ptr) < 0 || !fs_is_file(real.ptr)) {
			err = error_setc(ERR_USAGE, "no module '%s': no such file under '%s'", module, root);
		} else if (!(rel = fs_relative_to(real.ptr, root))) {
			err = error_setc(ERR_USAGE, "the module '%s' is not inside the project '%s'", module, root);
		} else if (!project_path_is_source(rel)) {
			err = error_setc(ERR_USAGE, "'%s' is not the project's own code (installed or generated)", module);
		} else
			buf_adds(out, rel);
		free(rel);
		buf_release(&abs);
		buf_release(&real);
		return err;
	}
	/* a dotted name: pkg.util -> pkg/util.py or pkg/util/__init__.py, under a few roots */
	for (i = 0; i < n; i++) {
		char ch = module[i];
		if (ch == '.')
			buf_addch(&dotted, '/');
		else if (ch == '/' || ch == '\\' || ch == ' ')
			break;
		else
			buf_addch(&dotted, ch);
	}
	if (i < n || dotted.ptr[0] == '/' || strstr(dotted.ptr, "//")) {
		buf_release(&dotted);
		return error_setc(ERR_USAGE, "'%s' is neither a .py file nor a dotted module name", module);
	}
	for (i = 0; prefixes[i]; i++) {
		buf_reset(&c);
		buf_addf(&c, "%s%s.py", prefixes[i], dotted.ptr);
		if (is_python_file(root, c.ptr))
			break;
		buf_addf(&tried, "%s'%s'", tried.len ? ", " : "", c.ptr);
		buf_reset(&c);
		buf_addf(&c, "%s%s/__init__.py", prefixes[i], dotted.ptr);
		if (is_python_file(root, c.ptr))
			break;
		buf_addf(&tried, ", '%s'", c.ptr);
	}
	if (!prefixes[i])
		err = error_setc(ERR_USAGE, "no module '%s' in '%s' (tried %s)", module, root, tried.ptr);
	else
		buf_adds(out, c.ptr);
	buf_release(&dotted);
	buf_release(&tried);
	buf_release(&c);
	return err;
}

/* tests/test_<last component>_generated.py */
static void default_out(struct buf *out, const char *rel)
{
	const char *base = strrchr(rel, '/');
	size_t n;

	base = base ? base + 1 : rel;
	if (!strcmp(base, "__init__.py")) {
		/* the package's name */
		const char *end = strrchr(rel, '/'), *start = end;
		while (start > rel && start[-1] != '/')
			start--;
		buf_addf(out, "tests/test_%.*s_generated.py", (int)(end - start), start);
		return;
	}
	n = strlen(base) - 3;
	buf_addf(out, "tests/test_%.*s_generated.py", (int)n, base);
}

/* ---- the probe ----------------------------------------------------------- */

static double remaining(const struct ctx *c)
{
	return c->budget - (clock_monotonic() - c->started);
}

/* a warm worker of the private copy that collects `path` */
static int worker_for(struct pytest_worker **out, const struct ctx *c, const char *path)
{
	struct pytest_worker_options wo = { 0 };
	struct strvec paths = STRVEC_INIT;
	int err;

	strvec_push(&paths, path);
	wo.root = c->work.ptr;
	wo.venv_root = c->root.ptr;
	wo.command = c->o->pytest_cmd;
	wo.choice = c->o->choice;
	wo.paths = &paths;
	wo.test_timeout = PYTEST_DEFAULT_TEST_TIMEOUT;
	err = pytest_worker_start(out, &wo);
	strvec_clear(&paths);
	return err;
}

static int start_worker(struct ctx *c)
{
	int err = worker_for(&c->worker, c, c->rel.ptr);

	if (err < 0 && err != ERR_INTERRUPTED && err != ERR_NOTFOUND)
		err = error_prefix(err, "cannot start a test worker for '%s'", c->rel.ptr);
	return err;
}

/*
 * Probe calls [from, to) (and `mutants` against them) until each has an
 * outcome: a call that ends the probe (a hang in C code, a crash) is marked
 * and the probe goes on after it, in a worker started again if need be.
 */
static int probe(struct ctx *c, size_t from, size_t to, const struct strvec *mutants, const int *lines,
		 struct gen_probe_info *info, double call_limit, double max_seconds)
{
	struct gen_probe_options po;
	size_t at = from;
	int err = 0;

	po.module = c->rel.ptr;
	po.scratch = c->scratch.ptr;
	po.call_limit = call_limit;
	po.repeat = 2;
	/* once at least: an empty range still says the module's name */
	for (int first = 1; (first || at < to) && !err; first = 0) {
		long crashed = -1;
		double limit = (double)(to - at) * call_limit * (mutants ? (double)mutants->nr + 2 : 3) +
			       GEN_PROBE_SLACK;
		int got;

		if (max_seconds > 0 && limit > max_seconds)
			limit = max_seconds;
		if (sig_pending())
			return ERR_INTERRUPTED;
		if (!c->worker && (err = start_worker(c)) < 0)
			break;
		if ((err = gen_probe_spec(c->spec.ptr, &po, &c->calls, at, to, mutants, lines)) < 0)
			break;
		unlink(c->results.ptr);
		got = pytest_worker_probe(c->worker, c->spec.ptr, c->results.ptr, limit);
		if (got == ERR_INTERRUPTED)
			return got;
		if (got < 0 && got != ERR_TIMEOUT) {
			err = error_prefix(got, "cannot probe '%s'", c->rel.ptr);
			break;
		}
		error_clear();
		if ((err = gen_probe_read(info, &c->calls, at, to, c->results.ptr, &crashed)) < 0) {
			if (got == ERR_TIMEOUT && !fs_is_file(c->results.ptr))
				err = error_setc(ERR_GENERIC, "the probe of '%s' ended before it wrote anything",
						 c->rel.ptr);
			break;
		}
		if (got == 0 || crashed < 0 || at >= to)
			break;
		/* the call that ended it: marked, and the rest probed again */
		c->calls.items[crashed].outcome = GEN_OUT_CRASHED;
		c->crashes[c->calls.items[crashed].function]++;
		log_debug("generate: a call ended the probe: %s", c->calls.items[crashed].expr);
		at = (size_t)crashed + 1;
		if (!mutants)
			continue;
		/* against mutants: the remaining calls' results for the mutants are lost; stop there */
		break;
	}
	return err;
}

/* ---- the search ---------------------------------------------------------- */

static int is_good(const struct gen_call *call)
{
	return call->outcome == GEN_OUT_VALUE || call->outcome == GEN_OUT_RAISED;
}

/* a new exception type for its function among the kept calls */
static int new_raise(const struct ctx *c, size_t i)
{
	const struct gen_call *call = &c->calls.items[i];
	size_t k;

	if (call->outcome != GEN_OUT_RAISED || !call->type)
		return 0;
	for (k = 0; k < c->calls.nr; k++) {
		const struct gen_call *d = &c->calls.items[k];
		if (k != i && d->kept && d->function == call->function && d->outcome == GEN_OUT_RAISED &&
		    d->type && !strcmp(d->type, call->type))
			return 0;
	}
	return 1;
}

static int search(struct ctx *c, struct gen_cover_set *seen, struct gen_probe_info *info)
{
	const struct gen_facts *f = &c->facts;
	struct gen_pools *pools = c->pools = gen_pools_new(f);
	int *stale = xcalloc(f->nfunctions ? f->nfunctions : 1, sizeof(int));
	int *callable = c->callable = xcalloc(f->nfunctions ? f->nfunctions : 1, sizeof(int));
	double search_budget = c->budget * GEN_SEARCH_SHARE;
	size_t fi, round;
	int err = 0;

	gen_rng_seed(&c->rng, c->o->seed);
	for (fi = 0; fi < f->nfunctions; fi++) {
		struct buf why = BUF_INIT;
		callable[fi] = gen_callable(f, fi, c->o->allow_side_effects, &why);
		if (callable[fi] && c->settled[fi]) {
			callable[fi] = 0;   /* its tests are kept as they are */
			buf_release(&why);
			continue;
		}
		if (!callable[fi] && !f->functions[fi].is_private)
			note_add(&c->r->skipped, &c->r->nskipped, f->functions[fi].qualname, why.ptr);
		buf_release(&why);
	}
	for (round = 0; round < GEN_MAX_ROUNDS && !err; round++) {
		size_t from = c->calls.nr, i;
		int any = 0;

		if (clock_monotonic() - c->started > search_budget || c->calls.nr >= GEN_MAX_CALLS)
			break;
		for (fi = 0; fi < f->nfunctions; fi++) {
			/*
			 * a function whose coverage is saturated is still sampled:
			 * its new calls may tell mutants apart (judged after the search)
			 */
			if (!callable[fi] || c->crashes[fi] >= GEN_MAX_CRASHES ||
			    (stale[fi] >= GEN_STALE_ROUNDS && round % 2))
				continue;
			/*
			 * round 0 is a pilot, one call each: a function that hangs
			 * costs one time limit there, and one call a round after
			 */
			gen_sample(&c->calls, f, pools, fi,
				   round == 0 || c->crashes[fi] ? 1 : round == 1 ? GEN_FIRST_ROUND : GEN_LATER_ROUND,
				   &c->rng);
		}
		if (c->calls.nr == from && round)
			break;
		if ((err = probe(c, from, c->calls.nr, NULL, NULL, info, c->o->call_limit, 0)) < 0 ||
		    c->calls.nr == from)
			break;
		/* a function whose calls run out of time is left alone after a few */
		for (i = from; i < c->calls.nr; i++)
			if (c->calls.items[i].outcome == GEN_OUT_TIMEOUT)
				c->crashes[c->calls.items[i].function]++;
		/* keep what reaches something new, in the order sampled */
		{
			int *news = xcalloc(f->nfunctions ? f->nfunctions : 1, sizeof(int));
			for (i = from; i < c->calls.nr; i++) {
				struct gen_call *call = &c->calls.items[i];
				if (!is_good(call))
					continue;
				if (gen_cover_adds(seen, call, 1) || new_raise(c, i)) {
					call->kept = 1;
					news[call->function] = 1;
					any = 1;
				}
			}
			for (fi = 0; fi < f->nfunctions; fi++)
				stale[fi] = news[fi] ? 0 : stale[fi] + 1;
			free(news);
		}
		gen_pools_learn(pools, f, &c->calls);
		log_debug("generate: round %zu: %zu calls, %zu lines reached", round, c->calls.nr,
			  gen_cover_lines(seen));
		{
			size_t kept = 0;
			for (i = from; i < c->calls.nr; i++)
				kept += c->calls.items[i].kept;
			strvec_pushf(&c->r->decisions, "search round %zu: %zu calls sampled, %zu kept for new lines, "
				     "branches or exception types; %zu lines reached so far", round,
				     c->calls.nr - from, kept, gen_cover_lines(seen));
		}
		(void)any;
	}
	free(stale);
	return err;
}

/* ---- mutants ------------------------------------------------------------- */

/*
 * The lines of the original a mutant changes, from the first statement it
 * touches (a call that runs a statement runs its first line) to the last
 * line that differs; 0, 0 when the change is outside every function body
 * (it acts on import: every call may see it).
 */
static void changed_lines(int out[2], const struct ctx *c, const char *text, size_t len)
{
	const char *src = c->source;
	size_t n = c->source_len, pre = 0, suf = 0, k, end;
	int first = 1, last, fl, ll;
	struct pyast *ast = NULL;

	out[0] = out[1] = 0;
	while (pre < n && pre < len && src[pre] == text[pre])
		pre++;
	while (suf < n - pre && suf < len - pre && src[n - 1 - suf] == text[len - 1 - suf])
		suf++;
	/* the original's changed bytes are [pre, n - suf): an insertion changes none */
	end = n - suf > pre ? n - suf - 1 : pre;
	for (k = 0; k < pre && k < n; k++)
		first += src[k] == '\n';
	last = first;
	for (k = pre; k < end && k < n; k++)
		last += src[k] == '\n';
	if (pyast_parse(&ast, src, n) == 0) {
		if (pyast_statement_at(ast, first, &fl, &ll))
			first = fl;
		pyast_free(ast);
	}
	for (k = 0; k < c->facts.nfunctions; k++) {
		const struct gen_function *fn = &c->facts.functions[k];
		/* inside a body, not its def line or decorators */
		if (first > fn->start_line && last <= fn->end_line) {
			out[0] = first;
			out[1] = last;
			return;
		}
	}
}

/*
 * The module's own constants, off by one (UNIT_STEP = 1024 -> 1023, 1025):
 * the function mutants never touch module-level code, and a boundary kept
 * in a constant is one a test should pin down.
 */
static void constant_mutants(struct ctx *c, struct strvec *sources, struct strvec *ops)
{
	struct pyast *ast = NULL;
	const struct pyast_node *st;

	if (pyast_parse(&ast, c->source, c->source_len) < 0)
		return;
	for (st = pyast_root(ast)->child; st && sources->nr < GEN_MAX_MUTANTS; st = st->next) {
		const struct pyast_node *a = pyast_named_child(st, 0), *l, *r;
		long long v;
		char *end, *text;
		size_t len;
		int d;
		if (!pyast_is(st, "expression_statement") || !a || !pyast_is(a, "assignment") ||
		    !(l = pyast_field(a, "left")) || !pyast_is(l, "identifier") || !(r = pyast_field(a, "right")) ||
		    !pyast_is(r, "integer"))
			continue;
		{
			const char *lit = pyast_text(ast, r, &len);
			text = xstrndup(lit, len);
		}
		v = strtoll(text, &end, 10);
		if (*end || v < -1000000000LL || v > 1000000000LL) {
			free(text);
			continue;
		}
		for (d = -1; d <= 1; d += 2) {
			struct buf m = BUF_INIT;
			buf_add(&m, c->source, r->start);
			buf_addf(&m, "%lld", v + d);
			buf_add(&m, c->source + r->end, c->source_len - r->end);
			c->mutant_lines = xrealloc(c->mutant_lines, 2 * (sources->nr + 1) * sizeof(int));
			c->mutant_lines[2 * sources->nr] = c->mutant_lines[2 * sources->nr + 1] = 0;
			strvec_push(sources, m.ptr);
			strvec_push(ops, "const-tweak");
			buf_release(&m);
		}
		free(text);
	}
	pyast_free(ast);
}

static int mutants_of(struct ctx *c, struct strvec *sources, struct strvec *ops)
{
	struct candidate_list cands = CANDIDATE_LIST_INIT;
	size_t i;
	int err;

	if ((err = engine_mutants(&cands, c->work.ptr, c->rel.ptr, GEN_MAX_MUTANTS)) < 0) {
		log_debug("generate: no mutants of '%s': %s", c->rel.ptr, error_last());
		error_clear();
		return 0;
	}
	for (i = 0; i < cands.nr; i++) {
		const struct change *ch = &cands.items[i].change;
		struct buf text = BUF_INIT;
		if (ch->nr != 1 || strcmp(ch->edits[0].path, c->rel.ptr) ||
		    file_edit_compute(&text, &ch->edits[0], c->source, c->source_len) < 0) {
			error_clear();
			buf_release(&text);
			continue;
		}
		c->mutant_lines = xrealloc(c->mutant_lines, 2 * (sources->nr + 1) * sizeof(int));
		changed_lines(&c->mutant_lines[2 * sources->nr], c, text.ptr, text.len);
		strvec_push(sources, text.ptr);
		strvec_push(ops, cands.items[i].template_name ? cands.items[i].template_name : "mutant");
		buf_release(&text);
	}
	candidate_list_release(&cands);
	constant_mutants(c, sources, ops);
	return 0;
}

static struct gen_operator_score *operator_of(struct gen_result *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->noperators; i++)
		if (!strcmp(r->operators[i].name, name))
			return &r->operators[i];
	r->operators = xrealloc(r->operators, (r->noperators + 1) * sizeof(*r->operators));
	memset(&r->operators[r->noperators], 0, sizeof(*r->operators));
	r->operators[r->noperators].name = xstrdup(name);
	return &r->operators[r->noperators++];
}

/*
 * Mutation-guided search: while mutants survive every call and time is
 * left, sample more calls and run them against the survivors only. Stops
 * after GEN_IDLE_PASSES passes that tell none apart.
 */
static int hunt_survivors(struct ctx *c, const struct strvec *sources, struct gen_probe_info *info,
			  double limit)
{
	struct gen_calls *calls = &c->calls;
	int pass, idle = 0, err = 0;

	for (pass = 0; pass < GEN_MUTANT_PASSES && idle < GEN_IDLE_PASSES && !err; pass++) {
		struct strvec subset = STRVEC_INIT;
		struct gen_probe_info sub;
		int *killed = xcalloc(sources->nr, sizeof(int));
		int *sublines = xcalloc(2 * sources->nr, sizeof(int));
		size_t *map = xcalloc(sources->nr, sizeof(size_t)), ns = 0, from = calls->nr, i, k, fi;
		double left = remaining(c) - c->budget * GEN_TRUST_SHARE;

		for (i = 0; i < calls->nr; i++)
			for (k = 0; k < calls->items[i].nkills; k++)
				killed[calls->items[i].kills[k]] = 1;
		for (i = 0; i < sources->nr; i++)
			if (info->mutant_done[i] && !info->mutant_errors[i] && !killed[i]) {
				sublines[2 * ns] = c->mutant_lines[2 * i];
				sublines[2 * ns + 1] = c->mutant_lines[2 * i + 1];
				map[ns++] = i;
				strvec_push(&subset, sources->v[i]);
			}
		free(killed);
		if (!ns || left < 2 || calls->nr >= GEN_MAX_CALLS) {
			free(map);
			free(sublines);
			strvec_clear(&subset);
			break;
		}
		for (fi = 0; fi < c->facts.nfunctions; fi++)
			if (c->callable[fi] && c->crashes[fi] < GEN_MAX_CRASHES)
				gen_sample(calls, &c->facts, c->pools, fi, GEN_LATER_ROUND, &c->rng);
		if (calls->nr == from) {
			free(map);
			free(sublines);
			strvec_clear(&subset);
			break;
		}
		memset(&sub, 0, sizeof(sub));
		strvec_init(&sub.lines);
		sub.nmutants = ns;
		sub.mutant_timeouts = xcalloc(ns, sizeof(size_t));
		sub.mutant_errors = xcalloc(ns, sizeof(int));
		sub.mutant_done = xcalloc(ns, sizeof(int));
		err = probe(c, from, calls->nr, &subset, sublines, &sub, limit, left);
		idle++;
		for (i = from; i < calls->nr; i++) {
			struct gen_call *call = &calls->items[i];
			for (k = 0; k < call->nkills; k++)
				call->kills[k] = (int)map[call->kills[k]];
			if (call->nkills)
				idle = 0;
		}
		for (i = 0; i < ns; i++)
			info->mutant_timeouts[map[i]] += sub.mutant_timeouts[i];
		log_debug("generate: survivors' pass %d: %zu of them, %zu new calls", pass, ns, calls->nr - from);
		strvec_pushf(&c->r->decisions, "mutation pass %d: %zu mutants survived every call; %zu new calls "
			     "run against them%s", pass + 1, ns, calls->nr - from,
			     idle ? ", none told one apart" : "");
		gen_probe_info_release(&sub);
		free(map);
		free(sublines);
		strvec_clear(&subset);
		if (err < 0) {
			log_debug("generate: the survivors' probe failed: %s", error_last());
			error_clear();
			err = err == ERR_INTERRUPTED ? err : 0;
			break;
		}
	}
	return err;
}

/*
 * Run the good calls against the mutants; keep more calls to kill those
 * only unkept calls kill; then the smallest set that keeps every line,
 * branch, exception type and killed mutant (greedy set cover).
 */
static int mutate_and_minimise(struct ctx *c, struct gen_probe_info *info)
{
	struct strvec sources = STRVEC_INIT, ops = STRVEC_INIT;
	struct gen_calls *calls = &c->calls;
	size_t i, k, good = 0;
	int *killed = NULL, err = 0;
	double slowest = 0, limit;

	for (i = 0; i < calls->nr; i++)
		if (is_good(&calls->items[i])) {
			good++;
			if (calls->items[i].seconds > slowest)
				slowest = calls->items[i].seconds;
		}
	if (good && remaining(c) > c->budget * 0.3)
		mutants_of(c, &sources, &ops);
	if (sources.nr) {
		/* the good calls first (their order kept), probed again with the mutants */
		struct gen_call *sorted = xcalloc(calls->nr, sizeof(*sorted));
		size_t n = 0, m = good;
		double left = remaining(c) * 0.6;
		for (i = 0; i < calls->nr; i++)
			sorted[is_good(&calls->items[i]) ? n++ : m++] = calls->items[i];
		memcpy(calls->items, sorted, calls->nr * sizeof(*sorted));
		free(sorted);
		info->nmutants = sources.nr;
		info->mutant_timeouts = xcalloc(sources.nr, sizeof(size_t));
		info->mutant_errors = xcalloc(sources.nr, sizeof(int));
		info->mutant_done = xcalloc(sources.nr, sizeof(int));
		limit = slowest * 20 + 0.2;
		if (limit > c->o->call_limit)
			limit = c->o->call_limit;
		err = probe(c, 0, n, &sources, c->mutant_lines, info, limit, left > 5 ? left : 5);
		if (err < 0) {
			log_debug("generate: the mutants' probe failed: %s", error_last());
			error_clear();
			err = 0;
		}
	}
	if (sources.nr) {
		size_t told = 0;
		for (i = 0; i < sources.nr; i++) {
			int hit = 0;
			for (k = 0; k < calls->nr && !hit; k++) {
				size_t j;
				for (j = 0; j < calls->items[k].nkills && !hit; j++)
					hit = calls->items[k].kills[j] == (int)i;
			}
			told += hit;
		}
		strvec_pushf(&c->r->decisions, "%zu mutants of the module (the built-in engine's operators), each "
			     "run with the calls that reach the lines it changes: %zu told apart", sources.nr, told);
		err = hunt_survivors(c, &sources, info, limit);
	}
	/* the set cover: universe = cover, (function, raised type) and kills of every good call */
	{
		struct gen_cover_set *need = gen_cover_set_new(), *have = gen_cover_set_new();
		int *pick = xcalloc(calls->nr ? calls->nr : 1, sizeof(int));
		killed = xcalloc(sources.nr ? sources.nr : 1, sizeof(int));
		for (i = 0; i < calls->nr; i++) {
			struct gen_call *call = &calls->items[i];
			if (!is_good(call))
				continue;
			if (call->kept || call->nkills)
				gen_cover_adds(need, call, 1);
		}
		for (;;) {
			size_t best = (size_t)-1, best_gain = 0;
			for (i = 0; i < calls->nr; i++) {
				struct gen_call *call = &calls->items[i];
				size_t gain = 0;
				if (pick[i] || !is_good(call) || !(call->kept || call->nkills))
					continue;
				for (k = 0; k < call->ncover; k++) {
					struct gen_call one = { 0 };
					one.cover = &call->cover[k];
					one.ncover = 1;
					gain += gen_cover_adds(have, &one, 0);
				}
				for (k = 0; k < call->nkills; k++)
					gain += !killed[call->kills[k]] ? 4 : 0;
				if (call->outcome == GEN_OUT_RAISED && call->kept && new_raise(c, i))
					gain += 1;
				if (gain > best_gain) {
					best_gain = gain;
					best = i;
				}
			}
			if (best == (size_t)-1)
				break;
			pick[best] = 1;
			gen_cover_adds(have, &calls->items[best], 1);
			for (k = 0; k < calls->items[best].nkills; k++)
				killed[calls->items[best].kills[k]] = 1;
		}
		/* each exception type of a function keeps one test */
		for (i = 0; i < calls->nr; i++) {
			struct gen_call *call = &calls->items[i];
			size_t j;
			int has = 0;
			if (pick[i] || !call->kept || call->outcome != GEN_OUT_RAISED)
				continue;
			for (j = 0; j < calls->nr && !has; j++)
				has = pick[j] && calls->items[j].function == call->function &&
				      calls->items[j].outcome == GEN_OUT_RAISED && calls->items[j].type &&
				      call->type && !strcmp(calls->items[j].type, call->type);
			if (!has)
				pick[i] = 1;
		}
		{
			size_t n = 0;
			for (i = 0; i < calls->nr; i++)
				n += calls->items[i].kept = pick[i];
			strvec_pushf(&c->r->decisions, "minimised: %zu calls keep every line, branch, exception type "
				     "and mutant told apart", n);
		}
		free(pick);
		gen_cover_set_free(need);
		gen_cover_set_free(have);
	}
	/*
	 * what the probe's kept calls told apart: for the search and to compare
	 * with the file's run (score_file()), not the reported score
	 */
	{
		size_t told = 0;
		c->probe_errors = xcalloc(sources.nr ? sources.nr : 1, sizeof(int));
		for (i = 0; i < sources.nr; i++) {
			c->probe_errors[i] = info->mutant_done && info->mutant_done[i] && info->mutant_errors[i];
			told += killed[i] && !c->probe_errors[i];
		}
		if (sources.nr)
			strvec_pushf(&c->r->decisions, "the kept calls tell %zu of the %zu mutants apart in the probe "
				     "(%zu probed); the score below is the written file's", told, sources.nr,
				     info->mutants_run);
	}
	c->probe_killed = killed;
	c->probe_n = sources.nr;
	c->mut_src = sources;
	c->mut_ops = ops;
	return err;
}

/* ---- the gates and the file ------------------------------------------------ */

/* `text` to `path`, atomically, its directories made */
static int write_file(const char *path, const struct buf *text)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int err = 0;

	if (slash && slash != dir) {
		*slash = '\0';
		err = fs_mkdir_p(dir, 0755);
	}
	free(dir);
	return err < 0 ? err : fs_write_atomic(path, text->ptr, text->len, 0644);
}

static int call_of_name(const struct gen_emitted *e, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < e->ids.nr; i++)
		if (!strncmp(e->ids.v[i], name, n) && (e->ids.v[i][n] == '\0' || e->ids.v[i][n] == '['))
			return (int)i;
	return -1;
}

static int write_and_trust(struct ctx *c, struct buf *text, struct gen_emitted *emitted)
{
	struct gen_emit_options eo;
	struct buf path = BUF_INIT;
	int round, err = 0;

	eo.module_name = c->r->module_name;
	eo.module_path = c->rel.ptr;
	eo.seed = c->o->seed;
	eo.carried = c->carried_text.len ? c->carried_text.ptr : NULL;
	buf_addf(&path, "%s/%s", c->work.ptr, c->r->out_path);
	for (round = 0; round < GEN_TRUST_ROUNDS; round++) {
		struct strvec reasons = STRVEC_INIT, names = STRVEC_INIT, why = STRVEC_INIT;
		struct gen_trust_options to;
		size_t i, dropped = 0;

		buf_reset(text);
		gen_emitted_release(emitted);
		memset(emitted, 0, sizeof(*emitted));
		strvec_init(&emitted->ids);
		strvec_init(&emitted->names);
		gen_emit(text, emitted, &c->facts, &c->calls, &eo);
		if (!emitted->ids.nr)
			break;
		/* the static gate first */
		gen_trust_assertions(&names, &why, text->ptr, text->len);
		for (i = 0; i < names.nr; i++) {
			int k = call_of_name(emitted, names.v[i]);
			for (; k >= 0 && (size_t)k < emitted->ids.nr; k++) {
				size_t n = strlen(names.v[i]);
				if (strncmp(emitted->ids.v[k], names.v[i], n) ||
				    (emitted->ids.v[k][n] && emitted->ids.v[k][n] != '['))
					break;
				c->calls.items[emitted->call[k]].kept = 0;
				note_add(&c->r->rejected, &c->r->nrejected, emitted->ids.v[k], why.v[i]);
				strvec_push(&c->rejected_fn,
					    c->facts.functions[c->calls.items[emitted->call[k]].function].qualname);
				dropped++;
			}
		}
		strvec_clear(&names);
		strvec_clear(&why);
		if (dropped)
			continue;
		if ((err = write_file(path.ptr, text)) < 0)
			break;
		memset(&to, 0, sizeof(to));
		to.root = c->work.ptr;
		to.venv_root = c->root.ptr;
		to.pytest_cmd = c->o->pytest_cmd;
		to.choice = c->o->choice;
		to.file = c->r->out_path;
		to.ids = &emitted->ids;
		to.runs = GEN_TRUST_RUNS;
		to.seed = c->o->seed;
		if ((err = gen_trust_run(&reasons, &to)) < 0) {
			strvec_clear(&reasons);
			break;
		}
		for (i = 0; i < reasons.nr; i++) {
			if (!*reasons.v[i])
				continue;
			c->calls.items[emitted->call[i]].kept = 0;
			note_add(&c->r->rejected, &c->r->nrejected, emitted->ids.v[i], reasons.v[i]);
			strvec_push(&c->rejected_fn,
				    c->facts.functions[c->calls.items[emitted->call[i]].function].qualname);
			dropped++;
		}
		strvec_clear(&reasons);
		strvec_pushf(&c->r->decisions, "gates, round %d: %zu tests run once in order, %d times shuffled and "
			     "%d times alone: %zu rejected", round + 1, emitted->ids.nr, GEN_TRUST_RUNS - 1,
			     GEN_TRUST_RUNS, dropped);
		if (!dropped)
			break;
	}
	buf_release(&path);
	return err;
}

static int model_round(struct ctx *c, struct buf *text, const struct gen_emitted *emitted,
		       const struct gen_probe_info *info);

static void tally(struct ctx *c, const struct gen_emitted *emitted, const struct gen_probe_info *info)
{
	struct gen_cover_set *reached = gen_cover_set_new();
	int *tested = xcalloc(c->facts.nfunctions ? c->facts.nfunctions : 1, sizeof(int));
	size_t i;

	for (i = 0; i < emitted->ids.nr; i++) {
		const struct gen_call *call = &c->calls.items[emitted->call[i]];
		strvec_pushf(&c->r->kept, "%s::%s", c->r->out_path, emitted->ids.v[i]);
		gen_cover_adds(reached, call, 1);
		tested[call->function] = 1;
	}
	for (i = 0; i < c->facts.nfunctions; i++) {
		c->r->functions_tested += tested[i];
		c->r->functions += !c->facts.functions[i].is_private;
	}
	c->r->calls_tried = c->calls.nr;
	c->r->calls_kept = emitted->ids.nr;
	c->r->lines = info->lines.nr;
	/* lines run on import (defs, module code) count as reached, as coverage counts them */
	{
		struct pyast *ast = NULL;
		if (pyast_parse(&ast, c->source, c->source_len) == 0) {
			for (i = 0; i < info->lines.nr; i++) {
				int line = (int)strtol(info->lines.v[i], NULL, 10);
				const struct pyast_node *def = NULL;
				int in_body = 0;
				while (!in_body && (def = pyast_next(ast, def, "function_definition", 0, 0))) {
					const struct pyast_node *body = pyast_field(def, "body");
					in_body = body && line >= body->start_line && line <= body->end_line;
				}
				if (!in_body) {
					struct gen_call one = { 0 };
					uint64_t x = (uint64_t)line;
					one.cover = &x;
					one.ncover = 1;
					gen_cover_adds(reached, &one, 1);
				}
			}
			pyast_free(ast);
		}
	}
	c->r->lines_reached = gen_cover_lines(reached);
	/* what the calls said about functions: nondeterminism, hangs */
	for (i = 0; i < c->facts.nfunctions; i++) {
		size_t k, unstable = 0, hung = 0;
		for (k = 0; k < c->calls.nr; k++) {
			const struct gen_call *call = &c->calls.items[k];
			if (call->function != (int)i)
				continue;
			unstable += call->outcome == GEN_OUT_UNSTABLE;
			hung += call->outcome == GEN_OUT_TIMEOUT || call->outcome == GEN_OUT_CRASHED;
		}
		if (unstable) {
			struct buf why = BUF_INIT;
			buf_addf(&why, "nondeterministic: %zu call%s gave different results when repeated",
				 unstable, unstable == 1 ? "" : "s");
			note_add(&c->r->findings, &c->r->nfindings, c->facts.functions[i].qualname, why.ptr);
			buf_release(&why);
		}
		if (hung) {
			struct buf why = BUF_INIT;
			buf_addf(&why, "did not finish: %zu call%s stopped at the time limit", hung,
				 hung == 1 ? "" : "s");
			note_add(&c->r->findings, &c->r->nfindings, c->facts.functions[i].qualname, why.ptr);
			buf_release(&why);
		}
	}
	free(tested);
	gen_cover_set_free(reached);
}

/* ---- the model (gen/llmgen.h) ------------------------------------------------ */

/*
 * After the built-in pass: the model is asked for more tests, shown the
 * lines of function bodies no kept call reaches; its kept tests are
 * appended to `text`, its verdicts go into the result.
 */
static int model_round(struct ctx *c, struct buf *text, const struct gen_emitted *emitted,
		       const struct gen_probe_info *info)
{
	struct gen_llm_options lo;
	struct gen_cover_set *reached = gen_cover_set_new();
	struct strvec uncovered = STRVEC_INIT, builtin = STRVEC_INIT;
	size_t i, k;
	int err;

	for (i = 0; i < emitted->ids.nr; i++) {
		gen_cover_adds(reached, &c->calls.items[emitted->call[i]], 1);
		strvec_push(&builtin, emitted->ids.v[i]);
	}
	for (i = 0; i < c->carried.nr; i++)
		strvec_push(&builtin, c->carried.v[i]);
	for (i = 0; i < info->lines.nr; i++) {
		int line = (int)strtol(info->lines.v[i], NULL, 10), in_body = 0;
		struct gen_call one = { 0 };
		uint64_t x = (uint64_t)line;
		for (k = 0; k < c->facts.nfunctions && !in_body; k++)
			in_body = line > c->facts.functions[k].start_line && line <= c->facts.functions[k].end_line;
		one.cover = &x;
		one.ncover = 1;
		/* settled functions' lines are reached by the tests carried over */
		if (in_body && gen_cover_adds(reached, &one, 0))
			strvec_push(&uncovered, info->lines.v[i]);
	}
	memset(&lo, 0, sizeof(lo));
	lo.provider = c->o->provider;
	lo.fallback = c->o->fallback;
	lo.spec = c->o->spec;
	lo.root = c->work.ptr;
	lo.venv_root = c->root.ptr;
	lo.pytest_cmd = c->o->pytest_cmd;
	lo.choice = c->o->choice;
	lo.module_path = c->rel.ptr;
	lo.module_name = c->r->module_name;
	lo.source = c->source;
	lo.source_len = c->source_len;
	lo.facts = &c->facts;
	lo.file = c->r->out_path;
	lo.text = (emitted->ids.nr || c->carried.nr) ? text->ptr : "";
	lo.builtin = &builtin;
	lo.uncovered = &uncovered;
	lo.seed = c->o->seed;
	lo.allow_side_effects = c->o->allow_side_effects;
	lo.max_tokens = c->o->max_tokens;
	/* the round has a time budget of its own: the built-in pass may have used all of its */
	lo.deadline = clock_monotonic() + (c->budget > GEN_LLM_MIN_ROUND ? c->budget : GEN_LLM_MIN_ROUND);
	strvec_pushf(&c->r->decisions, "asked the model for tests: %zu spec item%s, %zu line%s of function bodies "
		     "not reached by the built-in tests", c->o->spec ? c->o->spec->nr : 0,
		     c->o->spec && c->o->spec->nr == 1 ? "" : "s", uncovered.nr, uncovered.nr == 1 ? "" : "s");
	err = gen_llm_round(&c->r->llm, &lo);
	c->r->asked_model = 1;
	if (err == 0) {
		buf_reset(text);
		buf_adds(text, c->r->llm.text ? c->r->llm.text : "");
		for (i = 0; i < c->r->llm.decisions.nr; i++)
			strvec_push(&c->r->decisions, c->r->llm.decisions.v[i]);
		for (i = 0; i < c->r->llm.nr; i++) {
			const struct gen_llm_verdict *v = &c->r->llm.tests[i];
			struct buf id = BUF_INIT;
			buf_addf(&id, "%s::%s", c->r->out_path, v->name);
			if (v->status == GEN_PASSED) {
				strvec_push(&c->r->kept, id.ptr);
				c->model_kept++;
			} else if (v->status == GEN_FINDING)
				note_add(&c->r->findings, &c->r->nfindings, id.ptr, v->reason);
			else {
				note_add(&c->r->rejected, &c->r->nrejected, v->name, v->reason);
				strvec_push(&c->rejected_fn, "");
			}
			buf_release(&id);
		}
	}
	gen_cover_set_free(reached);
	strvec_clear(&uncovered);
	strvec_clear(&builtin);
	return err;
}

/* the last error again, as bad input (ERR_USAGE), between `before` and `after` */
static int as_usage(const char *before, const char *after)
{
	char *msg = xstrdup(error_last());
	int err = error_setc(ERR_USAGE, "%s%s%s", before, msg, after);

	free(msg);
	return err;
}

/* ---- the checklist (gen/state.h) ------------------------------------------- */

static void hash_text(char out[17], uint64_t h)
{
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}

/* the test function of a node id in the file: "tests/t.py::test_f[1-2]" -> "test_f" (owned) */
static char *test_function(const char *id, const char *file)
{
	size_t n = strlen(file);

	if (strncmp(id, file, n) || strncmp(id + n, "::", 2))
		return NULL;
	id += n + 2;
	return xstrndup(id, strcspn(id, "["));
}

/* the whole top-level definition (decorators too) of test function `name` in `ast`, or NULL */
static const struct pyast_node *test_def(const struct pyast *ast, const char *name)
{
	const struct pyast_node *n;

	for (n = pyast_root(ast)->child; n; n = n->next) {
		const struct pyast_node *def = pyast_is(n, "decorated_definition") ? pyast_field(n, "definition") : n;
		const struct pyast_node *nm = def ? pyast_field(def, "name") : NULL;
		if (def && pyast_is(def, "function_definition") && nm && pyast_text_is(ast, nm, name))
			return n;
	}
	return NULL;
}

/* the module's text's hash: the code_hash of the model's tests, which may call any of it */
static void module_hash(char out[17], const struct ctx *c)
{
	hash_text(out, hash_fnv1a(c->source, c->source_len));
}

/*
 * The model's tests the checklist has as PASSED with the module's hash of
 * now: carried over as they are (their `# spec:` comments from the
 * checklist), after the section's marker and imports of the old file.
 */
static void carry_model_tests(struct ctx *c, const struct pyast *ast, const char *old)
{
	const char *marker = strstr(old, GEN_LLM_SECTION_MARKER);
	struct buf tests = BUF_INIT;
	const struct pyast_node *n;
	char hash[17];
	size_t i;

	if (!marker)
		return;
	module_hash(hash, c);
	for (i = 0; i < c->state.nr; i++) {
		const struct gen_test_state *t = &c->state.tests[i];
		char *name = test_function(t->id, c->r->out_path);
		const struct pyast_node *def;
		if (name && !*t->function && t->status == GEN_PASSED && !strcmp(t->code_hash, hash) &&
		    strvec_find(&c->carried, name) < 0 && (def = test_def(ast, name)) &&
		    def->start >= (size_t)(marker - old)) {
			size_t len;
			const char *text = pyast_text(ast, def, &len);
			buf_adds(&tests, "\n\n");
			if (*t->spec_item)
				buf_addf(&tests, "# spec: %s\n", t->spec_item);
			buf_add(&tests, text, len);
			buf_addch(&tests, '\n');
			strvec_push(&c->carried, name);
			strvec_push(&c->model_carried, name);
		}
		free(name);
	}
	if (tests.len) {
		size_t eol = strcspn(marker, "\n");
		buf_adds(&c->carried_text, "\n\n");
		buf_add(&c->carried_text, marker, eol);
		buf_addch(&c->carried_text, '\n');
		/* the section's imports */
		for (n = pyast_root(ast)->child; n; n = n->next)
			if (n->start > (size_t)(marker - old) &&
			    (pyast_is(n, "import_statement") || pyast_is(n, "import_from_statement"))) {
				size_t len;
				const char *text = pyast_text(ast, n, &len);
				buf_add(&c->carried_text, text, len);
				buf_addch(&c->carried_text, '\n');
			}
		buf_add(&c->carried_text, tests.ptr, tests.len);
		strvec_pushf(&c->r->decisions, "%zu of the model's tests carried over: the module is as it was when "
			     "they were kept", c->model_carried.nr);
	}
	buf_release(&tests);
}

/*
 * Read the checklist beside the file to write and the file as it is: a
 * function whose entries there all have its code's hash, at least one
 * PASSED (or HEALED) and none still to run, is settled: its tests are
 * carried over as they are and it is not sampled again.
 */
static int load_state(struct ctx *c)
{
	struct buf old = BUF_INIT, path = BUF_INIT;
	struct pyast *ast = NULL;
	const char *slash = strrchr(c->r->out_path, '/');
	size_t fi, i;
	int err;

	c->settled = xcalloc(c->facts.nfunctions ? c->facts.nfunctions : 1, sizeof(int));
	buf_addf(&c->state_path, "%s/%.*s%s%s", c->root.ptr, slash ? (int)(slash - c->r->out_path) : 0,
		 c->r->out_path, slash ? "/" : "", GEN_STATE_FILE);
	err = gen_state_load(&c->state, c->state_path.ptr);
	if (err == ERR_NOTFOUND) {
		error_clear();
		return 0;
	}
	if (err < 0)
		return as_usage("", " (remove it to start over)");
	buf_addf(&path, "%s/%s", c->root.ptr, c->r->out_path);
	if (fs_read_file(&old, path.ptr, GEN_MAX_SOURCE) < 0 || pyast_parse(&ast, old.ptr, old.len) < 0) {
		error_clear();
		goto done;
	}
	for (fi = 0; fi < c->facts.nfunctions; fi++) {
		const struct gen_function *fn = &c->facts.functions[fi];
		char hash[17];
		int entries = 0, open = 0;
		hash_text(hash, fn->hash);
		for (i = 0; i < c->state.nr; i++) {
			const struct gen_test_state *t = &c->state.tests[i];
			char *name = test_function(t->id, c->r->out_path);
			if (!name)
				continue;
			if (!strcmp(t->function, fn->qualname)) {
				entries++;
				/* a REJECTED entry is a verdict on the same code: not to run again */
				if (strcmp(t->code_hash, hash) || (t->status != GEN_PASSED && t->status != GEN_HEALED &&
								   t->status != GEN_REJECTED))
					open = 1;
				else if (t->status != GEN_REJECTED && !test_def(ast, name))
					open = 1;
			}
			free(name);
		}
		c->settled[fi] = entries && !open;
	}
	/* the settled functions' tests, as they are in the file */
	for (i = 0; i < c->state.nr; i++) {
		const struct gen_test_state *t = &c->state.tests[i];
		const struct gen_function *fn = gen_facts_function(&c->facts, t->function);
		char *name = test_function(t->id, c->r->out_path);
		const struct pyast_node *def;
		if (name && fn && c->settled[fn - c->facts.functions] && t->status != GEN_REJECTED &&
		    strvec_find(&c->carried, name) < 0 && (def = test_def(ast, name))) {
			size_t len;
			const char *text = pyast_text(ast, def, &len);
			strvec_push(&c->carried, name);
			buf_adds(&c->carried_text, "\n\n");
			buf_add(&c->carried_text, text, len);
			buf_addch(&c->carried_text, '\n');
		}
		free(name);
	}
	carry_model_tests(c, ast, old.ptr);
done:
	pyast_free(ast);
	buf_release(&old);
	buf_release(&path);
	return 0;
}

/* "failed in its first run: AssertionError: ..." -> "ASSERTION_ERROR" (seed 003's categories) */
static void category_of(struct buf *out, const char *reason)
{
	const char *p, *colon;

	if (strstr(reason, "assertion") || strstr(reason, "compares") || strstr(reason, "constant"))
		buf_adds(out, "NO_FAILABLE_ASSERTION");
	else if (strstr(reason, "over its limit"))
		buf_adds(out, "TIMEOUT");
	else if ((colon = strstr(reason, ": ")) && (p = colon + 2) && *p) {
		size_t n = strcspn(p, ": ");
		size_t i;
		for (i = 0; i < n; i++) {
			char ch = p[i];
			if (i && ch >= 'A' && ch <= 'Z' && p[i - 1] >= 'a' && p[i - 1] <= 'z')
				buf_addch(out, '_');
			buf_addch(out, (char)(ch >= 'a' && ch <= 'z' ? ch - 32 : ch));
		}
	} else
		buf_adds(out, "OTHER");
}

/* the checklist after this run, into `out` */
static void render_state(struct buf *out, struct ctx *c, const struct gen_emitted *emitted)
{
	char mhash[17];
	struct gen_state *st = &c->state;
	struct buf prefix = BUF_INIT;
	size_t i;

	buf_addf(&prefix, "%s::", c->r->out_path);
	/* this file's entries for the functions generated again are replaced */
	module_hash(mhash, c);
	for (i = st->nr; i-- > 0;) {
		const struct gen_test_state *t = &st->tests[i];
		const struct gen_function *fn = gen_facts_function(&c->facts, t->function);
		/* kept: settled functions' tests, the model's tests carried over, its findings on the same code */
		if (!strncmp(t->id, prefix.ptr, prefix.len) && !(fn && c->settled[fn - c->facts.functions]) &&
		    strvec_find(&c->model_carried, t->id + prefix.len) < 0 &&
		    !(!*t->function && t->status == GEN_FINDING && !strcmp(t->code_hash, mhash)))
			gen_state_remove(st, t->id);
	}
	for (i = 0; i < emitted->ids.nr; i++) {
		const struct gen_function *fn = &c->facts.functions[c->calls.items[emitted->call[i]].function];
		struct buf id = BUF_INIT;
		struct gen_test_state *t;
		char hash[17];
		buf_addf(&id, "%s%s", prefix.ptr, emitted->ids.v[i]);
		t = gen_state_get(st, id.ptr);
		hash_text(hash, fn->hash);
		gen_state_set(&t->function, fn->qualname);
		gen_state_set(&t->code_hash, hash);
		gen_state_set(&t->last_error, "");
		gen_state_set(&t->error_category, "");
		gen_state_set(&t->reason, "");
		t->status = GEN_PASSED;
		buf_release(&id);
	}
	for (i = 0; i < c->builtin_rejected; i++) {
		const struct gen_function *fn = gen_facts_function(&c->facts, c->rejected_fn.v[i]);
		struct buf id = BUF_INIT, cat = BUF_INIT;
		struct gen_test_state *t;
		char hash[17];
		buf_addf(&id, "%s%s", prefix.ptr, c->r->rejected[i].what);
		t = gen_state_get(st, id.ptr);
		hash_text(hash, fn ? fn->hash : 0);
		category_of(&cat, c->r->rejected[i].reason);
		gen_state_set(&t->function, c->rejected_fn.v[i]);
		gen_state_set(&t->code_hash, hash);
		gen_state_set(&t->reason, c->r->rejected[i].reason);
		gen_state_set(&t->last_error, c->r->rejected[i].reason);
		gen_state_set(&t->error_category, cat.ptr);
		t->status = GEN_REJECTED;
		buf_release(&id);
		buf_release(&cat);
	}
	/*
	 * a function called but left without a test of its own gets an entry
	 * saying why, with its hash: the next run leaves it alone too
	 */
	{
		int *has = xcalloc(c->facts.nfunctions ? c->facts.nfunctions : 1, sizeof(int));
		int *good = xcalloc(c->facts.nfunctions ? c->facts.nfunctions : 1, sizeof(int));
		for (i = 0; i < emitted->ids.nr; i++)
			has[c->calls.items[emitted->call[i]].function] = 1;
		for (i = 0; i < c->rejected_fn.nr; i++) {
			const struct gen_function *fn = gen_facts_function(&c->facts, c->rejected_fn.v[i]);
			if (fn)
				has[fn - c->facts.functions] = 1;
		}
		for (i = 0; i < c->calls.nr; i++)
			good[c->calls.items[i].function] |= is_good(&c->calls.items[i]);
		for (i = 0; i < c->facts.nfunctions; i++) {
			const struct gen_function *fn = &c->facts.functions[i];
			struct buf id = BUF_INIT, why = BUF_INIT;
			struct gen_test_state *t;
			char hash[17];
			if (has[i] || !c->callable[i] || c->settled[i])
				continue;
			buf_addf(&id, "%s%s", prefix.ptr, fn->qualname);
			t = gen_state_get(st, id.ptr);
			hash_text(hash, fn->hash);
			gen_state_set(&t->function, fn->qualname);
			gen_state_set(&t->code_hash, hash);
			gen_state_set(&t->reason, good[i]
				      ? "no test of its own: the kept tests reach its lines and tell its mutants apart"
				      : "no test: none of its calls finished with a result to assert");
			gen_state_set(&t->last_error, "");
			gen_state_set(&t->error_category, good[i] ? "COVERED_ELSEWHERE" : "NO_RESULT");
			t->status = GEN_REJECTED;
			buf_release(&id);
			buf_release(&why);
		}
		free(has);
		free(good);
	}
	/* the model's tests, kept or not: their verdicts, retries and spec items; the module's hash */
	for (i = 0; i < c->r->llm.nr; i++) {
		const struct gen_llm_verdict *v = &c->r->llm.tests[i];
		struct buf id = BUF_INIT;
		struct gen_test_state *t;
		char hash[17];
		if (strncmp(v->name, "test_", 5) || !strcmp(v->category, "DUPLICATE"))
			continue;   /* a block without a test, a name the file has: in the report only */
		buf_addf(&id, "%s%s", prefix.ptr, v->name);
		t = gen_state_get(st, id.ptr);
		module_hash(hash, c);
		gen_state_set(&t->function, "");
		gen_state_set(&t->code_hash, hash);
		gen_state_set(&t->reason, v->reason);
		gen_state_set(&t->last_error, v->last_error);
		gen_state_set(&t->error_category, v->category);
		gen_state_set(&t->spec_item, v->spec_id);
		t->retry_count = v->retries;
		t->status = v->status;
		buf_release(&id);
	}
	gen_state_set(&st->module, c->rel.ptr);
	gen_state_set(&st->generated_file, c->r->out_path);
	st->seed = c->o->seed;
	gen_state_render(out, st);
	buf_release(&prefix);
}

/*
 * The file and its checklist into the user's tree, together or not at all
 * (a kill between leaves what `cleanup` or the next run puts back).
 */
static int commit_files(struct ctx *c, const struct buf *text, const struct gen_emitted *emitted)
{
	struct fs_batch batch = FS_BATCH_INIT;
	struct fs_batch_file *f;
	struct buf path = BUF_INIT;
	int err;

	buf_addf(&path, "%s/%s", c->root.ptr, c->r->out_path);
	f = fs_batch_get(&batch, path.ptr);
	buf_add(&f->data, text->ptr, text->len);
	f = fs_batch_get(&batch, c->state_path.ptr);
	f->mode = GEN_STATE_FILE_MODE;
	render_state(&f->data, c, emitted);
	err = project_write_files(&batch, c->root.ptr);
	fs_batch_release(&batch);
	buf_release(&path);
	return err;
}

/* ---- the score: the written file against each mutant (gen/mutscore.h) ------ */

/* the disagreements with the probe named one by one, at most */
#define GEN_MAX_DISAGREE_LINES 5
/* seconds kept back from the budget for writing the file and the report */
#define GEN_SCORE_RESERVE 0.5
/* mutants screened in one child of the worker, at most */
#define GEN_SCREEN_BATCH 32
/* seconds a run of the file alone may take past its tests' limits: a fresh pytest's start */
#define GEN_FRESH_START 10.0

/* the first line of the module `text` differs from the original at */
static int first_changed_line(const struct ctx *c, const char *text)
{
	size_t k;
	int line = 1;

	for (k = 0; k < c->source_len && text[k] == c->source[k]; k++)
		line += c->source[k] == '\n';
	return line;
}

/* the runner's options for a run of the file (`paths`) in the private copy, through `w` when it is one */
static void file_options(struct pytest_options *po, const struct ctx *c, const struct strvec *paths,
			 struct pytest_worker *w, double test_timeout)
{
	po->root = c->work.ptr;
	po->venv_root = c->root.ptr;
	po->command = c->o->pytest_cmd;
	po->choice = c->o->choice;
	po->paths = paths;
	po->test_timeout = test_timeout;
	po->every_test = 1;
	po->worker = w;
}

/* one run of the file in the private copy */
static int run_generated(struct test_result *res, struct ctx *c, struct pytest_worker *w, double test_timeout,
			 int run_timeout_ms)
{
	struct pytest_options po = PYTEST_OPTIONS_INIT;
	struct strvec paths = STRVEC_INIT;
	int err;

	strvec_push(&paths, c->r->out_path);
	file_options(&po, c, &paths, w, test_timeout);
	po.run_timeout_ms = run_timeout_ms;
	test_result_init(res);
	err = pytest_run(res, &po);
	strvec_clear(&paths);
	return err;
}

/* one mutant's outcome into the result (and a line when the probe said otherwise) */
/* 1 when the mutant got an outcome (counted), 0 when not */
static int tally_mutant(struct ctx *c, size_t m, enum gen_mutant_outcome out, size_t *disagree)
{
	struct gen_operator_score *op;

	log_debug("generate: the file against mutant %zu (%s, line %d): %s", m + 1, c->mut_ops.v[m],
		  first_changed_line(c, c->mut_src.v[m]), out == GEN_MUTANT_KILLED ? "killed" :
		  out == GEN_MUTANT_SURVIVED ? "survived" : out == GEN_MUTANT_TIMED_OUT ? "timed out" :
		  out == GEN_MUTANT_NO_LOAD ? "did not load" : "no outcome");
	if (out == GEN_MUTANT_NOT_RUN)
		return 0;
	c->r->mutants++;
	op = operator_of(c->r, c->mut_ops.v[m]);
	switch (out) {
	case GEN_MUTANT_NO_LOAD:
		c->r->mutant_errors++;
		break;
	case GEN_MUTANT_KILLED:
		op->killed++;
		c->r->killed++;
		break;
	case GEN_MUTANT_TIMED_OUT:
		op->timed_out++;
		c->r->timed_out++;
		break;
	default:
		op->survived++;
		c->r->survived++;
		if (m < c->probe_n && c->probe_killed[m] && !c->probe_errors[m] &&
		    (*disagree)++ < GEN_MAX_DISAGREE_LINES)
			strvec_pushf(&c->r->decisions, "the probe's calls told mutant %zu (%s, line %d) apart, but "
				     "the written file passes on it: counted as survived", m + 1, c->mut_ops.v[m],
				     first_changed_line(c, c->mut_src.v[m]));
		break;
	}
	return 1;
}

/* a clean run of a screen: done, with tests and no failure */
static int clean_screen(const struct pytest_screen_run *r)
{
	return r->done && r->res.summary.total && !r->res.nr_failures;
}

/*
 * The reported score: the file as written (`text`, the model's tests too)
 * run against each mutant of the module in the private copy, in a seeded
 * order, while the budget lasts. Mutants go in batches through one child
 * of a warm worker (pytest_worker_screen(): the mutant's function bodies
 * patched in, no fork per mutant), between two clean runs that must pass
 * for the batch to count; what the screen cannot do (a change outside a
 * function body, a run past its limit) is run alone, the mutant written
 * into the copy (pytest_run(), through the worker when it can).
 */
static int score_file(struct ctx *c, const struct buf *text)
{
	struct pytest_worker *w = NULL;
	struct test_result res = TEST_RESULT_INIT;
	struct strvec paths = STRVEC_INIT;
	struct buf file = BUF_INIT, module = BUF_INIT, original = BUF_INIT, variant = BUF_INIT;
	struct pytest_screen_run *runs = NULL;
	size_t n, *order = NULL, i, ran = 0, disagree = 0, screened = 0, alone = 0, no_outcome = 0;
	double t0, clean, limit, spent = 0, phase = clock_monotonic();
	int err = 0, moved = 0, stopped = 0;

	/* no probe of mutants (every test carried over, no time for it): the file is scored all the same */
	if (!c->mut_src.nr)
		mutants_of(c, &c->mut_src, &c->mut_ops);
	if (!(n = c->mut_src.nr))
		return 0;
	c->r->mutants_generated = n;
	if (remaining(c) < GEN_SCORE_RESERVE) {
		c->r->mutants_sampled = 1;
		strvec_pushf(&c->r->decisions, "mutation score: 0 of %zu mutants run, the time budget was spent "
			     "before them (--time-budget)", n);
		return 0;
	}
	buf_addf(&file, "%s/%s", c->work.ptr, c->r->out_path);
	buf_addf(&module, "%s/%s", c->work.ptr, c->rel.ptr);
	buf_add(&original, c->source, c->source_len);
	if ((err = write_file(file.ptr, text)) < 0)
		goto done;
	strvec_push(&paths, c->r->out_path);
	if ((err = worker_for(&w, c, c->r->out_path)) < 0) {
		if (err == ERR_INTERRUPTED)
			goto done;
		log_debug("generate: no warm worker for the mutants (%s): a fresh pytest each", error_last());
		error_clear();
		err = 0;
	}
	/* the clean run: the file must pass on the module as it is; its time sets the limit */
	t0 = clock_monotonic();
	err = run_generated(&res, c, w, PYTEST_DEFAULT_TEST_TIMEOUT, 0);
	clean = clock_monotonic() - t0;
	if (err < 0 || res.nr_failures || !res.summary.total) {
		if (err == ERR_INTERRUPTED)
			goto done;
		strvec_pushf(&c->r->decisions, "no mutation score: the file %s on the module as it is",
			     err < 0 ? "could not be run" : !res.summary.total ? "runs no test" : "fails");
		error_clear();
		err = 0;
		goto done;
	}
	test_result_release(&res);
	limit = gen_mutant_limit(clean);
	order = xcalloc(n, sizeof(*order));
	runs = xcalloc(GEN_SCREEN_BATCH + 2, sizeof(*runs));
	gen_mutant_order(order, n, (uint64_t)c->o->seed);
	for (i = 0; i < n && !err;) {
		struct pytest_options po = PYTEST_OPTIONS_INIT;
		double left = remaining(c) - GEN_SCORE_RESERVE, per = i ? spent / (double)i : clean;
		size_t j, batch;
		int believed = 0, cut = 0;

		if (sig_pending()) {
			err = ERR_INTERRUPTED;
			break;
		}
		if (left < per || left <= 0)
			break;   /* the next one would not fit: a sample */
		batch = left / per > GEN_SCREEN_BATCH ? GEN_SCREEN_BATCH : (size_t)(left / per);
		if (batch > n - i)
			batch = n - i;
		t0 = clock_monotonic();
		if (w) {
			/* the batch, between two clean runs */
			for (j = 0; j < batch; j++) {
				buf_reset(&variant);
				buf_addf(&variant, "%s/mutant-%zu.py", c->tmp.ptr, j);
				if ((err = fs_write_atomic(variant.ptr, c->mut_src.v[order[i + j]],
							   strlen(c->mut_src.v[order[i + j]]), 0600)) < 0)
					break;
				runs[j + 1].path = module.ptr;
				runs[j + 1].source = xstrdup(variant.ptr);
			}
			runs[0].path = runs[batch + 1].path = NULL;
			runs[0].source = runs[batch + 1].source = NULL;
			file_options(&po, c, &paths, w, limit);
			if (!err)
				err = pytest_worker_screen(runs, batch + 2, &po);
			believed = !err && clean_screen(&runs[0]) && clean_screen(&runs[batch + 1]);
			if (!err && !believed)
				log_debug("generate: a screen of %zu mutants not believed: each runs alone", batch);
		}
		for (j = 0; j < batch && !err; j++) {
			size_t m = order[i + j];
			int got;
			if (believed && runs[j + 1].done) {
				if (runs[j + 1].res.nr_failures)
					log_debug("generate: mutant %zu: %s: %s", m + 1,
						  runs[j + 1].res.failures[0].error_type ?: "",
						  runs[j + 1].res.failures[0].message ?: "");
				if (tally_mutant(c, m, gen_mutant_judge(&runs[j + 1].res, 0), &disagree))
					ran++;
				else
					no_outcome++;
				screened++;
				continue;
			}
			/* alone: the mutant written into the copy */
			if (sig_pending()) {
				err = ERR_INTERRUPTED;
				break;
			}
			if (j && remaining(c) - GEN_SCORE_RESERVE < per) {
				batch = j;   /* the rest would not fit: a sample */
				cut = 1;
				break;
			}
			if ((err = fs_write_atomic(module.ptr, c->mut_src.v[m], strlen(c->mut_src.v[m]), 0644)) < 0)
				break;
			moved = 1;
			pytest_drop_bytecode(c->work.ptr, c->rel.ptr);
			/* the tests have their limit; the run's, a fresh interpreter's start too */
			got = run_generated(&res, c, w, limit, (int)((2 * limit + 1 + GEN_FRESH_START) * 1000));
			if (got == ERR_INTERRUPTED) {
				err = got;
				test_result_release(&res);
				break;
			}
			if (got < 0) {
				log_debug("generate: the file against mutant %zu: %s", m + 1, error_last());
				error_clear();
			}
			if (tally_mutant(c, m, gen_mutant_judge(&res, got), &disagree))
				ran++;
			else
				no_outcome++;
			test_result_release(&res);
			alone++;
			/* put back before the next screen, whose clean runs read the copy */
			if ((err = fs_write_atomic(module.ptr, original.ptr, original.len, 0644)) < 0)
				break;
			pytest_drop_bytecode(c->work.ptr, c->rel.ptr);
			moved = 0;
		}
		for (j = 0; j < GEN_SCREEN_BATCH + 2; j++) {
			test_result_release(&runs[j].res);
			free((char *)runs[j].source);
			runs[j].source = NULL;
			runs[j].path = NULL;
		}
		spent += clock_monotonic() - t0;
		i += batch;
		if (cut)
			break;
	}
	if (err < 0 && err != ERR_INTERRUPTED) {
		/*
		 * a mutant that cannot be written (a full disk), a runner that
		 * fails: the score stops there, the file stands
		 */
		strvec_pushf(&c->r->decisions, "mutation score stopped after %zu mutants: %s", i, error_last());
		error_clear();
		err = 0;
		stopped = 1;
	}
	if (moved && fs_write_atomic(module.ptr, original.ptr, original.len, 0644) < 0 && !err)
		err = error_prefix(ERR_GENERIC, "cannot put '%s' back in the private copy", c->rel.ptr);
	c->r->mutants_sampled = i < n && !stopped;
	if (disagree > GEN_MAX_DISAGREE_LINES)
		strvec_pushf(&c->r->decisions, "%zu more mutants the probe's calls told apart survive the written "
			     "file", disagree - GEN_MAX_DISAGREE_LINES);
	strvec_pushf(&c->r->decisions, "mutation score by running %s against each mutant: %zu of %zu mutants run "
		     "(%s)%s in %.1f s, a test past %.2f s at most (%.0f times the file's clean run of %.2f s) timed out",
		     c->r->out_path, ran, n, stopped ? "stopped by the error above" :
		     i < n ? "a seeded sample: the time budget ran out" : "all of them",
		     no_outcome ? ", some runs gave no outcome (the runner failed): not counted" : "",
		     clock_monotonic() - phase, limit, GEN_TRUST_LIMIT_FACTOR, clean);
	log_debug("generate: mutants: %zu screened in a warm child, %zu run alone", screened, alone);
done:
	test_result_release(&res);
	pytest_worker_stop(w);
	free(order);
	free(runs);
	strvec_clear(&paths);
	buf_release(&file);
	buf_release(&module);
	buf_release(&original);
	buf_release(&variant);
	return err;
}

static int prepare(struct ctx *c)
{
	struct strvec skip = STRVEC_INIT;
	struct buf src = BUF_INIT, real = BUF_INIT;
	int err;

	if ((err = fs_realpath(&c->root, c->o->root)) < 0)
		return error_setc(ERR_USAGE, "no project directory '%s'", c->o->root);
	if ((err = gen_resolve_module(&c->rel, c->root.ptr, c->o->module)) < 0)
		return err;
	buf_addf(&src, "%s/%s", c->root.ptr, c->rel.ptr);
	if ((err = fs_read_file(&real, src.ptr, GEN_MAX_SOURCE)) < 0) {
		buf_release(&src);
		return err == ERR_LIMIT ? error_setc(ERR_USAGE, "'%s' is larger than %u bytes", c->rel.ptr,
						     GEN_MAX_SOURCE) : err;
	}
	buf_release(&src);
	if (memchr(real.ptr, '\0', real.len)) {
		buf_release(&real);
		return error_setc(ERR_USAGE, "'%s' holds a NUL byte: not Python source", c->rel.ptr);
	}
	c->source = buf_detach(&real, &c->source_len);
	if ((err = gen_facts_read(&c->facts, c->rel.ptr, c->source, c->source_len)) < 0)
		return err == ERR_PARSE ? as_usage("", "") : err;
	c->crashes = xcalloc(c->facts.nfunctions ? c->facts.nfunctions : 1, sizeof(int));
	c->r->module_path = xstrdup(c->rel.ptr);
	if (c->o->out) {
		struct buf checked = BUF_INIT;
		if ((err = edit_path_check(&checked, c->root.ptr, c->o->out)) < 0) {
			buf_release(&checked);
			{
				struct buf what = BUF_INIT;
				buf_addf(&what, "cannot write '%s': ", c->o->out);
				err = as_usage(what.ptr, "");
				buf_release(&what);
				return err;
			}
		}
		buf_release(&checked);
		c->r->out_path = xstrdup(c->o->out);
	} else {
		struct buf o = BUF_INIT;
		default_out(&o, c->rel.ptr);
		c->r->out_path = buf_detach(&o, NULL);
	}
	if ((err = load_state(c)) < 0)
		return err;
	{
		size_t fi, pub = 0, settled = 0;
		for (fi = 0; fi < c->facts.nfunctions; fi++) {
			pub += !c->facts.functions[fi].is_private;
			settled += c->settled[fi];
		}
		strvec_pushf(&c->r->decisions, "read %s: %zu public functions and methods, %zu of them unchanged "
			     "since the checklist's last run", c->rel.ptr, pub, settled);
	}
	if ((err = fs_mkdtemp(&c->tmp, "generate")) < 0)
		return err;
	buf_addf(&c->work, "%s/work", c->tmp.ptr);
	buf_addf(&c->scratch, "%s/home", c->tmp.ptr);
	buf_addf(&c->spec, "%s/probe.json", c->tmp.ptr);
	buf_addf(&c->results, "%s/probe-results.jsonl", c->tmp.ptr);
	project_vendor_dirs(&skip, c->root.ptr);
	err = fs_copy_tree(c->root.ptr, c->work.ptr, skip.v);
	strvec_clear(&skip);
	if (err < 0)
		return error_prefix(err, "cannot copy the project to a private directory");
	/* the generated file is written anew: an old one in the copy would be collected */
	{
		struct buf old = BUF_INIT;
		buf_addf(&old, "%s/%s", c->work.ptr, c->r->out_path);
		unlink(old.ptr);
		buf_release(&old);
	}
	return fs_mkdir_p(c->scratch.ptr, 0700);
}

int gen_module(struct gen_result *out, const struct gen_options *o)
{
	struct ctx c;
	struct gen_probe_info info;
	struct gen_cover_set *seen = gen_cover_set_new();
	struct gen_emitted emitted = GEN_EMITTED_INIT;
	struct buf text = BUF_INIT;
	struct gen_options opts = *o;
	size_t i;
	int err;

	memset(out, 0, sizeof(*out));
	strvec_init(&out->kept);
	memset(&info, 0, sizeof(info));
	strvec_init(&info.lines);
	memset(&c, 0, sizeof(c));
	if (!opts.time_budget)
		opts.time_budget = GEN_DEFAULT_TIME_BUDGET;
	if (!opts.call_limit)
		opts.call_limit = GEN_DEFAULT_CALL_LIMIT;
	c.o = &opts;
	c.r = out;
	c.started = clock_monotonic();
	c.budget = opts.time_budget;
	out->seed = opts.seed;
	out->spec = opts.spec;
	buf_init(&c.root, 0);
	buf_init(&c.tmp, 0);
	buf_init(&c.work, 0);
	buf_init(&c.scratch, 0);
	buf_init(&c.rel, 0);
	buf_init(&c.spec, 0);
	buf_init(&c.results, 0);
	buf_init(&c.state_path, 0);
	buf_init(&c.carried_text, 0);
	strvec_init(&c.carried);
	strvec_init(&c.rejected_fn);
	strvec_init(&c.model_carried);
	strvec_init(&c.mut_src);
	strvec_init(&c.mut_ops);
	strvec_init(&out->unchanged);
	strvec_init(&out->decisions);
	c.state = (struct gen_state)GEN_STATE_INIT;

	if ((err = prepare(&c)) < 0)
		goto done;
	if ((err = search(&c, seen, &info)) < 0)
		goto done;
	out->module_name = xstrdup(info.name ? info.name : c.rel.ptr);
	if (!info.name) {
		err = error_set("the probe did not import '%s'", c.rel.ptr);
		goto done;
	}
	if ((err = mutate_and_minimise(&c, &info)) < 0)
		goto done;
	/* the worker of the module is done: the gates start their own */
	pytest_worker_stop(c.worker);
	c.worker = NULL;
	if ((err = write_and_trust(&c, &text, &emitted)) < 0)
		goto done;
	tally(&c, &emitted, &info);
	c.builtin_rejected = out->nrejected;
	if (opts.provider && (err = model_round(&c, &text, &emitted, &info)) < 0)
		goto done;
	out->text = xstrdup(text.ptr);
	if (emitted.ids.nr || c.carried.nr || c.model_kept) {
		struct gen_coverage_options co = { 0 };
		co.root = c.work.ptr;
		co.venv_root = c.root.ptr;
		co.pytest_cmd = opts.pytest_cmd;
		co.choice = opts.choice;
		co.module = c.rel.ptr;
		co.generated = out->out_path;
		if ((err = gen_coverage_measure(&out->coverage, &co)) < 0)
			goto done;
		if (out->coverage.after.measured) {
			struct buf b = BUF_INIT, a = BUF_INIT;
			gen_coverage_percent(&b, out->coverage.before.covered, out->coverage.after.statements);
			gen_coverage_percent(&a, out->coverage.after.covered, out->coverage.after.statements);
			strvec_pushf(&out->decisions, "coverage.py, lines of the module: %s before, %s with the file",
				     b.ptr, a.ptr);
			buf_release(&b);
			buf_release(&a);
		}
	}
	if (emitted.ids.nr || c.carried.nr || c.model_kept) {
		if ((err = score_file(&c, &text)) < 0)
			goto done;
	}
	/* the node ids of the tests carried over, as the checklist has them */
	for (i = 0; i < c.state.nr; i++) {
		char *name = test_function(c.state.tests[i].id, out->out_path);
		if (name && strvec_find(&c.carried, name) >= 0 && c.state.tests[i].status != GEN_REJECTED &&
		    strvec_find(&out->unchanged, c.state.tests[i].id) < 0)
			strvec_push(&out->unchanged, c.state.tests[i].id);
		free(name);
	}
	if (!opts.dry_run && (emitted.ids.nr || c.carried.nr || c.model_kept))
		err = commit_files(&c, &text, &emitted);
done:
	out->seconds = clock_monotonic() - c.started;
	pytest_worker_stop(c.worker);
	if (c.tmp.len)
		fs_remove_tree(c.tmp.ptr);
	gen_emitted_release(&emitted);
	gen_probe_info_release(&info);
	gen_cover_set_free(seen);
	gen_calls_release(&c.calls);
	gen_facts_release(&c.facts);
	free(c.crashes);
	free(c.callable);
	gen_pools_free(c.pools);
	free(c.source);
	buf_release(&text);
	buf_release(&c.root);
	buf_release(&c.tmp);
	buf_release(&c.work);
	buf_release(&c.scratch);
	buf_release(&c.rel);
	buf_release(&c.spec);
	buf_release(&c.results);
	buf_release(&c.state_path);
	buf_release(&c.carried_text);
	strvec_clear(&c.carried);
	strvec_clear(&c.rejected_fn);
	strvec_clear(&c.model_carried);
	free(c.settled);
	free(c.mutant_lines);
	free(c.probe_killed);
	free(c.probe_errors);
	strvec_clear(&c.mut_src);
	strvec_clear(&c.mut_ops);
	gen_state_release(&c.state);
	return err;
}
