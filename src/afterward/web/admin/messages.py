"""Messages in the admin: the log with filters, one message (rendered preview,
status history, suppressions, engagement), the outbox, the store's templates with
their versions, a preview with sample data and "send test". One store at a time.

Rendered email is shown in a sandboxed iframe (`srcdoc`, no scripts, no forms, no
same-origin); the open pixel is taken out and the page forbids the frame to
navigate anywhere (frame-src 'none'), so looking at a message never counts as an
open or a click."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from starlette.responses import Response

from afterward.commerce.models import Customer, Order, Store
from afterward.commerce.validation import InvalidValue
from afterward.config import Settings
from afterward.messaging import service, template_registry, templates
from afterward.messaging.context import sample_context
from afterward.messaging.facts import address_key
from afterward.messaging.models import (
    CHANNELS,
    Message,
    MessageStatus,
    MessageTemplate,
    OutboxEntry,
    Suppression,
)
from afterward.storage.db import Database
from afterward.web.admin.context import Admin, current_store, store_admin, store_csrf_checked
from afterward.web.admin.pages import SECURITY_HEADERS, AdminRoute, PageError, redirect, render

router = APIRouter(prefix="/admin", route_class=AdminRoute, include_in_schema=False)

PAGE_SIZE = 50
Id = Annotated[int, Path(ge=1, le=2**62)]
Short = Annotated[str, Query(max_length=64)]
STATUSES = tuple(s.value for s in MessageStatus)
TEMPLATE_CHANNELS = templates.TEMPLATE_CHANNELS
# A preview may show the merchant's styles; it never loads our tracking links.
PREVIEW_HEADERS = {
    **SECURITY_HEADERS,
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: https:; "
                               "style-src 'self' 'unsafe-inline'; frame-src 'none'; "
                               "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
}
_PIXEL = re.compile(r'<img\b[^>]*\bsrc="[^"]*/m/o/[^"]*"[^>]*>', re.IGNORECASE)


def without_pixel(html: str | None) -> str | None:
    return _PIXEL.sub("", html) if html else html


def _preview(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = PREVIEW_HEADERS["Content-Security-Policy"]
    return response


@dataclass(frozen=True)
class Filters:
    status: str = ""
    channel: str = ""
    category: str = ""
    email: str = ""

    def url(self, **changes: Any) -> str:
        values = {**self.__dict__, **changes}
        query = urlencode({k: v for k, v in values.items() if v})
        return "/admin/messages" + (f"?{query}" if query else "")


def filtered(session: Session, *, store_id: int, filters: Filters, before: int | None,
             limit: int = PAGE_SIZE) -> list[Message]:
    stmt = select(Message).where(Message.store_id == store_id)
    if filters.status:
        stmt = stmt.where(Message.status == filters.status)
    if filters.channel:
        stmt = stmt.where(Message.channel == filters.channel)
    if filters.category:
        stmt = stmt.where(Message.category == filters.category)
    if filters.email:
        email = filters.email.strip().lower()
        customers = select(Customer.id).where(Customer.store_id == store_id,
                                              func.lower(Customer.email) == email)
        stmt = stmt.where(or_(Message.customer_id.in_(customers),
                              func.lower(Message.recipient) == email))
    if before is not None:
        stmt = stmt.where(Message.id < before)
    return list(session.scalars(stmt.order_by(Message.id.desc()).limit(limit)))


@router.get("/messages")
def message_list(request: Request, admin: Admin = Depends(store_admin), status: Short = "",
                 channel: Short = "", category: Short = "",
                 email: Annotated[str, Query(max_length=320)] = "",
                 before: Annotated[int | None, Query(ge=1, le=2**62)] = None) -> Response:
    store = current_store(admin)
    if (status and status not in STATUSES) or (channel and channel not in CHANNELS):
        raise PageError(400, "bad_request")
    filters = Filters(status, channel, category.strip(), email.strip())
    db: Database = request.app.state.db
    with db.reading() as s:
        rows = filtered(s, store_id=store.id, filters=filters, before=before)
        categories = list(s.scalars(select(Message.category).where(
            Message.store_id == store.id).distinct().order_by(Message.category).limit(200)))
        return render(request, "admin/messages.html", {
            "admin": admin, "store": store, "messages": rows, "filters": filters,
            "statuses": STATUSES, "channels": CHANNELS, "categories": categories,
            "next_before": rows[-1].id if len(rows) == PAGE_SIZE else None,
            "section": "messages"})


def history(message: Message) -> list[tuple[str, datetime]]:
    """What happened when, from the message's own timestamps, oldest first."""
    final = message.status if message.status in ("failed", "suppressed") else "finished"
    stamps = [("queued", message.created_at), ("approved", message.approved_at),
              ("sending", message.sending_at), ("sent", message.sent_at),
              ("delivered", message.delivered_at), ("opened", message.opened_at),
              ("clicked", message.clicked_at), ("bounced", message.bounced_at),
              (final, message.finished_at)]
    return sorted(((name, at) for name, at in stamps if at is not None), key=lambda p: p[1])


@router.get("/messages/outbox")
def outbox(request: Request, admin: Admin = Depends(store_admin),
           before: Annotated[int | None, Query(ge=1, le=2**62)] = None) -> Response:
    store = current_store(admin)
    db: Database = request.app.state.db
    with db.reading() as s:
        stmt = select(OutboxEntry).where(OutboxEntry.store_id == store.id)
        if before is not None:
            stmt = stmt.where(OutboxEntry.id < before)
        rows = list(s.scalars(stmt.order_by(OutboxEntry.id.desc()).limit(PAGE_SIZE)))
        return render(request, "admin/messages_outbox.html", {
            "admin": admin, "store": store, "entries": rows,
            "next_before": rows[-1].id if len(rows) == PAGE_SIZE else None,
            "section": "messages"})


@router.get("/messages/outbox/{entry_id}")
def outbox_entry(request: Request, entry_id: Id, admin: Admin = Depends(store_admin)) -> Response:
    store = current_store(admin)
    db: Database = request.app.state.db
    with db.reading() as s:
        entry = s.scalar(select(OutboxEntry).where(OutboxEntry.store_id == store.id,
                                                   OutboxEntry.id == entry_id))
        if entry is None:
            raise PageError(404, "not_found")
        return _preview(render(request, "admin/messages_outbox_entry.html", {
            "admin": admin, "store": store, "entry": entry,
            "html": without_pixel(entry.body_html), "section": "messages"}))


@dataclass(frozen=True)
class TemplateRow:
    key: str
    channel: str
    locale: str
    latest: int | None  # None: only the built-in
    versions: int


def template_rows(session: Session, store_id: int) -> list[TemplateRow]:
    found: dict[tuple[str, str, str], tuple[int | None, int]] = {
        (k, c, loc): (v, n) for k, c, loc, v, n in session.execute(
        select(MessageTemplate.key, MessageTemplate.channel, MessageTemplate.locale,
               func.max(MessageTemplate.version), func.count())
        .where(MessageTemplate.store_id == store_id)
        .group_by(MessageTemplate.key, MessageTemplate.channel, MessageTemplate.locale))}
    for key in template_registry.registered_keys():
        for channel in TEMPLATE_CHANNELS:
            for locale in template_registry.LOCALES:
                found.setdefault((key, channel, locale), (None, 0))
    return [TemplateRow(k, c, loc, v, n) for (k, c, loc), (v, n) in sorted(found.items())]


@router.get("/messages/templates")
def template_list(request: Request, admin: Admin = Depends(store_admin)) -> Response:
    store = current_store(admin)
    db: Database = request.app.state.db
    with db.reading() as s:
        return render(request, "admin/messages_templates.html", {
            "admin": admin, "store": store, "rows": template_rows(s, store.id),
            "section": "messages"})


def _source(session: Session, store_id: int, key: str, channel: str, locale: str,
            version: int | None) -> tuple[templates.TemplateSource | None, list[MessageTemplate]]:
    versions = templates.versions(session, store_id=store_id, key=key, channel=channel,
                                  locale=locale)
    chosen = next((v for v in versions if v.version == version), None) if version else (
        versions[0] if versions else None)
    if chosen is not None:
        return templates.TemplateSource(chosen.subject, chosen.body, chosen.text_body), versions
    if version:
        return None, versions
    builtin = template_registry.source(key, channel, locale)
    return (templates.TemplateSource(*builtin) if builtin else None), versions


Key = Annotated[str, Query(max_length=64, pattern=r"^[A-Za-z0-9_-]*$")]
Locale = Annotated[str, Query(max_length=16, pattern=r"^[A-Za-z_-]*$")]


def _preview_page(request: Request, admin: Admin, *, key: str, channel: str, locale: str,
                  version: int | None, recipient: str = "", problem: str | None = None,
                  status: int = 200) -> Response:
    store = current_store(admin)
    settings: Settings = request.app.state.settings
    channel = channel if channel in TEMPLATE_CHANNELS else "email"
    locale = (locale or store.locale or "en").replace("-", "_")
    db: Database = request.app.state.db
    rendered, error = None, None
    with db.reading() as s:
        source, versions = _source(s, store.id, key, channel, locale, version) if key else (
            None, [])
        if key and source is None:
            error = "No such template or version."
        elif source is not None:
            row = s.get(Store, store.id)
            assert row is not None
            try:
                rendered = templates.validate(channel, source, sample_context(
                    row, locale=locale, public_url=settings.public_url))
            except InvalidValue as exc:
                error = exc.message
        return _preview(render(request, "admin/messages_preview.html", {
            "admin": admin, "store": store, "key": key, "channel": channel, "locale": locale,
            "version": version, "versions": versions, "rendered": rendered, "error": error,
            "html": without_pixel(rendered.html) if rendered else None,
            "keys": sorted({r.key for r in template_rows(s, store.id)}),
            "channels": TEMPLATE_CHANNELS, "locales": template_registry.LOCALES,
            "recipient": recipient, "problem": problem, "section": "messages"},
            status=status))


@router.get("/messages/preview")
def preview(request: Request, admin: Admin = Depends(store_admin), key: Key = "",
            channel: Short = "email", locale: Locale = "",
            version: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None) -> Response:
    return _preview_page(request, admin, key=key, channel=channel, locale=locale,
                         version=version)


@router.post("/messages/send-test")
def send_test(request: Request, admin: Admin = Depends(store_csrf_checked),
              key: Annotated[str, Form(max_length=64, pattern=r"^[A-Za-z0-9_-]+$")] = "x",
              channel: Annotated[str, Form(pattern=r"^(email|sms)$")] = "email",
              locale: Annotated[str, Form(max_length=16, pattern=r"^[A-Za-z_-]*$")] = "",
              recipient: Annotated[str, Form(max_length=320)] = "") -> Response:
    """Queue a transactional message of this template to the typed address, with the
    store's latest order as its data when there is one, category "test"."""
    store = current_store(admin)
    db: Database = request.app.state.db
    try:
        if not recipient.strip():  # never the order's own customer
            raise InvalidValue("recipient", "type the address to send the test to")
        with db.transaction() as s:
            latest = s.scalar(select(Order.id).where(Order.store_id == store.id)
                              .order_by(Order.id.desc()).limit(1))
            message = service.queue_message(
                s, store_id=store.id, channel=channel, purpose="transactional",
                category="test", idempotency_key=f"test:{secrets.token_urlsafe(16)}",
                template_key=key, recipient=recipient.strip(),
                refs={"order_id": latest} if latest else {}, locale=locale or None)
            message_id = message.id
    except InvalidValue as exc:
        return _preview_page(request, admin, key=key, channel=channel, locale=locale,
                             version=None, recipient=recipient, problem=exc.message,
                             status=422)
    return redirect(f"/admin/messages/{message_id}?test=1")


@router.get("/messages/{message_id}")
def message_detail(request: Request, message_id: Id, admin: Admin = Depends(store_admin),
                   test: Annotated[int, Query(ge=0, le=1)] = 0) -> Response:
    store = current_store(admin)
    db: Database = request.app.state.db
    with db.reading() as s:
        message = service.get_message(s, store_id=store.id, message_id=message_id)
        if message is None:
            raise PageError(404, "not_found")
        suppressions: list[Suppression] = []
        if message.recipient and message.channel in ("email", "sms"):
            suppressions = list(s.scalars(select(Suppression).where(
                Suppression.store_id == store.id, Suppression.channel == message.channel,
                Suppression.address == address_key(message.channel, message.recipient))
                .order_by(Suppression.id)))
        customer = s.get(Customer, message.customer_id) if message.customer_id else None
        outboxed = s.scalar(select(OutboxEntry.id).where(
            OutboxEntry.store_id == store.id, OutboxEntry.message_id == message.id).limit(1))
        return _preview(render(request, "admin/message.html", {
            "admin": admin, "store": store, "message": message, "history": history(message),
            "suppressions": suppressions, "customer": customer, "outbox_id": outboxed,
            "html": without_pixel(message.body_html), "queued_test": bool(test),
            "section": "messages"}))
