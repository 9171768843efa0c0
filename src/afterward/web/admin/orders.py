"""Orders: a searchable list and one order with lines, shipments and history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import Response

from afterward.commerce import service as commerce
from afterward.storage.db import Database
from afterward.tracking import service as tracking
from afterward.web.admin import queries
from afterward.web.admin.context import Admin, current_store, store_admin
from afterward.web.admin.pages import AdminRoute, PageError, render

router = APIRouter(prefix="/admin", route_class=AdminRoute, include_in_schema=False)

PAGE_SIZE = 25
Id = Annotated[int, Path(ge=1, le=2**62)]
SearchText = Annotated[str, Query(max_length=200)]
Cursor = Annotated[str, Query(max_length=100)]


def checked_cursor(cursor: str) -> str | None:
    """A cursor this app gave out, or a readable 400 page (never a database error)."""
    if not cursor:
        return None
    try:
        last_id = commerce.decode_cursor(cursor)
    except commerce.CommerceError as exc:
        raise PageError(400, "bad_cursor") from exc
    if last_id is None or not 0 < last_id <= 2**62:
        raise PageError(400, "bad_cursor")
    return cursor


@router.get("/orders")
def order_list(request: Request, admin: Admin = Depends(store_admin), q: SearchText = "",
               cursor: Cursor = "") -> Response:
    store = current_store(admin)
    db: Database = request.app.state.db
    with db.reading() as s:
        rows, next_cursor = commerce.list_orders(s, store_id=store.id, query=q.strip() or None,
                                                 cursor=checked_cursor(cursor), limit=PAGE_SIZE)
        return render(request, "admin/orders.html", {
            "admin": admin, "store": store, "orders": rows, "q": q, "next_cursor": next_cursor,
            "paged": bool(cursor), "section": "orders"})


@router.get("/orders/{order_id}")
def order_detail(request: Request, order_id: Id, admin: Admin = Depends(store_admin)) -> Response:
    store = current_store(admin)
    db: Database = request.app.state.db
    with db.reading() as s:
        order = commerce.get_order(s, store_id=store.id, order_id=order_id)
        if order is None:
            raise PageError(404, "not_found")
        shipments = tracking.list_shipments(s, store_id=store.id, order_id=order.id, limit=100)
        history = queries.order_history(s, store_id=store.id, order_id=order.id,
                                        shipment_ids=[sh.id for sh in shipments])
        customer = (commerce.get_customer(s, store_id=store.id, customer_id=order.customer_id)
                    if order.customer_id else None)
        return render(request, "admin/order.html", {
            "admin": admin, "store": store, "order": order, "shipments": shipments,
            "history": history, "customer": customer,
            "numbers": {sh.id: sh.tracking_number for sh in shipments},
            "tracking_path": tracking.tracking_path, "section": "orders"})
