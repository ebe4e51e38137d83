"""Plain-text tables with aligned columns."""


def pad(text, width, align="left"):
    text = str(text)
    if align == "right":
        return text.rjust(width)
    if align == "center":
        return text.center(width)
    return text.ljust(width)


def column_widths(rows):
    widths = []
    for row in rows:
        for i, cell in enumerate(row):
            if i == len(widths):
                widths.append(0)
            widths[i] = max(widths[i], len(str(cell)))
    return widths


def format_row(row, widths, align):
    cells = [pad(cell, width) for cell, width in zip(row, widths)]
    return " | ".join(cells).rstrip()


def format_table(rows, align="left"):
    """The rows as lines, each column as wide as its widest cell."""
    widths = column_widths(rows)
    return [format_row(row, widths, align) for row in rows]
