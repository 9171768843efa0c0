"""The demo store's catalogue: products, variants, prices (EUR cents) and the care
and how-to text that shopper pages and messages show after a purchase."""

from __future__ import annotations

from dataclasses import dataclass

CATEGORIES = ("Coffee & Tea", "Kitchen", "Skincare", "Apparel", "Home", "Pet")

# Base share of customers' interest, and which category a basket's next line tends
# to come from after a line of the row's category (coffee buyers add a mug or filters).
CATEGORY_WEIGHTS = (0.28, 0.15, 0.19, 0.12, 0.14, 0.12)
AFFINITY = (
    (0.55, 0.30, 0.02, 0.03, 0.08, 0.02),
    (0.45, 0.35, 0.02, 0.04, 0.12, 0.02),
    (0.04, 0.03, 0.70, 0.05, 0.16, 0.02),
    (0.04, 0.04, 0.08, 0.66, 0.15, 0.03),
    (0.10, 0.14, 0.14, 0.10, 0.46, 0.06),
    (0.03, 0.03, 0.03, 0.04, 0.10, 0.77),
)

# Variant sets: (label, SKU suffix, price factor).
VARIANT_SETS: dict[str, tuple[tuple[str, str, float], ...]] = {
    "one": (("Default", "STD", 1.0),),
    "beans": (("250 g · Whole bean", "250-WB", 1.0), ("250 g · Ground", "250-GR", 1.0),
              ("1 kg · Whole bean", "1KG-WB", 3.4), ("1 kg · Ground", "1KG-GR", 3.4)),
    "tea": (("50 g tin", "50T", 1.0), ("100 g refill", "100R", 1.6)),
    "bottle": (("50 ml", "50", 1.0), ("100 ml", "100", 1.7)),
    "sizes": (("S", "S", 1.0), ("M", "M", 1.0), ("L", "L", 1.0), ("XL", "XL", 1.0)),
    "tee": (("S · Oat", "S-OAT", 1.0), ("M · Oat", "M-OAT", 1.0), ("L · Oat", "L-OAT", 1.0),
            ("S · Charcoal", "S-CHR", 1.0), ("M · Charcoal", "M-CHR", 1.0),
            ("L · Charcoal", "L-CHR", 1.0)),
    "socks": (("EU 36-39", "36", 1.0), ("EU 40-43", "40", 1.0), ("EU 44-47", "44", 1.0)),
    "scent": (("Fig & Cedar", "FIG", 1.0), ("Sea Salt", "SEA", 1.0), ("Amber", "AMB", 1.0)),
    "colour": (("Sand", "SND", 1.0), ("Sage", "SGE", 1.0), ("Slate", "SLT", 1.0)),
    "dogfood": (("2 kg", "2KG", 1.0), ("6 kg", "6KG", 2.6)),
    "catfood": (("1.5 kg", "1K5", 1.0), ("4 kg", "4KG", 2.3)),
    "petsize": (("S", "S", 1.0), ("M", "M", 1.25), ("L", "L", 1.55)),
}


@dataclass(frozen=True)
class ProductSpec:
    code: str  # SKU stem, unique in the store
    title: str
    category: str
    kind: str  # picks the care / how-to text
    price_minor: int  # the first variant's price
    variants: str  # a key of VARIANT_SETS
    replenishment_days: int | None = None

    @property
    def consumable(self) -> bool:
        return self.replenishment_days is not None


def _specs() -> tuple[ProductSpec, ...]:
    rows: list[tuple[str, str, str, int, str, int | None]] = [
        # Coffee & Tea
        ("House Espresso Blend", "Coffee & Tea", "beans", 1290, "beans", 28),
        ("Ethiopia Yirgacheffe Single Origin", "Coffee & Tea", "beans", 1490, "beans", 28),
        ("Colombia Huila Decaf", "Coffee & Tea", "beans", 1390, "beans", 35),
        ("Brazil Cerrado Filter Roast", "Coffee & Tea", "beans", 1190, "beans", 28),
        ("Guatemala Antigua Medium Roast", "Coffee & Tea", "beans", 1390, "beans", 28),
        ("Cold Brew Coarse Blend", "Coffee & Tea", "beans", 1250, "beans", 30),
        ("Sencha Morning Green Tea", "Coffee & Tea", "tea", 990, "tea", 40),
        ("Earl Grey Supreme", "Coffee & Tea", "tea", 890, "tea", 40),
        ("Masala Chai Black Tea", "Coffee & Tea", "tea", 950, "tea", 40),
        ("Rooibos Vanilla", "Coffee & Tea", "tea", 850, "tea", 45),
        ("Hojicha Roasted Green Tea", "Coffee & Tea", "tea", 1150, "tea", 45),
        ("Ceremonial Matcha", "Coffee & Tea", "matcha", 2490, "one", 30),
        ("Peppermint Leaf Infusion", "Coffee & Tea", "tea", 790, "tea", 45),
        ("Drinking Chocolate 70%", "Coffee & Tea", "cocoa", 1090, "one", 35),
        # Kitchen
        ("Ceramic Pour-Over Dripper", "Kitchen", "brewer", 2490, "colour", None),
        ("Glass Carafe 600 ml", "Kitchen", "glass", 2290, "one", None),
        ("Hand Burr Coffee Grinder", "Kitchen", "grinder", 6900, "one", None),
        ("French Press 1 L", "Kitchen", "brewer", 3490, "one", None),
        ("Gooseneck Kettle 0.9 L", "Kitchen", "kettle", 5490, "one", None),
        ("Stoneware Mug 350 ml", "Kitchen", "mug", 1690, "colour", None),
        ("Double-Wall Glass Cups (set of 2)", "Kitchen", "glass", 1990, "one", None),
        ("Paper Filters (100)", "Kitchen", "filters", 590, "one", 60),
        ("Cast Iron Skillet 26 cm", "Kitchen", "castiron", 4490, "one", None),
        ("Chef's Knife 20 cm", "Kitchen", "knife", 7900, "one", None),
        ("Olive Wood Cutting Board", "Kitchen", "wood", 3990, "one", None),
        ("Linen Tea Towels (set of 2)", "Kitchen", "linen", 1890, "colour", None),
        ("Kettle Descaler (3 sachets)", "Kitchen", "descaler", 690, "one", 90),
        ("Handheld Milk Frother", "Kitchen", "frother", 1990, "one", None),
        ("Airtight Storage Canister 500 g", "Kitchen", "canister", 2490, "colour", None),
        # Skincare
        ("Gentle Foaming Cleanser", "Skincare", "cleanser", 1690, "bottle", 45),
        ("Hydrating Hyaluronic Serum", "Skincare", "serum", 2490, "bottle", 45),
        ("Daily Moisturiser SPF 30", "Skincare", "cream", 2290, "bottle", 40),
        ("Rich Night Cream", "Skincare", "cream", 2790, "bottle", 50),
        ("Vitamin C Brightening Serum", "Skincare", "serum", 2990, "bottle", 45),
        ("Lip Balm Trio", "Skincare", "balm", 990, "one", 60),
        ("Lavender Hand Cream", "Skincare", "cream", 1190, "bottle", 30),
        ("Kaolin Clay Face Mask", "Skincare", "mask", 1890, "one", 60),
        ("Micellar Cleansing Water", "Skincare", "cleanser", 1290, "bottle", 40),
        ("Oat & Honey Body Lotion", "Skincare", "cream", 1590, "bottle", 45),
        ("Caffeine Eye Cream", "Skincare", "cream", 2190, "one", 60),
        ("Exfoliating AHA Toner", "Skincare", "toner", 1990, "bottle", 50),
        ("Sunscreen Fluid SPF 50", "Skincare", "sunscreen", 1890, "bottle", 35),
        ("Bamboo Face Cloths (set of 3)", "Skincare", "cloth", 1290, "one", None),
        # Apparel
        ("Organic Cotton T-Shirt", "Apparel", "cotton", 2900, "tee", None),
        ("Merino Crew Socks (3-pack)", "Apparel", "wool", 2400, "socks", None),
        ("Heavyweight Hoodie", "Apparel", "cotton", 6900, "sizes", None),
        ("Linen Overshirt", "Apparel", "linenwear", 7900, "sizes", None),
        ("Ribbed Merino Beanie", "Apparel", "wool", 3200, "colour", None),
        ("Waxed Canvas Apron", "Apparel", "canvas", 4500, "one", None),
        ("Lounge Joggers", "Apparel", "cotton", 5400, "sizes", None),
        ("Wool Blend Scarf", "Apparel", "wool", 4900, "colour", None),
        ("Organic Cotton Tote Bag", "Apparel", "canvas", 1500, "colour", None),
        ("Boxer Briefs (2-pack)", "Apparel", "cotton", 2900, "sizes", None),
        ("Recycled Fleece Vest", "Apparel", "fleece", 5900, "sizes", None),
        ("Packable Rain Jacket", "Apparel", "shell", 9900, "sizes", None),
        # Home
        ("Soy Wax Candle 200 g", "Home", "candle", 2400, "scent", 60),
        ("Waffle Bath Towel", "Home", "towel", 3400, "colour", None),
        ("Linen Pillowcase Set", "Home", "linen", 4900, "colour", None),
        ("Chunky Knit Throw", "Home", "knit", 8900, "colour", None),
        ("Speckled Ceramic Vase", "Home", "ceramic", 3900, "colour", None),
        ("Reed Diffuser 100 ml", "Home", "diffuser", 2900, "scent", 75),
        ("Diffuser Refill Oil 200 ml", "Home", "refill", 1900, "scent", 45),
        ("Wool Dryer Balls (set of 6)", "Home", "dryerballs", 1990, "one", None),
        ("Plant-Based Laundry Detergent 1 L", "Home", "detergent", 1290, "one", 30),
        ("Beeswax Food Wraps (set of 3)", "Home", "beeswax", 1790, "one", 120),
        ("Coir Doormat", "Home", "coir", 2900, "one", None),
        ("Oak Table Lamp", "Home", "lamp", 11900, "one", None),
        ("Glass Storage Jars (set of 3)", "Home", "glass", 2690, "one", None),
        ("Brass Plant Mister", "Home", "mister", 2290, "one", None),
        # Pet
        ("Grain-Free Dog Food", "Pet", "petfood", 1990, "dogfood", 30),
        ("Wild Salmon Cat Food", "Pet", "petfood", 1690, "catfood", 30),
        ("Dog Training Treats", "Pet", "treats", 690, "one", 21),
        ("Clumping Cat Litter 10 L", "Pet", "litter", 1290, "one", 21),
        ("Dental Chews for Dogs (28)", "Pet", "treats", 1490, "one", 28),
        ("Cotton Rope Tug Toy", "Pet", "toy", 990, "one", None),
        ("Feather Wand Cat Toy", "Pet", "toy", 890, "one", None),
        ("Orthopaedic Dog Bed", "Pet", "petbed", 7900, "petsize", None),
        ("Sisal Scratching Post", "Pet", "scratcher", 3490, "one", None),
        ("Stainless Steel Bowl", "Pet", "bowl", 1290, "petsize", None),
        ("Reflective Dog Leash", "Pet", "leash", 1990, "one", None),
        ("Oat Pet Shampoo 250 ml", "Pet", "petshampoo", 1190, "one", 60),
        ("Compostable Poop Bags (8 rolls)", "Pet", "poopbags", 890, "one", 45),
        ("Catnip Mice (set of 3)", "Pet", "toy", 790, "one", None),
    ]
    prefixes = {"Coffee & Tea": "CT", "Kitchen": "KI", "Skincare": "SK", "Apparel": "AP",
                "Home": "HO", "Pet": "PE"}
    counters: dict[str, int] = {}
    specs = []
    for title, category, kind, price, variants, days in rows:
        counters[category] = counters.get(category, 0) + 1
        code = f"{prefixes[category]}-{counters[category]:02d}"
        specs.append(ProductSpec(code, title, category, kind, price, variants, days))
    return tuple(specs)


PRODUCTS = _specs()


def variant_price(spec: ProductSpec, factor: float) -> int:
    """Round a scaled price to a shop price ending in 90 cents."""
    raw = spec.price_minor * factor
    if factor == 1.0:
        return spec.price_minor
    return max(90, round(raw / 100.0) * 100 - 10)
