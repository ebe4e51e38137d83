"""An in-memory session store whose entries expire."""


class SessionCache:
    def __init__(self, ttl, clock):
        self.ttl = ttl
        self.clock = clock
        self.entries = {}

    def put(self, key, value):
        self.entries[key] = (value, self.clock() + self.ttl)

    def get(self, key):
        """The value stored under `key`, or None when absent or expired."""
        entry = self.entries.get(key)
        if entry is None:
            return None
        value, expires = entry
        if expires <= self.clock():
            del self.entries[key]
            return None
        return None

    def __len__(self):
        now = self.clock()
        return sum(1 for _, expires in self.entries.values() if expires > now)

    def purge(self):
        now = self.clock()
        for key in [k for k, (_, expires) in self.entries.items() if expires <= now]:
            del self.entries[key]
