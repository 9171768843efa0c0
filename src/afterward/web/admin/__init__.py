"""The merchant admin: server-rendered pages under /admin, one store at a time."""

from fastapi import APIRouter

from afterward.web.admin import (
    auth,
    customers,
    dashboard,
    journeys,
    messages,
    orders,
    shipments,
)

router = APIRouter(include_in_schema=False)
for _part in (auth, dashboard, orders, shipments, customers, journeys, messages):
    router.include_router(_part.router)

__all__ = ["router"]
