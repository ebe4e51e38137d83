"""Count and construct coin-change combinations."""
from functools import lru_cache


def count_ways(amount, coins):
    """Number of distinct multisets of coins summing to amount."""
    coins = tuple(sorted(set(coins), reverse=True))
    if any(c <= 0 for c in coins):
        raise ValueError("coin values must be positive")

    @lru_cache(maxsize=None)
    def ways(remaining, index):
        if remaining == 0:
            return 1
        if remaining < 0:
            return 0
        return ways(remaining - coins[index], index) + ways(remaining, index + 1)

    return ways(amount, 0)


def min_coins(amount, coins):
    """Fewest coins summing to amount, or None if impossible."""
    best = [0] + [None] * amount
    for value in range(1, amount + 1):
        for coin in coins:
            if coin <= value and best[value - coin] is not None:
                candidate = best[value - coin] + 1
                if best[value] is None or candidate < best[value]:
                    best[value] = candidate
    return best[amount]


def greedy_change(amount, coins):
    """Greedy breakdown (optimal for canonical systems like 1/5/10/25)."""
    result = {}
    for coin in sorted(coins, reverse=True):
        result[coin], amount = divmod(amount, coin)
    if amount:
        raise ValueError("amount not representable")
    return {c: n for c, n in result.items() if n}
