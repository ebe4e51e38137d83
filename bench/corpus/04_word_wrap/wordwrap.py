"""Greedy word wrapping for plain-text reports."""


def wrap(text, width):
    """Break text into lines of at most `width` characters.

    Words longer than the width are placed on a line of their own.
    """
    if width < 1:
        raise ValueError("width must be at least 1")
    lines = []
    current = ""
    for word in text.split():
        if current and len(current) + len(word) > width:
            lines.append(current)
            current = word
        elif current:
            current = current + " " + word
        else:
            current = word
    if current:
        lines.append(current)
    return lines


def fill(text, width, indent=""):
    """Wrap and join with newlines, prefixing each line with indent."""
    inner = width - len(indent)
    return "\n".join(indent + line for line in wrap(text, inner))


def shorten(text, width, placeholder=" [...]"):
    """Collapse whitespace and cut to fit width, ending with placeholder."""
    collapsed = " ".join(text.split())
    if len(collapsed) <= width:
        return collapsed
    lines = wrap(collapsed, width - len(placeholder))
    return lines[0] + placeholder
