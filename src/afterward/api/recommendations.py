"""Recommendations for integrators (DESIGN.md, "Contracts ... Insights"): what goes
with an order, and what a customer may also like; the same lists the tracking page
and the emails show (insights/recs_serve.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from afterward.api.deps import Principal, principal, read_session
from afterward.api.errors import ApiError
from afterward.api.params import WHOLE, IdPath, each_once
from afterward.api.responses import INVALID, KEYED, NOT_FOUND
from afterward.insights import recs_serve
from afterward.insights.recs_schemas import RecommendationsOut, RecommendedOut

router = APIRouter(prefix="/api/v1", responses=KEYED, tags=["recommendations"],
                   dependencies=[Depends(each_once)])

RecsLimit = Annotated[int, Query(ge=1, le=recs_serve.MAX_LIMIT,
                                 description="How many, at most"), WHOLE]


def _out(items: list[recs_serve.Item]) -> RecommendationsOut:
    return RecommendationsOut(items=[RecommendedOut(sku=i.sku, title=i.title, score=i.score)
                                     for i in items])


@router.get("/orders/{order_id}/recommendations", response_model=RecommendationsOut,
            tags=["orders"], responses={**NOT_FOUND, **INVALID})
def order_recommendations(order_id: IdPath, limit: RecsLimit = recs_serve.DEFAULT_LIMIT,
                          who: Principal = Depends(principal),
                          session: Session = Depends(read_session)) -> RecommendationsOut:
    """Goes with what was bought: products often bought with the order's, best first;
    none the customer bought (unless they buy it again and again), none out of stock."""
    found = recs_serve.for_order(session, store_id=who.store_id, order_id=order_id,
                                 limit=limit)
    if found is None:
        raise ApiError(404, "not_found", "no such order in this store")
    return _out(found)


@router.get("/customers/{customer_id}/recommendations", response_model=RecommendationsOut,
            tags=["customers"], responses={**NOT_FOUND, **INVALID})
def customer_recommendations(customer_id: IdPath,
                             limit: RecsLimit = recs_serve.DEFAULT_LIMIT,
                             who: Principal = Depends(principal),
                             session: Session = Depends(read_session)) -> RecommendationsOut:
    """You may also like: the customer's own list (TIFU-KNN, from the store's latest
    recompute), then the store's popular products; none of their latest order's unless
    they buy it again and again, none out of stock."""
    found = recs_serve.for_customer(session, store_id=who.store_id, customer_id=customer_id,
                                    limit=limit)
    if found is None:
        raise ApiError(404, "not_found", "no such customer in this store")
    return _out(found)
