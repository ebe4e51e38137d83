#ifndef UTIL_BUF_H
#define UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

/*
 * A growable byte buffer (git's strbuf). `ptr` is never NULL and always
 * NUL-terminated, even when empty, so it can be passed to C string
 * functions. The buffer owns its memory; buf_detach() hands it over.
 *
 * `max` caps the length for buffers filled from outside (test output, HTTP
 * bodies, logs): an append that would pass it fails with ERR_LIMIT and
 * leaves the buffer unchanged. 0 means no cap.
 */
struct buf {
	char *ptr;
	size_t len;
	size_t alloc;
	size_t max;
};

extern char buf_slopbuf[];
#define BUF_INIT { buf_slopbuf, 0, 0, 0 }

void buf_init(struct buf *b, size_t max);
void buf_release(struct buf *b);
/* return the string (owned by the caller, never NULL) and reset the buffer */
char *buf_detach(struct buf *b, size_t *len_out);
void buf_reset(struct buf *b);
void buf_setlen(struct buf *b, size_t len);

/* make room for `extra` more bytes; ERR_LIMIT past the cap */
int buf_grow(struct buf *b, size_t extra);
int buf_add(struct buf *b, const void *data, size_t len);
int buf_adds(struct buf *b, const char *s);
int buf_addch(struct buf *b, int c);
int buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vaddf(struct buf *b, const char *fmt, va_list ap);
/*
 * append `data` escaped for display, so that no escape sequence reaches a
 * terminal: control bytes and DEL as \xNN (keeping \n and \t), the C1
 * controls of UTF-8 as \u00NN
 */
int buf_add_printable(struct buf *b, const char *data, size_t len);
/*
 * `add` (buf_add_printable, utf8_sanitize, ...) of the C string `s` as a new
 * string, the caller's; NULL for NULL
 */
char *buf_dup_with(int (*add)(struct buf *, const char *, size_t), const char *s);

void buf_rtrim(struct buf *b);
void buf_ltrim(struct buf *b);
void buf_trim(struct buf *b);
int buf_starts_with(const struct buf *b, const char *prefix);

#endif
