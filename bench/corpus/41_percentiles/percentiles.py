"""Nearest-rank percentiles and summaries for latency samples."""
import math


def percentile(samples, p):
    """Nearest-rank percentile: smallest sample with at least p% of samples <= it."""
    if not samples:
        raise ValueError("no samples")
    if not 0 < p <= 100:
        raise ValueError("p must be in (0, 100]")
    ordered = sorted(samples)
    rank = math.ceil(p / 100 * len(ordered))
    return ordered[rank]


def summary(samples):
    return {
        "min": min(samples),
        "p50": percentile(samples, 50),
        "p90": percentile(samples, 90),
        "max": max(samples),
    }


def fraction_below(samples, threshold):
    if not samples:
        return 0.0
    return sum(1 for s in samples if s < threshold) / len(samples)
