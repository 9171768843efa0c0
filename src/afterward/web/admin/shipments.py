"""Shipments: a filtered list (the "problems" view merchants ask for), counts per
status, and the on-time rate per carrier and per lane, for the current store."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session
from starlette.responses import Response

from afterward.commerce.models import Order
from afterward.storage.db import Database
from afterward.storage.types import utcnow
from afterward.tracking import stats
from afterward.tracking.models import Shipment
from afterward.tracking.service import normalize_tracking_number
from afterward.tracking.statuses import Status
from afterward.web.admin.context import Admin, current_store, store_admin
from afterward.web.admin.display import carrier_label, percent
from afterward.web.admin.pages import AdminRoute, render

router = APIRouter(prefix="/admin", route_class=AdminRoute, include_in_schema=False)

PAGE_SIZE = 25
SHOW = {"all": "All shipments", "problems": "Problems", "delayed": "Delayed",
        "stalled": "Stalled", "exception": "Exceptions"}
PERIODS = {"30": ("Last 30 days", 30), "90": ("Last 90 days", 90),
           "365": ("Last 12 months", 365), "all": ("All time", None)}
DEFAULT_PERIOD = "90"
_CARRIER = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
Param = Annotated[str, Query(max_length=200)]


class BadFilter(Exception):
    pass


@dataclass(frozen=True)
class Filters:
    q: str = ""
    status: str = ""
    carrier: str = ""
    show: str = "all"
    period: str = DEFAULT_PERIOD
    before: int | None = None

    def url(self, **changes: Any) -> str:
        chosen = replace(self, **changes)
        defaults = Filters()
        query = {name: value for name in ("q", "status", "carrier", "show", "period", "before")
                 if (value := getattr(chosen, name)) not in (None, getattr(defaults, name))}
        return "/admin/shipments" + (f"?{urlencode(query)}" if query else "")

    @property
    def narrowed(self) -> bool:
        return bool(self.q or self.status or self.carrier or self.show != "all")


def parse_filters(*, q: str, status: str, carrier: str, show: str, period: str,
                  before: str) -> Filters:
    """The query string as filters, or BadFilter with a sentence for the page."""
    status, carrier = status.strip(), carrier.strip().lower()
    if status and status not in {s.value for s in Status}:
        raise BadFilter(f"There is no shipment status “{status}”. Pick one from the list.")
    if carrier and not _CARRIER.fullmatch(carrier):
        raise BadFilter("A carrier code has up to 32 letters, digits, dashes or underscores.")
    if (show or "all") not in SHOW:
        raise BadFilter(f"“{show}” is not a view of this list. Pick one from the list.")
    if (period or DEFAULT_PERIOD) not in PERIODS:
        raise BadFilter("The on-time period must be 30, 90 or 365 days, or all time.")
    if before and not (before.isdecimal() and len(before) < 19 and int(before) > 0):
        raise BadFilter("That page link is not valid. Start again from the first page.")
    return Filters(q=q.strip(), status=status, carrier=carrier, show=show or "all",
                   period=period or DEFAULT_PERIOD, before=int(before) if before else None)


@dataclass(frozen=True)
class ShipmentRow:
    id: int
    order_id: int | None
    order_number: str | None
    tracking_number: str | None
    carrier: str | None
    service: str | None
    direction: str
    status: str
    last_event_at: datetime | None
    last_message: str | None
    last_location: str | None
    promised_at: datetime | None
    exception_reason: str | None
    origin_region: str | None
    destination_region: str | None
    delayed: bool
    stalled: bool

    @property
    def carrier_name(self) -> str:
        return carrier_label(self.carrier) if self.carrier else "—"

    @property
    def lane(self) -> str | None:
        if not (self.origin_region or self.destination_region):
            return None
        return f"{self.origin_region or '?'} → {self.destination_region or '?'}"


# The order's id from the join (scoped to the store), never the shipment's bare reference.
_COLUMNS = (Shipment.id, Order.id.label("order_id"), Order.number.label("order_number"),
            Shipment.tracking_number,
            Shipment.carrier, Shipment.service, Shipment.direction, Shipment.status,
            Shipment.last_event_at, Shipment.last_message, Shipment.last_location,
            Shipment.promised_at, Shipment.exception_reason, Shipment.origin_region,
            Shipment.destination_region)


def list_rows(session: Session, *, store_id: int, filters: Filters,
              now: datetime) -> tuple[list[ShipmentRow], int | None]:
    """One page, newest first, and the `before` of the next page (None on the last)."""
    stmt = (select(*_COLUMNS, stats.delayed(now).label("delayed"),
                   stats.stalled(now).label("stalled"))
            .outerjoin(Order, and_(Order.id == Shipment.order_id, Order.store_id == store_id))
            .where(Shipment.store_id == store_id, *_conditions(filters, now))
            .order_by(Shipment.id.desc()).limit(PAGE_SIZE + 1))
    rows = [ShipmentRow(**{**row._mapping, "delayed": bool(row.delayed),
                           "stalled": bool(row.stalled)}) for row in session.execute(stmt)]
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return rows, rows[-1].id if more else None


def _conditions(f: Filters, now: datetime) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if f.status:
        conditions.append(Shipment.status == f.status)
    if f.carrier:
        conditions.append(Shipment.carrier == f.carrier)
    if f.show == "problems":
        conditions.append(stats.problems(now))
    elif f.show == "delayed":
        conditions.append(stats.delayed(now))
    elif f.show == "stalled":
        conditions.append(stats.stalled(now))
    elif f.show == "exception":
        conditions.append(Shipment.status == Status.exception.value)
    if f.q:
        conditions.append(_search(f.q))
    if f.before is not None:
        conditions.append(Shipment.id < f.before)
    return conditions


def _search(text: str) -> ColumnElement[bool]:
    """A tracking number (whole, or its first characters) or an order number."""
    number = normalize_tracking_number(text)
    order = text.strip().lstrip("#")
    matches = [Shipment.tracking_number == number, Order.number == order,
               Order.number == f"#{order}"]
    if len(number) >= 4:
        matches.append(Shipment.tracking_number.startswith(number, autoescape=True))
    return or_(*matches)


def carriers_in_use(session: Session, *, store_id: int) -> list[tuple[str, str]]:
    codes = session.scalars(select(Shipment.carrier).distinct().where(
        Shipment.store_id == store_id, Shipment.carrier.is_not(None)).order_by(Shipment.carrier))
    return [(code, carrier_label(code)) for code in codes if code]


@dataclass(frozen=True)
class Bar:
    label: str
    rate: float | None
    text: str


def bars(rows: list[stats.OnTime], label: Callable[[str], str], locale: str) -> list[Bar]:
    return [Bar(label(row.key), row.rate, percent(row.rate, locale)) for row in rows]


@router.get("/shipments")
def shipment_list(request: Request, admin: Admin = Depends(store_admin), q: Param = "",
                  status: Param = "", carrier: Param = "", show: Param = "",
                  period: Param = "", before: Param = "") -> Response:
    store = current_store(admin)
    problem = None
    try:
        filters = parse_filters(q=q, status=status, carrier=carrier, show=show, period=period,
                                before=before)
    except BadFilter as exc:
        filters, problem = Filters(), str(exc)
    now = utcnow()
    days = PERIODS[filters.period][1]
    since = now - timedelta(days=days) if days else None
    db: Database = request.app.state.db
    with db.reading() as s:
        rows, next_before = ([], None) if problem else list_rows(
            s, store_id=store.id, filters=filters, now=now)
        counts = stats.status_counts(s, store_id=store.id, now=now)
        by_carrier = stats.on_time_by_carrier(s, store_id=store.id, since=since)
        by_lane = stats.on_time_by_lane(s, store_id=store.id, since=since)
        carriers = carriers_in_use(s, store_id=store.id)
    return render(request, "admin/shipments.html", {
        "admin": admin, "store": store, "section": "shipments", "rows": rows,
        "filters": filters, "problem": problem, "next_before": next_before, "counts": counts,
        "carriers": carriers, "statuses": [s.value for s in Status], "show_options": SHOW,
        "periods": PERIODS, "by_carrier": by_carrier, "by_lane": by_lane,
        "carrier_bars": bars(by_carrier, carrier_label, store.locale),
        "lane_bars": bars(by_lane, str, store.locale), "carrier_name": carrier_label,
        "stalled_days": stats.STALLED_AFTER.days}, status=400 if problem else 200)
