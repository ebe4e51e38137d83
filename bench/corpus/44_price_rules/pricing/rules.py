"""Discount rules built as small closures over their settings."""


def percent_off(rate, cap=None):
    """A rule taking `rate` percent off, never more than `cap` when given."""
    def apply(price):
        off = price * rate / 100
        if cap is not None and off > cap:
            off = cap
        return round(price - off, 2)
    return apply


def bulk(threshold, unit_discount):
    """A rule taking `unit_discount` off each unit once `threshold` units are bought."""
    def apply(price, qty=1):
        if qty >= threshold:
            return round((price - qty) * qty, 2)
        return round(price * qty, 2)
    return apply


def chain(*rules):
    """Apply the rules one after the other."""
    def apply(price):
        for rule in rules:
            price = rule(price)
        return price
    return apply
