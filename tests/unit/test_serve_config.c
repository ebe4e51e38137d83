#define _GNU_SOURCE

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "serve/config.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/secret.h"

/* the example of the issue */
static const char example[] =
	"listen: 127.0.0.1:8080\n"
	"database: serve.db              # SQLite file, created on first start\n"
	"workers: 2\n"
	"repositories:\n"
	"  - name: acme/calc             # events for other repositories are refused\n"
	"    push: commit\n"
	"    max_attempts: 3\n"
	"    auto_fix_threshold: 0.8\n"
	"    lint: [\"python3 -m pyflakes .\"]   # optional extra gates, run after the tests\n"
	"notify:\n"
	"  telegram: {chat_id: \"-100123\"}\n"
	"  webhook: {url: \"https://example.com/hook\"}   # a JSON POST per notification\n"
	"  github_comment: true\n";

#define REPO_EXAMPLE_PG \
	"database: postgres://pf@db.example.com:5432/fixer\n" \
	"role: worker\n" \
	"repositories: [{name: acme/calc}]\n"

static int teardown(void **state)
{
	(void)state;
	secret_clear();
	error_clear();
	return 0;
}

static int parse(struct serve_config *c, const char *text)
{
	return serve_config_parse(c, text, strlen(text), "conf/serve.yml");
}

static void config__example(void **state)
{
	struct serve_config c;
	const struct serve_repo *r;

	(void)state;
	assert_int_equal(parse(&c, example), 0);
	assert_string_equal(c.path, "conf/serve.yml");
	assert_string_equal(c.host, "127.0.0.1");
	assert_int_equal(c.port, 8080);
	assert_string_equal(c.database, "conf/serve.db");
	assert_int_equal(c.workers, 2);
	assert_int_equal(c.poll_seconds, 0);
	assert_int_equal(c.repos_nr, 1);
	r = serve_config_repo(&c, "acme/calc");
	assert_ptr_equal(r, &c.repos[0]);
	assert_null(serve_config_repo(&c, "acme/other"));
	assert_string_equal(r->name, "acme/calc");
	assert_int_equal(r->push, SERVE_PUSH_COMMIT);
	assert_int_equal(r->max_attempts, 3);
	assert_true(r->auto_fix_threshold > 0.7999 && r->auto_fix_threshold < 0.8001);
	assert_int_equal(r->lint.nr, 1);
	assert_string_equal(r->lint.v[0], "python3 -m pyflakes .");
	assert_null(r->lint.v[1]);
	assert_int_equal(r->allow_forks, 0);
	assert_string_equal(c.telegram_chat_id, "-100123");
	assert_string_equal(c.webhook_url, "https://example.com/hook");
	assert_int_equal(c.github_comment, 1);
	assert_null(c.engine);
	serve_config_release(&c);
}

static void config__defaults_and_the_rest(void **state)
{
	struct serve_config c;
	const char *text =
		"repositories:\n"
		"  - name: acme/calc\n"
		"  - name: Acme-2/my_lib.py\n"
		"    allow_forks: true\n"
		"    auto_fix_threshold: 1\n"
		"    max_attempts: 20\n"
		"    push: pull-request\n"
		"    lint: []\n"
		"poll: 300\n"
		"listen: '[::1]:9000'\n"
		"database: /var/lib/pf/serve.db\n"
		"engine: llm\n"
		"model: gpt-4o\n"
		"provider: openai\n";

	(void)state;
	assert_int_equal(parse(&c, "repositories: [{name: acme/calc}]\n"), 0);
	assert_string_equal(c.host, SERVE_DEFAULT_HOST);
	assert_int_equal(c.port, SERVE_DEFAULT_PORT);
	assert_string_equal(c.database, "conf/" SERVE_DEFAULT_DATABASE);
	assert_int_equal(c.workers, SERVE_DEFAULT_WORKERS);
	assert_int_equal(c.poll_seconds, 0);
	assert_int_equal(c.repos[0].push, SERVE_PUSH_PULL_REQUEST);
	assert_int_equal(c.repos[0].max_attempts, SERVE_DEFAULT_MAX_ATTEMPTS);
	assert_true(c.repos[0].auto_fix_threshold == SERVE_DEFAULT_THRESHOLD);
	assert_int_equal(c.repos[0].lint.nr, 0);
	assert_int_equal(c.repos[0].allow_forks, 0);
	assert_null(c.telegram_chat_id);
	assert_null(c.webhook_url);
	assert_int_equal(c.github_comment, 0);
	serve_config_release(&c);

	/* a file without a directory keeps the database as it is */
	assert_int_equal(serve_config_parse(&c, text, strlen(text), "serve.yml"), 0);
	assert_string_equal(c.database, "/var/lib/pf/serve.db");
	assert_string_equal(c.host, "::1");
	assert_int_equal(c.port, 9000);
	assert_int_equal(c.poll_seconds, 300);
	assert_int_equal(c.repos_nr, 2);
	assert_string_equal(c.repos[1].name, "Acme-2/my_lib.py");
	assert_int_equal(c.repos[1].allow_forks, 1);
	assert_true(c.repos[1].auto_fix_threshold == 1.0);
	assert_int_equal(c.repos[1].max_attempts, 20);
	assert_int_equal(c.repos[1].push, SERVE_PUSH_PULL_REQUEST);
	assert_string_equal(c.engine, "llm");
	assert_string_equal(c.model, "gpt-4o");
	assert_string_equal(c.provider, "openai");
	serve_config_release(&c);
}

static void config__roles_and_a_postgresql_database(void **state)
{
	struct serve_config c;
	enum serve_role role = SERVE_ROLE_WEB;

	(void)state;
	assert_int_equal(parse(&c, REPO_EXAMPLE_PG), 0);
	/* a URL is not a path: not resolved against the file's directory */
	assert_string_equal(c.database, "postgres://pf@db.example.com:5432/fixer");
	assert_int_equal(c.role, SERVE_ROLE_WORKER);
	serve_config_release(&c);
	assert_int_equal(parse(&c, "database: postgresql:///fixer?host=/run/pg\nrole: web\n"
			       "repositories: [{name: acme/calc}]\n"), 0);
	assert_string_equal(c.database, "postgresql:///fixer?host=/run/pg");
	assert_int_equal(c.role, SERVE_ROLE_WEB);
	serve_config_release(&c);
	/* the default role */
	assert_int_equal(parse(&c, "repositories: [{name: acme/calc}]\n"), 0);
	assert_int_equal(c.role, SERVE_ROLE_ALL);
	serve_config_release(&c);

	assert_string_equal(serve_role_name(SERVE_ROLE_ALL), "all");
	assert_string_equal(serve_role_name(SERVE_ROLE_WEB), "web");
	assert_string_equal(serve_role_name(SERVE_ROLE_WORKER), "worker");
	assert_int_equal(serve_role_parse(&role, "all"), 0);
	assert_int_equal(role, SERVE_ROLE_ALL);
	assert_int_equal(serve_role_parse(&role, "Worker"), ERR_USAGE);
	assert_string_equal(error_last(), "role 'Worker': expected web, worker or all");
	assert_int_equal(role, SERVE_ROLE_ALL);
}

struct bad {
	const char *text;
	const char *message;
};

#define REPO "repositories:\n  - name: acme/calc\n"
#define E "invalid config 'conf/serve.yml': "

static const struct bad bad_files[] = {
	/* unknown keys, at every level */
	{ "listen: 1.2.3.4:80\nlisten_on: x\n" REPO, E "line 2: listen_on: unknown key" },
	{ REPO "    pushes: commit\n", E "line 3: repositories[0].pushes: unknown key" },
	{ REPO "notify:\n  telegram: {chat: 1}\n", E "line 4: notify.telegram.chat: unknown key" },
	/* wrong types */
	{ "workers: two\n" REPO, E "line 1: workers: expected an integer, not 'two'" },
	{ "workers: '2'\n" REPO, E "line 1: workers: expected an integer" },
	{ "workers: 2.5\n" REPO, E "line 1: workers: expected an integer, not '2.5'" },
	{ "workers: 0x10\n" REPO, E "line 1: workers: expected an integer, not '0x10'" },
	{ "repositories: acme/calc\n", E "line 1: repositories: expected a list, not a scalar" },
	{ REPO "notify: [1]\n", E "line 3: notify: expected a mapping, not a list" },
	{ REPO "    lint: python3 -m pyflakes\n", E "line 3: repositories[0].lint: expected a list, not a scalar" },
	{ REPO "    lint: [[x]]\n", E "line 3: repositories[0].lint[0]: expected a string, not a list" },
	{ REPO "    allow_forks: yes\n", E "line 3: repositories[0].allow_forks: expected true or false" },
	{ REPO "    push: force\n", E "line 3: repositories[0].push: expected commit or pull-request" },
	{ "database:\n" REPO, E "line 1: database: expected a string, not null" },
	{ "role: boss\n" REPO, E "line 1: role: 'boss' is not web, worker or all" },
	{ "role: [web]\n" REPO, E "line 1: role: expected a string, not a list" },
	{ "- a\n", E "line 1: expected a mapping of keys to values" },
	{ "{[a]: 1}\n", E "line 1: a key is not a string" },
	/* out of range */
	{ "workers: 65\n" REPO, E "line 1: workers: 65 is out of range 1..64" },
	{ "workers: 0\n" REPO, E "line 1: workers: 0 is out of range 1..64" },
	{ "workers: 99999999999999999999999\n" REPO,
	  E "line 1: workers: 99999999999999999999999 is out of range 1..64" },
	{ "poll: -1\n" REPO, E "line 1: poll: -1 is out of range 0..86400" },
	{ "repositories:\n  - name: a/b\n  - name: acme/calc\n    max_attempts: 21\n",
	  E "line 4: repositories[1].max_attempts: 21 is out of range 1..20" },
	{ REPO "    auto_fix_threshold: 1.5\n",
	  E "line 3: repositories[0].auto_fix_threshold: 1.5 is out of range 0..1" },
	{ REPO "    auto_fix_threshold: nan\n",
	  E "line 3: repositories[0].auto_fix_threshold: expected a number, not 'nan'" },
	{ "listen: 127.0.0.1:70000\n" REPO, E "line 1: listen: 70000 is out of range 0..65535" },
	{ "listen: 8080\n" REPO, E "line 1: listen: expected host:port, not '8080'" },
	{ "listen: ::1:80\n" REPO, E "line 1: listen: expected host:port, not '::1:80'" },
	{ "listen: '[a:80'\n" REPO, E "line 1: listen: expected host:port, not '[a:80'" },
	{ "listen: '[]:80'\n" REPO, E "line 1: listen: expected host:port, not '[]:80'" },
	{ "listen: ':80'\n" REPO, E "line 1: listen: expected host:port, not ':80'" },
	/* values */
	{ "repositories:\n  - name: acme\n", E "line 2: repositories[0].name: 'acme' is not owner/name" },
	{ "repositories:\n  - name: a/b/c\n", E "line 2: repositories[0].name: 'a/b/c' is not owner/name" },
	{ REPO "notify:\n  webhook: {url: 'file:///etc/passwd'}\n",
	  E "line 4: notify.webhook.url: 'file:///etc/passwd' is not an http:// or https:// URL" },
	{ "repositories:\n  - name: acme/calc\n  - name: x/y\n  - name: acme/calc\n",
	  E "line 4: repositories[2].name: 'acme/calc' is listed twice" },
	{ "repositories: []\n", E "line 1: repositories: no repositories" },
	/* duplicate keys */
	{ "workers: 2\n" REPO "workers: 3\n", E "line 4: workers: duplicate key (first on line 1)" },
	{ REPO "    push: commit\n    push: commit\n",
	  E "line 4: repositories[0].push: duplicate key (first on line 3)" },
	/* missing keys */
	{ "workers: 2\n", E "line 1: missing required key 'repositories'" },
	{ "repositories:\n  - push: commit\n", E "line 2: repositories[0]: missing required key 'name'" },
	{ REPO "notify:\n  webhook: {}\n", E "line 4: notify.webhook: missing required key 'url'" },
	/* secrets */
	{ REPO "notify:\n  telegram: {chat_id: 1, bot_token: '123:abc'}\n",
	  E "line 4: notify.telegram.bot_token: secrets are not read from the config file, "
	    "set TELEGRAM_BOT_TOKEN in the environment" },
	{ "webhook_secret: s3cr3t\n" REPO,
	  E "line 1: webhook_secret: secrets are not read from the config file, "
	    "set GITHUB_WEBHOOK_SECRET in the environment" },
	{ REPO "    github_token: ghp_x\n",
	  E "line 3: repositories[0].github_token: secrets are not read from the config file, "
	    "set GITHUB_TOKEN in the environment" },
	{ "llm:\n  OPENAI_API_KEY: sk-x\n" REPO,
	  E "line 2: llm.OPENAI_API_KEY: secrets are not read from the config file, "
	    "set OPENAI_API_KEY or ANTHROPIC_API_KEY in the environment" },
	/* YAML itself */
	{ "workers: [2\n" REPO, E "line 2: did not find expected ',' or ']' while parsing a flow sequence" },
	{ "a: &x [1]\nb: *x\n", E "line 1: YAML anchors and aliases are not allowed" },
	{ "a: *x\n", E "line 1: YAML anchors and aliases are not allowed" },
	{ REPO "workers: 2: 3\n", E "line 3: mapping values are not allowed in this context" },
	{ "workers: \"2\n", E "line 2: found unexpected end of stream while scanning a quoted scalar" },
	{ REPO "---\n" REPO, E "line 3: more than one YAML document" },
	{ "repositories:\n  - name: \"acme/calc\\0evil\"\n", E "line 2: a NUL character in a value" },
	{ "", E "it is empty" },
	{ "# nothing\n", E "it is empty" },
	{ "a: [[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]\n", E "line 1: nested more than 16 levels deep" },
};

static void config__bad_files(void **state)
{
	struct serve_config c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		int err = parse(&c, bad_files[i].text);

		if (err != ERR_USAGE || strcmp(error_last(), bad_files[i].message))
			print_message("case %zu:\n%s", i, bad_files[i].text);
		assert_int_equal(err, ERR_USAGE);
		assert_string_equal(error_last(), bad_files[i].message);
		/* released on failure */
		assert_null(c.host);
		assert_int_equal(c.repos_nr, 0);
	}
}

static void config__billion_laughs_and_sizes(void **state)
{
	struct serve_config c;
	struct buf b = BUF_INIT;
	const char nul[] = "workers: 2\0\nrepositories: []\n";
	int i;

	(void)state;
	buf_adds(&b, "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
	for (i = 'b'; i <= 'i'; i++)
		buf_addf(&b, "%c: &%c [*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c]\n", i, i, i - 1, i - 1, i - 1,
			 i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
	assert_int_equal(parse(&c, b.ptr), ERR_USAGE);
	assert_string_equal(error_last(), E "line 1: YAML anchors and aliases are not allowed");

	assert_int_equal(serve_config_parse(&c, nul, sizeof(nul) - 1, "conf/serve.yml"), ERR_USAGE);
	assert_string_equal(error_last(), E "it holds a NUL byte");

	buf_reset(&b);
	buf_adds(&b, REPO);
	while (b.len <= SERVE_CONFIG_MAX)
		buf_adds(&b, "# padding padding padding padding padding padding padding padding\n");
	assert_int_equal(parse(&c, b.ptr), ERR_USAGE);
	assert_string_equal(error_last(), E "larger than 1048576 bytes");

	/* a mapping too wide for the pairwise look for duplicates */
	buf_reset(&b);
	for (i = 0; i <= SERVE_CONFIG_MAX_ITEMS; i++)
		buf_addf(&b, "k%d: 1\n", i);
	assert_int_equal(parse(&c, b.ptr), ERR_USAGE);
	assert_string_equal(error_last(), E "line 1001: more than 1000 entries in one mapping");
	buf_release(&b);
}

static void config__load_from_a_file(void **state)
{
	struct serve_config c;
	struct buf dir = BUF_INIT, path = BUF_INIT, big = BUF_INIT;

	(void)state;
	assert_int_equal(fs_mkdtemp(&dir, "pf-serve-config"), 0);
	buf_addf(&path, "%s/serve.yml", dir.ptr);
	assert_int_equal(fs_write_atomic(path.ptr, example, strlen(example), 0644), 0);
	assert_int_equal(serve_config_load(&c, path.ptr), 0);
	assert_string_equal(c.path, path.ptr);
	assert_string_equal(c.repos[0].name, "acme/calc");
	/* the database beside the file */
	assert_int_equal(strncmp(c.database, dir.ptr, dir.len), 0);
	assert_string_equal(c.database + dir.len, "/serve.db");
	serve_config_release(&c);

	/* a file over the cap is refused before it is parsed */
	buf_adds(&big, REPO);
	while (big.len <= SERVE_CONFIG_MAX)
		buf_adds(&big, "# padding padding padding padding padding padding padding padding\n");
	assert_int_equal(fs_write_atomic(path.ptr, big.ptr, big.len, 0644), 0);
	assert_int_equal(serve_config_load(&c, path.ptr), ERR_USAGE);
	assert_non_null(strstr(error_last(), "larger than 1048576 bytes"));
	assert_null(c.host);

	buf_reset(&path);
	buf_addf(&path, "%s/missing.yml", dir.ptr);
	assert_int_equal(serve_config_load(&c, path.ptr), ERR_USAGE);
	assert_non_null(strstr(error_last(), "missing.yml"));

	/* a FIFO (no writer: it must not wait) and a directory are refused, naming what they are */
	buf_reset(&path);
	buf_addf(&path, "%s/fifo.yml", dir.ptr);
	assert_int_equal(mkfifo(path.ptr, 0600), 0);
	assert_int_equal(serve_config_load(&c, path.ptr), ERR_USAGE);
	assert_non_null(strstr(error_last(), "fifo.yml"));
	assert_non_null(strstr(error_last(), "not a regular file"));
	assert_int_equal(serve_config_load(&c, dir.ptr), ERR_USAGE);
	assert_non_null(strstr(error_last(), "not a regular file"));
	assert_int_equal(fs_remove_tree(dir.ptr), 0);
	buf_release(&big);
	buf_release(&path);
	buf_release(&dir);
}

#define WEBHOOK_SECRET "whsec-0123456789abcdef"
#define GH_TOKEN "ghp_0123456789abcdefABCD"
#define TG_TOKEN "123456:telegram-token-xyz"

static void config__secrets_from_the_environment(void **state)
{
	struct serve_config c;
	char *clean;

	(void)state;
	setenv("GITHUB_WEBHOOK_SECRET", WEBHOOK_SECRET, 1);
	setenv("GITHUB_TOKEN", GH_TOKEN, 1);
	setenv("TELEGRAM_BOT_TOKEN", TG_TOKEN, 1);
	setenv("OPENAI_API_KEY", "", 1);
	unsetenv("ANTHROPIC_API_KEY");
	setenv("GITHUB_API_URL", "https://user:enterprise-pass@ghe.example.com/api/v3", 1);
	unsetenv("TELEGRAM_API_URL");
	assert_int_equal(parse(&c, example), 0);
	assert_int_equal(serve_config_from_env(&c), 0);
	assert_string_equal(c.webhook_secret, WEBHOOK_SECRET);
	assert_string_equal(c.github_token, GH_TOKEN);
	assert_string_equal(c.telegram_token, TG_TOKEN);
	assert_null(c.openai_key);
	assert_null(c.anthropic_key);
	assert_string_equal(c.github_api_url, "https://user:enterprise-pass@ghe.example.com/api/v3");
	assert_null(c.telegram_api_url);

	clean = secret_redacted("sig " WEBHOOK_SECRET " auth " GH_TOKEN " bot" TG_TOKEN
				" url enterprise-pass");
	assert_string_equal(clean, "sig " SECRET_REDACTED " auth " SECRET_REDACTED " bot"
			    SECRET_REDACTED " url " SECRET_REDACTED);
	free(clean);
	assert_true(secret_env_hidden("GITHUB_WEBHOOK_SECRET=" WEBHOOK_SECRET));
	assert_true(secret_env_hidden("GITHUB_TOKEN=" GH_TOKEN));
	serve_config_release(&c);

	/* the database's password: in its URL, or PGPASSWORD; neither reaches a child */
	setenv("PGPASSWORD", "pg-password-from-env", 1);
	setenv(SERVE_DATABASE_ENV, "postgres://pf:pg-url-password@db/fixer", 1);
	assert_int_equal(parse(&c, REPO_EXAMPLE_PG), 0);
	free(c.database);
	c.database = strdup("postgres://pf:pg-url-password@db/fixer");
	assert_int_equal(serve_config_from_env(&c), 0);
	clean = secret_redacted("url pg-url-password env pg-password-from-env");
	assert_string_equal(clean, "url " SECRET_REDACTED " env " SECRET_REDACTED);
	free(clean);
	assert_true(secret_env_hidden("PGPASSWORD=pg-password-from-env"));
	assert_true(secret_env_hidden(SERVE_DATABASE_ENV "=postgres://pf@db/fixer"));
	assert_false(secret_env_hidden("PGHOST=db"));
	serve_config_release(&c);
	unsetenv("PGPASSWORD");
	unsetenv(SERVE_DATABASE_ENV);

	unsetenv("GITHUB_WEBHOOK_SECRET");
	unsetenv("GITHUB_TOKEN");
	unsetenv("TELEGRAM_BOT_TOKEN");
	unsetenv("OPENAI_API_KEY");
	unsetenv("GITHUB_API_URL");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(config__example, teardown),
		cmocka_unit_test_teardown(config__defaults_and_the_rest, teardown),
		cmocka_unit_test_teardown(config__roles_and_a_postgresql_database, teardown),
		cmocka_unit_test_teardown(config__bad_files, teardown),
		cmocka_unit_test_teardown(config__billion_laughs_and_sizes, teardown),
		cmocka_unit_test_teardown(config__load_from_a_file, teardown),
		cmocka_unit_test_teardown(config__secrets_from_the_environment, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
