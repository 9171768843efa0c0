"""The merchant's returns queue: a filtered list, one return with the customer's
history beside it, and its steps (approve, reject with a reason, receive and inspect)
one at a time or several at once. Every step goes through afterward.returns.service;
a step the return's status no longer allows (a second click, another admin first) is a
sentence on the page, never a 500, and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import Response

from afterward.commerce import service as commerce
from afterward.commerce.models import Order
from afterward.returns import queue, service
from afterward.returns.errors import ReturnError
from afterward.returns.models import RESOLUTIONS, STATUSES, Return
from afterward.returns.schemas import ReceiveIn
from afterward.storage.db import Database
from afterward.storage.types import utcnow
from afterward.web.admin import queries
from afterward.web.admin.context import (
    Admin,
    StoreView,
    current_store,
    store_admin,
    store_csrf_checked,
)
from afterward.web.admin.orders import Id
from afterward.web.admin.pages import AdminRoute, PageError, redirect, render

router = APIRouter(prefix="/admin", route_class=AdminRoute, include_in_schema=False)

PAGE_SIZE = 25
AGES = {"2": "Older than 2 days", "7": "Older than 7 days", "14": "Older than 14 days",
        "30": "Older than 30 days"}
CONDITIONS = {"new": "New", "opened": "Opened", "used": "Used", "damaged": "Damaged",
              "wrong_item": "Wrong item", "missing": "Missing"}
MAX_BULK = 100
Param = Annotated[str, Query(max_length=100)]
FormParam = Annotated[str, Form(max_length=100)]
DONE = {"approved": "The return was approved.", "rejected": "The return was rejected.",
        "received": "The return was received and inspected.",
        "refused": "The return was received, but nothing passed inspection: it was "
                   "rejected and nothing is paid."}
# What a step does, in the sentence that says it cannot: "... so it cannot be approved."
STEP_WORDS = {"approve": "approved", "reject": "rejected", "receive": "received"}


class BadFilter(Exception):
    pass


@dataclass(frozen=True)
class Filters:
    status: str = ""
    reason: str = ""
    resolution: str = ""
    age: str = ""
    flagged: bool = False
    before: int | None = None

    def url(self, **changes: Any) -> str:
        chosen = replace(self, **changes)
        query = {name: value for name in ("status", "reason", "resolution", "age", "before")
                 if (value := getattr(chosen, name))}
        if chosen.flagged:
            query["flagged"] = "1"
        return "/admin/returns" + (f"?{urlencode(query)}" if query else "")

    def query(self) -> queue.QueueFilter:
        return queue.QueueFilter(status=self.status or None, reason=self.reason or None,
                                 resolution=self.resolution or None,
                                 older_than_days=int(self.age) if self.age else None,
                                 flagged=self.flagged)

    @property
    def narrowed(self) -> bool:
        return bool(self.status or self.reason or self.resolution or self.age or self.flagged)


def parse_filters(*, status: str, reason: str, resolution: str, age: str, flagged: str,
                  before: str) -> Filters:
    """The query string as filters, or BadFilter with a sentence for the page."""
    status, reason, resolution = status.strip(), reason.strip(), resolution.strip()
    if status and status not in STATUSES:
        raise BadFilter(f"There is no return status “{status}”. Pick one from the list.")
    if resolution and resolution not in RESOLUTIONS:
        raise BadFilter(f"There is no resolution “{resolution}”. Pick one from the list.")
    if reason and not (reason.replace("_", "").isalnum() and reason.isascii()):
        raise BadFilter(f"There is no reason “{reason}”. Pick one from the list.")
    if age and age not in AGES:
        raise BadFilter("Pick an age from the list.")
    if flagged not in ("", "1", "on", "true"):
        raise BadFilter("“Flagged only” is on or off.")
    if before and not (before.isdecimal() and len(before) < 19 and int(before) > 0):
        raise BadFilter("That page link is not valid. Start again from the first page.")
    return Filters(status=status, reason=reason.lower(), resolution=resolution, age=age,
                   flagged=bool(flagged), before=int(before) if before else None)


@router.get("/returns")
def return_queue(request: Request, admin: Admin = Depends(store_admin), status: Param = "",
                 reason: Param = "", resolution: Param = "", age: Param = "",
                 flagged: Param = "", before: Param = "") -> Response:
    store = current_store(admin)
    try:
        filters = parse_filters(status=status, reason=reason, resolution=resolution, age=age,
                                flagged=flagged, before=before)
    except BadFilter as exc:
        return _queue_page(request, admin, Filters(), problem=str(exc), status=400)
    return _queue_page(request, admin, filters, store=store)


def _queue_page(request: Request, admin: Admin, filters: Filters, *, problem: str = "",
                status: int = 200, store: StoreView | None = None,
                outcomes: list[Outcome] | None = None) -> Response:
    store = store or current_store(admin)
    db: Database = request.app.state.db
    now = utcnow()
    with db.reading() as s:
        rows = [] if problem else queue.list_queue(
            s, store_id=store.id, filters=filters.query(), now=now, before_id=filters.before,
            limit=PAGE_SIZE + 1)
        more = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
        names = queries.customer_labels(s, store_id=store.id,
                                        customer_ids={row.customer_id for row in rows})
        reasons = queue.reasons_in_use(s, store_id=store.id)
        counts = queue.counts_by_status(s, store_id=store.id)
    return render(request, "admin/returns.html", {
        "admin": admin, "store": store, "rows": rows, "names": names, "filters": filters,
        "statuses": STATUSES, "resolutions": RESOLUTIONS, "reasons": reasons, "ages": AGES,
        "problem": problem, "outcomes": outcomes, "now": now, "age_text": age_text,
        "counts": counts,
        "next_url": filters.url(before=rows[-1].id) if more else None,
        "section": "returns"}, status=status)


def age_text(created_at: datetime, now: datetime) -> str:
    """How long ago a return was asked for: 3 h, 2 d."""
    hours = max(0, int((now - created_at).total_seconds() // 3600))
    return f"{hours // 24} d" if hours >= 48 else f"{hours} h"


@router.get("/returns/{return_id}")
def return_detail(request: Request, return_id: Id, admin: Admin = Depends(store_admin),
                  done: Annotated[str, Query(max_length=16)] = "") -> Response:
    return _detail_page(request, admin, return_id, notice=DONE.get(done, ""))


def _detail_page(request: Request, admin: Admin, return_id: int, *, notice: str = "",
                 problem: str = "", status: int = 200, reject_reason: str = "") -> Response:
    store = current_store(admin)
    db: Database = request.app.state.db
    with db.reading() as s:
        rma = service.get_return(s, store_id=store.id, return_id=return_id)
        if rma is None:
            raise PageError(404, "not_found")
        order = s.get(Order, rma.order_id)
        customer = (commerce.get_customer(s, store_id=store.id, customer_id=rma.customer_id)
                    if rma.customer_id else None)
        return render(request, "admin/return.html", {
            "admin": admin, "store": store, "rma": rma, "order": order, "customer": customer,
            "customer_name": queries.customer_labels(
                s, store_id=store.id, customer_ids={rma.customer_id}).get(
                    rma.customer_id or 0),
            "history": queue.customer_history(s, store_id=store.id,
                                              customer_id=rma.customer_id,
                                              but_return_id=rma.id),
            "steps": queue.timeline(s, store_id=store.id, return_id=rma.id),
            "label_url": service.label_path(rma) if service.has_label(rma) else None,
            "conditions": CONDITIONS, "notice": notice, "problem": problem,
            "reject_reason": reject_reason, "section": "returns"}, status=status)


Step = Callable[[Session, Return], object]


@dataclass(frozen=True)
class Outcome:
    return_id: int
    number: str
    ok: bool
    message: str
    status: str = ""  # the return's status after it
    http_status: int = 200  # a refusal's: 409 (its status) or 422 (the form)


def _run_step(db: Database, store_id: int, return_id: int, action: str,
              step: Step) -> Outcome:
    """One step of one return in its own transaction: the outcome in words."""
    def work(s: Session) -> tuple[str, str]:
        rma = service.get_return(s, store_id=store_id, return_id=return_id, lock=True)
        if rma is None:
            raise PageError(404, "not_found")
        step(s, rma)
        return rma.number, rma.status

    try:
        number, status = db.run(work)
    except ReturnError as exc:
        with db.reading() as s:
            rma = service.get_return(s, store_id=store_id, return_id=return_id)
            number = rma.number if rma else f"#{return_id}"
            if exc.code == "invalid_status" and rma is not None:
                message = (f"{rma.number} was already {rma.status}, so it cannot be "
                           f"{STEP_WORDS[action]}.")
            else:
                message = f"{number}: {exc.message}."
        return Outcome(return_id, number, False, message, http_status=exc.status)
    if action == "receive" and status == "rejected":
        return Outcome(return_id, number, True, f"{number} was received; nothing passed "
                       "inspection, so it was rejected.", status)
    return Outcome(return_id, number, True, f"{number} was {STEP_WORDS[action]}.", status)


def _after_step(request: Request, admin: Admin, return_id: int, action: str,
                step: Step) -> Response:
    db: Database = request.app.state.db
    outcome = _run_step(db, current_store(admin).id, return_id, action, step)
    if outcome.ok:
        done = "refused" if action == "receive" and outcome.status == "rejected" else (
            STEP_WORDS[action])
        return redirect(f"/admin/returns/{return_id}?done={done}")
    return _detail_page(request, admin, return_id, problem=outcome.message,
                        status=outcome.http_status)


def _reject_step(reason: str) -> Step:
    return lambda s, rma: service.reject(s, rma=rma, reason=reason)


def checked_reason(reason: str) -> str:
    """A reject reason as the service takes it, or a sentence for the page."""
    reason = reason.strip()
    if not reason:
        raise BadFilter("Give a reason for rejecting: the customer reads it.")
    if len(reason) > 500:
        raise BadFilter("A reason has at most 500 characters.")
    return reason


@router.post("/returns/{return_id}/approve")
def approve(request: Request, return_id: Id,
            admin: Admin = Depends(store_csrf_checked)) -> Response:
    return _after_step(request, admin, return_id, "approve",
                       lambda s, rma: service.approve(s, rma=rma))


@router.post("/returns/{return_id}/reject")
def reject(request: Request, return_id: Id, admin: Admin = Depends(store_csrf_checked),
           reason: Annotated[str, Form(max_length=2000)] = "") -> Response:
    try:
        text = checked_reason(reason)
    except BadFilter as exc:
        return _detail_page(request, admin, return_id, problem=str(exc), status=422,
                            reject_reason=reason)
    return _after_step(request, admin, return_id, "reject", _reject_step(text))


@router.post("/returns/{return_id}/receive")
def receive(request: Request, return_id: Id, admin: Admin = Depends(store_csrf_checked),
            sku: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies it)
            quantity: Annotated[list[str], Form()] = [],  # noqa: B006
            condition: Annotated[list[str], Form()] = [],  # noqa: B006
            restock: Annotated[list[str], Form()] = [],  # noqa: B006
            accept: Annotated[list[str], Form()] = []) -> Response:  # noqa: B006
    """One row per line: its SKU, the quantity that came back, its condition; the
    restock and accept boxes carry the SKUs ticked."""
    if not sku or len(sku) != len(quantity) or len(sku) != len(condition):
        return _detail_page(request, admin, return_id, status=400,
                            problem="This form was changed. Reload the page and try again.")
    try:
        data = ReceiveIn.model_validate({"lines": [
            {"sku": code, "quantity": int(qty) if qty.strip().isdecimal() else qty,
             "condition": cond, "restock": code in restock, "accept": code in accept}
            for code, qty, cond in zip(sku, quantity, condition, strict=True)]})
    except ValidationError:
        return _detail_page(request, admin, return_id, status=422, problem=(
            "Each quantity received is a whole number from 0 to what was to come back, "
            "and each line needs a condition from the list."))
    return _after_step(request, admin, return_id, "receive",
                       lambda s, rma: service.receive(s, rma=rma, data=data))


@router.post("/returns/bulk")
def bulk(request: Request, admin: Admin = Depends(store_csrf_checked),
         ids: Annotated[list[str], Form()] = [],  # noqa: B006
         action: Annotated[str, Form(max_length=16)] = "",
         reason: Annotated[str, Form(max_length=2000)] = "",
         status: FormParam = "", reasons: FormParam = "", resolution: FormParam = "",
         age: FormParam = "", flagged: FormParam = "") -> Response:
    """Approve or reject the returns ticked, each in its own transaction: one that
    cannot move (already rejected, another admin first) is reported and the others go
    through. A bad form (no return ticked, no reason to reject) changes nothing. The
    queue shows again with the filters it had (`reasons` is the reason filter)."""
    store = current_store(admin)
    db: Database = request.app.state.db
    try:
        shown = parse_filters(status=status, reason=reasons, resolution=resolution, age=age,
                              flagged=flagged, before="")
    except BadFilter:
        shown = Filters()
    chosen = list(dict.fromkeys(ids))
    if not chosen:
        return _queue_page(request, admin, shown, status=422,
                           problem="Tick at least one return first.")
    if len(chosen) > MAX_BULK or not all(i.isdecimal() and 0 < int(i) <= 2**62 for i in chosen):
        raise PageError(400, "bad_request")
    if action == "approve":
        step: Step = lambda s, rma: service.approve(s, rma=rma)  # noqa: E731
    elif action == "reject":
        try:
            step = _reject_step(checked_reason(reason))
        except BadFilter as exc:
            return _queue_page(request, admin, shown, status=422, problem=str(exc))
    else:
        raise PageError(400, "bad_request")
    outcomes = []
    for return_id in map(int, chosen):
        try:
            outcomes.append(_run_step(db, store.id, return_id, action, step))
        except PageError:
            outcomes.append(Outcome(return_id, f"#{return_id}", False,
                                    f"There is no return #{return_id} in this store."))
    return _queue_page(request, admin, shown, outcomes=outcomes)
