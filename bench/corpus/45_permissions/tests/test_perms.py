from perms import EXECUTE, READ, WRITE, allows, parse, render, revoke


def test_parse_nothing():
    assert parse("---") == 0


def test_parse_read_write():
    assert parse("rw-") == READ | WRITE


def test_parse_all():
    assert parse("rwx") == 7


def test_render():
    assert render(5) == "r-x"


def test_allows():
    assert allows(7, READ | EXECUTE)
    assert not allows(4, WRITE)


def test_revoke():
    assert revoke(7, WRITE) == READ | EXECUTE
