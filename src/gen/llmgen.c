#define _GNU_SOURCE /* memmem */
#include "gen/llmgen.h"

#include "gen/trust.h"
#include "gen/generate.h"
#include "llm/llm.h"
#include "pyast/pyast.h"
#include "runner/coverage.h"
#include "runner/pytest.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/sig.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* a spec id in a `# spec:` comment, at most */
#define SPEC_ID_MAX 128
/* an error fed back or kept as a reason, at most */
#define ERROR_TEXT_MAX 300
/* the lines of a signature shown, at most */
#define SIGNATURE_LINES 6

/* ---- the reply ------------------------------------------------------------ */

void gen_llm_tests_release(struct gen_llm_tests *t)
{
	size_t i;

	for (i = 0; i < t->nr; i++) {
		free(t->v[i].name);
		free(t->v[i].spec_id);
		free(t->v[i].code);
		free(t->v[i].imports);
		free(t->v[i].rejected);
	}
	free(t->v);
	memset(t, 0, sizeof(*t));
}

static struct gen_llm_test *test_add(struct gen_llm_tests *t, const char *name, const char *rejected)
{
	struct gen_llm_test *x;

	ALLOC_GROW(t->v, t->nr + 1, t->alloc);
	x = &t->v[t->nr++];
	memset(x, 0, sizeof(*x));
	x->name = xstrdup(name);
	x->spec_id = xstrdup("");
	x->code = xstrdup("");
	x->imports = xstrdup("");
	x->rejected = rejected ? xstrdup(rejected) : NULL;
	return x;
}

static int named_before(const struct gen_llm_tests *t, const char *name)
{
	size_t i;

	for (i = 0; i + 1 < t->nr; i++)
		if (!strcmp(t->v[i].name, name))
			return 1;
	return 0;
}

/* the id of a `# spec: ID` comment <s, n>, owned; NULL when it is not one */
static char *spec_comment(const char *s, size_t n)
{
	size_t i = 0, e;

	if (!n || s[0] != '#')
		return NULL;
	i = 1;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (n - i < 5 || strncmp(s + i, "spec:", 5))
		return NULL;
	i += 5;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	e = n;
	while (e > i && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r'))
		e--;
	if (e == i || e - i > SPEC_ID_MAX)
		return NULL;
	return xstrndup(s + i, e - i);
}

/* the names of `def test_...(` lines of a block that does not parse, onto `names` */
static void textual_tests(struct strvec *names, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t e = i, k;
		while (e < n && s[e] != '\n')
			e++;
		k = i;
		while (k < e && (s[k] == ' ' || s[k] == '\t'))
			k++;
		if (e - k > 9 && !strncmp(s + k, "def test_", 9)) {
			size_t a = k + 4, b = a;
			while (b < e && ((s[b] >= 'a' && s[b] <= 'z') || (s[b] >= 'A' && s[b] <= 'Z') ||
					 (s[b] >= '0' && s[b] <= '9') || s[b] == '_'))
				b++;
			{
				char *nm = xstrndup(s + a, b - a);
				if (strvec_find(names, nm) < 0)
					strvec_push(names, nm);
				free(nm);
			}
		}
		i = e + 1;
	}
}

static void parse_block(struct gen_llm_tests *out, int block, const char *lang, const char *s, size_t n)
{
	struct pyast *ast = NULL;
	struct buf why = BUF_INIT, imports = BUF_INIT, label = BUF_INIT;
	const struct pyast_node *st;
	char *spec = NULL;
	size_t before = out->nr;

	buf_addf(&label, "block %d", block);
	if (*lang && strcmp(lang, "python") && strcmp(lang, "py") && strcmp(lang, "python3") &&
	    strcmp(lang, "pytest")) {
		buf_adds(&why, "a ```");
		buf_add_printable(&why, lang, strlen(lang) > 20 ? 20 : strlen(lang));
		buf_adds(&why, " block, not Python");
		test_add(out, label.ptr, why.ptr);
		goto done;
	}
	if (pyast_parse(&ast, s, n) < 0) {
		test_add(out, label.ptr, "cannot be parsed");
		goto done;
	}
	if (!pyast_syntax_ok(ast, &why)) {
		struct strvec names = STRVEC_INIT;
		size_t i;
		struct buf reason = BUF_INIT;
		buf_addf(&reason, "syntax error: %s", why.ptr);
		textual_tests(&names, s, n);
		for (i = 0; i < names.nr && out->nr < GEN_LLM_MAX_TESTS; i++)
			test_add(out, names.v[i], reason.ptr)->collect = 1;
		if (!names.nr)
			test_add(out, label.ptr, reason.ptr);
		strvec_clear(&names);
		buf_release(&reason);
		goto done;
	}
	/* the imports first: each test of the block takes them all */
	for (st = pyast_root(ast)->child; st; st = st->next)
		if (pyast_is(st, "import_statement") || pyast_is(st, "import_from_statement") ||
		    pyast_is(st, "future_import_statement")) {
			size_t l;
			const char *t = pyast_text(ast, st, &l);
			buf_add(&imports, t, l);
			buf_addch(&imports, '\n');
		}
	for (st = pyast_root(ast)->child; st && out->nr < GEN_LLM_MAX_TESTS; st = st->next) {
		const struct pyast_node *def = st, *nm;
		struct gen_llm_test *x;
		struct buf code = BUF_INIT;
		size_t l;
		const char *t;
		char *name;

		if (pyast_is(st, "comment")) {
			char *id;
			t = pyast_text(ast, st, &l);
			if ((id = spec_comment(t, l))) {
				free(spec);
				spec = id;
			}
			continue;
		}
		if (pyast_is(st, "decorated_definition"))
			def = pyast_field(st, "definition");
		if (!def || !pyast_is(def, "function_definition") || !(nm = pyast_field(def, "name"))) {
			if (!pyast_is(st, "import_statement") && !pyast_is(st, "import_from_statement")) {
				free(spec);
				spec = NULL;
			}
			continue;
		}
		t = pyast_text(ast, nm, &l);
		if (l < 5 || strncmp(t, "test_", 5)) {
			free(spec);
			spec = NULL;
			continue;   /* a helper: left out (the test that needs it will not collect) */
		}
		name = xstrndup(t, l);
		x = test_add(out, name, NULL);
		free(name);
		t = pyast_text(ast, st, &l);
		if (spec)
			buf_addf(&code, "# spec: %s\n", spec);
		buf_add(&code, t, l);
		buf_addch(&code, '\n');
		free(x->code);
		x->code = buf_detach(&code, NULL);
		free(x->imports);
		x->imports = xstrdup(imports.ptr);
		if (spec) {
			free(x->spec_id);
			x->spec_id = spec;
			spec = NULL;
		}
		if (named_before(out, x->name))
			x->rejected = xstrdup("named like an earlier test of the reply");
		else if (l >= 6 && !strncmp(t, "async ", 6))
			x->rejected = xstrdup("an async test (pytest runs none without a plugin)");
		else if (st != def) {
			size_t dl;
			const char *d = pyast_text(ast, st, &dl);
			if (memmem(d, dl, "parametrize", 11))
				x->rejected = xstrdup("parametrised: one test per case is asked for");
			else if (memmem(d, dl, "fixture", 7))
				x->rejected = xstrdup("a fixture, not a test");
		}
	}
	if (out->nr == before)
		test_add(out, label.ptr, "no test function (def test_...) in it");
done:
	free(spec);
	pyast_free(ast);
	buf_release(&why);
	buf_release(&imports);
	buf_release(&label);
}

int gen_llm_reply_parse(struct gen_llm_tests *out, const char *text, size_t len)
{
	size_t i = 0, blocks = 0;

	memset(out, 0, sizeof(*out));
	if (len > GEN_LLM_MAX_REPLY)
		return error_setc(ERR_PARSE, "a reply of %zu bytes, over the cap of %u", len, GEN_LLM_MAX_REPLY);
	if (memchr(text, '\0', len))
		return error_setc(ERR_PARSE, "a reply holding a NUL byte");
	if (!utf8_is_valid(text, len))
		return error_setc(ERR_PARSE, "a reply that is not UTF-8 text");
	while (i < len && (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t'))
		i++;
	if (i == len)
		return error_setc(ERR_PARSE, "an empty reply");
	i = 0;
	while (i < len && out->nr < GEN_LLM_MAX_TESTS) {
		size_t e = i, k = i, ticks = 0, body, end;
		char fence;
		struct buf lang = BUF_INIT;
		while (e < len && text[e] != '\n')
			e++;
		while (k < e && k - i < 3 && text[k] == ' ')
			k++;
		fence = k < e ? text[k] : 0;
		if (fence == '`' || fence == '~')
			while (k + ticks < e && text[k + ticks] == fence)
				ticks++;
		if (ticks < 3) {
			i = e + 1;
			continue;
		}
		/* the info string: its first word, lower case */
		{
			size_t a = k + ticks, b;
			while (a < e && (text[a] == ' ' || text[a] == '\t'))
				a++;
			for (b = a; b < e && text[b] != ' ' && text[b] != '\t' && text[b] != '\r' && text[b] != '{'; b++)
				buf_addch(&lang, text[b] >= 'A' && text[b] <= 'Z' ? text[b] + 32 : text[b]);
		}
		body = e < len ? e + 1 : len;
		/* the closing fence: the same character, as many at least, nothing else */
		end = body;
		for (;;) {
			size_t le = end, c = end, t2 = 0;
			if (end >= len)
				break;
			while (le < len && text[le] != '\n')
				le++;
			while (c < le && c - end < 3 && text[c] == ' ')
				c++;
			while (c + t2 < le && text[c + t2] == fence)
				t2++;
			if (t2 >= ticks) {
				size_t r = c + t2;
				while (r < le && (text[r] == ' ' || text[r] == '\t' || text[r] == '\r'))
					r++;
				if (r == le)
					break;
			}
			end = le < len ? le + 1 : len;
		}
		blocks++;
		parse_block(out, (int)blocks, lang.ptr, text + body, end - body);
		buf_release(&lang);
		/* past the closing fence's line */
		i = end;
		while (i < len && text[i] != '\n')
			i++;
		i++;
	}
	if (!blocks) {
		gen_llm_tests_release(out);
		return error_setc(ERR_PARSE, "no fenced code block (```python ... ```) in the reply");
	}
	return 0;
}

/* ---- the prompt ----------------------------------------------------------- */

static const char system_prompt[] =
	"You write pytest tests for one Python module. Tests of what the code SHOULD do: when a spec item "
	"is given, test the behaviour it describes, even if you suspect the code disagrees (that is a "
	"finding, not a test to make pass). Else test what the code does on inputs that reach the lines "
	"listed as not covered.\n"
	"\n"
	"Reply format, strictly:\n"
	"- one fenced ```python block per test;\n"
	"- in each block: the imports the test needs, then exactly one test function `def test_<name>():` "
	"with no parameters, no fixtures, no parametrisation and no other top-level code;\n"
	"- a test that checks a spec item has `# spec: <ID>` on the line right above its `def`, with the "
	"item's id as given;\n"
	"- every test asserts something that can fail (no `assert x == x`, no `assert True`, no bare "
	"calls); exceptions are checked with `with pytest.raises(...)`;\n"
	"- tests are deterministic: no randomness, no clock, no network, no files outside tmp_path;\n"
	"- test names are new: not one of the existing tests.\n"
	"Text outside the blocks is ignored.\n";

/* "def f(a, b=1):" lines of a function: its def line and what continues it */
static void signature(struct buf *out, const char *src, size_t len, int line)
{
	size_t i = 0;
	int l = 1, shown = 0;

	while (i < len && l < line) {
		if (src[i] == '\n')
			l++;
		i++;
	}
	while (i < len && shown < SIGNATURE_LINES) {
		size_t e = i;
		while (e < len && src[e] != '\n')
			e++;
		buf_add(out, src + i, e - i);
		buf_addch(out, '\n');
		shown++;
		/* the def ends at a line ending in ':' */
		{
			size_t k = e;
			while (k > i && (src[k - 1] == ' ' || src[k - 1] == '\r'))
				k--;
			if (k > i && src[k - 1] == ':' && memmem(src + i, e - i, "def ", 4))
				break;
		}
		i = e + 1;
	}
}

/* the numbers of `lines` as runs: "3, 5-9, 12" */
static void line_runs(struct buf *out, const struct strvec *lines, size_t max)
{
	size_t i, shown = 0;
	long start = -1, prev = -1;

	for (i = 0; i <= lines->nr && shown < max; i++) {
		long v = i < lines->nr ? strtol(lines->v[i], NULL, 10) : -2;
		if (start >= 0 && v == prev + 1) {
			prev = v;
			continue;
		}
		if (start >= 0) {
			buf_addf(out, "%s%ld", out->len ? ", " : "", start);
			if (prev > start)
				buf_addf(out, "-%ld", prev);
			shown++;
		}
		start = prev = v;
	}
}

void gen_llm_prompt(struct buf *system, struct buf *user, const struct gen_llm_options *o, const char *feedback)
{
	size_t i, n;

	buf_adds(system, system_prompt);
	buf_addf(user, "Module `%s` (import it as `%s`):\n\n```python\n", o->module_path, o->module_name);
	n = o->source_len > GEN_LLM_MAX_SOURCE ? GEN_LLM_MAX_SOURCE : o->source_len;
	buf_add(user, o->source, n);
	if (n < o->source_len)
		buf_addf(user, "\n# ... (%zu more bytes left out)", o->source_len - n);
	buf_adds(user, "\n```\n\nIts functions and methods:\n");
	for (i = 0; o->facts && i < o->facts->nfunctions; i++) {
		const struct gen_function *fn = &o->facts->functions[i];
		if (fn->is_private || fn->is_inner)
			continue;
		buf_addf(user, "- %s: ", fn->qualname);
		{
			struct buf sig = BUF_INIT;
			signature(&sig, o->source, o->source_len, fn->start_line);
			buf_trim(&sig);
			buf_add(user, sig.ptr, sig.len);
			buf_release(&sig);
		}
		buf_addch(user, '\n');
	}
	if (o->spec && o->spec->nr) {
		buf_adds(user, "\nSpec items (test each one the module implements; cite its id):\n");
		for (i = 0; i < o->spec->nr; i++)
			buf_addf(user, "- %s: %s\n", o->spec->items[i].id, o->spec->items[i].text);
	}
	if (o->builtin && o->builtin->nr) {
		buf_addf(user, "\nTests already in `%s` (do not repeat them):", o->file);
		for (i = 0; i < o->builtin->nr && i < GEN_LLM_MAX_LISTED; i++)
			buf_addf(user, "%s %s", i ? "," : "", o->builtin->v[i]);
		if (i < o->builtin->nr)
			buf_addf(user, " and %zu more", o->builtin->nr - i);
		buf_addch(user, '\n');
	}
	if (o->uncovered && o->uncovered->nr) {
		struct buf runs = BUF_INIT;
		line_runs(&runs, o->uncovered, GEN_LLM_MAX_LISTED);
		buf_addf(user, "\nLines of the module no test reaches yet: %s\n", runs.ptr);
		/* CoverUp's way: the lines themselves */
		for (i = 0; i < o->uncovered->nr && i < GEN_LLM_MAX_LISTED; i++) {
			long want = strtol(o->uncovered->v[i], NULL, 10), line = 1;
			size_t k = 0, e;
			while (k < o->source_len && line < want)
				line += o->source[k++] == '\n';
			for (e = k; e < o->source_len && o->source[e] != '\n'; e++)
				;
			if (line == want && e > k)
				buf_addf(user, "%5ld | %.*s\n", want, (int)(e - k), o->source + k);
		}
		buf_release(&runs);
	} else
		buf_adds(user, "\nThe existing tests reach every line of the module.\n");
	if (feedback && *feedback)
		buf_addf(user, "\nYour earlier tests could not be used:\n%s\nWrite them again, corrected, in the same "
			 "format (only these).\n", feedback);
	else
		buf_adds(user, "\nWrite the tests now, one ```python block each.\n");
}

/* ---- the round ------------------------------------------------------------ */

void gen_llm_result_release(struct gen_llm_result *r)
{
	size_t i;

	free(r->text);
	for (i = 0; i < r->nr; i++) {
		struct gen_llm_verdict *v = &r->tests[i];
		free(v->name);
		free(v->spec_id);
		free(v->reason);
		free(v->last_error);
		free(v->category);
		free(v->expected);
		free(v->observed);
	}
	free(r->tests);
	for (i = 0; i < r->nexchanges; i++) {
		struct gen_llm_exchange *x = &r->exchanges[i];
		free(x->system);
		free(x->prompt);
		free(x->reply);
		free(x->provider);
		free(x->model);
		free(x->outcome);
	}
	free(r->exchanges);
	strvec_clear(&r->decisions);
	memset(r, 0, sizeof(*r));
}

struct round {
	const struct gen_llm_options *o;
	struct gen_llm_result *r;
	struct gen_llm_tests kept;     /* the tests kept so far, in order */
	struct strvec checked;         /* spec ids a kept test checks */
	struct buf path;               /* the generated file in the private copy */
};

static struct gen_llm_verdict *verdict(struct gen_llm_result *r, const char *name)
{
	size_t i;
	struct gen_llm_verdict *v;

	for (i = 0; i < r->nr; i++)
		if (!strcmp(r->tests[i].name, name))
			return &r->tests[i];
	ALLOC_GROW(r->tests, r->nr + 1, r->alloc);
	v = &r->tests[r->nr++];
	memset(v, 0, sizeof(*v));
	v->name = xstrdup(name);
	v->spec_id = xstrdup("");
	v->reason = xstrdup("");
	v->last_error = xstrdup("");
	v->category = xstrdup("");
	v->expected = xstrdup("");
	v->observed = xstrdup("");
	return v;
}

static void set(char **field, const char *value)
{
	char *v = secret_redacted(value ? value : "");
	free(*field);
	*field = v;
}

static void judge_as(struct gen_llm_result *r, const struct gen_llm_test *t, enum gen_status status,
		     const char *reason, const char *error, const char *category)
{
	struct gen_llm_verdict *v = verdict(r, t->name);
	char *p;

	v->status = status;
	set(&v->spec_id, t->spec_id);
	set(&v->reason, reason);
	/* a reason is one line: a failure's message may hold more */
	for (p = v->reason; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	set(&v->last_error, error ? error : "");
	set(&v->category, category);
}

/* the seed's category of an error text: NameError -> NAME_ERROR */
static void category_of(struct buf *out, const char *text)
{
	static const char *const known[][2] = {
		{ "NameError", "NAME_ERROR" }, { "ModuleNotFoundError", "IMPORT_ERROR" },
		{ "ImportError", "IMPORT_ERROR" }, { "SyntaxError", "SYNTAX_ERROR" },
		{ "syntax error", "SYNTAX_ERROR" }, { "IndentationError", "SYNTAX_ERROR" },
		{ "AttributeError", "ATTRIBUTE_ERROR" }, { "TypeError", "TYPE_ERROR" },
		{ "over its limit", "TIMEOUT" }, { "Timeout", "TIMEOUT" },
		{ "AssertionError", "ASSERTION_ERROR" },
	};
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strstr(text, known[i][0])) {
			buf_adds(out, known[i][1]);
			return;
		}
	buf_adds(out, "OTHER");
}

/* an error that means the test does not even collect: sent back to the model */
static int is_collect_error(const char *reason)
{
	return strstr(reason, "NameError") || strstr(reason, "ImportError") || strstr(reason, "ModuleNotFoundError") ||
	       strstr(reason, "SyntaxError") || strstr(reason, "IndentationError") ||
	       strstr(reason, "the file fails") || strstr(reason, "syntax error");
}

/* the model's section: the imports of `tests` (each line once), then the tests */
static void section(struct buf *out, const struct gen_llm_tests *a, const struct gen_llm_tests *b, int marker)
{
	struct strvec lines = STRVEC_INIT;
	const struct gen_llm_tests *sets[2] = { a, b };
	size_t s, i;

	if (!(a ? a->nr : 0) && !(b ? b->nr : 0))
		return;
	if (marker)
		buf_adds(out, "\n\n" GEN_LLM_SECTION_MARKER ", kept only when they passed the same gates as the "
			 "tests above ----\n");
	else
		buf_adds(out, "\n\n");
	for (s = 0; s < 2; s++)
		for (i = 0; sets[s] && i < sets[s]->nr; i++) {
			const char *p = sets[s]->v[i].imports;
			while (*p) {
				size_t n = strcspn(p, "\n");
				char *line = xstrndup(p, n);
				if (strvec_find(&lines, line) < 0) {
					strvec_push(&lines, line);
					buf_addf(out, "%s\n", line);
				}
				free(line);
				p += n + (p[n] == '\n');
			}
		}
	for (s = 0; s < 2; s++)
		for (i = 0; sets[s] && i < sets[s]->nr; i++)
			buf_addf(out, "\n\n%s", sets[s]->v[i].code);
	strvec_clear(&lines);
}

static void file_text(struct buf *out, const struct round *rd, const struct gen_llm_tests *more)
{
	const char *base = rd->o->text ? rd->o->text : "";

	if (!*base)
		buf_addf(out, "\"\"\"Tests of %s, written by pytest-fixer generate.\"\"\"\nimport pytest\n",
			 rd->o->module_path);
	else
		buf_adds(out, base);
	while (out->len && out->ptr[out->len - 1] == '\n')
		buf_setlen(out, out->len - 1);
	buf_addch(out, '\n');
	/* tests carried over from the last run have opened the section already */
	section(out, &rd->kept, more, !strstr(base, GEN_LLM_SECTION_MARKER));
}

static int write_text(const char *path, const struct buf *text)
{
	return fs_write_atomic(path, text->ptr, text->len, 0644);
}

static void trust_options(struct gen_trust_options *to, const struct round *rd, const struct strvec *ids)
{
	memset(to, 0, sizeof(*to));
	to->root = rd->o->root;
	to->venv_root = rd->o->venv_root;
	to->pytest_cmd = rd->o->pytest_cmd;
	to->choice = rd->o->choice;
	to->file = rd->o->file;
	to->ids = ids;
	to->runs = GEN_TRUST_RUNS;
	to->seed = rd->o->seed;
}

struct repeat {
	const struct strvec *ids;
	const char *prefix;
	int *failed, *asserted;       /* per id: call-phase failures, ... of them AssertionErrors */
	char **message;               /* per id: the first failure's message */
};

static int on_repeat(void *payload, json_t *rec, const char *ev)
{
	struct repeat *rp = payload;
	const char *id = json_string_value(json_object_get(rec, "id"));
	const char *when = json_string_value(json_object_get(rec, "when"));
	const char *outcome = json_string_value(json_object_get(rec, "outcome"));
	const char *type = json_string_value(json_object_get(rec, "error_type"));
	size_t n = strlen(rp->prefix), i;

	if (ev && !strcmp(ev, "iteration"))
		return 1;   /* known: the iterations' ends */
	if (!ev || strcmp(ev, "report") || !id || !when || !outcome || strcmp(outcome, "failed") ||
	    strncmp(id, rp->prefix, n))
		return 0;
	for (i = 0; i < rp->ids->nr; i++)
		if (!strcmp(rp->ids->v[i], id + n)) {
			rp->failed[i]++;
			if (!strcmp(when, "call") && type && !strcmp(type, "AssertionError"))
				rp->asserted[i]++;
			if (!rp->message[i])
				rp->message[i] = xstrdup(json_string_value(json_object_get(rec, "message")) ?
							 json_string_value(json_object_get(rec, "message")) : "");
		}
	return 0;
}

/* "assert 3 == 2\n +  where 3 = f(1)" -> observed "3", expected "2" (the first line's sides of ==) */
static void sides(struct gen_llm_verdict *v, const char *message)
{
	size_t n = strcspn(message, "\n");
	char *line = xstrndup(message, n), *eq, *a;

	a = strstr(line, "assert ");
	eq = a ? strstr(a, " == ") : NULL;
	if (eq) {
		*eq = '\0';
		set(&v->observed, a + 7);
		set(&v->expected, eq + 4);
	} else
		set(&v->observed, line);
	free(line);
}

/*
 * The tests whose assertion failed in their first run, run GEN_TRUST_RUNS
 * times more in one session: failing every time with an AssertionError is
 * the code contradicting what the test says (a FINDING when it cites a
 * spec item); failing some of the time is a flaky test.
 */
static int repeat_failures(struct round *rd, const struct gen_llm_tests *cands, const struct strvec *ids)
{
	struct pytest_options po = PYTEST_OPTIONS_INIT;
	struct test_result res = TEST_RESULT_INIT;
	struct strvec paths = STRVEC_INIT, extra = STRVEC_INIT;
	struct buf prefix = BUF_INIT;
	struct repeat rp;
	size_t i, k;
	int err;

	if (!ids->nr)
		return 0;
	buf_addf(&prefix, "%s::", rd->o->file);
	for (i = 0; i < ids->nr; i++)
		strvec_pushf(&paths, "%s%s", prefix.ptr, ids->v[i]);
	strvec_pushf(&extra, "--pytest-fixer-iterations=%d", GEN_TRUST_RUNS);
	rp.ids = ids;
	rp.prefix = prefix.ptr;
	rp.failed = xcalloc(ids->nr, sizeof(int));
	rp.asserted = xcalloc(ids->nr, sizeof(int));
	rp.message = xcalloc(ids->nr, sizeof(char *));
	po.root = rd->o->root;
	po.venv_root = rd->o->venv_root;
	po.command = rd->o->pytest_cmd;
	po.choice = rd->o->choice;
	po.paths = &paths;
	po.every_test = 1;
	po.extra_args = &extra;
	po.on_record = on_repeat;
	po.payload = &rp;
	err = pytest_run(&res, &po);
	for (i = 0; i < ids->nr && !err; i++) {
		const struct gen_llm_test *t = NULL;
		struct buf why = BUF_INIT, msg = BUF_INIT;
		for (k = 0; k < cands->nr; k++)
			if (!strcmp(cands->v[k].name, ids->v[i]))
				t = &cands->v[k];
		if (!t)
			continue;
		if (rp.message[i]) {
			size_t n = strlen(rp.message[i]);
			buf_add_printable(&msg, rp.message[i], n > ERROR_TEXT_MAX ? ERROR_TEXT_MAX : n);
		}
		if (rp.asserted[i] >= GEN_TRUST_RUNS && *t->spec_id) {
			struct gen_llm_verdict *v;
			buf_addf(&why, "the code contradicts spec item %s: the assertion failed in all %d runs (%s)",
				 t->spec_id, GEN_TRUST_RUNS + 1, msg.ptr);
			judge_as(rd->r, t, GEN_FINDING, why.ptr, msg.ptr, "SPEC_CONTRADICTED");
			v = verdict(rd->r, t->name);
			sides(v, msg.ptr);
		} else if (rp.asserted[i] >= GEN_TRUST_RUNS) {
			buf_addf(&why, "fails on the code as it is, in every run: AssertionError: %s (it cites no spec "
				 "item: the test is wrong or the code is)", msg.ptr);
			judge_as(rd->r, t, GEN_REJECTED, why.ptr, msg.ptr, "ASSERTION_ERROR");
		} else if (rp.failed[i] >= GEN_TRUST_RUNS) {
			buf_addf(&why, "fails in every run, not always on its assertion: %s", msg.ptr);
			judge_as(rd->r, t, GEN_REJECTED, why.ptr, msg.ptr, "OTHER");
		} else {
			buf_addf(&why, "flaky: failed in its first run and in %d of %d more runs", rp.failed[i],
				 GEN_TRUST_RUNS);
			judge_as(rd->r, t, GEN_REJECTED, why.ptr, msg.ptr, "FLAKY");
		}
		buf_release(&why);
		buf_release(&msg);
	}
	for (i = 0; i < ids->nr; i++)
		free(rp.message[i]);
	free(rp.message);
	free(rp.failed);
	free(rp.asserted);
	test_result_release(&res);
	strvec_clear(&paths);
	strvec_clear(&extra);
	buf_release(&prefix);
	return err;
}

/*
 * Of the tests that passed the gates, those that reach a line of the
 * module no other kept test reaches or check a spec item no kept test
 * checks (in the reply's order), by the per-test coverage map of
 * runner/coverage.h the gates' first run recorded in `cov`.
 */
static void judge_value(struct round *rd, struct gen_llm_tests *passed, const struct gen_llm_tests *ran,
			const char *cov)
{
	struct coverage_map *map = NULL;
	struct buf prefix = BUF_INIT;
	int *lines = NULL, nlines = 0, measured = 0;
	size_t i;

	if (!passed->nr)
		return;
	buf_addf(&prefix, "%s::", rd->o->file);
	if (coverage_map_read(&map, cov) == 0 && coverage_map_tests(map))
		measured = 1;
	error_clear();
	{
		/* the module's lines: 1..the last line of its text */
		size_t k;
		nlines = 1;
		for (k = 0; k < rd->o->source_len; k++)
			nlines += rd->o->source[k] == '\n';
		lines = xcalloc((size_t)nlines + 1, sizeof(int));
	}
	/* lines[l]: 1 when a test other than this reply's reaches it (the built-in ones, kept ones) */
	if (measured) {
		int l;
		for (l = 1; l <= nlines; l++) {
			struct strvec who = STRVEC_INIT;
			size_t w;
			coverage_tests_covering(&who, map, rd->o->module_path, l, l);
			for (w = 0; w < who.nr && !lines[l]; w++) {
				size_t j;
				int cand = 0;
				if (strncmp(who.v[w], prefix.ptr, prefix.len))
					continue;
				for (j = 0; j < ran->nr; j++)
					cand |= !strcmp(who.v[w] + prefix.len, ran->v[j].name);
				if (!cand)
					lines[l] = 1;
			}
			strvec_clear(&who);
		}
	}
	for (i = 0; i < passed->nr; i++) {
		struct gen_llm_test *t = &passed->v[i];
		int adds = 0, l;
		struct buf node = BUF_INIT;
		buf_addf(&node, "%s%s", prefix.ptr, t->name);
		for (l = 1; measured && l <= nlines; l++) {
			struct strvec who = STRVEC_INIT;
			if (!lines[l]) {
				coverage_tests_covering(&who, map, rd->o->module_path, l, l);
				if (strvec_find(&who, node.ptr) >= 0) {
					adds++;
					lines[l] = 1;
				}
			}
			strvec_clear(&who);
		}
		if (*t->spec_id && strvec_find(&rd->checked, t->spec_id) < 0) {
			strvec_push(&rd->checked, t->spec_id);
			t->kept = 1;
		} else if (adds)
			t->kept = 1;
		if (t->kept) {
			judge_as(rd->r, t, GEN_PASSED, "", "", "");
			strvec_pushf(&rd->r->decisions, "kept %s: %s%s%s", t->name,
				     *t->spec_id ? "checks spec item " : "", t->spec_id,
				     adds ? (*t->spec_id ? ", reaches new lines" : "reaches new lines") : "");
		} else {
			const char *why = !measured ? "the per-test coverage could not be measured and it checks no "
						      "spec item not already checked"
				      : *t->spec_id ? "checks a spec item a kept test checks already and reaches no "
						      "line the other tests do not"
						    : "reaches no line the other tests do not and checks no spec item";
			judge_as(rd->r, t, GEN_REJECTED, why, "", "NO_NEW_COVERAGE");
		}
		buf_release(&node);
	}
	coverage_map_free(map);
	free(lines);
	buf_release(&prefix);
}

static void move_test(struct gen_llm_tests *to, const struct gen_llm_test *t)
{
	struct gen_llm_test *x = test_add(to, t->name, NULL);
	free(x->spec_id);
	free(x->code);
	free(x->imports);
	x->spec_id = xstrdup(t->spec_id);
	x->code = xstrdup(t->code);
	x->imports = xstrdup(t->imports);
}

/*
 * 1 when a test reaches a process, file-deletion or network call (gen/facts.h's
 * reading of its own code) or calls a function of the module that does: it
 * is not run, as the built-in engine does not call such functions, unless
 * --allow-side-effects
 */
static int side_effect(struct buf *why, const struct gen_llm_options *o, const struct gen_llm_test *t)
{
	struct gen_facts f;
	struct buf src = BUF_INIT;
	size_t i;
	int found = 0;

	buf_addf(&src, "%s\n%s", t->imports, t->code);
	memset(&f, 0, sizeof(f));
	if (gen_facts_read(&f, "test.py", src.ptr, src.len) == 0) {
		for (i = 0; i < f.nfunctions && !found; i++)
			if (f.functions[i].side_effect) {
				buf_addf(why, "reaches %s: a side effect (--allow-side-effects runs it)",
					 f.functions[i].side_effect);
				found = 1;
			}
	}
	error_clear();
	gen_facts_release(&f);
	for (i = 0; o->facts && i < o->facts->nfunctions && !found; i++) {
		const struct gen_function *fn = &o->facts->functions[i];
		struct buf call = BUF_INIT;
		buf_addf(&call, "%s(", fn->name);
		if (fn->side_effect && strstr(t->code, call.ptr)) {
			buf_addf(why, "calls %s, which reaches %s: a side effect (--allow-side-effects runs it)",
				 fn->qualname, fn->side_effect);
			found = 1;
		}
		buf_release(&call);
	}
	buf_release(&src);
	return found;
}

/* 1 when the model's test of that name was kept */
static int kept_name(const struct round *rd, const char *name)
{
	size_t i;

	for (i = 0; i < rd->kept.nr; i++)
		if (!strcmp(rd->kept.v[i].name, name))
			return 1;
	return 0;
}

/* 1 when the file has a test of that name already: a built-in one, a kept one, one carried over */
static int name_taken(const struct round *rd, const char *name)
{
	size_t i, n = strlen(name);
	struct buf def = BUF_INIT;
	int taken = 0;

	for (i = 0; rd->o->builtin && i < rd->o->builtin->nr && !taken; i++)
		taken = !strncmp(rd->o->builtin->v[i], name, n) &&
			(rd->o->builtin->v[i][n] == '\0' || rd->o->builtin->v[i][n] == '[');
	for (i = 0; i < rd->kept.nr && !taken; i++)
		taken = !strcmp(rd->kept.v[i].name, name);
	buf_addf(&def, "def %s(", name);
	if (!taken && rd->o->text && strstr(rd->o->text, def.ptr))
		taken = 1;
	buf_release(&def);
	return taken;
}

/*
 * Judge the tests of one reply; those that do not collect go onto
 * `feedback` ("- test_x: NameError: ...") to send back.
 */
static int judge(struct round *rd, struct gen_llm_tests *cands, struct buf *feedback, int last)
{
	struct gen_llm_tests run = GEN_LLM_TESTS_INIT, passed = GEN_LLM_TESTS_INIT;
	struct strvec ids = STRVEC_INIT, reasons = STRVEC_INIT, names = STRVEC_INIT, why = STRVEC_INIT;
	struct strvec repeat = STRVEC_INIT, others = STRVEC_INIT;
	struct buf text = BUF_INIT, cov = BUF_INIT;
	struct gen_trust_options to;
	size_t i;
	int err = 0;

	for (i = 0; i < cands->nr; i++) {
		struct gen_llm_test *t = &cands->v[i];
		struct buf cat = BUF_INIT;
		int taken = name_taken(rd, t->name);

		if (t->rejected && t->collect && !last) {
			buf_addf(feedback, "- %s: %s\n", t->name, t->rejected);
			judge_as(rd->r, t, GEN_REJECTED, t->rejected, t->rejected, "SYNTAX_ERROR");
		} else if (t->rejected) {
			category_of(&cat, t->rejected);
			judge_as(rd->r, t, GEN_REJECTED, t->rejected, t->rejected, t->collect ? cat.ptr : "UNUSABLE");
		} else if (taken && kept_name(rd, t->name)) {
			strvec_pushf(&rd->r->decisions, "the reply repeats the kept test %s: left as it was", t->name);
		} else if (taken) {
			judge_as(rd->r, t, GEN_REJECTED, "a test of that name is in the file already", "", "DUPLICATE");
		} else
			move_test(&run, t);
		buf_release(&cat);
	}
	/* what a test may not do, and the spec items it may cite */
	for (i = 0; i < run.nr; i++) {
		struct buf why1 = BUF_INIT;
		if (*run.v[i].spec_id && (!rd->o->spec || !gen_spec_find(rd->o->spec, run.v[i].spec_id))) {
			buf_addf(&why1, "cites spec item '%s', which the spec does not have", run.v[i].spec_id);
			judge_as(rd->r, &run.v[i], GEN_REJECTED, why1.ptr, "", "UNKNOWN_SPEC_ITEM");
		} else if (!rd->o->allow_side_effects && side_effect(&why1, rd->o, &run.v[i]))
			judge_as(rd->r, &run.v[i], GEN_REJECTED, why1.ptr, "", "SIDE_EFFECT");
		if (why1.len)
			run.v[i].rejected = buf_detach(&why1, NULL);
		buf_release(&why1);
	}
	/* the assertion gate */
	for (i = 0; i < run.nr; i++) {
		if (run.v[i].rejected)
			continue;
		strvec_clear(&names);
		strvec_clear(&why);
		gen_trust_assertions(&names, &why, run.v[i].code, strlen(run.v[i].code));
		if (names.nr) {
			judge_as(rd->r, &run.v[i], GEN_REJECTED, why.v[0], "", "NO_FAILABLE_ASSERTION");
			run.v[i].rejected = xstrdup(why.v[0]);
		}
	}
	/* the gates, the file with the kept tests and these */
	{
		struct gen_llm_tests live = GEN_LLM_TESTS_INIT;
		for (i = 0; i < run.nr; i++)
			if (!run.v[i].rejected)
				move_test(&live, &run.v[i]);
		gen_llm_tests_release(&run);
		run = live;
	}
	if (!run.nr)
		goto done;
	file_text(&text, rd, &run);
	if ((err = write_text(rd->path.ptr, &text)) < 0)
		goto done;
	for (i = 0; i < run.nr; i++)
		strvec_push(&ids, run.v[i].name);
	trust_options(&to, rd, &ids);
	/* beside the private copy, in the generator's own temporary directory */
	buf_addf(&cov, "%s.llm-coverage.jsonl", rd->o->root);
	unlink(cov.ptr);
	to.coverage_file = cov.ptr;
	to.others = &others;
	if ((err = gen_trust_run(&reasons, &to)) < 0)
		goto done;
	for (i = 0; i < run.nr; i++) {
		struct gen_llm_test *t = &run.v[i];
		const char *reason = reasons.v[i];
		struct buf cat = BUF_INIT;
		if (!*reason && others.nr) {
			/* which of this reply's tests broke it is not known: none of them is kept */
			struct buf why1 = BUF_INIT;
			buf_addf(&why1, "with this reply's tests in the file, a test that passed without them failed: %s",
				 others.v[0]);
			judge_as(rd->r, t, GEN_REJECTED, why1.ptr, others.v[0], "BREAKS_OTHER_TESTS");
			buf_release(&why1);
			continue;
		}
		if (!*reason) {
			move_test(&passed, t);
			continue;
		}
		if (strstr(reason, "in its first run: AssertionError") && !is_collect_error(reason)) {
			strvec_push(&repeat, t->name);
			buf_release(&cat);
			continue;
		}
		if (is_collect_error(reason) && !last)
			buf_addf(feedback, "- %s: %s\n", t->name, reason);
		/* passed its first run, failed a later one: flaky (or slow) */
		if (!is_collect_error(reason) && (strstr(reason, "shuffled run") || strstr(reason, "reverse order") ||
						       strstr(reason, "alone in")))
			buf_adds(&cat, strstr(reason, "over its limit") ? "TIMEOUT" : "FLAKY");
		else
			category_of(&cat, reason);
		judge_as(rd->r, t, GEN_REJECTED, reason, reason, cat.ptr);
		buf_release(&cat);
	}
	if ((err = repeat_failures(rd, &run, &repeat)) < 0)
		goto done;
	judge_value(rd, &passed, &run, cov.ptr);
	for (i = 0; i < passed.nr; i++)
		if (passed.v[i].kept)
			move_test(&rd->kept, &passed.v[i]);
done:
	/* the file as kept so far */
	if (!err) {
		buf_reset(&text);
		file_text(&text, rd, NULL);
		err = write_text(rd->path.ptr, &text);
	}
	gen_llm_tests_release(&run);
	gen_llm_tests_release(&passed);
	strvec_clear(&ids);
	strvec_clear(&reasons);
	strvec_clear(&names);
	strvec_clear(&why);
	strvec_clear(&repeat);
	strvec_clear(&others);
	if (cov.len)
		unlink(cov.ptr);
	buf_release(&cov);
	buf_release(&text);
	return err;
}

/* one exchange: asked of the provider (then the fallback), recorded in the result */
static int ask(struct gen_llm_result *r, const struct gen_llm_options *o, const char *system, const char *user,
	       char **reply_out)
{
	struct llm_request rq;
	struct llm_reply reply = LLM_REPLY_INIT;
	struct gen_llm_exchange *x;
	int err;

	memset(&rq, 0, sizeof(rq));
	rq.system = system;
	rq.user = user;
	rq.temperature = GEN_LLM_TEMPERATURE;
	rq.max_tokens = GEN_LLM_REPLY_TOKENS;
	err = llm_complete(&reply, o->provider, &rq);
	if (err < 0 && err != ERR_INTERRUPTED && err != ERR_USAGE && o->fallback) {
		log_warn("%s failed (%s): asking the fallback provider %s", llm_provider_name(o->provider),
			 error_last(), llm_provider_name(o->fallback));
		llm_reply_release(&reply);
		err = llm_complete(&reply, o->fallback, &rq);
	}
	r->exchanges = xrealloc(r->exchanges, (r->nexchanges + 1) * sizeof(*r->exchanges));
	x = &r->exchanges[r->nexchanges++];
	memset(x, 0, sizeof(*x));
	x->system = secret_redacted(system);
	x->prompt = secret_redacted(user);
	x->reply = reply.text ? secret_redacted(reply.text) : xstrdup("");
	x->provider = secret_redacted(reply.provider ? reply.provider : llm_provider_name(o->provider));
	x->model = reply.model ? secret_redacted(reply.model) : NULL;
	x->prompt_tokens = reply.prompt_tokens;
	x->completion_tokens = reply.completion_tokens;
	x->latency = reply.latency;
	r->prompt_tokens += reply.prompt_tokens;
	r->completion_tokens += reply.completion_tokens;
	if (err < 0) {
		struct buf b = BUF_INIT;
		buf_addf(&b, "http error: %s", error_last());
		x->outcome = secret_redacted(b.ptr);
		buf_release(&b);
	} else
		*reply_out = xstrdup(x->reply);
	llm_reply_release(&reply);
	return err;
}

int gen_llm_round(struct gen_llm_result *out, const struct gen_llm_options *o)
{
	struct round rd;
	struct buf feedback = BUF_INIT, text = BUF_INIT;
	double started = clock_monotonic();
	int attempt, err = 0;
	size_t i;

	memset(out, 0, sizeof(*out));
	strvec_init(&out->decisions);
	memset(&rd, 0, sizeof(rd));
	rd.o = o;
	rd.r = out;
	strvec_init(&rd.checked);
	buf_init(&rd.path, 0);
	buf_addf(&rd.path, "%s/%s", o->root, o->file);
	for (attempt = 0; attempt <= GEN_LLM_RETRIES; attempt++) {
		struct buf system = BUF_INIT, user = BUF_INIT;
		struct gen_llm_tests tests = GEN_LLM_TESTS_INIT;
		char *reply = NULL;
		char *sent_back = attempt ? xstrdup(feedback.ptr) : NULL;

		if (attempt && !feedback.len) {
			free(sent_back);
			break;
		}
		buf_reset(&feedback);
		if (sig_pending()) {
			err = ERR_INTERRUPTED;
			free(sent_back);
			break;
		}
		/* the first request is made whatever the built-in pass left: the user asked for a model */
		if (attempt && o->deadline > 0 && clock_monotonic() > o->deadline) {
			strvec_pushf(&out->decisions, "the model was not asked again: the time budget is spent");
			free(sent_back);
			break;
		}
		if (o->max_tokens > 0 && out->prompt_tokens + out->completion_tokens >= o->max_tokens) {
			strvec_pushf(&out->decisions, "the model was not asked again: the token budget (%ld) is spent",
				     o->max_tokens);
			free(sent_back);
			break;
		}
		gen_llm_prompt(&system, &user, o, sent_back);
		err = ask(out, o, system.ptr, user.ptr, &reply);
		buf_release(&system);
		buf_release(&user);
		if (err < 0) {
			free(sent_back);
			if (err == ERR_INTERRUPTED)
				break;
			strvec_pushf(&out->decisions, "the model could not be asked: %s", out->exchanges[out->nexchanges - 1].outcome);
			err = 0;
			break;
		}
		{
			struct gen_llm_exchange *x = &out->exchanges[out->nexchanges - 1];
			int perr = gen_llm_reply_parse(&tests, reply, strlen(reply));
			struct buf b = BUF_INIT;
			if (perr < 0) {
				buf_addf(&b, "unusable reply: %s", error_last());
				x->outcome = buf_detach(&b, NULL);
				strvec_pushf(&out->decisions, "exchange %zu: %s", out->nexchanges, x->outcome);
				if (!attempt)
					buf_addf(&feedback, "- the whole reply: %s\n", error_last());
				error_clear();
			} else {
				buf_addf(&b, "%zu test%s in the reply", tests.nr, tests.nr == 1 ? "" : "s");
				x->outcome = buf_detach(&b, NULL);
				strvec_pushf(&out->decisions, "exchange %zu: %s%s", out->nexchanges, x->outcome,
					     attempt ? " (the tests sent back, again)" : "");
				err = judge(&rd, &tests, &feedback, attempt == GEN_LLM_RETRIES);
			}
		}
		/* a test sent back that the reply did not write again stays rejected, retried once */
		for (i = 0; attempt && sent_back && i < out->nr; i++) {
			struct buf needle = BUF_INIT;
			buf_addf(&needle, "- %s: ", out->tests[i].name);
			if (strstr(sent_back, needle.ptr))
				out->tests[i].retries = attempt;
			buf_release(&needle);
		}
		free(reply);
		free(sent_back);
		gen_llm_tests_release(&tests);
		if (err < 0)
			break;
	}
	if (!err) {
		file_text(&text, &rd, NULL);
		if (!rd.kept.nr) {
			buf_reset(&text);
			buf_adds(&text, o->text ? o->text : "");
		}
		out->text = buf_detach(&text, NULL);
		{
			struct buf t = BUF_INIT;
			buf_adds(&t, out->text);
			err = *out->text ? write_text(rd.path.ptr, &t) : 0;
			buf_release(&t);
		}
		{
			size_t kept = 0, rejected = 0, findings = 0;
			for (i = 0; i < out->nr; i++) {
				kept += out->tests[i].status == GEN_PASSED;
				rejected += out->tests[i].status == GEN_REJECTED;
				findings += out->tests[i].status == GEN_FINDING;
			}
			strvec_pushf(&out->decisions, "the model's tests: %zu kept, %zu rejected, %zu findings; %ld prompt "
				     "and %ld reply tokens in %zu exchange%s", kept, rejected, findings,
				     out->prompt_tokens, out->completion_tokens, out->nexchanges,
				     out->nexchanges == 1 ? "" : "s");
		}
	}
	out->seconds = clock_monotonic() - started;
	gen_llm_tests_release(&rd.kept);
	strvec_clear(&rd.checked);
	buf_release(&rd.path);
	buf_release(&feedback);
	buf_release(&text);
	return err;
}
