from datetime import date

import pytest

from library.loans import Loan, LoanError


def test_due_date_depends_on_the_item():
    assert Loan("book", date(2024, 3, 1)).due == date(2024, 3, 22)
    assert Loan("dvd", date(2024, 3, 1)).due == date(2024, 3, 8)


def test_renewal_extends_the_due_date():
    loan = Loan("book", date(2024, 3, 1))
    assert loan.renew(date(2024, 3, 22)) == date(2024, 4, 12)


def test_no_fine_within_the_renewed_period():
    loan = Loan("book", date(2024, 3, 1))
    loan.renew(date(2024, 3, 22))
    assert loan.fine(date(2024, 4, 5)) == 0.0


def test_renewal_limit():
    loan = Loan("dvd", date(2024, 3, 1))
    loan.renew(loan.due)
    loan.renew(loan.due)
    with pytest.raises(LoanError):
        loan.renew(loan.due)


def test_reserved_or_overdue_loan_cannot_be_renewed():
    loan = Loan("book", date(2024, 3, 1))
    assert not loan.can_renew(date(2024, 3, 23))
    loan.reserved = True
    assert not loan.can_renew(date(2024, 3, 10))


def test_fine_per_day_late():
    assert Loan("dvd", date(2024, 3, 1)).fine(date(2024, 3, 11)) == 3.0


def test_fine_is_capped():
    assert Loan("dvd", date(2024, 3, 1)).fine(date(2024, 4, 30)) == 10.0
