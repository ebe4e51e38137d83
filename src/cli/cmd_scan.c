#include "cli/cli.h"
#include "cli/options.h"
#include "cli/render.h"
#include "project/project.h"
#include "runner/generic.h"
#include "runner/pytest.h"
#include "runner/result_json.h"
#include "util/error.h"

#include <jansson.h>
#include <stdio.h>

static const char scan_usage[] =
	"pytest-fixer scan [PATH...] [-k EXPR] [--json] [options] [-- PYTEST-ARGS]";

int cmd_scan(int argc, const char **argv, struct project *p)
{
	struct test_result res = TEST_RESULT_INIT;
	struct parsed_args pa = PARSED_ARGS_INIT;
	struct strvec pass_env = STRVEC_INIT;
	const char *keyword = NULL, *pytest_cmd = NULL, *test_cmd = NULL, *junit = NULL;
	double timeout = PYTEST_DEFAULT_TEST_TIMEOUT, run_timeout = 0;
	int json = 0;
	struct option opts[] = {
		{ OPT_STRING, NULL, 'k', &keyword, "EXPR", "only tests matching the expression (pytest -k)" },
		{ OPT_FLAG, "json", 0, &json, NULL, "print the result as JSON" },
		{ OPT_STRING, "pytest", 0, &pytest_cmd, "CMD",
		  "the pytest command, e.g. '/usr/bin/python3 -m pytest' (or PYTEST_FIXER_PYTEST)" },
		{ OPT_DOUBLE, "timeout", 0, &timeout, "SECONDS", "per-test time limit (default 120, 0: none)" },
		{ OPT_DOUBLE, "run-timeout", 0, &run_timeout, "SECONDS", "time limit for the whole run (default: none)" },
		{ OPT_STRING, "test-cmd", 0, &test_cmd, "CMD", "run another test runner instead of pytest" },
		{ OPT_STRING, "junit-xml", 0, &junit, "PATH", "the JUnit XML report --test-cmd writes" },
		CLI_PASS_ENV_OPTION(pass_env),
		OPT_END_ENTRY,
	};
	struct render_style style;
	int err;
	int code;

	if (cli_parse_options(&pa, opts, argc, argv, scan_usage, &code))
		goto done;
	cli_pass_env(&pass_env);
	if (timeout < 0 || run_timeout < 0 || run_timeout > 1e6) {
		code = cli_exit_for_error(error_setc(ERR_USAGE, "time limits must be between 0 and 1000000 seconds"));
		goto done;
	}
	if (!test_cmd != !junit) {
		code = cli_exit_for_error(error_setc(ERR_USAGE, "--test-cmd and --junit-xml go together"));
		goto done;
	}

	if (test_cmd) {
		struct generic_options go = GENERIC_OPTIONS_INIT;
		if (pa.positional.nr || keyword || pa.rest.nr) {
			code = cli_exit_for_error(error_setc(ERR_USAGE,
				"paths, -k and pytest arguments do not apply to --test-cmd"));
			goto done;
		}
		go.command = test_cmd;
		go.junit_path = junit;
		if (run_timeout > 0)
			go.timeout_ms = (int)(run_timeout * 1000);
		err = generic_run(&res, &go);
	} else {
		struct pytest_options po = PYTEST_OPTIONS_INIT;
		po.command = pytest_cmd;
		po.choice = p->pytest;
		po.paths = &pa.positional;
		po.keyword = keyword;
		po.extra_args = &pa.rest;
		po.test_timeout = timeout;
		po.run_timeout_ms = (int)(run_timeout * 1000);
		err = pytest_run(&res, &po);
	}
	if (err < 0) {
		code = cli_exit_for_error(err);
		goto done;
	}

	if (json) {
		json_t *obj = test_result_to_json(&res);
		cli_print_json(obj);
		json_decref(obj);
	} else {
		render_style_for(&style, stdout);
		render_failures_table(stdout, &res, &style);
		if (res.nr_failures)
			fputc('\n', stdout);
		render_summary_line(stdout, &res, &style);
	}
	if (!res.summary.total) {
		/* as pytest: "collected 0 items" ... "no tests ran", exit 5 */
		fprintf(stderr, "pytest-fixer: no tests ran: %s\n", test_cmd ?
			"the report lists no test" : "pytest collected 0 items to run");
		code = EXIT_NO_TESTS;
	} else {
		code = res.summary.failed || res.summary.errors ? EXIT_FAILURES : EXIT_OK;
	}
done:
	fflush(stdout);
	test_result_release(&res);
	strvec_clear(&pass_env);
	parsed_args_release(&pa);
	return code;
}
