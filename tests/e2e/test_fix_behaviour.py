"""`fix --check-behaviour` (issue 17, "fixes checked beyond the tests").

The failing test wants a mark of 50 to pass. Single-token changes of the
built-in engine make it pass with the whole suite: `score <= 51` or
`score < 51` (a flipped or negated comparison, proposed first: overfitting
fixes, they fail every mark from 52 to 79, which no test covers) and
`score >= 50` (the right one). Calls generated on the original code tell
them apart.
"""
import json

from test_fix import ENV, make_repo
from conftest import run_fixer

GRADES = {
    "pytest.ini": "[pytest]\n",
    "grades.py": (
        "def grade(score):\n"
        "    \"\"\"'fail' below 50, 'pass' from 50, 'distinction' from 80.\"\"\"\n"
        "    if score >= 80:\n"
        "        return \"distinction\"\n"
        "    if score >= 51:\n"
        "        return \"pass\"\n"
        "    return \"fail\"\n"),
    "tests/test_grades.py": (
        "from grades import grade\n\n\n"
        "def test_pass_mark():\n    assert grade(50) == \"pass\"\n\n\n"
        "def test_distinction():\n    assert grade(90) == \"distinction\"\n"),
}

OVERFITS = ("+    if score <= 51:", "+    if score < 51:")
RIGHT = "+    if score >= 50:"


def overfits(attempt):
    return any(o in (attempt["diff"] or "") for o in OVERFITS)


def fix(root, *extra):
    r = run_fixer(["fix", "--json", "--non-interactive", "--engine", "builtin", "-j", "2",
                   "--dry-run"] + list(extra), root, env=ENV)
    assert r.code == 0, r
    (err,) = r.json()["errors"]
    assert err["status"] == "fixed", r
    passed = [a for a in err["attempts"] if a["status"] == "passed"]
    # the winner is recorded last
    return r, passed[-1], err["attempts"]


def test_the_check_ranks_the_overfitting_fix_below_the_right_one(tmp_path):
    root = make_repo(tmp_path / "grades", GRADES)
    r, win, attempts = fix(root, "--check-behaviour")
    assert RIGHT in win["diff"], r
    assert win["behaviour"]["changed"] == 0, win
    assert win["behaviour"]["functions"] == ["grades.py:grade"]
    # the failing test's own input behaves otherwise, as it should: left out
    assert win["behaviour"]["excluded"] >= 1, win
    checked = [a for a in attempts if overfits(a) and "behaviour" in a]
    assert checked, attempts
    b = checked[0]["behaviour"]
    assert b["changed"] >= 1 and b["checked"] > b["changed"], b
    case = b["cases"][0]
    assert case["call"].startswith("grade(") and case["before"] == "'pass'" and \
        case["after"] == "'fail'", b
    report = run_fixer(["report", r.json()["session"]], root, env=ENV)
    assert report.code == 0, report
    assert "calls end otherwise** off the failing tests' path" in report.stdout, report.stdout
    assert "`%s`: 'pass' before, 'fail' after" % case["call"] in report.stdout


def test_without_the_check_the_first_fix_that_passes_wins(tmp_path):
    root = make_repo(tmp_path / "grades", GRADES)
    r, win, attempts = fix(root, "--no-check-behaviour")
    assert overfits(win), r
    assert all("behaviour" not in a for a in attempts), attempts
    # nor by default (see FIX_BEHAVIOUR_BY_DEFAULT): the same as --no-check-behaviour
    r, win, attempts = fix(root, "--time-budget", "6")
    assert overfits(win), r
    assert all("behaviour" not in a for a in attempts), attempts
    report = run_fixer(["report", r.json()["session"]], root, env=ENV)
    assert report.code == 0, report
    assert "checked beyond the tests" not in report.stdout, report.stdout
