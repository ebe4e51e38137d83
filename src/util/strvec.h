#ifndef UTIL_STRVEC_H
#define UTIL_STRVEC_H

#include <stddef.h>

/*
 * A NULL-terminated vector of owned strings (git's strvec), ready to be
 * passed as argv. `v` is never NULL.
 */
struct strvec {
	const char **v;
	size_t nr;
	size_t alloc;
};

extern const char *strvec_empty[];
#define STRVEC_INIT { strvec_empty, 0, 0 }

void strvec_init(struct strvec *sv);
void strvec_push(struct strvec *sv, const char *s);
void strvec_pushf(struct strvec *sv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strvec_pushv(struct strvec *sv, const char *const *v);
void strvec_pop(struct strvec *sv);
void strvec_clear(struct strvec *sv);
/* index of `s`, or -1 */
int strvec_find(const struct strvec *sv, const char *s);

/*
 * Split a command line into words with POSIX shell quoting rules ('single',
 * "double" with \" \\ \$ \` escapes, backslash outside quotes), without any
 * expansion: the command is then run from argv, never through a shell.
 * ERR_USAGE with a message for an unterminated quote.
 */
int strvec_split_command(struct strvec *out, const char *cmd);

#endif
