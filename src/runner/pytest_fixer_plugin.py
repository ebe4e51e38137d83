"""pytest-fixer's pytest plugin: exact, structured records of a test run.

pytest-fixer writes this file to a private directory and loads it with
``-p pytest_fixer_plugin``. It appends one JSON object per line to the file
named by ``--pytest-fixer-records``:

  {"ev": "session", "rootdir": ..., "pid": ..., "pytest": "7.2.1"}
  {"ev": "start", "id": NODEID, "pid": PID}            a test begins
  {"ev": "end", "id": NODEID, "pid": PID}              ... and is over
  {"ev": "report", "id": NODEID, "when": "setup|call|teardown|collect",
   "outcome": "passed|failed|skipped", "xfail": bool, ...failure fields}
  {"ev": "finish", "exitstatus": N}

Failure fields come from the exception itself, not from parsing text:
error_type, message, frames (project files only, outermost first, paths
relative to rootdir, 1-based lines), traceback (pytest's report text) and
output (captured stdout/stderr), each capped.

It also bounds each test with a timeout (``--pytest-fixer-timeout``):
pytest-fixer sends SIGALRM to the process running a test past its time,
and the handler fails the test with a Timeout error and lets the run go on; a hang the
signal cannot break is killed by pytest-fixer's own watchdog, which reads the
"start" records. Tests whose ids are listed in ``--pytest-fixer-skip-file``
are deselected (used to resume a run after such a kill).

Every line is pure ASCII (ensure_ascii), written with one os.write() on an
O_APPEND descriptor, so records from xdist workers never interleave.
"""

import inspect
import json
import os
import signal
import sys
import time

import pytest

TEXT_CAP = 64 * 1024
ALL_FRAMES_CAP = 200


class Timeout(Exception):
    """The test ran past pytest-fixer's per-test timeout."""


Timeout.__module__ = "builtins"  # reported as plain "Timeout"


def _cap(text):
    if text is None:
        return None
    if not isinstance(text, str):
        text = str(text)
    # lone surrogates (from surrogateescape) cannot be encoded as JSON that
    # strict parsers accept: make them visible escapes instead
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    if len(text) > TEXT_CAP:
        half = TEXT_CAP // 2
        omitted = len(text) - 2 * half
        text = "%s\n[... %d characters omitted ...]\n%s" % (text[:half], omitted, text[-half:])
    return text


class _Records:
    def __init__(self, path):
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)

    held = ""

    def write(self, obj):
        self.write_line(json.dumps(obj, ensure_ascii=True, separators=(",", ":")) + "\n")

    def hold(self, text):
        """Queue a line for the next write (see pytest_runtest_logfinish)."""
        self.held += text

    def write_line(self, text):
        if self.held:
            text, self.held = self.held + text, ""
        view = memoryview(text.encode("ascii"))
        while view:
            n = os.write(self.fd, view)
            view = view[n:]

    def close(self):
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def _is_project_file(path, rootdir):
    if os.path.basename(path).startswith("<"):  # <frozen importlib._bootstrap>, <string>
        return False
    parts = path.replace("\\", "/").split("/")
    if "site-packages" in parts or "dist-packages" in parts:
        return False
    return path == rootdir or path.startswith(rootdir.rstrip(os.sep) + os.sep)


def _error_type(exc):
    cls = type(exc)
    mod = cls.__module__
    if mod in ("builtins", "__main__", "exceptions") or mod.startswith("_pytest") or mod == "pytest":
        return cls.__qualname__
    return "%s.%s" % (mod, cls.__qualname__)


def _frames_of(tb, rootdir, start_path=None):
    """Project frames of a traceback, outermost first.

    With start_path, frames before the first one in that file are dropped
    (pytest's own machinery that called the test)."""
    frames = []
    started = start_path is None
    while tb is not None:
        code = tb.tb_frame.f_code
        path = code.co_filename
        if not path.startswith("<"):
            path = os.path.abspath(path)
        if not started and path == start_path:
            started = True
        hidden = tb.tb_frame.f_locals.get("__tracebackhide__", False) if started else True
        if started and not hidden and _is_project_file(path, rootdir):
            frames.append({"file": os.path.relpath(path, rootdir),
                           "line": tb.tb_lineno, "function": code.co_name})
        tb = tb.tb_next
    if len(frames) > ALL_FRAMES_CAP:  # deep recursion: keep both ends
        half = ALL_FRAMES_CAP // 2
        frames = frames[:half] + frames[-half:]
    return frames


def _cause(exc):
    """The exception a collection error stands for (pytest wraps it)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if type(exc).__name__ != "CollectError":
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def _pytest_timeout_active(config):
    """pytest-timeout is installed and given a timeout: leave SIGALRM to it."""
    if not config.pluginmanager.hasplugin("timeout"):
        return False
    if os.environ.get("PYTEST_TIMEOUT"):
        return True
    for get in (config.getoption, config.getini):
        try:
            if float(get("timeout") or 0) > 0:
                return True
        except (ValueError, TypeError):
            pass
    return False


def _def_line(item):
    """1-based line of the test's `def` (pytest's own location is its first decorator)."""
    try:
        lines, start = inspect.getsourcelines(item.obj)
    except (TypeError, OSError, AttributeError):
        return item.location[1] + 1 if item.location[1] is not None else None
    for i, text in enumerate(lines):
        stripped = text.lstrip()
        if stripped.startswith("def ") or stripped.startswith("async def "):
            return start + i
    return start


def _message(exc):
    if isinstance(exc, SyntaxError):
        return exc.msg or str(exc)
    try:
        return str(exc)
    except Exception as e:  # a broken __str__ must not break the record
        return "<unprintable %s: %s>" % (type(exc).__name__, e)


class PytestFixerPlugin:
    def __init__(self, config, path):
        self.config = config
        self.records = _Records(path)
        self.rootdir = str(config.rootpath)
        self.timeout = config.getoption("pytest_fixer_timeout") or 0
        self.use_alarm = (self.timeout > 0 and hasattr(signal, "SIGALRM")
                          and not _pytest_timeout_active(config))
        self.pid = os.getpid()
        self.current = None
        # under xdist the controller only relays: the workers write test records
        self.runs_tests = (hasattr(config, "workerinput")
                           or getattr(config.option, "dist", "no") == "no")
        self.skip = set()
        skip_file = config.getoption("pytest_fixer_skip_file")
        if skip_file:
            with open(skip_file, encoding="utf-8", errors="surrogateescape") as f:
                self.skip = {line.rstrip("\n") for line in f if line.strip()}

    # session ------------------------------------------------------------
    def pytest_sessionstart(self, session):
        if self.use_alarm and self.runs_tests:
            signal.signal(signal.SIGALRM, self._on_alarm)
        self.records.write({"ev": "session", "rootdir": self.rootdir, "pid": os.getpid(),
                            "pytest": pytest.__version__,
                            "worker": hasattr(self.config, "workerinput")})

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session, exitstatus):
        self.records.write({"ev": "finish", "exitstatus": int(exitstatus),
                            "worker": hasattr(self.config, "workerinput")})
        self.records.close()

    def pytest_collection_modifyitems(self, session, config, items):
        if not self.skip:
            return
        keep, drop = [], []
        for item in items:
            (drop if item.nodeid in self.skip else keep).append(item)
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep

    # collection ----------------------------------------------------------
    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_make_collect_report(self, collector):
        outcome = yield
        rep = outcome.get_result()
        if rep.outcome != "failed":
            return
        call = getattr(rep, "call", None)
        rec = {"ev": "report", "id": rep.nodeid, "when": "collect", "outcome": "failed",
               "traceback": _cap(str(rep.longrepr))}
        exc = _cause(call.excinfo.value) if call is not None and call.excinfo else None
        if exc is not None:
            rec["error_type"] = _error_type(exc)
            rec["message"] = _cap(_message(exc))
            frames = _frames_of(exc.__traceback__, self.rootdir)
            if isinstance(exc, SyntaxError) and exc.filename and exc.lineno:
                path = os.path.abspath(exc.filename)
                if _is_project_file(path, self.rootdir):
                    frames.append({"file": os.path.relpath(path, self.rootdir),
                                   "line": exc.lineno, "function": None})
            rec["frames"] = frames
        else:
            rec["error_type"] = "CollectError"
            rec["message"] = _cap(str(rep.longrepr))
        self.records.write(rec)

    # tests ----------------------------------------------------------------
    # Start and end lines are the only records a passing test costs: they
    # are formatted by hand, and a test's end goes out in the same write as
    # the next test's start (or any other record), so a test costs one
    # write(2). The start is never held back: the watchdog must see it.
    def pytest_runtest_logstart(self, nodeid, location):
        if self.runs_tests:
            self.current = (nodeid, time.monotonic())
            self.records.write_line('{"ev":"start","id":%s,"pid":%d}\n' % (json.dumps(nodeid), self.pid))

    def pytest_runtest_logfinish(self, nodeid, location):
        if self.runs_tests:
            self.current = None
            self.records.hold('{"ev":"end","id":%s,"pid":%d}\n' % (json.dumps(nodeid), self.pid))

    # The per-test timeout costs nothing per test: pytest-fixer follows the
    # start records, and when a test is past its time it sends this process
    # SIGALRM, whose handler raises Timeout inside the test (the traceback
    # shows where it hung). If that cannot break the hang, pytest-fixer
    # kills the run a little later and resumes without the test.
    def _on_alarm(self, signum, frame):
        cur = self.current
        if cur is not None and time.monotonic() - cur[1] >= self.timeout:
            raise Timeout("test exceeded the timeout of %g s" % self.timeout)

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        rep = outcome.get_result()
        if not self.runs_tests:
            return
        xfail = hasattr(rep, "wasxfail")
        if rep.passed and not xfail:
            return   # a test with no report between start and end passed
        rec = {"ev": "report", "id": rep.nodeid, "when": rep.when, "outcome": rep.outcome,
               "xfail": xfail}
        if rep.failed:
            rec.update(self._failure_fields(item, call, rep))
        self.records.write(rec)

    def _failure_fields(self, item, call, rep):
        fields = {"traceback": _cap(str(rep.longrepr))}
        sections = []
        for name, content in rep.sections:
            if content:
                sections.append("----- %s -----\n%s" % (name, content))
        if sections:
            fields["output"] = _cap("\n".join(sections))
        excinfo = call.excinfo
        if excinfo is None:
            # no exception: xfail(strict) that passed
            fields["error_type"] = "XPASS(strict)"
            longrepr = str(rep.longrepr)
            fields["message"] = _cap(longrepr.replace("[XPASS(strict)]", "", 1).strip())
            line = _def_line(item)
            if line:
                fields["frames"] = [{"file": os.path.relpath(str(item.path), self.rootdir),
                                     "line": line, "function": getattr(item, "originalname", item.name)}]
            return fields
        exc = excinfo.value
        fields["error_type"] = _error_type(exc)
        fields["message"] = _cap(_message(exc))
        start = str(item.path) if rep.when == "call" else None
        frames = _frames_of(excinfo.tb, self.rootdir, start)
        if not frames:
            frames = _frames_of(excinfo.tb, self.rootdir)
        fields["frames"] = frames
        return fields


def pytest_addoption(parser):
    group = parser.getgroup("pytest-fixer")
    group.addoption("--pytest-fixer-records", dest="pytest_fixer_records", default=None,
                    help="append structured JSON records of the run to this file")
    group.addoption("--pytest-fixer-timeout", dest="pytest_fixer_timeout", type=float,
                    default=0, help="fail a test that runs longer than this (seconds)")
    group.addoption("--pytest-fixer-skip-file", dest="pytest_fixer_skip_file", default=None,
                    help="deselect the node ids listed in this file")


def pytest_configure(config):
    path = config.getoption("pytest_fixer_records")
    if path:
        config.pluginmanager.register(PytestFixerPlugin(config, path), "pytest-fixer-records")
