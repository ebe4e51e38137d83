/*
 * The spec files of `generate --spec` (gen/spec.c): Markdown user stories
 * and OpenAPI contracts, YAML or JSON, parsed from memory under three
 * names (the name picks the reader). A refusal names the file and leaves
 * the items as they were; a parse gives items with a non-empty id of at
 * most a line, unique ids, one-line texts within the cap, valid UTF-8.
 */
#include "fuzz.h"

#include "gen/spec.h"
#include "util/error.h"
#include "util/utf8.h"

#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_LEN 16384

static void check(const char *name, const uint8_t *data, size_t size)
{
	struct gen_spec s = GEN_SPEC_INIT;
	size_t i, k;
	int err = gen_spec_parse(&s, name, (const char *)data, size);

	if (err < 0) {
		if ((err != ERR_PARSE && err != ERR_LIMIT) || s.nr || !strstr(error_last(), name))
			abort();
		gen_spec_release(&s);   /* the array may have grown before the refusal */
		return;
	}
	if (!s.nr)
		abort();
	for (i = 0; i < s.nr; i++) {
		const struct gen_spec_item *it = &s.items[i];
		if (!*it->id || strchr(it->id, '\n') || strchr(it->text, '\n') || strlen(it->text) > GEN_SPEC_MAX_TEXT ||
		    !utf8_is_valid(it->text, strlen(it->text)) || !utf8_is_valid(it->id, strlen(it->id)) ||
		    strcmp(it->file, name))
			abort();
		for (k = 0; k < i; k++)
			if (!strcmp(s.items[k].id, it->id))
				abort();
	}
	gen_spec_release(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_LEN)
		return -1;
	fuzz_reset();
	check("spec.md", data, size);
	check("api.yaml", data, size);
	check("api.json", data, size);
	return 0;
}
