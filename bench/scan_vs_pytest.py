#!/usr/bin/python3
"""scan's overhead over bare pytest, measured in the same run.

Generates a project of N test modules (default 40 x 25 tests, a few failing,
one raising deep in source), then times `pytest-fixer scan --json` and
`python3 -m pytest -q -p no:cacheprovider` on it alternately and prints the
ratio of median wall times. Target: within 5% (ratio <= 1.05).

usage: bench/scan_vs_pytest.py [--modules N] [--tests N] [--rounds N]
"""
import argparse
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import binary, compare  # noqa: E402

PYTEST = ["/usr/bin/python3", "-m", "pytest"]


def make_project(root, modules, tests):
    os.makedirs(os.path.join(root, "pkg"))
    os.makedirs(os.path.join(root, "tests"))
    with open(os.path.join(root, "pytest.ini"), "w") as f:
        f.write("[pytest]\ntestpaths = tests\n")
    with open(os.path.join(root, "pkg", "__init__.py"), "w") as f:
        f.write("")
    with open(os.path.join(root, "pkg", "calc.py"), "w") as f:
        f.write("def add(a, b):\n    return a + b\n\n\ndef ratio(a, b):\n    return a / b\n")
    for m in range(modules):
        lines = ["import pytest", "from pkg.calc import add, ratio", ""]
        for t in range(tests):
            if m % 10 == 0 and t == 0:
                lines += ["def test_%d_%d():" % (m, t), "    assert add(1, 1) == 3", ""]
            elif m % 10 == 5 and t == 0:
                lines += ["def test_%d_%d():" % (m, t), "    assert ratio(1, 0) == 0", ""]
            else:
                lines += ["@pytest.mark.parametrize('x', [1, 2])",
                          "def test_%d_%d(x):" % (m, t), "    assert add(x, %d) == x + %d" % (t, t), ""]
        with open(os.path.join(root, "tests", "test_mod%03d.py" % m), "w") as f:
            f.write("\n".join(lines))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--modules", type=int, default=40)
    ap.add_argument("--tests", type=int, default=25)
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    root = tempfile.mkdtemp(prefix="pf-bench-")
    try:
        make_project(root, args.modules, args.tests)
        env = dict(os.environ, PYTEST_FIXER_PYTEST=" ".join(PYTEST), PYTHONDONTWRITEBYTECODE="1")
        print("project: %d modules x %d tests (parametrized x2), %s" % (args.modules, args.tests, root))
        ms, mp = compare("pytest-fixer scan --json", [binary(), "scan", "--json"],
                         "pytest -q (bare)", PYTEST + ["-q", "-p", "no:cacheprovider"],
                         args.rounds, cwd=root, env=env)
        ratio = ms / mp
        print("ratio scan/pytest: %.3f  (target <= 1.05: %s)" % (ratio, "met" if ratio <= 1.05 else "NOT met"))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
