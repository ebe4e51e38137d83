"""Subscription periods, remaining days and prorated refunds."""
from datetime import date

PRICES = {"basic": 30, "pro": 90}


def period_days(start, end):
    return (end - start).days


def days_left(end, today):
    """Whole days of the subscription still to come; none once it has ended."""
    return (end - today).days


def refund(plan, start, end, today):
    """The unused part of the price, to the cent."""
    total = period_days(start, end)
    if total <= 0:
        return 0.0
    return round(PRICES[plan] * days_left(end, today) / total, 2)


def status(end, today):
    left = days_left(end, today)
    if left == 0:
        return "expired"
    return f"{left} days left"


def renewal(start, end):
    return date.fromordinal(end.toordinal() + period_days(start, end))
