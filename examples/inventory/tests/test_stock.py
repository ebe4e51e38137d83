import pytest

from inventory import Inventory, Item, StockError


def test_add_and_get(store):
    store.add(Item("SPN-01", "Spoon", 1.25, quantity=7))
    assert "SPN-01" in store
    assert store.get("SPN-01").name == "Spoon"
    assert len(store) == 6


def test_duplicate_sku_is_rejected(store):
    with pytest.raises(StockError, match="duplicate SKU"):
        store.add(Item("MUG-01", "Other mug", 9.00))


def test_unknown_sku_raises_stock_error(store):
    with pytest.raises(StockError, match="unknown SKU 'NOPE'"):
        store.get("NOPE")


def test_restock_adds_units(store):
    assert store.restock("BRD-01", 10) == 13
    assert store.get("BRD-01").quantity == 13


def test_restock_is_capped_at_capacity(store):
    # Kettle: 6 in stock, room for 10; the extra 5 units are turned away.
    assert store.restock("KTL-01", 9) == 10


def test_take_reduces_quantity(store):
    assert store.take("MUG-01", 5) == 7
    assert store.take("MUG-01", 7) == 0


def test_take_more_than_in_stock_raises(store):
    with pytest.raises(StockError, match="only 3 of 'BRD-01' in stock"):
        store.take("BRD-01", 4)
    assert store.get("BRD-01").quantity == 3


def test_needs_reorder_lists_low_items(store):
    assert store.needs_reorder() == ["BRD-01", "TEA-01"]
    store.take("APL-01", 20)
    assert store.needs_reorder() == ["APL-01", "BRD-01", "TEA-01"]


def test_first_page_is_sorted_by_sku(store):
    assert [item.sku for item in store.page(1, size=2)] == ["APL-01", "BRD-01"]


def test_last_page_may_be_short(store):
    assert [item.sku for item in store.page(3, size=2)] == ["TEA-01"]
    assert store.page(4, size=2) == []


def test_page_count(store):
    assert store.page_count(size=2) == 3
    assert store.page_count(size=5) == 1
    assert Inventory().page_count() == 1


def test_page_rejects_page_zero(store):
    with pytest.raises(ValueError):
        store.page(0)


def test_stock_value(store):
    # 40*0.50 + 3*2.20 + 12*8.00 + 0*3.50 + 6*24.99
    assert store.stock_value() == pytest.approx(272.54)
