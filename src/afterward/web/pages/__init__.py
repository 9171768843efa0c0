"""Shopper pages: the tracking page (/t/{token}) and the order lookup (/track).
Server-rendered, phone first, in the shopper's language, branded per store."""

from fastapi import APIRouter

from afterward.web.pages import lookup, tracking

router = APIRouter(include_in_schema=False)
for _part in (tracking, lookup):
    router.include_router(_part.router)

__all__ = ["router"]
