#include "util/buf.h"

#include "util/error.h"
#include "util/xalloc.h"

#include <ctype.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

char buf_slopbuf[1];

void buf_init(struct buf *b, size_t max)
{
	b->ptr = buf_slopbuf;
	b->len = 0;
	b->alloc = 0;
	b->max = max;
}

void buf_release(struct buf *b)
{
	size_t max = b->max;
	if (b->alloc)
		free(b->ptr);
	buf_init(b, max);
}

char *buf_detach(struct buf *b, size_t *len_out)
{
	char *res;
	if (len_out)
		*len_out = b->len;
	if (!b->alloc)
		res = xstrdup("");
	else
		res = b->ptr;
	buf_init(b, b->max);
	return res;
}

void buf_reset(struct buf *b)
{
	buf_setlen(b, 0);
}

void buf_setlen(struct buf *b, size_t len)
{
	if (!b->alloc) {
		/* only 0 is valid on the slop buffer */
		return;
	}
	if (len > b->alloc - 1)
		len = b->alloc - 1;
	b->len = len;
	b->ptr[len] = '\0';
}

int buf_grow(struct buf *b, size_t extra)
{
	size_t want = st_add(st_add(b->len, extra), 1);
	int new_buf = !b->alloc;

	if (b->max && st_add(b->len, extra) > b->max)
		return error_setc(ERR_LIMIT, "output exceeds the limit of %zu bytes", b->max);
	if (new_buf)
		b->ptr = NULL;
	ALLOC_GROW(b->ptr, want, b->alloc);
	if (new_buf)
		b->ptr[0] = '\0';
	return 0;
}

int buf_add(struct buf *b, const void *data, size_t len)
{
	int err = buf_grow(b, len);
	if (err)
		return err;
	if (len)
		memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
	return 0;
}

int buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int buf_addch(struct buf *b, int c)
{
	char ch = (char)c;
	return buf_add(b, &ch, 1);
}

int buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;
	int err;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return error_set("cannot format string '%s'", fmt);
	err = buf_grow(b, (size_t)n);
	if (err)
		return err;
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int err;
	va_start(ap, fmt);
	err = buf_vaddf(b, fmt, ap);
	va_end(ap);
	return err;
}

int buf_add_printable(struct buf *b, const char *data, size_t len)
{
	size_t i;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)data[i];
		int err;
		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
			err = buf_addf(b, "\\x%02x", c);
		else if (c == 0xc2 && i + 1 < len && (unsigned char)data[i + 1] >= 0x80 &&
			 (unsigned char)data[i + 1] <= 0x9f)   /* C1 controls: CSI is U+009B */
			err = buf_addf(b, "\\u%04x", (unsigned char)data[++i]);
		else
			err = buf_addch(b, c);
		if (err)
			return err;
	}
	return 0;
}

char *buf_dup_with(int (*add)(struct buf *, const char *, size_t), const char *s)
{
	struct buf b = BUF_INIT;

	if (!s)
		return NULL;
	add(&b, s, strlen(s));
	return buf_detach(&b, NULL);
}

void buf_rtrim(struct buf *b)
{
	while (b->len && isspace((unsigned char)b->ptr[b->len - 1]))
		b->len--;
	if (b->alloc)
		b->ptr[b->len] = '\0';
}

void buf_ltrim(struct buf *b)
{
	size_t i = 0;
	while (i < b->len && isspace((unsigned char)b->ptr[i]))
		i++;
	if (!i)
		return;
	memmove(b->ptr, b->ptr + i, b->len - i);
	b->len -= i;
	b->ptr[b->len] = '\0';
}

void buf_trim(struct buf *b)
{
	buf_rtrim(b);
	buf_ltrim(b);
}

int buf_starts_with(const struct buf *b, const char *prefix)
{
	size_t n = strlen(prefix);
	return b->len >= n && !memcmp(b->ptr, prefix, n);
}
