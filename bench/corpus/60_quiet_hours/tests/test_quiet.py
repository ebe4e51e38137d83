from datetime import datetime, time

from notify.quiet import Preferences, deliver_at, in_quiet_hours, should_deliver_now


def test_quiet_period_within_a_day():
    assert in_quiet_hours(time(13, 30), time(13, 0), time(14, 0))
    assert not in_quiet_hours(time(14, 0), time(13, 0), time(14, 0))


def test_no_quiet_hours_when_start_equals_end():
    assert not in_quiet_hours(time(3, 0), time(0, 0), time(0, 0))


def test_late_evening_is_quiet():
    assert in_quiet_hours(time(23, 30), time(22, 0), time(7, 0))


def test_afternoon_is_not_quiet():
    assert not in_quiet_hours(time(15, 0), time(22, 0), time(7, 0))


def test_urgent_and_muted():
    prefs = Preferences(muted=True)
    assert should_deliver_now(prefs, datetime(2024, 5, 3, 12, 0), urgent=True)
    assert not should_deliver_now(prefs, datetime(2024, 5, 3, 12, 0))


def test_evening_notification_waits_for_the_morning():
    now = datetime(2024, 5, 3, 23, 15)
    assert deliver_at(Preferences(), now) == datetime(2024, 5, 4, 7, 0)


def test_daytime_notification_goes_out_at_once():
    now = datetime(2024, 5, 3, 10, 0)
    assert deliver_at(Preferences(), now) == now
