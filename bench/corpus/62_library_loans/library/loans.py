"""Library loans: due dates, renewals and late-return fines."""
from datetime import timedelta

LOAN_DAYS = {"book": 21, "dvd": 7, "magazine": 14}
DAILY_FINE = {"book": 0.20, "dvd": 1.00, "magazine": 0.10}
FINE_CAP = 10.00
MAX_RENEWALS = 2


class LoanError(Exception):
    """Raised when a loan cannot be changed the way that was asked."""


class Loan:
    def __init__(self, item_type, borrowed_on):
        if item_type not in LOAN_DAYS:
            raise ValueError(f"unknown item type: {item_type}")
        self.item_type = item_type
        self.borrowed_on = borrowed_on
        self.period = timedelta(days=LOAN_DAYS[item_type])
        self.due = borrowed_on + self.period
        self.renewals = 0
        self.reserved = False

    def can_renew(self, today):
        """Renewable while not overdue, not reserved by another reader and
        renewed fewer than MAX_RENEWALS times."""
        return (not self.reserved and self.renewals < MAX_RENEWALS
                and today <= self.due)

    def renew(self, today):
        """Add one loan period to the current due date, so that renewing
        early loses no days; returns the new due date."""
        if not self.can_renew(today):
            raise LoanError("this loan cannot be renewed")
        self.renewals += 1
        self.due = self.borrowed_on + self.period
        return self.due

    def fine(self, returned_on):
        """The daily fine for every day past the due date, at most FINE_CAP."""
        days_late = (returned_on - self.due).days
        if days_late <= 0:
            return 0.0
        return round(min(days_late * DAILY_FINE[self.item_type], FINE_CAP), 2)
