"""Recommendations fitted for a store and written as a run (recs_models.py), in the
caller's transaction (never commits): for each SKU the SKUs that go with it (co-purchase
statistics: the orders they share, at least MIN_TOGETHER, ranked as
copurchase.rank/recommend.complementary rank them), for each customer TIFU-KNN's list
(the personal recommender that measured best, docs/recommendations.md) and the store's
popular list (the fallback). TOP of each. What a reader may show of them (never what
was just bought, never out of stock) is decided when it is read (recs_serve.py).

Running: the job `insights.recommendations` (one store), or the nightly recompute's
step (`recompute_recommendations`). Needs the `models` extra (numpy, scipy)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from afterward import jobs
from afterward.commerce.models import Order, OrderLine, Store
from afterward.insights.recs_models import (
    RecommendationItem,
    RecommendationPair,
    RecommendationRun,
)
from afterward.storage import bulk, locks

JOB = "insights.recommendations"
METHOD = "tifu_knn"
TOP = 20  # kept per SKU and per customer: the routes serve at most 20
MIN_TOGETHER = 2  # orders a pair must share to be stored: one is chance
BATCH = 2000  # rows written at a time

@dataclass(frozen=True)
class Outcome:
    run: int
    orders: int
    customers: int
    skus: int
    pairs: int
    lists: int

    def as_dict(self) -> dict[str, Any]:
        return {"run": self.run, "orders": self.orders, "customers": self.customers,
                "skus": self.skus, "pairs": self.pairs, "lists": self.lists}


def histories_of(session: Session, store_id: int) -> dict[str, list[frozenset[str]]]:
    """Each customer's orders oldest first ("c<id>"), each a set of SKUs; an order
    without a customer is a history of its own ("o<id>"): it counts for co-purchase and
    popularity, and as a neighbour. Cancelled orders and lines without a SKU are left out."""
    rows = session.execute(
        select(Order.id, Order.customer_id, OrderLine.sku)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(Order.store_id == store_id, Order.status != "cancelled",
               OrderLine.sku.is_not(None), OrderLine.sku != "")
        .order_by(Order.placed_at, Order.id))
    baskets: dict[int, tuple[str, set[str]]] = {}
    for order_id, customer_id, sku in rows:
        if not sku:
            continue
        owner = f"c{customer_id}" if customer_id is not None else f"o{order_id}"
        baskets.setdefault(order_id, (owner, set()))[1].add(sku)
    histories: dict[str, list[frozenset[str]]] = {}
    for owner, skus in baskets.values():  # insertion order: placed_at, id
        histories.setdefault(owner, []).append(frozenset(skus))
    return histories


def pairs_of(histories: Mapping[str, Sequence[frozenset[str]]], *, top: int = TOP,
             min_together: int = MIN_TOGETHER) -> dict[str, list[tuple[str, int, float, float]]]:
    """For each SKU, (other SKU, orders together, confidence, lift), best first: more
    orders together, then the more popular, then the SKU first in sorted order (as
    copurchase.rank over the same baskets)."""
    from afterward.insights.recommend import Data

    data = Data(histories)
    if not data.items:
        return {}
    lines = data.lines  # one 1 per (order, SKU)
    together = (lines.T @ lines).tocsr()
    popularity, orders = data.popularity, float(lines.shape[0])
    found: dict[str, list[tuple[str, int, float, float]]] = {}
    for i, sku in enumerate(data.items):
        start, end = together.indptr[i], together.indptr[i + 1]
        cols, counts = together.indices[start:end], together.data[start:end]
        keep = (cols != i) & (counts >= min_together)
        cols, counts = cols[keep], counts[keep]
        if not len(cols):
            continue
        ranked = sorted(zip(cols.tolist(), counts.tolist(), strict=True),
                        key=lambda jc: (-jc[1], -popularity[jc[0]], jc[0]))[:top]
        found[sku] = [(data.items[j], int(c), round(c / popularity[i], 6),
                       round(c / popularity[i] / (popularity[j] / orders), 6))
                      for j, c in ranked]
    return found


def lists_of(histories: Mapping[str, Sequence[frozenset[str]]], *, top: int = TOP
             ) -> tuple[list[tuple[str, float]], dict[str, list[tuple[str, float]]]]:
    """(the popular list: SKU and share of orders; each customer's ("c<id>") TIFU-KNN
    list: SKU and score above zero), best first."""
    from afterward.insights.recommend import BATCH as SCORED
    from afterward.insights.recommend import Data, fit, top_k

    data = Data(histories)
    if not data.items:
        return [], {}
    orders = float(data.lines.shape[0])
    order = sorted(range(len(data.items)), key=lambda j: (-data.popularity[j], j))[:top]
    popular = [(data.items[j], round(float(data.popularity[j]) / orders, 6)) for j in order]
    rows = [data.row[c] for c in data.customers if c.startswith("c")]
    if not rows:
        return popular, {}
    model = fit(METHOD, data)
    lists: dict[str, list[tuple[str, float]]] = {}
    for start in range(0, len(rows), SCORED):
        batch = rows[start:start + SCORED]
        scores = model.scores(_array(batch))
        picks = top_k(scores, top, data.popularity)
        for at, (row, picked) in enumerate(zip(batch, picks, strict=True)):
            kept = [(data.items[j], round(float(scores[at, j]), 6)) for j in picked]
            kept = [(sku, s) for sku, s in kept if s > 0 and math.isfinite(s)]
            if kept:
                lists[data.customers[row]] = kept
    return popular, lists


def _array(rows: list[int]) -> Any:
    import numpy as np

    return np.asarray(rows, dtype=np.int64)


def recompute_recommendations(session: Session, *, store_id: int, now: datetime) -> Outcome:
    """Fit the store's recommendations from its orders and write them as a new run,
    which replaces the store's older runs (a reader sees one run or the other)."""
    locks.hold(session, "insights-recommendations", store_id)
    histories = histories_of(session, store_id)
    pairs = pairs_of(histories)
    popular, lists = lists_of(histories)
    run = RecommendationRun(store_id=store_id, method=METHOD,
                            orders=sum(len(b) for b in histories.values()),
                            customers=sum(1 for c in histories if c.startswith("c")),
                            skus=len({sku for baskets in histories.values()
                                      for basket in baskets for sku in basket}),
                            started_at=now, finished_at=None)
    session.add(run)
    session.flush()
    pair_rows = [{"store_id": store_id, "run_id": run.id, "sku": sku, "position": p,
                  "other_sku": other, "together": n, "confidence": conf, "lift": lift}
                 for sku, found in sorted(pairs.items())
                 for p, (other, n, conf, lift) in enumerate(found)]
    item_rows = [{"store_id": store_id, "run_id": run.id, "customer_id": None,
                  "position": p, "sku": sku, "score": score}
                 for p, (sku, score) in enumerate(popular)]
    item_rows += [{"store_id": store_id, "run_id": run.id, "customer_id": int(key[1:]),
                   "position": p, "sku": sku, "score": score}
                  for key, found in sorted(lists.items(), key=lambda kv: int(kv[0][1:]))
                  for p, (sku, score) in enumerate(found)]
    for start in range(0, len(pair_rows), BATCH):
        bulk.insert(session, RecommendationPair, pair_rows[start:start + BATCH])
    for start in range(0, len(item_rows), BATCH):
        bulk.insert(session, RecommendationItem, item_rows[start:start + BATCH])
    older = select(RecommendationRun.id).where(RecommendationRun.store_id == store_id,
                                               RecommendationRun.id != run.id)
    for table in (RecommendationPair, RecommendationItem):
        session.execute(delete(table).where(table.store_id == store_id,
                                            table.run_id.in_(older)))
    session.execute(delete(RecommendationRun).where(RecommendationRun.store_id == store_id,
                                                    RecommendationRun.id != run.id))
    run.finished_at = now
    session.flush()
    return Outcome(run.id, run.orders, run.customers, run.skus, len(pair_rows),
                   len(lists))


def enqueue(session: Session, store_id: int) -> int | None:
    """The recompute job for a store."""
    return jobs.enqueue(session, JOB, {"store_id": store_id}, store_id=store_id,
                        max_attempts=3)


@jobs.handler(JOB)
def run_job(session: Session, job: jobs.JobContext) -> None:
    from afterward.storage.types import utcnow

    store_id = int(job.payload["store_id"])
    if session.get(Store, store_id) is None:
        return  # the store is gone
    recompute_recommendations(session, store_id=store_id, now=utcnow())
