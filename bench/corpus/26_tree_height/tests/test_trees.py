from trees import Node, height, is_balanced, level_order, size

FULL = Node(1, Node(2, Node(4), Node(5)), Node(3, Node(6), Node(7)))
CHAIN = Node(1, Node(2, Node(3)))


def test_height_of_leaf():
    assert height(Node(9)) == 1


def test_height_of_full_tree():
    assert height(FULL) == 3


def test_height_of_empty_tree():
    assert height(None) == 0


def test_height_of_chain():
    assert height(CHAIN) == 3


def test_is_balanced():
    assert is_balanced(FULL)
    assert not is_balanced(CHAIN)


def test_size():
    assert size(FULL) == 7 and size(None) == 0


def test_level_order():
    assert level_order(FULL) == [1, 2, 3, 4, 5, 6, 7]
