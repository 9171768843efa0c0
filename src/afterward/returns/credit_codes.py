"""Store credit spent as gift codes: the credit ledger is debited (`spend`) and a
single-use gift card code of that amount is issued (commerce/codes.py), in one
transaction; an unused code can be cancelled back into credit, once. A customer's
spends run one at a time (the ledger's lock per customer) and the balance's CHECK
refuses to go below zero, so concurrent spends never overdraw."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from afterward.commerce import codes
from afterward.commerce.code_models import DiscountCode
from afterward.returns import credit
from afterward.returns.errors import ReturnError
from afterward.storage import locks
from afterward.storage.types import utcnow

SOURCE = "store_credit"


def spend_as_code(session: Session, *, store_id: int, customer_id: int, amount_minor: int,
                  idempotency_key: str, expires_at: datetime | None = None,
                  now: datetime | None = None) -> tuple[DiscountCode, bool]:
    """A gift code worth `amount_minor` of the customer's credit; with a key used
    before for the same request, the code it made (False). 422 `insufficient_credit`
    when the balance cannot cover it (nothing written)."""
    now = now or utcnow()
    locks.hold(session, "store-credit", store_id, customer_id)
    earlier = codes.by_key(session, store_id=store_id, source=SOURCE, key=idempotency_key)
    if earlier is not None:
        if (earlier.customer_id, earlier.value_minor) != (customer_id, amount_minor):
            raise ReturnError("idempotency_key_reused", "this idempotency_key was used for "
                              "another code", "idempotency_key")
        return earlier, False
    held = credit.current(session, store_id=store_id, customer_id=customer_id)
    if held is None or held.balance_minor < amount_minor:
        raise ReturnError("insufficient_credit", "the store credit balance is too low",
                          "amount_minor")
    code = codes.issue(session, store_id=store_id, kind="gift_card", source=SOURCE,
                       value_minor=amount_minor, currency=held.currency,
                       customer_id=customer_id, source_id=str(customer_id),
                       idempotency_key=idempotency_key, expires_at=expires_at, now=now)
    credit.post(session, store_id=store_id, customer_id=customer_id, currency=held.currency,
                amount_minor=-amount_minor, kind="spend", key=f"code:{code.id}",
                note=f"Gift code {code.code[-4:]}")
    return code, True


def cancel_code(session: Session, *, store_id: int, customer_id: int, code: str,
                now: datetime | None = None) -> DiscountCode:
    """Withdraw the customer's unused code and give its amount back as credit, once;
    404 for a code that is not theirs, 409 `invalid_status` when used or cancelled."""
    now = now or utcnow()
    locks.hold(session, "store-credit", store_id, customer_id)
    found = codes.by_code(session, store_id=store_id, code=code, lock=True)
    if found is None or found.customer_id != customer_id or found.source != SOURCE:
        raise ReturnError("not_found", "no such code for this customer", "code", 404)
    if not codes.cancel(session, code=found, now=now):
        raise ReturnError("invalid_status", f"the code is {found.status}, not issued",
                          "code", 409)
    credit.post(session, store_id=store_id, customer_id=customer_id,
                currency=found.currency or "", amount_minor=found.value_minor or 0,
                kind="code_cancelled", key=f"code:{found.id}:cancel",
                note=f"Gift code {found.code[-4:]} cancelled")
    return found
