from tablefmt import column_widths, format_table, pad


def test_pad_right():
    assert pad(7, 3, "right") == "  7"


def test_column_widths():
    assert column_widths([["a", "bbb"], ["cc", "d"]]) == [2, 3]


def test_left_aligned_table():
    assert format_table([["x", 1], ["long", 22]]) == ["x    | 1", "long | 22"]


def test_right_aligned_table():
    assert format_table([["x", 1], ["long", 22]], align="right") == ["   x |  1", "long | 22"]


def test_centered_table():
    assert format_table([["ab", 1], ["abcd", 1]], align="center") == [" ab  | 1", "abcd | 1"]
