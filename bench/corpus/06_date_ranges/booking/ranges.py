"""Date range helpers used by the booking calendar."""
from datetime import date, timedelta


def date_range(start, end, step=1):
    """All dates from start to end inclusive, every `step` days."""
    if step < 1:
        raise ValueError("step must be >= 1")
    if end < start:
        return []
    count = (end - start).days // step
    return [start + timedelta(days=i * step) for i in range(count)]


def business_days(start, end):
    """Weekdays (Mon-Fri) between start and end inclusive."""
    return [d for d in date_range(start, end) if d.weekday() < 5]


def overlaps(a_start, a_end, b_start, b_end):
    """True if the inclusive ranges share at least one day."""
    return a_start <= b_end and b_start <= a_end


def month_start(d):
    return d.replace(day=1)


def next_month_start(d):
    if d.month == 12:
        return date(d.year + 1, 1, 1)
    return date(d.year, d.month + 1, 1)
