from labels import city_line, full_name, label

SHIPPED = {
    "customer": {"first": "Ada", "last": "Byron"},
    "shipping": {"street": "12 Mill Lane", "city": "Leeds", "postcode": "LS1 4AB"},
}
COLLECTED = {"customer": {"first": "Alan"}, "shipping": None}


def test_full_name():
    assert full_name({"first": " Ada ", "last": "Byron"}) == "Ada Byron"


def test_full_name_without_last():
    assert full_name({"first": "Alan"}) == "Alan"


def test_city_line():
    assert city_line(SHIPPED) == "LEEDS LS1 4AB"


def test_city_line_when_collected():
    assert city_line(COLLECTED) is None


def test_label():
    assert label(SHIPPED) == "Ada Byron\n12 Mill Lane\nLEEDS LS1 4AB"


def test_label_when_collected():
    assert label(COLLECTED) == "Alan"
