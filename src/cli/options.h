#ifndef CLI_OPTIONS_H
#define CLI_OPTIONS_H

#include "util/strvec.h"

/*
 * A small table-driven option parser: --name VALUE, --name=VALUE, -x VALUE,
 * -xVALUE, flags, repeatable options, positional arguments, and "--" after
 * which every word goes to `rest`. Errors are usage errors (ERR_USAGE) that
 * name the option.
 */
enum opt_type {
	OPT_FLAG,     /* int *: set to 1 */
	OPT_STRING,   /* const char **: the last one wins */
	OPT_LIST,     /* struct strvec *: each occurrence appended */
	OPT_INT,      /* int * */
	OPT_DOUBLE,   /* double * */
	OPT_END,
};

struct option {
	enum opt_type type;
	const char *long_name;  /* without "--" */
	char short_name;        /* 0: none */
	void *value;
	const char *arg_help;   /* "EXPR" */
	const char *help;       /* NULL: an internal option, left out of the usage */
};

#define OPT_END_ENTRY { OPT_END, NULL, 0, NULL, NULL, NULL }

struct parsed_args {
	struct strvec positional;
	struct strvec rest;     /* after "--" */
	int help;
};
#define PARSED_ARGS_INIT { STRVEC_INIT, STRVEC_INIT, 0 }

int options_parse(struct parsed_args *out, const struct option *opts, int argc, const char *const *argv);
void parsed_args_release(struct parsed_args *pa);
void options_usage(const char *usage, const struct option *opts);

#endif
