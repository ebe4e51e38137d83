#include "cli/cli.h"
#include "cli/options.h"
#include "cli/fix_options.h"
#include "cli/render.h"
#include "fix/fix.h"
#include "fix/test_path.h"
#include "project/project.h"
#include "report/report.h"
#include "store/store.h"
#include "util/error.h"
#include "util/log.h"
#include "util/strvec.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char fix_usage[] =
	"pytest-fixer fix [options] [-- PYTEST-ARGS]\n"
	"       pytest-fixer resume ID [--json]";

/* a failure's status as users see it: "pending" is a paused session's untried failure */
static const char *public_status(enum failure_status st)
{
	return failure_status_name(st == FAILURE_PENDING ? FAILURE_UNFIXED : st);
}

/* a fix checked beyond the tests (fix/behaviour.h): said under its line */
static void print_behaviour(const char *text)
{
	struct buf line = BUF_INIT;

	if (report_behaviour_line(&line, text))
		printf("         checked beyond the tests: %s\n", line.ptr);
	buf_release(&line);
}

/* What fix and resume print when the session is over: the report's JSON, or a summary. */
static int print_outcome(struct project *p, const struct fix_result *o, int json, int dry_run)
{
	struct store *st = NULL;
	struct buf report = BUF_INIT;
	json_t *obj = NULL;
	size_t i;
	int err = 0;

	if (!*o->session)
		return error_setc(ERR_NOTFOUND, "no session was started");
	if (json) {
		if ((err = project_store(&st, p, 0)) < 0 ||
		    (err = report_session_json(&obj, st, o->session)) < 0)
			goto done;
		cli_print_json(obj);
		goto done;
	}
	for (i = 0; i < o->nr_failures; i++) {
		const struct fix_failure_result *f = &o->failures[i];
		printf("%-8s %s%s%s\n", public_status(f->status), f->id, f->branch ? "  -> " : "",
		       f->branch ? f->branch : "");
		/* why it is left: the last attempt's reason, its first line */
		if (f->status != FAILURE_FIXED && f->reason)
			printf("         %.*s\n", (int)strcspn(f->reason, "\n") > 200 ? 200 :
			       (int)strcspn(f->reason, "\n"), f->reason);
		if (f->status == FAILURE_FIXED && f->win.behaviour)
			print_behaviour(f->win.behaviour);
	}
	if (dry_run)
		render_dry_run(stdout, o);
	printf("\nsession %s: %zu fixed, %zu not fixed%s\n", o->session, o->fixed, o->unfixed,
	       o->interrupted ? " (interrupted: 'pytest-fixer resume' continues)" : "");
	project_state_path(&report, p->root, PROJECT_REPORT, o->session);
	printf("report: %s\n", report.ptr);
done:
	json_decref(obj);
	buf_release(&report);
	return err;
}

/* `fix`, and `resume` (argv[0]) */
int cmd_fix(int argc, const char **argv, struct project *p)
{
	int resume = !strcmp(argv[0], "resume");
	struct fix_options fo = FIX_OPTIONS_INIT;
	struct fix_result out = { .session = "" };
	struct fix_hooks hooks;
	struct render_fix_state term;
	struct parsed_args pa = PARSED_ARGS_INIT;
	struct strvec pass_env = STRVEC_INIT;
	int max_candidates = FIX_DEFAULT_MAX_CANDIDATES, cleanup_only = 0;
	int non_interactive = 0, json = 0, quiet = 0;
	double max_tokens = 0, time_budget = -1;
	enum render_progress progress;
	struct option opts[] = {
		{ OPT_STRING, "test-path", 0, &fo.test_path, "PATH", "only failures in this test file or directory" },
		{ OPT_STRING, "test-function", 0, &fo.test_function, "NAME", "only this test function" },
		FIX_ENGINE_OPTIONS(fo, max_tokens),
		{ OPT_STRING, "branch", 0, &fo.branch, "NAME", "put every fix of the session on this one branch" },
		{ OPT_INT, "jobs", 'j', &fo.jobs, "N", "candidates validated at once (default: cores)" },
		{ OPT_INT, "verify-runs", 0, &fo.verify_runs, "N", "extra passing runs a fix needs (default 2)" },
		{ OPT_INT, "max-candidates", 0, &max_candidates, "N", "candidates tried per failure (default 60)" },
		{ OPT_DOUBLE, "timeout", 0, &fo.test_timeout, "SECONDS", "per-test time limit (default 120)" },
		{ OPT_DOUBLE, "time-budget", 0, &time_budget, "SECONDS",
		  "time spent on each failure group (default: 120 for the built-in engine, none for the others)" },
		{ OPT_STRING, "pytest", 0, &fo.pytest_cmd, "CMD", "the pytest command (or PYTEST_FIXER_PYTEST)" },
		{ OPT_FLAG, "allow-test-edits", 0, &fo.allow_test_edits, NULL, "let changes edit test files (never weaken them)" },
		{ OPT_FLAG, "allow-config-edits", 0, &fo.allow_config_edits, NULL, "let changes alter pytest's configuration, conftest hooks and plugins" },
		{ OPT_FLAG, "dry-run", 0, &fo.dry_run, NULL, "find and verify fixes, make no branch" },
		{ OPT_FLAG, "apply", 0, &fo.apply, NULL, "also apply the verified fixes to the working tree" },
		{ OPT_FLAG, "non-interactive", 0, &non_interactive, NULL, "never ask (CI)" },
		{ OPT_FLAG, "wait", 0, &fo.wait, NULL, "wait for another fix running in the project" },
		{ OPT_FLAG, "cleanup-only", 0, &cleanup_only, NULL, "only remove what earlier sessions left" },
		{ OPT_FLAG, "json", 0, &json, NULL, "print the result as JSON" },
		{ OPT_FLAG, "quiet", 'q', &quiet, NULL, "no progress on stderr (as pytest-fixer -q fix)" },
		CLI_PASS_ENV_OPTION(pass_env),
		OPT_END_ENTRY,
	};
	int err, code;

	if (cli_parse_options(&pa, opts, argc, argv, fix_usage, &code))
		goto done;
	cli_pass_env(&pass_env);
	if (cleanup_only) {
		struct strvec report = STRVEC_INIT;
		code = cli_print_report(&report, fix_cleanup(&report, p, 0));
		strvec_clear(&report);
		goto done;
	}
	if ((err = fix_options_check(&fo, max_tokens, max_candidates)) < 0) {
		code = cli_exit_for_error(err);
		goto done;
	}
	if (time_budget != -1 && !(time_budget > 0 && time_budget <= FIX_MAX_REQUEST_SECONDS)) {
		code = cli_exit_for_error(error_setc(ERR_USAGE, "--time-budget must be a number of "
			"seconds above 0 and at most %.0f, not '%g'", FIX_MAX_REQUEST_SECONDS, time_budget));
		goto done;
	}
	if (time_budget != -1)
		fo.time_budget = time_budget;
	fo.pytest_args = &pa.rest;
	if (resume ? pa.positional.nr != 1 : pa.positional.nr > 0) {
		code = cli_exit_for_error(error_setc(ERR_USAGE, resume ?
			"resume needs one session id" : "fix takes no positional arguments (use --test-path)"));
		goto done;
	}
	if (!resume && fo.test_path) {
		struct test_path_options to = {
			.root = p->root,
			.test_path = fo.test_path,
			.pytest_cmd = fo.pytest_cmd,
			.choice = p->pytest,
			.pytest_args = &pa.rest,
		};
		if ((err = test_path_check(&to)) < 0) {
			code = cli_exit_for_error(err);
			goto done;
		}
	}
	/* `pytest-fixer -q fix` (only errors logged) is as quiet as `fix -q` */
	progress = quiet || log_current_level <= LOG_ERROR ? RENDER_PROGRESS_NONE : !json && isatty(2) ? RENDER_PROGRESS_TERMINAL :
		   RENDER_PROGRESS_LINES;
	render_fix_hooks(&hooks, &term, progress, !non_interactive && !json && isatty(0) && isatty(2));
	render_fix_begin(&term, resume ? "resuming the session" :
			 "running the test suite (the baseline), then fixing its failures");
	err = resume ? fix_resume(&out, p, pa.positional.v[0], &fo, &hooks) :
		fix_run(&out, p, &fo, &hooks);
	if (err == ERR_INTERRUPTED) {
		print_outcome(p, &out, json, fo.dry_run);
		code = cli_exit_for_error(err);
		goto done;
	}
	if (err < 0) {
		/* an unknown session id is the user's input, not a failed run */
		code = cli_exit_for_error(resume && err == ERR_NOTFOUND ? ERR_USAGE : err);
		goto done;
	}
	if ((err = print_outcome(p, &out, json, fo.dry_run)) < 0) {
		code = cli_exit_for_error(err);
		goto done;
	}
	code = out.unfixed ? EXIT_FAILURES : EXIT_OK;
	if (*out.apply_error) {
		fflush(stdout);
		code = cli_exit_for_error(error_setc(ERR_CONFLICT, "%s", out.apply_error));
	}
done:
	fflush(stdout);
	fix_result_release(&out);
	strvec_clear(&pass_env);
	parsed_args_release(&pa);
	return code;
}
