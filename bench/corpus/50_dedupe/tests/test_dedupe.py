from dedupe import duplicates, unique, unique_by


def test_unique_keeps_order():
    assert unique([3, 1, 3, 2, 1]) == [3, 1, 2]


def test_unique_of_distinct_items():
    assert unique(["a", "b"]) == ["a", "b"]


def test_unique_strings():
    assert unique("mississippi") == ["m", "i", "s", "p"]


def test_unique_by():
    assert unique_by(["Ab", "ab", "c"], str.lower) == ["Ab", "c"]


def test_duplicates():
    assert duplicates([1, 2, 1, 3, 2, 1]) == [1, 2]
