/*
 * test_execution_state.yaml, the checklist of `generate` and `heal`
 * (gen/state.c), parsed from memory as gen_state_load() parses the file it
 * read. A refusal is ERR_PARSE naming the file; a state that loads is
 * written by our formatter, and that text loads again to an equal state
 * and formats to the same text.
 */
#include "fuzz.h"

#include "gen/state.h"
#include "util/buf.h"
#include "util/error.h"

#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_LEN 16384
#define NAME "dir/test_execution_state.yaml"

static const char refused[] = "cannot parse '" NAME "': ";

static int same(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

static int same_heal(const struct gen_heal_entry *a, const struct gen_heal_entry *b)
{
	return a->attempt == b->attempt && same(a->method, b->method) &&
	       same(a->engine ? a->engine : "", b->engine ? b->engine : "") && same(a->outcome, b->outcome) &&
	       same(a->reason, b->reason) && same(a->at, b->at);
}

static int same_test(const struct gen_test_state *a, const struct gen_test_state *b)
{
	size_t i;

	if (!same(a->id, b->id) || !same(a->function, b->function) || !same(a->code_hash, b->code_hash) ||
	    a->status != b->status || a->retry_count != b->retry_count ||
	    !same(a->last_error, b->last_error) || !same(a->error_category, b->error_category) ||
	    !same(a->reason, b->reason) || !same(a->spec_item, b->spec_item) || !same(a->scope, b->scope) ||
	    a->uniqueness_score != b->uniqueness_score ||
	    !same(a->suggested_fix_method, b->suggested_fix_method) || a->history_nr != b->history_nr)
		return 0;
	for (i = 0; i < a->history_nr; i++)
		if (!same_heal(&a->history[i], &b->history[i]))
			return 0;
	return 1;
}

static int same_state(const struct gen_state *a, const struct gen_state *b)
{
	size_t i;

	if (a->version != b->version || !same(a->module, b->module) ||
	    !same(a->generated_file, b->generated_file) || a->seed != b->seed ||
	    !same(a->updated, b->updated) || a->nr != b->nr)
		return 0;
	for (i = 0; i < a->nr; i++)
		if (!same_test(&a->tests[i], &b->tests[i]))
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gen_state st, back;
	struct buf text = BUF_INIT, again = BUF_INIT;
	int err;

	if (size > FUZZ_MAX_LEN)
		return -1;
	fuzz_reset();
	err = gen_state_parse(&st, (const char *)data, size, NAME);
	if (err < 0) {
		if (err != ERR_PARSE || strncmp(error_last(), refused, sizeof(refused) - 1) ||
		    st.tests || st.nr || st.module)
			abort();
		return 0;
	}
	gen_state_format(&text, &st);
	if (gen_state_parse(&back, text.ptr, text.len, NAME) < 0)
		abort();
	gen_state_format(&again, &back);
	if (!same_state(&st, &back) || strcmp(text.ptr, again.ptr))
		abort();
	gen_state_release(&back);
	gen_state_release(&st);
	buf_release(&again);
	buf_release(&text);
	return 0;
}
