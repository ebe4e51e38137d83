from pathparts import name, normalise, parent, split_last


def test_normalise():
    assert normalise("/a/./b/../c/") == "/a/c"


def test_parent():
    assert parent("/a/b/c") == "/a/b"


def test_parent_of_top_level():
    assert parent("/a") == "/"


def test_split_last():
    assert split_last("/a/b") == ["/a", "b"]


def test_name():
    assert name("/docs/readme.txt") == "readme.txt"


def test_root_has_no_name():
    assert name("/") == ""
