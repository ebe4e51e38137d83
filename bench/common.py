"""Helpers for the benchmark scripts: run commands alternately, compare medians."""
import os
import statistics
import subprocess
import time


def time_once(argv, cwd=None, env=None):
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def compare(label_a, argv_a, label_b, argv_b, rounds, cwd=None, env=None, warmup=1):
    """Run A and B alternately (so drift hits both) and return their median times."""
    for _ in range(warmup):
        time_once(argv_a, cwd, env)
        time_once(argv_b, cwd, env)
    ta, tb = [], []
    for _ in range(rounds):
        ta.append(time_once(argv_a, cwd, env))
        tb.append(time_once(argv_b, cwd, env))
    ma, mb = statistics.median(ta), statistics.median(tb)
    print("%-28s median %.3f s  (min %.3f, max %.3f, %d runs)" % (label_a, ma, min(ta), max(ta), rounds))
    print("%-28s median %.3f s  (min %.3f, max %.3f, %d runs)" % (label_b, mb, min(tb), max(tb), rounds))
    return ma, mb


def binary():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.environ.get("PYTEST_FIXER_BIN", os.path.join(here, "..", "build", "pytest-fixer"))
