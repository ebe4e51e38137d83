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

struct cmd_entry {
	const char *name;
	int (*fn)(int argc, const char **argv);
	const char *summary;
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

int cmd_scan(int argc, const char **argv);
int cmd_fix(int argc, const char **argv);
int cmd_resume(int argc, const char **argv);
int cmd_sessions(int argc, const char **argv);
int cmd_show(int argc, const char **argv);
int cmd_report(int argc, const char **argv);
int cmd_cleanup(int argc, const char **argv);
int cmd_stats(int argc, const char **argv);
int cmd_reproduce(int argc, const char **argv);

#endif
