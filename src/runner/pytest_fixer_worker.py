"""pytest-fixer's warm test worker (src/runner/worker.h).

pytest-fixer starts the project's pytest with ``-p pytest_fixer_plugin -p
pytest_fixer_worker --pytest-fixer-serve=FD``: pytest configures and collects
as ever (conftests, test modules and the project imported once), then, instead
of running the tests, this plugin serves runs over the socket at FD, one JSON
object a line each way (never stdout/stderr: pytest's capture owns them):

  worker -> us   {"ev": "ready", "pid": PID, "items": N, "collect_errors": [NODEID...]}
  us -> worker   {"ids": [ARG...], "skip": [NODEID...], "records": PATH, "out": PATH,
                  "timeout": S}
  worker -> us   {"ev": "fallback", "reason": TEXT}                 nothing was run
             or  {"ev": "started", "pid": CHILD, "limit": S}        S = 0: no limit
                 then {"ev": "done", "how": "ok|crashed|signal",
                       "exitstatus": N, "signal": N, "reason": TEXT}

ids are pytest arguments (a node id, or a file or directory selecting the
collected items under it; none: every collected item); those in skip are left
out. What changed on disk since the worker started must be a change inside
function bodies (the module's skeleton, its compiled code without the bodies
and line numbers, is the same), else the request is a fallback. For each
request the worker forks a child in a process group of its own (its pid is
the group's, for us to kill past the limit). The child sends its output to
`out`, patches the changed function bodies into the live function objects
(their __code__ swapped, so every reference sees them), writes our plugin's records to `records` (session ... finish, as a fresh run)
and runs the items through pytest_runtest_protocol as pytest's runtestloop
does, its tracebacks formatted as --tb=line does (a run here judges a
candidate: the records' error types, messages and frames come from the
exception itself, not from that text).

The limit: max(LIMIT_FLOOR, LIMIT_FACTOR x the longest durations measured for
the tests) plus `timeout` for each test never measured, at most `timeout` per
test (timeout 0: no bound for tests never measured).

A screen request (pytest_worker_screen() in pytest.c) adds
  "screen": [{"records": PATH, "files": {PROJECT_FILE: TEXT_FILE}}, ...]
one entry a run: the same tests run once for each, in turn, in one child
(no fork per run), each with its files' function bodies patched in over the
functions as imported (no "files": as they are; functools caches of patched
functions cleared). The child writes a line per run to the worker,
{"run": I, "exitstatus": N} or {"run": I, "skipped": WHY}; a run past its
limit ends the child ({"run": I, "limit": S} first). The "done" reply
carries them as "runs".

A probe request (pytest_worker_probe() in probe.c, issue 17),
  {"probe": SPEC, "results": PATH, "out": PATH, "timeout": S}
runs the probe of runner/probe.h in a child (pytest_fixer_probe.py): SPEC
is the spec file, PATH the results file; no call or mutant starts past S
seconds (0: no bound; it is the "started" reply's limit). Changed function
bodies are patched in first, as for a run (a change elsewhere: fallback).
The "done" reply says "ok" once the child wrote the results' "end" (or an
"error" line); otherwise how it ended, with a "reason" (stopped at the
limit, a call hung in C code).
"""

import ctypes
import doctest   # noqa: F401 (our plugin imports it for each failure: once here, not per child)
import gc
import inspect
import json
import os
import signal
import sys
import time
import traceback
import types

import pytest

CRASH_EXIT = 70
WATCHDOG_GRACE = 1.0
ALARM_INTERVAL = 0.05
LIMIT_FLOOR = 0.5
LIMIT_FACTOR = 10.0
PR_SET_PDEATHSIG = 1
CHILD_ORPHANED = 111
SIGKILL = 9

# The functions of the project that ran while the worker imported and
# collected it: a change to one of them cannot be patched in (what it
# computed then would differ in a fresh process).
_ran_at_startup = set()
_serving = any(a.startswith("--pytest-fixer-serve") for a in sys.argv)


def _caches_of(functions):
    """The functools caches (lru_cache, cache) wrapping any of `functions`, in their
    modules and classes: a run's results must not reach the next run through them."""
    found, seen = [], set()
    for f in functions:
        mod = sys.modules.get(getattr(f, "__module__", None) or "")
        if mod is None or id(mod) in seen:
            continue
        seen.add(id(mod))
        values = list(vars(mod).values())
        for v in list(values):
            if isinstance(v, type) and v.__module__ == mod.__name__:
                values.extend(vars(v).values())
        for v in values:
            v = getattr(v, "__func__", v)   # a staticmethod or classmethod
            if callable(getattr(v, "cache_clear", None)) and \
                    getattr(v, "__wrapped__", None) in functions:
                found.append(v)
    return found


class Timeout(Exception):
    """A screened run's test past its time limit (raised inside it by SIGALRM)."""


def _on_call(frame, event, arg):
    """A global trace function: called at each call only (no line events)."""
    _ran_at_startup.add(frame.f_code)


if _serving:
    sys.settrace(_on_call)


def pytest_addoption(parser):
    parser.getgroup("pytest-fixer").addoption(
        "--pytest-fixer-serve", dest="pytest_fixer_serve", type=int, default=None,
        help="serve test runs over this socket instead of running the tests (pytest-fixer)")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    fd = config.getoption("pytest_fixer_serve")
    if fd is None:
        sys.settrace(None)
        return
    os.set_inheritable(fd, False)
    # the worker runs each request's tests itself, in one process
    if getattr(config.option, "dist", "no") != "no":
        config.option.dist = "no"
        config.option.numprocesses = None
    config.pluginmanager.register(Server(config, fd), "pytest-fixer-worker")


def _is_project_file(path, roots):
    parts = path.split(os.sep)
    if "site-packages" in parts or "dist-packages" in parts:
        return False
    return any(path.startswith(root + os.sep) for root in roots)


def _split(arg, base):
    path, _, rest = arg.partition("::")
    return os.path.normpath(os.path.join(base, path)), rest


CO_NEWLOCALS, CO_VARARGS, CO_VARKEYWORDS = 0x2, 0x4, 0x8


def _shape(code, prefix, defs):
    """A compiled module's skeleton: everything but function bodies, line
    numbers left out (bytecode, constants and names of the module and class
    bodies, each def's signature and docstring). Its defs (methods too, not
    nested functions) go into `defs` by qualified name."""
    consts = []
    for c in code.co_consts:
        if not isinstance(c, types.CodeType):
            consts.append((type(c).__name__, repr(c)))
            continue
        name = getattr(c, "co_qualname", prefix + c.co_name)
        if c.co_name.startswith("<"):        # a lambda or comprehension: module level
            consts.append(("code", _shape(c, name + ".", {})))
        elif c.co_flags & CO_NEWLOCALS:      # a def: its body may change
            defs[name] = c
            nargs = c.co_argcount + c.co_kwonlyargcount
            doc = c.co_consts[0] if c.co_consts and isinstance(c.co_consts[0], str) else None
            consts.append(("def", name, c.co_argcount, c.co_posonlyargcount,
                           c.co_kwonlyargcount, c.co_varnames[:nargs],
                           c.co_flags & (CO_VARARGS | CO_VARKEYWORDS), doc))
        else:                                # a class body
            consts.append(("class", _shape(c, name + ".", defs)))
    return (code.co_code, tuple(consts), code.co_names)


def _compiled_shape(source, path):
    defs = {}
    return _shape(compile(source, path, "exec", dont_inherit=True), "", defs), defs


def _live_functions(mod, path):
    """The function objects whose code comes from `path`, by qualified name."""
    found = {}
    seen = set()

    def add(obj):
        while obj is not None and id(obj) not in seen:
            seen.add(id(obj))
            if isinstance(obj, (staticmethod, classmethod)):
                obj = obj.__func__
                continue
            if isinstance(obj, property):
                for f in (obj.fget, obj.fset, obj.fdel):
                    add(f)
                return
            if isinstance(obj, type):
                if obj.__module__ == mod.__name__:
                    for v in list(vars(obj).values()):
                        add(v)
                return
            if isinstance(obj, types.FunctionType) and obj.__code__.co_filename == path:
                name = getattr(obj.__code__, "co_qualname", obj.__qualname__)
                found.setdefault(name, []).append(obj)
            try:
                obj = getattr(obj, "__wrapped__", None)
            except Exception:
                return

    for v in list(vars(mod).values()):
        add(v)
    return found


class Server:
    def __init__(self, config, fd):
        self.config = config
        self.fd = fd
        self.collect_errors = []
        self.durations = {}
        self.files = {}
        self.plans = {}    # path -> (its last content, its patches or why not)
        self.shapes = {}   # path -> the skeleton and defs of what was imported
        self.live = {}     # path -> its live function objects by qualified name
        self.session = None
        self.keys = []
        self.probe = None   # pytest_fixer_probe, imported for the first probe

    @pytest.hookimpl(tryfirst=True)
    def pytest_collectreport(self, report):
        if report.failed:
            self.collect_errors.append(report.nodeid)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session):
        sys.settrace(None)
        self.session = session
        self.base = str(self.config.invocation_params.dir)
        self.rootdir = str(self.config.rootpath)
        self.roots = {os.path.normpath(self.base), os.path.normpath(self.rootdir)}
        self.keys = []
        for item in session.items:
            path = os.path.normpath(str(item.path))
            self.keys.append((item, path, item.nodeid.partition("::")[2]))
        self._snapshot()
        # what every child would otherwise do again: inspect's map of files to modules
        inspect.getmodule(Server._snapshot.__code__)
        try:
            self.prctl = ctypes.CDLL(None, use_errno=True).prctl
        except (OSError, AttributeError):
            self.prctl = None
        self.worker_pid = os.getpid()
        # the objects of this process are shared with each child until
        # written: out of the collector's sight, a child's collections copy none
        gc.collect()
        gc.freeze()
        sock = __import__("socket").socket(fileno=self.fd)
        self.sock = sock
        self._send({"ev": "ready", "pid": os.getpid(), "items": len(session.items),
                    "collect_errors": self.collect_errors})
        lines = sock.makefile("rb")
        for line in lines:
            try:
                req = json.loads(line)
            except ValueError:
                self._send({"ev": "fallback", "reason": "a request that is not JSON"})
                continue
            self._serve(req)
        # the channel closed: nothing of this process is wanted any more (no
        # summary, no session end: each run was a child's)
        os._exit(0)

    # what was imported ------------------------------------------------------
    def _snapshot(self):
        mods = list(sys.modules.values())
        mods += [p for p in self.config.pluginmanager.get_plugins() if isinstance(p, types.ModuleType)]
        for item, _, _ in self.keys:
            mod = getattr(item, "module", None)
            if isinstance(mod, types.ModuleType):
                mods.append(mod)
        here = os.path.dirname(os.path.abspath(__file__))
        for mod in mods:
            f = getattr(mod, "__file__", None)
            if not isinstance(f, str):
                continue
            path = os.path.abspath(f)
            if path in self.files or os.path.dirname(path) == here:
                continue
            if not _is_project_file(path, self.roots):
                continue
            try:
                st = os.stat(path)
                data = None
                if path.endswith(".py"):
                    with open(path, "rb") as fh:
                        data = fh.read()
            except OSError:
                continue
            self.files[path] = (mod, st.st_mtime_ns, st.st_size, data)

    def _rel(self, path):
        return os.path.relpath(path, self.rootdir)

    def _plan(self):
        """What changed on disk since the worker started, as (function, new
        code) patches for a child, or the reason it cannot be patched in."""
        patches = []
        for path, (mod, mtime, size, old) in self.files.items():
            try:
                st = os.stat(path)
            except OSError:
                return None, "'%s' was removed" % self._rel(path)
            if (st.st_mtime_ns, st.st_size) == (mtime, size):
                continue
            if old is None:
                return None, "'%s' changed and is not Python source" % self._rel(path)
            try:
                with open(path, "rb") as fh:
                    new = fh.read()
            except OSError as e:
                return None, "cannot read '%s': %s" % (self._rel(path), e)
            if new == old:
                continue
            # the last content of each file is remembered: a candidate's runs share it
            cached = self.plans.get(path)
            if cached is None or cached[0] != new:
                cached = (new, self._patches(mod, path, old, new))
                self.plans[path] = cached
            if isinstance(cached[1], str):
                return None, cached[1]
            patches.extend(cached[1])
        return patches, None

    def _patches(self, mod, path, old, new):
        rel = self._rel(path)
        try:
            if path not in self.shapes:
                self.shapes[path] = _compiled_shape(old, path)
            old_shape, old_defs = self.shapes[path]
            new_shape, new_defs = _compiled_shape(new, path)
        except (SyntaxError, ValueError) as e:
            return "'%s' does not compile: %s" % (rel, e)
        if old_shape != new_shape:
            return "'%s' changed outside function bodies" % rel
        conftest = os.path.basename(path) == "conftest.py"
        patches = []
        for name, code in new_defs.items():
            if old_defs[name] == code:
                continue
            if conftest and name.rpartition(".")[2].startswith("pytest_"):
                return "the hook '%s' of '%s' changed" % (name, rel)
            if path not in self.live:
                self.live[path] = _live_functions(mod, path)
            fns = self.live[path].get(name)
            if not fns:
                return "'%s' of '%s' cannot be found to patch" % (name, rel)
            for f in fns:
                if f.__code__ in _ran_at_startup:
                    return "'%s' of '%s' ran while the worker imported the project" % (name, rel)
                if f.__code__.co_freevars != code.co_freevars:
                    return "'%s' of '%s' closes over other variables" % (name, rel)
                patches.append((f, code))
        return patches

    # requests ---------------------------------------------------------------
    def _send(self, obj):
        self.sock.sendall((json.dumps(obj, ensure_ascii=True) + "\n").encode("ascii"))

    def _match(self, arg):
        path, rest = _split(arg, self.base)
        out = []
        for item, ipath, irest in self.keys:
            if not rest:
                if ipath == path or ipath.startswith(path + os.sep):
                    out.append(item)
            elif ipath == path and (irest == rest or irest.startswith(rest + "::")
                                    or irest.startswith(rest + "[")):
                out.append(item)
        return out

    def _select(self, ids, skip):
        """The items a fresh run of `ids` would run, or the reason the worker cannot tell."""
        if not ids:
            if self.collect_errors:
                return None, "the collection had errors"
            return [it for it, _, _ in self.keys if it.nodeid not in skip], None
        broken = [_split(e, self.rootdir)[0] for e in self.collect_errors]
        chosen, seen = [], set()
        for arg in ids:
            path = _split(arg, self.base)[0]
            for b in broken:
                if b == path or b.startswith(path + os.sep) or path.startswith(b + os.sep):
                    return None, "'%s' did not collect in the worker" % arg
            items = self._match(arg)
            if not items:
                return None, "'%s' is not among the tests the worker collected" % arg
            for it in items:
                if id(it) not in seen and it.nodeid not in skip:
                    seen.add(id(it))
                    chosen.append(it)
        return chosen, None

    def _limit(self, items, timeout):
        known = [self.durations[it.nodeid] for it in items if it.nodeid in self.durations]
        unknown = len(items) - len(known)
        if unknown and timeout <= 0:
            return 0
        limit = (max(LIMIT_FLOOR, LIMIT_FACTOR * sum(known)) if known else 0) + unknown * timeout
        if timeout > 0:
            limit = min(limit, timeout * max(len(items), 1))
        return limit

    def _screen_runs(self, screen, patches):
        """Each run of a screen request: (records, its patches or why it cannot run)."""
        base = {}
        for f, code in patches:
            base.setdefault(f.__code__.co_filename, []).append((f, code))
        runs = []
        for run in screen:
            files = run.get("files") or {}
            mine = dict(base)
            why = None
            for path, source in files.items():
                path = os.path.abspath(path)
                entry = self.files.get(path)
                if entry is None or entry[3] is None:
                    why = "'%s' is not a module the worker imported" % path
                    break
                try:
                    with open(source, "rb") as fh:
                        new = fh.read()
                except OSError as e:
                    why = "cannot read '%s': %s" % (source, e)
                    break
                got = self._patches(entry[0], path, entry[3], new)
                if isinstance(got, str):
                    why = got
                    break
                mine[path] = got
            runs.append((run.get("records"), None if why else
                         [p for ps in mine.values() for p in ps], why))
        return runs

    def _serve(self, req):
        if "probe" in req:
            self._serve_probe(req)
            return
        items, why = self._select(req.get("ids") or [], set(req.get("skip") or []))
        if not why:
            patches, why = self._plan()
        screen = req.get("screen")
        if not why and screen is not None:
            if not isinstance(screen, list) or not screen:
                why = "a screen request without runs"
            else:
                patches = self._screen_runs(screen, patches)
        if why:
            self._send({"ev": "fallback", "reason": why})
            return
        limit = self._limit(items, float(req.get("timeout") or 0))
        if screen is not None:
            # each run has its own limit in the child: the whole, a run at a time
            req["run_limit"] = limit
            limit = limit * len(screen) if limit else 0
        pid, lines = self._fork(req, limit, lambda w: self._child(req, items, patches, w))
        info, runs = {}, []
        for obj in lines:
            if "run" in obj:
                runs.append(obj)
            else:
                info = obj
        reply = {"ev": "done"}
        if screen is not None:
            reply["runs"] = runs
        if "exitstatus" in info:
            for nodeid, took in info.get("durations", {}).items():
                self.durations[nodeid] = max(took, self.durations.get(nodeid, 0.0))
        self._done(pid, reply, info)

    def _serve_probe(self, req):
        patches, why = self._plan()
        if not why and not all(isinstance(req.get(k), str) for k in ("probe", "results", "out")):
            why = "a probe request without its files"
        if not why and self.probe is None:
            try:
                import pytest_fixer_probe
                self.probe = pytest_fixer_probe
            except ImportError as e:
                why = "cannot import the probe: %s" % e
        if why:
            self._send({"ev": "fallback", "reason": why})
            return
        limit = float(req.get("timeout") or 0)
        pid, lines = self._fork(req, limit, lambda w: self._child_probe(req, patches, w))
        info = {}
        for obj in lines:
            info.update(obj)
        reply = {"ev": "done"}
        if "exitstatus" not in info:
            reply["reason"] = info.get("hung") or info.get("stopped")
        self._done(pid, reply, info)

    def _fork(self, req, limit, body):
        """Fork a child in a process group of its own (its pid is the group's, for
        us to kill past the limit), set up as every child is (_enter_child), that
        runs body(w), w the write end of a pipe to this process and its result the
        child's exit status. Say "started"; return its pid and the JSON objects it
        wrote to the pipe (once it closed it: it ended, or said all)."""
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            code = CRASH_EXIT
            try:
                os.close(r)
                self._enter_child(req)
                code = body(w)
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(code)
        os.close(w)
        try:
            os.setpgid(pid, pid)   # the child does it too: whichever runs first
        except OSError:
            pass
        self._send({"ev": "started", "pid": pid, "limit": limit})
        chunks = []
        while True:
            data = os.read(r, 65536)
            if not data:
                break
            chunks.append(data)
        os.close(r)
        lines = []
        for line in b"".join(chunks).splitlines():
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict):
                lines.append(obj)
        return pid, lines

    def _done(self, pid, reply, info):
        """Say "done": "ok" once the child said its exit status, else how it ended."""
        if "exitstatus" in info:
            # its records are written: the answer need not wait for its exit
            reply.update(how="ok", exitstatus=info["exitstatus"])
            self._send(reply)
            os.waitpid(pid, 0)
            return
        _, status = os.waitpid(pid, 0)
        if os.WIFSIGNALED(status):
            reply.update(how="signal", signal=os.WTERMSIG(status))
        else:
            reply.update(how="crashed")
            if not reply.get("reason"):
                reply["reason"] = "the child exited with %d" % os.WEXITSTATUS(status)
        self._send(reply)

    # the child ---------------------------------------------------------------
    def _enter_child(self, req):
        if self.prctl is not None:   # it dies with the worker
            self.prctl(PR_SET_PDEATHSIG, SIGKILL)
        if os.getppid() != self.worker_pid:
            os._exit(CHILD_ORPHANED)   # the worker died before that: no signal will come
        os.setpgid(0, 0)
        os.close(self.fd)
        self._redirect(req["out"])

    def _child(self, req, items, patches, w):
        if req.get("screen") is not None:
            return self._child_screen(req, items, patches, w)
        for f, code in patches:
            f.__code__ = code
        # a run here judges a candidate by verdicts, error types and messages
        # (taken from the exception itself): its tracebacks are formatted as
        # --tb=line does (_run_items), not read from the source for every frame
        status, durations = self._run_items(items, req["records"])
        sys.stdout.flush()
        sys.stderr.flush()
        os.write(w, json.dumps({"exitstatus": status, "durations": durations}).encode())
        os.close(w)   # the worker answers now, while this process exits
        return 0

    def _run_items(self, items, records):
        """One run of `items` with our plugin's records in `records`, as _child's: the exit
        status and the durations."""
        session = self.session
        self.config.option.tbstyle = "line"
        plugin = self.config.pluginmanager.get_plugin("pytest-fixer-records")
        plugin.records.close()
        plugin.records = type(plugin.records)(records)
        plugin.pid = os.getpid()
        plugin.current = None
        plugin.raised = {}
        plugin.hidden_failures = 0
        session.testsfailed = 0
        session.shouldfail = session.shouldstop = False
        plugin.pytest_sessionstart(session)
        durations = {}
        for i, item in enumerate(items):
            nextitem = items[i + 1] if i + 1 < len(items) else None
            start = time.monotonic()
            item.config.hook.pytest_runtest_protocol(item=item, nextitem=nextitem)
            durations[item.nodeid] = time.monotonic() - start
            if session.shouldfail or session.shouldstop:
                break
        status = pytest.ExitCode.TESTS_FAILED if session.testsfailed else (
            pytest.ExitCode.OK if items else pytest.ExitCode.NO_TESTS_COLLECTED)
        session.exitstatus = status
        plugin.pytest_sessionfinish(session, status)
        return int(status), durations

    def _child_screen(self, req, items, runs, w):
        """Screening: every run of the request in turn in this one child, each with its
        own patches over the functions as imported (no fork per run). A line per run goes
        to `w` once it is done ({"run": i, "exitstatus": N} or {"run": i, "skipped":
        WHY}); a run past its limit ends the child, the line {"run": i, "limit": S}
        written first by a watchdog thread."""
        import threading
        original = {}
        for _, patches, _ in runs:
            for f, _ in patches or []:
                original.setdefault(f, f.__code__)
        caches = _caches_of(original)
        run_limit = float(req.get("run_limit") or 0)
        current = [None, 0.0]   # the run going on, and its deadline

        def watchdog():
            while True:
                time.sleep(0.01)
                i, deadline = current
                if i is not None and deadline and time.monotonic() > deadline:
                    os.write(w, (json.dumps({"run": i, "limit": run_limit}) + "\n").encode())
                    os._exit(0)

        def on_alarm(signum, frame):
            raise Timeout("the test did not finish within %.3g s (its time limit from the "
                          "durations measured before)" % run_limit)

        if run_limit:
            threading.Thread(target=watchdog, daemon=True).start()
            signal.signal(signal.SIGALRM, on_alarm)
        durations = {}
        for i, (records, patches, why) in enumerate(runs):
            if why is not None:
                os.write(w, (json.dumps({"run": i, "skipped": why}) + "\n").encode())
                continue
            for f, code in original.items():
                f.__code__ = code
            for f, code in patches:
                f.__code__ = code
            for f in caches:
                f.cache_clear()
            # a loop in Python is broken by SIGALRM inside the test (it fails with
            # Timeout, as does each test of the run after it, and the runs go on);
            # one in C code by the watchdog, a little later
            grace = WATCHDOG_GRACE + ALARM_INTERVAL * 2 * len(items)
            current[:] = [i, time.monotonic() + run_limit + grace if run_limit else 0.0]
            if run_limit:
                signal.setitimer(signal.ITIMER_REAL, run_limit, ALARM_INTERVAL)
            try:
                status, took = self._run_items(items, records)
            except BaseException as e:
                # interrupted outside a test: pytest's state cannot be trusted past here
                os.write(w, (json.dumps({"run": i, "skipped": "interrupted: %s" % e})
                             + "\n").encode())
                os._exit(0)
            finally:
                if run_limit:
                    signal.setitimer(signal.ITIMER_REAL, 0)
            current[:] = [None, 0.0]
            if i == 0:
                # the files as they are, measured: the limit of the runs after it
                durations = took
                if took and len(took) == len(items):
                    measured = max(LIMIT_FLOOR, LIMIT_FACTOR * sum(took.values()))
                    run_limit = min(run_limit, measured) if run_limit else measured
            sys.stdout.flush()
            sys.stderr.flush()
            os.write(w, (json.dumps({"run": i, "exitstatus": status}) + "\n").encode())
        os.write(w, (json.dumps({"exitstatus": 0, "durations": durations}) + "\n").encode())
        os.close(w)
        return 0

    def _child_probe(self, req, patches, w):
        for f, code in patches:
            f.__code__ = code
        # the calls print to `out` itself, not to pytest's capture of this process
        capman = self.config.pluginmanager.get_plugin("capturemanager")
        if capman is not None:
            capman.stop_global_capturing()

        def report(obj):
            os.write(w, (json.dumps(obj) + "\n").encode())

        self.probe.run(req["probe"], req["results"], [self.base, self.rootdir], report,
                       float(req.get("timeout") or 0))
        sys.stdout.flush()
        sys.stderr.flush()
        report({"exitstatus": 0})
        os.close(w)
        return 0

    def _redirect(self, path):
        """stdout and stderr to `path`, also where pytest's capture puts them back."""
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        targets = {1, 2}
        capman = self.config.pluginmanager.get_plugin("capturemanager")
        capturing = getattr(capman, "_global_capturing", None)
        for name in ("out", "err"):
            saved = getattr(getattr(capturing, name, None), "targetfd_save", None)
            if isinstance(saved, int):
                targets.add(saved)
        for t in targets:
            os.dup2(fd, t)
        os.close(fd)
