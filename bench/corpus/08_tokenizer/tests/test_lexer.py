import pytest

from calc.lexer import Token, TokenizeError, kinds, tokenize


def test_numbers():
    assert [t.text for t in tokenize("12 3.5 .25")] == ["12", "3.5", ".25"]


def test_operators():
    assert kinds("(1+2)*3/4-5") == [
        "LPAREN", "NUMBER", "PLUS", "NUMBER", "RPAREN", "STAR",
        "NUMBER", "SLASH", "NUMBER", "MINUS", "NUMBER"]


def test_positions_skip_whitespace():
    assert tokenize("  7 +  8") == [Token("NUMBER", "7", 2), Token("PLUS", "+", 4), Token("NUMBER", "8", 7)]


def test_identifiers():
    assert tokenize("rate _tmp x2") == [
        Token("NAME", "rate", 0), Token("NAME", "_tmp", 5), Token("NAME", "x2", 10)]


def test_assignment_statement():
    assert kinds("total = price * (qty + 1)") == [
        "NAME", "ASSIGN", "NAME", "STAR", "LPAREN", "NAME", "PLUS", "NUMBER", "RPAREN"]


def test_unexpected_character():
    with pytest.raises(TokenizeError, match="unexpected character"):
        tokenize("2 $ 3")
