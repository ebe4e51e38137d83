"""Parse a small INI-style settings format with typed getters."""


class ParseError(ValueError):
    pass


class Settings:
    def __init__(self, sections):
        self._sections = sections

    @classmethod
    def parse(cls, text):
        sections = {}
        current = None
        for lineno, raw in enumerate(text.splitlines(), start=1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            if line.startswith("[") and line.endswith("]"):
                current = sections.setdefault(line[1:-1].strip(), {})
            elif "=" in line and current is not None:
                key, value = line.split("=", 1)
                current[key.strip()] = value.strip()
            else:
                raise ParseError(f"line {lineno}: cannot parse {raw!r}")
        return cls(sections)

    def sections(self):
        return list(self._sections)

    def get(self, section, key, default=None):
        values = self._sections.get(section, {})
        if key not in values:
            return None
        return values[key]

    def get_int(self, section, key, default=0):
        return int(self.get(section, key, default))

    def get_bool(self, section, key, default=False):
        value = self.get(section, key, default)
        if isinstance(value, bool):
            return value
        return value.lower() in ("1", "true", "yes", "on")
