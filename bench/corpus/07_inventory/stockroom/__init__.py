from .inventory import Inventory, InventoryError

__all__ = ["Inventory", "InventoryError"]
