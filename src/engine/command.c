/*
 * The command engine (declared in engine/engine.h): any coding agent's
 * command line proposes the change, our gates prove it.
 */
#include "engine/engine.h"

#include "engine/collect.h"
#include "runner/result_json.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/proc.h"
#include "util/secret.h"
#include "util/strvec.h"
#include "util/xalloc.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* the files a change's description names before "and N more" */
#define AGENT_DESCRIBED_FILES 5
/* characters of the agent's last line of output quoted in a reason */
#define AGENT_QUOTED_LINE 200

static void set_outcome(struct engine_exchange *x, const char *text)
{
	free(x->outcome);
	x->outcome = secret_redacted(text);
}

/* the failure as the agent reads it, secrets redacted */
static char *failure_text(const struct engine_request *req)
{
	json_t *j = failure_to_json(req->failure);
	char *text, *clean;

	json_object_set_new(j, "description", req->user_prompt ? json_string(req->user_prompt) :
			    json_null());
	json_object_set_new(j, "feedback", req->feedback ? json_string(req->feedback) : json_null());
	json_object_set_new(j, "previous_change", req->previous_change ?
			    json_string(req->previous_change) : json_null());
	text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(j);
	clean = secret_redacted(text ? text : "{}");
	free(text);
	return clean;
}

static void env_add(struct strvec *env, const char *name, const char *value)
{
	struct buf b = BUF_INIT;
	char *clean;

	if (!value)
		return;
	clean = secret_redacted(value);
	buf_addf(&b, "%s%s=%.*s", ENGINE_AGENT_ENV_PREFIX, name, (int)ENGINE_AGENT_ENV_MAX, clean);
	strvec_push(env, b.ptr);
	buf_release(&b);
	free(clean);
}

/* variables of ours that lead to the user's checkout: the agent does without them */
static const char *const unset_vars[] = {
	"OLDPWD", "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR",
	"GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES", NULL,
};

static void agent_env(struct strvec *env, const struct engine_request *req, const char *json_path,
		      const char *holder, const char *work)
{
	const struct failure *f = req->failure;
	struct buf loc = BUF_INIT;

	strvec_pushv(env, unset_vars);
	strvec_pushf(env, "PWD=%s", work);

	env_add(env, "ID", f->id);
	env_add(env, "FILE", f->file);
	env_add(env, "TEST", f->test);
	env_add(env, "KIND", failure_kind_name(f->kind));
	env_add(env, "ERROR_TYPE", f->error_type);
	env_add(env, "MESSAGE", f->message);
	if (f->loc_file) {
		buf_addf(&loc, "%s:%d", f->loc_file, f->loc_line);
		env_add(env, "LOCATION", loc.ptr);
	}
	env_add(env, "DESCRIPTION", req->user_prompt);
	env_add(env, "FEEDBACK", req->feedback);
	env_add(env, "JSON", json_path);
	/* git in the copy must not find the user's repository above it */
	strvec_pushf(env, "GIT_CEILING_DIRECTORIES=%s", holder);
	buf_release(&loc);
}

/* "the agent exited with 1: <its last line of output>" */
static void describe_failure(struct buf *out, const struct proc_result *res)
{
	const char *end = res->out.ptr + res->out.len, *line;

	buf_adds(out, "the agent ");
	proc_describe_exit(out, res);
	while (end > res->out.ptr && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	for (line = end; line > res->out.ptr && line[-1] != '\n'; line--)
		;
	if (end > line) {
		buf_adds(out, ": ");
		buf_add_printable(out, line, (size_t)(end - line) > AGENT_QUOTED_LINE ?
				  AGENT_QUOTED_LINE : (size_t)(end - line));
	}
}

static void describe_change(struct change *c)
{
	struct buf b = BUF_INIT;
	size_t i;

	buf_adds(&b, "the agent's change to ");
	for (i = 0; i < c->nr && i < AGENT_DESCRIBED_FILES; i++)
		buf_addf(&b, "%s%s", i ? ", " : "", c->edits[i].path);
	if (c->nr > AGENT_DESCRIBED_FILES)
		buf_addf(&b, " and %zu more", c->nr - AGENT_DESCRIBED_FILES);
	free(c->description);
	c->description = buf_detach(&b, NULL);
}

/*
 * Run the agent in a copy of req->root made in `holder`; 0 with `change`
 * holding what it changed (maybe nothing), or 0 with `why` saying why there
 * is no candidate; ERR_INTERRUPTED, or a code for what we could not do.
 */
static int run_agent(struct change *change, struct buf *why, struct engine_exchange *x,
		     const struct engine_request *req, const char *holder)
{
	const char *argv[] = { "/bin/sh", "-c", req->agent_cmd, NULL };
	struct proc_options po = PROC_OPTIONS_INIT;
	struct proc_result res = PROC_RESULT_INIT;
	struct buf work = BUF_INIT, json_path = BUF_INIT;
	struct strvec env = STRVEC_INIT;
	double timeout = req->agent_timeout > 0 ? req->agent_timeout : ENGINE_DEFAULT_AGENT_TIMEOUT;
	int err;

	buf_addf(&work, "%s/project", holder);
	buf_addf(&json_path, "%s/failure.json", holder);
	if ((err = fs_copy_tree(req->root, work.ptr, NULL)) < 0 ||
	    (err = fs_write_atomic(json_path.ptr, x->prompt, strlen(x->prompt), 0600)) < 0) {
		err = error_prefix(err, "cannot prepare the agent's copy of the project");
		goto done;
	}
	agent_env(&env, req, json_path.ptr, holder, work.ptr);
	po.argv = argv;
	po.env = &env;
	po.cwd = work.ptr;
	po.timeout_ms = (int)(timeout * 1000);
	po.merge_stderr = 1;
	po.out_cap = ENGINE_AGENT_OUTPUT_CAP;
	po.stdin_data = x->prompt;
	po.stdin_len = strlen(x->prompt);
	if ((err = proc_run(&res, &po)) < 0) {
		err = error_prefix(err, "cannot run the agent");
		goto done;
	}
	secret_redact(&res.out);
	x->reply = xstrdup(res.out.ptr);
	x->latency = res.elapsed;
	if (res.interrupted) {
		err = error_setc(ERR_INTERRUPTED, "interrupted");
		goto done;
	}
	if (res.timed_out || res.signal || res.exit_code) {
		describe_failure(why, &res);
		goto done;
	}
	if (collect_change(change, req->root, work.ptr) < 0) {
		buf_addf(why, "the agent's change is refused: %s", error_last());
		goto done;
	}
	if (!change->nr)
		buf_adds(why, "the agent changed nothing");
done:
	proc_result_release(&res);
	strvec_clear(&env);
	buf_release(&work);
	buf_release(&json_path);
	return err;
}

static int command_propose(struct candidate_list *out, const struct engine_request *req)
{
	struct engine_exchange own;
	struct engine_exchange *x = req->exchange ? req->exchange : &own;
	struct change change = CHANGE_INIT;
	struct buf holder = BUF_INIT, why = BUF_INIT;
	int err;

	if (!req->agent_cmd || !*req->agent_cmd)
		return error_setc(ERR_USAGE, "the command engine needs --agent-cmd");
	memset(&own, 0, sizeof(own));
	x->asked = 1;
	x->provider = xstrdup(ENGINE_AGENT_PROVIDER);
	x->model = secret_redacted(req->agent_cmd);
	x->prompt = failure_text(req);
	if ((err = fs_mkdtemp(&holder, "agent")) < 0)
		goto done;
	log_info("running the agent on '%s'", req->failure->id);
	if ((err = run_agent(&change, &why, x, req, holder.ptr)) < 0)
		goto done;
	if (why.len) {
		log_warn("no candidate for '%s': %s", req->failure->id, why.ptr);
		set_outcome(x, why.ptr);
	} else {
		struct candidate *c = candidate_list_add(out);
		size_t size = 0;

		describe_change(&change);
		change_release(&c->change);
		c->change = change;
		change_init(&change);
		c->template_name = xstrdup(ENGINE_AGENT_PROVIDER);
		if (change_size(&size, &c->change, req->root) == 0)
			c->size = size;
		c->score = 1.0;
		log_info("the agent proposes a change to %zu file%s", c->change.nr,
			 c->change.nr == 1 ? "" : "s");
		set_outcome(x, "proposed");
	}
done:
	if (err < 0 && err != ERR_INTERRUPTED)
		set_outcome(x, error_last());
	if (holder.len && fs_remove_tree(holder.ptr) < 0)
		log_warn("%s", error_last());
	if (x == &own)
		engine_exchange_release(&own);
	change_release(&change);
	buf_release(&holder);
	buf_release(&why);
	return err;
}

const struct engine_ops engine_command = {
	.name = "command",
	.propose = command_propose,
	.asks_again = 1,
};
