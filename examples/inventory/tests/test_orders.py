import pytest

from inventory import Order, StockError


def test_add_merges_lines_for_the_same_sku(store):
    order = Order(store)
    order.add("MUG-01", 2)
    order.add("APL-01", 3)
    order.add("MUG-01")
    assert [(line.sku, line.quantity) for line in order.lines] == [
        ("MUG-01", 3),
        ("APL-01", 3),
    ]


def test_add_unknown_sku_raises(store):
    with pytest.raises(StockError):
        Order(store).add("NOPE")


def test_subtotal(store):
    order = Order(store)
    order.add("MUG-01", 2)  # 16.00
    order.add("APL-01", 4)  # 2.00
    assert order.subtotal() == pytest.approx(18.00)


def test_total_adds_shipping_to_small_orders(store):
    order = Order(store)
    order.add("MUG-01", 2)  # 16.00 + 4.95 shipping
    assert order.total() == pytest.approx(20.95)


def test_total_of_large_order_ships_free(store):
    order = Order(store)
    order.add("KTL-01", 5)  # 124.95, free shipping
    assert order.total() == pytest.approx(124.95)


def test_tax_follows_each_items_tax_class(store):
    order = Order(store)
    order.add("MUG-01", 2)  # 16.00 standard (20%) -> 3.20
    order.add("BRD-01", 2)  # 4.40 reduced (5%)   -> 0.22
    order.add("APL-01", 4)  # 2.00 zero            -> 0.00
    assert order.tax() == pytest.approx(3.42)


def test_fulfil_takes_stock(store):
    order = Order(store)
    order.add("MUG-01", 2)
    order.add("BRD-01", 3)
    order.fulfil()
    assert store.get("MUG-01").quantity == 10
    assert store.get("BRD-01").quantity == 0


def test_fulfil_is_all_or_nothing(store):
    order = Order(store)
    order.add("MUG-01", 2)
    order.add("TEA-01", 1)  # out of stock
    with pytest.raises(StockError, match="TEA-01"):
        order.fulfil()
    assert store.get("MUG-01").quantity == 12
