import pytest

from gregorian import day_of_year, days_in_month, days_in_year, is_leap


def test_ordinary_leap_year():
    assert is_leap(2024)
    assert not is_leap(2023)


def test_century_not_divisible_by_400():
    assert not is_leap(1900)


def test_century_divisible_by_400_is_leap():
    assert is_leap(2000)
    assert days_in_year(1600) == 366


def test_february_2000():
    assert days_in_month(2000, 2) == 29


def test_day_of_year():
    assert day_of_year(2023, 3, 1) == 60
    assert day_of_year(2024, 12, 31) == 366


def test_bad_month():
    with pytest.raises(ValueError):
        days_in_month(2024, 13)
