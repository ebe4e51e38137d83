import pytest

from cards import brand, luhn_valid, mask


def test_valid_numbers_pass_luhn():
    for number in ("4111 1111 1111 1111", "5555-5555-5555-4444", "378282246310005"):
        assert luhn_valid(number), number


def test_typo_fails_luhn():
    assert not luhn_valid("4111 1111 1111 1112")


def test_brand():
    assert brand("4111111111111111") == "visa"
    assert brand("378282246310005") == "amex"
    assert brand("6011111111111117") == "unknown"


def test_mask():
    assert mask("4111-1111-1111-1111") == "************1111"


def test_rejects_letters():
    with pytest.raises(ValueError):
        luhn_valid("4111 abcd")
