#include "util/log.h"

#include "util/secret.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum log_level log_current_level = LOG_WARN;

static const char *const level_names[] = { "error", "warning", "info", "debug" };

void log_init_from_env(void)
{
	const char *v = getenv("PYTEST_FIXER_LOG");
	size_t i;
	if (!v)
		return;
	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (!strcmp(v, level_names[i]) || (i == LOG_WARN && !strcmp(v, "warn")))
			log_current_level = (enum log_level)i;
}

void log_set_level(enum log_level level)
{
	log_current_level = level;
}

void log_write(enum log_level level, const char *fmt, ...)
{
	struct buf line = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&line, fmt, ap);
	va_end(ap);
	secret_redact(&line);   /* a log line never holds a secret */
	fprintf(stderr, "pytest-fixer: %s: %s\n", level_names[level], line.ptr);
	buf_release(&line);
}
