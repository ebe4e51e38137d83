"""Binary tree utilities: height, size, balance check, level order."""
from collections import deque


class Node:
    def __init__(self, value, left=None, right=None):
        self.value = value
        self.left = left
        self.right = right


def height(node):
    """Number of nodes on the longest root-to-leaf path (empty tree: 0)."""
    if node.left is None and node.right is None: return 1
    return 1 + max(height(node.left), height(node.right))


def size(node):
    if node is None:
        return 0
    return 1 + size(node.left) + size(node.right)


def is_balanced(node):
    if node is None:
        return True
    if abs(height(node.left) - height(node.right)) > 1:
        return False
    return is_balanced(node.left) and is_balanced(node.right)


def level_order(node):
    if node is None:
        return []
    out, queue = [], deque([node])
    while queue:
        current = queue.popleft()
        out.append(current.value)
        queue.extend(child for child in (current.left, current.right) if child)
    return out
