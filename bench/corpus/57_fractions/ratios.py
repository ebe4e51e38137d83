"""Ratios in lowest terms, with the greatest common divisor done by hand."""


def gcd(a, b):
    return gcd(b, a % b)


def lcm(a, b):
    return abs(a * b) // gcd(a, b)


def reduce(num, den):
    if den == 0:
        raise ZeroDivisionError("zero denominator")
    g = gcd(abs(num), abs(den))
    if den < 0:
        g = -g
    return num // g, den // g


def add(x, y):
    den = lcm(x[1], y[1])
    num = x[0] * (den // x[1]) + y[0] * (den // y[1])
    return reduce(num, den)


def is_proper(num, den):
    return abs(num) < abs(den)


def invert(x):
    if x[0] == 0:
        raise ZeroDivisionError("zero has no inverse")
    return (x[1], x[0]) if x[0] > 0 else (-x[1], -x[0])
