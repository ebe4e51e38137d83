"""Split sequences into numbered pages."""
import math


class Page:
    """One page of results plus navigation metadata."""

    def __init__(self, items, number, total_pages, total_items):
        self.items = list(items)
        self.number = number
        self.total_pages = total_pages
        self.total_items = total_items

    @property
    def has_next(self):
        return self.number < self.total_pages

    @property
    def has_previous(self):
        return self.number > 1

    def __repr__(self):
        return f"<Page {self.number} of {self.total_pages}>"


def page_count(total_items, per_page):
    """Number of pages needed to show total_items (always at least 1)."""
    if per_page <= 0:
        raise ValueError("per_page must be positive")
    return max(1, math.ceil(total_items / per_page))


def paginate(items, number, per_page=10):
    """Return page `number` (1-based) of `items`."""
    items = list(items)
    total = page_count(len(items), per_page)
    if number < 1 or number > total:
        raise ValueError(f"page {number} out of range 1..{total}")
    start = number * per_page
    end = start + per_page
    return Page(items[start:end], number, total, len(items))
