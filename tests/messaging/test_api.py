"""The messaging API and the links inside messages: open pixel, click redirect,
one-click unsubscribe."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from afterward.messaging.models import Suppression
from afterward.messaging.runtime import current
from afterward.messaging.tokens import CLICK, OPEN, UNSUBSCRIBE
from tests.messaging.conftest import message_row, run_jobs, shop

MJML = ("<mjml><mj-body><mj-section><mj-column><mj-text>Hi {{ customer.first_name }}"
        "</mj-text></mj-column></mj-section></mj-body></mjml>")


@pytest.fixture
def api(client: TestClient) -> TestClient:
    return client


def test_a_message_is_queued_once_and_shows_in_the_log(api, db, store):
    customer_id, order_id, _, _ = shop(db, store.id)
    body = {"channel": "email", "category": "order_confirmation",
            "template_key": "order_confirmation", "idempotency_key": "order-1001",
            "customer_id": customer_id, "order_id": order_id}

    first = api.post("/api/v1/messages", json=body, headers=store.auth)
    again = api.post("/api/v1/messages", json=body, headers=store.auth)
    run_jobs(db)

    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    detail = api.get(f"/api/v1/messages/{first.json()['id']}", headers=store.auth).json()
    assert (detail["status"], detail["subject"], detail["transport"]) == (
        "sent", "Your order 1001 is confirmed", "outbox")
    listed = api.get("/api/v1/messages?status=sent", headers=store.auth).json()["items"]
    assert [m["id"] for m in listed] == [first.json()["id"]]


def test_an_invalid_recipient_is_refused_with_the_field(api, store):
    response = api.post("/api/v1/messages", headers=store.auth, json={
        "channel": "sms", "category": "x", "template_key": "order_confirmation",
        "idempotency_key": "k", "recipient": "call me maybe"})
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "recipient"


def test_another_store_cannot_read_a_message(api, db, store, make_store):
    other = make_store("other")
    customer_id, _order_id, _, _ = shop(db, store.id)
    created = api.post("/api/v1/messages", headers=store.auth, json={
        "channel": "email", "category": "c", "template_key": "order_confirmation",
        "idempotency_key": "k", "customer_id": customer_id}).json()
    assert api.get(f"/api/v1/messages/{created['id']}", headers=other.auth).status_code == 404
    # nor queue for a customer that is not theirs
    refused = api.post("/api/v1/messages", headers=other.auth, json={
        "channel": "email", "category": "c", "template_key": "order_confirmation",
        "idempotency_key": "k", "customer_id": customer_id})
    assert refused.status_code == 404
    assert refused.json()["error"]["field"] == "customer_id"


def test_a_broken_template_is_refused_with_its_line(api, store):
    response = api.put("/api/v1/templates/welcome/email/de", headers=store.auth, json={
        "subject": "Hallo", "body": MJML.replace("</mj-text>", "\n{{ order.nope }}</mj-text>")})

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["field"] == "body"
    assert error["message"].startswith("body, line 2: ")
    versions = api.get("/api/v1/templates/welcome/email/de", headers=store.auth).json()
    assert versions == {"items": []}


def test_templates_are_versioned_and_previewed(api, store):
    for subject in ("One", "Two"):
        saved = api.put("/api/v1/templates/welcome/email/de", headers=store.auth,
                        json={"subject": subject, "body": MJML})
        assert saved.status_code == 201
    versions = api.get("/api/v1/templates/welcome/email/de", headers=store.auth).json()["items"]
    assert [(v["version"], v["subject"]) for v in versions] == [(2, "Two"), (1, "One")]

    preview = api.post("/api/v1/templates/preview", headers=store.auth, json={
        "channel": "sms", "locale": "de", "body": "Hallo {{ customer.first_name }}, "
        "{{ order.total_minor | money(order.currency) }}"}).json()
    assert preview == {"subject": None, "text": "Hallo Ada, 25,95\xa0$", "html": None,
                       "segments": 1}


def test_settings_round_trip_and_refuse_nonsense(api, store):
    assert api.get("/api/v1/messaging/settings", headers=store.auth).json()["quiet_start"] == \
        "21:00"
    saved = api.put("/api/v1/messaging/settings", headers=store.auth, json={
        "quiet_start": "22:00", "quiet_end": "07:30", "marketing_budget": 5})
    assert saved.status_code == 200
    assert (saved.json()["quiet_start"], saved.json()["marketing_budget"]) == ("22:00", 5)
    bad = api.put("/api/v1/messaging/settings", headers=store.auth,
                  json={"quiet_start": "late"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "quiet_start"


def test_the_links_in_a_message_work(api, db, store):
    customer_id, order_id, _, _ = shop(db, store.id, marketing=True)
    message_id = api.post("/api/v1/messages", headers=store.auth, json={
        "channel": "email", "category": "c", "template_key": "order_confirmation",
        "idempotency_key": "k", "customer_id": customer_id, "order_id": order_id}).json()["id"]
    run_jobs(db)
    links = current().links

    pixel = api.get(f"/m/o/{links.token(OPEN, message_id)}.gif")
    assert (pixel.status_code, pixel.headers["content-type"]) == (200, "image/gif")
    assert api.get("/m/o/forged.gif").status_code == 200  # but counts nothing
    redirect = api.get(f"/m/c/{links.token(CLICK, message_id, 'https://shop.example/x')}",
                       follow_redirects=False)
    assert (redirect.status_code, redirect.headers["location"]) == (302,
                                                                    "https://shop.example/x")
    assert api.get("/m/c/forged", follow_redirects=False).status_code == 404

    token = links.token(UNSUBSCRIBE, message_id)
    page = api.get(f"/m/u/{token}")
    assert page.status_code == 200 and "<form method=post" in page.text
    assert message_row(db, message_id).status == "clicked"
    one_click = api.post(f"/m/u/{token}", data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200
    with db.reading() as session:
        listed = session.scalars(select(Suppression.reason)).all()
    assert listed == ["unsubscribe"]


def test_a_send_time_without_a_time_zone_is_refused(api, db, store):
    customer_id, _, _, _ = shop(db, store.id)
    response = api.post("/api/v1/messages", headers=store.auth, json={
        "channel": "email", "category": "c", "template_key": "order_confirmation",
        "idempotency_key": "k", "customer_id": customer_id,
        "send_after": "2026-03-01T10:00:00"})
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "send_after"


def test_a_message_for_an_order_not_in_this_store_is_a_404(api, store):
    response = api.post("/api/v1/messages", headers=store.auth, json={
        "channel": "email", "category": "c", "template_key": "order_confirmation",
        "idempotency_key": "k", "order_id": 4242})

    assert response.status_code == 404
    assert response.json()["error"] == {"code": "not_found", "field": "order_id",
                                        "message": "no such order in this store"}


def test_a_used_idempotency_key_does_not_let_a_wrong_message_through(api, db, store):
    customer_id, _, _, _ = shop(db, store.id)
    message = {"channel": "sms", "category": "c", "template_key": "order_confirmation",
               "idempotency_key": "k", "customer_id": customer_id}
    first = api.post("/api/v1/messages", headers=store.auth, json=message)

    again = api.post("/api/v1/messages", headers=store.auth,
                     json={**message, "recipient": "call me maybe"})

    assert first.status_code == 201
    assert (again.status_code, again.json()["error"]["field"]) == (422, "recipient")


def test_an_email_template_needs_a_subject_and_an_sms_template_has_none(api, store):
    no_subject = api.put("/api/v1/templates/hello/email/en", headers=store.auth,
                         json={"body": MJML})
    sms = api.put("/api/v1/templates/hello/sms/en", headers=store.auth,
                  json={"body": "Hi {{ customer.first_name }}", "subject": "ignored"})

    assert (no_subject.status_code, no_subject.json()["error"]["field"]) == (422, "subject")
    assert sms.status_code == 201
    assert (sms.json()["channel"], sms.json()["subject"]) == ("sms", None)


def test_a_template_key_is_letters_digits_underscores_and_dashes(api, store):
    saved = api.put("/api/v1/templates/_/sms/pt-br", headers=store.auth, json={"body": "Olá"})
    refused = api.put("/api/v1/templates/caf%C3%A9/sms/en", headers=store.auth,
                      json={"body": "Hi"})

    assert (saved.status_code, saved.json()["key"], saved.json()["locale"]) == (
        201, "_", "pt_BR")
    assert refused.status_code == 422


def test_a_preview_is_an_email_unless_it_says_sms(api, store):
    sms = api.post("/api/v1/templates/preview", headers=store.auth,
                   json={"channel": "sms", "body": "Hi"})
    email = api.post("/api/v1/templates/preview", headers=store.auth, json={"body": MJML})

    assert (sms.status_code, sms.json()["text"]) == (200, "Hi")
    assert (email.status_code, email.json()["error"]["field"]) == (422, "email.subject")


@pytest.mark.parametrize(("url", "status"), [
    ("https://hooks.example.com/afterward?x=1", 201), ("http://user:pw@hooks.local:8080/", 201),
    ("http://a..b/", 422), ("http://[::1]/", 422), ("https://host:65536/", 422),
    ("ftp://hooks.example.com/", 422),
])
def test_a_webhook_endpoint_is_an_http_url_that_can_be_called(api, store, url, status):
    response = api.post("/api/v1/webhook-endpoints", headers=store.auth, json={"url": url})

    assert response.status_code == status, response.text


def test_quiet_hours_are_written_as_hours_and_minutes(api, store):
    saved = api.put("/api/v1/messaging/settings", headers=store.auth,
                    json={"quiet_start": "7:5", "quiet_end": "23:59"})

    assert (saved.json()["quiet_start"], saved.json()["quiet_end"]) == ("07:05", "23:59")
