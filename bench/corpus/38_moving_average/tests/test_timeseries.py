import pytest

from timeseries import cumulative, differences, moving_average, resample


def test_moving_average_pairs():
    assert moving_average([1, 2, 3, 4, 5], 2) == [1.5, 2.5, 3.5, 4.5]


def test_window_of_one():
    assert moving_average([4, 8, 6], 1) == [4, 8, 6]


def test_window_covering_everything():
    assert moving_average([2, 4, 9], 3) == [5.0]


def test_invalid_window():
    with pytest.raises(ValueError):
        moving_average([1, 2], 3)


def test_differences_and_cumulative():
    assert differences([1, 4, 9, 16]) == [3, 5, 7]
    assert cumulative([1, 2, 3]) == [1, 3, 6]


def test_resample_drops_remainder():
    assert resample([1, 3, 5, 7, 100], 2) == [2.0, 6.0]
