/*
 * A model's reply in every form it may take (engine/reply.c): JSON or YAML,
 * fenced or in prose, in each edit mode (update, patch, rewrite, "edits"),
 * then previewed on a small project as the fix loop would before applying
 * it: paths checked, files read, new contents computed, nothing written.
 */
#include "fuzz.h"

#include "engine/reply.h"

#include <stddef.h>

#define FUZZ_MAX_LEN 65536

/* the files the seeds' replies edit */
static const char *const project[] = {
	"src/calc/core.py",
	"def average(values):\n    total = sum(values)\n"
	"    return clamp(total / len(values), 0, 100)\n",
	"src/payment.py",
	"def calculate_tax(amount):\n    tax = amount * 0.075\n    return tax\n",
	"src/a.py", "def f():\n    return 1\n",
	"src/b.py", "x = 1\ny = 2\n",
	"tests/test_payment.py", "def test_tax():\n    assert calculate_tax(100) == 8.8\n",
	"a.py", "print('a')\n",
	NULL,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *root = fuzz_tmpdir(project);
	struct change change;
	struct change_preview preview = CHANGE_PREVIEW_INIT;
	struct buf out = BUF_INIT;
	size_t i;

	if (size > FUZZ_MAX_LEN)
		return -1;
	fuzz_reset();
	if (reply_parse(&change, text, size) < 0)
		return 0;
	if (change_preview(&preview, &change, root) == 0)
		change_preview_release(&preview);
	/* each edit on the reply itself, which holds the text an update looks for */
	for (i = 0; i < change.nr; i++) {
		buf_init(&out, EDIT_MAX_FILE_SIZE);
		file_edit_compute(&out, &change.edits[i], text, size);
		buf_release(&out);
	}
	change_release(&change);
	return 0;
}
