"""A request still running when a stopping server's grace period ends is cancelled
(uvicorn cancels its task). Left alone, uvicorn would answer it with a plain-text 500
and log an error, as for a bug; it is no bug, and the client should just try again
(another process, or this one restarted): the usual 503 with Retry-After."""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from afterward.api.errors import RETRY_AFTER_SECONDS, error_response


class AnswerWhenCutOff:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except asyncio.CancelledError:
            if started:  # half an answer is out: nothing better to do than stop
                raise
            response = error_response(
                503, "unavailable", "the server is stopping: try again shortly",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS), "Connection": "close"})
            await response(scope, receive, send)
