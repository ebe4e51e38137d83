#ifndef CLI_CLI_H
#define CLI_CLI_H

/*
 * The command line: one cmd_<name>.c per subcommand behind one table. Only
 * this layer turns errors into exit codes (documented in the README).
 */
enum exit_code {
	EXIT_OK = 0,            /* nothing left failing */
	EXIT_FAILURES = 1,      /* failures remain */
	EXIT_USAGE = 2,         /* bad usage or bad input */
	EXIT_RUN = 3,           /* the tests could not be run or read */
	EXIT_NO_TESTS = 5,      /* no tests ran (pytest's own code for it) */
	EXIT_INTERRUPTED = 130, /* interrupted, after restoring state */
};

struct project;
/* cmd_entry.flags */
enum cmd_flags {
	/* cli_main opens the project of the current directory (after -C) and passes it (git's RUN_SETUP) */
	CMD_NEEDS_PROJECT = 1,
};

struct cmd_entry {
	const char *name;
	/*
	 * argv[0] is the command's name (one function may serve two, as
	 * git's); `p`: the project with CMD_NEEDS_PROJECT, else NULL (owned by
	 * cli_main)
	 */
	int (*fn)(int argc, const char **argv, struct project *p);
	const char *summary;
	unsigned flags;
};

int cli_main(int argc, const char **argv);

struct strvec;
struct json_t;
/* print `obj` to stdout, indented, with every secret redacted (--json never shows one) */
void cli_print_json(const struct json_t *obj);
/*
 * --pass-env NAME (fix, scan, reproduce): an option row filling a struct
 * strvec, and cli_pass_env() to let children see those variables though
 * they hold a secret (util/secret.h hides them otherwise).
 */
#define CLI_PASS_ENV_OPTION(list) \
	{ OPT_LIST, "pass-env", 0, &(list), "NAME", \
	  "let the tests see this variable though it holds a secret (repeatable)" }
void cli_pass_env(const struct strvec *names);

/* map an error code from below to an exit code, printing the last error */
int cli_exit_for_error(int err);

/*
 * Parse a command's options (cli/options.h, those after argv[0]) into `pa`. 1 when the command
 * is over: --help was given (its usage printed, *code EXIT_OK) or the
 * options are wrong (the error printed, *code its exit code); 0 to go on.
 */
struct parsed_args;
struct option;
int cli_parse_options(struct parsed_args *pa, const struct option *opts, int argc,
		      const char **argv, const char *usage, int *code);

/* print the lines of `report`, then the exit code of `err` (0: EXIT_OK) */
int cli_print_report(const struct strvec *report, int err);

int cmd_scan(int argc, const char **argv, struct project *p);
int cmd_fix(int argc, const char **argv, struct project *p);      /* and resume */
int cmd_sessions(int argc, const char **argv, struct project *p);
int cmd_show(int argc, const char **argv, struct project *p);     /* and report */
int cmd_cleanup(int argc, const char **argv, struct project *p);
int cmd_stats(int argc, const char **argv, struct project *p);
int cmd_reproduce(int argc, const char **argv, struct project *p);
int cmd_serve(int argc, const char **argv, struct project *p);
int cmd_jobs(int argc, const char **argv, struct project *p);
int cmd_generate(int argc, const char **argv, struct project *p);
int cmd_heal(int argc, const char **argv, struct project *p);

#endif
