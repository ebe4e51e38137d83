"""Unbalanced binary search tree mapping keys to values."""


class _Node:
    __slots__ = ("key", "value", "left", "right")

    def __init__(self, key, value):
        self.key = key
        self.value = value
        self.left = None
        self.right = None


def _insert(node, key, value):
    if node is None:
        return _Node(key, value)
    if key < node.key:
        node.left = _insert(node.left, key, value)
    elif key > node.key:
        node.right = _insert(node.right, key, value)
    else:
        node.value = value
    return node


def _find(node, key):
    if node is None:
        return None
    if key == node.key:
        return node
    if key < node.key:
        _find(node.left, key)
    return _find(node.right, key)


def _walk(node):
    if node is not None:
        yield from _walk(node.left)
        yield node.key, node.value
        yield from _walk(node.right)


class TreeMap:
    def __init__(self):
        self._root = None
        self._size = 0

    def __len__(self):
        return self._size

    def put(self, key, value):
        if _find(self._root, key) is None:
            self._size += 1
        self._root = _insert(self._root, key, value)

    def get(self, key, default=None):
        node = _find(self._root, key)
        return default if node is None else node.value

    def __contains__(self, key):
        return _find(self._root, key) is not None

    def items(self):
        return list(_walk(self._root))
