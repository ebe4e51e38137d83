import pytest

from change import count_ways, greedy_change, min_coins


def test_count_ways_small():
    assert count_ways(4, [1, 2]) == 3


def test_count_ways_unsorted_coins():
    assert count_ways(10, [2, 5, 3, 6]) == 5


def test_count_ways_zero_amount():
    assert count_ways(0, [1, 5]) == 1


def test_count_ways_rejects_bad_coin():
    with pytest.raises(ValueError):
        count_ways(5, [0, 1])


def test_min_coins():
    assert min_coins(11, [1, 2, 5]) == 3
    assert min_coins(3, [2]) is None


def test_greedy_change():
    assert greedy_change(68, [1, 5, 10, 25]) == {25: 2, 10: 1, 5: 1, 1: 3}
