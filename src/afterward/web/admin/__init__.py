"""The merchant admin: server-rendered pages under /admin, one store at a time.
The shell (sign-in, dashboard, failed jobs) is here; each installed module adds its
pages (Module.admin) and its entry in the navigation (Module.nav)."""

from fastapi import APIRouter

from afterward import modules
from afterward.web.admin import auth, dashboard


def router() -> APIRouter:
    combined = APIRouter(include_in_schema=False)
    for part in (auth.router, dashboard.router, *modules.resolved("admin")):
        combined.include_router(part)
    return combined


__all__ = ["router"]
