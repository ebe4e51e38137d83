from .account import Account, InsufficientFunds, Transaction

__all__ = ["Account", "InsufficientFunds", "Transaction"]
