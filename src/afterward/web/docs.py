"""The API's reference pages: Swagger UI at /docs and ReDoc at /redoc, both built
from the files vendored under web/static/vendor (scripts/vendor-web-assets.sh), so
a browser reading them asks nothing of any other host. The app is created with
FastAPI's own docs switched off (docs_url=None, redoc_url=None); these replace them."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from starlette.responses import HTMLResponse

VENDOR = "/static/vendor"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"
# FastAPI's defaults, and no online validator (Swagger UI would send the spec's
# address to validator.swagger.io in layouts that show its badge).
SWAGGER_UI_PARAMETERS = {"dom_id": "#swagger-ui", "layout": "BaseLayout", "deepLinking": True,
                         "showExtensions": True, "showCommonExtensions": True,
                         "validatorUrl": None}

router = APIRouter(include_in_schema=False)


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def _openapi_url(request: Request) -> str:
    return _root(request) + (request.app.openapi_url or "/openapi.json")


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    static = _root(request) + VENDOR
    return get_swagger_ui_html(
        openapi_url=_openapi_url(request), title=f"{request.app.title} - Swagger UI",
        swagger_js_url=f"{static}/swagger-ui/swagger-ui-bundle.js",
        swagger_css_url=f"{static}/swagger-ui/swagger-ui.css",
        swagger_favicon_url=f"{static}/swagger-ui/favicon-32x32.png",
        oauth2_redirect_url=_root(request) + OAUTH2_REDIRECT,
        swagger_ui_parameters=SWAGGER_UI_PARAMETERS)


@router.get(OAUTH2_REDIRECT)
def swagger_ui_oauth2_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    static = _root(request) + VENDOR
    return get_redoc_html(
        openapi_url=_openapi_url(request), title=f"{request.app.title} - ReDoc",
        redoc_js_url=f"{static}/redoc/redoc.standalone.js",
        redoc_favicon_url=f"{static}/swagger-ui/favicon-32x32.png", with_google_fonts=False)
