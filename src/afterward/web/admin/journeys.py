"""Journeys in the admin: the list with enrolment counts, one journey (its steps,
definition, versions, holdout results, recent enrolments; edit, switch on or off),
and one enrolment with its history."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from afterward.journeys import builtins, enrolments, service
from afterward.journeys import definition as spec
from afterward.journeys import results as measured
from afterward.journeys.conditions import Lit, Node, Var
from afterward.journeys.models import Journey
from afterward.storage.db import Database
from afterward.storage.types import utcnow
from afterward.web.admin import journey_figures as figures
from afterward.web.admin import queries
from afterward.web.admin.context import Admin, current_store, store_admin, store_csrf_checked
from afterward.web.admin.pages import AdminRoute, PageError, redirect, render

router = APIRouter(prefix="/admin", route_class=AdminRoute, include_in_schema=False)

Key = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
Id = Annotated[int, Path(ge=1, le=2**62)]
WINDOWS = (7, 14, 30, 60, 90)
LIST_WINDOW = 30  # the conversion window of the lifts in the list
RECENT = 25
MAX_DEFINITION = 100_000


@dataclass(frozen=True)
class Line:
    """One step of the outline: how deep, its key, and a sentence."""

    depth: int
    key: str
    text: str


def outline(steps: tuple[spec.Step, ...], depth: int = 0) -> list[Line]:
    out: list[Line] = []
    for step in steps:
        if isinstance(step, spec.Branch):
            out.append(Line(depth, step.key, f"If {_expression(step.condition)}"))
            out += outline(step.then, depth + 1)
            if step.otherwise:
                out.append(Line(depth, step.key, "Otherwise"))
                out += outline(step.otherwise, depth + 1)
        else:
            out.append(Line(depth, step.key, _sentence(step)))
    return out


def _sentence(step: spec.Step) -> str:
    if isinstance(step, spec.Wait):
        if step.duration is not None:
            return f"Wait {_duration(step.duration.total_seconds())}"
        if step.days is not None:
            return f"Wait {_expression(step.days)} days"
        if step.until_local_time is not None:
            return f"Wait until {step.until_local_time:%H:%M} in the customer's time zone"
        timeout = _duration(step.timeout.total_seconds()) if step.timeout else "?"
        then = "leave" if step.on_timeout == "exit" else "go on"
        return f"Wait for {step.until_event} (at most {timeout}, then {then})"
    if isinstance(step, spec.Send):
        what = step.template or step.event_type or "journey event"
        return f"Send {step.channel} “{what}” ({step.purpose})"
    if isinstance(step, spec.Holdout):
        return f"Hold out {step.share:.0%} as a control group"
    if isinstance(step, spec.Exit):
        return f"Leave: {step.reason}"
    return ""


def _duration(seconds: float) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{int(seconds)} seconds"


def _expression(node: Node) -> str:
    if isinstance(node, Var):
        return str(node)
    if isinstance(node, Lit):
        return json.dumps(node.value)
    args = ", ".join(_expression(a) for a in node.args)
    if node.name == "lookup":
        table = ", ".join(f"{k}: {v}" for k, v in node.table)
        return f"lookup({args}; {table})"
    return f"{node.name}({args})"


def _journey(session: Session, store_id: int, key: str) -> Journey:
    journey = service.get(session, store_id=store_id, key=key)
    if journey is None:
        raise PageError(404, "not_found")
    return journey


@router.get("/journeys")
def journey_list(request: Request, admin: Admin = Depends(store_admin),
                 installed: Annotated[int, Query(ge=0, le=1000)] = 0) -> Response:
    store = current_store(admin)
    db: Database = request.app.state.db
    with db.reading() as s:
        rows = service.list_journeys(s, store_id=store.id)
        now = utcnow()
        lifts = {row.journey.id: figures.conversion_lift(s, journey=row.journey,
                                                         window_days=LIST_WINDOW, now=now)
                 for row in rows if _holds_out(s, row.journey)}
        return render(request, "admin/journeys.html", {
            "admin": admin, "store": store, "journeys": rows, "installed": installed,
            "messages": figures.message_counts(s, store_id=store.id), "lifts": lifts,
            "list_window": LIST_WINDOW, "no_messages": figures.MessageCounts(),
            "section": "journeys"})


def _holds_out(session: Session, journey: Journey) -> bool:
    live = service.version_of(session, journey=journey, version=journey.version)
    return live is not None and figures.holds_out(enrolments.compiled(live)[0].steps)


@router.post("/journeys/install-builtins")
def install_builtins(request: Request, admin: Admin = Depends(store_csrf_checked)) -> Response:
    store = current_store(admin)
    db: Database = request.app.state.db
    done = db.run(lambda s: builtins.install(s, store_id=store.id))
    return redirect(f"/admin/journeys?installed={len(done)}")


def _page(request: Request, admin: Admin, key: str, *, window: int, version: int | None,
          draft: str | None = None, problems: list[str] | None = None,
          status: int = 200) -> Response:
    store = current_store(admin)
    db: Database = request.app.state.db
    with db.reading() as s:
        journey = _journey(s, store.id, key)
        shown = service.version_of(s, journey=journey, version=version or journey.version)
        if shown is None:
            raise PageError(404, "not_found")
        parsed, _ = enrolments.compiled(shown)
        recent = service.list_enrolments(s, store_id=store.id, journey_id=journey.id,
                                         limit=RECENT)
        customers = queries.customer_labels(
            s, store_id=store.id, customer_ids={row.customer_id for row in recent})
        results = measured.journey_results(s, journey=journey, window_days=window, now=utcnow())
        messages = figures.message_counts(s, store_id=store.id, journey_ids=[journey.id])
        return render(request, "admin/journey.html", {
            "admin": admin, "store": store, "journey": journey, "parsed": parsed,
            "summary": service.summary(s, journey=journey), "shown": shown,
            "steps": outline(parsed.steps), "versions": service.versions(s, journey=journey),
            "definition": json.dumps(shown.definition, indent=2, ensure_ascii=False),
            "draft": draft, "problems": problems or [], "enrolments": recent,
            "customers": customers, "results": results,
            "messages": messages.get(journey.id, figures.MessageCounts()),
            "holds_out": figures.holds_out(parsed.steps),
            "chart": figures.results_chart(results, currency=store.currency,
                                           locale=store.locale),
            "window": window, "windows": WINDOWS, "section": "journeys"}, status=status)


@router.get("/journeys/{key}")
def journey_detail(request: Request, key: Key, admin: Admin = Depends(store_admin),
                   window: Annotated[int, Query(ge=1, le=365)] = 30,
                   version: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None
                   ) -> Response:
    return _page(request, admin, key, window=window, version=version)


@router.post("/journeys/{key}")
def journey_save(request: Request, key: Key, admin: Admin = Depends(store_csrf_checked),
                 definition: Annotated[str, Form(max_length=MAX_DEFINITION)] = "") -> Response:
    """A new version from the editor; problems come back on the page with their paths."""
    store = current_store(admin)
    db: Database = request.app.state.db
    try:
        raw = json.loads(definition)
        if isinstance(raw, dict) and raw.get("key", key) != key:
            raise spec.DefinitionError([spec.Problem("key", "the key cannot change here")])
        saved = db.run(lambda s: _save(s, store.id, key, raw))
    except json.JSONDecodeError as exc:
        problems = [f"line {exc.lineno}, column {exc.colno}: not valid JSON: {exc.msg}"]
        return _page(request, admin, key, window=30, version=None, draft=definition,
                     problems=problems, status=422)
    except spec.DefinitionError as exc:
        return _page(request, admin, key, window=30, version=None, draft=definition,
                     problems=[str(p) for p in exc.problems], status=422)
    return redirect(f"/admin/journeys/{key}?version={saved.journey.version}")


def _save(session: Session, store_id: int, key: str, raw: object) -> service.Saved:
    _journey(session, store_id, key)
    return service.save(session, store_id=store_id,
                        raw={**raw, "key": key} if isinstance(raw, dict) else raw)


def _switch(request: Request, admin: Admin, key: str, enabled: bool) -> Response:
    store = current_store(admin)
    db: Database = request.app.state.db

    def work(session: Session) -> None:
        _journey(session, store.id, key)
        service.set_enabled(session, store_id=store.id, key=key, enabled=enabled)

    db.run(work)
    return redirect(f"/admin/journeys/{key}")


@router.post("/journeys/{key}/enable")
def journey_enable(request: Request, key: Key,
                   admin: Admin = Depends(store_csrf_checked)) -> Response:
    return _switch(request, admin, key, True)


@router.post("/journeys/{key}/disable")
def journey_disable(request: Request, key: Key,
                    admin: Admin = Depends(store_csrf_checked)) -> Response:
    return _switch(request, admin, key, False)


@router.get("/journeys/enrolments/{enrolment_id}")
def enrolment_detail(request: Request, enrolment_id: Id,
                     admin: Admin = Depends(store_admin)) -> Response:
    store = current_store(admin)
    db: Database = request.app.state.db
    with db.reading() as s:
        row = service.get_enrolment(s, store_id=store.id, enrolment_id=enrolment_id)
        if row is None:
            raise PageError(404, "not_found")
        journey = s.get(Journey, row.journey_id)
        assert journey is not None
        return render(request, "admin/journey_enrolment.html", {
            "admin": admin, "store": store, "enrolment": row, "journey": journey,
            "version": service.version_numbers(s, {row.version_id})[row.version_id],
            "customer": queries.customer_labels(
                s, store_id=store.id, customer_ids={row.customer_id}).get(row.customer_id or 0),
            "history": service.history(s, enrolment=row), "section": "journeys"})
