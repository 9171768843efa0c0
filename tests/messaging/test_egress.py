"""No server-side request forgery: webhook endpoints and the SMS provider are never
reached on loopback, private, link-local, unique-local, multicast, unspecified or
cloud metadata addresses, checked at send time on every address a name resolves to,
unless AFTERWARD_ALLOW_PRIVATE_URLS is on; a refused send fails for good, with the
reason; redirects are not followed."""

from __future__ import annotations

import dataclasses
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_address

import httpcore
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from afterward.app import create_app
from afterward.messaging import service
from afterward.messaging.channels import egress
from afterward.messaging.models import WebhookEndpoint
from tests.messaging.conftest import message_row, queue, run_jobs, shop

HINT = "nothing was sent (AFTERWARD_ALLOW_PRIVATE_URLS=true allows private addresses)"


@pytest.fixture
def connections(monkeypatch):
    """Every TCP connection httpx opens, recorded and refused (nothing listens there)."""
    opened: list[tuple[str, int]] = []

    def record(self, host, port, *args, **kwargs):
        opened.append((host, port))
        raise httpcore.ConnectError("recorded, not connected")

    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", record)
    return opened


@pytest.fixture
def private_refused(messaging_runtime):
    messaging_runtime(allow_private_urls=False)


def webhook_to(db, store_id: int, url: str) -> int:
    """An endpoint saved as a name that resolves privately would be, and one event for it."""
    with db.transaction() as session:
        endpoint = service.add_webhook_endpoint(session, store_id=store_id, url=url,
                                                allow_private_urls=True)
        [message] = service.queue_webhook_event(
            session, store_id=store_id, event_type="shipment.delivered", event_id="evt_1",
            data={"shipment_id": 7})
        assert endpoint.url == url
        return message.id


def outcome(db, message_id: int) -> tuple[str, str | None]:
    row = message_row(db, message_id)
    return row.status, row.status_reason


# --- what counts as private --------------------------------------------------------------

@pytest.mark.parametrize(("address", "kind"), [
    ("127.0.0.1", "a loopback address"), ("::1", "a loopback address"),
    ("10.1.2.3", "a private address"), ("172.16.0.1", "a private address"),
    ("192.168.1.1", "a private address"),
    ("169.254.169.254", "a cloud metadata address"), ("fd00:ec2::254", "a cloud metadata address"),
    ("100.100.100.200", "a cloud metadata address"), ("192.0.0.192", "a cloud metadata address"),
    ("169.254.1.1", "a link-local address"), ("fe80::1", "a link-local address"),
    ("fd12:3456::1", "a unique-local address"),
    ("224.0.0.1", "a multicast address"), ("ff02::1", "a multicast address"),
    ("0.0.0.0", "an unspecified address"), ("::", "an unspecified address"),
    ("100.64.0.1", "a reserved address"), ("240.0.0.1", "a reserved address"),
    ("::ffff:127.0.0.1", "a loopback address"),  # IPv4-mapped
    ("2002:a9fe:a9fe::", "a cloud metadata address"),  # 6to4
    ("64:ff9b::a00:1", "a private address"),  # NAT64
])
def test_private_addresses_are_refused_with_their_kind(address, kind):
    assert egress.refusal(ip_address(address)) == kind


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"])
def test_public_addresses_pass(address):
    assert egress.refusal(ip_address(address)) is None


@pytest.mark.parametrize(("url", "reason"), [
    ("http://10.0.0.1/hooks", "10.0.0.1 is a private address"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a cloud metadata address"),
    ("http://[::1]:8080/hooks", "::1 is a loopback address"),
    ("http://2130706433/hooks", "2130706433 is a loopback address"),  # 127.0.0.1 spelt as a number
    ("https://localhost/hooks", "localhost is a loopback name"),
    ("https://hooks.example/in", None),
])
def test_a_literal_private_host_is_known_without_resolving_anything(url, reason):
    assert egress.literal_refusal(url) == reason


# --- when a store sets an endpoint --------------------------------------------------------

@pytest.mark.parametrize(("url", "reason"), [
    ("http://10.0.0.1/hooks", "10.0.0.1 is a private address"),
    ("http://169.254.169.254/latest", "169.254.169.254 is a cloud metadata address"),
    ("http://[::1]:8080/hooks", "::1 is a loopback address"),
])
def test_the_api_refuses_an_endpoint_on_a_literal_private_address_and_saves_nothing(
        client, db, store, url, reason):
    response = client.post("/api/v1/webhook-endpoints", headers=store.auth, json={"url": url})

    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "invalid", "field": "url",
        "message": f"{reason}: webhooks go to public addresses only"}
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0


def test_the_api_takes_a_private_endpoint_when_the_setting_allows_it(db, store, settings):
    allowing = create_app(dataclasses.replace(settings, allow_private_urls=True), db)
    with TestClient(allowing) as client:
        response = client.post("/api/v1/webhook-endpoints", headers=store.auth,
                               json={"url": "http://10.0.0.1/hooks"})

    assert (response.status_code, response.json()["url"]) == (201, "http://10.0.0.1/hooks")


# --- when a delivery is sent --------------------------------------------------------------

def test_a_name_resolving_to_loopback_is_refused_at_send_time_and_nothing_arrives(
        db, make_store, receiver, private_refused):
    store = make_store("acme")
    message_id = webhook_to(db, store.id, f"http://localhost:{receiver.port}/hooks")

    run_jobs(db)

    assert receiver.requests == []
    status, reason = outcome(db, message_id)
    assert status == "failed"
    assert reason in {f"refused: localhost resolves to {a}, a loopback address; {HINT}"
                      for a in ("127.0.0.1", "::1")}


@pytest.mark.parametrize(("host", "reason"), [
    ("10.0.0.1", "refused: 10.0.0.1 is a private address"),
    ("169.254.169.254", "refused: 169.254.169.254 is a cloud metadata address"),
    ("[::1]", "refused: ::1 is a loopback address"),
    ("[fd00:ec2::254]", "refused: fd00:ec2::254 is a cloud metadata address"),
])
def test_a_literal_private_address_is_refused_at_send_time_without_connecting(
        db, make_store, connections, private_refused, host, reason):
    store = make_store("acme")
    message_id = webhook_to(db, store.id, f"http://{host}:8080/hooks")

    run_jobs(db)

    assert connections == []
    assert outcome(db, message_id) == ("failed", f"{reason}; {HINT}")


def test_every_address_a_name_resolves_to_is_checked(db, make_store, connections,
                                                     private_refused, monkeypatch):
    monkeypatch.setattr(egress, "resolve", lambda host, port: [
        ip_address("93.184.216.34"), ip_address("169.254.169.254")])
    store = make_store("acme")
    message_id = webhook_to(db, store.id, "http://hooks.example/in")

    run_jobs(db)

    assert connections == []
    assert outcome(db, message_id) == ("failed", "refused: hooks.example resolves to "
                                       f"169.254.169.254, a cloud metadata address; {HINT}")


def test_a_public_name_is_connected_to_at_the_address_that_was_checked(
        db, make_store, connections, private_refused, monkeypatch):
    monkeypatch.setattr(egress, "resolve", lambda host, port: [ip_address("93.184.216.34")])
    store = make_store("acme")
    message_id = webhook_to(db, store.id, "http://hooks.example/in")

    run_jobs(db)

    assert connections == [("93.184.216.34", 80)]
    status, reason = outcome(db, message_id)
    assert (status, reason.startswith("endpoint unreachable")) == ("ready", True)


def test_with_the_setting_on_a_name_resolving_to_loopback_is_delivered(
        db, make_store, receiver, messaging_runtime):
    messaging_runtime(allow_private_urls=True)
    store = make_store("acme")
    message_id = webhook_to(db, store.id, f"http://localhost:{receiver.port}/hooks")

    run_jobs(db)

    assert [r["path"] for r in receiver.requests] == ["/hooks"]
    assert outcome(db, message_id) == ("sent", None)


@pytest.mark.parametrize(("host", "connected"), [
    ("10.0.0.1", ("10.0.0.1", 8080)), ("169.254.169.254", ("169.254.169.254", 8080)),
    ("[::1]", ("::1", 8080))])
def test_with_the_setting_on_a_literal_private_address_is_connected_to(
        db, make_store, connections, messaging_runtime, host, connected):
    messaging_runtime(allow_private_urls=True)
    store = make_store("acme")
    message_id = webhook_to(db, store.id, f"http://{host}:8080/hooks")

    run_jobs(db)

    assert connections == [connected]
    assert message_row(db, message_id).status == "ready"  # unreachable: tried again later


# --- redirects ----------------------------------------------------------------------------

class Redirector:
    """Answers every POST with 302 to `location`."""

    def __init__(self, location: str) -> None:
        self.paths: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.paths.append(self.path)
                self.send_response(302)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]

    def __enter__(self) -> Redirector:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_redirect_is_not_followed_and_fails_the_delivery(db, make_store, receiver,
                                                          messaging_runtime):
    messaging_runtime(allow_private_urls=True)
    store = make_store("acme")
    with Redirector(f"http://127.0.0.1:{receiver.port}/moved") as redirector:
        message_id = webhook_to(db, store.id, f"http://127.0.0.1:{redirector.port}/hooks")

        run_jobs(db)

    assert redirector.paths == ["/hooks"]
    assert receiver.requests == []
    assert outcome(db, message_id) == ("failed", "endpoint answered 302")


# --- the SMS provider ---------------------------------------------------------------------

def test_an_sms_provider_on_a_private_host_is_refused_and_sees_nothing(
        db, make_store, twilio, messaging_runtime):
    messaging_runtime(allow_private_urls=False,
                      sms_url=twilio.url().replace("127.0.0.1", "localhost"))
    store = make_store("acme")
    customer_id, _, shipment_id, _ = shop(db, store.id, phone="+4915112345678")
    message_id = queue(db, store.id, channel="sms", customer_id=customer_id,
                       refs={"shipment_id": shipment_id})

    run_jobs(db)

    assert twilio.requests == []
    status, reason = outcome(db, message_id)
    assert status == "failed"
    assert reason in {f"SMS provider refused: localhost resolves to {a}, a loopback address; "
                      f"{HINT}" for a in ("127.0.0.1", "::1")}


def test_an_sms_provider_on_a_private_host_is_used_when_the_setting_allows_it(
        db, make_store, twilio, messaging_runtime):
    messaging_runtime(allow_private_urls=True,
                      sms_url=twilio.url().replace("127.0.0.1", "localhost"))
    store = make_store("acme")
    customer_id, _, shipment_id, _ = shop(db, store.id, phone="+4915112345678")
    message_id = queue(db, store.id, channel="sms", customer_id=customer_id,
                       refs={"shipment_id": shipment_id})

    run_jobs(db)

    assert len(twilio.requests) == 1
    assert outcome(db, message_id) == ("sent", None)


class KeepAlive:
    """A loopback HTTP/1.1 server that keeps connections open (and closes one after
    its `close_after`th request): records each request's connection (the client's
    port) and Cookie header, and sets a cookie in each reply."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, str | None]] = []
        self.close_after = 0
        seen, server = self.seen, self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # as real servers: no 40 ms delayed ACK

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                seen.append((self.client_address[1], self.headers.get("Cookie")))
                self.send_response(200)
                self.send_header("Set-Cookie", f"visit={len(seen)}; Path=/")
                if len(seen) == server.close_after:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def keep_alive():
    server = KeepAlive()
    yield server
    server.close()


def test_sends_to_one_host_go_over_one_connection_and_carry_no_cookie_back(keep_alive):
    url = f"http://127.0.0.1:{keep_alive.port}/hooks"

    answers = [egress.post(url, allow_private=True, timeout=5, json={"n": n}).status_code
               for n in range(3)]

    assert answers == [200, 200, 200]
    assert len({port for port, _ in keep_alive.seen}) == 1
    assert [cookie for _, cookie in keep_alive.seen] == [None, None, None]


def test_a_checked_connection_is_used_again_and_a_new_one_is_checked_again(
        keep_alive, monkeypatch):
    resolved: list[str] = []

    def resolve(host, port):
        resolved.append(host)
        return [ip_address("127.0.0.1")]

    monkeypatch.setattr(egress, "resolve", resolve)
    monkeypatch.setattr(egress, "refusal", lambda address: None)  # loopback let through
    url = f"http://hooks.example:{keep_alive.port}/in"
    keep_alive.close_after = 2  # the second reply ends the connection

    first = egress.post(url, allow_private=False, timeout=5, content=b"1")
    second = egress.post(url, allow_private=False, timeout=5, content=b"2")
    monkeypatch.setattr(egress, "refusal", lambda address: "a loopback address")
    with pytest.raises(egress.EgressRefused):  # a new connection: checked, and refused
        egress.post(url, allow_private=False, timeout=5, content=b"3")

    assert (first.status_code, second.status_code) == (200, 200)
    assert len(keep_alive.seen) == 2 and len({port for port, _ in keep_alive.seen}) == 1
    assert resolved == ["hooks.example", "hooks.example"]
