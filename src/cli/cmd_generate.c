/*
 * `pytest-fixer generate MODULE...`: tests written for a module's public
 * functions and classes, kept only when they are trustworthy (SPEC C12,
 * issue 17). The generator is gen/generate.h.
 */
#include "cli/cli.h"
#include "cli/llm_options.h"
#include "cli/options.h"
#include "gen/generate.h"
#include "gen/spec.h"
#include "llm/llm.h"
#include "project/project.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char generate_usage[] =
	"pytest-fixer generate MODULE... [--spec FILE...] [--engine builtin|llm|auto] [--out FILE]\n"
	"       [--time-budget S] [--seed N] [--json] [model options] [options]";

/* how a model is configured, for the messages that ask for one */
#define GENERATE_MODEL_HINT "give --provider, --base-url or --api-key, or set OPENAI_API_KEY, OPENAI_BASE_URL " \
	"or ANTHROPIC_API_KEY"

/* the largest time budget accepted, seconds */
#define GENERATE_MAX_BUDGET 86400.0

static json_t *notes_json(const struct gen_note *n, size_t nr, const char *what_key)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < nr; i++)
		json_array_append_new(a, json_pack("{s:s, s:s}", what_key, n[i].what, "reason", n[i].reason));
	return a;
}

static double share(size_t part, size_t whole)
{
	return whole ? (double)part / (double)whole : 0.0;
}

/* the model's round: its tests' verdicts, the spec items, the findings, tokens and the exchanges */
static json_t *model_json(const struct gen_result *r)
{
	const struct gen_llm_result *m = &r->llm;
	json_t *tests = json_array(), *ex = json_array(), *covered = json_array(), *uncovered = json_array();
	json_t *contradicted = json_array();
	size_t i, k;

	for (i = 0; i < m->nr; i++) {
		const struct gen_llm_verdict *v = &m->tests[i];
		json_t *t = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s}", "name", v->name, "status",
				      gen_status_name(v->status), "spec_item", v->spec_id, "retries", v->retries,
				      "reason", v->reason, "category", v->category);
		if (v->status == GEN_FINDING)
			json_object_set_new(t, "finding", json_pack("{s:s, s:s, s:s}", "expected", v->expected,
								     "observed", v->observed, "message", v->last_error));
		json_array_append_new(tests, t);
	}
	for (i = 0; r->spec && i < r->spec->nr; i++) {
		const struct gen_spec_item *it = &r->spec->items[i];
		int kept = 0, finding = 0;
		for (k = 0; k < m->nr; k++)
			if (!strcmp(m->tests[k].spec_id, it->id)) {
				kept |= m->tests[k].status == GEN_PASSED;
				finding |= m->tests[k].status == GEN_FINDING;
			}
		json_array_append_new(kept ? covered : finding ? contradicted : uncovered,
				      json_pack("{s:s, s:s, s:s, s:i}", "id", it->id, "text", it->text, "file", it->file,
						"line", it->line));
	}
	for (i = 0; i < m->nexchanges; i++) {
		const struct gen_llm_exchange *x = &m->exchanges[i];
		json_array_append_new(ex, json_pack("{s:s?, s:s?, s:s, s:s, s:s, s:s, s:I, s:I, s:f}",
			"provider", x->provider, "model", x->model, "outcome", x->outcome ? x->outcome : "",
			"system", x->system, "prompt", x->prompt, "reply", x->reply,
			"prompt_tokens", (json_int_t)x->prompt_tokens, "completion_tokens",
			(json_int_t)x->completion_tokens, "latency", x->latency));
	}
	return json_pack("{s:o, s:{s:o, s:o, s:o}, s:{s:I, s:I}, s:f, s:o}", "tests", tests,
			 "spec_items", "covered", covered, "contradicted", contradicted, "not_covered", uncovered,
			 "tokens", "prompt", (json_int_t)m->prompt_tokens, "completion", (json_int_t)m->completion_tokens,
			 "seconds", m->seconds, "exchanges", ex);
}

static json_t *result_json(const struct gen_result *r)
{
	json_t *ops = json_array(), *kept = json_array(), *o;
	size_t i;

	for (i = 0; i < r->kept.nr; i++)
		json_array_append_new(kept, json_string(r->kept.v[i]));
	for (i = 0; i < r->noperators; i++)
		json_array_append_new(ops, json_pack("{s:s, s:I, s:I, s:I}", "operator", r->operators[i].name,
						     "killed", (json_int_t)r->operators[i].killed,
						     "survived", (json_int_t)r->operators[i].survived,
						     "timed_out", (json_int_t)r->operators[i].timed_out));
	o = json_pack("{s:s, s:s, s:s, s:I, s:o}", "module", r->module_path,
		      "name", r->module_name ? r->module_name : "", "out", r->out_path,
		      "seed", (json_int_t)r->seed, "kept", kept);
	{
		json_t *un = json_array();
		for (i = 0; i < r->unchanged.nr; i++)
			json_array_append_new(un, json_string(r->unchanged.v[i]));
		json_object_set_new(o, "unchanged", un);
	}
	json_object_set_new(o, "rejected", notes_json(r->rejected, r->nrejected, "id"));
	json_object_set_new(o, "skipped", notes_json(r->skipped, r->nskipped, "function"));
	json_object_set_new(o, "findings", notes_json(r->findings, r->nfindings, "function"));
	json_object_set_new(o, "functions", json_pack("{s:I, s:I}", "total", (json_int_t)r->functions,
						      "tested", (json_int_t)r->functions_tested));
	json_object_set_new(o, "calls", json_pack("{s:I, s:I}", "tried", (json_int_t)r->calls_tried,
						  "kept", (json_int_t)r->calls_kept));
	json_object_set_new(o, "lines", json_pack("{s:I, s:I}", "total", (json_int_t)r->lines,
						  "reached", (json_int_t)r->lines_reached));
	json_object_set_new(o, "mutants", json_pack("{s:s, s:I, s:b, s:I, s:I, s:I, s:I, s:I, s:f, s:o}",
						    "method", "file",
						    "generated", (json_int_t)r->mutants_generated,
						    "sampled", r->mutants_sampled,
						    "total", (json_int_t)r->mutants,
						    "killed", (json_int_t)r->killed,
						    "survived", (json_int_t)r->survived,
						    "timed_out", (json_int_t)r->timed_out,
						    "errors", (json_int_t)r->mutant_errors,
						    "score", share(r->killed + r->timed_out,
								   r->killed + r->timed_out + r->survived),
						    "by_operator", ops));
	{
		json_t *cov = json_object();
		const struct gen_coverage *c = &r->coverage;
		if (c->before.measured && c->after.measured) {
			json_object_set_new(cov, "before", json_pack("{s:I, s:I, s:I, s:I}",
				"statements", (json_int_t)c->after.statements, "covered", (json_int_t)c->before.covered,
				"branches", (json_int_t)c->after.branches, "covered_branches", (json_int_t)c->before.covered_branches));
			json_object_set_new(cov, "after", json_pack("{s:I, s:I, s:I, s:I}",
				"statements", (json_int_t)c->after.statements, "covered", (json_int_t)c->after.covered,
				"branches", (json_int_t)c->after.branches, "covered_branches", (json_int_t)c->after.covered_branches));
		} else
			json_object_set_new(cov, "why", json_string(c->why ? c->why : "no test was kept"));
		json_object_set_new(o, "coverage", cov);
	}
	{
		json_t *d = json_array();
		for (i = 0; i < r->decisions.nr; i++)
			json_array_append_new(d, json_string(r->decisions.v[i]));
		json_object_set_new(o, "decisions", d);
	}
	json_object_set_new(o, "engine", json_string(r->asked_model ? "builtin+llm" : "builtin"));
	if (r->asked_model)
		json_object_set_new(o, "model", model_json(r));
	json_object_set_new(o, "report", r->report_path ? json_string(r->report_path) : json_null());
	json_object_set_new(o, "seconds", json_real(r->seconds));
	return o;
}

static void print_text(const struct gen_result *r, int dry_run)
{
	size_t i, scored = r->killed + r->timed_out + r->survived;

	printf("%s -> %s%s\n", r->module_path, r->out_path, dry_run ? " (dry run: not written)" : "");
	printf("  %zu test%s kept for %zu of %zu functions (%zu calls tried), %zu rejected, %.1f s\n",
	       r->kept.nr, r->kept.nr == 1 ? "" : "s", r->functions_tested, r->functions, r->calls_tried,
	       r->nrejected, r->seconds);
	if (r->unchanged.nr)
		printf("  %zu test%s unchanged: their code and checklist entries are the same as last time\n",
		       r->unchanged.nr, r->unchanged.nr == 1 ? "" : "s");
	if (r->lines)
		printf("  lines reached: %zu of %zu (%.0f%%)\n", r->lines_reached, r->lines,
		       100.0 * share(r->lines_reached, r->lines));
	if (scored)
		printf("  mutants the file kills: %zu of %zu (%.0f%%; %zu by a time limit)%s\n",
		       r->killed + r->timed_out, scored, 100.0 * share(r->killed + r->timed_out, scored),
		       r->timed_out, r->mutants_sampled ? "; a sample: the time budget ran out" : "");
	if (r->coverage.before.measured && r->coverage.after.measured) {
		struct buf b = BUF_INIT, a = BUF_INIT;
		gen_coverage_percent(&b, r->coverage.before.covered, r->coverage.after.statements);
		gen_coverage_percent(&a, r->coverage.after.covered, r->coverage.after.statements);
		printf("  coverage.py, lines: %s before, %s with the file\n", b.ptr, a.ptr);
		buf_reset(&b);
		buf_reset(&a);
		gen_coverage_percent(&b, r->coverage.before.covered_branches, r->coverage.after.branches);
		gen_coverage_percent(&a, r->coverage.after.covered_branches, r->coverage.after.branches);
		printf("  coverage.py, branches: %s before, %s with the file\n", b.ptr, a.ptr);
		buf_release(&b);
		buf_release(&a);
	} else if (r->coverage.why)
		printf("  coverage not measured: %s\n", r->coverage.why);
	if (r->asked_model) {
		size_t kept = 0, rejected = 0, findings = 0;
		for (i = 0; i < r->llm.nr; i++) {
			kept += r->llm.tests[i].status == GEN_PASSED;
			rejected += r->llm.tests[i].status == GEN_REJECTED;
			findings += r->llm.tests[i].status == GEN_FINDING;
		}
		printf("  model: %zu test%s kept, %zu rejected, %zu finding%s; %ld prompt and %ld reply tokens, %.1f s\n",
		       kept, kept == 1 ? "" : "s", rejected, findings, findings == 1 ? "" : "s", r->llm.prompt_tokens,
		       r->llm.completion_tokens, r->llm.seconds);
		/* what went wrong with the model is said, not only in the report */
		for (i = 0; i < r->llm.nexchanges; i++) {
			const char *outcome = r->llm.exchanges[i].outcome;
			if (outcome && (!strncmp(outcome, "http error", 10) || !strncmp(outcome, "unusable reply", 14)))
				printf("  model, exchange %zu: %s\n", i + 1, outcome);
		}
	}
	for (i = 0; i < r->nskipped; i++)
		printf("  not called: %s: %s\n", r->skipped[i].what, r->skipped[i].reason);
	for (i = 0; i < r->nfindings; i++)
		printf("  finding: %s: %s\n", r->findings[i].what, r->findings[i].reason);
	for (i = 0; i < r->nrejected; i++)
		printf("  rejected: %s: %s\n", r->rejected[i].what, r->rejected[i].reason);
	if (r->report_path)
		printf("  report: %s\n", r->report_path);
}

/* the Markdown report into .pytest-fixer/reports/generate-<module>-<time>.md (a failure is a warning) */
static void write_report(struct gen_result *r, struct project *p)
{
	struct buf md = BUF_INIT, id = BUF_INIT, path = BUF_INIT;
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	const char *s;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	buf_adds(&id, "generate-");
	for (s = r->module_path; *s; s++)
		buf_addch(&id, (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ? *s : '_');
	buf_addf(&id, "-%s", stamp);
	project_state_path(&path, p->root, PROJECT_REPORT, id.ptr);
	gen_report_markdown(&md, r);
	{
		char *dir = strdup(path.ptr), *slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		if (fs_mkdir_p(dir, 0755) < 0 || project_exclude(p) < 0 ||
		    fs_write_atomic(path.ptr, md.ptr, md.len, 0644) < 0)
			fprintf(stderr, "pytest-fixer: warning: cannot write the report: %s\n", error_last());
		else {
			char *rel = fs_relative_to(path.ptr, p->root);
			r->report_path = rel ? rel : strdup(path.ptr);
		}
		free(dir);
	}
	buf_release(&md);
	buf_release(&id);
	buf_release(&path);
}

/* MODULE as the user gave it: a path relative to the current directory becomes absolute */
static char *module_arg(const char *arg)
{
	size_t n = strlen(arg);
	struct buf abs = BUF_INIT;

	if (n > 3 && !strcmp(arg + n - 3, ".py") && arg[0] != '/' && fs_is_file(arg) &&
	    fs_realpath(&abs, arg) == 0)
		return buf_detach(&abs, NULL);
	buf_release(&abs);
	return strdup(arg);
}

int cmd_generate(int argc, const char **argv, struct project *p)
{
	struct parsed_args pa = PARSED_ARGS_INIT;
	const char *out = NULL, *engine = "builtin", *pytest_cmd = NULL;
	struct strvec specs = STRVEC_INIT;
	struct llm_options lo = LLM_OPTIONS_INIT;
	struct llm_provider *provider = NULL, *fallback = NULL;
	struct gen_spec spec = GEN_SPEC_INIT;
	double max_tokens = 0;
	double budget = GEN_DEFAULT_TIME_BUDGET, call_limit = GEN_DEFAULT_CALL_LIMIT;
	int json = 0, seed = GEN_DEFAULT_SEED, allow_side_effects = 0, dry_run = 0;
	int code = EXIT_OK, err = 0;
	json_t *all = NULL;
	size_t i;
	struct option opts[] = {
		{ OPT_STRING, "out", 0, &out, "FILE", "the file to write (one MODULE only; default tests/test_<module>_generated.py)" },
		{ OPT_DOUBLE, "time-budget", 0, &budget, "S", "seconds per module (default 120), the mutation score's runs included "
		  "(a seeded sample of the mutants when it runs out)" },
		{ OPT_INT, "seed", 0, &seed, "N", "the sampling seed: the same seed writes the same file (default 1)" },
		{ OPT_STRING, "engine", 0, &engine, "NAME",
		  "builtin (search-based, no network), llm (builtin, then a model: needs a provider) or auto "
		  "(llm when a provider is configured, else builtin; the default is builtin)" },
		{ OPT_LIST, "spec", 0, &specs, "FILE",
		  "user stories / acceptance criteria (Markdown) or an OpenAPI file (YAML, JSON) the model "
		  "tests against, each test citing its item (repeatable; needs a model)" },
		{ OPT_FLAG, "allow-side-effects", 0, &allow_side_effects, NULL,
		  "also call functions that reach process, file-deletion or network calls" },
		{ OPT_DOUBLE, "call-limit", 0, &call_limit, "S", "seconds one call may take (default 1)" },
		{ OPT_STRING, "pytest", 0, &pytest_cmd, "CMD",
		  "the pytest command, e.g. '/usr/bin/python3 -m pytest' (or PYTEST_FIXER_PYTEST)" },
		{ OPT_FLAG, "dry-run", 0, &dry_run, NULL, "print what would be written, write nothing" },
		{ OPT_FLAG, "json", 0, &json, NULL, "print JSON" },
		LLM_OPTION_ROWS(lo, max_tokens),
		OPT_END_ENTRY,
	};

	if (cli_parse_options(&pa, opts, argc, argv, generate_usage, &code))
		goto done;
	if (!pa.positional.nr) {
		code = cli_exit_for_error(error_setc(ERR_USAGE, "generate needs a MODULE (a file or a dotted name)"));
		goto done;
	}
	if (out && pa.positional.nr > 1) {
		code = cli_exit_for_error(error_setc(ERR_USAGE, "--out names one file: give one MODULE with it"));
		goto done;
	}
	if (!(budget > 0 && budget <= GENERATE_MAX_BUDGET) || !(call_limit > 0 && call_limit <= 3600) ||
	    seed < 0) {
		code = cli_exit_for_error(error_setc(ERR_USAGE,
			"--time-budget must be in (0, %.0f], --call-limit in (0, 3600], --seed 0 or more",
			GENERATE_MAX_BUDGET));
		goto done;
	}
	if ((err = llm_options_check(&lo, max_tokens)) < 0) {
		code = cli_exit_for_error(err);
		goto done;
	}
	if (strcmp(engine, "builtin") && strcmp(engine, "llm") && strcmp(engine, "auto")) {
		code = cli_exit_for_error(error_setc(ERR_USAGE, "--engine '%s': builtin, llm or auto", engine));
		goto done;
	}
	if (!strcmp(engine, "llm") && !llm_options_provider(&lo)) {
		code = cli_exit_for_error(error_setc(ERR_USAGE, "--engine llm needs a model: " GENERATE_MODEL_HINT));
		goto done;
	}
	if (specs.nr && (!strcmp(engine, "builtin") || !llm_options_provider(&lo))) {
		code = cli_exit_for_error(error_setc(ERR_USAGE, "--spec needs a model (--engine llm or auto, and a "
						     "provider: " GENERATE_MODEL_HINT ")"));
		goto done;
	}
	for (i = 0; i < specs.nr; i++)
		if ((err = gen_spec_load(&spec, specs.v[i])) < 0) {
			code = cli_exit_for_error(err == ERR_INTERRUPTED ? err : ERR_USAGE);
			goto done;
		}
	if (strcmp(engine, "builtin") && llm_options_provider(&lo)) {
		if ((err = llm_options_open(&provider, &lo)) < 0 || (err = llm_options_open_fallback(&fallback, &lo)) < 0) {
			code = cli_exit_for_error(err);
			goto done;
		}
	}
	if (json)
		all = json_pack("{s:[]}", "modules");
	for (i = 0; i < pa.positional.nr && !err; i++) {
		struct gen_options go = GEN_OPTIONS_INIT;
		struct gen_result r;
		char *module = module_arg(pa.positional.v[i]);
		go.root = p->root;
		go.module = module;
		go.out = out;
		go.time_budget = budget;
		go.seed = (unsigned long)seed;
		go.allow_side_effects = allow_side_effects;
		go.pytest_cmd = pytest_cmd;
		go.choice = p->pytest;
		go.call_limit = call_limit;
		go.dry_run = dry_run;
		go.provider = provider;
		go.fallback = fallback;
		go.spec = spec.nr ? &spec : NULL;
		go.max_tokens = lo.max_tokens;
		err = gen_module(&r, &go);
		free(module);
		if (err < 0) {
			code = cli_exit_for_error(err);
			gen_result_release(&r);
			break;
		}
		if (!dry_run)
			write_report(&r, p);
		if (json)
			json_array_append_new(json_object_get(all, "modules"), result_json(&r));
		else {
			print_text(&r, dry_run);
			if (dry_run && r.text)
				fputs(r.text, stdout);
		}
		gen_result_release(&r);
	}
	if (json && !err)
		cli_print_json(all);
done:
	json_decref(all);
	llm_provider_free(provider);
	llm_provider_free(fallback);
	gen_spec_release(&spec);
	strvec_clear(&specs);
	parsed_args_release(&pa);
	return code;
}
