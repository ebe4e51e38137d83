"""Payment card number helpers: Luhn checksum, brand detection, masking."""

_BRANDS = [
    ("34", "amex"), ("37", "amex"), ("4", "visa"),
    ("51", "mastercard"), ("52", "mastercard"), ("53", "mastercard"),
    ("54", "mastercard"), ("55", "mastercard"),
]


def digits_of(number):
    cleaned = number.replace(" ", "").replace("-", "")
    if not cleaned.isdigit():
        raise ValueError("card number must contain only digits, spaces or dashes")
    return [int(ch) for ch in cleaned]


def luhn_valid(number):
    digits = digits_of(number)
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 10
        total += digit
    return total % 10 == 0


def brand(number):
    cleaned = "".join(str(d) for d in digits_of(number))
    for prefix, name in _BRANDS:
        if cleaned.startswith(prefix):
            return name
    return "unknown"


def mask(number):
    cleaned = "".join(str(d) for d in digits_of(number))
    return "*" * (len(cleaned) - 4) + cleaned[-4:]
