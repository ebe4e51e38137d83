from numfmt import compact, ordinal, percent, thousands


def test_ordinal_basic():
    assert [ordinal(n) for n in (1, 2, 3, 4, 21, 102)] == ["1st", "2nd", "3rd", "4th", "21st", "102nd"]


def test_ordinal_teens():
    assert [ordinal(n) for n in (11, 12, 13, 111)] == ["11th", "12th", "13th", "111th"]


def test_thousands():
    assert thousands(1234567) == "1,234,567"
    assert thousands(-999) == "-999"


def test_percent():
    assert percent(1, 3) == "33.3%"
    assert percent(1, 0) == "n/a"


def test_compact():
    assert compact(1_500) == "1.5K"
    assert compact(2_300_000) == "2.3M"
    assert compact(42) == "42"
