"""Messages in the admin: the log and its filters, one message, the outbox, the
templates, a preview with sample data and "send test"; one store at a time."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from afterward.commerce.models import Customer
from afterward.messaging import runtime, service
from afterward.messaging.models import Message, OutboxEntry
from afterward.worker import Worker
from tests.web.helpers import csrf_of, make_admin, place_order, sign_in


@pytest.fixture(autouse=True)
def outbox_runtime(settings):
    runtime.configure(settings)  # no SMTP configured: email goes to the outbox
    yield
    runtime.reset()


@pytest.fixture
def signed_in(client, db, store, make_store):
    make_store("other")
    make_admin(db)  # acme only
    sign_in(client)
    return client


def add_message(db, store_id, key, *, email="ada@example.com", category="order_confirmation",
                channel="email", status="queued", recipient=None, **fields):
    with db.transaction() as session:
        customer = session.scalar(select(Customer).where(Customer.store_id == store_id,
                                                         Customer.email == email))
        if customer is None:
            customer = Customer(store_id=store_id, email=email, phone="+15555550123",
                                first_name="Ada")
            session.add(customer)
            session.flush()
        message = service.queue_message(
            session, store_id=store_id, channel=channel, purpose="transactional",
            category=category, idempotency_key=key, template_key="order_confirmation",
            customer_id=customer.id, recipient=recipient)
        message.status = status
        for name, value in fields.items():
            setattr(message, name, value)
        return message.id


def listed(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<a href="/admin/messages/(\d+)">\1</a>', html)]


def test_the_log_lists_newest_first_and_filters(signed_in, db, store, make_store):
    first = add_message(db, store.id, "a", status="sent")
    second = add_message(db, store.id, "b", status="bounced", category="review_request")
    third = add_message(db, store.id, "c", status="sent", email="bob@example.com",
                        channel="sms", recipient="+4915112345678")
    other = make_store("third")
    add_message(db, other.id, "x", status="sent")  # another store's: never shown

    assert listed(signed_in.get("/admin/messages").text) == [third, second, first]
    assert listed(signed_in.get("/admin/messages?status=sent").text) == [third, first]
    assert listed(signed_in.get("/admin/messages?channel=sms").text) == [third]
    assert listed(signed_in.get("/admin/messages?category=review_request").text) == [second]
    assert listed(signed_in.get("/admin/messages?email=BOB@example.com").text) == [third]
    assert listed(signed_in.get("/admin/messages?status=sent&email=ada@example.com")
                  .text) == [first]
    assert signed_in.get("/admin/messages?status=nonsense").status_code == 400
    assert '<a href="/admin/messages" aria-current="page">Messages</a>' in signed_in.get(
        "/admin/messages").text


def test_a_message_shows_content_history_suppression_and_engagement(signed_in, db, store):
    at = datetime(2026, 3, 1, 10, tzinfo=UTC)
    message_id = add_message(
        db, store.id, "a", status="bounced", subject="Your order 1001",
        body_text="Thanks!\n", body_html='<p style="color:red">Thanks &amp; bye</p>'
        '<img src="http://testserver/m/o/abc.gif" width="1" height="1" alt="">',
        sent_at=at, delivered_at=None, bounced_at=datetime(2026, 3, 1, 10, 5, tzinfo=UTC),
        status_reason="550 no such user", open_count=2, click_count=1,
        opened_at=datetime(2026, 3, 1, 10, 2, tzinfo=UTC), recipient="ada@example.com")
    with db.transaction() as session:
        session.get(Message, message_id).created_at = datetime(2026, 3, 1, 9, 59, tzinfo=UTC)
        service.suppress(session, store_id=store.id, channel="email",
                         address="ada@example.com", reason="hard_bounce",
                         message_id=message_id, detail="550 no such user")

    page = signed_in.get(f"/admin/messages/{message_id}")

    assert page.status_code == 200
    assert '<span id="subject">Your order 1001</span>' in page.text
    assert '<dd id="status-reason">550 no such user</dd>' in page.text
    assert '<dd id="engagement">2 / 1</dd>' in page.text
    assert re.findall(r'<span class="event-name">(\w+)</span>', page.text) == [
        "queued", "sent", "opened", "bounced"]
    assert "hard bounce" in page.text
    # the HTML is escaped into a sandboxed srcdoc, without the open pixel
    assert ('sandbox="" referrerpolicy="no-referrer" srcdoc="&lt;p style=&#34;color:red&#34;'
            '&gt;Thanks &amp;amp; bye&lt;/p&gt;"') in page.text
    assert "/m/o/" not in page.text
    assert "frame-src 'none'" in page.headers["content-security-policy"]
    assert '<pre class="preview-text" id="text">Thanks!\n</pre>' in page.text


def test_another_stores_message_is_not_found(signed_in, db, make_store):
    other = make_store("elsewhere")
    message_id = add_message(db, other.id, "x")

    assert signed_in.get(f"/admin/messages/{message_id}").status_code == 404


def test_the_outbox_shows_what_the_outbox_channel_kept(signed_in, db, store, make_store):
    with db.transaction() as session:
        session.add(OutboxEntry(store_id=store.id, channel="email", recipient="ada@example.com",
                                subject="Kept here", body_text="Hello\n",
                                body_html="<p>Hello</p>", headers={"Message-ID": "<m1@x>"}))
        session.add(OutboxEntry(store_id=make_store("zzz").id, channel="email",
                                recipient="eve@example.com", subject="Not yours"))
        session.flush()
        entry_id = session.scalar(select(OutboxEntry.id).where(
            OutboxEntry.subject == "Kept here"))
        other_id = session.scalar(select(OutboxEntry.id).where(
            OutboxEntry.subject == "Not yours"))

    page = signed_in.get("/admin/messages/outbox")
    entry = signed_in.get(f"/admin/messages/outbox/{entry_id}")

    assert page.status_code == 200
    assert "Kept here" in page.text and "Not yours" not in page.text
    assert '<span id="subject">Kept here</span>' in entry.text
    assert "<code>&lt;m1@x&gt;</code>" in entry.text
    assert signed_in.get(f"/admin/messages/outbox/{other_id}").status_code == 404


def test_templates_list_and_preview_with_sample_data(signed_in, store):
    page = signed_in.get("/admin/messages/templates")
    assert page.status_code == 200
    assert "<code>order_confirmation</code>" in page.text
    assert "/admin/messages/preview?key=order_confirmation&amp;channel=email&amp;locale=de" \
        in page.text

    preview = signed_in.get("/admin/messages/preview?key=order_confirmation&channel=email"
                            "&locale=de")
    assert preview.status_code == 200
    assert '<span id="subject">Ihre Bestellung 1001 ist bestätigt</span>' in preview.text
    assert "srcdoc=" in preview.text
    sms = signed_in.get("/admin/messages/preview?key=order_confirmation&channel=sms&locale=en")
    assert "Acme: thanks for your order 1001!" in sms.text
    missing = signed_in.get("/admin/messages/preview?key=order_confirmation&version=7")
    assert '<div class="alert" role="alert" id="preview-error"><p>No such template or ' \
        'version.</p></div>' in missing.text


def test_a_saved_version_is_previewed_by_number(signed_in, store):
    body = {"subject": "Hi {{ customer.first_name }} v{{ 1 }}",
            "body": "<mjml><mj-body><mj-section><mj-column><mj-text>One</mj-text></mj-column>"
                    "</mj-section></mj-body></mjml>"}
    assert signed_in.put("/api/v1/templates/welcome/email/en", json=body,
                         headers=store.auth).status_code == 201
    body["subject"] = "Hi {{ customer.first_name }} v2"
    assert signed_in.put("/api/v1/templates/welcome/email/en", json=body,
                         headers=store.auth).status_code == 201

    first = signed_in.get(
        "/admin/messages/preview?key=welcome&channel=email&locale=en&version=1")
    live = signed_in.get("/admin/messages/preview?key=welcome&channel=email&locale=en")

    assert '<span id="subject">Hi Ada v1</span>' in first.text
    assert '<span id="subject">Hi Ada v2</span>' in live.text
    templates_page = signed_in.get("/admin/messages/templates").text
    assert re.search(r"<code>welcome</code></th>\s*<td data-label=\"Channel\">email</td>\s*"
                     r"<td data-label=\"Language\">en</td>\s*"
                     r"<td data-label=\"Live version\">v2</td>\s*"
                     r"<td data-label=\"Versions\" class=\"num\">2</td>", templates_page)


def test_send_test_queues_a_transactional_message_to_the_typed_address(signed_in, db, store):
    place_order(signed_in, store.auth, "1001")
    page = signed_in.get("/admin/messages/preview?key=order_confirmation&channel=email"
                         "&locale=en")
    form = {"csrf": csrf_of(page.text), "key": "order_confirmation", "channel": "email",
            "locale": "en", "recipient": "merchant@acme.example"}

    sent = signed_in.post("/admin/messages/send-test", data=form, follow_redirects=False)
    again = signed_in.post("/admin/messages/send-test", data=form, follow_redirects=False)

    assert sent.status_code == 303
    with db.reading() as session:
        rows = list(session.scalars(select(Message).where(Message.store_id == store.id)
                                    .order_by(Message.id)))
    assert [(m.recipient, m.category, m.purpose, m.channel, m.template_key, m.status,
             m.customer_id) for m in rows] == [
        ("merchant@acme.example", "test", "transactional", "email", "order_confirmation",
         "queued", None)] * 2
    assert rows[0].idempotency_key != rows[1].idempotency_key
    assert rows[0].idempotency_key.startswith("test:")
    assert sent.headers["location"] == f"/admin/messages/{rows[0].id}?test=1"
    assert again.headers["location"] == f"/admin/messages/{rows[1].id}?test=1"
    shown = signed_in.get(sent.headers["location"])
    assert "Test message queued to merchant@acme.example." in shown.text

    # the worker renders it with the store's latest order and the outbox keeps it,
    # addressed to the merchant, not to the order's customer
    Worker(db, name="t").run(until_idle=True)
    with db.reading() as session:
        assert [session.get(Message, m.id).status for m in rows] == ["sent", "sent"]
        kept = list(session.scalars(select(OutboxEntry).order_by(OutboxEntry.id)))
    assert [(e.recipient, e.subject) for e in kept] == [
        ("merchant@acme.example", "Your order 1001 is confirmed")] * 2


def test_send_test_refuses_a_bad_address_and_a_missing_csrf(signed_in, db, store):
    page = signed_in.get("/admin/messages/preview?key=order_confirmation")
    csrf = csrf_of(page.text)

    bad = signed_in.post("/admin/messages/send-test", data={
        "csrf": csrf, "key": "order_confirmation", "channel": "email", "recipient": "nope"})
    empty = signed_in.post("/admin/messages/send-test", data={
        "csrf": csrf, "key": "order_confirmation", "channel": "email", "recipient": ""})
    forged = signed_in.post("/admin/messages/send-test", data={
        "csrf": "forged", "key": "order_confirmation", "channel": "email",
        "recipient": "merchant@acme.example"})

    assert bad.status_code == 422
    assert 'id="send-test-problem"' in bad.text
    assert empty.status_code == 422
    assert "type the address to send the test to" in empty.text
    assert forged.status_code == 403
    with db.reading() as session:
        assert session.scalars(select(Message)).all() == []


def test_the_pages_need_a_sign_in(client, store):
    for path in ("/admin/messages", "/admin/messages/outbox", "/admin/messages/templates",
                 "/admin/messages/preview"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/admin/login")
