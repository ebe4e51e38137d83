"""Parcel shipping: delivery zones from postcodes, prices from weight bands."""

# Two-digit postcode prefixes served from the local and regional depots;
# everything else is zone 3.
ZONE_BY_PREFIX = {"10": 1, "12": 1, "13": 1, "14": 2, "15": 2, "16": 2}
BASE_PRICE = {1: 4.90, 2: 6.90, 3: 9.90}
HEAVY_SURCHARGE = 7.50
LETTER_MAX_KG = 0.5
PARCEL_MAX_KG = 10
MAX_WEIGHT_KG = 31.5


def zone(postcode):
    """Delivery zone (1-3) for a five-digit postcode such as '10115' or '10 115'."""
    code = postcode.replace(" ", "")
    if len(code) != 5 or not code.isdigit():
        raise ValueError(f"not a postcode: {postcode!r}")
    return ZONE_BY_PREFIX.get(code[:2], 3)


def weight_band(kg):
    """'letter' up to 0.5 kg, 'parcel' up to 10 kg, 'heavy' up to 31.5 kg."""
    if kg <= 0 or kg > MAX_WEIGHT_KG:
        raise ValueError(f"cannot ship {kg} kg")
    if kg > PARCEL_MAX_KG:
        return "heavy"
    if kg >= LETTER_MAX_KG:
        return "parcel"
    return "letter"


def price(postcode, kg):
    """Price of one shipment: letters cost half the zone's base price, heavy
    parcels carry a surcharge."""
    base = BASE_PRICE[zone(postcode)]
    band = weight_band(kg)
    if band == "letter":
        return round(base / 2, 2)
    if band == "heavy":
        return round(base + HEAVY_SURCHARGE, 2)
    return base
