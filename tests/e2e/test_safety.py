"""Losing no work: `fix --apply` all or nothing (faults injected with the faultfs
shim, tests/faults/faultfs.c), children that die with us, one fix per project."""
import os
from pathlib import Path

import pytest

from conftest import binary
from test_fix import CALC, fix_json, git, make_repo, snapshot

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
    "the-directory-sync-fails": dict(op="fsync", after=2, errno="EIO", count=1),
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
