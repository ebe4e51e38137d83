"""Number formatting helpers for reports."""


def ordinal(n):
    if n < 0:
        raise ValueError("ordinal of a negative number")
    if 12 <= n % 100 <= 13:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def thousands(n, sep=","):
    sign = "-" if n < 0 else ""
    digits = str(abs(int(n)))
    groups = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    return sign + sep.join(groups)


def percent(part, whole, places=1):
    if whole == 0:
        return "n/a"
    return f"{100 * part / whole:.{places}f}%"


def compact(n):
    for threshold, suffix in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "K")):
        if abs(n) >= threshold:
            return f"{n / threshold:.1f}{suffix}"
    return str(n)
