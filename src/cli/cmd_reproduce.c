#include "cli/cli.h"
#include "cli/fix_options.h"
#include "cli/options.h"
#include "cli/render.h"
#include "repro/repro.h"
#include "util/error.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char reproduce_usage[] = "pytest-fixer reproduce INFO.json [options]";

static void print_outcome(const struct repro_outcome *o, int json)
{
	if (json) {
		json_t *j = json_pack("{s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:i, s:i, s:i, s:b}",
				      "status", o->status, "report", o->report_path, "log", o->log_path,
				      "session", o->session, "branch", o->branch,
				      "pull_request", o->pr_url, "in_log", (int)o->in_log,
				      "reproduced", (int)o->reproduced, "fixed", (int)o->fixed,
				      "interrupted", o->interrupted);
		json_object_set_new(j, "tests", o->targets ? json_incref(o->targets) : json_array());
		cli_print_json(j);
		json_decref(j);
		return;
	}
	printf("status: %s\n", o->status);
	printf("reproduced %zu, fixed %zu%s%s\n", o->reproduced, o->fixed,
	       o->branch ? " on branch " : "", o->branch ? o->branch : "");
	if (o->pr_url)
		printf("draft pull request: %s\n", o->pr_url);
	if (o->report_path)
		printf("report: %s\n", o->report_path);
}

int cmd_reproduce(int argc, const char **argv, struct project *p)
{
	struct repro_options ro;
	struct repro_outcome out;
	struct fix_hooks hooks;
	struct render_fix_state term;
	struct parsed_args pa = PARSED_ARGS_INIT;
	struct strvec pass_env = STRVEC_INIT;
	int max_candidates = FIX_DEFAULT_MAX_CANDIDATES;
	double max_tokens = 0, seed = 0;
	int err, code;

	repro_options_init(&ro);
	memset(&out, 0, sizeof(out));
	{
		struct option opts[] = {
			{ OPT_STRING, "base", 0, &ro.base, "BRANCH", "reproduce on and fix from this branch (default main, else master)" },
			{ OPT_INT, "iterations", 0, &ro.iterations, "N", "stress iterations for an intermittent failure (default 100)" },
			{ OPT_DOUBLE, "time-limit", 0, &ro.time_limit, "SECONDS", "time limit of the stress run (default 300)" },
			{ OPT_DOUBLE, "seed", 0, &seed, "N", "seed of the random test orders (default: from the clock)" },
			{ OPT_INT, "jobs", 'j', &ro.jobs, "N", "pytest processes at once (default: cores)" },
			{ OPT_FLAG, "no-fix", 0, &ro.no_fix, NULL, "reproduce only" },
			{ OPT_FLAG, "wait", 0, &ro.fix.wait, NULL, "wait for another fix running in the project" },
			{ OPT_FLAG, "pr", 0, &ro.pr, NULL, "push the fix branch and open a draft pull request" },
			{ OPT_STRING, "remote", 0, &ro.remote, "NAME", "the remote to push to (default origin)" },
			{ OPT_STRING, "repo", 0, &ro.repo_slug, "OWNER/NAME", "the GitHub repository of the pull request" },
			{ OPT_STRING, "outputs", 0, &ro.outputs_dir, "DIR", "where the report goes (default outputs/)" },
			FIX_ENGINE_OPTIONS(ro.fix, max_tokens),
			{ OPT_INT, "max-candidates", 0, &max_candidates, "N", "candidates tried per failure (default 60)" },
			{ OPT_DOUBLE, "timeout", 0, &ro.fix.test_timeout, "SECONDS", "per-test time limit (default 120)" },
			{ OPT_STRING, "pytest", 0, &ro.fix.pytest_cmd, "CMD", "the pytest command (or PYTEST_FIXER_PYTEST)" },
			{ OPT_FLAG, "allow-test-edits", 0, &ro.fix.allow_test_edits, NULL, "let changes edit test files (never weaken them): order-dependent failures are often fixed there" },
			{ OPT_FLAG, "allow-config-edits", 0, &ro.fix.allow_config_edits, NULL, "let changes alter pytest's configuration, conftest hooks and plugins" },
			{ OPT_FLAG, "json", 0, &ro.json, NULL, "print the outcome as JSON" },
			CLI_PASS_ENV_OPTION(pass_env),
			OPT_END_ENTRY,
		};

		if (cli_parse_options(&pa, opts, argc, argv, reproduce_usage, &code))
			goto done;
	}
	cli_pass_env(&pass_env);
	if (pa.positional.nr != 1) {
		code = cli_exit_for_error(error_setc(ERR_USAGE, "reproduce needs one info.json file"));
		goto done;
	}
	if ((err = fix_options_check(&ro.fix, max_tokens, max_candidates)) < 0) {
		code = cli_exit_for_error(err);
		goto done;
	}
	if (ro.iterations < 1 || ro.time_limit <= 0 || ro.jobs < 0 || seed < 0 || seed > 4e9) {
		code = cli_exit_for_error(error_setc(ERR_USAGE, "--iterations and --time-limit must be "
						     "positive, --jobs and --seed not negative"));
		goto done;
	}
	ro.seed = (unsigned long)seed;
	ro.info_path = pa.positional.v[0];
	ro.fix.jobs = ro.jobs;
	render_fix_hooks(&hooks, &term, !ro.json && isatty(2), 0);
	ro.hooks = &hooks;
	err = repro_run(&out, p, &ro);
	if (out.report_path || err == 0)
		print_outcome(&out, ro.json);
	fflush(stdout);
	if (err < 0)
		code = cli_exit_for_error(err);
	else
		code = !strcmp(out.status, "success") ? EXIT_OK : EXIT_FAILURES;
done:
	fflush(stdout);
	repro_outcome_release(&out);
	strvec_clear(&pass_env);
	parsed_args_release(&pa);
	return code;
}
