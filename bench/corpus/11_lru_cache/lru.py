"""A small least-recently-used cache with hit/miss statistics."""
from collections import OrderedDict


class LRUCache:
    def __init__(self, capacity):
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._data = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __len__(self):
        return len(self._data)

    def __contains__(self, key):
        return key in self._data

    def get(self, key, default=None):
        if key not in self._data:
            self.misses += 1
            return default
        self.hits += 1
        self._data.move_to_end(key)
        return self._data[key]

    def put(self, key, value):
        if key in self._data:
            self._data.move_to_end(key)
        self._data[key] = value
        if len(self._data) > self.capacity:
            self._data.popitem(last=True)

    def hit_rate(self):
        total = self.hits + self.misses
        return self.hits / total if total else 0.0


def cached(capacity):
    """Decorator memoising a one-argument function with an LRUCache."""
    def decorate(fn):
        cache = LRUCache(capacity)
        sentinel = object()

        def wrapper(arg):
            value = cache.get(arg, sentinel)
            if value is sentinel:
                value = fn(arg)
                cache.put(arg, value)
            return value

        wrapper.cache = cache
        return wrapper
    return decorate
