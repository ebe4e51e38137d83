from importer.records import is_complete, missing_fields, partition, validate_age

FULL = {"id": 1, "name": "Ada", "email": "ada@example.com", "age": 36}
PARTIAL = {"id": 2, "name": "  ", "email": "bob@example.com"}


def test_missing_fields():
    assert missing_fields(PARTIAL) == ["name"]
    assert missing_fields({}) == ["id", "name", "email"]


def test_full_record_is_complete():
    assert is_complete(FULL)


def test_partial_record_is_incomplete():
    assert not is_complete(PARTIAL)


def test_validate_age():
    assert validate_age(FULL)
    assert validate_age({"id": 3})
    assert not validate_age({"age": 200})


def test_partition():
    bad_age = dict(FULL, id=4, age=-1)
    good, bad = partition([FULL, PARTIAL, bad_age])
    assert good == [FULL]
    assert bad == [PARTIAL, bad_age]
