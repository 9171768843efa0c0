"""Puts the demo's returns (demo/returns.py) through the returns service as they
happen: requested (the policy decides: approved at once, or held for review), looked
at by a person when held, received and inspected, settled. A refund the return
requests from the store platform comes back as the platform's refund of the order, as
a Shopify refund webhook would bring it. Each step runs in a savepoint: a step the
service refuses (the policy says no, the order was refunded meanwhile) leaves nothing
behind and is counted in `refused`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from afterward.commerce.errors import CommerceError
from afterward.commerce.orders import RefundLine, apply_refund
from afterward.commerce.service import get_order
from afterward.returns import service
from afterward.returns.models import Return
from afterward.returns.schemas import ReceiveIn, ReturnIn

FALLBACK = "refund"  # when the drawn resolution is not offered


class ReturnWriter:
    def __init__(self, *, store_id: int, order_numbers: dict[int, str],
                 returns: list[dict[str, Any]]) -> None:
        self.store_id, self.order_numbers, self.rows = store_id, order_numbers, returns
        self.return_ids: dict[int, int] = {}
        self.refused = 0

    def request(self, session: Session, index: int) -> None:
        row = self.rows[index]
        for resolution in dict.fromkeys((row["resolution"], FALLBACK)):
            data = ReturnIn(
                order_number=self.order_numbers[row["order"]], resolution=resolution,
                exchange_for_sku=row["exchange_for_sku"] if resolution == "exchange" else None,
                lines=[{"sku": ln["sku"], "quantity": ln["quantity"], "reason": ln["reason"],
                        "comment": ln["comment"] or None} for ln in row["lines"]])
            rma = self._step(session, lambda data=data: service.request_return(
                session, store_id=self.store_id, data=data, now=row["at"])[0])
            if rma is not None:
                self.return_ids[index] = rma.id
                self._refunded(session, rma, row["at"])  # a kept item is settled at once
                return

    def review(self, session: Session, index: int) -> None:
        """A person looks at a return the policy held for review."""
        rma = self._return(session, index)
        if rma is None or rma.status != "requested":
            return
        row = self.rows[index]
        if row["review_rejects"]:
            self._step(session, lambda: service.reject(session, rma=rma,
                                                       reason=row["review_reason"],
                                                       now=row["reviewed_at"]))
        else:
            self._step(session, lambda: service.approve(session, rma=rma,
                                                        now=row["reviewed_at"]))
            self._refunded(session, rma, row["reviewed_at"])

    def receive(self, session: Session, index: int) -> None:
        rma = self._return(session, index)
        if rma is None or rma.status != "approved":
            return
        row = self.rows[index]
        restock = row["condition"] in ("new", "opened") and row["accepted"]
        data = ReceiveIn(lines=[{"sku": line.sku, "quantity": line.quantity,
                                 "condition": row["condition"], "restock": restock,
                                 "accept": row["accepted"]} for line in rma.lines])
        if self._step(session, lambda: service.receive(session, rma=rma, data=data,
                                                       now=row["received_at"])):
            self._refunded(session, rma, row["received_at"])

    def _refunded(self, session: Session, rma: Return, at: datetime) -> None:
        """The store platform pays the refund the return asked for and tells us so."""
        if rma.status != "resolved" or not rma.refund_minor:
            return
        order = get_order(session, store_id=self.store_id, order_id=rma.order_id)
        assert order is not None
        lines = ([] if rma.resolution == "exchange" else
                 [RefundLine(None, line.sku, line.received_quantity if rma.resolution != "keep"
                             else line.quantity) for line in rma.lines])
        self._step(session, lambda: apply_refund(
            session, order=order, refund_key=f"return-{rma.number}",
            amount_minor=rma.refund_minor, lines=[ln for ln in lines if ln.quantity], at=at))

    def _return(self, session: Session, index: int) -> Return | None:
        found = self.return_ids.get(index)
        return None if found is None else session.get(Return, found)

    def _step(self, session: Session, step: Any) -> Any:
        savepoint = session.begin_nested()
        try:
            done = step()
        except CommerceError:
            savepoint.rollback()
            self.refused += 1
            return None
        savepoint.commit()
        return done
