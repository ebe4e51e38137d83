"""Shopping cart with per-line quantities, a percentage discount and tax."""
from dataclasses import dataclass


@dataclass
class LineItem:
    sku: str
    price: float
    qty: int = 1

    @property
    def total(self):
        return self.price * self.qty


class Cart:
    def __init__(self, tax_rate=0.0):
        self.tax_rate = tax_rate
        self.lines = {}
        self.discount_pct = 0

    def add(self, sku, price, qty=1):
        if qty < 1:
            raise ValueError("qty must be >= 1")
        if sku in self.lines:
            self.lines[sku].qty += qty
        else:
            self.lines[sku] = LineItem(sku, price, qty)

    def remove(self, sku):
        self.lines.pop(sku, None)

    def apply_discount(self, pct):
        if not 0 <= pct <= 100:
            raise ValueError("discount must be between 0 and 100")
        self.discount_pct = pct

    def subtotal(self):
        return sum(line.total for line in self.lines.values())

    def total(self):
        subtotal = self.subtotal()
        discounted = subtotal + subtotal * self.discount_pct / 100
        return round(discounted * (1 + self.tax_rate), 2)

    def item_count(self):
        return sum(line.qty for line in self.lines.values())
