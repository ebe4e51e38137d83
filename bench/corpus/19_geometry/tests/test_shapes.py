import pytest

from geometry.shapes import area, bounding_box, centroid, distance, perimeter

SQUARE = [(0, 0), (2, 0), (2, 2), (0, 2)]


def test_distance():
    assert distance((1, 2), (4, 6)) == pytest.approx(5.0)


def test_perimeter_of_square():
    assert perimeter(SQUARE) == pytest.approx(8.0)


def test_area_of_triangle():
    assert area([(0, 0), (4, 0), (0, 3)]) == 6.0


def test_bounding_box():
    assert bounding_box([(1, 5), (-2, 3), (4, -1)]) == ((-2, -1), (4, 5))


def test_centroid():
    assert centroid(SQUARE) == (1.0, 1.0)
