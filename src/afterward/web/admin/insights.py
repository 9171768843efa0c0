"""Cohorts and KPIs (/admin/insights) and what each program earns
(/admin/insights/programs), with each table as CSV. The figures come from
afterward.insights (dashboard.py, kpis.py, programs.py); this module writes them,
draws them as inline SVG and serves the downloads. `afterward insights report` renders
the same views into one self-contained file (`report_html`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from afterward.insights import dashboard, exports, programs
from afterward.storage.db import Database
from afterward.storage.types import utcnow
from afterward.web.admin import assistant_stats, renewal_views
from afterward.web.admin import insight_views as views
from afterward.web.admin.context import Admin, StoreView, current_store, store_admin
from afterward.web.admin.pages import AdminRoute, PageError, render, speaker, templates
from afterward.web.pages.language import Speaker, html_lang, supported

router = APIRouter(prefix="/admin", route_class=AdminRoute, include_in_schema=False)
STATIC = Path(__file__).resolve().parent.parent / "static"
REPORT_CSS = ("base.css", "admin.css", "insights.css")


def _days(days: str) -> int:
    if not days.isdigit() or int(days) not in dashboard.PERIODS:
        raise PageError(400, "bad_request")
    return int(days)


def _window(window: str) -> int:
    if not window.isdigit() or int(window) not in programs.WINDOWS:
        raise PageError(400, "bad_request")
    return int(window)


def overview_of(session: Session, store: StoreView, days: int, now: datetime
                ) -> dashboard.Overview:
    return dashboard.overview(session, store_id=store.id, currency=store.currency,
                              timezone=store.timezone, days=days, now=now)


def overview_context(overview: dashboard.Overview, store: StoreView,
                     _: Callable[..., str]) -> dict[str, Any]:
    """What admin/insights.html and the report show of the overview."""
    write = views.Writer(store.locale, store.currency)
    titles = {key: _("%(kpi)s per month, last 12 months", kpi=_(label))
              for key, label in views.LABELS.items()}
    return {
        "overview": overview, "days": overview.days, "periods": dashboard.PERIODS,
        "kpi_rows": views.kpi_rows(overview, write),
        "month_rows": views.month_table(overview, write),
        "month_charts": views.month_charts(overview, write, titles),
        "labels": views.LABELS, "kpi_keys": list(views.LABELS),
        "cohort_rows": views.cohort_rows(overview, write),
        "cohort_chart": views.cohort_chart(
            overview, write, title=_("Share of each month's new customers who ordered "
                                     "again, by months since their first order"),
            corner=_("Customers")),
        "clv": views.clv_view(overview, write, title=_("Customers by lifetime value")),
        "period_start": overview.comparison.current.since,
        "previous_start": overview.comparison.previous.since,
    }


def programs_context(found: list[programs.Program], store: StoreView, window: int,
                     _: Callable[..., str]) -> dict[str, Any]:
    write = views.Writer(store.locale, store.currency)
    return {"programs": views.program_rows(found, write), "window": window,
            "windows": programs.WINDOWS,
            "programs_chart": views.programs_chart(
                found, write, title=_("Incremental revenue per customer, with its %(level)s "
                                      "interval", level="95%"))}


def _say(request: Request, store: StoreView) -> Callable[..., str]:
    return speaker(request, store).gettext


@router.get("/insights")
def insights_page(request: Request, admin: Admin = Depends(store_admin),
                  days: Annotated[str, Query(max_length=8)] = str(dashboard.DEFAULT_PERIOD)
                  ) -> Response:
    store = current_store(admin)
    period = _days(days)
    db: Database = request.app.state.db
    now = utcnow()
    with db.reading() as s:
        overview = overview_of(s, store, period, now)
        assistant = assistant_stats.panel(s, store, period, now)
        renewals = renewal_views.renewals_at_risk(s, store_id=store.id, locale=store.locale,
                                                  today=now.date())
    return render(request, "admin/insights.html", {
        "admin": admin, "store": store, "section": "insights", "assistant": assistant,
        "renewals": renewals, "renewals_ahead": renewal_views.DAYS_AHEAD,
        "renewals_behind": renewal_views.DAYS_BEHIND,
        "renewals_threshold": renewal_views.threshold(store.locale),
        **overview_context(overview, store, _say(request, store))})


@router.get("/insights/programs")
def programs_page(request: Request, admin: Admin = Depends(store_admin),
                  window: Annotated[str, Query(max_length=8)] = str(programs.DEFAULT_WINDOW)
                  ) -> Response:
    store = current_store(admin)
    days = _window(window)
    db: Database = request.app.state.db
    with db.reading() as s:
        found = programs.programs(s, store_id=store.id, window_days=days, now=utcnow())
    return render(request, "admin/insights_programs.html", {
        "admin": admin, "store": store, "section": "programs",
        **programs_context(found, store, days, _say(request, store))})


def _download(text: str, name: str) -> Response:
    return Response(text, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


def _table(request: Request, admin: Admin, days: str,
           write: Callable[[dashboard.Overview], str], name: str) -> Response:
    store = current_store(admin)
    period = _days(days)
    db: Database = request.app.state.db
    with db.reading() as s:
        overview = overview_of(s, store, period, utcnow())
    return _download(write(overview), f"{store.slug}-{name}.csv")


@router.get("/insights/kpis.csv")
def kpis_csv(request: Request, admin: Admin = Depends(store_admin),
             days: Annotated[str, Query(max_length=8)] = str(dashboard.DEFAULT_PERIOD)
             ) -> Response:
    return _table(request, admin, days, exports.kpis_csv, f"kpis-{days}d")


@router.get("/insights/months.csv")
def months_csv(request: Request, admin: Admin = Depends(store_admin)) -> Response:
    return _table(request, admin, str(dashboard.DEFAULT_PERIOD), exports.months_csv, "months")


@router.get("/insights/cohorts.csv")
def cohorts_csv(request: Request, admin: Admin = Depends(store_admin)) -> Response:
    return _table(request, admin, str(dashboard.DEFAULT_PERIOD), exports.cohorts_csv,
                  "cohorts")


@router.get("/insights/clv.csv")
def clv_csv(request: Request, admin: Admin = Depends(store_admin)) -> Response:
    return _table(request, admin, str(dashboard.DEFAULT_PERIOD), exports.clv_csv, "clv")


@router.get("/insights/programs.csv")
def programs_csv(request: Request, admin: Admin = Depends(store_admin),
                 window: Annotated[str, Query(max_length=8)] = str(programs.DEFAULT_WINDOW)
                 ) -> Response:
    store = current_store(admin)
    days = _window(window)
    db: Database = request.app.state.db
    with db.reading() as s:
        found = programs.programs(s, store_id=store.id, window_days=days, now=utcnow(),
                                  with_history=False)
    return _download(exports.programs_csv(found), f"{store.slug}-programs-{days}d.csv")


def report_html(session: Session, store: StoreView, *, days: int, now: datetime,
                window: int = programs.DEFAULT_WINDOW) -> str:
    """The whole report, one HTML file: its CSS inline, its charts inline SVG, no
    script and nothing fetched from anywhere. Words in the store's language."""
    code = supported(store.locale) or "en"
    say = Speaker(code, store.timezone)
    overview = overview_of(session, store, days, now)
    found = programs.programs(session, store_id=store.id, window_days=window, now=now)
    css = "\n".join((STATIC / name).read_text(encoding="utf-8") for name in REPORT_CSS)
    template = templates().env.get_template("admin/insights_report.html")
    return template.render({
        "admin": None, "store": store, "_": say.gettext, "ngettext": say.ngettext,
        "lang": html_lang(code), "css": css, "generated_at": now,
        **overview_context(overview, store, say.gettext),
        **programs_context(found, store, window, say.gettext)})
