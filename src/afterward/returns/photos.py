"""Shoppers' photos of return lines, in the database (`return_photos`), cleaned by
photo_files.py first. The portal uploads them before the return exists: each waits,
named by a random 256-bit token, and the confirmed return takes the ones its form
names (of its own order and lines only). The API adds them to an existing return.
A rule may require a photo of a line (policy `then.require_photo`): the return waits
in review ("photo required") until each such line has one."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, defer

from afterward.commerce.models import Order
from afterward.returns.errors import ReturnError
from afterward.returns.models import Return, ReturnLine, ReturnPhoto
from afterward.returns.photo_files import MAX_PER_LINE, CleanPhoto
from afterward.storage.types import utcnow

PHOTO_REVIEW = "photo required"
PENDING_FOR = timedelta(days=1)  # an upload no return took is deleted after this


def upload(session: Session, *, order: Order, order_line_id: int, photo: CleanPhoto,
           now: datetime | None = None) -> ReturnPhoto:
    """A photo waiting for a return of this order line; its token names it."""
    now = now or utcnow()
    session.execute(delete(ReturnPhoto).where(
        ReturnPhoto.store_id == order.store_id, ReturnPhoto.return_id.is_(None),
        ReturnPhoto.created_at < now - PENDING_FOR))
    row = ReturnPhoto(store_id=order.store_id, order_id=order.id, order_line_id=order_line_id,
                      token=secrets.token_urlsafe(32), content_type=photo.content_type,
                      data=photo.data, byte_size=len(photo.data), width=photo.width,
                      height=photo.height, sha256=photo.sha256, created_at=now)
    session.add(row)
    session.flush()
    return row


def waiting(session: Session, *, order: Order, tokens: Sequence[str]) -> list[ReturnPhoto]:
    """The uploads of this order still waiting for a return, among these tokens."""
    if not tokens:
        return []
    return list(session.scalars(select(ReturnPhoto).options(defer(ReturnPhoto.data)).where(
        ReturnPhoto.store_id == order.store_id, ReturnPhoto.order_id == order.id,
        ReturnPhoto.return_id.is_(None), ReturnPhoto.token.in_(list(tokens)))))


def attach(session: Session, *, rma: Return, order: Order,
           tokens: Mapping[int, Sequence[str]]) -> None:
    """Give the return the uploads named per order line id; a token that is not a
    waiting upload of that line of this order is refused (`invalid`)."""
    lines = {line.order_line_id: line for line in rma.lines}
    for order_line_id, named in tokens.items():
        if not named:
            continue
        line = lines.get(order_line_id)
        found = waiting(session, order=order, tokens=named)
        if (line is None or len(set(named)) != len(named) or len(found) != len(named)
                or any(p.order_line_id != order_line_id for p in found)):
            raise ReturnError("invalid", "a photo that is not an upload of this line",
                              "photos")
        if len(found) > MAX_PER_LINE:
            raise ReturnError("too_many_photos", f"at most {MAX_PER_LINE} photos per item",
                              "photos")
        for photo in found:
            photo.return_id, photo.return_line_id = rma.id, line.id
    session.flush()


def counts(session: Session, *, return_id: int) -> dict[int, int]:
    """Photos per return line id."""
    rows = session.execute(select(ReturnPhoto.return_line_id, func.count())
                           .where(ReturnPhoto.return_id == return_id)
                           .group_by(ReturnPhoto.return_line_id)).tuples().all()
    return {line_id: n for line_id, n in rows if line_id is not None}


def missing(session: Session, rma: Return) -> list[ReturnLine]:
    """The lines a rule asked a photo of that have none."""
    if not any(line.photo_required for line in rma.lines):
        return []
    have = counts(session, return_id=rma.id)
    return [line for line in rma.lines if line.photo_required and not have.get(line.id)]


def add(session: Session, *, rma: Return, sku: str, photo: CleanPhoto,
        now: datetime | None = None) -> ReturnPhoto:
    """A photo of a line of a return not yet received (at most MAX_PER_LINE a line).
    When it was the last photo the policy asked for, "photo required" leaves the
    review reasons; nothing else left to review, the return is approved (by the
    caller: see service.add_photo)."""
    now = now or utcnow()
    if rma.status not in ("requested", "approved"):
        raise ReturnError("invalid_status", f"return {rma.number} is {rma.status}: photos "
                          "are added before it is received", "status", 409)
    line = next((ln for ln in rma.lines if ln.sku == sku), None)
    if line is None:
        raise ReturnError("unknown_line", f"{sku} is not in return {rma.number}", "sku")
    if counts(session, return_id=rma.id).get(line.id, 0) >= MAX_PER_LINE:
        raise ReturnError("too_many_photos", f"at most {MAX_PER_LINE} photos per item", "file")
    row = ReturnPhoto(store_id=rma.store_id, order_id=rma.order_id,
                      order_line_id=line.order_line_id, return_id=rma.id,
                      return_line_id=line.id, token=secrets.token_urlsafe(32),
                      content_type=photo.content_type, data=photo.data,
                      byte_size=len(photo.data), width=photo.width, height=photo.height,
                      sha256=photo.sha256, created_at=now)
    session.add(row)
    session.flush()
    if PHOTO_REVIEW in rma.review_reasons and not missing(session, rma):
        rma.review_reasons = [r for r in rma.review_reasons if r != PHOTO_REVIEW]
        rma.updated_at = now
        session.flush()
    return row


def of_return(session: Session, *, store_id: int, return_id: int) -> list[ReturnPhoto]:
    """A return's photos, without their bytes, in upload order."""
    return list(session.scalars(select(ReturnPhoto).options(defer(ReturnPhoto.data)).where(
        ReturnPhoto.store_id == store_id, ReturnPhoto.return_id == return_id)
        .order_by(ReturnPhoto.id)))


def get(session: Session, *, store_id: int, return_id: int, photo_id: int
        ) -> ReturnPhoto | None:
    return session.scalar(select(ReturnPhoto).where(
        ReturnPhoto.store_id == store_id, ReturnPhoto.return_id == return_id,
        ReturnPhoto.id == photo_id))
