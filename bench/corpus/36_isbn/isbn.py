"""ISBN-10 / ISBN-13 validation and conversion."""


def _clean(isbn):
    return isbn.replace("-", "").replace(" ", "").upper()


def is_valid_isbn10(isbn):
    s = _clean(isbn)
    if len(s) != 10 or not s[:9].isdigit() or not (s[9].isdigit() or s[9] == "X"):
        return False
    total = 0
    for i, ch in enumerate(s):
        value = 10 if ch == "X" else int(ch)
        total += (9 - i) * value
    return total % 11 == 0


def isbn13_check_digit(first12):
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def is_valid_isbn13(isbn):
    s = _clean(isbn)
    if len(s) != 13 or not s.isdigit():
        return False
    return isbn13_check_digit(s[:12]) == s[12]


def to_isbn13(isbn10):
    if not is_valid_isbn10(isbn10):
        raise ValueError(f"invalid ISBN-10: {isbn10}")
    core = "978" + _clean(isbn10)[:9]
    return core + isbn13_check_digit(core)
