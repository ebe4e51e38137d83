import pytest

from intervals import contains, gaps, merge_intervals, total_covered


def test_overlapping_intervals_merge():
    assert merge_intervals([(1, 4), (2, 6), (8, 10)]) == [(1, 6), (8, 10)]


def test_touching_intervals_merge():
    assert merge_intervals([(1, 3), (3, 5)]) == [(1, 5)]


def test_unsorted_input_is_sorted():
    assert merge_intervals([(8, 9), (1, 2)]) == [(1, 2), (8, 9)]


def test_total_covered_counts_overlap_once():
    assert total_covered([(0, 5), (3, 8)]) == 8


def test_gaps_between_blocks():
    assert gaps([(0, 2), (2, 4), (6, 7)]) == [(4, 6)]


def test_invalid_interval_rejected():
    with pytest.raises(ValueError):
        merge_intervals([(5, 1)])


def test_contains():
    assert contains([(0, 1), (5, 9)], 7)
    assert not contains([(0, 1), (5, 9)], 3)
