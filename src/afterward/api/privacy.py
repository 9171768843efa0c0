"""Personal data of one customer: export it, erase it (afterward/privacy.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy.orm import Session

from afterward import privacy
from afterward.api.deps import Principal, Write, principal, read_session, writer
from afterward.api.errors import ApiError
from afterward.api.params import IdPath, each_once
from afterward.api.responses import CONFLICT, INVALID, KEYED, NOT_FOUND

router = APIRouter(prefix="/api/v1", tags=["customers"],
                   responses={**KEYED, **NOT_FOUND, **INVALID},
                   dependencies=[Depends(each_once)])

CustomerId = IdPath


class ErasureOut(BaseModel):
    customer_id: int
    erased: bool
    rows: dict[str, int]  # rows scrubbed or removed, per table


def _missing() -> ApiError:
    return ApiError(404, "not_found", "no such customer in this store")


@router.get("/customers/{customer_id}/export")
def export_customer(customer_id: CustomerId, who: Principal = Depends(principal),
                    session: Session = Depends(read_session)) -> dict[str, Any]:
    """Everything Afterward keeps about the customer, one key per module (commerce,
    tracking, messaging, journeys), as JSON."""
    try:
        return privacy.export_customer(session, store_id=who.store_id, customer_id=customer_id)
    except privacy.UnknownCustomer:
        raise _missing() from None


@router.post("/customers/{customer_id}/erase", response_model=ErasureOut, responses=CONFLICT)
def erase_customer(customer_id: CustomerId, who: Principal = Depends(principal),
                   write: Write = Depends(writer)) -> ErasureOut:
    """Erase the customer's personal data in every module, in one transaction (see
    docs/privacy.md for what is kept). Erasing twice is harmless."""
    def work(session: Session) -> ErasureOut:
        try:
            rows = privacy.erase_customer(session, store_id=who.store_id, customer_id=customer_id)
        except privacy.UnknownCustomer:
            raise _missing() from None
        return ErasureOut(customer_id=customer_id, erased=True, rows=rows)

    return write(work)
