"""Messaging fixtures: a real SMTP server (aiosmtpd) on loopback, an SMS provider
stand-in and a webhook receiver speaking HTTP on loopback, the messaging runtime
configured from the test settings, and builders for customers, orders, shipments."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import json
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as AioSMTP
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from afterward.commerce.models import Consent, Customer, Order, OrderLine, Product, Variant
from afterward.config import Settings
from afterward.jobs import Job
from afterward.messaging import runtime, service
from afterward.messaging.models import Message
from afterward.storage.db import Database
from afterward.storage.types import utcnow
from afterward.tracking import service as tracking
from afterward.tracking.statuses import Status
from afterward.worker import Worker


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Mailbox:
    """An aiosmtpd handler that keeps what it accepts; `replies` scripts refusals, one
    per message in turn (None: accept that one)."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []
        self.replies: list[str | None] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            reply = self.replies.pop(0) if self.replies else None
            if reply is not None:
                return reply
            self.envelopes.append(envelope)
        return "250 2.0.0 Ok: queued as TEST"

    @property
    def messages(self) -> list[EmailMessage]:
        with self.lock:
            return [email.message_from_bytes(e.original_content, policy=email.policy.default)
                    for e in self.envelopes]  # type: ignore[misc]


class ChunkingSMTP(AioSMTP):
    """aiosmtpd with PIPELINING and CHUNKING (RFC 3030) offered, and BDAT: each chunk
    is read whole (its size says how long it is) and the last one is handed to the
    handler as DATA's content would be. `commands` records each DATA and BDAT;
    `drop_at_bdat` makes it read a chunk and close the connection without a reply,
    `close_at_mail` answer MAIL with 421 and close it."""

    commands: list[str]
    drop_at_bdat = False
    close_at_mail = False

    async def smtp_MAIL(self, arg: str) -> None:
        if self.close_at_mail:
            await self.push("421 4.3.2 Shutting down")
            self.transport.close()  # type: ignore[union-attr]
            return
        await super().smtp_MAIL(arg)

    async def smtp_EHLO(self, hostname: str) -> None:
        replies: list[str] = []
        push = self.push

        async def collect(status: Any) -> None:
            replies.append(str(status))

        self.push = collect  # type: ignore[method-assign]
        try:
            await super().smtp_EHLO(hostname)
        finally:
            self.push = push  # type: ignore[method-assign]
        for reply in [*replies[:-1], "250-PIPELINING", "250-CHUNKING", replies[-1]]:
            await push(reply)

    async def smtp_DATA(self, arg: str) -> None:
        self.commands.append("DATA")
        await super().smtp_DATA(arg)

    async def smtp_BDAT(self, arg: str) -> None:
        self.commands.append("BDAT")
        words = arg.split()
        if not words or not words[0].isdigit() or words[1:] not in ([], ["LAST"]):
            await self.push("501 5.5.4 Syntax: BDAT size [LAST]")
            return
        chunk = await self._reader.readexactly(int(words[0]))  # read even when refused
        if self.drop_at_bdat:
            self.transport.close()  # type: ignore[union-attr]
            return
        assert self.envelope is not None
        if not self.envelope.rcpt_tos:
            await self.push("503 5.5.1 Error: need RCPT command")
            return
        chunks = self.chunks = [*getattr(self, "chunks", []), chunk]
        if words[1:] != ["LAST"]:
            await self.push(f"250 2.0.0 {len(chunk)} octets received")
            return
        self.chunks = []
        self.envelope.content = self.envelope.original_content = b"".join(chunks)
        status = await self._call_handler_hook("DATA")
        self._set_post_data_state()
        await self.push(status)


class ChunkingController(Controller):
    def __init__(self, *args: Any, commands: list[str], drop_at_bdat: bool,
                 close_at_mail: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands, self.drop_at_bdat = commands, drop_at_bdat
        self.close_at_mail = close_at_mail

    def factory(self) -> AioSMTP:
        server = ChunkingSMTP(self.handler, **self.SMTP_kwargs)
        server.commands, server.drop_at_bdat = self.commands, self.drop_at_bdat
        server.close_at_mail = self.close_at_mail
        return server


class SmtpServer:
    """aiosmtpd on loopback; `eight_bit=False` makes it a server without 8BITMIME,
    `chunking=True` one that offers BDAT (see ChunkingSMTP)."""

    def __init__(self, port: int | None = None, *, eight_bit: bool = True,
                 chunking: bool = False, drop_at_bdat: bool = False,
                 close_at_mail: bool = False) -> None:
        self.port = port or free_port()
        self.mailbox = Mailbox()
        self.controller: Controller | None = None
        self.eight_bit = eight_bit
        self.chunking, self.drop_at_bdat = chunking, drop_at_bdat
        self.close_at_mail = close_at_mail
        self.commands: list[str] = []  # with chunking: each DATA and BDAT, in turn

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?from=shop%40acme.example"

    def start(self) -> SmtpServer:
        # aiosmtpd offers 8BITMIME unless it is to decode the content as text.
        if self.chunking:
            self.controller = ChunkingController(
                self.mailbox, hostname="127.0.0.1", port=self.port,
                decode_data=not self.eight_bit, commands=self.commands,
                drop_at_bdat=self.drop_at_bdat, close_at_mail=self.close_at_mail)
        else:
            self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port,
                                         decode_data=not self.eight_bit)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


class Recorder:
    """A loopback HTTP server: records each request and answers from a script."""

    def __init__(self, answer: Callable[[dict[str, Any]], tuple[int, dict[str, Any]]]) -> None:
        self.requests: list[dict[str, Any]] = []
        self.answer = answer
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                request = {"path": self.path, "headers": dict(self.headers.items()),
                           "body": body}
                recorder.requests.append(request)
                status, reply = recorder.answer(request)
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class TwilioStandIn(Recorder):
    """Speaks Twilio's Messages API shape: form POST, basic auth, 201 + JSON."""

    def __init__(self) -> None:
        self.failures: list[tuple[int, dict[str, Any]]] = []
        super().__init__(self._reply)

    def _reply(self, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if self.failures:
            return self.failures.pop(0)
        form = {k: v[0] for k, v in parse_qs(request["body"].decode()).items()}
        sid = f"SM{len(self.requests):032d}"
        return 201, {"sid": sid, "status": "queued", "to": form.get("To"),
                     "from": form.get("From"), "body": form.get("Body")}

    @property
    def forms(self) -> list[dict[str, str]]:
        return [{k: v[0] for k, v in parse_qs(r["body"].decode()).items()}
                for r in self.requests]

    def url(self, sender: str = "+15550001111") -> str:
        return (f"twilio+http://ACtest:secret-token@127.0.0.1:{self.port}"
                f"?from={sender.replace('+', '%2B')}")


@pytest.fixture
def twilio() -> Iterator[TwilioStandIn]:
    server = TwilioStandIn()
    yield server
    server.close()


@pytest.fixture
def receiver() -> Iterator[Recorder]:
    statuses: list[int] = []
    server = Recorder(lambda request: (statuses.pop(0) if statuses else 200, {}))
    server.statuses = statuses  # type: ignore[attr-defined]
    yield server
    server.close()


@pytest.fixture(autouse=True)
def messaging_runtime(settings: Settings) -> Iterator[Callable[..., runtime.Runtime]]:
    """Configured from the test settings (no SMTP: the outbox) unless a test says
    otherwise; private URLs allowed, since every stand-in listens on loopback."""
    def configure(**overrides: Any) -> runtime.Runtime:
        return runtime.configure(dataclasses.replace(
            settings, **{"allow_private_urls": True, **overrides}))

    configure()
    yield configure
    runtime.reset()


# --- builders ----------------------------------------------------------------------

def make_customer(session: Session, store_id: int, *, email: str | None = "ada@example.com",
                  phone: str | None = None, marketing: bool | None = None,
                  channel: str = "email", **fields: Any) -> Customer:
    customer = Customer(store_id=store_id, email=email, phone=phone,
                        first_name=fields.pop("first_name", "Ada"),
                        last_name=fields.pop("last_name", "Lovelace"), **fields)
    session.add(customer)
    session.flush()
    if marketing is not None:
        session.add(Consent(store_id=store_id, customer_id=customer.id, channel=channel,
                            purpose="marketing", granted=marketing))
        session.flush()
        session.refresh(customer)
    return customer


def make_product(session: Session, store_id: int, sku: str, title: str, *,
                 price_minor: int = 1000, currency: str = "EUR", **fields: Any) -> Product:
    product = Product(store_id=store_id, title=title, external_id=f"p-{sku}", **fields)
    product.variants.append(Variant(store_id=store_id, sku=sku, price_minor=price_minor,
                                    currency=currency))
    session.add(product)
    session.flush()
    return product


def make_order(session: Session, store_id: int, customer: Customer | None, number: str,
               lines: list[tuple[Product, int]], *, currency: str = "EUR",
               shipping_minor: int = 495) -> Order:
    order = Order(store_id=store_id, number=number, customer_id=customer.id if customer else None,
                  email=customer.email if customer else None, currency=currency,
                  placed_at=datetime(2026, 3, 1, 10, tzinfo=UTC), shipping_minor=shipping_minor,
                  ship_name="Ada Lovelace", ship_address1="Unter den Linden 1",
                  ship_city="Berlin", ship_postal_code="10117", ship_country="DE")
    subtotal = 0
    for position, (product, quantity) in enumerate(lines):
        price = product.variants[0].price_minor
        subtotal += price * quantity
        order.lines.append(OrderLine(store_id=store_id, position=position, product_id=product.id,
                                     variant_id=product.variants[0].id,
                                     sku=product.variants[0].sku, title=product.title,
                                     quantity=quantity, unit_price_minor=price,
                                     total_minor=price * quantity))
    order.subtotal_minor, order.total_minor = subtotal, subtotal + shipping_minor
    session.add(order)
    session.flush()
    return order


def make_shipment(session: Session, store_id: int, order: Order, *,
                  status: Status = Status.in_transit, carrier: str = "dhl",
                  tracking_number: str = "JD0146000062") -> Any:
    shipment, _ = tracking.upsert_shipment(
        session, store_id=store_id, order_id=order.id,
        draft=tracking.ShipmentDraft(external_id=f"f-{order.number}-{tracking_number}",
                                     carrier=carrier, service=None,
                                     tracking_number=tracking_number,
                                     shipped_at=datetime(2026, 3, 2, 9, tzinfo=UTC),
                                     status=status))
    return shipment


def shop(db: Database, store_id: int, *, marketing: bool | None = None,
         **customer: Any) -> tuple[int, int, int, str]:
    """A customer with an order of tea and a mug, shipped with DHL."""
    with db.transaction() as session:
        person = make_customer(session, store_id, marketing=marketing, **customer)
        tea = make_product(session, store_id, "TEA-1", "Green tea", price_minor=450,
                           care_content="Keep dry and away from light.")
        mug = make_product(session, store_id, "MUG-1", "Stoneware mug", price_minor=1200)
        order = make_order(session, store_id, person, "1001", [(tea, 2), (mug, 1)])
        shipment = make_shipment(session, store_id, order)
        return person.id, order.id, shipment.id, shipment.token


def queue(db: Database, store_id: int, **fields: Any) -> int:
    values = {"channel": "email", "purpose": "transactional", "category": "shipment_shipped",
              "template_key": "shipment_shipped", "idempotency_key": "k-1"}
    values.update(fields)
    with db.transaction() as session:
        return service.queue_message(session, store_id=store_id, **values).id


@pytest.fixture
def smtp(smtp_server: SmtpServer, messaging_runtime: Callable[..., Any]) -> SmtpServer:
    messaging_runtime(smtp_url=smtp_server.url, public_url="https://shop.example")
    return smtp_server


# --- running the pipeline ----------------------------------------------------------

def run_jobs(db: Database) -> int:
    return Worker(db, name="test-worker").run(until_idle=True)


def make_jobs_due(db: Database) -> None:
    """Skip the backoff wait: every queued job is due now."""
    with db.transaction() as session:
        session.execute(update(Job).where(Job.status == "queued").values(run_at=utcnow()))


def message_row(db: Database, message_id: int) -> Message:
    with db.reading() as session:
        message = session.get(Message, message_id)
        assert message is not None
        return message


def jobs_of(db: Database) -> list[tuple[str, str]]:
    with db.reading() as session:
        return [(j.kind, j.status) for j in session.scalars(select(Job).order_by(Job.id))]
