#define _GNU_SOURCE

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/buf.h"
#include "util/error.h"
#include "util/log.h"
#include "util/proc.h"
#include "util/secret.h"
#include "util/strvec.h"

#define KEY "pf-key-0123456789abcdef"
#define TOKEN "ghp_token_ABCDEFGHIJ"

static int teardown(void **state)
{
	secret_clear();
	return 0;
}

static void secret__find_and_redact(void **state)
{
	struct buf b = BUF_INIT;
	const char *text = "x = '" KEY "'; y = '" TOKEN "' and " KEY;
	char *clean;

	assert_null(secret_find(text, strlen(text)));
	assert_int_equal(secret_add(KEY), 1);
	assert_int_equal(secret_add(TOKEN), 1);
	assert_ptr_equal(secret_find(text, strlen(text)), strstr(text, KEY));
	/* only within the bytes given */
	assert_null(secret_find(text, 8));
	buf_adds(&b, text);
	assert_int_equal(secret_redact(&b), 3);
	assert_string_equal(b.ptr, "x = '" SECRET_REDACTED "'; y = '" SECRET_REDACTED "' and "
			    SECRET_REDACTED);
	clean = secret_redacted(text);
	assert_string_equal(clean, b.ptr);
	free(clean);
	assert_null(secret_redacted(NULL));
	buf_release(&b);
}

static void secret__short_values_are_not_secrets(void **state)
{
	const char *text = "a test of the admin page";

	assert_int_equal(secret_add("test"), 0);
	assert_int_equal(secret_add("admin"), 0);
	assert_int_equal(secret_add(""), 0);
	assert_int_equal(secret_add(NULL), 0);
	assert_null(secret_find(text, strlen(text)));
}

static void secret__password_of_a_url(void **state)
{
	const char *text = "connecting with p@ss:word-9 now";

	assert_int_equal(secret_add_url("http://user:p@ss:word-9@host:8080/v1?x=1"), 1);
	assert_non_null(secret_find(text, strlen(text)));
	assert_int_equal(secret_add_url("http://user@host/v1"), 0);
	assert_int_equal(secret_add_url("http://host/v1?a=b@c"), 0);
	assert_int_equal(secret_add_url("http://user:short@host/"), 0);
	assert_int_equal(secret_add_url(NULL), 0);
}

static void secret__messages_and_logs_are_redacted(void **state)
{
	secret_add(KEY);
	error_set("cannot reach 'http://host/?key=%s'", KEY);
	assert_null(strstr(error_last(), KEY));
	assert_non_null(strstr(error_last(), SECRET_REDACTED));
	error_prefix(-1, "while asking with %s", KEY);
	assert_null(strstr(error_last(), KEY));
}

static void secret__environment_of_children(void **state)
{
	const char *const argv[] = { "/bin/sh", "-c", "env", NULL };
	struct proc_options po = PROC_OPTIONS_INIT;
	struct proc_result res = PROC_RESULT_INIT;
	struct strvec env = STRVEC_INIT;

	setenv("OPENAI_API_KEY", KEY, 1);
	setenv("GITHUB_TOKEN", "short", 1);
	setenv("TELEGRAM_BOT_TOKEN", TOKEN, 1);
	setenv("MY_COPY_OF_THE_KEY", "prefix-" KEY, 1);
	setenv("PF_UNRELATED", "kept", 1);
	secret_add_env();
	secret_add(KEY);
	secret_pass_env("TELEGRAM_BOT_TOKEN");
	assert_int_equal(secret_env_hidden("OPENAI_API_KEY=" KEY), 1);
	assert_int_equal(secret_env_hidden("GITHUB_TOKEN=short"), 1);
	assert_int_equal(secret_env_hidden("MY_COPY_OF_THE_KEY=prefix-" KEY), 1);
	assert_int_equal(secret_env_hidden("TELEGRAM_BOT_TOKEN=" TOKEN), 0);
	assert_int_equal(secret_env_hidden("PF_UNRELATED=kept"), 0);

	strvec_push(&env, "PF_ADDED=yes");
	po.argv = argv;
	po.env = &env;
	assert_int_equal(proc_run(&res, &po), 0);
	assert_int_equal(res.exit_code, 0);
	assert_null(strstr(res.out.ptr, "OPENAI_API_KEY"));
	assert_null(strstr(res.out.ptr, "GITHUB_TOKEN"));
	assert_null(strstr(res.out.ptr, KEY));
	assert_non_null(strstr(res.out.ptr, "TELEGRAM_BOT_TOKEN=" TOKEN));
	assert_non_null(strstr(res.out.ptr, "PF_UNRELATED=kept"));
	assert_non_null(strstr(res.out.ptr, "PF_ADDED=yes"));
	proc_result_release(&res);

	/* no changes asked for: still without the secrets */
	po.env = NULL;
	res = (struct proc_result)PROC_RESULT_INIT;
	assert_int_equal(proc_run(&res, &po), 0);
	assert_null(strstr(res.out.ptr, "OPENAI_API_KEY"));
	assert_non_null(strstr(res.out.ptr, "PF_UNRELATED=kept"));
	proc_result_release(&res);
	strvec_clear(&env);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(secret__find_and_redact, teardown),
		cmocka_unit_test_teardown(secret__short_values_are_not_secrets, teardown),
		cmocka_unit_test_teardown(secret__password_of_a_url, teardown),
		cmocka_unit_test_teardown(secret__messages_and_logs_are_redacted, teardown),
		cmocka_unit_test_teardown(secret__environment_of_children, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
