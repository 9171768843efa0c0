"""Surveys in the admin: the results of a period (NPS, CSAT and the delivery survey;
NPS and CSAT week by week as inline SVG bars, like the loyalty overview) with the
comments behind them, and the detractor inbox: each alert with its customer, order,
score and comment beside it, closed by a team member (feedback/detractors.close: a
second click changes nothing)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from afterward.commerce.models import Customer, Order, full_name
from afterward.feedback import detractors, survey_results
from afterward.feedback.models import SurveyAlert, SurveyResponse
from afterward.storage.db import Database
from afterward.storage.types import utcnow
from afterward.web.admin.charts import day_label
from afterward.web.admin.context import Admin, current_store, store_admin, store_csrf_checked
from afterward.web.admin.display import number, percent
from afterward.web.admin.orders import Id
from afterward.web.admin.pages import AdminRoute, PageError, redirect, render
from afterward.web.admin.returns_analytics import Bar

router = APIRouter(prefix="/admin", route_class=AdminRoute, include_in_schema=False)
PERIODS = (30, 90, 365)
DEFAULT_PERIOD = 90
INBOX_SHOWN = 100
COMMENTS_SHOWN = 50


def nps_bars(weeks: list[survey_results.Week], locale: str | None) -> list[Bar]:
    """NPS runs from -100 to 100: the bar's length is where it sits on that scale."""
    return [Bar(day_label(w.start, locale),
                f"{number(w.nps.nps, locale)} ({number(w.nps.responses, locale)})",
                (w.nps.nps + 100) / 200 if w.nps.nps is not None else None) for w in weeks]


def csat_bars(weeks: list[survey_results.Week], locale: str | None) -> list[Bar]:
    return [Bar(day_label(w.start, locale),
                f"{percent(w.csat.csat / 100 if w.csat.csat is not None else None, locale)} "
                f"({number(w.csat.responses, locale)})",
                w.csat.csat / 100 if w.csat.csat is not None else None) for w in weeks]


@router.get("/surveys")
def results(request: Request, admin: Admin = Depends(store_admin),
            days: Annotated[int, Query(ge=1, le=366)] = DEFAULT_PERIOD,
            survey: Annotated[str, Query(max_length=16)] = "") -> Response:
    """The period's figures (?days=), the weekly charts and the comments (?survey=)."""
    store = current_store(admin)
    if days not in PERIODS or survey not in ("", "nps", "csat", "delivery"):
        raise PageError(400, "bad_request")
    end = utcnow()
    start = end - timedelta(days=days)
    db: Database = request.app.state.db
    with db.reading() as s:
        nps = survey_results.nps(s, store_id=store.id, start=start, end=end)
        csat = survey_results.csat(s, store_id=store.id, start=start, end=end)
        delivery = survey_results.delivery(s, store_id=store.id, start=start, end=end)
        weeks = survey_results.weekly(s, store_id=store.id, start=start, end=end)
        said = survey_results.comments(s, store_id=store.id, start=start, end=end,
                                       survey=survey or None, limit=COMMENTS_SHOWN)
        orders = _order_numbers(s, store.id, {c.order_id for c in said})
        open_alerts = survey_results.open_alerts(s, store_id=store.id)
    locale = store.locale
    return render(request, "admin/surveys.html", {
        "admin": admin, "store": store, "days": days, "periods": PERIODS, "survey": survey,
        "nps": nps, "csat": csat, "delivery": delivery, "weeks": weeks,
        "nps_bars": nps_bars(weeks, locale), "csat_bars": csat_bars(weeks, locale),
        "comments": said, "orders": orders, "open_alerts": open_alerts,
        "share": lambda value: percent(value / 100 if value is not None else None, locale),
        "week_label": lambda w: day_label(w.start, locale),
        "when": lambda at: day_label(at, locale, "yMMMd"), "section": "surveys"})


def _order_numbers(session: Session, store_id: int, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(Order.id, Order.number).where(
        Order.store_id == store_id, Order.id.in_(ids))).tuples().all())


def inbox_rows(session: Session, *, store_id: int, status: str) -> list[dict[str, Any]]:
    rows = session.execute(
        select(SurveyAlert, SurveyResponse, Order.number, Order.email, Customer)
        .join(SurveyResponse, SurveyResponse.id == SurveyAlert.response_id)
        .join(Order, Order.id == SurveyResponse.order_id)
        .outerjoin(Customer, Customer.id == SurveyResponse.customer_id)
        .where(SurveyAlert.store_id == store_id, SurveyAlert.status == status)
        .order_by(SurveyAlert.id.desc()).limit(INBOX_SHOWN)).all()
    return [{"alert": alert, "response": response, "order_number": order_number,
             "customer": full_name(customer.first_name, customer.last_name)
             if customer is not None else None,
             "email": (customer.email if customer is not None else None) or order_email}
            for alert, response, order_number, order_email, customer in rows]


@router.get("/surveys/inbox")
def inbox(request: Request, admin: Admin = Depends(store_admin),
          status: Annotated[str, Query(max_length=8)] = "open",
          closed: Annotated[str, Query(max_length=8)] = "") -> Response:
    """The detractors' alerts, newest first (?status=open|closed)."""
    store = current_store(admin)
    if status not in ("open", "closed"):
        raise PageError(400, "bad_request")
    db: Database = request.app.state.db
    with db.reading() as s:
        rows = inbox_rows(s, store_id=store.id, status=status)
    return render(request, "admin/surveys_inbox.html", {
        "admin": admin, "store": store, "rows": rows, "status": status,
        "just_closed": closed.isdigit(), "shown": INBOX_SHOWN,
        "when": lambda at: day_label(at, store.locale, "yMMMd"), "section": "surveys"})


@router.post("/surveys/inbox/{alert_id}/close")
def close(request: Request, alert_id: Id, admin: Admin = Depends(store_csrf_checked)
          ) -> Response:
    store = current_store(admin)
    db: Database = request.app.state.db

    def work(session: Session) -> datetime | None:
        found = detractors.close(session, store_id=store.id, alert_id=alert_id,
                                 by=admin.email)
        return found.closed_at if found is not None else None

    if db.run(work) is None:
        raise PageError(404, "not_found")
    return redirect(f"/admin/surveys/inbox?closed={alert_id}")
