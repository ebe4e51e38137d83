import pytest

from ratios import add, gcd, invert, is_proper, reduce


def test_gcd():
    assert gcd(12, 8) == 4


def test_reduce():
    assert reduce(6, -8) == (-3, 4)


def test_add():
    assert add((1, 6), (1, 3)) == (1, 2)


def test_is_proper():
    assert is_proper(-2, 3) and not is_proper(4, 4)


def test_invert():
    assert invert((-2, 3)) == (-3, 2)


def test_zero_denominator():
    with pytest.raises(ZeroDivisionError, match="zero denominator"):
        reduce(1, 0)
