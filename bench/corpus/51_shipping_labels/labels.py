"""Shipping labels from order records."""


def full_name(customer):
    first = customer.get("first", "").strip()
    last = customer.get("last", "").strip()
    return " ".join(part for part in (first, last) if part)


def city_line(order):
    """'CITY POSTCODE' for the label; None for orders collected in person."""
    address = order.get("shipping")
    return f"{address['city'].upper()} {address['postcode']}"


def label(order):
    lines = [full_name(order["customer"])]
    city = city_line(order)
    if city is not None:
        lines.append(order["shipping"]["street"])
        lines.append(city)
    return "\n".join(lines)
