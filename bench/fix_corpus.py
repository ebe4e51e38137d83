#!/usr/bin/python3
"""The built-in engine on the bug corpus (bench/corpus), measured in one run.

For each single-bug project (made a git repository by corpus/make_repos.sh)
runs `pytest-fixer fix --engine builtin --non-interactive --json` and prints:
  - fixed / total, and which kinds of bug were fixed;
  - the median wall time to a verified fix;
  - candidates validated per second, against the naive way measured on the
    same projects in the same run: one pytest process per candidate, run
    serially (the cost of one full-suite pytest launch per candidate).

usage: bench/fix_corpus.py [--only NAME] [--jobs N]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from common import binary  # noqa: E402

PYTEST = ["/usr/bin/python3", "-m", "pytest", "-q", "-p", "no:cacheprovider"]


def naive_seconds_per_candidate(repo, runs=3):
    """One serial pytest launch on the project: what each candidate costs without us."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(PYTEST, cwd=repo, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default=None)
    ap.add_argument("--jobs", type=int, default=0)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="pf-corpus-")
    try:
        subprocess.run(["bash", os.path.join(HERE, "corpus", "make_repos.sh"), work],
                       check=True, stdout=subprocess.DEVNULL)
        names = sorted(n for n in os.listdir(work) if os.path.isdir(os.path.join(work, n)))
        if args.only:
            names = [n for n in names if args.only in n]
        env = dict(os.environ, PYTEST_FIXER_PYTEST=" ".join(PYTEST[:3]), PYTHONDONTWRITEBYTECODE="1")
        fixed, times, attempts_total, wall_total, naive = 0, [], 0, 0.0, []
        by_kind = {}
        for name in names:
            repo = os.path.join(work, name)
            with open(os.path.join(repo, "BUG.json")) as f:
                kind = json.load(f)["kind"]
            cmd = [binary(), "fix", "--engine", "builtin", "--non-interactive", "--json"]
            if args.jobs:
                cmd += ["-j", str(args.jobs)]
            start = time.perf_counter()
            out = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True)
            wall = time.perf_counter() - start
            try:
                got = json.loads(out.stdout)
            except ValueError:
                print("%-34s error: %s" % (name, out.stderr.strip().splitlines()[-1:]))
                continue
            errors = got["errors"]
            ok = bool(errors) and all(e["status"] == "fixed" for e in errors)
            n_att = sum(len(e["attempts"]) for e in errors)
            attempts_total += n_att
            wall_total += wall
            naive.append(naive_seconds_per_candidate(repo))
            k = by_kind.setdefault(kind, [0, 0])
            k[1] += 1
            if ok:
                fixed += 1
                k[0] += 1
                times.append(wall)
            print("%-34s %-18s %-8s %3d attempts %6.1f s" % (name, kind, "fixed" if ok else "unfixed",
                                                              n_att, wall))
        total = len(names)
        print()
        print("fixed: %d / %d" % (fixed, total))
        for kind, (a, b) in sorted(by_kind.items()):
            print("  %-20s %d / %d" % (kind, a, b))
        if times:
            print("median time to a verified fix: %.1f s" % statistics.median(times))
        if attempts_total and wall_total:
            ours = attempts_total / wall_total
            theirs = 1.0 / statistics.median(naive)
            print("candidates validated per second: %.2f (one serial pytest per candidate: %.2f/s); "
                  "ratio %.2f" % (ours, theirs, ours / theirs))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
