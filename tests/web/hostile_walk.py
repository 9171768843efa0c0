"""The walk: every page a shopper or a merchant can open, as visits (a route, a URL
filled in from the hostile shop, the hostile values the page must show), and what
is wrong with a response (tests/hostile.py says what a page must not contain)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from httpx import Response

from tests.hostile import missing, parse, raw_forms_in

CSRF = object()  # in a visit's form: the session's CSRF value, read when it is sent


@dataclass(frozen=True)
class Visit:
    route: str  # the path the app declares
    url: str  # str.format()ted with the shop as `shop`
    shows: tuple[str, ...] = ()  # hostile values the page shows, whole
    status: int = 200
    kind: str = "page"  # page | svg | gif | json | redirect (a page of ours: raw forms too)
    form: dict[str, Any] | None = None  # POSTed when given
    files: dict[str, tuple[str, bytes, str]] | None = None  # sent with the form, multipart

    def target(self, shop: Any) -> str:
        return self.url.format(shop=shop)

    @property
    def method(self) -> str:
        return "GET" if self.form is None else "POST"


def q(value: str) -> str:
    return quote(value, safe="")


def query(**params: str) -> str:
    return urlencode(params).replace("{", "{{").replace("}", "}}")


def routes_of(app: FastAPI, method: str) -> dict[str, re.Pattern[str]]:
    """The app's routes for `method`: the declared path -> the regex its URLs match."""
    return {str(route.path): route.path_regex for route in iter_route_contexts(app.routes)
            if method in (route.methods or ()) and route.path is not None}


def problems_with(response: Response, visit: Visit, shop: Any) -> list[str]:
    where = f"{visit.method} {visit.target(shop)}"
    if response.status_code != visit.status:
        return [f"{where}: status {response.status_code}, expected {visit.status}"]
    check = {"page": _page, "svg": _svg, "gif": _gif, "json": _json,
             "redirect": _redirect}[visit.kind]
    return [f"{where}: {problem}" for problem in check(response, visit)]


def _page(response: Response, visit: Visit) -> list[str]:
    if not response.headers["content-type"].startswith("text/html"):
        return [f"served as {response.headers['content-type']}"]
    document = parse(response.text)
    return [*document.problems,
            *(f"typed as it came: {form!r}" for form in raw_forms_in(response.text)),
            *(f"does not show {value[:50]!r}" for value in missing(document, visit.shows))]


def _svg(response: Response, visit: Visit) -> list[str]:
    """Escaped as XML (quotes stay in text): checked as it parses, not as it reads."""
    if response.headers["content-type"] != "image/svg+xml":
        return [f"served as {response.headers['content-type']}"]
    document = parse(response.text)
    return [*document.problems,
            *(f"does not show {value[:50]!r}" for value in missing(document, visit.shows))]


def _gif(response: Response, visit: Visit) -> list[str]:
    kind = response.headers["content-type"]
    return [] if kind == "image/gif" and response.content.startswith(b"GIF") else [
        f"served as {kind}"]


def _json(response: Response, visit: Visit) -> list[str]:
    """JSON, never a page: a browser shows it as data (or downloads it)."""
    if response.headers["content-type"] != "application/json":
        return [f"served as {response.headers['content-type']}"]
    strings = list(_strings(json.loads(response.text)))
    return [f"does not hold {value[:50]!r}" for value in visit.shows
            if not any(value in string for string in strings)]


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _redirect(response: Response, visit: Visit) -> list[str]:
    location = response.headers.get("location", "")
    return [] if location.startswith(("http://testserver/", "/")) else [
        f"redirects to {location!r}"]
