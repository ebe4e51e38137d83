from lru import LRUCache, cached


def test_put_and_get():
    cache = LRUCache(2)
    cache.put("a", 1)
    assert cache.get("a") == 1
    assert cache.get("missing", 0) == 0


def test_evicts_least_recently_used():
    cache = LRUCache(2)
    for key in "abc":
        cache.put(key, key.upper())
    assert "a" not in cache
    assert cache.get("b") == "B" and cache.get("c") == "C"


def test_get_refreshes_recency():
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.get("a")
    cache.put("c", 3)
    assert "a" in cache and "c" in cache and "b" not in cache


def test_update_existing_key_does_not_grow():
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("a", 10)
    assert len(cache) == 1 and cache.get("a") == 10


def test_hit_rate():
    cache = LRUCache(4)
    cache.put(1, "x")
    cache.get(1)
    cache.get(2)
    assert cache.hit_rate() == 0.5


def test_cached_decorator_memoises():
    calls = []

    @cached(2)
    def square(n):
        calls.append(n)
        return n * n

    assert square(3) == 9 and square(3) == 9
    assert calls == [3]
