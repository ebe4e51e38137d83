from dataclasses import dataclass, field

CUTOFFS = [(90, "A"), (80, "B")]


@dataclass
class Span:
    start: int
    end: int = 0
    tags: list = field(default_factory=list)

    def width(self):
        return self.end - self.start

    def tag(self, name: str):
        self.tags.append(name)


def _check(pair):
    low, high = pair
    return low <= high


def merge(spans):
    return [_check(s) for s in spans]


def grade(score):
    for cutoff, letter in CUTOFFS:
        if score >= cutoff:
            return letter
    return "F"


def grid(m):
    return m[0][0] + len(m)
