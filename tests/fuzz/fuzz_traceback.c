/* Python and pytest tracebacks in <failure> bodies and logs: runner/traceback.c */
#include "fuzz.h"

#include "runner/traceback.h"

#include <stdlib.h>

#define FUZZ_MAX_LEN 65536

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct failure f = { 0 };
	char *type = NULL, *message = NULL, *path;

	if (size > FUZZ_MAX_LEN)
		return -1;
	fuzz_reset();
	traceback_parse_frames(&f, text, size, "/home/user/proj");
	traceback_parse_frames(&f, text, size, NULL);
	failure_locate_from_frames(&f);
	failure_release(&f);

	traceback_parse_exception(&type, &message, text, size);
	free(type);
	free(message);
	type = message = NULL;
	traceback_split_exception(&type, &message, text, size);
	free(type);
	free(message);

	path = traceback_project_path(text, size, "/home/user/proj");
	free(path);
	path = traceback_project_path(text, size, NULL);
	free(path);
	return 0;
}
