"""/docs and /redoc point only at files this server serves (vendored under
web/static/vendor), every one of them is served, and the package ships them."""

from __future__ import annotations

import glob
import re
import tomllib
from pathlib import Path

import pytest

import afterward

PACKAGE = Path(afterward.__file__).parent
VENDOR = PACKAGE / "web" / "static" / "vendor"
PYPROJECT = PACKAGE.parents[1] / "pyproject.toml"


def addresses_in(html: str) -> list[str]:
    """What the page makes the browser load: src, href and the spec's URL."""
    return re.findall(r'(?:src|href|spec-url)="([^"]+)"', html) + re.findall(
        r"url: '([^']+)'", html)


@pytest.mark.parametrize(("path", "expected"), [
    ("/docs", ["/static/vendor/swagger-ui/swagger-ui.css",
               "/static/vendor/swagger-ui/favicon-32x32.png",
               "/static/vendor/swagger-ui/swagger-ui-bundle.js", "/openapi.json"]),
    ("/redoc", ["/static/vendor/swagger-ui/favicon-32x32.png", "/openapi.json",
                "/static/vendor/redoc/redoc.standalone.js"]),
])
def test_the_docs_pages_load_only_files_from_this_server(client, path, expected):
    page = client.get(path)

    assert page.status_code == 200
    assert addresses_in(page.text) == expected
    assert "fonts.googleapis.com" not in page.text
    assert "cdn.jsdelivr.net" not in page.text


def test_swagger_ui_is_told_not_to_use_the_online_validator(client):
    page = client.get("/docs")

    assert '"validatorUrl": null' in page.text


@pytest.mark.parametrize(("url", "kind"), [
    ("/static/vendor/swagger-ui/swagger-ui-bundle.js", "text/javascript"),
    ("/static/vendor/swagger-ui/swagger-ui.css", "text/css"),
    ("/static/vendor/swagger-ui/favicon-32x32.png", "image/png"),
    ("/static/vendor/redoc/redoc.standalone.js", "text/javascript"),
    ("/static/vendor/chart.js/chart.umd.min.js", "text/javascript"),
])
def test_each_vendored_file_is_served(client, url, kind):
    response = client.get(url)

    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == kind


def test_the_oauth2_redirect_page_of_swagger_ui_is_still_served(client):
    page = client.get("/docs/oauth2-redirect")

    assert page.status_code == 200
    assert "oauth2" in page.text


def test_each_vendored_file_has_its_licence_beside_it():
    for folder in ("swagger-ui", "redoc", "chart.js"):
        names = {p.name for p in (VENDOR / folder).iterdir()}
        assert names & {"LICENSE", "LICENSE.md"}, folder


def test_the_redoc_bundle_no_longer_fetches_its_logo_from_a_cdn():
    bundle = (VENDOR / "redoc" / "redoc.standalone.js").read_text(encoding="utf-8")

    assert "cdn.redoc.ly" not in bundle


def test_the_package_data_patterns_ship_every_vendored_file():
    patterns = tomllib.loads(PYPROJECT.read_text())["tool"]["setuptools"]["package-data"][
        "afterward"]
    # As setuptools expands package-data: each pattern globbed recursively in the package.
    shipped = {Path(found) for pattern in patterns
               for found in glob.glob(str(PACKAGE / pattern), recursive=True)}
    vendored = {path for path in VENDOR.rglob("*") if path.is_file()}

    assert len(vendored) == 12
    assert sorted(vendored - shipped) == []
