"""Helpers for rendering short text snippets in list views."""

ELLIPSIS = "..."


def truncate(text, width):
    """Cut text to at most width characters, marking the cut with '...'."""
    if width < len(ELLIPSIS):
        raise ValueError(f"width must be at least {len(ELLIPSIS)}")
    if len(text) <= width:
        return text
    return text[:width - 2] + ELLIPSIS


def truncate_words(text, max_words):
    words = text.split()
    if len(words) <= max_words:
        return " ".join(words)
    return " ".join(words[:max_words]) + " " + ELLIPSIS


def initials(name):
    return "".join(part[0].upper() for part in name.split() if part)


def highlight(text, term, marker="**"):
    """Wrap case-insensitive occurrences of term with marker."""
    if not term:
        return text
    lower, needle = text.lower(), term.lower()
    out, pos = [], 0
    while True:
        hit = lower.find(needle, pos)
        if hit == -1:
            out.append(text[pos:])
            return "".join(out)
        out.append(text[pos:hit] + marker + text[hit:hit + len(term)] + marker)
        pos = hit + len(term)
