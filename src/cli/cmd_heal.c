/*
 * `pytest-fixer heal [PATH...]`: failing tests healed after the code
 * changed on purpose, by edits of the test files only; changed expected
 * values held for approval (SPEC C12, issue 17). The loop is gen/heal.h.
 */
#include "cli/cli.h"
#include "cli/llm_options.h"
#include "cli/options.h"
#include "gen/heal.h"
#include "llm/llm.h"
#include "project/project.h"
#include "runner/pytest.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char heal_usage[] =
	"pytest-fixer heal [PATH...] [--accept-behaviour] [--dry-run] [--json] [--pytest CMD] [-k EXPR]\n"
	"                  [--engine auto|builtin|llm] [--provider NAME --model NAME --base-url URL ...]\n"
	"\n"
	"Failing tests healed after the code changed on purpose, by edits of the failing tests' own\n"
	"files. --engine auto (the default): the heal templates, then the model for what they leave\n"
	"when a provider is given (--provider, --base-url, OPENAI_API_KEY or ANTHROPIC_API_KEY);\n"
	"builtin: the templates only, never a model; llm: the model only, for every failing test.\n"
	"The model's edits pass the templates' gates: the failing test's file only, never weakened,\n"
	"the test must pass; a new expected value is held unless --accept-behaviour.";

/* PATH (a file, a directory or a node id, from the current directory) relative to the project's root */
static int project_path(struct buf *out, const char *root, const char *arg)
{
	const char *sep = strstr(arg, "::");
	char *file = sep ? strndup(arg, (size_t)(sep - arg)) : strdup(arg), *rel = NULL;
	struct buf real = BUF_INIT;
	int err = 0;

	if (!file || fs_realpath(&real, *file ? file : ".") < 0)
		err = error_setc(ERR_USAGE, "no such test path '%s'", arg);
	else if (!(rel = fs_relative_to(real.ptr, root)))
		err = error_setc(ERR_USAGE, "'%s' is not inside the project '%s'", arg, root);
	else
		buf_addf(out, "%s%s", *rel ? rel : ".", sep ? sep : "");
	free(file);
	free(rel);
	buf_release(&real);
	return err;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *result_json(const struct gen_heal_result *r, int dry_run, const char *engine)
{
	json_t *changes = json_array(), *left = json_array(), *written = json_array(), *states = json_array();
	json_t *exchanges = json_array();
	size_t i, k, healed = 0, held = 0;

	for (i = 0; i < r->nchanges; i++) {
		const struct gen_heal_change *ch = &r->changes[i];
		json_t *ids = json_array(), *o;
		for (k = 0; k < ch->healed.nr; k++)
			json_array_append_new(ids, json_string(ch->healed.v[k]));
		o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:s, s:s, s:s, s:s, s:f, s:s, s:s, s:b, s:b, s:o}",
			      "file", ch->file, "target", ch->target, "engine", ch->engine,
			      "error_type", str_or_null(ch->error_type),
			      "message", str_or_null(ch->message), "category", gen_heal_category_name(ch->category),
			      "template", ch->template_name, "mode", edit_mode_name(ch->mode), "scope", ch->scope,
			      "uniqueness", ch->uniqueness, "reason", ch->reason, "diff", ch->diff,
			      "behaviour", ch->behaviour, "held", ch->held, "healed", ids);
		if (ch->behaviour)
			json_object_set_new(o, "expected", json_pack("{s:o, s:o}", "old", str_or_null(ch->old_value),
								      "new", str_or_null(ch->new_value)));
		json_array_append_new(changes, o);
		held += ch->held;
		healed += !ch->held;
	}
	for (i = 0; i < r->nleft; i++) {
		const struct gen_heal_left *l = &r->left[i];
		json_array_append_new(left, json_pack("{s:s, s:o, s:o, s:o, s:s, s:s, s:b}", "id", l->id,
						      "file", str_or_null(l->file),
						      "error_type", str_or_null(l->error_type),
						      "message", str_or_null(l->message),
						      "category", gen_heal_category_name(l->category),
						      "reason", l->reason, "held", l->held));
	}
	for (i = 0; i < r->nexchanges; i++) {
		const struct gen_heal_exchange *x = &r->exchanges[i];
		json_array_append_new(exchanges, json_pack("{s:s, s:i, s:f, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:f}",
							   "target", x->target, "attempt", x->attempt,
							   "temperature", x->temperature,
							   "provider", str_or_null(x->provider),
							   "model", str_or_null(x->model),
							   "system", str_or_null(x->system),
							   "prompt", str_or_null(x->prompt),
							   "reply", str_or_null(x->reply),
							   "outcome", str_or_null(x->outcome),
							   "prompt_tokens", (json_int_t)x->prompt_tokens,
							   "completion_tokens", (json_int_t)x->completion_tokens,
							   "latency", x->latency));
	}
	for (i = 0; i < r->written.nr; i++)
		json_array_append_new(written, json_string(r->written.v[i]));
	for (i = 0; i < r->states.nr; i++)
		json_array_append_new(states, json_string(r->states.v[i]));
	return json_pack("{s:b, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:o, s:o, s:o, s:o, s:{s:I, s:I, s:o}}",
			 "dry_run", dry_run, "engine", engine,
			 "total", (json_int_t)r->total, "failing_before", (json_int_t)r->failing_before,
			 "healed", (json_int_t)healed, "held", (json_int_t)held, "left", (json_int_t)r->nleft,
			 "attempts", (json_int_t)r->attempts, "seconds", r->seconds, "changes", changes,
			 "failures", left, "written", written, "states", states, "llm",
			 "prompt_tokens", (json_int_t)r->prompt_tokens, "completion_tokens",
			 (json_int_t)r->completion_tokens, "exchanges", exchanges);
}

static void print_error_line(const char *type, const char *message)
{
	const char *m = message ? message : "";
	printf("%s%s%.*s\n", type ? type : "error", *m ? ": " : "", (int)strcspn(m, "\n"), m);
}

static void print_text(const struct gen_heal_result *r, int dry_run)
{
	size_t i, healed = 0, held = 0, tests = 0, left_held = 0;

	for (i = 0; i < r->nchanges; i++) {
		const struct gen_heal_change *ch = &r->changes[i];
		const char *what = ch->held ? "held" : ch->behaviour ? "accepted" : "healed";
		printf("%-8s %s: ", what, ch->target);
		print_error_line(ch->error_type, ch->message);
		if (ch->held)
			printf("         the code's behaviour changed: expected %s, now %s\n"
			       "         not applied: run again with --accept-behaviour to take it\n",
			       ch->old_value, ch->new_value);
		else if (!strchr(ch->target, ':') && !ch->healed.nr)
			printf("         %s [%s, %s]; the file collects again\n", ch->reason, ch->template_name,
			       edit_mode_name(ch->mode));
		else
			printf("         %s [%s, %s]; %zu test%s pass%s again\n", ch->reason, ch->template_name,
			       edit_mode_name(ch->mode), ch->healed.nr, ch->healed.nr == 1 ? "" : "s",
			       ch->healed.nr == 1 ? "es" : "");
		fputs(ch->diff, stdout);
		if (ch->diff[0] && ch->diff[strlen(ch->diff) - 1] != '\n')
			putchar('\n');
		putchar('\n');
		held += ch->held;
		healed += !ch->held;
		tests += ch->held ? 0 : ch->healed.nr;
	}
	for (i = 0; i < r->nleft; i++) {
		const struct gen_heal_left *l = &r->left[i];
		left_held += l->held;
		if (l->held)
			continue;
		printf("%-8s %s: ", "failing", l->id);
		print_error_line(l->error_type, l->message);
		printf("         %s\n", l->reason);
	}
	if (r->nexchanges)
		printf("%smodel: %zu question%s, %ld prompt and %ld reply tokens\n", r->nleft > left_held ? "\n" : "",
		       r->nexchanges, r->nexchanges == 1 ? "" : "s", r->prompt_tokens, r->completion_tokens);
	printf("%sheal: %zu change%s (%zu test%s pass%s again), %zu held for approval, %zu still failing",
	       r->nleft > left_held ? "\n" : "", healed, healed == 1 ? "" : "s", tests, tests == 1 ? "" : "s",
	       tests == 1 ? "es" : "", held, r->nleft - left_held);
	if (dry_run)
		printf("; dry run: nothing written\n");
	else if (r->written.nr) {
		printf("; wrote");
		for (i = 0; i < r->written.nr; i++)
			printf("%s %s", i ? "," : "", r->written.v[i]);
		putchar('\n');
	} else {
		putchar('\n');
	}
}

int cmd_heal(int argc, const char **argv, struct project *p)
{
	struct parsed_args pa = PARSED_ARGS_INIT;
	struct gen_heal_options ho = GEN_HEAL_OPTIONS_INIT;
	struct gen_heal_result r;
	struct strvec paths = STRVEC_INIT;
	const char *keyword = NULL, *pytest_cmd = NULL, *engine = "auto";
	struct llm_options lo = LLM_OPTIONS_INIT;
	struct llm_provider *provider = NULL, *fallback = NULL;
	double timeout = PYTEST_DEFAULT_TEST_TIMEOUT, max_tokens = 0;
	double initial_temp = ho.initial_temp, temp_increment = ho.temp_increment;
	int max_retries = ho.max_retries;
	int json = 0, dry_run = 0, accept = 0, code = EXIT_OK, err;
	size_t i;
	struct option opts[] = {
		{ OPT_FLAG, "accept-behaviour", 0, &accept, NULL,
		  "also apply changed expected values (a change of behaviour; held otherwise)" },
		{ OPT_FLAG, "dry-run", 0, &dry_run, NULL, "show what would change, write nothing" },
		{ OPT_FLAG, "json", 0, &json, NULL, "print the result as JSON" },
		{ OPT_STRING, "pytest", 0, &pytest_cmd, "CMD",
		  "the pytest command, e.g. '/usr/bin/python3 -m pytest' (or PYTEST_FIXER_PYTEST)" },
		{ OPT_STRING, NULL, 'k', &keyword, "EXPR", "only tests matching the expression (pytest -k)" },
		{ OPT_DOUBLE, "timeout", 0, &timeout, "SECONDS", "per-test time limit (default 120)" },
		{ OPT_STRING, "engine", 0, &engine, "NAME",
		  "auto (the templates, then the model if one is configured), builtin (templates only) "
		  "or llm (the model only)" },
		{ OPT_INT, "max-retries", 0, &max_retries, "N", "questions to the model per failing test (default 3)" },
		{ OPT_DOUBLE, "initial-temp", 0, &initial_temp, "T", "the model's temperature at the first question (0.4)" },
		{ OPT_DOUBLE, "temp-increment", 0, &temp_increment, "D", "added at each retry (0.1)" },
		LLM_OPTION_ROWS(lo, max_tokens),
		OPT_END_ENTRY,
	};

	memset(&r, 0, sizeof(r));
	if (cli_parse_options(&pa, opts, argc, argv, heal_usage, &code))
		goto done;
	/* first, so that no message quotes a secret */
	if ((err = llm_options_check(&lo, max_tokens)) < 0) {
		code = cli_exit_for_error(err);
		goto done;
	}
	if (!strcmp(engine, "auto"))
		ho.engine = GEN_HEAL_ENGINE_AUTO;
	else if (!strcmp(engine, "builtin"))
		ho.engine = GEN_HEAL_ENGINE_BUILTIN;
	else if (!strcmp(engine, "llm"))
		ho.engine = GEN_HEAL_ENGINE_LLM;
	else {
		code = cli_exit_for_error(error_setc(ERR_USAGE, "unknown engine '%s' (auto, builtin, llm)", engine));
		goto done;
	}
	if (max_retries < 0 || !(initial_temp >= 0 && initial_temp <= 2) || !(temp_increment >= 0 && temp_increment <= 2)) {
		code = cli_exit_for_error(error_setc(ERR_USAGE, "--max-retries must not be negative, "
						     "--initial-temp and --temp-increment in [0, 2]"));
		goto done;
	}
	if (ho.engine == GEN_HEAL_ENGINE_LLM && !llm_options_provider(&lo)) {
		code = cli_exit_for_error(error_setc(ERR_USAGE, "--engine llm needs a provider: give --provider, "
						     "--base-url or set OPENAI_API_KEY / ANTHROPIC_API_KEY"));
		goto done;
	}
	if (ho.engine != GEN_HEAL_ENGINE_BUILTIN &&
	    ((err = llm_options_open(&provider, &lo)) < 0 || (err = llm_options_open_fallback(&fallback, &lo)) < 0)) {
		code = cli_exit_for_error(err);
		goto done;
	}
	if (pa.rest.nr) {
		code = cli_exit_for_error(error_setc(ERR_USAGE, "heal takes no pytest arguments after '--'"));
		goto done;
	}
	if (!(timeout > 0 && timeout <= 1e6)) {
		code = cli_exit_for_error(error_setc(ERR_USAGE, "--timeout must be in (0, 1000000] seconds"));
		goto done;
	}
	for (i = 0; i < pa.positional.nr; i++) {
		struct buf rel = BUF_INIT;
		if ((err = project_path(&rel, p->root, pa.positional.v[i])) < 0) {
			buf_release(&rel);
			code = cli_exit_for_error(err);
			goto done;
		}
		strvec_push(&paths, rel.ptr);
		buf_release(&rel);
	}
	ho.project = p;
	ho.paths = &paths;
	ho.keyword = keyword;
	ho.pytest_cmd = pytest_cmd;
	ho.test_timeout = timeout;
	ho.accept_behaviour = accept;
	ho.dry_run = dry_run;
	ho.provider = provider;
	ho.fallback = fallback;
	ho.max_retries = max_retries;
	ho.initial_temp = initial_temp;
	ho.temp_increment = temp_increment;
	ho.max_tokens = lo.max_tokens;
	if ((err = gen_heal(&r, &ho)) < 0) {
		code = cli_exit_for_error(err);
		goto done;
	}
	if (json) {
		json_t *obj = result_json(&r, dry_run, engine);
		cli_print_json(obj);
		json_decref(obj);
	} else {
		print_text(&r, dry_run);
	}
	if (!r.total && !r.failing_before) {
		fprintf(stderr, "pytest-fixer: no tests ran: pytest collected 0 items to run\n");
		code = EXIT_NO_TESTS;
	} else {
		code = r.nleft ? EXIT_FAILURES : EXIT_OK;
	}
done:
	fflush(stdout);
	gen_heal_result_release(&r);
	llm_provider_free(provider);
	llm_provider_free(fallback);
	strvec_clear(&paths);
	parsed_args_release(&pa);
	return code;
}
