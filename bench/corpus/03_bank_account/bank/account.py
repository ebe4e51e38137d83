"""A minimal bank account with an audit trail. Amounts are in cents."""
from dataclasses import dataclass, field


class InsufficientFunds(Exception):
    pass


@dataclass
class Transaction:
    kind: str
    amount: int


@dataclass
class Account:
    owner: str
    balance: int = 0
    history: list = field(default_factory=list)

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("deposit must be positive")
        self.balance += amount
        self.history.append(Transaction("deposit", amount))

    def withdraw(self, amount):
        if amount <= 0:
            raise ValueError("withdrawal must be positive")
        if amount >= self.balance:
            raise InsufficientFunds(f"{self.owner}: balance {self.balance}, requested {amount}")
        self.balance -= amount
        self.history.append(Transaction("withdraw", amount))

    def transfer(self, other, amount):
        self.withdraw(amount)
        other.deposit(amount)

    def statement(self):
        lines = [f"{t.kind:<8} {t.amount:>8}" for t in self.history]
        lines.append(f"{'balance':<8} {self.balance:>8}")
        return "\n".join(lines)
