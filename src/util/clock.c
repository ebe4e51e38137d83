#include "util/clock.h"

#include "util/sig.h"

#include <time.h>

int64_t clock_monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

double clock_monotonic(void)
{
	return (double)clock_monotonic_ns() / 1e9;
}

double clock_wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void clock_sleep_ms(long ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

int clock_sleep_interruptible(long ms)
{
	while (ms > 0 && !sig_pending()) {
		long slice = ms < CLOCK_SLEEP_SLICE_MS ? ms : CLOCK_SLEEP_SLICE_MS;
		struct timespec ts = { slice / 1000, (slice % 1000) * 1000000L };

		nanosleep(&ts, NULL);
		ms -= slice;
	}
	return sig_pending() ? 1 : 0;
}
