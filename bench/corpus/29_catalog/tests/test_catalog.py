import pytest

from catalog import Catalog, Product


@pytest.fixture
def catalog():
    return Catalog([
        Product("k1", "Chef Knife", 45.0, {"kitchen"}),
        Product("k2", "Paring Knife", 15.0, {"kitchen"}),
        Product("g1", "Garden Hose", 30.0, {"garden"}),
        Product("g2", "Pocket Knife", 25.0, {"outdoor"}),
    ])


def test_search_by_text(catalog):
    assert [p.sku for p in catalog.search("knife")] == ["k2", "g2", "k1"]


def test_search_by_tag_and_price(catalog):
    assert [p.sku for p in catalog.search(tag="kitchen", max_price=20)] == ["k2"]


def test_discontinued_products_hidden(catalog):
    catalog.discontinue("k2")
    assert [p.sku for p in catalog.search("knife")] == ["g2", "k1"]


def test_duplicate_sku_rejected(catalog):
    with pytest.raises(KeyError):
        catalog.add(Product("k1", "Another", 1.0))


def test_empty_catalog():
    assert Catalog().search("anything") == []


def test_discontinue_unknown_sku(catalog):
    with pytest.raises(KeyError):
        catalog.discontinue("zz")
