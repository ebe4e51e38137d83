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
  nothing; right after a kill each file may be either, none torn or lost,
  and cleanup must make the whole one or the other);
- no process of the run is left a second after a kill (each carries the
  marker in its environment or the project's path in its command line; /proc
  is scanned), and no test of it ends after the kill;
- `pytest-fixer cleanup` exits 0 and then no temporary directory, work
  directory, git lock file or git worktree of the run is left, and the
  user's state is still the same.

Every problem found is a line of text naming the trial (command, seed, point)
so it can be replayed: `Trial(...).run()` with the same arguments.
"""
import hashlib
import os
import random
import re
import shutil
import signal
import subprocess
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
DEATH_SECONDS = 1.0
# test_add appends the time it ended to the file this variable names: one that ended
# after we were killed outlived us, however soon it ended
DONE_VAR = "PYTEST_FIXER_FAULTS_DONE"

# Two independent one-token bugs in two files: fix --apply writes both.
PROJECT = {
    "pytest.ini": "[pytest]\n",
    "README.md": "# two bugs\n",
    "calc.py": (
        "def add(a, b):\n    return a + b\n\n\n"
        "def clamp(x, lo, hi):\n    \"\"\"x limited to [lo, hi].\"\"\"\n"
        "    return max(lo, max(x, hi))\n"),
    "people.py": (
        "\"\"\"People.\"\"\"\n\n\n"
        "def is_adult(age):\n    \"\"\"18 or older.\"\"\"\n    return age > 18\n\n\n"
        "def full_name(first, last):\n    return first + \" \" + last\n"),
    "tests/test_calc.py": (
        "import os\nimport time\n\nfrom calc import add, clamp\n\n\n"
        "def test_add():\n    time.sleep(%s)\n"
        "    with open(os.environ['%s'], 'a') as f:\n"
        "        f.write('%%r %%d\\n' %% (time.time(), os.getpid()))\n"
        "    assert add(2, 3) == 5\n\n\n"
        "def test_clamp_inside():\n    assert clamp(5, 0, 10) == 5\n"
    ) % (SLOW_TEST_SECONDS, DONE_VAR),
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
    "tests/test_calc.py:15: AssertionError",
    "=========================== short test summary info ============================",
    "FAILED tests/test_calc.py::test_clamp_inside - assert 10 == 5",
    "========================= 1 failed, 3 passed in 0.35s ==========================",
]) + "\n"

COMMANDS = {
    "fix": ["fix", "--non-interactive", "--engine", "builtin", "-j", "2"],
    "fix --apply": ["fix", "--non-interactive", "--engine", "builtin", "-j", "2", "--apply"],
    "reproduce": ["reproduce", "{info}", "-j", "2"],
    "generate": ["generate", "people.py", "--seed", "3", "--time-budget", "30"],
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
    # unstaged edits in both files the fixes touch, a few lines from those they change
    (dest / "people.py").write_text(PROJECT["people.py"].replace("People.", "People, and ages."))
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
            skip = (".git", ".pytest-fixer") + tuple(ignore)
            dirnames[:] = [d for d in dirnames if d not in skip]
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

def shim():
    """The LD_PRELOAD shim that fails writes, fsyncs, renames and opens under a path
    (tests/faults/faultfs.c): PF_FAULTFS (set by CTest), the build's copy, or compiled
    here once."""
    path = os.environ.get("PF_FAULTFS")
    if path and os.path.exists(path):
        return path
    built = Path(binary()).resolve().parent / "tests" / "libfaultfs.so"
    if built.exists():
        return str(built)
    so = Path(os.environ.get("TMPDIR", "/tmp")) / ("faultfs-%d.so" % os.getuid())
    src = HERE / "faultfs.c"
    if not so.exists() or so.stat().st_mtime < src.stat().st_mtime:
        tmp = Path(str(so) + ".%d" % os.getpid())
        subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-o", str(tmp), str(src), "-ldl"],
                       check=True)
        os.replace(tmp, so)
    return str(so)


def shim_env(path, skip=None, op="write", after=0, errno_name="ENOSPC", count=None):
    """The environment that makes the `after`-th matching `op` under `path` fail
    (for "write", `after` is in bytes: what fits before the disk is full)."""
    env = {"LD_PRELOAD": shim(), "PF_FAULT_PATH": str(path), "PF_FAULT_OP": op,
           "PF_FAULT_AFTER": str(after), "PF_FAULT_ERRNO": errno_name}
    if skip:
        env["PF_FAULT_SKIP"] = ",".join(skip)
    if count is not None:
        env["PF_FAULT_COUNT"] = str(count)
    # an ASan build wants its runtime first in the list; the shim does not use it
    asan = os.environ.get("ASAN_OPTIONS", "")
    env["ASAN_OPTIONS"] = (asan + ":" if asan else "") + "verify_asan_link_order=0"
    return env


# the user's files: the project but git's and our own state (the directories too, which
# are synced; a substring match, so a .gitignore would be spared as well: the project has none)
USER_FILES_SKIP = ("/.git", "/.pytest-fixer")


def blocked_on_fifo(pid):
    """True when a thread of `pid` waits in open() for a reader of a FIFO: the shim,
    given a FIFO as PF_FAULT_LOG, stops there at the call it was to fail."""
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return False
    for tid in tids:
        try:
            with open("/proc/%d/task/%s/wchan" % (pid, tid)) as f:
                if f.read().strip() in ("wait_for_partner", "fifo_open"):
                    return True
        except OSError:
            pass
    return False


# ---- a trial -----------------------------------------------------------------------------

class Trial:
    """One command on a fresh copy of the project, with one fault.

    point is one of
      ("delay", seconds)  kill -9 after that long (nothing, if the run ended first);
      ("pytest", n)       kill -9 once the n-th pytest process of the run has started;
      ("stop", shim)      kill -9 at the call the shim settings `shim` (a dict of
                          shim_env() arguments, `path` relative to the project) select:
                          the shim blocks there on a FIFO, so the process stops before it;
      ("fault", shim)     no kill: that call fails (ENOSPC, EIO);
      ("none", None)      no fault at all.
    accept: for `fix --apply`, the state a whole run leaves (all or nothing).
    After run(): problems (empty when the trial survived), killed (a kill -9 was sent),
    reached (the stop or fault point was reached), code, stderr.
    """

    def __init__(self, workdir, template, command, point, label, accept=None):
        self.workdir = Path(workdir)
        self.template = Path(template)
        self.command = command
        self.point = point
        self.label = label
        self.accept = accept
        self.problems = []
        self.kinds = []
        self.code = None
        self.killed = False
        self.killed_at = None
        self.reached = False
        self.stderr = ""

    def mark(self):
        """"ok", "FAIL", or "----" when the fault point was not reached."""
        if self.problems:
            return "FAIL"
        if self.point[0] != "none" and not (self.killed or self.reached):
            return "----"
        return "ok  "

    def problem(self, text):
        """`text`: what went wrong, then ": " and the details."""
        self.problems.append("%s: %s" % (self.label, text))
        self.kinds.append(re.sub(r"\d+", "N", text.split(": ", 1)[0]))

    @staticmethod
    def env(token, tmpdir):
        env = dict(os.environ)
        for var in ("PYTEST_FIXER_PYTEST", "PYTEST_ADDOPTS", "LD_PRELOAD"):
            env.pop(var, None)
        env = {k: v for k, v in env.items() if not k.startswith("PF_FAULT_")}
        env.update({"PYTEST_FIXER_PYTEST": SYSTEM_PYTEST, "NO_COLOR": "1",
                    "TMPDIR": str(tmpdir), MARK_VAR: token, "PYTHONDONTWRITEBYTECODE": "1",
                    DONE_VAR: str(Path(tmpdir).parent / "tests-done.log")})
        return env

    def fault_env(self, root, base):
        kind, arg = self.point
        if kind not in ("stop", "fault"):
            return {}
        settings = dict(arg)
        settings["path"] = root / settings.get("path", "")
        env = shim_env(**settings)
        log = base / "faults.log"
        if kind == "stop":
            os.mkfifo(log)
        env["PF_FAULT_LOG"] = str(log)
        return env

    def run(self):
        token = "%d-%d" % (os.getpid(), time.monotonic_ns())
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
        env.update(self.fault_env(root, base))
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
        if self.point[0] == "fault":
            self.reached = (base / "faults.log").exists() and \
                bool((base / "faults.log").read_text().strip())
        self.check_processes(token, str(root), "after the run")
        if self.killed:
            self.check_tests_ended_before(base / "tests-done.log")
        self.check_state(root, before, ignore, "after the run", whole=False)
        if not self.killed and self.code not in (0, 1) and not self.stderr.strip():
            self.problem("exit %s without a message" % self.code)
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
            return "kill -9 at %s" % describe_call(arg)
        if kind == "fault":
            return "%s at %s" % (arg.get("errno_name", "ENOSPC"), describe_call(arg))
        return "run"

    def inject(self, proc, token, path):
        kind, arg = self.point
        if kind in ("none", "fault"):
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
            wait_until(lambda: proc.poll() is not None or blocked_on_fifo(proc.pid),
                       RUN_TIMEOUT, step=0.005)
            self.reached = proc.poll() is None
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            self.killed = True
            self.killed_at = time.time()     # it is gone: a child of it runs no more code

    def check_tests_ended_before(self, log):
        if not log.exists():
            return
        late = [line.split() for line in log.read_text().splitlines()
                if line.strip() and float(line.split()[0]) > self.killed_at]
        if late:
            self.problem("a test ran on after the kill: pytest %s ended %.2f s after it" % (
                late[0][1], float(late[0][0]) - self.killed_at))

    def check_processes(self, token, path, when):
        gone = wait_until(lambda: not marked_processes(token, path), DEATH_SECONDS)
        if gone:
            return
        survivors = marked_processes(token, path)
        self.problem("%d process(es) outlived the run (%s): %s" % (
            len(survivors), when,
            "; ".join("%d %s" % (p, c[:120]) for p, c in survivors.items())))
        if not wait_until(lambda: not marked_processes(token, path), GRACE_SECONDS):
            kill_survivors(token, path)
            wait_until(lambda: not marked_processes(token, path), GRACE_SECONDS)

    def check_state(self, root, before, ignore, when, whole=True):
        """The user's state is `before`, or the state a whole run leaves (`accept`).
        Not `whole`: right after a kill -9 of `fix --apply` between two files, each
        file may be either and temporary files may be there (cleanup, like SQLite
        with its journal, must finish the job), but none may be torn or lost and
        nothing else may change."""
        try:
            now = snapshot(root, ignore)
        except RuntimeError as e:
            self.problem("git cannot read the repository (%s): %s" % (when, e))
            return
        if now == before:
            if self.accept and self.code == 0 and not self.killed:
                self.problem("exit 0 but nothing was applied (%s)" % when)
            return
        if self.accept and now == self.accept:
            return
        if self.accept and not whole and self.killed and mixed(before, self.accept, now):
            return
        self.problem("the user's state differs (%s): %s" % (
            when, describe_difference(before, now)))

    def check_cleanup(self, root, tmpdir, token, before, ignore):
        out = subprocess.run([binary(), "cleanup"], cwd=str(root), env=Trial.env(token, tmpdir),
                             capture_output=True, text=True, errors="replace",
                             timeout=RUN_TIMEOUT)
        if out.returncode != 0 and (root / ".pytest-fixer" / "state.db").exists():
            self.problem("cleanup exited %d: %s" % (out.returncode, out.stderr.strip()[-300:]))
        self.check_processes(token, str(root), "after cleanup")
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
        try:
            worktrees = [l for l in git(root, "worktree", "list", "--porcelain").splitlines()
                         if l.startswith("worktree ")]
            if len(worktrees) != 1:
                self.problem("git worktrees left after cleanup: %s" % ", ".join(worktrees[1:]))
        except RuntimeError as e:
            self.problem("git worktree list fails after cleanup: %s" % e)
        self.check_state(root, before, ignore, "after cleanup")


def mixed(before, after, now):
    """Each of the user's files is as in `before` or as in `after` (new files, the
    temporaries of an interrupted apply, are for cleanup to remove), nothing else differs."""
    if any(now[k] != before[k] for k in now if k != "files"):
        return False
    return all(f in now["files"] and now["files"][f] in (h, after["files"].get(f))
               for f, h in before["files"].items())


def describe_call(settings):
    """"the 3rd rename under .git" for shim settings."""
    n = int(settings.get("after", 0))
    where = settings.get("path") or "the project"
    if settings.get("skip"):
        where += " (but %s)" % ", ".join(settings["skip"])
    if settings.get("op", "write") == "write":
        return "the write after %d bytes under %s" % (n, where)
    return "%s #%d under %s" % (settings["op"], n + 1, where)


def reference(workdir, template, command):
    """The user's state after a run without faults: what `fix --apply` must leave, whole."""
    base = Path(workdir)
    if base.exists():
        shutil.rmtree(base)
    base.mkdir(parents=True)
    root = base / "project"
    shutil.copytree(template, root, symlinks=True)
    argv = [binary()] + [a.format(info=str(root / "info.json")) for a in COMMANDS[command]]
    (base / "tmp").mkdir()
    env = Trial.env("reference", base / "tmp")
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
