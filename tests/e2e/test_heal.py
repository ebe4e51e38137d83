"""`pytest-fixer heal`: failing tests made to pass again after the code changed on purpose,
by edits of the test files only; changed expected values held until accepted."""
import hashlib
import json
import os
import signal
import subprocess
import time

import yaml

from conftest import SYSTEM_PYTEST, binary, run_fixer
from test_fix import make_repo, snapshot

ENV = {"PYTEST_FIXER_PYTEST": SYSTEM_PYTEST}


def heal(root, *args, env=None):
    return run_fixer(["heal"] + list(args), root, env=dict(ENV, **(env or {})))


def heal_json(root, *args):
    r = heal(root, "--json", *args)
    assert r.code in (0, 1), r
    return r, r.json()


def pytest_passes(root):
    p = subprocess.run(["/usr/bin/python3", "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                       cwd=str(root), capture_output=True, text=True,
                       env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    return p.returncode == 0, p.stdout[-2000:]


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


RENAMED = {
    "mod.py": "def add_numbers(a, b):\n    return a + b\n\n\ndef greet(name):\n    return 'hi ' + name\n",
    "tests/test_mod.py": (
        "from mod import add, greet\n\n\n"
        "def test_add():\n    assert add(2, 3) == 5\n\n\n"
        "def test_add_again():\n    total = add(1, 1)\n    assert total == 2\n\n\n"
        "def test_greet():\n    assert greet('bo') == 'hi bo'\n"),
}


def test_a_renamed_function_is_healed_in_the_test_only(tmp_path):
    root = make_repo(tmp_path / "p", RENAMED)
    source = digest(root / "mod.py")
    r, got = heal_json(root)
    assert r.code == 0, r
    text = (root / "tests/test_mod.py").read_text()
    assert "from mod import add_numbers, greet\n" in text
    assert "assert add_numbers(2, 3) == 5" in text and "total = add_numbers(1, 1)" in text
    assert digest(root / "mod.py") == source
    assert got["failing_before"] == 1 and got["left"] == 0 and got["held"] == 0
    (change,) = got["changes"]
    assert change["target"] == "tests/test_mod.py" and change["category"] == "IMPORT_ERROR"
    assert change["template"] == "heal-rename-name" and change["mode"] in ("update", "patch", "rewrite")
    assert sorted(change["healed"]) == ["tests/test_mod.py::test_add", "tests/test_mod.py::test_add_again",
                                        "tests/test_mod.py::test_greet"]
    assert "-from mod import add, greet" in change["diff"]
    assert got["written"] == ["tests/test_mod.py"]
    assert pytest_passes(root)[0]
    # nothing left to heal: a second run changes nothing
    r = heal(root)
    assert r.code == 0, r
    assert "0 changes" in r.stdout and "0 still failing" in r.stdout


def test_a_moved_module_is_healed(tmp_path):
    root = make_repo(tmp_path / "p", {
        "shop/__init__.py": "",
        "shop/pricing.py": "def net(x):\n    return x - 1\n\n\nRATE = 2\n",
        "shop/other.py": "def net(x):\n    return x\n",
        "tests/test_prices.py": "from shop.prices import net, RATE\n\n\n"
                                "def test_net():\n    assert net(3) * RATE == 4\n",
    })
    r, got = heal_json(root)
    assert r.code == 0, r
    assert (root / "tests/test_prices.py").read_text().startswith("from shop.pricing import net, RATE\n")
    assert got["changes"][0]["template"] == "heal-move-module"
    assert pytest_passes(root)[0]


def test_a_renamed_keyword_is_healed(tmp_path):
    root = make_repo(tmp_path / "p", {
        "geo.py": "def scale(x, factor=2, offset=0):\n    return x * factor + offset\n",
        "tests/test_geo.py": "import geo\n\n\ndef test_scale():\n    assert geo.scale(3, fact=3) == 9\n"
                             "    assert geo.scale(1, fact=1, offset=1) == 2\n",
    })
    r, got = heal_json(root)
    assert r.code == 0, r
    text = (root / "tests/test_geo.py").read_text()
    assert "geo.scale(3, factor=3)" in text and "geo.scale(1, factor=1, offset=1)" in text
    assert got["changes"][0]["category"] == "SIGNATURE_ERROR"
    assert got["changes"][0]["template"] == "heal-rename-keyword"


def test_a_new_required_parameter_gets_a_value_that_keeps_the_assertions(tmp_path):
    # 0 is tried first and fails the assertion; 1 keeps it
    root = make_repo(tmp_path / "p", {
        "geo.py": "def area(w, h, scale: int):\n    return w * h * scale\n",
        "tests/test_geo.py": "from geo import area\n\n\ndef test_area():\n    assert area(2, 3) == 6\n",
    })
    r, got = heal_json(root)
    assert r.code == 0, r
    assert "assert area(2, 3, scale=1) == 6" in (root / "tests/test_geo.py").read_text()
    assert got["changes"][0]["template"] == "heal-new-argument"
    assert got["attempts"] >= 2


def test_a_new_parameter_no_value_satisfies_is_reported(tmp_path):
    root = make_repo(tmp_path / "p", {
        "geo.py": "def area(w, h, unit: str):\n    return '%d %s' % (w * h, unit.upper())\n",
        "tests/test_geo.py": "from geo import area\n\n\ndef test_area():\n    assert area(2, 3) == 6\n",
    })
    before = snapshot(root)
    r, got = heal_json(root)
    assert r.code == 1, r
    assert snapshot(root) == before
    (left,) = got["failures"]
    assert left["id"] == "tests/test_geo.py::test_area" and left["category"] == "SIGNATURE_ERROR"
    assert "candidate" in left["reason"]


CHANGED = {
    "calc.py": "def total(a, b):\n    return a + b + 1\n",
    "tests/test_calc.py": (
        "import pytest\nfrom calc import total\n\n\n"
        "@pytest.mark.parametrize(\n    \"a, b, expected\",\n    [\n        (2, 7, 9),\n"
        "        (0, 0, 1),\n    ],\n    ids=[\"2-7\", \"0-0\"],\n)\n"
        "def test_total(a, b, expected):\n    assert total(a, b) == expected\n"),
}


def test_a_changed_value_is_held_then_applied_with_accept_behaviour(tmp_path):
    root = make_repo(tmp_path / "p", CHANGED)
    before = snapshot(root)
    r = heal(root)
    assert r.code == 1, r
    assert snapshot(root) == before                    # held: nothing written
    assert "held" in r.stdout and "expected 9, now 10" in r.stdout
    assert "--accept-behaviour" in r.stdout
    assert "-        (2, 7, 9),\n+        (2, 7, 10)," in r.stdout
    r, got = heal_json(root)
    assert got["held"] == 1 and got["left"] == 1 and got["written"] == []
    assert got["failures"][0]["held"] is True
    assert got["changes"][0]["expected"] == {"old": "9", "new": "10"}
    assert got["changes"][0]["category"] == "BEHAVIOUR_CHANGE"

    r = heal(root, "--accept-behaviour")
    assert r.code == 0, r
    assert "(2, 7, 10)," in (root / "tests/test_calc.py").read_text()
    assert "(0, 0, 1)," in (root / "tests/test_calc.py").read_text()
    assert "accepted" in r.stdout
    assert pytest_passes(root)[0]


def test_source_files_are_never_edited(tmp_path):
    # a bug only the source could fix, and a doctest in the source that a rename broke,
    # beside a rename heal can follow in a test file
    root = make_repo(tmp_path / "p", {
        "pytest.ini": "[pytest]\naddopts = --doctest-modules\n",
        "mod.py": "def div(a, b):\n    return a / 0\n\n\ndef add_numbers(a, b):\n"
                  "    \"\"\"\n    >>> add(1, 2)\n    3\n    \"\"\"\n    return a + b\n",
        "tests/test_mod.py": "from mod import div\nfrom mod import add\n\n\n"
                             "def test_div():\n    assert div(4, 2) == 2\n\n\n"
                             "def test_add():\n    assert add(1, 2) == 3\n",
    })
    source = digest(root / "mod.py")
    r, got = heal_json(root)
    assert r.code == 1, r
    assert digest(root / "mod.py") == source
    assert got["written"] == ["tests/test_mod.py"]
    left = {l["id"]: l for l in got["failures"]}
    assert sorted(left) == ["mod.py::mod.add_numbers", "tests/test_mod.py::test_div"], left
    assert left["tests/test_mod.py::test_div"]["error_type"] == "ZeroDivisionError"
    assert "heal edits test files only" in left["mod.py::mod.add_numbers"]["reason"]
    assert git_status(root) == [" M tests/test_mod.py"]


def git_status(root):
    out = subprocess.run(["git", "status", "--porcelain"], cwd=str(root), capture_output=True,
                         text=True).stdout
    return [l for l in out.splitlines() if ".pytest-fixer" not in l]


def test_dry_run_writes_nothing_and_says_what_it_would(tmp_path):
    root = make_repo(tmp_path / "p", RENAMED)
    before = snapshot(root)
    r = heal(root, "--dry-run")
    assert r.code == 0, r
    assert "+from mod import add_numbers, greet" in r.stdout
    assert "dry run: nothing written" in r.stdout
    assert snapshot(root) == before


def test_generated_tests_heal_after_a_rename_and_the_checklist_says_so(tmp_path):
    root = make_repo(tmp_path / "p", {
        "mod.py": "def add_numbers(a, b):\n    return a + b\n\n\ndef is_even(n):\n"
                  "    if n % 2 == 0:\n        return True\n    return False\n",
    })
    r = run_fixer(["generate", "mod.py", "--time-budget", "40"], root, env=ENV)
    assert r.code == 0, r
    generated = root / "tests" / "test_mod_generated.py"
    assert "add_numbers" in generated.read_text()
    ok, out = pytest_passes(root)
    assert ok, out
    (root / "mod.py").write_text((root / "mod.py").read_text().replace("def add_numbers", "def sum_numbers"))
    assert not pytest_passes(root)[0]

    r, got = heal_json(root)
    assert r.code == 0, r
    text = generated.read_text()
    assert "sum_numbers(a, b)" in text and "add_numbers(a, b)" not in text
    assert "def test_add_numbers(" in text        # the test keeps its name (its id)
    ok, out = pytest_passes(root)
    assert ok, out
    state_path = root / "tests" / "test_execution_state.yaml"
    assert got["states"] == ["tests/test_execution_state.yaml"]
    state = yaml.safe_load(state_path.read_text())
    assert state["generated_file"] == "tests/test_mod_generated.py"
    assert state["module"] == "mod.py"
    healed = [t for t in state["test_cases"] if t["status"] == "HEALED"]
    assert healed and len(healed) == len(state["test_cases"])
    for t in healed:
        assert t["error_category"] == "IMPORT_ERROR"
        assert "add_numbers" in t["last_error"]
        assert t["retry_count"] == 1
        (entry,) = t["healing_history"]
        assert entry["outcome"] == "HEALED" and entry["method"] in ("update", "patch", "rewrite")
        assert "add_numbers -> sum_numbers" in entry["reason"]
        assert t["analysis"]["suggested_fix_method"] == entry["method"]


def test_a_held_change_and_a_failure_go_into_an_existing_checklist(tmp_path):
    files = dict(CHANGED)
    files["tests/test_other.py"] = "def test_boom():\n    assert 1 / 0\n"
    files["tests/test_execution_state.yaml"] = (
        "version: 1\ntest_cases:\n  - id: \"tests/test_calc.py::test_total[2-7]\"\n    status: PASSED\n")
    root = make_repo(tmp_path / "p", files)
    r = heal(root)
    assert r.code == 1, r
    state = yaml.safe_load((root / "tests/test_execution_state.yaml").read_text())
    by_id = {t["id"]: t for t in state["test_cases"]}
    held = by_id["tests/test_calc.py::test_total[2-7]"]
    assert held["status"] == "FAILED" and held["retry_count"] == 1
    assert held["error_category"] == "BEHAVIOUR_CHANGE"
    assert held["healing_history"][-1]["outcome"] == "HELD"
    boom = by_id["tests/test_other.py::test_boom"]
    assert boom["status"] == "FAILED" and boom["error_category"] == "OTHER_ERROR"
    assert boom["last_error"].startswith("ZeroDivisionError")
    assert boom["healing_history"][-1]["outcome"] == "FAILED"


def test_stats_shows_the_heal_attempts(tmp_path):
    root = make_repo(tmp_path / "p", RENAMED)
    assert heal(root).code == 0
    r = run_fixer(["stats", "--json"], root)
    assert r.code == 0, r
    got = r.json()
    rows = [row for row in got["by_template"] if row["engine"] == "heal"]
    assert rows, got
    assert any(row["template"] == "heal-rename-name" and row["successes"] >= 1
               and row["error_category"] == "ImportError" for row in rows)
    r = run_fixer(["stats"], root)
    assert "heal-rename-name" in r.stdout


def test_interrupted_heal_leaves_the_test_files_as_they_were(tmp_path):
    files = dict(RENAMED)
    files["tests/test_slow.py"] = ("import time\nfrom mod import add\n\n\n"
                                   "def test_slow():\n    time.sleep(1.5)\n    assert add(1, 1) == 2\n")
    root = make_repo(tmp_path / "p", files)
    before = snapshot(root)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = dict(os.environ, NO_COLOR="1", TMPDIR=str(tmp), **ENV)
    proc = subprocess.Popen([binary(), "heal"], cwd=str(root), env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    # wait until it works in its private copy, then for a run or two of the slow file
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list(tmp.glob("pytest-fixer-run.*/heal.*/work")):
        time.sleep(0.05)
    time.sleep(2.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert snapshot(root) == before
    assert not list(tmp.glob("pytest-fixer-run.*/heal.*"))


def test_bad_usage_and_no_pytest(tmp_path):
    root = make_repo(tmp_path / "p", RENAMED)
    r = heal(root, "no/such/tests")
    assert r.code == 2 and "no such test path" in r.stderr, r
    r = heal(root, "--timeout", "-1")
    assert r.code == 2, r
    r = heal(root, "--pytest", str(tmp_path / "no-such-python") + " -m pytest")
    assert r.code == 3, r
    # a node id pytest cannot select (its file does not collect): pytest's words, our project's paths
    r = heal(root, "tests/test_mod.py::test_add")
    assert r.code == 2 and "not found" in r.stderr and "pytest-fixer-run" not in r.stderr, r


def test_paths_and_keyword_choose_what_is_healed(tmp_path):
    files = {
        "geo.py": "def scale(x, factor=2):\n    return x * factor\n",
        "tests/test_a.py": "import geo\n\n\ndef test_a():\n    assert geo.scale(3, fact=3) == 9\n",
        "tests/test_b.py": "import geo\n\n\ndef test_b():\n    assert geo.scale(2, fact=2) == 4\n\n\n"
                           "def test_c():\n    assert geo.scale(1, fact=1) == 1\n",
    }
    root = make_repo(tmp_path / "p", files)
    r, got = heal_json(root, "tests/test_b.py::test_b")
    assert r.code == 0, r
    assert got["written"] == ["tests/test_b.py"]
    assert (root / "tests/test_a.py").read_text() == files["tests/test_a.py"]
    r, got = heal_json(root, "-k", "test_a")
    assert r.code == 0, r
    assert got["written"] == ["tests/test_a.py"]
