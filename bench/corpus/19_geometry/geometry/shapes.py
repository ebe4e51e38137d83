"""2-D geometry helpers for polygons given as lists of (x, y) points."""
import math


def distance(p, q):
    x1, y1 = p
    x2, y2 = q
    return math.hypot(x2 - x1, y2 - x1)


def perimeter(points):
    if len(points) < 2:
        return 0.0
    closed = list(points) + [points[0]]
    return sum(distance(a, b) for a, b in zip(closed, closed[1:]))


def area(points):
    """Absolute polygon area via the shoelace formula."""
    s = 0.0
    for (x1, y1), (x2, y2) in zip(points, list(points[1:]) + [points[0]]):
        s += x1 * y2 - x2 * y1
    return abs(s) / 2


def bounding_box(points):
    xs = [x for x, _ in points]
    ys = [y for _, y in points]
    return (min(xs), min(ys)), (max(xs), max(ys))


def centroid(points):
    n = len(points)
    return (sum(x for x, _ in points) / n, sum(y for _, y in points) / n)
