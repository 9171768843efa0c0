"""Referrals: a member's code and link, a friend's single-use code, the friend's first
order linked by email or by the code used, the referrer paid once when that order
can no longer be returned (nothing when it was refunded or cancelled), every fraud
signal sending the referral to review, an admin's decision, and refusals in the
error shape with nothing written."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from afterward.commerce import codes
from afterward.commerce.code_models import DiscountCode
from afterward.events import Event
from afterward.loyalty.models import LoyaltyEntry, LoyaltyReferral
from afterward.storage.types import utcnow
from tests.factories import order_body

REFERRAL = {"enabled": True, "referrer_points": 500, "friend_discount_minor": 1000}
HOME = {"name": "Ada Lovelace", "address1": "Hauptstraße 5", "city": "Berlin",
        "postal_code": "10115", "country": "DE"}


def count(db, model, *where) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where))
                   or 0)


def written(db) -> tuple[int, int, int, int]:
    """(referrals, codes, loyalty entries, referral events)"""
    return (count(db, LoyaltyReferral), count(db, DiscountCode), count(db, LoyaltyEntry),
            count(db, Event, Event.name.like("loyalty.referral%")))


@pytest.fixture
def referrer(club) -> int:
    assert club.put_program(points_per_currency_unit=10, pending_days=30,
                            referral=REFERRAL).status_code == 200
    _, customer_id = club.order("1001", email="ada@example.com",
                                placed=utcnow() - timedelta(days=60), shipping_address=HOME)
    club.consume()
    return customer_id


def refer(club, friend: str = "bob@example.com", referrer: int | None = None,
          **body: Any) -> Any:
    if referrer is not None:
        body["referrer_customer_id"] = referrer
    return club.client.post("/api/v1/loyalty/referrals", headers=club.auth,
                            json={"friend_email": friend, **body})


def referral(club, referral_id: int) -> dict[str, Any]:
    answer = club.client.get(f"/api/v1/loyalty/referrals/{referral_id}", headers=club.auth)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def friend_orders(club, number: str = "2001", email: str = "bob@example.com",
                  placed: datetime | None = None, **extra: Any) -> int:
    order_id, _ = club.order(number, email=email, placed=placed or utcnow(), **extra)
    club.consume()
    return order_id


def decide(club, referral_id: int, verdict: str, reason: str = "checked") -> Any:
    return club.client.post(f"/api/v1/loyalty/referrals/{referral_id}/{verdict}",
                            headers=club.auth, json={"reason": reason})


def events(db, name: str) -> list[dict[str, Any]]:
    with db.reading() as session:
        return [dict(e.payload) for e in session.scalars(
            select(Event).where(Event.name == name).order_by(Event.id))]


# --- the member's code and link ------------------------------------------------------

def test_a_member_has_a_stable_unguessable_referral_code_and_link(club, referrer):
    first = club.loyalty(referrer)
    again = club.loyalty(referrer)

    code = first["referral_code"]
    assert len(code) == 22 and code == again["referral_code"]
    assert first["referral_url"].endswith(f"/r/{code}")


def test_a_friend_referred_by_code_gets_a_single_use_code_of_the_programs_offer(club, db,
                                                                              referrer):
    code = club.loyalty(referrer)["referral_code"]

    answer = refer(club, referral_code=code)

    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["referrer_customer_id"], body["friend_email"], body["status"],
            body["signals"], body["friend_discount_minor"], body["order_id"],
            body["points"], body["channel"]) == (
        referrer, "bob@example.com", "pending", [], 1000, None, 0, "api")
    with db.reading() as session:
        issued = codes.by_code(session, store_id=club.store.id, code=body["friend_code"])
        assert (issued.source, issued.source_id, issued.status, issued.kind) == (
            "referral", str(body["id"]), "issued", "discount")
    assert [e["referral_id"] for e in events(db, "loyalty.referral_created")] == [body["id"]]


def test_the_same_friend_again_by_the_same_member_is_the_same_referral(club, db, referrer):
    first = refer(club, "Bob.Smith@gmail.com", referrer)
    before = written(db)

    again = refer(club, "bobsmith+deal@googlemail.com", referrer)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert written(db) == before


# --- paying the referrer -------------------------------------------------------------

def test_the_referrer_is_paid_once_when_the_friends_first_order_can_no_longer_be_returned(
        club, db, referrer):
    made = refer(club, referrer=referrer).json()
    order_id = friend_orders(club)
    delivered = utcnow()
    club.deliver(order_id, delivered)
    balance = club.points(referrer)[0]

    assert referral(club, made["id"])["status"] == "ordered"
    club.consume(delivered + timedelta(days=29))
    assert (referral(club, made["id"])["status"], club.points(referrer)[0]) == (
        "ordered", balance)

    club.consume(delivered + timedelta(days=31))
    club.consume(delivered + timedelta(days=32))
    club.tick(delivered + timedelta(days=33))

    paid = referral(club, made["id"])
    assert (paid["status"], paid["points"], paid["order_id"]) == ("rewarded", 500, order_id)
    assert club.points(referrer)[0] == balance + 500
    assert count(db, LoyaltyEntry, LoyaltyEntry.idempotency_key == f"referral:{made['id']}") \
        == 1
    assert [(e["referral_id"], e["points"], e["order_id"])
            for e in events(db, "loyalty.referral_qualified")] == [(made["id"], 500, order_id)]


def test_a_friends_order_refunded_entirely_pays_the_referrer_nothing(club, db, referrer):
    made = refer(club, referrer=referrer).json()
    order_id = friend_orders(club)
    club.refund(order_id, 3000, [("TEA-1", 2), ("MUG-1", 1), ("CUP-1", 3)])
    club.consume()
    balance = club.points(referrer)[0]

    club.consume(utcnow() + timedelta(days=60))

    assert referral(club, made["id"])["status"] == "void"
    assert club.points(referrer)[0] == balance
    assert events(db, "loyalty.referral_qualified") == []


def test_a_friends_order_cancelled_pays_the_referrer_nothing(club, db, referrer):
    made = refer(club, referrer=referrer).json()
    order_id = friend_orders(club)
    balance = club.points(referrer)[0]

    club.cancel(order_id)
    club.consume()

    assert referral(club, made["id"])["status"] == "void"
    club.consume(utcnow() + timedelta(days=60))
    assert club.points(referrer)[0] == balance


def test_the_friends_order_is_found_by_the_code_it_used_under_another_email(club, db,
                                                                          referrer):
    made = refer(club, referrer=referrer).json()
    order_id, _ = club.order("2001", email="robert@elsewhere.example", placed=utcnow())
    with db.transaction() as session:
        assert codes.mark_used(session, store_id=club.store.id, code=made["friend_code"],
                               order_id=order_id)

    club.consume()

    linked = referral(club, made["id"])
    assert (linked["status"], linked["order_id"]) == ("ordered", order_id)


def test_an_order_placed_before_the_signup_is_not_the_friends_first(club, db, referrer):
    friend_orders(club, placed=utcnow() - timedelta(days=2), email="carl@example.com")
    made = refer(club, "carl@example.com", referrer).json()

    club.consume()

    assert (referral(club, made["id"])["order_id"], made["signals"]) == (
        None, ["existing_customer"])


# --- fraud signals send a referral to review ------------------------------------------

def test_a_member_referring_themselves_goes_to_review_without_a_code(club, db, referrer):
    answer = refer(club, "ADA@example.com", referrer)

    body = answer.json()
    assert (answer.status_code, body["status"], body["signals"], body["friend_code"]) == (
        201, "review", ["self_referral", "existing_customer"], None)
    assert [e["signals"] for e in events(db, "loyalty.referral_review")] == [
        ["self_referral", "existing_customer"]]


def test_the_referrers_mailbox_spelt_differently_goes_to_review(club, db):
    assert club.put_program(referral=REFERRAL).status_code == 200
    _, gmail = club.order("1001", email="ada.lovelace@gmail.com")

    body = refer(club, "AdaLovelace+friend@googlemail.com", gmail).json()

    assert (body["status"], body["signals"]) == ("review", ["same_mailbox"])


def test_one_device_signing_up_two_friends_sends_the_second_to_review(club, referrer):
    device = {"ip": "203.0.113.9", "user_agent": "Mozilla/5.0 (Phone)"}
    first = refer(club, "bob@example.com", referrer, **device).json()
    other = refer(club, "bob@example.com", referrer, ip="198.51.100.1").json()

    second = refer(club, "cleo@example.com", referrer, **device).json()

    assert (first["signals"], other["id"], second["status"], second["signals"]) == (
        [], first["id"], "review", ["same_device"])


def test_many_referrals_in_a_short_time_send_the_next_ones_to_review(club, referrer):
    assert club.put_program(referral={**REFERRAL, "review_after": 2,
                                      "review_window_hours": 24}).status_code == 200

    statuses = [refer(club, f"friend{n}@example.com", referrer).json()["status"]
                for n in range(4)]

    assert statuses == ["pending", "pending", "review", "review"]


def test_a_friends_order_to_the_referrers_address_goes_to_review(club, db, referrer):
    made = refer(club, referrer=referrer).json()

    friend_orders(club, shipping_address={**HOME, "address1": "HAUPTSTR. 5"})

    found = referral(club, made["id"])
    assert (found["status"], found["signals"], found["order_id"] is not None) == (
        "review", ["same_address"], True)
    assert [e["signals"] for e in events(db, "loyalty.referral_review")] == [["same_address"]]
    club.consume(utcnow() + timedelta(days=90))
    assert referral(club, made["id"])["points"] == 0


def test_a_friends_order_placed_by_the_referrer_is_a_self_referral(club, referrer):
    made = refer(club, referrer=referrer).json()

    placed = club.client.post("/api/v1/orders", headers=club.auth, json=order_body(
        "2001", placed_at=utcnow().isoformat(), email="bob@example.com",
        customer={"email": "ada@example.com", "first_name": "Ada"}))
    club.consume()

    found = referral(club, made["id"])
    assert (placed.json()["customer_id"], found["status"], found["signals"]) == (
        referrer, "review", ["self_referral"])


# --- an admin decides ----------------------------------------------------------------

def test_an_approved_referral_gives_the_held_back_code_and_is_paid_later(club, db, referrer):
    made = refer(club, "ADA+x@example.com", referrer).json()

    approved = decide(club, made["id"], "approve", "her sister shares the mailbox")

    body = approved.json()
    assert (approved.status_code, body["status"], body["cleared"], body["decision_reason"],
            body["friend_discount_minor"]) == (
        200, "pending", ["same_mailbox", "existing_customer"],
        "her sister shares the mailbox", 1000)
    assert decide(club, made["id"], "approve").json()["error"]["code"] == "invalid_status"
    friend_orders(club, email="ada+x@example.com")
    assert referral(club, made["id"])["status"] == "ordered"
    club.consume(utcnow() + timedelta(days=60))
    assert referral(club, made["id"])["status"] == "rewarded"


def test_a_rejected_referral_pays_nothing_and_withdraws_the_friends_code(club, db, referrer):
    made = refer(club, referrer=referrer).json()

    rejected = decide(club, made["id"], "reject", "a fake friend")

    assert (rejected.status_code, rejected.json()["status"]) == (200, "rejected")
    with db.reading() as session:
        assert codes.by_code(session, store_id=club.store.id,
                             code=made["friend_code"]).status == "cancelled"
    friend_orders(club)
    club.consume(utcnow() + timedelta(days=60))
    assert (referral(club, made["id"])["status"], referral(club, made["id"])["order_id"]) \
        == ("rejected", None)
    again = decide(club, made["id"], "reject")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "invalid_status")


def test_the_review_queue_lists_referrals_by_status(club, referrer):
    refer(club, "bob@example.com", referrer)
    flagged = refer(club, "ada@example.com", referrer).json()

    listed = club.client.get("/api/v1/loyalty/referrals?status=review", headers=club.auth)

    assert [r["id"] for r in listed.json()["items"]] == [flagged["id"]]


# --- refusals ------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "status", "code", "field"), [
    ({"friend_email": "bob@example.com"}, 422, "invalid", None),
    ({"friend_email": "not-an-email", "referrer_customer_id": 1}, 422, "invalid",
     "friend_email"),
    ({"friend_email": "bob@example.com", "referrer_customer_id": 999999}, 404, "not_found",
     "referrer"),
    ({"friend_email": "bob@example.com", "referral_code": "no-such-code"}, 404, "not_found",
     "referral_code"),
    ({"friend_email": "bob@example.com", "referrer_customer_id": 1, "points": 5}, 422,
     "invalid", None),
    ({"friend_email": "bob@example.com", "referrer_customer_id": 1, "locale": "xx-NOPE"},
     422, "invalid", "locale"),
])
def test_a_bad_referral_is_refused_in_the_error_shape_and_writes_nothing(
        club, db, referrer, body, status, code, field):
    before = written(db)

    answer = club.client.post("/api/v1/loyalty/referrals", headers=club.auth, json=body)

    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["code"] == code
    if field is not None:
        assert error["field"] == field
    assert written(db) == before


def test_referrals_switched_off_are_refused(club, db):
    _, customer_id = club.order()
    before = written(db)

    answer = refer(club, referrer=customer_id)

    assert (answer.status_code, answer.json()["error"]["code"]) == (422, "referrals_disabled")
    assert written(db) == before


def test_a_friend_referred_by_another_member_is_a_conflict(club, db, referrer):
    _, other = club.order("1002", email="cleo@example.com")
    refer(club, "bob@example.com", referrer)
    before = written(db)

    answer = refer(club, "BOB@example.com", other)

    assert (answer.status_code, answer.json()["error"]["code"]) == (409, "already_referred")
    assert written(db) == before


def test_a_decision_without_a_reason_or_for_no_referral_is_refused(club, db, referrer):
    made = refer(club, "ada@example.com", referrer).json()

    no_reason = club.client.post(f"/api/v1/loyalty/referrals/{made['id']}/approve",
                                 headers=club.auth, json={})
    missing = decide(club, 999999, "approve")
    bad_status = club.client.get("/api/v1/loyalty/referrals?status=paid", headers=club.auth)

    assert (no_reason.status_code, missing.status_code, bad_status.status_code) == (
        422, 404, 422)
    assert missing.json()["error"]["code"] == "not_found"
    assert referral(club, made["id"])["status"] == "review"


def test_another_store_sees_and_changes_none_of_a_stores_referrals(club, db, referrer,
                                                                 make_store):
    other = make_store("other-store")
    made = refer(club, referrer=referrer).json()
    code = club.loyalty(referrer)["referral_code"]
    before = written(db)

    seen = club.client.get(f"/api/v1/loyalty/referrals/{made['id']}", headers=other.auth)
    listed = club.client.get("/api/v1/loyalty/referrals", headers=other.auth)
    approved = club.client.post(f"/api/v1/loyalty/referrals/{made['id']}/approve",
                                headers=other.auth, json={"reason": "x"})
    rejected = club.client.post(f"/api/v1/loyalty/referrals/{made['id']}/reject",
                                headers=other.auth, json={"reason": "x"})
    by_id = club.client.post("/api/v1/loyalty/referrals", headers=other.auth, json={
        "friend_email": "eve@example.com", "referrer_customer_id": referrer})
    by_code = club.client.post("/api/v1/loyalty/referrals", headers=other.auth, json={
        "friend_email": "eve@example.com", "referral_code": code})

    assert [r.status_code for r in (seen, approved, rejected, by_id, by_code)] == [404] * 5
    assert listed.json()["items"] == []
    assert written(db) == before


def test_a_friends_order_paid_with_the_referrers_card_goes_to_review(club, db, referrer):
    club.order("1002", email="ada@example.com", placed=utcnow() - timedelta(days=30),
               payment_fingerprint="card_fp_Xy12")
    made = refer(club, referrer=referrer).json()

    friend_orders(club, payment_fingerprint="card_fp_Xy12")

    found = referral(club, made["id"])
    assert (found["status"], found["signals"]) == ("review", ["same_payment"])
    assert [e["signals"] for e in events(db, "loyalty.referral_review")] == [["same_payment"]]


def test_a_friends_order_paid_with_another_card_is_no_signal(club, referrer):
    club.order("1002", email="ada@example.com", placed=utcnow() - timedelta(days=30),
               payment_fingerprint="card_fp_Xy12")
    made = refer(club, referrer=referrer).json()

    friend_orders(club, payment_fingerprint="card_fp_Zz99")

    assert (referral(club, made["id"])["status"], referral(club, made["id"])["signals"]) == (
        "ordered", [])
