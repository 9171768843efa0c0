"""Email through a real SMTP server (aiosmtpd on loopback), parsed back with the
stdlib email package: headers, both parts, unsubscribe, links."""

from __future__ import annotations

import hashlib
import re
from html import unescape

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from afterward.messaging import service
from afterward.messaging.channels.smtp_pool import parse_smtp_url
from afterward.messaging.models import Message, MessageStatus
from afterward.messaging.runtime import current
from afterward.messaging.tokens import CLICK, OPEN, UNSUBSCRIBE
from tests.messaging.conftest import message_row, queue, run_jobs, shop


def test_the_smtp_url_forms_parse():
    plain = parse_smtp_url("smtp://user:p%40ss@mail.example:2525?from=shop%40acme.example")
    assert (plain.host, plain.port, plain.security, plain.username, plain.password,
            plain.sender) == ("mail.example", 2525, "plain", "user", "p@ss", "shop@acme.example")
    assert parse_smtp_url("smtps://u:p@mail.example").port == 465
    assert parse_smtp_url("smtps://u:p@mail.example").security == "tls"
    assert parse_smtp_url("smtp+starttls://u:p@mail.example").port == 587
    assert parse_smtp_url("smtp+starttls://u:p@mail.example").security == "starttls"
    with pytest.raises(ValueError, match="AFTERWARD_SMTP_URL"):
        parse_smtp_url("http://mail.example")


def test_a_shipped_email_arrives_with_text_and_html_and_the_tracking_link(db, make_store, smtp):
    store = make_store("acme")
    customer_id, order_id, shipment_id, token = shop(db, store.id)
    message_id = queue(db, store.id, customer_id=customer_id,
                       refs={"order_id": order_id, "shipment_id": shipment_id})

    run_jobs(db)

    [mail] = smtp.mailbox.messages
    [envelope] = smtp.mailbox.envelopes
    assert envelope.mail_from == "shop@acme.example"
    assert envelope.rcpt_tos == ["ada@example.com"]
    assert mail["From"] == "Acme <shop@acme.example>"
    assert mail["To"] == "ada@example.com"
    assert mail["Subject"] == "Your order 1001 is on its way"
    assert mail.get_content_type() == "multipart/alternative"
    assert mail["List-Unsubscribe"] is None  # transactional
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    tracking_url = f"https://shop.example/t/{token}"
    assert "Hi Ada," in text
    assert f"Track your parcel: {tracking_url}" in text
    assert "JD0146000062" in text and "JD0146000062" in html
    # the HTML link goes through the signed click redirect, to the tracking page
    links = current().links
    [button] = [unescape(h) for h in re.findall(r'href="([^"]+)"', html) if "/m/c/" in h]
    clicked_id, target = links.read(CLICK, button.rsplit("/", 1)[1])
    assert (clicked_id, target) == (message_id, tracking_url)
    # and the open pixel is signed for this message
    [pixel] = re.findall(r'src="https://shop.example/m/o/([^"]+)\.gif"', html)
    assert links.read(OPEN, pixel) == (message_id, None)
    # CSS is inlined for clients that drop <style>
    assert 'style="' in html and "font-family:Helvetica" in html.replace(", ", ",")
    row = message_row(db, message_id)
    assert (row.status, row.transport, row.send_attempts) == ("sent", "email", 1)
    assert row.provider_message_id == "2.0.0 Ok: queued as TEST"
    assert mail["Message-ID"] == row.message_id_header


def test_the_message_id_comes_from_the_idempotency_key(db, make_store, smtp):
    store = make_store("acme")
    customer_id, order_id, _, _ = shop(db, store.id)
    first = queue(db, store.id, customer_id=customer_id, refs={"order_id": order_id},
                  idempotency_key="order:1001:confirmation", category="order_confirmation",
                  template_key="order_confirmation")

    run_jobs(db)

    header = message_row(db, first).message_id_header
    assert re.fullmatch(r"<[0-9a-f]{32}@acme\.example>", header or "")
    digest = hashlib.sha256(f"{store.id}:order:1001:confirmation".encode()).hexdigest()[:32]
    assert header == f"<{digest}@acme.example>"
    assert smtp.mailbox.messages[0]["Message-ID"] == header


def test_marketing_email_carries_one_click_unsubscribe(db, make_store, smtp):
    store = make_store("acme")
    customer_id, order_id, _, _ = shop(db, store.id, marketing=True)
    message_id = queue(db, store.id, customer_id=customer_id, purpose="marketing",
                       category="cross_sell", template_key="shipment_delivered",
                       refs={"order_id": order_id}, send_after=None)
    with db.transaction() as session:  # no quiet hours for this test
        service.update_sending_settings(session, store_id=store.id, quiet_start="00:00",
                                        quiet_end="00:00")

    run_jobs(db)

    [mail] = smtp.mailbox.messages
    links = current().links
    unsubscribe_url = links.unsubscribe_url(message_id)
    header = mail["List-Unsubscribe"]
    https_part, mailto_part = [p.strip().strip("<>") for p in header.split(",")]
    assert https_part == unsubscribe_url
    assert mailto_part.startswith("mailto:unsubscribe@acme.example?subject=unsubscribe%20")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    token = https_part.rsplit("/", 1)[1]
    assert links.read(UNSUBSCRIBE, token) == (message_id, None)
    # the footer link is the same URL, not wrapped in the click redirect
    html = mail.get_body(("html",)).get_content()
    text = mail.get_body(("plain",)).get_content()
    assert f'href="{unsubscribe_url}"' in html
    assert f"Unsubscribe: {unsubscribe_url}" in text
    # delivered email: care tips and a cross-sell from the catalogue
    assert "Keep dry and away from light." in text


def test_without_an_smtp_url_email_goes_to_the_outbox(db, make_store):
    from afterward.messaging.models import OutboxEntry

    store = make_store("acme")
    customer_id, order_id, _, _ = shop(db, store.id)
    message_id = queue(db, store.id, customer_id=customer_id, refs={"order_id": order_id},
                       category="order_confirmation", template_key="order_confirmation")

    run_jobs(db)

    with db.reading() as session:
        [entry] = session.scalars(select(OutboxEntry)).all()
        message = session.get(Message, message_id)
    assert (message.status, message.transport) == (MessageStatus.sent.value, "outbox")
    assert message.provider_message_id == f"outbox:{entry.id}"
    assert (entry.message_id, entry.recipient, entry.subject) == (
        message_id, "ada@example.com", "Your order 1001 is confirmed")
    assert "Green tea" in entry.body_text and "<html" in entry.body_html
    assert entry.headers["Message-ID"] == message.message_id_header


@given(st.lists(st.integers(min_value=0, max_value=2100), min_size=1, max_size=8),
       st.booleans())
def test_lines_fit_says_whether_every_line_is_at_most_998_bytes(lengths, final_break):
    from afterward.messaging.channels.mime import lines_fit

    body = b"\n".join(b"x" * n for n in lengths) + (b"\n" if final_break else b"")

    assert lines_fit(body) is (max(lengths) <= 998)
