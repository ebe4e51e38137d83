"""Utilities for working with closed numeric intervals [start, end]."""


def _validate(interval):
    start, end = interval
    if start > end:
        raise ValueError(f"invalid interval {interval!r}: start > end")
    return start, end


def merge_intervals(intervals):
    """Merge overlapping or touching intervals; returns sorted tuples."""
    ordered = sorted((_validate(iv) for iv in intervals), key=lambda iv: iv[0])
    merged = []
    for start, end in ordered:
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [tuple(iv) for iv in merged]


def total_covered(intervals):
    """Total length covered by the union of the intervals."""
    return sum(end - start for start, end in merge_intervals(intervals))


def gaps(intervals):
    """Uncovered stretches between the merged intervals."""
    merged = merge_intervals(intervals)
    return [(a_end, b_start) for (_, a_end), (b_start, _) in zip(merged, merged[1:])]


def contains(intervals, point):
    return any(start <= point <= end for start, end in intervals)
