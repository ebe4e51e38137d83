import pytest

from bank import Account, InsufficientFunds


def test_deposit_increases_balance():
    acct = Account("ana")
    acct.deposit(500)
    acct.deposit(250)
    assert acct.balance == 750


def test_partial_withdrawal():
    acct = Account("ana", balance=1000)
    acct.withdraw(300)
    assert acct.balance == 700


def test_withdraw_entire_balance():
    acct = Account("ana", balance=1000)
    acct.withdraw(1000)
    assert acct.balance == 0


def test_overdraft_rejected():
    acct = Account("ana", balance=100)
    with pytest.raises(InsufficientFunds):
        acct.withdraw(101)
    assert acct.balance == 100


def test_transfer_full_balance():
    src, dst = Account("ana", balance=400), Account("ben")
    src.transfer(dst, 400)
    assert (src.balance, dst.balance) == (0, 400)


def test_negative_deposit_rejected():
    with pytest.raises(ValueError):
        Account("ana").deposit(-5)


def test_statement_lists_history():
    acct = Account("ana")
    acct.deposit(50)
    assert acct.statement().splitlines() == ["deposit        50", "balance        50"]
