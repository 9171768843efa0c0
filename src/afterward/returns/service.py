"""Returns (RMAs): request, approve, reject, receive. Each use case takes a session and
never commits; it changes state and records its event (`return.*`) in the caller's
transaction, and settles money through settle.py. Requests for one order run one at a
time (a lock per order), and the units claimed per order line are bounded in the
database (facts.claim), so no line is returned twice over."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from afterward.commerce import service as commerce
from afterward.commerce.models import Order, OrderLine
from afterward.commerce.schemas import CustomerIn
from afterward.events import record
from afterward.returns import facts, label_jobs, photos, settle
from afterward.returns import policy as rules
from afterward.returns.errors import ReturnError
from afterward.returns.models import Return, ReturnLine
from afterward.returns.photo_files import CleanPhoto
from afterward.returns.schemas import ReceiveIn, ReturnIn
from afterward.storage import locks
from afterward.storage.types import utcnow

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's: no I, L, O, U


def new_number() -> str:
    """'R' and 8 random characters (40 bits): unique per store by constraint, and
    saying nothing about how many returns a store has."""
    return "R" + "".join(secrets.choice(_ALPHABET) for _ in range(8))


def label_path(rma: Return) -> str:
    return f"/returns/labels/{rma.label_token}.pdf"


# Approved and not yet received: a parcel on its way back (docs/returns.md).
AWAITING_PARCEL = ("approved", "label_issued", "in_transit")


def has_label(rma: Return) -> bool:
    """Approved and on its way back (a kept item is not sent back): our own PDF label
    (a carrier's label, when the store buys them, is `carrier_label_url`)."""
    return rma.resolution != "keep" and rma.status in (*AWAITING_PARCEL, "received",
                                                       "resolved")


def get_return(session: Session, *, store_id: int, return_id: int,
               lock: bool = False) -> Return | None:
    query = select(Return).where(Return.store_id == store_id, Return.id == return_id)
    return session.scalar(query.with_for_update() if lock else query)


def by_label_token(session: Session, token: str) -> Return | None:
    return session.scalar(select(Return).where(Return.label_token == token))


def list_returns(session: Session, *, store_id: int, order_id: int | None = None,
                 status: str | None = None, limit: int = 50) -> list[Return]:
    query = select(Return).where(Return.store_id == store_id)
    if order_id is not None:
        query = query.where(Return.order_id == order_id)
    if status is not None:
        query = query.where(Return.status == status)
    return list(session.scalars(query.order_by(Return.id.desc()).limit(limit)))


def request_fingerprint(data: ReturnIn) -> str:
    # instant_exchange is left out when false: keys used before it existed still match.
    dumped = data.model_dump(mode="json", exclude=None if data.instant_exchange
                             else {"instant_exchange"})
    body = json.dumps(dumped, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def request_return(session: Session, *, store_id: int, data: ReturnIn,
                   idempotency_key: str | None = None, now: datetime | None = None,
                   photo_tokens: Mapping[int, Sequence[str]] | None = None
                   ) -> tuple[Return, bool]:
    """A new return, approved at once unless the policy sends it to review; or, for an
    Idempotency-Key seen before with the same body, the return it made (False).

    `photo_tokens` (the portal's uploads, per order line id): a line a rule asks a
    photo of must have one (`photo_required`). Without them (the API), such a return
    waits in review ("photo required") until a photo is added (add_photo)."""
    now = now or utcnow()
    if idempotency_key is not None:
        earlier = _earlier(session, store_id, idempotency_key, request_fingerprint(data))
        if earlier is not None:
            return earlier, False
    order = facts.order_with_lines(session, store_id=store_id, number=data.order_number)
    if order is None:
        raise ReturnError("order_not_found", "no order with this number in this store",
                          "order_number")
    locks.hold(session, "returns", store_id, order.id)
    policy = facts.load_policy(session, store_id=store_id)
    picked = _pick_lines(session, order, data)
    decision = _decide(session, policy, order, picked, data, now)
    _photos_given(decision, picked, photo_tokens)
    review = list(decision.review)
    if photo_tokens is None and decision.photo_lines:
        review.append(photos.PHOTO_REVIEW)
    rma = _insert(session, order, data, decision, picked, idempotency_key, now, review)
    if photo_tokens:
        photos.attach(session, rma=rma, order=order, tokens=photo_tokens)
    settle.price_exchange(session, rma=rma, order=order, policy=policy, decision=decision)
    for line, item in picked:
        facts.claim(session, store_id=store_id, line=line, quantity=item.quantity)
    _event(session, rma, "return.requested", {"resolution": rma.resolution,
                                              "review": list(rma.review_reasons)}, now)
    if rma.status == "approved":  # by the policy: written approved, one UPDATE fewer
        _approved(session, rma, now, policy)
    return rma, True


def _photos_given(decision: rules.Decision, picked: Picked,
                  tokens: Mapping[int, Sequence[str]] | None) -> None:
    if tokens is None:
        return
    for index in decision.photo_lines:
        if not tokens.get(picked[index][0].id):
            raise ReturnError("photo_required", "a photo of this item is required",
                              f"lines.{index}.photos")


def add_photo(session: Session, *, rma: Return, sku: str, photo: CleanPhoto,
              now: datetime | None = None) -> Return:
    """A photo of one of the return's lines; when it was the last one the policy
    asked for and nothing else waits for review, the return is approved."""
    now = now or utcnow()
    waited = photos.PHOTO_REVIEW in rma.review_reasons
    photos.add(session, rma=rma, sku=sku, photo=photo, now=now)
    if waited and rma.status == "requested" and not rma.review_reasons:
        approve(session, rma=rma, now=now)
    return rma


def _earlier(session: Session, store_id: int, key: str, fingerprint: str) -> Return | None:
    locks.hold(session, "return-key", store_id, key)
    found = session.scalar(select(Return).where(Return.store_id == store_id,
                                                Return.idempotency_key == key))
    if found is not None and found.request_hash != fingerprint:
        raise ReturnError("idempotency_key_reused", "this Idempotency-Key was used for "
                          "another request", "Idempotency-Key")
    return found


Picked = list[tuple[OrderLine, rules.Requested]]


def _pick_lines(session: Session, order: Order, data: ReturnIn) -> Picked:
    if order.status == "cancelled":
        raise ReturnError("item_not_returnable", f"order {order.number} was cancelled",
                          "order_number")
    known = facts.line_facts(session, order)
    skus = [line.sku for line in data.lines]
    if len(set(skus)) != len(skus):
        raise ReturnError("invalid", "name each SKU once", "lines")
    picked = []
    for index, wanted in enumerate(data.lines):
        matching = [line for line in order.lines if line.sku == wanted.sku]
        if not matching:
            raise ReturnError("item_not_returnable", f"order {order.number} has no "
                              f"{wanted.sku}", f"lines.{index}.sku")
        line = max(matching, key=lambda ln: known[ln.id].returnable)
        picked.append((line, rules.Requested(known[line.id], wanted.quantity, wanted.reason)))
    return picked


def preview(session: Session, *, order: Order, data: ReturnIn,
            now: datetime | None = None) -> tuple[rules.Decision, list[str]]:
    """What the policy says of a request, recording nothing: the decision and the
    resolutions offered, or the ReturnError the request would be refused with (its
    resolution is not checked)."""
    policy = facts.load_policy(session, store_id=order.store_id)
    picked = _pick_lines(session, order, data)
    decision = _decision(session, policy, order, picked, now or utcnow())
    _gift_allowed(policy, data)
    _instant_allowed(policy, data)
    return decision, _offered(decision, order, data)


def _offered(decision: rules.Decision, order: Order, data: ReturnIn) -> list[str]:
    """The policy's resolutions; a gift's recipient gets store credit or an exchange
    (never a refund to the buyer), credit needs a customer to hold it."""
    if data.gift_recipient is not None:
        return [r for r in decision.offered if r in ("store_credit", "exchange")]
    return [r for r in decision.offered if r != "store_credit" or order.customer_id]


def _gift_allowed(policy: rules.Policy, data: ReturnIn) -> None:
    if data.gift_recipient is not None and not policy.gift_returns:
        raise ReturnError("gift_returns_not_offered", "this store does not take gift returns "
                          "from their recipients", "gift_recipient")


def _decision(session: Session, policy: rules.Policy, order: Order, picked: Picked,
              now: datetime) -> rules.Decision:
    past = facts.history(session, store_id=order.store_id, customer_id=order.customer_id,
                         high_value_minor=policy.fraud.high_value_minor, now=now)
    decision = rules.decide(policy, facts.order_facts(session, order),
                            [item for _, item in picked], past, now)
    if decision.refusal is not None:
        at = decision.refusal.index
        raise ReturnError(decision.refusal.code, decision.refusal.message,
                          "lines" if at is None else f"lines.{at}")
    return decision


def _decide(session: Session, policy: rules.Policy, order: Order, picked: Picked,
            data: ReturnIn, now: datetime) -> rules.Decision:
    decision = _decision(session, policy, order, picked, now)
    _gift_allowed(policy, data)
    offered = _offered(decision, order, data)
    if data.resolution not in offered:
        raise ReturnError("resolution_not_offered", f"{data.resolution} is not offered for "
                          f"this return (offered: {', '.join(offered) or 'none'})",
                          "resolution")
    if (data.resolution == "exchange") != (data.exchange_for_sku is not None):
        raise ReturnError("invalid", "exchange_for_sku goes with the exchange resolution, "
                          "and only with it", "exchange_for_sku")
    _instant_allowed(policy, data)
    return decision


def _instant_allowed(policy: rules.Policy, data: ReturnIn) -> None:
    if data.instant_exchange and (data.resolution != "exchange"
                                  or not policy.instant_exchange):
        raise ReturnError("instant_exchange_not_offered", "an instant exchange needs the "
                          "exchange resolution and a policy that offers it",
                          "instant_exchange")


def _insert(session: Session, order: Order, data: ReturnIn, decision: rules.Decision,
            picked: Picked, key: str | None, now: datetime, review: list[str]) -> Return:
    """The return, written approved when nothing sends it to review (`review`)."""
    refund, credit = decision.amounts(data.resolution)
    approved = not review
    rma = Return(
        store_id=order.store_id, number=new_number(), order_id=order.id,
        customer_id=order.customer_id, status="approved" if approved else "requested",
        approved_at=now if approved else None, resolution=data.resolution,
        currency=order.currency, value_minor=decision.value_minor, refund_minor=refund,
        credit_minor=credit, fee_minor=decision.fee(data.resolution),
        bonus_minor=decision.bonus_minor if data.resolution == "store_credit" else 0,
        exchange_for_sku=data.exchange_for_sku, instant_exchange=data.instant_exchange,
        review_reasons=review,
        deadline_at=decision.deadline, window_basis=decision.window_basis,
        idempotency_key=key, request_hash=request_fingerprint(data) if key else None,
        label_token=secrets.token_urlsafe(32), created_at=now, updated_at=now)
    if data.gift_recipient is not None:
        rma.gift_recipient_email = data.gift_recipient.email
        rma.gift_recipient_name = data.gift_recipient.name
        rma.gift_customer_id = _recipient(session, order.store_id, data)
    comments = {line.sku: line.comment for line in data.lines}
    rma.lines = [ReturnLine(store_id=order.store_id, order_line_id=line.id,
                            sku=item.line.sku or "", title=line.title, quantity=item.quantity,
                            unit_paid_minor=item.line.paid_minor, reason=item.reason,
                            comment=comments.get(line.sku or ""), received_quantity=0,
                            photo_required=index in decision.photo_lines)
                 for index, (line, item) in enumerate(picked)]
    session.add(rma)
    session.flush()
    return rma


def _recipient(session: Session, store_id: int, data: ReturnIn) -> int:
    """The gift recipient's customer record in this store, made when missing (an
    existing one is found by email and left as it is)."""
    assert data.gift_recipient is not None
    email, name = data.gift_recipient.email, data.gift_recipient.name
    found = commerce.find_customer(session, store_id=store_id, email=email)
    if found is not None:
        return found.id
    first, _, last = (name or "").strip().partition(" ")
    customer_id, _ = commerce.save_customer(session, store_id=store_id, data=CustomerIn(
        email=email, first_name=first[:100] or None, last_name=last.strip()[:100] or None),
        source="return")
    return customer_id


def _event(session: Session, rma: Return, name: str, extra: dict[str, object],
           now: datetime) -> None:
    record(session, store_id=rma.store_id, name=name, subject_type="return",
           subject_id=rma.id, occurred_at=now,
           payload={"number": rma.number, "order_id": rma.order_id,
                    "customer_id": rma.customer_id, **extra})


def _expect(rma: Return, *statuses: str) -> None:
    if rma.status not in statuses:
        raise ReturnError("invalid_status", f"return {rma.number} is {rma.status}, not "
                          f"{' or '.join(statuses)}", "status", 409)


def approve(session: Session, *, rma: Return, now: datetime | None = None) -> Return:
    """Approve a requested return; one to keep the item is settled at once."""
    now = now or utcnow()
    _expect(rma, "requested")
    if photos.missing(session, rma):
        raise ReturnError("photo_required", f"return {rma.number} waits for a photo the "
                          "policy requires (POST /api/v1/returns/{id}/photos)", "photos")
    rma.status, rma.approved_at, rma.updated_at = "approved", now, now
    session.flush()
    _approved(session, rma, now)
    return rma


def _approved(session: Session, rma: Return, now: datetime,
              policy: rules.Policy | None = None) -> None:
    _event(session, rma, "return.approved", {"resolution": rma.resolution}, now)
    if rma.resolution == "keep":
        _resolve(session, rma, now)
    elif (carrier := label_jobs.wants_carrier_label(session, rma, policy)) is not None:
        label_jobs.ask_for_label(session, rma=rma, carrier=carrier)


def reject(session: Session, *, rma: Return, reason: str, now: datetime | None = None
           ) -> Return:
    """Refuse a return not yet received: its units can be asked for again. An instant
    exchange whose order went out leaves what is owed for it on record."""
    now = now or utcnow()
    _expect(rma, "requested", *AWAITING_PARCEL)
    for line in rma.lines:
        facts.release(session, order_line_id=line.order_line_id, quantity=line.quantity)
    _rejected(session, rma, reason, now)
    return rma


def _rejected(session: Session, rma: Return, reason: str, now: datetime) -> None:
    rma.status, rma.reject_reason, rma.rejected_at, rma.updated_at = "rejected", reason, now, now
    rma.refund_minor = rma.credit_minor = 0
    session.flush()
    _event(session, rma, "return.rejected", {"reason": reason}, now)
    if rma.exchange_order_id is not None and rma.instant_exchange \
            and settle.UNSETTLED not in rma.review_reasons:  # not told already (lost parcel)
        settle.unsettled(session, rma=rma, owed_minor=settle.instant_owed(rma, 0, 0), now=now)


def receive(session: Session, *, rma: Return, data: ReceiveIn,
            now: datetime | None = None) -> Return:
    """Record what came back, line by line (condition, restocked or not, accepted or
    refused at inspection), then settle what was accepted. Nothing accepted: the
    return is rejected, and the units stay claimed (they came back)."""
    now = now or utcnow()
    _expect(rma, *AWAITING_PARCEL)
    units = _record_lines(session, rma, data)
    rma.status, rma.received_at, rma.updated_at = "received", now, now
    session.flush()
    _event(session, rma, "return.received", {"lines": [
        {"sku": ln.sku, "quantity": ln.received_quantity, "condition": ln.condition,
         "restock": ln.restock, "accepted": ln.accepted} for ln in rma.lines]}, now)
    if units == 0:
        _rejected(session, rma, "nothing accepted at inspection", now)
        return rma
    _resolve(session, rma, now)
    return rma


def _record_lines(session: Session, rma: Return, data: ReceiveIn) -> int:
    by_sku = {line.sku: line for line in rma.lines}
    seen: set[str] = set()
    for index, item in enumerate(data.lines):
        line = by_sku.get(item.sku)
        if line is None or item.sku in seen:
            raise ReturnError("unknown_line", f"{item.sku} is not (or twice) in return "
                              f"{rma.number}", f"lines.{index}.sku")
        if item.quantity > line.quantity:
            raise ReturnError("quantity_exceeds_returned", f"{line.quantity} of {item.sku} "
                              "were to come back", f"lines.{index}.quantity")
        seen.add(item.sku)
        line.received_quantity, line.condition = item.quantity, item.condition
        line.restock, line.accepted = item.restock, item.accept
        if item.restock and item.quantity:
            variant = commerce.variant_by_sku(session, store_id=rma.store_id, sku=item.sku)
            if variant is not None:
                commerce.put_back_stock(session, store_id=rma.store_id,
                                        variant_id=variant.id, quantity=item.quantity)
    for line in rma.lines:
        if line.sku not in seen:
            line.received_quantity, line.accepted = 0, False
    return sum(line.received_quantity for line in rma.lines if line.accepted)


def _resolve(session: Session, rma: Return, now: datetime) -> None:
    policy = facts.load_policy(session, store_id=rma.store_id)
    settle.settle(session, rma=rma, now=now, bonus_percent=policy.store_credit_bonus_percent)
    rma.status, rma.resolved_at, rma.updated_at = "resolved", now, now
    session.flush()
    _event(session, rma, "return.resolved", {
        "resolution": rma.resolution, "refund_minor": rma.refund_minor,
        "credit_minor": rma.credit_minor, "exchange_order_id": rma.exchange_order_id}, now)
