"""Return lines as customers' texts for the text models (Module.texts): the reason the
shopper picked, in words, and their comment ("Too small. The sleeves end at my
elbows."). No stars: a return carries no rating."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from afterward.customer_texts import CustomerText
from afterward.returns.models import Return, ReturnLine

BATCH = 2000
# The reasons (returns/policy.py REASONS) as a shopper would say them, in English: the
# text models read words, and a store's own reasons (any name) read as themselves.
REASON_WORDS = {
    "too_small": "Too small", "too_large": "Too large",
    "not_as_described": "Not as described", "damaged": "Arrived damaged",
    "defective": "Defective, does not work", "wrong_item": "Wrong item sent",
    "changed_mind": "Changed my mind", "arrived_late": "Arrived late", "other": "",
}


def line_text(reason: str, comment: str | None) -> str:
    said = REASON_WORDS.get(reason, reason.replace("_", " ").capitalize())
    comment = " ".join((comment or "").split())
    if said and comment:
        return f"{said}. {comment}"
    return comment or said


def read(session: Session, *, store_id: int, since: datetime | None) -> Iterator[CustomerText]:
    query = (select(ReturnLine.id, ReturnLine.reason, ReturnLine.comment, ReturnLine.sku,
                    Return.created_at, Return.customer_id)
             .join(Return, Return.id == ReturnLine.return_id)
             .where(ReturnLine.store_id == store_id, Return.store_id == store_id)
             .order_by(Return.created_at, ReturnLine.id)
             .execution_options(yield_per=BATCH))
    if since is not None:
        query = query.where(Return.created_at >= since)
    for line_id, reason, comment, sku, at, customer_id in session.execute(query):
        text = line_text(reason, comment)
        if text:
            yield CustomerText(source="return", ref=line_id, text=text, at=at, sku=sku,
                               customer_id=customer_id)
