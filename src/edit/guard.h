#ifndef EDIT_GUARD_H
#define EDIT_GUARD_H

#include "util/buf.h"

#include <stddef.h>

/* characters of a line of code quoted in a reason */
#define GUARD_SHOWN_CODE 60

/*
 * The test-weakening guard (SPEC C4): a fix may not make a test easier to
 * pass. Both versions of a test file are parsed and compared test function
 * by test function (methods by Class.method; nested functions count toward
 * the test that holds them).
 *
 * The file is weakened when, in any function:
 *  - it has fewer asserts (assert statements, self.assert*() / mock
 *    .assert_*() / assert_*() calls), pytest.raises (or assertRaises,
 *    pytest.warns) or pytest.approx than before;
 *  - a test function (name starting with "test") is removed or renamed;
 *  - more asserts are trivially true: `assert True`, `assert 1`,
 *    `assert (x, "msg")`, `assert x or True`, `assert x == x`,
 *    self.assertTrue(True), self.assertEqual(x, x);
 *  - a skip appears: pytest.mark.skip / skipif / xfail, unittest.skip*,
 *    expectedFailure, pytest.skip() / xfail() / importorskip(),
 *    self.skipTest(), raise SkipTest;
 *  - a `return` is added before an assert of the test;
 *  - pytest.raises / assertRaises is widened to Exception or BaseException,
 *    loses its match=, or pytest.approx gains a rel= / abs= tolerance;
 *  - asserts are wrapped in a try whose except catches AssertionError
 *    (or Exception, BaseException, or everything);
 *  - the whole file stops parsing while it parsed before.
 */

/*
 * Compare the file at `path` (used in the message only) before and after an
 * edit. Returns 1 when the edit weakens it, with the reasons appended to
 * `reason`: "test file 'tests/test_x.py' loses 1 assert (in test_div)",
 * several joined by "; ". Returns 0 when it does not, and -1 (message in
 * error_last()) if a version cannot be parsed at all.
 *
 * The guard judges whatever it is given: the caller picks the files, with
 * guard_is_test_file() or because a failing test lives there.
 */
int guard_test_weakening(struct buf *reason, const char *path, const char *before, size_t blen,
			 const char *after, size_t alen);

/*
 * 1 if a project-relative path is part of the tests: anything under a
 * "tests" or "test" directory, test_*.py, *_test.py and conftest.py
 * anywhere.
 */
int guard_is_test_file(const char *relpath);

/*
 * The configuration guard (issue 12): a fix may change what a test asserts
 * (with --allow-test-edits), never how pytest runs or reports, unless
 * --allow-config-edits. An edit of the file at `path` (project-relative;
 * its base name picks the checks) changes that when:
 *  - it is pytest.ini (or .pytest.ini, pytest.toml, .pytest.toml) and its
 *    bytes change (a new one moves the rootdir too);
 *  - the [pytest] section of a tox.ini, [tool:pytest] of a setup.cfg, or a
 *    [tool.pytest...] table of a pyproject.toml changes;
 *  - in conftest.py, anything but test functions, fixtures, imports,
 *    comments and the docstring changes: hooks, `pytest_plugins`,
 *    module-level code (a monkeypatch at import time), an import of a
 *    pytest_* name or of `*`;
 *  - in any Python file, a `def pytest_*` (a hook, at any depth) or a
 *    `pytest_plugins =` is added or changed;
 *  - in any file, "pytest11" (a plugin entry point), PYTEST_ADDOPTS or
 *    PYTEST_PLUGINS appears more often, or a configuration section gains
 *    `-p` (a plugin loaded by addopts).
 * Returns 1 with the reasons appended to `reason` ("'tests/conftest.py'
 * adds the pytest hook 'pytest_runtest_makereport'", several joined by
 * "; "), 0 when the edit leaves pytest alone, -1 (error_last()) if a Python
 * version cannot be parsed at all. `before` is empty for a new file.
 */
int guard_config_change(struct buf *reason, const char *path, const char *before, size_t blen,
			const char *after, size_t alen);

#endif
