"""What goes in each order: 1-4 lines, the first from the customer's favourite
categories, the next ones pulled towards related categories (a grinder with the
beans), and repeat orders often bring back the customer's staple consumable."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from afterward.demo.catalog import AFFINITY, CATEGORIES, CATEGORY_WEIGHTS, VARIANT_SETS, ProductSpec

LINES_PER_ORDER = np.array([0.46, 0.30, 0.15, 0.09])  # 1, 2, 3, 4 lines
_VARIANT_WEIGHTS = {
    "beans": (0.35, 0.30, 0.20, 0.15),
    "sizes": (0.18, 0.34, 0.32, 0.16),
    "tee": (0.12, 0.2, 0.18, 0.14, 0.2, 0.16),
    "socks": (0.35, 0.42, 0.23),
}


@dataclass(frozen=True)
class Lines:
    order: np.ndarray  # index into the orders, ascending
    product: np.ndarray  # index into PRODUCTS
    variant: np.ndarray  # index within the product's variants
    quantity: np.ndarray


def _categorical(cumulative: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw per row of a matrix of cumulative probabilities."""
    u = rng.random(len(cumulative)) * cumulative[:, -1]
    return (cumulative < u[:, None]).sum(axis=1)


def _weights_for(spec: ProductSpec) -> np.ndarray:
    count = len(VARIANT_SETS[spec.variants])
    weights = np.array(_VARIANT_WEIGHTS.get(spec.variants, 1.0 / (np.arange(count) + 1.0) ** 0.7))
    return weights / weights.sum()


class Catalogue:
    """Sampling tables for a product list."""

    def __init__(self, products: tuple[ProductSpec, ...], rng: np.random.Generator) -> None:
        self.products = products
        self.category = np.array([CATEGORIES.index(p.category) for p in products])
        self.consumable = np.array([p.consumable for p in products])
        # Popularity: a Zipf-like fall-off in list order, jittered so ties differ.
        popularity = np.zeros(len(products))
        for c in range(len(CATEGORIES)):
            members = np.flatnonzero(self.category == c)
            popularity[members] = (1.0 / (np.arange(len(members)) + 1.0) ** 0.9) * rng.uniform(
                0.8, 1.2, len(members))
        self.popularity = popularity
        self.variant_weights = [_weights_for(p) for p in products]

    def pick_products(self, categories: np.ndarray, rng: np.random.Generator,
                      only_consumables: bool = False) -> np.ndarray:
        chosen = np.zeros(len(categories), dtype=int)
        for c in range(len(CATEGORIES)):
            rows = np.flatnonzero(categories == c)
            members = np.flatnonzero((self.category == c)
                                     & (self.consumable if only_consumables else True))
            if len(rows) == 0 or len(members) == 0:
                continue
            weights = self.popularity[members] / self.popularity[members].sum()
            chosen[rows] = members[rng.choice(len(members), size=len(rows), p=weights)]
        return chosen

    def pick_variants(self, products: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        chosen = np.zeros(len(products), dtype=int)
        for p, weights in enumerate(self.variant_weights):
            rows = np.flatnonzero(products == p)
            if len(rows):
                chosen[rows] = rng.choice(len(weights), size=len(rows), p=weights)
        return chosen


def customer_tastes(n: int, rng: np.random.Generator) -> np.ndarray:
    """Each customer's category preferences (rows sum to 1): a few favourites each."""
    return rng.dirichlet(np.array(CATEGORY_WEIGHTS) * 2.0, size=n)


def staples(catalogue: Catalogue, tastes: np.ndarray,
            rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Each customer's habitual consumable (product, variant)."""
    has_consumables = np.array([catalogue.consumable[catalogue.category == c].any()
                                for c in range(len(CATEGORIES))])
    weights = tastes * has_consumables
    category = _categorical(np.cumsum(weights, axis=1), rng)
    product = catalogue.pick_products(category, rng, only_consumables=True)
    return product, catalogue.pick_variants(product, rng)


def make_lines(catalogue: Catalogue, order_customer: np.ndarray, order_rank: np.ndarray,
               tastes: np.ndarray, rng: np.random.Generator) -> Lines:
    n = len(order_customer)
    staple_product, staple_variant = staples(catalogue, tastes, rng)
    count = rng.choice(4, size=n, p=LINES_PER_ORDER) + 1
    taste_cum = np.cumsum(tastes[order_customer], axis=1)
    affinity_cum = np.cumsum(np.array(AFFINITY), axis=1)
    orders, products, variants = [], [], []
    previous = np.zeros(n, dtype=int)
    for position in range(4):
        rows = np.flatnonzero(count > position)
        category = _categorical(taste_cum[rows], rng)
        if position > 0:
            follow = rng.random(len(rows)) < 0.6
            related = _categorical(affinity_cum[previous[rows]], rng)
            category = np.where(follow, related, category)
        product = catalogue.pick_products(category, rng)
        variant = catalogue.pick_variants(product, rng)
        if position == 0:
            staple_share = np.where(order_rank[rows] > 0, 0.55, 0.3)
            use_staple = rng.random(len(rows)) < staple_share
            customer = order_customer[rows]
            product = np.where(use_staple, staple_product[customer], product)
            variant = np.where(use_staple, staple_variant[customer], variant)
            category = catalogue.category[product]
        previous[rows] = category
        orders.append(rows)
        products.append(product)
        variants.append(variant)
    return _merge_duplicates(np.concatenate(orders), np.concatenate(products),
                             np.concatenate(variants), catalogue, rng)


def _merge_duplicates(order: np.ndarray, product: np.ndarray, variant: np.ndarray,
                      catalogue: Catalogue, rng: np.random.Generator) -> Lines:
    """One line per (order, product, variant); a repeated pick adds to the quantity."""
    extra = rng.random(len(order))
    quantity = np.where(extra < 0.06, 3, np.where(extra < 0.20, 2, 1))
    quantity = np.where(catalogue.consumable[product] | (quantity < 3), quantity, 1)
    # Stable sort keeps each order's lines in the order they were picked.
    first_seen = np.lexsort((np.arange(len(order)), order))
    order, product, variant, quantity = (a[first_seen] for a in (order, product, variant,
                                                                 quantity))
    keys = order.astype(np.int64) * 1_000_000 + product * 100 + variant
    _, start, inverse = np.unique(keys, return_index=True, return_inverse=True)
    summed = np.bincount(inverse, weights=quantity).astype(int)
    by_position = np.argsort(start)
    keep = start[by_position]
    merged_quantity = summed[by_position]
    return Lines(order=order[keep], product=product[keep], variant=variant[keep],
                 quantity=np.minimum(merged_quantity, 6))
