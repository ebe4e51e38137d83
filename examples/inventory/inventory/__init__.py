"""A tiny inventory and order-pricing library.

This is a demo project for pytest-fixer: it contains deliberate bugs
(see BUGS.md).
"""

from inventory.orders import Order, OrderLine
from inventory.pricing import line_price, line_tax, shipping_cost
from inventory.stock import Inventory, Item, StockError

__all__ = [
    "Inventory",
    "Item",
    "Order",
    "OrderLine",
    "StockError",
    "line_price",
    "line_tax",
    "shipping_cost",
]
