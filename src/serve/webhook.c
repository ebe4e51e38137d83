#include "serve/webhook.h"

#include "util/buf.h"
#include "util/error.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

/* --- the signature ---------------------------------------------------- */

int webhook_hmac_sha256(unsigned char out[WEBHOOK_HMAC_SIZE], const void *key, size_t key_len,
			const void *data, size_t len)
{
	unsigned int out_len = 0;

	if (key_len > INT_MAX)
		return error_setc(ERR_LIMIT, "cannot compute hmac: key of %zu bytes", key_len);
	if (!HMAC(EVP_sha256(), key, (int)key_len, data, len, out, &out_len) ||
	    out_len != WEBHOOK_HMAC_SIZE)
		return error_set("cannot compute hmac: libcrypto failed");
	return 0;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1; /* uppercase too: GitHub sends lowercase */
}

int webhook_verify(const char *secret, const void *body, size_t len,
		   const char *signature_header)
{
	static const size_t prefix_len = sizeof(WEBHOOK_SIGNATURE_PREFIX) - 1;
	unsigned char want[WEBHOOK_HMAC_SIZE], got[WEBHOOK_HMAC_SIZE];
	const char *hex;
	size_t i;
	int err;

	if (!secret || !*secret)
		return error_setc(WEBHOOK_ERR_AUTH, "webhook refused: no secret is configured");
	if (len > WEBHOOK_MAX_BODY)
		return error_setc(ERR_LIMIT, "webhook refused: body of %zu bytes is over %u",
				  len, WEBHOOK_MAX_BODY);
	if (!signature_header)
		return error_setc(WEBHOOK_ERR_AUTH, "webhook refused: no X-Hub-Signature-256 header");
	if (strncmp(signature_header, WEBHOOK_SIGNATURE_PREFIX, prefix_len))
		return error_setc(WEBHOOK_ERR_AUTH,
				  "webhook refused: X-Hub-Signature-256 does not start with '%s'",
				  WEBHOOK_SIGNATURE_PREFIX);
	hex = signature_header + prefix_len;
	if (strlen(hex) != 2 * WEBHOOK_HMAC_SIZE)
		return error_setc(WEBHOOK_ERR_AUTH,
				  "webhook refused: X-Hub-Signature-256 is not %d hex digits",
				  2 * WEBHOOK_HMAC_SIZE);
	for (i = 0; i < WEBHOOK_HMAC_SIZE; i++) {
		int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return error_setc(WEBHOOK_ERR_AUTH,
					  "webhook refused: X-Hub-Signature-256 is not lowercase hex");
		got[i] = (unsigned char)(hi << 4 | lo);
	}
	if ((err = webhook_hmac_sha256(want, secret, strlen(secret), body, len)) < 0)
		return err;
	err = 0;
	if (CRYPTO_memcmp(want, got, sizeof(want)))
		err = error_setc(WEBHOOK_ERR_AUTH,
				 "webhook refused: X-Hub-Signature-256 does not match the body");
	OPENSSL_cleanse(want, sizeof(want));
	return err;
}

/* --- validation of the payload's strings --------------------------------- */

#define PAYLOAD "invalid webhook payload"

/* <s, len> has 1..max bytes and no control character */
static int check_text(const char *s, size_t len, size_t max, const char *where, const char *key)
{
	size_t i;

	if (!len)
		return error_setc(ERR_PARSE, PAYLOAD ": '%s.%s' is empty", where, key);
	if (len > max)
		return error_setc(ERR_PARSE, PAYLOAD ": '%s.%s' is longer than %zu bytes",
				  where, key, max);
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return error_setc(ERR_PARSE,
					  PAYLOAD ": '%s.%s' has a control character at byte %zu",
					  where, key, i);
	return 0;
}

/* every byte of <s, len> is alphanumeric or in `extra` */
static int all_of(const char *s, size_t len, const char *extra)
{
	size_t i;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      (c && strchr(extra, c))))
			return 0;
	}
	return 1;
}

static int check_repository(const char *s, size_t len)
{
	const char *slash = memchr(s, '/', len);
	size_t owner = slash ? (size_t)(slash - s) : 0, name = slash ? len - owner - 1 : 0;

	if (!slash || !owner || owner > WEBHOOK_MAX_OWNER || !all_of(s, owner, "-") ||
	    !name || name > WEBHOOK_MAX_REPO_NAME || !all_of(slash + 1, name, "._-") ||
	    !strcmp(slash + 1, ".") || !strcmp(slash + 1, ".."))
		return error_setc(ERR_PARSE,
				  PAYLOAD ": 'repository.full_name' is not of the form 'owner/name'");
	return 0;
}

static int check_sha(const char *s, size_t len, const char *where)
{
	size_t i;

	if (len != WEBHOOK_SHA_HEX)
		return error_setc(ERR_PARSE, PAYLOAD ": '%s.head_sha' is not %d hex digits",
				  where, WEBHOOK_SHA_HEX);
	for (i = 0; i < len; i++)
		if (hex_value(s[i]) < 0)
			return error_setc(ERR_PARSE, PAYLOAD ": '%s.head_sha' is not lowercase hex",
					  where);
	return 0;
}

static int check_url(const char *s, size_t len)
{
	if (strncmp(s, "https://", 8) && strncmp(s, "http://", 7))
		return error_setc(ERR_PARSE,
				  PAYLOAD ": 'repository.clone_url' is not an http(s) url");
	if (memchr(s, ' ', len))
		return error_setc(ERR_PARSE, PAYLOAD ": 'repository.clone_url' has a space");
	return 0;
}

/* --- reading the payload ----------------------------------------------- */

static const char *json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

static int get_object(json_t **out, json_t *o, const char *where, const char *key)
{
	*out = json_object_get(o, key);
	if (!*out)
		return error_setc(ERR_PARSE, PAYLOAD ": '%s.%s' is missing", where, key);
	if (!json_is_object(*out))
		return error_setc(ERR_PARSE, PAYLOAD ": '%s.%s' must be an object, not %s",
				  where, key, json_kind(*out));
	return 0;
}

/*
 * The string o[key] into `out` (a borrowed pointer), checked by check_text():
 * NULL when absent or null and `optional`, else ERR_PARSE
 */
static int get_string(const char **out, size_t *len_out, json_t *o, const char *where,
		      const char *key, size_t max, int optional)
{
	json_t *v = json_object_get(o, key);
	int err;

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (optional)
			return 0;
		return error_setc(ERR_PARSE, PAYLOAD ": '%s.%s' is missing", where, key);
	}
	if (!json_is_string(v))
		return error_setc(ERR_PARSE, PAYLOAD ": '%s.%s' must be a string, not %s",
				  where, key, json_kind(v));
	if ((err = check_text(json_string_value(v), json_string_length(v), max, where, key)) < 0)
		return err;
	*out = json_string_value(v);
	if (len_out)
		*len_out = json_string_length(v);
	return 0;
}

/* a copy of o[key], checked as get_string() does */
static int dup_string(char **out, json_t *o, const char *where, const char *key, size_t max,
		      int optional)
{
	const char *s;
	int err = get_string(&s, NULL, o, where, key, max, optional);

	if (err == 0 && s)
		*out = xstrdup(s);
	return err;
}

/* a positive integer o[key]; 0 when absent and `optional` */
static int get_id(json_int_t *out, json_t *o, const char *where, const char *key, int optional)
{
	json_t *v = json_object_get(o, key);

	*out = 0;
	if (!v && optional)
		return 0;
	if (!v)
		return error_setc(ERR_PARSE, PAYLOAD ": '%s.%s' is missing", where, key);
	if (!json_is_integer(v) || json_integer_value(v) <= 0)
		return error_setc(ERR_PARSE, PAYLOAD ": '%s.%s' must be a positive integer, not %s",
				  where, key, json_kind(v));
	*out = json_integer_value(v);
	return 0;
}

/* the id of o[key].id (a repository), 0 when the payload does not say */
static json_int_t repo_id(json_t *o, const char *key)
{
	json_t *repo = json_object_get(o, key), *id = json_object_get(repo, "id");

	return json_is_integer(id) && json_integer_value(id) > 0 ? json_integer_value(id) : 0;
}

/* a head repository `head` against the base `base` (0: unknown) */
static void note_fork(struct webhook_event *ev, json_int_t head, json_int_t base)
{
	if (!head || !base)
		return;
	if (head != base)
		ev->fork = WEBHOOK_FORK_YES;
	else if (ev->fork == WEBHOOK_FORK_UNKNOWN)
		ev->fork = WEBHOOK_FORK_NO;
}

static int read_pull_requests(struct webhook_event *ev, json_t *run, const char *where)
{
	json_t *prs = json_object_get(run, "pull_requests"), *pr;
	size_t i;
	int err;

	if (!prs || json_is_null(prs))
		return 0;
	if (!json_is_array(prs))
		return error_setc(ERR_PARSE, PAYLOAD ": '%s.pull_requests' must be an array, not %s",
				  where, json_kind(prs));
	if (json_array_size(prs) > WEBHOOK_MAX_PULL_REQUESTS)
		return error_setc(ERR_LIMIT, PAYLOAD ": '%s.pull_requests' has over %d entries",
				  where, WEBHOOK_MAX_PULL_REQUESTS);
	if (!json_array_size(prs))
		return 0;
	ev->pull_requests = xcalloc(json_array_size(prs), sizeof(*ev->pull_requests));
	json_array_foreach(prs, i, pr) {
		json_int_t number;

		if (!json_is_object(pr))
			return error_setc(ERR_PARSE,
					  PAYLOAD ": '%s.pull_requests[%zu]' must be an object, not %s",
					  where, i, json_kind(pr));
		if ((err = get_id(&number, pr, "pull_requests[]", "number", 0)) < 0)
			return err;
		if (number > LONG_MAX)
			return error_setc(ERR_PARSE, PAYLOAD ": pull request number is too large");
		ev->pull_requests[ev->pull_requests_nr++] = (long)number;
		note_fork(ev, repo_id(json_object_get(pr, "head"), "repo"),
			  repo_id(json_object_get(pr, "base"), "repo"));
	}
	ev->pull_request = ev->pull_requests[0];
	return 0;
}

/* each watched event: where its run is, its name, and the conclusions to work on */
static const struct watched {
	const char *event;
	enum webhook_kind kind;
	const char *conclusions[3];
} watched[] = {
	{ "check_run", WEBHOOK_CHECK_RUN, { "failure", "timed_out", NULL } },
	{ "check_suite", WEBHOOK_CHECK_SUITE, { "failure", "timed_out", NULL } },
	{ "workflow_run", WEBHOOK_WORKFLOW_RUN, { "failure", NULL } },
};

static const struct watched *watched_find(const char *event)
{
	size_t i;

	for (i = 0; i < sizeof(watched) / sizeof(watched[0]); i++)
		if (!strcmp(watched[i].event, event))
			return &watched[i];
	return NULL;
}

__attribute__((format(printf, 2, 3)))
static int ignore(struct webhook_event *ev, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	ev->kind = WEBHOOK_IGNORED;
	ev->ignored = buf_detach(&b, NULL);
	return 0;
}

/* the run object's fields, by kind */
static int read_run(struct webhook_event *ev, const struct watched *w, json_t *root, json_t *run)
{
	const char *where = w->event, *s;
	json_t *repo, *sub;
	json_int_t id;
	size_t len;
	int err;

	if ((err = get_object(&repo, root, "payload", "repository")) < 0 ||
	    (err = get_string(&s, &len, repo, "repository", "full_name",
			      WEBHOOK_MAX_OWNER + 1 + WEBHOOK_MAX_REPO_NAME, 0)) < 0 ||
	    (err = check_repository(s, len)) < 0)
		return err;
	ev->repository = xstrdup(s);
	if ((err = get_string(&s, &len, repo, "repository", "clone_url", WEBHOOK_MAX_URL, 0)) < 0 ||
	    (err = check_url(s, len)) < 0)
		return err;
	ev->clone_url = xstrdup(s);
	if ((err = get_string(&s, &len, run, where, "head_sha", WEBHOOK_MAX_NAME, 0)) < 0 ||
	    (err = check_sha(s, len, where)) < 0)
		return err;
	ev->head_sha = xstrdup(s);
	if ((err = get_id(&id, run, where, "id", 0)) < 0)
		return err;
	ev->run_id = (uint64_t)id;

	switch (w->kind) {
	case WEBHOOK_CHECK_RUN:
		/* the branch is the suite's */
		sub = json_object_get(run, "check_suite");
		if (json_is_object(sub) &&
		    (err = dup_string(&ev->head_branch, sub, "check_run.check_suite", "head_branch",
				      WEBHOOK_MAX_NAME, 1)) < 0)
			return err;
		err = dup_string(&ev->check, run, where, "name", WEBHOOK_MAX_NAME, 0);
		break;
	case WEBHOOK_CHECK_SUITE:
		if ((err = dup_string(&ev->head_branch, run, where, "head_branch",
				      WEBHOOK_MAX_NAME, 1)) < 0 ||
		    (err = get_object(&sub, run, where, "app")) < 0)
			return err;
		err = dup_string(&ev->check, sub, "check_suite.app", "name", WEBHOOK_MAX_NAME, 0);
		break;
	default:
		if ((err = dup_string(&ev->head_branch, run, where, "head_branch",
				      WEBHOOK_MAX_NAME, 1)) < 0)
			return err;
		err = dup_string(&ev->check, run, where, "name", WEBHOOK_MAX_NAME, 0);
		note_fork(ev, repo_id(run, "head_repository"), repo_id(root, "repository"));
		break;
	}
	if (err < 0)
		return err;
	return read_pull_requests(ev, run, where);
}

static int check_header(const char *value, const char *name, const char *extra)
{
	size_t len = value ? strlen(value) : 0;

	if (!len)
		return error_setc(ERR_PARSE, "invalid webhook delivery: no %s header", name);
	if (len > WEBHOOK_MAX_HEADER || !all_of(value, len, extra))
		return error_setc(ERR_PARSE,
				  "invalid webhook delivery: %s is not up to %d letters, digits or '%s'",
				  name, WEBHOOK_MAX_HEADER, extra);
	return 0;
}

int webhook_parse(struct webhook_event *out, const char *event_header, const char *delivery_id,
		  const void *body, size_t len)
{
	const struct watched *w;
	json_error_t jerr;
	json_t *root = NULL, *run;
	const char *action, *conclusion, *nul;
	size_t i;
	int err;

	*out = (struct webhook_event)WEBHOOK_EVENT_INIT;
	if (len > WEBHOOK_MAX_BODY)
		return error_setc(ERR_LIMIT, "webhook body of %zu bytes is over %u", len,
				  WEBHOOK_MAX_BODY);
	if ((err = check_header(event_header, "X-GitHub-Event", "_")) < 0 ||
	    (err = check_header(delivery_id, "X-GitHub-Delivery", "-")) < 0)
		return err;
	out->event = xstrdup(event_header);
	out->delivery_id = xstrdup(delivery_id);
	if ((nul = memchr(body, 0, len)))
		return error_setc(ERR_PARSE, PAYLOAD ": NUL byte at offset %zu",
				  (size_t)(nul - (const char *)body));
	if (!utf8_is_valid(body, len))
		return error_setc(ERR_PARSE, PAYLOAD ": not valid UTF-8");
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return error_setc(ERR_PARSE, PAYLOAD ": line %d, column %d: %s",
				  jerr.line, jerr.column, jerr.text);
	if (!json_is_object(root)) {
		err = error_setc(ERR_PARSE, PAYLOAD ": not an object");
		goto done;
	}
	if (!(w = watched_find(event_header))) {
		err = ignore(out, "event '%s' is not watched", event_header);
		goto done;
	}
	if ((err = get_string(&action, NULL, root, "payload", "action", WEBHOOK_MAX_NAME, 0)) < 0)
		goto done;
	if (strcmp(action, "completed")) {
		err = ignore(out, "action '%s' is not 'completed'", action);
		goto done;
	}
	if ((err = get_object(&run, root, "payload", w->event)) < 0 ||
	    (err = get_string(&conclusion, NULL, run, w->event, "conclusion",
			      WEBHOOK_MAX_NAME, 1)) < 0)
		goto done;
	if (!conclusion) {
		err = ignore(out, "%s has no conclusion", w->event);
		goto done;
	}
	for (i = 0; w->conclusions[i] && strcmp(w->conclusions[i], conclusion); i++)
		;
	if (!w->conclusions[i]) {
		err = ignore(out, "conclusion '%s' is not a failure", conclusion);
		goto done;
	}
	out->conclusion = xstrdup(conclusion);
	out->kind = w->kind;
	err = read_run(out, w, root, run);
done:
	json_decref(root);
	return err;
}

void webhook_event_release(struct webhook_event *ev)
{
	free(ev->ignored);
	free(ev->delivery_id);
	free(ev->event);
	free(ev->repository);
	free(ev->clone_url);
	free(ev->head_sha);
	free(ev->head_branch);
	free(ev->check);
	free(ev->conclusion);
	free(ev->pull_requests);
	*ev = (struct webhook_event)WEBHOOK_EVENT_INIT;
}

const char *webhook_kind_name(enum webhook_kind kind)
{
	switch (kind) {
	case WEBHOOK_CHECK_RUN: return "check_run";
	case WEBHOOK_CHECK_SUITE: return "check_suite";
	case WEBHOOK_WORKFLOW_RUN: return "workflow_run";
	default: return "ignored";
	}
}
