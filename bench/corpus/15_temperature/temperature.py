"""Temperature conversions between Celsius, Fahrenheit and Kelvin."""

ABSOLUTE_ZERO_C = -273.15
_SCALES = ("C", "F", "K")


def c_to_f(c):
    return c * 9 / 5 + 32


def f_to_c(f):
    return (f + 32) * 5 / 9


def c_to_k(c):
    if c < ABSOLUTE_ZERO_C:
        raise ValueError("below absolute zero")
    return c - ABSOLUTE_ZERO_C


def k_to_c(k):
    if k < 0:
        raise ValueError("negative kelvin")
    return k + ABSOLUTE_ZERO_C


def convert(value, src, dst):
    """Convert between any two of C, F, K."""
    src, dst = src.upper(), dst.upper()
    if src not in _SCALES or dst not in _SCALES:
        raise ValueError(f"unknown scale {src!r} or {dst!r}")
    if src == "F":
        celsius = f_to_c(value)
    elif src == "K":
        celsius = k_to_c(value)
    else:
        celsius = value
    if dst == "F":
        return c_to_f(celsius)
    if dst == "K":
        return c_to_k(celsius)
    return celsius
