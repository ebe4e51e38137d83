"""Pricing rules: bulk discount, shipping and tax."""

#: Lines of this many units or more get the bulk discount.
BULK_THRESHOLD = 10
#: Fraction taken off the price of a bulk line.
BULK_DISCOUNT = 0.05

#: Orders whose subtotal is at least this much ship for free.
FREE_SHIPPING_OVER = 100.0
#: Shipping charged on smaller (non-empty) orders.
FLAT_SHIPPING = 4.95

#: Tax rate per tax class (see ``Item.tax_class``).
TAX_RATES = {
    "standard": 0.20,
    "reduced": 0.05,
    "zero": 0.0,
}


def line_price(unit_price, quantity):
    """Price of ``quantity`` units at ``unit_price``, rounded to cents.

    A line of ``BULK_THRESHOLD`` units or more is discounted by
    ``BULK_DISCOUNT``.
    """
    if quantity < 0:
        raise ValueError("quantity must not be negative")
    price = unit_price * quantity
    if quantity > BULK_THRESHOLD:
        price *= 1 - BULK_DISCOUNT
    return round(price, 2)


def shipping_cost(subtotal):
    """Shipping for an order with the given subtotal.

    Empty orders ship for nothing, orders of ``FREE_SHIPPING_OVER`` or more
    ship for free, everything else pays ``FLAT_SHIPPING``.
    """
    if subtotal <= 0:
        return 0.0
    if subtotal >= FREE_SHIPPING_OVER:
        return 0.0
    return FLAT_SHIPPING


def line_tax(item, amount):
    """Tax due on ``amount`` spent on ``item``, by the item's tax class."""
    rate = TAX_RATES[item.category]
    return round(amount * rate, 2)
