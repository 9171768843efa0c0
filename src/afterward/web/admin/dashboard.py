"""The dashboard (figures, orders and revenue over time against the period before)
and the dead-job list with its Retry button."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from afterward import jobs
from afterward.commerce import service as commerce
from afterward.storage.db import Database
from afterward.storage.types import utcnow
from afterward.web.admin import charts, queries
from afterward.web.admin.context import Admin, current_store, store_admin, store_csrf_checked
from afterward.web.admin.orders import PAGE_SIZE, Id
from afterward.web.admin.pages import AdminRoute, PageError, redirect, render

router = APIRouter(prefix="/admin", route_class=AdminRoute, include_in_schema=False)

PERIODS = (7, 30, 90)  # days the dashboard's charts can cover
DEFAULT_PERIOD = 30


@router.get("")
def dashboard(request: Request, admin: Admin = Depends(store_admin),
              days: Annotated[int, Query(ge=1, le=366)] = DEFAULT_PERIOD) -> Response:
    """Figures, and orders and revenue per day against the period before (?days=)."""
    store = current_store(admin)
    if days not in PERIODS:
        raise PageError(400, "bad_request")
    db: Database = request.app.state.db
    with db.reading() as s:
        figures = queries.dashboard(s, store_id=store.id)
        sales = commerce.sales_over_time(s, store_id=store.id, currency=store.currency,
                                         timezone=store.timezone, days=days, now=utcnow())
    return render(request, "admin/dashboard.html", {
        "admin": admin, "store": store, "figures": figures, "sales": sales, "days": days,
        "periods": PERIODS, "orders_chart": charts.orders_chart(sales, store.locale),
        "revenue_chart": charts.revenue_chart(sales, store.locale), "section": "dashboard"})


@router.get("/jobs")
def dead_jobs(request: Request, admin: Admin = Depends(store_admin),
              after: Annotated[int, Query(ge=0, le=2**62)] = 0,
              retried: Annotated[int, Query(ge=0, le=2**62)] = 0) -> Response:
    store = current_store(admin)
    db: Database = request.app.state.db
    with db.reading() as s:
        rows = jobs.list_jobs(s, status=jobs.JobStatus.dead.value, store_id=store.id,
                              limit=PAGE_SIZE + 1, after_id=after or None)
        more = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
        return render(request, "admin/jobs.html", {
            "admin": admin, "store": store, "jobs": rows, "retried": retried,
            "next_after": rows[-1].id if more else None, "paged": bool(after),
            "section": "jobs"})


@router.post("/jobs/{job_id}/retry")
def retry_job(request: Request, job_id: Id, admin: Admin = Depends(store_csrf_checked)) -> Response:
    store = current_store(admin)
    db: Database = request.app.state.db
    # A second click (or a colleague's) finds the job queued already: the same page.
    if not db.run(lambda s: jobs.retry_dead(s, job_id=job_id, store_id=store.id)
                  or _in_store(s, job_id, store.id)):
        raise PageError(404, "not_found")
    return redirect(f"/admin/jobs?retried={job_id}")


def _in_store(session: Session, job_id: int, store_id: int) -> bool:
    job = session.get(jobs.Job, job_id)
    return job is not None and job.store_id == store_id
