#!/usr/bin/env python3
"""Issue 17: `pytest-fixer generate` over every module of bench/corpus.

For each project of the corpus, in its correct version (BUG.json's `fixed`
applied), `generate` (built-in engine, no model) writes tests for each of
its modules. Then, measured here and not by the generator itself:

- line and branch coverage of each module by its generated tests alone
  (Debian's python3-coverage, `coverage run --branch`);
- bugs caught: with the project's bug put back (BUG.json's `buggy`), do
  the generated tests of its buggy module fail? (the real measure of a suite);
- flaky or failing kept tests: the generated files run RUNS times (fresh
  processes, each with its own PYTHONHASHSEED) on the correct version;
  any failure counts;
- time per module.

Goals (issue 17): median line coverage >= 90%, bugs caught >= 3/4, no kept
test failing or flaky over 20 runs.

usage: gen_corpus.py [--budget S] [--runs N] [--seed N] [--out FILE] [PROJECT...]
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

from common import binary

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
PY = "/usr/bin/python3"
PYTEST = PY + " -m pytest"


def modules_of(project):
    """The project's own modules (not tests, not empty __init__.py), relative paths."""
    out = []
    for dirpath, dirnames, filenames in os.walk(project):
        rel_dir = os.path.relpath(dirpath, project)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "__")) and d != "tests")
        if rel_dir.split(os.sep)[0] == "tests":
            continue
        for f in sorted(filenames):
            if not f.endswith(".py") or f.startswith("test_") or f == "conftest.py":
                continue
            path = os.path.join(dirpath, f)
            if f == "__init__.py" and os.path.getsize(path) < 200:
                continue
            out.append(os.path.normpath(os.path.join(rel_dir, f)))
    return out


def put(project, bug, version):
    """Write BUG.json's `fixed` or `buggy` text into its file, at its line."""
    path = os.path.join(project, bug["file"])
    text = open(path).read()
    old, new = (bug["buggy"], bug["fixed"]) if version == "fixed" else (bug["fixed"], bug["buggy"])
    at = 0
    for _ in range(bug["line"] - 1):
        at = text.index("\n", at) + 1
    if text.startswith(new, at) and not text.startswith(old, at):
        return
    if not text.startswith(old, at):
        raise SystemExit("%s: BUG.json's text is not at line %d of %s" % (project, bug["line"], bug["file"]))
    open(path, "w").write(text[:at] + new + text[at + len(old):])


def coverage_of(project, module, test_file):
    data = os.path.join(project, ".coverage.gen")
    env = dict(os.environ, COVERAGE_FILE=data)
    subprocess.run([PY, "-m", "coverage", "run", "--branch", "--include=" + module, "-m", "pytest",
                    "-q", "-p", "no:cacheprovider", test_file], cwd=project, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out = os.path.join(project, "cov.json")
    subprocess.run([PY, "-m", "coverage", "json", "-o", out], cwd=project, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        files = json.load(open(out))["files"]
    except (OSError, ValueError, KeyError):
        return None, None
    for name, f in files.items():
        if os.path.normpath(name) == module:
            s = f["summary"]
            line = s["covered_lines"] / s["num_statements"] if s["num_statements"] else 1.0
            branch = (s["covered_branches"] / s["num_branches"]) if s.get("num_branches") else 1.0
            return line, branch
    return 0.0, 0.0


def tests_fail(project, files):
    r = subprocess.run(PYTEST.split() + ["-q", "-p", "no:cacheprovider", "-x"] + files, cwd=project,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return r.returncode != 0, r.stdout[-2000:]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--budget", type=float, default=120.0)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=None)
    ap.add_argument("projects", nargs="*")
    a = ap.parse_args()
    names = a.projects or sorted(d for d in os.listdir(CORPUS) if os.path.isdir(os.path.join(CORPUS, d)))
    rows, caught, flaky_total = [], [], 0
    tmp = tempfile.mkdtemp(prefix="gen-corpus-")
    env = dict(os.environ, PYTEST_FIXER_PYTEST=PYTEST,
               PYTEST_FIXER_DATA_DIR=os.path.join(tmp, "data"))
    try:
        for name in names:
            src = os.path.join(CORPUS, name)
            bug = json.load(open(os.path.join(src, "BUG.json")))
            project = os.path.join(tmp, name)
            shutil.copytree(src, project)
            put(project, bug, "fixed")
            generated = {}
            for module in modules_of(project):
                start = time.monotonic()
                r = subprocess.run([binary(), "generate", module, "--json", "--seed", str(a.seed),
                                    "--time-budget", str(a.budget)], cwd=project, env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                took = time.monotonic() - start
                try:
                    rep = json.loads(r.stdout)["modules"][0]
                except (ValueError, KeyError, IndexError):
                    print("%-22s %-28s generate failed (%d): %s" % (name, module, r.returncode,
                                                                    r.stderr.strip()[-300:]))
                    rows.append({"project": name, "module": module, "error": r.stderr[-500:],
                                 "seconds": took})
                    continue
                out = rep["out"]
                line = branch = None
                if rep["kept"]:
                    line, branch = coverage_of(project, module, out)
                    generated[module] = out
                row = {"project": name, "module": module, "kept": len(rep["kept"]),
                       "rejected": len(rep["rejected"]), "line": line, "branch": branch,
                       "mutation_score": rep["mutants"]["score"], "seconds": took,
                       "rejected_reasons": [x["reason"] for x in rep["rejected"]][:5]}
                rows.append(row)
                print("%-22s %-28s kept %3d rejected %2d line %5s branch %5s mutants %3.0f%% %5.1f s" % (
                    name, module, row["kept"], row["rejected"],
                    "-" if line is None else "%.0f%%" % (100 * line),
                    "-" if branch is None else "%.0f%%" % (100 * branch),
                    100 * rep["mutants"]["score"], took), flush=True)
            files = sorted(set(generated.values()))
            # kept tests on the correct version, fresh processes, shuffled
            flaky = 0
            for i in range(a.runs if files else 0):
                rr = subprocess.run(PYTEST.split() + ["-q", "-p", "no:cacheprovider"] + files, cwd=project,
                                    env=dict(env, PYTHONHASHSEED=str(i + 1)),
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                if rr.returncode != 0:
                    flaky += 1
                    print("  run %d on the correct version failed:\n%s" % (i + 1, rr.stdout[-1500:]))
            flaky_total += flaky
            # the bug back: do the generated tests of its module see it?
            buggy_file = os.path.normpath(bug["file"])
            if buggy_file in generated:
                put(project, bug, "buggy")
                failed, _ = tests_fail(project, [generated[buggy_file]])
                caught.append(failed)
                print("  bug %s: %s" % (bug["kind"], "caught" if failed else "missed"), flush=True)
            else:
                caught.append(False)
                print("  bug %s: no generated tests for %s" % (bug["kind"], buggy_file), flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ok = [r for r in rows if r.get("line") is not None]
    lines = [r["line"] for r in ok]
    branches = [r["branch"] for r in ok]
    times = [r["seconds"] for r in rows]
    print()
    print("modules: %d (%d with kept tests, %d failed to generate)" % (
        len(rows), len(ok), sum(1 for r in rows if "error" in r)))
    if lines:
        print("line coverage:   median %.1f%%, worst %.1f%%" % (100 * statistics.median(lines), 100 * min(lines)))
        print("branch coverage: median %.1f%%, worst %.1f%%" % (100 * statistics.median(branches), 100 * min(branches)))
    print("bugs caught: %d of %d (%.0f%%)" % (sum(caught), len(caught), 100 * sum(caught) / max(1, len(caught))))
    print("runs of kept tests failing on the correct version: %d (over %d runs per project)" % (flaky_total, a.runs))
    if times:
        print("time per module: median %.1f s, worst %.1f s" % (statistics.median(times), max(times)))
    if a.out:
        json.dump({"rows": rows, "caught": caught, "flaky_runs": flaky_total}, open(a.out, "w"), indent=1)


if __name__ == "__main__":
    sys.exit(main())
