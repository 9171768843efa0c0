"""The assistant's inbox in the admin: conversations by state (open: handed to a person
and waiting; assigned; closed; bot: the assistant still answering), one conversation's
transcript with its order and customer beside it, taken ("assign to me"), answered
(stored, shown in the widget and emailed: assistant/inbox.py) and closed."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from afterward.assistant import inbox
from afterward.assistant import service as assistant
from afterward.commerce import service as commerce
from afterward.commerce.models import full_name
from afterward.storage.db import Database
from afterward.storage.types import utcnow
from afterward.tracking import service as tracking
from afterward.web.admin.charts import day_label
from afterward.web.admin.context import Admin, current_store, store_admin, store_csrf_checked
from afterward.web.admin.orders import Id
from afterward.web.admin.pages import AdminRoute, PageError, redirect, render

router = APIRouter(prefix="/admin", route_class=AdminRoute, include_in_schema=False)
STATES = ("open", "assigned", "closed", "bot")
DONE = ("assigned", "replied", "closed")


@router.get("/conversations")
def conversations(request: Request, admin: Admin = Depends(store_admin),
                  status: Annotated[str, Query(max_length=8)] = "open") -> Response:
    store = current_store(admin)
    if status not in STATES:
        raise PageError(400, "bad_request")
    db: Database = request.app.state.db
    with db.reading() as s:
        rows = [(c, _first_words(s, c)) for c in
                inbox.listed(s, store_id=store.id, status=status)]
        counted = inbox.counts(s, store_id=store.id)
    return render(request, "admin/conversations.html", {
        "admin": admin, "store": store, "rows": rows, "status": status, "states": STATES,
        "counts": counted, "shown": inbox.LISTED,
        "when": lambda at: day_label(at, store.locale, "yMMMd"), "section": "conversations"})


def _first_words(session: Session, conversation: Any) -> str:
    said = [m.text for m in assistant.transcript(session, conversation) if m.author == "shopper"]
    return (said[0][:120] if said else "")


@router.get("/conversations/{conversation_id}")
def conversation(request: Request, conversation_id: Id, admin: Admin = Depends(store_admin),
                 done: Annotated[str, Query(max_length=16)] = "") -> Response:
    return _page(request, admin, conversation_id, done=done if done in DONE else "")


def _page(request: Request, admin: Admin, conversation_id: int, *, done: str = "",
          problem: str | None = None, draft: str = "", status: int = 200) -> Response:
    store = current_store(admin)
    db: Database = request.app.state.db
    with db.reading() as s:
        found = inbox.get(s, store_id=store.id, conversation_id=conversation_id)
        if found is None:
            raise PageError(404, "not_found")
        messages = assistant.transcript(s, found)
        order = commerce.get_order(s, store_id=store.id, order_id=found.order_id) \
            if found.order_id else None
        customer = commerce.get_customer(s, store_id=store.id,
                                         customer_id=found.customer_id) \
            if found.customer_id else None
        parcels = [p for p in tracking.list_shipments(s, store_id=store.id,
                                                      order_id=order.id, limit=5)
                   if p.direction == "outbound"] if order else []
    return render(request, "admin/conversation.html", {
        "admin": admin, "store": store, "conversation": found, "messages": messages,
        "order": order, "customer": customer, "parcels": parcels,
        "customer_name": full_name(customer.first_name, customer.last_name)
        if customer else None, "done": done, "problem": problem, "draft": draft,
        "max_reply": inbox.MAX_REPLY,
        "when": lambda at: day_label(at, store.locale, "yMMMd"),
        "section": "conversations"}, status=status)


def _step(request: Request, admin: Admin, conversation_id: int, done: str,
          step: Any) -> Response:
    store = current_store(admin)
    db: Database = request.app.state.db

    def work(session: Session) -> bool:
        found = inbox.get(session, store_id=store.id, conversation_id=conversation_id,
                          lock=True)
        if found is None:
            return False
        step(session, found)
        return True

    if not db.run(work):
        raise PageError(404, "not_found")
    return redirect(f"/admin/conversations/{conversation_id}?done={done}")


@router.post("/conversations/{conversation_id}/assign")
def assign(request: Request, conversation_id: Id,
           admin: Admin = Depends(store_csrf_checked)) -> Response:
    try:
        return _step(request, admin, conversation_id, "assigned", lambda s, c: inbox.assign(
            s, conversation=c, to=admin.email, now=utcnow()))
    except inbox.InboxError as refused:
        return _page(request, admin, conversation_id, problem=refused.code, status=409)


@router.post("/conversations/{conversation_id}/reply")
def reply(request: Request, conversation_id: Id, admin: Admin = Depends(store_csrf_checked),
          text: Annotated[str, Form(max_length=20000)] = "") -> Response:
    try:
        return _step(request, admin, conversation_id, "replied", lambda s, c: inbox.answer(
            s, conversation=c, text=text, by=admin.email, now=utcnow()))
    except inbox.InboxError as refused:
        return _page(request, admin, conversation_id, problem=refused.code, draft=text,
                     status=409 if refused.code == "closed" else 422)


@router.post("/conversations/{conversation_id}/close")
def close(request: Request, conversation_id: Id,
          admin: Admin = Depends(store_csrf_checked)) -> Response:
    return _step(request, admin, conversation_id, "closed", lambda s, c: inbox.close(
        s, conversation=c, by=admin.email, now=utcnow()))
