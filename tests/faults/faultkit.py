"""Fault injection for pytest-fixer: kill -9 at seeded or named points, disk
faults through the LD_PRELOAD shim, and the checks that follow each one.

Used by tests/e2e/test_faults.py (a few cases) and bench/faults.py (hundreds).
A trial copies a small git project holding the user's work in progress (an
unstaged edit, a staged edit, an untracked file, a stash entry, a branch and
a tag), runs one command on it with a marker in its environment and a private
TMPDIR, injects the fault, and then checks:

- the user's files (every file outside .git and .pytest-fixer), the index
  (`git ls-files --stage`), the refs (`git for-each-ref`, fix branches aside),
  HEAD and `git stash list` are as before: byte-identical, or, for
  `fix --apply`, exactly the state a run without faults leaves (all or
  nothing);
- no process of the run is left (each carries the marker in its environment
  or the project's path in its command line; /proc is scanned);
- `pytest-fixer cleanup` exits 0 and then no temporary directory, work
  directory, git lock file or git worktree of the run is left, and the
  user's state is still the same.

Every problem found is a line of text naming the trial (command, seed, point)
so it can be replayed: `Trial(...).run()` with the same arguments.
"""
import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SYSTEM_PYTEST = "/usr/bin/python3 -m pytest"
MARK_VAR = "PYTEST_FIXER_FAULTS_MARK"
# how long we wait for what is left of a run to go before we kill it ourselves
GRACE_SECONDS = 10.0
# a run that goes beyond this is itself a failure (a hang)
RUN_TIMEOUT = 300
# fixed dates: the same project gives the same commit ids in every copy
GIT_DATES = {"GIT_AUTHOR_DATE": "2024-05-01T12:00:00Z",
             "GIT_COMMITTER_DATE": "2024-05-01T12:00:00Z"}
GIT_ID = {"GIT_AUTHOR_NAME": "Fault User", "GIT_AUTHOR_EMAIL": "user@example.com",
          "GIT_COMMITTER_NAME": "Fault User", "GIT_COMMITTER_EMAIL": "user@example.com"}

# How long test_add takes: each pytest run lasts at least this long, so a kill lands
# while one runs, and a pytest left running after the kill is still there when we look.
SLOW_TEST_SECONDS = 1.0
# a child still there this long after the kill did not die with us
DEATH_SECONDS = 0.5

# Two independent one-token bugs in two files: fix --apply writes both.
PROJECT = {
    "pytest.ini": "[pytest]\n",
    "README.md": "# two bugs\n",
    "calc.py": (
        "def add(a, b):\n    return a + b\n\n\n"
        "def clamp(x, lo, hi):\n    \"\"\"x limited to [lo, hi].\"\"\"\n"
        "    return max(lo, max(x, hi))\n"),
    "people.py": "def is_adult(age):\n    \"\"\"18 or older.\"\"\"\n    return age > 18\n",
    "tests/test_calc.py": (
        "import time\n\nfrom calc import add, clamp\n\n\n"
        "def test_add():\n    time.sleep(%s)\n    assert add(2, 3) == 5\n\n\n"
        "def test_clamp_inside():\n    assert clamp(5, 0, 10) == 5\n") % SLOW_TEST_SECONDS,
    "tests/test_people.py": (
        "from people import is_adult\n\n\n"
        "def test_adult_at_18():\n    assert is_adult(18)\n\n\n"
        "def test_child():\n    assert not is_adult(17)\n"),
}

# What CI printed for the calc bug: reproduce reads it from raw-logs.
CI_LOG = "\n".join([
    "============================= test session starts ==============================",
    "platform linux -- Python 3.11.9, pytest-8.2.0, pluggy-1.5.0",
    "collected 4 items",
    "",
    "tests/test_calc.py .F                                                    [ 50%]",
    "tests/test_people.py ..                                                  [100%]",
    "",
    "=================================== FAILURES ===================================",
    "______________________________ test_clamp_inside _______________________________",
    "",
    "    def test_clamp_inside():",
    ">       assert clamp(5, 0, 10) == 5",
    "E       assert 10 == 5",
    "",
    "tests/test_calc.py:11: AssertionError",
    "=========================== short test summary info ============================",
    "FAILED tests/test_calc.py::test_clamp_inside - assert 10 == 5",
    "========================= 1 failed, 3 passed in 0.35s ==========================",
]) + "\n"

COMMANDS = {
    "fix": ["fix", "--non-interactive", "--engine", "builtin", "-j", "2"],
    "fix --apply": ["fix", "--non-interactive", "--engine", "builtin", "-j", "2", "--apply"],
    "reproduce": ["reproduce", "{info}", "-j", "2"],
}


def binary():
    path = os.environ.get("PYTEST_FIXER_BIN") or str(ROOT / "build" / "pytest-fixer")
    assert os.access(path, os.X_OK), "build pytest-fixer first (PYTEST_FIXER_BIN=%s)" % path
    return path


def git(root, *args, env=None, check=True):
    full = dict(os.environ, **GIT_ID, **GIT_DATES)
    full.pop("GIT_DIR", None)
    full.pop("GIT_WORK_TREE", None)
    if env:
        full.update(env)
    out = subprocess.run(["git", "--no-optional-locks", "-C", str(root)] + list(args),
                         capture_output=True, text=True, env=full)
    if check and out.returncode != 0:
        raise RuntimeError("git %s: %s" % (" ".join(args), out.stderr.strip()))
    return out.stdout


def make_template(dest):
    """The project, committed, with the user's work in progress around it."""
    dest = Path(dest)
    for rel, text in PROJECT.items():
        p = dest / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "initial")
    git(dest, "tag", "v1")
    git(dest, "branch", "feature")
    # a stash entry the user keeps
    (dest / "README.md").write_text("# two bugs\n\nstashed idea\n")
    git(dest, "stash", "push", "-q", "-m", "an idea for later")
    # staged: a new file and a change to README.md, then an unstaged change on top
    (dest / "notes.txt").write_text("staged notes\n")
    (dest / "README.md").write_text("# two bugs\n\nstaged line\n")
    git(dest, "add", "notes.txt", "README.md")
    (dest / "README.md").write_text("# two bugs\n\nstaged line\nunstaged line\n")
    # unstaged edits in both files the fixes touch, apart from the lines they change
    (dest / "people.py").write_text(PROJECT["people.py"] + "\n\n# the user's note\n")
    (dest / "calc.py").write_text(PROJECT["calc.py"].replace("a + b", "a + b  # checked"))
    # untracked
    (dest / "scratch.txt").write_text("untracked scratch\n")
    (dest / "info.json").write_text(
        '{"deterministic": true, "prompt": "clamp returns the upper bound",'
        ' "raw-logs": "ci.log"}\n')
    (dest / "ci.log").write_text(CI_LOG)
    return dest


def _sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def snapshot(root, ignore=()):
    """Everything of the user's: files, index, refs, HEAD, stashes.

    `ignore` lists top-level names a command may write (reproduce's outputs/)."""
    root = Path(root)
    files = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root)
        if rel_dir == Path("."):
            dirnames[:] = [d for d in dirnames if d not in (".git", ".pytest-fixer") + tuple(ignore)]
        for name in filenames:
            p = Path(dirpath) / name
            rel = str(p.relative_to(root))
            if rel_dir == Path(".") and name in ignore:
                continue
            files[rel] = "link:" + os.readlink(p) if p.is_symlink() else _sha(p)
        for name in dirnames:
            p = Path(dirpath) / name
            if p.is_symlink():
                files[str(p.relative_to(root))] = "link:" + os.readlink(p)
    refs = [line for line in git(root, "for-each-ref",
                                 "--format=%(objectname) %(refname)").splitlines()
            if not line.split(" ", 1)[1].startswith("refs/heads/fix-")]
    return {
        "files": files,
        "index": git(root, "ls-files", "--stage"),
        "refs": refs,
        "head": (git(root, "symbolic-ref", "-q", "HEAD", check=False).strip(),
                 git(root, "rev-parse", "HEAD").strip()),
        "stash": git(root, "stash", "list", "--format=%H %gs"),
    }


def describe_difference(want, got):
    """A short account of how two snapshots differ."""
    out = []
    for key in ("index", "refs", "head", "stash"):
        if want[key] != got[key]:
            out.append("%s changed: %r -> %r" % (key, want[key], got[key]))
    wf, gf = want["files"], got["files"]
    for rel in sorted(set(wf) | set(gf)):
        if rel not in gf:
            out.append("file %s is gone" % rel)
        elif rel not in wf:
            out.append("file %s appeared" % rel)
        elif wf[rel] != gf[rel]:
            out.append("file %s changed" % rel)
    return "; ".join(out)


# ---- processes ---------------------------------------------------------------------------

def marked_processes(token, path=None):
    """Processes carrying `token` in their environment (or `path` in their command line),
    as {pid: command line}; zombies are left out (their parent reaps them)."""
    needle = ("%s=%s" % (MARK_VAR, token)).encode()
    found = {}
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        pid = int(entry)
        try:
            with open("/proc/%d/stat" % pid, "rb") as f:
                stat = f.read()
            if stat[stat.rindex(b")") + 2:][:1] in (b"Z", b"X"):
                continue
            with open("/proc/%d/environ" % pid, "rb") as f:
                environ = f.read()
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                cmdline = f.read()
        except (OSError, ValueError):
            continue
        if needle in environ.split(b"\0") or (path and path.encode() in cmdline):
            found[pid] = cmdline.replace(b"\0", b" ").decode("utf-8", "replace").strip()
    return found


def process_state(pid):
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            stat = f.read()
        return stat[stat.rindex(b")") + 2:][:1].decode()
    except (OSError, ValueError):
        return None


def kill_survivors(token, path):
    """SIGKILL what is left of a trial (only its own marked processes)."""
    for pid in marked_processes(token, path):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def wait_until(pred, timeout, step=0.02):
    end = time.monotonic() + timeout
    while True:
        got = pred()
        if got or time.monotonic() >= end:
            return got
        time.sleep(step)


# ---- the shim ----------------------------------------------------------------------------

def shim_source():
    """The LD_PRELOAD shim that fails or stops writes (tests/faults/faultfs.c)."""
    return HERE / "faultfs.c"


def build_shim(outdir):
    """Compile the shim into `outdir` (once); returns the .so path."""
    so = Path(outdir) / "faultfs.so"
    src = shim_source()
    if not so.exists() or so.stat().st_mtime < src.stat().st_mtime:
        tmp = so.with_suffix(".so.tmp")
        subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-Wall", "-o", str(tmp), str(src),
                        "-ldl"], check=True)
        os.replace(tmp, so)
    return str(so)


def shim_env(so, **settings):
    """The environment that loads the shim with `settings` (FAULTFS_* variables)."""
    env = {"LD_PRELOAD": so}
    # an ASan build wants its runtime first; the shim does not use it
    asan = os.environ.get("ASAN_OPTIONS", "")
    env["ASAN_OPTIONS"] = (asan + ":" if asan else "") + "verify_asan_link_order=0"
    for key, value in settings.items():
        env["FAULTFS_" + key.upper()] = str(value)
    return env


# ---- a trial -----------------------------------------------------------------------------

class Trial:
    """One command on a fresh copy of the project, with one fault.

    point: ("delay", seconds) kill -9 after a delay; ("pytest", n) kill -9 once the
    n-th pytest process of the run has started; ("stop", None) kill -9 once the shim
    has stopped the process (SIGSTOP, set through `fault_env`); ("none", None) no
    kill (a disk fault through `fault_env`, or a reference run).
    """

    def __init__(self, workdir, template, command, point, label, fault_env=None,
                 accept=None):
        self.workdir = Path(workdir)
        self.template = Path(template)
        self.command = command
        self.point = point
        self.label = label
        self.fault_env = fault_env or {}
        self.accept = accept          # the state a whole run leaves (fix --apply), if any
        self.problems = []
        self.code = None
        self.killed = False
        self.stderr = ""

    def problem(self, text):
        self.problems.append("%s: %s" % (self.label, text))

    @staticmethod
    def env(token, tmpdir):
        env = dict(os.environ)
        for var in ("PYTEST_FIXER_PYTEST", "PYTEST_ADDOPTS", "LD_PRELOAD"):
            env.pop(var, None)
        env.update({"PYTEST_FIXER_PYTEST": SYSTEM_PYTEST, "NO_COLOR": "1",
                    "TMPDIR": str(tmpdir), MARK_VAR: token,
                    "PYTHONDONTWRITEBYTECODE": "1"})
        return env

    def run(self):
        token = "%d-%d-%s" % (os.getpid(), time.monotonic_ns(), self.label.replace(" ", "_"))
        base = self.workdir
        if base.exists():
            shutil.rmtree(base)
        base.mkdir(parents=True)
        root = base / "project"
        tmpdir = base / "tmp"
        tmpdir.mkdir()
        shutil.copytree(self.template, root, symlinks=True)
        ignore = ("outputs",) if self.command == "reproduce" else ()
        before = snapshot(root, ignore)
        argv = [binary()] + [a.format(info=str(root / "info.json"))
                             for a in COMMANDS[self.command]]
        env = Trial.env(token, tmpdir)
        env.update(self.fault_env)
        with open(base / "stdout", "wb") as out, open(base / "stderr", "wb") as err:
            proc = subprocess.Popen(argv, cwd=str(root), env=env, stdout=out, stderr=err)
            try:
                self.inject(proc, token, str(root))
                self.code = proc.wait(timeout=RUN_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.problem("the run did not end within %d s" % RUN_TIMEOUT)
                proc.kill()
                self.code = proc.wait()
        self.stderr = (base / "stderr").read_text(errors="replace")
        gone = wait_until(lambda: not marked_processes(token, str(root)), DEATH_SECONDS)
        if not gone:
            survivors = marked_processes(token, str(root))
            self.problem("%d process(es) outlived the run: %s" % (
                len(survivors), "; ".join("%d %s" % (p, c[:120]) for p, c in survivors.items())))
            if not wait_until(lambda: not marked_processes(token, str(root)), GRACE_SECONDS):
                kill_survivors(token, str(root))
                wait_until(lambda: not marked_processes(token, str(root)), GRACE_SECONDS)
        self.check_state(root, before, ignore, "after the %s" % self.fault_name())
        if not self.killed and self.code not in (0, 1):
            self.check_message()
        self.check_cleanup(root, tmpdir, token, before, ignore)
        if not self.problems:
            shutil.rmtree(base, ignore_errors=True)
        return self.problems

    def fault_name(self):
        kind, arg = self.point
        if kind == "delay":
            return "kill -9 after %.3f s" % arg
        if kind == "pytest":
            return "kill -9 while pytest run %d ran" % arg
        if kind == "stop":
            return "kill -9 at the stopped write"
        return "disk fault"

    def inject(self, proc, token, path):
        kind, arg = self.point
        if kind == "none":
            return
        if kind == "delay":
            try:
                proc.wait(timeout=arg)
                return                      # it ended first: nothing to kill
            except subprocess.TimeoutExpired:
                pass
        elif kind == "pytest":
            seen = set()

            def nth_pytest():
                if proc.poll() is not None:
                    return True
                for pid, cmd in marked_processes(token, path).items():
                    if pid != proc.pid and "pytest" in cmd:
                        seen.add(pid)
                return len(seen) >= arg
            wait_until(nth_pytest, RUN_TIMEOUT, step=0.005)
        elif kind == "stop":
            wait_until(lambda: proc.poll() is not None or process_state(proc.pid) == "T",
                       RUN_TIMEOUT, step=0.005)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            self.killed = True

    def check_state(self, root, before, ignore, when):
        try:
            now = snapshot(root, ignore)
        except RuntimeError as e:
            self.problem("%s git cannot read the repository: %s" % (when, e))
            return
        if now == before:
            if self.accept and self.code == 0 and not self.killed:
                self.problem("%s: exit 0 but nothing was applied" % when)
            return
        if self.accept and now == self.accept:
            return
        self.problem("%s the user's state differs: %s" % (
            when, describe_difference(before, now)))

    def check_message(self):
        text = self.stderr.strip()
        if not text:
            self.problem("exit %s without a message" % self.code)

    def check_cleanup(self, root, tmpdir, token, before, ignore):
        env = Trial.env(token, tmpdir)
        out = subprocess.run([binary(), "cleanup"], cwd=str(root), env=env,
                             capture_output=True, text=True, errors="replace",
                             timeout=RUN_TIMEOUT)
        if out.returncode != 0 and (root / ".pytest-fixer" / "state.db").exists():
            self.problem("cleanup exited %d: %s" % (out.returncode, out.stderr.strip()[-300:]))
        left = [p.name for p in tmpdir.iterdir() if not p.name.startswith("pytest-of-")]
        if left:
            self.problem("temporary directories left after cleanup: %s" % ", ".join(sorted(left)))
        wt = root / ".pytest-fixer" / "worktrees"
        if wt.exists():
            stale = [str(p.relative_to(wt)) for p in wt.glob("*/*")]
            if stale:
                self.problem("work directories left after cleanup: %s" % ", ".join(stale))
        locks = [str(p.relative_to(root)) for p in (root / ".git").rglob("*.lock")]
        if locks:
            self.problem("git lock files left: %s" % ", ".join(locks))
        worktrees = [l for l in git(root, "worktree", "list", "--porcelain").splitlines()
                     if l.startswith("worktree ")]
        if len(worktrees) != 1:
            self.problem("git worktrees left after cleanup: %s" % ", ".join(worktrees[1:]))
        self.check_state(root, before, ignore, "after cleanup")
        if marked_processes(token, str(root)):
            self.problem("processes left after cleanup")
            kill_survivors(token, str(root))


def reference(workdir, template, command):
    """The user's state after a run without faults: what `fix --apply` must leave, whole."""
    base = Path(workdir)
    if base.exists():
        shutil.rmtree(base)
    base.mkdir(parents=True)
    root = base / "project"
    shutil.copytree(template, root, symlinks=True)
    argv = [binary()] + [a.format(info=str(root / "info.json")) for a in COMMANDS[command]]
    env = Trial.env("reference", base)
    out = subprocess.run(argv, cwd=str(root), env=env, capture_output=True, text=True,
                         errors="replace", timeout=RUN_TIMEOUT)
    if out.returncode != 0:
        raise RuntimeError("the reference run of %s failed (exit %d): %s" % (
            command, out.returncode, out.stderr[-2000:]))
    ignore = ("outputs",) if command == "reproduce" else ()
    after = snapshot(root, ignore)
    shutil.rmtree(base, ignore_errors=True)
    return after


def seeded_delay(seed, index, longest):
    """The kill point of trial `index`: uniform in [0, longest), replayable from the seed."""
    return random.Random("%s/%d" % (seed, index)).uniform(0.0, longest)
