#include "repro/repro_report.h"

#include "report/report.h"
#include "util/buf.h"
#include "util/secret.h"

#include <stdio.h>
#include <string.h>

/* how much of a traceback or log the report quotes */
#define REPORT_QUOTE_MAX 4000

/* `n` moved back to the start of the UTF-8 character it falls in */
static size_t char_start(const char *text, size_t n)
{
	while (n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80)
		n--;
	return n;
}

static size_t longest_backtick_run(const char *text)
{
	size_t run = 0, longest = 0;
	for (; *text; text++) {
		run = *text == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	return longest;
}

/* a code block whose fence no backtick run in `text` can close; max 0: all of it */
static void fenced(struct buf *out, const char *lang, const char *text, size_t max)
{
	size_t longest = longest_backtick_run(text), len = strlen(text), i;
	longest = longest < 3 ? 3 : longest + 1;
	for (i = 0; i < longest; i++)
		buf_addch(out, '`');
	buf_addf(out, "%s\n", lang ? lang : "");
	if (max && len > max) {
		size_t head = char_start(text, max / 2);
		size_t tail = char_start(text, len - max / 2);
		buf_add(out, text, head);
		buf_addf(out, "\n[... %zu bytes omitted ...]\n", tail - head);
		buf_add(out, text + tail, len - tail);
	} else {
		buf_add(out, text, len);
	}
	if (len && text[len - 1] != '\n')
		buf_addch(out, '\n');
	for (i = 0; i < longest; i++)
		buf_addch(out, '`');
	buf_adds(out, "\n\n");
}

/*
 * Text from outside (a message, the user's prompt) for a table cell or a
 * line: no newlines; what Markdown or HTML would read as markup escaped;
 * cut at `max` bytes on a character boundary.
 */
static void inline_text(struct buf *out, const char *text, size_t max)
{
	size_t len = text ? strlen(text) : 0, n = len > max ? char_start(text, max) : len, i;
	for (i = 0; i < n; i++) {
		char c = text[i];
		if (c == '\n' || c == '\r')
			buf_addch(out, ' ');
		else if (c == '<')
			buf_adds(out, "&lt;");
		else if (c == '>')
			buf_adds(out, "&gt;");
		else if (c == '&')
			buf_adds(out, "&amp;");
		else if (strchr("|`*_[]\\#", c))
			buf_addf(out, "\\%c", c);
		else
			buf_addch(out, c);
	}
	if (n < len)
		buf_adds(out, "...");
}

/* `text` as inline code that no backtick in it can close ('|' escaped in a table cell) */
static void code_span_in(struct buf *out, const char *text, int cell)
{
	size_t ticks = longest_backtick_run(text) + 1, i;
	int pad = text[0] == '`' || (*text && text[strlen(text) - 1] == '`');
	for (i = 0; i < ticks; i++)
		buf_addch(out, '`');
	buf_adds(out, pad ? " " : "");
	for (; *text; text++) {
		if (*text == '|' && cell)
			buf_adds(out, "\\|");
		else
			buf_addch(out, *text == '\n' ? ' ' : *text);
	}
	buf_adds(out, pad ? " " : "");
	for (i = 0; i < ticks; i++)
		buf_addch(out, '`');
}

/* `before`, then `text` as inline code */
static void code_span(struct buf *out, const char *before, const char *text)
{
	buf_adds(out, before);
	code_span_in(out, text, 0);
}

static const char *status_badge(const char *status)
{
	if (!strcmp(status, "success"))
		return "\xe2\x9c\x85 Success";
	if (!strcmp(status, "partial"))
		return "\xe2\x9a\xa0\xef\xb8\x8f Partial";
	return "\xe2\x9d\x8c Failed";
}

static void error_line(struct buf *out, const struct failure *f)
{
	inline_text(out, f->error_type ? f->error_type : "failure", 200);
	if (f->message && *f->message) {
		buf_adds(out, ": ");
		inline_text(out, f->message, 200);
	}
}

static void summary(struct buf *out, const struct repro_run *r)
{
	size_t i;
	buf_adds(out, "## Summary\n\n");
	buf_addf(out, "**Status:** %s\n\n", status_badge(r->status));
	if (r->interrupted)
		buf_adds(out, "The run was interrupted: what it had done so far is below.\n\n");
	if (r->source && strcmp(r->source, "existing-test-path"))
		buf_addf(out, "- Failing tests in the CI log: %zu\n", r->ci.nr_failures);
	buf_addf(out, "- Reproduced here: %zu of %zu (%s failure, on `%s` at `%.12s`)\n",
		 r->reproduced, r->nr_targets, r->info.deterministic ? "deterministic" : "intermittent",
		 r->base_name, r->base_commit);
	if (!r->o->no_fix)
		buf_addf(out, "- Fixed and verified: %zu%s%s%s\n", r->fixed,
			 r->branch ? " on branch `" : "", r->branch ? r->branch : "", r->branch ? "`" : "");
	if (r->pr_url)
		buf_addf(out, "- Draft pull request: %s\n", r->pr_url);
	buf_addf(out, "- Took %.1f s\n\n", r->seconds);
	if (r->problem.len)
		buf_addf(out, "**What stopped it:** %s\n\n", r->problem.ptr);
	for (i = 0; i < r->nr_targets; i++) {
		const struct repro_target *t = &r->targets[i];
		code_span(out, "- ", t->id);
		buf_addf(out, ": %s%s%s\n",
			 !t->found ? "not in this project" : t->reproduced ? "reproduced" : "not reproduced",
			 t->fix_tried ? ", " : "", t->fix_tried ? failure_status_name(t->fix_status) : "");
	}
	buf_adds(out, "\n");
}

/* "- LABEL: `a`, `b`" when `items` has any */
static void code_list(struct buf *out, const char *label, const struct strvec *items)
{
	size_t i;
	if (!items->nr)
		return;
	buf_addf(out, "- %s: ", label);
	for (i = 0; i < items->nr; i++)
		code_span(out, i ? ", " : "", items->v[i]);
	buf_adds(out, "\n");
}

static void input(struct buf *out, const struct repro_run *r)
{
	buf_adds(out, "## Input configuration\n\n");
	buf_addf(out, "From `%s`:\n\n", r->o->info_path);
	fenced(out, "json", r->info_text.ptr, REPORT_QUOTE_MAX);
	if (r->info.url)
		buf_addf(out, "- GitHub Actions: `%s/%s`, run %lld%s", r->info.owner, r->info.repo,
			 r->info.run_id, r->info.job_id ? "" : "\n");
	if (r->info.url && r->info.job_id)
		buf_addf(out, ", job %lld\n", r->info.job_id);
	if (r->info.url)
		code_list(out, "Jobs read", &r->jobs);
	code_list(out, "JUnit reports read", &r->junit_names);
	if (r->info.raw_logs_path) {
		code_span(out, "- Log file: ", r->info.raw_logs_path);
		buf_adds(out, "\n");
	}
	buf_addf(out, "- Base branch: `%s` (`%s`)\n", r->base_name, r->base_commit);
	buf_adds(out, "\n");
}

static void stress_lines(struct buf *out, const struct repro_target *t)
{
	const struct stress_result *s = &t->stress;
	buf_addf(out, "- Stress run: %d iteration%s in %.1f s (%.1f test runs/s), seed %lu%s\n",
		 s->iterations, s->iterations == 1 ? "" : "s", s->seconds, s->executions_per_second,
		 s->seed, s->stopped_by_time_limit ? ", stopped by the time limit" : "");
	buf_addf(out, "- Failures: %d of %d, rate %.1f%% (95%% confidence interval %.1f%% to %.1f%%)\n",
		 s->failures, s->iterations, 100 * s->rate, 100 * s->ci_low, 100 * s->ci_high);
	if (!t->have_order)
		return;
	buf_addf(out, "- Alone: %d failure%s in %d run%s; after other tests: %d in %d\n",
		 t->order.alone_failures, t->order.alone_failures == 1 ? "" : "s", t->order.alone_runs,
		 t->order.alone_runs == 1 ? "" : "s", t->order.together_failures, t->order.together_runs);
	if (t->order.order_dependent) {
		buf_adds(out, "- **Depends on order**: it fails only after ");
		if (t->order.polluter) {
			code_span(out, "", t->order.polluter);
			buf_adds(out, " (found by bisection)");
		} else
			buf_adds(out, "a set of tests (no single polluter explains it)");
		buf_addf(out, "; the failing order came from seed %lu\n", t->order.seed);
	} else {
		buf_adds(out, "- It did not fail in any order tried\n");
	}
}

static void reproduction(struct buf *out, const struct repro_run *r)
{
	size_t i;
	buf_adds(out, "## Reproduction\n\n");
	if (r->source && !strcmp(r->source, "existing-test-path")) {
		code_span(out, "An existing test was named: ", r->info.existing_test_path);
		buf_addf(out, "%s.\n\n", r->carry.nr ? " (as it is in the work tree, which the base "
			 "branch does not have: used here, kept out of the fix)" : "");
	} else if (r->ci.nr_failures) {
		buf_adds(out, "| test in the CI log | error | here |\n|---|---|---|\n");
		for (i = 0; i < r->nr_targets; i++) {
			const struct repro_target *t = &r->targets[i];
			buf_adds(out, "| ");
			code_span_in(out, t->ci_id ? t->ci_id : t->id, 1);
			buf_adds(out, " | ");
			if (t->ci)
				error_line(out, t->ci);
			buf_addf(out, " | %s |\n", !t->found ? "not found" :
				 t->reproduced ? "fails" : "passes");
		}
		buf_adds(out, "\n");
	}
	for (i = 0; i < r->nr_targets; i++) {
		const struct repro_target *t = &r->targets[i];
		if (!t->found)
			continue;
		code_span(out, "### ", t->id);
		buf_adds(out, "\n\n");
		if (r->info.deterministic && t->ran) {
			buf_addf(out, "- %s\n", !t->reproduced ? "Passed here" :
				 t->alone == REPRO_ALONE_FAILS ? "Fails when run alone" :
				 t->alone == REPRO_ALONE_PASSES ? "Passes alone: fails only after the "
				 "other failing tests (it depends on order)" :
				 "Fails with the other failing tests (not run alone)");
		} else if (r->info.deterministic) {
			buf_adds(out, "- Not run: the run stopped before it\n");
		}
		if (t->have_stress)
			stress_lines(out, t);
		if (t->reproduced) {
			buf_adds(out, "- Error: ");
			error_line(out, &t->local);
			if (t->local.loc_file)
				buf_addf(out, " at `%s:%d`", t->local.loc_file, t->local.loc_line);
			buf_adds(out, "\n\n");
		} else {
			buf_adds(out, "\n");
		}
		if (t->cmd_ids.nr) {
			struct buf cmd = BUF_INIT;
			repro_command(&cmd, &r->pytest_argv, &t->cmd_ids);
			buf_adds(out, "The smallest command that fails:\n\n");
			fenced(out, "sh", cmd.ptr, 0);
			buf_release(&cmd);
		}
	}
	if (r->minimal.nr) {
		struct buf cmd = BUF_INIT;
		repro_command(&cmd, &r->pytest_argv, &r->minimal);
		buf_addf(out, "The smallest command that reproduces it (in a checkout of `%s`):\n\n",
			 r->base_name);
		fenced(out, "sh", cmd.ptr, 0);
		buf_release(&cmd);
	}
}

static void root_cause(struct buf *out, const struct repro_run *r)
{
	size_t i;
	int any = 0;
	buf_adds(out, "## Root cause\n\n");
	buf_adds(out, "The user's description:\n\n> ");
	inline_text(out, r->info.prompt, 2000);
	buf_adds(out, "\n\n");
	for (i = 0; i < r->nr_targets; i++) {
		const struct repro_target *t = &r->targets[i];
		const struct failure *f = t->reproduced ? &t->local : t->ci;
		if (!f)
			continue;
		any = 1;
		code_span(out, "**", t->id);
		buf_adds(out, "** ");
		error_line(out, f);
		if (f->loc_file)
			buf_addf(out, ", raised at `%s:%d`", f->loc_file, f->loc_line);
		if (f->nr_frames > 1 && f->frames[f->nr_frames - 1].function)
			buf_addf(out, " in `%s()`", f->frames[f->nr_frames - 1].function);
		buf_adds(out, ".");
		if (t->have_order && t->order.order_dependent && t->order.polluter) {
			code_span(out, " It fails only when ", t->order.polluter);
			buf_adds(out, " runs before it: that test leaves state behind (a global, a cache, "
				 "a file, an environment variable) that this one depends on.");
		} else if (t->alone == REPRO_ALONE_PASSES) {
			buf_adds(out, " It passes alone and fails after the other failing tests: it "
				 "depends on what they leave behind.");
		} else if (t->have_stress && t->stress.failures && t->stress.failures < t->stress.iterations)
			buf_addf(out, " It fails in %.1f%% of runs on its own: the test or the code it "
				 "calls is nondeterministic (randomness, time, concurrency, a race).",
				 100 * t->stress.rate);
		if (t->diff)
			buf_adds(out, " The verified change below shows where the code was wrong.");
		buf_adds(out, "\n\n");
		if (f->traceback && *f->traceback)
			fenced(out, "text", f->traceback, REPORT_QUOTE_MAX);
	}
	if (!any)
		buf_adds(out, "Not analysed: nothing failed to look at.\n\n");
}



static void fix(struct buf *out, const struct repro_run *r)
{
	size_t i;
	buf_adds(out, "## Fix\n\n");
	if (r->o->no_fix) {
		buf_adds(out, "Not attempted (`--no-fix`).\n\n");
		return;
	}
	if (!r->session) {
		buf_adds(out, "Not attempted: nothing was reproduced.\n\n");
		return;
	}
	buf_addf(out, "Fix session `%s` (`pytest-fixer show %s`), on a branch made from `%s`. "
		 "Each fix had to pass the reproduction %d time%s in a row, and every test that "
		 "passed before had to pass with it.%s\n\n", r->session, r->session, r->base_name,
		 r->verify_runs, r->verify_runs == 1 ? "" : "s",
		 r->carry.nr ? " The reproduction test was used for the verification but is not part "
			       "of the branch." : "");
	for (i = 0; i < r->nr_targets; i++) {
		const struct repro_target *t = &r->targets[i];
		if (!t->fix_tried)
			continue;
		code_span(out, "### ", t->id);
		buf_addf(out, ": %s\n\n", failure_status_name(t->fix_status));
		if (t->branch)
			buf_addf(out, "- Branch `%s`, commit `%s`\n", t->branch, t->commit ? t->commit : "-");
		buf_addf(out, "- Attempts: %zu%s%s\n", t->attempts, t->engine ? ", engine " : "",
			 t->engine ? t->engine : "");
		if (!t->diff && t->fix_reason) {
			buf_adds(out, "- Last attempt rejected: ");
			inline_text(out, t->fix_reason, 400);
			buf_adds(out, "\n");
		}
		if (t->behaviour) {
			struct buf line = BUF_INIT;
			if (report_behaviour_line(&line, t->behaviour))
				buf_addf(out, "- Checked beyond the tests: %s%s\n", line.ptr,
					 strstr(t->behaviour, "\"cases\":[{") ? ": review it" : "");
			buf_release(&line);
		}
		buf_adds(out, "\n");
		if (t->diff)
			fenced(out, "diff", t->diff, REPORT_QUOTE_MAX * 4);
	}
}

static void pull_request(struct buf *out, const struct repro_run *r)
{
	buf_adds(out, "## Pull request\n\n");
	if (r->pr_url)
		buf_addf(out, "Draft pull request #%lld: %s (branch `%s` into `%s`; the reproduction "
			 "test is not in its commits).\n\n", r->pr_number, r->pr_url, r->branch,
			 r->base_name);
	else if (!r->o->pr)
		buf_addf(out, "Not requested.%s\n\n", r->branch ? " `--pr` pushes the branch and opens "
			 "a draft pull request." : "");
	else
		buf_addf(out, "Not opened: %s\n\n", r->pr_error.len ? r->pr_error.ptr : "no fix to propose");
}

static void next_steps(struct buf *out, const struct repro_run *r)
{
	size_t i;
	int any_flaky = 0;
	buf_adds(out, "## Next steps\n\n");
	for (i = 0; i < r->nr_targets; i++)
		if (r->targets[i].have_stress)
			any_flaky = 1;
	if (r->interrupted)
		buf_addf(out, "- Run `pytest-fixer reproduce %s` again to finish%s.\n", r->o->info_path,
			 r->session ? " (or `pytest-fixer resume` the fix session)" : "");
	if (r->pr_url)
		buf_adds(out, "- Review the draft pull request, run the full CI on it, and mark it ready.\n");
	else if (r->branch)
		buf_addf(out, "- Review branch `%s` (`git diff %s...%s`)%s.\n", r->branch, r->base_name,
			 r->branch, r->o->pr ? "" : ", then open a pull request (or run again with `--pr`)");
	if (r->reproduced > r->fixed && !r->o->no_fix)
		buf_adds(out, "- Not every failure was fixed: try an LLM engine (`--engine llm`), or fix "
			      "it by hand with the reproduction command above.\n");
	if (!r->reproduced && r->nr_targets) {
		if (r->info.deterministic)
			buf_adds(out, "- It did not fail here: compare the CI environment (Python and "
				      "package versions, environment variables, services), or set "
				      "\"deterministic\": false if it is intermittent.\n");
		else
			buf_adds(out, "- It did not fail here: raise `--iterations` and `--time-limit`, "
				      "or compare the CI environment.\n");
	}
	for (i = 0; i < r->nr_targets; i++) {
		const struct repro_target *t = &r->targets[i];
		if (!t->have_order || !t->order.polluter || (t->fix_tried && t->fix_status == FAILURE_FIXED))
			continue;
		code_span(out, "- ", t->order.polluter);
		code_span(out, " leaves state behind that ", t->id);
		buf_addf(out, " depends on: such failures are usually fixed in the tests (restore the "
			 "state, use a fixture such as monkeypatch)%s.\n",
			 r->o->fix.allow_test_edits ? "" : "; run again with `--allow-test-edits` to let "
			 "the engine change them");
	}
	if (any_flaky && r->fixed)
		buf_addf(out, "- The fix passed %d runs; keep an eye on the test in CI for a while.\n",
			 r->verify_runs);
	if (r->problem.len && !r->nr_targets)
		buf_adds(out, "- Check the input: see \"What stopped it\" above.\n");
	buf_adds(out, "\n");
}

static void developers(struct buf *out, const struct repro_run *r)
{
	size_t i;
	buf_adds(out, "## Relevant developers\n\n");
	if (!r->contacts.nr) {
		buf_adds(out, "No one found in the history of the lines involved.\n");
		return;
	}
	buf_addf(out, "From `git blame` of the lines %s, most lines first:\n\n",
		 r->fixed ? "the fix changes" : "where it failed");
	for (i = 0; i < r->contacts.nr && i < 5; i++)
		buf_addf(out, "- %s\n", r->contacts.v[i]);
}

void repro_report_markdown(struct buf *out, const struct repro_run *r)
{
	char when[64];
	struct tm tm;
	localtime_r(&r->wall_start, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %z", &tm);
	buf_adds(out, "# CI failure reproduction: ");
	inline_text(out, r->info.prompt ? r->info.prompt : "-", 120);
	buf_addf(out, "\n\n%s, pytest-fixer %s, in `%s`\n\n", when, PF_VERSION, r->root);
	summary(out, r);
	input(out, r);
	reproduction(out, r);
	root_cause(out, r);
	fix(out, r);
	pull_request(out, r);
	next_steps(out, r);
	developers(out, r);
}

void repro_command(struct buf *out, const struct strvec *pytest, const struct strvec *ids)
{
	static const char *const portable[] = { "python3", "-m", "pytest", NULL };
	static const char *const flags[] = { "-p", "no:cacheprovider", NULL };
	const char *const *words[3];
	size_t w, i;
	int first = 1;

	words[0] = pytest && pytest->nr ? (const char *const *)pytest->v : portable;
	words[1] = flags;
	words[2] = (const char *const *)ids->v;
	buf_reset(out);
	for (w = 0; w < 3; w++) {
		for (i = 0; w == 2 ? i < ids->nr : words[w][i] != NULL; i++) {
			const char *word = words[w][i], *p;
			buf_adds(out, first ? "" : " ");
			first = 0;
			if (*word && !strpbrk(word, " \t\n'\"[]$`\\*?(){}<>|&;!#~=%")) {
				buf_adds(out, word);
				continue;
			}
			buf_addch(out, '\'');
			for (p = word; *p; p++)
				*p == '\'' ? buf_adds(out, "'\\''") : buf_addch(out, *p);
			buf_addch(out, '\'');
		}
	}
}

/* text for a plain-text field (a title): one line, cut on a character boundary */
static void plain_text(struct buf *out, const char *text, size_t max)
{
	size_t len = strlen(text), n = len > max ? char_start(text, max) : len, i;
	for (i = 0; i < n; i++)
		buf_addch(out, text[i] == '\n' || text[i] == '\r' || text[i] == '\t' ? ' ' : text[i]);
	if (n < len)
		buf_adds(out, "...");
}

void repro_pr_title(struct buf *out, const struct repro_run *r)
{
	size_t i;
	for (i = 0; i < r->nr_targets; i++)
		if (r->targets[i].fix_tried && r->targets[i].fix_status == FAILURE_FIXED)
			break;
	buf_adds(out, "Fix ");
	plain_text(out, i < r->nr_targets ? r->targets[i].id : "CI failure", 120);
	if (r->fixed > 1)
		buf_addf(out, " and %zu more", r->fixed - 1);
	buf_adds(out, ": ");
	plain_text(out, r->info.prompt, 80);
}

/* whether a fix's diff touches one of the carried files (the reproduction test) */
static int fix_touches_carried(const struct repro_run *r)
{
	size_t i, k;
	for (i = 0; i < r->nr_targets; i++) {
		const char *diff = r->targets[i].diff;
		for (k = 0; diff && k < r->carry.nr; k++) {
			struct buf hdr = BUF_INIT;
			int hit;
			buf_addf(&hdr, "+++ b/%s\n", r->carry.v[k]);
			hit = strstr(diff, hdr.ptr) != NULL;
			buf_release(&hdr);
			if (hit)
				return 1;
		}
	}
	return 0;
}

void repro_pr_body(struct buf *out, const struct repro_run *r)
{
	size_t i;
	buf_adds(out, "## Summary\n\n");
	inline_text(out, r->info.prompt, 2000);
	buf_adds(out, "\n\n");
	if (r->info.url)
		buf_addf(out, "CI run: %s\n\n", r->info.url);
	buf_adds(out, "## Root cause\n\n");
	for (i = 0; i < r->nr_targets; i++) {
		const struct repro_target *t = &r->targets[i];
		if (!t->reproduced)
			continue;
		code_span(out, "- ", t->id);
		buf_adds(out, ": ");
		error_line(out, &t->local);
		if (t->local.loc_file)
			buf_addf(out, " at `%s:%d`", t->local.loc_file, t->local.loc_line);
		if (t->have_order && t->order.polluter) {
			code_span(out, "; fails only after ", t->order.polluter);
		} else if (t->have_stress && t->stress.failures) {
			buf_addf(out, "; failed %d of %d stress runs (%.1f%%)", t->stress.failures,
				 t->stress.iterations, 100 * t->stress.rate);
		}
		buf_adds(out, "\n");
	}
	buf_adds(out, "\n## Fix\n\n");
	for (i = 0; i < r->nr_targets; i++)
		if (r->targets[i].diff)
			fenced(out, "diff", r->targets[i].diff, REPORT_QUOTE_MAX * 4);
	buf_adds(out, "## Verification\n\n");
	buf_addf(out, "- The reproduction passed %d times in a row with the fix; before it, this "
		 "failed:\n\n", r->verify_runs);
	if (r->minimal.nr) {
		struct buf cmd = BUF_INIT;
		repro_command(&cmd, NULL, &r->minimal);
		fenced(out, "sh", cmd.ptr, 0);
		buf_release(&cmd);
	}
	for (i = 0; i < r->nr_targets; i++) {
		struct buf cmd = BUF_INIT;
		if (!r->targets[i].cmd_ids.nr)
			continue;
		repro_command(&cmd, NULL, &r->targets[i].cmd_ids);
		fenced(out, "sh", cmd.ptr, 0);
		buf_release(&cmd);
	}
	buf_adds(out, "- Every test that passed before still passes.\n");
	if (r->carry.nr && !fix_touches_carried(r))
		buf_adds(out, "- The reproduction test is not part of this pull request.\n");
	buf_addf(out, "\nMade by pytest-fixer %s (`pytest-fixer reproduce`). Draft: review before "
		 "merging.\n", PF_VERSION);
	secret_redact(out);     /* the report and the pull request never quote a secret */
}
