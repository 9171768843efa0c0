"""One error shape for every refusal: {"error": {"code", "message", "field"}}."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from afterward.commerce.service import CommerceError
from afterward.commerce.stores import StoreError
from afterward.commerce.validation import InvalidValue, UnknownReference
from afterward.storage.db import DatabaseBusy, unavailable

log = logging.getLogger("afterward.api")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.headers = headers


class ErrorBody(BaseModel):
    code: str
    message: str
    field: str | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody


def error_response(status: int, code: str, message: str, field: str | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "field": field}},
                        status_code=status, headers=headers)


_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 406: "not_acceptable", 409: "conflict",
               413: "payload_too_large", 415: "unsupported_media_type", 422: "invalid",
               429: "rate_limited", 503: "unavailable"}


def _field_of(loc: tuple[Any, ...]) -> str | None:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or None


RETRY_AFTER_SECONDS = 5


def _unavailable() -> JSONResponse:
    return error_response(503, "unavailable",
                          "the database is unavailable for a moment: try again shortly",
                          headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.field, exc.headers)

    @app.exception_handler(CommerceError)
    async def _commerce_error(_request: Request, exc: CommerceError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.field)

    @app.exception_handler(StoreError)
    async def _store_error(_request: Request, exc: StoreError) -> JSONResponse:
        status = 409 if exc.code == "store_exists" else 422
        return error_response(status, exc.code, exc.message, exc.field)

    @app.exception_handler(InvalidValue)
    async def _invalid_value(_request: Request, exc: InvalidValue) -> JSONResponse:
        return error_response(422, "invalid", exc.message, exc.field)

    @app.exception_handler(UnknownReference)
    async def _unknown_reference(_request: Request, exc: UnknownReference) -> JSONResponse:
        return error_response(404, "not_found", exc.message, exc.field)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {"loc": (), "msg": "invalid request", "type": ""}
        kind = str(first.get("type", ""))
        message = str(first.get("msg", "invalid request")).removeprefix("Value error, ")
        code = "malformed_json" if kind == "json_invalid" else "invalid"
        status = 400 if code == "malformed_json" else 422
        return error_response(status, code, message, _field_of(tuple(first.get("loc", ()))))

    @app.exception_handler(DataError)
    async def _data_error(_request: Request, exc: DataError) -> JSONResponse:
        # The database refused a value its column type cannot hold (PostgreSQL: a NUL in
        # text, a number out of range). Bad input that slipped past the schema: a 422,
        # and the request's transaction was rolled back whole.
        log.warning("database refused a value: %s", str(exc.orig).splitlines()[0])
        if "NUL" in str(exc.orig) or "\\u0000" in str(exc.orig):
            return error_response(422, "invalid", "text may not contain NUL characters")
        return error_response(422, "invalid", "a value is out of range for its field")

    @app.exception_handler(IntegrityError)
    async def _integrity(_request: Request, exc: IntegrityError) -> JSONResponse:
        # A constraint still refused the change after Database.run's retries: the
        # request conflicts with what is stored. Rolled back whole.
        log.info("constraint refused a change: %s", str(exc.orig).splitlines()[0])
        return error_response(409, "conflict", "this change conflicts with stored data")

    @app.exception_handler(DBAPIError)
    async def _database_error(request: Request, exc: DBAPIError) -> JSONResponse:
        if not unavailable(exc):
            return await _unexpected(request, exc)
        log.warning("database unavailable: %s", str(exc.orig).splitlines()[0])
        return _unavailable()

    @app.exception_handler(DatabaseBusy)
    async def _busy(_request: Request, exc: DatabaseBusy) -> JSONResponse:
        log.warning("database busy: %s", exc)
        return _unavailable()

    @app.exception_handler(PoolTimeout)
    async def _no_connection(_request: Request, exc: PoolTimeout) -> JSONResponse:
        log.warning("no database connection free: %s", exc)
        return _unavailable()

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # A bug, not bad input: logged with its traceback, answered in the usual shape.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", "something went wrong on our side")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "error")
        detail = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(request) or headers.get("Allow", "")
        return error_response(exc.status_code, code, detail, None, headers or None)


def allowed_methods(request: Request) -> str:
    """Every method some route answers at this path. Starlette's 405 names only the
    methods of the first route whose path matched, and FastAPI makes one route per
    method, so GET and POST on /orders are two routes."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods |= route.methods or set()
    return ", ".join(sorted(methods))
