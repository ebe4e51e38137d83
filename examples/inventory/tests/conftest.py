import pytest

from inventory import Inventory, Item


@pytest.fixture
def store():
    """A small inventory shared by the tests (fresh for each test)."""
    return Inventory(
        [
            Item("APL-01", "Apple", 0.50, quantity=40, capacity=200,
                 category="fruit", tax_class="zero", reorder_level=20),
            Item("BRD-01", "Bread", 2.20, quantity=3, capacity=30,
                 category="bakery", tax_class="reduced"),
            Item("MUG-01", "Mug", 8.00, quantity=12, capacity=50,
                 category="kitchen"),
            Item("TEA-01", "Tea, 80 bags", 3.50, quantity=0, capacity=60,
                 category="grocery", tax_class="reduced"),
            Item("KTL-01", "Kettle", 24.99, quantity=6, capacity=10,
                 category="kitchen", reorder_level=2),
        ]
    )
