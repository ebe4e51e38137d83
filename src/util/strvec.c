#include "util/strvec.h"

#include "util/buf.h"
#include "util/error.h"
#include "util/xalloc.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const char *strvec_empty[] = { NULL };

void strvec_init(struct strvec *sv)
{
	sv->v = strvec_empty;
	sv->nr = 0;
	sv->alloc = 0;
}

static void push_owned(struct strvec *sv, char *s)
{
	if (sv->v == strvec_empty)
		sv->v = NULL;
	ALLOC_GROW(sv->v, sv->nr + 2, sv->alloc);
	sv->v[sv->nr++] = s;
	sv->v[sv->nr] = NULL;
}

void strvec_push(struct strvec *sv, const char *s)
{
	push_owned(sv, xstrdup(s));
}

void strvec_pushf(struct strvec *sv, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	push_owned(sv, buf_detach(&b, NULL));
}

void strvec_pushv(struct strvec *sv, const char *const *v)
{
	for (; *v; v++)
		strvec_push(sv, *v);
}

void strvec_pop(struct strvec *sv)
{
	if (!sv->nr)
		return;
	free((char *)sv->v[--sv->nr]);
	sv->v[sv->nr] = NULL;
}

void strvec_clear(struct strvec *sv)
{
	size_t i;
	if (sv->v != strvec_empty) {
		for (i = 0; i < sv->nr; i++)
			free((char *)sv->v[i]);
		free(sv->v);
	}
	strvec_init(sv);
}

int strvec_find(const struct strvec *sv, const char *s)
{
	size_t i;
	for (i = 0; i < sv->nr; i++)
		if (!strcmp(sv->v[i], s))
			return (int)i;
	return -1;
}

int strvec_split_command(struct strvec *out, const char *cmd)
{
	struct buf word = BUF_INIT;
	const char *p = cmd;
	int in_word = 0;
	int err = 0;

	while (*p) {
		char c = *p;
		if (c == ' ' || c == '\t' || c == '\n') {
			if (in_word) {
				push_owned(out, buf_detach(&word, NULL));
				in_word = 0;
			}
			p++;
		} else if (c == '\'') {
			const char *end = strchr(p + 1, '\'');
			if (!end) {
				err = error_setc(ERR_USAGE, "unterminated single quote in command '%s'", cmd);
				goto done;
			}
			buf_add(&word, p + 1, (size_t)(end - p - 1));
			in_word = 1;
			p = end + 1;
		} else if (c == '"') {
			p++;
			while (*p && *p != '"') {
				if (*p == '\\' && p[1] && strchr("\"\\$`", p[1]))
					p++;
				buf_addch(&word, *p++);
			}
			if (*p != '"') {
				err = error_setc(ERR_USAGE, "unterminated double quote in command '%s'", cmd);
				goto done;
			}
			in_word = 1;
			p++;
		} else if (c == '\\') {
			if (p[1]) {
				buf_addch(&word, p[1]);
				p += 2;
			} else {
				p++;
			}
			in_word = 1;
		} else {
			buf_addch(&word, c);
			in_word = 1;
			p++;
		}
	}
	if (in_word)
		push_owned(out, buf_detach(&word, NULL));
done:
	buf_release(&word);
	return err;
}
