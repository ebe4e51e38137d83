from isbn import is_valid_isbn10, is_valid_isbn13, to_isbn13


def test_valid_isbn10():
    assert is_valid_isbn10("0-306-40615-2")


def test_wrong_length_isbn10():
    assert not is_valid_isbn10("0-306-40615")


def test_bad_check_character():
    assert not is_valid_isbn10("030640615A")


def test_valid_isbn13():
    assert is_valid_isbn13("978-0-306-40615-7")
    assert not is_valid_isbn13("978-0-306-40615-8")


def test_to_isbn13():
    assert to_isbn13("0306406152") == "9780306406157"
