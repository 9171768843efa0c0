"""Customers: a searchable list and one profile with consents, figures and orders;
the customer's personal data downloaded or erased (afterward/privacy.py)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from starlette.responses import Response

from afterward import modules, privacy
from afterward.commerce import service as commerce
from afterward.storage.db import Database
from afterward.web.admin import queries
from afterward.web.admin.context import Admin, current_store, store_admin, store_csrf_checked
from afterward.web.admin.orders import PAGE_SIZE, Cursor, Id, SearchText, checked_cursor
from afterward.web.admin.pages import AdminRoute, PageError, redirect, render

router = APIRouter(prefix="/admin", route_class=AdminRoute, include_in_schema=False)

ORDERS_SHOWN = 50


@router.get("/customers")
def customer_list(request: Request, admin: Admin = Depends(store_admin), q: SearchText = "",
                  cursor: Cursor = "") -> Response:
    store = current_store(admin)
    db: Database = request.app.state.db
    with db.reading() as s:
        rows, next_cursor = commerce.list_customers(
            s, store_id=store.id, query=q.strip() or None, cursor=checked_cursor(cursor),
            limit=PAGE_SIZE)
        return render(request, "admin/customers.html", {
            "admin": admin, "store": store, "customers": rows, "q": q,
            "next_cursor": next_cursor, "paged": bool(cursor), "section": "customers"})


@router.get("/customers/{customer_id}")
def customer_detail(request: Request, customer_id: Id, admin: Admin = Depends(store_admin),
                    erased: Annotated[bool, Query()] = False,
                    unconfirmed: Annotated[bool, Query()] = False) -> Response:
    store = current_store(admin)
    db: Database = request.app.state.db
    with db.reading() as s:
        customer = commerce.get_customer(s, store_id=store.id, customer_id=customer_id)
        if customer is None:
            raise PageError(404, "not_found")
        orders, more = commerce.list_orders(s, store_id=store.id, customer_id=customer.id,
                                            limit=ORDERS_SHOWN)
        stats = queries.customer_stats(s, store_id=store.id, customer_id=customer.id)
        consents = sorted(customer.consents, key=lambda c: (c.channel, c.purpose))
        return render(request, "admin/customer.html", {
            "admin": admin, "store": store, "customer": customer, "orders": orders,
            "more_orders": more is not None, "stats": stats, "consents": consents,
            "erased": erased, "unconfirmed": unconfirmed, "section": "customers",
            "insights": _insights(s, store, customer.id)})


def _insights(session: Any, store: Any, customer_id: int) -> dict[str, Any] | None:
    """What insights computed about the customer (its latest run), when the module is
    installed: {"shown": False} while nothing is computed for them."""
    if not any(m.name == "insights" for m in modules.installed()):
        return None
    from babel.dates import format_date

    from afterward.insights import stored
    from afterward.web import i18n

    row = stored.of_customer(session, store_id=store.id, customer_id=customer_id)
    if row is None:
        return {"shown": False}
    figures = stored.as_dict(row)
    due = figures["next_order_due"]
    from afterward.web.admin import renewal_views

    return {**figures, "shown": True,
            "due_label": format_date(due, "medium", locale=i18n.locale_or_default(
                store.locale)) if due is not None else None,
            "subscriptions": renewal_views.of_customer(session, store_id=store.id,
                                                       customer_id=customer_id,
                                                       locale=store.locale)}


@router.get("/customers/{customer_id}/export")
def customer_export(request: Request, customer_id: Id,
                    admin: Admin = Depends(store_admin)) -> Response:
    """Everything kept about the customer, as a JSON download."""
    store = current_store(admin)
    db: Database = request.app.state.db
    with db.reading() as s:
        try:
            data = privacy.export_customer(s, store_id=store.id, customer_id=customer_id)
        except privacy.UnknownCustomer:
            raise PageError(404, "not_found") from None
    return Response(json.dumps(data, indent=2, ensure_ascii=False) + "\n",
                    media_type="application/json", headers={
                        "Content-Disposition":
                            f'attachment; filename="customer-{customer_id}.json"'})


@router.post("/customers/{customer_id}/erase")
def customer_erase(request: Request, customer_id: Id,
                   admin: Admin = Depends(store_csrf_checked),
                   confirm: Annotated[str, Form(max_length=10)] = "") -> Response:
    """Erase the customer's personal data; the box must be ticked."""
    store = current_store(admin)
    if confirm != "yes":
        return redirect(f"/admin/customers/{customer_id}?unconfirmed=true#privacy")
    db: Database = request.app.state.db
    try:
        db.run(lambda s: privacy.erase_customer(s, store_id=store.id,
                                                customer_id=customer_id))
    except privacy.UnknownCustomer:
        raise PageError(404, "not_found") from None
    return redirect(f"/admin/customers/{customer_id}?erased=true")
