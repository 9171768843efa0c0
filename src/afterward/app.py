"""create_app(settings): the API, shopper pages and admin on one ASGI app.
Nothing runs at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.datastructures import State
from starlette.staticfiles import StaticFiles

from afterward import __version__, modules
from afterward.api import errors, openapi, operations, route_index
from afterward.api import privacy as privacy_api
from afterward.api.group_commit import GroupCommitter
from afterward.api.limits import BodySizeLimit
from afterward.api.stopping import AnswerWhenCutOff
from afterward.config import Settings
from afterward.process import freeze_start_up_heap
from afterward.storage.db import Database

STATIC = Path(__file__).parent / "web" / "static"


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    owns_db = db is None
    database = db or Database(settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if owns_db:
            database.dispose()

    # docs_url/redoc_url off: web/docs.py serves both from vendored files, not a CDN.
    app = FastAPI(title="Afterward", version=__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None,
                  description="Post-purchase experience platform: orders, shipments, "
                  "journeys, returns, loyalty and reviews for one store per API key.")
    bind(app, settings, database)
    errors.install(app)
    openapi.install(app)
    from afterward.web import admin, docs

    # What the installed modules bring, shopper pages first: they are the busiest
    # routes a browser asks for, and routes are matched in order (no two overlap).
    for router in (*modules.resolved("pages"), *modules.resolved("api"), operations.router,
                   privacy_api.router):
        route_index.add_routes(app, router)
    for router in admin.routers():
        route_index.add_routes(app, router, include_in_schema=False)
    route_index.add_routes(app, docs.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok", "version": __version__})

    route_index.install(app)  # in front of the routes, once all are added

    app.add_middleware(BodySizeLimit, max_bytes=lambda: app.state.settings.max_body_bytes)
    app.add_middleware(AnswerWhenCutOff)  # the outermost: it sees every request cut off
    return app


def bind(app: FastAPI, settings: Settings, database: Database) -> None:
    """Give an app its settings and database, with fresh per-app state (caches, the
    group committer). Everything a request reads of them comes from `app.state`, so
    an app built once can be bound to another database (tests/demo/test_rerun.py)."""
    app.state = State()
    app.state.settings = settings
    app.state.db = database
    app.state.key_cache = {}
    app.state.group_commits = GroupCommitter(database)
    app.openapi_schema = None
    modules.configure(settings)


def ready_to_serve(app: FastAPI) -> FastAPI:
    """What a long-running server process adds to an app: SQLite checkpoints off the
    request path, and start-up's objects (modules, routes, templates: ~135,000) moved
    out of the garbage collector's sight, so its full passes take a few milliseconds
    instead of 70-100 ms in the middle of a request."""
    app.state.db.checkpoint_in_background()
    freeze_start_up_heap()
    return app


def create_served_app() -> FastAPI:
    """The factory `afterward serve --workers N` gives uvicorn (one per process)."""
    return ready_to_serve(create_app())
