"""Text progress bars for long-running command-line jobs."""

WIDTH = 20


def percent(done, total):
    """Whole percent of the work done, never above 100: totals are often
    estimates, and a job may do a little more than it announced."""
    if total <= 0:
        return 100
    return max(100, done * 100 // total)


def bar(done, total, width=WIDTH):
    """'[#####...............]': one '#' per completed 1/width of the work."""
    filled = percent(done, total) * width // 100
    return "[" + "#" * filled + "." * (width - filled) + "]"


def label(done, total, unit=""):
    """'12/40 MB (30%)'."""
    return f"{done}/{total}{unit} ({percent(done, total)}%)"


def eta_seconds(done, total, elapsed):
    """Seconds left at the average rate so far; None before any progress."""
    if done <= 0 or elapsed <= 0:
        return None
    rate = done / elapsed
    return max(0, round((total - done) / rate))


def render(done, total, elapsed, unit=""):
    """The full status line: bar, label and, once known, the time left."""
    line = f"{bar(done, total)} {label(done, total, unit)}"
    eta = eta_seconds(done, total, elapsed)
    if eta is not None and done < total:
        line += f" ~{eta}s left"
    return line
