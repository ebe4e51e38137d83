"""Course grade calculation from weighted assessment scores."""

CUTOFFS = [(90, "A"), (80, "B"), (70, "C"), (60, "D")]


def weighted_average(scores, weights):
    """Average of scores (0-100) weighted by the matching weights."""
    if set(scores) != set(weights):
        raise ValueError("scores and weights must cover the same assessments")
    total_weight = sum(weights.values())
    if total_weight <= 0:
        raise ValueError("weights must sum to a positive number")
    return sum(scores[name] * weights[name] for name in scores) / total_weight


def letter(score):
    if not 0 <= score <= 100:
        raise ValueError(f"score out of range: {score}")
    for cutoff, grade in CUTOFFS:
        if score > cutoff:
            return grade
    return "F"


def report(students, weights):
    """Map student name -> (average rounded to 0.1, letter grade)."""
    result = {}
    for name, scores in students.items():
        avg = round(weighted_average(scores, weights), 1)
        result[name] = (avg, letter(avg))
    return result
