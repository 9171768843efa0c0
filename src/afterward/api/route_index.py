"""The app's routes as its own entries, and an index in front of them, so a request
is matched against the few routes that can match it instead of all of them.

`add_routes` puts a router's routes into the app as they are. FastAPI's
`include_router` (0.137 on) keeps the router as one entry instead, and on its first
match builds each of its routes again for the app (their dependencies, fields and
response models: 0.5-0.7 s of CPU for the ~210 routes the modules bring, in every
server process, every time it starts). Our routers carry their prefix, dependencies and
response class themselves, so the routes they built are the app's.

A route's path is a regular expression anchored at its start, so a request can only
match a route whose path's literal beginning (up to the first `{`) begins the
request's path. The index keeps each entry's literal beginnings, asks only the entries
with one that fits, in the app's order, and answers what the full walk would: the
first entry that matches fully, else the first that matches partially (the path, not
the method). It stands first among the routes and leaves them all in place, so
everything that reads the routes (OpenAPI, `url_path_for`, the 405's Allow header)
sees them as before. It declines (NONE: the walk behind it runs as before) for
anything it cannot answer exactly: a scope other than HTTP, a `root_path`, and a path
that reaches, before any match, an entry other than a FastAPI route (a mount, a
Starlette route such as /openapi.json, a router included whole). A path nothing takes is
answered as the walk would end, with the router's 404, once the same path with its
trailing slash toggled is as certainly taken by nothing (else the walk redirects):
a scanner's request no longer costs two walks of every route. One difference: FastAPI's
optional OpenTelemetry support names the route of a request it walked to itself,
not of one the index answered. tests/api/test_route_index.py checks every route of
the app, and paths matching none, against the full walk."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette.datastructures import URLPath
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import ASGIApp, Receive, Scope, Send

CHOSEN = "afterward.route_index.chosen"  # the scope key of the entry that matched


class RouteIndex(BaseRoute):
    def __init__(self, routes: list[BaseRoute], *, not_found: ASGIApp,
                 redirect_slashes: bool) -> None:
        self.entries = [(route, _beginning(route), isinstance(route, APIRoute))
                        for route in routes]
        self.not_found = not_found
        self.redirect_slashes = redirect_slashes

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or scope.get("root_path"):
            return Match.NONE, {}
        match, child = self._find(scope)
        if child is _DECLINED:
            return Match.NONE, {}
        if match is not Match.NONE:
            return match, child
        # Nothing takes the path. The walk would ask every route, then every route
        # again with the path's trailing slash toggled (to redirect), then answer 404:
        # answered here when that path is as certainly taken by none.
        path = scope["path"]
        if self.redirect_slashes and path != "/":
            toggled = path.rstrip("/") if path.endswith("/") else path + "/"
            match, child = self._find({**scope, "path": toggled})
            if match is not Match.NONE or child is _DECLINED:
                return Match.NONE, {}  # the walk redirects, or may
        return Match.FULL, {CHOSEN: NOT_FOUND}

    def _find(self, scope: Scope) -> tuple[Match, Scope]:
        """What the walk finds: (NONE, {}) when nothing takes the path, (NONE,
        _DECLINED) when an entry left to the walk is reached first."""
        path = scope["path"]
        partial: Scope | None = None
        for route, beginning, delegable in self.entries:
            if not path.startswith(beginning):
                continue
            if not delegable:
                return Match.NONE, _DECLINED
            match, child = route.matches(scope)
            if match is Match.FULL:
                return Match.FULL, {**child, CHOSEN: route}
            if match is Match.PARTIAL and partial is None:
                partial = {**child, CHOSEN: route}
        if partial is not None:
            return Match.PARTIAL, partial
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = scope.pop(CHOSEN)
        if route is NOT_FOUND:
            await self.not_found(scope, receive, send)
            return
        await route.handle(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        raise NoMatchFound(name, path_params)  # the routes behind it answer


NOT_FOUND = object()  # CHOSEN when no route takes the path: the router's 404
_DECLINED = {"afterward.route_index.declined": True}


def _beginning(route: BaseRoute) -> str:
    """The literal beginning of the entry's path ("/", every path, for an entry without
    one of its own, such as a router included whole)."""
    path = getattr(route, "path", None)
    if not isinstance(path, str) or not path.startswith("/"):
        return "/"
    return path.split("{", 1)[0]


def add_routes(app: FastAPI, router: APIRouter, *, include_in_schema: bool = True) -> None:
    """The router's routes, as it built them, added to the app's in their order (see
    the module's docstring); `include_in_schema=False` leaves them out of the OpenAPI
    document, as including the router with it would. The router must not include
    routers of its own: their entries are not routes the app can take as they are."""
    routes = [route for route in router.routes if isinstance(route, APIRoute)]
    if len(routes) != len(router.routes):
        raise TypeError(f"{router!r} holds more than FastAPI routes: include it instead")
    for route in routes:
        if not include_in_schema:
            route.include_in_schema = False
        app.router.routes.append(route)


def install(app: FastAPI) -> None:
    """Put the index in front of the app's routes, as they are now (call it once all
    are added)."""
    router = app.router
    routes = router.routes
    routes.insert(0, RouteIndex([route for route in routes if not isinstance(route, RouteIndex)],
                                not_found=router.default,
                                redirect_slashes=router.redirect_slashes))
