import pytest

from csvsummary import average, column, header, parse, total

TEXT = "item,qty,price\napple,3,0.5\npear,1,0.75\nplum,6,0.25\n"


def test_parse():
    assert parse("a,b\n1,2\n") == [["a", "b"], ["1", "2"]]


def test_header():
    assert header(parse(TEXT)) == ["item", "qty", "price"]


def test_column():
    assert column(parse(TEXT), "qty") == [3.0, 1.0, 6.0]


def test_total():
    assert total(parse(TEXT), "qty") == 10.0


def test_average():
    assert average(parse(TEXT), "price") == 0.5


def test_parse_strips_blank_lines():
    assert parse("\na,b\n\n") == [["a", "b"]]


def test_unknown_column():
    with pytest.raises(ValueError):
        column(parse(TEXT), "colour")
