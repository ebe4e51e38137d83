#include "util/utf8.h"

#include "util/xalloc.h"

#include <string.h>

/* length of the valid UTF-8 sequence at p (at most `left` bytes), or 0 */
static size_t seq_len(const unsigned char *p, size_t left)
{
	unsigned char c = p[0];
	size_t n, i;
	unsigned int cp;

	if (c == 0)
		return 0;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (left < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	if (cp >= 0xd800 && cp <= 0xdfff)
		return 0;
	return n;
}

int utf8_is_valid(const char *data, size_t len)
{
	const unsigned char *p = (const unsigned char *)data;
	while (len) {
		size_t n = seq_len(p, len);
		if (!n)
			return 0;
		p += n;
		len -= n;
	}
	return 1;
}

int utf8_sanitize(struct buf *out, const char *data, size_t len)
{
	const unsigned char *p = (const unsigned char *)data;
	const unsigned char *run = p;
	int err;

	while (len) {
		size_t n = seq_len(p, len);
		if (n) {
			p += n;
			len -= n;
			continue;
		}
		if ((err = buf_add(out, run, (size_t)(p - run))) < 0)
			return err;
		if (*p && (err = buf_add(out, "\xef\xbf\xbd", 3)) < 0)
			return err;
		p++;
		len--;
		run = p;
	}
	return buf_add(out, run, (size_t)(p - run));
}

char *utf8_dup_clean(const char *s)
{
	return buf_dup_with(utf8_sanitize, s);
}
