"""`pytest-fixer fix`: verified fixes on branches, the user's checkout untouched."""
import hashlib
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import PROJECTS, SYSTEM_PYTEST, binary, processes_with, run_fixer

EXAMPLE = PROJECTS.parent.parent.parent / "examples" / "inventory"
ENV = {"PYTEST_FIXER_PYTEST": SYSTEM_PYTEST}


def git(root, *args):
    out = subprocess.run(["git", "-C", str(root)] + list(args), capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout


def make_repo(root, files):
    root.mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Test User")
    git(root, "config", "user.email", "test@example.com")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    return root


def snapshot(root):
    """Everything a user could notice: files (outside .git and our own dir), HEAD, index, refs."""
    files = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if rel.parts[0] in (".git", ".pytest-fixer") or "__pycache__" in rel.parts:
            continue
        if p.is_file():
            files[str(rel)] = hashlib.sha256(p.read_bytes()).hexdigest()
    index = hashlib.sha256((root / ".git" / "index").read_bytes()).hexdigest()
    branches = sorted(b for b in git(root, "branch", "--format=%(refname:short)").split()
                      if not b.startswith("fix-"))
    return {"files": files, "head": git(root, "rev-parse", "HEAD"),
            "symbolic": git(root, "symbolic-ref", "HEAD"), "index": index,
            "status": git(root, "status", "--porcelain"), "branches": branches}


CALC = {
    "pytest.ini": "[pytest]\n",
    "calc.py": (
        "def add(a, b):\n    return a + b\n\n\n"
        "def clamp(x, lo, hi):\n    \"\"\"x limited to [lo, hi].\"\"\"\n"
        "    return max(lo, max(x, hi))\n"),
    "tests/test_calc.py": (
        "from calc import add, clamp\n\n\n"
        "def test_add():\n    assert add(2, 3) == 5\n\n\n"
        "def test_clamp_inside():\n    assert clamp(5, 0, 10) == 5\n\n\n"
        "def test_clamp_above():\n    assert clamp(15, 0, 10) == 10\n"),
}

# Every single-token change that passes the failing test breaks a passing one.
NO_HONEST_FIX = {
    "pytest.ini": "[pytest]\n",
    "lib.py": "def f(x):\n    return x + 2\n",
    "tests/test_lib.py": (
        "from lib import f\n\n\n"
        "def test_zero():\n    assert f(0) == 2\n\n\n"
        "def test_two():\n    assert f(2) == 4\n\n\n"
        "def test_three():\n    assert f(3) == 6\n"),
}


def fix_json(root, *extra, env=None):
    r = run_fixer(["fix", "--json", "--non-interactive", "--engine", "builtin", "-j", "2"]
                  + list(extra), root, env=dict(ENV, **(env or {})))
    return r


def test_fix_lands_on_a_branch_and_the_checkout_is_untouched(tmp_path):
    root = make_repo(tmp_path / "calc", CALC)
    before = snapshot(root)
    r = fix_json(root)
    assert r.code == 0, r
    got = r.json()
    assert got["state"] == "COMPLETED"
    # clamp() is wrong for two tests: one change fixes both, on the first one's branch
    err, other = got["errors"]
    assert err["id"] == "tests/test_calc.py::test_clamp_inside"
    assert other["id"] == "tests/test_calc.py::test_clamp_above"
    assert err["status"] == other["status"] == "fixed"
    assert err["branch"] == other["branch"] == "fix-test_calc-test_clamp_inside"
    assert other["attempts"] == []
    assert snapshot(root) == before
    # the branch holds exactly the fix, on top of the commit we started from
    assert git(root, "rev-parse", err["branch"] + "^").strip() == before["head"].strip()
    changed = git(root, "diff", "--name-only", "main", err["branch"]).split()
    assert changed == ["calc.py"]
    fixed_src = git(root, "show", err["branch"] + ":calc.py")
    assert "return max(lo, min(x, hi))" in fixed_src
    # and the fix really works: run the tests on the branch in a clone
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "-b", err["branch"], str(root), str(clone)], check=True)
    out = subprocess.run(["/usr/bin/python3", "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                         cwd=clone, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout
    # no work directories are left
    assert not list((root / ".pytest-fixer" / "worktrees").glob("*/*"))
    assert ".pytest-fixer" not in git(root, "status", "--porcelain")
    # the attempts are recorded, with the winning diff
    winner = [a for a in err["attempts"] if a["status"] == "passed"]
    assert winner and "min(x, hi)" in winner[0]["diff"]


def test_the_bundled_example_gets_fixes(tmp_path):
    root = tmp_path / "inventory"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("__pycache__"))
    make_repo(root, {})
    before = snapshot(root)
    r = fix_json(root)
    got = r.json()
    fixed = [e for e in got["errors"] if e["status"] == "fixed"]
    assert len(fixed) >= 3, r
    assert snapshot(root) == before
    for e in fixed:
        assert git(root, "rev-parse", "--verify", e["branch"]).strip() == e["commit"]


def test_a_candidate_that_breaks_another_test_is_rejected(tmp_path):
    root = make_repo(tmp_path / "lib", NO_HONEST_FIX)
    r = fix_json(root)
    assert r.code == 1, r
    [err] = r.json()["errors"]
    assert err["status"] == "unfixed"
    gates = {a["gate"] for a in err["attempts"]}
    assert "regression" in gates, err["attempts"]
    assert "target" in gates
    assert not [b for b in git(root, "branch").split() if b.startswith("fix-")]


# A one-character fix (- for +) and a test the fix does not touch that fails on the runs
# listed in FAIL_ON (run 1 is the baseline, run 2 the candidate's run of the tests that
# executed the changed line, the last the winner's full suite: a test judged flaky there
# is not judged again). Each run logs its number, whether calc.py held the fix, and its
# verdict.
FLAKY_CLOCK = (
    "import calc\n\nCOUNTER = %r\nFAIL_ON = %r\n\n\n"
    "def test_clock():\n"
    "    try:\n        n = int(open(COUNTER).read().split()[-3]) + 1\n"
    "    except (OSError, IndexError):\n        n = 1\n"
    "    fixed = calc.add(2, 3) == 5\n"
    "    with open(COUNTER, 'a') as f:\n"
    "        f.write('%%d %%s %%s\\n' %% (n, 'fixed' if fixed else 'base', 'fail' if n in FAIL_ON else 'pass'))\n"
    "    assert n not in FAIL_ON, 'unlucky run %%d' %% n\n")


@pytest.mark.parametrize("fail_on,why,runs", [
    ((2,), "passed on a rerun", ["1 base pass", "2 fixed fail", "3 fixed pass", "4 fixed pass"]),
    ((2, 3, 4, 5), "fails without the change too",
     ["1 base pass", "2 fixed fail", "3 fixed fail", "4 base fail", "5 fixed fail"]),
])
def test_a_flaky_test_does_not_reject_the_right_fix(tmp_path, fail_on, why, runs):
    counter = tmp_path / "clock-runs.txt"
    root = make_repo(tmp_path / "calc", {
        "pytest.ini": "[pytest]\n",
        "calc.py": "def add(a, b):\n    return a - b\n",
        "tests/test_calc.py": "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n",
        "tests/test_clock.py": FLAKY_CLOCK % (str(counter), fail_on),
    })
    r = fix_json(root, "-j", "1")
    assert r.code == 0, r
    [err] = r.json()["errors"]
    assert err["id"] == "tests/test_calc.py::test_add" and err["status"] == "fixed", err
    assert "return a + b" in git(root, "show", err["branch"] + ":calc.py")
    [winner] = [a for a in err["attempts"] if a["status"] == "passed"]
    assert winner["flaky"] == [{"id": "tests/test_clock.py::test_clock", "why": why}]
    # rerun on the candidate, then on the base, until judged
    assert counter.read_text().splitlines() == runs
    report = (root / ".pytest-fixer" / "reports" / (r.json()["session"] + ".md")).read_text()
    assert "'tests/test_clock.py::test_clock' is flaky (%s)" % why in report


def test_sessions_show_and_report(tmp_path):
    root = make_repo(tmp_path / "calc", CALC)
    sid = fix_json(root).json()["session"]
    r = run_fixer(["sessions"], root)
    assert sid in r.stdout and "COMPLETED" in r.stdout
    r = run_fixer(["show", sid[:12], "--json"], root)
    assert r.json()["session"] == sid
    r = run_fixer(["report", sid], root)
    assert r.code == 0 and "# pytest-fixer session " + sid in r.stdout
    assert "```diff" in r.stdout and "fix-test_calc-test_clamp_inside" in r.stdout
    assert (root / ".pytest-fixer" / "reports" / (sid + ".md")).exists()
    r = run_fixer(["show", "nope"], root)
    assert r.code == 2 and "no session 'nope'" in r.stderr


def test_one_branch_for_the_whole_session(tmp_path):
    root = tmp_path / "inventory"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("__pycache__"))
    make_repo(root, {})
    r = fix_json(root, "--branch", "pf/all-fixes")
    got = r.json()
    fixed = [e for e in got["errors"] if e["status"] == "fixed"]
    assert fixed and all(e["branch"] == "pf/all-fixes" for e in fixed)
    log = git(root, "log", "--format=%s", "main..pf/all-fixes").splitlines()
    assert len(log) == len({e["commit"] for e in fixed})


def test_dry_run_makes_no_branch(tmp_path):
    root = make_repo(tmp_path / "calc", CALC)
    r = fix_json(root, "--dry-run")
    assert r.code == 0, r
    assert all(e["status"] == "fixed" for e in r.json()["errors"])
    assert "fix-" not in git(root, "branch")


def test_apply_puts_the_fix_in_the_working_tree(tmp_path):
    root = make_repo(tmp_path / "calc", CALC)
    r = fix_json(root, "--apply")
    assert r.code == 0, r
    assert "min(x, hi)" in (root / "calc.py").read_text()
    assert git(root, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"


def test_apply_refuses_a_conflicting_working_tree(tmp_path):
    root = make_repo(tmp_path / "calc", CALC)
    (root / "calc.py").write_text(CALC["calc.py"].replace("return max(lo, max(x, hi))",
                                                           "return max(lo, max(x, hi))  # mine"))
    mine = (root / "calc.py").read_text()
    r = fix_json(root, "--apply")
    assert r.code == 3, r
    assert "cannot apply the fix" in r.stderr and "fix-test_calc-test_clamp_inside" in r.stderr
    assert (root / "calc.py").read_text() == mine      # the user's edit is kept
    assert r.json()["state"] == "COMPLETED"            # and the session's outcome is still printed


def test_test_function_selects_one_failure(tmp_path):
    root = tmp_path / "inventory"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("__pycache__"))
    make_repo(root, {})
    r = fix_json(root, "--test-path", "tests/test_stock.py", "--test-function", "test_restock_adds_units")
    errors = r.json()["errors"]
    assert [e["id"] for e in errors] == ["tests/test_stock.py::test_restock_adds_units"] or \
        all(e["id"].startswith("tests/test_stock.py") for e in errors)


def test_a_directory_that_is_not_a_git_repository(tmp_path):
    root = tmp_path / "plain"
    root.mkdir()
    for rel, text in CALC.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    r = fix_json(root)
    assert r.code == 0, r
    assert "min(x, hi)" in (root / "calc.py").read_text()   # written back once verified
    out = subprocess.run(["/usr/bin/python3", "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                         cwd=root, capture_output=True, text=True)
    assert out.returncode == 0


def test_a_read_only_source_is_not_written(tmp_path):
    root = tmp_path / "plain"
    root.mkdir()
    for rel, text in CALC.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    os.chmod(root / "calc.py", 0o444)
    r = fix_json(root)
    assert r.code == 1, r
    err = r.json()["errors"][0]
    assert err["status"] == "unfixed"
    assert any(a["gate"] == "apply" and "calc.py" in (a["reason"] or "") for a in err["attempts"])
    assert (root / "calc.py").read_text() == CALC["calc.py"]


def test_bad_input(tmp_path):
    root = make_repo(tmp_path / "calc", CALC)
    r = run_fixer(["fix", "--jobs", "-3"], root, env=ENV)
    assert r.code == 2, r
    r = run_fixer(["resume", "20990101-000000-dead"], root, env=ENV)
    assert r.code == 2 and "no session" in r.stderr, r
    r = run_fixer(["fix", "--engine", "magic"], root, env=ENV)
    assert r.code == 2 and "unknown engine 'magic'" in r.stderr, r
    r = run_fixer(["fix", "--test-path", "tests/nope.py", "--json"], root, env=ENV)
    assert r.code == 2 and "--test-path 'tests/nope.py' does not exist" in r.stderr, r
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q")
    r = run_fixer(["fix"], empty, env=ENV)
    assert r.code == 2 and "no commit yet" in r.stderr, r


def _wait_for(pred, timeout=60):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.1)
    return False


def _session_state(root):
    r = run_fixer(["sessions", "--json"], root)
    sessions = r.json() if r.code == 0 and r.stdout.strip() else []
    return sessions[0]["state"] if sessions else None


SLOW = dict(CALC)
SLOW["tests/test_slow.py"] = "import time\n\n\ndef test_slow():\n    time.sleep(1.5)\n"


def test_interrupt_pauses_and_resume_finishes(tmp_path):
    root = make_repo(tmp_path / "calc", SLOW)
    before = snapshot(root)
    env = dict(os.environ, NO_COLOR="1", **ENV)
    proc = subprocess.Popen([binary(), "fix", "--json", "--non-interactive", "-j", "1"],
                            cwd=str(root), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # wait until the session validates candidates (its work directory exists)
    assert _wait_for(lambda: list((root / ".pytest-fixer" / "worktrees").glob("*/job-0"))
                     if (root / ".pytest-fixer" / "worktrees").exists() else False)
    time.sleep(2.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    got = json.loads(out)
    assert got["state"] == "PAUSED"
    assert not list((root / ".pytest-fixer" / "worktrees").glob("*/*"))
    assert snapshot(root) == before
    r = run_fixer(["resume", got["session"], "--json"], root, env=ENV)
    assert r.code == 0, r
    assert r.json()["state"] == "COMPLETED"
    assert all(e["status"] == "fixed" for e in r.json()["errors"])


def test_kill_9_then_cleanup_and_resume(tmp_path):
    root = make_repo(tmp_path / "calc", SLOW)
    before = snapshot(root)
    env = dict(os.environ, NO_COLOR="1", **ENV)
    proc = subprocess.Popen([binary(), "fix", "--json", "--non-interactive", "-j", "1"],
                            cwd=str(root), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    assert _wait_for(lambda: list((root / ".pytest-fixer" / "worktrees").glob("*/job-0"))
                     if (root / ".pytest-fixer" / "worktrees").exists() else False)
    # the baseline is done once the session is RUNNING: wait for that, not for a
    # fixed time, which a loaded machine overruns
    assert _wait_for(lambda: _session_state(root) == "RUNNING")
    os.killpg(proc.pid, signal.SIGKILL)     # us and the pytest we ran
    proc.wait()
    assert snapshot(root) == before          # nothing of the user's was touched
    r = run_fixer(["sessions", "--json"], root)
    [s] = r.json()
    assert s["state"] == "RUNNING"
    r = run_fixer(["cleanup"], root)
    assert r.code == 0 and "PAUSED" in r.stdout, r
    assert not list((root / ".pytest-fixer" / "worktrees").glob("*/*"))
    r = run_fixer(["resume", s["session"], "--json"], root, env=ENV)
    assert r.code == 0, r
    assert all(e["status"] == "fixed" for e in r.json()["errors"])
    r = run_fixer(["cleanup", "--branches"], root)
    assert "deleted branch 'fix-test_calc-test_clamp_inside'" in r.stdout, r
    assert snapshot(root) == before


def test_kill_9_while_a_warm_worker_starts_leaves_no_process(tmp_path):
    files = dict(CALC)
    files["conftest.py"] = "import time\n\ntime.sleep(5)   # a slow collection\n"
    root = make_repo(tmp_path / "calc", files)
    before = snapshot(root)
    marker = "pf-e2e-%d-%d" % (os.getpid(), time.monotonic_ns())
    env = dict(os.environ, NO_COLOR="1", PF_E2E_MARKER=marker, **ENV)
    proc = subprocess.Popen([binary(), "fix", "--json", "--non-interactive", "-j", "2"],
                            cwd=str(root), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # a worker still collecting (the command is known: it starts beside the baseline)
    assert _wait_for(lambda: any("--pytest-fixer-serve" in cmd
                                 for _, cmd in processes_with(marker)))
    proc.kill()          # the session alone: what it started must go with it
    proc.communicate(timeout=30)
    # sooner than any of them would end by itself (the collection sleeps 5 s)
    assert _wait_for(lambda: not processes_with(marker), timeout=2), processes_with(marker)
    assert snapshot(root) == before


def _run_on_a_terminal(args, cwd, answers, timeout=120):
    """Run the binary on a pseudo-terminal, answering each menu prompt in turn."""
    import pty
    import select
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(str(cwd))
        env = dict(os.environ, PYTEST_FIXER_PYTEST=SYSTEM_PYTEST, TERM="dumb")
        try:
            os.execve(binary(), [binary()] + list(args), env)
        finally:
            os._exit(127)
    seen, answers, answered = b"", list(answers), 0
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], 0.5)
        if fd in r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
            if seen.count(b"[q]uit?") > answered:
                answered += 1
                os.write(fd, (answers.pop(0) if answers else "q").encode() + b"\n")
    else:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), seen.decode("utf-8", "replace")


def test_interactive_menu_skip_and_apply(tmp_path):
    root = make_repo(tmp_path / "calc", CALC)
    code, screen = _run_on_a_terminal(["fix"], root, ["s"])
    assert "A verified fix for tests/test_calc.py::test_clamp_inside" in screen, screen
    assert "-    return max(lo, max(x, hi))" in screen and "+    return max(lo, min(x, hi))" in screen
    assert "fix-" not in git(root, "branch")
    code, screen = _run_on_a_terminal(["fix"], root, ["a"])
    assert code == 0, screen
    assert "fix-test_calc-test_clamp_inside" in git(root, "branch")


def test_one_branch_with_apply_puts_every_fix_in_the_working_tree(tmp_path):
    root = tmp_path / "inventory"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("__pycache__"))
    make_repo(root, {})
    r = fix_json(root, "--branch", "pf/all", "--apply")
    assert r.code == 1, r      # one failure stays unfixed
    assert "min(item.quantity + amount" in (root / "inventory" / "stock.py").read_text()
    assert "quantity >= BULK_THRESHOLD" in (root / "inventory" / "pricing.py").read_text()
    assert git(root, "diff", "pf/all", "--", "inventory").strip() == ""


def test_an_existing_branch_is_not_taken_over(tmp_path):
    root = make_repo(tmp_path / "calc", CALC)
    git(root, "branch", "mine")
    r = fix_json(root, "--branch", "mine")
    assert r.code == 2 and "branch 'mine' already exists" in r.stderr, r
    assert git(root, "rev-parse", "mine") == git(root, "rev-parse", "main")


def test_cleanup_keeps_a_fix_branch_the_user_built_on(tmp_path):
    root = make_repo(tmp_path / "calc", CALC)
    branch = fix_json(root).json()["errors"][0]["branch"]
    git(root, "checkout", "-q", branch)
    (root / "notes.txt").write_text("mine\n")
    git(root, "add", "notes.txt")
    git(root, "commit", "-q", "-m", "my work on top")
    git(root, "checkout", "-q", "main")
    r = run_fixer(["cleanup", "--branches"], root)
    assert "kept branch '%s': it moved" % branch in r.stdout, r
    assert branch in git(root, "branch")
