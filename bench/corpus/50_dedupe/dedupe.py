"""Removing repeated entries while keeping the first one's place."""


def unique(items):
    seen = set()
    out = []
    for item in items:
        if item not in seen:
            out.append(item)
    return out


def unique_by(items, key):
    seen = set()
    out = []
    for item in items:
        k = key(item)
        if k in seen:
            continue
        seen.add(k)
        out.append(item)
    return out


def duplicates(items):
    """The items that occur more than once, in order of their second occurrence."""
    seen, dups = set(), []
    for item in items:
        if item in seen and item not in dups:
            dups.append(item)
        seen.add(item)
    return dups
