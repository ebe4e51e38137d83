#include "serve/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "serve/queue.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/secret.h"
#include "util/xalloc.h"

/* ---- the file as a tree of nodes, built from libyaml's events ---- */

enum node_type { NODE_SCALAR, NODE_SEQ, NODE_MAP };

struct node {
	enum node_type type;
	size_t line;              /* 1-based */
	char *str;                /* NODE_SCALAR */
	int plain;                /* an unquoted scalar */
	struct node **keys;       /* NODE_MAP: scalar keys, beside `items` */
	struct node **items;      /* NODE_SEQ and NODE_MAP values */
	size_t nr, alloc, keys_alloc;
};

static void node_free(struct node *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->nr; i++) {
		if (n->keys)
			node_free(n->keys[i]);
		node_free(n->items[i]);
	}
	free(n->keys);
	free(n->items);
	free(n->str);
	free(n);
}

/* what a parse needs: the file's name for messages */
struct cfg_parse {
	const char *name;
	yaml_parser_t yp;
};

static int cfg_error(const struct cfg_parse *cp, size_t line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int cfg_error(const struct cfg_parse *cp, size_t line, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;
	int code;

	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	if (line)
		code = error_setc(ERR_USAGE, "invalid config '%s': line %zu: %s", cp->name, line, msg.ptr);
	else
		code = error_setc(ERR_USAGE, "invalid config '%s': %s", cp->name, msg.ptr);
	buf_release(&msg);
	return code;
}

static int cfg_next(struct cfg_parse *cp, yaml_event_t *ev)
{
	const yaml_parser_t *p = &cp->yp;

	if (yaml_parser_parse(&cp->yp, ev))
		return 0;
	return cfg_error(cp, p->problem_mark.line + 1, "%s%s%s",
			 p->problem ? p->problem : "invalid YAML",
			 p->context ? " " : "", p->context ? p->context : "");
}

static int is_anchored(const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return ev->data.scalar.anchor != NULL;
	case YAML_SEQUENCE_START_EVENT:
		return ev->data.sequence_start.anchor != NULL;
	case YAML_MAPPING_START_EVENT:
		return ev->data.mapping_start.anchor != NULL;
	default:
		return 0;
	}
}

/* the node that starts with `ev` (not deleted here), into *out */
static int cfg_node(struct node **out, struct cfg_parse *cp, const yaml_event_t *ev, int depth)
{
	size_t line = ev->start_mark.line + 1;
	struct node *n, *child = NULL, *key = NULL;
	yaml_event_t e;
	int err;

	*out = NULL;
	if (ev->type == YAML_ALIAS_EVENT || is_anchored(ev))
		return cfg_error(cp, line, "YAML anchors and aliases are not allowed");
	if (ev->type != YAML_SCALAR_EVENT && ev->type != YAML_SEQUENCE_START_EVENT &&
	    ev->type != YAML_MAPPING_START_EVENT)
		return cfg_error(cp, line, "unexpected YAML");
	if (depth >= SERVE_CONFIG_MAX_DEPTH)
		return cfg_error(cp, line, "nested more than %d levels deep", SERVE_CONFIG_MAX_DEPTH);
	if (ev->type == YAML_SCALAR_EVENT && memchr(ev->data.scalar.value, '\0', ev->data.scalar.length))
		return cfg_error(cp, line, "a NUL character in a value");
	n = xcalloc(1, sizeof(*n));
	n->line = line;
	if (ev->type == YAML_SCALAR_EVENT) {
		n->type = NODE_SCALAR;
		n->str = xstrndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		*out = n;
		return 0;
	}
	n->type = ev->type == YAML_SEQUENCE_START_EVENT ? NODE_SEQ : NODE_MAP;
	for (;;) {
		if ((err = cfg_next(cp, &e)) < 0)
			goto fail;
		if (e.type == YAML_SEQUENCE_END_EVENT || e.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&e);
			*out = n;
			return 0;
		}
		if (n->nr >= SERVE_CONFIG_MAX_ITEMS) {
			err = cfg_error(cp, e.start_mark.line + 1, "more than %d entries in one %s",
					SERVE_CONFIG_MAX_ITEMS, n->type == NODE_MAP ? "mapping" : "list");
			yaml_event_delete(&e);
			goto fail;
		}
		if (n->type == NODE_MAP) {
			err = cfg_node(&key, cp, &e, depth + 1);
			yaml_event_delete(&e);
			if (err < 0)
				goto fail;
			if (key->type != NODE_SCALAR) {
				err = cfg_error(cp, key->line, "a key is not a string");
				goto fail;
			}
			if ((err = cfg_next(cp, &e)) < 0)
				goto fail;
		}
		err = cfg_node(&child, cp, &e, depth + 1);
		yaml_event_delete(&e);
		if (err < 0)
			goto fail;
		if (n->type == NODE_MAP) {
			ALLOC_GROW(n->keys, n->nr + 1, n->keys_alloc);
			n->keys[n->nr] = key;
			key = NULL;
		}
		ALLOC_GROW(n->items, n->nr + 1, n->alloc);
		n->items[n->nr++] = child;
		child = NULL;
	}
fail:
	node_free(key);
	node_free(n);
	return err;
}

/* the document in cp's parser: a mapping, or NULL for an empty file */
static int cfg_document(struct node **out, struct cfg_parse *cp)
{
	yaml_event_t ev;
	int err;

	*out = NULL;
	for (;;) {
		if ((err = cfg_next(cp, &ev)) < 0)
			return err;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		if (ev.type != YAML_STREAM_START_EVENT && ev.type != YAML_DOCUMENT_START_EVENT)
			break;
		yaml_event_delete(&ev);
	}
	err = cfg_node(out, cp, &ev, 0);
	yaml_event_delete(&ev);
	if (err < 0)
		return err;
	/* document end, then stream end: a second document is refused */
	if ((err = cfg_next(cp, &ev)) < 0)
		goto fail;
	yaml_event_delete(&ev);
	if ((err = cfg_next(cp, &ev)) < 0)
		goto fail;
	if (ev.type != YAML_STREAM_END_EVENT)
		err = cfg_error(cp, ev.start_mark.line + 1, "more than one YAML document");
	yaml_event_delete(&ev);
	if (err < 0)
		goto fail;
	if ((*out)->type != NODE_MAP) {
		err = cfg_error(cp, (*out)->line, "expected a mapping of keys to values");
		goto fail;
	}
	return 0;
fail:
	node_free(*out);
	*out = NULL;
	return err;
}

/* ---- checks over the whole tree: duplicate keys, secrets ---- */

static const char *const secret_words[] = { "token", "secret", "api_key", "apikey", "password", NULL };

/* the environment variable to use instead of the key `key` at `path`, or NULL if not a secret */
static const char *secret_env_for(const char *path, const char *key)
{
	char lower[64];
	size_t i;
	int hit = 0;

	for (i = 0; key[i] && i < sizeof(lower) - 1; i++)
		lower[i] = (char)tolower((unsigned char)key[i]);
	lower[i] = '\0';
	for (i = 0; secret_words[i]; i++)
		hit |= strstr(lower, secret_words[i]) != NULL;
	if (!hit)
		return NULL;
	if (strstr(path, "telegram") || strstr(lower, "telegram"))
		return "TELEGRAM_BOT_TOKEN";
	if (strstr(lower, "secret"))
		return "GITHUB_WEBHOOK_SECRET";
	if (strstr(lower, "key"))
		return "OPENAI_API_KEY or ANTHROPIC_API_KEY";
	if (strstr(lower, "token"))
		return "GITHUB_TOKEN";
	return "GITHUB_WEBHOOK_SECRET, GITHUB_TOKEN, TELEGRAM_BOT_TOKEN, OPENAI_API_KEY or ANTHROPIC_API_KEY";
}

static void path_push_key(struct buf *path, const char *key)
{
	if (path->len)
		buf_addch(path, '.');
	buf_adds(path, key);
}

static int cfg_check_keys(struct cfg_parse *cp, const struct node *n, struct buf *path)
{
	size_t i, j, at = path->len;
	const char *env;
	int err = 0;

	for (i = 0; i < n->nr && !err; i++) {
		if (n->type == NODE_MAP) {
			const struct node *k = n->keys[i];

			path_push_key(path, k->str);
			if ((env = secret_env_for(path->ptr, k->str)))
				err = cfg_error(cp, k->line, "%s: secrets are not read from the config file, "
						"set %s in the environment", path->ptr, env);
			for (j = 0; j < i && !err; j++)
				if (!strcmp(n->keys[j]->str, k->str))
					err = cfg_error(cp, k->line, "%s: duplicate key (first on line %zu)",
							path->ptr, n->keys[j]->line);
		} else {
			buf_addf(path, "[%zu]", i);
		}
		if (!err)
			err = cfg_check_keys(cp, n->items[i], path);
		buf_setlen(path, at);
	}
	return err;
}

/* ---- typed values ---- */

static const char *type_name(const struct node *n)
{
	return n->type == NODE_MAP ? "a mapping" : n->type == NODE_SEQ ? "a list" : "a scalar";
}

static int get_string(char **out, struct cfg_parse *cp, const struct node *n, const char *path)
{
	if (n->type != NODE_SCALAR)
		return cfg_error(cp, n->line, "%s: expected a string, not %s", path, type_name(n));
	if (n->plain && (!*n->str || !strcmp(n->str, "~") || !strcmp(n->str, "null")))
		return cfg_error(cp, n->line, "%s: expected a string, not null", path);
	if (!*n->str)
		return cfg_error(cp, n->line, "%s: is empty", path);
	free(*out);
	*out = xstrdup(n->str);
	return 0;
}

static int get_int(int *out, struct cfg_parse *cp, const struct node *n, const char *path, long min, long max)
{
	char *end;
	long v;

	if (n->type != NODE_SCALAR || !n->plain || !*n->str)
		return cfg_error(cp, n->line, "%s: expected an integer", path);
	errno = 0;
	v = strtol(n->str, &end, 10);
	if (end == n->str || *end || (!isdigit((unsigned char)n->str[0]) && n->str[0] != '-'))
		return cfg_error(cp, n->line, "%s: expected an integer, not '%s'", path, n->str);
	if (errno == ERANGE || v < min || v > max)
		return cfg_error(cp, n->line, "%s: %s is out of range %ld..%ld", path, n->str, min, max);
	*out = (int)v;
	return 0;
}

static int get_fraction(double *out, struct cfg_parse *cp, const struct node *n, const char *path)
{
	char *end;
	double v;

	if (n->type != NODE_SCALAR || !n->plain || !*n->str)
		return cfg_error(cp, n->line, "%s: expected a number", path);
	errno = 0;
	v = strtod(n->str, &end);
	if (end == n->str || *end || isspace((unsigned char)n->str[0]) || !isfinite(v))
		return cfg_error(cp, n->line, "%s: expected a number, not '%s'", path, n->str);
	if (errno == ERANGE || v < 0.0 || v > 1.0)
		return cfg_error(cp, n->line, "%s: %s is out of range 0..1", path, n->str);
	*out = v;
	return 0;
}

static int get_bool(int *out, struct cfg_parse *cp, const struct node *n, const char *path)
{
	if (n->type == NODE_SCALAR && n->plain &&
	    (!strcmp(n->str, "true") || !strcmp(n->str, "True") || !strcmp(n->str, "TRUE")))
		*out = 1;
	else if (n->type == NODE_SCALAR && n->plain &&
		 (!strcmp(n->str, "false") || !strcmp(n->str, "False") || !strcmp(n->str, "FALSE")))
		*out = 0;
	else
		return cfg_error(cp, n->line, "%s: expected true or false", path);
	return 0;
}

static int want_type(struct cfg_parse *cp, const struct node *n, enum node_type t, const char *path)
{
	if (n->type == t)
		return 0;
	return cfg_error(cp, n->line, "%s: expected %s, not %s", path,
			 t == NODE_MAP ? "a mapping" : "a list", type_name(n));
}

/*
 * The keys of a mapping, one table per section. A key's value is read by
 * its kind into the field at `offset` of `dst` (the section's struct): a
 * string, an integer in min..max, a fraction in 0..1, a boolean, a nested
 * mapping of the same struct (`sub`), or by its own function (`read`).
 */
enum cfg_kind { CFG_STRING, CFG_INT, CFG_FRACTION, CFG_BOOL, CFG_MAP, CFG_FN };

struct cfg_key {
	const char *name;
	enum cfg_kind kind;
	size_t offset;
	long min, max;
	const struct cfg_key *sub;
	int (*read)(void *dst, struct cfg_parse *cp, const struct node *v, const char *path);
	int required;
};

#define KEY_STRING(n, type, field) { .name = n, .kind = CFG_STRING, .offset = offsetof(type, field) }
#define KEY_INT(n, type, field, lo, hi) \
	{ .name = n, .kind = CFG_INT, .offset = offsetof(type, field), .min = lo, .max = hi }
#define KEY_FRACTION(n, type, field) { .name = n, .kind = CFG_FRACTION, .offset = offsetof(type, field) }
#define KEY_BOOL(n, type, field) { .name = n, .kind = CFG_BOOL, .offset = offsetof(type, field) }
#define KEY_MAP(n, keys) { .name = n, .kind = CFG_MAP, .sub = keys }
#define KEY_FN(n, fn) { .name = n, .kind = CFG_FN, .read = fn }
#define KEY_END { .name = NULL }

static int cfg_map(void *dst, struct cfg_parse *cp, const struct node *map, const char *path,
		   const struct cfg_key *keys);

static int cfg_value(void *dst, struct cfg_parse *cp, const struct cfg_key *k, const struct node *v,
		     const char *path)
{
	void *field = (char *)dst + k->offset;

	switch (k->kind) {
	case CFG_STRING:
		return get_string(field, cp, v, path);
	case CFG_INT:
		return get_int(field, cp, v, path, k->min, k->max);
	case CFG_FRACTION:
		return get_fraction(field, cp, v, path);
	case CFG_BOOL:
		return get_bool(field, cp, v, path);
	case CFG_MAP:
		return cfg_map(dst, cp, v, path, k->sub);
	case CFG_FN:
		break;
	}
	return k->read(dst, cp, v, path);
}

static int cfg_map(void *dst, struct cfg_parse *cp, const struct node *map, const char *path,
		   const struct cfg_key *keys)
{
	struct buf sub = BUF_INIT;
	const struct cfg_key *k;
	size_t i;
	int err = 0;

	if ((err = want_type(cp, map, NODE_MAP, *path ? path : "the file")) < 0)
		return err;
	for (i = 0; i < map->nr && !err; i++) {
		buf_reset(&sub);
		buf_adds(&sub, path);
		path_push_key(&sub, map->keys[i]->str);
		for (k = keys; k->name && strcmp(k->name, map->keys[i]->str); k++)
			;
		if (!k->name)
			err = cfg_error(cp, map->keys[i]->line, "%s: unknown key", sub.ptr);
		else
			err = cfg_value(dst, cp, k, map->items[i], sub.ptr);
	}
	for (k = keys; k->name && !err; k++) {
		for (i = 0; i < map->nr && strcmp(k->name, map->keys[i]->str); i++)
			;
		if (k->required && i == map->nr)
			err = cfg_error(cp, map->line, "%s%smissing required key '%s'", path,
					*path ? ": " : "", k->name);
	}
	buf_release(&sub);
	return err;
}

/* ---- repositories[] ---- */

static int valid_repo_name(const char *s)
{
	const char *slash = strchr(s, '/');
	const char *c;

	if (!slash || slash == s || !slash[1] || strchr(slash + 1, '/'))
		return 0;
	for (c = s; *c; c++)
		if (*c != '/' && !isalnum((unsigned char)*c) && !strchr("-_.", *c))
			return 0;
	return strcmp(slash + 1, ".") && strcmp(slash + 1, "..");
}

static int repo_name(void *dst, struct cfg_parse *cp, const struct node *v, const char *path)
{
	struct serve_repo *r = dst;
	int err;

	if ((err = get_string(&r->name, cp, v, path)) < 0)
		return err;
	if (!valid_repo_name(r->name))
		return cfg_error(cp, v->line, "%s: '%s' is not owner/name", path, r->name);
	return 0;
}

static int repo_push(void *dst, struct cfg_parse *cp, const struct node *v, const char *path)
{
	struct serve_repo *r = dst;

	if (v->type == NODE_SCALAR && !strcmp(v->str, "commit"))
		r->push = SERVE_PUSH_COMMIT;
	else if (v->type == NODE_SCALAR && !strcmp(v->str, "pull-request"))
		r->push = SERVE_PUSH_PULL_REQUEST;
	else
		return cfg_error(cp, v->line, "%s: expected commit or pull-request", path);
	return 0;
}

static int repo_lint(void *dst, struct cfg_parse *cp, const struct node *v, const char *path)
{
	struct serve_repo *r = dst;
	struct buf sub = BUF_INIT;
	char *cmd = NULL;
	size_t i;
	int err;

	if ((err = want_type(cp, v, NODE_SEQ, path)) < 0)
		return err;
	for (i = 0; i < v->nr && !err; i++) {
		buf_reset(&sub);
		buf_addf(&sub, "%s[%zu]", path, i);
		if ((err = get_string(&cmd, cp, v->items[i], sub.ptr)) == 0)
			strvec_push(&r->lint, cmd);
	}
	free(cmd);
	buf_release(&sub);
	return err;
}

static const struct cfg_key repo_keys[] = {
	{ .name = "name", .kind = CFG_FN, .read = repo_name, .required = 1 },
	KEY_FN("push", repo_push),
	KEY_INT("max_attempts", struct serve_repo, max_attempts, 1, SERVE_MAX_MAX_ATTEMPTS),
	KEY_FRACTION("auto_fix_threshold", struct serve_repo, auto_fix_threshold),
	KEY_FN("lint", repo_lint),
	KEY_BOOL("allow_forks", struct serve_repo, allow_forks),
	KEY_END,
};

static int top_repositories(void *dst, struct cfg_parse *cp, const struct node *v, const char *path)
{
	struct serve_config *c = dst;
	struct buf sub = BUF_INIT;
	size_t i, j;
	int err;

	if ((err = want_type(cp, v, NODE_SEQ, path)) < 0)
		return err;
	if (!v->nr)
		return cfg_error(cp, v->line, "%s: no repositories", path);
	c->repos = xcalloc(v->nr, sizeof(*c->repos));
	for (i = 0; i < v->nr && !err; i++) {
		struct serve_repo *r = &c->repos[i];

		*r = (struct serve_repo){
			.push = SERVE_PUSH_PULL_REQUEST,
			.max_attempts = SERVE_DEFAULT_MAX_ATTEMPTS,
			.auto_fix_threshold = SERVE_DEFAULT_THRESHOLD,
		};
		strvec_init(&r->lint);
		c->repos_nr = i + 1;
		buf_reset(&sub);
		buf_addf(&sub, "%s[%zu]", path, i);
		if ((err = cfg_map(r, cp, v->items[i], sub.ptr, repo_keys)) < 0)
			break;
		for (j = 0; j < i && !err; j++)
			if (!strcmp(c->repos[j].name, r->name))
				err = cfg_error(cp, v->items[i]->line, "%s.name: '%s' is listed twice",
						sub.ptr, r->name);
	}
	buf_release(&sub);
	return err;
}

/* ---- notify ---- */

static const struct cfg_key telegram_keys[] = {
	{ .name = "chat_id", .kind = CFG_STRING, .offset = offsetof(struct serve_config, telegram_chat_id),
	  .required = 1 },
	KEY_END,
};

static int webhook_url(void *dst, struct cfg_parse *cp, const struct node *v, const char *path)
{
	struct serve_config *c = dst;
	int err;

	if ((err = get_string(&c->webhook_url, cp, v, path)) < 0)
		return err;
	if ((strncmp(c->webhook_url, "http://", 7) || !c->webhook_url[7]) &&
	    (strncmp(c->webhook_url, "https://", 8) || !c->webhook_url[8]))
		return cfg_error(cp, v->line, "%s: '%s' is not an http:// or https:// URL", path,
				 c->webhook_url);
	return 0;
}

static const struct cfg_key webhook_keys[] = {
	{ .name = "url", .kind = CFG_FN, .read = webhook_url, .required = 1 },
	KEY_END,
};

static const struct cfg_key notify_keys[] = {
	KEY_MAP("telegram", telegram_keys),
	KEY_MAP("webhook", webhook_keys),
	KEY_BOOL("github_comment", struct serve_config, github_comment),
	KEY_END,
};

/* ---- the top level ---- */

static int top_listen(void *dst, struct cfg_parse *cp, const struct node *v, const char *path)
{
	struct serve_config *c = dst;
	struct node port = { .type = NODE_SCALAR, .plain = 1, .line = v->line };
	char *s = NULL, *colon, *host;
	int err;

	if ((err = get_string(&s, cp, v, path)) < 0)
		return err;
	colon = strrchr(s, ':');
	host = s;
	if (colon && s[0] == '[') {
		if (colon[-1] == ']') {
			host = s + 1;
			colon[-1] = '\0';
		} else {
			colon = NULL; /* "[::1" */
		}
	} else if (colon && memchr(s, ':', (size_t)(colon - s))) {
		colon = NULL; /* a bare IPv6 address needs brackets */
	}
	if (!colon || colon == host || !*host) {
		err = cfg_error(cp, v->line, "%s: expected host:port, not '%s'", path, v->str);
		goto done;
	}
	*colon = '\0';
	port.str = colon + 1;
	if ((err = get_int(&c->port, cp, &port, path, 0, 65535)) < 0)
		goto done;
	free(c->host);
	c->host = xstrdup(host);
done:
	free(s);
	return err;
}

static const char *const role_names[] = {
	[SERVE_ROLE_ALL] = "all",
	[SERVE_ROLE_WEB] = "web",
	[SERVE_ROLE_WORKER] = "worker",
};

const char *serve_role_name(enum serve_role role)
{
	if ((size_t)role >= sizeof(role_names) / sizeof(role_names[0]))
		return "all";
	return role_names[role];
}

int serve_role_parse(enum serve_role *out, const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++)
		if (!strcmp(name, role_names[i])) {
			*out = (enum serve_role)i;
			return 0;
		}
	return error_setc(ERR_USAGE, "role '%s': expected web, worker or all", name);
}

static int top_role(void *dst, struct cfg_parse *cp, const struct node *v, const char *path)
{
	struct serve_config *c = dst;
	char *s = NULL;
	int err;

	if ((err = get_string(&s, cp, v, path)) < 0)
		return err;
	if (serve_role_parse(&c->role, s) < 0)
		err = cfg_error(cp, v->line, "%s: '%s' is not web, worker or all", path, s);
	free(s);
	return err;
}

static const struct cfg_key top_keys[] = {
	KEY_FN("listen", top_listen),
	KEY_STRING("database", struct serve_config, database),
	KEY_FN("role", top_role),
	KEY_INT("workers", struct serve_config, workers, 1, SERVE_MAX_WORKERS),
	KEY_INT("poll", struct serve_config, poll_seconds, 0, SERVE_MAX_POLL_SECONDS),
	{ .name = "repositories", .kind = CFG_FN, .read = top_repositories, .required = 1 },
	KEY_MAP("notify", notify_keys),
	KEY_STRING("engine", struct serve_config, engine),
	KEY_STRING("model", struct serve_config, model),
	KEY_STRING("provider", struct serve_config, provider),
	KEY_END,
};

/* a relative database path, resolved against the directory of the file `name` (a URL is not) */
static void resolve_database(struct serve_config *c, const char *name)
{
	const char *slash = strrchr(name, '/');
	struct buf b = BUF_INIT;

	if (c->database[0] == '/' || !slash || queue_is_pg(c->database))
		return;
	buf_add(&b, name, (size_t)(slash - name) + 1);
	buf_adds(&b, c->database);
	free(c->database);
	c->database = buf_detach(&b, NULL);
}

int serve_config_parse(struct serve_config *out, const char *text, size_t len, const char *name)
{
	struct cfg_parse cp = { .name = name };
	struct buf path = BUF_INIT;
	struct node *root = NULL;
	int err;

	*out = (struct serve_config){
		.path = xstrdup(name),
		.host = xstrdup(SERVE_DEFAULT_HOST),
		.port = SERVE_DEFAULT_PORT,
		.database = xstrdup(SERVE_DEFAULT_DATABASE),
		.workers = SERVE_DEFAULT_WORKERS,
	};
	if (len > SERVE_CONFIG_MAX) {
		err = cfg_error(&cp, 0, "larger than %d bytes", SERVE_CONFIG_MAX);
		goto done;
	}
	if (memchr(text, '\0', len)) {
		err = cfg_error(&cp, 0, "it holds a NUL byte");
		goto done;
	}
	if (!yaml_parser_initialize(&cp.yp)) {
		err = error_set("cannot start the YAML parser");
		goto done;
	}
	yaml_parser_set_input_string(&cp.yp, (const unsigned char *)text, len);
	yaml_parser_set_encoding(&cp.yp, YAML_UTF8_ENCODING);
	err = cfg_document(&root, &cp);
	yaml_parser_delete(&cp.yp);
	if (err < 0)
		goto done;
	if (!root) {
		err = cfg_error(&cp, 0, "it is empty");
		goto done;
	}
	if ((err = cfg_check_keys(&cp, root, &path)) < 0 ||
	    (err = cfg_map(out, &cp, root, "", top_keys)) < 0)
		goto done;
	resolve_database(out, name);
done:
	node_free(root);
	buf_release(&path);
	if (err < 0)
		serve_config_release(out);
	return err;
}

int serve_config_load_default(struct serve_config *out, const char *path)
{
	if (path)
		return serve_config_load(out, path);
	if (fs_is_file(SERVE_CONFIG_DEFAULT))
		return serve_config_load(out, SERVE_CONFIG_DEFAULT);
	return serve_config_parse(out, "{}", 2, "(defaults)");
}

const char *serve_database_override(const char *flag)
{
	const char *env = getenv(SERVE_DATABASE_ENV);

	if (flag)
		return flag;
	return env && *env ? env : NULL;
}

int serve_config_load(struct serve_config *out, const char *path)
{
	struct buf text = BUF_INIT;
	int err;

	*out = (struct serve_config){ 0 };
	err = fs_read_file(&text, path, SERVE_CONFIG_MAX);
	if (err == ERR_LIMIT)
		err = error_setc(ERR_USAGE, "invalid config '%s': larger than %d bytes", path,
				 SERVE_CONFIG_MAX);
	else if (err == ERR_NOTFOUND)
		err = error_setc(ERR_USAGE, "cannot read config '%s': no such file", path);
	else if (err < 0)
		err = error_prefix(ERR_USAGE, "cannot read config '%s'", path);
	if (err == 0)
		err = serve_config_parse(out, text.ptr, text.len, path);
	buf_release(&text);
	return err;
}

/* ---- the environment ---- */

static char *env_value(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? xstrdup(v) : NULL;
}

int serve_config_from_env(struct serve_config *cfg)
{
	char **secrets[] = { &cfg->webhook_secret, &cfg->github_token, &cfg->telegram_token,
			     &cfg->openai_key, &cfg->anthropic_key };
	const char *names[] = { "GITHUB_WEBHOOK_SECRET", "GITHUB_TOKEN", "TELEGRAM_BOT_TOKEN",
				"OPENAI_API_KEY", "ANTHROPIC_API_KEY" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		free(*secrets[i]);
		*secrets[i] = env_value(names[i]);
		secret_add(*secrets[i]);
		secret_hide_env(names[i]);
	}
	free(cfg->github_api_url);
	free(cfg->telegram_api_url);
	cfg->github_api_url = env_value("GITHUB_API_URL");
	cfg->telegram_api_url = env_value("TELEGRAM_API_URL");
	secret_add_url(cfg->github_api_url);
	secret_add_url(cfg->telegram_api_url);
	/* the database's password: in its URL, or PGPASSWORD (libpq reads ~/.pgpass itself) */
	secret_add_url(cfg->database);
	secret_add(getenv("PGPASSWORD"));
	secret_hide_env("PGPASSWORD");
	secret_hide_env(SERVE_DATABASE_ENV);
	return 0;
}

const struct serve_repo *serve_config_repo(const struct serve_config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->repos_nr; i++)
		if (!strcmp(cfg->repos[i].name, name))
			return &cfg->repos[i];
	return NULL;
}

static void free_secret(char *s)
{
	if (s)
		explicit_bzero(s, strlen(s));
	free(s);
}

void serve_config_release(struct serve_config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->repos_nr; i++) {
		free(cfg->repos[i].name);
		strvec_clear(&cfg->repos[i].lint);
	}
	free(cfg->repos);
	free(cfg->path);
	free(cfg->host);
	free(cfg->database);
	free(cfg->telegram_chat_id);
	free(cfg->webhook_url);
	free(cfg->engine);
	free(cfg->model);
	free(cfg->provider);
	free_secret(cfg->webhook_secret);
	free_secret(cfg->github_token);
	free_secret(cfg->telegram_token);
	free_secret(cfg->openai_key);
	free_secret(cfg->anthropic_key);
	free_secret(cfg->github_api_url);
	free_secret(cfg->telegram_api_url);
	*cfg = (struct serve_config){ 0 };
}
