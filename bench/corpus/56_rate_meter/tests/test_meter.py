from meter import RateMeter


def test_no_events():
    meter = RateMeter(0)
    assert meter.tick(0) == 0.0


def test_rate():
    meter = RateMeter(0)
    meter.record(10)
    assert meter.tick(2) == 5.0


def test_count_resets():
    meter = RateMeter(0)
    meter.record(10)
    meter.tick(2)
    meter.record(3)
    assert meter.tick(5) == 1.0


def test_peak_without_ticks():
    assert RateMeter(0).peak() == 0.0


def test_record_counts():
    meter = RateMeter(0)
    meter.record()
    meter.record(4)
    assert meter.count == 5
