#ifndef FIX_GUARD_H
#define FIX_GUARD_H

#include "util/buf.h"

#include <stddef.h>

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

#endif
