import pytest

from retry import GaveUp, backoff_schedule, call_with_retries


def flaky(failures):
    state = {"left": failures, "calls": 0}

    def operation():
        state["calls"] += 1
        if state["left"]:
            state["left"] -= 1
            raise OSError("busy")
        return "ok"
    return operation, state


def test_backoff_schedule():
    assert backoff_schedule(5) == [0.5, 1.0, 2.0, 4.0, 8.0]


def test_succeeds_after_failures():
    op, state = flaky(2)
    assert call_with_retries(op) == "ok"
    assert state["calls"] == 3


def test_gives_up_with_no_retries():
    op, state = flaky(1)
    with pytest.raises(GaveUp):
        call_with_retries(op, retries=0)
    assert state["calls"] == 1


def test_more_retries_allowed():
    op, state = flaky(5)
    assert call_with_retries(op, retries=6) == "ok"


def test_sleeps_between_attempts():
    slept = []
    op, _ = flaky(2)
    call_with_retries(op, sleep=slept.append)
    assert slept == [0.5, 1.0]
