/* GitHub Actions logs (reproduce, raw-logs): runner/cilog.c */
#include "fuzz.h"

#include "runner/cilog.h"

#define FUZZ_MAX_LEN 262144
/* a cleaned log is never much longer than the log (U+FFFD for a byte) */
#define FUZZ_CLEAN_CAP (4 * FUZZ_MAX_LEN + 4096)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct test_result res = TEST_RESULT_INIT;
	struct buf clean = BUF_INIT;

	if (size > FUZZ_MAX_LEN)
		return -1;
	fuzz_reset();
	buf_init(&clean, FUZZ_CLEAN_CAP);
	cilog_clean(&clean, (const char *)data, size);
	cilog_failures(&res, (const char *)data, size);
	test_result_release(&res);
	/* what the reproduce prompt is built from: the cleaned log, read again */
	test_result_init(&res);
	cilog_failures(&res, clean.ptr, clean.len);
	test_result_release(&res);
	buf_release(&clean);
	return 0;
}
