"""`pytest-fixer fix` says plainly what it does: pytest arguments after `--`, a
--test-path pytest leaves out, --time-budget, progress on a pipe, --dry-run's
diffs; and a project whose configuration adds pytest-xdist's -n works in scan,
fix and reproduce's stress runs.
"""
import json

import pytest

from conftest import SYSTEM_PYTEST, run_fixer
from test_fix import git, make_repo

ENV = {"PYTEST_FIXER_PYTEST": SYSTEM_PYTEST}

CALC = "def add(a, b):\n    return a - b\n"
CALC_TEST = "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"


def fix_branches(root):
    return [b for b in git(root, "branch", "--format=%(refname:short)").split()
            if b.startswith("fix-")]


# ---- --test-path ---------------------------------------------------------------------------

@pytest.mark.parametrize("config, test_path, words", [
    ({"pytest.ini": "[pytest]\n"}, "checks/check_calc.py",
     ["'check_calc.py' does not match python_files (test_*.py *_test.py, pytest's default)",
      "add a pattern such as 'check_*.py' to python_files"]),
    ({"pytest.ini": "[pytest]\n"}, "checks",
     ["'check_calc.py' does not match python_files"]),
    ({"setup.cfg": "[metadata]\nname = x\n\n[tool:pytest]\npython_files =\n    test_*.py\n"
                   "    spec_*.py\n"}, "checks/check_calc.py",
     ["python_files (test_*.py spec_*.py, set in the [tool:pytest] section of setup.cfg)"]),
    ({"pyproject.toml": "[tool.pytest.ini_options]\ntestpaths = [\"tests\"]\n"
                        "python_files = [\"check_*.py\", \"test_*.py\"]\n"},
     "checks/check_calc.py",
     ["it lies outside testpaths (tests, set in the [tool.pytest.ini_options] table of "
      "pyproject.toml)"]),
    ({"tox.ini": "[tox]\nenvlist = py3\n\n[pytest]\nnorecursedirs = chec*\n"
                 "python_files = check_*.py\n"}, "checks/check_calc.py",
     ["norecursedirs (chec*, set in the [pytest] section of tox.ini) excludes its directory "
      "'checks'"]),
])
def test_a_test_path_the_suite_leaves_out_names_the_setting(tmp_path, config, test_path, words):
    files = {"calc.py": CALC, "checks/check_calc.py": CALC_TEST,
             "tests/test_ok.py": "def test_ok():\n    assert True\n"}
    files.update(config)
    root = make_repo(tmp_path / "p", files)
    r = run_fixer(["fix", "--engine", "builtin", "--test-path", test_path], root, env=ENV)
    assert r.code == 2, r
    assert "pytest does not collect --test-path '%s' when it runs the whole suite" % test_path \
        in r.stderr, r
    for w in words:
        assert w in r.stderr, r
    assert not (root / ".pytest-fixer" / "reports").exists() or \
        not list((root / ".pytest-fixer" / "reports").iterdir())


def test_a_test_path_that_does_not_exist(tmp_path):
    root = make_repo(tmp_path / "p", {"calc.py": CALC, "tests/test_calc.py": CALC_TEST})
    r = run_fixer(["fix", "--engine", "builtin", "--test-path", "tests/test_nope.py"], root,
                  env=ENV)
    assert r.code == 2, r
    assert "--test-path 'tests/test_nope.py' does not exist" in r.stderr, r


def test_pytest_arguments_after_the_double_dash_reach_pytest(tmp_path):
    root = make_repo(tmp_path / "p", {"pytest.ini": "[pytest]\n", "calc.py": CALC,
                                      "checks/check_calc.py": CALC_TEST})
    # they make pytest collect the file: no complaint about python_files
    r = run_fixer(["fix", "--engine", "builtin", "--dry-run", "--test-path",
                   "checks/check_calc.py", "--", "-o", "python_files=check_*.py"], root, env=ENV)
    assert r.code != 2 and "python_files" not in r.stderr, r
    # pytest sees them: it rejects one it does not know
    r = run_fixer(["fix", "--engine", "builtin", "--test-path", "checks/check_calc.py", "--",
                   "--no-such-pytest-option"], root, env=ENV)
    assert r.code == 2, r
    assert "pytest rejected its arguments" in r.stderr and "--no-such-pytest-option" in r.stderr


def test_pytest_arguments_after_the_double_dash_reach_the_session(tmp_path):
    root = make_repo(tmp_path / "p", {"pytest.ini": "[pytest]\n", "calc.py": CALC,
                                      "checks/check_calc.py": CALC_TEST})
    r = run_fixer(["fix", "--engine", "builtin", "--dry-run", "--json", "--",
                   "-o", "python_files=check_*.py"], root, env=ENV)
    assert [e["id"] for e in r.json()["errors"]] == ["checks/check_calc.py::test_add"], r


# ---- options ---------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["0", "-5", "nan"])
def test_a_time_budget_must_be_above_zero(tmp_path, value):
    root = make_repo(tmp_path / "p", {"calc.py": CALC, "tests/test_calc.py": CALC_TEST})
    r = run_fixer(["fix", "--time-budget", value], root, env=ENV)
    assert r.code == 2, r
    assert "--time-budget" in r.stderr and "'%s'" % value in r.stderr, r


def test_help_names_the_new_options(tmp_path):
    r = run_fixer(["fix", "--help"], tmp_path, env=ENV)
    out = r.stdout + r.stderr
    assert r.code == 0, r
    assert "--time-budget" in out and "default: 120 for the built-in engine" in out
    assert "-- PYTEST-ARGS" in out and "--quiet" in out


# ---- progress and --dry-run ------------------------------------------------------------------

def test_dry_run_prints_the_diff_and_progress_goes_to_a_piped_stderr(tmp_path):
    root = make_repo(tmp_path / "p", {"pytest.ini": "[pytest]\n", "calc.py": CALC,
                                      "tests/test_calc.py": CALC_TEST})
    r = run_fixer(["fix", "--engine", "builtin", "--dry-run", "--non-interactive"], root, env=ENV)
    assert r.code == 0, r
    assert "verified fix for tests/test_calc.py::test_add (builtin" in r.stdout, r
    assert "-    return a - b\n+    return a + b\n" in r.stdout, r
    assert "dry run: nothing was committed" in r.stdout, r
    assert fix_branches(root) == [] and git(root, "status", "--porcelain") == ""
    # stderr is a pipe: plain lines, no carriage return or colour
    assert "pytest-fixer: progress: running the test suite (the baseline)" in r.stderr, r
    assert "pytest-fixer: progress: [1/1] tests/test_calc.py::test_add" in r.stderr, r
    assert "pytest-fixer: progress: done" in r.stderr, r
    assert "\r" not in r.stderr and "\x1b" not in r.stderr, r


# ---- pytest-xdist ----------------------------------------------------------------------------

FLAKY = ("import random\n\n\n"
         "def test_flaky():\n    assert random.random() >= 0.5, 'unlucky draw'\n")


def test_a_project_whose_configuration_adds_xdist_n(tmp_path):
    root = make_repo(tmp_path / "p", {"pytest.ini": "[pytest]\naddopts = -n 2\n",
                                      "calc.py": CALC, "tests/test_calc.py": CALC_TEST,
                                      "tests/test_flaky.py": FLAKY})
    r = run_fixer(["scan", "--json", "tests/test_calc.py"], root, env=ENV)
    assert r.code == 1, r
    assert [f["id"] for f in r.json()["failures"]] == ["tests/test_calc.py::test_add"]

    # -q: no progress on stderr; --json: nothing but the JSON on stdout
    r = run_fixer(["fix", "--engine", "builtin", "--test-path", "tests/test_calc.py",
                   "--verify-runs", "0", "--max-candidates", "3", "--json", "-q"], root, env=ENV)
    assert r.code == 0 and "progress" not in r.stderr, r
    errors = r.json()["errors"]
    assert [(e["id"], e["status"], e["branch"]) for e in errors] == [
        ("tests/test_calc.py::test_add", "fixed", "fix-test_calc-test_add")], r

    info = root / "info.json"
    info.write_text(json.dumps({"prompt": "it flakes", "deterministic": False,
                                "existing-test-path": "tests/test_flaky.py"}))
    r = run_fixer(["-v", "reproduce", str(info), "--no-fix", "--json", "--iterations", "6",
                   "--jobs", "1"], root, env=ENV)
    assert r.code == 0, r
    assert "the stress runs pass '-n 0 --dist no'" in r.stderr, r
    tests = {t["id"]: t for t in r.json()["tests"]}
    assert tests["tests/test_flaky.py::test_flaky"]["stress"]["iterations"] == 6, r.stdout
