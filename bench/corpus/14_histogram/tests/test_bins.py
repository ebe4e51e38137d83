import pytest

from histo.bins import bin_edges, bin_index, histogram, render


def test_bin_edges():
    assert bin_edges(0, 10, 5) == [0, 2, 4, 6, 8, 10]


def test_bin_index_floors():
    assert bin_index(1.9, 0, 10, 5) == 0
    assert bin_index(2.0, 0, 10, 5) == 1


def test_top_value_goes_in_last_bin():
    assert bin_index(10, 0, 10, 5) == 4


def test_histogram_counts():
    assert histogram(range(11), 5) == [2, 2, 2, 2, 3]


def test_out_of_range_value():
    with pytest.raises(ValueError):
        bin_index(11, 0, 10, 5)


def test_render():
    assert render([3, 10]) == " 3 ###\n10 ##########"
