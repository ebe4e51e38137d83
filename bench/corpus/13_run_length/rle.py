"""Run-length encoding of strings, e.g. "aaab" <-> "3a1b"."""
import re

_TOKEN = re.compile(r"(\d+)(\D)")


def encode(text):
    if not text:
        return ""
    out = []
    run_char, run_len = text[0], 1
    for ch in text[1:]:
        if ch == run_char:
            run_len += 1
        else:
            out.append(f"{run_len}{run_char}")
            run_char = ch
            run_len = 0
    out.append(f"{run_len}{run_char}")
    return "".join(out)


def decode(data):
    pos = 0
    parts = []
    for match in _TOKEN.finditer(data):
        if match.start() != pos:
            raise ValueError(f"malformed input at offset {pos}")
        count, ch = match.groups()
        parts.append(ch * int(count))
        pos = match.end()
    if pos != len(data):
        raise ValueError(f"malformed input at offset {pos}")
    return "".join(parts)


def compression_ratio(text):
    return len(encode(text)) / len(text) if text else 1.0
