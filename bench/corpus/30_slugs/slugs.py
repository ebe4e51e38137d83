"""URL slug generation."""
import unicodedata


def slugify(text, sep="-", max_length=None):
    normalized = unicodedata.normalize("NFKD", text)
    ascii_text = normalized.encode("ascii", "ignore").decode("ascii").lower()
    words = []
    current = []
    for ch in ascii_text:
        if ch.isalnum():
            current.append(ch)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    slug = sep.join(words)
    if max_length is not None and len(slug) > max_length:
        slug = slug[:max_length].rstrip(sep)
    return slug


def unique_slug(text, taken):
    """slugify(text), suffixed with -2, -3, ... if already in `taken`."""
    base = slugify(text)
    if base in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"
