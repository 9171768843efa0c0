"""What insights computed about a customer, for integrators (DESIGN.md, "Contracts
... Insights"): always the store's latest finished run."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from afterward.api.deps import Principal, principal, read_session
from afterward.api.errors import ApiError
from afterward.api.params import IdPath, each_once
from afterward.api.responses import INVALID, KEYED, NOT_FOUND
from afterward.commerce import service as commerce
from afterward.insights import stored
from afterward.insights.schemas import CustomerInsightsOut

router = APIRouter(prefix="/api/v1", responses=KEYED, tags=["customers"],
                   dependencies=[Depends(each_once)])


@router.get("/customers/{customer_id}/insights", response_model=CustomerInsightsOut,
            responses={**NOT_FOUND, **INVALID})
def customer_insights(customer_id: IdPath, who: Principal = Depends(principal),
                      session: Session = Depends(read_session)) -> CustomerInsightsOut:
    """The customer's segment, churn risk, probability of still buying, expected
    orders in 90 days, lifetime value, next order due and subscriptions with the risk
    before each renewal (404 `not_computed` until a
    recompute has scored them: it runs nightly, after a bulk import, or by
    `afterward insights recompute`)."""
    if commerce.get_customer(session, store_id=who.store_id, customer_id=customer_id) is None:
        raise ApiError(404, "not_found", "no such customer in this store")
    row = stored.of_customer(session, store_id=who.store_id, customer_id=customer_id)
    if row is None:
        raise ApiError(404, "not_computed", "no insights for this customer yet: they are "
                                            "computed from orders, nightly")
    owned = stored.subscriptions(session, store_id=who.store_id, customer_id=customer_id)
    return CustomerInsightsOut.model_validate(
        {**stored.as_dict(row), "subscriptions": [stored.subscription_dict(s) for s in owned]})
