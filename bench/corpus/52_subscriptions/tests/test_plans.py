from datetime import date

from billing.plans import days_left, refund, renewal, status

START, END = date(2024, 1, 1), date(2024, 1, 31)


def test_days_left():
    assert days_left(END, date(2024, 1, 21)) == 10


def test_refund_midway():
    assert refund("pro", START, END, date(2024, 1, 16)) == 45.0


def test_status_active():
    assert status(END, date(2024, 1, 30)) == "1 days left"


def test_days_left_after_the_end():
    assert days_left(END, date(2024, 2, 10)) == 0


def test_no_refund_after_the_end():
    assert refund("basic", START, END, date(2024, 3, 1)) == 0.0


def test_status_after_the_end():
    assert status(END, date(2024, 2, 2)) == "expired"


def test_renewal():
    assert renewal(START, END) == date(2024, 3, 1)
