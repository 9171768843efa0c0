"""`build_demo(db, ...)`: the demo store, its admin, key and webhook secrets, and its
history: what happened before the switch-on (`replay_days` before now) is written at
once, as an import of the store's past would be, then the built-in journeys are
switched on and the rest is replayed through them (replay.py), so its events enrol
customers, steps wait and branch, holdouts split, and messages go to the outbox, at
the times they happened. A second call finds the store and only describes it.

The store is built under a slug of its own and takes the name "demo" in the last
transaction, so a build that fails half-way is never taken for a demo."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from afterward import clock
from afterward.commerce import stores
from afterward.commerce.models import ApiKey, Customer, Order, Store, WebhookSecret
from afterward.demo import (
    DEFAULT_CUSTOMERS,
    DEFAULT_DAYS,
    DEFAULT_ORDERS,
    DEFAULT_REPLAY_DAYS,
    DEFAULT_SEED,
    accounts,
    history,
)
from afterward.demo import agenda as agendas
from afterward.demo import loyalty as demo_loyalty
from afterward.demo import returns as demo_returns
from afterward.demo.replay import Replayed, Sending, replay
from afterward.demo.writer import HistoryWriter
from afterward.event_cursors import EventConsumer
from afterward.journeys import builtins as journeys
from afterward.journeys import consumer
from afterward.loyalty import tick
from afterward.returns import facts as return_facts
from afterward.returns import policy as returns_policy
from afterward.storage import registry
from afterward.storage.db import Database
from afterward.storage.types import utcnow
from afterward.tracking.models import Shipment
from afterward.tracking.statuses import Status

DEMO_SLUG = "demo"
BUILDING_SLUG = "demo-building"  # the store while it is built
STORE_NAME = "Northwind Goods"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
REPLAYING = "Replaying through the journeys"
STEPS = ("Catalogue", "Customers", "Orders", "Baskets", "Parcels", "Refunds and cancellations",
         "Writing the history before the journeys", "Switching the journeys on", REPLAYING,
         "Publishing")

Step = Callable[[str], None]


@dataclass(frozen=True)
class DemoSummary:
    slug: str
    store_id: int
    created: bool
    admin_email: str
    admin_password: str | None  # None when it was set with another secret key
    api_key: str | None  # likewise
    webhook_secrets: dict[str, str]
    tracking_token: str | None  # a parcel still on its way, else the latest one
    tracking_status: str | None
    counts: dict[str, int]
    seconds: float
    answered: int = 0  # orders placed in answer to a journey's message (responses.py)


def build_demo(db: Database, *, secret_key: str, customers: int = DEFAULT_CUSTOMERS,
               orders: int = DEFAULT_ORDERS, seed: int = DEFAULT_SEED, days: int = DEFAULT_DAYS,
               replay_days: int = DEFAULT_REPLAY_DAYS, now: datetime | None = None,
               reset: bool = False, step: Step | None = None,
               public_url: str = DEFAULT_PUBLIC_URL) -> DemoSummary:
    started = time.perf_counter()
    with db.reading() as session:
        existing = stores.get_by_slug(session, DEMO_SLUG)
        if existing is not None and not reset:
            return describe(session, existing, secret_key=secret_key, created=False,
                            seconds=time.perf_counter() - started)
    report = step or (lambda _label: None)
    trade = history.generate(customers=customers, orders=orders, seed=seed, days=days,
                             now=now or utcnow(), step=report)
    first_day = datetime.combine(trade.start, datetime.min.time(), tzinfo=trade.now.tzinfo)
    switched_on = max(first_day, switch_on_time(trade.now, replay_days))
    writer = _open_store(db, secret_key=secret_key, trade=trade,
                         opened=first_day - timedelta(days=60))
    plan = agendas.of_history(trade)
    report("Writing the history before the journeys")
    _write_before(db, writer=writer, plan=plan, switched_on=switched_on)
    report("Earning the history's loyalty points")
    _earn_before(db, store_id=writer.store_id, at=switched_on)
    report("Switching the journeys on")
    _switch_journeys_on(db, store_id=writer.store_id, at=switched_on)
    report(REPLAYING)
    replayed = replay(db, store_id=writer.store_id, writer=writer, plan=plan,
                      start=switched_on, sending=Sending(secret_key, public_url), seed=seed,
                      progress=_progress(report))
    with db.transaction() as session:
        demo_loyalty.announce_campaign(session, store_id=writer.store_id, now=trade.now)
    report("Publishing")
    summary = _publish(db, store_id=writer.store_id, secret_key=secret_key, reset=reset,
                       replayed=replayed)
    return replace(summary, seconds=time.perf_counter() - started)


def _progress(report: Step) -> Callable[[float], None]:
    shown = [-1]

    def progress(share: float) -> None:
        percent = int(share * 100)
        if percent != shown[0]:
            shown[0] = percent
            report(f"{REPLAYING} {percent}%")

    return progress


def switch_on_time(now: datetime, replay_days: int) -> datetime:
    """Midnight UTC `replay_days` before `now`."""
    day = (now - timedelta(days=replay_days)).date()
    return datetime.combine(day, datetime.min.time(), tzinfo=now.tzinfo)


def _open_store(db: Database, *, secret_key: str, trade: history.History,
                opened: datetime) -> HistoryWriter:
    """The store as it opened, with its catalogue and secrets, under the building slug
    (a failed build's leftovers go first)."""
    with clock.simulated(opened), db.transaction() as session:
        leftover = stores.get_by_slug(session, BUILDING_SLUG)
        if leftover is not None:
            delete_store_data(session, leftover.id)
        store = create_demo_store(session, secret_key=secret_key, since=opened)
        writer = HistoryWriter(store_id=store.id, currency=store.currency, trade=trade)
        writer.write_catalogue(session)
    return writer


def _write_before(db: Database, *, writer: HistoryWriter, plan: agendas.Agenda,
                  switched_on: datetime) -> None:
    """Everything that happened before the journeys were switched on, in one
    transaction, as an import of the store's past would write it: no journey sees it."""
    with clock.simulated(switched_on), db.transaction() as session:
        writer.write(session, plan.due(switched_on))


def _earn_before(db: Database, *, store_id: int, at: datetime) -> None:
    """The points of the history written so far, earned in one pass at `at` (what is
    no longer returnable is spendable at once), then the periodic pass: tiers, expiry."""
    with clock.simulated(at), db.transaction() as session:
        demo_loyalty.catch_up(session, store_id=store_id, now=at)
        tick.run_store(session, store_id=store_id, program=demo_loyalty.DEMO_PROGRAM, now=at)


def _switch_journeys_on(db: Database, *, store_id: int, at: datetime) -> None:
    """The built-in journeys, switched on at `at`; their event consumer starts after
    the events recorded so far (journeys never act on what happened before them)."""
    with clock.simulated(at), db.transaction() as session:
        journeys.install(session, store_id=store_id)
        consumer.cursor(session, store_id)


def _publish(db: Database, *, store_id: int, secret_key: str, reset: bool,
             replayed: Replayed) -> DemoSummary:
    """Give the built store the demo's name, key and admin, in one transaction."""
    with db.transaction() as session:
        store = session.get(Store, store_id)
        assert store is not None
        old = stores.get_by_slug(session, DEMO_SLUG)
        if old is not None and not reset:  # built by someone else meanwhile
            delete_store_data(session, store_id)
            return describe(session, old, secret_key=secret_key, created=False, seconds=0.0)
        if old is not None:
            delete_store_data(session, old.id)
        store.slug = DEMO_SLUG
        secrets = accounts.demo_secrets(secret_key)
        session.add(ApiKey(store_id=store.id, name="demo", prefix=secrets.api_key[:10],
                           key_hash=stores.hash_key(secrets.api_key)))
        accounts.ensure_admin(session, store=store, email=accounts.ADMIN_EMAIL,
                              password=secrets.password)
        session.flush()
        summary = describe(session, store, secret_key=secret_key, created=True, seconds=0.0)
    return replace(summary, answered=replayed.answered)


def create_demo_store(session: Session, *, secret_key: str, since: datetime) -> Store:
    secrets = accounts.demo_secrets(secret_key)
    store = stores.create_store(
        session, slug=BUILDING_SLUG, name=STORE_NAME, currency="EUR",
        timezone="Europe/Berlin", locale="en", brand_primary="#2f4a3a",
        brand_accent="#d9822b", logo_url=f"/media/stores/{DEMO_SLUG}/logo.svg",
        support_email="support@northwind.example")
    store.created_at = since
    for provider, value in secrets.webhooks.items():
        stores.set_webhook_secret(session, store=store, provider=provider, secret=value)
    session.flush()
    return_facts.save_policy(session, store_id=store.id, policy=DEMO_POLICY)
    demo_loyalty.open_program(session, store_id=store.id)
    return store


# Exchanges and store credit are free, a refund pays for the way back unless the item
# was faulty; what cost at most 10 EUR and arrived faulty can be kept; big orders are
# looked at by a person. The demo's shoppers send no photos, so a faulty item needs
# none here (the default policy asks for one).
DEMO_POLICY = returns_policy.Policy(
    resolutions=["refund", "store_credit", "exchange", "keep"],
    fees_minor={"refund": 395}, keep_max_value_minor=demo_returns.KEEP_MAX_MINOR,
    rules=[returns_policy.Rule(name="damaged or wrong items pay no fee",
                               when=returns_policy.When(reasons=list(demo_returns.FAULTS)),
                               then=returns_policy.Then(waive_fee=True)),
           returns_policy.Rule(name="large orders are looked at by a person",
                               when=returns_policy.When(min_order_value_minor=25000),
                               then=returns_policy.Then(review=True))])


def delete_store_data(session: Session, store_id: int) -> None:
    """Every row of the store, children before parents, then the store itself."""
    metadata = registry.metadata()
    for table in reversed(metadata.sorted_tables):
        if table.name != "stores" and "store_id" in table.c:
            session.execute(delete(table).where(table.c.store_id == store_id))
    # The consumers' cursors (journeys, loyalty, returns) are named `<module>:<store id>`.
    session.execute(delete(EventConsumer).where(EventConsumer.name.like(f"%:{store_id}")))
    session.execute(delete(Store).where(Store.id == store_id))
    session.expire_all()


def describe(session: Session, store: Store, *, secret_key: str, created: bool,
             seconds: float) -> DemoSummary:
    secrets = accounts.demo_secrets(secret_key)
    key_ok = session.scalar(select(ApiKey.id).where(
        ApiKey.store_id == store.id, ApiKey.key_hash == stores.hash_key(secrets.api_key),
        ApiKey.revoked_at.is_(None))) is not None
    password_ok = accounts.password_matches(session, email=accounts.ADMIN_EMAIL,
                                            password=secrets.password)
    webhooks = dict(session.execute(select(WebhookSecret.provider, WebhookSecret.secret)
                                    .where(WebhookSecret.store_id == store.id)
                                    .order_by(WebhookSecret.provider)).tuples().all())
    moving = Shipment.status.in_([Status.in_transit.value, Status.out_for_delivery.value])
    example = session.execute(
        select(Shipment.token, Shipment.status).where(Shipment.store_id == store.id)
        .order_by(moving.desc(), Shipment.last_event_at.desc(), Shipment.id.desc())
        .limit(1)).first()
    counts = {name: int(session.scalar(select(func.count()).select_from(model)
                                       .where(model.store_id == store.id)) or 0)
              for name, model in (("customers", Customer), ("orders", Order),
                                  ("shipments", Shipment))}
    return DemoSummary(slug=store.slug, store_id=store.id, created=created,
                       admin_email=accounts.ADMIN_EMAIL,
                       admin_password=secrets.password if password_ok else None,
                       api_key=secrets.api_key if key_ok else None, webhook_secrets=webhooks,
                       tracking_token=example.token if example else None,
                       tracking_status=example.status if example else None,
                       counts=counts, seconds=seconds)
