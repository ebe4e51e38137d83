"""Losing no work: `fix --apply` all or nothing (faults injected with the faultfs
shim, tests/faults/faultfs.c), children that die with us, one fix per project."""
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import binary, processes_with, run_fixer
from test_fix import CALC, ENV, SLOW, fix_json, git, make_repo, snapshot
from test_fix import _wait_for as wait_for

# two failures in two files: two fixes, two files written by one --apply
TWO = dict(CALC)
TWO["ops.py"] = "# notes\n\n\ndef sub(a, b):\n    return a + b\n"
TWO["tests/test_ops.py"] = "from ops import sub\n\n\ndef test_sub():\n    assert sub(5, 3) == 2\n"
MY_EDIT = "# my uncommitted line\n"


def faultfs():
    path = os.environ.get("PF_FAULTFS") or str(Path(binary()).parent / "tests" / "libfaultfs.so")
    assert os.path.exists(path), "build the faultfs shim first (PF_FAULTFS=%s)" % path
    return path


def fault_env(root, log, **knobs):
    """The shim on the project's own files; git's and our state are spared."""
    env = {"LD_PRELOAD": faultfs(), "PF_FAULT_PATH": str(root),
           "PF_FAULT_SKIP": "/.git/,/.pytest-fixer/", "PF_FAULT_LOG": str(log),
           # an ASan build would refuse a library preloaded before its runtime
           "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"}
    env.update({"PF_FAULT_" + k.upper(): str(v) for k, v in knobs.items()})
    return env


FAULTS = {
    "enospc-on-the-first-write": dict(op="write", after=0),
    "enospc-after-some-bytes": dict(op="write", after=10),
    "eio-on-the-second-files-fsync": dict(op="fsync", after=1, errno="EIO"),
    "the-second-rename-fails": dict(op="rename", after=1, count=1),
    # the 7th fsync is the project directory's, after the journal's and the temporaries'
    "the-directory-sync-fails": dict(op="fsync", after=6, errno="EIO", count=1),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_disk_fault_during_apply_changes_nothing(tmp_path, fault):
    root = make_repo(tmp_path / "two", TWO)
    calc = root / "calc.py"
    calc.write_text(MY_EDIT + calc.read_text())       # an edit the user has not committed
    before = snapshot(root)
    mine = calc.read_bytes()
    log = tmp_path / "faults.log"
    r = fix_json(root, "--apply", env=fault_env(root, log, **FAULTS[fault]))
    assert log.exists() and log.read_text().strip(), "no fault was injected: %r" % r
    assert r.code == 3, r
    assert "nothing was changed" in r.stderr, r
    assert "No space left on device" in r.stderr or "Input/output error" in r.stderr, r
    # every file byte for byte as before, the uncommitted edit kept, no temporary file left
    assert calc.read_bytes() == mine
    assert snapshot(root) == before
    assert sorted(p.name for p in root.iterdir()) == [".git", ".pytest-fixer", "calc.py", "ops.py",
                                                      "pytest.ini", "tests"]
    # the fixes are still on their branches
    assert {e["status"] for e in r.json()["errors"]} == {"fixed"}
    assert len([b for b in git(root, "branch").split() if b.startswith("fix-")]) == 2


def test_apply_writes_both_fixes_around_an_uncommitted_edit(tmp_path):
    root = make_repo(tmp_path / "two", TWO)
    calc = root / "calc.py"
    calc.write_text(MY_EDIT + calc.read_text())
    r = fix_json(root, "--apply")
    assert r.code == 0, r
    text = calc.read_text()
    assert text.startswith(MY_EDIT) and "min(x, hi)" in text
    assert "return a - b" in (root / "ops.py").read_text()
    assert sorted(p.name for p in root.iterdir()) == [".git", ".pytest-fixer", "calc.py", "ops.py",
                                                      "pytest.ini", "tests"]


def test_an_edit_next_to_the_fix_merges_and_an_overlapping_one_is_refused(tmp_path):
    # line 5 changed, the fix changes line 7: a patch's context no longer matches, a merge does
    root = make_repo(tmp_path / "near", CALC)
    calc = root / "calc.py"
    calc.write_text(calc.read_text().replace("def clamp(x, lo, hi):", "def clamp(x, lo, hi):  # mine"))
    r = fix_json(root, "--apply")
    assert r.code == 0, r
    assert "def clamp(x, lo, hi):  # mine" in calc.read_text()
    assert "return max(lo, min(x, hi))" in calc.read_text()

    # the line the fix changes, changed by the user too: refused, naming the file
    root = make_repo(tmp_path / "same", CALC)
    calc = root / "calc.py"
    calc.write_text(calc.read_text().replace("max(x, hi))", "max(x, hi))  # mine"))
    mine = calc.read_bytes()
    r = fix_json(root, "--apply")
    assert r.code == 3, r
    assert "'calc.py' has changes of yours that overlap the fix" in r.stderr, r
    assert "nothing was changed" in r.stderr and "fix-test_calc-test_clamp_inside" in r.stderr, r
    assert calc.read_bytes() == mine


# -- children die with us; cleanup removes what a killed run left -------------------------

SLEEPY = dict(CALC)
SLEEPY["tests/test_slow.py"] = "import time\n\n\ndef test_slow():\n    time.sleep(60)\n"


def start_fix(root, env, *extra):
    return subprocess.Popen([binary(), "fix", "--json", "--non-interactive", "--engine", "builtin",
                             "-j", "1"] + list(extra), cwd=str(root), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_kill_9_leaves_no_pytest_behind_and_cleanup_removes_its_temporary_dirs(tmp_path):
    root = make_repo(tmp_path / "calc", SLEEPY)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    marker = "pf-e2e-%d-%d" % (os.getpid(), time.monotonic_ns())
    env = dict(os.environ, NO_COLOR="1", TMPDIR=str(tmp), PF_E2E_MARKER=marker, **ENV)
    proc = start_fix(root, env)
    try:
        # the baseline is in the test that sleeps
        assert wait_for(lambda: any("pytest" in c for _, c in processes_with(marker)
                                    if _ != proc.pid)), proc
        time.sleep(1.0)
    finally:
        os.kill(proc.pid, signal.SIGKILL)   # only us, as `kill -9 PID` would
        proc.communicate()
    assert wait_for(lambda: not processes_with(marker), timeout=10), processes_with(marker)
    # what it left: its temporary directory and its work directories
    assert [p.name for p in tmp.iterdir() if p.name.startswith("pytest-fixer-run.")]
    assert list((root / ".pytest-fixer" / "worktrees").glob("*/*"))
    r = run_fixer(["cleanup"], root, env={"TMPDIR": str(tmp)})
    assert r.code == 0, r
    assert "removed temporary directory" in r.stdout and "PAUSED" in r.stdout, r
    assert list(tmp.iterdir()) == []
    assert not list((root / ".pytest-fixer" / "worktrees").glob("*/*"))


def test_cleanup_leaves_a_running_fix_alone(tmp_path):
    root = make_repo(tmp_path / "calc", SLEEPY)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = dict(os.environ, NO_COLOR="1", TMPDIR=str(tmp), **ENV)
    proc = start_fix(root, env)
    try:
        assert wait_for(lambda: list((root / ".pytest-fixer" / "worktrees").glob("*/job-0"))
                        and list(tmp.glob("pytest-fixer-run.*/pytest-fixer.*"))), proc
        live_tmp = list(tmp.glob("pytest-fixer-run.*")) + list(tmp.glob("pytest-fixer-run.*/*.lock"))
        work = list((root / ".pytest-fixer" / "worktrees").glob("*/job-0"))
        r = run_fixer(["cleanup"], root, env={"TMPDIR": str(tmp)})
        assert r.code == 0, r
        assert "is running: left alone" in r.stdout, r
        assert len(live_tmp) == 2 and work
        assert all(p.exists() for p in live_tmp) and all(p.exists() for p in work)
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert list(tmp.iterdir()) == []      # and it took its own with it


# -- one fix at a time in a project -------------------------------------------------------

def test_a_second_fix_refuses_and_one_with_wait_runs_after_the_first(tmp_path):
    root = make_repo(tmp_path / "calc", SLOW)
    env = dict(os.environ, NO_COLOR="1", **ENV)
    first = start_fix(root, env)
    try:
        assert wait_for(lambda: list((root / ".pytest-fixer" / "worktrees").glob("*/job-0"))), first
        r = run_fixer(["fix", "--non-interactive", "--engine", "builtin"], root, env=ENV)
        assert r.code == 3, r
        assert "another fix is running in this project (pid %d)" % first.pid in r.stderr, r
        r = run_fixer(["resume", "20990101-000000-0000"], root, env=ENV)
        assert r.code == 3 and "(pid %d)" % first.pid in r.stderr, r
        info = root / "info.json"
        info.write_text(json.dumps({"deterministic": True, "prompt": "clamp",
                                    "existing-test-path": "tests/test_calc.py"}))
        r = run_fixer(["reproduce", str(info)], root, env=ENV)
        assert r.code == 3 and "another fix is running in this project (pid %d)" % first.pid \
            in r.stderr, r
        # the refused runs wrote no session
        assert len(run_fixer(["sessions", "--json"], root).json()) == 1
        waiting = start_fix(root, env, "--wait", "--branch", "pf/second")
        assert first.poll() is None, "the first fix ended too soon for this test"
        out, err = first.communicate(timeout=300)
        first_ended = time.monotonic()
        assert first.returncode == 0, err
    finally:
        if first.poll() is None:
            first.kill()
    out, err = waiting.communicate(timeout=300)
    assert waiting.returncode == 0, err
    assert b"waiting for the fix running in this project (pid %d)" % first.pid in err, err
    sessions = run_fixer(["sessions", "--json"], root).json()
    assert len(sessions) == 2 and {s["state"] for s in sessions} == {"COMPLETED"}
    assert json.loads(out)["state"] == "COMPLETED" and first_ended
