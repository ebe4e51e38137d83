#ifndef RUNNER_PROBE_H
#define RUNNER_PROBE_H

#include "util/buf.h"

/*
 * Probing a module through a warm worker (issue 17, `pytest-fixer generate`):
 * the worker (runner/worker.h) forks a child that imports one module of the
 * project as the project's tests would (same sys.path, conftests imported),
 * runs calls on it, one after another, and writes what each did; then, for
 * each mutant of the module (its whole text), runs the same calls on the
 * mutant and says which calls tell it apart from the original.
 *
 * The child is a sandbox for unknown code: resource limits (CPU seconds,
 * address space, file size, processes), HOME and TMPDIR in a scratch
 * directory, each call bounded by a timer (SIGALRM breaks a Python loop; a
 * watchdog thread ends the child on a hang in C code, the results written
 * so far kept). What a call prints goes to the worker's output file.
 *
 * The spec, a JSON file written by the caller:
 *
 *   {"module": "paginate/core.py",        project-relative (or absolute) path
 *    "scratch": "/tmp/pf-gen-XXXX/home",  HOME, TMPDIR of the calls (must exist)
 *    "call_limit": 1.0,                   seconds per call (timer, then watchdog)
 *    "rlimits": {"cpu": 120, "as": 4294967296, "fsize": 16777216, "nproc": 256},
 *    "repeat": 2,                         each call runs this often; outcomes that differ: "unstable"
 *    "calls": [{"id": 0, "setup": ["s = Stack()", "s.push(3)"], "expr": "s.pop()",
 *               "observe": ["s"]}, ...],
 *    "mutants": [{"id": 0, "source": "whole text of the mutated module",
 *                 "calls": [ID...],             optional: only these calls run on it
 *                 "report": true}, ...]}        optional: say what each call told apart did
 *
 * A call runs its setup statements and evaluates its expression in a fresh
 * namespace holding the module's globals (so `page_count(3, 2)` or
 * `Stack()` name the module's own objects; a mutant's namespace holds the
 * mutant's), plus `itertools` unless the module defines that name (for
 * `list(itertools.islice(gen(), 10))`). `observe` names setup variables whose
 * public state is reported after the expression (a method that changes its
 * object), whether it returned or raised.
 *
 * "error" is a broken call, not broken code: a setup statement or the
 * expression does not compile, a setup statement raised, or the expression's
 * own text raised a NameError or AttributeError (a name or an attribute the
 * call made up). Anything else the expression raises, in the module's code
 * or not, is "raised".
 *
 * The module is the one the project's tests would get: the module already
 * imported from that file (the worker's paths may be just the module: it is
 * imported, no test collected), else the first name that imports that file:
 * the names of its package chain, longest first (pkg/sub/mod.py in packages
 * pkg and sub: pkg.sub.mod, sub.mod, mod; pkg/__init__.py is pkg); that
 * chain with the folder above it put on sys.path, as pytest's prepend import
 * mode does (src/pkg/mod.py is pkg.mod); the names of its path under the
 * rootdir (namespace packages; those starting with src. last).
 *
 * The results file, one JSON object a line, each flushed as written:
 *
 *   {"ev": "module", "name": "paginate.core", "file": ABS, "lines": [N...]}
 *        the importable name, and the module's executable lines (from its code objects)
 *   {"ev": "error", "reason": "cannot import 'paginate/core.py': ModuleNotFoundError: ..."}
 *        nothing else follows (also for a spec that cannot be read)
 *   {"id": 0, "outcome": "value", "repr": "3", "literal": true, "type": "int",
 *    "attrs": {"items": "[1, 2]"}, "observed": {"s": {"size": "0"}, "xs": "[1, 2]"},
 *    "lines": [N...], "arcs": [[A, B]...], "seconds": 0.0001}
 *        literal: ast.literal_eval(repr) gives back an equal value of the same type;
 *        attrs (only when not literal): its public attributes (vars(), __slots__)
 *        and properties whose values are literal (repr of each), at most
 *        PROBE_MAX_ATTRS; observed (only with "observe"): each variable's repr
 *        when its value is literal, else its attrs (null: no such variable);
 *        lines/arcs: of the module's file only (setup and expression), traced in
 *        the first run, arcs as coverage.py counts them (entry -firstline -> line,
 *        line -> -firstline on return); seconds: the shortest run;
 *        "copy_differs": true: a fresh copy of the module (its text run again)
 *        gives another outcome (the call depends on the module's state, or its
 *        identity): not used against mutants
 *   {"id": 1, "outcome": "raised", "type": "ValueError", "type_module": "builtins",
 *    "message": "...", "lines": [...], "arcs": [...], "seconds": ...}
 *   {"id": 2, "outcome": "timeout", "seconds": ...}
 *   {"id": 3, "outcome": "unstable", "reprs": ["0.13", "0.87"]}
 *        the runs disagree (repr, attrs, observed; or the exception's type): a
 *        summary of each run (its repr, "raised TYPE", "timeout", "error")
 *   {"id": 4, "outcome": "error", "reason": "setup: NameError: ..."}   the call itself is broken
 *   {"mutant": 0, "killed_by": [ID...], "timeout_by": [ID...], "error": "..."}
 *        each call whose outcome was "value" or "raised" (and not copy_differs)
 *        runs once on the mutant: killed_by when it ends otherwise (another repr,
 *        attrs or observed state, another exception type, raised instead of
 *        returned...), timeout_by when it runs past min(call_limit,
 *        max(0.2 s, 10 x its seconds)) (0.02 s in place of 0.2 once one of the
 *        mutant's calls timed out); error (no call run): the mutant does not
 *        compile, or its module code raised or ran past call_limit;
 *        "after": {"ID": "repr" | "raised TYPE" | "timeout" | "error"} with
 *        "report": what each call of killed_by and timeout_by did on the mutant
 *   {"ev": "end"}                          the child finished every call and mutant
 *
 * reprs and messages are valid UTF-8 cut at PROBE_MAX_REPR bytes (a cut repr
 * is never literal); memory addresses in reprs are blanked (" at 0x...") so
 * that objects with the default repr compare equal between runs. Module
 * state the calls change stays changed for the calls after them (the module
 * is imported once); a mutant is a fresh module, its calls run in the
 * spec's order.
 */

#define PROBE_MAX_REPR 2000
#define PROBE_MAX_ATTRS 20
#define PROBE_GRACE 1.0   /* seconds past `limit` before the child is killed */

struct pytest_worker;

/*
 * Run the probe of `spec_path` in a child of `w`, its results written to
 * `results_path`. Returns 0 when the child ran to its end ("end" written,
 * or an "error" line: the module or the spec could not be read), ERR_TIMEOUT
 * when it was stopped past `limit` seconds (0: none; no call or mutant
 * starts past it, and PROBE_GRACE later the child is killed) or ended early
 * (a crash, a hang in C code, RLIMIT_CPU): the results file has what was
 * done, each line whole, and the call or mutant running then is the first
 * one without a line; ERR_GENERIC (why in error_last()) when the worker
 * cannot probe (not ready, lost, a fallback: a change on disk outside
 * function bodies since it started); ERR_INTERRUPTED on SIGINT/SIGTERM (the
 * worker is lost then). A hang in C code that holds the GIL is only stopped
 * by `limit` (or RLIMIT_CPU).
 */
int pytest_worker_probe(struct pytest_worker *w, const char *spec_path,
			const char *results_path, double limit);

#endif
