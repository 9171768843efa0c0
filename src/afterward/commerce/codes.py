"""Single-use codes a shopper types at checkout: gift cards, discounts (an amount or a
percentage, optionally limited to product SKUs or categories), free shipping and a
free product, issued from store credit (returns/credit_codes.py), loyalty rewards
(loyalty/redemptions.py), journeys' personal offers (journeys/offers.py) or by hand.
A code may expire: from `expires_at` on it is refused (never marked used).

A code is 16 characters from an alphabet without look-alikes (no 0/O, 1/I/L, U):
about 78 random bits, unique per store by a constraint. Each code is pushed to the
store platform through the signed outbound webhooks (`code.issued`, with the
Shopify gift card or discount it stands for), and withdrawn the same way
(`code.cancelled`). It is used once: the first ingested order that names it marks it
`used` with that order, by a conditional UPDATE from `issued`; cancelling is the
same UPDATE to `cancelled`, so of a use and a cancel racing, exactly one wins. Every
function takes the caller's session and never commits."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from afterward import outbound
from afterward.commerce.code_models import KINDS, DiscountCode
from afterward.commerce.errors import CommerceError
from afterward.commerce.models import Customer
from afterward.commerce.validation import minor_units_exponent
from afterward.events import record
from afterward.storage import bulk
from afterward.storage.types import utcnow

ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
LENGTH = 16


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize(code: str) -> str:
    """As a shopper may type it: any case, with spaces or dashes."""
    return "".join(ch for ch in code.upper() if ch not in " -\t")


def by_code(session: Session, *, store_id: int, code: str,
            lock: bool = False) -> DiscountCode | None:
    query = select(DiscountCode).where(DiscountCode.store_id == store_id,
                                       DiscountCode.code == normalize(code)[:32])
    return session.scalar(query.with_for_update() if lock else query)


def by_key(session: Session, *, store_id: int, source: str, key: str) -> DiscountCode | None:
    return session.scalar(select(DiscountCode).where(
        DiscountCode.store_id == store_id, DiscountCode.source == source,
        DiscountCode.idempotency_key == key))


MAX_LIMITS = 100  # SKUs or categories a code may be limited to


def _limits(values: list[str] | tuple[str, ...] | None, what: str) -> list[str] | None:
    if values is None:
        return None
    cleaned = list(dict.fromkeys(v.strip() for v in values if v and v.strip()))
    if not cleaned or len(cleaned) > MAX_LIMITS or any(len(v) > 100 for v in cleaned):
        raise CommerceError("invalid", f"a code is limited to 1-{MAX_LIMITS} {what} of at "
                                       "most 100 characters", what)
    return cleaned


def issue(session: Session, *, store_id: int, kind: str, source: str,
          value_minor: int | None = None, percent: int | None = None,
          currency: str | None = None, customer_id: int | None = None,
          source_id: str | None = None, idempotency_key: str | None = None,
          expires_at: datetime | None = None, skus: list[str] | None = None,
          categories: list[str] | None = None, enrolment_id: int | None = None,
          now: datetime | None = None) -> DiscountCode:
    """A new code, its `code.issued` event and the webhook that pushes it to the store
    platform. The caller checks an idempotency key first (by_key) under its lock.

    gift_card and discount: an amount or a percentage (a discount may be limited to
    `skus` or `categories`); free_shipping: neither; free_product: neither, and the
    product's SKU as the one entry of `skus`."""
    now = now or utcnow()
    skus, categories = _limits(skus, "skus"), _limits(categories, "categories")
    if kind not in KINDS:
        raise CommerceError("invalid", f"a code's kind is one of {', '.join(KINDS)}", "kind")
    if kind in ("gift_card", "discount") and (value_minor is None) == (percent is None):
        raise CommerceError("invalid", "a code is worth an amount or a percentage")
    if kind in ("free_shipping", "free_product") and (value_minor, percent) != (None, None):
        raise CommerceError("invalid", f"a {kind} code is worth no amount or percentage")
    if kind == "free_product" and (skus is None or len(skus) != 1 or categories):
        raise CommerceError("invalid", "a free_product code names one product SKU", "skus")
    if kind in ("gift_card", "free_shipping") and (skus or categories):
        raise CommerceError("invalid", f"a {kind} code cannot be limited to products",
                            "skus")
    if expires_at is not None and (expires_at.utcoffset() is None or expires_at <= now):
        raise CommerceError("invalid", "a code expires at an aware time in the future",
                            "expires_at")
    # A clash of 78 random bits (practically never) or a key another transaction took
    # meanwhile breaks a unique key: the caller's unit of work runs again (Database.run).
    row = bulk.add_row(
        session, DiscountCode, store_id=store_id, code=new_code(), kind=kind,
        value_minor=value_minor, percent=percent, currency=currency, source=source,
        source_id=source_id, idempotency_key=idempotency_key, customer_id=customer_id,
        status="issued", expires_at=expires_at, skus=skus, categories=categories,
        enrolment_id=enrolment_id, created_at=now, updated_at=now)
    _tell(session, row, "code.issued", now)
    return row


def expired(code: DiscountCode, at: datetime) -> bool:
    return code.expires_at is not None and code.expires_at <= at


def usable(code: DiscountCode, at: datetime) -> bool:
    """Whether a shopper may use the code at `at`: issued and not expired."""
    return code.status == "issued" and not expired(code, at)


def mark_used(session: Session, *, store_id: int, code: str, order_id: int,
              now: datetime | None = None, placed_at: datetime | None = None) -> bool:
    """The first order that uses an issued code takes it; False for a code unknown,
    used (by this or another order), cancelled or expired when the order was placed
    (`placed_at`, default now: a late import of an order placed in time still counts)."""
    now = now or utcnow()
    found = by_code(session, store_id=store_id, code=code)
    if found is None or expired(found, placed_at or now):
        return False
    moved = session.execute(update(DiscountCode).where(
        DiscountCode.id == found.id, DiscountCode.status == "issued")
        .values(status="used", used_order_id=order_id, used_at=now, updated_at=now)
        .execution_options(synchronize_session=False))
    if getattr(moved, "rowcount", 0) != 1:
        return False
    session.refresh(found)
    record(session, store_id=store_id, name="code.used", subject_type="discount_code",
           subject_id=found.id, occurred_at=now,
           payload={"code_id": found.id, "order_id": order_id, "source": found.source,
                    "source_id": found.source_id, "enrolment_id": found.enrolment_id,
                    "customer_id": found.customer_id})
    return True


def cancel(session: Session, *, code: DiscountCode, now: datetime | None = None,
           reason: str | None = None) -> bool:
    """Withdraw an issued code (pushed to the platform as `code.cancelled`, with the
    `reason` when one is given, such as `expired`); False when it was used or
    cancelled already, and nothing changes."""
    now = now or utcnow()
    moved = session.execute(update(DiscountCode).where(
        DiscountCode.id == code.id, DiscountCode.status == "issued")
        .values(status="cancelled", cancelled_at=now, updated_at=now)
        .execution_options(synchronize_session=False))
    if getattr(moved, "rowcount", 0) != 1:
        return False
    session.refresh(code)
    _tell(session, code, "code.cancelled", now, reason=reason)
    return True


def lapsed(session: Session, *, store_id: int, sources: tuple[str, ...], before: datetime,
           limit: int = 500) -> list[int]:
    """Ids of issued codes from these sources that expired before `before`, oldest
    first."""
    return list(session.scalars(select(DiscountCode.id).where(
        DiscountCode.store_id == store_id, DiscountCode.source.in_(sources),
        DiscountCode.status == "issued", DiscountCode.expires_at.is_not(None),
        DiscountCode.expires_at <= before).order_by(DiscountCode.id).limit(limit)))


def used_in_order(session: Session, *, store_id: int, order_id: int,
                  codes: list[str], now: datetime | None = None,
                  placed_at: datetime | None = None) -> int:
    """An ingested order named these codes (Shopify's `discount_codes[].code`): each
    of ours it names is used by it, once. How many were marked now."""
    return sum(mark_used(session, store_id=store_id, code=code, order_id=order_id, now=now,
                         placed_at=placed_at)
               for code in dict.fromkeys(normalize(c) for c in codes if c))


def _tell(session: Session, code: DiscountCode, name: str, now: datetime,
          reason: str | None = None) -> None:
    why = {"reason": reason} if reason else {}
    record(session, store_id=code.store_id, name=name, subject_type="discount_code",
           subject_id=code.id, occurred_at=now,
           payload={"code_id": code.id, "kind": code.kind, "source": code.source,
                    "source_id": code.source_id, "enrolment_id": code.enrolment_id,
                    "customer_id": code.customer_id, "value_minor": code.value_minor,
                    "currency": code.currency, **why})
    if not outbound.listened(session, store_id=code.store_id, event_type=name):
        return  # the webhook's payload is not even made
    customer = session.get(Customer, code.customer_id) if code.customer_id else None
    event_id = f"{name.replace('.', '_')}_{code.id}"
    outbound.publish(session, store_id=code.store_id, event_type=name, event_id=event_id,
                     data={**payload(code, customer), **why},
                     dedupe_key=f"commerce.{event_id}")


def payload(code: DiscountCode, customer: Customer | None) -> dict[str, Any]:
    """What the store platform needs: ours, and under `shopify` a gift card (Admin
    API `POST /gift_cards.json` body) or a price rule with its discount code.

    Price rules by kind: an amount or a percentage off the line items (all of them,
    or `entitled`); free shipping is 100% off the shipping lines; a free product is
    100% off one unit of its SKU. Afterward holds SKUs and category names, not
    Shopify's product and collection ids, so a limited rule carries
    `target_selection: "entitled"` with `entitled_skus` / `entitled_categories` for the
    receiver to turn into `entitled_variant_ids` / `entitled_collection_ids` (by
    looking the SKUs up) before it posts the rule; Shopify refuses an entitled rule
    without ids, so nothing is pushed that would wrongly apply to the whole order."""
    expires_on = code.expires_at.date().isoformat() if code.expires_at else None
    ours: dict[str, Any] = {
        "code_id": code.id, "code": code.code, "kind": code.kind, "status": code.status,
        "value_minor": code.value_minor, "percent": code.percent, "currency": code.currency,
        "skus": code.skus, "categories": code.categories,
        "expires_at": code.expires_at.isoformat() if code.expires_at else None,
        "source": code.source, "source_id": code.source_id,
        "enrolment_id": code.enrolment_id, "customer_id": code.customer_id,
        "customer_external_id": customer.external_id if customer else None,
        "idempotency_key": f"afterward-code-{code.id}"}
    if code.kind == "gift_card" and code.value_minor is not None and code.currency:
        card: dict[str, Any] = {
            "code": code.code, "initial_value": major_units(code.value_minor, code.currency),
            "currency": code.currency, "expires_on": expires_on,
            "note": f"Afterward {code.source}"}
        if customer is not None and customer.external_id and customer.external_id.isdigit():
            card["customer_id"] = int(customer.external_id)
        ours["shopify"] = {"gift_card": card}
        return ours
    rule: dict[str, Any] = {
        "title": code.code, "target_type": "line_item", "target_selection": "all",
        "allocation_method": "across", "customer_selection": "all",
        "once_per_customer": True, "usage_limit": 1,
        "ends_at": code.expires_at.isoformat() if code.expires_at else None}
    if code.kind == "free_shipping":
        rule.update(target_type="shipping_line", value_type="percentage", value="-100.0",
                    allocation_method="each")
    elif code.kind == "free_product":
        rule.update(value_type="percentage", value="-100.0", allocation_method="each",
                    target_selection="entitled", allocation_limit=1,
                    entitled_skus=list(code.skus or []))
    else:
        rule.update(value_type="percentage" if code.percent is not None else "fixed_amount",
                    value=f"-{code.percent}" if code.percent is not None
                    else "-" + major_units(code.value_minor or 0, code.currency or ""))
        if code.skus or code.categories:
            rule.update(target_selection="entitled", entitled_skus=list(code.skus or []),
                        entitled_categories=list(code.categories or []))
    if customer is not None and customer.external_id and customer.external_id.isdigit():
        rule.update(customer_selection="prerequisite",
                    prerequisite_customer_ids=[int(customer.external_id)])
    ours["shopify"] = {"price_rule": rule, "discount_code": {"code": code.code}}
    return ours


def major_units(amount: int, currency: str) -> str:
    """1234 EUR -> '12.34'; 1200 JPY -> '1200'."""
    digits = minor_units_exponent(currency) if currency else 2
    if digits == 0:
        return str(amount)
    whole, part = divmod(amount, 10**digits)
    return f"{whole}.{part:0{digits}d}"


def for_enrolments(session: Session, *, store_id: int, enrolment_ids: list[int]
                   ) -> list[DiscountCode]:
    """The codes journeys issued to these enrolments (their personal offers)."""
    out: list[DiscountCode] = []
    for start in range(0, len(enrolment_ids), 500):
        out += session.scalars(select(DiscountCode).where(
            DiscountCode.store_id == store_id,
            DiscountCode.enrolment_id.in_(enrolment_ids[start:start + 500])))
    return out


def for_customer(session: Session, *, store_id: int, customer_id: int) -> list[DiscountCode]:
    return list(session.scalars(select(DiscountCode).where(
        DiscountCode.store_id == store_id, DiscountCode.customer_id == customer_id)
        .order_by(DiscountCode.id)))
