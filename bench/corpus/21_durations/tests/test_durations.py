import pytest

from durations import clock, format_duration, parse


def test_parse():
    assert parse("1h 30m") == 5400
    assert parse("2d5s") == 172805


def test_parse_rejects_garbage():
    with pytest.raises(ValueError):
        parse("ten minutes")


def test_format_zero():
    assert format_duration(0) == "0s"


def test_format_mixed_units():
    assert format_duration(3725) == "1h 2m 5s"


def test_format_whole_day():
    assert format_duration(86400) == "1d"


def test_clock():
    assert clock(3725) == "1:02:05"
