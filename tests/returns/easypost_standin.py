"""A stand-in for EasyPost's shipments API on loopback: a real HTTP server that speaks
the protocol (POST /v2/shipments, POST /v2/shipments/{id}/buy, GET
/v2/shipments/{id}; HTTP Basic with the API key as user name; EasyPost's JSON
objects and error shape), so the adapter is tested over the network, timeouts and
all. It can be told to fail: `fail(path_prefix, status)` answers the next call with
that status, `hang(path_prefix, seconds)` answers it that late, and
`fail_after_buying()` buys the label and then answers 500 (a lost answer)."""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

API_KEY = "EZTK_standin_key"
# EasyPost's answer objects carry more fields; these are the ones a client reads.
RATES = (("USPS", "Priority", "7.58"), ("UPS", "Ground", "9.12"),
         ("USPS", "GroundAdvantage", "5.93"))


class EasyPostStandIn:
    def __init__(self) -> None:
        self.shipments: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, str, dict[str, Any] | None]] = []
        self.bought: list[str] = []
        self.faults: list[tuple[str, str, float]] = []  # (path prefix, kind, value)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def fail(self, path: str, status: int) -> None:
        self.faults.append((path, "status", status))

    def hang(self, path: str, seconds: float) -> None:
        self.faults.append((path, "hang", seconds))

    def fail_after_buying(self) -> None:
        self.faults.append(("/v2/shipments/", "lost", 0))

    def posts(self, path_end: str) -> list[dict[str, Any] | None]:
        return [body for method, path, body in self.calls
                if method == "POST" and path.endswith(path_end)]

    # ------------------------------------------------------------- the protocol

    def answer(self, method: str, path: str, body: dict[str, Any] | None
               ) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.calls.append((method, path, body))
            fault = next((f for f in self.faults if path.startswith(f[0])
                          and (f[1] != "lost" or path.endswith("/buy"))), None)
            if fault is not None:
                self.faults.remove(fault)
        if fault is not None and fault[1] == "hang":
            time.sleep(fault[2])
        elif fault is not None and fault[1] == "status":
            return int(fault[2]), _error("SHIPMENT.INVALID_PARAMS" if fault[2] < 500
                                         else "INTERNAL_SERVER_ERROR", "told to fail")
        with self._lock:
            status, answer = self._route(method, path, body or {})
        if fault is not None and fault[1] == "lost":
            return 500, _error("INTERNAL_SERVER_ERROR", "the answer was lost")
        return status, answer

    def _route(self, method: str, path: str, body: dict[str, Any]
               ) -> tuple[int, dict[str, Any]]:
        parts = path.strip("/").split("/")
        if method == "POST" and parts == ["v2", "shipments"]:
            return self._create(body.get("shipment") or {})
        if len(parts) >= 3 and parts[:2] == ["v2", "shipments"]:
            shipment = self.shipments.get(parts[2])
            if shipment is None:
                return 404, _error("NOT_FOUND", "The requested resource could not be found.")
            if method == "GET" and len(parts) == 3:
                return 200, shipment
            if method == "POST" and parts[3:] == ["buy"]:
                return self._buy(shipment, (body.get("rate") or {}).get("id"))
        return 404, _error("NOT_FOUND", "The requested resource could not be found.")

    def _create(self, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        missing = [k for k in ("to_address", "from_address", "parcel") if not data.get(k)]
        if missing:
            return 422, _error("PARAMETER.REQUIRED", f"Missing required parameter: {missing}")
        n = next(self._ids)
        shipment_id = f"shp_{n:024x}"
        shipment = {
            "id": shipment_id, "object": "Shipment", "mode": "test",
            "is_return": bool(data.get("is_return")), "reference": data.get("reference"),
            "options": data.get("options") or {},
            "to_address": {"id": f"adr_{n:024x}a", "object": "Address", **data["to_address"]},
            "from_address": {"id": f"adr_{n:024x}b", "object": "Address",
                             **data["from_address"]},
            "parcel": {"id": f"prcl_{n:024x}", "object": "Parcel", **data["parcel"]},
            "rates": [{"id": f"rate_{n:020x}{i:04x}", "object": "Rate", "mode": "test",
                       "carrier": carrier, "service": service, "rate": rate,
                       "currency": "USD", "shipment_id": shipment_id}
                      for i, (carrier, service, rate) in enumerate(RATES)],
            "selected_rate": None, "postage_label": None, "tracking_code": None,
            "tracker": None, "status": "unknown"}
        self.shipments[shipment_id] = shipment
        return 201, shipment

    def _buy(self, shipment: dict[str, Any], rate_id: Any) -> tuple[int, dict[str, Any]]:
        if shipment["postage_label"] is not None:
            return 422, _error("SHIPMENT.POSTAGE.EXISTS", "This shipment already has postage.")
        rate = next((r for r in shipment["rates"] if r["id"] == rate_id), None)
        if rate is None:
            return 422, _error("SHIPMENT.RATE.INVALID", "The rate is not one of this shipment's.")
        number = f"EZ{len(self.bought) + 1:010d}"
        shipment.update(
            selected_rate=rate, tracking_code=number, status="unknown",
            postage_label={"object": "PostageLabel", "label_file_type": "application/pdf",
                           "label_url": f"{self.url}/files/postage_label/{number}.pdf",
                           "label_pdf_url": f"{self.url}/files/postage_label/{number}.pdf"},
            tracker={"object": "Tracker", "tracking_code": number, "carrier": rate["carrier"],
                     "status": "unknown", "is_return": shipment["is_return"]})
        self.bought.append(shipment["id"])
        return 200, shipment

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _serve(self, method: str) -> None:
                expected = "Basic " + base64.b64encode(f"{API_KEY}:".encode()).decode()
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if self.headers.get("Authorization") != expected:
                    status, answer = 401, _error("APIKEY.INACTIVE", "Invalid API key.")
                else:
                    try:
                        body = json.loads(raw) if raw else None
                    except ValueError:
                        body = None
                    status, answer = standin.answer(method, self.path, body)
                data = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

        return Handler


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "errors": []}}


@pytest.fixture
def easypost() -> Iterator[EasyPostStandIn]:
    """The stand-in, running, and the returns module's EasyPost adapter pointed at it."""
    from afterward.returns import carriers

    standin = EasyPostStandIn()
    standin.thread.start()
    carriers.use(carriers.EasyPost(API_KEY, standin.url, timeout=2.0))
    try:
        yield standin
    finally:
        carriers.use(carriers.EasyPost("", carriers.EASYPOST_URL))
        standin.server.shutdown()
        standin.server.server_close()
