"""An index in front of the app's routes, so a request is matched against the few
routes that can match it instead of all of them.

FastAPI (0.137 on) keeps each included router as one entry of the app's routes and
matches a request by asking every entry in turn; an entry asks each of its routes,
saving and restoring its context around each. With the ~40 entries and ~210 routes
the modules bring, a request to a route near the end paid ~0.45 ms of CPU before its
endpoint ran (a loyalty redemption: a sixth of its server CPU).

A route's path is a regular expression anchored at its start, so a request can only
match a route whose path's literal beginning (up to the first `{`) begins the
request's path. The index keeps each entry's literal beginnings, asks only the entries
with one that fits, in the app's order, and answers what the full walk would: the
first entry that matches fully, else the first that matches partially (the path, not
the method). It stands first among the routes and leaves them all in place, so
everything that reads the routes (OpenAPI, `url_path_for`, the 405's Allow header)
sees them as before. It declines (NONE: the walk behind it runs as before) for
anything it cannot answer exactly: a scope other than HTTP, a `root_path`, and a path
that reaches an entry FastAPI treats apart when selected (a mount, a single route: it
reports their path to its telemetry), before any match. tests/api/test_route_index.py
checks every route of the app, and paths matching none, against the full walk."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from starlette.datastructures import URLPath
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

CHOSEN = "afterward.route_index.chosen"  # the scope key of the entry that matched


class RouteIndex(BaseRoute):
    def __init__(self, routes: list[BaseRoute]) -> None:
        self.entries = [(route, _beginnings(route), not hasattr(route, "path_format"))
                        for route in routes]

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or scope.get("root_path"):
            return Match.NONE, {}
        path = scope["path"]
        partial: Scope | None = None
        for route, beginnings, delegable in self.entries:
            if not path.startswith(beginnings):
                continue
            if not delegable:
                return Match.NONE, {}
            match, child = route.matches(scope)
            if match is Match.FULL:
                return Match.FULL, {**child, CHOSEN: route}
            if match is Match.PARTIAL and partial is None:
                partial = {**child, CHOSEN: route}
        if partial is not None:
            return Match.PARTIAL, partial
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        route: BaseRoute = scope.pop(CHOSEN)
        await route.handle(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        raise NoMatchFound(name, path_params)  # the routes behind it answer


def _beginnings(route: BaseRoute) -> tuple[str, ...]:
    """The literal beginnings of the entry's paths ("/" when one starts with a
    parameter: every path)."""
    paths = [context.path for context in iter_route_contexts([route])]
    if not paths or not all(isinstance(path, str) and path.startswith("/") for path in paths):
        return ("/",)
    return tuple(sorted({str(path).split("{", 1)[0] for path in paths}))


def install(app: FastAPI) -> None:
    """Put the index in front of the app's routes, as they are now (call it once all
    are added)."""
    routes = app.router.routes
    routes.insert(0, RouteIndex([route for route in routes if not isinstance(route, RouteIndex)]))
