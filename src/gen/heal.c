#include "gen/heal.h"

#include "edit/guard.h"
#include "engine/engine.h"
#include "gen/heal_llm.h"
#include "gen/state.h"
#include "llm/llm.h"
#include "project/project.h"
#include "runner/pytest.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/sig.h"
#include "util/utf8.h"
#include "util/xalloc.h"
#include "vcs/vcs.h"

#include <ctype.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* a test file we read, at most */
#define HEAL_MAX_TEST_BYTES (4u << 20)
/* what a checklist keeps of an error: its first line, this long at most */
#define HEAL_MAX_ERROR_TEXT 300
/* the words of emit.c's header that say a file was generated */
#define HEAL_GENERATED_MARK "written by `pytest-fixer generate`"
/* bytes of the failing run's output fed back to the model */
#define HEAL_FEEDBACK_OUTPUT_CAP 4000
/* bytes of the recent change of the code kept for the prompt (engine/prompt.h cuts it further) */
#define HEAL_CODE_CHANGE_CAP (256u * 1024)
/* bytes kept of each text of an exchange with the model in the result (the transcript has them whole) */
#define HEAL_EXCHANGE_TEXT_CAP (64u * 1024)

void gen_heal_result_release(struct gen_heal_result *r)
{
	size_t i;

	for (i = 0; i < r->nchanges; i++) {
		struct gen_heal_change *ch = &r->changes[i];
		FREE_ALL(ch->file, ch->target, ch->error_type, ch->message, ch->scope, ch->reason, ch->diff,
			 ch->old_value, ch->new_value);
		strvec_clear(&ch->healed);
	}
	free(r->changes);
	for (i = 0; i < r->nleft; i++)
		FREE_ALL(r->left[i].id, r->left[i].file, r->left[i].error_type, r->left[i].message,
			 r->left[i].reason);
	free(r->left);
	for (i = 0; i < r->nexchanges; i++) {
		struct gen_heal_exchange *x = &r->exchanges[i];
		FREE_ALL(x->target, x->provider, x->model, x->system, x->prompt, x->reply, x->outcome);
	}
	free(r->exchanges);
	strvec_clear(&r->written);
	strvec_clear(&r->states);
	memset(r, 0, sizeof(*r));
}

/* ---- seed 003's decision tree -------------------------------------------------- */

/* the whole lines that differ between two texts: [*os, *oe) of old, [*ns, *ne) of new */
static void changed_block(size_t *os, size_t *oe, size_t *ns, size_t *ne, const char *o, size_t ol,
			  const char *n, size_t nl)
{
	size_t p = 0, start = 0, so = ol, sn = nl;

	while (p < ol && p < nl && o[p] == n[p]) {
		if (o[p] == '\n')
			start = p + 1;
		p++;
	}
	*os = *ns = start;
	*oe = ol;
	*ne = nl;
	if (p == ol && p == nl) {
		*oe = *ne = start = ol;
		*os = *ns = ol;
		return;
	}
	while (so > start && sn > start && o[so - 1] == n[sn - 1]) {
		so--;
		sn--;
		if (o[so] == '\n') {
			*oe = so + 1;
			*ne = sn + 1;
		}
	}
	/* the common end reaches a line start of both: lines only added or only removed */
	if ((so == start || sn == start) && (!so || o[so - 1] == '\n') && (!sn || n[sn - 1] == '\n')) {
		*oe = so;
		*ne = sn;
	}
}

static size_t count_lines(const char *s, size_t len)
{
	size_t n = 0, i;

	for (i = 0; i < len; i++)
		n += s[i] == '\n';
	return n + (len && s[len - 1] != '\n');
}

static size_t occurrences(const char *hay, size_t hl, const char *needle, size_t nl)
{
	size_t n = 0, i;

	if (!nl || nl > hl)
		return 0;
	for (i = 0; i + nl <= hl; i++)
		n += !memcmp(hay + i, needle, nl);
	return n;
}

enum edit_mode gen_heal_mode(const char **scope, double *uniqueness, const char *o, size_t ol, const char *n,
			     size_t nl)
{
	size_t os, oe, ns, ne, changed = edit_count_changed_lines(o, ol, n, nl), occ;
	int local;

	changed_block(&os, &oe, &ns, &ne, o, ol, n, nl);
	occ = occurrences(o, ol, o + os, oe - os);
	*uniqueness = occ ? 1.0 / (double)occ : 0.0;
	local = count_lines(o + os, oe - os) + count_lines(n + ns, ne - ns) == changed;
	if (local)
		*scope = "local";
	else if (changed < GEN_HEAL_PATCH_MAX_LINES)
		*scope = "multi_line";
	else
		*scope = "file_wide";
	if (local && occ == 1)
		return EDIT_UPDATE;
	return changed < GEN_HEAL_PATCH_MAX_LINES ? EDIT_PATCH : EDIT_REWRITE;
}

/* ---- the session ----------------------------------------------------------------- */

/* a test file heal read: as the user had it, and as it is in the private copy now */
struct heal_file {
	char *path;
	struct buf original, current;
	mode_t mode;
};

/* why a failure was not healed, by its id */
struct verdict {
	char *id;
	char *reason;
	const char *outcome;    /* the checklist's: FAILED, REFUSED, HELD */
	const char *method;     /* the mode of the last candidate tried, or "" */
	const char *engine;     /* who made the last candidate: GEN_HEAL_ENGINE or GEN_HEAL_LLM_ENGINE */
	int asked;              /* questions to the model about it */
	const char *scope;
	double uniqueness;
	enum gen_heal_category category;
};

struct ctx {
	const struct gen_heal_options *o;
	struct gen_heal_result *r;
	struct buf root, tmp, work;
	struct gen_heal_modules modules;
	struct store *kb;             /* the project's (borrowed) */
	struct store *machine_kb;     /* owned; NULL when there is none */
	struct heal_file *files;
	size_t nfiles, files_alloc;
	struct verdict *verdicts;
	size_t nverdicts, verdicts_alloc;
	struct strvec tried;          /* failures tried: id, type and message */
	struct strvec same_error;     /* ... and as file, type and message: the same error elsewhere in the file, */
	struct strvec same_error_id;  /* and the failure that had it first (its verdict is theirs) */
	struct strvec extra_args;
	const struct run *final;      /* the last run, once over */
	double started;
	struct buf code_change;       /* the recent change of the code, for the model */
	long tokens_used;             /* the model's, against o->max_tokens */
	int budget_said;
};

struct run {
	struct test_result res;
	struct strvec ran;            /* ids that started */
	struct strvec skipped;
};

static void run_init(struct run *r)
{
	test_result_init(&r->res);
	strvec_init(&r->ran);
	strvec_init(&r->skipped);
}

static void run_release(struct run *r)
{
	test_result_release(&r->res);
	strvec_clear(&r->ran);
	strvec_clear(&r->skipped);
}

static int on_record(void *payload, json_t *rec, const char *ev)
{
	struct run *r = payload;
	const char *id = json_string_value(json_object_get(rec, "id"));
	const char *outcome = json_string_value(json_object_get(rec, "outcome"));

	if (!id)
		return 0;
	if (!strcmp(ev, "start"))
		strvec_push(&r->ran, id);
	else if (!strcmp(ev, "report") && outcome && !strcmp(outcome, "skipped"))
		strvec_push(&r->skipped, id);
	return 0;
}

/* every `from` in *s replaced by `to` */
static void replace_all(char **s, const char *from, const char *to)
{
	struct buf out = BUF_INIT;
	const char *p, *hit;
	size_t n = strlen(from);

	if (!*s || !n || !strstr(*s, from))
		return;
	for (p = *s; (hit = strstr(p, from)); p = hit + n) {
		buf_add(&out, p, (size_t)(hit - p));
		buf_adds(&out, to);
	}
	buf_adds(&out, p);
	free(*s);
	*s = buf_detach(&out, NULL);
}

/* the tests of `paths` (NULL: the user's) in the private copy */
static int run_tests(struct ctx *c, struct run *out, const struct strvec *paths)
{
	struct pytest_options po = PYTEST_OPTIONS_INIT;
	size_t i;
	int err;

	po.root = c->work.ptr;
	po.venv_root = c->root.ptr;
	po.command = c->o->pytest_cmd;
	po.choice = c->o->project->pytest;
	po.paths = paths ? paths : c->o->paths;
	po.keyword = c->o->keyword;
	po.extra_args = &c->extra_args;
	po.test_timeout = c->o->test_timeout > 0 ? c->o->test_timeout : PYTEST_DEFAULT_TEST_TIMEOUT;
	po.every_test = 1;
	po.on_record = on_record;
	po.payload = out;
	if (sig_pending())
		return error_setc(ERR_INTERRUPTED, "interrupted");
	if ((err = pytest_run(&out->res, &po)) < 0) {
		char *msg = xstrdup(error_last());
		replace_all(&msg, c->work.ptr, c->root.ptr);
		err = err == ERR_INTERRUPTED ? err : error_setc(err, "%s", msg);
		free(msg);
		return err;
	}
	/* what the user reads names their project, not our copy of it */
	for (i = 0; i < out->res.nr_failures; i++) {
		replace_all(&out->res.failures[i].message, c->work.ptr, c->root.ptr);
		replace_all(&out->res.failures[i].traceback, c->work.ptr, c->root.ptr);
	}
	return 0;
}

static int failed_in(const struct run *r, const char *id)
{
	size_t i;

	for (i = 0; i < r->res.nr_failures; i++)
		if (!strcmp(r->res.failures[i].id, id))
			return 1;
	return 0;
}

/*
 * The test `id` ran: itself, or (a parametrized row whose id pytest makes
 * from its values, which the change edited) a new row of its function
 * that passed
 */
static int ran_again(const struct run *after, const struct run *before, const char *id)
{
	size_t fn = failure_id_function_len(id), i;

	if (strvec_find(&after->ran, id) >= 0)
		return 1;
	if (!id[fn])
		return 0;
	for (i = 0; i < after->ran.nr; i++) {
		const char *a = after->ran.v[i];
		if (!strncmp(a, id, fn) && a[fn] == '[' && strvec_find(&before->ran, a) < 0 && !failed_in(after, a))
			return 1;
	}
	return 0;
}

/* `id` is of the test file `file` (the file itself, or file::...) */
static int id_in_file(const char *id, const char *file)
{
	size_t n = strlen(file);
	return !strncmp(id, file, n) && (!id[n] || !strncmp(id + n, "::", 2));
}

static struct heal_file *file_get(struct ctx *c, const char *path)
{
	struct heal_file *f;
	struct buf abs = BUF_INIT;
	struct stat st;
	size_t i;
	int err;

	for (i = 0; i < c->nfiles; i++)
		if (!strcmp(c->files[i].path, path))
			return &c->files[i];
	buf_addf(&abs, "%s/%s", c->work.ptr, path);
	ALLOC_APPEND(f, c->files, c->nfiles, c->files_alloc);
	f->path = xstrdup(path);
	buf_init(&f->original, 0);
	buf_init(&f->current, 0);
	f->mode = stat(abs.ptr, &st) == 0 ? st.st_mode & 07777 : 0644;
	err = fs_read_file(&f->current, abs.ptr, HEAL_MAX_TEST_BYTES);
	buf_release(&abs);
	if (err < 0 || memchr(f->current.ptr, '\0', f->current.len)) {
		error_clear();
		buf_release(&f->current);
		free(f->path);
		c->nfiles--;
		return NULL;
	}
	buf_add(&f->original, f->current.ptr, f->current.len);
	return f;
}

static struct verdict *verdict_of(struct ctx *c, const char *id)
{
	struct verdict *v;
	size_t i;

	for (i = 0; i < c->nverdicts; i++)
		if (!strcmp(c->verdicts[i].id, id))
			return &c->verdicts[i];
	ALLOC_APPEND(v, c->verdicts, c->nverdicts, c->verdicts_alloc);
	v->id = xstrdup(id);
	v->outcome = "FAILED";
	v->method = "";
	v->scope = "";
	v->engine = GEN_HEAL_ENGINE;
	return v;
}

static void verdict_set(struct ctx *c, const char *id, enum gen_heal_category cat, const char *outcome,
			const char *reason)
{
	struct verdict *v = verdict_of(c, id);
	struct buf clean = BUF_INIT;
	/* valid UTF-8 for the report and its JSON: a reason may quote a model's reply */
	utf8_sanitize(&clean, reason, strlen(reason));
	free(v->reason);
	v->reason = buf_detach(&clean, NULL);
	v->outcome = outcome;
	v->category = cat;
}

/* `text` as the file's content in the private copy */
static int work_write(struct ctx *c, struct heal_file *f, const char *text, size_t len)
{
	struct buf abs = BUF_INIT;
	int err;

	buf_addf(&abs, "%s/%s", c->work.ptr, f->path);
	err = fs_write_atomic(abs.ptr, text, len, f->mode);
	buf_release(&abs);
	pytest_drop_bytecode(c->work.ptr, f->path);
	return err;
}

/* ---- the knowledge base ------------------------------------------------------------ */

static double kb_score(size_t successes, size_t attempts)
{
	return ((double)successes + 1.0) / ((double)attempts + 2.0);
}

/*
 * The tree's mode, or a more invasive one the knowledge base has seen work
 * on this error where the tree's failed (GEN_HEAL_KB_MIN_ATTEMPTS tries of
 * each, a lead of GEN_HEAL_KB_MARGIN).
 */
static enum edit_mode kb_mode(struct ctx *c, const char *engine, enum edit_mode tree, const char *error_type)
{
	struct kb_stat *st = NULL;
	size_t nr = 0, i, att[3] = { 0 }, ok[3] = { 0 };
	enum edit_mode best = tree, m;

	if (!c->kb || store_kb_stats_by_template(&st, &nr, c->kb) < 0) {
		error_clear();
		return tree;
	}
	for (i = 0; i < nr; i++) {
		enum edit_mode mode;
		if (!st[i].engine || strcmp(st[i].engine, engine) || !st[i].method ||
		    !st[i].error_category || strcmp(st[i].error_category, error_type ? error_type : "") ||
		    edit_mode_parse(&mode, st[i].method) < 0 || mode > EDIT_REWRITE)
			continue;
		att[mode] += st[i].attempts;
		ok[mode] += st[i].successes;
	}
	error_clear();
	kb_stats_free(st, nr);
	if (att[tree] < GEN_HEAL_KB_MIN_ATTEMPTS)
		return tree;
	for (m = tree + 1; m <= EDIT_REWRITE; m++)
		if (att[m] >= GEN_HEAL_KB_MIN_ATTEMPTS &&
		    kb_score(ok[m], att[m]) > kb_score(ok[best], att[best]) + GEN_HEAL_KB_MARGIN)
			best = m;
	return best;
}

/* the templates by past success on this error: the project's record, then the machine's */
static void kb_template_order(struct ctx *c, struct strvec *out, const char *error_type)
{
	struct strvec machine = STRVEC_INIT;
	size_t i;

	if (c->kb && store_template_order(out, c->kb, GEN_HEAL_ENGINE, error_type) < 0)
		strvec_clear(out);
	if (c->machine_kb && store_template_order(&machine, c->machine_kb, GEN_HEAL_ENGINE, error_type) == 0)
		for (i = 0; i < machine.nr; i++)
			if (strvec_find(out, machine.v[i]) < 0)
				strvec_push(out, machine.v[i]);
	error_clear();
	strvec_clear(&machine);
}

static enum attempt_method method_of(enum edit_mode m)
{
	return m == EDIT_PATCH ? ATTEMPT_METHOD_PATCH : m == EDIT_REWRITE ? ATTEMPT_METHOD_REWRITE
									  : ATTEMPT_METHOD_UPDATE;
}

static void kb_record(struct ctx *c, const struct failure *f, const char *engine, const char *template_name,
		      int proposed, enum edit_mode mode, enum attempt_status status, enum attempt_gate gate,
		      const char *reason, const char *diff, double started, double temperature)
{
	struct attempt_row a;

	memset(&a, 0, sizeof(a));
	a.engine = (char *)engine;
	a.temperature = temperature;
	a.method = proposed ? method_of(mode) : ATTEMPT_METHOD_NONE;
	a.template_name = (char *)template_name;
	a.status = status;
	a.gate = gate;
	a.reason = (char *)reason;
	a.diff = (char *)diff;
	a.error_category = f->error_type;
	a.started = started;
	a.finished = clock_wall();
	if (c->kb && store_knowledge_add(c->kb, &a) < 0)
		log_warn("cannot count a heal attempt in the knowledge base: %s", error_last());
	if (c->machine_kb && store_knowledge_add(c->machine_kb, &a) < 0)
		log_debug("cannot count a heal attempt in the machine's knowledge base: %s", error_last());
	error_clear();
}

/* a candidate the model made */
static int by_model(const char *template_name)
{
	return template_name && !strcmp(template_name, GEN_HEAL_LLM_ENGINE);
}

/* ---- one candidate ----------------------------------------------------------------- */

struct trial {
	int passed;                   /* every gate passed */
	enum attempt_gate gate;
	struct buf reason;
	struct buf diff;
	struct buf output;            /* the target's failure with it: the failing run's output */
	enum edit_mode mode;
	const char *scope;
	double uniqueness;
	size_t left_in_file;          /* failures of the file with it */
	size_t left_in_function;      /* ... of the target's test function */
	struct strvec healed;         /* ids of the file that pass with it and failed before */
};

static void trial_init(struct trial *t)
{
	memset(t, 0, sizeof(*t));
	buf_init(&t->reason, 0);
	buf_init(&t->diff, 0);
	buf_init(&t->output, 0);
	strvec_init(&t->healed);
	t->scope = "";
}

static void trial_release(struct trial *t)
{
	buf_release(&t->reason);
	buf_release(&t->diff);
	buf_release(&t->output);
	strvec_clear(&t->healed);
}

/* the change that turns the file's text into `text`, in `mode` */
static void change_in_mode(struct change *ch, enum edit_mode mode, const struct heal_file *f,
			   const char *text, size_t len, const struct buf *diff)
{
	struct file_edit *e;
	size_t os, oe, ns, ne;

	change_init(ch);
	e = change_add(ch, mode, f->path);
	switch (mode) {
	case EDIT_UPDATE:
		changed_block(&os, &oe, &ns, &ne, f->current.ptr, f->current.len, text, len);
		e->old_str = xstrndup(f->current.ptr + os, oe - os);
		e->new_str = xstrndup(text + ns, ne - ns);
		break;
	case EDIT_PATCH:
		e->patch = xstrndup(diff->ptr, diff->len);
		break;
	default:
		e->content = xstrndup(text, len);
		break;
	}
}

/*
 * The change applied in the private copy in the mode chosen (a mode whose
 * edit does not give the candidate's text exactly gives way to the next);
 * 0 with t->mode set, or the gate's failure in `t`.
 */
static int apply_in_copy(struct ctx *c, struct trial *t, struct heal_file *f, const char *text, size_t len,
			 enum edit_mode first)
{
	enum edit_mode m;

	for (m = first; m <= EDIT_REWRITE; m++) {
		struct change ch;
		struct change_preview pv = CHANGE_PREVIEW_INIT;
		size_t i;
		int same = 0, err;

		change_in_mode(&ch, m, f, text, len, &t->diff);
		/* only the failing test's own file, a test file: anything else is refused */
		for (i = 0; i < ch.nr; i++)
			if (strcmp(ch.edits[i].path, f->path) || !guard_is_test_file(ch.edits[i].path)) {
				change_release(&ch);
				t->gate = ATTEMPT_GATE_APPLY;
				buf_addf(&t->reason, "refused: the change touches '%s', not the test file",
					 ch.edits[i].path);
				return -1;
			}
		if (change_preview(&pv, &ch, c->work.ptr) == 0)
			same = pv.nr == 1 && pv.files[0].new.len == len && !memcmp(pv.files[0].new.ptr, text, len);
		change_preview_release(&pv);
		error_clear();
		if (!same) {
			change_release(&ch);
			continue;
		}
		err = change_apply(&ch, c->work.ptr, NULL);
		change_release(&ch);
		if (err < 0) {
			t->gate = ATTEMPT_GATE_APPLY;
			buf_addf(&t->reason, "cannot apply: %s", error_last());
			error_clear();
			return -1;
		}
		pytest_drop_bytecode(c->work.ptr, f->path);
		t->mode = m;
		return 0;
	}
	t->gate = ATTEMPT_GATE_APPLY;
	buf_adds(&t->reason, "no edit mode gives the candidate's text");
	return -1;
}

/*
 * Check one candidate in the private copy: refused when it weakens the
 * test; then applied and the file run: the target must pass, no test of
 * the file that passed before may fail. The copy is left as it was.
 */
static int try_candidate(struct ctx *c, struct trial *t, struct heal_file *f, const struct failure *target,
			 const struct gen_heal_candidate *cand, const struct run *before)
{
	struct strvec paths = STRVEC_INIT;
	struct run after;
	enum edit_mode tree;
	int collection = target->kind == FAILURE_KIND_COLLECTION, err = 0, w;
	size_t i;

	run_init(&after);
	if ((err = vcs_diff_texts(&t->diff, f->path, f->current.ptr, f->current.len, cand->text, cand->len)) < 0)
		goto done;
	tree = gen_heal_mode(&t->scope, &t->uniqueness, f->current.ptr, f->current.len, cand->text, cand->len);
	t->mode = kb_mode(c, by_model(cand->template_name) ? GEN_HEAL_LLM_ENGINE : GEN_HEAL_ENGINE, tree,
			  target->error_type);
	w = guard_test_weakening(&t->reason, f->path, f->current.ptr, f->current.len, cand->text, cand->len);
	if (w != 0) {
		t->gate = ATTEMPT_GATE_WEAKENING;
		if (w < 0) {
			buf_addf(&t->reason, "cannot compare the test file: %s", error_last());
			error_clear();
		}
		goto done;
	}
	if (apply_in_copy(c, t, f, cand->text, cand->len, t->mode) < 0)
		goto done;
	strvec_push(&paths, f->path);
	err = run_tests(c, &after, &paths);
	/* the copy as it was, whatever the run said */
	if (work_write(c, f, f->current.ptr, f->current.len) < 0 && !err)
		err = -1;
	if (err < 0)
		goto done;
	if (failed_in(&after, target->id) || (!collection && !ran_again(&after, before, target->id))) {
		t->gate = ATTEMPT_GATE_TARGET;
		if (failed_in(&after, target->id)) {
			const struct failure *g = test_result_find(&after.res, target->id);
			buf_addf(&t->reason, "'%s' still fails: %s: %.200s", target->id,
				 g->error_type ? g->error_type : "error", g->message ? g->message : "");
			if (g->traceback)
				buf_add(&t->output, g->traceback, strnlen(g->traceback, HEAL_FEEDBACK_OUTPUT_CAP));
		} else {
			buf_addf(&t->reason, "'%s' did not run", target->id);
		}
		goto done;
	}
	/* a test of the file failing now that passed before (a file that did not collect had none) */
	for (i = 0; i < after.res.nr_failures; i++) {
		const struct failure *g = &after.res.failures[i];
		if (!id_in_file(g->id, f->path))
			continue;
		t->left_in_file++;
		if (!collection && !strncmp(g->id, target->id, failure_id_function_len(target->id)) &&
		    failure_id_function_len(g->id) == failure_id_function_len(target->id))
			t->left_in_function++;
		if (!failed_in(before, f->path) && !failed_in(before, g->id) && strvec_find(&before->ran, g->id) >= 0) {
			t->gate = ATTEMPT_GATE_REGRESSION;
			buf_addf(&t->reason, "'%s' passed before and fails with it: %s", g->id,
				 g->error_type ? g->error_type : "error");
			goto done;
		}
	}
	for (i = 0; i < after.ran.nr; i++) {
		const char *id = after.ran.v[i];
		if (id_in_file(id, f->path) && !failed_in(&after, id) && strvec_find(&after.skipped, id) < 0 &&
		    (failed_in(before, id) || strvec_find(&before->ran, id) < 0) && strvec_find(&t->healed, id) < 0)
			strvec_push(&t->healed, id);
	}
	t->passed = 1;
done:
	strvec_clear(&paths);
	run_release(&after);
	return err;
}

/* ---- one failure (and those of its file with the same error) ---------------------------- */

static int frame_line(const struct failure *f)
{
	size_t i;
	int line = 0;

	for (i = 0; i < f->nr_frames; i++)
		if (f->frames[i].file && f->file && !strcmp(f->frames[i].file, f->file))
			line = f->frames[i].line;
	if (!line && f->loc_file && f->file && !strcmp(f->loc_file, f->file))
		line = f->loc_line;
	return line;
}

static void first_line(struct buf *out, const char *type, const char *message)
{
	const char *m = message ? message : "";
	size_t n = strcspn(m, "\n");

	if (n > HEAL_MAX_ERROR_TEXT)
		n = HEAL_MAX_ERROR_TEXT;
	buf_addf(out, "%s%s%.*s", type ? type : "error", *m ? ": " : "", (int)n, m);
}

/* the message to show: pytest's own words for a fixture it cannot find */
static char *shown_message(const struct failure *f)
{
	const char *p = f->traceback ? strstr(f->traceback, "fixture '") : NULL;

	if (p && f->error_type && strstr(f->error_type, "FixtureLookupError"))
		return xstrndup(p, strcspn(p, "\n"));
	return xstrdup_or_null(f->message);
}

static struct gen_heal_change *change_add_result(struct ctx *c, const struct failure *f,
						 enum gen_heal_category cat,
						 const struct gen_heal_candidate *cand, struct trial *t)
{
	struct gen_heal_change *ch;

	ALLOC_APPEND(ch, c->r->changes, c->r->nchanges, c->r->changes_alloc);
	ch->file = xstrdup(f->file);
	ch->target = xstrdup(f->id);
	ch->error_type = xstrdup_or_null(f->error_type);
	ch->message = shown_message(f);
	ch->category = cat;
	ch->template_name = cand->template_name;
	ch->engine = by_model(cand->template_name) ? GEN_HEAL_LLM_ENGINE : GEN_HEAL_ENGINE;
	ch->mode = t->mode;
	ch->scope = xstrdup(t->scope);
	ch->uniqueness = t->uniqueness;
	ch->reason = xstrdup(cand->reason);
	ch->diff = xstrndup(t->diff.ptr, t->diff.len);
	ch->behaviour = cand->behaviour;
	ch->old_value = xstrdup_or_null(cand->old_value);
	ch->new_value = xstrdup_or_null(cand->new_value);
	strvec_init(&ch->healed);
	return ch;
}

/* ---- the model ------------------------------------------------------------------------ */

/* the session's token budget is spent: no more questions */
static int budget_spent(struct ctx *c)
{
	if (c->o->max_tokens <= 0 || c->tokens_used < c->o->max_tokens)
		return 0;
	if (!c->budget_said)
		log_warn("heal: the token budget (%ld) is spent: no more questions to the model", c->o->max_tokens);
	c->budget_said = 1;
	return 1;
}

/* a model's text for the result: secrets redacted, at most HEAL_EXCHANGE_TEXT_CAP bytes, valid UTF-8 */
static char *exchange_text(const char *s)
{
	struct buf clean = BUF_INIT;
	char *red = secret_redacted(s);
	size_t n;

	if (!red)
		return NULL;
	n = strlen(red);
	utf8_sanitize(&clean, red, n > HEAL_EXCHANGE_TEXT_CAP ? HEAL_EXCHANGE_TEXT_CAP : n);
	if (n > HEAL_EXCHANGE_TEXT_CAP)
		buf_addf(&clean, "\n[... %zu more bytes ...]", n - HEAL_EXCHANGE_TEXT_CAP);
	free(red);
	return buf_detach(&clean, NULL);
}

/* the exchange into the result, every string redacted */
static struct gen_heal_exchange *exchange_add(struct ctx *c, const struct failure *f, int attempt,
					      double temperature, const struct engine_exchange *x)
{
	struct gen_heal_exchange *e;

	ALLOC_APPEND(e, c->r->exchanges, c->r->nexchanges, c->r->exchanges_alloc);
	memset(e, 0, sizeof(*e));
	e->target = xstrdup(f->id);
	e->attempt = attempt;
	e->temperature = temperature;
	e->provider = exchange_text(x->provider ? x->provider : llm_provider_name(c->o->provider));
	e->model = exchange_text(x->model);
	e->system = exchange_text(x->system);
	e->prompt = exchange_text(x->prompt);
	e->reply = exchange_text(x->reply);
	e->prompt_tokens = x->prompt_tokens;
	e->completion_tokens = x->completion_tokens;
	e->latency = x->latency;
	c->r->prompt_tokens = sat_add(c->r->prompt_tokens, x->prompt_tokens);
	c->r->completion_tokens = sat_add(c->r->completion_tokens, x->completion_tokens);
	c->tokens_used = sat_add(c->tokens_used, sat_add(x->prompt_tokens, x->completion_tokens));
	return e;
}

static void exchange_outcome(struct gen_heal_exchange *e, const char *outcome)
{
	free(e->outcome);
	e->outcome = exchange_text(outcome);
}

/* the edit mode to ask for: the tree's guess from the error, or what the knowledge base saw work better */
static const char *model_mode(struct ctx *c, const struct failure *f, enum gen_heal_category cat)
{
	enum edit_mode tree = cat == GEN_HEAL_IMPORT || cat == GEN_HEAL_NAME || cat == GEN_HEAL_ATTRIBUTE ||
			      cat == GEN_HEAL_FIXTURE ? EDIT_UPDATE : EDIT_PATCH;
	return edit_mode_name(kb_mode(c, GEN_HEAL_LLM_ENGINE, tree, f->error_type));
}

/*
 * The model's change as a candidate: the failing test's file, and only it,
 * changed within the limits; 0 with `cand` filled, or -1 with the gate
 * and the reason in `t`.
 */
static int model_candidate(struct ctx *c, struct gen_heal_candidate *cand, struct trial *t,
			   const struct heal_file *file, const struct change *change)
{
	struct change_preview pv = CHANGE_PREVIEW_INIT;
	const struct buf *text = NULL;
	struct buf why = BUF_INIT;
	size_t i, n;
	int err = -1;

	memset(cand, 0, sizeof(*cand));
	t->gate = ATTEMPT_GATE_APPLY;
	if (change_preview(&pv, change, c->work.ptr) < 0) {
		buf_addf(&t->reason, "cannot apply the reply: %s", error_last());
		error_clear();
		goto done;
	}
	for (i = 0; i < pv.nr; i++) {
		const struct change_file *cf = &pv.files[i];
		if (strcmp(cf->path, file->path)) {
			buf_addf(&t->reason, "refused: the reply edits '%s', not the failing test's file '%s': %s",
				 cf->path, file->path, guard_is_test_file(cf->path)
				 ? "heal edits the failing test's own file only"
				 : "that is the code, and heal edits test files only");
			goto done;
		}
		if (cf->removed) {
			buf_addf(&t->reason, "refused: the reply deletes '%s'", cf->path);
			goto done;
		}
		text = &cf->new;
	}
	if (!text || (text->len == file->current.len && !memcmp(text->ptr, file->current.ptr, text->len))) {
		buf_adds(&t->reason, "the reply changes nothing");
		goto done;
	}
	if (text->len > HEAL_MAX_TEST_BYTES || memchr(text->ptr, '\0', text->len)) {
		buf_addf(&t->reason, "refused: the file it gives is %s", text->len > HEAL_MAX_TEST_BYTES
			 ? "too large" : "binary (a NUL byte)");
		goto done;
	}
	if (secret_find(text->ptr, text->len)) {
		buf_adds(&t->reason, "refused: the reply writes a secret (the API key) into the test file");
		goto done;
	}
	if (guard_config_change(&why, file->path, file->current.ptr, file->current.len, text->ptr, text->len) != 0) {
		t->gate = ATTEMPT_GATE_WEAKENING;
		buf_addf(&t->reason, "refused: %s", why.len ? why.ptr : error_last());
		error_clear();
		goto done;
	}
	cand->text = xstrndup(text->ptr, text->len);
	cand->len = text->len;
	cand->template_name = GEN_HEAL_LLM_ENGINE;
	cand->behaviour = gen_heal_llm_behaviour(&cand->old_value, &cand->new_value, file->current.ptr,
						 file->current.len, text->ptr, text->len);
	buf_reset(&why);
	buf_adds(&why, "by the model");
	if (change->description && *change->description) {
		n = strcspn(change->description, "\n");
		buf_addf(&why, ": %.*s%s", (int)(n > GEN_HEAL_LLM_REASON_CAP ? GEN_HEAL_LLM_REASON_CAP : n),
			 change->description, n > GEN_HEAL_LLM_REASON_CAP ? "..." : "");
	}
	secret_redact(&why);
	cand->reason = exchange_text(why.ptr);
	t->gate = ATTEMPT_GATE_NONE;
	err = 0;
done:
	change_preview_release(&pv);
	buf_release(&why);
	return err;
}

/*
 * Ask the model about failure `f`, up to max_retries times, each reply
 * checked as a template's candidate; the first that passes is moved into
 * `won` (one candidate) with its trial in `win`. `why`: the last reason a
 * reply failed. 0, or an error that stops heal (ERR_INTERRUPTED, ERR_USAGE:
 * the key refused).
 */
static int heal_with_model(struct ctx *c, const struct failure *f, const struct run *before,
			   struct heal_file *file, enum gen_heal_category cat, struct gen_heal_candidates *won,
			   struct trial *win, struct buf *why, size_t *refused)
{
	struct buf feedback = BUF_INIT, previous = BUF_INIT;
	struct verdict *v = verdict_of(c, f->id);
	const char *mode = model_mode(c, f, cat);
	struct strvec imported = STRVEC_INIT;
	size_t i;
	int r, err = 0;

	/* the code the test calls: the project's modules its file imports */
	for (i = 0; i < c->modules.nr && imported.nr < GEN_HEAL_LLM_MAX_CONTEXT_FILES; i++)
		if (c->modules.v[i].name && *c->modules.v[i].name &&
		    gen_heal_llm_imports(file->current.ptr, file->current.len, c->modules.v[i].name))
			strvec_push(&imported, c->modules.v[i].path);

	for (r = 0; r < c->o->max_retries && !won->nr && !err; r++) {
		double temperature = c->o->initial_temp + r * c->o->temp_increment, started = clock_wall();
		struct candidate_list cl = CANDIDATE_LIST_INIT;
		struct gen_heal_candidate cand;
		struct gen_heal_exchange *e;
		struct engine_exchange x;
		struct trial t;
		struct engine_request req = {
			.failure = f, .root = c->work.ptr, .max_candidates = 1, .temperature = temperature,
			.feedback = feedback.len ? feedback.ptr : NULL,
			.previous_change = previous.len ? previous.ptr : NULL,
			.preferred_mode = mode, .allow_test_edits = 1, .heal = 1,
			.code_change = c->code_change.len ? c->code_change.ptr : NULL,
			.context_files = imported.nr ? &imported : NULL,
			.provider = c->o->provider, .fallback = c->o->fallback, .exchange = &x,
		};
		const char *provider;

		if (budget_spent(c)) {
			buf_addf(why, "%sthe token budget (%ld, --max-tokens) is spent", why->len ? "; " : "",
				 c->o->max_tokens);
			break;
		}
		if (sig_pending()) {
			err = error_setc(ERR_INTERRUPTED, "interrupted");
			break;
		}
		memset(&x, 0, sizeof(x));
		memset(&cand, 0, sizeof(cand));
		trial_init(&t);
		log_info("heal: %s: asking the model (attempt %d of %d)", f->id, r + 1, c->o->max_retries);
		err = engine_llm.propose(&cl, &req);
		v->asked++;
		v->engine = GEN_HEAL_LLM_ENGINE;
		e = exchange_add(c, f, r + 1, temperature, &x);
		provider = e->provider;
		if (err == ERR_INTERRUPTED || err == ERR_USAGE) {
			exchange_outcome(e, error_last());
		} else if (err < 0 || !cl.nr) {
			/* a reply we cannot use, or none: a failed attempt, fed back */
			buf_adds(&t.reason, x.outcome ? x.outcome : err < 0 ? error_last() : "no change");
			err = 0;
			error_clear();
			exchange_outcome(e, t.reason.ptr);
			kb_record(c, f, GEN_HEAL_LLM_ENGINE, provider, 0, EDIT_UPDATE, ATTEMPT_FAILED, ATTEMPT_GATE_APPLY,
				  t.reason.ptr, NULL, started, temperature);
			buf_reset(&feedback);
			buf_addf(&feedback, "Your previous reply could not be used: %s", t.reason.ptr);
		} else {
			if (model_candidate(c, &cand, &t, file, &cl.items[0].change) == 0)
				err = try_candidate(c, &t, file, f, &cand, before);
			if (err >= 0) {
				c->r->attempts++;
				kb_record(c, f, GEN_HEAL_LLM_ENGINE, provider, cand.text != NULL, t.mode,
					  t.passed ? ATTEMPT_PASSED : ATTEMPT_FAILED, t.passed ? ATTEMPT_GATE_NONE : t.gate,
					  t.reason.len ? t.reason.ptr : NULL, t.diff.len ? t.diff.ptr : NULL, started,
					  temperature);
				if (cand.text)
					v->method = edit_mode_name(t.mode);
			}
			if (err >= 0 && t.passed) {
				struct gen_heal_candidate *w;
				ALLOC_APPEND(w, won->v, won->nr, won->alloc);
				*w = cand;
				memset(&cand, 0, sizeof(cand));
				*win = t;
				trial_init(&t);
				exchange_outcome(e, w->behaviour && !c->o->accept_behaviour
						 ? "passes; held: it changes an expected value" : "passes: healed");
			} else if (err >= 0) {
				const char *gate = attempt_gate_name(t.gate);
				*refused += t.gate == ATTEMPT_GATE_WEAKENING ||
					    (t.reason.len && !strncmp(t.reason.ptr, "refused", 7));
				buf_reset(&feedback);
				buf_addf(&feedback, "The change failed the '%s' gate: %s", gate ? gate : "apply", t.reason.ptr);
				if (t.output.len) {
					buf_adds(&feedback, "\nThe test's output with it:\n");
					buf_add(&feedback, t.output.ptr, t.output.len);
				}
				buf_reset(&previous);
				buf_add(&previous, t.diff.ptr, t.diff.len);
				exchange_outcome(e, t.reason.ptr);
			}
		}
		if (t.reason.len) {
			buf_reset(why);
			buf_add(why, t.reason.ptr, t.reason.len);
		}
		free(cand.text);
		FREE_ALL(cand.reason, cand.old_value, cand.new_value);
		trial_release(&t);
		engine_exchange_release(&x);
		candidate_list_release(&cl);
	}
	buf_release(&feedback);
	buf_release(&previous);
	strvec_clear(&imported);
	return err;
}

/*
 * Heal failure `f` of the run: the templates' candidates checked, then the
 * model asked when they leave it failing (or with a held change only); the
 * best kept in the copy (a held one not). 1 when the copy changed, 0 when
 * not, or an error (ERR_INTERRUPTED).
 */
static int heal_failure(struct ctx *c, const struct failure *f, const struct run *before)
{
	struct gen_heal_diagnosis d = GEN_HEAL_DIAGNOSIS_INIT;
	struct gen_heal_candidates cands = GEN_HEAL_CANDIDATES_INIT, model = GEN_HEAL_CANDIDATES_INIT;
	struct gen_heal_request req;
	struct strvec order = STRVEC_INIT;
	struct heal_file *file = file_get(c, f->file);
	struct trial best;
	const struct gen_heal_candidate *winner = NULL;
	struct buf why = BUF_INIT, model_why = BUF_INIT;
	enum gen_heal_category cat;
	size_t i, refused = 0, model_refused = 0, asked = 0;
	int err = 0, changed = 0, templates = c->o->engine != GEN_HEAL_ENGINE_LLM;
	int ask = c->o->provider && c->o->engine != GEN_HEAL_ENGINE_BUILTIN && c->o->max_retries > 0;

	trial_init(&best);
	cat = gen_heal_classify(&d, f->error_type, f->message, f->traceback);
	if (!file) {
		verdict_set(c, f->id, cat, "FAILED", "its test file cannot be read");
		goto done;
	}
	if (templates) {
		kb_template_order(c, &order, f->error_type);
		memset(&req, 0, sizeof(req));
		req.d = &d;
		req.path = file->path;
		req.text = file->current.ptr;
		req.len = file->current.len;
		req.test = f->kind == FAILURE_KIND_COLLECTION ? NULL : f->test;
		req.line = frame_line(f);
		req.modules = &c->modules;
		req.template_order = &order;
		gen_heal_propose(&cands, &req);
		log_info("heal: %s: %s, %zu candidate%s", f->id, gen_heal_category_name(cat), cands.nr,
			 cands.nr == 1 ? "" : "s");
	}
	if (templates && !cands.nr) {
		buf_addf(&why, cat == GEN_HEAL_OTHER ? "no heal template reads this error"
			 : cat == GEN_HEAL_BEHAVIOUR ? "the expected value is not a literal heal can follow"
			 : "no candidate: nothing in the project fits");
		kb_record(c, f, GEN_HEAL_ENGINE, NULL, 0, EDIT_UPDATE, ATTEMPT_FAILED, ATTEMPT_GATE_APPLY, why.ptr, NULL,
			  clock_wall(), 0);
	}
	for (i = 0; i < cands.nr; i++) {
		struct trial t;
		double started = clock_wall();
		trial_init(&t);
		err = try_candidate(c, &t, file, f, &cands.v[i], before);
		if (err < 0) {
			trial_release(&t);
			break;
		}
		c->r->attempts++;
		kb_record(c, f, GEN_HEAL_ENGINE, cands.v[i].template_name, 1, t.mode,
			  t.passed ? ATTEMPT_PASSED : ATTEMPT_FAILED, t.passed ? ATTEMPT_GATE_NONE : t.gate,
			  t.reason.len ? t.reason.ptr : NULL, t.diff.ptr, started, 0);
		log_debug("heal: %s: %s (%s): %s", f->id, cands.v[i].template_name, cands.v[i].reason,
			  t.passed ? "passes" : t.reason.ptr);
		if (t.passed && (!winner || t.healed.nr > best.healed.nr ||
				 (t.healed.nr == best.healed.nr && t.left_in_file < best.left_in_file))) {
			trial_release(&best);
			best = t;
			winner = &cands.v[i];
			/*
			 * the first that passes, unless another may heal more: a
			 * file that collects again, a test function with rows left
			 */
			if (!best.left_in_file ||
			    (f->kind != FAILURE_KIND_COLLECTION && !best.left_in_function))
				break;
			continue;
		}
		if (!t.passed) {
			refused += t.gate == ATTEMPT_GATE_WEAKENING;
			buf_reset(&why);
			buf_add(&why, t.reason.ptr, t.reason.len);
			verdict_of(c, f->id)->method = edit_mode_name(t.mode);
		}
		trial_release(&t);
	}
	if (err < 0)
		goto done;
	if (cands.nr && !winner) {
		struct buf all = BUF_INIT;
		buf_addf(&all, "%zu candidate%s failed; the last: %s", cands.nr, cands.nr == 1 ? "" : "s", why.ptr);
		buf_reset(&why);
		buf_add(&why, all.ptr, all.len);
		buf_release(&all);
	}
	/* the model, for what the templates left: nothing that passes, or a change of behaviour only */
	if (ask && (!winner || (winner->behaviour && !c->o->accept_behaviour))) {
		struct trial mt;
		size_t asked_before = verdict_of(c, f->id)->asked;
		trial_init(&mt);
		if ((err = heal_with_model(c, f, before, file, cat, &model, &mt, &model_why, &model_refused)) < 0) {
			trial_release(&mt);
			goto done;
		}
		if (model.nr && (!winner || !model.v[0].behaviour)) {
			trial_release(&best);
			best = mt;
			winner = &model.v[0];
		} else {
			trial_release(&mt);
		}
		asked = verdict_of(c, f->id)->asked - asked_before;
		refused += model_refused;
		if (!winner) {
			struct buf all = BUF_INIT;
			if (why.len)
				buf_addf(&all, "%s; ", why.ptr);
			if (asked)
				buf_addf(&all, "the model's %zu repl%s failed; the last: %s", asked, asked == 1 ? "y" : "ies",
					 model_why.ptr);
			else
				buf_addf(&all, "the model was not asked: %s", model_why.len ? model_why.ptr : "no budget");
			buf_reset(&why);
			buf_add(&why, all.ptr, all.len);
			buf_release(&all);
		}
	}
	if (!winner) {
		/* REFUSED: every candidate and reply would have weakened the test or touched another file */
		verdict_set(c, f->id, cat, cands.nr + asked && refused == cands.nr + asked ? "REFUSED" : "FAILED",
			    why.len ? why.ptr : "no heal template reads this error");
		goto done;
	}
	{
		struct gen_heal_change *ch = change_add_result(c, f, cat, winner, &best);
		struct verdict *v;
		if (winner->behaviour && !c->o->accept_behaviour) {
			ch->held = 1;
			strvec_push(&ch->healed, f->id);
			buf_reset(&why);
			buf_addf(&why, "held: the code's behaviour changed (expected %s, now %s); "
				 "--accept-behaviour applies it", winner->old_value, winner->new_value);
			verdict_set(c, f->id, cat, "HELD", why.ptr);
		} else {
			for (i = 0; i < best.healed.nr; i++)
				strvec_push(&ch->healed, best.healed.v[i]);
			if ((err = work_write(c, file, winner->text, winner->len)) < 0)
				goto done;
			buf_reset(&file->current);
			buf_add(&file->current, winner->text, winner->len);
			changed = 1;
			verdict_set(c, f->id, cat, "HEALED", winner->reason);
		}
		v = verdict_of(c, f->id);
		v->method = edit_mode_name(best.mode);
		v->engine = ch->engine;
		v->scope = best.scope;
		v->uniqueness = best.uniqueness;
	}
done:
	buf_release(&why);
	buf_release(&model_why);
	trial_release(&best);
	strvec_clear(&order);
	gen_heal_candidates_release(&cands);
	gen_heal_candidates_release(&model);
	gen_heal_diagnosis_release(&d);
	return err < 0 ? err : changed;
}

/*
 * The key of an error: what names the test (its id, or its file), its type
 * and its message, memory addresses left out (a function's repr shows
 * another one each run)
 */
static void error_key(struct buf *out, const char *where, const struct failure *f)
{
	const char *m = f->message ? f->message : "";

	buf_addf(out, "%s\037%s\037", where, f->error_type ? f->error_type : "");
	while (*m) {
		if (m[0] == '0' && m[1] == 'x' && isxdigit((unsigned char)m[2])) {
			buf_adds(out, "0x?");
			for (m += 2; isxdigit((unsigned char)*m); m++)
				;
			continue;
		}
		buf_addch(out, *m++);
	}
}

/*
 * A file heal may edit: a test file (edit/guard.h's rule) of the project.
 * A failure in a module of the code (a doctest) is not healed: only the
 * code could heal it.
 */
static int is_test_file_of_project(struct ctx *c, const char *path)
{
	struct buf abs = BUF_INIT;
	int ok;

	buf_addf(&abs, "%s/%s", c->work.ptr, path);
	ok = guard_is_test_file(path) && project_path_is_source(path) && fs_is_file(abs.ptr);
	buf_release(&abs);
	return ok;
}

/*
 * Rounds: run the tests, heal what fails (a file once per round: what it
 * shows after a heal is for the next round), until nothing heals. `final`
 * gets the last run.
 */
static int rounds(struct ctx *c, struct run *final)
{
	int round, err = 0;

	for (round = 0;; round++) {
		struct strvec files_done = STRVEC_INIT;
		struct run run;
		size_t i;
		int healed = 0, k;

		run_init(&run);
		if ((err = run_tests(c, &run, NULL)) < 0) {
			run_release(&run);
			return err;
		}
		if (!round) {
			c->r->total = run.res.summary.total;
			c->r->failing_before = run.res.nr_failures;
		}
		for (i = 0; i < run.res.nr_failures && round < GEN_HEAL_MAX_ROUNDS && !err; i++) {
			const struct failure *f = &run.res.failures[i];
			struct buf key = BUF_INIT;
			int got;
			if (!f->file || !is_test_file_of_project(c, f->file)) {
				verdict_set(c, f->id, GEN_HEAL_OTHER, "FAILED",
					    "not in a test file of the project: heal edits test files only");
				continue;
			}
			if (strvec_find(&files_done, f->file) >= 0)
				continue;
			error_key(&key, f->id, f);
			if (strvec_find(&c->tried, key.ptr) >= 0) {
				buf_release(&key);
				continue;
			}
			strvec_push(&c->tried, key.ptr);
			buf_reset(&key);
			error_key(&key, f->file, f);
			if ((k = strvec_find(&c->same_error, key.ptr)) >= 0) {
				/* as the first one with this error in the file: it did not heal, nor will this */
				struct verdict *first = verdict_of(c, c->same_error_id.v[k]);
				const char *outcome = first->outcome, *engine = first->engine;
				enum gen_heal_category cat = first->category;
				char *reason = xstrdup_or_null(first->reason);
				if (strcmp(outcome, "HEALED")) {
					verdict_set(c, f->id, cat, outcome, reason ? reason : "");
					verdict_of(c, f->id)->engine = engine;
					free(reason);
					buf_release(&key);
					continue;
				}
				free(reason);
			}
			strvec_push(&c->same_error, key.ptr);
			strvec_push(&c->same_error_id, f->id);
			buf_release(&key);
			got = heal_failure(c, f, &run);
			if (got < 0)
				err = got;
			else if (got > 0) {
				healed = 1;
				strvec_push(&files_done, f->file);
			}
		}
		strvec_clear(&files_done);
		if (err < 0 || !healed || round >= GEN_HEAL_MAX_ROUNDS) {
			*final = run;
			return err;
		}
		run_release(&run);
	}
}

/* ---- the checklists ------------------------------------------------------------- */

static void dir_of(struct buf *out, const char *path)
{
	const char *slash = strrchr(path, '/');
	if (slash)
		buf_add(out, path, (size_t)(slash - path + 1));
}

/* what emit.c's header says: the module's path and the seed; 0 when the file is not generated */
static int generated_header(const struct heal_file *f, struct buf *module, unsigned long *seed)
{
	const char *t = f->original.ptr, *mark = strstr(t, HEAL_GENERATED_MARK), *of, *seed_at;
	size_t head = f->original.len < 512 ? f->original.len : 512;

	if (!mark || (size_t)(mark - t) > head || !(of = strstr(t, "Tests of ")) || of > mark)
		return 0;
	of += strlen("Tests of ");
	buf_add(module, of, (size_t)(mark - of) > 2 ? (size_t)(mark - of) - 2 : 0);   /* ", " */
	*seed = 0;
	if ((seed_at = strstr(mark, "(seed ")) && seed_at - mark < 64)
		*seed = strtoul(seed_at + strlen("(seed "), NULL, 10);
	return 1;
}

static void state_fill(struct gen_test_state *t, const char *status_outcome, const struct verdict *v,
		       const char *error_type, const char *message, const char *method, const char *scope,
		       double uniqueness, const char *reason)
{
	struct buf err = BUF_INIT;

	t->status = !strcmp(status_outcome, "HEALED") ? GEN_HEALED : GEN_FAILED;
	/* one retry per heal, or per question to the model */
	t->retry_count += v && v->asked > 1 ? v->asked : 1;
	first_line(&err, error_type, message);
	gen_state_set(&t->last_error, err.ptr);
	gen_state_set(&t->error_category, gen_heal_category_name(v ? v->category : GEN_HEAL_OTHER));
	if (scope && *scope) {
		gen_state_set(&t->scope, scope);
		t->uniqueness_score = uniqueness;
	}
	if (method && *method)
		gen_state_set(&t->suggested_fix_method, method);
	gen_state_add_heal(t, method ? method : "", status_outcome, reason, NULL);
	if (v && !strcmp(v->engine, GEN_HEAL_LLM_ENGINE))
		gen_state_set(&t->history[t->history_nr - 1].engine, GEN_HEAL_LLM_ENGINE);
	buf_release(&err);
}

/* the entries of a test file's checklist: healed, held and still failing tests */
static void state_update(struct ctx *c, struct gen_state *st, const char *file)
{
	size_t i, k;

	/* a test the checklist has failing that passes now (healed by hand, or by a change of the code) */
	for (k = 0; c->final && k < st->nr; k++) {
		struct gen_test_state *t = &st->tests[k];
		if ((t->status == GEN_FAILED || t->status == GEN_PENDING) && id_in_file(t->id, file) &&
		    strvec_find(&c->final->ran, t->id) >= 0 && !failed_in(c->final, t->id) &&
		    strvec_find(&c->final->skipped, t->id) < 0)
			t->status = GEN_PASSED;
	}

	for (i = 0; i < c->r->nchanges; i++) {
		const struct gen_heal_change *ch = &c->r->changes[i];
		const struct verdict *v = verdict_of(c, ch->target);
		if (strcmp(ch->file, file))
			continue;
		for (k = 0; k < ch->healed.nr; k++) {
			struct gen_test_state *t = gen_state_get(st, ch->healed.v[k]);
			struct buf why = BUF_INIT;
			buf_addf(&why, "%s%s", ch->reason, ch->behaviour && !ch->held ? " (accepted)" : "");
			state_fill(t, ch->held ? "HELD" : "HEALED", v, ch->error_type, ch->message,
				   edit_mode_name(ch->mode), ch->scope, ch->uniqueness, why.ptr);
			buf_release(&why);
		}
	}
	for (i = 0; i < c->r->nleft; i++) {
		const struct gen_heal_left *l = &c->r->left[i];
		const struct verdict *v;
		if (!l->file || strcmp(l->file, file) || l->held)
			continue;
		v = verdict_of(c, l->id);
		if (strcmp(l->id, file)) {
			state_fill(gen_state_get(st, l->id), !strcmp(v->outcome, "REFUSED") ? "REFUSED" : "FAILED", v,
				   l->error_type, l->message, v->method, v->scope, v->uniqueness, l->reason);
			continue;
		}
		/* the file does not collect: each test the checklist has of it */
		for (k = 0; k < st->nr; k++)
			if (id_in_file(st->tests[k].id, file) && strcmp(st->tests[k].id, file))
				state_fill(&st->tests[k], "FAILED", v, l->error_type, l->message, v->method, v->scope,
					   v->uniqueness, l->reason);
	}
}

/* each touched test file's test_execution_state.yaml, beside it */
static int write_states(struct ctx *c)
{
	struct strvec done = STRVEC_INIT;
	size_t i;
	int err = 0;

	for (i = 0; i < c->nfiles && !err; i++) {
		struct heal_file *f = &c->files[i];
		struct gen_state st = GEN_STATE_INIT;
		struct buf rel = BUF_INIT, abs = BUF_INIT, module = BUF_INIT;
		unsigned long seed = 0;
		int got;

		dir_of(&rel, f->path);
		buf_adds(&rel, GEN_STATE_FILE);
		buf_addf(&abs, "%s/%s", c->root.ptr, rel.ptr);
		got = gen_state_load(&st, abs.ptr);
		if (got == ERR_NOTFOUND && generated_header(f, &module, &seed)) {
			error_clear();
			gen_state_set(&st.module, module.ptr);
			gen_state_set(&st.generated_file, f->path);
			st.seed = seed;
			got = 0;
		} else if (got == ERR_NOTFOUND) {
			error_clear();
		} else if (got < 0) {
			log_warn("heal: the checklist is left as it is: %s", error_last());
			error_clear();
		}
		if (got == 0) {
			state_update(c, &st, f->path);
			if (!c->o->dry_run && (err = gen_state_save(&st, abs.ptr)) == 0 &&
			    strvec_find(&done, rel.ptr) < 0) {
				strvec_push(&done, rel.ptr);
				strvec_push(&c->r->states, rel.ptr);
			}
		}
		gen_state_release(&st);
		buf_release(&rel);
		buf_release(&abs);
		buf_release(&module);
	}
	strvec_clear(&done);
	return err;
}

/* ---- the end: what is left, and the files written --------------------------------- */

static void fill_left(struct ctx *c, const struct run *final)
{
	size_t i, k;

	for (i = 0; i < final->res.nr_failures; i++) {
		const struct failure *f = &final->res.failures[i];
		struct gen_heal_left *l;
		struct verdict *v = verdict_of(c, f->id);
		struct gen_heal_diagnosis d = GEN_HEAL_DIAGNOSIS_INIT;
		ALLOC_APPEND(l, c->r->left, c->r->nleft, c->r->left_alloc);
		l->id = xstrdup(f->id);
		l->file = xstrdup_or_null(f->file);
		l->error_type = xstrdup_or_null(f->error_type);
		l->message = shown_message(f);
		l->category = gen_heal_classify(&d, f->error_type, f->message, f->traceback);
		gen_heal_diagnosis_release(&d);
		if (!v->reason)
			v->category = l->category;
		l->held = !strcmp(v->outcome, "HELD");
		l->reason = xstrdup(v->reason ? v->reason : "not tried: the rounds ended first");
	}
	/* a held change heals nothing: its test stays failing */
	for (i = 0; i < c->r->nchanges; i++)
		for (k = 0; k < c->r->nleft && c->r->changes[i].held; k++)
			if (!strcmp(c->r->left[k].id, c->r->changes[i].target))
				c->r->left[k].held = 1;
}

/* the changed test files into the project, all or none, if nobody changed them meanwhile */
static int write_files(struct ctx *c)
{
	struct fs_batch batch = FS_BATCH_INIT;
	size_t i;
	int err = 0;

	for (i = 0; i < c->nfiles && !err; i++) {
		struct heal_file *f = &c->files[i];
		struct buf abs = BUF_INIT, now = BUF_INIT, why = BUF_INIT;
		struct fs_batch_file *bf;
		if (f->current.len == f->original.len && !memcmp(f->current.ptr, f->original.ptr, f->current.len))
			continue;
		/* the whole of it against what the user had: never weaker (each step was checked) */
		if (guard_test_weakening(&why, f->path, f->original.ptr, f->original.len, f->current.ptr,
					 f->current.len) != 0)
			err = error_set("refusing to write '%s': %s", f->path, why.len ? why.ptr : error_last());
		buf_addf(&abs, "%s/%s", c->root.ptr, f->path);
		if (!err && (fs_read_file(&now, abs.ptr, HEAL_MAX_TEST_BYTES) < 0 || now.len != f->original.len ||
			     memcmp(now.ptr, f->original.ptr, now.len)))
			err = error_setc(ERR_CONFLICT, "'%s' changed while heal ran: nothing written", f->path);
		if (!err) {
			bf = fs_batch_get(&batch, abs.ptr);
			buf_add(&bf->data, f->current.ptr, f->current.len);
			bf->mode = f->mode;
		}
		buf_release(&abs);
		buf_release(&now);
		buf_release(&why);
	}
	if (!err && batch.nr) {
		if (sig_pending())
			err = error_setc(ERR_INTERRUPTED, "interrupted");
		else if ((err = fs_batch_commit(&batch)) == 0)
			for (i = 0; i < c->nfiles; i++)
				if (c->files[i].current.len != c->files[i].original.len ||
				    memcmp(c->files[i].current.ptr, c->files[i].original.ptr, c->files[i].current.len))
					strvec_push(&c->r->written, c->files[i].path);
	}
	fs_batch_release(&batch);
	return err;
}

/* ---- setting up --------------------------------------------------------------------- */

/*
 * The recent change of the code, for the model: the working tree's diff
 * of the project's Python code (not its tests) against HEAD, else HEAD's
 * own. Nothing without git; never an error.
 */
static void code_change(struct ctx *c, const struct strvec *py)
{
	struct vcs_repo *repo = c->o->project->repo;
	struct strvec code = STRVEC_INIT;
	struct buf diff = BUF_INIT;
	size_t i;

	if (!repo)
		return;
	for (i = 0; i < py->nr; i++)
		if (!guard_is_test_file(py->v[i]))
			strvec_push(&code, py->v[i]);
	if (code.nr && vcs_diff_files(&diff, repo, "HEAD", c->root.ptr, &code) == 0)
		gen_heal_llm_code_diff(&c->code_change, diff.ptr, diff.len);
	if (!c->code_change.len) {
		buf_reset(&diff);
		if (vcs_diff(&diff, repo, NULL, "HEAD") == 0)
			gen_heal_llm_code_diff(&c->code_change, diff.ptr, diff.len);
	}
	error_clear();
	if (c->code_change.len > HEAL_CODE_CHANGE_CAP)
		buf_setlen(&c->code_change, HEAL_CODE_CHANGE_CAP);
	secret_redact(&c->code_change);
	strvec_clear(&code);
	buf_release(&diff);
}

static int prepare(struct ctx *c)
{
	struct strvec skip = STRVEC_INIT, py = STRVEC_INIT;
	size_t i;
	int err;

	if ((err = fs_realpath(&c->root, c->o->project->root)) < 0)
		return err;
	if ((err = fs_mkdtemp(&c->tmp, "heal")) < 0)
		return err;
	buf_addf(&c->work, "%s/work", c->tmp.ptr);
	project_vendor_dirs(&skip, c->root.ptr);
	err = fs_copy_tree(c->root.ptr, c->work.ptr, skip.v);
	strvec_clear(&skip);
	if (err < 0)
		return error_prefix(err, "cannot copy the project to a private directory");
	/* where a name may have gone: the project's own modules, not its tests */
	project_python_files(&py, c->root.ptr, GEN_HEAL_MAX_MODULES);
	c->modules.root = c->work.ptr;
	for (i = 0; i < py.nr; i++)
		if (!guard_is_test_file(py.v[i]))
			gen_heal_modules_add(&c->modules, py.v[i], NULL, 0);
	if (c->o->provider && c->o->engine != GEN_HEAL_ENGINE_BUILTIN)
		code_change(c, &py);
	strvec_clear(&py);
	if (project_store(&c->kb, c->o->project, 1) < 0) {
		log_warn("heal: attempts are not counted: %s", error_last());
		c->kb = NULL;
	}
	if (project_knowledge_open(&c->machine_kb) < 0) {
		log_info("%s: the project learns alone", error_last());
		c->machine_kb = NULL;
	}
	error_clear();
	/*
	 * pytest's reprs whole in assertion messages (the observed value of a
	 * changed one): verbosity 2 or more, even with a -q in addopts
	 */
	strvec_push(&c->extra_args, "-vvv");
	return 0;
}

int gen_heal(struct gen_heal_result *out, const struct gen_heal_options *o)
{
	struct ctx c;
	struct run final;
	size_t i;
	int err;

	memset(out, 0, sizeof(*out));
	strvec_init(&out->written);
	strvec_init(&out->states);
	memset(&c, 0, sizeof(c));
	c.o = o;
	c.r = out;
	c.started = clock_monotonic();
	buf_init(&c.root, 0);
	buf_init(&c.tmp, 0);
	buf_init(&c.work, 0);
	buf_init(&c.code_change, 0);
	strvec_init(&c.tried);
	strvec_init(&c.same_error);
	strvec_init(&c.same_error_id);
	strvec_init(&c.extra_args);
	run_init(&final);

	if ((err = prepare(&c)) < 0)
		goto done;
	if ((err = rounds(&c, &final)) < 0)
		goto done;
	fill_left(&c, &final);
	c.final = &final;
	if (!o->dry_run && (err = write_files(&c)) < 0)
		goto done;
	if ((err = write_states(&c)) < 0)
		goto done;
done:
	out->seconds = clock_monotonic() - c.started;
	run_release(&final);
	if (c.tmp.len)
		fs_remove_tree(c.tmp.ptr);
	for (i = 0; i < c.nfiles; i++) {
		free(c.files[i].path);
		buf_release(&c.files[i].original);
		buf_release(&c.files[i].current);
	}
	free(c.files);
	for (i = 0; i < c.nverdicts; i++) {
		free(c.verdicts[i].id);
		free(c.verdicts[i].reason);
	}
	free(c.verdicts);
	store_free(c.machine_kb);
	gen_heal_modules_release(&c.modules);
	strvec_clear(&c.tried);
	strvec_clear(&c.same_error);
	strvec_clear(&c.same_error_id);
	strvec_clear(&c.extra_args);
	buf_release(&c.root);
	buf_release(&c.tmp);
	buf_release(&c.work);
	buf_release(&c.code_change);
	return err;
}
