import pytest

from shipping import price, weight_band, zone


def test_zone_from_postcode_prefix():
    assert zone("10115") == 1
    assert zone("14 467") == 2


def test_unknown_prefix_is_the_farthest_zone():
    assert zone("80331") == 3


def test_malformed_postcode_rejected():
    with pytest.raises(ValueError):
        zone("1011")
    with pytest.raises(ValueError):
        zone("AB123")


def test_half_kilo_ships_as_a_letter():
    assert weight_band(0.5) == "letter"


def test_letter_price_is_half_the_base_price():
    assert price("10115", 0.5) == 2.45


def test_heavy_parcel_surcharge():
    assert weight_band(31.5) == "heavy"
    assert price("80331", 12) == 17.40


def test_weight_limits():
    with pytest.raises(ValueError):
        weight_band(0)
    with pytest.raises(ValueError):
        weight_band(32)
