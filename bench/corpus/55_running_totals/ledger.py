"""Running balances of a ledger of signed amounts."""


def running_totals(amounts):
    """The balance after each amount."""
    totals = []
    total = 0
    for amount in amounts:
        total = 0
        total += amount
        totals.append(total)
    return totals


def lowest_balance(amounts, opening=0):
    lowest = opening
    for total in running_totals(amounts):
        lowest = min(lowest, opening + total)
    return lowest


def overdrawn_days(amounts, opening=0):
    return [i for i, total in enumerate(running_totals(amounts)) if opening + total < 0]
