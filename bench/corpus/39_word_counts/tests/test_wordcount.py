from wordcount import count_words, merge_counts, top_words, words


def test_words_lowercases_and_strips_quotes():
    assert words("It's 'quoted' Text!") == ["it's", "quoted", "text"]


def test_count_words_skips_stopwords():
    assert count_words("the cat and the hat") == {"cat": 1, "hat": 1}


def test_merge_disjoint_counts():
    assert merge_counts({"cat": 2}, {"dog": 1}) == {"cat": 2, "dog": 1}


def test_merge_overlapping_counts():
    assert merge_counts({"cat": 2, "dog": 1}, {"cat": 3}) == {"cat": 5, "dog": 1}


def test_merge_with_empty():
    assert merge_counts({"cat": 2}, {}) == {"cat": 2}


def test_top_words_breaks_ties_alphabetically():
    counts = {"pear": 2, "apple": 2, "fig": 5, "kiwi": 1}
    assert top_words(counts, 3) == [("fig", 5), ("apple", 2), ("pear", 2)]
