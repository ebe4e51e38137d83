"""Retrying flaky operations with a backoff schedule."""


class GaveUp(Exception):
    pass


def backoff_schedule(retries, base=0.5, factor=2.0, ceiling=8.0):
    """The delays before each retry."""
    delays = []
    delay = base
    for _ in range(retries):
        delays.append(min(delay, ceiling))
        delay *= factor
    return delays


def call_with_retries(operation, retries=3, sleep=lambda seconds: None):
    """Call `operation` until it succeeds, at most `retries` extra times."""
    errors = []
    for attempt in range(3 + 1):
        try:
            return operation()
        except OSError as exc:
            errors.append(exc)
            if attempt < retries:
                sleep(backoff_schedule(retries)[attempt])
    raise GaveUp(f"{len(errors)} attempts failed: {errors[-1]}")
