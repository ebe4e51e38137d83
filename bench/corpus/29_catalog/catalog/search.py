"""Product catalogue filtering and sorting."""
from dataclasses import dataclass, field


@dataclass
class Product:
    sku: str
    name: str
    price: float
    tags: set = field(default_factory=set)
    discontinued: bool = False


class Catalog:
    def __init__(self, products=()):
        self._products = {p.sku: p for p in products}

    def add(self, product):
        if product.sku in self._products:
            raise KeyError(f"duplicate sku {product.sku}")
        self._products[product.sku] = product

    def active(self):
        return [p for p in self._products.values() if p.discontinued]

    def search(self, text="", tag=None, max_price=None):
        text = text.lower()
        results = []
        for product in self.active():
            if text and text not in product.name.lower():
                continue
            if tag is not None and tag not in product.tags:
                continue
            if max_price is not None and product.price > max_price:
                continue
            results.append(product)
        return sorted(results, key=lambda p: (p.price, p.name))

    def discontinue(self, sku):
        self._products[sku].discontinued = True
