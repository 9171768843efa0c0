"""Step 1 of a send for many messages at once: the policy, then render and persist,
then queue the send jobs (see pipeline.py for the two steps). Everything a message
needs (its store and settings, customer and consents, suppressions, contact budget
counts, orders, parcels, templates) is read in a few queries per batch, not per
message. Runs in the caller's transaction (a worker's, fenced on every job's lease),
so for each message it happens once; a batch of one is the single-message case.

Messages are read as plain `Draft`s and written back with one statement per batch
(their new state) and one bulk insert of the rendered bodies (message_bodies): the ORM's load
and flush of 200 messages cost ~15 % of a worker's time."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import String, Table, bindparam, func, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from afterward import jobs
from afterward.commerce.models import Consent, Customer, Order, Store
from afterward.messaging import context, facts, policy, runtime, templates
from afterward.messaging.context import CustomerRow
from afterward.messaging.html import add_tracking
from afterward.messaging.models import (
    Draft,
    Message,
    MessageBody,
    MessageStatus,
    MessagingSettings,
    SendRow,
    Suppression,
)
from afterward.messaging.service import (
    PREPARE_JOB,
    SEND_BATCH_JOB,
    SEND_JOB,
    SEND_MAX_ATTEMPTS,
    sending_settings,
)
from afterward.storage import bulk
from afterward.storage.queries import one_of
from afterward.storage.types import utcnow

# Messages per messaging.send_batch job.
MESSAGES_PER_SEND_JOB = 200

_MESSAGES = cast(Table, Message.__table__)
_BODIES = cast(Table, MessageBody.__table__)
_READ = [getattr(_MESSAGES.c, name) for name in Draft.READ]
_WRITE_BACK = (
    update(_MESSAGES)
    .where(_MESSAGES.c.id == bindparam("d_id"))
    .values({**{name: bindparam(f"d_{name}") for name in Draft.WRITTEN},
             "updated_at": bindparam("d_updated_at")})
)
# PostgreSQL: the batch's new states in one statement, a column of values per array,
# instead of an execution per message (client and server CPU per message, measured on
# 200-message batches: 27-38 and 20-45 µs, against 54-56 and 65-85 µs), the arrays in
# binary (%b: psycopg writes no text to escape; client 8-12 µs instead of 30-38). The
# bodies go in as every bulk write does (storage/bulk.py: COPY on PostgreSQL).


def _array_type(name: str) -> str:
    """The column's type for its array, strings without their length (a cast to
    varchar(n) would cut a longer value where the column refuses it)."""
    kind = _MESSAGES.c[name].type
    return "varchar" if isinstance(kind, String) else kind.compile(dialect=postgresql.dialect())


_WRITE_BACK_ARRAYS = (
    "UPDATE messages SET updated_at = %s, "
    + ", ".join(f"{name} = v.{name}" for name in Draft.WRITTEN)
    + " FROM unnest(%b::bigint[], "
    + ", ".join(f"%b::{_array_type(name)}[]" for name in Draft.WRITTEN)
    + f") AS v(id, {', '.join(Draft.WRITTEN)}) WHERE messages.id = v.id"
)


def prepare_many(session: Session, *, message_ids: list[int], now: datetime
                 ) -> dict[int, str]:
    """Decide, render and approve each queued message; returns what became of each:
    ready, suppressed, deferred, failed, or skipped (not queued any more)."""
    drafts = _lock_and_load(session, message_ids)
    outcomes = {mid: "skipped" for mid in message_ids}
    prepared: list[Draft] = []
    for store_id, group in _by_store(d for d in drafts
                                     if d.status == MessageStatus.queued.value).items():
        batch = _StoreBatch(session, store_id, group, now)
        approved: list[Draft] = []
        for draft in group:
            outcomes[draft.id] = batch.prepare(draft)
            if outcomes[draft.id] == "ready":
                approved.append(draft)
        prepared.extend(group)
        _enqueue_sends(session, store_id, approved)
    _write_back(session, prepared)
    return outcomes


def _write_back(session: Session, drafts: list[Draft]) -> None:
    """Each draft's new state, and the bodies of those rendered, in two statements."""
    if not drafts:
        return
    written = utcnow()
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(_WRITE_BACK_ARRAYS, (
            written, [d.id for d in drafts],
            *([getattr(d, name) for d in drafts] for name in Draft.WRITTEN)))
    else:
        conn.execute(_WRITE_BACK, [
            {"d_id": d.id, "d_updated_at": written,
             **{f"d_{name}": getattr(d, name) for name in Draft.WRITTEN}} for d in drafts])
    bulk.insert(conn, _BODIES, [
        {"message_id": d.id, "store_id": d.store_id, "body_text": d.body_text,
         "body_html": d.body_html}
        for d in drafts if d.body_text is not None or d.body_html is not None])


def _enqueue_sends(session: Session, store_id: int, messages: list[Draft]) -> None:
    """One send job for a message alone, one per MESSAGES_PER_SEND_JOB messages
    otherwise; the worker runs them as soon as this transaction commits (a batch with
    the messages as they stand, so they are not read back)."""
    if len(messages) == 1:
        (job_id,) = jobs.enqueue_many(session, SEND_JOB, [{"message_id": messages[0].id}],
                                      store_id=store_id, max_attempts=SEND_MAX_ATTEMPTS)
        jobs.run_next(session, job_id)
        return
    chunks = [messages[start:start + MESSAGES_PER_SEND_JOB]
              for start in range(0, len(messages), MESSAGES_PER_SEND_JOB)]
    job_ids = jobs.enqueue_many(session, SEND_BATCH_JOB, [
        {"message_ids": [m.id for m in chunk]} for chunk in chunks],
        store_id=store_id, max_attempts=SEND_MAX_ATTEMPTS)
    for job_id, chunk in zip(job_ids, chunks, strict=True):
        jobs.run_next(session, job_id, {m.id: SendRow.of(m) for m in chunk})


def _lock_and_load(session: Session, message_ids: list[int]) -> list[Draft]:
    found = {row[0]: Draft(*row) for row in session.connection().execute(
        select(*_READ).where(one_of(session, _MESSAGES.c.id, message_ids)))}
    marketing = sorted({d.customer_id for d in found.values() if d.customer_id is not None
                        and d.purpose == policy.Purpose.marketing.value
                        and d.status == MessageStatus.queued.value})
    if marketing:
        # Serializes budget checks for one customer on PostgreSQL (SQLite: one writer);
        # always in id order, so two batches never wait on each other in a circle.
        list(session.scalars(select(Customer.id).where(one_of(session, Customer.id, marketing))
                             .order_by(Customer.id).with_for_update()))
    return [found[mid] for mid in message_ids if mid in found]


def _by_store(drafts: Iterable[Draft]) -> dict[int, list[Draft]]:
    groups: dict[int, list[Draft]] = {}
    for draft in drafts:
        groups.setdefault(draft.store_id, []).append(draft)
    return groups


class _StoreBatch:
    """The facts of one store's messages in a batch, loaded together."""

    def __init__(self, session: Session, store_id: int, messages: list[Draft],
                 now: datetime) -> None:
        self.session, self.now = session, now
        store = session.get(Store, store_id)
        assert store is not None
        self.store = store
        self.settings = sending_settings(session, store_id=store_id)
        customer_ids = {m.customer_id for m in messages if m.customer_id is not None}
        self.customers = _customers(session, customer_ids)
        self.consents = _consents(session, customer_ids)
        person = [m for m in messages if m.channel != "webhook"]
        orders = _orders_for_address(session, store_id, [
            m for m in person if not m.recipient and not self._own_address(m)])
        for message in person:
            message.recipient = message.recipient or self._own_address(message) \
                or _order_address(message, orders)
        self.suppressions = _suppressions(session, store_id, person)
        self.budget_used = _marketing_counts(session, person, self.settings, now)
        self.loaded = context.load(session, store_id=store_id,
                                   refs=[m.payload.get("refs", {}) for m in person])
        self.templates: dict[tuple[str, str, tuple[str, ...]], templates.Resolved | None] = {}

    def _own_address(self, message: Draft) -> str | None:
        customer = self.customers.get(message.customer_id) if message.customer_id else None
        field = "email" if message.channel == "email" else "phone"
        return str(getattr(customer, field)) if customer is not None and getattr(
            customer, field) else None

    def prepare(self, message: Draft) -> str:
        if message.channel == "webhook":
            return _approve(message, self.now)
        customer = self.customers.get(message.customer_id) if message.customer_id else None
        decision = policy.decide(self._facts(message, customer), self.now)
        if decision.action == policy.Action.suppress:
            finish(message, MessageStatus.suppressed, decision.reason or "policy", self.now)
            return "suppressed"
        if decision.action == policy.Action.defer:
            assert decision.until is not None
            message.send_after, message.status_reason = decision.until, decision.reason
            jobs.enqueue(self.session, PREPARE_JOB, {"message_id": message.id},
                         store_id=message.store_id, run_at=decision.until,
                         max_attempts=SEND_MAX_ATTEMPTS)
            return "deferred"
        try:
            self._render_into(message, customer)
        except templates.TemplateInvalid as exc:
            finish(message, MessageStatus.failed, f"template: {exc.message}", self.now)
            return "failed"
        if message.purpose == policy.Purpose.marketing.value and message.customer_id:
            # Approved now: it counts against the budget of the batch's later messages.
            self.budget_used[message.customer_id] = \
                self.budget_used.get(message.customer_id, 0) + 1
        return _approve(message, self.now)

    def _facts(self, message: Draft, customer: CustomerRow | None) -> policy.PolicyFacts:
        purpose = policy.Purpose(message.purpose)
        consent = self.consents.get((customer.id, message.channel, message.purpose)) \
            if customer is not None else None
        address = facts.address_key(message.channel, message.recipient) \
            if message.recipient else None
        return policy.PolicyFacts(
            channel=message.channel, purpose=purpose, category=message.category,
            has_address=bool(message.recipient), consent=consent,
            suppressions=self.suppressions.get((message.channel, address), frozenset())
            if address else frozenset(),
            timezone=facts.customer_timezone(customer, self.store),
            quiet_hours=policy.QuietHours.parse(self.settings.quiet_start,
                                                self.settings.quiet_end),
            marketing_in_period=self.budget_used.get(message.customer_id, 0)
            if purpose == policy.Purpose.marketing and message.customer_id else 0,
            budget=self.settings.marketing_budget,
            open_problem=facts.open_problem(self.session, message)
            if policy.probes_apply(message.category, message.purpose) else None,
        )

    def _resolve(self, message: Draft, customer: CustomerRow | None) -> templates.Resolved | None:
        preferred = message.locale or (customer.locale if customer else None) \
            or self.store.locale
        locales = tuple(templates.locale_candidates(_tag(preferred), _tag(self.store.locale)))
        key = (message.template_key or "", message.channel, locales)
        if key not in self.templates:
            self.templates[key] = templates.resolve(
                self.session, store_id=self.store.id, key=key[0], channel=key[1],
                locales=list(locales))
        return self.templates[key]

    def _render_into(self, message: Draft, customer: CustomerRow | None) -> None:
        rt = runtime.current()
        resolved = self._resolve(message, customer)
        if resolved is None:
            raise templates.TemplateInvalid(
                "template", None, f"no {message.channel} template {message.template_key!r}")
        marketing = message.purpose == policy.Purpose.marketing.value
        unsubscribe = rt.links.unsubscribe_url(message.id) if marketing else None
        preferences = rt.links.preferences_url(message.id)
        values = context.assemble(
            self.session, self.loaded, store=self.store, customer=customer,
            refs=message.payload.get("refs", {}), data=message.payload.get("data", {}),
            locale=resolved.locale, timezone=facts.customer_timezone(customer, self.store),
            public_url=rt.public_url,
            links=context.Links(unsubscribe=unsubscribe, preferences=preferences),
            needs=templates.names_used(message.channel, resolved.source),
            secret_key=rt.links.secret_key)
        rendered = templates.render(message.channel, resolved.source, values)
        html = rendered.html
        if html is not None:
            settings = self.settings
            html = add_tracking(
                html, open_url=rt.links.open_url(message.id) if settings.track_opens else None,
                click_url=(lambda url: rt.links.click_url(message.id, url))
                if settings.track_clicks else None,
                keep=frozenset({preferences, *([unsubscribe] if unsubscribe else [])}))
        message.subject, message.body_text, message.body_html = (
            rendered.subject, rendered.text, html)
        message.segments, message.locale = rendered.segments, resolved.locale
        message.template_id = resolved.template_id


def _customers(session: Session, ids: set[int]) -> dict[int, CustomerRow]:
    if not ids:
        return {}
    return {row[0]: CustomerRow._make(row) for row in session.connection().execute(
        select(*context.CUSTOMER_COLUMNS).where(one_of(session, Customer.id, ids)))}


def _consents(session: Session, ids: set[int]) -> dict[tuple[int, str, str], bool]:
    """(customer, channel, purpose) -> granted, as plain rows (the ORM collection cost
    ~0.1 ms a message)."""
    if not ids:
        return {}
    return {(row.customer_id, row.channel, row.purpose): bool(row.granted)
            for row in session.connection().execute(
                select(Consent.customer_id, Consent.channel, Consent.purpose, Consent.granted)
                .where(one_of(session, Consent.customer_id, ids)))}


def _orders_for_address(session: Session, store_id: int, messages: list[Draft]
                        ) -> dict[int, Order]:
    """Orders of messages whose customer has no address on the channel: theirs is used."""
    ids = {int(oid) for m in messages if (oid := m.payload.get("refs", {}).get("order_id"))}
    if not ids:
        return {}
    # By key alone, the store checked on the rows (see context._orders).
    return {o.id: o for o in session.scalars(select(Order).where(one_of(session, Order.id, ids)))
            if o.store_id == store_id}


def _order_address(message: Draft, orders: dict[int, Order]) -> str | None:
    order_id = message.payload.get("refs", {}).get("order_id")
    order = orders.get(int(order_id)) if order_id else None
    field = "email" if message.channel == "email" else "phone"
    return str(getattr(order, field)) if order is not None and getattr(order, field) else None


def _suppressions(session: Session, store_id: int, messages: list[Draft]
                  ) -> dict[tuple[str, str], frozenset[str]]:
    """(channel, address key) -> the reasons the suppression list holds for it."""
    wanted = {(m.channel, facts.address_key(m.channel, m.recipient))
              for m in messages if m.recipient}
    found: dict[tuple[str, str], set[str]] = {}
    for channel in {c for c, _ in wanted}:
        addresses = [a for c, a in wanted if c == channel]
        for address, reason in session.execute(
                select(Suppression.address, Suppression.reason)
                .where(Suppression.store_id == store_id, Suppression.channel == channel,
                       one_of(session, Suppression.address, addresses))):
            found.setdefault((channel, address), set()).add(reason)
    return {key: frozenset(reasons) for key, reasons in found.items()}


def _marketing_counts(session: Session, messages: list[Draft], settings: MessagingSettings,
                      now: datetime) -> dict[int, int]:
    """Marketing messages each customer was approved in the budget period."""
    ids = {m.customer_id for m in messages
           if m.customer_id is not None and m.purpose == policy.Purpose.marketing.value}
    if not ids:
        return {}
    since = now - timedelta(days=settings.budget_days)
    rows = session.execute(select(Message.customer_id, func.count(Message.id)).where(
        one_of(session, Message.customer_id, ids),
        Message.purpose == policy.Purpose.marketing.value,
        Message.approved_at >= since, Message.status.in_([s.value for s in facts.COUNTED]))
        .group_by(Message.customer_id))
    return {int(customer_id): int(count) for customer_id, count in rows
            if customer_id is not None}


def _tag(locale: str | None) -> str | None:
    return locale.replace("-", "_") if locale else None


def _approve(message: Draft, now: datetime) -> str:
    message.status, message.approved_at, message.status_reason = (
        MessageStatus.ready.value, now, None)
    return "ready"


def finish(message: Message | Draft, status: MessageStatus, reason: str, now: datetime) -> None:
    message.status, message.status_reason, message.finished_at = status.value, reason[:500], now

