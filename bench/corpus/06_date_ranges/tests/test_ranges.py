from datetime import date

import pytest

from booking.ranges import business_days, date_range, next_month_start, overlaps


def test_range_is_inclusive():
    assert date_range(date(2024, 3, 1), date(2024, 3, 3)) == [
        date(2024, 3, 1), date(2024, 3, 2), date(2024, 3, 3)]


def test_single_day_range():
    assert date_range(date(2024, 3, 1), date(2024, 3, 1)) == [date(2024, 3, 1)]


def test_reversed_range_is_empty():
    assert date_range(date(2024, 3, 5), date(2024, 3, 1)) == []


def test_business_days_skip_weekend():
    # 2024-01-01 is a Monday
    assert len(business_days(date(2024, 1, 1), date(2024, 1, 5))) == 5


def test_invalid_step():
    with pytest.raises(ValueError):
        date_range(date(2024, 1, 1), date(2024, 1, 9), step=0)


def test_overlaps():
    assert overlaps(date(2024, 1, 1), date(2024, 1, 5), date(2024, 1, 5), date(2024, 1, 9))
    assert not overlaps(date(2024, 1, 1), date(2024, 1, 4), date(2024, 1, 5), date(2024, 1, 9))


def test_next_month_rolls_year():
    assert next_month_start(date(2023, 12, 17)) == date(2024, 1, 1)
