"""A store's returns policy as data, and the decision it gives for a return request.

Pure: no database, no clock. The service gathers the facts (the order, its lines, the
customer's history, now) and asks `decide`; the same facts always give the same
decision. The policy is the JSON document stored per store (`PUT /api/v1/returns/policy`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from afterward.commerce.fields import JSON_INTEGER, JSON_NUMBER, Flag

Resolution = Literal["refund", "store_credit", "exchange", "keep"]
RESOLUTIONS: tuple[Resolution, ...] = ("refund", "store_credit", "exchange", "keep")
REASONS = ("too_small", "too_large", "not_as_described", "damaged", "defective",
           "wrong_item", "changed_mind", "arrived_late", "other")

Days = Annotated[int, Field(ge=0, le=3650), JSON_INTEGER]
Count = Annotated[int, Field(ge=0, le=1_000_000), JSON_INTEGER]
Minor = Annotated[int, Field(ge=0, le=10**12), JSON_INTEGER]
Percent = Annotated[int, Field(ge=0, le=100), JSON_INTEGER]
Name = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f]+$")]
Names = Annotated[list[Name], Field(max_length=500)]


class Document(BaseModel):
    model_config = ConfigDict(extra="forbid")


class When(Document):
    """What a rule matches: every condition given must hold (an empty list: any)."""

    reasons: Names = []
    categories: Names = []
    skus: Names = []
    countries: Names = []
    min_discount_percent: Percent | None = None
    min_order_value_minor: Minor | None = None
    max_order_value_minor: Minor | None = None
    min_customer_returns: Count | None = None


class Then(Document):
    remove_resolutions: Annotated[list[Resolution], Field(max_length=4)] = []
    fee_minor: Minor = 0  # added for each line the rule matches
    waive_fee: Flag = False  # the line pays no fee; a return of only such lines, none
    extend_window_days: Days = 0
    review: Flag = False  # held for a person to approve
    require_photo: Flag = False  # the line needs a photo (the portal asks for one)


class Rule(Document):
    name: Name
    when: When = When()
    then: Then = Then()


class Fraud(Document):
    """Signals that send a request to review (never a refusal). 0 switches one off."""

    max_returns_90d: Count = 5
    max_return_rate_percent: Percent = 60
    min_orders_for_rate: Count = 3
    high_value_minor: Minor = 0
    max_high_value_returns_90d: Count = 2
    blocked_emails: Names = []  # the order's email, any case
    blocked_postal_codes: Names = []  # the shipping address's, any case, spaces ignored


Line = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f]+$")]
Size = Annotated[float, Field(gt=0, le=10_000), JSON_NUMBER]


class ReturnAddress(Document):
    """Where return parcels go (the warehouse), for a carrier's label."""

    name: Line
    company: Line | None = None
    street1: Line
    street2: Line | None = None
    city: Line
    state: Line | None = None
    zip: Line
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    phone: Line | None = None
    email: Line | None = None


class ParcelSize(Document):
    """A return parcel as the carrier prices it: inches and ounces (EasyPost's units)."""

    length: Size = 12
    width: Size = 10
    height: Size = 6
    weight: Size = 32


class Policy(Document):
    window_days: Days = 30
    unknown_delivery_grace_days: Days = 7
    resolutions: Annotated[list[Resolution], Field(max_length=4)] = [
        "refund", "store_credit", "exchange"]
    store_credit_bonus_percent: Percent = 10
    fees_minor: dict[Resolution, Minor] = {}
    keep_max_value_minor: Minor = 0
    exchange_other_products: Flag = True
    reasons: Names = list(REASONS)
    # Per product category, the reasons its lines may give (other categories: `reasons`).
    reasons_by_category: Annotated[dict[Name, Names], Field(max_length=500, json_schema_extra={
        "additionalProperties": False})] = {}  # a key must match patternProperties too
    gift_returns: Flag = True  # a gift's recipient may return it for credit or exchange
    non_returnable_categories: Names = []
    non_returnable_skus: Names = []
    final_sale_skus: Names = []
    final_sale_discount_percent: Percent | None = None
    auto_approve: Flag = True
    rules: Annotated[list[Rule], Field(max_length=100)] = [
        Rule(name="damaged or wrong items pay no fee, with a photo",
             when=When(reasons=["damaged", "defective", "wrong_item"]),
             then=Then(waive_fee=True, require_photo=True))]
    fraud: Fraud = Fraud()
    # Labels and the inbound parcel (docs/returns.md, "Carrier labels").
    label_carrier: Literal["none", "easypost"] = "none"
    return_address: ReturnAddress | None = None
    parcel: ParcelSize = ParcelSize()
    auto_receive_on_delivery: Flag = False
    instant_exchange: Flag = False

    @model_validator(mode="after")
    def _carrier_needs_an_address(self) -> Policy:
        if self.label_carrier != "none" and self.return_address is None:
            raise ValueError("a carrier label needs the return_address")
        if self.instant_exchange and self.label_carrier == "none":
            raise ValueError("an instant exchange needs a carrier label (label_carrier): "
                             "its order is made at the parcel's first scan")
        return self


DEFAULT = Policy()


@dataclass(frozen=True)
class OrderFacts:
    placed_at: datetime
    shipped_at: datetime | None
    delivered_at: datetime | None
    value_minor: int  # what the order cost
    country: str | None
    email: str | None = None
    postal_code: str | None = None


@dataclass(frozen=True)
class LineFacts:
    sku: str | None
    category: str | None
    returnable: int  # bought, less what earlier returns claimed
    claimed: int  # already in earlier returns
    paid_minor: int  # one unit, after its share of the order's discount
    list_price_minor: int | None  # the variant's price, when known


@dataclass(frozen=True)
class History:
    orders: int = 0
    returns: int = 0  # earlier requests, rejected ones not counted
    returns_90d: int = 0
    high_value_returns_90d: int = 0


@dataclass(frozen=True)
class Requested:
    line: LineFacts
    quantity: int
    reason: str


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str
    index: int | None = None  # the requested line it is about


@dataclass(frozen=True)
class LineDecision:
    offered: frozenset[str]
    fee_minor: int
    waived: bool
    review: tuple[str, ...]
    deadline: datetime
    photo: bool = False  # a rule asks for a photo of this line


@dataclass(frozen=True)
class Decision:
    refusal: Refusal | None
    offered: tuple[str, ...]
    value_minor: int
    fees_minor: dict[str, int]  # the request's fee for each offered resolution
    bonus_minor: int
    review: tuple[str, ...]
    deadline: datetime | None
    window_basis: str
    photo_lines: tuple[int, ...] = ()  # the requested lines a rule asks a photo of

    def fee(self, resolution: str) -> int:
        return self.fees_minor.get(resolution, 0)

    def amounts(self, resolution: str) -> tuple[int, int]:
        """(refund, credit) for a resolution; an exchange is priced by the service."""
        fee = self.fee(resolution)
        if resolution in ("refund", "keep"):
            return max(0, self.value_minor - fee), 0
        if resolution == "store_credit":
            return 0, max(0, self.value_minor + self.bonus_minor - fee)
        return 0, 0


def discount_percent(line: LineFacts) -> int:
    """How far below its list price the unit was paid for, in whole percent."""
    if not line.list_price_minor or line.paid_minor >= line.list_price_minor:
        return 0
    depth = Fraction(line.list_price_minor - line.paid_minor, line.list_price_minor)
    return int(depth * 100)


def window_start(policy: Policy, order: OrderFacts) -> tuple[datetime, str, int]:
    """Where the window counts from, which date that is, and the grace added to it."""
    if order.delivered_at is not None:
        return order.delivered_at, "delivered", 0
    grace = policy.unknown_delivery_grace_days
    if order.shipped_at is not None:
        return order.shipped_at, "shipped", grace
    return order.placed_at, "placed", grace


def matches(when: When, order: OrderFacts, item: Requested, history: History) -> bool:
    line = item.line
    checks = (
        not when.reasons or item.reason in when.reasons,
        not when.categories or line.category in when.categories,
        not when.skus or line.sku in when.skus,
        not when.countries or (order.country or "").upper() in
        {c.upper() for c in when.countries},
        when.min_discount_percent is None or discount_percent(line) >= when.min_discount_percent,
        when.min_order_value_minor is None or order.value_minor >= when.min_order_value_minor,
        when.max_order_value_minor is None or order.value_minor <= when.max_order_value_minor,
        when.min_customer_returns is None or history.returns >= when.min_customer_returns,
    )
    return all(checks)


def reasons_for(policy: Policy, category: str | None) -> list[str]:
    """The reasons a line of this product category may give."""
    if category is not None and category in policy.reasons_by_category:
        return policy.reasons_by_category[category]
    return policy.reasons


def _refusal(policy: Policy, item: Requested, index: int) -> Refusal | None:
    line = item.line
    if item.reason not in reasons_for(policy, line.category):
        return Refusal("unknown_reason", f"{item.reason!r} is not a return reason of this "
                       "store", index)
    if ((line.category is not None and line.category in policy.non_returnable_categories)
            or (line.sku is not None and line.sku in policy.non_returnable_skus)):
        return Refusal("item_not_returnable", f"{line.sku} cannot be returned", index)
    final_sale = policy.final_sale_discount_percent
    if ((line.sku is not None and line.sku in policy.final_sale_skus)
            or (final_sale is not None and discount_percent(line) >= final_sale > 0)):
        return Refusal("item_not_returnable", f"{line.sku} was a final sale", index)
    if item.quantity > line.returnable:
        if line.returnable == 0 and line.claimed > 0:
            return Refusal("already_returned", f"{line.sku} is already being returned", index)
        return Refusal("quantity_exceeds_returnable", f"at most {line.returnable} of "
                       f"{line.sku} can be returned", index)
    return None


def decide_line(policy: Policy, order: OrderFacts, item: Requested,
                history: History) -> LineDecision:
    start, _, grace = window_start(policy, order)
    offered = set(policy.resolutions)
    if "keep" in offered and item.line.paid_minor > policy.keep_max_value_minor:
        offered.discard("keep")
    fee, waived, extend, review, photo = 0, False, 0, [], False
    for rule in policy.rules:
        if not matches(rule.when, order, item, history):
            continue
        offered -= set(rule.then.remove_resolutions)
        fee += rule.then.fee_minor
        waived = waived or rule.then.waive_fee
        extend = max(extend, rule.then.extend_window_days)
        photo = photo or rule.then.require_photo
        if rule.then.review:
            review.append(f"rule: {rule.name}")
    deadline = start + timedelta(days=policy.window_days + grace + extend)
    return LineDecision(frozenset(offered), 0 if waived else fee, waived, tuple(review),
                        deadline, photo)


def _folded(text: str | None) -> str:
    return "".join((text or "").split()).casefold()


def blocked(fraud: Fraud, order: OrderFacts) -> bool:
    emails = {_folded(e) for e in fraud.blocked_emails}
    codes = {_folded(c) for c in fraud.blocked_postal_codes}
    return ((order.email is not None and _folded(order.email) in emails)
            or (order.postal_code is not None and _folded(order.postal_code) in codes))


def fraud_signals(fraud: Fraud, history: History, value_minor: int,
                  order: OrderFacts | None = None) -> list[str]:
    signals = []
    if order is not None and blocked(fraud, order):
        signals.append("fraud: blocklisted address")
    if fraud.max_returns_90d and history.returns_90d >= fraud.max_returns_90d:
        signals.append("fraud: return count")
    if (fraud.max_return_rate_percent and history.orders >= max(1, fraud.min_orders_for_rate)
            and (history.returns + 1) * 100 > fraud.max_return_rate_percent * history.orders):
        signals.append("fraud: return rate")
    if (fraud.high_value_minor and value_minor >= fraud.high_value_minor
            and history.high_value_returns_90d >= fraud.max_high_value_returns_90d):
        signals.append("fraud: serial high-value returns")
    return signals


def decide(policy: Policy, order: OrderFacts, items: Sequence[Requested], history: History,
           now: datetime) -> Decision:
    """The decision for a whole request: the first refusal, or what it may resolve to
    (the resolutions every line allows), its value, fee, bonus and review reasons."""
    basis = window_start(policy, order)[1]
    for index, item in enumerate(items):
        refused = _refusal(policy, item, index)
        if refused is not None:
            return _refused(refused, basis)
    lines = [decide_line(policy, order, item, history) for item in items]
    for index, line in enumerate(lines):
        if now > line.deadline:
            return _refused(Refusal("return_window_closed", "the return window closed on "
                                    f"{line.deadline.date().isoformat()}", index), basis)
    offered = [r for r in policy.resolutions if all(r in line.offered for line in lines)]
    value = sum(item.line.paid_minor * item.quantity for item in items)
    return Decision(None, tuple(offered), value, _fees(policy, lines, offered),
                    value * policy.store_credit_bonus_percent // 100,
                    _review(policy, order, lines, history, value),
                    min(line.deadline for line in lines), basis,
                    tuple(index for index, line in enumerate(lines) if line.photo))


def _fees(policy: Policy, lines: list[LineDecision], offered: Sequence[str]) -> dict[str, int]:
    """Per resolution: the policy's fee for it, unless every line is waived, plus the
    rules' fees of the lines not waived."""
    all_waived = all(line.waived for line in lines)
    rules_fee = sum(line.fee_minor for line in lines)
    base = {str(name): fee for name, fee in policy.fees_minor.items()}
    return {r: (0 if all_waived else base.get(r, 0)) + rules_fee for r in offered}


def _review(policy: Policy, order: OrderFacts, lines: list[LineDecision], history: History,
            value: int) -> tuple[str, ...]:
    reasons = [reason for line in lines for reason in line.review]
    reasons += fraud_signals(policy.fraud, history, value, order)
    if not policy.auto_approve:
        reasons.append("policy: every return is reviewed")
    return tuple(dict.fromkeys(reasons))


def _refused(refusal: Refusal, basis: str) -> Decision:
    return Decision(refusal, (), 0, {}, 0, (), None, basis)
