"""Car park tariff: a grace period, hourly charges and a daily cap."""
import math
from datetime import timedelta

# The first GRACE_MINUTES of a stay are free, and a paid ticket opens the
# barrier for GRACE_MINUTES after payment.
GRACE_MINUTES = 15
HOURLY_RATE = 2.50
DAILY_CAP = 18.00
LOST_TICKET_FEE = 30.00
MINUTES_PER_DAY = 24 * 60


def charged_hours(minutes):
    """Hours charged for (part of) one day.

    A stay of up to GRACE_MINUTES is free; after that every started hour is
    charged, the first one included.
    """
    if minutes < GRACE_MINUTES:
        return 0
    return math.ceil(minutes / 60)


def fee(minutes, lost_ticket=False):
    """Amount due for a stay of `minutes`; each full day costs DAILY_CAP."""
    if minutes < 0:
        raise ValueError("a stay cannot last a negative time")
    if lost_ticket:
        return LOST_TICKET_FEE
    days, rest = divmod(minutes, MINUTES_PER_DAY)
    return days * DAILY_CAP + min(DAILY_CAP, charged_hours(rest) * HOURLY_RATE)


def receipt_line(plate, minutes):
    """The line printed on the exit receipt for one vehicle."""
    if minutes < MINUTES_PER_DAY and charged_hours(minutes) == 0:
        return f"{plate}  {minutes} min  free"
    hours, mins = divmod(minutes, 60)
    return f"{plate}  {hours}h{mins:02d}  {fee(minutes):.2f}"


def exit_deadline(paid_at):
    """The latest time a vehicle can leave after paying at `paid_at`."""
    return paid_at + timedelta(minutes=GRACE_MINUTES)
