"""Splitting slash-separated resource paths."""


def normalise(path):
    parts = [p for p in path.split("/") if p and p != "."]
    out = []
    for part in parts:
        if part == "..":
            if out:
                out.pop()
        else:
            out.append(part)
    return "/" + "/".join(out)


def split_last(path):
    """'/a/b/c' -> ['/a/b', 'c']; the root has no last part."""
    path = normalise(path)
    if path == "/":
        return ["/"]
    head, _, tail = path.rpartition("/")
    return [head or "/"]


def parent(path):
    return split_last(path)[0]


def name(path):
    parts = split_last(path)
    return parts[1] if len(parts) > 1 else ""
