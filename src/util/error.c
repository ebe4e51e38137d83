#include "util/error.h"

#include "util/buf.h"
#include "util/secret.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char last_error[ERROR_MAX];

static void set_v(const char *fmt, va_list ap)
{
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	/* a message never holds a secret, whatever it quotes (a URL, a server's answer) */
	secret_redact_array(last_error, sizeof(last_error));
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
	struct buf clean = BUF_INIT;
	size_t n;

	if (!secret || !*secret || !strstr(msg, secret))
		return code;
	n = strlen(secret);
	while ((p = strstr(msg, secret))) {
		buf_add(&clean, msg, (size_t)(p - msg));
		buf_adds(&clean, "***");
		msg = p + n;
	}
	buf_adds(&clean, msg);
	error_setc(code, "%s", clean.ptr);
	buf_release(&clean);
	return code;
}
