"""Fault injection at scale: kill -9 of `fix`, `fix --apply` and `reproduce` at
seeded random points and at named ones, and the disk-fault matrix of
`fix --apply` (ENOSPC and EIO at every write, fsync, rename and open it makes
in the user's files, and at seeded writes anywhere in the project), each checked
by tests/faults/faultkit.py. Prints "kills survived / tried" per command and
"disk faults survived / tried", then what went wrong, grouped, with the trials
to replay.

    nice python3 bench/faults.py [--kills 100] [--seed 1] [--parallel 1]
                                 [--commands fix,"fix --apply",reproduce]
                                 [--no-named] [--no-disk] [--only-index I] [--minutes M]
                                 [--workdir DIR]

A kill point is uniform in [0, the command's own duration) from a generator
seeded by "<seed>/<index>" (--only-index replays one); the named points are
each pytest run in turn and each write of the branch refs, the store and the
user's files (the shim stops the process there, and it is killed). A trial
whose run ended before its point was reached is counted apart, not as tried.
"""
import argparse
import collections
import concurrent.futures
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "faults"))
import faultkit as fk  # noqa: E402

# named "pytest run n" points tried per command, at most
MAX_PYTEST_RUNS = 12
# stop points per named place (an op under a path), at most
MAX_STOPS = 16
# seeded disk faults anywhere in the project (store, git, work directories), per errno
ANYWHERE_FAULTS = 12
ERRNOS = ("ENOSPC", "EIO")


class Tally:
    def __init__(self):
        self.tried = collections.Counter()
        self.survived = collections.Counter()
        self.not_reached = collections.Counter()
        self.problems = []

    def add(self, key, trial):
        if not (trial.killed or trial.reached) and trial.point[0] != "none":
            self.not_reached[key] += 1
            if not trial.problems:
                return
        self.tried[key] += 1
        if trial.problems:
            self.problems.extend(zip(trial.kinds, trial.problems))
        else:
            self.survived[key] += 1


def user_writes(template, workdir, command):
    """The sizes of the writes `command` makes to files under the project, in order, as
    (path relative to the project, bytes), from strace (None without strace)."""
    if not shutil.which("strace"):
        return None
    base = Path(workdir)
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    root = base / "project"
    shutil.copytree(template, root, symlinks=True)
    (base / "tmp").mkdir()
    log = base / "strace.log"
    argv = [fk.binary()] + [a.format(info=str(root / "info.json")) for a in fk.COMMANDS[command]]
    subprocess.run(["strace", "-f", "-qq", "-y", "-e", "trace=write,pwrite64,writev,pwritev,execve",
                    "-e", "signal=none", "-o", str(log)] + argv,
                   cwd=str(root), env=fk.Trial.env("count", base / "tmp"), capture_output=True,
                   timeout=fk.RUN_TIMEOUT)
    execs, writes = set(), []
    pattern = re.compile(r"^(\d+) +(p?writev?(?:64)?)\(\d+<([^>]*)>.*\) = (\d+)$")
    lines = log.read_text(errors="replace").splitlines()
    for line in lines:
        m = re.match(r"^(\d+) +execve\(", line)
        if m and line != lines[0]:
            execs.add(m.group(1))      # a child: the shim leaves children alone
    for line in lines:
        m = pattern.match(line)
        if not m or m.group(1) in execs:
            continue
        path = m.group(3)
        if path.startswith(str(root) + "/"):
            writes.append((path[len(str(root)) + 1:], int(m.group(4))))
    shutil.rmtree(base, ignore_errors=True)
    return writes


def write_points(writes, path="", skip=(), middles=True):
    """`after` byte counts that stop or fail each write to the files under `path` that
    `skip` leaves (and, with `middles`, that cut each one short in its middle)."""
    points, done = [], 0
    prefix = path.rstrip("/") + "/" if path else ""
    for rel, size in writes:
        if rel.startswith(prefix) and not any(s in "/" + rel for s in skip):
            points.append(done)
            if middles and size > 1:
                points.append(done + size // 2)
            done += size
    return points


class Runner:
    """Runs trials into tallies, each under its own directory, until a deadline."""

    def __init__(self, work, template, parallel, quiet):
        self.work, self.template = work, template
        self.parallel, self.quiet = parallel, quiet
        self.count = 0
        self.deadline = None
        self.skipped = 0

    def trial(self, command, point, label, accept):
        self.count += 1
        return fk.Trial(self.work / ("t%04d" % self.count), self.template, command, point,
                        label, accept=accept)

    def late(self):
        return self.deadline is not None and time.monotonic() > self.deadline

    def one(self, tally, key, trial):
        if self.late():
            self.skipped += 1
            return None
        trial.run()
        tally.add(key, trial)
        if not self.quiet:
            print("%s %s" % (trial.mark(), trial.label), flush=True)
        return trial

    def all(self, tally, jobs):
        """Run (key, trial) pairs, `parallel` at a time."""
        with concurrent.futures.ThreadPoolExecutor(max_workers=self.parallel) as pool:
            list(pool.map(lambda job: self.one(tally, *job), jobs))

    def series(self, tally, key, make, points=None):
        """Run make(k) for k in `points` (0, 1, ...) until one's point is not reached."""
        for k in (points if points is not None else range(MAX_STOPS))[:MAX_STOPS]:
            t = self.one(tally, key, make(k))
            if t is None or not (t.reached or t.killed):
                break


def named_places(command):
    """Where a named kill stops the command: an op under a path, at each index."""
    places = [{"path": ".git/refs/heads", "op": "write"},
              {"path": ".git/objects", "op": "open"},
              {"path": ".pytest-fixer", "op": "open"}]
    if command == "fix --apply":
        places += [{"skip": fk.USER_FILES_SKIP, "op": op} for op in ("write", "fsync", "rename")]
    if command == "reproduce":
        places += [{"path": "outputs", "op": "write"}]
    return places


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kills", type=int, default=100, help="seeded kills per command")
    ap.add_argument("--seed", default="1")
    ap.add_argument("--parallel", type=int, default=1, help="trials at once")
    ap.add_argument("--commands", default="fix,fix --apply,reproduce")
    ap.add_argument("--no-named", action="store_true", help="no kills at named points")
    ap.add_argument("--no-disk", action="store_true", help="no disk-fault matrix")
    ap.add_argument("--only-index", type=int, help="replay one seeded kill")
    ap.add_argument("--minutes", type=float, help="time budget: half for the seeded kills, a "
                    "quarter each for the named kills and the disk faults; trials not started "
                    "by then are left out (and counted)")
    ap.add_argument("--workdir", help="where the trials run (kept when a trial fails)")
    ap.add_argument("-q", "--quiet", action="store_true")
    args = ap.parse_args()
    commands = [c.strip() for c in args.commands.split(",") if c.strip()]
    for c in commands:
        if c not in fk.COMMANDS:
            ap.error("unknown command '%s' (one of: %s)" % (c, ", ".join(fk.COMMANDS)))

    work = Path(args.workdir or tempfile.mkdtemp(prefix="pf-faults-"))
    work.mkdir(parents=True, exist_ok=True)
    template = fk.make_template(work / "template")
    run = Runner(work, template, args.parallel, args.quiet)
    kills, named, disk = Tally(), Tally(), Tally()
    started = time.monotonic()
    budget = args.minutes * 60 if args.minutes else None

    def section(share):
        if budget is not None:
            run.deadline = max(run.deadline or started, time.monotonic()) + budget * share

    # how long each command takes without faults, and what --apply leaves
    duration, accept, writes = {}, {}, {}
    for command in commands:
        writes[command] = user_writes(template, work / "count", command)
        t0 = time.monotonic()
        after = fk.reference(work / "reference", template, command)
        duration[command] = time.monotonic() - t0
        accept[command] = after if command == "fix --apply" else None
        print("%s: a run without faults takes %.1f s" % (command, duration[command]), flush=True)

    # seeded kills, the commands in turn
    section(0.5)
    indices = [args.only_index] if args.only_index is not None else range(args.kills)
    jobs = []
    for i in indices:
        for command in commands:
            delay = fk.seeded_delay(args.seed, i, duration[command])
            label = "%s seed %s index %d: kill -9 after %.3f s" % (command, args.seed, i, delay)
            jobs.append((command, run.trial(command, ("delay", delay), label, accept[command])))
    run.all(kills, jobs)

    # named kills: at each pytest run, and at each write of git, the store, the user's files
    if args.only_index is None and not args.no_named:
        section(0.25)
        for command in commands:
            for place in named_places(command):
                points = None
                if place["op"] == "write":          # `after` counts bytes: each write's start
                    if writes[command] is None:
                        continue
                    points = write_points(writes[command], place.get("path", ""),
                                          place.get("skip", ()), middles=False)
                run.series(named, command, lambda k, c=command, p=place: run.trial(
                    c, ("stop", dict(p, after=k)),
                    "%s: kill -9 at %s" % (c, fk.describe_call(dict(p, after=k))), accept[c]),
                    points)
        jobs = [(c, run.trial(c, ("pytest", n), "%s: kill -9 at pytest run %d" % (c, n),
                              accept[c]))
                for n in range(1, MAX_PYTEST_RUNS + 1) for c in commands]
        run.all(named, jobs)

    # the disk-fault matrix of fix --apply
    command = "fix --apply"
    if command in commands and not args.no_disk and args.only_index is None:
        section(0.25)
        writes = writes[command]

        def fault(key, settings):
            label = "%s: %s at %s" % (command, settings["errno_name"], fk.describe_call(settings))
            return run.trial(command, ("fault", settings), label, accept[command])
        for errno_name in ERRNOS:
            key = "%s user files" % errno_name
            # every write to the user's files (whole and cut short), every fsync and rename
            if writes is not None:
                for after in write_points(writes, skip=fk.USER_FILES_SKIP):
                    run.one(disk, key, fault(key, {"skip": fk.USER_FILES_SKIP, "op": "write",
                                                   "after": after, "errno_name": errno_name}))
            for op in ("fsync", "rename") + (("write",) if writes is None else ()):
                run.series(disk, key, lambda k, op=op, e=errno_name, key=key: fault(
                    key, {"skip": fk.USER_FILES_SKIP, "op": op, "after": k, "errno_name": e}))
        # seeded writes anywhere in the project: the store, git, the work directories
        total = sum(size for _, size in writes) if writes else 200000
        jobs = []
        for i in range(ANYWHERE_FAULTS):
            for errno_name in ERRNOS:
                after = int(fk.seeded_delay("%s/%s" % (args.seed, errno_name), i, total))
                key = "%s anywhere" % errno_name
                jobs.append((key, fault(key, {"op": "write", "after": after,
                                              "errno_name": errno_name})))
        run.all(disk, jobs)

    print()
    print("== after %.0f s (seed %s) ==" % (time.monotonic() - started, args.seed))
    for command in commands:
        print("%-12s kills survived %3d / %-3d  (%d ended before the kill)" % (
            command, kills.survived[command], kills.tried[command], kills.not_reached[command]))
        if named.tried[command] or named.not_reached[command]:
            print("%-12s named kills survived %3d / %-3d" % (
                command, named.survived[command], named.tried[command]))
    for key in sorted(disk.tried):
        print("disk faults (fix --apply, %s) survived %3d / %-3d  (%d not reached)" % (
            key, disk.survived[key], disk.tried[key], disk.not_reached[key]))
    if run.skipped:
        print("(%d trials left out: out of time)" % run.skipped)
    problems = kills.problems + named.problems + disk.problems
    if problems:
        kinds = collections.Counter(k for k, _ in problems)
        print("\nwhat went wrong (trials, by kind), and the first trial of each:")
        for kind, n in kinds.most_common():
            print("  %4d  %s" % (n, kind))
            print("        " + next(p for k, p in problems if k == kind)[:400])
        print("(trial directories kept under %s)" % work)
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
