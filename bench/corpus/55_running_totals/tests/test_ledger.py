from ledger import lowest_balance, overdrawn_days, running_totals


def test_single_amount():
    assert running_totals([5]) == [5]


def test_running_totals():
    assert running_totals([5, -2, 10]) == [5, 3, 13]


def test_empty_ledger():
    assert running_totals([]) == []


def test_lowest_balance():
    assert lowest_balance([10, -15, 20], opening=2) == -3


def test_overdrawn_days():
    assert overdrawn_days([-5, 10, -8]) == [0, 2]
