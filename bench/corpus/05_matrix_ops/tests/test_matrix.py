import pytest

from matrix import add, identity, multiply, scale, transpose

A = [[1, 2], [3, 4]]
B = [[5, 6], [7, 8]]


def test_transpose_rectangular():
    assert transpose([[1, 2, 3], [4, 5, 6]]) == [[1, 4], [2, 5], [3, 6]]


def test_add():
    assert add(A, B) == [[6, 8], [10, 12]]


def test_scale():
    assert scale(A, 3) == [[3, 6], [9, 12]]


def test_multiply_square():
    assert multiply(A, B) == [[19, 22], [43, 50]]


def test_multiply_by_identity():
    assert multiply(A, identity(2)) == A


def test_multiply_shape_mismatch():
    with pytest.raises(ValueError):
        multiply([[1, 2, 3]], [[1, 2, 3]])
