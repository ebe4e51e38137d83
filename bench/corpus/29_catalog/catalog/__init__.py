from .search import Catalog, Product

__all__ = ["Catalog", "Product"]
