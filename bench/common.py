"""Helpers for the benchmark scripts: run commands alternately, compare medians."""
import os
import statistics
import subprocess
import time


def time_once(argv, cwd=None, env=None):
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def compare(label_a, argv_a, label_b, argv_b, rounds, cwd=None, env=None, warmup=1):
    """Run A and B alternately (so drift hits both) and return their median times."""
    for _ in range(warmup):
        time_once(argv_a, cwd, env)
        time_once(argv_b, cwd, env)
    ta, tb = [], []
    for _ in range(rounds):
        ta.append(time_once(argv_a, cwd, env))
        tb.append(time_once(argv_b, cwd, env))
    ma, mb = statistics.median(ta), statistics.median(tb)
    print("%-28s median %.3f s  (min %.3f, max %.3f, %d runs)" % (label_a, ma, min(ta), max(ta), rounds))
    print("%-28s median %.3f s  (min %.3f, max %.3f, %d runs)" % (label_b, mb, min(tb), max(tb), rounds))
    return ma, mb


def binary():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.environ.get("PYTEST_FIXER_BIN", os.path.join(here, "..", "build", "pytest-fixer"))


# ---- shared by fix_corpus.py and seeded_library.py ----------------------------------------

import difflib
import json
import signal
import threading

# gates at which a candidate had run tests (it applied, parsed and weakened nothing);
# "timeout": its tests ran out of time. An attempt that passed every gate counts too.
TEST_GATES = ("target", "flaky", "regression", "timeout")


def fix_errors(report):
    """The errors (failures or failure groups) of a `fix --json` report, [] when none."""
    errors = report.get("errors") if isinstance(report, dict) else None
    return errors if isinstance(errors, list) else []


def fix_attempts(report):
    """(error, attempt) for every attempt of a `fix --json` report."""
    for e in fix_errors(report):
        for a in e.get("attempts") or []:
            yield e, a


def reached_test_gate(attempt):
    """The attempt ran tests: it passed, or a test gate rejected it."""
    status = attempt.get("status")
    return status == "passed" or (status == "failed" and attempt.get("gate") in TEST_GATES)


def all_fixed(report):
    errors = fix_errors(report)
    return bool(errors) and all(e.get("status") == "fixed" for e in errors)


def winning_diffs(report, repo=None):
    """The distinct diffs of the fixes: with `repo`, each fixed error's commit there (the
    change that won: with --check-behaviour several attempts may pass every gate);
    else, or for an error without a commit, those of the attempts that passed every
    gate, in report order."""
    out = []
    for e in fix_errors(report):
        diffs = []
        if repo and e.get("commit"):
            shown = subprocess.run(["git", "-C", repo, "show", "--format=", e["commit"]],
                                   capture_output=True, text=True)
            if shown.returncode == 0 and shown.stdout:
                diffs = [shown.stdout]
        if not diffs:
            diffs = [a["diff"] for a in e.get("attempts") or []
                     if a.get("status") == "passed" and a.get("diff")]
        for d in diffs:
            if d not in out:
                out.append(d)
    return out


def target_ids(error):
    """The node ids an error's target gate runs: its failure's id, or its group's ids."""
    ids = []
    for key in ("failures", "members", "group", "tests", "ids"):
        v = error.get(key)
        if isinstance(v, list):
            for item in v:
                if isinstance(item, str):
                    ids.append(item)
                elif isinstance(item, dict) and isinstance(item.get("id"), str):
                    ids.append(item["id"])
    if not ids:
        f = error.get("failure")
        if isinstance(f, dict) and isinstance(f.get("id"), str):
            ids.append(f["id"])
        elif isinstance(error.get("id"), str):
            ids.append(error["id"])
    return list(dict.fromkeys(ids))


def diff_lines(diff):
    """The removed and added lines of a unified diff (every file, every hunk), in order."""
    removed, added = [], []
    old = new = 0
    for line in diff.split("\n"):
        if old > 0 or new > 0:
            tag, text = line[:1], line[1:]
            if tag == "-":
                removed.append(text)
                old -= 1
            elif tag == "+":
                added.append(text)
                new -= 1
            elif tag == "\\":
                continue
            else:  # context (" ", or an empty line standing for one)
                old -= 1
                new -= 1
            continue
        if line.startswith("@@"):
            head = line.split("@@")[1].split()
            old = _hunk_len(head[0])
            new = _hunk_len(head[1])
    return removed, added


def _hunk_len(field):
    parts = field[1:].split(",")
    return int(parts[1]) if len(parts) > 1 else 1


def squash(line):
    """A line with no whitespace at all: what whitespace-insensitive comparisons compare."""
    return "".join(line.split())


def net_change(old_lines, new_lines):
    """What changes from old_lines to new_lines, whitespace-insensitive: (removed, added),
    blank lines left out."""
    a = [squash(x) for x in old_lines if squash(x)]
    b = [squash(x) for x in new_lines if squash(x)]
    removed, added = [], []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag in ("replace", "delete"):
            removed += a[i1:i2]
        if tag in ("replace", "insert"):
            added += b[j1:j2]
    return removed, added


def diff_is_change(diff, old_text, new_text):
    """The diff makes exactly the change from old_text to new_text (each one or more lines),
    whitespace-insensitive."""
    return net_change(*diff_lines(diff)) == net_change(old_text.split("\n"), new_text.split("\n"))


def _tree_rss_kib(root):
    """The resident memory of `root` and its descendants (and its process group), in KiB."""
    parent, group, rss = {}, {}, {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                stat = f.read()
            fields = stat[stat.rindex(")") + 2:].split()
            parent[int(pid)] = int(fields[1])
            group[int(pid)] = int(fields[2])
            rss[int(pid)] = int(fields[21]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
        except (OSError, ValueError, IndexError):
            continue
    tree = {root}
    grew = True
    while grew:
        grew = False
        for pid, ppid in parent.items():
            if pid not in tree and (ppid in tree or group.get(pid) == root):
                tree.add(pid)
                grew = True
    return sum(rss.get(pid, 0) for pid in tree)


def run_measured(argv, cwd=None, env=None, timeout=None, poll=0.05):
    """Run argv in its own process group; return a dict: rc (None on timeout, when the group
    is killed), stdout, stderr (text), wall (s), maxrss_kib (the largest single process of the
    tree, from wait4), tree_rss_kib (the largest sum over the tree, polled in /proc) and
    stderr_at: (seconds since the start, line) for each stderr line as it came."""
    import tempfile
    out = tempfile.TemporaryFile()
    start = time.perf_counter()
    p = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.PIPE,
                         start_new_session=True)
    peak = [0]
    done = threading.Event()
    stderr_at = []

    def read_stderr():
        for raw in p.stderr:
            stderr_at.append((time.perf_counter() - start, raw.decode("utf-8", "replace")))

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()

    def watch():
        while not done.is_set():
            peak[0] = max(peak[0], _tree_rss_kib(p.pid))
            done.wait(poll)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    timer = None
    if timeout:
        def kill():
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
        timer = threading.Timer(timeout, kill)
        timer.start()
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - start
    p.returncode = os.waitstatus_to_exitcode(status)
    timed_out = timer is not None and not timer.is_alive() and p.returncode == -signal.SIGKILL
    if timer:
        timer.cancel()
    try:  # what the command left running in its group
        os.killpg(p.pid, signal.SIGKILL)
    except OSError:
        pass
    done.set()
    watcher.join()
    reader.join()
    p.stderr.close()
    out.seek(0)
    return {"rc": None if timed_out else p.returncode,
            "stdout": out.read().decode("utf-8", "replace"),
            "stderr": "".join(line for _, line in stderr_at),
            "stderr_at": stderr_at,
            "wall": wall, "maxrss_kib": usage.ru_maxrss, "tree_rss_kib": peak[0]}


def fix_json(run):
    """The parsed report of a `fix --json` run_measured() result, or None."""
    try:
        got = json.loads(run["stdout"])
    except ValueError:
        return None
    return got if isinstance(got, dict) else None


def last_line(text):
    lines = [x for x in text.strip().splitlines() if x.strip()]
    return lines[-1] if lines else ""


PYTEST = ["/usr/bin/python3", "-m", "pytest", "-q", "-p", "no:cacheprovider"]


def fix_env(data_dir=None):
    """The environment of a measured `fix`: Debian's pytest, no bytecode written; with
    data_dir, the machine's knowledge base there (a run learns from its own projects only,
    not from what earlier runs on this machine left)."""
    env = dict(os.environ, PYTEST_FIXER_PYTEST=" ".join(PYTEST[:3]), PYTHONDONTWRITEBYTECODE="1")
    if data_dir:
        env["PYTEST_FIXER_DATA_DIR"] = data_dir
    return env


def candidate_phase(run):
    """Seconds of a `fix` run from its first failure's progress line to its "done" line (the
    stderr progress of a non-terminal): the candidates' part, without the baseline before it
    and the report after; None without both lines."""
    first = done = None
    for at, line in run.get("stderr_at") or []:
        if first is None and "progress: [" in line:
            first = at
        elif "progress: done" in line:
            done = at
    return done - first if first is not None and done is not None else None


def fix_argv(jobs=0, *extra):
    """`fix --engine builtin --non-interactive --json`, with -j N when jobs, then extra."""
    argv = [binary(), "fix", "--engine", "builtin", "--non-interactive", "--json"]
    if jobs:
        argv += ["-j", str(jobs)]
    return argv + list(extra)
