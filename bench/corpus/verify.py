#!/usr/bin/python3
"""Mechanically verify every project of the benchmark corpus.

For each project folder (one holding a BUG.json) this script:

  1. checks BUG.json (known kind, fields present, 1-3 failing tests);
  2. copies the project to a temporary directory and runs
     `python3 -m pytest -q -p no:cacheprovider -rA` there;
  3. checks that 3-8 tests ran, that exactly `failing_tests` failed and that
     everything else passed (no errors, no skips);
  4. checks that the lines of `file` from `line` on equal `buggy` (one line,
     or several joined by newlines), replaces them with `fixed` (which may
     have more or fewer lines), reruns pytest and checks that every test now
     passes;
  5. checks that the project folder itself holds no __pycache__ or
     .pytest_cache.

Usage:  /usr/bin/python3 bench/corpus/verify.py [-j N] [PROJECT ...]
Stdlib only; set PYTHON to use another interpreter for pytest.
Exit status 0 when every project verifies, 1 otherwise.
"""
import argparse
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = os.environ.get("PYTHON", "/usr/bin/python3")
KINDS = {
    "off-by-one", "wrong-operator", "wrong-comparison", "wrong-variable",
    "swapped-arguments", "missing-plus-one", "wrong-boolean", "missing-base-case",
    "wrong-return", "wrong-builtin", "negated-condition", "wrong-constant",
    "undefined-name", "closure-variable", "augmented-assignment", "attribute-name",
    "constant-for-name", "missing-argument", "missing-element", "missing-statement",
    "missing-guard", "wrapped-expression", "slice", "return-value",
    "removed-statement-or-operand", "moved-statement",
}
OUTCOME = re.compile(r"^(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS) (\S+)")
TIMEOUT = 120


def projects(names=None):
    found = sorted(
        d for d in os.listdir(HERE)
        if os.path.isfile(os.path.join(HERE, d, "BUG.json"))
    )
    if names:
        missing = [n for n in names if n not in found]
        if missing:
            raise SystemExit(f"unknown project(s): {', '.join(missing)}")
        return list(names)
    return found


def run_pytest(cwd):
    env = dict(os.environ)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    env.pop("PYTEST_ADDOPTS", None)
    proc = subprocess.run(
        [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rA"],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, timeout=TIMEOUT,
    )
    outcomes = {}
    for line in proc.stdout.splitlines():
        m = OUTCOME.match(line)
        if m:
            outcomes.setdefault(m.group(2), set()).add(m.group(1))
    return proc.returncode, outcomes, proc.stdout


def check_bug_json(bug):
    problems = []
    for key, typ in (("kind", str), ("file", str), ("line", int), ("buggy", str),
                     ("fixed", str), ("failing_tests", list)):
        if not isinstance(bug.get(key), typ):
            problems.append(f"BUG.json: {key!r} missing or not {typ.__name__}")
    if problems:
        return problems
    if bug["kind"] not in KINDS:
        problems.append(f"BUG.json: unknown kind {bug['kind']!r}")
    if bug["buggy"] == bug["fixed"]:
        problems.append("BUG.json: buggy and fixed are identical")
    if not 1 <= len(bug["failing_tests"]) <= 3:
        problems.append("BUG.json: need 1-3 failing tests")
    return problems


def verify(name):
    """Return a list of problems (empty when the project verifies)."""
    src = os.path.join(HERE, name)
    with open(os.path.join(src, "BUG.json"), encoding="utf-8") as f:
        bug = json.load(f)
    problems = check_bug_json(bug)
    if problems:
        return problems
    for dirpath, dirnames, _ in os.walk(src):
        for d in dirnames:
            if d in ("__pycache__", ".pytest_cache"):
                problems.append(f"leftover {os.path.relpath(os.path.join(dirpath, d), HERE)}")
    expected_fail = set(bug["failing_tests"])

    with tempfile.TemporaryDirectory(prefix=f"corpus-{name}-") as tmp:
        work = os.path.join(tmp, name)
        shutil.copytree(src, work, ignore=shutil.ignore_patterns(
            "__pycache__", ".pytest_cache", "*.pyc"))

        # 1. buggy project: exactly the listed tests fail.
        rc, outcomes, out = run_pytest(work)
        failed = {t for t, o in outcomes.items() if o & {"FAILED", "ERROR"}}
        passed = {t for t, o in outcomes.items() if o == {"PASSED"}}
        other = {t for t, o in outcomes.items() if o - {"PASSED", "FAILED", "ERROR"}}
        if rc != 1:
            problems.append(f"buggy run: pytest exit status {rc} (expected 1)")
        if not 3 <= len(outcomes) <= 8:
            problems.append(f"buggy run: {len(outcomes)} tests (expected 3-8)")
        if failed != expected_fail:
            problems.append(
                f"buggy run: failing {sorted(failed)} != expected {sorted(expected_fail)}")
        if any("ERROR" in o for o in outcomes.values()):
            problems.append("buggy run: collection/fixture errors")
        if other:
            problems.append(f"buggy run: skipped/xfail tests {sorted(other)}")
        if len(passed) < len(failed):
            problems.append("buggy run: fewer passing than failing tests")

        # 2. apply the fix: `buggy` spans as many lines as it has, `fixed` replaces them all.
        path = os.path.join(work, bug["file"])
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        index = bug["line"] - 1
        span = bug["buggy"].split("\n")
        actual = lines[index:index + len(span)] if 0 <= index < len(lines) else []
        if actual != span:
            shown = "\n".join(actual) if actual else "<no such line>"
            problems.append(f"{bug['file']}:{bug['line']} is {shown!r}, not buggy {bug['buggy']!r}")
            return problems
        lines[index:index + len(span)] = bug["fixed"].split("\n")
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))

        # 3. fixed project: everything passes.
        rc2, outcomes2, out2 = run_pytest(work)
        not_passed = sorted(t for t, o in outcomes2.items() if o != {"PASSED"})
        if rc2 != 0 or not_passed:
            problems.append(f"fixed run: exit status {rc2}, not passing {not_passed}")
        if set(outcomes2) != set(outcomes):
            problems.append("fixed run: different set of tests than the buggy run")
        if problems:
            problems.append("--- buggy run output ---\n" + out)
            problems.append("--- fixed run output ---\n" + out2)
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("projects", nargs="*")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("-v", "--verbose", action="store_true", help="show pytest output on failure")
    args = parser.parse_args()
    names = projects(args.projects)
    if not names:
        raise SystemExit("no projects found")
    bad = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for name, problems in zip(names, pool.map(verify, names)):
            if problems:
                bad += 1
                print(f"FAIL {name}")
                for p in problems:
                    if p.startswith("---") and not args.verbose:
                        continue
                    print("    " + p.replace("\n", "\n    "))
            else:
                print(f"ok   {name}")
    print(f"{len(names) - bad}/{len(names)} projects verified")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
