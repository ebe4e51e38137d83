#!/usr/bin/python3
"""The scale figures of `fix --engine builtin` on a real library's own test suite, with
single-line bugs we seed into it.

The library comes from a Debian package whose binary ships its tests (default
python3-toolz: `apt-get download`, or --deb FILE), extracted with `dpkg-deb -x`
and copied, tests included, into a temporary git project whose pytest.ini
(`pythonpath = .`) makes the copy, not an installed package, the one imported.
A trace plugin of ours records which lines each test executes; a bug is seeded
only on a line some test executes (and that import and collection do not),
and only if the seeded version makes at least one of those tests fail. Kinds:
a flipped comparison, an arithmetic operator, an off-by-one literal, a boolean
(and/or, True/False, a dropped `not`), a wrong name (another parameter or
local of the function). One bug per copy of the project; each copy is fixed
with `pytest-fixer fix --engine builtin --non-interactive --json`.

Prints the library (package, version, the .deb's sha256, tests), then per bug:
where and what, tests failing, fixed or not, whether the fix is exactly the
seeded change taken back, wall time, attempts, candidates validated (through a
test gate), those that reached the regression gate (today: the whole suite),
tests run per validated candidate, and the peak memory of the fix
process tree (the largest process, from wait4, and the tree's sum, polled in
/proc). Tests per validated candidate are the counts the report gives per
attempt when it gives them; otherwise estimated from the gates each attempt
reached (target: its tests once; flaky: again --verify-runs times, 2; the
regression gate and a passed attempt: the whole suite as well), marked "~".

usage: bench/seeded_library.py [--bugs N] [--seed S] [--package P | --deb FILE]
                               [--jobs N] [--json OUT] [--keep] [--timeout S]
"""
import argparse
import ast
import hashlib
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from common import (PYTEST, all_fixed, binary, diff_is_change, fix_argv,  # noqa: E402
                    fix_attempts, fix_env, fix_errors, fix_json, last_line,
                    reached_test_gate, run_measured, target_ids, winning_diffs)
VERIFY_RUNS = 2         # fix's default --verify-runs, for the estimate
SCREEN_TIMEOUT = 60     # a seeded version whose tests take longer is not used
GIT_ENV = {"GIT_AUTHOR_NAME": "pytest-fixer-bench", "GIT_AUTHOR_EMAIL": "bench@localhost",
           "GIT_COMMITTER_NAME": "pytest-fixer-bench", "GIT_COMMITTER_EMAIL": "bench@localhost",
           "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z"}

# records, per library file and line, the tests that executed it (null: import or collection)
TRACE_PLUGIN = r'''
import json, os, sys, threading
import pytest

_root = os.environ["PF_TRACE_ROOT"].rstrip("/") + "/"
_skip = tuple(_root + d.rstrip("/") + "/" for d in os.environ["PF_TRACE_SKIP"].split(":") if d)
_current = [None]
_lines = {}
_outcomes = {}


def _local(frame, event, arg):
    if event == "line":
        _lines.setdefault(frame.f_code.co_filename, {}).setdefault(frame.f_lineno, set()).add(
            _current[0])
    return _local


def _global(frame, event, arg):
    name = frame.f_code.co_filename
    if name.startswith(_root) and not name.startswith(_skip):
        return _local
    return None


sys.settrace(_global)
threading.settrace(_global)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _current[0] = item.nodeid
    yield
    _current[0] = None


def pytest_runtest_logreport(report):
    if report.failed or (report.when == "call" and report.outcome == "passed"):
        if _outcomes.get(report.nodeid) != "failed":
            _outcomes[report.nodeid] = report.outcome


def pytest_unconfigure(config):
    sys.settrace(None)
    out = {f[len(_root):]: {str(n): sorted(t, key=lambda x: x or "") for n, t in lines.items()}
           for f, lines in _lines.items()}
    with open(os.environ["PF_TRACE_OUT"], "w") as fh:
        json.dump({"lines": out, "outcomes": _outcomes}, fh)
'''


def sh(argv, cwd=None, env=None):
    return subprocess.run(argv, cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def git_commit(repo, message):
    env = dict(os.environ, **GIT_ENV)
    sh(["git", "add", "-A"], repo, env)
    sh(["git", "-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null", "commit", "-q",
        "-m", message], repo, env)


# ---- the library ---------------------------------------------------------------------------

def fetch_deb(package, cache):
    os.makedirs(cache, exist_ok=True)
    have = [f for f in os.listdir(cache) if f.startswith(package + "_") and f.endswith(".deb")]
    if not have:
        subprocess.run(["apt-get", "download", package], cwd=cache, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        have = [f for f in os.listdir(cache) if f.startswith(package + "_") and f.endswith(".deb")]
    if not have:
        sys.exit("seeded_library.py: apt-get download %s gave no .deb" % package)
    return os.path.join(cache, sorted(have)[-1])


def library_from_deb(deb, work):
    """Extract the .deb; return (info, dist-packages dir, top-level module names, test dirs)."""
    info = {"deb": os.path.basename(deb)}
    for field in ("Package", "Version", "Source", "Homepage"):
        info[field.lower()] = sh(["dpkg-deb", "-f", deb, field]).strip() or None
    with open(deb, "rb") as f:
        info["sha256"] = hashlib.sha256(f.read()).hexdigest()
    root = os.path.join(work, "deb")
    sh(["dpkg-deb", "-x", deb, root])
    site = os.path.join(root, "usr", "lib", "python3", "dist-packages")
    if not os.path.isdir(site):
        sys.exit("seeded_library.py: %s has no usr/lib/python3/dist-packages" % deb)
    modules = sorted(n for n in os.listdir(site)
                     if not n.endswith((".egg-info", ".dist-info", ".pth")) and n != "__pycache__"
                     and (n.endswith(".py") or os.path.isfile(os.path.join(site, n, "__init__.py"))))
    tests = []
    for m in modules:
        for dirpath, dirnames, _ in os.walk(os.path.join(site, m)):
            for d in dirnames:
                if d in ("tests", "test"):
                    tests.append(os.path.relpath(os.path.join(dirpath, d), site))
    if not tests:
        sys.exit("seeded_library.py: %s ships no tests/ or test/ directory" % deb)
    return info, site, modules, sorted(tests)


def make_base(site, modules, tests, work, env):
    """The library and its tests as a git project; returns (path, number of tests, traced)."""
    base = os.path.join(work, "base")
    os.makedirs(base)
    for m in modules:
        src = os.path.join(site, m)
        (shutil.copytree if os.path.isdir(src) else shutil.copy2)(
            src, os.path.join(base, m), **({"ignore": shutil.ignore_patterns("__pycache__")}
                                           if os.path.isdir(src) else {}))
    ini = "[pytest]\ntestpaths = %s\npythonpath = .\n" % " ".join(tests)
    with open(os.path.join(base, "pytest.ini"), "w") as f:
        f.write(ini)
    plugdir = os.path.join(work, "plugin")
    os.makedirs(plugdir)
    with open(os.path.join(plugdir, "_pf_trace.py"), "w") as f:
        f.write(TRACE_PLUGIN)
    trace = os.path.join(work, "trace.json")
    tenv = dict(env, PYTHONPATH=plugdir, PF_TRACE_ROOT=base, PF_TRACE_SKIP=":".join(tests),
                PF_TRACE_OUT=trace)
    subprocess.run(PYTEST + ["-p", "_pf_trace"], cwd=base, env=tenv,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(trace) as f:
        traced = json.load(f)
    passed = sorted(n for n, o in traced["outcomes"].items() if o == "passed")
    failed = sorted(n for n, o in traced["outcomes"].items() if o == "failed")
    if failed:  # failing here already (a missing optional dependency): not part of the suite
        with open(os.path.join(base, "pytest.ini"), "a") as f:
            f.write("addopts =%s\n" % "".join("\n    --deselect=%s" % n for n in failed))
    if not passed:
        sys.exit("seeded_library.py: no test of the library passes")
    sh(["git", "init", "-q", "-b", "main"], base)
    git_commit(base, "the library and its tests")
    return base, passed, failed, traced["lines"]


# ---- seeding -------------------------------------------------------------------------------

CMP_FLIP = {ast.Lt: ("<", "<="), ast.LtE: ("<=", "<"), ast.Gt: (">", ">="), ast.GtE: (">=", ">"),
            ast.Eq: ("==", "!="), ast.NotEq: ("!=", "=="), ast.In: ("in", "not in"),
            ast.NotIn: ("not in", "in"), ast.Is: ("is", "is not"), ast.IsNot: ("is not", "is")}
ARITH_FLIP = {ast.Add: ("+", "-"), ast.Sub: ("-", "+"), ast.Mult: ("*", "//"),
              ast.FloorDiv: ("//", "*"), ast.Div: ("/", "//"), ast.Mod: ("%", "//"),
              ast.Pow: ("**", "*")}


def _swap_op(line, start, end, old, new):
    """line (bytes) with the operator `old`, alone between start and end (parentheses
    aside), made `new`; None when the gap holds anything else."""
    gap = line[start:end].decode("utf-8")
    bare = " ".join(gap.replace("(", " ").replace(")", " ").split())
    if bare != old:
        return None
    pattern = r"\s+".join(re.escape(w) for w in old.split())
    gap2, n = re.subn(pattern, new, gap, count=1)
    return line[:start] + gap2.encode("utf-8") + line[end:] if n == 1 else None


class Sites(ast.NodeVisitor):
    """Every single-line mutation of a module: (kind, line number, new line text, what)."""

    def __init__(self, lines, rng):
        self.lines, self.rng, self.out, self.scopes = lines, rng, [], []

    def add(self, kind, lineno, new, what):
        if new is not None:
            self.out.append((kind, lineno, new.decode("utf-8"), what))

    def swap(self, kind, left, right, old, new):
        """the operator between left and right (on one line) made new"""
        line = self.lines[left.lineno - 1]
        self.add(kind, left.lineno, _swap_op(line, left.end_col_offset, right.col_offset, old, new),
                 "%s -> %s" % (old, new))

    def same_line(self, *nodes):
        return all(n.lineno == n.end_lineno == nodes[0].lineno for n in nodes)

    def visit_FunctionDef(self, node):
        a = node.args
        names = [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs]
        names += [x.arg for x in (a.vararg, a.kwarg) if x]
        assigned = {}
        for n in ast.walk(node):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                assigned.setdefault(n.id, n.lineno)
        self.scopes.append((names, assigned))
        self.generic_visit(node)
        self.scopes.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Compare(self, node):
        left = node.left
        for op, right in zip(node.ops, node.comparators):
            if type(op) in CMP_FLIP and self.same_line(left, right):
                self.swap("comparison", left, right, *CMP_FLIP[type(op)])
            left = right
        self.generic_visit(node)

    def visit_BinOp(self, node):
        if type(node.op) in ARITH_FLIP and self.same_line(node.left, node.right):
            self.swap("arithmetic", node.left, node.right, *ARITH_FLIP[type(node.op)])
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        if type(node.op) in ARITH_FLIP and self.same_line(node.target, node.value):
            old, new = ARITH_FLIP[type(node.op)]
            self.swap("arithmetic", node.target, node.value, old + "=", new + "=")
        self.generic_visit(node)

    def visit_BoolOp(self, node):
        old, new = ("and", "or") if isinstance(node.op, ast.And) else ("or", "and")
        for a, b in zip(node.values, node.values[1:]):
            if self.same_line(a, b):
                self.swap("boolean", a, b, old, new)
        self.generic_visit(node)

    def visit_UnaryOp(self, node):
        if isinstance(node.op, ast.Not) and self.same_line(node):
            line = self.lines[node.lineno - 1]
            if line[node.col_offset:node.operand.col_offset].decode().strip() == "not":
                self.add("boolean", node.lineno,
                         line[:node.col_offset] + line[node.operand.col_offset:], "not dropped")
        self.generic_visit(node)

    def visit_Constant(self, node):
        if not self.same_line(node):
            return
        line = self.lines[node.lineno - 1]
        text = line[node.col_offset:node.end_col_offset].decode("utf-8")
        if node.value is True or node.value is False:
            if text in ("True", "False"):
                new = "False" if text == "True" else "True"
                self.add("boolean", node.lineno, line[:node.col_offset] + new.encode()
                         + line[node.end_col_offset:], "%s -> %s" % (text, new))
        elif isinstance(node.value, int) and text.isdigit():
            v = int(text)
            new = str(v + 1 if v == 0 or self.rng.random() < 0.5 else v - 1)
            self.add("off-by-one", node.lineno, line[:node.col_offset] + new.encode()
                     + line[node.end_col_offset:], "%s -> %s" % (text, new))

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load) and self.scopes:
            names, assigned = self.scopes[-1]
            others = [n for n in names if n != node.id and n != "self"]
            others += sorted(n for n, at in assigned.items()
                             if at < node.lineno and n != node.id and n not in names)
            if node.id in names or node.id in assigned:
                if others:
                    new = self.rng.choice(others)
                    line = self.lines[node.lineno - 1]
                    self.add("wrong-name", node.lineno, line[:node.col_offset] + new.encode()
                             + line[node.end_col_offset:], "%s -> %s" % (node.id, new))


def candidate_sites(base, traced, rng):
    """Mutations on lines some test executes and import or collection does not, by kind."""
    by_kind = {}
    for rel, lines in sorted(traced.items()):
        path = os.path.join(base, rel)
        if not rel.endswith(".py") or not os.path.isfile(path):
            continue
        with open(path, "rb") as f:
            src = f.read()
        try:
            tree = ast.parse(src)
        except SyntaxError:
            continue
        text = src.split(b"\n")
        v = Sites(text, rng)
        v.visit(tree)
        for kind, lineno, new, what in v.out:
            tests = lines.get(str(lineno)) or []
            if not tests or "" in tests or None in tests:  # unrun, or run on import
                continue
            mutated = list(text)
            mutated[lineno - 1] = new.encode("utf-8")
            try:
                changed = ast.dump(ast.parse(b"\n".join(mutated))) != ast.dump(tree)
            except SyntaxError:
                continue
            if changed:
                by_kind.setdefault(kind, []).append({
                    "file": rel, "line": lineno, "kind": kind, "what": what,
                    "original": text[lineno - 1].decode("utf-8"), "seeded": new,
                    "tests": tests})
    return by_kind


def write_line(repo, site, text):
    path = os.path.join(repo, site["file"])
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")
    lines[site["line"] - 1] = text.encode("utf-8")
    with open(path, "wb") as f:
        f.write(b"\n".join(lines))


def screen(base, site, env):
    """The seeded version makes at least one of the tests running the line fail (exit 1 of
    pytest on them, within SCREEN_TIMEOUT)."""
    write_line(base, site, site["seeded"])
    try:
        tests = site["tests"] if len(site["tests"]) <= 100 else []
        run = run_measured(PYTEST + ["-x"] + tests, cwd=base, env=env, timeout=SCREEN_TIMEOUT)
    finally:
        write_line(base, site, site["original"])
    return run["rc"] == 1


def choose_bugs(base, by_kind, n, rng, env):
    """Up to n bugs on distinct lines, kinds taken in turn (in an order drawn by rng)."""
    kinds = sorted(by_kind)
    rng.shuffle(kinds)
    for k in kinds:
        rng.shuffle(by_kind[k])
    chosen, used, tried = [], set(), 0
    while len(chosen) < n and any(by_kind[k] for k in kinds):
        for k in kinds:
            if len(chosen) >= n:
                break
            while by_kind[k]:
                site = by_kind[k].pop()
                if (site["file"], site["line"]) in used:
                    continue
                tried += 1
                if screen(base, site, env):
                    chosen.append(site)
                    used.add((site["file"], site["line"]))
                    break
    return chosen, tried


# ---- fixing --------------------------------------------------------------------------------

def reported_tests(a):
    """How many tests an attempt's gates ran, when the report says; None otherwise."""
    ran = a.get("tests_run")
    if isinstance(ran, dict) and ran:   # the report's {"target", "covering", "full"}
        return sum(v for v in ran.values() if isinstance(v, int))
    for key in ("tests_run", "nr_tests", "tests"):
        if isinstance(a.get(key), int) and not isinstance(a.get(key), bool):
            return a[key]
    gates = a.get("gates")
    items = gates.values() if isinstance(gates, dict) else gates if isinstance(gates, list) else []
    total, seen = 0, False
    for g in items:
        if isinstance(g, int) and not isinstance(g, bool):
            total, seen = total + g, True
        elif isinstance(g, dict):
            for key in ("tests", "tests_run", "ran"):
                if isinstance(g.get(key), int):
                    total, seen = total + g[key], True
                    break
    per_gate = [v for k, v in a.items() if k.endswith("_tests") and isinstance(v, int)]
    if per_gate:
        total, seen = total + sum(per_gate), True
    return total if seen else None


def estimated_tests(a, targets, suite):
    """What today's gates run for an attempt: the target's tests, VERIFY_RUNS more times once
    they pass, then the whole suite."""
    n = len(targets) or 1
    gate = a.get("gate") if a.get("status") == "failed" else "passed"
    if gate in ("target", "timeout"):
        return n
    if gate == "flaky":
        return n * (1 + VERIFY_RUNS)
    return n * (1 + VERIFY_RUNS) + suite


def fix_bug(base, site, index, work, args, env, suite):
    repo = os.path.join(work, "bug%02d" % index)
    shutil.copytree(base, repo, symlinks=True)
    write_line(repo, site, site["seeded"])
    git_commit(repo, "seeded bug: %s:%d %s" % (site["file"], site["line"], site["what"]))
    cmd = fix_argv(args.jobs)
    run = run_measured(cmd, cwd=repo, env=env, timeout=args.timeout)
    got = fix_json(run)
    row = dict(site, wall=run["wall"], rc=run["rc"], maxrss_kib=run["maxrss_kib"],
               tree_rss_kib=run["tree_rss_kib"], fixed=False, exact=None, failing=None,
               attempts=0, validated=0, whole_suite=0, tests_per_candidate=None,
               tests_source=None)
    row.pop("tests")
    row["covering_tests"] = len(site["tests"])
    if got is None:
        row["error"] = ("timed out after %s s" % args.timeout if run["rc"] is None
                        else last_line(run["stderr"]) or "no JSON on stdout")
        return row
    row["failing"] = len(fix_errors(got))
    row["fixed"] = all_fixed(got)
    if row["fixed"]:
        wins = winning_diffs(got)
        row["exact"] = bool(wins) and all(diff_is_change(d, site["seeded"], site["original"])
                                          for d in wins)
    counts, estimated = [], False
    for e, a in fix_attempts(got):
        row["attempts"] += 1
        if not reached_test_gate(a):
            continue
        if a.get("status") == "passed" or a.get("gate") == "regression":
            row["whole_suite"] += 1  # today's regression gate: the whole suite
        n = reported_tests(a)
        if n is None:
            n, estimated = estimated_tests(a, target_ids(e), suite), True
        counts.append(n)
    row["validated"] = len(counts)
    if counts:
        row["tests_per_candidate"] = statistics.mean(counts)
        row["tests_source"] = "estimated" if estimated else "report"
    if not args.keep:
        shutil.rmtree(repo, ignore_errors=True)
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bugs", type=int, default=8, metavar="N", help="bugs to seed (default 8)")
    ap.add_argument("--seed", type=int, default=1, metavar="S", help="which bugs (default 1)")
    ap.add_argument("--package", default="python3-toolz",
                    help="the Debian package (default python3-toolz)")
    ap.add_argument("--deb", default=None, metavar="FILE", help="use this .deb instead")
    ap.add_argument("--cache", default=os.path.join(HERE, "out", "debs"),
                    help="where downloaded .debs are kept (default bench/out/debs)")
    ap.add_argument("--jobs", type=int, default=0, help="fix -j N (default: its own)")
    ap.add_argument("--timeout", type=float, default=900, metavar="S",
                    help="a fix run is killed after this (default 900 s)")
    ap.add_argument("--json", default=None, metavar="OUT", help="write every figure here")
    ap.add_argument("--keep", action="store_true", help="keep the projects (printed)")
    args = ap.parse_args()
    started = time.time()
    work = tempfile.mkdtemp(prefix="pf-seeded-")
    env = fix_env()
    try:
        deb = args.deb or fetch_deb(args.package, args.cache)
        info, site, modules, tests = library_from_deb(deb, work)
        base, passed, failed, traced = make_base(site, modules, tests, work, env)
        rng = random.Random(args.seed)
        by_kind = candidate_sites(base, traced, rng)
        print("library: %s %s (%s, sha256 %s...), modules %s, tests in %s"
              % (info["package"], info["version"], info["deb"], info["sha256"][:12],
                 ", ".join(modules), ", ".join(tests)))
        print("suite: %d tests pass%s; seedable sites: %s"
              % (len(passed), " (%d failing at baseline, deselected)" % len(failed) if failed
                 else "", ", ".join("%s %d" % (k, len(v)) for k, v in sorted(by_kind.items()))))
        bugs, tried = choose_bugs(base, by_kind, args.bugs, rng, env)
        print("seeded: %d bugs (%d seeded versions screened)" % (len(bugs), tried), flush=True)
        rows = []
        print("%-3s %-34s %-11s %-16s %4s %-7s %-5s %7s %4s %4s %4s %9s %8s %8s" % (
            "#", "where", "kind", "what", "fail", "result", "exact", "time", "att", "val",
            "regr", "tests/val", "maxrss", "tree"))
        for i, s in enumerate(bugs, 1):
            r = fix_bug(base, s, i, work, args, env, len(passed))
            rows.append(r)
            tpc = ("n/a" if r["tests_per_candidate"] is None else
                   ("~" if r["tests_source"] == "estimated" else "")
                   + "%.1f" % r["tests_per_candidate"])
            print("%-3d %-34s %-11s %-16s %4s %-7s %-5s %6.1fs %4d %4d %4d %9s %6.0fMB %6.0fMB%s" % (
                i, "%s:%d" % (r["file"], r["line"]), r["kind"], r["what"][:16],
                "?" if r["failing"] is None else r["failing"],
                "fixed" if r["fixed"] else "unfixed",
                "-" if r["exact"] is None else ("yes" if r["exact"] else "no"), r["wall"],
                r["attempts"], r["validated"], r["whole_suite"], tpc, r["maxrss_kib"] / 1024,
                r["tree_rss_kib"] / 1024, "  error: " + r["error"] if "error" in r else ""),
                flush=True)
            if args.keep:
                print("    kept: %s" % os.path.join(work, "bug%02d" % i))
        fixed = [r for r in rows if r["fixed"]]
        times = [r["wall"] for r in fixed]
        tpcs = [r["tests_per_candidate"] for r in rows if r["tests_per_candidate"] is not None]
        summary = {"bugs": len(rows), "fixed": len(fixed),
                   "exact": sum(bool(r["exact"]) for r in fixed),
                   "median_fixed_s": statistics.median(times) if times else None,
                   "worst_fixed_s": max(times) if times else None,
                   "median_all_s": statistics.median(r["wall"] for r in rows) if rows else None,
                   "tests_per_validated_candidate": (
                       sum(r["tests_per_candidate"] * r["validated"] for r in rows
                           if r["tests_per_candidate"] is not None)
                       / sum(r["validated"] for r in rows) if tpcs else None),
                   "tests_source": sorted({r["tests_source"] for r in rows if r["tests_source"]}),
                   "peak_maxrss_kib": max((r["maxrss_kib"] for r in rows), default=0),
                   "peak_tree_rss_kib": max((r["tree_rss_kib"] for r in rows), default=0)}
        print()
        print("fixed: %d / %d (exactly the seeded change taken back: %d)"
              % (summary["fixed"], summary["bugs"], summary["exact"]))
        if times:
            print("time per fixed bug: median %.1f s, worst %.1f s (median over all bugs %.1f s)"
                  % (summary["median_fixed_s"], summary["worst_fixed_s"], summary["median_all_s"]))
        if tpcs:
            print("tests run per validated candidate: %.1f of a %d-test suite (%s)"
                  % (summary["tests_per_validated_candidate"], len(passed),
                     " and ".join(summary["tests_source"]).replace(
                         "estimated", "estimated from the gates: the report gives no count")))
        print("candidates that reached the regression gate: %d of %d validated"
              % (sum(r["whole_suite"] for r in rows), sum(r["validated"] for r in rows)))
        print("peak memory of a fix run: largest process %.0f MB, process tree %.0f MB"
              % (summary["peak_maxrss_kib"] / 1024, summary["peak_tree_rss_kib"] / 1024))
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"script": "seeded_library.py", "binary": os.path.realpath(binary()),
                           "started": started, "seconds": time.time() - started,
                           "options": vars(args), "library": dict(info, modules=modules,
                                                                   tests=tests),
                           "suite": {"passed": len(passed), "deselected": failed},
                           "summary": summary, "bugs": rows}, f, indent=1)
    finally:
        if args.keep:
            print("projects kept in %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
