#include "util/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char last_error[ERROR_MAX];
static error_filter_fn *_Atomic filter;

void error_set_filter(error_filter_fn *fn)
{
	filter = fn;
}

static void set_v(const char *fmt, va_list ap)
{
	error_filter_fn *fn = filter;

	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	/* a message never holds a secret, whatever it quotes (a URL, a server's answer) */
	if (fn)
		fn(last_error, sizeof(last_error));
}

int error_set(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	set_v(fmt, ap);
	va_end(ap);
	return ERR_GENERIC;
}

int error_setc(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	set_v(fmt, ap);
	va_end(ap);
	return code;
}

int error_errno(const char *fmt, ...)
{
	int saved = errno;
	size_t len;
	va_list ap;

	va_start(ap, fmt);
	set_v(fmt, ap);
	va_end(ap);
	len = strlen(last_error);
	snprintf(last_error + len, sizeof(last_error) - len, ": %s", strerror(saved));
	return ERR_GENERIC;
}

int error_prefix(int code, const char *fmt, ...)
{
	char old[ERROR_MAX];
	size_t len;
	va_list ap;

	memcpy(old, last_error, sizeof(old));
	va_start(ap, fmt);
	set_v(fmt, ap);
	va_end(ap);
	len = strlen(last_error);
	if (old[0] && len + 2 < sizeof(last_error)) {
		size_t room = sizeof(last_error) - len - 3;
		size_t n = strnlen(old, room);
		memcpy(last_error + len, ": ", 2);
		memcpy(last_error + len + 2, old, n);
		last_error[len + 2 + n] = '\0';
	}
	return code;
}

const char *error_last(void)
{
	return last_error;
}

void error_clear(void)
{
	last_error[0] = '\0';
}

int error_scrub(int code, const char *secret)
{
	const char *msg = error_last(), *p;
	char clean[ERROR_MAX];
	size_t n, len = 0;

	if (!secret || !*secret || !strstr(msg, secret))
		return code;
	n = strlen(secret);
	/* what passes ERROR_MAX is cut, as error_setc() would cut it */
	while ((p = strstr(msg, secret))) {
		len += (size_t)snprintf(clean + len, sizeof(clean) - len, "%.*s***",
					(int)(p - msg), msg);
		if (len >= sizeof(clean))
			break;
		msg = p + n;
	}
	if (len < sizeof(clean))
		snprintf(clean + len, sizeof(clean) - len, "%s", msg);
	error_setc(code, "%s", clean);
	return code;
}
