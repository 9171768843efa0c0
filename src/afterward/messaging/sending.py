"""Step 2 of a send for many messages at once (see pipeline.py for the two steps).

The common case, a `ready` email over SMTP, goes through one kept SMTP connection,
and each message still changes state around its own network call: `sending` is
committed before its content leaves, `sent` after the server accepted it. To spend
one commit per message instead of two, a message's `sent` rides in the same
transaction as the next one's `sending`; both happen after the first message's
network call and before the second's, so a crash leaves every message in exactly
the state the one-message path would (at most one in `sending`).

A `ready` email or SMS for the outbox (no provider configured) is a write in the
database, with no network call to fence: the batch's are written and marked sent in
one transaction, each ending as the one-message path leaves it. Everything else (a
`sending` left by a crash, webhooks, a message that changed under us) goes through
`pipeline.deliver`, one message at a time."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Engine, Table, bindparam, case, delete, null, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from afterward.commerce.models import Store
from afterward.jobs import WRITE_LOCK
from afterward.messaging import pipeline, runtime
from afterward.messaging.channels import (
    Channel,
    ChannelError,
    Receipt,
    channel_named,
    outbox,
    transport_for,
)
from afterward.messaging.models import (
    Message,
    MessageBody,
    MessageStatus,
    MessagingSettings,
    OutboxEntry,
    SendRow,
)
from afterward.messaging.pipeline import RetryLater
from afterward.messaging.service import sending_settings
from afterward.storage import bulk
from afterward.storage.db import side_transaction
from afterward.storage.queries import one_of
from afterward.storage.types import utcnow

# A batch stops taking new messages after this long (a slow server): the rest run
# again shortly, well before the jobs' leases run out.
TIME_BUDGET_SECONDS = 20.0

_MESSAGES = cast(Table, Message.__table__)


@dataclass(frozen=True)
class Send:
    job_id: int
    message_id: int
    attempt: int


def deliver_many(session: Session, *, sends: list[Send],
                 known: dict[int, SendRow] | None = None) -> dict[int, Exception]:
    """Send each message; returns the jobs that should run again, with the reason.
    `session` is the worker's; it stays unused (no transaction open during the sends).
    `known`: messages as the transaction that made them ready committed them (the
    prepare step hands them over when its worker sends them next), not read again."""
    with turn(session):
        rows, stores, settings = _load(session, [s.message_id for s in sends], known or {})
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    marks = _Marks(engine, lambda: turn(session))
    try:
        return _deliver_each(session, sends, rows, stores, settings, marks)
    except BaseException:
        marks.flush()  # what the server accepted before the error stays recorded as sent
        raise
    finally:
        marks.close()


def _deliver_each(session: Session, sends: list[Send], rows: dict[int, SendRow],
                  stores: dict[int, Store], settings: dict[int, MessagingSettings],
                  marks: _Marks) -> dict[int, Exception]:
    channel = _smtp_channel()
    failures: dict[int, Exception] = {}
    started = time.monotonic()
    for_outbox = [send for send in sends if _for_outbox(rows.get(send.message_id))]
    for send in _into_outbox(session, for_outbox, rows, stores, settings):
        _one_by_one(session, send, failures)
    written = {send.job_id for send in for_outbox}
    for send in sends:
        if send.job_id in written:
            continue
        if time.monotonic() - started > TIME_BUDGET_SECONDS:
            failures[send.job_id] = RetryLater("not tried: the batch ran out of time")
            continue
        message = rows.get(send.message_id)
        if channel is None or message is None or not _plain_email(message):
            marks.flush()
            _one_by_one(session, send, failures)
            continue
        outgoing = pipeline.email_outgoing(message, stores[message.store_id],
                                           settings[message.store_id])
        if not marks.sending(message.id, outgoing.message_id_header):
            _one_by_one(session, send, failures)  # changed under us: let it decide
            continue
        try:
            receipt = channel.send(outgoing, session)
        except Exception as exc:
            marks.flush()
            _after_failure(session, send, exc, failures)
            continue
        marks.sent_later(message.id, receipt)
    marks.flush()
    return failures


def turn(session: Session) -> AbstractContextManager[object]:
    """The process's write lock when the worker runs us outside its transaction
    (SQLite; see jobs.WRITE_LOCK), held around each short transaction, never while
    the server is being talked to."""
    lock = session.info.get(WRITE_LOCK)
    return lock if lock is not None else nullcontext()


_BODIES = cast(Table, MessageBody.__table__)
_ROW_COLUMNS = [getattr(_BODIES.c if name in ("body_text", "body_html") else _MESSAGES.c, name)
                for name in SendRow._fields]
_ROWS = select(*_ROW_COLUMNS).select_from(
    _MESSAGES.outerjoin(_BODIES, _BODIES.c.message_id == _MESSAGES.c.id))


def _load(session: Session, ids: list[int], known: dict[int, SendRow]) -> tuple[
        dict[int, SendRow], dict[int, Store], dict[int, MessagingSettings]]:
    """The messages (those in `known` as they are there), their stores and settings."""
    rows = {i: known[i] for i in ids if i in known}
    missing = [i for i in ids if i not in rows]
    with side_transaction(session) as own:
        if missing:
            rows.update((row.id, row) for row in map(SendRow._make, own.connection().execute(
                _ROWS.where(one_of(own, _MESSAGES.c.id, missing)))))
        store_ids = {m.store_id for m in rows.values()}
        stores = {s.id: s for s in own.scalars(select(Store).where(
            one_of(own, Store.id, store_ids)))}
        settings = {sid: sending_settings(own, store_id=sid) for sid in store_ids}
    return rows, stores, settings


def _smtp_channel() -> Channel | None:
    config = runtime.current().channels
    if transport_for("email", config) != "email":
        return None
    try:
        return channel_named("email", config)
    except ValueError:  # a bad SMTP URL: the one-message path keeps the mail and says why
        return None


def _for_outbox(message: SendRow | None) -> bool:
    return (message is not None and message.status == MessageStatus.ready.value
            and message.channel in ("email", "sms") and bool(message.recipient)
            and transport_for(message.channel, runtime.current().channels) == "outbox")


_FORGET_ENTRY = delete(OutboxEntry).where(OutboxEntry.id == bindparam("entry_id"))
# What pipeline.deliver leaves on a message it sent to the outbox: its claim (`sending`)
# and its `sent` at once.
_OUTBOX_SENT = (
    update(_MESSAGES)
    .where(_MESSAGES.c.id == bindparam("message_id"),
           _MESSAGES.c.status == MessageStatus.ready.value)
    .values(status=MessageStatus.sent.value, sending_at=bindparam("now"),
            send_attempts=_MESSAGES.c.send_attempts + 1, transport="outbox",
            message_id_header=bindparam("header"), sent_at=bindparam("now"),
            provider_message_id=bindparam("provider_id"), status_reason=null(),
            finished_at=null(), updated_at=bindparam("now")))


def _into_outbox(session: Session, sends: list[Send], rows: dict[int, SendRow],
                 stores: dict[int, Store], settings: dict[int, MessagingSettings]
                 ) -> list[Send]:
    """Write the messages to the outbox and mark them sent, in one transaction; returns
    those that changed under us (or all of them if the batch failed), for
    pipeline.deliver to decide."""
    if not sends:
        return []
    changed = []
    try:
        with turn(session), side_transaction(session) as own:
            conn, now = bulk.connection_of(own), utcnow()
            for send in sends:
                message = rows[send.message_id]
                outgoing = pipeline.person_outgoing(
                    message, stores.get(message.store_id), settings.get(message.store_id))
                [entry_id] = bulk.insert(conn, OutboxEntry, [
                    {**outbox.entry_values(outgoing), "created_at": now}], returning_ids=True)
                if conn.execute(_OUTBOX_SENT, {
                        "message_id": message.id, "now": now,
                        "header": outgoing.message_id_header,
                        "provider_id": outbox.provider_id(entry_id)}).rowcount != 1:
                    conn.execute(_FORGET_ENTRY, {"entry_id": entry_id})
                    changed.append(send)
    except Exception:  # each goes the one-message way, which says what went wrong
        return sends
    return changed


def _plain_email(message: SendRow) -> bool:
    return (message.channel == "email" and message.status == MessageStatus.ready.value
            and bool(message.recipient))


def _one_by_one(session: Session, send: Send, failures: dict[int, Exception]) -> None:
    try:
        with turn(session):
            pipeline.deliver(session, message_id=send.message_id, attempt=send.attempt)
    except Exception as exc:  # as the worker would record it for a job of its own
        failures[send.job_id] = exc


def _after_failure(session: Session, send: Send, exc: Exception,
                   failures: dict[int, Exception]) -> None:
    if not isinstance(exc, ChannelError):  # a bug, not the network: we cannot say what left
        exc = ChannelError(f"unexpected error: {exc!r}", transient=True, maybe_sent=True)
    try:
        with turn(session):
            pipeline.after_failure(session, send.message_id, exc,
                                   send.attempt >= pipeline.SEND_MAX_ATTEMPTS)
    except RetryLater as retry:
        failures[send.job_id] = retry


_SENDING = (
    update(_MESSAGES)
    .where(_MESSAGES.c.id == bindparam("message_id"),
           _MESSAGES.c.status == MessageStatus.ready.value)
    .values(status=MessageStatus.sending.value, sending_at=bindparam("now"),
            send_attempts=_MESSAGES.c.send_attempts + 1, transport="email",
            message_id_header=bindparam("header"), updated_at=bindparam("now"))
)

# The previous message's `sent` and the next one's `sending` in one statement: one
# round trip fewer per message on PostgreSQL. Each row gets exactly what MARK_SENT and
# _SENDING would give it, under the same conditions.
_C = _MESSAGES.c
_IS_NEXT = _C.id == bindparam("message_id")
_SENT_OR_READY = or_(*(_C.status == s.value for s in (
    MessageStatus.sending, MessageStatus.ready, MessageStatus.failed)))
_SENT_AND_SENDING = (
    update(_MESSAGES)
    .where(or_(_IS_NEXT & (_C.status == MessageStatus.ready.value),
               (_C.id == bindparam("sent_id")) & _SENT_OR_READY))
    .values(status=case((_IS_NEXT, MessageStatus.sending.value),
                        else_=MessageStatus.sent.value),
            sending_at=case((_IS_NEXT, bindparam("now")), else_=_C.sending_at),
            send_attempts=case((_IS_NEXT, _C.send_attempts + 1), else_=_C.send_attempts),
            transport=case((_IS_NEXT, "email"), else_=bindparam("transport")),
            message_id_header=case((_IS_NEXT, bindparam("header")),
                                   else_=_C.message_id_header),
            sent_at=case((_IS_NEXT, _C.sent_at), else_=bindparam("now")),
            provider_message_id=case((_IS_NEXT, _C.provider_message_id),
                                     else_=bindparam("provider_id")),
            status_reason=case((_IS_NEXT, _C.status_reason), else_=null()),
            finished_at=case((_IS_NEXT, _C.finished_at), else_=null()),
            updated_at=bindparam("now"))
    .returning(_C.id)
)


class _Marks:
    """Commits `sending` before each network call, with the previous message's `sent`,
    on one connection kept for the batch."""

    def __init__(self, engine: Engine,
                 turn: Callable[[], AbstractContextManager[object]]) -> None:
        self.engine, self.turn = engine, turn
        self.conn: Connection | None = None
        self.pending: tuple[int, Receipt] | None = None

    def sending(self, message_id: int, message_id_header: str | None) -> bool:
        conn = self._connection()
        values = {"message_id": message_id, "now": utcnow(), "header": message_id_header}
        with self.turn(), self._transaction(conn):
            if self.pending is None:
                return conn.execute(_SENDING, values).rowcount == 1
            sent_id, receipt = self.pending
            marked = conn.execute(_SENT_AND_SENDING, {
                **values, "sent_id": sent_id, "transport": receipt.transport,
                "provider_id": receipt.provider_id}).scalars().all()
            self.pending = None
        return message_id in marked

    def sent_later(self, message_id: int, receipt: Receipt) -> None:
        self.pending = (message_id, receipt)

    def flush(self) -> None:
        if self.pending is not None:
            conn = self._connection()
            with self.turn(), self._transaction(conn):
                self._write_sent(conn)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def _connection(self) -> Connection:
        if self.conn is None:
            self.conn = self.engine.connect()
            if self.engine.dialect.name == "postgresql":
                # Each mark is one statement, so it is its own transaction: without
                # BEGIN and COMMIT a mark is one round trip to the server, not three.
                self.conn = self.conn.execution_options(isolation_level="AUTOCOMMIT")
        return self.conn

    def _transaction(self, conn: Connection) -> AbstractContextManager[object]:
        """SQLite's marks take the process's turn in a transaction of their own."""
        return nullcontext() if conn.dialect.name == "postgresql" else conn.begin()

    def _write_sent(self, conn: Connection) -> None:
        if self.pending is None:
            return
        message_id, receipt = self.pending
        conn.execute(pipeline.MARK_SENT, pipeline.mark_sent_values(message_id, receipt))
        self.pending = None
