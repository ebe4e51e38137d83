"""Spectrum-based fault localisation on bench/corpus: where the bug line ranks.

For each project: a copy is run once with pytest and our plugin recording the
per-test coverage map (--pytest-fixer-coverage), the map is ranked by Ochiai
for the project's failing tests (BUG.json) by runner/coverage.c (through
build/bench_sbfl), and the bug line's rank is printed: its position among
the lines of project source (test files left out, as the engine never
mutates them), and how many lines share its score. Then the share of
projects whose bug line is in the top 1, 5 and 10.

    /usr/bin/python3 bench/sbfl_rank.py [PROJECT ...]
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
PLUGIN_DIR = HERE.parent / "src" / "runner"
DRIVER = Path(os.environ.get("PYTEST_FIXER_BUILD", HERE.parent / "build")) / "bench_sbfl"


def is_test_file(path):
    parts = path.split("/")
    name = parts[-1]
    return (any(p in ("tests", "test") for p in parts[:-1]) or name.startswith("test_")
            or name.endswith("_test.py") or name == "conftest.py")


def rank_project(project, work):
    bug = json.loads((project / "BUG.json").read_text())
    root = work / project.name
    shutil.copytree(project, root)
    cov = work / (project.name + ".jsonl")
    env = dict(os.environ, PYTHONPATH=str(PLUGIN_DIR))
    subprocess.run(["/usr/bin/python3", "-m", "pytest", "-q", "-p", "pytest_fixer_plugin",
                    "-p", "no:cacheprovider", "--pytest-fixer-coverage=%s" % cov],
                   cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=300)
    out = subprocess.run([str(DRIVER), str(cov)] + bug["failing_tests"], capture_output=True,
                         text=True, check=True).stdout
    ranked = []
    for line in out.splitlines():
        score, where = line.split(" ", 1)
        path, _, lineno = where.rpartition(":")
        if not is_test_file(path):
            ranked.append((float(score), path, int(lineno)))
    for i, (score, path, lineno) in enumerate(ranked):
        if path == bug["file"] and lineno == bug["line"]:
            ties = sum(1 for s, _, _ in ranked if s == score)
            return i + 1, ties, len(ranked), score
    return None, 0, len(ranked), 0.0


def main():
    if not DRIVER.exists():
        sys.exit("build bench_sbfl first (bash scripts/build.sh build)")
    names = sys.argv[1:] or sorted(p.name for p in CORPUS.iterdir() if (p / "BUG.json").exists())
    ranks = []
    with tempfile.TemporaryDirectory(prefix="sbfl-rank-") as tmp:
        for name in names:
            rank, ties, lines, score = rank_project(CORPUS / name, Path(tmp))
            ranks.append(rank)
            print("%-28s rank %4s of %3d source lines (score %.3f, %d tied)"
                  % (name, rank if rank else "-", lines, score, ties))
    n = len(ranks)
    for k in (1, 5, 10):
        hit = sum(1 for r in ranks if r is not None and r <= k)
        print("top-%-2d %2d / %d = %.0f%%" % (k, hit, n, 100.0 * hit / n))
    missing = sum(1 for r in ranks if r is None)
    if missing:
        print("bug line not executed by a failing test: %d" % missing)


if __name__ == "__main__":
    main()
