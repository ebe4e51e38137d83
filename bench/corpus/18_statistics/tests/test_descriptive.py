import pytest

from descriptive import mean, median, stdev, variance

SAMPLE = [2, 4, 4, 4, 5, 5, 7, 9]


def test_mean():
    assert mean(SAMPLE) == 5


def test_median_odd_and_even():
    assert median([3, 1, 2]) == 2
    assert median(SAMPLE) == 4.5


def test_variance():
    assert variance(SAMPLE) == pytest.approx(32 / 7)


def test_stdev():
    assert stdev([1, 3]) == pytest.approx(2 ** 0.5)


def test_empty_sample_rejected():
    with pytest.raises(ValueError):
        mean([])


def test_variance_needs_two_values():
    with pytest.raises(ValueError):
        variance([1])
