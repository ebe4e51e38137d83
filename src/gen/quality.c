#include "gen/quality.h"

#include "gen/generate.h"

#include "runner/pytest.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/proc.h"
#include "util/xalloc.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* coverage.py's JSON report, at most */
#define COVERAGE_JSON_MAX (64u << 20)

void gen_coverage_release(struct gen_coverage *c)
{
	free(c->why);
	c->why = NULL;
}

void gen_coverage_percent(struct buf *out, size_t part, size_t whole)
{
	if (!whole)
		buf_adds(out, "- (none)");
	else
		buf_addf(out, "%.0f%% (%zu of %zu)", 100.0 * (double)part / (double)whole, part, whole);
}

/* run PYTHON -m coverage ARGS... in the work directory; 0 when it exited 0 or ran the tests */
static int run_python(struct proc_result *pr, const struct strvec *python, const char *cwd,
		      const char *const *args, double timeout)
{
	struct strvec argv = STRVEC_INIT;
	struct proc_options po = PROC_OPTIONS_INIT;
	size_t i;
	int err;

	for (i = 0; i < python->nr; i++)
		strvec_push(&argv, python->v[i]);
	strvec_pushv(&argv, args);
	po.argv = argv.v;
	po.cwd = cwd;
	po.timeout_ms = (int)(timeout * 1000);
	po.merge_stderr = 1;
	err = proc_run(pr, &po);
	strvec_clear(&argv);
	return err;
}

/* the summary of `module` in coverage.py's JSON report at `path` */
static int read_report(struct gen_coverage_figures *out, const char *path, const char *module)
{
	struct buf text = BUF_INIT;
	json_t *doc = NULL, *files, *f;
	const char *name;
	int err;

	if ((err = fs_read_file(&text, path, COVERAGE_JSON_MAX)) < 0)
		return err;
	if (!(doc = json_loadb(text.ptr, text.len, 0, NULL)) || !(files = json_object_get(doc, "files"))) {
		err = error_set("coverage.py wrote a report that is not one ('%s')", path);
		goto done;
	}
	memset(out, 0, sizeof(*out));
	out->measured = 1;
	json_object_foreach(files, name, f) {
		size_t n = strlen(name), m = strlen(module);
		json_t *s = json_object_get(f, "summary");
		/* relative to the directory it ran in, or absolute */
		if (!(n >= m && !strcmp(name + n - m, module) && (n == m || name[n - m - 1] == '/')))
			continue;
		out->statements = (size_t)json_integer_value(json_object_get(s, "num_statements"));
		out->covered = (size_t)json_integer_value(json_object_get(s, "covered_lines"));
		out->branches = (size_t)json_integer_value(json_object_get(s, "num_branches"));
		out->covered_branches = (size_t)json_integer_value(json_object_get(s, "covered_branches"));
	}
done:
	json_decref(doc);
	buf_release(&text);
	return err;
}

/* the Python of a pytest command "PYTHON... -m pytest", into `out`; 0 when it has that form */
static int python_of(struct strvec *out, const struct strvec *cmd)
{
	size_t i;

	if (cmd->nr < 3 || strcmp(cmd->v[cmd->nr - 2], "-m") || strcmp(cmd->v[cmd->nr - 1], "pytest"))
		return -1;
	for (i = 0; i + 2 < cmd->nr; i++)
		strvec_push(out, cmd->v[i]);
	return 0;
}

int gen_coverage_measure(struct gen_coverage *out, const struct gen_coverage_options *o)
{
	struct pytest_options po = PYTEST_OPTIONS_INIT;
	struct strvec cmd = STRVEC_INIT, python = STRVEC_INIT;
	struct buf tmp = BUF_INIT, include = BUF_INIT, ignore = BUF_INIT, data[3] = { BUF_INIT, BUF_INIT, BUF_INIT };
	struct buf json = BUF_INIT, dataopt = BUF_INIT;
	struct proc_result pr = PROC_RESULT_INIT;
	double timeout = o->timeout > 0 ? o->timeout : GEN_COVERAGE_TIMEOUT;
	int err = 0, i;

	memset(out, 0, sizeof(*out));
	po.root = o->root;
	po.venv_root = o->venv_root;
	po.command = o->pytest_cmd;
	po.choice = o->choice;
	if ((err = pytest_resolve_command(&cmd, &po)) < 0) {
		if (err == ERR_INTERRUPTED)
			goto done;
		out->why = xstrdup(error_last());
		error_clear();
		err = 0;
		goto done;
	}
	if (python_of(&python, &cmd) < 0) {
		out->why = xstrdup("coverage needs a pytest command of the form 'PYTHON -m pytest'");
		goto done;
	}
	{
		const char *const check[] = { "-c", "import coverage", NULL };
		if ((err = run_python(&pr, &python, o->root, check, timeout)) < 0 || pr.exit_code) {
			struct buf why = BUF_INIT;
			if (err == ERR_INTERRUPTED || pr.interrupted) {
				err = ERR_INTERRUPTED;
				goto done;
			}
			buf_addf(&why, "coverage.py cannot be imported by '%s' (Debian: apt-get install python3-coverage)",
				 python.v[0]);
			out->why = buf_detach(&why, NULL);
			error_clear();
			err = 0;
			goto done;
		}
		proc_result_release(&pr);
	}
	if ((err = fs_mkdtemp(&tmp, "coverage")) < 0)
		goto done;
	buf_addf(&include, "--include=%s/%s", o->root, o->module);
	buf_addf(&ignore, "--ignore=%s", o->generated);
	for (i = 0; i < 3; i++)
		buf_addf(&data[i], "--data-file=%s/cov-%d", tmp.ptr, i);
	/* 0: the project's tests without the file, 1: the file alone */
	for (i = 0; i < 2 && !err; i++) {
		const char *args[] = { "-m", "coverage", "run", "--branch", include.ptr, data[i].ptr, "-m", "pytest",
				       "-q", "-p", "no:cacheprovider", i ? o->generated : ignore.ptr, NULL };
		proc_result_release(&pr);
		err = run_python(&pr, &python, o->root, args, timeout);
		if (!err && (pr.interrupted))
			err = ERR_INTERRUPTED;
		if (!err && pr.timed_out) {
			out->why = xstrdup("the tests ran past the time limit of the coverage run");
			goto cleanup;
		}
	}
	if (err)
		goto cleanup;
	/* 2: both */
	{
		char *a = xstrdup(data[0].ptr + strlen("--data-file=")), *b = xstrdup(data[1].ptr + strlen("--data-file="));
		const char *args[] = { "-m", "coverage", "combine", "--keep", data[2].ptr, a, b, NULL };
		proc_result_release(&pr);
		err = run_python(&pr, &python, o->root, args, timeout);
		free(a);
		free(b);
	}
	for (i = 0; i < 3 && !err; i += 2) {
		struct gen_coverage_figures *fig = i ? &out->after : &out->before;
		const char *args[] = { "-m", "coverage", "json", "-q", "-o", NULL, data[i].ptr, NULL };
		buf_reset(&json);
		buf_addf(&json, "%s/cov-%d.json", tmp.ptr, i);
		args[5] = json.ptr;
		proc_result_release(&pr);
		if ((err = run_python(&pr, &python, o->root, args, timeout)) < 0)
			break;
		if (!fs_is_file(json.ptr)) {
			/* no data: the tests ran none of the module (or there are none) */
			memset(fig, 0, sizeof(*fig));
			fig->measured = 1;
			continue;
		}
		if (read_report(fig, json.ptr, o->module) < 0) {
			out->why = xstrdup(error_last());
			error_clear();
		}
	}
	if (err < 0 && err != ERR_INTERRUPTED) {
		out->why = xstrdup(error_last());
		error_clear();
		err = 0;
	}
cleanup:
	fs_remove_tree(tmp.ptr);
done:
	proc_result_release(&pr);
	strvec_clear(&cmd);
	strvec_clear(&python);
	buf_release(&tmp);
	buf_release(&include);
	buf_release(&ignore);
	buf_release(&json);
	buf_release(&dataopt);
	for (i = 0; i < 3; i++)
		buf_release(&data[i]);
	return err;
}

static void coverage_row(struct buf *out, const char *what, const struct gen_coverage_figures *f,
			 const struct gen_coverage_figures *whole)
{
	buf_addf(out, "| %s | ", what);
	gen_coverage_percent(out, f->covered, f->statements ? f->statements : whole->statements);
	buf_adds(out, " | ");
	gen_coverage_percent(out, f->covered_branches, f->branches ? f->branches : whole->branches);
	buf_adds(out, " |\n");
}

static void notes_table(struct buf *out, const char *title, const char *col, const struct gen_note *n,
			size_t nr)
{
	size_t i;

	buf_addf(out, "\n## %s (%zu)\n\n", title, nr);
	if (!nr) {
		buf_adds(out, "None.\n");
		return;
	}
	buf_addf(out, "| %s | why |\n|---|---|\n", col);
	for (i = 0; i < nr; i++) {
		buf_adds(out, "| `");
		buf_add_printable(out, n[i].what, strlen(n[i].what));
		buf_adds(out, "` | ");
		buf_add_printable(out, n[i].reason, strlen(n[i].reason));
		buf_adds(out, " |\n");
	}
}

/* a table cell: one line, no '|' */
static void cell(struct buf *out, const char *s)
{
	for (; s && *s; s++)
		buf_addch(out, *s == '|' ? '/' : *s == '\n' || *s == '\r' ? ' ' : *s);
}

/* the model's tests, the spec items and the findings */
static void model_sections(struct buf *out, const struct gen_result *r)
{
	const struct gen_llm_result *m = &r->llm;
	size_t i, k;

	buf_adds(out, "\n## Spec items\n\n");
	if (!r->spec || !r->spec->nr)
		buf_adds(out, "No specification was given.\n");
	else {
		buf_adds(out, "| item | status | test | text |\n|---|---|---|---|\n");
		for (i = 0; i < r->spec->nr; i++) {
			const struct gen_spec_item *it = &r->spec->items[i];
			const char *status = "not covered", *test = "";
			for (k = 0; k < m->nr; k++) {
				if (strcmp(m->tests[k].spec_id, it->id))
					continue;
				if (m->tests[k].status == GEN_PASSED) {
					status = "covered";
					test = m->tests[k].name;
				} else if (m->tests[k].status == GEN_FINDING && strcmp(status, "covered")) {
					status = "FINDING: the code contradicts it";
					test = m->tests[k].name;
				}
			}
			buf_addf(out, "| %s | %s | %s | ", it->id, status, test);
			cell(out, it->text);
			buf_adds(out, " |\n");
		}
	}
	if (!r->asked_model)
		return;
	buf_addf(out, "\n## The model's tests (%zu)\n\n", m->nr);
	if (m->nr) {
		buf_adds(out, "| test | status | spec item | retries | category | reason |\n|---|---|---|---|---|---|\n");
		for (i = 0; i < m->nr; i++) {
			const struct gen_llm_verdict *v = &m->tests[i];
			buf_addf(out, "| %s | %s | %s | %d | %s | ", v->name, gen_status_name(v->status), v->spec_id,
				 v->retries, v->category);
			cell(out, v->reason);
			buf_adds(out, " |\n");
		}
	}
	for (i = 0; i < m->nr; i++) {
		const struct gen_llm_verdict *v = &m->tests[i];
		if (v->status != GEN_FINDING)
			continue;
		buf_addf(out, "\n### Finding: spec item %s\n\n", v->spec_id);
		for (k = 0; r->spec && k < r->spec->nr; k++)
			if (!strcmp(r->spec->items[k].id, v->spec_id))
				buf_addf(out, "- Spec item (%s, line %d): %s\n", r->spec->items[k].file, r->spec->items[k].line,
					 r->spec->items[k].text);
		buf_addf(out, "- Test: `%s` (not kept: the code is to change, not the test)\n", v->name);
		if (*v->expected)
			buf_addf(out, "- Expected: `%s`\n- Observed: `%s`\n", v->expected, v->observed);
		buf_adds(out, "- Failure: ");
		cell(out, v->last_error);
		buf_adds(out, "\n");
	}
}

/* the audit trail of the model: every exchange, its prompts and reply */
static void exchanges(struct buf *out, const struct gen_result *r)
{
	size_t i;

	if (!r->asked_model)
		return;
	buf_addf(out, "\n## Exchanges with the model (%zu)\n", r->llm.nexchanges);
	for (i = 0; i < r->llm.nexchanges; i++) {
		const struct gen_llm_exchange *x = &r->llm.exchanges[i];
		buf_addf(out, "\n### Exchange %zu: %s\n\n- Provider: %s%s%s\n- Tokens: %ld prompt, %ld reply; %.2f s\n",
			 i + 1, x->outcome ? x->outcome : "", x->provider ? x->provider : "?", x->model ? ", model " : "",
			 x->model ? x->model : "", x->prompt_tokens, x->completion_tokens, x->latency);
		buf_addf(out, "\n<details><summary>System prompt</summary>\n\n~~~~~~~~\n%s\n~~~~~~~~\n</details>\n",
			 x->system);
		buf_addf(out, "\n<details><summary>Prompt</summary>\n\n~~~~~~~~\n%s\n~~~~~~~~\n</details>\n", x->prompt);
		buf_addf(out, "\n<details><summary>Reply</summary>\n\n~~~~~~~~\n%s\n~~~~~~~~\n</details>\n", x->reply);
	}
}

void gen_report_markdown(struct buf *out, const struct gen_result *r)
{
	size_t i, scored = r->killed + r->timed_out + r->survived;

	buf_addf(out, "# Tests generated for `%s`\n\n", r->module_path);
	if (r->asked_model)
		buf_addf(out, "- File: `%s` (seed %lu, built-in engine, then a model: %ld prompt and %ld reply tokens "
			 "in %zu exchange%s, %.1f s)\n", r->out_path, r->seed, r->llm.prompt_tokens,
			 r->llm.completion_tokens, r->llm.nexchanges, r->llm.nexchanges == 1 ? "" : "s", r->llm.seconds);
	else
		buf_addf(out, "- File: `%s` (seed %lu, built-in engine: no model, 0 tokens)\n", r->out_path, r->seed);
	buf_addf(out, "- Tests: %zu kept, %zu unchanged from the last run, %zu rejected; "
		 "%zu of %zu functions tested; %zu calls tried\n",
		 r->kept.nr, r->unchanged.nr, r->nrejected, r->functions_tested, r->functions, r->calls_tried);
	buf_addf(out, "- Time: %.1f s\n", r->seconds);
	buf_adds(out, "\n## Coverage of the module (coverage.py, lines and branches)\n\n");
	if (r->coverage.before.measured && r->coverage.after.measured) {
		buf_adds(out, "| tests | lines | branches |\n|---|---|---|\n");
		coverage_row(out, "the project's, before", &r->coverage.before, &r->coverage.after);
		coverage_row(out, "with the generated file", &r->coverage.after, &r->coverage.after);
	} else
		buf_addf(out, "Not measured: %s.\n", r->coverage.why ? r->coverage.why : "no test was kept");
	buf_adds(out, "\n## Mutation score\n\n");
	if (r->mutants_generated)
		buf_addf(out, "Measured by running `%s` against each mutant of the module (in a private copy): "
			 "killed when a test fails, timed out when one runs past its limit. %zu of %zu mutants run%s.\n\n",
			 r->out_path, r->mutants, r->mutants_generated,
			 r->mutants_sampled ? " (a seeded sample: the time budget ran out; no figure for the others)" : "");
	if (scored) {
		buf_addf(out, "%zu of %zu mutants killed (%.0f%%), %zu of them by a time limit; "
			 "%zu did not load.\n\n| operator | killed | survived | timed out |\n|---|---|---|---|\n",
			 r->killed + r->timed_out, scored, 100.0 * (double)(r->killed + r->timed_out) / (double)scored,
			 r->timed_out, r->mutant_errors);
		for (i = 0; i < r->noperators; i++)
			buf_addf(out, "| %s | %zu | %zu | %zu |\n", r->operators[i].name, r->operators[i].killed,
				 r->operators[i].survived, r->operators[i].timed_out);
	} else
		buf_adds(out, "No mutant was run.\n");
	buf_addf(out, "\n## Tests kept (%zu)\n\n", r->kept.nr + r->unchanged.nr);
	for (i = 0; i < r->kept.nr; i++)
		buf_addf(out, "- `%s`\n", r->kept.v[i]);
	for (i = 0; i < r->unchanged.nr; i++)
		buf_addf(out, "- `%s` (unchanged)\n", r->unchanged.v[i]);
	notes_table(out, "Tests rejected", "test", r->rejected, r->nrejected);
	notes_table(out, "Findings", "function", r->findings, r->nfindings);
	notes_table(out, "Not called", "function", r->skipped, r->nskipped);
	model_sections(out, r);
	buf_adds(out, "\n## Decisions\n\n");
	for (i = 0; i < r->decisions.nr; i++)
		buf_addf(out, "%zu. %s\n", i + 1, r->decisions.v[i]);
	exchanges(out, r);
}
