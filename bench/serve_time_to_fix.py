#!/usr/bin/env python3
"""Time from a signed delivery to the fix pushed, for a bug the built-in engine
fixes (goal: under 30 s, pytest included), against the baseline of the same fix
by hand in the same run: `pytest-fixer fix --engine builtin` in a clone of the
branch (no webhook, no analysis, no clone over HTTP, no push).

    python3 bench/serve_time_to_fix.py [--rounds 3]
"""
import argparse
import shutil
import statistics
import subprocess
import time

from serve_world import World, git


def service_round():
    w = World(branches=1)
    svc = None
    try:
        svc = w.service()
        number = 100
        name, head = w.heads[number]
        start = time.perf_counter()
        status, text = svc.deliver(w.payload(number), delivery="bench-%d" % number)
        assert status == 202, text
        while git("--git-dir", str(w.remote.bare), "rev-parse", name) == head:
            if time.perf_counter() - start > 300:
                raise SystemExit("no fix pushed in 300 s:\n" + svc.text())
            time.sleep(0.05)
        return time.perf_counter() - start
    finally:
        if svc:
            svc.stop()
        w.close()
        shutil.rmtree(w.tmp, ignore_errors=True)


def by_hand_round():
    w = World(branches=0)
    try:
        clone = w.tmp / "clone"
        git("clone", "-q", "-b", "feature", str(w.remote.bare), str(clone))
        start = time.perf_counter()
        proc = subprocess.run([svc_binary(), "fix", "--engine", "builtin", "--non-interactive"],
                              cwd=str(clone), capture_output=True, text=True)
        took = time.perf_counter() - start
        assert proc.returncode == 0, proc.stderr
        return took
    finally:
        w.close()
        shutil.rmtree(w.tmp, ignore_errors=True)


def svc_binary():
    import os
    return os.environ["PYTEST_FIXER_BIN"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    served, by_hand = [], []
    for _ in range(args.rounds):
        served.append(service_round())
        by_hand.append(by_hand_round())
    ms, mh = statistics.median(served), statistics.median(by_hand)
    print("delivery -> fix pushed (serve)   median %.2f s (min %.2f, max %.2f, %d rounds)"
          % (ms, min(served), max(served), args.rounds))
    print("fix --engine builtin (by hand)   median %.2f s (min %.2f, max %.2f)"
          % (mh, min(by_hand), max(by_hand)))
    print("ratio %.2f; goal under 30 s: %s" % (ms / mh, "met" if ms < 30 else "MISSED"))


if __name__ == "__main__":
    main()
