from search import count_in_range, lower_bound, search

DATA = [1, 3, 5, 7, 9, 11]


def test_finds_every_element():
    for index, value in enumerate(DATA):
        assert search(DATA, value) == index


def test_missing_between_elements():
    assert search(DATA, 4) == -1


def test_missing_below_range():
    assert search(DATA, 0) == -1


def test_missing_above_range():
    assert search(DATA, 12) == -1


def test_empty_sequence():
    assert search([], 3) == -1


def test_lower_bound():
    assert lower_bound(DATA, 6) == 3
    assert lower_bound(DATA, 100) == len(DATA)


def test_count_in_range():
    assert count_in_range([1, 2, 2, 3, 5, 8], 2, 5) == 4
