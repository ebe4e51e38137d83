import pytest

from treemap import TreeMap


@pytest.fixture
def tree():
    t = TreeMap()
    for key in (50, 30, 70, 20, 40, 60, 80):
        t.put(key, str(key))
    return t


def test_get_root_and_right_subtree(tree):
    assert tree.get(50) == "50"
    assert tree.get(80) == "80"


def test_get_from_left_subtree(tree):
    assert tree.get(20) == "20"
    assert 40 in tree


def test_items_are_sorted(tree):
    assert [k for k, _ in tree.items()] == [20, 30, 40, 50, 60, 70, 80]


def test_len_counts_unique_keys(tree):
    tree.put(30, "thirty")
    assert len(tree) == 7


def test_missing_key_returns_default(tree):
    assert tree.get(99, "none") == "none"
