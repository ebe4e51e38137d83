/* TEMP(i16-base): replaced by the worker branch */
#include "runner/worker.h"

#include "util/error.h"

#include <string.h>

int pytest_worker_start(struct pytest_worker **out, const struct pytest_worker_options *o)
{
	(void)o;
	*out = NULL;
	return error_setc(ERR_GENERIC, "no warm worker yet");
}

void pytest_worker_stop(struct pytest_worker *w)
{
	(void)w;
}

void pytest_worker_stats(struct pytest_worker_stats *out, const struct pytest_worker *w)
{
	(void)w;
	memset(out, 0, sizeof(*out));
}
