/*
 * GitHub deliveries (src/serve/webhook.c): the signature, then the payload
 * of each watched event, what is ignored and what is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "serve/webhook.h"
#include "util/error.h"
#include "util/xalloc.h"

#define SECRET "It's a Secret to Everybody"
#define SHA "0123456789abcdef0123456789abcdef01234567"
#define DELIVERY "72d3162e-cc78-11e3-81ab-4c9367dc0958"

/* ---- the signature ---- */

static void hex_of(char out[2 * WEBHOOK_HMAC_SIZE + 1], const unsigned char mac[WEBHOOK_HMAC_SIZE])
{
	size_t i;

	for (i = 0; i < WEBHOOK_HMAC_SIZE; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
}

/* "sha256=<hex>" of <body, len> under `secret`, as GitHub sends it (the caller's) */
static char *sign(const char *secret, const void *body, size_t len)
{
	unsigned char mac[WEBHOOK_HMAC_SIZE];
	char hex[2 * WEBHOOK_HMAC_SIZE + 1], *out = xmalloc(sizeof(WEBHOOK_SIGNATURE_PREFIX) + sizeof(hex));

	assert_int_equal(webhook_hmac_sha256(mac, secret, strlen(secret), body, len), 0);
	hex_of(hex, mac);
	snprintf(out, sizeof(WEBHOOK_SIGNATURE_PREFIX) + sizeof(hex), "sha256=%s", hex);
	return out;
}

static void webhook__hmac_vectors(void **state)
{
	unsigned char mac[WEBHOOK_HMAC_SIZE];
	char hex[2 * WEBHOOK_HMAC_SIZE + 1];
	const char *rfc = "what do ya want for nothing?";

	(void)state;
	/* RFC 4231, test case 2 */
	assert_int_equal(webhook_hmac_sha256(mac, "Jefe", 4, rfc, strlen(rfc)), 0);
	hex_of(hex, mac);
	assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	/* GitHub's documented example, also `openssl dgst -sha256 -hmac` */
	assert_int_equal(webhook_verify(SECRET, "Hello, World!", 13,
					"sha256=757107ea0eb2509fc211221cce984b8a"
					"37570b6d7586c22c46f4379c8b043e17"), 0);
}

static void webhook__forged_and_malformed_signatures(void **state)
{
	const char *body = "{\"zen\":\"Keep it logically awesome.\"}";
	size_t len = strlen(body);
	char *good = sign(SECRET, body, len), *other = sign("another secret", body, len);
	char *forged = xstrdup(body), *upper = xstrdup(good);
	size_t i;

	(void)state;
	assert_int_equal(webhook_verify(SECRET, body, len, good), 0);
	/* one byte of the body changed */
	forged[3] = 'Z';
	assert_int_equal(webhook_verify(SECRET, forged, len, good), WEBHOOK_ERR_AUTH);
	assert_non_null(strstr(error_last(), "does not match"));
	assert_null(strstr(error_last(), SECRET));
	assert_int_equal(webhook_verify(SECRET, body, len - 1, good), WEBHOOK_ERR_AUTH);
	/* signed with another secret */
	assert_int_equal(webhook_verify(SECRET, body, len, other), WEBHOOK_ERR_AUTH);
	/* unsigned, wrong prefix, uppercase, short, long */
	assert_int_equal(webhook_verify(SECRET, body, len, NULL), WEBHOOK_ERR_AUTH);
	assert_non_null(strstr(error_last(), "no X-Hub-Signature-256"));
	assert_int_equal(webhook_verify(SECRET, body, len, good + 7), WEBHOOK_ERR_AUTH);
	assert_non_null(strstr(error_last(), "does not start with 'sha256='"));
	memcpy(upper, "sha1=", 5);
	assert_int_equal(webhook_verify(SECRET, body, len, upper), WEBHOOK_ERR_AUTH);
	strcpy(upper, good);
	for (i = 7; upper[i]; i++)
		if (upper[i] >= 'a' && upper[i] <= 'f')
			upper[i] = (char)(upper[i] - 'a' + 'A');
	assert_int_equal(webhook_verify(SECRET, body, len, upper), WEBHOOK_ERR_AUTH);
	assert_non_null(strstr(error_last(), "not lowercase hex"));
	strcpy(upper, good);
	upper[strlen(upper) - 1] = '\0';
	assert_int_equal(webhook_verify(SECRET, body, len, upper), WEBHOOK_ERR_AUTH);
	assert_non_null(strstr(error_last(), "not 64 hex digits"));
	/* an empty secret refuses everything, even what an empty key signs */
	free(other);
	other = sign("", body, len);
	assert_int_equal(webhook_verify("", body, len, other), WEBHOOK_ERR_AUTH);
	assert_non_null(strstr(error_last(), "no secret"));
	assert_int_equal(webhook_verify(NULL, body, len, good), WEBHOOK_ERR_AUTH);
	/* over the cap, before any HMAC */
	assert_int_equal(webhook_verify(SECRET, body, WEBHOOK_MAX_BODY + 1, good), ERR_LIMIT);
	free(good);
	free(other);
	free(forged);
	free(upper);
}

/* ---- payloads ---- */

static json_t *repository(void)
{
	return json_pack("{s:I, s:s, s:s}", "id", (json_int_t)1001, "full_name", "octo/calc",
			 "clone_url", "https://github.com/octo/calc.git");
}

static json_t *pull_request(long number, json_int_t head_repo, json_int_t base_repo)
{
	return json_pack("{s:i, s:{s:s, s:{s:I}}, s:{s:s, s:{s:I}}}", "number", (int)number,
			 "head", "ref", "fix", "repo", "id", head_repo,
			 "base", "ref", "main", "repo", "id", base_repo);
}

/* a delivery of `event` with conclusion `conclusion` */
static json_t *payload(const char *event, const char *action, const char *conclusion)
{
	json_t *run;

	if (!strcmp(event, "check_run"))
		run = json_pack("{s:I, s:s, s:s, s:s, s:{s:I, s:s}, s:[o]}", "id", (json_int_t)4242,
				"name", "tests", "head_sha", SHA, "conclusion", conclusion,
				"check_suite", "id", (json_int_t)77, "head_branch", "fix",
				"pull_requests", pull_request(12, 1001, 1001));
	else if (!strcmp(event, "check_suite"))
		run = json_pack("{s:I, s:s, s:s, s:s, s:{s:s}, s:[oo]}", "id", (json_int_t)77,
				"head_branch", "fix", "head_sha", SHA, "conclusion", conclusion,
				"app", "name", "GitHub Actions",
				"pull_requests", pull_request(12, 1001, 1001),
				pull_request(13, 1001, 1001));
	else
		run = json_pack("{s:I, s:s, s:s, s:s, s:s, s:{s:I}, s:[]}", "id", (json_int_t)9001,
				"name", "CI", "head_branch", "main", "head_sha", SHA,
				"conclusion", conclusion, "head_repository", "id", (json_int_t)1001,
				"pull_requests");
	assert_non_null(run);
	return json_pack("{s:s, s:o, s:o}", "action", action, event, run,
			 "repository", repository());
}

/* parse `doc` (stolen) as a delivery of `event`; the result of webhook_parse() */
static int parse(struct webhook_event *out, const char *event, json_t *doc)
{
	char *text = json_dumps(doc, JSON_COMPACT);
	int err;

	assert_non_null(text);
	json_decref(doc);
	err = webhook_parse(out, event, DELIVERY, text, strlen(text));
	free(text);
	return err;
}

static void webhook__check_run(void **state)
{
	struct webhook_event ev;

	(void)state;
	assert_int_equal(parse(&ev, "check_run", payload("check_run", "completed", "failure")), 0);
	assert_int_equal(ev.kind, WEBHOOK_CHECK_RUN);
	assert_string_equal(webhook_kind_name(ev.kind), "check_run");
	assert_string_equal(ev.delivery_id, DELIVERY);
	assert_string_equal(ev.event, "check_run");
	assert_string_equal(ev.repository, "octo/calc");
	assert_string_equal(ev.clone_url, "https://github.com/octo/calc.git");
	assert_string_equal(ev.head_sha, SHA);
	assert_string_equal(ev.head_branch, "fix");
	assert_string_equal(ev.check, "tests");
	assert_string_equal(ev.conclusion, "failure");
	assert_int_equal(ev.run_id, 4242);
	assert_int_equal(ev.pull_requests_nr, 1);
	assert_int_equal(ev.pull_request, 12);
	assert_int_equal(ev.fork, WEBHOOK_FORK_NO);
	assert_null(ev.ignored);
	webhook_event_release(&ev);

	assert_int_equal(parse(&ev, "check_run", payload("check_run", "completed", "timed_out")), 0);
	assert_int_equal(ev.kind, WEBHOOK_CHECK_RUN);
	assert_string_equal(ev.conclusion, "timed_out");
	webhook_event_release(&ev);
}

/* the suite and the workflow run: where each keeps its name, branch and pull requests */
static void webhook__check_suite_and_workflow_run(void **state)
{
	static const struct {
		const char *event;
		enum webhook_kind kind;
		const char *check, *branch;
		uint64_t run_id;
		size_t prs;
	} cases[] = {
		{ "check_suite", WEBHOOK_CHECK_SUITE, "GitHub Actions", "fix", 77, 2 },
		{ "workflow_run", WEBHOOK_WORKFLOW_RUN, "CI", "main", 9001, 0 },
	};
	struct webhook_event ev;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(&ev, cases[i].event,
				       payload(cases[i].event, "completed", "failure")), 0);
		assert_int_equal(ev.kind, cases[i].kind);
		assert_string_equal(webhook_kind_name(ev.kind), cases[i].event);
		assert_string_equal(ev.check, cases[i].check);
		assert_string_equal(ev.head_branch, cases[i].branch);
		assert_int_equal(ev.run_id, cases[i].run_id);
		assert_string_equal(ev.repository, "octo/calc");
		assert_string_equal(ev.head_sha, SHA);
		assert_int_equal(ev.pull_requests_nr, cases[i].prs);
		assert_int_equal(ev.pull_request, cases[i].prs ? 12 : 0);
		/* the suite's pull requests, the run's head repository: the same as the base */
		assert_int_equal(ev.fork, WEBHOOK_FORK_NO);
		if (cases[i].prs)
			assert_int_equal(ev.pull_requests[1], 13);
		else
			assert_null(ev.pull_requests);
		webhook_event_release(&ev);
	}
}

static void webhook__ignored(void **state)
{
	static const struct {
		const char *event, *action, *conclusion, *reason;
	} cases[] = {
		{ "check_run", "created", "failure", "action 'created' is not 'completed'" },
		{ "check_run", "rerequested", "failure", "action 'rerequested' is not 'completed'" },
		{ "check_run", "completed", "success", "conclusion 'success' is not a failure" },
		{ "check_suite", "completed", "cancelled", "conclusion 'cancelled' is not a failure" },
		{ "workflow_run", "completed", "timed_out", "conclusion 'timed_out' is not a failure" },
		{ "workflow_run", "requested", "failure", "action 'requested' is not 'completed'" },
	};
	struct webhook_event ev;
	json_t *doc;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(&ev, cases[i].event, payload(cases[i].event, cases[i].action,
								  cases[i].conclusion)), 0);
		assert_int_equal(ev.kind, WEBHOOK_IGNORED);
		assert_string_equal(ev.ignored, cases[i].reason);
		assert_null(ev.repository);
		webhook_event_release(&ev);
	}
	/* a ping, a push: not watched, whatever the body */
	assert_int_equal(parse(&ev, "ping", json_pack("{s:s}", "zen", "Design for failure.")), 0);
	assert_int_equal(ev.kind, WEBHOOK_IGNORED);
	assert_string_equal(ev.ignored, "event 'ping' is not watched");
	assert_string_equal(ev.delivery_id, DELIVERY);
	webhook_event_release(&ev);
	/* a run not finished yet has a null conclusion */
	doc = payload("check_run", "completed", "failure");
	json_object_set_new(json_object_get(doc, "check_run"), "conclusion", json_null());
	assert_int_equal(parse(&ev, "check_run", doc), 0);
	assert_string_equal(ev.ignored, "check_run has no conclusion");
	webhook_event_release(&ev);
}

static void webhook__forks(void **state)
{
	struct webhook_event ev;
	json_t *doc;

	(void)state;
	doc = payload("check_run", "completed", "failure");
	json_array_append_new(json_object_get(json_object_get(doc, "check_run"), "pull_requests"),
			      pull_request(14, 5555, 1001));
	assert_int_equal(parse(&ev, "check_run", doc), 0);
	assert_int_equal(ev.pull_requests_nr, 2);
	assert_int_equal(ev.fork, WEBHOOK_FORK_YES);
	webhook_event_release(&ev);

	doc = payload("workflow_run", "completed", "failure");
	json_object_set_new(json_object_get(json_object_get(doc, "workflow_run"), "head_repository"),
			    "id", json_integer(5555));
	assert_int_equal(parse(&ev, "workflow_run", doc), 0);
	assert_int_equal(ev.fork, WEBHOOK_FORK_YES);
	webhook_event_release(&ev);

	/* the payload does not say */
	doc = payload("check_suite", "completed", "failure");
	json_object_del(json_object_get(doc, "check_suite"), "pull_requests");
	assert_int_equal(parse(&ev, "check_suite", doc), 0);
	assert_int_equal(ev.fork, WEBHOOK_FORK_UNKNOWN);
	assert_int_equal(ev.pull_request, 0);
	webhook_event_release(&ev);
}

/* `doc` changed by `path` ("run.key" or "repository.key") set to `value` (stolen; NULL: deleted) */
static void expect_invalid(const char *event, const char *object, const char *key, json_t *value,
			   int code, const char *message)
{
	struct webhook_event ev;
	json_t *doc = payload(event, "completed", "failure");
	json_t *o = json_object_get(doc, object);

	if (value)
		json_object_set_new(o, key, value);
	else
		json_object_del(o, key);
	assert_int_equal(parse(&ev, event, doc), code);
	if (!strstr(error_last(), message))
		fail_msg("'%s' does not say '%s'", error_last(), message);
	webhook_event_release(&ev);
}

static void webhook__invalid_fields(void **state)
{
	char long_name[WEBHOOK_MAX_NAME + 2];

	(void)state;
	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	expect_invalid("check_run", "check_run", "head_sha", NULL, ERR_PARSE,
		       "'check_run.head_sha' is missing");
	expect_invalid("check_run", "check_run", "head_sha", json_string("abc"), ERR_PARSE,
		       "'check_run.head_sha' is not 40 hex digits");
	expect_invalid("check_run", "check_run", "head_sha",
		       json_string("0123456789ABCDEF0123456789abcdef01234567"), ERR_PARSE,
		       "not lowercase hex");
	expect_invalid("check_run", "check_run", "id", json_string("4242"), ERR_PARSE,
		       "'check_run.id' must be a positive integer, not a string");
	expect_invalid("check_run", "check_run", "name", json_string(long_name), ERR_PARSE,
		       "'check_run.name' is longer than 255 bytes");
	expect_invalid("check_run", "check_run", "name", json_string("a\033[2Jb"), ERR_PARSE,
		       "'check_run.name' has a control character at byte 1");
	expect_invalid("check_run", "check_run", "pull_requests", json_string("12"), ERR_PARSE,
		       "'check_run.pull_requests' must be an array");
	expect_invalid("check_run", "check_run", "pull_requests", json_pack("[{s:i}]", "number", 0),
		       ERR_PARSE, "'pull_requests[].number' must be a positive integer");
	expect_invalid("check_suite", "check_suite", "app", NULL, ERR_PARSE,
		       "'check_suite.app' is missing");
	expect_invalid("workflow_run", "workflow_run", "name", json_integer(3), ERR_PARSE,
		       "'workflow_run.name' must be a string, not an integer");
	expect_invalid("workflow_run", "repository", "full_name", json_string("octo"), ERR_PARSE,
		       "not of the form 'owner/name'");
	expect_invalid("workflow_run", "repository", "full_name", json_string("octo/../etc"),
		       ERR_PARSE, "not of the form 'owner/name'");
	expect_invalid("workflow_run", "repository", "full_name", json_string("octo/.."),
		       ERR_PARSE, "not of the form 'owner/name'");
	expect_invalid("workflow_run", "repository", "full_name", json_string("oc to/calc"),
		       ERR_PARSE, "not of the form 'owner/name'");
	expect_invalid("check_run", "repository", "clone_url", json_string("file:///etc"),
		       ERR_PARSE, "'repository.clone_url' is not an http(s) url");
	expect_invalid("check_run", "repository", "clone_url", NULL, ERR_PARSE,
		       "'repository.clone_url' is missing");
}

static void webhook__bad_bodies_and_headers(void **state)
{
	static const char nul[] = "{\"action\":\"completed\"}\0{}";
	static const char bad_utf8[] = "{\"action\":\"compl\xc3\x28ted\"}";
	struct webhook_event ev;
	char *big;

	(void)state;
	assert_int_equal(webhook_parse(&ev, "check_run", DELIVERY, nul, sizeof(nul) - 1), ERR_PARSE);
	assert_string_equal(error_last(), "invalid webhook payload: NUL byte at offset 22");
	webhook_event_release(&ev);
	assert_int_equal(webhook_parse(&ev, "check_run", DELIVERY, bad_utf8, strlen(bad_utf8)),
			 ERR_PARSE);
	assert_string_equal(error_last(), "invalid webhook payload: not valid UTF-8");
	webhook_event_release(&ev);
	/* an escaped NUL in a string (jansson without JSON_ALLOW_NUL) */
	assert_int_equal(webhook_parse(&ev, "check_run", DELIVERY, "{\"a\":\"x\\u0000\"}", 15),
			 ERR_PARSE);
	webhook_event_release(&ev);
	assert_int_equal(webhook_parse(&ev, "check_run", DELIVERY, "{\"a\":", 5), ERR_PARSE);
	assert_non_null(strstr(error_last(), "line 1"));
	webhook_event_release(&ev);
	assert_int_equal(webhook_parse(&ev, "check_run", DELIVERY, "[1]", 3), ERR_PARSE);
	assert_string_equal(error_last(), "invalid webhook payload: not an object");
	webhook_event_release(&ev);
	assert_int_equal(webhook_parse(&ev, "check_run", DELIVERY, "{\"a\":1,\"a\":2}", 13),
			 ERR_PARSE);
	webhook_event_release(&ev);
	/* headers */
	assert_int_equal(webhook_parse(&ev, NULL, DELIVERY, "{}", 2), ERR_PARSE);
	assert_non_null(strstr(error_last(), "no X-GitHub-Event header"));
	assert_int_equal(webhook_parse(&ev, "check_run", "", "{}", 2), ERR_PARSE);
	assert_non_null(strstr(error_last(), "no X-GitHub-Delivery header"));
	assert_int_equal(webhook_parse(&ev, "check_run", "id\n2", "{}", 2), ERR_PARSE);
	assert_int_equal(webhook_parse(&ev, "check run", DELIVERY, "{}", 2), ERR_PARSE);
	webhook_event_release(&ev);
	/* over the cap: refused before reading a byte */
	big = xmalloc(WEBHOOK_MAX_BODY + 1);
	memset(big, ' ', WEBHOOK_MAX_BODY + 1);
	big[0] = '{';
	assert_int_equal(webhook_parse(&ev, "check_run", DELIVERY, big, WEBHOOK_MAX_BODY + 1),
			 ERR_LIMIT);
	webhook_event_release(&ev);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(webhook__hmac_vectors),
		cmocka_unit_test(webhook__forged_and_malformed_signatures),
		cmocka_unit_test(webhook__check_run),
		cmocka_unit_test(webhook__check_suite_and_workflow_run),
		cmocka_unit_test(webhook__ignored),
		cmocka_unit_test(webhook__forks),
		cmocka_unit_test(webhook__invalid_fields),
		cmocka_unit_test(webhook__bad_bodies_and_headers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
