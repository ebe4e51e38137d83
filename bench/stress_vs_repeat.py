#!/usr/bin/python3
"""Stress-run throughput against pytest-repeat with xdist, measured in the same run.

Runs the flaky test of tests/fixtures/flaky/rate (it fails when
random.random() < 0.3) N times, alternately:

  ours:      pytest-fixer reproduce info.json --no-fix (deterministic: false):
             the stress run of src/repro/stress.c, 2 pytest processes, each
             running its share of the iterations in one session through the
             plugin's test loop
  baseline:  /usr/bin/python3 -m pytest -p no:cacheprovider --count N -n 2 -q ID
             (pytest-repeat + pytest-xdist: Debian's python3-pytest-repeat)

and prints, for each, the median test executions per second (N / wall time
of the whole command, start-up included), the ratio ours / baseline, and the
measured failure rate with its 95% Wilson interval against the known 0.3.

Ours is the built binary ($PYTEST_FIXER_BIN, else build/pytest-fixer) on a
git repository made of the fixture, with an info.json whose raw-logs name
the test; its wall time covers the whole command (checkout, reading the
log, the stress run, the report), and its counts come from `--json`.

usage: bench/stress_vs_repeat.py [--iterations N] [--rounds N] [--jobs N]
"""
import argparse
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import binary  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "..", "tests", "fixtures", "flaky", "rate")
TEST_ID = "test_rate.py::test_thirty_percent"
KNOWN_RATE = 0.3
PYTEST = ["/usr/bin/python3", "-m", "pytest"]
Z95 = 1.959963984540054


def wilson(k, n, z=Z95):
    if n == 0:
        return 0.0, 1.0
    p = k / n
    denom = 1 + z * z / n
    center = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, center - half), min(1.0, center + half)


def make_project(root):
    """The fixture as a git repository on main, with the info.json of its CI failure."""
    project = os.path.join(root, "rate")
    shutil.copytree(FIXTURE, project)
    log = "FAILED %s - AssertionError: unlucky draw\n" % TEST_ID
    with open(os.path.join(project, "info.json"), "w") as f:
        json.dump({"deterministic": False, "prompt": "flaky bench", "raw-logs": log}, f)
    for cmd in (["init", "-q", "-b", "main"], ["add", "-A"],
                ["-c", "user.name=bench", "-c", "user.email=bench@localhost",
                 "commit", "-q", "-m", "fixture"]):
        subprocess.run(["git", "-C", project] + cmd, check=True)
    return project


def run_ours(root, iterations, jobs, env):
    argv = [binary(), "reproduce", "info.json", "--no-fix", "--json", "--iterations",
            str(iterations), "-j", str(jobs), "--time-limit", "600", "--outputs",
            os.path.join(root, "..", "outputs")]
    start = time.perf_counter()
    p = subprocess.run(argv, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True)
    wall = time.perf_counter() - start
    if p.returncode not in (0, 1):
        sys.exit("reproduce failed (%d): %s" % (p.returncode, p.stderr.strip()))
    [test] = json.loads(p.stdout)["tests"]
    stress = test["stress"]
    return wall, stress["iterations"], stress["failures"], stress["executions"]


SUMMARY = re.compile(r"(\d+) (failed|passed)")


def run_repeat(root, iterations, jobs, env):
    argv = PYTEST + ["-p", "no:cacheprovider", "--count", str(iterations), "-n", str(jobs),
                     "-q", TEST_ID]
    start = time.perf_counter()
    p = subprocess.run(argv, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True)
    wall = time.perf_counter() - start
    tail = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else ""
    counts = {kind: int(n) for n, kind in SUMMARY.findall(tail)}
    if p.returncode not in (0, 1) or not counts:
        sys.exit("pytest --count failed (%d): %s" % (p.returncode, (p.stderr or tail).strip()))
    failed = counts.get("failed", 0)
    done = failed + counts.get("passed", 0)
    return wall, done, failed, done


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iterations", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    root = tempfile.mkdtemp(prefix="pf-bench-stress-")
    try:
        project = make_project(root)
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTEST_FIXER_PYTEST=" ".join(PYTEST))
        print("flaky test: %s (fails at %.2f), %d iterations, %d processes, %d rounds"
              % (TEST_ID, KNOWN_RATE, args.iterations, args.jobs, args.rounds))
        # warm-up: page cache, bytecode of pytest itself
        run_ours(project, 20, args.jobs, env)
        run_repeat(project, 20, args.jobs, env)
        results = {"ours": [], "repeat": []}
        for _ in range(args.rounds):
            results["ours"].append(run_ours(project, args.iterations, args.jobs, env))
            results["repeat"].append(run_repeat(project, args.iterations, args.jobs, env))
        eps = {}
        for name, label in (("ours", "stress run (ours)"),
                            ("repeat", "pytest --count -n %d" % args.jobs)):
            runs = results[name]
            rates = [ex / wall for wall, _, _, ex in runs]
            eps[name] = statistics.median(rates)
            k = sum(f for _, _, f, _ in runs)
            n = sum(i for _, i, _, _ in runs)
            lo, hi = wilson(k, n)
            print("%-24s median %7.1f executions/s (min %.1f, max %.1f); failure rate %.4f "
                  "[%.4f, %.4f] over %d iterations: known %.2f %s"
                  % (label, eps[name], min(rates), max(rates), k / n if n else 0, lo, hi, n,
                     KNOWN_RATE, "inside" if lo <= KNOWN_RATE <= hi else "OUTSIDE"))
        print("ratio ours/repeat (executions per second): %.2f" % (eps["ours"] / eps["repeat"]))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
