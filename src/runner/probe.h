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
 *    "mutants": [{"id": 0, "source": "whole text of the mutated module"}, ...]}
 *
 * A call runs its setup statements and evaluates its expression in a fresh
 * namespace holding the module's globals (so `page_count(3, 2)` or
 * `Stack()` name the module's own objects; a mutant's namespace holds the
 * mutant's). `observe` names setup variables whose public state is reported
 * after the expression (a method that changes its object).
 *
 * The results file, one JSON object a line, each flushed as written:
 *
 *   {"ev": "module", "name": "paginate.core", "file": ABS, "lines": [N...]}
 *        the importable name, and the module's executable lines (from its code objects)
 *   {"ev": "error", "reason": "cannot import paginate/core.py: ModuleNotFoundError: ..."}
 *        nothing else follows
 *   {"id": 0, "outcome": "value", "repr": "3", "literal": true, "type": "int",
 *    "attrs": {"items": "[1, 2]"}, "observed": {"s": {"size": "0"}},
 *    "lines": [N...], "arcs": [[A, B]...], "seconds": 0.0001}
 *        literal: ast.literal_eval(repr) gives back an equal value of the same type;
 *        attrs: a value that is not literal: its public attributes and properties
 *        whose values are literal (repr of each), at most PROBE_MAX_ATTRS;
 *        lines/arcs: of the module's file only, arcs as coverage.py counts them
 *        (entry -firstline -> line, line -> -firstline on return)
 *   {"id": 1, "outcome": "raised", "type": "ValueError", "type_module": "builtins",
 *    "message": "...", "lines": [...], "arcs": [...], "seconds": ...}
 *   {"id": 2, "outcome": "timeout", "seconds": ...}
 *   {"id": 3, "outcome": "unstable", "reprs": ["0.13", "0.87"]}
 *   {"id": 4, "outcome": "error", "reason": "setup: NameError: ..."}   the call itself is broken
 *   {"mutant": 0, "killed_by": [ID...], "timeout_by": [ID...], "error": "..."}
 *        error: the mutant does not compile or its module code raised
 *   {"ev": "end"}                          the child finished every call and mutant
 *
 * reprs and messages are cut at PROBE_MAX_REPR bytes (a cut repr is never literal).
 */

#define PROBE_MAX_REPR 2000
#define PROBE_MAX_ATTRS 20

struct pytest_worker;

/*
 * Run the probe of `spec_path` in a child of `w`, its results written to
 * `results_path`. Returns 0 when the child ran to its end ("end" written),
 * ERR_TIMEOUT when it was stopped past `limit` seconds (0: none) or ended
 * early (a crash, a hang in C code): the results file has what was done, and
 * the call running then is the first one without a line; ERR_GENERIC (why
 * in error_last()) when the worker cannot probe (not ready, dead, a fallback);
 * ERR_INTERRUPTED on SIGINT/SIGTERM.
 */
int pytest_worker_probe(struct pytest_worker *w, const char *spec_path,
			const char *results_path, double limit);

#endif
