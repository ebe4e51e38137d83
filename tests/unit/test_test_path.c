/* Reading pytest's settings from its configuration files (src/fix/test_path.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fix/test_path.h"
#include "util/strvec.h"

/* the words of `key` joined by '|', and the answer */
static int value(char *out, size_t size, const char *text, enum test_path_config kind,
		 const char *key)
{
	struct strvec v = STRVEC_INIT;
	int r = test_path_config_value(&v, text, strlen(text), kind, key);
	size_t i, used = 0;

	out[0] = 0;
	for (i = 0; i < v.nr; i++)
		used += (size_t)snprintf(out + used, size - used, "%s%s", i ? "|" : "", v.v[i]);
	strvec_clear(&v);
	return r;
}

static void ini__continuation_lines_and_sections(void **state)
{
	char w[256];
	const char *text = "[pytest]\npython_files = test_*.py\n    check_*.py\n"
			   "# a comment\ntestpaths: tests 'my dir'\n[other]\nnorecursedirs = x\n";
	(void)state;
	assert_int_equal(value(w, sizeof(w), text, TEST_PATH_INI, "python_files"), 1);
	assert_string_equal(w, "test_*.py|check_*.py");
	assert_int_equal(value(w, sizeof(w), text, TEST_PATH_INI, "testpaths"), 1);
	assert_string_equal(w, "tests|my dir");
	/* another section's */
	assert_int_equal(value(w, sizeof(w), text, TEST_PATH_INI, "norecursedirs"), 0);
	assert_string_equal(w, "");
}

static void setup_cfg_and_tox_take_their_own_section(void **state)
{
	char w[256];
	(void)state;
	assert_int_equal(value(w, sizeof(w), "[pytest]\npython_files = a.py\n", TEST_PATH_SETUP_CFG,
			       "python_files"), -1);
	assert_int_equal(value(w, sizeof(w), "[tool:pytest]\npython_files =\n\ta_*.py\n",
			       TEST_PATH_SETUP_CFG, "python_files"), 1);
	assert_string_equal(w, "a_*.py");
	assert_int_equal(value(w, sizeof(w), "[tox]\n[pytest]\naddopts = -n 2\n", TEST_PATH_TOX,
			       "python_files"), 0);
}

static void pyproject_strings_and_arrays(void **state)
{
	char w[256];
	const char *text = "[project]\npython_files = \"no\"\n[tool.pytest.ini_options]\n"
			   "python_files = [\n  \"test_*.py\", # ours\n  'spec_*.py',\n]\n"
			   "testpaths = \"tests docs\"\nnorecursedirs = [\"a\\\"b\"]\n";
	(void)state;
	assert_int_equal(value(w, sizeof(w), text, TEST_PATH_PYPROJECT, "python_files"), 1);
	assert_string_equal(w, "test_*.py|spec_*.py");
	/* a string is split as pytest splits it */
	assert_int_equal(value(w, sizeof(w), text, TEST_PATH_PYPROJECT, "testpaths"), 1);
	assert_string_equal(w, "tests|docs");
	assert_int_equal(value(w, sizeof(w), text, TEST_PATH_PYPROJECT, "norecursedirs"), 1);
	assert_string_equal(w, "a\"b");
	/* a file cut in the middle of an array keeps what it read */
	assert_int_equal(value(w, sizeof(w), "[tool.pytest.ini_options]\npython_files = [\"x_*.py\",",
			       TEST_PATH_PYPROJECT, "python_files"), 1);
	assert_string_equal(w, "x_*.py");
	assert_int_equal(value(w, sizeof(w), "[tool.black]\n", TEST_PATH_PYPROJECT, "testpaths"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ini__continuation_lines_and_sections),
		cmocka_unit_test(setup_cfg_and_tox_take_their_own_section),
		cmocka_unit_test(pyproject_strings_and_arrays),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
