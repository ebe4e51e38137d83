/*
 * A database's name as it may be shown (serve/queue_pg.c): a postgres://
 * URL given in the configuration, on the command line or in the
 * environment. Whatever it is, queue_display_name() must not crash, must
 * keep the scheme (queue_is_pg() says the same of both), and must leave
 * no password where libpq reads one: the user info up to the first '@'
 * before a '/', the password after its first ':'.
 */
#include "fuzz.h"

#include "serve/queue.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_LEN 4096

/* libpq's password in `url` (<start, len>), or NULL */
static const char *userinfo_password(size_t *len, const char *url)
{
	const char *rest = strstr(url, "://"), *at, *colon;
	size_t auth;

	if (!rest)
		return NULL;
	rest += 3;
	auth = strcspn(rest, "@/");
	if (rest[auth] != '@')
		return NULL;
	at = rest + auth;
	if (!(colon = memchr(rest, ':', auth)))
		return NULL;
	*len = (size_t)(at - colon - 1);
	return colon + 1;
}

/* every password=VALUE of the query `q` (up to a '#') shows *** as its value */
static void check_query(const char *q)
{
	size_t end = strcspn(q, "#"), len;

	while (end) {
		len = strcspn(q, "&");
		if (len > end)
			len = end;
		if (len >= 9 && !strncmp(q, "password=", 9) && (len != 12 || strncmp(q + 9, "***", 3)))
			abort();
		if (len == end)
			break;
		q += len + 1;
		end -= len + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *pw, *shown_pw;
	size_t pw_len = 0, shown_len = 0;
	char *url, *shown;

	if (size > FUZZ_MAX_LEN)
		return -1;
	fuzz_reset();
	url = xstrndup((const char *)data, size);
	shown = queue_display_name(url);
	if (!shown || queue_is_pg(url) != queue_is_pg(shown))
		abort();
	pw = userinfo_password(&pw_len, url);
	shown_pw = userinfo_password(&shown_len, shown);
	/* a password is shown as *** where it was */
	if (pw && pw_len && (!shown_pw || shown_len != 3 || memcmp(shown_pw, "***", 3)))
		abort();
	/* without user info, a password= of the query is hidden too */
	if (!strchr(url, '@') && strstr(shown, "://") && strchr(strstr(shown, "://"), '?'))
		check_query(strchr(strstr(shown, "://"), '?') + 1);
	free(shown);
	free(url);
	return 0;
}
