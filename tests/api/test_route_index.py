"""api/route_index.py answers every request as the full walk of the app's routes would:
the same entry for every route of the app (each method, and one it does not take), for
paths no route takes, and it declines what it cannot answer exactly."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import BaseRoute, Match

from afterward import modules
from afterward.api.route_index import CHOSEN, NOT_FOUND, RouteIndex, add_routes
from afterward.web import admin

SAMPLES = {"int": "7", "path": "a/b", "journey_key": "welcome"}
PARAM = re.compile(r"{(\w+)(?::(\w+))?}")


def walked(routes: list[BaseRoute], scope: dict[str, Any]) -> tuple[Match, BaseRoute | None]:
    """What the app's loop finds: the first full match, else the first partial one."""
    partial = None
    for route in routes:
        match, _ = route.matches(dict(scope))
        if match is Match.FULL:
            return match, route
        if match is Match.PARTIAL and partial is None:
            partial = route
    return (Match.PARTIAL, partial) if partial is not None else (Match.NONE, None)


def indexed(index: RouteIndex, scope: dict[str, Any]) -> tuple[Match, BaseRoute | None]:
    match, child = index.matches(dict(scope))
    return match, child.get(CHOSEN)


def http(path: str, method: str = "GET", **extra: Any) -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "root_path": "",
            "headers": [], "query_string": b"", **extra}


def a_path(template: str) -> str:
    return PARAM.sub(lambda m: SAMPLES.get(m.group(2) or "", f"x{m.group(1)}"), template)


@pytest.fixture
def routes(app) -> list[BaseRoute]:
    [index] = [route for route in app.router.routes if isinstance(route, RouteIndex)]
    assert app.router.routes[0] is index
    return app.router.routes[1:]


@pytest.fixture
def index(app) -> RouteIndex:
    return app.router.routes[0]


def every_route(routes: list[BaseRoute]) -> list[tuple[str, str]]:
    found = []
    for context in iter_route_contexts(routes):
        path = getattr(context, "path_format", None) or context.path
        if isinstance(path, str) and context.methods:
            found += [(path, method) for method in sorted(context.methods)]
    return found


def left_to_the_walk(route: BaseRoute | None) -> bool:
    """An entry other than a FastAPI route (a Starlette route, a mount): the index
    declines the paths that reach it."""
    return route is not None and not isinstance(route, APIRoute)


def test_every_route_of_the_app_is_found_as_the_full_walk_finds_it(routes, index):
    checked, declined = 0, set()
    for template, method in every_route(routes):
        scope = http(a_path(template), method)
        expected = walked(routes, scope)
        assert expected[0] is Match.FULL, (template, method)
        if left_to_the_walk(expected[1]):
            assert indexed(index, scope) == (Match.NONE, None)
            declined.add(template)
        else:
            assert indexed(index, scope) == expected, (template, method)
            checked += 1

    assert checked > 200
    assert declined == {"/openapi.json"}


def test_a_method_a_path_does_not_take_is_the_same_partial_match(routes, index):
    for template, _ in every_route(routes):
        scope = http(a_path(template), "PATCH")
        expected = walked(routes, scope)
        if not left_to_the_walk(expected[1]):
            assert indexed(index, scope) == expected, template


def toggled(path: str) -> str:
    return path.rstrip("/") if path.endswith("/") else path + "/"


@pytest.mark.parametrize("path", [
    "/", "/nope", "/api", "/api/v1", "/api/v1/", "/api/v1/loyalty", "/api/v1/loyalty/redemptions/",
    "/api/v1/orders/not-a-number", "/t/", "/returns/o/", "/admin/", "/healthz/", "//",
    "/api/v1/journeys/validate/extra", "/reviews/s", "/static", "/wp-login.php",
])
def test_paths_no_route_takes_are_declined_or_answered_as_the_walk_does(routes, index, path):
    for method in ("GET", "POST", "DELETE"):
        scope = http(path, method)
        found = indexed(index, scope)
        if found == (Match.FULL, NOT_FOUND):  # the walk's end: nothing, nor redirected
            assert walked(routes, scope) == (Match.NONE, None)
            assert path == "/" or walked(routes, http(toggled(path), method)) == (
                Match.NONE, None)
        else:
            assert found == walked(routes, scope) or found == (Match.NONE, None)


def test_a_path_nothing_takes_is_answered_404_by_the_index_and_one_redirected_is_not(
        index, client, store):
    missing = client.get("/wp-login.php", headers=store.auth)
    redirected = client.get("/api/v1/orders/", headers=store.auth, follow_redirects=False)

    assert indexed(index, http("/wp-login.php")) == (Match.FULL, NOT_FOUND)
    assert indexed(index, http("/api/v1/orders/")) == (Match.NONE, None)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")
    assert (redirected.status_code, redirected.headers["location"]) == (
        307, "http://testserver/api/v1/orders")


def test_a_mount_is_left_to_the_walk_and_its_files_still_served(index, client):
    assert indexed(index, http("/static/admin.css")) == (Match.NONE, None)
    assert client.get("/static/admin.css").status_code == 200


@pytest.mark.parametrize("scope", [
    http("/api/v1/orders", root_path="/shop"),
    {"type": "websocket", "path": "/api/v1/orders", "root_path": "", "headers": [],
     "query_string": b""},
])
def test_a_scope_it_cannot_answer_exactly_is_declined(index, scope):
    assert index.matches(scope) == (Match.NONE, {})


def test_routes_answer_through_it_as_before(client, store):
    program = client.get("/api/v1/loyalty/program", headers=store.auth)
    wrong_method = client.delete("/api/v1/loyalty/program", headers=store.auth)
    redirect = client.get("/api/v1/orders/", headers=store.auth, follow_redirects=False)
    missing = client.get("/api/v1/nothing-here", headers=store.auth)

    assert program.status_code == 200
    assert (wrong_method.status_code, wrong_method.headers["allow"]) == (405, "GET, PUT")
    assert (redirect.status_code, redirect.headers["location"]) == (
        307, "http://testserver/api/v1/orders")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")


def test_the_app_takes_the_routes_its_routers_built_rather_than_building_them_again(app):
    own = [route for kind in ("pages", "api") for router in modules.resolved(kind)
           for route in router.routes]
    own += [route for router in admin.routers() for route in router.routes]
    entries = {id(route) for route in app.router.routes}

    assert len(own) > 150
    assert all(id(route) in entries for route in own)
    assert all(not route.include_in_schema for router in admin.routers()
               for route in router.routes)


def test_a_router_that_includes_routers_is_refused_and_nothing_is_added():
    inner, outer = APIRouter(), APIRouter()
    inner.add_api_route("/a", lambda: None)
    outer.add_api_route("/b", lambda: None)
    outer.include_router(inner)
    target = FastAPI()
    before = list(target.router.routes)

    with pytest.raises(TypeError, match="include it instead"):
        add_routes(target, outer)

    assert target.router.routes == before
