"""Care and how-to text per kind of product, shown on tracking pages and in
post-delivery messages ("how to get the best out of what you bought")."""

from __future__ import annotations

# kind -> (care, how-to). "{title}" is replaced by the product's title.
_TEXT: dict[str, tuple[str, str]] = {
    "beans": (
        "Keep the bag closed with its valve up, away from light, heat and moisture. "
        "Use within four weeks of opening; never store coffee in the fridge.",
        "Filter: 60 g of {title} per litre of water at 92-96 °C, bloom 30 s with twice the "
        "coffee's weight in water, then pour slowly; aim for 3-4 minutes in total. "
        "Espresso: 18 g in, 36 g out in 25-30 s.",
    ),
    "tea": (
        "Store in the tin, airtight and away from strong smells; best within six months.",
        "Use 1 heaped teaspoon (about 3 g) per 250 ml. Green teas: 75-80 °C for 2 minutes; "
        "black and herbal: freshly boiled water for 3-5 minutes. Leaves can be steeped twice.",
    ),
    "matcha": (
        "Keep sealed in the fridge after opening and use within six weeks; it loses "
        "colour and sweetness when exposed to air.",
        "Sift 2 g into a bowl, add 70 ml of water at 80 °C and whisk in a quick M-shape "
        "until a fine foam forms. For a latte, top with 150 ml of steamed milk.",
    ),
    "cocoa": (
        "Store cool and dry; a white bloom is cocoa butter and harmless.",
        "Whisk 25 g into 200 ml of hot (not boiling) milk until glossy. Add a pinch of "
        "salt or cinnamon to taste.",
    ),
    "brewer": (
        "Dishwasher safe; rinse before first use. Avoid sudden temperature changes.",
        "Preheat with hot water and discard it. Use a medium-coarse grind and a 1:16 ratio "
        "of coffee to water; see the brew guide that came with your {title}.",
    ),
    "glass": (
        "Borosilicate glass: dishwasher safe on the top rack. Let it cool before washing.",
        "Warm the glass with hot water before pouring to keep drinks hot for longer.",
    ),
    "grinder": (
        "Grind a handful of rice-free cleaning tablets monthly or brush the burrs dry; "
        "never wash the burrs with water.",
        "Turn the dial clockwise for finer: about 12 clicks for espresso, 22 for pour-over "
        "and 30 for French press. Grind just before brewing.",
    ),
    "kettle": (
        "Descale monthly in hard-water areas. Wipe the outside with a soft, damp cloth.",
        "Fill between the MIN and MAX marks. The gooseneck gives a slow, even pour: "
        "hold it low and circle from the centre outwards.",
    ),
    "mug": (
        "Stoneware: dishwasher and microwave safe. Each glaze is unique.",
        "Holds 350 ml: a flat white with room to spare, or a full pot of tea for one.",
    ),
    "filters": (
        "Keep dry and flat in their box.",
        "Rinse the filter with hot water before adding coffee to remove paper taste and "
        "preheat the brewer.",
    ),
    "castiron": (
        "Hand wash only, dry on low heat and rub with a drop of oil while warm. "
        "Never soak or put in the dishwasher.",
        "Preheat for 5 minutes before searing. Pre-seasoned: it improves with every use.",
    ),
    "knife": (
        "Hand wash and dry immediately; store on a magnetic rack or in a block. "
        "Hone weekly, sharpen twice a year.",
        "Let the weight do the work: rock the blade from tip to heel and keep your "
        "guiding fingers curled.",
    ),
    "wood": (
        "Hand wash, stand upright to dry, and oil monthly with food-safe mineral oil.",
        "Use the grooved side for roasts and the flat side for bread and vegetables.",
    ),
    "linen": (
        "Machine wash at 40 °C with similar colours; tumble dry low. Linen softens "
        "with every wash.",
        "Remove from the dryer while slightly damp and shake out for a relaxed look.",
    ),
    "descaler": (
        "Keep out of reach of children; store dry.",
        "Dissolve one sachet in 500 ml of water, boil, leave for 20 minutes, then rinse "
        "twice with fresh water.",
    ),
    "frother": (
        "Rinse the whisk under warm water after each use; remove the batteries when stored.",
        "Heat milk to 60 °C, hold the whisk just below the surface and froth for 20 s.",
    ),
    "canister": (
        "Hand wash the lid; the body is dishwasher safe.",
        "Press the lid down to push the air out: coffee stays fresh for up to three weeks.",
    ),
    "cleanser": (
        "Store below 25 °C and close after use. Use within 12 months of opening.",
        "Massage a small amount of {title} onto damp skin morning and evening, then "
        "rinse with lukewarm water.",
    ),
    "serum": (
        "Keep away from direct sunlight; use within 6 months of opening.",
        "Apply 3-4 drops to clean skin before moisturiser. Patch test before first use.",
    ),
    "cream": (
        "Store below 25 °C. Use within 12 months of opening.",
        "Warm a pea-sized amount between your fingertips and press gently into the skin.",
    ),
    "balm": (
        "Keep out of hot cars and direct sunlight.",
        "Apply as often as needed; use the tinted balm as a sheer lip colour.",
    ),
    "mask": (
        "Close the jar tightly; clay dries out when exposed to air.",
        "Apply a thin layer to clean skin once or twice a week, leave for 10 minutes "
        "and rinse with warm water.",
    ),
    "toner": (
        "Store upright and cool.",
        "Sweep over clean skin with a cotton pad in the evening. Use sunscreen the next day.",
    ),
    "sunscreen": (
        "Do not leave in direct sun or above 30 °C.",
        "Apply generously 15 minutes before sun exposure; reapply every 2 hours and "
        "after swimming.",
    ),
    "cloth": (
        "Machine wash at 60 °C in a laundry bag; no fabric softener.",
        "Wet, wring and use with your cleanser for gentle daily exfoliation.",
    ),
    "cotton": (
        "Machine wash at 30 °C inside out; do not tumble dry to keep the fit.",
        "Runs true to size; size up for a relaxed fit.",
    ),
    "wool": (
        "Hand wash cold or use the wool cycle; dry flat. Merino needs little washing: "
        "air it overnight instead.",
        "Naturally temperature-regulating and odour-resistant: wear it several times "
        "between washes.",
    ),
    "linenwear": (
        "Machine wash at 30 °C; hang to dry and iron while damp.",
        "Cut for a relaxed fit: choose your usual size, or size down for a closer fit.",
    ),
    "canvas": (
        "Spot clean with a damp cloth; do not machine wash waxed canvas.",
        "Re-wax every year with fabric wax to keep it water-resistant.",
    ),
    "fleece": (
        "Machine wash at 30 °C in a wash bag to catch microfibres; do not iron.",
        "Layer over a T-shirt in spring and under a shell in winter.",
    ),
    "shell": (
        "Wash at 30 °C with a technical detergent; tumble dry low to refresh the "
        "water-repellent finish.",
        "Packs into its own chest pocket: turn the pocket inside out and zip.",
    ),
    "candle": (
        "Trim the wick to 5 mm before each burn; never leave a burning candle unattended.",
        "Burn for 2-3 hours the first time so the wax melts to the edge: it will burn "
        "evenly for about 45 hours.",
    ),
    "towel": (
        "Wash at 40 °C before first use; avoid fabric softener to keep it absorbent.",
        "Waffle weave dries quickly: hang it spread out after use.",
    ),
    "knit": (
        "Hand wash cold and dry flat; fold rather than hang.",
        "A gentle shake and a night over a chair restores the loft.",
    ),
    "ceramic": (
        "Hand wash; the inside is glazed and holds water.",
        "Change the water every two days and trim stems at an angle.",
    ),
    "diffuser": (
        "Place on a stable, heat-proof surface away from children and pets.",
        "Insert 4-5 reeds and flip them weekly; fewer reeds make a subtler, longer-lasting "
        "scent.",
    ),
    "refill": (
        "Store upright and out of sunlight.",
        "Pour into your diffuser up to the shoulder and replace the reeds with every "
        "second refill.",
    ),
    "dryerballs": (
        "Let them dry between loads; they last about 1,000 cycles.",
        "Add 3 balls for small loads and 6 for large ones; add a drop of essential oil "
        "for scent.",
    ),
    "detergent": (
        "Store between 5 and 25 °C; shake before use.",
        "30 ml for a normal load, 45 ml for heavily soiled or hard-water washes.",
    ),
    "beeswax": (
        "Rinse in cool water with mild soap and air dry. Refresh with a warm iron "
        "between baking paper.",
        "Warm the wrap with your hands so it moulds around bowls, bread and cheese. "
        "Not for raw meat.",
    ),
    "coir": (
        "Shake out or vacuum weekly; keep under cover.",
        "Place it outside the door: the coarse coir scrapes off mud and grit.",
    ),
    "lamp": (
        "Dust with a dry cloth; oil the oak once a year.",
        "Use an E27 LED bulb of up to 8 W; warm white (2700 K) suits the linen shade.",
    ),
    "mister": (
        "Empty after use to prevent limescale.",
        "Mist tropical plants in the morning, holding the mister 30 cm from the leaves.",
    ),
    "petfood": (
        "Roll the bag closed and keep it in a cool, dry place; use within six weeks "
        "of opening.",
        "Switch over 7 days, mixing in more {title} each day. Fresh water should always "
        "be available; see the feeding table on the bag.",
    ),
    "treats": (
        "Reseal after opening.",
        "Treats should be no more than 10% of the daily ration; break larger ones for "
        "training.",
    ),
    "litter": (
        "Store dry; the bag is recyclable.",
        "Fill the tray 5-7 cm deep, scoop clumps daily and top up weekly.",
    ),
    "toy": (
        "Check regularly and replace when worn; supervise play.",
        "Rotate toys weekly so they stay interesting.",
    ),
    "petbed": (
        "The cover is machine washable at 40 °C; air the foam core outside.",
        "Put it where your dog already likes to rest; add a worn T-shirt for familiarity.",
    ),
    "scratcher": (
        "Vacuum the sisal to remove loose fibres.",
        "Place it near where your cat sleeps; rub catnip on the post to invite scratching.",
    ),
    "bowl": (
        "Dishwasher safe.",
        "Wash daily and refill with fresh water at least twice a day.",
    ),
    "leash": (
        "Wipe clean; machine wash at 30 °C in a laundry bag.",
        "The reflective thread lights up in headlights: ideal for evening walks.",
    ),
    "petshampoo": (
        "For external use only; store below 25 °C.",
        "Wet the coat with lukewarm water, lather, leave for 3 minutes and rinse well.",
    ),
    "poopbags": (
        "Compostable: store away from heat and use within 12 months.",
        "Tear along the perforation; the roll fits every standard dispenser.",
    ),
}


def care_and_howto(kind: str, title: str) -> tuple[str, str]:
    care, howto = _TEXT.get(kind, ("", ""))
    return care.replace("{title}", title), howto.replace("{title}", title)
