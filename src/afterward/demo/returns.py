"""The demo store's returns as plain rows: about 8% of delivered orders come back in
part, for the reasons people give for such goods (a size for clothes, a chipped mug for
the kitchen, a skin that did not like a cream), and are refunded, credited, exchanged
or kept. No database here: the writer (return_writer.py) puts each through the returns
service when it happens, so the policy decides, events are recorded and money is
settled as for a live store.

The history's own generator decides which parcels come back (its draws stay as they
were before returns existed); everything else about a return is drawn from a
generator of its own, so adding returns changed nothing else in the history."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np

from afterward.demo.catalog import VARIANT_SETS, ProductSpec

EXTRA_SHARE = 0.045  # returns on top of the ~4% the history draws: about 8% in all
KEEP_MAX_MINOR = 1000  # the demo policy lets a shopper keep what cost at most 10 EUR

# Per category: the reasons given, with their shares.
REASONS: dict[str, tuple[tuple[str, float], ...]] = {
    "Apparel": (("too_small", 0.30), ("too_large", 0.26), ("not_as_described", 0.14),
                ("changed_mind", 0.16), ("defective", 0.08), ("wrong_item", 0.06)),
    "Coffee & Tea": (("damaged", 0.30), ("not_as_described", 0.20), ("changed_mind", 0.25),
                     ("wrong_item", 0.15), ("other", 0.10)),
    "Kitchen": (("damaged", 0.32), ("defective", 0.22), ("not_as_described", 0.18),
                ("changed_mind", 0.20), ("wrong_item", 0.08)),
    "Skincare": (("other", 0.28), ("not_as_described", 0.22), ("changed_mind", 0.25),
                 ("damaged", 0.15), ("wrong_item", 0.10)),
    "Home": (("damaged", 0.30), ("not_as_described", 0.25), ("changed_mind", 0.30),
             ("wrong_item", 0.15)),
    "Pet": (("other", 0.30), ("changed_mind", 0.25), ("damaged", 0.25), ("wrong_item", 0.20)),
}
# What shoppers write beside a reason ("" : nothing); "other" depends on the category.
COMMENTS: dict[str, tuple[str, ...]] = {
    "too_small": ("Runs small, I usually take this size.", "Tight across the shoulders.",
                  "Sleeves are too short for me.", ""),
    "too_large": ("Much roomier than the size chart says.", "Too long in the body.", ""),
    "not_as_described": ("The colour is darker than in the photos.",
                         "Smaller than I expected from the description.",
                         "The material feels thinner than described.", ""),
    "changed_mind": ("Found something I like better.", "Bought it as a gift, not needed now.",
                     ""),
    "damaged": ("Arrived with a crack in it.", "The box was crushed and it broke.",
                "The packaging was torn open.", ""),
    "defective": ("Stopped working after two days.", "A seam came apart on first wear.",
                  "The lid does not close properly.", ""),
    "wrong_item": ("I ordered a different variant.", "Got someone else's item.", ""),
    "other:Skincare": ("My skin reacted to it.", "The scent is too strong for me.", ""),
    "other:Pet": ("My dog won't touch it.", "Our cat refuses to eat it.", ""),
    "other:Coffee & Tea": ("Too bitter for my taste.", "Not fresh, the roast date is old.",
                           ""),
}
SIZING = ("too_small", "too_large")
FAULTS = ("damaged", "defective", "wrong_item")
SWAPPABLE = ("wrong_item", "not_as_described")
SIZED = ("sizes", "tee", "socks", "petsize")
CONDITIONS = (("new", 0.55), ("opened", 0.32), ("used", 0.13))
REJECTIONS = ("Worn and washed: outside the returns policy.",
              "Returned after a long series of returns; please contact us.")


def add(history: Any, order_index: int, lines: list[dict[str, Any]], line_index: int,
        at: datetime) -> None:
    """A return of one unit of lines[line_index] (sometimes one more line), requested at
    `at`; its reason, resolution and what happens to it after are drawn here."""
    rng: np.random.Generator = history.returns_rng
    picked = [lines[line_index]]
    others = [ln for i, ln in enumerate(lines) if i != line_index]
    if others and rng.random() < 0.15:
        picked.append(others[int(rng.integers(0, len(others)))])
    items = []
    for line in picked:
        spec = _spec_of(history, line["sku"])
        reason = _draw(rng, REASONS[spec.category])
        comments = COMMENTS.get(reason) or COMMENTS.get(f"{reason}:{spec.category}") or ("",)
        items.append({"sku": line["sku"], "quantity": 1, "reason": reason,
                      "comment": comments[int(rng.integers(0, len(comments)))],
                      "unit_price_minor": line["unit_price_minor"]})
    resolution, exchange_for = _resolution(history, rng, items)
    faulty = any(item["reason"] in FAULTS for item in items)
    history.returns.append({
        "order": order_index, "at": at, "lines": items, "resolution": resolution,
        "exchange_for_sku": exchange_for,
        # A person looks at one the policy held for review within two days.
        "reviewed_at": at + timedelta(hours=float(rng.uniform(6, 48))),
        "review_rejects": bool(rng.random() < 0.15),
        "review_reason": REJECTIONS[int(rng.integers(0, len(REJECTIONS)))],
        # Sent back and inspected 4 to 12 days later; 3% never arrive.
        "received_at": (None if rng.random() < 0.03
                        else at + timedelta(days=float(rng.uniform(4, 12)))),
        "condition": "damaged" if faulty else _draw(rng, CONDITIONS),
        "accepted": bool(rng.random() < 0.95),
    })


def maybe_add(history: Any, order_index: int, lines: list[dict[str, Any]],
              delivered_at: datetime) -> None:
    """The returns the history's own draws do not make (EXTRA_SHARE of deliveries)."""
    rng: np.random.Generator = history.returns_rng
    if rng.random() >= EXTRA_SHARE:
        return
    at = delivered_at + timedelta(days=float(rng.uniform(2, 22)))
    if at <= history.now:
        add(history, order_index, lines, int(rng.integers(0, len(lines))), at)


def _resolution(history: Any, rng: np.random.Generator,
                items: list[dict[str, Any]]) -> tuple[str, str | None]:
    """Sizes are mostly exchanged for the next size, a wrong or disappointing variant
    often for another of the same product; faulty cheap things are often kept."""
    first = items[0]
    if len(items) == 1 and first["reason"] in (*SIZING, *SWAPPABLE):
        if first["reason"] in SIZING:
            other = _other_size(history, first["sku"], larger=first["reason"] == "too_small")
        else:
            other = _other_variant(history, first["sku"])
        if other is not None and rng.random() < 0.7:
            return "exchange", other
    cheap = all(item["unit_price_minor"] <= KEEP_MAX_MINOR for item in items)
    u = float(rng.random())
    if cheap and any(item["reason"] in FAULTS for item in items) and u < 0.5:
        return "keep", None
    return ("store_credit" if u < 0.35 else "refund"), None


def _other_variant(history: Any, sku: str) -> str | None:
    """Another variant of the same product (the next one), if it has several."""
    spec = _spec_of(history, sku)
    skus = [f"{spec.code}-{suffix}" for _, suffix, _ in VARIANT_SETS[spec.variants]]
    return skus[(skus.index(sku) + 1) % len(skus)] if len(skus) > 1 else None


def _other_size(history: Any, sku: str, *, larger: bool) -> str | None:
    """The next size up or down of the same product (in the same colour), if it has
    sizes."""
    spec = _spec_of(history, sku)
    if spec.variants not in SIZED:
        return None
    size, _, rest = sku.removeprefix(f"{spec.code}-").partition("-")
    sizes = [suffix.partition("-")[0] for _, suffix, _ in VARIANT_SETS[spec.variants]
             if suffix.partition("-")[2] == rest]
    step = sizes.index(size) + (1 if larger else -1)
    if not 0 <= step < len(sizes):
        return None
    return f"{spec.code}-{sizes[step]}" + (f"-{rest}" if rest else "")


def _spec_of(history: Any, sku: str) -> ProductSpec:
    spec: ProductSpec
    for spec in history.products:
        if sku.startswith(f"{spec.code}-"):
            return spec
    raise KeyError(sku)


def _draw(rng: np.random.Generator, shares: tuple[tuple[str, float], ...]) -> str:
    names = [name for name, _ in shares]
    weights = np.array([share for _, share in shares])
    return names[int(rng.choice(len(names), p=weights / weights.sum()))]
