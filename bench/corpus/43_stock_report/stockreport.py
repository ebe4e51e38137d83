"""Low-stock and valuation reports for a small warehouse."""


def valuation(items):
    """Total value of the stock: quantity times unit cost."""
    total = 0
    for item in items:
        total += item["qty"] * item["cost"]
    return round(total, 2)


def low_stock(items, threshold=5):
    """Names of the items at or below the threshold, fewest first."""
    low = [item for item in items if item["qty"] <= threshold]
    low.sort(key=lambda item: item["qty"])
    return [item["name"] for item in low]


def reorder_lines(items, threshold=5, target=20):
    """How many of each low item to order to get back to the target."""
    lines = []
    for item in low_stock_items(items, threshold):
        missing = target - item["qty"]
        lines.append(f"{item['name']}: {missing}")
    return lines


def low_stock_items(items, threshold):
    return [item for item in items if item["qty"] <= threshold]


def summary(items, threshold=5):
    count = len(items)
    flagged = len(low_stock(items, threshold))
    if flagged == 0:
        return f"{count} items, all stocked"
    return f"{count} items, {flaged} low"
