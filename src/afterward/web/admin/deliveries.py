"""Deliveries set aside (commerce/ingest/set_aside.py): what a store platform or a
carrier sent that is not applied yet, why, and the body as it came; a kept Shopify
delivery applied again or dismissed."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from afterward.commerce.ingest import set_aside
from afterward.storage.db import Database
from afterward.web.admin.context import Admin, current_store, store_admin, store_csrf_checked
from afterward.web.admin.orders import PAGE_SIZE, Id
from afterward.web.admin.pages import AdminRoute, redirect, render

router = APIRouter(prefix="/admin", route_class=AdminRoute, include_in_schema=False)
Outcome = Annotated[str, Query(max_length=32, pattern=r"^[a-z_]*$")]


@router.get("/deliveries")
def deliveries(request: Request, admin: Admin = Depends(store_admin),
               after: Annotated[int, Query(ge=0, le=2**62)] = 0,
               done: Outcome = "") -> Response:
    store = current_store(admin)
    db: Database = request.app.state.db
    with db.reading() as s:
        rows = set_aside.list_set_aside(s, store_id=store.id, limit=PAGE_SIZE + 1,
                                        after_id=after or None)
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return render(request, "admin/deliveries.html", {
        "admin": admin, "store": store, "done": done,
        "deliveries": [(row, json.dumps(row.body, indent=2, ensure_ascii=False, sort_keys=True))
                       for row in rows],
        "next_after": rows[-1].id if more else None, "paged": bool(after),
        "section": "deliveries"})


@router.post("/deliveries/{delivery_id}/apply")
def apply_again(request: Request, delivery_id: Id,
                admin: Admin = Depends(store_csrf_checked)) -> Response:
    """Apply a kept delivery again; a second click finds it gone and shows the list."""
    store = current_store(admin)
    db: Database = request.app.state.db
    outcome = db.run(lambda s: set_aside.apply_again(s, store_id=store.id,
                                                     delivery_id=delivery_id))
    return redirect(f"/admin/deliveries?done={outcome or 'gone'}")


@router.post("/deliveries/{delivery_id}/dismiss")
def dismiss(request: Request, delivery_id: Id,
            admin: Admin = Depends(store_csrf_checked)) -> Response:
    store = current_store(admin)
    db: Database = request.app.state.db
    found = db.run(lambda s: set_aside.dismiss(s, store_id=store.id, delivery_id=delivery_id))
    return redirect(f"/admin/deliveries?done={'dismissed' if found else 'gone'}")
