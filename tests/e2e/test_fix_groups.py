"""`fix` on failure groups: a test function's parameter sets fixed together, failures that
crash in one place tried at once, and a reason for every failure left unfixed."""
import json

from conftest import SYSTEM_PYTEST, run_fixer
from test_fix import git, make_repo

ENV = {"PYTEST_FIXER_PYTEST": SYSTEM_PYTEST}


SHAPES = {
    "pytest.ini": "[pytest]\n",
    "shapes.py": ("def perimeter(kind, size):\n"
                  "    if kind == \"square\":\n"
                  "        return size * 3\n"
                  "    return 0\n"),
    "tests/test_shapes.py": (
        "import pytest\n\nfrom shapes import perimeter\n\n\n"
        "@pytest.mark.parametrize(\"size,expected\", [(0, 0), (1, 4), (2, 8), (3, 12), (5, 20)])\n"
        "def test_perimeter(size, expected):\n"
        "    assert perimeter(\"square\", size) == expected\n\n\n"
        "def test_other_kind():\n"
        "    assert perimeter(\"blob\", 3) == 0\n"),
}


def fix_json(root, *extra):
    r = run_fixer(["-v", "fix", "--engine", "builtin", "--non-interactive", "--json", "-j", "2"]
                  + list(extra), root, env=ENV)
    return r, json.loads(r.stdout)


def test_the_parameter_sets_of_a_test_are_one_group_on_one_branch(tmp_path):
    root = make_repo(tmp_path / "shapes", SHAPES)
    r, out = fix_json(root)
    assert r.code == 0, r
    errors = out["errors"]
    assert len(errors) == 4     # [0-0] passes: 0 * 3 == 0
    assert {e["status"] for e in errors} == {"fixed"}, errors
    # one branch, named after the test function, for every parameter set
    assert {e["branch"] for e in errors} == {"fix-test_shapes-test_perimeter"}
    diff = git(root, "diff", "main", "fix-test_shapes-test_perimeter")
    assert "+        return size * 4" in diff, diff
    # one commit: no change that passes a parameter set or two got in
    assert git(root, "log", "--format=%s", "main..fix-test_shapes-test_perimeter").count("\n") == 1


MENU = {
    "pytest.ini": "[pytest]\n",
    "menu.py": ("def first_word(line):\n"
                "    words = line.split()\n"
                "    return words[1]\n\n\n"
                "def title(line):\n"
                "    return first_word(line).title()\n"),
    "tests/test_menu.py": (
        "from menu import first_word, title\n\n\n"
        "def test_one_word():\n    assert first_word(\"hello\") == \"hello\"\n\n\n"
        "def test_padded():\n    assert first_word(\"  soup  \") == \"soup\"\n\n\n"
        "def test_title():\n    assert title(\"tea\") == \"Tea\"\n\n\n"
        "def test_impossible():\n    assert 1 + 1 == 3\n"),
}


def test_failures_crashing_in_one_place_are_fixed_by_one_change_and_the_rest_say_why(tmp_path):
    root = make_repo(tmp_path / "menu", MENU)
    r, out = fix_json(root)
    assert r.code == 1, r
    by = {e["id"].split("::")[1]: e for e in out["errors"]}
    assert "crash at menu.py:3: tried together first" in r.stderr, r.stderr
    fixed = [by[t] for t in ("test_one_word", "test_padded", "test_title")]
    assert {e["status"] for e in fixed} == {"fixed"}, fixed
    assert len({e["branch"] for e in fixed}) == 1, fixed
    assert "return words[0]" in git(root, "show", fixed[0]["branch"] + ":menu.py")
    # nothing in project source on its path: it says so, no silent "no attempt"
    lost = by["test_impossible"]
    assert lost["status"] == "unfixed"
    reasons = [a["reason"] for a in lost["attempts"] if a.get("reason")]
    assert any("found nothing to change" in why for why in reasons), lost


def test_every_project_on_the_machine_learns_from_the_others(tmp_path):
    import os
    import sqlite3
    root = make_repo(tmp_path / "shapes", SHAPES)
    r, out = fix_json(root)
    assert r.code == 0, r
    won = [a for e in out["errors"] for a in e["attempts"] if a["status"] == "passed"]
    db = os.path.join(os.environ["PYTEST_FIXER_DATA_DIR"], "knowledge.db")
    with sqlite3.connect(db) as kb:
        rows = dict(kb.execute("SELECT template, sum(successes) FROM knowledge"
                               " WHERE engine = 'builtin' AND error_category = 'AssertionError'"
                               " GROUP BY template"))
    assert rows.get(won[-1]["template"]) == 1, rows
    assert sum(1 for t in rows if rows[t] == 0) >= 1, rows   # the failed ones count too


SLOW = {
    "pytest.ini": "[pytest]\n",
    "score.py": ("import time\n\n\n"
                 "def score(a, b, c):\n"
                 "    time.sleep(0.3)\n"
                 "    if a > b and b > c or c < 0:\n"
                 "        return a * 2 + b - c\n"
                 "    return a - b + c * 3\n"),
    "tests/test_score.py": ("from score import score\n\n\n"
                            "def test_score():\n    assert score(1, 2, 3) == 1000\n"),
}


def test_a_group_stops_at_its_time_budget_and_says_so(tmp_path):
    root = make_repo(tmp_path / "slow", SLOW)
    r, out = fix_json(root, "--time-budget", "1")
    assert r.code == 1, r
    (e,) = out["errors"]
    assert e["status"] == "unfixed"
    last = e["attempts"][-1]
    assert "the time budget (1 s, --time-budget) ran out after" in last["reason"], e
    # a batch or two of the many candidates, not all of them
    assert 1 <= len(e["attempts"]) - 1 <= 6, e["attempts"]


def test_an_unusable_machine_knowledge_base_leaves_the_fix_to_the_project_s(tmp_path, monkeypatch):
    # the data directory is a file: the machine's knowledge base cannot be opened
    blocked = tmp_path / "data"
    blocked.write_text("not a directory\n")
    monkeypatch.setenv("PYTEST_FIXER_DATA_DIR", str(blocked))
    root = make_repo(tmp_path / "shapes", SHAPES)
    r, out = fix_json(root)
    assert r.code == 0, r
    assert {e["status"] for e in out["errors"]} == {"fixed"}, out["errors"]
    assert blocked.read_text() == "not a directory\n"
    assert "no knowledge base for the machine at" in r.stderr, r.stderr   # -v says so


SCORE = {
    "pytest.ini": "[pytest]\n",
    "score.py": ("def score(a, b, c):\n"
                 "    if a > b and b > c or c < 0:\n"
                 "        return a * 2 + b - c\n"
                 "    return a - b + c * 3\n"),
    "tests/test_score.py": ("from score import score\n\n\n"
                            "def test_score():\n    assert score(1, 2, 3) == 1000\n"),
}


def test_candidates_whose_target_fails_are_screened_without_a_fork_each(tmp_path):
    import re
    root = make_repo(tmp_path / "score", SCORE)
    r, out = fix_json(root)
    assert r.code == 1, r
    (e,) = out["errors"]
    assert len(e["attempts"]) >= 10, e["attempts"]
    assert {a["gate"] for a in e["attempts"] if a["status"] == "failed"} <= {"target", "syntax"}
    # both work directories screened; no candidate needed a child of its own
    m = re.search(r"warm test workers: (\d+) runs forked, 0 sent to a fresh pytest, \d+ stopped "
                  r"at their time limit; (\d+) runs in (\d+) screening children", r.stderr)
    assert m, r.stderr
    forked, screened, children = (int(x) for x in m.groups())
    assert forked == 0, r.stderr
    assert screened >= len(e["attempts"]) and children >= 2, r.stderr
