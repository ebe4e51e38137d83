#ifndef UTIL_ERROR_H
#define UTIL_ERROR_H

#include <stddef.h>

/*
 * Errors, libgit2-style: fallible functions return 0 on success and a
 * negative code on failure, with a message in a thread-local "last error"
 * slot. error_set() returns -1 so `return error_set("...")` reads naturally.
 *
 * Messages are lowercase, without a full stop, failure first, the subject
 * in quotes: cannot parse 'report.xml': line 3: unexpected '<'
 */
enum {
	ERR_GENERIC = -1,
	ERR_NOTFOUND = -2,
	ERR_TIMEOUT = -3,
	ERR_PARSE = -4,
	ERR_CONFLICT = -5,
	ERR_LIMIT = -6,     /* a size cap was exceeded */
	ERR_INTERRUPTED = -7,
	ERR_USAGE = -8,     /* the user's input is wrong */
};

#define ERROR_MAX 4096

int error_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int error_setc(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* error_set() with ": strerror(errno)" appended */
int error_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* prefix the current message with context: "<context>: <old message>"; returns code */
int error_prefix(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* replace every occurrence of `secret` (NULL or "": none) in the last message by "***"; returns code */
int error_scrub(int code, const char *secret);
/*
 * Every message passes through the filter before it is kept: util/secret.c
 * installs its redaction (secret_redact_array()) with the first secret, so
 * that a message never holds one. NULL: none. error.c needs no other module.
 */
typedef void error_filter_fn(char *msg, size_t size);
void error_set_filter(error_filter_fn *fn);
/* the last message (borrowed), "" if none */
const char *error_last(void);
void error_clear(void);

#endif
