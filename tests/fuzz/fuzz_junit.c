/* JUnit XML reports (--junit-xml, CI artifacts): runner/junit.c */
#include "fuzz.h"

#include "runner/junit.h"

#define FUZZ_MAX_LEN 65536

/* files for dotted classnames to resolve to ("tests.test_calc.TestOps") */
static const char *const project[] = {
	"tests/test_calc.py", "def test_add():\n    assert 1\n",
	"tests/pkg/test_mod.py", "def test_x():\n    pass\n",
	"test_top.py", "def test_y():\n    pass\n",
	NULL,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct test_result res = TEST_RESULT_INIT;
	const char *root = fuzz_tmpdir(project);

	if (size > FUZZ_MAX_LEN)
		return -1;
	fuzz_reset();
	junit_parse_memory(&res, (const char *)data, size, "fuzz.xml", root);
	test_result_release(&res);
	return 0;
}
