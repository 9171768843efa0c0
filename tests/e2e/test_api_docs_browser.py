"""The API reference pages in a real browser: Swagger UI (/docs) and ReDoc (/redoc)
render the operations from files this server serves, and the page asks no other host
for anything (no CDN, no fonts, no validator, no logo) and no request fails."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.e2e


@dataclass
class Traffic:
    """Every request a browser context made, and the ones that failed."""

    server: str
    requested: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def watch(self, context: Any) -> None:
        context.on("request", lambda request: self.requested.append(request.url))
        context.on("requestfailed", lambda request: self.failed.append(
            f"{request.url}: {request.failure}"))
        context.on("response", lambda response: response.status >= 400 and self.failed.append(
            f"{response.url}: HTTP {response.status}"))

    def elsewhere(self) -> list[str]:
        return [url for url in self.requested if not self._here(url)]

    def _here(self, url: str) -> bool:
        if url.startswith("data:"):
            return True  # inline, never leaves the page
        if url.startswith("blob:"):
            url = url.removeprefix("blob:")  # a blob URL names the origin that made it
        return urlsplit(url).netloc == urlsplit(self.server).netloc


@pytest.fixture
def traffic(live_server) -> Traffic:
    return Traffic(live_server.url)


def open_watched(new_page, traffic: Traffic) -> Any:
    page = new_page()
    traffic.watch(page.context)
    return page


def test_swagger_ui_renders_the_operations_from_this_server_only(
        live_server, new_page, traffic):
    page = open_watched(new_page, traffic)

    page.goto(f"{live_server.url}/docs")
    orders = page.locator('.opblock-summary-path[data-path="/api/v1/orders"]').first
    orders.wait_for(state="visible", timeout=60_000)  # as ReDoc below: a busy machine
    page.wait_for_load_state("networkidle")

    assert orders.inner_text().strip().startswith("/api/v1/orders")
    assert page.locator(".opblock").count() > 20
    assert traffic.elsewhere() == []
    assert traffic.failed == []
    assert f"{live_server.url}/static/vendor/swagger-ui/swagger-ui-bundle.js" in traffic.requested
    assert f"{live_server.url}/openapi.json" in traffic.requested


def test_redoc_renders_the_operations_from_this_server_only(live_server, new_page, traffic):
    page = open_watched(new_page, traffic)

    page.goto(f"{live_server.url}/redoc")
    # ReDoc lays out all ~150 operations in the browser before it shows one: seconds of
    # CPU, and more while the other test processes share the cores; wait for it.
    page.get_by_text("/api/v1/orders", exact=True).first.wait_for(state="visible",
                                                                   timeout=60_000)
    page.wait_for_load_state("networkidle")

    assert page.locator("[role=menuitem]").count() > 20
    assert traffic.elsewhere() == []
    assert traffic.failed == []
    assert f"{live_server.url}/static/vendor/redoc/redoc.standalone.js" in traffic.requested
    assert f"{live_server.url}/openapi.json" in traffic.requested
