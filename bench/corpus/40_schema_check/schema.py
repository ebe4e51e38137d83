"""Minimal record schema validation: required fields and value types."""


class Field:
    def __init__(self, name, kind, required=True):
        self.name = name
        self.kind = kind
        self.required = required


def validate(record, fields):
    """Return a list of human-readable problems (empty if the record is valid)."""
    problems = []
    for field in fields:
        if field.name not in record:
            if field.required:
                problems.append(f"{field.name}: missing")
            continue
        value = record[field.name]
        if not isinstance(field.kind, value):
            problems.append(
                f"{field.name}: expected {field.kind.__name__}, got {type(value).__name__}")
    unknown = sorted(set(record) - {f.name for f in fields})
    problems.extend(f"{name}: unknown field" for name in unknown)
    return problems


def is_valid(record, fields):
    return not validate(record, fields)
