/* The command-line option parser (src/cli/options.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "cli/options.h"
#include "util/error.h"

#include <string.h>

struct values {
	int flag;
	const char *str;
	int num;
	double real;
	struct strvec list;
};

static int parse(struct values *v, struct parsed_args *pa, int argc, const char *const *argv)
{
	struct option opts[] = {
		{ OPT_FLAG, "json", 0, &v->flag, NULL, "" },
		{ OPT_STRING, NULL, 'k', &v->str, "EXPR", "" },
		{ OPT_INT, "max-retries", 0, &v->num, "N", "" },
		{ OPT_DOUBLE, "timeout", 't', &v->real, "S", "" },
		{ OPT_LIST, "spec", 0, &v->list, "F", "" },
		OPT_END_ENTRY,
	};
	memset(v, 0, sizeof(*v));
	strvec_init(&v->list);
	return options_parse(pa, opts, argc, argv);
}

static void options__long_short_attached_and_positional(void **state)
{
	const char *argv[] = { "a.py", "--json", "-k", "not slow", "--max-retries=5", "-t2.5",
			       "--spec", "x", "--spec=y", "b.py", "--", "-x", "--json" };
	struct parsed_args pa = PARSED_ARGS_INIT;
	struct values v;
	(void)state;
	assert_int_equal(parse(&v, &pa, 13, argv), 0);
	assert_int_equal(v.flag, 1);
	assert_string_equal(v.str, "not slow");
	assert_int_equal(v.num, 5);
	assert_true(v.real > 2.49 && v.real < 2.51);
	assert_int_equal(v.list.nr, 2);
	assert_string_equal(v.list.v[1], "y");
	assert_int_equal(pa.positional.nr, 2);
	assert_string_equal(pa.positional.v[1], "b.py");
	assert_int_equal(pa.rest.nr, 2);
	assert_string_equal(pa.rest.v[1], "--json");
	strvec_clear(&v.list);
	parsed_args_release(&pa);
}

static void options__errors_name_the_option(void **state)
{
	static const struct {
		int argc;
		const char *argv[3];
		const char *msg;
	} cases[] = {
		{ 1, { "--nope" }, "unknown option '--nope'" },
		{ 1, { "-z" }, "unknown option '-z'" },
		{ 1, { "--max-retries" }, "option '--max-retries' needs a value" },
		{ 1, { "--max-retries=three" }, "needs a whole number, not 'three'" },
		{ 1, { "--max-retries=99999999999" }, "needs a whole number" },
		{ 2, { "--timeout", "nan" }, "needs a number, not 'nan'" },
		{ 1, { "--json=yes" }, "takes no value" },
	};
	size_t i;
	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct parsed_args pa = PARSED_ARGS_INIT;
		struct values v;
		assert_int_equal(parse(&v, &pa, cases[i].argc, cases[i].argv), ERR_USAGE);
		assert_non_null(strstr(error_last(), cases[i].msg));
		strvec_clear(&v.list);
		parsed_args_release(&pa);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(options__long_short_attached_and_positional),
		cmocka_unit_test(options__errors_name_the_option),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
