import pytest

from wordwrap import fill, shorten, wrap

LOREM = "lorem ipsum dolor sit amet elit sed do eiusmod tempor magna aliqua"


def test_exact_fit_breaks_line():
    assert wrap("the quick brown fox", 8) == ["the", "quick", "brown", "fox"]


def test_lines_never_exceed_width():
    for line in wrap(LOREM, 10):
        assert len(line) <= 10, line


def test_long_word_gets_own_line():
    assert wrap("a extraordinarily b", 5) == ["a", "extraordinarily", "b"]


def test_wide_width_keeps_one_line():
    assert wrap("  many   spaces here ", 80) == ["many spaces here"]


def test_fill_with_indent():
    assert fill("one two three", 20, indent="  ") == "  one two three"


def test_shorten_adds_placeholder():
    assert shorten("Hello   world, this is long", 15) == "Hello [...]"


def test_invalid_width():
    with pytest.raises(ValueError):
        wrap("text", 0)
