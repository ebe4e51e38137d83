from schema import Field, validate

USER = [Field("id", int), Field("name", str), Field("nickname", str, required=False)]


def test_valid_record():
    assert validate({"id": 7, "name": "Ada"}, USER) == []


def test_wrong_type_reported():
    assert validate({"id": "7", "name": "Ada"}, USER) == ["id: expected int, got str"]


def test_missing_required_fields():
    assert validate({}, USER) == ["id: missing", "name: missing"]


def test_unknown_fields_reported():
    assert validate({"extra": 1, "alpha": 2}, []) == ["alpha: unknown field", "extra: unknown field"]


def test_optional_field_may_be_absent():
    assert validate({}, [Field("nickname", str, required=False)]) == []
