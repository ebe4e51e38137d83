import pytest

from grades import letter, report, weighted_average

WEIGHTS = {"homework": 0.25, "midterm": 0.25, "final": 0.5}


def test_weighted_average():
    scores = {"homework": 100, "midterm": 80, "final": 70}
    assert weighted_average(scores, WEIGHTS) == pytest.approx(80.0)


def test_letter_mid_band():
    assert [letter(s) for s in (95, 85, 75, 65, 42)] == ["A", "B", "C", "D", "F"]


def test_letter_at_cutoff():
    assert letter(90) == "A"
    assert letter(60) == "D"


def test_report():
    students = {
        "ana": {"homework": 100, "midterm": 80, "final": 70},
        "ben": {"homework": 50, "midterm": 60, "final": 55},
    }
    assert report(students, WEIGHTS) == {"ana": (80.0, "B"), "ben": (55.0, "F")}


def test_mismatched_assessments():
    with pytest.raises(ValueError):
        weighted_average({"final": 90}, WEIGHTS)


def test_score_out_of_range():
    with pytest.raises(ValueError):
        letter(101)
