import pytest

from cart import Cart


def test_adding_same_sku_merges_lines():
    cart = Cart()
    cart.add("apple", 0.5, 2)
    cart.add("apple", 0.5, 3)
    assert cart.item_count() == 5 and len(cart.lines) == 1


def test_subtotal():
    cart = Cart()
    cart.add("book", 12.0)
    cart.add("pen", 1.5, 4)
    assert cart.subtotal() == 18.0


def test_total_with_tax():
    cart = Cart(tax_rate=0.2)
    cart.add("book", 10.0, 2)
    assert cart.total() == 24.0


def test_total_with_discount():
    cart = Cart()
    cart.add("book", 40.0)
    cart.apply_discount(25)
    assert cart.total() == 30.0


def test_discount_then_tax():
    cart = Cart(tax_rate=0.1)
    cart.add("lamp", 50.0, 2)
    cart.apply_discount(10)
    assert cart.total() == 99.0


def test_remove_line():
    cart = Cart()
    cart.add("a", 1.0)
    cart.remove("a")
    assert cart.total() == 0


def test_invalid_discount():
    with pytest.raises(ValueError):
        Cart().apply_discount(120)
