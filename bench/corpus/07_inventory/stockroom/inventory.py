"""In-memory stock tracking with reservations."""


class InventoryError(Exception):
    pass


class Inventory:
    def __init__(self):
        self._stock = {}
        self._reserved = {}

    def add(self, sku, qty):
        if qty <= 0:
            raise ValueError("quantity must be positive")
        self._stock[sku] = self._stock.get(sku, 0) + qty

    def on_hand(self, sku):
        return self._stock.get(sku, 0)

    def available(self, sku):
        return self.on_hand(sku) - self._reserved.get(sku, 0)

    def reserve(self, sku, qty):
        if qty > self.available(sku):
            raise InventoryError(f"only {self.available(sku)} of {sku} available")
        self._reserved[sku] = self._reserved.get(sku, 0) + qty

    def ship(self, sku, qty):
        reserved = self._reserved.get(sku, 0)
        on_hand = self._stock.get(sku, 0)
        if qty > reserved:
            raise InventoryError(f"cannot ship {qty} of {sku}: only {reserved} reserved")
        self._reserved[sku] = reserved - qty
        self._stock[sku] = reserved - qty

    def low_stock(self, threshold):
        return sorted(sku for sku in self._stock if self.available(sku) < threshold)
