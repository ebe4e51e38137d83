"""RGB colour helpers: hex parsing/formatting, lightening, blending."""


def clamp(value, lo, hi):
    return max(lo, min(value, hi))


def parse_hex(text):
    text = text.lstrip("#")
    if len(text) == 3:
        text = "".join(ch * 2 for ch in text)
    if len(text) != 6:
        raise ValueError(f"bad colour {text!r}")
    return tuple(int(text[i:i + 2], 16) for i in (0, 2, 4))


def to_hex(rgb):
    return "#" + "".join(f"{clamp(c, 0, 255):02x}" for c in rgb)


def lighten(rgb, amount):
    """Add amount to every channel, saturating at 0 and 255."""
    return tuple(clamp(0, c + amount, 255) for c in rgb)


def blend(a, b, t=0.5):
    """Linear interpolation between colours a and b."""
    t = clamp(t, 0.0, 1.0)
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b))


def luminance(rgb):
    r, g, b = (c / 255 for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b
