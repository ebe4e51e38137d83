"""`fix --check-behaviour`, by default with the built-in engine (issue 17,
"fixes checked beyond the tests").

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
    report = run_fixer(["report", r.json()["session"]], root, env=ENV)
    assert report.code == 0, report
    assert "checked beyond the tests" not in report.stdout, report.stdout


def test_the_built_in_engine_checks_by_default(tmp_path):
    root = make_repo(tmp_path / "grades", GRADES)
    r, win, attempts = fix(root)
    assert RIGHT in win["diff"], r
    assert win["behaviour"]["changed"] == 0, win
    assert any(overfits(a) and a.get("behaviour", {}).get("changed", 0) >= 1 for a in attempts), attempts


# A bug on the common path: every call goes through the wrong condition.
# The right fix changes what most generated calls return (those over 2 kg,
# or express, too), all of them going through the condition as a failing
# test did: none counts against it.
SHIPPING = {
    "pytest.ini": "[pytest]\n",
    "shipping.py": (
        "DOMESTIC = {\"UK\", \"IE\"}\n\n\n"
        "def cost(weight, country, express=False):\n"
        "    \"\"\"5.00 a parcel, 3.00 more over 2 kg, doubled abroad, 10.00 more express.\"\"\"\n"
        "    total = 5.0\n"
        "    if weight > 2:\n"
        "        total += 3.0\n"
        "    if country in DOMESTIC:\n"
        "        total *= 2\n"
        "    if express:\n"
        "        total += 10.0\n"
        "    return total\n\n\n"
        "def label(country):\n"
        "    return \"domestic\" if country in DOMESTIC else \"international\"\n"),
    "tests/test_shipping.py": (
        "from shipping import cost, label\n\n\n"
        "def test_domestic_parcel():\n    assert cost(1, \"UK\") == 5.0\n\n\n"
        "def test_parcel_abroad():\n    assert cost(1.5, \"FR\") == 10.0\n\n\n"
        "def test_label():\n    assert label(\"IE\") == \"domestic\"\n"),
}


def test_the_right_fix_of_a_bug_on_the_common_path_alters_nothing_that_counts(tmp_path):
    root = make_repo(tmp_path / "shipping", SHIPPING)
    r = run_fixer(["fix", "--json", "--non-interactive", "--engine", "builtin", "-j", "2",
                   "--dry-run", "--check-behaviour"], root, env=ENV)
    assert r.code == 0, r
    errors = r.json()["errors"]
    assert all(e["status"] == "fixed" for e in errors), r
    right = [a for e in errors for a in e["attempts"]
             if "+    if country not in DOMESTIC:" in (a["diff"] or "") and "behaviour" in a]
    assert right, r
    for a in right:
        b = a["behaviour"]
        assert b["functions"] == ["shipping.py:cost"], b
        assert b["changed"] == 0, b
    # over 2 kg or express, at home or abroad: they change, on the failing tests' way
    assert max(a["behaviour"]["excluded"] for a in right) >= 3, right
