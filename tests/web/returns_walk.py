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
    with db.transaction() as session:
        line = session.scalar(select(OrderLine).where(OrderLine.order_id == shop.order_id))
        assert line is not None
        store_id, line_id = line.store_id, line.id
        facts.save_policy(session, store_id=store_id, policy=Policy(window_days=3650))
        rma, _ = service.request_return(session, store_id=store_id, data=ReturnIn(
            order_number=h.ORDER_NUMBER, resolution="refund", lines=[ReturnLineIn(
                sku=h.SKU, quantity=1, reason="other", comment=COMMENT)]))
        service.reject(session, rma=rma, reason=REJECTED)  # its unit can be asked for again
        return_id = rma.id
    jump = client.get(f"/t/{shop.tokens[0]}".replace("/t/", "/returns/from/"),
                      follow_redirects=False)
    assert jump.status_code == 303, jump.text
    return dataclasses.replace(
        shop, portal_path=jump.headers["location"],
        return_path="/returns/r/" + signed_return(settings.secret_key, store_id, return_id),
    ), line_id
