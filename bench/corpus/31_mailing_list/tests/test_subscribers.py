from subscribers import dedupe, is_valid, normalize


def test_normalize_gmail():
    assert normalize(" John.Smith+news@GoogleMail.com ") == "johnsmith@gmail.com"


def test_normalize_keeps_other_domains():
    assert normalize("First.Last+tag@Example.org") == "first.last+tag@example.org"


def test_is_valid():
    assert is_valid("a@b.io")
    assert not is_valid("no-at-sign.com")
    assert not is_valid("two@@example.com")


def test_dedupe_keeps_first_seen_order():
    assert dedupe(["b@x.com", "a@x.com", "B@x.com", "bogus"]) == ["b@x.com", "a@x.com"]


def test_dedupe_gmail_variants():
    assert dedupe(["jane.doe@gmail.com", "janedoe+shop@gmail.com"]) == ["janedoe@gmail.com"]


def test_remove_unsubscribed():
    from subscribers import remove

    assert remove(["a@x.com", "b@x.com"], ["A@x.com"]) == ["b@x.com"]
