"""Shopper pages: the tracking page (/t/{token}), the order lookup (/track) and the
message preference centre (/preferences/{token}).
Server-rendered, phone first, in the shopper's language, branded per store."""

from fastapi import APIRouter

from afterward.web.pages import lookup, preferences, tracking

router = APIRouter(include_in_schema=False)
for _part in (tracking, lookup, preferences):
    router.include_router(_part.router)

__all__ = ["router"]
