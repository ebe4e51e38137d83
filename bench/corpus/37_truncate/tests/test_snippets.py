import pytest

from snippets import highlight, initials, truncate, truncate_words


def test_short_text_unchanged():
    assert truncate("hello", 10) == "hello"


def test_truncate_long_text():
    assert truncate("hello world", 8) == "hello..."


def test_truncate_never_exceeds_width():
    text = "The quick brown fox jumps over the lazy dog"
    for width in range(3, len(text)):
        assert len(truncate(text, width)) <= width


def test_width_too_small():
    with pytest.raises(ValueError):
        truncate("hello", 2)


def test_truncate_words():
    assert truncate_words("one two three four", 2) == "one two ..."


def test_initials():
    assert initials("ada  king lovelace") == "AKL"


def test_highlight_is_case_insensitive():
    assert highlight("Cat and cat", "CAT") == "**Cat** and **cat**"
