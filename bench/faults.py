"""Fault injection at scale: kill -9 of `fix`, `fix --apply` and `reproduce` at
seeded random points and at named ones, and the disk-fault matrix of
`fix --apply` (ENOSPC and EIO at every write, fsync, rename and open it makes
in the user's files, and at seeded writes anywhere in the project), each checked
by tests/faults/faultkit.py. Prints "kills survived / tried" per command and
"disk faults survived / tried", then what went wrong, grouped, with the trials
to replay.

    nice python3 bench/faults.py [--kills 100] [--seed 1] [--parallel 1]
                                 [--commands fix,"fix --apply",reproduce]
                                 [--no-named] [--no-disk] [--only-index I] [--workdir DIR]

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


def write_points(writes, skip):
    """`after` byte counts that fail each write to the files `skip` leaves, whole and
    cut short in its middle."""
    points, done = [], 0
    for rel, size in writes:
        if any(s in "/" + rel for s in skip):
            continue
        points.append(done)
        if size > 1:
            points.append(done + size // 2)
        done += size
    return points


def run_all(jobs, parallel, tally, quiet):
    """Run (key, trial) pairs; a trial that is None is skipped."""
    def one(job):
        key, trial = job
        trial.run()
        return key, trial
    with concurrent.futures.ThreadPoolExecutor(max_workers=parallel) as pool:
        for key, trial in pool.map(one, jobs):
            tally.add(key, trial)
            if not quiet:
                print("%s %s" % (trial.mark(), trial.label), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kills", type=int, default=100, help="seeded kills per command")
    ap.add_argument("--seed", default="1")
    ap.add_argument("--parallel", type=int, default=1, help="trials at once")
    ap.add_argument("--commands", default="fix,fix --apply,reproduce")
    ap.add_argument("--no-named", action="store_true", help="no kills at named points")
    ap.add_argument("--no-disk", action="store_true", help="no disk-fault matrix")
    ap.add_argument("--only-index", type=int, help="replay one seeded kill")
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
    kills, named, disk = Tally(), Tally(), Tally()
    started = time.monotonic()
    for command in commands:
        t0 = time.monotonic()
        accept = fk.reference(work / "reference", template, command) \
            if command == "fix --apply" else None
        duration = time.monotonic() - t0
        if accept is None:
            t0 = time.monotonic()
            fk.reference(work / "reference", template, command)
            duration = time.monotonic() - t0
        print("%s: a run without faults takes %.1f s" % (command, duration), flush=True)
        slug = command.replace(" --", "-")
        indices = [args.only_index] if args.only_index is not None else range(args.kills)
        jobs = []
        for i in indices:
            delay = fk.seeded_delay(args.seed, i, duration)
            label = "%s seed %s index %d: kill -9 after %.3f s" % (command, args.seed, i, delay)
            jobs.append((command, fk.Trial(work / ("%s-%d" % (slug, i)), template, command,
                                           ("delay", delay), label, accept=accept)))
        run_all(jobs, args.parallel, kills, args.quiet)
        if args.only_index is not None or args.no_named:
            continue
        jobs = []
        for n in range(1, MAX_PYTEST_RUNS + 1):
            jobs.append((command, fk.Trial(work / ("%s-pytest-%d" % (slug, n)), template, command,
                                           ("pytest", n), "%s: kill -9 at pytest run %d"
                                           % (command, n), accept=accept)))
        places = [{"path": ".git/refs/heads", "op": "write"},
                  {"path": ".git/objects", "op": "open"},
                  {"path": ".pytest-fixer", "op": "open"}]
        if command == "fix --apply":
            places += [{"skip": fk.USER_FILES_SKIP, "op": op}
                       for op in ("open", "write", "fsync", "rename")]
        if command == "reproduce":
            places += [{"path": "outputs", "op": "open"}]
        for place in places:
            for k in range(MAX_STOPS):
                settings = dict(place, after=k)
                point = ("stop", settings)
                label = "%s: kill -9 at %s" % (command, fk.describe_call(settings))
                trial = fk.Trial(work / ("%s-stop-%d" % (slug, len(named.problems) + k)),
                                 template, command, point, label, accept=accept)
                trial.run()
                named.add(command, trial)
                if not args.quiet:
                    print("%s %s" % (trial.mark(), label), flush=True)
                if not trial.reached:
                    break
        run_all(jobs, args.parallel, named, args.quiet)

    if "fix --apply" in commands and not args.no_disk and args.only_index is None:
        command = "fix --apply"
        accept = fk.reference(work / "reference", template, command)
        writes = user_writes(template, work / "count", command)
        for errno_name in ERRNOS:
            # every write to the user's files (whole and cut short), every fsync, rename, open
            places = []
            if writes is not None:
                places += [{"skip": fk.USER_FILES_SKIP, "op": "write", "after": a}
                           for a in write_points(writes, fk.USER_FILES_SKIP)]
            for op in ("write", "fsync", "rename", "open"):
                if op == "write" and writes is not None:
                    continue
                places += [{"skip": fk.USER_FILES_SKIP, "op": op, "after": k, "_series": op}
                           for k in range(MAX_STOPS)]
            series_done = set()
            for settings in places:
                series = settings.pop("_series", None)
                if series in series_done:
                    continue
                settings["errno_name"] = errno_name
                label = "%s: %s at %s" % (command, errno_name, fk.describe_call(settings))
                trial = fk.Trial(work / ("disk-%d" % len(disk.problems)), template, command,
                                 ("fault", settings), label, accept=accept)
                trial.run()
                disk.add("%s user files" % errno_name, trial)
                if not args.quiet:
                    print("%s %s" % (trial.mark(), label), flush=True)
                if series and not trial.reached:
                    series_done.add(series)
            # seeded writes anywhere in the project: the store, git, the work directories
            total = sum(size for _, size in writes) if writes else 200000
            jobs = []
            for i in range(ANYWHERE_FAULTS):
                after = int(fk.seeded_delay("%s/%s" % (args.seed, errno_name), i, total))
                settings = {"op": "write", "after": after, "errno_name": errno_name}
                label = "%s: %s at %s" % (command, errno_name, fk.describe_call(settings))
                jobs.append(("%s anywhere" % errno_name,
                             fk.Trial(work / ("disk-any-%s-%d" % (errno_name, i)), template,
                                      command, ("fault", settings), label, accept=accept)))
            run_all(jobs, args.parallel, disk, args.quiet)

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
