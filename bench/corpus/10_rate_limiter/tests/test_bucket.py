import pytest

from ratelimit import FixedWindow, TokenBucket


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_burst_limited_to_capacity():
    clock = FakeClock()
    bucket = TokenBucket(rate=1, capacity=3, clock=clock)
    assert [bucket.allow() for _ in range(4)] == [True, True, True, False]


def test_refills_over_time():
    clock = FakeClock()
    bucket = TokenBucket(rate=2, capacity=2, clock=clock)
    assert bucket.allow() and bucket.allow()
    assert not bucket.allow()
    clock.now += 0.5
    assert bucket.allow()
    assert not bucket.allow()


def test_cost_larger_than_capacity_denied():
    bucket = TokenBucket(rate=1, capacity=3, clock=FakeClock())
    assert not bucket.allow(cost=5)


def test_invalid_parameters():
    with pytest.raises(ValueError):
        TokenBucket(rate=0, capacity=1)


def test_fixed_window_limits_and_resets():
    clock = FakeClock()
    window = FixedWindow(limit=2, window=10, clock=clock)
    assert [window.allow() for _ in range(3)] == [True, True, False]
    clock.now += 10
    assert window.allow()
