"""The returns portal in the hostile shop (hostile_shop.py): its order made returnable
(a window of ten years: its parcel was delivered in March), a return asked for with
hostile text in it and rejected with more, and the portal's signed links, for the walk to visit."""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from afterward.commerce.models import OrderLine
from afterward.returns import facts, service
from afterward.returns.policy import Policy
from afterward.returns.schemas import ReturnIn, ReturnLineIn
from afterward.storage.db import Database
from afterward.web.pages.returns_links import signed_return
from tests.hostile import hostile
from tests.web import hostile_shop as h

COMMENT = hostile("return comment", 2000)
REJECTED = hostile("reject reason", 500)


def portal_shop(client: TestClient, db: Database, settings: Any,
                shop: h.Shop) -> tuple[h.Shop, int]:
    """The shop with its portal and status paths, and the order line to return."""
    store_id, return_id, line_id = returnable(db, shop.order_id, COMMENT, REJECTED)
    return dataclasses.replace(
        shop, portal_path=portal_path(client, shop.tokens[0]),
        return_path=status_path(settings, store_id, return_id)), line_id


def returnable(db: Database, order_id: int, comment: str, rejected: str
               ) -> tuple[int, int, int]:
    """Make an order returnable for ten years, and ask for a return of its first line
    that is then rejected (its units can be asked for again): (store id, return id,
    line id)."""
    with db.transaction() as session:
        line = session.scalar(select(OrderLine).where(OrderLine.order_id == order_id)
                              .order_by(OrderLine.id))
        assert line is not None and line.order is not None
        facts.save_policy(session, store_id=line.store_id, policy=Policy(window_days=3650))
        rma, _ = service.request_return(session, store_id=line.store_id, data=ReturnIn(
            order_number=line.order.number, resolution="refund", lines=[ReturnLineIn(
                sku=line.sku or "", quantity=1, reason="other", comment=comment)]))
        service.reject(session, rma=rma, reason=rejected)
        return line.store_id, rma.id, line.id


def portal_path(client: TestClient, tracking_token: str) -> str:
    jump = client.get(f"/returns/from/{tracking_token}", follow_redirects=False)
    assert jump.status_code == 303, jump.text
    return str(jump.headers["location"])


def status_path(settings: Any, store_id: int, return_id: int) -> str:
    return "/returns/r/" + signed_return(settings.secret_key, store_id, return_id)
