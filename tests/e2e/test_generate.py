"""`pytest-fixer generate` end to end (issue 17): the real binary, Debian's
pytest, a module with functions of every kind.

What is checked is what a user relies on: the file written passes, keeps
only trustworthy tests, calls nothing that deletes files, says which
functions hang or are nondeterministic, writes the same file for the same
seed, runs again only what changed (test_execution_state.yaml), leaves
nothing behind after Ctrl-C, and names what is wrong with bad input.
"""
import json
import os
import signal
import subprocess
import time

from conftest import SYSTEM_PYTEST, binary, run_fixer
from test_fix import ENV, make_repo, snapshot

KINDS = '''"""Functions of every kind, for the generator."""
import os
import random
import time

SENTINEL = {sentinel!r}


class EmptyError(Exception):
    pass


def add(a: int, b: int) -> int:
    return a + b


def clamp(value, low=0, high=10):
    if value < low:
        return low
    if value > high:
        return high
    return value


def fmt(amount, *, currency="EUR", places=2):
    return "%.*f %s" % (places, amount, currency)


def parse_pair(text):
    """Parse "a,b" into two ints.

    >>> parse_pair("1,2")
    (1, 2)
    """
    left, right = text.split(",")
    return int(left), int(right)


def fact(n):
    if n < 0:
        raise ValueError("negative")
    return 1 if n <= 1 else n * fact(n - 1)


def countdown(n):
    while n > 0:
        yield n
        n -= 1


class Stack:
    def __init__(self):
        self.items = []

    def push(self, item):
        self.items.append(item)

    def pop(self):
        if not self.items:
            raise EmptyError("empty stack")
        return self.items.pop()

    @property
    def size(self):
        return len(self.items)


def spin(n):
    while True:
        n += 1


def purge(path=SENTINEL):
    os.remove(path)


def roll():
    return random.random()
'''


def kinds_project(tmp_path):
    root = tmp_path / "proj"
    sentinel = tmp_path / "keep-me.txt"
    sentinel.write_text("precious\n")
    make_repo(root, {
        "kinds.py": KINDS.format(sentinel=str(sentinel)),
        "pytest.ini": "[pytest]\ntestpaths = tests\npythonpath = .\n",
        "tests/test_smoke.py": "from kinds import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n",
    })
    return root, sentinel


def generate(root, *args, timeout=300):
    return run_fixer(["generate", *args], root, env=ENV, timeout=timeout)


def pytest_on(root, *files):
    return subprocess.run(SYSTEM_PYTEST.split() + ["-q", "-p", "no:cacheprovider", *files], cwd=str(root),
                          capture_output=True, text=True)


def test_generate_keeps_trustworthy_tests_of_every_kind(tmp_path):
    root, sentinel = kinds_project(tmp_path)
    before = snapshot(root)
    r = generate(root, "kinds.py", "--json", "--time-budget", "60", "--call-limit", "0.5")
    assert r.code == 0, r
    rep = r.json()["modules"][0]
    out = root / rep["out"]
    assert rep["out"] == "tests/test_kinds_generated.py"
    text = out.read_text()

    # the file passes, as pytest runs it
    run = pytest_on(root, rep["out"])
    assert run.returncode == 0, run.stdout + run.stderr
    assert len(rep["kept"]) >= 8, rep

    # every kind that can be tested is, with real assertions
    for name in ("add(", "clamp(", "fmt(", "parse_pair(", "fact(", "countdown(", "Stack()", ".pop()"):
        assert name in text, name
    assert "pytest.raises(ValueError)" in text        # fact(-1)
    assert "pytest.raises(EmptyError)" in text        # an empty stack
    assert "list(itertools.islice(countdown(" in text  # a generator, taken

    # a function that deletes files is never called: its file is still there
    assert sentinel.read_text() == "precious\n"
    skipped = {s["function"]: s["reason"] for s in rep["skipped"]}
    assert "os.remove" in skipped["purge"] and "--allow-side-effects" in skipped["purge"]
    assert "purge(" not in text

    # a function that hangs and one that is nondeterministic are findings, not tests
    findings = {f["function"]: f["reason"] for f in rep["findings"]}
    assert "did not finish" in findings["spin"], findings
    assert "nondeterministic" in findings["roll"], findings
    assert "spin(" not in text and "roll(" not in text

    # figures the report gives: coverage.py's before (the project's one test) and after
    assert rep["lines"]["reached"] <= rep["lines"]["total"] and rep["lines"]["reached"] > 0
    assert rep["mutants"]["total"] > 0 and 0 < rep["mutants"]["score"] <= 1
    cov = rep["coverage"]
    assert 0 < cov["before"]["covered"] < cov["after"]["covered"] <= cov["after"]["statements"], cov
    assert cov["after"]["covered"] >= 0.8 * cov["after"]["statements"], cov
    report = (root / rep["report"]).read_text()
    for part in ("# Tests generated for `kinds.py`", "| with the generated file |", "## Mutation score",
                 "## Findings", "`spin`", "## Not called", "`purge`", "## Decisions"):
        assert part in report, part
    assert any("gates" in d for d in rep["decisions"]) and any("mutants" in d for d in rep["decisions"])

    # the user's files: only the generated file and its checklist were added
    after = snapshot(root)
    added = sorted(set(after["files"]) - set(before["files"]))
    assert added == ["tests/test_execution_state.yaml", "tests/test_kinds_generated.py"], added
    assert all(after["files"][k] == v for k, v in before["files"].items())
    assert (after["head"], after["index"], after["branches"]) == (before["head"], before["index"],
                                                                  before["branches"])

    # the checklist: every kept test PASSED with its function's code hash
    state = (root / "tests" / "test_execution_state.yaml").read_text()
    for node in rep["kept"]:
        assert 'id: "%s"' % node in state
    assert "status: PASSED" in state


def test_the_same_seed_writes_the_same_file(tmp_path):
    # the kinds without the one that hangs (it only costs time here)
    root, _ = kinds_project(tmp_path)
    src = (root / "kinds.py").read_text()
    (root / "kinds.py").write_text(src[:src.index("def spin(")] + src[src.index("def purge("):])
    texts = []
    for _ in range(2):
        r = generate(root, "kinds.py", "--dry-run", "--seed", "7", "--time-budget", "60", "--call-limit", "0.5")
        assert r.code == 0, r
        texts.append(r.stdout[r.stdout.index('"""Tests of'):])
    assert texts[0] == texts[1]
    assert "def test_" in texts[0]
    assert not (root / "tests" / "test_kinds_generated.py").exists()


def test_a_second_run_redoes_only_what_changed(tmp_path):
    root, _ = kinds_project(tmp_path)
    first = generate(root, "kinds.py", "--json", "--time-budget", "60", "--call-limit", "0.5")
    assert first.code == 0, first
    kept = first.json()["modules"][0]["kept"]

    again = generate(root, "kinds.py", "--json", "--time-budget", "60", "--call-limit", "0.5")
    assert again.code == 0, again
    rep = again.json()["modules"][0]
    assert rep["kept"] == [] and sorted(rep["unchanged"]) == sorted(kept)
    assert rep["calls"]["tried"] == 0

    # clamp changes on purpose: only its tests are written again
    src = (root / "kinds.py").read_text().replace("        return high\n", "        return high - 0\n")
    (root / "kinds.py").write_text(src)
    third = generate(root, "kinds.py", "--json", "--time-budget", "60", "--call-limit", "0.5")
    assert third.code == 0, third
    rep = third.json()["modules"][0]
    assert rep["kept"] and all("clamp" in k for k in rep["kept"]), rep["kept"]
    assert not any("clamp" in k for k in rep["unchanged"])
    assert pytest_on(root, rep["out"]).returncode == 0


def test_ctrl_c_leaves_nothing_and_the_next_run_completes(tmp_path):
    root, _ = kinds_project(tmp_path)
    before = snapshot(root)
    env = dict(os.environ, **ENV)
    env.pop("PYTEST_ADDOPTS", None)
    proc = subprocess.Popen([binary(), "generate", "kinds.py", "--time-budget", "60", "--call-limit", "1"],
                            cwd=str(root), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2.0)   # spin() alone takes a second per call
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert snapshot(root) == before
    assert not (root / "tests" / "test_execution_state.yaml").exists()
    r = generate(root, "kinds.py", "--time-budget", "60", "--call-limit", "0.5")
    assert r.code == 0, r
    assert pytest_on(root, "tests/test_kinds_generated.py").returncode == 0


def test_a_dotted_module_name_and_a_package(tmp_path):
    root = tmp_path / "proj"
    make_repo(root, {
        "src/shapes/__init__.py": "",
        "src/shapes/area.py": "def square(side):\n    if side < 0:\n        raise ValueError('side')\n"
                              "    return side * side\n",
        "pytest.ini": "[pytest]\npythonpath = src\n",
    })
    r = generate(root, "shapes.area", "--json", "--time-budget", "30")
    assert r.code == 0, r
    rep = r.json()["modules"][0]
    assert rep["module"] == "src/shapes/area.py" and rep["name"] == "shapes.area"
    text = (root / rep["out"]).read_text()
    assert "from shapes.area import square" in text
    assert "pytest.raises(ValueError)" in text
    assert pytest_on(root, rep["out"]).returncode == 0


def test_bad_input_is_named(tmp_path):
    root, _ = kinds_project(tmp_path)
    (root / "broken.py").write_text("def f(:\n    return 1\n")
    (root / "nul.py").write_bytes(b"def f():\n    return '\x00'\n")
    cases = [
        (["nothere.py"], "no module 'nothere.py'"),
        (["no.such.module"], "no module 'no.such.module'"),
        (["broken.py"], "line 1"),
        (["nul.py"], "NUL byte"),
        (["kinds.py", "--out", "../outside.py"], "outside.py"),
        (["kinds.py", "--time-budget", "0"], "--time-budget"),
        (["kinds.py", "--spec", "stories.md"], "--spec"),
        ([], "needs a MODULE"),
    ]
    for args, words in cases:
        r = generate(root, *args)
        assert r.code == 2, (args, r)
        assert words in r.stderr, (args, r)
    assert not (tmp_path / "outside.py").exists()

    # a checklist that is not one
    (root / "tests" / "test_execution_state.yaml").write_text("test_cases: [\n")
    r = generate(root, "kinds.py", "--time-budget", "30")
    assert r.code == 2, r
    assert "test_execution_state.yaml" in r.stderr and "remove it to start over" in r.stderr


# scale's `x * 1` has mutants the written test cannot kill: `x / 1` gives 2.0,
# which the probe tells apart from 2 (another type) but `== 2` does not;
# area's `w * h` with its parameters swapped is the same function; and
# count_down's loop never ends when `n -= 1` becomes `n += 1`
CALC = '''def scale(x):
    return x * 1


def area(w, h):
    return w * h


def count_down(n):
    steps = 0
    while n > 0:
        n -= 1
        steps += 1
    return steps
'''


def mtimes(root):
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.parts}


def test_the_mutation_score_is_the_written_file_run_against_each_mutant(tmp_path):
    root = tmp_path / "proj"
    make_repo(root, {"calc.py": CALC, "pytest.ini": "[pytest]\npythonpath = .\n"})
    before, stamps = snapshot(root), mtimes(root)
    r = generate(root, "calc.py", "--json", "--time-budget", "30")
    assert r.code == 0, r
    rep = r.json()["modules"][0]
    m = rep["mutants"]
    ops = {o["operator"]: (o["killed"], o["survived"], o["timed_out"]) for o in m["by_operator"]}
    # every mutant run, by the file as written
    assert m["method"] == "file" and not m["sampled"], m
    assert m["total"] == m["generated"] == m["killed"] + m["survived"] + m["timed_out"] + m["errors"], m
    assert ops["param-swap"] == (0, 1, 0), ops          # area(h, w): equivalent
    assert ops["arith-swap"][1] == 1, ops               # x / 1 survives, w / h does not
    assert ops["aug-assign"] == (1, 0, 1), ops          # steps -= 1; n += 1 loops
    # x / 1, area(h, w), and count_down's two lines in the loop the other way round
    assert m["survived"] == 3 and ops["stmt-move"][1] == 1, m
    assert m["timed_out"] >= 2 and m["errors"] == 0, m
    assert m["score"] == (m["total"] - 3) / m["total"]
    # the probe's calls told x / 1 apart; the file does not: said, and counted as survived
    assert any("told mutant" in d and "(arith-swap, line 2)" in d and "written file passes" in d
               for d in rep["decisions"]), rep["decisions"]
    assert any("by running tests/test_calc_generated.py against each mutant: %d of %d mutants run" %
               (m["total"], m["generated"]) in d for d in rep["decisions"]), rep["decisions"]
    report = (root / rep["report"]).read_text()
    assert "Measured by running `tests/test_calc_generated.py` against each mutant of the module" in report
    assert "| param-swap | 0 | 1 | 0 |" in report

    # the user's tree: the module as it was, untouched; only the file and its checklist added
    after = snapshot(root)
    assert (root / "calc.py").read_text() == CALC
    assert all(after["files"][k] == v for k, v in before["files"].items())
    assert sorted(set(after["files"]) - set(before["files"])) == [
        "tests/test_calc_generated.py", "tests/test_execution_state.yaml"]
    now = mtimes(root)
    assert all(now[k] == v for k, v in stamps.items()), (stamps, now)

    # a budget spent before the mutants: no figure is claimed for mutants not run
    r = generate(root, "calc.py", "--json", "--dry-run", "--time-budget", "1")
    assert r.code == 0, r
    m = r.json()["modules"][0]["mutants"]
    assert m["sampled"] and m["total"] < m["generated"], m
    assert m["killed"] + m["survived"] + m["timed_out"] + m["errors"] == m["total"], m
