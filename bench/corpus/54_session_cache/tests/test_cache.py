from sessions.cache import SessionCache


class Clock:
    def __init__(self):
        self.now = 0

    def __call__(self):
        return self.now


def test_missing_key():
    assert SessionCache(10, Clock()).get("x") is None


def test_get_fresh_entry():
    cache = SessionCache(10, Clock())
    cache.put("u1", {"user": "ada"})
    assert cache.get("u1") == {"user": "ada"}


def test_expired_entry():
    clock = Clock()
    cache = SessionCache(10, clock)
    cache.put("u1", "ada")
    clock.now = 10
    assert cache.get("u1") is None


def test_len_counts_live_entries():
    clock = Clock()
    cache = SessionCache(5, clock)
    cache.put("a", 1)
    clock.now = 3
    cache.put("b", 2)
    clock.now = 6
    assert len(cache) == 1


def test_get_just_before_expiry():
    clock = Clock()
    cache = SessionCache(10, clock)
    cache.put("k", 42)
    clock.now = 9
    assert cache.get("k") == 42
