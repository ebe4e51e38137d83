#include "cli/cli.h"
#include "cli/fix_options.h"
#include "cli/options.h"
#include "fix/fix.h"
#include "serve/config.h"
#include "serve/serve.h"
#include "util/error.h"
#include "util/log.h"
#include "util/sig.h"
#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * pytest-fixer serve: the service (SPEC C10). The parent listens and
 * schedules; each job runs in a child, this same command with --run-job,
 * so that a job's crash, or a kill -9, costs only its lease.
 */

static const char serve_usage[] =
	"pytest-fixer serve [--config FILE] [--role web|worker|all] [--listen HOST:PORT]\n"
	"                          [--workers N] [--db PATH|URL] [--poll SECONDS]\n"
	"                          [--engine builtin|llm|command ...]";

/* "HOST:PORT", "[V6]:PORT" or ":PORT" into the config */
static int parse_listen(struct serve_config *cfg, const char *text)
{
	const char *colon = strrchr(text, ':');
	const char *host = text, *host_end = colon;
	char *end;
	long port;

	if (!colon)
		return error_setc(ERR_USAGE, "--listen '%s': expected HOST:PORT", text);
	port = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || port < 0 || port > 65535)
		return error_setc(ERR_USAGE, "--listen '%s': the port must be 0..65535", text);
	if (*host == '[') {
		if (host_end == host || host_end[-1] != ']')
			return error_setc(ERR_USAGE, "--listen '%s': a bracket is left open", text);
		host++;
		host_end--;
	}
	if (host_end > host) {
		free(cfg->host);
		cfg->host = strndup(host, (size_t)(host_end - host));
	}
	cfg->port = (int)port;
	return 0;
}

int cmd_serve(int argc, const char **argv, struct project *p)
{
	struct fix_options fo = FIX_OPTIONS_INIT;
	struct serve_config cfg;
	struct serve_options so;
	struct parsed_args pa = PARSED_ARGS_INIT;
	const char *config = NULL, *listen = NULL, *db = NULL, *run_job = NULL, *owner = NULL;
	const char *role = NULL, *fence = NULL, *over;
	int workers = 0, poll = -1, max_candidates = FIX_DEFAULT_MAX_CANDIDATES, err, code;
	double max_tokens = 0, lease = 0;
	enum serve_role the_role = SERVE_ROLE_ALL;

	memset(&cfg, 0, sizeof(cfg));
	{
		struct option opts[] = {
			{ OPT_STRING, "config", 'c', &config, "FILE", "the configuration (default " SERVE_CONFIG_DEFAULT " when it exists)" },
			{ OPT_STRING, "listen", 0, &listen, "HOST:PORT", "where the HTTP server listens (default 127.0.0.1:8080)" },
			{ OPT_INT, "workers", 0, &workers, "N", "jobs worked on at once (default 2)" },
			{ OPT_STRING, "role", 0, &role, "ROLE", "web (HTTP and --poll), worker (the queue's jobs) or all (default)" },
			{ OPT_STRING, "db", 0, &db, "PATH|URL", "the SQLite file or postgres:// URL (default $" SERVE_DATABASE_ENV ", else the config's, else serve.db)" },
			{ OPT_INT, "poll", 0, &poll, "SECONDS", "list failed workflow runs through the API every SECONDS (0: webhooks only)" },
			FIX_ENGINE_OPTIONS(fo, max_tokens),
			{ OPT_INT, "max-candidates", 0, &max_candidates, "N", "candidates tried per failure (default 60)" },
			{ OPT_DOUBLE, "timeout", 0, &fo.test_timeout, "SECONDS", "per-test time limit (default 120)" },
			{ OPT_DOUBLE, "lease", 0, &lease, "SECONDS", "how long a worker holds a job without renewing it (default 30)" },
			{ OPT_STRING, "run-job", 0, &run_job, "ID", NULL },
			{ OPT_STRING, "lease-owner", 0, &owner, "NAME", NULL },
			{ OPT_STRING, "fence", 0, &fence, "N", NULL },
			OPT_END_ENTRY,
		};

		if (cli_parse_options(&pa, opts, argc, argv, serve_usage, &code))
			goto done;
	}
	if (pa.positional.nr) {
		code = cli_exit_for_error(error_setc(ERR_USAGE, "serve takes no arguments ('%s')",
						     pa.positional.v[0]));
		goto done;
	}
	if (role && serve_role_parse(&the_role, role) < 0) {
		code = cli_exit_for_error(error_setc(ERR_USAGE, "--role '%s': expected web, worker "
						     "or all", role));
		goto done;
	}
	if ((err = serve_config_load_default(&cfg, config)) < 0 ||
	    (listen && (err = parse_listen(&cfg, listen)) < 0) ||
	    (err = fix_options_check(&fo, max_tokens, max_candidates)) < 0) {
		code = cli_exit_for_error(err);
		goto done;
	}
	if (workers) {
		if (workers < 1 || workers > SERVE_MAX_WORKERS) {
			code = cli_exit_for_error(error_setc(ERR_USAGE, "--workers %d: it must be 1..%d",
							     workers, SERVE_MAX_WORKERS));
			goto done;
		}
		cfg.workers = workers;
	}
	if (poll >= 0) {
		if (poll > SERVE_MAX_POLL_SECONDS) {
			code = cli_exit_for_error(error_setc(ERR_USAGE, "--poll %d: it must be 0..%d",
							     poll, SERVE_MAX_POLL_SECONDS));
			goto done;
		}
		cfg.poll_seconds = poll;
	}
	if (lease < 0 || (lease > 0 && lease < 1)) {
		code = cli_exit_for_error(error_setc(ERR_USAGE, "--lease %g: at least 1 second", lease));
		goto done;
	}
	if (role)
		cfg.role = the_role;
	/* --db, then the environment, then the config's `database:` (or serve.db) */
	if ((over = serve_database_override(db))) {
		free(cfg.database);
		cfg.database = xstrdup(over);
	}
	if (!fo.engine || !strcmp(fo.engine, "auto"))
		fo.engine = cfg.engine ? cfg.engine : "auto";
	if (!fo.llm.model && cfg.model)
		fo.llm.model = cfg.model;
	if (!fo.llm.provider && cfg.provider)
		fo.llm.provider = cfg.provider;
	serve_config_from_env(&cfg);
	if (log_current_level == LOG_WARN)   /* one line per event, unless -q */
		log_set_level(LOG_INFO);

	memset(&so, 0, sizeof(so));
	so.cfg = &cfg;
	so.fix = &fo;
	so.lease_s = lease > 0 ? lease : SERVE_LEASE_S;
	so.argc = argc;
	so.argv = argv;
	if (run_job) {
		char *end, *fence_end = NULL;
		long long id = strtoll(run_job, &end, 10);
		long long token = fence ? strtoll(fence, &fence_end, 10) : 0;

		if (*end || id <= 0 || !owner || !fence || *fence_end || token <= 0) {
			code = cli_exit_for_error(error_setc(ERR_USAGE, "--run-job needs a job id, "
							     "--lease-owner and --fence"));
			goto done;
		}
		err = serve_run_job(&so, id, owner, token);
	} else {
		err = serve_run(&so);
	}
	code = err < 0 ? cli_exit_for_error(err) : EXIT_OK;
done:
	serve_config_release(&cfg);
	parsed_args_release(&pa);
	(void)p;
	return code;
}
