"""Referrals in the admin: those in review listed first with their signals, approved
or rejected with a reason (the friend's code issued or withdrawn as the API does), a
missing reason or a decision already taken refused readably with nothing changed, and
another store's referrals never shown."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from afterward.commerce.code_models import DiscountCode
from afterward.loyalty.models import LoyaltyReferral
from afterward.storage.types import utcnow
from tests.loyalty.conftest import Club
from tests.web.helpers import csrf_of, make_admin, sign_in

REFERRAL = {"enabled": True, "referrer_points": 500, "friend_discount_minor": 1000}


@pytest.fixture
def club(client, db, make_store) -> Club:
    return Club(client, db, make_store("acme", currency="EUR"))


@pytest.fixture
def in_review(club, db, client) -> int:
    """A referral sent to review: the friend is the referrer's mailbox spelt
    differently."""
    assert club.put_program(points_per_currency_unit=10, referral=REFERRAL).status_code == 200
    _, referrer = club.order("1001", email="ada.lovelace@gmail.com",
                             placed=utcnow() - timedelta(days=60))
    club.consume()
    made = club.client.post("/api/v1/loyalty/referrals", headers=club.auth, json={
        "friend_email": "AdaLovelace+x@googlemail.com", "referrer_customer_id": referrer})
    assert (made.status_code, made.json()["status"]) == (201, "review")
    make_admin(db)
    sign_in(client)
    return int(made.json()["id"])


def stored(db, referral_id: int) -> tuple[str, str | None, int | None]:
    with db.reading() as session:
        found = session.get(LoyaltyReferral, referral_id)
        assert found is not None
        return found.status, found.decision_reason, found.code_id


def decide(client, referral_id: int, verdict: str, reason: str):
    page = client.get("/admin/loyalty/referrals")
    return client.post(f"/admin/loyalty/referrals/{referral_id}/{verdict}",
                       data={"csrf": csrf_of(page.text), "reason": reason},
                       follow_redirects=False)


def test_the_referrals_in_review_are_listed_with_their_signals(in_review, client):
    page = client.get("/admin/loyalty/referrals")

    assert page.status_code == 200
    row = re.search(rf'<tr id="referral-{in_review}">(.*?)</tr>', page.text, re.S)
    assert row is not None
    assert "adalovelace+x@googlemail.com" in row.group(1).lower()
    assert "ada.lovelace@gmail.com" in row.group(1)
    assert '<span class="badge">same mailbox</span>' in row.group(1)
    assert f'action="/admin/loyalty/referrals/{in_review}/approve"' in row.group(1)


def test_approving_a_referral_clears_it_and_gives_the_friend_the_code_held_back(
        in_review, client, db):
    answer = decide(client, in_review, "approve", "Her sister, checked by phone")

    assert (answer.status_code, answer.headers["location"]) == (
        303, "/admin/loyalty/referrals?decided=approved")
    status, reason, code_id = stored(db, in_review)
    assert (status, reason, code_id is not None) == (
        "pending", "Her sister, checked by phone", True)
    assert "The referral was approved." in client.get(answer.headers["location"]).text


def test_rejecting_a_referral_ends_it(in_review, client, db):
    answer = decide(client, in_review, "reject", "The same person")

    assert answer.status_code == 303
    assert stored(db, in_review) == ("rejected", "The same person", None)
    listed = client.get("/admin/loyalty/referrals?status=rejected").text
    assert f'id="referral-{in_review}"' in listed and "The same person" in listed


def test_a_decision_without_a_reason_is_refused_and_nothing_changes(in_review, client, db):
    answer = decide(client, in_review, "approve", "   ")

    assert answer.status_code == 422
    assert "Give a reason" in answer.text
    assert stored(db, in_review) == ("review", None, None)


def test_a_decision_taken_twice_is_refused_the_second_time(in_review, client, db):
    assert decide(client, in_review, "reject", "The same person").status_code == 303

    again = decide(client, in_review, "approve", "Changed my mind")

    assert again.status_code == 409
    assert "decided already" in again.text
    assert stored(db, in_review) == ("rejected", "The same person", None)
    with db.reading() as session:
        assert session.scalars(select(DiscountCode)).all() == []


def test_an_unknown_filter_or_verdict_is_refused(in_review, client, db):
    assert client.get("/admin/loyalty/referrals?status=bogus").status_code == 400
    assert decide(client, in_review, "maybe", "why").status_code == 404
    assert stored(db, in_review) == ("review", None, None)


def test_another_stores_referral_is_not_found_and_not_listed(in_review, client, db,
                                                             make_store):
    other = Club(client, db, make_store("other", currency="EUR"))
    assert other.put_program(referral=REFERRAL).status_code == 200
    _, theirs = other.order("9001", email="zoe@example.com")
    made = client.post("/api/v1/loyalty/referrals", headers=other.auth, json={
        "friend_email": "zoe+1@example.com", "referrer_customer_id": theirs})
    assert made.json()["status"] == "review"

    page = client.get("/admin/loyalty/referrals")
    answer = decide(client, made.json()["id"], "approve", "Looks fine")

    assert f'id="referral-{made.json()["id"]}"' not in page.text
    assert answer.status_code == 404
    assert stored(db, made.json()["id"])[0] == "review"
