"""Goes with what you bought: the products most often bought in the same orders
as the given ones, in one store. The ranking is a pure function over
(order_id, product_id) pairs; the query only fetches the pairs worth counting."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable
from itertools import chain
from typing import cast

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from afterward.commerce.models import Order, OrderLine, Variant

TOP = 4
# Orders sampled per query: enough for a stable top few, bounded for big stores.
SAMPLE_ORDERS = 500

# Built once (both run on tracking page views); plain rows on the session's connection.
# Lines are indexed by (store, variant): go through the variants of the products.
_SAMPLED_ORDERS = (
    select(OrderLine.order_id)
    .where(OrderLine.store_id == bindparam("store_id"),
           OrderLine.variant_id.in_(select(Variant.id).where(
               Variant.store_id == bindparam("store_id"),
               Variant.product_id.in_(bindparam("product_ids", expanding=True)))))
    .distinct().limit(bindparam("sample")))
_PAIRS = select(OrderLine.order_id, OrderLine.product_id).where(
    OrderLine.order_id.in_(_SAMPLED_ORDERS), OrderLine.product_id.is_not(None))
_BOUGHT = select(OrderLine.product_id).where(
    OrderLine.order_id.in_(
        select(Order.id).where(Order.store_id == bindparam("store_id"),
                               Order.customer_id == bindparam("customer_id"))
        .order_by(Order.id.desc()).limit(bindparam("limit"))),
    OrderLine.product_id.is_not(None))


def rank(pairs: Iterable[tuple[int, int]], bought: Collection[int], *,
         exclude: Collection[int] = (), limit: int = TOP) -> list[int]:
    """Products sharing the most orders with any of `bought`, best first; each order
    counts once per product. Ties go to the product in more orders overall, then to
    the lower id, so the answer never depends on row order."""
    baskets: dict[int, set[int]] = defaultdict(set)
    for order_id, product_id in pairs:
        baskets[order_id].add(product_id)
    wanted, skip = set(bought), set(bought) | set(exclude)
    overall = Counter(chain.from_iterable(baskets.values()))
    together = Counter(chain.from_iterable(
        basket - skip for basket in baskets.values() if not wanted.isdisjoint(basket)))
    ranked = sorted(together, key=lambda p: (-together[p], -overall[p], p))
    return ranked[:max(limit, 0)]


def recommend(session: Session, *, store_id: int, product_ids: Collection[int],
              exclude: Collection[int] = (), limit: int = TOP,
              sample_orders: int = SAMPLE_ORDERS) -> list[int]:
    """Product ids for the block under an order: co-purchased with `product_ids` in
    this store, none of `product_ids` or `exclude`."""
    if not product_ids or limit <= 0:
        return []
    rows = session.connection().execute(_PAIRS, {
        "store_id": store_id, "product_ids": list(product_ids), "sample": sample_orders}).all()
    return rank(cast(list[tuple[int, int]], rows), product_ids, exclude=exclude, limit=limit)


def bought_before(session: Session, *, store_id: int, customer_id: int,
                  limit_orders: int = 200) -> set[int]:
    """Products this customer bought in this store (their latest orders), to leave
    out of what we suggest."""
    return set(session.connection().scalars(_BOUGHT, {
        "store_id": store_id, "customer_id": customer_id, "limit": limit_orders}))
