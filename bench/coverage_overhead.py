"""The cost of recording the per-test coverage map at the baseline.

Generates a project of a few hundred tests (a package of pure-Python modules:
text, numbers, a parser, a container class, calls into the standard library's
pure-Python modules that the trace hook must skip), then runs its suite with
our plugin as the baseline does, alternately without and with
--pytest-fixer-coverage, and prints the median times and their ratio.

    /usr/bin/python3 bench/coverage_overhead.py [--tests 400] [--rounds 5]
"""
import argparse
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import compare  # noqa: E402

PLUGIN_DIR = HERE.parent / "src" / "runner"

MODULES = {
    "textkit.py": '''
import textwrap


def words(text):
    out = []
    for raw in text.split():
        word = raw.strip(".,;:!?").lower()
        if word:
            out.append(word)
    return out


def counts(text):
    seen = {}
    for word in words(text):
        seen[word] = seen.get(word, 0) + 1
    return sorted(seen.items(), key=lambda kv: (-kv[1], kv[0]))


def wrap(text, width):
    return textwrap.fill(text, width)


def title(text):
    small = {"a", "an", "the", "of", "in"}
    parts = []
    for i, word in enumerate(words(text)):
        parts.append(word if i and word in small else word.capitalize())
    return " ".join(parts)
''',
    "numbers.py": '''
from fractions import Fraction


def human(n):
    for unit in ("", "k", "M", "G"):
        if abs(n) < 1000:
            return "%d%s" % (n, unit)
        n //= 1000
    return "%dT" % n


def mean(xs):
    total = 0
    for x in xs:
        total += x
    return total / len(xs)


def median(xs):
    s = sorted(xs)
    mid = len(s) // 2
    if len(s) % 2:
        return s[mid]
    return (s[mid - 1] + s[mid]) / 2


def exact_mean(xs):
    return sum(Fraction(x) for x in xs) / len(xs)


def primes(limit):
    sieve = [True] * (limit + 1)
    out = []
    for n in range(2, limit + 1):
        if sieve[n]:
            out.append(n)
            for k in range(n * n, limit + 1, n):
                sieve[k] = False
    return out
''',
    "parser.py": '''
class ParseError(Exception):
    pass


def tokens(src):
    out, i = [], 0
    while i < len(src):
        ch = src[i]
        if ch.isspace():
            i += 1
        elif ch.isdigit():
            j = i
            while j < len(src) and src[j].isdigit():
                j += 1
            out.append(int(src[i:j]))
            i = j
        elif ch in "+-*/()":
            out.append(ch)
            i += 1
        else:
            raise ParseError("bad character %r" % ch)
    return out


def evaluate(src):
    toks = tokens(src)
    pos = 0

    def expr():
        nonlocal pos
        value = term()
        while pos < len(toks) and toks[pos] in ("+", "-"):
            op = toks[pos]
            pos += 1
            value = value + term() if op == "+" else value - term()
        return value

    def term():
        nonlocal pos
        value = atom()
        while pos < len(toks) and toks[pos] in ("*", "/"):
            op = toks[pos]
            pos += 1
            value = value * atom() if op == "*" else value // atom()
        return value

    def atom():
        nonlocal pos
        tok = toks[pos]
        pos += 1
        if tok == "(":
            value = expr()
            pos += 1
            return value
        return tok

    return expr()
''',
    "store.py": '''
class Store:
    def __init__(self):
        self.items = {}
        self.log = []

    def put(self, key, value):
        self.log.append(("put", key))
        self.items[key] = value

    def get(self, key, default=None):
        self.log.append(("get", key))
        return self.items.get(key, default)

    def remove(self, key):
        if key in self.items:
            del self.items[key]
            self.log.append(("remove", key))
            return True
        return False

    def keys(self):
        return sorted(self.items)
''',
}

TEST_TEMPLATE = '''
import json

import pytest

from pkg import numbers, parser, store, textkit

TEXT = "The quick brown fox jumps over the lazy dog. " * 4


@pytest.mark.parametrize("n", range({per}))
def test_human(n):
    assert numbers.human(n * 1234) == numbers.human(n * 1234)


@pytest.mark.parametrize("n", range({per}))
def test_stats(n):
    xs = list(range(n + 1, n + 40))
    assert numbers.mean(xs) == numbers.median(xs)
    assert numbers.exact_mean(xs[:5]) == n + 3


@pytest.mark.parametrize("n", range({per}))
def test_parse(n):
    assert parser.evaluate("(%d + 2) * 3 - 4 / 2" % n) == (n + 2) * 3 - 2


@pytest.mark.parametrize("n", range({per}))
def test_text(n):
    assert textkit.counts(TEXT)[0] == ("the", 8)
    assert len(textkit.wrap(TEXT, 20 + n % 10).splitlines()) > 3
    assert textkit.title("the art of war")[:3] == "The"


@pytest.mark.parametrize("n", range({per}))
def test_store(n):
    s = store.Store()
    for k in range(20):
        s.put("k%d" % k, k * n)
    assert s.get("k3") == 3 * n
    assert s.remove("k4") and not s.remove("k4")
    assert json.loads(json.dumps(s.keys()))[0] == "k0"
    assert numbers.primes(50 + n)[-1] <= 50 + n
'''


def make_project(root, tests):
    per = max(1, tests // 5)
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    for name, text in MODULES.items():
        (root / "pkg" / name).write_text(text.lstrip())
    (root / "tests").mkdir()
    (root / "tests" / "test_suite.py").write_text(TEST_TEMPLATE.replace("{per}", str(per)))
    (root / "pytest.ini").write_text("[pytest]\ntestpaths = tests\npythonpath = .\n")
    return per * 5


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tests", type=int, default=400)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="coverage-overhead-") as tmp:
        root = Path(tmp) / "proj"
        n = make_project(root, args.tests)
        records, cov = Path(tmp) / "records.jsonl", Path(tmp) / "cov.jsonl"
        base = ["/usr/bin/python3", "-m", "pytest", "-q", "-p", "pytest_fixer_plugin",
                "-p", "no:cacheprovider", "--pytest-fixer-records=%s" % records]
        env = dict(os.environ, PYTHONPATH=str(PLUGIN_DIR))
        print("a suite of %d tests, %d rounds each, alternating" % (n, args.rounds))
        off, on = compare("baseline, no coverage", base,
                          "baseline, coverage recorded", base + ["--pytest-fixer-coverage=%s" % cov],
                          args.rounds, cwd=root, env=env)
        lines = cov.read_text().count("\n") // (args.rounds + 1)
        print("coverage lines per run: %d (%d bytes)" % (lines, cov.stat().st_size // (args.rounds + 1)))
        print("slowdown with coverage recorded: %.2fx" % (on / off))


if __name__ == "__main__":
    main()
