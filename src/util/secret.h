#ifndef UTIL_SECRET_H
#define UTIL_SECRET_H

#include "util/buf.h"

#include <stddef.h>

/*
 * The secrets we hold, in one registry: the LLM keys (--api-key,
 * OPENAI_API_KEY, ANTHROPIC_API_KEY), GITHUB_TOKEN, TELEGRAM_BOT_TOKEN, and
 * the password of a base URL's "user:password@". Whatever we write (a
 * commit, the store, a report, --json, a cassette, a prompt, an error
 * message, a log line) is checked with secret_find() or passed through
 * secret_redact() first, and children run without the environment
 * variables that hold them (proc.c asks secret_env_hidden()).
 *
 * A value shorter than SECRET_MIN_LEN is not registered: it cannot be told
 * from ordinary text ("test", "admin"), and redacting every "test" in a
 * report would mangle it while protecting nothing a guess would not find.
 * Real keys and tokens are 20 bytes and more.
 *
 * The registry is process-wide and owns copies of the values (wiped by
 * secret_clear()). Register before starting threads; finding, redacting
 * and the environment check may then be called from any thread.
 */

#define SECRET_MIN_LEN 8
/* what a secret is replaced by */
#define SECRET_REDACTED "[redacted]"
/* the environment variables that hold our own secrets, NULL-terminated */
#define SECRET_ENV_NAMES { "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GITHUB_TOKEN", \
			   "TELEGRAM_BOT_TOKEN", NULL }
/* the variables that may hold a base URL with "user:password@", NULL-terminated */
#define SECRET_ENV_URL_NAMES { "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "GITHUB_API_URL", NULL }

/* register `value` (copied); 1 when registered, 0 when NULL or too short to be one */
int secret_add(const char *value);
/* register the password of "scheme://user:password@host..." in `url`, if any; 1 when registered */
int secret_add_url(const char *url);
/*
 * Register the values of SECRET_ENV_NAMES and hide those variables from
 * children; the same for the password of a URL in SECRET_ENV_URL_NAMES
 * (hidden when it has one, whatever its length).
 */
void secret_add_env(void);
/* hide the variable `name` from children whatever its value */
void secret_hide_env(const char *name);
/* let children see `name` after all (--pass-env) */
void secret_pass_env(const char *name);
/* forget every secret and setting, wiping the values (tests, exit) */
void secret_clear(void);

/* the first registered secret in `ptr[0..len)`: a pointer to it, or NULL */
const char *secret_find(const char *ptr, size_t len);
/* replace every registered secret in `b` by SECRET_REDACTED; how many were replaced */
size_t secret_redact(struct buf *b);
/* the same for a C string, into a new string the caller frees; NULL stays NULL */
char *secret_redacted(const char *s);
/* redact a NUL-terminated array of `size` bytes in place, truncating if it grows */
void secret_redact_array(char *s, size_t size);

/*
 * 1 when the environment entry "NAME=value" must not reach a child: NAME
 * is hidden (SECRET_ENV_NAMES, secret_hide_env()) or its value holds a
 * registered secret, and NAME was not passed with secret_pass_env().
 */
int secret_env_hidden(const char *entry);

#endif
