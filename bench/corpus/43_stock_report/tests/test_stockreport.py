from stockreport import low_stock, reorder_lines, summary, valuation

ITEMS = [
    {"name": "bolts", "qty": 3, "cost": 0.1},
    {"name": "nuts", "qty": 40, "cost": 0.05},
    {"name": "washers", "qty": 5, "cost": 0.02},
]


def test_valuation():
    assert valuation(ITEMS) == 2.4


def test_low_stock_sorted_by_quantity():
    assert low_stock(ITEMS) == ["bolts", "washers"]


def test_reorder_lines():
    assert reorder_lines(ITEMS) == ["bolts: 17", "washers: 15"]


def test_summary_all_stocked():
    assert summary(ITEMS, threshold=2) == "3 items, all stocked"


def test_summary_with_low_items():
    assert summary(ITEMS) == "3 items, 2 low"


def test_summary_one_low():
    assert summary(ITEMS, threshold=3) == "3 items, 1 low"
