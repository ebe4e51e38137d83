#include "cli/options.h"

#include "util/error.h"

#include <errno.h>
#include <math.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct option *find_long(const struct option *opts, const char *name, size_t len)
{
	for (; opts->type != OPT_END; opts++)
		if (opts->long_name && strlen(opts->long_name) == len &&
		    !strncmp(opts->long_name, name, len))
			return opts;
	return NULL;
}

static const struct option *find_short(const struct option *opts, char c)
{
	for (; opts->type != OPT_END; opts++)
		if (opts->short_name && opts->short_name == c)
			return opts;
	return NULL;
}

static void opt_name(char *out, size_t size, const struct option *o)
{
	if (o->long_name)
		snprintf(out, size, "--%s", o->long_name);
	else
		snprintf(out, size, "-%c", o->short_name);
}

static int set_value(const struct option *o, const char *arg)
{
	char name[64];
	char *end;

	opt_name(name, sizeof(name), o);
	switch (o->type) {
	case OPT_STRING:
		*(const char **)o->value = arg;
		return 0;
	case OPT_LIST:
		strvec_push(o->value, arg);
		return 0;
	case OPT_INT: {
		long v;
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno || end == arg || *end || v < INT_MIN || v > INT_MAX)
			return error_setc(ERR_USAGE, "option '%s' needs a whole number, not '%s'", name, arg);
		*(int *)o->value = (int)v;
		return 0;
	}
	case OPT_DOUBLE: {
		double v;
		errno = 0;
		v = strtod(arg, &end);
		if (errno || end == arg || *end || !isfinite(v))
			return error_setc(ERR_USAGE, "option '%s' needs a number, not '%s'", name, arg);
		*(double *)o->value = v;
		return 0;
	}
	default:
		return error_setc(ERR_USAGE, "option '%s' takes no value", name);
	}
}

int options_parse(struct parsed_args *out, const struct option *opts, int argc, const char *const *argv)
{
	int i;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i];
		const struct option *o;
		const char *val = NULL;

		if (!strcmp(a, "--")) {
			for (i++; i < argc; i++)
				strvec_push(&out->rest, argv[i]);
			break;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			out->help = 1;
			continue;
		}
		if (!strncmp(a, "--", 2)) {
			const char *eq = strchr(a + 2, '=');
			size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
			o = find_long(opts, a + 2, len);
			if (!o)
				return error_setc(ERR_USAGE, "unknown option '%.*s'", (int)len + 2, a);
			if (eq)
				val = eq + 1;
		} else if (a[0] == '-' && a[1]) {
			o = find_short(opts, a[1]);
			if (!o)
				return error_setc(ERR_USAGE, "unknown option '-%c'", a[1]);
			if (a[2]) {
				if (o->type == OPT_FLAG)
					return error_setc(ERR_USAGE, "option '-%c' takes no value", a[1]);
				val = a + 2;
			}
		} else {
			strvec_push(&out->positional, a);
			continue;
		}

		if (o->type == OPT_FLAG) {
			if (val)
				return error_setc(ERR_USAGE, "option '--%s' takes no value", o->long_name);
			*(int *)o->value = 1;
			continue;
		}
		if (!val) {
			if (i + 1 >= argc) {
				char name[64];
				opt_name(name, sizeof(name), o);
				return error_setc(ERR_USAGE, "option '%s' needs a value", name);
			}
			val = argv[++i];
		}
		if (set_value(o, val) < 0)
			return ERR_USAGE;
	}
	return 0;
}

void parsed_args_release(struct parsed_args *pa)
{
	strvec_clear(&pa->positional);
	strvec_clear(&pa->rest);
}

void options_usage(const char *usage, const struct option *opts)
{
	printf("usage: %s\n\n", usage);
	for (; opts->type != OPT_END; opts++) {
		char left[80];
		int n = 0;
		if (!opts->help)        /* internal: not shown */
			continue;
		if (opts->short_name && opts->long_name)
			n = snprintf(left, sizeof(left), "-%c, --%s", opts->short_name, opts->long_name);
		else if (opts->long_name)
			n = snprintf(left, sizeof(left), "    --%s", opts->long_name);
		else
			n = snprintf(left, sizeof(left), "-%c", opts->short_name);
		if (opts->arg_help && n > 0 && (size_t)n < sizeof(left))
			snprintf(left + n, sizeof(left) - (size_t)n, " %s", opts->arg_help);
		printf("  %-28s %s\n", left, opts->help);
	}
}
