from brackets import first_error, is_balanced, max_depth


def test_balanced_nesting():
    assert is_balanced("f(a[0], {k: (1, 2)})")


def test_unmatched_closer():
    assert not is_balanced(")(")


def test_unclosed_opener():
    assert not is_balanced("((x)")


def test_empty_text_is_balanced():
    assert is_balanced("")


def test_first_error():
    assert first_error("(a]") == 2
    assert first_error("x(y") == 1
    assert first_error("[ok]") == -1


def test_max_depth():
    assert max_depth("a(b[c{d}])") == 3
