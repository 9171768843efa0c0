"""What a page, an email or the API shows of the recommendations: one source for all.

- `for_order` ("goes with what you bought"): the SKUs that go with the order's SKUs in
  the store's latest finished run (each candidate's confidences summed over the
  order's SKUs); before any run, co-purchase counted now over a sample of the orders
  with those SKUs (copurchase.SAMPLE_ORDERS: cheap, bounded). Never padded with best
  sellers: the heading says "goes with".
- `for_customer` ("you may also like"): the customer's TIFU-KNN list of the latest
  run, then the run's popular list; before any run (or for a customer the run did not
  see) popular SKUs counted now over the store's latest POPULAR_ORDERS orders.

Rules applied when read, so they hold the moment stock or purchases change:
- never what was just bought (the order's SKUs; for a customer, their latest order's),
  unless the customer bought it in 2 or more orders (it is replenished); "goes with"
  also leaves out anything else the customer bought in one order only;
- never out of stock: a variant whose `inventory_quantity` is 0 (None: stock is not
  tracked, always available; the catalogue has no archived or unpublished flag);
- only SKUs the catalogue has (a variant with that SKU in this store), titled from it
  (the product's title), one SKU per product, and no other variant of a product left
  out (another size of the shirt just bought). Pure SQL and Python: no numpy here."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from afterward.commerce.models import Customer, Order, OrderLine, Product, Variant
from afterward.insights import copurchase
from afterward.insights.recs_models import (
    RecommendationItem,
    RecommendationPair,
    RecommendationRun,
)

DEFAULT_LIMIT, MAX_LIMIT = 6, 20
POPULAR_ORDERS = 2000  # latest orders counted for popularity before any run
CANDIDATES = 200  # ranked SKUs looked up in the catalogue at most
OWNED_ORDERS = 200  # a customer's latest orders read for what they bought

Ranked = list[tuple[str, float]]  # (SKU, score), best first


@dataclass(frozen=True)
class Item:
    sku: str
    title: str
    score: float
    product_id: int
    price_minor: int
    currency: str
    image_url: str | None

    def as_dict(self) -> dict[str, object]:
        return {"sku": self.sku, "title": self.title, "score": self.score,
                "price_minor": self.price_minor, "currency": self.currency,
                "image_url": self.image_url}


def latest_run(session: Session, store_id: int) -> int | None:
    """The store's latest finished run, if any."""
    return session.scalar(select(func.max(RecommendationRun.id)).where(
        RecommendationRun.store_id == store_id, RecommendationRun.finished_at.is_not(None)))


def order_skus(session: Session, *, store_id: int, order_id: int) -> list[str]:
    return sorted({sku for sku in session.scalars(select(OrderLine.sku).where(
        OrderLine.order_id == order_id, OrderLine.store_id == store_id)) if sku})


def latest_orders(session: Session, *, store_id: int, customer_id: int
                  ) -> list[tuple[int, datetime]]:
    """The customer's latest OWNED_ORDERS orders (id, placed_at), cancelled ones left
    out; newest id first, so the lookup walks the customer's index, not the store's."""
    return [(order_id, placed_at) for order_id, placed_at in session.execute(
        select(Order.id, Order.placed_at).where(
            Order.store_id == store_id, Order.customer_id == customer_id,
            Order.status != "cancelled").order_by(Order.id.desc()).limit(OWNED_ORDERS))]


def owned(session: Session, *, store_id: int, customer_id: int | None,
          orders: list[int] | None = None) -> Counter[str]:
    """In how many of the customer's latest orders (`orders`, else latest_orders) each
    SKU is."""
    if customer_id is None:
        return Counter()
    if orders is None:
        orders = [o for o, _ in latest_orders(session, store_id=store_id,
                                              customer_id=customer_id)]
    if not orders:
        return Counter()
    rows = session.execute(select(OrderLine.order_id, OrderLine.sku).where(
        OrderLine.order_id.in_(orders), OrderLine.sku.is_not(None)))
    return Counter(sku for _, sku in {(o, s) for o, s in rows if s})


def ranked_with(session: Session, *, store_id: int, skus: Collection[str]) -> Ranked:
    """SKUs going with these (none of them), best first: the latest run's, else counted
    now. The same for every shopper: a page may keep it a while."""
    if not skus:
        return []
    run = latest_run(session, store_id)
    if run is None:
        return _counted_with(session, store_id, skus)
    summed: dict[str, float] = {}
    for other, confidence in session.execute(
            select(RecommendationPair.other_sku, RecommendationPair.confidence).where(
                RecommendationPair.run_id == run, RecommendationPair.sku.in_(sorted(skus)))):
        if other not in skus:
            summed[other] = summed.get(other, 0.0) + confidence
    return sorted(summed.items(), key=lambda kv: (-kv[1], kv[0]))[:CANDIDATES]


def _counted_with(session: Session, store_id: int, skus: Collection[str]) -> Ranked:
    """Co-purchase over a sample of the store's orders with these SKUs (found through
    their variants, as copurchase.recommend does): the share of them with each SKU."""
    variants = select(Variant.id).where(Variant.store_id == store_id,
                                        Variant.sku.in_(sorted(skus)))
    sampled = (select(OrderLine.order_id).where(OrderLine.store_id == store_id,
                                                OrderLine.variant_id.in_(variants))
               .distinct().limit(copurchase.SAMPLE_ORDERS))
    pairs = session.execute(select(OrderLine.order_id, OrderLine.sku).where(
        OrderLine.order_id.in_(sampled), OrderLine.sku.is_not(None))).all()
    names = sorted({sku for _, sku in pairs if sku})
    column = {name: j for j, name in enumerate(names)}  # ids in name order: ties by name
    ids = [(order_id, column[sku]) for order_id, sku in pairs if sku]
    bought = [column[s] for s in skus if s in column]
    ranked = copurchase.rank(ids, bought, limit=CANDIDATES)
    baskets: dict[int, set[int]] = {}
    for order_id, j in ids:
        baskets.setdefault(order_id, set()).add(j)
    seeded = [b for b in baskets.values() if not b.isdisjoint(bought)]
    together = Counter(j for b in seeded for j in b)
    return [(names[j], round(together[j] / len(seeded), 6)) for j in ranked]


def ranked_for(session: Session, *, store_id: int, customer_id: int) -> Ranked:
    """The customer's list of the latest run, then its popular list; before any run,
    popular SKUs counted now."""
    run = latest_run(session, store_id)
    if run is None:
        return _counted_popular(session, store_id)
    rows = session.execute(
        select(RecommendationItem.customer_id, RecommendationItem.sku,
               RecommendationItem.score)
        .where(RecommendationItem.run_id == run,
               (RecommendationItem.customer_id == customer_id)
               | RecommendationItem.customer_id.is_(None))
        .order_by(RecommendationItem.customer_id.is_(None), RecommendationItem.position))
    ranked: Ranked = []
    seen: set[str] = set()
    for _, sku, score in rows:
        if sku not in seen:
            seen.add(sku)
            ranked.append((sku, score))
    return ranked


def _counted_popular(session: Session, store_id: int) -> Ranked:
    latest = (select(Order.id).where(Order.store_id == store_id, Order.status != "cancelled")
              .order_by(Order.placed_at.desc(), Order.id.desc()).limit(POPULAR_ORDERS))
    orders = func.count(func.distinct(OrderLine.order_id))
    rows = session.execute(
        select(OrderLine.sku, orders)
        .where(OrderLine.order_id.in_(latest.scalar_subquery()), OrderLine.sku.is_not(None))
        .group_by(OrderLine.sku).order_by(orders.desc(), OrderLine.sku).limit(CANDIDATES)).all()
    total = session.scalar(select(func.count()).select_from(latest.subquery())) or 0
    return [(sku, round(n / total, 6)) for sku, n in rows if sku] if total else []


def serve(session: Session, *, store_id: int, ranked: Iterable[tuple[str, float]],
          leave_out: Collection[str], limit: int) -> list[Item]:
    """The first `limit` of `ranked` that may be shown: not left out (nor another variant
    of a product left out), in the catalogue, in stock, one per product; titles from
    the catalogue."""
    wanted = [(sku, score) for sku, score in ranked if sku not in leave_out][:CANDIDATES]
    if not wanted or limit <= 0:
        return []
    looked_up = sorted({s for s, _ in wanted} | set(leave_out))
    catalogue = {row.sku: row for row in session.execute(
        select(Variant.sku, Variant.product_id, Variant.inventory_quantity,
               Variant.price_minor, Variant.currency, Variant.image_url,
               Product.title, Product.image_url.label("product_image"))
        .join(Product, Product.id == Variant.product_id)
        .where(Variant.store_id == store_id, Variant.sku.in_(looked_up)))}
    items: list[Item] = []
    products = {catalogue[s].product_id for s in leave_out if s in catalogue}
    for sku, score in wanted:
        row = catalogue.get(sku)
        if row is None or row.inventory_quantity == 0 or row.product_id in products:
            continue
        products.add(row.product_id)
        items.append(Item(sku, row.title, float(score), row.product_id, row.price_minor,
                          row.currency, row.image_url or row.product_image))
        if len(items) == limit:
            break
    return items


def goes_with(session: Session, *, store_id: int, skus: Collection[str],
              customer_id: int | None, limit: int = DEFAULT_LIMIT,
              ranked: Ranked | None = None) -> list[Item]:
    """What goes with these SKUs, for this customer (None: a guest): nothing they bought
    unless they bought it in 2+ orders. `ranked`: ranked_with's answer, when kept."""
    bought = owned(session, store_id=store_id, customer_id=customer_id)
    leave_out = {s for s in skus if bought[s] < 2} | {s for s, n in bought.items() if n < 2}
    if ranked is None:
        ranked = ranked_with(session, store_id=store_id, skus=skus)
    return serve(session, store_id=store_id, ranked=ranked, leave_out=leave_out, limit=limit)


def for_order(session: Session, *, store_id: int, order_id: int,
              limit: int = DEFAULT_LIMIT) -> list[Item] | None:
    """What goes with the order (None: no such order in this store)."""
    customer = session.execute(select(Order.customer_id).where(
        Order.id == order_id, Order.store_id == store_id)).first()
    if customer is None:
        return None
    return goes_with(session, store_id=store_id, customer_id=customer[0], limit=limit,
                     skus=order_skus(session, store_id=store_id, order_id=order_id))


def for_customer(session: Session, *, store_id: int, customer_id: int,
                 limit: int = DEFAULT_LIMIT) -> list[Item] | None:
    """You may also like (None: no such customer in this store)."""
    if session.scalar(select(Customer.id).where(Customer.id == customer_id,
                                                Customer.store_id == store_id)) is None:
        return None
    orders = latest_orders(session, store_id=store_id, customer_id=customer_id)
    last = max(orders, key=lambda o: (o[1], o[0]))[0] if orders else None
    just = order_skus(session, store_id=store_id, order_id=last) if last is not None else []
    bought = owned(session, store_id=store_id, customer_id=customer_id,
                   orders=[o for o, _ in orders])
    return serve(session, store_id=store_id, limit=limit,
                 ranked=ranked_for(session, store_id=store_id, customer_id=customer_id),
                 leave_out={s for s in just if bought[s] < 2})
