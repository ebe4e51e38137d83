"""Fault injection: kill -9 of `fix`, `fix --apply`, `reproduce` and `generate` at
seeded and named points, and ENOSPC / EIO on write, each followed by the checks of
tests/faults/faultkit.py: the user's files, index, refs, HEAD and stashes are as
before (or, for `--apply`, wholly applied), no process of the run is left, and
after `pytest-fixer cleanup` no temporary or work directory or git lock is left.

A failing trial names its command and point (and seed) so it can be replayed;
bench/faults.py runs hundreds of them.
"""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "faults"))
import faultkit as fk  # noqa: E402

SEED = 12
# kill points of the seeded trials are uniform in [0, SEEDED_RANGE) seconds
SEEDED_RANGE = 8.0


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return fk.make_template(tmp_path_factory.mktemp("template") / "project")


@pytest.fixture(scope="module")
def applied(tmp_path_factory, template):
    """The user's state after `fix --apply` ran without a fault: both fixes applied
    over the user's own edits, which are kept."""
    after = fk.reference(tmp_path_factory.mktemp("reference"), template, "fix --apply")
    before = fk.snapshot(template)
    assert fk.describe_difference(before, after) == "file calc.py changed; file people.py changed"
    return after


def trial(tmp_path, template, command, point, label, accept=None):
    t = fk.Trial(tmp_path / "trial", template, command, point, label, accept=accept)
    problems = t.run()
    assert not problems, "\n".join(problems) + "\n--- stderr of the run\n" + t.stderr[-2000:]
    return t


def test_kill_9_of_fix_while_pytest_runs(tmp_path, template):
    t = trial(tmp_path, template, "fix", ("pytest", 2), "fix, kill -9 at pytest run 2")
    assert t.killed


@pytest.mark.parametrize("index", [0, 1])
def test_kill_9_of_fix_at_a_seeded_point(tmp_path, template, index):
    delay = fk.seeded_delay(SEED, index, SEEDED_RANGE)
    trial(tmp_path, template, "fix", ("delay", delay),
          "fix, seed %d index %d: kill -9 after %.3f s" % (SEED, index, delay))


def test_kill_9_of_fix_while_the_branch_is_committed(tmp_path, template):
    # the first ref written under refs/heads is the fix branch: stop at its lock file's write
    point = ("stop", {"path": ".git/refs/heads", "op": "write", "after": 0})
    t = trial(tmp_path, template, "fix", point, "fix, kill -9 at the branch's ref")
    assert t.reached and t.killed


def test_kill_9_of_apply_between_its_two_files(tmp_path, template, applied):
    # its second rename into place: one file is new, the other is not, yet
    point = ("stop", {"skip": fk.USER_FILES_SKIP, "op": "rename", "after": 1})
    t = trial(tmp_path, template, "fix --apply", point, "fix --apply, kill -9 at its 2nd rename",
              accept=applied)
    assert t.reached and t.killed


def test_kill_9_of_reproduce_while_pytest_runs(tmp_path, template):
    t = trial(tmp_path, template, "reproduce", ("pytest", 2),
              "reproduce, kill -9 at pytest run 2")
    assert t.killed


def test_enospc_on_apply_changes_nothing(tmp_path, template, applied):
    point = ("fault", {"skip": fk.USER_FILES_SKIP, "op": "write", "after": 0})
    t = trial(tmp_path, template, "fix --apply", point, "fix --apply, ENOSPC on its first write",
              accept=applied)
    assert t.reached
    assert t.code == 3, t.stderr
    assert "No space left on device" in t.stderr


def test_eio_on_the_second_file_of_apply_changes_nothing(tmp_path, template, applied):
    # the disk fails once the first fixed file (calc.py, the first failure's) is written
    first = len(fk.PROJECT["calc.py"].replace("a + b", "a + b  # checked")
                .replace("max(x, hi)", "min(x, hi)").encode())
    point = ("fault", {"skip": fk.USER_FILES_SKIP, "op": "write", "after": first,
                       "errno_name": "EIO"})
    t = trial(tmp_path, template, "fix --apply", point,
              "fix --apply, EIO after %d bytes" % first, accept=applied)
    assert t.reached
    assert t.code == 3, t.stderr
    assert "Input/output error" in t.stderr


def test_kill_9_of_generate_while_its_tests_run(tmp_path, template):
    t = trial(tmp_path, template, "generate", ("pytest", 3), "generate, kill -9 at pytest run 3")
    assert t.killed


@pytest.fixture(scope="module")
def generated(tmp_path_factory, template):
    """The user's state after `generate` ran without a fault: the file and its checklist."""
    after = fk.reference(tmp_path_factory.mktemp("generated"), template, "generate")
    assert fk.describe_difference(fk.snapshot(template), after) == \
        "file tests/test_execution_state.yaml appeared; file tests/test_people_generated.py appeared"
    return after


@pytest.mark.parametrize("after", [0, 1])
def test_kill_9_of_generate_between_its_two_files(tmp_path, template, generated, after):
    # the file and its checklist go in together: cleanup puts back what a kill cut short
    point = ("stop", {"path": "tests", "op": "rename", "after": after})
    t = trial(tmp_path, template, "generate", point,
              "generate, kill -9 at its rename #%d" % (after + 1), accept=generated)
    assert t.reached and t.killed


def test_enospc_on_generate_changes_nothing(tmp_path, template):
    point = ("fault", {"path": "tests", "op": "write", "after": 0})
    t = trial(tmp_path, template, "generate", point, "generate, ENOSPC on its first write")
    assert t.reached
    assert t.code == 3, t.stderr
    assert "No space left on device" in t.stderr
