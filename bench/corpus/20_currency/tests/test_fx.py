from decimal import Decimal

import pytest

from money.fx import RateTable


@pytest.fixture
def table():
    return RateTable("USD", {"EUR": 0.9, "GBP": 0.8})


def test_convert_from_base(table):
    assert table.convert(100, "USD", "EUR") == Decimal("90.00")


def test_convert_to_base(table):
    assert table.convert(90, "EUR", "USD") == Decimal("100.00")


def test_unknown_currency(table):
    with pytest.raises(KeyError):
        table.convert(1, "USD", "JPY")


def test_total_in_base_currency(table):
    assert table.total([(10, "USD"), (9, "EUR"), (8, "GBP")], "USD") == Decimal("30.00")


def test_total_in_other_currency(table):
    assert table.total([(100, "USD"), (10, "EUR")], "EUR") == Decimal("100.00")
