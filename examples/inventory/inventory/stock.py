"""Stock keeping: items and the inventory that holds them."""

from dataclasses import dataclass


class StockError(Exception):
    """Raised when a stock operation cannot be carried out."""


@dataclass
class Item:
    """One stock-keeping unit.

    ``capacity`` is the most units the warehouse can hold for this SKU;
    ``reorder_level`` is the quantity at or below which the item should be
    reordered.  ``tax_class`` is a key of ``pricing.TAX_RATES``.
    """

    sku: str
    name: str
    unit_price: float
    quantity: int = 0
    capacity: int = 100
    category: str = "general"
    tax_class: str = "standard"
    reorder_level: int = 5


class Inventory:
    """A collection of items indexed by SKU."""

    def __init__(self, items=()):
        self._items = {}
        for item in items:
            self.add(item)

    def __len__(self):
        return len(self._items)

    def __contains__(self, sku):
        return sku in self._items

    def add(self, item):
        """Add a new item; SKUs must be unique."""
        if item.sku in self._items:
            raise StockError(f"duplicate SKU {item.sku!r}")
        self._items[item.sku] = item

    def get(self, sku):
        """Return the item for ``sku``; raise StockError if there is none."""
        try:
            return self._items[sku]
        except KeyError:
            raise StockError(f"unknown SKU {sku!r}") from None

    def restock(self, sku, amount):
        """Add ``amount`` units of ``sku`` and return the new quantity.

        Stock never exceeds the item's capacity: any units beyond it are
        turned away.
        """
        if amount < 0:
            raise ValueError("amount must not be negative")
        item = self.get(sku)
        item.quantity = max(item.quantity + amount, item.capacity)
        return item.quantity

    def take(self, sku, amount):
        """Remove ``amount`` units of ``sku`` and return the new quantity.

        Raises StockError if fewer than ``amount`` units are in stock.
        """
        if amount < 0:
            raise ValueError("amount must not be negative")
        item = self.get(sku)
        if amount > item.quantity:
            raise StockError(
                f"only {item.quantity} of {sku!r} in stock, {amount} requested"
            )
        item.quantity -= amount
        return item.quantity

    def needs_reorder(self):
        """SKUs whose quantity is at or below their reorder level, sorted."""
        return sorted(
            sku
            for sku, item in self._items.items()
            if item.quantity <= item.reorder_level
        )

    def page(self, number, size=10):
        """Return page ``number`` (1-based) of the items, sorted by SKU.

        Every page holds ``size`` items except possibly the last one;
        a page past the end is empty.
        """
        if number < 1 or size < 1:
            raise ValueError("page number and size must be positive")
        skus = sorted(self._items)
        start = (number - 1) * size
        return [self._items[sku] for sku in skus[start:start + size]]

    def page_count(self, size=10):
        """Number of pages of ``size`` items (at least 1, even when empty)."""
        if size < 1:
            raise ValueError("page size must be positive")
        return max(1, -(-len(self._items) // size))

    def stock_value(self):
        """Total value of the stock held, at unit price."""
        return round(
            sum(item.quantity * item.unit_price for item in self._items.values()),
            2,
        )
