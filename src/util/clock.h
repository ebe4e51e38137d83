#ifndef UTIL_CLOCK_H
#define UTIL_CLOCK_H

#include <stdint.h>

/*
 * Time, of two kinds that must not be mixed:
 * - the monotonic clock, for durations and deadlines: it never jumps when
 *   the system time is set, but its zero is arbitrary (seconds since boot);
 * - the wall clock, for timestamps: seconds since the epoch, to store, show
 *   or hand to another process (the plugin's --pytest-fixer-deadline).
 * A duration measured on the wall clock is a bug: it is wrong by as much as
 * the time was set while it ran.
 */

#define CLOCK_SLEEP_SLICE_MS 50L   /* clock_sleep_interruptible() looks at signals this often */

/* monotonic seconds */
double clock_monotonic(void);
/* monotonic nanoseconds */
int64_t clock_monotonic_ns(void);
/* wall-clock seconds since the epoch */
double clock_wall(void);

/* sleep `ms` milliseconds (a signal may cut it short) */
void clock_sleep_ms(long ms);
/*
 * Sleep `ms` milliseconds in slices of CLOCK_SLEEP_SLICE_MS, stopping early
 * when SIGINT or SIGTERM is pending (util/sig.h): 1 when it stopped so, else 0.
 */
int clock_sleep_interruptible(long ms);

#endif
