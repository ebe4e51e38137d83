"""When to deliver push notifications: quiet hours, muting, urgent messages."""
from datetime import datetime, time, timedelta


class Preferences:
    """A user's delivery settings; quiet hours run from `quiet_start` up to
    (not including) `quiet_end`."""

    def __init__(self, quiet_start=time(22, 0), quiet_end=time(7, 0), muted=False):
        self.quiet_start = quiet_start
        self.quiet_end = quiet_end
        self.muted = muted


def in_quiet_hours(t, start, end):
    """True when time of day `t` falls in [start, end).

    A period whose end is earlier than its start runs past midnight
    (22:00-07:00); equal start and end mean no quiet hours at all.
    """
    if start == end:
        return False
    if start < end:
        return start <= t < end
    return t >= start and t < end


def should_deliver_now(prefs, now, urgent=False):
    """Urgent messages always go out; muted users get nothing else."""
    if urgent:
        return True
    if prefs.muted:
        return False
    return not in_quiet_hours(now.time(), prefs.quiet_start, prefs.quiet_end)


def deliver_at(prefs, now):
    """When a normal notification created at `now` goes out: right away, or
    when the quiet hours end."""
    if not in_quiet_hours(now.time(), prefs.quiet_start, prefs.quiet_end):
        return now
    end = datetime.combine(now.date(), prefs.quiet_end)
    if end <= now:
        end += timedelta(days=1)
    return end
