"""Tiers on rolling 12-month spend (what orders of the last 365 days still keep, net
of refunds and returns): a promotion at once; a demotion only after the spend has
stayed below the tier for `tier_grace_days`. Each change is a `loyalty.tier_changed`
event, with its `direction` (`up` or `down`; `carried` for a tier carried over from
another program: `carry_over`), and is pushed to the store platform as a
signed outbound webhook `loyalty.tier_changed` carrying the tier's benefits (free
shipping, early access, the points multiplier) and, for Shopify, the customer tags to
add and remove (GraphQL `tagsAdd` / `tagsRemove`): a store gives free shipping or early
access to customers with a tag, which is how Shopify shops gate those benefits.
A tier with `entry_points` gives them, spendable at once, the first time a customer
reaches it (`entry_rewards`, from the same events, whichever path recorded them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from afterward import outbound
from afterward.commerce.models import Customer
from afterward.events import record
from afterward.loyalty import ledger
from afterward.loyalty.earning import tier_for
from afterward.loyalty.models import LoyaltyAccount, LoyaltyOrder
from afterward.loyalty.program import Program, Tier

WINDOW = timedelta(days=365)
TIER_EVENT = "loyalty.tier_changed"


def spend_minor(session: Session, held: LoyaltyAccount, now: datetime) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(LoyaltyOrder.kept_minor), 0))
                              .where(LoyaltyOrder.account_id == held.id,
                                     LoyaltyOrder.placed_at > now - WINDOW)) or 0)


@dataclass(frozen=True)
class Decision:
    """What a review does: the tier and grace date the account ends with, and whether
    the tier changes now (a `loyalty.tier_changed`)."""

    tier: str | None
    kept_until: datetime | None
    changed: bool


def decide(program: Program, *, tier: str | None, kept_until: datetime | None,
           spend: int, now: datetime) -> Decision:
    """The rules above for an account in `tier` (grace until `kept_until`) whose
    12-month spend is `spend`: pure, so a batch can follow an account in memory
    (loyalty/bulk.py) exactly as `review` moves it one order at a time."""
    ranked = program.ranked_tiers()
    keys = [t.key for t in ranked]
    target = tier_for(spend, [(t.key, t.min_spend_minor) for t in ranked])
    if target == tier:
        return Decision(tier, None, False)

    def rank(key: str | None) -> int:
        return keys.index(key) if key in keys else -1

    if rank(target) > rank(tier) or tier not in keys:
        return Decision(target, None, True)
    if kept_until is None and program.tier_grace_days > 0:
        return Decision(tier, now + timedelta(days=program.tier_grace_days), False)
    if kept_until is None or now >= kept_until:
        return Decision(target, None, True)
    return Decision(tier, kept_until, False)


def direction(program: Program, before: str | None, after: str | None) -> str:
    """`up` to a higher tier (a tier no longer in the program ranks lowest), else
    `down`."""
    keys = [t.key for t in program.ranked_tiers()]

    def rank(key: str | None) -> int:
        return keys.index(key) if key in keys else -1

    return "up" if rank(after) > rank(before) else "down"


def review(session: Session, held: LoyaltyAccount, program: Program, now: datetime) -> None:
    """Move the account's tier to what its spend reaches, by the rules above."""
    if not program.ranked_tiers() and held.tier is None:
        return
    spend = spend_minor(session, held, now)
    decision = decide(program, tier=held.tier, kept_until=held.tier_kept_until,
                      spend=spend, now=now)
    if decision.changed:
        _change(session, held, decision.tier, spend, now,
                direction(program, held.tier, decision.tier))
    else:
        held.tier_kept_until = decision.kept_until
    session.flush()


def _change(session: Session, held: LoyaltyAccount, target: str | None, spend: int,
            now: datetime, moved: str) -> None:
    before = held.tier
    held.tier, held.tier_since, held.tier_kept_until = target, now, None
    record(session, store_id=held.store_id, name=TIER_EVENT,
           subject_type="customer", subject_id=held.customer_id, occurred_at=now,
           payload={"customer_id": held.customer_id, "from": before, "to": target,
                    "spend_minor": spend, "direction": moved})



def carry_over(session: Session, held: LoyaltyAccount, program: Program, tier: Tier, *,
               kept_until: datetime | None, now: datetime) -> bool:
    """A tier carried over from another program (loyalty/balance_import.py): given when
    it ranks above the member's, kept until `kept_until` whatever the spend (`decide`
    keeps a tier through its grace date), as a `loyalty.tier_changed` with `direction`
    `carried`; whether it was given."""
    if direction(program, held.tier, tier.key) != "up":
        return False
    _change(session, held, tier.key, spend_minor(session, held, now), now, "carried")
    held.tier_kept_until = kept_until
    session.flush()
    return True

TAG_PREFIX = "afterward-"


def benefits(tier: Tier | None) -> dict[str, object]:
    return {"free_shipping": bool(tier and tier.free_shipping),
            "early_access": bool(tier and tier.early_access),
            "multiplier_percent": tier.multiplier_percent if tier else 100}


def tags(tier: Tier | None) -> list[str]:
    """The customer tags a tier stands for on the store platform."""
    if tier is None:
        return []
    return [f"{TAG_PREFIX}tier-{tier.key}",
            *([f"{TAG_PREFIX}free-shipping"] if tier.free_shipping else []),
            *([f"{TAG_PREFIX}early-access"] if tier.early_access else [])]


def push(session: Session, *, store_id: int, changes: list[tuple[int, dict[str, Any]]],
         program: Program) -> None:
    """`loyalty.tier_changed` events (id, payload), whichever path recorded them (an
    order, the bulk path, the periodic review), as webhooks to the store platform, one
    job each, written together (none when no endpoint takes them: outbound.py); the
    consumer calls it for the tier events of its batch. Each carries ours, and under
    `shopify` the tags to add and to remove (a customer without a Shopify id: none).
    Tiers the program no longer has count as no tier."""
    wanted = {p["customer_id"] for _, p in changes if isinstance(p.get("customer_id"), int)}
    if not wanted:  # the consumer calls this only when an endpoint takes tier changes
        return
    customers = {row.id: row for row in session.execute(
        select(Customer.id, Customer.external_id, Customer.email)
        .where(Customer.store_id == store_id, Customer.id.in_(wanted)))}
    payloads = []
    for event_id, payload in changes:
        customer_id = payload.get("customer_id")
        if not isinstance(customer_id, int):
            continue
        customer = customers.get(customer_id)
        external_id = customer.external_id if customer else None
        before, after = program.tier(payload.get("from")), program.tier(payload.get("to"))
        adding, removing = tags(after), tags(before)
        data: dict[str, object] = {
            "customer_id": customer_id, "customer_external_id": external_id,
            "email": customer.email if customer else None,
            "from": payload.get("from"), "to": payload.get("to"),
            "direction": payload.get("direction"), "benefits": benefits(after),
            "tags_add": [t for t in adding if t not in removing],
            "tags_remove": [t for t in removing if t not in adding]}
        if external_id and external_id.isdigit():
            gid = f"gid://shopify/Customer/{external_id}"
            data["shopify"] = {"tagsAdd": {"id": gid, "tags": data["tags_add"]},
                               "tagsRemove": {"id": gid, "tags": data["tags_remove"]}}
        payloads.append((f"loyalty_tier_changed_{event_id}", data))
    # No dedupe key: the consumer reads each event once (its cursor moves in this
    # transaction), and the publishing job delivers once per endpoint and event id.
    outbound.publish_many(session, store_id=store_id, event_type=TIER_EVENT, events=payloads)


def review_all(session: Session, *, store_id: int, program: Program, now: datetime) -> int:
    """The periodic pass: accounts in a tier whose spend may have fallen (time passes
    without any event); the tier changes made."""
    from afterward.loyalty import ledger

    changed = 0
    customers = list(session.scalars(select(LoyaltyAccount.customer_id).where(
        LoyaltyAccount.store_id == store_id, LoyaltyAccount.tier.is_not(None))
        .order_by(LoyaltyAccount.id)))
    for customer_id in customers:
        held = ledger.account(session, store_id=store_id, customer_id=customer_id)
        before = held.tier
        review(session, held, program, now)
        changed += held.tier != before
    return changed


def entry_rewards(session: Session, *, store_id: int, program: Program,
                  changes: list[tuple[int, dict[str, Any]]], now: datetime) -> int:
    """The entry points of the tiers these `loyalty.tier_changed` events (id, payload)
    promoted customers to, once per customer and tier ever (key `tier:<key>:<customer>`:
    a promotion after a demotion gives nothing again); the entries made."""
    given = 0
    for _, payload in changes:
        customer_id, tier = payload.get("customer_id"), program.tier(payload.get("to"))
        if payload.get("direction") != "up" or tier is None or not tier.entry_points \
                or not isinstance(customer_id, int):
            continue
        held = ledger.account(session, store_id=store_id, customer_id=customer_id)
        entry = ledger.credit(session, held, kind="earn", points=tier.entry_points,
                              lifetime=tier.entry_points, key=f"tier:{tier.key}:{customer_id}",
                              source="tier", reason=tier.name, now=now)
        if entry is not None:
            ledger.earned(session, held, entry)
            given += 1
    return given
