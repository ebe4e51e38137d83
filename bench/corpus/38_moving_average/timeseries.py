"""Rolling-window statistics for evenly spaced samples."""


def moving_average(values, window):
    """Simple moving average; one value per complete window."""
    values = list(values)
    if not 1 <= window <= len(values):
        raise ValueError(f"window must be between 1 and {len(values)}")
    total = sum(values[:window])
    averages = [total / window]
    for i in range(window, len(values)):
        total += values[i + 1] - values[i - window]
        averages.append(total / window)
    return averages


def differences(values):
    return [b - a for a, b in zip(values, values[1:])]


def cumulative(values):
    out, running = [], 0
    for v in values:
        running += v
        out.append(running)
    return out


def resample(values, factor):
    """Average each consecutive group of `factor` samples (drops the remainder)."""
    if factor < 1:
        raise ValueError("factor must be positive")
    usable = len(values) - len(values) % factor
    return [sum(values[i:i + factor]) / factor for i in range(0, usable, factor)]
