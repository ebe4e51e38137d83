/*
 * `pytest-fixer stats`: what the knowledge base (SPEC C11) learned, per
 * error category and edit mode, then per engine and template.
 */
#include "cli/cli.h"
#include "cli/options.h"
#include "project/project.h"
#include "store/store.h"
#include "util/error.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static const char stats_usage[] = "pytest-fixer stats [--json]";

/* what a NULL in a row means, in the table */
#define UNKNOWN_CATEGORY "(unknown)"
#define NO_METHOD "-"

static double rate(size_t successes, size_t attempts)
{
	return attempts ? (double)successes / (double)attempts : 0.0;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *stat_json(const struct kb_stat *st, int detailed)
{
	json_t *o = json_pack("{s:o, s:o}", "error_category", str_or_null(st->error_category),
			      "method", str_or_null(st->method));
	if (detailed) {
		json_object_set_new(o, "engine", str_or_null(st->engine));
		json_object_set_new(o, "template", str_or_null(st->template_name));
	}
	json_object_set_new(o, "attempts", json_integer((json_int_t)st->attempts));
	json_object_set_new(o, "successes", json_integer((json_int_t)st->successes));
	json_object_set_new(o, "success_rate", json_real(rate(st->successes, st->attempts)));
	return o;
}

static void print_json(const struct kb_stat *by_cat, size_t nr_cat, const struct kb_stat *by_tmpl,
		       size_t nr_tmpl, size_t attempts, size_t successes)
{
	json_t *cats = json_array(), *tmpls = json_array(), *obj;
	size_t i;

	for (i = 0; i < nr_cat; i++)
		json_array_append_new(cats, stat_json(&by_cat[i], 0));
	for (i = 0; i < nr_tmpl; i++)
		json_array_append_new(tmpls, stat_json(&by_tmpl[i], 1));
	obj = json_pack("{s:I, s:I, s:f, s:o, s:o}", "attempts", (json_int_t)attempts,
			"successes", (json_int_t)successes, "success_rate", rate(successes, attempts),
			"by_category", cats, "by_template", tmpls);
	cli_print_json(obj);
	json_decref(obj);
}

static const char *or_dash(const char *s)
{
	return s ? s : NO_METHOD;
}

static int max_width(int w, const char *s)
{
	int n = (int)strlen(s);
	return n > w ? n : w;
}

/* one table; `detailed` adds the engine and template columns */
static void print_table(const char *title, const struct kb_stat *st, size_t nr, int detailed)
{
	int wc = (int)strlen("ERROR"), wm = (int)strlen("MODE");
	int we = (int)strlen("ENGINE"), wt = (int)strlen("TEMPLATE");
	size_t i;

	for (i = 0; i < nr; i++) {
		wc = max_width(wc, st[i].error_category ? st[i].error_category : UNKNOWN_CATEGORY);
		wm = max_width(wm, or_dash(st[i].method));
		if (detailed) {
			we = max_width(we, or_dash(st[i].engine));
			wt = max_width(wt, or_dash(st[i].template_name));
		}
	}
	printf("%s\n", title);
	printf("  %-*s  %-*s  ", wc, "ERROR", wm, "MODE");
	if (detailed)
		printf("%-*s  %-*s  ", we, "ENGINE", wt, "TEMPLATE");
	printf("%8s  %9s  %6s\n", "ATTEMPTS", "SUCCESSES", "RATE");
	for (i = 0; i < nr; i++) {
		printf("  %-*s  %-*s  ", wc,
		       st[i].error_category ? st[i].error_category : UNKNOWN_CATEGORY,
		       wm, or_dash(st[i].method));
		if (detailed)
			printf("%-*s  %-*s  ", we, or_dash(st[i].engine), wt,
			       or_dash(st[i].template_name));
		printf("%8zu  %9zu  %5.1f%%\n", st[i].attempts, st[i].successes,
		       100.0 * rate(st[i].successes, st[i].attempts));
	}
}

int cmd_stats(int argc, const char **argv, struct project *p)
{
	struct parsed_args pa = PARSED_ARGS_INIT;
	struct store *st = NULL;
	struct kb_stat *by_cat = NULL, *by_tmpl = NULL;
	size_t nr_cat = 0, nr_tmpl = 0, attempts = 0, successes = 0, i;
	int json = 0, code = EXIT_OK, err;
	struct option opts[] = {
		{ OPT_FLAG, "json", 0, &json, NULL, "print JSON" },
		OPT_END_ENTRY,
	};

	if (cli_parse_options(&pa, opts, argc, argv, stats_usage, &code))
		goto done;
	if (pa.positional.nr) {
		code = cli_exit_for_error(error_setc(ERR_USAGE, "stats takes no arguments: '%s'",
						     pa.positional.v[0]));
		goto done;
	}
	/* no database yet: nothing was recorded, which is not an error */
	err = project_store(&st, p, 0);
	if (err < 0 && err != ERR_NOTFOUND) {
		code = cli_exit_for_error(err);
		goto done;
	}
	if (st && ((err = store_kb_stats(&by_cat, &nr_cat, st)) < 0 ||
		   (err = store_kb_stats_by_template(&by_tmpl, &nr_tmpl, st)) < 0)) {
		code = cli_exit_for_error(err);
		goto done;
	}
	for (i = 0; i < nr_cat; i++) {
		attempts += by_cat[i].attempts;
		successes += by_cat[i].successes;
	}
	if (json) {
		print_json(by_cat, nr_cat, by_tmpl, nr_tmpl, attempts, successes);
	} else if (!attempts) {
		printf("no attempts recorded yet\n");
	} else {
		print_table("by error and edit mode:", by_cat, nr_cat, 0);
		printf("\n");
		print_table("by engine and template:", by_tmpl, nr_tmpl, 1);
		printf("\n%zu attempt%s, %zu succeeded (%.1f%%)\n", attempts,
		       attempts == 1 ? "" : "s", successes, 100.0 * rate(successes, attempts));
	}
done:
	kb_stats_free(by_cat, nr_cat);
	kb_stats_free(by_tmpl, nr_tmpl);
	parsed_args_release(&pa);
	return code;
}
