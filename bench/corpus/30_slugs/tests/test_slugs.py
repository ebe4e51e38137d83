from slugs import slugify, unique_slug


def test_slugify_basic():
    assert slugify("Hello, World!") == "hello-world"


def test_slugify_strips_accents():
    assert slugify("Crème Brûlée recipe") == "creme-brulee-recipe"


def test_slugify_max_length_trims_separator():
    assert slugify("one two three", max_length=8) == "one-two"


def test_slugify_empty():
    assert slugify("  !!  ") == ""


def test_unique_slug_when_free():
    assert unique_slug("My Post", {"other-post"}) == "my-post"


def test_unique_slug_adds_counter():
    assert unique_slug("My Post", {"my-post", "my-post-2"}) == "my-post-3"
