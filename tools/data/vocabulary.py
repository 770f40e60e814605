"""The demo shop's vocabulary: clothing categories, brands by tier, spender types and styles.

Kept apart from the generator so matching and copywriting can speak the same language.
"""

from __future__ import annotations

# category -> (item names, typical cost in EUR for a mid-tier brand)
CATEGORIES: dict[str, tuple[list[str], float]] = {
    "Tops": (["T-Shirt", "Blouse", "Shirt", "Tank Top", "Polo"], 12.0),
    "Knitwear": (["Sweater", "Cardigan", "Turtleneck", "Hoodie"], 24.0),
    "Dresses": (["Midi Dress", "Maxi Dress", "Wrap Dress", "Shirt Dress"], 28.0),
    "Trousers": (["Chinos", "Wide-Leg Trousers", "Tailored Trousers", "Joggers"], 22.0),
    "Jeans": (["Slim Jeans", "Straight Jeans", "Mom Jeans", "Bootcut Jeans"], 25.0),
    "Outerwear": (["Trench Coat", "Parka", "Puffer Jacket", "Wool Coat", "Denim Jacket", "Blazer"], 55.0),
    "Shoes": (["Sneakers", "Loafers", "Ankle Boots", "Sandals", "Chelsea Boots"], 35.0),
    "Accessories": (["Scarf", "Belt", "Tote Bag", "Beanie", "Sunglasses"], 10.0),
    "Activewear": (["Leggings", "Sports Bra", "Running Jacket", "Training Shorts"], 16.0),
}

MATERIALS = [
    "Cotton",
    "Organic Cotton",
    "Wool",
    "Merino",
    "Linen",
    "Cashmere",
    "Silk",
    "Denim",
    "Leather",
    "Recycled Polyester",
    "Viscose",
]
ADJECTIVES = [
    "Classic",
    "Essential",
    "Relaxed",
    "Tailored",
    "Cropped",
    "Oversized",
    "Vintage",
    "Heritage",
    "Soft",
    "Everyday",
    "Signature",
    "Modern",
]

BRAND_TIERS: dict[str, list[str]] = {
    "budget": ["BasicThread", "UrbanValue", "DailyWear", "SmartBuy Apparel"],
    "mid": ["Northlane", "Cotton & Co", "Harbor Street", "Maple Studio", "Fieldnote"],
    "premium": ["Atelier Verne", "Solenne", "Kestrel & Finch", "Oslo Row"],
    "luxury": ["Maison Ardent", "Valenti Roma", "Castell Noir"],
}
TIER_COST_FACTOR = {"budget": 0.55, "mid": 1.0, "premium": 2.2, "luxury": 5.5}
TIER_MARGIN = {"budget": (0.25, 0.6), "mid": (0.45, 0.9), "premium": (0.6, 1.3), "luxury": (0.9, 2.2)}

CUSTOMER_TYPES = ["low", "medium", "high", "premium"]
CUSTOMER_TYPE_SHARE = [0.40, 0.33, 0.19, 0.08]
STYLES = ["budget", "casual", "fashion", "luxury"]
# P(style | customer type), rows follow CUSTOMER_TYPES
STYLE_GIVEN_TYPE = [
    [0.55, 0.35, 0.09, 0.01],
    [0.20, 0.50, 0.25, 0.05],
    [0.05, 0.35, 0.40, 0.20],
    [0.01, 0.14, 0.35, 0.50],
]
# brand tiers each style likes, as weights over budget / mid / premium / luxury
TIER_WEIGHT_GIVEN_STYLE = {
    "budget": [0.75, 0.23, 0.02, 0.0],
    "casual": [0.25, 0.60, 0.13, 0.02],
    "fashion": [0.05, 0.40, 0.45, 0.10],
    "luxury": [0.0, 0.10, 0.40, 0.50],
}
# category appetite per style (order of CATEGORIES)
CATEGORY_WEIGHT_GIVEN_STYLE = {
    "budget": [3, 1, 1, 2, 3, 1, 2, 2, 3],
    "casual": [3, 2, 1, 2, 3, 2, 3, 2, 2],
    "fashion": [2, 2, 3, 2, 1, 3, 3, 3, 1],
    "luxury": [1, 3, 3, 2, 1, 3, 2, 3, 1],
}


def brand_tier(brand: str) -> str | None:
    return next((tier for tier, brands in BRAND_TIERS.items() if brand in brands), None)
