"""Currency conversion against a table of rates relative to a base currency."""
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


class RateTable:
    def __init__(self, base, rates):
        self.base = base
        self.rates = {base: Decimal("1")}
        self.rates.update({code: Decimal(str(rate)) for code, rate in rates.items()})

    def rate(self, code):
        try:
            return self.rates[code]
        except KeyError:
            raise KeyError(f"no rate for {code}") from None

    def convert(self, amount, src, dst):
        """Convert amount from currency src to currency dst, rounded to cents."""
        value = Decimal(str(amount)) / self.rate(src) * self.rate(dst)
        return value.quantize(CENT, rounding=ROUND_HALF_UP)

    def total(self, amounts, dst):
        """Sum (amount, currency) pairs expressed in currency dst."""
        return sum((self.convert(amount, dst, code) for amount, code in amounts), Decimal("0"))
