"""`scan` lists what pytest lists (issue 12, items 13-16).

The parity test is data-driven: real pytest writes its own --junitxml for the
fixture project `junit_parity`, and every <failure>/<error> entry of that
report must be an entry of `scan --json` (and the other way round), with a
message and a file:line; where pytest's text names a place, that place is
one of scan's frames.
"""
import os
import re
import subprocess
import xml.etree.ElementTree as ET

from conftest import SYSTEM_PYTEST, project, run_fixer

PYTEST_ENV = {"PYTEST_FIXER_PYTEST": SYSTEM_PYTEST}


# -- 14: every entry of pytest's JUnit is an entry of scan ------------------------

def _junit_address(node_id):
    """(classname, name) of a node id, as pytest's junitxml mangles it."""
    path, bracket, params = node_id.partition("[")
    names = path.split("::")
    names[0] = re.sub(r"\.py$", "", names[0].replace("/", "."))
    names[-1] += bracket + params
    return ".".join(names[:-1]), names[-1]


def _junit_entries(report):
    """{(classname, name, "failure"|"error"): [texts]} of a pytest JUnit report."""
    entries = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        for child in case:
            if child.tag in ("failure", "error"):
                key = (case.get("classname"), case.get("name"), child.tag)
                entries.setdefault(key, []).append((child.get("message") or "") + "\n" +
                                                   (child.text or ""))
    return entries


# the place pytest's report text names: "tests/conftest.py:12: RuntimeError"
PLACE = re.compile(r"^(\S[^\n]*?):(\d+): \w+$", re.M)


def _places(text, root):
    for path, line in PLACE.findall(text):
        path = os.path.relpath(path, root) if os.path.isabs(path) else path
        yield path, int(line)


def test_every_junit_entry_of_pytest_is_a_scan_entry(project, tmp_path):
    root = project("junit_parity")
    report = tmp_path / "pytest.xml"
    subprocess.run(SYSTEM_PYTEST.split() + ["-p", "no:cacheprovider",
                                            "--continue-on-collection-errors",
                                            "--junitxml=%s" % report],
                   cwd=str(root), capture_output=True,
                   env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    junit = _junit_entries(report)
    r = run_fixer(["scan", "--json"], root, env=PYTEST_ENV)
    assert r.code == 1, r
    scan = {}
    for f in r.json()["failures"]:
        kind = "failure" if f["kind"] == "failure" else "error"
        scan.setdefault(_junit_address(f["id"]) + (kind,), []).append(f)

    # every kind of entry the project is made to produce is there
    kinds = {
        ("", "tests.test_broken_import", "error"),                      # collection error
        ("tests.test_shop.TestTotals", "test_known_bug", "failure"),    # unexpected success
        ("tests.test_shop", "test_setup_error", "error"),               # fixture fails in setup
        ("tests.test_shop", "test_missing_fixture", "error"),           # no such fixture
        ("tests.test_shop", "test_fails_then_teardown_errors", "failure"),
        ("tests.test_shop", "test_fails_then_teardown_errors", "error"),
        ("tests.test_shop", "test_strict_xpass", "failure"),
        ("tests.test_shop", "test_strict_xpass_without_reason", "failure"),
        ("tests.test_shop", "test_param[prices1-3]", "failure"),
        ("shop", "shop", "failure"),                                    # module docstring
        ("shop", "shop.unit_price", "failure"),                         # unexpected exception
        ("docs.usage.txt", "usage.txt", "failure"),                     # a .txt doctest file
    }
    assert kinds <= set(junit), sorted(kinds - set(junit))

    assert sorted(set(junit) - set(scan)) == [], "in pytest's JUnit, not in scan"
    assert sorted(set(scan) - set(junit)) == [], "in scan, not in pytest's JUnit"
    for key, texts in junit.items():
        for f in scan[key]:
            assert f["message"] and f["message"].strip(), (key, f)
            loc = f["location"]
            assert loc and loc["file"] and loc["line"] > 0, (key, f)
            assert (root / loc["file"]).is_file(), (key, loc)
            frames = {(fr["file"], fr["line"]) for fr in f["frames"]}
            for text in texts:
                for place in _places(text, str(root)):
                    if (root / place[0]).is_file() and f["kind"] != "collection_error":
                        assert place in frames, (key, place, f["frames"])

    def one(classname, name, kind="failure"):
        (f,) = scan[(classname, name, kind)]
        return f

    # doctests: pytest's "Expected: ... Got: ..." at the failing example's line
    doc = one("shop", "shop")
    assert doc["message"] == "Expected:\n    1\nGot:\n    0", doc
    assert doc["location"] == {"file": "shop.py", "line": 5}, doc
    txt = one("docs.usage.txt", "usage.txt")
    assert "Expected:\n    6\nGot:\n    5" in txt["message"], txt
    assert txt["location"] == {"file": "docs/usage.txt", "line": 7}, txt
    raised = one("shop", "shop.unit_price")
    assert raised["error_type"] == "ZeroDivisionError", raised
    assert {"file": "shop.py", "line": 30, "function": "shop.unit_price"} in raised["frames"]
    # a unittest unexpected success is at its test
    us = one("tests.test_shop.TestTotals", "test_known_bug")
    assert us["location"] == {"file": "tests/test_shop.py", "line": 13}, us
    # a strict XPASS has pytest's message
    assert one("tests.test_shop", "test_strict_xpass")["message"] == \
        "[XPASS(strict)] rounding is not done yet"
    assert one("tests.test_shop", "test_strict_xpass_without_reason")["message"] == \
        "[XPASS(strict)]"
    # a failed body and then a teardown error: both, as pytest's JUnit has them
    body = one("tests.test_shop", "test_fails_then_teardown_errors", "failure")
    td = one("tests.test_shop", "test_fails_then_teardown_errors", "error")
    assert body["message"] == "assert 7 == 8" and td["message"] == "the till would not close"
    assert td["location"] == {"file": "tests/conftest.py", "line": 12}, td
    s = r.json()["summary"]
    # pytest says "9 failed, 3 passed, 6 errors": it counts the collection error of
    # tests/test_broken_import.py twice (its module and its doctest collector)
    assert (s["failed"], s["errors"]) == (9, 5), s


def test_table_lists_both_a_failed_body_and_its_teardown_error(project):
    r = run_fixer(["scan", "tests/test_shop.py::test_fails_then_teardown_errors"],
                  project("junit_parity"), env=PYTEST_ENV)
    assert r.code == 1, r
    assert r.stdout.count("test_fails_then_teardown_errors") == 2, r
    assert "1 failed, 1 error" in r.stdout, r


# -- 13: a NUL byte in a test's output ---------------------------------------------

def _nul_project(tmp_path):
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_nul.py").write_text(
        'def test_nul():\n'
        '    print("a\\0b")\n'
        '    assert False, "x\\0y"\n'
        '\n'
        'def test_ok():\n'
        '    pass\n')
    return tmp_path


def test_nul_byte_in_output_is_kept_escaped(tmp_path):
    root = _nul_project(tmp_path)
    r = run_fixer(["scan", "--json"], root, env=PYTEST_ENV)
    assert r.code == 1, r
    got = r.json()
    assert got["summary"]["failed"] == 1 and got["summary"]["passed"] == 1, got
    (f,) = got["failures"]
    assert "a\\x00b" in f["output"], f["output"]
    assert f["message"].startswith("x\\x00y"), f["message"]
    table = run_fixer(["scan"], root, env=PYTEST_ENV)
    assert table.code == 1 and "x\\x00y" in table.stdout, table


# -- 15: PYTEST_ADDOPTS and a run that collects nothing -----------------------------

def test_pytest_addopts_is_honoured(project):
    root = project("assertions")
    plain = run_fixer(["scan", "--json"], root, env=PYTEST_ENV)
    assert plain.code == 1 and plain.json()["summary"]["failed"] > 1, plain
    r = run_fixer(["scan", "--json"], root, env=dict(PYTEST_ENV, PYTEST_ADDOPTS="-x --color=yes"))
    assert r.code == 1, r
    got = r.json()
    # -x: pytest stops at the first failure
    assert got["summary"]["failed"] == 1, got["summary"]
    assert len(got["failures"]) == 1
    # our own arguments still hold: no cache written, records read
    assert not (root / ".pytest_cache").exists()


def test_pytest_addopts_pytest_rejects_is_named(project):
    r = run_fixer(["scan"], project("all_pass"), env=dict(PYTEST_ENV, PYTEST_ADDOPTS="--no-such-opt"))
    assert r.code == 2, r
    assert "PYTEST_ADDOPTS='--no-such-opt'" in r.stderr, r


def test_no_tests_collected_is_exit_5_in_pytests_words(tmp_path):
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_empty.py").write_text("X = 1\n")
    r = run_fixer(["scan"], tmp_path, env=PYTEST_ENV)
    assert r.code == 5, r
    assert "no tests ran" in r.stdout, r
    assert "collected 0 items" in r.stderr, r
    # pytest agrees
    p = subprocess.run(SYSTEM_PYTEST.split() + ["-p", "no:cacheprovider"], cwd=str(tmp_path),
                       capture_output=True)
    assert p.returncode == 5


def test_all_tests_deselected_is_exit_5(project):
    r = run_fixer(["scan", "--json", "-k", "no_test_is_called_this"], project("all_pass"),
                  env=PYTEST_ENV)
    assert r.code == 5, r
    assert r.json()["summary"]["total"] == 0


# -- 16: a foreign runner's report must explain how it ended -----------------------

OLD_REPORT = "<testsuite tests='1'><testcase classname='x' name='y'/></testsuite>"


def test_runner_killed_by_a_signal_is_an_error_not_the_old_report(project):
    root = project("all_pass")
    (root / "old.xml").write_text(OLD_REPORT)
    r = run_fixer(["scan", "--test-cmd", 'sh -c "kill -9 $$"', "--junit-xml", "old.xml"], root)
    assert r.code == 3, r
    assert "the test command was killed by signal 9 (SIGKILL)" in r.stderr, r
    assert "passed" not in r.stdout, r
    assert not (root / "old.xml").exists()   # removed before the run


def test_nonzero_exit_the_report_does_not_explain_is_an_error(project):
    root = project("all_pass")
    cmd = "sh -c \"echo \\\"%s\\\" > r.xml; exit 2\"" % OLD_REPORT
    r = run_fixer(["scan", "--test-cmd", cmd, "--junit-xml", "r.xml"], root)
    assert r.code == 3, r
    assert "exited with 2" in r.stderr and "lists no failure" in r.stderr, r


def test_report_path_that_is_not_a_regular_file_is_refused(project):
    root = project("all_pass")
    (root / "dir.xml").mkdir()
    r = run_fixer(["scan", "--test-cmd", "true", "--junit-xml", "dir.xml"], root)
    assert r.code == 2, r
    assert "dir.xml" in r.stderr and "not a regular file" in r.stderr, r
    assert (root / "dir.xml").is_dir()
    os.symlink("elsewhere.xml", str(root / "link.xml"))
    (root / "elsewhere.xml").write_text(OLD_REPORT)
    r = run_fixer(["scan", "--test-cmd", "true", "--junit-xml", "link.xml"], root)
    assert r.code == 2 and "link.xml" in r.stderr, r
    assert (root / "elsewhere.xml").read_text() == OLD_REPORT


# -- what fix makes of it ------------------------------------------------------------

def _repo(root, files):
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"],
                 ["-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-qm", "i"]):
        subprocess.run(["git", "-C", str(root)] + args, check=True, capture_output=True)
    return root


ADD_TWICE = {
    "pytest.ini": "[pytest]\n",
    "calc.py": "def add(a, b):\n    return a - b\n",
    "tests/test_calc.py": (
        "import pytest\nfrom calc import add\n\n\n"
        "@pytest.fixture\ndef checked():\n    yield\n    assert add(1, 1) == 2\n\n\n"
        "def test_add(checked):\n    assert add(2, 2) == 4\n\n\n"
        "def test_zero():\n    assert add(0, 0) == 0\n"),
}


def _fix(root, env=None):
    return run_fixer(["fix", "--json", "--non-interactive", "--engine", "builtin", "-j", "1"],
                     root, env=dict(PYTEST_ENV, **(env or {})))


def test_fix_fixes_a_body_and_its_teardown_error_on_one_branch(tmp_path):
    root = _repo(tmp_path / "calc", ADD_TWICE)
    r = _fix(root)
    assert r.code == 0, r
    errors = r.json()["errors"]
    assert [(e["id"], e["failure"]["kind"]) for e in errors] == [
        ("tests/test_calc.py::test_add", "failure"), ("tests/test_calc.py::test_add", "error")]
    assert {e["status"] for e in errors} == {"fixed"}
    assert errors[0]["branch"] == errors[1]["branch"] == "fix-test_calc-test_add"


def test_fix_runs_every_test_whatever_pytest_addopts_says(tmp_path):
    files = dict(ADD_TWICE)
    files["tests/test_calc.py"] = (
        "from calc import add\n\n\n"
        "def test_add():\n    assert add(2, 2) == 4\n\n\n"
        "def test_add_more():\n    assert add(3, 3) == 6\n")
    root = _repo(tmp_path / "calc", files)
    r = _fix(root, env={"PYTEST_ADDOPTS": "-x"})
    assert r.code == 0, r
    # -x would have stopped the baseline at the first failure: both are there
    assert [e["id"] for e in r.json()["errors"]] == [
        "tests/test_calc.py::test_add", "tests/test_calc.py::test_add_more"]
