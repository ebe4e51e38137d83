#include "cli/cli.h"
#include "cli/options.h"
#include "fix/fix.h"
#include "project/project.h"
#include "report/report.h"
#include "store/store.h"
#include "util/error.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int cmd_sessions(int argc, const char **argv, struct project *p)
{
	struct parsed_args pa = PARSED_ARGS_INIT;
	struct store *st = NULL;
	struct session_row *rows = NULL;
	size_t nr = 0, i;
	int json = 0, code = EXIT_OK, err;
	struct option opts[] = {
		{ OPT_FLAG, "json", 0, &json, NULL, "print JSON" },
		OPT_END_ENTRY,
	};

	if (cli_parse_options(&pa, opts, argc, argv, "pytest-fixer sessions [--json]", &code))
		goto done;
	if ((err = project_store(&st, p, 0)) == ERR_NOTFOUND) {
		if (json)
			printf("[]\n");
		goto done;
	} else if (err < 0 || (err = store_session_list(&rows, &nr, st)) < 0) {
		code = cli_exit_for_error(err);
		goto done;
	}
	if (json) {
		json_t *arr = json_array();
		for (i = 0; i < nr; i++)
			json_array_append_new(arr, json_pack("{s:s, s:s, s:f, s:f, s:I, s:I, s:s?}",
				"session", rows[i].id, "state", session_state_name(rows[i].state),
				"created", rows[i].created, "updated", rows[i].updated,
				"total", (json_int_t)rows[i].total, "fixed", (json_int_t)rows[i].fixed,
				"error", rows[i].error));
		cli_print_json(arr);
		json_decref(arr);
	} else {
		if (nr)
			printf("%-22s %-12s %-20s %s\n", "SESSION", "STATE", "STARTED", "FIXED");
		for (i = 0; i < nr; i++) {
			char when[32];
			time_t t = (time_t)rows[i].created;
			struct tm tm;
			localtime_r(&t, &tm);
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
			printf("%-22s %-12s %-20s %zu/%zu\n", rows[i].id,
			       session_state_name(rows[i].state), when, rows[i].fixed, rows[i].total);
		}
	}
done:
	for (i = 0; i < nr; i++)
		session_row_release(&rows[i]);
	free(rows);
	parsed_args_release(&pa);
	return code;
}

/* `show`, and `report` (argv[0]): the Markdown report */
int cmd_show(int argc, const char **argv, struct project *p)
{
	struct parsed_args pa = PARSED_ARGS_INIT;
	struct store *st = NULL;
	struct buf md = BUF_INIT;
	json_t *obj = NULL, *transcript = NULL;
	int markdown = !strcmp(argv[0], "report");
	int json = 0, with_transcript = 0, code = EXIT_OK, err;
	struct option opts[] = {
		{ OPT_FLAG, "json", 0, &json, NULL, "print JSON" },
		{ OPT_FLAG, "transcript", 0, &with_transcript, NULL,
		  "print every LLM exchange: prompts, replies, tokens" },
		OPT_END_ENTRY,
	};
	if (markdown) {
		/* the report has no --transcript */
		struct option end = OPT_END_ENTRY;
		opts[1] = end;
	}
	if (cli_parse_options(&pa, opts, argc, argv, markdown ? "pytest-fixer report ID [--json]" :
			      "pytest-fixer show ID [--json] [--transcript]", &code))
		goto done;
	if (pa.positional.nr != 1) {
		code = cli_exit_for_error(error_setc(ERR_USAGE, "give one session id"));
		goto done;
	}
	if ((err = project_store(&st, p, 0)) < 0) {
		code = cli_exit_for_error(err == ERR_NOTFOUND ? ERR_USAGE : err);
		goto done;
	}
	if (with_transcript && !json) {
		if ((err = report_transcript_text(&md, st, pa.positional.v[0])) < 0) {
			code = cli_exit_for_error(err == ERR_NOTFOUND ? ERR_USAGE : err);
			goto done;
		}
		fwrite(md.ptr, 1, md.len, stdout);
		goto done;
	}
	if (json || !markdown) {
		if ((err = report_session_json(&obj, st, pa.positional.v[0])) < 0) {
			code = cli_exit_for_error(err == ERR_NOTFOUND ? ERR_USAGE : err);
			goto done;
		}
	}
	if (json) {
		if (with_transcript) {
			if ((err = report_transcript_json(&transcript, st, pa.positional.v[0])) < 0) {
				code = cli_exit_for_error(err == ERR_NOTFOUND ? ERR_USAGE : err);
				goto done;
			}
			json_object_set(obj, "transcript", transcript);
		}
		cli_print_json(obj);
	} else {
		if ((err = report_session_markdown(&md, st, pa.positional.v[0])) < 0) {
			code = cli_exit_for_error(err == ERR_NOTFOUND ? ERR_USAGE : err);
			goto done;
		}
		fwrite(md.ptr, 1, md.len, stdout);
	}
done:
	json_decref(transcript);
	json_decref(obj);
	buf_release(&md);
	parsed_args_release(&pa);
	return code;
}

int cmd_cleanup(int argc, const char **argv, struct project *p)
{
	struct parsed_args pa = PARSED_ARGS_INIT;
	struct strvec report = STRVEC_INIT;
	int branches = 0, code = EXIT_OK;
	struct option opts[] = {
		{ OPT_FLAG, "branches", 0, &branches, NULL, "also delete the fix branches sessions made" },
		OPT_END_ENTRY,
	};

	if (cli_parse_options(&pa, opts, argc, argv, "pytest-fixer cleanup [--branches]", &code))
		goto done;
	code = cli_print_report(&report, fix_cleanup(&report, p, branches));
done:
	strvec_clear(&report);
	parsed_args_release(&pa);
	return code;
}
