/*
 * Unified diffs as models write them (edit/patch.c): parsed, then applied
 * and normalised against the file the diff itself describes (its context
 * and removed lines in order), so placement and rewriting run too.
 */
#include "fuzz.h"

#include "edit/patch.h"

#define FUZZ_MAX_LEN 65536

/* the old file a hunk implies: its context and removed lines */
static void implied_old(struct buf *out, const struct patch_file *pf)
{
	size_t h, l;

	for (h = 0; h < pf->nr; h++) {
		const struct patch_hunk *hunk = &pf->hunks[h];
		for (l = 0; l < hunk->nr; l++) {
			const struct patch_line *line = &hunk->lines[l];
			if (line->kind == PATCH_ADD)
				continue;
			buf_add(out, line->text, line->len);
			buf_addch(out, '\n');
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct patch_set set;
	struct buf old = BUF_INIT, out = BUF_INIT;
	size_t i;

	if (size > FUZZ_MAX_LEN)
		return -1;
	fuzz_reset();
	if (patch_parse(&set, (const char *)data, size) < 0)
		return 0;
	for (i = 0; i < set.nr; i++) {
		struct patch_file *pf = &set.files[i];
		if (!pf->old_path && !pf->new_path)
			patch_file_set_path(pf, "src/x.py");
		buf_reset(&old);
		implied_old(&old, pf);
		buf_reset(&out);
		patch_apply(&out, pf, old.ptr, old.len);
		buf_reset(&out);
		patch_normalize(&out, pf, old.ptr, old.len);
		/* and against an empty file: a new file, or nothing matches */
		buf_reset(&out);
		patch_apply(&out, pf, "", 0);
	}
	buf_release(&out);
	buf_release(&old);
	patch_set_release(&set);
	return 0;
}
