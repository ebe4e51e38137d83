#ifndef UTIL_UTF8_H
#define UTIL_UTF8_H

#include "util/buf.h"

#include <stddef.h>

/* 1 if <data, len> is valid UTF-8 (no overlongs, surrogates or NULs) */
int utf8_is_valid(const char *data, size_t len);
/*
 * Append <data, len> to `out` as valid UTF-8: each invalid byte becomes
 * U+FFFD and NUL bytes are dropped, so the text can go into JSON.
 */
int utf8_sanitize(struct buf *out, const char *data, size_t len);
/* a new, valid UTF-8 copy of a C string (owned by the caller); NULL stays NULL */
char *utf8_dup_clean(const char *s);

#endif
