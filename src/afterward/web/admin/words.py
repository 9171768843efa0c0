"""What customers say (/admin/insights/words): the themes of the store's latest run
(insights/words.py) -- key phrases, volume, average sentiment, a trend of texts per
month drawn as inline SVG bars (no script), the products a theme touches most and
typical texts; `?sku=` shows one product's: the themes of its own texts where it had enough of them,
else the store's themes that touch it. The run itself happens
nightly or by `afterward insights words --store S`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from babel.dates import format_skeleton
from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.responses import Response

from afterward.insights import words
from afterward.insights.models import TextSentiment
from afterward.storage.db import Database
from afterward.storage.types import utcnow
from afterward.web import i18n
from afterward.web.admin.context import Admin, current_store, store_admin, store_csrf_checked
from afterward.web.admin.pages import AdminRoute, redirect, render

router = APIRouter(prefix="/admin", route_class=AdminRoute, include_in_schema=False)
TREND_MONTHS = 12
POSITIVE = 0.25  # an average above: positive; below -POSITIVE: negative; else mixed


@dataclass(frozen=True)
class Month:
    key: str  # "2026-03"
    count: int
    height: float  # 0 to 1 of the tallest month
    label: str = ""  # "Mar" in the store's locale


@dataclass(frozen=True)
class ThemeView:
    label: str
    phrases: list[str]
    size: int
    sentiment: float
    tone: str  # "positive", "mixed", "negative"
    months: list[Month]
    examples: list[dict[str, Any]]
    products: list[dict[str, Any]]
    product_count: int | None  # with ?sku=: this theme's texts about that product


def tone(score: float) -> str:
    return "positive" if score > POSITIVE else "negative" if score < -POSITIVE else "mixed"


def last_months(today: date, count: int = TREND_MONTHS) -> list[str]:
    """The `count` months up to this one, oldest first ("2026-01", ...)."""
    year, month = today.year, today.month
    keys = []
    for _ in range(count):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return keys[::-1]


def trend(months: dict[str, int], today: date, locale: str | None = None) -> list[Month]:
    keys = last_months(today)
    counts = [int(months.get(key, 0)) for key in keys]
    most = max(counts, default=0)
    where = i18n.locale_or_default(locale)
    return [Month(key, n, n / most if most else 0.0,
                  format_skeleton("MMM", date(int(key[:4]), int(key[5:]), 1), locale=where))
            for key, n in zip(keys, counts, strict=True)]


@router.get("/insights/words")
def words_page(request: Request, admin: Admin = Depends(store_admin),
               sku: Annotated[str | None, Query(max_length=100)] = None,
               queued: Annotated[str | None, Query(max_length=1)] = None) -> Response:
    store = current_store(admin)
    sku = (sku or "").strip() or None
    db: Database = request.app.state.db
    with db.reading() as s:
        run, themes = words.latest(s, store.id)
        pending = words.pending(s, store.id)
        product = None
        own: list[Any] = []
        if sku is not None:
            own = words.latest(s, store.id, sku=sku)[1]
            product = s.execute(select(func.count(), func.avg(TextSentiment.score))
                                .where(TextSentiment.store_id == store.id,
                                       TextSentiment.sku == sku)).one()
    today = utcnow().date()
    views = []
    for theme in own or themes:
        count = (theme.size if own else
                 next((p["count"] for p in theme.products if p.get("sku") == sku), None))
        if sku is not None and count is None:
            continue
        views.append(ThemeView(theme.label, list(theme.phrases), theme.size,
                               theme.sentiment, tone(theme.sentiment),
                               trend(theme.months, today, store.locale),
                               list(theme.examples),
                               list(theme.products), count))
    return render(request, "admin/words.html", {
        "admin": admin, "store": store, "run": run, "themes": views, "sku": sku,
        "pending": pending, "queued": queued == "1", "own": bool(own),
        "product": ({"texts": int(product[0]), "sentiment": product[1]}
                    if product is not None else None),
        "section": "words"})


@router.post("/insights/words/recompute")
def recompute_now(request: Request, admin: Admin = Depends(store_csrf_checked)) -> Response:
    """Ask for a recompute now (the worker runs it); one job however many clicks."""
    store = current_store(admin)
    db: Database = request.app.state.db

    def work(s: Session) -> None:
        words.request(s, store.id)

    db.run(work)
    return redirect("/admin/insights/words?queued=1")
