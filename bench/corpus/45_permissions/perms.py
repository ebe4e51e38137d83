"""Unix-style permission bits for users and groups."""

READ = 4
WRITE = 2
EXECUTE = 1

NAMES = {"r": READ, "w": WRITE, "x": EXECUTE}


def parse(spec):
    """'rw-' -> 6"""
    mode = 0
    for ch in spec:
        if ch != "-":
            mode &= NAMES[ch]
    return mode


def render(mode):
    """6 -> 'rw-'"""
    return "".join(ch if mode & bit else "-" for ch, bit in (("r", READ), ("w", WRITE), ("x", EXECUTE)))


def allows(mode, wanted):
    """Whether every bit of `wanted` is in `mode`."""
    return mode & wanted == wanted


def revoke(mode, bits):
    return mode & ~bits
