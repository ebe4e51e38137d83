"""`pytest-fixer reproduce info.json`: CI failures reproduced, fixed on a branch
from main, proposed as draft pull requests, reported in outputs/.

GitHub is the loopback fake tests/fakes/fake_github.py; the push remote is a
local bare repository; pytest, git and the fix loop are real.
"""
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import PROJECTS, SYSTEM_PYTEST, LoopbackFake, binary, run_fixer
from test_fix import CALC, git, make_repo, snapshot

FIXTURES = PROJECTS.parent
FAKE_GITHUB = FIXTURES.parent / "fakes" / "fake_github.py"
ENV = {"PYTEST_FIXER_PYTEST": SYSTEM_PYTEST, "PYTEST_FIXER_GITHUB_MAX_WAIT_MS": "3000"}
TOKEN = "ghp_e2eSECRETtoken0123456789abcdef0123"

# CALC (from test_fix): main has the bug clamp() -> max(lo, max(x, hi)); CI failed on main


def actions_log(lines, start="2024-05-01T12:34:10"):
    """A job log as GitHub serves it: BOM, timestamps, groups, colour."""
    out = ["\ufeff%s.0000000Z ##[group]Run pytest -rfE" % start,
           "%s.1000000Z \x1b[36;1mpytest -rfE\x1b[0m" % start,
           "%s.2000000Z ##[endgroup]" % start]
    for i, line in enumerate(lines):
        out.append("%s.%07dZ %s" % (start, 3000000 + i, line))
    out.append("%s.9000000Z ##[error]Process completed with exit code 1." % start)
    return "\n".join(out) + "\n"


CALC_CI_LOG = actions_log([
    "\x1b[1m============================= test session starts ==============================\x1b[0m",
    "platform linux -- Python 3.11.9, pytest-8.2.0, pluggy-1.5.0",
    "rootdir: /home/runner/work/calc/calc",
    "collected 3 items",
    "",
    "tests/test_calc.py \x1b[32m.\x1b[0m\x1b[31mF\x1b[0m\x1b[31mF\x1b[0m   [100%]",
    "",
    "=================================== FAILURES ===================================",
    "\x1b[31m\x1b[1m______________________________ test_clamp_inside _______________________________\x1b[0m",
    "",
    "    def test_clamp_inside():",
    ">       assert clamp(5, 0, 10) == 5",
    "E       assert 10 == 5",
    "",
    "tests/test_calc.py:9: AssertionError",
    "=========================== short test summary info ============================",
    "FAILED tests/test_calc.py::test_clamp_inside - assert 10 == 5",
    "\x1b[31m========================= \x1b[31m\x1b[1m1 failed\x1b[0m, \x1b[32m2 passed\x1b[0m\x1b[31m in 0.05s\x1b[0m\x1b[31m =========================\x1b[0m",
])


def write_info(path, **fields):
    path.write_text(json.dumps(fields))
    return path


def reports(root):
    return sorted((root / "outputs").glob("*.md"))


def user_view(root):
    """snapshot() without outputs/, the one place reproduce writes to."""
    snap = snapshot(root)
    snap["files"] = {k: v for k, v in snap["files"].items() if not k.startswith("outputs/")}
    snap["status"] = "\n".join(l for l in snap["status"].splitlines() if "outputs/" not in l)
    return snap


@pytest.fixture
def calc_repo(tmp_path):
    root = make_repo(tmp_path / "calc", CALC)
    # the user works on a branch of their own: reproduce must fix from main
    git(root, "checkout", "-q", "-b", "feature")
    (root / "notes.txt").write_text("work in progress\n")
    return root


class FakeGitHub(LoopbackFake):
    def __init__(self, tmp_path, script):
        log = tmp_path / "github-requests.jsonl"
        path = tmp_path / "github-script.json"
        path.write_text(json.dumps(dict(script, log=str(log), token=TOKEN)))
        super().__init__([sys.executable, str(FAKE_GITHUB), str(path), "300"], log)


@pytest.fixture
def github(tmp_path):
    fakes = []

    def start(script):
        fake = FakeGitHub(tmp_path, script)
        fakes.append(fake)
        return fake
    yield start
    for f in fakes:
        f.stop()


# ---- deterministic failures --------------------------------------------------------------

def test_raw_logs_deterministic_fixed_on_a_branch_from_main(calc_repo):
    info = write_info(calc_repo / "info.json", deterministic=True,
                      prompt="clamp returns the upper bound for values inside the range",
                      **{"raw-logs": CALC_CI_LOG})
    before = user_view(calc_repo)
    r = run_fixer(["reproduce", str(info), "--json"], calc_repo, env=ENV)
    assert r.code == 0, r
    out = r.json()
    assert out["status"] == "success" and out["reproduced"] == 1 and out["fixed"] == 1, out
    branch = out["branch"]
    assert branch.startswith("fix-ci-clamp-returns-the-upper-bound")
    # the branch is made from main, one commit, touching only the code
    assert git(calc_repo, "merge-base", branch, "main").strip() == \
        git(calc_repo, "rev-parse", "main").strip()
    assert git(calc_repo, "rev-list", "--count", "main.." + branch).strip() == "1"
    assert git(calc_repo, "diff", "--name-only", "main", branch).split() == ["calc.py"]
    fixed = git(calc_repo, "show", branch + ":calc.py")
    # the user's checkout, branch and index are as they were (outputs/ aside)
    assert user_view(calc_repo) == before
    assert "min(x, hi)" in fixed or "min(" in fixed
    # the report: the seed's sections, the minimal command, the verification
    md = Path(out["report"])
    assert md.parent == calc_repo / "outputs"
    assert re.match(r"\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d_clamp-returns-the-upper-bound", md.name)
    text = md.read_text()
    for section in ("## Summary", "## Input configuration", "## Reproduction", "## Root cause",
                    "## Fix", "## Pull request", "## Next steps", "## Relevant developers"):
        assert section in text, section
    assert "Success" in text
    assert "tests/test_calc.py::test_clamp_inside" in text
    assert "Fails when run alone" in text
    assert "-p no:cacheprovider tests/test_calc.py::test_clamp_inside" in text
    assert "5 times in a row" in text
    assert "Test User <test@example.com>" in text
    # the cleaned log beside it: no timestamps, no colour, no BOM
    log = Path(out["log"]).read_text()
    assert "FAILED tests/test_calc.py::test_clamp_inside" in log
    assert "\x1b[" not in log and "2024-05-01T" not in log and "\ufeff" not in log


def test_ci_paths_from_another_checkout_layout_are_found(calc_repo):
    # CI ran from a parent directory: "calc/tests/test_calc.py::..."
    log = CALC_CI_LOG.replace("FAILED tests/test_calc.py", "FAILED calc/tests/test_calc.py")
    info = write_info(calc_repo / "info.json", deterministic=True, prompt="clamp",
                      **{"raw-logs": log})
    r = run_fixer(["reproduce", str(info), "--json", "--no-fix"], calc_repo, env=ENV)
    assert r.code == 0, r
    assert r.json()["reproduced"] == 1
    text = Path(r.json()["report"]).read_text()
    assert "`calc/tests/test_calc.py::test_clamp_inside`" in text
    assert "Not attempted (`--no-fix`)" in text


JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="0" failures="1" skipped="0" tests="3" time="0.05">
<testcase classname="tests.test_calc" name="test_add" time="0.001" />
<testcase classname="tests.test_calc" name="test_clamp_inside" time="0.001">
<failure message="assert 10 == 5">def test_clamp_inside():
&gt;       assert clamp(5, 0, 10) == 5
E       assert 10 == 5

tests/test_calc.py:9: AssertionError</failure></testcase>
<testcase classname="tests.test_calc" name="test_clamp_above" time="0.001" />
</testsuite></testsuites>
"""


def test_junit_report_uploaded_by_the_job(calc_repo):
    (calc_repo / "ci-junit.xml").write_text(JUNIT)
    info = write_info(calc_repo / "info.json", deterministic=True, prompt="clamp from junit",
                      **{"raw-logs": "ci-junit.xml"})
    r = run_fixer(["reproduce", str(info), "--json", "--no-fix"], calc_repo, env=ENV)
    assert r.code == 0, r
    assert r.json()["in_log"] == 1 and r.json()["reproduced"] == 1
    assert "tests/test_calc.py::test_clamp_inside" in Path(r.json()["report"]).read_text()


def test_malformed_junit_report(calc_repo):
    (calc_repo / "ci-junit.xml").write_text(JUNIT[:200])
    info = write_info(calc_repo / "info.json", deterministic=True, prompt="clamp from junit",
                      **{"raw-logs": "ci-junit.xml"})
    r = run_fixer(["reproduce", str(info)], calc_repo, env=ENV)
    assert r.code == 2, r
    assert "ci-junit.xml" in r.stderr and "cannot parse" in r.stderr, r.stderr


def test_a_failure_that_passes_here_is_reported_not_fixed(tmp_path):
    root = make_repo(tmp_path / "ok", dict(CALC, **{
        "calc.py": "def add(a, b):\n    return a + b\n\n\ndef clamp(x, lo, hi):\n"
                   "    return max(lo, min(x, hi))\n"}))
    info = write_info(root / "info.json", deterministic=True, prompt="clamp broke in CI",
                      **{"raw-logs": CALC_CI_LOG})
    r = run_fixer(["reproduce", str(info), "--json"], root, env=ENV)
    assert r.code == 1, r
    out = r.json()
    assert out["status"] == "failed" and out["reproduced"] == 0 and out["branch"] is None
    text = Path(out["report"]).read_text()
    assert "passed here" in text and "compare the CI environment" in text


def test_existing_test_path_on_a_dev_branch_is_not_in_the_fix(calc_repo):
    # seed 002's branching: the reproduction test lives on the dev branch only
    (calc_repo / "tests" / "test_repro_clamp.py").write_text(
        "from calc import clamp\n\n\ndef test_repro():\n    assert clamp(1, 0, 3) == 1\n")
    git(calc_repo, "add", "tests/test_repro_clamp.py")
    git(calc_repo, "commit", "-q", "-m", "reproduction test")
    info = write_info(calc_repo / "info.json", deterministic=True, prompt="clamp is wrong",
                      **{"existing-test-path": "tests/test_repro_clamp.py"})
    r = run_fixer(["reproduce", str(info), "--json"], calc_repo, env=ENV)
    assert r.code == 0, r
    out = r.json()
    assert out["reproduced"] == 1 and out["fixed"] == 1, out
    branch = out["branch"]
    files = git(calc_repo, "ls-tree", "-r", "--name-only", branch).split()
    assert "tests/test_repro_clamp.py" not in files
    assert git(calc_repo, "diff", "--name-only", "main", branch).split() == ["calc.py"]
    assert "which the base branch does not have" in Path(out["report"]).read_text()


# ---- bad input ---------------------------------------------------------------------------

@pytest.mark.parametrize("fields, message", [
    ({"deterministic": True}, "missing required key 'prompt'"),
    ({"prompt": "x", "raw-logs": "FAILED a.py::t"}, "missing required key 'deterministic'"),
    ({"prompt": "x", "deterministic": True}, "give 'existing-test-path', or one of"),
    ({"prompt": "x", "deterministic": True, "raw-logs": "log",
      "url": "https://github.com/o/r/actions/runs/1"}, "give only one"),
    ({"prompt": "x", "deterministic": "yes", "raw-logs": "log"}, "must be true or false"),
    ({"prompt": "x", "deterministic": True, "url": "https://gitlab.com/o/r/-/jobs/1"},
     "GitHub Actions"),
])
def test_info_json_rules(calc_repo, fields, message):
    info = write_info(calc_repo / "info.json", **fields)
    r = run_fixer(["reproduce", str(info)], calc_repo, env=ENV)
    assert r.code == 2, r
    assert message in r.stderr, r.stderr


def test_malformed_info_json_names_the_place(calc_repo):
    (calc_repo / "info.json").write_text('{"prompt": "x", "deterministic": tru}')
    r = run_fixer(["reproduce", "info.json"], calc_repo, env=ENV)
    assert r.code == 2, r
    assert "info.json" in r.stderr and "line 1" in r.stderr, r.stderr


def test_a_log_without_a_recognisable_failure(calc_repo):
    info = write_info(calc_repo / "info.json", deterministic=True, prompt="build broke",
                      **{"raw-logs": actions_log(["npm ERR! missing script: build"])})
    r = run_fixer(["reproduce", str(info)], calc_repo, env=ENV)
    assert r.code == 2, r
    assert "no failing test found in the log" in r.stderr, r.stderr
    [md] = reports(calc_repo)
    text = md.read_text()
    assert "Failed" in text and "no failing test found" in text


# ---- GitHub: logs by URL, push, draft pull request ------------------------------------------

def bare_remote(tmp_path, root):
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    git(root, "remote", "add", "origin", str(remote))
    git(root, "push", "-q", "origin", "main")
    return remote


def test_job_url_fetched_fixed_pushed_and_draft_pr(tmp_path, calc_repo, github):
    remote = bare_remote(tmp_path, calc_repo)
    gh = github({"auth_required": True,
                 "logs": {"4242": CALC_CI_LOG},
                 "pulls": {"next_number": 17}})
    # a long prompt whose 80th byte falls inside a character: the title is cut between them
    prompt = "clamp fails on the 3.11 job \u2014 r\u00e9sum\u00e9 " + "\u00e9t\u00e9 " * 20
    info = write_info(calc_repo / "info.json", deterministic=True, prompt=prompt,
                      url="https://github.com/acme/calc/actions/runs/99/job/4242")
    r = run_fixer(["reproduce", str(info), "--pr", "--json"], calc_repo,
                  env=dict(ENV, GITHUB_API_URL=gh.url, GITHUB_TOKEN=TOKEN))
    assert r.code == 0, r
    out = r.json()
    assert out["status"] == "success", out
    assert out["pull_request"].endswith("/acme/calc/pull/17"), out
    branch = out["branch"]
    # the branch is on the remote, with the fix commit
    pushed = subprocess.run(["git", "--git-dir", str(remote), "rev-parse", branch],
                            capture_output=True, text=True)
    assert pushed.returncode == 0
    assert pushed.stdout.strip() == git(calc_repo, "rev-parse", branch).strip()
    reqs = gh.requests()
    api = [q for q in reqs if q["server"] == "api"]
    assert any(q["path"] == "/repos/acme/calc/actions/jobs/4242/logs" for q in api)
    assert all(q["auth"] == "expected" for q in api)
    [pull] = [q for q in api if q["method"] == "POST"]
    assert pull["path"] == "/repos/acme/calc/pulls"
    body = pull["body"]
    assert body["draft"] is True and body["head"] == branch and body["base"] == "main"
    for part in ("## Summary", "## Root cause", "## Fix", "## Verification"):
        assert part in body["body"], part
    assert "test_clamp_inside" in body["title"]
    assert body["title"].endswith("...") and "\ufffd" not in body["title"]
    # the token is nowhere: output, report, log, database
    assert TOKEN not in r.stdout + r.stderr
    for p in list((calc_repo / "outputs").iterdir()) + list((calc_repo / ".pytest-fixer").rglob("*")):
        if p.is_file():
            assert TOKEN.encode() not in p.read_bytes(), p
    assert "Draft pull request #17" in Path(out["report"]).read_text()


def test_run_url_reads_the_failed_jobs(tmp_path, calc_repo, github):
    gh = github({"runs": {"99": {"jobs": [
                     {"id": 1, "name": "lint", "conclusion": "success"},
                     {"id": 2, "name": "test (3.11)", "conclusion": "failure"},
                     {"id": 3, "name": "test (3.12)", "conclusion": "failure"}]}},
                 "logs": {"2": CALC_CI_LOG, "3": CALC_CI_LOG}})
    info = write_info(calc_repo / "info.json", deterministic=True, prompt="clamp on the matrix",
                      url="https://github.com/acme/calc/actions/runs/99")
    r = run_fixer(["reproduce", str(info), "--json", "--no-fix"], calc_repo,
                  env=dict(ENV, GITHUB_API_URL=gh.url))
    assert r.code == 0, r
    assert r.json()["in_log"] == 1   # the same test in two jobs is one failure
    paths = [q["path"] for q in gh.requests() if q["server"] == "api"]
    assert "/repos/acme/calc/actions/jobs/1/logs" not in paths
    assert "/repos/acme/calc/actions/jobs/2/logs" in paths
    text = Path(r.json()["report"]).read_text()
    assert "`test (3.11)`" in text and "`test (3.12)`" in text


@pytest.mark.parametrize("fault, code, message", [
    ({"status": 404}, 2, "not found"),
    ({"status": 401}, 2, "GITHUB_TOKEN"),
    ({"status": 429, "times": -1, "retry_after": 1}, 3, "rate limit"),
])
def test_github_errors(calc_repo, github, fault, code, message):
    gh = github({"logs": {"4242": CALC_CI_LOG},
                 "faults": [dict(fault, path="/repos/acme/calc/actions/jobs/4242/logs")]})
    info = write_info(calc_repo / "info.json", deterministic=True, prompt="clamp",
                      url="https://github.com/acme/calc/actions/runs/99/job/4242")
    r = run_fixer(["reproduce", str(info)], calc_repo,
                  env=dict(ENV, GITHUB_API_URL=gh.url, GITHUB_TOKEN=TOKEN))
    assert r.code == code, r
    assert message in r.stderr.lower() or message in r.stderr, r.stderr
    assert TOKEN not in r.stderr
    [md] = reports(calc_repo)
    assert "could not be fetched" in md.read_text()


def test_a_rate_limit_that_clears_is_waited_for(calc_repo, github):
    gh = github({"logs": {"4242": CALC_CI_LOG},
                 "faults": [{"path": "/repos/acme/calc/actions/jobs/4242/logs",
                             "status": 429, "retry_after": 1}]})
    info = write_info(calc_repo / "info.json", deterministic=True, prompt="clamp",
                      url="https://github.com/acme/calc/actions/runs/99/job/4242")
    r = run_fixer(["reproduce", str(info), "--no-fix", "--json"], calc_repo,
                  env=dict(ENV, GITHUB_API_URL=gh.url))
    assert r.code == 0, r
    hits = [q for q in gh.requests() if q["path"].endswith("/4242/logs")]
    assert len(hits) == 2


# ---- intermittent failures ---------------------------------------------------------------

def flaky_repo(tmp_path, name):
    src = FIXTURES / "flaky" / name
    files = {str(p.relative_to(src)): p.read_text() for p in src.rglob("*")
             if p.is_file() and "__pycache__" not in p.parts}
    return make_repo(tmp_path / name, files)


def test_intermittent_failure_rate_measured(tmp_path):
    root = flaky_repo(tmp_path, "rate")
    log = actions_log(["FAILED test_rate.py::test_thirty_percent - AssertionError: unlucky draw",
                       "==== 1 failed, 1 passed in 0.02s ===="])
    info = write_info(root / "info.json", deterministic=False, prompt="random test flakes",
                      **{"raw-logs": log})
    r = run_fixer(["reproduce", str(info), "--no-fix", "--json", "--iterations", "200",
                   "--seed", "7"], root, env=ENV)
    assert r.code == 0, r
    text = Path(r.json()["report"]).read_text()
    m = re.search(r"Failures: (\d+) of (\d+), rate ([\d.]+)% \(95% confidence interval "
                  r"([\d.]+)% to ([\d.]+)%\)", text)
    assert m, text
    k, n, lo, hi = int(m.group(1)), int(m.group(2)), float(m.group(4)), float(m.group(5))
    assert n == 200 and 0 < k < n
    # a 30% failure measured over 200 runs: far outside these only by a fault
    assert 12 <= 100.0 * k / n <= 50
    assert lo < 30 < hi or abs(100.0 * k / n - 30) < 15
    assert "seed 7" in text


def test_order_dependent_failure_finds_the_polluter(tmp_path):
    root = flaky_repo(tmp_path, "order")
    log = actions_log(["FAILED test_reader.py::test_b - AssertionError: the cache was left set",
                       "==== 1 failed, 10 passed in 0.02s ===="])
    info = write_info(root / "info.json", deterministic=False, prompt="test_b fails sometimes",
                      **{"raw-logs": log})
    r = run_fixer(["reproduce", str(info), "--json", "--iterations", "30", "--seed", "3",
                   "--engine", "builtin"], root, env=ENV, timeout=600)
    assert r.code in (0, 1), r
    out = r.json()
    assert out["reproduced"] == 1, out
    text = Path(out["report"]).read_text()
    assert "**Depends on order**" in text
    assert "`test_writer.py::test_a` (found by bisection)" in text
    assert "test_writer.py::test_a test_reader.py::test_b" in text   # the minimal command


def test_ctrl_c_during_the_stress_run_restores_and_reports(tmp_path):
    root = flaky_repo(tmp_path, "rate")
    log = actions_log(["FAILED test_rate.py::test_thirty_percent - AssertionError: unlucky draw"])
    info = write_info(root / "info.json", deterministic=False, prompt="random test flakes",
                      **{"raw-logs": log})
    before = user_view(root)
    env = dict(os.environ, NO_COLOR="1", **ENV)
    proc = subprocess.Popen([binary(), "reproduce", str(info), "--iterations", "100000",
                             "--time-limit", "120"], cwd=str(root), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert "interrupted" in err
    assert user_view(root) == before
    # no work directory left behind, and the report says what happened
    assert not list((root / ".pytest-fixer" / "repro").iterdir())
    [md] = reports(root)
    assert "interrupted" in md.read_text()


def test_run_junit_artifact_names_failures_the_log_does_not(tmp_path, calc_repo, github):
    # the job ran `pytest -q` with no summary: only the uploaded JUnit report names the test
    quiet = actions_log(["..F                                                    [100%]",
                         "1 failed, 2 passed in 0.05s"])
    gh = github({"runs": {"99": {"jobs": [{"id": 2, "name": "test", "conclusion": "failure"}]}},
                 "logs": {"2": quiet},
                 "artifacts": {"99": [{"id": 5, "name": "junit-3.11",
                                       "files": {"report.xml": JUNIT}},
                                      {"id": 6, "name": "coverage", "files": {"c.xml": "<x/>"}}]}})
    info = write_info(calc_repo / "info.json", deterministic=True, prompt="clamp, quiet run",
                      url="https://github.com/acme/calc/actions/runs/99")
    r = run_fixer(["reproduce", str(info), "--json", "--no-fix"], calc_repo,
                  env=dict(ENV, GITHUB_API_URL=gh.url))
    assert r.code == 0, r
    assert r.json()["in_log"] == 1 and r.json()["reproduced"] == 1
    text = Path(r.json()["report"]).read_text()
    assert "`junit-3.11/report.xml`" in text
    assert "tests/test_calc.py::test_clamp_inside" in text


def test_order_dependent_failure_fixed_by_llm_verified_after_its_polluter(tmp_path):
    from test_llm import KEY, Fake, reply
    root = flaky_repo(tmp_path, "order")
    log = actions_log(["FAILED test_reader.py::test_b - AssertionError: the cache was left set",
                       "==== 1 failed, 10 passed in 0.02s ===="])
    info = write_info(root / "info.json", deterministic=False,
                      prompt="test_b fails when the whole suite runs",
                      **{"raw-logs": log})
    # first a change that passes alone (a no-op), then one that stops the pollution
    noop = {"reasoning": "guess", "file": "settings.py",
            "old_str": "CACHE = {}\n", "new_str": "CACHE = dict()\n"}
    writer = (root / "test_writer.py").read_text()
    right = {"reasoning": "test_a leaves the cache set: restore it", "file": "test_writer.py",
             "new_content": writer.replace(
                 "def test_a():", "def test_a(monkeypatch):").replace(
                 '    settings.CACHE["mode"] = "fast"',
                 '    monkeypatch.setitem(settings.CACHE, "mode", "fast")')}
    fake = Fake(tmp_path, [reply(noop), reply(right)])
    try:
        r = run_fixer(["reproduce", str(info), "--json", "--iterations", "20", "--seed", "3",
                       "--engine", "llm", "--provider", "openai", "--base-url",
                       fake.url + "/v1", "--model", "m", "--api-key", KEY,
                       "--allow-test-edits"], root, env=ENV, timeout=600)
        reqs = fake.requests()
    finally:
        fake.stop()
    assert r.code == 0, r
    out = r.json()
    assert out["status"] == "success" and out["fixed"] == 1, out
    [test] = out["tests"]
    assert test["order"]["polluter"] == "test_writer.py::test_a"
    assert test["order"]["failing_order"] == ["test_writer.py::test_a", "test_reader.py::test_b"]
    # the user's description went to the model
    assert "test_b fails when the whole suite runs" in json.dumps(reqs[0]["body"]["messages"])
    assert len(reqs) == 2
    assert "monkeypatch.setitem" in git(root, "show", out["branch"] + ":test_writer.py")
    text = Path(out["report"]).read_text()
    assert "5 times in a row" in text


def test_existing_flaky_test_file_is_stressed_test_by_test(tmp_path):
    root = flaky_repo(tmp_path, "rate")
    info = write_info(root / "info.json", deterministic=False, prompt="one of these flakes",
                      **{"existing-test-path": "test_rate.py"})
    r = run_fixer(["reproduce", str(info), "--no-fix", "--json", "--iterations", "60"], root,
                  env=ENV)
    assert r.code == 0, r     # the file's flaky test is found; the other never failed
    tests = {t["id"]: t for t in r.json()["tests"]}
    assert set(tests) == {"test_rate.py::test_thirty_percent", "test_rate.py::test_always_passes"}
    assert tests["test_rate.py::test_thirty_percent"]["stress"]["failures"] > 0
    assert tests["test_rate.py::test_always_passes"]["stress"]["failures"] == 0
    # one of them failed alone: no order analysis for the other
    assert "order" not in tests["test_rate.py::test_always_passes"]


def test_new_test_in_a_file_the_base_has_is_used(calc_repo):
    # the reproduction test is a new function in an existing, committed file
    with open(calc_repo / "tests" / "test_calc.py", "a") as f:
        f.write("\n\ndef test_repro_new():\n    assert clamp(2, 0, 4) == 2\n")
    info = write_info(calc_repo / "info.json", deterministic=True, prompt="clamp again",
                      **{"existing-test-path": "tests/test_calc.py::test_repro_new"})
    r = run_fixer(["reproduce", str(info), "--json"], calc_repo, env=ENV)
    assert r.code == 0, r
    out = r.json()
    assert out["reproduced"] == 1 and out["fixed"] == 1, out
    # the branch has main's test file, not the work tree's
    assert "test_repro_new" not in git(calc_repo, "show", out["branch"] + ":tests/test_calc.py")
    assert git(calc_repo, "diff", "--name-only", "main", out["branch"]).split() == ["calc.py"]


def test_intermittent_collection_error_that_imports_here(calc_repo):
    log = actions_log(["ERROR tests/test_calc.py - ModuleNotFoundError: No module named 'x'"])
    info = write_info(calc_repo / "info.json", deterministic=False, prompt="import flakes",
                      **{"raw-logs": log})
    r = run_fixer(["reproduce", str(info), "--json", "--no-fix"], calc_repo, env=ENV)
    assert r.code == 1, r
    out = r.json()
    # the module imports here: not reproduced, and not replaced by the module's own tests
    assert [t["id"] for t in out["tests"]] == ["tests/test_calc.py"]
    assert out["reproduced"] == 0 and out["status"] == "failed"


def test_markup_in_messages_does_not_reach_the_report_as_markup(calc_repo):
    log = actions_log(["FAILED tests/test_calc.py::test_clamp_inside - "
                       "AssertionError: <!-- hidden --> <function clamp at 0x7f> `x`"])
    info = write_info(calc_repo / "info.json", deterministic=True, prompt="clamp <b>bold</b>",
                      **{"raw-logs": log})
    r = run_fixer(["reproduce", str(info), "--json", "--no-fix"], calc_repo, env=ENV)
    assert r.code == 0, r
    text = Path(r.json()["report"]).read_text()
    assert "<!--" not in text.split("```")[0]    # outside code blocks
    assert "&lt;function clamp at 0x7f&gt;" in text
    assert "clamp &lt;b&gt;bold&lt;/b&gt;" in text
