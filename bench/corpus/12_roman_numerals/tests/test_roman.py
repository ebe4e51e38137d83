import pytest

from roman import from_roman, to_roman


def test_to_roman():
    assert to_roman(3) == "III"
    assert to_roman(1994) == "MCMXCIV"


def test_to_roman_rejects_zero():
    with pytest.raises(ValueError):
        to_roman(0)


def test_from_roman_subtractive():
    assert from_roman("IV") == 4
    assert from_roman("mcmxciv") == 1994


def test_from_roman_repeated_symbols():
    assert from_roman("III") == 3
    assert from_roman("XX") == 20


@pytest.mark.parametrize("number", [4, 14, 2024])
def test_roundtrip(number):
    assert from_roman(to_roman(number)) == number
