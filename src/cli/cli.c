#include "cli/cli.h"

#include "cli/options.h"
#include "project/project.h"
#include "util/error.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/sig.h"
#include "util/strvec.h"
#include "util/xalloc.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const struct cmd_entry commands[] = {
	{ "scan", cmd_scan, "run the tests and list the failures, changing nothing", CMD_NEEDS_PROJECT },
	{ "fix", cmd_fix, "find the failures, fix them, leave each verified fix on a branch", CMD_NEEDS_PROJECT },
	{ "sessions", cmd_sessions, "list the fix sessions of this project", CMD_NEEDS_PROJECT },
	{ "show", cmd_show, "show a session: its failures and attempts", CMD_NEEDS_PROJECT },
	{ "resume", cmd_fix, "continue an interrupted session", CMD_NEEDS_PROJECT },
	{ "report", cmd_show, "print a session's Markdown report", CMD_NEEDS_PROJECT },
	{ "cleanup", cmd_cleanup, "remove work directories and leftovers of sessions", CMD_NEEDS_PROJECT },
	{ "reproduce", cmd_reproduce, "reproduce a CI failure from info.json, fix it, open a draft PR", CMD_NEEDS_PROJECT },
	{ "serve", cmd_serve, "the service: fix failed GitHub checks as they come (webhooks or polling)", 0 },
	{ "jobs", cmd_jobs, "the service's jobs by hand: list, show, retry, discard", 0 },
	{ "stats", cmd_stats, "what the knowledge base learned: attempts and successes", CMD_NEEDS_PROJECT },
	{ "generate", cmd_generate, "write tests for a module, keeping only trustworthy ones", CMD_NEEDS_PROJECT },
	{ "heal", cmd_heal, "heal failing tests after the code changed on purpose (test files only)", CMD_NEEDS_PROJECT },
};

static void usage(FILE *to)
{
	size_t i;
	fprintf(to, "usage: pytest-fixer [-C DIR] [-v | -q] <command> [<args>]\n\n"
		    "commands:\n");
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(to, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(to, "\n'pytest-fixer <command> --help' describes a command's options.\n"
		    "exit codes: 0 nothing failing, 1 failures remain, 2 bad usage or input,\n"
		    "3 the tests could not be run or read, 130 interrupted\n");
}

/* `-h`/`--help` among the command's arguments: it prints its usage and needs no project */
static int asks_help(int argc, const char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return 1;
	return 0;
}

/* run the command, with its project when it needs one (as git.c's RUN_SETUP, not for help) */
static int run_command(const struct cmd_entry *cmd, int argc, const char **argv)
{
	struct project *p = NULL;
	int err, code;

	if ((cmd->flags & CMD_NEEDS_PROJECT) && !asks_help(argc, argv) &&
	    (err = project_open(&p, ".")) < 0)
		return cli_exit_for_error(err);
	code = cmd->fn(argc, argv, p);
	project_free(p);
	return code;
}

int cli_main(int argc, const char **argv)
{
	int i = 1;
	size_t c;

	log_init_from_env();
	sig_install();
	/* the keys in our environment are secrets from here on, and hidden from children */
	secret_add_env();
	while (i < argc && argv[i][0] == '-') {
		const char *a = argv[i];
		if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			log_set_level(log_current_level < LOG_INFO ? LOG_INFO : LOG_DEBUG);
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			log_set_level(LOG_ERROR);
		} else if (!strcmp(a, "--version")) {
			printf("pytest-fixer %s\n", PF_VERSION);
			return EXIT_OK;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return EXIT_OK;
		} else if (!strcmp(a, "-C")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "pytest-fixer: error: option '-C' needs a directory\n");
				return EXIT_USAGE;
			}
			if (chdir(argv[++i]) < 0) {
				fprintf(stderr, "pytest-fixer: error: cannot change to '%s': %s\n",
					argv[i], strerror(errno));
				return EXIT_USAGE;
			}
		} else {
			fprintf(stderr, "pytest-fixer: error: unknown option '%s'\n", a);
			usage(stderr);
			return EXIT_USAGE;
		}
		i++;
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (c = 0; c < ARRAY_SIZE(commands); c++)
		if (!strcmp(commands[c].name, argv[i]))
			return run_command(&commands[c], argc - i, argv + i);
	fprintf(stderr, "pytest-fixer: error: unknown command '%s'\n", argv[i]);
	usage(stderr);
	return EXIT_USAGE;
}
