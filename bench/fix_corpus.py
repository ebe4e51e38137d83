#!/usr/bin/python3
"""The built-in engine on the bug corpus (bench/corpus), measured in one run.

For each single-bug project (made a git repository by corpus/make_repos.sh)
runs `pytest-fixer fix --engine builtin --non-interactive --json` and prints:
  - per project: fixed or not, whether the fix is exactly the intended change,
    attempts, candidates that reached a test gate, wall time;
  - fixed / total per kind (BUG.json "kind") and overall;
  - the median and worst wall time per fixed bug;
  - the share of fixes that are exactly the intended change: every winning
    diff's removed / added lines are BUG.json's buggy / fixed lines
    (whitespace-insensitive; "fixed" may hold several lines);
  - candidates that reached a test gate per second (attempts that passed, or
    that the target, flaky, regression or timeout gate rejected: not those
    that did not apply, parse or that weakened a test), against the naive
    loop measured in the same run on a sample of the same candidates: each
    candidate's diff applied to a copy of the project, then one fresh
    `pytest -q -p no:cacheprovider <target>`, serially. The naive rate is the
    sampled seconds per candidate of each project, weighted by how many
    candidates reached a gate there, in two strata sampled apart: those our
    gates stopped at a time limit (a loop: the naive loop waits its own 10 s
    limit or until the run ends; two a project) and the others (--sample). Our rate counts the whole command (scan,
    baseline, gates, branches); the naive one only the candidates' runs. So
    a second rate counts only the candidates' part of each fix run: from its
    first failure's progress line on stderr to its "done" line.
  The machine's knowledge base is a fresh one in the run's directory: the
  run learns from its own projects only.

usage: bench/fix_corpus.py [--only NAME] [--jobs N] [--json OUT] [--sample K]
                           [--seed S] [--max-candidates N] [--timeout S] [--fix-arg ARG]
"""
import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from common import (PYTEST, all_fixed, binary, candidate_phase,  # noqa: E402
                    diff_is_change, fix_argv, fix_attempts, fix_env, fix_errors, fix_json, last_line,
                    reached_test_gate, run_measured, target_ids, winning_diffs)


NAIVE_TIMEOUT = 10.0
LOOPING_SAMPLE = 2   # candidates our gates stopped at a time limit, run naively per project


def stopped_at_limit(attempt):
    """Our gates stopped the candidate's test at its time limit (a loop, a deep recursion)."""
    reason = attempt.get("reason") or ""
    return "did not finish within" in reason or "exceeded the timeout" in reason


def naive_candidate(copy, diff, targets):
    """Seconds for the naive loop's one candidate: apply its diff, run pytest on its target,
    take the diff back. None when the diff does not apply to the copy."""
    start = time.perf_counter()
    applied = subprocess.run(["git", "apply", "-"], cwd=copy, input=diff, text=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if applied.returncode != 0:
        return None
    try:
        # a mutant that loops: a naive loop stops it where the gates used to (10 s)
        subprocess.run(PYTEST + targets, cwd=copy, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=NAIVE_TIMEOUT)
    except subprocess.TimeoutExpired:
        pass
    subprocess.run(["git", "apply", "-R", "-"], cwd=copy, input=diff, text=True, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def run_project(name, repo, work, args, env, rng):
    with open(os.path.join(repo, "BUG.json")) as f:
        bug = json.load(f)
    copy = os.path.join(work, ".naive", name)  # taken before fix runs: the loop's own copy
    shutil.copytree(repo, copy, symlinks=True)
    cmd = fix_argv(args.jobs, *((["--max-candidates", str(args.max_candidates)]
                                 if args.max_candidates else []) + args.fix_arg))
    run = run_measured(cmd, cwd=repo, env=env, timeout=args.timeout)
    got = fix_json(run)
    row = {"name": name, "kind": bug.get("kind", "?"), "file": bug.get("file"),
           "wall": run["wall"], "candidate_s": candidate_phase(run), "rc": run["rc"], "fixed": False, "exact": None,
           "attempts": 0, "gated": 0, "gates": {}, "naive": [], "winning_diffs": []}
    if got is None:
        row["error"] = ("timed out after %s s" % args.timeout if run["rc"] is None
                        else last_line(run["stderr"]) or "no JSON on stdout")
        return row
    gated, looping = [], []
    row["behaviour"] = {"checked": 0, "changed": 0, "skipped": 0}
    for e, a in fix_attempts(got):
        row["attempts"] += 1
        b = a.get("behaviour")
        if isinstance(b, dict):
            if "skipped" in b:
                row["behaviour"]["skipped"] += 1
            else:
                row["behaviour"]["checked"] += 1
                row["behaviour"]["changed"] += bool(b.get("changed"))
        gate = a.get("gate") or a.get("status") or "?"
        row["gates"][gate] = row["gates"].get(gate, 0) + 1
        if reached_test_gate(a) and a.get("diff"):
            (looping if stopped_at_limit(a) else gated).append((a["diff"], target_ids(e)))
    row["gated"] = len(gated) + len(looping)
    row["gated_looping"] = len(looping)
    row["errors"] = len(fix_errors(got))
    row["fixed"] = all_fixed(got)
    wins = winning_diffs(got, repo)
    row["winning_diffs"] = wins
    if row["fixed"]:
        row["exact"] = bool(wins) and all(diff_is_change(d, bug.get("buggy", ""),
                                                     bug.get("fixed", "")) for d in wins)
    # two strata, each sampled: the candidates our gates stopped at a time limit cost the
    # naive loop up to its own limit, the others a fresh pytest run
    row["naive_looping"] = []
    for stratum, out, k in ((gated, row["naive"], args.sample),
                            (looping, row["naive_looping"], LOOPING_SAMPLE)):
        for diff, targets in rng.sample(stratum, min(k, len(stratum))):
            t = naive_candidate(copy, diff, targets)
            if t is not None:
                out.append(t)
    shutil.rmtree(copy, ignore_errors=True)
    return row


def summarise(rows):
    by_kind = {}
    for r in rows:
        k = by_kind.setdefault(r["kind"], {"fixed": 0, "total": 0, "exact": 0})
        k["total"] += 1
        k["fixed"] += r["fixed"]
        k["exact"] += bool(r["exact"])
    fixed = [r for r in rows if r["fixed"]]
    times = [r["wall"] for r in fixed]
    gated = sum(r["gated"] for r in rows)
    wall = sum(r["wall"] for r in rows if "error" not in r)
    samples = [t for r in rows for t in r["naive"] + r.get("naive_looping", [])]
    # the naive loop's time for the same candidates: per project and stratum (stopped at a
    # time limit by our gates, or not) the sampled mean per candidate, times the candidates
    # (the whole stratum's mean where a project's could not be sampled)
    plain = [t for r in rows for t in r["naive"]]
    loops = [t for r in rows for t in r.get("naive_looping", [])]
    overall = statistics.mean(plain) if plain else 0
    overall_loops = statistics.mean(loops) if loops else NAIVE_TIMEOUT
    naive_time = 0.0
    for r in rows:
        n_loop = r.get("gated_looping", 0)
        naive_time += (r["gated"] - n_loop) * (statistics.mean(r["naive"]) if r["naive"]
                                               else overall)
        naive_time += n_loop * (statistics.mean(r["naive_looping"]) if r.get("naive_looping")
                                else overall_loops)
    s = {"total": len(rows), "fixed": len(fixed), "by_kind": by_kind,
         "exact": sum(bool(r["exact"]) for r in fixed),
         "median_fixed_s": statistics.median(times) if times else None,
         "worst_fixed_s": max(times) if times else None,
         "worst_fixed": max(fixed, key=lambda r: r["wall"])["name"] if fixed else None,
         "attempts": sum(r["attempts"] for r in rows), "gated": gated, "fix_wall_s": wall,
         "naive_sampled": len(samples), "naive_sampled_s": sum(samples),
         "gated_looping": sum(r.get("gated_looping", 0) for r in rows),
         "naive_looping_sampled": len(loops),
         "ours_per_s": gated / wall if gated and wall else None,
         "naive_per_s": gated / naive_time if gated and naive_time else None}
    s["exact_share"] = s["exact"] / s["fixed"] if s["fixed"] else None
    s["ratio"] = (s["ours_per_s"] / s["naive_per_s"]
                  if s["ours_per_s"] and s["naive_per_s"] else None)
    # the candidates' part of each run alone (from the first failure's progress line to
    # "done"), as the naive loop counts only its candidates' runs
    timed = [r for r in rows if "error" not in r and r.get("candidate_s") is not None]
    phase = sum(r["candidate_s"] for r in timed)
    phase_gated = sum(r["gated"] for r in timed)
    s["candidate_phase_s"] = phase
    s["ours_phase_per_s"] = phase_gated / phase if phase_gated and phase else None
    s["ratio_phase"] = (s["ours_phase_per_s"] / s["naive_per_s"]
                        if s["ours_phase_per_s"] and s["naive_per_s"] else None)
    s["setup_s"] = wall - phase if timed and len(timed) == len(rows) else None
    return s


def report(rows, s):
    print()
    print("fixed: %d / %d" % (s["fixed"], s["total"]))
    for kind, k in sorted(s["by_kind"].items()):
        print("  %-22s %2d / %-2d  (exact %d)" % (kind, k["fixed"], k["total"], k["exact"]))
    if s["median_fixed_s"] is not None:
        print("time per fixed bug: median %.1f s, worst %.1f s (%s)"
              % (s["median_fixed_s"], s["worst_fixed_s"], s["worst_fixed"]))
    if s["exact_share"] is not None:
        print("exactly the intended change: %d / %d fixes (%.0f%%)"
              % (s["exact"], s["fixed"], 100 * s["exact_share"]))
    beh = [r.get("behaviour", {}) for r in rows]
    checked = sum(b.get("checked", 0) for b in beh)
    if checked or sum(b.get("skipped", 0) for b in beh):
        print("behaviour check (--check-behaviour): %d attempts checked, %d of them change "
              "behaviour beyond the failing tests, %d skipped; projects whose fix was checked: "
              "%d" % (checked, sum(b.get("changed", 0) for b in beh),
                      sum(b.get("skipped", 0) for b in beh),
                      sum(1 for r in rows if r["fixed"] and r.get("behaviour", {}).get("checked"))))
    print("attempts: %d, of which reached a test gate: %d (%d stopped at a time limit; %d of "
          "those run by the naive loop too)" % (s["attempts"], s["gated"], s["gated_looping"],
                                                s["naive_looping_sampled"]))
    if s["ratio"] is not None:
        print("candidates through a test gate per second: %.2f (fix, %d in %.0f s of fix runs); "
              "naive loop (one fresh pytest of the target per candidate, serial, %d sampled in "
              "%.0f s): %.2f/s; ratio %.2f (goal >= 10)"
              % (s["ours_per_s"], s["gated"], s["fix_wall_s"], s["naive_sampled"],
                 s["naive_sampled_s"], s["naive_per_s"], s["ratio"]))
    if s["ratio_phase"] is not None:
        print("the candidates' part of the fix runs alone (first failure to done: no baseline, "
              "no report): %.2f/s in %.0f s; ratio %.2f against the naive loop%s"
              % (s["ours_phase_per_s"], s["candidate_phase_s"], s["ratio_phase"],
                 "" if s["setup_s"] is None else
                 "; the rest of the fix runs (baseline, workers, report): %.0f s" % s["setup_s"]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default=None, help="only projects whose name contains this")
    ap.add_argument("--jobs", type=int, default=0, help="fix -j N (default: its own)")
    ap.add_argument("--json", default=None, metavar="OUT", help="write every figure here")
    ap.add_argument("--sample", type=int, default=4, metavar="K",
                    help="candidates per project run by the naive loop (default 4)")
    ap.add_argument("--seed", type=int, default=1, help="the naive loop's sample (default 1)")
    ap.add_argument("--max-candidates", type=int, default=0, metavar="N",
                    help="fix --max-candidates N (default: its own)")
    ap.add_argument("--timeout", type=float, default=900, metavar="S",
                    help="a fix run is killed after this (default 900 s)")
    ap.add_argument("--fix-arg", action="append", default=[], metavar="ARG",
                    help="one more argument of every fix run (--fix-arg=--check-behaviour)")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="pf-corpus-")
    started = time.time()
    try:
        subprocess.run(["bash", os.path.join(HERE, "corpus", "make_repos.sh"), work],
                       check=True, stdout=subprocess.DEVNULL)
        names = sorted(n for n in os.listdir(work)
                       if os.path.isfile(os.path.join(work, n, "BUG.json")))
        if args.only:
            names = [n for n in names if args.only in n]
        env = fix_env(os.path.join(work, ".data"))
        rows = []
        for name in names:
            rng = random.Random("%d/%s" % (args.seed, name))
            r = run_project(name, os.path.join(work, name), work, args, env, rng)
            rows.append(r)
            print("%-26s %-20s %-7s %-5s %3d attempts %3d gated %6.1f s%s"
                  % (name, r["kind"], "fixed" if r["fixed"] else "unfixed",
                     "exact" if r["exact"] else ("-" if r["exact"] is None else "other"),
                     r["attempts"], r["gated"], r["wall"],
                     "  error: " + r["error"] if "error" in r else ""), flush=True)
        s = summarise(rows)
        report(rows, s)
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"script": "fix_corpus.py", "binary": os.path.realpath(binary()),
                           "started": started, "seconds": time.time() - started,
                           "options": vars(args), "summary": s, "projects": rows}, f, indent=1)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
