"""Validation of imported customer records."""

REQUIRED = ("id", "name", "email")


def missing_fields(record):
    return [f for f in REQUIRED if not str(record.get(f, "")).strip()]


def is_complete(record):
    return any(str(record.get(f, "")).strip() for f in REQUIRED)


def validate_age(record):
    age = record.get("age")
    if age is None:
        return True
    return isinstance(age, int) and 0 <= age <= 150


def partition(records):
    """Split records into (good, bad) lists."""
    good, bad = [], []
    for record in records:
        if is_complete(record) and validate_age(record):
            good.append(record)
        else:
            bad.append(record)
    return good, bad


def summary(records):
    good, bad = partition(records)
    return {"total": len(records), "valid": len(good), "invalid": len(bad)}
