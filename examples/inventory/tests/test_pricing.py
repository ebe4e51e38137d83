import pytest

from inventory.pricing import FLAT_SHIPPING, line_price, shipping_cost


def test_line_price_without_discount():
    assert line_price(2.50, 4) == pytest.approx(10.00)


def test_bulk_discount_applies_at_threshold():
    # 10 units is a bulk line: 10 * 3.00 = 30.00, minus 5% = 28.50
    assert line_price(3.00, 10) == pytest.approx(28.50)


def test_bulk_discount_above_threshold():
    # 20 * 3.00 = 60.00, minus 5% = 57.00
    assert line_price(3.00, 20) == pytest.approx(57.00)


def test_line_price_rejects_negative_quantity():
    with pytest.raises(ValueError):
        line_price(1.00, -1)


@pytest.mark.parametrize(
    "subtotal, expected",
    [(0, 0.0), (99.99, FLAT_SHIPPING), (100.00, 0.0)],
)
def test_shipping_cost(subtotal, expected):
    assert shipping_cost(subtotal) == expected
