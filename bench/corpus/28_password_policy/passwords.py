"""Password policy checks used at signup."""
import string

COMMON = {"password", "123456", "qwerty", "letmein", "welcome"}


class Policy:
    def __init__(self, min_length=8, require_digit=True, require_symbol=False):
        self.min_length = min_length
        self.require_digit = require_digit
        self.require_symbol = require_symbol

    def problems(self, password):
        found = []
        if len(password) < self.min_length:
            found.append(f"shorter than {self.min_length} characters")
        if password.lower() in COMMON:
            found.append("too common")
        has_upper = any(c.isupper() for c in password)
        has_lower = any(c.islower() for c in password)
        if not (has_upper or has_lower):
            found.append("must mix upper and lower case")
        if self.require_digit and not any(c.isdigit() for c in password):
            found.append("needs a digit")
        if self.require_symbol and not any(c in string.punctuation for c in password):
            found.append("needs a symbol")
        return found

    def is_valid(self, password):
        return not self.problems(password)


def strength(password):
    """0 (weak) to 4 (strong), from character variety and length."""
    classes = [str.islower, str.isupper, str.isdigit, lambda c: c in string.punctuation]
    variety = sum(any(test(c) for c in password) for test in classes)
    return min(4, variety + len(password) // 12)
