#include "gen/behaviour.h"

#include "gen/facts.h"
#include "gen/search.h"
#include "project/project.h"
#include "runner/probe.h"
#include "runner/pytest.h"
#include "runner/worker.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/sig.h"
#include "util/xalloc.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* the source of a module we sample, at most */
#define BEHAVIOUR_MAX_SOURCE (2u << 20)
/* the probe's results, at most */
#define BEHAVIOUR_MAX_RESULTS (16u << 20)
/* calls sampled per function in the first round (a pilot) and the later ones */
#define BEHAVIOUR_LATER_ROUND 12
/* seconds past the calls' own limits a probe may take */
#define BEHAVIOUR_PROBE_SLACK 10.0

struct gen_behaviour {
	struct buf tmp, work, scratch, spec, results, rel;
	char *venv_root, *pytest_cmd;
	struct pytest_choice *choice;
	struct gen_facts facts;
	struct gen_calls calls;       /* every call sampled; `kept` marks those compared */
	struct strvec functions;
	struct pytest_worker *worker;
	size_t kept;
};

void gen_behaviour_diffs_release(struct gen_behaviour_diffs *d)
{
	size_t i;

	for (i = 0; i < d->nr; i++) {
		free(d->items[i].call);
		free(d->items[i].before);
		free(d->items[i].after);
		free(d->items[i].lines);
	}
	free(d->items);
	memset(d, 0, sizeof(*d));
}

void gen_behaviour_free(struct gen_behaviour *b)
{
	if (!b)
		return;
	pytest_worker_stop(b->worker);
	if (b->tmp.len)
		fs_remove_tree(b->tmp.ptr);
	buf_release(&b->tmp);
	buf_release(&b->work);
	buf_release(&b->scratch);
	buf_release(&b->spec);
	buf_release(&b->results);
	buf_release(&b->rel);
	free(b->venv_root);
	free(b->pytest_cmd);
	gen_facts_release(&b->facts);
	gen_calls_release(&b->calls);
	strvec_clear(&b->functions);
	free(b);
}

size_t gen_behaviour_count(const struct gen_behaviour *b)
{
	return b->kept;
}

const struct strvec *gen_behaviour_functions(const struct gen_behaviour *b)
{
	return &b->functions;
}

void gen_behaviour_idle(struct gen_behaviour *b)
{
	pytest_worker_stop(b->worker);
	b->worker = NULL;
}

static int start_worker(struct gen_behaviour *b)
{
	struct pytest_worker_options wo = { 0 };
	struct strvec paths = STRVEC_INIT;
	int err;

	strvec_push(&paths, b->rel.ptr);
	wo.root = b->work.ptr;
	wo.venv_root = b->venv_root;
	wo.command = b->pytest_cmd;
	wo.choice = b->choice;
	wo.paths = &paths;
	wo.test_timeout = PYTEST_DEFAULT_TEST_TIMEOUT;
	err = pytest_worker_start(&b->worker, &wo);
	strvec_clear(&paths);
	if (err < 0 && err != ERR_INTERRUPTED)
		err = error_prefix(err, "cannot start a test worker for '%s'", b->rel.ptr);
	return err;
}

static void probe_options(struct gen_probe_options *po, const struct gen_behaviour *b, int repeat)
{
	po->module = b->rel.ptr;
	po->scratch = b->scratch.ptr;
	po->call_limit = GEN_BEHAVIOUR_CALL_LIMIT;
	po->repeat = repeat;
}

/* calls [from, to) on the original, until each has an outcome (as generate's probe) */
static int probe(struct gen_behaviour *b, size_t from, size_t to, double max_seconds)
{
	struct gen_probe_options po;
	struct gen_probe_info info;
	size_t at = from;
	int err = 0, first;

	memset(&info, 0, sizeof(info));
	strvec_init(&info.lines);
	probe_options(&po, b, 2);
	for (first = 1; (first || at < to) && !err; first = 0) {
		long crashed = -1;
		double limit = (double)(to - at) * GEN_BEHAVIOUR_CALL_LIMIT * 3 + BEHAVIOUR_PROBE_SLACK;
		int got;

		if (max_seconds > 0 && limit > max_seconds)
			limit = max_seconds;
		if (sig_pending()) {
			err = ERR_INTERRUPTED;
			break;
		}
		if (!b->worker && (err = start_worker(b)) < 0)
			break;
		if ((err = gen_probe_spec(b->spec.ptr, &po, &b->calls, at, to, NULL, NULL)) < 0)
			break;
		unlink(b->results.ptr);
		got = pytest_worker_probe(b->worker, b->spec.ptr, b->results.ptr, limit);
		if (got == ERR_INTERRUPTED) {
			err = got;
			break;
		}
		if (got < 0 && got != ERR_TIMEOUT) {
			err = error_prefix(got, "cannot probe '%s'", b->rel.ptr);
			break;
		}
		error_clear();
		if ((err = gen_probe_read(&info, &b->calls, at, to, b->results.ptr, &crashed)) < 0)
			break;
		if (!info.name) {
			err = error_set("the probe did not import '%s'", b->rel.ptr);
			break;
		}
		if (got == 0 || crashed < 0)
			break;
		b->calls.items[crashed].outcome = GEN_OUT_CRASHED;
		at = (size_t)crashed + 1;
	}
	gen_probe_info_release(&info);
	return err;
}

static int is_good(const struct gen_call *c)
{
	return c->outcome == GEN_OUT_VALUE || c->outcome == GEN_OUT_RAISED;
}

static int prepare(struct gen_behaviour *b, const struct gen_behaviour_options *o)
{
	struct buf root = BUF_INIT, path = BUF_INIT, src = BUF_INIT;
	struct strvec skip = STRVEC_INIT;
	int err;

	if ((err = fs_realpath(&root, o->root)) < 0)
		goto done;
	buf_adds(&b->rel, o->module);
	buf_addf(&path, "%s/%s", root.ptr, o->module);
	if ((err = fs_read_file(&src, path.ptr, BEHAVIOUR_MAX_SOURCE)) < 0)
		goto done;
	if ((err = gen_facts_read(&b->facts, o->module, src.ptr, src.len)) < 0)
		goto done;
	if ((err = fs_mkdtemp(&b->tmp, "behaviour")) < 0)
		goto done;
	buf_addf(&b->work, "%s/work", b->tmp.ptr);
	buf_addf(&b->scratch, "%s/home", b->tmp.ptr);
	buf_addf(&b->spec, "%s/probe.json", b->tmp.ptr);
	buf_addf(&b->results, "%s/probe-results.jsonl", b->tmp.ptr);
	project_vendor_dirs(&skip, root.ptr);
	if ((err = fs_copy_tree(root.ptr, b->work.ptr, skip.v)) < 0) {
		err = error_prefix(err, "cannot copy the project to a private directory");
		goto done;
	}
	err = fs_mkdir_p(b->scratch.ptr, 0700);
done:
	strvec_clear(&skip);
	buf_release(&root);
	buf_release(&path);
	buf_release(&src);
	return err;
}

int gen_behaviour_sample(struct gen_behaviour **out, const struct gen_behaviour_options *o)
{
	struct gen_behaviour *b = xcalloc(1, sizeof(*b));
	const struct gen_facts *f;
	struct gen_pools *pools = NULL;
	struct gen_rng rng;
	size_t *count = NULL, fi, round, i;
	int *callable = NULL;
	double started = clock_monotonic();
	int err;

	*out = NULL;
	buf_init(&b->tmp, 0);
	buf_init(&b->work, 0);
	buf_init(&b->scratch, 0);
	buf_init(&b->spec, 0);
	buf_init(&b->results, 0);
	buf_init(&b->rel, 0);
	strvec_init(&b->functions);
	b->venv_root = xstrdup(o->venv_root ? o->venv_root : o->root);
	b->pytest_cmd = o->pytest_cmd ? xstrdup(o->pytest_cmd) : NULL;
	b->choice = o->choice;
	if ((err = prepare(b, o)) < 0)
		goto done;
	f = &b->facts;
	count = xcalloc(f->nfunctions + 1, sizeof(*count));
	callable = xcalloc(f->nfunctions + 1, sizeof(*callable));
	for (fi = 0; fi < f->nfunctions; fi++) {
		struct buf why = BUF_INIT;
		callable[fi] = gen_callable(f, fi, 0, &why) &&
			(!o->functions || strvec_find(o->functions, f->functions[fi].qualname) >= 0);
		if (!callable[fi] && o->functions && strvec_find(o->functions, f->functions[fi].qualname) >= 0)
			log_debug("behaviour: '%s' is not called: %s", f->functions[fi].qualname, why.ptr);
		if (callable[fi])
			strvec_push(&b->functions, f->functions[fi].qualname);
		buf_release(&why);
	}
	pools = gen_pools_new(f);
	gen_rng_seed(&rng, o->seed);
	for (round = 0; round < GEN_BEHAVIOUR_ROUNDS && b->functions.nr; round++) {
		size_t from = b->calls.nr;
		double left = o->time_budget - (clock_monotonic() - started);

		if (round && left <= 0)
			break;
		for (fi = 0; fi < f->nfunctions; fi++)
			if (callable[fi] && count[fi] < GEN_BEHAVIOUR_PER_FUNCTION)
				gen_sample(&b->calls, f, pools, fi,
					   round ? BEHAVIOUR_LATER_ROUND : 1, &rng);
		if (b->calls.nr == from)
			break;
		if ((err = probe(b, from, b->calls.nr, left > 1 ? left : 1)) < 0)
			goto done;
		for (i = from; i < b->calls.nr; i++) {
			struct gen_call *c = &b->calls.items[i];
			if (is_good(c) && count[c->function] < GEN_BEHAVIOUR_PER_FUNCTION) {
				c->kept = 1;
				count[c->function]++;
				b->kept++;
			}
		}
		gen_pools_learn(pools, f, &b->calls);
	}
	log_debug("behaviour: %zu calls of %zu functions of '%s' kept (%zu sampled) in %.1f s", b->kept,
		  b->functions.nr, b->rel.ptr, b->calls.nr, clock_monotonic() - started);
done:
	free(count);
	free(callable);
	gen_pools_free(pools);
	if (err < 0) {
		gen_behaviour_free(b);
		return err;
	}
	*out = b;
	return 0;
}

/* the call as a test writes it: its setup statements, then its expression */
static char *call_text(const struct gen_call *c)
{
	struct buf t = BUF_INIT;
	size_t k;

	for (k = 0; k < c->setup.nr; k++)
		buf_addf(&t, "%s; ", c->setup.v[k]);
	buf_adds(&t, c->expr ? c->expr : "");
	return buf_detach(&t, NULL);
}

static char *outcome_text(const struct gen_call *c)
{
	struct buf t = BUF_INIT;

	if (c->outcome == GEN_OUT_VALUE)
		buf_adds(&t, c->repr ? c->repr : "?");
	else
		buf_addf(&t, "raised %s", c->type ? c->type : "?");
	return buf_detach(&t, NULL);
}

/* the compare's spec: the kept calls only, the changed text as the one mutant, told to report */
static int compare_spec(struct gen_behaviour *b, const char *source, size_t len)
{
	struct gen_probe_options po;
	struct strvec mutants = STRVEC_INIT;
	json_t *spec = NULL, *calls, *kept, *m;
	size_t i;
	int err;

	probe_options(&po, b, 1);
	{
		char *text = xstrndup(source, len);
		strvec_push(&mutants, text);
		free(text);
	}
	err = gen_probe_spec(b->spec.ptr, &po, &b->calls, 0, b->calls.nr, &mutants, NULL);
	strvec_clear(&mutants);
	if (err < 0)
		return err;
	if (!(spec = json_load_file(b->spec.ptr, 0, NULL)))
		return error_set("cannot read back '%s'", b->spec.ptr);
	calls = json_object_get(spec, "calls");
	kept = json_array();
	for (i = 0; i < json_array_size(calls); i++) {
		json_t *c = json_array_get(calls, i);
		json_int_t id = json_integer_value(json_object_get(c, "id"));
		if (id >= 0 && (size_t)id < b->calls.nr && b->calls.items[id].kept)
			json_array_append(kept, c);
	}
	json_object_set_new(spec, "calls", kept);
	m = json_array_get(json_object_get(spec, "mutants"), 0);
	json_object_set_new(m, "report", json_true());
	json_object_del(m, "calls");
	if (json_dump_file(spec, b->spec.ptr, JSON_COMPACT) < 0)
		err = error_set("cannot write '%s'", b->spec.ptr);
	json_decref(spec);
	return err;
}

static void diff_add(struct gen_behaviour_diffs *out, const struct gen_call *c, const char *after)
{
	struct gen_behaviour_diff *d;

	out->items = xrealloc(out->items, (out->nr + 1) * sizeof(*out->items));
	d = &out->items[out->nr++];
	d->call = call_text(c);
	d->before = outcome_text(c);
	d->after = xstrdup(after ? after : "?");
	d->lines = NULL;
	d->nlines = 0;
	/* lines sort before arcs (their high half is 0) */
	for (size_t i = 0; i < c->ncover && c->cover[i] >> 32 == 0; i++) {
		d->lines = xrealloc(d->lines, (d->nlines + 1) * sizeof(*d->lines));
		d->lines[d->nlines++] = (int)c->cover[i];
	}
}

int gen_behaviour_parse(struct gen_behaviour_diffs *out, const struct gen_calls *calls, const char *text,
			size_t len)
{
	const char *line, *end;
	char *changed = xcalloc(calls->nr + 1, 1);
	json_t *after = NULL;
	int err = 0, seen = 0;
	size_t i;

	memset(out, 0, sizeof(*out));
	for (line = text, end = text + len; line < end && !err;) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		json_t *obj, *id, *mid;
		const char *ev, *outcome;

		if (!eol)
			eol = end;
		obj = json_loadb(line, (size_t)(eol - line), JSON_ALLOW_NUL, NULL);
		line = eol + 1;
		if (!json_is_object(obj)) {
			json_decref(obj);
			continue;
		}
		ev = json_string_value(json_object_get(obj, "ev"));
		id = json_object_get(obj, "id");
		mid = json_object_get(obj, "mutant");
		outcome = json_string_value(json_object_get(obj, "outcome"));
		if (ev && !strcmp(ev, "error")) {
			const char *why = json_string_value(json_object_get(obj, "reason"));
			err = error_set("%s", why ? why : "the probe failed");
		} else if (json_is_integer(id) && outcome && !json_is_true(json_object_get(obj, "copy_differs")) &&
			   (!strcmp(outcome, "value") || !strcmp(outcome, "raised"))) {
			out->checked++;
		} else if (json_is_integer(mid)) {
			const char *why = json_string_value(json_object_get(obj, "error"));
			json_t *lists[2] = { json_object_get(obj, "killed_by"), json_object_get(obj, "timeout_by") };
			size_t l;
			seen = 1;
			if (why) {
				err = error_set("the changed module %s", why);
			} else {
				for (l = 0; l < 2; l++)
					for (i = 0; i < json_array_size(lists[l]); i++) {
						json_int_t k = json_integer_value(json_array_get(lists[l], i));
						if (k >= 0 && (size_t)k < calls->nr)
							changed[k] = 1;
					}
				json_decref(after);
				after = json_incref(json_object_get(obj, "after"));
			}
		}
		json_decref(obj);
	}
	if (!err && !seen)
		err = error_set("the probe ended before the change was run");
	for (i = 0; !err && i < calls->nr; i++) {
		char key[32];
		if (!changed[i])
			continue;
		snprintf(key, sizeof(key), "%zu", i);
		diff_add(out, &calls->items[i], json_string_value(json_object_get(after, key)));
	}
	json_decref(after);
	free(changed);
	if (err < 0)
		gen_behaviour_diffs_release(out);
	return err;
}

static int compare_read(struct gen_behaviour_diffs *out, struct gen_behaviour *b)
{
	struct buf text = BUF_INIT;
	int err;

	if ((err = fs_read_file(&text, b->results.ptr, BEHAVIOUR_MAX_RESULTS)) < 0)
		return error_prefix(err, "the probe of the change wrote nothing");
	err = gen_behaviour_parse(out, &b->calls, text.ptr, text.len);
	buf_release(&text);
	return err;
}

int gen_behaviour_compare(struct gen_behaviour_diffs *out, struct gen_behaviour *b, const char *source,
			  size_t len, double limit)
{
	int err, got;

	memset(out, 0, sizeof(*out));
	if (!b->kept)
		return 0;
	if (!b->worker && (err = start_worker(b)) < 0)
		return err;
	if ((err = compare_spec(b, source, len)) < 0)
		return err;
	unlink(b->results.ptr);
	got = pytest_worker_probe(b->worker, b->spec.ptr, b->results.ptr, limit);
	if (got == ERR_INTERRUPTED)
		return got;
	if (got < 0 && got != ERR_TIMEOUT)
		return error_prefix(got, "cannot probe '%s'", b->rel.ptr);
	error_clear();
	if ((err = compare_read(out, b)) < 0) {
		gen_behaviour_diffs_release(out);
		if (got == ERR_TIMEOUT)
			err = error_setc(ERR_TIMEOUT, "the check of the change did not finish within %.0f s", limit);
	}
	return err;
}
