"""Customer orders: lines of SKUs and quantities, priced from an inventory."""

from dataclasses import dataclass

from inventory.pricing import line_price, line_tax, shipping_cost
from inventory.stock import StockError


@dataclass
class OrderLine:
    sku: str
    quantity: int


class Order:
    """An order placed against an :class:`~inventory.stock.Inventory`."""

    def __init__(self, inventory):
        self.inventory = inventory
        self.lines = []

    def add(self, sku, quantity=1):
        """Add ``quantity`` units of ``sku``; repeated SKUs share one line."""
        if quantity <= 0:
            raise ValueError("quantity must be positive")
        self.inventory.get(sku)  # raises StockError for unknown SKUs
        for line in self.lines:
            if line.sku == sku:
                line.quantity += quantity
                return line
        line = OrderLine(sku, quantity)
        self.lines.append(line)
        return line

    def _line_prices(self):
        for line in self.lines:
            item = self.inventory.get(line.sku)
            yield item, line_price(item.unit_price, line.quantity)

    def subtotal(self):
        """Sum of the line prices (bulk discounts applied)."""
        return round(sum(price for _, price in self._line_prices()), 2)

    def shipping(self):
        """Shipping charged for this order."""
        return shipping_cost(self.subtotal())

    def total(self):
        """What the customer pays before tax: subtotal plus shipping."""
        return round(self.subtotal() - self.shipping(), 2)

    def tax(self):
        """Tax due on the lines, each taxed by its item's tax class."""
        tax = 0.0
        for item, price in self._line_prices():
            tax += line_tax(item, price)
        return round(tax, 2)

    def invoice_total(self):
        """Grand total: :meth:`total` plus :meth:`tax`."""
        return round(self.total() + self.tax(), 2)

    def fulfil(self):
        """Take every line out of stock, or nothing at all.

        Raises StockError (and leaves the inventory untouched) if any line
        cannot be served in full.
        """
        for line in self.lines:
            item = self.inventory.get(line.sku)
            if item.quantity < line.quantity:
                raise StockError(f"cannot fulfil {line.quantity} x {line.sku!r}")
        for line in self.lines:
            self.inventory.take(line.sku, line.quantity)
