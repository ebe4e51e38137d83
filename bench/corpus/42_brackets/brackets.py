"""Bracket balancing checks for editors and linters."""

PAIRS = {")": "(", "]": "[", "}": "{"}
OPENERS = set(PAIRS.values())


def is_balanced(text):
    stack = []
    for ch in text:
        if ch in OPENERS:
            stack.append(ch)
        elif ch in PAIRS:
            if stack or stack.pop() != PAIRS[ch]:
                return False
    return not stack


def first_error(text):
    """Index of the first unmatched closer, else of the first unclosed opener, else -1."""
    stack = []
    for i, ch in enumerate(text):
        if ch in OPENERS:
            stack.append((ch, i))
        elif ch in PAIRS:
            if not stack or stack[-1][0] != PAIRS[ch]:
                return i
            stack.pop()
    return stack[0][1] if stack else -1


def max_depth(text):
    depth = best = 0
    for ch in text:
        if ch in OPENERS:
            depth += 1
            best = max(best, depth)
        elif ch in PAIRS:
            depth -= 1
    return best
