"""Reading what a shopper page needs, through the domain services, in one session:
a shipment by its token, or an order found by two facts (number + email or
postal code). A miss costs the same work whichever fact was wrong."""

from __future__ import annotations

import hmac
import re
import threading
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, noload

from afterward.commerce import service as commerce
from afterward.commerce import stores
from afterward.commerce.models import Customer, Order, Product, Store
from afterward.insights import copurchase, recs_serve
from afterward.tracking.models import Shipment
from afterward.web.pages import plain_rows
from afterward.web.pages.memo import Memo
from afterward.web.pages.view import OrderView, Rows

TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")
MAX_SIBLINGS = plain_rows.MAX_SIBLINGS
# What goes with what moves slowly (a run is nightly): one ranking per store and set of
# SKUs, kept a while; the shopper's own purchases and stock are taken out on each view.
SUGGESTIONS_SECONDS = 15 * 60
# A store's name, colours and locale, and its products' titles, pictures, prices and
# guides change rarely: each page process keeps them a little while (as rows detached
# from their session, read only) instead of asking the database on every page view.
CATALOGUE_SECONDS = 60
_create_lock = threading.Lock()


class Speaking(Protocol):
    """What the page's language and time zone come from: the customer's settings."""

    @property
    def locale(self) -> str | None: ...
    @property
    def timezone(self) -> str | None: ...


class Catalogue:
    """Stores by id and products by (store id, product id), for CATALOGUE_SECONDS."""

    def __init__(self, seconds: float = CATALOGUE_SECONDS) -> None:
        self.stores: Memo[Store | None] = Memo(seconds=seconds, max_entries=1_000)
        self.products: Memo[Product | None] = Memo(seconds=seconds, max_entries=20_000)

    def store(self, session: Session, store_id: int) -> Store | None:
        return self.stores.get(store_id, lambda: session.get(Store, store_id))

    def product_rows(self, session: Session, store_id: int, ids: set[int]) -> dict[int, Product]:
        found: dict[int, Product] = {}
        missing = set()
        for pid in ids:
            hit = self.products.peek((store_id, pid))
            if hit is None:
                missing.add(pid)
            elif hit[0] is not None:
                found[pid] = hit[0]
        if missing:
            loaded = _products(session, store_id, missing)
            for pid in missing:
                self.products.put((store_id, pid), loaded.get(pid))
            found.update(loaded)
        return found


def catalogue(app: Any) -> Catalogue:
    with _create_lock:
        kept: Catalogue | None = getattr(app.state, "page_catalogue", None)
        if kept is None:
            kept = Catalogue()
            app.state.page_catalogue = kept
        return kept


def suggestions_memo(app: Any) -> Memo[recs_serve.Ranked]:
    with _create_lock:
        memo: Memo[recs_serve.Ranked] | None = getattr(app.state, "copurchase_memo", None)
        if memo is None:
            memo = Memo(seconds=SUGGESTIONS_SECONDS, max_entries=20_000)
            app.state.copurchase_memo = memo
        return memo


def shipment_rows(session: Session, token: str, memo: Memo[recs_serve.Ranked],
                  kept: Catalogue | None = None) -> tuple[Rows, Speaking | None] | None:
    """The page for a parcel's token, read as plain rows (plain_rows.py)."""
    if not TOKEN.match(token):
        return None
    found = plain_rows.by_token(session.connection(), token)
    if found is None:
        return None
    store_id = found.parcel.store_id
    store = kept.store(session, store_id) if kept else session.get(Store, store_id)
    if store is None:
        return None
    products, suggested = _goods(session, store.id, found.order, memo, kept)
    return Rows(store=store, order=found.order, shipment=found.parcel, siblings=found.siblings,
                products=products, suggested=suggested), found.customer


def order_rows(session: Session, store: Store, order: Order, memo: Memo[recs_serve.Ranked],
               kept: Catalogue | None = None) -> tuple[Rows, Customer | None]:
    """The page for an order without a parcel yet (found by the lookup)."""
    customer = commerce.get_customer(session, store_id=store.id,
                                     customer_id=order.customer_id) \
        if order.customer_id else None
    products, suggested = _goods(session, store.id, order, memo, kept)
    return Rows(store=store, order=order, shipment=None, siblings=order_parcels(session, order),
                products=products, suggested=suggested), customer


def _goods(session: Session, store_id: int, order: OrderView | None,
           memo: Memo[recs_serve.Ranked], kept: Catalogue | None
           ) -> tuple[dict[int, Product], list[Product]]:
    """The products of the order's lines and those that go with them: the one source
    the API and the emails read too (insights/recs_serve.py)."""
    if order is None:
        return {}, []
    bought = {line.product_id for line in order.lines if line.product_id}
    skus = recs_serve.order_skus(session, store_id=store_id, order_id=order.id)
    ranked = memo.get((store_id, frozenset(skus)), lambda: recs_serve.ranked_with(
        session, store_id=store_id, skus=skus))
    wanted = [item.product_id for item in recs_serve.goes_with(
        session, store_id=store_id, skus=skus, customer_id=order.customer_id,
        limit=copurchase.TOP, ranked=ranked)]
    wanted_ids = bought | set(wanted)
    products = kept.product_rows(session, store_id, wanted_ids) if kept \
        else _products(session, store_id, wanted_ids)
    return products, [products[p] for p in wanted if p in products]


def order_parcels(session: Session, order: Order) -> list[Shipment]:
    """The order's parcels, oldest first, without their events: the tabs need
    only their status and carrier, and the page's own parcel is loaded already."""
    return list(session.scalars(
        select(Shipment).where(Shipment.store_id == order.store_id,
                               Shipment.order_id == order.id)
        .options(noload(Shipment.events), noload(Shipment.lines))
        .order_by(Shipment.id).limit(MAX_SIBLINGS)))


def _products(session: Session, store_id: int, ids: set[int]) -> dict[int, Product]:
    if not ids:
        return {}
    rows = session.scalars(select(Product).where(Product.store_id == store_id,
                                                 Product.id.in_(ids)))
    return {p.id: p for p in rows}


def store_for(session: Session, slug: str | None) -> Store | None:
    """The store a lookup is for: the one named, or the only one there is."""
    if slug:
        return stores.get_by_slug(session, slug.strip().lower()[:64])
    first_two = session.scalars(select(Store).order_by(Store.id).limit(2)).all()
    return first_two[0] if len(first_two) == 1 else None


def _number_spellings(number: str) -> list[str]:
    bare = number.strip().lstrip("#").strip()
    return [bare, f"#{bare}"] if bare else []


def normalize_postal_code(value: str) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", value).upper()


def _same(given: str, known: str | None) -> bool:
    return hmac.compare_digest(given.encode(), (known or "\x00").encode())


def find_order(session: Session, store: Store, *, number: str, email: str = "",
               postal_code: str = "") -> Order | None:
    """The order with this number whose email (or shipping postal code) matches.
    One query of the facts and one comparison either way, and the order itself is
    loaded only once both facts matched, so a wrong number and a wrong email do the
    same work and look alike from outside."""
    candidates = session.execute(select(Order.id, Order.email, Order.ship_postal_code).where(
        Order.store_id == store.id, Order.number.in_(_number_spellings(number)[:2] or [""])))
    email_given = email.strip().casefold()
    postal_given = normalize_postal_code(postal_code)
    for order_id, order_email, order_postal_code in candidates:
        if email_given:
            matched = _same(email_given, (order_email or "").casefold() or None)
        else:
            matched = bool(postal_given) and _same(
                postal_given, normalize_postal_code(order_postal_code or "") or None)
        if matched:
            return session.get(Order, order_id)
    return None


