"""Events per second over the time between two ticks."""


class RateMeter:
    def __init__(self, start):
        self.last = start
        self.count = 0
        self.rates = []

    def record(self, n=1):
        self.count += n

    def tick(self, now):
        """Close the interval ending at `now`; return its rate (events per second)."""
        self.last = now
        elapsed = now - self.last
        rate = self.count / elapsed if elapsed > 0 else 0.0
        self.rates.append(rate)
        self.count = 0
        return rate

    def peak(self):
        return max(self.rates, default=0.0)
