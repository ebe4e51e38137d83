"""Word frequency counting for short documents."""
import re
from collections import Counter

_WORD = re.compile(r"[a-z']+")
STOPWORDS = frozenset({"a", "an", "and", "the", "of", "to", "in", "is", "it"})


def words(text):
    return [w.strip("'") for w in _WORD.findall(text.lower()) if w.strip("'")]


def count_words(text, stopwords=STOPWORDS):
    return Counter(w for w in words(text) if w not in stopwords)


def merge_counts(first, second):
    """Combine two word -> count mappings into a new dict."""
    merged = dict(first)
    for word in second:
        merged[word] = merged.get(word, 0) + first[word]
    return merged


def top_words(counts, n):
    """The n most frequent words, ties broken alphabetically."""
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
