"""The referral landing page /r/{code}: the friend sees the offer, sends their email
and gets their single-use code (or hears that it waits for a check); a dead link, a
stale form, a bad address or too many attempts change nothing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from afterward.loyalty.models import LoyaltyReferral
from afterward.web.pages import referral as page

REFERRAL = {"enabled": True, "referrer_points": 500, "friend_discount_minor": 1000}


def referrals(db) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(LoyaltyReferral)) or 0)


@pytest.fixture
def link(client, store) -> str:
    assert client.put("/api/v1/loyalty/program", headers=store.auth,
                      json={"referral": REFERRAL}).status_code == 200
    order = client.post("/api/v1/orders", headers=store.auth, json={
        "number": "1001", "placed_at": "2026-03-01T10:00:00Z", "currency": "USD",
        "email": "ada@example.com", "customer": {"email": "ada@example.com"},
        "lines": [{"sku": "TEA-1", "title": "Tea", "quantity": 1, "unit_price_minor": 900}]})
    made = client.post("/api/v1/loyalty/referrals", headers=store.auth, json={
        "referrer_customer_id": order.json()["customer_id"], "friend_email": "x@example.com"})
    assert made.status_code == 201
    code = client.get(f"/api/v1/customers/{order.json()['customer_id']}/loyalty",
                      headers=store.auth).json()["referral_code"]
    return f"/r/{code}"


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def test_the_friend_sees_the_offer_and_a_form(client, link):
    answer = client.get(link + "?lang=en")

    assert answer.status_code == 200
    assert "A friend invites you to Acme: $10.00 off your first order." in answer.text
    assert "<script" not in answer.text


def test_the_friend_gets_a_single_use_code_on_the_page(client, db, link):
    form = client.get(link)

    answer = client.post(link, data={"csrf": csrf_of(form.text), "email": "bob@example.com"})

    assert answer.status_code == 200
    assert "Enter it at checkout" in answer.text
    assert re.search(r"<strong>[A-Z0-9]{16}</strong>", answer.text)
    assert referrals(db) == 2


def test_the_same_friend_again_gets_no_second_code(client, db, link):
    csrf = csrf_of(client.get(link).text)
    client.post(link, data={"csrf": csrf, "email": "bob@example.com"})

    again = client.post(link, data={"csrf": csrf, "email": "BOB+again@Example.com"})

    assert "This email address already has an offer" in again.text
    assert "Enter it at checkout" not in again.text
    assert referrals(db) == 2


def test_a_flagged_signup_waits_for_a_check(client, db, link):
    csrf = csrf_of(client.get(link).text)

    answer = client.post(link, data={"csrf": csrf, "email": "ada@example.com"})

    assert "Acme checks this invitation first: your code comes once it is approved." in answer.text
    assert not re.search(r"<strong>[A-Z0-9]{16}</strong>", answer.text)


@pytest.mark.parametrize(("data", "status"), [
    ({"csrf": "forged", "email": "bob@example.com"}, 403),
    ({"email": "not-an-address"}, 422),
])
def test_a_stale_form_or_a_bad_address_changes_nothing(client, db, link, data, status):
    csrf = csrf_of(client.get(link).text)
    before = referrals(db)

    answer = client.post(link, data={"csrf": csrf, **data})

    assert answer.status_code == status
    assert referrals(db) == before


def test_too_many_attempts_from_one_address_are_refused(client, db, link, monkeypatch):
    monkeypatch.setattr(page, "LIMIT", 2)
    csrf = csrf_of(client.get(link).text)
    answers = [client.post(link, data={"csrf": csrf, "email": f"f{n}@example.com"})
               for n in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert referrals(db) == 3


def test_a_link_naming_no_member_is_a_plain_404(client, db, link):
    for path in ("/r/nobody-has-this-code", "/r/" + "x" * 200):
        answer = client.get(path)
        assert answer.status_code == 404
        assert "This link does not work" in answer.text
    assert client.post("/r/nobody", data={"email": "a@example.com"}).status_code == 404
