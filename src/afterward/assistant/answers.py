"""Answers from the data: what the assistant says for each intent about the one order a
conversation sees, read through the other modules' services (the tracking page's own
truth for status, last scan, window and lateness; the returns module for refunds and
the policy; loyalty for the balance and what it buys). Nothing is invented: a fact
that is missing is said to be missing. Each answer may bring links and one action to
propose (confirmed by the shopper in their next message: actions.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from afterward.assistant.texts import RESOLUTION_WORDS, RETURN_WORDS, STATUS_WORDS, Say
from afterward.commerce.models import Order, Store
from afterward.feedback import links as review_links
from afterward.loyalty import links as loyalty_links
from afterward.loyalty import standing
from afterward.returns import facts as return_facts
from afterward.returns import links as return_links
from afterward.returns import service as returns
from afterward.tracking import lateness, timeline
from afterward.tracking import service as tracking
from afterward.tracking.models import Shipment
from afterward.tracking.statuses import TERMINAL, Status

# Statuses from which a parcel has left the warehouse: too late to cancel or re-address.
NOT_YET_SHIPPED = frozenset({Status.pending.value, Status.info_received.value})


@dataclass
class Answer:
    text: str
    links: list[dict[str, Any]] = field(default_factory=list)
    propose: str | None = None  # an action kind (actions.py) to offer for confirmation
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Seen:
    """What a conversation sees: its store, its order (if any) and the parcel it was
    opened from (if any)."""

    store: Store
    order: Order | None
    shipment_id: int | None
    secret_key: str
    now: datetime


def parcels(session: Any, seen: Seen) -> list[Shipment]:
    """The order's outbound parcels, the one the conversation was opened from first,
    then the newest."""
    if seen.order is None:
        return []
    found = [s for s in tracking.list_shipments(session, store_id=seen.store.id,
                                                 order_id=seen.order.id, limit=20)
             if s.direction == "outbound"]
    return sorted(found, key=lambda s: (s.id != seen.shipment_id, -s.id))


def shipped(session: Any, seen: Seen) -> bool:
    if seen.order is not None and (seen.order.fulfillment_status or "") in (
            "fulfilled", "partial"):
        return True
    return any(p.status not in NOT_YET_SHIPPED for p in parcels(session, seen))


def where_is_my_order(session: Any, seen: Seen, say: Say) -> Answer:
    assert seen.order is not None
    found = parcels(session, seen)
    if not found:
        return Answer(say("not_shipped", number=seen.order.number))
    parcel = found[0]
    parts = [say("status", number=seen.order.number,
                 status=say.word(STATUS_WORDS, parcel.status)), _last_scan(parcel, say),
             _when(parcel, seen, say)]
    links = [{"kind": "link", "label": say("open_tracking"),
              "url": tracking.tracking_path(parcel)}]
    return Answer(" ".join(p for p in parts if p), links, propose="resend_tracking_link",
                  params={"shipment_id": parcel.id})


def delivery_date(session: Any, seen: Seen, say: Say) -> Answer:
    assert seen.order is not None
    found = parcels(session, seen)
    if not found:
        return Answer(say("not_shipped", number=seen.order.number))
    parcel = found[0]
    status = say("status", number=seen.order.number,
                 status=say.word(STATUS_WORDS, parcel.status))
    return Answer(f"{status} {_when(parcel, seen, say)}",
                  [{"kind": "link", "label": say("open_tracking"),
                    "url": tracking.tracking_path(parcel)}])


def _last_scan(parcel: Shipment, say: Say) -> str:
    scans = timeline.ordered(parcel.events)
    when: datetime | None
    if scans:
        latest = scans[-1]
        message, location, when = latest.message, latest.location, latest.occurred_at
    else:
        message, location, when = parcel.last_message, parcel.last_location, \
            parcel.last_event_at
    if not message or when is None:
        return say("no_scan")
    if location:
        return say("last_scan", message=message, location=location, when=say.moment(when))
    return say("last_scan_nowhere", message=message, when=say.moment(when))


def _when(parcel: Shipment, seen: Seen, say: Say) -> str:
    """The delivery in words, as the tracking page has it: delivered on a day, late
    (tracking/lateness.py, the one rule), or the window, or that there is none."""
    if parcel.status == Status.delivered and parcel.delivered_at is not None:
        return say("delivered_on", when=say.day(
            parcel.delivered_at.astimezone(say.zone).date()))
    zone = lateness.store_zone(seen.store.timezone)
    verdict = lateness.of_parcel(parcel, zone=zone, now=seen.now)
    if verdict.late and verdict.window is not None and verdict.promised_day is not None:
        return say("late", promised=say.day(verdict.promised_day),
                   window=say.days(verdict.window.first, verdict.window.last))
    if parcel.status in TERMINAL or parcel.status == Status.available_for_pickup:
        return ""
    if parcel.eta_earliest is not None and parcel.eta_latest is not None:
        days = lateness.days_of(parcel.eta_earliest, parcel.eta_latest, zone)
        return say("window", window=say.days(days.first, days.last))
    if parcel.promised_at is not None:
        day = lateness.day_ending(parcel.promised_at, zone)
        return say("window", window=say.day(day))
    if parcel.carrier_estimated_at is not None:
        return say("window", window=say.day(parcel.carrier_estimated_at.astimezone(zone).date()))
    return say("no_window")


def portal_link(session: Any, seen: Seen, say: Say) -> dict[str, Any]:
    """The returns portal with this order chosen: through the parcel's token (the email
    address never goes in a URL), or the portal's lookup with the order number."""
    assert seen.order is not None
    found = parcels(session, seen)
    url = f"/returns/from/{found[0].token}" if found else "/returns?" + urlencode(
        {"order_number": seen.order.number, "store": seen.store.slug})
    return {"kind": "link", "label": say("open_portal"), "url": url}


def start_return(session: Any, seen: Seen, say: Say) -> Answer:
    assert seen.order is not None
    return Answer(say("propose_return", number=seen.order.number),
                  [portal_link(session, seen, say)], propose="start_return")


def refund_status(session: Any, seen: Seen, say: Say) -> Answer:
    assert seen.order is not None
    found = returns.list_returns(session, store_id=seen.store.id, order_id=seen.order.id,
                                 limit=1)
    if not found:
        return Answer(say("no_returns", number=seen.order.number))
    rma = found[0]
    status = say.word(RETURN_WORDS, rma.status)
    if rma.resolution == "refund" and rma.status != "rejected":
        text = say("refund", rma=rma.number, status=status,
                   amount=say.money(rma.refund_minor, rma.currency))
    elif rma.resolution == "store_credit" and rma.status != "rejected":
        text = say("credit", rma=rma.number, status=status,
                   amount=say.money(rma.credit_minor, rma.currency))
    else:
        text = say("return_plain", rma=rma.number, status=status)
    link = {"kind": "link", "label": say("open_return"),
            "url": return_links.status_path(seen.secret_key, seen.store.id, rma.id)}
    return Answer(text, [link] if seen.secret_key else [])


def return_policy(session: Any, seen: Seen, say: Say) -> Answer:
    policy = return_facts.load_policy(session, store_id=seen.store.id)
    offered = [say.word(RESOLUTION_WORDS, r) for r in policy.resolutions if r != "keep"]
    parts = [say("policy", days=policy.window_days, resolutions=say.either(offered))]
    for resolution, fee in sorted(policy.fees_minor.items()):
        if fee and resolution in policy.resolutions:
            parts.append(say("policy_fee", resolution=say.word(RESOLUTION_WORDS, resolution),
                             amount=say.money(fee, seen.store.currency)))
    links = []
    if seen.order is not None:
        delivered = [p.delivered_at for p in parcels(session, seen) if p.delivered_at]
        if delivered:
            last = (max(delivered) + timedelta(days=policy.window_days)).astimezone(
                lateness.store_zone(seen.store.timezone)).date()
            parts.insert(1, say("policy_until", number=seen.order.number, day=say.day(last)))
        links.append(portal_link(session, seen, say))
    return Answer(" ".join(parts), links)


def cancel_order(session: Any, seen: Seen, say: Say) -> Answer:
    assert seen.order is not None
    if shipped(session, seen):
        return Answer(say("cancel_shipped", number=seen.order.number),
                      [portal_link(session, seen, say)])
    return Answer(say("cancel_propose", number=seen.order.number), propose="request_cancel")


def change_address(session: Any, seen: Seen, say: Say, text: str) -> Answer:
    assert seen.order is not None
    if shipped(session, seen):
        return Answer(say("address_shipped", number=seen.order.number))
    return Answer(say("address_propose", number=seen.order.number),
                  propose="request_address_change", params={"request": text[:1000]})


def leave_review(session: Any, seen: Seen, say: Say) -> Answer:
    assert seen.order is not None
    if not seen.secret_key:
        return Answer(say("other"))
    url = review_links.form_path(seen.secret_key, seen.store.id, seen.order.id)
    return Answer(say("review", number=seen.order.number),
                  [{"kind": "link", "label": say("open_review"), "url": url}])


def loyalty_points(session: Any, seen: Seen, say: Say) -> Answer:
    order = seen.order
    assert order is not None
    found = standing.summary(session, store_id=seen.store.id,
                             customer_id=order.customer_id) if order.customer_id else None
    if found is None:
        return Answer(say("no_loyalty"))
    program, account = found
    balance, pending = account.points_balance, account.points_pending
    parts = [say("loyalty", points=balance, pending=pending)]
    rewards = sorted(program.rewards, key=lambda r: r.points)
    affordable = [r for r in rewards if r.points <= balance]
    if affordable:
        parts.append(say("loyalty_buys", rewards=", ".join(
            f"{r.name} ({r.points})" for r in affordable)))
    elif rewards:
        parts.append(say("loyalty_short", reward=rewards[0].name,
                         short=rewards[0].points - balance))
    links = [{"kind": "link", "label": say("open_loyalty"), "url": loyalty_links.member_path(
        seen.secret_key, seen.store.id, order.customer_id)}] if seen.secret_key and \
        order.customer_id else []
    return Answer(" ".join(parts), links)


def email_preferences(session: Any, seen: Seen, say: Say) -> Answer:
    assert seen.order is not None
    if seen.order.customer_id is None:
        return Answer(say("no_customer"))
    return Answer(say("unsubscribe_propose"), propose="unsubscribe")

