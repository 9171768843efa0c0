"""Return analytics (afterward.returns.analytics) for the last 30, 90 or 365 days:
return rates by product, category and reason, how returns were resolved, the revenue
kept, the time to resolution, and one product's comments side by side. The figures
come from the domain; this page writes them and draws them as inline SVG bars."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from afterward.returns import analytics
from afterward.storage.db import Database
from afterward.storage.types import utcnow
from afterward.web.admin.context import Admin, current_store, store_admin
from afterward.web.admin.display import number, percent
from afterward.web.admin.pages import AdminRoute, PageError, render

router = APIRouter(prefix="/admin", route_class=AdminRoute, include_in_schema=False)
PERIODS = {"30": "Last 30 days", "90": "Last 90 days", "365": "Last 12 months"}
DEFAULT_PERIOD = "90"
TOP = 15


@dataclass(frozen=True)
class Bar:
    label: str
    text: str
    rate: float | None  # the bar's length, 0 to 1


def rate_bars(rates: list[analytics.Rate], locale: str | None) -> list[Bar]:
    return [Bar(r.label, f"{percent(r.rate, locale) if r.rate is not None else '—'} "
                         f"({number(r.returned, locale)} of {number(r.sold, locale)})",
                min(1.0, r.rate) if r.rate is not None else None) for r in rates[:TOP]]


def count_bars(rates: list[analytics.Rate], locale: str | None) -> list[Bar]:
    most = max((r.returned for r in rates), default=0)
    return [Bar(r.label.capitalize(),
                f"{number(r.returned, locale)} unit{'' if r.returned == 1 else 's'}",
                r.returned / most if most else None) for r in rates[:TOP]]


def share_bars(shares: list[analytics.Share], locale: str | None) -> list[Bar]:
    return [Bar(s.key.replace("_", " ").capitalize(),
                f"{percent(s.share, locale)} ({number(s.count, locale)})", s.share)
            for s in shares]


def hours_text(hours: float | None) -> str:
    if hours is None:
        return "—"
    if hours < 1:
        return f"{round(hours * 60)} minutes"
    return f"{hours / 24:.1f} days" if hours >= 48 else f"{hours:.1f} hours"


@router.get("/returns/analytics")
def analytics_page(request: Request, admin: Admin = Depends(store_admin),
                   days: Annotated[str, Query(max_length=8)] = DEFAULT_PERIOD,
                   product: Annotated[int | None, Query(ge=1, le=2**62)] = None) -> Response:
    store = current_store(admin)
    if days not in PERIODS:
        raise PageError(400, "bad_request")
    until = utcnow()
    since = until - timedelta(days=int(days))
    db: Database = request.app.state.db
    with db.reading() as s:
        report = analytics.report(s, store_id=store.id, since=since, until=until)
        products = analytics.returned_products(s, store_id=store.id)
        comments = (analytics.product_comments(s, store_id=store.id, product_id=product,
                                               since=since, until=until)
                    if product else [])
    locale = store.locale
    return render(request, "admin/returns_analytics.html", {
        "admin": admin, "store": store, "report": report, "days": days, "periods": PERIODS,
        "product_bars": rate_bars(report.by_product, locale),
        "category_bars": rate_bars(report.by_category, locale),
        "reason_bars": count_bars(report.by_reason, locale),
        "resolution_bars": share_bars(report.resolutions, locale),
        "median": hours_text(report.time_to_resolution.median_hours),
        "p90": hours_text(report.time_to_resolution.p90_hours),
        "products": products, "product": product,
        "product_title": dict(products).get(product or 0, ""), "comments": comments,
        "section": "returns"})
