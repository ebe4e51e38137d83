"""Human-readable byte sizes in binary units, and parsing them back."""
import re

UNIT_STEP = 1000
_UNITS = ["B", "KiB", "MiB", "GiB", "TiB"]
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|TiB)\s*$")


def human_size(num_bytes, precision=1):
    if num_bytes < 0:
        raise ValueError("size cannot be negative")
    value = float(num_bytes)
    for unit in _UNITS:
        if value < UNIT_STEP or unit == _UNITS[-1]:
            if unit == "B":
                return f"{int(value)} B"
            return f"{value:.{precision}f} {unit}"
        value /= UNIT_STEP


def parse_size(text):
    match = _PATTERN.match(text)
    if not match:
        raise ValueError(f"cannot parse size {text!r}")
    number, unit = float(match.group(1)), match.group(2)
    return int(number * UNIT_STEP ** _UNITS.index(unit))
