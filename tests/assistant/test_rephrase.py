"""The optional rephrasing by an OpenAI-compatible chat server, against a stand-in on
loopback that speaks the protocol (POST /v1/chat/completions -> a chat.completion): a
rewording that keeps every fact is served and stored; one that adds a number, a
failure or a timeout leaves the template answer; off (the default) no request."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from afterward.assistant import rephrase
from afterward.assistant.models import ConversationMessage
from afterward.config import Settings


class StandIn:
    """A chat server on 127.0.0.1: answers `content` (or `status`), or holds the
    request until released (a timeout for the caller)."""

    def __init__(self) -> None:
        self.content = ""
        self.status = 200
        self.hold = False
        self.released = threading.Event()
        self.requests: list[dict[str, Any]] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stand_in.requests.append({"path": self.path, "body": body,
                                          "auth": self.headers.get("Authorization")})
                if stand_in.hold:
                    stand_in.released.wait(10)
                out = json.dumps({
                    "id": "chatcmpl-1", "object": "chat.completion", "created": 1,
                    "model": body["model"], "choices": [{
                        "index": 0, "finish_reason": "stop",
                        "message": {"role": "assistant", "content": stand_in.content}}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1,
                              "total_tokens": 2}}).encode()
                try:
                    self.send_response(stand_in.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(out)))
                    self.end_headers()
                    self.wfile.write(out)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the caller gave up waiting (the timeout test): as a server does

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    server = StandIn()
    yield server
    server.close()


@pytest.fixture
def settings(settings: Settings, stand_in: StandIn) -> Settings:
    return dataclasses.replace(settings, assistant_rephrase_url=stand_in.base,
                               assistant_rephrase_model="local-small",
                               assistant_rephrase_key="k-123",
                               assistant_rephrase_timeout_ms=300)


ANSWER = "Order 1001 was delivered on 3 March 2026. Total: €12.50. See /t/abc123."


def point(stand_in: StandIn, timeout_ms: int = 2000) -> rephrase.Endpoint:
    return rephrase.Endpoint(f"{stand_in.base}/v1/chat/completions", "local-small", "",
                             timeout_ms / 1000)


def test_a_rewording_that_keeps_every_fact_is_accepted(stand_in):
    stand_in.content = ("Good news! Your order 1001 was delivered on 3 March 2026. "
                        "Total: €12.50. See /t/abc123.")

    assert rephrase.rephrase(point(stand_in), ANSWER) == stand_in.content
    assert stand_in.requests[0]["path"] == "/v1/chat/completions"
    assert stand_in.requests[0]["body"]["model"] == "local-small"
    assert stand_in.requests[0]["body"]["messages"][1] == {"role": "user", "content": ANSWER}


@pytest.mark.parametrize("rewording", [
    "Your order 1001 was delivered on 3 March 2026, 2 days early. Total: €12.50. See /t/abc123.",
    "Order 1001 was delivered on 3 March 2026. Total: €12.50. See /t/abc123 or https://x.example.",
    "Order 1001 was delivered on 4 March 2026. Total: €12.50. See /t/abc123.",
    "Order 1001 was delivered on 3 April 2026. Total: €12.50. See /t/abc123.",
    "Order 1001 was delivered on 3 March 2026. Total: $12.50. See /t/abc123.",
    "Order 1001 was delivered on 3 March 2026. See /t/abc123.",
    "",
])
def test_a_rewording_that_adds_changes_or_drops_a_fact_is_refused(stand_in, rewording):
    stand_in.content = rewording

    assert rephrase.rephrase(point(stand_in), ANSWER) == ANSWER


def test_a_server_error_keeps_the_template_answer(stand_in):
    stand_in.content, stand_in.status = ANSWER.upper(), 500

    assert rephrase.rephrase(point(stand_in), ANSWER) == ANSWER
    assert len(stand_in.requests) == 1


def test_a_timeout_keeps_the_template_answer(stand_in):
    stand_in.hold = True
    stand_in.content = "Good news! " + ANSWER

    assert rephrase.rephrase(point(stand_in, timeout_ms=200), ANSWER) == ANSWER
    assert len(stand_in.requests) == 1


def test_nothing_unreachable_is_fatal():
    closed = rephrase.Endpoint("http://127.0.0.1:9/v1/chat/completions", "m", "", 0.5)

    assert rephrase.rephrase(closed, ANSWER) == ANSWER


def test_it_is_off_by_default_and_then_makes_no_request():
    assert rephrase.endpoint(Settings()) is None
    assert rephrase.rephrase(None, ANSWER) == ANSWER


def test_the_base_url_may_end_with_v1():
    found = rephrase.endpoint(Settings(assistant_rephrase_url="http://127.0.0.1:8080/v1/",
                                       assistant_rephrase_timeout_ms=1500))

    assert found is not None
    assert (found.url, found.timeout_seconds) == (
        "http://127.0.0.1:8080/v1/chat/completions", 1.5)


def test_the_widget_serves_and_stores_the_accepted_rewording(chat, stand_in):
    stand_in.content = "Hello! I'm passing you to a person on our team right now. " \
        "They'll reply here and by email."

    answer = chat.widget("I want to talk to a person", token=chat.token("delivered")).json()

    assert answer["reply"] == stand_in.content
    assert stand_in.requests[0]["auth"] == "Bearer k-123"
    with chat.db.reading() as session:
        stored = session.scalars(select(ConversationMessage.text).where(
            ConversationMessage.author == "bot")).all()
    assert stored == [stand_in.content]


def test_the_api_keeps_the_template_when_the_rewording_adds_a_number(chat, stand_in):
    stand_in.content = "A person will answer you within 24 hours, here and by email."

    answer = chat.api("I want to talk to a person").json()

    assert answer["reply"] == ("I have passed this conversation to a person on our team. "
                               "They will answer here and by email.")
    with chat.db.reading() as session:
        stored = session.scalars(select(ConversationMessage.text).where(
            ConversationMessage.author == "bot")).all()
    assert stored == [answer["reply"]]
