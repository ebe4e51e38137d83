"""Fixed-width histogram binning."""


def bin_edges(lo, hi, bins):
    if bins < 1:
        raise ValueError("need at least one bin")
    if hi <= lo:
        raise ValueError("hi must be greater than lo")
    width = (hi - lo) / bins
    return [lo + i * width for i in range(bins)] + [hi]


def bin_index(value, lo, hi, bins):
    """Bin of value; bins are half-open except the last, which includes hi."""
    if value < lo or value > hi:
        raise ValueError(f"{value} outside [{lo}, {hi}]")
    if value == hi:
        return bins - 1
    width = (hi - lo) / bins
    return round((value - lo) / width)


def histogram(values, bins, lo=None, hi=None):
    values = list(values)
    lo = min(values) if lo is None else lo
    hi = max(values) if hi is None else hi
    counts = [0] * bins
    for value in values:
        counts[bin_index(value, lo, hi, bins)] += 1
    return counts


def render(counts, bar="#"):
    width = max(len(str(c)) for c in counts)
    return "\n".join(f"{c:>{width}} {bar * c}" for c in counts)
