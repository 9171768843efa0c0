"""Referrals: every member has a referral code (their link is /r/<code>); a friend
who signs up through it (or whom an integrator registers) gets a single-use discount
code from the shared machinery (commerce/codes.py, source `referral`), and the member
gets the program's `referral.referrer_points` once the friend's first order can no
longer be returned — the moment its own points would be released (orders.py's
pending_until) — once (key `referral:<id>`), and nothing when that order was
refunded or cancelled entirely.

One referral per friend's mailbox in a store, whatever the spelling; fraud signals
(referral_checks.py) never refuse a referral, they send it to `review` for an
admin's decision, and hold back the friend's code and the member's points until
then. Events: `loyalty.referral_created`, `loyalty.referral_review`,
`loyalty.referral_qualified` (subject: the referrer), and `loyalty.referral_code_issued`
(subject: the friend, as a customer of the store: found by email or created at
sign-up in the page's language) when the friend's code is given, at once or on
approval, which the built-in journey `loyalty_referral_friend` emails to the friend.
Every function takes the caller's session and never commits."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from afterward.commerce import codes
from afterward.commerce.code_models import DiscountCode
from afterward.commerce.customers import find_customer, save_customer
from afterward.commerce.errors import CommerceError
from afterward.commerce.models import Customer, Order, Store
from afterward.commerce.schemas import CustomerIn
from afterward.events import record
from afterward.loyalty import earning, ledger
from afterward.loyalty import orders as order_points
from afterward.loyalty import referral_checks as checks
from afterward.loyalty.errors import LoyaltyError
from afterward.loyalty.models import LoyaltyAccount, LoyaltyReferral
from afterward.loyalty.program import Program
from afterward.storage import locks
from afterward.storage.types import utcnow
from afterward.tracking import service as tracking

SOURCE = "referral"
OPEN = ("pending", "review", "ordered")


def new_code() -> str:
    """128 random bits, URL-safe (22 characters)."""
    return secrets.token_urlsafe(16)


def link(public_url: str, code: str | None) -> str | None:
    """A member's referral link: the landing page for friends."""
    return f"{public_url.rstrip('/')}/r/{code}" if code else None


def code_for(session: Session, held: LoyaltyAccount) -> str:
    """The member's referral code, given the first time it is asked for (accounts
    open with one; older accounts got theirs in migration 0019)."""
    if held.referral_code is None:
        held.referral_code = new_code()
        session.flush()
    return held.referral_code


def member_by_code(session: Session, code: str) -> LoyaltyAccount | None:
    if not code or len(code) > 32:
        return None
    return session.scalar(select(LoyaltyAccount).where(LoyaltyAccount.referral_code == code))


def get(session: Session, *, store_id: int, referral_id: int,
        lock: bool = False) -> LoyaltyReferral | None:
    query = select(LoyaltyReferral).where(LoyaltyReferral.id == referral_id,
                                          LoyaltyReferral.store_id == store_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalar(query)


def listed(session: Session, *, store_id: int, status: str | None = None,
           referrer_customer_id: int | None = None, limit: int = 100
           ) -> list[LoyaltyReferral]:
    query = select(LoyaltyReferral).where(LoyaltyReferral.store_id == store_id)
    if status is not None:
        query = query.where(LoyaltyReferral.status == status)
    if referrer_customer_id is not None:
        query = query.where(LoyaltyReferral.referrer_customer_id == referrer_customer_id)
    return list(session.scalars(query.order_by(LoyaltyReferral.id.desc()).limit(limit)))


def friend_code(session: Session, referral: LoyaltyReferral) -> DiscountCode | None:
    return session.get(DiscountCode, referral.code_id) if referral.code_id else None


# --- a friend signs up ---------------------------------------------------------------

def refer(session: Session, *, store_id: int, program: Program, referrer_customer_id: int,
          friend_email: str, channel: str = "api", ip: str | None = None,
          user_agent: str | None = None, locale: str | None = None,
          now: datetime | None = None) -> tuple[LoyaltyReferral, bool]:
    """(the referral, whether it is new). The friend becomes a customer of the store
    (the one with that email, or a new one in `locale`, the page's language) so that
    their code can be emailed to them. The friend's mailbox referred before by the
    same member: that referral again; by another member: 409 `already_referred`.
    Referrals switched off: 422 `referrals_disabled`. Nothing is written on a
    refusal."""
    now = now or utcnow()
    referrer = session.scalar(select(Customer).where(Customer.id == referrer_customer_id,
                                                     Customer.store_id == store_id))
    if referrer is None:
        raise LoyaltyError("not_found", "no such customer in this store", "referrer",
                           status=404)
    if not program.referral.enabled:
        raise LoyaltyError("referrals_disabled", "the store's loyalty program has no "
                           "referrals", "referral")
    box = checks.mailbox(friend_email)
    locks.hold(session, "loyalty-referral", store_id, box)
    existing = session.scalar(select(LoyaltyReferral).where(
        LoyaltyReferral.store_id == store_id, LoyaltyReferral.friend_mailbox == box))
    if existing is not None:
        if existing.referrer_customer_id == referrer_customer_id:
            return existing, False
        raise LoyaltyError("already_referred", "this friend was referred by another "
                           "member", "friend_email", status=409)
    held = ledger.account(session, store_id=store_id, customer_id=referrer_customer_id)
    code_for(session, held)
    device = checks.device_hash(store_id, ip, user_agent)
    found = checks.at_signup(checks.SignupFacts(
        friend_email=friend_email, referrer_email=referrer.email,
        friend_has_ordered=_has_ordered(session, store_id, friend_email, box),
        device_seen=device is not None and session.scalar(select(LoyaltyReferral.id).where(
            LoyaltyReferral.store_id == store_id, LoyaltyReferral.device_hash == device,
            LoyaltyReferral.friend_mailbox != box).limit(1)) is not None,
        recent_by_referrer=int(session.scalar(select(func.count(LoyaltyReferral.id)).where(
            LoyaltyReferral.store_id == store_id,
            LoyaltyReferral.referrer_customer_id == referrer_customer_id,
            LoyaltyReferral.created_at > now - timedelta(
                hours=program.referral.review_window_hours))) or 0),
        review_after=program.referral.review_after))
    referral = LoyaltyReferral(
        store_id=store_id, referrer_customer_id=referrer_customer_id,
        friend_email=friend_email.strip(), friend_mailbox=box,
        friend_customer_id=_friend(session, store_id, friend_email.strip(), locale),
        status="review" if found else "pending", signals=found, cleared=[],
        channel=channel, device_hash=device, points=0, created_at=now, updated_at=now)
    session.add(referral)
    session.flush()  # the same mailbox meanwhile breaks the unique key: run again
    if not found:
        _give_friend_code(session, referral, program, now)
    _tell(session, referral, "loyalty.referral_created", now)
    if found:
        _tell(session, referral, "loyalty.referral_review", now)
    return referral, True


def _has_ordered(session: Session, store_id: int, email: str, box: str) -> bool:
    spellings = {email.strip().lower(), box}
    return session.scalar(select(Order.id).where(
        Order.store_id == store_id, func.lower(Order.email).in_(spellings)).limit(1)) \
        is not None


def _friend(session: Session, store_id: int, email: str, locale: str | None) -> int | None:
    """The store's customer with this email, or a new one (in `locale`)."""
    found = find_customer(session, store_id=store_id, email=email)
    if found is not None:
        return found.id
    for language in dict.fromkeys((locale, None)):  # a language refused: the store's
        try:
            data = CustomerIn(email=email, locale=language)
        except ValueError:  # pydantic's refusal of the address or the language
            continue
        try:
            customer_id, _ = save_customer(session, store_id=store_id, data=data,
                                           source="referral")
        except CommerceError:  # pragma: no cover - an email was given
            return None
        return customer_id
    return None


def _give_friend_code(session: Session, referral: LoyaltyReferral, program: Program,
                      now: datetime) -> None:
    """The friend's code, once, and `loyalty.referral_code_issued` that emails it."""
    amount = program.referral.friend_discount_minor
    if referral.code_id is not None or amount <= 0:
        return
    store = session.get(Store, referral.store_id)
    assert store is not None
    days = program.referral.friend_code_days
    if referral.friend_customer_id is None:  # a referral from before friends were customers
        referral.friend_customer_id = _friend(session, referral.store_id,
                                              referral.friend_email or "", None) \
            if referral.friend_email else None
    code = codes.issue(session, store_id=referral.store_id, kind="discount", source=SOURCE,
                       value_minor=amount, currency=store.currency,
                       customer_id=referral.friend_customer_id, source_id=str(referral.id),
                       idempotency_key=f"referral:{referral.id}",
                       expires_at=now + timedelta(days=days) if days else None, now=now)
    referral.code_id = code.id
    session.flush()
    if referral.friend_customer_id is not None:
        record(session, store_id=referral.store_id, name="loyalty.referral_code_issued",
               subject_type="customer", subject_id=referral.friend_customer_id,
               occurred_at=now,
               payload={"customer_id": referral.friend_customer_id,
                        "referral_id": referral.id,
                        "referrer_customer_id": referral.referrer_customer_id,
                        "code_id": code.id, "code": code.code, "value_minor": amount,
                        "currency": code.currency, "days": days})


# --- the friend's first order --------------------------------------------------------

def any_open(session: Session, *, store_id: int) -> bool:
    """Whether some referral of the store still waits for its friend's first order
    (an import of history with none skips matching its orders one by one)."""
    return session.scalar(select(LoyaltyReferral.id).where(
        LoyaltyReferral.store_id == store_id, LoyaltyReferral.order_id.is_(None),
        LoyaltyReferral.status.in_(OPEN)).limit(1)) is not None


def link_order(session: Session, *, store_id: int, order_id: int, program: Program,
               code_id: int | None = None, now: datetime | None = None
               ) -> LoyaltyReferral | None:
    """An order placed (matched by its email), or a friend's code used on it
    (`code_id`): the referral it is the first order of, linked once, with the order's
    fraud signals; None when it is no referral's."""
    now = now or utcnow()
    order = session.scalar(select(Order).where(Order.id == order_id,
                                               Order.store_id == store_id))
    if order is None:
        return None
    referral = _by_code(session, store_id, code_id) if code_id is not None \
        else _by_email(session, order)
    if referral is None:
        return None
    referral = get(session, store_id=store_id, referral_id=referral.id, lock=True)
    if referral is None or referral.order_id is not None or referral.status not in OPEN:
        return None
    referrer = session.get(Customer, referral.referrer_customer_id)
    email = _email_of(session, order)
    found = checks.at_order(checks.OrderFacts(
        ordered_by_referrer=order.customer_id == referral.referrer_customer_id,
        order_mailbox=checks.mailbox(email) if email else None,
        referrer_mailbox=checks.mailbox(referrer.email) if referrer and referrer.email
        else None,
        order_address=checks.address_key(order.ship_address1, order.ship_postal_code,
                                         order.ship_country),
        referrer_addresses=_addresses(session, store_id, referral.referrer_customer_id,
                                      order.id),
        order_payment=order.payment_fingerprint,
        referrer_payments=_payments(session, store_id, referral.referrer_customer_id,
                                    order.id)))
    added = [name for name in found
             if name not in referral.signals and name not in referral.cleared]
    referral.order_id, referral.friend_customer_id = order.id, order.customer_id
    referral.signals = checks.new_signals(referral.signals, found)
    referral.updated_at = now
    if referral.status == "pending":
        referral.status = "review" if added else "ordered"
        if added:
            _tell(session, referral, "loyalty.referral_review", now)
    session.flush()
    return referral


def _by_code(session: Session, store_id: int, code_id: int) -> LoyaltyReferral | None:
    return session.scalar(select(LoyaltyReferral).where(
        LoyaltyReferral.store_id == store_id, LoyaltyReferral.code_id == code_id).limit(1))


def _email_of(session: Session, order: Order) -> str | None:
    if order.email or not order.customer_id:
        return order.email
    return session.scalar(select(Customer.email).where(Customer.id == order.customer_id))


def _by_email(session: Session, order: Order) -> LoyaltyReferral | None:
    email = _email_of(session, order)
    if not email:
        return None
    return session.scalar(select(LoyaltyReferral).where(
        LoyaltyReferral.store_id == order.store_id,
        LoyaltyReferral.friend_mailbox == checks.mailbox(email),
        LoyaltyReferral.order_id.is_(None), LoyaltyReferral.created_at <= order.placed_at))


def _addresses(session: Session, store_id: int, customer_id: int, but: int) -> list[str]:
    rows = session.execute(select(Order.ship_address1, Order.ship_postal_code,
                                  Order.ship_country).where(
        Order.store_id == store_id, Order.customer_id == customer_id, Order.id != but)
        .distinct())
    return [key for row in rows if (key := checks.address_key(*row)) is not None]


def _payments(session: Session, store_id: int, customer_id: int, but: int) -> list[str]:
    return list(session.scalars(select(Order.payment_fingerprint).where(
        Order.store_id == store_id, Order.customer_id == customer_id, Order.id != but,
        Order.payment_fingerprint.is_not(None)).distinct()))


# --- paying the referrer -------------------------------------------------------------

def pay_due(session: Session, *, store_id: int, program: Program,
            now: datetime | None = None, limit: int = 500) -> int:
    """Referrals whose friend's order can no longer be returned: the referrer is
    paid, once; an order refunded or cancelled entirely pays nothing (`void`). The
    referrals settled."""
    now = now or utcnow()
    settled = 0
    for referral_id in list(session.scalars(select(LoyaltyReferral.id).where(
            LoyaltyReferral.store_id == store_id, LoyaltyReferral.status == "ordered")
            .order_by(LoyaltyReferral.id).limit(limit))):
        referral = get(session, store_id=store_id, referral_id=referral_id, lock=True)
        if referral is None or referral.status != "ordered":
            continue
        order = session.get(Order, referral.order_id) if referral.order_id else None
        if order is None:
            _void(referral, "the order is gone", now)
            settled += 1
            continue
        value = order_points.order_value(session, order)
        if value.cancelled:
            _void(referral, "the order was cancelled", now)
            settled += 1
            continue
        _, delivered = tracking.delivery_dates(session, store_id=store_id, order_id=order.id)
        if now < order_points.pending_until(program, placed_at=order.placed_at,
                                            delivered_at=delivered):
            continue
        if earning.kept_minor(value) <= 0:
            _void(referral, "the order was refunded", now)
        else:
            _pay(session, referral, program.referral.referrer_points, now)
        settled += 1
    session.flush()
    return settled


def _void(referral: LoyaltyReferral, reason: str, now: datetime) -> None:
    referral.status, referral.decision_reason, referral.updated_at = "void", reason, now


def _pay(session: Session, referral: LoyaltyReferral, points: int, now: datetime) -> None:
    held = ledger.account(session, store_id=referral.store_id,
                          customer_id=referral.referrer_customer_id)
    if points > 0:
        entry = ledger.credit(session, held, kind="earn", points=points, lifetime=points,
                              key=f"referral:{referral.id}", source=SOURCE,
                              source_id=referral.id, reason="a friend's first order",
                              now=now)
        if entry is not None:
            ledger.earned(session, held, entry)
    referral.status, referral.points = "rewarded", points
    referral.rewarded_at = referral.updated_at = now
    _tell(session, referral, "loyalty.referral_qualified", now)


# --- an admin's decision -------------------------------------------------------------

def approve(session: Session, *, store_id: int, referral_id: int, reason: str,
            program: Program, now: datetime | None = None) -> LoyaltyReferral:
    """A referral in review goes on: its signals are cleared (they will not send it
    back), the friend gets the code held back, and the referrer is paid when the
    order qualifies. 409 `invalid_status` when it is not in review."""
    now = now or utcnow()
    referral = _decidable(session, store_id, referral_id, ("review",))
    referral.cleared = list(referral.signals)
    referral.status = "ordered" if referral.order_id is not None else "pending"
    referral.decision_reason, referral.decided_at, referral.updated_at = reason, now, now
    _give_friend_code(session, referral, program, now)
    session.flush()
    return referral


def reject(session: Session, *, store_id: int, referral_id: int, reason: str,
           now: datetime | None = None) -> LoyaltyReferral:
    """Nothing is paid for it, and the friend's code is withdrawn if unused. 409
    `invalid_status` once rewarded, rejected or void."""
    now = now or utcnow()
    referral = _decidable(session, store_id, referral_id, OPEN)
    referral.status = "rejected"
    referral.decision_reason, referral.decided_at, referral.updated_at = reason, now, now
    code = friend_code(session, referral)
    if code is not None and code.status == "issued":
        codes.cancel(session, code=code, now=now)
    session.flush()
    return referral


def _decidable(session: Session, store_id: int, referral_id: int,
               statuses: tuple[str, ...]) -> LoyaltyReferral:
    referral = get(session, store_id=store_id, referral_id=referral_id, lock=True)
    if referral is None:
        raise LoyaltyError("not_found", "no such referral in this store", "id", status=404)
    if referral.status not in statuses:
        raise LoyaltyError("invalid_status", f"the referral is {referral.status}",
                           "status", status=409)
    return referral


def _tell(session: Session, referral: LoyaltyReferral, name: str, now: datetime) -> None:
    payload: dict[str, Any] = {
        "customer_id": referral.referrer_customer_id, "referral_id": referral.id,
        "status": referral.status, "signals": list(referral.signals),
        "order_id": referral.order_id, "points": referral.points}
    record(session, store_id=referral.store_id, name=name, subject_type="customer",
           subject_id=referral.referrer_customer_id, occurred_at=now, payload=payload)

