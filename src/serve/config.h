#ifndef SERVE_CONFIG_H
#define SERVE_CONFIG_H

#include <stddef.h>

#include "util/strvec.h"

/*
 * The service's configuration: a YAML file (SERVE_CONFIG_DEFAULT) read into
 * a typed struct, and the secrets, which come only from the environment.
 *
 * A bad file is ERR_USAGE with a message naming the file, the line and the
 * key path: invalid config 'serve.yml': line 7: repositories[0].max_attempts:
 * 25 is out of range 1..20. Unknown keys, wrong types, duplicate keys,
 * anchors and aliases (no "billion laughs"), files over SERVE_CONFIG_MAX and
 * NUL bytes are all refused, and so is any key named like a secret (token,
 * secret, api_key, password): the message names the environment variable to
 * use instead.
 *
 * The struct owns every string in it; serve_config_release() frees them,
 * wiping the secrets first.
 */

#define SERVE_CONFIG_DEFAULT "pytest-fixer-serve.yml"
#define SERVE_CONFIG_MAX (1024 * 1024)
#define SERVE_CONFIG_MAX_DEPTH 16
/* entries in one mapping or list (duplicate keys are looked for pairwise) */
#define SERVE_CONFIG_MAX_ITEMS 1000

#define SERVE_DEFAULT_HOST "127.0.0.1"
#define SERVE_DEFAULT_PORT 8080
#define SERVE_DEFAULT_DATABASE "serve.db"
/* the database's environment variable: between --db and the file's `database:` */
#define SERVE_DATABASE_ENV "PYTEST_FIXER_DATABASE_URL"
#define SERVE_DEFAULT_WORKERS 2
#define SERVE_MAX_WORKERS 64
#define SERVE_MAX_POLL_SECONDS 86400
#define SERVE_DEFAULT_MAX_ATTEMPTS 3
#define SERVE_MAX_MAX_ATTEMPTS 20
#define SERVE_DEFAULT_THRESHOLD 0.8

enum serve_push {
	SERVE_PUSH_PULL_REQUEST = 0, /* a draft pull request into the failing PR's branch */
	SERVE_PUSH_COMMIT,           /* a commit on the failing PR's branch */
};

/* what one `serve` process does (--role, `role:`) */
enum serve_role {
	SERVE_ROLE_ALL = 0,          /* both */
	SERVE_ROLE_WEB,              /* the HTTP server and the --poll monitor, no worker */
	SERVE_ROLE_WORKER,           /* worker slots only, no HTTP (no port taken) */
};
/* "all", "web", "worker" */
const char *serve_role_name(enum serve_role role);
/* ERR_USAGE naming `name` and the roles when it is none of them */
int serve_role_parse(enum serve_role *out, const char *name);

struct serve_repo {
	char *name;                  /* "owner/name", unique */
	enum serve_push push;
	int max_attempts;            /* 1..SERVE_MAX_MAX_ATTEMPTS */
	double auto_fix_threshold;   /* 0..1 */
	struct strvec lint;          /* extra gates, command lines */
	int allow_forks;
};

struct serve_config {
	char *path;                  /* the file read, as given */
	char *host;
	int port;                    /* 0: any free one (the log line says which) */
	/*
	 * a SQLite file (a relative path resolved against the file's
	 * directory) or a postgres:// URL (serve/queue.h: queue_is_pg());
	 * a URL's password is registered as a secret by serve_config_from_env()
	 */
	char *database;
	enum serve_role role;
	int workers;                 /* 1..SERVE_MAX_WORKERS */
	int poll_seconds;            /* 0: no polling */
	struct serve_repo *repos;
	size_t repos_nr;
	char *telegram_chat_id;      /* NULL: no Telegram */
	char *webhook_url;           /* NULL: no webhook; http:// or https:// */
	int github_comment;
	char *engine, *model, *provider; /* NULL when absent, passed on as text */

	/* from the environment (serve_config_from_env()), NULL when unset or empty */
	char *webhook_secret;        /* GITHUB_WEBHOOK_SECRET */
	char *github_token;          /* GITHUB_TOKEN */
	char *telegram_token;        /* TELEGRAM_BOT_TOKEN */
	char *openai_key;            /* OPENAI_API_KEY */
	char *anthropic_key;         /* ANTHROPIC_API_KEY */
	char *github_api_url;        /* GITHUB_API_URL */
	char *telegram_api_url;      /* TELEGRAM_API_URL */
};

/* read the file at `path` into `out` (released first if it fails); the errors above */
int serve_config_load(struct serve_config *out, const char *path);
/*
 * The configuration of `serve` and `jobs`: the file at `path` (--config),
 * else SERVE_CONFIG_DEFAULT when it exists, else the defaults.
 */
int serve_config_load_default(struct serve_config *out, const char *path);
/*
 * The database named over the config's, or NULL: `flag` (--db), else
 * SERVE_DATABASE_ENV when set. Borrowed.
 */
const char *serve_database_override(const char *flag);
/*
 * The same for `len` bytes of `text` read from the file `name` (messages
 * name it; a relative database is resolved against its directory).
 */
int serve_config_parse(struct serve_config *out, const char *text, size_t len, const char *name);
/*
 * Read the secrets and base URLs above from the environment into `cfg` and
 * register the secrets (util/secret.h) so that they never print; the
 * database's too: the password of cfg->database's URL and PGPASSWORD are
 * registered, and PGPASSWORD and SERVE_DATABASE_ENV hidden from children
 * (the service passes them to its own, serve.c).
 */
int serve_config_from_env(struct serve_config *cfg);
/* the repository named `name`, or NULL */
const struct serve_repo *serve_config_repo(const struct serve_config *cfg, const char *name);
void serve_config_release(struct serve_config *cfg);

#endif
