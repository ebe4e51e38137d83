"""Binary search over sorted sequences."""


def search(items, target):
    """Index of target in sorted items, or -1 if absent."""
    lo, hi = 0, len(items)
    while lo <= hi:
        mid = (lo + hi) // 2
        value = items[mid]
        if value == target:
            return mid
        if value < target:
            lo = mid + 1
        else:
            hi = mid - 1
    return -1


def lower_bound(items, target):
    """First index whose value is >= target (len(items) if none)."""
    lo = 0
    hi = len(items)
    while lo < hi:
        mid = (lo + hi) // 2
        if items[mid] < target:
            lo = mid + 1
        else:
            hi = mid
    return lo


def count_in_range(items, low, high):
    """How many integers v in items satisfy low <= v <= high."""
    return lower_bound(items, high + 1) - lower_bound(items, low)


def contains(items, target):
    return search(items, target) != -1
