"""pytest-fixer's probe of one module (src/runner/probe.h, issue 17).

The code of a child of the warm worker (pytest_fixer_worker.py) forked for a
{"probe": SPEC, ...} request: it imports one module of the project as the
project's tests would, runs the calls of the spec on it and writes what each
did, then runs the same calls on each mutant of the module and writes which
calls tell it apart from the original. probe.h describes the spec and the
results file; what is decided here:

- A call's setup statements and expression run in a fresh namespace, a copy
  of the module's globals (plus `itertools`, unless the module has that name).
  An exception in the setup, a SyntaxError compiling either, and a NameError
  or AttributeError raised by the call text itself (in its own frame, not in
  the module's code) make the call "error": the call is broken, not the code.
  Anything else the expression raises is "raised".
- Reprs have their memory addresses blanked (" at 0x..."): two runs of a call
  making objects with the default repr compare equal.
- Each call runs `repeat` times; the first run is traced (lines and arcs of
  the module's file, as coverage.py counts them). Runs that disagree (repr,
  attrs, observed state; or the exception's type) make it "unstable".
- A fresh copy of the module (its own text run again, as a mutant is) runs
  every call too: a call whose outcome differs there depends on the module's
  state or on its identity (an isinstance() elsewhere), and is marked
  "copy_differs" and, as unstable, timed out and broken calls are, not used
  against mutants.
- A mutant's call is bounded by min(call_limit, max(MUTANT_FLOOR,
  MUTANT_FACTOR x the original's seconds)): a mutant that loops costs a
  fraction of a second a call, not call_limit; once one of its calls timed
  out (it is told apart already), MUTANT_FLOOR_LOOPING in place of the floor.

The child's lines to the worker (over the pipe `report` writes to):
{"exitstatus": 0} once it wrote "end" (or an "error" line), {"stopped": WHY}
when it stopped at the probe's limit, {"hung": WHY} from the watchdog just
before it ends the child.
"""

import ast
import datetime
import dis
import importlib
import itertools
import json
import os
import random
import re
import signal
import sys
import tempfile
import threading
import time
import types

MAX_REPR = 2000          # PROBE_MAX_REPR of probe.h: bytes of a repr or a message
MAX_ATTRS = 20           # PROBE_MAX_ATTRS
WATCHDOG_GRACE = 1.0     # past a call's limit, a call stuck in C code ends the child
WATCHDOG_TICK = 0.01
ALARM_INTERVAL = 0.05    # SIGALRM again while the call catches the Timeout
MUTANT_FLOOR = 0.2
MUTANT_FLOOR_LOOPING = 0.02   # in place of MUTANT_FLOOR once one of its calls timed out
MUTANT_FACTOR = 10.0
HUNG_EXIT = 112          # the child's exit status when the watchdog ended it
# a call busy in C code past its limit and this many CPU seconds (no Python
# handler can run while it holds the GIL) is ended by SIGPROF's default action
CPU_GRACE = 1.0

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_RESUME = dis.opmap.get("RESUME")
_YIELD_VALUE = dis.opmap.get("YIELD_VALUE")
_YIELD_FROM = dis.opmap.get("YIELD_FROM")


class Timeout(BaseException):
    """A call past its limit (raised inside it by SIGALRM; an `except Exception`
    of the code under probe does not swallow it)."""


class Broken(Exception):
    """The call itself is broken (its "error" outcome); args[0] says why."""


# text ---------------------------------------------------------------------
def _text(s, cap=MAX_REPR):
    """`s` as valid UTF-8 of at most `cap` bytes, and whether it was cut."""
    data = s.encode("utf-8", "backslashreplace")
    if len(data) <= cap:
        return data.decode("utf-8"), False
    return data[:cap].decode("utf-8", "ignore"), True


def _exc_text(e):
    msg = _message(e)
    return "%s: %s" % (type(e).__name__, msg) if msg else type(e).__name__


def _message(e):
    try:
        return _text(str(e))[0]
    except Exception:
        return "<the message cannot be formatted>"


def _repr(value):
    """The repr of `value` (addresses blanked, cut) and whether it was cut."""
    try:
        r = repr(value)
        if not isinstance(r, str):
            raise TypeError("__repr__ returned %s" % type(r).__name__)
    except Exception as e:
        r = "<%s object; repr raised %s>" % (type(value).__qualname__, type(e).__name__)
    return _text(_ADDRESS.sub(" at 0x...", r))


# values written with these constructors count as literals too: the generated
# test imports them (`import datetime`, `from decimal import Decimal`, ...)
_VALUE_MODULES = {"datetime": ("date", "datetime", "time", "timedelta", "timezone")}
_VALUE_NAMES = ("Decimal", "Fraction")


def _constructed(node):
    """True when an expression is made of literals and calls of _VALUE_* only."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return all(_constructed(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is not None and _constructed(k) for k in node.keys) and \
            all(_constructed(v) for v in node.values)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return _constructed(node.operand)
    if isinstance(node, ast.Attribute):   # datetime.timezone.utc
        return isinstance(node.value, ast.Attribute) and _constructed(node.value) and node.attr == "utc"
    if isinstance(node, ast.Call):
        f = node.func
        ok = (isinstance(f, ast.Name) and f.id in _VALUE_NAMES) or \
            (isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and
             f.attr in _VALUE_MODULES.get(f.value.id, ()))
        return ok and all(_constructed(a) for a in node.args) and \
            all(k.arg and _constructed(k.value) for k in node.keywords)
    return False


def _is_literal(value, r, cut):
    if cut:
        return False
    try:
        back = ast.literal_eval(r)
        return type(back) is type(value) and bool(back == value)
    except Exception:
        pass
    try:
        tree = ast.parse(r, mode="eval")
        if not _constructed(tree.body):
            return False
        import datetime
        import decimal
        import fractions
        ns = {"__builtins__": {}, "datetime": datetime, "Decimal": decimal.Decimal,
              "Fraction": fractions.Fraction}
        back = eval(compile(tree, "<repr>", "eval"), ns)
        return type(back) is type(value) and bool(back == value)
    except Exception:
        return False


def _state(value):
    """A value that is not literal: its public attributes (vars(), __slots__) and
    properties whose values are literal, by name (repr of each), at most MAX_ATTRS."""
    names = []
    try:
        names = [n for n in vars(value) if isinstance(n, str)]
    except TypeError:
        pass
    props = []
    for klass in type(value).__mro__:
        slots = vars(klass).get("__slots__", ())
        names.extend([slots] if isinstance(slots, str) else list(slots))
        props.extend(n for n, a in vars(klass).items() if isinstance(a, property))
    out = {}
    seen = set()
    for name in names + props:
        if len(out) >= MAX_ATTRS:
            break
        if not isinstance(name, str) or name.startswith("_") or name in seen:
            continue
        seen.add(name)
        try:
            v = getattr(value, name)
        except Exception:
            continue
        r, cut = _repr(v)
        if _is_literal(v, r, cut):
            out[name] = r
    return out


def _describe(value):
    """repr, literal, type and (not literal) attrs of a call's value."""
    r, cut = _repr(value)
    d = {"repr": r, "literal": _is_literal(value, r, cut),
         "type": _text(type(value).__qualname__)[0]}
    if not d["literal"]:
        d["attrs"] = _state(value)
    return d


def _observe(ns, names):
    """Each observed variable: its repr when literal, else its public state."""
    out = {}
    for name in names:
        if name not in ns:
            out[name] = None
            continue
        v = ns[name]
        r, cut = _repr(v)
        out[name] = r if _is_literal(v, r, cut) else _state(v)
    return out


def _key(o):
    """What two runs of a call must share to be the same outcome."""
    kind = o["outcome"]
    if kind == "value":
        return json.dumps([kind, o["repr"], o.get("attrs"), o.get("observed")], sort_keys=True)
    if kind == "raised":
        return json.dumps([kind, o["type_module"], o["type"], o.get("observed")], sort_keys=True)
    if kind == "error":
        return json.dumps([kind, o["reason"]])
    return kind


def _summary(o):
    kind = o["outcome"]
    if kind == "value":
        return o["repr"]
    if kind == "raised":
        return "raised %s" % o["type"]
    return kind


def _write_line(fd, obj):
    """One line, in one write() as a rule: a child killed meanwhile leaves whole lines."""
    data = (json.dumps(obj, ensure_ascii=True, separators=(",", ":")) + "\n").encode()
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _in_call_text(tb):
    """The exception was raised by the call's own text (its innermost frame)."""
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and tb.tb_frame.f_code.co_filename in ("<probe expr>", "<probe setup>")


# coverage -------------------------------------------------------------------
def _real_call(frame):
    """A "call" event that starts the code (not a generator resumed)."""
    if _RESUME is None:
        return frame.f_lasti < 0
    code, i = frame.f_code.co_code, frame.f_lasti
    return not (0 <= i < len(code) - 1 and code[i] == _RESUME and code[i + 1] != 0)


def _real_return(frame):
    """A "return" event that leaves the code (not a yield), as coverage.py tells."""
    code, i = frame.f_code.co_code, frame.f_lasti
    if _RESUME is not None:
        return len(code) <= i + 2 or code[i + 2] != _RESUME
    if 0 <= i < len(code) and code[i] == _YIELD_VALUE:
        return False
    off = 0 if sys.version_info >= (3, 10) else 2
    return not (i + off < len(code) and _YIELD_FROM is not None and code[i + off] == _YIELD_FROM)


class _Tracer:
    """Lines and arcs of one file: arcs (previous line, line), (-first line, line)
    entering a code object, (line, -first line) leaving it."""

    def __init__(self, real):
        self.real = real
        self.keep = {}
        self.lines = set()
        self.arcs = set()

    def __call__(self, frame, event, arg):
        code = frame.f_code
        keep = self.keep.get(code.co_filename)
        if keep is None:
            keep = self.keep[code.co_filename] = _same_file(code.co_filename, self.real)
        if not keep or event != "call":
            return None
        first = code.co_firstlineno
        last = -first if _real_call(frame) else frame.f_lineno
        add_line, add_arc = self.lines.add, self.arcs.add

        def local(frame, event, arg):
            nonlocal last
            if event == "line":
                n = frame.f_lineno
                add_line(n)
                add_arc((last, n))
                last = n
            elif event == "return" and _real_return(frame):
                add_arc((last, -first))
            return local
        return local


def _same_file(name, real):
    return not name.startswith("<") and os.path.realpath(name) == real


def _executable_lines(code):
    lines, todo = set(), [code]
    while todo:
        c = todo.pop()
        if hasattr(c, "co_lines"):
            lines.update(n for _, _, n in c.co_lines() if n is not None and n > 0)
        else:   # before Python 3.10
            lines.update(n for _, n in dis.findlinestarts(c) if n > 0)
        todo.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
    return sorted(lines)


# importing ------------------------------------------------------------------
def _find_file(path, roots):
    if os.path.isabs(path):
        tries = [path]
    else:
        tries = [os.path.join(root, path) for root in roots]
    for p in tries:
        if os.path.isfile(p):
            return os.path.realpath(p)
    return None


def _loaded(real):
    base = os.path.basename(real)
    for mod in list(sys.modules.values()):
        f = getattr(mod, "__file__", None)
        if isinstance(f, str) and os.path.basename(f) == base and os.path.realpath(f) == real:
            return mod
    return None


def _dotted(parts):
    parts = [p for p in parts if p]
    if parts and parts[-1] == "__init__":
        parts.pop()
    if not parts or not all(p.isidentifier() for p in parts):
        return []
    return [".".join(parts[i:]) for i in range(len(parts))]


def _candidates(real, roots):
    """How `real` may be imported: the dotted names of its package chain (folders
    with __init__.py), longest first; the folder above that chain (where pytest's
    prepend import mode puts it on sys.path) and the chain's whole name; then the
    other names its path under a root gives (namespace packages), those under a
    src/ folder last."""
    stem = os.path.splitext(os.path.basename(real))[0]
    chain = [] if stem == "__init__" else [stem]
    d = os.path.dirname(real)
    while os.path.isfile(os.path.join(d, "__init__.py")):
        chain.insert(0, os.path.basename(d))
        d = os.path.dirname(d)
    names = _dotted(chain)
    others = []
    for root in roots:
        root = os.path.realpath(root)
        if real.startswith(root + os.sep):
            rel = os.path.splitext(real[len(root) + 1:])[0]
            others += [n for n in _dotted(rel.split(os.sep)) if n not in names + others]
    others.sort(key=lambda n: (n.startswith("src."), -n.count(".")))
    return names, d, ".".join(chain) if names else "", others


def _raised_in(tb, real):
    while tb is not None:
        if _same_file(tb.tb_frame.f_code.co_filename, real):
            return True
        tb = tb.tb_next
    return False


def import_path(path, roots):
    """The module of `path` (relative to one of `roots`, or absolute): (module, None),
    or (None, why)."""
    real = _find_file(path, roots)
    if real is None:
        return None, "cannot import '%s': no such file" % path
    mod = _loaded(real)
    if mod is not None:
        return mod, None
    names, base, chained, others = _candidates(real, roots)
    last = None

    def attempt(name):
        """(module, None) when `name` imports `real`, (None, why) when it failed in
        `real` itself, (None, None) when it is not the name."""
        nonlocal last
        try:
            m = importlib.import_module(name)
        except BaseException as e:
            if _raised_in(e.__traceback__, real):
                return None, "cannot import '%s': %s" % (path, _exc_text(e))
            last = e
            return None, None
        f = getattr(m, "__file__", None)
        if isinstance(f, str) and os.path.realpath(f) == real:
            return m, None
        return _loaded(real), None

    tries = list(names)
    if chained and base not in sys.path:
        tries.append((base, chained))
    tries += others
    for name in tries:
        if isinstance(name, tuple):
            sys.path.insert(0, name[0])
            name = name[1]
        mod, why = attempt(name)
        if mod is not None or why:
            return mod, why
    return None, "cannot import '%s': %s (tried %s)" % (
        path, _exc_text(last) if last else "no name for it",
        ", ".join(n for n in tries if isinstance(n, str)) or "none: not Python identifiers")


# the probe ------------------------------------------------------------------
class _Watchdog:
    """Ends the child when a call is stuck where SIGALRM cannot break it (C code
    that releases the GIL; one that holds it is stopped by the caller's limit)."""

    def __init__(self, report):
        self.report = report
        self.current = None   # (what runs, its deadline)
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while True:
            time.sleep(WATCHDOG_TICK)
            cur = self.current
            if cur is not None and time.monotonic() > cur[1]:
                self.report({"hung": "%s did not return within %.3g s of its limit "
                                     "(blocked in C code)" % (cur[0], WATCHDOG_GRACE)})
                os._exit(HUNG_EXIT)


class _Call:
    def __init__(self, spec):
        if not isinstance(spec, dict) or not isinstance(spec.get("expr"), str):
            raise ValueError("a call without an expression: %.200r" % (spec,))
        self.id = spec.get("id")
        self.observe = [n for n in spec.get("observe") or [] if isinstance(n, str)]
        self.broken = None
        self.setup = []
        try:
            for stmt in spec.get("setup") or []:
                self.setup.append(compile(stmt, "<probe setup>", "exec", dont_inherit=True))
        except (SyntaxError, ValueError, TypeError) as e:
            self.broken = "setup: %s" % _exc_text(e)
        try:
            self.expr = compile(spec["expr"], "<probe expr>", "eval", dont_inherit=True)
        except (SyntaxError, ValueError) as e:
            self.broken = self.broken or "expr: %s" % _exc_text(e)
        self.outcome = None   # the original's
        self.seconds = 0.0    # its shortest run
        self.usable = False   # compared with the mutants'


class Probe:
    def __init__(self, spec, out_fd, report, deadline):
        self.fd = out_fd
        self.report = report
        self.deadline = deadline
        self.call_limit = float(spec.get("call_limit") or 1.0)
        self.repeat = max(1, int(spec.get("repeat") or 1))
        self.calls = [_Call(c) for c in spec.get("calls") or []]
        self.mutants = spec.get("mutants") or []
        self.armed = False
        self.module = self.real = None
        self.watchdog = None
        self.where = ""   # " on mutant N" while a mutant runs, for the watchdog's message

    def write(self, obj):
        _write_line(self.fd, obj)

    def _check_deadline(self, what):
        if self.deadline and time.monotonic() > self.deadline:
            self.report({"stopped": "the probe's limit passed before %s" % what})
            os._exit(0)

    def _on_alarm(self, signum, frame):
        # raised wherever the call is, our tracer's frame too (the trace function is
        # unset then, and the Timeout goes on into the call); never once disarmed
        if self.armed:
            raise Timeout()

    # one run of one call
    def _run(self, call, module, limit, trace):
        ns = dict(vars(module))
        ns.setdefault("itertools", itertools)
        ns.setdefault("datetime", datetime)   # dates of a module that imports only timedelta
        tracer = _Tracer(self.real) if trace else None
        o = {}
        stage = "setup"
        start = time.perf_counter()
        self.watchdog.current = ("call %s%s" % (call.id, self.where),
                                 time.monotonic() + limit + WATCHDOG_GRACE)
        signal.setitimer(signal.ITIMER_REAL, limit, ALARM_INTERVAL)
        signal.setitimer(signal.ITIMER_PROF, limit + CPU_GRACE)
        self.armed = True
        try:
            try:
                if tracer:
                    sys.settrace(tracer)
                for code in call.setup:
                    exec(code, ns)
                stage = "expr"
                try:
                    o.update(outcome="value", **_describe(eval(call.expr, ns)))
                except (Timeout, Broken):
                    raise
                except BaseException as e:
                    if isinstance(e, (NameError, AttributeError)) and \
                            _in_call_text(e.__traceback__):
                        raise Broken("expr: %s" % _exc_text(e))
                    o.update(outcome="raised", type=_text(type(e).__qualname__)[0],
                             type_module=_text(str(type(e).__module__))[0],
                             message=_message(e))
                if call.observe:
                    stage = "observe"
                    o["observed"] = _observe(ns, call.observe)
            finally:
                self.armed = False
                sys.settrace(None)
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.setitimer(signal.ITIMER_PROF, 0)
                self.watchdog.current = None
        except Timeout:
            o = {"outcome": "timeout"}
        except Broken as e:
            o = {"outcome": "error", "reason": e.args[0]}
        except BaseException as e:
            # the setup raised, or (rarely) observing the state did
            o = {"outcome": "error", "reason": "%s: %s" % (stage, _exc_text(e))}
        o["seconds"] = round(time.perf_counter() - start, 6)
        if tracer and o["outcome"] in ("value", "raised"):
            o["lines"] = sorted(tracer.lines)
            o["arcs"] = sorted([a, b] for a, b in tracer.arcs)
        return o

    def _original(self, call, copy):
        """The line of a call: its runs in the module, then one in `copy`."""
        if call.broken:
            return {"id": call.id, "outcome": "error", "reason": call.broken}
        runs = []
        for i in range(self.repeat):
            runs.append(self._run(call, self.module, self.call_limit, i == 0))
            if runs[0]["outcome"] == "timeout":
                break
        first = runs[0]
        line = {"id": call.id}
        if len({_key(r) for r in runs}) > 1:
            line.update(outcome="unstable", reprs=[_summary(r) for r in runs])
            return line
        line.update(first)
        line["seconds"] = min(r["seconds"] for r in runs)
        call.outcome = first
        call.seconds = line["seconds"]
        if first["outcome"] in ("value", "raised") and copy is not None:
            self.where = " on the module's copy"
            again = self._in_module(copy, lambda: self._run(call, copy, self.call_limit, False))
            self.where = ""
            if _key(again) != _key(first):
                line["copy_differs"] = True
            else:
                call.usable = True
        return line

    # a module made from text, as the original's twin
    def _in_module(self, m, fn):
        """fn() with `m` in sys.modules (and its package) in place of the original."""
        name = self.module.__name__
        parent, _, child = name.rpartition(".")
        pkg = sys.modules.get(parent) if parent else None
        saved = sys.modules.get(name)
        old = pkg.__dict__.get(child, self) if pkg is not None else self
        sys.modules[name] = m
        if pkg is not None:
            setattr(pkg, child, m)
        try:
            return fn()
        finally:
            if saved is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = saved
            if pkg is not None:
                if old is self:
                    pkg.__dict__.pop(child, None)
                else:
                    setattr(pkg, child, old)

    def _twin(self, source):
        """A new module run from `source` with the original's name and file: (module,
        None) or (None, why)."""
        try:
            code = compile(source, self.module.__file__, "exec", dont_inherit=True)
        except (SyntaxError, ValueError, TypeError) as e:
            return None, "does not compile: %s" % _exc_text(e)
        m = types.ModuleType(self.module.__name__, getattr(self.module, "__doc__", None))
        for attr in ("__file__", "__package__", "__spec__", "__loader__", "__path__", "__cached__"):
            if attr in vars(self.module):
                setattr(m, attr, getattr(self.module, attr))

        def run():
            self.watchdog.current = ("the module code%s" % self.where,
                                     time.monotonic() + self.call_limit + WATCHDOG_GRACE)
            signal.setitimer(signal.ITIMER_REAL, self.call_limit, ALARM_INTERVAL)
            signal.setitimer(signal.ITIMER_PROF, self.call_limit + CPU_GRACE)
            self.armed = True
            try:
                try:
                    exec(code, vars(m))
                finally:
                    self.armed = False
                    signal.setitimer(signal.ITIMER_REAL, 0)
                    signal.setitimer(signal.ITIMER_PROF, 0)
                    self.watchdog.current = None
            except Timeout:
                return "its module code did not finish within %.3g s" % self.call_limit
            except BaseException as e:
                return "its module code raised %s" % _exc_text(e)
            return None
        why = self._in_module(m, run)
        return (None, why) if why else (m, None)

    def _mutant(self, spec):
        line = {"mutant": spec.get("id") if isinstance(spec, dict) else None,
                "killed_by": [], "timeout_by": []}
        source = spec.get("source") if isinstance(spec, dict) else None
        if not isinstance(source, str):
            line["error"] = "a mutant without its source"
            return line
        self.where = " on mutant %s" % line["mutant"]
        m, why = self._twin(source)
        if why:
            line["error"] = why
            return line

        # the calls that reach the changed lines, when the caller knows them
        only = spec.get("calls")
        only = set(only) if isinstance(only, list) else None
        report = spec.get("report") is True

        def run_all():
            for call in self.calls:
                if not call.usable or (only is not None and call.id not in only):
                    continue
                floor = MUTANT_FLOOR_LOOPING if line["timeout_by"] else MUTANT_FLOOR
                limit = min(self.call_limit, max(floor, MUTANT_FACTOR * call.seconds))
                got = self._run(call, m, limit, False)
                if got["outcome"] == "timeout":
                    line["timeout_by"].append(call.id)
                elif _key(got) != _key(call.outcome):
                    line["killed_by"].append(call.id)
                else:
                    continue
                if report:
                    line.setdefault("after", {})[str(call.id)] = _summary(got)
        self._in_module(m, run_all)
        return line

    def run(self, path, roots, watchdog):
        self.watchdog = watchdog
        signal.signal(signal.SIGALRM, self._on_alarm)
        signal.signal(signal.SIGPROF, signal.SIG_DFL)   # its default: the end of the child
        mod, why = import_path(path, roots)
        if why:
            self.write({"ev": "error", "reason": why})
            return
        self.module = mod
        self.real = os.path.realpath(mod.__file__)
        try:
            with open(self.real, "rb") as fh:
                source = fh.read()
            lines = _executable_lines(compile(source, mod.__file__, "exec", dont_inherit=True))
        except (OSError, SyntaxError, ValueError) as e:
            self.write({"ev": "error", "reason": "cannot read '%s': %s" % (path, _exc_text(e))})
            return
        self.write({"ev": "module", "name": mod.__name__, "file": self.real, "lines": lines})
        self.where = " on the module's copy"
        copy, why = self._twin(source)
        self.where = ""
        for call in self.calls:
            self._check_deadline("call %s" % call.id)
            self.write(self._original(call, copy))
        for spec in self.mutants:
            self._check_deadline("mutant %s" % (spec.get("id") if isinstance(spec, dict) else "?"))
            self.write(self._mutant(spec))
        self.write({"ev": "end"})


def _sandbox(spec):
    """Resource limits, HOME and TMPDIR in the scratch directory, a fresh random state."""
    import resource
    limits = spec.get("rlimits") or {}
    for key, which, both in (("cpu", resource.RLIMIT_CPU, False),
                             ("as", resource.RLIMIT_AS, True),
                             ("fsize", resource.RLIMIT_FSIZE, True),
                             ("nproc", getattr(resource, "RLIMIT_NPROC", None), True)):
        value = limits.get(key)
        if which is None or not isinstance(value, int) or value <= 0:
            continue
        soft, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value if both else hard))
    if limits.get("fsize"):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # a write past it raises instead
    scratch = spec["scratch"]
    os.environ["HOME"] = scratch
    os.environ["TMPDIR"] = scratch
    tempfile.tempdir = None
    random.seed()


def run(spec_path, results_path, roots, report, limit):
    """The whole probe: `report(obj)` sends a line to the worker; `limit` seconds
    (0: none) after which no call or mutant starts."""
    deadline = time.monotonic() + limit if limit > 0 else 0
    fd = os.open(results_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        with open(spec_path, encoding="utf-8") as fh:
            spec = json.load(fh)
        if not isinstance(spec, dict) or not isinstance(spec.get("module"), str) or \
                not isinstance(spec.get("scratch"), str):
            raise ValueError("it names no module or no scratch directory")
        if not os.path.isdir(spec["scratch"]):
            raise ValueError("no directory '%s'" % spec["scratch"])
        probe = Probe(spec, fd, report, deadline)
    except (OSError, ValueError, TypeError) as e:
        _write_line(fd, {"ev": "error", "reason": "cannot read the probe spec '%s': %s"
                         % (spec_path, _exc_text(e))})
        os.close(fd)
        return
    # the watchdog thread is started before RLIMIT_NPROC may forbid it
    watchdog = _Watchdog(report)
    _sandbox(spec)
    probe.run(spec["module"], roots, watchdog)
    os.close(fd)
