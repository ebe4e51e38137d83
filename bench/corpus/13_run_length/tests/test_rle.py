import pytest

from rle import compression_ratio, decode, encode


def test_encode_empty():
    assert encode("") == ""


def test_encode_single_run():
    assert encode("aaaa") == "4a"


def test_encode_mixed_runs():
    assert encode("aaabccdddd") == "3a1b2c4d"


def test_decode():
    assert decode("2x1y3z") == "xxyzzz"


def test_decode_rejects_garbage():
    with pytest.raises(ValueError):
        decode("3a?")


def test_roundtrip():
    text = "WWWWWWWWWWWWBWWWWWWWWWWWWBBBWWWWWWWWWWWWWWWWWWWWWWWWBWWWWWWWWWWWWWW"
    assert decode(encode(text)) == text


def test_compression_ratio():
    assert compression_ratio("aaaa") == 0.5
