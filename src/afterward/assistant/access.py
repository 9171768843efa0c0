"""Who may see what: a conversation sees the order of the tracking page's parcel it was
opened from, or one order found by two facts (its number and the email address or
shipping postal code it was placed with). A miss costs the same work and gets the same
answer whichever fact was wrong, so it never tells whether another order exists.
Counting the attempts (throttle.py) is the caller's: it runs in a transaction of its own."""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from afterward.assistant import entities
from afterward.commerce.models import Order, Store

MAX_FIELD = 320


@dataclass(frozen=True)
class Facts:
    number: str
    email: str = ""
    postal_code: str = ""


def facts_of(text: str, *, order_number: str | None = None, email: str | None = None,
             postal_code: str | None = None) -> Facts | None:
    """Two facts given as fields, or written in the message; None unless both are there."""
    number = (order_number or "").strip()[:MAX_FIELD]
    mail = (email or "").strip()[:MAX_FIELD]
    postal = (postal_code or "").strip()[:MAX_FIELD]
    if not number or not (mail or postal):
        found = entities.extract(text[:4000]) if text else None
        if found is not None:
            number = number or (found.order_numbers[0] if found.order_numbers else "")
            mail = mail or (found.emails[0] if found.emails else "")
            postal = postal or (found.postal_codes[0] if found.postal_codes else "")
    if mail and not number and text:
        number = _bare_number(text[:4000], mail)
    if mail and "@" not in mail and not postal:
        mail, postal = "", mail  # one field takes either fact
    if not number or not (mail or postal):
        return None
    return Facts(number, mail, postal)


_BARE = re.compile(r"#?[A-Za-z0-9][A-Za-z0-9-]{2,31}")


def _bare_number(text: str, email: str) -> str:
    """An order number written without a word for it, beside the email address
    ("1001 ada@example.com", the answer to "your order number and email?"): the one
    word with a digit in it besides the address; none if there are several."""
    found = {word.lstrip("#") for word in (w.strip(",;:.!?()[]'\"") for w in
                                           text.replace(email, " ").split())
             if _BARE.fullmatch(word) and any(c.isdigit() for c in word)}
    return found.pop() if len(found) == 1 else ""


def _spellings(number: str) -> list[str]:
    bare = number.strip().lstrip("#").strip()
    return [bare, f"#{bare}"] if bare else [""]


def normalize_postal_code(value: str) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", value).upper()


def _same(given: str, known: str | None) -> bool:
    return hmac.compare_digest(given.encode(), (known or "\x00").encode())


def find_order(session: Session, store: Store, facts: Facts) -> Order | None:
    """The store's order with this number whose email (or postal code) matches."""
    rows = session.execute(select(Order.id, Order.email, Order.ship_postal_code).where(
        Order.store_id == store.id, Order.number.in_(_spellings(facts.number))))
    email = facts.email.strip().casefold()
    postal = normalize_postal_code(facts.postal_code)
    for order_id, order_email, order_postal in rows:
        if email:
            matched = _same(email, (order_email or "").casefold() or None)
        else:
            matched = bool(postal) and _same(postal,
                                             normalize_postal_code(order_postal or "") or None)
        if matched:
            return session.get(Order, order_id)
    return None
