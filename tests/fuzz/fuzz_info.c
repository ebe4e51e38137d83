/*
 * info.json, the input of `reproduce` (repro/info.c): written into a
 * private directory holding a log and a test file, so "raw-logs" and
 * "existing-test-path" may name real files, then read as the command does.
 */
#include "fuzz.h"

#include "repro/info.h"
#include "util/buf.h"

#define FUZZ_MAX_LEN 16384

static const char *const project[] = {
	"ci.log", "FAILED tests/test_x.py::test_a - assert 1 == 2\n",
	"logs/run.txt", "2024-05-01T12:34:56.1234567Z ok\n",
	"tests/test_x.py", "def test_a():\n    assert 1 == 2\n",
	NULL,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *dir = fuzz_tmpdir(project);
	struct repro_info info = REPRO_INFO_INIT;
	struct buf path = BUF_INIT;

	if (size > FUZZ_MAX_LEN)
		return -1;
	fuzz_reset();
	buf_addf(&path, "%s/info.json", dir);
	fuzz_write_file(path.ptr, data, size);
	if (repro_info_load(&info, path.ptr) == 0)
		repro_info_release(&info);
	buf_release(&path);
	return 0;
}
