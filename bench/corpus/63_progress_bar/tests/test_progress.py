from progress import bar, eta_seconds, label, percent, render


def test_percent_of_a_partial_job():
    assert percent(50, 200) == 25


def test_partial_bar():
    assert bar(3, 10, width=10) == "[###.......]"


def test_complete_bar():
    assert bar(10, 10, width=10) == "[##########]"


def test_unknown_total_counts_as_done():
    assert percent(0, 0) == 100


def test_label():
    assert label(40, 40, " MB") == "40/40 MB (100%)"


def test_eta():
    assert eta_seconds(25, 100, 10.0) == 30
    assert eta_seconds(0, 100, 0.0) is None


def test_render_finished_job():
    assert render(8, 8, 4.0) == "[####################] 8/8 (100%)"
