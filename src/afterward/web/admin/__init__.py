"""The merchant admin: server-rendered pages under /admin, one store at a time.
The shell (sign-in, dashboard, failed jobs) is here; each installed module adds its
pages (Module.admin) and its entry in the navigation (Module.nav)."""

from fastapi import APIRouter

from afterward import modules
from afterward.web.admin import auth, dashboard


def routers() -> list[APIRouter]:
    """The admin's routers, in the order their routes are matched (none in the OpenAPI
    document: app.py adds them so)."""
    return [auth.router, dashboard.router, *modules.resolved("admin")]


__all__ = ["routers"]
