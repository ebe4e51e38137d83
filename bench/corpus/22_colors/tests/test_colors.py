import pytest

from colors import blend, lighten, parse_hex, to_hex


def test_parse_hex_long_and_short():
    assert parse_hex("#ff8000") == (255, 128, 0)
    assert parse_hex("0f0") == (0, 255, 0)


def test_parse_hex_rejects_bad_length():
    with pytest.raises(ValueError):
        parse_hex("#12345")


def test_to_hex():
    assert to_hex((255, 128, 0)) == "#ff8000"


def test_lighten():
    assert lighten((10, 20, 30), 10) == (20, 30, 40)


def test_darken_saturates_at_zero():
    assert lighten((5, 100, 200), -10) == (0, 90, 190)


def test_lighten_saturates_at_255():
    assert lighten((250, 100, 0), 20) == (255, 120, 20)


def test_lighten_white_stays_white():
    assert to_hex(lighten(parse_hex("#ffffff"), 40)) == "#ffffff"
    assert lighten((255, 255, 255), 40) == (255, 255, 255)


def test_blend_midpoint():
    assert blend((0, 0, 0), (255, 255, 255)) == (128, 128, 128)
