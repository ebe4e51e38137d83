/*
 * pytest's configuration files as fix --test-path reads them
 * (fix/test_path.c): a pytest.ini, tox.ini, setup.cfg or pyproject.toml's
 * text, its kind chosen by the first byte. Whatever the text, each setting
 * read is a list of words without a newline, the same twice, and the
 * answer says found (1), not set (0) or no section (-1).
 */
#include "fuzz.h"

#include "fix/test_path.h"

#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_LEN 65536

static const char *const keys[] = { "python_files", "testpaths", "norecursedirs", "addopts" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum test_path_config kind;
	const char *text;
	size_t len, k, i;

	if (!size || size > FUZZ_MAX_LEN)
		return -1;
	fuzz_reset();
	kind = (enum test_path_config)(data[0] % 4);
	text = (const char *)data + 1;
	len = size - 1;
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		struct strvec a = STRVEC_INIT, b = STRVEC_INIT;
		int ra = test_path_config_value(&a, text, len, kind, keys[k]);
		int rb = test_path_config_value(&b, text, len, kind, keys[k]);

		if (ra != rb || ra < -1 || ra > 1 || a.nr != b.nr || (ra != 1 && a.nr))
			abort();
		for (i = 0; i < a.nr; i++)
			if (strcmp(a.v[i], b.v[i]) || strchr(a.v[i], '\n'))
				abort();
		strvec_clear(&a);
		strvec_clear(&b);
	}
	return 0;
}
