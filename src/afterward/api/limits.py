"""Refuse request bodies over the configured size before reading them whole, and
URLs carrying NUL characters (which PostgreSQL text cannot hold)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(Exception):
    pass


# Routes that take photos (multipart): a return's photos through the API, and the
# returns portal's item step (up to 3 photos of 8 MB per line; photo_files.py checks
# each one). Their bodies may be larger than the configured limit, up to this.
# An order's review form (feedback: up to 3 photos of each item) is one of them too,
# and a review through the API (up to 3 photos of 8 MB in base64: 32 MB). So is the
# admin's import of loyalty members (a CSV file of up to 32 MB: 200,000 members).
UPLOADS = re.compile(r"^/api/v1/returns/[^/]+/photos$|^/returns/o/[^/]+/review$"
                     r"|^/review/[^/]+$|^/api/v1/reviews$|^/admin/loyalty/import$")
UPLOAD_MAX_BYTES = 40 * 1024 * 1024


class BodySizeLimit:
    """`max_bytes`: the configured limit, read for each request (the app's settings)."""

    def __init__(self, app: ASGIApp, max_bytes: Callable[[], int]) -> None:
        self.app, self.configured = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        configured = self.configured()
        await self._limited(scope, receive, send, max(configured, UPLOAD_MAX_BYTES)
                            if UPLOADS.match(scope.get("path", "")) else configured)

    async def _limited(self, scope: Scope, receive: Receive, send: Send,
                       max_bytes: int) -> None:
        raw_path = scope.get("raw_path") or scope.get("path", "").encode()
        if b"%00" in scope.get("query_string", b"").lower() or b"%00" in raw_path or (
                "\x00" in scope.get("path", "")):
            await _refuse(send, 400, "invalid", "the URL may not contain NUL characters")
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > max_bytes
            except ValueError:
                too_big = False
            if too_big:
                await _refuse(send, 413, "payload_too_large",
                              f"the body is over {max_bytes} bytes")
                return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _refuse(send, 413, "payload_too_large",
                              f"the body is over {max_bytes} bytes")


async def _refuse(send: Send, status: int, code: str, message: str) -> None:
    body: dict[str, Any] = {"error": {"code": code, "message": message, "field": None}}
    raw = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(raw)).encode())]})
    await send({"type": "http.response.body", "body": raw})
