"""The LLM path of `fix`, against loopback fakes of the real protocols."""
import json
import sqlite3
from pathlib import Path

import pytest

from conftest import SYSTEM_PYTEST, LoopbackFake, run_fixer
from test_fix import git, make_repo

FAKE = Path(__file__).resolve().parent.parent / "fakes" / "fake_llm.py"
KEY = "sk-TESTKEY-abcdef0123456789"
ENV = {"PYTEST_FIXER_PYTEST": SYSTEM_PYTEST}


class Fake(LoopbackFake):
    """tests/fakes/fake_llm.py serving a script of replies, logging requests."""

    def __init__(self, tmp_path, steps, name="fake"):
        self.script = tmp_path / (name + "-script.json")
        self.script.write_text(json.dumps(steps))
        log = tmp_path / (name + "-requests.jsonl")
        super().__init__(["/usr/bin/python3", str(FAKE), str(self.script), str(log)], log)


@pytest.fixture
def fakes(tmp_path):
    made = []

    def start(steps, name="fake"):
        f = Fake(tmp_path, steps, name)
        made.append(f)
        return f
    yield start
    for f in made:
        f.stop()


def reply(obj):
    return {"status": 200, "content": "Here is the fix:\n```json\n%s\n```\n" % json.dumps(obj)}


# A bug no single-token mutation fixes: a missing import.
MISSING_IMPORT = {
    "pytest.ini": "[pytest]\n",
    "shapes.py": "def hypotenuse(a, b):\n    return math.sqrt(a * a + b * b)\n",
    "tests/test_shapes.py": ("from shapes import hypotenuse\n\n\n"
                             "def test_hypotenuse():\n    assert hypotenuse(3, 4) == 5\n"),
}
FIXED_SHAPES = "import math\n\n\ndef hypotenuse(a, b):\n    return math.sqrt(a * a + b * b)\n"


def llm_fix(root, fake, *extra, env=None):
    args = ["fix", "--json", "--non-interactive", "--engine", "llm", "--provider", "openai",
            "--base-url", fake.url + "/v1", "--model", "test-model", "--api-key", KEY, "-j", "1"]
    return run_fixer(args + list(extra), root, env=dict(ENV, **(env or {})))


@pytest.mark.parametrize("mode", ["update", "patch", "rewrite"])
def test_each_edit_mode_fixes_a_missing_import(tmp_path, fakes, mode):
    root = make_repo(tmp_path / "shapes", MISSING_IMPORT)
    if mode == "update":
        answer = {"reasoning": "math is not imported", "file": "shapes.py",
                  "old_str": "def hypotenuse(a, b):\n", "new_str": "import math\n\n\ndef hypotenuse(a, b):\n"}
    elif mode == "patch":
        answer = {"reasoning": "math is not imported", "file": "shapes.py",
                  "patch": "--- a/shapes.py\n+++ b/shapes.py\n@@ -1,2 +1,5 @@\n+import math\n+\n+\n"
                           " def hypotenuse(a, b):\n     return math.sqrt(a * a + b * b)\n"}
    else:
        answer = {"reasoning": "math is not imported", "file": "shapes.py", "new_content": FIXED_SHAPES}
    fake = fakes([reply(answer)])
    r = llm_fix(root, fake)
    assert r.code == 0, r
    [err] = r.json()["errors"]
    assert err["status"] == "fixed"
    assert git(root, "show", err["branch"] + ":shapes.py").startswith("import math")
    [att] = err["attempts"]
    assert att["engine"] == "llm" and att["method"] == mode and att["temperature"] == pytest.approx(0.4)
    # checked beyond the tests by default only with the built-in engine
    assert "behaviour" not in att, att


def test_a_wrong_answer_then_a_right_one_with_feedback(tmp_path, fakes):
    root = make_repo(tmp_path / "shapes", MISSING_IMPORT)
    wrong = {"reasoning": "guess", "file": "shapes.py", "old_str": "a * a + b * b",
             "new_str": "a * a + b * b + 1"}
    right = {"reasoning": "math is not imported", "file": "shapes.py", "new_content": FIXED_SHAPES}
    fake = fakes([reply(wrong), reply(right)])
    r = llm_fix(root, fake)
    assert r.code == 0, r
    reqs = fake.requests()
    assert len(reqs) == 2
    assert reqs[0]["body"]["temperature"] == pytest.approx(0.4)
    assert reqs[1]["body"]["temperature"] == pytest.approx(0.5)
    second = json.dumps(reqs[1]["body"]["messages"])
    assert "target" in second and "a * a + b * b + 1" in second   # the gate and the previous change
    atts = r.json()["errors"][0]["attempts"]
    assert [a["status"] for a in atts] == ["failed", "passed"]
    assert atts[0]["gate"] == "target"


def test_garbage_replies_are_failed_attempts_not_crashes(tmp_path, fakes):
    root = make_repo(tmp_path / "shapes", MISSING_IMPORT)
    fake = fakes([{"status": 200, "content": "I think you should refactor everything."},
                  {"status": 200, "content": "```json\n{\"file\": \"shapes.py\"\n```"},
                  {"status": 200, "content": "{\"file\": \"shapes.py\", \"old_str\": \"nope\", \"new_str\": \"x\"}"}])
    r = llm_fix(root, fake)
    assert r.code == 1, r
    atts = r.json()["errors"][0]["attempts"]
    assert len(atts) == 3 and all(a["status"] == "failed" for a in atts)
    assert all(a["gate"] == "apply" for a in atts)


def test_fallback_after_the_primary_fails(tmp_path, fakes):
    root = make_repo(tmp_path / "shapes", MISSING_IMPORT)
    primary = fakes([{"status": 500}] * 10, name="primary")
    good = {"reasoning": "r", "file": "shapes.py", "new_content": FIXED_SHAPES}
    backup = fakes([reply(good)], name="backup")
    r = llm_fix(root, primary, "--fallback-provider", "openai", "--fallback-base-url",
                backup.url + "/v1", "--max-retries", "1")
    assert r.code == 0, r
    assert len(primary.requests()) >= 2
    assert len(backup.requests()) == 1


def test_budget_stops_the_questions(tmp_path, fakes):
    root = make_repo(tmp_path / "shapes", MISSING_IMPORT)
    wrong = {"reasoning": "guess", "file": "shapes.py", "old_str": "a * a + b * b",
             "new_str": "a * a + b * b + 1"}
    fake = fakes([reply(wrong)] * 5)
    r = llm_fix(root, fake, "--max-tokens", "10")
    assert r.code == 1, r
    assert len(fake.requests()) == 1
    assert "budget" in r.stderr


def test_a_reply_that_deletes_an_assert_or_escapes_is_refused(tmp_path, fakes):
    root = make_repo(tmp_path / "shapes", MISSING_IMPORT)
    delete_assert = {"reasoning": "the test is wrong", "file": "tests/test_shapes.py",
                     "old_str": "    assert hypotenuse(3, 4) == 5\n", "new_str": "    hypotenuse\n"}
    escape = {"reasoning": "x", "file": "../outside.py", "new_content": "owned = 1\n"}
    fake = fakes([reply(delete_assert), reply(escape), reply(delete_assert)])
    r = llm_fix(root, fake, "--allow-test-edits")
    assert r.code == 1, r
    atts = r.json()["errors"][0]["attempts"]
    assert [a["gate"] for a in atts] == ["weakening", "apply", "weakening"], atts
    assert not (tmp_path / "outside.py").exists()
    assert "assert hypotenuse(3, 4) == 5" in (root / "tests" / "test_shapes.py").read_text()


# A conftest hook that turns every failure into a pass.
PASSING_HOOK = ("import pytest\n\n\n@pytest.hookimpl(hookwrapper=True)\n"
                "def pytest_runtest_makereport(item, call):\n    outcome = yield\n"
                "    report = outcome.get_result()\n    if report.failed:\n"
                "        report.outcome = 'passed'\n        report.longrepr = None\n")


def test_a_conftest_hook_that_passes_failures_is_never_accepted(tmp_path, fakes):
    root = make_repo(tmp_path / "shapes", MISSING_IMPORT)
    hook = {"reasoning": "the test is noisy", "file": "tests/conftest.py", "new_content": PASSING_HOOK}
    fake = fakes([reply(hook), reply(hook)])
    r = llm_fix(root, fake, "--allow-test-edits", "--max-retries", "1")
    assert r.code == 1, r
    [att] = r.json()["errors"][0]["attempts"]
    assert att["gate"] == "weakening", att
    assert ("the change alters how pytest runs or reports: 'tests/conftest.py' adds the pytest "
            "hook 'pytest_runtest_makereport'") in att["reason"]
    assert "--allow-config-edits" in att["reason"]
    # allowed to edit the configuration, the hook still fools no gate: our plugin sees the raise
    r = llm_fix(root, fake, "--allow-test-edits", "--allow-config-edits", "--max-retries", "1")
    assert r.code == 1, r
    [err] = r.json()["errors"]
    assert err["status"] == "unfixed"
    [att] = err["attempts"]
    assert att["gate"] == "target" and "ReportedPassedButRaised" in att["reason"], att
    assert not (root / "tests" / "conftest.py").exists()
    assert not [b for b in git(root, "branch").split() if b.startswith("fix-")]


def test_a_conftest_path_fix_needs_allow_config_edits(tmp_path, fakes):
    files = {"pytest.ini": "[pytest]\n", "src/shapes.py": FIXED_SHAPES,
             "tests/test_shapes.py": MISSING_IMPORT["tests/test_shapes.py"]}
    root = make_repo(tmp_path / "shapes", files)
    conftest = {"reasoning": "src is not on the path", "file": "tests/conftest.py",
                "new_content": "import os\nimport sys\n\nsys.path.insert(0, os.path.join("
                               "os.path.dirname(__file__), '..', 'src'))\n"}
    fake = fakes([reply(conftest), reply(conftest)])
    r = llm_fix(root, fake, "--allow-test-edits", "--max-retries", "1")
    assert r.code == 1, r
    [att] = r.json()["errors"][0]["attempts"]
    assert att["gate"] == "weakening"
    assert ("'tests/conftest.py' changes 1 statement outside test functions and fixtures "
            "('sys.path.insert(0, os.path.join(") in att["reason"], att
    r = llm_fix(root, fake, "--allow-test-edits", "--allow-config-edits", "--max-retries", "1")
    assert r.code == 0, r
    [err] = r.json()["errors"]
    assert err["status"] == "fixed"
    assert "sys.path.insert" in git(root, "show", err["branch"] + ":tests/conftest.py")
    # the session keeps the option for a resume
    db = sqlite3.connect(str(root / ".pytest-fixer" / "state.db"))
    [(options,)] = db.execute("SELECT options_json FROM sessions WHERE id = ?",
                              (r.json()["session"],)).fetchall()
    db.close()
    assert json.loads(options)["allow_config_edits"] is True


def test_a_plugin_in_pytest_ini_is_refused(tmp_path, fakes):
    root = make_repo(tmp_path / "shapes", MISSING_IMPORT)
    plugin = {"reasoning": "load our helper plugin", "edits": [
        {"file": "pytest.ini", "new_content": "[pytest]\naddopts = -p tests.helper\n"},
        {"file": "shapes.py", "new_content": FIXED_SHAPES}]}
    fake = fakes([reply(plugin)])
    r = llm_fix(root, fake, "--max-retries", "1")
    assert r.code == 1, r
    [att] = r.json()["errors"][0]["attempts"]
    assert att["gate"] == "weakening"
    assert ("'pytest.ini' is pytest's configuration file, which the change edits, adding a "
            "plugin with '-p' in addopts") in att["reason"], att
    assert (root / "pytest.ini").read_text() == "[pytest]\n"
    # reproduce takes the option too
    assert "--allow-config-edits" in run_fixer(["reproduce", "--help"], root).stdout


def test_a_patch_that_also_touches_pytest_ini_is_refused_whole(tmp_path, fakes):
    root = make_repo(tmp_path / "shapes", MISSING_IMPORT)
    patch = ("--- a/shapes.py\n+++ b/shapes.py\n@@ -1,2 +1,5 @@\n+import math\n+\n+\n"
             " def hypotenuse(a, b):\n     return math.sqrt(a * a + b * b)\n"
             "--- a/pytest.ini\n+++ b/pytest.ini\n@@ -1 +1,2 @@\n [pytest]\n+addopts = -p no:warnings\n")
    both = {"reasoning": "math is not imported", "file": "shapes.py", "patch": patch}
    fake = fakes([reply(both)])
    r = llm_fix(root, fake, "--max-retries", "1")
    assert r.code == 1, r
    [err] = r.json()["errors"]
    assert err["status"] == "unfixed"
    [att] = err["attempts"]
    # the right half is not applied on its own: the change is refused with a reason
    assert att["gate"] == "weakening" and "'pytest.ini'" in att["reason"], att
    assert "shapes.py" in att["diff"] and "pytest.ini" in att["diff"]
    assert not [b for b in git(root, "branch").split() if b.startswith("fix-")]


def test_transcript_record_replay_and_the_key_stays_secret(tmp_path, fakes):
    root = make_repo(tmp_path / "shapes", MISSING_IMPORT)
    good = {"reasoning": "math is not imported", "file": "shapes.py", "new_content": FIXED_SHAPES}
    fake = fakes([reply(good)])
    cassette = tmp_path / "session.cassette"
    r = llm_fix(root, fake, "--record", str(cassette), "--price-in", "3", "--price-out", "15")
    assert r.code == 0, r
    sid = r.json()["session"]
    rep = run_fixer(["report", sid], root)
    assert "LLM tokens:** 12 prompt" in rep.stdout and "Estimated cost:** $0.0005" in rep.stdout, rep.stdout
    # the key went to the server, and nowhere else
    assert fake.requests()[0]["headers"].get("Authorization") == "Bearer " + KEY
    t = run_fixer(["show", sid, "--transcript"], root)
    assert t.code == 0 and "math is not imported" in t.stdout, t
    for text in (r.stdout, r.stderr, t.stdout, rep.stdout, cassette.read_text()):
        assert KEY not in text
    for p in (root / ".pytest-fixer").rglob("*"):
        if p.is_file():
            assert KEY.encode() not in p.read_bytes(), p
    # the recorded session plays back without any server
    root2 = make_repo(tmp_path / "again", MISSING_IMPORT)
    r2 = run_fixer(["fix", "--json", "--non-interactive", "--engine", "llm", "--provider", "replay",
                    "--cassette", str(cassette), "-j", "1"], root2, env=ENV)
    assert r2.code == 0, r2
    assert r2.json()["errors"][0]["status"] == "fixed"


def test_auto_uses_builtin_first_and_the_llm_only_when_needed(tmp_path, fakes):
    files = dict(MISSING_IMPORT)
    files["calc.py"] = "def clamp(x, lo, hi):\n    return max(lo, max(x, hi))\n"
    files["tests/test_calc.py"] = ("from calc import clamp\n\n\n"
                                   "def test_clamp():\n    assert clamp(15, 0, 10) == 10\n")
    root = make_repo(tmp_path / "both", files)
    good = {"reasoning": "math is not imported", "file": "shapes.py", "new_content": FIXED_SHAPES}
    fake = fakes([reply(good)])
    r = run_fixer(["fix", "--json", "--non-interactive", "--base-url", fake.url + "/v1",
                   "--api-key", KEY, "-j", "1"], root, env=ENV)
    assert r.code == 0, r
    errs = {e["id"]: e for e in r.json()["errors"]}
    assert {a["engine"] for a in errs["tests/test_calc.py::test_clamp"]["attempts"]} == {"builtin"}
    assert "llm" in {a["engine"] for a in errs["tests/test_shapes.py::test_hypotenuse"]["attempts"]}
    assert len(fake.requests()) == 1


# A missing statement: the list is never appended to.
MISSING_STATEMENT = {
    "pytest.ini": "[pytest]\n",
    "bag.py": ("class Bag:\n    def __init__(self):\n        self.items = []\n\n"
               "    def add(self, item):\n        \"\"\"Put item in the bag.\"\"\"\n        return self\n\n"
               "    def __len__(self):\n        return len(self.items)\n"),
    "tests/test_bag.py": ("from bag import Bag\n\n\n"
                          "def test_add_puts_the_item_in():\n    assert len(Bag().add(1).add(2)) == 2\n"),
}


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_a_missing_statement_through_a_streamed_reply(tmp_path, fakes, provider):
    root = make_repo(tmp_path / "bag", MISSING_STATEMENT)
    answer = {"reasoning": "add() never stores the item", "file": "bag.py",
              "old_str": "        return self\n",
              "new_str": "        self.items.append(item)\n        return self\n"}
    fake = fakes([reply(answer)])
    base = fake.url + ("/v1" if provider == "openai" else "")
    r = run_fixer(["fix", "--json", "--non-interactive", "--provider", provider, "--base-url", base,
                   "--model", "test-model", "--api-key", KEY, "--stream", "-j", "1"], root, env=ENV)
    assert r.code == 0, r
    [err] = r.json()["errors"]
    assert err["status"] == "fixed"
    assert "llm" in {a["engine"] for a in err["attempts"]}
    req = fake.requests()[0]
    assert req["body"].get("stream") is True
    if provider == "anthropic":
        assert req["headers"].get("x-api-key") == KEY
    assert "self.items.append(item)" in git(root, "show", err["branch"] + ":bag.py")
