"""What the tracking page shows, as plain values: the store's brand, the parcel's
state in words, the timeline, the parcels of the order, what was bought and what
goes with it. Built from rows already loaded (see load.py), in one language and
one time zone; the template only lays it out."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from urllib.parse import quote, urlencode

from babel.numbers import format_decimal

from afterward.commerce.models import Product, Store
from afterward.loyalty import standing
from afterward.loyalty.models import LoyaltyAccount
from afterward.loyalty.program import Campaign, Program
from afterward.storage.types import utcnow
from afterward.tracking import lateness, timeline
from afterward.tracking import service as tracking
from afterward.tracking.carriers import registry
from afterward.tracking.statuses import TERMINAL, Status
from afterward.tracking.timeline import EventView
from afterward.web import i18n
from afterward.web.pages import contrast, late, words
from afterward.web.pages.language import Speaker
from afterward.web.pages.shapes import LineView, OrderView, ShipmentView, TabParcel

DEFAULT_PRIMARY, DEFAULT_ACCENT = "#1f3a5f", "#e07a1f"


@dataclass(frozen=True)
class Brand:
    name: str
    slug: str
    logo_url: str | None
    primary: str  # backgrounds: the header
    on_primary: str  # text on the primary colour: black or white
    ink: str  # the primary colour as text on white, darkened to AA when needed
    accent: str  # decoration only (borders), never text
    support_email: str | None

    @classmethod
    def of(cls, store: Store) -> Brand:
        primary = contrast.safe_colour(store.brand_primary, DEFAULT_PRIMARY)
        return cls(name=store.name, slug=store.slug, logo_url=store.logo_url,
                   primary=primary, on_primary=contrast.text_on(primary),
                   ink=contrast.readable_on(primary),
                   accent=contrast.safe_colour(store.brand_accent, DEFAULT_ACCENT),
                   support_email=store.support_email)


@dataclass(frozen=True)
class Step:
    label: str
    state: str  # done | current | problem | todo
    note: str = ""


@dataclass(frozen=True)
class TimelineEntry:
    when: str
    iso: str
    title: str
    detail: str | None
    message: str | None
    location: str | None
    problem: bool


@dataclass(frozen=True)
class Tab:
    label: str
    status: str
    carrier: str | None
    url: str
    current: bool


@dataclass(frozen=True)
class Item:
    title: str
    quantity: int
    image_url: str | None


@dataclass(frozen=True)
class Guide:
    title: str
    care: tuple[str, ...]
    howto: tuple[str, ...]


@dataclass(frozen=True)
class Suggestion:
    title: str
    image_url: str | None
    price: str


@dataclass(frozen=True)
class Parcel:
    status: str
    headline: str
    explanation: str
    detail: str | None
    problem: bool
    steps: tuple[Step, ...]
    facts: tuple[tuple[str, str], ...]  # (label, value) pairs under the headline
    estimate: str | None
    carrier: str | None
    carrier_url: str | None
    tracking_number: str | None
    events: tuple[TimelineEntry, ...]
    is_return: bool = False
    delay: late.DelayNotice | None = None  # shown instead of the estimate when late


@dataclass(frozen=True)
class TrackingPage:
    brand: Brand
    title: str
    order_number: str | None
    parcel: Parcel
    tabs: tuple[Tab, ...]
    items_heading: str
    items: tuple[Item, ...]
    guides: tuple[Guide, ...]
    suggestions: tuple[Suggestion, ...]
    return_url: str | None
    support_url: str | None
    loyalty: LoyaltyBlock | None = None
    assistant_token: str | None = None  # the parcel's token, for the assistant's chat


@dataclass(frozen=True)
class LoyaltyBlock:
    """The customer's points and what they buy, linking their loyalty page."""

    balance: str
    buys: str | None
    url: str
    campaign: str | None = None  # a bonus points campaign running or coming soon


@dataclass(frozen=True)
class LoyaltyFacts:
    """What the block is built from (read by the caller: loyalty/standing.summary)."""

    program: Program
    account: LoyaltyAccount
    url: str


@dataclass
class Rows:
    """Everything the page reads, loaded in one session."""

    store: Store
    order: OrderView | None
    shipment: ShipmentView | None
    siblings: Sequence[TabParcel]
    products: dict[int, Product]
    suggested: list[Product]
    # The ETA model's (earliest, latest) for the shipment, when the caller has one.
    window: tuple[datetime, datetime] | None = None
    # The store's program and the customer's account, when both exist.
    loyalty: LoyaltyFacts | None = None


def build(rows: Rows, say: Speaker, lang_query: str = "",
          now: datetime | None = None) -> TrackingPage:
    """The page as of `now` (default: the clock), which decides whether it is late."""
    order, shipment = rows.order, rows.shipment
    parcel = _parcel(shipment, order, say, rows.window,
                     late.verdict_for(shipment, rows.store.timezone, now or utcnow())) \
        if shipment else _unshipped(order, say)
    lines = _lines_in(shipment, order)
    number = order.number if order else None
    return TrackingPage(
        brand=Brand.of(rows.store),
        title=say.gettext("Order %(number)s", number=number) if number
        else say.gettext("Your parcel"),
        order_number=number, parcel=parcel,
        tabs=_tabs(rows.siblings, shipment, say, lang_query),
        items_heading=say.gettext("In this parcel") if shipment and shipment.lines
        else say.gettext("In your order"),
        items=tuple(_item(line, quantity, rows.products) for line, quantity in lines),
        guides=_guides([line for line, _ in lines], rows.products),
        suggestions=tuple(_suggestion(p, say) for p in rows.suggested),
        return_url=_return_url(order, shipment, rows.store),
        support_url=_support_url(rows.store, order, say),
        loyalty=_loyalty(rows.loyalty, say, now or utcnow()) if rows.loyalty else None,
        assistant_token=shipment.token if shipment is not None else None)


def _loyalty(facts: LoyaltyFacts, say: Speaker, now: datetime) -> LoyaltyBlock:
    """The balance, and the best reward it buys now, else the closest one; a bonus
    points campaign running or coming soon."""
    balance = facts.account.points_balance
    fits = [f for f in standing.fitting(facts.program, balance) if f.redeemable]
    buys = None
    if fits and fits[0].affordable:
        buys = say.gettext("Enough for %(reward)s.", reward=fits[0].reward.name)
    elif fits:
        buys = say.gettext("%(reward)s is %(points)s away.", reward=fits[0].reward.name,
                           points=points_text(say, fits[0].short_by))
    return LoyaltyBlock(say.gettext("You have %(points)s.", points=points_text(say, balance)),
                        buys, facts.url, campaign_text(say, facts.program.campaign_shown(now), now))


def campaign_text(say: Speaker, campaign: Campaign | None, now: datetime) -> str | None:
    """"Double points weekend: orders placed until Dec 14, 2026, 12:00 AM earn 2 times
    the points." (from when as well, before it starts); None without a campaign."""
    if campaign is None:
        return None
    times = format_decimal(campaign.multiplier_percent / 100,
                           locale=i18n.locale_or_default(say.code))
    if campaign.starts_at <= now:
        return say.gettext("%(name)s: orders placed until %(end)s earn %(times)s times the points.",
                           name=campaign.name, end=say.when(campaign.ends_at), times=times)
    return say.gettext(
        "%(name)s: orders placed from %(start)s until %(end)s earn %(times)s times the points.",
        name=campaign.name, start=say.when(campaign.starts_at),
        end=say.when(campaign.ends_at), times=times)


def points_text(say: Speaker, points: int) -> str:
    """"1 point", "1,200 points" (the catalogues hold no plural forms: one phrase
    for one point, one for any other number)."""
    text = format_decimal(points, locale=i18n.locale_or_default(say.code))
    if abs(points) == 1:
        return say.gettext("%(points)s point", points=text)
    return say.gettext("%(points)s points", points=text)


def _parcel(shipment: ShipmentView, order: OrderView | None, say: Speaker,
            window: tuple[datetime, datetime] | None, verdict: lateness.Lateness) -> Parcel:
    status = shipment.status
    reason = words.reason_for(status, shipment.substatus,
                              shipment.exception_reason or shipment.last_message,
                              late=verdict.late)
    detail = words.detail(status, reason)
    delay = late.notice(verdict, say)
    return Parcel(
        status=status, headline=say.gettext(words.headline(status, reason)),
        explanation=say.gettext(words.EXPLANATIONS.get(status, words.EXPLANATIONS["in_transit"])),
        detail=say.gettext(detail) if detail else None, problem=words.is_problem(status),
        steps=_steps(status, order, shipment, say), facts=_facts(shipment, order, say),
        estimate=None if delay else _estimate(shipment, say, window),
        carrier=registry.display_name(shipment.carrier),
        carrier_url=registry.tracking_url(shipment.carrier, shipment.tracking_number),
        tracking_number=shipment.tracking_number,
        events=tuple(_entry(e, say) for e in reversed(timeline.ordered(shipment.events))),
        is_return=shipment.direction == "return", delay=delay)


def _unshipped(order: OrderView | None, say: Speaker) -> Parcel:
    status = Status.cancelled if order and order.status == "cancelled" else Status.pending
    return Parcel(
        status=status, headline=say.gettext(words.LABELS[status]),
        explanation=say.gettext(words.EXPLANATIONS[status]), detail=None,
        problem=words.is_problem(status), steps=_steps(status, order, None, say),
        facts=_destination(order, say), estimate=None, carrier=None, carrier_url=None,
        tracking_number=None, events=())


def _steps(status: str, order: OrderView | None, shipment: ShipmentView | None,
           say: Speaker) -> tuple[Step, ...]:
    reached = words.stage_of(status)
    problem = words.is_problem(status)
    notes = {0: say.day(order.placed_at) if order else "",
             1: say.day(shipment.shipped_at) if shipment and shipment.shipped_at else "",
             4: say.day(shipment.delivered_at) if shipment and shipment.delivered_at else ""}
    steps = []
    for index, label in enumerate(words.STAGES):
        if index < reached or (index == reached and status == Status.delivered):
            state = "done"
        elif index == reached:
            state = "problem" if problem else "current"
        else:
            state = "todo"
        steps.append(Step(say.gettext(label), state, notes.get(index, "") if state != "todo"
                          else ""))
    return tuple(steps)


def _facts(shipment: ShipmentView, order: OrderView | None,
           say: Speaker) -> tuple[tuple[str, str], ...]:
    facts: list[tuple[str, str]] = []
    if shipment.status == Status.delivered and shipment.delivered_at:
        facts.append((say.gettext("Delivered on"), say.when(shipment.delivered_at)))
        if shipment.signed_by:
            facts.append((say.gettext("Signed for by"), shipment.signed_by))
    if shipment.status == Status.available_for_pickup and shipment.last_location:
        facts.append((say.gettext("Pickup point"), shipment.last_location))
    elif shipment.status != Status.delivered and shipment.last_location:
        facts.append((say.gettext("Last seen"), shipment.last_location))
    return (*facts, *_destination(order, say))


def _destination(order: OrderView | None, say: Speaker) -> tuple[tuple[str, str], ...]:
    if order is None or not (order.ship_city or order.ship_country):
        return ()
    country = i18n.locale_or_default(say.code).territories.get(order.ship_country or "")
    place = ", ".join(p for p in (order.ship_city, country or order.ship_country) if p)
    return ((say.gettext("Shipping to"), place),)


def _estimate(shipment: ShipmentView, say: Speaker,
              window: tuple[datetime, datetime] | None) -> str | None:
    """The delivery window in the shopper's words, only from what we were given:
    the ETA model's window, the store's promise, or the carrier's own estimate."""
    if shipment.status in TERMINAL or shipment.status == Status.available_for_pickup:
        return None
    earliest, latest = window or (shipment.eta_earliest, shipment.eta_latest)
    if earliest is not None and latest is not None:
        return say.gettext("Estimated delivery: %(window)s",
                           window=say.window(earliest, latest))
    if shipment.promised_at:
        return say.gettext("Expected by %(date)s", date=say.day(shipment.promised_at))
    if shipment.carrier_estimated_at:
        return say.gettext("The carrier expects to deliver on %(date)s",
                           date=say.day(shipment.carrier_estimated_at))
    return None


def _entry(event: EventView, say: Speaker) -> TimelineEntry:
    reason = words.reason_for(event.status, event.substatus, event.message)
    detail = words.detail(event.status, reason)
    return TimelineEntry(
        when=say.when(event.occurred_at), iso=say.iso(event.occurred_at),
        title=say.gettext(words.headline(event.status, reason)),
        detail=say.gettext(detail) if detail else None, message=event.message,
        location=event.location, problem=words.is_problem(event.status))


def _tabs(siblings: Sequence[TabParcel], shipment: ShipmentView | None, say: Speaker,
          lang_query: str) -> tuple[Tab, ...]:
    if len(siblings) < 2:
        return ()
    tabs, outbound = [], 0
    for sibling in siblings:
        if sibling.direction == "return":
            label = say.gettext("Return parcel")
        else:
            outbound += 1
            label = say.gettext("Parcel %(num)s", num=outbound)
        reason = words.reason_for(sibling.status, sibling.substatus, sibling.exception_reason)
        tabs.append(Tab(label=label, status=say.gettext(words.headline(sibling.status, reason)),
                        carrier=registry.display_name(sibling.carrier),
                        url=tracking.tracking_path(sibling) + lang_query,
                        current=shipment is not None and sibling.id == shipment.id))
    return tuple(tabs)


def _lines_in(shipment: ShipmentView | None,
              order: OrderView | None) -> list[tuple[LineView, int]]:
    if order is None:
        return []
    if shipment is not None and shipment.lines:
        by_id = {line.id: line for line in order.lines}
        return [(by_id[sl.order_line_id], sl.quantity) for sl in shipment.lines
                if sl.order_line_id in by_id]
    return [(line, line.quantity) for line in order.lines]


def _item(line: LineView, quantity: int, products: dict[int, Product]) -> Item:
    product = products.get(line.product_id) if line.product_id else None
    return Item(title=line.title, quantity=quantity, image_url=_image(product, line.variant_id))


def _image(product: Product | None, variant_id: int | None = None) -> str | None:
    if product is None:
        return None
    variant = next((v for v in product.variants if v.id == variant_id), None)
    return (variant.image_url if variant else None) or product.image_url or \
        f"/media/products/{product.id}.svg"


def _paragraphs(text: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in re.split(r"\n\s*\n|\r\n\s*\r\n|\n", text or "")
                 if p.strip())


def _guides(lines: list[LineView], products: dict[int, Product]) -> tuple[Guide, ...]:
    """Care and how-to for what the page lists, each product once."""
    guides, seen = [], set()
    for line in lines:
        product = products.get(line.product_id) if line.product_id else None
        if product is None or product.id in seen:
            continue
        seen.add(product.id)
        care, howto = _paragraphs(product.care_content), _paragraphs(product.howto_content)
        if care or howto:
            guides.append(Guide(product.title, care, howto))
    return tuple(guides)


def _suggestion(product: Product, say: Speaker) -> Suggestion:
    variant = min(product.variants, key=lambda v: v.price_minor, default=None)
    price = _money(variant.price_minor, variant.currency, say.code) if variant else ""
    return Suggestion(title=product.title, image_url=_image(product), price=price)


@lru_cache(maxsize=4096)
def _money(minor: int, currency: str, code: str) -> str:
    """Babel's currency formatting is slow and the same few prices recur on every page."""
    return i18n.money(minor, currency, code)


def _return_url(order: OrderView | None, shipment: ShipmentView | None,
                store: Store) -> str | None:
    """The returns portal for this order: through the parcel's own token (the email
    address never goes in a URL), or the portal's lookup with the order number."""
    if order is None:
        return None
    if shipment is not None:
        return f"/returns/from/{shipment.token}"
    return "/returns?" + urlencode({"order_number": order.number, "store": store.slug})


def _support_url(store: Store, order: OrderView | None, say: Speaker) -> str | None:
    if not store.support_email:
        return None
    subject = say.gettext("Order %(number)s", number=order.number) if order \
        else say.gettext("My parcel")
    return f"mailto:{store.support_email}?subject={quote(subject)}"
