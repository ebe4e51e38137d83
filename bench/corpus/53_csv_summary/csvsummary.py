"""Column sums and averages for small CSV exports (the first line is the header)."""


def parse(text):
    return [line.split(",") for line in text.strip().splitlines()]


def header(rows):
    return rows[0]


def column(rows, name):
    """The numbers in the named column."""
    index = header(rows).index(name)
    values = []
    for row in rows:
        values.append(float(row[index]))
    return values


def total(rows, name):
    return sum(column(rows, name))


def average(rows, name):
    values = column(rows, name)
    return sum(values) / len(values) if values else 0.0
