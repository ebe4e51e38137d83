import pytest

from stockroom import Inventory, InventoryError


@pytest.fixture
def inv():
    inventory = Inventory()
    inventory.add("widget", 10)
    inventory.add("gadget", 2)
    return inventory


def test_add_accumulates(inv):
    inv.add("widget", 5)
    assert inv.on_hand("widget") == 15


def test_reserve_reduces_available(inv):
    inv.reserve("widget", 4)
    assert inv.available("widget") == 6
    assert inv.on_hand("widget") == 10


def test_cannot_over_reserve(inv):
    with pytest.raises(InventoryError):
        inv.reserve("gadget", 3)


def test_ship_reduces_on_hand(inv):
    inv.reserve("widget", 3)
    inv.ship("widget", 3)
    assert inv.on_hand("widget") == 7


def test_partial_shipment(inv):
    inv.reserve("widget", 4)
    inv.ship("widget", 2)
    assert (inv.on_hand("widget"), inv.available("widget")) == (8, 6)


def test_ship_requires_reservation(inv):
    with pytest.raises(InventoryError):
        inv.ship("gadget", 1)


def test_low_stock(inv):
    assert inv.low_stock(5) == ["gadget"]
