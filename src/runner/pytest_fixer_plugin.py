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

Stress runs and order analysis (pytest-fixer's stress module) use these:

  --pytest-fixer-order-file=PATH   node ids, one a line: the session runs
      exactly those items in that order (the others are deselected). An id
      that was not collected gets a collect report record (error_type
      "NotCollected") and the session stops with a usage error (exit 4).
  --pytest-fixer-reverse           run the items in reverse order (after
      the order file, if any): what a file's last tests leave behind meets
      the tests before them.
  --pytest-fixer-seed=N            shuffle the items with random.Random(N);
      with iterations, iteration i is shuffled with random.Random(N + i).
  --pytest-fixer-iterations=K      run the selected items K times in this
      one session (the same item objects again; every fixture is torn down
      at the end of each iteration, as at the end of a session).
  --pytest-fixer-deadline=EPOCH    stop before starting a test once
      time.time() has reached EPOCH (wall clock seconds)...
  --pytest-fixer-time-limit=S      ... or S seconds after the session began.

With a seed, iterations or a deadline the plugin runs the test loop itself:
start, end and report records gain "iter" (0-based) and "seed" (the seed
iteration i was shuffled with, null when not shuffled), and each iteration
ends with
  {"ev": "iteration", "iter": I, "seed": S, "complete": bool,
   "stopped": null|"deadline"|"interrupt"|"maxfail"|"stop"}
where an incomplete iteration is one cut short by the deadline, Ctrl-C,
-x/--maxfail or a plugin's session.shouldstop (the loop stops there; all but
the deadline then end the session as pytest would). The
terminal summary then leaves out failure tracebacks and the short summary
(pytest's costs time quadratic in the iterations); the records have them.

Every line is pure ASCII (ensure_ascii), written with one os.write() on an
O_APPEND descriptor, so records from xdist workers never interleave.
"""

import inspect
import json
import os
import random
import signal
import sys
import threading
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


def _doctest_failure(exc):
    """The first failed example of a doctest's exception, or None."""
    import doctest
    if isinstance(exc, (doctest.DocTestFailure, doctest.UnexpectedException)):
        return exc
    failures = getattr(exc, "failures", None)   # pytest's MultipleDoctestFailures
    if type(exc).__name__ == "MultipleDoctestFailures" and failures:
        return failures[0]
    return None


def _doctest_difference(item, example, got):
    """ "Expected: ... Got: ...", as pytest's report of a doctest says it."""
    import doctest
    try:
        from _pytest.doctest import _get_checker, _get_report_choice
        checker = _get_checker()
        choice = _get_report_choice(item.config.getoption("doctestreport"))
    except Exception:   # pytest's private helpers moved: the standard library's words
        checker, choice = doctest.OutputChecker(), 0
    return checker.output_difference(example, got, choice).strip()


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
        self.order_file = config.getoption("pytest_fixer_order_file")
        self.seed = config.getoption("pytest_fixer_seed")
        self.reverse = config.getoption("pytest_fixer_reverse")
        self.iterations = config.getoption("pytest_fixer_iterations")
        self.deadline = config.getoption("pytest_fixer_deadline")
        self.time_limit = config.getoption("pytest_fixer_time_limit")
        self.loop = (self.seed is not None or self.iterations is not None
                     or self.deadline is not None or self.time_limit is not None)
        if self.iterations is not None and self.iterations < 1:
            raise pytest.UsageError("--pytest-fixer-iterations must be at least 1")
        if self.loop and getattr(config.option, "dist", "no") != "no":
            raise pytest.UsageError("pytest-fixer's iterations, seed and deadline cannot be "
                                    "combined with pytest-xdist (-n/--dist)")
        self.iter_fields = ""   # ',"iter":I,"seed":S' inside the loop
        self.iter_info = None   # {"iter": I, "seed": S} inside the loop
        self.raised = {}        # node id -> the exception its call raised (see _raised_fields)
        self.hidden_failures = 0
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
        if self.hidden_failures and exitstatus == 0:
            exitstatus = session.exitstatus = pytest.ExitCode.TESTS_FAILED
        self.records.write({"ev": "finish", "exitstatus": int(exitstatus),
                            "worker": hasattr(self.config, "workerinput")})
        self.records.close()

    @pytest.hookimpl(trylast=True)   # after other plugins' reordering: ours is final
    def pytest_collection_modifyitems(self, session, config, items):
        if self.skip:
            keep, drop = [], []
            for item in items:
                (drop if item.nodeid in self.skip else keep).append(item)
            if drop:
                config.hook.pytest_deselected(items=drop)
                items[:] = keep
        if self.order_file:
            self._apply_order(config, items)
        if self.reverse:
            items.reverse()

    def _apply_order(self, config, items):
        with open(self.order_file, encoding="utf-8", errors="surrogateescape") as f:
            wanted = [line.rstrip("\n") for line in f if line.strip()]
        by_id = {}
        for item in items:
            by_id.setdefault(item.nodeid, item)
        missing = [nodeid for nodeid in wanted if nodeid not in by_id]
        if missing:
            for nodeid in missing:
                self.records.write({"ev": "report", "id": nodeid, "when": "collect",
                                    "outcome": "failed", "error_type": "NotCollected",
                                    "message": "not collected: %s" % nodeid, "frames": []})
            raise pytest.UsageError("pytest-fixer: not collected: %s" % ", ".join(missing))
        chosen = [by_id[nodeid] for nodeid in wanted]
        listed = set(wanted)
        drop = [item for item in items if item.nodeid not in listed]
        if drop:
            config.hook.pytest_deselected(items=drop)
        items[:] = chosen

    # the test loop of stress runs ----------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session):
        if not self.loop:
            return None
        if session.testsfailed and not session.config.option.continue_on_collection_errors:
            raise session.Interrupted("%d error%s during collection" % (
                session.testsfailed, "s" if session.testsfailed != 1 else ""))
        if session.config.option.collectonly:
            return True
        deadline = self.deadline
        if self.time_limit is not None:
            own = time.time() + self.time_limit
            deadline = own if deadline is None else min(deadline, own)
        base = list(session.items)
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None and hasattr(reporter, "_show_progress_info"):
            # "[100%]" after every test of a repeated run measures a line that
            # only grows: quadratic time for a meaningless number
            reporter._show_progress_info = False
        try:
            for i in range(self.iterations or 1):
                seed = None if self.seed is None else self.seed + i
                items = base
                if seed is not None:
                    items = list(base)
                    random.Random(seed).shuffle(items)
                stopped = self._run_iteration(session, items, i, seed, deadline)
                if session.shouldfail:
                    raise session.Failed(session.shouldfail)
                if session.shouldstop:
                    raise session.Interrupted(session.shouldstop)
                if stopped:
                    return True
        finally:
            self._quiet_summary()
        return True

    def _quiet_summary(self):
        """Leave per-failure tracebacks and the short summary out of the terminal summary.

        pytest's summary costs time quadratic in the reports (each failure
        looks through every report for its teardown sections): after
        thousands of iterations it would take longer than the tests. The
        records hold every failure already."""
        self.config.option.tbstyle = "no"
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None and hasattr(reporter, "reportchars"):
            reporter.reportchars = ""

    def _run_iteration(self, session, items, i, seed, deadline):
        """Run one iteration; the reason it was cut short, or None."""
        self.iter_info = {"iter": i, "seed": seed}
        self.iter_fields = ',"iter":%d,"seed":%s' % (i, "null" if seed is None else int(seed))
        stopped = None
        try:
            for j, item in enumerate(items):
                if deadline is not None and time.time() >= deadline:
                    stopped = "deadline"
                    break
                # the last item of an iteration tears everything down, so the
                # next iteration sets its fixtures up afresh
                nextitem = items[j + 1] if j + 1 < len(items) else None
                item.config.hook.pytest_runtest_protocol(item=item, nextitem=nextitem)
                if session.shouldfail or session.shouldstop:
                    stopped = "maxfail" if session.shouldfail else "stop"
                    break
        except KeyboardInterrupt:
            self._end_iteration(i, seed, "interrupt")
            raise
        self._end_iteration(i, seed, stopped)
        return stopped

    def _end_iteration(self, i, seed, stopped):
        self.iter_info = None
        self.iter_fields = ""
        self.records.write({"ev": "iteration", "iter": i, "seed": seed,
                            "complete": stopped is None, "stopped": stopped})

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
            self.records.write_line('{"ev":"start","id":%s,"pid":%d%s}\n'
                                    % (json.dumps(nodeid), self.pid, self.iter_fields))

    def pytest_runtest_logfinish(self, nodeid, location):
        if self.runs_tests:
            self.current = None
            self.records.hold('{"ev":"end","id":%s,"pid":%d%s}\n'
                              % (json.dumps(nodeid), self.pid, self.iter_fields))

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
        raised = self.raised.pop(item.nodeid, None) if rep.when == "call" else None
        if raised is None and rep.when == "call" and call.excinfo is not None:
            raised = call.excinfo.value   # unittest: the exception the TestCase caught
        if rep.passed and not xfail and raised is not None:
            self._write_raised(item, rep, raised)
            return
        if rep.passed and not xfail:
            return   # a test with no report between start and end passed
        rec = {"ev": "report", "id": rep.nodeid, "when": rep.when, "outcome": rep.outcome,
               "xfail": xfail}
        if self.iter_info is not None:
            rec.update(self.iter_info)
        if rep.failed:
            rec.update(self._failure_fields(item, call, rep))
        self.records.write(rec)

    # A hook (a conftest's pytest_runtest_makereport, say) may turn a failed
    # call into a pass. The innermost wrapper of the call sees what the test
    # raised; the outermost wrapper of makereport sees what was reported: a
    # pass over an exception is recorded as a failure, and the run fails.
    @pytest.hookimpl(hookwrapper=True, trylast=True)
    def pytest_runtest_call(self, item):
        outcome = yield
        if outcome.excinfo is not None and self.runs_tests:
            self.raised[item.nodeid] = outcome.excinfo[1]

    def _write_raised(self, item, rep, exc):
        self.hidden_failures += 1
        rec = {"ev": "report", "id": rep.nodeid, "when": "call", "outcome": "failed",
               "xfail": False, "error_type": "ReportedPassedButRaised",
               "message": _cap("a hook turned a failed call into a pass: the test raised %s: %s"
                               % (_error_type(exc), _message(exc))),
               "frames": (_frames_of(exc.__traceback__, self.rootdir, str(item.path))
                          or _frames_of(exc.__traceback__, self.rootdir))}
        if self.iter_info is not None:
            rec.update(self.iter_info)
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
            # no exception: xfail(strict) that passed; pytest's words as the message
            fields["error_type"] = "XPASS(strict)"
            fields["message"] = _cap(str(rep.longrepr).strip())
            fields["frames"] = self._test_frames(item)
            return fields
        exc = excinfo.value
        doctest_failure = _doctest_failure(exc)
        if doctest_failure is not None:
            fields.update(self._doctest_fields(item, doctest_failure))
            return fields
        fields["error_type"] = _error_type(exc)
        fields["message"] = _cap(_message(exc))
        start = str(item.path) if rep.when == "call" else None
        frames = _frames_of(excinfo.tb, self.rootdir, start)
        if not frames:
            frames = _frames_of(excinfo.tb, self.rootdir)
        if not frames:
            # raised by pytest or unittest itself (an unexpected success, a
            # missing fixture): the test is where it happened
            frames = self._test_frames(item)
        fields["frames"] = frames
        return fields

    def _test_frames(self, item):
        """The test's own `def` line as the one frame, or none."""
        path = os.path.abspath(str(item.path))
        line = _def_line(item)
        if not line or not _is_project_file(path, self.rootdir):
            return []
        return [{"file": os.path.relpath(path, self.rootdir), "line": line,
                 "function": getattr(item, "originalname", item.name)}]

    def _doctest_fields(self, item, failure):
        """A failed doctest example as pytest shows it: Expected/Got (or the
        exception it raised) at the example's file:line."""
        import doctest
        test, example = failure.test, failure.example
        frames = []
        path = os.path.abspath(test.filename) if test.filename else None
        if path and test.lineno is not None and _is_project_file(path, self.rootdir):
            frames.append({"file": os.path.relpath(path, self.rootdir),
                           "line": test.lineno + example.lineno + 1, "function": test.name})
        if isinstance(failure, doctest.DocTestFailure):
            return {"error_type": _error_type(failure), "frames": frames or self._test_frames(item),
                    "message": _cap(_doctest_difference(item, example, failure.got))}
        inner = failure.exc_info[1]
        frames += _frames_of(failure.exc_info[2], self.rootdir)
        return {"error_type": _error_type(inner), "message": _cap(_message(inner)),
                "frames": frames or self._test_frames(item)}


class _Coverage:
    """The per-test coverage map (``--pytest-fixer-coverage=PATH``).

    For each test item (setup, call and teardown) the lines it executed in
    project files: under rootdir, outside virtualenvs and site-packages, not
    this plugin. sys.settrace and threading.settrace install a global trace
    function that returns a line tracer only for code in project files
    (decided once per co_filename), so code elsewhere runs untraced. One
    ASCII line per test, one os.write() on an O_APPEND descriptor (xdist
    workers share the file):

      {"ev":"cov","id":NODEID,"outcome":"passed|failed|skipped",
       "files":{"pkg/mod.py":[3,[5,9],12],...}}

    paths relative to rootdir, lines ascending, [a,b] the run a..b. When a
    trace function is already installed (coverage.py, pytest-cov, a
    debugger) it is left alone and nothing is recorded past one line:

      {"ev":"cov-off","reason":"..."}
    """

    def __init__(self, config, path):
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        self.rootdir = str(config.rootpath)
        self.prefix = self.rootdir.rstrip(os.sep) + os.sep
        self.own = {os.path.splitext(os.path.abspath(__file__))[0] + ".py"}
        self.keep = {}      # co_filename -> relative path, or None: not traced
        self.lines = None   # relative path -> set of lines, during a test
        self.off = False
        self.runs_tests = (hasattr(config, "workerinput")
                           or getattr(config.option, "dist", "no") == "no")

    def _write(self, obj):
        data = (json.dumps(obj, ensure_ascii=True, separators=(",", ":")) + "\n").encode("ascii")
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view):]

    def _relative(self, filename):
        path = filename
        if not path.startswith("<"):
            path = os.path.abspath(path)
        if path in self.own or path == self.rootdir or not _is_project_file(path, self.rootdir):
            return None
        return path[len(self.prefix):].replace(os.sep, "/")

    def _trace(self, frame, event, arg):
        name = frame.f_code.co_filename
        try:
            rel = self.keep[name]
        except KeyError:
            rel = self.keep[name] = self._relative(name)
        lines = self.lines
        if rel is None or lines is None or event != "call":
            return None
        got = lines.get(rel)
        if got is None:
            got = lines[rel] = set()
        add = got.add

        def line(frame, event, arg):
            if event == "line":
                add(frame.f_lineno)
            return line
        return line

    def _stop(self, reason):
        self.off = True
        self._write({"ev": "cov-off", "reason": reason})

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_protocol(self, item, nextitem):
        if self.off or not self.runs_tests:
            yield
            return
        other = sys.gettrace() or (threading.gettrace() if hasattr(threading, "gettrace")
                                   else None)
        if other is not None:
            self._stop("a trace function is already installed (%s): coverage.py, pytest-cov "
                       "or a debugger; no per-test coverage recorded"
                       % getattr(other, "__qualname__", type(other).__name__))
            yield
            return
        self.lines, self.outcome = {}, "passed"
        threading.settrace(self._trace)
        sys.settrace(self._trace)
        try:
            yield
        finally:
            sys.settrace(None)
            threading.settrace(None)
            lines, self.lines = self.lines, None
            files = {}
            for rel in sorted(lines):
                files[rel] = _runs(sorted(lines[rel]))
            self._write({"ev": "cov", "id": item.nodeid, "outcome": self.outcome,
                         "files": files})

    def pytest_runtest_logreport(self, report):
        if self.lines is None:
            return
        if report.failed:
            self.outcome = "failed"
        elif report.skipped and self.outcome == "passed":
            self.outcome = "skipped"

    def pytest_sessionfinish(self, session):
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def _runs(lines):
    """Ascending lines as ints and [first, last] runs of three or more."""
    out, i = [], 0
    while i < len(lines):
        j = i
        while j + 1 < len(lines) and lines[j + 1] == lines[j] + 1:
            j += 1
        if j - i >= 2:
            out.append([lines[i], lines[j]])
        else:
            out.extend(lines[i:j + 1])
        i = j + 1
    return out


def pytest_addoption(parser):
    group = parser.getgroup("pytest-fixer")
    group.addoption("--pytest-fixer-records", dest="pytest_fixer_records", default=None,
                    help="append structured JSON records of the run to this file")
    group.addoption("--pytest-fixer-timeout", dest="pytest_fixer_timeout", type=float,
                    default=0, help="fail a test that runs longer than this (seconds)")
    group.addoption("--pytest-fixer-skip-file", dest="pytest_fixer_skip_file", default=None,
                    help="deselect the node ids listed in this file")
    group.addoption("--pytest-fixer-order-file", dest="pytest_fixer_order_file", default=None,
                    help="run exactly the node ids listed in this file, in that order")
    group.addoption("--pytest-fixer-reverse", dest="pytest_fixer_reverse", action="store_true",
                    default=False, help="run the tests in reverse order")
    group.addoption("--pytest-fixer-seed", dest="pytest_fixer_seed", type=int, default=None,
                    help="shuffle the tests with this seed (iteration i: seed + i)")
    group.addoption("--pytest-fixer-iterations", dest="pytest_fixer_iterations", type=int,
                    default=None, help="run the tests this many times in one session")
    group.addoption("--pytest-fixer-deadline", dest="pytest_fixer_deadline", type=float,
                    default=None, help="start no test after this wall-clock time (epoch seconds)")
    group.addoption("--pytest-fixer-time-limit", dest="pytest_fixer_time_limit", type=float,
                    default=None, help="start no test this many seconds after the session began")
    group.addoption("--pytest-fixer-coverage", dest="pytest_fixer_coverage", default=None,
                    help="append the lines each test executed in project files to this file")


def pytest_configure(config):
    path = config.getoption("pytest_fixer_records")
    if path:
        config.pluginmanager.register(PytestFixerPlugin(config, path), "pytest-fixer-records")
    coverage = config.getoption("pytest_fixer_coverage")
    if coverage:
        config.pluginmanager.register(_Coverage(config, coverage), "pytest-fixer-coverage")
