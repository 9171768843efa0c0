"""Returns' part of a customer's export and erasure (afterward/privacy.py): their
returns with every line, and their store credit with its ledger. Erasure removes the
shopper's own words (line comments) and the reasons written about them, and gives each
return a new label token, so label links in old emails stop working (and forgets the
carrier label's link: the label shows the address); the returns, their amounts and the
credit balance stay (money the store still owes or was paid). The shopper's photos are
listed in the export (ids, sizes, not the bytes) and deleted on erasure. A gift's
recipient sees the returns made for them; erasing them removes their name and email
from those returns."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from afterward.commerce.privacy import plain
from afterward.privacy import changed, section
from afterward.returns.models import CreditAccount, CreditEntry, Return, ReturnLine, ReturnPhoto
from afterward.storage.types import utcnow

_RETURN_FIELDS = ("number", "order_id", "status", "resolution", "currency", "value_minor",
                  "refund_minor", "credit_minor", "fee_minor", "bonus_minor",
                  "exchange_for_sku", "reject_reason", "created_at", "resolved_at")
_LINE_FIELDS = ("sku", "title", "quantity", "reason", "comment", "received_quantity",
                "condition")
_PHOTO_FIELDS = ("id", "content_type", "width", "height", "byte_size", "sha256", "created_at")
_GIFT_FIELDS = ("number", "status", "resolution", "currency", "credit_minor",
                "gift_recipient_email", "gift_recipient_name", "created_at")
_ENTRY_FIELDS = ("amount_minor", "kind", "return_id", "note", "created_at")


def _returns(session: Session, store_id: int, customer_id: int) -> list[Return]:
    return list(session.scalars(select(Return).where(
        Return.store_id == store_id, Return.customer_id == customer_id).order_by(Return.id)))


def _credit(session: Session, store_id: int, customer_id: int) -> dict[str, Any] | None:
    account = session.scalar(select(CreditAccount).where(
        CreditAccount.store_id == store_id, CreditAccount.customer_id == customer_id))
    if account is None:
        return None
    entries = session.scalars(select(CreditEntry).where(
        CreditEntry.account_id == account.id).order_by(CreditEntry.id))
    return {"balance_minor": account.balance_minor, "currency": account.currency,
            "entries": [{name: plain(getattr(e, name)) for name in _ENTRY_FIELDS}
                        for e in entries]}


def _photos(session: Session, return_id: int) -> list[dict[str, Any]]:
    rows = session.execute(select(*[getattr(ReturnPhoto, n) for n in _PHOTO_FIELDS]).where(
        ReturnPhoto.return_id == return_id).order_by(ReturnPhoto.id))
    return [{name: plain(value) for name, value in zip(_PHOTO_FIELDS, row, strict=True)}
            for row in rows]


def _gifts(session: Session, store_id: int, customer_id: int) -> list[Return]:
    return list(session.scalars(select(Return).where(
        Return.store_id == store_id, Return.gift_customer_id == customer_id)
        .order_by(Return.id)))


@section("returns")
class ReturnsSection:
    @staticmethod
    def export(session: Session, store_id: int, customer_id: int) -> dict[str, Any]:
        return {
            "returns": [{**{name: plain(getattr(r, name)) for name in _RETURN_FIELDS},
                         "lines": [{name: plain(getattr(ln, name)) for name in _LINE_FIELDS}
                                   for ln in r.lines],
                         "photos": _photos(session, r.id)}
                        for r in _returns(session, store_id, customer_id)],
            "gifts_returned_to_me": [{name: plain(getattr(r, name)) for name in _GIFT_FIELDS}
                                     for r in _gifts(session, store_id, customer_id)],
            "store_credit": _credit(session, store_id, customer_id),
        }

    @staticmethod
    def erase(session: Session, store_id: int, customer_id: int) -> dict[str, int]:
        now = utcnow()
        gifts = changed(session.execute(update(Return).where(
            Return.store_id == store_id, Return.gift_customer_id == customer_id).values(
            gift_recipient_email=None, gift_recipient_name=None, updated_at=now)))
        ids = [r.id for r in _returns(session, store_id, customer_id)]
        extra = {"gift_returns": gifts} if gifts else {}
        if not ids:
            return {"returns": 0, "return_lines": 0, **extra}
        for return_id in ids:  # one token each
            session.execute(update(Return).where(Return.id == return_id).values(
                reject_reason=None, label_token=secrets.token_urlsafe(32),
                carrier_label_url=None, updated_at=now))
        lines = changed(session.execute(update(ReturnLine).where(
            ReturnLine.store_id == store_id, ReturnLine.return_id.in_(ids))
            .values(comment=None)))
        pictures = changed(session.execute(delete(ReturnPhoto).where(
            ReturnPhoto.store_id == store_id, ReturnPhoto.return_id.in_(ids))))
        if pictures:
            extra["return_photos"] = pictures
        return {"returns": len(ids), "return_lines": lines, **extra}
