/*
 * What the commands share (declared in cli/cli.h): turning an error into an
 * exit code, option parsing with --help, printing a report or JSON, and
 * --pass-env. Apart from cli.c, whose table calls the commands, so that no
 * two files of cli/ call each other.
 */
#include "cli/cli.h"

#include "cli/options.h"
#include "util/error.h"
#include "util/secret.h"
#include "util/strvec.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

int cli_exit_for_error(int err)
{
	const char *msg = error_last();
	if (err == ERR_INTERRUPTED) {
		fprintf(stderr, "pytest-fixer: interrupted\n");
		return EXIT_INTERRUPTED;
	}
	fprintf(stderr, "pytest-fixer: error: %s\n", *msg ? msg : "unknown error");
	if (err == ERR_USAGE)
		return EXIT_USAGE;
	return EXIT_RUN;
}

int cli_parse_options(struct parsed_args *pa, const struct option *opts, int argc,
		      const char **argv, const char *usage, int *code)
{
	int err = options_parse(pa, opts, argc - 1, argv + 1);

	if (err < 0) {
		*code = cli_exit_for_error(err);
		return 1;
	}
	if (pa->help) {
		options_usage(usage, opts);
		*code = EXIT_OK;
		return 1;
	}
	return 0;
}

int cli_print_report(const struct strvec *report, int err)
{
	size_t i;

	for (i = 0; i < report->nr; i++)
		printf("%s\n", report->v[i]);
	return err < 0 ? cli_exit_for_error(err) : EXIT_OK;
}

void cli_print_json(const json_t *obj)
{
	char *text = json_dumps(obj, JSON_INDENT(2));
	char *clean = secret_redacted(text ? text : "null");

	fputs(clean, stdout);
	fputc('\n', stdout);
	free(clean);
	free(text);
}

void cli_pass_env(const struct strvec *names)
{
	size_t i;

	for (i = 0; i < names->nr; i++)
		secret_pass_env(names->v[i]);
}
