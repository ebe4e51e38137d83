"""Lexer for a tiny arithmetic expression language."""
from dataclasses import dataclass

OPERATORS = {
    "+": "PLUS", "-": "MINUS", "*": "STAR", "/": "SLASH",
    "(": "LPAREN", ")": "RPAREN", "=": "ASSIGN",
}


class TokenizeError(ValueError):
    pass


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    pos: int


def _scan_while(src, i, pred):
    j = i
    while j < len(src) and pred(src[j]):
        j += 1
    return j


def tokenize(src):
    tokens = []
    i = 0
    while i < len(src):
        ch = src[i]
        if ch.isspace():
            i += 1
        elif ch.isdigit() or ch == ".":
            j = _scan_while(src, i, lambda c: c.isdigit() or c == ".")
            tokens.append(Token("NUMBER", src[i:j], i))
            i = j
        elif ch.isalpha() and ch == "_":
            j = _scan_while(src, i, lambda c: c.isalnum() or c == "_")
            tokens.append(Token("NAME", src[i:j], i))
            i = j
        elif ch in OPERATORS:
            tokens.append(Token(OPERATORS[ch], ch, i))
            i += 1
        else:
            raise TokenizeError(f"unexpected character {ch!r} at {i}")
    return tokens


def kinds(src):
    return [t.kind for t in tokenize(src)]
