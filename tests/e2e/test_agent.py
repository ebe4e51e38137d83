"""`--engine command --agent-cmd CMD`: any coding agent's CLI proposes, the gates prove.

The agents are small Python scripts written here: they read the failure as
JSON from stdin and edit the files of their working directory (a private copy
of the project), logging what they saw to a directory of the test's.
"""
import json
import os
import time
from pathlib import Path

import pytest

from conftest import SYSTEM_PYTEST, run_fixer
from test_fix import CALC, git, make_repo, snapshot
from test_reproduce import CALC_CI_LOG, write_info

ENV = {"PYTEST_FIXER_PYTEST": SYSTEM_PYTEST}
KEY = "sk-AGENTTESTKEY-0123456789abcdef"
TOKEN = "ghp_agentTESTtoken0123456789abcdef0123"

PROJECT = {
    "pytest.ini": "[pytest]\n",
    "calc.py": "def add(a, b):\n    return a - b\n",
    "tests/test_calc.py": ("from calc import add\n\n\n"
                           "def test_add():\n    assert add(2, 3) == 5\n\n\n"
                           "def test_add_zero():\n    assert add(0, 0) == 0\n"),
}
TARGET = "tests/test_calc.py::test_add"

# A conftest hook that turns every failure into a pass.
PASSING_HOOK = ("import pytest\n\n\n@pytest.hookimpl(hookwrapper=True)\n"
                "def pytest_runtest_makereport(item, call):\n    outcome = yield\n"
                "    report = outcome.get_result()\n    if report.failed:\n"
                "        report.outcome = 'passed'\n        report.longrepr = None\n")

AGENT = r'''
import json, os, subprocess, sys, time

mode, log = sys.argv[1], sys.argv[2]
failure = json.load(sys.stdin)
calls = sorted(p for p in os.listdir(log) if p.startswith("call-"))
n = len(calls) + 1
with open(os.environ["PYTEST_FIXER_FAILURE_JSON"]) as f:
    from_file = json.load(f)
with open(os.path.join(log, "call-%d.json" % n), "w") as f:
    json.dump({"stdin": failure, "file": from_file, "env": dict(os.environ),
               "cwd": os.getcwd()}, f)


def edit(path, old, new):
    with open(path) as f:
        text = f.read()
    assert old in text, (path, old)
    with open(path, "w") as f:
        f.write(text.replace(old, new))


def fix():
    edit("calc.py", "a - b", "a + b")


if mode == "fix":
    fix()
elif mode == "delete":
    os.remove(sys.argv[3])
elif mode == "fix-clamp":
    edit("calc.py", "max(x, hi)", "min(x, hi)")
elif mode == "wrong":
    edit("calc.py", "return a - b", "return 5")
elif mode == "weaken-test":
    edit("tests/test_calc.py", "assert add(2, 3) == 5", "assert True")
elif mode == "conftest":
    with open("tests/conftest.py", "w") as f:
        f.write(sys.argv[3])
elif mode == "dotdot":
    with open("../escaped.py", "w") as f:
        f.write("owned = 1\n")
elif mode == "absolute":
    with open(os.path.abspath(os.path.join(os.getcwd(), "..", "..", "escaped.py")), "w") as f:
        f.write("owned = 1\n")
elif mode == "symlink":
    outside = sys.argv[3]
    with open(outside, "w") as f:
        f.write("def add(a, b):\n    return a + b\n")
    os.remove("calc.py")
    os.symlink(outside, "calc.py")
elif mode == "exit":
    print("working on it")
    print("I give up: the bug is too hard", file=sys.stderr)
    sys.exit(1)
elif mode == "hang-then-fix":
    if n == 1:
        # a child that keeps the output pipe open too: the whole group must go
        subprocess.Popen(["sleep", "300"])
        time.sleep(300)
    fix()
elif mode == "wrong-then-fix":
    if n == 1:
        edit("calc.py", "return a - b", "return 5")
    else:
        fix()
'''


@pytest.fixture
def agent(tmp_path):
    """The agent's command line for a mode, and its log directory."""
    script = tmp_path / "agent.py"
    script.write_text(AGENT)
    log = tmp_path / "agent-log"
    log.mkdir()

    def command(mode, *extra):
        words = ["/usr/bin/python3", str(script), mode, str(log)] + [str(e) for e in extra]
        return " ".join("'%s'" % w.replace("'", "'\\''") for w in words)
    command.calls = lambda: [json.loads(p.read_text())
                             for p in sorted(log.glob("call-*.json"), key=lambda p: int(p.stem[5:]))]
    return command


def agent_fix(root, cmd, *extra, env=None, tmp=None):
    env = dict(ENV, **(env or {}))
    if tmp:
        env["TMPDIR"] = str(tmp)
    return run_fixer(["fix", "--json", "--non-interactive", "--engine", "command",
                      "--agent-cmd", cmd, "-j", "1"] + list(extra), root, env=env)


def the_error(r):
    [err] = r.json()["errors"]
    assert err["id"] == TARGET
    return err


def test_an_agent_that_fixes_the_bug(tmp_path, agent):
    root = make_repo(tmp_path / "calc", PROJECT)
    before = snapshot(root)
    r = agent_fix(root, agent("fix"), env={"OPENAI_API_KEY": KEY, "GITHUB_TOKEN": TOKEN})
    assert r.code == 0, r
    err = the_error(r)
    assert err["status"] == "fixed"
    assert err["branch"] == "fix-test_calc-test_add"
    assert "return a + b" in git(root, "show", err["branch"] + ":calc.py")
    assert git(root, "diff", "--name-only", "main", err["branch"]).split() == ["calc.py"]
    [att] = err["attempts"]
    assert att["engine"] == "command" and att["method"] == "rewrite" and att["status"] == "passed"
    assert "+    return a + b" in att["diff"]
    # the user's checkout is untouched: the agent ran in a copy elsewhere
    assert snapshot(root) == before
    [call] = agent.calls()
    assert not call["cwd"].startswith(str(root))
    # the failure on stdin, in the file, in variables; no secret in its environment
    seen = call["stdin"]
    assert seen == call["file"]
    assert seen["id"] == TARGET and seen["file"] == "tests/test_calc.py" and seen["test"] == "test_add"
    assert seen["kind"] == "failure" and seen["error_type"] == "AssertionError"
    assert "assert -1 == 5" in seen["message"] and "traceback" in seen and "frames" in seen
    assert seen["feedback"] is None and seen["description"] is None
    env = call["env"]
    assert env["PYTEST_FIXER_FAILURE_ID"] == TARGET
    assert env["PYTEST_FIXER_FAILURE_FILE"] == "tests/test_calc.py"
    assert env["PYTEST_FIXER_FAILURE_ERROR_TYPE"] == "AssertionError"
    assert "assert -1 == 5" in env["PYTEST_FIXER_FAILURE_MESSAGE"]
    assert "OPENAI_API_KEY" not in env and "GITHUB_TOKEN" not in env
    assert KEY not in json.dumps(env) and TOKEN not in json.dumps(env)
    # the report and the transcript say which engine and what the agent said
    sid = r.json()["session"]
    rep = run_fixer(["report", sid], root)
    assert "| 1 | command | rewrite | command | passed |" in rep.stdout, rep.stdout
    t = run_fixer(["show", sid, "--transcript"], root)
    assert t.code == 0 and "command" in t.stdout and TARGET in t.stdout, t


def test_an_agent_that_deletes_a_file(tmp_path, agent):
    files = {
        "pytest.ini": "[pytest]\n",
        "legacy.py": "OLD = True\n",
        "tests/test_layout.py": ("import importlib.util\n\n\n"
                                 "def test_no_legacy_module():\n"
                                 "    assert importlib.util.find_spec('legacy') is None\n"),
    }
    root = make_repo(tmp_path / "layout", files)
    before = snapshot(root)
    r = agent_fix(root, agent("delete", "legacy.py"))
    assert r.code == 0, r
    [err] = r.json()["errors"]
    assert err["status"] == "fixed", err
    assert git(root, "diff", "--name-status", "main", err["branch"]).split() == ["D", "legacy.py"]
    assert "-OLD = True" in err["attempts"][0]["diff"]
    assert snapshot(root) == before
    # --apply takes the deletion into the working tree too
    r = agent_fix(root, agent("delete", "legacy.py"), "--apply")
    assert r.code == 0, r
    assert not (root / "legacy.py").exists()
    assert git(root, "status", "--porcelain").split() == ["D", "legacy.py"]


def test_a_wrong_change_is_rejected_by_the_gates(tmp_path, agent):
    root = make_repo(tmp_path / "calc", PROJECT)
    before = snapshot(root)
    r = agent_fix(root, agent("wrong"), "--max-retries", "2")
    assert r.code == 1, r
    err = the_error(r)
    assert err["status"] == "unfixed" and not err.get("branch")
    # return 5 makes test_add pass and breaks test_add_zero
    assert [(a["gate"], a["status"]) for a in err["attempts"]] == [("regression", "failed")] * 2
    assert "test_add_zero" in err["attempts"][0]["reason"]
    assert snapshot(root) == before
    assert "fix-test_calc-test_add" not in git(root, "branch")


@pytest.mark.parametrize("mode", ["weaken-test", "conftest", "delete"])
def test_an_agent_that_edits_the_tests_or_conftest_is_refused(tmp_path, agent, mode):
    root = make_repo(tmp_path / "calc", PROJECT)
    before = snapshot(root)
    extra = ["--allow-test-edits"] if mode != "weaken-test" else []
    arg = "tests/test_calc.py" if mode == "delete" else PASSING_HOOK
    r = agent_fix(root, agent(mode, arg), "--max-retries", "1", *extra)
    assert r.code == 1, r
    [att] = the_error(r)["attempts"]
    assert att["gate"] == "weakening", att
    assert ("conftest.py" if mode == "conftest" else "test_calc.py") in att["reason"], att
    assert snapshot(root) == before


@pytest.mark.parametrize("mode,why", [
    ("dotdot", "the agent changed nothing"),
    ("absolute", "the agent changed nothing"),
    ("symlink", "the agent's change is refused: 'calc.py' is a new symlink"),
])
def test_an_agent_that_writes_outside_the_project_is_refused(tmp_path, agent, mode, why):
    root = make_repo(tmp_path / "calc", PROJECT)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    outside = tmp_path / "outside" / "calc_fixed.py"
    outside.parent.mkdir()
    before = snapshot(root)
    r = agent_fix(root, agent(mode, outside), "--max-retries", "1", tmp=tmp)
    assert r.code == 1, r
    [att] = the_error(r)["attempts"]
    assert att["gate"] == "apply" and att["reason"].startswith(why), att
    assert why in r.stderr
    # nothing next to the project, nothing left where the agent ran, the checkout as it was
    assert sorted(p.name for p in tmp_path.iterdir()) == ["agent-log", "agent.py", "calc",
                                                           "outside", "tmp"]
    assert not list(tmp.iterdir())
    assert snapshot(root) == before
    if mode == "symlink":
        assert outside.read_text() == "def add(a, b):\n    return a + b\n"


def test_a_hanging_agent_is_killed_at_the_timeout_and_the_run_goes_on(tmp_path, agent):
    root = make_repo(tmp_path / "calc", PROJECT)
    started = time.monotonic()
    r = agent_fix(root, agent("hang-then-fix"), "--agent-timeout", "2", "--max-retries", "2")
    assert time.monotonic() - started < 120
    assert r.code == 0, r
    err = the_error(r)
    assert [a["status"] for a in err["attempts"]] == ["failed", "passed"]
    why = err["attempts"][0]["reason"]
    assert why.startswith("the agent timed out after "), why
    assert 2 <= float(why.split()[-2]) < 10, why
    assert err["status"] == "fixed"


def test_an_agent_exiting_1_shows_why(tmp_path, agent):
    root = make_repo(tmp_path / "calc", PROJECT)
    r = agent_fix(root, agent("exit"), "--max-retries", "1")
    assert r.code == 1, r
    why = "the agent exited with 1: I give up: the bug is too hard"
    [att] = the_error(r)["attempts"]
    assert att["reason"] == why
    assert why in r.stderr
    sid = r.json()["session"]
    assert why in run_fixer(["report", sid], root).stdout
    # the text summary too
    r = run_fixer(["fix", "--non-interactive", "--engine", "command", "--agent-cmd",
                   agent("exit"), "--max-retries", "1", "-j", "1"], root, env=ENV)
    assert r.code == 1 and why in r.stderr, r


def test_a_retry_gets_the_feedback(tmp_path, agent):
    root = make_repo(tmp_path / "calc", PROJECT)
    r = agent_fix(root, agent("wrong-then-fix"), "--max-retries", "3")
    assert r.code == 0, r
    err = the_error(r)
    assert [a["status"] for a in err["attempts"]] == ["failed", "passed"]
    first, second = agent.calls()
    assert first["stdin"]["feedback"] is None
    feedback = second["stdin"]["feedback"]
    assert feedback.startswith("The change failed the 'regression' gate") and "test_add_zero" in feedback
    assert "return 5" in second["stdin"]["previous_change"]
    assert second["env"]["PYTEST_FIXER_FAILURE_FEEDBACK"] == feedback


def test_options_are_checked(tmp_path, agent):
    root = make_repo(tmp_path / "calc", PROJECT)
    r = run_fixer(["fix", "--engine", "command"], root, env=ENV)
    assert r.code == 2 and "--engine command needs --agent-cmd" in r.stderr, r
    for engine in ([], ["--engine", "builtin"]):
        r = run_fixer(["fix", "--agent-cmd", "true"] + engine, root, env=ENV)
        assert r.code == 2 and "--agent-cmd needs --engine command" in r.stderr, r
    r = run_fixer(["fix", "--engine", "command", "--agent-cmd", "true", "--agent-timeout", "0"],
                  root, env=ENV)
    assert r.code == 2 and "--agent-timeout must be between 1 and" in r.stderr, r
    info = root / "info.json"
    info.write_text("{}")
    r = run_fixer(["reproduce", str(info), "--engine", "command"], root, env=ENV)
    assert r.code == 2 and "--engine command needs --agent-cmd" in r.stderr, r


def test_reproduce_fixes_a_ci_failure_with_an_agent(tmp_path, agent):
    root = make_repo(tmp_path / "calc", CALC)
    info = write_info(tmp_path / "info.json", deterministic=True,
                      prompt="clamp returns the upper bound for values inside the range",
                      **{"raw-logs": CALC_CI_LOG})
    r = run_fixer(["reproduce", str(info), "--json", "--engine", "command", "--agent-cmd",
                   agent("fix-clamp")], root, env=ENV)
    assert r.code == 0, r
    out = r.json()
    assert out["status"] == "success" and out["fixed"] == 1, out
    assert "max(lo, min(x, hi))" in git(root, "show", out["branch"] + ":calc.py")
    [call] = agent.calls()
    assert call["stdin"]["id"] == "tests/test_calc.py::test_clamp_inside"
    assert call["stdin"]["description"] == "clamp returns the upper bound for values inside the range"
    assert call["env"]["PYTEST_FIXER_FAILURE_DESCRIPTION"] == call["stdin"]["description"]
