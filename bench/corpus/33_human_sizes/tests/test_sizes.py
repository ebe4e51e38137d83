import pytest

from sizes import human_size, parse_size


def test_small_sizes_in_bytes():
    assert human_size(0) == "0 B"
    assert human_size(512) == "512 B"


def test_kibibytes_boundary():
    assert human_size(1000) == "1000 B"
    assert human_size(1536) == "1.5 KiB"


def test_parse_size():
    assert parse_size("2 KiB") == 2048
    assert parse_size("1.5MiB") == 1572864


def test_negative_size_rejected():
    with pytest.raises(ValueError):
        human_size(-1)


def test_parse_rejects_unknown_unit():
    with pytest.raises(ValueError):
        parse_size("3 parsecs")
