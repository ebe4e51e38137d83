import pytest

from paginate import page_count, paginate


def test_page_count_rounds_up():
    assert page_count(25, 10) == 3
    assert page_count(0, 10) == 1


def test_first_page_items():
    page = paginate(range(1, 26), 1, per_page=10)
    assert page.items == list(range(1, 11))
    assert page.has_next and not page.has_previous


def test_last_page_is_partial():
    page = paginate(range(1, 26), 3, per_page=10)
    assert page.items == [21, 22, 23, 24, 25]
    assert not page.has_next


def test_out_of_range_page_rejected():
    with pytest.raises(ValueError):
        paginate(range(5), 2, per_page=10)


def test_invalid_per_page():
    with pytest.raises(ValueError):
        page_count(10, 0)
