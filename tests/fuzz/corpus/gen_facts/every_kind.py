import os
import random
from shutil import rmtree as wipe

LIMIT = 10


class BankError(Exception):
    pass


class Account:
    def __init__(self, owner: str, balance: int = 0):
        self.owner = owner
        self.balance = balance

    def deposit(self, amount):
        if amount <= 0:
            raise BankError('amount must be positive')
        self.balance += amount
        return self.balance

    @property
    def rich(self):
        return self.balance > 1000

    def _secret(self):
        return 1


def total(items, *, start=0):
    """Sum of items.

    >>> total([1, 2, 3])
    6
    """
    acc = start
    for x in items:
        acc = acc + x
    return acc


def shout(text, times=2):
    return (text.upper() + '!') * times


def countdown(n):
    while n > 0:
        yield n
        n -= 1


def fact(n):
    return 1 if n <= 1 else n * fact(n - 1)


def clean(path):
    wipe(path)


def tidy(path):
    clean(path)


def describe(acct: Account):
    return acct.owner


def roll():
    return random.random()


async def fetch(url):
    return url


def _private():
    return 0


def _check(pair):
    low, high = pair
    return low <= high


def spans(ranges):
    return [_check(r) for r in ranges]


def widths(ranges):
    return spans(ranges)


def _wipe(p):
    os.remove(p)


def purge(p):
    _wipe(p)
