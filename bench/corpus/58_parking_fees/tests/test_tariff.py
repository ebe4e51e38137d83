import pytest

from carpark.tariff import fee, receipt_line


def test_short_stop_is_free():
    assert fee(10) == 0


def test_grace_period_includes_its_last_minute():
    assert fee(15) == 0


def test_every_started_hour_is_charged():
    assert fee(61) == 5.0
    assert fee(120) == 5.0


def test_daily_cap():
    assert fee(9 * 60) == 18.0


def test_stay_over_several_days():
    assert fee(2 * 24 * 60 + 90) == 41.0


def test_lost_ticket():
    assert fee(45, lost_ticket=True) == 30.0
    with pytest.raises(ValueError):
        fee(-5)


def test_receipt_for_free_stay():
    assert receipt_line("KA-123", 15) == "KA-123  15 min  free"


def test_receipt_for_paid_stay():
    assert receipt_line("KA-123", 135) == "KA-123  2h15  7.50"
