#!/usr/bin/env python3
"""How long reading a 100 MB CI log of adversarial lines takes.

The log mixes the lines that once made the reader quadratic or worse (rules
of 60,000 '=', summary lines full of '.py::', unclosed '[' ... ']' runs,
report titles and totals that never close, 100,000 distinct FAILED lines,
one job per line, reports all titled alike) with ordinary pytest output. It
is read by build/bench_cilog (the reader reproduce uses: cleaned, then
searched for failures) and, as a baseline on the same file in the same run,
by `grep -c FAILED`. Prints both medians and their ratio; asserts nothing.

    bench/cilog_scale.py [--mb 100] [--rounds 3]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import compare  # noqa: E402


def adversarial_lines():
    yield "=" * 60000
    yield "=" * 60000 + "x"
    yield "--- " + "-" * 60000 + "x"
    yield "___ " + " _" * 30000 + "x"
    yield "FAILED a.py" + "::b.py" * 10000 + " x"
    yield "FAILED a.py[" + "]" * 60000 + "x"
    yield "= " + "1" * 60000 + " warnings in 1s ="


def make_log(path, megabytes):
    target = megabytes * 1000 * 1000
    size, i = 0, 0
    with open(path, "w") as f:
        while size < target:
            # a run log: every line in a job's column
            block = ["job a\tRun\t" + line for line in adversarial_lines()]
            # 1,000 distinct failures per block, each in its own job, all titled test_x
            for k in range(1000):
                n = i * 1000 + k
                block.append("job %d\tRun\t____ test_x ____" % n)
                block.append("job %d\tRun\tE   assert %d" % (n, n))
                block.append("job %d\tRun\tFAILED tests/t%d.py::test_x - assert 0" % (n, n))
            text = "\n".join(block) + "\n"
            f.write(text)
            size += len(text)
            i += 1
    return os.path.getsize(path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    driver = os.environ.get("PYTEST_FIXER_BENCH_CILOG",
                            os.path.join(here, "..", "build", "bench_cilog"))
    if not os.access(driver, os.X_OK):
        sys.exit("build bench_cilog first (bash scripts/build.sh build)")
    root = tempfile.mkdtemp(prefix="pf-bench-cilog-")
    try:
        log = os.path.join(root, "ci.log")
        size = make_log(log, args.mb)
        found = subprocess.run([driver, log], capture_output=True, text=True)
        print("log: %.1f MB; reader: %s" % (size / 1e6, (found.stdout or found.stderr).strip()))
        mine, grep = compare("pytest-fixer (CI log reader)", [driver, log],
                             "grep -c FAILED", ["grep", "-c", "FAILED", log], args.rounds)
        print("throughput: %.0f MB/s (grep -c: %.0f MB/s)" % (size / 1e6 / mine, size / 1e6 / grep))
        print("ratio pytest-fixer/grep: %.2f" % (mine / grep))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
