#ifndef RUNNER_TRACEBACK_H
#define RUNNER_TRACEBACK_H

#include "runner/result.h"

#include <stddef.h>

/*
 * Reading Python tracebacks out of text: the body of a JUnit <failure>, a
 * CI log, pytest's terminal report. Understood formats:
 *
 *   pytest --tb=long / auto     "tests/test_calc.py:20: " after each entry's
 *                               source, "src/calc.py:6: ZeroDivisionError"
 *                               after the last one, "E   ..." exception lines
 *   pytest --tb=short           "src/calc.py:6: in divide"
 *   pytest --tb=line            "/abs/src/calc.py:6: ZeroDivisionError: ..."
 *   Python (pytest --tb=native) '  File "/abs/src/calc.py", line 6, in divide'
 *
 * Everything returned through out-parameters is owned by the caller.
 */

/*
 * Append to `f` the frames of the exception that was finally raised, outermost
 * first. With chained exceptions ("The above exception was the direct cause
 * ...", "During handling ...") only the last traceback counts. Only frames in
 * files inside `root` are kept, with paths made relative to it: relative paths
 * are taken as relative to `root` already, and site-packages, dist-packages,
 * "<frozen ...>" and anything outside `root` are dropped. With `root` NULL,
 * relative paths are kept and absolute ones dropped. A SyntaxError's own
 * location ('File "x.py", line 4' without a function) becomes the deepest
 * frame, with no function. Does not set the failure's location (see
 * failure_locate_from_frames()). Returns the number of frames added.
 */
int traceback_parse_frames(struct failure *f, const char *text, size_t len, const char *root);

/*
 * `path` as a path of the project under `root`, or NULL when it is not one:
 * absolute paths are made relative to root, relative ones are taken as
 * relative to it already; "." and empty components are dropped; "..",
 * site-packages, dist-packages and "<frozen ...>" give NULL. With `root`
 * NULL every absolute path gives NULL. The result is owned by the caller.
 */
char *traceback_project_path(const char *path, size_t len, const char *root);

/*
 * The exception that ended the (last) traceback in <text, len>: pytest's
 * "E   Type: message" lines (the type then also comes from the long format's
 * final "path:line: Type" line when the E lines do not name it, as for a
 * rewritten assert), or Python's "Type: message" after the last frame. Sets
 * *type_out and *message_out to new strings or NULL (the message may span
 * several lines). Returns 1 when an exception was found, 0 when not.
 */
int traceback_parse_exception(char **type_out, char **message_out, const char *text, size_t len);

/*
 * Split "ZeroDivisionError: division by zero" or a bare "KeyboardInterrupt"
 * into the type and the message after ": " (NULL when there is none).
 * An exception name is a dotted Python identifier whose last part starts with
 * an upper-case letter; a bare one (no ": ") must also end like an exception
 * class (Error, Exception, Warning, Interrupt, Exit, Iteration). Returns 1
 * when <text, len> starts with one, else 0 and both outputs NULL.
 */
int traceback_split_exception(char **type_out, char **message_out, const char *text, size_t len);

#endif
