"""Descriptive statistics for small samples (no numpy needed)."""
import math


def mean(xs):
    xs = list(xs)
    if not xs:
        raise ValueError("mean of empty sample")
    return sum(xs) / len(xs)


def median(xs):
    ordered = sorted(xs)
    n = len(ordered)
    if n == 0:
        raise ValueError("median of empty sample")
    mid = n // 2
    if n % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2


def variance(xs):
    """Sample variance (n - 1 denominator)."""
    xs = list(xs)
    if len(xs) < 2:
        raise ValueError("variance needs at least two values")
    m = mean(xs)
    return sum((x - m) * 2 for x in xs) / (len(xs) - 1)


def stdev(xs):
    return math.sqrt(variance(xs))


def zscores(xs):
    xs = list(xs)
    m, s = mean(xs), stdev(xs)
    return [(x - m) / s for x in xs]
