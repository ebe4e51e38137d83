import pytest

from percentiles import fraction_below, percentile, summary

SAMPLES = [35, 20, 15, 50, 40]


def test_nearest_rank_examples():
    assert [percentile(SAMPLES, p) for p in (5, 30, 40, 50)] == [15, 20, 20, 35]


def test_p100_is_maximum():
    assert percentile(SAMPLES, 100) == 50


def test_summary():
    assert summary(list(range(1, 11))) == {"min": 1, "p50": 5, "p90": 9, "max": 10}


def test_empty_samples_rejected():
    with pytest.raises(ValueError):
        percentile([], 50)


def test_p_out_of_range():
    with pytest.raises(ValueError):
        percentile(SAMPLES, 0)


def test_fraction_below():
    assert fraction_below(SAMPLES, 36) == 0.6
    assert fraction_below([], 10) == 0.0
