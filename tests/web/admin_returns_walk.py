"""The admin's returns pages in the hostile shop (hostile_shop.py): the portal's
rejected return (hostile comment and reject reason, returns_walk.py) and a second
request held for review with the same comment, and the visits the walk makes to the
queue, a return, the analytics and the policy, forms included."""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi.testclient import TestClient

from afterward.commerce.models import OrderLine
from afterward.returns import facts, service
from afterward.returns.policy import Policy
from afterward.returns.schemas import ReturnIn, ReturnLineIn
from afterward.storage.db import Database
from tests.hostile import hostile
from tests.web import hostile_shop as h
from tests.web import returns_walk
from tests.web.hostile_walk import CSRF, Visit, q, query

TYPED_STATUS = hostile("typed return status", 100)
TYPED_POLICY = hostile("typed policy", 2000)
TYPED_REASON = hostile("typed bulk reason", 500)
SLUG_TYPED = "[typed]\"><img src=x onerror=alert(1)>' onmouseover='alert(1) {{7*7}}"


@dataclasses.dataclass(frozen=True)
class ReturnsShop(h.Shop):
    rejected_id: int = 0  # rejected, with the hostile comment and reason
    pending_id: int = 0  # held for review, with the hostile comment


def admin_returns_shop(client: TestClient, db: Database, settings: Any,
                       shop: h.Shop) -> ReturnsShop:
    store_id, rejected_id, line_id = returns_walk.returnable(
        db, shop.order_id, returns_walk.COMMENT, returns_walk.REJECTED)
    with db.transaction() as session:
        facts.save_policy(session, store_id=store_id,
                          policy=Policy(window_days=3650, auto_approve=False))
        line = session.get(OrderLine, line_id)
        assert line is not None
        rma, _ = service.request_return(session, store_id=store_id, data=ReturnIn(
            order_number=line.order.number, resolution="refund", lines=[ReturnLineIn(
                sku=line.sku or "", quantity=1, reason="other",
                comment=returns_walk.COMMENT)]))
        pending_id = rma.id
    fields = {f.name: getattr(shop, f.name) for f in dataclasses.fields(shop)}
    return ReturnsShop(**fields, rejected_id=rejected_id, pending_id=pending_id)


ROW = (h.ORDER_NUMBER, h.LINE_TITLE)
RETURN = (h.ORDER_NUMBER, h.LINE_TITLE, h.SKU, returns_walk.COMMENT)


def admin_returns_visits(rejected_id: int) -> tuple[Visit, ...]:
    """The visits; the bulk form names the rejected return (a form is not formatted)."""
    return (
        Visit("/admin/returns", "/admin/returns", ROW),
        Visit("/admin/returns", "/admin/returns?" + query(status=TYPED_STATUS), (TYPED_STATUS,),
              status=400),
        Visit("/admin/returns", "/admin/returns?" + query(reason="other", flagged="1"), ROW),
        Visit("/admin/returns/{return_id}", "/admin/returns/{shop.rejected_id}",
              (*RETURN, returns_walk.REJECTED)),
        Visit("/admin/returns/{return_id}", "/admin/returns/{shop.pending_id}", RETURN),
        Visit("/admin/returns/{return_id}", "/admin/returns/" + q(SLUG_TYPED), status=404),
        Visit("/admin/returns/analytics", "/admin/returns/analytics?product={shop.product_id}",
              (h.PRODUCT["title"], returns_walk.COMMENT)),
        Visit("/admin/returns/policy", "/admin/returns/policy"),
        Visit("/admin/returns/policy", "/admin/returns/policy", (TYPED_POLICY,), status=422,
              form={"csrf": CSRF, "document": TYPED_POLICY}),
        Visit("/admin/returns/{return_id}/receive", "/admin/returns/{shop.pending_id}/receive",
              RETURN, status=409, form={"csrf": CSRF, "sku": h.SKU, "quantity": "1",
                                        "condition": "new"}),
        Visit("/admin/returns/{return_id}/reject", "/admin/returns/{shop.pending_id}/reject",
              RETURN, status=422, form={"csrf": CSRF, "reason": ""}),
        Visit("/admin/returns/bulk", "/admin/returns/bulk", ROW,
              form={"csrf": CSRF, "ids": str(rejected_id), "action": "reject",
                    "reason": TYPED_REASON}),
    )
