from pricing.rules import bulk, chain, percent_off


def test_percent_off():
    assert percent_off(10)(50) == 45


def test_percent_off_capped():
    assert percent_off(50, cap=5)(40) == 35


def test_bulk_below_threshold():
    assert bulk(10, 0.5)(4, qty=3) == 12


def test_bulk_at_threshold():
    assert bulk(10, 0.5)(4, qty=10) == 35


def test_bulk_above_threshold():
    assert bulk(5, 1)(3, qty=6) == 12


def test_chain():
    assert chain(percent_off(10), percent_off(10))(100) == 81
