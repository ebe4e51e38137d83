#include "runner/result.h"

#include "util/utf8.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = {
	[FAILURE_KIND_FAILURE] = "failure",
	[FAILURE_KIND_ERROR] = "error",
	[FAILURE_KIND_COLLECTION] = "collection_error",
};

void test_result_init(struct test_result *res)
{
	memset(res, 0, sizeof(*res));
}

void failure_clear_details(struct failure *f)
{
	size_t i;
	free(f->error_type);
	free(f->message);
	free(f->loc_file);
	for (i = 0; i < f->nr_frames; i++) {
		free(f->frames[i].file);
		free(f->frames[i].function);
	}
	free(f->frames);
	free(f->traceback);
	free(f->output);
	f->error_type = f->message = f->loc_file = f->traceback = f->output = NULL;
	f->loc_line = 0;
	f->frames = NULL;
	f->nr_frames = f->alloc_frames = 0;
}

void failure_release(struct failure *f)
{
	failure_clear_details(f);
	free(f->id);
	free(f->file);
	free(f->test);
	f->id = f->file = f->test = NULL;
}

void failure_free(struct failure *f)
{
	if (!f)
		return;
	failure_release(f);
	free(f);
}

void test_result_release(struct test_result *res)
{
	FREE_ARRAY(res->failures, res->nr_failures, failure_release);
	free(res->rootdir);
	test_result_init(res);
}

struct failure *test_result_add_failure(struct test_result *res, const char *id)
{
	struct failure *f;
	ALLOC_APPEND(f, res->failures, res->nr_failures, res->alloc_failures);
	f->id = utf8_dup_clean(id);
	return f;
}

struct failure *test_result_find(struct test_result *res, const char *id)
{
	size_t i;
	for (i = 0; i < res->nr_failures; i++)
		if (!strcmp(res->failures[i].id, id))
			return &res->failures[i];
	return NULL;
}

void test_result_remove(struct test_result *res, size_t i)
{
	if (i >= res->nr_failures)
		return;
	failure_release(&res->failures[i]);
	memmove(&res->failures[i], &res->failures[i + 1],
		(res->nr_failures - i - 1) * sizeof(*res->failures));
	res->nr_failures--;
}

void failure_add_frame(struct failure *f, const char *file, int line, const char *function)
{
	struct frame *fr;
	ALLOC_GROW(f->frames, f->nr_frames + 1, f->alloc_frames);
	fr = &f->frames[f->nr_frames++];
	fr->file = utf8_dup_clean(file);
	fr->line = line;
	fr->function = utf8_dup_clean(function);
}

size_t failure_id_function_len(const char *id)
{
	return strstr(id, "::") ? strcspn(id, "[") : strlen(id);
}

void failure_split_id(struct failure *f)
{
	const char *sep = strstr(f->id, "::");
	free(f->file);
	free(f->test);
	if (sep) {
		f->file = xstrndup(f->id, (size_t)(sep - f->id));
		f->test = xstrdup(sep + 2);
	} else {
		f->file = xstrdup(f->id);
		f->test = NULL;
	}
}

void failure_locate_from_frames(struct failure *f)
{
	const struct frame *last;
	if (f->loc_file || !f->nr_frames)
		return;
	last = &f->frames[f->nr_frames - 1];
	f->loc_file = xstrdup(last->file);
	f->loc_line = last->line;
}

const char *failure_kind_name(enum failure_kind kind)
{
	return kind_names[kind];
}

int failure_kind_parse(enum failure_kind *out, const char *name)
{
	size_t i;
	for (i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++) {
		if (!strcmp(kind_names[i], name)) {
			*out = (enum failure_kind)i;
			return 0;
		}
	}
	return -1;
}

/* <s, len> with each NUL byte spelled FAILURE_NUL_ESCAPE, into `out` */
static void escape_nul(struct buf *out, const char *s, size_t len)
{
	const char *nul;
	while ((nul = memchr(s, '\0', len))) {
		buf_add(out, s, (size_t)(nul - s));
		buf_adds(out, FAILURE_NUL_ESCAPE);
		len -= (size_t)(nul - s) + 1;
		s = nul + 1;
	}
	buf_add(out, s, len);
}

void failure_set_text(char **field, const char *s, size_t len, size_t cap)
{
	struct buf b = BUF_INIT;
	struct buf unnul = BUF_INIT;
	free(*field);
	if (!s) {
		*field = NULL;
		return;
	}
	if (memchr(s, '\0', len)) {
		escape_nul(&unnul, s, len);
		s = unnul.ptr;
		len = unnul.len;
	}
	if (cap && len > cap) {
		size_t half = cap / 2;
		utf8_sanitize(&b, s, half);
		buf_addf(&b, "\n[... %zu bytes omitted ...]\n", len - 2 * half);
		utf8_sanitize(&b, s + len - half, half);
	} else {
		utf8_sanitize(&b, s, len);
	}
	*field = buf_detach(&b, NULL);
	buf_release(&unnul);
}

void failure_copy(struct failure *dst, const struct failure *src)
{
	size_t i;
	memset(dst, 0, sizeof(*dst));
	dst->id = xstrdup_or_null(src->id);
	dst->file = xstrdup_or_null(src->file);
	dst->test = xstrdup_or_null(src->test);
	dst->kind = src->kind;
	dst->error_type = xstrdup_or_null(src->error_type);
	dst->message = xstrdup_or_null(src->message);
	dst->loc_file = xstrdup_or_null(src->loc_file);
	dst->loc_line = src->loc_line;
	for (i = 0; i < src->nr_frames; i++)
		failure_add_frame(dst, src->frames[i].file, src->frames[i].line, src->frames[i].function);
	dst->traceback = xstrdup_or_null(src->traceback);
	dst->output = xstrdup_or_null(src->output);
}
