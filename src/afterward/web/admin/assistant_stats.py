"""What the assistant saves (/admin/conversations/stats): contacts per 100 orders, the
share of conversations answered without a person, and what shoppers asked, week by
week (assistant/stats.py), with the charts as server-side SVG (insight_charts.py) and
every figure also as text. `panel` gives the insights page its small summary."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.responses import Response

from afterward.assistant import stats
from afterward.commerce.sales import local_midnight
from afterward.modules import N_
from afterward.storage.db import Database
from afterward.storage.types import utcnow
from afterward.web.admin import display
from afterward.web.admin.charts import day_label
from afterward.web.admin.context import Admin, StoreView, current_store, store_admin
from afterward.web.admin.insight_charts import Bar, HeatRow, columns, heatmap
from afterward.web.admin.pages import AdminRoute, PageError, render, speaker

router = APIRouter(prefix="/admin", route_class=AdminRoute, include_in_schema=False)
WEEKS = (4, 12, 26)
DEFAULT_WEEKS = 12
INTENT_LABELS: dict[str, str] = {
    "where_is_my_order": N_("Where is my order"), "delivery_date": N_("Delivery date"),
    "start_return": N_("Start a return"), "refund_status": N_("Refund status"),
    "return_policy": N_("Return policy"), "cancel_order": N_("Cancel the order"),
    "change_address": N_("Change the address"), "complaint": N_("Complaint"),
    "leave_review": N_("Leave a review"), "loyalty_points": N_("Loyalty points"),
    "talk_to_person": N_("Talk to a person"), "email_preferences": N_("Email preferences"),
    "other": N_("Something else"),
}


@dataclass(frozen=True)
class Figures:
    """A period's figures, written in the store's locale ("—" where there is none)."""

    conversations: str
    orders: str
    per_100_orders: str
    without_person_share: str
    without_person: str
    handed_off: str


def figures(found: stats.Savings, locale: str | None) -> Figures:
    return Figures(display.number(found.conversations, locale),
                   display.number(found.orders, locale),
                   display.number(found.per_100_orders, locale),
                   display.percent(found.without_person_share, locale),
                   display.number(found.without_person, locale),
                   display.number(found.handed_off, locale))


def weeks_period(now: datetime, weeks: int, timezone: str) -> tuple[datetime, datetime]:
    """From the local Monday `weeks - 1` weeks before this one, until now."""
    zone = ZoneInfo(timezone)
    first = stats.monday(now.astimezone(zone).date()) - timedelta(weeks=weeks - 1)
    return local_midnight(first, zone), now


def savings_of(session: Session, store: StoreView, start: datetime,
               end: datetime) -> stats.Savings:
    return stats.savings(session, store_id=store.id, start=start, end=end,
                         timezone=store.timezone)


def panel(session: Session, store: StoreView, days: int, now: datetime) -> Figures:
    """The insights page's summary of the assistant over its period (the last `days`)."""
    return figures(savings_of(session, store, now - timedelta(days=days), now), store.locale)


def _charts(found: stats.Savings, locale: str | None,
            _: Callable[..., str]) -> tuple[Markup, Markup]:
    labels = [day_label(week.start, locale, "Md") for week in found.weeks]  # 9/14, 14.9.
    bars = [Bar(label, week.per_100_orders, display.number(week.per_100_orders, locale))
            for label, week in zip(labels, found.weeks, strict=True)]
    contacts = columns(bars, chart_id="contacts-chart", bar_w=44.0,
                       title=_("Contacts per 100 orders, by week"))
    rows = []
    for intent, total in found.intents.items():
        if not total:
            continue
        cells = []
        for week in found.weeks:
            messages = sum(week.intents.values())
            n = week.intents[intent]
            cells.append((n / messages if messages else None, display.number(n, locale)))
        rows.append(HeatRow(_(INTENT_LABELS[intent]), display.number(total, locale), cells))
    chart = heatmap(rows, labels, chart_id="intents-chart", corner=_("Messages"),
                    title=_("What shoppers asked, by week: each intent's share of the "
                            "week's messages"), label_w=120.0, named_columns=True)
    return contacts, chart


def _weeks(weeks: str) -> int:
    if not weeks.isdigit() or int(weeks) not in WEEKS:
        raise PageError(400, "bad_request")
    return int(weeks)


@router.get("/conversations/stats")
def stats_page(request: Request, admin: Admin = Depends(store_admin),
               weeks: Annotated[str, Query(max_length=4)] = str(DEFAULT_WEEKS)) -> Response:
    store = current_store(admin)
    count = _weeks(weeks)
    start, end = weeks_period(utcnow(), count, store.timezone)
    db: Database = request.app.state.db
    with db.reading() as s:
        found = savings_of(s, store, start, end)
    say = speaker(request, store).gettext
    contacts, asked = _charts(found, store.locale, say)
    rows: list[dict[str, Any]] = [{
        "week": day_label(week.start, store.locale, "yMMMd"),
        "orders": display.number(week.orders, store.locale),
        "conversations": display.number(week.conversations, store.locale),
        "per_100_orders": display.number(week.per_100_orders, store.locale),
        "without_person": display.percent(
            week.without_person / week.conversations if week.conversations else None,
            store.locale)} for week in found.weeks]
    return render(request, "admin/assistant_stats.html", {
        "admin": admin, "store": store, "section": "conversations", "weeks": count,
        "periods": WEEKS, "figures": figures(found, store.locale), "rows": rows,
        "contacts_chart": contacts, "intents_chart": asked, "any": found.conversations > 0,
        "intents": [(INTENT_LABELS[i], display.number(n, store.locale))
                    for i, n in found.intents.items()],
        "since": day_label(found.weeks[0].start, store.locale, "yMMMd")})
