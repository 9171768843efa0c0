"""Store credit spent as gift codes (docs/returns.md, "Money"): a customer's credit
turned into a single-use code for the store's checkout, and an unused code turned
back into credit."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from afterward.api.deps import Principal, Write, principal, writer
from afterward.api.errors import ApiError
from afterward.api.params import IdPath, each_once
from afterward.api.responses import CONFLICT, INVALID, KEYED, NOT_FOUND, WITH_BODY, updated
from afterward.commerce import service as commerce
from afterward.commerce.code_models import DiscountCode
from afterward.commerce.fields import JSON_INTEGER, NOT_BLANK
from afterward.commerce.schemas import Strict
from afterward.returns import credit_codes

router = APIRouter(prefix="/api/v1", responses=KEYED, tags=["customers"],
                   dependencies=[Depends(each_once)])


class CodeIn(Strict):
    amount_minor: Annotated[int, Field(ge=1, le=10**12), JSON_INTEGER]
    idempotency_key: str = Field(min_length=1, max_length=200, json_schema_extra={
        "pattern": NOT_BLANK})
    expires_at: datetime | None = Field(None, description="None: the code does not expire")


class CodeOut(BaseModel):
    code: str
    amount_minor: int
    currency: str
    expires_at: datetime | None
    status: str
    used_order_id: int | None


def code_out(code: DiscountCode) -> CodeOut:
    return CodeOut(code=code.code, amount_minor=code.value_minor or 0,
                   currency=code.currency or "", expires_at=code.expires_at,
                   status=code.status, used_order_id=code.used_order_id)


CodePath = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9 -]+$")]


def _customer(session: Session, who: Principal, customer_id: int) -> None:
    if commerce.get_customer(session, store_id=who.store_id, customer_id=customer_id) is None:
        raise ApiError(404, "not_found", "no such customer in this store")


@router.post("/customers/{customer_id}/store-credit/codes", response_model=CodeOut,
             status_code=201, responses={
                 **updated(CodeOut, "The idempotency_key was used before for this "
                                    "request: the code it made."),
                 **NOT_FOUND, **WITH_BODY})
def create_code(customer_id: IdPath, body: CodeIn, response: Response,
                who: Principal = Depends(principal), write: Write = Depends(writer)
                ) -> CodeOut:
    """Spend store credit as a single-use gift code, pushed to the store platform
    (`code.issued` webhook). 422 `insufficient_credit`; `idempotency_key_reused`."""
    def work(session: Session) -> tuple[CodeOut, bool]:
        _customer(session, who, customer_id)
        code, created = credit_codes.spend_as_code(
            session, store_id=who.store_id, customer_id=customer_id,
            amount_minor=body.amount_minor, idempotency_key=body.idempotency_key,
            expires_at=body.expires_at)
        return code_out(code), created

    out, created = write(work)
    response.status_code = 201 if created else 200
    return out


@router.post("/customers/{customer_id}/store-credit/codes/{code}/cancel",
             response_model=CodeOut, responses={**NOT_FOUND, **CONFLICT, **INVALID})
def cancel_code(customer_id: IdPath, code: CodePath, who: Principal = Depends(principal),
                write: Write = Depends(writer)) -> CodeOut:
    """Cancel an unused code: its amount goes back to the customer's credit, once
    (409 `invalid_status` when used or cancelled already)."""
    def work(session: Session) -> CodeOut:
        _customer(session, who, customer_id)
        return code_out(credit_codes.cancel_code(session, store_id=who.store_id,
                                                 customer_id=customer_id, code=code))

    result: CodeOut = write(work)
    return result
